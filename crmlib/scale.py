r"""The per-customer summary out of core: DuckDB for files larger than memory, Spark for cluster data.

:func:`crmlib.rfm.summarize` works on a DataFrame in memory. For a transaction log too large for that
(tens of millions of rows in a CSV or Parquet file, or logs in a data lake), the same summary is written
once as SQL (:func:`summary_sql`) and run by a database engine that streams the file:

* :func:`summarize_file` runs it on DuckDB (embedded, no server; it spills to disk when the data exceed
  ``memory_limit``), or on Spark with ``engine="spark"``;
* :func:`summarize_spark` runs it through Spark SQL on a Spark DataFrame or a path the cluster can read.

Only the summary (one row per customer), or with ``collapse=True`` the counts of each
(frequency, recency, T) pattern that the probability models need, comes back to Python.

The result is the frame of :func:`crmlib.rfm.summarize` (Fader, Hardie and Lee 2005 conventions):
purchases aggregated to the calendar day, ``frequency`` = purchase days - 1, ``recency`` and ``T`` in
``unit``, ``monetary_value`` = mean amount of the repeat purchase days. Customer ids are read as text.

Three lines, DuckDB::

    from crmlib.scale import summarize_file
    summary = summarize_file("orders.parquet", customer="client", date="order_date", amount="total",
                             unit="W", memory_limit="2GB")

and Spark (a local or cluster session; the log stays where it is)::

    from crmlib.scale import summarize_spark
    summary = summarize_spark("s3a://lake/orders/*.parquet", spark, customer="client", date="order_date",
                              amount="total", unit="W")

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
Raasveldt, M. and Mühleisen, H. (2019). DuckDB: an embeddable analytical database. *SIGMOD 2019*.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import uuid
from typing import Any

import numpy as np
import pandas as pd

from crmlib.data import DataError, ReadOptions
from crmlib.params import (
    DateLike,
    ParameterError,
    check_choice,
    check_date,
    check_number,
    check_unit,
    unit_days,
)

__all__ = ["DIALECTS", "ENGINES", "summarize_file", "summarize_spark", "summary_sql"]

#: Engines :func:`summarize_file` can run on.
ENGINES = ("duckdb", "spark")
#: SQL dialects :func:`summary_sql` can write.
DIALECTS = ("duckdb", "spark")

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.zst", ".tsv", ".txt", ".txt.gz", ".tsv.gz")

# The only places the two dialects differ: how identifiers are quoted and how a DATE becomes a day number.
_DAY_NUMBER = {
    "duckdb": "date_diff('day', DATE '1970-01-01', {x})",
    "spark": "unix_date({x})",
}
_QUOTE = {"duckdb": '"', "spark": "`"}

_SQL_TEMPLATE = """\
WITH src AS (
    SELECT {customer} AS cid,
           {day_number} AS day_no,
           CAST({amount} AS DOUBLE) AS amt
    FROM {source}
),
purchase_days AS (  -- one row per customer and calendar day: the amounts of a day add up
    SELECT cid, day_no, SUM(amt) AS day_amount,
           COUNT(*) AS n_rows, COUNT(*) - COUNT(amt) AS n_blank_amount
    FROM src
    {where}
    GROUP BY cid, day_no
),
customers AS (
    SELECT cid,
           COUNT(day_no) - 1 AS frequency,
           MIN(day_no) AS first_day,
           MAX(day_no) AS last_day,
           SUM(day_amount) AS total,
           min_by(day_amount, day_no) AS first_amount,
           SUM(n_rows) AS n_rows,
           SUM(n_blank_amount) AS n_blank_amount,
           COUNT(*) - COUNT(day_no) AS n_blank_date
    FROM purchase_days
    GROUP BY cid
),
summary AS (
    SELECT CAST(cid AS STRING) AS {q_customer_id},
           frequency AS {q_frequency},
           (last_day - first_day) / CAST({unit_days!r} AS DOUBLE) AS {q_recency},
           ({end_day} - first_day) / CAST({unit_days!r} AS DOUBLE) AS {q_T},
           CASE WHEN frequency > 0 THEN (total - first_amount) / frequency ELSE CAST(0 AS DOUBLE) END
               AS {q_monetary_value},
           CASE WHEN cid IS NULL THEN n_rows ELSE 0 END AS {q_blank_customer},
           n_blank_date AS {q_blank_date},
           n_blank_amount AS {q_blank_amount}
    FROM customers
)
{final}"""

_FINAL_SUMMARY = "SELECT * FROM summary ORDER BY {q_customer_id}"
_FINAL_COLLAPSED = """\
SELECT {q_frequency}, {q_recency}, {q_T}, COUNT(*) AS {q_weight},
       SUM({q_blank_customer}) AS {q_blank_customer}, SUM({q_blank_date}) AS {q_blank_date},
       SUM({q_blank_amount}) AS {q_blank_amount}
FROM summary
GROUP BY {q_frequency}, {q_recency}, {q_T}
ORDER BY {q_frequency}, {q_recency}, {q_T}"""

_CHECK_COLUMNS = ("_blank_customer", "_blank_date", "_blank_amount")


def _quote(name: str, dialect: str) -> str:
    """Quote an identifier: wrap in the dialect's quote character, double any inside it."""
    q = _QUOTE[dialect]
    return q + name.replace(q, q + q) + q


def _sql_string(text: str) -> str:
    """A SQL string literal (standard SQL: single quotes, doubled inside)."""
    return "'" + text.replace("'", "''") + "'"


def _end_day(end) -> int:
    return int(np.datetime64(pd.Timestamp(end).date(), "D").astype(np.int64))


