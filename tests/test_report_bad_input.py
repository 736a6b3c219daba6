"""Malformed files thrown at `crmlib report`: one clear line, exit 1, no traceback, nothing written, input unchanged."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

import pytest

from crmlib.cli import main
from crmlib.report import make_report

CASES = {
    "zero-byte": (b"", r"empty \(0 bytes\)"),
    "header only": (b"customer_id,date,amount\n", r"no data rows"),
    "binary": (b"\x00\x01\x02\xff" * 64, r"not a text table"),
    "wrong column": (b"client,date,amount\nA,2024-01-02,3.5\n", r"customer.*'client'"),
    "ambiguous dates": (b"customer_id,date,amount\nA,01/02/2024,3\nB,03/04/2024,4\n", r"date_format|--date-format"),
    "letters in amounts": (
        b"customer_id,date,amount\nA,2024-01-02,abc\nB,2024-01-03,4\nC,2024-01-04,5\n",
        r"not a number",
    ),
    "blank ids": (b"customer_id,date,amount\n,2024-01-02,3\nB,2024-01-03,4\n", r"blank"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_file_gives_one_line_and_writes_nothing(case, tmp_path, capsys):
    content, pattern = CASES[case]
    data = tmp_path / "export.csv"
    data.write_bytes(content)
    before = hashlib.sha256(data.read_bytes()).hexdigest()
    out = tmp_path / "report"
    code = main(["report", "--data", str(data), "--out", str(out), "--quiet", "--interval-draws", "0"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("crmlib: error: ") and "Traceback" not in err
    assert re.search(pattern, err), err
    assert not out.exists()  # nothing created for a run that could not start
    assert hashlib.sha256(data.read_bytes()).hexdigest() == before


def test_a_folder_instead_of_a_file(tmp_path, capsys):
    assert main(["report", "--data", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_an_existing_report_folder_survives_a_bad_file(tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.html").write_text("a good report from yesterday")
    data = tmp_path / "export.csv"
    data.write_bytes(b"")
    assert main(["report", "--data", str(data), "--out", str(out), "--quiet"]) == 1
    assert (out / "report.html").read_text() == "a good report from yesterday"
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]


@pytest.mark.parametrize(
    "content, settings",
    [
        (b"customer_id;date;amount\nA;02/01/2024;12,50\nB;31/01/2024;3,00\n", {}),  # semicolons, decimal commas
        (
            "Kunde\tDatum\tBetrag\nJürgen\t2024-01-02\t3.5\n".encode("latin-1"),
            {"customer": "Kunde", "date": "Datum", "amount": "Betrag"},
        ),  # tabs, Latin-1
        (b"customer_id,date,amount,extra\nA,2024-01-02,3.5,x\nA,2024-01-05,-1.0,y\n", {}),  # a return, an extra column
    ],
)
def test_unusual_but_valid_files_give_a_report(tmp_path, content, settings):
    data = tmp_path / "export.csv"
    data.write_bytes(content)
    report = make_report(data, reader=settings, interval_draws=0)  # tiny: the models are skipped, the rest runs
    assert report.models["bg_nbd"].status == "skipped"
    assert report.customers["revenue"].sum() > 0


def test_the_command_line_process_prints_no_traceback(tmp_path):
    data = tmp_path / "export.csv"
    data.write_bytes(b"\x00\x01binary")
    proc = subprocess.run(
        [sys.executable, "-m", "crmlib", "report", "--data", str(data), "--out", str(tmp_path / "r"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("crmlib: error: ") and "not a text table" in proc.stderr
