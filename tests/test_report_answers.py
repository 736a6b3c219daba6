"""crmlib.report.crm_system_answers: the questions before a CRM system, answered from a report's numbers.

Each rule is shown to turn with its input: the same report with one number changed gives another answer.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from crmlib.churn import CRM_QUESTIONS, crm_checklist
from crmlib.datasets import load_transactions
from crmlib.report import ModelStatus, crm_system_answers, make_report


@pytest.fixture(scope="module")
def report():
    return make_report(load_transactions().head(5_000), interval_draws=0, margin_rate=0.3)


def changed(report, **key_figures):
    return dataclasses.replace(report, key_figures={**report.key_figures, **key_figures})


def test_every_question_is_answered_from_the_report(report):
    answers = crm_system_answers(report)
    assert list(answers.index) == list(CRM_QUESTIONS)
    assert list(answers.columns) == ["question", "why", "on_this_log", "answer"]
    assert (answers["answer"].str.len() > 0).all()
    kf = report.key_figures
    assert (
        f"{kf['repeat_share']:.0%} of the customers bought more than once"
        in answers.loc["value proposition", "on_this_log"]
    )
    assert f"{kf['customers']:,} customers" in answers.loc["without technology", "answer"]
    assert crm_checklist(answers["answer"])["answered"].all()


def test_the_value_proposition_turns_on_the_repeat_share(report):
    many = crm_system_answers(changed(report, repeat_share=0.66)).loc["value proposition", "answer"]
    few = crm_system_answers(changed(report, repeat_share=0.2)).loc["value proposition", "answer"]
    assert many.startswith("keep the proposition") and few.startswith("review the offer")


def test_customisation_threshold_is_the_major_tier_margin_per_year(report):
    c = report.customers
    major = c[c["tier"] == "major"]
    margin_year = 0.3 * major["revenue"].sum() / len(major) / (report.key_figures["days"] / 365.25)
    answer = crm_system_answers(report).loc["customisation", "answer"]
    assert f"at less than {margin_year:,.0f} per customer per year" in answer
    richer = dataclasses.replace(report, settings=dataclasses.replace(report.settings, margin_rate=0.6))
    assert f"at less than {2 * margin_year:,.0f} per" in crm_system_answers(richer).loc["customisation", "answer"]


def test_payback_needs_a_forecast(report):
    equity = report.key_figures["customer_equity"]
    assert f"worth {equity / 100:,.0f} per 12 months" in crm_system_answers(report).loc["cost and time", "answer"]
    without = changed(report, customer_equity=None, customer_equity_missing_because="the log is too short")
    answers = crm_system_answers(without)
    assert answers.loc["cost and time", "answer"] == "collect a longer log before pricing the system on forecasts."
    assert "the log is too short" in answers.loc["cost and time", "on_this_log"]


def test_why_not_before_follows_the_purchase_model(report):
    assert crm_system_answers(report).loc["why not before", "answer"].startswith("the data now support")
    doubtful = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    doubtful.record("holdout forecast", False, "the holdout forecast missed by 40%", "a longer log")
    other = dataclasses.replace(report, models={**report.models, "bg_nbd": doubtful})
    answers = crm_system_answers(other)
    assert answers.loc["why not before", "answer"].startswith("the data do not yet support forecasts")
    assert "not trusted (the holdout forecast missed by 40%)" in answers.loc["why not before", "on_this_log"]


def test_share_of_wallet_names_the_tiers_with_the_most_room(report):
    answers = crm_system_answers(report)
    c = report.customers
    per_customer = c.groupby("tier", observed=True)["potential_value"].mean()
    total = c.groupby("tier", observed=True)["potential_value"].sum()
    assert (
        f"most room per customer is in the {per_customer.idxmax()} tier, the most in total in the {total.idxmax()} tier"
    ) in answers.loc["share of wallet", "answer"]
    # A base whose minor customers hold all the potential moves the first answer.
    moved = c.assign(potential_value=c["potential_value"].where(c["tier"] == "minor", 0.0))
    answer = crm_system_answers(dataclasses.replace(report, customers=moved)).loc["share of wallet", "answer"]
    assert "most room per customer is in the minor tier" in answer


def test_sections_the_report_lacks_are_left_out(report):
    c = report.customers.assign(potential_value=float("nan"))
    tables = {k: v for k, v in report.tables.items() if k != "quadrants"}
    answers = crm_system_answers(dataclasses.replace(report, customers=c, tables=tables))
    assert "share of wallet" not in answers.index and "tiers" not in answers.index
    assert "value proposition" in answers.index


def test_the_report_is_only_read(report):
    before = report.customers.copy()
    crm_system_answers(report)
    pd.testing.assert_frame_equal(report.customers, before)


def test_a_one_day_log_says_its_yearly_margin_is_extrapolated_and_claims_no_tier_difference():
    tx = load_transactions()
    one_day = make_report(tx[tx["date"] == tx["date"].min()], interval_draws=0)
    answers = crm_system_answers(one_day)
    days = one_day.key_figures["days"]
    assert f"extrapolated from {days:,} day" in answers.loc["customisation", "on_this_log"]
    if "share of wallet" in answers.index:
        assert "differs by tier" not in answers.loc["share of wallet", "answer"]
        assert "one tier" in answers.loc["share of wallet", "answer"]
