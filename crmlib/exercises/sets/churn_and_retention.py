"""Exercises 08: churn and retention (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import churn, clv, datasets
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]


def given(seed: int) -> dict:
    """A log of 300 customers, one customer's retention figures, a campaign case and simulated churn drivers."""
    rng = np.random.default_rng(seed)
    tx = _on_the_boundary(datasets.make_retail(n_customers=300, seed=seed).transactions, seed)
    margin = float(rng.integers(20, 80))
    retention_rate = float(rng.choice([0.6, 0.65, 0.7, 0.75, 0.8, 0.85]))
    p = float(rng.choice([0.2, 0.3, 0.4, 0.5, 0.6]))
    value = float(rng.integers(100, 400))
    success_rate = float(rng.choice([0.2, 0.3, 0.4]))
    contact_cost = float(rng.integers(1, 5))
    incentive_cost = float(rng.integers(5, 20))
    drivers = datasets.make_churn_drivers(1500, seed=seed)
    return {"tx": tx, "end": tx["date"].max(), "margin": margin, "retention_rate": retention_rate,
            "discount_rate": 0.10, "p": p, "value": value, "success_rate": success_rate, "contact_cost": contact_cost,
            "incentive_cost": incentive_cost, "drivers": drivers, "driver_names": list(datasets.CHURN_DRIVERS)}


def _on_the_boundary(tx: pd.DataFrame, seed: int, lapse: int = 180) -> pd.DataFrame:
    """The log with two lapsed customers coming back once, on the boundary of the churn rule.

    One buys exactly ``lapse`` days before the log's end (still active by "more than L days"), one ``lapse + 1``
    days before (churned, though within six months): real logs have customers on the boundary, and these two make
    the rule's "more than" and its unit count.
    """
    rng = np.random.default_rng([seed, 8])  # its own stream: the other data of the seed stay as they were
    end = tx["date"].max()
    last = tx.groupby("customer_id")["date"].max()
    lapsed = last.index[(end - last).dt.days > lapse + 30]
    who = rng.choice(lapsed, size=2, replace=False)
    spend = tx.groupby("customer_id")["amount"].mean()
    days = [end - pd.Timedelta(days=lapse), end - pd.Timedelta(days=lapse + 1)]
    extra = pd.DataFrame({"customer_id": who, "date": days, "amount": spend[who].round(2).to_numpy()})
    extra["customer_id"] = extra["customer_id"].astype(tx["customer_id"].dtype)
    return pd.concat([tx, extra]).sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)


SET = ExerciseSet("08_churn_and_retention", "Churn and retention", given)


@SET.number("q1", variable="churned_share", points=2)
def q1(tx, end):
    last = tx.groupby("customer_id")["date"].max()
    first = tx.groupby("customer_id")["date"].min()
    gap = (end - last).dt.days
    return Key(churn.churn_status(tx, inactive_after=180)["churned"].mean(),
               explain="A stated rule turns silence into churn; report L with the number.", mistakes={
        "That is the share still ACTIVE; the question asks for the churned.": (gap <= 180).mean(),
        "You measured from the FIRST purchase; inactivity runs from the last purchase to the end.":
            ((end - first).dt.days > 180).mean(),
        "You counted 180 days or more; the rule is MORE than 180 days.": (gap >= 180).mean(),
        "You used 6 months of 30.4375 days (182.6 days) instead of 180 days.": (gap > 6 * 30.4375).mean()})


@SET.number("q2", variable="q_churn", points=2)
def q2(tx):
    row = churn.churn_rate(tx, inactive_after=180, period="Q").loc["2024-10-01"]
    return Key(row["churn_rate"], explain="A rate per quarter: never compare it with a monthly or yearly rate.",
               mistakes={
        "You divided by the customers active at the END of the quarter; the base is those active at its start.":
            row["churned"] / row["active_end"],
        "You divided by every customer who had bought before the quarter; the base is those ACTIVE at its start.":
            row["churned"] / len(churn.churn_status(tx, inactive_after=180, observation_end="2024-09-30")),
        "You netted out the reactivated customers; they are a separate flow, not churners who stayed.":
            (row["churned"] - row["reactivated"]) / row["active_start"],
        "That is the share of the start base still active at the end (retention), not churn.": 1 - row["churn_rate"]})


@SET.number("q3", variable="retention", points=2)
def q3(tx, end):
    then = churn.churn_status(tx, inactive_after=180, observation_end=end - pd.Timedelta(days=365))
    now = churn.churn_status(tx, inactive_after=180)
    active_then = then.index[~then["churned"]]
    bought_last_year = tx.loc[tx["date"] > end - pd.Timedelta(days=365), "customer_id"].unique()
    everyone_now = (~now["churned"]).mean()
    everyone_then = (~now.loc[then.index, "churned"]).mean()
    # without customers acquired in the last year the two bases are the same customers: one hint names both
    mistakes = {
        "You took everyone who had bought by a year ago as the base; only those ACTIVE then can be retained.":
            everyone_then,
        "You took the share of ALL customers active now; retention follows the customers active a year ago.":
            everyone_now,
    } if not np.isclose(everyone_now, everyone_then, rtol=1e-3) else {
        "You took all customers (everyone who had bought by a year ago) as the base; retention follows only those "
        "ACTIVE a year ago.": everyone_then}
    return Key((~now.loc[active_then, "churned"]).mean(), explain="The retention rate per year is what the CLV of eq. "
                                                                  "(5) needs.", mistakes={
        **mistakes,
        "You counted the customers active a year ago who bought in the last year; 'still active' means bought in the "
        "last 180 days.": pd.Index(active_then).isin(bought_last_year).mean()})


