"""Autoencoders: plain, regularised, variational and Wasserstein (chapter 4).

An autoencoder composes an encoder f: X -> Z and a decoder g: Z -> X and is trained to
reconstruct its input, x ≈ g(f(x)), through a latent space Z that cannot simply copy x.
Everything here works on flat batches x (B, D) (the 8x8 digits: D = 64) and latents z (B, d).

* ``Autoencoder``: deterministic f and g (MLPs, or linear maps: with squared error a linear
  AE learns the PCA subspace). Regularisers, each added to the reconstruction error:
  ``l1_penalty`` (sparse codes, λ Σ_j |z_j|), ``kl_sparsity`` (sigmoid codes with mean
  activation ρ), ``contractive_penalty`` (λ ||∂f/∂x||_F²), and ``corrupt`` for the denoising
  AE, which reconstructs x from a damaged copy x̃.
* ``VAE`` [Kingma & Welling, 2014]: the encoder outputs q(z|x) = N(μ(x), diag σ²(x)), the
  decoder a Bernoulli p(x|z) per pixel, the prior is p(z) = N(0, I). Training maximises the
  evidence lower bound

      ELBO(x) = E_q log p(x|z) - KL(q(z|x) ‖ p(z)) = log p(x) - KL(q(z|x) ‖ p(z|x)) <= log p(x),

  with z = μ + σ ⊙ ε, ε ~ N(0, I) (``reparameterize``) so gradients reach μ and σ, and the KL
  term in closed form (``gaussian_kl``). ``iwae_bound`` averages k importance weights inside
  the log: a tighter bound that tends to log p(x) as k grows [Burda et al., 2016].
* WAE-MMD [Tolstikhin et al., 2018]: a deterministic AE whose codes, as a whole batch, are
  pulled towards samples of p(z) by the MMD of ``course_lib.divergences.mmd2``.

Training: every variant is an *objective* ``loss(model, x, generator, **options) -> scalar``
in the registry ``OBJECTIVES``; ``fit(model, x, objective)`` runs seeded Adam on minibatches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from . import divergences
from ._registry import Registry
from ._validate import as_tensor, check_finite, check_ndim, check_positive

__all__ = [
    "OBJECTIVES",
    "VAE",
    "Autoencoder",
    "bernoulli_log_likelihood",
    "binarize",
    "contractive_penalty",
    "corrupt",
    "elbo",
    "elbo_terms",
    "fit",
    "fit_full_batch",
    "from_checkpoint",
    "gaussian_kl",
    "gaussian_log_prob",
    "iwae_bound",
    "kl_sparsity",
    "l1_penalty",
    "mlp",
    "reconstruction_error",
    "register_objective",
    "reparameterize",
    "train_autoencoder",
    "train_vae",
    "wae_penalty",
]

LOG_2PI = math.log(2 * math.pi)


def binarize(x, threshold: float = 0.5) -> torch.Tensor:
    """Pixels in [0, 1] -> {0., 1.} by x >= threshold (the digits' 8/16 = 0.5). Same shape."""
    x = as_tensor(x, "x")
    check_finite(x, "x")
    return (x >= threshold).to(x.dtype)


def _batch(x, name: str = "x", dim: int | None = None) -> torch.Tensor:
    x = as_tensor(x, name)
    check_ndim(x, name, 2, "(B, D): a batch of flat vectors (reshape images with x.flatten(1))")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns to match the model, got {x.shape[1]}")
    check_finite(x, name)
    return x


# ------------------------------------------------------------------------------ models
def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given ``sizes`` with ``activation`` between them (none at the end)."""
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"sizes must list >= 2 positive layer widths, got {list(sizes)}")
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(int(a), int(b)))
        if k < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """x (B, D) -> z = f(x) (B, d) -> g(z) (B, D).

    hidden: widths of the encoder's hidden layers (the decoder mirrors them); ``hidden=()``
    gives a linear AE (f and g affine). code: "linear" (z unconstrained) or "sigmoid"
    (z in (0, 1), for the KL sparsity penalty). The decoder's output is used as Bernoulli
    logits (objective "ae" with kind="bce") or directly as values (kind="mse").
    """

    def __init__(
        self,
        data_dim: int = 64,
        latent_dim: int = 2,
        hidden: Sequence[int] = (256, 256),
        *,
        code: str = "linear",
    ):
        super().__init__()
        if code not in ("linear", "sigmoid"):
            raise ValueError(f"code must be 'linear' or 'sigmoid', got {code!r}")
        self.data_dim, self.latent_dim = int(data_dim), int(latent_dim)
        self.encoder = mlp([data_dim, *hidden, latent_dim])
        if code == "sigmoid":
            self.encoder.append(nn.Sigmoid())
        self.decoder = mlp([latent_dim, *reversed(hidden), data_dim])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (B, d)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class VAE(nn.Module):
    """Gaussian encoder q(z|x) = N(μ, diag exp(log_var)), Bernoulli decoder p(x|z) = Bern(σ(g(z))).

    The encoder MLP has 2d outputs: (μ, log σ²), both (B, d) (log σ² keeps σ > 0 for free).
    ``decode`` returns the Bernoulli logits (B, D); σ(logits) are the pixel means.
    """

    def __init__(self, data_dim: int = 64, latent_dim: int = 2, hidden: Sequence[int] = (256, 256)):
        super().__init__()
        self.data_dim, self.latent_dim = int(data_dim), int(latent_dim)
        self.encoder = mlp([data_dim, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim, *reversed(hidden), data_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.encoder(x).chunk(2, dim=-1)  # (B, 2d) -> 2 x (B, d)
        return mu, log_var

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, D) logits

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """-> (logits (B, D), mu (B, d), log_var (B, d)) for one reparameterised z per x."""
        mu, log_var = self.encode(x)
        return self.decode(reparameterize(mu, log_var, generator=generator)), mu, log_var


# ------------------------------------------------------------ reconstruction and penalties
def reconstruction_error(output, x, *, kind: str = "bce") -> torch.Tensor:
    """Per-example error summed over the D pixels -> (B,).

    kind="bce": output are logits, Σ_i BCE(σ(output_i), x_i) = -log Bern(x | σ(output)) in nats;
    kind="mse": output are values, Σ_i (output_i - x_i)².
    """
    output, x = torch.broadcast_tensors(output, x)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(output, x, reduction="none").sum(-1)
    if kind == "mse":
        return (output - x).pow(2).sum(-1)
    raise ValueError(f"kind must be 'bce' or 'mse', got {kind!r}")


def l1_penalty(z) -> torch.Tensor:
    """Σ_j |z_j| per example: pushes most code entries to exactly 0. z: (B, d) -> (B,)."""
    return as_tensor(z, "z").abs().sum(-1)


def kl_sparsity(h, rho: float = 0.05) -> torch.Tensor:
    """Σ_j KL(Bern(ρ) ‖ Bern(ρ̂_j)), ρ̂_j = mean activation of unit j over the batch. -> scalar.

    h: (B, d) activations in (0, 1) (sigmoid codes). Zero iff every unit is on with
    frequency ρ on average, so a small ρ asks each unit to fire rarely.
    """
    h = as_tensor(h, "h")
    if not 0.0 < rho < 1.0:
        raise ValueError(f"rho must be a target activation in (0, 1), got {rho}")
    rho_hat = h.mean(0).clamp(1e-6, 1 - 1e-6)  # (d,)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def contractive_penalty(encoder, x) -> torch.Tensor:
    """||J_f(x)||_F² = Σ_jk (∂f_j/∂x_k)² per example. x: (B, D) -> (B,), differentiable.

    One backward pass per latent coordinate j (create_graph=True, so the penalty can itself be
    trained). Assumes examples do not interact inside ``encoder`` (no batch norm).
    """
    x = _batch(x).detach().requires_grad_(True)
    z = encoder(x)  # (B, d)
    penalty = torch.zeros(len(x), dtype=z.dtype)
    for j in range(z.shape[1]):
        (row,) = torch.autograd.grad(z[:, j].sum(), x, create_graph=True)  # ∂z_j/∂x, (B, D)
        penalty = penalty + row.pow(2).sum(-1)
    return penalty


def corrupt(
    x, *, kind: str = "mask", level: float = 0.3, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A damaged copy x̃ of x (B, D) for the denoising AE. Same shape.

    kind="mask": each pixel set to 0 with probability ``level`` (occlusion);
    kind="salt_pepper": each pixel replaced by a fair coin flip 0/1 with probability ``level``;
    kind="gaussian": x + level * N(0, 1), clipped to [0, 1].
    """
    x = _batch(x)
    level = check_positive(level, "level")
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        return (x + level * noise).clamp(0, 1)
    if level >= 1:
        raise ValueError(f"level must be a probability in (0, 1) for kind={kind!r}, got {level}")
    hit = torch.rand(x.shape, generator=generator, dtype=x.dtype) < level
    if kind == "mask":
        return torch.where(hit, torch.zeros_like(x), x)
    if kind == "salt_pepper":
        coin = (torch.rand(x.shape, generator=generator, dtype=x.dtype) < 0.5).to(x.dtype)
        return torch.where(hit, coin, x)
    raise ValueError(f"kind must be 'mask', 'salt_pepper' or 'gaussian', got {kind!r}")


# ------------------------------------------------------------------------------- VAE
def reparameterize(mu, log_var, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + exp(½ log σ²) ⊙ ε, ε ~ N(0, I): a sample of N(μ, diag σ²) that is differentiable
    in μ and log σ² (the randomness sits in ε only). mu, log_var: (..., d) -> (..., d)."""
    mu, log_var = as_tensor(mu, "mu"), as_tensor(log_var, "log_var")
    if mu.shape != log_var.shape:
        raise ValueError(
            f"mu and log_var must have the same shape, got {tuple(mu.shape)} and {tuple(log_var.shape)}"
        )
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(0.5 * log_var) * eps


def gaussian_kl(mu, log_var) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² - 1 - log σ_j²). (..., d) -> (...)."""
    mu, log_var = as_tensor(mu, "mu"), as_tensor(log_var, "log_var")
    if mu.shape != log_var.shape:
        raise ValueError(
            f"mu and log_var must have the same shape, got {tuple(mu.shape)} and {tuple(log_var.shape)}"
        )
    return 0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var).sum(-1)


def gaussian_log_prob(z, mu, log_var) -> torch.Tensor:
    """log N(z; μ, diag σ²) = -½ Σ_j (log 2π + log σ_j² + (z_j - μ_j)² / σ_j²). (..., d) -> (...)."""
    return -0.5 * (LOG_2PI + log_var + (z - mu).pow(2) / log_var.exp()).sum(-1)


def bernoulli_log_likelihood(logits, x) -> torch.Tensor:
    """log p(x|z) = Σ_i x_i log σ(l_i) + (1 - x_i) log(1 - σ(l_i)). (..., D) -> (...).

    logits and x broadcast against each other (e.g. (S, 1, D) decodings of S latent points
    against a batch (B, D) gives (S, B)).
    """
    logits, x = torch.broadcast_tensors(logits, x)
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def elbo_terms(model: VAE, x, *, generator: torch.Generator | None = None):
    """(log p(x|z) with one z ~ q(z|x), KL(q(z|x) ‖ p(z))), each (B,), in nats."""
    x = _batch(x, dim=model.data_dim)
    logits, mu, log_var = model(x, generator=generator)
    return bernoulli_log_likelihood(logits, x), gaussian_kl(mu, log_var)


def elbo(model: VAE, x, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """ELBO(x) = E_q log p(x|z) - KL(q(z|x) ‖ p(z)), one-sample estimate per example -> (B,).

    An unbiased estimate of a lower bound on log p(x); its negative mean is the VAE's loss.
    """
    log_px_z, kl = elbo_terms(model, x, generator=generator)
    return log_px_z - kl


@torch.no_grad()
def iwae_bound(
    model: VAE, x, k: int, *, generator: torch.Generator | None = None, chunk: int = 100
) -> torch.Tensor:
    """Importance-weighted bound L_k(x) = log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x).

    E L_1 = ELBO <= E L_k <= E L_{k+1} -> log p(x) as k -> ∞. x: (B, D) -> (B,), no gradient.
    ``chunk`` samples are decoded at a time to bound memory.
    """
    x = _batch(x, dim=model.data_dim)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer number of samples, got {k!r}")
    mu, log_var = model.encode(x)  # (B, d) each
    log_w = []
    for start in range(0, k, chunk):
        m = min(chunk, k - start)
        z = reparameterize(
            mu.expand(m, *mu.shape), log_var.expand(m, *mu.shape), generator=generator
        )
        log_px_z = bernoulli_log_likelihood(model.decode(z), x.expand(m, *x.shape))  # (m, B)
        log_pz = gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))  # (m, B)
        log_qz = gaussian_log_prob(z, mu, log_var)  # (m, B)
        log_w.append(log_px_z + log_pz - log_qz)
    return torch.logsumexp(torch.cat(log_w), dim=0) - math.log(k)


