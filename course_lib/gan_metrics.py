"""Judging a generator: mode coverage, Fréchet distance, and four distances on parallel lines (ch. 5).

* ``mode_coverage(samples, modes, std)``: the 2-D mixture benchmark of VEEGAN / Unrolled GAN /
  GDPP. A sample is *high quality* when it lies within ``n_std`` (3) standard deviations of its
  nearest mode; a mode is *covered* when at least one high-quality sample is nearest to it.
  A collapsed generator covers few modes; a blurry one has a low high-quality share.
* ``frechet_distance(mu1, cov1, mu2, cov2)``: the squared 2-Wasserstein distance between two
  Gaussians, the formula behind FID (where the Gaussians are fitted to Inception features):

      d² = ‖μ₁ - μ₂‖² + tr(Σ₁ + Σ₂ - 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}).

* ``parallel_lines_distances(theta)``: TV, KL, JS and W1 between P₀ = law of (0, Z) and
  P_θ = law of (θ, Z), Z ~ U[0, 1] (Arjovsky et al., 2017): only W1 = |θ| is continuous in θ
  and gives a useful gradient; the others jump at θ = 0.

Chapter link: notebooks/ch05_gans.ipynb, sections 5.3, 5.5 and 5.9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._validate import as_tensor, check_finite, check_ndim, check_positive

__all__ = [
    "ModeCoverage",
    "frechet_distance",
    "frechet_distance_of_samples",
    "gaussian_moments",
    "mode_coverage",
    "parallel_lines_distances",
    "parallel_lines_sample",
    "sqrtm_psd",
]


# -------------------------------------------------------------------------- mode coverage
@dataclass(frozen=True)
class ModeCoverage:
    """Result of ``mode_coverage``.

    covered: number of modes with >= 1 high-quality sample; n_modes: how many modes exist;
    high_quality: share of samples within n_std·std of their nearest mode (0..1);
    counts: (K,) high-quality samples per mode; nearest: (n,) index of each sample's mode.
    """

    covered: int
    n_modes: int
    high_quality: float
    counts: torch.Tensor
    nearest: torch.Tensor

    def __str__(self) -> str:
        return f"{self.covered}/{self.n_modes} modes, {100 * self.high_quality:.1f}% high quality"


def mode_coverage(samples, modes, std: float, *, n_std: float = 3.0) -> ModeCoverage:
    """Modes covered and share of high-quality samples. samples (n, d), modes (K, d).

    A sample x is high quality when min_k ‖x - μ_k‖ <= n_std · std.
    """
    x, mu = as_tensor(samples, "samples"), as_tensor(modes, "modes")
    check_ndim(x, "samples", 2, "(n, d)")
    check_ndim(mu, "modes", 2, "(K, d)")
    if len(x) == 0:
        raise ValueError("samples is empty; pass at least one generated sample")
    if len(mu) == 0:
        raise ValueError("modes is empty; pass the (K, d) mode centres")
    if x.shape[1] != mu.shape[1]:
        raise ValueError(
            f"samples have dimension {x.shape[1]} but modes have {mu.shape[1]}; they must match"
        )
    check_finite(x, "samples")
    check_finite(mu, "modes")
    std, n_std = check_positive(std, "std"), check_positive(n_std, "n_std")
    dist = torch.cdist(x.double(), mu.double())  # (n, K)
    d_min, nearest = dist.min(1)
    good = d_min <= n_std * std
    counts = torch.bincount(nearest[good], minlength=len(mu))
    return ModeCoverage(
        covered=int((counts > 0).sum()),
        n_modes=len(mu),
        high_quality=float(good.double().mean()),
        counts=counts,
        nearest=nearest,
    )


# ------------------------------------------------------------------------ Fréchet distance
def sqrtm_psd(matrix) -> torch.Tensor:
    """Symmetric square root of a symmetric positive semi-definite matrix, via eigh.

    A = V diag(λ) Vᵀ  ->  A^{1/2} = V diag(√max(λ, 0)) Vᵀ (tiny negative λ from round-off -> 0).
    """
    a = as_tensor(matrix, "matrix", dtype=torch.float64)
    lam, vec = torch.linalg.eigh((a + a.T) / 2)
    return (vec * lam.clamp(min=0).sqrt()) @ vec.T


def frechet_distance(mu1, cov1, mu2, cov2) -> torch.Tensor:
    """Squared Fréchet (2-Wasserstein) distance of N(μ₁, Σ₁) and N(μ₂, Σ₂); FID's formula.

    mu: (d,), cov: (d, d) symmetric PSD. The cross term tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2} is the
    sum of the square roots of the eigenvalues of a symmetric PSD matrix, so it needs no
    general (non-symmetric) matrix square root. Returns a float64 scalar.
    """
    mu1, mu2 = (
        as_tensor(mu1, "mu1", dtype=torch.float64),
        as_tensor(mu2, "mu2", dtype=torch.float64),
    )
    c1, c2 = (
        as_tensor(cov1, "cov1", dtype=torch.float64),
        as_tensor(cov2, "cov2", dtype=torch.float64),
    )
    check_ndim(mu1, "mu1", 1, "(d,)")
    d = mu1.shape[0]
    for name, t, shape in (("mu2", mu2, (d,)), ("cov1", c1, (d, d)), ("cov2", c2, (d, d))):
        if t.shape != shape:
            raise ValueError(f"{name} must have shape {shape} to match mu1, got {tuple(t.shape)}")
        check_finite(t, name)
    check_finite(mu1, "mu1")
    for name, c in (("cov1", c1), ("cov2", c2)):
        if not torch.allclose(c, c.T, atol=1e-8 * (1 + c.abs().max())):
            raise ValueError(f"{name} must be symmetric (a covariance matrix)")
    s1 = sqrtm_psd(c1)
    cross = torch.linalg.eigvalsh(s1 @ c2 @ s1).clamp(min=0).sqrt().sum()
    return (mu1 - mu2).pow(2).sum() + torch.trace(c1) + torch.trace(c2) - 2 * cross


def gaussian_moments(x) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and unbiased covariance (d, d) of samples x (n, d), n >= 2."""
    x = as_tensor(x, "x", dtype=torch.float64)
    check_ndim(x, "x", 2, "(n, d)")
    if len(x) < 2:
        raise ValueError(f"x needs at least 2 samples for a covariance, got {len(x)}")
    return x.mean(0), torch.cov(x.T).reshape(x.shape[1], x.shape[1])


