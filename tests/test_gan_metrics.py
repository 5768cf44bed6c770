"""course_lib.gan_metrics against hand-made sample sets, scipy and POT."""

import math

import numpy as np
import ot
import pytest
import scipy.linalg
import scipy.spatial.distance
import scipy.stats
import torch

from course_lib import data
from course_lib import gan_metrics as gm

MODES = data.ring_modes()  # (8, 2), radius 2
STD = 0.02


# --------------------------------------------------------------------------- mode coverage
def test_all_samples_on_modes_cover_everything():
    x = data.gaussian_ring(4000, seed=1)
    r = gm.mode_coverage(x, MODES, STD)
    # N(0, std² I) in 2-D: P(‖e‖ <= 3 std) = 1 - exp(-9/2) (Rayleigh), about 98.9%
    assert r.covered == 8 and r.n_modes == 8
    assert abs(r.high_quality - (1 - math.exp(-4.5))) < 0.01
    assert int(r.counts.sum()) == round(r.high_quality * 4000)


def test_hand_made_sets_count_exactly():
    on = MODES[[0, 0, 1, 3]] + torch.tensor([0.0, 0.059])  # just inside 3 std
    off = MODES[[2, 5]] + torch.tensor([0.061, 0.0])  # just outside: not high quality
    far = torch.tensor([[0.0, 0.0], [10.0, 10.0]])
    r = gm.mode_coverage(torch.cat([on, off, far]), MODES, STD)
    assert r.covered == 3  # modes 0, 1, 3; mode 2 and 5 only have low-quality samples
    assert r.high_quality == pytest.approx(4 / 8)
    assert r.counts.tolist() == [2, 1, 0, 1, 0, 0, 0, 0]
    assert str(r) == "3/8 modes, 50.0% high quality"


def test_collapsed_set_and_empty_modes():
    x = MODES[4].repeat(100, 1)
    r = gm.mode_coverage(x, MODES, STD)
    assert (r.covered, r.high_quality) == (1, 1.0)
    assert r.counts.tolist() == [0, 0, 0, 0, 100, 0, 0, 0]
    none = gm.mode_coverage(torch.zeros(5, 2), MODES, STD)  # all at the centre of the ring
    assert (none.covered, none.high_quality) == (0, 0.0)


def test_nearest_mode_matches_brute_force_loop():
    x = 2.5 * torch.randn(300, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    r = gm.mode_coverage(x, MODES, 0.3)
    for i in range(0, 300, 7):
        d = [math.dist(x[i].tolist(), m.tolist()) for m in MODES]
        assert r.nearest[i] == int(np.argmin(d))


def test_mode_coverage_rejects_bad_input():
    with pytest.raises(ValueError, match="samples is empty"):
        gm.mode_coverage(torch.zeros(0, 2), MODES, STD)
    with pytest.raises(ValueError, match="dimension"):
        gm.mode_coverage(torch.zeros(3, 3), MODES, STD)
    with pytest.raises(ValueError, match="std"):
        gm.mode_coverage(torch.zeros(3, 2), MODES, -1.0)
    with pytest.raises(ValueError, match="samples must have shape"):
        gm.mode_coverage(torch.zeros(3), MODES, STD)
    with pytest.raises(ValueError, match="NaN"):
        gm.mode_coverage(torch.full((3, 2), math.nan), MODES, STD)


# ------------------------------------------------------------------------ Fréchet distance
def _random_gaussian(rng, d):
    a = rng.normal(size=(d, d))
    return rng.normal(size=d), a @ a.T + 0.1 * np.eye(d)


def _fid_scipy(mu1, c1, mu2, c2):
    s1 = scipy.linalg.sqrtm(c1)
    cross = scipy.linalg.sqrtm(s1 @ c2 @ s1)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * np.real(cross)))


def _fid_scipy_product(mu1, c1, mu2, c2):
    """The form FID code usually writes: tr sqrtm(Σ₁ Σ₂) (a non-symmetric square root)."""
    return float(
        np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * np.real(scipy.linalg.sqrtm(c1 @ c2)))
    )


@pytest.mark.parametrize("d", [1, 2, 5, 16])
def test_frechet_distance_matches_scipy_sqrtm(d):
    rng = np.random.default_rng(d)
    (mu1, c1), (mu2, c2) = _random_gaussian(rng, d), _random_gaussian(rng, d)
    got = float(gm.frechet_distance(mu1, c1, mu2, c2))
    assert got == pytest.approx(_fid_scipy(mu1, c1, mu2, c2), rel=1e-8, abs=1e-9)
    assert got == pytest.approx(_fid_scipy_product(mu1, c1, mu2, c2), rel=1e-6, abs=1e-8)
    assert float(gm.frechet_distance(mu2, c2, mu1, c1)) == pytest.approx(got, rel=1e-8)


