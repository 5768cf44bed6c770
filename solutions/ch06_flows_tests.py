"""Hidden graded checks for ``ch06_flows`` (never copied to ``exercises/``).

Each ``@check`` receives the executed notebook's namespace ``nb`` and compares the student's
functions with independent references: the determinant of an autograd Jacobian
(``torch.autograd.functional.jacobian`` + ``torch.linalg.slogdet``) of a map written here
coordinate by coordinate, central finite differences of the student's own map, round trips,
and the closed form w·û = -1 + log(1 + e^{w·u}). Seeded data, explicit tolerances.
"""

import math

import numpy as np
import torch

from course_grader.checks import check

F64 = torch.float64


def _num(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def _layer(seed: int, dim: int, mask: list[float]):
    g = torch.Generator().manual_seed(seed)
    W = 0.8 * torch.randn(2 * dim, dim, generator=g, dtype=F64)
    c = 0.5 * torch.randn(2 * dim, generator=g, dtype=F64)
    x = 1.5 * torch.randn(25, dim, generator=g, dtype=F64)
    return torch.tensor(mask, dtype=F64), W, c, x


def _reference_coupling(x: torch.Tensor, mask: torch.Tensor, W, c) -> torch.Tensor:
    """The coupling map of one point x (D,), written coordinate by coordinate."""
    dim = len(x)
    kept = torch.stack([x[j] if mask[j] == 1 else x[j] * 0 for j in range(dim)])
    out = []
    for i in range(dim):
        if mask[i] == 1:
            out.append(x[i])
        else:
            s = torch.tanh(W[i] @ kept + c[i])
            t = W[dim + i] @ kept + c[dim + i]
            out.append(x[i] * torch.exp(s) + t)
    return torch.stack(out)


def _forward(nb, x, mask, W, c) -> tuple[np.ndarray, np.ndarray]:
    result = nb.coupling_forward(x, mask, W, c)
    assert len(result) == 2, "coupling_forward must return (z, log_det)"
    z, log_det = _num(result[0]), _num(result[1])
    assert z.shape == tuple(x.shape), f"z has shape {z.shape}, expected {tuple(x.shape)}"
    assert log_det.shape == (len(x),), f"log_det has shape {log_det.shape}, expected ({len(x)},)"
    return z, log_det


MASKS = [(11, 2, [1.0, 0.0]), (12, 2, [0.0, 1.0]), (13, 5, [1.0, 0.0, 0.0, 1.0, 0.0])]


# ------------------------------------------------- Q1: coupling forward + log-det (4 points)


@check(
    "q1_coupling_forward",
    points=1,
    message="coupling_forward(x, mask, W, c) returns the wrong z: kept coordinates must pass "
    "unchanged, the others become x * exp(s) + t with s, t computed from mask * x.",
)
def coupling_z_matches_reference(nb):
    for seed, dim, mask in MASKS:
        m, W, c, x = _layer(seed, dim, mask)
        z, _ = _forward(nb, x, m, W, c)
        want = torch.stack([_reference_coupling(xi, m, W, c) for xi in x]).numpy()
        err = np.abs(z - want).max()
        assert err < 1e-10, f"D = {dim}, mask {mask}: max |z - reference| = {err:.3g}"


@check(
    "q1_coupling_forward",
    points=2,
    message="log_det disagrees with log|det J| of the autograd Jacobian of the coupling map "
    "(sum s over the transformed coordinates only).",
)
def coupling_log_det_matches_autograd(nb):
    for seed, dim, mask in MASKS:
        m, W, c, x = _layer(seed, dim, mask)
        _, log_det = _forward(nb, x, m, W, c)
        for i in range(5):
            jac = torch.autograd.functional.jacobian(
                lambda v, m=m, W=W, c=c: _reference_coupling(v, m, W, c), x[i]
            )
            want = float(torch.linalg.slogdet(jac).logabsdet)
            assert abs(log_det[i] - want) < 1e-10, (
                f"D = {dim}, mask {mask}, sample {i}: log_det = {log_det[i]:.8g}, "
                f"log|det J| = {want:.8g}"
            )


@check(
    "q1_coupling_forward",
    points=1,
    message="the Jacobian of coupling_forward (by finite differences) is not triangular with "
    "diagonal 1 (kept) and exp(s_i) (transformed): s and t must see only mask * x.",
)
def coupling_jacobian_structure(nb):
    seed, dim, mask = MASKS[2]
    m, W, c, x = _layer(seed, dim, mask)
    h = 1e-6
    kept = [j for j in range(dim) if mask[j] == 1]
    for x0 in x[:3]:
        pts = torch.cat([x0 + h * torch.eye(dim, dtype=F64), x0 - h * torch.eye(dim, dtype=F64)])
        z, _ = _forward(nb, pts, m, W, c)
        jac = (z[:dim] - z[dim:]).T / (2 * h)  # jac[i, j] = dz_i / dx_j
        for i in range(dim):
            for j in range(dim):
                if mask[j] == 0 and i != j:  # a transformed x_j moves no other coordinate
                    assert abs(jac[i, j]) < 1e-6, f"dz_{i}/dx_{j} = {jac[i, j]:.3g}, expected 0"
        ref = torch.autograd.functional.jacobian(lambda v: _reference_coupling(v, m, W, c), x0)
        for i in range(dim):  # diagonal: 1 on kept coordinates, exp(s_i) on the others
            assert abs(jac[i, i] - float(ref[i, i])) < 1e-6, (
                f"dz_{i}/dx_{i} = {jac[i, i]:.6g}, expected {float(ref[i, i]):.6g}"
                + (" (a kept coordinate)" if i in kept else " (= exp(s_i))")
            )


# ----------------------------------------------------------- Q2: coupling inverse (3 points)


@check(
    "q2_coupling_inverse",
    points=2,
    message="coupling_inverse does not undo the coupling map: inverse(forward(x)) != x "
    "(recompute s, t from mask * z, then x = (z - t) * exp(-s) on the free coordinates).",
)
def coupling_inverse_undoes_reference_forward(nb):
    for seed, dim, mask in MASKS:
        m, W, c, x = _layer(seed + 100, dim, mask)
        z = torch.stack([_reference_coupling(xi, m, W, c) for xi in x])
        got = _num(nb.coupling_inverse(z, m, W, c))
        err = np.abs(got - x.numpy()).max()
        assert err < 1e-10, f"D = {dim}, mask {mask}: max |inverse(forward(x)) - x| = {err:.3g}"


@check(
    "q2_coupling_inverse",
    points=1,
    message="coupling_inverse(z) is not a right inverse: the reference forward map of "
    "inverse(z) does not give back z.",
)
def coupling_forward_of_inverse_is_identity(nb):
    for seed, dim, mask in MASKS:
        m, W, c, _ = _layer(seed + 200, dim, mask)
        z = torch.randn(20, dim, generator=torch.Generator().manual_seed(seed), dtype=F64)
        x = torch.as_tensor(_num(nb.coupling_inverse(z, m, W, c)))
        back = torch.stack([_reference_coupling(xi, m, W, c) for xi in x])
        err = float((back - z).abs().max())
        assert err < 1e-10, f"D = {dim}, mask {mask}: max |forward(inverse(z)) - z| = {err:.3g}"


# ------------------------------------------------------------------ Q3: planar flow (4 points)


def _planar_cases():
    g = torch.Generator().manual_seed(31)
    cases = [
        (torch.tensor([-3.0, 0.5], dtype=F64), torch.tensor([1.0, 0.2], dtype=F64)),
        (torch.tensor([2.0, -1.0, 0.5], dtype=F64), torch.tensor([-0.3, 0.1, 2.0], dtype=F64)),
    ]
    for dim in (2, 4, 6):
        cases.append(
            (3 * torch.randn(dim, generator=g, dtype=F64), torch.randn(dim, generator=g, dtype=F64))
        )
    return cases


@check(
    "q3_planar",
    points=1,
    message="planar_u_hat(u, w) does not satisfy w·û = -1 + log(1 + exp(w·u)).",
)
def u_hat_closed_form(nb):
    for u, w in _planar_cases():
        wu = float(w @ u)
        want = -1 + math.log1p(math.exp(wu))
        got = float(_num(w) @ _num(nb.planar_u_hat(u, w)))
        assert abs(got - want) < 1e-10, f"w·u = {wu:.4g}: w·û = {got:.10g}, expected {want:.10g}"


@check(
    "q3_planar",
    points=1,
    message="planar_u_hat(u, w) must change u along w only (û - u a multiple of w) and so "
    "that w·û > -1 even when w·u < -1.",
)
def u_hat_moves_along_w(nb):
    for u, w in _planar_cases():
        diff = _num(nb.planar_u_hat(u, w)) - u.numpy()
        w_np = w.numpy()
        w_u_hat = float(w_np @ (u.numpy() + diff))
        assert w_u_hat > -1, f"w·u = {float(w @ u):.4g} gives w·û = {w_u_hat:.6g}, not > -1"
        perp = diff - (diff @ w_np) / (w_np @ w_np) * w_np
        assert np.abs(perp).max() < 1e-10, f"û - u has a component {np.abs(perp).max():.3g} ⟂ w"


@check(
    "q3_planar",
    points=2,
    message="planar_log_det disagrees with log|det J| of the autograd Jacobian of "
    "f(x) = x + û tanh(w·x + b) (use û, and tanh' = 1 - tanh²).",
)
def planar_log_det_matches_autograd(nb):
    g = torch.Generator().manual_seed(32)
    for u, w in _planar_cases():
        wu = w @ u
        u_hat = u + (-1 + torch.nn.functional.softplus(wu) - wu) * w / (w @ w)
        b = 0.7
        x = torch.randn(6, len(u), generator=g, dtype=F64)
        got = _num(nb.planar_log_det(x, u, w, b))
        assert got.shape == (6,), f"planar_log_det returned shape {got.shape}, expected (6,)"
        for i in range(6):
            jac = torch.autograd.functional.jacobian(
                lambda v, u_hat=u_hat, w=w, b=b: v + u_hat * torch.tanh(w @ v + b), x[i]
            )
            want = float(torch.linalg.slogdet(jac).logabsdet)
            assert abs(got[i] - want) < 1e-10, (
                f"D = {len(u)}, sample {i}: planar_log_det = {got[i]:.8g}, log|det J| = {want:.8g}"
            )
