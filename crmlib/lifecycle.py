"""Customer dynamics: lifecycle stages, acquisition cohorts, order value by tenure, relationship phases.

The relationship-lifecycle view, and the historical / current / potential value of each customer by stage
(the values themselves are :func:`crmlib.clv.value_components`).

Everything here is read off the transaction log (the canonical frame of
:func:`crmlib.data.read_transactions`: ``customer_id``, ``date``, ``amount``), aggregated to purchase
days as everywhere in the kit. The rules that turn a log into stages are **stated rules with
thresholds as arguments**; their defaults are module-level constants:

* ``lapsed``: no purchase for more than ``lapse_days`` (default :data:`LAPSE_DAYS` = 180 days);
* ``first-time``: one purchase day so far, and not lapsed;
* ``short-term``: a repeat buyer, not lapsed, whose tenure (days since the first purchase) is below
  ``long_term_days`` (default :data:`LONG_TERM_DAYS` = 365 days);
* ``long-term``: a repeat buyer, not lapsed, with tenure of at least ``long_term_days``.

A customer enters the base on the day of the first purchase; before it they are not counted (a
transaction log knows no prospects).

References
----------
Dwyer, F. R., Schurr, P. H. and Oh, S. (1987). Developing buyer-seller relationships. *Journal of
Marketing* 51(2), 11-27.
Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. *Journal of Interactive
Marketing* 21(1), 76-90 (cohorts and the retention curve).
Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting: the perils
of ignoring heterogeneity. *Marketing Science* 29(1), 85-93.
Gupta, S. and Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing* 17(1), 9-24.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib._days import purchase_days
from crmlib.data import DataError, check_canonical
from crmlib.params import DateLike, ParameterError, check_choice, check_date, check_number, check_unit, unit_days

__all__ = [
    "LAPSE_DAYS",
    "LONG_TERM_DAYS",
    "STAGES",
    "PHASES",
    "COHORT_METRICS",
    "stages_at",
    "stage_panel",
    "stage_counts",
    "value_by_stage",
    "cohort_matrix",
    "aov_by_tenure",
    "relationship_phases",
    "annual_retention",
    "customer_values",
    "reactivation_candidates",
    "CLASSES",
    "customer_classes",
]

#: Days without a purchase after which a customer counts as lapsed (strictly more than this).
LAPSE_DAYS: int = 180
#: Tenure (days since the first purchase) from which an active repeat buyer is a long-term customer.
LONG_TERM_DAYS: int = 365
#: The lifecycle stages, in order.
STAGES: tuple[str, ...] = ("first-time", "short-term", "long-term", "lapsed")
#: The customer classes of :func:`customer_classes`, up the ladder, then the customers who left it.
CLASSES: tuple[str, ...] = ("potential", "new", "regular", "old", "loyal", "lapsed")
#: Dwyer, Schurr and Oh's (1987) relationship phases, in order.
PHASES: tuple[str, ...] = ("awareness", "exploration", "expansion", "commitment", "dissolution")
#: What :func:`cohort_matrix` can show.
COHORT_METRICS: tuple[str, ...] = ("retention", "customers", "revenue", "revenue_per_customer", "aov")

_PERIODS = {"M": "month", "Q": "quarter", "Y": "year"}


# ----------------------------------------------------------------------------------------------
# the purchase-day log and its state at given dates (vectorised)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Log:
    customers: pd.Index
    code: np.ndarray  # customer position per purchase day (sorted by customer, day)
    day: np.ndarray  # int days since epoch
    amount: np.ndarray
    start: np.ndarray  # first row of each customer
    first: np.ndarray  # first purchase day per customer
    cum: np.ndarray  # cumulative amount with a leading 0 (len = rows + 1)
    span: int
    dmin: int


def _log(transactions, func: str) -> _Log:
    tx = check_canonical(transactions, func)
    if len(tx) == 0:
        raise DataError(f"{func}: the transactions are empty; there is nothing to analyse.")
    p = purchase_days(tx, func=func)
    starts = np.flatnonzero(np.r_[True, p.code[1:] != p.code[:-1]])
    dmin = int(p.day.min())
    span = int(p.day.max()) - dmin + 2
    return _Log(
        customers=p.customers,
        code=p.code,
        day=p.day,
        amount=p.amount,
        start=starts,
        first=p.day[starts],
        cum=np.concatenate([[0.0], np.cumsum(p.amount)]),
        span=span,
        dmin=dmin,
    )


def _day(ts) -> int:
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def _state(log: _Log, code: np.ndarray, at: np.ndarray, since: np.ndarray | None = None):
    """Purchases up to day ``at`` (inclusive) of customers ``code``: count, last day, revenue.

    With ``since``: the count and revenue of purchase days in (since, at] instead of all up to ``at``.
    """
    key = log.code * log.span + (log.day - log.dmin)
    base = code.astype(np.int64) * log.span

    def upto(d):
        offset = np.clip(d.astype(np.int64) - log.dmin, -1, log.span - 1)
        return np.searchsorted(key, base + offset, side="right")

    pos = upto(at)
    lo = log.start[code] if since is None else np.maximum(upto(since), log.start[code])
    count = pos - lo
    revenue = log.cum[pos] - log.cum[lo]
    last = np.where(pos > log.start[code], log.day[np.maximum(pos - 1, 0)], -1)
    return count, last, revenue


def _stage_codes(count_all, first, last, at, lapse_days, long_term_days) -> np.ndarray:
    """0 first-time, 1 short-term, 2 long-term, 3 lapsed (see the module docstring)."""
    lapsed = (at - last) > lapse_days
    tenure = at - first
    stage = np.where(count_all <= 1, 0, np.where(tenure < long_term_days, 1, 2))
    return np.where(lapsed, 3, stage)


def _check_thresholds(lapse_days, long_term_days, func):
    lapse_days = check_number(lapse_days, "lapse_days", func=func, low=1, integer=True)
    long_term_days = check_number(long_term_days, "long_term_days", func=func, low=1, integer=True)
    return lapse_days, long_term_days


def _at(log: _Log, at, func) -> int:
    at = check_date(at, "at", func=func)
    return int(log.day.max()) if at is None else _day(at)


# ----------------------------------------------------------------------------------------------
# stages
# ----------------------------------------------------------------------------------------------


def stages_at(
    transactions: pd.DataFrame,
    at: DateLike | None = None,
    *,
    lapse_days: int = LAPSE_DAYS,
    long_term_days: int = LONG_TERM_DAYS,
) -> pd.DataFrame:
    r"""Lifecycle stage of every customer acquired by the date ``at``.

    With :math:`n_i(t)` the purchase days up to :math:`t`, :math:`f_i` the first and :math:`l_i(t)`
    the last purchase day, :math:`L` = ``lapse_days`` and :math:`K` = ``long_term_days``:

    .. math::

        \text{stage}_i(t) = \begin{cases}
        \text{lapsed} & t - l_i(t) > L \\
        \text{first-time} & n_i(t) = 1 \\
        \text{short-term} & n_i(t) \ge 2,\ t - f_i < K \\
        \text{long-term} & n_i(t) \ge 2,\ t - f_i \ge K \end{cases}

    (checked in this order). Durations are in days.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).
    at : date-like, optional
        The day at which stages are read (inclusive). Default: the last date in the data.
    lapse_days : int >= 1
        Days without purchase after which a customer is lapsed. Default :data:`LAPSE_DAYS`.
    long_term_days : int >= 1
        Tenure in days from which a repeat buyer is long-term. Default :data:`LONG_TERM_DAYS`.

    Returns
    -------
    DataFrame
        Index ``customer_id`` (customers whose first purchase is on or before ``at``); columns
        ``first_purchase``, ``last_purchase`` (dates), ``purchases`` (purchase days so far),
        ``revenue`` (so far, money), ``tenure_days``, ``days_since_last`` and ``stage`` (ordered
        categorical :data:`STAGES`).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "b", "b", "c"],
    ...     "date": pd.to_datetime(["2024-06-01", "2024-01-01", "2024-05-01", "2023-01-01"]),
    ...     "amount": [10.0, 20.0, 30.0, 5.0]})
    >>> stages_at(tx, "2024-06-30")["stage"].tolist()
    ['first-time', 'short-term', 'lapsed']
    """
    func = "stages_at"
    lapse_days, long_term_days = _check_thresholds(lapse_days, long_term_days, func)
    log = _log(transactions, func)
    t = _at(log, at, func)
    code = np.flatnonzero(log.first <= t)
    at_arr = np.full(len(code), t)
    count, last, revenue = _state(log, code, at_arr)
    first = log.first[code]
    stage = _stage_codes(count, first, last, t, lapse_days, long_term_days)
    epoch = np.datetime64("1970-01-01", "D")
    out = pd.DataFrame(
        {
            "first_purchase": (epoch + first).astype("datetime64[ns]"),
            "last_purchase": (epoch + last).astype("datetime64[ns]"),
            "purchases": count.astype(np.int64),
            "revenue": revenue,
            "tenure_days": (t - first).astype(np.int64),
            "days_since_last": (t - last).astype(np.int64),
            "stage": pd.Categorical.from_codes(stage, categories=list(STAGES), ordered=True),
        },
        index=log.customers[code],
    )
    out.index.name = "customer_id"
    return out


def _period_ends(log: _Log, freq: str, start, end) -> np.ndarray:
    first_day = log.dmin if start is None else _day(start)
    last_day = int(log.day.max()) if end is None else _day(end)
    if last_day < first_day:
        raise ParameterError(f"The 'end' date ({end}) is before the 'start' date ({start}) of the panel.")
    months = {"M": 1, "Q": 3, "Y": 12}[freq]
    epoch = np.datetime64("1970-01-01", "D")
    first_month = (epoch + first_day).astype("datetime64[M]").astype(np.int64)
    last_month = (epoch + last_day).astype("datetime64[M]").astype(np.int64)
    first_month = first_month - first_month % months
    month_starts = np.arange(first_month + months, last_month + months + 1, months).astype("datetime64[M]")
    ends = (month_starts.astype("datetime64[D]") - np.timedelta64(1, "D")).astype(np.int64)
    return ends[(ends >= first_day) & (ends <= last_day)]


def stage_panel(
    transactions: pd.DataFrame,
    *,
    freq: str = "M",
    start: DateLike | None = None,
    end: DateLike | None = None,
    lapse_days: int = LAPSE_DAYS,
    long_term_days: int = LONG_TERM_DAYS,
) -> pd.DataFrame:
    """The stage of each customer at each period end: a long panel, computed without a Python loop.

    For every period end :math:`t` (month, quarter or year ends between ``start`` and ``end``, both
    inclusive) and every customer acquired by :math:`t`, the stage of :func:`stages_at`. All
    (customer, date) pairs are answered at once by a binary search in the sorted purchase-day log,
    so 100,000 customers over 36 months take about a second.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    freq : {"M", "Q", "Y"}
        Month, quarter or year ends.
    start, end : date-like, optional
        First and last day considered; default the first and last dates in the data. A period end
        after ``end`` (an unfinished period) is left out.
    lapse_days, long_term_days : int
        As in :func:`stages_at`.

    Returns
    -------
    DataFrame
        Columns ``period_end`` (date), ``customer_id``, ``stage`` (categorical), one row per
        customer and period end at which the customer had been acquired.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a"], "date": pd.to_datetime(["2024-01-10", "2024-02-05"]),
    ...                    "amount": [10.0, 20.0]})
    >>> stage_panel(tx, end="2024-02-29")["stage"].tolist()
    ['first-time', 'short-term']
    """
    func = "stage_panel"
    freq = check_choice(freq, "freq", tuple(_PERIODS), func=func)
    lapse_days, long_term_days = _check_thresholds(lapse_days, long_term_days, func)
    log = _log(transactions, func)
    start = check_date(start, "start", func=func)
    end = check_date(end, "end", func=func)
    codes, ends, stage = _panel_codes(log, freq, start, end, lapse_days, long_term_days)
    epoch = np.datetime64("1970-01-01", "D")
    return pd.DataFrame(
        {
            "period_end": (epoch + ends).astype("datetime64[ns]"),
            "customer_id": log.customers[codes],
            "stage": pd.Categorical.from_codes(stage, categories=list(STAGES), ordered=True),
        }
    )


def _panel_codes(log, freq, start, end, lapse_days, long_term_days):
    """(customer code, period end, stage code) for every customer acquired by each period end.

    Dense customers x periods arrays: purchase counts and last purchase day up to each period end are
    cumulative sums / running maxima along the periods, so there is no loop and no per-pair search.
    """
    period_ends = _period_ends(log, freq, start, end)
    n, n_periods = len(log.customers), len(period_ends)
    if n_periods == 0:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    bucket = np.searchsorted(period_ends, log.day, side="left")  # first period end on or after the day
    inside = bucket < n_periods
    flat = log.code[inside] * n_periods + bucket[inside]
    count = np.bincount(flat, minlength=n * n_periods).reshape(n, n_periods).cumsum(axis=1)
    last = np.full(n * n_periods, -(2**40), dtype=np.int64)
    run_end = np.flatnonzero(np.r_[flat[1:] != flat[:-1], True]) if len(flat) else np.empty(0, np.int64)
    last[flat[run_end]] = log.day[inside][run_end]  # rows are sorted by customer, day: the run's last is its max
    last = np.maximum.accumulate(last.reshape(n, n_periods), axis=1)
    acquired = count > 0
    period, codes = np.nonzero(acquired.T)  # ordered by period end, then customer
    ends = period_ends[period]
    stage = _stage_codes(count[codes, period], log.first[codes], last[codes, period], ends, lapse_days, long_term_days)
    return codes.astype(np.int64), ends, stage


def stage_counts(
    transactions: pd.DataFrame,
    *,
    freq: str = "M",
    start: DateLike | None = None,
    end: DateLike | None = None,
    lapse_days: int = LAPSE_DAYS,
    long_term_days: int = LONG_TERM_DAYS,
) -> pd.DataFrame:
    r"""Number of customers in each stage at each period end (the panel of :func:`stage_panel`, counted).

    .. math::

        N_s(t) = \#\{ i : f_i \le t,\ \text{stage}_i(t) = s \}

    Parameters
    ----------
    transactions, freq, start, end, lapse_days, long_term_days
        As in :func:`stage_panel`.

    Returns
    -------
    DataFrame
        Index ``period_end``; one column per stage of :data:`STAGES` (customers).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-10", "2024-02-05", "2024-02-20"]), "amount": [1.0, 2.0, 3.0]})
    >>> stage_counts(tx, end="2024-02-29").loc["2024-02-29"].tolist()
    [1, 1, 0, 0]
    """
    func = "stage_counts"
    freq = check_choice(freq, "freq", tuple(_PERIODS), func=func)
    lapse_days, long_term_days = _check_thresholds(lapse_days, long_term_days, func)
    log = _log(transactions, func)
    period_ends = _period_ends(log, freq, check_date(start, "start", func=func), check_date(end, "end", func=func))
    _, ends, stage = _panel_codes(
        log, freq, check_date(start, "start", func=func), check_date(end, "end", func=func), lapse_days, long_term_days
    )
    row = np.searchsorted(period_ends, ends)
    counts = np.bincount(row * len(STAGES) + stage, minlength=len(period_ends) * len(STAGES))
    counts = counts.reshape(len(period_ends), len(STAGES)).astype(np.int64)
    epoch = np.datetime64("1970-01-01", "D")
    return pd.DataFrame(
        counts,
        index=pd.DatetimeIndex((epoch + period_ends).astype("datetime64[ns]"), name="period_end"),
        columns=pd.Index(list(STAGES), name="stage"),
    )


def value_by_stage(
    transactions: pd.DataFrame,
    at: DateLike | None = None,
    *,
    window_days: int = 365,
    lapse_days: int = LAPSE_DAYS,
    long_term_days: int = LONG_TERM_DAYS,
) -> pd.DataFrame:
    r"""What customers in each stage are worth: revenue so far, in the last window, order value.

    For the customers in stage :math:`s` at :math:`t` (:func:`stages_at`):

    .. math::

        \text{revenue per customer}_s = \frac{1}{N_s} \sum_{i \in s} R_i(t - w, t], \qquad
        \text{AOV}_s = \frac{\sum_{i \in s} R_i(0, t]}{\sum_{i \in s} n_i(t)}

    with :math:`w` = ``window_days`` and :math:`R_i(a, b]` the revenue of customer :math:`i` in that span.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    at : date-like, optional
        Day of the stages (inclusive); default the last date in the data.
    window_days : int >= 1
        Length of the recent window in days. Default 365 (a year).
    lapse_days, long_term_days : int
        As in :func:`stages_at`.

    Returns
    -------
    DataFrame
        Index stage (all of :data:`STAGES`); columns ``customers``, ``share_of_customers``,
        ``revenue_to_date`` (per customer), ``revenue_window`` (per customer, last ``window_days``),
        ``share_of_window_revenue``, ``purchases`` (per customer, so far) and ``aov`` (money per
        purchase day, so far).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "b", "b"],
    ...     "date": pd.to_datetime(["2024-06-01", "2024-01-01", "2024-05-01"]), "amount": [10.0, 20.0, 30.0]})
    >>> float(value_by_stage(tx, "2024-06-30").loc["short-term", "aov"])
    25.0
    """
    func = "value_by_stage"
    window_days = int(check_number(window_days, "window_days", func=func, low=1, integer=True))
    lapse_days, long_term_days = _check_thresholds(lapse_days, long_term_days, func)
    log = _log(transactions, func)
    t = _at(log, at, func)
    code = np.flatnonzero(log.first <= t)
    at_arr = np.full(len(code), t)
    count, last, revenue = _state(log, code, at_arr)
    _, _, recent = _state(log, code, at_arr, since=at_arr - window_days)
    stage = _stage_codes(count, log.first[code], last, t, lapse_days, long_term_days)
    frame = pd.DataFrame(
        {
            "stage": pd.Categorical.from_codes(stage, categories=list(STAGES), ordered=True),
            "revenue": revenue,
            "recent": recent,
            "purchases": count,
        }
    )
    g = frame.groupby("stage", observed=False)
    n = g.size()
    sums = g[["revenue", "recent", "purchases"]].sum()
    size = n.where(n > 0)
    out = pd.DataFrame(
        {
            "customers": n.astype(int),
            "share_of_customers": n / max(len(frame), 1),
            "revenue_to_date": sums["revenue"] / size,
            "revenue_window": sums["recent"] / size,
            "share_of_window_revenue": sums["recent"] / sums["recent"].sum() if sums["recent"].sum() else np.nan,
            "purchases": sums["purchases"] / size,
            "aov": sums["revenue"] / sums["purchases"].where(sums["purchases"] > 0),
        }
    )
    out.index = pd.Index([str(s) for s in out.index], name="stage")
    return out


# ----------------------------------------------------------------------------------------------
# cohorts and tenure
# ----------------------------------------------------------------------------------------------


def _period_number(day: np.ndarray, period: str) -> np.ndarray:
    months = (np.datetime64("1970-01-01", "D") + day).astype("datetime64[M]").astype(np.int64)
    return months // {"M": 1, "Q": 3, "Y": 12}[period]


def cohort_matrix(
    transactions: pd.DataFrame,
    *,
    period: str = "M",
    metric: str = "retention",
    observation_end: DateLike | None = None,
) -> pd.DataFrame:
    r"""Acquisition cohorts (rows) by periods since acquisition (columns).

    A customer's cohort is the calendar period (month, quarter or year) of the first purchase; period
    :math:`k = 0, 1, \dots` is the :math:`k`-th calendar period from it. For cohort :math:`c` of size
    :math:`N_c`, with :math:`A_{ck}` its customers with at least one purchase in period :math:`k` and
    :math:`R_{ck}` their revenue:

    .. math::

        \text{retention}_{ck} = \frac{A_{ck}}{N_c}, \qquad
        \text{revenue per customer}_{ck} = \frac{R_{ck}}{N_c}, \qquad
        \text{aov}_{ck} = \frac{R_{ck}}{\text{purchase days}_{ck}}

    (``retention`` here is the share *active* in the period, as in Fader and Hardie's cohort
    tables for non-contractual settings; period 0 is 1 by definition). Periods that end after
    ``observation_end`` are not fully observed and are NaN, so no cell is biased low by a cut-off.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    period : {"M", "Q", "Y"}
        Calendar month, quarter or year.
    metric : {"retention", "customers", "revenue", "revenue_per_customer", "aov"}
        What each cell holds: the share of the cohort active, the number active, the revenue (money),
        the revenue per acquired customer (money), or the average order value (money per purchase day).
    observation_end : date-like, optional
        Last observed day; default the last date in the data.

    Returns
    -------
    DataFrame
        Index ``cohort`` (``pandas.Period``), columns ``0, 1, ...`` (periods since acquisition);
        ``frame.attrs["cohort_size"]`` is a Series of :math:`N_c`.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-10", "2024-02-05", "2024-01-20"]), "amount": [1.0, 2.0, 3.0]})
    >>> cohort_matrix(tx, observation_end="2024-02-29").loc["2024-01"].tolist()
    [1.0, 0.5]
    """
    func = "cohort_matrix"
    period = check_choice(period, "period", tuple(_PERIODS), func=func)
    metric = check_choice(metric, "metric", COHORT_METRICS, func=func)
    log = _log(transactions, func)
    end = check_date(observation_end, "observation_end", func=func)
    end_day = int(log.day.max()) if end is None else _day(end)
    keep = log.day <= end_day
    code, day, amount = log.code[keep], log.day[keep], log.amount[keep]
    first = log.first
    acquired = first <= end_day
    if not acquired.any():
        raise DataError(f"{func}: no customer made a first purchase by {pd.Timestamp(end_day, unit='D').date()}.")
    p_tx = _period_number(day, period)
    cohort_of_customer = _period_number(first, period)
    cohort_tx = cohort_of_customer[code]
    age = p_tx - cohort_tx
    # last fully observed period: the one containing end_day, unless end_day is its last day
    end_period = _period_number(np.array([end_day]), period)[0]
    next_day_period = _period_number(np.array([end_day + 1]), period)[0]
    last_complete = end_period if next_day_period > end_period else end_period - 1
    cohorts = np.arange(cohort_of_customer[acquired].min(), cohort_of_customer[acquired].max() + 1)
    n_age = int(max(end_period - cohorts[0] + 1, 1))
    row = cohort_tx - cohorts[0]
    size = np.bincount(cohort_of_customer[acquired] - cohorts[0], minlength=len(cohorts)).astype(float)
    if metric in ("retention", "customers"):
        # active = distinct (customer, age)
        key = np.sort(code.astype(np.int64) * (n_age + 1) + age)
        key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
        kc = key // (n_age + 1)
        ka = key % (n_age + 1)
        grid = _grid(cohort_of_customer[kc] - cohorts[0], ka, None, len(cohorts), n_age)
        if metric == "retention":
            grid = grid / np.where(size > 0, size, np.nan)[:, None]
    else:
        grid = _grid(row, age, amount, len(cohorts), n_age)
        if metric == "revenue_per_customer":
            grid = grid / np.where(size > 0, size, np.nan)[:, None]
        elif metric == "aov":
            orders = _grid(row, age, None, len(cohorts), n_age)
            grid = grid / np.where(orders > 0, orders, np.nan)
    # mask periods not (fully) observed
    calendar = cohorts[:, None] + np.arange(n_age)[None, :]
    grid = np.where(calendar <= last_complete, grid, np.nan)
    grid[size == 0, :] = np.nan
    freq = {"M": "M", "Q": "Q", "Y": "Y"}[period]
    index = _period_index(cohorts, period, freq)
    out = pd.DataFrame(grid, index=index, columns=pd.RangeIndex(n_age, name=f"{_PERIODS[period]}s_since_acquisition"))
    out = out.loc[:, out.notna().any(axis=0)]
    out.attrs["cohort_size"] = pd.Series(size.astype(int), index=index, name="cohort_size")
    out.attrs["metric"] = metric
    return out


def _grid(row, col, weights, n_rows, n_cols) -> np.ndarray:
    flat = np.bincount(row * n_cols + col, weights=weights, minlength=n_rows * n_cols)
    return flat.astype(float).reshape(n_rows, n_cols)


def _period_index(numbers: np.ndarray, period: str, freq: str) -> pd.PeriodIndex:
    months = numbers * {"M": 1, "Q": 3, "Y": 12}[period]
    dates = months.astype("datetime64[M]").astype("datetime64[ns]")
    return pd.PeriodIndex(pd.DatetimeIndex(dates).to_period(freq), name="cohort")


def aov_by_tenure(transactions: pd.DataFrame, *, unit: str = "M", max_tenure: float | None = None) -> pd.DataFrame:
    r"""Average order value by tenure: whether customers spend more per purchase as the relationship ages.

    Each purchase day :math:`j` of customer :math:`i` gets the tenure
    :math:`\lfloor (t_{ij} - f_i) / u \rfloor` (:math:`u` the unit in days); per tenure :math:`k`

    .. math::

        \text{AOV}_k = \frac{\sum_{ij: \text{tenure} = k} z_{ij}}{\#\{ij: \text{tenure} = k\}}

    Read with care: later tenures contain only the customers who stayed *and* were acquired early
    enough to be observed that long (survivorship and cohort mix), so a rising curve is partly the
    survivors' higher spending, not everybody's spending rising.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    unit : {"D", "W", "M", "Y"}
        Unit of tenure.
    max_tenure : float, optional
        Leave out tenures above this (in ``unit``).

    Returns
    -------
    DataFrame
        Index ``tenure`` (int, in ``unit``; 0 holds the first purchase); columns ``orders``
        (purchase days), ``customers``, ``revenue``, ``aov`` (mean) and ``median_order``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-05"]), "amount": [10.0, 30.0, 20.0]})
    >>> aov_by_tenure(tx)["aov"].tolist()
    [15.0, 30.0]
    """
    func = "aov_by_tenure"
    unit = check_unit(unit, func=func)
    log = _log(transactions, func)
    tenure = np.floor((log.day - log.first[log.code]) / unit_days(unit)).astype(np.int64)
    frame = pd.DataFrame({"tenure": tenure, "customer": log.code, "amount": log.amount})
    if max_tenure is not None:
        max_tenure = check_number(max_tenure, "max_tenure", func=func, low=0)
        frame = frame[frame["tenure"] <= max_tenure]
    g = frame.groupby("tenure")
    out = pd.DataFrame(
        {
            "orders": g.size().astype(int),
            "customers": g["customer"].nunique().astype(int),
            "revenue": g["amount"].sum(),
            "aov": g["amount"].mean(),
            "median_order": g["amount"].median(),
        }
    )
    out.index.name = "tenure"
    return out


# ----------------------------------------------------------------------------------------------
# relationship lifecycle (Dwyer, Schurr and Oh 1987)
# ----------------------------------------------------------------------------------------------


def relationship_phases(
    transactions: pd.DataFrame,
    at: DateLike | None = None,
    *,
    window_days: int = LAPSE_DAYS,
    long_term_days: int = LONG_TERM_DAYS,
    exploration_purchases: int = 2,
    decline_ratio: float = 0.5,
    prospects: Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    r"""Dwyer, Schurr and Oh's (1987) relationship phases, read off the log with stated proxy rules.

    The phases describe the *relationship*, which a log does not record; these rules are a proxy.
    With :math:`w` = ``window_days``, :math:`n_i` purchase days so far, :math:`r_i` the purchase days in
    the last window :math:`(t-w, t]`, :math:`q_i` those in the window before :math:`(t-2w, t-w]`, and
    tenure :math:`t - f_i`, checked in this order:

    * **awareness**: known to the firm (``prospects``) but no purchase yet -- only with a prospect list;
    * **dissolution**: no purchase in the last window (:math:`r_i = 0`), or an established customer
      (tenure :math:`\ge` ``long_term_days``) whose buying has fallen below ``decline_ratio`` times the
      window before (:math:`r_i < \delta q_i`);
    * **exploration**: active and at most ``exploration_purchases`` purchase days so far (trial);
    * **expansion**: active, more purchases, tenure below ``long_term_days`` (the relationship grows);
    * **commitment**: active, tenure :math:`\ge` ``long_term_days``, buying steady
      (:math:`r_i \ge \delta q_i`).

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    at : date-like, optional
        Day of the reading; default the last date in the data.
    window_days : int >= 1
        Length of the activity window in days. Default :data:`LAPSE_DAYS`.
    long_term_days : int >= 1
        Tenure from which a relationship can be committed. Default :data:`LONG_TERM_DAYS`.
    exploration_purchases : int >= 1
        Purchase days up to which a customer is still exploring. Default 2.
    decline_ratio : float in [0, 1]
        :math:`\delta`: buying below this share of the previous window counts as dissolving. Default 0.5.
    prospects : iterable, optional
        Ids of known prospects/registered customers; those without purchase by ``at`` are in awareness.

    Returns
    -------
    DataFrame
        Index ``customer_id``; columns ``purchases``, ``recent`` (:math:`r_i`), ``previous``
        (:math:`q_i`), ``tenure_days``, ``phase`` (ordered categorical :data:`PHASES`).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "b", "b", "b"],
    ...     "date": pd.to_datetime(["2024-06-01", "2024-03-01", "2024-04-01", "2024-05-01"]),
    ...     "amount": [10.0, 20.0, 30.0, 5.0]})
    >>> relationship_phases(tx, "2024-06-30", prospects=["a", "b", "z"])["phase"].tolist()
    ['exploration', 'expansion', 'awareness']
    """
    func = "relationship_phases"
    window_days = int(check_number(window_days, "window_days", func=func, low=1, integer=True))
    long_term_days = int(check_number(long_term_days, "long_term_days", func=func, low=1, integer=True))
    exploration_purchases = int(
        check_number(exploration_purchases, "exploration_purchases", func=func, low=1, integer=True)
    )
    decline_ratio = check_number(decline_ratio, "decline_ratio", func=func, low=0, high=1)
    log = _log(transactions, func)
    t = _at(log, at, func)
    code = np.flatnonzero(log.first <= t)
    at_arr = np.full(len(code), t)
    count, _, _ = _state(log, code, at_arr)
    recent, _, _ = _state(log, code, at_arr, since=at_arr - window_days)
    previous, _, _ = _state(log, code, at_arr - window_days, since=at_arr - 2 * window_days)
    tenure = t - log.first[code]
    established = tenure >= long_term_days
    dissolving = (recent == 0) | (established & (recent < decline_ratio * previous))
    phase = np.where(dissolving, 4, np.where(count <= exploration_purchases, 1, np.where(established, 3, 2)))
    out = pd.DataFrame(
        {
            "purchases": count.astype(np.int64),
            "recent": recent.astype(np.int64),
            "previous": previous.astype(np.int64),
            "tenure_days": tenure.astype(np.int64),
            "phase": phase,
        },
        index=log.customers[code],
    )
    if prospects is not None:
        extra = pd.Index(pd.unique(pd.Index(list(prospects)))).difference(out.index)
        aware = pd.DataFrame({"purchases": 0, "recent": 0, "previous": 0, "tenure_days": 0, "phase": 0}, index=extra)
        out = pd.concat([out, aware]) if len(aware) else out
    out["phase"] = pd.Categorical.from_codes(out["phase"].to_numpy(), categories=list(PHASES), ordered=True)
    out.index.name = "customer_id"
    return out


# ----------------------------------------------------------------------------------------------
# historical, current and potential value
# ----------------------------------------------------------------------------------------------


def annual_retention(transactions: pd.DataFrame, at: DateLike | None = None) -> float:
    r"""Share of the customers who bought in the year before last who also bought in the last year.

    .. math::

        \hat r = \frac{\#\{i: \text{bought in } (t-730, t-365] \text{ and in } (t-365, t]\}}
                        {\#\{i: \text{bought in } (t-730, t-365]\}}

    A simple, model-free per-year retention rate for a non-contractual business (days are calendar
    days; a "year" is 365 days). It needs two years of data before ``at``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2023-03-01", "2024-03-01", "2023-05-01"]), "amount": [1.0, 1.0, 1.0]})
    >>> annual_retention(tx, "2024-12-31")
    0.5
    """
    func = "annual_retention"
    log = _log(transactions, func)
    t = _at(log, at, func)
    code = np.arange(len(log.customers))
    at_arr = np.full(len(code), t)
    last_year, _, _ = _state(log, code, at_arr, since=at_arr - 365)
    year_before, _, _ = _state(log, code, at_arr - 365, since=at_arr - 730)
    base = year_before > 0
    if not base.any():
        raise DataError(
            f"{func}: nobody bought in the year before last (the 365 days ending "
            f"{pd.Timestamp(t - 365, unit='D').date()}); the data must cover two years before 'at'."
        )
    return float(np.mean(last_year[base] > 0))


def customer_values(
    transactions: pd.DataFrame,
    at: DateLike | None = None,
    *,
    margin_rate: float | pd.Series = 1.0,
    retention: float = 0.6,
    discount_rate: float = 0.10,
    window_days: int = 365,
    lapse_days: int = LAPSE_DAYS,
    long_term_days: int = LONG_TERM_DAYS,
    horizon_years: float | None = None,
    current_value: pd.Series | None = None,
) -> pd.DataFrame:
    r"""Historical, current and potential value of each customer, with their lifecycle stage.

    The values are those of :func:`crmlib.clv.value_components`, the kit's one definition of historical,
    current and potential value (see its formulas), valued at ``at`` with ``retention`` per year and
    ``discount_rate`` per year over ``horizon_years`` (None: no end, the Gupta and Lehmann 2003 perpetuity
    :math:`r / (1 + d - r)`); this function adds the ``stage`` of :func:`stages_at` and the columns that
    :func:`reactivation_candidates` ranks by:

    * ``historical`` -- margin realised so far (``historical_value``);
    * ``run_rate`` -- margin of the last year; ``historical_rate`` -- margin per year over the customer's
      tenure (at least a year), :math:`\mu R_i(0, t] \cdot 365.25 / \max(t - f_i, 365)`, a description;
    * ``current`` -- ``current_value``, or the given ``current_value`` Series (a model-based forecast such as a
      BG/NBD x Gamma-Gamma CLV is a *different* measure: a chapter that shows it names it);
    * ``potential`` and ``upside`` -- ``potential_value``, what re-activating or engaging the customer could
      add (``upside`` is kept as the name :func:`reactivation_candidates` sorts by).

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    at : date-like, optional
        Day of the valuation; default the last date in the data.
    margin_rate : float or Series
        Gross margin on revenue, in [0, 1] (a Series: one rate per customer). Default 1 (values in revenue).
    retention : float in [0, 1]
        Probability per year that the behaviour goes on: 1 is the definition of current value (the default of
        :func:`crmlib.clv.value_components`, which the chapters and the report use); below 1 (e.g. from
        :func:`annual_retention`) for a more prudent figure, which a chapter names as such. Default 0.6.
    discount_rate : float in [0, 1)
        Per year. Default 0.10.
    window_days : int
        Must be 365: current value is defined on the last year (kept for old calls).
    lapse_days, long_term_days : int
        For the ``stage`` column (:func:`stages_at`).
    horizon_years : float, optional
        Value the behaviour over this many years (1.5 for 18 months); default None = no end.
    current_value : Series, optional
        A model-based value per customer (money), indexed by customer id, shown as ``current`` instead.

    Returns
    -------
    DataFrame
        Index ``customer_id``; columns ``stage``, ``historical``, ``run_rate``, ``historical_rate``,
        ``current``, ``potential``, ``upside``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2022-01-01", "2022-06-01"]), "amount": [100.0, 100.0]})
    >>> v = customer_values(tx, "2024-12-31", retention=0.5, discount_rate=0.0)
    >>> float(v.loc["a", "current"]), v.loc["a", "stage"], float(v.loc["a", "potential"])
    (0.0, 'lapsed', 230.0)
    """
    from crmlib.clv import value_components

    func = "customer_values"
    retention = check_number(retention, "retention", func=func, low=0, high=1)
    check_number(window_days, "window_days", func=func, low=365, high=365, integer=True,
                 hint="Current value is the margin of the last year (crmlib.clv.value_components).")
    if horizon_years is not None:
        horizon_years = check_number(horizon_years, "horizon_years", func=func, low=0, low_open=True)
    lapse_days, long_term_days = _check_thresholds(lapse_days, long_term_days, func)
    log = _log(transactions, func)
    t = _at(log, at, func)
    stages = stages_at(transactions, pd.Timestamp(t, unit="D"), lapse_days=lapse_days, long_term_days=long_term_days)
    values = value_components(
        transactions, margin_rate=margin_rate, discount_rate=discount_rate, horizon_years=horizon_years,
        retention=retention, observation_end=pd.Timestamp(t, unit="D"),
    ).reindex(stages.index)
    ids = stages.index
    current = values["current_value"].to_numpy()
    if current_value is not None:
        if not isinstance(current_value, pd.Series):
            raise ParameterError(
                f"The 'current_value' parameter of {func} must be a Series indexed by customer id. "
                f"Got {type(current_value).__name__}."
            )
        missing = ids.difference(current_value.index)
        if len(missing):
            raise ParameterError(
                f"The 'current_value' parameter of {func} has no value for {len(missing)} customers "
                f"(first: {missing[:5].tolist()}). Give a value for every customer acquired by 'at'."
            )
        current = current_value.reindex(ids).to_numpy(dtype=float)
    historical = values["historical_value"].to_numpy()
    hist_rate = historical * 365.25 / np.maximum(stages["tenure_days"].to_numpy(), 365)
    out = pd.DataFrame(
        {
            "stage": stages["stage"],
            "historical": historical,
            "run_rate": values["run_rate"].to_numpy(),
            "historical_rate": hist_rate,
            "current": current,
            "potential": values["potential_value"].to_numpy(),
            "upside": values["potential_value"].to_numpy(),
        },
        index=ids,
    )
    out.index.name = "customer_id"
    out.attrs.update(values.attrs)
    return out


def customer_classes(
    transactions: pd.DataFrame,
    at: DateLike | None = None,
    *,
    lapse_days: int = LAPSE_DAYS,
    long_term_days: int = LONG_TERM_DAYS,
    committed: pd.Series | None = None,
) -> pd.Series:
    r"""Class of every customer of the log at the day ``at``: potential, new, regular, old, loyal or lapsed.

    The course material ranks customers by how far the relationship has come, a ladder like Christopher, Payne and
    Ballantyne's (1991) ladder of loyalty. On a log, with the stage of :func:`stages_at` at :math:`t`, the tenure
    :math:`t - f_i` and :math:`K` = ``long_term_days`` (checked in this order):

    .. math::

        \text{class}_i(t) = \begin{cases}
        \text{potential} & f_i > t \ \text{(first purchase after } t\text{: known only in hindsight)} \\
        \text{lapsed} & \text{stage lapsed} \\
        \text{new} & \text{active},\ t - f_i < K \ \text{(first-time and short-term)} \\
        \text{loyal} & \text{long-term and committed} \\
        \text{regular} & \text{long-term},\ t - f_i < 2K \\
        \text{old} & \text{long-term},\ t - f_i \ge 2K \end{cases}

    *Committed* is what a log alone cannot show: pass ``committed`` (a boolean Series by customer id, e.g. a
    loyalty-programme membership by ``at``); without it a long-term customer is committed when their purchase days
    reach the 75th percentile of the long-term customers' (the most engaged quarter).

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    at : date-like, optional
        Day of the reading; default the last date in the data (then no customer is potential).
    lapse_days, long_term_days : int
        As in :func:`stages_at` (days).
    committed : Series of bool, optional
        Customers known to be committed, indexed by customer id (missing ids count as not committed).

    Returns
    -------
    Series
        Ordered categorical :data:`CLASSES`, named ``class``, indexed by every ``customer_id`` of the log.

    References
    ----------
    Christopher, M., Payne, A. and Ballantyne, D. (1991). *Relationship Marketing*. Butterworth-Heinemann (the
    ladder of loyalty); the classes follow the course material.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "b", "b", "c", "d", "d", "d", "e"],
    ...     "date": pd.to_datetime(["2024-06-01", "2022-01-01", "2024-05-01", "2023-01-01",
    ...                             "2023-01-01", "2023-06-01", "2024-03-01", "2025-03-01"]), "amount": [10.0] * 8})
    >>> customer_classes(tx, "2024-06-30").to_dict()
    {'a': 'new', 'b': 'old', 'c': 'lapsed', 'd': 'loyal', 'e': 'potential'}

    ``d`` buys on more days than most long-term customers (committed); ``b`` has bought for over two years.
    """
    func = "customer_classes"
    stages = stages_at(transactions, at, lapse_days=lapse_days, long_term_days=long_term_days)
    everyone = pd.Index(_log(transactions, func).customers, name="customer_id")
    long_term = (stages["stage"] == "long-term").to_numpy()
    if committed is None:
        bar = stages.loc[long_term, "purchases"].quantile(0.75) if long_term.any() else np.inf
        engaged = (stages["purchases"] >= bar).to_numpy()
    else:
        if not isinstance(committed, pd.Series):
            raise ParameterError(
                f"The 'committed' parameter of {func} must be a Series of True/False indexed by customer id. "
                f"Got {type(committed).__name__} instead."
            )
        engaged = committed.reindex(stages.index).fillna(False).astype(bool).to_numpy()
    tenure = stages["tenure_days"].to_numpy()
    label = np.select(
        [(stages["stage"] == "lapsed").to_numpy(), ~long_term, engaged, tenure < 2 * long_term_days],
        ["lapsed", "new", "loyal", "regular"],
        default="old",
    )
    out = pd.Series(pd.Categorical(
        pd.Series(label, index=stages.index).reindex(everyone, fill_value="potential"),
        categories=list(CLASSES), ordered=True), index=everyone, name="class")
    return out


def reactivation_candidates(values: pd.DataFrame, *, top: int | None = 20, min_historical: float = 0.0) -> pd.DataFrame:
    """Lapsed customers worth trying to win back, best first.

    Takes the output of :func:`customer_values`, keeps the lapsed customers whose historical value is
    at least ``min_historical``, and sorts them by ``upside`` (their potential value, what re-activating
    them could add; :func:`crmlib.clv.value_components`), then by historical value.

    Parameters
    ----------
    values : DataFrame
        From :func:`customer_values`.
    top : int, optional
        How many to return; None for all.
    min_historical : float
        Smallest historical value (money) to consider. Default 0.

    Returns
    -------
    DataFrame
        The rows of ``values`` for the candidates.

    Examples
    --------
    >>> v = pd.DataFrame({"stage": ["lapsed", "lapsed", "long-term"], "historical": [50.0, 900.0, 999.0],
    ...                   "upside": [10.0, 300.0, 0.0]}, index=["a", "b", "c"])
    >>> reactivation_candidates(v).index.tolist()
    ['b', 'a']
    """
    func = "reactivation_candidates"
    needed = ["stage", "historical", "upside"]
    if not isinstance(values, pd.DataFrame) or any(c not in values.columns for c in needed):
        raise ParameterError(
            f"The 'values' parameter of {func} must be the frame of customer_values (columns {needed})."
        )
    min_historical = check_number(min_historical, "min_historical", func=func)
    if top is not None:
        top = int(check_number(top, "top", func=func, low=1, integer=True))
    chosen = values[(values["stage"].astype(str) == "lapsed") & (values["historical"] >= min_historical)]
    chosen = chosen.sort_values(["upside", "historical"], ascending=False)
    return chosen if top is None else chosen.head(top)