def test_frechet_distance_closed_forms():
    mu = torch.tensor([1.0, -2.0, 0.5])
    cov = torch.diag(torch.tensor([1.0, 4.0, 0.25]))
    assert abs(float(gm.frechet_distance(mu, cov, mu, cov))) < 1e-12
    # same covariance: only the mean term; isotropic: (σ₁ - σ₂)² per dimension
    assert float(gm.frechet_distance(mu, cov, mu + 1, cov)) == pytest.approx(3.0)
    eye = torch.eye(3)
    assert float(gm.frechet_distance(mu, 4 * eye, mu, 9 * eye)) == pytest.approx(3.0)


def test_frechet_distance_of_samples_matches_numpy_moments():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 3, generator=g, dtype=torch.float64)
    y = 2 * torch.randn(400, 3, generator=g, dtype=torch.float64) + 1
    xn, yn = x.numpy(), y.numpy()
    want = _fid_scipy(xn.mean(0), np.cov(xn.T), yn.mean(0), np.cov(yn.T))
    assert float(gm.frechet_distance_of_samples(x, y)) == pytest.approx(want, rel=1e-8)


def test_frechet_distance_rejects_bad_input():
    with pytest.raises(ValueError, match="cov1 must have shape"):
        gm.frechet_distance(torch.zeros(2), torch.eye(3), torch.zeros(2), torch.eye(2))
    with pytest.raises(ValueError, match="symmetric"):
        gm.frechet_distance(
            torch.zeros(2), torch.tensor([[1.0, 2.0], [0.0, 1.0]]), torch.zeros(2), torch.eye(2)
        )
    with pytest.raises(ValueError, match="at least 2 samples"):
        gm.frechet_distance_of_samples(torch.zeros(1, 2), torch.zeros(5, 2))


def test_sqrtm_psd_squares_back():
    rng = np.random.default_rng(3)
    _, c = _random_gaussian(rng, 6)
    s = gm.sqrtm_psd(c).numpy()
    assert np.allclose(s @ s, c, atol=1e-10) and np.allclose(s, scipy.linalg.sqrtm(c), atol=1e-8)


# ---------------------------------------------------------------------- parallel lines
def test_parallel_lines_analytic_values():
    theta = torch.tensor([-1.5, -0.1, 0.0, 0.3, 2.0])
    d = gm.parallel_lines_distances(theta)
    apart = theta != 0
    assert torch.equal(d["W1"], theta.double().abs())
    assert torch.equal(d["TV"], apart.double())
    assert torch.all(d["JS"][apart] == math.log(2)) and d["JS"][2] == 0
    assert torch.all(torch.isinf(d["KL"][apart])) and d["KL"][2] == 0


@pytest.mark.parametrize("theta", [0.3, -0.8, 1.7])
def test_parallel_lines_w1_matches_pot_and_scipy(theta):
    n = 300
    p0 = gm.parallel_lines_sample(n, 0.0, seed=1)
    pt = gm.parallel_lines_sample(n, theta, seed=2)
    cost = ot.dist(p0.numpy(), pt.numpy(), metric="euclidean")
    w = np.full(n, 1 / n)
    emd = float(ot.emd2(w, w, cost))
    # the optimal plan pairs equal quantiles of Z; sampling error in Z is O(1/sqrt(n))
    z_w1 = scipy.stats.wasserstein_distance(p0[:, 1].numpy(), pt[:, 1].numpy())
    assert abs(emd - abs(theta)) < z_w1 + 0.02
    want = float(gm.parallel_lines_distances(theta)["W1"])
    # on the shifted coordinate alone, the 1-D W1 is exactly |θ|
    assert scipy.stats.wasserstein_distance(p0[:, 0].numpy(), pt[:, 0].numpy()) == pytest.approx(
        want
    )


def test_parallel_lines_histogram_divergences_match_scipy():
    theta = 0.5
    bins = [np.linspace(-1, 1, 9), np.linspace(0, 1, 11)]
    hists = []
    for t, seed in ((0.0, 3), (theta, 4)):
        s = gm.parallel_lines_sample(2000, t, seed=seed).numpy()
        h, *_ = np.histogram2d(s[:, 0], s[:, 1], bins=bins)
        hists.append(h.ravel() / h.sum())
    p, q = hists
    d = gm.parallel_lines_distances(theta)
    assert scipy.spatial.distance.jensenshannon(p, q) ** 2 == pytest.approx(float(d["JS"]))
    assert 0.5 * np.abs(p - q).sum() == pytest.approx(float(d["TV"]))
    assert scipy.stats.entropy(p, q) == float(d["KL"]) == math.inf


def test_parallel_lines_rejects_bad_input():
    with pytest.raises(ValueError, match="theta"):
        gm.parallel_lines_distances(torch.tensor([math.nan]))
    with pytest.raises(ValueError, match="n must be"):
        gm.parallel_lines_sample(0, 1.0)
