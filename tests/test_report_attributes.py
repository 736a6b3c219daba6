"""The report's per-customer columns (``crmlib.report._attributes``): which of the input's other columns are kept.

A column is kept when it is constant within each customer who has several rows (an empty cell counts as a value;
up to ``MAX_VARYING_SHARE`` of those customers may differ, with a note); each customer then shows their first value.
The rules are checked on a hand-made file, and on random frames against a plain pandas statement of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.data import read_transactions
from crmlib.report._attributes import MAX_TEXT, MAX_VARYING_SHARE, customer_attributes

READER = {"customer": "Client", "date": "Day", "amount": "Sales"}


def _attributes(source, reader=READER):
    tx = read_transactions(source, warn=False, **reader)
    customers = pd.Index(tx["customer_id"].drop_duplicates())
    return customer_attributes(source, reader, tx.attrs["crmlib_read_report"], customers)


def test_constant_columns_are_kept_with_each_customers_first_value(tmp_path):
    n = 100
    clients = [str(1000 + k) for k in range(n)]
    rows = []
    for k, client in enumerate(clients):
        for day in (1, 2):
            rows.append({
                "Client": client if day == 1 else f" {int(client)}.0",  # the reader's id rule names one customer
                "Day": f"2024-01-0{day}",
                "Sales": "10",
                "Region": "North" if k % 2 else "South",
                "Channel": ("web" if day == 1 else "shop") if k == 0 else "web",  # varies for 1 customer in 100
                "Note": f"visit {day}",  # varies for every customer
                "Tag": "" if (k == 1 and day == 2) else "x",  # an empty cell is a value: customer 1 varies
                "Address": f"{k} " + "long street " * 30,  # kept, cut at MAX_TEXT characters
            })
    path = tmp_path / "orders.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    extra, notes = _attributes(path)
    assert list(extra.columns) == ["Region", "Channel", "Tag", "Address"]
    assert extra["Address"].str.len().max() == MAX_TEXT + 1 and extra.loc["1002", "Address"].startswith("2 long street")
    assert any(f"longer than {MAX_TEXT} characters" in note for note in notes)
    assert extra.loc["1000", "Channel"] == "web" and extra.loc["1001", "Region"] == "North"
    assert extra.loc["1001", "Tag"] == "x"  # the first value
    assert any("'Channel' changes within 1 of 100" in note for note in notes)
    assert any("'Tag' changes within 1 of 100" in note for note in notes)
    assert not any("Note" in note for note in notes)


def _reference(frame: pd.DataFrame, others: list[str]) -> tuple[list[str], dict[str, int]]:
    """The kept columns and each one's number of varying customers, stated with pandas (ids already canonical)."""
    counts = frame.groupby("Client").size()
    several = frame[frame["Client"].isin(counts.index[counts > 1])]
    n_multi = int((counts > 1).sum())
    kept, varying = [], {}
    for column in others:
        values = several[column].astype(object).where(several[column].notna(), "\x00missing").astype(str)
        n = int((values.groupby(several["Client"].to_numpy()).nunique() > 1).sum())
        if n <= MAX_VARYING_SHARE * n_multi:
            kept.append(column)
            varying[column] = n
    return kept, varying


@pytest.mark.parametrize("seed", range(6))
def test_the_kept_columns_follow_the_rules_on_random_frames(seed):
    rng = np.random.default_rng(seed)
    n_customers = int(rng.integers(50, 400))
    sizes = rng.integers(1, 5, n_customers)
    client = np.repeat([f"C{k:04d}" for k in range(n_customers)], sizes)
    n = len(client)
    rng.shuffle(client)
    owner = pd.factorize(client)[0]
    frame = pd.DataFrame({"Client": client, "Day": "2024-03-01", "Sales": 1.0})
    others = []
    for j in range(8):
        name = f"col{j}"
        per_customer = rng.choice(["a", "b", "c", None, 1, 1.0, "1"], size=owner.max() + 1).astype(object)
        values = per_customer[owner]
        flip = rng.random(n) < [0.0, 0.001, 0.004, 0.01, 0.05, 0.3, 0.0, 0.002][j]  # some rows differ
        values[flip] = rng.choice(["z", None, 2, 1, 1.0, "1"], size=int(flip.sum()))  # 1 and "1" are one text
        frame[name] = pd.Series(values, dtype=object) if j % 2 else pd.Series(values, dtype=object).astype("str")
        others.append(name)
    kept, varying = _reference(frame, others)
    extra, notes = _attributes(frame)
    assert list(extra.columns) == kept
    for column in kept:
        said = [note for note in notes if f"'{column}' changes within" in note]
        assert len(said) == (1 if varying[column] else 0)
        if varying[column]:
            assert f"within {varying[column]:,} of" in said[0]
    first = frame.drop_duplicates("Client").set_index("Client")
    for column in kept:
        expect = first[column].map(lambda v: None if pd.isna(v) else str(v), na_action="ignore")
        got = extra[column].reindex(expect.index)
        assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in expect]
