"""Generative adversarial networks on 2-D toys: losses, Algorithm 1, WGAN, WGAN-GP, Coulomb (ch. 5).

A generator G maps noise z ~ N(0, σ_z² I) to samples G(z); a discriminator D (a *critic*
for WGAN) scores points. With D(x) = sigmoid(logit(x)) the minimax game of Goodfellow et
al. (2014) is

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))].

Losses (all minimised, all averages over a batch of logits / scores):

    discriminator_loss      -E log D(x) - E log(1 - D(G(z)))        = E softplus(-l_real) + E softplus(l_fake)
    generator_loss_saturating     E log(1 - D(G(z)))                 = -E softplus(l_fake)
    generator_loss_non_saturating -E log D(G(z))                     =  E softplus(-l_fake)
    critic_loss (WGAN)       E f(G(z)) - E f(x)                      (f: raw critic score)
    wgan_generator_loss      -E f(G(z))
    gradient_penalty (GP)    E (‖∇f(x̂)‖ - 1)²,  x̂ = εx + (1-ε)G(z), ε ~ U[0, 1]

``train_gan(real, config)`` runs Algorithm 1 (k = ``d_steps`` discriminator steps per
generator step) for any of these losses and returns the trained nets and *snapshots*:
generator samples from a fixed noise batch at chosen steps (what the chapter's "watch mode
collapse" widget plays back). The Coulomb GAN potential (Plummer kernel) is at the end.
The image models (DCGAN, pix2pix, CycleGAN) are in ``course_lib.gan_images``; the metrics
(mode coverage, Fréchet distance, the parallel-lines distances) in ``course_lib.gan_metrics``.

Chapter link: notebooks/ch05_gans.ipynb, sections 5.1-5.6.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import nn

from ._validate import as_tensor, check_finite, check_ndim, check_positive

__all__ = [
    "CHECKPOINTS",
    "COLLAPSE",
    "LOSSES",
    "WGAN_GP",
    "WIDE_NOISE",
    "GANConfig",
    "GANRun",
    "clip_weights_",
    "coulomb_discriminator_loss",
    "coulomb_potential",
    "critic_loss",
    "discriminator_loss",
    "even_steps",
    "generator_loss_non_saturating",
    "generator_loss_saturating",
    "gradient_penalty",
    "mlp",
    "plummer_kernel",
    "train_gan",
    "wgan_generator_loss",
]


# ------------------------------------------------------------------------------ networks
def mlp(in_dim: int, out_dim: int, *, hidden: int = 128, depth: int = 3) -> nn.Sequential:
    """``depth`` hidden layers of width ``hidden`` with ReLU: (B, in_dim) -> (B, out_dim)."""
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


# -------------------------------------------------------------------------------- losses
def _logits(x, name: str) -> torch.Tensor:
    t = as_tensor(x, name)
    check_finite(t, name)
    return t


def discriminator_loss(real_logits, fake_logits) -> torch.Tensor:
    """-E log D(x) - E log(1 - D(G(z))), D = sigmoid(logit). Logits (B,) or (B, 1) -> scalar.

    Written with softplus, log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l),
    so it is exact for large |l| (the naive log of a saturated sigmoid gives -inf).
    """
    real, fake = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def generator_loss_saturating(fake_logits) -> torch.Tensor:
    """E log(1 - D(G(z))) = -E softplus(l): the minimax generator loss. (B,) -> scalar.

    Its gradient w.r.t. the logit is -sigmoid(l) = -D(G(z)): it vanishes when D confidently
    rejects the fakes (D(G(z)) -> 0), which is exactly early in training.
    """
    return -F.softplus(_logits(fake_logits, "fake_logits")).mean()


def generator_loss_non_saturating(fake_logits) -> torch.Tensor:
    """-E log D(G(z)) = E softplus(-l): same fixed point, strong gradient when D rejects fakes.

    Gradient w.r.t. the logit: -(1 - D(G(z))), close to -1 where the saturating one is ~0.
    """
    return F.softplus(-_logits(fake_logits, "fake_logits")).mean()


def critic_loss(real_scores, fake_scores) -> torch.Tensor:
    """WGAN critic loss E f(G(z)) - E f(x) (minimising it maximises the W1 dual objective)."""
    real, fake = _logits(real_scores, "real_scores"), _logits(fake_scores, "fake_scores")
    return fake.mean() - real.mean()


def wgan_generator_loss(fake_scores) -> torch.Tensor:
    """WGAN generator loss -E f(G(z)): move the fakes to where the critic scores high."""
    return -_logits(fake_scores, "fake_scores").mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> nn.Module:
    """WGAN's crude Lipschitz constraint: clamp every parameter into [-c, c] in place."""
    c = check_positive(c, "c")
    for p in module.parameters():
        p.clamp_(-c, c)
    return module


