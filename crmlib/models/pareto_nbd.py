r"""Pareto/NBD: Poisson purchasing while alive, exponential lifetimes, gamma heterogeneity of both.

While alive a customer buys at a Poisson rate :math:`\lambda`; her lifetime is exponential with rate
:math:`\mu` (death can come at any time, not only after a purchase as in the BG/NBD). Across customers
:math:`\lambda \sim \text{Gamma}(r, \alpha)` and :math:`\mu \sim \text{Gamma}(s, \beta)`, independent.

References: Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). Counting your customers: who are
they and what will they do next? *Management Science* 33(1), 1-24. Fader, P. S. and Hardie, B. G. S. (2005).
A note on deriving the Pareto/NBD model and related expressions. Fader, P. S. and Hardie, B. G. S. (2006).
Deriving an expression for P(X(t) = x) under the Pareto/NBD model. Fader, P. S. and Hardie, B. G. S. (2007).
Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models. Notes, brucehardie.com.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, roots_jacobi

from crmlib.models._base import (
    BaseModel,
    FitData,
    as_nonnegative,
    check_identifiable,
    check_summary,
    horizon_in_unit,
    summary_unit,
    weights_column,
)
from crmlib.models._covariates import Link, check_covariate_names, covariate_matrix, link_values
from crmlib.models._special import hyp2f1_one
from crmlib.params import ParameterError

__all__ = ["ParetoNBD"]

_COLUMNS = ("frequency", "recency", "T")


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.einsum("i,i->", a, b))


def log_f(r: Any, alpha: Any, s: Any, beta: Any, x: Any, y: Any, *, grad: bool = False) -> Any:
    r"""Log of :math:`F(y) = (r+s+x)\int_y^\infty (\alpha+\tau)^{-(r+x)}(\beta+\tau)^{-(s+1)}d\tau`, and its gradient.

    :math:`A_0 = F(t_x) - F(T)` of Fader and Hardie's note (eq. 19/20). In the branch where the
    hypergeometric argument lies in [0, 1) and after Euler's transformation,

    .. math::

        F(y) = \begin{cases}
        (\alpha+y)^{-(r+x)} (\beta+y)^{-s}\, {}_2F_1\!\left(1, r+x; r+s+x+1; \frac{\alpha-\beta}{\alpha+y}\right)
        & \alpha \ge \beta \\
        (\alpha+y)^{1-r-x} (\beta+y)^{-(s+1)}\, {}_2F_1\!\left(1, s+1; r+s+x+1; \frac{\beta-\alpha}{\beta+y}\right)
        & \alpha < \beta
        \end{cases}

    The series has positive terms (:func:`crmlib.models._special.hyp2f1_one`), so nothing overflows for any
    frequency or duration, and its derivatives in :math:`b`, :math:`c`, :math:`z` give the analytic
    gradient in :math:`(r, \alpha, s, \beta)` by the chain rule. Parameters may be arrays (per customer).

    Returns
    -------
    ndarray or tuple
        ``log F``; with ``grad=True`` the tuple ``(log F, d/dr, d/dalpha, d/ds, d/dbeta)``.
    """
    r, alpha, s, beta, x, y = np.broadcast_arrays(*(np.asarray(v, float) for v in (r, alpha, s, beta, x, y)))
    big_alpha = alpha >= beta
    la, lb = np.log(alpha + y), np.log(beta + y)
    b = np.where(big_alpha, r + x, s + 1.0)
    c = r + s + x + 1.0
    z = np.where(big_alpha, (alpha - beta) / (alpha + y), (beta - alpha) / (beta + y))
    if not grad:
        H = hyp2f1_one(b, c, z)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(big_alpha, -s * lb - (r + x) * la, (1.0 - r - x) * la - (s + 1.0) * lb) + np.log(H)
    H, Hb, Hc, Hz = hyp2f1_one(b, c, z, derivatives=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(big_alpha, -s * lb - (r + x) * la, (1.0 - r - x) * la - (s + 1.0) * lb) + np.log(H)
        hb, hc, hz = Hb / H, Hc / H, Hz / H
        d_r = -la + hc + np.where(big_alpha, hb, 0.0)
        d_s = -lb + hc + np.where(big_alpha, 0.0, hb)
        d_alpha = np.where(
            big_alpha,
            -(r + x) / (alpha + y) + hz * (beta + y) / (alpha + y) ** 2,
            (1.0 - r - x) / (alpha + y) - hz / (beta + y),
        )
        d_beta = np.where(
            big_alpha, -s / (beta + y) - hz / (alpha + y), -(s + 1.0) / (beta + y) + hz * (alpha + y) / (beta + y) ** 2
        )
    return value, d_r, d_alpha, d_s, d_beta


@dataclass
class _Design:
    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    xu: np.ndarray
    xi: np.ndarray
    pair_x: np.ndarray  # distinct (x, y) pairs over y in {t_x} and {T}
    pair_y: np.ndarray
    p_tx: np.ndarray  # each row's pair index of (x, t_x) and (x, T)
    p_T: np.ndarray
    Zp: np.ndarray
    Zd: np.ndarray
    _sums: _Sums | None = None

    def cache(self, w: np.ndarray) -> _Sums:
        """Row weights summed by distinct x and T, and each row's T index (parameter-free): computed once."""
        if self._sums is None or self._sums.w is not w:
            self._sums = _Sums(self, w)
        return self._sums


