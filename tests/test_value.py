"""Tests of crmlib.value on hand-made cases (the arithmetic is in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib import value
from crmlib.data import DataError
from crmlib.params import ParameterError

# ---------------------------------------------------------------------------------- perceived value


def test_perceived_value_difference_and_ratio():
    benefits = {"functional": 8, "emotional": 6, "social": 2}
    costs = {"price": 5, "time": 2, "effort": 1}
    # equal weights: 16 - 8 = 8 ; ratio 16 / 8 = 2
    assert value.perceived_value(benefits, costs) == 8
    assert value.perceived_value(benefits, costs, form="ratio") == 2
    # weights: 0.5*8 + 0.3*6 + 0.2*2 = 6.2 ; costs 1*5 + 0.5*2 + 0.5*1 = 6.5 ; 6.2 - 6.5 = -0.3
    got = value.perceived_value(
        benefits,
        costs,
        benefit_weights={"functional": 0.5, "emotional": 0.3, "social": 0.2},
        cost_weights={"price": 1, "time": 0.5, "effort": 0.5},
    )
    assert got == pytest.approx(-0.3)


def test_perceived_value_of_several_offers():
    b = pd.DataFrame({"functional": [8, 6], "emotional": [4, 7]}, index=["A", "B"])
    c = pd.DataFrame({"price": [6, 4]}, index=["A", "B"])
    out = value.perceived_value(b, c)
    assert out.to_dict() == {"A": 6.0, "B": 9.0}  # 12 - 6 ; 13 - 4
    ratio = value.perceived_value(b, c, form="ratio")
    assert ratio["B"] == pytest.approx(13 / 4)


def test_perceived_value_errors():
    with pytest.raises(
        ParameterError, match=r"'benefit_weights' parameter of perceived_value has no weight for \['emotional'\]"
    ):
        value.perceived_value({"functional": 1, "emotional": 2}, {"price": 1}, benefit_weights={"functional": 1})
    with pytest.raises(
        ParameterError, match=r"'cost_weights' parameter of perceived_value must hold weights >= 0; \{'price': -1.0\}"
    ):
        value.perceived_value({"functional": 1}, {"price": 1}, cost_weights={"price": -1})
    with pytest.raises(ParameterError, match=r"form='ratio' needs a positive total of weighted costs"):
        value.perceived_value({"functional": 1}, {"price": 0}, form="ratio")
    with pytest.raises(
        ParameterError, match=r"'benefits' parameter of perceived_value must map items to numbers; \['emotional'\]"
    ):
        value.perceived_value({"functional": 1, "emotional": "high"}, {"price": 1})
    with pytest.raises(
        ParameterError, match=r"'form' parameter of perceived_value must be one of 'difference', 'ratio'"
    ):
        value.perceived_value({"functional": 1}, {"price": 1}, form="sum")
    with pytest.raises(DataError, match=r"the benefits table has missing or non-numeric scores in rows \['B'\]"):
        value.perceived_value(
            pd.DataFrame({"f": [1, None]}, index=["A", "B"]), pd.DataFrame({"p": [1, 1]}, index=["A", "B"])
        )


# -------------------------------------------------------------------------------- Ravald-Grönroos


def test_total_episode_value_by_hand():
    # (6 + 2) / (4 + 1) = 1.6
    assert value.total_episode_value(6, 2, 4, 1) == pytest.approx(1.6)
    # Removing a relationship sacrifice of 1 raises value as much as adding a benefit of 1.6 here:
    # (6 + 0) / (4 + 0) = 1.5 ; (6 + 1.6) / (4 + 1) = 1.52 ; (6 + 1.5)/(4 + 1) = 1.5
    assert value.total_episode_value(6, 0, 4, 0) == pytest.approx(value.total_episode_value(6, 1.5, 4, 1))
    arr = value.total_episode_value(6, np.array([0, 2]), 4, 1)
    assert arr.tolist() == pytest.approx([1.2, 1.6])


def test_total_episode_value_errors():
    with pytest.raises(
        ParameterError,
        match=r"'episode_benefits' parameter of total_episode_value must be a number in \[0, inf\)\. Got -1",
    ):
        value.total_episode_value(-1, 0, 1, 1)
    with pytest.raises(ParameterError, match=r"needs episode_sacrifices \+ relationship_sacrifices above 0"):
        value.total_episode_value(1, 1, 0, 0)
    with pytest.raises(
        ParameterError,
        match=r"'relationship_benefits' parameter of total_episode_value must hold numbers >= 0. Got \[-2.0\]",
    ):
        value.total_episode_value(1, np.array([1, -2]), 1, 1)


def test_episode_value_grid_cells_and_directions():
    grid = value.episode_value_grid(6, 4, relationship_benefits=[0, 1, 2], relationship_sacrifices=[0, 1, 2])
    assert grid.shape == (3, 3)
    assert grid.loc[1.0, 2.0] == pytest.approx(8 / 5)  # (6 + 2) / (4 + 1)
    # value rises along benefits and falls along sacrifices
    assert (np.diff(grid.to_numpy(), axis=1) > 0).all()
    assert (np.diff(grid.to_numpy(), axis=0) < 0).all()


# --------------------------------------------------------------------------------------- Woodruff


def _chain():
    return pd.DataFrame(
        {
            "source": ["speed", "price", "speed", "fast pages", "cheap", "fast pages"],
            "target": ["fast pages", "fast pages", "cheap", "productive", "save money", "save money"],
            "weight": [3.0, 1.0, 0.0, 2.0, 1.0, 1.0],
        }
    )


def test_hierarchy_levels_and_values_by_hand():
    links = _chain()
    # "cheap" only fed by "speed" with weight 0: add price -> cheap
    links = pd.concat(
        [links, pd.DataFrame({"source": ["price"], "target": ["cheap"], "weight": [2.0]})], ignore_index=True
    )
    levels = value.hierarchy_levels(links)
    assert levels.to_dict() == {
        "speed": "attribute",
        "price": "attribute",
        "fast pages": "consequence",
        "cheap": "consequence",
        "productive": "goal",
        "save money": "goal",
    }
    h = value.hierarchy_value(links, {"speed": 8, "price": 4}).set_index("node")["value"]
    # fast pages = (3*8 + 1*4) / 4 = 7 ; cheap = (0*8 + 2*4) / 2 = 4
    assert h["fast pages"] == 7 and h["cheap"] == 4
    # productive = 7 ; save money = (1*4 + 1*7) / 2 = 5.5
    assert h["productive"] == 7 and h["save money"] == 5.5
    # overall weighs goals by incoming weight: productive 2, save money 2 -> (2*7 + 2*5.5) / 4 = 6.25
    assert h["overall"] == 6.25
    h2 = value.hierarchy_value(
        links, {"speed": 8, "price": 4}, goal_weights={"productive": 3, "save money": 1}
    ).set_index("node")["value"]
    assert h2["overall"] == pytest.approx((3 * 7 + 5.5) / 4)


def test_use_situation_changes_the_hierarchy():
    links = value.INTERNET_SERVICE_LINKS
    perf = {
        "download speed": 9,
        "uptime guarantee": 5,
        "upload speed": 4,
        "business-hours support": 3,
        "monthly price": 8,
    }
    work = value.hierarchy_value(links, perf, situation="work").set_index("node")["value"]
    home = value.hierarchy_value(links, perf, situation="home").set_index("node")["value"]
    # same attribute scores, different goals and different overall value
    assert set(work.index) != set(home.index)
    # at home the cheap, fast service is valued higher than at work, where uptime/support matter
    assert home["overall"] > work["overall"]
    # hand check of one consequence at work: video calls = (4*5 + 2*4) / 6
    assert work["video calls never drop"] == pytest.approx(28 / 6)
    with pytest.raises(
        ParameterError,
        match=r"'situation' parameter of hierarchy_value must name the use situation: "
        r"the links describe \['work', 'home'\]",
    ):
        value.hierarchy_value(links, perf)
    with pytest.raises(
        ParameterError, match=r"'situation' parameter of hierarchy_value must be one of 'work', 'home'. Got 'car'"
    ):
        value.hierarchy_value(links, perf, situation="car")


def test_hierarchy_errors():
    links = _chain()
    with pytest.raises(ParameterError, match=r"has no score for the attributes \['price'\]"):
        value.hierarchy_value(links, {"speed": 8})
    bad = pd.concat(
        [links, pd.DataFrame({"source": ["speed"], "target": ["productive"], "weight": [1.0]})], ignore_index=True
    )
    with pytest.raises(
        DataError, match=r"the link 'speed' -> 'productive' skips or reverses a level \(attribute -> goal\)"
    ):
        value.hierarchy_levels(bad)
    with pytest.raises(DataError, match=r"the links table lacks the columns \['weight'\]"):
        value.hierarchy_value(links.drop(columns="weight"), {"speed": 1, "price": 1})
    with pytest.raises(DataError, match=r"the 'weight' column must hold numbers >= 0; rows \[0\]"):
        value.hierarchy_value(links.assign(weight=[-1.0, 1, 1, 1, 1, 1]), {"speed": 1, "price": 1})


def test_value_gap_points_to_the_failing_goal():
    links = value.INTERNET_SERVICE_LINKS
    desired = {
        "download speed": 8,
        "uptime guarantee": 9,
        "upload speed": 7,
        "business-hours support": 8,
        "monthly price": 6,
    }
    received = dict(desired, **{"uptime guarantee": 5})  # only uptime falls short, by 4
    gap = value.value_gap(links, desired, received, situation="work").set_index("node")
    assert gap.loc["uptime guarantee", "gap"] == -4
    # video calls = (4*uptime + 2*upload)/6 -> gap 4*(-4)/6
    assert gap.loc["video calls never drop", "gap"] == pytest.approx(-16 / 6)
    assert gap.loc["look professional to clients", "gap"] == pytest.approx(-16 / 6)
    assert gap.loc["run a sound business", "gap"] == 0  # fed by price only
    assert gap.loc["download speed", "gap"] == 0


# --------------------------------------------------------------------------- Zeithaml and relative


def test_value_by_definition_changes_the_winner():
    offers = pd.DataFrame(
        {
            "price": [10, 20, 15],
            "quality": [5, 12, 6],
            "fit": [6, 8, 9],
            "benefits": [7, 12, 9],
            "sacrifices": [5, 10, 9],
        },
        index=["basic", "premium", "tailored"],
    )
    out = value.value_by_definition(offers)
    # low price -> basic ; what I want -> tailored (fit 9) ; quality/price: 0.5, 0.6, 0.4 -> premium ;
    # get/give: 1.4, 1.2, 1.0 -> basic
    assert out["rank_low_price"].idxmin() == "basic"
    assert out["rank_what_i_want"].idxmin() == "tailored"
    assert out["rank_quality_for_price"].idxmin() == "premium"
    assert out.loc["basic", "get_for_give"] == pytest.approx(1.4)
    with pytest.raises(DataError, match=r"the 'price' column must be above 0 \(it divides\); rows \['basic'\]"):
        value.value_by_definition(offers.assign(price=[0, 20, 15]))
    with pytest.raises(DataError, match=r"the offers table lacks the columns \['fit'\]"):
        value.value_by_definition(offers.drop(columns="fit"))


def test_relative_value_positions():
    offers = pd.DataFrame(
        {"quality": [8, 6, 9, 5], "price": [100, 100, 140, 100]}, index=["us", "rival", "luxury", "cheap"]
    )
    out = value.relative_value(offers, "rival")
    # us 8/6 / 1 = 1.333 ; luxury 1.5/1.4 = 1.071 ; cheap 5/6 = 0.833
    assert out.loc["luxury", "value_ratio"] == pytest.approx(1.5 / 1.4)
    assert out["position"].to_dict() == {
        "us": "better value",
        "rival": "fair value",
        "luxury": "better value",
        "cheap": "worse value",
    }
    assert value.relative_value(offers, "rival", tolerance=0.1).loc["luxury", "position"] == "fair value"
    with pytest.raises(ParameterError, match=r"'reference' parameter of relative_value must be one of the offers"):
        value.relative_value(offers, "market")


# --------------------------------------------------------------------------------------- layers


def test_layer_criteria_move_up_the_hierarchy():
    table = value.layer_criteria()
    assert list(table.index) == ["first-time", "short-term", "long-term", "lapsed"]
    assert table.loc["first-time", "main_level"] == "attribute"
    assert table.loc["long-term", "main_level"] == "goal"
    # goals weigh more and attributes less as the relationship matures
    assert table.loc["first-time", "goal"] < table.loc["short-term", "goal"] < table.loc["long-term", "goal"]
    assert (
        table.loc["first-time", "attribute"]
        > table.loc["short-term", "attribute"]
        > table.loc["long-term", "attribute"]
    )
    bad = value.LAYER_WEIGHTS.copy()
    bad.loc["lapsed", "goal"] = 0.9
    with pytest.raises(
        DataError, match=r"weights must be numbers >= 0 adding up to 1; the rows \['lapsed'\] do not \(sums \[1.7\]\)"
    ):
        value.layer_criteria(bad)


def test_value_by_layer_by_hand():
    h = pd.DataFrame(
        {
            "level": ["attribute", "attribute", "consequence", "goal"],
            "node": list("abcg"),
            "value": [9.0, 7.0, 6.0, 4.0],
        }
    )
    out = value.value_by_layer(h)
    # attribute mean 8 ; first-time 0.6*8 + 0.3*6 + 0.1*4 = 7.0 ; long-term 0.15*8 + 0.35*6 + 0.5*4 = 5.3
    assert out["first-time"] == pytest.approx(7.0)
    assert out["long-term"] == pytest.approx(5.3)
    with pytest.raises(DataError, match=r"no rows for the levels \['goal'\]"):
        value.value_by_layer(h[h["level"] != "goal"])


# ---------------------------------------------------------------------------------- charts, widget


def test_value_charts_return_their_axes():
    import matplotlib.pyplot as plt

    import crmlib.plot as cplot

    _, axes = plt.subplots(2, 4)
    perf = {
        "download speed": 9,
        "uptime guarantee": 5,
        "upload speed": 4,
        "business-hours support": 3,
        "monthly price": 8,
    }
    ax = cplot.value_hierarchy_chart(value.INTERNET_SERVICE_LINKS, situation="work", performance=perf, ax=axes[0, 0])
    assert ax is axes[0, 0] and "work" in ax.get_title()
    grid = value.episode_value_grid(6, 4)
    assert cplot.episode_value_heatmap(grid, ax=axes[0, 1], marker=(2, 1)) is axes[0, 1]
    assert cplot.episode_value_lines(grid, ax=axes[0, 2]) is axes[0, 2]
    assert (
        cplot.value_distribution(pd.Series([0.0, 1.0, 10.0, 100.0], name="revenue"), log=True, ax=axes[0, 3])
        is axes[0, 3]
    )
    comp = pd.DataFrame(
        {"historical_value": [1.0, 2.0], "current_value": [3.0, 0.0], "potential_value": [1.0, 0.0]}, index=["a", "b"]
    )
    assert cplot.value_components_chart(comp, by=pd.Series({"a": "x", "b": "y"}), ax=axes[1, 0]) is axes[1, 0]
    offers = pd.DataFrame({"quality": [8, 6], "price": [100, 100]}, index=["us", "rival"])
    assert cplot.value_map_chart(value.relative_value(offers, "rival"), ax=axes[1, 1], highlight="us") is axes[1, 1]
    assert cplot.layer_criteria_chart(value.layer_criteria(), ax=axes[1, 2]) is axes[1, 2]


def test_episode_value_calculator_updates_when_a_slider_moves():
    from crmlib.widgets import episode_value_calculator

    w = episode_value_calculator(6, 2, 4, 1)
    assert "1.60" in w.result.value  # (6 + 2) / (4 + 1)
    png = w.chart.value
    w.controls["relationship_sacrifices"].value = 4.0
    assert "1.00" in w.result.value and "as much as" in w.result.value  # (6 + 2) / (4 + 4)
    assert w.chart.value != png
    w.controls["episode_sacrifices"].value = 0.0
    w.controls["relationship_sacrifices"].value = 0.0
    assert "undefined" in w.result.value


# ---------------------------------------------------------------------------------- positioning


def test_positioning_finds_the_offer_its_rival_and_the_points_of_difference_and_parity():
    benefits = pd.DataFrame({"functional": [8, 5, 2], "social": [4, 4, 1]}, index=["A", "B", "C"])
    costs = pd.DataFrame({"price": [6, 4, 9], "time": [2, 2, 9]}, index=["A", "B", "C"])
    before = benefits.copy(), costs.copy()
    segments = {
        # values: A 0.5*8 + 0.5*4 - (0.5*6 + 0.5*2) = 2 ; B 4.5 - 3 = 1.5 ; C 1.5 - 9 = -7.5
        "g": ({"functional": 0.5, "social": 0.5}, {"price": 0.5, "time": 0.5}),
        # values: A 4 - 6 = -2 ; B 4 - 4 = 0 ; C 1 - 9 = -8
        "h": ({"functional": 0.0, "social": 1.0}, {"price": 1.0, "time": 0.0}),
    }
    out = value.positioning(benefits, costs, segments, parity=0.25)
    assert out.index.name == "target group" and list(out.index) == ["g", "h"]
    assert out.loc["g", ["offer", "against"]].tolist() == ["A", "B"]
    assert out.loc["g", "value lead"] == pytest.approx(0.5)
    # A against B for g: functional 0.5*(8-5) = 1.5, social 0, price -0.5*(6-4) = -1, time 0
    assert out.loc["g", ["resonating focus", "points of parity", "weaker on"]].tolist() == [
        "functional", "social, time", "price"]
    # B against A for h: functional 0*(5-8) = 0, social 0, price -1*(4-6) = 2, time 0
    assert out.loc["h", ["offer", "against", "value lead"]].tolist() == ["B", "A", 2.0]
    assert out.loc["h", ["resonating focus", "points of parity", "weaker on"]].tolist() == [
        "price", "functional, social, time", "none"]
    # a wider parity band turns g's price disadvantage into a point of parity
    wide = value.positioning(benefits, costs, segments, parity=1.2)
    assert wide.loc["g", ["resonating focus", "weaker on"]].tolist() == ["functional", "none"]
    pd.testing.assert_frame_equal(benefits, before[0])
    pd.testing.assert_frame_equal(costs, before[1])


def test_positioning_keeps_the_largest_advantages_as_the_focus():
    benefits = pd.DataFrame({"speed": [9, 5], "service": [8, 5], "design": [7, 5]}, index=["A", "B"])
    costs = pd.DataFrame({"price": [5, 5]}, index=["A", "B"])
    segments = {"all": ({"speed": 1, "service": 1, "design": 1}, {"price": 1})}
    assert value.positioning(benefits, costs, segments).loc["all", "resonating focus"] == "speed, service"
    assert value.positioning(benefits, costs, segments, focus=1).loc["all", "resonating focus"] == "speed"


def test_positioning_errors_name_the_argument():
    benefits = pd.DataFrame({"functional": [8, 5]}, index=["A", "B"])
    costs = pd.DataFrame({"price": [6, 4]}, index=["A", "B"])
    segments = {"g": ({"functional": 1}, {"price": 1})}
    with pytest.raises(ParameterError, match="'benefits' parameter of positioning .* at least two offers"):
        value.positioning(benefits.head(1), costs.head(1), segments)
    with pytest.raises(DataError, match="positioning: the benefits and costs tables must list the same offers"):
        value.positioning(benefits, costs.rename(index={"B": "C"}), segments)
    with pytest.raises(ParameterError, match="'parity' parameter of positioning"):
        value.positioning(benefits, costs, segments, parity=-1)
    with pytest.raises(ParameterError, match="'segments' parameter of positioning"):
        value.positioning(benefits, costs, {"g": {"functional": 1}})
