r"""Gamma-Gamma model of spend per transaction, and customer lifetime value from a transaction model.

A customer's transaction values are :math:`z \sim \text{Gamma}(p, \nu)` (shape :math:`p`, rate :math:`\nu`),
so her mean spend is :math:`p/\nu`; across customers :math:`\nu \sim \text{Gamma}(q, \gamma)`. The model
assumes spend independent of the purchase process (check the correlation of frequency and mean spend).

References: Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430. Fader, P. S. and Hardie, B. G. S.
(2013). The Gamma-Gamma model of monetary value. Note, brucehardie.com.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from crmlib._units import UNIT_DAYS, UNIT_NAMES
from crmlib.models._base import (
    MIN_CUSTOMERS,
    BaseModel,
    ModelError,
    _check_summary,
    _collapse,
    _summary_unit,
)
from crmlib.params import check_number, check_unit

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
    log_likelihood_, n_
        Fitted on the ``n_`` customers with at least one repeat purchase.

    Notes
    -----
    Likelihood of the mean :math:`\bar z` of a customer's :math:`x` repeat transactions (Fader and Hardie 2013, eq. 4):

    .. math::

        f(\bar z \mid p, q, \gamma; x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
        \frac{\gamma^q \, \bar z^{px-1} x^{px}}{(\gamma + x\bar z)^{px+q}}

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

    def fit(self, summary: pd.DataFrame) -> GammaGamma:
        """Fit to the repeat customers (``frequency > 0``) of the summary of :func:`crmlib.rfm.summarize`.

        Parameters
        ----------
        summary : DataFrame
            Columns ``frequency`` and ``monetary_value`` (mean of the repeat transactions, the first
            purchase left out). Customers without a repeat purchase are ignored.

        Returns
        -------
        GammaGamma
            ``self``.
        """
        func = "GammaGamma.fit"
        self._validate_settings(func)
        if isinstance(summary, pd.DataFrame) and "monetary_value" in summary.columns:
            mv = pd.to_numeric(summary["monetary_value"], errors="coerce")
            fq = pd.to_numeric(summary.get("frequency"), errors="coerce") if "frequency" in summary else None
            if fq is not None:
                bad = (fq > 0) & (mv <= 0)
                if bad.any():
                    rows = summary.index[bad.to_numpy()][:5].tolist()
                    raise ModelError(
                        f"{func}: {int(bad.sum())} repeat customers have a mean spend of zero or less (first: "
                        f"{rows}); the Gamma-Gamma model needs positive amounts. Net out returns per purchase "
                        "day and leave out free orders, or fit only customers with positive spend."
                    )
        _check_summary(summary, ("frequency", "monetary_value"), func)
        self.unit_ = _summary_unit(summary, None, func)
        repeat = summary["frequency"].to_numpy(float) > 0
        (x, m), w = _collapse_sorted(summary["frequency"].to_numpy(float)[repeat], summary["monetary_value"].to_numpy(float)[repeat])
        n = int(round(w.sum()))  # noqa: RUF046
        if n < MIN_CUSTOMERS:
            raise ModelError(
                f"{func}: only {n} customers with a repeat purchase; the Gamma-Gamma model is fitted on repeat "
                f"customers' mean spend and needs at least {MIN_CUSTOMERS} (in practice hundreds). Use more data "
                "or a longer observation window."
            )
        if self.initial_params is not None:
            start = np.array([self.initial_params[k] for k in self._param_names], dtype=float)
        else:
            mean = float(np.sum(w * m) / w.sum())
            start = np.array([1.0, 3.0, 2.0 * mean])  # prior mean p v / (q - 1) = the observed mean
        self._stats = _GGStats(x, m, w)
        try:
            self._optimise((x, m), w, start, func)
        finally:
            del self._stats
        return self

    # The objective and its gradient from sufficient statistics: the Gamma terms depend on the
    # frequency only (a few hundred distinct values), log(x) and log(m) enter linearly, so one pass
    # over the customers per evaluation computes log(v + x m) and nothing else. Same value as the
    # row-wise ``_loglik`` summed with the weights (to rounding, ~1e-14 relative).
    def _neg_mean_loglik(self, log_params: np.ndarray, arrays, weights, total: float) -> float:
        stats = getattr(self, "_stats", None)
        if stats is None or stats.arrays_x is not arrays[0]:
            return super()._neg_mean_loglik(log_params, arrays, weights, total)
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            value = -stats.loglik(params) / total
        if not np.isfinite(value):
            return 1e300
        return value + self.penalizer * float(np.sum(params**2))

    def _neg_mean_grad(self, log_params: np.ndarray, arrays, weights, total: float) -> np.ndarray:
        stats = getattr(self, "_stats", None)
        if stats is None or stats.arrays_x is not arrays[0]:
            return super()._neg_mean_grad(log_params, arrays, weights, total)
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            g = -stats.grad(params) / total
        return g * params + 2 * self.penalizer * params**2

    def _covariance(self) -> np.ndarray:
        """Inverse observed information: central differences of the analytic gradient (steps 1e-5 relative).

        More accurate than second differences of the log-likelihood (standard errors stable to about 1e-6
        relative when the step changes tenfold, against about 1e-4) and a few passes over the data only.
        """
        x, m = self._arrays
        stats = _GGStats(x, m, self._weights)
        p = np.array(self._p())
        h = 1e-5 * p
        with np.errstate(all="ignore"):
            H = np.column_stack([-(stats.grad(p + h[i] * e) - stats.grad(p - h[i] * e)) / (2 * h[i]) for i, e in enumerate(np.eye(3))])
            H = (H + H.T) / 2
            try:
                return np.linalg.inv(H)
            except np.linalg.LinAlgError:
                return np.full_like(H, np.nan)

    @staticmethod
    def _grad(params, arrays) -> np.ndarray:
        """Per-row gradient of ``_loglik`` with respect to (p, q, v), shape (3, rows)."""
        p, q, v = params
        x, m = arrays
        s = v + x * m
        common = digamma(p * x + q)
        return np.stack(
            [
                x * (common - digamma(p * x) + np.log(m) + np.log(x) - np.log(s)),
                common - digamma(q) + np.log(v) - np.log(s),
                q / v - (p * x + q) / s,
            ]
        )

    @staticmethod
    def _loglik(params, arrays) -> np.ndarray:
        p, q, v = params
        x, m = arrays
        return (
            gammaln(p * x + q) - gammaln(p * x) - gammaln(q)
            + q * np.log(v) + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(v + x * m)
        )

    def mean_spend(self) -> float:
        r"""Expected spend per transaction of a randomly chosen customer, :math:`E[Z] = p\gamma/(q-1)` (needs :math:`q > 1`).

        Examples
        --------
        >>> m = GammaGamma(); m.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
        >>> round(m.mean_spend(), 2)
        35.22
        """
        p, q, v = self._p()
        if q <= 1:
            raise ModelError(f"GammaGamma: q = {q:.3g} <= 1, so the population mean spend is infinite; the spend data are too heavy-tailed.")
        return p * v / (q - 1)

    def conditional_expected_spend(self, frequency, monetary_value) -> np.ndarray | float:
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
        if q <= 1:
            self.mean_spend()
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        m = np.where(x > 0, m, 0.0)
        value = p * (v + x * m) / (p * x + q - 1)
        return value if value.ndim else float(value)

    def customer_lifetime_value(self, transaction_model, summary: pd.DataFrame, **kwargs) -> pd.DataFrame:
        """Shorthand for :func:`customer_lifetime_value` with this spend model."""
        return customer_lifetime_value(transaction_model, self, summary, **kwargs)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of products without BLAS: a multi-threaded BLAS dot is 50x slower on a loaded machine."""
    return float(np.sum(a * b))


