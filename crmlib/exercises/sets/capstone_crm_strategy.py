"""Exercises 09: the capstone, from raw log to a CRM strategy (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import churn, clv, datasets, models, rfm, tiers
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

LABELS = ["VIP", "major", "common", "minor"]
STRATEGY = {"lead": "end the relationship", "iron": "invest until trust forms", "gold": "keep at all costs",
            "platinum": "main resources"}


def _values(tx, margin_rate) -> pd.DataFrame:
    """Current and potential value as the chapter's report computes them (the kit's one definition of each)."""
    return clv.value_components(tx, margin_rate=margin_rate, discount_rate=0.10, horizon_years=3)


def given(seed: int) -> dict:
    """A log of 400 customers, the fitted value model, a key customer and a customer for the matrix."""
    rng = np.random.default_rng(seed)
    tx = datasets.make_retail(n_customers=400, seed=seed).transactions
    margin_rate = 0.30
    first_day, last_day = tx["date"].min(), tx["date"].max()
    revenue = tx.groupby("customer_id")["amount"].sum()
    customer = str(rng.choice(revenue.sort_values(ascending=False).index[: round(0.2 * len(revenue))].to_numpy()))
    summary = rfm.summarize(tx, unit="W")
    bg = models.BetaGeo().fit(summary, unit="W")
    gg = models.GammaGamma().fit(summary)
    value = models.customer_lifetime_value(bg, gg, summary, horizon=12, horizon_unit="M", discount_rate=0.10,
                                           discount_period="Y", step="M", margin=margin_rate)
    cal_end = first_day + pd.Timedelta(days=int(round(2 * (last_day - first_day).days / 3)))
    values = _values(tx, margin_rate)
    q = tiers.value_potential(values["current_value"], values["potential_value"])
    iron_gold = q[q["quadrant"].isin(["iron", "gold"])]
    far = (iron_gold["potential"] / q.attrs["potential_threshold"]).apply(np.log).abs()
    other = str(rng.choice(far.index[far >= far.median()].to_numpy()))
    other_values = {"current": float(q.loc[other, "current"]), "current threshold": q.attrs["current_threshold"],
                    "potential": float(q.loc[other, "potential"]),
                    "potential threshold": q.attrs["potential_threshold"]}
    return {"tx": tx, "margin_rate": margin_rate, "first_day": first_day, "last_day": last_day, "revenue": revenue,
            "customer": customer, "summary": summary, "bg": bg, "gg": gg, "value": value, "cal_end": cal_end,
            "other": other, "other_values": other_values}


SET = ExerciseSet("09_capstone_crm_strategy", "Capstone: a CRM strategy from one transaction log", given)


def _by(tx, revenue):
    days = tx.drop_duplicates(["customer_id", "date"]).groupby("customer_id").size().reindex(revenue.index)
    mean = tx.groupby("customer_id")["amount"].mean().reindex(revenue.index)
    return days, mean


@SET.number("q1", variable="top20_share", points=2)
def q1(tx, revenue):
    n = round(0.2 * len(revenue))
    days, mean = _by(tx, revenue)

    def top_share(rank_by):
        return revenue[rank_by.sort_values(ascending=False, kind="stable").index[:n]].sum() / revenue.sum()

    right = tiers.pareto_table(revenue, cut_points=[0.2]).loc[0.2, "share_of_value"]
    return Key(right, explain="The 80/20 rule is a rule of thumb: the data say how concentrated the value really is.",
               mistakes={
        "That is the share of the other 80% of customers; rank the highest revenue first.": 1 - right,
        "You ranked the customers by their mean amount per purchase; the key customers are those with the highest "
        "total revenue.": top_share(mean),
        "You ranked the customers by their number of purchase days; rank them by revenue.": top_share(days)})


@SET.choice("q2", variable="tier_of_customer", choices=LABELS)
def q2(tx, revenue, customer):
    days, mean = _by(tx, revenue)
    right = str(tiers.pyramid(revenue).loc[customer])
    hints = {t: "Rank all customers by revenue: the tier follows from the customer's rank (top 1%, next 4%, next 15%, "
                "the rest)." for t in LABELS}
    for by, why in ((days, "number of purchase days"), (mean, "mean amount per purchase")):
        hints[str(tiers.pyramid(by).loc[customer])] = f"You ranked by the {why}; the pyramid ranks by total revenue."
    hints.pop(right, None)
    return Key(right, hints, explain="Each tier is served at its own level: personal contact at the top, low-cost "
                                     "channels at the bottom.")


@SET.number("q3", variable="predicted_holdout", points=2, unit="purchases")
def q3(tx, cal_end, bg):
    cal = rfm.calibration_holdout(tx, calibration_end=cal_end, unit="W")
    bg_cal = models.BetaGeo().fit(cal, unit="W")
    h = models.holdout_comparison(bg_cal, cal)
    args = (cal["duration_holdout"], cal["frequency"], cal["recency"], cal["T"])
    return Key((h["predicted"] * h["customers"]).sum(),
               explain=f"The customers actually made {cal['frequency_holdout'].sum():,.0f}: compare before you budget "
                       "on the totals.", mistakes={
        "That is the ACTUAL number of holdout purchases; the question asks what the model predicts.":
            cal["frequency_holdout"].sum(),
        "You predicted with the model fitted on the whole log: it has seen the holdout. Fit on the calibration period "
        "only.": bg.conditional_expected_purchases(*args).sum(),
        "You used E[Y(t)] of a new customer for everybody; use each customer's history "
        "(conditional_expected_purchases).": bg_cal.expected_purchases(cal["duration_holdout"]).sum()})


@SET.number("q4", variable="iron_share", points=2)
def q4(tx, revenue, margin_rate, value):
    values = _values(tx, margin_rate)
    cur, pot = values["current_value"], values["potential_value"]
    vp = tiers.value_potential(cur, pot)
    recent = cur[values["run_rate"] > 0]
    vp_recent = tiers.value_potential(recent, pot.reindex(recent.index))
    vp_clv = tiers.value_potential(cur, value["clv"].reindex(cur.index))
    vp_all = tiers.value_potential(margin_rate * revenue.reindex(cur.index), pot)
    return Key((vp["quadrant"] == "iron").mean(), explain="Iron customers could add much and bring little now: invest "
                                                          "until trust forms.", mistakes={
        "That is the gold share (high current, low potential); iron is LOW current value with HIGH potential.":
            (vp["quadrant"] == "gold").mean(),
        "You put the thresholds at the plain medians of all customers; the kit's rule takes the median of the "
        "positive values, so that the customers with no current value do not drag the threshold to 0.":
            ((cur <= cur.median()) & (pot > pot.median())).mean(),
        "You left out the customers who did not buy in the last year; their current value is 0 and they count.":
            (vp_recent["quadrant"] == "iron").mean(),
        "You used the model CLV as potential value; the potential value is what the customer could add "
        "(value_components' potential_value), a forecast is another quantity.": (vp_clv["quadrant"] == "iron").mean(),
        "You took the margin of the whole log as current value; it continues the margin of the last year.":
            (vp_all["quadrant"] == "iron").mean()})


@SET.choice("q5", variable="strategy", choices=list(STRATEGY.values()))
def q5(tx, margin_rate, other):
    values = _values(tx, margin_rate)
    quadrant = str(tiers.value_potential(values["current_value"], values["potential_value"]).loc[other, "quadrant"])
    hints = {STRATEGY["lead"]: "Lead is low on both axes; this customer is high on one of them.",
             STRATEGY["platinum"]: "Platinum is high on both axes; this customer is low on one of them.",
             STRATEGY["iron"]: "Iron is low current value with high potential; compare the customer's values with the "
                               "thresholds.",
             STRATEGY["gold"]: "Gold is high current value with low potential; compare the customer's values with the "
                               "thresholds."}
    hints.pop(STRATEGY[quadrant], None)
    return Key(STRATEGY[quadrant], hints, explain=f"The customer is {quadrant}: " + tiers.QUADRANT_STRATEGIES[quadrant])


def _campaign(value):
    pa = value["probability_alive"]
    kept = (value["clv"] / pa.where(pa > 0)).fillna(0.0)
    return churn.campaign_value(1 - pa, kept, success_rate=0.30, contact_cost=1.0, incentive_cost=5.0), pa, kept


@SET.number("q6", variable="campaign_profit", points=3, unit="money")
def q6(value):
    right, pa, v = _campaign(value)

    def campaign(p, kept):
        return churn.campaign_value(p, kept, success_rate=0.30, contact_cost=1.0, incentive_cost=5.0)

    no_stayers = (1 - pa) * 0.30 * (v - 5.0) - 1.0
    return Key(right.attrs["total"], explain=f"It contacts {right.attrs['n_targeted']:,} customers and is expected to "
                                             f"keep {right.attrs['saved']:,.1f}.", mistakes={
        "You used P(alive) as the churn probability; churn is 1 - P(alive).": campaign(pa, v).attrs["total"],
        "You took V = CLV; the CLV is already weighted by P(alive). The value kept if the customer stays is "
        "CLV / P(alive).": campaign(1 - pa, value["clv"]).attrs["total"],
        "You summed E[pi] over ALL customers; the campaign contacts only those with E[pi] > 0.":
            right["expected_profit"].sum(),
        "You left out the incentive taken by customers who would have stayed anyway, (1 - p) x delta.":
            no_stayers[no_stayers > 0].sum()})


@SET.choice("q7", variable="rank_by", choices=["churn probability", "value", "expected profit"])
def q7():
    return Key("expected profit", {
        "churn probability": "Ranking by risk alone spends contacts and incentives on customers who are worth little.",
        "value": "Ranking by value alone gives incentives to customers who would have stayed anyway."},
        explain="E[pi] combines the risk, the value kept and the costs: it is what the campaign earns per contact.")


@SET.text("q8", points=3, rubric="Judges the campaign of q6 with its numbers (customers contacted, expected saves, "
          "total E[pi]); says which quadrant or tier receives most contacts and whether that fits the matrix "
          "strategies; names one risk (model error, incentives to stayers, customer fatigue) and how to test it (a "
          "control group).")
def q8(tx, margin_rate, value):
    right, _, _ = _campaign(value)
    values = _values(tx, margin_rate)
    quadrant = tiers.value_potential(values["current_value"], values["potential_value"])["quadrant"]
    targeted = right.index[right["expected_profit"] > 0]
    table = pd.DataFrame({"customers": quadrant.value_counts(),
                          "contacted": quadrant.reindex(targeted).value_counts()}).fillna(0)
    summary = (f"contacted {right.attrs['n_targeted']}, expected saves {right.attrs['saved']:.1f}, "
               f"total expected profit {right.attrs['total']:.2f}")
    return Key(context=summary + "\n\n" + markdown_table(table))


@SET.text("q9", points=4, words=(60, 250), rubric="Three to five sentences for a CEO: where the value is "
          "(concentration, q1), which customers to invest in and which to serve at lower cost (q4, q5), whether the "
          "forecast can be trusted (the holdout check, q3, predicted against actual), and one decision with its "
          "expected effect. Numbers from the student's own data.")
def q9(tx, revenue, margin_rate, value, cal_end):
    cal = rfm.calibration_holdout(tx, calibration_end=cal_end, unit="W")
    bg_cal = models.BetaGeo().fit(cal, unit="W")
    h = models.holdout_comparison(bg_cal, cal)
    values = _values(tx, margin_rate)
    vp = tiers.value_potential(values["current_value"], values["potential_value"])
    top = tiers.pareto_table(revenue, cut_points=[0.2]).loc[0.2, "share_of_value"]
    facts = pd.Series({"top 20% revenue share": top,
                       "customer equity, 12 months": value["clv"].sum(),
                       "holdout predicted": (h["predicted"] * h["customers"]).sum(),
                       "holdout actual": cal["frequency_holdout"].sum(),
                       "iron share": (vp["quadrant"] == "iron").mean()}, name="value")
    return Key(context=markdown_table(facts, 3))
