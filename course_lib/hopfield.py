"""Hopfield networks: associative memory by auto-association (chapter 4, section 4.1).

A Hopfield network is a fully connected recurrent net of n binary units s_i ∈ {-1, +1}
(the deck's 0/1 units x map to spins by s = 2x - 1). It stores P patterns ξ^1..ξ^P (P, n)
in its weights with Hebb's rule,

    W = (1/n) Σ_μ ξ^μ (ξ^μ)^T,   then W_ii = 0          (symmetric, zero diagonal),

and recalls by repeatedly setting each unit to the sign of its input,

    s_i <- sign(Σ_j W_ij s_j)       (a tie, input 0, keeps the current s_i).

With symmetric W and zero diagonal, every asynchronous update (one unit at a time) can only
lower the energy E(s) = -½ sᵀ W s, so the state settles in a local minimum: ideally the stored
pattern nearest to the (corrupted) start [Hopfield, PNAS 79, 1982]. Synchronous updates (all
units at once) may instead end in a 2-cycle. Hebbian storage holds about 0.14 n random patterns;
correlated patterns (like digits) interfere much sooner.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._validate import as_tensor, check_finite, check_ndim

__all__ = ["Recall", "energy", "hopfield_weights", "recall", "to_spins", "update"]


def to_spins(x, threshold: float = 0.5) -> torch.Tensor:
    """Binary images/vectors x (any shape, values in [0, 1]) -> spins in {-1, +1} (x >= threshold)."""
    x = as_tensor(x, "x")
    check_finite(x, "x")
    return torch.where(x >= threshold, 1.0, -1.0).to(x.dtype)


def _check_spins(s: torch.Tensor, name: str) -> None:
    check_finite(s, name)
    if not ((s == 1) | (s == -1)).all():
        raise ValueError(
            f"{name} must contain only -1 and +1 (spins); convert 0/1 data with to_spins({name})"
        )


def hopfield_weights(patterns) -> torch.Tensor:
    """Hebbian weights W = (1/n) Σ_μ ξ^μ ξ^μᵀ with zero diagonal. patterns: (P, n) spins -> (n, n)."""
    xi = as_tensor(patterns, "patterns")
    if xi.ndim == 1:
        xi = xi[None]
    check_ndim(xi, "patterns", 2, "(P, n)")
    _check_spins(xi, "patterns")
    n = xi.shape[1]
    w = xi.T @ xi / n  # (n, n): sum of outer products
    return w.fill_diagonal_(0.0)  # no self-connections: needed for the energy argument


def energy(w, s) -> torch.Tensor:
    """E(s) = -½ sᵀ W s. w: (n, n); s: (n,) or a batch (B, n) -> () or (B,)."""
    w, s = as_tensor(w, "w"), as_tensor(s, "s")
    return -0.5 * ((s @ w) * s).sum(-1)


def update(w, s, *, mode: str = "async", generator: torch.Generator | None = None):
    """One sweep of recall. s: (n,) or (B, n) spins -> new spins, same shape.

    mode="sync":  s <- sign(W s) for all units at once;
    mode="async": units updated one after another in a random order (``generator``),
                  each seeing the units already updated in this sweep.
    Ties (input exactly 0) keep the unit's current value.
    """
    w, s = _check_state(w, s)
    if mode == "sync":
        h = s @ w  # W symmetric, so s @ W = (W s)ᵀ; (B, n) or (n,)
        return torch.where(h > 0, 1.0, torch.where(h < 0, -1.0, s)).to(s.dtype)
    if mode != "async":
        raise ValueError(f"mode must be 'sync' or 'async', got {mode!r}")
    s = s.clone()
    for i in torch.randperm(w.shape[0], generator=generator).tolist():
        h = s @ w[:, i]  # input to unit i, () or (B,)
        s[..., i] = torch.where(h > 0, 1.0, torch.where(h < 0, -1.0, s[..., i]))
    return s


def _check_state(w, s) -> tuple[torch.Tensor, torch.Tensor]:
    w, s = as_tensor(w, "w"), as_tensor(s, "s")
    check_ndim(w, "w", 2, "(n, n)")
    if w.shape[0] != w.shape[1] or s.shape[-1] != w.shape[0]:
        raise ValueError(
            f"w must be square (n, n) and s must end in n; got w {tuple(w.shape)}, s {tuple(s.shape)}"
        )
    _check_spins(s, "s")
    return w, s.to(w.dtype)


@dataclass(frozen=True)
class Recall:
    """Result of ``recall``: final state, energy after each sweep (first = start), sweeps run,
    and whether a sweep left every state unchanged (a fixed point was reached)."""

    state: torch.Tensor
    energies: list[float]
    n_sweeps: int
    converged: bool


def recall(w, s, *, mode: str = "async", max_sweeps: int = 20, seed: int = 0) -> Recall:
    """Run ``update`` sweeps from s (n,) or (B, n) until nothing changes (or ``max_sweeps``).

    ``energies`` holds the mean energy over the batch after each sweep (non-increasing for
    mode="async").
    """
    w, s = _check_state(w, s)
    g = torch.Generator().manual_seed(int(seed))
    energies = [float(energy(w, s).mean())]
    for sweep in range(1, max_sweeps + 1):
        new = update(w, s, mode=mode, generator=g)
        energies.append(float(energy(w, new).mean()))
        if torch.equal(new, s):
            return Recall(new, energies, sweep, True)
        s = new
    return Recall(s, energies, max_sweeps, False)
