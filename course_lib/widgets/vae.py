"""Chapter 4's interactive piece: sweep a 2-D VAE's latent space and watch the decoded digit.

``latent_sweep`` decodes the model once on a grid of latent points whose coordinates are
quantiles of N(0, 1) (equal prior mass between neighbours) and encodes the test images;
``vae_sweep_figure`` (static twin: a slider, with play, walking the grid in a snake path) and
``vae_explorer`` (live: one slider per latent coordinate) draw them with the same
``_SweepDrawing``: the latent map with the current point, the decoded digit there, and the
decoded grid with the current tile outlined. Callbacks only look up precomputed decodings.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .display import live_figure, round_data, stepped_figure

__all__ = ["LatentSweep", "VaeSweepExplorer", "latent_sweep", "vae_explorer", "vae_sweep_figure"]

INK = [[0.0, "white"], [1.0, "black"]]  # pixel mean 0 = paper, 1 = ink


@dataclass(frozen=True)
class LatentSweep:
    """Precomputed states of the sweep.

    values (n,): latent grid on each axis, z = Φ⁻¹(p) for the probabilities p (n,);
    decoded (n, n, 8, 8): pixel means σ(g(z)) at z = (values[i], values[j]) (i for z₁, j for z₂);
    codes (N, 2): encoder means of the images shown on the latent map; labels (N,).
    """

    values: torch.Tensor
    probabilities: torch.Tensor
    decoded: torch.Tensor
    codes: torch.Tensor
    labels: torch.Tensor


@torch.no_grad()
def latent_sweep(model, x, labels, *, steps: int = 11, low: float = 0.05, high: float = 0.95):
    """Decode ``model`` (latent_dim 2, ``encode``/``decode`` like ``autoencoders.VAE``) on the
    steps x steps grid of N(0, 1) quantiles at probabilities linspace(low, high, steps), and
    encode x (N, 64) with labels (N,). Returns a ``LatentSweep``."""
    if getattr(model, "latent_dim", None) != 2:
        raise ValueError(
            f"the sweep needs a model with a 2-D latent, got latent_dim="
            f"{getattr(model, 'latent_dim', None)}; train one with train_vae(latent_dim=2)"
        )
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    if not 0.0 < low < high < 1.0:
        raise ValueError(f"need 0 < low < high < 1 (probabilities), got low={low}, high={high}")
    x = torch.as_tensor(x, dtype=torch.float32)
    labels = torch.as_tensor(labels)
    if x.ndim != 2 or x.shape[1] != 64 or len(labels) != len(x):
        raise ValueError(
            f"x must be (N, 64) flat 8x8 digits with N labels, got x {tuple(x.shape)} and "
            f"{len(labels)} labels"
        )
    p = torch.linspace(low, high, steps, dtype=torch.float64)
    values = torch.special.ndtri(p)  # Φ⁻¹(p), (n,)
    z1, z2 = torch.meshgrid(values, values, indexing="ij")  # (n, n) each
    z = torch.stack([z1, z2], -1).reshape(-1, 2).float()  # (n², 2)
    decoded = torch.sigmoid(model.decode(z)).reshape(steps, steps, 8, 8)
    codes = model.encode(x)
    codes = codes[0] if isinstance(codes, tuple) else codes  # a VAE's (mu, log_var): keep mu
    return LatentSweep(values, p, decoded.double(), codes.double(), labels)


class _SweepDrawing:
    """Traces of the sweep: moving ones first (digit, latent marker, grid box), then static."""

    def __init__(self, sweep: LatentSweep):
        self.sweep = sweep
        self.n = len(sweep.values)
        self.n_moving = 3

    def _z(self, state) -> tuple[float, float]:
        i, j = state
        return float(self.sweep.values[i]), float(self.sweep.values[j])

    def traces(self, state) -> list[dict]:
        i, j = state
        z1, z2 = self._z(state)
        top = (self.n - 1 - j) * 8  # grid rows: z₂ grows upwards, so row 0 holds the largest z₂
        box_x = [i * 8 - 0.5, i * 8 + 7.5, i * 8 + 7.5, i * 8 - 0.5, i * 8 - 0.5]
        box_y = [top - 0.5, top - 0.5, top + 7.5, top + 7.5, top - 0.5]
        return [
            dict(
                type="heatmap",
                z=round_data(self.sweep.decoded[i, j], 2),
                zmin=0.0,
                zmax=1.0,
                colorscale=INK,
                showscale=False,
                xaxis="x2",
                yaxis="y2",
                hovertemplate="pixel (%{y}, %{x}): %{z:.2f}<extra></extra>",
            ),
            dict(
                type="scatter",
                x=[round(z1, 3)],
                y=[round(z2, 3)],
                mode="markers",
                marker=dict(symbol="x", size=16, color="black", line=dict(width=2)),
                name="z",
                showlegend=False,
                xaxis="x",
                yaxis="y",
            ),
            dict(
                type="scatter",
                x=box_x,
                y=box_y,
                mode="lines",
                line=dict(color="#d62728", width=3),
                hoverinfo="skip",
                showlegend=False,
                xaxis="x3",
                yaxis="y3",
            ),
        ]

    def title(self, state) -> str:
        i, j = state
        z1, z2 = self._z(state)
        p = self.sweep.probabilities
        return (
            f"z = ({z1:+.2f}, {z2:+.2f}), the N(0, 1) quantiles at "
            f"p = ({float(p[i]):.2f}, {float(p[j]):.2f})"
        )

    def grid_image(self) -> torch.Tensor:
        """The (8n, 8n) mosaic of all decodings: tile (i, j) at column i, row n - 1 - j."""
        d = self.sweep.decoded.flip(1)  # (n, n, 8, 8) with j reversed: largest z₂ on top
        return d.permute(1, 2, 0, 3).reshape(8 * self.n, 8 * self.n)

    def base_figure(self, widget: bool = False):
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        fig = make_subplots(
            rows=1,
            cols=3,
            column_widths=[0.4, 0.22, 0.38],
            horizontal_spacing=0.06,
            subplot_titles=(
                "test images at their encoder means",
                "decoded at z",
                "decoded on the quantile grid",
            ),
        )
        for tr in self.traces((self.n // 2, self.n // 2)):
            fig.add_trace(tr)
        codes, labels = self.sweep.codes, self.sweep.labels
        for c in sorted(set(labels.tolist())):
            pts = codes[labels == c]
            fig.add_trace(
                go.Scatter(
                    x=round_data(pts[:, 0]),
                    y=round_data(pts[:, 1]),
                    mode="markers",
                    name=str(c),
                    marker=dict(size=5, opacity=0.7),
                ),
                row=1,
                col=1,
            )
        fig.add_trace(
            go.Heatmap(
                z=round_data(self.grid_image(), 2),
                zmin=0.0,
                zmax=1.0,
                colorscale=INK,
                showscale=False,
                hoverinfo="skip",
            ),
            row=1,
            col=3,
        )
        fig.update_xaxes(title_text="z₁", row=1, col=1)
        fig.update_yaxes(title_text="z₂", scaleanchor="x", scaleratio=1, row=1, col=1)
        for col, anchor in ((2, "x2"), (3, "x3")):
            fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, row=1, col=col)
            fig.update_yaxes(
                autorange="reversed",
                scaleanchor=anchor,
                showticklabels=False,
                showgrid=False,
                zeroline=False,
                row=1,
                col=col,
            )
        fig.update_layout(
            height=430,
            margin=dict(l=40, r=20, t=80, b=40),
            legend=dict(title=dict(text="label"), orientation="h", y=-0.12),
            template="plotly_white",
        )
        if not widget:
            return fig
        # the live face is born drawn at the grid's centre, title included
        fig.update_layout(
            title=dict(text=self.title((self.n // 2, self.n // 2)), font=dict(size=13))
        )
        return live_figure(fig)


def snake_path(n: int) -> list[tuple[int, int]]:
    """All n x n grid indices, row by row with every other row reversed (neighbours adjacent)."""
    return [(i if j % 2 == 0 else n - 1 - i, j) for j in range(n) for i in range(n)]


def vae_sweep_figure(sweep: LatentSweep, *, path: list[tuple[int, int]] | None = None):
    """Static twin: one slider step (and animation frame) per grid point along ``path``
    (default: ``snake_path``, the whole grid), starting at the centre. Works without a kernel."""
    draw = _SweepDrawing(sweep)
    path = snake_path(draw.n) if path is None else [tuple(s) for s in path]
    for i, j in path:
        if not (0 <= i < draw.n and 0 <= j < draw.n):
            raise ValueError(f"path index ({i}, {j}) is outside the {draw.n} x {draw.n} grid")
    centre = (draw.n // 2, draw.n // 2)
    start = path.index(centre) if centre in path else 0
    return stepped_figure(
        draw.base_figure(),
        path,
        draw.traces,
        labels=[f"({float(sweep.values[i]):+.2f}, {float(sweep.values[j]):+.2f})" for i, j in path],
        title=draw.title,
        prefix="z = ",
        start=start,
        play=True,
        frame_ms=150,
    )


class VaeSweepExplorer:
    """Live face: one slider per latent coordinate over the quantile grid, same drawing as the
    book. ``select(i=, j=)`` is what the sliders call; ``show()`` returns the widget."""

    def __init__(self, sweep: LatentSweep):
        import ipywidgets as W

        self.sweep = sweep
        self.draw = _SweepDrawing(sweep)
        self.fig = self.draw.base_figure(widget=True)
        options = [(f"{float(v):+.2f}", k) for k, v in enumerate(sweep.values)]
        mid = self.draw.n // 2
        self.sliders = [
            W.SelectionSlider(
                options=options,
                value=mid,
                description=name,
                continuous_update=True,
                layout=W.Layout(width="360px"),
            )
            for name in ("z₁", "z₂")
        ]
        for s in self.sliders:
            s.observe(lambda _: self.select(), names="value")
        # born drawn at the grid's centre: no update before the first render (live_figure)

    @property
    def state(self) -> tuple[int, int]:
        return self.sliders[0].value, self.sliders[1].value

    def select(self, i: int | None = None, j: int | None = None) -> tuple[int, int]:
        """Move to grid point (i, j) (None keeps a coordinate) and redraw; returns the state."""
        for k, idx in ((0, i), (1, j)):
            if idx is None:
                continue
            if not isinstance(idx, int) or not 0 <= idx < self.draw.n:
                raise ValueError(
                    f"grid index must be an integer in [0, {self.draw.n}), got {idx!r}"
                )
            if self.sliders[k].value != idx:
                self.sliders[k].value = idx  # re-enters select() through the observer
        state = self.state
        with self.fig.batch_update():
            for trace, new in zip(self.fig.data, self.draw.traces(state), strict=False):
                trace.update(new)
            self.fig.layout.title.text = self.draw.title(state)
        return state

    def show(self):
        import ipywidgets as W

        return W.VBox([W.HBox(self.sliders), self.fig])


def vae_explorer(model=None, x=None, labels=None, *, sweep: LatentSweep | None = None, **options):
    """Live latent sweep (ipywidgets); returns a ``VaeSweepExplorer``, display ``.show()``.

    Pass either a precomputed ``sweep`` (the static figure's) or model, x, labels and
    ``latent_sweep`` options (steps=, low=, high=)."""
    if sweep is None:
        if model is None or x is None or labels is None:
            raise ValueError("give either sweep= or model, x and labels to build one")
        sweep = latent_sweep(model, x, labels, **options)
    return VaeSweepExplorer(sweep)
