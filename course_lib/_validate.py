"""Input checks shared by the course's entry points.

Each raises ``ValueError`` / ``TypeError`` with a message that names the argument,
says what was received and how to fix it (never ``assert``: it vanishes under ``python -O``).
"""

from __future__ import annotations

import numbers

import torch


def as_tensor(x, name: str, *, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Convert array-likes to a floating tensor (float64 unless ``x`` already is floating)."""
    if isinstance(x, torch.Tensor):
        t = x
    else:
        try:
            t = torch.as_tensor(x)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"{name} must be a tensor or array-like of numbers, got {type(x).__name__}"
            ) from err
    if dtype is not None:
        return t.to(dtype)
    return t if t.is_floating_point() else t.to(torch.float64)


def check_finite(t: torch.Tensor, name: str) -> None:
    if not torch.isfinite(t).all():
        bad = int((~torch.isfinite(t)).sum())
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); clean the input before calling"
        )


def check_ndim(t: torch.Tensor, name: str, ndim: int, shape_hint: str) -> None:
    if t.ndim != ndim:
        raise ValueError(f"{name} must have shape {shape_hint}, got shape {tuple(t.shape)}")


def check_positive(value, name: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    if not value > 0:  # also rejects NaN
        raise ValueError(f"{name} must be > 0, got {value}")
    return float(value)


def check_histogram(p: torch.Tensor, name: str) -> None:
    """Non-negative, finite weights along the last dimension (any total mass)."""
    check_finite(p, name)
    if p.ndim == 0:
        raise ValueError(f"{name} must be a vector of weights, got a scalar")
    if (p < 0).any():
        raise ValueError(
            f"{name} has negative entries (min {float(p.min()):.3g}); weights must be >= 0"
        )


def check_distribution(p: torch.Tensor, name: str, *, atol: float = 1e-6) -> None:
    """A probability vector (or a batch of them along the last dimension)."""
    check_histogram(p, name)
    total = p.sum(-1)
    if not torch.allclose(total, torch.ones_like(total), atol=atol, rtol=0):
        raise ValueError(
            f"{name} must sum to 1 along its last dimension, got {total.flatten()[:3].tolist()}; "
            f"normalise it with {name} / {name}.sum(-1, keepdim=True)"
        )


def check_same_mass(
    a: torch.Tensor, b: torch.Tensor, names: str = "a and b", *, rtol: float = 1e-6
) -> None:
    ma, mb = float(a.sum()), float(b.sum())
    if abs(ma - mb) > rtol * max(abs(ma), abs(mb)):
        raise ValueError(
            f"{names} must carry the same total mass (balanced transport), got {ma:.6g} and {mb:.6g}; "
            "normalise both to sum to 1"
        )
