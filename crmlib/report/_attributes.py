"""The input's other columns that are constant per customer (Country, channel, ...), one row per customer.

The reader keeps the customer, date and amount columns only; this step reads the file's other columns once more
(as text, with the encoding, delimiter and header line the reader found) and keeps those whose value never changes
within a customer. Customer ids are matched through the reader itself (:func:`crmlib.data.read_transactions` on the
id column), so ``"13085.0"``, ``" 13085"`` and ``13085`` name one customer here exactly as in the transactions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_ATTRIBUTES", "MAX_COLUMNS_CONSIDERED", "customer_attributes"]

#: Columns of the input looked at (beyond the reader's own); wider files are cut there, with a note.
MAX_COLUMNS_CONSIDERED = 200
#: Per-customer columns kept at most.
MAX_ATTRIBUTES = 30
#: A column still counts as per-customer when it changes within at most this share of the customers with several
#: rows (a customer who moved country); the first value is shown then, with a note.
MAX_VARYING_SHARE = 0.02
#: Longest text kept in a per-customer column (longer values are cut, with a note).
MAX_TEXT = 200

_READER_COLUMNS = ("customer", "date", "amount", "quantity", "price", "invoice")


def _raw_table(source: Any, read_report: Mapping[str, Any], columns_in_use: set[str]) -> pd.DataFrame:
    """Every column of the source as text (the reader's own columns included, for the ids)."""
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(os.fspath(source)).expanduser()
    fmt = read_report.get("format")
    if fmt == "csv":
        return _raw_csv(path, read_report, columns_in_use)
    if fmt == "parquet":
        return _raw_parquet(path, columns_in_use)
    if fmt == "excel":
        return _raw_excel(path, read_report, columns_in_use)
    raise ValueError("the file's format is not known")


def _raw_csv(path: Path, read_report: Mapping[str, Any], columns_in_use: set[str]) -> pd.DataFrame:
    """A text file's columns as text, read as the reader read it (encoding, preamble, delimiter)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read_options = pacsv.ReadOptions(
        encoding=read_report.get("encoding") or "utf-8",
        skip_rows=int(read_report.get("preamble_lines") or 0),
        block_size=1 << 24,
    )
    parse = pacsv.ParseOptions(
        delimiter=read_report.get("delimiter") or ",",
        newlines_in_values=True,
        invalid_row_handler=lambda row: "skip",
    )
    header = pacsv.open_csv(path, read_options=read_options, parse_options=parse).schema.names
    table = pacsv.read_csv(
        path,
        read_options=read_options,
        parse_options=parse,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header},
            include_columns=header[:MAX_COLUMNS_CONSIDERED]
            + [c for c in header[MAX_COLUMNS_CONSIDERED:] if c in columns_in_use],
        ),
    )
    return table.to_pandas()


def _raw_parquet(path: Path, columns_in_use: set[str]) -> pd.DataFrame:
    """A Parquet file's flat columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    flat = [f.name for f in schema if not pa.types.is_nested(f.type)]
    keep = flat[:MAX_COLUMNS_CONSIDERED] + [c for c in flat[MAX_COLUMNS_CONSIDERED:] if c in columns_in_use]
    return pq.read_table(path, columns=keep).to_pandas()


def _raw_excel(path: Path, read_report: Mapping[str, Any], columns_in_use: set[str]) -> pd.DataFrame:
    """The rows of the workbook's sheets the reader read, below the header row that names the columns in use."""
    sheets = read_report.get("sheets") or [0]
    frames = []
    for sheet in sheets:
        raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, nrows=None)
        header_row = _header_row(raw, columns_in_use)
        if header_row is None:
            continue
        names = [str(c) for c in raw.iloc[header_row]]
        body = raw.iloc[header_row + 1 :, :MAX_COLUMNS_CONSIDERED].copy()
        body.columns = names[: body.shape[1]]
        frames.append(body.loc[:, ~pd.Index(body.columns).duplicated()])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _header_row(raw: pd.DataFrame, columns_in_use: set[str]) -> int | None:
    for k in range(min(len(raw), 50)):
        cells = {str(c).strip() for c in raw.iloc[k].tolist()}
        if columns_in_use <= cells:
            return k
    return None


