"""Hidden graded checks for ``ch05_gans`` (never copied to ``exercises/``).

Each ``@check`` receives the executed notebook's namespace ``nb`` and compares the student's
function with an independent reference: ``torch.nn.functional.binary_cross_entropy_with_logits``,
finite differences of the critic (evaluated in the student's kernel through ``nb.make_critic``),
closed forms, a brute-force loop over samples and modes, and ``scipy.linalg.sqrtm``.
Every check uses its own seeded data and explicit tolerances.
"""

import math

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F

from course_grader.checks import check

F64 = torch.float64


def _num(value) -> float:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double()
        if value.numel() != 1:
            raise AssertionError(f"expected a scalar, got a tensor of shape {tuple(value.shape)}")
        return float(value.reshape(()))
    return float(value)


def _randn(gen, *shape, scale=1.0):
    return scale * torch.randn(*shape, generator=gen, dtype=F64)


# ------------------------------------------------------------- Q1: GAN losses (3 points)


@check(
    "q1_gan_losses",
    points=1,
    message="discriminator_loss(real, fake) disagrees with binary cross-entropy "
    "(label 1 for reals, 0 for fakes) on random logits.",
)
def discriminator_loss_is_bce(nb):
    gen = torch.Generator().manual_seed(501)
    for m in (1, 7, 64):
        real, fake = _randn(gen, m, scale=3.0), _randn(gen, m, scale=3.0)
        want = F.binary_cross_entropy_with_logits(real, torch.ones(m, dtype=F64)) + (
            F.binary_cross_entropy_with_logits(fake, torch.zeros(m, dtype=F64))
        )
        got = _num(nb.discriminator_loss(real, fake))
        assert abs(got - float(want)) < 1e-10, (
            f"m={m}: L_D = {got:.10g}, expected {float(want):.10g}"
        )


@check(
    "q1_gan_losses",
    points=1,
    message="generator_loss(fake) is not the non-saturating loss -mean log sigmoid(fake) "
    "(binary cross-entropy with label 1).",
)
def generator_loss_is_non_saturating(nb):
    gen = torch.Generator().manual_seed(502)
    for m in (1, 9, 128):
        fake = _randn(gen, m, scale=3.0)
        want = float(F.binary_cross_entropy_with_logits(fake, torch.ones(m, dtype=F64)))
        got = _num(nb.generator_loss(fake))
        assert abs(got - want) < 1e-10, f"m={m}: L_G = {got:.10g}, expected {want:.10g}"


@check(
    "q1_gan_losses",
    points=1,
    message="the losses overflow for saturated logits (|logit| = 300): compute log sigmoid "
    "with softplus instead of log(sigmoid(...)).",
)
def losses_are_stable_for_saturated_logits(nb):
    big = torch.tensor([300.0, -300.0, 40.0], dtype=F64)
    for name, got, want in (
        (
            "generator_loss",
            _num(nb.generator_loss(big)),
            float(F.binary_cross_entropy_with_logits(big, torch.ones(3, dtype=F64))),
        ),
        (
            "discriminator_loss",
            _num(nb.discriminator_loss(big, big)),
            float(
                F.binary_cross_entropy_with_logits(big, torch.ones(3, dtype=F64))
                + F.binary_cross_entropy_with_logits(big, torch.zeros(3, dtype=F64))
            ),
        ),
    ):
        assert math.isfinite(got), f"{name} on logits ±300 is {got}"
        assert abs(got - want) < 1e-8 * max(1.0, abs(want)), f"{name} = {got}, expected {want}"


# ------------------------------------------------------- Q2: gradient penalty (4 points)


def _batch(seed, m=6):
    gen = torch.Generator().manual_seed(seed)
    return _randn(gen, m, 2), _randn(gen, m, 2, scale=1.5), torch.rand(m, generator=gen, dtype=F64)


