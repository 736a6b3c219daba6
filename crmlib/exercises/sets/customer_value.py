"""Exercises 01: customer value, for the customer and of the customer (answer keys)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib import clv, datasets, value
from crmlib.exercises.model import ExerciseSet, Key, markdown_table
from crmlib.exercises.sets._data import split_purchases

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

OFFERS = ["basic", "plus", "premium"]
WEIGHTS_B = {"functional": 0.5, "emotional": 0.3, "social": 0.2}
WEIGHTS_C = {"price": 0.4, "time": 0.2, "effort": 0.2, "risk": 0.2}


def given(seed: int) -> dict:
    """Scores of three offers for one customer, Ravald and Grönroos's episode, a Zeithaml table, a log of 300."""
    rng = np.random.default_rng(seed)
    benefits = pd.DataFrame(rng.uniform(3, 10, size=(3, 3)).round(1), index=OFFERS,
                            columns=["functional", "emotional", "social"])
    costs = pd.DataFrame(rng.uniform(1, 8, size=(3, 4)).round(1), index=OFFERS,
                         columns=["price", "time", "effort", "risk"])
    episode = {name: round(float(rng.uniform(lo, hi)), 1) for name, lo, hi in [
        ("episode_benefits", 4, 9), ("relationship_benefits", 1, 4), ("episode_sacrifices", 2, 6),
        ("relationship_sacrifices", 0.5, 3)]}
    zeithaml = pd.DataFrame({
        "price": rng.uniform(20, 60, size=3).round(0),
        "quality": rng.uniform(4, 10, size=3).round(1),
        "fit": rng.uniform(4, 10, size=3).round(1),
        "benefits": rng.uniform(10, 25, size=3).round(1),
        "sacrifices": rng.uniform(8, 18, size=3).round(1),
    }, index=OFFERS)
    tx = split_purchases(datasets.make_retail(n_customers=300, seed=seed).transactions, seed)
    end = tx["date"].max()
    recent = np.sort(tx.loc[tx["date"] > end - pd.Timedelta(days=365), "customer_id"].unique())
    customer_x = str(rng.choice(recent))
    attributes = ["download speed", "uptime guarantee", "upload speed", "business-hours support", "monthly price"]
    performance = dict(zip(attributes, rng.integers(2, 11, size=5).tolist()))
    return {"offers": list(OFFERS), "benefits": benefits, "costs": costs, "weights_b": dict(WEIGHTS_B),
            "weights_c": dict(WEIGHTS_C), **episode, "zeithaml": zeithaml, "tx": tx, "margin_rate": 0.30,
            "discount_rate": 0.10, "horizon_years": 3, "customer_x": customer_x, "performance": performance}


SET = ExerciseSet("01_customer_value", "Customer value", given)


def _by_offer(benefits: pd.DataFrame, costs: pd.DataFrame, **weights: Any) -> pd.Series:
    """:func:`crmlib.value.perceived_value` of several offers: one value per offer."""
    return pd.Series(value.perceived_value(benefits, costs, **weights))


@SET.number("q1", variable="value_plus", points=2)
def q1(benefits, costs, weights_b, weights_c):
    diff = _by_offer(benefits, costs, benefit_weights=weights_b, cost_weights=weights_c)
    ratio = _by_offer(benefits, costs, benefit_weights=weights_b, cost_weights=weights_c, form="ratio")
    unweighted = _by_offer(benefits, costs)
    price_only = _by_offer(benefits, costs[["price"]], benefit_weights=weights_b, cost_weights={"price": 0.4})
    return Key(diff["plus"], explain="Above 0 the customer gets more than they give, below 0 less, in their own "
                                     "judgement.", mistakes={
        "That is the ratio (equation 2); the question asks for the difference.": ratio["plus"],
        "You did not weight the scores: multiply each by its importance weight.": unweighted["plus"],
        "You counted only the price as a sacrifice; time, effort and risk are sacrifices too.": price_only["plus"]})


@SET.choice("q2", variable="best_by_ratio", choices=OFFERS)
def q2(benefits, costs, weights_b, weights_c):
    ratio = _by_offer(benefits, costs, benefit_weights=weights_b, cost_weights=weights_c, form="ratio")
    diff = _by_offer(benefits, costs, benefit_weights=weights_b, cost_weights=weights_c)
    hints = {}
    if costs["price"].idxmin() != ratio.idxmax():
        hints[costs["price"].idxmin()] = "That is the cheapest offer; value weighs all benefits against all sacrifices."
    if diff.idxmax() != ratio.idxmax():
        hints[diff.idxmax()] = "That offer is best by the difference (equation 1); by the ratio another one wins."
    return Key(ratio.idxmax(), hints, explain="The best value is not necessarily the cheapest offer.")


