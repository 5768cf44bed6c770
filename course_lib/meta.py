"""Meta-learning on few-shot sinusoid regression: MAML, hypernetworks, HyperMAML (chapter 6).

A *task* T = (S, Q) is a support set S = {(x_l, y_l)}, l = 1..K (K shots, labelled at test
time) and a query set Q on which the adapted model is judged. The task family is the one of
Finn et al. (2017): y = A sin(x - φ) with A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[-5, 5].

* MAML [Finn et al., 2017] learns an initialisation θ from which a few gradient steps on S
  fit the task:  θ_i = θ - α ∇_θ L_S(θ)  (inner step), then
  θ <- θ - β ∇_θ Σ_i L_Q(θ_i)  (meta step). The meta-gradient differentiates *through* the
  inner step: ∇_θ L_Q(θ_i) = (I - α ∇²_θ L_S(θ))ᵀ ∇L_Q(θ_i). First-order MAML drops the
  Hessian term and uses ∇L_Q(θ_i) itself.
* A hypernetwork H maps a task's support set to weights of the target network.
* HyperMAML [Przewięźlikowski et al., 2022] keeps MAML's universal θ but replaces the
  gradient steps by one learned update:  θ_i = θ - H(S_i)  (no inner loop at all).

The regressor is a 1-40-40-1 ReLU MLP used *functionally*: its weights are a dict of tensors
passed to ``torch.func.functional_call``. Each weight may carry a leading task dimension
(T, ...), so a whole meta-batch of tasks is adapted in one vectorised call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from ._validate import as_tensor, check_finite, check_ndim, check_positive

__all__ = [
    "AMPLITUDE",
    "CHECKPOINTS",
    "PHASE",
    "X_RANGE",
    "HyperMAML",
    "Hypernetwork",
    "Regressor",
    "Tasks",
    "evaluate",
    "hypermaml_loss",
    "init_params",
    "inner_adapt",
    "load_hypermaml",
    "load_maml",
    "maml_step",
    "meta_gradient",
    "meta_loss",
    "mse",
    "predict",
    "sinusoid",
    "sinusoid_tasks",
    "train_hypermaml",
    "train_maml",
]

AMPLITUDE = (0.1, 5.0)
PHASE = (0.0, math.pi)
X_RANGE = (-5.0, 5.0)


# ------------------------------------------------------------------------------ the task family
def sinusoid(x: torch.Tensor, amplitude, phase) -> torch.Tensor:
    """y = A sin(x - φ). x (..., N, 1); amplitude, phase broadcast as (..., 1, 1) or scalars."""
    return amplitude * torch.sin(x - phase)


@dataclass(frozen=True)
class Tasks:
    """A batch of T sinusoid tasks: support (T, K, 1), query (T, M, 1), and their (A, φ)."""

    x_support: torch.Tensor
    y_support: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor
    amplitude: torch.Tensor  # (T,)
    phase: torch.Tensor  # (T,)

    def __len__(self) -> int:
        return len(self.amplitude)

    def __getitem__(self, index) -> Tasks:
        """Tasks ``index`` (an int keeps the task dimension: tasks[3] has T = 1)."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return Tasks(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    def with_shots(self, k: int) -> Tasks:
        """The same tasks with only the first k support points."""
        return Tasks(
            self.x_support[:, :k],
            self.y_support[:, :k],
            self.x_query,
            self.y_query,
            self.amplitude,
            self.phase,
        )


