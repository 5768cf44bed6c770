"""Bayes by backprop and Bayesian HyperMAML with a Gaussian posterior (chapter 6).

Variational inference replaces the intractable posterior p(w | D) by a mean-field Gaussian
q_φ(w) = Π_j N(w_j; μ_j, σ_j²) with σ = softplus(ρ) = log(1 + e^ρ) > 0, and maximises

    ELBO(φ) = E_q[log p(D | w)] - KL(q_φ(w) ‖ p(w))  <=  log p(D)       [Blundell et al., 2015]

The expectation is estimated with the reparameterisation w = μ + softplus(ρ) ⊙ ε,
ε ~ N(0, I): its gradient is E_ε[∂f/∂w] wrt μ and E_ε[∂f/∂w ⊙ ε ⊙ sigmoid(ρ)] wrt ρ, so
autograd through the sample gives an unbiased, low-variance estimate. For a Gaussian prior
N(0, s²) the KL is closed form, per weight:

    KL(N(μ, σ²) ‖ N(0, s²)) = log(s / σ) + (σ² + μ²) / (2 s²) - 1/2.

The predictive distribution p(y | x, D) ≈ (1/S) Σ_s p(y | x, w_s), w_s ~ q, gives a mean and
an uncertainty band (mean ± 2 std over the sampled networks).

Bayesian HyperMAML (Gaussian): the hypernetwork outputs the mean *and* the scale of the
update, θ'_i ~ N(θ - μ(S_i), diag σ(S_i)²), trained on E_q[L_Q(θ'_i)] + γ KL(q ‖ N(0, I)).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import meta
from ._validate import as_tensor, check_finite, check_ndim, check_positive

__all__ = [
    "BayesHyperMAML",
    "BayesLinear",
    "BayesMLP",
    "CHECKPOINTS",
    "bayes_hypermaml_loss",
    "elbo",
    "gaussian_kl",
    "hyper_predictive",
    "load_bayes_hypermaml",
    "predictive",
    "reparameterise",
    "softplus_inverse",
    "train_bnn",
]


def softplus_inverse(sigma) -> torch.Tensor:
    """ρ with softplus(ρ) = σ, i.e. ρ = log(e^σ - 1) (for initialising a scale)."""
    sigma = as_tensor(sigma, "sigma")
    if (sigma <= 0).any():
        raise ValueError("sigma must be > 0 everywhere (a standard deviation)")
    return sigma + torch.log(-torch.expm1(-sigma))  # stable log(e^σ - 1)


def reparameterise(mu: torch.Tensor, rho: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """w = μ + softplus(ρ) ⊙ ε: a sample of N(μ, softplus(ρ)²) that is differentiable in μ, ρ."""
    if not (mu.shape == rho.shape == eps.shape):
        raise ValueError(
            f"mu, rho and eps must have the same shape, got {tuple(mu.shape)}, "
            f"{tuple(rho.shape)}, {tuple(eps.shape)}"
        )
    return mu + F.softplus(rho) * eps


def gaussian_kl(mu: torch.Tensor, sigma: torch.Tensor, prior_std: float = 1.0) -> torch.Tensor:
    """Σ_j KL(N(μ_j, σ_j²) ‖ N(0, s²)) = Σ_j [log(s/σ_j) + (σ_j² + μ_j²)/(2 s²) - 1/2].

    mu, sigma: same shape (any); sums over all entries (over the last dims for a batch is up
    to the caller: pass slices). Returns a scalar.
    """
    s = check_positive(prior_std, "prior_std")
    if mu.shape != sigma.shape:
        raise ValueError(
            f"mu and sigma must have the same shape, got {tuple(mu.shape)}, {tuple(sigma.shape)}"
        )
    if (sigma <= 0).any():
        raise ValueError("sigma must be > 0 (use softplus(rho) for a free parameter)")
    return _kl_terms(mu, sigma, s).sum()


def _kl_terms(mu: torch.Tensor, sigma: torch.Tensor, s: float) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, s²)) entry by entry (no checks: the inner loop's version)."""
    return math.log(s) - torch.log(sigma) + (sigma**2 + mu**2) / (2 * s**2) - 0.5


