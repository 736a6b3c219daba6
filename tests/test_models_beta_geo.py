"""BG/NBD: the published CDNOW estimates, recovery of known parameters, fast vs slow likelihood, predictions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from test_models_simulators import simulate_bgnbd

from crmlib.data import DataError
from crmlib.datasets import load_cdnow
from crmlib.models import BetaGeo, ModelError, NotFittedError
from crmlib.models._base import LOG_BOUND
from crmlib.params import ParameterError
from crmlib.rfm import summarize

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL (2005), section 4


def _row_loglik(model, params, x, tx, T):
    """The model's per-row log-likelihood at ``params`` for the rows (x, t_x, T)."""
    cols = tuple(np.atleast_1d(np.asarray(v, float)) for v in (x, tx, T))
    return model._loglik(np.asarray(params, float), model._design(cols, np.ones(len(cols[0]))))


@pytest.fixture(scope="module")
def cdnow_calibration():
    # FHL (2005): the 2,357 customers of the CDNOW sample, calibration weeks 1-39 of 1997.
    # Convention (checked against Hardie's published summary file, where a customer first buying on
    # 1997-01-01 has T = 38.86 weeks = 272 days / 7): T is measured up to 1997-09-30 itself
    # (observation_end="1997-09-30", not 1997-10-01), which is what crmlib.rfm.summarize does.
    tx = load_cdnow()
    return summarize(tx, observation_end="1997-09-30", unit="W")


def test_cdnow_summary_convention(cdnow_calibration):
    s = cdnow_calibration
    assert len(s) == 2357
    # customer 00004: purchases 1997-01-01, 01-18, 08-02 -> x = 2, t_x = 213 days, T = 272 days
    assert s.loc["00004", "frequency"] == 2
    assert s.loc["00004", "recency"] == pytest.approx(213 / 7)
    assert s.loc["00004", "T"] == pytest.approx(272 / 7)


def test_cdnow_published_estimates(cdnow_calibration):
    model = BetaGeo().fit(cdnow_calibration, unit="W")
    p = model.params_
    # FHL (2005), section 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    assert round(p["r"], 3) == 0.243
    assert round(p["alpha"], 3) == 4.414
    assert round(p["a"], 3) == 0.793
    assert round(p["b"], 3) == 2.426
    assert round(model.log_likelihood_, 1) == -9582.4
    assert model.unit_ == "W"


def _slow_likelihood(r, alpha, a, b, x, tx, T):
    """FHL (2005) eq. 3 integrated numerically over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b)."""
    log_norm = r * math.log(alpha) - math.lgamma(r) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))

    def individual(lam, p):
        value = (1 - p) ** x * lam**x * math.exp(-lam * T)
        if x > 0:
            value += p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * tx)
        density = math.exp(
            log_norm + (r - 1) * math.log(lam) - alpha * lam + (a - 1) * math.log(p) + (b - 1) * math.log1p(-p)
        )
        return value * density

    value, _ = integrate.dblquad(individual, 1e-12, 1 - 1e-12, 1e-12, 40.0, epsabs=0, epsrel=1e-9)
    return value


@pytest.mark.parametrize("x, tx, T", [(0, 0.0, 30.0), (1, 5.0, 30.0), (4, 25.5, 38.0), (9, 12.0, 52.0)])
def test_fast_likelihood_matches_numerical_integration(x, tx, T):
    params = (1.7, 6.0, 1.4, 2.5)  # densities without singularities at 0 so quadrature is accurate
    fast = _row_loglik(BetaGeo(), params, x, tx, T)[0]
    slow = np.log(_slow_likelihood(*params, x, tx, T))
    assert fast == pytest.approx(slow, abs=1e-6)


@pytest.fixture(scope="module")
def recovered():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    data = simulate_bgnbd(20_000, **truth, seed=11)
    return truth, BetaGeo().fit(data, unit="W")


def test_recovers_true_parameters_within_three_standard_errors(recovered):
    # Tolerance: 3 standard errors of summary() (inverse observed information); with 20,000 customers
    # these are about 2-10% of the values. Each check fails by chance with probability 0.27%.
    truth, model = recovered
    table = model.summary()
    for name, value in truth.items():
        est, se = table.loc[name, "estimate"], table.loc[name, "std_error"]
        assert np.isfinite(se) and se > 0
        assert abs(est - value) < 3 * se, (name, est, se, value)


