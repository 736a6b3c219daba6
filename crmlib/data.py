"""Reading transaction logs into the kit's canonical frame.

The canonical frame has one row per purchase occasion with columns ``customer_id``, ``date``
(datetime64, day resolution) and ``amount`` (float). :func:`read_transactions` builds it from a file
or a DataFrame; every problem with the input raises :class:`DataError` with a message that names the
column, shows the first offending rows and says what to do.
"""

from __future__ import annotations

CANONICAL_COLUMNS = ("customer_id", "date", "amount")


class DataError(ValueError):
    """The input data cannot be used as it is. The message names the problem and the fix."""


def check_canonical(transactions, func: str = "this function"):
    """Check that ``transactions`` is a canonical frame and return it (not a copy).

    Raises :class:`DataError` naming the missing columns and pointing to :func:`read_transactions`.
    """
    import pandas as pd

    if not isinstance(transactions, pd.DataFrame):
        raise DataError(
            f"{func} needs a DataFrame of transactions (columns customer_id, date, amount); "
            f"got {type(transactions).__name__}. Read a file with crmlib.data.read_transactions(path) first."
        )
    missing = [c for c in CANONICAL_COLUMNS if c not in transactions.columns]
    if missing:
        raise DataError(
            f"{func} needs the columns customer_id, date and amount; missing: {', '.join(missing)}. "
            f"Columns present: {', '.join(map(str, transactions.columns))}. "
            "Map your own column names with crmlib.data.read_transactions(frame, customer=..., date=..., amount=...)."
        )
    if not pd.api.types.is_datetime64_any_dtype(transactions["date"]):
        raise DataError(
            f"{func} needs the 'date' column as datetimes, but it holds {transactions['date'].dtype}. "
            "Read the data with crmlib.data.read_transactions, which parses dates."
        )
    return transactions
