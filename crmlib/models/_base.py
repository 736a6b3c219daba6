"""Fit machinery shared by the probability models: optimisation, standard errors, summary, errors.

Every model maximises an analytic log-likelihood over the logarithms of its (positive) parameters with
:func:`scipy.optimize.minimize`; identical data rows are collapsed first and enter with their count as
a weight, so a fit on half a million customers evaluates the likelihood on a few thousand rows.
Standard errors come from the numerical Hessian of the negative log-likelihood at the optimum on the
natural scale of the parameters (the inverse observed information).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from crmlib._units import UNIT_NAMES
from crmlib.data import DataError
from crmlib.params import check_number, check_unit

__all__ = [
    "ConvergenceError",
    "ModelError",
    "NotFittedError",
    "expected_purchases_matrix",
    "holdout_comparison",
    "probability_alive_matrix",
    "repeat_frequency_table",
    "tracking",
]

#: Fewest customers (or cohort members) a model is fitted on; below this the estimates mean nothing.
MIN_CUSTOMERS = 10

#: A log-parameter beyond this bound (a parameter above 6.6e7 or below 1.5e-8) means the optimiser
#: ran away to the edge of the parameter space: the data do not identify the model.
_LOG_BOUND = 18.0


class ModelError(ValueError):
    """The data cannot identify the model. The message says what is wrong with the data and what to try."""


class ConvergenceError(ModelError):
    """The optimiser did not find a maximum of the likelihood. The message says what to try."""


class NotFittedError(ModelError, AttributeError):
    """A model was used before ``fit`` was called."""


def _check_summary(summary, columns: Sequence[str], func: str) -> pd.DataFrame:
    """Check the per-customer summary frame and return it (not a copy)."""
    if not isinstance(summary, pd.DataFrame):
        raise DataError(
            f"{func} needs the per-customer summary DataFrame of crmlib.rfm.summarize (columns "
            f"{', '.join(columns)}); got {type(summary).__name__}."
        )
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise DataError(
            f"{func} needs the columns {', '.join(columns)}; missing: {', '.join(missing)}. "
            "Build the summary with crmlib.rfm.summarize(transactions, unit=...)."
        )
    for col in columns:
        values = pd.to_numeric(summary[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            rows = summary.index[bad][:5].tolist()
            raise DataError(
                f"{func}: the {col!r} column must hold finite numbers >= 0, but {int(bad.sum())} rows do not "
                f"(first customers: {rows}). Rebuild the summary with crmlib.rfm.summarize."
            )
    if "frequency" in columns:
        f = summary["frequency"].to_numpy(dtype=float)
        bad = f != np.round(f)
        if bad.any():
            rows = summary.index[bad][:5].tolist()
            raise DataError(
                f"{func}: the 'frequency' column must hold whole numbers of repeat purchases "
                f"(first customers with fractions: {rows})."
            )
    if "recency" in columns and "T" in columns:
        rec = summary["recency"].to_numpy(dtype=float)
        T = summary["T"].to_numpy(dtype=float)
        bad = rec > T * (1 + 1e-12) + 1e-12
        if bad.any():
            rows = summary.index[bad][:5].tolist()
            raise DataError(
                f"{func}: 'recency' exceeds 'T' for {int(bad.sum())} customers (first: {rows}); the last "
                "purchase cannot come after the end of observation. Rebuild the summary with the right observation_end."
            )
    return summary


def _summary_unit(summary: pd.DataFrame, unit: str | None, func: str) -> str | None:
    if unit is not None:
        return check_unit(unit, func=func)
    found = summary.attrs.get("unit") if hasattr(summary, "attrs") else None
    return check_unit(found, func=func) if found is not None else None


def _collapse(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Unique rows of the stacked columns, their counts and the inverse index."""
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    if len(stacked) == 0:
        return tuple(np.empty(0) for _ in columns), np.empty(0), np.empty(0, dtype=np.int64)
    frame = pd.DataFrame(stacked)
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    counts = np.bincount(codes)
    first = np.zeros(len(counts), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    unique = stacked[first]
    return tuple(unique[:, j] for j in range(unique.shape[1])), counts.astype(float), codes


def _numerical_hessian(fun: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of ``fun`` at ``x`` with relative steps."""
    x = np.asarray(x, dtype=float)
    k = len(x)
    h = 1e-4 * np.maximum(np.abs(x), 1e-3)
    H = np.empty((k, k))
    f0 = fun(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        H[i, i] = (fun(x + ei) - 2 * f0 + fun(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (
                fun(x + ei + ej) - fun(x + ei - ej) - fun(x - ei + ej) + fun(x - ei - ej)
            ) / (4 * h[i] * h[j])
    return H


def _central_gradient(fun: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    g = np.empty(len(x))
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h
        g[i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def _newton_polish(fun: Callable[[np.ndarray], float], x: np.ndarray, steps: int = 6, gradient=None) -> np.ndarray:
    """Newton steps with central differences on the log-parameters (the Hessian computed once).

    Quasi-Newton optimisers stop where forward-difference gradients drown in rounding; on flat
    likelihoods (e.g. the Pareto/NBD death-rate parameters) that leaves the third decimal unsettled.
    Central differences are accurate to about 1e-10 here, so Newton's method pins the maximum down.
    A step is kept only if it shrinks the gradient. With an analytic ``gradient`` the Hessian is its
    central-difference Jacobian.
    """
    grad = gradient if gradient is not None else (lambda z: _central_gradient(fun, z))
    g = grad(x)
    if not np.all(np.isfinite(g)):
        return x
    if gradient is not None:
        h = 1e-5
        H = np.column_stack([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(len(x))])
        H = (H + H.T) / 2
    else:
        H = _numerical_hessian(fun, x)
    try:
        if not np.all(np.isfinite(H)) or np.any(np.linalg.eigvalsh(H) <= 0):
            return x
    except np.linalg.LinAlgError:
        return x
    for _ in range(steps):
        step = np.linalg.solve(H, g)
        if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 0.5:
            break
        x_new = x - step
        g_new = grad(x_new)
        if not np.all(np.isfinite(g_new)) or np.linalg.norm(g_new) >= np.linalg.norm(g):
            break
        x, g = x_new, g_new
        if np.max(np.abs(step)) < 1e-9:
            break
    return x


class BaseModel:
    """Settings, fit loop, standard errors and summary shared by every model.

    Subclasses define ``_param_names``, ``_prepare(data) -> (arrays, weights)``,
    ``_loglik(params, arrays) -> per-row log-likelihood`` and ``_initial(arrays, weights)``.
    """

    _param_names: tuple[str, ...] = ()
    _what = "customers"

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        initial_params: dict | None = None,
        tol: float = 1e-10,
        maxiter: int = 2000,
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.tol = tol
        self.maxiter = maxiter

    # -- the learned state -------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            name = type(self).__name__
            raise NotFittedError(
                f"This {name} is not fitted yet: call {name}().fit(data) before using it "
                "(the parameters are learned from the data)."
            )

    def _p(self) -> tuple[float, ...]:
        self._check_fitted()
        return tuple(self.params_[k] for k in self._param_names)

    def __repr__(self) -> str:
        name = type(self).__name__
        if not hasattr(self, "params_"):
            settings = f"penalizer={self.penalizer!r}" if self.penalizer else ""
            return f"{name}({settings})"
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        unit = f", unit={self.unit_!r}" if getattr(self, "unit_", None) else ""
        return f"{name}({params}; n={self.n_:,}, log-likelihood={self.log_likelihood_:.2f}{unit})"

    # -- fitting -----------------------------------------------------------------------------
    def _validate_settings(self, func: str) -> None:
        check_number(self.penalizer, "penalizer", func=func, low=0)
        check_number(self.tol, "tol", func=func, low=0, low_open=True)
        check_number(self.maxiter, "maxiter", func=func, low=1, integer=True)
        if self.initial_params is not None:
            if not isinstance(self.initial_params, dict) or set(self.initial_params) != set(self._param_names):
                raise ModelError(
                    f"The 'initial_params' setting of {type(self).__name__} must be a dict with the keys "
                    f"{', '.join(self._param_names)}. Got {self.initial_params!r} instead."
                )
            for k, v in self.initial_params.items():
                check_number(v, f"initial_params[{k!r}]", func=func, low=0, low_open=True)

    def _neg_mean_loglik(self, log_params: np.ndarray, arrays, weights, total: float) -> float:
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            ll = self._loglik(params, arrays)
            value = -float(np.sum(weights * ll)) / total
        if not math.isfinite(value):
            return 1e300
        return value + self.penalizer * float(np.sum(params**2))

    def _neg_mean_grad(self, log_params: np.ndarray, arrays, weights, total: float) -> np.ndarray:
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            g = -(self._grad(params, arrays) * weights).sum(axis=1) / total
        return g * params + 2 * self.penalizer * params**2

    def _optimise(self, arrays, weights, start: np.ndarray, func: str) -> None:
        total = float(weights.sum())
        objective = lambda lp: self._neg_mean_loglik(lp, arrays, weights, total)
        jac = None
        if hasattr(self, "_grad"):
            jac = lambda lp: self._neg_mean_grad(lp, arrays, weights, total)
        x0 = np.log(start)
        if not math.isfinite(objective(x0)) or objective(x0) >= 1e299:
            raise ConvergenceError(
                f"{func}: the log-likelihood cannot be evaluated at the starting values "
                f"{dict(zip(self._param_names, start.round(4)))}; give other initial_params."
            )
        best = None
        for method, options in (
            ("L-BFGS-B", {"maxiter": self.maxiter, "ftol": self.tol * 1e-3, "gtol": self.tol * 1e-2}),
            ("Nelder-Mead", {"maxfev": 300 * len(x0), "xatol": 1e-9, "fatol": self.tol * 1e-3}),
            ("BFGS", {"maxiter": 200, "gtol": 1e-8}),
        ):
            x_start = x0 if best is None else best.x
            with np.errstate(all="ignore"):
                res = optimize.minimize(
                    objective, x_start, method=method, options=options, jac=jac if method != "Nelder-Mead" else None
                )
            if best is None or res.fun <= best.fun:
                best = res
            if res.success and np.all(np.isfinite(best.x)):
                break  # the Newton polish below settles the last decimals
        x = best.x
        if np.all(np.isfinite(x)) and best.fun < 1e299:
            x = _newton_polish(objective, x, gradient=jac)
        names = dict(zip(self._param_names, np.exp(x)))
        if not np.all(np.isfinite(x)) or best.fun >= 1e299:
            raise ConvergenceError(
                f"{func}: the optimiser did not find a maximum of the likelihood ({best.message}). "
                "Try other initial_params, a small penalizer (e.g. 0.001) or more data."
            )
        if np.any(np.abs(x) > _LOG_BOUND):
            edge = ", ".join(f"{k}={v:.3g}" for k, v in names.items())
            raise ConvergenceError(
                f"{func}: the estimates ran to the edge of the parameter space ({edge}); the data do not "
                "identify the model. Use a longer observation window or more customers, or add a small "
                "penalizer (e.g. penalizer=0.001)."
            )
        self.params_ = {k: float(v) for k, v in names.items()}
        with np.errstate(all="ignore"):
            ll = self._loglik(np.exp(x), arrays)
        self.log_likelihood_ = float(np.sum(weights * ll))
        self.n_ = int(round(total))  # noqa: RUF046
        self._arrays, self._weights = arrays, weights

    def _covariance(self) -> np.ndarray:
        """Inverse Hessian of the negative log-likelihood on the natural scale."""
        arrays, weights = self._arrays, self._weights

        def negll(p: np.ndarray) -> float:
            if np.any(p <= 0):
                return np.nan
            with np.errstate(all="ignore"):
                return -float(np.sum(weights * self._loglik(p, arrays)))

        p = np.array(self._p())
        H = _numerical_hessian(negll, p)
        with np.errstate(all="ignore"):
            try:
                cov = np.linalg.inv(H)
            except np.linalg.LinAlgError:
                cov = np.full_like(H, np.nan)
        return cov

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% Wald intervals, and the fit statistics.

        The standard errors are the square roots of the diagonal of the inverse observed
        information, the numerical Hessian of :math:`-\\log L` at the maximum on the natural scale.
        The frame's ``attrs`` carry ``log_likelihood``, ``AIC`` (:math:`2k - 2\\log L`), ``BIC`` and ``n``;
        they are also shown as extra rows with the value in the ``estimate`` column.
        """
        self._check_fitted()
        cov = self._covariance()
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        est = np.array(self._p())
        table = pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "lower_95": est - 1.959964 * se,
                "upper_95": est + 1.959964 * se,
            },
            index=pd.Index(self._param_names, name="parameter"),
        )
        k = len(est)
        stats = {
            "log_likelihood": self.log_likelihood_,
            "AIC": 2 * k - 2 * self.log_likelihood_,
            "BIC": k * math.log(max(self.n_, 1)) - 2 * self.log_likelihood_,
            "n": float(self.n_),
        }
        extra = pd.DataFrame({"estimate": list(stats.values())}, index=pd.Index(list(stats), name="parameter"))
        out = pd.concat([table, extra])
        out.attrs.update(stats)
        return out

    @property
    def unit_name(self) -> str:
        """The time unit of the fitted data in words ("weeks"), or "periods" when unknown."""
        unit = getattr(self, "unit_", None)
        return UNIT_NAMES.get(unit, "periods") if unit else "periods"


