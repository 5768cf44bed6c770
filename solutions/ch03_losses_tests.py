"""Hidden graded checks for ``ch03_losses`` (never copied to ``exercises/``).

Each ``@check`` receives the executed notebook's namespace ``nb`` and compares
the student's function with an independent reference: POT (``ot.sinkhorn``,
``ot.emd2``, ``ot.emd2_1d``), SciPy (``scipy.stats.entropy``,
``scipy.stats.wasserstein_distance``), plain double loops, or closed forms.
Every check uses its own seeded data and explicit tolerances.
Run by ``python -m course_grader grade NOTEBOOK`` (see ``course_grader.run``).
"""

import math

import numpy as np
import ot
import scipy.stats
import torch

from course_grader.checks import check

F64 = torch.float64


def _t(array) -> torch.Tensor:
    return torch.as_tensor(np.asarray(array, dtype=np.float64), dtype=F64)


def _num(value) -> np.ndarray:
    """The student's tensor as a float64 numpy array (detached, on CPU)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


# --------------------------------------------------------------------- Q1: KL (3 points)


@check(
    "q1_kl",
    points=1,
    message="kl(p, q) does not give KL(P‖Q) ≈ 0.0853 and KL(Q‖P) ≈ 0.0975 for "
    "P = Binomial(2, 0.4) and Q uniform on {0, 1, 2}.",
)
def kl_binomial_vs_uniform(nb):
    p, q = [0.36, 0.48, 0.16], [1 / 3] * 3
    forward = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
    backward = sum(qi * math.log(qi / pi) for pi, qi in zip(p, q, strict=True))
    got_forward, got_backward = float(nb.kl(_t(p), _t(q))), float(nb.kl(_t(q), _t(p)))
    assert abs(got_forward - forward) < 1e-12, (
        f"KL(P‖Q) = {got_forward:.6g}, expected {forward:.6g}"
    )
    assert abs(got_backward - backward) < 1e-12, (
        f"KL(Q‖P) = {got_backward:.6g}, expected {backward:.6g}"
    )


@check(
    "q1_kl",
    points=1,
    message="kl(p, q) disagrees with scipy.stats.entropy(p, q) on random distributions.",
)
def kl_matches_scipy(nb):
    rng = np.random.default_rng(301)
    for size in (2, 5, 17):
        p, q = rng.dirichlet(np.ones(size)), rng.dirichlet(np.ones(size))
        got, want = float(nb.kl(_t(p), _t(q))), float(scipy.stats.entropy(p, q))
        assert abs(got - want) < 1e-10, f"size {size}: kl = {got:.10g}, scipy = {want:.10g}"


@check(
    "q1_kl",
    points=1,
    message="kl(p, q) mishandles zeros: terms with p = 0 contribute 0, and p > 0 where "
    "q = 0 gives +inf.",
)
def kl_zero_conventions(nb):
    p, q = _t([0.5, 0.5, 0.0]), _t([0.25, 0.25, 0.5])
    got = float(nb.kl(p, q))
    assert abs(got - math.log(2)) < 1e-12, (
        f"kl(p, q) = {got!r} with p = (0.5, 0.5, 0), expected log 2"
    )
    reverse = float(nb.kl(q, p))
    assert reverse == math.inf, (
        f"kl(q, p) = {reverse!r} where p has a zero under q > 0, expected inf"
    )


# ----------------------------------------------------------- Q2: 1-D W1 from CDFs (5 points)


def _w1_references(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    return (
        float(scipy.stats.wasserstein_distance(x, y)),
        float(ot.emd2_1d(x, y, metric="euclidean")),
    )


def _assert_w1(nb, x: np.ndarray, y: np.ndarray, label: str) -> None:
    got = float(nb.w1_from_cdfs(_t(x), _t(y)))
    scipy_w1, pot_w1 = _w1_references(x, y)
    assert abs(scipy_w1 - pot_w1) < 1e-9, "references disagree (grader bug)"
    assert abs(got - scipy_w1) < 1e-10, (
        f"{label} (n={len(x)}, m={len(y)}): w1 = {got:.10g}, expected {scipy_w1:.10g}"
    )


@check(
    "q2_w1_from_cdfs",
    points=1,
    message="w1_from_cdfs(x, y) is wrong for two unsorted samples of the same size "
    "(compared with scipy.stats.wasserstein_distance).",
)
def w1_equal_sizes(nb):
    rng = np.random.default_rng(302)
    x, y = rng.normal(0.0, 1.0, 40), rng.normal(0.7, 1.5, 40)
    _assert_w1(nb, x, y, "equal sizes")


@check(
    "q2_w1_from_cdfs",
    points=2,
    message="w1_from_cdfs(x, y) is wrong when x and y have different sizes (compared with "
    "scipy.stats.wasserstein_distance and POT's ot.emd2_1d); each point of x weighs 1/n, "
    "each point of y 1/m.",
)
def w1_unequal_sizes(nb):
    rng = np.random.default_rng(303)
    for n, m in ((37, 53), (5, 120), (1, 9)):
        x, y = rng.normal(0.0, 1.0, n), rng.exponential(1.0, m)
        _assert_w1(nb, x, y, "unequal sizes")


@check(
    "q2_w1_from_cdfs",
    points=1,
    message="w1_from_cdfs(x, y) is wrong when the samples contain repeated values (ties), "
    "within and across x and y.",
)
def w1_ties(nb):
    rng = np.random.default_rng(304)
    for n, m in ((30, 17), (8, 8)):
        x = rng.integers(0, 5, n).astype(np.float64)
        y = rng.integers(1, 4, m).astype(np.float64) * 1.5
        _assert_w1(nb, x, y, "ties")


@check(
    "q2_w1_from_cdfs",
    points=1,
    message="w1_from_cdfs(x, x + c) should be |c|: moving every point by c costs exactly |c|.",
)
def w1_translation(nb):
    x = np.random.default_rng(305).normal(size=25)
    for c in (0.3, -1.25):
        got = float(nb.w1_from_cdfs(_t(x), _t(x + c)))
        assert abs(got - abs(c)) < 1e-10, f"w1(x, x + {c}) = {got:.10g}, expected {abs(c)}"


# ------------------------------------------------------------- Q3: Sinkhorn (6 points)


def _clouds(n: int, m: int, seed: int):
    """Two 2-D point clouds with random positive weights; squared-distance cost scaled to [0, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = rng.normal(size=(m, 2)) * 0.7 + np.array([1.5, 0.5])
    a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, m)
    cost = ot.dist(x, y, metric="sqeuclidean")
    return a / a.sum(), b / b.sum(), cost / cost.max()


