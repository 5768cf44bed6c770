"""The teaching ODE solver and its adjoint against closed forms, autograd and torchdiffeq."""

import math

import pytest
import torch
import torchdiffeq
from torch import nn

from course_lib import odes

F64 = torch.float64
ROTATION = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=F64)


class MLPField(nn.Module):
    """A small nonlinear, time-dependent vector field f(t, y) = W2 tanh(W1 y + t c)."""

    def __init__(self, dim=2, hidden=8, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.W1 = nn.Parameter(torch.randn(hidden, dim, generator=g, dtype=F64) / 2)
        self.c = nn.Parameter(torch.randn(hidden, generator=g, dtype=F64))
        self.W2 = nn.Parameter(torch.randn(dim, hidden, generator=g, dtype=F64) / 3)

    def forward(self, t, y):
        return torch.tanh(y @ self.W1.T + t * self.c) @ self.W2.T


def test_one_rk4_step_is_the_fourth_order_taylor_polynomial():
    # dy/dt = y: one RK4 step multiplies by 1 + h + h²/2 + h³/6 + h⁴/24 exactly
    y0, h = torch.tensor([1.5], dtype=F64), 0.3
    got = odes.rk4_step(lambda t, y: y, torch.tensor(0.0, dtype=F64), y0, h)
    assert torch.allclose(got, y0 * (1 + h + h**2 / 2 + h**3 / 6 + h**4 / 24), rtol=1e-14)
    got = odes.euler_step(lambda t, y: y, torch.tensor(0.0, dtype=F64), y0, h)
    assert torch.allclose(got, y0 * (1 + h), rtol=1e-14)


def test_exponential_growth_and_rotation_match_closed_forms():
    t = torch.linspace(0, 2, 5, dtype=F64)
    y0 = torch.tensor([0.7, -1.2], dtype=F64)
    ys = odes.odeint(lambda s, y: -0.8 * y, y0, t, steps=50)
    assert torch.allclose(ys, y0 * torch.exp(-0.8 * t)[:, None], atol=1e-9)
    ys = odes.odeint(odes.LinearODE(ROTATION), y0[None], t, steps=50)[:, 0]
    c, s = torch.cos(t), torch.sin(t)
    want = torch.stack([c * y0[0] - s * y0[1], s * y0[0] + c * y0[1]], 1)
    assert torch.allclose(ys, want, atol=1e-9)


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("rk4", 4)])
def test_global_error_shrinks_with_the_expected_order(method, order):
    y0 = torch.tensor([[1.0, 0.0]], dtype=F64)
    t = torch.tensor([0.0, math.pi / 2], dtype=F64)
    exact = torch.tensor([0.0, 1.0], dtype=F64)  # a quarter turn
    field = odes.LinearODE(ROTATION).requires_grad_(False)
    errors = [
        float((odes.odeint(field, y0, t, method=method, steps=n)[-1, 0] - exact).norm())
        for n in (8, 16, 32, 64)
    ]
    slopes = [math.log2(a / b) for a, b in zip(errors[:-1], errors[1:], strict=True)]
    assert all(abs(s - order) < 0.3 for s in slopes), slopes


def test_odeint_agrees_with_torchdiffeq_on_a_nonlinear_field():
    f = MLPField()
    y0 = torch.randn(4, 2, dtype=F64)
    t = torch.tensor([0.0, 0.4, 1.3], dtype=F64)
    ours = odes.odeint(f, y0, t, steps=40)
    ref = torchdiffeq.odeint(f, y0, t, method="dopri5", rtol=1e-11, atol=1e-11)
    assert torch.allclose(ours, ref, atol=1e-8)


def test_integrating_back_in_time_returns_to_the_start():
    f = MLPField(seed=1)
    y0 = torch.randn(3, 2, dtype=F64)
    y1 = odes.odeint(f, y0, [0.0, 1.0], steps=40)[-1]
    back = odes.odeint(f, y1, [1.0, 0.0], steps=40)[-1]
    assert torch.allclose(back, y0, atol=1e-8)


def _grads(solver, f, y0, t, w):
    y0 = y0.clone().requires_grad_(True)
    loss = (solver(f, y0, t) * w).sum()
    return torch.autograd.grad(loss, (y0, *f.parameters()))


