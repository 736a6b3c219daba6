r"""The contract every probability model follows, and the one ``fit`` they all share.

A model is a subclass of :class:`BaseModel` that writes five hooks and nothing else:

``_param_names``
    The names of its parameters (keys of ``params_``), a class attribute; models with covariates
    override :attr:`BaseModel.param_names` (the coefficients' names depend on the columns).
``_prepare(data, func, **options) -> FitData``
    Check the user's data (errors name the column, the first bad rows and the fix) and return its
    columns as arrays, the weight of each row (customers with that row; ``None`` = one each) and the
    time unit.
``_initial(design, weights) -> ndarray``
    Starting values of the parameters on their natural scale.
``_loglik(params, design) -> ndarray``
    The log-likelihood of each row of the (collapsed) data.
``_grad(params, design) -> ndarray``
    Its gradient with respect to the parameters, shape ``(k, rows)``.

Optional hooks: ``_design`` (precompute what the likelihood needs from the collapsed columns, e.g. the
distinct frequencies), ``_loglik_grad`` (the weighted sums of both at once, sharing the special-function
terms; the default adds up ``_loglik`` and ``_grad``), ``_check_data`` (identifiability),
``_positive`` (which parameters are positive; coefficients are not), ``_store`` / ``_state`` / ``_restore``
(extra fitted attributes, and what :meth:`BaseModel.save` keeps of them). ``fit`` passes its keyword options
to ``_prepare``, which reads them with :meth:`BaseModel._options` (an unknown option is a clear error).

:meth:`BaseModel.fit` does the rest, the same for every model: validation of the settings, the data
hook, collapse of identical rows into distinct patterns with their counts as weights, maximisation of
the log-likelihood over the logarithms of the positive parameters (BFGS with the analytic gradient,
started from a fit on a random subset of the patterns when there are more than 50,000 of them; Nelder-Mead
if BFGS fails), Newton steps that settle the last digits, the covariance of the estimates
(inverse observed information, the Hessian as central differences of the analytic gradient), and the
fitted attributes ``params_``, ``log_likelihood_``, ``n_``, ``unit_``, ``covariance_``, ``fit_info_``.
:meth:`BaseModel.summary`, :meth:`BaseModel.save` / :func:`load_model` and
:meth:`BaseModel.parameter_draws` work for every model.
"""

from __future__ import annotations

import abc
import copy
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import ndtri

from crmlib.data import DataError
from crmlib.params import UNIT_DAYS, UNIT_NAMES, ParameterError, check_number, check_unit

__all__ = [
    "MIN_CUSTOMERS",
    "BaseModel",
    "ConvergenceError",
    "FitData",
    "ModelError",
    "NotFittedError",
    "as_nonnegative",
    "check_identifiable",
    "check_summary",
    "collapse",
    "horizon_in_unit",
    "load_model",
    "summary_unit",
    "weights_column",
]

#: Fewest customers (or cohort members) a model is fitted on; below this the estimates mean nothing.
MIN_CUSTOMERS = 10

#: A log-parameter beyond this bound (a parameter above 6.6e7 or below 1.5e-8) is at the edge of the parameter
#: space: refused (ConvergenceError) when the data pin it down there (standard error at most SE_BOUND), reported
#: as a ridge of the likelihood (``fit_info_["warning"]``) otherwise.
LOG_BOUND = 18.0

#: A log-parameter beyond e^10 with a standard error above this (a 95% interval spanning a factor of e^20) is
#: reported (``fit_info_["warning"]``, ``summary().attrs["warning"]``): the data do not identify it.
SE_BOUND = 5.0

#: Above this many distinct patterns the fit starts from a fit on a random half of this many patterns.
WARM_START_PATTERNS = 50_000

#: Format version of the JSON written by :meth:`BaseModel.save`.
SAVE_FORMAT = 1

_REGISTRY: dict[str, type[BaseModel]] = {}

_INTERVAL_METHOD = (
    "Wald intervals on the log scale of each positive parameter, mapped back: exp(log(estimate) +/- z * se(log)), "
    "so they stay inside the parameter space; regression coefficients on their own scale. Standard errors on the "
    "natural scale by the delta method, se = estimate * se(log). Covariance: the inverse observed information "
    "(Hessian of -log L at the maximum, central differences of the analytic gradient)."
)


class ModelError(ValueError):
    """The data cannot identify the model. The message says what is wrong with the data and what to try."""


class ConvergenceError(ModelError):
    """The optimiser did not find a maximum of the likelihood. The message says what to try."""


class NotFittedError(ModelError, AttributeError):
    """A model was used before ``fit`` was called."""


# -- validation helpers shared by the models -----------------------------------------------------------
def check_summary(summary: Any, columns: Sequence[str], func: str) -> pd.DataFrame:
    """Check a per-customer frame (numeric columns >= 0, whole frequencies, recency <= T) and return it.

    The frame is returned as given (not a copy); nothing is changed.

    Examples
    --------
    >>> check_summary(pd.DataFrame({"frequency": [1], "recency": [2.0], "T": [3.0]}), ("frequency", "T"), "f").shape
    (1, 3)
    """
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
                f"{func}: 'recency' exceeds 'T' for {int(bad.sum())} customers (first: {rows}); the last purchase "
                "cannot come after the end of observation. Rebuild the summary with the right observation_end."
            )
    return summary


