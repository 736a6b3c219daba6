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

import glob
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmlib._units import unit_days
from crmlib.data import DataError
from crmlib.params import (
    ParameterError,
    check_choice,
    check_date,
    check_number,
    check_unit,
)

__all__ = ["DIALECTS", "ENGINES", "summarize_file", "summarize_spark", "summary_sql"]

#: Engines :func:`summarize_file` can run on.
ENGINES = ("duckdb", "spark")
#: SQL dialects :func:`summary_sql` can write.
DIALECTS = ("duckdb", "spark")

_PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
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
    observation_end=None,
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
            f"The 'source' parameter of {func} must be a table name or a table function as text. Got {source!r} instead."
        )
    for name, value in (("customer", customer), ("date", date), ("amount", amount)):
        if not isinstance(value, str) or value == "":
            raise ParameterError(f"The {name!r} parameter of {func} must be a column name (text). Got {value!r} instead.")
    q = lambda name: _quote(name, dialect)
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
    table = table.drop_columns(list(_CHECK_COLUMNS))
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


def _arrow_table(result):
    return result.read_all() if hasattr(result, "read_all") else result


# ----------------------------------------------------------------------------------------------
# DuckDB


def _source_kind(path: str, func: str) -> tuple[str, list[str]]:
    """("parquet" | "csv", matching files) for a path or glob; DataError when nothing can be read."""
    matches = sorted(glob.glob(path)) if any(ch in path for ch in "*?[") else ([path] if os.path.exists(path) else [])
    if not matches:
        raise DataError(
            f"{func}: no file found at {path!r}. Check the path (relative paths start from the current folder "
            f"{os.getcwd()!r}); a pattern such as 'logs/*.parquet' reads several files."
        )
    lower = path.lower()
    if os.path.isdir(path):
        raise DataError(
            f"{func}: {path!r} is a folder. Give a file, or a pattern for the files in it such as "
            f"{os.path.join(path, '*.parquet')!r}."
        )
    if lower.endswith(_PARQUET_SUFFIXES):
        return "parquet", matches
    if lower.endswith(_CSV_SUFFIXES):
        return "csv", matches
    raise DataError(
        f"{func} reads CSV (.csv, .csv.gz, .tsv) and Parquet (.parquet) files; {path!r} is neither. "
        "Convert it, or read it with crmlib.data.read_transactions and use crmlib.rfm.summarize."
    )


def _check_columns(present: list[str], columns: dict[str, str], where: str, label: str) -> None:
    missing = [f"{role}={name!r}" for role, name in columns.items() if name not in present]
    if missing:
        raise DataError(
            f"{where}: {'column' if len(missing) == 1 else 'columns'} not found in {label}: {', '.join(missing)}. "
            f"Columns present: {', '.join(map(repr, present))}. Name yours with customer=..., date=..., amount=..."
        )


def _check_memory_limit(value, func):
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", value, re.IGNORECASE):
        return value.strip()
    raise ParameterError(
        f"The 'memory_limit' parameter of {func} must be a size such as '2GB' or '500MB', or None for "
        f"DuckDB's default (80% of the memory). Got {value!r} instead."
    )


