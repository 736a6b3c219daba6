"""BG/BB: Fader, Hardie and Shang's (2010) donations, likelihood by enumeration, recovery, predictions, log summary."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from test_models_simulators import simulate_bgbb

from crmlib.data import DataError
from crmlib.datasets import load_donations
from crmlib.models import BetaGeoBetaBinom, ModelError, summarize_opportunities

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def donations_fit():
    return BetaGeoBetaBinom().fit(load_donations())


def test_donation_data_reproduce_the_published_estimates(donations_fit):
    # FHS (2010): 11,104 first-time donors of 1995, six yearly opportunities; alpha 1.204, beta 0.750,
    # gamma 0.657, delta 2.783 (log-likelihood -33,225.6).
    d = load_donations()
    assert int(d["weights"].sum()) == 11104 and d.attrs["published"] == PUBLISHED
    for name, value in PUBLISHED.items():
        assert round(donations_fit.params_[name], 3) == value, name
    assert round(donations_fit.log_likelihood_, 1) == -33225.6
    assert donations_fit.n_ == 11104


def test_bundled_file_is_lifetimes_donations_csv():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("lifetimes")  # the file of lifetimes' wheel, without importing the package
    theirs = pd.read_csv(Path(spec.submodule_search_locations[0]) / "datasets" / "donations.csv")
    ours = load_donations()
    np.testing.assert_array_equal(
        ours[["frequency", "recency", "n_periods", "weights"]].to_numpy(),
        theirs[["frequency", "recency", "periods", "weights"]].to_numpy(),
    )


def _string_probability(alpha, beta, gamma, delta, string):
    """Probability of one binary purchase string (1 = transaction at that opportunity), integrated over p and theta.

    The customer is alive at opportunities 1..k and dead from k + 1 on (k = n: alive throughout); k must cover
    the last transaction. Direct enumeration of the death period, then quadrature over the two beta densities.
    """
    n, x = len(string), sum(string)
    tx = max((i + 1 for i, v in enumerate(string) if v), default=0)

    def integrand(theta, p):
        total = 0.0
        for k in range(tx, n + 1):
            alive = (1 - theta) ** k * (theta if k < n else 1.0)
            total += alive * p**x * (1 - p) ** (k - x)
        return total * p ** (alpha - 1) * (1 - p) ** (beta - 1) * theta ** (gamma - 1) * (1 - theta) ** (delta - 1)

    norm = math.exp(
        math.lgamma(alpha)
        + math.lgamma(beta)
        - math.lgamma(alpha + beta)
        + math.lgamma(gamma)
        + math.lgamma(delta)
        - math.lgamma(gamma + delta)
    )
    value, _ = integrate.dblquad(integrand, 0, 1, 0, 1, epsabs=0, epsrel=1e-8)
    return value / norm


@pytest.mark.parametrize("x, tx, n", [(0, 0, 2), (2, 3, 4), (3, 3, 3)])
def test_likelihood_matches_enumeration_and_integration(x, tx, n):
    # FHS (2010) eq. 5 is the probability of any one purchase string with these (x, t_x): (x, t_x, n) suffice
    params = np.array([1.6, 1.9, 1.5, 2.2])  # no density singularities, so quadrature is exact enough
    model = BetaGeoBetaBinom()
    fast = model._loglik(params, model._design(tuple(np.array([v], float) for v in (x, tx, n)), np.ones(1)))[0]
    strings = [
        s
        for s in itertools.product((0, 1), repeat=n)
        if sum(s) == x and max((i + 1 for i, v in enumerate(s) if v), default=0) == tx
    ]
    for string in strings[: 2 if x == 2 else 1]:
        assert fast == pytest.approx(math.log(_string_probability(*params, string)), abs=1e-7)


def test_gradient_matches_finite_differences():
    d = load_donations()
    model = BetaGeoBetaBinom()
    w = d["weights"].to_numpy(float)
    design = model._design(tuple(d[c].to_numpy(float) for c in ("frequency", "recency", "n_periods")), w)
    p = np.array([1.2, 0.8, 0.7, 2.5])
    analytic = (model._grad(p, design) * w).sum(axis=1)
    h = 1e-6 * p
    numeric = [
        ((w * model._loglik(p + h[i] * e, design)).sum() - (w * model._loglik(p - h[i] * e, design)).sum()) / (2 * h[i])
        for i, e in enumerate(np.eye(4))
    ]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


def test_recovers_true_parameters_within_three_standard_errors():
    truth = {"alpha": 1.5, "beta": 1.0, "gamma": 0.8, "delta": 3.0}
    data = simulate_bgbb(30_000, **truth, n_periods=8, seed=14)
    table = BetaGeoBetaBinom().fit(data).summary()
    for name, value in truth.items():  # tolerance: 3 standard errors
        assert abs(table.loc[name, "estimate"] - value) < 3 * table.loc[name, "std_error"], name


def test_predictions_equal_lifetimes_and_limits(donations_fit):
    from lifetimes import BetaGeoBetaBinomFitter

    theirs = BetaGeoBetaBinomFitter()
    theirs.params_ = pd.Series(donations_fit.params_)
    x, tx, n = np.array([6, 3, 0, 1]), np.array([6, 4, 0, 1]), np.array([6, 6, 6, 6])
    np.testing.assert_allclose(
        donations_fit.probability_alive(x, tx, n), theirs.conditional_probability_alive(1, x, tx, n), rtol=1e-10
    )
    np.testing.assert_allclose(
        donations_fit.conditional_expected_purchases(5, x, tx, n),
        theirs.conditional_expected_number_of_purchases_up_to_time(5, x, tx, n),
        rtol=1e-10,
    )
    # P(X(n) = x) sums to 1 and its mean is E[X(n)]; DERT equals the direct discounted sum
    pmf = donations_fit.probability_of_purchases(np.arange(7), 6)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert (pmf * np.arange(7)).sum() == pytest.approx(donations_fit.expected_purchases(6), rel=1e-10)
    steps = np.arange(1, 3000)
    cum = donations_fit.conditional_expected_purchases(steps, 3, 4, 6)
    direct = np.sum(np.diff(np.r_[0.0, cum]) / 1.1 ** (steps - 1)) / 1.1  # transactions at n+k discounted k periods
    assert donations_fit.discounted_expected_residual_transactions(0.1, 3, 4, 6) == pytest.approx(direct, rel=1e-8)
    # gamma = 1: the closed form's removable singularity
    model = BetaGeoBetaBinom()
    values = []
    for g in (1 - 1e-7, 1.0, 1 + 1e-7):
        model.params_ = dict(PUBLISHED, gamma=g)
        values.append(model.conditional_expected_purchases(5, 3, 4, 6))
    assert values[1] == pytest.approx(values[0], rel=1e-6) and values[1] == pytest.approx(values[2], rel=1e-6)


def test_summarize_opportunities_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c", "c", "d"],
            "date": pd.to_datetime(
                [
                    "2019-05-01",
                    "2019-11-11",
                    "2021-02-01",
                    "2021-03-01",
                    "2020-06-30",
                    "2019-01-01",
                    "2023-01-02",
                    "2022-12-31",
                ]
            ),
            "amount": 1.0,
        }
    )
    out = summarize_opportunities(tx, period="Y", observation_end="2022-12-31")
    # a: first 2019; years with a repeat purchase: 2021 (two in one year count once) -> x = 1, t_x = 2, n = 3
    # b: first 2020, no repeat -> (0, 0, 2); c: the 2023 purchase is after observation_end -> (0, 0, 3);
    # d: first purchase in the last year -> n = 0
    assert out.loc["a"].tolist() == [1, 2, 3]
    assert out.loc["b"].tolist() == [0, 0, 2]
    assert out.loc["c"].tolist() == [0, 0, 3]
    assert out.loc["d"].tolist() == [0, 0, 0]
    collapsed = summarize_opportunities(tx, period="Y", observation_end="2022-12-31", collapse=True)
    assert collapsed["weights"].sum() == 4
    monthly = summarize_opportunities(tx, period="M", observation_end="2021-03-31")
    assert monthly.loc["a"].tolist() == [3, 22, 22]  # 2019-05 is month 0: 2019-11 (6), 2021-02 (21), 2021-03 (22)
    with pytest.raises(DataError, match="needs the columns customer_id, date and amount"):
        summarize_opportunities(tx.drop(columns="amount"))


def test_from_log_to_fit_recovers_the_simulated_truth():
    # a transaction log drawn from the BG/BB (yearly opportunities), summarised, fitted
    truth = {"alpha": 1.3, "beta": 0.9, "gamma": 0.6, "delta": 2.4}
    n = 10_000
    rng = np.random.default_rng(16)
    p, theta = rng.beta(truth["alpha"], truth["beta"], n), rng.beta(truth["gamma"], truth["delta"], n)
    death = rng.geometric(theta)  # first opportunity at which the customer is dead
    year = np.arange(1, 8)
    buys = (rng.random((n, 7)) < p[:, None]) & (year[None, :] < death[:, None])
    who, when = np.nonzero(np.column_stack([np.ones(n, bool), buys]))  # year 0 is everyone's first purchase
    day = pd.to_timedelta(rng.integers(0, 365, len(who)), unit="D")  # anywhere in that calendar year
    start = pd.to_datetime(pd.Series(2010 + when).astype(str) + "-01-01")
    log = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in who], "date": start + day, "amount": 1.0})
    summary = summarize_opportunities(log, period="Y", observation_end="2017-12-31")
    np.testing.assert_array_equal(summary["frequency"].to_numpy(), buys.sum(axis=1))
    assert (summary["n_periods"] == 7).all()
    table = BetaGeoBetaBinom().fit(summary).summary()
    for name, value in truth.items():
        assert abs(table.loc[name, "estimate"] - value) < 3 * table.loc[name, "std_error"], name


def test_data_messages():
    d = load_donations()
    with pytest.raises(DataError, match=r"break 0 <= frequency <= recency <= n_periods"):
        BetaGeoBetaBinom().fit(d.assign(recency=0))
    with pytest.raises(DataError, match="missing: n_periods"):
        BetaGeoBetaBinom().fit(d.drop(columns="n_periods"))
    with pytest.raises(ModelError, match="nobody transacted after the first opportunity"):
        BetaGeoBetaBinom().fit(pd.DataFrame({"frequency": [0] * 20, "recency": [0] * 20, "n_periods": [5] * 20}))
