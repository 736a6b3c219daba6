"""The reader's fast paths give exactly what its general paths give.

* A text file with no quote in its data rows is parsed without looking for line ends inside quotes (pyarrow
  then splits it in parallel); a file that may have them is parsed the general way, and both give one table.
* The rows are ordered by one sort of packed (customer, day, row) keys, or by counting sorts when the keys do
  not fit (by customer only when each customer's rows are already in date order in the file, else by day
  first); every way gives the stable order by (customer, day) (:mod:`crmlib.data.order`).
* The distinct ids are sorted by their fixed-width keys one key at a time; the order is ``np.lexsort``'s.
"""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from crmlib.data import DataError, order, read_transactions, text
from crmlib.data.codes import sort_distinct_keys
from crmlib.data.options import ReadOptions
from crmlib.data.paths import file_source
from crmlib.data.reader import canonical_frame

WANTED = {"customer": "customer_id", "date": "date", "amount": "amount"}


def _layout(path):
    src = file_source(path)
    return src, text.sniff_layout(src, ReadOptions(), WANTED)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("customer_id,date,amount\nA,2024-01-02,10\n", False),
        ('"customer_id","date","amount"\r\nA,2024-01-02,10\r\n', False),  # quoted header, CRLF
        ('\ufeff"customer_id","date","amount"\nA,2024-01-02,10\n', False),  # byte-order mark
        ('Sales export "Q1"\n\ncustomer_id,date,amount\nA,2024-01-02,10\n', True),  # a title with quotes
        ('customer_id,date,amount\n"A\nB",2024-01-02,10\n', True),  # a line end inside quotes
        ('customer_id,date,amount\n"A",2024-01-02,10\n', True),  # quotes in the data: the general way
        ('"customer_id","da\nte","amount"\nA,2024-01-02,10\n', True),  # a line end inside the header's quotes
        ('"customer_id,date",amount\nA,2024-01-02,10\n', True),  # a delimiter inside the header's quotes
    ],
)
def test_line_ends_in_quotes(tmp_path, content, expected):
    path = tmp_path / "orders.csv"
    path.write_bytes(content.encode("utf-8"))
    try:
        src, layout = _layout(path)
    except DataError:  # the header with a delimiter inside quotes is not this reader's layout: checked directly
        src, layout = file_source(path), text.TextLayout("utf-8", ",", 0, ["customer_id,date", "amount"])
    assert text.line_ends_in_quotes(src, layout) is expected


def test_compressed_files_take_the_general_way(tmp_path):
    path = tmp_path / "orders.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("customer_id,date,amount\nA,2024-01-02,10\n")
    src, layout = _layout(path)
    assert text.line_ends_in_quotes(src, layout) is True


def test_without_memory_maps_the_general_way(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,date,amount\nA,2024-01-02,10\n", encoding="utf-8")
    src, layout = _layout(path)

    def no_maps(*args, **kwargs):
        raise OSError("no memory maps here")

    monkeypatch.setattr(text.mmap, "mmap", no_maps)
    assert text.line_ends_in_quotes(src, layout) is True
    assert read_transactions(path, warn=False)["amount"].tolist() == [10.0]


def _read_both_ways(path, monkeypatch):
    """read_transactions as it runs, then with the general parse forced: (frame or message) each time."""
    out = []
    for forced in (False, True):
        if forced:
            monkeypatch.setattr(text, "line_ends_in_quotes", lambda src, layout: True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(read_transactions(path))
            except DataError as exc:
                out.append(str(exc))
    return out


def test_fast_parse_reads_what_the_general_parse_reads(tmp_path, monkeypatch):
    rows = [f"C{k % 7:03d},2024-0{1 + k % 9}-1{k % 10} 1{k % 10}:05:00,{k * 1.25 - 20:.2f}" for k in range(300)]
    path = tmp_path / "orders.csv"
    path.write_text('"customer_id","date","amount"\r\n' + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    src, layout = _layout(path)
    assert text.line_ends_in_quotes(src, layout) is False  # the fast way is taken
    fast, general = _read_both_ways(path, monkeypatch)
    pd.testing.assert_frame_equal(fast, general, check_exact=True)
    assert fast.attrs == general.attrs


def test_bad_rows_are_named_alike_both_ways(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,date,amount\nA,2024-01-02,10\nB,2024-01-03,5,7\nC,2024-01-04\n", encoding="utf-8")
    fast, general = _read_both_ways(path, monkeypatch)
    assert isinstance(fast, str) and "line 3" in fast
    assert fast == general


def test_a_line_end_inside_quotes_stays_in_the_id(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text('customer_id,date,amount\n"Smith\nJr",2024-01-02,10\nA,2024-01-03,5\n', encoding="utf-8")
    frame = read_transactions(path, warn=False)
    assert frame["customer_id"].tolist() == ["A", "Smith\nJr"]


@pytest.mark.parametrize("packed_bits", [64, 0], ids=["packed", "counting"])
@pytest.mark.parametrize("customers", [40, 70_000])  # numpy's radix sort, then the counting sort with counts
@pytest.mark.parametrize("days_in_file", ["per customer", "shuffled", "global"])
def test_rows_in_stable_customer_day_order(monkeypatch, packed_bits, customers, days_in_file):
    monkeypatch.setattr(order, "PACKED_BITS", packed_bits)
    rng = np.random.default_rng(customers)
    n = 3 * customers
    codes = rng.integers(0, customers, n)
    days = rng.integers(19_000, 19_030, n)
    if days_in_file == "per customer":  # each customer's rows in date order, the file not
        days = np.empty(n, np.int64)
        for _, rows in pd.Series(np.arange(n)).groupby(codes):
            days[rows.to_numpy()] = np.sort(rng.integers(19_000, 19_030, len(rows)))
        assert (np.diff(days) < 0).any()
    elif days_in_file == "global":
        days = np.sort(days)
    amounts = np.arange(n, dtype=np.float64)  # the row's place in the file, to check that ties keep it
    distinct = pd.Index([f"C{c:06d}" for c in range(customers)])
    frame = canonical_frame(codes, pa.array(distinct.to_numpy(dtype=object)), days, amounts)
    expected = (
        pd.DataFrame({"customer_id": distinct[codes], "day": days, "amount": amounts})
        .sort_values(["customer_id", "day"], kind="stable")
        .reset_index(drop=True)
    )
    assert frame["customer_id"].tolist() == expected["customer_id"].tolist()
    assert np.array_equal(frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64), expected["day"])
    assert np.array_equal(frame["amount"].to_numpy(), expected["amount"].to_numpy())


@pytest.mark.parametrize("first_values", [3, 70_000])  # few prefixes (radix pass) or many (merge sort pass)
def test_sort_distinct_keys_is_lexsort(first_values):
    rng = np.random.default_rng(first_values)
    n = 100_000
    keys = [
        rng.integers(0, first_values, n).astype(np.uint64) << np.uint64(40),
        rng.integers(0, 2**63, n, dtype=np.uint64),
        rng.integers(0, 40, n).astype(np.int32),  # byte lengths, as when a text holds a NUL byte
    ]
    _, first = np.unique(np.stack([k.astype(np.uint64) for k in keys], axis=1), axis=0, return_index=True)
    keys = [k[first] for k in keys]  # distinct tuples, in no order
    assert np.array_equal(sort_distinct_keys(keys), np.lexsort(keys[::-1]))
    assert np.array_equal(sort_distinct_keys(keys[1:2]), np.argsort(keys[1]))