def summary_sql(
    source: str,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    observation_end: DateLike | None = None,
    unit: str = "D",
    collapse: bool = False,
    dialect: str = "duckdb",
) -> str:
    r"""The SQL query of the per-customer summary, for DuckDB or Spark SQL.

    One template, two dialects: they differ only in how identifiers are quoted (``"x"`` in DuckDB,
    ```x``` in Spark) and how a date becomes a day number. The query runs three aggregation steps:

    1. ``GROUP BY customer, day``: one row per purchase day, amount :math:`z_{ij}` = sum of the day;
    2. ``GROUP BY customer``: number of purchase days :math:`n_i`, first and last day
       :math:`t_{i0}, t_{ix}`, total :math:`\sum_j z_{ij}` and the first day's amount
       :math:`z_{i0}` (``min_by(amount, day)``);
    3. per customer, in ``unit`` of length :math:`u` days and with :math:`\tau` the end of observation:

    .. math::

        x_i = n_i - 1, \quad t_x = (t_{ix} - t_{i0}) / u, \quad T_i = (\tau - t_{i0}) / u, \quad
        m_i = \frac{\sum_{j=0}^{x_i} z_{ij} - z_{i0}}{x_i} \;(0 \text{ if } x_i = 0)

    With ``collapse=True`` a fourth step groups the customers by :math:`(x, t_x, T)` and counts them
    (column ``weight``). Extra columns ``_blank_customer``, ``_blank_date`` and ``_blank_amount`` count
    rows with an empty customer, date or amount; :func:`summarize_file` checks them and drops them.

    Parameters
    ----------
    source : str
        What to select from, inserted as it is: a table or view name, or a table function such as
        ``read_parquet('orders.parquet')``. Column names are quoted safely; ``source`` is not (it is
        code, not data).
    customer, date, amount : str
        Column names in ``source``. Dates must be dates, timestamps or ISO 8601 text
        (``2024-03-31`` or ``2024-03-31 14:05:00``); the time of day is dropped.
    observation_end : date-like, optional
        Last day of observation (inclusive); later rows are left out. Default: the last purchase day.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency`` and ``T``: days, weeks (7 days), months (30.4375 days), years (365.25 days).
    collapse : bool
        Return the counts of each (frequency, recency, T) instead of one row per customer.
    dialect : {"duckdb", "spark"}
        The SQL dialect.

    Returns
    -------
    str
        The query. Output columns ``customer_id, frequency, recency, T, monetary_value`` and the three
        check columns, ordered by customer id (or ``frequency, recency, T, weight`` and the check
        columns with ``collapse=True``).

    References
    ----------
    Fader, Hardie and Lee (2005), section 2 (the summary the BG/NBD likelihood needs).

    Examples
    --------
    >>> sql = summary_sql("read_parquet('orders.parquet')", customer="client", unit="W")
    >>> print(sql.splitlines()[1])
        SELECT "client" AS cid,
    >>> "`client`" in summary_sql("orders", customer="client", dialect="spark")
    True
    """
    func = "summary_sql"
    dialect = check_choice(dialect, "dialect", DIALECTS, func=func)
    unit = check_unit(unit, func=func)
    end = check_date(observation_end, "observation_end", func=func)
    if not isinstance(source, str) or not source.strip():
        raise ParameterError(
            f"The 'source' parameter of {func} must be a table name or a table function as text. "
            f"Got {source!r} instead."
        )
    for name, value in (("customer", customer), ("date", date), ("amount", amount)):
        if not isinstance(value, str) or value == "":
            raise ParameterError(
                f"The {name!r} parameter of {func} must be a column name (text). Got {value!r} instead."
            )

    def q(name: str) -> str:
        return _quote(name, dialect)

    names = {f"q_{n}": q(n) for n in ("customer_id", "frequency", "recency", "T", "monetary_value", "weight")}
    names.update({f"q{n}": q(n) for n in _CHECK_COLUMNS})
    final = (_FINAL_COLLAPSED if collapse else _FINAL_SUMMARY).format(**names)
    day = _DAY_NUMBER[dialect].format(x=f"CAST(CAST({q(date)} AS TIMESTAMP) AS DATE)")
    if end is None:
        where = ""
        end_day = "(SELECT MAX(last_day) FROM customers)"
    else:
        where = f"WHERE day_no <= {_end_day(end)} OR day_no IS NULL"
        end_day = str(_end_day(end))
    return _SQL_TEMPLATE.format(
        customer=q(customer),
        amount=q(amount),
        day_number=day,
        source=source,
        where=where,
        end_day=end_day,
        unit_days=float(unit_days(unit)),
        final=final,
        **names,
    )


# ----------------------------------------------------------------------------------------------
# Turning the engine's answer into the kit's frame


def _finish(table, *, collapse: bool, end_given: bool, where: str, columns: dict[str, str], unit: str) -> pd.DataFrame:
    """Check the blank counts, drop them, set index and dtypes like :func:`crmlib.rfm.summarize`.

    ``table`` is the engine's answer as a pyarrow Table; it is converted column by column (and released
    as it goes) so that a summary of millions of customers is not held twice.
    """
    import pyarrow.compute as pc

    blanks = {c: int(pc.sum(table.column(c)).as_py() or 0) for c in _CHECK_COLUMNS}
    problems = []
    if blanks["_blank_customer"]:
        problems.append(f"the customer column {columns['customer']!r} is empty in {blanks['_blank_customer']} rows")
    if blanks["_blank_date"]:
        problems.append(f"the date column {columns['date']!r} is empty in {blanks['_blank_date']} rows")
    if blanks["_blank_amount"]:
        problems.append(f"the amount column {columns['amount']!r} is empty in {blanks['_blank_amount']} rows")
    if problems:
        raise DataError(
            f"{where}: {'; '.join(problems)}. Drop or fill those rows first, or read the file with "
            "crmlib.data.read_transactions, which shows the first offending rows."
        )
    if table.num_rows == 0 and not end_given:
        raise DataError(f"{where}: the file holds no transactions; there is nothing to summarize.")
    return _to_frame(table.drop_columns(list(_CHECK_COLUMNS)), collapse=collapse, unit=unit)


# ----------------------------------------------------------------------------------------------
# DuckDB

#: DuckDB's memory limit when none is given: beyond it DuckDB spills to a temporary folder. 1.5 GB keeps a
#: 50M-row log's summary in memory at about 1.6 GB peak for the whole call; under 1 GB the same summary
#: spills to disk, which took 1.7-1.9x as long on 2 shared cores.
DEFAULT_MEMORY_LIMIT = "1.5GB"