@check(
    "q3_sinkhorn",
    points=2,
    message="sinkhorn_step(u, v, K, a, b) must return u = a / (K v) and then v = b / (Kᵀ u), "
    "computed with the NEW u.",
)
def sinkhorn_step_formula(nb):
    rng = np.random.default_rng(306)
    n, m = 5, 7
    K = np.exp(-rng.uniform(0.0, 3.0, (n, m)))
    u, v = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, m)
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    want_u = a / (K @ v)
    want_v = b / (K.T @ want_u)
    got_u, got_v = nb.sinkhorn_step(_t(u), _t(v), _t(K), _t(a), _t(b))
    np.testing.assert_allclose(_num(got_u), want_u, rtol=1e-12, err_msg="new u")
    np.testing.assert_allclose(_num(got_v), want_v, rtol=1e-12, err_msg="new v")


@check(
    "q3_sinkhorn",
    points=2,
    message="sinkhorn_plan(a, b, cost, eps, n_iter) does not match POT's ot.sinkhorn on random "
    "point clouds with non-uniform weights (eps = 0.05 and 0.02).",
)
def sinkhorn_plan_matches_pot(nb):
    for n, m, seed, eps in ((20, 30, 307, 0.05), (25, 12, 308, 0.02)):
        a, b, cost = _clouds(n, m, seed)
        want = ot.sinkhorn(a, b, cost, eps, numItermax=100_000, stopThr=1e-13)
        got = _num(nb.sinkhorn_plan(_t(a), _t(b), _t(cost), eps, n_iter=2000))
        assert got.shape == (n, m), f"plan has shape {got.shape}, expected {(n, m)}"
        error = np.abs(got - want).max()
        assert error < 1e-9, f"eps={eps}: largest difference from ot.sinkhorn {error:.3g}"


@check(
    "q3_sinkhorn",
    points=1,
    message="The plan returned by sinkhorn_plan must be non-negative, with row sums a and "
    "column sums b.",
)
def sinkhorn_plan_marginals(nb):
    a, b, cost = _clouds(15, 9, 309)
    plan = _num(nb.sinkhorn_plan(_t(a), _t(b), _t(cost), 0.1, n_iter=500))
    assert plan.shape == (15, 9), f"plan has shape {plan.shape}, expected (15, 9)"
    assert (plan >= 0).all(), "the plan has negative entries"
    rows, cols = np.abs(plan.sum(1) - a).max(), np.abs(plan.sum(0) - b).max()
    assert rows < 1e-9 and cols < 1e-9, f"marginal errors: rows {rows:.3g}, columns {cols:.3g}"


