"""crmlib.rfm: the customer summary, calibration/holdout split, RFM scores and segments.

Every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlib import _days, rfm
from crmlib.data import DataError
from crmlib.params import ParameterError


def _tx(rows):
    customer, date, amount = zip(*rows)
    return pd.DataFrame({"customer_id": list(customer), "date": pd.to_datetime(list(date)), "amount": list(amount)})


# customer a: two purchases on 2024-01-01 (10 + 5 = one occasion of 15), then 01-15 (20), 02-01 (30)
# customer b: one purchase on 2024-01-20
# customer z: first purchase on 2024-03-05, after the observation end used below
LOG = _tx(
    [
        ("a", "2024-01-01", 10.0),
        ("a", "2024-01-01", 5.0),
        ("a", "2024-01-15", 20.0),
        ("a", "2024-02-01", 30.0),
        ("b", "2024-01-20", 7.0),
        ("z", "2024-03-05", 99.0),
    ]
)


# ---------------------------------------------------------------------------------------------
# summarize
# ---------------------------------------------------------------------------------------------


def test_summarize_by_hand_in_days():
    s = rfm.summarize(LOG, observation_end="2024-02-29")
    # z bought only after the end: left out
    assert list(s.index) == ["a", "b"]
    # a: purchase days 01-01, 01-15, 02-01 -> frequency 3 - 1 = 2
    #    recency 01-01 -> 02-01 = 31 days; T 01-01 -> 02-29 = 31 + 28 = 59 days (2024 is a leap year)
    #    monetary = mean of the repeat days = (20 + 30) / 2 = 25 (the first day, 15, is left out)
    assert s.loc["a"].tolist() == [2, 31.0, 59.0, 25.0]
    # b: one purchase day -> frequency 0, recency 0, T 01-20 -> 02-29 = 11 + 29 = 40, monetary 0
    assert s.loc["b"].tolist() == [0, 0.0, 40.0, 0.0]
    assert s["frequency"].dtype == np.int64


def test_summarize_observation_end_cuts_later_purchases():
    s = rfm.summarize(LOG, observation_end="2024-01-20")
    # a keeps 01-01 and 01-15: frequency 1, recency 14, T 19, monetary 20; b: T 0 (bought on the end day)
    assert s.loc["a"].tolist() == [1, 14.0, 19.0, 20.0]
    assert s.loc["b"].tolist() == [0, 0.0, 0.0, 0.0]


def test_summarize_default_end_is_the_last_date():
    s = rfm.summarize(LOG)
    # last date 2024-03-05: a's T = 01-01 -> 03-05 = 31 + 29 + 4 = 64 days; z: frequency 0, T 0
    assert s.loc["a", "T"] == 64.0
    assert s.loc["z"].tolist() == [0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(("unit", "days"), [("D", 1.0), ("W", 7.0), ("M", 30.4375), ("Y", 365.25)])
def test_summarize_units(unit, days):
    s = rfm.summarize(LOG, observation_end="2024-02-29", unit=unit)
    # a: recency 31 days and T 59 days expressed in the unit; frequency and money do not change
    assert s.loc["a", "recency"] == pytest.approx(31 / days)
    assert s.loc["a", "T"] == pytest.approx(59 / days)
    assert s.loc["a", "frequency"] == 2 and s.loc["a", "monetary_value"] == 25.0


def test_summarize_does_not_touch_the_input():
    before = LOG.copy()
    rfm.summarize(LOG, observation_end="2024-02-29")
    pd.testing.assert_frame_equal(LOG, before)


def test_summarize_errors():
    with pytest.raises(ParameterError, match=r"The 'unit' parameter of summarize must be one of 'D' \(days\)"):
        rfm.summarize(LOG, unit="days")
    with pytest.raises(DataError, match=r"summarize needs the columns customer_id, date and amount; missing: amount"):
        rfm.summarize(LOG.drop(columns="amount"))
    with pytest.raises(DataError, match=r"the transactions are empty"):
        rfm.summarize(LOG.iloc[:0])


# ---------------------------------------------------------------------------------------------
# calibration_holdout
# ---------------------------------------------------------------------------------------------

# c1: 01-01 (10), 01-10 (20) in calibration; 02-05 (30 + 5 on one day) and 03-01 (40) in the holdout
# c2: 01-20 (5) only
# c3: first purchase 02-10, after calibration_end: not in the calibration cohort
HOLD = _tx(
    [
        ("c1", "2024-01-01", 10.0),
        ("c1", "2024-01-10", 20.0),
        ("c1", "2024-02-05", 30.0),
        ("c1", "2024-02-05", 5.0),
        ("c1", "2024-03-01", 40.0),
        ("c2", "2024-01-20", 5.0),
        ("c3", "2024-02-10", 50.0),
    ]
)


def test_calibration_holdout_by_hand():
    s = rfm.calibration_holdout(HOLD, calibration_end="2024-01-31", observation_end="2024-03-31")
    assert list(s.index) == ["c1", "c2"]  # c3 is excluded
    # c1 calibration: days 01-01 and 01-10 -> frequency 1, recency 9, T 01-01 -> 01-31 = 30, monetary 20
    assert s.loc["c1", ["frequency", "recency", "T", "monetary_value"]].tolist() == [1, 9.0, 30.0, 20.0]
    # c1 holdout: 02-05 (30 + 5 = 35, one day) and 03-01 (40) -> 2 days, mean (35 + 40) / 2 = 37.5
    assert s.loc["c1", "frequency_holdout"] == 2
    assert s.loc["c1", "monetary_value_holdout"] == 37.5
    # c2: frequency 0, T 01-20 -> 01-31 = 11, nothing in the holdout
    assert s.loc["c2", ["frequency", "recency", "T", "frequency_holdout", "monetary_value_holdout"]].tolist() == [
        0,
        0.0,
        11.0,
        0,
        0.0,
    ]
    # holdout length: 01-31 -> 03-31 = 29 (February 2024) + 31 = 60 days, the same for everyone
    assert (s["duration_holdout"] == 60.0).all()


def test_calibration_holdout_in_weeks():
    s = rfm.calibration_holdout(HOLD, calibration_end="2024-01-31", observation_end="2024-03-31", unit="W")
    assert s.loc["c1", "T"] == pytest.approx(30 / 7)
    assert s.loc["c1", "recency"] == pytest.approx(9 / 7)
    assert s["duration_holdout"].iloc[0] == pytest.approx(60 / 7)


def test_calibration_holdout_errors():
    with pytest.raises(
        ParameterError,
        match=r"'observation_end' parameter of calibration_holdout must come after calibration_end \(2024-01-31\)",
    ):
        rfm.calibration_holdout(HOLD, calibration_end="2024-01-31", observation_end="2024-01-15")
    with pytest.raises(
        ParameterError,
        match=r"'calibration_end' parameter of calibration_holdout \(2023-12-01\) comes before the first transaction",
    ):
        rfm.calibration_holdout(HOLD, calibration_end="2023-12-01")
    with pytest.raises(ParameterError, match=r"The 'calibration_end' parameter of calibration_holdout must be a date"):
        rfm.calibration_holdout(HOLD, calibration_end="soon")


# ---------------------------------------------------------------------------------------------
# invariances (hypothesis)
# ---------------------------------------------------------------------------------------------

_rows = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 90), st.integers(1, 100_000)),  # customer, day, cents
    min_size=1,
    max_size=40,
)


def _frame(rows):
    return pd.DataFrame(
        {
            "customer_id": [f"k{c}" for c, _, _ in rows],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta([d for _, d, _ in rows], unit="D"),
            "amount": [a / 100 for _, _, a in rows],
        }
    )


def _assert_same_summary(left, right):
    pd.testing.assert_index_equal(left.index, right.index)
    for col in ("frequency", "recency", "T"):
        assert (left[col] == right[col]).all(), col
    assert np.allclose(left["monetary_value"], right["monetary_value"], rtol=1e-12, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, seed=st.integers(0, 2**32 - 1))
def test_summary_does_not_depend_on_row_order(rows, seed):
    tx = _frame(rows)
    shuffled = tx.sample(frac=1.0, random_state=seed % (2**32 - 1))
    end = "2024-04-30"
    _assert_same_summary(rfm.summarize(tx, observation_end=end), rfm.summarize(shuffled, observation_end=end))
    a = rfm.rfm_scores(tx, observation_end=end)
    b = rfm.rfm_scores(shuffled, observation_end=end)
    pd.testing.assert_frame_equal(a[["R", "F", "M", "FM"]], b[["R", "F", "M", "FM"]])


@settings(max_examples=60, deadline=None)
@given(rows=_rows, which=st.integers(0, 39), share=st.floats(0.01, 0.99))
def test_splitting_a_purchase_on_the_same_day_changes_nothing(rows, which, share):
    # one purchase of x cents becomes two rows on the same day, y and x - y cents: one occasion still
    c, d, cents = rows[which % len(rows)]
    part = max(1, min(cents - 1, int(cents * share))) if cents > 1 else None
    if part is None:
        return
    split = [r for i, r in enumerate(rows) if i != which % len(rows)] + [(c, d, part), (c, d, cents - part)]
    end = "2024-04-30"
    _assert_same_summary(
        rfm.summarize(_frame(rows), observation_end=end), rfm.summarize(_frame(split), observation_end=end)
    )
    cal = dict(calibration_end="2024-02-15", observation_end=end)
    if min(r[1] for r in rows) <= 45:  # someone purchased in the calibration period
        left = rfm.calibration_holdout(_frame(rows), **cal)
        right = rfm.calibration_holdout(_frame(split), **cal)
        assert (left["frequency_holdout"] == right["frequency_holdout"]).all()
        assert np.allclose(left["monetary_value_holdout"], right["monetary_value_holdout"], atol=1e-9)


# ---------------------------------------------------------------------------------------------
# rfm_scores
# ---------------------------------------------------------------------------------------------


def _summary(frequency, recency_since, monetary, T=100.0):
    """A summarize-style frame built from days-since-last-purchase (recency column = T - since)."""
    n = len(frequency)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": [T - s for s in recency_since],
            "T": [T] * n,
            "monetary_value": monetary,
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )


def test_scores_quintiles_without_ties():
    # 10 distinct values: j values below -> score 1 + floor(5 j / 10): j = 0..9 -> 1,1,2,2,3,3,4,4,5,5
    s = rfm.rfm_scores(_summary(list(range(10)), list(range(10, 0, -1)), [float(v) for v in range(10)]))
    assert s["F"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["M"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # days since the last purchase 10, 9, ..., 1: the most recent (1 day) is best -> same scores
    assert s["R"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["recency"].tolist() == [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    assert s["frequency"].tolist() == list(range(1, 11))  # purchase days = repeat purchases + 1


def test_scores_ties_get_equal_scores_and_a_large_tie_skips_scores():
    # frequency (repeats) 0, 0, 0, 1, 2: three customers tie at the bottom (60% > 1/5 of customers)
    # below-counts 0, 0, 0, 3, 4 -> 1 + floor(5*3/5) = 4, 1 + floor(5*4/5) = 5: scores 2 and 3 stay empty
    s = rfm.rfm_scores(_summary([0, 0, 0, 1, 2], [5, 5, 5, 5, 5], [0.0, 0.0, 0.0, 10.0, 10.0]))
    assert s["F"].tolist() == [1, 1, 1, 4, 5]
    # monetary 0, 0, 0, 10, 10 -> the two 10s tie: 3 below -> 4
    assert s["M"].tolist() == [1, 1, 1, 4, 4]
    # all recencies equal -> everyone scores 1
    assert s["R"].tolist() == [1, 1, 1, 1, 1]


def test_scores_with_fewer_customers_than_bins():
    # 3 customers, 5 bins: below-counts 0, 1, 2 -> 1, 1 + floor(5/3) = 2, 1 + floor(10/3) = 4
    s = rfm.rfm_scores(_summary([0, 1, 2], [3, 2, 1], [1.0, 2.0, 3.0]))
    assert s["F"].tolist() == [1, 2, 4]
    assert s["R"].tolist() == [1, 2, 4]
    one = rfm.rfm_scores(_summary([3], [1], [1.0]))
    assert one[["R", "F", "M"]].iloc[0].tolist() == [1, 1, 1]


def test_scores_from_transactions_by_hand():
    # LOG to 2024-02-29: a buys on 3 days (15, 20, 30; last 02-01 = 28 days before the end),
    # b on 1 day (7; last 01-20 = 40 days before); z (after the end) is left out.
    s = rfm.rfm_scores(LOG, observation_end="2024-02-29", bins=2)
    assert list(s.index) == ["a", "b"]
    assert s.loc["a", ["recency", "frequency", "monetary"]].tolist() == [28.0, 3, pytest.approx(65 / 3)]
    assert s.loc["b", ["recency", "frequency", "monetary"]].tolist() == [40.0, 1, 7.0]
    # 2 customers, 2 bins: the better one has 1 below -> 1 + floor(2*1/2) = 2
    assert s.loc["a", ["R", "F", "M", "FM"]].tolist() == [2, 2, 2, 2]
    assert s.loc["b", "rfm"] == "111"
    total = rfm.rfm_scores(LOG, observation_end="2024-02-29", monetary="total")
    assert total.loc["a", "monetary"] == 65.0  # 15 + 20 + 30
    weeks = rfm.rfm_scores(LOG, observation_end="2024-02-29", unit="W")
    assert weeks.loc["b", "recency"] == pytest.approx(40 / 7)


def test_scores_from_summary_and_from_transactions_agree_on_r_and_f():
    s_tx = rfm.rfm_scores(HOLD)
    s_sum = rfm.rfm_scores(rfm.summarize(HOLD))
    assert (s_tx["R"] == s_sum["R"]).all() and (s_tx["F"] == s_sum["F"]).all()
    assert (s_tx["recency"] == s_sum["recency"]).all()


def test_fm_is_the_mean_rounded_half_up():
    s = _summary([0, 1, 2, 3, 4], [5, 4, 3, 2, 1], [5.0, 4.0, 3.0, 2.0, 1.0])
    scores = rfm.rfm_scores(s)
    # F = 1..5 and M = 5..1 (opposite ranks): F + M = 6 for everyone -> FM = (6 + 1) // 2 = 3
    assert scores["FM"].tolist() == [3, 3, 3, 3, 3]
    # (F, M) = (4, 5) -> 5; (1, 2) -> 2; (3, 4) -> 4
    cells = pd.DataFrame({"F": [4, 1, 3], "M": [5, 2, 4]})
    assert ((cells["F"] + cells["M"] + 1) // 2).tolist() == [5, 2, 4]


def test_scores_errors():
    with pytest.raises(
        ParameterError, match=r"The 'bins' parameter of rfm_scores must be an integer in \[2, 20\]\. Got 1"
    ):
        rfm.rfm_scores(LOG, bins=1)
    with pytest.raises(
        ParameterError, match=r"The 'monetary' parameter of rfm_scores must be one of 'mean', 'total'\. Got 'median'"
    ):
        rfm.rfm_scores(LOG, monetary="median")
    with pytest.raises(DataError, match=r"rfm_scores needs a DataFrame"):
        rfm.rfm_scores([1, 2, 3])
    with pytest.raises(DataError, match=r"no transaction on or before observation_end \(2023-01-01\)"):
        rfm.rfm_scores(LOG, observation_end="2023-01-01")


# ---------------------------------------------------------------------------------------------
# rfm_segments and the segment summary
# ---------------------------------------------------------------------------------------------


def test_default_segment_map_covers_the_grid_with_the_eleven_segments():
    assert set(rfm.DEFAULT_SEGMENT_MAP) == {(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert set(rfm.DEFAULT_SEGMENT_MAP.values()) == set(rfm.SEGMENT_DESCRIPTIONS)
    assert len(rfm.SEGMENT_DESCRIPTIONS) == 11


def test_segments_by_hand():
    scores = pd.DataFrame(
        {"R": [5, 5, 1, 1, 3, 2], "FM": [5, 1, 5, 1, 3, 4]}, index=pd.Index(list("abcdef"), name="customer_id")
    )
    seg = rfm.rfm_segments(scores)
    assert seg["segment"].tolist() == [
        "Champions",
        "New customers",
        "Can't lose them",
        "Lost",
        "Need attention",
        "At risk",
    ]
    assert list(seg["segment"].cat.categories) == list(rfm.SEGMENT_DESCRIPTIONS)
    assert "segment" not in scores.columns  # the input is not changed


def test_segments_with_a_custom_partial_map():
    scores = pd.DataFrame({"R": [4, 4, 1], "FM": [4, 2, 1]})
    seg = rfm.rfm_segments(scores, {(4, 4): "Top", (1, 1): "Gone"}, unmapped="Rest")
    assert seg["segment"].tolist() == ["Top", "Rest", "Gone"]
    assert list(seg["segment"].cat.categories) == ["Top", "Gone", "Rest"]


def test_segments_errors():
    scores = rfm.rfm_scores(_summary(list(range(8)), list(range(8)), [1.0] * 8), bins=4)
    with pytest.raises(
        ParameterError, match=r"default segment map of rfm_segments is for 5 bins .* these scores use 4 bins"
    ):
        rfm.rfm_segments(scores)
    with pytest.raises(
        ParameterError, match=r"The 'segment_map' parameter of rfm_segments must be a dict \{\(R, FM\): segment name\}"
    ):
        rfm.rfm_segments(scores, {"55": "Champions"})
    with pytest.raises(DataError, match=r"rfm_segments needs the scores of crmlib.rfm.rfm_scores \(columns R and FM\)"):
        rfm.rfm_segments(pd.DataFrame({"R": [1]}))


def test_segment_summary_by_hand():
    seg = rfm.rfm_segments(
        pd.DataFrame(
            {
                "recency": [1.0, 3.0, 90.0],
                "frequency": [5, 4, 1],
                "monetary": [20.0, 30.0, 10.0],
                "R": [5, 5, 1],
                "FM": [5, 5, 1],
            }
        )
    )
    table = rfm.rfm_segment_summary(seg)
    assert list(table.index) == ["Champions", "Lost"]
    # revenue = frequency x mean amount: 5*20 + 4*30 = 220 for Champions, 1*10 = 10 for Lost; total 230
    assert table.loc["Champions", "revenue_share"] == pytest.approx(220 / 230)
    assert table.loc["Champions", "customers"] == 2 and table.loc["Champions", "share"] == pytest.approx(2 / 3)
    assert table.loc["Champions", "recency"] == 2.0 and table.loc["Champions", "monetary"] == 25.0
    with pytest.raises(DataError, match=r"rfm_segment_summary needs the output of crmlib.rfm.rfm_segments"):
        rfm.rfm_segment_summary(pd.DataFrame({"R": [1]}))


def test_bundled_log_quintiles():
    from crmlib.datasets import load_transactions

    s = rfm.rfm_scores(load_transactions())
    n = len(s)
    # no large ties in recency and mean spend: each quintile holds n/5 customers up to the ties at the cuts
    assert (abs(s["R"].value_counts() - n / 5) <= 30).all()
    assert (abs(s["M"].value_counts() - n / 5) <= 30).all()
    # one-time buyers (frequency 1) are one big tie: all score F = 1, whatever their share
    assert (s.loc[s["frequency"] == 1, "F"] == 1).all()
    assert (s.loc[s["frequency"] > 1, "F"] > 1).all()


# ---------------------------------------------------------------------------------------------
# Missing and time-zone-aware dates
# ---------------------------------------------------------------------------------------------


def test_summarize_names_missing_dates():
    tx = _tx([("a", "2024-01-01", 1.0), ("a", None, 2.0), ("b", "2024-01-05", 3.0)])
    with pytest.raises(DataError, match=r"the 'date' column is empty in 1 rows \(first rows: \[1\]\)"):
        rfm.summarize(tx, observation_end="2024-01-10")


def test_summarize_uses_local_calendar_days_of_tz_aware_dates():
    # 23:30 on Jan 1 and 00:30 on Jan 2 in New York are two local calendar days (one repeat purchase);
    # in UTC both fall on Jan 2 and merge into one occasion.
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "date": pd.to_datetime(["2024-01-01 23:30", "2024-01-02 00:30"]).tz_localize("America/New_York"),
            "amount": [1.0, 2.0],
        }
    )
    assert rfm.summarize(tx)["frequency"].tolist() == [1]


def test_segment_grid():
    grid = rfm.rfm_segment_grid()
    assert grid.shape == (5, 5) and list(grid.index) == [5, 4, 3, 2, 1] and list(grid.columns) == [1, 2, 3, 4, 5]
    assert grid.loc[1, 5] == "Can't lose them" and grid.loc[5, 1] == "New customers"
    small = rfm.rfm_segment_grid({(2, 2): "Top"}, bins=2)
    assert small.to_numpy().tolist() == [["", "Top"], ["", ""]]


def test_many_rows_on_one_day_add_up_exactly_in_row_order():
    """More rows than a vector register holds on one customer-day: the day's amount is the sequential sum."""
    amounts = [0.1 * k + 0.01 for k in range(1, 21)]
    rows = [("a", "2024-01-01", 5.0)] + [("a", "2024-01-09", x) for x in amounts]
    summary = rfm.summarize(_tx(rows), observation_end="2024-01-31")
    expected = 0.0
    for x in amounts:  # row order, one addition at a time
        expected += x
    assert summary.loc["a", "frequency"] == 1
    assert summary.loc["a", "monetary_value"] == expected


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "object"])
def test_customer_codes_are_pandas_sorted_factorize(dtype):
    # the summary numbers customers as pandas.factorize(sort=True) does, whatever way the ids are encoded:
    # code-like ids in large columns (a table by key), long or hostile texts, blanks (-1)
    rng = np.random.default_rng(7)
    code_like = [f"R{k % 3:02d}C{k:07d}" for k in rng.integers(0, 40_000, 70_000)]
    hostile = ["b", "a", None, "é", "e", "E", "ß", "a\x00b", "a", "x" * 50, " a", "a ", "", "10", "9", "b"]
    for ids in (code_like, hostile, hostile * 5_000, [None, None], []):
        series = pd.Series(ids, dtype=dtype)
        codes, uniques = _days.factorize_sorted(series)
        want_codes, want_uniques = pd.factorize(series, sort=True)
        np.testing.assert_array_equal(codes, want_codes)
        pd.testing.assert_index_equal(uniques, want_uniques)
