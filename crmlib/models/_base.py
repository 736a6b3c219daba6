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

__all__ = ["ModelError", "ConvergenceError", "NotFittedError"]

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
        objective = lambda lp: self._neg_mean_loglik(lp, arrays, weights, total)  # noqa: E731
        jac = None
        if hasattr(self, "_grad"):
            jac = lambda lp: self._neg_mean_grad(lp, arrays, weights, total)  # noqa: E731
        x0 = np.log(start)
        if not math.isfinite(objective(x0)) or objective(x0) >= 1e299:
            raise ConvergenceError(
                f"{func}: the log-likelihood cannot be evaluated at the starting values "
                f"{dict(zip(self._param_names, start.round(4)))}; give other initial_params."
            )
        best = None
        for method, options in (
            ("L-BFGS-B", {"maxiter": self.maxiter, "ftol": self.tol * 1e-3, "gtol": self.tol * 1e-2}),
            ("Nelder-Mead", {"maxiter": self.maxiter * 5, "xatol": 1e-9, "fatol": self.tol * 1e-3}),
            ("BFGS", {"maxiter": self.maxiter, "gtol": 1e-8}),
        ):
            x_start = x0 if best is None else best.x
            with np.errstate(all="ignore"):
                res = optimize.minimize(
                    objective, x_start, method=method, options=options, jac=jac if method != "Nelder-Mead" else None
                )
            if best is None or res.fun <= best.fun:
                best = res
            grad = jac(best.x) if jac is not None else optimize.approx_fprime(best.x, objective, 1e-7)
            if np.all(np.isfinite(best.x)) and np.max(np.abs(grad)) < 1e-5 and method != "L-BFGS-B":
                break
            if method == "L-BFGS-B" and res.success and np.max(np.abs(grad)) < 1e-6:
                break
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
        self.n_ = int(round(total))
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
