"""Deliberately wrong answers to ch06_flows, each with the checks that must catch it.

``MUTANTS`` maps a name to ``(replacements, must_fail)`` (see ``tests/grader/mutants.py``).
"""

import torch


def _conditioner(x_kept, W, c):
    h = x_kept @ W.T + c
    dim = x_kept.shape[1]
    return torch.tanh(h[:, :dim]), h[:, dim:]


def forward_log_det_all_coordinates(x, mask, W, c):
    """Sums s over every coordinate, kept ones included."""
    s, t = _conditioner(mask * x, W, c)
    z = mask * x + (1 - mask) * (x * torch.exp(s) + t)
    return z, s.sum(dim=1)


def forward_unmasked_conditioner(x, mask, W, c):
    """Feeds the whole x to s and t: the Jacobian is no longer triangular."""
    s, t = _conditioner(x, W, c)
    free = 1 - mask
    return mask * x + free * (x * torch.exp(s) + t), (free * s).sum(dim=1)


def inverse_wrong_order(z, mask, W, c):
    """Undoes the scale before the shift: z * exp(-s) - t."""
    s, t = _conditioner(mask * z, W, c)
    return mask * z + (1 - mask) * (z * torch.exp(-s) - t)


def u_hat_softplus_without_minus_one(u, w):
    """m(a) = softplus(a), forgetting the -1: w·û > 0 instead of > -1."""
    wu = w @ u
    return u + (torch.nn.functional.softplus(wu) - wu) * w / (w @ w)


def planar_log_det_raw_u(x, u, w, b):
    """Uses u instead of û in the determinant."""
    h_prime = 1 - torch.tanh(x @ w + b) ** 2
    return torch.log(torch.abs(1 + h_prime * (u @ w)))


def planar_log_det_tanh_not_derivative(x, u, w, b):
    """Uses tanh instead of its derivative 1 - tanh²."""
    wu = w @ u
    u_hat = u + (-1 + torch.nn.functional.softplus(wu) - wu) * w / (w @ w)
    return torch.log(torch.abs(1 + torch.tanh(x @ w + b) * (u_hat @ w)))


MUTANTS = {
    "forward_log_det_all_coordinates": (
        {"coupling_forward": forward_log_det_all_coordinates},
        {"q1_coupling_forward.coupling_log_det_matches_autograd"},
    ),
    "forward_unmasked_conditioner": (
        {"coupling_forward": forward_unmasked_conditioner},
        {
            "q1_coupling_forward.coupling_z_matches_reference",
            "q1_coupling_forward.coupling_log_det_matches_autograd",
            "q1_coupling_forward.coupling_jacobian_structure",
        },
    ),
    "inverse_wrong_order": (
        {"coupling_inverse": inverse_wrong_order},
        {
            "q2_coupling_inverse.coupling_inverse_undoes_reference_forward",
            "q2_coupling_inverse.coupling_forward_of_inverse_is_identity",
        },
    ),
    "u_hat_softplus_without_minus_one": (
        {"planar_u_hat": u_hat_softplus_without_minus_one},
        {"q3_planar.u_hat_closed_form"},
    ),
    "planar_log_det_raw_u": (
        {"planar_log_det": planar_log_det_raw_u},
        {"q3_planar.planar_log_det_matches_autograd"},
    ),
    "planar_log_det_tanh_not_derivative": (
        {"planar_log_det": planar_log_det_tanh_not_derivative},
        {"q3_planar.planar_log_det_matches_autograd"},
    ),
}
