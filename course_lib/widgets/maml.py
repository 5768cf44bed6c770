"""Chapter 6's interactive piece: adapt a meta-learned regressor to k shots of a sinusoid.

``maml_states`` precomputes, for a few fixed test tasks, every k (1..K) and every number of
inner steps (0..S): the MAML-adapted curve, its query MSE and, optionally, the Bayesian
HyperMAML predictive band. ``maml_figure`` (static twin: a slider over (k, steps)) and
``maml_explorer`` (live: task dropdown, k and steps sliders, band toggle) draw them with the
same ``_MamlDrawing``, so a callback only looks up arrays and redraws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import meta
from .display import live_figure, round_data, stepped_figure

__all__ = ["MamlExplorer", "MamlStates", "maml_explorer", "maml_figure", "maml_states"]


@dataclass(frozen=True)
class MamlStates:
    """Everything both faces draw. T tasks, K shots at most, S inner steps at most, G grid.

    truth (T, G); x_support, y_support (T, K); prior (G,) = f_θ on the grid;
    adapted (T, K, S + 1, G): curve after ``steps`` steps on the first k shots (index k - 1);
    mse (T, K, S + 1): its MSE against the truth on the grid;
    band_mean, band_std (T, K, G) or None: Bayesian HyperMAML predictive mean and std.
    """

    grid: np.ndarray
    truth: np.ndarray
    x_support: np.ndarray
    y_support: np.ndarray
    prior: np.ndarray
    adapted: np.ndarray
    mse: np.ndarray
    amplitude: np.ndarray
    phase: np.ndarray
    inner_lr: float
    band_mean: np.ndarray | None = None
    band_std: np.ndarray | None = None

    @property
    def n_tasks(self) -> int:
        return self.truth.shape[0]

    @property
    def max_k(self) -> int:
        return self.adapted.shape[1]

    @property
    def max_steps(self) -> int:
        return self.adapted.shape[2] - 1

    def check(self, task: int, k: int, steps: int) -> None:
        for value, name, low, high in (
            (task, "task", 0, self.n_tasks - 1),
            (k, "k", 1, self.max_k),
            (steps, "steps", 0, self.max_steps),
        ):
            if not isinstance(value, (int, np.integer)) or not low <= value <= high:
                raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")


def maml_states(
    params: dict[str, torch.Tensor],
    tasks: meta.Tasks,
    *,
    max_steps: int = 10,
    inner_lr: float = 0.01,
    bayes_model=None,
    n_grid: int = 100,
    n_band_samples: int = 50,
) -> MamlStates:
    """Adapt θ = ``params`` to each task's first k support points for k = 1..K (K = the
    support size of ``tasks``) and record the curve after 0..max_steps inner steps.

    bayes_model: a ``course_lib.bayes.BayesHyperMAML`` for the uncertainty band (optional).
    """
    if not isinstance(tasks, meta.Tasks):
        raise TypeError(f"tasks must be course_lib.meta.Tasks, got {type(tasks).__name__}")
    if not isinstance(max_steps, int) or max_steps < 0:
        raise ValueError(f"max_steps must be an int >= 0, got {max_steps!r}")
    T, K = tasks.x_support.shape[:2]
    grid = torch.linspace(*meta.X_RANGE, n_grid)
    xg = grid.expand(T, n_grid)[..., None]  # (T, G, 1)
    truth = meta.sinusoid(xg, tasks.amplitude[:, None, None], tasks.phase[:, None, None])
    theta = {k: v.detach() for k, v in params.items()}
    adapted = torch.empty(T, K, max_steps + 1, n_grid)
    for k in range(1, K + 1):
        p = meta.inner_adapt(theta, tasks.x_support[:, :k], tasks.y_support[:, :k], 0)
        for s in range(max_steps + 1):
            if s:
                p = meta.inner_adapt(
                    p, tasks.x_support[:, :k], tasks.y_support[:, :k], 1, inner_lr, True
                )
                p = {name: v.detach() for name, v in p.items()}
            with torch.no_grad():
                adapted[:, k - 1, s] = meta.predict(p, xg)[..., 0]
    mse = ((adapted - truth[:, None, None, :, 0]) ** 2).mean(-1)
    band_mean = band_std = None
    if bayes_model is not None:
        from ..bayes import hyper_predictive

        band_mean, band_std = torch.empty(T, K, n_grid), torch.empty(T, K, n_grid)
        for k in range(1, K + 1):
            m, s = hyper_predictive(
                bayes_model,
                tasks.x_support[:, :k],
                tasks.y_support[:, :k],
                xg,
                n_samples=n_band_samples,
                seed=k,
            )
            band_mean[:, k - 1], band_std[:, k - 1] = m[..., 0], s[..., 0]
        band_mean, band_std = band_mean.numpy(), band_std.numpy()
    with torch.no_grad():
        prior = meta.predict(theta, grid[:, None])[:, 0]
    return MamlStates(
        grid.numpy(),
        truth[..., 0].numpy(),
        tasks.x_support[..., 0].numpy(),
        tasks.y_support[..., 0].numpy(),
        prior.numpy(),
        adapted.numpy(),
        mse.numpy(),
        tasks.amplitude.numpy(),
        tasks.phase.numpy(),
        float(inner_lr),
        band_mean,
        band_std,
    )


def _curve(values: np.ndarray, limit: float = 1e3) -> list:
    """Rounded plot data; values that blew up (a diverging inner loop) become gaps (None)."""
    return [round(float(v), 3) if np.isfinite(v) and abs(v) < limit else None for v in values]


class _MamlDrawing:
    """Traces: band (lower, upper filled), band mean, truth, prior, adapted curve, support."""

    def __init__(self, states: MamlStates):
        self.s = states
        self.x = round_data(states.grid)

    def traces(self, state: tuple[int, int, int, bool]) -> list[dict]:
        task, k, steps, band = state
        s = self.s
        s.check(task, k, steps)
        has_band = bool(band) and s.band_mean is not None
        lower = upper = mean = []
        x_band = self.x if has_band else []
        if has_band:
            m, sd = s.band_mean[task, k - 1], s.band_std[task, k - 1]
            lower, upper, mean = round_data(m - 2 * sd), round_data(m + 2 * sd), round_data(m)
        line = dict(type="scatter", mode="lines")
        return [
            dict(
                line,
                x=x_band,
                y=lower,
                line=dict(width=0, color="rgba(148,103,189,0.3)"),
                name="Bayesian HyperMAML ± 2 std",
                showlegend=False,
                hoverinfo="skip",
            ),
            dict(
                line,
                x=x_band,
                y=upper,
                fill="tonexty",
                fillcolor="rgba(148,103,189,0.25)",
                line=dict(width=0, color="rgba(148,103,189,0.3)"),
                name="Bayesian HyperMAML ± 2 std",
                hoverinfo="skip",
            ),
            dict(
                line,
                x=x_band,
                y=mean,
                name="Bayesian HyperMAML mean",
                line=dict(color="#9467bd", dash="dot", width=2),
            ),
            dict(
                line,
                x=self.x,
                y=round_data(s.truth[task]),
                name="true sinusoid",
                line=dict(color="#7f7f7f", width=2),
            ),
            dict(
                line,
                x=self.x,
                y=round_data(s.prior),
                name="meta-learned prior f_θ",
                line=dict(color="#1f77b4", dash="dash", width=2),
            ),
            dict(
                line,
                x=self.x,
                y=round_data(s.adapted[task, k - 1, steps]),
                name=f"MAML after {steps} step(s)",
                line=dict(color="#d62728", width=3),
            ),
            dict(
                type="scatter",
                mode="markers",
                x=round_data(s.x_support[task, :k]),
                y=round_data(s.y_support[task, :k]),
                name=f"{k} support point(s)",
                marker=dict(color="black", size=10, symbol="x"),
            ),
        ]

    def title(self, state) -> str:
        task, k, steps, band = state
        s = self.s
        text = (
            f"task {task} (A = {s.amplitude[task]:.2f}, φ = {s.phase[task]:.2f}), k = {k}, "
            f"{steps} step(s) of lr {s.inner_lr:g}: MSE {s.mse[task, k - 1, steps]:.3g} "
            f"(prior {s.mse[task, k - 1, 0]:.3f})"
        )
        if not s.mse[task, k - 1, steps] < 1e3:
            text += ": the inner loop diverged"
        if band and s.band_mean is not None:
            err = float(((s.band_mean[task, k - 1] - s.truth[task]) ** 2).mean())
            text += f", Bayesian HyperMAML MSE {err:.3f}"
        return text

    def base_figure(self, widget: bool = False, state=None):
        """The figure with ``state`` drawn (task 0, k = 1, 0 steps when None).

        The live face passes its first state here, so its ``FigureWidget`` is born drawn and
        no update is sent before a view exists (such updates can be lost in JupyterLab).
        """
        import plotly.graph_objects as go

        fig = go.Figure()
        for tr in self.traces(state or (0, 1, 0, True)):
            fig.add_trace(tr)
        if state is not None:
            fig.update_layout(title=dict(text=self.title(state), font=dict(size=13)))
        lim = float(np.abs(self.s.truth).max()) + 1.5
        fig.update_xaxes(title_text="x", range=list(meta.X_RANGE))
        fig.update_yaxes(title_text="y", range=[-lim, lim])
        fig.update_layout(
            height=440,
            margin=dict(l=50, r=20, t=70, b=40),
            legend=dict(orientation="h", y=-0.18),
            template="plotly_white",
        )
        return live_figure(fig) if widget else fig


def maml_figure(
    states: MamlStates,
    *,
    task: int = 0,
    ks=(1, 2, 5, 10),
    steps=(0, 1, 2, 5, 10),
    band: bool = True,
):
    """Static twin: one task, a slider over the (k, steps) pairs given. Works without a kernel."""
    draw = _MamlDrawing(states)
    grid = [(task, int(k), int(s), band) for k in ks for s in steps]
    for st in grid:
        states.check(*st[:3])
    return stepped_figure(
        draw.base_figure(),
        grid,
        draw.traces,
        labels=[f"k={k}, {s} step{'s' if s != 1 else ''}" for _, k, s, _ in grid],
        title=draw.title,
        prefix="",
        start=grid.index((task, int(ks[-1]), int(steps[1 if len(steps) > 1 else 0]), band)),
    )


class MamlExplorer:
    """Live face: task dropdown, k slider, steps slider, band toggle; precomputed states.

    ``select(task=, k=, steps=, band=)`` is what the controls call; ``show()`` returns the
    ipywidgets container.
    """

    def __init__(self, states: MamlStates, *, task: int = 0, k: int = 5, steps: int = 1):
        import ipywidgets as W

        states.check(task, k, steps)
        self.states = states
        self.draw = _MamlDrawing(states)
        first = (task, k, steps, states.band_mean is not None)
        self.fig = self.draw.base_figure(widget=True, state=first)
        self._drawn = self.draw.traces(first)  # the traces on screen, to skip unchanged ones
        self.task = W.Dropdown(
            options=[
                (f"task {i}: A = {a:.2f}, φ = {p:.2f}", i)
                for i, (a, p) in enumerate(zip(states.amplitude, states.phase, strict=True))
            ],
            value=task,
            description="task",
        )
        self.k = W.IntSlider(value=k, min=1, max=states.max_k, description="k shots")
        self.steps = W.IntSlider(value=steps, min=0, max=states.max_steps, description="steps")
        options = ["band on", "band off"] if states.band_mean is not None else ["no band"]
        self.band = W.ToggleButtons(options=options, value=options[0], description="Bayes")
        for control in (self.task, self.k, self.steps, self.band):
            control.observe(lambda _: self.select(), names="value")

    @property
    def state(self) -> tuple[int, int, int, bool]:
        return (self.task.value, self.k.value, self.steps.value, self.band.value == "band on")

    def select(self, *, task=None, k=None, steps=None, band=None):
        """Set any controls given (each redraws through its observer) and return the state."""
        if any(v is not None for v in (task, k, steps, band)):
            st = self.state
            self.states.check(
                st[0] if task is None else task,
                st[1] if k is None else k,
                st[2] if steps is None else steps,
            )
            for control, value in ((self.task, task), (self.k, k), (self.steps, steps)):
                if value is not None:
                    control.value = value
            if band is not None and self.states.band_mean is not None:
                self.band.value = "band on" if band else "band off"
            return self.state
        st = self.state
        new = self.draw.traces(st)
        with self.fig.batch_update():  # redraw only the traces that changed (steps: one curve)
            for i, (trace, tr) in enumerate(zip(self.fig.data, new, strict=True)):
                if self._drawn[i] != tr:
                    trace.update(tr)
            self.fig.layout.title.text = self.draw.title(st)
        self._drawn = new
        return st

    def show(self):
        import ipywidgets as W

        return W.VBox([W.HBox([self.task, self.band]), W.HBox([self.k, self.steps]), self.fig])


def maml_explorer(states: MamlStates, **start) -> MamlExplorer:
    """Live k-shot explorer (ipywidgets); display ``.show()``. start: task=, k=, steps=."""
    return MamlExplorer(states, **start)
