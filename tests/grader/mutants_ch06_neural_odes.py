"""Deliberately wrong answers to ch06_neural_odes, each with the checks that must catch it.

``MUTANTS`` maps a name to ``(replacements, must_fail)``: the notebook functions to
overwrite in the solution's namespace, and the check ids that must then fail
(see ``tests/test_exercises.py``).
"""

import math

import torch


def rk4_equal_weights(f, t, y, h):
    """Averages the four slopes with equal weights instead of 1, 2, 2, 1."""
    k1 = f(t, y)
    k2 = f(t + h / 2, y + h / 2 * k1)
    k3 = f(t + h / 2, y + h / 2 * k2)
    k4 = f(t + h, y + h * k3)
    return y + h / 4 * (k1 + k2 + k3 + k4)


def rk4_frozen_time(f, t, y, h):
    """Evaluates every stage at the start time t (right only for autonomous fields)."""
    k1 = f(t, y)
    k2 = f(t, y + h / 2 * k1)
    k3 = f(t, y + h / 2 * k2)
    k4 = f(t, y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def hutchinson_gaussian(A, n_probes, seed):
    """Gaussian probes: unbiased too, but not the Rademacher estimator asked for."""
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(n_probes, A.shape[0], generator=g, dtype=A.dtype)
    return torch.einsum("pi,ij,pj->p", eps, A, eps)


def hutchinson_zero_one(A, n_probes, seed):
    """Forgets to map the 0/1 draws to ±1: E[εεᵀ] is not I, so the mean is biased."""
    g = torch.Generator().manual_seed(seed)
    eps = torch.randint(0, 2, (n_probes, A.shape[0]), generator=g).to(A.dtype)
    return torch.einsum("pi,ij,pj->p", eps, A, eps)


def linear_cnf_trace_sign(A, x, t):
    """Adds t·tr(A) instead of subtracting it (the wrong sign of the change of variables)."""
    z0 = x @ torch.linalg.matrix_exp(-t * A).T
    base = -0.5 * (x.shape[1] * math.log(2 * math.pi) + (z0**2).sum(1))
    return base + t * torch.trace(A)


def linear_cnf_forward_map(A, x, t):
    """Pushes x forward with exp(tA) instead of pulling it back with exp(-tA)."""
    z0 = x @ torch.linalg.matrix_exp(t * A).T
    base = -0.5 * (x.shape[1] * math.log(2 * math.pi) + (z0**2).sum(1))
    return base - t * torch.trace(A)


MUTANTS = {
    "rk4_equal_weights": (
        {"rk4_step": rk4_equal_weights},
        {"q1_rk4.rk4_step_is_accurate", "q1_rk4.rk4_step_has_fifth_order_local_error"},
    ),
    "rk4_frozen_time": (
        {"rk4_step": rk4_frozen_time},
        {"q1_rk4.rk4_step_is_accurate", "q1_rk4.rk4_step_has_fifth_order_local_error"},
    ),
    "hutchinson_gaussian": (
        {"hutchinson_estimates": hutchinson_gaussian},
        {
            "q2_hutchinson.hutchinson_rademacher_is_exact_on_diagonals",
            "q2_hutchinson.hutchinson_variance_matches_rademacher",
        },
    ),
    "hutchinson_zero_one": (
        {"hutchinson_estimates": hutchinson_zero_one},
        {
            "q2_hutchinson.hutchinson_mean_is_the_trace",
            "q2_hutchinson.hutchinson_rademacher_is_exact_on_diagonals",
            "q2_hutchinson.hutchinson_variance_matches_rademacher",
        },
    ),
    "linear_cnf_trace_sign": (
        {"linear_cnf_log_prob": linear_cnf_trace_sign},
        {
            "q3_linear_cnf.linear_cnf_matches_the_gaussian",
            "q3_linear_cnf.linear_cnf_density_integrates_to_one",
        },
    ),
    "linear_cnf_forward_map": (
        {"linear_cnf_log_prob": linear_cnf_forward_map},
        {
            "q3_linear_cnf.linear_cnf_matches_the_gaussian",
            "q3_linear_cnf.linear_cnf_density_integrates_to_one",
        },
    ),
}
