"""Exercises 06: customer tiering, profit, concentration, the pyramid and the value-potential matrix (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import clv, datasets, tiers
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

STRATEGIES = ["end the relationship", "invest until trust forms", "keep them at all costs",
              "main resources and one-to-one retention"]


def given(seed: int) -> dict:
    """A log of 300 customers with their margin rates, service and acquisition costs, profit and values."""
    retail = datasets.make_retail(n_customers=300, seed=seed)
    tx = retail.transactions
    customers = retail.customers.set_index("customer_id")
    revenue = tx.groupby("customer_id")["amount"].sum()
    customers = customers.reindex(revenue.index)
    cost_per_contact = float(retail.params["economics"]["cost_per_contact"])
    margin_rate = customers["margin_rate"]
    service_cost = customers["service_contacts"] * cost_per_contact
    cost_per_purchase, discount_rate, horizon_years = 2.0, 0.10, 3
    purchase_days = tx.assign(day=tx["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    profit = clv.customer_profit(tx, margin_rate=margin_rate, cost_per_purchase=cost_per_purchase,
                                 service_cost=service_cost)
    values = clv.value_components(tx, margin_rate=margin_rate, discount_rate=discount_rate, horizon_years=horizon_years)
    return {"tx": tx, "margin_rate": margin_rate, "cost_per_purchase": cost_per_purchase,
            "service_cost": service_cost, "acquisition_cost": customers["acquisition_cost"],
            "revenue": revenue, "purchase_days": purchase_days, "profit": profit,
            "frequent_buyer": purchase_days.idxmax(), "discount_rate": discount_rate, "horizon_years": horizon_years,
            "current": values["current_value"], "potential": values["potential_value"]}


SET = ExerciseSet("06_customer_tiering", "Customer tiering", given)


@SET.number("q1", variable="total_profit", points=2)
def q1(tx, margin_rate, cost_per_purchase, service_cost, acquisition_cost):
    revenue = tx.groupby("customer_id")["amount"].sum()
    days = tx.assign(day=tx["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    rows = tx.groupby("customer_id").size()
    mu = margin_rate.reindex(revenue.index)
    right = clv.customer_profit(tx, margin_rate=margin_rate, cost_per_purchase=cost_per_purchase,
                                service_cost=service_cost).sum()
    return Key(right, explain="Profit is what is left of the margin after serving the customers (equation 3 of the "
                              "chapter, crmlib.clv.customer_profit).", mistakes={
        "You used revenue instead of margin: multiply each customer's revenue by their margin_rate first.":
            (revenue - cost_per_purchase * days - service_cost).sum(),
        "You subtracted the acquisition cost; for customers already won it is sunk, and the profit that ranks the "
        "pyramid leaves it out.": right - acquisition_cost.sum(),
        "You counted transactions (rows) as purchase occasions: several purchases of one customer on one day are one.":
            (mu * revenue - cost_per_purchase * rows - service_cost).sum(),
        "You left out the cost per purchase (cost_per_purchase times the purchase days).":
            (mu * revenue - service_cost).sum(),
        "You left out the other cost to serve S_i (service_cost).":
            (mu * revenue - cost_per_purchase * days).sum()})


@SET.number("q2", variable="share_losing")
def q2(profit, acquisition_cost, service_cost):
    return Key((profit < 0).mean(), explain="These customers cost more to serve than their margin brings.",
               mistakes={
        "You counted customers whose profit after acquisition cost is negative; the profit of equation 3 leaves the "
        "sunk acquisition cost out.": (profit - acquisition_cost.reindex(profit.index) < 0).mean(),
        "You left out the service cost: use the profit given above.":
            (profit + service_cost.reindex(profit.index) < 0).mean(),
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
    hints = {"VIP": "Only the top 1% of customers by profit are VIP: rank by profit, not by purchase days."}
    if by_revenue != tier:
        hints[by_revenue] = "That is the tier by revenue; the pyramid here ranks profit (the cost to serve counts)."
    hints.pop(tier, None)
    return Key(str(tier), hints, explain="Buying often is not the same as being profitable: every purchase also costs "
                                         "money to serve.")


@SET.number("q6", variable="iron_share", points=2)
def q6(current, potential):
    vp = tiers.value_potential(current, potential)
    c_plain = current > current.median()
    p_plain = potential > potential.median()
    return Key((vp["quadrant"] == "iron").mean(), explain="Iron customers are worth building; the question for a "
                                                          "manager is how much to invest in them.", mistakes={
        "You put the thresholds at the plain medians; the kit's rule takes the median of the positive values, so that "
        "the many customers with no current value do not drag the threshold to 0.": (~c_plain & p_plain).mean(),
        "That is the number of iron customers; divide by the number of customers for the share.":
            float((vp["quadrant"] == "iron").sum()),
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
          "(e.g. a minor customer with potential in the value-potential matrix).")
def q8(profit, revenue):
    tier = tiers.pyramid(profit)
    table = pd.DataFrame({"customers": tier.value_counts(), "revenue": revenue.groupby(tier).sum(),
                          "profit": profit.groupby(tier).sum(), "losing customers": (profit < 0).groupby(tier).sum()})
    return Key(context=markdown_table(table.reindex(tiers.PYRAMID_LABELS)))


@SET.text("q9", points=3, rubric="Uses the number of iron customers and their mean current and potential value to "
          "size an investment per customer (below their potential value, what they could add); proposes concrete "
          "actions that build trust; says how success would be measured (movement to platinum).")
def q9(current, potential):
    vp = tiers.value_potential(current, potential)
    table = vp.groupby("quadrant", observed=False)[["current", "potential"]].mean().assign(
        customers=vp["quadrant"].value_counts())
    return Key(context=markdown_table(table))
