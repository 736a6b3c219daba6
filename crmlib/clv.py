r"""What a customer is worth to the firm: NPV, retention-based CLV, customer equity.

Conventions used everywhere in this module (say them out loud, they are the usual source of errors):

* **Periods.** Every rate is *per period*, and the period is whatever the rates share: a yearly margin
  goes with a yearly retention rate and a yearly discount rate. Mixing a monthly retention rate with a
  yearly discount rate is the "time-unit trap"; convert first with :func:`convert_rate`.
* **Timing.** A cash flow of period :math:`t` arrives at the *end* of period :math:`t` and is discounted
  by :math:`(1+i)^t`. The customer is on the books at :math:`t = 0`; they are still a customer at the end
  of period :math:`t` with probability :math:`r^t` (constant retention :math:`r`).
* **First margin.** The Gupta-Lehmann formula counts margins from the end of the first period on
  (``first_margin="after_one_period"``): the margin of the purchase that made them a customer is not
  part of it (it is already earned, or it is counted in the acquisition). ``first_margin="now"`` adds a
  margin received today, undiscounted and certain: the value of a customer about to make a first
  purchase.

References
----------
Gupta, S. and Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing* 17(1), 9-24.
Gupta, S. and Lehmann, D. R. (2005). *Managing Customers as Investments*. Wharton School Publishing.
Gupta, S., Lehmann, D. R. and Stuart, J. A. (2004). Valuing customers. *Journal of Marketing Research*
41(1), 7-18.
Berger, P. D. and Nasr, N. I. (1998). Customer lifetime value: marketing models and applications.
*Journal of Interactive Marketing* 12(1), 17-30.
Reichheld, F. F. and Sasser, W. E. (1990). Zero defections: quality comes to services. *Harvard Business
Review* 68(5), 105-111.
Kumar, V. and Reinartz, W. (2018). *Customer Relationship Management: Concept, Strategy, and Tools*
(3rd ed.). Springer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmlib.data import DataError, check_canonical
from crmlib.params import UNIT_DAYS, UNIT_NAMES, ParameterError, check_choice, check_date, check_number, check_unit

__all__ = [
    "FIRST_MARGIN",
    "PROFIT_SOURCES",
    "ILLUSTRATIVE_PROFIT_GROWTH",
    "POTENTIAL_ASSUMPTIONS",
    "npv",
    "convert_rate",
    "expected_lifetime",
    "retention_clv",
    "retention_clv_table",
    "clv_curves",
    "relationship_npv",
    "annual_value",
    "value_at_acquisition",
    "cumulative_profit",
    "break_even_period",
    "customer_equity",
    "periods_covered",
    "estimate_retention",
    "equity_by_group",
    "profit_over_time",
    "customer_value_measures",
    "customer_profit",
    "value_components",
    "YEAR_DAYS",
]

FIRST_MARGIN = ("after_one_period", "now")
"""Allowed values of ``first_margin``: margins from the end of period 1 on, or one margin today as well."""

_RATE_HINT = "Rates are shares per period: write 0.1 for 10%."
_MARGIN_HINT = "The margin rate is a share of revenue: 0.3 for 30%."


# --------------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------------


def _discount(value: Any, func: str, name: str = "discount_rate") -> float:
    return check_number(value, name, func=func, low=0, high=1, high_open=True, hint=_RATE_HINT)


def _retention(value: Any, func: str, name: str = "retention") -> float:
    return check_number(
        value, name, func=func, low=0, high=1, hint="Retention is the share of customers kept per period."
    )


def _horizon(value: Any, func: str, name: str = "horizon") -> int | None:
    if value is None:
        return None
    return int(check_number(
        value, name, func=func, low=1, integer=True, hint="It counts whole periods; use None for no end."
    ))


def _growth(value: Any, func: str) -> float:
    return check_number(
        value, "growth", func=func, low=-1, low_open=True, hint="Growth is a share per period: 0.05 for +5%."
    )


def _margin_array(margin: Any, horizon: int | None, func: str) -> tuple[float | None, np.ndarray | None, int | None]:
    """Return (scalar margin, None, horizon) or (None, per-period array, horizon)."""
    if np.ndim(margin) == 0:
        return float(check_number(margin, "margin", func=func)), None, horizon
    arr = np.asarray(margin, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(
            f"The 'margin' parameter of {func} must be a number or a 1-D sequence of margins per period. "
            f"Got an array of shape {arr.shape} instead."
        )
    if not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        raise ParameterError(f"The 'margin' parameter of {func} has missing or infinite values at positions {bad}.")
    if horizon is None:
        horizon = arr.size
    elif arr.size != horizon:
        raise ParameterError(
            f"The 'margin' parameter of {func} has {arr.size} margins per period but horizon={horizon}. "
            "Give one margin per period of the horizon, or leave horizon=None to use the length of margin."
        )
    return None, arr, horizon


def _check_converges(retention: float, discount_rate: float, growth: float, func: str) -> None:
    if retention * (1 + growth) >= 1 + discount_rate:
        grown = f" times (1 + growth) = {retention * (1 + growth):g}" if growth else ""
        raise ParameterError(
            f"{func} with no horizon needs retention{grown} below 1 + discount_rate, otherwise the infinite "
            f"sum of margins never converges. Got retention={retention:g}, discount_rate={discount_rate:g}"
            f"{f', growth={growth:g}' if growth else ''}. Lower retention, raise the discount rate or give a finite "
            "horizon."
        )


# --------------------------------------------------------------------------------------------------
# discounting and rates
# --------------------------------------------------------------------------------------------------


def npv(cashflows: Sequence[float] | np.ndarray, rate: float, *, when: str = "end") -> float | np.ndarray:
    r"""Net present value of cash flows, one per period.

    .. math::

        \text{NPV} = \sum_{t=1}^{n} \frac{c_t}{(1+i)^t} \quad (\texttt{when="end"}), \qquad
        \text{NPV} = \sum_{t=1}^{n} \frac{c_t}{(1+i)^{t-1}} \quad (\texttt{when="begin"})

    Parameters
    ----------
    cashflows : sequence of float, or 2-D array
        :math:`c_1, \dots, c_n`, one per period. A 2-D array is read as one row of cash flows per
        customer and gives one NPV per row.
    rate : float
        Discount rate :math:`i` per period, in [0, 1): 0.1 is 10% per period.
    when : {"end", "begin"}
        ``"end"`` (default): the first cash flow arrives at the end of period 1 and is discounted
        once. ``"begin"``: it arrives now and is not discounted (an annuity due).

    Returns
    -------
    float, or array of one NPV per row for 2-D input.

    References
    ----------
    Berger and Nasr (1998); any corporate-finance text (present value of an annuity).

    Examples
    --------
    >>> round(npv([100, 100, 100], 0.10), 2)   # 100/1.1 + 100/1.21 + 100/1.331
    248.69
    >>> round(npv([100, 100, 100], 0.10, when="begin"), 2)   # 100 + 100/1.1 + 100/1.21
    273.55
    """
    func = "npv"
    rate = _discount(rate, func, "rate")
    when = check_choice(when, "when", ("end", "begin"), func=func)
    flows = np.asarray(cashflows, dtype=float)
    if flows.ndim not in (1, 2) or flows.shape[-1] == 0:
        raise ParameterError(
            f"The 'cashflows' parameter of npv must be a non-empty sequence (or 2-D array, one row per "
            f"customer). Got shape {flows.shape} instead."
        )
    if not np.isfinite(flows).all():
        bad = np.argwhere(~np.isfinite(flows))[:5].tolist()
        raise ParameterError(f"The 'cashflows' parameter of npv has missing or infinite values at {bad}.")
    t = np.arange(1, flows.shape[-1] + 1) - (1 if when == "begin" else 0)
    result = flows @ (1.0 + rate) ** -t.astype(float)
    return float(result) if flows.ndim == 1 else result


def convert_rate(rate: float, from_period: str, to_period: str, *, kind: str = "discount") -> float:
    r"""Convert a rate from one period length to another, compounding explicitly.

    With :math:`k` = (length of ``to_period``) / (length of ``from_period``) (e.g. 12 from months to years):

    .. math::

        i_{\text{to}} = (1 + i_{\text{from}})^{k} - 1 \quad (\texttt{kind="discount"}), \qquad
        r_{\text{to}} = r_{\text{from}}^{k} \quad (\texttt{kind="retention"})

    A discount (interest) rate compounds; a retention rate multiplies: keeping 95% of customers each
    month keeps :math:`0.95^{12} = 54\%` of them over a year, not :math:`1 - 12 \times 5\% = 40\%`.
    The retention conversion assumes the same rate every sub-period.

    Parameters
    ----------
    rate : float
        The rate per ``from_period``: a discount rate in [0, 1) or a retention rate in [0, 1].
    from_period, to_period : {"D", "W", "M", "Y"}
        Days, weeks (7 days), months (30.4375 days), years (365.25 days); so 12 months = 1 year exactly.
    kind : {"discount", "retention"}

    Returns
    -------
    float : the rate per ``to_period``.

    References
    ----------
    Gupta and Lehmann (2005) (the period of the margin, retention and discount rates must agree).

    Examples
    --------
    >>> round(convert_rate(0.01, "M", "Y"), 4)                    # 1.01**12 - 1
    0.1268
    >>> round(convert_rate(0.95, "M", "Y", kind="retention"), 4)  # 0.95**12
    0.5404
    >>> round(convert_rate(0.10, "Y", "M"), 5)                    # 1.1**(1/12) - 1
    0.00797
    """
    func = "convert_rate"
    kind = check_choice(kind, "kind", ("discount", "retention"), func=func)
    src = check_unit(from_period, "from_period", func=func)
    dst = check_unit(to_period, "to_period", func=func)
    k = UNIT_DAYS[dst] / UNIT_DAYS[src]
    if kind == "discount":
        rate = check_number(rate, "rate", func=func, low=0, hint=_RATE_HINT)
        return float((1.0 + rate) ** k - 1.0)
    rate = _retention(rate, func, "rate")
    return float(rate**k)


def expected_lifetime(retention: float) -> float:
    r"""Expected number of periods a customer stays, for a constant retention rate per period.

    A customer active in period 1 leaves at the end of each period with probability :math:`1-r`,
    so the number of periods :math:`L` they are active is geometric:

    .. math::

        E[L] = \sum_{t=1}^{\infty} t\,(1-r)\,r^{t-1} = \frac{1}{1-r}

    Parameters
    ----------
    retention : float
        Retention rate :math:`r` per period, in [0, 1). Retention 1 means no one ever leaves (infinite).

    Returns
    -------
    float : periods (years when ``retention`` is per year).

    References
    ----------
    Gupta and Lehmann (2005); Berger and Nasr (1998).

    Examples
    --------
    >>> round(expected_lifetime(0.8), 6)   # 1 / 0.2
    5.0
    """
    r = check_number(
        retention, "retention", func="expected_lifetime", low=0, high=1, high_open=True,
        hint="With retention 1 no customer ever leaves and the expected lifetime is infinite.",
    )
    return 1.0 / (1.0 - r)


# --------------------------------------------------------------------------------------------------
# retention-based CLV
# --------------------------------------------------------------------------------------------------


def _terms(m, arr, horizon, r, i, g, first):
    """Periods, margins, survival probabilities and discount factors of the retention-based CLV."""
    n = np.arange(1, horizon + 1)
    margins = arr if arr is not None else m * (1.0 + g) ** (n - 1.0)
    t = n if first == "after_one_period" else n - 1
    return t, margins, r ** t.astype(float), (1.0 + i) ** -t.astype(float)


def retention_clv_table(
    margin: float | Sequence[float],
    retention: float,
    discount_rate: float,
    *,
    horizon: int | None = 10,
    growth: float = 0.0,
    first_margin: str = "after_one_period",
) -> pd.DataFrame:
    r"""The retention-based CLV worked out period by period (the terms of :func:`retention_clv`).

    One row per period :math:`t` with the margin :math:`m_t`, the survival probability
    :math:`r^t`, the discount factor :math:`(1+i)^{-t}`, the expected discounted margin
    :math:`m_t r^t (1+i)^{-t}` and its running sum. With ``first_margin="now"`` a row for
    :math:`t=0` (margin :math:`m_1`, survival 1, discount factor 1) comes first and the later margins
    shift one period: period :math:`t` then carries :math:`m_{t+1}`.

    Parameters
    ----------
    margin, retention, discount_rate, growth, first_margin
        As in :func:`retention_clv`.
    horizon : int
        Number of margins to show (default 10). Required here (a table needs an end).

    Returns
    -------
    DataFrame with columns ``period``, ``margin``, ``survival``, ``discount_factor``,
    ``expected_margin`` (margin times survival), ``discounted_margin`` and ``cumulative``.

    References
    ----------
    Gupta and Lehmann (2003).

    Examples
    --------
    >>> print(retention_clv_table(100, 0.8, 0.1, horizon=3).round(4).to_string())
       period  margin  survival  discount_factor  expected_margin  discounted_margin  cumulative
    0       1   100.0     0.800           0.9091             80.0            72.7273     72.7273
    1       2   100.0     0.640           0.8264             64.0            52.8926    125.6198
    2       3   100.0     0.512           0.7513             51.2            38.4673    164.0872
    """
    func = "retention_clv_table"
    r = _retention(retention, func)
    i = _discount(discount_rate, func)
    g = _growth(growth, func)
    first = check_choice(first_margin, "first_margin", FIRST_MARGIN, func=func)
    if horizon is None and np.ndim(margin) == 0:
        raise ParameterError(
            f"The 'horizon' parameter of {func} must be a whole number of periods (a table needs an end). "
            "Got None instead."
        )
    horizon = _horizon(horizon, func)
    m, arr, horizon = _margin_array(margin, horizon, func)
    t, margins, survival, factor = _terms(m, arr, horizon, r, i, g, first)
    expected = margins * survival
    discounted = expected * factor
    return pd.DataFrame(
        {
            "period": t,
            "margin": margins,
            "survival": survival,
            "discount_factor": factor,
            "expected_margin": expected,
            "discounted_margin": discounted,
            "cumulative": np.cumsum(discounted),
        }
    )


def retention_clv(
    margin: float | Sequence[float],
    retention: float,
    discount_rate: float,
    *,
    horizon: int | None = None,
    growth: float = 0.0,
    first_margin: str = "after_one_period",
) -> float:
    r"""Customer lifetime value with a constant retention rate (Gupta and Lehmann 2003).

    With margin :math:`m` per period, retention :math:`r` per period and discount rate :math:`i` per
    period, the margins arrive at the end of each period the customer is still there:

    .. math::

        \text{CLV} = \sum_{t=1}^{\infty} \frac{m\,r^t}{(1+i)^t} = m\,\frac{r}{1+i-r}
        \qquad \text{(Gupta and Lehmann 2003)}

    **Finite horizon** :math:`H`: :math:`\sum_{t=1}^{H} m\,r^t/(1+i)^t`.

    **Margins growing with tenure**: the :math:`k`-th margin is :math:`m_k = m(1+g)^{k-1}` (or give
    ``margin`` as an array :math:`m_1, \dots, m_H`), and with no horizon

    .. math::

        \text{CLV} = \sum_{t=1}^{\infty} \frac{m(1+g)^{t-1} r^t}{(1+i)^t} = \frac{m\,r}{1+i-r(1+g)},
        \quad \text{which needs } r(1+g) < 1+i.

    **First margin now** (``first_margin="now"``): a margin is also received today, for sure and
    undiscounted, and the :math:`k`-th margin arrives at :math:`t = k-1`:

    .. math::

        \text{CLV} = \sum_{t=0}^{\infty} \frac{m\,r^t}{(1+i)^t} = m\,\frac{1+i}{1+i-r}
        = m + m\,\frac{r}{1+i-r}

    With a finite horizon both conventions count :math:`H` margins.

    Parameters
    ----------
    margin : float or sequence of float
        Margin per period (money per period: revenue minus the cost of serving the customer). A
        sequence gives the margin of each period in turn; its length is the horizon.
    retention : float
        Retention rate per period, in [0, 1]: the probability that a customer of this period is still
        a customer next period.
    discount_rate : float
        Discount rate per period, in [0, 1) (0.1 = 10% per period). Use :func:`convert_rate` to put
        all three on the same period.
    horizon : int, optional
        Number of periods (margins) counted. None (default): no end (the closed forms above).
    growth : float
        Growth :math:`g` of the margin per period of tenure, > -1 (0.05 = +5% per period). Ignored
        when ``margin`` is a sequence.
    first_margin : {"after_one_period", "now"}
        When the first margin arrives (see above). Default: the Gupta-Lehmann convention.

    Returns
    -------
    float : the CLV, in the money unit of ``margin``.

    Raises
    ------
    ParameterError
        For rates out of range, a horizon that is not a positive whole number, margin arrays whose
        length differs from ``horizon``, and infinite sums that diverge (:math:`r(1+g) \ge 1+i`).

    References
    ----------
    Gupta and Lehmann (2003); Gupta, Lehmann and Stuart (2004); Gupta and Lehmann (2005).

    Examples
    --------
    >>> round(retention_clv(100, 0.8, 0.1), 2)            # 100 * 0.8 / (1.1 - 0.8) = 80 / 0.3
    266.67
    >>> round(retention_clv(100, 0.8, 0.1, first_margin="now"), 2)   # 100 * 1.1 / 0.3
    366.67
    >>> round(retention_clv(100, 0.8, 0.1, horizon=3), 2)  # 80/1.1 + 64/1.21 + 51.2/1.331
    164.09
    """
    func = "retention_clv"
    r = _retention(retention, func)
    i = _discount(discount_rate, func)
    g = _growth(growth, func)
    first = check_choice(first_margin, "first_margin", FIRST_MARGIN, func=func)
    horizon = _horizon(horizon, func)
    m, arr, horizon = _margin_array(margin, horizon, func)
    if horizon is None:
        assert m is not None  # a sequence of margins sets the horizon
        _check_converges(r, i, g, func)
        if first == "now":
            return float(m * (1.0 + i) / (1.0 + i - r * (1.0 + g)))
        return float(m * r / (1.0 + i - r * (1.0 + g)))
    _, margins, survival, factor = _terms(m, arr, horizon, r, i, g, first)
    return float(np.sum(margins * survival * factor))


def clv_curves(
    margin: float,
    retentions: Sequence[float] | np.ndarray,
    discount_rates: Sequence[float],
    *,
    horizon: int | None = None,
    first_margin: str = "after_one_period",
) -> pd.DataFrame:
    r"""CLV as a function of retention, one column per discount rate (for the "CLV vs retention" chart).

    Each cell is :func:`retention_clv` ``(margin, r, i, horizon=horizon)``; the curve
    :math:`m\,r/(1+i-r)` rises ever more steeply as :math:`r \to 1`: retention is the strongest lever.

    Returns
    -------
    DataFrame, index ``retention``, one column per discount rate (per period).

    References
    ----------
    Gupta and Lehmann (2003); Reichheld and Sasser (1990).

    Examples
    --------
    >>> clv_curves(100, [0.5, 0.8], [0.0, 0.1]).round(2)  # doctest: +NORMALIZE_WHITESPACE
    discount_rate    0.0     0.1
    retention
    0.5            100.0   83.33
    0.8            400.0  266.67
    """
    rows = np.asarray(retentions, dtype=float).ravel()
    data = {
        float(i): [retention_clv(margin, float(r), i, horizon=horizon, first_margin=first_margin) for r in rows]
        for i in discount_rates
    }
    frame = pd.DataFrame(data, index=pd.Index(rows, name="retention"))
    frame.columns.name = "discount_rate"
    return frame


# --------------------------------------------------------------------------------------------------
# the lecture's measures: annual value, value at acquisition, NPV over the expected relationship
# --------------------------------------------------------------------------------------------------


def annual_value(
    annual_revenue: float | np.ndarray | pd.Series,
    margin_rate: float,
    *,
    annual_cost: float | np.ndarray | pd.Series = 0.0,
) -> float | np.ndarray | pd.Series:
    r"""Annual value of a customer: the margin one year of their business brings.

    .. math::

        v = \text{revenue per year} \times \text{margin rate} - \text{cost to serve and retain per year}

    Parameters
    ----------
    annual_revenue : float, array or Series
        Revenue per customer per year (money per year).
    margin_rate : float
        Gross margin as a share of revenue, in [0, 1].
    annual_cost : float, array or Series
        Yearly cost of serving and retaining the customer (mailings, service, loyalty rewards).

    Returns
    -------
    Same type as ``annual_revenue``: money per year.

    References
    ----------
    Kumar and Reinartz (2018) (contribution margin per customer per period).

    Examples
    --------
    >>> annual_value(1000.0, 0.3, annual_cost=50.0)   # 1000 * 0.3 - 50
    250.0
    """
    rate = check_number(margin_rate, "margin_rate", func="annual_value", low=0, high=1, hint=_MARGIN_HINT)
    return annual_revenue * rate - annual_cost


def relationship_npv(
    annual_margin: float, years: float, discount_rate: float, *, first_margin: str = "after_one_period"
) -> float:
    r"""NPV of a constant yearly margin received for a given (possibly fractional) number of years.

    The lecture's definition of lifetime value: the net present value of the projected yearly
    margins over the expected length of the relationship. With :math:`L` years (use
    :func:`expected_lifetime` for :math:`L = 1/(1-r)`), :math:`n = \lfloor L \rfloor` full years and the
    fraction :math:`f = L - n` of a margin in year :math:`n+1`:

    .. math::

        \text{NPV} = \sum_{t=1}^{n} \frac{m}{(1+i)^t} + \frac{f\,m}{(1+i)^{n+1}}

    (``first_margin="now"`` moves every margin one year earlier). Note that this is **not** the
    retention-based CLV: plugging the *expected* lifetime into the NPV is not the *expected* NPV over
    lifetimes, because the NPV is concave in the length (Jensen's inequality). With :math:`r=0.8`,
    :math:`i=0.1`, :math:`m=100` and the first margin now: the expected lifetime is 5 years and 5
    margins are worth :math:`100(1 + 1.1^{-1} + 1.1^{-2} + 1.1^{-3} + 1.1^{-4}) = 416.99`, while
    :func:`retention_clv` (the same 5 margins *on average*) gives 366.67.

    Parameters
    ----------
    annual_margin : float
        Margin per year (money per year).
    years : float
        Length of the relationship in years, > 0.
    discount_rate : float
        Discount rate per year, in [0, 1).
    first_margin : {"after_one_period", "now"}

    Returns
    -------
    float

    References
    ----------
    Berger and Nasr (1998); Kumar and Reinartz (2018).

    Examples
    --------
    >>> round(relationship_npv(100, 5, 0.1), 2)     # 100 * (1 - 1.1**-5) / 0.1
    379.08
    >>> round(relationship_npv(100, 2.5, 0.1), 2)   # 100/1.1 + 100/1.21 + 50/1.331
    211.12
    """
    func = "relationship_npv"
    m = check_number(annual_margin, "annual_margin", func=func)
    L = check_number(years, "years", func=func, low=0, low_open=True, hint="The relationship length is in years.")
    i = _discount(discount_rate, func)
    first = check_choice(first_margin, "first_margin", FIRST_MARGIN, func=func)
    n = int(np.floor(L))
    f = L - n
    flows = [m] * n + ([f * m] if f > 1e-12 else [])
    return float(npv(flows, i, when="end" if first == "after_one_period" else "begin"))


def value_at_acquisition(
    margin: float | Sequence[float],
    retention: float,
    discount_rate: float,
    acquisition_cost: float,
    *,
    horizon: int | None = None,
    growth: float = 0.0,
    first_margin: str = "now",
) -> float:
    r"""Value of a customer at the moment of acquisition: expected CLV minus the acquisition cost.

    .. math::

        V_0 = \text{CLV} - \text{AC} = \sum_{t=0}^{\infty} \frac{m\,r^t}{(1+i)^t} - \text{AC}
        = m\,\frac{1+i}{1+i-r} - \text{AC}

    By default the new customer's first margin comes now, with the first purchase
    (``first_margin="now"``); pass ``"after_one_period"`` for the Gupta-Lehmann timing. A positive
    value means the customer is worth acquiring at that cost (Gupta, Lehmann and Stuart 2004 subtract
    the acquisition cost in the same way).

    Parameters
    ----------
    margin, retention, discount_rate, horizon, growth, first_margin
        As in :func:`retention_clv` (rates per period).
    acquisition_cost : float
        Money spent to win one customer (>= 0).

    Returns
    -------
    float : money.

    References
    ----------
    Gupta, Lehmann and Stuart (2004); Gupta and Lehmann (2005).

    Examples
    --------
    >>> round(value_at_acquisition(100, 0.8, 0.1, 150), 2)   # 100 * 1.1 / 0.3 - 150
    216.67
    """
    func = "value_at_acquisition"
    ac = check_number(acquisition_cost, "acquisition_cost", func=func, low=0)
    clv = retention_clv(margin, retention, discount_rate, horizon=horizon, growth=growth, first_margin=first_margin)
    return clv - ac


def cumulative_profit(
    margin: float | Sequence[float],
    retention: float,
    discount_rate: float,
    acquisition_cost: float,
    *,
    horizon: int = 10,
    growth: float = 0.0,
    first_margin: str = "now",
) -> pd.DataFrame:
    r"""Expected cumulative discounted profit of one acquired customer, period by period.

    .. math::

        P_t = -\text{AC} + \sum_{s \le t} \frac{m_s\,r^s}{(1+i)^s}

    (with ``first_margin="now"`` the sum starts at :math:`s=0`). The acquisition cost is paid at
    :math:`t=0`. :func:`break_even_period` is the first period with :math:`P_t \ge 0`.

    Returns
    -------
    DataFrame: the columns of :func:`retention_clv_table` plus ``profit`` (:math:`P_t`).

    References
    ----------
    Gupta and Lehmann (2005); Blattberg, Getz and Thomas (2001), *Customer Equity*.

    Examples
    --------
    >>> cumulative_profit(100, 0.8, 0.1, 150, horizon=3)[["period", "profit"]].round(2)
       period  profit
    0       0  -50.00
    1       1   22.73
    2       2   75.62
    """
    func = "cumulative_profit"
    ac = check_number(acquisition_cost, "acquisition_cost", func=func, low=0)
    table = retention_clv_table(
        margin, retention, discount_rate, horizon=horizon, growth=growth, first_margin=first_margin
    )
    table["profit"] = table["cumulative"] - ac
    return table


def break_even_period(
    margin: float | Sequence[float],
    retention: float,
    discount_rate: float,
    acquisition_cost: float,
    *,
    horizon: int | None = None,
    growth: float = 0.0,
    first_margin: str = "now",
) -> int | None:
    r"""First period whose cumulative expected discounted margin covers the acquisition cost.

    .. math::

        t^* = \min\{t : \textstyle\sum_{s \le t} m_s\,r^s (1+i)^{-s} \ge \text{AC}\}

    Periods are those of the rates (years for yearly rates: the break-even *year*). With
    ``first_margin="now"`` period 0 is the day of acquisition.

    Returns
    -------
    int, or None when the cumulative margin never covers the cost (within ``horizon``, or ever when
    ``horizon`` is None: the infinite-horizon CLV is then below the cost).

    References
    ----------
    Gupta and Lehmann (2005); Blattberg, Getz and Thomas (2001).

    Examples
    --------
    >>> break_even_period(100, 0.8, 0.1, 150)   # cumulative: 100 (t=0), 172.7 (t=1) >= 150
    1
    >>> break_even_period(100, 0.8, 0.1, 500) is None   # CLV 366.67 < 500
    True
    """
    func = "break_even_period"
    ac = check_number(acquisition_cost, "acquisition_cost", func=func, low=0)
    if horizon is None and np.ndim(margin) == 0:
        total = retention_clv(margin, retention, discount_rate, growth=growth, first_margin=first_margin)
        if total < ac:
            return None
        length = 64
        while True:
            table = retention_clv_table(
                margin, retention, discount_rate, horizon=length, growth=growth, first_margin=first_margin
            )
            hit = np.flatnonzero(table["cumulative"].to_numpy() >= ac - 1e-9)
            if hit.size:
                return int(table["period"].iloc[hit[0]])
            if length >= 100_000:
                return None
            length *= 4
    table = retention_clv_table(
        margin, retention, discount_rate, horizon=horizon, growth=growth, first_margin=first_margin
    )
    hit = np.flatnonzero(table["cumulative"].to_numpy() >= ac - 1e-9)
    return int(table["period"].iloc[hit[0]]) if hit.size else None


# --------------------------------------------------------------------------------------------------
# customer equity
# --------------------------------------------------------------------------------------------------


def _clv_vector(m: np.ndarray, r: np.ndarray, i: float, horizon: int | None, first: str) -> np.ndarray:
    if horizon is None:
        value = m * r / (1.0 + i - r)
    else:
        q = r / (1.0 + i)
        with np.errstate(divide="ignore", invalid="ignore"):
            geometric = np.where(np.isclose(q, 1.0), float(horizon), (1.0 - q**horizon) / (1.0 - q))
        value = m * q * geometric
    if first == "now":
        # every margin one period earlier: multiply by (1 + i) / r, i.e. sum_{t=0}^{H-1} m q^t
        if horizon is None:
            value = m * (1.0 + i) / (1.0 + i - r)
        else:
            value = m * geometric
    return value


def customer_equity(
    customers: pd.DataFrame,
    *,
    margin: str | float = "margin",
    retention: str | float = "retention",
    discount_rate: float = 0.1,
    horizon: int | None = None,
    by: str | None = None,
    first_margin: str = "after_one_period",
    clv: str | None = None,
) -> float | pd.DataFrame:
    r"""Customer equity: the sum of the CLVs of the current customers (Gupta and Lehmann 2003).

    .. math::

        \text{CE} = \sum_{j \in \text{current base}} \text{CLV}_j, \qquad
        \text{CLV}_j = m_j\,\frac{r_j}{1+i-r_j}

    (or the finite-horizon sum of :func:`retention_clv`, :math:`\sum_{t=1}^{H} m_j r_j^t / (1+i)^t`, when
    ``horizon`` is given). Acquisition costs of current customers are sunk and are not subtracted; customers
    not yet acquired are not counted (their value is the value at acquisition, :func:`value_at_acquisition`).

    The two choices that make two equity figures differ, stated every time:

    * **The horizon.** ``horizon`` periods (None: no end, the Gupta-Lehmann perpetuity). The period is the one
      the margins, retention and discount rate share (a year for the kit's log-based estimates).
    * **Which customers.** Every row of ``customers``: pass the current base. The kit's rule for a transaction
      log is the customers who bought in the last year before the valuation date (the ``customers`` of
      :func:`estimate_retention`, as :func:`equity_by_group` counts them). With model-based CLVs (``clv=``, e.g.
      from :func:`crmlib.models.customer_lifetime_value`), which already weight each customer by the
      probability of still being a customer, pass every customer ever acquired: the model decides who is
      current, and a customer last seen years ago counts for little.

    Parameters
    ----------
    customers : DataFrame
        One row per current customer.
    margin : str or float
        Column of margin per period (money per period), or one margin for everyone.
    retention : str or float
        Column of retention rates per period, or one rate for everyone (in [0, 1]).
    discount_rate : float
        Discount rate per period, in [0, 1).
    horizon : int, optional
        Periods counted; None = no end.
    by : str, optional
        A column to group by (segment, acquisition channel). Then a table is returned.
    first_margin : {"after_one_period", "now"}
        See the module's conventions.
    clv : str, optional
        A column of per-customer CLVs already computed (money); they are summed as given, and ``margin``,
        ``retention``, ``discount_rate``, ``horizon`` and ``first_margin`` are not used (the horizon is the
        one those CLVs were computed with: say it).

    Returns
    -------
    float (no ``by``), or a DataFrame indexed by group with columns ``customers``, ``equity``,
    ``clv_mean`` and ``share`` (of the total equity), sorted by equity.

    References
    ----------
    Gupta and Lehmann (2003); Gupta, Lehmann and Stuart (2004); Blattberg, Getz and Thomas (2001).

    Examples
    --------
    >>> base = pd.DataFrame({"margin": [100.0, 50.0], "retention": [0.8, 0.5], "channel": ["web", "store"]})
    >>> round(customer_equity(base, discount_rate=0.1), 2)      # 80/0.3 + 25/0.6
    308.33
    >>> round(customer_equity(base, discount_rate=0.1, horizon=1), 2)  # one year: 80/1.1 + 25/1.1
    95.45
    >>> customer_equity(base, discount_rate=0.1, by="channel").round(3)  # doctest: +NORMALIZE_WHITESPACE
             customers   equity  clv_mean  share
    channel
    web              1  266.667   266.667  0.865
    store            1   41.667    41.667  0.135
    >>> customer_equity(pd.DataFrame({"clv": [12.5, 7.5]}), clv="clv")
    20.0
    """
    func = "customer_equity"
    if not isinstance(customers, pd.DataFrame):
        raise DataError(f"{func} needs a DataFrame with one row per current customer; got {type(customers).__name__}.")

    def column(spec, name):
        if isinstance(spec, str):
            if spec not in customers.columns:
                raise DataError(
                    f"{func}: the {name} column {spec!r} is not in the table. Columns present: "
                    f"{', '.join(map(str, customers.columns))}. Pass {name}=<column name> or one number for everyone."
                )
            values = pd.to_numeric(customers[spec], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(values)
            if bad.any():
                raise DataError(
                    f"{func}: the {name} column {spec!r} is missing or not a number in {int(bad.sum())} rows "
                    f"(first rows: {customers.index[bad][:5].tolist()}). Fill or drop them."
                )
            return values, spec
        value = check_number(spec, name, func=func)
        return np.full(len(customers), value), None

    if clv is not None:
        if not isinstance(clv, str):
            raise ParameterError(
                f"The 'clv' parameter of {func} must be a column name. Got {type(clv).__name__} instead."
            )
        value, _ = column(clv, "clv")
    else:
        i = _discount(discount_rate, func)
        horizon = _horizon(horizon, func)
        first = check_choice(first_margin, "first_margin", FIRST_MARGIN, func=func)
        m, _ = column(margin, "margin")
        r, rcol = column(retention, "retention")
        out_of_range = (r < 0) | (r > 1)
        if out_of_range.any():
            where = f"column {rcol!r}" if rcol else "value"
            raise ParameterError(
                f"The retention {where} of {func} must hold rates in [0, 1]; {int(out_of_range.sum())} rows are "
                "outside "
                f"(first rows: {customers.index[out_of_range][:5].tolist()}, values {r[out_of_range][:5].tolist()})."
            )
        if horizon is None and (r >= 1 + i).any():
            _check_converges(float(r.max()), i, 0.0, func)
        value = _clv_vector(m, r, i, horizon, first)
    if by is None:
        return float(value.sum())
    if by not in customers.columns:
        raise DataError(
            f"{func}: the by column {by!r} is not in the table. "
            f"Columns present: {', '.join(map(str, customers.columns))}."
        )
    frame = pd.DataFrame({"group": customers[by].to_numpy(), "clv": value})
    table = frame.groupby("group", sort=False, dropna=False)["clv"].agg(customers="size", equity="sum", clv_mean="mean")
    total = table["equity"].sum()
    table["share"] = table["equity"] / total if total else np.nan
    table.index.name = by
    return table.sort_values("equity", ascending=False)


def periods_covered(transactions: pd.DataFrame, *, unit: str = "Y", observation_end: Any = None) -> int:
    r"""Number of whole periods of ``unit``, counted back from ``observation_end``, that the log covers.

    .. math::

        K = \left\lfloor \frac{(\tau - t_{\min}) + 2\text{ days}}{u} \right\rfloor

    with :math:`\tau` the observation end, :math:`t_{\min}` the first purchase day and :math:`u` the
    unit in days (the two days' slack lets 365.25-day years fit calendar years). :func:`estimate_retention`
    needs :math:`K \ge 2`.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2022-01-01", "2023-12-31"]),
    ...                    "amount": [1.0, 1.0]})
    >>> periods_covered(tx), periods_covered(tx, unit="M")
    (2, 24)
    """
    func = "periods_covered"
    unit = check_unit(unit, func=func)
    tx = check_canonical(transactions, func)
    end = check_date(observation_end, "observation_end", func=func)
    if len(tx) == 0:
        return 0
    if end is None:
        end = tx["date"].max().normalize()
    first_day = tx["date"].min().normalize()
    return max(int(np.floor(((end - first_day).days + 2) / UNIT_DAYS[unit])), 0)


def estimate_retention(
    transactions: pd.DataFrame,
    *,
    groups: pd.Series | None = None,
    unit: str = "Y",
    observation_end: Any = None,
) -> pd.DataFrame:
    r"""Retention rate and revenue per active customer per period, estimated from a transaction log.

    The rule (a repeat-activity proxy for non-contractual settings, where nobody announces that they
    leave): cut time into whole periods of ``unit`` counted back from ``observation_end`` (period 0
    ends on ``observation_end``; a first period only partly covered by the data, by more than a day, is
    dropped). A customer
    is *active* in a period if they buy in it. Pooled over consecutive pairs of periods :math:`(k, k+1)`:

    .. math::

        \hat r = \frac{\sum_k |A_k \cap A_{k+1}|}{\sum_k |A_k|}, \qquad
        \bar s = \text{mean revenue of an active customer in a period}

    where :math:`A_k` is the set of customers active in period :math:`k` (only pairs with both
    periods observed count). Multiply :math:`\bar s` by a margin rate to get the margin per period.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).
    groups : Series, optional
        Group of each customer (e.g. acquisition channel), indexed by ``customer_id``. Customers
        missing from it are grouped as ``"(unknown)"``.
    unit : {"M", "Y", "W", "D"}
        Length of a period (default a year of 365.25 days).
    observation_end : date-like, optional
        Last day observed (default: the last date in the data).

    Returns
    -------
    DataFrame indexed by group (a single row ``"all"`` without ``groups``) with columns
    ``customers`` (active in the last period: the current base), ``active`` (customer-periods at
    risk, :math:`\sum |A_k|`), ``retained`` (:math:`\sum |A_k \cap A_{k+1}|`), ``retention`` and
    ``revenue_per_active`` (money per period).

    References
    ----------
    Gupta and Lehmann (2005) (retention rates from customer counts); Kumar and Reinartz (2018)
    (retention rate and its period).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
    ...     "date": pd.to_datetime(["2022-01-01", "2023-01-05", "2022-02-01", "2022-03-01", "2023-06-01"]),
    ...     "amount": [10.0, 30.0, 20.0, 5.0, 15.0]})
    >>> estimate_retention(tx, observation_end="2023-12-31").round(3)
         customers  active  retained  retention  revenue_per_active
    all          2       3         2      0.667                16.0
    """
    func = "estimate_retention"
    unit = check_unit(unit, func=func)
    tx = check_canonical(transactions, func)
    end = check_date(observation_end, "observation_end", func=func)
    if len(tx) == 0:
        raise DataError(f"{func}: the transactions are empty; there is nothing to estimate from.")
    if end is None:
        end = tx["date"].max().normalize()
    tx = tx[tx["date"] <= end]
    length = UNIT_DAYS[unit]
    age = (end - tx["date"].dt.normalize()).dt.days.to_numpy()
    period = np.floor(age / length).astype(int)  # 0 = the most recent period
    first_day = tx["date"].min().normalize()
    # periods fully inside the data, to within a day (365.25-day years never align with calendar days)
    complete = periods_covered(tx, unit=unit, observation_end=end)
    if complete < 2:
        raise DataError(
            f"{func}: the data cover {(end - first_day).days + 1} days, fewer than two whole periods of "
            f"{UNIT_NAMES[unit]} ({2 * length:g} days), so no retention can be measured. Use a shorter unit."
        )
    keep = period < complete
    active = pd.DataFrame(
        {
            "customer_id": tx["customer_id"].to_numpy()[keep],
            "period": period[keep],
            "amount": tx["amount"].to_numpy()[keep],
        }
    )
    active = active.groupby(["customer_id", "period"], sort=False)["amount"].sum().reset_index()
    if groups is None:
        active["group"] = "all"
    else:
        active["group"] = active["customer_id"].map(groups).fillna("(unknown)").to_numpy()
    # period k+1 is *later* than k in calendar time, i.e. index k-1 in our count-back numbering
    code = pd.factorize(active["customer_id"])[0].astype(np.int64)
    key = code * (complete + 1) + active["period"].to_numpy()
    later = np.isin(key - 1, key) & (active["period"].to_numpy() >= 1)
    at_risk = active["period"] >= 1
    frame = pd.DataFrame(
        {
            "group": active["group"],
            "current": active["period"] == 0,
            "at_risk": at_risk,
            "retained": at_risk & later,
            "amount": active["amount"],
        }
    )
    table = frame.groupby("group", sort=True).agg(
        customers=("current", "sum"),
        active=("at_risk", "sum"),
        retained=("retained", "sum"),
        revenue_per_active=("amount", "mean"),
    )
    table["retention"] = table["retained"] / table["active"].where(table["active"] > 0)
    table.index.name = None if groups is None else (groups.name or "group")
    return table[["customers", "active", "retained", "retention", "revenue_per_active"]].astype(
        {"customers": int, "active": int, "retained": int}
    )


def equity_by_group(
    transactions: pd.DataFrame,
    groups: pd.Series | None = None,
    *,
    margin_rate: float = 0.3,
    discount_rate: float = 0.1,
    unit: str = "Y",
    window: str = "Y",
    horizon: int | None = None,
    acquisition_cost: pd.Series | None = None,
    observation_end: Any = None,
) -> pd.DataFrame:
    r"""Customer equity of the current base per group, with retention and margin estimated from the log.

    This is :func:`customer_equity` with its two choices fixed by the log: the current base is the customers
    who bought in the last ``window`` before ``observation_end``, and every customer of a group gets the
    group's estimated margin and retention.

    For each group :math:`g` (e.g. acquisition channel), :func:`estimate_retention` over activity
    windows of length ``window`` gives the retention rate :math:`\hat r_g` per window and the revenue
    per active customer and window :math:`\bar s_g`. They are put on the period ``unit`` with
    :math:`k` = unit / window (:func:`convert_rate`; the margin is assumed to be spread evenly in time),
    the yearly discount rate :math:`i_Y` likewise, and

    .. math::

        r = \hat r_g^{\,k}, \quad m_g = k\,\mu\,\bar s_g, \quad i = (1+i_Y)^{u/365.25} - 1, \qquad
        \text{CLV}_g = m_g\,\frac{r}{1+i-r}, \qquad \text{CE}_g = N_g\,\text{CLV}_g

    with :math:`\mu` the margin rate, :math:`u` the length of ``unit`` in days and :math:`N_g` the
    group's current customers (active in the last window). They have just been active, so their next
    margin comes at the end of the next period (the Gupta-Lehmann timing). With ``acquisition_cost``
    (per customer), the table also gives the mean cost of winning a customer of the group and the value
    at acquisition of a new one, :math:`m_g (1+i)/(1+i-r) - \overline{AC}_g` (first margin with the
    first purchase).

    Why two lengths: in a non-contractual business an activity window must be long enough that a
    customer who is still there almost surely buys in it (a year for most retail), or skipping a month
    is mistaken for leaving. The CLV sum can still run in months (``unit="M"``); then margins arrive
    monthly and a leaver stops mid-year, so the CLV is higher than with yearly periods, where a customer
    lost during the year is assumed to bring nothing that year.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    groups : Series, optional
        Group of each customer, indexed by ``customer_id``; None = one group ``"all"``.
    margin_rate : float
        Gross margin as a share of revenue, in [0, 1].
    discount_rate : float
        Discount rate **per year**, in [0, 1).
    unit : {"Y", "M", "W", "D"}
        Period of the CLV sum (and of ``retention``, ``margin`` and ``horizon`` in the output).
    window : {"Y", "M", "W", "D"}
        Length of the activity windows for estimating retention (default a year).
    horizon : int, optional
        Periods of ``unit`` counted (None: no end).
    acquisition_cost : Series, optional
        Cost of acquiring each customer, indexed by ``customer_id``.
    observation_end : date-like, optional

    Returns
    -------
    DataFrame indexed by group, sorted by equity: ``customers``, ``retention`` and ``margin`` (per
    period of ``unit``), ``clv`` (per current customer), ``equity``, ``share``, and with
    ``acquisition_cost`` also ``acquisition_cost`` and ``value_at_acquisition``.

    References
    ----------
    Gupta and Lehmann (2003); Gupta, Lehmann and Stuart (2004); Blattberg, Getz and Thomas (2001).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
    ...     "date": pd.to_datetime(["2022-01-01", "2023-01-05", "2022-02-01", "2022-03-01", "2023-06-01"]),
    ...     "amount": [10.0, 30.0, 20.0, 5.0, 15.0]})
    >>> equity_by_group(tx, margin_rate=0.5, observation_end="2023-12-31").round(3)
         customers  retention  margin     clv  equity  share
    all          2      0.667     8.0  12.308  24.615    1.0
    """
    func = "equity_by_group"
    rate = check_number(margin_rate, "margin_rate", func=func, low=0, high=1, hint=_MARGIN_HINT)
    yearly = _discount(discount_rate, func)
    unit = check_unit(unit, func=func)
    window = check_unit(window, "window", func=func)
    horizon = _horizon(horizon, func)
    est = estimate_retention(transactions, groups=groups, unit=window, observation_end=observation_end)
    k = UNIT_DAYS[unit] / UNIT_DAYS[window]
    i = convert_rate(yearly, "Y", unit)
    out = pd.DataFrame(index=est.index)
    out["customers"] = est["customers"]
    out["retention"] = est["retention"] ** k
    out["margin"] = est["revenue_per_active"] * rate * k
    r = out["retention"].to_numpy(float)
    m = out["margin"].to_numpy(float)
    out["clv"] = _clv_vector(m, r, i, horizon, "after_one_period")
    out["equity"] = out["customers"] * out["clv"]
    total = out["equity"].sum()
    out["share"] = out["equity"] / total if total else np.nan
    if acquisition_cost is not None:
        if not isinstance(acquisition_cost, pd.Series):
            raise ParameterError(
                f"The 'acquisition_cost' parameter of {func} must be a Series indexed by customer_id. "
                f"Got {type(acquisition_cost).__name__} instead."
            )
        cost = pd.to_numeric(acquisition_cost, errors="coerce")
        if groups is None:
            mean_cost = pd.Series({"all": cost.mean()})
        else:
            mean_cost = cost.groupby(groups.reindex(cost.index).fillna("(unknown)")).mean()
        out["acquisition_cost"] = mean_cost.reindex(out.index)
        out["value_at_acquisition"] = _clv_vector(m, r, i, horizon, "now") - out["acquisition_cost"].to_numpy(float)
    out.attrs.update({"unit": unit, "window": window, "discount_rate_per_unit": i})
    return out.sort_values("equity", ascending=False)


# --------------------------------------------------------------------------------------------------
# Reichheld-Sasser: why loyal customers are more profitable (illustrative)
# --------------------------------------------------------------------------------------------------

PROFIT_SOURCES = ("base_profit", "increased_purchases", "reduced_operating_costs", "referrals", "price_premium")
"""The five sources of profit per customer in Reichheld and Sasser (1990)."""

ILLUSTRATIVE_PROFIT_GROWTH: dict[str, float] = {
    "base_profit": 100.0,
    "increased_purchases": 14.0,
    "reduced_operating_costs": 6.0,
    "referrals": 5.0,
    "price_premium": 4.0,
}
"""ILLUSTRATIVE assumptions (not data) for :func:`profit_over_time`, in index points (year 1 = 100).