def gradient_penalty(
    critic, real, fake, *, eps=None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """WGAN-GP penalty E_x̂ (‖∇_x̂ f(x̂)‖₂ - 1)² at x̂ = ε x + (1 - ε) x̃ (Gulrajani et al., 2017).

    critic: (B, ...) -> (B,) or (B, 1); real, fake: (B, ...) batches of the same shape;
    eps: (B,) mixing weights in [0, 1] (default: drawn from U[0, 1] with ``generator``).
    Differentiable w.r.t. the critic's parameters (``create_graph=True``). Returns a scalar;
    the caller multiplies it by λ (10 in the paper).
    """
    real, fake = as_tensor(real, "real"), as_tensor(fake, "fake")
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {tuple(real.shape)} and "
            f"{tuple(fake.shape)}; draw as many fakes as reals"
        )
    B = real.shape[0]
    if eps is None:
        eps = torch.rand(B, generator=generator, dtype=real.dtype, device=real.device)
    eps = as_tensor(eps, "eps", dtype=real.dtype)
    if eps.shape != (B,) or (eps < 0).any() or (eps > 1).any():
        raise ValueError(f"eps must be {B} weights in [0, 1], got shape {tuple(eps.shape)}")
    w = eps.reshape(B, *([1] * (real.ndim - 1)))  # broadcast over the feature dims
    x_hat = (w * real + (1 - w) * fake.detach()).detach().requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norm = grad.reshape(B, -1).norm(dim=1)  # (B,)
    return ((norm - 1) ** 2).mean()


# ------------------------------------------------------------------------- Coulomb GAN
def plummer_kernel(a, b, *, eps: float = 1.0, power: float | None = None) -> torch.Tensor:
    """k(a, b) = (‖a - b‖² + ε²)^(-power/2); a (n, d), b (m, d) -> (n, m).

    ``power`` defaults to the dimension d, as on the lecture's slide (the Coulomb GAN paper
    uses d - 2 in d >= 3 dimensions, the true Coulomb potential). ε > 0 removes the
    singularity at a = b.
    """
    a, b = as_tensor(a, "a"), as_tensor(b, "b")
    check_ndim(a, "a", 2, "(n, d)")
    check_ndim(b, "b", 2, "(m, d)")
    eps = check_positive(eps, "eps")
    power = a.shape[1] if power is None else check_positive(power, "power")
    sq = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)  # (n, m)
    return (sq + eps**2).pow(-power / 2)


def coulomb_potential(a, real, fake, *, eps: float = 1.0, power=None) -> torch.Tensor:
    """Φ̂(a) = mean_i k(a, y_i) - mean_j k(a, x_j): reals attract, fakes repel. -> (n,).

    a (n, d) where to evaluate; real y (N_y, d), fake x (N_x, d). Generated samples climb
    Φ̂ (towards reals, away from each other); Φ̂ ≡ 0 exactly when the two samples coincide
    in distribution, the Coulomb GAN's unique Nash equilibrium.
    """
    return plummer_kernel(a, real, eps=eps, power=power).mean(1) - plummer_kernel(
        a, fake, eps=eps, power=power
    ).mean(1)


def coulomb_discriminator_loss(d_real, d_fake, phi_real, phi_fake) -> torch.Tensor:
    """½ Σ (D(x) - Φ̂(x))² over fakes + ½ Σ (D(y) - Φ̂(y))² over reals (the slide's rule).

    The Coulomb discriminator *regresses* the potential; the generator then maximises D at its
    samples (``wgan_generator_loss`` form, scaled by ½ in the paper).
    """
    return 0.5 * ((d_fake - phi_fake) ** 2).sum() + 0.5 * ((d_real - phi_real) ** 2).sum()


# ---------------------------------------------------------------------- Algorithm 1
LOSSES = ("gan", "nsgan", "wgan", "wgan-gp")


