"""The purchase days of a transaction log: the collapse every per-customer summary starts from.

Shared by :mod:`crmlib.rfm` and :mod:`crmlib.lifecycle` (one home for the kit's time convention: several
purchases of one customer on one calendar day are one purchase occasion, their amounts add up). Internal: the
public entry points are :func:`crmlib.rfm.summarize` and the functions of :mod:`crmlib.lifecycle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crmlib.data import DataError, check_canonical
from crmlib.data.codes import sorted_codes
from crmlib.data.columns import is_arrow_text
from crmlib.data.order import customer_day_order
from crmlib.params import unit_days

__all__ = [
    "SUMMARY_COLUMNS",
    "PurchaseDays",
    "empty_summary",
    "factorize_sorted",
    "last_day",
    "purchase_days",
    "summary_from_days",
]

#: The columns of the per-customer summary (:func:`crmlib.rfm.summarize`).
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


@dataclass(frozen=True)
class PurchaseDays:
    """Transactions collapsed to one row per customer and day, sorted by customer then day."""

    customers: pd.Index  # sorted unique customer ids
    code: np.ndarray  # customer position for each purchase day
    day: np.ndarray  # days since 1970-01-01 (int64)
    amount: np.ndarray  # summed amount of the day (float64)


def purchase_days(transactions: pd.DataFrame, *, start: Any = None, end: Any = None, func: str) -> PurchaseDays:
    """The purchase days of ``transactions`` (the canonical frame) in ``(start, end]``, one per customer and day.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Columns ``customer_id``, ``date``, ``amount`` (see :func:`crmlib.data.read_transactions`).
    start, end : date-like, optional
        Keep the days after ``start`` and up to ``end`` (both calendar days; ``None``: no bound).
    func : str
        The public function asking, named in the error messages.

    Returns
    -------
    PurchaseDays
        Sorted by customer, then day; the amounts of a day added in row order.

    Raises
    ------
    crmlib.data.DataError
        If a date, a customer id or an amount is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["b", "a", "a"], "amount": [5.0, 1.0, 2.0],
    ...                    "date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01"])})
    >>> days = purchase_days(tx, func="example")
    >>> list(days.customers), days.amount.tolist()
    (['a', 'b'], [3.0, 5.0])
    """
    tx = check_canonical(transactions, func)
    dates = tx["date"]
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)  # the customer's local calendar day, not the UTC day
    missing = dates.isna().to_numpy()
    if missing.any():
        rows = tx.index[missing][:5].tolist()
        raise DataError(
            f"{func}: the 'date' column is empty in {int(missing.sum())} rows (first rows: {rows}). "
            "Drop or fill those rows, or read the file with crmlib.data.read_transactions, which reports them."
        )
    days = dates.to_numpy("datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    mask = np.ones(len(days), dtype=bool)
    if start is not None:
        mask &= days > np.datetime64(start, "D").astype(np.int64)
    if end is not None:
        mask &= days <= np.datetime64(end, "D").astype(np.int64)
    ids = tx["customer_id"]
    if not mask.all():
        ids = ids[mask]
        days = days[mask]
    amounts = tx["amount"].to_numpy(dtype=float, na_value=np.nan)[mask]
    codes, customers = factorize_sorted(ids)
    if (codes < 0).any():
        rows = ids.index[codes < 0][:5].tolist()
        raise DataError(
            f"{func}: the 'customer_id' column is blank in {int((codes < 0).sum())} rows (first rows: {rows}). "
            "Drop or fill those rows, or read the file with crmlib.data.read_transactions, which reports them."
        )
    if np.isnan(amounts).any():
        rows = ids.index[np.isnan(amounts)][:5].tolist()
        raise DataError(
            f"{func}: the 'amount' column is empty in {int(np.isnan(amounts).sum())} rows (first rows: {rows}). "
            "Fill or drop those rows first."
        )
    if len(days) == 0:
        return PurchaseDays(pd.Index(customers), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    rows = customer_day_order(codes, days, len(customers), amounts=amounts, keep_order=False)
    code_s, day_s, amount_s = np.asarray(rows.codes), rows.days, np.asarray(rows.amounts)
    new = np.empty(len(code_s), dtype=bool)
    new[0] = True
    np.not_equal(code_s[1:], code_s[:-1], out=new[1:])
    new[1:] |= day_s[1:] != day_s[:-1]
    # one amount per (customer, day); the order is stable, so the rows of a day are added in row order,
    # exactly as a bincount over the rows would (np.add.at is sequential; reduceat is not)
    amount = amount_s[new] + 0.0  # -0.0 becomes 0.0, as in a sum starting from 0
    more = np.flatnonzero(~new)
    if len(more):
        np.add.at(amount, np.searchsorted(np.flatnonzero(new), more, side="right") - 1, amount_s[more])
    return PurchaseDays(
        customers=pd.Index(customers, name="customer_id"),
        code=code_s[new],
        day=day_s[new],
        amount=amount,
    )


def factorize_sorted(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pandas.factorize(ids, sort=True)``, faster for Arrow-backed strings (pandas' default ``str``).

    Arrow-backed strings are encoded as the reader encodes its ids (:func:`crmlib.data.codes.sorted_codes`:
    without one hash table of all the distinct ids, whose cache misses made pandas' factorize most of the
    summary's time), and their distinct values sorted as pandas sorts them (byte order).

    Examples
    --------
    >>> codes, uniques = factorize_sorted(pd.Series(["b", "a", "b"]))
    >>> codes.tolist(), list(uniques)
    ([1, 0, 1], ['a', 'b'])
    """
    if not is_arrow_text(ids.dtype):
        return pd.factorize(ids, sort=True)
    codes, distinct = sorted_codes(pa.chunked_array(pa.array(ids.array)))
    return codes.astype(np.intp, copy=False), pd.Index(pd.array(distinct, dtype=ids.dtype))


