"""course_lib.meta against independent references: nn.Module + torch.optim.SGD, torch.func,
explicit Hessians, finite differences, and the task family's definition."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import checkpoints, meta

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _double(tasks: meta.Tasks) -> meta.Tasks:
    return meta.Tasks(*(getattr(tasks, f).double() for f in tasks.__dataclass_fields__))


def _params64(hidden=8, seed=0):
    return {
        k: v.detach().double().requires_grad_() for k, v in meta.init_params(seed, hidden).items()
    }


def _sequential(params) -> nn.Sequential:
    """The same network as nn.Sequential, weights copied (the reference implementation)."""
    hidden = params["l1.weight"].shape[0]
    net = nn.Sequential(
        nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
    ).to(params["l1.weight"].dtype)
    with torch.no_grad():
        for i, layer in zip((0, 2, 4), (1, 2, 3), strict=True):
            net[i].weight.copy_(params[f"l{layer}.weight"])
            net[i].bias.copy_(params[f"l{layer}.bias"])
    return net


# ------------------------------------------------------------------------------ task sampler
def test_sinusoid_tasks_ranges_shapes_and_labels():
    t = meta.sinusoid_tasks(2000, 5, 7, seed=3)
    assert t.x_support.shape == (2000, 5, 1) and t.x_query.shape == (2000, 7, 1)
    assert len(t) == 2000 and t.y_query.shape == (2000, 7, 1)
    a, p = t.amplitude.numpy(), t.phase.numpy()
    assert 0.1 <= a.min() and a.max() <= 5.0 and 0.0 <= p.min() and p.max() <= math.pi
    for x in (t.x_support, t.x_query):
        assert -5.0 <= float(x.min()) and float(x.max()) <= 5.0
    # uniform: the sample fills its ranges (min/max near the ends, mean near the centre)
    assert a.min() < 0.15 and a.max() > 4.95 and abs(a.mean() - 2.55) < 0.1
    assert p.min() < 0.01 and p.max() > math.pi - 0.01 and abs(p.mean() - math.pi / 2) < 0.06
    xs = t.x_query.numpy()
    assert abs(xs.mean()) < 0.05 and abs(xs.var() - 100 / 12) < 0.2  # U[-5, 5]: var 25/3
    want = a[:, None, None] * np.sin(t.x_support.numpy() - p[:, None, None])
    np.testing.assert_allclose(t.y_support.numpy(), want, atol=1e-5)


def test_sinusoid_tasks_are_seeded_and_sliceable():
    a, b = meta.sinusoid_tasks(4, 3, seed=1), meta.sinusoid_tasks(4, 3, seed=1)
    c = meta.sinusoid_tasks(4, 3, seed=2)
    assert torch.equal(a.x_support, b.x_support) and not torch.equal(a.x_support, c.x_support)
    one = a[2]
    assert len(one) == 1 and torch.equal(one.x_query[0], a.x_query[2])
    assert a.with_shots(2).x_support.shape == (4, 2, 1)
    grid = meta.sinusoid_tasks(2, 1, 11, query_grid=True)
    assert torch.allclose(grid.x_query[1, :, 0], torch.linspace(-5, 5, 11))


@pytest.mark.parametrize("kwargs", [dict(n_tasks=0), dict(k_shot=-1), dict(k_query=2.5)])
def test_sinusoid_tasks_bad_input(kwargs):
    args = dict(n_tasks=2, k_shot=3, k_query=4) | kwargs
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        meta.sinusoid_tasks(**args)


# ------------------------------------------------------------------------------- the regressor
def test_functional_regressor_matches_nn_sequential_and_batches_tasks():
    params = _params64(hidden=40)
    x = torch.linspace(-5, 5, 9, dtype=F64)[:, None]
    net = _sequential(params)
    torch.testing.assert_close(meta.predict(params, x), net(x))
    # per-task weights (T, ...) give each task its own network
    batched = {k: torch.stack([v, 2 * v]) for k, v in params.items()}
    out = meta.predict(batched, torch.stack([x, x]))
    torch.testing.assert_close(out[0], net(x))
    torch.testing.assert_close(out[1], meta.predict({k: 2 * v for k, v in params.items()}, x))


# ---------------------------------------------------------------------------------------- MAML
def test_inner_step_matches_torch_optim_sgd_on_a_copied_module():
    params = _params64(hidden=10)
    t = _double(meta.sinusoid_tasks(1, 6, seed=4))
    x, y = t.x_support[0], t.y_support[0]
    net = _sequential(params)
    opt = torch.optim.SGD(net.parameters(), lr=0.03)
    for _ in range(3):
        opt.zero_grad()
        nn.functional.mse_loss(net(x), y).backward()
        opt.step()
    adapted = meta.inner_adapt(params, x, y, steps=3, inner_lr=0.03)
    torch.testing.assert_close(meta.predict(adapted, x), net(x))
    torch.testing.assert_close(adapted["l2.weight"], net[2].weight, rtol=1e-10, atol=1e-12)


def test_inner_adapt_on_a_batch_equals_one_task_at_a_time():
    params = _params64(hidden=10)
    t = _double(meta.sinusoid_tasks(3, 5, seed=5))
    batch = meta.inner_adapt(params, t.x_support, t.y_support, steps=2, inner_lr=0.02)
    for i in range(3):
        one = meta.inner_adapt(params, t.x_support[i], t.y_support[i], steps=2, inner_lr=0.02)
        for k in params:
            torch.testing.assert_close(batch[k][i], one[k])


def test_inner_adapt_reduces_the_support_loss_and_works_without_grad():
    params = meta.load_maml("maml_k10")
    t = meta.sinusoid_tasks(50, 10, seed=6)
    before = meta.mse(meta.predict(params, t.x_support), t.y_support)
    with torch.no_grad():  # evaluation code: the inner loop still needs its gradients
        adapted = meta.inner_adapt(params, t.x_support, t.y_support, steps=5, inner_lr=0.01)
    after = meta.mse(meta.predict(adapted, t.x_support), t.y_support)
    assert float(after.mean().detach()) < 0.5 * float(before.mean())
    same = meta.inner_adapt(params, t.x_support, t.y_support, steps=0)
    assert same["l1.weight"].shape == (50, 40, 1)


def _flat_losses(params, x_s, y_s, x_q, y_q):
    """Support and query losses as functions of one flat parameter vector (for Hessians)."""
    names, shapes = list(params), [v.shape for v in params.values()]
    sizes = [v.numel() for v in params.values()]

    def unflatten(vec):
        return {n: p.reshape(s) for n, p, s in zip(names, vec.split(sizes), shapes, strict=True)}

    def net(vec, x):
        return torch.func.functional_call(_sequential(params), _seq_names(unflatten(vec)), (x,))

    def loss_s(vec):
        return nn.functional.mse_loss(net(vec, x_s), y_s)

    def loss_q(vec):
        return nn.functional.mse_loss(net(vec, x_q), y_q)

    flat = torch.cat([v.detach().reshape(-1) for v in params.values()])
    return flat, loss_s, loss_q, unflatten


def _seq_names(params):
    rename = {"l1": "0", "l2": "2", "l3": "4"}
    return {rename[k[:2]] + k[2:]: v for k, v in params.items()}


def test_second_order_meta_gradient_equals_the_hessian_formula():
    """∇_θ L_Q(θ - α∇L_S(θ)) = (I - α ∇²L_S(θ)) ∇L_Q(θ') with an explicit Hessian."""
    params = _params64(hidden=6, seed=1)
    t = _double(meta.sinusoid_tasks(1, 5, 8, seed=7))
    alpha = 0.1
    flat, loss_s, loss_q, _ = _flat_losses(
        params, t.x_support[0], t.y_support[0], t.x_query[0], t.y_query[0]
    )
    hess = torch.autograd.functional.hessian(loss_s, flat)
    g_s = torch.autograd.functional.jacobian(loss_s, flat)
    adapted = flat - alpha * g_s
    g_q = torch.autograd.functional.jacobian(loss_q, adapted)
    want = (torch.eye(len(flat), dtype=F64) - alpha * hess) @ g_q
    got = meta.meta_gradient(params, t, steps=1, inner_lr=alpha)
    torch.testing.assert_close(torch.cat([g.reshape(-1) for g in got.values()]), want)
    # first order: the query gradient at the adapted weights, no Hessian term
    fo = meta.meta_gradient(params, t, steps=1, inner_lr=alpha, first_order=True)
    torch.testing.assert_close(torch.cat([g.reshape(-1) for g in fo.values()]), g_q)
    assert not torch.allclose(want, g_q, atol=1e-6)  # the Hessian term matters here


def test_second_order_meta_gradient_matches_finite_differences_and_torch_func():
    params = _params64(hidden=8, seed=2)
    t = _double(meta.sinusoid_tasks(3, 4, 6, seed=8))
    opts = dict(steps=2, inner_lr=0.05)
    got = meta.meta_gradient(params, t, **opts)
    gen = torch.Generator().manual_seed(0)
    direction = {k: torch.randn(v.shape, generator=gen, dtype=F64) for k, v in params.items()}
    h = 1e-6
    with torch.no_grad():
        plus = meta.meta_loss({k: v + h * direction[k] for k, v in params.items()}, t, **opts)
        minus = meta.meta_loss({k: v - h * direction[k] for k, v in params.items()}, t, **opts)
    fd = float(plus - minus) / (2 * h)
    dot = float(sum((got[k] * direction[k]).sum() for k in params))
    assert abs(dot - fd) < 1e-6 * max(1.0, abs(fd))

    # torch.func: nested grad of the unrolled inner loop, task by task, on nn.Sequential
    net = _sequential(params)

    def task_loss(theta, xs, ys, xq, yq):
        def support_loss(th):
            return nn.functional.mse_loss(torch.func.functional_call(net, th, (xs,)), ys)

        for _ in range(2):
            grads = torch.func.grad(support_loss)(theta)
            theta = {k: theta[k] - 0.05 * grads[k] for k in theta}
        return nn.functional.mse_loss(torch.func.functional_call(net, theta, (xq,)), yq)

    theta = {k: v.detach() for k, v in _seq_names(params).items()}
    ref = {k: torch.zeros_like(v) for k, v in theta.items()}
    for i in range(3):
        g = torch.func.grad(task_loss)(
            theta, t.x_support[i], t.y_support[i], t.x_query[i], t.y_query[i]
        )
        ref = {k: ref[k] + g[k] / 3 for k in ref}
    for k, v in _seq_names(got).items():
        torch.testing.assert_close(v, ref[k])


def test_first_order_meta_gradient_is_the_query_gradient_at_the_adapted_weights():
    params = _params64(hidden=8, seed=3)
    t = _double(meta.sinusoid_tasks(2, 5, 7, seed=9))
    fo = meta.meta_gradient(params, t, steps=3, inner_lr=0.05, first_order=True)
    want = {k: torch.zeros_like(v) for k, v in params.items()}
    for i in range(2):  # reference: SGD on a copied nn.Module, then the query gradient there
        net = _sequential(params)
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        for _ in range(3):
            opt.zero_grad()
            nn.functional.mse_loss(net(t.x_support[i]), t.y_support[i]).backward()
            opt.step()
        opt.zero_grad()
        nn.functional.mse_loss(net(t.x_query[i]), t.y_query[i]).backward()
        for (k, v), j in zip(want.items(), (0, 0, 2, 2, 4, 4), strict=True):
            v += (net[j].weight.grad if k.endswith("weight") else net[j].bias.grad) / 2
    for k in params:
        torch.testing.assert_close(fo[k], want[k])


def test_maml_step_moves_the_parameters_down_the_meta_gradient():
    params = _params64(hidden=8, seed=4)
    t = _double(meta.sinusoid_tasks(4, 5, seed=10))
    grads = meta.meta_gradient(params, t)
    before = {k: v.detach().clone() for k, v in params.items()}
    loss = meta.maml_step(params, t, torch.optim.SGD(params.values(), lr=0.1))
    assert loss == pytest.approx(float(meta.meta_loss(before, t).detach()), rel=1e-12)
    for k in params:
        torch.testing.assert_close(params[k].detach(), before[k] - 0.1 * grads[k])


def test_training_a_few_hundred_steps_beats_the_untrained_initialisation():
    test = meta.sinusoid_tasks(200, 10, 50, seed=11)
    params0 = meta.init_params(0)
    trained, history = meta.train_maml(10, 300, seed=0)
    assert len(history) == 300
    assert meta.evaluate(trained, test).mean() < 0.8 * meta.evaluate(params0, test).mean()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda p, t: meta.inner_adapt(p, t.x_support[0, :, 0], t.y_support[0, :, 0]), "x_support"),
        (lambda p, t: meta.inner_adapt(p, t.x_support, t.y_query), "y_support"),
        (lambda p, t: meta.inner_adapt(p, t.x_support, t.y_support, steps=-1), "steps"),
        (lambda p, t: meta.inner_adapt(p, t.x_support, t.y_support, inner_lr=0.0), "inner_lr"),
        (lambda p, t: meta.inner_adapt(p, t.x_support * math.nan, t.y_support), "NaN"),
        (lambda p, t: meta.train_maml(5, 0), "n_iter"),
        (lambda p, t: meta.Hypernetwork(3, {"w": (2,)})(torch.zeros(4, 3)), "s must have"),
    ],
)
def test_bad_input_raises_clearly(call, match):
    params, t = meta.init_params(0), meta.sinusoid_tasks(2, 4, 3, seed=0)
    with pytest.raises(ValueError, match=match):
        call(params, t)