def customer_attributes(
    source: Any,
    reader: Mapping[str, Any],
    read_report: Mapping[str, Any],
    customers: pd.Index,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per customer of ``customers`` with the input's columns that are constant per customer.

    Parameters
    ----------
    source : the file (or DataFrame) the transactions were read from.
    reader : the options given to :func:`crmlib.data.read_transactions` (column names).
    read_report : the read report of that call (format, encoding, delimiter, header line, sheets).
    customers : the customer ids of the transactions.

    Returns
    -------
    (DataFrame, notes)
        The frame is indexed like ``customers`` (text values, missing where a customer has none); ``notes``
        say what was left out and why, one sentence each.

    Notes
    -----
    A column is kept when, for the customers with two or more rows, all its values are equal (empty cells count as
    a value), allowing :data:`MAX_VARYING_SHARE` of them to differ (their first value is shown, and a note says how
    many). A log where no customer has two rows cannot show that, so nothing is kept then.
    """
    notes: list[str] = []
    in_use = {
        str(reader.get(k, d))
        for k, d in zip(_READER_COLUMNS, ("customer_id", "date", "amount", None, None, None))
        if reader.get(k, d) is not None
    }
    customer_col = str(reader.get("customer", "customer_id"))
    try:
        raw = _raw_table(source, read_report, in_use)
    except (OSError, ValueError, ImportError) as exc:
        notes.append(
            f"The file's other columns could not be read again ({str(exc).splitlines()[0][:120]}), so the "
            "customers table has none of them."
        )
        return pd.DataFrame(index=customers), notes
    if customer_col not in raw.columns or len(raw) == 0:
        return pd.DataFrame(index=customers), notes
    others = [c for c in raw.columns if str(c) not in in_use]
    if len(others) > MAX_COLUMNS_CONSIDERED:
        notes.append(
            f"Only the first {MAX_COLUMNS_CONSIDERED} of the file's {len(others)} other columns were looked "
            "at for per-customer values."
        )
        others = others[:MAX_COLUMNS_CONSIDERED]
    if not others:
        return pd.DataFrame(index=customers), notes
    frame = _with_canonical_ids(raw, customer_col, others)
    if frame is None:
        return pd.DataFrame(index=customers), notes
    owner = _positions(frame["__id"], customers)  # each row's customer, -1 for an id not among them
    known = owner >= 0
    frame, owner = frame.loc[known], owner[known]
    rows_of = np.bincount(owner, minlength=len(customers))
    several = rows_of[owner] > 1
    n_multi = int(np.count_nonzero(rows_of > 1))
    if n_multi == 0:
        if len(others):
            notes.append(
                "No customer has two rows in the file, so no other column can be shown to be constant per "
                "customer; the customers table has none of them."
            )
        return pd.DataFrame(index=customers), notes
    kept = _constant_columns(frame.loc[several], owner[several], others, n_multi, notes)
    if len(kept) > MAX_ATTRIBUTES:
        notes.append(f"{len(kept)} columns are constant per customer; the first {MAX_ATTRIBUTES} are kept.")
        kept = kept[:MAX_ATTRIBUTES]
    return _first_values(frame.drop_duplicates("__id").set_index("__id")[kept], kept, customers, notes), notes


def _with_canonical_ids(raw: pd.DataFrame, customer_col: str, others: list[Any]) -> pd.DataFrame | None:
    """The other columns with each row's id as the reader makes it (``__id``); None when the ids cannot be read.

    The reader's own id rules are applied to the raw id column: the row number rides along as the amount.
    """
    from crmlib.data import DataError, read_transactions

    probe = pd.DataFrame(
        {"id": raw[customer_col].array, "day": "2000-01-01", "row": np.arange(1, len(raw) + 1, dtype=float)}
    )
    try:
        ids = read_transactions(probe, customer="id", date="day", amount="row", blank_customers="drop", warn=False)
    except DataError:
        return None
    rows = ids["amount"].to_numpy(dtype=np.int64) - 1
    frame = raw[others].take(rows).reset_index(drop=True)
    frame.insert(0, "__id", ids["customer_id"].array)
    return frame


def _positions(ids: pd.Series, customers: pd.Index) -> np.ndarray:
    """Each id's position in ``customers`` (-1 where it is not one): Arrow's hash lookup.

    pandas' ``isin`` on Arrow-backed text makes a Python object of each value it looks for (1.5 s for a million ids
    against 110,000 customers, where this takes a fifth of a second; ``Index.get_indexer`` took 1.0 s).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(ids.astype("str").array), value_set=pa.array(customers.astype("str").array))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _value_codes(column: pd.Series) -> np.ndarray:
    """A number per row, equal for equal values: compared as texts (``1`` and ``"1"`` alike), an empty cell apart."""
    if not isinstance(column.dtype, pd.StringDtype):
        column = column.astype(object).where(column.notna(), None).map(str, na_action="ignore")
    codes, _ = pd.factorize(column, use_na_sentinel=False)
    return codes


def _constant_columns(
    several: pd.DataFrame, owner: np.ndarray, others: list[Any], n_multi: int, notes: list[str]
) -> list[Any]:
    """The columns equal within each customer with several rows (up to :data:`MAX_VARYING_SHARE` who differ).

    ``owner``: each row's customer (a number). A customer's values are equal when their smallest and largest
    codes (:func:`_value_codes`) are.
    """
    order = np.argsort(owner, kind="stable")
    starts = np.flatnonzero(np.diff(owner[order], prepend=-1))  # where each customer's rows start
    kept = []
    for column in others:
        codes = _value_codes(several[column])[order]
        varying = int(np.count_nonzero(np.minimum.reduceat(codes, starts) != np.maximum.reduceat(codes, starts)))
        if varying <= MAX_VARYING_SHARE * n_multi:
            kept.append(column)
            if varying:
                notes.append(
                    f"The column {column!r} changes within {varying:,} of {n_multi:,} customers with "
                    "several rows; the customers table shows each customer's first value."
                )
    return kept


def _first_values(first: pd.DataFrame, kept: list[Any], customers: pd.Index, notes: list[str]) -> pd.DataFrame:
    """Each customer's first value of each kept column, as text cut at :data:`MAX_TEXT` characters."""
    out = pd.DataFrame(index=customers)
    cut = False
    for column in kept:
        text = first[column]
        if not isinstance(text.dtype, pd.StringDtype):
            text = text.map(lambda v: None if pd.isna(v) else str(v), na_action="ignore")
        long = text.str.len() > MAX_TEXT
        if long.any():
            cut = True
            text = text.where(~long, text.str.slice(0, MAX_TEXT) + "…")
        out[str(column)] = text.reindex(customers).astype(object)
    if cut:
        notes.append(f"Values longer than {MAX_TEXT} characters in the per-customer columns were cut.")
    return out
