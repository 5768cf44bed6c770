"""Normalizing-flow layers against autograd Jacobians, scipy and numerical quadrature."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from course_lib import flows as F

D = 3


def _randomise(module: torch.nn.Module, scale: float = 0.4, seed: int = 0) -> torch.nn.Module:
    """Move every parameter away from its (often identity) initialisation, in float64."""
    g = torch.Generator().manual_seed(seed)
    module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def _layers(dim: int = D) -> dict[str, F.Flow]:
    torch.manual_seed(1)
    mask = [1.0, 0.0] * (dim // 2) + [1.0] * (dim % 2)
    return {
        "elementwise": F.ElementwiseAffine(dim),
        "lower": F.TriangularLinear(dim),
        "upper": F.TriangularLinear(dim, lower=False),
        "lu": F.LULinear(dim),
        "householder": F.HouseholderLinear(dim, n_reflections=2),
        "permutation": F.Permutation(list(range(dim))[::-1]),
        "leaky": F.LeakyReLUFlow(0.2),
        "coupling": F.AffineCoupling(dim, mask, hidden=16),
        "planar": F.PlanarFlow(dim),
        "composite": F.Composite(
            F.LULinear(dim), F.LeakyReLUFlow(0.5), F.AffineCoupling(dim, mask, hidden=8)
        ),
    }


def _autograd_log_det(flow: F.Flow, x: torch.Tensor) -> torch.Tensor:
    """log |det ∂z/∂x| per sample from the full autograd Jacobian (independent reference)."""
    jac = torch.stack(
        [torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], xi) for xi in x]
    )
    sign, logabs = torch.linalg.slogdet(jac)
    assert (sign != 0).all()
    return logabs


@pytest.mark.parametrize("name", list(_layers()))
def test_log_det_matches_autograd_jacobian(name):
    flow = _randomise(_layers()[name])
    x = torch.randn(6, D, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    z, log_det = flow(x)
    assert z.shape == (6, D) and log_det.shape == (6,)
    torch.testing.assert_close(log_det, _autograd_log_det(flow, x), atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("name", list(_layers()))
def test_inverse_undoes_forward(name):
    flow = _randomise(_layers()[name])
    x = 2 * torch.randn(50, D, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    z, _ = flow(x)
    torch.testing.assert_close(flow.inverse(z), x, atol=1e-9, rtol=1e-9)
    torch.testing.assert_close(flow(flow.inverse(x))[0], x, atol=1e-9, rtol=1e-9)


def test_composite_sums_log_dets_and_inverts_in_reverse_order():
    torch.manual_seed(4)
    a, b = _randomise(F.LULinear(D), seed=1), _randomise(F.PlanarFlow(D), seed=2)
    x = torch.randn(7, D, dtype=torch.float64)
    za, lda = a(x)
    zb, ldb = b(za)
    z, ld = F.Composite(a, b)(x)
    torch.testing.assert_close(z, zb)
    torch.testing.assert_close(ld, lda + ldb)
    torch.testing.assert_close(F.Composite(a, b).inverse(z), a.inverse(b.inverse(z)))


def test_composite_accepts_layers_that_override_forward_and_inverse():
    class Shift(F.Flow):  # a user layer written against the public interface only
        def forward(self, x):
            return x + 1.0, torch.zeros(len(x), dtype=x.dtype)

        def inverse(self, z):
            return z - 1.0

    model = F.NormalizingFlow([Shift(), F.ElementwiseAffine(2).double()], dim=2)
    x = torch.zeros(3, 2, dtype=torch.float64)
    ref = stats.multivariate_normal(-np.ones(2), np.eye(2)).logpdf(x.numpy())
    np.testing.assert_allclose(model.log_prob(x).detach().numpy(), ref, atol=1e-12)
    torch.testing.assert_close(model.inverse(model(x)[0]), x)


def test_linear_layers_have_the_stated_structure():
    tri = _randomise(F.TriangularLinear(4))
    assert torch.equal(tri.matrix(), torch.tril(tri.matrix()))
    up = _randomise(F.TriangularLinear(4, lower=False))
    assert torch.equal(up.matrix(), torch.triu(up.matrix()))
    lu = _randomise(F.LULinear(4))
    w = lu.weight()
    torch.testing.assert_close(lu.log_abs_diag.sum(), torch.linalg.slogdet(w).logabsdet)
    q = _randomise(F.HouseholderLinear(4, n_reflections=3)).matrix()
    torch.testing.assert_close(q @ q.T, torch.eye(4, dtype=q.dtype))


def test_planar_u_hat_satisfies_the_invertibility_condition():
    g = torch.Generator().manual_seed(5)
    flow = F.PlanarFlow(4).double()
    for _ in range(50):
        with torch.no_grad():
            flow.u.copy_(5 * torch.randn(4, generator=g, dtype=torch.float64))
            flow.w.copy_(torch.randn(4, generator=g, dtype=torch.float64))
        wu = float((flow.w @ flow.u).detach())
        u_hat = flow.u_hat()
        w_u_hat = float((flow.w @ u_hat).detach())
        assert w_u_hat >= -1
        assert w_u_hat == pytest.approx(-1 + math.log1p(math.exp(wu)), abs=1e-10)
        # the correction moves u along w only
        diff = (u_hat - flow.u).detach().numpy()
        assert np.linalg.matrix_rank(np.stack([diff, flow.w.detach().numpy()]), tol=1e-8) <= 1


def test_planar_inverse_is_exact_even_near_the_boundary():
    flow = F.PlanarFlow(2).double()
    with torch.no_grad():
        flow.w.copy_(torch.tensor([3.0, 0.0]))
        flow.u.copy_(torch.tensor([-20.0, 1.0]))  # wᵀu = -60, so wᵀû ≈ -1
        flow.b.fill_(0.5)
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    z, _ = flow(x)
    torch.testing.assert_close(flow.inverse(z), x, atol=1e-6, rtol=0)


def test_log_prob_integrates_to_one_on_a_grid():
    torch.manual_seed(7)
    layers = [
        F.ElementwiseAffine(2),
        F.AffineCoupling(2, [1, 0], hidden=8),
        F.LeakyReLUFlow(0.5),
        F.PlanarFlow(2),
        F.AffineCoupling(2, [0, 1], hidden=8),
    ]
    model = F.NormalizingFlow(layers, 2)
    _randomise(model, scale=0.3, seed=8)
    grid = torch.linspace(-12, 12, 601, dtype=torch.float64)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    with torch.no_grad():
        p = model.log_prob(torch.stack([xx.ravel(), yy.ravel()], 1)).exp().reshape(601, 601)
    mass = integrate.simpson(integrate.simpson(p.numpy(), x=grid.numpy()), x=grid.numpy())
    assert mass == pytest.approx(1.0, abs=5e-3)


def test_affine_flow_log_prob_is_the_implied_gaussian():
    # x = F^{-1}(z) = A^{-1}(z - b) with z ~ N(0, I) is N(-A^{-1} b, (AᵀA)^{-1})
    torch.manual_seed(9)
    lu, tri = _randomise(F.LULinear(3), seed=3), _randomise(F.TriangularLinear(3), seed=4)
    model = F.NormalizingFlow([lu, tri], 3)
    a = tri.matrix() @ lu.weight()
    b = tri.matrix() @ lu.bias + tri.bias
    a_inv = torch.linalg.inv(a).detach().numpy()
    mean = -a_inv @ b.detach().numpy()
    cov = a_inv @ a_inv.T
    x = model.sample(200, generator=torch.Generator().manual_seed(10)).detach()
    ref = stats.multivariate_normal(mean, cov).logpdf(x.numpy())
    np.testing.assert_allclose(model.log_prob(x).detach().numpy(), ref, atol=1e-9)
    # and the samples have that distribution
    big = model.sample(40_000, generator=torch.Generator().manual_seed(11)).detach().numpy()
    np.testing.assert_allclose(big.mean(0), mean, atol=0.05 * np.sqrt(cov.diagonal()).max())
    np.testing.assert_allclose(np.cov(big.T), cov, atol=0.05 * cov.diagonal().max())


def test_sample_then_log_prob_round_trips_through_the_base():
    torch.manual_seed(12)
    model = _randomise(F.real_nvp(2, n_layers=4, hidden=16), scale=0.2)
    x = model.sample(100, generator=torch.Generator().manual_seed(13))
    z, log_det = model(x)
    z_ref = torch.randn(100, 2, generator=torch.Generator().manual_seed(13), dtype=torch.float64)
    torch.testing.assert_close(z, z_ref, atol=1e-9, rtol=1e-9)
    # same seed, same samples
    torch.testing.assert_close(model.sample(100, generator=torch.Generator().manual_seed(13)), x)


def test_stacked_lower_triangular_maps_stay_lower_triangular():
    torch.manual_seed(14)
    flow = _randomise(
        F.Composite(
            F.TriangularLinear(3),
            F.LeakyReLUFlow(0.3),
            F.AffineCoupling(3, [1, 1, 0], hidden=8),
            F.TriangularLinear(3),
        )
    )
    x = torch.randn(3, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x)
    assert torch.equal(jac, torch.tril(jac))
    mixed = F.Composite(flow, _randomise(F.TriangularLinear(3, lower=False)))
    jac = torch.autograd.functional.jacobian(lambda v: mixed(v[None])[0][0], x)
    assert (torch.triu(jac, 1).abs() > 1e-6).any()


def test_toy_floors_match_independent_monte_carlo():
    # checkerboard: uniform on 8 squares of area 4, H = log 32 exactly
    assert F.ENTROPY_FLOORS["checkerboard"] == pytest.approx(math.log(32))
    x = F.toy("checkerboard", 20_000, seed=1).double()
    assert torch.isfinite(F.toy_log_prob("checkerboard", x)).all()
    assert x.abs().max() <= 4 and x.abs().max() > 3.9
    # 8 Gaussians: scipy mixture density on fresh samples
    x = F.toy("8gaussians", 20_000, seed=2).double().numpy()
    angles = 2 * np.pi * np.arange(8) / 8
    centers = 2 * np.sqrt(2) * np.stack([np.cos(angles), np.sin(angles)], 1)
    dens = np.mean(
        [stats.multivariate_normal(c, 0.125 * np.eye(2)).pdf(x) for c in centers], axis=0
    )
    np.testing.assert_allclose(
        F.toy_log_prob("8gaussians", torch.as_tensor(x)).numpy(), np.log(dens), atol=1e-9
    )
    assert -np.log(dens).mean() == pytest.approx(F.ENTROPY_FLOORS["8gaussians"], abs=0.02)
    # moons: density integrates to 1, its entropy matches the stored floor
    grid = np.linspace(-5, 5, 201)
    xx, yy = np.meshgrid(grid, grid, indexing="ij")
    lp = F.toy_log_prob("moons", torch.as_tensor(np.stack([xx.ravel(), yy.ravel()], 1)))
    p = lp.exp().numpy().reshape(201, 201)
    assert integrate.simpson(integrate.simpson(p, x=grid), x=grid) == pytest.approx(1, abs=1e-4)
    h = -integrate.simpson(integrate.simpson(p * np.log(np.maximum(p, 1e-300)), x=grid), x=grid)
    assert h == pytest.approx(F.ENTROPY_FLOORS["moons"], abs=0.01)


def test_train_flow_lowers_the_nll_and_is_seeded():
    data = F.toy("8gaussians", 2000, seed=0)

    def fit():
        torch.manual_seed(0)
        model = F.real_nvp(2, n_layers=2, hidden=8)
        losses = F.train_flow(model, data, steps=60, batch=128, lr=1e-2, seed=3)
        return model, losses

    (m1, l1), (_, l2) = fit(), fit()
    assert l1 == l2
    assert F.nll(m1, data) < l1[0] - 0.3
    sampler_losses = F.train_flow(
        F.real_nvp(2, 2, 8), lambda n, seed: F.toy("moons", n, seed=seed), steps=5, batch=16
    )
    assert len(sampler_losses) == 5


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="dim"):
        F.PlanarFlow(0)
    with pytest.raises(ValueError, match="mask"):
        F.AffineCoupling(2, [1, 1])
    with pytest.raises(ValueError, match="mask"):
        F.AffineCoupling(3, [1, 0])
    with pytest.raises(ValueError, match="negative_slope"):
        F.LeakyReLUFlow(-0.1)
    with pytest.raises(ValueError, match="perm"):
        F.Permutation([0, 0])
    with pytest.raises(ValueError, match="n_reflections"):
        F.HouseholderLinear(3, 0)
    with pytest.raises(ValueError, match="x must have D = 2"):
        F.LULinear(2)(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"z must have shape \(N, D\)"):
        F.LULinear(2).inverse(torch.zeros(4))
    with pytest.raises(TypeError, match="layer 1 must be a Flow"):
        F.Composite(F.LULinear(2), torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="share one dimension"):
        F.Composite(F.LULinear(2), F.LULinear(3))
    model = F.real_nvp(2, 2, 8)
    with pytest.raises(ValueError, match="NaN"):
        model.log_prob(torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        model.sample(0)
    with pytest.raises(TypeError, match="model must be a NormalizingFlow"):
        F.nll(F.LULinear(2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="steps"):
        F.train_flow(model, torch.zeros(10, 2), steps=0)
    with pytest.raises(ValueError, match="lr"):
        F.train_flow(model, torch.zeros(10, 2), steps=1, lr=0.0)
    with pytest.raises(ValueError, match="unknown toy"):
        F.toy("rings", 10)


GOALS = {"moons": 2.42, "8gaussians": 2.95, "checkerboard": 3.70}


@pytest.mark.parametrize("name", list(GOALS))
def test_stored_real_nvp_checkpoints_load_and_fit(name):
    from course_lib import checkpoints

    key = f"flows.realnvp_{name}"
    if key not in checkpoints.stored():
        pytest.skip(f"{key} not stored; make it with `python -m course_lib.checkpoints {key}`")
    assert checkpoints.path(key).stat().st_size < 1_000_000
    model = F.real_nvp_from_checkpoint(checkpoints.load(key))
    test_nll = F.nll(model, F.toy(name, 20_000, seed=4242))  # fresh samples
    assert F.ENTROPY_FLOORS[name] - 0.02 < test_nll < GOALS[name] + 0.05
    x = model.sample(500, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(model.log_prob(x)).all()
