"""read_transactions reads the original whitespace-separated CDNOW files directly (lifetimes' copies).

The master file: 23,570 customers, 69,659 lines (Fader and Hardie); the sample: a 1/10th systematic
sample of 2,357 customers, 6,919 lines, with the customer's id in the master file as a second column.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from crmlib.data import read_transactions
from crmlib.rfm import summarize
from crmlib.scale import summarize_file

spec = importlib.util.find_spec("lifetimes")
if spec is None or not spec.submodule_search_locations:
    pytest.skip("the CDNOW files ship with lifetimes (the test extra)", allow_module_level=True)
DATASETS = Path(spec.submodule_search_locations[0]) / "datasets"


def test_master_file_as_published():
    path = DATASETS / "CDNOW_master.txt"
    tx = read_transactions(path, warn=False)
    report = tx.attrs["crmlib_read_report"]
    assert report["rows_read"] == 69_659 and report["customers"] == 23_570
    assert report["dates"] == "dates written as YYYYMMDD numbers"
    assert (report["first_date"], report["last_date"]) == ("1997-01-01", "1998-06-30")
    # the first lines of the file: 00001 19970101 1 11.77 / 00002 19970112 1 12.00 / 00002 19970112 5 77.00
    first = tx[tx["customer_id"].isin(["00001", "00002"])]
    assert [(c, str(d.date()), a) for c, d, a in first.itertuples(index=False)] == [
        ("00001", "1997-01-01", 11.77), ("00002", "1997-01-12", 12.0), ("00002", "1997-01-12", 77.0)]
    assert any("CDNOW layout" in note for note in report["notes"])
    assert round(tx["amount"].sum(), 2) == 2_500_315.63


def test_sample_file_and_the_published_repeat_buyers():
    path = DATASETS / "CDNOW_sample.txt"
    tx = read_transactions(path, warn=False)
    assert tx["customer_id"].nunique() == 2_357 and len(tx) == 6_919
    # Fader, Hardie and Lee (2005): 39-week calibration period from 1997-01-01, unit weeks
    summary = summarize(tx, observation_end="1997-09-30", unit="W")
    # 1,411 of the 2,357 customers made no repeat purchase in the calibration period
    assert len(summary) == 2_357 and (summary["frequency"] == 0).sum() == 1_411
    from_file = summarize_file(path, observation_end="1997-09-30", unit="W", warn=False)
    assert list(from_file.index) == list(summary.index)
    assert (from_file[["frequency", "recency", "T"]] == summary[["frequency", "recency", "T"]]).all().all()