# -- validation helpers ------------------------------------------------------------------------------
def _model_unit(model, func: str) -> str:
    unit = getattr(model, "unit_", None)
    if unit is None:
        raise ModelError(
            f"{func}: the model does not know the time unit of its data; fit it with fit(summary, unit='W') "
            "(the unit given to crmlib.rfm.summarize)."
        )
    return unit


def holdout_comparison(model, data: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
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
    max_frequency = check_number(max_frequency, "max_frequency", func=func, low=1, integer=True)
    _check_summary(data, ("frequency", "recency", "T", "frequency_holdout", "duration_holdout"), func)
    model._check_fitted()
    pred = model.conditional_expected_purchases(
        data["duration_holdout"].to_numpy(float), data["frequency"].to_numpy(float),
        data["recency"].to_numpy(float), data["T"].to_numpy(float),
    )
    group = np.minimum(data["frequency"].to_numpy(int), max_frequency)
    frame = pd.DataFrame({"group": group, "actual": data["frequency_holdout"].to_numpy(float), "predicted": pred})
    table = frame.groupby("group").agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
    table.index = [f"{g}+" if g == max_frequency else str(g) for g in table.index]
    table.index.name = "frequency"
    return table


def tracking(model, transactions: pd.DataFrame, *, calibration_end, observation_end=None) -> pd.DataFrame:
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
    from crmlib._units import UNIT_DAYS
    from crmlib.data import check_canonical
    from crmlib.params import check_date

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


def _grid_defaults(model, max_frequency, T):
    arrays = getattr(model, "_arrays", None)
    if max_frequency is None:
        max_frequency = int(np.max(arrays[0])) if arrays is not None else 20
    if T is None:
        if arrays is None:
            raise ModelError("Give T (the length of observation, in the model's unit): the model was not fitted on data here.")
        T = float(np.max(arrays[2]))
    return int(max_frequency), float(T)


def probability_alive_matrix(model, *, max_frequency: int | None = None, T: float | None = None, points: int = 40) -> pd.DataFrame:
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
    rec = np.linspace(0, T, check_number(points, "points", func="probability_alive_matrix", low=2, integer=True))
    values = model.probability_alive(x[:, None], rec[None, :], np.full((1, len(rec)), T))
    values = np.where((x[:, None] == 0) & (rec[None, :] > 0), np.nan, values)
    return pd.DataFrame(values, index=pd.Index(x.astype(int), name="frequency"), columns=pd.Index(rec.round(3), name="recency"))


def expected_purchases_matrix(model, t: float, *, max_frequency: int | None = None, T: float | None = None, points: int = 40) -> pd.DataFrame:
    r"""Expected purchases in the next ``t`` units over a grid of frequency and recency, for customers observed for ``T``.

    Cells are :math:`E[Y(t) \mid x, t_x, T]`; NaN where :math:`x = 0` and :math:`t_x > 0`.

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
    rec = np.linspace(0, T, check_number(points, "points", func="expected_purchases_matrix", low=2, integer=True))
    values = model.conditional_expected_purchases(t, x[:, None], rec[None, :], np.full((1, len(rec)), T))
    values = np.where((x[:, None] == 0) & (rec[None, :] > 0), np.nan, values)
    return pd.DataFrame(values, index=pd.Index(x.astype(int), name="frequency"), columns=pd.Index(rec.round(3), name="recency"))


def repeat_frequency_table(model, summary: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
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
    max_frequency = check_number(max_frequency, "max_frequency", func=func, low=1, integer=True)
    _check_summary(summary, ("frequency", "T"), func)
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
    return pd.DataFrame({"actual": actual.astype(float), "expected": expected}, index=pd.Index(labels, name="frequency"))
