"""Tests of crmlib.lifecycle on hand-made logs; every expected stage is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib import clv
from crmlib import lifecycle as lc
from crmlib.data import DataError
from crmlib.params import ParameterError


def log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda f: pd.to_datetime(f["date"]), amount=lambda f: f["amount"].astype(float)
    )


# Reading day 2024-12-31, lapse 180 days, long-term 365 days.
#   new:    one purchase 2024-12-01 (30 days ago)                        -> first-time
#   once:   one purchase 2024-03-01 (305 days ago > 180)                 -> lapsed
#   young:  2024-09-01, 2024-11-15: tenure 121 < 365, last 46 days ago   -> short-term
#   loyal:  2023-06-01, 2024-02-01, 2024-10-01: tenure 579, last 91 days -> long-term
#   gone:   2023-01-01, 2023-05-01: last 610 days ago                    -> lapsed
#   twice:  two rows on 2024-12-20 = one purchase day                    -> first-time
#   edge:   2024-01-01 and 2024-07-04: last 180 days ago (not > 180), tenure 365 (>= 365) -> long-term
#   later:  first purchase 2025-01-05, after the reading day             -> not in the base
ROWS = [
    ("new", "2024-12-01", 10),
    ("once", "2024-03-01", 20),
    ("young", "2024-09-01", 30),
    ("young", "2024-11-15", 40),
    ("loyal", "2023-06-01", 50),
    ("loyal", "2024-02-01", 50),
    ("loyal", "2024-10-01", 100),
    ("gone", "2023-01-01", 5),
    ("gone", "2023-05-01", 5),
    ("twice", "2024-12-20", 7),
    ("twice", "2024-12-20", 3),
    ("edge", "2024-01-01", 1),
    ("edge", "2024-07-04", 1),
    ("later", "2025-01-05", 99),
]
EXPECTED = {
    "new": "first-time",
    "once": "lapsed",
    "young": "short-term",
    "loyal": "long-term",
    "gone": "lapsed",
    "twice": "first-time",
    "edge": "long-term",
}


def test_stages_at_hand_log():
    tx = log(ROWS)
    before = tx.copy()
    st = lc.stages_at(tx, "2024-12-31", lapse_days=180, long_term_days=365)
    assert st["stage"].astype(str).to_dict() == EXPECTED
    assert st.loc["twice", "purchases"] == 1 and st.loc["twice", "revenue"] == 10
    assert st.loc["loyal", "revenue"] == 200 and st.loc["loyal", "tenure_days"] == 579
    assert st.loc["edge", "days_since_last"] == 180
    pd.testing.assert_frame_equal(tx, before)  # the caller's frame is untouched


def test_stage_thresholds_are_arguments():
    tx = log(ROWS)
    # lapse 179: edge (180 days since last) becomes lapsed; long-term 366: edge's tenure 365 -> short-term
    st = lc.stages_at(tx, "2024-12-31", lapse_days=179, long_term_days=365)
    assert st.loc["edge", "stage"] == "lapsed"
    st = lc.stages_at(tx, "2024-12-31", lapse_days=180, long_term_days=366)
    assert st.loc["edge", "stage"] == "short-term"
    with pytest.raises(ParameterError, match="'lapse_days' parameter of stages_at must be an integer in \\[1, inf\\)"):
        lc.stages_at(tx, lapse_days=0)


def test_stage_panel_matches_stages_at_at_each_month_end():
    tx = log(ROWS)
    panel = lc.stage_panel(tx, end="2024-12-31", lapse_days=180, long_term_days=365)
    for end in ["2023-03-31", "2024-02-29", "2024-08-31", "2024-12-31"]:
        one = lc.stages_at(tx, end, lapse_days=180, long_term_days=365)["stage"].astype(str)
        got = panel[panel["period_end"] == end].set_index("customer_id")["stage"].astype(str)
        assert got.sort_index().to_dict() == one.sort_index().to_dict()
    # by hand at 2023-03-31: only "gone" (first 2023-01-01, one purchase 89 days ago) -> first-time
    assert panel[panel["period_end"] == "2023-03-31"]["stage"].tolist() == ["first-time"]


def test_stage_counts_hand_log():
    tx = log(ROWS)
    counts = lc.stage_counts(tx, end="2024-12-31", lapse_days=180, long_term_days=365)
    # 2024-12-31: first-time new, twice; short-term young; long-term loyal, edge; lapsed once, gone
    assert counts.loc["2024-12-31"].tolist() == [2, 1, 2, 2]
    # 2023-06-30: gone (2 purchases, tenure 180 -> short-term), loyal (first purchase 29 days ago -> first-time)
    assert counts.loc["2023-06-30"].tolist() == [1, 1, 0, 0]
    assert counts.index[0] == pd.Timestamp("2023-01-31") and counts.index[-1] == pd.Timestamp("2024-12-31")
    # quarters: same reading on 2024-12-31
    assert lc.stage_counts(tx, freq="Q", end="2024-12-31", lapse_days=180).iloc[-1].tolist() == [2, 1, 2, 2]
    with pytest.raises(ParameterError, match="'freq' parameter of stage_counts must be one of 'M', 'Q', 'Y'"):
        lc.stage_counts(tx, freq="W")


def test_stage_counts_on_larger_random_log_agree_with_a_loop():
    rng = np.random.default_rng(3)
    n = 300
    k = rng.integers(1, 6, n)
    days = rng.integers(0, 700, k.sum())
    tx = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n), k),
            "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(days, "D"),
            "amount": rng.gamma(2, 10, k.sum()),
        }
    )
    counts = lc.stage_counts(tx, freq="Q", lapse_days=90, long_term_days=200)
    for end in counts.index[::3]:
        # independent loop over customers for this date
        expected = {s: 0 for s in lc.STAGES}
        for _, g in tx[tx["date"] <= end].groupby("customer_id"):
            d = g["date"].dt.normalize().drop_duplicates()
            if (end - d.max()).days > 90:
                expected["lapsed"] += 1
            elif len(d) == 1:
                expected["first-time"] += 1
            elif (end - d.min()).days < 200:
                expected["short-term"] += 1
            else:
                expected["long-term"] += 1
        assert counts.loc[end].to_dict() == expected


def test_value_by_stage_hand_log():
    tx = log(ROWS)
    v = lc.value_by_stage(tx, "2024-12-31", window_days=365, lapse_days=180, long_term_days=365)
    # long-term: loyal (revenue 200, 3 purchases, last 365 days: 2024-02-01 + 2024-10-01 = 150) and
    # edge (2, 2 purchases; the window is (2024-01-01, 2024-12-31], so its 2024-01-01 purchase is out: window 1)
    # -> per customer to date 101, window 151 / 2 = 75.5, AOV 202 / 5 = 40.4
    assert v.loc["long-term", "customers"] == 2
    assert v.loc["long-term", "revenue_to_date"] == pytest.approx(101)
    assert v.loc["long-term", "revenue_window"] == pytest.approx(75.5)
    assert v.loc["long-term", "aov"] == pytest.approx(40.4)
    # lapsed: once (window 20) and gone (window 0); all window revenue: new 10 + once 20 + young 70 +
    # loyal 150 + twice 10 + edge 1 = 261 -> 20 / 261
    assert v.loc["lapsed", "share_of_window_revenue"] == pytest.approx(20 / 261)


def test_cohort_matrix_hand_log():
    tx = log(
        [
            ("a", "2024-01-05", 10),
            ("a", "2024-02-10", 20),
            ("a", "2024-04-01", 30),
            ("b", "2024-01-20", 5),
            ("c", "2024-02-03", 8),
            ("c", "2024-03-03", 12),
            ("c", "2024-03-09", 4),
            ("d", "2024-04-15", 50),
        ]
    )
    ret = lc.cohort_matrix(tx, observation_end="2024-04-30")
    # cohort 2024-01 (a, b): month 0 both, month 1 a, month 2 none, month 3 a -> 1, .5, 0, .5
    # cohort 2024-02 (c): 1, 1 (March), 0 (April); cohort 2024-03: empty row (NaN); 2024-04 (d): 1
    assert ret.loc["2024-01"].tolist() == [1.0, 0.5, 0.0, 0.5]
    assert ret.loc["2024-02"].tolist()[:3] == [1.0, 1.0, 0.0] and np.isnan(ret.loc["2024-02", 3])
    assert ret.loc["2024-03"].isna().all()
    assert ret.attrs["cohort_size"].tolist() == [2, 1, 0, 1]
    rev = lc.cohort_matrix(tx, metric="revenue", observation_end="2024-04-30")
    assert rev.loc["2024-02"].tolist()[:3] == [8.0, 16.0, 0.0]
    rpc = lc.cohort_matrix(tx, metric="revenue_per_customer", observation_end="2024-04-30")
    assert rpc.loc["2024-01", 0] == pytest.approx(7.5)
    aov = lc.cohort_matrix(tx, metric="aov", observation_end="2024-04-30")
    assert aov.loc["2024-02", 1] == pytest.approx(8.0)  # 16 over two purchase days in March
    # observation ends mid-April: April is not complete -> no cell for it (month 3 of the January
    # cohort disappears, month 2 of February is NaN)
    part = lc.cohort_matrix(tx, observation_end="2024-04-20")
    assert list(part.columns) == [0, 1, 2] and part.loc["2024-01", 2] == 0.0
    assert np.isnan(part.loc["2024-02", 2])
    q = lc.cohort_matrix(tx, period="Q", metric="customers", observation_end="2024-06-30")
    # Q1 cohort a, b, c: Q1 all three; Q2 only a
    assert q.loc["2024Q1"].tolist() == [3.0, 1.0]
    with pytest.raises(ParameterError, match="'metric' parameter of cohort_matrix must be one of"):
        lc.cohort_matrix(tx, metric="churn")


def test_aov_by_tenure_hand_log():
    tx = log(
        [
            ("a", "2024-01-01", 10),
            ("a", "2024-02-15", 30),
            ("a", "2024-02-15", 10),
            ("b", "2024-03-01", 20),
            ("b", "2024-03-20", 40),
        ]
    )
    out = lc.aov_by_tenure(tx, unit="M")
    # tenure 0: a's first (10), b's first (20), b's 19-day repeat (40) -> 70/3; tenure 1: a's 45-day day (40)
    assert out["aov"].tolist() == pytest.approx([70 / 3, 40.0])
    assert out["customers"].tolist() == [2, 1]


def test_relationship_phases_hand_log():
    tx = log(
        [
            ("trial", "2024-11-01", 10),
            ("grow", "2024-08-01", 10),
            ("grow", "2024-10-01", 10),
            ("grow", "2024-12-01", 10),
            ("steady", "2023-01-01", 10),
            ("steady", "2024-03-01", 10),
            ("steady", "2024-09-01", 10),
            ("steady", "2024-11-01", 10),
            ("fading", "2023-01-01", 10),
            ("fading", "2024-02-01", 10),
            ("fading", "2024-03-01", 10),
            ("fading", "2024-05-01", 10),
            ("fading", "2024-12-01", 10),
            ("quiet", "2023-05-01", 10),
            ("quiet", "2023-09-01", 10),
        ]
    )
    ph = lc.relationship_phases(tx, "2024-12-31", window_days=180, long_term_days=365, prospects=["trial", "lead1"])
    # window (2024-07-04, 2024-12-31], previous (2024-01-06, 2024-07-04]
    # trial: 1 purchase, active -> exploration; grow: 3 purchases, tenure 152 -> expansion
    # steady: recent 2, previous 1, tenure 730 -> commitment
    # fading: recent 1 < 0.5 * previous 3 and tenure 730 -> dissolution; quiet: no recent purchase -> dissolution
    # lead1: prospect without purchase -> awareness
    assert ph["phase"].astype(str).to_dict() == {
        "trial": "exploration",
        "grow": "expansion",
        "steady": "commitment",
        "fading": "dissolution",
        "quiet": "dissolution",
        "lead1": "awareness",
    }


def test_annual_retention_and_customer_values():
    tx = log(
        [
            ("a", "2023-03-01", 100),
            ("a", "2024-03-01", 100),
            ("b", "2023-05-01", 300),
            ("b", "2023-06-01", 300),
            ("c", "2024-06-01", 50),
        ]
    )
    # base: a, b bought in (2023-01-01, 2024-01-01]; of them a bought in the last 365 days -> 0.5
    assert lc.annual_retention(tx, "2024-12-31") == pytest.approx(0.5)
    v = lc.customer_values(tx, "2024-12-31", margin_rate=0.5, retention=0.5, discount_rate=0.0,
                           window_days=365, lapse_days=180)
    # the values are crmlib.clv.value_components' (one definition), with the stage added
    vc = clv.value_components(tx, margin_rate=0.5, retention=0.5, discount_rate=0.0, horizon_years=None,
                              observation_end="2024-12-31")
    assert v["historical"].tolist() == vc["historical_value"].tolist()
    assert v["current"].tolist() == vc["current_value"].tolist()
    assert v["potential"].tolist() == v["upside"].tolist() == vc["potential_value"].tolist()
    factor = 0.5 / (1 + 0 - 0.5)  # = 1
    # reachable pace: the median of last year's buyers' purchase days (a: 1, c: 1) = 1 a year
    # b: lapsed, historical 0.5 * 600 = 300; nothing this year; best year 600 -> potential (600 + 0.15 * 600) / 2
    assert v.loc["b", "historical"] == pytest.approx(300)
    assert v.loc["b", "current"] == pytest.approx(0)
    assert v.loc["b", "potential"] == pytest.approx(0.5 * 600 * 1.15 * factor)
    assert v.loc["b", "historical_rate"] == pytest.approx(300 * 365.25 / 610)
    # c: this year 50 (its best year and its pace): only the uplifts
    assert v.loc["c", "current"] == pytest.approx(25 * factor)
    assert v.loc["c", "upside"] == pytest.approx(0.5 * 0.15 * 50)
    # a: this year 100, also its best year (the year before: 100) -> only the uplifts
    assert v.loc["a", "upside"] == pytest.approx(0.5 * 0.15 * 100)
    assert v["stage"].astype(str).to_dict() == {"a": "lapsed", "b": "lapsed", "c": "lapsed"}
    cand = lc.reactivation_candidates(v, top=None)
    assert cand.index.tolist() == ["b", "a", "c"]
    assert lc.reactivation_candidates(v, min_historical=150).index.tolist() == ["b"]
    # over a 2-year horizon with r = 0.5, d = 0.25: q = 0.4, factor = 0.4 + 0.16 = 0.56
    v2 = lc.customer_values(tx, "2024-12-31", margin_rate=0.5, retention=0.5, discount_rate=0.25,
                            lapse_days=180, horizon_years=2)
    assert v2.loc["b", "potential"] == pytest.approx(0.5 * 600 * 1.15 * 0.56)
    # a model-based value shown as current
    model = lc.customer_values(tx, "2024-12-31", current_value=pd.Series({"a": 1.0, "b": 2.0, "c": 3.0}))
    assert model["current"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ParameterError, match=r"no value for 1 customers .first: \['c'\]"):
        lc.customer_values(tx, "2024-12-31", current_value=pd.Series({"a": 1.0, "b": 2.0}))
    with pytest.raises(ParameterError, match=r"'window_days' parameter of customer_values must be an integer in \[365"):
        lc.customer_values(tx, "2024-12-31", window_days=180)


def test_clear_errors_for_bad_input():
    with pytest.raises(DataError, match="missing: amount"):
        lc.stages_at(pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-01-01"])}))
    with pytest.raises(DataError, match="the transactions are empty"):
        lc.cohort_matrix(log([]))
    with pytest.raises(ParameterError, match=r"'retention' parameter of customer_values must be a number in \[0, 1\]"):
        lc.customer_values(log(ROWS), retention=1.5)
    # retention 1 is the definition of current value: the same numbers as crmlib.clv.value_components
    kept = lc.customer_values(log(ROWS), margin_rate=0.5, retention=1.0, horizon_years=3)
    one = clv.value_components(log(ROWS), margin_rate=0.5, horizon_years=3)
    assert np.allclose(kept["current"], one["current_value"].reindex(kept.index))


def test_lifecycle_charts_and_explorers():
    import matplotlib.pyplot as plt

    from crmlib import plot
    from crmlib.widgets import cohort_explorer, stage_explorer

    tx = log(ROWS)
    fig, axes = plt.subplots(2, 3)
    counts = lc.stage_counts(tx, end="2024-12-31")
    assert plot.stage_area_chart(counts, ax=axes[0, 0]) is axes[0, 0]
    ax = plot.cohort_heatmap(lc.cohort_matrix(tx, period="Q"), ax=axes[0, 1])
    assert ax.get_title().startswith("Share of each cohort active")
    assert plot.aov_tenure_chart(lc.aov_by_tenure(tx), ax=axes[0, 2]) is axes[0, 2]
    assert plot.value_by_stage_chart(lc.value_by_stage(tx, "2024-12-31"), ax=axes[1, 0]) is axes[1, 0]
    ax = plot.phase_chart(lc.relationship_phases(tx, "2024-12-31"), ax=axes[1, 1])
    assert len(ax.patches) == len(lc.PHASES)
    assert plot.value_parts_chart(lc.customer_values(tx, "2024-12-31"), ax=axes[1, 2]) is axes[1, 2]

    w = cohort_explorer(tx)
    assert w.result.attrs["metric"] == "retention"
    w.controls["metric"].value = "revenue"
    assert w.result.attrs["metric"] == "revenue" and w.result.iloc[0, 0] > 1
    s = stage_explorer(tx, lapse_days=180)
    assert s.controls["lapse_days"].description == "lapsed after (days without a purchase)"
    assert all("_" not in c.description for c in s.controls.values())
    lapsed = s.result["lapsed"].iloc[-1]
    s.controls["lapse_days"].value = 30
    assert s.result["lapsed"].iloc[-1] > lapsed


def test_stage_counts_add_up_to_the_customers_acquired():
    rng = np.random.default_rng(11)
    n = 200
    k = rng.integers(1, 4, n)
    days = rng.integers(0, 500, k.sum())
    tx = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n), k),
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, "D"),
            "amount": 1.0,
        }
    )
    counts = lc.stage_counts(tx)
    first = tx.groupby("customer_id")["date"].min()
    acquired = [(first <= end).sum() for end in counts.index]
    assert counts.sum(axis=1).tolist() == acquired


def test_customer_classes_climb_the_ladder():
    tx = log([("a", "2024-06-01", 10.0), ("b", "2022-01-01", 10.0), ("b", "2024-05-01", 10.0),
              ("c", "2023-01-01", 10.0), ("d", "2023-01-01", 10.0), ("d", "2024-03-01", 10.0),
              ("e", "2025-03-01", 10.0)])
    classes = lc.customer_classes(tx, "2024-06-30", committed=pd.Series({"d": True, "b": False}))
    # every customer of the log has a class; e first buys after the reading day: potential
    assert classes.to_dict() == {"a": "new", "b": "old", "c": "lapsed", "d": "loyal", "e": "potential"}
    assert list(classes.cat.categories) == list(lc.CLASSES)
    # without the commitment data, b and d are long-term with 2 purchase days each: both reach the bar
    assert set(lc.customer_classes(tx, "2024-06-30")[["b", "d"]]) == {"loyal"}
    # not committed, d is a regular: long-term with a tenure under two years
    assert lc.customer_classes(tx, "2024-06-30", committed=pd.Series(dtype=bool))["d"] == "regular"
    with pytest.raises(ParameterError, match="'committed' parameter of customer_classes must be a Series"):
        lc.customer_classes(tx, "2024-06-30", committed=["d"])
