"""course_lib.bayes against torch.distributions, Monte Carlo, score-function gradients,
finite differences and the exact evidence of Bayesian linear regression (scipy)."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from course_lib import bayes, meta

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_softplus_inverse_inverts_softplus():
    sigma = torch.tensor([1e-4, 0.1, 1.0, 30.0], dtype=F64)
    torch.testing.assert_close(F.softplus(bayes.softplus_inverse(sigma)), sigma)
    with pytest.raises(ValueError, match="sigma"):
        bayes.softplus_inverse([0.5, -1.0])


def test_gaussian_kl_matches_torch_distributions_and_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 3, generator=g, dtype=F64)
    sigma = 0.2 + torch.rand(4, 3, generator=g, dtype=F64)
    for s in (1.0, 0.5, 3.0):
        want = kl_divergence(Normal(mu, sigma), Normal(torch.zeros_like(mu), s)).sum()
        torch.testing.assert_close(bayes.gaussian_kl(mu, sigma, s), want)
    # Monte Carlo: E_q[log q(w) - log p(w)] with 200k samples, within 5 standard errors
    w = mu + sigma * torch.randn(200_000, 4, 3, generator=g, dtype=F64)
    terms = (Normal(mu, sigma).log_prob(w) - Normal(0.0, 2.0).log_prob(w)).sum((1, 2))
    se = float(terms.std()) / math.sqrt(len(terms))
    assert abs(float(terms.mean()) - float(bayes.gaussian_kl(mu, sigma, 2.0))) < 5 * se
    with pytest.raises(ValueError, match="sigma"):
        bayes.gaussian_kl(mu, -sigma)
    with pytest.raises(ValueError, match="prior_std"):
        bayes.gaussian_kl(mu, sigma, 0.0)


def test_bayes_linear_kl_sample_and_mean_forward():
    layer = bayes.BayesLinear(3, 2, prior_std=0.7, init_std=0.05).double()
    with torch.no_grad():
        layer.weight_rho.uniform_(-3, 0)
    sig_w, sig_b = F.softplus(layer.weight_rho), F.softplus(layer.bias_rho)
    want = (
        kl_divergence(Normal(layer.weight_mu, sig_w), Normal(0.0, 0.7)).sum()
        + kl_divergence(Normal(layer.bias_mu, sig_b), Normal(0.0, 0.7)).sum()
    )
    torch.testing.assert_close(layer.kl(), want)
    x = torch.randn(5, 3, dtype=F64)
    ref = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        ref.weight.copy_(layer.weight_mu)
        ref.bias.copy_(layer.bias_mu)
    torch.testing.assert_close(layer(x, sample=False), ref(x))
    # a sample is μ + σ ε with the generator's ε (weights first, then bias)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    eps_w, eps_b = torch.randn(2, 3, generator=g2), torch.randn(2, generator=g2)
    w = layer.weight_mu + sig_w * eps_w
    torch.testing.assert_close(layer(x, generator=g1), x @ w.T + layer.bias_mu + sig_b * eps_b)
    # many samples: empirical mean and std of the weights are μ and σ
    g = torch.Generator().manual_seed(4)
    ws = torch.stack([layer.sample_weights(g)[0] for _ in range(20_000)])
    torch.testing.assert_close(
        ws.mean(0), layer.weight_mu, atol=4 * float(sig_w.max().detach()) / 140, rtol=0
    )
    torch.testing.assert_close(ws.std(0), sig_w, rtol=0.05, atol=0)


def test_reparameterisation_gradient_matches_score_function_and_closed_form():
    """d/dμ, d/dρ of E_{w~N(μ, softplus(ρ)²)}[cos w] = cos μ · exp(-σ²/2)."""
    mu = torch.tensor(0.7, dtype=F64, requires_grad=True)
    rho = torch.tensor(-0.3, dtype=F64, requires_grad=True)
    g = torch.Generator().manual_seed(5)
    n = 200_000
    eps = torch.randn(n, generator=g, dtype=F64)
    w = bayes.reparameterise(mu.expand(n), rho.expand(n), eps)
    values = torch.cos(w)
    grad_mu, grad_rho = torch.autograd.grad(values.mean(), (mu, rho))
    # per-sample reparameterised gradients (for a standard error)
    per_mu = -torch.sin(w.detach())
    per_rho = -torch.sin(w.detach()) * eps * torch.sigmoid(rho.detach())
    # score function (REINFORCE): f(w) ∇ log q(w), on independent samples
    sigma = F.softplus(rho)
    w2 = (mu + sigma * torch.randn(n, generator=g, dtype=F64)).detach()
    logq = Normal(mu, sigma).log_prob(w2)
    score_mu, score_rho = torch.autograd.grad((torch.cos(w2) * logq).mean(), (mu, rho))

    def expectation(m, r):  # closed form, then central finite differences
        s = math.log1p(math.exp(r))
        return math.cos(m) * math.exp(-(s**2) / 2)

    h = 1e-6
    fd_mu = (expectation(0.7 + h, -0.3) - expectation(0.7 - h, -0.3)) / (2 * h)
    fd_rho = (expectation(0.7, -0.3 + h) - expectation(0.7, -0.3 - h)) / (2 * h)
    se_mu, se_rho = float(per_mu.std()) / math.sqrt(n), float(per_rho.std()) / math.sqrt(n)
    assert abs(float(grad_mu) - fd_mu) < 5 * se_mu
    assert abs(float(grad_rho) - fd_rho) < 5 * se_rho
    assert abs(float(grad_mu) - float(per_mu.mean())) < 1e-12
    assert abs(float(score_mu) - fd_mu) < 0.02 and abs(float(score_rho) - fd_rho) < 0.02
    with pytest.raises(ValueError, match="same shape"):
        bayes.reparameterise(mu, rho, eps)


def _linear_regression_data():
    x = torch.linspace(-1, 1, 9, dtype=torch.float32)[:, None]  # Σ x = 0: w, b independent
    y = 0.8 * x - 0.3 + 0.1 * torch.sin(7 * x)
    return x, y


def test_elbo_equals_the_exact_evidence_at_the_exact_posterior():
    """Bayesian linear regression y = w x + b + noise: with x centred the posterior factorises,
    so the mean-field q can be exact, and then the ELBO equals log p(D) (its Monte Carlo
    estimate E_q[log p(D | w)] - KL is within a few standard errors)."""
    x, y = _linear_regression_data()
    s, noise = 1.5, 0.2
    model = bayes.BayesLinear(1, 1, prior_std=s)
    xs, ys = x[:, 0].double().numpy(), y[:, 0].double().numpy()
    cov = s**2 * (np.outer(xs, xs) + 1) + noise**2 * np.eye(len(xs))
    log_evidence = scipy.stats.multivariate_normal(np.zeros(len(xs)), cov).logpdf(ys)
    # exact posterior of (w, b): precisions Σx²/σ² + 1/s² and N/σ² + 1/s²
    prec_w, prec_b = (xs**2).sum() / noise**2 + 1 / s**2, len(xs) / noise**2 + 1 / s**2
    mean_w, mean_b = (xs * ys).sum() / noise**2 / prec_w, ys.sum() / noise**2 / prec_b
    with torch.no_grad():
        model.weight_mu.fill_(mean_w)
        model.bias_mu.fill_(mean_b)
        model.weight_rho.copy_(bayes.softplus_inverse(torch.tensor([[prec_w**-0.5]])))
        model.bias_rho.copy_(bayes.softplus_inverse(torch.tensor([prec_b**-0.5])))
    g = torch.Generator().manual_seed(6)
    with torch.no_grad():
        single = torch.stack(
            [bayes.elbo(model, x, y, noise_std=noise, generator=g) for _ in range(4000)]
        )
    se = float(single.std()) / math.sqrt(len(single))
    assert abs(float(single.mean()) - log_evidence) < 4 * se and se < 0.05
    with torch.no_grad():  # any other q gives a strictly lower bound
        model.weight_mu.add_(0.3)
    worse = float(bayes.elbo(model, x, y, noise_std=noise, n_samples=4000, generator=g))
    assert worse < log_evidence - 0.5


def test_elbo_is_log_likelihood_minus_kl_with_torch_distributions():
    torch.manual_seed(1)
    model = bayes.BayesMLP(8, seed=1)
    x = torch.linspace(-2, 2, 11)[:, None]
    y = torch.sin(x)
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    got = bayes.elbo(model, x, y, noise_std=0.3, n_samples=2, generator=g1)
    log_lik = sum(Normal(model(x, generator=g2), 0.3).log_prob(y).sum() for _ in range(2)) / 2
    torch.testing.assert_close(got, log_lik - model.kl())
    with pytest.raises(ValueError, match="y must have the shape"):
        bayes.elbo(model, x, y[:5])
    with pytest.raises(ValueError, match="noise_std"):
        bayes.elbo(model, x, y, noise_std=-1.0)


def test_bayes_by_backprop_fits_and_is_unsure_away_from_the_data():
    g = torch.Generator().manual_seed(8)
    x = torch.cat([torch.rand(20, 1, generator=g) * 2 - 3, torch.rand(20, 1, generator=g) * 2 + 1])
    y = torch.sin(2 * x) + 0.05 * torch.randn(40, 1, generator=g)
    model, history = bayes.train_bnn(x, y, noise_std=0.1, seed=0)
    assert history[-1] < history[0]
    mean, std = bayes.predictive(model, x, n_samples=100)
    assert float(((mean - y) ** 2).mean()) < 0.05
    gap = torch.linspace(-0.5, 0.5, 5)[:, None]  # no data in (-1, 1)
    far = torch.tensor([[-6.0], [6.0]])
    _, std_gap = bayes.predictive(model, gap)
    _, std_far = bayes.predictive(model, far)
    assert float(std_far.mean()) > 2 * float(std.mean())
    assert float(std_gap.mean()) > float(std.mean())


def test_bayes_hypermaml_shapes_kl_and_sampling():
    model = bayes.BayesHyperMAML(seed=0)
    torch.nn.init.normal_(model.hyper.head.weight, std=0.05)
    t = meta.sinusoid_tasks(3, 5, 7, seed=9)
    g = torch.Generator().manual_seed(0)
    pred = model(t.x_support, t.y_support, t.x_query, 4, g)
    assert pred.shape == (4, 3, 7, 1)
    mean, scale = model.posterior(t.x_support, t.y_support)
    want = torch.stack(
        [
            sum(
                kl_divergence(Normal(mean[k][i], scale[k][i]), Normal(0.0, 1.0)).sum()
                for k in meta.HEAD
            )
            for i in range(3)
        ]
    )
    torch.testing.assert_close(model.kl(t.x_support, t.y_support), want)
    # samples spread around the posterior mean: their std matches σ(S) on the head bias
    params = model.adapted_params(t.x_support, t.y_support, 4000, g)
    bias = params["l3.bias"].unflatten(0, (4000, 3))
    torch.testing.assert_close(bias.std(0), scale["l3.bias"], rtol=0.06, atol=0)
    loss = bayes.bayes_hypermaml_loss(model, t)
    loss.backward()
    assert model.hyper.head.weight.grad.abs().sum() > 0


def test_stored_bayes_hypermaml_fits_and_its_band_narrows_with_more_shots():
    """The mean improves with K; the band narrows only slightly (the notebook says why)."""
    model = bayes.load_bayes_hypermaml()
    t = meta.sinusoid_tasks(200, 10, 50, seed=10)
    m10, s10 = bayes.hyper_predictive(model, t.x_support, t.y_support, t.x_query)
    one = t.with_shots(1)
    m1, s1 = bayes.hyper_predictive(model, one.x_support, one.y_support, one.x_query)
    assert float(meta.mse(m10, t.y_query).mean()) < 1.0
    assert float(meta.mse(m10, t.y_query).mean()) < float(meta.mse(m1, t.y_query).mean())
    assert float(s1.mean()) > float(s10.mean())
