"""Both faces of "watch mode collapse" draw the same thing, and every control changes it."""

import numpy as np
import pytest
import torch

from course_lib import data
from course_lib.gan_metrics import mode_coverage
from course_lib.widgets import gan as wg

NAMES = ["GAN", "WGAN-GP"]


@pytest.fixture(scope="module")
def snapshots():
    """Hand-made runs: the GAN collapses onto mode 0, the other one spreads over all modes."""
    g = torch.Generator().manual_seed(0)
    modes = data.ring_modes()
    steps = [0, 50, 100]
    spread = [torch.randn(64, 2, generator=g, dtype=torch.float64) for _ in steps]
    collapsing = torch.stack(
        [(1 - t) * s + t * modes[0] for t, s in zip([0, 0.5, 1], spread, strict=True)]
    )
    covering = torch.stack([data.gaussian_ring(64, seed=k) for k in range(3)])
    return steps, {"GAN": collapsing, "WGAN-GP": covering}


@pytest.fixture(scope="module")
def states(snapshots):
    return wg.collapse_states(*snapshots)


def test_states_carry_the_metric(snapshots, states):
    steps, runs = snapshots
    assert [s.step for s in states] == steps
    for k, st in enumerate(states):
        for i, x in enumerate(runs.values()):
            want = mode_coverage(x[k], data.ring_modes(), 0.02)
            assert (st.coverage[i].covered, st.coverage[i].high_quality) == (
                want.covered,
                want.high_quality,
            )
    assert states[-1].coverage[0].covered == 1 and states[-1].coverage[1].covered == 8


def test_static_twin_is_an_animation_with_one_frame_per_snapshot(states):
    fig = wg.collapse_figure(states, NAMES)
    assert len(fig.frames) == 3
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "50", "100"]
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("play" in lab for lab in labels)
    assert "GAN: 1/8 modes, 100% high quality" in fig.frames[-1].layout.title.text
    assert "WGAN-GP: 8/8 modes" in fig.frames[-1].layout.title.text
    first, last = (np.array(f.data[0].x, dtype=float) for f in (fig.frames[0], fig.frames[-1]))
    assert not np.allclose(first, last)


def test_live_face_draws_what_the_static_face_draws(states):
    fig = wg.collapse_figure(states, NAMES)
    live = wg.collapse_explorer(states, NAMES)
    for k, frame in enumerate(fig.frames):
        live.select(k)
        for i in range(2):
            assert list(live.fig.data[i].x) == list(frame.data[i].x)
            assert list(live.fig.data[i].y) == list(frame.data[i].y)
        assert live.fig.layout.title.text == frame.layout.title.text


def test_every_control_changes_the_figure(states):
    live = wg.collapse_explorer(states, NAMES)
    before = (list(live.fig.data[0].x), live.fig.layout.title.text, live.label.value)
    live.slider.value = 2  # what dragging the slider (or the linked Play) does
    after = (list(live.fig.data[0].x), live.fig.layout.title.text, live.label.value)
    assert all(b != a for b, a in zip(before, after, strict=True))
    # Play drives the slider through a front-end link over the same range
    assert (live.play.min, live.play.max) == (live.slider.min, live.slider.max)
    assert live.play.interval > 0


def test_bad_input_raises_clearly(snapshots, states):
    steps, runs = snapshots
    with pytest.raises(ValueError, match="must have shape"):
        wg.collapse_states(steps[:2], runs)
    with pytest.raises(ValueError, match="runs is empty"):
        wg.collapse_states(steps, {})
    with pytest.raises(ValueError, match="states is empty"):
        wg.collapse_figure([], NAMES)
    live = wg.collapse_explorer(states, NAMES)
    with pytest.raises(ValueError, match="index must be"):
        live.select(7)
