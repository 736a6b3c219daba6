"""Exercises 00: the transaction log and the customer summary (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import datasets, rfm
from crmlib.exercises.model import ExerciseSet, Key, markdown_table
from crmlib.exercises.sets._data import split_purchases

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

WEEK = 7


def given(seed: int) -> dict:
    """A log of 200 customers (some purchases in two rows of one day), one customer to summarise, three to compare."""
    rng = np.random.default_rng(seed)
    tx = datasets.make_retail(n_customers=200, seed=seed).transactions
    summary = rfm.summarize(tx)
    pool = summary.index[summary["frequency"].between(2, 6)]
    customer_x = str(rng.choice(pool))
    tx = split_purchases(tx, seed, also=[customer_x])
    repeaters = summary.index[(summary["frequency"] > 0) & (summary.index != customer_x)]
    for _ in range(200):  # three repeat buyers whose smallest recency is not the longest silence
        three = [str(c) for c in rng.choice(repeaters, size=3, replace=False)]
        s = summary.loc[three]
        if s["recency"].idxmin() != (s["T"] - s["recency"]).idxmax():
            break
    return {"tx": tx, "customer_x": customer_x, "three": three, "unit": "W"}


SET = ExerciseSet("00_start_here", "Start here", given)


def _days(tx: pd.DataFrame, customer: str) -> pd.Series:
    """The purchase days of one customer (amounts of one day added up), by hand."""
    return tx[tx["customer_id"] == customer].groupby("date")["amount"].sum().sort_index()


@SET.number("q1", variable="occasions")
def q1(tx):
    occasions = len(tx.drop_duplicates(["customer_id", "date"]))
    return Key(occasions, explain="Every later chapter counts purchase occasions, not rows.", mistakes={
        "You counted rows of the log; two rows of one customer on one day are one purchase occasion.": len(tx),
        "That is the number of customers; each customer has one or more purchase occasions.":
            tx["customer_id"].nunique(),
        "You counted the distinct days of the log; an occasion is one customer on one day.": tx["date"].nunique()})


@SET.number("q2", variable="frequency_x")
def q2(tx, customer_x):
    days = _days(tx, customer_x)
    rows = int((tx["customer_id"] == customer_x).sum())
    return Key(len(days) - 1, explain="Frequency counts REPEAT purchase days: the first purchase is not a repeat.",
               mistakes={
        "You counted every purchase day; the frequency leaves out the first one (equation 1).": len(days),
        "You counted rows, and the first purchase too; purchases on the same day are one purchase day.": rows})


@SET.number("q3", variable="recency_x", points=2, unit="weeks")
def q3(tx, customer_x):
    days = _days(tx, customer_x)
    end = tx["date"].max()
    recency = (days.index[-1] - days.index[0]).days
    return Key(recency / WEEK, explain="A large recency is good news: the customer was still buying late.", mistakes={
        "That is in days; the question asks for weeks (days / 7).": recency,
        "That is the time since the LAST purchase (T - recency); recency runs from the first purchase to the last.":
            (end - days.index[-1]).days / WEEK,
        "That is in months of 30.4375 days; the question asks for weeks.": recency / 30.4375})


@SET.number("q4", variable="T_x", unit="weeks")
def q4(tx, customer_x):
    days = _days(tx, customer_x)
    end = tx["date"].max()
    age = (end - days.index[0]).days
    return Key(age / WEEK, explain="T is how long the log could have seen this customer buy.", mistakes={
        "That is in days; the question asks for weeks (days / 7).": age,
        "You measured from the first day of the LOG; T runs from the customer's first purchase.":
            (end - tx["date"].min()).days / WEEK,
        "You stopped at the customer's last purchase (that is the recency); T runs to the end of the log.":
            (days.index[-1] - days.index[0]).days / WEEK})


@SET.number("q5", variable="monetary_x", points=2, unit="currency units")
def q5(tx, customer_x):
    days = _days(tx, customer_x)
    rows = tx[tx["customer_id"] == customer_x].sort_values("date", kind="stable")
    return Key(days.iloc[1:].mean(), explain="The first purchase is often different (a welcome offer), so it is left "
                                             "out.", mistakes={
        "You included the first purchase day; the monetary value is the mean of the REPEAT purchase days.":
            days.mean(),
        "You averaged rows; add up the rows of one day first (one purchase occasion, one amount).":
            rows.loc[rows["date"] != days.index[0], "amount"].mean(),
        "That is the total repeat spend; the monetary value is its mean per repeat purchase day.": days.iloc[1:].sum()})


@SET.number("q6", variable="one_day_share")
def q6(tx):
    days = tx.groupby("customer_id")["date"].nunique()
    rows = tx.groupby("customer_id").size()
    return Key((days == 1).mean(), explain="Winning the second purchase is the first battle of customer management.",
               mistakes={
        "You counted customers with one ROW; a customer with two rows on one day also bought on one day only.":
            (rows == 1).mean(),
        "That is the number of such customers; the question asks for their share of all customers.":
            int((days == 1).sum()),
        "That is the share who came back (bought on two days or more).": (days > 1).mean()})


@SET.choice("q7", variable="longest_silent", points=1)
def q7(tx, three):
    s = rfm.summarize(tx, unit="W").loc[three]
    silence = s["T"] - s["recency"]
    right = str(silence.idxmax())
    hints = {}
    if s["recency"].idxmin() != right:
        hints[str(s["recency"].idxmin())] = ("That customer has the smallest recency, but recency runs from the FIRST "
                                             "purchase; the time since the last purchase is T - recency.")
    if s["T"].idxmax() != right:
        hints.setdefault(str(s["T"].idxmax()), "That customer is the oldest (largest T), not the longest silent.")
    for c in three:
        if c != right:
            hints.setdefault(c, "Compare T - recency, the weeks since the last purchase, for the three.")
    return Key(right, hints, choices=tuple(three), explain="A large T - recency is the warning sign: chapter 05 turns "
                                                           "it into the probability the customer is still active.")


@SET.text("q8", points=3, rubric="Quotes the share of customers who bought on one day only (question 6) and the mean "
          "purchase days per customer; says what it means for the firm (the second purchase is the first battle); "
          "names one reason the share may be inflated (customers acquired near the end of the log have had little "
          "time to come back) and how to check it (compare by month of first purchase).")
def q8(tx):
    days = tx.groupby("customer_id")["date"].nunique()
    first = tx.groupby("customer_id")["date"].min()
    late = first > tx["date"].max() - pd.Timedelta(days=90)
    facts = pd.Series({"customers": len(days), "bought on one day only": (days == 1).mean(),
                       "mean purchase days": days.mean(), "first purchase in the last 90 days": late.mean(),
                       "one day only, among those": (days[late] == 1).mean() if late.any() else float("nan")},
                      name="value")
    return Key(context=markdown_table(facts, 3))


@SET.text("q9", points=3, rubric="Compares the mean and the median amount per purchase occasion and says spend is "
          "right-skewed (the mean above the median); says which to quote for planning a campaign on typical "
          "customers (the median) and when the mean is right (totals: revenue = mean x occasions); notes that a few "
          "large baskets drive the mean.")
def q9(tx):
    amounts = tx.groupby(["customer_id", "date"])["amount"].sum()
    facts = pd.Series({"mean per occasion": amounts.mean(), "median per occasion": amounts.median(),
                       "largest": amounts.max(), "share of revenue from the top 10% of occasions":
                       amounts.nlargest(max(1, len(amounts) // 10)).sum() / amounts.sum()}, name="value")
    return Key(context=markdown_table(facts, 2))