def _check_memory_limit(value, func):
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(
        r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", value, re.IGNORECASE
    ):
        return value.strip()
    raise ParameterError(
        f"The 'memory_limit' parameter of {func} must be a size such as '2GB' or '500MB', or None for the "
        f"kit's default ({DEFAULT_MEMORY_LIMIT}, spilling to disk beyond it). Got {value!r} instead."
    )


def _cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _connect(memory_limit: str | None, threads: int | None):
    import duckdb

    temp_dir = tempfile.mkdtemp(prefix="crmlib-duckdb-")
    config: dict[str, Any] = {
        "temp_directory": temp_dir,
        "preserve_insertion_order": False,
        "memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT,
        "threads": threads or _cores(),
    }
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET TimeZone = 'UTC'").fetchall()
    con.execute("SET enable_progress_bar = false").fetchall()
    return con, temp_dir


def _bad_rows(plan, options) -> str:
    """SQL: a row the reader would refuse (empty or unreadable cells, implausible amounts, dates out of range)."""
    from crmlib.data.dates import FIRST_DAY, LAST_DAY

    flags = [name for name in plan.flags if name.endswith(("_blank", "_bad"))]
    terms = flags + [
        f"NOT (abs(amt) <= {float(options.max_amount)!r})",
        f"(day_no < {FIRST_DAY} OR day_no > {LAST_DAY})",
    ]
    return "(" + " OR ".join(terms) + ")"


def _rows_sql(plan, options, *, mapped: bool, with_bad: bool) -> str:
    """SQL of the rows the summary is made of (one per invoice for line items), in scope of the blank policy."""
    scope = "WHERE cid IS NOT NULL" if mapped and options.blank_policy == "drop" else ""
    bad = f", {_bad_rows(plan, options)} AS bad" if with_bad else ""
    if options.invoice is None:
        return f"SELECT cid, day_no, amt{bad} FROM clean {scope}"
    any_bad = ", bool_or(bad) AS bad" if with_bad else ""
    return (
        f"SELECT cid, min(day_no) AS day_no, sum(amt) AS amt{any_bad} "
        f"FROM (SELECT cid, inv, day_no, amt{bad} FROM clean {scope}) GROUP BY cid, inv"
    )


def _check_sql(plan, options, *, mapped: bool, long_ids: bool = False) -> str:
    """SQL of the counts the reader's checks need, in one scan without grouping (rows refused, sizes, returns).

    ``long_ids``: count the ids longer than ``max_id_length`` too (``cid`` is then the raw id, one per row).
    """
    rows = _rows_sql(plan, options, mapped=mapped, with_bad=True)
    if long_ids:
        rows = f"SELECT *, length(cid) > {int(options.max_id_length)} AS long_id FROM ({rows})"
    long = "count(*) FILTER (long_id)" if long_ids else "0"
    return (
        f"SELECT count(*), count(*) FILTER (bad), sum(abs(amt)), count(*) FILTER (amt >= 0), "
        f"count(*) FILTER (amt < 0), coalesce(sum(amt) FILTER (amt < 0), 0), {long} FROM ({rows})"
    )


def _pass_sql(
    plan, options, end_day: int | None, *, mapped: bool, lean: bool = False, part: tuple[int, int] = (0, 1)
) -> str:
    """SQL adding to the table ``customers``: per customer its purchase days (to ``end_day``), lean.

    ``lean`` when the rows hold no return (no negative amount) and no row the checks refuse: every day is a
    purchase day, so the returns' filters are left out. ``part`` = (i, k): only the customers with
    ``hash(cid) % k = i``, so that k passes, each holding a k-th of the customers, make the whole table.
    """
    rows = _rows_sql(plan, options, mapped=mapped, with_bad=False)
    i, k = part
    if k > 1:
        rows = f"SELECT * FROM ({rows}) WHERE hash(cid) % {k} = {i}"
    head = "CREATE OR REPLACE TEMP TABLE customers AS" if i == 0 else "INSERT INTO customers"
    if lean:
        # the day as a 32-bit key: a fifth less work for the grouping than a 64-bit one (the checks have
        # already refused every row whose day is outside crmlib.data.dates' FIRST_DAY..LAST_DAY, so it fits)
        # Days after ``end_day`` become one NULL day per customer instead of being filtered out: every id of the
        # file stays in ``customers`` for the id checks (a blank or unclean id after the end is still the
        # reader's problem), and a customer with no day to the end has n_days = 0.
        day = f"CASE WHEN day_no <= {end_day} THEN CAST(day_no AS INTEGER) END" if end_day is not None else (
            "CAST(day_no AS INTEGER)"
        )
        rows = f"SELECT cid, {day} AS day_no, amt FROM ({rows})"
        total = "sum(total) FILTER (day_no IS NOT NULL)" if end_day is not None else "sum(total)"
        # after_total: the amounts after the end, so that a NaN there is seen too (see _nan_amounts)
        after = ", sum(total) FILTER (day_no IS NULL) AS after_total" if end_day is not None else ""
        return f"""
    {head}
    WITH days AS (SELECT cid, day_no, sum(amt) AS total FROM ({rows}) GROUP BY cid, day_no)
    SELECT cid, count(day_no) AS n_days, min(day_no) AS first_day, max(day_no) AS last_day, {total} AS total,
           arg_min(total, day_no) AS first_amount, CAST(0 AS BIGINT) AS lone_days{after}
    FROM days GROUP BY cid
    """
    keep_row = "amt >= 0" if options.returns == "drop" else "true"
    purchase = "true" if options.returns == "keep" else "buy"
    in_end = f"day_no <= {end_day}" if end_day is not None else "true"
    return f"""
    {head}
    WITH days AS (
        SELECT cid, day_no, sum(amt) FILTER ({keep_row}) AS total, bool_or(amt >= 0) AS buy
        FROM ({rows}) GROUP BY cid, day_no
    )
    SELECT cid,
           count(*) FILTER ({purchase} AND {in_end}) AS n_days,
           min(day_no) FILTER ({purchase} AND {in_end}) AS first_day,
           max(day_no) FILTER ({purchase} AND {in_end}) AS last_day,
           sum(total) FILTER ({purchase} AND {in_end}) AS total,
           arg_min(total, day_no) FILTER ({purchase} AND {in_end}) AS first_amount,
           count(*) FILTER (NOT buy) AS lone_days
    FROM days GROUP BY cid
    """


