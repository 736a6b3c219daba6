"""``crmlib report``: the capstone chapter run on a file, written as report.html, report.ipynb and CSV tables.

Real runs start a kernel and execute the whole capstone, so they are few: the bundled log (once, shared by
the tests that need a good report), a run that fails on a wrong column, a tiny log, and a line-item export.
The command-line checks that stop before anything runs are fast and not marked slow.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import crmlib
from crmlib import cli

#: The columns of tables/customers.csv, as documented in the report chapter and in crmlib.report.
CUSTOMER_COLUMNS = [
    "customer_id", "frequency", "recency", "T", "monetary_value", "revenue", "margin",
    "R", "F", "M", "FM", "segment", "tier", "current_value", "potential_value", "quadrant",
    "p_alive", "expected_purchases", "clv", "at_risk", "campaign_expected_profit", "campaign_target",
]
MODEL_COLUMNS = ["p_alive", "expected_purchases", "clv"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (relative name -> sha256)."""
    return {str(p.relative_to(folder)): _sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _report(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(["report", *argv, "--quiet"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- the bundled log, once


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The bundled log written as a user's CSV with other column names (and an extra column), reported once."""
    folder = tmp_path_factory.mktemp("bundled")
    tx = crmlib.datasets.load_transactions()
    data = folder / "sales export.csv"
    tx.rename(columns={"customer_id": "Client", "date": "Order Date", "amount": "Total"}).assign(
        Store="north").to_csv(data, index=False)
    before = _sha(data)
    out = folder / "report"
    code = cli.main(["report", "--data", str(data), "--out", str(out), "--customer", "Client",
                     "--date", "Order Date", "--amount", "Total", "--quiet"])
    return {"tx": tx, "data": data, "before": before, "out": out, "code": code}


@pytest.mark.slow
def test_report_on_the_bundled_log_writes_page_notebook_and_tables(bundled):
    out, tx = bundled["out"], bundled["tx"]
    assert bundled["code"] == 0
    assert (out / "report.ipynb").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.ipynb", "tables"]
    html = (out / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r"<img[^>]*\ssrc=\"([^\"]*)\"", html)
    assert len(sources) >= 5  # the chapter's figures
    assert all(src.startswith("data:image/") for src in sources)
    customers = pd.read_csv(out / "tables" / "customers.csv", dtype={"customer_id": str})
    assert list(customers.columns) == CUSTOMER_COLUMNS
    assert customers["customer_id"].is_unique
    assert set(customers["customer_id"]) == set(tx["customer_id"])
    # Independent of the chapter's code: the revenue column adds up to the amounts in the input file.
    assert customers["revenue"].sum() == pytest.approx(pd.read_csv(bundled["data"])["Total"].sum(), rel=1e-9)
    # On the bundled log every model column is there (5,000 customers, 2.5 years).
    assert customers[MODEL_COLUMNS].notna().all().all()
    assert customers["p_alive"].between(0, 1).all()
    for name in ("tiers.csv", "segments.csv", "quadrants.csv", "README.txt"):
        assert (out / "tables" / name).is_file()
    tiers = pd.read_csv(out / "tables" / "tiers.csv", index_col=0)
    # The default pyramid, 1% / 4% / 15% / 80% of 5,000 customers by hand.
    assert tiers.loc[["VIP", "major", "common", "minor"], "customers"].tolist() == [50, 200, 750, 4000]
    quadrants = pd.read_csv(out / "tables" / "quadrants.csv", index_col=0)
    assert quadrants.loc["total", "customers"] == 5000


@pytest.mark.slow
def test_the_input_file_is_unchanged(bundled):
    assert _sha(bundled["data"]) == bundled["before"]


@pytest.mark.slow
def test_a_failing_run_leaves_the_previous_report_as_it_was(bundled, capsys):
    out = bundled["out"]
    before = _tree(out)
    code, _, err = _report(["--data", str(bundled["data"]), "--out", str(out), "--customer", "Kunde",
                            "--date", "Order Date", "--amount", "Total"], capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("crmlib: error:") and "'Kunde'" in err
    assert "Traceback" not in err
    assert _tree(out) == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(".crmlib-staging")]


# --------------------------------------------------------------------------- the output folder


@pytest.fixture
def tiny_csv(tmp_path) -> Path:
    """Four customers, one purchase each: no repeat buyer, so no model can be fitted."""
    path = tmp_path / "tiny.csv"
    path.write_text(
        "Kunde,Tag,Betrag,Filiale\n"
        "A,2024-01-05,10.50,x\n"
        "B,2024-02-01,20.00,y\n"
        "C,2024-03-10,5.00,z\n"
        "D,2024-03-11,7.25,w\n",
        encoding="utf-8",
    )
    return path


TINY = ["--customer", "Kunde", "--date", "Tag", "--amount", "Betrag"]


def test_a_folder_holding_other_files_is_refused_without_force(tiny_csv, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = _tree(out)
    code, _, err = _report(["--data", str(tiny_csv), "--out", str(out), *TINY], capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "--force" in err and "notes.txt" in err
    assert _tree(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_the_report_never_replaces_the_data_file(tmp_path, capsys):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    data = out / "tables" / "sales.csv"
    data.write_text("customer_id,date,amount\na,2024-01-01,1\n", encoding="utf-8")
    code, _, err = _report(["--data", str(data), "--out", str(out), "--force"], capsys)
    assert code == 1
    assert "would replace your data file" in err
    assert data.is_file()


@pytest.mark.slow
def test_tiny_data_gives_a_complete_report_saying_why_the_models_are_missing(tiny_csv, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    code, stdout, err = _report(["--data", str(tiny_csv), "--out", str(out), *TINY, "--force"], capsys)
    assert code == 0, err
    assert "report written" in stdout
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # --force leaves other files alone
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "the BG/NBD model could not be fitted" in html
    assert "only 4 customers" in html
    assert "Skipped: the holdout validation" in html and "Skipped: the churn plan" in html
    notebook = nbformat.read(out / "report.ipynb", as_version=4)
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert "Traceback" not in html
    customers = pd.read_csv(out / "tables" / "customers.csv", dtype={"customer_id": str})
    assert list(customers.columns) == CUSTOMER_COLUMNS
    assert sorted(customers["customer_id"]) == ["A", "B", "C", "D"]
    assert customers[MODEL_COLUMNS].isna().all().all()
    assert customers["revenue"].tolist() == [10.5, 20.0, 5.0, 7.25]
    note = (out / "tables" / "README.txt").read_text(encoding="utf-8")
    assert "Not computed (model)" in note and "Empty columns: p_alive, expected_purchases, clv" in note


# --------------------------------------------------------------------------- a line-item export


def _online_retail_csv(path: Path) -> int:
    """An Online-Retail-II-shaped export; returns the number of customers a person counts in it.

    Twelve customers (ids 12346.0 ... 12357.0, written as floats like the original) each buy on three
    days, two lines per invoice. Also: a cancellation (C-invoice) of one of 12346's purchases, guest
    lines with a blank Customer ID, and customer 12999.0 whose only invoice is a cancellation (a return
    with no purchase in the data: dropped). Customers counted: the twelve buyers.
    """
    rows = []
    number = 489000
    for k in range(12):
        cid = f"{12346 + k}.0"
        for visit in range(3):
            number += 1
            day = pd.Timestamp("2010-01-04") + pd.Timedelta(days=30 * visit + 7 * k + visit * k % 5)
            for line, (code, qty, price) in enumerate((("85123A", 2 + k % 3, 2.55), ("71053", 1 + visit, 3.39))):
                stamp = day + pd.Timedelta(hours=9, minutes=5 * line + k)
                rows.append((str(number), code, "ITEM", qty, stamp.strftime("%Y-%m-%d %H:%M:%S"), price, cid,
                             "United Kingdom"))
    rows.append(("C489999", "85123A", "ITEM", -2, "2010-01-20 12:00:00", 2.55, "12346.0", "United Kingdom"))
    rows.append(("490001", "22111", "ITEM", 4, "2010-02-02 10:00:00", 4.25, "", "United Kingdom"))
    rows.append(("490001", "22112", "ITEM", 1, "2010-02-02 10:00:00", 1.25, "", "United Kingdom"))
    rows.append(("C490002", "22112", "ITEM", -1, "2010-02-03 10:00:00", 1.25, "12999.0", "France"))
    frame = pd.DataFrame(rows, columns=["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price",
                                        "Customer ID", "Country"])
    frame.to_csv(path, index=False)
    return 12


@pytest.mark.slow
def test_a_line_item_export_is_read_by_invoice(tmp_path, capsys):
    data = tmp_path / "online_retail_II.csv"
    expected = _online_retail_csv(data)
    out = tmp_path / "report"
    code, _, err = _report(["--data", str(data), "--out", str(out), "--customer", "Customer ID",
                            "--date", "InvoiceDate", "--quantity", "Quantity", "--price", "Price",
                            "--invoice", "Invoice"], capsys)
    assert code == 0, err
    customers = pd.read_csv(out / "tables" / "customers.csv", dtype={"customer_id": str})
    assert len(customers) == expected
    assert sorted(customers["customer_id"]) == [str(12346 + k) for k in range(12)]
    # Three purchase days each (the cancellation nets against 12346's purchase and is no purchase day).
    assert (customers["frequency"] == 2).all()
    # Customer 12347 (k = 1): qty 3 x 2.55 on each visit plus 1, 2, 3 x 3.39 = 3 * 7.65 + 6 * 3.39.
    revenue = customers.set_index("customer_id")["revenue"]
    assert revenue["12347"] == pytest.approx(3 * 7.65 + 6 * 3.39)
    # Customer 12346 (k = 0): 3 x (2 x 2.55) + 6 x 3.39, less the cancelled 2 x 2.55 (returns are netted).
    assert revenue["12346"] == pytest.approx(3 * 5.10 + 6 * 3.39 - 5.10)


# --------------------------------------------------------------------------- usage errors (nothing runs)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--out", "x"], "--data"),
        (["--data", "{data}", "--out", "{out}", "-p", "colour=red"], "no parameter 'colour'"),
        (["--data", "{data}", "--out", "{out}", "-p", "novalue"], "novalue"),
        (["--data", "{missing}", "--out", "{out}"], "does not exist"),
        (["--data", "{data}", "--out", "{out}", "-p", "tables_dir=/tmp"], "set by the command"),
        (["--data", "{data}", "--out", "{out}", "--returns", "maybe"], "--returns"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tiny_csv, tmp_path, capsys, argv, fragment):
    out = tmp_path / "out"
    words = [w.format(data=tiny_csv, out=out, missing=tmp_path / "nope.csv") for w in argv]
    code, _, err = _report(words, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("crmlib: error:") and fragment in err
    assert not out.exists()


def test_report_options_name_chapter_parameters():
    from crmlib.course import find_chapter, notebook_parameters
    from crmlib.report import REPORT_CHAPTER, REPORT_OPTIONS

    known = notebook_parameters(find_chapter(REPORT_CHAPTER).path)
    assert set(REPORT_OPTIONS.values()) <= set(known)
    assert {"data_path", "tables_dir"} <= set(known)
