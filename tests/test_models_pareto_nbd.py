"""Pareto/NBD: published CDNOW estimates, likelihood vs quadrature in both branches, recovery, predictions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from test_models_simulators import simulate_pareto_nbd

from crmlib.datasets import load_cdnow
from crmlib.models import ModelError, ParetoNBD
from crmlib.params import ParameterError
from crmlib.rfm import summarize


def _rows(model, x, tx, T, w=None):
    cols = tuple(np.atleast_1d(np.asarray(v, float)) for v in (x, tx, T))
    return model._design(cols, np.ones(len(cols[0])) if w is None else w)


def test_cdnow_published_estimates():
    # FHL (2005a), section 4 (the Pareto/NBD benchmark): r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669,
    # LL = -9595.0. Same calibration summary as the BG/NBD test (T measured to 1997-09-30).
    summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    model = ParetoNBD().fit(summary, unit="W")
    p = model.params_
    assert round(p["r"], 3) == 0.553
    assert round(p["alpha"], 3) == 10.578
    assert round(p["s"], 3) == 0.606
    assert round(p["beta"], 3) == 11.669
    assert round(model.log_likelihood_, 1) == -9595.0


def _slow_likelihood(r, alpha, s, beta, x, tx, T):
    """Individual likelihood (Fader and Hardie 2005 note, eq. 4) integrated over lambda and mu numerically."""
    log_norm = r * math.log(alpha) + s * math.log(beta) - math.lgamma(r) - math.lgamma(s)

    def f(mu, lam):
        ind = lam**x * mu / (lam + mu) * math.exp(-(lam + mu) * tx) + lam ** (x + 1) / (lam + mu) * math.exp(
            -(lam + mu) * T
        )
        return ind * math.exp(log_norm + (r - 1) * math.log(lam) - alpha * lam + (s - 1) * math.log(mu) - beta * mu)

    value, _ = integrate.dblquad(f, 1e-12, 30.0, 1e-12, 30.0, epsabs=0, epsrel=1e-9)
    return value


@pytest.mark.parametrize(
    "params",
    [(1.5, 8.0, 1.8, 5.0), (1.5, 4.0, 1.8, 9.0)],  # alpha >= beta and alpha < beta branches
    ids=["alpha>=beta", "alpha<beta"],
)
@pytest.mark.parametrize("x, tx, T", [(0, 0.0, 30.0), (2, 10.0, 30.0), (6, 29.0, 35.0)])
def test_fast_likelihood_matches_quadrature(params, x, tx, T):
    model = ParetoNBD()
    fast = model._loglik(np.array(params), _rows(model, x, tx, T))[0]
    assert fast == pytest.approx(math.log(_slow_likelihood(*params, x, tx, T)), abs=1e-6)


def test_no_overflow_for_long_histories():
    params = np.array([0.553, 10.578, 0.606, 11.669])
    x = np.array([0.0, 50.0, 500.0, 2000.0])
    tx = np.array([0.0, 400.0, 4000.0, 9000.0])
    T = np.array([1e4, 1e4, 1e4, 1e4])
    model = ParetoNBD()
    ll = model._loglik(params, _rows(model, x, tx, T))
    assert np.all(np.isfinite(ll))
    flipped = model._loglik(np.array([0.553, 11.669, 0.606, 10.578]), _rows(model, x, tx, T))
    assert np.all(np.isfinite(flipped))
    model.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert np.all(np.isfinite(model.probability_alive(x, tx, T)))
    assert np.all(np.isfinite(model.conditional_expected_purchases(1000.0, x, tx, T)))


@pytest.mark.parametrize("params", [(0.55, 10.6, 0.61, 11.7), (0.9, 4.0, 1.7, 30.0), (1.3, 25.0, 0.4, 3.0)])
def test_analytic_gradient_matches_finite_differences(params):
    # the gradient is analytic (series derivatives of the hypergeometric terms, per distinct (x, t_x) and (x, T)
    # pair): it must match central differences of the likelihood, in both branches (alpha >= beta, alpha < beta)
    data = simulate_pareto_nbd(1500, 0.6, 8.0, 0.8, 12.0, seed=4)
    model = ParetoNBD()
    w = np.arange(len(data)) % 4 + 1.0
    design = _rows(model, data["frequency"], data["recency"], data["T"], w)
    p = np.array(params)
    analytic = (model._grad(p, design) * w).sum(axis=1)
    h = 1e-6 * p
    numeric = np.array(
        [
            ((w * model._loglik(p + h[i] * e, design)).sum() - (w * model._loglik(p - h[i] * e, design)).sum())
            / (2 * h[i])
            for i, e in enumerate(np.eye(4))
        ]
    )
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)
    total, grad = model._loglik_grad(p, design, w)
    np.testing.assert_allclose(grad, analytic, rtol=1e-12)
    assert total == pytest.approx((w * model._loglik(p, design)).sum(), rel=1e-13)


def test_probability_of_purchases_against_quadrature_and_simulation():
    # P(X(t) = x): alive through t with x purchases, or dead at tau < t after x purchases (Fader and Hardie 2006)
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0}
    model = ParetoNBD()
    model.params_ = dict(truth)
    r, alpha, s, beta = truth.values()
    for x, t in [(0, 39.0), (3, 39.0), (40, 300.0)]:
        nbd = lambda tau, x=x: math.exp(  # noqa: E731
            math.lgamma(r + x)
            - math.lgamma(r)
            - math.lgamma(x + 1)
            + r * math.log(alpha / (alpha + tau))
            + (x * math.log(tau / (alpha + tau)) if x else 0.0)
        )
        dead, _ = integrate.quad(
            lambda tau, nbd=nbd: nbd(tau) * s * beta**s / (beta + tau) ** (s + 1),
            0,
            t,
            epsabs=0,
            epsrel=1e-12,
            limit=500,
        )
        slow = nbd(t) * (beta / (beta + t)) ** s + dead
        assert model.probability_of_purchases(x, t) == pytest.approx(slow, rel=1e-8)
    pmf = model.probability_of_purchases(np.arange(400), 39.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * np.arange(400)).sum() == pytest.approx(model.expected_purchases(39.0), rel=1e-7)
    sim = simulate_pareto_nbd(200_000, **truth, seed=6, t_low=39.0, t_high=39.0)
    shares = np.bincount(sim["frequency"], minlength=5)[:5] / len(sim)
    np.testing.assert_allclose(pmf[:5], shares, atol=4 * np.sqrt(0.25 / len(sim)))
    with pytest.raises(ParameterError, match="must hold whole numbers >= 0"):
        model.probability_of_purchases(1.5, 39.0)


def test_covariates_recover_known_coefficients_within_their_standard_errors():
    # alpha_i = alpha exp(-g1 * x1), beta_i = beta exp(-g2 * x2) (Fader and Hardie 2007 note), simulated
    rng = np.random.default_rng(23)
    n = 10_000
    x1 = rng.normal(size=n)
    x2 = (rng.random(n) < 0.5).astype(float)
    truth = {"r": 0.7, "alpha": 8.0, "s": 0.9, "beta": 12.0, "purchase:x1": 0.5, "dropout:x2": 0.8}
    alpha_i = truth["alpha"] * np.exp(-truth["purchase:x1"] * x1)
    beta_i = truth["beta"] * np.exp(-truth["dropout:x2"] * x2)
    data = simulate_pareto_nbd(n, truth["r"], alpha_i, truth["s"], beta_i, seed=9, t_low=30.0, t_high=60.0)
    data["x1"], data["x2"] = x1, x2
    model = ParetoNBD(purchase_covariates=["x1"], dropout_covariates=["x2"]).fit(data, unit="W")
    table = model.summary()
    for name, value in truth.items():  # tolerance: 3 standard errors
        est, se = table.loc[name, "estimate"], table.loc[name, "std_error"]
        assert np.isfinite(se) and abs(est - value) < 3 * se, (name, est, se, value)


def test_recovers_true_parameters_within_three_standard_errors():
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0}
    data = simulate_pareto_nbd(10_000, **truth, seed=8, t_low=30.0, t_high=60.0)
    model = ParetoNBD().fit(data, unit="W")
    table = model.summary()
    for name, value in truth.items():  # tolerance: 3 standard errors of summary()
        assert abs(table.loc[name, "estimate"] - value) < 3 * table.loc[name, "std_error"], (
            name,
            table.loc[name].tolist(),
        )


def test_predictions_against_simulation_and_posterior():
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0}
    model = ParetoNBD()
    model.params_ = dict(truth)
    sim = simulate_pareto_nbd(300_000, **truth, seed=2, t_low=39.0, t_high=39.0)
    mean, se = sim["frequency"].mean(), sim["frequency"].std() / np.sqrt(len(sim))
    assert abs(model.expected_purchases(39.0) - mean) < 4 * se
    # posterior by importance weights: P(alive | x, t_x, T) and E[Y(t) | ...] = E[alive * lam/mu (1 - e^{-mu t})]
    rng = np.random.default_rng(1)
    n = 2_000_000
    lam = rng.gamma(truth["r"], 1 / truth["alpha"], n)
    mu = rng.gamma(truth["s"], 1 / truth["beta"], n)
    x, tx, T, t = 3, 12.0, 30.0, 20.0
    alive_w = lam**x * np.exp(-(lam + mu) * T)  # alive at T, no purchase after t_x
    dead_w = lam**x * mu / (lam + mu) * (np.exp(-(lam + mu) * tx) - np.exp(-(lam + mu) * T))
    total = alive_w.sum() + dead_w.sum()
    assert model.probability_alive(x, tx, T) == pytest.approx(alive_w.sum() / total, rel=0.01)
    expected = np.sum(alive_w * lam / mu * (1 - np.exp(-mu * t))) / total
    assert model.conditional_expected_purchases(t, x, tx, T) == pytest.approx(expected, rel=0.01)


def test_unidentifiable_message():
    none = pd.DataFrame({"frequency": [0] * 20, "recency": [0.0] * 20, "T": np.linspace(1, 30, 20)})
    with pytest.raises(ModelError, match="none of the 20 customers made a repeat purchase"):
        ParetoNBD().fit(none)