``base_profit`` is the profit a customer brings in every year, including the first; each other source
adds its value once for every year of tenure after the first (so in year :math:`t` it contributes
``value * (t - 1)``). The numbers are made up to show the shape of Reichheld and Sasser's argument; they
are not the figures of their article."""


def profit_over_time(
    years: int = 5,
    *,
    assumptions: Mapping[str, float] | None = None,
    acquisition_cost: float | None = None,
) -> pd.DataFrame:
    r"""Profit per customer by year and by source, in the spirit of Reichheld and Sasser (1990).

    Reichheld and Sasser's figure plots the profit one customer brings in years 1 to 5 of the
    relationship, indexed to year 1 = 100, for credit cards, industrial laundry, industrial
    distribution and car servicing: in every industry it rises with tenure. They trace the rise to four
    sources on top of the base profit: increased purchases (and balances), reduced operating costs
    (a known customer is cheaper to serve), referrals, and a price premium (loyal customers are less
    price-sensitive). This function builds an ILLUSTRATIVE table of that decomposition from stated
    assumptions:

    .. math::

        \pi_{t,\text{base}} = b, \qquad \pi_{t,s} = g_s\,(t - 1) \text{ for every other source } s,
        \qquad \pi_t = \sum_s \pi_{t,s}

    so year 1 is the base profit (100 with the default assumptions, the index base). An optional
    acquisition cost appears as a negative base profit in year 0.

    Parameters
    ----------
    years : int
        Number of years of tenure (>= 1).
    assumptions : mapping, optional
        Keys among :data:`PROFIT_SOURCES`; ``base_profit`` is the yearly base, the other values the
        yearly increment of each source. Missing keys take the value of
        :data:`ILLUSTRATIVE_PROFIT_GROWTH`.
    acquisition_cost : float, optional
        If given (>= 0), a year-0 row with ``base_profit = -acquisition_cost``.

    Returns
    -------
    DataFrame indexed by ``year``, one column per source; ``.attrs["illustrative"] = True`` and
    ``.attrs["assumptions"]`` carry the assumptions used.

    References
    ----------
    Reichheld, F. F. and Sasser, W. E. (1990). Zero defections: quality comes to services. *Harvard
    Business Review* 68(5), 105-111. Reichheld, F. F. (1996). *The Loyalty Effect*.

    Examples
    --------
    >>> print(profit_over_time(3).to_string())  # doctest: +NORMALIZE_WHITESPACE
          base_profit  increased_purchases  reduced_operating_costs  referrals  price_premium
    year
    1           100.0                  0.0                      0.0        0.0            0.0
    2           100.0                 14.0                      6.0        5.0            4.0
    3           100.0                 28.0                     12.0       10.0            8.0
    """
    func = "profit_over_time"
    years = int(check_number(years, "years", func=func, low=1, integer=True))
    spec = dict(ILLUSTRATIVE_PROFIT_GROWTH)
    for key, value in (assumptions or {}).items():
        check_choice(key, "assumptions key", PROFIT_SOURCES, func=func)
        spec[key] = check_number(value, f"assumptions[{key!r}]", func=func)
    t = np.arange(1, years + 1)
    data = {s: (np.full(years, spec[s]) if s == "base_profit" else spec[s] * (t - 1.0)) for s in PROFIT_SOURCES}
    table = pd.DataFrame(data, index=pd.Index(t, name="year"))
    if acquisition_cost is not None:
        ac = check_number(acquisition_cost, "acquisition_cost", func=func, low=0)
        year0 = pd.DataFrame(
            {s: [-ac if s == "base_profit" else 0.0] for s in PROFIT_SOURCES}, index=pd.Index([0], name="year")
        )
        table = pd.concat([year0, table])
    table.attrs["illustrative"] = True
    table.attrs["assumptions"] = spec
    return table


# --------------------------------------------------------------------------------------------------
# per-customer measures of value to the firm, from the transaction log
# --------------------------------------------------------------------------------------------------


def _customer_series(value: Any, name: str, index: pd.Index, func: str) -> np.ndarray:
    """A number for everyone, or a Series indexed by customer_id (missing customers -> error)."""
    if isinstance(value, pd.Series):
        aligned = value.reindex(index)
        missing = aligned.isna()
        if missing.any():
            raise DataError(
                f"{func}: {name} has no value for {int(missing.sum())} customers of the log "
                f"(first: {index[missing.to_numpy()][:5].tolist()}). Give a Series indexed by customer_id covering "
                "every customer, or one number for everyone."
            )
        return aligned.to_numpy(dtype=float)
    return np.full(len(index), check_number(value, name, func=func, low=0))


def customer_value_measures(
    transactions: pd.DataFrame,
    *,
    margin_rate: float = 0.3,
    cost_per_purchase: float = 0.0,
    acquisition_cost: float | pd.Series = 0.0,
    observation_end: Any = None,
    unit: str = "Y",
) -> pd.DataFrame:
    r"""Measures of each customer's value to the firm, from the transaction log.

    Per customer (purchases aggregated to the day, as everywhere in the kit):

    * ``purchases``: purchase days :math:`n`; ``revenue``: total amount :math:`R`;
    * ``purchase_amount``: mean amount per purchase day, :math:`R/n`;
    * ``tenure``: observation end minus first purchase, in ``unit``;
    * ``purchase_frequency``: purchases per ``unit`` of tenure, :math:`n / \max(\text{tenure}, 1\text{ day})`;
    * ``repeat``: whether the customer bought again (:math:`n \ge 2`);
    * ``relationship_length``: last minus first purchase, in ``unit``;
    * ``days_since_last``: days from the last purchase to the observation end;
    * ``net_contribution``: :math:`R \times \text{margin rate} - n \times \text{cost per purchase} - \text{AC}`, the
      profit since acquisition of :func:`customer_profit`.

    The share of customers with ``repeat`` is the repeat rate of the base.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).
    margin_rate : float
        Gross margin as a share of revenue, in [0, 1].
    cost_per_purchase : float
        Cost of serving one purchase occasion (handling, delivery), money.
    acquisition_cost : float or Series
        Cost of acquiring each customer: one number, or a Series indexed by ``customer_id``
        (e.g. ``load_customers()["acquisition_cost"]``).
    observation_end : date-like, optional
        Default: the last date in the data.
    unit : {"D", "W", "M", "Y"}
        Unit of ``tenure``, ``relationship_length`` and ``purchase_frequency``.

    Returns
    -------
    DataFrame indexed by ``customer_id``.

    References
    ----------
    Kumar and Reinartz (2018) (customer-based value metrics: size and share of wallet,
    frequency, recency, past customer value); Berger and Nasr (1998).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-07-01", "2024-03-01"]), "amount": [100.0, 50.0, 80.0]})
    >>> m = customer_value_measures(tx, margin_rate=0.5, cost_per_purchase=10, observation_end="2024-12-31")
    >>> m[["purchases", "revenue", "purchase_amount", "repeat", "net_contribution"]]  # doctest: +NORMALIZE_WHITESPACE
                 purchases  revenue  purchase_amount  repeat  net_contribution
    customer_id
    a                    2    150.0             75.0    True              55.0
    b                    1     80.0             80.0   False              30.0
    """
    func = "customer_value_measures"
    rate = check_number(margin_rate, "margin_rate", func=func, low=0, high=1, hint=_MARGIN_HINT)
    cost = check_number(cost_per_purchase, "cost_per_purchase", func=func, low=0)
    unit = check_unit(unit, func=func)
    end = check_date(observation_end, "observation_end", func=func)
    tx = check_canonical(transactions, func)
    if len(tx) == 0:
        raise DataError(f"{func}: the transactions are empty; there is nothing to measure.")
    if end is None:
        end = tx["date"].max().normalize()
    tx = tx.loc[tx["date"] <= end, ["customer_id", "date", "amount"]]
    daily = tx.assign(date=tx["date"].dt.normalize()).groupby(["customer_id", "date"], sort=True)["amount"]
    daily = daily.sum().reset_index()
    g = daily.groupby("customer_id", sort=True)
    first = g["date"].min()
    last = g["date"].max()
    out = pd.DataFrame({"purchases": g.size().astype(int), "revenue": g["amount"].sum()})
    out.index.name = "customer_id"
    days = UNIT_DAYS[unit]
    out["purchase_amount"] = out["revenue"] / out["purchases"]
    out["tenure"] = (end - first).dt.days / days
    out["purchase_frequency"] = out["purchases"] / np.maximum((end - first).dt.days, 1) * days
    out["repeat"] = out["purchases"] >= 2
    out["relationship_length"] = (last - first).dt.days / days
    out["days_since_last"] = (end - last).dt.days.astype(int)
    out["first_purchase"] = first
    out["last_purchase"] = last
    _customer_series(acquisition_cost, "acquisition_cost", out.index, func)  # its message names this function
    out["gross_margin"] = out["revenue"] * rate
    # the one definition of a customer's profit (customer_profit), here since acquisition
    out["net_contribution"] = customer_profit(
        tx, margin_rate=rate, cost_per_purchase=cost, acquisition_cost=acquisition_cost, observation_end=end
    ).reindex(out.index)
    out.attrs.update({"unit": unit, "observation_end": end, "margin_rate": rate})
    return out


POTENTIAL_ASSUMPTIONS: dict[str, Any] = {
    "reachable_frequency": None,
    "cross_sell_uplift": 0.10,
    "referral_uplift": 0.05,
}
"""Stated assumptions of the potential value in :func:`value_components` (ILLUSTRATIVE defaults).

