"""Continuous normalizing flows (CNF) and FFJORD's trace estimator (chapter 6).

A CNF moves samples of a base density p_0 = N(0, I) along an ODE ``dz/dt = f(z, t)`` from
t = 0 to t = T; the data are z(T). The log-density follows the *instantaneous change of
variables* (Chen et al. 2018):

    d log p(z(t)) / dt = -tr(∂f/∂z (z(t), t))

so for a data point x, integrating the augmented state ``[z, Δ]`` from t = T (z = x, Δ = 0)
back to t = 0 with ``d[z, Δ]/dt = [f, -tr ∂f/∂z]`` gives

    log p_T(x) = log p_0(z(0)) - Δ(0),      Δ(0) = ∫_0^T tr(∂f/∂z) dt.

The trace costs D vector-Jacobian products exactly (``divergence_exact``), or one with
Hutchinson's estimator ``tr(J) = E[εᵀ J ε]`` for probes with E[ε] = 0, Cov(ε) = I
(``divergence_hutchinson``, FFJORD, Grathwohl et al. 2019): one probe per sample, held fixed
for the whole solve, an unbiased estimate of log p.

Shapes: x, z (N, D); log-densities (N,). Solves use ``torchdiffeq.odeint`` with a fixed-step
RK4 (``steps`` steps over [0, T]), differentiated by backprop through the solver.

Toys: ``TOYS`` = "8gaussians" (FFJORD's parameters, defined here: 8 modes on a circle of
radius 4/1.414 ≈ 2.83 with std 0.5/1.414 ≈ 0.354; ``course_lib.data.gaussian_ring`` defaults
to radius 2, std 0.02, far sharper), "moons", "checkerboard" (``course_lib.data``).
Trained models: ``CHECKPOINTS`` recipes, loaded with ``load_cnf(toy)``.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torchdiffeq import odeint

from . import data, odes
from ._validate import as_tensor, check_finite, check_ndim, check_positive

__all__ = [
    "CHECKPOINTS",
    "CNF",
    "PROBES",
    "TOYS",
    "ODENet",
    "divergence_exact",
    "divergence_hutchinson",
    "eight_gaussians",
    "hutchinson_trace",
    "load_cnf",
    "nll",
    "sample_probe",
    "sample_toy",
    "standard_normal_log_prob",
    "train_cnf",
]


# ------------------------------------------------------------------------------- toy data
def eight_gaussians(n: int, *, seed: int = 0) -> torch.Tensor:
    """FFJORD's "8gaussians": modes at 4·(cos 2πk/8, sin 2πk/8), std 0.5, all divided by 1.414.

    So radius ≈ 2.83 and std ≈ 0.354; its entropy, log 8 + log(2πe σ²) ≈ 2.84 nats, bounds
    any model's NLL from below. Returns (n, 2) float64.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer number of samples, got {n!r}")
    g = torch.Generator().manual_seed(int(seed))
    k = torch.randint(8, (n,), generator=g).double()
    centers = 4.0 * torch.stack([torch.cos(math.pi * k / 4), torch.sin(math.pi * k / 4)], 1)
    return (centers + 0.5 * torch.randn(n, 2, generator=g, dtype=torch.float64)) / 1.414


TOYS = {"8gaussians": eight_gaussians, "moons": data.moons, "checkerboard": data.checkerboard}