# ------------------------------------------------------------------------------- WAE
def wae_penalty(z, z_prior, *, kernel: str = "imq", bandwidth: float | None = None) -> torch.Tensor:
    """Unbiased MMD² between codes z (n, d) and prior samples z_prior (m, d) -> scalar.

    The WAE-MMD regulariser, ``divergences.mmd2`` with the heavy-tailed inverse multiquadric
    kernel; bandwidth defaults to sqrt(2 d) (the WAE paper's C = 2 d σ_z² with σ_z = 1).
    """
    z = _batch(z, "z")
    if bandwidth is None:
        bandwidth = math.sqrt(2 * z.shape[1])
    return divergences.mmd2(z, z_prior, kernel=kernel, bandwidth=bandwidth, unbiased=True)


# ---------------------------------------------------------------- objectives (losses)
OBJECTIVES = Registry("objective")
register_objective = OBJECTIVES.register  # @register_objective("name") on loss(model, x, g, **o)


@register_objective("ae")
def ae_loss(model: Autoencoder, x, generator=None, *, kind: str = "bce") -> torch.Tensor:
    """Mean reconstruction error of g(f(x)) against x."""
    return reconstruction_error(model(x), x, kind=kind).mean()


@register_objective("sparse")
def sparse_loss(
    model: Autoencoder,
    x,
    generator=None,
    *,
    weight: float = 0.1,
    rho: float | None = None,
    kind: str = "bce",
) -> torch.Tensor:
    """Reconstruction + weight · (Σ_j |z_j| if rho is None, else kl_sparsity(z, rho))."""
    z = model.encode(x)
    rec = reconstruction_error(model.decode(z), x, kind=kind).mean()
    penalty = l1_penalty(z).mean() if rho is None else kl_sparsity(z, rho)
    return rec + weight * penalty


