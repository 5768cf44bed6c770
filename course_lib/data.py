"""Seeded toy data for the whole course: nothing is ever downloaded.

Two kinds of data:

* 2-D toy distributions, ``sample_2d(name, n, seed=...)`` -> tensor of shape (n, 2).
  Each generator is a small function registered in ``TOY_2D``; add your own with
  ``@register_2d("name")``.
* The 8x8 handwritten digits bundled with scikit-learn, ``digits()`` -> a ``Digits``
  split into train and test tensors (1,797 images of 64 pixels, values 0..16).

Every generator takes a ``seed`` and draws from its own ``torch.Generator``, so
calling it twice with the same seed gives the same tensor and never touches the
global random state.

Chapter links: used by every chapter; the 2-D toys first appear in chapter 3
(optimal transport between point clouds).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ._registry import Registry

__all__ = [
    "TOY_2D",
    "Digits",
    "checkerboard",
    "digits",
    "gaussian_grid",
    "gaussian_ring",
    "moons",
    "register_2d",
    "ring_modes",
    "sample_2d",
    "spirals",
    "swiss_roll",
]

Sampler = Callable[..., torch.Tensor]
TOY_2D = Registry("2-D toy")
register_2d = TOY_2D.register  # @register_2d("name") on f(n, *, seed, **options) -> (n, 2)


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer number of samples, got {n!r}")


def _rng(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


@register_2d("ring")
def gaussian_ring(
    n: int, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0
) -> torch.Tensor:
    """Mixture of ``n_modes`` equal Gaussians on a circle (the GAN mode-collapse benchmark).

    Mode k sits at ``radius * (cos 2πk/K, sin 2πk/K)``; each has isotropic std ``std``.
    Returns (n, 2).
    """
    _check_n(n)
    g = _rng(seed)
    k = torch.randint(n_modes, (n,), generator=g)
    angle = 2 * math.pi * k.double() / n_modes
    centers = radius * torch.stack([angle.cos(), angle.sin()], dim=1)  # (n, 2)
    return centers + std * torch.randn(n, 2, generator=g, dtype=torch.float64)


def ring_modes(n_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """Centres of ``gaussian_ring``'s modes, shape (n_modes, 2)."""
    angle = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)


@register_2d("grid")
def gaussian_grid(
    n: int, *, side: int = 5, spacing: float = 2.0, std: float = 0.05, seed: int = 0
) -> torch.Tensor:
    """Mixture of ``side**2`` equal Gaussians on a centred square grid (25-mode benchmark).

    Modes at ``spacing * (i - (side-1)/2, j - (side-1)/2)``. Returns (n, 2).
    """
    _check_n(n)
    g = _rng(seed)
    k = torch.randint(side * side, (n,), generator=g)
    offset = (side - 1) / 2
    centers = spacing * torch.stack(
        [(k // side).double() - offset, (k % side).double() - offset], 1
    )
    return centers + std * torch.randn(n, 2, generator=g, dtype=torch.float64)


@register_2d("moons")
def moons(n: int, *, noise: float = 0.05, seed: int = 0) -> torch.Tensor:
    """Two interleaving half circles (as ``sklearn.datasets.make_moons``), centred. Returns (n, 2)."""
    _check_n(n)
    g = _rng(seed)
    upper = torch.rand(n, generator=g, dtype=torch.float64) < 0.5
    t = math.pi * torch.rand(n, generator=g, dtype=torch.float64)
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    pts = torch.stack([x - 0.5, y - 0.25], dim=1)
    return pts + noise * torch.randn(n, 2, generator=g, dtype=torch.float64)


@register_2d("checkerboard")
def checkerboard(n: int, *, squares: int = 4, size: float = 4.0, seed: int = 0) -> torch.Tensor:
    """Uniform density on the dark squares of a ``squares x squares`` board of side ``size``.

    Centred at the origin. Returns (n, 2).
    """
    _check_n(n)
    if squares % 2:
        raise ValueError(f"squares must be even so both colours have equal area, got {squares}")
    g = _rng(seed)
    cell = size / squares
    col = torch.randint(squares, (n,), generator=g)
    row = 2 * torch.randint(squares // 2, (n,), generator=g) + (col % 2)  # dark squares only
    u = torch.rand(n, 2, generator=g, dtype=torch.float64)
    pts = torch.stack([col.double() + u[:, 0], row.double() + u[:, 1]], dim=1) * cell
    return pts - size / 2


@register_2d("spirals")
def spirals(n: int, *, turns: float = 1.5, noise: float = 0.05, seed: int = 0) -> torch.Tensor:
    """Two interleaved Archimedean spirals of radius up to 2. Returns (n, 2)."""
    _check_n(n)
    g = _rng(seed)
    t = torch.rand(n, generator=g, dtype=torch.float64).sqrt()  # uniform along the arc length
    arm = torch.randint(2, (n,), generator=g).double()
    angle = 2 * math.pi * turns * t + math.pi * arm
    pts = 2 * t[:, None] * torch.stack([angle.cos(), angle.sin()], dim=1)
    return pts + noise * torch.randn(n, 2, generator=g, dtype=torch.float64)


@register_2d("swissroll")
def swiss_roll(n: int, *, noise: float = 0.1, seed: int = 0) -> torch.Tensor:
    """The 2-D swiss roll (``sklearn.datasets.make_swiss_roll`` seen from above), scaled to ~[-2, 2]."""
    _check_n(n)
    g = _rng(seed)
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=g, dtype=torch.float64))
    pts = torch.stack([t * t.cos(), t * t.sin()], dim=1) / 7.0
    return pts + noise / 7.0 * torch.randn(n, 2, generator=g, dtype=torch.float64)


def sample_2d(name: str, n: int, *, seed: int = 0, **options) -> torch.Tensor:
    """Draw ``n`` points from the registered 2-D toy ``name``. Returns (n, 2) float64.

    >>> sample_2d("ring", 4, seed=0).shape
    torch.Size([4, 2])
    """
    return TOY_2D.lookup(name)(n, seed=seed, **options)


@dataclass(frozen=True)
class Digits:
    """The 8x8 digits split into train and test.

    x_*: (N, 64) float32 pixel intensities scaled to [0, 1]; y_*: (N,) int64 labels 0..9.
    ``images(x)`` reshapes a batch back to (N, 8, 8).
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @staticmethod
    def images(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1, 8, 8)


def digits(*, test_fraction: float = 0.2, seed: int = 0) -> Digits:
    """scikit-learn's bundled 8x8 digits (no download) as torch tensors, split per class.

    The split is stratified and seeded: each class contributes ``round(test_fraction * count)``
    images to the test set.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    from sklearn.datasets import load_digits  # bundled with scikit-learn, read from disk

    bunch = load_digits()
    x = torch.tensor(bunch.data, dtype=torch.float32) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.int64)
    g = _rng(seed)
    test_mask = torch.zeros(len(y), dtype=torch.bool)
    for c in range(10):
        idx = (y == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=g)]
        test_mask[idx[: round(test_fraction * len(idx))]] = True
    return Digits(x[~test_mask], y[~test_mask], x[test_mask], y[test_mask])