``reachable_frequency``: purchase days per year an engaged customer makes (None: the median number of purchase
days in the last year among the customers who bought in it, i.e. the pace of a typical active customer);
``cross_sell_uplift``: extra margin from selling other categories, as a share of the reachable margin;
``referral_uplift``: margin of the customers they would refer, as a share of their own."""

YEAR_DAYS = 365.25
"""Length of the year (days) over which the current value's run rate is measured."""


def _share_series(value: Any, name: str, index: pd.Index, func: str) -> np.ndarray:
    """A share in [0, 1] for everyone, or a Series of shares indexed by customer_id covering every customer."""
    if isinstance(value, pd.Series):
        values = _customer_series(value, name, index, func)
        bad = ~((values >= 0) & (values <= 1))
        if bad.any():
            raise ParameterError(
                f"The {name!r} parameter of {func} must hold shares in [0, 1] (0.3 for 30%); "
                f"{int(bad.sum())} customers are outside (first: {index[bad][:5].tolist()})."
            )
        return values
    share = check_number(value, name, func=func, low=0, high=1, hint="It is a share of revenue: 0.3 for 30%.")
    return np.full(len(index), float(share))


def _purchase_day_log(transactions: pd.DataFrame, func: str, observation_end: Any, start: Any = None):
    """The canonical log to ``observation_end`` (default its last day) as purchase days: (days, end)."""
    end = check_date(observation_end, "observation_end", func=func)
    begin = check_date(start, "start", func=func)
    tx = check_canonical(transactions, func)
    if len(tx) == 0:
        raise DataError(f"{func}: the transactions are empty; there is nothing to value.")
    if end is None:
        end = tx["date"].max().normalize()
    keep = tx["date"] <= end
    if begin is not None:
        keep &= tx["date"] > begin
    tx = tx.loc[keep, ["customer_id", "date", "amount"]]
    days = tx.assign(date=tx["date"].dt.normalize()).groupby(["customer_id", "date"], sort=True)["amount"]
    days = days.sum().reset_index()
    return days, end


