"""The returns rule: what a negative amount (a return, a cancelled invoice) does to the purchases.

* ``"net"`` (default): returns stay as negative rows, so a customer's day adds up to its net amount. A
  return on a day on which the customer bought nothing is moved to that customer's latest earlier
  purchase day (the purchase it most likely reverses); a return with no earlier purchase is dropped.
  A purchase day is a day with at least one row whose amount is not negative.
* ``"drop"``: negative rows are removed.
* ``"keep"``: every row stays on its own day.

:func:`crmlib.scale.summarize_file` nets returns in SQL the same way (:func:`sql_net_returns`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from crmlib.data.errors import DataError, Hint
from crmlib.data.rows import plural

__all__ = ["Returns", "all_returns_error", "apply_returns", "net_returns"]


@dataclass
class Returns:
    """Rows after the returns policy, and what happened to the returns."""

    codes: np.ndarray
    days: np.ndarray
    amounts: np.ndarray
    report: dict = field(default_factory=dict)
    note: str | None = None


def net_returns(
    codes: np.ndarray, days: np.ndarray, amounts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Move returns on days without a purchase to the customer's previous purchase day; drop those without one.

    Returns the rows (codes, days, amounts), the number of returns moved and the number dropped.

    Examples
    --------
    >>> codes, days, amounts = np.array([0, 0, 1]), np.array([10, 12, 11]), np.array([5.0, -2.0, -1.0])
    >>> codes, days, amounts, moved, dropped = net_returns(codes, days, amounts)
    >>> days.tolist(), amounts.tolist(), moved, dropped
    ([10, 10], [5.0, -2.0], 1, 1)
    """
    negative = amounts < 0
    dmin = int(days.min())
    span = int(days.max()) - dmin + 2
    key = codes.astype(np.int64) * span + (days - dmin)
    buy_keys = np.unique(key[~negative])
    ret = np.flatnonzero(negative)
    lone = ret[~np.isin(key[ret], buy_keys)]
    if len(lone) == 0:
        return codes, days, amounts, 0, 0
    idx = np.searchsorted(buy_keys, key[lone], side="left") - 1
    if len(buy_keys):
        prev = buy_keys[np.maximum(idx, 0)]
        has_prev = (idx >= 0) & (prev // span == codes[lone])
    else:
        prev, has_prev = idx, np.zeros(len(lone), bool)
    days = days.copy()
    days[lone[has_prev]] = prev[has_prev] % span + dmin
    keep = np.ones(len(days), bool)
    keep[lone[~has_prev]] = False
    return codes[keep], days[keep], amounts[keep], int(has_prev.sum()), int((~has_prev).sum())


def apply_returns(policy: str, codes: np.ndarray, days: np.ndarray, amounts: np.ndarray, word: str) -> Returns:
    """Apply ``policy`` ("net", "drop" or "keep") to rows whose ``word`` names a row ("return row").

    Examples
    --------
    >>> codes, days, amounts = np.array([0, 0, 1]), np.array([10, 12, 11]), np.array([5.0, -2.0, 3.0])
    >>> dropped = apply_returns("drop", codes, days, amounts, "return row")
    >>> dropped.amounts.tolist(), dropped.report["returns_dropped"]
    ([5.0, 3.0], 1)
    >>> apply_returns("keep", codes, days, amounts, "return row").amounts.tolist()
    [5.0, -2.0, 3.0]
    """
    negative = amounts < 0
    report = {
        "returns": int(negative.sum()),
        "returns_amount": float(amounts[negative].sum()),
        "returns_policy": policy,
        "returns_dropped": 0,
        "returns_moved": 0,
    }
    out = Returns(codes, days, amounts, report)
    if not negative.any():
        return out
    total = f"{plural(int(negative.sum()), word)} (negative amounts, total {report['returns_amount']:,.2f})"
    if policy == "drop":
        keep = ~negative
        out.codes, out.days, out.amounts = codes[keep], days[keep], amounts[keep]
        report["returns_dropped"] = int(negative.sum())
        out.note = f"{total} dropped ({Hint('returns', 'drop')})"
    elif policy == "net":
        out.codes, out.days, out.amounts, moved, dropped = net_returns(codes, days, amounts)
        report["returns_moved"], report["returns_dropped"] = moved, dropped
        out.note = (
            f"{total} netted against purchases ({Hint('returns', 'net')}): {int(negative.sum()) - moved - dropped} on "
            f"a purchase day of the customer, {moved} moved to the customer's previous purchase day, {dropped} dropped "
            "for want of an earlier purchase"
        )
    else:
        out.note = (
            f"{total} kept on their own dates ({Hint('returns', 'keep')}); a day with returns only counts as a "
            "purchase day in summarize"
        )
    return out


def all_returns_error(name: str, policy: str) -> DataError:
    """The message for a source whose every row is a return, with ``policy`` "net" or "drop".

    Examples
    --------
    >>> print(all_returns_error("'refunds.csv'", "net"))
    read_transactions: every row of 'refunds.csv' is a return (negative amount) with no purchase to net it against, ...
    """
    return DataError(
        f"read_transactions: every row of {name} is a return (negative amount) with no purchase to net it against, "
        f"so no purchases remain ({Hint('returns', policy)}). Pass {Hint('returns', 'keep')} to read the rows as they "
        "are."
    )
