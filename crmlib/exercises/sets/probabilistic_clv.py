"""Exercises 05: probabilistic CLV, buy till you die (answer keys)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib import datasets, models
from crmlib.exercises.model import ExerciseSet, Key, markdown_table
from crmlib.exercises.sets._data import split_purchases
from crmlib.rfm import summarize

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]


def given(seed: int) -> dict:
    """A log of 500 customers (BG/NBD with Gamma-Gamma spend), one customer, the fitted models, a cohort.

    Some purchases are written as two rows of one day (the customer's last purchase day among them), so that
    counting rows and counting purchase days differ; the models read purchase days, which the split leaves as they
    were. A and B of question 6 are built so that B is the more likely alive (A's silence is 40 to 49 weeks after
    8 to 12 repeat purchases).
    """
    rng = np.random.default_rng(seed)
    tx = datasets.make_retail(n_customers=500, seed=seed).transactions
    days = summarize(tx, unit="D")
    silent = days["T"] - days["recency"]
    customer = str(rng.choice(days.index[days["frequency"].between(2, 6) & silent.between(60, 240)].to_numpy()))
    summary = summarize(tx, unit="W")
    bg = models.BetaGeo().fit(summary, unit="W")
    x_a = int(rng.integers(8, 13))
    t_ab = float(summary["T"].quantile(0.75).round())
    gap_a = float(rng.integers(40, 50))
    gap_b = float(rng.integers(1, 4))
    two = pd.DataFrame({"frequency": [x_a, 1], "recency": [t_ab - gap_a, t_ab - gap_b], "T": [t_ab, t_ab]},
                       index=pd.Index(["A", "B"], name="customer"))
    gg = models.GammaGamma().fit(summary)
    alpha_true, beta_true = rng.uniform(0.6, 1.5), rng.uniform(1.5, 4.0)
    lifetimes = rng.geometric(rng.beta(alpha_true, beta_true, size=1000))
    survivors = [1000] + [int((lifetimes > t).sum()) for t in range(1, 8)]
    tx = split_purchases(tx, seed, also=[customer])  # the customer's last purchase day in two rows
    return {"tx": tx, "customer": customer, "summary": summary, "bg": bg, "two": two, "gg": gg,
            "survivors": survivors}


SET = ExerciseSet("05_probabilistic_clv", "Probabilistic CLV: buy till you die", given)


@SET.number("q1", variable="x_customer")
def q1(tx, customer):
    freq = summarize(tx).loc[customer, "frequency"]
    return Key(freq, explain="The first purchase only starts the clock: the models explain the repeat purchases.",
               mistakes={
        "You counted the first purchase: the frequency counts REPEAT purchase days, the number of purchase days minus "
        "one.": freq + 1,
        "You counted rows of the log; purchases of one customer on one day are one purchase occasion, and the first "
        "one is not a repeat.": len(tx[tx["customer_id"] == customer])})


@SET.number("q2", variable="recency_weeks", unit="weeks")
def q2(tx, customer):
    w = summarize(tx, unit="W").loc[customer]
    return Key(w["recency"], explain="In these models recency is the time of the last purchase, counted from the "
                                     "first one.", mistakes={
        "That is the recency in days; the question asks for weeks (days / 7): summarize(tx, unit='W').":
            summarize(tx, unit="D").loc[customer, "recency"],
        "That is T, the time from the first purchase to the END of observation; recency ends at the LAST purchase.":
            w["T"],
        "That is the time since the last purchase (T minus recency). In the models' sense recency is measured from "
        "the first purchase to the last.": w["T"] - w["recency"],
        "That is in months (30.4375 days); the question asks for weeks.":
            summarize(tx, unit="M").loc[customer, "recency"]})


@SET.number("q3", variable="rate_per_year", points=2)
def q3(bg):
    r, alpha = bg.params_["r"], bg.params_["alpha"]
    return Key(r / alpha * 365.25 / 7, explain="alpha carries the model's time unit: fitted in days it would be 7 "
                                               "times larger, and r/alpha 7 times smaller.", mistakes={
        "That is the rate per WEEK (the model's unit); multiply by the weeks in a year, 365.25/7.": r / alpha,
        "A year is 365.25/7 = 52.18 weeks, not 52.": r / alpha * 52,
        "That is alpha / r, the mean time between purchases in weeks; the mean rate is r / alpha.": alpha / r,
        "You treated alpha as if it were in days; the model was fitted in weeks.": r / alpha * 365.25,
        "You multiplied by 12: the model's unit is the week, not the month.": r / alpha * 12})


@SET.number("q4", variable="p_alive", points=2)
def q4(bg, summary, tx, customer):
    c = summary.loc[customer]
    d = summarize(tx, unit="D").loc[customer]
    right = bg.probability_alive(c["frequency"], c["recency"], c["T"])
    return Key(right, explain="The longer the silence since the last purchase compared with her usual pace, the lower "
                              "P(alive).", mistakes={
        "You gave recency and T in days to a model fitted in weeks: use summarize(tx, unit='W').":
            bg.probability_alive(d["frequency"], d["recency"], d["T"]),
        "That is the probability the customer has LEFT (1 - P(alive)).": 1 - right,
        "You counted the first purchase in the frequency (x is the number of REPEAT purchases).":
            bg.probability_alive(c["frequency"] + 1, c["recency"], c["T"])})


@SET.number("q5", variable="expected_6m", points=2)
def q5(bg, summary, customer):
    c = summary.loc[customer]

    def ey(t: float) -> float:
        return bg.conditional_expected_purchases(t, c["frequency"], c["recency"], c["T"])

    return Key(ey(6 * 30.4375 / 7), explain="The lifetimes issues #137 and #194 are this trap: the horizon must be in "
                                            "the model's unit.", mistakes={
        "You gave t = 6: the model reads that as 6 WEEKS. Convert: 6 months = 6 x 30.4375 / 7 weeks.": ey(6),
        "You gave t in days (6 x 30.4375); the model's unit is the week.": ey(6 * 30.4375),
        "You took 6 months as 26 weeks; a month is 30.4375 days, so 6 months = 26.09 weeks.": ey(26),
        "That is the expected number for a NEW customer, E[Y(t)], not for this customer given her history "
        "(conditional_expected_purchases).": bg.expected_purchases(6 * 30.4375 / 7)})


@SET.choice("q6", variable="more_alive", choices=["A", "B"])
def q6(bg, two):
    pa = pd.Series(bg.probability_alive(two["frequency"], two["recency"], two["T"]), index=two.index)
    return Key(str(pa.idxmax()), {
        "A": "A bought often, so her long silence is far out of character: in equation (2) the gap enters as "
             "((alpha + T) / (alpha + t_x)) to the power r + x, and a large x makes it decisive. Compute P(alive) for "
             "both."},
        explain=f"P(alive) is {pa['A']:.2f} for A and {pa['B']:.2f} for B: a frequent buyer who goes quiet has "
                "probably left.")


def _equity(bg, gg, summary, **change) -> float:
    settings: dict[str, Any] = dict(horizon=12, horizon_unit="M", discount_rate=0.10, discount_period="Y", step="M",
                                    margin=0.30)
    settings.update(change)
    return float(models.customer_lifetime_value(bg, gg, summary, **settings)["clv"].sum())


@SET.number("q7", variable="equity", points=3, unit="money")
def q7(bg, gg, summary):
    return Key(_equity(bg, gg, summary), explain="Customer equity is a forecast: say its horizon, margin and discount "
                                                 "rate with it.", mistakes={
        "You used 10% as a MONTHLY rate; it is per year: the monthly rate is 1.1^(1/12) - 1 (discount_period='Y').":
            _equity(bg, gg, summary, discount_period="M"),
        "You discounted monthly at 10%/12; the monthly rate that compounds to 10% a year is 1.1^(1/12) - 1.":
            _equity(bg, gg, summary, discount_rate=0.10 / 12, discount_period="M"),
        "Your horizon is 12 WEEKS (the model's unit); the question asks for 12 months (horizon_unit='M').":
            _equity(bg, gg, summary, horizon_unit="W"),
        "That is revenue, not margin: multiply by the 30% margin.": _equity(bg, gg, summary, margin=1.0),
        "You did not discount: the 10% per year applies to each month's expected margin.":
            _equity(bg, gg, summary, discount_rate=0.0)})


@SET.number("q8", variable="share_year_12", points=2)
def q8(survivors):
    sbg = models.ShiftedBetaGeo().fit(survivors)
    naive = models.naive_survival_projections(survivors, 12).loc[12]
    last_rate = survivors[7] / survivors[6]
    return Key(sbg.survival(12), explain="Every subscriber keeps her own churn probability; the cohort's retention "
                                         "rises only because the likely churners leave first.", mistakes={
        "That is the exponential curve fitted to the survival shares: it assumes a constant retention rate and so "
        "misses the rise of retention with tenure.": naive["exponential"],
        "You extended year 7's retention rate unchanged to year 12; retention keeps rising as the disloyal leave "
        "(equation (5)).": survivors[7] / survivors[0] * last_rate ** 5,
        "That is the retention rate r(12) of year 12, not the share of the cohort still active S(12).":
            sbg.retention_rate(12),
        "That is a number of subscribers; the question asks for a share of the 1,000.": 1000 * sbg.survival(12)})


@SET.text("q9", points=3, rubric="Uses the customer's P(alive) and expected purchases (q4, q5) and her value to "
          "decide whether a win-back offer is worth it now and caps its cost by the expected margin it could bring; "
          "says what the model cannot know (why she went quiet, a competitor, a move).")
def q9(bg, gg, summary, customer):
    c = summary.loc[customer]
    clv = models.customer_lifetime_value(bg, gg, summary.loc[[customer]], horizon=12, horizon_unit="M",
                                         discount_rate=0.10, discount_period="Y", step="M", margin=0.30)
    facts = pd.Series({"frequency (repeat days)": c["frequency"], "recency (weeks)": c["recency"], "T (weeks)": c["T"],
                       "P(alive)": bg.probability_alive(c["frequency"], c["recency"], c["T"]),
                       "expected purchases, 6 months":
                           bg.conditional_expected_purchases(6 * 30.4375 / 7, c["frequency"], c["recency"], c["T"]),
                       "CLV, 12 months": float(clv["clv"].iloc[0])}, name="value")
    return Key(context=markdown_table(facts, 3))


@SET.text("q10", points=3, rubric="Contrasts the sBG projection S(12) with the constant-retention (exponential) "
          "projection on the student's cohort and says which is larger and why (heterogeneity: retention rises with "
          "tenure); draws the consequence for a manager's budget or valuation.")
def q10(survivors):
    sbg = models.ShiftedBetaGeo().fit(survivors)
    naive = models.naive_survival_projections(survivors, 12).loc[12]
    facts = pd.Series({"alpha": sbg.params_["alpha"], "beta": sbg.params_["beta"], "sBG S(12)": sbg.survival(12),
                       "exponential S(12)": naive["exponential"], "retention r(12)": sbg.retention_rate(12)},
                      name="value")
    return Key(context=markdown_table(facts, 3))
