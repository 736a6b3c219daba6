"""MBG/NBD: lifetimes' CDNOW estimates, likelihood vs integration, recovery, predictions vs lifetimes and simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from test_models_simulators import simulate_bgnbd

from crmlib.datasets import load_cdnow
from crmlib.models import BetaGeo, ModifiedBetaGeo
from crmlib.rfm import summarize

PARAMS = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


def _sig(value, digits=3):
    return float(f"{value:.{digits}g}")


def test_cdnow_estimates_equal_lifetimes_maximum_likelihood():
    # lifetimes' ModifiedBetaGeoFitter on the CDNOW calibration sample (weeks 1-39): r 0.525, alpha 6.183,
    # a 0.891, b 1.614; equal to 3 significant digits.
    summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    model = ModifiedBetaGeo().fit(summary, unit="W")
    for name, value in PARAMS.items():
        assert _sig(model.params_[name]) == _sig(value), (name, model.params_[name])
    assert (
        model.log_likelihood_ > BetaGeo().fit(summary, unit="W").log_likelihood_ - 1.0
    )  # comparable fit to the BG/NBD


def _slow_likelihood(r, alpha, a, b, x, tx, T):
    """The MBG/NBD individual likelihood integrated over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b)."""
    log_norm = r * math.log(alpha) - math.lgamma(r) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))

    def individual(lam, p):
        value = (1 - p) ** (x + 1) * lam**x * math.exp(-lam * T) + p * (1 - p) ** x * lam**x * math.exp(-lam * tx)
        density = math.exp(
            log_norm + (r - 1) * math.log(lam) - alpha * lam + (a - 1) * math.log(p) + (b - 1) * math.log1p(-p)
        )
        return value * density

    value, _ = integrate.dblquad(individual, 1e-12, 1 - 1e-12, 1e-12, 40.0, epsabs=0, epsrel=1e-9)
    return value


@pytest.mark.parametrize("x, tx, T", [(0, 0.0, 30.0), (1, 5.0, 30.0), (4, 25.5, 38.0)])
def test_likelihood_matches_numerical_integration(x, tx, T):
    params = np.array([1.7, 6.0, 1.4, 2.5])
    model = ModifiedBetaGeo()
    design = model._design(tuple(np.array([v], float) for v in (x, tx, T)), np.ones(1))
    assert model._loglik(params, design)[0] == pytest.approx(np.log(_slow_likelihood(*params, x, tx, T)), abs=1e-6)


def test_recovers_true_parameters_within_three_standard_errors():
    truth = {"r": 0.6, "alpha": 5.0, "a": 1.2, "b": 3.0}
    data = simulate_bgnbd(20_000, **truth, seed=12, modified=True)
    table = ModifiedBetaGeo().fit(data, unit="W").summary()
    for name, value in truth.items():  # tolerance: 3 standard errors (each fails by chance with probability 0.27%)
        assert abs(table.loc[name, "estimate"] - value) < 3 * table.loc[name, "std_error"], name


def test_predictions_equal_lifetimes_at_the_same_parameters():
    from lifetimes import ModifiedBetaGeoFitter

    ours = ModifiedBetaGeo()
    ours.params_ = dict(PARAMS)
    theirs = ModifiedBetaGeoFitter()
    theirs.params_ = pd.Series(PARAMS)
    x, tx, T = np.array([0, 1, 4, 12]), np.array([0.0, 5.0, 30.0, 36.0]), np.array([38.0, 30.0, 38.0, 38.0])
    np.testing.assert_allclose(
        ours.probability_alive(x, tx, T), theirs.conditional_probability_alive(x, tx, T), rtol=1e-10
    )
    np.testing.assert_allclose(
        ours.conditional_expected_purchases(26.0, x, tx, T),
        theirs.conditional_expected_number_of_purchases_up_to_time(26.0, x, tx, T),
        rtol=1e-9,
    )
    assert ours.expected_purchases(39.0) == pytest.approx(
        theirs.expected_number_of_purchases_up_to_time(39.0), rel=1e-9
    )
    # unlike the BG/NBD, a customer without repeat purchases may have dropped out
    assert ours.probability_alive(0, 0.0, 38.0) < 1.0


def test_probability_of_purchases_against_simulation():
    truth = {"r": 0.6, "alpha": 5.0, "a": 1.2, "b": 3.0}
    model = ModifiedBetaGeo()
    model.params_ = dict(truth)
    pmf = model.probability_of_purchases(np.arange(400), 39.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * np.arange(400)).sum() == pytest.approx(model.expected_purchases(39.0), rel=1e-7)
    sim = simulate_bgnbd(200_000, **truth, seed=13, t_low=39.0, t_high=39.0, modified=True)
    shares = np.bincount(sim["frequency"], minlength=5)[:5] / len(sim)
    np.testing.assert_allclose(pmf[:5], shares, atol=4 * np.sqrt(0.25 / len(sim)))
