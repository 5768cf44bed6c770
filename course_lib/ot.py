r"""Optimal transport: exact in 1-D, entropic (Sinkhorn) in any dimension (chapter 3).

Moving a histogram ``a`` (n,) onto ``b`` (m,) with ground cost ``C`` (n, m) means choosing a
transport plan P >= 0 whose row sums are ``a`` and column sums are ``b``; the optimal
transport cost is

.. math::  \mathrm{OT}(a, b) = \min_{P \in U(a, b)} \langle P, C \rangle .

* In 1-D with cost |x - y|^p the optimum matches quantiles in order, so
  W_p^p = ∫_0^1 |F^{-1}(t) - G^{-1}(t)|^p dt, and for p = 1 also W_1 = ∫ |F(t) - G(t)| dt:
  an exact answer after one sort (``wasserstein_1d``).
* In general it is a linear program. Adding an entropy term makes it strictly convex
  [Cuturi, 2013]:

  .. math::  \min_{P \in U(a, b)} \langle P, C \rangle - \varepsilon H(P),
             \quad H(P) = -\sum_{ij} P_{ij} (\log P_{ij} - 1),

  whose solution has the form P = diag(u) K diag(v) with the Gibbs kernel K = exp(-C/ε).
  Sinkhorn's algorithm alternates the two marginal constraints, u ← a / (K v), v ← b / (Kᵀ u).

Two registered iterations compute the same plan (``METHODS``):

* ``"plain"``: the scaling updates above; fast, but exp(-C/ε) underflows to 0 once C/ε
  exceeds ~745 (float64), and the method then fails. It raises ``SinkhornBreakdown``.
* ``"log"``: the same updates on the dual potentials f = ε log u, g = ε log v with
  log-sum-exp, stable for any ε (the default).

Entry points: ``sinkhorn(a, b, cost, eps) -> plan`` and ``solve_sinkhorn(...) -> SinkhornResult``
(plan plus diagnostics), ``cost_matrix(x, y)``, ``wasserstein_1d(x, y)``, ``assignment_plan``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ._registry import Registry
from ._validate import (
    as_tensor,
    check_finite,
    check_histogram,
    check_ndim,
    check_positive,
    check_same_mass,
)

__all__ = [
    "METHODS",
    "SinkhornBreakdown",
    "SinkhornResult",
    "assignment_plan",
    "cost_matrix",
    "sinkhorn",
    "solve_sinkhorn",
    "wasserstein_1d",
]


# ---------------------------------------------------------------- exact 1-D transport
def wasserstein_1d(x, y, *, p: float = 1.0, x_weights=None, y_weights=None) -> torch.Tensor:
    """Exact W_p between two 1-D empirical distributions, by matching quantiles.

    W_p = ( ∫_0^1 |F^{-1}(t) - G^{-1}(t)|^p dt )^(1/p), where F, G are the (weighted)
    CDFs of x (n,) and y (m,). Both quantile functions are step functions, so the integral
    is a finite sum over the merged cumulative levels: O((n + m) log(n + m)).

    Returns W_p itself (not W_p^p; POT's ``emd2_1d`` returns the latter).
    Weights default to uniform; they are normalised to sum to 1.
    """
    if not p >= 1:
        raise ValueError(f"p must be >= 1 for W_p to be a distance, got {p}")
    qx, wx = _sorted_1d(x, x_weights, "x")
    qy, wy = _sorted_1d(y, y_weights, "y")
    cx, cy = wx.cumsum(0), wy.cumsum(0)
    # merged breakpoints of both step quantile functions, in (0, 1]
    levels = torch.cat([cx, cy]).sort().values.clamp(max=1.0)
    dt = torch.diff(levels, prepend=levels.new_zeros(1))
    # quantile value on each interval (left-open): first index whose cdf >= level
    ix = torch.searchsorted(cx, levels, right=False).clamp(max=len(qx) - 1)
    iy = torch.searchsorted(cy, levels, right=False).clamp(max=len(qy) - 1)
    return ((qx[ix] - qy[iy]).abs().pow(p) * dt).sum().pow(1 / p)


def _sorted_1d(x, w, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    x = as_tensor(x, name)
    check_ndim(x, name, 1, "(n,) — one value per sample")
    if len(x) == 0:
        raise ValueError(f"{name} is empty; need at least one sample")
    check_finite(x, name)
    if w is None:
        w = torch.full_like(x, 1.0 / len(x))
    else:
        w = as_tensor(w, f"{name}_weights").to(x.dtype)
        if w.shape != x.shape:
            raise ValueError(
                f"{name}_weights must have shape {tuple(x.shape)}, got {tuple(w.shape)}"
            )
        check_histogram(w, f"{name}_weights")
        if not w.sum() > 0:
            raise ValueError(f"{name}_weights sum to 0; give some sample positive weight")
        w = w / w.sum()
    order = torch.argsort(x)
    return x[order], w[order]


def cost_matrix(x, y, *, p: float = 2.0) -> torch.Tensor:
    """Ground cost C_ij = ||x_i - y_j||^p for points x (n, d), y (m, d). Returns (n, m).

    p=2 gives the squared Euclidean cost (the W2 setting), p=1 the Euclidean distance (W1).
    """
    x, y = as_tensor(x, "x"), as_tensor(y, "y")
    check_ndim(x, "x", 2, "(n, d)")
    check_ndim(y, "y", 2, "(m, d)")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same dimension d, got {x.shape[1]} and {y.shape[1]}"
        )
    return torch.cdist(x, y).pow(p)


def assignment_plan(cost) -> torch.Tensor:
    """Exact OT plan between two uniform clouds of equal size n, cost (n, n) -> plan (n, n).

    With uniform weights 1/n the optimal plan is a permutation matrix divided by n
    (Birkhoff–von Neumann), found here by the Hungarian algorithm (scipy).
    """
    from scipy.optimize import linear_sum_assignment

    cost = as_tensor(cost, "cost")
    check_ndim(cost, "cost", 2, "(n, n)")
    if cost.shape[0] != cost.shape[1]:
        raise ValueError(
            f"assignment_plan needs a square cost (equal cloud sizes), got {tuple(cost.shape)}"
        )
    check_finite(cost, "cost")
    rows, cols = linear_sum_assignment(cost.detach().cpu().numpy())
    plan = torch.zeros_like(cost)
    plan[torch.as_tensor(rows), torch.as_tensor(cols)] = 1.0 / len(cost)
    return plan


# ---------------------------------------------------------------- entropic transport
class SinkhornBreakdown(FloatingPointError):
    """The plain (non-log) Sinkhorn iteration hit underflow or overflow."""


@dataclass(frozen=True)
class SinkhornResult:
    """What ``solve_sinkhorn`` returns, whatever the method.

    plan (n, m): the transport plan P = diag(u) K diag(v);
    cost: ⟨P, C⟩, the transport cost of that plan (no entropy term);
    f (n,), g (m,): dual potentials, P_ij = exp((f_i + g_j - C_ij) / ε);
    n_iter: Sinkhorn rounds done (one round = one u and one v update);
    marginal_error: ||P 1 - a||_1 + ||Pᵀ 1 - b||_1 at the end;
    converged: marginal_error <= tol; errors: the error at each check.
    """

    plan: torch.Tensor
    cost: float
    f: torch.Tensor
    g: torch.Tensor
    n_iter: int
    marginal_error: float
    converged: bool
    eps: float
    method: str
    errors: list[float] = field(default_factory=list, repr=False)


# An iteration takes (a, b, cost, eps, max_iter, tol, check_every) and returns
# (plan, f, g, n_iter, errors), forming the plan the way its own arithmetic does.
Iteration = Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor, int, list]]
METHODS = Registry("method")
register_method = METHODS.register  # add a Sinkhorn variant (a student can register their own)


def _marginal_error(plan, a, b) -> float:
    with torch.no_grad():
        return float((plan.sum(1) - a).abs().sum() + (plan.sum(0) - b).abs().sum())


@register_method("plain")
def _plain_iterations(a, b, cost, eps, max_iter, tol, check_every):
    """u ← a / (K v), v ← b / (Kᵀ u) with K = exp(-C/ε)."""
    K = torch.exp(-cost / eps)
    if (K.sum(1) == 0).any() or (K.sum(0) == 0).any():
        worst = float(cost.min(1).values.max() / eps)
        raise SinkhornBreakdown(
            f"plain Sinkhorn underflows at eps={eps:g}: exp(-C/eps) is 0 on whole rows or columns "
            f"(C/eps reaches {worst:.0f}, float underflow starts near 745). "
            "Use method='log' (stable for any eps) or a larger eps."
        )
    u, v = torch.ones_like(a), torch.ones_like(b)
    errors: list[float] = []
    it = 0
    for it in range(1, max_iter + 1):
        u = a / (K @ v)
        v = b / (K.T @ u)
        if it % check_every == 0 or it == max_iter:
            # after the v update the columns match b exactly; the rows tell how far we are
            err = float((u * (K @ v) - a).abs().sum().detach())
            if not math.isfinite(err) or not (torch.isfinite(u).all() and torch.isfinite(v).all()):
                raise SinkhornBreakdown(
                    f"plain Sinkhorn overflowed at iteration {it} (eps={eps:g}): the scalings u, v left "
                    "the floating-point range. Use method='log' or a larger eps."
                )
            errors.append(err)
            if err <= tol:
                break
    if (u == 0).any() or (v == 0).any():
        raise SinkhornBreakdown(
            f"plain Sinkhorn underflowed at eps={eps:g}: some scalings u, v reached 0, so the plan "
            "loses mass. Use method='log' or a larger eps."
        )
    plan = (
        u[:, None] * K * v[None, :]
    )  # entries where K underflowed stay 0: mass is lost, not invented
    return plan, eps * u.log(), eps * v.log(), it, errors


@register_method("log")
def _log_iterations(a, b, cost, eps, max_iter, tol, check_every):
    """The same updates on scaled potentials f̂ = f/ε, ĝ = g/ε:

    f̂_i ← log a_i - logsumexp_j(ĝ_j - C_ij/ε),   ĝ_j ← log b_j - logsumexp_i(f̂_i - C_ij/ε).
    """
    M = -cost / eps  # (n, m)
    Mt = M.T.contiguous()  # (m, n): both log-sum-exps then reduce a contiguous last dim
    log_a, log_b = a.log(), b.log()
    f, g = torch.zeros_like(a), torch.zeros_like(b)
    errors: list[float] = []
    it = 0
    for it in range(1, max_iter + 1):
        f = log_a - torch.logsumexp(M + g[None, :], dim=1)
        g = log_b - torch.logsumexp(Mt + f[None, :], dim=1)
        if it % check_every == 0 or it == max_iter:
            row_mass = torch.exp(f + torch.logsumexp(M + g[None, :], dim=1))
            err = float((row_mass - a).abs().sum().detach())
            errors.append(err)
            if err <= tol:
                break
    plan = torch.exp(f[:, None] + g[None, :] + M)  # P_ij = exp((f_i + g_j - C_ij) / eps)
    return plan, eps * f, eps * g, it, errors


def solve_sinkhorn(
    a,
    b,
    cost,
    eps: float,
    *,
    method: str = "log",
    max_iter: int = 10_000,
    tol: float = 1e-9,
    check_every: int = 10,
) -> SinkhornResult:
    """Entropic OT by Sinkhorn's iterations; returns the plan and its diagnostics.

    Solves  min_P ⟨P, C⟩ - ε H(P)  s.t.  P 1 = a, Pᵀ 1 = b, P >= 0.

    Args:
        a: (n,) source weights, >= 0.  b: (m,) target weights, >= 0, same total mass as a.
        cost: (n, m) ground cost C, finite.  eps: entropic regularisation ε > 0, in cost units.
        method: a key of ``METHODS``: "log" (stable, default) or "plain" (scaling updates).
        max_iter: most Sinkhorn rounds.  tol: stop when ||P 1 - a||_1 <= tol.
        check_every: rounds between two convergence checks (a check costs about one round).

    Zero weights are allowed (their rows or columns of the plan are 0). Warns with
    ``RuntimeWarning`` when ``max_iter`` is reached before ``tol``.
    """
    iterate = METHODS.lookup(method)
    eps = check_positive(eps, "eps")
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not isinstance(check_every, int) or check_every < 1:
        raise ValueError(f"check_every must be a positive integer, got {check_every!r}")
    tol = check_positive(tol, "tol")
    cost = as_tensor(cost, "cost")
    check_ndim(cost, "cost", 2, "(n, m)")
    check_finite(cost, "cost")
    a = as_tensor(a, "a").to(cost.dtype)
    b = as_tensor(b, "b").to(cost.dtype)
    check_ndim(a, "a", 1, "(n,)")
    check_ndim(b, "b", 1, "(m,)")
    if cost.shape != (len(a), len(b)):
        raise ValueError(
            f"cost must have shape (len(a), len(b)) = ({len(a)}, {len(b)}), got {tuple(cost.shape)}"
        )
    check_histogram(a, "a")
    check_histogram(b, "b")
    check_same_mass(a, b)
    if not a.sum() > 0:
        raise ValueError("a and b carry no mass; give them positive total weight")

    # drop zero-weight points: they receive no mass and only slow the iterations down
    rows, cols = a > 0, b > 0
    sub_a, sub_b, sub_c = a[rows], b[cols], cost[rows][:, cols]
    sub_plan, f_s, g_s, n_iter, errors = iterate(
        sub_a, sub_b, sub_c, eps, max_iter, tol, check_every
    )
    plan = cost.new_zeros(cost.shape)
    plan[rows.nonzero(), cols.nonzero().T] = sub_plan
    f = torch.full_like(a, -math.inf).masked_scatter(rows, f_s)
    g = torch.full_like(b, -math.inf).masked_scatter(cols, g_s)

    err = _marginal_error(plan, a, b)
    converged = err <= tol * 2 + 1e-12 * float(a.sum())  # rows at tol, columns at rounding
    if not converged:
        import warnings

        warnings.warn(
            f"Sinkhorn ({method}) stopped after max_iter={max_iter} rounds with marginal error "
            f"{err:.2e} > tol={tol:g}; raise max_iter or eps (small eps converges slowly).",
            RuntimeWarning,
            stacklevel=2,
        )
    return SinkhornResult(
        plan=plan,
        cost=float((plan * cost).sum().detach()),
        f=f,
        g=g,
        n_iter=n_iter,
        marginal_error=err,
        converged=converged,
        eps=eps,
        method=method,
        errors=errors,
    )


def sinkhorn(a, b, cost, eps: float, **options) -> torch.Tensor:
    """The entropic transport plan P (n, m) between a (n,) and b (m,) under cost (n, m).

    ``sinkhorn(a, b, cost, eps)`` is ``solve_sinkhorn(a, b, cost, eps, **options).plan``;
    see ``solve_sinkhorn`` for the objective, the options and the diagnostics.
    """
    return solve_sinkhorn(a, b, cost, eps, **options).plan