def _net_sql(plan, options, end_day: int | None, *, mapped: bool) -> str:
    """SQL replacing ``customers`` with returns netted, as :func:`crmlib.data.returns.net_returns`.

    A return on a day without a purchase goes to the customer's latest earlier purchase day, or is left out.
    """
    scope = "WHERE cid IS NOT NULL" if mapped and options.blank_policy == "drop" else ""
    rows = f"SELECT cid, day_no, amt FROM clean {scope}"
    if options.invoice is not None:
        rows = (
            f"SELECT cid, min(day_no) AS day_no, sum(amt) AS amt FROM (SELECT * FROM clean {scope}) GROUP BY cid, inv"
        )
    in_end = f"day_no <= {end_day}" if end_day is not None else "true"
    return f"""
    CREATE OR REPLACE TEMP TABLE customers AS
    WITH days AS (SELECT cid, day_no, sum(amt) AS total, bool_or(amt >= 0) AS buy FROM ({rows}) GROUP BY cid, day_no),
    buys AS (SELECT cid, day_no, total FROM days WHERE buy),
    lone AS (SELECT cid, day_no, total FROM days WHERE NOT buy),
    moved AS (
        SELECT l.cid, b.day_no, l.total
        FROM lone AS l ASOF JOIN buys AS b ON l.cid = b.cid AND l.day_no > b.day_no
    ),
    net_days AS (
        SELECT cid, day_no, sum(total) AS total
        FROM (SELECT cid, day_no, total FROM buys UNION ALL SELECT cid, day_no, total FROM moved)
        WHERE {in_end} GROUP BY cid, day_no
    )
    SELECT cid, count(*) AS n_days, min(day_no) AS first_day, max(day_no) AS last_day, sum(total) AS total,
           arg_min(total, day_no) AS first_amount,
           (SELECT count(*) FROM moved) AS moved, (SELECT count(*) FROM lone) AS lone
    FROM net_days GROUP BY cid
    """


def _summary_select(end_day: int | None, unit: str, collapse: bool) -> str:
    length = float(unit_days(unit))
    end = str(end_day) if end_day is not None else "(SELECT max(last_day) FROM kept)"
    summary = f"""
    WITH kept AS (SELECT * FROM customers WHERE n_days > 0 AND cid IS NOT NULL)
    SELECT cid AS customer_id, CAST(n_days - 1 AS BIGINT) AS frequency,
           (last_day - first_day) / {length!r} AS recency,
           ({end} - first_day) / {length!r} AS "T",
           CASE WHEN n_days > 1 THEN (total - first_amount) / (n_days - 1) ELSE CAST(0 AS DOUBLE) END AS monetary_value
    FROM kept
    """
    if collapse:
        return (
            f'SELECT frequency, recency, "T", count(*) AS weight FROM ({summary}) '
            'GROUP BY frequency, recency, "T" ORDER BY frequency, recency, "T"'
        )
    return summary + " ORDER BY customer_id"


def _stats(con, plan, options, mapped: bool, long_ids: bool = False) -> dict[str, Any]:
    row = con.sql(_check_sql(plan, options, mapped=mapped, long_ids=long_ids)).fetchall()[0]
    keys = ("rows", "bad", "abs_total", "buy_rows", "returns", "returns_total", "long_ids")
    return dict(zip(keys, row))


def _stats_of_metadata(source, options) -> dict[str, Any] | None:
    """The checks' counts read off the Parquet files' statistics when these prove every row clean; else None.

    For Parquet files DuckDB scans itself, with a customer, a date and an amount column: when every row
    group records no empty amount or date, no negative amount, amounts within ``max_amount`` and days
    within the reader's range, the checks' scan would find nothing, and the file is read once instead of
    twice. Two things the statistics cannot tell are looked at after the pass: a NaN amount (Parquet's
    float minima and maxima leave NaN out; :func:`_nan_amounts`) and ids longer than ``max_id_length``
    (``long_ids`` is None: checked on the distinct ids).
    """
    from crmlib.data.dates import FIRST_DAY, LAST_DAY

    if not source.parquet or set(source.kinds) != {"customer", "date", "amount"} or source.kinds["date"] != "timestamp":
        return None
    lowest, highest = math.inf, -math.inf
    try:
        import pyarrow.parquet as pq

        for path, columns in source.parquet:
            meta = pq.read_metadata(path)
            index = {meta.schema.column(j).name: j for j in range(meta.num_columns)}
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                if group.num_rows == 0:
                    continue
                amount, date = (group.column(index[columns[r]]).statistics for r in ("amount", "date"))
                for stats in (amount, date):
                    if stats is None or not stats.has_min_max or not stats.has_null_count or stats.null_count:
                        return None
                for day in (date.min, date.max):
                    if not FIRST_DAY <= int(np.datetime64(day, "D").astype(np.int64)) <= LAST_DAY:
                        return None
                lowest, highest = min(lowest, float(amount.min)), max(highest, float(amount.max))
    except (OSError, ValueError, TypeError, KeyError, OverflowError, ArithmeticError):
        return None
    limit = float(options.max_amount)
    if not (0.0 <= lowest and highest <= limit) or not math.isfinite(highest * source.n_rows):
        return None
    return {
        "rows": source.n_rows,
        "bad": 0,
        "abs_total": highest * source.n_rows,  # a bound of the sum of the amounts: finite is all the checks ask
        "buy_rows": source.n_rows,
        "returns": 0,
        "returns_total": 0.0,
        "long_ids": None,
    }


def _nan_amounts(con, end_day: int | None) -> int:
    """Customers of the lean pass with a NaN amount (a NaN makes their sums NaN, after ``end_day`` too)."""
    after = " OR isnan(after_total)" if end_day is not None else ""
    return int(con.sql(f"SELECT count(*) FROM customers WHERE isnan(total){after}").fetchall()[0][0])


