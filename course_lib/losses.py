"""Losses that encode a task rather than a distribution match (chapter 3).

* Triplet loss [Schroff et al., 2015]: for an anchor x, a positive p (same class) and a
  negative n, ask d(x, p) <= d(x, n) - m for a margin m > 0:

      L = mean over triplets of  max(d(x, p) - d(x, n) + m, 0).

  Triplets that already satisfy the margin contribute 0 and no gradient.
* Curriculum learning [Bengio et al., 2009]: train on q_t(x) ∝ w_t(x) p(x), where the weights
  w_t start at 1 on easy samples only and rise to 1 everywhere, so the entropy of q_t grows
  towards that of the real data distribution p.
"""

from __future__ import annotations

import torch

from ._validate import as_tensor, check_finite, check_positive

__all__ = ["curriculum_weights", "triplet_loss"]


def triplet_loss(
    anchor, positive, negative, *, margin: float = 1.0, p: float = 2.0
) -> torch.Tensor:
    """Mean hinge  max(||x - p||_p - ||x - n||_p + margin, 0)  over a batch of triplets.

    anchor, positive, negative: (B, d) embeddings (or (d,) for one triplet). Returns a scalar.
    Matches ``torch.nn.functional.triplet_margin_loss`` up to its ``eps=1e-6`` inside the norm.
    """
    margin = check_positive(margin, "margin")
    x, pos, neg = (
        as_tensor(t, name)
        for t, name in ((anchor, "anchor"), (positive, "positive"), (negative, "negative"))
    )
    if not (x.shape == pos.shape == neg.shape):
        raise ValueError(
            "anchor, positive and negative must have the same shape (B, d), got "
            f"{tuple(x.shape)}, {tuple(pos.shape)}, {tuple(neg.shape)}"
        )
    d_pos = torch.linalg.vector_norm(x - pos, ord=p, dim=-1)  # (B,)
    d_neg = torch.linalg.vector_norm(x - neg, ord=p, dim=-1)  # (B,)
    return torch.clamp(d_pos - d_neg + margin, min=0).mean()


def curriculum_weights(difficulty, pace: float, *, temperature: float = 0.0) -> torch.Tensor:
    """Sample weights w_t(x) for a curriculum at pace λ_t in [0, 1]. difficulty: (N,) in [0, 1].

    temperature = 0: hard curriculum, w = 1 if difficulty <= pace else 0;
    temperature > 0: smooth, w = sigmoid((pace - difficulty) / temperature).
    At pace >= 1 every weight is exactly 1: the last stage trains on the real distribution.
    """
    d = as_tensor(difficulty, "difficulty")
    check_finite(d, "difficulty")
    if (d < 0).any() or (d > 1).any():
        raise ValueError("difficulty must lie in [0, 1]; rescale it, e.g. by rank / (N - 1)")
    if not 0.0 <= pace:
        raise ValueError(f"pace must be >= 0 (0 = only the easiest samples, 1 = all), got {pace}")
    if pace >= 1:
        return torch.ones_like(d)
    if temperature == 0:
        return (d <= pace).to(d.dtype)
    temperature = check_positive(temperature, "temperature")
    return torch.sigmoid((pace - d) / temperature)
