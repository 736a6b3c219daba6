"""The (customer, day) order of rows: one sort of packed keys, or counting sorts, give ``np.lexsort``'s order.

The packed keys hold code, day and position side by side; their sort must be the stable order whatever the
rows look like (each customer's rows in date order or not, the whole file in date order, a few rows over a
huge span of days, keys that use all 64 bits), and the counting sorts it falls back to must give the same.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from crmlib.data import order as row_order
from crmlib.data.order import customer_day_order


def _expected(codes, days):
    return np.lexsort((np.arange(len(codes)), days, codes))


def _rows(pattern: str, n_codes: int, n: int, seed: int):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_codes, n)
    days = rng.integers(19_000, 19_040, n)
    if pattern == "per customer":  # each customer's rows in date order, the file not
        by_place, by_day = np.lexsort((np.arange(n), codes)), np.lexsort((days, codes))
        days[by_place] = days[by_day].copy()  # each customer's days, ascending along its rows
        assert (np.diff(days) < 0).any()
    elif pattern == "global":
        days = np.sort(days)
    elif pattern == "huge span":
        days = rng.integers(-(10**12), 10**12, n)
    return codes, days


@pytest.mark.parametrize("packed_bits", [64, 0], ids=["packed", "counting"])
@pytest.mark.parametrize("n_codes", [7, 70_000])  # numpy's 16-bit radix sort, or pandas' counting sort
@pytest.mark.parametrize("pattern", ["per customer", "shuffled", "global", "huge span"])
def test_the_order_is_lexsorts(monkeypatch, packed_bits, n_codes, pattern):
    monkeypatch.setattr(row_order, "PACKED_BITS", packed_bits)
    codes, days = _rows(pattern, n_codes, 3 * n_codes + 5, seed=n_codes)
    amounts = np.random.default_rng(1).normal(size=len(codes))
    rows = customer_day_order(codes, days, n_codes, amounts=amounts)
    expected = _expected(codes, days)
    assert np.array_equal(rows.order, expected)
    assert np.array_equal(rows.codes, codes[expected])
    assert np.array_equal(rows.days, days[expected])
    assert np.array_equal(rows.amounts, amounts[expected])
    assert customer_day_order(codes, days, n_codes).amounts is None
    # without the order or the codes (the reader's call): the same days and amounts
    lean = customer_day_order(codes, days, n_codes, amounts=amounts, keep_order=False, keep_codes=False)
    assert lean.order is None and lean.codes is None
    assert np.array_equal(lean.days, days[expected])
    assert np.array_equal(lean.amounts, amounts[expected])
    bare = customer_day_order(codes, days, n_codes, keep_order=False)
    assert bare.order is None and np.array_equal(bare.codes, codes[expected])
    assert np.array_equal(bare.days, days[expected])


def test_the_packed_sort_is_the_one_used_and_fills_all_64_bits():
    # 5 rows (3 bits), days over 2**30 (30 bits), 2**31 codes (31 bits): 64 bits, the top one set
    codes = np.array([2**31 - 1, 0, 2**31 - 1, 5, 0])
    days = np.array([2**30 - 1, 0, 0, 7, 0]) + 10_000
    packed = row_order._packed(codes, days, None, 2**31, int(days.min()), 2**30, None)
    assert packed is not None
    expected = _expected(codes, days)
    assert np.array_equal(packed.order, expected)
    assert np.array_equal(packed.codes, codes[expected])
    assert np.array_equal(packed.days, days[expected])
    # one bit more does not fit: the counting sorts take over, with the same order
    assert row_order._packed(codes, days, None, 2**31 + 1, int(days.min()), 2**30, None) is None
    assert np.array_equal(customer_day_order(codes, days, 2**31 + 1).order, expected)


def test_codes_outside_their_range_are_not_packed():
    days = np.array([3, 1, 2])
    assert row_order._packed(np.array([1, -1, 0]), days, None, 2, 1, 3, None) is None
    assert row_order._packed(np.array([1, 2, 0]), days, None, 2, 1, 3, None) is None


def test_threads_give_the_same_order():
    from concurrent.futures import ThreadPoolExecutor

    codes, days = _rows("shuffled", 70_000, 1_000_003, seed=3)
    amounts = np.arange(len(codes), dtype=np.float64)
    with ThreadPoolExecutor(2) as pool:
        rows = customer_day_order(codes, days, 70_000, amounts=amounts, pool=pool)
    expected = _expected(codes, days)
    assert np.array_equal(rows.order, expected)
    assert np.array_equal(rows.amounts, amounts[expected])
    release = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(release.wait, 60)  # the pool's thread is busy with other work, as in the reader
        rows = customer_day_order(codes, days, 70_000, amounts=amounts, pool=pool)
        assert not busy.done()  # the order was made by this thread alone, without waiting for the pool
        release.set()
    expected = _expected(codes, days)
    assert np.array_equal(rows.order, expected)
    assert np.array_equal(rows.amounts, amounts[expected])


def test_no_rows():
    rows = customer_day_order(np.zeros(0, np.int64), np.zeros(0, np.int64), 0)
    assert len(rows.order) == len(rows.codes) == len(rows.days) == 0


def test_an_error_in_the_helper_thread_reaches_the_caller_and_stops_the_work():
    from concurrent.futures import ThreadPoolExecutor

    done_here = []

    def work(item):
        if threading.current_thread() is threading.main_thread():
            done_here.append(item)
            time.sleep(0.1)
            return
        raise MemoryError("no room")  # in the pool's thread

    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(MemoryError, match="no room"):
            row_order._each(pool, work, list(range(8)))
    assert len(done_here) < 7  # this thread took no more items once the error was known
