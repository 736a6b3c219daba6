"""Real-shaped exports through ``crmlib report``: line items with cancellations and blank ids, two sheets, day-first,
month-first and mixed dates, a short log, a log where most customers are idle.

Each export is drawn from :func:`crmlib.datasets.make_retail` (true parameters known) and written the way a shop's
system writes it; the expected counts and revenues come from the generator's own frames, never from the report.
The ``crmlib run`` half runs every chapter on the line-item export with the same reader flags.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from report_harness import (
    customers_csv,
    line_item_export,
    report_json,
    retail,
    sha,
    simple_export,
    two_sheet_workbook,
)

from crmlib import cli

FAST = ["--interval-draws", "0", "--quiet"]


def _report(argv, capsys):
    code = cli.main(["report", *argv, *FAST])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def base():
    """1,200 customers over 2.5 years (the generator's defaults: BG/NBD r=0.5, alpha=8 weeks, a=0.8, b=4)."""
    return retail(1200, seed=7)


# --------------------------------------------------------------------------- line items


@pytest.fixture(scope="module")
def line_items(base, tmp_path_factory):
    folder = tmp_path_factory.mktemp("line_items")
    data = folder / "online_retail_II.csv"
    revenue = line_item_export(data, base)
    before = sha(data)
    out = folder / "report"
    code = cli.main(
        [
            "report",
            "--data",
            str(data),
            "--out",
            str(out),
            "--customer",
            "Customer ID",
            "--date",
            "InvoiceDate",
            "--quantity",
            "Quantity",
            "--price",
            "Price",
            "--invoice",
            "Invoice",
            "--interval-draws",
            "10",
            "--quiet",
        ]
    )
    return {"data": data, "before": before, "out": out, "code": code, "revenue": revenue, "truth": base}


def test_line_items_report_completes_with_trusted_models(line_items):
    assert line_items["code"] == 0
    meta = report_json(line_items["out"])
    assert {k: m["status"] for k, m in meta["models"].items()} == {"bg_nbd": "fitted", "gamma_gamma": "fitted"}
    assert all(check["passed"] for m in meta["models"].values() for check in m["checks"])
    kf = meta["key_figures"]
    lower, equity, upper = kf["customer_equity_lower_95"], kf["customer_equity"], kf["customer_equity_upper_95"]
    assert lower < equity < upper  # an interval around the estimate, from the 10 refits
    assert kf["interval_draws"] == 10


def test_line_items_revenue_nets_cancellations_and_drops_guests(line_items):
    customers = customers_csv(line_items["out"])
    expected = line_items["revenue"]
    assert sorted(customers.index) == sorted(expected.index)  # '12346.0' is customer '12346'; no blank id
    assert customers["revenue"].sort_index().to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9)
    meta = report_json(line_items["out"])
    assert meta["read"]["blank_customers_dropped"] == 40


def test_line_items_keep_the_per_customer_country(line_items):
    customers = customers_csv(line_items["out"])
    truth = line_items["truth"].customers.set_index("customer_id")["region"]
    ids = {f"{12345 + k}": cid for k, cid in enumerate(line_items["truth"].customers["customer_id"], start=1)}
    assert "Country" in customers.columns
    assert "StockCode" not in customers.columns and "Invoice" not in customers.columns  # vary within a customer
    assert (customers["Country"] == customers.index.map(lambda i: truth[ids[i]])).all()


def test_line_items_customers_table_has_every_decision_column(line_items):
    from crmlib.report import ACTIONS, CUSTOMER_COLUMNS

    customers = customers_csv(line_items["out"])
    assert list(customers.columns) == [*CUSTOMER_COLUMNS, "Country"]
    assert customers[["p_alive", "expected_purchases", "clv", "clv_lower_95", "clv_upper_95"]].notna().all().all()
    assert (customers["clv_lower_95"] <= customers["clv_upper_95"]).all()
    assert customers["action"].isin(list(ACTIONS.values())).all()
    risk = customers[customers["at_risk"]]
    assert (risk["p_alive"] < 0.5).all() and (risk["frequency"] > 0).all()
    assert risk["tier"].isin(["VIP", "major", "common"]).all()
    assert (risk["action"] == ACTIONS["at risk"]).all()
    assert risk["at_risk_rule"].str.startswith("P(alive) below 0.5").all()