def _collapse_sorted(x: np.ndarray, m: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Distinct (x, m) rows, sorted, with their counts (the mean spends are mostly distinct: a sort is cheaper than hashing)."""
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
            _dot(self.Wx, gammaln(px + q) - gammaln(px)) - self.W * gammaln(q) + self.W * q * np.log(v)
            + p * (self.B + self.C) - self.A - p * _dot(self.wx, L) - q * _dot(self.w, L)
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
    """Distinct (x, T) pairs and the pair of each row: hash each column (few distinct values), then the int64 pair code."""
    cx, ux = pd.factorize(x)
    cT, uT = pd.factorize(T)
    pair, codes = pd.factorize(cx.astype(np.int64) * len(uT) + cT)
    return (ux[codes // len(uT)], uT[codes % len(uT)]), pair


def customer_lifetime_value(
    transaction_model,
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
) -> pd.DataFrame:
    r"""Expected discounted value of each customer's purchases over a horizon.

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

    Parameters
    ----------
    transaction_model : BetaGeo or ParetoNBD
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

    Returns
    -------
    DataFrame
        Index as ``summary``; columns ``probability_alive``, ``expected_purchases`` (over the horizon),
        ``expected_spend`` (per purchase) and ``clv`` (discounted, times margin). ``attrs`` records the
        units and the per-step rate.

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
        discount_rate, "discount_rate", func=func, low=0, high=1, high_open=True,
        hint=f"It is a rate per {UNIT_NAMES[discount_period][:-1]} (discount_period), e.g. 0.10 for 10%.",
    )
    margin = check_number(margin, "margin", func=func, low=0, high=1, low_open=True)
    transaction_model._check_fitted()
    spend_model._check_fitted()
    _check_summary(summary, ("frequency", "recency", "T", "monetary_value"), func)
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

    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    if hasattr(transaction_model, "_expected_if_alive"):
        # E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) * E[Y(t) | alive, x, T]. The second factor does not
        # depend on t_x: it is evaluated once per distinct (x, T) pair at each step boundary, and so is its
        # discounted sum, since sum_k d_k (c_k - c_{k-1}) = sum_k (d_k - d_{k+1}) c_k with d_{K+1} = 0.
        # P(alive) is one closed-form expression per customer (the (x, t_x, T) rows are mostly distinct).
        alive = np.asarray(transaction_model.probability_alive(x, tx, T), dtype=float)
        (xu, Tu), pair = _distinct_pairs(x, T)
        cum_if_alive = np.atleast_2d(transaction_model._expected_if_alive(bounds[:, None], xu[None, :], Tu[None, :]))
        weights = discount - np.append(discount[1:], 0.0)
        discounted = alive * np.sum(weights[:, None] * cum_if_alive, axis=0)[pair]
        expected = alive * cum_if_alive[-1][pair]
    else:
        (xd, txd, Td), _, inverse = _collapse(x, tx, T)
        alive_d = np.asarray(transaction_model.probability_alive(xd, txd, Td), dtype=float)
        cum = np.atleast_2d(transaction_model.conditional_expected_purchases(bounds[:, None], xd[None, :], txd[None, :], Td[None, :]))
        increments = np.diff(np.vstack([np.zeros((1, cum.shape[1])), cum]), axis=0)
        alive = alive_d[inverse]
        discounted = (discount[:, None] * increments).sum(axis=0)[inverse]
        expected = cum[-1][inverse]
    spend = spend_model.conditional_expected_spend(
        summary["frequency"].to_numpy(float), summary["monetary_value"].to_numpy(float)
    )
    out = pd.DataFrame(
        {
            "probability_alive": alive,
            "expected_purchases": expected,
            "expected_spend": np.asarray(spend, dtype=float),
            "clv": margin * np.asarray(spend, dtype=float) * discounted,
        },
        index=summary.index,
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
        }
    )
    return out
