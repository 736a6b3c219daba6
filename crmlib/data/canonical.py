"""The kit's canonical transaction frame, and the check other modules run on what they are given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmlib.data.errors import DataError

if TYPE_CHECKING:  # pandas is imported inside the function: `import crmlib.data` stays light
    import pandas as pd

__all__ = ["CANONICAL_COLUMNS", "check_canonical"]

#: The columns of the canonical frame, in order.
CANONICAL_COLUMNS = ("customer_id", "date", "amount")


def check_canonical(transactions: Any, func: str = "this function") -> pd.DataFrame:
    """Check that ``transactions`` is a canonical frame and return it (not a copy).

    Parameters
    ----------
    transactions : DataFrame
        A frame with the columns ``customer_id``, ``date`` (datetimes) and ``amount``.
    func : str
        The function asking, named in the message.

    Returns
    -------
    DataFrame
        ``transactions`` itself.

    Raises
    ------
    DataError
        Naming the missing columns and pointing to :func:`crmlib.data.read_transactions`.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-01-01"]), "amount": [1.0]})
    >>> check_canonical(frame) is frame
    True
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
