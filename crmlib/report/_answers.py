"""The questions to answer before building a CRM system, answered from a report's own numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from crmlib.churn import CRM_QUESTIONS

if TYPE_CHECKING:  # pragma: no cover
    from crmlib.report._pipeline import Report

__all__ = ["crm_system_answers"]

#: Why each question of :data:`crmlib.churn.CRM_QUESTIONS` matters (what the answer decides).
_WHY: dict[str, str] = {
    "value proposition": "loyalty lasts only while the value a customer receives beats what switching would bring; if "
    "customers do not come back, better service software will not keep them, a better offer might.",
    "customisation": "one-to-one service costs staff time per customer, so it pays only where a customer's margin "
    "covers it.",
    "share of wallet": "a larger share of a customer's spending in the category (cross-selling, up-selling) adds value "
    "without the cost of winning a new customer; where that room lies decides where sales effort goes.",
    "tiers": "serving every customer the same overserves the small and underserves the best; service levels follow "
    "value and potential.",
    "cost and time": "a system pays back only if the value it protects or adds exceeds what it costs to build and run.",
    "why not before": "the analysis needs purchases linked to customers over a long enough period; often that data did "
    "not exist, or sat in separate systems, and the answer says what must be kept from now on.",
    "without technology": "social bonds are made by people, not software; a system only decides whom they should call.",
}

_TIERS = ("VIP", "major", "common", "minor")


def _tier_table(customers: pd.DataFrame) -> pd.DataFrame:
    grouped = customers.groupby("tier", observed=True).agg(
        customers=("revenue", "size"),
        revenue=("revenue", "sum"),
        current=("current_value", "sum"),
        potential=("potential_value", "sum"),
    )
    return grouped.reindex([t for t in _TIERS if t in grouped.index])


def _margin_per_year(report: Report, tiers: pd.DataFrame) -> pd.Series:
    """Each tier's margin per customer per year: margin rate x revenue / customers / years of the log."""
    years = report.key_figures["days"] / 365.25
    return report.settings.margin_rate * tiers["revenue"] / tiers["customers"] / years


def _value_proposition(report: Report, tiers: pd.DataFrame) -> tuple[str, str]:
    """Review the offer when fewer than half of the customers bought more than once."""
    kf = report.key_figures
    cohorts = report.tables.get("cohorts")
    kept_after = float(cohorts[1].mean()) if cohorts is not None and 1 in cohorts.columns else None
    period = str(cohorts.columns.name or "periods").split()[0].rstrip("s") if cohorts is not None else ""
    return (
        f"{kf['repeat_share']:.0%} of the customers bought more than once"
        + (
            f"; of each cohort, {kept_after:.0%} on average bought again in the {period} after their first"
            if kept_after is not None
            else ""
        )
        + f"; {kf['at_risk_customers']:,} valuable customers look lost.",
        "review the offer first: most customers never return."
        if kf["repeat_share"] < 0.5
        else "keep the proposition; work on the customers who drift away, not on the offer as a whole.",
    )


def _customisation(report: Report, tiers: pd.DataFrame) -> tuple[str, str] | None:
    """One-to-one service for the VIP and major tiers, below the major tier's margin per customer per year."""
    kf = report.key_figures
    margin_year = _margin_per_year(report, tiers)
    if not len(margin_year):
        return None
    top = tiers.loc[[t for t in ("VIP", "major") if t in tiers.index]]
    threshold = margin_year.iloc[min(1, len(margin_year) - 1)]
    years = kf["days"] / 365.25
    return (
        "margin per customer per year: "
        + ", ".join(f"{t} {v:,.2f}" for t, v in margin_year.items())
        + (f" (extrapolated from {kf['days']:,} day{'s' if kf['days'] != 1 else ''} of log)" if years < 1 else "")
        + ".",
        f"one-to-one service for the {int(top['customers'].sum()):,} VIP and major customers only, at less than "
        f"{threshold:,.0f} per customer per year; standard service for the rest.",
    )


