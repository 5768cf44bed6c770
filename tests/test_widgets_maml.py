"""The k-shot explorer: states come from course_lib.meta / bayes, both faces draw the same
traces, and every control visibly changes the figure."""

import numpy as np
import pytest
import torch

from course_lib import bayes, meta
from course_lib.widgets import maml as W

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def setup():
    params = meta.init_params(0)
    model = bayes.BayesHyperMAML(seed=0)
    torch.nn.init.normal_(model.hyper.head.weight, std=0.05)
    tasks = meta.sinusoid_tasks(3, 6, 1, seed=5)
    states = W.maml_states(params, tasks, max_steps=4, inner_lr=0.05, bayes_model=model, n_grid=40)
    return params, model, tasks, states


def test_states_are_the_adapted_models_and_the_bayesian_predictive(setup):
    params, model, tasks, states = setup
    assert states.adapted.shape == (3, 6, 5, 40) and states.band_mean.shape == (3, 6, 40)
    grid = torch.linspace(-5, 5, 40)[:, None]
    for task, k, steps in ((0, 1, 0), (1, 3, 2), (2, 6, 4)):
        x, y = tasks.x_support[task, :k], tasks.y_support[task, :k]
        adapted = meta.inner_adapt(params, x, y, steps, 0.05)
        want = meta.predict(adapted, grid)[:, 0].detach().numpy()
        np.testing.assert_allclose(states.adapted[task, k - 1, steps], want, atol=1e-5)
        truth = tasks.amplitude[task] * torch.sin(grid[:, 0] - tasks.phase[task])
        err = float(((torch.as_tensor(want) - truth) ** 2).mean())
        assert states.mse[task, k - 1, steps] == pytest.approx(err, rel=1e-4)
    mean, std = bayes.hyper_predictive(
        model, tasks.x_support[:, :2], tasks.y_support[:, :2], grid.expand(3, 40, 1), seed=2
    )
    np.testing.assert_allclose(states.band_mean[:, 1], mean[..., 0].numpy(), atol=1e-6)
    np.testing.assert_allclose(states.band_std[:, 1], std[..., 0].numpy(), atol=1e-6)


def test_static_figure_steps_through_k_and_steps(setup):
    *_, states = setup
    fig = W.maml_figure(states, task=1, ks=(1, 6), steps=(0, 4))
    assert [s.label for s in fig.layout.sliders[0].steps] == [
        "k=1, 0 steps",
        "k=1, 4 steps",
        "k=6, 0 steps",
        "k=6, 4 steps",
    ]
    curves = [np.array(f.data[5].y, dtype=float) for f in fig.frames]
    np.testing.assert_allclose(curves[3], states.adapted[1, 5, 4], atol=1e-3)
    assert not np.allclose(curves[2], curves[3])  # steps move the curve
    assert len(fig.frames[0].data[6].x) == 1 and len(fig.frames[2].data[6].x) == 6


def test_live_face_draws_what_the_static_face_draws(setup):
    *_, states = setup
    fig = W.maml_figure(states, task=2, ks=(2, 5), steps=(1, 3))
    live = W.maml_explorer(states)
    labels = [s.label for s in fig.layout.sliders[0].steps]
    for frame, label in zip(fig.frames, labels, strict=True):
        k, s = int(label.split(",")[0][2:]), int(label.split()[1])
        live.select(task=2, k=k, steps=s, band=True)
        for i in range(7):
            assert list(live.fig.data[i].y) == list(frame.data[i].y), (label, i)
        assert live.fig.layout.title.text == frame.layout.title.text


def test_every_control_changes_the_figure(setup):
    *_, states = setup
    live = W.maml_explorer(states, task=0, k=3, steps=1)

    def snapshot():
        return [tuple(tr.y) for tr in live.fig.data] + [live.fig.layout.title.text]

    for control, value in (
        (live.task, 1),
        (live.k, 5),
        (live.steps, 3),
        (live.band, "band off"),
        (live.band, "band on"),
    ):
        before = snapshot()
        control.value = value
        assert snapshot() != before, control.description
    live.band.value = "band off"
    assert len(live.fig.data[0].y) == 0 and len(live.fig.data[6].x) == 5


def test_diverged_curves_become_gaps():
    assert W._curve(np.array([1.23456, np.inf, np.nan, 1e6])) == [1.235, None, None, None]


def test_bad_input_raises_clearly(setup):
    params, _, tasks, states = setup
    live = W.maml_explorer(states)
    with pytest.raises(ValueError, match="k must be"):
        live.select(k=0)
    with pytest.raises(ValueError, match="steps must be"):
        live.select(steps=9)
    with pytest.raises(ValueError, match="task must be"):
        W.maml_figure(states, task=3)
    with pytest.raises(TypeError, match="tasks must be"):
        W.maml_states(params, tasks.x_support)
    with pytest.raises(ValueError, match="max_steps"):
        W.maml_states(params, tasks, max_steps=-1)


def test_live_face_is_born_drawn_with_its_first_state(setup):
    *_, states = setup
    live = W.maml_explorer(states, task=1, k=4, steps=2)
    draw = W._MamlDrawing(states)
    want = draw.traces((1, 4, 2, True))
    assert list(live.fig.data[5].y) == want[5]["y"] and list(live.fig.data[6].x) == want[6]["x"]
    assert live.fig.layout.title.text == draw.title((1, 4, 2, True))
