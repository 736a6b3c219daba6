"""Parquet files: the wanted columns, typed as stored; nested columns (lists, structs) refused by name."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crmlib.data.errors import DataError, Hint
from crmlib.data.names import ROLE_WORDS, resolve_columns, role_hint
from crmlib.data.options import ReadOptions
from crmlib.data.paths import FileSource
from crmlib.data.rows import RowLocator

__all__ = ["check_flat", "read_parquet"]


def check_flat(schema: pa.Schema, actual: dict[str, Any], name: str) -> None:
    """DataError when a wanted column holds lists, structs or maps instead of single values.

    Examples
    --------
    >>> schema = pa.schema([("customer_id", pa.string()), ("items", pa.list_(pa.int64()))])
    >>> check_flat(schema, {"customer": "customer_id"}, "'orders.parquet'")
    >>> check_flat(schema, {"amount": "items"}, "'orders.parquet'")
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the amount column 'items' ... holds nested values ...
    """
    for role, column in actual.items():
        kind = schema.field(column).type
        if pa.types.is_nested(kind):
            raise DataError(
                f"read_transactions: the {ROLE_WORDS[role]} column {column!r} of {name} holds nested values "
                f"({kind}), not one value per row. Name a column of plain values with "
                f"{role_hint(role, '<column name>')}, "
                "or flatten the column before exporting."
            )


def read_parquet(
    src: FileSource, options: ReadOptions, wanted: dict[str, str]
) -> tuple[dict[str, pd.Series], RowLocator, dict[str, Any]]:
    """The wanted columns of a Parquet file (pandas Series), the row locator, and what was read.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> table = pa.table({"customer_id": ["A", "B"], "date": ["2024-01-02", "2024-01-05"], "amount": [10.0, 5.5]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     pq.write_table(table, f"{folder}/orders.parquet")
    ...     wanted = {"customer": "customer_id", "date": "date", "amount": "amount"}
    ...     columns, locator, info = read_parquet(file_source(f"{folder}/orders.parquet"), ReadOptions(), wanted)
    >>> columns["amount"].tolist(), info
    ([10.0, 5.5], {'format': 'parquet'})
    """
    name = src.name
    try:
        schema = pq.read_schema(src.path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(
            f"read_transactions: {name} cannot be read as a Parquet file ({str(exc)[:150]}). "
            "Check that it is a complete Parquet export."
        ) from None
    if len(schema.names) > options.max_columns:
        raise DataError(
            f"read_transactions: {name} has {len(schema.names):,} columns, more than the {options.max_columns:,} "
            f"considered. If that is right, pass {Hint('max_columns', len(schema.names))}."
        )
    locator = RowLocator(
        name, "parquet", offset=1, row_word="row", convention="data rows counted from 1", quote=src.quote
    )
    actual = resolve_columns(wanted, list(schema.names), name, quote=src.quote)
    check_flat(schema, actual, name)
    try:
        table = pq.read_table(src.path, columns=list(dict.fromkeys(actual.values())))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"read_transactions: {name} cannot be read as a Parquet file ({str(exc)[:150]}).") from None
    if table.num_rows == 0:
        raise DataError(f"read_transactions: the Parquet file {name} has no rows; there are no transactions to read.")
    columns = {role: table.column(c).to_pandas() for role, c in actual.items()}
    return columns, locator, {"format": "parquet"}
