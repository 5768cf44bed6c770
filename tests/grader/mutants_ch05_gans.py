"""Deliberately wrong answers to ch05_gans, each with the checks that must catch it.

``MUTANTS`` maps a name to ``(replacements, must_fail)``: the notebook functions to overwrite
in the solution's namespace, and the check ids that must then fail (see tests/test_exercises.py).
"""

import torch


def discriminator_loss_swapped_labels(real_logits, fake_logits):
    """Labels the fakes as real and the reals as fake."""
    softplus = torch.nn.functional.softplus
    return softplus(real_logits).mean() + softplus(-fake_logits).mean()


def discriminator_loss_naive_log(real_logits, fake_logits):
    """log(sigmoid(...)) directly: right for moderate logits, -inf once the sigmoid saturates."""
    return (
        -torch.log(torch.sigmoid(real_logits)).mean()
        - torch.log(1 - torch.sigmoid(fake_logits)).mean()
    )


def generator_loss_saturating(fake_logits):
    """The minimax (saturating) loss mean log(1 - D) instead of the non-saturating one."""
    return -torch.nn.functional.softplus(fake_logits).mean()


def gradient_penalty_squared_norm(critic, real, fake, eps):
    """Uses ‖∇f‖² instead of ‖∇f‖ inside the penalty."""
    x_hat = (eps[:, None] * real + (1 - eps[:, None]) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.pow(2).sum(1) - 1) ** 2).mean()


def gradient_penalty_no_graph(critic, real, fake, eps):
    """Forgets create_graph=True: the right value, but training cannot differentiate it."""
    x_hat = (eps[:, None] * real + (1 - eps[:, None]) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def gradient_penalty_at_fakes(critic, real, fake, eps):
    """Penalises the gradient at the fake samples instead of at the interpolates."""
    x = fake.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def mode_coverage_ignores_quality(samples, modes, std):
    """Counts every mode that is some sample's nearest, high quality or not."""
    dist = torch.cdist(samples, modes)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= 3 * std
    return len(torch.unique(nearest)), good.double().mean().item()


def mode_coverage_one_std(samples, modes, std):
    """Uses 1 standard deviation as the quality radius instead of 3."""
    dist = torch.cdist(samples, modes)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= std
    return len(torch.unique(nearest[good])), good.double().mean().item()


def frechet_without_factor_two(mu1, cov1, mu2, cov2):
    """Drops the factor 2 in front of the cross term."""
    lam, vec = torch.linalg.eigh(cov1)
    s1 = (vec * lam.clamp(min=0).sqrt()) @ vec.T
    cross = torch.linalg.eigvalsh(s1 @ cov2 @ s1).clamp(min=0).sqrt().sum()
    return ((mu1 - mu2) ** 2).sum() + torch.trace(cov1) + torch.trace(cov2) - cross


def frechet_elementwise_sqrt(mu1, cov1, mu2, cov2):
    """Takes element-wise square roots (right only for diagonal covariances)."""
    cross = (cov1.abs().sqrt() * cov2.abs().sqrt()).diagonal().sum()
    return ((mu1 - mu2) ** 2).sum() + torch.trace(cov1) + torch.trace(cov2) - 2 * cross


MUTANTS = {
    "discriminator_loss_swapped_labels": (
        {"discriminator_loss": discriminator_loss_swapped_labels},
        {"q1_gan_losses.discriminator_loss_is_bce"},
    ),
    "discriminator_loss_naive_log": (
        {"discriminator_loss": discriminator_loss_naive_log},
        {"q1_gan_losses.losses_are_stable_for_saturated_logits"},
    ),
    "generator_loss_saturating": (
        {"generator_loss": generator_loss_saturating},
        {
            "q1_gan_losses.generator_loss_is_non_saturating",
            "q1_gan_losses.losses_are_stable_for_saturated_logits",
        },
    ),
    "gradient_penalty_squared_norm": (
        {"gradient_penalty": gradient_penalty_squared_norm},
        {
            "q2_gradient_penalty.gradient_penalty_matches_finite_differences",
            "q2_gradient_penalty.gradient_penalty_linear_closed_form",
        },
    ),
    "gradient_penalty_no_graph": (
        {"gradient_penalty": gradient_penalty_no_graph},
        {"q2_gradient_penalty.gradient_penalty_depends_on_the_weights"},
    ),
    "gradient_penalty_at_fakes": (
        {"gradient_penalty": gradient_penalty_at_fakes},
        {"q2_gradient_penalty.gradient_penalty_matches_finite_differences"},
    ),
    "mode_coverage_ignores_quality": (
        {"mode_coverage": mode_coverage_ignores_quality},
        {
            "q3_mode_coverage.mode_coverage_matches_loop",
            "q3_mode_coverage.mode_coverage_needs_high_quality",
        },
    ),
    "mode_coverage_one_std": (
        {"mode_coverage": mode_coverage_one_std},
        {
            "q3_mode_coverage.mode_coverage_matches_loop",
            "q3_mode_coverage.mode_coverage_needs_high_quality",
            "q3_mode_coverage.mode_coverage_grid",
        },
    ),
    "frechet_without_factor_two": (
        {"frechet_distance": frechet_without_factor_two},
        {"q4_frechet.frechet_matches_scipy", "q4_frechet.frechet_closed_forms"},
    ),
    "frechet_elementwise_sqrt": (
        {"frechet_distance": frechet_elementwise_sqrt},
        {"q4_frechet.frechet_matches_scipy"},
    ),
}