def _run(con, source, options, end_day: int | None, *, mapped: bool, memory_limit: str | None):
    """Make ``clean`` and ``customers``; the plan and the counts of the pass."""
    from crmlib.data import sql

    # Ids longer than max_id_length are refused before any grouping (they would cost their length per customer).
    # Where ``cid`` is the raw id of each row (text or whole numbers, neither mapped nor grouped by invoice), their
    # count comes with the checks' scan; otherwise (the first pass only) a scan of their own comes first.
    # Where the Parquet statistics prove the checks, their scan is left out (long ids are then found on the
    # distinct ids after the pass, by the caller).
    raw_ids = not mapped and source.kinds["customer"] in ("text", "int") and options.invoice is None
    if not mapped and not raw_ids:
        _raise_long_ids(con, source)
    plan = sql.plan_clean(con, source, mapped_ids=mapped)
    con.execute(f"CREATE OR REPLACE TEMP VIEW clean AS {plan.relation(options.columns())}").fetchall()
    stats = _stats_of_metadata(source, options) if raw_ids else None
    proven = stats is not None
    if stats is None:
        stats = _stats(con, plan, options, mapped, long_ids=raw_ids)
    if stats["long_ids"]:
        _raise_long_ids(con, source)
    lean = (options.returns == "keep" or not stats["returns"]) and not stats["bad"]
    k = _passes(source.n_rows, memory_limit)
    for i in range(k):
        con.execute(_pass_sql(plan, options, end_day, mapped=mapped, lean=lean, part=(i, k))).fetchall()
    if proven:
        stats["bad"] = _nan_amounts(con, end_day)
    stats["lone_days"] = 0
    if not lean:
        stats["lone_days"] = con.sql("SELECT coalesce(sum(lone_days), 0) FROM customers").fetchall()[0][0]
    return plan, stats


def _raise_long_ids(con, source) -> None:
    from crmlib.data import sql

    error = sql.long_ids(con, source)
    if error is not None:
        raise error


#: Rows per pass of the summary's first grouping (by customer and day) = ``memory_limit / _PASS_ROW_BYTES``.
#: A pass holds about 30-47 bytes a row in DuckDB, and spilling what exceeds the limit to disk costs less
#: than reading the file once more (50M rows under 1 GB: one spilling pass 41 CPU s, four passes over a
#: quarter of the customers each 59 CPU s); so the rows are split in passes only when one pass would spill
#: more than about four times the limit, which also bounds the temporary disk the passes use.
_PASS_ROW_BYTES = 12
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _passes(n_rows: int, memory_limit: str | None) -> int:
    """How many passes over ``hash(customer) % k`` partitions the summary takes, each within the memory limit.

    Examples
    --------
    >>> _passes(50_000_000, None), _passes(200_000_000, "1GB"), _passes(200_000_000, "4GB")
    (1, 3, 1)
    """
    size = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", (memory_limit or DEFAULT_MEMORY_LIMIT).lower())
    assert size is not None  # checked by _check_memory_limit
    number, unit = size.groups()
    per_pass = max(float(number) * _SIZE_UNITS[unit] / _PASS_ROW_BYTES, 1.0)
    return max(1, min(64, math.ceil(n_rows / per_pass)))


def _summarize_duckdb(sources, options, *, end_day: int | None, unit: str, collapse: bool, memory_limit, threads):
    """The summary table (Arrow) of the sources in DuckDB, and the notes of the read."""
    import duckdb

    from crmlib.data import sql
    from crmlib.data.returns import all_returns_error

    con, temp_dir = _connect(memory_limit, threads)
    try:
        try:
            source = sql.ingest(con, sources, options)
            plan, stats = _run(con, source, options, end_day, mapped=False, memory_limit=memory_limit)
            ids = sql.check_ids(con, "customers")
            if stats["long_ids"] is None and ids.longest > options.max_id_length:  # not checked before the pass
                _raise_long_ids(con, source)
            problems = stats["bad"] or not np.isfinite(stats["abs_total"] or 0.0) or plan.date_problem is not None
            mapped = ids.needs_map or ids.longest > options.max_id_length or problems
            if mapped:  # the exact id rule, then the reader's first error, if any
                plan, stats = _run(con, source, options, end_day, mapped=True, memory_limit=memory_limit)
                error = sql.first_error(con, source, plan, options.max_id_length)
                if error is not None:
                    raise error
            if options.returns != "keep" and stats["buy_rows"] == 0:
                raise all_returns_error(source.locator.name, options.returns)
            moved = lone = 0
            if options.returns == "net" and stats["lone_days"]:
                con.execute(_net_sql(plan, options, end_day, mapped=mapped)).fetchall()
                moved, lone = con.sql("SELECT any_value(moved), any_value(lone) FROM customers").fetchall()[0]
            table = con.sql(_summary_select(end_day, unit, collapse)).to_arrow_table()
            notes = _notes(con, source, plan, stats, options, mapped, moved or 0, lone or 0)
        except duckdb.OutOfMemoryException as exc:
            detail = str(exc).strip().splitlines()[0]
            limit = memory_limit or DEFAULT_MEMORY_LIMIT
            raise MemoryError(
                f"summarize_file: DuckDB ran out of memory with memory_limit={limit!r} ({detail}). Give a larger "
                "memory_limit, or free disk space in the temporary folder it spills to "
                f"({tempfile.gettempdir()!r}, set TMPDIR to move it)."
            ) from None
        except duckdb.Error as exc:  # a file that breaks down mid-way
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"summarize_file: DuckDB could not read {sources[0].name} to the end ({detail}). Check that the file "
                "is complete."
            ) from None
        finally:
            con.close()  # frees DuckDB's memory before the result is converted
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return table, notes


