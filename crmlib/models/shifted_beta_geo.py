r"""Shifted-beta-geometric (sBG) model of contractual retention.

At the end of every period each customer cancels with her own probability :math:`\theta`, constant
over time; across customers :math:`\theta \sim \text{Beta}(\alpha, \beta)`. Because the customers who
stay are those with low :math:`\theta`, the *aggregate* retention rate rises with tenure even though no
individual's does -- the reason straight-line, exponential or quadratic fits of a survival curve mislead.

References: Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing* 21(1), 76-90. Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation
in a contractual setting: the perils of ignoring heterogeneity. *Marketing Science* 29(1), 85-93.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, hyp2f1

from crmlib.models._retention import RetentionModel, check_survivors
from crmlib.params import check_number

__all__ = ["ShiftedBetaGeo", "naive_survival_projections"]


class ShiftedBetaGeo(RetentionModel):
    r"""sBG model of contractual retention (Fader and Hardie 2007).

    Parameters
    ----------
    covariates : list of str, optional
        Time-invariant covariates (numeric columns of a frame of customers): :math:`\alpha_i = \alpha
        \exp(\gamma_\alpha' z_i)` and :math:`\beta_i = \beta \exp(\gamma_\beta' z_i)`, coefficients
        ``alpha:<column>`` and ``beta:<column>`` (the mean churn probability :math:`\alpha/(\alpha+\beta)` rises
        with the first and falls with the second).
    penalizer, initial_params, tol, maxiter
        As for :class:`~crmlib.models.BetaGeo` (``initial_params`` keys ``alpha``, ``beta`` and the coefficients).

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` of the beta distribution of the per-period churn probability, then the coefficients.
    log_likelihood_, n_, covariance_
        ``n_`` is the number of customers (the cohort size).
    periods_ : int
        Number of periods of data fitted (length of ``survivors`` minus one), when fitted on a cohort's survivors.

    Notes
    -----
    ``fit(survivors)``: one cohort, the number still active at the start of each period, first value the cohort
    size; or ``fit(frame)``: one row per customer with ``periods``, ``churned``, optional ``weights`` and the
    covariates (see :mod:`crmlib.models._retention`).

    With :math:`n_t` the number active at the start of period :math:`t` (:math:`n_0` = cohort size),
    the log-likelihood of :math:`t = 1..k` is (Fader and Hardie 2007, eq. 5)

    .. math::

        LL = \sum_{t=1}^{k} (n_{t-1} - n_t)\log P(T = t) + n_k \log S(k), \quad
        P(T=t) = \frac{B(\alpha+1, \beta+t-1)}{B(\alpha, \beta)}, \quad
        S(t) = \frac{B(\alpha, \beta+t)}{B(\alpha, \beta)}

    Examples
    --------
    >>> model = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(model.params_["alpha"], 3), round(model.params_["beta"], 3)
    (0.704, 1.182)
    """

    _param_names = ("alpha", "beta")

    def _log_survival(self, t: Any, alpha: Any, beta: Any, *rest: Any, grad: bool = False) -> Any:
        t = np.asarray(t, dtype=float)
        value = betaln(alpha, beta + t) - betaln(alpha, beta)
        if not grad:
            return value
        psi_ab = digamma(alpha + beta)
        psi_abt = digamma(alpha + beta + t)
        return value, psi_ab - psi_abt, digamma(beta + t) - psi_abt - digamma(beta) + psi_ab

    def retention_rate(self, t: Any, *, covariates: Any = None) -> Any:
        r"""Share of those active in period :math:`t-1` who are still active in period :math:`t` (per period).

        .. math:: r(t) = \frac{S(t)}{S(t-1)} = \frac{\beta + t - 1}{\alpha + \beta + t - 1}

        (Fader and Hardie 2007, eq. 6): it rises with :math:`t`.

        Examples
        --------
        >>> m = ShiftedBetaGeo(); m.params_ = {"alpha": 1.0, "beta": 1.0}
        >>> [round(float(v), 3) for v in m.retention_rate([1, 2, 3])]
        [0.5, 0.667, 0.75]
        """
        return super().retention_rate(t, covariates=covariates)

    def discounted_expected_residual_lifetime(self, discount_rate: float, renewals: int = 0) -> float:
        r"""DERL: expected discounted future payments of a customer at her ``renewals + 1``-th renewal decision.

        For a customer who has made :math:`n - 1` renewals (:math:`n` = ``renewals + 1``) and is about
        to decide on the next one (Fader and Hardie 2010, eq. 6):

        .. math::

            \text{DERL}(d \mid \alpha, \beta, n-1) = \frac{B(\alpha, \beta+n)}{B(\alpha, \beta+n-1)}
            \, {}_2F_1\!\left(1, \beta+n; \alpha+\beta+n; \frac{1}{1+d}\right)
            = \sum_{t=n}^{\infty} \frac{S(t)}{S(n-1)} \frac{1}{(1+d)^{t-n}}

        The payment at the renewal about to be decided counts undiscounted. ``discount_rate`` :math:`d`
        is per contract period (the period of the survivor data), not per year. Multiply by the
        margin per period for the residual value.

        Examples
        --------
        >>> m = ShiftedBetaGeo(); m.params_ = {"alpha": 1.0, "beta": 1.0}
        >>> round(m.discounted_expected_residual_lifetime(0.10), 4)
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
        alpha, beta = self._p()
        n = renewals + 1
        return float(
            np.exp(betaln(alpha, beta + n) - betaln(alpha, beta + n - 1))
            * hyp2f1(1, beta + n, alpha + beta + n, 1 / (1 + d))
        )


def naive_survival_projections(survivors: Any, periods: int, *, calibration_periods: int | None = None) -> pd.DataFrame:
    r"""Straight-line, quadratic and exponential curves fitted to a survival curve and extended.

    These are the projections Fader and Hardie (2007, figure 2) show to mislead.

    The share surviving :math:`S_t = n_t / n_0` of periods :math:`1..k` is fitted by least squares:
    linear :math:`S_t = c_0 + c_1 t`, quadratic :math:`S_t = c_0 + c_1 t + c_2 t^2` and exponential
    :math:`\log S_t = c_0 + c_1 t`. The projections are cut to [0, 1].

    Parameters
    ----------
    survivors : sequence
        Number active at the start of each period, first value the cohort size.
    periods : int
        Project periods ``0..periods``.
    calibration_periods : int, optional
        Fit on periods ``1..calibration_periods`` only (default: all given).

    Returns
    -------
    DataFrame
        Index ``period``; columns ``linear``, ``quadratic``, ``exponential`` (share surviving, 0-1; ``quadratic`` is
        NaN when fitted on fewer than three periods).

    Examples
    --------
    >>> naive_survival_projections([100, 80, 60, 40], 5)["linear"].round(2).tolist()
    [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    """
    func = "naive_survival_projections"
    values = check_survivors(survivors, func)
    k = (
        len(values) - 1
        if calibration_periods is None
        else check_number(
            calibration_periods, "calibration_periods", func=func, low=2, high=len(values) - 1, integer=True
        )
    )
    periods = int(check_number(periods, "periods", func=func, low=1, integer=True))
    t = np.arange(1, k + 1, dtype=float)
    share = values[1 : k + 1] / values[0]
    grid = np.arange(periods + 1, dtype=float)
    linear = np.polyval(np.polyfit(t, share, 1), grid)
    # a parabola needs three points: with two periods it is not identified (NaN)
    quadratic = np.polyval(np.polyfit(t, share, 2), grid) if k >= 3 else np.full_like(grid, np.nan)
    positive = share > 0
    exponential = np.exp(np.polyval(np.polyfit(t[positive], np.log(share[positive]), 1), grid))
    out = pd.DataFrame(
        {"linear": linear, "quadratic": quadratic, "exponential": exponential},
        index=pd.Index(grid.astype(int), name="period"),
    )
    out.iloc[0] = 1.0
    return out.clip(0.0, 1.0)