# ------------------------------------------------------------------ hypernetworks and HyperMAML
def test_hypernetwork_output_shapes_and_permutation_invariance():
    shapes = {"a": (3, 2), "b": (5,)}
    hyper = meta.Hypernetwork(4, shapes, hidden=16)
    nn.init.normal_(hyper.head.weight)  # the head starts at zero; make it say something
    s = torch.randn(7, 6, 4)
    out = hyper(s)
    assert out["a"].shape == (7, 3, 2) and out["b"].shape == (7, 5)
    perm = hyper(s[:, torch.randperm(6)])
    torch.testing.assert_close(perm["a"], out["a"])


def test_hypernetwork_can_fit_a_single_task():
    """Weights generated from one support set fit that task's query set (target net 1-40-40-1)."""
    torch.manual_seed(0)
    t = meta.sinusoid_tasks(1, 10, 50, seed=12)
    shapes = {k: tuple(v.shape) for k, v in meta.init_params(0).items()}
    hyper = meta.Hypernetwork(2, shapes, hidden=32)
    with torch.no_grad():  # a nonzero starting point: the init of the target net
        hyper.head.bias.copy_(torch.cat([v.reshape(-1) for v in meta.init_params(0).values()]))
    opt = torch.optim.Adam(hyper.parameters(), lr=1e-3)
    s = torch.cat([t.x_support, t.y_support], dim=-1)
    start = float(meta.mse(meta.predict(hyper(s), t.x_query), t.y_query))
    for _ in range(600):
        opt.zero_grad()
        loss = meta.mse(meta.predict(hyper(s), t.x_query), t.y_query).mean()
        loss.backward()
        opt.step()
    assert float(loss) < 0.02 * start and float(loss) < 0.05 * float(t.y_query.var())