def _summarize_duckdb(path, columns, *, observation_end, unit, memory_limit, threads, collapse, func):
    import duckdb

    kind, _ = _source_kind(path, func)
    temp_dir = tempfile.mkdtemp(prefix="crmlib-duckdb-")
    config: dict[str, Any] = {"temp_directory": temp_dir, "preserve_insertion_order": False}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if threads is not None:
        config["threads"] = threads
    try:
        con = duckdb.connect(":memory:", config=config)
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET enable_progress_bar = false")
            lit = _sql_string(path)
            if kind == "parquet":
                reader = f"read_parquet({lit})"
            else:
                reader = f"read_csv({lit}, header = true)"
            try:
                present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
            except duckdb.Error as exc:
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise DataError(
                    f"{func}: cannot read {path!r} as {kind.upper()} ({detail}). "
                    "Check that the file is complete and really is that format."
                ) from None
            _check_columns(present, columns, func, repr(path))
            if kind == "csv":
                # customer ids and dates as text: keep leading zeros, parse ISO dates ourselves
                types = ", ".join(
                    f"{_sql_string(columns[c])}: 'VARCHAR'" for c in ("customer", "date")
                )
                reader = f"read_csv({lit}, header = true, types = {{{types}}})"
            sql = summary_sql(
                reader, customer=columns["customer"], date=columns["date"], amount=columns["amount"],
                observation_end=observation_end, unit=unit, collapse=collapse, dialect="duckdb",
            )
            try:
                relation = con.sql(sql)
                fetch = getattr(relation, "to_arrow_table", None) or relation.arrow  # DuckDB >= 1.4 / older
                table = _arrow_table(fetch())
                del relation
            except duckdb.ConversionException as exc:
                detail = str(exc).strip().splitlines()[0]
                if "timestamp" in detail.lower() or "date" in detail.lower():
                    what = f"a date in column {columns['date']!r} is not ISO 8601 (2024-03-31 or 2024-03-31 14:05:00)"
                else:
                    what = f"a value in column {columns['amount']!r} is not a number"
                raise DataError(
                    f"{func}: {what} in {path!r} ({detail}). Convert the file, or read it with "
                    "crmlib.data.read_transactions(path, date_format=...) and use crmlib.rfm.summarize."
                ) from None
            except duckdb.OutOfMemoryException as exc:
                detail = str(exc).strip().splitlines()[0]
                raise MemoryError(
                    f"{func}: DuckDB ran out of memory with memory_limit={memory_limit!r} ({detail}). Give a larger "
                    "memory_limit, or free disk space in the temporary folder it spills to "
                    f"({tempfile.gettempdir()!r}, set TMPDIR to move it)."
                ) from None
            except duckdb.BinderException as exc:
                detail = str(exc).strip().splitlines()[0]
                raise DataError(
                    f"{func}: DuckDB cannot use the columns of {path!r} as customer, date and amount ({detail}). "
                    "Dates must be dates, timestamps or ISO text; amounts numbers."
                ) from None
            except duckdb.Error as exc:  # e.g. a malformed CSV row found mid-file
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise DataError(
                    f"{func}: DuckDB could not read {path!r} to the end ({detail}). Check the file at the place "
                    "named, or read it with crmlib.data.read_transactions, which reports bad rows."
                ) from None
        finally:
            con.close()  # frees DuckDB's memory before the result is converted
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return table


