"""Hidden graded checks for ``ch06_meta_learning`` (never copied to ``exercises/``).

Each ``@check`` receives the executed notebook's namespace ``nb`` and compares the
student's function with an independent reference: ``torch.optim.SGD`` on an
``nn.Sequential`` with copied weights, ``torch.func.grad``, ``torch.distributions``
(``Normal.icdf`` for the sample, ``kl_divergence`` for the KL) and the closed-form
meta-gradient of a quadratic task. Every check uses its own seeded data and explicit
tolerances.
"""

import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from course_grader.checks import check

F64 = torch.float64


def _params(hidden: int, seed: int) -> dict:
    gen = torch.Generator().manual_seed(seed)
    shapes = {"w1": (hidden, 1), "b1": (hidden,), "w2": (1, hidden), "b2": (1,)}
    return {k: torch.randn(s, generator=gen, dtype=F64) for k, s in shapes.items()}


def _task(n: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=gen, dtype=F64) * 10 - 5
    return x, 2.0 * torch.sin(x - 0.5)


def _as_tensors(result, keys) -> dict:
    if not isinstance(result, dict) or set(result) != set(keys):
        raise AssertionError(f"inner_step must return a dict with keys {sorted(keys)}")
    return {k: torch.as_tensor(result[k], dtype=F64).detach() for k in keys}


# ------------------------------------------------------------- Q1: MAML inner step (3 points)


@check(
    "q1_inner_step",
    points=2,
    message="inner_step(params, x, y, lr) differs from one torch.optim.SGD step on an "
    "nn.Sequential with the same weights (loss: mean squared error).",
)
def inner_step_matches_sgd(nb):
    for hidden, n, lr, seed in ((6, 8, 0.05, 1), (3, 2, 0.3, 2)):
        params = _params(hidden, seed)
        x, y = _task(n, seed + 10)
        net = torch.nn.Sequential(
            torch.nn.Linear(1, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1)
        ).double()
        with torch.no_grad():
            net[0].weight.copy_(params["w1"])
            net[0].bias.copy_(params["b1"])
            net[2].weight.copy_(params["w2"])
            net[2].bias.copy_(params["b2"])
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        F.mse_loss(net(x), y).backward()
        opt.step()
        want = {"w1": net[0].weight, "b1": net[0].bias, "w2": net[2].weight, "b2": net[2].bias}
        got = _as_tensors(nb.inner_step(params, x, y, lr), want)
        for k in want:
            err = float((got[k] - want[k].detach()).abs().max())
            assert err < 1e-10, f"hidden {hidden}, lr {lr}: {k} off by {err:.3g}"


@check(
    "q1_inner_step",
    points=1,
    message="inner_step is not θ - lr ∇L(θ) for the functional network mlp (compared with "
    "torch.func.grad) on a larger task.",
)
def inner_step_matches_torch_func(nb):
    params = _params(10, 3)
    x, y = _task(25, 4)

    def mlp(p, x):
        return torch.tanh(x @ p["w1"].T + p["b1"]) @ p["w2"].T + p["b2"]

    grads = torch.func.grad(lambda p: torch.mean((mlp(p, x) - y) ** 2))(params)
    got = _as_tensors(nb.inner_step(params, x, y, 0.02), params)
    for k in params:
        want = params[k] - 0.02 * grads[k]
        err = float((got[k] - want).abs().max())
        assert err < 1e-10, f"{k} off by {err:.3g}"


# ------------------------------------------- Q2: reparameterised sample and KL (3 points)


@check(
    "q2_reparameterise",
    points=1,
    message="sample_weight(mu, rho, eps) is not mu + softplus(rho) * eps (compared with the "
    "Normal(mu, softplus(rho)) quantile of eps's standard-normal probability).",
)
def sample_matches_normal_quantile(nb):
    gen = torch.Generator().manual_seed(20)
    mu = torch.randn(3, 4, generator=gen, dtype=F64)
    rho = torch.randn(3, 4, generator=gen, dtype=F64) * 3
    rho[0, 0] = 40.0  # softplus(40) = 40 (the naive log(1 + exp) is still fine here)
    eps = torch.randn(3, 4, generator=gen, dtype=F64)
    sigma = F.softplus(rho)
    want = Normal(mu, sigma).icdf(Normal(0.0, 1.0).cdf(eps))
    got = torch.as_tensor(nb.sample_weight(mu, rho, eps), dtype=F64)
    assert got.shape == want.shape, f"shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    err = float(((got - want) / sigma).abs().max())
    assert err < 1e-6, f"sample off by {err:.3g} standard deviations"


