"""Tests of crmlib.loyalty: reliability, stage scores and rule, behaviour join, value gap, rewards, break-even."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlib import loyalty
from crmlib.data import DataError
from crmlib.params import ParameterError

# ----------------------------------------------------------------------------- Cronbach's alpha


def test_alpha_of_identical_items_is_one():
    x = np.array([1, 3, 2, 5, 7, 4, 6], dtype=float)
    items = pd.DataFrame({"a": x, "b": x, "c": x})
    # var_total = var(3x) = 9 var(x); sum var_i = 3 var(x): 3/2 * (1 - 3/9) = 1
    assert loyalty.cronbach_alpha(items).alpha == pytest.approx(1.0)


def test_alpha_of_independent_items_within_feldt_interval():
    # Under independence (true alpha = 0), Feldt (1965): 1 / (1 - alpha_hat) ~ F(n-1, (n-1)(k-1)).
    n, k = 2000, 4
    rng = np.random.default_rng(42)
    items = pd.DataFrame(rng.normal(size=(n, k)))
    lo_f, hi_f = stats.f.ppf([0.0005, 0.9995], n - 1, (n - 1) * (k - 1))
    lo, hi = 1 - 1 / lo_f, 1 - 1 / hi_f  # the 99.9 % interval of alpha_hat, about +-0.11
    a = loyalty.cronbach_alpha(items).alpha
    assert lo < a < hi
    assert hi < 0.15  # the interval is narrow enough for the test to mean something


def test_alpha_hand_computed():
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [1, 3, 3, 5]})
    # var(a) = var(b) = (2.25+.25+.25+2.25)/3 = 5/3; var(c) = (4+0+0+4)/3 = 8/3
    # totals 4, 8, 10, 14 (mean 9): var = (25+1+1+25)/3 = 52/3
    # alpha = 3/2 * (1 - (5/3+5/3+8/3)/(52/3)) = 3/2 * (1 - 18/52) = 3/2 * 34/52 = 0.980769...
    res = loyalty.cronbach_alpha(items)
    assert res.alpha == pytest.approx(1.5 * 34 / 52)
    assert (res.n_items, res.n_used, res.n_dropped) == (3, 4, 0)


def test_alpha_listwise_and_pairwise_report_what_they_drop():
    items = pd.DataFrame(
        {
            "a": [1, 2, 3, 4, 5, np.nan],
            "b": [2, 3, 4, 5, np.nan, np.nan],
            "c": [1, 3, 3, 5, 4, 2],
        }
    )
    lw = loyalty.cronbach_alpha(items, missing="listwise")
    # complete rows are the first four: the hand-computed matrix above
    assert lw.alpha == pytest.approx(1.5 * 34 / 52)
    assert (lw.n_respondents, lw.n_used, lw.n_dropped) == (6, 4, 2)
    assert lw.answers_missing == 3
    assert lw.answers_dropped == 3  # row 5: a and c given; row 6: c given
    pw = loyalty.cronbach_alpha(items, missing="pairwise")
    assert (pw.n_used, pw.n_dropped, pw.answers_dropped) == (5, 1, 1)  # only row 6 has < 2 answers
    assert pw.alpha != pytest.approx(lw.alpha)
    assert "2 respondents dropped" in str(lw)


def test_alpha_errors():
    with pytest.raises(ParameterError, match="at least 2 item columns"):
        loyalty.cronbach_alpha(pd.DataFrame({"a": [1, 2]}))
    with pytest.raises(ParameterError, match="'missing' parameter of cronbach_alpha must be one of"):
        loyalty.cronbach_alpha(pd.DataFrame({"a": [1, 2], "b": [2, 1]}), missing="mean")
    with pytest.raises(DataError, match=r"column 'b' holds \w+; first offending rows: \[1\]"):
        loyalty.cronbach_alpha(pd.DataFrame({"a": [1, 2], "b": [2, "agree"]}))
    with pytest.raises(DataError, match="1 usable respondents"):
        loyalty.cronbach_alpha(pd.DataFrame({"a": [1, np.nan], "b": [2, 1]}))


def test_item_analysis_flags_the_odd_item():
    rng = np.random.default_rng(1)
    f = rng.normal(size=400)
    items = pd.DataFrame({f"x{i}": f + rng.normal(scale=0.6, size=400) for i in range(3)})
    items["noise"] = rng.normal(size=400)
    table = loyalty.item_analysis(items)
    assert table.loc["noise", "item_total_r"] < 0.2 < 0.6 < table.loc[["x0", "x1", "x2"], "item_total_r"].min()
    # deleting the noise item raises alpha, deleting a good item lowers it
    assert table.loc["noise", "alpha_if_deleted"] > table.attrs["alpha"] > table.loc["x0", "alpha_if_deleted"]


def test_item_total_correlation_hand_computed():
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [1, 3, 3, 5]})
    # rest of a = b + c = 3, 6, 7, 10: deviations -3.5, -.5, .5, 3.5; a deviations -1.5, -.5, .5, 1.5
    # r = 11 / sqrt(5 * 25)
    assert loyalty.item_analysis(items).loc["a", "item_total_r"] == pytest.approx(11 / np.sqrt(125))
    # alpha without c: a and b identical up to a shift -> 1
    assert loyalty.item_analysis(items).loc["c", "alpha_if_deleted"] == pytest.approx(1.0)


def test_reliability_per_stage_by_prefix():
    survey = pd.DataFrame(
        {
            "cog_1": [1, 2, 3, 4],
            "cog_2": [2, 3, 4, 5],
            "cog_3": [1, 3, 3, 5],
            "aff_1": [1, 2, 3, 4],
            "aff_2": [1, 2, 3, 4],
            "con_1": [1, 2, 3, 4],
            "con_2": [4, 3, 2, 2],
            "act_1": [5, 6, 7, 5],
            "act_2": [5, 6, 7, 6],
            "other": [0, 0, 0, 0],
        }
    )
    table = loyalty.reliability(survey)
    assert list(table.index) == list(loyalty.STAGES)
    assert table.loc["cognitive", "alpha"] == pytest.approx(1.5 * 34 / 52)
    assert table.loc["affective", "alpha"] == pytest.approx(1.0)
    assert table.loc["conative", "alpha"] < 0


def test_stage_items_errors():
    with pytest.raises(DataError, match=r"No survey columns found for: .*action \(act_\*\)"):
        loyalty.stage_items(pd.DataFrame({"cog_1": [1], "aff_1": [1], "con_1": [1]}))
    with pytest.raises(DataError, match="stage 'cognitive' .* missing: q9"):
        loyalty.stage_items(pd.DataFrame({"q1": [1]}), {"cognitive": ["q1", "q9"]})


# ------------------------------------------------------------------------------- stage rule


def test_stage_scores_half_rule():
    survey = pd.DataFrame(
        {
            "cog_1": [7, 2, np.nan],
            "cog_2": [5, np.nan, np.nan],
            "cog_3": [6, np.nan, 4],
            "aff_1": [6, 3, 1],
            "con_1": [5, 1, 1],
            "act_1": [4, 1, 1],
        }
    )
    s = loyalty.stage_scores(survey)
    assert s.loc[0].tolist() == [6.0, 6.0, 5.0, 4.0]
    # 1 of 3 cognitive items answered: below half -> NaN
    assert np.isnan(s.loc[1, "cognitive"]) and np.isnan(s.loc[2, "cognitive"])
    s_any = loyalty.stage_scores(survey, min_answers=0.3)
    assert s_any.loc[1, "cognitive"] == 2.0 and s_any.loc[2, "cognitive"] == 4.0


def test_assign_stage_cumulative_cases():
    scores = pd.DataFrame(
        {
            "cognitive": [6, 6, 4, 5, 7, np.nan, 6, 6],
            "affective": [5, 3, 6, 5, 7, 6, np.nan, 6],
            "conative": [5, 7, 6, 5, 7, 6, 7, 6],
            "action": [4, 7, 6, 5, 7, 6, 7, 4.999],
        },
        index=list("abcdefgh"),
    )
    got = loyalty.assign_stage(scores, threshold=5).tolist()
    assert got[0] == "conative"  # 6, 5, 5 reach; action 4 does not
    assert got[1] == "cognitive"  # affective 3 breaks the chain; later 7s do not count
    assert got[2] == "none"  # cognitive below threshold
    assert got[3] == "action"  # all exactly at the threshold: >= counts
    assert got[4] == "action"
    assert pd.isna(got[5])  # no cognitive score: unknown
    assert got[6] == "cognitive"  # missing affective stops the chain
    assert got[7] == "conative"
    assert list(loyalty.assign_stage(scores).cat.categories) == list(loyalty.STAGE_LABELS)


def test_assign_stage_highest_ties_go_to_earlier_stage():
    scores = pd.DataFrame(
        {
            "cognitive": [6, 3, 2, np.nan],
            "affective": [6, 6, 3, np.nan],
            "conative": [4, 6, 4, 7],
            "action": [5, 5, 4, np.nan],
        }
    )
    got = loyalty.assign_stage(scores, rule="highest", threshold=5).tolist()
    assert got == ["cognitive", "affective", "none", "conative"]


def test_assign_stage_errors():
    with pytest.raises(DataError, match="missing: action"):
        loyalty.assign_stage(pd.DataFrame({"cognitive": [1], "affective": [1], "conative": [1]}))
    scores = pd.DataFrame({s: [5.0] for s in loyalty.STAGES})
    with pytest.raises(ParameterError, match="'rule' parameter of assign_stage must be one of 'cumulative', 'highest'"):
        loyalty.assign_stage(scores, rule="max")


def test_stage_behaviour_by_hand():
    summary = pd.DataFrame(
        {
            "frequency": [0, 3, 5, 1],
            "recency": [0, 200, 300, 10],
            "T": [365, 365, 365, 365],
            "monetary_value": [0.0, 20.0, 30.0, 50.0],
        },
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )
    stages = pd.Series(
        pd.Categorical(["none", "action", "action", "none"], categories=loyalty.STAGE_LABELS), index=[1, 2, 3, 9]
    )  # customer 9 not in the log, customer 4 not surveyed
    out = loyalty.stage_behaviour(stages, summary, inactive_after=100)
    assert list(out.index) == ["none", "action"]
    assert out.loc["action", "customers"] == 2
    assert out.loc["action", "repeat_spend"] == pytest.approx((3 * 20 + 5 * 30) / 2)
    assert out.loc["action", "churned"] == pytest.approx(0.5)  # 365-200 = 165 > 100; 365-300 = 65
    assert out.loc["none", "repeat_rate"] == 0.0 and out.loc["none", "churned"] == 1.0
    assert np.isnan(out.loc["none", "monetary_value"])
    with pytest.raises(DataError, match="no customer id both in the stages and in the summary"):
        loyalty.stage_behaviour(pd.Series(["action"], index=[99]), summary)


# ------------------------------------------------------------------------- value gap, bonds, rewards


def test_switching_margin():
    assert loyalty.switching_margin(100, 120, 30) == 10.0  # 100 - 120 + 30
    assert loyalty.switching_margin(100, 120, 10) == -10.0
    m = loyalty.switching_margin(np.array([100, 90]), 95, np.array([0, 0]))
    np.testing.assert_allclose(m, [5, -5])
    with pytest.raises(
        ParameterError, match=r"'switching_cost' parameter of switching_margin must be a number in \[0, inf\)"
    ):
        loyalty.switching_margin(1, 1, -2)


def test_bonds_table_has_every_stage_covered():
    table = loyalty.bonds_table()
    assert set(table.index) == {"financial", "social", "customisation", "structural"}
    assert table[list(loyalty.STAGES)].any(axis=0).all()
    assert table.loc["financial", "level"] == 1 and table.loc["structural", "level"] == 3


def test_reward_value_weights_and_missing():
    r = pd.DataFrame({"cash_value": [7, 2, np.nan], "choice": [5, 2, 4], "speed": [3, 5, 6]})
    got = loyalty.reward_value(r, {"cash_value": 2, "choice": 1, "speed": 1})
    # (2*7 + 5 + 3)/4 = 5.5; (4 + 2 + 5)/4 = 2.75; cash missing: (4 + 6)/2 = 5
    assert got.tolist() == [5.5, 2.75, 5.0]
    assert loyalty.reward_value(r).tolist()[0] == pytest.approx(5.0)  # equal default weights
    with pytest.raises(DataError, match="reward_value found none of the reward dimensions"):
        loyalty.reward_value(pd.DataFrame({"x": [1]}))
    with pytest.raises(ParameterError, match=r"'weights\[speed\]' parameter of reward_value"):
        loyalty.reward_value(r, {"speed": -1})


def test_classify_loyalty_rule():
    got = loyalty.classify_loyalty(
        [6, 6, 3, 3, 6, np.nan], [1, 0, 1, 0, 1, 1], deal_driven=[False, False, False, False, True, False]
    )
    assert got.tolist()[:5] == ["brand loyal", "latent", "deal loyal", "not loyal", "deal loyal"]
    assert pd.isna(got.iloc[5])
    with pytest.raises(ParameterError, match="same length"):
        loyalty.classify_loyalty([1, 2], [1])


# ------------------------------------------------------------------------------- programme economics


def test_programme_economics_by_hand():
    out = loyalty.programme_economics(
        members=1000,
        revenue=500,
        margin_rate=0.3,
        reward_rate=0.02,
        running_cost=10_000,
        spend_lift=0.1,
        retention_lift=0.05,
    )
    # member revenue = 1000 * 1.05 * 500 * 1.1 = 577 500; rewards 2 % = 11 550
    # margin with = 577 500 * 0.3 - 11 550 - 10 000 = 151 700; without = 150 000
    assert out["reward_cost"] == pytest.approx(11_550)
    assert out["margin_with"] == pytest.approx(151_700)
    assert out["net_gain"] == pytest.approx(1_700)


def test_break_even_lift_by_hand_and_consistent():
    kw = dict(members=1000, revenue=500, margin_rate=0.3, reward_rate=0.02, running_cost=10_000)
    # (0.3 + 10 000 / 500 000) / 0.28 - 1 = 0.32 / 0.28 - 1 = 1/7
    assert loyalty.break_even_lift(**kw) == pytest.approx(1 / 7)
    s = loyalty.break_even_lift(**kw, retention_lift=0.05)
    assert s == pytest.approx(0.32 / (1.05 * 0.28) - 1)
    assert loyalty.programme_economics(**kw, spend_lift=s, retention_lift=0.05)["net_gain"] == pytest.approx(
        0, abs=1e-6
    )
    with pytest.raises(
        ParameterError, match=r"'reward_rate' parameter of break_even_lift must be a number in \[0, 0.3\)"
    ):
        loyalty.break_even_lift(**{**kw, "reward_rate": 0.4})


def test_reward_value_reads_prefixed_columns_and_profile():
    r = pd.DataFrame({"reward_cash_value": [7.0, 3.0, 5.0], "reward_speed": [5.0, 1.0, np.nan]})
    # equal weights over the two dimensions present: (7+5)/2 = 6; (3+1)/2 = 2; only cash: 5
    assert loyalty.reward_value(r).tolist() == [6.0, 2.0, 5.0]
    prof = loyalty.reward_profile(r)
    assert list(prof.index) == ["cash_value", "speed"]
    # cash: mean 5, sd 2, n 3 -> half-width 1.96 * 2 / sqrt(3)
    assert prof.loc["cash_value", "high"] - 5 == pytest.approx(1.96 * 2 / np.sqrt(3))
    assert prof.loc["speed", "n"] == 2


def test_benefit_scores_and_bond_by_stage():
    s = pd.DataFrame({"conf_1": [6, 4], "conf_2": [4, np.nan], "soc_1": [2, 3], "spec_1": [5, 1]})
    b = loyalty.benefit_scores(s)
    assert list(b.columns) == ["confidence", "social", "special_treatment"]
    assert b.loc[0, "confidence"] == 5.0 and b.loc[1, "confidence"] == 4.0  # 1 of 2 answered: half rule met
    stages = pd.Series(["action", "none", "none", "none", "action"])
    bonds = pd.Series(["structural", "financial", "financial", "social", np.nan])
    t = loyalty.bond_by_stage(stages, bonds)
    assert list(t.index) == ["none", "action"]
    assert t.loc["none", "financial"] == pytest.approx(2 / 3)
    assert t.loc["action", "structural"] == 1.0  # the blank answer is left out
    with pytest.raises(ParameterError, match="same length"):
        loyalty.bond_by_stage(stages, bonds[:2])


def test_programme_explorer_slider_changes_the_result():
    from crmlib.widgets import programme_explorer, switching_explorer

    w = programme_explorer(
        members=1000,
        revenue=500,
        margin_rate=0.3,
        reward_rate=0.02,
        running_cost=10_000,
        spend_lift=0.1,
        retention_lift=0.0,
    )
    assert w.result.loc["break_even_spend_lift", "value"] == pytest.approx(1 / 7)
    before = w.result.loc["net_gain", "value"]
    assert before == pytest.approx(-6000)  # 550 000 * 0.28 - 10 000 - 150 000
    w.controls["reward_rate"].value = 0.04
    # margin with = 550 000 * (0.3 - 0.04) - 10 000 = 133 000; net = -17 000
    assert w.result.loc["net_gain", "value"] == pytest.approx(-17_000)
    assert w.image.value  # a figure was drawn
    s = switching_explorer(value_received=100, switching_cost=30)
    assert s.result.iloc[0, 0] == 130
    s.controls["switching_cost"].value = 50
    assert s.result.iloc[0, 0] == 150
    # sliders speak words with their unit, never a parameter name
    for control in [*w.controls.values(), *s.controls.values()]:
        assert "_" not in control.description and "(" in control.description, control.description


def test_loyalty_charts_draw_on_the_given_axes():
    import matplotlib.pyplot as plt

    from crmlib import plot

    scores = pd.DataFrame({s: [6.0, 3.0, 5.5] for s in loyalty.STAGES})
    stages = loyalty.assign_stage(scores)
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [1, 3, 3, 5]})
    behaviour = pd.DataFrame(
        {"customers": [2, 3], "repeat_rate": [0.5, 1.0], "churned": [0.5, 0.0]}, index=["none", "action"]
    )
    fig, axes = plt.subplots(2, 4)
    drawn = [
        plot.stage_profile_chart(scores, stages, threshold=5, ax=axes[0, 0]),
        plot.item_total_chart(loyalty.item_analysis(items), ax=axes[0, 1]),
        plot.stage_behaviour_chart(behaviour, ax=axes[0, 2]),
        plot.value_gap_chart(100, 30, ax=axes[0, 3]),
        plot.reward_profile_chart(loyalty.reward_profile(pd.DataFrame({"reward_speed": [4, 5, 6]})), ax=axes[1, 0]),
        plot.break_even_chart(
            members=1000, revenue=500, margin_rate=0.3, reward_rate=0.02, running_cost=10_000, ax=axes[1, 1]
        ),
        plot.bond_stage_chart(
            loyalty.bond_by_stage(pd.Series(["none", "action"]), pd.Series(["financial", "social"])), ax=axes[1, 2]
        ),
    ]
    for ax, expected in zip(drawn, axes.flat):
        assert ax is expected and (ax.lines or ax.patches or ax.collections)
    # the break-even axis reaches past the break-even lift of 1/7 and marks it
    assert axes[1, 1].get_xlim()[1] >= 1 / 7