@register_objective("contractive")
def contractive_loss(
    model: Autoencoder, x, generator=None, *, weight: float = 0.1, kind: str = "bce"
) -> torch.Tensor:
    """Reconstruction + weight · ||∂f/∂x||_F² (averaged over the batch)."""
    rec = reconstruction_error(model(x), x, kind=kind).mean()
    return rec + weight * contractive_penalty(model.encoder, x).mean()


@register_objective("denoising")
def denoising_loss(
    model: Autoencoder,
    x,
    generator=None,
    *,
    noise: str = "mask",
    level: float = 0.3,
    kind: str = "bce",
) -> torch.Tensor:
    """Reconstruction of the clean x from g(f(x̃)), x̃ = corrupt(x)."""
    x_tilde = corrupt(x, kind=noise, level=level, generator=generator)
    return reconstruction_error(model(x_tilde), x, kind=kind).mean()


@register_objective("vae")
def vae_loss(model: VAE, x, generator=None, *, beta: float = 1.0) -> torch.Tensor:
    """Negative ELBO averaged over the batch (beta ≠ 1 reweights the KL term: a β-VAE)."""
    log_px_z, kl = elbo_terms(model, x, generator=generator)
    return (beta * kl - log_px_z).mean()


@register_objective("wae")
def wae_loss(
    model: Autoencoder,
    x,
    generator=None,
    *,
    weight: float = 10.0,
    kind: str = "bce",
    bandwidth: float | None = None,
) -> torch.Tensor:
    """WAE-MMD: reconstruction + weight · MMD²(codes of the batch, as many N(0, I) samples)."""
    z = model.encode(x)
    z_prior = torch.randn(z.shape, generator=generator, dtype=z.dtype)
    rec = reconstruction_error(model.decode(z), x, kind=kind).mean()
    return rec + weight * wae_penalty(z, z_prior, bandwidth=bandwidth)


