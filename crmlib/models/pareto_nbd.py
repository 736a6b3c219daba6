r"""Pareto/NBD: Poisson purchasing while alive, exponential lifetimes, gamma heterogeneity of both.

While alive a customer buys at a Poisson rate :math:`\lambda`; her lifetime is exponential with rate
:math:`\mu` (death can come at any time, not only after a purchase as in the BG/NBD). Across customers
:math:`\lambda \sim \text{Gamma}(r, \alpha)` and :math:`\mu \sim \text{Gamma}(s, \beta)`, independent.

References: Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). Counting your customers: who are
they and what will they do next? *Management Science* 33(1), 1-24. Fader, P. S. and Hardie, B. G. S. (2005).
A note on deriving the Pareto/NBD model and related expressions. brucehardie.com.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln, hyp2f1

from crmlib.models._base import BaseModel, _check_summary, _collapse, _summary_unit
from crmlib.models.beta_geo import _as_array, check_identifiable

__all__ = ["ParetoNBD"]

_MAX_TERMS = 3_000

_COLUMNS = ("frequency", "recency", "T")


def _hyp2f1_one(b, c, z) -> np.ndarray:
    r"""Gauss hypergeometric :math:`{}_2F_1(1, b; c; z)` for :math:`0 < b < c`, :math:`0 \le z < 1`.

    scipy's ``hyp2f1`` is used where it returns a finite value; where it fails (it returns NaN e.g. for
    b = 410, c = 412, z = 0.99) the series :math:`\sum_k \frac{(b)_k}{(c)_k} z^k` is summed directly: its
    terms are positive and shrink at least like :math:`z^k`, so it converges without cancellation; after
    ``_MAX_TERMS`` terms (z within about 1e-2 of 1, which happens only far from any sensible optimum,
    where the death rate's scale is thousands of times smaller than the purchase rate's) it gives NaN.
    """
    b, c, z = np.broadcast_arrays(np.asarray(b, float), np.asarray(c, float), np.asarray(z, float))
    value = np.array(hyp2f1(1.0, b, c, z), dtype=float)
    bad = ~np.isfinite(value) | (value < 1.0)
    if np.any(bad):
        bb, cc, zz = b[bad], c[bad], z[bad]
        total = np.ones_like(zz)
        term = np.ones_like(zz)
        active = np.ones(len(zz), dtype=bool)
        for k in range(_MAX_TERMS):
            term = term * (bb + k) / (cc + k) * zz
            total += term
            active = term >= 1e-16 * total
            if not active.any():
                break
        total[active] = np.nan  # not converged (z within ~1e-2 of 1): the caller sees a NaN likelihood
        value[bad] = total
    return value


def _log_a0(r, alpha, s, beta, x, tx, T):
    r"""log of :math:`A_0` of Fader and Hardie's note (eq. 19/20), in the stable branch.

    :math:`A_0 = F(t_x) - F(T)` with, for :math:`\alpha \ge \beta`,
    :math:`F(y) = {}_2F_1(r+s+x, s+1; r+s+x+1; \frac{\alpha-\beta}{\alpha+y}) / (\alpha+y)^{r+s+x}` and,
    for :math:`\alpha < \beta`, the same with :math:`\alpha \leftrightarrow \beta` and :math:`s+1 \to r+x`.
    Each :math:`{}_2F_1` is rewritten with Euler's transformation
    :math:`{}_2F_1(a,b;c;z) = (1-z)^{c-a-b}\,{}_2F_1(c-a, c-b; c; z)`, whose series has first parameter 1
    and positive terms below :math:`z^k`, so nothing overflows however large :math:`x` or :math:`T`.
    """
    rsx = r + s + x
    if alpha >= beta:
        big, b_other, keep = alpha, beta, r + x  # F = (1-z)^{-s} 2F1(1, r+x; r+s+x+1; z)
        power = -s
    else:
        big, b_other, keep = beta, alpha, s + 1.0  # F = (1-z)^{1-r-x} 2F1(1, s+1; r+s+x+1; z)
        power = 1.0 - r - x

    def log_f(y):
        z = (big - b_other) / (big + y)
        return power * np.log1p(-z) + np.log(_hyp2f1_one(keep, rsx + 1.0, z)) - rsx * np.log(big + y)

    l1, l2 = log_f(tx), log_f(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        return l1 + np.log(-np.expm1(np.minimum(l2 - l1, 0.0)))


class ParetoNBD(BaseModel):
    r"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison and Colombo 1987).

    Parameters
    ----------
    penalizer, initial_params, tol, maxiter
        As for :class:`~crmlib.models.BetaGeo` (``initial_params`` keys ``r``, ``alpha``, ``s``, ``beta``).

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase rate heterogeneity, ``alpha`` in the data's unit) and ``s``, ``beta``
        (death rate heterogeneity, ``beta`` in the data's unit).
    log_likelihood_, n_, unit_
        As for :class:`~crmlib.models.BetaGeo`.

    Notes
    -----
    Likelihood (Fader and Hardie 2005 note, eq. 22):

    .. math::

        L(r, \alpha, s, \beta \mid x, t_x, T) = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
        \left[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\right]

    with :math:`A_0` evaluated in the branch (:math:`\alpha \ge \beta` or :math:`\alpha < \beta`) where
    the hypergeometric argument lies in [0, 1).

    Examples
    --------
    >>> from crmlib.datasets import load_cdnow
    >>> from crmlib.rfm import summarize
    >>> summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    >>> model = ParetoNBD().fit(summary, unit="W")
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'r': 0.553, 'alpha': 10.578, 's': 0.606, 'beta': 11.669}
    """

    _param_names = ("r", "alpha", "s", "beta")

    def fit(self, summary: pd.DataFrame, *, unit: str | None = None) -> ParetoNBD:
        """Fit by maximum likelihood to the summary of :func:`crmlib.rfm.summarize` (see :meth:`BetaGeo.fit`).

        Returns
        -------
        ParetoNBD
            ``self``.
        """
        func = "ParetoNBD.fit"
        self._validate_settings(func)
        _check_summary(summary, _COLUMNS, func)
        self.unit_ = _summary_unit(summary, unit, func)
        (x, tx, T), w, _ = _collapse(
            summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float)
        )
        check_identifiable(x, tx, T, w, func)
        if self.initial_params is not None:
            start = np.array([self.initial_params[k] for k in self._param_names], dtype=float)
        else:
            rate = max(float(np.sum(w * x) / max(np.sum(w * T), 1e-12)), 1e-6)
            mean_T = float(np.sum(w * T) / w.sum())
            start = np.array([1.0, 1.0 / rate, 1.0, mean_T])
        self._optimise((x, tx, T), w, start, func)
        return self

    @staticmethod
    def _loglik(params, arrays) -> np.ndarray:
        r, alpha, s, beta = params
        x, tx, T = arrays
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        dead = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, x, tx, T)
        return head + np.logaddexp(alive, dead)

    def probability_alive(self, frequency, recency, T) -> np.ndarray | float:
        r"""Probability that a customer with history :math:`(x, t_x, T)` is still alive at :math:`T`.

        .. math::

            P(\text{alive}) = \left[1 + \frac{s}{r+s+x}(\alpha+T)^{r+x}(\beta+T)^s A_0\right]^{-1}

        (Fader and Hardie 2005 note, eq. 24). ``recency`` and ``T`` in the data's unit.

        Examples
        --------
        >>> m = ParetoNBD(); m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> 0 < float(m.probability_alive(0, 0.0, 38.86)) < 1
        True
        """
        r, alpha, s, beta = self._p()
        x, tx, T = (_as_array(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        x, tx, T = np.broadcast_arrays(x, tx, T)
        with np.errstate(all="ignore"):
            log_ratio = (
                np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T)
                + _log_a0(r, alpha, s, beta, x, tx, T)
            )
            value = np.exp(-np.logaddexp(0.0, log_ratio))
        return value if value.ndim else float(value)

    def _growth(self, t, base):
        r"""(1 - (base/(base+t))^{s-1}) / (s-1), with its limit log(1 + t/base) at s = 1."""
        s = self.params_["s"]
        L = np.log(base) - np.log(base + t)
        if abs(s - 1) < 1e-10:
            return 0.0 - L
        return 0.0 - np.expm1((s - 1) * L) / (s - 1)

    def expected_purchases(self, t) -> np.ndarray | float:
        r"""Expected repeat purchases in :math:`(0, t]` of a customer who has just made a first purchase.

        .. math:: E[X(t)] = \frac{r\beta}{\alpha(s-1)}\left[1 - \left(\frac{\beta}{\beta+t}\right)^{s-1}\right]

        (Schmittlein et al. 1987, eq. 17). ``t`` in the data's unit.

        Examples
        --------
        >>> m = ParetoNBD(); m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> float(m.expected_purchases(0.0))
        0.0
        """
        r, alpha, _s, beta = self._p()
        t = _as_array(t, "t")
        value = r * beta / alpha * self._growth(t, beta)
        return value if value.ndim else float(value)

    def conditional_expected_purchases(self, t, frequency, recency, T) -> np.ndarray | float:
        r"""Expected purchases in the next :math:`t` time units of a customer with history :math:`(x, t_x, T)`.

        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
            \left[1 - \left(\frac{\beta+T}{\beta+T+t}\right)^{s-1}\right] P(\text{alive} \mid x, t_x, T)

        (Fader and Hardie 2005 note, eq. 27). ``t``, ``recency`` and ``T`` in the data's unit.

        Examples
        --------
        >>> m = ParetoNBD(); m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> float(m.conditional_expected_purchases(0.0, 2, 30.43, 38.86))
        0.0
        """
        self._check_fitted()
        t = _as_array(t, "t")
        x, tx, T = (_as_array(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        value = self._expected_if_alive(t, x, T) * self.probability_alive(x, tx, T)
        return value if np.ndim(value) else float(value)

    def _expected_if_alive(self, t, x, T) -> np.ndarray:
        """E[Y(t) | alive at T, x, T] (it does not depend on t_x)."""
        r, alpha, _s, beta = self._p()
        t, x, T = (np.asarray(v, dtype=float) for v in (t, x, T))
        return (r + x) / (alpha + T) * (beta + T) * self._growth(t, beta + T)
