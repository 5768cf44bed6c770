"""Chapter 6's interactive piece: animate a continuous normalizing flow from t = 0 to t = 1.

``cnf_frames`` precomputes, for one trained CNF, samples moved along the flow, the density
p_t on a grid and the vector field f(z, t) at ``n_times`` times; ``cnf_figure`` (static
twin: plotly frames with a slider and a play button) and ``cnf_explorer`` (live: time slider
linked to a Play control, toy dropdown) draw them with the same ``_FlowDrawing``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import cnf
from .display import live_figure, stepped_figure

__all__ = ["CNFExplorer", "CNFFrames", "cnf_explorer", "cnf_figure", "cnf_frames"]

EXTENT = {"8gaussians": 4.0, "moons": 3.0, "checkerboard": 3.0}  # half-width of the view
LABELS = {"8gaussians": "8 Gaussians", "moons": "moons", "checkerboard": "checkerboard"}


@dataclass(frozen=True)
class CNFFrames:
    """Everything the animation shows, at K times.

    times (K,); samples (K, N, 2): base samples moved to each time; axis (G,): grid
    coordinates on both axes; density (K, G, G): p_t on the grid, rows along y;
    arrows (Q, 2) points where the field is drawn; velocity (K, Q, 2): f(z, t) there.
    """

    toy: str
    times: torch.Tensor
    samples: torch.Tensor
    axis: torch.Tensor
    density: torch.Tensor
    arrows: torch.Tensor
    velocity: torch.Tensor


def cnf_frames(
    model: cnf.CNF,
    toy: str = "8gaussians",
    *,
    n_times: int = 21,
    n_samples: int = 200,
    grid: int = 24,
    n_arrows: int = 9,
    extent: float | None = None,
    seed: int = 0,
) -> CNFFrames:
    """Precompute the animation of ``model`` (a 2-D ``CNF``) at ``n_times`` times in [0, T]."""
    if not isinstance(model, cnf.CNF) or model.dim != 2:
        raise TypeError(f"model must be a 2-D course_lib.cnf.CNF, got {type(model).__name__}")
    for name, value, low in (
        ("n_times", n_times, 2),
        ("n_samples", n_samples, 1),
        ("grid", grid, 2),
        ("n_arrows", n_arrows, 2),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    extent = EXTENT.get(toy, 4.0) if extent is None else float(extent)
    times = torch.linspace(0, model.T, n_times)
    z0 = torch.randn(n_samples, 2, generator=torch.Generator().manual_seed(seed))
    samples = model.trajectory(z0, times)
    axis = torch.linspace(-extent, extent, grid)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    density = model.log_density_on_grid(times, points).exp().reshape(n_times, grid, grid)
    coarse = torch.linspace(-extent, extent, n_arrows + 2)[1:-1]
    ay, ax = torch.meshgrid(coarse, coarse, indexing="ij")
    arrows = torch.stack([ax.reshape(-1), ay.reshape(-1)], 1)
    with torch.no_grad():
        velocity = torch.stack([model.velocity(float(t), arrows) for t in times])
    return CNFFrames(toy, times, samples, axis, density, arrows, velocity)


def _rounded(values, digits: int) -> np.ndarray:
    """Rounded float32 array: identical across runs, and half the bytes of float64 in the
    figure's JSON (plotly stores numpy arrays as base64 typed arrays)."""
    if isinstance(values, torch.Tensor):
        values = values.double().numpy()
    return np.round(np.asarray(values, dtype=np.float64), digits).astype(np.float32)


def _plain(trace: dict) -> dict:
    """The trace with numpy arrays as nested lists, NaN as None: what a FigureWidget's comm
    messages (JSON) can carry; the values are those of the static twin's arrays."""
    out = {}
    for key, value in trace.items():
        if isinstance(value, np.ndarray):
            value = np.round(value.astype(np.float64), 4)
            value = np.where(np.isnan(value), None, value).tolist()
        out[key] = value
    return out