def test_summary_table(recovered):
    _, model = recovered
    table = model.summary()
    assert list(table.index[:4]) == ["r", "alpha", "a", "b"]
    assert table.attrs["n"] == 20_000
    assert table.attrs["AIC"] == pytest.approx(8 - 2 * model.log_likelihood_)
    assert "n=20,000" in repr(model)


def test_collapsing_rows_gives_the_same_fit():
    data = simulate_bgnbd(600, r=0.5, alpha=6.0, a=0.8, b=2.5, seed=3)
    data["T"] = 30.0
    data["recency"] = np.minimum(np.round(data["recency"]), 30.0)  # many identical rows
    doubled = pd.concat([data, data])
    one, two = BetaGeo().fit(data), BetaGeo().fit(doubled)
    for k in one.params_:
        assert one.params_[k] == pytest.approx(two.params_[k], rel=1e-4)
    assert two.log_likelihood_ == pytest.approx(2 * one.log_likelihood_, rel=1e-8)


def test_expected_purchases_new_customer_matches_simulation():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    model = BetaGeo()
    model.params_ = dict(truth)
    sim = simulate_bgnbd(400_000, **truth, seed=5, t_low=39.0, t_high=39.0)
    mean, se = sim["frequency"].mean(), sim["frequency"].std() / np.sqrt(len(sim))
    assert abs(model.expected_purchases(39.0) - mean) < 4 * se
    assert model.expected_purchases(0.0) == 0.0


def test_probability_alive_conventions_and_hand_value():
    model = BetaGeo()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert model.probability_alive(0, 0.0, 30.0) == 1.0
    assert model.probability_alive(3, 30.0, 30.0) < 1.0
    # hand arithmetic of eq. 11 for x = 2, t_x = 30.43, T = 38.86:
    ratio = (0.793 / (2.426 + 1)) * ((4.414 + 38.86) / (4.414 + 30.43)) ** (0.243 + 2)
    assert model.probability_alive(2, 30.43, 38.86) == pytest.approx(1 / (1 + ratio), rel=1e-12)


def test_conditional_expectation_zero_horizon_and_monotone():
    model = BetaGeo()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert model.conditional_expected_purchases(0.0, 2, 30.43, 38.86) == 0.0
    values = model.conditional_expected_purchases(np.array([1.0, 10.0, 39.0]), 2, 30.43, 38.86)
    assert np.all(np.diff(values) > 0)


def test_conditional_expectation_matches_simulation_of_survivors():
    # E[Y(t) | x, t_x, T] checked by simulating the posterior: draw (lambda, p) from the prior, weight by the
    # individual likelihood of (x, t_x, T), then E[Y(t)|lambda, p, alive] = (1 - (1-p)^... ) closed form per draw.
    truth = {"r": 1.2, "alpha": 5.0, "a": 1.5, "b": 3.0}
    x, tx, T, t = 3, 20.0, 30.0, 15.0
    rng = np.random.default_rng(0)
    n = 2_000_000
    lam = rng.gamma(truth["r"], 1 / truth["alpha"], n)
    p = rng.beta(truth["a"], truth["b"], n)
    alive_part = (1 - p) ** x * lam**x * np.exp(-lam * T)
    dead_part = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * tx)
    # alive at T, expected purchases in (T, T+t] of a BG process: (1/p)(1 - exp(-lam p t)) (FHL 2005 eq. 9, per person)
    value = np.sum(alive_part * (1 - np.exp(-lam * p * t)) / p) / np.sum(alive_part + dead_part)
    model = BetaGeo()
    model.params_ = truth
    assert model.conditional_expected_purchases(t, x, tx, T) == pytest.approx(value, rel=0.01)


