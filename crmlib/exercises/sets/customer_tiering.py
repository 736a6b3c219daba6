"""Exercises 06: customer tiering, profit, concentration, the pyramid and the value-potential matrix (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import datasets, lifecycle, tiers
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

STRATEGIES = ["end the relationship", "invest until trust forms", "keep them at all costs",
              "main resources and one-to-one retention"]


def given(seed: int) -> dict:
    """A log of 300 customers with acquisition costs, revenue and profit per customer, current and potential value."""
    retail = datasets.make_retail(n_customers=300, seed=seed)
    tx = retail.transactions
    acquisition_cost = retail.customers.set_index("customer_id")["acquisition_cost"]
    margin_rate, cost_per_order = 0.35, 2.0
    revenue = tx.groupby("customer_id")["amount"].sum()
    orders = tx.assign(day=tx["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    profit = margin_rate * revenue - cost_per_order * orders - acquisition_cost.reindex(revenue.index)
    end = tx["date"].max()
    last_year = tx[tx["date"] > end - pd.Timedelta(days=365)].groupby("customer_id")["amount"].sum()
    current = (margin_rate * last_year).reindex(revenue.index, fill_value=0.0)
    potential = lifecycle.customer_values(tx, margin_rate=margin_rate, retention=0.6, discount_rate=0.10)["potential"]
    return {"tx": tx, "acquisition_cost": acquisition_cost, "margin_rate": margin_rate,
            "cost_per_order": cost_per_order, "revenue": revenue, "orders": orders, "profit": profit,
            "frequent_buyer": orders.idxmax(), "current": current, "potential": potential}


SET = ExerciseSet("06_customer_tiering", "Customer tiering", given)


@SET.number("q1", variable="total_profit", points=2)
def q1(tx, acquisition_cost, margin_rate, cost_per_order):
    revenue = tx.groupby("customer_id")["amount"].sum()
    orders = tx.assign(day=tx["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    rows = tx.groupby("customer_id").size()
    acq = acquisition_cost.reindex(revenue.index)
    return Key((margin_rate * revenue - cost_per_order * orders - acq).sum(),
               explain="Profit is what is left of the margin after serving and acquiring the customers.", mistakes={
        "You used revenue instead of margin: multiply each customer's revenue by margin_rate first.":
            (revenue - cost_per_order * orders - acq).sum(),
        "You left out the acquisition cost A_i of each customer.":
            (margin_rate * revenue - cost_per_order * orders).sum(),
        "You counted transactions (rows) as orders: several purchases of one customer on one day are one order.":
            (margin_rate * revenue - cost_per_order * rows - acq).sum(),
        "You left out the cost to serve (cost_per_order times the number of orders).":
            (margin_rate * revenue - acq).sum()})


@SET.number("q2", variable="share_losing")
def q2(profit, revenue, orders, margin_rate, cost_per_order):
    before_acq = margin_rate * revenue - cost_per_order * orders
    return Key((profit < 0).mean(), explain="These customers cost more to win and serve than their margin brings.",
               mistakes={
        "You counted customers whose profit before acquisition cost is negative; profit includes A_i.":
            (before_acq < 0).mean(),
        "That is the share of customers who make money; the question asks for those who lose it.":
            (profit >= 0).mean()})


@SET.number("q3", variable="gini_revenue", points=2)
def q3(revenue, profit, tx):
    return Key(tiers.gini(revenue), explain="Compare it with the Gini of profit, tiers.gini(profit).", mistakes={
        "You used the amounts of single transactions; the Gini here is across customers: add up each customer's "
        "revenue first.": tiers.gini(tx["amount"]),
        "That is the Gini of profit, not of revenue.": tiers.gini(profit),
        "You computed 1 - G (the area-based share of equality), not G.": 1 - tiers.gini(revenue)})


@SET.number("q4", variable="top20_share", points=2)
def q4(revenue, profit, tx):
    amounts = np.sort(tx["amount"].to_numpy())[::-1]
    top_tx = amounts[: int(np.ceil(0.2 * len(amounts)))].sum() / amounts.sum()
    right = tiers.pareto_table(revenue, cut_points=[0.2])["share_of_value"].iloc[0]
    return Key(right, explain="Far from 80% or close? The 80/20 rule is a rule of thumb: always measure it.", mistakes={
        "That is the share of the bottom 80% of customers; rank the customers highest first.": 1 - right,
        "That is the top 20% of transactions; rank customers by their total revenue.": top_tx,
        "That is the top 20% of customers' share of profit, not of revenue.":
            tiers.pareto_table(profit, cut_points=[0.2])["share_of_value"].iloc[0]})


@SET.choice("q5", variable="frequent_tier", choices=tiers.PYRAMID_LABELS, points=2)
def q5(profit, revenue, frequent_buyer):
    tier = tiers.pyramid(profit)[frequent_buyer]
    by_revenue = tiers.pyramid(revenue)[frequent_buyer]
    hints = {"VIP": "Only the top 1% of customers by profit are VIP: rank by profit, not by orders."}
    if by_revenue != tier:
        hints[by_revenue] = "That is the tier by revenue; the pyramid here ranks profit (costs and acquisition count)."
    hints.pop(tier, None)
    return Key(str(tier), hints, explain="Buying often is not the same as being profitable: every order also costs "
                                         "money to serve.")


@SET.number("q6", variable="iron_share", points=2)
def q6(current, potential):
    vp = tiers.value_potential(current, potential)
    c_high = current >= current.median()
    p_high = potential.reindex(current.index) >= potential.median()
    c_mean = current > current.mean()
    p_mean = potential.reindex(current.index) > potential.mean()
    return Key((vp["quadrant"] == "iron").mean(), explain="Iron customers are worth building; the question for a "
                                                          "manager is how much to invest in them.", mistakes={
        "You counted a value equal to the median as high; 'high' is strictly above the threshold (many customers have "
        "a current value of exactly 0).": (~c_high & p_high).mean(),
        "You used the means as thresholds; the question asks for the medians.": (~c_mean & p_mean).mean(),
        "You swapped the axes: that is high current value with low potential (gold).":
            (vp["quadrant"] == "gold").mean()})


@SET.choice("q7", variable="iron_strategy", choices=STRATEGIES)
def q7():
    return Key("invest until trust forms", {
        "end the relationship": "That is for lead customers (low now and low potential); iron has high potential.",
        "keep them at all costs": "That is for gold customers, who are valuable already and have little room to grow.",
        "main resources and one-to-one retention": "That is for platinum customers, high now and high potential."},
        explain=tiers.QUADRANT_STRATEGIES["iron"])


@SET.text("q8", points=3, rubric="Reads the pyramid by profit (customers, revenue and profit per tier); names the tier "
          "or group to stop serving or to serve at lower cost and argues with its share of customers and of profit; "
          "names a lower-cost channel or a price/fee change rather than just dropping customers; notes one risk "
          "(e.g. a minor customer with potential).")
def q8(profit, revenue):
    tier = tiers.pyramid(profit)
    table = pd.DataFrame({"customers": tier.value_counts(), "revenue": revenue.groupby(tier).sum(),
                          "profit": profit.groupby(tier).sum(), "losing customers": (profit < 0).groupby(tier).sum()})
    return Key(context=markdown_table(table.reindex(tiers.PYRAMID_LABELS)))


@SET.text("q9", points=3, rubric="Uses the number of iron customers and their mean current and potential value to "
          "size an investment per customer (below the gap between potential and current value); proposes concrete "
          "actions that build trust; says how success would be measured (movement to platinum).")
def q9(current, potential):
    vp = tiers.value_potential(current, potential)
    table = vp.groupby("quadrant")[["current", "potential"]].mean().assign(customers=vp["quadrant"].value_counts())
    return Key(context=markdown_table(table))
