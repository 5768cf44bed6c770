"""Deliberately wrong answers to ch04_autoencoders, each with the checks that must catch it.

``MUTANTS`` maps a name to ``(replacements, must_fail)``: the notebook functions to overwrite
in the solution's namespace, and the check ids that must then fail.
"""

import torch


def reparameterize_with_variance(mu, log_var, eps):
    """Scales eps by the variance exp(log_var) instead of the standard deviation."""
    return mu + torch.exp(log_var) * eps


def gaussian_kl_mean_over_latents(mu, log_var):
    """Averages over the latent coordinates instead of summing them."""
    return 0.5 * torch.mean(mu**2 + torch.exp(log_var) - 1 - log_var, dim=-1)


def elbo_batch_mean(x, logits, mu, log_var):
    """Returns the batch mean instead of one ELBO per image."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
    kl = 0.5 * torch.sum(mu**2 + torch.exp(log_var) - 1 - log_var, dim=-1)
    return (-bce.sum(dim=-1) - kl).mean()


def elbo_naive_log_sigmoid(x, logits, mu, log_var):
    """log(sigmoid(l)) and log(1 - sigmoid(l)): right for moderate logits, inf/nan at ±200."""
    p = torch.sigmoid(logits)
    log_px_z = (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(dim=-1)
    kl = 0.5 * torch.sum(mu**2 + torch.exp(log_var) - 1 - log_var, dim=-1)
    return log_px_z - kl


def hebbian_weights_with_diagonal(patterns):
    """Forgets to zero the diagonal (self-connections P/n)."""
    return patterns.T @ patterns / patterns.shape[1]


def recall_step_ties_to_plus_one(W, s):
    """Sends a unit with input exactly 0 to +1 instead of keeping it."""
    return torch.where(W @ s >= 0, 1.0, -1.0).to(s.dtype)


def contractive_penalty_unsquared_slope(W, b, x):
    """Uses (1 - h²) instead of (1 - h²)²: the Jacobian's entries are not squared correctly."""
    h = torch.tanh(x @ W.T + b)
    return ((1 - h**2) * (W**2).sum(dim=1)).sum(dim=-1)


MUTANTS = {
    "reparameterize_with_variance": (
        {"reparameterize": reparameterize_with_variance},
        {"q1_vae_pieces.reparameterize_matches_rsample"},
    ),
    "gaussian_kl_mean_over_latents": (
        {"gaussian_kl": gaussian_kl_mean_over_latents},
        {"q1_vae_pieces.kl_matches_torch_distributions", "q1_vae_pieces.kl_matches_monte_carlo"},
    ),
    "elbo_batch_mean": (
        {"elbo": elbo_batch_mean},
        {"q2_elbo.elbo_matches_torch_distributions", "q2_elbo.elbo_is_stable_for_large_logits"},
    ),
    "elbo_naive_log_sigmoid": (
        {"elbo": elbo_naive_log_sigmoid},
        {"q2_elbo.elbo_is_stable_for_large_logits"},
    ),
    "hebbian_weights_with_diagonal": (
        {"hebbian_weights": hebbian_weights_with_diagonal},
        {"q3_hopfield.weights_match_a_loop"},
    ),
    "recall_step_ties_to_plus_one": (
        {"recall_step": recall_step_ties_to_plus_one},
        {"q3_hopfield.recall_step_matches_a_loop"},
    ),
    "contractive_penalty_unsquared_slope": (
        {"contractive_penalty": contractive_penalty_unsquared_slope},
        {"q4_contractive.penalty_matches_autograd_jacobian"},
    ),
}