def sample_toy(name: str, n: int, *, seed: int = 0) -> torch.Tensor:
    """``n`` float32 samples (n, 2) of the toy ``name`` (a key of ``TOYS``)."""
    if name not in TOYS:
        raise ValueError(f"toy must be one of {sorted(TOYS)}, got {name!r}")
    return TOYS[name](n, seed=seed).float()


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) per row: -(D log 2π + |z|²) / 2. z (N, D) -> (N,)."""
    return -0.5 * (z.shape[-1] * math.log(2 * math.pi) + (z**2).sum(-1))


# ------------------------------------------------------------------------- the trace of ∂f/∂z
PROBES = ("rademacher", "gaussian")


def sample_probe(shape, *, kind: str = "rademacher", generator=None, dtype=torch.float32):
    """Noise ε with E[ε] = 0 and Cov(ε) = I: random signs (Rademacher) or N(0, I)."""
    if kind == "rademacher":
        return torch.randint(0, 2, shape, generator=generator).to(dtype) * 2 - 1
    if kind == "gaussian":
        return torch.randn(shape, generator=generator, dtype=dtype)
    raise ValueError(f"kind must be one of {PROBES}, got {kind!r}")


def divergence_exact(f: torch.Tensor, z: torch.Tensor, *, create_graph: bool = True):
    """tr(∂f/∂z) per row, exactly: D vector-Jacobian products eᵢᵀ ∂f/∂z, keeping entry i.

    f (N, D) computed from z (N, D) row by row (row n of f depends on row n of z only).
    Returns (N,). Cost: D backward passes, O(D² H) for a width-H network.
    """
    div = torch.zeros(f.shape[0], dtype=f.dtype, device=f.device)
    for i in range(f.shape[1]):
        keep = create_graph or i < f.shape[1] - 1
        row = torch.autograd.grad(f[:, i].sum(), z, create_graph=create_graph, retain_graph=keep)
        div = div + row[0][:, i]
    return div


def divergence_hutchinson(
    f: torch.Tensor, z: torch.Tensor, eps: torch.Tensor, *, create_graph=True
):
    """Hutchinson's estimate εᵀ (∂f/∂z) ε per row: one vector-Jacobian product, O(D H).

    f, z, eps (N, D); returns (N,), unbiased for tr(∂f/∂z) when E[ε εᵀ] = I.
    """
    vjp = torch.autograd.grad(f, z, eps, create_graph=create_graph)[0]
    return (vjp * eps).sum(-1)


def hutchinson_trace(matrix, n_probes: int, *, kind: str = "rademacher", generator=None):
    """Monte Carlo estimate of tr(A) = E[εᵀ A ε] from ``n_probes`` probes. A (D, D) -> scalar."""
    A = as_tensor(matrix, "matrix")
    check_ndim(A, "matrix", 2, "(D, D)")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"matrix must be square, got shape {tuple(A.shape)}")
    if not isinstance(n_probes, int) or isinstance(n_probes, bool) or n_probes < 1:
        raise ValueError(f"n_probes must be a positive integer, got {n_probes!r}")
    eps = sample_probe((n_probes, A.shape[0]), kind=kind, generator=generator, dtype=A.dtype)
    return torch.einsum("pi,ij,pj->p", eps, A, eps).mean()


# ------------------------------------------------------------------------ the dynamics f(z, t)
class ODENet(nn.Module):
    """The vector field f(z, t): an MLP on the time-concatenated input [z, t], ``n_layers``
    hidden layers of width ``hidden`` with tanh (smooth, so f is Lipschitz in z and the ODE
    has unique solutions). z (N, D), t a 0-d tensor or one time per row (N,) -> (N, D)."""

    def __init__(self, dim: int, hidden: int = 64, n_layers: int = 3):
        super().__init__()
        sizes = [dim + 1] + [hidden] * n_layers + [dim]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )

    def forward(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        h = torch.cat([z, t.to(z.dtype).reshape(-1, 1).expand(len(z), 1)], dim=1)
        for layer in self.layers[:-1]:
            h = torch.tanh(layer(h))
        return self.layers[-1](h)


class _Augmented(nn.Module):
    """d[z, Δ]/dt = [f(z, t), -tr ∂f/∂z], the trace exact or estimated with fixed probes."""

    def __init__(self, net: nn.Module, trace: str, probe: torch.Tensor | None, keep_graph: bool):
        super().__init__()
        self.net, self.trace, self.probe, self.keep_graph = net, trace, probe, keep_graph

    def forward(self, t, state):
        z = state[0]
        with torch.enable_grad():
            if not z.requires_grad:
                z = z.detach().requires_grad_(True)
            f = self.net(t, z)
            if self.trace == "exact":
                div = divergence_exact(f, z, create_graph=self.keep_graph)
            else:
                div = divergence_hutchinson(f, z, self.probe, create_graph=self.keep_graph)
        if not self.keep_graph:
            f, div = f.detach(), div.detach()
        return f, -div


class CNF(nn.Module):
    """Continuous normalizing flow: base N(0, I) at t = 0, data at t = T.

    dim: D; hidden, n_layers: the ``ODENet``; T: integration time; steps: fixed RK4 steps
    over [0, T]; trace: "exact" or "hutchinson" (FFJORD) for ``log_prob``; probe: the
    Hutchinson noise, "rademacher" or "gaussian".
    """

    TRACES = ("exact", "hutchinson")

    def __init__(
        self,
        dim: int = 2,
        hidden: int = 64,
        n_layers: int = 3,
        *,
        T: float = 1.0,
        steps: int = 8,
        trace: str = "exact",
        probe: str = "rademacher",
    ):
        super().__init__()
        for name, value in (("dim", dim), ("hidden", hidden), ("n_layers", n_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(
                f"steps must be a positive integer (RK4 steps over [0, T]), got {steps!r}"
            )
        if trace not in self.TRACES:
            raise ValueError(f"trace must be one of {self.TRACES}, got {trace!r}")
        if probe not in PROBES:
            raise ValueError(f"probe must be one of {PROBES}, got {probe!r}")
        self.dim, self.hidden, self.n_layers = dim, hidden, n_layers
        self.T, self.steps, self.trace, self.probe = check_positive(T, "T"), steps, trace, probe
        self.net = ODENet(dim, hidden, n_layers)

    def config(self) -> dict:
        return dict(dim=self.dim, hidden=self.hidden, n_layers=self.n_layers, T=self.T,
                    steps=self.steps, trace=self.trace, probe=self.probe)  # fmt: skip

    def velocity(self, t, z: torch.Tensor) -> torch.Tensor:
        """f(z, t): z (N, D) -> (N, D); t a number or 0-d tensor."""
        return self.net(torch.as_tensor(t, dtype=z.dtype), z)

    def _check_points(self, x, name: str) -> torch.Tensor:
        x = as_tensor(x, name, dtype=next(self.parameters()).dtype)
        check_ndim(x, name, 2, f"(N, {self.dim})")
        if x.shape[1] != self.dim:
            raise ValueError(f"{name} must have shape (N, {self.dim}), got {tuple(x.shape)}")
        check_finite(x, name)
        return x

    def _solve(self, func, y0, t0: float, t1: float):
        t = torch.tensor([t0, t1], dtype=torch.float32)
        opts = dict(step_size=self.T / self.steps)
        out = odeint(func, y0, t, method="rk4", options=opts)
        return tuple(o[-1] for o in out) if isinstance(out, tuple) else out[-1]

    def log_prob(self, x, *, t: float | None = None, trace: str | None = None, generator=None):
        """log p_t(x) for x (N, D) -> (N,), by solving [z, Δ] from t (default T) back to 0.

        trace: "exact" or "hutchinson" (default: the model's); generator seeds the probes.
        Differentiable w.r.t. the parameters when grad mode is on (training).
        """
        x = self._check_points(x, "x")
        t = self.T if t is None else float(t)
        trace = self.trace if trace is None else trace
        if trace not in self.TRACES:
            raise ValueError(f"trace must be one of {self.TRACES}, got {trace!r}")
        if t == 0:
            return standard_normal_log_prob(x)
        probe = None
        if trace == "hutchinson":
            probe = sample_probe(x.shape, kind=self.probe, generator=generator, dtype=x.dtype)
        func = _Augmented(self.net, trace, probe, keep_graph=torch.is_grad_enabled())
        z0, delta = self._solve(func, (x, torch.zeros(len(x), dtype=x.dtype)), t, 0.0)
        return standard_normal_log_prob(z0) - delta

    @torch.no_grad()
    def sample(self, n: int, *, generator=None) -> torch.Tensor:
        """n samples of p_T: z(0) ~ N(0, I) moved forward to t = T. Returns (n, D)."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        z0 = torch.randn(n, self.dim, generator=generator)
        return self._solve(self.velocity, z0, 0.0, self.T)

    @torch.no_grad()
    def trajectory(self, x0, times) -> torch.Tensor:
        """Points x0 (N, D) taken as z(times[0]) and moved along the flow: (len(times), N, D)."""
        x0 = self._check_points(x0, "x0")
        times = as_tensor(times, "times", dtype=torch.float32)
        check_ndim(times, "times", 1, "(K,) increasing times in [0, T]")
        if len(times) < 2 or not (times[1:] > times[:-1]).all():
            raise ValueError("times must hold at least 2 strictly increasing values")
        opts = dict(step_size=self.T / self.steps)
        return odeint(self.velocity, x0, times, method="rk4", options=opts)

    def log_density_on_grid(self, times, grid) -> torch.Tensor:
        """log p_t(y) at every time t of ``times`` and point y of ``grid`` (G, D): (K, G).

        All K·G points are solved in one batch from their own t back to 0 with the exact
        trace: ``steps`` RK4 steps of ``odes.rk4_step`` with one step size per row (-t/steps).
        """
        grid = self._check_points(grid, "grid")
        times = as_tensor(times, "times", dtype=grid.dtype)
        check_ndim(times, "times", 1, "(K,) times in [0, T]")
        check_finite(times, "times")
        K, G, D = len(times), len(grid), self.dim
        t = times.repeat_interleave(G)[:, None]  # (K·G, 1): each row's own start time
        dt = -t / self.steps

        def augmented(s, state):  # state (K·G, D + 1) = [z, Δ]
            z = state[:, :D].detach().requires_grad_(True)
            with torch.enable_grad():
                f = self.net(s, z)
                div = divergence_exact(f, z, create_graph=False)
            return torch.cat([f.detach(), -div.detach()[:, None]], dim=1)

        state = torch.cat([grid.repeat(K, 1), torch.zeros(K * G, 1, dtype=grid.dtype)], 1)
        with torch.no_grad():
            for k in range(self.steps):
                state = odes.rk4_step(augmented, t + k * dt, state, dt)
        out = standard_normal_log_prob(state[:, :D]) - state[:, D]
        return out.reshape(K, G)


def nll(model: CNF, x, *, trace: str = "exact", generator=None) -> torch.Tensor:
    """Mean negative log-likelihood (nats per sample) of x (N, D) under the model."""
    return -model.log_prob(x, trace=trace, generator=generator).mean()


def train_cnf(
    model: CNF,
    x,
    *,
    iterations: int = 1000,
    batch: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    trace: str | None = None,
    callback=None,
    max_seconds: float | None = None,
) -> list[float]:
    """Fit ``model`` to data x (M, D) by maximum likelihood with Adam; returns the losses.

    Each iteration draws ``batch`` rows of x (seeded) and one Hutchinson probe per row when
    trace = "hutchinson". ``callback(it, loss)`` is called after every step (progress bars);
    ``max_seconds`` stops early (benchmarks).
    """
    x = model._check_points(x, "x")
    for name, value in (("iterations", iterations), ("batch", batch)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    check_positive(lr, "lr")
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iterations, eta_min=lr / 10)
    losses, start = [], time.perf_counter()
    for it in range(iterations):
        idx = torch.randint(len(x), (batch,), generator=g)
        loss = nll(model, x[idx], trace=trace or model.trace, generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if callback is not None:
            callback(it, losses[-1])
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    return losses


# ------------------------------------------------------------------------------ checkpoints
RECIPES = {  # toy -> training settings: Hutchinson's estimator (FFJORD), 6 RK4 steps
    "8gaussians": dict(iterations=1200, batch=256, lr=3e-3),
    "moons": dict(iterations=800, batch=256, lr=3e-3),
    "checkerboard": dict(iterations=1500, batch=256, lr=3e-3),
}


def _progress(it: int, loss: float) -> None:
    if (it + 1) % 100 == 0:
        print(f"iteration {it + 1}: NLL {loss:.3f}", flush=True)


def _recipe(toy: str):
    def make() -> dict:
        torch.manual_seed(0)
        model = CNF(2, hidden=64, n_layers=3, T=1.0, steps=6, trace="hutchinson")
        x = sample_toy(toy, 50_000, seed=1)
        start = time.perf_counter()
        losses = train_cnf(model, x, seed=0, callback=_progress, **RECIPES[toy])
        seconds = time.perf_counter() - start
        with torch.no_grad():
            test = float(nll(model, sample_toy(toy, 5000, seed=2), trace="exact"))
        return {
            "state": model.state_dict(),
            "config": {k: v for k, v in model.config().items()},
            "toy": toy,
            "test_nll": test,
            "train_nll_last100": sum(losses[-100:]) / 100,
            "train_seconds": seconds,
        }

    make.__qualname__ = f"recipe_{toy}"
    return make


CHECKPOINTS = {toy: _recipe(toy) for toy in RECIPES}


def load_cnf(toy: str) -> tuple[CNF, dict]:
    """The stored trained CNF for ``toy`` and its checkpoint (test NLL, training time)."""
    from . import checkpoints

    if toy not in CHECKPOINTS:
        raise ValueError(f"toy must be one of {sorted(CHECKPOINTS)}, got {toy!r}")
    ckpt = checkpoints.load(f"cnf.{toy}")
    model = CNF(**ckpt["config"])
    model.load_state_dict(ckpt["state"])
    model.eval()
    return model, ckpt