class BayesLinear(nn.Module):
    """y = x Wᵀ + b with W, b ~ q = N(μ, softplus(ρ)²) (mean field), prior N(0, prior_std²).

    forward(x) draws one weight sample per call (reparameterised; pass ``generator`` for
    reproducibility); ``sample=False`` uses the means. x (..., in) -> (..., out).
    """

    def __init__(self, d_in: int, d_out: int, *, prior_std: float = 1.0, init_std: float = 1e-3):
        super().__init__()
        self.prior_std = check_positive(prior_std, "prior_std")
        bound = 1 / math.sqrt(d_in)  # nn.Linear's init for the means
        self.weight_mu = nn.Parameter(torch.empty(d_out, d_in).uniform_(-bound, bound))
        self.bias_mu = nn.Parameter(torch.empty(d_out).uniform_(-bound, bound))
        rho = float(softplus_inverse(torch.tensor(check_positive(init_std, "init_std"))))
        self.weight_rho = nn.Parameter(torch.full((d_out, d_in), rho))
        self.bias_rho = nn.Parameter(torch.full((d_out,), rho))

    def sample_weights(self, generator: torch.Generator | None = None):
        """(W, b) = (μ_W + σ_W ε_W, μ_b + σ_b ε_b), ε ~ N(0, I)."""
        eps_w = torch.randn(self.weight_mu.shape, generator=generator)
        eps_b = torch.randn(self.bias_mu.shape, generator=generator)
        return (
            reparameterise(self.weight_mu, self.weight_rho, eps_w),
            reparameterise(self.bias_mu, self.bias_rho, eps_b),
        )

    def forward(
        self, x: torch.Tensor, *, sample: bool = True, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        if sample:
            w, b = self.sample_weights(generator)
        else:
            w, b = self.weight_mu, self.bias_mu
        return F.linear(x, w, b)

    def kl(self) -> torch.Tensor:
        """KL(q(W, b) ‖ p(W, b)) in closed form (a scalar)."""
        return gaussian_kl(
            self.weight_mu, F.softplus(self.weight_rho), self.prior_std
        ) + gaussian_kl(self.bias_mu, F.softplus(self.bias_rho), self.prior_std)


class BayesMLP(nn.Module):
    """1 -> hidden -> hidden -> 1 ReLU network of BayesLinear layers (a regression BNN).

    ReLU (not tanh): far from the data the sampled networks extrapolate along lines of
    uncertain slope, so the band widens there instead of saturating.
    """

    def __init__(self, hidden: int = 32, *, prior_std: float = 1.0, seed: int = 0):
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # seeded, global random state untouched
            torch.manual_seed(seed)
            self.layers = nn.ModuleList(
                [
                    BayesLinear(1, hidden, prior_std=prior_std),
                    BayesLinear(hidden, hidden, prior_std=prior_std),
                    BayesLinear(hidden, 1, prior_std=prior_std),
                ]
            )

    def forward(self, x, *, sample: bool = True, generator: torch.Generator | None = None):
        for i, layer in enumerate(self.layers):
            x = layer(x, sample=sample, generator=generator)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x

    def kl(self) -> torch.Tensor:
        return sum(layer.kl() for layer in self.layers)


def _check_xy(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = as_tensor(x, "x", dtype=torch.float32), as_tensor(y, "y", dtype=torch.float32)
    check_ndim(x, "x", 2, "(N, 1)")
    if y.shape != x.shape:
        raise ValueError(f"y must have the shape of x {tuple(x.shape)}, got {tuple(y.shape)}")
    check_finite(x, "x")
    check_finite(y, "y")
    return x, y


def elbo(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    noise_std: float = 0.1,
    n_samples: int = 1,
    kl_weight: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """ELBO = E_q[Σ_n log N(y_n; f_w(x_n), noise_std²)] - kl_weight · KL(q ‖ p), Monte Carlo.

    x, y: the whole data set (N, 1); ``n_samples`` weight samples estimate the expectation.
    Returns a scalar (maximise it, i.e. minimise -elbo).
    """
    x, y = _check_xy(x, y)
    s = check_positive(noise_std, "noise_std")
    log_lik = 0.0
    for _ in range(n_samples):
        pred = model(x, generator=generator)
        log_lik = (
            log_lik
            + (-0.5 * ((y - pred) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)).sum()
        )
    return log_lik / n_samples - kl_weight * model.kl()


@torch.no_grad()
def predictive(
    model: nn.Module, x: torch.Tensor, *, n_samples: int = 100, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std over ``n_samples`` sampled networks at x (N, 1): each (N, 1).

    The band mean ± 2 std is the model's (epistemic) uncertainty about f(x).
    """
    g = torch.Generator().manual_seed(seed)
    preds = torch.stack([model(x, generator=g) for _ in range(n_samples)])  # (S, N, 1)
    return preds.mean(0), preds.std(0)


def train_bnn(
    x,
    y,
    *,
    n_iter: int = 800,
    hidden: int = 32,
    noise_std: float = 0.1,
    prior_std: float = 1.0,
    lr: float = 2e-2,
    seed: int = 0,
    progress: bool = False,
) -> tuple[BayesMLP, list[float]]:
    """Fit a BayesMLP by maximising the ELBO with Adam (one weight sample per step)."""
    x, y = _check_xy(x, y)
    model = BayesMLP(hidden, prior_std=prior_std, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed + 1)
    history = []
    for _ in meta._progress(n_iter, "Bayes by backprop", progress):
        opt.zero_grad(set_to_none=True)
        loss = -elbo(model, x, y, noise_std=noise_std, generator=g)
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return model, history


# ---------------------------------------------------------------- Bayesian HyperMAML (Gaussian)
class BayesHyperMAML(meta.HyperMAML):
    """HyperMAML whose hypernetwork outputs a Gaussian over the adapted output layer.

    H(S_i) -> (μ_i, ρ_i) for each head weight; θ'_i = θ - μ_i + softplus(ρ_i) ⊙ ε. The body
    (hidden layers) stays the universal θ. ``adapted_params(..., n_samples)`` returns weights
    with a leading (S·T) dimension: S samples for each of the T tasks (sample-major).
    """

    def __init__(self, hidden: int = 40, hyper_hidden: int = 64, seed: int = 0):
        super().__init__(hidden, hyper_hidden, seed)
        shapes = {}
        for k in meta.HEAD:
            shape = tuple(dict(self.net.named_parameters())[k].shape)
            shapes[k], shapes[k + ".rho"] = shape, shape
        self.hyper = meta.Hypernetwork(hidden + 2, shapes, hyper_hidden)
        with torch.no_grad():  # start with a small posterior scale: softplus(-4) ≈ 0.018
            self.hyper.head.bias.view(-1)[self._rho_slice()] = -4.0

    def _rho_slice(self) -> torch.Tensor:
        idx, start = [], 0
        for k, size in zip(self.hyper.shapes, self.hyper.sizes, strict=True):
            if k.endswith(".rho"):
                idx.append(torch.arange(start, start + size))
            start += size
        return torch.cat(idx)

    def posterior(self, x_s: torch.Tensor, y_s: torch.Tensor):
        """Per task: head means θ_head - μ(S) and scales σ(S), dicts of (T, *shape)."""
        x_s, y_s = meta._check_task(x_s, y_s, "support")
        if x_s.ndim == 2:
            x_s, y_s = x_s[None], y_s[None]
        out = self.hyper(self.support_inputs(x_s, y_s))
        theta = dict(self.net.named_parameters())
        mean = {k: theta[k] - out[k] for k in meta.HEAD}
        scale = {k: F.softplus(out[k + ".rho"]) for k in meta.HEAD}
        return mean, scale

    def adapted_params(self, x_s, y_s, n_samples: int = 1, generator=None):
        mean, scale = self.posterior(x_s, y_s)
        T = len(next(iter(mean.values())))
        params = {}
        for k, v in self.net.named_parameters():
            if k in mean:
                eps = torch.randn((n_samples, *mean[k].shape), generator=generator)
                params[k] = (mean[k] + scale[k] * eps).flatten(0, 1)  # (S*T, ...)
            else:
                params[k] = v.expand(n_samples * T, *v.shape)
        return params

    def forward(self, x_s, y_s, x_q, n_samples: int = 1, generator=None):
        """Sampled predictions (S, T, M, 1) at x_q (T, M, 1)."""
        if x_q.ndim == 2:
            x_q = x_q[None]
        params = self.adapted_params(x_s, y_s, n_samples, generator)
        xq = x_q.expand(n_samples, *x_q.shape).flatten(0, 1)  # (S*T, M, 1)
        return meta.predict(params, xq).unflatten(0, (n_samples, len(x_q)))

    def kl(self, x_s, y_s) -> torch.Tensor:
        """KL(q(θ'_head | S_i) ‖ N(0, I)) per task (T,) in closed form."""
        mean, scale = self.posterior(x_s, y_s)
        return sum(_kl_terms(mean[k], scale[k], 1.0).flatten(1).sum(1) for k in meta.HEAD)


def bayes_hypermaml_loss(
    model: BayesHyperMAML, tasks: meta.Tasks, *, kl_weight: float = 1e-3, n_samples: int = 2
) -> torch.Tensor:
    """(1/T) Σ_i [E_q L_Q_i(θ'_i) + γ KL(q(θ'_i | S_i) ‖ N(0, I))], Monte Carlo over θ'_i."""
    pred = model(tasks.x_support, tasks.y_support, tasks.x_query, n_samples)  # (S, T, M, 1)
    fit = meta.mse(pred, tasks.y_query).mean()
    return fit + kl_weight * model.kl(tasks.x_support, tasks.y_support).mean()


@torch.no_grad()
def hyper_predictive(model: BayesHyperMAML, x_s, y_s, x_q, *, n_samples: int = 50, seed: int = 0):
    """Mean and std (T, M, 1) of the sampled adapted networks' predictions at x_q."""
    g = torch.Generator().manual_seed(seed)
    preds = model(x_s, y_s, x_q, n_samples, g)
    return preds.mean(0), preds.std(0)


def _bayes_hypermaml_recipe(n_iter: int = 8000) -> dict:
    model, _ = meta.train_hypermaml(
        (1, 10), n_iter, seed=0, model=BayesHyperMAML(seed=0), loss_fn=bayes_hypermaml_loss
    )
    return {f"param.{k}": v.detach() for k, v in model.state_dict().items()} | {"n_iter": n_iter}


CHECKPOINTS = {"hypermaml_gauss": _bayes_hypermaml_recipe}


def load_bayes_hypermaml() -> BayesHyperMAML:
    """The stored Bayesian HyperMAML model (trained with K from 1 to 10)."""
    from . import checkpoints

    model = BayesHyperMAML()
    model.load_state_dict(meta._params_of(checkpoints.load("bayes.hypermaml_gauss")))
    return model.eval()
