"""Exercises 07: customer dynamics, stages, cohorts, retention and re-activation (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import datasets, lifecycle
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

READING_DAY = "2024-03-31"
LAPSE_DAYS = 180


def given(seed: int) -> dict:
    """A log of 300 customers, the stage thresholds and value settings, and two customers."""
    tx = datasets.make_retail(n_customers=300, seed=seed).transactions
    # the day of the stage questions: near READING_DAY, on a day when some customer's last purchase was exactly
    # lapse_days before (so that "more than" and "at least" lapse_days give different answers)
    days = tx["date"].dt.normalize()
    near = pd.date_range(pd.Timestamp(READING_DAY) - pd.Timedelta(days=30), pd.Timestamp(READING_DAY))
    exact = [sum((day - days[days <= day].groupby(tx["customer_id"]).max()).dt.days == LAPSE_DAYS) for day in near]
    reading_day = near[int(np.argmax(exact))]
    rng = np.random.default_rng(seed)
    acquired = np.sort(tx.loc[tx["date"] <= reading_day, "customer_id"].unique())
    customer_x = str(rng.choice(acquired))
    end = tx["date"].max()
    recent_buyers = np.sort(tx.loc[tx["date"] > end - pd.Timedelta(days=365), "customer_id"].unique())
    customer_y = str(rng.choice(recent_buyers))
    return {"tx": tx, "reading_day": reading_day, "lapse_days": LAPSE_DAYS, "long_term_days": 365, "margin_rate": 0.3,
            "discount_rate": 0.10, "horizon_years": 3, "customer_x": customer_x, "customer_y": customer_y, "end": end}


SET = ExerciseSet("07_customer_dynamics", "Customer dynamics", given)


@SET.number("q1", variable="lapsed_share", points=2)
def q1(tx, reading_day, lapse_days, long_term_days):
    st = lifecycle.stages_at(tx, reading_day, lapse_days=lapse_days, long_term_days=long_term_days)
    at_end = lifecycle.stages_at(tx, lapse_days=lapse_days, long_term_days=long_term_days)
    return Key((st["stage"] == "lapsed").mean(), explain="Lapsed customers are still on the books but no longer "
                                                         "buying; the share moves with lapse_days.", mistakes={
        "You read the stages at the last date of the log, not at reading_day.": (at_end["stage"] == "lapsed").mean(),
        "You counted exactly lapse_days days without purchase as lapsed; lapsed is strictly more.":
            (st["days_since_last"] >= lapse_days).mean()})


@SET.choice("q2", variable="stage_x", choices=lifecycle.STAGES, points=2)
def q2(tx, reading_day, lapse_days, long_term_days, customer_x):
    row = lifecycle.stages_at(tx, reading_day, lapse_days=lapse_days, long_term_days=long_term_days).loc[customer_x]
    no_lapse = lifecycle.stages_at(tx, reading_day, lapse_days=10**6, long_term_days=long_term_days).loc[customer_x,
                                                                                                           "stage"]
    at_end = lifecycle.stages_at(tx, lapse_days=lapse_days, long_term_days=long_term_days).loc[customer_x, "stage"]
    hints = {}
    if at_end != row["stage"]:
        hints[at_end] = "That is the stage at the end of the log; use only the purchases up to reading_day."
    if no_lapse != row["stage"]:
        hints[no_lapse] = ("Check the lapse rule first: the last purchase was more than lapse_days days before "
                           "reading_day.")
    return Key(str(row["stage"]), hints, explain=f"{row['purchases']} purchase days, tenure {row['tenure_days']} days, "
                                                 f"last purchase {row['days_since_last']} days before.")


@SET.number("q3", variable="q1_active_next", points=2)
def q3(tx):
    share = lifecycle.cohort_matrix(tx, period="Q", metric="retention").loc["2023Q1", 1]
    count = lifecycle.cohort_matrix(tx, period="Q", metric="customers").loc["2023Q1", 1]
    first = tx.groupby("customer_id")["date"].min()
    members = first.index[first.dt.to_period("Q") == pd.Period("2023Q1")]
    later = tx[tx["customer_id"].isin(members) & (tx["date"].dt.to_period("Q") > pd.Period("2023Q1"))]
    window = tx.merge(first.rename("first"), left_on="customer_id", right_index=True)
    window = window[window["customer_id"].isin(members) & (window["date"] > window["first"])
                    & (window["date"] <= window["first"] + pd.Timedelta(days=91))]
    return Key(share, explain="The drop from 100% in the acquisition quarter to this share is the first-repeat hurdle.",
               mistakes={
        "That is the number of active customers; divide by the size of the cohort.": count,
        "That is the share who ever bought again in any later quarter; the question asks for 2023Q2 only.":
            later["customer_id"].nunique() / len(members),
        "You used the 91 days after each customer's first purchase; cohort periods are calendar quarters.":
            window["customer_id"].nunique() / len(members)})


@SET.number("q4", variable="annual_retention", points=2)
def q4(tx):
    end = tx["date"].max()
    last = set(tx.loc[tx["date"] > end - pd.Timedelta(days=365), "customer_id"])
    before = set(tx.loc[(tx["date"] > end - pd.Timedelta(days=730)) & (tx["date"] <= end - pd.Timedelta(days=365)),
                        "customer_id"])
    return Key(lifecycle.annual_retention(tx), explain="A per-year rate of the base; current value does not use it "
                                                       "(it holds the present behaviour, retention 1).", mistakes={
        "You divided by last year's buyers; the base is the buyers of the year before last.":
            len(last & before) / len(last),
        "That is the share lost (1 - retention), not the share kept.": 1 - lifecycle.annual_retention(tx)})


@SET.number("q5", variable="current_y", points=2)
def q5(tx, customer_y, margin_rate, discount_rate, horizon_years):
    values = lifecycle.customer_values(tx, margin_rate=margin_rate, retention=1.0, discount_rate=discount_rate,
                                       horizon_years=horizon_years)
    right = values.loc[customer_y, "current"]
    run_rate = values.loc[customer_y, "run_rate"]
    d, years = discount_rate, np.arange(1, horizon_years + 1)
    kept = lifecycle.annual_retention(tx)
    return Key(right, explain="What the present behaviour brings if nothing changes (retention 1).", mistakes={
        "You used revenue instead of margin: multiply by margin_rate.": right / margin_rate,
        "You did not discount: each year's margin is divided by (1 + discount_rate) to the power t.":
            run_rate * horizon_years,
        "You counted this year's margin as well (t = 0 to H - 1); the first margin comes in a year (t = 1 to H).":
            run_rate * float(np.sum((1 + d) ** -(years - 1))),
        "You valued the margin without an end (the perpetuity); current value counts horizon_years years.":
            run_rate / d,
        "You applied the measured annual retention; current value holds the present behaviour unchanged "
        "(retention 1), a figure with retention below 1 is a different, more prudent measure.":
            run_rate * float(np.sum((kept / (1 + d)) ** years))})


@SET.choice("q6", variable="first_call")
def q6(tx, margin_rate, discount_rate, horizon_years):
    values = lifecycle.customer_values(tx, margin_rate=margin_rate, retention=1.0, discount_rate=discount_rate,
                                       horizon_years=horizon_years)
    best = lifecycle.reactivation_candidates(values, top=1).index[0]
    lapsed = values[values["stage"] == "lapsed"]
    hints = {lapsed["historical"].idxmax(): "That customer has the largest historical value; the rule ranks by upside "
                                            "(the potential value), what winning them back would add from now on."}
    top_upside = values["upside"].idxmax()
    if values.loc[top_upside, "stage"] != "lapsed":
        hints[top_upside] = "That customer has the largest upside overall, but is not lapsed."
    hints.pop(best, None)
    return Key(str(best), hints, explain="Rank by what re-activation would add, then compare it with the cost of the "
                                         "campaign.", choices=tuple(str(c) for c in values.index))


@SET.choice("q7", variable="phase_x", choices=lifecycle.PHASES)
def q7(tx, reading_day, lapse_days, long_term_days, customer_x):
    ph = lifecycle.relationship_phases(tx, reading_day, window_days=lapse_days, long_term_days=long_term_days)
    right = str(ph.loc[customer_x, "phase"])
    hints = {
        "awareness": "Awareness is before any exchange; a customer in the log has already bought.",
        "commitment": "Commitment needs a long tenure (long_term_days or more) with steady buying.",
        "dissolution": "Dissolution means no purchase in the last window, or buying fallen below half the window "
                       "before.",
        "exploration": "Exploration is at most two purchase days so far (trial buying).",
        "expansion": "Expansion is an active repeat buyer (more than two purchase days) with a short tenure."}
    hints.pop(right, None)
    return Key(right, hints, explain="The phases describe a relationship; the log shows them only through this proxy.")


@SET.text("q8", points=3, rubric="Uses the top lapsed customers by upside to decide whom to call; sets a budget per "
          "customer below the upside (and below the chance-weighted gain); proposes the offer and what to check first "
          "(why they lapsed, whether they are reachable).")
def q8(tx, margin_rate, discount_rate, horizon_years):
    values = lifecycle.customer_values(tx, margin_rate=margin_rate, retention=1.0, discount_rate=discount_rate,
                                       horizon_years=horizon_years)
    top = lifecycle.reactivation_candidates(values, top=10)
    cols = [c for c in ("historical", "current", "potential", "upside") if c in top.columns]
    return Key(context=markdown_table(top[cols]))


@SET.text("q9", points=3, rubric="Reads the quarterly cohort retention table; names the period with the largest drop "
          "(usually the first quarter after acquisition: the first-repeat hurdle) and proposes one action timed for "
          "it; says how the next cohorts would show whether it worked.")
def q9(tx):
    table = lifecycle.cohort_matrix(tx, period="Q", metric="retention")
    table = table.loc[:, [c for c in table.columns if c in (0, 1, 2, 3, 4)]]
    table.index = table.index.astype(str)
    return Key(context=markdown_table(table.head(8)))
