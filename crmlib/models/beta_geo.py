r"""BG/NBD: the beta-geometric / negative binomial model of repeat buying ("buy till you die").

While alive, a customer buys at a Poisson rate :math:`\lambda` per time unit; after each purchase she
drops out ("dies") with probability :math:`p`. Across customers :math:`\lambda \sim \text{Gamma}(r, \alpha)`
(shape :math:`r`, rate :math:`\alpha`, in the data's time unit) and :math:`p \sim \text{Beta}(a, b)`.

Reference: Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from crmlib.models._base import (
    MIN_CUSTOMERS,
    BaseModel,
    ModelError,
    _check_summary,
    _collapse,
    _summary_unit,
)

__all__ = ["BetaGeo"]

_COLUMNS = ("frequency", "recency", "T")


def _as_array(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ModelError(f"The {name!r} argument must hold finite numbers >= 0.")
    return arr


def check_identifiable(x: np.ndarray, tx: np.ndarray, T: np.ndarray, weights: np.ndarray, func: str) -> None:
    """Raise ModelError when a repeat-buying model cannot be identified from these customers."""
    n = int(round(weights.sum()))  # noqa: RUF046
    if n < MIN_CUSTOMERS:
        raise ModelError(
            f"{func}: only {n} customers; a repeat-buying model needs at least {MIN_CUSTOMERS} (in practice "
            "hundreds). Use more data."
        )
    repeat = x > 0
    if not np.any(repeat):
        raise ModelError(
            f"{func}: none of the {n:,} customers made a repeat purchase, so the data say nothing about "
            "purchase rates or drop-out. Use a longer observation window (for a calibration period: a later calibration_end)."
        )
    if np.all(np.isclose(tx[repeat], T[repeat])):
        raise ModelError(
            f"{func}: every repeat buyer's last purchase falls on the last day of observation, so nobody "
            "ever looks inactive and drop-out cannot be estimated. Use a longer observation window or a "
            "later observation_end."
        )


class BetaGeo(BaseModel):
    r"""BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005).

    Parameters
    ----------
    penalizer : float, default 0.0
        Adds ``penalizer * sum(params**2)`` to the mean negative log-likelihood (shrinks extreme
        estimates on thin data; 0 = maximum likelihood as published).
    initial_params : dict, optional
        Starting values ``{"r", "alpha", "a", "b"}``; default ``r=1, a=1, b=1`` and ``alpha`` from the
        mean purchase rate.
    tol, maxiter : float, int
        Optimiser tolerance and iteration limit.

    Attributes
    ----------
    params_ : dict
        ``r`` and ``alpha`` (gamma shape and rate of the purchase rate, ``alpha`` in the data's unit)
        and ``a``, ``b`` (beta distribution of the drop-out probability).
    log_likelihood_ : float
    n_ : int
        Number of customers fitted.
    unit_ : str or None
        Time unit of ``recency`` and ``T`` (from ``fit(..., unit=)`` or ``summary.attrs["unit"]``).

    Notes
    -----
    Likelihood of one customer with :math:`x` repeat purchases, the last at :math:`t_x`, observed for
    :math:`T` (FHL 2005, eq. 6):

    .. math::

        L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+T)^{r+x}}
            + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
              \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+t_x)^{r+x}}

    evaluated in log space.

    Examples
    --------
    >>> from crmlib.datasets import load_cdnow
    >>> from crmlib.rfm import summarize
    >>> summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    >>> model = BetaGeo().fit(summary, unit="W")
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    """

    _param_names = ("r", "alpha", "a", "b")

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, summary: pd.DataFrame, *, unit: str | None = None) -> BetaGeo:
        """Fit by maximum likelihood to the summary of :func:`crmlib.rfm.summarize`.

        Parameters
        ----------
        summary : DataFrame
            Columns ``frequency``, ``recency`` and ``T`` (one row per customer).
        unit : {"D", "W", "M", "Y"}, optional
            Time unit of ``recency`` and ``T``; default ``summary.attrs["unit"]`` if present. It is
            remembered so that predictions can state their unit.

        Returns
        -------
        BetaGeo
            ``self``, with ``params_``, ``log_likelihood_``, ``n_`` and ``unit_`` set.
        """
        func = f"{type(self).__name__}.fit"
        self._validate_settings(func)
        _check_summary(summary, _COLUMNS, func)
        self.unit_ = _summary_unit(summary, unit, func)
        (x, tx, T), w, _ = _collapse(
            summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float)
        )
        check_identifiable(x, tx, T, w, func)
        arrays = self._arrays_from(x, tx, T)
        if self.initial_params is not None:
            start = np.array([self.initial_params[k] for k in self._param_names], dtype=float)
        else:
            start = self._initial(x, T, w)
        self._optimise(arrays, w, start, func)
        return self

    def _initial(self, x, T, w) -> np.ndarray:
        rate = max(float(np.sum(w * x) / max(np.sum(w * T), 1e-12)), 1e-6)
        return np.array([1.0, 1.0 / rate, 1.0, 1.0])

    @staticmethod
    def _arrays_from(x, tx, T):
        x = np.asarray(x, float)
        xu, xi = np.unique(x, return_inverse=True)
        return (x, np.asarray(tx, float), np.asarray(T, float), xu, xi.ravel())

    @staticmethod
    def _loglik(params, arrays) -> np.ndarray:
        r, alpha, a, b = params
        if len(arrays) == 3:
            arrays = BetaGeo._arrays_from(*arrays)
        x, tx, T, xu, xi = arrays
        # terms that depend on the data through x only: computed once per distinct x
        lbab = betaln(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            common_u = gammaln(r + xu) - gammaln(r) + r * np.log(alpha)
            a1_u = betaln(a, b + xu) - lbab
            a2_u = np.where(xu > 0, betaln(a + 1, b + xu - 1) - lbab, -np.inf)
        log_a1 = a1_u[xi] - (r + x) * np.log(alpha + T)
        log_a2 = a2_u[xi] - (r + x) * np.log(alpha + tx)
        return common_u[xi] + np.logaddexp(log_a1, log_a2)

    @staticmethod
    def _grad(params, arrays) -> np.ndarray:
        """Per-row gradient of the log-likelihood with respect to (r, alpha, a, b); shape (4, rows)."""
        r, alpha, a, b = params
        x, tx, T, xu, xi = arrays
        lbab = betaln(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            a1_u = betaln(a, b + xu) - lbab
            a2_u = np.where(xu > 0, betaln(a + 1, b + xu - 1) - lbab, -np.inf)
            log_at, log_atx = np.log(alpha + T), np.log(alpha + tx)
            A1 = a1_u[xi] - (r + x) * log_at
            A2 = a2_u[xi] - (r + x) * log_atx
            pi1 = np.exp(A1 - np.logaddexp(A1, A2))  # share of the "alive at T" term
            pi2 = 1.0 - pi1
            psi_abx = digamma(a + b + xu)
            da1_u, db1_u = digamma(a) - psi_abx, digamma(b + xu) - psi_abx
            da2_u = digamma(a + 1) - psi_abx
            db2_u = np.where(xu > 0, digamma(np.maximum(b + xu - 1, 1e-300)) - psi_abx, 0.0)
            d_r = (digamma(r + xu) - digamma(r))[xi] + np.log(alpha) - pi1 * log_at - pi2 * np.where(x > 0, log_atx, 0.0)
            d_alpha = r / alpha - (r + x) * (pi1 / (alpha + T) + pi2 / (alpha + tx))
            d_a = pi1 * da1_u[xi] + pi2 * da2_u[xi] - (digamma(a) - digamma(a + b))
            d_b = pi1 * db1_u[xi] + pi2 * db2_u[xi] - (digamma(b) - digamma(a + b))
        d_alpha = np.where(pi2 > 0, d_alpha, r / alpha - (r + x) / (alpha + T))
        return np.vstack([d_r, d_alpha, d_a, d_b])

    # -- predictions -----------------------------------------------------------------------------
    def expected_purchases(self, t) -> np.ndarray | float:
        r"""Expected number of repeat purchases in :math:`(0, t]` of a customer who has just made a first purchase.

        .. math::

            E[X(t)] = \frac{a+b-1}{a-1}\left[1 - \left(\frac{\alpha}{\alpha+t}\right)^r
            {}_2F_1\!\left(r, b; a+b-1; \frac{t}{\alpha+t}\right)\right]

        (FHL 2005, eq. 7). ``t`` is in the data's time unit (``unit_``).

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(float(m.expected_purchases(39)), 3)
        1.197
        """
        r, alpha, a, b = self._p()
        t = _as_array(t, "t")
        z = t / (alpha + t)
        with np.errstate(all="ignore"):
            value = (a + b - 1) / (a - 1) * (1 - np.exp(r * np.log(alpha / (alpha + t))) * hyp2f1(r, b, a + b - 1, z))
        return value if value.ndim else float(value)

    def probability_alive(self, frequency, recency, T) -> np.ndarray | float:
        r"""Probability that a customer with history :math:`(x, t_x, T)` is still alive at :math:`T`.

        .. math::

            P(\text{alive} \mid x, t_x, T) = \left[1 + \delta_{x>0} \frac{a}{b+x-1}
            \left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right]^{-1}

        (FHL 2005, eq. 11; by the model a customer with no repeat purchase cannot have died yet, so
        the probability is 1 when :math:`x = 0`). ``recency`` and ``T`` in the data's unit.

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> float(m.probability_alive(0, 0, 20))
        1.0
        """
        r, alpha, a, b = self._p()
        x, tx, T = (_as_array(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        with np.errstate(all="ignore"):
            log_ratio = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
            value = np.where(x > 0, np.exp(-np.logaddexp(0.0, log_ratio)), 1.0)
        return value if value.ndim else float(value)

    def conditional_expected_purchases(self, t, frequency, recency, T) -> np.ndarray | float:
        r"""Expected purchases in the next :math:`t` time units of a customer with history :math:`(x, t_x, T)`.

        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{\frac{a+b+x-1}{a-1}\left[1 - \left(\frac{\alpha+T}{\alpha+T+t}\right)^{r+x}
            {}_2F_1\!\left(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\right)\right]}
            {1 + \delta_{x>0}\frac{a}{b+x-1}\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}}

        (FHL 2005, eq. 10). ``t``, ``recency`` and ``T`` in the data's unit; ``t`` may be a scalar or
        broadcast against the customers.

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(float(m.conditional_expected_purchases(39, 2, 30.43, 38.86)), 3)
        1.226
        """
        t = _as_array(t, "t")
        x, tx, T = (_as_array(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        value = self._expected_if_alive(t, x, T) * self.probability_alive(x, tx, T)
        return value if value.ndim else float(value)

    def _expected_if_alive(self, t, x, T) -> np.ndarray:
        """E[Y(t) | alive at T, x, T]: the numerator of eq. 10 (it does not depend on t_x)."""
        r, alpha, a, b = self._p()
        t, x, T = (np.asarray(v, dtype=float) for v in (t, x, T))
        with np.errstate(all="ignore"):
            z = t / (alpha + T + t)
            head = (a + b + x - 1) / (a - 1)
            body = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        return np.where(t == 0, 0.0, head * body)

    def probability_of_purchases(self, x, t) -> np.ndarray | float:
        r"""Probability that a new customer makes exactly :math:`x` repeat purchases in :math:`(0, t]`.

        .. math::

            P(X(t) = x) = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)}{\Gamma(r)\,x!}
            \left(\frac{\alpha}{\alpha+t}\right)^r \left(\frac{t}{\alpha+t}\right)^x
            + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
            \left[1 - \left(\frac{\alpha}{\alpha+t}\right)^r \sum_{j=0}^{x-1}
            \frac{\Gamma(r+j)}{\Gamma(r)\,j!}\left(\frac{t}{\alpha+t}\right)^j\right]

        (FHL 2005, eq. 8). Used for the histogram of repeat purchases; ``t`` in the data's unit.

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(sum(float(m.probability_of_purchases(k, 39)) for k in range(200)), 6)
        1.0
        """
        r, alpha, a, b = self._p()
        x = np.asarray(x)
        t = _as_array(t, "t")
        if np.any(x < 0) or np.any(x != np.round(x)):
            raise ModelError("The 'x' argument of probability_of_purchases must hold whole numbers >= 0.")
        x, t = np.broadcast_arrays(x.astype(float), t)
        log_q = np.log(alpha) - np.log(alpha + t)
        log_z = np.log(t) - np.log(alpha + t) if np.all(t > 0) else np.log(np.maximum(t, 1e-300)) - np.log(alpha + t)
        with np.errstate(all="ignore"):
            first = np.exp(
                betaln(a, b + x) - betaln(a, b) + gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * log_q + x * log_z
            )
            # partial sums of the NBD pmf up to x - 1
            xmax = int(x.max()) if x.size else 0
            j = np.arange(max(xmax, 1))
            terms = np.exp(
                gammaln(r + j)[:, None] - gammaln(r) - gammaln(j + 1)[:, None] + j[:, None] * log_z.ravel()[None, :]
                + r * log_q.ravel()[None, :]
            )
            cum = np.vstack([np.zeros((1, terms.shape[1])), np.cumsum(terms, axis=0)])
            below = cum[x.ravel().astype(int), np.arange(x.size)].reshape(x.shape)
            second = np.where(x > 0, np.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * (1 - below), 0.0)
        value = first + second
        return value if value.ndim else float(value)
