"""The CDNOW loader: original layouts, leading zeros, CRLF, header line."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.data import DataError
from crmlib.datasets import cdnow_path, load_cdnow


def test_sample_file_shape_and_cohort():
    tx = load_cdnow(cdnow_path("sample"))
    # FHL (2005): 2,357 customers, first purchases in 1997 Q1, data to the end of June 1998; 6,919 lines
    assert len(tx) == 6919
    assert tx["customer_id"].nunique() == 2357
    assert tx.groupby("customer_id")["date"].min().max() <= pd.Timestamp("1997-03-31")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")
    assert list(tx.columns) == ["customer_id", "date", "amount", "cds"]
    first = tx.iloc[0]  # first line: " 00004 0001 19970101  2   29.33"
    assert (first["customer_id"], first["date"], first["cds"], first["amount"]) == ("00004", pd.Timestamp("1997-01-01"), 2, 29.33)


def test_master_file_header_and_size():
    tx = load_cdnow(cdnow_path("master"))
    assert tx["customer_id"].nunique() == 23570
    assert tx.iloc[0]["customer_id"] == "00001"
    assert tx["date"].dtype == "datetime64[ns]"


def test_crlf_header_and_leading_zeros(tmp_path):
    path = tmp_path / "mini.txt"
    path.write_bytes(
        b" customer_id  date number_of_cds  dollar_value\r\n 00007 19970105  1   10.50\r\n 00007 19970301  3   30.00\r\n"
    )
    tx = load_cdnow(path)
    assert tx["customer_id"].tolist() == ["00007", "00007"]
    assert tx["amount"].tolist() == [10.5, 30.0]
    assert tx["cds"].tolist() == [1, 3]


def test_bad_layout_message(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("00001 19970101 1\n")
    with pytest.raises(DataError, match="expected 4 \\(master\\) or 5 \\(sample\\)"):
        load_cdnow(path)
    path.write_text("00001 1997-01-01 1 2.0\n")
    with pytest.raises(DataError, match="YYYYMMDD form on data lines \\[1\\]"):
        load_cdnow(path)
    with pytest.raises(DataError, match="does not exist"):
        load_cdnow(tmp_path / "nope.txt")
