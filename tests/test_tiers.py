"""Tests of crmlib.tiers: expected values are worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlib import tiers
from crmlib.params import ParameterError

# ---------------------------------------------------------------- Lorenz, Gini, Pareto


def test_gini_hand_computation():
    # values 1,2,3,4: |differences| over the 6 unordered pairs: 1,2,3,1,2,1 -> 10, ordered pairs 20;
    # 2 * n^2 * mean = 2 * 16 * 2.5 = 80 -> G = 20/80 = 0.25
    assert tiers.gini([4, 1, 3, 2]) == pytest.approx(0.25)
    # one customer has everything among 4: pairs (0,x) three times -> 3x, ordered 6x; 2*16*(x/4) = 8x -> 0.75
    assert tiers.gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert tiers.gini([7, 7, 7]) == pytest.approx(0.0)


def test_gini_equals_one_minus_twice_lorenz_area():
    # Lorenz points for 1..4: 0, .1, .3, .6, 1; trapezoids: (0+.1 + .1+.3 + .3+.6 + .6+1)/(2*4) = 3/8
    # G = 1 - 2 * 3/8 = 0.25
    curve = tiers.lorenz_curve([1, 2, 3, 4])
    assert curve["share_of_value"].tolist() == pytest.approx([0, 0.1, 0.3, 0.6, 1.0])
    area = np.trapezoid(curve["share_of_value"], curve["share_of_customers"])
    assert 1 - 2 * area == pytest.approx(tiers.gini([1, 2, 3, 4]))


def test_gini_with_negative_profit_can_exceed_one():
    # profits -3, 1, 1, 5: total 4, mean 1. Pair differences: (-3,1)=4 twice, (-3,5)=8, (1,1)=0, (1,5)=4 twice
    # -> 24 unordered, 48 ordered; 2 * 16 * 1 = 32 -> G = 1.5
    assert tiers.gini([-3, 1, 1, 5]) == pytest.approx(1.5)
    # Lorenz dips below zero first: cumulative -3, -2, -1, 4 over total 4
    assert tiers.lorenz_curve([-3, 1, 1, 5])["share_of_value"].tolist() == pytest.approx([0, -0.75, -0.5, -0.25, 1])


def test_whale_curve_rises_above_one_then_falls():
    # profits sorted desc 5, 1, 1, -3, total 4: cumulative 5, 6, 7, 4 -> 1.25, 1.5, 1.75, 1.0
    curve = tiers.pareto_curve([1, -3, 5, 1])
    assert curve["share_of_value"].tolist() == pytest.approx([0, 1.25, 1.5, 1.75, 1.0])


def test_pareto_table_hand_values():
    # 10 customers: one brings 50, one 20, eight bring 3.75 each (30 in all): total 100
    values = [50, 20] + [3.75] * 8
    table = tiers.pareto_table(values, cut_points=(0.1, 0.2, 0.5, 0.15))
    # top 10% = 1 customer: 50%; top 20% = 2: 70%; top 50% = 5: 50+20+3*3.75 = 81.25%;
    # top 15% -> ceil(1.5) = 2 customers: 70%
    assert table["customers"].tolist() == [1, 2, 5, 2]
    assert table["share_of_value"].tolist() == pytest.approx([0.5, 0.7, 0.8125, 0.7])


def test_concentration_facts_hand_values():
    # revenue 1,2,3,4 (total 10): the top 25% (1 customer) bring 4/10; the top 50% bring 7/10
    # profit 2,-1,1,3 (net 5): top 25% -> 3/5; Gini: ascending -1,1,2,3, sum (2k-5) v = 3-1+2+9 = 13,
    # G = 2*13 / (2*4*5) = 0.65; one of four loses money; purchase days 1,1,2,5: half bought on one day
    facts = tiers.concentration_facts(
        pd.Series([1.0, 2, 3, 4], index=list("abcd")),
        [2, -1, 1, 3],
        cut_points=(0.25, 0.5),
        purchase_days=[1, 1, 2, 5],
        quadrant=["lead", "iron", "lead", "gold"],
    )
    assert facts.to_dict() == pytest.approx(
        {
            "customers": 4,
            "revenue share of top 25%": 0.4,
            "revenue share of top 50%": 0.7,
            "profit share of top 25%": 0.6,
            "profit share of top 50%": 1.0,
            "Gini of revenue": 0.25,
            "Gini of profit": 0.65,
            "lose money": 0.25,
            "bought on one day": 0.5,
            "in quadrant gold": 0.25,
            "in quadrant iron": 0.25,
            "in quadrant lead": 0.5,
        }
    )
    assert list(facts.index[-3:]) == ["in quadrant gold", "in quadrant iron", "in quadrant lead"]
    # without profit, days or quadrants only the revenue facts
    assert list(tiers.concentration_facts([1, 2, 3, 4]).index) == [
        "customers",
        "revenue share of top 1%",
        "revenue share of top 20%",
        "Gini of revenue",
    ]
    with pytest.raises(ParameterError, match="'profit' parameter of concentration_facts must have one value"):
        tiers.concentration_facts([1, 2, 3], [1, 2])


def test_shares_need_positive_total():
    with pytest.raises(ParameterError, match="sums to -2; shares of value need a positive total"):
        tiers.gini([1, -3])
    with pytest.raises(ParameterError, match="missing or infinite values .first customers: \\['b'\\]"):
        tiers.pareto_curve(pd.Series([1.0, np.nan], index=["a", "b"]))


# ---------------------------------------------------------------- pyramid


def test_pyramid_counts_with_default_shares():
    # 200 distinct values: VIP ceil(0.01*200)=2, major ceil(.05*200)-2=8, common 40-10=30, minor 160
    values = pd.Series(np.arange(200, 0, -1), index=[f"c{i}" for i in range(200)], dtype=float)
    tier = tiers.pyramid(values)
    assert tier.value_counts().reindex(tiers.PYRAMID_LABELS).tolist() == [2, 8, 30, 160]
    assert tier.loc["c0"] == "VIP" and tier.loc["c199"] == "minor"
    assert tier.index.equals(values.index)


def test_pyramid_tie_at_cutoff_goes_to_lower_tier():
    # shares 0.25/0.25/0.5 on 4 customers: quotas at positions < 1, < 2, rest.
    # values 9, 5, 5, 1: the two 5s straddle positions 1 and 2 -> with ties="lower" both take position 2 -> C
    values = [9, 5, 5, 1]
    kwargs = dict(shares=(0.25, 0.25, 0.5), labels=("A", "B", "C"))
    assert tiers.pyramid(values, **kwargs).tolist() == ["A", "C", "C", "C"]
    # ties="higher": both take position 1 -> B
    assert tiers.pyramid(values, ties="higher", **kwargs).tolist() == ["A", "B", "B", "C"]
    # ties="order": input order decides
    assert tiers.pyramid(values, ties="order", **kwargs).tolist() == ["A", "B", "C", "C"]


def test_pyramid_all_equal_and_fewer_customers_than_tiers():
    assert tiers.pyramid([3, 3, 3, 3, 3]).tolist() == ["minor"] * 5
    # 2 customers, 4 tiers: best customer position 0 < 0.02 -> VIP; second position 1 >= 0.4 -> minor
    tier = tiers.pyramid([1.0, 8.0])
    assert tier.tolist() == ["minor", "VIP"]
    table = tiers.tier_table([1.0, 8.0], tier)
    assert table["customers"].tolist() == [1, 0, 0, 1, 2]


def test_pyramid_shares_must_sum_to_one():
    with pytest.raises(ParameterError, match="must sum to 1 .* sums to 0.9"):
        tiers.pyramid([1, 2, 3], shares=(0.1, 0.2, 0.6))
    with pytest.raises(ParameterError, match="one distinct name per share"):
        tiers.pyramid([1, 2, 3], shares=(0.5, 0.5), labels=("a", "b", "c"))
    with pytest.raises(ParameterError, match="'ties' parameter of pyramid must be one of"):
        tiers.pyramid([1, 2], ties="random")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-50, 200), min_size=1, max_size=60),
    st.lists(st.integers(1, 20), min_size=1, max_size=5),
    st.sampled_from(["lower", "higher", "order"]),
)
def test_pyramid_partition_and_monotone(values, weights, ties):
    shares = np.array(weights) / sum(weights)
    labels = [f"t{i}" for i in range(len(shares))]
    tier = tiers.pyramid(values, shares=shares, labels=labels, ties=ties)
    codes = tier.cat.codes.to_numpy()
    # every customer in exactly one tier
    assert len(tier) == len(values) and (codes >= 0).all()
    # a better value is never in a lower tier
    v = np.asarray(values, dtype=float)
    order = np.argsort(-v, kind="stable")
    assert (np.diff(codes[order]) >= 0).all()
    if ties != "order":  # equal values share a tier
        for value in set(values):
            assert len(set(codes[v == value])) == 1
    else:  # the quotas are met exactly: tier j holds ceil(c_j n) - ceil(c_{j-1} n) customers
        n = len(values)
        expected = np.diff(np.concatenate([[0], np.ceil(np.cumsum(shares)[:-1] * n - 1e-9), [n]]))
        assert np.bincount(codes, minlength=len(shares)).tolist() == expected.astype(int).tolist()


def test_tier_table_shares_with_negative_profit():
    profit = pd.Series([100.0, 50.0, 10.0, -60.0], index=list("abcd"))
    tier = pd.Series(["top", "top", "rest", "rest"], index=list("abcd"))
    table = tiers.tier_table(profit, tier, costs=[1, 1, 1, 5])
    # total profit 100; top: 150 -> 150%; rest: -50 -> -50%
    assert table.loc["top", "share_of_value"] == pytest.approx(1.5)
    assert table.loc["rest", "share_of_value"] == pytest.approx(-0.5)
    assert table.loc["rest", "share_of_cost"] == pytest.approx(6 / 8)
    assert table.loc["total", "customers"] == 4


def test_profitability_tiers():
    profit = pd.Series([500.0, 200.0, 100.0, 50.0, 0.0, -10.0, -400.0], index=range(7))
    tier = tiers.profitability_tiers(profit, shares=(0.2, 0.2, 0.6))
    # lead: profit < 0 -> customers 5, 6. Others (5): quotas positions < 1, < 2, rest
    assert tier.tolist() == ["platinum", "gold", "iron", "iron", "iron", "lead", "lead"]
    with pytest.raises(ParameterError, match="must give 3 shares"):
        tiers.profitability_tiers(profit, shares=(0.5, 0.5))


# ---------------------------------------------------------------- value x potential


def test_value_potential_quadrants_and_threshold_side():
    current = pd.Series([10.0, 10.0, 5.0, 5.1, 1.0], index=list("abcde"))
    potential = pd.Series([3.1, 3.0, 9.0, 3.0, 0.0], index=list("abcde"))
    vp = tiers.value_potential(current, potential, current_threshold=5, potential_threshold=3)
    # high = strictly above: a (10 > 5, 3.1 > 3) platinum; b potential exactly 3 -> low -> gold;
    # c current exactly 5 -> low, potential 9 high -> iron; d (5.1, 3) -> gold; e lead
    assert vp["quadrant"].tolist() == ["platinum", "gold", "iron", "gold", "lead"]
    assert vp.loc["e", "strategy"] == tiers.QUADRANT_STRATEGIES["lead"]
    assert "end the relationship" in vp.loc["e", "strategy"]
    assert "one-to-one retention" in vp.loc["a", "strategy"]


def test_value_potential_default_thresholds_are_medians_of_the_positive_values():
    # many zeros: the threshold is the median of the positive values (5, 7, 9 -> 7), so the zeros are low and
    # only the customers above 7 are high -- not everyone with any value, as the plain median 0 would make it
    zeros = tiers.value_potential([0, 0, 0, 5, 7, 9], [1, 2, 3, 4, 5, 6])
    assert zeros.attrs["current_threshold"] == 7.0
    assert zeros["current_level"].tolist() == ["low", "low", "low", "low", "low", "high"]
    assert zeros.attrs["threshold_rule"] == {"current": "median of the positive values",
                                             "potential": "median of the positive values"}
    # no value tied at 0: the rule is the median
    vp = tiers.value_potential([1, 2, 3, 4], [4, 3, 2, 1])
    assert vp.attrs["current_threshold"] == 2.5
    assert vp["quadrant"].tolist() == ["iron", "iron", "gold", "gold"]
    # nobody has a current value: threshold 0, everyone low now; potential 1 and 3 -> threshold 2
    none = tiers.value_potential([0.0, 0.0, 0.0], [0.0, 1.0, 3.0])
    assert none.attrs["current_threshold"] == 0.0 and none.attrs["potential_threshold"] == 2.0
    assert none["quadrant"].tolist() == ["lead", "lead", "iron"]
    # a given threshold is used as given
    given = tiers.value_potential([0, 0, 5], [1, 2, 3], current_threshold=0)
    assert given["current_level"].tolist() == ["low", "low", "high"]
    assert given.attrs["threshold_rule"]["current"] == "given"


def test_value_potential_strategies_replaceable_and_errors():
    own = {q: q.upper() for q in ("platinum", "gold", "iron", "lead")}
    assert tiers.value_potential([1, 2], [1, 2], strategies=own)["strategy"].tolist() == ["LEAD", "PLATINUM"]
    with pytest.raises(ParameterError, match="missing: \\['iron', 'lead'\\]"):
        tiers.value_potential([1, 2], [1, 2], strategies={"platinum": "x", "gold": "y"})
    with pytest.raises(ParameterError, match="no value for customers \\['z'\\]"):
        tiers.value_potential(pd.Series([1.0, 2.0], index=["a", "z"]), pd.Series([1.0, 2.0], index=["a", "b"]))


def test_the_two_metal_classifications_are_told_apart_in_their_docstrings():
    for func, other in ((tiers.value_potential, "profitability_tiers"), (tiers.profitability_tiers, "value_potential")):
        doc = func.__doc__
        assert other in doc and "Zeithaml, Rust and Lemon" in doc
    assert "how much of the firm's" in tiers.value_potential.__doc__  # the reason for sharing the names
    assert "customer_profit" in tiers.pyramid.__doc__  # the pyramid's one ranking measure


# ---------------------------------------------------------------- migration


def test_migration_matrix_counts_and_shares():
    before = pd.Series(pd.Categorical(["VIP", "VIP", "minor", "minor", "minor"], categories=["VIP", "minor"]),
                       index=[1, 2, 3, 4, 5])
    after = pd.Series(["VIP", "minor", "VIP", "minor", "minor"], index=[1, 2, 3, 4, 9])
    counts = tiers.migration_matrix(before, after)
    # 1 VIP->VIP, 2 VIP->minor, 3 minor->VIP, 4 minor->minor, 5 minor->gone, 9 new->minor
    expected = pd.DataFrame([[1, 1, 0], [1, 1, 1], [0, 1, 0]], index=["VIP", "minor", "new"],
                            columns=["VIP", "minor", "gone"])
    assert counts.to_numpy().tolist() == expected.to_numpy().tolist()
    assert list(counts.index) == list(expected.index) and list(counts.columns) == list(expected.columns)
    shares = tiers.migration_matrix(before, after, normalize=True)
    assert shares.loc["minor"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    with pytest.raises(ParameterError, match="lists customers more than once: \\[1\\]"):
        tiers.migration_matrix(pd.Series(["a", "b"], index=[1, 1]), after)


# ---------------------------------------------------------------- service levels


def test_service_levels_hand_computation():
    econ = pd.DataFrame(
        {"customers": [10, 100], "revenue": [1000.0, 100.0], "cost_to_serve": [100.0, 20.0],
         "retention": [0.8, 0.5]},
        index=["VIP", "minor"],
    )
    out = tiers.service_levels(econ, margin_rate=0.3, discount_rate=0.1, cost_change={"VIP": 0.5},
                               retention_change={"VIP": 0.05}, spend_change={"minor": -0.1})
    # VIP: m = .3*1000 - 100 = 200 -> after .3*1000 - 150 = 150; V factor before 1.1/(1.1-.8) = 11/3,
    # after 1.1/(1.1-.85) = 4.4 -> value 10*200*11/3 = 7333.33 -> 10*150*4.4 = 6600
    assert out.loc["VIP", "margin_after"] == pytest.approx(150)
    assert out.loc["VIP", "value_before"] == pytest.approx(10 * 200 * 11 / 3)
    assert out.loc["VIP", "value_after"] == pytest.approx(6600)
    # minor: m = 30 - 20 = 10 -> .3*90 - 20 = 7; profit 1000 -> 700
    assert out.loc["minor", "profit_after"] == pytest.approx(700)
    assert out.loc["total", "profit_before"] == pytest.approx(2000 + 1000)
    with pytest.raises(ParameterError, match="out of \\[0, 1\\) for tiers \\['VIP'\\]"):
        tiers.service_levels(econ, margin_rate=0.3, retention_change={"VIP": 0.25})
    with pytest.raises(ParameterError, match="unknown tiers \\['gold'\\]"):
        tiers.service_levels(econ, margin_rate=0.3, cost_change={"gold": 0.1})
    with pytest.raises(ParameterError, match="missing: \\['retention'\\]"):
        tiers.service_levels(econ.drop(columns="retention"), margin_rate=0.3)


def test_inputs_are_not_changed():
    values = pd.Series([3.0, 1.0, 2.0], index=list("abc"))
    copy = values.copy()
    tiers.pyramid(values)
    tiers.pareto_table(values)
    tiers.value_potential(values, values)
    pd.testing.assert_series_equal(values, copy)


# ---------------------------------------------------------------- charts and explorers


def test_tier_charts_draw_on_the_given_axes():
    import matplotlib.pyplot as plt

    from crmlib import plot

    values = pd.Series([50.0, 20.0] + [3.75] * 8, index=[f"c{i}" for i in range(10)])
    fig, axes = plt.subplots(2, 3)
    ax = plot.pareto_chart({"revenue": tiers.pareto_curve(values)}, mark=0.2, ax=axes[0, 0])
    assert ax is axes[0, 0]
    # top 20% = 2 customers bring (50 + 20) / 100 = 70%
    assert any("top 20% bring 70% of revenue" in t.get_text() for t in ax.texts)
    table = tiers.tier_table(values, tiers.pyramid(values, shares=(0.1, 0.1, 0.8), labels=("A", "B", "C")))
    ax = plot.pyramid_chart(table, value_label="profit", ax=axes[0, 1])
    # A: 1 customer of 10 with 50 of 100
    assert any("A: 10% of customers (1)\nbring 50% of profit" == t.get_text() for t in ax.texts)
    vp = tiers.value_potential(values, values[::-1].to_numpy())
    assert plot.value_potential_chart(vp, ax=axes[0, 2]) is axes[0, 2]
    m = tiers.migration_matrix(pd.Series(["a", "b"], index=[1, 2]), pd.Series(["a"], index=[1]), normalize=True)
    assert plot.migration_heatmap(m, ax=axes[1, 0]) is axes[1, 0]
    assert plot.lorenz_chart(tiers.lorenz_curve(values), gini=0.5, ax=axes[1, 1]).get_title().endswith("(Gini = 0.50)")
    econ = pd.DataFrame({"customers": [1], "revenue": [10.0], "cost_to_serve": [1.0], "retention": [0.5]}, index=["A"])
    assert plot.service_levels_chart(tiers.service_levels(econ, margin_rate=0.5), ax=axes[1, 2]) is axes[1, 2]


def test_pyramid_explorer_redraws_when_a_share_moves():
    from crmlib.widgets import matrix_explorer, pyramid_explorer

    values = pd.Series(np.arange(100, 0, -1), index=range(100), dtype=float)
    w = pyramid_explorer(values, value_label="revenue")
    assert set(w.controls) == {"vip_share", "major_share", "common_share"}
    assert w.result.loc["VIP", "customers"] == 1
    image = w.image.value
    w.controls["vip_share"].value = 0.05
    # 5 customers now: values 100..96 sum 490 of 5050
    assert w.result.loc["VIP", "customers"] == 5
    assert w.result.loc["VIP", "share_of_value"] == pytest.approx(490 / 5050)
    assert w.image.value != image
    w.controls["common_share"].value = 0.5
    w.controls["major_share"].value = 0.5  # 0.05 + 0.5 + 0.5 > 1: message, old result kept
    assert "more than 100%" in w.message and w.result.loc["VIP", "customers"] == 5

    # current 100..1, potential 1..100, medians 50.5: gold = current > 50.5 (100..51) -> 50 customers
    m = matrix_explorer(values, values.to_numpy()[::-1])
    assert m.result.loc["gold", "customers"] == 50
    m.controls["current_threshold"].value = 90.0  # now current > 90: 100..91 -> 10 gold
    assert m.result.loc["gold", "customers"] == 10


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.integers(0, 30), st.sampled_from(["A", "B", "C"]), max_size=20),
       st.dictionaries(st.integers(0, 30), st.sampled_from(["A", "B", "C"]), max_size=20))
def test_migration_conserves_customers(before, after):
    b, a = pd.Series(before, dtype=object), pd.Series(after, dtype=object)
    if len(b) == 0 or len(a) == 0:
        return
    counts = tiers.migration_matrix(b, a)
    # every customer of the first period is in exactly one cell of its row; every customer of the second
    # period in exactly one cell of its column
    assert counts.drop(index="new").sum(axis=1).sum() == len(b)
    assert counts.drop(columns="gone").sum(axis=0).sum() == len(a)
    assert counts.loc["new", "gone"] == 0
    assert counts.to_numpy().sum() == len(set(before) | set(after))


def _png_dpi(png: bytes) -> float:
    png = bytes(png)
    at = png.index(b"pHYs") + 4  # pixels per metre, x then y (matplotlib writes its dpi there)
    return round(int.from_bytes(png[at : at + 4], "big") * 0.0254)


def test_matrix_explorer_sliders_are_labelled_span_the_useful_range_and_redraw_sharp():
    import ipywidgets
    import matplotlib as mpl

    from crmlib.widgets import matrix_explorer

    rng = np.random.default_rng(3)
    n = 2000
    # a real-shaped base: half bought nothing in the last year, the rest heavy-tailed
    current = pd.Series(np.where(rng.random(n) < 0.5, 0.0, rng.lognormal(2, 1.5, n)), index=range(n))
    potential = pd.Series(rng.lognormal(2.5, 1.5, n), index=range(n))
    m = matrix_explorer(current, potential)
    for name, unit in (("current_threshold", "money per year"), ("potential_threshold", "money")):
        slider = m.controls[name]
        assert "_" not in slider.description and f"({unit})" in slider.description, slider.description
        # the default rule's threshold sits well inside the range, not in its first pixels
        at = np.log10(slider.value) if isinstance(slider, ipywidgets.FloatLogSlider) else slider.value
        assert 0.1 <= (at - slider.min) / (slider.max - slider.min) <= 0.9, (name, slider.value, slider.max)
    dpi = mpl.rcParams["savefig.dpi"]
    assert _png_dpi(m.image.value) == (mpl.rcParams["figure.dpi"] if dpi == "figure" else dpi)


def test_pyramid_explorer_sliders_say_what_they_move():
    from crmlib.widgets import pyramid_explorer

    w = pyramid_explorer(pd.Series(np.arange(100, 0, -1), dtype=float))
    assert w.controls["vip_share"].description == "VIP tier (share of customers)"
    assert all("_" not in c.description for c in w.controls.values())
