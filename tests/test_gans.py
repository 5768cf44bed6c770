"""course_lib.gans against torch.nn.functional, autograd and finite differences."""

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from course_lib import checkpoints, data, gans
from course_lib import gan_metrics as gm

F64 = torch.float64


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(0)
    return 3 * torch.randn(64, generator=g, dtype=F64), 3 * torch.randn(64, generator=g, dtype=F64)


# -------------------------------------------------------------------------------- losses
def test_discriminator_loss_is_binary_cross_entropy(logits):
    real, fake = logits
    want = F.binary_cross_entropy_with_logits(
        real, torch.ones_like(real)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    assert torch.allclose(gans.discriminator_loss(real, fake), want, atol=1e-12)


def test_generator_losses_match_bce_with_logits(logits):
    _, fake = logits
    # saturating: E log(1 - D) = - BCE(l, label 0); non-saturating: -E log D = BCE(l, label 1)
    sat = -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    non_sat = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    assert torch.allclose(gans.generator_loss_saturating(fake), sat, atol=1e-12)
    assert torch.allclose(gans.generator_loss_non_saturating(fake), non_sat, atol=1e-12)
    # the naive formulas on probabilities agree where they do not overflow
    d = torch.sigmoid(fake)
    assert torch.allclose(gans.generator_loss_saturating(fake), torch.log1p(-d).mean(), atol=1e-10)


def test_generator_loss_gradients_saturate_as_the_theory_says(logits):
    _, fake = logits
    fake = fake.clone().requires_grad_(True)
    (g_sat,) = torch.autograd.grad(gans.generator_loss_saturating(fake), fake)
    (g_ns,) = torch.autograd.grad(gans.generator_loss_non_saturating(fake), fake)
    d = torch.sigmoid(fake.detach())
    B = len(fake)
    assert torch.allclose(g_sat, -d / B, atol=1e-12)  # ~0 when D(G(z)) -> 0
    assert torch.allclose(g_ns, -(1 - d) / B, atol=1e-12)  # ~-1/B there


def test_losses_stay_finite_for_saturated_logits():
    big = torch.tensor([-200.0, 200.0], dtype=F64)
    for value in (
        gans.discriminator_loss(big, big),
        gans.generator_loss_saturating(big),
        gans.generator_loss_non_saturating(big),
    ):
        assert torch.isfinite(value)
    assert gans.generator_loss_non_saturating(torch.tensor([-200.0])).item() == pytest.approx(200)


def test_wgan_losses_are_mean_differences(logits):
    real, fake = logits
    assert torch.allclose(gans.critic_loss(real, fake), fake.mean() - real.mean())
    assert torch.allclose(gans.wgan_generator_loss(fake), -fake.mean())


def test_losses_reject_bad_input():
    with pytest.raises(ValueError, match="real_logits"):
        gans.discriminator_loss(torch.tensor([math.nan]), torch.zeros(1))
    with pytest.raises(TypeError, match="fake_logits"):
        gans.generator_loss_non_saturating("logits")
    with pytest.raises(ValueError, match="fake_scores"):
        gans.critic_loss(torch.zeros(2), torch.tensor([math.inf, 0.0]))


# ---------------------------------------------------------------- clipping and GP
def test_weight_clipping_keeps_parameters_in_range():
    torch.manual_seed(0)
    net = gans.mlp(2, 1, hidden=16, depth=2)
    assert max(p.abs().max() for p in net.parameters()) > 0.05
    gans.clip_weights_(net, 0.05)
    assert all(p.abs().max() <= 0.05 for p in net.parameters())
    with pytest.raises(ValueError, match="c must be > 0"):
        gans.clip_weights_(net, 0.0)


def test_wgan_training_keeps_critic_clipped():
    real = data.gaussian_ring(1000, seed=0)
    cfg = gans.GANConfig(
        loss="wgan",
        steps=5,
        d_steps=3,
        clip=0.02,
        optimizer="rmsprop",
        lr_d=5e-3,
        lr_g=5e-3,
        hidden=16,
        depth=2,
        batch_size=32,
    )
    run = gans.train_gan(real, cfg)
    assert all(p.abs().max() <= 0.02 + 1e-7 for p in run.discriminator.parameters())
    assert isinstance(torch.optim.RMSprop, type)


def _critic64():
    torch.manual_seed(1)
    return gans.mlp(2, 1, hidden=8, depth=2).double()


def test_gradient_penalty_matches_finite_differences():
    critic = _critic64()
    g = torch.Generator().manual_seed(2)
    real = torch.randn(6, 2, generator=g, dtype=F64)
    fake = torch.randn(6, 2, generator=g, dtype=F64)
    eps = torch.rand(6, generator=g, dtype=F64)
    got = gans.gradient_penalty(critic, real, fake, eps=eps)
    x_hat = eps[:, None] * real + (1 - eps[:, None]) * fake
    h = 1e-6
    with torch.no_grad():
        grads = torch.stack(
            [
                (critic(x_hat + h * e) - critic(x_hat - h * e)).squeeze(1) / (2 * h)
                for e in torch.eye(2, dtype=F64)
            ],
            dim=1,
        )  # (6, 2) central differences
    want = ((grads.norm(dim=1) - 1) ** 2).mean()
    assert abs(got.item() - want.item()) < 1e-7


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    w = torch.tensor([[3.0, 4.0]], dtype=F64)  # f(x) = w·x, ‖∇f‖ = 5 everywhere
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(10, 2, generator=g, dtype=F64), torch.randn(10, 2, dtype=F64)
    gp = gans.gradient_penalty(lambda x: x @ w.T, real, fake, generator=g)
    assert gp.item() == pytest.approx(16.0)


def test_gradient_penalty_is_differentiable_in_the_critic_parameters():
    critic = _critic64()
    g = torch.Generator().manual_seed(3)
    real, fake = (
        torch.randn(5, 2, generator=g, dtype=F64),
        torch.randn(5, 2, generator=g, dtype=F64),
    )
    eps = torch.rand(5, generator=g, dtype=F64)
    weight = critic[0].weight
    (auto,) = torch.autograd.grad(gans.gradient_penalty(critic, real, fake, eps=eps), weight)
    h = 1e-6

    def penalty_at(delta):  # the penalty itself needs autograd (∇ₓ f), so no no_grad here
        with torch.no_grad():
            weight[0, 1] += delta
        value = gans.gradient_penalty(critic, real, fake, eps=eps).item()
        with torch.no_grad():
            weight[0, 1] -= delta
        return value

    up, down = penalty_at(h), penalty_at(-h)
    assert auto[0, 1].item() == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_gradient_penalty_rejects_bad_input():
    critic = _critic64()
    with pytest.raises(ValueError, match="same shape"):
        gans.gradient_penalty(critic, torch.zeros(4, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="eps must be"):
        gans.gradient_penalty(critic, torch.zeros(4, 2), torch.zeros(4, 2), eps=torch.ones(4) * 2)


# -------------------------------------------------------------------------- Coulomb
def test_plummer_kernel_matches_a_loop():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 3, generator=g, dtype=F64), torch.randn(5, 3, generator=g, dtype=F64)
    k = gans.plummer_kernel(a, b, eps=0.5)
    for i in range(4):
        for j in range(5):
            r2 = float(((a[i] - b[j]) ** 2).sum())
            assert k[i, j].item() == pytest.approx((r2 + 0.25) ** (-3 / 2))
    assert torch.allclose(gans.plummer_kernel(a, b, eps=0.5, power=1.0) ** 3, k)
    with pytest.raises(ValueError, match="eps"):
        gans.plummer_kernel(a, b, eps=0.0)


def test_coulomb_potential_attracts_to_reals_and_vanishes_at_equilibrium():
    real = torch.tensor([[1.0, 0.0]], dtype=F64)
    fake = torch.tensor([[-1.0, 0.0]], dtype=F64)
    a = torch.tensor([[0.0, 0.3]], dtype=F64, requires_grad=True)
    phi = gans.coulomb_potential(a, real, fake, eps=0.5)
    (grad,) = torch.autograd.grad(phi.sum(), a)
    assert grad[0, 0] > 0  # climbing Φ moves a fake towards the real sample (+x)
    pts = data.gaussian_ring(50, seed=1)
    assert torch.allclose(gans.coulomb_potential(pts, pts, pts), torch.zeros(50, dtype=F64))
    d = torch.tensor([1.0, 2.0])
    loss = gans.coulomb_discriminator_loss(d, d, d - 1, d + 2)
    assert loss.item() == pytest.approx(0.5 * (2 * 4) + 0.5 * (2 * 1))


# ---------------------------------------------------------------------- Algorithm 1
SMALL = gans.GANConfig(steps=20, batch_size=32, hidden=16, depth=2, snapshot_steps=(0, 10, 20))


def test_train_gan_is_seeded_and_stores_snapshots():
    real = data.gaussian_ring(2000, seed=0)
    a, b = gans.train_gan(real, SMALL), gans.train_gan(real, SMALL)
    assert a.steps == [0, 10, 20] and a.samples.shape == (3, 512, 2)
    assert torch.equal(a.samples, b.samples) and a.d_loss == b.d_loss
    assert not torch.equal(a.samples[0], a.samples[-1])  # the generator moved
    c = gans.train_gan(real, replace(SMALL, seed=1))
    assert not torch.equal(a.samples[-1], c.samples[-1])
    assert len(a.d_loss) == len(a.g_loss) == 20
    assert a.sample(7, seed=0).shape == (7, 2)


@pytest.mark.parametrize("loss", gans.LOSSES)
def test_every_loss_trains_without_nan(loss):
    real = data.gaussian_ring(2000, seed=0)
    run = gans.train_gan(real, replace(SMALL, loss=loss, d_steps=2))
    assert all(math.isfinite(v) for v in run.d_loss + run.g_loss)
    assert torch.isfinite(run.samples).all()


def test_train_gan_rejects_bad_config():
    real = data.gaussian_ring(100, seed=0)
    with pytest.raises(ValueError, match="config.loss"):
        gans.train_gan(real, replace(SMALL, loss="lsgan"))
    with pytest.raises(ValueError, match="config.d_steps"):
        gans.train_gan(real, replace(SMALL, d_steps=0))
    with pytest.raises(ValueError, match="snapshot_steps"):
        gans.train_gan(real, replace(SMALL, snapshot_steps=(50,)))
    with pytest.raises(ValueError, match="optimizer"):
        gans.train_gan(real, replace(SMALL, optimizer="lbfgs"))
    with pytest.raises(ValueError, match="real must have shape"):
        gans.train_gan(torch.zeros(10), SMALL)


# ---------------------------------------------------------------------- checkpoint
KEYS = ("gan", "gan_wide", "wgan_gp")


def test_collapse_checkpoint_shows_collapse_and_its_fix():
    ck = checkpoints.load("gans.collapse")
    modes = data.ring_modes()
    for key in KEYS:
        assert ck[f"{key}_samples"].shape == (20, 512, 2)
        assert ck[f"{key}_steps"][0] == 0
    end = {k: gm.mode_coverage(ck[f"{k}_samples"][-1].double(), modes, 0.02) for k in KEYS}
    assert end["gan"].covered <= 3  # the collapse setting collapses
    assert end["gan_wide"].covered >= 6  # wide noise: most modes found
    assert end["wgan_gp"].covered >= 4  # spread out, no collapse (not yet sharp: see notebook)
    assert checkpoints.path("gans.collapse").stat().st_size < 1_000_000


# ------------------------------------------------------------ gan_images: DCGAN, pix2pix, CycleGAN
def test_dcgan_shapes_and_guidelines():
    from course_lib import gan_images as gi

    G, D = gi.DCGANGenerator(nz=8, channels=16), gi.DCGANDiscriminator(channels=16)
    x = G(torch.randn(5, 8))
    assert x.shape == (5, 1, 8, 8) and x.abs().max() <= 1
    assert D(x).shape == (5,)
    layers_g, layers_d = list(G.modules()), list(D.modules())
    assert not any(
        isinstance(m, (torch.nn.MaxPool2d, torch.nn.AvgPool2d)) for m in layers_g + layers_d
    )
    assert isinstance(list(G.net)[-1], torch.nn.Tanh)
    assert not isinstance(list(G.net)[-2], torch.nn.BatchNorm2d)  # no BN at G's output
    assert isinstance(D.net[0], torch.nn.Conv2d) and isinstance(D.net[1], torch.nn.LeakyReLU)
    assert any(isinstance(m, torch.nn.ReLU) for m in layers_g)
    assert not any(isinstance(m, torch.nn.ReLU) for m in layers_d)
    assert sum(isinstance(m, torch.nn.Linear) for m in layers_d) == 0  # no dense layers in D


def test_train_dcgan_runs_and_returns_images():
    from course_lib import gan_images as gi

    imgs = data.digits().x_train[:200]
    run = gi.train_dcgan(imgs, steps=5, channels=16, n_samples=6)
    assert run.samples.shape == (6, 8, 8)
    assert run.samples.min() >= 0 and run.samples.max() <= 1
    assert all(math.isfinite(v) for v in run.d_loss + run.g_loss)
    with pytest.raises(ValueError, match="flattened 8x8"):
        gi.train_dcgan(torch.zeros(10, 10), steps=1)


def test_pix2pix_loss_is_bce_plus_l1():
    from course_lib import gan_images as gi

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(16, generator=g, dtype=F64)
    fake, target = (
        torch.randn(16, 2, generator=g, dtype=F64),
        torch.randn(16, 2, generator=g, dtype=F64),
    )
    want = F.binary_cross_entropy_with_logits(logits, torch.ones(16, dtype=F64)) + 7.0 * (
        F.l1_loss(fake, target, reduction="sum") / 16
    )
    got = gi.pix2pix_generator_loss(logits, fake, target, l1_weight=7.0)
    assert torch.allclose(got, want, atol=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        gi.pix2pix_generator_loss(logits, fake, target[:3])


def test_cycle_loss_vanishes_for_inverse_maps_and_matches_formula():
    from course_lib import gan_images as gi

    x = data.gaussian_ring(100, seed=0)
    y = gi.ring_transform(data.gaussian_ring(80, seed=1))
    T = gi.ring_transform

    def T_inv(v):
        return gi.ring_transform(v, angle=-math.pi / 8, scale=2.0)

    assert gi.cycle_consistency_loss(x, y, T, T_inv).item() < 1e-12
    G, Fb = (lambda v: 2 * v), (lambda v: v + 1)
    want = (Fb(G(x)) - x).abs().sum(1).mean() + (G(Fb(y)) - y).abs().sum(1).mean()
    assert torch.allclose(gi.cycle_consistency_loss(x, y, G, Fb), want)
    # the true translation is a similarity: norms scale by 0.5, angles shift by π/8
    assert torch.allclose(T(x).norm(dim=1), 0.5 * x.norm(dim=1))
    with pytest.raises(ValueError, match="x must have shape"):
        gi.cycle_consistency_loss(torch.zeros(3), y, T, T_inv)


def test_pix2pix_learns_the_paired_map():
    from course_lib import gan_images as gi

    x = data.gaussian_ring(2000, std=0.1, seed=0)
    y = gi.ring_transform(x)
    run = gi.train_pix2pix(x, y, steps=150, adversarial=True, seed=0)
    with torch.no_grad():
        err = (run.G(x.float()).double() - y).norm(dim=1).mean().item()
    assert err < 0.1  # the ring's radius is 1 after the map: 10% of it