def _share_of_wallet(report: Report, tiers: pd.DataFrame) -> tuple[str, str] | None:
    """The tiers with the most potential value per customer and in total (with potential values only)."""
    if not (report.customers["potential_value"].notna().any() and len(tiers)):
        return None
    per_customer = tiers["potential"] / tiers["customers"]
    return (
        "potential value (margin the customers could add at a reachable level) per customer: "
        + ", ".join(f"{t} {v:,.2f}" for t, v in per_customer.items())
        + f"; in total {tiers['potential'].sum():,.0f} against a current value of {tiers['current'].sum():,.0f}.",
        f"yes, it differs by tier: the most room per customer is in the {per_customer.idxmax()} tier, the most in "
        f"total in the {tiers['potential'].idxmax()} tier."
        if len(tiers) > 1
        else f"this log has customers in one tier only ({tiers.index[0]}): no comparison between tiers yet.",
    )


def _tiers(report: Report, tiers: pd.DataFrame) -> tuple[str, str] | None:
    """The strategy of each quadrant of the value-potential matrix (with the quadrant table only)."""
    quadrants = report.tables.get("quadrants")
    if quadrants is None:
        return None
    return (
        "; ".join(f"{q} {int(r['customers']):,} customers" for q, r in quadrants.iterrows()) + ".",
        "main resources to platinum, retention to gold, development to iron, low-cost service to lead (the "
        "strategy column of the quadrant table).",
    )


def _cost_and_time(report: Report, tiers: pd.DataFrame) -> tuple[str, str]:
    """Each 1% added to the customer equity is worth CE / 100, the payback threshold; without it, a longer log."""
    kf = report.key_figures
    equity = kf.get("customer_equity")
    horizon = f"{report.settings.horizon_months:g} months"
    campaign = (
        f"; the retention campaign alone is expected to earn {kf['campaign_expected_profit']:,.0f} (illustrative: "
        "its success rate and costs are assumptions)"
        if "campaign_customers" in kf
        else ""
    )
    if equity is not None:
        return (
            f"the customer equity of the next {horizon} is {equity:,.0f}; every 1% more is {equity / 100:,.0f}"
            + campaign
            + ".",
            f"each 1% the system adds to the customer equity is worth {equity / 100:,.0f} per {horizon}, so a system "
            "costing K per period pays back only if it adds more than K divided by that; set the target before buying.",
        )
    margin = f"{kf['margin']:,.0f}" if kf.get("margin") is not None else "unknown"
    return (
        f"the forecast is not trusted ({kf.get('customer_equity_missing_because')}); the margin of the whole log "
        f"is {margin}" + campaign + ".",
        "collect a longer log before pricing the system on forecasts.",
    )


def _why_not_before(report: Report, tiers: pd.DataFrame) -> tuple[str, str]:
    """Whether the purchase model is trusted on this log."""
    kf = report.key_figures
    purchase_model = report.models["bg_nbd"]
    reasons = f" ({'; '.join(purchase_model.reasons)})" if purchase_model.reasons else ""
    return (
        f"this log links {kf['rows_kept']:,} rows to {kf['customers']:,} customers over {kf['days']:,} days; the "
        f"purchase model is {purchase_model.status}{reasons}.",
        "the data now support the analysis; keep the customer id on every sale."
        if purchase_model.trusted
        else "the data do not yet support forecasts; keep the customer id on every sale and a longer history.",
    )


def _without_technology(report: Report, tiers: pd.DataFrame) -> tuple[str, str]:
    """The size of the VIP tier a named contact can look after."""
    kf = report.key_figures
    vip = int(tiers.loc["VIP", "customers"]) if "VIP" in tiers.index else 0
    return (
        f"the VIP tier has {vip:,} customers and the at-risk list {kf['at_risk_customers']:,}.",
        f"a named contact can look after the {vip:,} VIP customers by hand today; choosing whom to call among "
        f"{kf['customers']:,} customers is what needs the data.",
    )