def customer_profit(
    transactions: pd.DataFrame,
    *,
    margin_rate: float | pd.Series = 0.3,
    cost_per_purchase: float = 0.0,
    service_cost: float | pd.Series = 0.0,
    acquisition_cost: float | pd.Series = 0.0,
    start: Any = None,
    observation_end: Any = None,
) -> pd.Series:
    r"""Profit of each customer: the measure that ranks the customer pyramid.

    The kit's one definition of a customer's profit to the firm over a period (by default the whole log):

    .. math::

        \pi_i = \mu_i R_i - c\,n_i - S_i - A_i

    with :math:`R_i` the revenue and :math:`n_i` the purchase days of customer :math:`i` in the period,
    :math:`\mu_i` the gross margin rate (``margin_rate``, one share for everyone or one per customer),
    :math:`c` the cost of serving one purchase day (``cost_per_purchase``: handling, delivery),
    :math:`S_i` the customer's other cost to serve (``service_cost``: e.g. service contacts times their unit
    cost) and :math:`A_i` the acquisition cost (``acquisition_cost``; default 0, since for a customer already
    won it is sunk: pass it to rank by the profit since acquisition). All in money; the measure is a sum over
    the period, not a rate.

    Customer profitability of this kind -- margin minus the cost to serve, customer by customer -- is what
    Zeithaml, Rust and Lemon (2001) rank the customer pyramid by, and what Kaplan and Cooper's (1998) whale
    curve accumulates: some customers cost more to serve than they bring (:math:`\pi_i < 0`). Rank the pyramid
    of :func:`crmlib.tiers.pyramid` and the tiers of :func:`crmlib.tiers.profitability_tiers` by it.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).
    margin_rate : float or Series
        Gross margin as a share of revenue, in [0, 1]; a Series indexed by ``customer_id`` gives each
        customer's own rate (e.g. ``load_customers().set_index("customer_id")["margin_rate"]``).
    cost_per_purchase : float
        Cost of serving one purchase day (money, >= 0).
    service_cost : float or Series
        Other cost to serve per customer over the period (money): one number for everyone, or a Series indexed
        by ``customer_id``.
    acquisition_cost : float or Series
        Cost of acquiring each customer (money); default 0 (sunk).
    start : date-like, optional
        Count purchases after this day only (e.g. the last year: ``observation_end - 365 days``).
    observation_end : date-like, optional
        Last day counted; default the last date in the data.

    Returns
    -------
    Series
        ``profit`` per customer (money), indexed by ``customer_id`` (customers with a purchase in the period).
        ``attrs`` holds the settings used.

    References
    ----------
    Zeithaml, V. A., Rust, R. T. and Lemon, K. N. (2001). The customer pyramid: creating and serving profitable
    customers. *California Management Review* 43(4), 118-142. Kaplan, R. S. and Cooper, R. (1998). *Cost and
    Effect*. Harvard Business School Press.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-07-01", "2024-03-01"]), "amount": [100.0, 50.0, 80.0]})
    >>> customer_profit(tx, margin_rate=0.5, cost_per_purchase=10, service_cost=pd.Series({"a": 0.0, "b": 40.0}))
    customer_id
    a    55.0
    b   -10.0
    Name: profit, dtype: float64
    """
    func = "customer_profit"
    cost = check_number(cost_per_purchase, "cost_per_purchase", func=func, low=0)
    days, end = _purchase_day_log(transactions, func, observation_end, start)
    g = days.groupby("customer_id", sort=True)["amount"]
    revenue = g.sum()
    purchases = g.size()
    index = revenue.index
    mu = _share_series(margin_rate, "margin_rate", index, func)
    service = _customer_series(service_cost, "service_cost", index, func)
    ac = _customer_series(acquisition_cost, "acquisition_cost", index, func)
    profit = pd.Series(mu * revenue.to_numpy() - cost * purchases.to_numpy() - service - ac, index=index, name="profit")
    profit.index.name = "customer_id"
    profit.attrs.update({"observation_end": end, "start": start, "cost_per_purchase": cost})
    return profit


