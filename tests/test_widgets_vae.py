"""Both faces of the VAE latent sweep come from one code path and actually respond."""

import numpy as np
import pytest
import torch

from course_lib import autoencoders as ae
from course_lib.widgets import vae as wv

STEPS = 5


@pytest.fixture(scope="module")
def model():
    return ae._seeded(lambda: ae.VAE(64, 2, (16,)), 0).eval()


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(0)
    return torch.rand(30, 64, generator=g), torch.arange(30) % 10


@pytest.fixture(scope="module")
def sweep(model, images):
    return wv.latent_sweep(model, *images, steps=STEPS)


def test_sweep_decodes_the_model_at_gaussian_quantiles(model, images, sweep):
    from scipy.stats import norm

    p = np.linspace(0.05, 0.95, STEPS)
    assert np.allclose(sweep.values.numpy(), norm.ppf(p), atol=1e-9)
    i, j = 1, 3
    z = torch.tensor([[norm.ppf(p[i]), norm.ppf(p[j])]], dtype=torch.float32)
    with torch.no_grad():
        ref = torch.sigmoid(model.decode(z)).reshape(8, 8)
        mu, _ = model.encode(images[0])
    assert torch.allclose(sweep.decoded[i, j].float(), ref, atol=1e-6)
    assert torch.allclose(sweep.codes.float(), mu, atol=1e-6)


def test_grid_mosaic_puts_tile_i_j_at_column_i_and_larger_z2_on_top(sweep):
    draw = wv._SweepDrawing(sweep)
    grid = draw.grid_image()
    for i, j in [(0, 0), (1, 3), (4, 2)]:
        top = (STEPS - 1 - j) * 8
        assert torch.equal(grid[top : top + 8, i * 8 : i * 8 + 8], sweep.decoded[i, j])


def test_static_figure_walks_the_whole_grid_and_frames_differ(sweep):
    fig = wv.vae_sweep_figure(sweep)
    assert len(fig.frames) == STEPS * STEPS
    path = wv.snake_path(STEPS)
    assert sorted(path) == [(i, j) for i in range(STEPS) for j in range(STEPS)]
    assert all(
        abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in zip(path, path[1:], strict=False)
    )
    first, last = fig.frames[0], fig.frames[-1]
    assert not np.allclose(np.array(first.data[0].z), np.array(last.data[0].z))
    assert first.data[1].x != last.data[1].x or first.data[1].y != last.data[1].y
    assert fig.layout.sliders[0].active == path.index((STEPS // 2, STEPS // 2))
    assert fig.layout.updatemenus  # play / pause


def test_live_face_draws_what_the_static_face_draws(sweep):
    fig = wv.vae_sweep_figure(sweep)
    live = wv.vae_explorer(sweep=sweep)
    for k, (i, j) in enumerate(wv.snake_path(STEPS)):
        if k % 3:
            continue
        live.select(i=i, j=j)
        static = fig.frames[k]
        for t in range(3):
            for attr in ("x", "y", "z"):
                a, b = getattr(live.fig.data[t], attr, None), getattr(static.data[t], attr, None)
                if a is not None or b is not None:
                    assert np.allclose(np.array(a, dtype=float), np.array(b, dtype=float))
        assert live.fig.layout.title.text == static.layout.title.text


def test_each_slider_changes_the_digit_and_the_marker(sweep):
    live = wv.vae_explorer(sweep=sweep)
    for k, axis in enumerate(("x", "y")):
        before_z = np.array(live.fig.data[0].z)
        before_marker = getattr(live.fig.data[1], axis)[0]
        live.sliders[k].value = 0  # what dragging the slider does
        assert not np.allclose(np.array(live.fig.data[0].z), before_z)
        assert getattr(live.fig.data[1], axis)[0] != before_marker
        assert live.state[k] == 0


def test_bad_input_raises_clearly(model, images, sweep):
    with pytest.raises(ValueError, match="2-D latent"):
        wv.latent_sweep(ae.VAE(64, 3, (8,)), *images)
    with pytest.raises(ValueError, match="steps"):
        wv.latent_sweep(model, *images, steps=1)
    with pytest.raises(ValueError, match="low < high"):
        wv.latent_sweep(model, *images, low=0.9, high=0.1)
    with pytest.raises(ValueError, match="N labels"):
        wv.latent_sweep(model, images[0], images[1][:5])
    live = wv.vae_explorer(sweep=sweep)
    with pytest.raises(ValueError, match="grid index"):
        live.select(i=STEPS)
    with pytest.raises(ValueError, match="sweep="):
        wv.vae_explorer()
    with pytest.raises(ValueError, match="outside"):
        wv.vae_sweep_figure(sweep, path=[(0, STEPS)])