@check(
    "q2_gradient_penalty",
    points=2,
    message="gradient_penalty differs from (‖∇f(x̂)‖ - 1)² averaged over x̂ = eps·real + "
    "(1 - eps)·fake, with ∇f estimated by central finite differences.",
)
def gradient_penalty_matches_finite_differences(nb):
    for seed in (11, 12):
        critic = nb.make_critic(seed)
        real, fake, eps = _batch(seed)
        x_hat = eps[:, None] * real + (1 - eps[:, None]) * fake
        h = 1e-5
        grads = torch.stack(
            [
                (critic(x_hat + h * e) - critic(x_hat - h * e)).reshape(-1) / (2 * h)
                for e in torch.eye(2, dtype=F64)
            ],
            dim=1,
        )
        want = float(((grads.norm(dim=1) - 1) ** 2).mean().detach())
        got = _num(nb.gradient_penalty(critic, real, fake, eps))
        assert abs(got - want) < 1e-7, f"critic seed {seed}: GP = {got:.9g}, expected {want:.9g}"


@check(
    "q2_gradient_penalty",
    points=1,
    message="gradient_penalty of a linear critic f(x) = w·x must be (‖w‖ - 1)², "
    "whatever the points (mind the norm: not squared, not summed over the batch).",
)
def gradient_penalty_linear_closed_form(nb):
    real, fake, eps = _batch(13, m=10)
    for w in ([3.0, 4.0], [0.6, 0.8], [0.1, -0.2]):
        want = (math.hypot(*w) - 1) ** 2
        got = _num(nb.gradient_penalty(nb.linear_critic(w), real, fake, eps))
        assert abs(got - want) < 1e-10, f"w = {w}: GP = {got:.10g}, expected {want:.10g}"


@check(
    "q2_gradient_penalty",
    points=1,
    message="the penalty does not depend on the critic's weights the way it should: compute "
    "the input gradient with create_graph=True, so training can differentiate through it.",
)
def gradient_penalty_depends_on_the_weights(nb):
    # d GP / d w by finite differences on one weight, versus autograd in the student's kernel
    real, fake, eps = _batch(14)
    h = 1e-5
    up = _num(nb.gradient_penalty(nb.make_critic(15, h), real, fake, eps))
    down = _num(nb.gradient_penalty(nb.make_critic(15, -h), real, fake, eps))
    want = (up - down) / (2 * h)
    penalty = nb.gradient_penalty(nb.make_critic(15), real, fake, eps)
    assert isinstance(penalty, torch.Tensor), "gradient_penalty must return a tensor"
    got = _num(nb.penalty_weight_gradient(nb.gradient_penalty, 15, real, fake, eps))
    assert abs(got - want) < 1e-6 * max(1.0, abs(want)), (
        f"∂GP/∂w = {got:.8g} through autograd, {want:.8g} by finite differences"
    )


# ------------------------------------------------------- Q3: mode coverage (4 points)


def _ring(k=8, radius=2.0):
    a = 2 * math.pi * torch.arange(k, dtype=F64) / k
    return radius * torch.stack([a.cos(), a.sin()], dim=1)


def _coverage_loop(x, modes, std):
    covered, good = set(), 0
    for p in x.tolist():
        d = [math.dist(p, m) for m in modes.tolist()]
        k = int(np.argmin(d))
        if d[k] <= 3 * std:
            good += 1
            covered.add(k)
    return len(covered), good / len(x)


def _assert_coverage(nb, x, modes, std, label):
    covered, share = nb.mode_coverage(x, modes, std)
    want_covered, want_share = _coverage_loop(x, modes, std)
    assert int(covered) == want_covered, (
        f"{label}: {covered} modes covered, expected {want_covered}"
    )
    assert abs(float(share) - want_share) < 1e-12, f"{label}: share {share}, expected {want_share}"


@check(
    "q3_mode_coverage",
    points=2,
    message="mode_coverage disagrees with a loop over samples on noisy rings "
    "(covered modes or the high-quality share).",
)
def mode_coverage_matches_loop(nb):
    gen = torch.Generator().manual_seed(31)
    modes = _ring()
    for std, scale in ((0.02, 0.04), (0.05, 0.3), (0.1, 0.15)):
        idx = torch.randint(0, 5, (300,), generator=gen)  # only modes 0..4 are used
        x = modes[idx] + _randn(gen, 300, 2, scale=scale)
        _assert_coverage(nb, x, modes, std, f"std {std}")