@dataclass(frozen=True)
class GANConfig:
    """Settings of ``train_gan``. One field per knob the chapter turns.

    loss: "gan" (minimax/saturating G loss), "nsgan" (non-saturating G loss),
    "wgan" (critic + weight clipping), "wgan-gp" (critic + gradient penalty).
    """

    loss: str = "nsgan"
    steps: int = 2000  # generator updates
    d_steps: int = 1  # k: discriminator (critic) updates per generator update (Algorithm 1)
    g_steps: int = 1  # generator updates per round (> 1 favours collapse)
    batch_size: int = 256  # m
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    optimizer: str = "adam"  # "adam", "rmsprop" (WGAN paper) or "sgd"
    betas: tuple[float, float] = (0.5, 0.999)
    lr_decay: bool = False  # decay both learning rates linearly to 0 (sharpens the modes)
    noise_dim: int = 2
    noise_std: float = 1.0  # z ~ N(0, noise_std² I)
    hidden: int = 128
    depth: int = 3
    clip: float = 0.01  # WGAN weight clipping c
    gp_weight: float = 10.0  # WGAN-GP λ
    seed: int = 0
    snapshot_steps: tuple[int, ...] = ()  # generator steps at which samples are stored
    snapshot_size: int = 512  # samples per snapshot, from one fixed noise batch


@dataclass
class GANRun:
    """What ``train_gan`` returns.

    samples: (S, snapshot_size, 2) generator samples at ``steps`` (S snapshots, fixed noise);
    d_loss, g_loss: one value per generator step; seconds: wall time of training.
    """

    config: GANConfig
    generator: nn.Module
    discriminator: nn.Module
    steps: list[int] = field(default_factory=list)
    samples: torch.Tensor | None = None
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def sample(self, n: int, *, seed: int = 0) -> torch.Tensor:
        """n fresh generator samples (n, 2), noise drawn with ``seed``."""
        g = torch.Generator().manual_seed(seed)
        z = self.config.noise_std * torch.randn(n, self.config.noise_dim, generator=g)
        with torch.no_grad():
            return self.generator(z)


def _optimizer(params, lr: float, cfg: GANConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=cfg.betas)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    raise ValueError(f"optimizer must be 'adam', 'rmsprop' or 'sgd', got {cfg.optimizer!r}")


def _check_config(cfg: GANConfig) -> None:
    if cfg.loss not in LOSSES:
        raise ValueError(f"config.loss must be one of {LOSSES}, got {cfg.loss!r}")
    for name in ("steps", "d_steps", "g_steps", "batch_size", "noise_dim", "snapshot_size"):
        value = getattr(cfg, name)
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"config.{name} must be a positive integer, got {value!r}")
    for name in ("lr_d", "lr_g", "noise_std", "clip", "gp_weight"):
        check_positive(getattr(cfg, name), f"config.{name}")
    bad = [s for s in cfg.snapshot_steps if not 0 <= s <= cfg.steps]
    if bad:
        raise ValueError(f"config.snapshot_steps must lie in [0, {cfg.steps}], got {bad}")


