"""Comparing distributions: entropy, cross-entropy, KL and MMD (chapter 3).

For discrete distributions p, q on the same support (probability vectors along the last
dimension)::

    H(p)     = - Σ_i p_i log p_i                       entropy
    H(p, q)  = - Σ_i p_i log q_i                       cross-entropy
    KL(p‖q)  =   Σ_i p_i log (p_i / q_i) = H(p, q) - H(p)   >= 0, = 0 iff p = q

with the convention 0 log 0 = 0, and KL = +inf where q_i = 0 < p_i. KL is not symmetric:
for p = Binomial(2, 0.4) = (0.36, 0.48, 0.16) and q uniform, KL(p‖q) ≈ 0.0853 nats but
KL(q‖p) ≈ 0.0975 nats.

For samples x (n, d) ~ P and y (m, d) ~ Q and a kernel k, the squared maximum mean
discrepancy is  MMD²(P, Q) = E k(x, x') + E k(y, y') - 2 E k(x, y)  [Gretton et al., 2012].
It compares all the moments that the kernel's features see, without a density.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._registry import Registry
from ._validate import as_tensor, check_distribution, check_finite, check_ndim, check_positive

__all__ = [
    "KERNELS",
    "cross_entropy",
    "entropy",
    "gaussian_kernel",
    "inverse_multiquadric_kernel",
    "kl_divergence",
    "laplacian_kernel",
    "mmd2",
    "register_kernel",
]


def _xlogy(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """x * log(y) with 0 * log(anything) = 0."""
    return torch.special.xlogy(x, y)


def entropy(p) -> torch.Tensor:
    """H(p) = -Σ p log p in nats, over the last dimension. p: (..., K) -> (...)."""
    p = as_tensor(p, "p")
    check_distribution(p, "p")
    return -_xlogy(p, p).sum(-1)


def cross_entropy(p, q) -> torch.Tensor:
    """H(p, q) = -Σ p log q in nats. p, q: (..., K) probability vectors -> (...).

    Infinite where q puts zero mass on an outcome that p can produce.
    """
    p, q = _pair(p, q)
    return -_xlogy(p, q).sum(-1)


def kl_divergence(p, q) -> torch.Tensor:
    """KL(p‖q) = Σ p log(p/q) = H(p, q) - H(p) in nats. p, q: (..., K) -> (...).

    Computed as Σ p (log p - log q) on the support of p, so it is exactly 0 for p = q and
    +inf when q misses part of p's support.
    """
    p, q = _pair(p, q)
    return (_xlogy(p, p) - _xlogy(p, q)).sum(-1)


def _pair(p, q) -> tuple[torch.Tensor, torch.Tensor]:
    p, q = as_tensor(p, "p"), as_tensor(q, "q")
    if p.shape != q.shape:
        raise ValueError(
            f"p and q must have the same shape, got {tuple(p.shape)} and {tuple(q.shape)}"
        )
    check_distribution(p, "p")
    check_distribution(q, "q")
    return p, q


# ---------------------------------------------------------------- kernels and MMD
Kernel = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
KERNELS = Registry("kernel")
register_kernel = (
    KERNELS.register
)  # @register_kernel("name") on k(x (n, d), y (m, d), bandwidth) -> (n, m)


def _sq_dists(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # ||x_i - y_j||², (n, m); clamp: the expanded form can dip below 0 by rounding
    return (x.pow(2).sum(1)[:, None] + y.pow(2).sum(1)[None, :] - 2 * x @ y.T).clamp_min(0)


@register_kernel("gaussian")
def gaussian_kernel(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """k(x, y) = exp(-||x - y||² / (2 σ²)), σ = bandwidth. (n, d), (m, d) -> (n, m)."""
    return torch.exp(-_sq_dists(x, y) / (2 * bandwidth**2))


@register_kernel("laplacian")
def laplacian_kernel(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """k(x, y) = exp(-||x - y|| / σ). (n, d), (m, d) -> (n, m)."""
    return torch.exp(-_sq_dists(x, y).sqrt() / bandwidth)


@register_kernel("imq")
def inverse_multiquadric_kernel(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """k(x, y) = (1 + ||x - y||² / σ²)^(-1/2), heavy-tailed (used by WAE-MMD). -> (n, m)."""
    return torch.rsqrt(1 + _sq_dists(x, y) / bandwidth**2)


def mmd2(
    x, y, *, kernel: str = "gaussian", bandwidth: float = 1.0, unbiased: bool = True
) -> torch.Tensor:
    """Squared MMD between samples x (n, d) and y (m, d); returns a scalar tensor.

    unbiased=True (U-statistic, can be slightly negative):
        1/(n(n-1)) Σ_{i≠i'} k(x_i, x_i') + 1/(m(m-1)) Σ_{j≠j'} k(y_j, y_j') - 2/(nm) Σ_ij k(x_i, y_j)
    unbiased=False (V-statistic, >= 0, biased upwards by O(1/n)):
        the same sums with the diagonals included and 1/n², 1/m².

    kernel: a name from ``KERNELS`` ("gaussian", "laplacian", "imq"); bandwidth: σ > 0.
    Differentiable in x and y, so it can serve as a training loss (WAE-MMD, chapter 4).
    """
    k = KERNELS.lookup(kernel)
    bandwidth = check_positive(bandwidth, "bandwidth")
    x, y = as_tensor(x, "x"), as_tensor(y, "y")
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim == 1:
        y = y[:, None]
    check_ndim(x, "x", 2, "(n, d)")
    check_ndim(y, "y", 2, "(m, d)")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same dimension d, got {x.shape[1]} and {y.shape[1]}"
        )
    check_finite(x, "x")
    check_finite(y, "y")
    n, m = len(x), len(y)
    if unbiased and (n < 2 or m < 2):
        raise ValueError(
            f"the unbiased MMD needs at least 2 samples on each side, got n={n}, m={m}"
        )
    kxx, kyy, kxy = k(x, x, bandwidth), k(y, y, bandwidth), k(x, y, bandwidth)
    if unbiased:
        sxx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
        syy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    else:
        sxx, syy = kxx.mean(), kyy.mean()
    return sxx + syy - 2 * kxy.mean()
