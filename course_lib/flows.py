r"""Normalizing flows: exact likelihood by change of variables (chapters 3 and 6).

A flow is an invertible, differentiable map F from data x in R^D to a base variable z = F(x)
with a simple density, here the standard normal N(0, I). The change of variables gives the
exact log-likelihood

    log p(x) = log N(F(x); 0, I) + log |det ∂F/∂x|,

and stacking layers F = F_L ∘ ... ∘ F_1 multiplies their Jacobians, so the log-determinants
add:  log |det J_F| = Σ_l log |det J_{F_l}|. Sampling runs the stack backwards:
x = F^{-1}(z), z ~ N(0, I).

Every layer is a ``Flow``: ``forward(x) -> (z, log_det)`` in the normalizing direction
(data -> base) with x (N, D), z (N, D), log_det (N,) = log |det ∂z/∂x|, and
``inverse(z) -> x`` (N, D). A layer is useful when both directions and its log-determinant
are cheap:

==================  ======================================  ==========================
layer               z = F(x)                                log |det J|
==================  ======================================  ==========================
ElementwiseAffine   x ⊙ exp(a) + b  (diagonal)              Σ_i a_i
TriangularLinear    L x + b, L triangular, diag exp(a)      Σ_i a_i
LULinear            P L U x + b, L unit lower, U upper      Σ_i log |u_ii|
HouseholderLinear   H_k ... H_1 x, H = I - 2 v vᵀ/‖v‖²      0 (orthogonal)
Permutation         x[:, perm]                              0
LeakyReLUFlow       x if x >= 0 else α x                    (#negative entries) log α
AffineCoupling      m ⊙ x + (1-m) ⊙ (x ⊙ exp(s) + t),       Σ_i (1-m_i) s_i
                    s, t functions of m ⊙ x  (Real NVP)
PlanarFlow          x + û tanh(wᵀx + b)                     log |1 + tanh'(wᵀx+b) ûᵀw|
==================  ======================================  ==========================

Triangular layers (and couplings, whose Jacobian is triangular) are autoregressive in one
fixed order: a product of lower-triangular matrices is lower-triangular, so a stack of them
can never let z_1 depend on x_2. Alternate the order (masks, permutations, upper and lower
factors) to mix all variables.

``NormalizingFlow(layers, dim)`` adds the base density: ``log_prob``, ``sample``;
``real_nvp(dim)`` builds a Real NVP stack [Dinh et al., 2017]; ``train_flow`` fits a flow by
maximum likelihood (= minimising KL(p_data ‖ p_θ) up to the data entropy) and ``nll``
measures it. ``toy(name, n)`` draws the 2-D benchmark densities of FFJORD [Grathwohl et al.,
2019] whose differential entropies ``ENTROPY_FLOORS`` bound every model's NLL from below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ._validate import as_tensor, check_finite, check_ndim, check_positive

__all__ = [
    "CHECKPOINTS",
    "ENTROPY_FLOORS",
    "AffineCoupling",
    "Composite",
    "ElementwiseAffine",
    "Flow",
    "HouseholderLinear",
    "LULinear",
    "LeakyReLUFlow",
    "NormalizingFlow",
    "Permutation",
    "PlanarFlow",
    "TriangularLinear",
    "alternating_masks",
    "entropy_floor",
    "nll",
    "planar_m",
    "real_nvp",
    "real_nvp_from_checkpoint",
    "standard_normal_log_prob",
    "toy",
    "toy_log_prob",
    "train_flow",
]

LOG_2PI = math.log(2 * math.pi)


def _check_dim(dim, name: str = "dim") -> int:
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
        raise ValueError(f"{name} must be a positive integer (the data dimension D), got {dim!r}")
    return dim


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) = -½ (‖z‖² + D log 2π). z: (N, D) -> (N,)."""
    return -0.5 * (z.pow(2).sum(1) + z.shape[1] * LOG_2PI)