#: The answer to each question of :data:`crmlib.churn.CRM_QUESTIONS`: what the log shows and the answer, or None
#: when the report cannot speak to it.
_ANSWERS: dict[str, Callable[[Report, pd.DataFrame], tuple[str, str] | None]] = {
    "value proposition": _value_proposition,
    "customisation": _customisation,
    "share of wallet": _share_of_wallet,
    "tiers": _tiers,
    "cost and time": _cost_and_time,
    "why not before": _why_not_before,
    "without technology": _without_technology,
}


def crm_system_answers(report: Report) -> pd.DataFrame:
    r"""Answer the questions to settle before building a CRM system, from a report's own numbers.

    Each question of :data:`crmlib.churn.CRM_QUESTIONS` that the report can speak to gets why it matters, what
    the log shows and an answer, decided by these rules:

    * *value proposition*: review the offer when the repeat-buyer share is below one half;
    * *customisation*: one-to-one service for the VIP and major tiers, at a cost below the major tier's margin per
      customer per year,

      .. math:: m_{\text{tier}} = \frac{\text{margin rate} \times \text{revenue of the tier}}
                {\text{customers of the tier} \times \text{years of the log}};

    * *share of wallet*: the tier with the most potential value per customer, and the one with the most in total
      (only when the report has potential values);
    * *tiers*: the strategy of each quadrant of the value-potential matrix (only when the report has one);
    * *cost and time*: each 1% the system adds to the customer equity :math:`CE` is worth :math:`CE / 100` per
      horizon, the payback threshold; without a trusted forecast, collect a longer log first;
    * *why not before*: whether the purchase model is trusted on this log;
    * *without technology*: the size of the VIP tier a named contact can look after.

    Parameters
    ----------
    report : crmlib.report.Report
        What :func:`crmlib.report.make_report` returned; only read.

    Returns
    -------
    DataFrame
        Index ``key`` (the keys of :data:`crmlib.churn.CRM_QUESTIONS`, in its order, those the report can
        answer); columns ``question``, ``why`` (what the answer decides), ``on_this_log`` (the report's numbers,
        money as margin unless it says revenue) and ``answer``. Pass ``result["answer"]`` to
        :func:`crmlib.churn.crm_checklist` for the checklist.

    Notes
    -----
    The rules are the course's reading of the questions (Buttle and Maklan 2019, ch. 2 and 3; Zeithaml, Rust and
    Lemon 2001 for the tiers), stated so that another firm's report gives another answer; they are a starting
    point for the discussion, not a verdict.

    References
    ----------
    Buttle, F. and Maklan, S. (2019). *Customer Relationship Management: Concepts and Technologies*, 4th ed.
    Routledge.
    Zeithaml, V. A., Rust, R. T. and Lemon, K. N. (2001). The customer pyramid: creating and serving profitable
    customers. *California Management Review* 43(4), 118-142.

    Examples
    --------
    >>> from crmlib.datasets import load_transactions
    >>> from crmlib.report import make_report
    >>> report = make_report(load_transactions().head(5_000), interval_draws=0)
    >>> answers = crm_system_answers(report)
    >>> list(answers.columns)
    ['question', 'why', 'on_this_log', 'answer']
    >>> answers.loc["why not before", "answer"]
    'the data now support the analysis; keep the customer id on every sale.'
    """
    tiers = _tier_table(report.customers)
    answers = {key: answer(report, tiers) for key, answer in _ANSWERS.items()}
    rows = {key: row for key, row in answers.items() if row is not None}
    keys = [k for k in CRM_QUESTIONS if k in rows]
    return pd.DataFrame(
        {
            "question": [CRM_QUESTIONS[k]["question"] for k in keys],
            "why": [_WHY[k] for k in keys],
            "on_this_log": [rows[k][0] for k in keys],
            "answer": [rows[k][1] for k in keys],
        },
        index=pd.Index(keys, name="key"),
    )
