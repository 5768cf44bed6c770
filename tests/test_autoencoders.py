"""Chapter 4: Hopfield recall and autoencoders, each checked against an independent reference
(torch.distributions, autograd Jacobians, sklearn PCA, scipy principal angles, quadrature,
brute-force loops and Monte Carlo)."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from torch.distributions import Bernoulli, Normal, kl_divergence

from course_lib import autoencoders as ae
from course_lib import divergences as dv
from course_lib import hopfield

F64 = torch.float64


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------ Hopfield
def _random_patterns(p, n, seed):
    u = torch.rand(p, n, generator=_gen(seed), dtype=F64)
    return torch.where(u < 0.5, -1.0, 1.0).to(F64)


def test_hebbian_weights_match_a_loop_and_are_symmetric_with_zero_diagonal():
    xi = _random_patterns(4, 30, 0)
    w = hopfield.hopfield_weights(xi)
    ref = torch.zeros(30, 30, dtype=F64)
    for i in range(30):
        for j in range(30):
            if i != j:
                ref[i, j] = sum(xi[m, i] * xi[m, j] for m in range(4)) / 30
    assert torch.allclose(w, ref, atol=1e-12)
    assert torch.equal(w, w.T) and torch.all(w.diagonal() == 0)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stored_patterns_are_fixed_points(mode):
    xi = _random_patterns(5, 100, 1)  # 5 patterns << 0.14 * 100
    w = hopfield.hopfield_weights(xi)
    assert torch.equal(hopfield.update(w, xi, mode=mode, generator=_gen(0)), xi)
    for pattern in xi:
        assert torch.equal(hopfield.update(w, pattern, mode=mode, generator=_gen(0)), pattern)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_corrupted_pattern_is_recalled_and_async_energy_never_rises(mode):
    xi = _random_patterns(5, 100, 2)
    w = hopfield.hopfield_weights(xi)
    flip = torch.randperm(100, generator=_gen(3))[:15]  # 15% of the units flipped
    noisy = xi.clone()
    noisy[:, flip] *= -1
    r = hopfield.recall(w, noisy, mode=mode, seed=0)
    assert r.converged and torch.equal(r.state, xi)
    # the energy, computed here by brute force, is lowest at the stored patterns
    e = [-0.5 * float(s @ w @ s) for s in r.state]
    assert np.allclose(e, hopfield.energy(w, r.state).tolist())
    if mode == "async":
        assert all(b <= a + 1e-12 for a, b in zip(r.energies, r.energies[1:], strict=False))


def test_hopfield_rejects_bad_input():
    with pytest.raises(ValueError, match="-1 and \\+1"):
        hopfield.hopfield_weights(torch.tensor([[0.0, 1.0, 1.0]]))
    w = hopfield.hopfield_weights(_random_patterns(2, 6, 0))
    with pytest.raises(ValueError, match="square"):
        hopfield.update(w, torch.ones(5))
    with pytest.raises(ValueError, match="mode"):
        hopfield.recall(w, torch.ones(6), mode="parallel")
    with pytest.raises(ValueError, match="NaN"):
        hopfield.to_spins(torch.tensor([0.2, math.nan]))
    assert torch.equal(hopfield.to_spins(torch.tensor([0.2, 0.5, 0.9])), torch.tensor([-1.0, 1, 1]))


# ------------------------------------------------------------------ data and penalties
def test_binarize_is_the_digits_threshold_8_of_16():
    raw = torch.tensor(load_digits().data)
    assert torch.equal(ae.binarize(raw / 16.0), (raw >= 8).to(F64))
    with pytest.raises(ValueError, match="NaN"):
        ae.binarize(torch.tensor([math.nan]))


def test_contractive_penalty_is_the_squared_frobenius_norm_of_the_autograd_jacobian():
    model = ae._seeded(lambda: ae.Autoencoder(7, 3, (5,)).double(), 0)
    x = torch.rand(4, 7, generator=_gen(1), dtype=F64)
    got = ae.contractive_penalty(model.encoder, x)
    for i in range(4):
        jac = torch.autograd.functional.jacobian(model.encoder, x[i])  # (3, 7)
        assert torch.allclose(got[i], jac.pow(2).sum(), rtol=1e-10)
    got.sum().backward()  # differentiable in the weights: it can be trained
    weights = [p for name, p in model.encoder.named_parameters() if name.endswith("weight")]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)
    with pytest.raises(ValueError, match="shape"):
        ae.contractive_penalty(model.encoder, torch.rand(7))


def test_sparsity_penalties_match_references():
    h = torch.rand(50, 6, generator=_gen(2), dtype=F64) * 0.9 + 0.05
    rho = 0.1
    ref = kl_divergence(Bernoulli(torch.full((6,), rho, dtype=F64)), Bernoulli(h.mean(0))).sum()
    assert torch.allclose(ae.kl_sparsity(h, rho), ref, rtol=1e-10)
    assert torch.allclose(ae.l1_penalty(h - 0.5), torch.linalg.vector_norm(h - 0.5, 1, dim=-1))
    with pytest.raises(ValueError, match="rho"):
        ae.kl_sparsity(h, 1.5)


def test_corrupt_masks_the_requested_fraction_and_rejects_bad_levels():
    x = torch.ones(200, 64, dtype=F64)
    masked = ae.corrupt(x, kind="mask", level=0.3, generator=_gen(0))
    assert abs(float((masked == 0).double().mean()) - 0.3) < 0.01
    noisy = ae.corrupt(x * 0.5, kind="gaussian", level=0.1, generator=_gen(0))
    assert abs(float((noisy - 0.5).std()) - 0.1) < 0.005
    with pytest.raises(ValueError, match="level"):
        ae.corrupt(x, kind="mask", level=1.5)
    with pytest.raises(ValueError, match="kind"):
        ae.corrupt(x, kind="blur")


def test_reconstruction_error_and_likelihood_match_torch():
    logits = torch.randn(5, 64, generator=_gen(0), dtype=F64)
    x = (torch.rand(5, 64, generator=_gen(1), dtype=F64) < 0.5).to(F64)
    ref = Bernoulli(logits=logits).log_prob(x).sum(-1)
    assert torch.allclose(ae.bernoulli_log_likelihood(logits, x), ref, atol=1e-10)
    assert torch.allclose(ae.reconstruction_error(logits, x), -ref, atol=1e-10)
    mse = torch.nn.functional.mse_loss(logits, x, reduction="none").sum(-1)
    assert torch.allclose(ae.reconstruction_error(logits, x, kind="mse"), mse)
    with pytest.raises(ValueError, match="kind"):
        ae.reconstruction_error(logits, x, kind="l1")


# ------------------------------------------------------------------- linear AE = PCA
def test_linear_autoencoder_with_squared_error_spans_the_pca_subspace():
    g = _gen(4)
    scales = torch.tensor([3.0, 2.5, 2.0, 0.5, 0.4, 0.3, 0.2, 0.2, 0.1, 0.1], dtype=F64)
    rot = torch.linalg.qr(torch.randn(10, 10, generator=g, dtype=F64))[0]
    x = (torch.randn(400, 10, generator=g, dtype=F64) * scales) @ rot.T + 1.0
    model = ae._seeded(lambda: ae.Autoencoder(10, 3, hidden=()).double(), 0)
    ae.fit_full_batch(model, x, "ae", kind="mse", steps=10)
    pca = PCA(3).fit(x.numpy())
    decoder_cols = model.decoder[0].weight.detach().numpy()  # (10, 3): spans the output subspace
    encoder_rows = model.encoder[0].weight.detach().numpy().T  # (10, 3)
    for basis in (decoder_cols, encoder_rows):
        angles = scipy.linalg.subspace_angles(basis, pca.components_.T)
        assert angles.max() < 0.02, f"principal angles {angles}"


# ----------------------------------------------------------------------- VAE pieces
def test_reparameterized_sample_is_normal_rsample_with_the_same_gradients():
    mu = torch.tensor([0.5, -1.0, 2.0], dtype=F64, requires_grad=True)
    log_var = torch.tensor([0.0, -1.0, 1.0], dtype=F64, requires_grad=True)
    torch.manual_seed(7)
    z = ae.reparameterize(mu, log_var)
    torch.manual_seed(7)
    z_ref = Normal(mu, torch.exp(0.5 * log_var)).rsample()
    assert torch.allclose(z, z_ref, atol=1e-12)
    grads = torch.autograd.grad((z**2).sum(), (mu, log_var))
    grads_ref = torch.autograd.grad((z_ref**2).sum(), (mu, log_var))
    for a, b in zip(grads, grads_ref, strict=True):
        assert torch.allclose(a, b, atol=1e-12) and a.abs().sum() > 0


def test_reparameterized_samples_have_the_right_mean_and_variance():
    mu = torch.tensor([0.5, -1.0, 2.0], dtype=F64)
    log_var = torch.tensor([0.0, -1.0, 1.0], dtype=F64)
    n = 200_000
    z = ae.reparameterize(mu.expand(n, 3), log_var.expand(n, 3), generator=_gen(0))
    var = log_var.exp()
    assert torch.all((z.mean(0) - mu).abs() < 5 * (var / n).sqrt())
    assert torch.all((z.var(0) / var - 1).abs() < 5 * math.sqrt(2 / n))
    with pytest.raises(ValueError, match="same shape"):
        ae.reparameterize(mu, log_var[:2])


def test_closed_form_gaussian_kl_matches_torch_distributions_and_monte_carlo():
    g = _gen(5)
    mu = torch.randn(4, 3, generator=g, dtype=F64)
    log_var = torch.randn(4, 3, generator=g, dtype=F64)
    got = ae.gaussian_kl(mu, log_var)  # (4,)
    q = Normal(mu, torch.exp(0.5 * log_var))
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    assert torch.allclose(got, kl_divergence(q, prior).sum(-1), atol=1e-12)
    z = q.sample((100_000,))  # (S, 4, 3)
    log_ratio = (q.log_prob(z) - prior.log_prob(z)).sum(-1)  # (S, 4)
    se = log_ratio.std(0) / math.sqrt(len(z))
    assert torch.all((log_ratio.mean(0) - got).abs() < 5 * se)
    assert torch.allclose(ae.gaussian_log_prob(z[:3], mu, log_var), q.log_prob(z[:3]).sum(-1))
    with pytest.raises(ValueError, match="same shape"):
        ae.gaussian_kl(mu, log_var[:, :2])


@pytest.fixture(scope="module")
def vae_1d():
    """A small VAE with a 1-D latent, briefly trained, so log p(x) is an integral over a line."""
    g = _gen(6)
    prototypes = ae.binarize(torch.rand(3, 8, generator=g, dtype=F64))
    x = prototypes[torch.randint(3, (64,), generator=g)]
    x = torch.where(torch.rand(x.shape, generator=g, dtype=F64) < 0.1, 1 - x, x)  # 10% noise
    model = ae._seeded(lambda: ae.VAE(8, 1, (16,)).double(), 0)
    ae.fit(model, x, "vae", epochs=40, batch_size=32, lr=1e-2)
    return model, x[:6]


def _log_px_by_quadrature(model, x):
    """log p(x) = log ∫ p(x|z) N(z; 0, 1) dz on a fine grid, and the grid's log p(x, z)."""
    z = torch.linspace(-10, 10, 20_001, dtype=F64)[:, None]  # (Z, 1)
    with torch.no_grad():
        log_joint = ae.bernoulli_log_likelihood(model.decode(z)[:, None], x) + Normal(
            0.0, 1.0
        ).log_prob(z)  # (Z, B)
    dz = float(z[1] - z[0])
    return torch.logsumexp(log_joint, 0) + math.log(dz), z, log_joint