def test_hypermaml_starts_at_the_universal_weights_and_updates_only_the_head():
    model = meta.HyperMAML(seed=0)
    t = meta.sinusoid_tasks(3, 5, 8, seed=13)
    params = dict(model.net.named_parameters())
    adapted = model.adapted_params(t.x_support, t.y_support)
    for k, v in params.items():  # zero-initialised head: θ_i = θ for every task
        torch.testing.assert_close(adapted[k], v.expand(3, *v.shape))
    torch.testing.assert_close(model(t.x_support, t.y_support, t.x_query), model.net(t.x_query))
    nn.init.normal_(model.hyper.head.weight, std=0.1)
    adapted = model.adapted_params(t.x_support, t.y_support)
    for k, v in params.items():
        changed = not torch.allclose(adapted[k][0], v)
        assert changed == (k in meta.HEAD)
    # the update's gradient reaches θ, H and the embedding (all three are meta-learned)
    meta.hypermaml_loss(model, t).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_stored_checkpoints_load_and_meta_learn():
    test = meta.sinusoid_tasks(300, 10, 100, seed=14)
    maml10, maml5 = meta.load_maml("maml_k10"), meta.load_maml("maml_k5")
    base = meta.load_maml("pretrained")
    for name, _ in meta.CHECKPOINTS.items():
        assert checkpoints.path(f"meta.{name}").stat().st_size < 1_000_000
    mse10 = float(meta.evaluate(maml10, test).mean())
    mse5 = float(meta.evaluate(maml5, test.with_shots(5)).mean())
    base10 = float(meta.evaluate(base, test, steps=10).mean())
    assert mse10 < 1.0 and mse5 < 1.5  # one step from the meta-learned start
    assert mse10 < 0.5 * base10  # the pretrained baseline cannot adapt in 10 steps
    hyper = meta.load_hypermaml()
    with torch.no_grad():
        pred = hyper(test.x_support, test.y_support, test.x_query)
    assert float(meta.mse(pred, test.y_query).mean()) < 1.0
