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
from crmlib.rfm import summarize


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
        ind = lam**x * mu / (lam + mu) * math.exp(-(lam + mu) * tx) + lam ** (x + 1) / (lam + mu) * math.exp(-(lam + mu) * T)
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
    fast = ParetoNBD._loglik(np.array(params), (np.array([float(x)]), np.array([tx]), np.array([T])))[0]
    assert fast == pytest.approx(math.log(_slow_likelihood(*params, x, tx, T)), abs=1e-6)


def test_no_overflow_for_long_histories():
    params = np.array([0.553, 10.578, 0.606, 11.669])
    x = np.array([0.0, 50.0, 500.0, 2000.0])
    tx = np.array([0.0, 400.0, 4000.0, 9000.0])
    T = np.array([1e4, 1e4, 1e4, 1e4])
    ll = ParetoNBD._loglik(params, (x, tx, T))
    assert np.all(np.isfinite(ll))
    flipped = ParetoNBD._loglik(np.array([0.553, 11.669, 0.606, 10.578]), (x, tx, T))
    assert np.all(np.isfinite(flipped))


def test_recovers_true_parameters_within_three_standard_errors():
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0}
    data = simulate_pareto_nbd(10_000, **truth, seed=8, t_low=30.0, t_high=60.0)
    model = ParetoNBD().fit(data, unit="W")
    table = model.summary()
    for name, value in truth.items():  # tolerance: 3 standard errors of summary()
        assert abs(table.loc[name, "estimate"] - value) < 3 * table.loc[name, "std_error"], (name, table.loc[name].tolist())


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
