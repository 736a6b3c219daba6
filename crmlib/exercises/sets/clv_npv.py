"""Exercises 04: customer lifetime value and customer equity (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import clv
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]


def given(seed: int) -> dict:
    """One customer's margin, retention and discount rate; a four-year relationship; a base of six customers."""
    rng = np.random.default_rng(seed)
    margin = float(rng.integers(60, 201))
    retention = round(float(rng.uniform(0.60, 0.90)), 2)
    discount_rate = float(rng.choice([0.08, 0.10, 0.12]))
    acquisition_cost = float(round(margin * rng.uniform(1.0, 2.0)))
    cashflows = rng.integers(50, 151, size=4).astype(float)
    base = pd.DataFrame({
        "margin": rng.integers(40, 200, size=6).astype(float),
        "retention": rng.uniform(0.4, 0.9, size=6).round(2),
    }, index=[f"customer {k}" for k in range(1, 7)])
    return {"margin": margin, "retention": retention, "discount_rate": discount_rate,
            "acquisition_cost": acquisition_cost, "cashflows": cashflows, "base": base,
            "monthly_margin": round(margin / 12, 2)}


SET = ExerciseSet("04_clv_npv", "Customer lifetime value and customer equity", given)


@SET.number("q1", variable="npv_value", points=2)
def q1(cashflows, discount_rate):
    return Key(clv.npv(cashflows, discount_rate), explain="Money later is worth less than money now.", mistakes={
        "You did not discount the cash flows.": cashflows.sum(),
        "You treated the first cash flow as received now; it comes at the end of year 1.":
            clv.npv(cashflows, discount_rate, when="begin"),
        "You discounted every cash flow by one year only.": cashflows.sum() / (1 + discount_rate)})


@SET.number("q2", variable="expected_years", unit="years")
def q2(retention):
    return Key(clv.expected_lifetime(retention),
               explain="The number of years a customer stays is geometric with mean 1 / (1 - r).", mistakes={
        "You divided by the retention rate; the expected lifetime is 1 / (1 - r), the churn rate in the denominator.":
            1 / retention,
        "You counted only the years after the first: r / (1 - r).": retention / (1 - retention)})


@SET.number("q3", variable="clv_infinite", points=2)
def q3(margin, retention, discount_rate):
    return Key(clv.retention_clv(margin, retention, discount_rate), explain="m r / (1 + i - r).", mistakes={
        "You counted a margin now as well: m (1 + i) / (1 + i - r). Here the first margin comes in a year.":
            clv.retention_clv(margin, retention, discount_rate, first_margin="now"),
        "You did not discount: m r / (1 - r).": margin * retention / (1 - retention),
        "That is the NPV over the expected lifetime 1 / (1 - r), a shortcut that is not the expected NPV.":
            clv.relationship_npv(margin, clv.expected_lifetime(retention), discount_rate),
        "You forgot the retention: m / i is a customer who never leaves.": margin / discount_rate})


@SET.number("q4", variable="clv_5_years", points=2)
def q4(margin, retention, discount_rate):
    return Key(clv.retention_clv(margin, retention, discount_rate, horizon=5),
               explain="Most of the infinite-horizon value is in the first years.", mistakes={
        "You left out the retention: that is the NPV of 5 sure margins.": clv.npv([margin] * 5, discount_rate),
        "That is the CLV with no horizon; stop the sum at t = 5.": clv.retention_clv(margin, retention, discount_rate),
        "You summed t = 0 to 4 (first margin now); the sum runs from t = 1 to 5.":
            clv.retention_clv(margin, retention, discount_rate, horizon=4, first_margin="now")})


@SET.number("q5", variable="value_at_acq", points=2)
def q5(margin, retention, discount_rate, acquisition_cost):
    return Key(clv.value_at_acquisition(margin, retention, discount_rate, acquisition_cost),
               explain="It is the most the firm could spend on top of this cost to win such a customer.", mistakes={
        "You left out the margin of the first purchase (received now): use m (1 + i) / (1 + i - r).":
            clv.retention_clv(margin, retention, discount_rate) - acquisition_cost,
        "You did not subtract the acquisition cost.":
            clv.retention_clv(margin, retention, discount_rate, first_margin="now")})


