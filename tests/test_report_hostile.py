"""Hostile and unlucky input through ``crmlib report``: no script in the page, no formula in a table, no user file
lost, no half-written report, and a report that completes when a section cannot be computed.

Every case asserts the message and exit code, that the input is unchanged, and that no user file in the output
folder changed. The page is parsed (not searched for strings): the only elements and attributes in it are the
template's own.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_harness import report_json, retail, sha, tree

from crmlib import cli
from crmlib.outputs import BIDI_CONTROLS, FORMULA_STARTS, MANIFEST_NAME, STAGING_PREFIX, restore_cell

FAST = ["--interval-draws", "0", "--quiet"]
COLUMNS = ["--customer", "Customer", "--date", "Date", "--amount", "Total"]

#: Customer ids a tester would try: markup, attributes, direction overrides and spreadsheet formulas.
HOSTILE_IDS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    "'><iframe src=javascript:alert(4)>",
    "invoice\u202etxt.exe",
    "=2+2",
    "+SUM(A1:A2)",
    "-1+1",
    "@cmd",
    "\t=2+2",
    "\r=3+3",
    "'=quoted",
    '=HYPERLINK("http://example.invalid","x")',
]
HOSTILE_COLUMN = "<b onmouseover=alert(5)>Region</b>"


def _main(argv, capsys):
    code = cli.main(["report", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


#: Every element and attribute the report's template writes (MathML included); anything else came from the data.
TEMPLATE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "nav",
    "ol",
    "ul",
    "li",
    "a",
    "main",
    "section",
    "strong",
    "em",
    "small",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "img",
    "figcaption",
    "code",
    "sub",
    "footer",
    "math",
    "mrow",
    "msub",
    "mi",
    "mo",
    "munderover",
    "mn",
    "mfrac",
    "msup",
}
TEMPLATE_ATTRIBUTES = {
    "lang",
    "charset",
    "name",
    "content",
    "http-equiv",
    "class",
    "id",
    "href",
    "aria-label",
    "src",
    "alt",
    "role",
    "display",
}


def _hostile_csv(path: Path) -> None:
    """A real-shaped log (600 customers, 2.5 years) whose best customers carry the hostile ids."""
    data = retail(600, seed=3)
    tx = data.transactions.copy()
    region = tx["customer_id"].map(data.customers.set_index("customer_id")["region"])
    best = tx.groupby("customer_id")["amount"].sum().sort_values(ascending=False).index[: len(HOSTILE_IDS)]
    rename = dict(zip(best, HOSTILE_IDS))
    tx["customer_id"] = tx["customer_id"].map(lambda c: rename.get(c, c))
    frame = pd.DataFrame(
        {
            "Customer": tx["customer_id"],
            "Date": tx["date"].dt.strftime("%Y-%m-%d"),
            "Total": tx["amount"],
            HOSTILE_COLUMN: region.map(lambda r: f"<i>{r}</i>"),
        }
    )
    frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    data = folder / "hostile.csv"
    _hostile_csv(data)
    before = sha(data)
    out = folder / "report"
    code = cli.main(["report", "--data", str(data), "--out", str(out), *COLUMNS, "--by", HOSTILE_COLUMN, *FAST])
    return {"data": data, "out": out, "code": code, "before": before}


def test_hostile_ids_report_completes(hostile):
    assert hostile["code"] == 0
    assert sha(hostile["data"]) == hostile["before"]


def test_no_user_value_becomes_markup(hostile):
    page = (hostile["out"] / "report.html").read_text(encoding="utf-8")
    parser = _Elements()
    parser.feed(page)
    assert parser.tags <= TEMPLATE_TAGS, parser.tags - TEMPLATE_TAGS
    assert parser.attributes <= TEMPLATE_ATTRIBUTES, parser.attributes - TEMPLATE_ATTRIBUTES
    text = "".join(parser.text)
    # The ids are on the page as text (the top customers table lists them) ...
    assert "<script>alert(1)</script>" in text and '"><svg onload=alert(3)>' in text
    assert HOSTILE_COLUMN in text
    # ... with the direction override shown, never acting.
    assert "invoice[U+202E]txt.exe" in text
    assert not any(ch in page for ch in BIDI_CONTROLS)


def test_no_output_cell_starts_with_a_formula_character(hostile):
    from openpyxl import load_workbook

    def check(value, where):
        if isinstance(value, str) and value:
            try:
                float(value)
                return  # a number (-3.5) is a number, not a formula
            except ValueError:
                pass
            assert value[0] not in FORMULA_STARTS, f"{where}: {value!r}"

    for path in (hostile["out"] / "tables").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            for r, row in enumerate(csv.reader(fh)):
                for cell in row:
                    check(cell, f"{path.name} row {r}")
    book = load_workbook(hostile["out"] / "report.xlsx", read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                check(cell, sheet.title)


def test_raw_ids_are_recoverable(hostile):
    table = pd.read_csv(hostile["out"] / "tables" / "customers.csv", dtype=str, keep_default_na=False)
    ids = set(table["customer_id"].map(restore_cell))
    assert {i.strip() for i in HOSTILE_IDS} <= ids  # the reader strips blanks around ids ("\t=2+2" is "=2+2")
    assert report_json(hostile["out"])["cells"] == "neutralised"


def test_raw_cells_writes_the_ids_as_they_are(tmp_path, capsys):
    data = tmp_path / "hostile.csv"
    _hostile_csv(data)
    out = tmp_path / "raw"
    code, _, err = _main(["--data", str(data), "--out", str(out), *COLUMNS, "--raw-cells", *FAST], capsys)
    assert code == 0, err
    table = pd.read_csv(out / "tables" / "customers.csv", dtype=str, keep_default_na=False)
    assert {"=2+2", "@cmd", "-1+1"} <= set(table["customer_id"])
    assert report_json(out)["cells"] == "raw"


# --------------------------------------------------------------------------- the output folder


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("small") / "sales.csv"
    data = retail(300, seed=2)
    pd.DataFrame(
        {
            "Customer": data.transactions["customer_id"],
            "Date": data.transactions["date"].dt.date,
            "Total": data.transactions["amount"],
        }
    ).to_csv(path, index=False)
    return path


def _run(data, out, capsys, *extra):
    return _main(["--data", str(data), "--out", str(out), *COLUMNS, *extra, *FAST], capsys)


def test_a_users_own_report_html_is_never_replaced(small_csv, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("my own page", encoding="utf-8")
    for extra in ((), ("--force",)):
        code, _, err = _run(small_csv, out, capsys, *extra)
        assert code == 1
        assert len(err.strip().splitlines()) == 1 and err.startswith("crmlib: error: report.html in ")
        assert "was not written by crmlib report" in err and "move it away" in err
        assert (out / "report.html").read_text(encoding="utf-8") == "my own page"
        assert sorted(p.name for p in out.iterdir()) == ["report.html"]


def test_other_files_in_the_folder_are_left_alone(small_csv, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "pivot.xlsx").write_bytes(b"my pivot workbook")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    mine = {k: v for k, v in tree(out).items()}
    code, _, err = _run(small_csv, out, capsys)
    assert code == 0, err
    after = tree(out)
    assert {k: after[k] for k in mine} == mine
    assert "report.html" in after and "tables/customers.csv" in after and MANIFEST_NAME in after


def test_a_second_run_replaces_only_its_own_files_and_force_a_changed_one(small_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(small_csv, out, capsys)[0] == 0
    assert _run(small_csv, out, capsys)[0] == 0  # its own files, unchanged: replaced without --force
    (out / "report.html").write_text("edited by hand", encoding="utf-8")
    before = tree(out)
    code, _, err = _run(small_csv, out, capsys)
    assert code == 1 and "was changed since crmlib report wrote it; pass --force" in err
    assert tree(out) == before
    code, _, err = _run(small_csv, out, capsys, "--force")
    assert code == 0, err
    assert "edited by hand" not in (out / "report.html").read_text(encoding="utf-8")


def test_a_users_own_table_is_not_replaced_even_with_force(small_csv, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "customers.csv").write_text("my customers", encoding="utf-8")
    code, _, err = _run(small_csv, out, capsys, "--force")
    assert code == 1 and "tables/customers.csv" in err
    assert (out / "tables" / "customers.csv").read_text(encoding="utf-8") == "my customers"


def test_the_data_file_is_never_replaced(tmp_path, capsys, small_csv):
    out = tmp_path / "out"
    assert _run(small_csv, out, capsys)[0] == 0
    data = out / "tables" / "customers.csv"  # the user feeds the previous table back as data (a kit file)
    before = sha(data)
    code, _, err = _main(["--data", str(data), "--out", str(out), "--force", *FAST], capsys)
    assert code == 1 and "would replace your input file" in err
    assert sha(data) == before


def test_an_interrupted_run_leaves_no_staging_and_the_previous_report(small_csv, tmp_path, capsys, monkeypatch):
    import crmlib.report._files as files

    out = tmp_path / "out"
    assert _run(small_csv, out, capsys)[0] == 0
    before = tree(out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "write_workbook", interrupted)
    code, _, err = _run(small_csv, out, capsys)
    assert code == 130
    assert err.strip() == "crmlib: interrupted."
    assert tree(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(small_csv, tmp_path, capsys):
    out = tmp_path / "out"
    stale = out / f"{STAGING_PREFIX}report-999999999"
    (stale / "tables").mkdir(parents=True)
    (stale / "report.html").write_text("half", encoding="utf-8")
    code, _, err = _run(small_csv, out, capsys)
    assert code == 0, err
    assert not stale.exists()


@pytest.mark.slow
def test_ctrl_c_in_a_real_process_prints_one_line(tmp_path):
    data = retail(1200, seed=8)
    path = _log(
        tmp_path / "sales.csv",
        data.transactions["customer_id"],
        data.transactions["date"].dt.date,
        data.transactions["amount"],
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crmlib",
            "report",
            "--data",
            str(path),
            "--out",
            str(out),
            *COLUMNS,
            "--interval-draws",
            "200",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(
            signal.SIGINT, signal.SIG_DFL
        ),  # as in a terminal (a test runner may ignore it)
    )
    lines = []
    for line in proc.stderr:  # wait until the refits run, then press Ctrl-C
        lines.append(line)
        if "computing intervals" in line:
            break
    assert "computing intervals" in lines[-1], "".join(lines)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(lines) + rest
    assert rest.strip() == "crmlib: interrupted.", rest
    assert not out.exists() or not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert not (out / "report.html").exists()


# --------------------------------------------------------------------------- sections that cannot be computed


def _log(path: Path, customers, dates, amounts, **extra) -> Path:
    pd.DataFrame({"Customer": customers, "Date": dates, "Total": amounts, **extra}).to_csv(path, index=False)
    return path


def test_mixed_currencies_complete_with_spend_model_not_trusted(tmp_path, capsys):
    data = retail(400, seed=4).transactions
    marks = np.array(["$", "EUR ", "JPY "])[np.arange(len(data)) % 3]
    amounts = [
        f"{m}{a:.2f}" if m == "$" else f"{m}{a * (150 if m == 'JPY ' else 0.9):.2f}"
        for m, a in zip(marks, data["amount"])
    ]
    path = _log(tmp_path / "currencies.csv", data["customer_id"], data["date"].dt.date, amounts)
    before = sha(path)
    out = tmp_path / "out"
    code, _, err = _run(path, out, capsys)
    assert code == 0, err
    meta = report_json(out)
    gg = meta["models"]["gamma_gamma"]
    assert gg["status"] == "not trusted" and any("mix currencies" in r for r in gg["reasons"])
    assert any("mix currencies" in n for n in meta["notes"])
    assert sha(path) == before


def test_heavy_tailed_spend_completes_without_a_clv(tmp_path, capsys):
    data = retail(500, seed=6).transactions
    rng = np.random.default_rng(1)
    amounts = (rng.pareto(0.7, len(data)) + 1) * 10  # infinite mean
    out = tmp_path / "out"
    code, _, err = _run(_log(tmp_path / "heavy.csv", data["customer_id"], data["date"].dt.date, amounts), out, capsys)
    assert code == 0, err
    meta = report_json(out)
    assert meta["models"]["gamma_gamma"]["status"] in ("not trusted", "skipped")
    assert meta["key_figures"]["customer_equity"] is None
    assert meta["key_figures"]["customer_equity_missing_because"]


def test_one_customer_completes_with_models_skipped(tmp_path, capsys):
    path = _log(tmp_path / "one.csv", ["A"] * 3, ["2024-01-05", "2024-03-01", "2024-06-30"], [10, 20, 30])
    out = tmp_path / "out"
    code, _, err = _run(path, out, capsys)
    assert code == 0, err
    meta = report_json(out)
    assert meta["models"]["bg_nbd"]["status"] == "skipped"
    assert "only 1 customer;" in meta["models"]["bg_nbd"]["reason"]
    assert meta["key_figures"]["customers"] == 1
    assert (out / "report.html").stat().st_size > 1000


def test_amounts_of_1e308_skip_the_money_sections(tmp_path, capsys):
    customers = ["A", "B", "C", "D"] * 3
    dates = [f"2024-0{1 + k // 4}-1{k % 4}" for k in range(12)]
    path = _log(tmp_path / "huge.csv", customers, dates, [1e308] * 12)
    out = tmp_path / "out"
    code, _, err = _run(path, out, capsys)
    assert code == 0, err
    meta = report_json(out)
    assert meta["key_figures"]["revenue"] is None
    assert any("overflow" in n for n in meta["notes"])
    assert "tiers" in meta["sections_skipped"] and "overflow" in meta["sections_skipped"]["tiers"]


@pytest.mark.parametrize(
    "flag, value, fragment",
    [
        ("--horizon-months", "1e9", "--horizon-months must be a number in (0, 120] (months). Got 1000000000.0"),
        ("--margin-rate", "1.5", "--margin-rate must be a number in (0, 1]"),
        ("--unit", "fortnight", "--unit must be one of 'D' (days)"),
        ("--calibration-end", "soon", "--calibration-end must be a date"),
        ("--interval-draws", "3", "--interval-draws must be 0 (no intervals) or 10 to 500"),
    ],
)
def test_settings_out_of_range_are_refused_before_anything_runs(small_csv, tmp_path, capsys, flag, value, fragment):
    out = tmp_path / "out"
    code, _, err = _main(["--data", str(small_csv), "--out", str(out), *COLUMNS, flag, value, "--quiet"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and fragment in err, err
    assert not out.exists()


def test_by_a_column_that_is_not_per_customer(small_csv, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = _run(small_csv, out, capsys, "--by", "Total")
    assert code == 1
    assert "--by 'Total' is not a per-customer column of the file" in err
    assert not out.exists()


def test_a_fifo_is_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    code, _, err = _main(["--data", str(fifo), "--out", str(tmp_path / "out"), *FAST], capsys)
    assert code == 2 and "not a regular file" in err
