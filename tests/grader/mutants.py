"""Deliberately wrong answers to ch03_losses, each with the checks that must catch it.

``MUTANTS`` maps a name to ``(replacements, must_fail)``: the notebook functions
to overwrite in the solution's namespace, and the check ids that must then fail.
``tests/test_exercises.py`` asserts that exactly those checks fail, and that the
other questions keep full marks: proof that the hidden checks can fail.
"""

import torch


def kl_reversed(p, q):
    """Computes KL(q ‖ p) instead of KL(p ‖ q)."""
    support = q > 0
    return torch.sum(q[support] * torch.log(q[support] / p[support]))


def kl_without_support_mask(p, q):
    """Forgets the 0 log 0 = 0 convention: a zero in p gives nan."""
    return torch.sum(p * torch.log(p / q))


def w1_sorted_pairs(x, y):
    """Pairs the sorted samples one to one: right only for equal sizes."""
    k = min(len(x), len(y))
    return torch.mean(torch.abs(torch.sort(x).values[:k] - torch.sort(y).values[:k]))


def w1_float32_cdfs(x, y):
    """Divides integer counts by integers: float32 CDFs, about 1e-8 off."""
    z = torch.sort(torch.cat([x, y])).values
    left, gaps = z[:-1], z[1:] - z[:-1]
    F = torch.searchsorted(torch.sort(x).values, left, right=True) / len(x)
    G = torch.searchsorted(torch.sort(y).values, left, right=True) / len(y)
    return torch.sum(torch.abs(F - G) * gaps)


def sinkhorn_step_stale_u(u, v, K, a, b):
    """Off by one: v is updated from the OLD u (a Jacobi instead of a Gauss-Seidel step)."""
    return a / (K @ v), b / (K.T @ u)


def sinkhorn_plan_one_round(a, b, cost, eps, n_iter=500):
    """Ignores n_iter: a single Sinkhorn round, so the row sums are not yet a."""
    K = torch.exp(-cost / eps)
    u = a / (K @ torch.ones_like(b))
    v = b / (K.T @ u)
    return u[:, None] * K * v[None, :]


def mmd2_biased(x, y, bandwidth):
    """The biased (V-statistic) estimate: keeps i = j and divides by n² and m²."""

    def gram(s, t):
        return torch.exp(-(torch.cdist(s, t) ** 2) / (2 * bandwidth**2))

    return gram(x, x).mean() + gram(y, y).mean() - 2 * gram(x, y).mean()


def mmd2_wrong_bandwidth(x, y, bandwidth):
    """Uses exp(-d² / h²) instead of exp(-d² / (2 h²))."""

    def gram(s, t):
        return torch.exp(-(torch.cdist(s, t) ** 2) / bandwidth**2)

    n, m = len(x), len(y)
    kxx, kyy = gram(x, x), gram(y, y)
    return (
        (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
        + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        - 2 * gram(x, y).mean()
    )


MUTANTS = {
    "kl_reversed": (
        {"kl": kl_reversed},
        {"q1_kl.kl_binomial_vs_uniform", "q1_kl.kl_matches_scipy", "q1_kl.kl_zero_conventions"},
    ),
    "kl_without_support_mask": (
        {"kl": kl_without_support_mask},
        {"q1_kl.kl_zero_conventions"},
    ),
    "w1_sorted_pairs": (
        {"w1_from_cdfs": w1_sorted_pairs},
        {"q2_w1_from_cdfs.w1_unequal_sizes", "q2_w1_from_cdfs.w1_ties"},
    ),
    "w1_float32_cdfs": (
        {"w1_from_cdfs": w1_float32_cdfs},
        {
            "q2_w1_from_cdfs.w1_equal_sizes",
            "q2_w1_from_cdfs.w1_unequal_sizes",
            "q2_w1_from_cdfs.w1_ties",
            "q2_w1_from_cdfs.w1_translation",
        },
    ),
    "sinkhorn_step_stale_u": (
        {"sinkhorn_step": sinkhorn_step_stale_u},
        {"q3_sinkhorn.sinkhorn_step_formula"},
    ),
    "sinkhorn_plan_one_round": (
        {"sinkhorn_plan": sinkhorn_plan_one_round},
        {
            "q3_sinkhorn.sinkhorn_plan_matches_pot",
            "q3_sinkhorn.sinkhorn_plan_marginals",
            "q3_sinkhorn.sinkhorn_small_eps_approaches_exact_ot",
        },
    ),
    "mmd2_biased": (
        {"mmd2_unbiased": mmd2_biased},
        {"q4_mmd_unbiased.mmd_matches_double_loop", "q4_mmd_unbiased.mmd_unbiased_under_null"},
    ),
    "mmd2_wrong_bandwidth": (
        {"mmd2_unbiased": mmd2_wrong_bandwidth},
        {"q4_mmd_unbiased.mmd_matches_double_loop"},
    ),
}