def weights_column(frame: pd.DataFrame, column: str | None, func: str) -> np.ndarray | None:
    """The counts in ``frame[column]`` (whole numbers > 0), or None when ``column`` is None.

    Examples
    --------
    >>> weights_column(pd.DataFrame({"w": [2, 3]}), "w", "f").tolist()
    [2.0, 3.0]
    """
    if column is None:
        return None
    if column not in frame.columns:
        raise DataError(
            f"{func}: the weights column {column!r} is not in the data; give weights=None or the name of the "
            "column of counts."
        )
    w = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(w) | (w < 0) | (w != np.round(w))
    if bad.any():
        rows = frame.index[bad][:5].tolist()
        raise DataError(
            f"{func}: the {column!r} column must hold whole numbers of customers >= 0, but {int(bad.sum())} rows "
            f"do not (first rows: {rows})."
        )
    return w


def summary_unit(summary: pd.DataFrame, unit: str | None, func: str) -> str | None:
    """The time unit given, else the one ``crmlib.rfm.summarize`` stored in ``summary.attrs``, else None.

    Examples
    --------
    >>> summary_unit(pd.DataFrame(), "w", "f")
    'W'
    """
    if unit is not None:
        return check_unit(unit, func=func)
    found = summary.attrs.get("unit") if hasattr(summary, "attrs") else None
    return check_unit(found, func=func) if found is not None else None


def as_nonnegative(values: Any, name: str, func: str) -> np.ndarray:
    """``values`` as a float array of finite numbers >= 0, or a one-sentence ParameterError.

    Examples
    --------
    >>> as_nonnegative([1, 2.5], "t", "f").tolist()
    [1.0, 2.5]
    """
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The {name!r} argument of {func} must hold numbers >= 0. Got {values!r} instead."
        ) from None
    bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        first = arr[bad].ravel()[0]
        raise ParameterError(
            f"The {name!r} argument of {func} must hold finite numbers >= 0. Got {first!r} "
            f"({int(np.sum(bad))} bad values) instead."
        )
    return arr


def horizon_in_unit(model: Any, t: Any, horizon_unit: str | None, func: str, name: str = "t") -> np.ndarray:
    """A horizon in the model's data unit: ``t`` as given when ``horizon_unit`` is None, else converted.

    ``t`` must hold finite numbers >= 0. With ``horizon_unit`` ("D", "W", "M", "Y") the model must know
    its unit (``unit_``), e.g. 12 months for a model fitted in weeks is 12 * 30.4375 / 7 weeks.

    Examples
    --------
    >>> class M:
    ...     unit_ = "W"
    >>> round(float(horizon_in_unit(M(), 12, "M", "f")), 4)
    52.1786
    """
    values = as_nonnegative(t, name, func)
    if horizon_unit is None:
        return values
    horizon_unit = check_unit(horizon_unit, "horizon_unit", func=func)
    unit = getattr(model, "unit_", None)
    if unit is None:
        raise ModelError(
            f"{func}: horizon_unit={horizon_unit!r} was given but the model does not know the unit of its data; fit it "
            "with fit(summary, unit='W') (the unit given to crmlib.rfm.summarize), or give the horizon in the "
            "data's unit."
        )
    return values * UNIT_DAYS[horizon_unit] / UNIT_DAYS[unit]


def check_identifiable(x: np.ndarray, tx: np.ndarray, T: np.ndarray, weights: np.ndarray, func: str) -> None:
    """Raise ModelError when a repeat-buying model cannot be identified from these customers.

    Examples
    --------
    >>> try:
    ...     check_identifiable(np.zeros(20), np.zeros(20), np.ones(20), np.ones(20), "f")
    ... except ModelError as error:
    ...     print(str(error)[:50])
    f: none of the 20 customers made a repeat purchase
    """
    n = int(round(float(weights.sum())))
    if n < MIN_CUSTOMERS:
        raise ModelError(
            f"{func}: only {n} customers; a repeat-buying model needs at least {MIN_CUSTOMERS} (in practice "
            "hundreds). Use more data."
        )
    repeat = (x > 0) & (weights > 0)
    if not np.any(repeat):
        raise ModelError(
            f"{func}: none of the {n:,} customers made a repeat purchase, so the data say nothing about "
            "purchase rates or drop-out. Use a longer observation window (for a calibration period: a later "
            "calibration_end)."
        )
    if np.all(np.isclose(tx[repeat], T[repeat])):
        raise ModelError(
            f"{func}: every repeat buyer's last purchase falls on the last day of observation, so nobody "
            "ever looks inactive and drop-out cannot be estimated. Use a longer observation window or a "
            "later observation_end."
        )