class _FlowDrawing:
    """Builds the traces of one frame: density heat map, samples, vector field as arrows."""

    def __init__(self, frames: CNFFrames):
        self.frames = frames
        spacing = float(frames.arrows[:, 0].unique().diff().min())
        speed = frames.velocity.norm(dim=-1).max().clamp_min(1e-12)
        self.arrow_scale = 0.9 * spacing / float(speed)  # longest arrow: 0.9 grid spacings
        self.zmax = float(torch.quantile(frames.density.flatten(), 0.995))
        self.axis = _rounded(frames.axis, 3)

    def arrows(self, k: int) -> dict:
        """The field at time index k: a segment per arrow (base, tip, gap), NaN-separated;
        the base figure puts an arrow-head marker on every tip."""
        base = self.frames.arrows.double().numpy()
        tip = base + self.arrow_scale * self.frames.velocity[k].double().numpy()
        segs = np.stack([base, tip, np.full_like(base, np.nan)], 1).reshape(-1, 2)
        return dict(type="scatter", x=_rounded(segs[:, 0], 3), y=_rounded(segs[:, 1], 3))

    def traces(self, k: int) -> list[dict]:
        """What changes with time: p_t on the grid, the samples z(t), the field f(·, t).

        Rounded numpy arrays; the styling stays in ``base_figure`` (frames merge into it).
        """
        fr = self.frames
        return [
            dict(
                type="heatmap",
                x=self.axis,
                y=self.axis,
                z=_rounded(fr.density[k], 4),
                zmax=round(self.zmax, 4),
            ),
            dict(
                type="scatter",
                x=_rounded(fr.samples[k, :, 0], 3),
                y=_rounded(fr.samples[k, :, 1], 3),
            ),
            self.arrows(k),
        ]

    def styles(self) -> list[dict]:
        """The static look of the three traces (heat map, samples, arrows)."""
        n = len(self.frames.arrows)
        return [
            dict(
                zmin=0.0,
                colorscale="Viridis",
                colorbar=dict(title=dict(text="p_t(z)"), len=0.8),
                hovertemplate="z = (%{x}, %{y}): p_t = %{z:.3f}<extra></extra>",
                name="density p_t",
            ),
            dict(
                mode="markers",
                marker=dict(color="#ff7f0e", size=4, line=dict(color="black", width=0.3)),
                name="samples z(t)",
            ),
            dict(
                mode="lines+markers",
                line=dict(color="rgba(255, 255, 255, 0.85)", width=1.3),
                marker=dict(
                    symbol="arrow",
                    angleref="previous",
                    size=[0, 8, 0] * n,
                    color="rgba(255, 255, 255, 0.85)",
                ),
                hoverinfo="skip",
                name="field f(z, t)",
            ),
        ]

    def title(self, k: int) -> str:
        t = float(self.frames.times[k])
        where = "base N(0, I)" if k == 0 else "data" if k == len(self.frames.times) - 1 else ""
        head = f"{LABELS.get(self.frames.toy, self.frames.toy)}: t = {t:.2f}"
        return f"{head} ({where})" if where else head

    def base_figure(self, widget: bool = False):
        import plotly.graph_objects as go

        fig = go.Figure()
        for tr, style in zip(self.traces(0), self.styles(), strict=True):
            fig.add_trace({**(_plain(tr) if widget else tr), **style})
        e = float(self.frames.axis[-1])
        fig.update_xaxes(range=[-e, e], title_text="z₁", constrain="domain")
        fig.update_yaxes(range=[-e, e], title_text="z₂", scaleanchor="x", scaleratio=1)
        fig.update_layout(
            height=480,
            width=560,
            margin=dict(l=40, r=20, t=60, b=40),
            legend=dict(orientation="h", y=-0.12),
            template="plotly_white",
            title=dict(text=self.title(0), font=dict(size=13)),
        )
        return live_figure(fig) if widget else fig