@check(
    "q3_sinkhorn",
    points=1,
    message="As eps shrinks, the transport cost <P, C> of the Sinkhorn plan should decrease "
    "toward the exact optimal transport cost (POT's ot.emd2), never below it.",
)
def sinkhorn_small_eps_approaches_exact_ot(nb):
    a, b, cost = _clouds(20, 30, 310)
    exact = float(ot.emd2(a, b, cost))
    costs = [
        float(np.sum(_num(nb.sinkhorn_plan(_t(a), _t(b), _t(cost), eps, n_iter=3000)) * cost))
        for eps in (0.2, 0.05, 0.01)
    ]
    shown = ", ".join(f"{c:.5f}" for c in costs)
    assert costs[0] > costs[1] > costs[2], (
        f"costs for eps 0.2, 0.05, 0.01: {shown} (not decreasing)"
    )
    assert exact - 1e-9 <= costs[2] < exact + 0.01, (
        f"cost at eps=0.01 {costs[2]:.5f}, exact {exact:.5f}"
    )


# ------------------------------------------------------------ Q4: unbiased MMD² (4 points)


def _mmd2_double_loop(x: np.ndarray, y: np.ndarray, h: float) -> float:
    """MMD²_u by brute force: every pair, one at a time, in Python floats."""

    def k(s, t):
        return math.exp(-float(np.sum((s - t) ** 2)) / (2 * h * h))

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


@check(
    "q4_mmd_unbiased",
    points=2,
    message="mmd2_unbiased(x, y, bandwidth) disagrees with a direct sum over all pairs "
    "(i ≠ j within a sample) with k(s, t) = exp(-|s - t|² / (2 h²)).",
)
def mmd_matches_double_loop(nb):
    rng = np.random.default_rng(311)
    for n, m, d, h in ((12, 15, 3, 1.0), (7, 4, 1, 0.4)):
        x, y = rng.normal(size=(n, d)), rng.normal(0.5, 1.2, size=(m, d))
        got, want = float(nb.mmd2_unbiased(_t(x), _t(y), h)), _mmd2_double_loop(x, y, h)
        assert abs(got - want) < 1e-10, (
            f"n={n}, m={m}, d={d}, h={h}: got {got:.10g}, expected {want:.10g}"
        )


@check(
    "q4_mmd_unbiased",
    points=1,
    message="Averaged over many pairs of samples from the same distribution, the unbiased "
    "MMD² estimate should be ≈ 0, and some single estimates should be negative.",
)
def mmd_unbiased_under_null(nb):
    gen = torch.Generator().manual_seed(312)
    estimates = np.array(
        [
            float(
                nb.mmd2_unbiased(
                    torch.randn(20, 2, generator=gen, dtype=F64),
                    torch.randn(20, 2, generator=gen, dtype=F64),
                    1.0,
                )
            )
            for _ in range(200)
        ]
    )
    # Standard error of the mean here is about 0.0025; the biased estimator averages about 0.067.
    assert abs(estimates.mean()) < 0.01, (
        f"mean of 200 estimates {estimates.mean():.4g}, expected ≈ 0"
    )
    assert estimates.min() < 0, (
        "no estimate was negative; an unbiased estimate of 0 must sometimes be"
    )


@check(
    "q4_mmd_unbiased",
    points=1,
    message="For large samples of N(0, 1) and N(1, 1) with bandwidth 1 the estimate should "
    "approach the exact MMD² = 2/√3 · (1 − exp(−1/6)) ≈ 0.1773.",
)
def mmd_gaussian_closed_form(nb):
    # For P = N(mu1, s²), Q = N(mu2, s²) in 1-D and k = exp(-(s - t)² / (2h²)):
    # E k(x, x') = h / sqrt(h² + 2s²) (x - x' ~ N(0, 2s²)), and
    # E k(x, y) = h / sqrt(h² + 2s²) · exp(-(mu1 - mu2)² / (2(h² + 2s²))), so
    # MMD² = 2h / sqrt(h² + 2s²) · (1 - exp(-(mu1 - mu2)² / (2(h² + 2s²)))).
    s, h, delta = 1.0, 1.0, 1.0
    exact = (
        2
        * h
        / math.sqrt(h * h + 2 * s * s)
        * (1 - math.exp(-(delta**2) / (2 * (h * h + 2 * s * s))))
    )
    gen = torch.Generator().manual_seed(313)
    estimates = [
        float(
            nb.mmd2_unbiased(
                s * torch.randn(1500, 1, generator=gen, dtype=F64),
                delta + s * torch.randn(1500, 1, generator=gen, dtype=F64),
                h,
            )
        )
        for _ in range(6)
    ]
    # One estimate at n = 1500 has a standard deviation of about 0.013; six average to ~0.005.
    mean = float(np.mean(estimates))
    assert abs(mean - exact) < 0.02, f"mean estimate {mean:.4f}, exact {exact:.4f}"