def _notes(con, source, plan, stats, options, mapped: bool, moved: int, lone: int) -> list[str]:
    """The read report's notes that the out-of-core read can give (what was repaired or left out)."""
    from crmlib.data.errors import Hint
    from crmlib.data.rows import plural

    notes = list(source.notes)
    if plan.id_note:
        notes.append(plan.id_note)
    if mapped and options.blank_policy == "drop":
        n_blank, share = con.sql(
            "SELECT count(*) FILTER (cid IS NULL), "
            "coalesce(sum(amt) FILTER (cid IS NULL AND amt > 0) / nullif(sum(amt) FILTER (amt > 0), 0), 0) FROM clean"
        ).fetchall()[0]
        if n_blank:
            notes.append(f"{plural(int(n_blank), 'row')} without a customer id left out ({share:.1%} of revenue)")
    notes.extend(plan.date_notes)
    if stats["returns"]:
        total = f"{plural(int(stats['returns']), 'return row')} (negative amounts, total {stats['returns_total']:,.2f})"
        if options.returns == "drop":
            notes.append(f"{total} dropped ({Hint('returns', 'drop')})")
        elif options.returns == "net":
            notes.append(
                f"{total} netted against purchases ({Hint('returns', 'net')}): {moved} return days moved to "
                f"the customer's previous purchase day, {lone - moved} dropped for want of an earlier purchase"
            )
        else:
            notes.append(f"{total} kept on their own dates ({Hint('returns', 'keep')})")
    return notes


def _sources(path, pattern, func: str):
    from crmlib.data.paths import file_source, files_of_pattern

    if (path is None) == (pattern is None):
        raise ParameterError(
            f"{func} needs either a path (one file: the path is read as it is written) or pattern= (a glob such as "
            f"'logs/*.parquet' for several files); got {'both' if path is not None else 'neither'}."
        )
    if pattern is not None:
        if not isinstance(pattern, str) or not pattern.strip():
            raise ParameterError(
                f"The 'pattern' parameter of {func} must be a glob such as 'logs/*.parquet'. Got {pattern!r} instead."
            )
        sources = files_of_pattern(pattern, func)
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise ParameterError(
                f"The 'path' parameter of {func} must be a file path (text). Got {type(path).__name__} instead. "
                "For a DataFrame in memory use crmlib.rfm.summarize."
            )
        try:
            sources = [file_source(path, func)]
        except DataError as exc:
            if any(ch in os.fspath(path) for ch in "*?[") and not os.path.exists(path):
                raise DataError(
                    f"{exc.template} A path is read as it is written; for the files matching a glob, "
                    f"pass pattern={os.fspath(path)!r}."
                ) from None
            raise
    if sources[0].kind == "excel" and len(sources) > 1:
        raise DataError(f"{func}: the pattern {pattern!r} matches several workbooks; summarize them one by one.")
    return sources


def _in_memory(source, options, *, end, unit: str, collapse: bool) -> pd.DataFrame:
    """The summary through the in-memory reader (workbooks, and columns the SQL path does not take)."""
    from crmlib._days import last_day, purchase_days, summary_from_days
    from crmlib.data import read_transactions

    tx = read_transactions(source.path, options=options, warn=False)
    end = last_day(tx) if end is None else end
    summary = summary_from_days(purchase_days(tx, end=end, func="summarize_file"), end, unit)
    if not collapse:
        return summary
    out = summary.groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    out["weight"] = out["weight"].astype(np.int64)
    out.attrs["unit"] = unit
    return out


def _renamed(exc, func: str):
    """A DataError of the reader, said by ``func``."""
    from crmlib.data.errors import OptionError

    text = exc.template
    if text.startswith("read_transactions: "):
        text = f"{func}: " + text[len("read_transactions: ") :]
    return (OptionError if isinstance(exc, OptionError) else DataError)(text)


