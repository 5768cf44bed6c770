"""Chapter 3's interactive piece: tune Sinkhorn's ε and watch plan, cost and rounds.

``sinkhorn_sweep`` solves at each ε of a grid; ``sinkhorn_figure`` (static twin, a slider
over the precomputed frames) and ``sinkhorn_explorer`` (live: ε slider and method toggle)
draw them with the same ``_PlanDrawing``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .. import ot
from .display import live_figure, round_data, stepped_figure

__all__ = [
    "SinkhornFrame",
    "sinkhorn_explorer",
    "sinkhorn_figure",
    "sinkhorn_frame",
    "sinkhorn_sweep",
]


# ---------------------------------------------------------------- chapter 3: Sinkhorn explorer
@dataclass(frozen=True)
class SinkhornFrame:
    """One state of the Sinkhorn explorer: the plan at one ε and how it was obtained.

    plan (n, m) is None when the method broke down; ``status`` then says why.
    """

    eps: float
    method: str
    plan: torch.Tensor | None
    cost: float
    n_iter: int
    marginal_error: float
    status: str


def sinkhorn_frame(
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    *,
    method: str = "log",
    tol: float = 1e-4,
    max_iter: int = 2000,
) -> SinkhornFrame:
    """Solve uniform-weight entropic OT between clouds x (n, 2) and y (m, 2) under the
    squared Euclidean cost, and package the result for drawing."""
    cost = ot.cost_matrix(x, y)
    a = torch.full((len(x),), 1.0 / len(x), dtype=cost.dtype)
    b = torch.full((len(y),), 1.0 / len(y), dtype=cost.dtype)
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", RuntimeWarning
            )  # non-convergence is shown in the status
            r = ot.solve_sinkhorn(a, b, cost, eps, method=method, tol=tol, max_iter=max_iter)
    except ot.SinkhornBreakdown as err:
        return SinkhornFrame(eps, method, None, math.nan, 0, math.nan, f"breaks down: {err}")
    status = "converged" if r.converged else f"not converged after {r.n_iter} rounds"
    return SinkhornFrame(eps, method, r.plan, r.cost, r.n_iter, r.marginal_error, status)


def sinkhorn_sweep(x, y, eps_values, **options) -> list[SinkhornFrame]:
    """``sinkhorn_frame`` at each ε of ``eps_values`` (the states both explorer faces show)."""
    return [sinkhorn_frame(x, y, float(e), **options) for e in eps_values]


class _PlanDrawing:
    """Builds the explorer's traces: point clouds and plan lines (left), plan heat map (right).

    Rows and columns of the heat map are ordered so that the exact (ε -> 0) plan is the
    diagonal: sources by their first coordinate, targets by their exact-OT partner.
    """

    # plan entries, relative to the largest, drawn as lines of decreasing opacity
    BUCKETS = ((0.5, 0.95), (0.2, 0.6), (0.05, 0.3), (0.01, 0.12))
    LINES_PER_POINT = 4

    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        self.x, self.y = x.double(), y.double()
        cost = ot.cost_matrix(self.x, self.y)
        exact = ot.assignment_plan(cost) if len(x) == len(y) else None
        self.exact_cost = float((exact * cost).sum()) if exact is not None else math.nan
        self.row_order = torch.argsort(self.x[:, 0])
        if exact is not None:
            self.col_order = exact[self.row_order].argmax(1)
        else:
            self.col_order = torch.argsort(self.y[:, 0])
        self.n_traces = len(self.BUCKETS) + 1  # line buckets + heat map

    def lines(self, plan: torch.Tensor | None) -> list[dict]:
        traces = []
        rel = plan / plan.max() if plan is not None else None
        if rel is not None:  # at most LINES_PER_POINT lines leave each source point
            k = min(self.LINES_PER_POINT, rel.shape[1])
            top = torch.zeros_like(rel, dtype=torch.bool).scatter_(
                1, rel.topk(k, dim=1).indices, True
            )
        for k, (low, opacity) in enumerate(self.BUCKETS):
            high = self.BUCKETS[k - 1][0] if k else math.inf
            xs: list[float | None] = []
            ys: list[float | None] = []
            if rel is not None:
                for i, j in ((rel >= low) & (rel < high) & top).nonzero().tolist():
                    xs += [float(self.x[i, 0]), float(self.y[j, 0]), None]
                    ys += [float(self.x[i, 1]), float(self.y[j, 1]), None]
            traces.append(
                dict(
                    type="scatter",
                    x=round_data(xs),
                    y=round_data(ys),
                    mode="lines",
                    line=dict(color=f"rgba(90, 90, 90, {opacity:.2f})", width=1.5),
                    hoverinfo="skip",
                    showlegend=False,
                    xaxis="x",
                    yaxis="y",
                )
            )
        return traces

    def heatmap(self, plan: torch.Tensor | None) -> dict:
        n, m = len(self.x), len(self.y)
        z = plan[self.row_order][:, self.col_order] * n if plan is not None else torch.zeros(n, m)
        return dict(
            type="heatmap",
            z=round_data(z.tolist()),
            zmin=0.0,
            zmax=1.0,
            colorscale="Blues",
            colorbar=dict(title=dict(text="n·P"), len=0.8),
            xaxis="x2",
            yaxis="y2",
            hovertemplate="source %{y}, target %{x}: n·P = %{z:.3f}<extra></extra>",
        )

    def traces(self, frame: SinkhornFrame) -> list[dict]:
        return [*self.lines(frame.plan), self.heatmap(frame.plan)]

    def title(self, frame: SinkhornFrame) -> str:
        head = f"ε = {frame.eps:.3g} ({frame.method})"
        if frame.plan is None:
            return f"{head}: plain iteration breaks down (exp(−C/ε) underflows), use the log domain"
        return (
            f"{head}: cost ⟨P, C⟩ = {frame.cost:.4f} (exact OT {self.exact_cost:.4f}), "
            f"{frame.n_iter} iterations, {frame.status}"
        )

    def base_figure(self, widget: bool = False, frame: SinkhornFrame | None = None):
        """The figure with ``frame`` drawn (empty plan when None); a ``FigureWidget`` if asked.

        The live face passes its first frame here, so the widget is born with its traces and
        no update message is sent before a view exists (updates racing the first render
        could leave a figure empty in JupyterLab).
        """
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        fig = make_subplots(
            rows=1,
            cols=2,
            column_widths=[0.55, 0.45],
            horizontal_spacing=0.1,
            subplot_titles=(
                "plan as lines (darker = more mass)",
                "plan P, rows and columns matched",
            ),
        )
        if frame is None:
            frame = SinkhornFrame(math.nan, "", None, math.nan, 0, math.nan, "")
        else:
            fig.update_layout(title=dict(text=self.title(frame), font=dict(size=13)))
        for tr in self.traces(frame):
            fig.add_trace(tr)
        for pts, name, color in ((self.x, "source x", "#d62728"), (self.y, "target y", "#1f77b4")):
            fig.add_trace(
                go.Scatter(
                    x=round_data(pts[:, 0].tolist()),
                    y=round_data(pts[:, 1].tolist()),
                    mode="markers",
                    name=name,
                    marker=dict(color=color, size=7),
                ),
                row=1,
                col=1,
            )
        fig.update_xaxes(title_text="", row=1, col=1)
        fig.update_yaxes(scaleanchor="x", scaleratio=1, row=1, col=1)
        fig.update_xaxes(title_text="target (matched order)", row=1, col=2)
        fig.update_yaxes(title_text="source", autorange="reversed", row=1, col=2)
        fig.update_layout(
            height=460,
            margin=dict(l=40, r=20, t=90, b=40),
            legend=dict(orientation="h", y=-0.08),
            template="plotly_white",
        )
        return live_figure(fig) if widget else fig


def sinkhorn_figure(x, y, frames: list[SinkhornFrame], *, start: int | None = None):
    """Static twin: a plotly figure with one slider step per precomputed frame.

    x (n, 2), y (m, 2): the clouds; frames: from ``sinkhorn_sweep``. Works without a kernel.
    """

    draw = _PlanDrawing(x, y)
    start = len(frames) // 2 if start is None else start
    return stepped_figure(
        draw.base_figure(),
        frames,
        draw.traces,
        labels=[f"{f.eps:.3g}" for f in frames],
        title=draw.title,
        prefix="ε = ",
        start=start,
    )


class SinkhornExplorer:
    """Live face: ε slider (log-spaced grid), method toggle, and the same drawing as the book.

    Results are cached per (method, ε), so revisiting a value only redraws. ``show()``
    returns the ipywidgets container; ``select(eps=..., method=...)`` is what the controls call.
    """

    def __init__(self, x, y, eps_values, *, frames: list[SinkhornFrame] | None = None, **options):
        import ipywidgets as W

        self.x, self.y, self.options = x, y, options
        self.eps_values = [float(e) for e in eps_values]
        self._cache: dict[tuple[str, float], SinkhornFrame] = {}
        for fr in frames or []:
            self._cache[(fr.method, fr.eps)] = fr
        for method in ot.METHODS:  # precompute, so that moving a control only redraws
            for eps in self.eps_values:
                self.frame(eps, method)
        self.draw = _PlanDrawing(x, y)
        start = self.eps_values[len(self.eps_values) // 2]
        first = self.frame(start, "log")
        self.fig = self.draw.base_figure(widget=True, frame=first)
        self.eps_slider = W.SelectionSlider(
            options=[(f"{e:.3g}", e) for e in self.eps_values],
            value=start,
            description="ε (log scale)",
            continuous_update=True,
            layout=W.Layout(width="420px"),
            style={"description_width": "initial"},
        )
        self.method = W.ToggleButtons(
            options=["log", "plain"], value="log", description="iteration"
        )
        self.status = W.HTML(f"<code>{first.status}</code>")
        self.eps_slider.observe(lambda _: self.select(), names="value")
        self.method.observe(lambda _: self.select(), names="value")

    def frame(self, eps: float, method: str) -> SinkhornFrame:
        key = (method, eps)
        if key not in self._cache:
            self._cache[key] = sinkhorn_frame(self.x, self.y, eps, method=method, **self.options)
        return self._cache[key]

    def select(self, eps: float | None = None, method: str | None = None) -> SinkhornFrame:
        if eps is not None:
            self.eps_slider.value = eps  # re-enters select() through the observer
            return self.frame(eps, self.method.value)
        if method is not None:
            self.method.value = method
            return self.frame(self.eps_slider.value, method)
        fr = self.frame(self.eps_slider.value, self.method.value)
        with self.fig.batch_update():
            for trace, new in zip(self.fig.data, self.draw.traces(fr), strict=False):
                trace.update(new)
            self.fig.layout.title.text = self.draw.title(fr)
        self.status.value = f"<code>{fr.status}</code>"
        return fr

    def show(self):
        import ipywidgets as W

        return W.VBox([W.HBox([self.eps_slider, self.method]), self.fig, self.status])


def sinkhorn_explorer(
    x, y, eps_values=None, *, frames: list[SinkhornFrame] | None = None, **options
):
    """Live Sinkhorn ε explorer (ipywidgets); returns a ``SinkhornExplorer``, display ``.show()``.

    eps_values: the slider's ε grid (default 25 values from 10 down to ~0.016, log-spaced);
    frames: precomputed ``sinkhorn_sweep`` results to reuse (the static figure's).
    """
    if eps_values is None:
        eps_values = np.logspace(1, -1.8, 25)
    return SinkhornExplorer(x, y, eps_values, frames=frames, **options)
