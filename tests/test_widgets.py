"""Both faces of the Sinkhorn explorer come from one code path and actually respond."""

import numpy as np
import pytest
import torch

from course_lib import data, widgets
from course_lib import ot as cot

EPS = [3.0, 0.3, 0.03]


@pytest.fixture(scope="module")
def clouds():
    return data.sample_2d("moons", 12, seed=0), data.gaussian_ring(12, std=0.15, seed=1)


@pytest.fixture(scope="module")
def frames(clouds):
    return widgets.sinkhorn_sweep(*clouds, EPS)


def test_frames_match_the_solver(clouds, frames):
    x, y = clouds
    u = torch.full((12,), 1 / 12, dtype=torch.float64)
    for fr in frames:
        ref = cot.solve_sinkhorn(u, u, cot.cost_matrix(x, y), fr.eps, tol=1e-4, max_iter=2000)
        assert torch.allclose(fr.plan, ref.plan) and fr.n_iter == ref.n_iter


def test_static_figure_has_a_step_per_epsilon_and_steps_change_the_plan(clouds, frames):
    fig = widgets.sinkhorn_figure(*clouds, frames)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == [f"{e:.3g}" for e in EPS]
    assert len(fig.frames) == len(EPS)
    heat = [np.array(f.data[-1].z) for f in fig.frames]
    assert not np.allclose(heat[0], heat[-1])  # the plan sharpens as eps shrinks
    # at small eps the matched-order heat map concentrates on its diagonal
    assert np.trace(heat[-1]) > 0.7 * heat[-1].sum()
    assert np.trace(heat[0]) < 0.5 * heat[0].sum()


def test_live_face_draws_what_the_static_face_draws(clouds, frames):
    fig = widgets.sinkhorn_figure(*clouds, frames)
    live = widgets.sinkhorn_explorer(*clouds, EPS, frames=frames)
    for k, eps in enumerate(EPS):
        live.select(eps=eps)
        static = fig.frames[k]
        assert np.allclose(np.array(live.fig.data[4].z), np.array(static.data[-1].z))
        assert list(live.fig.data[0].x) == list(static.data[0].x)
        assert live.fig.layout.title.text == static.layout.title.text


def test_live_figure_is_born_with_its_first_frame(clouds, frames):
    """No update may be needed before the first render: the widget starts fully drawn."""
    live = widgets.sinkhorn_explorer(*clouds, EPS, frames=frames)
    start = live.frame(live.eps_slider.value, live.method.value)
    drawn = live.draw.traces(start)
    assert np.allclose(np.array(live.fig.data[4].z), np.array(drawn[-1]["z"]))
    assert live.fig.layout.title.text == live.draw.title(start)
    assert start.status in live.status.value


def test_live_method_toggle_reports_breakdown():
    x = data.sample_2d("moons", 10, seed=0) * 20  # large costs: plain underflows at eps=0.01
    y = data.gaussian_ring(10, seed=1)
    live = widgets.sinkhorn_explorer(x, y, [0.01, 1.0])
    fr = live.select(method="plain")
    live.select(eps=0.01)
    assert fr.plan is None and "breaks down" in fr.status
    assert "breaks down" in live.fig.layout.title.text
    assert "breaks down" in live.status.value
    assert live.select(method="log").plan is not None


def test_show_figure_emits_plotly_json_and_stable_html(clouds, frames, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    fig = widgets.sinkhorn_figure(*clouds, frames)
    widgets.show_figure(fig, name="probe")
    widgets.show_figure(fig, name="probe")
    bundle = shown[0]
    assert set(bundle) == {"application/vnd.plotly.v1+json", "text/html", "text/plain"}
    assert 'id="fig-probe"' in bundle["text/html"] and "Plotly.newPlot" in bundle["text/html"]
    assert "cdn" not in bundle["text/html"].lower() and len(bundle["text/html"]) < 500_000
    assert shown[0]["text/html"] == shown[1]["text/html"]  # identical on every run
    assert "Plotly.animate" not in bundle["text/html"]  # no auto-play: the reader drives the slider


def test_live_figure_opens_its_widget_model_with_the_traces(monkeypatch):
    """plotly's FigureWidget opens its comm with empty data (a race in JupyterLab); ours not."""
    import ipywidgets
    import plotly.graph_objects as go

    opened = []
    original = ipywidgets.Widget.open

    def spy(self):
        state = self.get_state()
        if "_widget_data" in state:
            opened.append((len(state["_widget_data"]), state["_widget_layout"].get("height")))
        return original(self)

    monkeypatch.setattr(ipywidgets.Widget, "open", spy)
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout=dict(height=260))
    go.FigureWidget(fig)
    assert opened.pop() == (0, None), "plotly changed: its widget now opens with data"
    live = widgets.live_figure(fig)
    assert opened == [(1, 260)]
    assert live.comm is not None
    live.data[0].y = [5, 6]  # still an ordinary FigureWidget afterwards
    assert tuple(live.data[0].y) == (5, 6)