def cnf_figure(frames: CNFFrames, *, start: int = 0):
    """Static twin: a plotly animation (play button + time slider) over the precomputed frames."""
    if not isinstance(frames, CNFFrames):
        raise TypeError(f"frames must be CNFFrames from cnf_frames(), got {type(frames).__name__}")
    draw = _FlowDrawing(frames)
    return stepped_figure(
        draw.base_figure(),
        list(range(len(frames.times))),
        draw.traces,
        labels=[f"{float(t):.2f}" for t in frames.times],
        title=draw.title,
        prefix="t = ",
        start=start,
        play=True,
        frame_ms=250,
    )


class CNFExplorer:
    """Live face: a time slider jslinked to a Play control, and a dropdown over the toys.

    All frames are precomputed (``cnf_frames`` per toy), so a control only redraws.
    ``show()`` returns the ipywidgets container; ``select(toy=..., k=...)`` is what the
    controls call (k: index of the time).
    """

    def __init__(self, frames: dict[str, CNFFrames]):
        import ipywidgets as W

        if not frames or not all(isinstance(f, CNFFrames) for f in frames.values()):
            raise TypeError("frames must be a non-empty dict toy -> CNFFrames (from cnf_frames)")
        self.frames = dict(frames)
        self.draws = {toy: _FlowDrawing(fr) for toy, fr in self.frames.items()}
        self._traces = {  # every frame's traces, built once: a control only redraws
            (toy, k): [_plain(tr) for tr in draw.traces(k)]
            for toy, draw in self.draws.items()
            for k in range(len(draw.frames.times))
        }
        first = next(iter(self.frames))
        times = self.frames[first].times
        self.toy = W.Dropdown(
            options=[(LABELS.get(t, t), t) for t in self.frames], value=first, description="toy"
        )
        self.time = W.SelectionSlider(
            options=[(f"{float(t):.2f}", k) for k, t in enumerate(times)],
            value=0,
            description="t",
            continuous_update=True,
            layout=W.Layout(width="360px"),
        )
        self.play = W.Play(min=0, max=len(times) - 1, step=1, interval=250, description="play")
        W.jslink((self.play, "value"), (self.time, "index"))
        self.fig = self.draws[first].base_figure(widget=True)
        self.time.observe(lambda _: self.select(), names="value")
        self.toy.observe(lambda _: self.select(), names="value")
        # born drawn at (first toy, t = 0): no update before the first render (live_figure)

    def select(self, toy: str | None = None, k: int | None = None) -> int:
        if toy is not None:
            if toy not in self.frames:
                raise ValueError(f"toy must be one of {sorted(self.frames)}, got {toy!r}")
            self.toy.value = toy  # re-enters select() through the observer
        if k is not None:
            n = len(self.time.options)
            if not isinstance(k, int) or not 0 <= k < n:
                raise ValueError(f"k must be an integer time index in [0, {n - 1}], got {k!r}")
            self.time.value = k
        draw, k = self.draws[self.toy.value], self.time.value
        e = float(draw.frames.axis[-1])
        with self.fig.batch_update():
            for trace, new in zip(self.fig.data, self._traces[self.toy.value, k], strict=True):
                trace.update(new)
            self.fig.layout.title.text = draw.title(k)
            self.fig.layout.xaxis.range = [-e, e]
            self.fig.layout.yaxis.range = [-e, e]
        return k

    def show(self):
        import ipywidgets as W

        return W.VBox([W.HBox([self.toy, self.play, self.time]), self.fig])


def cnf_explorer(frames: dict[str, CNFFrames] | None = None, **options) -> CNFExplorer:
    """Live CNF animation (ipywidgets); returns a ``CNFExplorer``, display ``.show()``.

    frames: precomputed ``cnf_frames`` per toy (e.g. the static figures'); by default the
    stored checkpoints of ``course_lib.cnf.CHECKPOINTS`` are loaded and animated
    (``options`` go to ``cnf_frames``).
    """
    if frames is None:
        frames = {toy: cnf_frames(cnf.load_cnf(toy)[0], toy, **options) for toy in cnf.CHECKPOINTS}
    return CNFExplorer(frames)
