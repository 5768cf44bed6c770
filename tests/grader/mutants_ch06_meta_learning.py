"""Deliberately wrong answers to ch06_meta_learning, each with the checks that must catch it.

``MUTANTS`` maps a name to ``(replacements, must_fail)``; ``tests/test_exercises.py``
asserts that exactly those checks fail and that the other questions keep full marks.
"""

import torch
import torch.nn.functional as F


def _mlp(params, x):
    return torch.tanh(x @ params["w1"].T + params["b1"]) @ params["w2"].T + params["b2"]


def inner_step_sum_loss(params, x, y, lr):
    """Sums the squared errors instead of averaging them: the step is K times too long."""
    params = {k: v.detach().requires_grad_() for k, v in params.items()}
    loss = torch.sum((_mlp(params, x) - y) ** 2)
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    return {k: v - lr * g for (k, v), g in zip(params.items(), grads, strict=True)}


def inner_step_ascent(params, x, y, lr):
    """Adds the gradient: a step uphill."""
    params = {k: v.detach().requires_grad_() for k, v in params.items()}
    loss = torch.mean((_mlp(params, x) - y) ** 2)
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    return {k: v + lr * g for (k, v), g in zip(params.items(), grads, strict=True)}


def sample_weight_exp(mu, rho, eps):
    """Uses exp(rho) as the standard deviation instead of softplus(rho)."""
    return mu + torch.exp(rho) * eps


def gaussian_kl_exp(mu, rho, prior_std):
    """The KL with sigma = exp(rho): consistent with the wrong sample, wrong here."""
    sigma = torch.exp(rho)
    s = torch.as_tensor(prior_std, dtype=mu.dtype)
    return torch.sum(torch.log(s / sigma) + (sigma**2 + mu**2) / (2 * s**2) - 0.5)


def gaussian_kl_forgets_prior_scale(mu, rho, prior_std):
    """Drops log s: right only for the standard normal prior."""
    sigma = F.softplus(rho)
    return torch.sum(-torch.log(sigma) + (sigma**2 + mu**2) / (2 * prior_std**2) - 0.5)


def gaussian_kl_reversed(mu, rho, prior_std):
    """KL(p ‖ q) instead of KL(q ‖ p)."""
    sigma = F.softplus(rho)
    s = torch.as_tensor(prior_std, dtype=mu.dtype)
    return torch.sum(torch.log(sigma / s) + (s**2 + mu**2) / (2 * sigma**2) - 0.5)


def meta_gradient_always_first_order(theta, A, a, B, b, alpha, first_order=False):
    """Never keeps the graph of the inner gradient: first order even when asked for second."""
    theta = theta.detach().requires_grad_()
    (grad_s,) = torch.autograd.grad(0.5 * (theta - a) @ A @ (theta - a), theta)
    adapted = theta - alpha * grad_s
    (grad,) = torch.autograd.grad(0.5 * (adapted - b) @ B @ (adapted - b), theta)
    return grad


def meta_gradient_always_second_order(theta, A, a, B, b, alpha, first_order=False):
    """Ignores first_order: always differentiates through the inner step."""
    theta = theta.detach().requires_grad_()
    (grad_s,) = torch.autograd.grad(0.5 * (theta - a) @ A @ (theta - a), theta, create_graph=True)
    adapted = theta - alpha * grad_s
    (grad,) = torch.autograd.grad(0.5 * (adapted - b) @ B @ (adapted - b), theta)
    return grad


def meta_gradient_at_theta(theta, A, a, B, b, alpha, first_order=False):
    """Forgets the inner step: the query gradient at θ instead of θ'."""
    return B @ (theta - b)


Q1 = {"q1_inner_step.inner_step_matches_sgd", "q1_inner_step.inner_step_matches_torch_func"}
KL = {"q2_reparameterise.kl_standard_prior", "q2_reparameterise.kl_other_prior"}
Q3 = {
    "q3_meta_gradient.second_order_matches_closed_form",
    "q3_meta_gradient.first_order_is_query_gradient_at_adapted",
}

MUTANTS = {
    "inner_step_sum_loss": ({"inner_step": inner_step_sum_loss}, Q1),
    "inner_step_ascent": ({"inner_step": inner_step_ascent}, Q1),
    "sample_weight_exp": (
        {"sample_weight": sample_weight_exp},
        {"q2_reparameterise.sample_matches_normal_quantile"},
    ),
    "gaussian_kl_exp": ({"gaussian_kl": gaussian_kl_exp}, KL),
    "gaussian_kl_forgets_prior_scale": (
        {"gaussian_kl": gaussian_kl_forgets_prior_scale},
        {"q2_reparameterise.kl_other_prior"},
    ),
    "gaussian_kl_reversed": ({"gaussian_kl": gaussian_kl_reversed}, KL),
    "meta_gradient_always_first_order": (
        {"meta_gradient": meta_gradient_always_first_order},
        {"q3_meta_gradient.second_order_matches_closed_form"},
    ),
    "meta_gradient_always_second_order": (
        {"meta_gradient": meta_gradient_always_second_order},
        {"q3_meta_gradient.first_order_is_query_gradient_at_adapted"},
    ),
    "meta_gradient_at_theta": ({"meta_gradient": meta_gradient_at_theta}, Q3),
}
