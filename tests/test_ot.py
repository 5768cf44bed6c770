"""course_lib.ot against independent references: POT, scipy, and closed forms."""

import math
import warnings

import numpy as np
import ot as pot
import pytest
import scipy.stats
import torch

from course_lib import data
from course_lib import ot as cot


def clouds(n=60, m=50, seed=0):
    x = data.sample_2d("moons", n, seed=seed)
    y = data.sample_2d("ring", m, seed=seed + 1, std=0.2)
    a = torch.rand(n, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)) + 0.1
    b = torch.rand(m, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 7)) + 0.1
    return x, y, a / a.sum(), b / b.sum()


def pot_plan(a, b, cost, eps):
    """POT's log-domain Sinkhorn run to convergence: the reference plan."""
    return pot.sinkhorn(
        a.numpy(),
        b.numpy(),
        cost.numpy(),
        eps,
        method="sinkhorn_log",
        numItermax=10**5,
        stopThr=1e-13,
    )


# ------------------------------------------------------------------ 1-D exact transport
@pytest.mark.parametrize("n,m", [(50, 50), (37, 81), (1, 5)])
def test_w1_matches_scipy(n, m):
    g = torch.Generator().manual_seed(n + m)
    x = torch.randn(n, generator=g, dtype=torch.float64)
    y = 0.5 * torch.randn(m, generator=g, dtype=torch.float64) + 1.0
    expect = scipy.stats.wasserstein_distance(x.numpy(), y.numpy())
    assert float(cot.wasserstein_1d(x, y)) == pytest.approx(expect, rel=1e-10, abs=1e-12)


def test_w1_weighted_and_ties_match_scipy():
    x = torch.tensor([0.0, 0.0, 1.0, 3.0, 3.0])
    y = torch.tensor([1.0, 2.0, 2.0])
    wx = torch.tensor([0.1, 0.3, 0.2, 0.2, 0.2])
    wy = torch.tensor([2.0, 1.0, 1.0])  # unnormalised on purpose
    expect = scipy.stats.wasserstein_distance(x.numpy(), y.numpy(), wx.numpy(), wy.numpy())
    got = cot.wasserstein_1d(x, y, x_weights=wx, y_weights=wy)
    assert float(got) == pytest.approx(expect, rel=1e-6)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_wp_matches_pot_emd2_1d(p):
    g = torch.Generator().manual_seed(p)
    x = torch.rand(40, generator=g, dtype=torch.float64)
    y = torch.rand(65, generator=g, dtype=torch.float64) * 2
    expect = pot.emd2_1d(x.numpy(), y.numpy(), metric="minkowski", p=p)  # W_p^p
    assert float(cot.wasserstein_1d(x, y, p=p)) ** p == pytest.approx(expect, rel=1e-8)


def test_w1_of_translation_is_the_shift():
    x = torch.randn(100, dtype=torch.float64)
    assert float(cot.wasserstein_1d(x, x + 0.75)) == pytest.approx(0.75, rel=1e-12)


def test_w1_is_differentiable():
    x = torch.randn(20, dtype=torch.float64, requires_grad=True)
    cot.wasserstein_1d(x, torch.zeros(20, dtype=torch.float64)).backward()
    # d/dx_i of mean |x_(i)| is sign(x_i) / n
    assert torch.allclose(x.grad, torch.sign(x.detach()) / 20)


# ------------------------------------------------------------------ exact OT in n-d
def test_assignment_plan_matches_pot_emd():
    x, y = data.sample_2d("moons", 40, seed=3), data.sample_2d("spirals", 40, seed=4)
    cost = cot.cost_matrix(x, y)
    u = np.full(40, 1 / 40)
    expect = pot.emd2(u, u, cost.numpy())
    plan = cot.assignment_plan(cost)
    assert float((plan * cost).sum()) == pytest.approx(expect, rel=1e-10)
    assert torch.allclose(plan.sum(0), torch.full((40,), 1 / 40, dtype=torch.float64))


def test_cost_matrix_matches_pot_dist():
    x, y, _, _ = clouds()
    assert np.allclose(cot.cost_matrix(x, y).numpy(), pot.dist(x.numpy(), y.numpy()), atol=1e-10)
    assert np.allclose(
        cot.cost_matrix(x, y, p=1).numpy(),
        pot.dist(x.numpy(), y.numpy(), metric="euclidean"),
        atol=1e-10,
    )


# ------------------------------------------------------------------ Sinkhorn
@pytest.mark.parametrize("method", ["plain", "log"])
@pytest.mark.parametrize("eps", [2.0, 0.5, 0.1])
def test_sinkhorn_plan_matches_pot(method, eps):
    x, y, a, b = clouds()
    cost = cot.cost_matrix(x, y)
    ref = pot_plan(a, b, cost, eps)
    res = cot.solve_sinkhorn(a, b, cost, eps, method=method, tol=1e-12, max_iter=100_000)
    assert res.converged
    assert np.abs(res.plan.numpy() - ref).max() <= 1e-8 * ref.max()
    assert res.cost == pytest.approx(float((ref * cost.numpy()).sum()), rel=1e-8)
    assert torch.allclose(res.plan.sum(1), a, atol=1e-11) and torch.allclose(
        res.plan.sum(0), b, atol=1e-11
    )