@SET.number("q3", variable="gain_from_removing", points=2)
def q3(episode_benefits, relationship_benefits, episode_sacrifices, relationship_sacrifices):
    before = value.total_episode_value(episode_benefits, relationship_benefits, episode_sacrifices,
                                       relationship_sacrifices)
    after = value.total_episode_value(episode_benefits, relationship_benefits, episode_sacrifices, 0)
    return Key(after - before, explain="Sacrifices sit in the denominator: removing them can be worth more than "
                                       "adding a benefit.", mistakes={
        "That is the new total episode value; the question asks for the rise (new minus old).": after,
        "You dropped the relationship benefits too; only the relationship sacrifices go to 0.":
            value.total_episode_value(episode_benefits, 0, episode_sacrifices, 0) - before,
        "You subtracted the sacrifices instead of dividing by them: equation 3 is a ratio.": relationship_sacrifices})


@SET.choice("q4", variable="best_for_quality_price", choices=OFFERS)
def q4(zeithaml):
    scores = value.value_by_definition(zeithaml)
    best = scores["rank_quality_for_price"].idxmin()
    hints: dict = {}
    for col, why in [("low_price", "That is the best by 'value is low price'."),
                     ("get_for_give", "That is the best by 'what I get for what I give' (benefits over sacrifices).")]:
        other = scores[col].idxmax()
        if other != best:
            hints.setdefault(other, why)
    if zeithaml["quality"].idxmax() != best:
        hints.setdefault(zeithaml["quality"].idxmax(),
                         "That is the highest quality, whatever the price; divide quality by price.")
    return Key(best, hints, explain="Each of Zeithaml's definitions can pick a different best offer.")


@SET.number("q5", variable="repeat_rate", points=2)
def q5(tx):
    days = tx.assign(day=tx["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    rows = tx.groupby("customer_id").size()
    return Key(clv.customer_value_measures(tx)["repeat"].mean(),
               explain="The rest bought once and never came back: the first repeat is the hurdle.", mistakes={
        "You counted transactions (rows); two purchases on the same day are one purchase occasion.": (rows >= 2).mean(),
        "That is the share of purchase days that are repeat purchases; the question asks for a share of customers.":
            (days.sum() - len(days)) / days.sum(),
        "You counted the first purchase as a repeat: a repeat buyer has at least two purchase days.":
            (days >= 1).mean()})


@SET.number("q6", variable="current_x", points=2)
def q6(tx, margin_rate, discount_rate, horizon_years, customer_x):
    comp = clv.value_components(tx, margin_rate=margin_rate, discount_rate=discount_rate, horizon_years=horizon_years)
    a = comp.loc[customer_x, "run_rate"]
    right = comp.loc[customer_x, "current_value"]
    return Key(right, explain="Today's behaviour, continued and discounted: it says what the customer is worth now.",
               mistakes={
        "You did not discount: each year's margin is worth a / (1 + i)^t today.": a * horizon_years,
        "You received the first margin now (t = 0 to H - 1); in the chapter it comes at the end of year 1.":
            clv.npv([a] * horizon_years, discount_rate, when="begin"),
        "You used revenue instead of margin: multiply by margin_rate.": right / margin_rate,
        "That is the historical value (margin so far), not the current value.":
            comp.loc[customer_x, "historical_value"]})


@SET.number("q7", variable="goal_value", points=2)
def q7(performance):
    links = value.INTERNET_SERVICE_LINKS
    h = value.hierarchy_value(links, performance, situation="home").set_index("node")["value"]
    home = links[links["situation"] == "home"]
    into = home[home["target"] == "relax with the family"]
    return Key(h["relax with the family"], explain="The same attribute scores give other values in another use "
                                                   "situation (work).", mistakes={
        "You took a plain mean of the consequences; weight each by its link weight.": h[into["source"]].mean(),
        "You summed weight times value without dividing by the total weight: equation 4 is a weighted mean.":
            (into["weight"].to_numpy() * h[into["source"]].to_numpy()).sum(),
        "That is the overall value of the service at home, not the value of this goal.": h["overall"]})


@SET.text("q8", points=3, rubric="Recommends one offer with the value tables (difference and ratio), not price "
          "alone; names the sacrifice with the largest weighted cost for that offer and a concrete way to lower it "
          "(time, effort or risk, not only price); says which customer definition of value the recommendation assumes.")
def q8(benefits, costs, weights_b, weights_c):
    diff = value.perceived_value(benefits, costs, benefit_weights=weights_b, cost_weights=weights_c)
    ratio = value.perceived_value(benefits, costs, benefit_weights=weights_b, cost_weights=weights_c, form="ratio")
    weighted = costs * pd.Series(weights_c)
    table = weighted.add_prefix("weighted ").assign(difference=diff, ratio=ratio)
    return Key(context=markdown_table(table))


@SET.text("q9", points=3, rubric="Compares customer_x's historical and current value with the base (median or "
          "quartiles); decides whether a personal contact is worth its cost and says what it should aim at (keep the "
          "pace, win back, or leave to low-cost channels); mentions that current value assumes today's pace continues.")
def q9(tx, margin_rate, discount_rate, horizon_years, customer_x):
    comp = clv.value_components(tx, margin_rate=margin_rate, discount_rate=discount_rate, horizon_years=horizon_years)
    cols = ["historical_value", "run_rate", "current_value"]
    table = pd.concat([comp.loc[[customer_x], cols], comp[cols].median().rename("median customer").to_frame().T])
    return Key(context=markdown_table(table))