# ---------------------------------------------------------------- the interface
class Flow(nn.Module):
    """An invertible layer. ``forward(x) -> (z, log_det)``, ``inverse(z) -> x``.

    x, z: (N, D); log_det: (N,) = log |det ∂z/∂x| per sample. ``dim`` is D (``None`` for a
    layer that works in any dimension). Subclasses implement ``_forward`` and ``_inverse`` on
    checked tensors (the public methods validate the input first), or override ``forward``
    and ``inverse`` themselves.
    """

    dim: int | None = None

    def _prepare(self, x, name: str) -> torch.Tensor:
        x = as_tensor(x, name)
        check_ndim(x, name, 2, "(N, D)")
        if self.dim is not None and x.shape[1] != self.dim:
            raise ValueError(
                f"{name} must have D = {self.dim} columns for this {type(self).__name__}, "
                f"got shape {tuple(x.shape)}"
            )
        p = next(self.parameters(), None)
        return x if p is None or x.dtype == p.dtype else x.to(p.dtype)

    def forward(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        return self._forward(self._prepare(x, "x"))

    def inverse(self, z) -> torch.Tensor:
        return self._inverse(self._prepare(z, "z"))

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _inverse(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Composite(Flow):
    """F = F_L ∘ ... ∘ F_1 for ``Composite(F_1, ..., F_L)``: applies the layers in order,
    sums their log-determinants, and inverts in reverse order."""

    def __init__(self, *layers: Flow):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], Sequence | nn.ModuleList):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Composite needs at least one layer, e.g. Composite(layer1, layer2)")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Flow):
                raise TypeError(
                    f"layer {i} must be a Flow (forward -> (z, log_det), inverse), "
                    f"got {type(layer).__name__}"
                )
        dims = {layer.dim for layer in layers} - {None}
        if len(dims) > 1:
            raise ValueError(f"all layers must share one dimension D, got {sorted(dims)}")
        self.dim = dims.pop() if dims else None
        self.layers = nn.ModuleList(layers)

    def _forward(self, x):
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:  # public calls, so subclasses may override forward/inverse
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def _inverse(self, z):
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z


