"""Recency, frequency and monetary value: the per-customer summary every model starts from.

The conventions are those of Fader, Hardie and Lee (2005a, 2005b), so their published estimates are
reproduced from raw transactions:

* transactions are aggregated to the calendar day (one purchase occasion per customer and day);
* ``frequency`` is the number of *repeat* purchase days (purchase days minus one);
* ``recency`` is the time from the first to the last purchase day, ``T`` the time from the first
  purchase day to the end of observation, both in the chosen ``unit``;
* ``monetary_value`` is the mean amount of the repeat purchase days (the first purchase is left
  out, as the Gamma-Gamma model requires); 0 for customers with no repeat purchase.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005a). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib._units import unit_days
from crmlib.data import DataError, check_canonical
from crmlib.params import ParameterError, check_date, check_unit

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


@dataclass(frozen=True)
class _PurchaseDays:
    """Transactions collapsed to one row per customer and day, sorted by customer then day."""

    customers: pd.Index  # sorted unique customer ids
    code: np.ndarray  # customer position for each purchase day
    day: np.ndarray  # days since 1970-01-01 (int64)
    amount: np.ndarray  # summed amount of the day (float64)


def _purchase_days(transactions: pd.DataFrame, *, start=None, end=None, func: str) -> _PurchaseDays:
    tx = check_canonical(transactions, func)
    days = tx["date"].to_numpy("datetime64[ns]").astype("datetime64[D]").astype(np.int64)
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
    codes, customers = pd.factorize(ids, sort=True)
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
            "Fill or drop them before summarizing."
        )
    if len(days) == 0:
        return _PurchaseDays(pd.Index(customers), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    dmin = days.min()
    span = int(days.max() - dmin) + 1
    key = codes.astype(np.int64) * span + (days - dmin)
    unique_key, inverse = np.unique(key, return_inverse=True)
    amount = np.bincount(inverse.ravel(), weights=amounts, minlength=len(unique_key))
    return _PurchaseDays(
        customers=pd.Index(customers, name="customer_id"),
        code=unique_key // span,
        day=unique_key % span + dmin,
        amount=amount,
    )


def _empty_summary(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in (*SUMMARY_COLUMNS, *extra)})
    frame["frequency"] = frame["frequency"].astype(np.int64)
    frame.index.name = "customer_id"
    return frame


def summarize(
    transactions: pd.DataFrame, *, observation_end=None, unit: str = "D"
) -> pd.DataFrame:
    r"""One row per customer: frequency, recency, T and monetary value.

    Parameters
    ----------
    transactions : DataFrame
        The canonical frame of :func:`crmlib.data.read_transactions` (``customer_id``, ``date``,
        ``amount``). Several rows of one customer on one day count as one purchase occasion whose
        amount is their sum.
    observation_end : date-like, optional
        Last day of observation (inclusive). Transactions after it are left out. Default: the
        last date in the data.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency`` and ``T``: days, weeks (7 days), months (30.4375 days), years (365.25 days).

    Returns
    -------
    DataFrame
        Index ``customer_id`` (sorted); columns ``frequency`` (int, repeat purchase days),
        ``recency`` and ``T`` (float, in ``unit``) and ``monetary_value`` (mean amount of the
        repeat purchase days, 0 where ``frequency`` is 0). For customer :math:`i` with purchase
        days :math:`t_{i0} < t_{i1} < \dots < t_{ix}` and day amounts :math:`z_{ij}`:

        .. math::

            x_i = \text{days} - 1, \quad t_x = (t_{ix} - t_{i0}) / u, \quad
            T_i = (\tau - t_{i0}) / u, \quad m_i = \frac{1}{x_i} \sum_{j=1}^{x_i} z_{ij}

        where :math:`\tau` is ``observation_end`` and :math:`u` the length of the unit in days.

    References
    ----------
    Fader, Hardie and Lee (2005a), section 2; Fader, Hardie and Lee (2005b), section 3.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]),
    ...                    "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> summarize(tx, observation_end="2024-01-29", unit="W")
                 frequency  recency    T  monetary_value
    customer_id
    a                    1      2.0  4.0            20.0
    b                    0      0.0  3.0             0.0
    """
    func = "summarize"
    unit = check_unit(unit, func=func)
    end = check_date(observation_end, "observation_end", func=func)
    tx = check_canonical(transactions, func)
    if end is None:
        if len(tx) == 0:
            raise DataError("summarize: the transactions are empty; there is nothing to summarize.")
        end = tx["date"].max().normalize()
    pdays = _purchase_days(tx, end=end, func=func)
    return _summary_from_days(pdays, end, unit)


def _summary_from_days(pdays: _PurchaseDays, end, unit: str) -> pd.DataFrame:
    if len(pdays.code) == 0:
        return _empty_summary()
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
    return summary


def calibration_holdout(
    transactions: pd.DataFrame, *, calibration_end, observation_end=None, unit: str = "D"
) -> pd.DataFrame:
    r"""Summary of a calibration period plus what each customer did in the holdout period.

    Parameters
    ----------
    transactions : DataFrame
        The canonical frame (``customer_id``, ``date``, ``amount``).
    calibration_end : date-like
        Last day of the calibration period (inclusive). Only customers whose first purchase falls
        in the calibration period are kept (the cohort the models are fitted on).
    observation_end : date-like, optional
        Last day of the holdout period (inclusive); default the last date in the data.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    DataFrame
        The :func:`summarize` columns for the calibration period plus ``frequency_holdout``
        (purchase days in the holdout period, every one counts since none is a first purchase),
        ``monetary_value_holdout`` (mean amount of those days, 0 if none) and
        ``duration_holdout`` (:math:`(\tau_{end} - \tau_{cal}) / u`, the same for everyone).

    References
    ----------
    Fader, Hardie and Lee (2005a), section 4: calibration to week 39, holdout weeks 40 to 78.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-02-05", "2024-01-02"]),
    ...                    "amount": [10.0, 20.0, 30.0, 5.0]})
    >>> calibration_holdout(tx, calibration_end="2024-01-14", observation_end="2024-02-11", unit="W")[
    ...     ["frequency", "T", "frequency_holdout", "duration_holdout"]]
                 frequency         T  frequency_holdout  duration_holdout
    customer_id
    1                    1  1.857143                  1               4.0
    2                    0  1.714286                  0               4.0
    """
    func = "calibration_holdout"
    unit = check_unit(unit, func=func)
    cal_end = check_date(calibration_end, "calibration_end", func=func, allow_none=False)
    obs_end = check_date(observation_end, "observation_end", func=func)
    tx = check_canonical(transactions, func)
    if len(tx) == 0:
        raise DataError("calibration_holdout: the transactions are empty; there is nothing to summarize.")
    if obs_end is None:
        obs_end = tx["date"].max().normalize()
    if obs_end <= cal_end:
        raise ParameterError(
            f"The 'observation_end' parameter of calibration_holdout must come after calibration_end "
            f"({cal_end.date()}). Got {obs_end.date()} instead; choose an earlier calibration_end."
        )
    first_date = tx["date"].min().normalize()
    if cal_end < first_date:
        raise ParameterError(
            f"The 'calibration_end' parameter of calibration_holdout ({cal_end.date()}) comes before the "
            f"first transaction ({first_date.date()}); no customer is in the calibration period."
        )
    summary = _summary_from_days(_purchase_days(tx, end=cal_end, func=func), cal_end, unit)
    hold = _purchase_days(tx, start=cal_end, end=obs_end, func=func)
    if len(hold.code):
        counts = pd.Series(np.bincount(hold.code, minlength=len(hold.customers)), index=hold.customers)
        sums = pd.Series(np.bincount(hold.code, weights=hold.amount, minlength=len(hold.customers)), index=hold.customers)
    else:
        counts = pd.Series(dtype=np.int64)
        sums = pd.Series(dtype=float)
    freq_h = counts.reindex(summary.index, fill_value=0).astype(np.int64)
    sum_h = sums.reindex(summary.index, fill_value=0.0)
    summary["frequency_holdout"] = freq_h.to_numpy()
    summary["monetary_value_holdout"] = np.where(freq_h > 0, sum_h / np.maximum(freq_h, 1), 0.0)
    summary["duration_holdout"] = (obs_end - cal_end).days / unit_days(unit)
    return summary
