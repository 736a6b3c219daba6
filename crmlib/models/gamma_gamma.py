r"""Gamma-Gamma model of spend per transaction, and customer lifetime value from a transaction model.

A customer's transaction values are :math:`z \sim \text{Gamma}(p, \nu)` (shape :math:`p`, rate :math:`\nu`),
so her mean spend is :math:`p/\nu`; across customers :math:`\nu \sim \text{Gamma}(q, \gamma)`. The model
assumes spend independent of the purchase process (check the correlation of frequency and mean spend).

References: Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430. Fader, P. S. and Hardie, B. G. S.
(2013). The Gamma-Gamma model of monetary value. Note, brucehardie.com.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from crmlib.models._base import (
    MIN_CUSTOMERS,
    BaseModel,
    FitData,
    ModelError,
    check_summary,
    summary_unit,
)
from crmlib.params import UNIT_DAYS, UNIT_NAMES, check_number, check_unit

__all__ = ["GammaGamma", "customer_lifetime_value"]

#: Default annual discount rate of :func:`customer_lifetime_value` (10% per year).
DEFAULT_DISCOUNT_RATE = 0.10


class GammaGamma(BaseModel):
    r"""Gamma-Gamma model of the mean spend per transaction (FHL 2005b; Fader and Hardie 2013).

    Parameters
    ----------
    penalizer, initial_params, tol, maxiter
        As for :class:`~crmlib.models.BetaGeo` (``initial_params`` keys ``p``, ``q``, ``v``).

    Attributes
    ----------
    params_ : dict
        ``p`` (shape of the spend of one transaction), ``q`` and ``v`` (shape and rate of the
        heterogeneity of :math:`\nu`; ``v`` is in money units).
    log_likelihood_, n_, covariance_
        Fitted on the ``n_`` customers with at least one repeat purchase.

    Notes
    -----
    ``fit(summary)``: columns ``frequency`` and ``monetary_value`` (mean of the repeat transactions, the first
    purchase left out), from :func:`crmlib.rfm.summarize`; customers without a repeat purchase are ignored.

    Likelihood of the mean :math:`\bar z` of a customer's :math:`x` repeat transactions (Fader and Hardie 2013, eq. 4):

    .. math::

        f(\bar z \mid p, q, \gamma; x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
        \frac{\gamma^q \, \bar z^{px-1} x^{px}}{(\gamma + x\bar z)^{px+q}}

    The fit uses sufficient statistics: the Gamma functions once per distinct frequency, one pass of
    :math:`\log(\gamma + x\bar z)` over the customers for the likelihood and its gradient.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(1, 6, 400)
    >>> nu = rng.gamma(4.0, 1 / 20.0, 400)
    >>> summary = pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(5.0 * x, 1 / nu) / x})
    >>> sorted(GammaGamma().fit(summary).params_)
    ['p', 'q', 'v']
    """

    _param_names = ("p", "q", "v")
    _what = "repeat customers"

    def _prepare(self, data: Any, func: str, **options: Any) -> FitData:
        self._options(options, func)
        if isinstance(data, pd.DataFrame) and "monetary_value" in data.columns and "frequency" in data.columns:
            mv = pd.to_numeric(data["monetary_value"], errors="coerce")
            fq = pd.to_numeric(data["frequency"], errors="coerce")
            bad = (fq > 0) & (mv <= 0)
            if bad.any():
                rows = data.index[bad.to_numpy()][:5].tolist()
                raise ModelError(
                    f"{func}: {int(bad.sum())} repeat customers have a mean spend of zero or less (first: "
                    f"{rows}); the Gamma-Gamma model needs positive amounts. Net out returns per purchase "
                    "day and leave out free orders, or fit only customers with positive spend."
                )
        check_summary(data, ("frequency", "monetary_value"), func)
        repeat = data["frequency"].to_numpy(dtype=float) > 0
        x = data["frequency"].to_numpy(dtype=float)[repeat]
        m = data["monetary_value"].to_numpy(dtype=float)[repeat]
        (xs, ms), w = _collapse_sorted(x, m)
        return FitData((xs, ms), weights=w, unit=summary_unit(data, None, func), collapse=False)

    def _check_data(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, func: str) -> None:
        n = int(round(float(weights.sum())))
        if n < MIN_CUSTOMERS:
            raise ModelError(
                f"{func}: only {n} customers with a repeat purchase; the Gamma-Gamma model is fitted on repeat "
                f"customers' mean spend and needs at least {MIN_CUSTOMERS} (in practice hundreds). Use more data "
                "or a longer observation window."
            )

    def _design(self, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> _GGStats:
        return _GGStats(columns[0], columns[1], weights)

    def _initial(self, design: _GGStats, weights: np.ndarray) -> np.ndarray:
        mean = float(np.sum(weights * design.m) / weights.sum())
        return np.array([1.0, 3.0, 2.0 * mean])  # prior mean p v / (q - 1) = the observed mean

    def _loglik_grad(self, params: np.ndarray, design: _GGStats, weights: np.ndarray) -> tuple[float, np.ndarray]:
        # sufficient statistics: same value as the row-wise _loglik summed with the weights (to ~1e-14 relative)
        return design.loglik(params), design.grad(params)

    def _grad(self, params: np.ndarray, design: _GGStats) -> np.ndarray:
        """Per-row gradient of ``_loglik`` with respect to (p, q, v), shape (3, rows)."""
        p, q, v = params
        x, m = design.x, design.m
        s = v + x * m
        common = digamma(p * x + q)
        return np.stack(
            [
                x * (common - digamma(p * x) + np.log(m) + np.log(x) - np.log(s)),
                common - digamma(q) + np.log(v) - np.log(s),
                q / v - (p * x + q) / s,
            ]
        )

    def _loglik(self, params: np.ndarray, design: _GGStats) -> np.ndarray:
        p, q, v = params
        x, m = design.x, design.m
        return (
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(v)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(v + x * m)
        )

    def mean_spend(self) -> Any:
        r"""Expected spend per transaction of a random customer, :math:`E[Z] = p\gamma/(q-1)` (needs :math:`q > 1`).

        Examples
        --------
        >>> m = GammaGamma(); m.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
        >>> round(m.mean_spend(), 2)
        35.22
        """
        p, q, v = self._p()
        if np.any(np.asarray(q) <= 1):
            low = float(np.min(q))
            raise ModelError(
                f"GammaGamma: q = {low:.3g} <= 1, so the population mean spend is infinite; the spend data are too "
                "heavy-tailed."
            )
        return p * v / (q - 1)

    def conditional_expected_spend(self, frequency: Any, monetary_value: Any) -> Any:
        r"""Expected spend per transaction of a customer with :math:`x` repeat purchases of mean :math:`\bar z`.

        .. math::

            E[Z \mid p, q, \gamma, \bar z, x] = \frac{p(\gamma + x \bar z)}{px + q - 1}
            = \frac{q - 1}{px + q - 1}\,\frac{p\gamma}{q - 1} + \frac{px}{px + q - 1}\,\bar z

        a weighted mean of the population mean and the customer's own mean (FHL 2005b, eq. 3). For
        :math:`x = 0` it is the population mean. Money units as the data.

        Examples
        --------
        >>> m = GammaGamma(); m.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
        >>> round(float(m.conditional_expected_spend(2, 40.0)), 2)
        39.14
        """
        p, q, v = self._p()
        if np.any(np.asarray(q) <= 1):
            self.mean_spend()
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        m = np.where(x > 0, m, 0.0)
        value = p * (v + x * m) / (p * x + q - 1)
        return value if value.ndim else float(value)

    def customer_lifetime_value(self, transaction_model: Any, summary: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        """Shorthand for :func:`customer_lifetime_value` with this spend model."""
        return customer_lifetime_value(transaction_model, self, summary, **kwargs)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of products without BLAS: a multi-threaded BLAS dot is 50x slower on a loaded machine."""
    return float(np.einsum("i,i->", a, b))


