r"""Checks of a fitted repeat-buying model against data, and per-customer views.

* :func:`holdout_comparison` -- mean holdout purchases by calibration frequency, actual and predicted;
* :func:`tracking` -- repeat purchases of the customer base period by period, actual and expected;
* :func:`repeat_frequency_table` -- customers by number of repeat purchases, actual and expected;
* :func:`probability_alive_matrix`, :func:`expected_purchases_matrix` -- the model over a frequency x recency grid;
* :func:`alive_path` -- how one customer's P(alive) evolved over her history.

They work with any model of the BG/NBD family and the Pareto/NBD (``probability_alive``,
``conditional_expected_purchases``, ``expected_purchases``; the frequency table needs ``probability_of_purchases``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib.models._base import ModelError, check_summary
from crmlib.params import check_number

__all__ = [
    "alive_path",
    "expected_purchases_matrix",
    "holdout_comparison",
    "probability_alive_matrix",
    "repeat_frequency_table",
    "tracking",
]


def _model_unit(model: Any, func: str) -> str:
    unit = getattr(model, "unit_", None)
    if unit is None:
        raise ModelError(
            f"{func}: the model does not know the time unit of its data; fit it with fit(summary, unit='W') "
            "(the unit given to crmlib.rfm.summarize)."
        )
    return unit


def holdout_comparison(model: Any, data: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    r"""Mean purchases in the holdout period, predicted and actual, by number of calibration-period repeat purchases.

    For each customer the prediction is :math:`E[Y(t^*) \mid x, t_x, T]` with :math:`t^*` the holdout
    duration; customers are grouped by calibration frequency :math:`x` (the last group holds
    ``max_frequency`` and more). This is the conditional-expectation check of FHL (2005a, figure 4).

    Parameters
    ----------
    model : BetaGeo or ParetoNBD
        Fitted on the calibration summary.
    data : DataFrame
        Output of :func:`crmlib.rfm.calibration_holdout` (``frequency``, ``recency``, ``T``,
        ``frequency_holdout``, ``duration_holdout``), in the model's unit.
    max_frequency : int
        Largest group shown separately.

    Returns
    -------
    DataFrame
        Index ``frequency`` (labels ``"0"``, ``"1"``, ... , ``"7+"``); columns ``customers``, ``actual``,
        ``predicted`` (mean holdout purchases per customer).

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> import pandas as pd
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> d = pd.DataFrame({"frequency": [0, 1, 9], "recency": [0.0, 5.0, 30.0], "T": [30.0] * 3,
    ...                   "frequency_holdout": [0, 1, 4], "duration_holdout": [39.0] * 3})
    >>> holdout_comparison(m, d, max_frequency=2).index.tolist()
    ['0', '1', '2+']
    """
    func = "holdout_comparison"
    max_frequency = int(check_number(max_frequency, "max_frequency", func=func, low=1, integer=True))
    check_summary(data, ("frequency", "recency", "T", "frequency_holdout", "duration_holdout"), func)
    model._check_fitted()
    pred = model.conditional_expected_purchases(
        data["duration_holdout"].to_numpy(float),
        data["frequency"].to_numpy(float),
        data["recency"].to_numpy(float),
        data["T"].to_numpy(float),
    )
    group = np.minimum(data["frequency"].to_numpy(int), max_frequency)
    frame = pd.DataFrame({"group": group, "actual": data["frequency_holdout"].to_numpy(float), "predicted": pred})
    table = frame.groupby("group").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    table.index = [f"{g}+" if g == max_frequency else str(g) for g in table.index]
    table.index.name = "frequency"
    return table


def tracking(
    model: Any, transactions: pd.DataFrame, *, calibration_end: Any, observation_end: Any = None
) -> pd.DataFrame:
    r"""Actual and expected repeat purchases of the whole customer base, period by period (FHL 2005a, figure 2).

    Customers enter at their first purchase day :math:`d_i` (only those who started by
    ``calibration_end``, the base the model was fitted on). By the end of day :math:`e` the base is expected to
    have made :math:`\sum_i E[X((e - d_i)/u)]` repeat purchases, :math:`E[X(t)]` being the model's expected
    purchases of a new customer and :math:`u` the unit in days; periods are the model's unit counted from
    the first day of the data.

    Parameters
    ----------
    model : BetaGeo or ParetoNBD
        Fitted, with a known ``unit_``.
    transactions : DataFrame
        The canonical frame (``customer_id``, ``date``, ``amount``).
    calibration_end, observation_end : date-like
        End of calibration (marks the customer base and is returned in ``attrs``); end of the chart
        (default the last date).

    Returns
    -------
    DataFrame
        Index ``period`` (1, 2, ...); columns ``period_end`` (date), ``actual`` and ``expected``
        (repeat purchases in the period), ``actual_cumulative`` and ``expected_cumulative``.
        ``attrs["calibration_period"]`` is the period holding ``calibration_end``.

    Examples
    --------
    >>> from crmlib.datasets import load_cdnow
    >>> from crmlib.models import BetaGeo
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}; m.unit_ = "W"
    >>> t = tracking(m, load_cdnow(), calibration_end="1997-09-30")
    >>> len(t), t.attrs["calibration_period"]
    (78, 39)
    """
    from crmlib.data import check_canonical
    from crmlib.params import UNIT_DAYS, check_date

    func = "tracking"
    model._check_fitted()
    unit = _model_unit(model, func)
    cal_end = check_date(calibration_end, "calibration_end", func=func, allow_none=False)
    tx = check_canonical(transactions, func)
    obs_end = check_date(observation_end, "observation_end", func=func)
    if obs_end is None:
        obs_end = tx["date"].max().normalize()
    days = tx["date"].to_numpy("datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    codes, _ = pd.factorize(tx["customer_id"])
    start = int(days.min())
    day = days - start
    purchase = np.unique(codes.astype(np.int64) * (int(day.max()) + 1) + day)
    p_code, p_day = purchase // (int(day.max()) + 1), purchase % (int(day.max()) + 1)
    first = pd.Series(p_day).groupby(p_code).transform("min").to_numpy()
    cal_day = (np.datetime64(cal_end.date(), "D").astype(np.int64)) - start
    end_day = (np.datetime64(obs_end.date(), "D").astype(np.int64)) - start
    in_base = first <= cal_day
    repeat = in_base & (p_day > first) & (p_day <= end_day)
    L = UNIT_DAYS[unit]
    n_periods = int(np.ceil((end_day + 1) / L - 1e-9))
    period_last_day = np.minimum(np.floor(np.arange(1, n_periods + 1) * L - 1e-9).astype(np.int64), end_day)
    bounds = np.r_[-1, period_last_day]
    actual = np.histogram(p_day[repeat], bins=bounds + 0.5)[0].astype(float)
    first_days, n_first = np.unique(first[in_base & (p_day == first)], return_counts=True)
    elapsed = (period_last_day[:, None] - first_days[None, :]) / L
    ex = model.expected_purchases(np.maximum(elapsed, 0.0))
    expected_cum = (np.where(elapsed > 0, ex, 0.0) * n_first[None, :]).sum(axis=1)
    out = pd.DataFrame(
        {
            "period_end": pd.to_datetime(start + period_last_day, unit="D"),
            "actual": actual,
            "expected": np.diff(np.r_[0.0, expected_cum]),
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": expected_cum,
        },
        index=pd.Index(np.arange(1, n_periods + 1), name="period"),
    )
    out.attrs["calibration_period"] = int(np.searchsorted(period_last_day, cal_day) + 1)
    out.attrs["unit"] = unit
    return out


def _grid_defaults(model: Any, max_frequency: int | None, T: float | None) -> tuple[int, float]:
    info = getattr(model, "fit_info_", {})
    if max_frequency is None:
        max_frequency = int(info.get("max_frequency", 20))
    if T is None:
        if "max_T" not in info:
            raise ModelError(
                "Give T (the length of observation, in the model's unit): the model was not fitted on data here."
            )
        T = float(info["max_T"])
    return int(max_frequency), float(T)


def probability_alive_matrix(
    model: Any, *, max_frequency: int | None = None, T: float | None = None, points: int = 40
) -> pd.DataFrame:
    r"""P(alive) over a grid of frequency (rows, 0..``max_frequency``) and recency (columns, 0..``T``).

    Every cell is the model's :math:`P(\text{alive} \mid x, t_x, T)` for a customer observed for ``T``
    (default: the longest ``T`` of the fitted data); the chart of FHL (2005a) and of ``lifetimes``'
    plotting module. Cells with :math:`t_x > 0` and :math:`x = 0` cannot occur and are NaN.

    Returns
    -------
    DataFrame
        Index ``frequency``; columns the recency values (model unit).

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> probability_alive_matrix(m, max_frequency=3, T=39, points=4).shape
    (4, 4)
    """
    model._check_fitted()
    max_frequency, T = _grid_defaults(model, max_frequency, T)
    x = np.arange(max_frequency + 1, dtype=float)
    rec = np.linspace(0, T, int(check_number(points, "points", func="probability_alive_matrix", low=2, integer=True)))
    values = model.probability_alive(x[:, None], rec[None, :], np.full((1, len(rec)), T))
    values = np.where((x[:, None] == 0) & (rec[None, :] > 0), np.nan, values)
    return pd.DataFrame(
        values, index=pd.Index(x.astype(int), name="frequency"), columns=pd.Index(rec.round(3), name="recency")
    )


def expected_purchases_matrix(
    model: Any,
    t: float,
    *,
    max_frequency: int | None = None,
    T: float | None = None,
    points: int = 40,
    horizon_unit: str | None = None,
) -> pd.DataFrame:
    r"""Expected purchases in the next ``t`` units over a frequency x recency grid, for customers observed for ``T``.

    Cells are :math:`E[Y(t) \mid x, t_x, T]`; NaN where :math:`x = 0` and :math:`t_x > 0`. ``t`` and ``T`` are
    in the model's unit, or ``t`` in ``horizon_unit`` ("D", "W", "M", "Y") when given.

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> expected_purchases_matrix(m, 10, max_frequency=3, T=39, points=4).shape
    (4, 4)
    """
    model._check_fitted()
    t = check_number(t, "t", func="expected_purchases_matrix", low=0, low_open=True)
    max_frequency, T = _grid_defaults(model, max_frequency, T)
    x = np.arange(max_frequency + 1, dtype=float)
    rec = np.linspace(0, T, int(check_number(points, "points", func="expected_purchases_matrix", low=2, integer=True)))
    values = model.conditional_expected_purchases(
        t, x[:, None], rec[None, :], np.full((1, len(rec)), T), horizon_unit=horizon_unit
    )
    values = np.where((x[:, None] == 0) & (rec[None, :] > 0), np.nan, values)
    return pd.DataFrame(
        values, index=pd.Index(x.astype(int), name="frequency"), columns=pd.Index(rec.round(3), name="recency")
    )


def repeat_frequency_table(model: Any, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    r"""Number of customers with 0, 1, ..., ``max_frequency``\+ repeat purchases: actual and expected by the model.

    Expected counts are :math:`\sum_i P(X(T_i) = x)` over the customers (each observed for her own
    :math:`T_i`); the last row holds the rest of the probability. FHL (2005a, figure 1). Needs a model with
    ``probability_of_purchases`` (the BG/NBD).

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> import pandas as pd
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> s = pd.DataFrame({"frequency": [0, 1, 3], "recency": [0.0, 2.0, 9.0], "T": [39.0] * 3})
    >>> float(repeat_frequency_table(m, s, max_frequency=2)["expected"].sum())
    3.0
    """
    func = "repeat_frequency_table"
    max_frequency = int(check_number(max_frequency, "max_frequency", func=func, low=1, integer=True))
    check_summary(summary, ("frequency", "T"), func)
    model._check_fitted()
    if not hasattr(model, "probability_of_purchases"):
        raise ModelError(f"{func}: {type(model).__name__} has no probability_of_purchases; use a BetaGeo model.")
    Tu, counts = np.unique(summary["T"].to_numpy(float), return_counts=True)
    ks = np.arange(max_frequency)
    probs = model.probability_of_purchases(ks[:, None], Tu[None, :])
    expected = (probs * counts[None, :]).sum(axis=1)
    expected = np.r_[expected, counts.sum() - expected.sum()]
    actual = np.bincount(np.minimum(summary["frequency"].to_numpy(int), max_frequency), minlength=max_frequency + 1)
    labels = [str(k) for k in ks] + [f"{max_frequency}+"]
    return pd.DataFrame(
        {"actual": actual.astype(float), "expected": expected}, index=pd.Index(labels, name="frequency")
    )


def alive_path(
    model: Any, transactions: pd.DataFrame, customer_id: Any, *, observation_end: Any = None
) -> pd.DataFrame:
    r"""P(alive) of one customer day by day, from her first purchase to ``observation_end``.

    On each day :math:`d` the customer's history so far is :math:`x(d)` repeat purchase days, the last at
    :math:`t_x(d)`, observed for :math:`T(d)` (durations from her first purchase in the model's unit), and the
    model gives :math:`P(	ext{alive} \mid x(d), t_x(d), T(d))`: it jumps up at each purchase and decays while
    she is silent, faster for a customer who used to buy often. The view of ``lifetimes``' ``calculate_alive_path``.

    Parameters
    ----------
    model : BetaGeo, ModifiedBetaGeo or ParetoNBD
        Fitted, with a known ``unit_``.
    transactions : DataFrame
        The canonical frame (``customer_id``, ``date``, ``amount``); several purchases on one day are one.
    customer_id
        The customer.
    observation_end : date-like, optional
        Last day of the path (default the last date in the data).

    Returns
    -------
    DataFrame
        Index ``date`` (every day); columns ``T``, ``frequency``, ``recency`` (the history on that day, model
        unit), ``purchase`` (True on purchase days) and ``probability_alive``. ``attrs``: ``customer_id``, ``unit``.

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}; m.unit_ = "W"
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a"], "amount": 1.0,
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-01"])})
    >>> path = alive_path(m, tx, "a", observation_end="2024-06-30")
    >>> bool(path["probability_alive"].iloc[-1] < path.loc["2024-02-01", "probability_alive"])
    True
    """
    from crmlib.data import check_canonical
    from crmlib.params import UNIT_DAYS, check_date

    func = "alive_path"
    model._check_fitted()
    unit = _model_unit(model, func)
    tx = check_canonical(transactions, func)
    mine = tx.loc[tx["customer_id"] == customer_id, "date"]
    if mine.empty:
        raise ModelError(f"{func}: customer {customer_id!r} has no transactions; give one of the customer_id values.")
    end = check_date(observation_end, "observation_end", func=func)
    if end is None:
        end = tx["date"].max().normalize()
    days = np.unique(mine.dt.normalize().to_numpy("datetime64[D]"))
    first = days[0]
    end_day = np.datetime64(end.date(), "D")
    if end_day < first:
        raise ModelError(f"{func}: observation_end={end.date()} is before the customer's first purchase ({first}).")
    days = days[days <= end_day]
    grid = np.arange(first, end_day + np.timedelta64(1, "D"), dtype="datetime64[D]")
    elapsed = (grid - first).astype(np.int64)
    purchase_elapsed = (days - first).astype(np.int64)
    count = np.searchsorted(purchase_elapsed, elapsed, side="right") - 1  # repeat purchases so far
    last = purchase_elapsed[np.maximum(count, 0)]
    L = UNIT_DAYS[unit]
    out = pd.DataFrame(
        {
            "T": elapsed / L,
            "frequency": count,
            "recency": np.where(count > 0, last / L, 0.0),
            "purchase": np.isin(elapsed, purchase_elapsed),
        },
        index=pd.Index(pd.to_datetime(grid), name="date"),
    )
    out["probability_alive"] = np.asarray(
        model.probability_alive(
            out["frequency"].to_numpy(float), out["recency"].to_numpy(float), out["T"].to_numpy(float)
        ),
        dtype=float,
    )
    out.attrs.update(customer_id=customer_id, unit=unit)
    return out
