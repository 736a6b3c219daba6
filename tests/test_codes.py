"""The fast way of hashing a large id column gives exactly what one hash table and one sort give.

``crmlib.data.codes.sorted_codes`` encodes columns of a million rows or more by partitions of fixed-width
words; here the thresholds are lowered so that tiny hostile columns go that way (many blocks, many
partitions, hash collisions forced), and the answer is compared with the plain way and with Python's own
sort of the UTF-8 bytes. The whole reader is then run both ways on hostile files.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlib.data import codes, read_report, read_transactions

TRICKY = ["", "a", "a\x00", "a\x00\x00", "\x00", "ab", "abcdefgh", "abcdefgh\x00", "abcdefghi", "Zoë", "zoe", "ZOË",
          "😀", "é", "e\u0301", " 7", "7", "07", "7.0", "12345678", "123456789012345678", "x" * 16, "x" * 17, "C0001"]


@pytest.fixture(params=["table", "partitions"])
def small_parts(request, monkeypatch):
    """Blocks of a few rows, so that a tiny column takes every branch of a fast way: numbered through a table of keys
    (any number of keys allowed), or hashed by partitions (no table allowed)."""
    monkeypatch.setattr(codes, "PARTITION_ROWS", 2)
    monkeypatch.setattr(codes, "ROWS_PER_PARTITION", 2)
    monkeypatch.setattr(codes, "_BLOCK", 3)
    monkeypatch.setattr(codes, "PIECE_BLOCK", 3)
    table = request.param == "table"
    monkeypatch.setattr(codes, "TABLE_KEYS_PER_ROW", 1 << 60 if table else 0)
    monkeypatch.setattr(codes, "MIN_TABLE_KEYS", 1 << 60 if table else 0)
    return request.param


def _expected(texts: list[str | None]) -> tuple[list[int], list[str]]:
    """Codes into the distinct texts sorted by their UTF-8 bytes, computed in Python."""
    distinct = sorted({t for t in texts if t is not None}, key=lambda t: t.encode())
    where = {t: k for k, t in enumerate(distinct)}
    return [-1 if t is None else where[t] for t in texts], distinct


def _check(values: pa.Array | pa.ChunkedArray, texts: list[str | None]) -> None:
    got_codes, got_distinct = codes.sorted_codes(values)
    want_codes, want_distinct = _expected(texts)
    assert got_codes.tolist() == want_codes
    assert got_distinct.to_pylist() == want_distinct
    plain_codes, plain_distinct = codes.sorted_codes(values, partition_rows=1 << 60)
    assert np.array_equal(got_codes, plain_codes) and got_distinct.equals(plain_distinct)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(
        st.one_of(st.none(), st.sampled_from(TRICKY), st.text(max_size=12), st.text(alphabet="ab\x00", max_size=18)),
        min_size=2, max_size=60,
    ),
    cuts=st.lists(st.integers(0, 60), max_size=4),
    large=st.booleans(),
)
def test_partitioned_codes_equal_one_sort(small_parts, texts, cuts, large):
    kind = pa.large_string() if large else pa.string()
    bounds = sorted({0, len(texts), *[c for c in cuts if c <= len(texts)]})
    chunks = [pa.array(texts[a:b], kind) for a, b in zip(bounds[:-1], bounds[1:])]
    _check(pa.chunked_array(chunks, kind), texts)
    # a slice of a bigger array (its offsets do not start at 0)
    padded = pa.array(["zz", *texts, "zz"], kind).slice(1, len(texts))
    _check(padded, texts)


def test_hash_collisions_are_found(small_parts, monkeypatch):
    # every text hashes alike: the check on the words finds it and numbers the rows by their words
    monkeypatch.setattr(codes, "_MIX", (np.uint64(0), np.uint64(0), np.uint64(0)))
    texts = TRICKY * 3 + [None, "b", "a"]
    _check(pa.chunked_array([pa.array(texts[:10]), pa.array(texts[10:])]), texts)


@pytest.mark.parametrize("prefixes", [["C", "C-", ""], ["C", ""]])  # the longest id of 6 bytes, or of 5
def test_ids_with_few_values_per_piece_are_numbered_through_the_table(monkeypatch, prefixes):
    # zero-padded numbers and prefixed codes of uneven length: the table way, checked against Python's sort; with
    # an odd longest length, the last piece holds one byte and padding
    monkeypatch.setattr(codes, "PARTITION_ROWS", 2)
    monkeypatch.setattr(codes, "PIECE_BLOCK", 7)
    monkeypatch.setattr(codes, "MIN_TABLE_KEYS", 1 << 40)
    rng = np.random.default_rng(5)
    texts = [
        f"{p}{k:0{w}d}"
        for p, k, w in zip(rng.choice(prefixes, 300), rng.integers(0, 999, 300), rng.choice([3, 4], 300))
    ]
    calls = []
    real = codes._by_pieces
    monkeypatch.setattr(codes, "_by_pieces", lambda *a: calls.append(real(*a)) or calls[-1])
    _check(pa.chunked_array([pa.array(texts[:100]), pa.array(texts[100:])]), texts)
    assert calls[0] is not None  # numbered through the table, not hashed
    # too many keys for the table (a limit of one key per row, none extra): hashed by partitions, same answer
    monkeypatch.setattr(codes, "TABLE_KEYS_PER_ROW", 1)
    monkeypatch.setattr(codes, "MIN_TABLE_KEYS", 0)
    _check(pa.array(texts), texts)
    assert calls[-1] is None
    # a column too short for partitions but long enough for the table: the table way, else one hash table
    monkeypatch.setattr(codes, "PARTITION_ROWS", 1 << 60)
    monkeypatch.setattr(codes, "TABLE_ROWS", 2)
    monkeypatch.setattr(codes, "_by_words_in", None)  # never called
    _check(pa.array(texts), texts)
    assert calls[-1] is None
    monkeypatch.setattr(codes, "MIN_TABLE_KEYS", 1 << 40)
    _check(pa.array(texts), texts)
    assert calls[-1] is not None


def _words_in_python(texts: list[str | None], n_words: int) -> list[list[int]]:
    """Each text's UTF-8 bytes, zero-padded, read 8 at a time as little-endian words (a null: its empty slot)."""
    width = 16 * -(-n_words // 2)
    padded = [(t or "").encode().ljust(width, b"\x00") for t in texts]
    return [[int.from_bytes(b[8 * j : 8 * j + 8], "little") for j in range(width // 8)] for b in padded]


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize(
    "texts",
    [
        ["R00C0000015", "R00C0001000", "R00C0000015"],  # one width: the bytes are a table (the fixed-width way)
        ["abcdefgh", "12345678"],
        ["x" * 16, "y" * 16],
        ["", "", ""],
        ["Zoë", "ZOË", "é7ë"],  # one width in bytes, not in characters
        ["😀", "ab\x00c"],
        ["C001", "C01", "C0001"],  # widths differ: gathered text by text
        ["C001", None, "C002"],  # a null among texts of one width
        ["abc", "de", "fgh"],  # the same total as one width of 8/3 bytes: not one width
    ],
)
def test_block_words_equal_the_bytes_read_in_python(texts, large):
    kind = pa.large_string() if large else pa.string()
    n_words = max(1, -(-max(len((t or "").encode()) for t in texts) // 8))
    for block in (pa.array(texts, kind), pa.array(["zz", *texts, "zzz"], kind).slice(1, len(texts))):
        words, lengths = codes._block_words(block, n_words)
        assert words.tolist() == _words_in_python(texts, n_words)
        assert lengths.tolist() == [len((t or "").encode()) for t in texts]
        out = np.full((len(texts), words.shape[1]), 7, np.uint64)  # written into, every byte
        assert codes._block_words(block, n_words, out=out)[0] is out and out.tolist() == words.tolist()


def test_long_texts_and_all_null_blocks(small_parts):
    texts = [None, None, None, "y" * 60, "x", None, "y" * 60]  # longer than the words take: hashed whole
    _check(pa.chunked_array([pa.array(texts[:3], pa.string()), pa.array(texts[3:])]), texts)
    texts = [None, None, None, "b", "a", "b"]
    _check(pa.chunked_array([pa.array(texts[:3], pa.string()), pa.array(texts[3:])]), texts)


HOSTILE_CSV = (
    "customer_id,date,amount\n"
    '" abc",2024-01-03,10\n'
    "abc,2024-01-01,5\n"
    "ABC,2024-01-02,1\n"
    "Zoë,2024-01-02,7\n"
    "7,2024-01-05,-2\n"
    "007,2024-01-04,3\n"
    "7,2024-01-04,4\n"
    "abc\xa0,2024-01-01,2\n"
    "customer_id,date,amount\n"
    "x-1,2024-01-06,0\n"
    "zoë,2024-01-02,1\n"
)


@pytest.mark.parametrize("blank", ["raise", "drop"])
def test_reader_same_frame_both_ways(tmp_path, monkeypatch, blank):
    path = tmp_path / "log.csv"
    text = HOSTILE_CSV + ("NULL,2024-01-07,9\n" if blank == "drop" else "")
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = read_transactions(path, blank_customers=blank)
        monkeypatch.setattr(codes, "PARTITION_ROWS", 2)
        monkeypatch.setattr(codes, "ROWS_PER_PARTITION", 2)
        monkeypatch.setattr(codes, "_BLOCK", 3)
        fast = read_transactions(path, blank_customers=blank)
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    assert read_report(fast) == read_report(plain)
    assert fast["customer_id"].tolist() == sorted(fast["customer_id"], key=lambda t: t.encode())


def test_missing_id_in_a_pandas_text_column():
    # pandas' own text columns (Arrow large strings) with a missing id: the id is blank like any other
    frame = pd.DataFrame({"customer_id": pd.Series(["a", None, "b"], dtype="str"), "date": ["2024-01-01"] * 3,
                          "amount": [1.0, 2.0, 3.0]})
    out = read_transactions(frame, blank_customers="drop", warn=False)
    assert out["customer_id"].tolist() == ["a", "b"]
