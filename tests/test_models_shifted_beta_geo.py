"""sBG: Fader and Hardie (2007) estimates, retention and DERL formulas, recovery, data checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.data import DataError
from crmlib.models import ModelError, ShiftedBetaGeo
from crmlib.models.shifted_beta_geo import naive_survival_projections

# Fader and Hardie (2007), table 1: customers still active at the start of years 0..7 of two cohorts of 1,000.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize("survivors, alpha, beta", [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)])
def test_fader_hardie_2007_estimates(survivors, alpha, beta):
    # The paper calibrates on the churn of years 1..7 (seven transitions from the 8 head-counts above).
    model = ShiftedBetaGeo().fit(survivors)
    assert round(model.params_["alpha"], 3) == alpha
    assert round(model.params_["beta"], 3) == beta
    assert model.n_ == 1000 and model.periods_ == 7


def test_log_likelihood_by_hand():
    # two periods, alpha = beta = 1: P(T=1) = 1/2, P(T=2) = 1/6, S(2) = 1/3
    model = ShiftedBetaGeo()
    design = model._design((np.array([1.0, 2.0, 2.0]), np.array([1.0, 1.0, 0.0])), np.ones(3))
    ll = model._loglik(np.array([1.0, 1.0]), design)
    np.testing.assert_allclose(ll, np.log([1 / 2, 1 / 6, 1 / 3]))


def test_frame_of_customers_equals_the_survivor_curve():
    # one row per customer (periods, churned) gives the same fit as the cohort's head-counts
    rows = []
    for t, (before, after) in enumerate(zip(REGULAR[:-1], REGULAR[1:]), start=1):
        rows.append({"periods": t, "churned": True, "weights": before - after})
    rows.append({"periods": 7, "churned": False, "weights": REGULAR[-1]})
    frame = pd.DataFrame(rows)
    a, b = ShiftedBetaGeo().fit(REGULAR), ShiftedBetaGeo().fit(frame)
    assert a.params_ == pytest.approx(b.params_, rel=1e-9)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-12)
    with pytest.raises(DataError, match="needs the columns periods"):
        ShiftedBetaGeo().fit(frame.drop(columns="churned"))
    with pytest.raises(DataError, match="'churned' column must hold True/False"):
        ShiftedBetaGeo().fit(frame.assign(churned="maybe"))


def test_covariates_on_alpha_and_beta_recover_known_coefficients():
    # alpha_i = alpha exp(g_a z), beta_i = beta exp(g_b z): customers simulated with known values, 8 periods observed
    rng = np.random.default_rng(31)
    n = 20_000
    z = rng.normal(size=n)
    plan = (rng.random(n) < 0.5).astype(float)
    truth = {"alpha": 0.8, "beta": 2.0, "alpha:z": 0.3, "alpha:plan": -0.4, "beta:z": -0.2, "beta:plan": 0.5}
    a_i = truth["alpha"] * np.exp(truth["alpha:z"] * z + truth["alpha:plan"] * plan)
    b_i = truth["beta"] * np.exp(truth["beta:z"] * z + truth["beta:plan"] * plan)
    lifetime = rng.geometric(rng.beta(a_i, b_i))
    frame = pd.DataFrame({"periods": np.minimum(lifetime, 8), "churned": lifetime <= 8, "z": z, "plan": plan})
    model = ShiftedBetaGeo(covariates=["z", "plan"]).fit(frame)
    assert model.param_names == ("alpha", "beta", "alpha:z", "alpha:plan", "beta:z", "beta:plan")
    table = model.summary()
    for name, value in truth.items():  # tolerance: 3 standard errors
        est, se = table.loc[name, "estimate"], table.loc[name, "std_error"]
        assert np.isfinite(se) and abs(est - value) < 3 * se, (name, est, se, value)
    # a customer's survival uses her covariates
    s = model.survival(np.array([3.0, 3.0]), covariates=pd.DataFrame({"z": [0.0, 0.0], "plan": [0.0, 1.0]}))
    assert s[1] > s[0]  # the plan lowers alpha and raises beta: fewer cancel


def test_retention_and_survival_formulas():
    model = ShiftedBetaGeo()
    model.params_ = {"alpha": 0.704, "beta": 1.182}
    t = np.arange(1, 10)
    # r(t) = (beta + t - 1) / (alpha + beta + t - 1) = S(t) / S(t-1)
    np.testing.assert_allclose(model.retention_rate(t), (1.182 + t - 1) / (0.704 + 1.182 + t - 1))
    np.testing.assert_allclose(model.survival(t) / model.survival(t - 1), model.retention_rate(t))
    assert model.survival(0) == 1.0
    assert np.all(np.diff(model.retention_rate(t)) > 0)  # aggregate retention rises with tenure
    proj = model.projected_survivors(3, cohort_size=1000)
    assert proj.iloc[1] == pytest.approx(1000 * 1.182 / (0.704 + 1.182))


@pytest.mark.parametrize("renewals", [0, 3])
def test_derl_equals_direct_discounted_sum(renewals):
    model = ShiftedBetaGeo()
    model.params_ = {"alpha": 0.668, "beta": 3.806}
    d, n = 0.10, renewals + 1
    t = np.arange(n, 4000)
    direct = np.sum(model.survival(t) / model.survival(n - 1) / (1 + d) ** (t - n))
    assert model.discounted_expected_residual_lifetime(d, renewals=renewals) == pytest.approx(direct, rel=1e-9)


def test_recovers_true_parameters_within_three_standard_errors():
    rng = np.random.default_rng(4)
    alpha, beta, n, years = 0.9, 2.5, 20_000, 8
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(theta)  # the period in which each customer churns (1, 2, ...)
    survivors = [n] + [int((lifetime > t).sum()) for t in range(1, years + 1)]
    model = ShiftedBetaGeo().fit(pd.Series(survivors))
    table = model.summary()
    assert abs(table.loc["alpha", "estimate"] - alpha) < 3 * table.loc["alpha", "std_error"]
    assert abs(table.loc["beta", "estimate"] - beta) < 3 * table.loc["beta", "std_error"]


def test_survivor_messages():
    with pytest.raises(ModelError, match=r"survivors increase from period 2 \(400\) to period 3 \(450\)"):
        ShiftedBetaGeo().fit([1000, 600, 400, 450])
    with pytest.raises(ModelError, match="the first value must be the cohort size"):
        ShiftedBetaGeo().fit([5, 4, 3])
    with pytest.raises(ModelError, match="nobody in the cohort of 100 ever cancelled"):
        ShiftedBetaGeo().fit([100, 100, 100])
    with pytest.raises(ModelError, match="fit each cohort of a dict separately"):
        ShiftedBetaGeo().fit({"a": REGULAR})
    with pytest.raises(ModelError, match="at least 3 counts"):
        ShiftedBetaGeo().fit([1000, 500])


def test_naive_projections_fit_exact_curves():
    lin = naive_survival_projections([100, 90, 80, 70, 60], 12)
    assert lin.loc[6, "linear"] == pytest.approx(0.4)
    assert lin.loc[12, "linear"] == 0.0  # clipped at zero
    geo = naive_survival_projections([1024, 512, 256, 128, 64], 6)
    assert geo.loc[6, "exponential"] == pytest.approx(1 / 64)
    quad = naive_survival_projections([100, 81, 64, 49, 36], 5, calibration_periods=4)
    assert quad.loc[5, "quadratic"] == pytest.approx(0.25)  # (1 - t/10)^2 is exactly quadratic