def test_elbo_is_log_evidence_minus_kl_to_the_posterior(vae_1d):
    model, x = vae_1d
    log_px, z, log_joint = _log_px_by_quadrature(model, x)
    with torch.no_grad():
        mu, log_var = model.encode(x)
    q = Normal(mu[:, 0], torch.exp(0.5 * log_var[:, 0]))  # (B,)
    log_q = q.log_prob(z)  # (Z, B)
    dz = float(z[1] - z[0])
    # ELBO = E_q[log p(x, z) - log q(z)] by quadrature, and KL(q ‖ p(z|x)) the same way
    exact_elbo = (log_q.exp() * (log_joint - log_q)).sum(0) * dz
    kl_posterior = (log_q.exp() * (log_q - (log_joint - log_px))).sum(0) * dz
    assert torch.allclose(exact_elbo + kl_posterior, log_px, atol=1e-6)
    assert torch.all(kl_posterior > 0)
    # the library's one-sample ELBO averages to the same value, and lies below log p(x)
    with torch.no_grad():  # 3000 independent one-sample estimates per image, in one batch
        reps = ae.elbo(model, x.repeat(3000, 1), generator=_gen(0)).reshape(3000, len(x))
    se = reps.std(0) / math.sqrt(len(reps))
    assert torch.all((reps.mean(0) - exact_elbo).abs() < 5 * se + 1e-9)
    assert torch.all(reps.mean(0) < log_px)


