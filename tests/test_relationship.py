"""Tests of crmlib.relationship and the simulated firm survey (crmlib.datasets.make_firm_survey)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlib import relationship as rel
from crmlib.data import DataError
from crmlib.datasets import CMP_DIMENSIONS, make_firm_survey
from crmlib.params import ParameterError


def _tx(rows):
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "amount": [float(r[2]) for r in rows],
        }
    )


# ------------------------------------------------------------------------------------- firm survey


def test_firm_survey_layout_and_truth():
    s = make_firm_survey(300, seed=3)
    assert s.attrs["simulated"] is True
    items = rel.type_items(s)
    assert list(items) == list(rel.TYPES)
    assert all(len(cols) == len(CMP_DIMENSIONS) for cols in items.values())
    answers = s[[c for cols in items.values() for c in cols]]
    assert answers.min().min() >= 1 and answers.max().max() <= 7
    share = (s["true_type"] == "pluralistic").mean()
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 300)
    # a pure firm's own items average about `high`, the others about `low` (+ style, mean 0)
    pure = s[s["true_type"] == "database"]
    assert pure[items["database"]].to_numpy().mean() == pytest.approx(5.5, abs=0.25)
    assert pure[items["network"]].to_numpy().mean() == pytest.approx(3.0, abs=0.25)
    with_e = make_firm_survey(5, seed=1, types=rel.MARKETING_TYPES)
    assert "purpose_EM" in with_e.columns


def test_firm_survey_errors():
    with pytest.raises(ParameterError, match="'types' parameter of make_firm_survey must list at least two"):
        make_firm_survey(5, types=("transactional", "relational"))
    with pytest.raises(ParameterError, match="'n_firms' parameter of make_firm_survey must be an integer"):
        make_firm_survey(0)


def test_classify_firms_recovers_the_truth():
    s = make_firm_survey(2000, seed=11)
    c = rel.classify_firms(s, margin=0.5)
    pure = s["true_type"] != "pluralistic"
    # pure firms: own type 5.5 vs 3.0 elsewhere, a gap of 2.5 points against a difference sd of ~0.5
    assert (c.loc[pure, "type"] == s.loc[pure, "true_type"]).mean() > 0.99
    # pluralistic firms: the two true types have equal means, so their score difference is about
    # N(0, sd_d) with sd_d = sqrt(2) * sd_eff / sqrt(9), sd_eff = sqrt(1 + 1/12) (noise plus rounding);
    # the firm is called pluralistic when |difference| < 0.5. Clipping at 7 trims the noise a little,
    # so the observed rate may sit slightly above this approximation.
    sd_d = np.sqrt(2) * np.sqrt(1 + 1 / 12) / 3
    expected = 2 * stats.norm.cdf(0.5 / sd_d) - 1  # about 0.69
    n_pl = int((~pure).sum())
    got = (c.loc[~pure, "type"] == "pluralistic").mean()
    assert expected - 4 * np.sqrt(expected * (1 - expected) / n_pl) < got < expected + 0.08
    # when called pluralistic, the two leading types are the true pair
    called = ~pure & (c["type"] == "pluralistic")
    assert (c.loc[called, "types"] == s.loc[called, "true_types"]).mean() > 0.99


def test_classify_firms_rule_by_hand():
    s = pd.DataFrame({"purpose_TM": [7, 5, 4], "intent_TM": [5, 5, 4], "purpose_DM": [2, 6, 4], "intent_DM": [3, 4, 4]})
    c = rel.classify_firms(s, margin=0.5)
    # firm 0: TM 6.0, DM 2.5, gap 3.5; firm 1: 5.0 vs 5.0; firm 2: exact tie 4 vs 4
    assert c["type"].tolist() == ["transactional", "pluralistic", "pluralistic"]
    assert c["gap"].tolist() == [3.5, 0.0, 0.0]
    assert c.loc[1, "types"] == "transactional+database"
    # margin 0: ties go to the type listed first
    assert rel.classify_firms(s, margin=0)["type"].tolist() == ["transactional"] * 3


def test_classify_errors():
    with pytest.raises(DataError, match="needs items of at least two marketing types"):
        rel.classify_firms(pd.DataFrame({"purpose_TM": [1], "x": [2]}))
    s = pd.DataFrame({"purpose_TM": [1, 2], "purpose_DM": [np.nan, 3]})
    with pytest.raises(DataError, match=r"first such firms: \[0\]"):
        rel.classify_firms(s)
    with pytest.raises(ParameterError, match="'margin' parameter of classify_firms"):
        rel.classify_firms(pd.DataFrame({"purpose_TM": [1], "purpose_DM": [2]}), margin=-1)


def test_types_table():
    t = rel.types_table()
    assert list(t.index) == list(rel.MARKETING_TYPES)
    assert t.notna().all().all()
    with pytest.raises(ParameterError, match="'types' parameter of types_table"):
        rel.types_table(["relational"])


# ------------------------------------------------------------------------------------- lenses


def test_transactional_view_by_hand():
    tx = _tx([(1, "2024-01-01", 10), (1, "2024-01-01", 5), (2, "2024-01-03", 30), (2, "2024-01-04", 15)])
    v = rel.transactional_view(tx)
    # occasions: (1, Jan 1) = 15, (2, Jan 3) = 30, (2, Jan 4) = 15; 4 calendar days
    assert v["transactions"] == 3
    assert v["revenue"] == 60
    assert v["revenue_per_transaction"] == 20
    assert v["median_transaction"] == 15
    assert v["transactions_per_day"] == 0.75


def test_database_view_top_share():
    tx = _tx(
        [
            (1, "2024-01-01", 10),
            (1, "2024-02-01", 5),
            (2, "2024-01-03", 30),
            (3, "2024-01-05", 1),
            (4, "2024-01-05", 2),
            (5, "2024-01-06", 52),
        ]
    )
    d = rel.database_view(tx, top_share=0.4)
    assert d["top"].sum() == 2
    assert d.loc[[5, 2], "top"].all()
    assert d.attrs["top_revenue_share"] == pytest.approx(82 / 100)
    assert d.attrs["repeat_share"] == pytest.approx(1 / 5)
    assert d.loc[1, "total_spend"] == 15 and d.loc[1, "monetary_value"] == 5


def test_interaction_view_by_hand():
    tx = _tx(
        [
            (1, "2023-01-01", 1),
            (1, "2023-06-01", 1),
            (1, "2023-09-01", 1),
            (1, "2024-02-01", 1),
            (2, "2023-01-01", 1),
            (2, "2023-01-02", 1),
            (2, "2023-01-03", 1),
            (2, "2023-01-04", 1),
            (3, "2022-01-01", 1),
            (3, "2024-01-01", 5),
        ]
    )
    v = rel.interaction_view(tx, min_purchases=4, min_tenure_days=365)
    # 1: 4 days over 396 days -> both; 2: 4 days over 3 days -> repeated only; 3: 2 days over 730 -> long only
    assert v["repeated_contacts"] == pytest.approx(2 / 3)
    assert v["long_relationships"] == pytest.approx(2 / 3)
    assert v["both"] == pytest.approx(1 / 3)
    assert v["revenue_share_both"] == pytest.approx(4 / 14)


def test_lenses_says_network_is_not_measurable():
    tx = _tx([(1, "2024-01-01", 10), (1, "2024-02-01", 5), (2, "2024-01-03", 30)])
    t = rel.lenses(tx)
    assert list(t.index) == ["transactional", "database", "interaction", "network"]
    assert np.isnan(t.loc["network", "value"]) and "no inter-firm" in t.loc["network", "note"]
    assert t.loc["transactional", "value"] == pytest.approx(15)


def test_membership_curve_by_hand_with_censoring():
    tx = _tx(
        [
            (1, "2024-01-01", 1),
            (1, "2024-01-10", 1),  # member after 9 days
            (2, "2024-01-01", 1),
            (2, "2024-01-22", 1),  # member after 21 days
            (3, "2024-01-15", 1),
        ]
    )  # observed 7 days, never repeats
    m = rel.membership_curve(tx, unit="W")
    # end = Jan 22; observed (weeks): 3, 3, 1
    # t=0: 3 at risk, 0 members; t=1: 3 at risk, none yet (tau 1.29, 3); t=2: 2 at risk, 1; t=3: 2, 2
    assert m["customers"].tolist() == [3, 3, 2, 2]
    assert m["members"].tolist() == [0, 0, 1, 2]
    assert m["share"].tolist() == [0.0, 0.0, 0.5, 1.0]
    m3 = rel.membership_curve(tx, unit="W", min_purchases=3)
    assert m3["members"].sum() == 0
    with pytest.raises(ParameterError, match="'min_purchases' parameter of membership_curve must be an integer in"):
        rel.membership_curve(tx, min_purchases=1)
    with pytest.raises(DataError, match="missing: amount"):
        rel.membership_curve(tx.drop(columns="amount"))


def test_relationship_charts_draw_on_the_given_axes():
    import matplotlib.pyplot as plt

    from crmlib import plot

    s = make_firm_survey(60, seed=1)
    c = rel.classify_firms(s)
    tx = _tx([(1, "2024-01-01", 1), (1, "2024-03-10", 1), (2, "2024-01-05", 1), (2, "2024-06-01", 1)])
    fig, axes = plt.subplots(1, 3)
    assert plot.type_scores_chart(c, ax=axes[0]) is axes[0] and axes[0].patches
    assert plot.classification_chart(s["true_type"], c["type"], ax=axes[1]) is axes[1] and axes[1].images
    assert plot.membership_chart(rel.membership_curve(tx), ax=axes[2]) is axes[2] and axes[2].lines
