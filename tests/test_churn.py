"""Tests of crmlib.churn and the simulated churn drivers (crmlib.datasets.make_churn_drivers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib import churn
from crmlib.data import DataError
from crmlib.datasets import CHURN_COEFFICIENTS, CHURN_DRIVERS, make_churn_drivers
from crmlib.params import ParameterError


def _tx(rows):
    return pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "date": pd.to_datetime([r[1] for r in rows]), "amount": [1.0] * len(rows)}
    )


# ----------------------------------------------------------------------------------- measuring


def test_churn_status_by_hand():
    tx = _tx([(1, "2024-01-01"), (2, "2024-01-01"), (2, "2024-06-01"), (3, "2024-03-03")])
    s = churn.churn_status(tx, inactive_after=90)
    # end = 2024-06-01: customer 1 inactive 152 days, 2 for 0, 3 for 90 (not more than 90: active)
    assert s["inactive_for"].tolist() == [152, 0, 90]
    assert s["churned"].tolist() == [True, False, False]
    w = churn.churn_status(tx, inactive_after=12, unit="W", observation_end="2024-03-31")
    # end Mar 31: customer 2 last bought Jan 1 (90 days = 12.86 weeks > 12), customer 3 28 days
    assert w["churned"].tolist() == [True, True, False]
    with pytest.raises(
        ParameterError, match=r"'inactive_after' parameter of churn_status must be a number in \(0, inf\)"
    ):
        churn.churn_status(tx, inactive_after=0)
    with pytest.raises(DataError, match="missing: date"):
        churn.churn_status(tx.drop(columns="date"))


def test_churn_rate_by_hand():
    tx = _tx(
        [
            (1, "2024-01-05"),
            (1, "2024-03-20"),
            (2, "2024-01-10"),
            (2, "2024-03-25"),
            (2, "2024-04-30"),
            (2, "2024-05-31"),
            (3, "2024-05-10"),
        ]
    )
    r = churn.churn_rate(tx, inactive_after=60)
    # periods start once the log is 60 days old (Mar 5) -> April and May (the last full month).
    # Active at Mar 31: 1 (Mar 20), 2 (Mar 25). Apr 30: both (1 bought 41 days before). May 31: 1 bought
    # 72 days before -> churned; 3 is new in May.
    assert list(r.index.strftime("%Y-%m")) == ["2024-04", "2024-05"]
    assert r["active_start"].tolist() == [2, 2]
    assert r["churned"].tolist() == [0, 1]
    assert r["new"].tolist() == [0, 1]
    assert r["churn_rate"].tolist() == [0.0, 0.5]


def test_churn_rate_refuses_blank_ids_and_dates_and_reads_local_days():
    tx = _tx([(1, "2024-01-05"), (1, "2024-03-20"), (2, "2024-01-10"), (2, "2024-05-31"), (3, "2024-05-10")])
    blank_id = tx.astype({"customer_id": object})
    blank_id.loc[4, "customer_id"] = None
    blank = r"churn_rate: the 'customer_id' column is blank in 1 rows \(first rows: \[4\]\)"
    with pytest.raises(DataError, match=blank):
        churn.churn_rate(blank_id, inactive_after=60)
    blank_date = tx.copy()
    blank_date.loc[2, "date"] = pd.NaT
    with pytest.raises(DataError, match=r"churn_rate: the 'date' column is empty in 1 rows \(first rows: \[2\]\)"):
        churn.churn_rate(blank_date, inactive_after=60)
    blank_amount = tx.copy()
    blank_amount.loc[1, "amount"] = np.nan
    with pytest.raises(DataError, match=r"churn_rate: the 'amount' column is empty in 1 rows .* Fill or drop those"):
        churn.churn_rate(blank_amount, inactive_after=60)
    # 23:30 in New York is the next day in UTC: the purchase counts on the day written in the data
    late = tx.assign(date=tx["date"] + pd.Timedelta(hours=23, minutes=30))
    local = churn.churn_rate(late.assign(date=late["date"].dt.tz_localize("America/New_York")), inactive_after=60)
    pd.testing.assert_frame_equal(local, churn.churn_rate(tx, inactive_after=60))


def test_churn_rate_flows_add_up():
    rng = np.random.default_rng(3)
    n = 3000
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 300, n),
            "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "amount": 1.0,
        }
    )
    r = churn.churn_rate(tx, inactive_after=60, period="Q")
    assert (r["active_start"] - r["churned"] + r["reactivated"] + r["new"] == r["active_end"]).all()
    assert (r["active_end"].iloc[:-1].to_numpy() == r["active_start"].iloc[1:].to_numpy()).all()
    with pytest.raises(DataError, match="needs at least one full Y period"):
        churn.churn_rate(tx, inactive_after=700, period="Y")
    with pytest.raises(ParameterError, match="'period' parameter of churn_rate must be one of 'M', 'Q', 'Y'"):
        churn.churn_rate(tx, period="W")


def test_p_alive_status_hand_formula():
    from crmlib.models import BetaGeo

    m = BetaGeo()
    m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    s = pd.DataFrame({"frequency": [0, 2, 2], "recency": [0.0, 30.0, 5.0], "T": [38.0, 38.0, 38.0]})
    out = churn.p_alive_status(s, m, threshold=0.5)
    # FHL (2005) eq. 11 for x = 2, t_x = 5, T = 38: 1 / (1 + a/(b+1) * ((alpha+T)/(alpha+t_x))^(r+2))
    by_hand = 1 / (1 + 0.793 / 3.426 * ((4.414 + 38) / (4.414 + 5)) ** 2.243)
    assert out["p_alive"].iloc[2] == pytest.approx(by_hand)
    assert out["p_alive"].iloc[0] == 1.0
    assert out["churned"].tolist() == [False, False, by_hand < 0.5]
    with pytest.raises(ParameterError, match=r"'threshold' parameter of p_alive_status must be a number in \(0, 1\)"):
        churn.p_alive_status(s, m, threshold=1)


# ----------------------------------------------------------------------------------- drivers


def test_logit_one_binary_driver_matches_closed_form():
    # 2x2 table: x=0: 30 churn of 100; x=1: 60 churn of 100.
    x = np.repeat([0, 1], 100)
    y = np.concatenate([np.repeat([1, 0], [30, 70]), np.repeat([1, 0], [60, 40])])
    m = churn.ChurnLogit().fit(pd.DataFrame({"x": x}), y)
    # intercept = logit(0.3); slope = log odds ratio = log((60/40)/(30/70)); SE = sqrt(1/30+1/70+1/60+1/40)
    assert m.params_["intercept"] == pytest.approx(np.log(0.3 / 0.7))
    assert m.params_["x"] == pytest.approx(np.log((60 / 40) / (30 / 70)))
    assert m.bse_["x"] == pytest.approx(np.sqrt(1 / 30 + 1 / 70 + 1 / 60 + 1 / 40))
    table = m.summary()
    assert table.loc["x", "odds_ratio"] == pytest.approx(3.5)
    assert table.loc["x", "ame"] == pytest.approx(0.3)  # 0.6 - 0.3, the discrete change
    assert table.loc["x", "p_value"] < 0.001


def test_logit_recovers_the_known_coefficients():
    d = make_churn_drivers(20000, seed=5)
    drivers = list(CHURN_DRIVERS)
    m = churn.ChurnLogit().fit(d[drivers], d["churned"])
    truth = d.attrs["true_params"]["coefficients"]
    assert truth == CHURN_COEFFICIENTS
    z = {k: (m.params_[k] - truth[k]) / m.bse_[k] for k in truth}
    # each estimate within 4 standard errors (10 terms: the chance that any misses is about 6e-4)
    assert max(abs(v) for v in z.values()) < 4, z
    # the standard errors are small enough for the test to bite: 0.15 log-odds at most
    assert max(m.bse_.values()) < 0.15
    # continuous AME is the mean of p(1-p) times the coefficient
    p = m.predict_proba(d[drivers])
    assert m.marginal_effects()["tenure_years"] == pytest.approx(np.mean(p * (1 - p)) * m.params_["tenure_years"])


def test_logit_errors():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=50), "b": rng.integers(0, 2, 50)})
    y = rng.integers(0, 2, 50)
    with pytest.raises(DataError, match="driver 'c' is constant"):
        churn.ChurnLogit().fit(X.assign(c=1.0), y)
    with pytest.raises(DataError, match="driver 'c' is a linear combination"):
        churn.ChurnLogit().fit(X.assign(c=2 * X["a"] - 1), y)
    with pytest.raises(DataError, match=r"y must be 0 \(stayed\) or 1 \(churned\); first offending rows: \[3\]"):
        churn.ChurnLogit().fit(X, np.where(np.arange(50) == 3, 2, y))
    with pytest.raises(DataError, match=r"driver 'a' has missing values; first offending rows: \[7\]"):
        churn.ChurnLogit().fit(X.assign(a=X["a"].where(X.index != 7)), y)
    with pytest.raises(churn.SeparationError, match="driver 'b' separates the data"):
        churn.ChurnLogit().fit(X, np.where(X["b"] == 1, 1, y))
    with pytest.raises(churn.SeparationError, match="run off to infinity"):
        churn.ChurnLogit().fit(X[["a"]], (X["a"] > 0).astype(int))
    with pytest.raises(DataError, match=r"driver 'c' holds \w+; code it as numbers"):
        churn.ChurnLogit().fit(X.assign(c=["yes", "no"] * 25), y)
    with pytest.raises(DataError, match="every y is 0"):
        churn.ChurnLogit().fit(X, np.zeros(50))
    with pytest.raises(AttributeError, match="not fitted yet"):
        churn.ChurnLogit().summary()


def test_make_churn_drivers_options():
    ids = ["a", "b", "c"]
    assert list(make_churn_drivers(ids, seed=1).index) == ids
    frame = pd.DataFrame({"tenure_years": [0.5, 4.0]}, index=["x", "y"])
    assert make_churn_drivers(frame).loc["y", "tenure_years"] == 4.0
    d = make_churn_drivers(200, seed=2, coefficients={"bonds": 0.0})
    assert d.attrs["true_params"]["coefficients"]["bonds"] == 0.0
    with pytest.raises(ParameterError, match=r"unknown drivers \['price'\]"):
        make_churn_drivers(10, coefficients={"price": 1.0})


# ----------------------------------------------------------------------------------- value


def test_retention_gain_by_hand():
    g = churn.retention_gain(100, 0.8, 0.1, points=[0, 1, 5], customers=1000)
    # CLV(0.80) = 100 * 0.8 / 0.3 = 266.67; CLV(0.81) = 81 / 0.29 = 279.31; CLV(0.85) = 85 / 0.25 = 340
    assert g.loc[1.0, "gain_per_customer"] == pytest.approx(81 / 0.29 - 80 / 0.3)
    assert g.loc[5.0, "gain"] == pytest.approx(1000 * (340 - 80 / 0.3))
    assert g.loc[5.0, "gain_pct"] == pytest.approx(340 / (80 / 0.3) - 1)
    with pytest.raises(ParameterError, match=r"retention \+ points/100 in \[0, 1\)"):
        churn.retention_gain(100, 0.95, 0.1, points=5)


def test_campaign_value_by_hand():
    out = churn.campaign_value([0.5, 0.1, 0.9], [200, 200, 5], success_rate=0.4, contact_cost=2, incentive_cost=10)
    # .5*.4*190 - .5*10 - 2 = 31; .1*.4*190 - .9*10 - 2 = -3.4; .9*.4*(-5) - .1*10 - 2 = -4.8
    np.testing.assert_allclose(out["expected_profit"], [31, -3.4, -4.8])
    assert out["targeted"].tolist() == [True, False, False]
    assert out.attrs["total"] == pytest.approx(31) and out.attrs["saved"] == pytest.approx(0.2)
    top = churn.campaign_value(
        [0.5, 0.1, 0.9], [200, 200, 5], success_rate=0.4, contact_cost=2, incentive_cost=10, target_share=2 / 3
    )
    assert top["targeted"].tolist() == [True, True, False]
    with pytest.raises(ParameterError, match=r"must hold probabilities in \[0, 1\]. Got \[1.5\] at positions \[1\]"):
        churn.campaign_value([0.5, 1.5], [1, 1], success_rate=0.4, contact_cost=2, incentive_cost=10)


def test_campaign_curve_expected_profit_ranking_is_best():
    rng = np.random.default_rng(7)
    p = rng.beta(2, 6, 500)
    v = rng.gamma(2, 100, 500)
    c = churn.campaign_curve(p, v, success_rate=0.3, contact_cost=3, incentive_cost=15)
    # the top-k of E[profit] has the largest sum of any k customers
    assert (c["expected_profit"] >= c["risk"] - 1e-9).all() and (c["expected_profit"] >= c["value"] - 1e-9).all()
    assert c.loc[0.0].eq(0).all()
    np.testing.assert_allclose(c.loc[1.0], c.loc[1.0, "risk"])  # everyone targeted: same total whatever the order


def test_join_churn_takes_the_flag_from_the_log_and_leaves_out_unknown_customers():
    study = pd.DataFrame(
        {"complaints": [0, 2, 1, 3], "offer": [1, 0, 0, 1]}, index=pd.Index(["1", "2", "3", "9"], name="customer_id")
    )
    study.attrs["true_params"] = {"coefficients": {"complaints": 0.5}}
    before = study.copy()
    log = churn.churn_status(_tx([(1, "2024-01-01"), (2, "2024-06-01"), (3, "2024-03-03")]), inactive_after=90)
    joined = churn.join_churn(study, log["churned"])  # the log's ids are numbers, the file's text
    assert joined.index.tolist() == ["1", "2", "3"] and joined["churned"].tolist() == [1.0, 0.0, 0.0]
    assert joined.attrs["left_out"] == 1 and joined.attrs["churn_from"] == "log"
    assert joined.attrs["drivers"] == ["complaints", "offer"] and joined.attrs["true_params"]
    pd.testing.assert_frame_equal(study, before)
    # the study's own flag wins over the log's
    own = churn.join_churn(study.assign(churned=[0, 1, 1, 0]), log["churned"], drivers=["offer"])
    assert own["churned"].tolist() == [0.0, 1.0, 1.0, 0.0] and own.attrs["churn_from"] == "study"
    assert list(own.columns) == ["offer", "churned"] and own.attrs["left_out"] == 0
    simulated = churn.join_churn(make_churn_drivers(400, seed=1), drivers=list(CHURN_DRIVERS))
    fit = churn.ChurnLogit().fit(simulated[simulated.attrs["drivers"]], simulated["churned"])
    assert set(fit.params_) == {"intercept", *CHURN_DRIVERS}


def test_join_churn_errors():
    study = pd.DataFrame({"complaints": [0, 2]}, index=["a", "b"])
    with pytest.raises(ParameterError, match="no 'churned' column, so join_churn needs the 'churned' parameter"):
        churn.join_churn(study)
    with pytest.raises(ParameterError, match=r"names columns the study lacks: \['bonds'\]"):
        churn.join_churn(study, pd.Series({"a": 1}), drivers=["bonds"])
    with pytest.raises(ParameterError, match="No customer of the study has a churn flag"):
        churn.join_churn(study, pd.Series({"x": 1}))
    with pytest.raises(
        ParameterError, match=r"driver column\(s\) \['region'\] of the study hold values that are not numbers"
    ):
        churn.join_churn(study.assign(region=["north", "south"]), pd.Series({"a": 1, "b": 0}))
    # a blank driver value is not text: it stays a gap, as before
    gaps = churn.join_churn(study.assign(bonds=[1.0, None]), pd.Series({"a": 1, "b": 0}))
    assert gaps["bonds"].isna().sum() == 1


def test_crm_checklist():
    t = churn.crm_checklist({"tiers": "gold and platinum get a personal contact"})
    assert t["answered"].sum() == 1 and len(t) == len(churn.CRM_QUESTIONS)
    with pytest.raises(ParameterError, match=r"unknown keys \['budget'\]"):
        churn.crm_checklist({"budget": "1m"})


def test_campaign_explorer_slider_changes_the_result():
    from crmlib.widgets import campaign_explorer

    p = np.array([0.5, 0.1, 0.9, 0.3])
    v = np.array([200.0, 200.0, 5.0, 100.0])
    w = campaign_explorer(p, v, success_rate=0.4, contact_cost=2, incentive_cost=10, target_share=0.25)
    # labelled in words with units, not with the parameter names
    labels = {name: c.description for name, c in w.controls.items()}
    assert labels["contact_cost"] == "Contact cost (money per customer)", labels
    assert all("_" not in text for text in labels.values()), labels
    # top 25 % = 1 customer, the best by expected profit: 31 (see test_campaign_value_by_hand)
    assert w.result.iloc[0]["expected profit"] == pytest.approx(31)
    w.controls["incentive_cost"].value = 0
    # with no incentive: .5 * .4 * 200 - 2 = 38
    assert w.result.iloc[0]["expected profit"] == pytest.approx(38)
    w.controls["success_rate"].value = 0.0
    assert w.result.iloc[1]["customers targeted"] == 0


def test_p_alive_status_fits_a_model_when_none_is_given():
    rng = np.random.default_rng(0)
    s = pd.DataFrame({"frequency": rng.poisson(1.0, 500).astype(float)})
    s["T"] = 30.0
    s["recency"] = np.where(s["frequency"] > 0, rng.uniform(0, 30, 500), 0.0)
    out = churn.p_alive_status(s)
    assert sorted(out.attrs["model"].params_) == ["a", "alpha", "b", "r"]
    assert ((out["p_alive"] > 0) & (out["p_alive"] <= 1)).all()
    assert (out.loc[s["frequency"] == 0, "p_alive"] == 1).all()  # no repeat purchase: alive by the model


def test_churn_charts_draw_on_the_given_axes():
    import matplotlib.pyplot as plt

    from crmlib import plot

    x = np.repeat([0, 1], 100)
    y = np.concatenate([np.repeat([1, 0], [30, 70]), np.repeat([1, 0], [60, 40])])
    m = churn.ChurnLogit().fit(pd.DataFrame({"x": x}), y)
    tx = _tx(
        [
            (1, "2024-01-05"),
            (1, "2024-03-20"),
            (2, "2024-01-10"),
            (2, "2024-03-25"),
            (2, "2024-04-30"),
            (2, "2024-05-31"),
        ]
    )
    fig, axes = plt.subplots(1, 4)
    assert plot.odds_ratio_chart(m.summary(), truth={"x": np.log(3.5)}, ax=axes[0]) is axes[0]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["x"]  # the intercept is left out
    assert plot.churn_rate_chart(churn.churn_rate(tx, inactive_after=60), ax=axes[1]).lines
    assert plot.retention_gain_chart(churn.retention_gain(100, 0.8, 0.1, points=[0, 1, 2]), ax=axes[2]).lines
    curve = churn.campaign_curve([0.5, 0.1], [200, 20], success_rate=0.4, contact_cost=2, incentive_cost=10)
    assert len(plot.campaign_curve_chart(curve, ax=axes[3]).lines) >= 3


def test_what_if_by_hand():
    x = pd.DataFrame({"x": np.repeat([0, 1], 100)})
    y = np.concatenate([np.repeat([1, 0], [30, 70]), np.repeat([1, 0], [60, 40])])
    m = churn.ChurnLogit().fit(x, y)
    # fitted probabilities are the group shares 0.3 and 0.6: mean 0.45; all set to 1 -> 0.6
    out = churn.what_if(m, x, {"x": 1})
    assert out["churn_before"] == pytest.approx(0.45) and out["churn_after"] == pytest.approx(0.6)
    assert out["points"] == pytest.approx(-15)
    assert churn.what_if(m, x, {"x": lambda f: 1 - f["x"]})["churn_after"] == pytest.approx(0.45)
    assert x["x"].sum() == 100  # the caller's frame is untouched
    with pytest.raises(ParameterError, match=r"names drivers the model does not have: \['z'\]"):
        churn.what_if(m, x, {"z": 0})


# --------------------------------------------------------------------------- a firm's own churn study


def test_read_churn_study_reads_a_customer_file_and_says_what_is_wrong(tmp_path):
    from crmlib.churn import read_churn_study
    from crmlib.data import DataError

    path = tmp_path / "customers.csv"
    path.write_text("id;complaints;member;left;country\n7;0;true;0;FR\n8;2;false;1;DE\n9;1;true;0;FR\n")
    study = read_churn_study(path, customer="id", churned="left")
    assert list(study.columns) == ["complaints", "member", "churned"]
    assert list(study.index) == ["7", "8", "9"] and study.loc["8", "churned"] == 1
    no_flag = read_churn_study(path, customer="id", churned="churned", drivers=["complaints"])
    assert list(no_flag.columns) == ["complaints"]
    with pytest.raises(DataError, match=r"no column 'customer_id' \(the customer argument\)"):
        read_churn_study(path)
    with pytest.raises(DataError, match=r"'country' of the customer file has 3 missing or non-numeric"):
        read_churn_study(path, customer="id", drivers=["country"])
    path.write_text("id,complaints,left\n7,0,0\n7,2,1\n")
    with pytest.raises(DataError, match=r"repeats customer ids in column 'id' \(rows 2, 3\)"):
        read_churn_study(path, customer="id", churned="left")
    path.write_text("id,complaints,left\n7,0,0\n8,2,yes\n")
    with pytest.raises(DataError, match=r"'left' of the customer file must be 0/1 .* rows 3 hold"):
        read_churn_study(path, customer="id", churned="left")


def test_importing_churn_leaves_scipy_stats_out():
    """A chapter that only imports crmlib.churn does not pay for scipy.stats (about 0.6 s of CPU)."""
    import subprocess
    import sys

    code = "import sys, crmlib.churn; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
