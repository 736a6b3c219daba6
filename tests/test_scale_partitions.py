"""summarize_file by partitions of the customers gives exactly the frame of one pass.

A large file is summarised in several passes, each over the customers whose id hashes to one part;
here the rows per pass are lowered so that a small file takes many passes, with returns, blank ids,
same-day purchases and line items, and the frames are compared exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib import scale
from crmlib.scale import summarize_file


def _file(tmp_path, *, returns: bool, blanks: bool, invoices: bool) -> str:
    rng = np.random.default_rng(7)
    n = 3000
    names = np.array([f"{i:04d}" for i in range(297)] + ["Zoë", "zoe", " Ærø"], dtype=object)
    ids = names[rng.integers(0, len(names), n)]
    if blanks:
        ids[rng.random(n) < 0.02] = ""
    amount = rng.integers(1, 500, n).astype(float)
    if returns:
        amount[rng.random(n) < 0.1] *= -0.5
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "amount": amount,
        }
    )
    if invoices:
        frame["invoice"] = [f"I{k // 3}" for k in range(n)]
        frame["quantity"], frame["price"] = 1, frame.pop("amount")
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.filterwarnings("ignore::crmlib.data.DataWarning")
@pytest.mark.parametrize(("returns", "blanks", "invoices"), [(True, True, False), (True, False, True)])
def test_many_passes_give_the_frame_of_one(tmp_path, monkeypatch, returns, blanks, invoices):
    path = _file(tmp_path, returns=returns, blanks=blanks, invoices=invoices)
    kw = {"blank_customers": "drop"} if blanks else {}
    if invoices:
        kw.update(invoice="invoice", quantity="quantity", price="price")
    one = summarize_file(path, **kw)
    monkeypatch.setattr(scale, "ROWS_PER_PASS", 500)  # 6 passes
    assert scale.partitions(3000) == 6
    many = summarize_file(path, **kw)
    pd.testing.assert_frame_equal(many, one, check_exact=True)
    patterns_many = summarize_file(path, collapse=True, **kw)
    monkeypatch.setattr(scale, "ROWS_PER_PASS", 10**9)
    pd.testing.assert_frame_equal(patterns_many, summarize_file(path, collapse=True, **kw), check_exact=True)