def sinusoid_tasks(
    n_tasks: int,
    k_shot: int,
    k_query: int = 10,
    seed: int | None = 0,
    *,
    generator: torch.Generator | None = None,
    query_grid: bool = False,
) -> Tasks:
    """Sample ``n_tasks`` tasks y = A sin(x - φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[-5, 5].

    Returns ``Tasks`` with support (n_tasks, k_shot, 1) and query (n_tasks, k_query, 1) in
    float32. ``seed`` fixes everything (or pass a running ``generator``, e.g. in a training
    loop). ``query_grid=True`` puts the query points on an even grid over [-5, 5] (plots).
    """
    for value, name in ((n_tasks, "n_tasks"), (k_shot, "k_shot"), (k_query, "k_query")):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    g = generator if generator is not None else torch.Generator().manual_seed(int(seed or 0))

    def uniform(low, high, *shape):
        return low + (high - low) * torch.rand(*shape, generator=g)

    amplitude = uniform(*AMPLITUDE, n_tasks)
    phase = uniform(*PHASE, n_tasks)
    x_s = uniform(*X_RANGE, n_tasks, k_shot, 1)
    if query_grid:
        x_q = torch.linspace(*X_RANGE, k_query).expand(n_tasks, k_query)[..., None].clone()
    else:
        x_q = uniform(*X_RANGE, n_tasks, k_query, 1)
    a, p = amplitude[:, None, None], phase[:, None, None]
    return Tasks(x_s, sinusoid(x_s, a, p), x_q, sinusoid(x_q, a, p), amplitude, phase)


