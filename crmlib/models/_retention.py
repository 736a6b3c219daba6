r"""What the contractual retention models share: their data, the survivor checks and the retention projections.

A retention model gives the survivor function :math:`S(t)` of the number of periods :math:`T` a customer
stays (she pays at the start of periods :math:`1..T` and cancels at the end of period :math:`T`). Its data
are either one cohort's survivors (the number still active at the start of each period, first value the
cohort size) or one row per customer (or group of identical customers): ``periods`` (the periods she has
been a customer: :math:`T` if she cancelled, else the periods observed so far), ``churned`` (True if she
cancelled at the end of the last one), an optional ``weights`` column of counts and, for covariate models,
the covariate columns. Log-likelihood (Fader and Hardie 2007, eq. 5, for censored individual data):

.. math:: LL = \sum_i w_i \left[ c_i \log P(T = t_i) + (1 - c_i) \log S(t_i) \right],
   \quad P(T = t) = S(t-1) - S(t)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib.data import DataError
from crmlib.models._base import MIN_CUSTOMERS, BaseModel, FitData, ModelError
from crmlib.models._covariates import Link, check_covariate_names, covariate_matrix, link_values
from crmlib.params import ParameterError, check_number

__all__ = ["RetentionModel", "check_survivors", "survivor_rows"]


def check_survivors(survivors: Any, func: str) -> np.ndarray:
    """One cohort's survivors as floats, checked: whole numbers >= 0, never rising, a size of at least 10.

    Examples
    --------
    >>> check_survivors([100, 60, 45], "f").tolist()
    [100.0, 60.0, 45.0]
    """
    if isinstance(survivors, dict):
        raise ModelError(
            f"{func}: give one cohort (a list, array or Series of survivors); fit each cohort of a dict separately, "
            "e.g. {name: ShiftedBetaGeo().fit(s) for name, s in cohorts.items()}."
        )
    values = np.asarray(survivors.to_numpy() if isinstance(survivors, pd.Series) else survivors, dtype=float)
    if values.ndim != 1 or len(values) < 3:
        raise ModelError(
            f"{func}: survivors must be one sequence of at least 3 counts (the cohort size, then the number still "
            f"active at the start of each later period); got shape {values.shape}."
        )
    if np.any(~np.isfinite(values)) or np.any(values < 0) or np.any(values != np.round(values)):
        raise ModelError(
            f"{func}: survivors must be whole numbers >= 0 (head-counts of customers); got {values.tolist()}."
        )
    rises = np.flatnonzero(np.diff(values) > 0)
    if len(rises):
        k = int(rises[0])
        raise ModelError(
            f"{func}: survivors increase from period {k} ({values[k]:g}) to period {k + 1} ({values[k + 1]:g}); "
            "a cohort can only shrink. Give the number still active out of the original cohort (first value = "
            "cohort size), not the number of active customers of all cohorts."
        )
    if values[0] < MIN_CUSTOMERS:
        raise ModelError(
            f"{func}: the first value must be the cohort size (at least {MIN_CUSTOMERS}); got {values[0]:g}."
        )
    if values[0] == values[-1]:
        raise ModelError(
            f"{func}: nobody in the cohort of {values[0]:g} ever cancelled, so churn cannot be estimated; observe "
            "more periods."
        )
    if values[-1] == 0 and values[1] == 0:
        raise ModelError(f"{func}: the whole cohort left after one period; there is no retention to model.")
    return values


def survivor_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(periods, churned, weights) of a cohort: those lost in each period, then those still active at the end.

    Examples
    --------
    >>> [v.tolist() for v in survivor_rows(np.array([100.0, 60.0, 45.0]))]
    [[1.0, 2.0, 2.0], [1.0, 1.0, 0.0], [40.0, 15.0, 45.0]]
    """
    k = len(values) - 1
    t = np.arange(1, k + 1, dtype=float)
    return np.r_[t, k], np.r_[np.ones(k), 0.0], np.r_[values[:-1] - values[1:], values[-1]]


