"""course_lib.data: seeded, offline, the shapes and densities it promises."""

import math

import numpy as np
import pytest
import torch

from course_lib import data


@pytest.mark.parametrize("name", sorted(data.TOY_2D))
def test_toys_are_seeded_and_leave_global_rng_alone(name):
    state = torch.random.get_rng_state()
    a = data.sample_2d(name, 500, seed=3)
    b = data.sample_2d(name, 500, seed=3)
    c = data.sample_2d(name, 500, seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert a.shape == (500, 2) and a.dtype == torch.float64 and torch.isfinite(a).all()
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_ring_samples_sit_on_their_modes():
    x = data.gaussian_ring(4000, n_modes=8, radius=2.0, std=0.02, seed=0)
    modes = data.ring_modes(8, 2.0)
    dist = torch.cdist(x, modes).min(1).values
    assert float(dist.max()) < 6 * 0.02  # every sample within 6 std of a mode
    counts = torch.bincount(torch.cdist(x, modes).argmin(1), minlength=8)
    assert counts.min() > 400  # all 8 modes used, roughly equally (500 expected)


def test_grid_has_25_modes():
    x = data.gaussian_grid(5000, side=5, spacing=2.0, std=0.05, seed=1)
    rounded = torch.round(x / 2.0)
    assert len(torch.unique(rounded, dim=0)) == 25


def test_checkerboard_occupies_half_the_board_uniformly():
    x = data.checkerboard(20000, seed=2)
    assert float(x.abs().max()) <= 2.0
    cell = torch.floor((x + 2.0) / 1.0).long()  # 4x4 board of unit squares
    parity = (cell[:, 0] + cell[:, 1]) % 2
    assert bool((parity == parity[0]).all())  # one colour of squares only
    counts = torch.bincount(cell[:, 0] * 4 + cell[:, 1], minlength=16)
    assert (counts > 0).sum() == 8 and counts[counts > 0].min() > 2200


def test_moons_match_sklearn_shape():
    from sklearn.datasets import make_moons

    ours = data.moons(4000, noise=0.0, seed=0).numpy()
    ref, _ = make_moons(4000, noise=0.0, random_state=0)
    ref = ref - np.array([0.5, 0.25])
    # same support: every point of ours lies on sklearn's noiseless curves
    d = np.sqrt(((ours[:, None, :] - ref[None, :, :]) ** 2).sum(-1)).min(1)
    assert d.max() < 0.02


def test_unknown_toy_and_bad_n():
    with pytest.raises(ValueError, match="unknown 2-D toy 'rings'; choose one of"):
        data.sample_2d("rings", 10)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        data.sample_2d("ring", 0)
    with pytest.raises(ValueError, match="squares must be even"):
        data.checkerboard(10, squares=3)


def test_digits_split_is_stratified_seeded_and_offline():
    d = data.digits(seed=0)
    assert d.x_train.shape[1] == 64 and len(d.x_train) + len(d.x_test) == 1797
    assert float(d.x_train.max()) <= 1.0 and float(d.x_train.min()) >= 0.0
    assert len(d.x_test) == pytest.approx(0.2 * 1797, abs=10)
    per_class = torch.bincount(d.y_test, minlength=10).float() / torch.bincount(
        torch.cat([d.y_train, d.y_test]), minlength=10
    )
    assert torch.allclose(per_class, torch.full((10,), 0.2), atol=0.01)
    assert torch.equal(data.digits(seed=0).x_test, d.x_test)
    assert not torch.equal(data.digits(seed=1).y_test, d.y_test)
    assert data.Digits.images(d.x_test[:3]).shape == (3, 8, 8)
    assert not set(map(tuple, d.x_test[:50].tolist())) & set(map(tuple, d.x_train.tolist()))
    with pytest.raises(ValueError, match="test_fraction"):
        data.digits(test_fraction=1.5)


def test_ring_modes_are_evenly_spaced():
    m = data.ring_modes(8, 2.0)
    assert torch.allclose(m.norm(dim=1), torch.full((8,), 2.0, dtype=torch.float64))
    angles = torch.atan2(m[:, 1], m[:, 0])
    gaps = torch.diff(torch.sort(angles).values)
    assert torch.allclose(gaps, torch.full((7,), 2 * math.pi / 8, dtype=torch.float64))
