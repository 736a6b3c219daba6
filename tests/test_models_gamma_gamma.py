"""Gamma-Gamma: published CDNOW estimates, likelihood vs quadrature, recovery, spend prediction, CLV units."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from test_models_simulators import simulate_bgnbd

from crmlib.datasets import load_cdnow
from crmlib.models import BetaGeo, GammaGamma, ModelError
from crmlib.models.gamma_gamma import customer_lifetime_value
from crmlib.params import ParameterError
from crmlib.rfm import summarize


def test_cdnow_published_estimates():
    # FHL (2005b) / Fader and Hardie (2013): p = 6.25, q = 3.74, gamma = 15.44 on the 946 repeat customers'
    # mean spend of the calibration period (weeks 1-39 of 1997, first purchase left out).
    summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    model = GammaGamma().fit(summary)
    assert model.n_ == 946
    assert round(model.params_["p"], 2) == 6.25
    assert round(model.params_["q"], 2) == 3.74
    assert round(model.params_["v"], 2) == 15.44


@pytest.mark.parametrize("x, zbar", [(1, 12.5), (3, 40.0), (12, 25.0)])
def test_likelihood_matches_quadrature(x, zbar):
    p, q, v = 4.0, 3.0, 20.0
    # zbar | nu ~ Gamma(shape p x, rate x nu); nu ~ Gamma(shape q, rate v)
    f = lambda nu: stats.gamma.pdf(zbar, p * x, scale=1 / (x * nu)) * stats.gamma.pdf(nu, q, scale=1 / v)  # noqa: E731
    slow, _ = integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)
    model = GammaGamma()
    fast = model._loglik(np.array([p, q, v]), model._design((np.array([float(x)]), np.array([zbar])), np.ones(1)))[0]
    assert fast == pytest.approx(math.log(slow), abs=1e-7)


def test_recovers_true_parameters_within_three_standard_errors():
    truth = {"p": 6.0, "q": 4.0, "v": 15.0}
    data = simulate_bgnbd(20_000, 0.5, 6.0, 0.8, 2.5, seed=21, with_spend=(truth["p"], truth["q"], truth["v"]))
    model = GammaGamma().fit(data)
    table = model.summary()
    for name, value in truth.items():  # tolerance: 3 standard errors from the inverse observed information
        assert abs(table.loc[name, "estimate"] - value) < 3 * table.loc[name, "std_error"], name


def test_conditional_expected_spend_is_posterior_mean():
    model = GammaGamma()
    model.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    p, q, v = 6.25, 3.74, 15.44
    x, zbar = 2, 40.0
    # E[p / nu | data]: posterior of nu proportional to likelihood x prior, integrated numerically
    like = lambda nu: stats.gamma.pdf(zbar, p * x, scale=1 / (x * nu)) * stats.gamma.pdf(nu, q, scale=1 / v)  # noqa: E731
    num, _ = integrate.quad(lambda nu: p / nu * like(nu), 0, np.inf, limit=200)
    den, _ = integrate.quad(like, 0, np.inf, limit=200)
    assert model.conditional_expected_spend(x, zbar) == pytest.approx(num / den, rel=1e-7)
    # no repeat purchase: the population mean p v / (q - 1)
    assert model.conditional_expected_spend(0, 0.0) == pytest.approx(6.25 * 15.44 / 2.74)
    assert model.mean_spend() == pytest.approx(6.25 * 15.44 / 2.74)


def test_error_messages():
    s = pd.DataFrame({"frequency": [1, 2, 0] * 10, "monetary_value": [10.0, 0.0, 0.0] * 10})
    with pytest.raises(ModelError, match="10 repeat customers have a mean spend of zero or less"):
        GammaGamma().fit(s)
    few = pd.DataFrame({"frequency": [1, 2, 0, 0], "monetary_value": [10.0, 20.0, 0.0, 0.0]})
    with pytest.raises(ModelError, match="only 2 customers with a repeat purchase"):
        GammaGamma().fit(few)
    m = GammaGamma()
    m.params_ = {"p": 1.0, "q": 0.8, "v": 2.0}
    with pytest.raises(ModelError, match="q = 0.8 <= 1, so the population mean spend is infinite"):
        m.mean_spend()


@pytest.fixture(scope="module")
def fitted():
    bg = BetaGeo()
    bg.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    bg.unit_ = "W"
    gg = GammaGamma()
    gg.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    s = pd.DataFrame(
        {
            "frequency": [2, 0, 7],
            "recency": [30.43, 0.0, 35.0],
            "T": [38.86, 20.0, 38.0],
            "monetary_value": [22.35, 0.0, 41.0],
        },
        index=["a", "b", "c"],
    )
    return bg, gg, s


def test_clv_two_months_by_hand(fitted):
    bg, gg, s = fitted
    out = customer_lifetime_value(
        bg, gg, s, horizon=2, horizon_unit="M", discount_rate=0.10, discount_period="Y", step="M"
    )
    month_in_weeks = 30.4375 / 7
    for cid in s.index:
        x, tx, T, m = s.loc[cid, ["frequency", "recency", "T", "monetary_value"]]
        e1 = bg.conditional_expected_purchases(month_in_weeks, x, tx, T)
        e2 = bg.conditional_expected_purchases(2 * month_in_weeks, x, tx, T)
        spend = 6.25 * (15.44 + x * m) / (6.25 * x + 3.74 - 1)
        # a month is 1/12 year: discount factors 1.1^(-1/12) and 1.1^(-2/12)
        expected = spend * (e1 / 1.1 ** (1 / 12) + (e2 - e1) / 1.1 ** (2 / 12))
        assert out.loc[cid, "clv"] == pytest.approx(expected, rel=1e-10)
        assert out.loc[cid, "expected_purchases"] == pytest.approx(e2, rel=1e-12)
    assert out.attrs["rate_per_step"] == pytest.approx(1.1 ** (1 / 12) - 1)


def test_clv_does_not_depend_on_the_data_unit(fitted):
    # the same customers with durations in days (alpha in days too) must have the same CLV
    bg, gg, s = fitted
    bg_days = BetaGeo()
    bg_days.params_ = dict(bg.params_, alpha=bg.params_["alpha"] * 7)
    bg_days.unit_ = "D"
    s_days = s.assign(recency=s["recency"] * 7, T=s["T"] * 7)
    weeks = customer_lifetime_value(bg, gg, s, horizon=1, horizon_unit="Y", discount_rate=0.12)
    days = customer_lifetime_value(bg_days, gg, s_days, horizon=1, horizon_unit="Y", discount_rate=0.12)
    np.testing.assert_allclose(weeks["clv"], days["clv"], rtol=1e-9)
    # undiscounted, monthly steps: CLV = spend x expected purchases over the horizon
    flat = customer_lifetime_value(bg, gg, s, horizon=1, horizon_unit="Y", discount_rate=0.0)
    np.testing.assert_allclose(flat["clv"], flat["expected_spend"] * flat["expected_purchases"], rtol=1e-12)
    assert (weeks["clv"] < flat["clv"]).all()


def test_clv_parameter_and_unit_messages(fitted):
    bg, gg, s = fitted
    with pytest.raises(ParameterError, match=r"'discount_rate' parameter of customer_lifetime_value .* rate per year"):
        customer_lifetime_value(bg, gg, s, discount_rate=10)
    with pytest.raises(ParameterError, match="'step' parameter"):
        customer_lifetime_value(bg, gg, s, step="fortnight")
    anonymous = BetaGeo()
    anonymous.params_ = dict(bg.params_)
    anonymous.unit_ = None
    with pytest.raises(ModelError, match="the time unit of the data is unknown"):
        customer_lifetime_value(anonymous, gg, s)
    assert customer_lifetime_value(anonymous, gg, s, unit="W")["clv"].gt(0).all()


def test_clv_shortcut_equals_the_direct_conditional_expectation(fitted):
    # customer_lifetime_value evaluates E[Y | alive] once per (x, T) pair; a model without that shortcut
    # goes through conditional_expected_purchases per row. Both must agree, for both transaction models.
    from crmlib.models import ParetoNBD

    _, gg, s = fitted
    pn = ParetoNBD()
    pn.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    pn.unit_ = "W"

    class Plain:
        unit_ = "W"

        def _check_fitted(self):
            pass

        def conditional_expected_purchases(self, *args):
            return pn.conditional_expected_purchases(*args)

        def probability_alive(self, *args):
            return pn.probability_alive(*args)

    fast = customer_lifetime_value(pn, gg, s, horizon=6, discount_rate=0.1)
    slow = customer_lifetime_value(Plain(), gg, s, horizon=6, discount_rate=0.1)
    np.testing.assert_allclose(fast["clv"], slow["clv"], rtol=1e-12)