def _horizon_factor(retention: float, discount_rate: float, horizon_years: float | None, func: str) -> float:
    """D = sum_{t=1}^{H} q^t = q (1 - q^H) / (1 - q), q = r / (1 + i); r / (1 + i - r) without a horizon.

    A fractional H (18 months = 1.5 years) uses the same closed form (Gupta and Lehmann 2003).
    """
    if horizon_years is None:
        _check_converges(retention, discount_rate, 0.0, func)
        return retention / (1.0 + discount_rate - retention)
    q = retention / (1.0 + discount_rate)
    if np.isclose(q, 1.0):
        return float(horizon_years)
    return float(q * (1.0 - q**horizon_years) / (1.0 - q))


def value_components(
    transactions: pd.DataFrame,
    *,
    margin_rate: float | pd.Series = 0.3,
    discount_rate: float = 0.1,
    horizon_years: float | None = 3,
    retention: float = 1.0,
    assumptions: Mapping[str, Any] | None = None,
    reachable: pd.Series | None = None,
    observation_end: Any = None,
) -> pd.DataFrame:
    r"""Historical, current and potential value of each customer: the kit's one definition of each.

    Lifetime value has three parts (the course material, after Kumar and Reinartz 2018): what the customer has
    brought, what their present behaviour will bring if it does not change, and what more engagement,
    cross-selling and referrals could add. On a transaction log, for customer :math:`j` at the observation end
    (all money in margin, rates per year):

    * **Historical value**: the margin realised so far, :math:`H_j = \mu_j R_j`.
    * **Current value**: the present behaviour continued. With :math:`a_j` the revenue of the last year (the
      365.25 days up to the observation end; a customer acquired within the year has had less than a year)
      and ``run_rate`` :math:`\mu_j a_j`, kept with probability ``retention`` :math:`r` per year and discounted
      at ``discount_rate`` :math:`i` for ``horizon_years`` :math:`H` years:

      .. math:: C_j = D\,\mu_j a_j, \qquad D = \sum_{t=1}^{H} \left(\frac{r}{1+i}\right)^t
                \quad \left(D = \frac{r}{1+i-r} \text{ without a horizon}\right)

      A customer who bought nothing in the last year has no current value (most customers of a long log).
    * **Potential value**: what the customer could *add* to the current value -- buying at a reachable level
      :math:`g_j` (revenue per year) instead of :math:`a_j`, plus the stated cross-selling and referral uplifts
      :math:`u` on the reachable level, valued like the current value:

      .. math:: P_j = D\,\mu_j \left[(g_j - a_j)^+ + u \max(g_j, a_j)\right], \qquad
                g_j = \max\left(b_j,\ o_j f^*\right)

      where :math:`b_j` is the customer's best year so far (the most revenue in one of the yearly windows
      counted back from the observation end), :math:`o_j` their mean revenue per purchase day and :math:`f^*`
      the reachable purchase days per year (``reachable_frequency``; default the median of the customers who
      bought in the last year). So :math:`g_j` is the larger of what the customer has shown and what their own
      order size would bring at a typical active customer's pace; pass ``reachable`` (revenue per year, e.g.
      share-of-wallet data: wallet size times the share the firm could reach) to replace the proxy. Potential
      is not a forecast: it is the stake of acting (re-activating, engaging, cross-selling), under stated
      assumptions.

    The three parts add up to ``lifetime_value`` :math:`H_j + C_j + P_j`. A model-based forecast of future
    value (BG/NBD x Gamma-Gamma, :func:`crmlib.models.customer_lifetime_value`) is a different quantity: it
    expects the present behaviour to fade as customers drop out, where current value holds it for the horizon.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    margin_rate : float or Series
        Gross margin as a share of revenue, in [0, 1]; a Series indexed by ``customer_id`` gives each
        customer's own rate.
    discount_rate : float
        Per year, in [0, 1).
    horizon_years : float or None
        Years of behaviour counted (> 0; 1.5 for 18 months); None = no end (then ``retention`` must be below
        1 + discount rate).
    retention : float
        Probability per year that the behaviour goes on (1 = unchanged for sure, the definition of current
        value; below 1 for a more prudent figure).
    assumptions : mapping, optional
        Overrides for :data:`POTENTIAL_ASSUMPTIONS`.
    reachable : Series, optional
        Reachable revenue per year of each customer, indexed by ``customer_id``; replaces :math:`g_j`.
    observation_end : date-like, optional
        Default: the last date in the data.

    Returns
    -------
    DataFrame indexed by ``customer_id`` with ``historical_value``, ``run_rate`` (margin of the last year),
    ``reachable_rate`` (:math:`\mu_j g_j`, margin per year), ``current_value``, ``potential_value`` and
    ``lifetime_value`` (money). ``attrs`` holds ``observation_end``, ``reachable_frequency`` (:math:`f^*`, purchase
    days per year), ``factor`` (:math:`D`) and the settings.

    References
    ----------
    Kumar, V. and Reinartz, W. (2018). *Customer Relationship Management*, 3rd ed., Springer (past customer
    value; size and share of wallet); Gupta, S. and Lehmann, D. R. (2003). Customers as assets. *Journal of
    Interactive Marketing* 17(1), 9-24 (the retention multiplier). The historical / current / potential split
    follows the course material.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2023-01-01", "2024-06-01", "2023-03-01"]), "amount": [100.0, 200.0, 80.0]})
    >>> v = value_components(tx, margin_rate=0.5, discount_rate=0.0, horizon_years=2, observation_end="2024-12-31",
    ...                      assumptions={"reachable_frequency": 2, "cross_sell_uplift": 0, "referral_uplift": 0})
    >>> parts = ["historical_value", "run_rate", "current_value", "potential_value"]
    >>> v[parts].round(1)  # doctest: +NORMALIZE_WHITESPACE
                 historical_value  run_rate  current_value  potential_value
    customer_id
    a                       150.0     100.0          200.0            100.0
    b                        40.0       0.0            0.0            160.0

    ``a`` could reach 300 a year (150 per purchase day at the reachable 2 days a year) and brings 200: potential
    2 years x 0.5 x 100. ``b`` has bought nothing for a year (no current value); at 80 per purchase day, twice a
    year, they could bring 160 a year: potential 2 x 0.5 x 160.
    """
    func = "value_components"
    i = _discount(discount_rate, func)
    h = None if horizon_years is None else check_number(
        horizon_years, "horizon_years", func=func, low=0, low_open=True, hint="Use None for no end."
    )
    r = _retention(retention, func)
    spec = dict(POTENTIAL_ASSUMPTIONS)
    for key, value in (assumptions or {}).items():
        check_choice(key, "assumptions key", tuple(POTENTIAL_ASSUMPTIONS), func=func)
        spec[key] = value
    cross = check_number(spec["cross_sell_uplift"], "cross_sell_uplift", func=func, low=0)
    referral = check_number(spec["referral_uplift"], "referral_uplift", func=func, low=0)
    factor = _horizon_factor(r, i, h, func)
    days, end = _purchase_day_log(transactions, func, observation_end)
    g = days.groupby("customer_id", sort=True)["amount"]
    revenue = g.sum()
    index = revenue.index
    order_value = (revenue / g.size()).to_numpy()
    mu = _share_series(margin_rate, "margin_rate", index, func)
    window = np.floor((end - days["date"]).dt.days.to_numpy() / YEAR_DAYS).astype(np.int64)  # 0 = the last year
    by_window = days.assign(window=window).groupby(["customer_id", "window"], sort=True)["amount"].agg(["sum", "size"])
    last = by_window.xs(0, level="window") if (window == 0).any() else by_window.iloc[:0].droplevel("window")
    a = last["sum"].reindex(index, fill_value=0.0).to_numpy()
    recent_days = last["size"].reindex(index, fill_value=0).to_numpy()
    if spec["reachable_frequency"] is None:
        f_star = float(np.median(recent_days[recent_days > 0])) if (recent_days > 0).any() else 1.0
    else:
        f_star = float(check_number(spec["reachable_frequency"], "reachable_frequency", func=func, low=0))
    if reachable is None:
        best = by_window["sum"].groupby(level="customer_id").max().reindex(index).to_numpy()
        reach = np.maximum(best, order_value * f_star)
    else:
        if not isinstance(reachable, pd.Series):
            raise ParameterError(
                f"The 'reachable' parameter of {func} must be a Series of revenue per year indexed by customer_id. "
                f"Got {type(reachable).__name__} instead."
            )
        reach = _customer_series(reachable, "reachable", index, func)
    potential = factor * mu * (np.maximum(reach - a, 0.0) + (cross + referral) * np.maximum(reach, a))
    out = pd.DataFrame(
        {
            "historical_value": mu * revenue.to_numpy(),
            "run_rate": mu * a,
            "reachable_rate": mu * reach,
            "current_value": factor * mu * a,
            "potential_value": potential,
        },
        index=index,
    )
    out["lifetime_value"] = out["historical_value"] + out["current_value"] + out["potential_value"]
    out.index.name = "customer_id"
    out.attrs.update({
        "observation_end": end, "reachable_frequency": f_star, "factor": factor, "retention": r,
        "discount_rate": i, "horizon_years": h, "cross_sell_uplift": cross, "referral_uplift": referral,
    })
    return out