def test_iwae_bound_increases_with_k_towards_log_evidence(vae_1d):
    model, x = vae_1d
    log_px, _, _ = _log_px_by_quadrature(model, x)
    means = []
    for k in (1, 3, 30):  # averaged over 400 repetitions and the images
        reps = ae.iwae_bound(model, x.repeat(400, 1), k, generator=_gen(k)).reshape(400, len(x))
        means.append(reps.mean(0))
    assert means[0].mean() < means[1].mean() < means[2].mean()
    se = reps.std(0) / math.sqrt(len(reps))  # of the k = 30 averages
    assert torch.all(means[2] <= log_px + 5 * se)  # a lower bound, up to sampling noise
    tight = ae.iwae_bound(model, x, 5000, generator=_gen(1))
    assert torch.allclose(tight, log_px, atol=0.02)
    with pytest.raises(ValueError, match="k must"):
        ae.iwae_bound(model, x, 0)
    with pytest.raises(ValueError, match="columns"):
        ae.elbo(model, torch.rand(3, 5, dtype=F64))


def test_vae_objective_is_the_negative_mean_elbo_and_trains():
    g = _gen(8)
    prototypes = ae.binarize(torch.rand(4, 8, generator=g))
    x = prototypes[torch.randint(4, (40,), generator=g)]  # 4 patterns: a VAE can learn them
    model = ae._seeded(lambda: ae.VAE(8, 2, (16,)), 0)
    loss = ae.OBJECTIVES["vae"](model, x, _gen(3))
    assert torch.allclose(loss, -ae.elbo(model, x, generator=_gen(3)).mean())
    history = ae.fit(model, x, "vae", epochs=40, batch_size=20, lr=3e-3)
    assert history[-1] < history[0] - 1.0
    again = ae._seeded(lambda: ae.VAE(8, 2, (16,)), 0)
    assert ae.fit(again, x, "vae", epochs=40, batch_size=20, lr=3e-3) == history  # seeded


