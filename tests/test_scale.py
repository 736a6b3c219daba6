"""crmlib.scale: the per-customer summary in SQL (DuckDB), checked against crmlib.rfm.summarize and by hand."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlib.data import DataError, DataWarning
from crmlib.params import ParameterError
from crmlib.rfm import summarize
from crmlib.scale import summarize_file, summary_sql

UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 30.4375, "Y": 365.25}


def _log(seed: int = 0, n: int = 4000, customers: int = 400, *, cents: bool = False) -> pd.DataFrame:
    """A log with many same-day purchases (40 distinct days for 10 rows a customer), times of day,
    ids with leading zeros and non-ASCII ids."""
    rng = np.random.default_rng(seed)
    names = np.array([f"{i:04d}" for i in range(customers - 3)] + ["Zoë", "zoe", "Ærø"], dtype=object)
    day = rng.integers(0, 40, n)
    seconds = rng.integers(0, 86400, n)
    amount = rng.integers(1, 500, n).astype(float)
    if cents:
        amount = np.round(amount / 7.0, 2)
    return pd.DataFrame(
        {
            "customer_id": names[rng.integers(0, customers, n)],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day * 86400 + seconds, unit="s"),
            "amount": amount,
        }
    )


def _expected(tx: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """crmlib.rfm.summarize on the frame, customer ids as text (as summarize_file reads them)."""
    return summarize(tx.assign(customer_id=tx["customer_id"].astype(str)), **kwargs)


def _write(tx: pd.DataFrame, path, *, names=("customer_id", "date", "amount")) -> str:
    out = tx.rename(columns=dict(zip(("customer_id", "date", "amount"), names)))
    if str(path).endswith(".parquet"):
        out.to_parquet(path, index=False)
    else:
        out.assign(**{names[1]: out[names[1]].dt.strftime("%Y-%m-%d %H:%M:%S")}).to_csv(path, index=False)
    return str(path)


# ----------------------------------------------------------------------------------------------
# By hand


def test_hand_computed_example(tmp_path):
    # a: purchase days Jan 1 (10 + 5 = 15), Jan 15 (20), Jan 22 (4 + 6 = 10): frequency 2,
    #    recency = 21 days = 3 weeks, T = Jan 29 - Jan 1 = 28 days = 4 weeks, monetary = (20 + 10) / 2 = 15.
    # b: one purchase day (Jan 8, 7 + 1 = 8): frequency 0, recency 0, T = 21 days = 3 weeks, monetary 0.
    # c: first purchase Feb 2, after the end of observation: left out.
    path = tmp_path / "hand.csv"
    path.write_text(
        "client,day,total\n"
        "a,2024-01-01,10\n" "a,2024-01-01 18:30:00,5\n" "a,2024-01-15,20\n"
        "a,2024-01-22T09:00:00,4\n" "a,2024-01-22,6\n"
        "b,2024-01-08,7\n" "b,2024-01-08,1\n"
        "c,2024-02-02,99\n" "a,2024-02-03,1000\n"
    )
    got = summarize_file(path, customer="client", date="day", amount="total", observation_end="2024-01-29", unit="W")
    assert got.index.tolist() == ["a", "b"]
    assert got["frequency"].tolist() == [2, 0]
    assert got["recency"].tolist() == [3.0, 0.0]
    assert got["T"].tolist() == [4.0, 3.0]
    assert got["monetary_value"].tolist() == [15.0, 0.0]
    assert got["frequency"].dtype == np.int64
    assert got.attrs["unit"] == "W"  # as crmlib.rfm.summarize: the models read the unit from here
    # default end: the last date in the file, Feb 3. a: days Jan 1, 15, 22, Feb 3 -> frequency 3,
    # recency 33 days, T 33, monetary (20 + 10 + 1000) / 3; c: T = 1 day.
    got = summarize_file(path, customer="client", date="day", amount="total")
    assert got.loc["a"].tolist() == [3, 33.0, 33.0, 1030 / 3]
    assert got.loc["c", "T"] == 1.0 and got.loc["b", "T"] == 26.0


def test_ids_are_text_and_sorted_by_code_point(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("customer_id,date,amount\n007,2024-01-01,1\n7,2024-01-02,1\n10,2024-01-02,1\n9,2024-01-02,1\n")
    got = summarize_file(path)
    assert got.index.tolist() == ["007", "10", "7", "9"]
    assert str(got.index.dtype) in ("str", "string", "object")


# ----------------------------------------------------------------------------------------------
# Against crmlib.rfm.summarize


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("unit", ["D", "W", "M", "Y"])
def test_equals_rfm_summarize_whole_amounts(tmp_path, suffix, unit):
    # Whole-number amounts: every floating-point sum is exact whatever the order of addition,
    # so the two implementations must agree to the last bit.
    tx = _log(seed=len(unit) + ord(unit))
    path = _write(tx, tmp_path / f"log{suffix}")
    for end in (None, "2024-01-25"):
        got = summarize_file(path, unit=unit, observation_end=end)
        pd.testing.assert_frame_equal(got, _expected(tx, unit=unit, observation_end=end), check_exact=True)


def test_equals_rfm_summarize_cents(tmp_path):
    # Amounts in cents are not exact binary fractions: DuckDB adds them in another order than numpy,
    # so monetary values may differ in the last bits; 1e-12 relative is far below a cent.
    tx = _log(seed=5, cents=True)
    path = _write(tx, tmp_path / "cents.parquet")
    got = summarize_file(path, unit="W", observation_end="2024-02-01")
    want = _expected(tx, unit="W", observation_end="2024-02-01")
    pd.testing.assert_frame_equal(
        got[["frequency", "recency", "T"]], want[["frequency", "recency", "T"]], check_exact=True
    )
    np.testing.assert_allclose(got["monetary_value"], want["monetary_value"], rtol=1e-12, atol=0)


def test_collapse_counts_the_patterns(tmp_path):
    tx = _log(seed=3, n=3000, customers=600)
    path = _write(tx, tmp_path / "log.parquet")
    got = summarize_file(path, unit="W", collapse=True, threads=1, memory_limit="200MB")
    want = (
        _expected(tx, unit="W").groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    )
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["weight"].sum() == tx["customer_id"].nunique()


def test_glob_pattern_reads_several_files(tmp_path):
    tx = _log(seed=4)
    half = len(tx) // 2
    _write(tx.iloc[:half], tmp_path / "part-1.parquet")
    _write(tx.iloc[half:], tmp_path / "part-2.parquet")
    got = summarize_file(pattern=str(tmp_path / "part-*.parquet"), unit="D")
    pd.testing.assert_frame_equal(got, _expected(tx), check_exact=True)
    # a path is a path: the same text as a path is refused, and says how to ask for a pattern
    with pytest.raises(DataError, match=r"there is no file .*part-\*\.parquet.*pass pattern="):
        summarize_file(str(tmp_path / "part-*.parquet"))


def test_other_column_names_and_odd_characters(tmp_path):
    tx = _log(seed=6)
    names = ('client "id"', "order's date", "total `eur`")
    path = _write(tx, tmp_path / "it's here.csv", names=names)
    got = summarize_file(path, customer=names[0], date=names[1], amount=names[2], unit="M")
    pd.testing.assert_frame_equal(got, _expected(tx, unit="M"), check_exact=True)


def test_several_passes_give_the_frame_of_one_pass(tmp_path, monkeypatch):
    # A log too large for one pass within the memory limit is summarized in passes over hash(customer) % k;
    # a customer's rows all fall in one pass, so the frame is the one pass's, to the last bit. Forced here on a
    # small file (every row counted as 1 MB: passes of 1,000 rows under the 1 GB limit), with returns and an end.
    import crmlib.scale as scale

    tx = _log(seed=11, n=4000, customers=300)
    rng = np.random.default_rng(11)
    tx.loc[rng.random(len(tx)) < 0.05, "amount"] *= -1  # returns: the netting path, not only the lean one
    path = _write(tx, tmp_path / "log.parquet")
    calls = {"net": {"memory_limit": "1GB"}, "drop": {"returns": "drop", "observation_end": "2024-02-01", "unit": "W",
                                                      "memory_limit": "1GB"}}
    one = {name: summarize_file(path, warn=False, **kw) for name, kw in calls.items()}
    parts = []
    original = scale._pass_sql
    monkeypatch.setattr(scale, "_pass_sql", lambda *a, **kw: parts.append(kw["part"]) or original(*a, **kw))
    monkeypatch.setattr(scale, "_PASS_ROW_BYTES", 10**6)
    for name, kw in calls.items():
        parts.clear()
        got = summarize_file(path, warn=False, **kw)
        assert parts == [(0, 4), (1, 4), (2, 4), (3, 4)]
        pd.testing.assert_frame_equal(got, one[name], check_exact=True)
    positive = _write(tx.assign(amount=tx["amount"].abs()), tmp_path / "positive.parquet")  # the lean pass
    got = summarize_file(positive, unit="M", observation_end="2024-01-20", memory_limit="1GB")
    assert parts[-4:] == [(0, 4), (1, 4), (2, 4), (3, 4)]
    want = _expected(tx.assign(amount=tx["amount"].abs()), unit="M", observation_end="2024-01-20")
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_end_before_every_purchase_gives_an_empty_summary(tmp_path):
    path = _write(_log(seed=1), tmp_path / "log.parquet")
    got = summarize_file(path, observation_end="2023-12-31")
    assert len(got) == 0
    assert list(got.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert got.index.name == "customer_id" and got["frequency"].dtype == np.int64


def test_the_file_is_only_read(tmp_path):
    path = _write(_log(seed=2), tmp_path / "log.csv")
    def fingerprint():
        return hashlib.sha256(Path(path).read_bytes()).hexdigest(), os.stat(path).st_mtime_ns

    before = fingerprint()
    summarize_file(path)
    assert fingerprint() == before
    assert sorted(os.listdir(tmp_path)) == ["log.csv"]


# ----------------------------------------------------------------------------------------------
# The SQL


def test_summary_sql_quotes_identifiers_for_each_dialect():
    duck = summary_sql("t", customer='a"b', date="d", amount="x")
    assert '"a""b"' in duck
    spark = summary_sql("t", customer="a`b", date="d", amount="x", dialect="spark")
    assert "`a``b`" in spark and "unix_date(" in spark
    # the two dialects differ only in quoting and the day number
    def norm(s: str) -> str:
        s = s.replace("`", '"').replace("unix_date(", "DAYNO(")
        return s.replace("date_diff('day', DATE '1970-01-01', ", "DAYNO(")

    assert norm(summary_sql("t", dialect="spark")) == norm(summary_sql("t"))


def test_summary_sql_runs_on_a_duckdb_table():
    import duckdb

    tx = _log(seed=8)
    con = duckdb.connect()
    con.register("orders", tx)
    got = con.sql(summary_sql("orders", unit="W", observation_end="2024-01-30")).df()
    want = _expected(tx, unit="W", observation_end="2024-01-30")
    assert got["customer_id"].tolist() == want.index.tolist()
    np.testing.assert_array_equal(got["frequency"], want["frequency"])
    np.testing.assert_array_equal(got["T"], want["T"])


# ----------------------------------------------------------------------------------------------
# Errors a user can act on


def _both(path, match, **kw) -> str:
    """summarize_file refuses ``path`` with the message of read_transactions (said by summarize_file)."""
    from crmlib.data import read_transactions

    with pytest.raises(DataError, match=match) as memory:
        read_transactions(path, warn=False, **kw)
    with pytest.raises(DataError, match=match) as disk:
        summarize_file(path, **kw)
    assert str(disk.value) == str(memory.value).replace("read_transactions: ", "summarize_file: ", 1)
    assert disk.value.render("cli") == memory.value.render("cli")
    return str(disk.value)


def test_missing_column_lists_the_columns(tmp_path):
    path = _write(_log(), tmp_path / "log.csv", names=("client", "day", "total"))
    _both(path, r"the customer-id column 'customer_id' is not in 'log.csv'\. Columns present: 'client', 'day', 'total'")
    _both(path, r"the amount column 'amount' is not in 'log.csv'.*Name the amount column with amount='<column name>'",
          customer="client", date="day")


def test_unreadable_and_missing_files(tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"this is not parquet at all")
    _both(bad, r"'broken.parquet' cannot be read as a Parquet file")
    ragged = tmp_path / "ragged.csv"
    good = "".join(f"c{i % 50},2024-01-{i % 28 + 1:02d},{i % 9 + 1}\n" for i in range(3000))
    ragged.write_text("customer_id,date,amount\n" + good + "x,2024-01-05,1,EXTRA,MORE\n" + good[:200])
    _both(
        ragged, r"2 rows of 'ragged.csv' do not have the 3 fields of the header \(delimiter ','\): line 3002: 5 fields"
    )
    with pytest.raises(DataError, match=r"there is no file .*nowhere.csv"):
        summarize_file(tmp_path / "nowhere.csv")
    with pytest.raises(DataError, match=r"no file matches the pattern .*\*.parquet"):
        summarize_file(pattern=str(tmp_path / "empty-folder" / "*.parquet"))
    with pytest.raises(DataError, match=r"is a folder"):
        summarize_file(tmp_path)
    json_file = tmp_path / "log.json"
    json_file.write_text("{}")
    _both(json_file, r"the extension '\.json' is not supported")


def test_dates_and_amounts_follow_the_readers_rules(tmp_path):
    # a date in another format and an amount written as money: read as read_transactions reads them
    path = tmp_path / "us.csv"
    path.write_text("customer_id,date,amount\na,2024-01-02,1\na,12/31/2024,$2.50\nb,2024-01-03,12 EUR\n")
    from crmlib.data import read_transactions

    with pytest.warns(DataWarning, match=r"mixes formats"):
        got = summarize_file(path)
    pd.testing.assert_frame_equal(got, summarize(read_transactions(path, warn=False)), check_exact=True)
    assert got.loc["a", "frequency"] == 1 and got.loc["a", "monetary_value"] == 2.5 and got.loc["b", "T"] == 363.0


def test_text_and_blank_cells_get_the_readers_messages(tmp_path):
    path = tmp_path / "amount.csv"
    path.write_text("customer_id,date,amount\na,2024-01-02,1\nb,2024-01-03,twelve\n")
    _both(
        path, r"the amount column 'amount' holds 1 value that is not a number, mixed in with numbers: line 3: 'twelve'"
    )
    path = tmp_path / "blank.csv"
    path.write_text("customer_id,date,amount\na,2024-01-02,1\n,2024-01-02,3\n,2024-01-03,3\nb,,4\nc,2024-01-04,\n")
    _both(
        path, r"the customer-id column 'customer_id' is blank in 2 of 5 rows: line 3, line 4 .*blank_customers='drop'"
    )
    # with blank ids dropped, the next problem is named: the empty amount of line 6 (the reader's order)
    _both(path, r"the amount column 'amount' is empty in 1 row: line 6", blank_customers="drop")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("customer_id,date,amount\n")
    _both(path, r"'empty.csv' has a header but no data rows")


def test_bad_parameters(tmp_path):
    path = _write(_log(), tmp_path / "log.parquet")
    with pytest.raises(
        ParameterError,
        match=r"The 'engine' parameter of summarize_file must be one of 'duckdb', 'spark'\. Got 'polars'",
    ):
        summarize_file(path, engine="polars")
    with pytest.raises(ParameterError, match=r"The 'unit' parameter of summarize_file must be one of 'D'"):
        summarize_file(path, unit="days")
    with pytest.raises(
        ParameterError, match=r"The 'memory_limit' parameter of summarize_file must be a size such as '2GB'"
    ):
        summarize_file(path, memory_limit=2)
    with pytest.raises(
        ParameterError, match=r"The 'threads' parameter of summarize_file must be an integer in \[1, inf\)\. Got 0"
    ):
        summarize_file(path, threads=0)
    with pytest.raises(
        ParameterError, match=r"'memory_limit' and 'threads' parameters of summarize_file apply to DuckDB only"
    ):
        summarize_file(path, engine="spark", memory_limit="1GB")
    with pytest.raises(
        ParameterError, match=r"The 'path' parameter of summarize_file must be a file path .*crmlib.rfm.summarize"
    ):
        summarize_file(pd.DataFrame())
    with pytest.raises(ParameterError, match=r"The 'customer' parameter of summarize_file must be a non-empty text"):
        summarize_file(path, customer=None)
    with pytest.raises(
        ParameterError, match=r"The 'collapse' parameter of summarize_file must be True or False\. Got 'yes'"
    ):
        summarize_file(path, collapse="yes")
    with pytest.raises(
        ParameterError, match=r"The 'dialect' parameter of summary_sql must be one of 'duckdb', 'spark'"
    ):
        summary_sql("t", dialect="postgres")


def test_out_of_memory_says_what_to_do(tmp_path):
    path = _write(_log(seed=9, n=20000, customers=5000), tmp_path / "log.parquet")
    with pytest.raises(
        MemoryError, match=r"DuckDB ran out of memory with memory_limit='1MB' .*Give a larger memory_limit"
    ):
        summarize_file(path, memory_limit="1MB", threads=1)


def test_summarize_takes_a_path_and_gives_the_same_frame(tmp_path):
    """rfm.summarize(path) runs the DuckDB path and equals rfm.summarize(frame) (issue: summarize takes a path)."""
    import pandas as pd

    from crmlib import rfm

    tx = pd.DataFrame({
        "client": ["b", "a", "a", "a", "b"],
        "day": pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-01", "2024-01-15", "2024-02-01"]),
        "total": [7.0, 10.0, 5.0, 20.0, 1.5],
    })
    path = tmp_path / "log.parquet"
    tx.to_parquet(path)
    from_file = rfm.summarize(
        path, customer="client", date="day", amount="total", unit="W", observation_end="2024-02-05"
    )
    canonical = tx.rename(columns={"client": "customer_id", "day": "date", "total": "amount"})
    from_frame = rfm.summarize(canonical, unit="W", observation_end="2024-02-05")
    pd.testing.assert_frame_equal(from_file, from_frame, check_index_type=False, check_dtype=False)
    # a by hand: first day 2024-01-01 (15.0), repeat 2024-01-15 (20.0); T = 35 days = 5 weeks
    assert from_file.loc["a", "frequency"] == 1 and from_file.loc["a", "monetary_value"] == 20.0
    assert from_file.loc["a", "T"] == 5.0


@pytest.mark.parametrize("end", [None, "2024-01-02"])
def test_what_parquet_statistics_cannot_show_is_still_refused(tmp_path, end):
    # A typed Parquet file whose statistics prove the checks is read in one pass; its statistics leave NaN
    # amounts out (and say nothing of id lengths), so these are found after the pass -- after observation_end too.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crmlib.data import read_transactions

    def write(name, ids, amounts):
        days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).to_numpy()
        table = pa.table({"customer_id": ids, "date": pa.array(days), "amount": pa.array(amounts, pa.float64())})
        pq.write_table(table, tmp_path / name)
        stats = pq.read_metadata(tmp_path / name).row_group(0).column(2).statistics
        assert stats.null_count == 0 and stats.max == 5.0  # NaN is neither null nor the maximum
        return tmp_path / name

    path = write("nan.parquet", ["a", "a", "b"], [1.0, 5.0, float("nan")])
    with pytest.raises(DataError, match=r"'amount' is empty in 1 row: row 3") as memory:
        read_transactions(path)
    # refused with the reader's message, although DuckDB's optimizer, trusting the same statistics, would fold
    # isnan() on this column to false
    with pytest.raises(DataError) as disk:
        summarize_file(path, observation_end=end)
    assert str(disk.value) == str(memory.value).replace("read_transactions: ", "summarize_file: ", 1)

    path = write("long.parquet", ["a", "a", "b" * 30], [1.0, 5.0, 2.0])
    message = r"holds 1 id longer than 20 characters: row 3"
    with pytest.raises(DataError, match=message) as memory:
        read_transactions(path, max_id_length=20)
    with pytest.raises(DataError, match=message) as disk:
        summarize_file(path, max_id_length=20, observation_end=end)
    assert str(disk.value) == str(memory.value).replace("read_transactions: ", "summarize_file: ", 1)
    # the file without those rows is read in one pass and gives the reader's frame
    path = write("clean.parquet", ["a", "a", "b"], [1.0, 5.0, 2.0])
    expected = summarize(read_transactions(path, warn=False), observation_end=end)
    pd.testing.assert_frame_equal(summarize_file(path, observation_end=end), expected, check_exact=True)


def test_plain_ids_are_checked_in_sql_with_the_readers_answer(monkeypatch):
    # ids of ASCII letters, digits, '_' and '-' are checked by one SQL aggregate; the answer is the Arrow test's
    import duckdb
    import pyarrow as pa

    from crmlib.data.sql import check_ids

    cases = [
        ["abc", "007", "7"],
        ["NaN", "x"],
        ["null", "NULL", "None"],
        ["na", "12"],
        ["12", "34"],
        ["a-b_c", "K" * 250],
        ["a b", "7.0", "7", " a", "Zoë", "", None, "N/A"],
        [],
    ]
    con = duckdb.connect()
    for ids in cases:
        con.register("ids", pa.table({"cid": pa.array(ids, pa.string())}))
        fast = check_ids(con, "ids")
        with monkeypatch.context() as m:
            m.setattr("crmlib.data.sql._PLAIN_ID", "")  # no id is plain: the Arrow test
            assert check_ids(con, "ids") == fast, ids
    con.close()