@SET.number("q4", variable="gain_one_point", points=2, unit="money per customer")
def q4(margin, retention_rate, discount_rate):
    m, r, i = margin, retention_rate, discount_rate
    gain = churn.retention_gain(m, r, i, points=1).iloc[0]
    return Key(gain["gain_per_customer"], explain="The higher the retention, the more each further point is worth "
                                                  "(Reichheld and Sasser 1990).", mistakes={
        "You did not discount: the CLV is m r / (1 + i - r), not m r / (1 - r).":
            m * (r + 0.01) / (1 - r - 0.01) - m * r / (1 - r),
        "That is the CLV at the new retention, not the GAIN over the present CLV.": clv.retention_clv(m, r + 0.01, i),
        "That is the relative gain (a share of the CLV); the question asks for money per customer.": gain["gain_pct"],
        "You raised retention by 0.1 (ten points); one percentage point is 0.01.":
            clv.retention_clv(m, r + 0.1, i) - clv.retention_clv(m, r, i)})


def _campaign(p, value, success_rate, contact_cost, incentive_cost) -> float:
    return float(churn.campaign_value([p], [value], success_rate=success_rate, contact_cost=contact_cost,
                                      incentive_cost=incentive_cost)["expected_profit"].iloc[0])


@SET.number("q5", variable="expected_profit", points=2, unit="money")
def q5(p, value, success_rate, contact_cost, incentive_cost):
    g, c, d = success_rate, contact_cost, incentive_cost
    return Key(_campaign(p, value, g, c, d), explain="Target a customer when this is positive: risk times value, net "
                                                     "of the costs.", mistakes={
        "You forgot that a customer who would have stayed anyway also takes the offer: subtract (1 - p) delta.":
            p * g * (value - d) - c,
        "You left out the offer delta altogether.": p * g * value - c,
        "You left out the contact cost c.": p * g * (value - d) - (1 - p) * d,
        "You treated every contacted customer as kept; only a share gamma of the would-be churners is kept.":
            p * (value - d) - (1 - p) * d - c})


@SET.number("q6", variable="odds_unresolved", points=2)
def q6(drivers, driver_names):
    table = churn.ChurnLogit().fit(drivers[driver_names], drivers["churned"]).summary()
    return Key(table.loc["complaint_unresolved", "odds_ratio"],
               explain="Compare it with the odds ratio of a resolved complaint: how a complaint is handled matters.",
               mistakes={
        "That is the coefficient (the change of the LOG-odds); the odds ratio is exp(coefficient).":
            table.loc["complaint_unresolved", "coef"],
        "That is the average marginal effect (a change of probability), not the odds ratio.":
            table.loc["complaint_unresolved", "ame"],
        "That is the odds ratio of a RESOLVED complaint.": table.loc["complaint_resolved", "odds_ratio"],
        "That is the true odds ratio of the simulation; estimate it from the data.":
            np.exp(drivers.attrs["true_params"]["coefficients"]["complaint_unresolved"])})


@SET.choice("q7", variable="strategy", choices=list(churn.RETENTION_STRATEGIES))
def q7():
    right = next(k for k, v in churn.RETENTION_STRATEGIES.items() if "complaint_unresolved" in v["answers"])
    return Key(right, {k: f"{k.capitalize()} answers {v['answers'].replace('_', ' ')}: it does not fix how complaints "
                          "are handled." for k, v in churn.RETENTION_STRATEGIES.items() if k != right},
               explain=churn.RETENTION_STRATEGIES[right]["does"].capitalize() + ".")


@SET.text("q8", points=3, rubric="Decides whether to contact the customer of q5 from the sign of E[pi]; if it does "
          "not pay, names the change that makes it pay (a smaller incentive, a higher success rate, a cheaper "
          "contact) with the break-even value computed or estimated; notes that the incentive also goes to customers "
          "who would have stayed.")
def q8(p, value, success_rate, contact_cost, incentive_cost):
    facts = pd.Series({"churn probability p": p, "value kept V": value, "success rate": success_rate,
                       "contact cost": contact_cost, "incentive cost": incentive_cost,
                       "expected profit": _campaign(p, value, success_rate, contact_cost, incentive_cost)},
                      name="value")
    return Key(context=markdown_table(facts, 3))


@SET.text("q9", points=3, rubric="Ranks drivers by their odds ratios (or effects) from the fitted model; picks two "
          "that the firm can act on, with one concrete action each (e.g. service recovery for unresolved "
          "complaints); distinguishes association from cause.")
def q9(drivers, driver_names):
    table = churn.ChurnLogit().fit(drivers[driver_names], drivers["churned"]).summary()
    cols = [c for c in ("coef", "odds_ratio", "ame") if c in table.columns]
    return Key(context=markdown_table(table[cols], 3))
