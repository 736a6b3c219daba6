"""A DataFrame as the source: its named columns, rows named by the frame's index labels; never changed."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmlib.data.errors import DataError
from crmlib.data.names import resolve_columns
from crmlib.data.rows import RowLocator

__all__ = ["read_frame"]


def read_frame(frame: pd.DataFrame, wanted: dict[str, str]) -> tuple[dict[str, pd.Series], RowLocator, dict[str, Any]]:
    """The wanted columns of a DataFrame (with a fresh index), the row locator, and what was read.

    Examples
    --------
    >>> frame = pd.DataFrame({"client": ["A", "B"], "day": ["2024-01-02", "2024-01-05"], "eur": [10.0, 5.5]})
    >>> columns, locator, info = read_frame(frame, {"customer": "client", "date": "day", "amount": "eur"})
    >>> sorted(columns), columns["amount"].tolist(), info
    (['amount', 'customer', 'date'], [10.0, 5.5], {'source': 'DataFrame'})
    """
    locator = RowLocator("the DataFrame", "frame", labels=frame.index, row_word="index label")
    actual = resolve_columns(wanted, list(frame.columns), "the DataFrame")
    columns = {role: frame[c].reset_index(drop=True) for role, c in actual.items()}
    if len(frame) == 0:
        raise DataError("read_transactions: the DataFrame has no rows; there are no transactions to read.")
    return columns, locator, {"source": "DataFrame"}
