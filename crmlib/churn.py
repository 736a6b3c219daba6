"""Churn: measuring it from a purchase log, finding its drivers, and valuing what reduces it.

* **Measure.** In a non-contractual business nobody announces leaving; churn is inferred. Two stated
  rules: inactivity (:func:`churn_status`: no purchase in the last *L* days) and the BG/NBD probability
  of being alive (:func:`p_alive_status`). :func:`churn_rate` gives the churn rate per period by the
  inactivity rule.
* **Explain.** :class:`ChurnLogit` fits a logistic regression by maximum likelihood (Newton-Raphson)
  with standard errors, z, p-values, odds ratios and average marginal effects; clear errors for
  constant columns, collinear columns and perfect separation.
* **Value.** :func:`retention_gain` prices a few points less churn through the retention CLV of Gupta and
  Lehmann (:func:`crmlib.clv.retention_clv`); :func:`campaign_value` and :func:`campaign_curve` give the
  expected profit of a retention campaign targeted by churn risk times value (Neslin et al. 2006).
* **Act.** :data:`RETENTION_STRATEGIES` (service recovery, switching barriers, rewards) and
  :func:`crm_checklist`, the questions a firm must answer before building a CRM system.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way. *Marketing
Science* 24(2), 275-284.
Gupta, S. and Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing* 17(1), 9-24.
Hosmer, D. W., Lemeshow, S. and Sturdivant, R. X. (2013). *Applied Logistic Regression*, 3rd ed. Wiley.
Neslin, S. A., Gupta, S., Kamakura, W., Lu, J. and Mason, C. H. (2006). Defection detection: measuring and
understanding the predictive accuracy of customer churn models. *Journal of Marketing Research* 43(2), 204-211.
Reichheld, F. F. and Sasser, W. E. (1990). Zero defections: quality comes to services. *Harvard Business
Review* 68(5), 105-111.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import expit, ndtr, ndtri  # the normal's tails without scipy.stats (0.6 s to import)

from crmlib._days import purchase_days
from crmlib.data import DataError, check_canonical

if TYPE_CHECKING:
    from crmlib.models import BetaGeo

from crmlib.params import DateLike, ParameterError, check_choice, check_number, check_unit, unit_days

__all__ = [
    "RETENTION_STRATEGIES",
    "CRM_QUESTIONS",
    "SeparationError",
    "churn_status",
    "p_alive_status",
    "churn_rate",
    "read_churn_study",
    "join_churn",
    "ChurnLogit",
    "what_if",
    "retention_gain",
    "campaign_value",
    "campaign_curve",
    "crm_checklist",
]

#: Strategies against churn: what each does, the drivers it answers and the bond it builds.
RETENTION_STRATEGIES: dict[str, dict[str, str]] = {
    "service recovery": {
        "does": "resolve complaints quickly and fairly; make it easy to complain",
        "answers": "service_failures, complaint_unresolved",
        "bond": "confidence (trust that problems get fixed)",
    },
    "switching barriers": {
        "does": "raise the cost of leaving with bonds customers value: integration, personal contacts, "
        "stored preferences",
        "answers": "competitor_offer, price_increase",
        "bond": "structural, social, customisation",
    },
    "rewards": {
        "does": "loyalty programme benefits that grow with tenure and spend",
        "answers": "competitor_offer, price_increase",
        "bond": "financial (the easiest for competitors to copy)",
    },
    "convenience": {
        "does": "shorten distance and delivery time: more outlets, home delivery, online ordering",
        "answers": "distance_km",
        "bond": "structural",
    },
}

#: The questions a firm must answer before building a CRM system, with what in the kit helps answer them.
CRM_QUESTIONS: dict[str, dict[str, str]] = {
    "value proposition": {
        "question": "Should the value proposition change to raise loyalty?",
        "evidence": "stage profile and value gap (crmlib.loyalty), churn drivers (ChurnLogit)",
    },
    "customisation": {
        "question": "How much customisation or one-to-one service, and for whom?",
        "evidence": "interaction lens (crmlib.relationship.interaction_view), tiers (crmlib.tiers)",
    },
    "share of wallet": {
        "question": "What extra value would a larger share of wallet bring, and does it differ by tier?",
        "evidence": "customer value and potential (crmlib.tiers.value_potential, crmlib.clv)",
    },
    "tiers": {
        "question": "Which tiers get which service level?",
        "evidence": "customer pyramid (crmlib.tiers.pyramid)",
    },
    "cost and time": {
        "question": "How much time and money does the system take, and when does it pay back?",
        "evidence": "retention_gain, campaign_value, programme_economics (crmlib.loyalty)",
    },
    "why not before": {
        "question": "Why was it not done before?",
        "evidence": "data availability: which lens the firm's data allow (crmlib.relationship.lenses)",
    },
    "without technology": {
        "question": "How could relationships be built without the technology?",
        "evidence": "bonds (crmlib.loyalty.bonds_table): social bonds need people, not software",
    },
}


class SeparationError(ValueError):
    """The logistic model cannot be estimated: a driver (or a combination) predicts churn perfectly."""


# --------------------------------------------------------------------------------------- measure


def churn_status(
    transactions: pd.DataFrame, *, inactive_after: float = 180, observation_end: DateLike | None = None, unit: str = "D"
) -> pd.DataFrame:
    r"""Churned or active, per customer, by a stated inactivity rule.

    A customer has churned at the end of observation :math:`T_{end}` when the last purchase lies more
    than *L* before it:

    .. math::  \text{churned}_c = \big(T_{end} - t_{\text{last},c}\big) > L

    The rule is a proxy: in a non-contractual setting a customer can return after *L*. Choose *L* well
    above the usual gap between purchases (e.g. a high quantile of inter-purchase times).

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).
    inactive_after : float > 0
        *L*, in ``unit``.
    observation_end : date, optional
        Default: the last date in the data. Later transactions are left out.
    unit : {"D", "W", "M", "Y"}
        Unit of *L* and of ``inactive_for``.

    Returns
    -------
    DataFrame
        Index ``customer_id``; ``first_purchase``, ``last_purchase``, ``inactive_for`` (in ``unit``),
        ``churned`` (bool).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 2], "amount": [1.0] * 3,
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-06-01"])})
    >>> churn_status(tx, inactive_after=90)["churned"].tolist()
    [True, False]
    """
    tx = check_canonical(transactions, "churn_status")
    unit = check_unit(unit, func="churn_status")
    L = check_number(inactive_after, "inactive_after", func="churn_status", low=0, low_open=True)
    if observation_end is not None:
        end = pd.Timestamp(observation_end).floor("D")
        tx = tx[tx["date"] <= end]
    if tx.empty:
        raise DataError("churn_status: no transaction on or before the observation end.")
    end = tx["date"].max().floor("D") if observation_end is None else end
    g = tx.groupby("customer_id")["date"]
    first = g.min().dt.floor("D")
    last = g.max().dt.floor("D")
    inactive = (end - last).dt.days / unit_days(unit)
    out = pd.DataFrame(
        {"first_purchase": first, "last_purchase": last, "inactive_for": inactive, "churned": inactive > L}
    )
    out.attrs.update({"unit": unit, "inactive_after": L, "observation_end": end})
    return out


def p_alive_status(summary: pd.DataFrame, model: BetaGeo | None = None, *, threshold: float = 0.5) -> pd.DataFrame:
    r"""Churned or active by the BG/NBD probability of being alive: churned when :math:`P(\text{alive}) < \theta`.

    .. math::  P(\text{alive}\mid x, t_x, T) = \Big[1 + \delta_{x>0}\tfrac{a}{b+x-1}
               \big(\tfrac{\alpha+T}{\alpha+t_x}\big)^{r+x}\Big]^{-1}

    (Fader, Hardie and Lee 2005, eq. 11). Unlike the inactivity rule it adapts to each customer's own
    pace: a long silence is alarming for a frequent buyer, normal for a rare one.

    Parameters
    ----------
    summary : DataFrame
        From :func:`crmlib.rfm.summarize` (``frequency``, ``recency``, ``T``).
    model : crmlib.models.BetaGeo, optional
        A fitted model; default: a BetaGeo fitted to ``summary``.
    threshold : float in (0, 1)
        :math:`\theta`.

    Returns
    -------
    DataFrame
        ``p_alive`` and ``churned`` per customer (``attrs["model"]`` holds the model).

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> s = pd.DataFrame({"frequency": [0, 5], "recency": [0, 2.0], "T": [30.0, 30.0]})
    >>> p_alive_status(s, m)["churned"].tolist()
    [False, True]
    """
    from crmlib.models import BetaGeo

    threshold = check_number(
        threshold, "threshold", func="p_alive_status", low=0, high=1, low_open=True, high_open=True
    )
    if not isinstance(summary, pd.DataFrame) or not {"frequency", "recency", "T"} <= set(summary.columns):
        raise DataError("p_alive_status needs the summary of crmlib.rfm.summarize (columns frequency, recency, T).")
    if model is None:
        model = BetaGeo().fit(summary)
    p = np.asarray(model.probability_alive(summary["frequency"], summary["recency"], summary["T"]), dtype=float)
    out = pd.DataFrame({"p_alive": p, "churned": p < threshold}, index=summary.index)
    out.attrs["model"] = model
    out.attrs["threshold"] = threshold
    return out


def churn_rate(
    transactions: pd.DataFrame, *, inactive_after: float = 180, period: str = "M", unit: str = "D"
) -> pd.DataFrame:
    r"""Churn rate per period by the inactivity rule: the share of the active base that becomes inactive.

    A customer is *active* at time *t* if they bought in :math:`(t-L, t]`. For each calendar period
    :math:`(s, e]` (months, quarters...):

    .. math::

        \text{churn rate} = \frac{\#\{c \text{ active at } s,\ \text{not active at } e\}}{\#\{c \text{ active at } s\}}

    per period (not per year). ``reactivated`` counts customers inactive at *s* (after buying before)
    who are active again at *e*; ``new`` the customers whose first purchase falls in the period and who
    are still active at *e*, so that ``active_end = active_start - churned + reactivated + new``. Periods
    start once the log is *L* old (before that every customer looks active) and end at the last full period.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    inactive_after : float > 0
        *L*, in ``unit``.
    period : {"M", "Q", "Y"}
        Calendar month, quarter or year.
    unit : {"D", "W", "M", "Y"}
        Unit of *L*.

    Returns
    -------
    DataFrame
        Index ``period_start``; columns ``active_start``, ``churned``, ``reactivated``, ``new``,
        ``active_end``, ``churn_rate``.

    Raises
    ------
    crmlib.data.DataError
        If the log is empty, a customer id, date or amount is missing (the rows are named), or the log is
        shorter than ``inactive_after`` plus one full ``period``.

    Examples
    --------
    >>> days = ["2024-01-05", "2024-03-20", "2024-01-10", "2024-03-25", "2024-04-30", "2024-05-31"]
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 2, 2], "amount": [1.0] * 6, "date": pd.to_datetime(days)})
    >>> churn_rate(tx, inactive_after=60)["churn_rate"].tolist()  # April, May
    [0.0, 0.5]
    """
    tx = check_canonical(transactions, "churn_rate")
    unit = check_unit(unit, func="churn_rate")
    L = check_number(inactive_after, "inactive_after", func="churn_rate", low=0, low_open=True) * unit_days(unit)
    period = check_choice(period, "period", ("M", "Q", "Y"), func="churn_rate")
    if tx.empty:
        raise DataError("churn_rate got an empty transaction log.")
    purchases = purchase_days(tx, func="churn_rate")  # the kit's purchase days: blanks refused, local calendar days
    codes, day = purchases.code, purchases.day
    n_cust = len(purchases.customers)
    first_day = np.full(n_cust, np.iinfo(np.int64).max)
    np.minimum.at(first_day, codes, day)
    start, last = day.min(), day.max()
    freq = {"M": "MS", "Q": "QS", "Y": "YS"}[period]
    lo = pd.Timestamp(np.datetime64(int(start + np.ceil(L)), "D"))
    bounds = pd.date_range(
        lo.to_period(period).to_timestamp()
        if lo == lo.to_period(period).to_timestamp()
        else (lo.to_period(period) + 1).to_timestamp(),
        pd.Timestamp(np.datetime64(int(last) + 1, "D")),
        freq=freq,
    )
    if len(bounds) < 2:
        raise DataError(
            f"churn_rate needs at least one full {period} period starting {L:g} days after the first purchase; "
            f"the log runs {int(last - start)} days. Use a shorter inactive_after or a shorter period."
        )
    b_days = bounds.to_numpy("datetime64[D]").astype(np.int64)

    def active_at(t: int) -> tuple[np.ndarray, np.ndarray]:
        # last purchase on or before day t (end of day t), per customer; active if t - last < L
        mask = day <= t
        last_by = np.full(n_cust, -np.iinfo(np.int64).max // 2)
        np.maximum.at(last_by, codes[mask], day[mask])
        seen = first_day <= t
        return seen & (t - last_by < L), seen

    rows = []
    # period (s, e]: s = day before the period's first day, e = its last day
    states = [active_at(int(b) - 1) for b in b_days]
    for j in range(len(b_days) - 1):
        a_s, seen_s = states[j]
        a_e, _ = states[j + 1]
        new = (~seen_s & a_e).sum()
        rows.append(
            {
                "period_start": bounds[j],
                "active_start": int(a_s.sum()),
                "churned": int((a_s & ~a_e).sum()),
                "reactivated": int((seen_s & ~a_s & a_e).sum()),
                "new": int(new),
                "active_end": int(a_e.sum()),
            }
        )
    out = pd.DataFrame(rows).set_index("period_start")
    out["churn_rate"] = out["churned"] / out["active_start"].where(out["active_start"] > 0)
    out.attrs.update({"inactive_after_days": L, "period": period})
    return out


# --------------------------------------------------------------------------------------- explain


class ChurnLogit:
    r"""Logistic regression of churn on its drivers, fitted by maximum likelihood.

    .. math::

        P(y_n = 1 \mid x_n) = \frac{1}{1+e^{-\eta_n}}, \quad \eta_n = \beta_0 + x_n^\top\beta,
        \qquad \ell(\beta) = \sum_n y_n\eta_n - \log(1+e^{\eta_n})

    maximised by Newton-Raphson (iteratively reweighted least squares):
    :math:`\beta \leftarrow \beta + (X^\top W X)^{-1} X^\top (y - p)`, :math:`W = \operatorname{diag}(p(1-p))`.
    Standard errors are the square roots of the diagonal of :math:`(X^\top W X)^{-1}` at the optimum;
    :math:`z = \hat\beta / SE`, two-sided p-values from the normal; odds ratios :math:`e^{\hat\beta}`
    with 95 % intervals :math:`e^{\hat\beta \pm 1.96\,SE}` (Hosmer, Lemeshow and Sturdivant 2013, ch. 1-3).

    Parameters
    ----------
    max_iter : int
        Newton steps before giving up.
    tol : float
        Convergence when the largest coefficient change is below ``tol``.

    Attributes
    ----------
    params_ : dict
        ``"intercept"`` and one coefficient per driver (log-odds per unit of the driver).
    bse_ : dict
        Standard errors.
    log_likelihood_ : float
    n_ : int
    drivers_ : list of str

    Examples
    --------
    >>> from crmlib.datasets import make_churn_drivers
    >>> d = make_churn_drivers(3000, seed=0)
    >>> m = ChurnLogit().fit(d[["price_increase", "bonds"]], d["churned"])
    >>> sorted(m.params_)
    ['bonds', 'intercept', 'price_increase']
    """

    def __init__(self, *, max_iter: int = 50, tol: float = 1e-8):
        self.max_iter = max_iter
        self.tol = tol

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: ArrayLike) -> ChurnLogit:
        """Fit to drivers ``X`` (one numeric column per driver; an intercept is added) and 0/1 churn ``y``.

        Raises
        ------
        crmlib.data.DataError
            Non-numeric or missing values, a constant column, collinear columns, y not 0/1.
        SeparationError
            A driver separates churners from stayers perfectly (estimates would be infinite).
        """
        func = "ChurnLogit.fit"
        max_iter = check_number(self.max_iter, "max_iter", func=func, low=1, integer=True)
        tol = check_number(self.tol, "tol", func=func, low=0, low_open=True)
        X, yv = self._check(X, y, func)
        names = ["intercept", *map(str, X.columns)]
        A = np.column_stack([np.ones(len(X)), X.to_numpy(dtype=float)])
        self._check_separation(X, yv)
        beta = np.zeros(A.shape[1])
        p0 = yv.mean()
        beta[0] = np.log(p0 / (1 - p0))
        converged = False
        for _ in range(max_iter):
            eta = A @ beta
            p = expit(eta)
            w = p * (1 - p)
            H = A.T @ (A * w[:, None])
            g = A.T @ (yv - p)
            step = np.linalg.solve(H, g)
            # step halving keeps the log-likelihood increasing
            ll_old = self._ll(A, yv, beta)
            t = 1.0
            while self._ll(A, yv, beta + t * step) < ll_old - 1e-10 and t > 1e-6:
                t /= 2
            beta = beta + t * step
            if np.max(np.abs(t * step)) < tol:
                converged = True
                break
        eta = A @ beta
        p = expit(eta)
        if np.max(np.abs(beta[1:])) > 15 or (np.min(np.minimum(p, 1 - p)) < 1e-10 and not converged):
            big = names[1 + int(np.argmax(np.abs(beta[1:])))]
            raise SeparationError(
                f"{func}: the estimates run off to infinity (largest: {big!r} = {beta[names.index(big)]:.1f}); some "
                "combination of drivers separates churners from stayers perfectly. Drop or merge that driver, "
                "or collect more data."
            )
        if not converged:
            raise SeparationError(
                f"{func} did not converge in {max_iter} Newton steps; the data may be (nearly) separated. "
                "Check drivers with very large coefficients or raise max_iter."
            )
        w = p * (1 - p)
        cov = np.linalg.inv(A.T @ (A * w[:, None]))
        self.params_ = dict(zip(names, beta.tolist()))
        self.bse_ = dict(zip(names, np.sqrt(np.diag(cov)).tolist()))
        self.cov_ = pd.DataFrame(cov, index=names, columns=names)
        self.log_likelihood_ = float(self._ll(A, yv, beta))
        self.null_log_likelihood_ = float(len(yv) * (p0 * np.log(p0) + (1 - p0) * np.log(1 - p0)))
        self.n_ = int(len(yv))
        self.drivers_ = names[1:]
        self._binary = {c: bool(set(np.unique(X[c])) <= {0.0, 1.0}) for c in X.columns}
        self._X = X
        return self

    @staticmethod
    def _ll(A, y, beta) -> float:
        eta = A @ beta
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)))

    @staticmethod
    def _check(X, y, func):
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"{func} needs the drivers as a DataFrame (one column per driver); got {type(X).__name__}.")
        if len(X) != len(y):
            raise DataError(f"{func}: X has {len(X)} rows but y has {len(y)}; give one churn value per row of X.")
        for c in X.columns:
            if not pd.api.types.is_numeric_dtype(X[c]):
                raise DataError(
                    f"{func}: driver {c!r} holds {X[c].dtype}; code it as numbers (0/1 for yes/no, dummies "
                    "for categories)."
                )
            bad = X.index[X[c].isna()][:5].tolist()
            if bad:
                raise DataError(
                    f"{func}: driver {c!r} has missing values; first offending rows: {bad}. Drop or impute them."
                )
        X = X.astype(float)
        yv = np.asarray(y, dtype=float)
        bad = np.flatnonzero(~np.isin(yv, (0.0, 1.0)))
        if bad.size:
            raise DataError(
                f"{func}: y must be 0 (stayed) or 1 (churned); first offending rows: {list(X.index[bad[:5]])} "
                f"(values {yv[bad[:5]].tolist()})."
            )
        if yv.min() == yv.max():
            raise DataError(f"{func}: every y is {int(yv[0])}; a churn model needs both churners and stayers.")
        const = [c for c in X.columns if X[c].nunique() <= 1]
        if const:
            raise DataError(
                f"{func}: driver {const[0]!r} is constant (always {X[const[0]].iloc[0]:g}); it cannot be "
                "told apart from "
                "the intercept. Drop it."
            )
        A = np.column_stack([np.ones(len(X)), X.to_numpy()])
        rank = np.linalg.matrix_rank(A)
        if rank < A.shape[1]:
            # find a column that is a combination of the previous ones
            for j in range(2, A.shape[1] + 1):
                if np.linalg.matrix_rank(A[:, :j]) < j:
                    raise DataError(
                        f"{func}: driver {X.columns[j - 2]!r} is a linear combination of the intercept and the drivers "
                        "before it (collinear); drop it or one of them."
                    )
        return X, yv

    @staticmethod
    def _check_separation(X, yv):
        for c in X.columns:
            vals = np.unique(X[c])
            if len(vals) == 2:
                for v in vals:
                    sub = yv[X[c].to_numpy() == v]
                    if sub.min() == sub.max():
                        raise SeparationError(
                            f"ChurnLogit.fit: driver {c!r} separates the data: every customer with {c} = {v:g} has "
                            f"churned = {int(sub[0])} ({len(sub)} customers), so its coefficient would be infinite. "
                            "Drop or merge the driver, or collect more data."
                        )

    def _fitted(self):
        if not hasattr(self, "params_"):
            from crmlib.models import NotFittedError

            raise NotFittedError("This ChurnLogit is not fitted yet; call .fit(X, y) first.")

    # -- results --------------------------------------------------------------------------------
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        r"""Churn probability :math:`1/(1+e^{-\eta})` for each row of ``X`` (columns as in ``fit``)."""
        self._fitted()
        missing = [c for c in self.drivers_ if c not in X.columns]
        if missing:
            raise DataError(f"ChurnLogit.predict_proba: X lacks the drivers {', '.join(missing)}.")
        beta = np.array([self.params_[c] for c in self.drivers_])
        eta = self.params_["intercept"] + X[self.drivers_].to_numpy(dtype=float) @ beta
        return expit(eta)

    def marginal_effects(self, X: pd.DataFrame | None = None) -> pd.Series:
        r"""Average marginal effects: the change in churn probability per unit of each driver, averaged over customers.

        Continuous driver *j*: :math:`\mathrm{AME}_j = \frac{1}{N}\sum_n \hat p_n(1-\hat p_n)\hat\beta_j`.
        0/1 driver: :math:`\frac{1}{N}\sum_n [\hat p_n(x_{nj}=1) - \hat p_n(x_{nj}=0)]` (the discrete change).
        In probability units (0.05 = 5 percentage points). ``X`` defaults to the fitting data.
        """
        self._fitted()
        X = self._X if X is None else X
        p = self.predict_proba(X)
        out = {}
        for c in self.drivers_:
            if self._binary[c]:
                hi = X.copy()
                hi[c] = 1.0
                lo = X.copy()
                lo[c] = 0.0
                out[c] = float(np.mean(self.predict_proba(hi) - self.predict_proba(lo)))
            else:
                out[c] = float(np.mean(p * (1 - p)) * self.params_[c])
        return pd.Series(out, name="ame")

    def summary(self, *, level: float = 0.95) -> pd.DataFrame:
        """The table a manager reads: coefficient, SE, z, p, odds ratio with its interval, average marginal effect.

        Returns
        -------
        DataFrame
            Index = ``intercept`` and the drivers; columns ``coef``, ``se``, ``z``, ``p_value``, ``odds_ratio``,
            ``or_low``, ``or_high``, ``ame`` (NaN for the intercept).
        """
        self._fitted()
        level = check_number(level, "level", func="ChurnLogit.summary", low=0, high=1, low_open=True, high_open=True)
        q = ndtri(0.5 + level / 2)  # the normal quantile
        coef = pd.Series(self.params_)
        se = pd.Series(self.bse_)
        z = coef / se
        out = pd.DataFrame(
            {
                "coef": coef,
                "se": se,
                "z": z,
                "p_value": 2 * ndtr(-np.abs(z.to_numpy())),  # two-sided normal tail
                "odds_ratio": np.exp(coef),
                "or_low": np.exp(coef - q * se),
                "or_high": np.exp(coef + q * se),
            }
        )
        out["ame"] = self.marginal_effects().reindex(out.index)
        out.index.name = "term"
        out.attrs["level"] = level
        out.attrs["pseudo_r2"] = 1 - self.log_likelihood_ / self.null_log_likelihood_
        return out


def what_if(model: ChurnLogit, X: pd.DataFrame, changes: Mapping[str, object]) -> pd.Series:
    r"""Predicted churn before and after changing some drivers: the effect of a retention strategy.

    With the fitted model of eq. (4) of :class:`ChurnLogit`, the mean predicted churn probability over the
    customers of ``X``, as they are and with the drivers in ``changes`` replaced:

    .. math::  \bar p_{\text{before}} = \frac1N\sum_n p(x_n), \qquad
               \bar p_{\text{after}} = \frac1N\sum_n p(x_n'), \qquad
               \text{points} = 100\,(\bar p_{\text{before}} - \bar p_{\text{after}})

    It assumes the model's associations are causal (that changing a driver changes churn as the
    coefficient says), which holds for the simulated drivers and must be argued for real data.

    Parameters
    ----------
    model : ChurnLogit
        Fitted.
    X : DataFrame
        The customers' drivers (columns as in the fit); not modified.
    changes : mapping
        ``driver -> new value``: a number, an array, or a function of ``X`` returning the new column
        (e.g. ``lambda x: (x["bonds"] + 1).clip(upper=3)``).

    Returns
    -------
    Series
        ``churn_before``, ``churn_after`` (probabilities), ``points`` (percentage points less churn).

    Examples
    --------
    >>> x = pd.DataFrame({"x": np.repeat([0, 1], 100)})
    >>> y = np.concatenate([np.repeat([1, 0], [30, 70]), np.repeat([1, 0], [60, 40])])
    >>> m = ChurnLogit().fit(x, y)
    >>> what_if(m, x, {"x": 0}).round(3).tolist()  # everyone as the x = 0 group: 0.45 -> 0.30
    [0.45, 0.3, 15.0]
    """
    if not isinstance(model, ChurnLogit):
        raise ParameterError(
            f"The 'model' parameter of what_if must be a fitted ChurnLogit. Got {type(model).__name__} instead."
        )
    model._fitted()
    unknown = [k for k in changes if k not in model.drivers_]
    if unknown:
        raise ParameterError(
            f"The 'changes' parameter of what_if names drivers the model does not have: {unknown}; "
            f"its drivers are {', '.join(model.drivers_)}."
        )
    after = X.copy()
    for k, v in changes.items():
        after[k] = v(X) if callable(v) else v
    before_p = float(np.mean(model.predict_proba(X)))
    after_p = float(np.mean(model.predict_proba(after)))
    return pd.Series({"churn_before": before_p, "churn_after": after_p, "points": 100 * (before_p - after_p)})


# --------------------------------------------------------------------------------------- value


def retention_gain(
    margin: float,
    retention: float,
    discount_rate: float,
    *,
    points: Sequence[float] | float = 1.0,
    customers: float = 1.0,
) -> pd.DataFrame:
    r"""What a few points less churn are worth: the rise of the retention CLV of the customer base.

    With the Gupta-Lehmann CLV (:func:`crmlib.clv.retention_clv`, no horizon),

    .. math::

        \text{CLV}(r) = m\,\frac{r}{1+i-r},\qquad
        \Delta(\delta) = N\big[\text{CLV}(r+\delta) - \text{CLV}(r)\big]

    for churn lowered by :math:`\delta` (``points`` / 100). Margin, retention and discount rate must be
    per the same period (e.g. per year). Reichheld and Sasser (1990) report that 5 points less churn
    raised profits by 25 % to 85 % across industries; the CLV shows why: the gain grows as retention rises.

    Parameters
    ----------
    margin : float
        *m*, money per customer per period.
    retention : float
        *r* in [0, 1), per period.
    discount_rate : float
        *i*, per period.
    points : float or sequence of float
        Percentage points of churn removed (1 = from 20 % to 19 %); ``r + points/100`` must stay below 1.
    customers : float
        *N*, the customers the change applies to.

    Returns
    -------
    DataFrame
        Index ``points``; columns ``retention``, ``clv``, ``gain_per_customer``, ``gain``, ``gain_pct``.

    Examples
    --------
    >>> retention_gain(100, 0.8, 0.1, points=[0, 1]).round(2)["gain_per_customer"].tolist()
    [0.0, 12.64]
    """
    from crmlib.clv import retention_clv

    margin = check_number(margin, "margin", func="retention_gain")
    retention = check_number(retention, "retention", func="retention_gain", low=0, high=1, high_open=True)
    customers = check_number(customers, "customers", func="retention_gain", low=0)
    pts = np.atleast_1d(np.asarray(points, dtype=float))
    if np.any(~np.isfinite(pts)) or np.any(retention + pts / 100 >= 1) or np.any(retention + pts / 100 < 0):
        raise ParameterError(
            f"The 'points' parameter of retention_gain must keep retention + points/100 in [0, 1) "
            f"(retention is {retention:g}). Got {np.asarray(points).tolist()!r} instead."
        )
    base = retention_clv(margin, retention, discount_rate)
    clv = np.array([retention_clv(margin, retention + d / 100, discount_rate) for d in pts])
    out = pd.DataFrame({"retention": retention + pts / 100, "clv": clv}, index=pd.Index(pts, name="points"))
    out["gain_per_customer"] = clv - base
    out["gain"] = customers * out["gain_per_customer"]
    out["gain_pct"] = out["gain_per_customer"] / base if base != 0 else np.nan
    return out


def _campaign_args(func, churn_probability, value, success_rate, contact_cost, incentive_cost):
    p = np.asarray(churn_probability, dtype=float)
    v = np.asarray(value, dtype=float)
    if p.shape != v.shape:
        raise ParameterError(
            f"The 'churn_probability' and 'value' parameters of {func} must have the same length. Got "
            f"{p.shape} and {v.shape} instead."
        )
    bad = np.flatnonzero(~np.isfinite(p) | (p < 0) | (p > 1))
    if bad.size:
        raise ParameterError(
            f"The 'churn_probability' parameter of {func} must hold probabilities in [0, 1]. "
            f"Got {p[bad[:3]].tolist()} at positions {bad[:3].tolist()} instead."
        )
    if np.any(~np.isfinite(v)):
        raise ParameterError(f"The 'value' parameter of {func} must hold finite numbers. Got NaN or inf instead.")
    gamma = check_number(success_rate, "success_rate", func=func, low=0, high=1)
    c = check_number(contact_cost, "contact_cost", func=func, low=0)
    delta = check_number(incentive_cost, "incentive_cost", func=func, low=0)
    return p, v, gamma, c, delta


def campaign_value(
    churn_probability: ArrayLike,
    value: ArrayLike,
    *,
    success_rate: float,
    contact_cost: float,
    incentive_cost: float,
    target_share: float | None = None,
) -> pd.DataFrame:
    r"""Expected profit of a retention campaign, customer by customer, targeted by churn risk times value.

    A targeted customer with churn probability *p* and value *V* (the margin kept if they stay, e.g. their
    CLV) costs the contact *c*; a would-be churner is kept with probability :math:`\gamma` and takes the
    incentive :math:`\delta`; a customer who would have stayed anyway also takes the incentive
    (Neslin et al. 2006, eq. 1 per customer):

    .. math::  E[\pi] = p\,\gamma\,(V - \delta) - (1 - p)\,\delta - c

    Customers are ranked by :math:`E[\pi]`; by default all with :math:`E[\pi] > 0` are targeted, or the top
    ``target_share``. Targeting high risk alone wastes money on customers worth little; high value
    alone wastes incentives on customers who would stay.

    Parameters
    ----------
    churn_probability : array-like
        *p* per customer (e.g. :meth:`ChurnLogit.predict_proba` or 1 - P(alive)).
    value : array-like
        *V* per customer, money.
    success_rate : float in [0, 1]
        :math:`\gamma`: share of contacted would-be churners that the offer keeps.
    contact_cost, incentive_cost : float >= 0
        *c* and :math:`\delta`, money per customer.
    target_share : float in [0, 1], optional
        Target this share of customers (best first) instead of all with positive expected profit.

    Returns
    -------
    DataFrame
        ``churn_probability``, ``value``, ``expected_profit``, ``rank`` (1 = best), ``targeted``; ``attrs``
        holds ``total`` (expected profit of the campaign), ``n_targeted`` and ``saved`` (expected customers kept).

    Examples
    --------
    >>> out = campaign_value([0.5, 0.1], [200, 200], success_rate=0.4, contact_cost=2, incentive_cost=10)
    >>> out["expected_profit"].round(2).tolist()  # .5*.4*190 - .5*10 - 2 ; .1*.4*190 - .9*10 - 2
    [31.0, -3.4]
    """
    func = "campaign_value"
    p, v, gamma, c, delta = _campaign_args(func, churn_probability, value, success_rate, contact_cost, incentive_cost)
    ep = p * gamma * (v - delta) - (1 - p) * delta - c
    order = np.argsort(-ep, kind="stable")
    rank = np.empty(len(ep), dtype=int)
    rank[order] = np.arange(1, len(ep) + 1)
    if target_share is None:
        targeted = ep > 0
    else:
        target_share = check_number(target_share, "target_share", func=func, low=0, high=1)
        targeted = rank <= int(round(target_share * len(ep)))
    index = churn_probability.index if isinstance(churn_probability, pd.Series) else None
    out = pd.DataFrame(
        {"churn_probability": p, "value": v, "expected_profit": ep, "rank": rank, "targeted": targeted}, index=index
    )
    out.attrs.update(
        {
            "total": float(ep[targeted].sum()),
            "n_targeted": int(targeted.sum()),
            "saved": float((p * gamma)[targeted].sum()),
        }
    )
    return out


def campaign_curve(
    churn_probability: ArrayLike,
    value: ArrayLike,
    *,
    success_rate: float,
    contact_cost: float,
    incentive_cost: float,
    shares: Sequence[float] | None = None,
) -> pd.DataFrame:
    r"""Campaign profit against the share of customers targeted, for three ways of ranking them.

    Rankings: ``risk`` (highest churn probability first), ``value`` (highest value first) and
    ``expected_profit`` (eq. of :func:`campaign_value`, i.e. risk times value net of costs). The profit
    of targeting the top *s* is the sum of their :math:`E[\pi]`.

    Parameters
    ----------
    churn_probability, value, success_rate, contact_cost, incentive_cost
        As in :func:`campaign_value`.
    shares : sequence of float in [0, 1], optional
        Default 0, 0.02, ..., 1.

    Returns
    -------
    DataFrame
        Index ``share``; one column of total expected profit per ranking.

    Examples
    --------
    >>> c = campaign_curve([0.5, 0.1], [200, 20], success_rate=0.4, contact_cost=2, incentive_cost=10,
    ...                    shares=[0, 0.5, 1])
    >>> c.loc[0.5].round(1).tolist()
    [31.0, 31.0, 31.0]
    """
    func = "campaign_curve"
    p, v, gamma, c, delta = _campaign_args(func, churn_probability, value, success_rate, contact_cost, incentive_cost)
    ep = p * gamma * (v - delta) - (1 - p) * delta - c
    grid = np.linspace(0, 1, 51) if shares is None else np.asarray(shares, dtype=float)
    if np.any((grid < 0) | (grid > 1)):
        raise ParameterError(
            f"The 'shares' parameter of {func} must hold shares in [0, 1]. Got {grid.tolist()} instead."
        )
    n = len(ep)
    out = {}
    for name, key in (("risk", -p), ("value", -v), ("expected_profit", -ep)):
        cum = np.concatenate([[0.0], np.cumsum(ep[np.argsort(key, kind="stable")])])
        out[name] = cum[np.round(grid * n).astype(int)]
    return pd.DataFrame(out, index=pd.Index(grid, name="share"))


def read_churn_study(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    customer: str = "customer_id",
    churned: str | None = "churned",
    drivers: Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""Read a firm's own customer file as a churn study: one row per customer, numeric drivers, a 0/1 churn flag.

    A transaction log records no complaints, offers or price increases; a firm's customer file (a CRM export, a
    survey) may. This reads such a file for :class:`ChurnLogit`, whose model is
    :math:`P(\text{churn}_n = 1) = 1 / (1 + e^{-(\beta_0 + x_n^\top\beta)})`.

    Parameters
    ----------
    source : str, Path or DataFrame
        A CSV (``.csv``, ``.csv.gz``), Excel (``.xlsx``) or Parquet file, or a frame; only read.
    customer : str
        The customer-id column (matched as text with the ``customer_id`` of the log).
    churned : str or None
        The churn column (0/1 or True/False). When the file has no column of that name, the result has no
        ``churned`` column and the caller takes churn from the log (e.g. :func:`churn_status`); ``None`` ignores it.
    drivers : sequence of str, optional
        The driver columns; default every numeric or True/False column other than ``customer`` and ``churned``.

    Returns
    -------
    DataFrame
        Index ``customer_id`` (text); the drivers as floats, then ``churned`` (int 0/1) if the file has it.

    Raises
    ------
    crmlib.data.DataError
        A missing column, a repeated customer id, a driver that is not a number, a missing value or a churn flag
        other than 0/1; the message names the column, the first rows and the argument to change.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"id": ["a", "b", "c"], "complaints": [0, 2, 1], "left": [0, 1, 0]})
    >>> read_churn_study(f, customer="id", churned="left")
             complaints  churned
    customer_id
    a                   0.0        0
    b                   2.0        1
    c                   1.0        0
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = str(os.fspath(source))
        name = path.lower()
        if not os.path.isfile(path):
            raise DataError(
                f"The customer file {path!r} does not exist; give the path of a CSV, Excel or Parquet file."
            )
        if name.endswith((".xlsx", ".xlsm")):
            frame = pd.read_excel(path)
        elif name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep=None, engine="python")
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if customer not in columns:
        raise DataError(
            f"The customer file has no column {customer!r} (the customer argument); its columns are: "
            f"{', '.join(columns)}."
        )
    ids = frame[customer].astype(str).str.strip()
    repeated = ids[ids.duplicated(keep=False)]
    if len(repeated):
        raise DataError(
            f"The customer file repeats customer ids in column {customer!r} (rows "
            f"{', '.join(map(str, repeated.index[:5] + 2))}): a churn study has one row per customer; keep one "
            "row each."
        )
    has_flag = churned is not None and churned in columns
    if drivers is None:
        types = pd.api.types
        numeric = [c for c in columns if types.is_numeric_dtype(frame[c]) or types.is_bool_dtype(frame[c])]
        drivers = [c for c in numeric if c not in (customer, churned)]
    drivers = [str(d) for d in drivers]
    for d in drivers:
        if d not in columns:
            raise DataError(
                f"The customer file has no driver column {d!r} (the drivers argument); its columns are: "
                f"{', '.join(columns)}."
            )
    if not drivers:
        raise DataError(
            "The customer file has no numeric column to use as a churn driver; name the drivers with the drivers "
            "argument (numbers or 0/1 columns)."
        )
    out = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="customer_id"))
    for d in drivers:
        values = pd.to_numeric(
            frame[d].astype(float) if pd.api.types.is_bool_dtype(frame[d]) else frame[d], errors="coerce"
        )
        bad = values.index[values.isna()]
        if len(bad):
            raise DataError(
                f"Column {d!r} of the customer file has {len(bad):,} missing or non-numeric values (rows "
                f"{', '.join(map(str, bad[:5] + 2))}): fill them or leave the column out of the drivers argument."
            )
        out[d] = values.to_numpy(dtype=float)
    if has_flag:
        flag = frame[churned]
        flag = flag.astype(int) if pd.api.types.is_bool_dtype(flag) else pd.to_numeric(flag, errors="coerce")
        bad = flag.index[~flag.isin([0, 1])]
        if len(bad):
            raise DataError(
                f"Column {churned!r} of the customer file must be 0/1 (1 = churned); rows "
                f"{', '.join(map(str, bad[:5] + 2))} hold other values. Fix them or name the right column with the "
                "churned argument."
            )
        out["churned"] = flag.to_numpy(dtype=int)
    return out


def join_churn(
    study: pd.DataFrame,
    churned: pd.Series | None = None,
    *,
    drivers: Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""A churn study ready for :class:`ChurnLogit`: the drivers and a 0/1 churn flag for each customer.

    A customer file often lacks the churn flag; the log supplies it (:func:`churn_status`: no purchase in the last
    :math:`L` days). The study's own ``churned`` column is used when it has one; otherwise ``churned`` is matched by
    customer id, and the customers of the file the log does not know are left out (the logistic model
    :math:`P(\text{churn}_n = 1) = 1 / (1 + e^{-(\beta_0 + x_n^\top\beta)})` needs the flag of every row).

    Parameters
    ----------
    study : DataFrame
        One row per customer, index the customer id: the drivers and, optionally, ``churned`` (0/1), as
        :func:`read_churn_study`, :func:`crmlib.datasets.load_churn` or :func:`crmlib.datasets.make_churn_drivers`
        give it; only read.
    churned : Series, optional
        0/1 (or True/False) per customer id, e.g. ``churn_status(tx)["churned"]``; needed when the study has no
        ``churned`` column, ignored otherwise.
    drivers : sequence of str, optional
        The driver columns; default every column of ``study`` other than ``churned``.

    Returns
    -------
    DataFrame
        The drivers as floats, then ``churned`` (float 0/1), for the customers with a known flag. ``attrs`` keeps
        the study's (``true_params`` of simulated data) and adds ``drivers`` (the list), ``churn_from``
        (``"study"`` or ``"log"``) and ``left_out`` (customers dropped for want of a flag).

    Raises
    ------
    crmlib.params.ParameterError
        The study has no ``churned`` column and ``churned`` is not given, a driver column is missing, or no
        customer of the study has a flag.

    References
    ----------
    Hosmer, D. W., Lemeshow, S. and Sturdivant, R. X. (2013). *Applied Logistic Regression*, 3rd ed. Wiley.

    Examples
    --------
    >>> study = pd.DataFrame({"complaints": [0, 2, 1]}, index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> joined = join_churn(study, pd.Series({"a": False, "b": True}))
    >>> joined
                 complaints  churned
    customer_id
    a                   0.0      0.0
    b                   2.0      1.0
    >>> joined.attrs["churn_from"], joined.attrs["left_out"]
    ('log', 1)
    """
    if not isinstance(study, pd.DataFrame):
        raise ParameterError(
            f"The 'study' parameter of join_churn must be a DataFrame (one row per customer); got "
            f"{type(study).__name__}."
        )
    names = [c for c in study.columns if c != "churned"] if drivers is None else [str(d) for d in drivers]
    missing = [d for d in names if d not in study.columns]
    if missing:
        raise ParameterError(
            f"The 'drivers' parameter of join_churn names columns the study lacks: {missing}; its columns are: "
            f"{', '.join(map(str, study.columns))}."
        )
    text = [d for d in names if pd.to_numeric(study[d], errors="coerce").isna().gt(study[d].isna()).any()]
    if text:
        raise ParameterError(
            f"The driver column(s) {text} of the study hold values that are not numbers; give numeric drivers only, "
            f"e.g. drivers={[d for d in names if d not in text]!r}, or code the text as 0/1 columns first."
        )
    out = study[names].astype(float)
    if "churned" in study.columns:
        flag, source = pd.to_numeric(study["churned"], errors="coerce").astype(float), "study"
    elif churned is None:
        raise ParameterError(
            "The study has no 'churned' column, so join_churn needs the 'churned' parameter: 0/1 per customer id, "
            "e.g. churn_status(transactions)['churned']."
        )
    else:
        known = pd.Series(churned).astype(float)
        known.index = known.index.astype(str)
        flag, source = known.reindex(study.index.astype(str)).set_axis(study.index), "log"
    out["churned"] = flag.to_numpy()
    keep = out["churned"].notna().to_numpy()
    if not keep.any():
        raise ParameterError(
            "No customer of the study has a churn flag: the customer ids of the study and of the 'churned' "
            "parameter do not match; read both with the same customer-id column."
        )
    out = out[keep]
    out.attrs = {**study.attrs, "drivers": names, "churn_from": source, "left_out": int((~keep).sum())}
    return out


# --------------------------------------------------------------------------------------- act


def crm_checklist(answers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The questions a firm must answer before building a CRM system, with the evidence and its answers.

    Parameters
    ----------
    answers : mapping, optional
        ``key -> the firm's answer`` for keys of :data:`CRM_QUESTIONS`.

    Returns
    -------
    DataFrame
        Index = key; columns ``question``, ``evidence``, ``answer`` (empty string if not yet answered),
        ``answered`` (bool).

    Examples
    --------
    >>> crm_checklist({"tiers": "gold and platinum get a personal contact"})["answered"].sum()
    np.int64(1)
    """
    answers = {} if answers is None else dict(answers)
    unknown = [k for k in answers if k not in CRM_QUESTIONS]
    if unknown:
        raise ParameterError(
            f"The 'answers' parameter of crm_checklist has unknown keys {unknown}; the questions are: "
            f"{', '.join(CRM_QUESTIONS)}."
        )
    out = pd.DataFrame.from_dict(CRM_QUESTIONS, orient="index")
    out["answer"] = [str(answers.get(k, "")) for k in out.index]
    out["answered"] = out["answer"].str.strip() != ""
    out.index.name = "key"
    return out