def train_gan(real, config: GANConfig = GANConfig(), *, progress: bool = False) -> GANRun:
    """Train a 2-D GAN on the sample pool ``real`` (N, d) with Algorithm 1; return a GANRun.

    Each round: ``d_steps`` discriminator updates (fresh real minibatch, fresh noise), then
    ``g_steps`` generator updates. Everything is seeded by ``config.seed``. Snapshots hold
    the generator's output on one fixed noise batch at ``config.snapshot_steps`` (step 0 =
    before training). ``progress`` shows a tqdm bar (fixed format, for stored outputs).
    """
    real = as_tensor(real, "real", dtype=torch.float32)
    check_ndim(real, "real", 2, "(N, d): a pool of data samples")
    check_finite(real, "real")
    cfg = config
    _check_config(cfg)
    torch.manual_seed(cfg.seed)  # network initialisation
    gen = torch.Generator().manual_seed(cfg.seed)  # batches and noise
    dim = real.shape[1]
    G = mlp(cfg.noise_dim, dim, hidden=cfg.hidden, depth=cfg.depth)
    D = mlp(dim, 1, hidden=cfg.hidden, depth=cfg.depth)
    opt_g = _optimizer(G.parameters(), cfg.lr_g, cfg)
    opt_d = _optimizer(D.parameters(), cfg.lr_d, cfg)
    schedules = []
    if cfg.lr_decay:
        schedules = [
            torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / cfg.steps)
            for opt in (opt_d, opt_g)
        ]
    fixed_z = cfg.noise_std * torch.randn(cfg.snapshot_size, cfg.noise_dim, generator=gen)
    run = GANRun(cfg, G, D)
    snaps: list[torch.Tensor] = []
    wgan = cfg.loss in ("wgan", "wgan-gp")

    def noise() -> torch.Tensor:
        return cfg.noise_std * torch.randn(cfg.batch_size, cfg.noise_dim, generator=gen)

    def snapshot(step: int) -> None:
        if step in cfg.snapshot_steps:
            with torch.no_grad():
                snaps.append(G(fixed_z).clone())
            run.steps.append(step)

    t0 = time.perf_counter()
    snapshot(0)
    for step in _steps(cfg.steps, progress, f"{cfg.loss} training"):
        for _ in range(cfg.d_steps):
            x = real[torch.randint(len(real), (cfg.batch_size,), generator=gen)]
            with torch.no_grad():
                fake = G(noise())
            d_real, d_fake = D(x).squeeze(1), D(fake).squeeze(1)
            if wgan:
                loss_d = critic_loss(d_real, d_fake)
                if cfg.loss == "wgan-gp":
                    loss_d = loss_d + cfg.gp_weight * gradient_penalty(D, x, fake, generator=gen)
            else:
                loss_d = discriminator_loss(d_real, d_fake)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            if cfg.loss == "wgan":
                clip_weights_(D, cfg.clip)
        for _ in range(cfg.g_steps):
            d_fake = D(G(noise())).squeeze(1)
            if wgan:
                loss_g = wgan_generator_loss(d_fake)
            elif cfg.loss == "gan":
                loss_g = generator_loss_saturating(d_fake)
            else:
                loss_g = generator_loss_non_saturating(d_fake)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
        for schedule in schedules:
            schedule.step()
        run.d_loss.append(float(loss_d.detach()))
        run.g_loss.append(float(loss_g.detach()))
        snapshot(step)
    run.seconds = time.perf_counter() - t0
    run.samples = torch.stack(snaps) if snaps else None
    return run


def _steps(n: int, progress: bool, desc: str):
    """1..n, with a tqdm bar in a fixed format when ``progress`` (stored outputs stay stable)."""
    if not progress:
        return range(1, n + 1)
    from tqdm.auto import tqdm

    return tqdm(range(1, n + 1), desc=desc, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}")


def even_steps(total: int, n: int) -> tuple[int, ...]:
    """n snapshot steps spread evenly over 0..total (both ends included)."""
    return tuple(round(total * i / (n - 1)) for i in range(n))


# --------------------------------------------------------- the chapter's two settings
# Vanilla GAN set up to collapse (notebook section 5.3): the non-saturating loss with a
# *narrow* noise z ~ N(0, 0.1² I). All samples start in one tiny blob and receive nearly the
# same gradient, so they travel together from mode to mode ("mode hopping") and never split.
COLLAPSE = GANConfig(
    loss="nsgan", steps=1000, lr_d=2e-4, lr_g=2e-4, batch_size=64, hidden=64, noise_std=0.1
)
# The same vanilla GAN with the usual wide noise N(0, I): most modes are found.
WIDE_NOISE = replace(COLLAPSE, noise_std=1.0, lr_d=1e-3, lr_g=1e-3)
WGAN_GP = GANConfig(
    loss="wgan-gp",
    steps=1500,
    d_steps=5,
    lr_d=3e-4,
    lr_g=3e-4,
    betas=(0.5, 0.9),
    batch_size=128,
    hidden=64,
    lr_decay=True,
)


def _collapse_snapshots() -> dict:
    """Checkpoint ``gans.collapse``: 20 snapshots each of the collapsing GAN, the same GAN with
    wide noise, and WGAN-GP on the 8-Gaussian ring (radius 2, std 0.02)."""
    from . import data

    real = data.gaussian_ring(50_000, seed=0)
    out: dict = {}
    for key, cfg in (("gan", COLLAPSE), ("gan_wide", WIDE_NOISE), ("wgan_gp", WGAN_GP)):
        cfg = replace(cfg, snapshot_steps=even_steps(cfg.steps, 20))
        run = train_gan(real, cfg)
        out[f"{key}_steps"] = torch.tensor(run.steps)
        out[f"{key}_samples"] = run.samples.half()  # (20, 512, 2), float16 keeps it small
    return out


CHECKPOINTS = {"collapse": _collapse_snapshots}
