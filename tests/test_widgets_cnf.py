"""Both faces of the CNF animation come from one code path and every control responds."""

import numpy as np
import pytest
import torch

from course_lib import cnf
from course_lib.widgets import cnf as wcnf


def _model(seed):
    torch.manual_seed(seed)
    return cnf.CNF(2, hidden=16, n_layers=2, steps=3)


@pytest.fixture(scope="module")
def frames():
    opts = dict(n_times=4, n_samples=30, grid=10, n_arrows=4)
    return {
        "8gaussians": wcnf.cnf_frames(_model(0), "8gaussians", **opts),
        "moons": wcnf.cnf_frames(_model(1), "moons", **opts),
    }


def test_frames_are_the_models_trajectory_and_density(frames):
    fr = frames["moons"]
    model = _model(1)
    z0 = torch.randn(30, 2, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(fr.samples, model.trajectory(z0, fr.times))
    yy, xx = torch.meshgrid(fr.axis, fr.axis, indexing="ij")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    k = 2
    with torch.no_grad():
        want = model.log_prob(pts, t=float(fr.times[k]), trace="exact").exp().reshape(10, 10)
    assert torch.allclose(fr.density[k], want, rtol=1e-3, atol=1e-6)
    assert torch.allclose(fr.velocity[k], model.velocity(float(fr.times[k]), fr.arrows))


def test_static_figure_animates_one_frame_per_time(frames):
    fr = frames["8gaussians"]
    fig = wcnf.cnf_figure(fr)
    assert [s.label for s in fig.layout.sliders[0].steps] == [f"{float(t):.2f}" for t in fr.times]
    assert len(fig.frames) == 4 and fig.layout.updatemenus  # play / pause buttons
    z = [np.array(f.data[0].z) for f in fig.frames]
    xs = [np.array(f.data[1].x) for f in fig.frames]
    assert not np.allclose(z[0], z[-1]) and not np.allclose(xs[0], xs[-1])
    assert "base" in fig.frames[0].layout.title.text and "data" in fig.frames[-1].layout.title.text


def test_live_face_draws_what_the_static_face_draws(frames):
    live = wcnf.cnf_explorer(frames)
    for toy, fr in frames.items():
        fig = wcnf.cnf_figure(fr)
        for k in range(len(fr.times)):
            live.select(toy=toy, k=k)
            static = fig.frames[k]
            for tid in range(3):
                for key in ("x", "y", "z") if tid == 0 else ("x", "y"):
                    if static.data[tid][key] is not None:
                        got = np.array(getattr(live.fig.data[tid], key), dtype=float)
                        want = np.array(static.data[tid][key], dtype=float)
                        assert np.allclose(got, want, equal_nan=True), (toy, k, tid, key)
            assert live.fig.layout.title.text == static.layout.title.text


def test_every_control_changes_the_figure(frames):
    live = wcnf.cnf_explorer(frames)

    def snapshot():
        return (np.array(live.fig.data[0].z).copy(), np.array(live.fig.data[1].x).copy())

    before = snapshot()
    live.time.value = 3  # the slider (and the Play control, jslinked to its index)
    after_time = snapshot()
    assert not np.allclose(before[0], after_time[0]) and not np.allclose(before[1], after_time[1])
    live.toy.value = "moons"  # the dropdown
    after_toy = snapshot()
    assert not np.allclose(after_time[1], after_toy[1])
    assert live.play.max == len(frames["moons"].times) - 1


def test_bad_inputs_raise_clearly(frames):
    with pytest.raises(TypeError, match="model must be a 2-D"):
        wcnf.cnf_frames("model")
    with pytest.raises(TypeError, match="model must be a 2-D"):
        wcnf.cnf_frames(cnf.CNF(3, hidden=4, n_layers=1))
    with pytest.raises(ValueError, match="n_times must be an integer >= 2"):
        wcnf.cnf_frames(_model(0), n_times=1)
    with pytest.raises(TypeError, match="frames must be CNFFrames"):
        wcnf.cnf_figure({"moons": frames["moons"]})
    with pytest.raises(TypeError, match="frames must be a non-empty dict"):
        wcnf.cnf_explorer({})
    live = wcnf.cnf_explorer(frames)
    with pytest.raises(ValueError, match="toy must be one of"):
        live.select(toy="spirals")
    with pytest.raises(ValueError, match="k must be an integer time index"):
        live.select(k=99)
