"""Chapters 08 and 09 on logs that cannot support every section: each section that cannot run says why, the rest runs.

A short log (the last 85 days of the bundled one), a log without repeat buyers (each customer's first purchase), and
chapter 08 on a user's log with the user's own customer file (drivers and a churn flag) or without one (the driver
section is then illustrative and never ranks the user's customers).
"""

from __future__ import annotations

import pandas as pd
import pytest
from chapter_harness import CHAPTERS, error_outputs, run

from crmlib.datasets import load_churn, load_transactions

CHAPTER = {c.number: c for c in CHAPTERS}


def _text(nb) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            out.append(o.get("text", "") + str(o.get("data", {}).get("text/markdown", "")))
            out.append(str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(out)


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    tx = load_transactions()
    short = tx[tx["date"] > tx["date"].max() - pd.Timedelta(days=85)]
    short.to_csv(folder / "short.csv", index=False)
    tx.sort_values("date").drop_duplicates("customer_id").to_csv(folder / "first_purchases.csv", index=False)
    tx.to_csv(folder / "full.csv", index=False)
    study = load_churn().reset_index().rename(columns={"customer_id": "Kunde", "churned": "left"})
    study["country"] = "FR"  # text: not a driver
    study.to_csv(folder / "customers.csv", index=False)
    return folder


@pytest.mark.spread(cost=3)
def test_chapter_08_on_a_short_log_says_what_it_skips(logs, tmp_path):
    nb = run(CHAPTER["08"], {"data_path": str(logs / "short.csv")}, tmp_path)
    assert not error_outputs(nb)
    text = _text(nb)
    assert "Skipped: the churn rate per period, because the log covers 84 days" in text
    assert "Skipped: the P(alive) rule, because" in text
    assert "Skipped: the retention campaign, because" in text
    assert "The churn-driver section is ILLUSTRATIVE" in text and "not the customers of your log" in text
    assert "Illustrative: points of churn on simulated customers; not valued in the money of your log." in text


@pytest.mark.spread(cost=3)
def test_chapter_08_without_repeat_buyers_runs_the_rest(logs, tmp_path):
    nb = run(CHAPTER["08"], {"data_path": str(logs / "first_purchases.csv")}, tmp_path)
    assert not error_outputs(nb)
    text = _text(nb)
    assert "no customer bought twice, and P(alive) is learned from repeat purchases" in text
    assert "periods; mean churn rate of the last" in text  # the churn rates run: the log is long
    assert "No customer bought on two days" in text


@pytest.mark.spread(cost=3)
def test_chapter_08_uses_the_users_own_customer_file(logs, tmp_path):
    params = {"data_path": str(logs / "full.csv"), "customers_path": str(logs / "customers.csv"),
              "customers_id_col": "Kunde", "churn_col": "left"}
    nb = run(CHAPTER["08"], params, tmp_path)
    assert not error_outputs(nb)
    text = _text(nb)
    assert "The churn drivers come from your customer file (2,205 customers)." in text
    assert "ILLUSTRATIVE" not in text
    assert "Churn risk: the driver model (" in text  # the user's customers ranked with the user's drivers


@pytest.mark.spread(cost=4)
def test_chapter_09_on_a_short_log_reports_the_models_status(logs, tmp_path):
    nb = run(CHAPTER["09"], {"data_path": str(logs / "short.csv"), "interval_draws": 0}, tmp_path)
    assert not error_outputs(nb)
    text = _text(nb)
    assert "BG/NBD" in text and ("not trusted" in text or "skipped" in text)
    assert "Do not budget on forecasts yet" in text