def summarize_file(
    path: str | os.PathLike,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    observation_end=None,
    unit: str = "D",
    engine: str = "duckdb",
    memory_limit: str | None = None,
    threads: int | None = None,
    collapse: bool = False,
) -> pd.DataFrame:
    r"""Summarize a transaction file of any size: one row per customer, as :func:`crmlib.rfm.summarize`.

    The file is streamed by DuckDB (or Spark, ``engine="spark"``) through the query of
    :func:`summary_sql`; only the summary is held in memory. DuckDB spills intermediate results to a
    temporary folder when they exceed ``memory_limit``, so a file larger than memory works.

    Parameters
    ----------
    path : str or path-like
        A CSV (``.csv``, ``.csv.gz``, ``.tsv``; with a header row) or Parquet (``.parquet``) file, or a
        pattern such as ``"logs/2024-*.parquet"`` for several files with the same columns.
    customer, date, amount : str
        The file's column names. Customer ids are read as text (``"007"`` stays ``"007"``). Dates must
        be ISO 8601 (``2024-03-31``, ``2024-03-31 14:05:00``) or typed dates in Parquet; for other
        formats convert the file or use :func:`crmlib.data.read_transactions` with ``date_format``.
    observation_end : date-like, optional
        Last day of observation (inclusive); later transactions are left out. Default: the last date
        in the file.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency`` and ``T``: days, weeks (7 days), months (30.4375 days), years (365.25 days).
    engine : {"duckdb", "spark"}
        ``"spark"`` runs :func:`summarize_spark` on the active Spark session (or a new local one).
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"1GB"``; beyond it DuckDB spills to disk. Default: DuckDB's
        (80% of the machine's memory).
    threads : int, optional
        DuckDB threads; default all cores.
    collapse : bool
        Return one row per observed (frequency, recency, T) with the number of customers in
        ``weight``, instead of one row per customer: what the BG/NBD and Pareto/NBD likelihoods need
        (Fader, Hardie and Lee 2005 fit CDNOW this way).

    Returns
    -------
    DataFrame
        Index ``customer_id`` (text, sorted); columns ``frequency`` (int64), ``recency``, ``T`` and
        ``monetary_value`` (float64): for purchase days :math:`t_{i0} < \dots < t_{ix}` with day
        amounts :math:`z_{ij}`, unit length :math:`u` days and end of observation :math:`\tau`,

        .. math::

            x_i = \text{days} - 1, \quad t_x = (t_{ix} - t_{i0}) / u, \quad
            T_i = (\tau - t_{i0}) / u, \quad m_i = \frac{1}{x_i} \sum_{j=1}^{x_i} z_{ij}

        The values equal those of :func:`crmlib.rfm.summarize` on the same data read by pandas with
        text customer ids; ``monetary_value`` may differ in the last bits (the engine adds amounts in
        another order, floating-point addition is not associative), i.e. by about :math:`10^{-15}`
        relative. With ``collapse=True``: columns ``frequency, recency, T, weight``.

    Raises
    ------
    DataError
        A missing column (the message lists the file's columns), a file that cannot be read, a date that
        is not ISO, or empty customer, date or amount cells.

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
    func = "summarize_file"
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(
            f"The 'path' parameter of {func} must be a file path or pattern (text). Got {type(path).__name__} instead. "
            "For a DataFrame in memory use crmlib.rfm.summarize."
        )
    path = os.fspath(Path(path).expanduser()) if not isinstance(path, str) else os.path.expanduser(path)
    engine = check_choice(engine, "engine", ENGINES, func=func)
    unit = check_unit(unit, func=func)
    end = check_date(observation_end, "observation_end", func=func)
    columns = _check_names(customer, date, amount, func)
    memory_limit = _check_memory_limit(memory_limit, func)
    if threads is not None:
        threads = check_number(threads, "threads", func=func, low=1, integer=True)
    collapse = _check_bool(collapse, "collapse", func)
    if engine == "spark":
        if memory_limit is not None or threads is not None:
            raise ParameterError(
                f"The 'memory_limit' and 'threads' parameters of {func} apply to DuckDB only; with engine='spark' "
                "set memory and cores in the Spark session (spark.driver.memory, spark.executor.cores)."
            )
        return summarize_spark(
            path, None, customer=customer, date=date, amount=amount,
            observation_end=end, unit=unit, collapse=collapse,
        )
    table = _summarize_duckdb(
        path, columns, observation_end=end, unit=unit, memory_limit=memory_limit, threads=threads,
        collapse=collapse, func=func,
    )
    return _finish(table, collapse=collapse, end_given=end is not None, where=func, columns=columns, unit=unit)


def _check_names(customer, date, amount, func) -> dict[str, str]:
    columns = {}
    for role, value in (("customer", customer), ("date", date), ("amount", amount)):
        if not isinstance(value, str) or value == "":
            raise ParameterError(f"The {role!r} parameter of {func} must be a column name (text). Got {value!r} instead.")
        columns[role] = value
    return columns


def _check_bool(value, name, func) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ParameterError(f"The {name!r} parameter of {func} must be True or False. Got {value!r} instead.")


# ----------------------------------------------------------------------------------------------
# Spark


def summarize_spark(
    data,
    spark=None,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    observation_end=None,
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
        spark = SparkSession.getActiveSession() or SparkSession.builder.master("local[*]").appName("crmlib").getOrCreate()
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
                if "NANOS" in detail else ""
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
            _quote(view, "spark"), customer=customer, date=date, amount=amount,
            observation_end=end, unit=unit, collapse=collapse, dialect="spark",
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
