"""Tests of crmlib.clv: hand-worked values (arithmetic shown), error messages, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlib import clv, tiers
from crmlib.data import DataError
from crmlib.params import ParameterError

# ---------------------------------------------------------------------------------------------- npv


def test_npv_three_years_at_ten_percent():
    # 100/1.1 + 100/1.21 + 100/1.331 = 90.9091 + 82.6446 + 75.1315 = 248.6852
    assert clv.npv([100, 100, 100], 0.10) == pytest.approx(248.6852, abs=1e-4)
    assert round(clv.npv([100, 100, 100], 0.10), 2) == 248.69


def test_npv_begin_discounts_one_period_less():
    # 100 + 100/1.1 + 100/1.21 = 100 + 90.9091 + 82.6446
    assert clv.npv([100, 100, 100], 0.10, when="begin") == pytest.approx(273.5537, abs=1e-4)


def test_npv_uneven_flows_and_zero_rate():
    # -50/1.05 + 200/1.05**2 = -47.6190 + 181.4059
    assert clv.npv([-50, 200], 0.05) == pytest.approx(133.7868, abs=1e-4)
    assert clv.npv([1, 2, 3], 0.0) == 6.0


def test_npv_rows_of_a_matrix():
    out = clv.npv(np.array([[100, 100, 100], [110, 0, 0]]), 0.10)
    assert out == pytest.approx([248.6852, 100.0])


def test_npv_errors():
    with pytest.raises(
        ParameterError,
        match=r"'rate' parameter of npv must be a number in \[0, 1\)\. Got 10 instead\. Rates are shares",
    ):
        clv.npv([100], 10)
    with pytest.raises(ParameterError, match=r"'rate' parameter of npv .* Got -0.1 instead"):
        clv.npv([100], -0.1)
    with pytest.raises(ParameterError, match=r"'cashflows' parameter of npv must be a non-empty"):
        clv.npv([], 0.1)
    with pytest.raises(ParameterError, match=r"missing or infinite values at \[\[1\]\]"):
        clv.npv([1.0, np.nan], 0.1)
    with pytest.raises(ParameterError, match=r"'when' parameter of npv must be one of 'end', 'begin'"):
        clv.npv([1.0], 0.1, when="middle")


# ------------------------------------------------------------------------------------ retention_clv


def test_gupta_lehmann_closed_form():
    # 100 * 0.8 / (1 + 0.1 - 0.8) = 80 / 0.3
    assert round(clv.retention_clv(100, 0.8, 0.1), 2) == 266.67
    # first margin now: 100 * 1.1 / 0.3 = 366.67 = 100 + 266.67
    assert clv.retention_clv(100, 0.8, 0.1, first_margin="now") == pytest.approx(110 / 0.3)


def test_finite_horizon_term_by_term():
    # t=1: 100*0.8/1.1 = 72.7273; t=2: 100*0.64/1.21 = 52.8926; t=3: 100*0.512/1.331 = 38.4673
    assert clv.retention_clv(100, 0.8, 0.1, horizon=3) == pytest.approx(72.7273 + 52.8926 + 38.4673, abs=1e-3)
    # first margin now: 100 + 72.7273 + 52.8926
    assert clv.retention_clv(100, 0.8, 0.1, horizon=3, first_margin="now") == pytest.approx(225.6198, abs=1e-3)


def test_margin_array_per_period():
    # margins 50, 100, 150: 50*0.9/1.1 + 100*0.81/1.21 + 150*0.729/1.331
    expected = 50 * 0.9 / 1.1 + 100 * 0.81 / 1.21 + 150 * 0.729 / 1.331
    assert clv.retention_clv([50, 100, 150], 0.9, 0.1) == pytest.approx(expected)
    assert clv.retention_clv([50, 100, 150], 0.9, 0.1, horizon=3) == pytest.approx(expected)


def test_growth_closed_form_and_finite_sum_agree():
    # m r / (1 + i - r (1+g)) = 100 * 0.8 / (1.1 - 0.84) = 307.69
    assert clv.retention_clv(100, 0.8, 0.1, growth=0.05) == pytest.approx(80 / 0.26)
    # margins 100, 105, 110.25 for three periods
    expected = 100 * 0.8 / 1.1 + 105 * 0.64 / 1.21 + 110.25 * 0.512 / 1.331
    assert clv.retention_clv(100, 0.8, 0.1, growth=0.05, horizon=3) == pytest.approx(expected)
    # growth with the first margin now: 100 * 1.1 / (1.1 - 0.84)
    assert clv.retention_clv(100, 0.8, 0.1, growth=0.05, first_margin="now") == pytest.approx(110 / 0.26)


def test_edge_retentions():
    assert clv.retention_clv(100, 0.0, 0.1) == 0.0
    assert clv.retention_clv(100, 0.0, 0.1, first_margin="now") == 100.0
    # retention 1 converges with a positive discount rate: 100 * 1 / 0.1
    assert clv.retention_clv(100, 1.0, 0.1) == pytest.approx(1000.0)


def test_retention_clv_errors():
    with pytest.raises(
        ParameterError, match=r"'retention' parameter of retention_clv must be a number in \[0, 1\]\. Got 1.2"
    ):
        clv.retention_clv(100, 1.2, 0.1)
    with pytest.raises(
        ParameterError,
        match=r"'discount_rate' parameter of retention_clv must be a number in \[0, 1\)\. Got 1.5 instead",
    ):
        clv.retention_clv(100, 0.8, 1.5)
    with pytest.raises(ParameterError, match=r"'discount_rate' .* Got -0.05 instead"):
        clv.retention_clv(100, 0.8, -0.05)
    with pytest.raises(
        ParameterError, match=r"needs retention below 1 \+ discount_rate.*Got retention=1, discount_rate=0\b"
    ):
        clv.retention_clv(100, 1.0, 0.0)
    with pytest.raises(
        ParameterError, match=r"retention times \(1 \+ growth\) = 1.05 below 1 \+ discount_rate.*growth=0.05"
    ):
        clv.retention_clv(100, 1.0, 0.02, growth=0.05)
    for bad in (0, -3, 2.5):
        with pytest.raises(
            ParameterError, match=rf"'horizon' parameter of retention_clv must be an integer in \[1, inf\)\. Got {bad}"
        ):
            clv.retention_clv(100, 0.8, 0.1, horizon=bad)
    with pytest.raises(ParameterError, match=r"has 3 margins per period but horizon=5"):
        clv.retention_clv([1, 2, 3], 0.8, 0.1, horizon=5)
    with pytest.raises(ParameterError, match=r"'margin' parameter of retention_clv must be a number"):
        clv.retention_clv("100", 0.8, 0.1)
    with pytest.raises(
        ParameterError, match=r"'first_margin' parameter of retention_clv must be one of 'after_one_period', 'now'"
    ):
        clv.retention_clv(100, 0.8, 0.1, first_margin="start")


def test_table_matches_function_and_has_hand_values():
    table = clv.retention_clv_table(100, 0.8, 0.1, horizon=3)
    assert table["survival"].tolist() == pytest.approx([0.8, 0.64, 0.512])
    assert table["discount_factor"].tolist() == pytest.approx([1 / 1.1, 1 / 1.21, 1 / 1.331])
    assert table["cumulative"].iloc[-1] == pytest.approx(clv.retention_clv(100, 0.8, 0.1, horizon=3))
    now = clv.retention_clv_table(100, 0.8, 0.1, horizon=3, first_margin="now")
    assert now["period"].tolist() == [0, 1, 2]
    with pytest.raises(ParameterError, match="a table needs an end"):
        clv.retention_clv_table(100, 0.8, 0.1, horizon=None)


margins = st.floats(1, 1000)
rates = st.floats(0.0, 0.5)
retentions = st.floats(0.0, 0.98)


@settings(max_examples=60, deadline=None)
@given(m=margins, r=retentions, i=rates, dr=st.floats(0.001, 0.01))
def test_clv_rises_with_retention(m, r, i, dr):
    assert clv.retention_clv(m, r + dr, i) > clv.retention_clv(m, r, i)


@settings(max_examples=60, deadline=None)
@given(m=margins, dm=st.floats(0.1, 10), r=st.floats(0.01, 0.98), i=rates)
def test_clv_rises_with_margin(m, dm, r, i):
    assert clv.retention_clv(m + dm, r, i) > clv.retention_clv(m, r, i)


@settings(max_examples=60, deadline=None)
@given(m=margins, r=st.floats(0.01, 0.98), i=rates, di=st.floats(0.001, 0.05))
def test_clv_falls_with_discount_rate(m, r, i, di):
    assert clv.retention_clv(m, r, i + di) < clv.retention_clv(m, r, i)


@settings(max_examples=40, deadline=None)
@given(m=margins, r=st.floats(0.0, 0.95), i=st.floats(0.01, 0.5), first=st.sampled_from(clv.FIRST_MARGIN))
def test_finite_horizon_converges_to_infinite(m, r, i, first):
    infinite = clv.retention_clv(m, r, i, first_margin=first)
    values = [clv.retention_clv(m, r, i, horizon=h, first_margin=first) for h in (1, 5, 20, 2000)]
    # more periods never lose value (positive margins), up to rounding
    assert all(b >= a * (1 - 1e-12) for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(infinite, rel=1e-9, abs=1e-9)
    assert all(v <= infinite * (1 + 1e-12) + 1e-12 for v in values)


# ------------------------------------------------------------------------------------- time units


def test_convert_rate_hand_values():
    assert clv.convert_rate(0.01, "M", "Y") == pytest.approx(1.01**12 - 1)
    assert clv.convert_rate(0.95, "M", "Y", kind="retention") == pytest.approx(0.95**12)
    assert clv.convert_rate(0.10, "Y", "M") == pytest.approx(1.1 ** (1 / 12) - 1)
    # weeks to years: 365.25 / 7 = 52.1786 weeks
    assert clv.convert_rate(0.99, "W", "Y", kind="retention") == pytest.approx(0.99 ** (365.25 / 7))
    with pytest.raises(ParameterError, match=r"'to_period' parameter of convert_rate must be one of 'D'"):
        clv.convert_rate(0.1, "Y", "quarter")
    with pytest.raises(
        ParameterError, match=r"'rate' parameter of convert_rate must be a number in \[0, 1\]\. Got 1.1"
    ):
        clv.convert_rate(1.1, "M", "Y", kind="retention")


def test_monthly_and_yearly_clv_agree_after_conversion():
    # A customer worth 10 a month, kept with 0.98 a month, money at 1% a month, for 5 years.
    monthly = clv.retention_clv(10, 0.98, 0.01, horizon=60)
    # Check by brute force over the 60 months, independently of retention_clv:
    brute = sum(10 * 0.98**t / 1.01**t for t in range(1, 61))
    assert monthly == pytest.approx(brute)
    # The same customer in years: margins of the 12 months of year y, each discounted to the end of
    # that year and weighted by survival relative to its start, give a yearly margin that, with the
    # yearly rates from convert_rate, reproduces the monthly value.
    r_y = clv.convert_rate(0.98, "M", "Y", kind="retention")
    i_y = clv.convert_rate(0.01, "M", "Y")
    within = (
        sum(10 * 0.98**k * 1.01 ** (12 - k) for k in range(1, 13)) / r_y
    )  # value at year end, per survivor at year end
    yearly = clv.retention_clv(within, r_y, i_y, horizon=5)
    assert yearly == pytest.approx(monthly, rel=1e-12)


def test_unconverted_rates_give_a_wrong_answer():
    right = clv.retention_clv(120, clv.convert_rate(0.98, "M", "Y", kind="retention"), 0.10)
    wrong = clv.retention_clv(120, 0.98, 0.10)  # monthly retention used as if it were yearly
    assert wrong > 3 * right


def test_expected_lifetime():
    assert clv.expected_lifetime(0.8) == pytest.approx(5.0)
    assert clv.expected_lifetime(0.0) == 1.0
    with pytest.raises(
        ParameterError, match=r"'retention' parameter of expected_lifetime must be a number in \[0, 1\)\. Got 1 instead"
    ):
        clv.expected_lifetime(1)


# --------------------------------------------------------------- annual value, acquisition, break-even


def test_annual_value_and_relationship_npv():
    assert clv.annual_value(1000.0, 0.3, annual_cost=50.0) == 250.0
    s = clv.annual_value(pd.Series([100.0, 200.0]), 0.5)
    assert s.tolist() == [50.0, 100.0]
    # 5 full years: 100 * (1 - 1.1**-5) / 0.1 = 379.0787
    assert clv.relationship_npv(100, 5, 0.1) == pytest.approx(379.0787, abs=1e-4)
    # 2.5 years: 100/1.1 + 100/1.21 + 50/1.331 = 90.9091 + 82.6446 + 37.5657
    assert clv.relationship_npv(100, 2.5, 0.1) == pytest.approx(211.1194, abs=1e-4)
    # The expected-lifetime shortcut (first margin now) overstates the retention-based CLV (Jensen):
    shortcut = clv.relationship_npv(100, clv.expected_lifetime(0.8), 0.1, first_margin="now")
    assert shortcut == pytest.approx(100 * sum(1.1**-t for t in range(5)))
    assert shortcut > clv.retention_clv(100, 0.8, 0.1, first_margin="now")
    with pytest.raises(ParameterError, match=r"'years' parameter of relationship_npv must be a number in \(0, inf\)"):
        clv.relationship_npv(100, 0, 0.1)
    with pytest.raises(ParameterError, match=r"'margin_rate' parameter of annual_value .* Got 30 instead"):
        clv.annual_value(100.0, 30)


def test_value_at_acquisition_and_break_even():
    # 100 * 1.1 / 0.3 - 150 = 366.667 - 150
    assert clv.value_at_acquisition(100, 0.8, 0.1, 150) == pytest.approx(216.6667, abs=1e-4)
    # Cumulative with the first margin now: t0 100, t1 100 + 72.73 = 172.73 >= 150 -> period 1
    assert clv.break_even_period(100, 0.8, 0.1, 150) == 1
    assert clv.break_even_period(100, 0.8, 0.1, 90) == 0
    # t2 172.73 + 52.89 = 225.62 ; t3 + 38.47 = 264.09 ; t4 + 27.98 = 292.07 -> 280 is reached at t4
    assert clv.break_even_period(100, 0.8, 0.1, 280) == 4
    assert clv.break_even_period(100, 0.8, 0.1, 280, horizon=4) is None  # periods 0..3 only
    assert clv.break_even_period(100, 0.8, 0.1, 500) is None  # CLV 366.67 never covers 500
    table = clv.cumulative_profit(100, 0.8, 0.1, 150, horizon=3)
    assert table["profit"].round(2).tolist() == [-50.0, 22.73, 75.62]
    with pytest.raises(
        ParameterError,
        match=r"'acquisition_cost' parameter of value_at_acquisition must be a number in \[0, inf\)\. Got -1",
    ):
        clv.value_at_acquisition(100, 0.8, 0.1, -1)


# ------------------------------------------------------------------------------------------ equity


def test_customer_equity_total_and_by_group():
    base = pd.DataFrame({"m": [100.0, 50.0, 100.0], "r": [0.8, 0.5, 0.8], "ch": ["web", "store", "web"]})
    # 2 * 80/0.3 + 25/0.6 = 533.333 + 41.667
    assert clv.customer_equity(base, margin="m", retention="r", discount_rate=0.1) == pytest.approx(575.0)
    table = clv.customer_equity(base, margin="m", retention="r", discount_rate=0.1, by="ch")
    assert table.index.tolist() == ["web", "store"]
    assert table.loc["web", "customers"] == 2
    assert table.loc["web", "equity"] == pytest.approx(533.3333, abs=1e-4)
    assert table["share"].sum() == pytest.approx(1.0)
    # horizon and first margin now agree with retention_clv
    total = clv.customer_equity(base, margin="m", retention="r", discount_rate=0.1, horizon=3, first_margin="now")
    expected = 2 * clv.retention_clv(100, 0.8, 0.1, horizon=3, first_margin="now") + clv.retention_clv(
        50, 0.5, 0.1, horizon=3, first_margin="now"
    )
    assert total == pytest.approx(expected)
    assert clv.customer_equity(base, margin="m", retention=0.5, discount_rate=0.1) == pytest.approx(250 * 0.5 / 0.6)


def test_customer_equity_errors():
    base = pd.DataFrame({"margin": [100.0, np.nan], "retention": [0.8, 1.3]})
    with pytest.raises(
        DataError, match=r"the margin column 'margin' is missing or not a number in 1 rows \(first rows: \[1\]\)"
    ):
        clv.customer_equity(base)
    base["margin"] = 1.0
    with pytest.raises(
        ParameterError,
        match=r"retention column 'retention' of customer_equity must hold rates in \[0, 1\]; 1 rows are "
        r"outside \(first rows: \[1\], values \[1.3\]\)",
    ):
        clv.customer_equity(base)
    with pytest.raises(DataError, match=r"the retention column 'keep' is not in the table"):
        clv.customer_equity(base, retention="keep")
    with pytest.raises(DataError, match=r"the by column 'region' is not in the table"):
        clv.customer_equity(base.assign(retention=0.5), by="region")


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


def test_estimate_retention_by_hand():
    tx = _log(
        [
            ("a", "2021-01-01", 10),
            ("a", "2022-02-01", 10),
            ("a", "2023-02-01", 10),  # active 3 years
            ("b", "2021-03-01", 20),
            ("b", "2022-03-01", 20),  # active years 1, 2
            ("c", "2021-04-01", 30),  # year 1 only
            ("d", "2022-05-01", 40),
            ("d", "2022-06-01", 40),  # year 2 only, two purchases
            ("e", "2023-07-01", 50),  # new in year 3
        ]
    )
    out = clv.estimate_retention(tx, observation_end="2023-12-31")
    # Years: 2021-01-01..2021-12-31 (period 2), 2022 (1), 2023 (0), each 365.25 days counted back.
    # Year 1 active {a,b,c} -> year 2 keeps {a,b}; year 2 active {a,b,d} -> year 3 keeps {a}.
    # retention = (2 + 1) / (3 + 3) = 0.5 ; current customers (year 3) = {a, e}
    assert out.loc["all", "retention"] == pytest.approx(0.5)
    assert out.loc["all", "active"] == 6 and out.loc["all", "retained"] == 3
    assert out.loc["all", "customers"] == 2
    # revenue per active customer-year: a 10,10,10; b 20,20; c 30; d 80; e 50 -> 230 / 8
    assert out.loc["all", "revenue_per_active"] == pytest.approx(230 / 8)
    groups = pd.Series({"a": "web", "b": "web", "c": "store", "d": "store"}, name="channel")
    by = clv.estimate_retention(tx, groups=groups, observation_end="2023-12-31")
    assert by.index.name == "channel"
    assert by.loc["web", "retention"] == pytest.approx(3 / 4)  # a: 2 of 2, b: 1 of 2
    assert by.loc["store", "retention"] == pytest.approx(0.0)  # c and d never come back
    assert by.loc["(unknown)", "customers"] == 1  # e
    with pytest.raises(DataError, match=r"fewer than two whole periods of years"):
        clv.estimate_retention(tx, observation_end="2021-12-31")


def test_equity_by_group_by_hand():
    tx = _log(
        [
            ("a", "2021-01-01", 10),
            ("a", "2022-02-01", 10),
            ("a", "2023-02-01", 10),
            ("b", "2021-03-01", 20),
            ("b", "2022-03-01", 20),
            ("c", "2021-04-01", 30),
            ("d", "2022-05-01", 40),
            ("d", "2022-06-01", 40),
            ("e", "2023-07-01", 50),
        ]
    )
    groups = pd.Series({"a": "web", "b": "web", "c": "store", "d": "store", "e": "store"}, name="channel")
    cost = pd.Series({"a": 10.0, "b": 20.0, "c": 5.0, "d": 5.0, "e": 8.0})
    out = clv.equity_by_group(
        tx, groups, margin_rate=0.5, discount_rate=0.1, acquisition_cost=cost, observation_end="2023-12-31"
    )
    # web: retention 3/4 ; revenue per active customer-year (10+10+10+20+20)/5 = 14 -> margin 7
    # CLV = 7 * 0.75 / (1.1 - 0.75) = 15 ; current customers {a} -> equity 15
    assert out.loc["web", "margin"] == pytest.approx(7.0)
    assert out.loc["web", "clv"] == pytest.approx(15.0)
    assert out.loc["web", "equity"] == pytest.approx(15.0)
    # value at acquisition: 7 * 1.1 / 0.35 - mean cost 15 = 22 - 15 = 7
    assert out.loc["web", "value_at_acquisition"] == pytest.approx(7.0)
    # store: retention 0 -> CLV 0 ; current customers {e}
    assert out.loc["store", "clv"] == 0.0 and out.loc["store", "customers"] == 1
    assert out.loc["store", "acquisition_cost"] == pytest.approx(6.0)
    with pytest.raises(ParameterError, match=r"'acquisition_cost' parameter of equity_by_group must be a Series"):
        clv.equity_by_group(tx, groups, acquisition_cost=5.0, observation_end="2023-12-31")
    # Monthly periods: retention 0.75**(1/12) per month, margin 7/12 per month, 1.1**(1/12) - 1 per month.
    monthly = clv.equity_by_group(
        tx, groups, margin_rate=0.5, discount_rate=0.1, unit="M", observation_end="2023-12-31"
    )
    r_m, i_m = 0.75 ** (1 / 12), 1.1 ** (1 / 12) - 1
    assert monthly.loc["web", "retention"] == pytest.approx(r_m)
    assert monthly.loc["web", "clv"] == pytest.approx(7 / 12 * r_m / (1 + i_m - r_m))


def test_periods_covered():
    tx = _log([("a", "2022-01-01", 1), ("b", "2023-12-31", 1)])
    # 729 days + 2 days' slack = 731 >= 2 * 365.25 = 730.5 ; in months 731 / 30.4375 = 24.02
    assert clv.periods_covered(tx) == 2
    assert clv.periods_covered(tx, unit="M") == 24
    # starting two days later: 727 + 2 = 729 < 730.5
    assert clv.periods_covered(_log([("a", "2022-01-03", 1), ("b", "2023-12-31", 1)])) == 1


def test_estimate_retention_drops_partial_first_period():
    # Data start in mid-2021: 2021 is only half observed, so only the pair (2022, 2023) counts.
    tx = _log([("a", "2021-07-01", 1), ("b", "2022-03-01", 1), ("b", "2023-03-01", 1), ("c", "2022-04-01", 1)])
    out = clv.estimate_retention(tx, observation_end="2023-12-31")
    assert out.loc["all", "active"] == 2 and out.loc["all", "retained"] == 1


# ---------------------------------------------------------------------------------- Reichheld-Sasser


def test_profit_over_time_follows_its_stated_assumptions():
    table = clv.profit_over_time(5)
    assert table.attrs["illustrative"] is True
    assert list(table.columns) == list(clv.PROFIT_SOURCES)
    assert table.sum(axis=1).iloc[0] == 100.0  # year 1 = 100, the index base
    # year 5 = 100 + 4 * (14 + 6 + 5 + 4) = 216
    assert table.sum(axis=1).loc[5] == 216.0
    custom = clv.profit_over_time(2, assumptions={"referrals": 0.0}, acquisition_cost=80)
    assert custom.loc[0, "base_profit"] == -80 and custom.loc[2, "referrals"] == 0.0
    with pytest.raises(
        ParameterError, match=r"'assumptions key' parameter of profit_over_time must be one of 'base_profit'"
    ):
        clv.profit_over_time(3, assumptions={"loyalty": 5})


# --------------------------------------------------------------------------------- value measures


def test_customer_value_measures_by_hand():
    tx = _log([("a", "2024-01-01", 60), ("a", "2024-01-01", 40), ("a", "2024-07-01", 50), ("b", "2024-03-01", 80)])
    m = clv.customer_value_measures(
        tx,
        margin_rate=0.5,
        cost_per_purchase=10,
        acquisition_cost=pd.Series({"a": 5.0, "b": 0.0}),
        observation_end="2024-12-31",
        unit="D",
    )
    # a: two purchase days (same-day rows add up), revenue 150, mean 75 per day
    assert m.loc["a", "purchases"] == 2 and m.loc["a", "purchase_amount"] == 75.0
    # net: 150 * 0.5 - 2 * 10 - 5 = 50 ; b: 80 * 0.5 - 10 = 30
    assert m.loc["a", "net_contribution"] == 50.0 and m.loc["b", "net_contribution"] == 30.0
    # 2024-01-01 -> 2024-07-01 is 182 days; -> 2024-12-31 is 365 days
    assert m.loc["a", "relationship_length"] == 182 and m.loc["a", "tenure"] == 365
    assert m.loc["a", "purchase_frequency"] == pytest.approx(2 / 365)
    assert m["repeat"].tolist() == [True, False]
    assert m.loc["b", "days_since_last"] == 305
    with pytest.raises(DataError, match=r"acquisition_cost has no value for 1 customers of the log \(first: \['b'\]\)"):
        clv.customer_value_measures(tx, acquisition_cost=pd.Series({"a": 5.0}))
    with pytest.raises(
        ParameterError,
        match=r"'margin_rate' parameter of customer_value_measures must be a number in \[0, 1\]\. Got 30",
    ):
        clv.customer_value_measures(tx, margin_rate=30)


def test_value_components_by_hand():
    tx = _log(
        [
            ("a", "2023-01-01", 100),
            ("a", "2024-06-01", 200),
            ("b", "2023-03-01", 80),
            ("c", "2024-11-01", 30),
            ("c", "2024-12-01", 30),
            ("c", "2024-12-15", 30),
        ]
    )
    out = clv.value_components(
        tx,
        margin_rate=0.5,
        discount_rate=0.1,
        horizon_years=2,
        observation_end="2024-12-31",
        assumptions={"cross_sell_uplift": 0.0, "referral_uplift": 0.1},
    )
    d = 1 / 1.1 + 1 / 1.21  # two years, retention 1, 10% a year
    # the reachable pace: median purchase days of the last year among its buyers (a: 1, c: 3) = 2
    assert out.attrs["reachable_frequency"] == 2.0 and out.attrs["factor"] == pytest.approx(d)
    # a: historical 300 * 0.5 = 150; last year 200 -> run rate 100, current 100 d
    assert out.loc["a", "historical_value"] == 150
    assert out.loc["a", "run_rate"] == 100
    assert out.loc["a", "current_value"] == pytest.approx(100 * d)
    # a reaches max(best year 200, 150 per purchase day x 2) = 300: potential d * 0.5 * ((300 - 200) + 0.1 * 300)
    assert out.loc["a", "reachable_rate"] == 150
    assert out.loc["a", "potential_value"] == pytest.approx(d * 0.5 * (100 + 30))
    # b: nothing in the last year -> no current value; reachable 80 x 2 = 160 -> potential d * 0.5 * (160 + 16)
    assert out.loc["b", "current_value"] == 0.0
    assert out.loc["b", "potential_value"] == pytest.approx(d * 0.5 * 176)
    # c buys above the reachable pace (90 a year > 30 x 2): only the uplift, d * 0.5 * 0.1 * 90
    assert out.loc["c", "potential_value"] == pytest.approx(d * 0.5 * 9)
    assert out.loc["b", "lifetime_value"] == pytest.approx(40 + d * 0.5 * 176)
    # current value does not depend on the potential assumptions; potential does not shrink with current value
    prudent = clv.value_components(
        tx, margin_rate=0.5, discount_rate=0.1, horizon_years=2, retention=0.5, observation_end="2024-12-31"
    )
    assert prudent.loc["a", "current_value"] == pytest.approx(100 * 0.5 / 1.1 + 100 * 0.25 / 1.21)
    # no horizon: the Gupta-Lehmann multiplier r / (1 + i - r); a fractional horizon uses the same closed form
    forever = clv.value_components(
        tx, margin_rate=0.5, discount_rate=0.1, horizon_years=None, retention=0.8, observation_end="2024-12-31"
    )
    assert forever.loc["a", "current_value"] == pytest.approx(100 * 0.8 / 0.3)
    half = clv.value_components(tx, margin_rate=0.5, discount_rate=0.0, horizon_years=1.5, observation_end="2024-12-31")
    assert half.loc["a", "current_value"] == pytest.approx(150)
    # the reachable level given per customer (e.g. wallet x reachable share from a survey) replaces the proxy
    own = clv.value_components(
        tx,
        margin_rate=0.5,
        discount_rate=0.0,
        horizon_years=1,
        observation_end="2024-12-31",
        reachable=pd.Series({"a": 400.0, "b": 0.0, "c": 90.0}),
        assumptions={"cross_sell_uplift": 0, "referral_uplift": 0},
    )
    assert own["potential_value"].tolist() == pytest.approx([100.0, 0.0, 0.0])
    # one margin rate per customer
    rates = pd.Series({"a": 0.2, "b": 0.5, "c": 0.5})
    mixed = clv.value_components(tx, margin_rate=rates, observation_end="2024-12-31")
    assert mixed.loc["a", "historical_value"] == pytest.approx(60)
    with pytest.raises(ParameterError, match=r"'horizon_years' parameter of value_components must be a number in \(0,"):
        clv.value_components(tx, horizon_years=0)
    with pytest.raises(ParameterError, match=r"value_components with no horizon needs retention"):
        clv.value_components(tx, horizon_years=None, retention=1.0, discount_rate=0.0)
    with pytest.raises(ParameterError, match=r"'margin_rate' parameter of value_components must hold shares in \["):
        clv.value_components(tx, margin_rate=pd.Series({"a": 30.0, "b": 0.3, "c": 0.3}))
    with pytest.raises(DataError, match=r"margin_rate has no value for 1 customers"):
        clv.value_components(tx, margin_rate=pd.Series({"a": 0.3, "b": 0.3}))
    with pytest.raises(ParameterError, match=r"'assumptions key' parameter of value_components must be one of"):
        clv.value_components(tx, assumptions={"wallet_share": 0.5})


def test_value_components_split_stays_meaningful_when_current_values_tie_at_zero():
    # Six customers idle for a year and five active: the plain median of current value is 0.
    rows = [(f"idle{k}", "2022-06-01", 20.0 * (k + 1)) for k in range(6)]
    rows += [
        ("big", "2024-10-01", 90.0),
        ("steady", "2024-03-01", 20.0),
        ("steady", "2024-09-01", 20.0),
        ("steady", "2024-12-01", 20.0),
        ("small", "2024-08-01", 10.0),
        ("pair", "2024-02-01", 15.0),
        ("pair", "2024-05-01", 15.0),
        ("pair2", "2024-04-01", 25.0),
        ("pair2", "2024-07-01", 25.0),
    ]
    values = clv.value_components(_log(rows), observation_end="2024-12-31")
    assert values["current_value"].median() == 0
    # reachable pace: the median purchase days of last year's buyers (1, 3, 1, 2, 2) = 2 a year
    assert values.attrs["reachable_frequency"] == 2
    vp = tiers.value_potential(values["current_value"], values["potential_value"])
    quadrant = vp["quadrant"].astype(str).to_dict()
    # active customers are split by value among themselves; the idle ones are low now, their potential varies
    assert quadrant["big"] == "platinum"  # a large order once a year: much room to buy more often
    assert quadrant["steady"] == "gold"  # buys at the reachable pace already: little room
    assert quadrant["small"] == "lead"
    assert {quadrant[f"idle{k}"] for k in range(6)} == {"iron", "lead"}


def test_customer_profit_is_the_one_profit_measure():
    tx = _log([("a", "2024-01-01", 60), ("a", "2024-01-01", 40), ("a", "2024-07-01", 50), ("b", "2024-03-01", 80)])
    profit = clv.customer_profit(
        tx,
        margin_rate=pd.Series({"a": 0.5, "b": 0.25}),
        cost_per_purchase=10,
        service_cost=pd.Series({"a": 0.0, "b": 15.0}),
    )
    # a: 150 * 0.5 - 2 purchase days * 10 = 55 ; b: 80 * 0.25 - 10 - 15 = -5 (a lead customer)
    assert profit.to_dict() == {"a": 55.0, "b": -5.0} and profit.name == "profit"
    acquisition = pd.Series({"a": 5.0, "b": 0.0})
    since = clv.customer_profit(tx, margin_rate=0.5, cost_per_purchase=10, acquisition_cost=acquisition)
    assert since["a"] == 50.0
    # a period: purchases after start only
    recent = clv.customer_profit(tx, margin_rate=0.5, start="2024-06-30")
    assert recent.to_dict() == {"a": 25.0}
    # customer_value_measures' net contribution is the same measure, since acquisition
    m = clv.customer_value_measures(tx, margin_rate=0.5, cost_per_purchase=10, acquisition_cost=acquisition)
    assert m["net_contribution"].to_dict() == {"a": 50.0, "b": 30.0}
    with pytest.raises(ParameterError, match=r"'cost_per_purchase' parameter of customer_profit must be a number in"):
        clv.customer_profit(tx, cost_per_purchase=-1)
    with pytest.raises(DataError, match=r"customer_profit: service_cost has no value for 1 customers"):
        clv.customer_profit(tx, service_cost=pd.Series({"a": 1.0}))


def test_customer_equity_sums_given_clvs():
    base = pd.DataFrame({"clv": [10.0, 5.0, 2.5], "ch": ["x", "y", "x"]})
    assert clv.customer_equity(base, clv="clv") == 17.5
    table = clv.customer_equity(base, clv="clv", by="ch")
    assert table.loc["x", "equity"] == 12.5 and table.loc["x", "customers"] == 2
    with pytest.raises(DataError, match=r"the clv column 'value' is not in the table"):
        clv.customer_equity(base, clv="value")


def test_functions_do_not_touch_the_callers_frame():
    tx = _log([("a", "2022-01-01", 100), ("a", "2023-06-01", 200), ("b", "2022-03-01", 80)])
    before = tx.copy()
    clv.customer_value_measures(tx)
    clv.value_components(tx)
    clv.estimate_retention(tx, unit="M")
    pd.testing.assert_frame_equal(tx, before)


# ---------------------------------------------------------------------------------- charts, widget


def test_charts_return_their_axes():
    import matplotlib.pyplot as plt

    import crmlib.plot as cplot

    _, axes = plt.subplots(2, 3)
    table = clv.retention_clv_table(100, 0.8, 0.1, horizon=5)
    assert cplot.clv_retention_chart(clv.clv_curves(100, [0.2, 0.5, 0.8], [0.1]), ax=axes[0, 0], mark=0.5) is axes[0, 0]
    assert cplot.clv_terms_chart(table, ax=axes[0, 1]) is axes[0, 1]
    assert cplot.clv_horizon_chart(table, infinite=clv.retention_clv(100, 0.8, 0.1), ax=axes[0, 2]) is axes[0, 2]
    profit = clv.cumulative_profit(100, 0.8, 0.1, 150, horizon=5)
    assert cplot.cumulative_profit_chart(profit, break_even=1, ax=axes[1, 0]) is axes[1, 0]
    ax = cplot.profit_over_time_chart(clv.profit_over_time(5, acquisition_cost=50), ax=axes[1, 1])
    assert "illustrative" in ax.get_title()
    base = pd.DataFrame({"margin": [100.0, 50.0], "retention": [0.8, 0.5], "channel": ["web", "store"]})
    assert cplot.customer_equity_chart(clv.customer_equity(base, by="channel"), ax=axes[1, 2]) is axes[1, 2]


def test_clv_calculator_updates_when_a_slider_moves():
    from crmlib.widgets import clv_calculator

    w = clv_calculator(margin=100, retention=0.8, discount_rate=0.1, horizon=3)
    # 100*0.8/1.1 + 100*0.64/1.21 + 100*0.512/1.331 = 164.09 ; no horizon 266.67
    assert "164.09" in w.result.value and "266.67" in w.result.value
    png = w.chart.value
    w.controls["retention"].value = 0.5
    # 100*0.5/1.1 + 100*0.25/1.21 + 100*0.125/1.331 = 45.45 + 20.66 + 9.39 = 75.51 ; no horizon 50/0.6 = 83.33
    assert "75.51" in w.result.value and "83.33" in w.result.value
    assert w.chart.value != png
    w.controls["first_margin"].value = "now"
    assert "183.33" in w.result.value  # 100 * 1.1 / 0.6