class NormalizingFlow(nn.Module):
    """A flow with a standard normal base: the density p(x) = N(F(x); 0, I) |det ∂F/∂x|.

    ``NormalizingFlow(layers, dim)``: ``layers`` is a Flow or a sequence of them.
    ``forward(x) -> (z, log_det)``; ``log_prob(x) -> (N,)``; ``sample(n) -> (n, D)``.
    """

    def __init__(self, layers, dim: int):
        super().__init__()
        self.dim = _check_dim(dim)
        if isinstance(layers, Flow):
            layers = [layers]
        self.flow = Composite(*layers)
        if self.flow.dim not in (None, self.dim):
            raise ValueError(f"the layers work in D = {self.flow.dim}, but dim = {self.dim}")
        self.flow.dim = self.dim

    def forward(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """z = F(x) (N, D) and log |det ∂F/∂x| (N,)."""
        x = self.flow._prepare(x, "x")
        check_finite(x, "x")
        return self.flow._forward(x)

    def log_prob(self, x) -> torch.Tensor:
        """log p(x) = log N(F(x); 0, I) + log |det ∂F/∂x| in nats. x: (N, D) -> (N,)."""
        z, log_det = self(x)
        return standard_normal_log_prob(z) + log_det

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """x = F^{-1}(z), z ~ N(0, I). Returns (n, D), differentiable in the parameters."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer number of samples, got {n!r}")
        p = next(self.parameters(), None)
        dtype = p.dtype if p is not None else torch.get_default_dtype()
        z = torch.randn(n, self.dim, generator=generator, dtype=dtype)
        return self.flow._inverse(z)

    def inverse(self, z) -> torch.Tensor:
        """x = F^{-1}(z). z: (N, D) -> (N, D)."""
        return self.flow.inverse(z)


# ---------------------------------------------------------------- linear flows
class ElementwiseAffine(Flow):
    """Diagonal flow z = x ⊙ exp(a) + b (scales exp(a) > 0). log |det| = Σ_i a_i.

    Not expressive on its own (each coordinate is only shifted and scaled), but a useful
    first layer: it standardises the data.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim(dim)
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.shift = nn.Parameter(torch.zeros(dim))

    def _forward(self, x):
        z = x * self.log_scale.exp() + self.shift
        return z, self.log_scale.sum().expand(x.shape[0])

    def _inverse(self, z):
        return (z - self.shift) * (-self.log_scale).exp()


class TriangularLinear(Flow):
    """z = L x + b with L lower (``lower=True``) or upper triangular and diagonal exp(a) > 0.

    Jacobian L, so log |det| = Σ_i a_i; the inverse is one triangular solve (forward or
    back substitution, O(D²)). "Autoregressive": with ``lower=True`` z_i depends on x_1..x_i.
    """

    def __init__(self, dim: int, *, lower: bool = True, bias: bool = True):
        super().__init__()
        self.dim = _check_dim(dim)
        self.lower = bool(lower)
        self.off_diagonal = nn.Parameter(torch.randn(dim, dim) / math.sqrt(dim))
        self.log_diag = nn.Parameter(torch.zeros(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None
        tri = torch.tril if self.lower else torch.triu
        self.register_buffer("_mask", tri(torch.ones(dim, dim), diagonal=-1 if lower else 1))

    def matrix(self) -> torch.Tensor:
        """The triangular matrix L (D, D)."""
        return self.off_diagonal * self._mask + torch.diag(self.log_diag.exp())

    def _forward(self, x):
        z = x @ self.matrix().T
        if self.bias is not None:
            z = z + self.bias
        return z, self.log_diag.sum().expand(x.shape[0])

    def _inverse(self, z):
        if self.bias is not None:
            z = z - self.bias
        # solve L x = z for every row: X L^T = Z
        return torch.linalg.solve_triangular(self.matrix().T, z, upper=self.lower, left=False)


class LULinear(Flow):
    """z = W x + b with W = P L U (Glow's invertible linear layer) [Kingma & Dhariwal, 2018].

    P: a fixed permutation matrix; L: unit lower triangular; U: upper triangular with
    diagonal u_ii = sign_i exp(a_i) (the signs are fixed at initialisation, so u_ii never
    crosses 0). det W = ± Π u_ii, so log |det| = Σ_i log |u_ii| = Σ_i a_i, O(D) instead of
    O(D³). Any invertible matrix has such a factorisation, so the layer is fully expressive
    among linear maps. Initialised at the LU factors of a random rotation (global RNG).
    """

    def __init__(self, dim: int, *, bias: bool = True):
        super().__init__()
        self.dim = _check_dim(dim)
        q, _ = torch.linalg.qr(torch.randn(dim, dim, dtype=torch.float64))
        p, low, up = torch.linalg.lu(q)
        diag = up.diagonal()
        self.register_buffer("permutation", p.float())
        self.register_buffer("sign", diag.sign().float())
        self.register_buffer("_lower_mask", torch.tril(torch.ones(dim, dim), diagonal=-1))
        self.lower = nn.Parameter((low * self._lower_mask.double()).float())
        self.upper = nn.Parameter(torch.triu(up, diagonal=1).float())
        self.log_abs_diag = nn.Parameter(diag.abs().log().float())
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def factors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(P, L, U), each (D, D), with W = P @ L @ U."""
        eye = torch.eye(self.dim, dtype=self.lower.dtype, device=self.lower.device)
        low = self.lower * self._lower_mask + eye
        up = torch.triu(self.upper, diagonal=1) + torch.diag(self.sign * self.log_abs_diag.exp())
        return self.permutation, low, up

    def weight(self) -> torch.Tensor:
        """W = P L U (D, D)."""
        p, low, up = self.factors()
        return p @ low @ up

    def _forward(self, x):
        z = x @ self.weight().T
        if self.bias is not None:
            z = z + self.bias
        return z, self.log_abs_diag.sum().expand(x.shape[0])

    def _inverse(self, z):
        if self.bias is not None:
            z = z - self.bias
        p, low, up = self.factors()
        # x = U^{-1} L^{-1} P^T z, row-wise: X = Z P U^{-T} L^{-T} written as two solves
        y = z @ p  # rows of P^T z
        y = torch.linalg.solve_triangular(low.T, y, upper=True, left=False, unitriangular=True)
        return torch.linalg.solve_triangular(up.T, y, upper=False, left=False)


class HouseholderLinear(Flow):
    """z = Q x with Q = H_k ... H_1 a product of Householder reflections
    H_i = I - 2 v_i v_iᵀ / ‖v_i‖². Q is orthogonal, so log |det| = 0 and Q^{-1} = Qᵀ.

    D reflections can represent any orthogonal matrix; combined with a triangular layer this
    is a QR-parameterised linear flow. ``n_reflections`` defaults to D.
    """

    def __init__(self, dim: int, n_reflections: int | None = None):
        super().__init__()
        self.dim = _check_dim(dim)
        k = dim if n_reflections is None else n_reflections
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"n_reflections must be a positive integer, got {n_reflections!r}")
        self.vectors = nn.Parameter(torch.randn(k, dim))

    def matrix(self) -> torch.Tensor:
        """Q (D, D), orthogonal."""
        q = torch.eye(self.dim, dtype=self.vectors.dtype, device=self.vectors.device)
        for v in self.vectors:
            v = v / v.norm().clamp_min(1e-12)
            q = q - 2 * torch.outer(v, v @ q)  # H q
        return q

    def _forward(self, x):
        return x @ self.matrix().T, x.new_zeros(x.shape[0])

    def _inverse(self, z):
        return z @ self.matrix()


class Permutation(Flow):
    """z = x[:, perm] (a fixed reordering of the coordinates). log |det| = 0."""

    def __init__(self, perm):
        super().__init__()
        perm = torch.as_tensor(perm, dtype=torch.long)
        if perm.ndim != 1 or not torch.equal(perm.sort().values, torch.arange(len(perm))):
            raise ValueError(
                f"perm must be a permutation of 0..D-1, got {perm.tolist()}; e.g. [1, 0]"
            )
        self.dim = len(perm)
        self.register_buffer("perm", perm)
        self.register_buffer("inverse_perm", perm.argsort())

    def _forward(self, x):
        return x[:, self.perm], x.new_zeros(x.shape[0])

    def _inverse(self, z):
        return z[:, self.inverse_perm]


# ---------------------------------------------------------------- non-linear flows
class LeakyReLUFlow(Flow):
    """z = x for x >= 0, α x for x < 0 (element-wise, slope α > 0).

    The Jacobian is diagonal with entries 1 or α, so log |det| = (#negative entries) · log α.
    Inverse: z for z >= 0, z / α for z < 0. Works in any dimension.
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check_positive(negative_slope, "negative_slope")

    def _forward(self, x):
        neg = x < 0
        z = torch.where(neg, self.negative_slope * x, x)
        return z, neg.sum(1).to(x.dtype) * math.log(self.negative_slope)

    def _inverse(self, z):
        return torch.where(z < 0, z / self.negative_slope, z)


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    net = nn.Sequential(
        nn.Linear(d_in, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
        nn.Linear(hidden, d_out),
    )  # fmt: skip
    nn.init.zeros_(net[-1].weight)  # start at the identity map
    nn.init.zeros_(net[-1].bias)
    return net


class AffineCoupling(Flow):
    """Real NVP affine coupling [Dinh et al., 2017]. ``mask``: (D,) of 0/1, 1 = kept.

        z = m ⊙ x + (1 - m) ⊙ (x ⊙ exp(s(m ⊙ x)) + t(m ⊙ x)),
        log |det ∂z/∂x| = Σ_i (1 - m_i) s_i(m ⊙ x),
        x = m ⊙ z + (1 - m) ⊙ (z - t(m ⊙ z)) ⊙ exp(-s(m ⊙ z)).

    The Jacobian is triangular (after reordering kept coordinates first) with diagonal
    1 or exp(s_i), whatever the networks s, t are. s = scale ⊙ tanh(·) keeps the scales
    bounded; s and t come from one MLP with ``hidden`` units, zero-initialised at the output
    so a fresh layer is the identity.
    """

    def __init__(self, dim: int, mask, hidden: int = 64):
        super().__init__()
        self.dim = _check_dim(dim)
        mask = as_tensor(mask, "mask")
        if mask.shape != (dim,) or not ((mask == 0) | (mask == 1)).all():
            raise ValueError(
                f"mask must be a (D,) = ({dim},) vector of 0/1 (1 = kept), got {mask.tolist()}"
            )
        if mask.sum() in (0, dim):
            raise ValueError(
                "mask must keep some coordinates and transform the others (0 < Σm < D)"
            )
        if not isinstance(hidden, int) or isinstance(hidden, bool) or hidden < 1:
            raise ValueError(f"hidden must be a positive integer, got {hidden!r}")
        self.register_buffer("mask", mask.float())
        self.net = _mlp(dim, hidden, 2 * dim)
        self.scale = nn.Parameter(torch.ones(dim))

    def scale_and_shift(self, x_kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """s, t (N, D) from the kept coordinates m ⊙ x; both are 0 on the kept entries."""
        s_raw, t = self.net(x_kept).chunk(2, dim=1)
        free = 1 - self.mask
        return free * self.scale * torch.tanh(s_raw), free * t

    def _forward(self, x):
        x_kept = x * self.mask
        s, t = self.scale_and_shift(x_kept)
        z = x_kept + (1 - self.mask) * (x * s.exp() + t)
        return z, s.sum(1)

    def _inverse(self, z):
        z_kept = z * self.mask
        s, t = self.scale_and_shift(z_kept)
        return z_kept + (1 - self.mask) * (z - t) * (-s).exp()


def planar_m(a: torch.Tensor) -> torch.Tensor:
    """m(a) = -1 + softplus(a) = -1 + log(1 + e^a) > -1."""
    return -1 + nn.functional.softplus(a)


class PlanarFlow(Flow):
    """Planar flow [Rezende & Mohamed, 2015]: z = x + û h(wᵀx + b), h = tanh.

    Invertible when wᵀû >= -1; the parameter u is mapped to
        û = u + (m(wᵀu) - wᵀu) w / ‖w‖²,   m(a) = -1 + softplus(a),
    so wᵀû = m(wᵀu) > -1 always. log |det ∂z/∂x| = log |1 + h'(wᵀx + b) ûᵀw|.

    Inverse: z - x is parallel to û, so with α = wᵀx, wᵀz = α + wᵀû h(α + b): a 1-D
    increasing equation, solved by bisection on [wᵀz - |wᵀû|, wᵀz + |wᵀû|] plus one Newton
    step that carries the gradient; then x = z - û h(α + b).
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim(dim)
        bound = 1 / math.sqrt(dim)
        self.u = nn.Parameter(torch.empty(dim).uniform_(-bound, bound))
        self.w = nn.Parameter(torch.empty(dim).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(()))

    def u_hat(self) -> torch.Tensor:
        """û (D,), with wᵀû = m(wᵀu) >= -1."""
        wu = self.w @ self.u
        return self.u + (planar_m(wu) - wu) * self.w / self.w.pow(2).sum().clamp_min(1e-12)

    def _forward(self, x):
        u_hat = self.u_hat()
        a = x @ self.w + self.b  # (N,)
        h = torch.tanh(a)
        z = x + h[:, None] * u_hat
        log_det = torch.log(torch.abs(1 + (1 - h.pow(2)) * (u_hat @ self.w)))
        return z, log_det

    def _inverse(self, z, n_bisect: int = 60):
        u_hat = self.u_hat()
        wu, wz = u_hat @ self.w, z @ self.w  # scalar, (N,)
        with torch.no_grad():
            lo, hi = wz - wu.abs(), wz + wu.abs()
            for _ in range(n_bisect):  # g(α) = α + wᵀû tanh(α + b) - wᵀz is increasing
                mid = (lo + hi) / 2
                too_big = mid + wu * torch.tanh(mid + self.b) > wz
                hi, lo = torch.where(too_big, mid, hi), torch.where(too_big, lo, mid)
            alpha = (lo + hi) / 2
        h = torch.tanh(alpha + self.b)
        g = alpha + wu * h - wz
        alpha = alpha - g / (1 + wu * (1 - h.pow(2)))  # Newton step: exact value, live gradient
        return z - torch.tanh(alpha + self.b)[:, None] * u_hat


# ---------------------------------------------------------------- Real NVP
def alternating_masks(dim: int, n_layers: int) -> list[torch.Tensor]:
    """Masks (D,) that alternate which half is kept: [1,0,1,0..], [0,1,0,1..], ..."""
    _check_dim(dim)
    if dim < 2:
        raise ValueError(f"a coupling layer needs dim >= 2, got {dim}")
    return [((torch.arange(dim) + i) % 2 == 0).float() for i in range(n_layers)]


def real_nvp(dim: int = 2, n_layers: int = 8, hidden: int = 64) -> NormalizingFlow:
    """Real NVP: an ``ElementwiseAffine`` (standardises) then ``n_layers`` affine couplings
    with alternating masks, so every coordinate is transformed given the others in turn."""
    if not isinstance(n_layers, int) or isinstance(n_layers, bool) or n_layers < 1:
        raise ValueError(f"n_layers must be a positive integer, got {n_layers!r}")
    layers = [ElementwiseAffine(dim)]
    layers += [AffineCoupling(dim, m, hidden) for m in alternating_masks(dim, n_layers)]
    return NormalizingFlow(layers, dim)


# ---------------------------------------------------------------- training
def nll(model: NormalizingFlow, x) -> float:
    """Mean negative log-likelihood -1/N Σ log p(x_i) in nats. x: (N, D)."""
    if not isinstance(model, NormalizingFlow):
        raise TypeError(f"model must be a NormalizingFlow, got {type(model).__name__}")
    with torch.no_grad():
        return float(-model.log_prob(x).mean())


def train_flow(
    model: NormalizingFlow,
    data: Callable[..., torch.Tensor] | torch.Tensor,
    *,
    steps: int = 1000,
    batch: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Maximum likelihood: Adam on the mean NLL of minibatches, cosine-decayed learning rate.

    data: a tensor (N, D) to draw minibatches from, or a sampler ``data(n, seed=...)`` such
    as ``lambda n, seed: flows.toy("moons", n, seed=seed)`` (fresh samples every step).
    Returns the minibatch NLL (nats) of every step. Seeded: the same call gives the same model.
    """
    if not isinstance(model, NormalizingFlow):
        raise TypeError(f"model must be a NormalizingFlow, got {type(model).__name__}")
    for name, v in (("steps", steps), ("batch", batch)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    lr = check_positive(lr, "lr")
    g = torch.Generator().manual_seed(int(seed))
    if callable(data):

        def draw(step: int) -> torch.Tensor:
            return data(batch, seed=int(seed) * 1_000_003 + step)
    else:
        data = as_tensor(data, "data")
        check_ndim(data, "data", 2, "(N, D)")
        check_finite(data, "data")

        def draw(step: int) -> torch.Tensor:
            return data[torch.randint(len(data), (batch,), generator=g)]

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    it = range(steps)
    if progress:
        from tqdm.auto import trange

        it = trange(steps, desc="train flow", bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}")
    model.train()
    losses = []
    for step in it:
        loss = -model.log_prob(draw(step)).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 50.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    model.eval()
    return losses


# ---------------------------------------------------------------- benchmark densities
_RADIUS_8G, _STD_8G = 4 / math.sqrt(2), 0.5 / math.sqrt(2)
_MOON_SCALE, _MOON_NOISE = 2.0, 0.1


def toy(name: str, n: int, *, seed: int = 0) -> torch.Tensor:
    """The FFJORD 2-D benchmarks as float32 (n, 2), built on ``course_lib.data``:

    * "moons": ``2 * data.moons(noise=0.1)`` (so Gaussian noise of std 0.2 around arcs of
      radius 2);
    * "8gaussians": 8 equal Gaussians on a circle of radius 2√2, std 0.5/√2
      (``data.gaussian_ring(radius=2√2, std=0.5/√2)``; course_lib's default ring is far
      narrower, std 0.02, with entropy ≈ -3.0);
    * "checkerboard": uniform on the 8 dark squares of side 2 of a 4x4 board on [-4, 4]²
      (``data.checkerboard(size=8)``).
    """
    from . import data

    if name == "moons":
        x = _MOON_SCALE * data.moons(n, noise=_MOON_NOISE, seed=seed)
    elif name == "8gaussians":
        x = data.gaussian_ring(n, n_modes=8, radius=_RADIUS_8G, std=_STD_8G, seed=seed)
    elif name == "checkerboard":
        x = data.checkerboard(n, squares=4, size=8.0, seed=seed)
    else:
        raise ValueError(f"unknown toy {name!r}; choose one of {sorted(ENTROPY_FLOORS)}")
    return x.float()


def toy_log_prob(name: str, x, *, n_quad: int = 400) -> torch.Tensor:
    """The exact log-density of ``toy(name)`` at x (N, 2) -> (N,) float64 (moons: the
    mixture over the arc parameter integrated with an ``n_quad``-point midpoint rule)."""
    x = as_tensor(x, "x").double()
    check_ndim(x, "x", 2, "(N, 2)")
    if name == "8gaussians":
        from . import data

        centers = data.ring_modes(8, _RADIUS_8G)
        d2 = (x[:, None, :] - centers[None]).pow(2).sum(-1)  # (N, 8)
        log_comp = -d2 / (2 * _STD_8G**2) - math.log(2 * math.pi * _STD_8G**2)
        return torch.logsumexp(log_comp, 1) - math.log(8)
    if name == "checkerboard":
        cell = torch.floor(x / 2 + 2)  # column, row in 0..3
        inside = ((cell >= 0) & (cell <= 3)).all(1)
        dark = (cell[:, 0] % 2) == (cell[:, 1] % 2)
        return torch.where(inside & dark, -math.log(32.0), -math.inf)
    if name == "moons":
        t = math.pi * (torch.arange(n_quad, dtype=torch.float64) + 0.5) / n_quad
        upper = torch.stack([t.cos(), t.sin()], 1)
        lower = torch.stack([1 - t.cos(), 0.5 - t.sin()], 1)
        # data.moons centres by (0.5, 0.25) before the noise
        arcs = _MOON_SCALE * (torch.cat([upper, lower]) - torch.tensor([0.5, 0.25]))
        sigma = _MOON_SCALE * _MOON_NOISE
        d2 = (x[:, None, :] - arcs[None]).pow(2).sum(-1)  # (N, 2 n_quad)
        log_comp = -d2 / (2 * sigma**2) - math.log(2 * math.pi * sigma**2)
        return torch.logsumexp(log_comp, 1) - math.log(2 * n_quad)
    raise ValueError(f"unknown toy {name!r}; choose one of {sorted(ENTROPY_FLOORS)}")


def entropy_floor(name: str, *, n: int = 100_000, seed: int = 12345) -> float:
    """Monte Carlo differential entropy H = -E log p(x) of ``toy(name)`` in nats: the lowest
    mean NLL any model can reach on it (NLL = H + KL(p ‖ p_θ))."""
    x = toy(name, n, seed=seed).double()
    return float(-torch.cat([toy_log_prob(name, c) for c in x.split(5000)]).mean())


# values of entropy_floor(name, n=1_000_000); checked independently in tests/test_flows.py
ENTROPY_FLOORS = {"moons": 2.394, "8gaussians": 2.831, "checkerboard": math.log(32.0)}


def _recipe_realnvp(name: str, steps: int = 3000) -> dict:
    torch.manual_seed(0)
    model = real_nvp(2, n_layers=8, hidden=64)
    sampler = lambda n, seed: toy(name, n, seed=seed)  # noqa: E731
    train_flow(model, sampler, steps=steps, batch=512, lr=3e-3, seed=0)
    state = {f"model.{k}": v.detach().clone() for k, v in model.state_dict().items()}
    state.update(n_layers=8, hidden=64, steps=steps)
    state["test_nll"] = nll(model, toy(name, 50_000, seed=10_000))
    return state


def real_nvp_from_checkpoint(state: dict) -> NormalizingFlow:
    """Rebuild the ``real_nvp`` stored by a ``CHECKPOINTS`` recipe (e.g. the dict returned by
    ``course_lib.checkpoints.load("flows.realnvp_moons")``), in eval mode."""
    model = real_nvp(2, n_layers=int(state["n_layers"]), hidden=int(state["hidden"]))
    weights = {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}
    model.load_state_dict(weights)
    return model.eval()


# python -m course_lib.checkpoints flows.realnvp_moons  (about 15 s on 2 idle cores)
CHECKPOINTS: dict[str, Callable[[], dict]] = {
    "realnvp_moons": lambda: _recipe_realnvp("moons"),
    "realnvp_8gaussians": lambda: _recipe_realnvp("8gaussians"),
    "realnvp_checkerboard": lambda: _recipe_realnvp("checkerboard"),
}
