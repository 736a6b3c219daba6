r"""Beta-discrete-Weibull (BdW): contractual retention with heterogeneity *and* duration dependence.

The sBG assumes each customer's churn probability :math:`\theta` stays the same period after period, so
the rise of a cohort's retention rate is due to heterogeneity alone. The BdW lets the individual churn
probability change with tenure: a customer with parameter :math:`\theta` survives :math:`t` periods with
probability :math:`(1-\theta)^{t^c}` (the discrete Weibull), and :math:`\theta \sim \text{Beta}(\alpha, \beta)`
across customers, so

.. math::

    S(t) = \frac{B(\alpha, \beta + t^c)}{B(\alpha, \beta)}, \quad P(T = t) = S(t-1) - S(t)

:math:`c < 1`: individual churn falls with tenure; :math:`c > 1`: it rises; :math:`c = 1` is the sBG. The
retention rate :math:`r(t) = S(t)/S(t-1)` can dip before it rises (a U shape), which the sBG cannot show.

Reference: Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. and Steenburgh, T. (2018). "How to project
customer retention" revisited: the role of duration dependence. *Journal of Interactive Marketing* 43, 1-16.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, digamma

from crmlib.models._retention import RetentionModel

__all__ = ["BetaDiscreteWeibull"]


class BetaDiscreteWeibull(RetentionModel):
    r"""BdW model of contractual retention (Fader, Hardie, Liu, Davin and Steenburgh 2018).

    Parameters
    ----------
    covariates : list of str, optional
        Time-invariant covariates on ``alpha`` and ``beta``, as for :class:`~crmlib.models.ShiftedBetaGeo`.
    penalizer, initial_params, tol, maxiter
        As for :class:`~crmlib.models.BetaGeo` (``initial_params`` keys ``alpha``, ``beta``, ``c``).

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` (beta distribution of the churn parameter :math:`\theta`) and ``c`` (duration
        dependence: below 1 churn propensities fall with tenure, above 1 they rise).
    log_likelihood_, n_, covariance_, periods_
        As for :class:`~crmlib.models.ShiftedBetaGeo`.

    Notes
    -----
    ``fit(survivors)`` or ``fit(frame)`` as :class:`~crmlib.models.ShiftedBetaGeo`. With three parameters it
    needs at least three periods of churn. Log-likelihood of a cohort (Fader et al. 2018, eq. 5):

    .. math::

        LL = \sum_{t=1}^{k} (n_{t-1} - n_t)\log[S(t-1) - S(t)] + n_k \log S(k),
        \quad S(t) = \frac{B(\alpha, \beta + t^c)}{B(\alpha, \beta)}

    Examples
    --------
    >>> m = BetaDiscreteWeibull().fit([1000, 869, 743, 653, 593, 551, 517, 491])
    >>> sorted(m.params_)
    ['alpha', 'beta', 'c']
    >>> bool(m.log_likelihood_ >= -1611.158)  # at least as good as the sBG it contains (c = 1)
    True
    """

    _param_names = ("alpha", "beta", "c")

    def _check_data(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, func: str) -> None:
        super()._check_data(columns, weights, func)
        churn_periods = np.unique(columns[0][(columns[1] > 0) & (weights > 0)])
        if len(churn_periods) < 3 and not self._columns():
            from crmlib.models._base import ModelError

            raise ModelError(
                f"{func}: churn is observed in only {len(churn_periods)} periods; the BdW's three parameters need at "
                "least three (the sBG needs two). Observe more periods or fit a ShiftedBetaGeo."
            )

    def _log_survival(self, t: Any, alpha: Any, beta: Any, *rest: Any, grad: bool = False) -> Any:
        (c,) = rest
        t = np.asarray(t, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            tc = np.where(t > 0, np.exp(c * np.log(np.where(t > 0, t, 1.0))), 0.0)
        value = betaln(alpha, beta + tc) - betaln(alpha, beta)
        if not grad:
            return value
        psi_ab = digamma(alpha + beta)
        psi_abt = digamma(alpha + beta + tc)
        d_beta_tc = digamma(beta + tc) - psi_abt  # derivative of log B(alpha, beta + t^c) in t^c
        with np.errstate(divide="ignore", invalid="ignore"):
            d_c = np.where(t > 1, d_beta_tc * tc * np.log(np.where(t > 0, t, 1.0)), 0.0)
        return value, psi_ab - psi_abt, d_beta_tc - digamma(beta) + psi_ab, d_c

    def individual_churn(self, t: Any, theta: float) -> Any:
        r"""Churn probability in period :math:`t` of a customer with parameter :math:`\theta` who reached it.

        .. math:: P(T = t \mid T \ge t, \theta) = 1 - (1-\theta)^{t^c - (t-1)^c}

        Constant in :math:`t` when :math:`c = 1` (the sBG's customer); rising when :math:`c > 1`.

        Examples
        --------
        >>> m = BetaDiscreteWeibull(); m.params_ = {"alpha": 1.0, "beta": 2.0, "c": 1.0}
        >>> [round(float(v), 3) for v in m.individual_churn([1, 2, 3], 0.2)]
        [0.2, 0.2, 0.2]
        """
        _, _, c = self._p()
        t = self._periods(t, "t", "BetaDiscreteWeibull.individual_churn")
        steps = np.power(t, c) - np.power(np.maximum(t - 1, 0.0), c)
        value = -np.expm1(steps * np.log1p(-float(theta)))
        return value if np.ndim(value) else float(value)
