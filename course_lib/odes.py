"""Neural ODEs from scratch: a fixed-step ODE solver and the adjoint method (chapter 6).

An ODE function is any callable ``func(t, y) -> dy/dt`` (the same order as torchdiffeq):
``t`` a 0-d tensor, ``y`` and ``dy/dt`` tensors of the same shape. A *neural* ODE is one
whose ``func`` is an ``nn.Module`` with parameters θ.

* ``euler_step`` / ``rk4_step``: one step of size ``dt``, local error O(dt²) / O(dt⁵);
* ``odeint(func, y0, t)``: the solution at every time of ``t`` (shape ``(len(t), *y0.shape)``),
  taking ``steps`` equal steps between consecutive times; differentiable by plain backprop
  through every step (memory grows with the number of steps);
* ``odeint_adjoint(func, y0, t)``: the same forward solve, but gradients come from solving the
  adjoint ODE backwards in time (memory independent of the number of steps). With
  ``a(t) = ∂L/∂z(t)``:

      dz/dt   = f(z, t, θ)
      da/dt   = -a(t)ᵀ ∂f/∂z
      da_θ/dt = -a(t)ᵀ ∂f/∂θ,      a_θ(t_N) = 0,   ∂L/∂θ = a_θ(t_0)

  solved from ``t_N`` back to ``t_0`` as one augmented state ``[z, a, a_θ]``, adding
  ``∂L/∂z(t_k)`` to ``a`` at every intermediate output time ``t_k``.

Same call shape as ``torchdiffeq.odeint(func, y0, t)``, which the tests use as the reference.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ._validate import as_tensor, check_finite, check_ndim

__all__ = [
    "METHODS",
    "ODEFunc",
    "LinearODE",
    "euler_step",
    "odeint",
    "odeint_adjoint",
    "rk4_step",
]

ODEFunc = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # func(t, y) -> dy/dt


def euler_step(func: ODEFunc, t: torch.Tensor, y: torch.Tensor, dt) -> torch.Tensor:
    """One explicit Euler step: ``y + dt * f(t, y)`` (global error O(dt))."""
    return y + dt * func(t, y)


def rk4_step(func: ODEFunc, t: torch.Tensor, y: torch.Tensor, dt) -> torch.Tensor:
    """One classical Runge-Kutta step (global error O(dt⁴)):

    k1 = f(t, y), k2 = f(t + dt/2, y + dt k1/2), k3 = f(t + dt/2, y + dt k2/2),
    k4 = f(t + dt, y + dt k3);   y + dt (k1 + 2 k2 + 2 k3 + k4) / 6.
    """
    half = dt / 2
    k1 = func(t, y)
    k2 = func(t + half, y + half * k1)
    k3 = func(t + half, y + half * k2)
    k4 = func(t + dt, y + dt * k3)
    return y + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6


METHODS = {"euler": euler_step, "rk4": rk4_step}


def _check_args(func, y0, t, method, steps) -> tuple[torch.Tensor, torch.Tensor]:
    if not callable(func):
        raise TypeError(f"func must be callable as func(t, y), got {type(func).__name__}")
    if not isinstance(y0, torch.Tensor):
        raise TypeError(f"y0 must be a tensor (the initial state), got {type(y0).__name__}")
    if not y0.is_floating_point():
        raise TypeError(f"y0 must be a floating tensor, got dtype {y0.dtype}; use y0.float()")
    check_finite(y0, "y0")
    t = as_tensor(t, "t", dtype=y0.dtype)
    check_ndim(t, "t", 1, "(T,) with T >= 2 increasing or decreasing times")
    check_finite(t, "t")
    if len(t) < 2:
        raise ValueError(f"t must hold at least 2 times (start and end), got {len(t)}")
    d = t[1:] - t[:-1]
    if not ((d > 0).all() or (d < 0).all()):
        raise ValueError("t must be strictly increasing or strictly decreasing")
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive integer (steps per interval), got {steps!r}")
    return y0, t


def _solve(func, y0, t, method, steps) -> torch.Tensor:
    step = METHODS[method]
    ys = [y0]
    y = y0
    for i in range(len(t) - 1):
        dt = (t[i + 1] - t[i]) / steps
        for k in range(steps):
            y = step(func, t[i] + k * dt, y, dt)
        ys.append(y)
    return torch.stack(ys)


def odeint(
    func: ODEFunc, y0: torch.Tensor, t, *, method: str = "rk4", steps: int = 10
) -> torch.Tensor:
    """Solve ``dy/dt = func(t, y)``, ``y(t[0]) = y0`` with a fixed-step method.

    y0: any shape S; t: (T,) strictly monotone times (decreasing integrates backwards);
    steps: equal steps per interval ``[t[i], t[i+1]]``. Returns (T, *S), the solution at
    every time of ``t`` (row 0 is ``y0``). Gradients flow by backprop through every step.
    """
    y0, t = _check_args(func, y0, t, method, steps)
    return _solve(func, y0, t, method, steps)


class _Adjoint(torch.autograd.Function):
    """Forward: the fixed-step solve, without a graph. Backward: the adjoint ODE, backwards."""

    @staticmethod
    def forward(ctx, y0, t, func, method, steps, *params):
        with torch.no_grad():
            ys = _solve(func, y0, t, method, steps)
        ctx.func, ctx.method, ctx.steps = func, method, steps
        ctx.save_for_backward(t, ys, *params)
        return ys

    @staticmethod
    def backward(ctx, grad_ys):
        t, ys, *params = ctx.saved_tensors
        func, step = ctx.func, METHODS[ctx.method]
        n_y = ys[0].numel()
        shape = ys[0].shape

        def augmented(s, state):
            # state = [z, a, a_θ] flattened; returns its time derivative
            z = state[:n_y].reshape(shape).detach().requires_grad_(True)
            a = state[n_y : 2 * n_y].reshape(shape)
            with torch.enable_grad():
                f = func(s, z)
                vjp = torch.autograd.grad(f, (z, *params), a, allow_unused=True)
            inputs = (z, *params)
            vjp = [
                torch.zeros_like(p) if g is None else g for g, p in zip(vjp, inputs, strict=True)
            ]
            return torch.cat([f.reshape(-1), *(-g.reshape(-1) for g in vjp)])

        a_theta = [torch.zeros_like(p).reshape(-1) for p in params]
        state = torch.cat([ys[-1].reshape(-1), grad_ys[-1].reshape(-1), *a_theta])
        for i in range(len(t) - 1, 0, -1):  # from t_N back to t_0, interval by interval
            dt = (t[i - 1] - t[i]) / ctx.steps
            for k in range(ctx.steps):
                state = step(augmented, t[i] + k * dt, state, dt)
            # restart z from the stored forward solution; add the loss's direct gradient
            state[:n_y] = ys[i - 1].reshape(-1)
            state[n_y : 2 * n_y] += grad_ys[i - 1].reshape(-1)
        grad_y0 = state[n_y : 2 * n_y].reshape(shape)
        grads, offset = [], 2 * n_y
        for p in params:
            grads.append(state[offset : offset + p.numel()].reshape(p.shape))
            offset += p.numel()
        return (grad_y0, None, None, None, None, *grads)


def odeint_adjoint(
    func: ODEFunc,
    y0: torch.Tensor,
    t,
    *,
    method: str = "rk4",
    steps: int = 10,
    params=None,
) -> torch.Tensor:
    """``odeint`` whose gradients come from the adjoint ODE solved backwards in time.

    Gradients reach ``y0`` and ``params`` (default: ``func.parameters()`` when ``func`` is an
    ``nn.Module``); none reach ``t``. The backward solve uses the same method and steps as the
    forward one, so it agrees with backprop through ``odeint`` up to the solver's error.
    """
    y0, t = _check_args(func, y0, t, method, steps)
    if params is None:
        params = list(func.parameters()) if isinstance(func, nn.Module) else []
    params = [p for p in params if p.requires_grad]
    return _Adjoint.apply(y0, t.detach(), func, method, steps, *params)


class LinearODE(nn.Module):
    """``dy/dt = y Aᵀ`` (each row of ``y`` moves by ``A``): solution ``y(t) = y(0) exp(t A)ᵀ``.

    A: (D, D). The teaching example with a closed form: rotation for A = [[0, -1], [1, 0]],
    exponential growth for A = a I; its divergence ``tr(A)`` is the same everywhere.
    """

    def __init__(self, A):
        super().__init__()
        A = as_tensor(A, "A")
        check_ndim(A, "A", 2, "(D, D)")
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be square (D, D), got shape {tuple(A.shape)}")
        self.A = nn.Parameter(A.clone())

    def forward(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return y @ self.A.T