# ----------------------------------------------------------------------------- WAE
def test_wae_penalty_is_the_decks_unbiased_mmd_and_reuses_mmd2():
    g = _gen(9)
    z, zp = (
        torch.randn(12, 2, generator=g, dtype=F64) + 0.3,
        torch.randn(12, 2, generator=g, dtype=F64),
    )
    c = 2 * 2  # bandwidth² = 2 d

    def k(a, b):
        return 1 / math.sqrt(1 + float(((a - b) ** 2).sum()) / c)

    n = len(z)
    brute = (
        sum(k(zp[i], zp[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
        + sum(k(z[i], z[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
        - 2 * sum(k(zp[i], z[j]) for i in range(n) for j in range(n)) / n**2
    )
    got = ae.wae_penalty(z, zp)
    assert abs(float(got) - brute) < 1e-12
    assert torch.allclose(got, dv.mmd2(z, zp, kernel="imq", bandwidth=2.0))
    with pytest.raises(ValueError, match="shape"):
        ae.wae_penalty(torch.ones(3), zp)


def test_wae_objective_is_reconstruction_plus_weighted_mmd_with_encoder_gradients():
    x = ae.binarize(torch.rand(30, 8, generator=_gen(10)))
    model = ae._seeded(lambda: ae.Autoencoder(8, 2, (16,)), 0)
    loss = ae.OBJECTIVES["wae"](model, x, _gen(4), weight=5.0)
    z = model.encode(x)
    z_prior = torch.randn(z.shape, generator=_gen(4))
    ref = ae.reconstruction_error(model(x), x).mean() + 5.0 * dv.mmd2(
        z, z_prior, kernel="imq", bandwidth=2.0
    )
    assert torch.allclose(loss, ref)
    loss.backward()
    assert all(p.grad is not None for p in model.encoder.parameters())


# ------------------------------------------------------------------------- training
@pytest.mark.parametrize("objective", ["ae", "sparse", "contractive", "denoising", "wae"])
def test_every_objective_trains(objective):
    x = ae.binarize(torch.rand(40, 8, generator=_gen(11)))
    model = ae._seeded(lambda: ae.Autoencoder(8, 3, (16,)), 0)
    history = ae.fit(model, x, objective, epochs=15, batch_size=20, lr=3e-3)
    assert history[-1] < history[0]


def test_fit_rejects_bad_settings():
    model = ae.Autoencoder(8, 2, (16,))
    x = torch.rand(10, 8)
    with pytest.raises(ValueError, match="unknown objective"):
        ae.fit(model, x, "gan")
    with pytest.raises(ValueError, match="epochs"):
        ae.fit(model, x, epochs=0)
    with pytest.raises(ValueError, match="lr"):
        ae.fit(model, x, lr=-1.0)
    with pytest.raises(ValueError, match="steps"):
        ae.fit_full_batch(model, x, steps=0)
    with pytest.raises(ValueError, match="columns|shape"):
        ae.train_vae(2, 1, x=torch.rand(10))
    with pytest.raises(ValueError, match="code"):
        ae.Autoencoder(8, 2, code="tanh")
    with pytest.raises(ValueError, match="sizes"):
        ae.mlp([8])


# ----------------------------------------------------------------------- checkpoints
@pytest.mark.parametrize("name", sorted(ae.CHECKPOINTS))
def test_stored_checkpoints_load_and_meet_a_quality_bar(name):
    from course_lib import checkpoints, data

    assert checkpoints.path(f"autoencoders.{name}").stat().st_size < 1_000_000
    model, cfg = ae.from_checkpoint(name)
    x = ae.binarize(data.digits().x_test)
    z_prior = torch.randn(len(x), 2, generator=_gen(0))
    with torch.no_grad():
        if cfg["kind"] == "vae":
            assert ae.elbo(model, x, generator=_gen(0)).mean() > -21.5  # nats per test image
            codes = model.encode(x)[0]
        else:
            assert ae.reconstruction_error(model(x), x).mean() < 18.0
            codes = model.encode(x)
    mmd = float(ae.wae_penalty(codes, z_prior))
    if cfg["kind"] in ("vae", "wae"):  # codes shaped like the prior N(0, I); a plain AE's are not
        assert mmd < 0.01, mmd
    else:
        assert mmd > 0.05, mmd
