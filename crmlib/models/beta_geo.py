r"""BG/NBD: the beta-geometric / negative binomial model of repeat buying ("buy till you die").

While alive, a customer buys at a Poisson rate :math:`\lambda` per time unit; after each purchase she
drops out ("dies") with probability :math:`p`. Across customers :math:`\lambda \sim \text{Gamma}(r, \alpha)`
(shape :math:`r`, rate :math:`\alpha`, in the data's time unit) and :math:`p \sim \text{Beta}(a, b)`.

The modified BG/NBD (:class:`crmlib.models.ModifiedBetaGeo`) differs only in letting a customer drop out
right after her first purchase too; it shares this module's code through three class attributes.

References: Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284. Fader, P. S. and Hardie,
B. G. S. (2007). Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models. Note,
brucehardie.com.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln, digamma, gammaln

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
from crmlib.models._special import bg_expected_if_alive
from crmlib.params import ParameterError

__all__ = ["BetaGeo"]

_COLUMNS = ("frequency", "recency", "T")


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of products without BLAS (a multi-threaded BLAS dot is many times slower on a loaded machine)."""
    return float(np.einsum("i,i->", a, b))


@dataclass
class _Design:
    """The collapsed patterns and what the likelihood reuses: distinct x, T and t_x with each row's index."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    xu: np.ndarray
    xi: np.ndarray
    Tu: np.ndarray
    Ti: np.ndarray
    txu: np.ndarray
    txi: np.ndarray
    Zp: np.ndarray  # purchase covariates (rows x k1)
    Zd: np.ndarray  # drop-out covariates (rows x k2)
    _sums: _Sums | None = None

    def cache(self, w: np.ndarray) -> _Sums:
        """Row weights summed by distinct x, T and t_x (they do not depend on the parameters): computed once."""
        if self._sums is None or self._sums.w is not w:
            self._sums = _Sums(self, w)
        return self._sums


class _Sums:
    def __init__(self, d: _Design, w: np.ndarray) -> None:
        self.w = w
        self.W = float(w.sum())
        self.W_x = np.bincount(d.xi, weights=w, minlength=len(d.xu))
        wx = w * d.x
        self.W_T = np.bincount(d.Ti, weights=w, minlength=len(d.Tu))
        self.WX_T = np.bincount(d.Ti, weights=wx, minlength=len(d.Tu))
        self.W_tx = np.bincount(d.txi, weights=w, minlength=len(d.txu))
        self.WX_tx = np.bincount(d.txi, weights=wx, minlength=len(d.txu))


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values)
    return np.asarray(uniques, dtype=float), codes.astype(np.intp)


class BetaGeo(BaseModel):
    r"""BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005).

    Parameters
    ----------
    purchase_covariates, dropout_covariates : list of str, optional
        Time-invariant covariates (columns of the summary, numbers; categories as 0/1 columns) of the
        purchase process and of the drop-out process (Fader and Hardie 2007 note):
        :math:`\alpha_i = \alpha \exp(-\gamma_1' x_i)` (coefficients ``purchase:<column>``; a positive
        coefficient means more purchases), :math:`a_i = a \exp(\gamma_2' z_i)` and
        :math:`b_i = b \exp(\gamma_3' z_i)` (``a:<column>``, ``b:<column>``). ``r``, ``alpha``, ``a``, ``b``
        are then the values of a customer whose covariates are 0.
    penalizer : float, default 0.0
        Adds ``penalizer * sum(params**2)`` to the mean negative log-likelihood (shrinks extreme
        estimates on thin data; 0 = maximum likelihood as published).
    initial_params : dict, optional
        Starting values, one per name of ``param_names``; default ``r=1, a=1, b=1``, ``alpha`` from the
        mean purchase rate and coefficients 0.
    tol, maxiter : float, int
        Optimiser tolerance and iteration limit.

    Attributes
    ----------
    params_ : dict
        ``r`` and ``alpha`` (gamma shape and rate of the purchase rate, ``alpha`` in the data's unit),
        ``a``, ``b`` (beta distribution of the drop-out probability) and the coefficients, if any.
    log_likelihood_ : float
    n_ : int
        Number of customers fitted.
    unit_ : str or None
        Time unit of ``recency`` and ``T`` (from ``fit(..., unit=)`` or ``summary.attrs["unit"]``).
    covariance_ : DataFrame
        Covariance of the estimates (see :meth:`summary`).

    Notes
    -----
    ``fit(summary, *, unit=None, weights=None)``: ``summary`` has the columns ``frequency``, ``recency`` and
    ``T`` (one row per customer, :func:`crmlib.rfm.summarize`) and the covariate columns; ``weights`` names an
    optional column of counts (e.g. ``"weight"`` of ``crmlib.scale.summarize_file(..., collapse=True)``).

    Likelihood of one customer with :math:`x` repeat purchases, the last at :math:`t_x`, observed for
    :math:`T` (FHL 2005, eq. 6):

    .. math::

        L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+T)^{r+x}}
            + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
              \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+t_x)^{r+x}}

    evaluated in log space. Without covariates the fit evaluates the beta and gamma functions once per
    distinct frequency and the logarithms once per distinct :math:`T` and :math:`t_x`, and the likelihood and
    its gradient share them.

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
    #: exponent shift of (1 - p) for a customer alive at T: (1 - p)^(x + _alive_shift)
    _alive_shift = 0
    #: exponent shift for one who died after her last purchase: p (1 - p)^(x + _dead_shift)
    _dead_shift = -1
    #: whether a customer without repeat purchases can have died (at time 0)
    _dead_at_zero = False
    #: its expected purchases if alive need a hypergeometric function: intervals on CLV expand it around the estimates
    _costly_pair_term = True

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

    def _links(self) -> tuple[Link, Link, Link]:
        name = type(self).__name__
        p = check_covariate_names(self.purchase_covariates, "purchase_covariates", name)
        d = check_covariate_names(self.dropout_covariates, "dropout_covariates", name)
        return Link("alpha", p, -1.0, "purchase"), Link("a", d, 1.0, "a"), Link("b", d, 1.0, "b")

    @property
    def covariates(self) -> tuple[str, ...]:
        """All covariate columns the model uses (purchase first, then drop-out, without repeats)."""
        seen: list[str] = []
        for link in self._links():
            seen += [c for c in link.columns if c not in seen]
        return tuple(seen)

    @property
    def param_names(self) -> tuple[str, ...]:
        """``r, alpha, a, b``, then the coefficients ``purchase:<col>``, ``a:<col>``, ``b:<col>``."""
        names: tuple[str, ...] = self._param_names
        for link in self._links():
            names += link.coefficient_names
        return names

    def _positive(self) -> np.ndarray:
        return np.arange(len(self.param_names)) < 4

    def _split(self, params: np.ndarray) -> tuple[Any, ...]:
        """(r, alpha, a, b, coef_alpha, coef_a, coef_b) from the parameter vector."""
        links = self._links()
        k = [len(link.columns) for link in links]
        c = np.cumsum([4, *k])
        return (*params[:4], params[c[0] : c[1]], params[c[1] : c[2]], params[c[2] : c[3]])

    def _row_params(self, params: np.ndarray, Zp: np.ndarray, Zd: np.ndarray) -> tuple[Any, Any, Any, Any]:
        r, alpha, a, b, ca, cb_a, cb_b = self._split(params)
        la, laa, lab = self._links()
        return (
            r,
            link_values(alpha, ca, Zp, la.sign),
            link_values(a, cb_a, Zd, laa.sign),
            link_values(b, cb_b, Zd, lab.sign),
        )

    def _customer_params(self, covariates: Any, n: int | None, func: str) -> tuple[Any, Any, Any, Any]:
        """Each customer's (r, alpha, a, b): scalars without covariates, arrays with them."""
        self._check_fitted()
        la, ld, _ = self._links()
        if not la.columns and not ld.columns:
            return self._p()
        if covariates is None:
            raise ParameterError(
                f"{func}: this model has covariates ({', '.join(self.covariates)}); give covariates= (a DataFrame with "
                "those columns, one row per customer, e.g. the summary)."
            )
        params = np.array([np.asarray(self.params_[k], dtype=float) for k in self.param_names], dtype=object)
        Zp = covariate_matrix(covariates, la.columns, func, rows=n)
        Zd = covariate_matrix(covariates, ld.columns, func, rows=n)
        if any(np.ndim(v) for v in params):  # parameter draws (arrays): evaluate draw by draw
            raise ParameterError(f"{func}: intervals of covariate models are not available per customer.")
        return self._row_params(params.astype(float), Zp, Zd)

    # -- the hooks of the shared fit -------------------------------------------------------------------
    def _prepare(self, data: Any, func: str, **options: Any) -> FitData:
        opts = self._options(options, func, unit=None, weights=None)
        unit, weights = opts["unit"], opts["weights"]
        covs = self.covariates
        check_summary(data, _COLUMNS, func)
        cov = covariate_matrix(data, covs, func)
        cols = tuple(data[c].to_numpy(dtype=float) for c in _COLUMNS) + tuple(cov.T)
        return FitData(cols, weights=weights_column(data, weights, func), unit=summary_unit(data, unit, func))

    def _design(self, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> _Design:
        x, tx, T = columns[:3]
        cov = np.column_stack(columns[3:]) if len(columns) > 3 else np.zeros((len(x), 0))
        index = {c: j for j, c in enumerate(self.covariates)}
        la, ld, _ = self._links()
        Zp = cov[:, [index[c] for c in la.columns]]
        Zd = cov[:, [index[c] for c in ld.columns]]
        xu, xi = _codes(x)
        Tu, Ti = _codes(T)
        txu, txi = _codes(tx)
        return _Design(x, tx, T, xu, xi, Tu, Ti, txu, txi, Zp, Zd)

    def _check_data(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, func: str) -> None:
        check_identifiable(columns[0], columns[1], columns[2], weights, func)

    def _initial(self, design: _Design, weights: np.ndarray) -> np.ndarray:
        rate = max(float(np.sum(weights * design.x) / max(np.sum(weights * design.T), 1e-12)), 1e-6)
        return np.r_[1.0, 1.0 / rate, 1.0, 1.0, np.zeros(len(self.param_names) - 4)]

    def _store(self, data: FitData, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> None:
        self.fit_info_["max_frequency"] = int(np.max(columns[0]))
        self.fit_info_["max_T"] = float(np.max(columns[2]))

    # -- the likelihood --------------------------------------------------------------------------------
    def _rows(
        self, r: Any, alpha: Any, a: Any, b: Any, x: np.ndarray, tx: np.ndarray, T: np.ndarray, grad: bool
    ) -> tuple:
        """Log-likelihood of each row and, with ``grad``, its derivatives in (r, alpha, a, b) (parameters per row)."""
        s1, s2, dead0 = self._alive_shift, self._dead_shift, self._dead_at_zero
        can_die = np.ones_like(x, dtype=bool) if dead0 else x > 0
        lbab = betaln(a, b)
        m = r + x
        with np.errstate(divide="ignore", invalid="ignore"):
            log_at, log_atx = np.log(alpha + T), np.log(alpha + tx)
            l1 = betaln(a, b + x + s1) - lbab - m * log_at
            l2 = np.where(can_die, betaln(a + 1, b + x + s2) - lbab, -np.inf) - m * log_atx
            core = np.logaddexp(l1, l2)
            ll = gammaln(m) - gammaln(r) + r * np.log(alpha) + core
        if not grad:
            return (ll,)
        with np.errstate(divide="ignore", invalid="ignore"):
            pi1 = np.exp(l1 - core)
            pi2 = 1.0 - pi1
            d_r = digamma(m) - digamma(r) + np.log(alpha) - pi1 * log_at - pi2 * np.where(can_die, log_atx, 0.0)
            d_alpha = r / alpha - m * (pi1 / (alpha + T) + pi2 / (alpha + tx))
            safe = np.where(can_die, b + x + s2, 1.0)
            d_a = pi1 * (digamma(a) - digamma(a + b + x + s1)) + pi2 * (digamma(a + 1) - digamma(a + safe + 1))
            d_a = d_a - (digamma(a) - digamma(a + b))
            d_b = pi1 * (digamma(b + x + s1) - digamma(a + b + x + s1))
            d_b = (
                d_b
                + np.where(can_die, pi2 * (digamma(safe) - digamma(a + safe + 1)), 0.0)
                - (digamma(b) - digamma(a + b))
            )
        return ll, d_r, d_alpha, d_a, d_b

    def _loglik(self, params: np.ndarray, design: _Design) -> np.ndarray:
        r, alpha, a, b = self._row_params(np.asarray(params, float), design.Zp, design.Zd)
        return self._rows(r, alpha, a, b, design.x, design.tx, design.T, grad=False)[0]

    def _grad(self, params: np.ndarray, design: _Design) -> np.ndarray:
        params = np.asarray(params, float)
        r, alpha, a, b = self._row_params(params, design.Zp, design.Zd)
        _, d_r, d_alpha, d_a, d_b = self._rows(r, alpha, a, b, design.x, design.tx, design.T, grad=True)
        if design.Zp.shape[1] == 0 and design.Zd.shape[1] == 0:
            return np.vstack([d_r, d_alpha, d_a, d_b])
        _, alpha0, a0, b0, *_ = self._split(params)
        ones = np.ones_like(design.x)
        ga, gaa, gab = d_alpha * alpha * ones, d_a * a * ones, d_b * b * ones  # derivatives in log(alpha_i) etc.
        return np.vstack(
            [
                d_r * ones,
                ga / alpha0,
                gaa / a0,
                gab / b0,
                -(design.Zp * ga[:, None]).T,
                (design.Zd * gaa[:, None]).T,
                (design.Zd * gab[:, None]).T,
            ]
        )

    def _loglik_grad(self, params: np.ndarray, design: _Design, weights: np.ndarray) -> tuple[float, np.ndarray]:
        if design.Zp.shape[1] or design.Zd.shape[1]:
            return super()._loglik_grad(params, design, weights)
        return self._fast_loglik_grad(params, design, weights)

    def _fast_loglik_grad(self, params: np.ndarray, d: _Design, w: np.ndarray) -> tuple[float, np.ndarray]:
        r"""Weighted log-likelihood and gradient without covariates, sharing every special-function term.

        With :math:`D = \log(\text{alive term}/\text{dead term})` per row and :math:`\pi = 1/(1+e^{-D})` the
        alive term's share, every sum over the rows of a function of :math:`T` (or :math:`t_x`) is a sum over the
        distinct values of :math:`T` of that function times the row weights gathered there (``bincount``); the beta,
        gamma and digamma functions are evaluated once per distinct frequency. What remains per row is
        :math:`D`, one ``exp``, one ``log`` and five ``bincount`` passes.
        """
        r, alpha, a, b = (float(v) for v in params)
        s1, s2, dead0 = self._alive_shift, self._dead_shift, self._dead_at_zero
        c = d.cache(w)
        xu = d.xu
        can_die_u = np.ones_like(xu, dtype=bool) if dead0 else xu > 0
        lbab = betaln(a, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a1 = betaln(a, b + xu + s1) - lbab
            safe = np.where(can_die_u, b + xu + s2, 1.0)
            a2 = np.where(can_die_u, betaln(a + 1, safe) - lbab, -np.inf)
            lT_u, ltx_u = np.log(alpha + d.Tu), np.log(alpha + d.txu)
            # D = log(alive term / dead term) per row; +inf where the customer cannot have died
            D = (a1 - a2)[d.xi]
            D -= (r + d.x) * (lT_u[d.Ti] - ltx_u[d.txi])
            e = np.exp(-np.abs(D))
            soft = _dot(w, np.log1p(e)) + _dot(w, np.maximum(-D, 0.0))  # sum of w log(1 + exp(-D))
            inv = 1.0 / (1.0 + e)
            wp1 = w * np.where(D >= 0, inv, e * inv)  # weight times the alive term's share
        wp1x = wp1 * d.x
        P1x = np.bincount(d.xi, weights=wp1, minlength=len(xu))
        P1T = np.bincount(d.Ti, weights=wp1, minlength=len(d.Tu))
        P1XT = np.bincount(d.Ti, weights=wp1x, minlength=len(d.Tu))
        P1tx = np.bincount(d.txi, weights=wp1, minlength=len(d.txu))
        P1Xtx = np.bincount(d.txi, weights=wp1x, minlength=len(d.txu))
        P2tx, P2Xtx = c.W_tx - P1tx, c.WX_tx - P1Xtx  # the dead term's share, by t_x
        Wx, W = c.W_x, c.W
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = (
                _dot(Wx, gammaln(r + xu) - gammaln(r) + a1)
                + W * r * np.log(alpha)
                - _dot(r * c.W_T + c.WX_T, lT_u)
                + soft
            )
            d_r = _dot(Wx, digamma(r + xu) - digamma(r)) + W * np.log(alpha) - _dot(P1T, lT_u) - _dot(P2tx, ltx_u)
            d_alpha = (
                W * r / alpha
                - _dot(r * P1T + P1XT, 1.0 / (alpha + d.Tu))
                - _dot(r * P2tx + P2Xtx, 1.0 / (alpha + d.txu))
            )
            P2x = Wx - P1x
            psi_a, psi_b, psi_ab = digamma(a), digamma(b), digamma(a + b)
            da1 = psi_a - digamma(a + b + xu + s1)
            db1 = digamma(b + xu + s1) - digamma(a + b + xu + s1)
            da2 = np.where(can_die_u, digamma(a + 1) - digamma(a + safe + 1), 0.0)
            db2 = np.where(can_die_u, digamma(safe) - digamma(a + safe + 1), 0.0)
            d_a = _dot(P1x, da1) + _dot(P2x, da2) - W * (psi_a - psi_ab)
            d_b = _dot(P1x, db1) + _dot(P2x, db2) - W * (psi_b - psi_ab)
        return float(ll), np.array([d_r, d_alpha, d_a, d_b])

    # -- predictions -----------------------------------------------------------------------------------
    def probability_alive(self, frequency: Any, recency: Any, T: Any, *, covariates: Any = None) -> Any:
        r"""Probability that a customer with history :math:`(x, t_x, T)` is still alive at :math:`T`.

        .. math::

            P(\text{alive} \mid x, t_x, T) = \left[1 + \delta_{x>0} \frac{a}{b+x-1}
            \left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right]^{-1}

        (FHL 2005, eq. 11; by the model a customer with no repeat purchase cannot have died yet, so
        the probability is 1 when :math:`x = 0`). ``recency`` and ``T`` in the data's unit (``unit_``);
        ``covariates`` (a DataFrame with the model's covariate columns) for a covariate model.

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> float(m.probability_alive(0, 0, 20))
        1.0
        """
        func = f"{type(self).__name__}.probability_alive"
        x, tx, T = (as_nonnegative(v, n, func) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        r, alpha, a, b = self._customer_params(
            covariates, np.broadcast(x, tx, T).size if covariates is not None else None, func
        )
        value = self._alive(r, alpha, a, b, x, tx, T)
        return value if np.ndim(value) else float(value)

    def _alive(self, r: Any, alpha: Any, a: Any, b: Any, x: Any, tx: Any, T: Any) -> np.ndarray:
        r"""P(alive) = 1 / (1 + dead term / alive term).

        The ratio is :math:`\frac{a}{b+x+s}\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}` (:math:`s = -1` for the
        BG/NBD, 0 for the MBG/NBD, since :math:`B(a+1, b+x+s)/B(a, b+x+s+1) = a/(b+x+s)`). Many
        customers with parameters that are arrays (one row per parameter draw) are evaluated per distinct x, T and
        :math:`t_x` and gathered, so the logarithms are not taken once per customer and draw.
        """
        s2 = self._dead_shift
        x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, tx, T)))
        can_die = np.ones(x.shape, dtype=bool) if self._dead_at_zero else x > 0
        drawn = np.ndim(alpha) == 2 and x.ndim == 1 and x.size > 1000
        with np.errstate(all="ignore"):
            if drawn:  # parameters (draws, 1) against customers (n,): logs per distinct value, then gathered
                xi, xu = pd.factorize(x)
                Ti, Tu = pd.factorize(T)
                ti, tu = pd.factorize(tx)
                log_b = np.log(b + np.asarray(xu, float)[None, :] + s2)[:, xi]
                gap = (
                    np.log(alpha + np.asarray(Tu, float)[None, :])[:, Ti]
                    - np.log(alpha + np.asarray(tu, float)[None, :])[:, ti]
                )
                log_ratio = np.log(a) - log_b + (r + x) * gap
            else:
                safe = np.where(can_die, b + x + s2, 1.0)
                log_ratio = np.log(a) - np.log(safe) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
            return np.where(can_die, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)

    def expected_purchases(self, t: Any, *, horizon_unit: str | None = None, covariates: Any = None) -> Any:
        r"""Expected number of repeat purchases in :math:`(0, t]` of a customer who has just made a first purchase.

        .. math::

            E[X(t)] = \frac{a+b-1}{a-1}\left[1 - \left(\frac{\alpha}{\alpha+t}\right)^r
            {}_2F_1\!\left(r, b; a+b-1; \frac{t}{\alpha+t}\right)\right]

        (FHL 2005, eq. 7), evaluated in a transformed form that stays finite for long horizons and at
        :math:`a = 1` (see :func:`crmlib.models._special.bg_expected_if_alive`). ``t`` is in the data's unit
        (``unit_``), or in ``horizon_unit`` when given ("D", "W", "M", "Y").

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}; m.unit_ = "W"
        >>> round(float(m.expected_purchases(39)), 3)
        1.197
        >>> round(float(m.expected_purchases(12, horizon_unit="M")), 3)  # 12 months = 52.18 weeks
        1.449
        """
        func = f"{type(self).__name__}.expected_purchases"
        self._check_fitted()
        t = horizon_in_unit(self, t, horizon_unit, func)
        zero = np.zeros_like(t)
        value = self._conditional(t, zero, zero, zero, covariates, func)
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

            E[Y(t) \mid x, t_x, T] = \frac{\frac{a+b+x-1}{a-1}\left[1 - \left(\frac{\alpha+T}{\alpha+T+t}\right)^{r+x}
            {}_2F_1\!\left(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\right)\right]}
            {1 + \delta_{x>0}\frac{a}{b+x-1}\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}}

        (FHL 2005, eq. 10), with the hypergeometric term in Pfaff's transformed form so that large
        frequencies and long horizons stay finite, and the limit at :math:`a = 1` filled in.
        ``recency`` and ``T`` in the data's unit; ``t`` too, or in ``horizon_unit`` when given. ``t`` may be a
        scalar or broadcast against the customers.

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(float(m.conditional_expected_purchases(39, 2, 30.43, 38.86)), 3)
        1.226
        """
        func = f"{type(self).__name__}.conditional_expected_purchases"
        self._check_fitted()
        t = horizon_in_unit(self, t, horizon_unit, func)
        x, tx, T = (as_nonnegative(v, n, func) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
        value = self._conditional(t, x, tx, T, covariates, func)
        return value if np.ndim(value) else float(value)

    def _conditional(
        self, t: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, covariates: Any, func: str
    ) -> np.ndarray:
        n = np.broadcast(t, x, tx, T).size if covariates is not None else None
        r, alpha, a, b = self._customer_params(covariates, n, func)
        alive = self._alive(r, alpha, a, b, x, tx, T)
        return alive * self._if_alive(t, x, T, r, alpha, a, b)

    def _if_alive(self, t: Any, x: Any, T: Any, r: Any, alpha: Any, a: Any, b: Any) -> np.ndarray:
        s1 = self._alive_shift
        return bg_expected_if_alive(r + x, a, b + x + s1, np.asarray(t, float) / (alpha + T))

    def _expected_if_alive(self, t: Any, x: Any, T: Any) -> np.ndarray:
        """E[Y(t) | alive at T, x, T] (it does not depend on t_x); used by customer_lifetime_value per (x, T) pair."""
        r, alpha, a, b = self._p()
        return self._if_alive(t, np.asarray(x, float), np.asarray(T, float), r, alpha, a, b)

    def probability_of_purchases(self, x: Any, t: Any, *, horizon_unit: str | None = None) -> Any:
        r"""Probability that a new customer makes exactly :math:`x` repeat purchases in :math:`(0, t]`.

        .. math::

            P(X(t) = x) = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)}{\Gamma(r)\,x!}
            \left(\frac{\alpha}{\alpha+t}\right)^r \left(\frac{t}{\alpha+t}\right)^x
            + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}\, I_{t/(\alpha+t)}(x, r)

        (FHL 2005, eq. 8: the bracket :math:`1 - \sum_{j<x} \text{NBD}(j)` is the regularised incomplete
        beta function :math:`I`, so nothing is summed and nothing overflows). Used for the histogram of
        repeat purchases; ``t`` in the data's unit or in ``horizon_unit``.

        Examples
        --------
        >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(sum(float(m.probability_of_purchases(k, 39)) for k in range(200)), 6)
        1.0
        """
        func = f"{type(self).__name__}.probability_of_purchases"
        r, alpha, a, b = self._p()
        xs = np.asarray(x)
        if np.any(~np.isfinite(xs.astype(float))) or np.any(xs < 0) or np.any(xs != np.round(xs)):
            raise ParameterError(f"The 'x' argument of {func} must hold whole numbers >= 0. Got {x!r} instead.")
        t = horizon_in_unit(self, t, horizon_unit, func)
        xf, t = np.broadcast_arrays(xs.astype(float), t)
        s1, s2 = self._alive_shift, self._dead_shift
        can_die = np.ones(xf.shape, dtype=bool) if self._dead_at_zero else xf > 0
        with np.errstate(all="ignore"):
            log_q = np.log(alpha) - np.log(alpha + t)
            log_z = np.log(t) - np.log(alpha + t)
            nbd = np.exp(gammaln(r + xf) - gammaln(r) - gammaln(xf + 1) + r * log_q + np.where(xf > 0, xf * log_z, 0.0))
            first = np.exp(betaln(a, b + xf + s1) - betaln(a, b)) * nbd
            at_least = np.where(xf > 0, betainc(np.maximum(xf, 1e-300), r, t / (alpha + t)), 1.0)  # P(N(t) >= x)
            safe = np.where(can_die, b + xf + s2, 1.0)
            second = np.where(can_die, np.exp(betaln(a + 1, safe) - betaln(a, b)) * at_least, 0.0)
        value = first + second
        return value if value.ndim else float(value)