def _kl_error(nb, prior_std: float, seed: int) -> tuple[float, str]:
    """Relative error of the student's KL against torch.distributions, and a message."""
    gen = torch.Generator().manual_seed(seed)
    mu = torch.randn(5, 2, generator=gen, dtype=F64)
    rho = torch.randn(5, 2, generator=gen, dtype=F64)
    want = float(kl_divergence(Normal(mu, F.softplus(rho)), Normal(0.0, prior_std)).sum())
    got = float(nb.gaussian_kl(mu, rho, prior_std))
    err = abs(got - want) / max(1.0, abs(want))
    return err, f"prior_std {prior_std}: gaussian_kl = {got:.10g}, torch.distributions {want:.10g}"


@check(
    "q2_reparameterise",
    points=1,
    message="gaussian_kl(mu, rho, 1.0) disagrees with torch.distributions.kl_divergence "
    "(summed over entries) for the standard normal prior.",
)
def kl_standard_prior(nb):
    err, text = _kl_error(nb, 1.0, 21)
    assert err < 1e-9, text


@check(
    "q2_reparameterise",
    points=1,
    message="gaussian_kl(mu, rho, prior_std) disagrees with torch.distributions.kl_divergence "
    "for a prior N(0, s²) with s ≠ 1.",
)
def kl_other_prior(nb):
    for prior_std, seed in ((0.5, 22), (2.5, 23)):
        err, text = _kl_error(nb, prior_std, seed)
        assert err < 1e-9, text


# -------------------------------------------------- Q3: meta-gradients (3 points)


def _quadratic(seed: int, d: int = 4):
    gen = torch.Generator().manual_seed(seed)
    m1, m2 = (
        torch.randn(d, d, generator=gen, dtype=F64),
        torch.randn(d, d, generator=gen, dtype=F64),
    )
    A = m1 @ m1.T / d + 0.5 * torch.eye(d, dtype=F64)
    B = m2 @ m2.T / d + 0.5 * torch.eye(d, dtype=F64)
    a, b, theta = (torch.randn(d, generator=gen, dtype=F64) for _ in range(3))
    return theta, A, a, B, b


@check(
    "q3_meta_gradient",
    points=2,
    message="meta_gradient(..., first_order=False) is not (I - αA) B (θ' - b) with "
    "θ' = θ - αA(θ - a) on random quadratic tasks.",
)
def second_order_matches_closed_form(nb):
    for seed, alpha in ((30, 0.3), (31, 0.05)):
        theta, A, a, B, b = _quadratic(seed)
        adapted = theta - alpha * A @ (theta - a)
        want = (torch.eye(len(theta), dtype=F64) - alpha * A) @ B @ (adapted - b)
        got = torch.as_tensor(nb.meta_gradient(theta, A, a, B, b, alpha, False), dtype=F64)
        err = float((got - want).abs().max())
        assert err < 1e-10, f"alpha {alpha}: off by {err:.3g}"


@check(
    "q3_meta_gradient",
    points=1,
    message="meta_gradient(..., first_order=True) is not B (θ' - b), the query gradient at "
    "the adapted θ'.",
)
def first_order_is_query_gradient_at_adapted(nb):
    theta, A, a, B, b = _quadratic(32)
    adapted = theta - 0.3 * A @ (theta - a)
    want = B @ (adapted - b)
    got = torch.as_tensor(nb.meta_gradient(theta, A, a, B, b, 0.3, True), dtype=F64)
    err = float((got - want).abs().max())
    assert err < 1e-10, f"off by {err:.3g}"