def test_log_domain_survives_where_plain_breaks_down():
    """Adding a constant to every cost leaves the entropic plan unchanged (the marginals are
    fixed), but exp(-C/eps) then underflows: the plain iteration must fail loudly while the
    log-domain one still returns POT's plan."""
    x, y, a, b = clouds(n=30, m=30)
    cost = cot.cost_matrix(x, y)
    eps, shift = 0.2, 300.0  # (C + shift) / eps >= 1500, far past exp's float64 range (~745)
    ref = pot_plan(a, b, cost, eps)
    with pytest.raises(cot.SinkhornBreakdown, match="method='log'"):
        cot.solve_sinkhorn(a, b, cost + shift, eps, method="plain")
    r = cot.solve_sinkhorn(a, b, cost + shift, eps, method="log", tol=1e-12, max_iter=10**5)
    assert r.converged and torch.isfinite(r.plan).all()
    assert np.abs(r.plan.numpy() - ref).max() <= 1e-8 * ref.max()
    with warnings.catch_warnings():  # POT's own plain version produces NaN/zeros here
        warnings.simplefilter("ignore")
        pot_plain = pot.sinkhorn(a.numpy(), b.numpy(), (cost + shift).numpy(), eps, numItermax=100)
    assert not np.allclose(pot_plain, ref, atol=1e-6)


def test_cost_tends_to_exact_ot_as_eps_shrinks():
    x = data.sample_2d("moons", 40, seed=5)
    y = data.sample_2d("ring", 40, seed=6, std=0.2)
    cost = cot.cost_matrix(x, y)
    u = torch.full((40,), 1 / 40, dtype=torch.float64)
    exact = pot.emd2(u.numpy(), u.numpy(), cost.numpy())
    gaps = []
    for eps in (1.0, 0.3, 0.1, 0.03):
        r = cot.solve_sinkhorn(u, u, cost, eps, tol=1e-10, max_iter=50_000)
        gaps.append(r.cost - exact)
    assert all(g > 0 for g in gaps)  # entropic plans are never cheaper than the optimum
    assert all(g2 < g1 for g1, g2 in zip(gaps, gaps[1:], strict=False))
    assert gaps[-1] < 0.02 * exact


def test_zero_weights_and_sinkhorn_shortcut():
    x, y, a, b = clouds(n=10, m=8)
    a = a.clone()
    a[3] = 0
    a = a / a.sum()
    cost = cot.cost_matrix(x, y)
    plan = cot.sinkhorn(a, b, cost, 0.5)
    assert torch.all(plan[3] == 0)
    assert torch.allclose(plan.sum(1), a, atol=1e-9)
    ref = pot_plan(a, b, cost, 0.5)
    assert np.abs(plan.numpy() - ref).max() < 1e-8


def test_non_convergence_warns_with_the_knob_to_turn():
    x, y, a, b = clouds()
    with pytest.warns(RuntimeWarning, match="raise max_iter or eps"):
        r = cot.solve_sinkhorn(a, b, cot.cost_matrix(x, y), 0.01, max_iter=5)
    assert not r.converged and r.n_iter == 5


def test_sinkhorn_is_differentiable_in_the_cost():
    x, y, a, b = clouds(n=12, m=9)
    x = x.clone().requires_grad_(True)
    r = cot.solve_sinkhorn(a, b, cot.cost_matrix(x, y), 0.5)
    (r.plan * cot.cost_matrix(x, y)).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


# ------------------------------------------------------------------ errors that say what to fix
@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(a=torch.tensor([0.5, -0.1, 0.6])), "negative"),
        (dict(b=torch.tensor([0.2, 0.2])), "same total mass"),
        (dict(eps=0.0), "eps must be > 0"),
        (dict(eps=-1.0), "eps must be > 0"),
        (dict(eps=float("nan")), "eps must be > 0"),
        (dict(cost=torch.tensor([[0.0, 1.0], [1.0, float("nan")], [1.0, 2.0]])), "NaN"),
        (dict(cost=torch.zeros(3, 3)), r"cost must have shape \(len\(a\), len\(b\)\) = \(3, 2\)"),
        (dict(method="fast"), "unknown method 'fast'; choose one of"),
        (dict(a=torch.ones(3, 1) / 3), r"a must have shape \(n,\)"),
        (dict(max_iter=0), "max_iter"),
    ],
)
def test_sinkhorn_rejects_bad_input(kwargs, match):
    args = dict(
        a=torch.full((3,), 1 / 3), b=torch.tensor([0.5, 0.5]), cost=torch.rand(3, 2), eps=0.1
    )
    args.update(kwargs)
    a, b, cost, eps = args.pop("a"), args.pop("b"), args.pop("cost"), args.pop("eps")
    with pytest.raises(ValueError, match=match):
        cot.solve_sinkhorn(a, b, cost, eps, **args)


def test_eps_of_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="eps must be a positive number"):
        cot.sinkhorn(torch.ones(2) / 2, torch.ones(2) / 2, torch.rand(2, 2), "0.1")


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: cot.wasserstein_1d(torch.tensor([]), torch.tensor([1.0])), "x is empty"),
        (lambda: cot.wasserstein_1d(torch.tensor([1.0, math.nan]), torch.tensor([1.0])), "NaN"),
        (lambda: cot.wasserstein_1d(torch.rand(3, 2), torch.rand(3)), r"x must have shape \(n,\)"),
        (lambda: cot.wasserstein_1d(torch.rand(3), torch.rand(3), p=0.5), "p must be >= 1"),
        (
            lambda: cot.wasserstein_1d(
                torch.rand(3), torch.rand(3), x_weights=torch.tensor([1.0, -1.0, 1.0])
            ),
            "negative",
        ),
        (
            lambda: cot.wasserstein_1d(torch.rand(3), torch.rand(3), y_weights=torch.ones(2)),
            "y_weights must have shape",
        ),
        (lambda: cot.cost_matrix(torch.rand(3, 2), torch.rand(3, 3)), "same dimension"),
        (lambda: cot.assignment_plan(torch.rand(3, 4)), "square"),
    ],
)
def test_other_entry_points_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
