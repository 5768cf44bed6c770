"""course_lib.divergences against scipy, torch.nn.functional and closed forms."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from course_lib import divergences as dv

P = torch.tensor([9, 12, 4], dtype=torch.float64) / 25  # Binomial(2, 0.4)
Q = torch.full((3,), 1 / 3, dtype=torch.float64)  # uniform


def test_deck_kl_example_and_asymmetry():
    # the lecture's published numbers: KL(P||Q) ≈ 0.085, KL(Q||P) ≈ 0.097 (nats)
    assert float(dv.kl_divergence(P, Q)) == pytest.approx(0.0852996, abs=1e-6)
    assert float(dv.kl_divergence(Q, P)) == pytest.approx(0.0974550, abs=1e-6)
    assert round(float(dv.kl_divergence(P, Q)), 3) == 0.085
    assert round(float(dv.kl_divergence(Q, P)), 3) == 0.097


def test_matches_scipy_entropy_on_random_batches():
    g = torch.Generator().manual_seed(0)
    p = torch.rand(20, 7, generator=g, dtype=torch.float64)
    q = torch.rand(20, 7, generator=g, dtype=torch.float64)
    p, q = p / p.sum(1, keepdim=True), q / q.sum(1, keepdim=True)
    assert np.allclose(dv.entropy(p).numpy(), scipy.stats.entropy(p.numpy(), axis=1), rtol=1e-12)
    assert np.allclose(
        dv.kl_divergence(p, q).numpy(),
        scipy.stats.entropy(p.numpy(), q.numpy(), axis=1),
        rtol=1e-12,
    )
    # H(p, q) = KL(p||q) + H(p)
    assert torch.allclose(
        dv.cross_entropy(p, q), dv.kl_divergence(p, q) + dv.entropy(p), rtol=1e-12
    )


def test_cross_entropy_matches_torch_with_soft_targets():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(8, 5, generator=g, dtype=torch.float64)
    target = torch.softmax(torch.randn(8, 5, generator=g, dtype=torch.float64), 1)
    expect = F.cross_entropy(logits, target, reduction="none")
    assert torch.allclose(dv.cross_entropy(target, torch.softmax(logits, 1)), expect, rtol=1e-12)
    # and torch's kl_div (which takes log q as input)
    kl = F.kl_div(torch.log_softmax(logits, 1), target, reduction="none").sum(1)
    assert torch.allclose(dv.kl_divergence(target, torch.softmax(logits, 1)), kl, rtol=1e-10)


def test_support_conventions():
    p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    q = torch.tensor([0.5, 0.0, 0.5], dtype=torch.float64)
    assert float(dv.kl_divergence(p, p)) == 0.0
    assert float(dv.entropy(p)) == pytest.approx(math.log(2))
    assert math.isinf(float(dv.kl_divergence(p, q)))  # q misses part of p's support


@pytest.mark.parametrize(
    "p,q,match",
    [
        (torch.tensor([0.5, 0.6]), torch.tensor([0.5, 0.5]), "p must sum to 1"),
        (torch.tensor([1.2, -0.2]), torch.tensor([0.5, 0.5]), "negative"),
        (torch.tensor([0.5, 0.5]), torch.tensor([1 / 3, 1 / 3, 1 / 3]), "same shape"),
        (torch.tensor([0.5, float("nan")]), torch.tensor([0.5, 0.5]), "NaN"),
    ],
)
def test_kl_rejects_bad_input(p, q, match):
    with pytest.raises(ValueError, match=match):
        dv.kl_divergence(p, q)


# ------------------------------------------------------------------ MMD
def brute_force_mmd2(x, y, k, unbiased):
    n, m = len(x), len(y)
    sxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if (i != j or not unbiased))
    syy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if (i != j or not unbiased))
    sxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    dx, dy = (n * (n - 1), m * (m - 1)) if unbiased else (n * n, m * m)
    return sxx / dx + syy / dy - 2 * sxy / (n * m)


KERNEL_FORMULAS = {
    "gaussian": lambda s: lambda u, v: math.exp(-float(((u - v) ** 2).sum()) / (2 * s**2)),
    "laplacian": lambda s: lambda u, v: math.exp(-(float(((u - v) ** 2).sum()) ** 0.5) / s),
    "imq": lambda s: lambda u, v: (1 + float(((u - v) ** 2).sum()) / s**2) ** -0.5,
}


@pytest.mark.parametrize("kernel", sorted(KERNEL_FORMULAS))
@pytest.mark.parametrize("unbiased", [True, False])
def test_mmd_matches_brute_force(kernel, unbiased):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(12, 3, generator=g, dtype=torch.float64)
    y = torch.randn(9, 3, generator=g, dtype=torch.float64) + 0.5
    expect = brute_force_mmd2(x, y, KERNEL_FORMULAS[kernel](1.3), unbiased)
    assert float(dv.mmd2(x, y, kernel=kernel, bandwidth=1.3, unbiased=unbiased)) == pytest.approx(
        expect, rel=1e-10
    )


def gaussian_mmd2_closed_form(delta, s, sigma, d):
    """Population MMD² between N(0, s²I) and N(delta, s²I) in d dims with a Gaussian kernel σ."""
    c = (sigma**2 / (sigma**2 + 2 * s**2)) ** (d / 2)
    return 2 * c * (1 - math.exp(-(delta**2) / (2 * (sigma**2 + 2 * s**2))))


def test_unbiased_mmd_estimates_the_gaussian_closed_form():
    g = torch.Generator().manual_seed(3)
    d, s, sigma, shift = 2, 1.0, 1.5, 1.0
    estimates = []
    for _ in range(20):
        x = s * torch.randn(300, d, generator=g, dtype=torch.float64)
        y = s * torch.randn(300, d, generator=g, dtype=torch.float64)
        y[:, 0] += shift
        estimates.append(float(dv.mmd2(x, y, bandwidth=sigma)))
    truth = gaussian_mmd2_closed_form(shift, s, sigma, d)
    assert np.mean(estimates) == pytest.approx(truth, rel=0.05)


def test_unbiased_is_centred_at_zero_biased_is_not():
    g = torch.Generator().manual_seed(4)
    unb, bia = [], []
    for _ in range(200):
        x = torch.randn(20, 2, generator=g, dtype=torch.float64)
        y = torch.randn(20, 2, generator=g, dtype=torch.float64)
        unb.append(float(dv.mmd2(x, y)))
        bia.append(float(dv.mmd2(x, y, unbiased=False)))
    se = np.std(unb) / math.sqrt(len(unb))
    assert abs(np.mean(unb)) < 3 * se  # no bias
    assert np.mean(bia) > 10 * se and min(bia) >= 0  # V-statistic is biased upwards


def test_mmd_rejects_bad_input():
    x = torch.randn(5, 2)
    with pytest.raises(ValueError, match="unknown kernel 'rbf'"):
        dv.mmd2(x, x, kernel="rbf")
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        dv.mmd2(x, x, bandwidth=0)
    with pytest.raises(ValueError, match="same dimension"):
        dv.mmd2(x, torch.randn(5, 3))
    with pytest.raises(ValueError, match="at least 2 samples"):
        dv.mmd2(x[:1], x)
    with pytest.raises(ValueError, match="NaN"):
        dv.mmd2(torch.full((3, 2), math.nan), x)