def collapse(
    columns: Sequence[np.ndarray], weights: np.ndarray | None = None
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct rows of the columns and the total weight of each (rows of weight 0 dropped).

    Each column is hashed once (``pandas.factorize``), the codes combined into one integer per row and
    hashed again, so half a million customers collapse in a few hundredths of a second. The distinct rows
    come in order of first appearance.

    Examples
    --------
    >>> (x, t), w = collapse([np.array([1, 1, 2]), np.array([5.0, 5.0, 5.0])])
    >>> x.tolist(), w.tolist()
    ([1.0, 2.0], [2.0, 1.0])
    """
    cols = [np.asarray(c, dtype=float).ravel() for c in columns]
    n = len(cols[0]) if cols else 0
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    if n == 0:
        return tuple(np.empty(0) for _ in cols), np.empty(0)
    code = np.zeros(n, dtype=np.int64)
    size = 1
    for c in cols:
        codes, uniques = pd.factorize(c)
        k = len(uniques)
        if size * k >= 2**62:  # too many combinations for one integer: re-hash what we have so far
            code, kept = pd.factorize(code)
            size = len(kept)
        code = code * k + codes
        size *= k
    pattern, _ = pd.factorize(code)
    m = int(pattern.max()) + 1
    counts = np.bincount(pattern, weights=w, minlength=m)
    # factorize numbers the patterns in order of first appearance: a row is a first occurrence where its code
    # exceeds every code before it
    before = np.maximum.accumulate(np.r_[-1, pattern[:-1]])
    first = np.flatnonzero(pattern > before)
    keep = counts > 0
    first, counts = first[keep], counts[keep]
    return tuple(c[first] for c in cols), counts


@dataclass
class FitData:
    """What a model's ``_prepare`` hook returns: the data as arrays, ready for the shared fit.

    Attributes
    ----------
    columns : tuple of ndarray
        One array per data column (same length).
    weights : ndarray, optional
        Customers (or cohort members) with each row; None = one each.
    unit : str, optional
        Time unit of the durations ("D", "W", "M", "Y"), or None.
    collapse : bool
        Collapse identical rows into distinct patterns before fitting (default True).
    extra : dict
        Anything the model's ``_store`` hook keeps (e.g. the survivor counts of a cohort).
    """

    columns: tuple[np.ndarray, ...]
    weights: np.ndarray | None = None
    unit: str | None = None
    collapse: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _numerical_jacobian(grad: Callable[[np.ndarray], np.ndarray], z: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference Jacobian of a gradient (the Hessian), symmetrised."""
    k = len(z)
    H = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (grad(z + e) - grad(z - e)) / (2 * h)
    return (H + H.T) / 2


class BaseModel(abc.ABC):
    """Settings, the shared fit, standard errors, summary, save/load and parameter draws of every model.

    Parameters
    ----------
    penalizer : float, default 0.0
        Adds ``penalizer * sum(params**2)`` to the mean negative log-likelihood (shrinks extreme
        estimates on thin data; 0 = maximum likelihood as published).
    initial_params : dict, optional
        Starting values, one per parameter name; default: the model's own.
    tol, maxiter : float, int
        Optimiser tolerance and iteration limit.
    """

    _param_names: ClassVar[tuple[str, ...]] = ()
    _what: ClassVar[str] = "customers"

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        initial_params: dict[str, float] | None = None,
        tol: float = 1e-10,
        maxiter: int = 2000,
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.tol = tol
        self.maxiter = maxiter

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    # -- the contract: hooks every model writes ----------------------------------------------------------
    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the parameters, in the order of the optimiser's vector (keys of ``params_``)."""
        return self._param_names

    @abc.abstractmethod
    def _prepare(self, data: Any, func: str, **options: Any) -> FitData:
        """Check the data and return its columns, weights and unit (``options``: the keywords given to ``fit``)."""

    @staticmethod
    def _options(options: dict[str, Any], func: str, **defaults: Any) -> dict[str, Any]:
        """The options of ``fit`` with their defaults; an unknown one is a one-sentence ParameterError."""
        unknown = [k for k in options if k not in defaults]
        if unknown:
            takes = ", ".join(defaults) if defaults else "no options"
            raise ParameterError(f"{func} got the unknown option {unknown[0]!r}; it takes {takes}.")
        return {**defaults, **options}

    @abc.abstractmethod
    def _initial(self, design: Any, weights: np.ndarray) -> np.ndarray:
        """Starting values on the natural scale."""

    @abc.abstractmethod
    def _loglik(self, params: np.ndarray, design: Any) -> np.ndarray:
        """Log-likelihood of each row."""

    @abc.abstractmethod
    def _grad(self, params: np.ndarray, design: Any) -> np.ndarray:
        """Gradient of each row's log-likelihood, shape (k, rows)."""

    # -- optional hooks ----------------------------------------------------------------------------------
    def _design(self, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> Any:
        """What ``_loglik`` and ``_grad`` take; default the collapsed columns."""
        return columns

    def _loglik_grad(self, params: np.ndarray, design: Any, weights: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted sums of the log-likelihood and of its gradient (override to share terms)."""
        with np.errstate(all="ignore"):
            ll = float(np.sum(weights * self._loglik(params, design)))
            g = (self._grad(params, design) * weights).sum(axis=1)
        return ll, g

    def _check_data(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, func: str) -> None:
        n = int(round(float(weights.sum())))
        if n < MIN_CUSTOMERS:
            raise ModelError(f"{func}: only {n} {self._what}; the model needs at least {MIN_CUSTOMERS}. Use more data.")

    def _positive(self) -> np.ndarray:
        """Which parameters are positive (optimised on the log scale); the rest are coefficients."""
        return np.ones(len(self.param_names), dtype=bool)

    def _store(self, data: FitData, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> None:  # noqa: B027
        """Keep model-specific fitted attributes (default: nothing)."""

    # -- the shared fit ----------------------------------------------------------------------------------
    def fit(self, data: Any, **options: Any) -> Self:
        """Fit by maximum likelihood; the data and the options are described in the class docstring.

        Returns
        -------
        BaseModel
            ``self``, with ``params_``, ``log_likelihood_``, ``n_``, ``unit_``, ``fit_info_`` and the covariance of
            the estimates (``covariance_``; ``summary()`` for standard errors and intervals).

        Examples
        --------
        >>> from crmlib.models import ShiftedBetaGeo
        >>> model = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241])
        >>> model.n_, sorted(model.params_)
        (1000, ['alpha', 'beta'])
        """
        func = f"{type(self).__name__}.fit"
        self._validate_settings(func)
        prepared = self._prepare(data, func, **options)
        if prepared.collapse:
            columns, weights = collapse(prepared.columns, prepared.weights)
        else:
            columns = tuple(np.asarray(c, dtype=float) for c in prepared.columns)
            weights = np.ones(len(columns[0])) if prepared.weights is None else np.asarray(prepared.weights, float)
        self._check_data(columns, weights, func)
        design = self._design(columns, weights)
        if self.initial_params is not None:
            start = np.array([self.initial_params[k] for k in self.param_names], dtype=float)
        else:
            start = np.asarray(self._initial(design, weights), dtype=float)
        self.unit_ = prepared.unit
        if self.initial_params is None and len(weights) > WARM_START_PATTERNS:
            start = self._warm_start(columns, weights, start)
        self._optimise(design, weights, start, func)
        self.fit_info_["patterns"] = len(weights)
        self._store(prepared, columns, weights)
        return self

    def refit(self, data: Any, **options: Any) -> Self:
        r"""A new model of this kind and with these settings, fitted to other data starting from this fit.

        For data close to the data of this fit: a bootstrap resample of its customers, a calibration period of
        the same log. The optimiser (BFGS) starts at this model's estimates, as ``initial_params`` would, and
        with this model's curvature, the inverse of its observed information per customer on the working
        scale, instead of the unit matrix, so it needs a few iterations instead of twenty or more. The maximum
        is the one a fresh ``fit`` finds (both finish with the same Newton steps). This model is left as it is.

        Returns
        -------
        BaseModel
            A new fitted model (``data`` and ``options`` as for :meth:`fit`).

        Examples
        --------
        >>> from crmlib.datasets import load_cdnow
        >>> from crmlib.models import BetaGeo
        >>> from crmlib.rfm import summarize
        >>> summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
        >>> model = BetaGeo().fit(summary, unit="W")
        >>> half, fresh = model.refit(summary.iloc[::2], unit="W"), BetaGeo().fit(summary.iloc[::2], unit="W")
        >>> all(abs(half.params_[k] / fresh.params_[k] - 1) < 1e-8 for k in fresh.params_)
        True
        """
        self._check_fitted()
        new = type(self)(**self._settings(), initial_params=dict(self.params_))
        cov = getattr(self, "_working_cov", None)
        if cov is not None:
            curvature = np.asarray(cov, dtype=float) * self.n_  # the inverse Hessian of the mean objective
            curvature = (curvature + curvature.T) / 2
            try:
                if np.all(np.isfinite(curvature)):
                    np.linalg.cholesky(curvature)  # BFGS needs it positive definite
                    new._warm_hess_inv = curvature
            except np.linalg.LinAlgError:
                pass  # a flat or odd curvature: start with the unit matrix, as fit does
        return new.fit(data, **options)

    def _warm_start(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Starting values from a fit on a random subset of the patterns (large data only).

        The full likelihood is then maximised from there: a few evaluations on all patterns instead of dozens.
        The subset is drawn with a fixed seed; the result does not depend on it (it is only a starting point),
        and any failure on the subset simply keeps the default start.
        """
        rng = np.random.default_rng(20050301)
        idx = np.sort(rng.choice(len(weights), WARM_START_PATTERNS // 2, replace=False))
        sub_columns, sub_weights = tuple(c[idx] for c in columns), weights[idx]
        total = float(sub_weights.sum())
        try:
            sub = self._design(sub_columns, sub_weights)
            res = optimize.minimize(
                lambda z: self._objective(z, sub, sub_weights, total),
                self._to_working(start),
                jac=True,
                method="BFGS",
                options={"maxiter": self.maxiter, "gtol": 1e-5},
            )
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            return start
        if not np.all(np.isfinite(res.x)) or res.fun >= 1e299:
            return start
        # the subset's curvature (mean log-likelihood: the same scale as the full data's) starts the full BFGS
        H = _numerical_jacobian(lambda z: self._objective(z, sub, sub_weights, total)[1], res.x)
        try:
            inv = np.linalg.inv(H)
            np.linalg.cholesky(inv)
        except np.linalg.LinAlgError:
            return self._to_natural(res.x)
        self._warm_hess_inv = (inv + inv.T) / 2
        return self._to_natural(res.x)

    def _validate_settings(self, func: str) -> None:
        check_number(self.penalizer, "penalizer", func=func, low=0)
        check_number(self.tol, "tol", func=func, low=0, low_open=True)
        check_number(self.maxiter, "maxiter", func=func, low=1, integer=True)
        if self.initial_params is not None:
            if not isinstance(self.initial_params, dict) or set(self.initial_params) != set(self.param_names):
                raise ModelError(
                    f"The 'initial_params' setting of {type(self).__name__} must be a dict with the keys "
                    f"{', '.join(self.param_names)}. Got {self.initial_params!r} instead."
                )
            positive = dict(zip(self.param_names, self._positive()))
            for k, v in self.initial_params.items():
                if positive[k]:
                    check_number(v, f"initial_params[{k!r}]", func=func, low=0, low_open=True)
                else:
                    check_number(v, f"initial_params[{k!r}]", func=func)

    def _to_natural(self, z: np.ndarray) -> np.ndarray:
        pos = self._positive()
        return np.where(pos, np.exp(np.where(pos, z, 0.0)), z)

    def _to_working(self, params: np.ndarray) -> np.ndarray:
        pos = self._positive()
        return np.where(pos, np.log(np.where(pos, params, 1.0)), params)

    def _objective(self, z: np.ndarray, design: Any, weights: np.ndarray, total: float) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood (plus penalty) and its gradient on the working (log) scale."""
        theta = self._to_natural(z)
        with np.errstate(all="ignore"):
            ll, g = self._loglik_grad(theta, design, weights)
        if not (math.isfinite(ll) and np.all(np.isfinite(g))):
            return 1e300, np.zeros_like(z)
        value = -ll / total + self.penalizer * float(np.sum(theta**2))
        grad = -g / total + 2 * self.penalizer * theta
        grad = np.where(self._positive(), grad * theta, grad)
        return value, grad

    def _optimise(self, design: Any, weights: np.ndarray, start: np.ndarray, func: str) -> None:
        total = float(weights.sum())
        names = self.param_names

        def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
            return self._objective(z, design, weights, total)

        z0 = self._to_working(start)
        if fun(z0)[0] >= 1e299:
            raise ConvergenceError(
                f"{func}: the log-likelihood cannot be evaluated at the starting values "
                f"{dict(zip(names, np.round(start, 4).tolist()))}; give other initial_params."
            )
        # BFGS (scipy's Python implementation) rather than L-BFGS-B: the latter's compiled code calls the
        # multi-threaded BLAS for vectors of four numbers, which is 20x slower on a loaded machine.
        # BFGS stops at a moderate gradient (1e-6 on the mean log-likelihood per customer); the Newton steps
        # below, with the Hessian from the analytic gradient, settle the last digits in two or three evaluations
        options: dict[str, Any] = {"maxiter": self.maxiter, "gtol": 1e-8}
        warm = getattr(self, "_warm_hess_inv", None)
        if warm is not None:  # the subset's curvature: the same mean log-likelihood, the same scale
            options["hess_inv0"] = warm
            del self._warm_hess_inv
        res = optimize.minimize(fun, z0, jac=True, method="BFGS", options=options)
        method = "BFGS"
        if not np.all(np.isfinite(res.x)) or res.fun >= 1e299 or res.nit >= self.maxiter:
            nm = optimize.minimize(
                lambda z: fun(z)[0],
                res.x if np.all(np.isfinite(res.x)) else z0,
                method="Nelder-Mead",
                options={"maxfev": 400 * len(z0), "xatol": 1e-9, "fatol": self.tol * 1e-3},
            )
            if nm.fun <= res.fun:
                res, method = nm, "Nelder-Mead"
        z = res.x
        if not np.all(np.isfinite(z)) or res.fun >= 1e299:
            raise ConvergenceError(
                f"{func}: the optimiser did not find a maximum of the likelihood ({res.message}). "
                "Try other initial_params, a small penalizer (e.g. 0.001) or more data."
            )
        z, hessian = self._newton_polish(lambda q: fun(q)[1], z)
        pos = self._positive()
        theta = self._to_natural(z)
        # the inverse of the observed information is a covariance only at a maximum (a positive definite Hessian
        # of the mean negative log-likelihood); on a ridge or a saddle no standard error means anything
        with np.errstate(all="ignore"):
            try:
                np.linalg.cholesky(hessian)
                cov = np.linalg.inv(hessian * total)
            except np.linalg.LinAlgError:
                cov = np.full_like(hessian, np.nan)
        if not (np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0)):
            cov = np.full_like(hessian, np.nan)
        se = np.sqrt(np.abs(np.diag(cov)))
        # far out (beyond e^10) and so uncertain that the 95% interval spans a factor of e^20: a ridge towards a
        # limit of the model (e.g. a, b -> infinity: the same drop-out probability for everyone); predictions are
        # stable along it, the parameters are not. Where on the ridge the optimiser stops depends on rounding (the
        # last bits of exp and log differ between processors), so a ridge is reported the same way wherever it
        # stopped, past LOG_BOUND included; only an estimate past LOG_BOUND that the data do pin down is an error.
        ridge = [k for k, zi, si, p in zip(names, z, se, pos) if p and abs(zi) > LOG_BOUND / 1.8 and not si <= SE_BOUND]
        if np.any(pos & (np.abs(z) > LOG_BOUND) & (se <= SE_BOUND)):
            edge = ", ".join(f"{k}={v:.3g}" for k, v in zip(names, theta))
            raise ConvergenceError(
                f"{func}: the estimates ran to the edge of the parameter space ({edge}); the data do not "
                "identify the model. Use a longer observation window or more customers, or add a small "
                "penalizer (e.g. penalizer=0.001)."
            )
        self.params_ = {k: float(v) for k, v in zip(names, theta)}
        with np.errstate(all="ignore"):
            ll, g = self._loglik_grad(theta, design, weights)
        self.log_likelihood_ = float(ll)
        self.n_ = int(round(total))
        self._working_cov = cov
        penalised = g - 2 * self.penalizer * theta * total  # gradient of what was maximised (the penalty included)
        grad_z = np.where(pos, penalised * theta, penalised)
        self.fit_info_ = {
            "optimizer": method,
            "iterations": int(getattr(res, "nit", 0)),
            "gradient_norm": float(np.max(np.abs(grad_z))),
            "penalizer": float(self.penalizer),
        }
        if ridge:
            self.fit_info_["warning"] = (
                f"The data do not identify {', '.join(ridge)}: the estimates lie on a ridge of the likelihood towards "
                "a limit of the model, so their values and standard errors mean little (predictions are stable). Use "
                "more data or a small penalizer (e.g. penalizer=0.001) for values that can be read."
            )

    @staticmethod
    def _newton_polish(
        grad: Callable[[np.ndarray], np.ndarray], z: np.ndarray, steps: int = 6
    ) -> tuple[np.ndarray, np.ndarray]:
        """Newton steps with the analytic gradient; returns the point and the Hessian of the mean objective there.

        Quasi-Newton optimisers stop where their gradient tolerance is met; on flat likelihoods (the Pareto/NBD
        death-rate parameters) that leaves the third decimal unsettled. Newton's method with the Hessian from
        central differences of the analytic gradient pins the maximum down. A step is kept only if it shrinks
        the gradient; the Hessian is recomputed at the end if the point moved by more than 1e-4 (log scale).
        """
        g = grad(z)
        H = _numerical_jacobian(grad, z)
        start = z.copy()
        if np.all(np.isfinite(g)) and np.all(np.isfinite(H)):
            try:
                positive_definite = bool(np.all(np.linalg.eigvalsh(H) > 0))
            except np.linalg.LinAlgError:
                positive_definite = False
            if positive_definite:
                for _ in range(steps):
                    step = np.linalg.solve(H, g)
                    if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 0.5:
                        break
                    z_new = z - step
                    g_new = grad(z_new)
                    if not np.all(np.isfinite(g_new)) or np.linalg.norm(g_new) >= np.linalg.norm(g):
                        break
                    z, g = z_new, g_new
                    if np.max(np.abs(step)) < 1e-10:
                        break
        if np.max(np.abs(z - start)) > 1e-4:  # the Hessian changes by about as much as the point moved
            H = _numerical_jacobian(grad, z)
        return z, H

    # -- the learned state ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            name = type(self).__name__
            raise NotFittedError(
                f"This {name} is not fitted yet: call {name}().fit(data) before using it "
                "(the parameters are learned from the data)."
            )

    def _p(self) -> tuple[Any, ...]:
        self._check_fitted()
        return tuple(self.params_[k] for k in self._param_names)

    def __repr__(self) -> str:
        name = type(self).__name__
        if not hasattr(self, "params_"):
            settings = f"penalizer={self.penalizer!r}" if self.penalizer else ""
            return f"{name}({settings})"
        params = ", ".join(f"{k}={np.asarray(v).ravel()[0]:.4g}" for k, v in self.params_.items())
        unit = f", unit={self.unit_!r}" if getattr(self, "unit_", None) else ""
        n = getattr(self, "n_", None)
        ll = getattr(self, "log_likelihood_", None)
        fitted = f"; n={n:,}, log-likelihood={ll:.2f}" if n is not None and ll is not None else ""
        return f"{name}({params}{fitted}{unit})"

    @property
    def unit_name(self) -> str:
        """The time unit of the fitted data in words ("weeks"), or "periods" when unknown."""
        unit = getattr(self, "unit_", None)
        return UNIT_NAMES.get(unit, "periods") if unit else "periods"

    # -- inference ----------------------------------------------------------------------------------------
    @property
    def covariance_(self) -> pd.DataFrame:
        r"""Covariance of the estimates on their natural scale (delta method from the working scale).

        The fit works with the logarithms of the positive parameters; their covariance :math:`\Sigma_z` (the
        inverse observed information) maps to :math:`J \Sigma_z J` with :math:`J = \mathrm{diag}(\hat\theta)`
        for positive parameters (1 for coefficients).
        """
        cov = self._working_covariance()
        names = list(self.param_names)
        est = np.array([float(self.params_[k]) for k in names])
        scale = np.where(self._positive(), est, 1.0)
        return pd.DataFrame(cov * np.outer(scale, scale), index=names, columns=names)

    def _working_covariance(self) -> np.ndarray:
        self._check_fitted()
        cov = getattr(self, "_working_cov", None)
        if cov is None:
            raise ModelError(
                f"This {type(self).__name__} has no covariance of its estimates (its parameters were set by hand); "
                "fit it to data for standard errors and intervals."
            )
        return np.asarray(cov, dtype=float)

    def summary(self, *, level: float = 0.95) -> pd.DataFrame:
        r"""Estimates, standard errors and Wald intervals (computed on the log scale), and the fit statistics.

        For a positive parameter :math:`\theta` the interval is
        :math:`\exp(\log\hat\theta \pm z_{1-(1-\text{level})/2}\, \widehat{se}(\log\hat\theta))`: always inside the
        parameter space and asymmetric like the likelihood. The standard error shown on the natural scale is
        :math:`\hat\theta\, \widehat{se}(\log\hat\theta)` (delta method). Regression coefficients (covariate
        models) have symmetric intervals on their own scale. The covariance is the inverse observed
        information: the Hessian of :math:`-\log L` at the maximum, from central differences of the analytic
        gradient on the working scale.

        Parameters
        ----------
        level : float, default 0.95
            Coverage of the intervals, in (0, 1).

        Returns
        -------
        DataFrame
            Index ``parameter``; columns ``estimate``, ``std_error``, ``lower_<level>``, ``upper_<level>``; the
            columns' name states the method (shown above the index in a notebook). Extra rows
            ``log_likelihood``, ``AIC`` (:math:`2k - 2\log L`), ``BIC`` and ``n`` carry the value in
            ``estimate``. ``attrs`` has the same statistics, ``level`` and ``interval_method`` (the method in words).
            The bound columns are named by the level: ``lower_95``, ``upper_95`` at 0.95, ``lower_90`` at 0.9.

        Examples
        --------
        >>> from crmlib.models import ShiftedBetaGeo
        >>> table = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241]).summary()
        >>> low, high = table.loc["alpha", ["lower_95", "upper_95"]]
        >>> bool(0 < low < table.loc["alpha", "estimate"] < high)
        True
        """
        level = check_number(
            level, "level", func=f"{type(self).__name__}.summary", low=0, high=1, low_open=True, high_open=True
        )
        self._check_fitted()
        names = list(self.param_names)
        est = np.array([float(self.params_[k]) for k in names])
        cov = getattr(self, "_working_cov", None)
        cov_arr = np.full((len(names), len(names)), np.nan) if cov is None else np.asarray(cov, dtype=float)
        se_w = np.sqrt(np.where(np.diag(cov_arr) > 0, np.diag(cov_arr), np.nan))
        pos = self._positive()
        zq = float(ndtri(0.5 + level / 2))
        with np.errstate(all="ignore"):
            log_est = np.log(np.where(pos, est, 1.0))
            lower = np.where(pos, np.exp(log_est - zq * se_w), est - zq * se_w)
            upper = np.where(pos, np.exp(log_est + zq * se_w), est + zq * se_w)
            se = np.where(pos, est * se_w, se_w)
        table = pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                f"lower_{100 * level:g}": lower,
                f"upper_{100 * level:g}": upper,
            },
            index=pd.Index(names, name="parameter"),
        )
        k = len(est)
        ll = float(getattr(self, "log_likelihood_", np.nan))
        n = int(getattr(self, "n_", 0))
        stats = {
            "log_likelihood": ll,
            "AIC": 2 * k - 2 * ll,
            "BIC": k * math.log(max(n, 1)) - 2 * ll,
            "n": float(n),
        }
        extra = pd.DataFrame({"estimate": list(stats.values())}, index=pd.Index(list(stats), name="parameter"))
        out = pd.concat([table, extra])
        out.attrs.update(stats)
        out.attrs["level"] = level
        out.attrs["interval_method"] = _INTERVAL_METHOD
        out.columns.name = (
            f"{100 * level:g}% Wald intervals on the log scale"
            if pos.all()
            else (f"{100 * level:g}% Wald intervals (log scale for positive parameters)")
        )
        if "warning" in getattr(self, "fit_info_", {}):
            out.attrs["warning"] = self.fit_info_["warning"]
        elif cov is None or not np.all(np.isfinite(cov_arr)):
            out.attrs["warning"] = (
                "The information matrix is not positive definite at the estimates (or the parameters were set by "
                "hand), so standard errors and intervals are not available."
            )
        return out

    def parameter_draws(self, draws: int = 1000, *, seed: int | None = 0) -> pd.DataFrame:
        r"""Draws of the parameters from their asymptotic sampling distribution.

        The estimates on the working scale (logarithms of the positive parameters, coefficients as they are)
        are asymptotically normal with the covariance ``covariance_`` (inverse observed information); each
        draw is :math:`\exp` of a multivariate-normal draw on that scale, so every draw is a valid parameter
        vector. Used by :func:`crmlib.models.predictive_interval` for intervals on predictions.

        Parameters
        ----------
        draws : int
            Number of draws (>= 2).
        seed : int or None
            Seed of the random generator (same seed, same draws).

        Returns
        -------
        DataFrame
            One row per draw, one column per parameter.

        Examples
        --------
        >>> from crmlib.models import ShiftedBetaGeo
        >>> d = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241]).parameter_draws(500)
        >>> d.shape, bool((d > 0).all().all())
        ((500, 2), True)
        """
        func = f"{type(self).__name__}.parameter_draws"
        draws = int(check_number(draws, "draws", func=func, low=2, integer=True))
        cov = self._working_covariance()
        if not np.all(np.isfinite(cov)):
            raise ModelError(
                f"{func}: the covariance of the estimates is not available (the information matrix is not positive "
                "definite), so the sampling distribution cannot be drawn from; fit on more data or add a small "
                "penalizer."
            )
        names = list(self.param_names)
        est = np.array([float(self.params_[k]) for k in names])
        rng = np.random.default_rng(seed)
        z = rng.multivariate_normal(self._to_working(est), cov, size=int(draws), method="cholesky")
        theta = np.where(self._positive()[None, :], np.exp(np.where(self._positive()[None, :], z, 0.0)), z)
        return pd.DataFrame(theta, columns=names)

    def _with_params(self, params: dict[str, Any]) -> BaseModel:
        """A shallow copy with other parameter values (scalars, or arrays that broadcast against the customers)."""
        other = copy.copy(self)
        other.params_ = dict(params)
        return other

    # -- save and load --------------------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return {"penalizer": self.penalizer, "tol": self.tol, "maxiter": self.maxiter}

    def _state(self) -> dict[str, Any]:
        """Model-specific fitted attributes to save (JSON-serialisable); restored by ``_restore``."""
        return {}

    def _restore(self, state: dict[str, Any]) -> None:  # noqa: B027
        """Set the attributes saved by ``_state``."""

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as a JSON-serialisable dict (what :meth:`save` writes).

        Examples
        --------
        >>> from crmlib.models import ShiftedBetaGeo
        >>> sorted(ShiftedBetaGeo().fit([1000, 631, 468, 382, 326]).to_dict())[:4]
        ['covariance', 'covariance_scale', 'crmlib_save_format', 'fit']
        """
        self._check_fitted()
        cov = getattr(self, "_working_cov", None)
        return {
            "crmlib_save_format": SAVE_FORMAT,
            "model": type(self).__name__,
            "settings": self._settings(),
            "parameters": {k: float(v) for k, v in self.params_.items()},
            "unit": getattr(self, "unit_", None),
            "n": getattr(self, "n_", None),
            "log_likelihood": getattr(self, "log_likelihood_", None),
            "covariance": None if cov is None else np.asarray(cov, dtype=float).tolist(),
            "covariance_scale": "working: log of each positive parameter, coefficients as they are",
            "fit": dict(getattr(self, "fit_info_", {})),
            "state": self._state(),
        }

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the fitted model to a small JSON file: parameters, unit, covariance and the fit's metadata.

        Parameters
        ----------
        path : str or Path
            The file to write (``.json``).
        overwrite : bool, default False
            Replace an existing file; without it an existing file is left alone and an error is raised.

        Returns
        -------
        Path
            The path written. Read it back with :func:`crmlib.models.load_model`.

        Examples
        --------
        >>> import tempfile, os
        >>> from crmlib.models import ShiftedBetaGeo
        >>> path = os.path.join(tempfile.mkdtemp(), "sbg.json")
        >>> ShiftedBetaGeo().fit([1000, 631, 468, 382, 326]).save(path).name
        'sbg.json'
        """
        func = f"{type(self).__name__}.save"
        target = Path(path)
        if target.exists() and not overwrite:
            raise FileExistsError(
                f"{func}: {str(target)!r} already exists; give another path or overwrite=True to replace it."
            )
        if target.parent and not target.parent.exists():
            raise FileNotFoundError(f"{func}: the folder {str(target.parent)!r} does not exist; create it first.")
        text = json.dumps(self.to_dict(), indent=2, allow_nan=True)
        target.write_text(text + "\n", encoding="utf-8")
        return target

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaseModel:
        """Rebuild a fitted model from :meth:`to_dict`'s output (``cls``: the saved model's class or BaseModel)."""
        if not isinstance(data, dict) or "model" not in data or "parameters" not in data:
            raise ModelError("load_model: this is not a model saved by crmlib (no 'model' and 'parameters' keys).")
        name = data["model"]
        target = _REGISTRY.get(name)
        if target is None:
            raise ModelError(f"load_model: unknown model {name!r}; it was saved by another version of crmlib.")
        if cls is not BaseModel and not issubclass(target, cls):
            raise ModelError(
                f"{cls.__name__}.load: the file holds a {name}, not a {cls.__name__}; use crmlib.models.load_model."
            )
        settings = dict(data.get("settings") or {})
        model = target(**settings)
        model.params_ = {k: float(v) for k, v in data["parameters"].items()}
        model.unit_ = data.get("unit")
        if data.get("n") is not None:
            model.n_ = int(data["n"])
        if data.get("log_likelihood") is not None:
            model.log_likelihood_ = float(data["log_likelihood"])
        if data.get("covariance") is not None:
            model._working_cov = np.array(data["covariance"], dtype=float)
        model.fit_info_ = dict(data.get("fit") or {})
        model._restore(dict(data.get("state") or {}))
        return model

    @classmethod
    def load(cls, path: str | Path) -> BaseModel:
        """Read a model written by :meth:`save` (see :func:`crmlib.models.load_model`)."""
        return cls.from_dict(_read_json(path, f"{cls.__name__}.load"))


def _read_json(path: str | Path, func: str) -> dict[str, Any]:
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(
            f"{func}: {str(source)!r} does not exist; give the path of a file written by model.save()."
        )
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{func}: {str(source)!r} is not a JSON file written by model.save() ({exc}).") from None
    if not isinstance(data, dict):
        raise ModelError(f"{func}: {str(source)!r} is not a model saved by crmlib.")
    return data


def load_model(path: str | Path) -> BaseModel:
    """Read a fitted model written by ``model.save(path)``: the right class, its parameters, unit and covariance.

    Parameters
    ----------
    path : str or Path
        A JSON file written by :meth:`BaseModel.save`.

    Returns
    -------
    BaseModel
        A fitted model of the saved class (predictions, ``summary()`` and intervals work as before saving).

    Examples
    --------
    >>> import tempfile, os
    >>> from crmlib.models import ShiftedBetaGeo
    >>> m = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> path = os.path.join(tempfile.mkdtemp(), "sbg.json")
    >>> _ = m.save(path)
    >>> load_model(path).params_ == m.params_
    True
    """
    return BaseModel.from_dict(_read_json(path, "load_model"))