def _collapse_sorted(x: np.ndarray, m: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Distinct (x, m) rows, sorted, with their counts (mean spends are mostly distinct: sorting beats hashing)."""
    order = np.lexsort((m, x))
    xs, ms = x[order], m[order]
    new = np.ones(len(xs), dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]) | (ms[1:] != ms[:-1])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(xs))).astype(float)
    return (xs[starts], ms[starts]), counts


class _GGStats:
    r"""Sufficient statistics of the Gamma-Gamma log-likelihood of weighted rows :math:`(x_i, \bar z_i, w_i)`.

    .. math::

        \ell = \sum_k W_k\,[\ln\Gamma(p x_k + q) - \ln\Gamma(p x_k)] - W \ln\Gamma(q) + W q \ln\gamma
        + p\,(B + C) - A - \sum_i w_i (p x_i + q) \ln(\gamma + x_i \bar z_i)

    with :math:`x_k` the distinct frequencies and :math:`W_k` their weights, :math:`A = \sum w \ln \bar z`,
    :math:`B = \sum w x \ln \bar z`, :math:`C = \sum w x \ln x`.
    """

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> None:
        self.arrays_x = x
        self.x, self.m, self.w = x, m, w
        self.wx = w * x
        xu, inv = np.unique(x, return_inverse=True)
        self.xu = xu
        self.Wx = np.bincount(inv.ravel(), weights=w, minlength=len(xu))
        self.W = float(w.sum())
        with np.errstate(all="ignore"):
            logm = np.log(m)
            self.A = _dot(w, logm)
            self.B = _dot(self.wx, logm)
            self.C = _dot(self.Wx, xu * np.log(xu))

    def loglik(self, params: np.ndarray) -> float:
        p, q, v = params
        L = np.log(v + self.x * self.m)
        px = p * self.xu
        return float(
            _dot(self.Wx, gammaln(px + q) - gammaln(px))
            - self.W * gammaln(q)
            + self.W * q * np.log(v)
            + p * (self.B + self.C)
            - self.A
            - p * _dot(self.wx, L)
            - q * _dot(self.w, L)
        )

    def grad(self, params: np.ndarray) -> np.ndarray:
        p, q, v = params
        s = v + self.x * self.m
        L = np.log(s)
        inv = 1.0 / s
        px = p * self.xu
        common = digamma(px + q)
        return np.array(
            [
                _dot(self.Wx, self.xu * (common - digamma(px))) + self.B + self.C - _dot(self.wx, L),
                _dot(self.Wx, common) - self.W * digamma(q) + self.W * np.log(v) - _dot(self.w, L),
                self.W * q / v - p * _dot(self.wx, inv) - q * _dot(self.w, inv),
            ]
        )


def _distinct_pairs(x: np.ndarray, T: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Distinct (x, T) pairs and the pair of each row: hash each column (few distinct values), then the pair code."""
    cx, ux = pd.factorize(x)
    cT, uT = pd.factorize(T)
    pair, codes = pd.factorize(cx.astype(np.int64) * len(uT) + cT)
    return (ux[codes // len(uT)], uT[codes % len(uT)]), pair


def customer_lifetime_value(
    transaction_model: Any,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    *,
    horizon: float = 12,
    horizon_unit: str = "M",
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    discount_period: str = "Y",
    step: str = "M",
    margin: float = 1.0,
    unit: str | None = None,
    interval: float | None = None,
    draws: int = 200,
    seed: int | None = 0,
) -> pd.DataFrame:
    r"""Expected discounted value of each customer's purchases over a horizon, optionally with intervals.

    Every unit is stated, because mixing them up is the classic error (``lifetimes`` issues #137 and #194:
    a ``time`` in months against data in weeks, a monthly rate taken for an annual one):

    * the transaction model's durations are in its data unit :math:`u` (``transaction_model.unit_``,
      or ``unit`` here);
    * the horizon is ``horizon`` units of ``horizon_unit`` (default 12 months);
    * ``discount_rate`` :math:`d` is per ``discount_period`` (default 10% per year); the rate per
      ``step`` is :math:`(1+d)^{\text{step}/\text{period}} - 1`;
    * purchases are grouped into steps (default months) and each step's value is discounted from the
      end of the step.

    .. math::

        \text{CLV}_i = m \, E[Z_i] \sum_{k=1}^{K} \frac{E[Y_i(t_k)] - E[Y_i(t_{k-1})]}{(1+d)^{t_k / P}}

    with :math:`t_k` the step boundaries (the last one cut at the horizon), :math:`P` the discount
    period, :math:`E[Y_i(t)]` the transaction model's conditional expected purchases, :math:`E[Z_i]`
    the Gamma-Gamma conditional expected spend and :math:`m` the margin (share of revenue kept).
    The expected purchases of a customer still alive, which do not depend on recency, and their
    discounted sum are computed once per distinct (frequency, T) pair, P(alive) once per customer.
    Customer equity, the sum over the customers, is in ``attrs["equity"]``.

    **Intervals** (``interval=0.9``): the parameters of both models are drawn ``draws`` times from the
    asymptotic normal distribution of their maximum-likelihood estimates on the log scale (mean the
    estimates, covariance the inverse observed information; :meth:`BaseModel.parameter_draws
    <crmlib.models.BetaGeo.parameter_draws>`), the two models independently. Every quantity is recomputed
    under each draw; each customer's interval is the central ``interval`` share of her draws, and the
    equity interval the same share of the draws of the *sum* (not the sum of the customers' bounds). They
    show the uncertainty of the estimated parameters, not the chance in the customers' future behaviour.
    Memory stays bounded (customers are processed in chunks). P(alive) and spend are recomputed exactly under
    every draw; so is the BG/NBD's expected purchases if alive (a hypergeometric function per (frequency, T) pair
    and step) unless that takes more than two million evaluations (large bases): it is then carried to the draws by
    its log-linear expansion around the estimates (second-order error, well under 1% of the intervals' width).

    Parameters
    ----------
    transaction_model : BetaGeo, ModifiedBetaGeo or ParetoNBD
        Fitted; provides ``conditional_expected_purchases`` and ``probability_alive``.
    spend_model : GammaGamma
        Fitted.
    summary : DataFrame
        ``frequency``, ``recency``, ``T``, ``monetary_value`` per customer (data unit :math:`u`).
    horizon : float
        Length of the horizon in ``horizon_unit`` (> 0).
    horizon_unit, discount_period, step : {"D", "W", "M", "Y"}
    discount_rate : float
        Rate per ``discount_period``, in [0, 1).
    margin : float
        Share of revenue that is profit, in (0, 1] (1 = revenue CLV).
    unit : {"D", "W", "M", "Y"}, optional
        Unit of the summary's durations if the transaction model does not know it.
    interval : float, optional
        Coverage of the intervals, in (0, 1) (e.g. 0.9); None (default) for point values only.
    draws : int
        Parameter draws for the intervals (>= 20).
    seed : int or None
        Seed of the draws (same seed, same intervals).

    Returns
    -------
    DataFrame
        Index as ``summary``; columns ``probability_alive``, ``expected_purchases`` (over the horizon),
        ``expected_spend`` (per purchase) and ``clv`` (discounted, times margin); with ``interval`` also
        ``<column>_lower`` and ``<column>_upper`` for P(alive), expected purchases and CLV. ``attrs`` records the
        units, the per-step rate and ``equity`` (``estimate``, and with ``interval`` ``lower``, ``upper``,
        ``level``, ``draws``, ``method``).

    References
    ----------
    Fader, Hardie and Lee (2005b), section "Customer lifetime value"; Gupta et al. (2006) on discounting.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib.models import BetaGeo, GammaGamma
    >>> bg = BetaGeo(); bg.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}; bg.unit_ = "W"
    >>> gg = GammaGamma(); gg.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86], "monetary_value": [22.35]})
    >>> out = customer_lifetime_value(bg, gg, s, horizon=12, discount_rate=0.10)
    >>> bool(out["clv"].iloc[0] < out["expected_purchases"].iloc[0] * out["expected_spend"].iloc[0])
    True
    """
    func = "customer_lifetime_value"
    horizon = check_number(horizon, "horizon", func=func, low=0, low_open=True)
    horizon_unit = check_unit(horizon_unit, "horizon_unit", func=func)
    discount_period = check_unit(discount_period, "discount_period", func=func)
    step = check_unit(step, "step", func=func)
    discount_rate = check_number(
        discount_rate,
        "discount_rate",
        func=func,
        low=0,
        high=1,
        high_open=True,
        hint=f"It is a rate per {UNIT_NAMES[discount_period][:-1]} (discount_period), e.g. 0.10 for 10%.",
    )
    margin = check_number(margin, "margin", func=func, low=0, high=1, low_open=True)
    if interval is not None:
        interval = check_number(
            interval,
            "interval",
            func=func,
            low=0,
            high=1,
            low_open=True,
            high_open=True,
            hint="It is the coverage of the intervals, e.g. 0.9 for 90%.",
        )
        draws = int(check_number(draws, "draws", func=func, low=20, integer=True))
    transaction_model._check_fitted()
    spend_model._check_fitted()
    check_summary(summary, ("frequency", "recency", "T", "monetary_value"), func)
    data_unit = unit if unit is not None else getattr(transaction_model, "unit_", None)
    if data_unit is None:
        data_unit = summary.attrs.get("unit")
    if data_unit is None:
        raise ModelError(
            f"{func}: the time unit of the data is unknown, so the horizon cannot be converted. Fit the "
            "transaction model with fit(summary, unit='W') (the unit given to crmlib.rfm.summarize), or pass unit=."
        )
    data_unit = check_unit(data_unit, "unit", func=func)
    horizon_days = horizon * UNIT_DAYS[horizon_unit]
    step_days = UNIT_DAYS[step]
    n_steps = int(np.ceil(horizon_days / step_days - 1e-9))
    bounds_days = np.minimum(np.arange(1, n_steps + 1) * step_days, horizon_days)
    bounds = bounds_days / UNIT_DAYS[data_unit]  # step boundaries in the data unit
    discount = (1 + discount_rate) ** (-bounds_days / UNIT_DAYS[discount_period])

    x, tx, T, mv = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value"))
    covariates = summary if getattr(transaction_model, "covariates", ()) else None
    plan = _ClvPlan(transaction_model, x, tx, T, bounds, discount, covariates)
    alive, expected, discounted = plan.evaluate(transaction_model)
    spend = np.asarray(spend_model.conditional_expected_spend(x, mv), dtype=float)
    out = pd.DataFrame(
        {
            "probability_alive": alive,
            "expected_purchases": expected,
            "expected_spend": spend,
            "clv": margin * spend * discounted,
        },
        index=summary.index,
    )
    equity: dict[str, Any] = {"estimate": float(out["clv"].sum())}
    if interval is not None:
        from crmlib.models.uncertainty import clv_intervals

        bounds_table, equity_draws = clv_intervals(
            plan, transaction_model, spend_model, x, mv, margin=margin, level=interval, draws=draws, seed=seed
        )
        for col in ("probability_alive", "expected_purchases", "clv"):
            # by position: the bounds come in the summary's row order (its index may be customer ids)
            out[f"{col}_lower"] = bounds_table[f"{col}_lower"].to_numpy()
            out[f"{col}_upper"] = bounds_table[f"{col}_upper"].to_numpy()
        q = (1 - interval) / 2
        equity.update(
            lower=float(np.quantile(equity_draws, q)),
            upper=float(np.quantile(equity_draws, 1 - q)),
            level=interval,
            draws=draws,
            method=(
                "parameter draws from the asymptotic normal of the log-parameters (inverse observed information) of "
                "both models, independently; central share of the draws of the total"
            ),
        )
    out.attrs.update(
        {
            "data_unit": data_unit,
            "horizon": f"{horizon:g} {UNIT_NAMES[horizon_unit]}",
            "discount_rate": discount_rate,
            "discount_period": discount_period,
            "rate_per_step": (1 + discount_rate) ** (step_days / UNIT_DAYS[discount_period]) - 1,
            "step": step,
            "margin": margin,
            "equity": equity,
        }
    )
    return out


class _ClvPlan:
    r"""The customers' (x, t_x, T) and the step boundaries, and how to evaluate a transaction model on them.

    With a model that has ``_expected_if_alive`` (no covariates), ``E[Y(t) | alive, x, T]`` is evaluated once per
    distinct (x, T) pair and the discounted sum formed there, since
    :math:`\sum_k d_k (c_k - c_{k-1}) = \sum_k (d_k - d_{k+1}) c_k` with :math:`d_{K+1} = 0`; P(alive) is one
    closed-form expression per customer. Otherwise each customer is evaluated at every boundary.
    """

    def __init__(
        self,
        model: Any,
        x: np.ndarray,
        tx: np.ndarray,
        T: np.ndarray,
        bounds: np.ndarray,
        discount: np.ndarray,
        covariates: Any,
    ) -> None:
        self.x, self.tx, self.T, self.bounds, self.discount = x, tx, T, bounds, discount
        self.covariates = covariates
        self.per_pair = hasattr(model, "_expected_if_alive") and covariates is None
        if self.per_pair:
            (self.xu, self.Tu), self.pair = _distinct_pairs(x, T)
        self.weights = discount - np.append(discount[1:], 0.0)

    def pair_values(self, model: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct (x, T) pair: the discounted and the total expected purchases if alive.

        The model's parameters may be arrays of shape (draws, 1, 1): the results are then (draws, pairs).
        """
        cum = np.asarray(
            model._expected_if_alive(self.bounds[:, None], self.xu[None, :], self.Tu[None, :]), dtype=float
        )
        cum = cum.reshape(cum.shape[:-2] + (len(self.bounds), len(self.xu)))
        return np.sum(self.weights[:, None] * cum, axis=-2), cum[..., -1, :]

    def evaluate(self, model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P(alive), expected purchases over the horizon, discounted expected purchases) per customer."""
        x, tx, T = self.x, self.tx, self.T
        if self.per_pair:
            alive = np.asarray(model.probability_alive(x, tx, T), dtype=float)
            disc_pair, total_pair = self.pair_values(model)
            return alive, alive * total_pair[self.pair], alive * disc_pair[self.pair]
        kw = {"covariates": self.covariates} if self.covariates is not None else {}
        alive = np.asarray(model.probability_alive(x, tx, T, **kw), dtype=float)
        if self.covariates is not None:
            cum = np.vstack(
                [np.asarray(model.conditional_expected_purchases(b, x, tx, T, **kw), float) for b in self.bounds]
            )
        else:
            cum = np.atleast_2d(
                model.conditional_expected_purchases(self.bounds[:, None], x[None, :], tx[None, :], T[None, :])
            )
        increments = np.diff(np.vstack([np.zeros((1, cum.shape[1])), cum]), axis=0)
        return alive, cum[-1], (self.discount[:, None] * increments).sum(axis=0)