def test_line_items_input_is_unchanged(line_items):
    assert sha(line_items["data"]) == line_items["before"]


def test_line_items_workbook_has_one_sheet_per_table_with_frozen_header(line_items):
    from openpyxl import load_workbook

    book = load_workbook(line_items["out"] / "report.xlsx", read_only=False)
    tables = sorted(p.stem for p in (line_items["out"] / "tables").glob("*.csv"))
    assert sorted(book.sheetnames) == tables
    sheet = book["customers"]
    assert sheet.freeze_panes == "B2"
    assert sheet["A1"].value == "customer_id" and sheet["A1"].font.bold
    assert sheet.max_row == len(customers_csv(line_items["out"])) + 1


# --------------------------------------------------------------------------- two sheets, date layouts


def test_two_sheet_workbook_reads_both_sheets(base, tmp_path, capsys):
    data = tmp_path / "orders.xlsx"
    revenue = two_sheet_workbook(data, base)
    out = tmp_path / "report"
    code, _, err = _report(
        [
            "--data",
            str(data),
            "--out",
            str(out),
            "--customer",
            "Customer ID",
            "--date",
            "InvoiceDate",
            "--amount",
            "Total",
            "--by",
            "Channel",
        ],
        capsys,
    )
    assert code == 0, err
    customers = customers_csv(out)
    assert customers["revenue"].sort_index().to_numpy() == pytest.approx(revenue.sort_index().to_numpy())
    by = pd.read_csv(out / "tables" / "by_Channel.csv", index_col=0)
    truth = base.customers["channel"].value_counts()
    assert by["customers"].sort_index().to_dict() == truth.sort_index().to_dict()
    assert report_json(out)["by"] == "Channel"


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y"], ids=["day-first", "month-first"])
def test_day_first_and_month_first_dates(base, tmp_path, capsys, fmt):
    data = tmp_path / "export.csv"
    revenue = simple_export(data, base, date_format=fmt)
    out = tmp_path / "report"
    code = cli.main(["report", "--data", str(data), "--out", str(out), "--customer", "Customer", "--date", "Date",
                     "--amount", "Total", "--interval-draws", "0"])
    err = capsys.readouterr().err
    assert code == 0, err
    # Progress an analyst can read, and nothing else on stderr (no warning from a library).
    lines = err.splitlines()
    assert all(re.match(r"\[ *\d+\.\d s\] [a-z]", line) for line in lines), err
    steps = " | ".join(lines)
    assert re.search(rf"read {len(base.transactions):,} rows: .* {len(base.customers):,} customers", steps), steps
    for step in ("reading export.csv", "fitting BG/NBD", "writing tables", "writing report.html"):
        assert step in steps, step
    # the workbook's step names its size: the cells of the tables it holds (each table's CSV, its index a column)
    tables = [pd.read_csv(path) for path in sorted((out / "tables").glob("*.csv"))]
    assert f"writing report.xlsx ({sum(t.size for t in tables):,} cells)" in steps, steps
    meta = report_json(out)
    tx = base.transactions
    assert (meta["period"]["first_day"], meta["period"]["last_day"]) == (
        str(tx["date"].min().date()),
        str(tx["date"].max().date()),
    )
    assert customers_csv(out)["revenue"].sort_index().to_numpy() == pytest.approx(revenue.sort_index().to_numpy())


def test_mixed_date_formats_are_read(base, tmp_path, capsys):
    data = tmp_path / "mixed.csv"
    tx = base.transactions
    dates = [d.strftime("%Y-%m-%d") if k % 2 else d.strftime("%d.%m.%Y") for k, d in enumerate(tx["date"])]
    pd.DataFrame({"Customer": tx["customer_id"], "Date": dates, "Total": tx["amount"]}).to_csv(data, index=False)
    out = tmp_path / "report"
    code, _, err = _report(
        ["--data", str(data), "--out", str(out), "--customer", "Customer", "--date", "Date", "--amount", "Total"],
        capsys,
    )
    assert code == 0, err
    assert report_json(out)["key_figures"]["rows_kept"] == len(tx)


# --------------------------------------------------------------------------- a short log, an idle log