@check(
    "q3_mode_coverage",
    points=1,
    message="a mode whose nearest samples are all low quality must not count as covered.",
)
def mode_coverage_needs_high_quality(nb):
    modes = _ring()
    x = torch.stack(
        [
            modes[0],
            modes[1] + torch.tensor([0.0, 0.5], dtype=F64),  # mode 1: only a poor sample
            modes[2] + torch.tensor([0.0, 0.5], dtype=F64),
            modes[3] + torch.tensor([0.25, 0.0], dtype=F64),
        ]
    )
    covered, share = nb.mode_coverage(x, modes, 0.125)  # 3 std = 0.375 (exact in binary)
    assert (int(covered), float(share)) == (2, 0.5), (
        f"got ({covered}, {share}), expected (2, 0.5): modes 0 and 3 are covered"
    )


@check(
    "q3_mode_coverage",
    points=1,
    message="mode_coverage is wrong on a 25-mode grid in 3 std units (a collapsed and a "
    "spread generator).",
)
def mode_coverage_grid(nb):
    g = torch.arange(5, dtype=F64) * 2 - 4
    modes = torch.cartesian_prod(g, g)
    gen = torch.Generator().manual_seed(33)
    collapsed = modes[7] + _randn(gen, 200, 2, scale=0.05)
    _assert_coverage(nb, collapsed, modes, 0.05, "collapsed on one mode")
    spread = modes[torch.randint(0, 25, (500,), generator=gen)] + _randn(gen, 500, 2, scale=0.08)
    _assert_coverage(nb, spread, modes, 0.05, "spread over the grid")


# ------------------------------------------------------- Q4: Fréchet distance (3 points)


def _gaussian(rng, d):
    a = rng.normal(size=(d, d))
    return rng.normal(size=d), a @ a.T + 0.1 * np.eye(d)


def _frechet_scipy(mu1, c1, mu2, c2):
    s1 = scipy.linalg.sqrtm(c1)
    cross = np.real(scipy.linalg.sqrtm(s1 @ c2 @ s1))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * cross))


@check(
    "q4_frechet",
    points=2,
    message="frechet_distance disagrees with the formula evaluated with scipy.linalg.sqrtm "
    "on random Gaussians.",
)
def frechet_matches_scipy(nb):
    rng = np.random.default_rng(41)
    for d in (1, 3, 8):
        (mu1, c1), (mu2, c2) = _gaussian(rng, d), _gaussian(rng, d)
        want = _frechet_scipy(mu1, c1, mu2, c2)
        got = _num(nb.frechet_distance(*(torch.tensor(v) for v in (mu1, c1, mu2, c2))))
        assert abs(got - want) < 1e-7 * max(1.0, abs(want)), f"d={d}: {got:.10g} vs {want:.10g}"


@check(
    "q4_frechet",
    points=1,
    message="frechet_distance misses a closed form: 0 for identical Gaussians, "
    "d·(σ₁ - σ₂)² for N(μ, σ₁² I) and N(μ, σ₂² I), and the same value with the arguments swapped.",
)
def frechet_closed_forms(nb):
    rng = np.random.default_rng(42)
    (mu1, c1), (mu2, c2) = _gaussian(rng, 4), _gaussian(rng, 4)
    t = [torch.tensor(v) for v in (mu1, c1, mu2, c2)]
    same = _num(nb.frechet_distance(t[0], t[1], t[0], t[1]))
    assert abs(same) < 1e-8, f"d² of a Gaussian with itself is {same}"
    ab, ba = _num(nb.frechet_distance(*t)), _num(nb.frechet_distance(t[2], t[3], t[0], t[1]))
    assert abs(ab - ba) < 1e-8 * max(1.0, ab), f"d²(1, 2) = {ab}, d²(2, 1) = {ba}"
    mu, eye = torch.tensor(mu1), torch.eye(4, dtype=F64)
    iso = _num(nb.frechet_distance(mu, 0.25 * eye, mu, 2.25 * eye))
    assert abs(iso - 4.0) < 1e-9, (
        f"N(μ, 0.25 I) vs N(μ, 2.25 I) in 4-D: {iso}, expected 4·(0.5 - 1.5)² = 4"
    )
