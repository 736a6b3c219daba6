"""Exercises 02: relationship marketing, the four types and the lenses on a log (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import datasets, relationship, rfm
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

SCENARIOS = {
    "transactional": "A petrol-station chain cuts its price per litre to win the drivers passing by; its tills record "
                     "sales by station and day, not who bought.",
    "database": "A supermarket chain uses its loyalty-card records to mail each cardholder coupons matched to what "
                "they buy, and tracks each cardholder's acquisition cost and lifetime value.",
    "interaction": "An industrial supplier gives each large client a key-account manager who meets the client's buyers "
                   "in person and adapts the offer to them over the years.",
    "network": "A car maker builds long-term partnerships with its parts suppliers and dealers: they share forecasts "
               "and develop new models together.",
}


def _alike(firms: pd.DataFrame, items: dict, seed: int, keep: str) -> pd.DataFrame:
    """The survey with one pluralistic firm (not ``keep``) answering its two types' items alike.

    Its two type scores tie, so the margin applied to sums of the nine items (which only catches ties, the scores
    being ninths) finds a firm on every seed. The firm is drawn on a random stream of its own: the seed's other data
    stay as they were.
    """
    rng = np.random.default_rng([seed, 2])
    plural = firms.index[(firms["true_type"] == "pluralistic") & (firms.index != keep)]
    if not len(plural):
        return firms
    chosen = plural[rng.integers(len(plural))]
    one, two = firms.loc[chosen, "true_types"].split("+")
    out = firms.copy()
    out.loc[chosen, items[two]] = firms.loc[chosen, items[one]].to_numpy()
    return out


def given(seed: int) -> dict:
    """A simulated survey of 60 firms, a log of 300 customers, one firm and one scenario."""
    rng = np.random.default_rng(seed)
    firms = datasets.make_firm_survey(60, seed=seed)
    items = {k: list(v) for k, v in relationship.type_items(firms).items()}
    tx = datasets.make_retail(n_customers=300, seed=seed).transactions
    firm = firms.index[rng.integers(len(firms))]
    firms = _alike(firms, items, seed, keep=firm)
    scenario = list(SCENARIOS)[rng.integers(len(SCENARIOS))]
    return {"firms": firms, "items": items, "tx": tx, "firm": firm, "scenario_text": SCENARIOS[scenario]}


SET = ExerciseSet("02_relationship_marketing", "Relationship marketing", given)


@SET.number("q1", variable="db_score", unit="scale points")
def q1(firms, items, firm):
    row = firms.loc[firm]
    every = [c for cols in items.values() for c in cols]
    scores = relationship.type_scores(firms, items)
    return Key(scores.loc[firm, "database"], explain="A mean keeps the score on the 1-7 answer scale, whatever the "
                                                     "number of items.", mistakes={
        "You added the nine answers up; the score is their mean (eq. 2).": row[items["database"]].astype(float).sum(),
        "You averaged all the firm's items, of every type; take only the database items.":
            row[every].astype(float).mean(),
        "That is the firm's score for transactional marketing, not database marketing.":
            scores.loc[firm, "transactional"]})


@SET.number("q2", variable="plural_share", points=2)
def q2(firms, items):
    ordered = np.sort(relationship.type_scores(firms, items).to_numpy(), axis=1)
    plural = (relationship.classify_firms(firms, items, margin=0.5)["type"] == "pluralistic").mean()
    return Key(plural, explain="The margin is a policy choice: a wider one calls more firms pluralistic. Report it "
                               "with the count.", mistakes={
        "That is the TRUE share of pluralistic firms in the simulation (true_type); the question asks what the rule "
        "finds from the answers.": (firms["true_type"] == "pluralistic").mean(),
        "That is the share of firms classified as one pure type; the question asks for the pluralistic ones.":
            1 - plural,
        "You compared the highest score with the lowest; the rule compares the two highest.":
            (ordered[:, -1] - ordered[:, 0] < 0.5).mean(),
        "You applied the margin to sums of the nine items; the scores are means (eq. 2).":
            (9 * (ordered[:, -1] - ordered[:, -2]) < 0.5).mean()})


@SET.choice("q3", variable="scenario_type", choices=relationship.TYPES)
def q3(scenario_text):
    kind = next(k for k, text in SCENARIOS.items() if text == scenario_text)
    hints = {
        "transactional": "Transactional marketing is discrete exchanges with a mass market: it does not use who the "
                         "customer is. Here the firm knows (or works with) particular customers or partners.",
        "database": "Database marketing targets identified customers with data, at arm's length; here the relationship "
                    "is not (only) run from a customer database.",
        "interaction": "Interaction marketing is one-to-one, face-to-face between individuals of the two sides; nobody "
                       "meets in person here, or the relationship is between firms in a network.",
        "network": "Network marketing is about relationships among firms (suppliers, partners, distributors); here the "
                   "firm deals with its own customers."}
    return Key(kind, {wrong: hint for wrong, hint in hints.items() if wrong != kind},  # the right one is never shown
               explain=relationship.TYPE_PROFILES[kind]["relationship"].capitalize() + ".")


@SET.number("q4", variable="top_share", points=2)
def q4(tx):
    view = relationship.database_view(tx, top_share=0.2)
    n = round(0.2 * len(view))
    by_mv = view.sort_values("monetary_value", ascending=False, kind="stable").head(n)["total_spend"].sum() \
        / view["total_spend"].sum()
    return Key(view.attrs["top_revenue_share"], explain="The database lens finds the few identified customers worth "
                                                        "targeting with differentiated messages.", mistakes={
        "You ranked the customers by monetary_value (the mean of the repeat purchases); rank by total spend.": by_mv,
        "That is the share of the bottom 80% of customers; rank the highest spenders first.":
            1 - view.attrs["top_revenue_share"],
        "That is the share of customers who bought again (the other database measure), not a revenue share.":
            view.attrs["repeat_share"]})


@SET.number("q5", variable="ongoing_share", points=2)
def q5(tx):
    s = rfm.summarize(tx, unit="D")
    return Key(relationship.interaction_view(tx, min_purchases=4, min_tenure_days=365)["both"],
               explain="Purchases only stand in for personal contacts: contact reports would show the relationships "
                       "directly.", mistakes={
        "You required 4 REPEAT purchases (frequency >= 4); the first purchase counts too: frequency + 1 >= 4.":
            ((s["frequency"] >= 4) & (s["recency"] >= 365)).mean(),
        "You measured the span to the end of the log (T); it runs from the first to the LAST purchase (recency).":
            ((s["frequency"] + 1 >= 4) & (s["T"] >= 365)).mean(),
        "You counted customers meeting one of the two conditions; they must meet both.":
            ((s["frequency"] + 1 >= 4) | (s["recency"] >= 365)).mean()})


@SET.number("q6", variable="member_share", points=2)
def q6(tx):
    curve = relationship.membership_curve(tx, min_purchases=2, unit="M")
    s = rfm.summarize(tx, unit="M")
    long = s["T"] >= 24
    return Key(curve.loc[24, "share"], explain="The rest are still one-off buyers: loyalty programmes and bonds aim at "
                                               "that gap.", mistakes={
        "You divided by all customers; count only those observed for at least 24 months, so that recent customers do "
        "not pull the share down.": curve.loc[24, "members"] / len(s),
        "You counted every repeat buyer observed 24 months, also those whose second purchase came after month 24.":
            (s.loc[long, "frequency"] > 0).mean(),
        "You took the share of repeat buyers among all customers, at any time.": (s["frequency"] > 0).mean()})


@SET.choice("q7", variable="unmeasurable", choices=relationship.TYPES)
def q7(tx):
    lens = relationship.lenses(tx)
    missing = lens.index[lens["value"].isna()][0]
    return Key(missing, explain=lens.loc[missing, "note"].capitalize() + ".", mistakes={
        "transactional": "The transactional lens needs only the sales: revenue per transaction comes from any till.",
        "database": "The database lens is what a customer log is made for: RFM, top customers, repeat buying.",
        "interaction": "The interaction lens can be approximated from a log: repeated purchases over a long span stand "
                       "in for personal contacts."})


@SET.text("q8", points=3, rubric="Reads the firm's four type scores and applies the rule with m = 0.5 (pure type or "
          "pluralistic); recommends where the firm should invest next and why, tied to its scores and to what that "
          "type needs (data, people, partners); notes one cost or risk.")
def q8(firms, items, firm):
    scores = relationship.type_scores(firms, items).loc[[firm]]
    kind = relationship.classify_firms(firms, items, margin=0.5).loc[firm, "type"]
    return Key(context=markdown_table(scores.assign(classified=kind)))


@SET.text("q9", points=3, rubric="Uses the database and interaction lenses of the student's log (top 20% share, "
          "ongoing share, membership share) to name which customers to move to a relationship programme; proposes "
          "a concrete programme and says what the log cannot show (contacts, attitudes).")
def q9(tx):
    view = relationship.database_view(tx, top_share=0.2)
    facts = pd.Series({
        "top 20% revenue share": view.attrs["top_revenue_share"],
        "repeat share": view.attrs["repeat_share"],
        "ongoing share (4+ days, 365+ days span)":
            relationship.interaction_view(tx, min_purchases=4, min_tenure_days=365)["both"],
        "members within 24 months": relationship.membership_curve(tx, min_purchases=2, unit="M").loc[24, "share"],
    }, name="value")
    return Key(context=markdown_table(facts, 3))