def frechet_distance_of_samples(x, y) -> torch.Tensor:
    """Fréchet distance of the Gaussians fitted to samples x (n, d) and y (m, d): FID on features."""
    return frechet_distance(*gaussian_moments(x), *gaussian_moments(y))


# ----------------------------------------------------------------- parallel lines (WGAN)
def parallel_lines_distances(theta) -> dict[str, torch.Tensor]:
    """TV, KL, JS and W1 between P₀ = (0, Z) and P_θ = (θ, Z), Z ~ U[0, 1], as functions of θ.

    For θ ≠ 0 the two segments are disjoint: TV = 1, KL(P₀‖P_θ) = +inf, JS = log 2 (with
    JS = ½ KL(P₀‖M) + ½ KL(P_θ‖M), M = ½(P₀ + P_θ)), and W1 = |θ| (move every point
    sideways by θ). At θ = 0 all four are 0. theta: scalar or (n,) -> dict of (n,) float64.
    """
    t = as_tensor(theta, "theta", dtype=torch.float64).reshape(-1)
    check_finite(t, "theta")
    apart = t != 0
    zero = torch.zeros_like(t)
    return {
        "TV": torch.where(apart, 1.0, zero),
        "KL": torch.where(apart, math.inf, zero),
        "JS": torch.where(apart, math.log(2), zero),
        "W1": t.abs(),
    }


def parallel_lines_sample(n: int, theta: float, *, seed: int = 0) -> torch.Tensor:
    """n samples (n, 2) of P_θ = (θ, Z), Z ~ U[0, 1]; P₀ is ``theta=0``."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    z = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return torch.stack([torch.full_like(z, float(theta)), z], dim=1)