def summarize_file(
    path: str | os.PathLike | None = None,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    date_format: str | tuple[str, ...] | list[str] | None = None,
    quantity: str | None = None,
    price: str | None = None,
    invoice: str | None = None,
    returns: str = "net",
    blank_customers: str | None = None,
    sheet: str | int | tuple | list | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    max_expansion: float = 100.0,
    max_id_length: int = 200,
    max_cell_chars: int = 32_767,
    max_columns: int = 100_000,
    max_amount: float = 1e12,
    options: ReadOptions | None = None,
    pattern: str | None = None,
    observation_end: DateLike | None = None,
    unit: str = "D",
    engine: str = "duckdb",
    memory_limit: str | None = None,
    threads: int | None = None,
    collapse: bool = False,
    warn: bool = True,
) -> pd.DataFrame:
    r"""Summarize a transaction file of any size: one row per customer, as :func:`crmlib.rfm.summarize`.

    The file's rows go into DuckDB (embedded, no server), cleaned by the same rules as
    :func:`crmlib.data.read_transactions` -- the same delimiter, encoding and header recognition, the
    same id, amount and date rules, the same returns policy and the same messages -- and only the summary
    comes back. DuckDB spills to a temporary folder beyond ``memory_limit``, so a file larger than
    memory works. ``summarize_file(path)`` equals ``summarize(read_transactions(path))``.

    Parameters
    ----------
    path : str or path-like
        One file: delimited text (``.csv``, ``.csv.gz``, ``.tsv``, ``.txt``, the original CDNOW layout),
        Parquet, or an Excel workbook (read in memory: a workbook is small). The path is read as it is
        written: ``sales[2024].csv`` is that file, never a pattern.
    customer, date, amount, date_format, quantity, price, invoice, returns, blank_customers, sheet, delimiter, encoding
        The reader's options, as in :func:`crmlib.data.read_transactions`.
    max_expansion, max_id_length, max_cell_chars, max_columns, max_amount
        The reader's resource limits, as in :func:`crmlib.data.read_transactions`.
    options : crmlib.data.ReadOptions, optional
        All of the reader's options as one object; keywords given (not at their default) override it.
    pattern : str, optional
        Instead of ``path``: a glob such as ``"logs/2024-*.parquet"`` for several files of one layout, read
        one after the other (messages name the file of a row).
    observation_end : date-like, optional
        Last day of observation (inclusive); later transactions are left out. Default: the last date
        in the file.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency`` and ``T``: days, weeks (7 days), months (30.4375 days), years (365.25 days).
    engine : {"duckdb", "spark"}
        ``"spark"`` runs :func:`summarize_spark` on the active Spark session (or a new local one); it
        takes the column names only.
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"2GB"``; beyond it DuckDB spills to disk. Default
        :data:`DEFAULT_MEMORY_LIMIT` (1.5 GB), so the whole call stays within about 2 GB. A log of more
        rows than about ``memory_limit`` / 12 bytes (125M rows under 1.5 GB) is summarized in passes, each
        over the customers of one ``hash(customer) % k`` partition, so the spill stays bounded too.
    threads : int, optional
        DuckDB threads; default the cores this process may use.
    collapse : bool
        Return one row per observed (frequency, recency, T) with the number of customers in
        ``weight``, instead of one row per customer: what the BG/NBD and Pareto/NBD likelihoods need
        (Fader, Hardie and Lee 2005 fit CDNOW this way).
    warn : bool
        Issue a :class:`crmlib.data.DataWarning` summing up what was repaired or left out.

    Returns
    -------
    DataFrame
        Index ``customer_id`` (text, sorted); columns ``frequency`` (int64), ``recency``, ``T`` and
        ``monetary_value`` (float64): for purchase days :math:`t_{i0} < \dots < t_{ix}` with day
        amounts :math:`z_{ij}`, unit length :math:`u` days and end of observation :math:`	au`,

        .. math::

            x_i = 	ext{days} - 1, \quad t_x = (t_{ix} - t_{i0}) / u, \quad
            T_i = (	au - t_{i0}) / u, \quad m_i = rac{1}{x_i} \sum_{j=1}^{x_i} z_{ij}

        The values equal those of :func:`crmlib.rfm.summarize` on :func:`crmlib.data.read_transactions`'
        frame; ``monetary_value`` may differ in the last bits (the engine adds amounts in another order),
        i.e. by about :math:`10^{-15}` relative. With ``collapse=True``: columns ``frequency, recency,
        T, weight``.

    Raises
    ------
    DataError
        Every problem :func:`crmlib.data.read_transactions` refuses, with the same message (said by
        ``summarize_file``): a missing column, a file that cannot be read, empty or unreadable cells,
        blank customer ids, implausible amounts, a resource limit.

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting your customers" the easy way, *Marketing Science* 24(2).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "orders.csv")
    >>> pd.DataFrame({"client": ["a", "a", "a", "b"],
    ...               "day": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"],
    ...               "total": [10.0, 5.0, 20.0, 7.0]}).to_csv(path, index=False)
    >>> summarize_file(path, customer="client", date="day", amount="total",
    ...                observation_end="2024-01-29", unit="W")  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency    T  monetary_value
    customer_id
    a                    1      2.0  4.0            20.0
    b                    0      0.0  3.0             0.0
    """
    import warnings

    from crmlib.data.errors import DataWarning, render_text
    from crmlib.data.options import make_options
    from crmlib.data.sql import NeedsMemory

    func = "summarize_file"
    try:
        opts = make_options(
            func,
            options,
            customer=customer,
            date=date,
            amount=amount,
            date_format=date_format,
            quantity=quantity,
            price=price,
            invoice=invoice,
            returns=returns,
            blank_customers=blank_customers,
            sheet=sheet,
            delimiter=delimiter,
            encoding=encoding,
            max_expansion=max_expansion,
            max_id_length=max_id_length,
            max_cell_chars=max_cell_chars,
            max_columns=max_columns,
            max_amount=max_amount,
        )
    except DataError as exc:
        raise _renamed(exc, func) from None
    engine = check_choice(engine, "engine", ENGINES, func=func)
    unit = check_unit(unit, func=func)
    end = check_date(observation_end, "observation_end", func=func)
    memory_limit = _check_memory_limit(memory_limit, func)
    if threads is not None:
        threads = int(check_number(threads, "threads", func=func, low=1, integer=True))
    collapse = _check_bool(collapse, "collapse", func)
    if engine == "spark":
        return _spark_file(
            path, opts, end=end, unit=unit, collapse=collapse, memory_limit=memory_limit, threads=threads
        )
    end_day = _end_day(end) if end is not None else None
    try:
        sources = _sources(path, pattern, func)
        try:
            if sources[0].kind == "excel":
                raise NeedsMemory("excel")
            table, notes = _summarize_duckdb(
                sources, opts, end_day=end_day, unit=unit, collapse=collapse, memory_limit=memory_limit, threads=threads
            )
        except NeedsMemory:
            return _in_memory(sources[0], opts, end=end, unit=unit, collapse=collapse)
    except DataError as exc:
        raise _renamed(exc, func) from None
    if warn and notes:
        shown = str(path) if path is not None else pattern
        warnings.warn(f"{func}({shown}): " + "; ".join(render_text(n) for n in notes) + ".", DataWarning, stacklevel=2)
    return _to_frame(table, collapse=collapse, unit=unit)


def _spark_file(path, opts, *, end, unit, collapse, memory_limit, threads):
    from crmlib.data.options import ReadOptions

    func = "summarize_file"
    if memory_limit is not None or threads is not None:
        raise ParameterError(
            f"The 'memory_limit' and 'threads' parameters of {func} apply to DuckDB only; with engine='spark' "
            "set memory and cores in the Spark session (spark.driver.memory, spark.executor.cores)."
        )
    plain = ReadOptions(customer=opts.customer, date=opts.date, amount=opts.amount)
    if opts != plain:
        raise ParameterError(
            f"With engine='spark', {func} takes the column names only (customer, date, amount); read the other "
            "options' files with the default engine."
        )
    return summarize_spark(
        path,
        None,
        customer=opts.customer,
        date=opts.date,
        amount=opts.amount,
        observation_end=end,
        unit=unit,
        collapse=collapse,
    )


def _to_frame(table, *, collapse: bool, unit: str) -> pd.DataFrame:
    """The engine's answer (a pyarrow Table) as the frame of :func:`crmlib.rfm.summarize`, column by column."""
    index = None
    if not collapse:
        index = pd.Index(table.column("customer_id").to_pandas(), dtype="str", name="customer_id")
        table = table.drop_columns(["customer_id"])
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    frame["frequency"] = frame["frequency"].astype(np.int64)
    for col in ("recency", "T", "monetary_value"):
        if col in frame:
            frame[col] = frame[col].astype(np.float64)
    frame.attrs["unit"] = unit  # as crmlib.rfm.summarize: the models read the time unit from here
    if collapse:
        frame["weight"] = frame["weight"].astype(np.int64)
        return frame
    frame.index = index
    return frame