# --------------------------------------------------------------------------- training
def fit(
    model: nn.Module,
    x,
    objective: str = "ae",
    *,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
    desc: str = "training",
    **options,
) -> list[float]:
    """Adam on shuffled minibatches of x (N, D) for ``epochs`` passes. Returns the mean loss
    per epoch. ``objective``: a name in ``OBJECTIVES``; ``options`` go to it (e.g. weight=).
    Seeded: shuffling and all noise come from one ``torch.Generator(seed)``."""
    loss_fn = OBJECTIVES.lookup(objective)
    x = _batch(x).to(next(model.parameters()).dtype)
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    lr = check_positive(lr, "lr")
    g = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    epoch_range = range(epochs)
    if progress:
        from tqdm.auto import trange

        epoch_range = trange(epochs, desc=desc, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}")
    history = []
    model.train()
    for _ in epoch_range:
        total = 0.0
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            loss = loss_fn(model, x[idx], g, **options)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(x))
    model.eval()
    return history


def fit_full_batch(
    model: nn.Module, x, objective: str = "ae", *, steps: int = 100, seed: int = 0, **options
) -> list[float]:
    """L-BFGS on the whole of x (N, D) at once, for small smooth problems (the linear AE):
    converges in far fewer steps than Adam. Returns the loss after each step."""
    loss_fn = OBJECTIVES.lookup(objective)
    x = _batch(x).to(next(model.parameters()).dtype)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    opt = torch.optim.LBFGS(model.parameters(), max_iter=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn(model, x, torch.Generator().manual_seed(int(seed)), **options)
        loss.backward()
        return loss

    history = [opt.step(closure).item() for _ in range(steps)]
    model.eval()
    return history


def _seeded(build, seed: int):
    """Build a model with its initial weights drawn from ``seed``, leaving the global RNG alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return build()


def _digits_train() -> torch.Tensor:
    from .data import digits

    return binarize(digits().x_train)


def train_vae(
    latent_dim: int = 2,
    epochs: int = 30,
    *,
    x=None,
    hidden: Sequence[int] = (256, 256),
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
    **options,
) -> tuple[VAE, list[float]]:
    """A seeded VAE trained on x (default: the binarised digits' training split).
    Returns (model in eval mode, mean negative ELBO per epoch)."""
    x = _digits_train() if x is None else _batch(x)
    model = _seeded(lambda: VAE(x.shape[1], latent_dim, hidden), seed)
    history = fit(
        model,
        x,
        "vae",
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        progress=progress,
        desc=f"VAE, d={latent_dim}",
        **options,
    )
    return model, history


def train_autoencoder(
    latent_dim: int = 2,
    epochs: int = 30,
    objective: str = "ae",
    *,
    x=None,
    hidden: Sequence[int] = (256, 256),
    code: str = "linear",
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
    **options,
) -> tuple[Autoencoder, list[float]]:
    """A seeded deterministic AE trained with ``objective`` ("ae", "sparse", "contractive",
    "denoising", "wae") on x (default: the binarised digits' training split)."""
    x = _digits_train() if x is None else _batch(x)
    model = _seeded(lambda: Autoencoder(x.shape[1], latent_dim, hidden, code=code), seed)
    history = fit(
        model,
        x,
        objective,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        progress=progress,
        desc=f"{objective} AE, d={latent_dim}",
        **options,
    )
    return model, history


# ------------------------------------------------------------------------- checkpoints
def _snapshot(kind: str, model: nn.Module, history: list[float], **config) -> dict:
    return {
        "config": {"kind": kind, "latent_dim": model.latent_dim, **config},
        "state_dict": model.state_dict(),
        "history": history,
    }


def from_checkpoint(name: str) -> tuple[nn.Module, dict]:
    """Load stored checkpoint ``autoencoders.NAME`` into a fresh model (eval mode).
    Returns (model, config); config also holds the training history."""
    from . import checkpoints

    state = checkpoints.load(f"autoencoders.{name}")
    cfg = state["config"]
    hidden = tuple(cfg["hidden"])
    if cfg["kind"] == "vae":
        model = VAE(64, cfg["latent_dim"], hidden)
    else:
        model = Autoencoder(64, cfg["latent_dim"], hidden)
    model.load_state_dict(state["state_dict"])
    return model.eval(), {**cfg, "history": state["history"]}


# Each recipe trains from scratch with fixed seeds (python -m course_lib.checkpoints autoencoders.vae2).
NOTEBOOK_HIDDEN = [128, 128]
NOTEBOOK_EPOCHS = 100
WAE_WEIGHT = 100.0


def _vae2() -> dict:
    model, history = train_vae(2, NOTEBOOK_EPOCHS, hidden=NOTEBOOK_HIDDEN, seed=0)
    return _snapshot("vae", model, history, hidden=NOTEBOOK_HIDDEN, epochs=NOTEBOOK_EPOCHS)


def _ae2() -> dict:
    model, history = train_autoencoder(2, NOTEBOOK_EPOCHS, "ae", hidden=NOTEBOOK_HIDDEN, seed=0)
    return _snapshot("ae", model, history, hidden=NOTEBOOK_HIDDEN, epochs=NOTEBOOK_EPOCHS)


def _wae2() -> dict:
    model, history = train_autoencoder(
        2, NOTEBOOK_EPOCHS, "wae", hidden=NOTEBOOK_HIDDEN, seed=0, weight=WAE_WEIGHT
    )
    return _snapshot(
        "wae", model, history, hidden=NOTEBOOK_HIDDEN, epochs=NOTEBOOK_EPOCHS, weight=WAE_WEIGHT
    )


CHECKPOINTS = {"vae2": _vae2, "ae2": _ae2, "wae2": _wae2}
