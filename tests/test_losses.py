"""course_lib.losses against torch.nn.functional and the definitions."""

import pytest
import torch
import torch.nn.functional as F

from course_lib import divergences as dv
from course_lib.losses import curriculum_weights, triplet_loss


@pytest.mark.parametrize("margin,p", [(1.0, 2.0), (0.3, 1.0)])
def test_triplet_loss_matches_torch(margin, p):
    g = torch.Generator().manual_seed(0)
    a, pos, neg = (torch.randn(32, 6, generator=g, dtype=torch.float64) for _ in range(3))
    expect = F.triplet_margin_loss(a, pos, neg, margin=margin, p=p, eps=0.0)
    assert float(triplet_loss(a, pos, neg, margin=margin, p=p)) == pytest.approx(
        float(expect), rel=1e-10
    )


def test_satisfied_triplets_give_no_loss_and_no_gradient():
    a = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    pos = torch.tensor([[0.1, 0.0]], dtype=torch.float64)
    neg = torch.tensor([[5.0, 0.0]], dtype=torch.float64)
    loss = triplet_loss(a, pos, neg, margin=1.0)
    loss.backward()
    assert float(loss.detach()) == 0.0 and torch.all(a.grad == 0)


def test_triplet_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        triplet_loss(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="margin must be > 0"):
        triplet_loss(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(3, 2), margin=-1.0)


def test_curriculum_entropy_rises_to_the_data_entropy():
    difficulty = torch.linspace(0, 1, 50, dtype=torch.float64)
    p = torch.softmax(torch.sin(torch.arange(50.0, dtype=torch.float64)), 0)  # data distribution
    entropies = []
    for pace in torch.linspace(0.1, 1.0, 10).tolist():
        for temperature in (0.0, 0.05):
            w = curriculum_weights(difficulty, pace, temperature=temperature)
            q = w * p / (w * p).sum()
            if temperature == 0.0:
                entropies.append(float(dv.entropy(q)))
    assert all(e2 > e1 for e1, e2 in zip(entropies, entropies[1:], strict=False))
    assert entropies[-1] == pytest.approx(float(dv.entropy(p)), rel=1e-12)
    assert torch.all(curriculum_weights(difficulty, 1.0, temperature=0.1) == 1)


def test_curriculum_rejects_bad_input():
    with pytest.raises(ValueError, match=r"difficulty must lie in \[0, 1\]"):
        curriculum_weights(torch.tensor([0.5, 2.0]), 0.5)
    with pytest.raises(ValueError, match="pace must be >= 0"):
        curriculum_weights(torch.tensor([0.5]), -0.1)
