"""Chapter 5's interactive piece: watch mode collapse, vanilla GAN vs WGAN-GP side by side.

The states are *training snapshots*: generator samples (from one fixed noise batch) stored at
about 20 steps of two runs on the 8-Gaussian ring (checkpoint ``gans.collapse``). Each state
also carries the mode-coverage metric of both runs. ``collapse_figure`` is the static twin (a
plotly animation: slider + play button); ``collapse_explorer`` the live face (a snapshot
slider with a Play control linked to it). Both draw with the same ``_CollapseDrawing``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import data
from ..gan_metrics import ModeCoverage, mode_coverage
from .display import live_figure, round_data, stepped_figure

__all__ = [
    "CollapseExplorer",
    "CollapseState",
    "collapse_explorer",
    "collapse_figure",
    "collapse_states",
]

COLORS = ("#d62728", "#1f77b4")


@dataclass(frozen=True)
class CollapseState:
    """One snapshot: the training step and, per run, its samples (n, 2) and mode coverage."""

    step: int
    samples: tuple[torch.Tensor, ...]
    coverage: tuple[ModeCoverage, ...]


def collapse_states(
    steps, runs: dict[str, torch.Tensor], *, modes=None, std: float = 0.02
) -> list[CollapseState]:
    """Package snapshots for drawing. steps (S,); runs: name -> samples (S, n, 2)."""
    if not runs:
        raise ValueError("runs is empty; pass e.g. {'GAN': samples, 'WGAN-GP': samples}")
    steps = [int(s) for s in steps]
    for name, x in runs.items():
        if x.ndim != 3 or x.shape[0] != len(steps) or x.shape[2] != 2:
            raise ValueError(
                f"runs[{name!r}] must have shape ({len(steps)}, n, 2) (one snapshot per step), "
                f"got {tuple(x.shape)}"
            )
    modes = data.ring_modes() if modes is None else modes
    states = []
    for k, step in enumerate(steps):
        samples = tuple(x[k].double() for x in runs.values())
        states.append(
            CollapseState(step, samples, tuple(mode_coverage(s, modes, std) for s in samples))
        )
    return states


class _CollapseDrawing:
    """One panel per run: generator samples (changing) over the data and its modes (fixed)."""

    def __init__(self, names, *, modes=None, reference=None):
        self.names = list(names)
        self.modes = data.ring_modes() if modes is None else modes
        self.reference = data.gaussian_ring(600, seed=123) if reference is None else reference

    def traces(self, state: CollapseState) -> list[dict]:
        return [
            dict(
                type="scatter",
                x=round_data(x[:, 0]),
                y=round_data(x[:, 1]),
                mode="markers",
                marker=dict(color=COLORS[i % 2], size=4, opacity=0.6),
                name=f"{name} samples",
                showlegend=False,
                xaxis="x" if i == 0 else f"x{i + 1}",
                yaxis="y" if i == 0 else f"y{i + 1}",
            )
            for i, (name, x) in enumerate(zip(self.names, state.samples, strict=True))
        ]

    def title(self, state: CollapseState) -> str:
        parts = [
            f"{name}: {c.covered}/{c.n_modes} modes, {100 * c.high_quality:.0f}% high quality"
            for name, c in zip(self.names, state.coverage, strict=True)
        ]
        return f"step {state.step} — " + " | ".join(parts)

    def base_figure(self, widget: bool = False, state: CollapseState | None = None):
        """The panels with ``state`` drawn (no samples when None); a live figure if asked
        (born drawn: the live face sends no update before its first render)."""
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        n = len(self.names)
        fig = make_subplots(rows=1, cols=n, subplot_titles=self.names, horizontal_spacing=0.06)
        empty = torch.zeros(0, 2)
        placeholder = CollapseState(0, tuple(empty for _ in self.names), ())
        if state is not None:
            fig.update_layout(title=dict(text=self.title(state), font=dict(size=13)))
        for i, tr in enumerate(self.traces(state or placeholder)):
            fig.add_trace(go.Scatter(tr), row=1, col=i + 1)
        for i in range(n):
            fig.add_trace(
                go.Scatter(
                    x=round_data(self.reference[:, 0]),
                    y=round_data(self.reference[:, 1]),
                    mode="markers",
                    marker=dict(color="rgba(0, 0, 0, 0.25)", size=3),
                    name="data",
                    showlegend=i == 0,
                    hoverinfo="skip",
                ),
                row=1,
                col=i + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=round_data(self.modes[:, 0]),
                    y=round_data(self.modes[:, 1]),
                    mode="markers",
                    marker=dict(symbol="x-thin", size=10, line=dict(width=2, color="black")),
                    name="modes",
                    showlegend=i == 0,
                ),
                row=1,
                col=i + 1,
            )
        fig.update_xaxes(range=[-3, 3])
        fig.update_yaxes(range=[-3, 3])
        for i in range(n):
            fig.update_yaxes(scaleanchor=f"x{i + 1 if i else ''}", row=1, col=i + 1)
        fig.update_layout(
            height=440,
            margin=dict(l=30, r=20, t=90, b=40),
            legend=dict(orientation="h", y=-0.12, x=1, xanchor="right"),
            template="plotly_white",
        )
        return live_figure(fig) if widget else fig


def collapse_figure(states: list[CollapseState], names, *, start: int | None = None):
    """Static twin: a plotly animation (slider + play/pause) over the snapshots."""
    if not states:
        raise ValueError("states is empty; build them with collapse_states(...)")
    draw = _CollapseDrawing(names)
    return stepped_figure(
        draw.base_figure(),
        states,
        draw.traces,
        labels=[str(s.step) for s in states],
        title=draw.title,
        prefix="training step ",
        start=len(states) - 1 if start is None else start,
        play=True,
    )


class CollapseExplorer:
    """Live face: snapshot slider + Play (jslinked) redrawing the same panels as the book."""

    def __init__(self, states: list[CollapseState], names):
        import ipywidgets as W

        if not states:
            raise ValueError("states is empty; build them with collapse_states(...)")
        self.states = states
        self.draw = _CollapseDrawing(names)
        self.fig = self.draw.base_figure(widget=True, state=states[0])
        last = len(states) - 1
        self.slider = W.IntSlider(
            value=0,
            min=0,
            max=last,
            step=1,
            description="snapshot",
            continuous_update=True,
            layout=W.Layout(width="420px"),
        )
        self.play = W.Play(value=0, min=0, max=last, step=1, interval=400, description="play")
        W.jslink((self.play, "value"), (self.slider, "value"))
        self.label = W.HTML(f"<code>training step {states[0].step}</code>")
        self.slider.observe(lambda change: self.select(change["new"]), names="value")

    def select(self, index: int) -> CollapseState:
        """Draw snapshot ``index`` (what the slider and the Play control call)."""
        if not 0 <= int(index) < len(self.states):
            raise ValueError(f"index must be in [0, {len(self.states) - 1}], got {index}")
        state = self.states[int(index)]
        with self.fig.batch_update():
            for trace, new in zip(self.fig.data, self.draw.traces(state), strict=False):
                trace.update(x=new["x"], y=new["y"])
            self.fig.layout.title.text = self.draw.title(state)
        self.label.value = f"<code>training step {state.step}</code>"
        return state

    def show(self):
        import ipywidgets as W

        return W.VBox([W.HBox([self.play, self.slider, self.label]), self.fig])


def collapse_explorer(states: list[CollapseState], names) -> CollapseExplorer:
    """Live "watch mode collapse" widget; display ``.show()``."""
    return CollapseExplorer(states, names)