def test_adjoint_gradients_match_backprop_through_the_solver():
    f, t = MLPField(seed=2), torch.tensor([0.0, 0.5, 1.0], dtype=F64)
    y0, w = torch.randn(5, 2, dtype=F64), torch.randn(3, 5, 2, dtype=F64)  # loss on all times
    backprop = _grads(lambda *a: odes.odeint(*a, steps=30), f, y0, t, w)
    adjoint = _grads(lambda *a: odes.odeint_adjoint(*a, steps=30), f, y0, t, w)
    for a, b in zip(adjoint, backprop, strict=True):
        assert torch.allclose(a, b, atol=1e-7), (a - b).abs().max()


def test_adjoint_gradients_match_torchdiffeq_odeint_adjoint():
    f, t = MLPField(seed=3), torch.tensor([0.0, 1.0], dtype=F64)
    y0, w = torch.randn(4, 2, dtype=F64), torch.randn(2, 4, 2, dtype=F64)
    ours = _grads(lambda *a: odes.odeint_adjoint(*a, steps=40), f, y0, t, w)
    ref = _grads(
        lambda *a: torchdiffeq.odeint_adjoint(*a, method="dopri5", rtol=1e-11, atol=1e-11),
        f,
        y0,
        t,
        w,
    )
    for a, b in zip(ours, ref, strict=True):
        assert torch.allclose(a, b, atol=1e-7), (a - b).abs().max()


def test_adjoint_gradients_of_a_linear_ode_match_the_matrix_exponential():
    # y(T) = y0 exp(T A)ᵀ: autograd through torch.linalg.matrix_exp is the reference
    A = torch.tensor([[-0.3, 1.1], [-0.7, 0.2]], dtype=F64)
    y0, w = torch.randn(3, 2, dtype=F64), torch.randn(3, 2, dtype=F64)
    f = odes.LinearODE(A)
    got = _grads(lambda *a: odes.odeint_adjoint(*a, steps=50)[-1:], f, y0, [0.0, 1.5], w[None])
    A_ref, y_ref = A.clone().requires_grad_(True), y0.clone().requires_grad_(True)
    loss = ((y_ref @ torch.linalg.matrix_exp(1.5 * A_ref).T) * w).sum()
    want = torch.autograd.grad(loss, (y_ref, A_ref))
    for a, b in zip(got, want, strict=True):
        assert torch.allclose(a, b, atol=1e-8)


def test_adjoint_works_for_a_plain_function_without_parameters():
    y0 = torch.tensor([2.0], dtype=F64, requires_grad=True)
    y = odes.odeint_adjoint(lambda t, y: -y, y0, [0.0, 1.0], steps=20)[-1]
    (g,) = torch.autograd.grad(y.sum(), y0)
    assert torch.allclose(g, torch.tensor([math.exp(-1)], dtype=F64), atol=1e-7)


@pytest.mark.parametrize("solver", [odes.odeint, odes.odeint_adjoint])
def test_bad_inputs_raise_clear_errors(solver):
    f, y0 = odes.LinearODE(ROTATION), torch.zeros(1, 2, dtype=F64)
    with pytest.raises(TypeError, match="func must be callable"):
        solver("f", y0, [0.0, 1.0])
    with pytest.raises(TypeError, match="y0 must be a tensor"):
        solver(f, [[0.0, 0.0]], [0.0, 1.0])
    with pytest.raises(TypeError, match="floating"):
        solver(f, torch.zeros(1, 2, dtype=torch.long), [0.0, 1.0])
    with pytest.raises(ValueError, match="at least 2 times"):
        solver(f, y0, [0.0])
    with pytest.raises(ValueError, match="strictly increasing or strictly decreasing"):
        solver(f, y0, [0.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="method must be one of"):
        solver(f, y0, [0.0, 1.0], method="dopri5")
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        solver(f, y0, [0.0, 1.0], steps=0)
    with pytest.raises(ValueError, match="NaN"):
        solver(f, torch.full((1, 2), math.nan, dtype=F64), [0.0, 1.0])


def test_linear_ode_rejects_a_non_square_matrix():
    with pytest.raises(ValueError, match="square"):
        odes.LinearODE(torch.zeros(2, 3))