class _Sums:
    def __init__(self, d: _Design, w: np.ndarray) -> None:
        self.w = w
        self.W = float(w.sum())
        self.W_x = np.bincount(d.xi, weights=w, minlength=len(d.xu))
        Ti, Tu = pd.factorize(d.T)
        self.Ti, self.Tu = Ti.astype(np.intp), np.asarray(Tu, dtype=float)


class ParetoNBD(BaseModel):
    r"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison and Colombo 1987).

    Parameters
    ----------
    purchase_covariates, dropout_covariates : list of str, optional
        Time-invariant covariates (Fader and Hardie 2007 note): :math:`\alpha_i = \alpha\exp(-\gamma_1' x_i)`
        (coefficients ``purchase:<column>``, positive = more purchases) and
        :math:`\beta_i = \beta\exp(-\gamma_2' z_i)` (``dropout:<column>``, positive = earlier death).
    penalizer, initial_params, tol, maxiter
        As for :class:`~crmlib.models.BetaGeo` (``initial_params`` keys ``r``, ``alpha``, ``s``, ``beta``
        and the coefficients).

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase rate heterogeneity, ``alpha`` in the data's unit) and ``s``, ``beta``
        (death rate heterogeneity, ``beta`` in the data's unit), then the coefficients.
    log_likelihood_, n_, unit_, covariance_
        As for :class:`~crmlib.models.BetaGeo`.

    Notes
    -----
    ``fit(summary, *, unit=None, weights=None)`` as :meth:`BetaGeo.fit <crmlib.models.BetaGeo>`.

    Likelihood (Fader and Hardie 2005 note, eq. 22):

    .. math::

        L(r, \alpha, s, \beta \mid x, t_x, T) = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
        \left[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\right], \quad A_0 = F(t_x) - F(T)

    with :math:`F` of :func:`log_f`. The hypergeometric terms depend on :math:`(x, t_x)` and :math:`(x, T)`
    only: the fit evaluates them, with their derivatives, once per distinct pair (a few ten thousand for half
    a million customers) and gathers them; the gradient is analytic.

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

    def __init__(
        self,
        *,
        purchase_covariates: list[str] | None = None,
        dropout_covariates: list[str] | None = None,
        penalizer: float = 0.0,
        initial_params: dict[str, float] | None = None,
        tol: float = 1e-10,
        maxiter: int = 2000,
    ) -> None:
        super().__init__(penalizer=penalizer, initial_params=initial_params, tol=tol, maxiter=maxiter)
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates

    # -- covariates ------------------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        links = self._links()
        return {
            **super()._settings(),
            "purchase_covariates": list(links[0].columns) or None,
            "dropout_covariates": list(links[1].columns) or None,
        }

    def _links(self) -> tuple[Link, Link]:
        name = type(self).__name__
        p = check_covariate_names(self.purchase_covariates, "purchase_covariates", name)
        d = check_covariate_names(self.dropout_covariates, "dropout_covariates", name)
        return Link("alpha", p, -1.0, "purchase"), Link("beta", d, -1.0, "dropout")

    @property
    def covariates(self) -> tuple[str, ...]:
        """All covariate columns the model uses (purchase first, then drop-out, without repeats)."""
        seen: list[str] = []
        for link in self._links():
            seen += [c for c in link.columns if c not in seen]
        return tuple(seen)

    @property
    def param_names(self) -> tuple[str, ...]:
        """``r, alpha, s, beta``, then the coefficients ``purchase:<col>`` and ``dropout:<col>``."""
        la, ld = self._links()
        return self._param_names + la.coefficient_names + ld.coefficient_names

    def _positive(self) -> np.ndarray:
        return np.arange(len(self.param_names)) < 4

    def _row_params(self, params: np.ndarray, Zp: np.ndarray, Zd: np.ndarray) -> tuple[Any, Any, Any, Any]:
        la, ld = self._links()
        k1 = len(la.columns)
        r, alpha, s, beta = params[:4]
        return (
            r,
            link_values(alpha, params[4 : 4 + k1], Zp, la.sign),
            s,
            link_values(beta, params[4 + k1 :], Zd, ld.sign),
        )

    def _customer_params(self, covariates: Any, n: int | None, func: str) -> tuple[Any, Any, Any, Any]:
        self._check_fitted()
        la, ld = self._links()
        if not la.columns and not ld.columns:
            return self._p()
        if covariates is None:
            raise ParameterError(
                f"{func}: this model has covariates ({', '.join(self.covariates)}); give covariates= (a DataFrame with "
                "those columns, one row per customer, e.g. the summary)."
            )
        values = [self.params_[k] for k in self.param_names]
        if any(np.ndim(v) for v in values):
            raise ParameterError(f"{func}: intervals of covariate models are not available per customer.")
        params = np.array(values, dtype=float)
        return self._row_params(
            params,
            covariate_matrix(covariates, la.columns, func, rows=n),
            covariate_matrix(covariates, ld.columns, func, rows=n),
        )

    # -- the hooks of the shared fit -------------------------------------------------------------------
    def _prepare(self, data: Any, func: str, **options: Any) -> FitData:
        opts = self._options(options, func, unit=None, weights=None)
        unit, weights = opts["unit"], opts["weights"]
        check_summary(data, _COLUMNS, func)
        cov = covariate_matrix(data, self.covariates, func)
        cols = tuple(data[c].to_numpy(dtype=float) for c in _COLUMNS) + tuple(cov.T)
        return FitData(cols, weights=weights_column(data, weights, func), unit=summary_unit(data, unit, func))

    def _design(self, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> _Design:
        x, tx, T = columns[:3]
        cov = np.column_stack(columns[3:]) if len(columns) > 3 else np.zeros((len(x), 0))
        index = {c: j for j, c in enumerate(self.covariates)}
        la, ld = self._links()
        Zp, Zd = cov[:, [index[c] for c in la.columns]], cov[:, [index[c] for c in ld.columns]]
        xi, xu = pd.factorize(x)
        n = len(x)
        if Zp.shape[1] or Zd.shape[1]:  # parameters differ by row: one pair per row and end point
            pair_x, pair_y = np.r_[x, x], np.r_[tx, T]
            p_tx, p_T = np.arange(n), np.arange(n, 2 * n)
        else:
            codes, uniq = pd.factorize(np.r_[tx, T])
            key = np.r_[xi, xi].astype(np.int64) * len(uniq) + codes
            pair, keys = pd.factorize(key)
            pair_x = np.asarray(xu, float)[keys // len(uniq)]
            pair_y = np.asarray(uniq, float)[keys % len(uniq)]
            p_tx, p_T = pair[:n], pair[n:]
        return _Design(x, tx, T, np.asarray(xu, float), xi.astype(np.intp), pair_x, pair_y, p_tx, p_T, Zp, Zd)

    def _check_data(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, func: str) -> None:
        check_identifiable(columns[0], columns[1], columns[2], weights, func)

    def _initial(self, design: _Design, weights: np.ndarray) -> np.ndarray:
        rate = max(float(np.sum(weights * design.x) / max(np.sum(weights * design.T), 1e-12)), 1e-6)
        mean_T = float(np.sum(weights * design.T) / weights.sum())
        return np.r_[1.0, 1.0 / rate, 1.0, mean_T, np.zeros(len(self.param_names) - 4)]

    def _store(self, data: FitData, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> None:
        self.fit_info_["max_frequency"] = int(np.max(columns[0]))
        self.fit_info_["max_T"] = float(np.max(columns[2]))

    # -- the likelihood --------------------------------------------------------------------------------
    def _terms(self, params: np.ndarray, d: _Design, grad: bool) -> tuple:
        """Per-row log-likelihood and, with ``grad``, its derivatives in the per-row (r, alpha, s, beta)."""
        r, alpha, s, beta = self._row_params(np.asarray(params, float), d.Zp, d.Zd)
        per_row = d.Zp.shape[1] or d.Zd.shape[1]
        pa = alpha if not per_row else np.r_[alpha * np.ones_like(d.x), alpha * np.ones_like(d.x)]
        pb = beta if not per_row else np.r_[beta * np.ones_like(d.x), beta * np.ones_like(d.x)]
        lf = log_f(r, pa, s, pb, d.pair_x, d.pair_y, grad=grad)
        if not grad:
            lf = (lf,)
        x, T = d.x, d.T
        with np.errstate(divide="ignore", invalid="ignore"):
            lf1, lf2 = lf[0][d.p_tx], lf[0][d.p_T]
            q = np.exp(np.minimum(lf2 - lf1, 0.0))
            log_a0 = lf1 + np.log1p(-q)
            lr = gammaln(r + d.xu)[d.xi] - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
            dead = np.log(s) - np.log(r + s + x) + log_a0
            core = np.logaddexp(alive, dead)
            ll = lr + core
        if not grad:
            return (ll,)
        with np.errstate(divide="ignore", invalid="ignore"):
            pd_ = np.exp(dead - core)
            pa_ = 1.0 - pd_
            live = pd_ > 0
            rsx = r + s + x
            g_a0 = [np.where(live, (g[d.p_tx] - q * g[d.p_T]) / (1.0 - q), 0.0) for g in lf[1:]]
            d_r = (
                digamma(r + d.xu)[d.xi]
                - digamma(r)
                + np.log(alpha)
                - pa_ * np.log(alpha + T)
                + pd_ * (g_a0[0] - 1.0 / rsx)
            )
            d_alpha = r / alpha - pa_ * (r + x) / (alpha + T) + pd_ * g_a0[1]
            d_s = np.log(beta) - pa_ * np.log(beta + T) + pd_ * (1.0 / s - 1.0 / rsx + g_a0[2])
            d_beta = s / beta - pa_ * s / (beta + T) + pd_ * g_a0[3]
        return ll, d_r, d_alpha, d_s, d_beta

    def _loglik(self, params: np.ndarray, design: _Design) -> np.ndarray:
        return self._terms(params, design, grad=False)[0]

    def _grad(self, params: np.ndarray, design: _Design) -> np.ndarray:
        params = np.asarray(params, float)
        _, d_r, d_alpha, d_s, d_beta = self._terms(params, design, grad=True)
        ones = np.ones_like(design.x)
        if design.Zp.shape[1] == 0 and design.Zd.shape[1] == 0:
            return np.vstack([d_r * ones, d_alpha * ones, d_s * ones, d_beta * ones])
        _, alpha, _, beta = self._row_params(params, design.Zp, design.Zd)
        ga, gb = d_alpha * alpha * ones, d_beta * beta * ones  # derivatives in log(alpha_i), log(beta_i)
        return np.vstack(
            [
                d_r * ones,
                ga / params[1],
                d_s * ones,
                gb / params[3],
                -(design.Zp * ga[:, None]).T,
                -(design.Zd * gb[:, None]).T,
            ]
        )

    def _loglik_grad(self, params: np.ndarray, design: _Design, weights: np.ndarray) -> tuple[float, np.ndarray]:
        if design.Zp.shape[1] or design.Zd.shape[1]:
            return super()._loglik_grad(params, design, weights)
        return self._fast_loglik_grad(params, design, weights)

    def _fast_loglik_grad(self, params: np.ndarray, d: _Design, w: np.ndarray) -> tuple[float, np.ndarray]:
        r"""Weighted log-likelihood and gradient without covariates.

        :math:`\log F` and its gradient are computed once per distinct (x, y) pair; every sum over the rows of a
        per-pair, per-T or per-x quantity is a ``bincount`` of the row weights there, so what remains per row is
        the mixing of the alive and dead terms (two ``exp``, one ``log1p``).
        """
        r, alpha, s, beta = (float(v) for v in params)
        c = d.cache(w)
        lf, g_r, g_alpha, g_s, g_beta = log_f(r, alpha, s, beta, d.pair_x, d.pair_y, grad=True)
        xu = d.xu
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lf1, lf2 = lf[d.p_tx], lf[d.p_T]
            q = np.exp(np.minimum(lf2 - lf1, 0.0))
            la_u, lb_u = np.log(alpha + c.Tu), np.log(beta + c.Tu)
            alive = -(r * la_u)[c.Ti] - d.x * la_u[c.Ti] - (s * lb_u)[c.Ti]
            dead = (np.log(s) - np.log(r + s + xu))[d.xi] + lf1 + np.log1p(-q)
            top = np.maximum(alive, dead)
            e_a, e_d = np.exp(alive - top), np.exp(dead - top)
            tot = e_a + e_d
            core = top + np.log(tot)
            wpd = w * e_d / tot  # weight times the dead term's share
        wpa = w - wpd
        live = np.isfinite(dead) & (q < 1)
        c1 = np.where(live, wpd / np.where(live, 1.0 - q, 1.0), 0.0)
        n_pairs = len(d.pair_x)
        pair_w = np.bincount(d.p_tx, weights=c1, minlength=n_pairs) - np.bincount(
            d.p_T, weights=c1 * q, minlength=n_pairs
        )
        A_T = np.bincount(c.Ti, weights=wpa, minlength=len(c.Tu))
        AX_T = np.bincount(c.Ti, weights=wpa * d.x, minlength=len(c.Tu))
        D_x = np.bincount(d.xi, weights=wpd, minlength=len(xu))
        W, Wx = c.W, c.W_x
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = _dot(Wx, gammaln(r + xu)) + W * (r * np.log(alpha) + s * np.log(beta) - gammaln(r)) + _dot(w, core)
            inv_rsx = 1.0 / (r + s + xu)
            d_r = (
                _dot(Wx, digamma(r + xu))
                - W * digamma(r)
                + W * np.log(alpha)
                - _dot(A_T, la_u)
                + _dot(pair_w, g_r)
                - _dot(D_x, inv_rsx)
            )
            d_alpha = W * r / alpha - _dot(r * A_T + AX_T, 1.0 / (alpha + c.Tu)) + _dot(pair_w, g_alpha)
            d_s = W * np.log(beta) - _dot(A_T, lb_u) + float(D_x.sum()) / s - _dot(D_x, inv_rsx) + _dot(pair_w, g_s)
            d_beta = W * s / beta - s * _dot(A_T, 1.0 / (beta + c.Tu)) + _dot(pair_w, g_beta)
        return float(ll), np.array([d_r, d_alpha, d_s, d_beta])

    # -- predictions -----------------------------------------------------------------------------------
    def probability_alive(self, frequency: Any, recency: Any, T: Any, *, covariates: Any = None) -> Any:
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
        func = f"{type(self).__name__}.probability_alive"
        x, tx, T = (as_nonnegative(v, n, func) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        n = np.broadcast(x, tx, T).size if covariates is not None else None
        r, alpha, s, beta = self._customer_params(covariates, n, func)
        value = self._alive(r, alpha, s, beta, x, tx, T)
        return value if np.ndim(value) else float(value)

    @staticmethod
    def _alive(r: Any, alpha: Any, s: Any, beta: Any, x: Any, tx: Any, T: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            l1 = log_f(r, alpha, s, beta, x, tx)
            l2 = log_f(r, alpha, s, beta, x, T)
            log_a0 = l1 + np.log1p(-np.exp(np.minimum(l2 - l1, 0.0)))
            log_ratio = np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + log_a0
            return np.exp(-np.logaddexp(0.0, log_ratio))

    @staticmethod
    def _growth(s: Any, t: Any, base: Any) -> Any:
        r"""(1 - (base/(base+t))^{s-1}) / (s-1), with its limit log(1 + t/base) at s = 1."""
        L = np.log(base) - np.log(base + t)
        s = np.asarray(s, float)
        with np.errstate(all="ignore"):
            general = 0.0 - np.expm1((s - 1) * L) / np.where(s == 1, 1.0, s - 1)
        return np.where(np.abs(s - 1) < 1e-12, 0.0 - L, general)

    def expected_purchases(self, t: Any, *, horizon_unit: str | None = None, covariates: Any = None) -> Any:
        r"""Expected repeat purchases in :math:`(0, t]` of a customer who has just made a first purchase.

        .. math:: E[X(t)] = \frac{r\beta}{\alpha(s-1)}\left[1 - \left(\frac{\beta}{\beta+t}\right)^{s-1}\right]

        (Schmittlein et al. 1987, eq. 17; the limit :math:`\frac{r\beta}{\alpha}\log(1 + t/\beta)` at :math:`s = 1`).
        ``t`` in the data's unit, or in ``horizon_unit`` when given.

        Examples
        --------
        >>> m = ParetoNBD(); m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> float(m.expected_purchases(0.0))
        0.0
        """
        func = f"{type(self).__name__}.expected_purchases"
        self._check_fitted()
        t = horizon_in_unit(self, t, horizon_unit, func)
        r, alpha, s, beta = self._customer_params(covariates, np.size(t) if covariates is not None else None, func)
        value = r * beta / alpha * self._growth(s, t, beta)
        return value if np.ndim(value) else float(value)

    def conditional_expected_purchases(
        self,
        t: Any,
        frequency: Any,
        recency: Any,
        T: Any,
        *,
        horizon_unit: str | None = None,
        covariates: Any = None,
    ) -> Any:
        r"""Expected purchases in the next :math:`t` time units of a customer with history :math:`(x, t_x, T)`.

        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
            \left[1 - \left(\frac{\beta+T}{\beta+T+t}\right)^{s-1}\right] P(\text{alive} \mid x, t_x, T)

        (Fader and Hardie 2005 note, eq. 27). ``recency`` and ``T`` in the data's unit; ``t`` too, or in
        ``horizon_unit`` when given.

        Examples
        --------
        >>> m = ParetoNBD(); m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> float(m.conditional_expected_purchases(0.0, 2, 30.43, 38.86))
        0.0
        """
        func = f"{type(self).__name__}.conditional_expected_purchases"
        self._check_fitted()
        t = horizon_in_unit(self, t, horizon_unit, func)
        x, tx, T = (as_nonnegative(v, n, func) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        n = np.broadcast(t, x, tx, T).size if covariates is not None else None
        r, alpha, s, beta = self._customer_params(covariates, n, func)
        value = self._if_alive(t, x, T, r, alpha, s, beta) * self._alive(r, alpha, s, beta, x, tx, T)
        return value if np.ndim(value) else float(value)

    def _if_alive(self, t: Any, x: Any, T: Any, r: Any, alpha: Any, s: Any, beta: Any) -> Any:
        return (r + x) / (alpha + T) * (beta + T) * self._growth(s, t, beta + T)

    def _expected_if_alive(self, t: Any, x: Any, T: Any) -> Any:
        """E[Y(t) | alive at T, x, T] (it does not depend on t_x); used by customer_lifetime_value per (x, T) pair."""
        r, alpha, s, beta = self._p()
        return self._if_alive(np.asarray(t, float), np.asarray(x, float), np.asarray(T, float), r, alpha, s, beta)

    def probability_of_purchases(self, x: Any, t: Any, *, horizon_unit: str | None = None, nodes: int = 64) -> Any:
        r"""Probability that a new customer makes exactly :math:`x` repeat purchases in :math:`(0, t]`.

        A customer either lives through :math:`t` and makes :math:`x` purchases, or dies at some
        :math:`\tau < t` after :math:`x` purchases in :math:`(0, \tau]` (Fader and Hardie 2006 note):

        .. math::

            P(X(t) = x) = \text{NBD}_t(x) \left(\frac{\beta}{\beta+t}\right)^s
            + \int_0^t \text{NBD}_\tau(x)\, \frac{s\beta^s}{(\beta+\tau)^{s+1}}\, d\tau, \quad
            \text{NBD}_\tau(x) = \frac{\Gamma(r+x)}{\Gamma(r)\,x!}\left(\frac{\alpha}{\alpha+\tau}\right)^r
            \left(\frac{\tau}{\alpha+\tau}\right)^x

        With :math:`w = \tau/(\alpha+\tau)` and :math:`w = W v`, :math:`W = t/(\alpha+t)`, the integral is
        :math:`\frac{\Gamma(r+x)}{\Gamma(r)\,x!} s \beta^s \alpha W^{x+1} \int_0^1 v^x (1-Wv)^{r+s-1}
        (\beta+(\alpha-\beta)Wv)^{-(s+1)} dv`, computed by Gauss-Jacobi quadrature with the weight :math:`v^x`
        (``nodes`` points; its integrand is smooth), in log space, so large :math:`x` stays finite.
        ``t`` in the data's unit or in ``horizon_unit``.

        Examples
        --------
        >>> m = ParetoNBD(); m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> round(float(sum(m.probability_of_purchases(k, 39.0) for k in range(300))), 6)
        1.0
        """
        func = f"{type(self).__name__}.probability_of_purchases"
        r, alpha, s, beta = self._p()
        xs = np.asarray(x)
        if np.any(~np.isfinite(xs.astype(float))) or np.any(xs < 0) or np.any(xs != np.round(xs)):
            raise ParameterError(f"The 'x' argument of {func} must hold whole numbers >= 0. Got {x!r} instead.")
        t = horizon_in_unit(self, t, horizon_unit, func)
        xf, tb = np.broadcast_arrays(xs.astype(float), t)
        out = np.empty(xf.shape)
        flat_x, flat_t, flat_out = xf.ravel(), tb.ravel(), out.reshape(-1)
        for xv in np.unique(flat_x):
            idx = np.flatnonzero(flat_x == xv)
            u, wts = roots_jacobi(int(nodes), 0.0, xv)  # weight (1 + u)^x on [-1, 1]
            v = (1.0 + u) / 2.0
            wts = wts / 2.0 ** (xv + 1.0)  # weight v^x dv on [0, 1]
            tt = flat_t[idx][:, None]
            with np.errstate(all="ignore"):
                W = tt / (alpha + tt)
                J = np.sum(
                    wts * np.exp((r + s - 1) * np.log1p(-W * v) - (s + 1) * np.log(beta + (alpha - beta) * W * v)),
                    axis=1,
                )
                log_c = gammaln(r + xv) - gammaln(r) - gammaln(xv + 1)
                lW = np.log(W[:, 0])
                alive = np.exp(
                    log_c
                    + r * np.log(alpha / (alpha + tt[:, 0]))
                    + (xv * lW if xv else 0.0)
                    + s * np.log(beta / (beta + tt[:, 0]))
                )
                dead = np.exp(log_c + np.log(s) + s * np.log(beta) + np.log(alpha) + (xv + 1) * lW + np.log(J))
            flat_out[idx] = np.where(flat_t[idx] == 0, float(xv == 0), alive + dead)
        return out if out.ndim else float(out)