# ------------------------------------------------------------------------------- the regressor
def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x Wᵀ + b with optional task dimension: x (T?, N, in), W (T?, out, in), b (T?, out)."""
    return x @ weight.transpose(-1, -2) + bias.unsqueeze(-2)


class Regressor(nn.Module):
    """The 1-40-40-1 ReLU MLP of Finn et al. ``forward`` accepts per-task weights.

    With ``functional_call(model, params, (x,))`` every weight may have a leading task
    dimension T: W (T, out, in) and x (T, N, 1) -> (T, N, 1); plain weights -> x (..., N, 1).
    Same numbers as ``nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)`` with these weights.
    """

    def __init__(self, hidden: int = 40):
        super().__init__()
        self.l1, self.l2, self.l3 = (
            nn.Linear(1, hidden),
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, 1),
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer h(x) (T?, N, hidden): what the output layer combines."""
        h = torch.relu(_linear(x, self.l1.weight, self.l1.bias))
        return torch.relu(_linear(h, self.l2.weight, self.l2.bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _linear(self.features(x), self.l3.weight, self.l3.bias)


with torch.device("meta"):  # no memory, no random numbers drawn at import
    _MODEL = Regressor()  # the architecture for functional_call; its own weights are never used


def init_params(seed: int = 0, hidden: int = 40) -> dict[str, torch.Tensor]:
    """Fresh weights of the regressor (PyTorch's default nn.Linear init), requiring grad.

    Seeded without touching torch's global random state.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = Regressor(hidden)
    return {k: v.detach().clone().requires_grad_() for k, v in net.named_parameters()}


def predict(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """f_θ(x) with θ = params: x (T?, N, 1) -> (T?, N, 1) (weights per task or shared)."""
    return functional_call(_MODEL, params, (x,), strict=True)


def mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error per task: (T?, N, 1) -> (T?,)."""
    return ((pred - y) ** 2).mean(dim=(-2, -1))


def _check_task(x, y, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = as_tensor(x, f"x_{name}"), as_tensor(y, f"y_{name}")
    if x.ndim not in (2, 3) or x.shape[-1] != 1:
        raise ValueError(
            f"x_{name} must have shape (K, 1) for one task or (T, K, 1) for T tasks, "
            f"got {tuple(x.shape)}"
        )
    if y.shape != x.shape:
        raise ValueError(
            f"y_{name} must have the shape of x_{name} {tuple(x.shape)}, got {tuple(y.shape)}"
        )
    check_finite(x, f"x_{name}")
    check_finite(y, f"y_{name}")
    return x, y


# ---------------------------------------------------------------------------------------- MAML
def inner_adapt(
    params: dict[str, torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 1,
    inner_lr: float = 0.01,
    first_order: bool = False,
) -> dict[str, torch.Tensor]:
    """MAML's inner loop: ``steps`` gradient steps  θ <- θ - α ∇_θ L_S(θ)  on the support set.

    params: shared weights θ (each (…)); x, y: one task's support (K, 1) or T tasks' (T, K, 1).
    For T tasks every weight is expanded to (T, …) first, so one backward pass gives each task
    its own gradient (task i's loss only touches slice i). Returns the adapted weights θ_i.
    ``first_order=False`` keeps the graph of the gradients (create_graph=True): the result is
    differentiable in θ including the Hessian term. ``first_order=True`` treats ∇L_S as a
    constant, so dθ_i/dθ = I (first-order MAML). Works under ``torch.no_grad()`` too (evaluation).
    """
    x, y = _check_task(x, y, "support")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    inner_lr = check_positive(inner_lr, "inner_lr")
    if x.ndim == 3 and next(iter(params.values())).ndim == _MODEL.l1.weight.ndim:
        params = {k: v.expand(len(x), *v.shape) for k, v in params.items()}  # (T, ...)
    if steps == 0:
        return dict(params)
    with torch.enable_grad():
        if not any(v.requires_grad for v in params.values()):  # evaluation: nothing to track
            params = {k: v.detach().requires_grad_() for k, v in params.items()}
        for _ in range(steps):
            loss = mse(predict(params, x), y).sum()  # Σ_tasks L_S(θ_i): grads stay per task
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=not first_order)
            params = {k: v - inner_lr * g for (k, v), g in zip(params.items(), grads, strict=True)}
    return params


def meta_loss(
    params: dict[str, torch.Tensor],
    tasks: Tasks,
    *,
    steps: int = 1,
    inner_lr: float = 0.01,
    first_order: bool = False,
) -> torch.Tensor:
    """(1/T) Σ_i L_Q_i(θ_i) with θ_i = inner_adapt(θ, S_i): the loss MAML minimises over θ.

    steps = 0 gives plain multi-task regression (the "pretrained on all tasks" baseline).
    """
    adapted = inner_adapt(params, tasks.x_support, tasks.y_support, steps, inner_lr, first_order)
    return mse(predict(adapted, tasks.x_query), tasks.y_query).mean()


def meta_gradient(params, tasks: Tasks, **options) -> dict[str, torch.Tensor]:
    """∇_θ meta_loss(θ) (second order unless ``first_order=True``), without touching .grad."""
    loss = meta_loss(params, tasks, **options)
    grads = torch.autograd.grad(loss, list(params.values()))
    return dict(zip(params, grads, strict=True))


def maml_step(
    params: dict[str, torch.Tensor],
    tasks: Tasks,
    optimizer: torch.optim.Optimizer,
    *,
    steps: int = 1,
    inner_lr: float = 0.01,
    first_order: bool = False,
) -> float:
    """One meta-update θ <- θ - β ∇_θ meta_loss (β and the update rule are the optimizer's).

    Returns the meta-batch's query loss before the update.
    """
    optimizer.zero_grad(set_to_none=True)
    loss = meta_loss(params, tasks, steps=steps, inner_lr=inner_lr, first_order=first_order)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def evaluate(
    params: dict[str, torch.Tensor], tasks: Tasks, *, steps: int = 1, inner_lr: float = 0.01
) -> torch.Tensor:
    """Query MSE per task (T,) after ``steps`` inner steps on each task's support set."""
    adapted = inner_adapt(
        {k: v.detach() for k, v in params.items()},
        tasks.x_support,
        tasks.y_support,
        steps,
        inner_lr,
        first_order=True,
    )
    with torch.no_grad():
        return mse(predict(adapted, tasks.x_query), tasks.y_query)


def _progress(n: int, desc: str, show: bool):
    if not show:
        return range(n)
    from tqdm.auto import trange

    return trange(n, desc=desc, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}")


def train_maml(
    k_shot: int = 10,
    n_iter: int = 10_000,
    *,
    meta_batch: int = 25,
    k_query: int = 10,
    steps: int = 1,
    inner_lr: float = 0.01,
    meta_lr: float = 1e-3,
    first_order: bool = False,
    seed: int = 0,
    time_limit: float | None = None,
    progress: bool = False,
) -> tuple[dict[str, torch.Tensor], list[float]]:
    """Meta-train θ with MAML (Adam on the meta-loss, fresh tasks each iteration).

    steps = 0 trains the "pretrained on all tasks" baseline (plain regression on the mixture).
    time_limit (seconds) stops early. Returns (params, query loss per iteration).
    """
    if not isinstance(n_iter, int) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive int, got {n_iter!r}")
    params = init_params(seed)
    opt = torch.optim.Adam(params.values(), lr=meta_lr)
    g = torch.Generator().manual_seed(seed + 1)
    history, start = [], time.perf_counter()
    for _ in _progress(n_iter, "MAML" if steps else "pretrain", progress):
        tasks = sinusoid_tasks(meta_batch, k_shot, k_query, generator=g)
        history.append(
            maml_step(params, tasks, opt, steps=steps, inner_lr=inner_lr, first_order=first_order)
        )
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    return {k: v.detach() for k, v in params.items()}, history


# ------------------------------------------------------------------ hypernetworks and HyperMAML
class Hypernetwork(nn.Module):
    """Support set -> weights: a permutation-invariant task embedding, then a linear head.

    e = (1/K) Σ_l φ(s_l)  (DeepSets mean over the support points' inputs s_l (T, K, d_in)),
    then one linear map e -> a flat vector cut into tensors of ``shapes``. Returns a dict of
    tensors (T, *shape). The head starts at zero, so initially it outputs all-zero weights.
    """

    def __init__(self, d_in: int, shapes: dict[str, tuple[int, ...]], hidden: int = 64):
        super().__init__()
        self.shapes = dict(shapes)
        self.sizes = [math.prod(s) for s in self.shapes.values()]
        self.embed = nn.Sequential(
            nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.head = nn.Linear(hidden, sum(self.sizes))
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def embedding(self, s: torch.Tensor) -> torch.Tensor:
        """Task embedding e (T, hidden) of support inputs s (T, K, d_in)."""
        return self.embed(s).mean(dim=-2)

    def forward(self, s: torch.Tensor) -> dict[str, torch.Tensor]:
        check_ndim(s, "s", 3, "(T, K, d_in)")
        flat = self.head(self.embedding(s))  # (T, Σ sizes)
        parts = flat.split(self.sizes, dim=-1)
        return {
            k: p.reshape(len(s), *shape)
            for (k, shape), p in zip(self.shapes.items(), parts, strict=True)
        }


HEAD = ("l3.weight", "l3.bias")  # the output layer: what HyperMAML's update changes


class HyperMAML(nn.Module):
    """θ_i = θ - H(S_i): a universal regressor θ and a hypernetwork that writes its update.

    As in HyperMAML the hypernetwork sees each support point "enhanced": the features h(x_l)
    of the universal network, its prediction f_θ(x_l) and the label y_l, concatenated
    (hidden + 2 numbers), and outputs the update Δ of the output layer (``HEAD``). No gradient
    steps at test time: adaptation is one forward pass.
    """

    def __init__(self, hidden: int = 40, hyper_hidden: int = 64, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)  # global on purpose: the stored recipes draw from this stream
        self.net = Regressor(hidden)
        shapes = {k: tuple(v.shape) for k, v in self.net.named_parameters() if k in HEAD}
        self.hyper = Hypernetwork(hidden + 2, shapes, hyper_hidden)

    def support_inputs(self, x_s: torch.Tensor, y_s: torch.Tensor) -> torch.Tensor:
        """Enhanced support [h(x), f_θ(x), y] (T, K, hidden + 2)."""
        h = self.net.features(x_s)
        return torch.cat([h, self.net(x_s), y_s], dim=-1)

    def adapted_params(self, x_s: torch.Tensor, y_s: torch.Tensor) -> dict[str, torch.Tensor]:
        """θ_i = θ - H(S_i) for T tasks: every weight gets a leading (T, ...) dimension."""
        x_s, y_s = _check_task(x_s, y_s, "support")
        if x_s.ndim == 2:
            x_s, y_s = x_s[None], y_s[None]
        delta = self.hyper(self.support_inputs(x_s, y_s))
        theta = dict(self.net.named_parameters())
        return {
            k: v.expand(len(x_s), *v.shape) - delta[k]
            if k in delta
            else v.expand(len(x_s), *v.shape)
            for k, v in theta.items()
        }

    def forward(self, x_s: torch.Tensor, y_s: torch.Tensor, x_q: torch.Tensor) -> torch.Tensor:
        """Predictions (T, M, 1) at query inputs x_q (T, M, 1) after adapting to (x_s, y_s)."""
        return predict(self.adapted_params(x_s, y_s), x_q)


def hypermaml_loss(model: HyperMAML, tasks: Tasks) -> torch.Tensor:
    """L_HyperMAML = (1/T) Σ_i L_Q_i(θ - H(S_i)), minimised over θ and H's weights jointly."""
    return mse(model(tasks.x_support, tasks.y_support, tasks.x_query), tasks.y_query).mean()


def train_hypermaml(
    k_shot: int = 10,
    n_iter: int = 5000,
    *,
    meta_batch: int = 25,
    k_query: int = 10,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
    loss_fn: Callable[[nn.Module, Tasks], torch.Tensor] = hypermaml_loss,
    model: nn.Module | None = None,
) -> tuple[nn.Module, list[float]]:
    """Train HyperMAML (or any model with ``loss_fn(model, tasks)``) with Adam on fresh tasks.

    k_shot may be a (low, high) pair: each iteration then draws K uniformly in that range,
    so one model serves every K (the explorer's slider).
    """
    model = HyperMAML(seed=seed) if model is None else model
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed + 1)
    history = []
    for _ in _progress(n_iter, "HyperMAML", progress):
        k = k_shot
        if isinstance(k_shot, tuple):
            k = int(torch.randint(k_shot[0], k_shot[1] + 1, (), generator=g))
        tasks = sinusoid_tasks(meta_batch, k, k_query, generator=g)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model, tasks)
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return model.eval(), history


# --------------------------------------------------------------------------------- checkpoints
def _maml_recipe(k_shot: int, n_iter: int = 20_000) -> Callable[[], dict]:
    def recipe() -> dict:
        params, history = train_maml(k_shot, n_iter, seed=0)
        return {
            **{f"param.{k}": v for k, v in params.items()},
            "k_shot": k_shot,
            "n_iter": n_iter,
            "final_loss": float(sum(history[-500:]) / 500),
        }

    return recipe


def _pretrained_recipe(n_iter: int = 5000) -> dict:
    params, history = train_maml(10, n_iter, steps=0, seed=0)
    return {**{f"param.{k}": v for k, v in params.items()}, "n_iter": n_iter}


def _hypermaml_recipe(n_iter: int = 8000) -> dict:
    model, history = train_hypermaml((1, 10), n_iter, seed=0)
    return {**{f"param.{k}": v.detach() for k, v in model.state_dict().items()}, "n_iter": n_iter}


CHECKPOINTS: dict[str, Callable[[], dict]] = {
    "maml_k5": _maml_recipe(5),
    "maml_k10": _maml_recipe(10),
    "pretrained": _pretrained_recipe,
    "hypermaml": _hypermaml_recipe,
}


def _params_of(state: dict) -> dict[str, torch.Tensor]:
    return {k.removeprefix("param."): v for k, v in state.items() if k.startswith("param.")}


def load_maml(key: str = "maml_k10") -> dict[str, torch.Tensor]:
    """Stored meta-learned θ (``"maml_k5"``, ``"maml_k10"`` or ``"pretrained"``)."""
    from . import checkpoints

    return _params_of(checkpoints.load(f"meta.{key}"))


def load_hypermaml() -> HyperMAML:
    """The stored HyperMAML model (trained with K from 1 to 10)."""
    from . import checkpoints

    model = HyperMAML()
    model.load_state_dict(_params_of(checkpoints.load("meta.hypermaml")))
    return model.eval()