@SET.number("q6", variable="equity", points=2)
def q6(base, discount_rate):
    return Key(clv.customer_equity(base, discount_rate=discount_rate), explain="The customer base valued as an asset.",
               mistakes={
        "You summed the margins; equity is the sum of the lifetime values.": base["margin"].sum(),
        "You valued everybody at the average margin and average retention; CLV is not linear in retention, "
        "so value each customer and then sum.":
            len(base) * clv.retention_clv(base["margin"].mean(), base["retention"].mean(), discount_rate),
        "You counted a margin now for each customer as well.":
            (base["margin"] * (1 + discount_rate) / (1 + discount_rate - base["retention"])).sum()})


@SET.number("q7", variable="clv_monthly", points=2)
def q7(monthly_margin, retention, discount_rate):
    r_m = clv.convert_rate(retention, "Y", "M", kind="retention")
    i_m = clv.convert_rate(discount_rate, "Y", "M")
    return Key(clv.retention_clv(monthly_margin, r_m, i_m),
               explain="Close to the yearly value but not equal: margins arrive through the year.", mistakes={
        "You used the yearly retention and discount rate with a monthly margin.":
            clv.retention_clv(monthly_margin, retention, discount_rate),
        "You converted the retention but kept the yearly discount rate.":
            clv.retention_clv(monthly_margin, r_m, discount_rate),
        "You divided the discount rate by 12; convert by compounding: (1 + i)^(1/12) - 1.":
            clv.retention_clv(monthly_margin, r_m, discount_rate / 12),
        "You divided the churn rate by 12 (1 - (1 - r)/12); retention converts as r^(1/12).":
            clv.retention_clv(monthly_margin, 1 - (1 - retention) / 12, i_m)})


def _lever_gains(margin, retention, discount_rate) -> pd.Series:
    return pd.Series({
        "retention": clv.retention_clv(margin, retention + 0.05, discount_rate),
        "margin": clv.retention_clv(margin * 1.10, retention, discount_rate),
        "discount": clv.retention_clv(margin, retention, discount_rate - 0.02),
    }) - clv.retention_clv(margin, retention, discount_rate)


@SET.choice("q8", variable="best_lever", choices=["retention", "margin", "discount"])
def q8(margin, retention, discount_rate):
    gains = _lever_gains(margin, retention, discount_rate)
    best = str(gains.idxmax())
    hints = {k: "Compute the CLV after each of the three changes and compare the rises; this one is not the largest."
             for k in gains.index if k != best}
    return Key(best, hints, explain="Retention works through the denominator 1 + i - r, so a few points of it move CLV "
                                    "a lot.")


@SET.text("q9", points=3, rubric="Compares the value at acquisition (q5) with 0 and says whether to spend the "
          "acquisition cost; names the lever of q8 with its size on these numbers; proposes one concrete action for "
          "that lever (e.g. an onboarding or service programme for retention) and one risk or cost of it.")
def q9(margin, retention, discount_rate, acquisition_cost):
    gains = _lever_gains(margin, retention, discount_rate)
    value = clv.value_at_acquisition(margin, retention, discount_rate, acquisition_cost)
    facts = pd.Series({"margin per year": margin, "retention per year": retention, "discount rate": discount_rate,
                       "acquisition cost": acquisition_cost, "value at acquisition": value,
                       **{f"CLV rise: {k}": v for k, v in gains.items()}}, name="value")
    return Key(context=markdown_table(facts, 3))


@SET.text("q10", points=3, rubric="Ranks the six customers by CLV (not by margin alone); picks the customer(s) whose "
          "retention a budget should raise and argues with margin and retention together; notes that averaging "
          "margin and retention misstates equity (q6).")
def q10(base, discount_rate):
    table = base.assign(clv=base["margin"] * base["retention"] / (1 + discount_rate - base["retention"]))
    return Key(context=markdown_table(table.sort_values("clv", ascending=False)))
