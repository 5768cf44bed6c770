"""Hidden graded checks for ``ch04_autoencoders`` (never copied to ``exercises/``).

Each ``@check`` receives the executed notebook's namespace ``nb`` and compares the
student's function with an independent reference: ``torch.distributions`` (Normal,
Bernoulli, kl_divergence), autograd Jacobians, brute-force loops and Monte Carlo.
Every check uses its own seeded data and explicit tolerances.
Run by ``python -m course_grader grade NOTEBOOK`` (see ``course_grader.run``).
"""

import math

import numpy as np
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from course_grader.checks import check

F64 = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _num(value) -> np.ndarray:
    """The student's tensor as a float64 numpy array (detached, on CPU)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


# ------------------------------------------------- Q1: reparameterisation and KL (3 points)


@check(
    "q1_vae_pieces",
    points=1,
    message="reparameterize(mu, log_var, eps) is not Normal(mu, exp(log_var / 2)).rsample() "
    "for the same standard-normal noise eps.",
)
def reparameterize_matches_rsample(nb):
    g = _gen(401)
    mu = torch.randn(5, 3, generator=g, dtype=F64)
    log_var = torch.randn(5, 3, generator=g, dtype=F64)
    torch.manual_seed(402)
    eps = torch.randn(5, 3, dtype=F64)
    torch.manual_seed(402)  # rsample draws the same standard normals from the global stream
    want = Normal(mu, torch.exp(0.5 * log_var)).rsample().numpy()
    got = _num(nb.reparameterize(mu, log_var, eps))
    assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape}"
    assert np.allclose(got, want, atol=1e-12), f"max error {np.abs(got - want).max():.3g}"


@check(
    "q1_vae_pieces",
    points=1,
    message="gaussian_kl(mu, log_var) disagrees with torch.distributions.kl_divergence "
    "(summed over the latent dimension, one value per row).",
)
def kl_matches_torch_distributions(nb):
    g = _gen(403)
    mu = 2 * torch.randn(6, 4, generator=g, dtype=F64)
    log_var = 2 * torch.randn(6, 4, generator=g, dtype=F64)
    want = kl_divergence(
        Normal(mu, torch.exp(0.5 * log_var)), Normal(torch.zeros_like(mu), torch.ones_like(mu))
    ).sum(-1)
    got = _num(nb.gaussian_kl(mu, log_var))
    assert got.shape == (6,), f"shape {got.shape}, expected (6,): one KL per row"
    assert np.allclose(got, want.numpy(), rtol=1e-10, atol=1e-12), f"got {got}, want {want}"


@check(
    "q1_vae_pieces",
    points=1,
    message="gaussian_kl disagrees with a Monte Carlo estimate of E_q[log q(z) - log p(z)].",
)
def kl_matches_monte_carlo(nb):
    mu = torch.tensor([[0.3, -1.2]], dtype=F64)
    log_var = torch.tensor([[0.8, -0.7]], dtype=F64)
    q = Normal(mu, torch.exp(0.5 * log_var))
    eps = torch.randn(400_000, 2, generator=_gen(404), dtype=F64)
    z = mu + torch.exp(0.5 * log_var) * eps  # (S, 2) samples of q
    log_ratio = (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1)
    mc, se = float(log_ratio.mean()), float(log_ratio.std()) / math.sqrt(len(z))
    got = float(_num(nb.gaussian_kl(mu, log_var))[0])
    assert abs(got - mc) < 5 * se, f"gaussian_kl = {got:.5f}, Monte Carlo {mc:.5f} ± {se:.1g}"


# --------------------------------------------------------------- Q2: ELBO (3 points)


def _elbo_reference(x, logits, mu, log_var) -> np.ndarray:
    log_px_z = Bernoulli(logits=logits).log_prob(x).sum(-1)
    kl = kl_divergence(
        Normal(mu, torch.exp(0.5 * log_var)), Normal(torch.zeros_like(mu), torch.ones_like(mu))
    ).sum(-1)
    return (log_px_z - kl).numpy()


def _elbo_case(seed: int, b: int = 7, big: float = 3.0):
    g = _gen(seed)
    x = (torch.rand(b, 64, generator=g, dtype=F64) < 0.4).to(F64)
    logits = big * torch.randn(b, 64, generator=g, dtype=F64)
    mu = torch.randn(b, 2, generator=g, dtype=F64)
    log_var = torch.randn(b, 2, generator=g, dtype=F64)
    return x, logits, mu, log_var


@check(
    "q2_elbo",
    points=2,
    message="elbo(x, logits, mu, log_var) is not log Bernoulli(x | logits) summed over pixels "
    "minus the Gaussian KL, one value per image (compared with torch.distributions).",
)
def elbo_matches_torch_distributions(nb):
    x, logits, mu, log_var = _elbo_case(405)
    want = _elbo_reference(x, logits, mu, log_var)
    got = _num(nb.elbo(x, logits, mu, log_var))
    assert got.shape == (7,), f"shape {got.shape}, expected (7,): one ELBO per image"
    assert np.allclose(got, want, rtol=1e-9, atol=1e-9), f"got {got[:3]}, want {want[:3]}"


@check(
    "q2_elbo",
    points=1,
    message="elbo is not finite (or wrong) for confident logits like ±200: compute the log "
    "likelihood from logits stably (binary_cross_entropy_with_logits).",
)
def elbo_is_stable_for_large_logits(nb):
    x, logits, mu, log_var = _elbo_case(406, big=1.0)
    logits = 200.0 * torch.sign(logits)  # confident, sometimes confidently wrong
    want = _elbo_reference(x, logits, mu, log_var)
    got = _num(nb.elbo(x, logits, mu, log_var))
    assert np.isfinite(got).all(), f"non-finite ELBO values: {got}"
    assert np.allclose(got, want, rtol=1e-9), f"got {got[:3]}, want {want[:3]}"


# ---------------------------------------------------------- Q3: Hopfield (4 points)


def _patterns(seed: int, p: int, n: int) -> torch.Tensor:
    u = torch.rand(p, n, generator=_gen(seed), dtype=F64)
    return torch.where(u < 0.5, -1.0, 1.0).to(F64)


@check(
    "q3_hopfield",
    points=2,
    message="hebbian_weights(patterns) is not (1/n) Σ_μ ξ^μ ξ^μᵀ with a zero diagonal "
    "(compared with a double loop).",
)
def weights_match_a_loop(nb):
    xi = _patterns(407, 3, 12)
    p, n = xi.shape
    want = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                want[i, j] = sum(float(xi[m, i] * xi[m, j]) for m in range(p)) / n
    got = _num(nb.hebbian_weights(xi))
    assert got.shape == (n, n), f"shape {got.shape}, expected {(n, n)}"
    assert np.allclose(got, want, atol=1e-12), f"max error {np.abs(got - want).max():.3g}"


@check(
    "q3_hopfield",
    points=1,
    message="recall_step(W, s) is not the synchronous update sign(W s) with ties keeping the "
    "old state (compared unit by unit).",
)
def recall_step_matches_a_loop(nb):
    g = _gen(408)
    n = 10
    w = torch.randint(-2, 3, (n, n), generator=g).to(F64)
    w = (w + w.T).fill_diagonal_(0.0)  # integer weights: some inputs are exactly 0 (ties)
    for trial in range(5):
        s = _patterns(409 + trial, 1, n)[0]
        want = s.clone()
        for i in range(n):
            h = sum(float(w[i, j] * s[j]) for j in range(n))
            want[i] = 1.0 if h > 0 else (-1.0 if h < 0 else float(s[i]))
        got = _num(nb.recall_step(w, s))
        assert np.array_equal(got, want.numpy()), f"trial {trial}: got {got}, want {want.numpy()}"


@check(
    "q3_hopfield",
    points=1,
    message="with your weights and recall step, stored patterns are not fixed points or a "
    "pattern with 10% of its units flipped is not recalled within 5 steps.",
)
def stored_patterns_are_recalled(nb):
    xi = _patterns(410, 4, 120)  # 4 random patterns in 120 units: well below capacity
    w = nb.hebbian_weights(xi)
    for m in range(4):
        assert np.array_equal(_num(nb.recall_step(w, xi[m])), xi[m].numpy()), (
            f"pattern {m} is not a fixed point"
        )
        s = xi[m].clone()
        s[torch.randperm(120, generator=_gen(411 + m))[:12]] *= -1
        for _ in range(5):
            s = torch.as_tensor(_num(nb.recall_step(w, s)), dtype=F64)
        assert torch.equal(s, xi[m]), f"pattern {m}: {int((s != xi[m]).sum())} units still wrong"


# -------------------------------------------------- Q4: contractive penalty (2 points)


@check(
    "q4_contractive",
    points=2,
    message="contractive_penalty(W, b, x) is not the squared Frobenius norm of the Jacobian of "
    "tanh(W x + b) (compared with torch.autograd.functional.jacobian).",
)
def penalty_matches_autograd_jacobian(nb):
    g = _gen(412)
    d, dim = 3, 5
    w = torch.randn(d, dim, generator=g, dtype=F64)
    b = torch.randn(d, generator=g, dtype=F64)
    x = torch.randn(4, dim, generator=g, dtype=F64)
    got = _num(nb.contractive_penalty(w, b, x))
    assert got.shape == (4,), f"shape {got.shape}, expected (4,): one penalty per row"
    for i in range(4):
        jac = torch.autograd.functional.jacobian(lambda v: torch.tanh(w @ v + b), x[i])  # (d, D)
        want = float(jac.pow(2).sum())
        assert abs(got[i] - want) < 1e-10 * max(1.0, want), f"row {i}: got {got[i]}, want {want}"