def test_probability_of_purchases_sums_to_one_and_matches_simulation():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    model = BetaGeo()
    model.params_ = truth
    pmf = model.probability_of_purchases(np.arange(300), 39.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    sim = simulate_bgnbd(200_000, **truth, seed=9, t_low=39.0, t_high=39.0)
    shares = np.bincount(sim["frequency"], minlength=5)[:5] / len(sim)
    np.testing.assert_allclose(pmf[:5], shares, atol=4 * np.sqrt(0.25 / len(sim)))
    assert (pmf * np.arange(300)).sum() == pytest.approx(model.expected_purchases(39.0), rel=1e-6)


def test_not_fitted_message():
    with pytest.raises(NotFittedError, match=r"This BetaGeo is not fitted yet: call BetaGeo\(\)\.fit\(data\)"):
        BetaGeo().probability_alive(1, 1, 2)


def test_unidentifiable_data_messages():
    few = pd.DataFrame({"frequency": [1, 0, 2], "recency": [1.0, 0, 2], "T": [3.0, 3, 3]})
    with pytest.raises(ModelError, match="only 3 customers; a repeat-buying model needs at least 10"):
        BetaGeo().fit(few)
    none = pd.DataFrame({"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(1, 30, 50)})
    with pytest.raises(ModelError, match="none of the 50 customers made a repeat purchase"):
        BetaGeo().fit(none)
    at_end = pd.DataFrame({"frequency": [1, 2] * 25, "recency": [30.0] * 50, "T": [30.0] * 50})
    with pytest.raises(ModelError, match="every repeat buyer's last purchase falls on the last day"):
        BetaGeo().fit(at_end)


def test_bad_summary_messages():
    with pytest.raises(DataError, match="missing: recency"):
        BetaGeo().fit(pd.DataFrame({"frequency": [1], "T": [2.0]}))
    bad = pd.DataFrame({"frequency": [1, 2], "recency": [5.0, 1.0], "T": [3.0, 3.0]}, index=["a", "b"])
    with pytest.raises(DataError, match=r"'recency' exceeds 'T' for 1 customers \(first: \['a'\]\)"):
        BetaGeo().fit(bad)
    with pytest.raises(ModelError, match="initial_params"):
        BetaGeo(initial_params={"r": 1}).fit(simulate_bgnbd(100, 0.5, 6, 0.8, 2.5))


def _ridge_data() -> pd.DataFrame:
    """Nearly no drop-out signal: 400 customers who keep buying at a constant rate over 50 periods."""
    rng = np.random.default_rng(2)
    n = 400
    T = np.full(n, 50.0)
    x = rng.poisson(0.2 * 50, n) + 1
    tx = T - rng.exponential(1 / 0.2, n).clip(max=49)
    return pd.DataFrame({"frequency": x, "recency": np.clip(tx, 0, 50), "T": T})


def test_unidentified_parameters_are_flagged():
    # Nearly no drop-out signal: everyone keeps buying at a constant rate -> the estimates walk along a ridge
    # towards a limit of the model; the fit says which parameters the data do not identify.
    data = _ridge_data()
    model = BetaGeo().fit(data)
    assert "The data do not identify" in model.fit_info_["warning"] and "a" in model.fit_info_["warning"]
    assert model.summary().attrs["warning"] == model.fit_info_["warning"]
    # a small penalizer gives readable values
    assert "warning" not in BetaGeo(penalizer=0.01).fit(data).fit_info_


def test_a_ridge_is_reported_wherever_the_optimiser_stops_on_it():
    # The same data as above, the fit started far out on the ridge (every parameter past LOG_BOUND): where BFGS
    # stops on a flat ridge depends on the last bits of exp and log, which differ between processors, so the data
    # of the test above may end on either side of LOG_BOUND. Either way the answer is the same: the fit is kept
    # and the warning names the parameters the data do not identify; no standard error is given for them.
    data = _ridge_data()
    far = {"r": 1e8, "alpha": 5e8, "a": 1e-8, "b": 1e5}
    assert min(abs(np.log(v)) for v in far.values()) > LOG_BOUND / 1.6
    model = BetaGeo(initial_params=far).fit(data)
    assert model.fit_info_["warning"].startswith("The data do not identify r, alpha, a, b:")
    assert max(abs(np.log(v)) for v in model.params_.values()) > LOG_BOUND
    assert model.summary()["std_error"].isna().all()


def test_analytic_gradient_matches_finite_differences():
    from scipy import optimize

    data = simulate_bgnbd(2000, r=0.5, alpha=6.0, a=0.8, b=2.5, seed=1)
    model = BetaGeo()
    w = np.arange(1, 2001) % 3 + 1.0  # unequal weights
    design = model._design(tuple(data[c].to_numpy(float) for c in ("frequency", "recency", "T")), w)
    params = np.array([0.7, 5.0, 1.1, 2.0])
    analytic = (model._grad(params, design) * w).sum(axis=1)
    numeric = optimize.approx_fprime(params, lambda q: (w * model._loglik(q, design)).sum(), 1e-7)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4)
    # the fit's shared-term path (sums by distinct x, T, t_x) gives the same value and gradient as the rows
    total, grad = model._loglik_grad(params, design, w)
    assert total == pytest.approx((w * model._loglik(params, design)).sum(), rel=1e-12)
    np.testing.assert_allclose(grad, analytic, rtol=1e-10)


# -- numerics: finite and right where the model is defined (large x, long horizons, tiny T, a = 1) ------------
def _expected_by_integration(r, alpha, a, b, x, T, t, shift=0):
    """E[Y(t) | alive, x, T] = E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p], p ~ Beta(a, b + x + shift), by quadrature."""
    from scipy.special import betaln

    B, m, u = b + x + shift, r + x, t / (alpha + T)
    f = lambda p: (  # noqa: E731
        np.exp((a - 1) * np.log(p) + (B - 1) * np.log1p(-p) - betaln(a, B)) * -np.expm1(-m * np.log1p(p * u)) / p
    )
    value, _ = integrate.quad(f, 0, 1, epsabs=0, epsrel=1e-11, limit=500, points=[1e-6, 1e-4, 1e-2, 0.1, 0.5])
    return value


@pytest.mark.parametrize("a", [0.793, 1.0, 2.5])
def test_conditional_expectation_sweep_against_integration(a):
    # x up to 5,000, horizons up to 1,000 weeks, T from 0.01 to 500 weeks: the transformed hypergeometric term
    # agrees with a direct integration over the drop-out probability everywhere (the old form gave NaN or inf).
    model = BetaGeo()
    model.params_ = dict(CDNOW, a=a)
    grid = [
        (x, T, t) for x in (0, 1, 12, 300, 1500, 5000) for T in (0.01, 39.0, 500.0) for t in (0.01, 39.0, 520.0, 1000.0)
    ]
    x, T, t = (np.array(v, float) for v in zip(*grid))
    fast = model._expected_if_alive(t, x, T)
    slow = np.array(
        [_expected_by_integration(CDNOW["r"], CDNOW["alpha"], a, CDNOW["b"], xi, Ti, ti) for xi, Ti, ti in grid]
    )
    assert np.all(np.isfinite(fast))
    np.testing.assert_allclose(fast, slow, rtol=1e-8)
    # and the full conditional expectation stays finite with P(alive) for any recency
    values = model.conditional_expected_purchases(1000.0, x, np.minimum(T, 0.5 * T), T)
    assert np.all(np.isfinite(values)) and np.all(values >= 0)


def test_reference_values_of_the_issue(cdnow_calibration):
    # Fitted CDNOW BG/NBD: x = 300, t_x = 38.5, T = 39 over t = 520 weeks (lifetimes and a direct summation:
    # 938.89; the untransformed formula gave NaN), and x = 1500 at t = 39 (0.0552).
    model = BetaGeo().fit(cdnow_calibration, unit="W")
    assert model.conditional_expected_purchases(520, 300, 38.5, 39) == pytest.approx(938.89, abs=0.005)
    assert model.conditional_expected_purchases(39, 1500, 38.5, 39) == pytest.approx(0.0552, abs=5e-5)
    assert np.isfinite(model.conditional_expected_purchases(520, 290, 38.5, 39))


def test_a_equal_to_one_is_the_removable_singularity():
    # At a = 1 the closed forms divide 0 by 0; the limit at the CDNOW r, alpha, b is 1.08428 (new customer, 39
    # weeks) and 1.10214 (x = 2, t_x = 30.43, T = 38.86); values just beside a = 1 must join it smoothly.
    model = BetaGeo()
    model.params_ = dict(CDNOW, a=1.0)
    assert model.expected_purchases(39) == pytest.approx(1.08428, abs=5e-6)
    assert model.conditional_expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.10214, abs=5e-6)
    near = []
    for a in (1 - 1e-6, 1 + 1e-6, 1 - 2e-4, 1 + 2e-4):
        model.params_ = dict(CDNOW, a=a)
        near.append(model.expected_purchases(39))
    assert near[0] == pytest.approx(1.08428, abs=1e-5) and near[1] == pytest.approx(1.08428, abs=1e-5)
    model.params_ = dict(CDNOW, a=1.0)
    assert (near[2] + near[3]) / 2 == pytest.approx(model.expected_purchases(39), abs=1e-7)  # smooth through a = 1


def test_probability_of_purchases_large_x_is_finite():
    model = BetaGeo()
    model.params_ = dict(CDNOW)
    pmf = model.probability_of_purchases(np.arange(6000), 1000.0)
    assert np.all(np.isfinite(pmf)) and pmf.sum() == pytest.approx(1.0, abs=1e-8)


# -- horizons name their unit ----------------------------------------------------------------------------------
def test_horizon_unit_converts_and_is_checked():
    model = BetaGeo()
    model.params_ = dict(CDNOW)
    model.unit_ = "W"
    weeks = 12 * 30.4375 / 7
    assert model.expected_purchases(12, horizon_unit="M") == pytest.approx(model.expected_purchases(weeks), rel=1e-12)
    assert model.conditional_expected_purchases(1, 2, 30.0, 38.0, horizon_unit="Y") == pytest.approx(
        model.conditional_expected_purchases(365.25 / 7, 2, 30.0, 38.0), rel=1e-12
    )
    with pytest.raises(
        ParameterError, match=r"The 'horizon_unit' parameter of BetaGeo.expected_purchases must be one of"
    ):
        model.expected_purchases(12, horizon_unit="months")
    with pytest.raises(
        ParameterError,
        match=r"The 't' argument of BetaGeo.conditional_expected_purchases must hold finite numbers >= 0",
    ):
        model.conditional_expected_purchases(-1, 2, 30.0, 38.0)
    model.unit_ = None
    with pytest.raises(ModelError, match="horizon_unit='M' was given but the model does not know the unit of its data"):
        model.expected_purchases(12, horizon_unit="M")


# -- covariates (Fader and Hardie 2007 note) ------------------------------------------------------------------
def test_covariates_recover_known_coefficients_within_their_standard_errors():
    # alpha_i = alpha exp(-g1 * vip), a_i = a exp(g2 * z), b_i = b exp(g3 * z): simulated with known values.
    rng = np.random.default_rng(17)
    n = 12_000
    vip = (rng.random(n) < 0.4).astype(float)
    z = rng.normal(size=n)
    truth = {"r": 0.8, "alpha": 6.0, "a": 0.9, "b": 3.0, "purchase:vip": 0.7, "a:z": 0.4, "b:z": -0.3}
    alpha_i = truth["alpha"] * np.exp(-truth["purchase:vip"] * vip)
    a_i, b_i = truth["a"] * np.exp(truth["a:z"] * z), truth["b"] * np.exp(truth["b:z"] * z)
    data = simulate_bgnbd(n, truth["r"], alpha_i, a_i, b_i, seed=5, t_low=30.0, t_high=60.0)
    data["vip"], data["z"] = vip, z
    model = BetaGeo(purchase_covariates=["vip"], dropout_covariates=["z"]).fit(data, unit="W")
    assert model.param_names == ("r", "alpha", "a", "b", "purchase:vip", "a:z", "b:z")
    table = model.summary()
    for name, value in truth.items():  # 3 standard errors: each check fails by chance with probability 0.27%
        est, se = table.loc[name, "estimate"], table.loc[name, "std_error"]
        assert np.isfinite(se) and abs(est - value) < 3 * se, (name, est, se, value)
    assert (
        table.loc["purchase:vip", "lower_95"]
        < table.loc["purchase:vip", "estimate"]
        < table.loc["purchase:vip", "upper_95"]
    )
    # predictions take the covariates; without them the model says what it needs
    p = model.probability_alive(data["frequency"][:5], data["recency"][:5], data["T"][:5], covariates=data.iloc[:5])
    assert np.all((p > 0) & (p <= 1))
    with pytest.raises(ParameterError, match=r"this model has covariates \(vip, z\); give covariates="):
        model.probability_alive(1, 2.0, 30.0)
    with pytest.raises(DataError, match="the covariate columns z are missing"):
        BetaGeo(dropout_covariates=["z"]).fit(data.drop(columns="z"))
