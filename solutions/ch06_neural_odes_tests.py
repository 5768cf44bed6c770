"""Hidden graded checks for ``ch06_neural_odes`` (never copied to ``exercises/``).

Each ``@check`` receives the executed notebook's namespace ``nb`` and compares the student's
function with an independent reference: closed-form ODE solutions and the order of the local
error (Q1, with the notebook's own ``torch.add`` / ``torch.mul`` as vector fields), the exact
trace and the closed-form variance of Rademacher probes (Q2), SciPy's Gaussian density and a
quadrature of the density (Q3). Every check uses its own seeded data and explicit tolerances.
"""

import math

import numpy as np
import scipy.linalg
import scipy.stats
import torch

from course_grader.checks import check

F64 = torch.float64


def _t(array) -> torch.Tensor:
    return torch.as_tensor(np.asarray(array, dtype=np.float64), dtype=F64)


def _num(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


# ------------------------------------------------------------ Q1: one RK4 step (2 points)
# exact solutions y(t0 + h) of dy/dt = t + y and dy/dt = t * y from y(t0) = y0
def _exact_add(t0, y0, h):
    return (y0 + t0 + 1) * np.exp(h) - (t0 + h) - 1


def _exact_mul(t0, y0, h):
    return y0 * np.exp(((t0 + h) ** 2 - t0**2) / 2)


def _step_error(nb, field, exact, t0, y0, h):
    got = _num(nb.rk4_step(field, _t(t0), _t(y0), h))
    return np.abs(got - exact(t0, np.asarray(y0), h)).max()


@check(
    "q1_rk4",
    points=1,
    message="rk4_step is not accurate to O(h⁵) in one step on dy/dt = t + y and dy/dt = t·y "
    "(check the four stages, their times and the weights 1, 2, 2, 1 over 6).",
)
def rk4_step_is_accurate(nb):
    fields = [(nb.torch.add, _exact_add), (nb.torch.mul, _exact_mul)]
    for field, exact in fields:
        for t0, y0 in ((0.0, [1.0]), (0.7, [-0.5, 2.0])):
            err = _step_error(nb, field, exact, t0, y0, 0.1)
            assert err < 2e-6, f"one step of h = 0.1 from t = {t0} is off by {err:.2e}"


@check(
    "q1_rk4",
    points=1,
    message="rk4_step's one-step error does not shrink like h⁵ (halving h should divide it by "
    "about 32): the method is not fourth order.",
)
def rk4_step_has_fifth_order_local_error(nb):
    fields = [(nb.torch.add, _exact_add), (nb.torch.mul, _exact_mul)]
    for field, exact in fields:
        e1 = _step_error(nb, field, exact, 1.0, [1.2], 0.1)
        e2 = _step_error(nb, field, exact, 1.0, [1.2], 0.05)
        ratio = e1 / max(e2, 1e-300)
        assert 24 < ratio < 45, f"error(h=0.1) / error(h=0.05) = {ratio:.1f}, expected about 32"


# ------------------------------------------------------ Q2: Hutchinson's estimator (3 points)
def _matrix(seed, d, shift):
    g = np.random.default_rng(seed)
    return g.standard_normal((d, d)) + shift * np.eye(d)


@check(
    "q2_hutchinson",
    points=1,
    message="the mean of hutchinson_estimates over many probes is not within 1% of tr(A).",
)
def hutchinson_mean_is_the_trace(nb):
    for seed, d in ((1, 3), (2, 6), (3, 10)):
        A = _matrix(seed, d, 2.0)
        est = _num(nb.hutchinson_estimates(_t(A), 200_000, seed))
        assert est.shape == (200_000,), f"expected shape (200000,), got {est.shape}"
        rel = abs(est.mean() / np.trace(A) - 1)
        assert rel < 0.01, f"D = {d}: mean {est.mean():.4f} vs trace {np.trace(A):.4f}"


@check(
    "q2_hutchinson",
    points=1,
    message="for a diagonal A every Rademacher estimate εᵀAε equals tr(A) exactly (ε_i² = 1); "
    "yours vary: are the probes ±1?",
)
def hutchinson_rademacher_is_exact_on_diagonals(nb):
    A = np.diag([1.5, -0.5, 2.0, 3.0])
    est = _num(nb.hutchinson_estimates(_t(A), 500, 7))
    assert np.allclose(est, np.trace(A), atol=1e-12), f"estimates range {est.min()}..{est.max()}"


@check(
    "q2_hutchinson",
    points=1,
    message="the variance of the estimates is not 2 Σ_{i≠j} S_ij² (S = (A + Aᵀ)/2), the "
    "variance of independent Rademacher probes.",
)
def hutchinson_variance_matches_rademacher(nb):
    A = _matrix(4, 5, 0.0)
    S = (A + A.T) / 2
    want = 2 * ((S**2).sum() - (np.diag(S) ** 2).sum())
    est = _num(nb.hutchinson_estimates(_t(A), 200_000, 11))
    assert abs(est.var() / want - 1) < 0.05, f"variance {est.var():.4f}, expected {want:.4f}"


# -------------------------------------------- Q3: linear CNF change of variables (3 points)
LINEAR_CASES = [
    ([[0.3, -0.8], [0.5, -0.4]], 1.0),
    ([[-0.2, 1.1, 0.0], [-0.9, 0.1, 0.4], [0.3, 0.0, 0.5]], 0.7),
    ([[0.6, 0.0], [0.2, 0.25]], 2.0),
]


@check(
    "q3_linear_cnf",
    points=2,
    message="linear_cnf_log_prob disagrees with the log-density of N(0, e^{tA} e^{tAᵀ}) "
    "(scipy.stats.multivariate_normal).",
)
def linear_cnf_matches_the_gaussian(nb):
    rng = np.random.default_rng(5)
    for A, t in LINEAR_CASES:
        A = np.asarray(A)
        x = rng.standard_normal((6, len(A))) * 1.5
        M = scipy.linalg.expm(t * A)
        want = scipy.stats.multivariate_normal(np.zeros(len(A)), M @ M.T).logpdf(x)
        got = _num(nb.linear_cnf_log_prob(_t(A), _t(x), t))
        assert got.shape == (6,), f"expected shape (6,), got {got.shape}"
        assert np.allclose(got, want, atol=1e-9), f"max error {np.abs(got - want).max():.2e}"


@check(
    "q3_linear_cnf",
    points=1,
    message="exp(linear_cnf_log_prob) does not integrate to 1 over the plane: a density must.",
)
def linear_cnf_density_integrates_to_one(nb):
    A, t = np.array([[0.4, -0.6], [0.3, 0.2]]), 1.0
    side = np.linspace(-12, 12, 241)
    xx, yy = np.meshgrid(side, side)
    grid = np.stack([xx.ravel(), yy.ravel()], 1)
    log_p = _num(nb.linear_cnf_log_prob(_t(A), _t(grid), t))
    mass = np.exp(log_p).sum() * (side[1] - side[0]) ** 2
    assert abs(mass - 1) < 1e-3, f"the density integrates to {mass:.4f}"
    assert math.isfinite(mass)
