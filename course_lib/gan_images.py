"""GANs beyond plain sampling: DCGAN on 8x8 digits, pix2pix and CycleGAN on 2-D toys (ch. 5).

* ``DCGANGenerator`` / ``DCGANDiscriminator`` follow the DCGAN guidelines (Radford et al.,
  2016): strided convolutions instead of pooling (transposed ones in G), batch norm in both
  nets except G's output and D's input layer, no fully connected hidden layers (only G's
  first projection of z), ReLU in G with a tanh output, LeakyReLU in D.
* ``pix2pix_generator_loss``: conditional GAN + L1 (Isola et al., 2017),
  L = E[-log D(x, G(x))] + λ E‖y - G(x)‖₁ with D seeing the condition x as well.
* ``cycle_consistency_loss``: CycleGAN's E‖F(G(x)) - x‖₁ + E‖G(F(y)) - y‖₁ (Zhu et al., 2017),
  which lets two *unpaired* domains be translated both ways.

The toy domains are 2-D: ``ring_transform`` maps the 8-Gaussian ring to a rotated, shrunken
copy, so the ideal translation is known and errors can be measured.

Chapter link: notebooks/ch05_gans.ipynb, sections 5.7 and 5.8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ._validate import as_tensor, check_finite, check_ndim, check_positive
from .gans import _steps, discriminator_loss, generator_loss_non_saturating, mlp

__all__ = [
    "DCGANDiscriminator",
    "DCGANRun",
    "DCGANGenerator",
    "cycle_consistency_loss",
    "pix2pix_generator_loss",
    "TranslationRun",
    "ring_transform",
    "train_cyclegan",
    "train_dcgan",
    "train_pix2pix",
]


# ------------------------------------------------------------------------------- DCGAN
class DCGANGenerator(nn.Module):
    """z (B, nz) -> images (B, 1, 8, 8) in [-1, 1].

    Linear projection of z to (C, 2, 2) [the one allowed dense layer] -> BN, ReLU ->
    ConvTranspose 4x4 stride 2 -> (C/2, 4, 4), BN, ReLU -> ConvTranspose -> (1, 8, 8), tanh.
    """

    def __init__(self, nz: int = 16, channels: int = 64):
        super().__init__()
        self.nz, self.channels = nz, channels
        self.project = nn.Linear(nz, channels * 2 * 2, bias=False)
        self.net = nn.Sequential(
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, channels // 2, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels // 2),
            nn.ReLU(),
            nn.ConvTranspose2d(channels // 2, 1, 4, stride=2, padding=1),  # no BN at the output
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        B = z.shape[0]
        return self.net(self.project(z).reshape(B, self.channels, 2, 2))  # (B, 1, 8, 8)


class DCGANDiscriminator(nn.Module):
    """images (B, 1, 8, 8) -> logits (B,).

    Conv 4x4 stride 2 -> (C/2, 4, 4), LeakyReLU [no BN at the input] -> Conv stride 2 ->
    (C, 2, 2), BN, LeakyReLU -> Conv 2x2 -> one logit (no dense hidden layer, no pooling).
    """

    def __init__(self, channels: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels // 2, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels // 2, channels, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 1, 2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).reshape(-1)


@dataclass
class DCGANRun:
    """generator, discriminator, samples (n, 8, 8) in [0, 1] from fixed noise, losses per step."""

    generator: DCGANGenerator
    discriminator: DCGANDiscriminator
    samples: torch.Tensor
    d_loss: list[float]
    g_loss: list[float]


def train_dcgan(
    images,
    *,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 2e-4,
    nz: int = 16,
    channels: int = 64,
    n_samples: int = 32,
    seed: int = 0,
    progress: bool = False,
) -> DCGANRun:
    """Non-saturating GAN training of the DCGAN pair on images (N, 64) with values in [0, 1].

    Adam(lr, betas=(0.5, 0.999)) as in the DCGAN paper; images are scaled to [-1, 1] to match
    the tanh output. Returns a DCGANRun whose samples are mapped back to [0, 1].
    """
    x_all = as_tensor(images, "images", dtype=torch.float32)
    check_ndim(x_all, "images", 2, "(N, 64): flattened 8x8 images")
    if x_all.shape[1] != 64:
        raise ValueError(f"images must be flattened 8x8 images (N, 64), got {tuple(x_all.shape)}")
    check_positive(lr, "lr")
    x_all = (2 * x_all - 1).reshape(-1, 1, 8, 8)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    G, D = DCGANGenerator(nz, channels), DCGANDiscriminator(channels)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    d_hist, g_hist = [], []
    for _ in _steps(steps, progress, "DCGAN training"):
        x = x_all[torch.randint(len(x_all), (batch_size,), generator=gen)]
        fake = G(torch.randn(batch_size, nz, generator=gen))
        loss_d = discriminator_loss(D(x), D(fake.detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = generator_loss_non_saturating(D(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        d_hist.append(float(loss_d.detach()))
        g_hist.append(float(loss_g.detach()))
    G.eval()
    with torch.no_grad():
        z = torch.randn(n_samples, nz, generator=torch.Generator().manual_seed(seed + 1))
        samples = (G(z).reshape(-1, 8, 8) + 1) / 2
    return DCGANRun(G, D, samples, d_hist, g_hist)


# ---------------------------------------------------------- toy domains for translation
def ring_transform(x, *, angle: float = math.pi / 8, scale: float = 0.5) -> torch.Tensor:
    """The 'true' translation of the toy domains: rotate by ``angle`` and scale. (n, 2) -> (n, 2)."""
    x = as_tensor(x, "x")
    check_ndim(x, "x", 2, "(n, 2)")
    c, s = math.cos(angle), math.sin(angle)
    rot = torch.tensor([[c, -s], [s, c]], dtype=x.dtype)
    return scale * x @ rot.T


def pix2pix_generator_loss(fake_logits, fake, target, *, l1_weight: float = 100.0):
    """Conditional GAN + L1: E softplus(-D(x, G(x))) + λ E|y - G(x)| (λ = 100 in pix2pix).

    fake_logits (B,) = D(x, G(x)); fake, target (B, d). The L1 term pulls each output to its
    *paired* target; the adversarial term makes outputs look like real targets.
    """
    fake, target = as_tensor(fake, "fake"), as_tensor(target, "target")
    if fake.shape != target.shape:
        raise ValueError(
            f"fake and target must have the same shape, got {tuple(fake.shape)} and "
            f"{tuple(target.shape)}"
        )
    check_finite(target, "target")
    l1 = (fake - target).abs().sum(-1).mean()
    return generator_loss_non_saturating(fake_logits) + l1_weight * l1


def cycle_consistency_loss(x, y, G, F_) -> torch.Tensor:
    """CycleGAN's E‖F(G(x)) - x‖₁ + E‖G(F(y)) - y‖₁. x (n, d) from X, y (m, d) from Y.

    G: X -> Y and F_: Y -> X are callables. Zero iff F inverts G on the data and vice versa.
    """
    x, y = as_tensor(x, "x"), as_tensor(y, "y")
    check_ndim(x, "x", 2, "(n, d)")
    check_ndim(y, "y", 2, "(m, d)")
    return (F_(G(x)) - x).abs().sum(-1).mean() + (G(F_(y)) - y).abs().sum(-1).mean()


@dataclass
class TranslationRun:
    """Trained translator(s) and the loss history (one dict of floats per step)."""

    G: nn.Module
    F: nn.Module | None
    history: list[dict]


def train_pix2pix(
    x,
    y,
    *,
    steps: int = 400,
    l1_weight: float = 100.0,
    adversarial: bool = True,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
) -> TranslationRun:
    """Learn G: x -> y from *paired* samples x, y (n, 2): L1 (+ conditional GAN if adversarial).

    D(x, y) sees the pair (concatenated), as in a conditional GAN.
    """
    x, y = as_tensor(x, "x", dtype=torch.float32), as_tensor(y, "y", dtype=torch.float32)
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must be paired (same shape), got {tuple(x.shape)}, {tuple(y.shape)}"
        )
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    G, D = mlp(2, 2, hidden=64, depth=2), mlp(4, 1, hidden=64, depth=2)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    history = []
    for _ in range(steps):
        idx = torch.randint(len(x), (batch_size,), generator=gen)
        xb, yb = x[idx], y[idx]
        fake = G(xb)
        if adversarial:
            d_real = D(torch.cat([xb, yb], 1)).squeeze(1)
            d_fake = D(torch.cat([xb, fake.detach()], 1)).squeeze(1)
            loss_d = discriminator_loss(d_real, d_fake)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            logits = D(torch.cat([xb, fake], 1)).squeeze(1)
            loss_g = pix2pix_generator_loss(logits, fake, yb, l1_weight=l1_weight)
        else:
            loss_g = l1_weight * (fake - yb).abs().sum(-1).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        history.append({"g": float(loss_g.detach())})
    return TranslationRun(G, None, history)


def train_cyclegan(
    x,
    y,
    *,
    steps: int = 600,
    cycle_weight: float = 10.0,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
) -> TranslationRun:
    """Learn G: X -> Y and F: Y -> X from *unpaired* samples x (n, 2), y (m, 2).

    Generators minimise least-squares adversarial losses (as CycleGAN does) plus
    ``cycle_weight`` × cycle-consistency (λ = 10 in the paper); D_X, D_Y regress real -> 1,
    fake -> 0.
    """
    x, y = as_tensor(x, "x", dtype=torch.float32), as_tensor(y, "y", dtype=torch.float32)
    check_ndim(x, "x", 2, "(n, 2)")
    check_ndim(y, "y", 2, "(m, 2)")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    G, F_ = mlp(2, 2, hidden=64, depth=2), mlp(2, 2, hidden=64, depth=2)
    DX, DY = mlp(2, 1, hidden=64, depth=2), mlp(2, 1, hidden=64, depth=2)
    opt_g = torch.optim.Adam([*G.parameters(), *F_.parameters()], lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*DX.parameters(), *DY.parameters()], lr=lr, betas=(0.5, 0.999))
    history = []
    for _ in range(steps):
        xb = x[torch.randint(len(x), (batch_size,), generator=gen)]
        yb = y[torch.randint(len(y), (batch_size,), generator=gen)]
        fake_y, fake_x = G(xb), F_(yb)
        adv = ((DY(fake_y) - 1) ** 2).mean() + ((DX(fake_x) - 1) ** 2).mean()
        cyc = cycle_consistency_loss(xb, yb, G, F_)
        loss_g = adv + cycle_weight * cyc
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        loss_d = (
            ((DY(yb) - 1) ** 2).mean()
            + (DY(fake_y.detach()) ** 2).mean()
            + ((DX(xb) - 1) ** 2).mean()
            + (DX(fake_x.detach()) ** 2).mean()
        )
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        history.append({"adv": float(adv.detach()), "cycle": float(cyc.detach())})
    return TranslationRun(G, F_, history)