@pytest.fixture(scope="module")
def short_log(tmp_path_factory):
    """85 days: the BG/NBD fit cannot be checked on a holdout, whatever its parameters."""
    folder = tmp_path_factory.mktemp("short")
    data = retail(1000, seed=11, start="2024-01-01", acquisition_end="2024-02-20", observation_end="2024-03-25")
    path = folder / "short.csv"
    simple_export(path, data)
    out = folder / "report"
    code = cli.main(
        [
            "report",
            "--data",
            str(path),
            "--out",
            str(out),
            "--customer",
            "Customer",
            "--date",
            "Date",
            "--amount",
            "Total",
            *FAST,
        ]
    )
    return {"out": out, "code": code, "data": data}


def test_short_log_model_is_not_trusted_and_says_why(short_log):
    assert short_log["code"] == 0
    meta = report_json(short_log["out"])
    assert meta["key_figures"]["days"] == 85
    bg = meta["models"]["bg_nbd"]
    assert bg["status"] == "not trusted"
    assert any("calibration period covers 56 days" in r for r in bg["reasons"]), bg["reasons"]
    assert bg["fixes"] and any("year" in f for f in bg["fixes"])
    assert meta["key_figures"]["customer_equity"] is None
    assert "not trusted" in meta["key_figures"]["customer_equity_missing_because"]
    assert meta["decisions"][0]["title"] == "Do not budget on forecasts yet"


def test_short_log_numbers_of_an_untrusted_model_make_no_decision(short_log):
    customers = customers_csv(short_log["out"])
    assert customers[["p_alive", "expected_purchases", "clv"]].isna().all().all()
    assert not customers["campaign_target"].any()
    rules = set(customers.loc[customers["at_risk"], "at_risk_rule"])
    assert all("P(alive) is not used" in rule for rule in rules)
    page = (short_log["out"] / "report.html").read_text(encoding="utf-8")
    assert "The forecasts are not trusted." in page and "What would fix it" in page


@pytest.fixture(scope="module")
def idle_log(tmp_path_factory):
    """Customers acquired in one quarter of 2022 and watched until the end of 2024, most of them long gone."""
    folder = tmp_path_factory.mktemp("idle")
    data = retail(
        1500, seed=5, start="2022-01-01", acquisition_end="2022-03-31", observation_end="2024-12-31", a=2.0, b=3.0
    )
    path = folder / "idle.csv"
    simple_export(path, data)
    out = folder / "report"
    code = cli.main(
        [
            "report",
            "--data",
            str(path),
            "--out",
            str(out),
            "--customer",
            "Customer",
            "--date",
            "Date",
            "--amount",
            "Total",
            *FAST,
        ]
    )
    return {"out": out, "code": code, "data": data}


def test_idle_log_report_completes_and_states_the_matrix_rule(idle_log):
    assert idle_log["code"] == 0
    customers = customers_csv(idle_log["out"])
    idle = (customers["days_since_last_purchase"] >= 365).mean()
    assert idle > 0.6  # the log is as intended: most customers idle for a year
    quadrants = pd.read_csv(idle_log["out"] / "tables" / "quadrants.csv", index_col=0)
    assert list(quadrants.index) == ["platinum", "gold", "iron", "lead"]
    assert quadrants["customers"].sum() == len(customers)
    page = (idle_log["out"] / "report.html").read_text(encoding="utf-8")
    assert "A value is high when it is above the threshold" in page
    meta = report_json(idle_log["out"])
    assert meta["models"]["bg_nbd"]["status"] in ("fitted", "not trusted")
    assert all(isinstance(r, str) and r for r in meta["models"]["bg_nbd"].get("reasons", []))


# --------------------------------------------------------------------------- crmlib run, every chapter


@pytest.mark.slow
@pytest.mark.parametrize("chapter", ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09"])
def test_every_chapter_runs_on_the_line_item_export(line_items, chapter, tmp_path, capsys):
    code = cli.main(
        [
            "run",
            chapter,
            "--data",
            str(line_items["data"]),
            "--customer",
            "Customer ID",
            "--date",
            "InvoiceDate",
            "--quantity",
            "Quantity",
            "--price",
            "Price",
            "--invoice",
            "Invoice",
            "--out",
            str(tmp_path / "out"),
            "--no-html",
        ]
    )
    assert code == 0, capsys.readouterr().err