def _check_columns(present: list[str], columns: dict[str, str], where: str, label: str) -> None:
    missing = [f"{role}={name!r}" for role, name in columns.items() if name not in present]
    if missing:
        raise DataError(
            f"{where}: {'column' if len(missing) == 1 else 'columns'} not found in {label}: {', '.join(missing)}. "
            f"Columns present: {', '.join(map(repr, present))}. Name yours with the customer, date and amount "
            "arguments."
        )


def _check_names(customer, date, amount, func) -> dict[str, str]:
    columns = {}
    for role, value in (("customer", customer), ("date", date), ("amount", amount)):
        if not isinstance(value, str) or value == "":
            raise ParameterError(
                f"The {role!r} parameter of {func} must be a column name (text). Got {value!r} instead."
            )
        columns[role] = value
    return columns


def _check_bool(value, name, func) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ParameterError(f"The {name!r} parameter of {func} must be True or False. Got {value!r} instead.")


# ----------------------------------------------------------------------------------------------
# Spark


def summarize_spark(
    data: Any,
    spark: Any = None,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    observation_end: DateLike | None = None,
    unit: str = "D",
    collapse: bool = False,
) -> pd.DataFrame:
    r"""Summarize transactions held by Spark: the query of :func:`summary_sql` run by Spark SQL.

    The log stays in the cluster (or data lake); the executors aggregate it and only the per-customer
    summary, or the collapsed counts, is collected to the driver as a pandas DataFrame.

    Parameters
    ----------
    data : pyspark.sql.DataFrame or str
        A Spark DataFrame, or a path or pattern Spark can read: Parquet (``.parquet`` or a folder of
        Parquet files) or CSV with a header (``.csv``; every column read as text).
    spark : pyspark.sql.SparkSession, optional
        The session; default the active one, or a new local session (``local[*]``) when none is running.
    customer, date, amount : str
        Column names. Dates: Spark dates, timestamps or ISO 8601 text; the calendar day is taken in the
        session time zone (``spark.sql.session.timeZone``; set it to ``UTC`` for the days pandas gives).
    observation_end, unit, collapse
        As in :func:`summarize_file`.

    Returns
    -------
    DataFrame
        As :func:`summarize_file` (and :func:`crmlib.rfm.summarize`): index ``customer_id`` (text),
        columns ``frequency``, ``recency``, ``T``, ``monetary_value``, or with ``collapse=True``
        ``frequency, recency, T, weight``.

        .. math::

            x_i = \text{days} - 1, \quad t_x = (t_{ix} - t_{i0}) / u, \quad
            T_i = (\tau - t_{i0}) / u, \quad m_i = \frac{1}{x_i} \sum_{j=1}^{x_i} z_{ij}

    Raises
    ------
    DataError
        A missing column, an unreadable path, a value Spark cannot cast to a date or number, or empty cells.
    ImportError
        When pyspark is not installed (``pip install pyspark``; Java 17 or later is needed).

    References
    ----------
    Fader, Hardie and Lee (2005), section 2. Armbrust et al. (2015), Spark SQL: relational data
    processing in Spark, *SIGMOD 2015*.

    Examples
    --------
    >>> from pyspark.sql import SparkSession  # doctest: +SKIP
    >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
    >>> summarize_spark("orders.parquet", spark, customer="client", unit="W")  # doctest: +SKIP
    """
    func = "summarize_spark"
    try:
        from pyspark.errors import PySparkException
        from pyspark.sql import DataFrame as SparkDataFrame
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{func} needs pyspark: pip install pyspark (or pip install 'crmlib[spark]'); Java 17+ must be installed."
        ) from exc
    from py4j.protocol import Py4JJavaError

    unit = check_unit(unit, func=func)
    end = check_date(observation_end, "observation_end", func=func)
    columns = _check_names(customer, date, amount, func)
    collapse = _check_bool(collapse, "collapse", func)
    if spark is None:
        spark = (
            SparkSession.getActiveSession() or SparkSession.builder.master("local[*]").appName("crmlib").getOrCreate()
        )
    where = func
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        lower = path.lower().rstrip("/")
        try:
            if lower.endswith(_CSV_SUFFIXES):
                frame = spark.read.csv(path, header=True, inferSchema=False)
            else:
                frame = spark.read.parquet(path)
        except (PySparkException, Py4JJavaError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            hint = (
                " Spark cannot read nanosecond timestamps (pandas' default): write the file with "
                "frame.to_parquet(path, coerce_timestamps='us'), or use summarize_file (DuckDB reads them)."
                if "NANOS" in detail
                else ""
            )
            raise DataError(
                f"{func}: Spark cannot read {path!r}: {detail}. Check the path, and that it is "
                f"Parquet (a file or folder) or CSV with a header row.{hint}"
            ) from None
        label = repr(path)
    elif isinstance(data, SparkDataFrame):
        frame, label = data, "the Spark DataFrame"
    else:
        raise ParameterError(
            f"The 'data' parameter of {func} must be a Spark DataFrame or a path. Got {type(data).__name__} instead. "
            "For a pandas DataFrame use crmlib.rfm.summarize."
        )
    _check_columns(list(frame.columns), columns, where, label)
    view = f"crmlib_tx_{uuid.uuid4().hex}"
    frame.createOrReplaceTempView(view)
    try:
        sql = summary_sql(
            _quote(view, "spark"),
            customer=customer,
            date=date,
            amount=amount,
            observation_end=end,
            unit=unit,
            collapse=collapse,
            dialect="spark",
        )
        try:
            result = _collect(spark.sql(sql))
        except (PySparkException, Py4JJavaError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"{func}: Spark could not summarize {label}: {first}. Dates must be ISO 8601 (2024-03-31) and "
                "amounts plain numbers; convert the column, or read the data with crmlib.data.read_transactions."
            ) from None
    finally:
        spark.catalog.dropTempView(view)
    return _finish(result, collapse=collapse, end_given=end is not None, where=where, columns=columns, unit=unit)


def _collect(spark_frame):
    """Collect a (small) Spark result as a pyarrow Table."""
    if hasattr(spark_frame, "toArrow"):  # pyspark >= 4
        return spark_frame.toArrow()
    import pyarrow as pa  # pragma: no cover - pyspark 3

    return pa.Table.from_pandas(spark_frame.toPandas(), preserve_index=False)  # pragma: no cover