class RetentionModel(BaseModel):
    r"""Shared data handling and projections of the contractual retention models (sBG, BdW).

    Subclasses write the survivor function's pieces (``_log_survival`` and its gradient) and the usual hooks;
    the data format and the covariate links on ``alpha`` and ``beta`` are shared:
    :math:`\alpha_i = \alpha \exp(\gamma_\alpha' z_i)`, :math:`\beta_i = \beta \exp(\gamma_\beta' z_i)`
    (coefficients ``alpha:<column>``, ``beta:<column>``; the mean churn probability
    :math:`\alpha/(\alpha+\beta)` rises with the alpha coefficients and falls with the beta ones).
    """

    _what = "cohort members"

    def __init__(
        self,
        *,
        covariates: list[str] | None = None,
        penalizer: float = 0.0,
        initial_params: dict[str, float] | None = None,
        tol: float = 1e-10,
        maxiter: int = 2000,
    ) -> None:
        super().__init__(penalizer=penalizer, initial_params=initial_params, tol=tol, maxiter=maxiter)
        self.covariates = covariates

    # -- covariates ------------------------------------------------------------------------------------
    def _columns(self) -> tuple[str, ...]:
        return check_covariate_names(self.covariates, "covariates", type(self).__name__)

    def _links(self) -> tuple[Link, Link]:
        cols = self._columns()
        return Link("alpha", cols, 1.0, "alpha"), Link("beta", cols, 1.0, "beta")

    @property
    def param_names(self) -> tuple[str, ...]:
        """The model's parameters, then the coefficients ``alpha:<col>`` and ``beta:<col>``."""
        la, lb = self._links()
        return self._param_names + la.coefficient_names + lb.coefficient_names

    def _positive(self) -> np.ndarray:
        return np.arange(len(self.param_names)) < len(self._param_names)

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "covariates": list(self._columns()) or None}

    def _row_params(self, params: np.ndarray, Z: np.ndarray) -> tuple[Any, ...]:
        """(alpha_i, beta_i, other parameters...) for each row."""
        k0 = len(self._param_names)
        k = Z.shape[1]
        alpha = link_values(params[0], params[k0 : k0 + k], Z, 1.0)
        beta = link_values(params[1], params[k0 + k : k0 + 2 * k], Z, 1.0)
        return (alpha, beta, *params[2:k0])

    def _customer_params(self, covariates: Any, n: int | None, func: str) -> tuple[Any, ...]:
        self._check_fitted()
        cols = self._columns()
        if not cols:
            return self._p()
        if covariates is None:
            raise ParameterError(
                f"{func}: this model has covariates ({', '.join(cols)}); give covariates= (a DataFrame with those "
                "columns, one row per customer or cohort)."
            )
        values = [self.params_[k] for k in self.param_names]
        if any(np.ndim(v) for v in values):
            raise ParameterError(f"{func}: intervals of covariate models are not available per customer.")
        Z = covariate_matrix(covariates, cols, func, rows=n)
        return self._row_params(np.array(values, dtype=float), Z)

    # -- the data ----------------------------------------------------------------------------------------
    def _prepare(self, data: Any, func: str, **options: Any) -> FitData:
        self._options(options, func)
        cols = self._columns()
        if isinstance(data, pd.DataFrame):
            t, churned, w = self._individual(data, func)
            Z = covariate_matrix(data, cols, func)
            return FitData((t, churned, *Z.T), weights=w, extra={"survivors": None})
        if cols:
            raise DataError(
                f"{func}: a model with covariates needs one row per customer (or group): a DataFrame with the columns "
                f"periods, churned and {', '.join(cols)} (optional weights), not a survivor curve."
            )
        values = check_survivors(data, func)
        t, churned, w = survivor_rows(values)
        return FitData((t, churned), weights=w, extra={"survivors": values})

    @staticmethod
    def _individual(frame: pd.DataFrame, func: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        missing = [c for c in ("periods", "churned") if c not in frame.columns]
        if missing:
            raise DataError(
                f"{func}: a frame of customers needs the columns periods (periods as a customer, 1, 2, ...) and "
                "churned "
                f"(True if she cancelled at the end of the last one); missing: {', '.join(missing)}. For one cohort's "
                "head-counts give the survivors as a list instead."
            )
        t = pd.to_numeric(frame["periods"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(t) | (t < 1) | (t != np.round(t))
        if bad.any():
            raise DataError(
                f"{func}: the 'periods' column must hold whole numbers >= 1, but {int(bad.sum())} rows do not "
                f"(first: {frame.index[bad][:5].tolist()})."
            )
        raw = frame["churned"]
        churned = pd.to_numeric(raw.astype("object").map({True: 1, False: 0}), errors="coerce")
        c = churned.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(c)
        if bad.any():
            raise DataError(
                f"{func}: the 'churned' column must hold True/False (or 1/0), but {int(bad.sum())} rows do not "
                f"(first: {frame.index[bad][:5].tolist()})."
            )
        w = None
        if "weights" in frame.columns:
            w = pd.to_numeric(frame["weights"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(w) | (w < 0) | (w != np.round(w))
            if bad.any():
                raise DataError(
                    f"{func}: the 'weights' column must hold whole numbers of customers >= 0 (first bad rows: "
                    f"{frame.index[bad][:5].tolist()})."
                )
        return t, c, w

    def _design(
        self, columns: tuple[np.ndarray, ...], weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t, churned = columns[0], columns[1]
        Z = np.column_stack(columns[2:]) if len(columns) > 2 else np.zeros((len(t), 0))
        return t, churned, Z

    def _check_data(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, func: str) -> None:
        n = int(round(float(weights.sum())))
        if n < MIN_CUSTOMERS:
            raise ModelError(
                f"{func}: only {n} customers; a retention model needs at least {MIN_CUSTOMERS}. Use more data."
            )
        if not np.any((columns[1] > 0) & (weights > 0)):
            raise ModelError(f"{func}: nobody cancelled, so churn cannot be estimated; observe more periods.")

    def _initial(self, design: Any, weights: np.ndarray) -> np.ndarray:
        start = np.ones(len(self.param_names))
        start[len(self._param_names) :] = 0.0
        return start

    def _store(self, data: FitData, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> None:
        values = data.extra.get("survivors")
        self.fit_info_["max_periods"] = int(np.max(columns[0]))
        if values is not None:
            self.periods_ = len(values) - 1
            self.survivors_ = values

    def _state(self) -> dict[str, Any]:
        values = getattr(self, "survivors_", None)
        return {"survivors": None if values is None else [float(v) for v in values]}

    def _restore(self, state: dict[str, Any]) -> None:
        values = state.get("survivors")
        if values is not None:
            self.survivors_ = np.asarray(values, dtype=float)
            self.periods_ = len(values) - 1

    # -- the likelihood from the survivor function -----------------------------------------------------
    def _log_survival(self, t: Any, alpha: Any, beta: Any, *rest: Any, grad: bool = False) -> Any:
        """Log S(t) and, with ``grad``, its derivatives in (alpha, beta, *rest) (subclass hook)."""
        raise NotImplementedError

    def _rows(self, params: np.ndarray, design: tuple[np.ndarray, np.ndarray, np.ndarray], grad: bool) -> Any:
        t, churned, Z = design
        alpha, beta, *rest = self._row_params(np.asarray(params, float), Z)
        now = self._log_survival(t, alpha, beta, *rest, grad=grad)
        before = self._log_survival(t - 1, alpha, beta, *rest, grad=grad)
        l_now, l_before = (now[0], before[0]) if grad else (now, before)
        with np.errstate(all="ignore"):
            e = np.exp(np.minimum(l_now - l_before, 0.0))
            churn = l_before + np.log1p(-e)
            ll = np.where(churned > 0, churn, l_now)
        if not grad:
            return ll
        gradients = []
        for g_now, g_before in zip(now[1:], before[1:]):
            with np.errstate(all="ignore"):
                g_churn = (g_before - e * g_now) / (1.0 - e)
            gradients.append(np.where(churned > 0, g_churn, g_now))
        return ll, gradients, (alpha, beta, Z)

    def _loglik(self, params: np.ndarray, design: Any) -> np.ndarray:
        return self._rows(params, design, grad=False)

    def _grad(self, params: np.ndarray, design: Any) -> np.ndarray:
        params = np.asarray(params, float)
        _, gradients, (alpha, beta, Z) = self._rows(params, design, grad=True)
        ones = np.ones(len(design[0]))
        if Z.shape[1] == 0:
            return np.vstack([g * ones for g in gradients])
        g_alpha, g_beta = gradients[0] * alpha, gradients[1] * beta  # derivatives in log(alpha_i), log(beta_i)
        return np.vstack(
            [
                g_alpha / params[0],
                g_beta / params[1],
                *[g * ones for g in gradients[2:]],
                (Z * g_alpha[:, None]).T,
                (Z * g_beta[:, None]).T,
            ]
        )

    # -- projections -------------------------------------------------------------------------------------
    def survival(self, t: Any, *, covariates: Any = None) -> Any:
        r"""Share of a cohort still active after :math:`t` periods, :math:`S(t)` (:math:`S(0) = 1`).

        ``t`` in periods of the data (whole or fractional numbers >= 0); ``covariates`` (a DataFrame with the
        model's covariate columns, one row per customer or cohort) for a covariate model.

        Examples
        --------
        >>> from crmlib.models import ShiftedBetaGeo
        >>> m = ShiftedBetaGeo(); m.params_ = {"alpha": 1.0, "beta": 1.0}
        >>> float(m.survival(1))
        0.5
        """
        func = f"{type(self).__name__}.survival"
        t = self._periods(t, "t", func)
        params = self._customer_params(covariates, t.size if covariates is not None else None, func)
        value = np.exp(self._log_survival(t, *params))
        return value if np.ndim(value) else float(value)

    def retention_rate(self, t: Any, *, covariates: Any = None) -> Any:
        r"""Share of those active in period :math:`t-1` still active in period :math:`t`: :math:`r(t) = S(t)/S(t-1)`.

        ``t`` in periods (>= 1).

        Examples
        --------
        >>> from crmlib.models import ShiftedBetaGeo
        >>> m = ShiftedBetaGeo(); m.params_ = {"alpha": 1.0, "beta": 1.0}
        >>> [round(float(v), 3) for v in m.retention_rate([1, 2, 3])]
        [0.5, 0.667, 0.75]
        """
        func = f"{type(self).__name__}.retention_rate"
        t = self._periods(t, "t", func)
        if np.any(t < 1):
            raise ParameterError(
                f"The 't' argument of {func} must hold periods >= 1 (r(t) compares period t with t - 1)."
            )
        params = self._customer_params(covariates, t.size if covariates is not None else None, func)
        value = np.exp(self._log_survival(t, *params) - self._log_survival(t - 1, *params))
        return value if np.ndim(value) else float(value)

    def projected_survivors(self, periods: int, cohort_size: float | None = None) -> pd.Series:
        """Expected number still active at the start of periods ``0..periods``.

        ``cohort_size`` defaults to the fitted cohort's size. Index ``period``.

        Examples
        --------
        >>> from crmlib.models import ShiftedBetaGeo
        >>> m = ShiftedBetaGeo(); m.params_ = {"alpha": 1.0, "beta": 1.0}
        >>> m.projected_survivors(2, cohort_size=100).round(2).tolist()
        [100.0, 50.0, 33.33]
        """
        func = f"{type(self).__name__}.projected_survivors"
        periods = int(check_number(periods, "periods", func=func, low=0, integer=True))
        self._check_fitted()
        if cohort_size is None:
            fitted = getattr(self, "survivors_", None)
            size = float(fitted[0]) if fitted is not None else 1.0
        else:
            size = check_number(cohort_size, "cohort_size", func=func, low=0, low_open=True)
        t = np.arange(periods + 1)
        return pd.Series(size * self.survival(t), index=pd.Index(t, name="period"), name="expected_active")

    def discounted_expected_residual_lifetime(self, discount_rate: float, renewals: int = 0) -> float:
        r"""DERL: expected discounted future payments of a customer at her ``renewals + 1``-th renewal decision.

        For a customer who has made :math:`n - 1` renewals (:math:`n` = ``renewals + 1``) and is about to decide on
        the next one (Fader and Hardie 2010, eq. 6):

        .. math:: \text{DERL}(d \mid n-1) = \sum_{t=n}^{\infty} \frac{S(t)}{S(n-1)} \frac{1}{(1+d)^{t-n}}

        summed until the terms fall below :math:`10^{-15}` of the total. The payment at the renewal about to
        be decided counts undiscounted. ``discount_rate`` :math:`d` is per contract period (the period of the
        survivor data), not per year. Multiply by the margin per period for the residual value.

        Examples
        --------
        >>> from crmlib.models import BetaDiscreteWeibull
        >>> m = BetaDiscreteWeibull(); m.params_ = {"alpha": 1.0, "beta": 1.0, "c": 1.0}
        >>> round(m.discounted_expected_residual_lifetime(0.10), 4)  # c = 1: the sBG's 1.8015
        1.8015
        """
        func = "discounted_expected_residual_lifetime"
        d = check_number(
            discount_rate,
            "discount_rate",
            func=func,
            low=0,
            low_open=True,
            hint="It is a rate per contract period (the period of the survivor data); DERL is infinite at 0.",
        )
        renewals = int(check_number(renewals, "renewals", func=func, low=0, integer=True))
        params = self._p()
        n = renewals + 1
        base = self._log_survival(np.array(n - 1.0), *params)
        total = 0.0
        start = n
        block = 4096
        while start < n + 10_000_000:
            t = np.arange(start, start + block, dtype=float)
            terms = np.exp(self._log_survival(t, *params) - base - (t - n) * np.log1p(d))
            total += float(terms.sum())
            if terms[-1] <= 1e-15 * total:
                break
            start += block
        return total

    @staticmethod
    def _periods(t: Any, name: str, func: str) -> np.ndarray:
        arr = np.asarray(t, dtype=float)
        if np.any(~np.isfinite(arr)) or np.any(arr < 0):
            raise ParameterError(
                f"The {name!r} argument of {func} must hold numbers of periods >= 0. Got {t!r} instead."
            )
        return arr
