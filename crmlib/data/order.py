"""The rows of a log in (customer, day) order: the order of the canonical frame and of every summary.

:func:`customer_day_order` is the one place the kit orders rows by customer and day, stably (rows of one
customer on one day keep the file's order, so their amounts add up in the same order everywhere). The
reader uses it for the canonical frame; :mod:`crmlib.rfm`, :mod:`crmlib.lifecycle` and
:func:`crmlib.churn.churn_rate` for the purchase days (``crmlib._days.purchase_days``).

Two ways give the same order:

* one sort of packed 64-bit keys: each row's code, day (from the first) and position side by side in one
  unsigned number. The keys are distinct and sort as (code, day, position), so numpy's vectorised sort
  (not stable, and not needed to be) gives the stable order, and the codes, days and order are read back
  out of the sorted keys. Used whenever the three fit in 64 bits (a million customers, 30 years of days
  and 10 million rows take 20 + 14 + 24 bits);
* otherwise counting sorts, O(rows): by code, which is the whole answer when each customer's rows are
  already in date order (exports are written in date order), else by day first, then by code; a
  comparison sort for a few rows over a huge span of days.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

__all__ = ["PACKED_BITS", "RowOrder", "customer_day_order"]

#: Bits of the packed keys (64: unsigned 64-bit numbers; 0 turns the packed sort off, as the tests do).
PACKED_BITS = 64
#: Rows per chunk while keys are packed and read back: a chunk's arrays stay in cache.
_CHUNK = 1 << 18


class RowOrder(NamedTuple):
    """The stable (code, day) order of rows, and the codes, days (and amounts, if given) in that order.

    ``order`` and ``codes`` are None when the caller did not ask for them (``keep_order``, ``keep_codes``).
    """

    order: np.ndarray | None
    codes: np.ndarray | None
    days: np.ndarray
    amounts: np.ndarray | None = None


def customer_day_order(
    codes: np.ndarray,
    days: np.ndarray,
    n_codes: int,
    *,
    amounts: np.ndarray | None = None,
    pool: ThreadPoolExecutor | None = None,
    keep_order: bool = True,
    keep_codes: bool = True,
) -> RowOrder:
    """The rows in order of (code, day), ties in the rows' order; with the codes, days and amounts in that order.

    Parameters
    ----------
    codes : integer array, a code in ``[0, n_codes)`` per row (customer ids numbered in their sort order).
    days : integer array, days since 1970-01-01 per row.
    n_codes : the number of codes.
    amounts : float array, optional; per row, returned in the order too (as float64).
    pool : threads for the packing and reading back (they leave the interpreter lock); none: this thread.
    keep_order, keep_codes : False: the order, or the codes in it, are not returned (None), nor kept in memory
        where the packed keys give them.

    Examples
    --------
    >>> rows = customer_day_order(np.array([1, 0, 1, 0]), np.array([12, 11, 10, 10]), n_codes=2)
    >>> rows.order.tolist(), rows.codes.tolist(), rows.days.tolist()
    ([3, 1, 2, 0], [0, 0, 1, 1], [10, 11, 10, 12])
    """
    days = np.asarray(days, dtype=np.int64)
    values = None if amounts is None else np.asarray(amounts, dtype=np.float64)
    if not len(days):
        empty = np.zeros(0, np.int64)
        return RowOrder(
            np.zeros(0, np.intp) if keep_order else None,
            empty if keep_codes else None,
            empty,
            None if values is None else np.zeros(0),
        )
    first = int(days.min())
    span = int(days.max()) - first + 1
    packed = _packed(codes, days, values, n_codes, first, span, pool, keep_order, keep_codes)
    if packed is not None:
        return packed
    order, ordered_days = _counted(codes, days, n_codes, first, span)
    return RowOrder(
        order if keep_order else None,
        np.asarray(codes, np.int64)[order] if keep_codes else None,
        days[order] if ordered_days is None else ordered_days,
        None if values is None else values[order],
    )


def _packed(
    codes: np.ndarray,
    days: np.ndarray,
    values: np.ndarray | None,
    n_codes: int,
    first: int,
    span: int,
    pool: ThreadPoolExecutor | None,
    keep_order: bool = True,
    keep_codes: bool = True,
) -> RowOrder | None:
    """The order from one sort of packed keys; None when code, day and position do not fit in them."""
    n = len(codes)
    row_bits = max(1, (n - 1).bit_length())
    day_bits = (span - 1).bit_length()
    code_bits = max(1, (n_codes - 1).bit_length())
    if row_bits + day_bits + code_bits > PACKED_BITS or codes.min() < 0 or codes.max() >= n_codes:
        return None
    day_shift, code_shift = np.uint64(row_bits), np.uint64(row_bits + day_bits)
    keys = np.empty(n, np.uint64)
    chunks = [(a, min(a + _CHUNK, n)) for a in range(0, n, _CHUNK)]

    def pack(bounds: tuple[int, int]) -> None:
        a, b = bounds
        key = keys[a:b]
        np.left_shift(codes[a:b].astype(np.uint64), code_shift, out=key)
        key |= (days[a:b] - first).astype(np.uint64) << day_shift
        key |= np.arange(a, b, dtype=np.uint64)

    _each(pool, pack, chunks)
    keys.sort()  # leaves the interpreter lock
    # the order is read out of the keys only where it is returned or gives the amounts (a chunk at a time then)
    order = np.empty(n, np.intp) if keep_order else None
    ordered_codes = np.empty(n, np.int64) if keep_codes else None
    ordered_days = np.empty(n, np.int64)
    ordered_values = None if values is None else np.empty(n, np.float64)
    row_mask, day_mask = np.uint64((1 << row_bits) - 1), np.uint64((1 << day_bits) - 1)

    def unpack(bounds: tuple[int, int]) -> None:
        a, b = bounds
        key = keys[a:b]
        if order is not None or values is not None:
            rows = order[a:b] if order is not None else np.empty(b - a, np.intp)
            np.bitwise_and(key, row_mask, out=rows, casting="unsafe")
            if values is not None and ordered_values is not None:
                np.take(values, rows, out=ordered_values[a:b])
        if ordered_codes is not None:
            np.right_shift(key, code_shift, out=ordered_codes[a:b], casting="unsafe")
        part = ordered_days[a:b]
        np.bitwise_and(key >> day_shift, day_mask, out=part, casting="unsafe")
        part += first

    _each(pool, unpack, chunks)
    return RowOrder(order, ordered_codes, ordered_days, ordered_values)


def _each(pool: ThreadPoolExecutor | None, work: Any, items: list) -> None:
    """``work`` on each item: this thread and one of the pool's take the items one by one until none is left.

    The pool's thread may be busy with other work: this thread then does every item, and does not wait for it.
    """
    if pool is None or len(items) < 2:
        for item in items:
            work(item)
        return
    left = iter(items)
    lock = threading.Lock()
    running = threading.Condition(lock)
    busy = [0]
    errors: list[BaseException] = []

    def drain() -> None:
        while True:
            with lock:
                item = None if errors else next(left, None)
                if item is None:
                    return
                busy[0] += 1
            try:
                work(item)
            except BaseException as exc:  # handed to the calling thread, which raises it
                with lock:
                    errors.append(exc)
            finally:
                with lock:
                    busy[0] -= 1
                    running.notify_all()

    pool.submit(drain)
    drain()
    with lock:  # the items the helper took are done (an item it has not taken is not waited for)
        running.wait_for(lambda: busy[0] == 0)
    if errors:
        raise errors[0]


def _counted(
    codes: np.ndarray, days: np.ndarray, n_codes: int, first: int, span: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """The order by counting sorts (a comparison sort over a huge span); the days in it when known."""
    keys = np.asarray(codes).astype(np.intp, copy=False)
    if span > 4 * len(days) + 1_000_000:  # a few rows over a huge span: a comparison sort
        return np.argsort(keys.astype(np.int64) * span + (days - first), kind="stable"), None
    order, counts = _counting_order(keys, n_codes)
    ordered_days = days[order]
    if not _days_go_back(ordered_days, order, keys, counts):
        return order, ordered_days
    del ordered_days
    by_day, _ = _counting_order((days - first).astype(np.intp), span)
    order, _ = _counting_order(keys[by_day], n_codes)
    return by_day[order], None


def _days_go_back(ordered_days: np.ndarray, order: np.ndarray, keys: np.ndarray, counts: np.ndarray | None) -> bool:
    """True when, in ``order`` (the rows by code, stable), some customer's days go back in time."""
    back = ordered_days[1:] < ordered_days[:-1]
    if not back.any():
        return False
    if counts is not None and counts.sum() == len(order):  # where a code ends, the next row starts another
        ends = np.cumsum(counts)[:-1]
        back[ends[(ends > 0) & (ends < len(order))] - 1] = False
    else:
        ordered = keys[order]
        back &= ordered[1:] == ordered[:-1]
    return bool(back.any())


def _counting_order(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The stable order of ``keys`` (integers in [0, n_keys)) by a counting sort, O(rows); and the count of each key."""
    if n_keys < 1 << 16:  # numpy sorts 16-bit keys stably by radix
        return np.argsort(keys.astype(np.uint16), kind="stable"), None
    try:
        from pandas._libs.algos import groupsort_indexer  # the counting sort pandas' groupby uses
    except ImportError:  # pragma: no cover - another pandas
        return np.argsort(keys, kind="stable"), None
    order, counts = groupsort_indexer(keys.astype(np.intp, copy=False), n_keys)
    return np.asarray(order), np.asarray(counts)[1:]  # counts[0] counts the keys -1 (none here)