def last_day(tx: pd.DataFrame, first: bool = False) -> pd.Timestamp:
    """The last (or first) calendar day in the data, in the dates' own time zone, as a naive day.

    Examples
    --------
    >>> tx = pd.DataFrame({"date": pd.to_datetime(["2024-01-03 10:00", "2024-01-01 08:00"])})
    >>> last_day(tx), last_day(tx, first=True)
    (Timestamp('2024-01-03 00:00:00'), Timestamp('2024-01-01 00:00:00'))
    """
    dates = tx["date"]
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    day = dates.min() if first else dates.max()
    if day is pd.NaT:
        raise DataError("the 'date' column has no dates; there is nothing to summarize.")
    return day.normalize()


def empty_summary(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The summary of no customers: the columns of :func:`crmlib.rfm.summarize` (plus ``extra``), no rows.

    Examples
    --------
    >>> list(empty_summary().columns)
    ['frequency', 'recency', 'T', 'monetary_value']
    """
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in (*SUMMARY_COLUMNS, *extra)})
    frame["frequency"] = frame["frequency"].astype(np.int64)
    frame.index.name = "customer_id"
    return frame


def summary_from_days(pdays: PurchaseDays, end: Any, unit: str) -> pd.DataFrame:
    """The per-customer summary of :func:`crmlib.rfm.summarize` from the purchase days (observation end ``end``).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-08"]),
    ...                    "amount": [10.0, 20.0, 7.0]})
    >>> summary_from_days(purchase_days(tx, end="2024-01-29", func="f"), "2024-01-29", "W")["frequency"].tolist()
    [1, 0]
    """
    if len(pdays.code) == 0:
        return empty_summary()
    n = len(pdays.customers)
    code = pdays.code
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    stops = np.r_[starts[1:], len(code)] - 1
    n_days = stops - starts + 1
    first = pdays.day[starts]
    last = pdays.day[stops]
    total = np.add.reduceat(pdays.amount, starts)
    frequency = n_days - 1
    repeat_total = total - pdays.amount[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_total / np.maximum(frequency, 1), 0.0)
    length = unit_days(unit)
    end_day = np.datetime64(pd.Timestamp(end).date(), "D").astype(np.int64)
    assert len(starts) == n
    summary = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (last - first) / length,
            "T": (end_day - first) / length,
            "monetary_value": monetary,
        },
        index=pdays.customers,
    )
    summary.index.name = "customer_id"
    summary.attrs["unit"] = unit
    return summary
