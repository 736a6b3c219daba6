"""The bundled data and the synthetic generators: ground truth, moments, loaders, regeneration."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

import crmlib.datasets as ds
from crmlib import churn, clv, lifecycle, tiers
from crmlib.models import BetaGeo, GammaGamma, ParetoNBD
from crmlib.params import ParameterError
from crmlib.rfm import summarize

# ---------------------------------------------------------------------------------------------
# make_retail
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_retail():
    """50,000 customers: enough for moment checks with tight tolerances, still well under a second."""
    return ds.make_retail(50_000, seed=7)


def test_bundled_log_model_free_check():
    # summarize on the committed log must reproduce the generator's own per-customer truth EXACTLY.
    tx = ds.load_transactions()
    customers = ds.load_customers().set_index("customer_id")
    summary = summarize(tx, observation_end="2025-06-30")
    assert summary.index.equals(customers.index)
    assert (summary["frequency"] == customers["true_frequency"]).all()
    assert (summary["recency"] == customers["true_recency"]).all()
    assert (summary["T"] == customers["true_T"]).all()
    assert np.abs(summary["monetary_value"] - customers["true_monetary_value"]).max() < 1e-9


def test_generated_truth_equals_summarize_in_weeks():
    data = ds.make_retail(3000, seed=3)
    summary = summarize(data.transactions, observation_end=data.params["observation_end"], unit="W")
    truth = data.truth
    assert (summary["frequency"] == truth["frequency"]).all()
    assert np.allclose(summary["recency"], truth["recency"] / 7, rtol=0, atol=1e-12)
    assert np.allclose(summary["T"], truth["T"] / 7, rtol=0, atol=1e-12)
    assert np.abs(summary["monetary_value"] - truth["monetary_value"]).max() < 1e-9


def test_same_day_purchases_exist_and_are_separate_rows(big_retail):
    # The log keeps same-day purchases as separate rows, so the merging rule is exercised.
    tx = big_retail.transactions
    assert tx.duplicated(["customer_id", "date"]).any()
    # true_purchases counts every drawn purchase: exactly the number of rows per customer
    rows = tx.groupby("customer_id").size()
    assert (
        rows.reindex(big_retail.customers["customer_id"]).to_numpy() == big_retail.customers["true_purchases"]
    ).all()


def test_signup_is_first_purchase_and_cohorts_cover_the_window():
    tx = ds.load_transactions()
    customers = ds.load_customers().set_index("customer_id")
    first = tx.groupby("customer_id")["date"].min()
    assert (first == customers["signup_date"]).all()
    # continuous acquisition: new customers in every month from 2021-01 to 2025-06 (54 cohorts, >= 24)
    months = customers["signup_date"].dt.to_period("M").value_counts().sort_index()
    expected_months = pd.period_range("2021-01", "2025-06", freq="M")
    assert list(months.index) == list(expected_months) and len(months) >= 24
    # each month's count is the multinomial count of the stated weights: days x seasonality x growth (4 sd)
    prm = customers.attrs["true_params"]
    days = pd.date_range(prm["start"], prm["acquisition_end"], freq="D")
    years = (days - days[0]).days.to_numpy() / 365.25
    weight = np.asarray(prm["seasonality"])[days.month - 1] * (1 + prm["growth"]) ** years
    share = pd.Series(weight, index=days.to_period("M")).groupby(level=0).sum() / weight.sum()
    n = len(customers)
    sd = np.sqrt(n * share * (1 - share))
    assert np.all(np.abs(months.to_numpy() - n * share.to_numpy()) < 4 * sd.to_numpy())
    # seasonality and growth show: the year-end months of the last full year bring the most new customers
    assert months[pd.Period("2024-12")] > 1.3 * months[pd.Period("2024-02")]
    assert months[pd.Period("2024-11")] > months[pd.Period("2021-11")]
    assert tx["date"].max() == pd.Timestamp("2025-06-30")


def test_zero_repeat_share_matches_bgnbd_closed_form(big_retail):
    # A customer who makes no repeat purchase cannot drop out (dropout only follows a purchase), so
    # P(X(t) = 0 | lambda) = exp(-lambda t) and, over lambda ~ Gamma(r, alpha),
    # P(X(t) = 0) = (alpha / (alpha + t))^r   (Fader, Hardie and Lee 2005a, eq. 8 with x = 0 terms).
    # The continuous horizon t lies in (T, T + 1] days, T the truth's whole-day value.
    r, alpha = big_retail.params["r"], big_retail.params["alpha"]
    weeks = big_retail.truth["T"].to_numpy() / 7
    hi = np.mean((alpha / (alpha + weeks)) ** r)
    lo = np.mean((alpha / (alpha + weeks + 1 / 7)) ** r)
    n = len(weeks)
    observed = np.mean(big_retail.customers["true_purchases"] == 1)
    sd = np.sqrt(hi * (1 - hi) / n)
    assert lo - 4 * sd < observed < hi + 4 * sd


def test_alive_share_matches_closed_form(big_retail):
    # Alive at the end iff the geometric number of purchases before dropout J exceeds the Poisson
    # count N: P(alive | lambda, p) = E[(1-p)^N] = exp(-lambda p t). Over lambda ~ Gamma(r, alpha):
    # (1 + p t / alpha)^(-r); over p ~ Beta(a, b) (Euler's integral): 2F1(r, a; a + b; -t / alpha).
    prm = big_retail.params
    weeks = (big_retail.truth["T"].to_numpy() + 0.5) / 7
    closed = special.hyp2f1(prm["r"], prm["a"], prm["a"] + prm["b"], -weeks / prm["alpha"])
    # the hypergeometric form checked against direct numerical integration at one horizon
    beta = stats.beta(prm["a"], prm["b"])
    t = weeks[0]
    direct = integrate.quad(lambda p: (1 + p * t / prm["alpha"]) ** -prm["r"] * beta.pdf(p), 0, 1)[0]
    assert closed[0] == pytest.approx(direct, rel=1e-6)
    expected = closed.mean()
    observed = big_retail.customers["true_alive"].mean()
    sd = np.sqrt(expected * (1 - expected) / len(weeks))
    assert abs(observed - expected) < 4 * sd


def test_mean_repeat_purchases_match_bgnbd_expectation(big_retail):
    # Fader, Hardie and Lee (2005a), eq. 9: the expected number of repeat purchases in (0, t]
    # E[X(t)] = (a + b - 1)/(a - 1) * [1 - (alpha/(alpha + t))^r * 2F1(r, b; a + b - 1; t/(alpha + t))],
    # counted on the drawn purchases (true_purchases - 1, before same-day merging); horizon t = T + 1/2 day.
    prm = big_retail.params
    r, alpha, a, b = prm["r"], prm["alpha"], prm["a"], prm["b"]
    t = (big_retail.truth["T"].to_numpy() + 0.5) / 7
    expected = (
        (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    x = big_retail.customers["true_purchases"].to_numpy() - 1
    assert abs(x.mean() - expected.mean()) < 4 * x.std() / np.sqrt(len(x))


def test_first_purchase_spend_matches_gamma_gamma_mean(big_retail):
    # Every amount is Gamma(p, nu) with nu ~ Gamma(q, v): E[z] = p v / (q - 1) = 6 * 15 / 3 = 30.
    # Var[z] = E[p/nu^2] + Var[p/nu] with E[1/nu^2] = v^2 / ((q-1)(q-2)) = 37.5:
    # = 6 * 37.5 + (36 * 37.5 - 30^2) = 225 + 450 = 675. First purchases are one per customer, iid.
    prm = big_retail.params
    assert prm["p"] * prm["v"] / (prm["q"] - 1) == 30.0
    tx = big_retail.transactions
    first = tx.drop_duplicates("customer_id")  # rows are sorted by date, then customer, then time
    assert len(first) == 50_000
    se = np.sqrt(675 / len(first))
    assert abs(first["amount"].mean() - 30.0) < 4 * se
    # per-customer true mean spend p / nu: mean p v / (q - 1) as well
    assert abs(big_retail.customers["true_mean_spend"].mean() - 30.0) < 4 * np.sqrt(450 / 50_000)


def test_latent_draws_match_their_distributions(big_retail):
    c = big_retail.customers
    prm = big_retail.params
    # Kolmogorov-Smirnov against the stated distributions (lambda per week, p, nu with rate v)
    assert stats.kstest(c["true_lambda"], stats.gamma(prm["r"], scale=1 / prm["alpha"]).cdf).pvalue > 1e-4
    assert stats.kstest(c["true_p"], stats.beta(prm["a"], prm["b"]).cdf).pvalue > 1e-4
    assert stats.kstest(c["true_nu"], stats.gamma(prm["q"], scale=1 / prm["v"]).cdf).pvalue > 1e-4


def test_channels_differ_in_cost_and_quality_while_the_pool_keeps_the_stated_laws(big_retail):
    c = big_retail.customers
    costs = c.groupby("channel")["acquisition_cost"].unique()
    assert {k: float(v[0]) for k, v in costs.items()} == {k: v["cost"] for k, v in ds.DEFAULT_CHANNELS.items()}
    # the tilt is calibrated so that each channel still brings its stated share of the customers
    shares = c["channel"].value_counts(normalize=True)
    for name, spec in ds.DEFAULT_CHANNELS.items():
        assert abs(shares[name] - spec["share"]) < 4 * np.sqrt(spec["share"] * (1 - spec["share"]) / len(c))
    # the quality score is N(0, 1) over the pool, and channels are ordered by their stated quality tilt
    assert stats.kstest(c["true_quality"], "norm").pvalue > 1e-4
    by_quality = c.groupby("channel")["true_quality"].mean().sort_values()
    stated = sorted(ds.DEFAULT_CHANNELS, key=lambda k: ds.DEFAULT_CHANNELS[k]["quality"])
    assert list(by_quality.index) == stated
    # better channels bring customers who buy more often and drop out less (social vs referral)
    means = c.groupby("channel")[["true_lambda", "true_p", "true_mean_spend"]].mean()
    assert means.loc["referral", "true_lambda"] > 1.5 * means.loc["social", "true_lambda"]
    assert means.loc["referral", "true_p"] < means.loc["social", "true_p"]
    assert means.loc["referral", "true_mean_spend"] > means.loc["social", "true_mean_spend"]


def test_make_retail_is_deterministic_by_seed():
    a = ds.make_retail(300, seed=11)
    b = ds.make_retail(300, seed=11)
    c = ds.make_retail(300, seed=12)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    assert not a.transactions["amount"].equals(c.transactions["amount"])


def test_make_retail_attrs_and_amounts():
    data = ds.make_retail(100, seed=1, r=0.7, alpha=5.0)
    for frame in (data.transactions, data.customers, data.truth):
        assert frame.attrs["true_params"]["r"] == 0.7
        assert frame.attrs["true_params"]["alpha"] == 5.0
    cents = data.transactions["amount"] * 100
    assert np.allclose(cents, np.round(cents)) and (data.transactions["amount"] >= 0.01).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 0}, r"The 'n_customers' parameter of make_retail must be an integer in \[1, inf\)\. Got 0"),
        ({"r": -1.0}, r"The 'r' parameter of make_retail must be a number in \(0, inf\)\. Got -1.0"),
        (
            {"acquisition_end": "2022-01-01"},
            r"'acquisition_end' parameter of make_retail must not come before start \(2023-01-01\)",
        ),
        (
            {"observation_end": "2023-06-01"},
            r"'observation_end' parameter of make_retail must not come before acquisition_end",
        ),
        ({"dropout": "never"}, r"The 'dropout' parameter of make_retail must be one of"),
        ({"seasonality": [1.0, 2.0]}, r"'seasonality' parameter of make_retail must give 12 relative volumes"),
        ({"economics": {"margin": 0.3}}, r"'economics' parameter of make_retail has unknown keys \['margin'\]"),
        (
            {"churn_study": True, "start": "2024-01-01", "acquisition_end": "2024-06-30"},
            r"'churn_study' parameter of make_retail needs a log of more than two years",
        ),
        ({"regions": {"North": 0.5}}, r"'regions' parameter of make_retail must give shares .* add up to 1"),
        (
            {"channels": {"web": {"share": 1.0}}},
            r"'channels' parameter of make_retail must be a dict \{name: \{'share': s, 'cost': c\}\}",
        ),
        (
            {"channels": {"web": {"share": 1.0, "cost": -5}}},
            r"The \"channels\['web'\]\['cost'\]\" parameter of make_retail must be a number in \[0, inf\)",
        ),
    ],
)
def test_make_retail_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        ds.make_retail(**{"n_customers": 10, **kwargs})


# ---------------------------------------------------------------------------------------------
# The bundled business: what the chapters teach is in the data (shares through the public functions)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def business():
    return ds.load_transactions(), ds.load_customers().set_index("customer_id")


def test_all_four_lifecycle_layers_at_the_end_of_the_log(business):
    tx, _ = business
    stages = lifecycle.stages_at(tx)["stage"]
    share = stages.value_counts(normalize=True).reindex(lifecycle.STAGES)
    assert (share >= 0.05).all(), share.to_dict()
    # and each layer of the active customers (not lapsed) is at least 5% of them
    active = stages[stages != "lapsed"].astype(str).value_counts(normalize=True)
    assert (active.reindex(["first-time", "short-term", "long-term"]) >= 0.05).all(), active.to_dict()


@pytest.mark.parametrize("margin", ["per customer", 0.3])
def test_all_four_value_potential_quadrants_under_the_default_rule(business, margin):
    tx, customers = business
    rate = customers["margin_rate"] if margin == "per customer" else margin
    values = clv.value_components(tx, margin_rate=rate)
    # close to half the customers bought nothing in the last year: their current value ties at 0 ...
    assert (values["current_value"] == 0).mean() > 0.4
    vp = tiers.value_potential(values["current_value"], values["potential_value"])
    # ... yet the default rule splits the axis among the customers who have a value, and every quadrant is filled
    assert vp.attrs["current_threshold"] > 0
    share = vp["quadrant"].value_counts(normalize=True).reindex(["platinum", "gold", "iron", "lead"])
    assert (share >= 0.05).all(), share.to_dict()
    # potential does not track current value: among customers with the same (zero) current value it varies
    idle = values["current_value"] == 0
    assert values.loc[idle, "potential_value"].std() > 0.5 * values["potential_value"].std()


def test_pyramid_tiers_differ_in_profit_as_the_sources_describe(business):
    tx, customers = business
    econ = customers.attrs["true_params"]["economics"]
    profit = clv.customer_profit(
        tx,
        margin_rate=customers["margin_rate"],
        cost_per_purchase=econ["cost_per_purchase"],
        service_cost=customers["service_contacts"] * econ["cost_per_contact"],
    )
    table = tiers.tier_table(profit, tiers.pyramid(profit))
    per_customer = table.loc[["VIP", "major", "common", "minor"], "value_per_customer"].to_numpy()
    # profit per customer falls steeply from tier to tier (VIP several times a major customer, and so on)
    assert (per_customer[:-1] > 2.5 * per_customer[1:]).all(), per_customer
    # the lecture's illustration: top 5% about 50% of the profit, next 15% about 30%, remaining 80% about 20%
    three = tiers.tier_table(profit, tiers.pyramid(profit, shares=(0.05, 0.15, 0.80), labels=("top", "next", "rest")))
    shares = three["share_of_value"]
    assert 0.40 <= shares["top"] <= 0.60 and 0.22 <= shares["next"] <= 0.38 and 0.10 <= shares["rest"] <= 0.30
    # some customers cost more to serve than they bring (Zeithaml, Rust and Lemon's lead tier)
    assert 0.05 <= (profit < 0).mean() <= 0.35
    zrl = tiers.tier_table(profit, tiers.profitability_tiers(profit))
    assert zrl.loc["lead", "value_per_customer"] < 0 < zrl.loc["iron", "value_per_customer"]
    # the unprofitable are the demanding and the low-margin: more contacts, lower margin rate
    lead = profit < 0
    assert (
        customers.loc[lead.index[lead], "service_contacts"].mean()
        > 3 * customers.loc[lead.index[~lead], "service_contacts"].mean()
    )
    assert (
        customers.loc[lead.index[lead], "margin_rate"].mean() < customers.loc[lead.index[~lead], "margin_rate"].mean()
    )


def test_cohorts_span_more_than_two_years(business):
    tx, _ = business
    retention = lifecycle.cohort_matrix(tx, period="M", metric="retention")
    assert len(retention) >= 24
    # every cohort has customers, and the earliest cohorts are followed for more than four years
    assert retention.loc[:, 0].notna().all()
    assert retention.notna().sum(axis=1).max() >= 48


@pytest.fixture(scope="module")
def weekly(business):
    tx, _ = business
    return summarize(tx, unit="W")


def _within(model, truth, k=3.0):
    table = model.summary()
    z = {name: (table.loc[name, "estimate"] - value) / table.loc[name, "std_error"] for name, value in truth.items()}
    assert all(np.isfinite(list(z.values()))) and max(abs(v) for v in z.values()) < k, z
    return z


def test_bgnbd_and_gamma_gamma_recover_the_bundled_truth(business, weekly):
    truth = business[0].attrs["true_params"]
    assert truth["dropout"] == "purchase" and truth["rate_unit"] == "W"
    # each estimate within 3 standard errors of the generator's value (7 checks: a false alarm about 2% of seeds)
    _within(BetaGeo().fit(weekly, unit="W"), {k: truth[k] for k in ("r", "alpha", "a", "b")})
    _within(GammaGamma().fit(weekly[weekly["frequency"] > 0]), {k: truth[k] for k in ("p", "q", "v")})


def test_pareto_nbd_recovers_the_same_business_drawn_with_continuous_dropout():
    # The bundled log's customers drop out at purchases (BG/NBD); the same business with exponential lifetimes
    # (Pareto/NBD: mu ~ Gamma(s, beta) per week) is the truth for the Pareto/NBD.
    data = ds.make_retail(**{**ds.BUNDLED_RETAIL, "dropout": "time", "churn_study": False})
    prm = data.params
    assert prm["dropout"] == "time" and "true_mu" in data.customers.columns
    model = ParetoNBD().fit(summarize(data.transactions, unit="W"), unit="W")
    _within(model, {k: prm[k] for k in ("r", "alpha", "s", "beta")})


def test_customers_who_leave_never_return_but_lapsed_customers_come_back(business):
    tx, customers = business
    days = (
        tx.assign(day=tx["date"].dt.normalize())
        .drop_duplicates(["customer_id", "day"])
        .sort_values(["customer_id", "day"])
    )
    last = days.groupby("customer_id")["day"].max()
    left = customers["true_dropout_date"].notna()
    assert (left == ~customers["true_alive"]).all() and 0.2 < left.mean() < 0.6
    # a customer who truly left made their last purchase on the day they left (BG/NBD: right after a purchase)
    assert (last[left.index[left]] == customers.loc[left, "true_dropout_date"]).all()
    # the firm's 180-day rule calls many customers lapsed who then buy again: comebacks are in the log
    gap = days.groupby("customer_id")["day"].diff().dt.days
    came_back = set(days.loc[gap > lifecycle.LAPSE_DAYS, "customer_id"])
    assert len(came_back) > 0.05 * len(customers)
    assert all(
        customers.loc[list(came_back), "true_alive"] | customers.loc[list(came_back), "true_dropout_date"].notna()
    )


def test_loyalty_members_join_at_a_purchase_after_the_launch_and_buy_more(business):
    tx, customers = business
    launch = pd.Timestamp(customers.attrs["true_params"]["economics"]["loyalty_launch"])
    members = customers[customers["loyalty_member"]]
    assert 0.2 < customers["loyalty_member"].mean() < 0.6
    assert (members["loyalty_since"] >= launch).all() and customers.loc[
        ~customers["loyalty_member"], "loyalty_since"
    ].isna().all()
    bought = set(zip(tx["customer_id"], tx["date"]))
    assert all((cid, when) in bought for cid, when in members["loyalty_since"].items())
    # members are better customers (membership is drawn given the customer's quality)
    eligible = customers[tx.groupby("customer_id")["date"].max().reindex(customers.index) >= launch]
    by_member = eligible.groupby("loyalty_member")[["true_lambda", "true_p", "true_quality"]].mean()
    assert by_member.loc[True, "true_lambda"] > 1.3 * by_member.loc[False, "true_lambda"]
    assert by_member.loc[True, "true_p"] < by_member.loc[False, "true_p"]


def test_service_contacts_and_complaints(business):
    _, customers = business
    assert (customers["complaints"] <= customers["service_contacts"]).all()
    assert 0.2 < (customers["service_contacts"] > 0).mean() < 0.8
    share = customers["complaints"].sum() / customers["service_contacts"].sum()
    assert abs(share - customers.attrs["true_params"]["economics"]["complaint_share"]) < 0.05


def test_churn_study_belongs_to_the_log(business):
    tx, customers = business
    study = ds.load_churn()
    prm = study.attrs["true_params"]
    start, end = pd.Timestamp(prm["study_start"]), pd.Timestamp(prm["study_end"])
    assert end == tx["date"].max() and (end - start).days == 364
    before = set(tx.loc[(tx["date"] < start) & (tx["date"] >= start - pd.Timedelta(days=365)), "customer_id"])
    assert set(study.index) == before
    during = set(tx.loc[tx["date"] >= start, "customer_id"])
    assert (study["churned"] == [int(c not in during) for c in study.index]).all()
    assert 0.3 < study["churned"].mean() < 0.7
    signup = customers.loc[study.index, "signup_date"]
    assert np.allclose(study["tenure_years"], ((start - pd.Timedelta(days=1) - signup).dt.days / 365.25).round(2))
    member = customers.loc[study.index, "loyalty_member"] & (customers.loc[study.index, "loyalty_since"] < start)
    assert (study["loyalty_member"] == member).all() and (study["bonds"] >= study["loyalty_member"]).all()
    # the study's service failures and complaints are part of the customer's service record
    assert (study["service_failures"] <= customers.loc[study.index, "service_contacts"]).all()
    handled = study["complaint_resolved"] + study["complaint_unresolved"]
    assert (handled <= customers.loc[study.index, "complaints"]).all() and (
        handled <= (study["service_failures"] > 0)
    ).all()


def test_churn_study_logit_recovers_the_true_coefficients():
    study = ds.load_churn()
    drivers = list(ds.CHURN_DRIVERS) + ["loyalty_member"]
    model = churn.ChurnLogit().fit(study[drivers].astype(float), study["churned"])
    truth = study.attrs["true_params"]["coefficients"]
    assert set(truth) == set(ds.CHURN_DRIVERS) - {"tenure_years"}
    z = {k: (model.params_[k] - v) / model.bse_[k] for k, v in truth.items()}
    assert max(abs(v) for v in z.values()) < 3, z  # 8 checks within 3 standard errors
    # an unresolved complaint goes with more churn in the raw data, a resolved one does not
    rate = study.groupby("complaint_unresolved")["churned"].mean()
    assert rate[1] > rate[0] + 0.1


def test_churn_study_laws_make_the_log_odds_exactly_linear():
    # Independently of the generator's code: draw churn 50/50 and each driver from the stated laws of the two
    # groups; by Bayes' rule the logit of churn is linear in the drivers with the stated coefficients.
    study = ds.load_churn()
    prm = study.attrs["true_params"]
    laws, beta = prm["laws"], prm["coefficients"]
    rng = np.random.default_rng(3)
    n = 60_000
    y = rng.random(n) < 0.5

    def law(key):
        return np.where(y, laws["churned"][key], laws["stayed"][key])

    failures = rng.poisson(law("service_failures"))
    u = rng.random(n)
    unresolved = (failures > 0) & (u < law("unresolved"))
    resolved = (failures > 0) & (u >= law("unresolved")) & (u < law("unresolved") + law("resolved"))
    X = pd.DataFrame(
        {
            "price_increase": rng.random(n) < law("price_increase"),
            "service_failures": failures,
            "complaint_unresolved": unresolved,
            "complaint_resolved": resolved,
            "competitor_offer": rng.random(n) < law("competitor_offer"),
            "distance_km": rng.gamma(laws["distance_shape"], 1 / law("distance_rate")),
            "lost_need": rng.random(n) < law("lost_need"),
            "bonds": rng.binomial(2, law("tie")),
        }
    ).astype(float)
    # both groups complain equally often when something failed: only the handling differs
    assert laws["stayed"]["resolved"] + laws["stayed"]["unresolved"] == pytest.approx(laws["complaint_share"])
    assert laws["churned"]["resolved"] + laws["churned"]["unresolved"] == pytest.approx(laws["complaint_share"])
    model = churn.ChurnLogit().fit(X, y.astype(int))
    z = {k: (model.params_[k] - v) / model.bse_[k] for k, v in beta.items()}
    assert max(abs(v) for v in z.values()) < 4, z


# ---------------------------------------------------------------------------------------------
# Loaders, bundled files, regeneration
# ---------------------------------------------------------------------------------------------


def test_load_transactions_dtypes_and_attrs():
    tx = ds.load_transactions(None, customer="customer_id", date="date", amount="amount")
    assert list(tx.columns) == ["customer_id", "date", "amount"]
    assert pd.api.types.is_string_dtype(tx["customer_id"])
    assert pd.api.types.is_datetime64_any_dtype(tx["date"])
    assert (tx["date"] == tx["date"].dt.normalize()).all()
    assert tx["amount"].dtype == np.float64
    assert tx.attrs["true_params"]["r"] == ds.BUNDLED_RETAIL["r"]
    assert tx.attrs["source"] == "bundled: transactions.csv"
    assert tx["customer_id"].str.fullmatch(r"C\d{6}").all()


def test_load_customers_dtypes():
    c = ds.load_customers()
    assert len(c) == ds.BUNDLED_RETAIL["n_customers"] == c["customer_id"].nunique()
    for col in ("signup_date", "loyalty_since", "true_dropout_date"):
        assert pd.api.types.is_datetime64_any_dtype(c[col]), col
    assert c["true_alive"].dtype == bool and c["loyalty_member"].dtype == bool
    assert c["service_contacts"].dtype == np.int64 and c["complaints"].dtype == np.int64
    assert c["acquisition_cost"].dtype == np.float64
    assert c.attrs["true_params"]["seed"] == ds.BUNDLED_RETAIL["seed"]


def test_load_transactions_rejects_column_settings_without_a_file():
    with pytest.raises(ParameterError, match=r"load_transactions got customer='cust' but no file"):
        ds.load_transactions(None, customer="cust", date="date")


def test_load_transactions_with_a_path_reads_the_file(tmp_path):
    original = ds.load_transactions()
    path = tmp_path / "mine.csv"
    original.rename(columns={"customer_id": "cust", "date": "day", "amount": "value"}).to_csv(path, index=False)
    mine = ds.load_transactions(path, customer="cust", date="day", amount="value")
    assert len(mine) == len(original)
    assert mine["amount"].sum() == pytest.approx(original["amount"].sum())


def test_missing_data_folder_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMLIB_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"Regenerate the data with `make data`"):
        ds.load_transactions()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    from crmlib.datasets.__main__ import write_all

    folder = tmp_path_factory.mktemp("data")
    write_all(folder, verbose=False)
    return folder


def test_committed_files_equal_regeneration(regenerated, root):
    written = sorted(p.name for p in regenerated.iterdir())
    assert "transactions.csv" in written and "customers.csv" in written
    for name in written:
        committed = root / "data" / name
        assert committed.exists(), f"{name} is generated but not committed; run `make data`"
        assert committed.read_bytes() == (regenerated / name).read_bytes(), f"data/{name} differs: run `make data`"


def test_sidecars_match_their_csv(root):
    csvs = sorted((root / "data").glob("*.csv"))
    assert csvs
    for csv in csvs:
        meta = json.loads(csv.with_suffix(".json").read_text(encoding="utf-8"))
        assert meta["file"] == csv.name
        assert meta["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
        frame = pd.read_csv(csv)
        assert meta["rows"] == len(frame)
        assert meta["columns"] == list(frame.columns)
        assert csv.stat().st_size < 2_000_000


def test_cli_writes_into_a_folder(tmp_path, capsys):
    from crmlib.datasets.__main__ import main

    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "transactions.csv" in out
    assert (tmp_path / "transactions.json").exists()


# ---------------------------------------------------------------------------------------------
# make_survey / load_survey
# ---------------------------------------------------------------------------------------------

STAGE_PREFIX = {"cognitive": "cog", "affective": "aff", "conative": "con", "action": "act"}
STAGE_ORDER = ["none", "cognitive", "affective", "conative", "action"]


def _alpha(items: pd.DataFrame) -> float:
    # Cronbach (1951): k/(k-1) * (1 - sum of item variances / variance of the total), listwise complete rows
    y = items.dropna()
    k = y.shape[1]
    return k / (k - 1) * (1 - y.var(ddof=1).sum() / y.sum(axis=1).var(ddof=1))


@pytest.fixture(scope="module")
def survey():
    return ds.load_survey()


def test_survey_respondents_are_a_sample_of_the_customers(survey):
    customers = ds.load_customers()
    assert survey["customer_id"].is_unique
    assert survey["customer_id"].isin(customers["customer_id"]).all()
    assert len(survey) == round(ds.BUNDLED_SURVEY["response_rate"] * len(customers))


def test_survey_items_are_7_point_answers(survey):
    likert = [c for c in ds.SURVEY_ITEMS if c not in ("bond_most_valued", "deal_driven")]
    values = survey[likert].stack().dropna()
    assert set(np.unique(values)) <= set(range(1, 8))
    assert set(survey["bond_most_valued"].dropna()) == set(ds.BOND_OPTIONS)
    assert survey["deal_driven"].dtype == bool


def test_survey_stage_reliability_in_stated_range(survey):
    for stage, prefix in STAGE_PREFIX.items():
        items = survey[[f"{prefix}_{j}" for j in range(1, 5)]]
        assert 0.75 <= _alpha(items) <= 0.9, stage


def test_survey_four_factor_structure(survey):
    # items correlate more within their stage than across stages (convergent vs discriminant validity)
    cols = [f"{p}_{j}" for p in STAGE_PREFIX.values() for j in range(1, 5)]
    corr = survey[cols].corr().to_numpy()
    block = np.kron(np.eye(4), np.ones((4, 4))).astype(bool)
    off_diag = ~np.eye(16, dtype=bool)
    within = corr[block & off_diag].mean()
    between = corr[~block].mean()
    assert within > between + 0.15


def test_survey_missing_share_about_two_percent(survey):
    likert = [c for c in ds.SURVEY_ITEMS if c != "deal_driven"]
    share = survey[likert].isna().to_numpy().mean()
    n = survey[likert].size
    assert abs(share - 0.02) < 4 * np.sqrt(0.02 * 0.98 / n)
    assert not survey[[c for c in survey.columns if c.startswith("true_")]].isna().any().any()


def test_survey_true_stage_follows_the_cumulative_rule(survey):
    factors = survey[[f"true_{s}" for s in STAGE_PREFIX]].to_numpy()
    level = np.cumprod(factors >= 0, axis=1).sum(axis=1)
    assert (survey["true_stage"].to_numpy() == np.array(STAGE_ORDER, dtype=object)[level]).all()
    assert set(survey["true_stage"]) == set(STAGE_ORDER)


def test_survey_stage_goes_with_behaviour(survey):
    # the loyalty stage is generated from true behaviour: more loyal stages buy more often, drop out less
    tx = ds.load_transactions()
    summary = summarize(tx)
    customers = ds.load_customers().set_index("customer_id")
    joined = survey.set_index("customer_id").join(summary).join(customers[["true_p"]])
    joined["active"] = (joined["T"] - joined["recency"]) <= 180  # bought in the last 180 days
    level = joined["true_stage"].map({s: i for i, s in enumerate(STAGE_ORDER)})
    by_stage = joined.groupby(level).agg(
        repeat=("frequency", lambda f: (f > 0).mean()),
        spend=("monetary_value", "mean"),
        active=("active", "mean"),
        dropout=("true_p", "mean"),
    )
    assert by_stage.loc[4, "repeat"] > by_stage.loc[0, "repeat"] + 0.2
    assert by_stage.loc[4, "active"] > by_stage.loc[0, "active"] + 0.2
    assert by_stage.loc[4, "dropout"] < by_stage.loc[0, "dropout"]
    assert by_stage.loc[4, "spend"] > by_stage.loc[0, "spend"]
    # customers join all the time, so compare the pace of repeat buying (purchase days per year of tenure)
    pace = joined["frequency"] / np.maximum(joined["T"], 30) * 365.25
    assert stats.spearmanr(level, pace).statistic > 0.3


def test_make_survey_is_deterministic_and_attrs():
    customers = ds.make_retail(400, seed=5).customers
    a = ds.make_survey(customers, seed=3, response_rate=0.5)
    b = ds.make_survey(customers, seed=3, response_rate=0.5)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 200
    assert a.attrs["true_params"]["item_loadings"]["cog_1"] == ds.SURVEY_LOADINGS[0]
    assert a.attrs["true_params"]["stage_thresholds"] == ds.SURVEY_THRESHOLDS


def test_make_survey_errors():
    customers = ds.make_retail(50, seed=5).customers
    with pytest.raises(
        ParameterError, match=r"needs the columns customer_id, true_lambda, true_p, true_mean_spend; missing: true_p"
    ):
        ds.make_survey(customers.drop(columns="true_p"))
    with pytest.raises(
        ParameterError, match=r"The 'response_rate' parameter of make_survey must be a number in \(0, 1\]\. Got 1.5"
    ):
        ds.make_survey(customers, response_rate=1.5)
    with pytest.raises(ParameterError, match=r"must leave at least 2 respondents"):
        ds.make_survey(customers, response_rate=0.01)


# ---------------------------------------------------------------------------------------------
# make_cohorts / load_cohorts / load_fader_hardie_2007
# ---------------------------------------------------------------------------------------------


def _sbg_survival(alpha, beta, t):
    # S(t) = B(alpha, beta + t) / B(alpha, beta)   (Fader and Hardie 2007, eq. 3)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def _sbg_fit(survivors):
    # Maximum likelihood of the sBG (Fader and Hardie 2007, eq. 5), written here independently of
    # crmlib.models: churners in period t have P(T = t) = S(t-1) - S(t); the last survivors S(n).
    from scipy.optimize import minimize

    n = np.asarray(survivors, dtype=float)
    t = np.arange(1, len(n))
    lost = n[:-1] - n[1:]

    def nll(log_ab):
        a, b = np.exp(log_ab)
        p = _sbg_survival(a, b, t - 1) - _sbg_survival(a, b, t)
        return -(lost @ np.log(p) + n[-1] * np.log(_sbg_survival(a, b, t[-1])))

    res = minimize(nll, x0=[0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10})
    return np.exp(res.x)


def test_fader_hardie_2007_counts_reproduce_the_published_estimates():
    fh = ds.load_fader_hardie_2007()
    assert fh.groupby("cohort")["period"].max().to_dict() == {"high end": 7, "regular": 7}
    for name, published in fh.attrs["published"].items():
        survivors = fh.loc[fh["cohort"] == name, "survivors"].to_numpy()
        alpha, beta = _sbg_fit(survivors)
        assert alpha == pytest.approx(published["alpha"], abs=0.002), name
        assert beta == pytest.approx(published["beta"], abs=0.002), name
    assert fh.loc[fh["cohort"] == "high end", "survivors"].tolist() == [1000, 869, 743, 653, 593, 551, 517, 491]


def test_bundled_cohorts_shape_and_truth():
    table = ds.load_cohorts()
    truth = table.attrs["true_params"]["cohorts"]
    assert set(table["cohort"]) == set(truth) == set(ds.DEFAULT_COHORTS)
    for name, group in table.groupby("cohort"):
        s = group.sort_values("period")["survivors"].to_numpy()
        assert group["period"].tolist() == list(range(truth[name]["periods"] + 1))
        assert s[0] == truth[name]["size"]
        assert (np.diff(s) <= 0).all()


def test_make_cohorts_survival_matches_sbg_closed_form():
    spec = {"big": {"size": 200_000, "alpha": 0.7, "beta": 1.2, "periods": 8}}
    s = ds.make_cohorts(spec, seed=3)["survivors"].to_numpy() / 200_000
    expected = _sbg_survival(0.7, 1.2, np.arange(9))
    sd = np.sqrt(expected * (1 - expected) / 200_000)
    assert np.all(np.abs(s - expected) <= 4 * sd + 1e-12)


def test_make_cohorts_recovers_alpha_beta():
    spec = {"x": {"size": 50_000, "alpha": 1.0, "beta": 3.0, "periods": 10}}
    alpha, beta = _sbg_fit(ds.make_cohorts(spec, seed=4)["survivors"])
    assert alpha == pytest.approx(1.0, rel=0.15) and beta == pytest.approx(3.0, rel=0.15)


def test_make_cohorts_errors():
    with pytest.raises(ParameterError, match=r"cohort 'a' lacks beta, periods"):
        ds.make_cohorts({"a": {"size": 10, "alpha": 1.0}})
    with pytest.raises(
        ParameterError,
        match=r"The \"cohorts\['a'\]\['alpha'\]\" parameter of make_cohorts must be a number in \(0, inf\)",
    ):
        ds.make_cohorts({"a": {"size": 10, "alpha": -1.0, "beta": 1.0, "periods": 3}})


def test_load_transactions_ignores_read_settings_at_their_defaults():
    tx = ds.load_transactions(None, customer="customer_id", date="date", amount="amount", date_format=None)
    assert len(tx) > 0
    with pytest.raises(ParameterError, match=r"load_transactions got date_format='%d/%m/%Y' but no file"):
        ds.load_transactions(None, date_format="%d/%m/%Y")
    with pytest.raises(ParameterError, match=r"load_transactions got colour='red' but no file"):
        ds.load_transactions(colour="red")


def test_data_readme_documents_every_file_and_column(root):
    readme = (root / "data" / "README.md").read_text(encoding="utf-8")
    for csv in sorted((root / "data").glob("*.csv")):
        assert f"`{csv.name}`" in readme, f"data/README.md does not describe {csv.name}"
        for column in pd.read_csv(csv, nrows=0).columns:
            assert f"`{column}`" in readme, f"data/README.md does not document column {column!r} of {csv.name}"


def test_module_entry_point_runs(tmp_path, root):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "crmlib.datasets", str(tmp_path)], capture_output=True, text=True, cwd=root, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and (tmp_path / "customers.csv").exists()


def test_bundled_survey_is_reproduced_from_the_bundled_customers(survey):
    # the README's recipe: make_survey(load_customers(), **BUNDLED_SURVEY) gives the committed answers
    again = ds.make_survey(ds.load_customers(), **ds.BUNDLED_SURVEY)
    items = [c for c in ds.SURVEY_ITEMS if c not in ("bond_most_valued", "deal_driven")]
    assert (again["customer_id"].to_numpy() == survey["customer_id"].to_numpy()).all()
    np.testing.assert_array_equal(again[items].to_numpy(float), survey[items].to_numpy(float))
    assert (again["true_stage"].to_numpy() == survey["true_stage"].to_numpy()).all()


# ---------------------------------------------------------------------------------------------
# The data generators sit on top of the analysis, never below it
# ---------------------------------------------------------------------------------------------

COMPUTATION = (
    "data",
    "rfm",
    "clv",
    "models",
    "tiers",
    "lifecycle",
    "loyalty",
    "relationship",
    "value",
    "churn",
    "scale",
    "params",
    "_units",
    "resources",
)


def _imports(path):
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_computation_modules_import_nothing_from_datasets(root):
    # A computation module may not depend on a data generator: what both need (e.g. the CMP survey's layout)
    # lives in the computation module, and the generator imports it from there.
    package = root / "crmlib"
    files = []
    for name in COMPUTATION:
        files += (
            [package / f"{name}.py"] if (package / f"{name}.py").exists() else sorted((package / name).rglob("*.py"))
        )
    assert len(files) >= len(COMPUTATION)
    offenders = {
        str(f.relative_to(root)): sorted(
            m for m in _imports(f) if m == "crmlib.datasets" or m.startswith("crmlib.datasets.")
        )
        for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    # the generator follows the analysis' layout
    from crmlib import relationship

    assert ds.CMP_DIMENSIONS is relationship.CMP_DIMENSIONS and ds.firm_item is relationship.firm_item
