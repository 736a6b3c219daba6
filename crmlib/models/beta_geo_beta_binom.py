r"""BG/BB: repeat transactions at discrete opportunities (the beta-geometric / beta-Bernoulli model).

Many businesses see transactions at fixed occasions: a charity's yearly appeal, a conference, a seasonal
catalogue, or any log read in whole periods. While alive, a customer transacts at each opportunity with
probability :math:`p`; before each opportunity she may die with probability :math:`\theta`. Across
customers :math:`p \sim \text{Beta}(\alpha, \beta)` and :math:`\theta \sim \text{Beta}(\gamma, \delta)`.
The data of a customer are :math:`x` (transactions in the :math:`n` opportunities after her first),
:math:`t_x` (the opportunity of her last one, 0 if none) and :math:`n`.

:func:`summarize_opportunities` turns a transaction log into these data (calendar periods as
opportunities).

Reference: Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a discrete-time
noncontractual setting. *Marketing Science* 29(6), 1086-1108.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from crmlib.data import DataError
from crmlib.models._base import MIN_CUSTOMERS, BaseModel, FitData, ModelError, weights_column
from crmlib.params import ParameterError, check_choice, check_date, check_number

__all__ = ["BetaGeoBetaBinom", "summarize_opportunities"]

_COLUMNS = ("frequency", "recency", "n_periods")
_FREQ = {"D": "D", "W": "W", "M": "M", "Y": "Y"}


def summarize_opportunities(
    transactions: pd.DataFrame,
    *,
    period: str = "Y",
    observation_end: Any = None,
    collapse: bool = False,
) -> pd.DataFrame:
    r"""Per-customer discrete-time summary (frequency, recency, opportunities) of a transaction log, for the BG/BB.

    Calendar periods are the opportunities: days, weeks (Monday to Sunday), calendar months or calendar years.
    A customer's first transaction falls in her period 0; the periods after it, up to the one holding
    ``observation_end``, are her :math:`n` opportunities; :math:`x` counts those with at least one transaction
    (several in one period are one) and :math:`t_x` is the last of them (0 if none). These are the data of
    Fader, Hardie and Shang (2010, section 2). Transactions after ``observation_end`` are left out.

    Parameters
    ----------
    transactions : DataFrame
        The canonical frame (``customer_id``, ``date``, ``amount``) of :func:`crmlib.data.read_transactions`.
    period : {"D", "W", "M", "Y"}, default "Y"
        Length of one opportunity.
    observation_end : date-like, optional
        Last day observed (default: the last date in the data); its period is the last opportunity.
    collapse : bool, default False
        Return the counts of each (frequency, recency, n_periods) pattern (column ``weights``) instead of one
        row per customer: the form of the published donation data (:func:`crmlib.datasets.load_donations`).

    Returns
    -------
    DataFrame
        Index ``customer_id`` (or a range with ``collapse``); columns ``frequency``, ``recency``, ``n_periods``
        (whole numbers of periods), with ``collapse`` also ``weights``. ``attrs["period"]`` is ``period``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "amount": 1.0,
    ...                    "date": pd.to_datetime(["2020-03-01", "2021-05-01", "2021-06-01", "2022-01-01"])})
    >>> summarize_opportunities(tx, period="Y", observation_end="2023-12-31").to_dict("index")
    {'a': {'frequency': 1, 'recency': 1, 'n_periods': 3}, 'b': {'frequency': 0, 'recency': 0, 'n_periods': 1}}
    """
    from crmlib.data import check_canonical

    func = "summarize_opportunities"
    period = check_choice(period, "period", tuple(_FREQ), func=func)
    if not isinstance(collapse, bool):
        raise ParameterError(f"The 'collapse' parameter of {func} must be True or False. Got {collapse!r} instead.")
    tx = check_canonical(transactions, func)
    end = check_date(observation_end, "observation_end", func=func)
    dates = tx["date"]
    if end is None:
        if len(dates) == 0:
            raise DataError(f"{func}: the transaction log is empty; there is nothing to summarise.")
        end = dates.max().normalize()
    keep = (dates <= end + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)).to_numpy()
    if not keep.any():
        raise DataError(
            f"{func}: no transaction falls on or before observation_end={end.date()}; give a later observation_end."
        )
    freq = _FREQ[period]
    ordinal = np.asarray(dates[keep].dt.to_period(freq).array.asi8, dtype=np.int64)
    last = pd.Period(end, freq=freq).ordinal
    codes, ids = pd.factorize(tx["customer_id"][keep])
    pairs = np.unique(codes.astype(np.int64) * (2**31) + (np.asarray(ordinal, np.int64) - int(np.min(ordinal))))
    cust = pairs // (2**31)
    per = pairs % (2**31) + int(np.min(ordinal))
    first = pd.Series(per).groupby(cust).transform("min").to_numpy()
    latest = pd.Series(per).groupby(cust).transform("max").to_numpy()
    repeat = per > first
    n_cust = len(ids)
    frequency = np.bincount(cust[repeat], minlength=n_cust)
    first_c = np.zeros(n_cust, dtype=np.int64)
    first_c[cust] = first
    last_c = np.zeros(n_cust, dtype=np.int64)
    last_c[cust] = latest
    recency = np.where(frequency > 0, last_c - first_c, 0)
    out = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": recency.astype(np.int64),
            "n_periods": (last - first_c).astype(np.int64),
        },
        index=pd.Index(ids, name="customer_id"),
    ).sort_index()
    if collapse:
        out = out.groupby(list(_COLUMNS), as_index=False).size().rename(columns={"size": "weights"})
    out.attrs["period"] = period
    return out


class BetaGeoBetaBinom(BaseModel):
    r"""BG/BB model of repeat transactions at discrete opportunities (Fader, Hardie and Shang 2010).

    Parameters
    ----------
    penalizer, initial_params, tol, maxiter
        As for :class:`~crmlib.models.BetaGeo` (``initial_params`` keys ``alpha``, ``beta``, ``gamma``, ``delta``).

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` (beta distribution of the transaction probability :math:`p` while alive) and
        ``gamma``, ``delta`` (beta distribution of the death probability :math:`\theta` per opportunity).
    log_likelihood_, n_, covariance_
        As for :class:`~crmlib.models.BetaGeo`.

    Notes
    -----
    ``fit(frame, *, weights="weights")``: columns ``frequency`` (:math:`x`, transactions in the opportunities after
    the first), ``recency`` (:math:`t_x`, the last such opportunity, 0 if none) and ``n_periods`` (:math:`n`), whole
    numbers with :math:`0 \le x \le t_x \le n`; an optional ``weights`` column counts the customers with that pattern
    (``weights=`` names another column, or None to ignore it; :func:`summarize_opportunities` builds the frame
    from a log).

    Likelihood (FHS 2010, eq. 5):

    .. math::

        L = \frac{B(\alpha+x, \beta+n-x)}{B(\alpha, \beta)}\frac{B(\gamma, \delta+n)}{B(\gamma, \delta)}
          + \sum_{i=0}^{n-t_x-1} \frac{B(\alpha+x, \beta+t_x-x+i)}{B(\alpha, \beta)}
            \frac{B(\gamma+1, \delta+t_x+i)}{B(\gamma, \delta)}

    Examples
    --------
    >>> from crmlib.datasets import load_donations
    >>> model = BetaGeoBetaBinom().fit(load_donations())
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'alpha': 1.204, 'beta': 0.75, 'gamma': 0.657, 'delta': 2.783}
    """

    _param_names = ("alpha", "beta", "gamma", "delta")

    # -- the hooks of the shared fit -------------------------------------------------------------------
    def _prepare(self, data: Any, func: str, **options: Any) -> FitData:
        weights = self._options(options, func, weights="weights")["weights"]
        columns = _check_frame(data, func)
        if weights == "weights" and "weights" not in data.columns:
            weights = None  # the default column is optional; a column named by the user is not
        return FitData(columns, weights=weights_column(data, weights, func), unit=None)

    def _check_data(self, columns: tuple[np.ndarray, ...], weights: np.ndarray, func: str) -> None:
        x, tx, n = columns
        total = int(round(float(weights.sum())))
        if total < MIN_CUSTOMERS:
            raise ModelError(
                f"{func}: only {total} customers; the BG/BB needs at least {MIN_CUSTOMERS} (in practice hundreds)."
            )
        informative = (n > 0) & (weights > 0)
        if not np.any(informative & (x > 0)):
            raise ModelError(
                f"{func}: nobody transacted after the first opportunity, so the data say nothing about transaction or "
                "death probabilities; observe more opportunities."
            )
        if np.all(tx[informative & (x > 0)] == n[informative & (x > 0)]) and np.all(x[informative] > 0):
            raise ModelError(
                f"{func}: every customer transacted at the last opportunity, so nobody looks inactive and death "
                "cannot be estimated; observe more opportunities."
            )

    def _initial(self, design: Any, weights: np.ndarray) -> np.ndarray:
        return np.ones(4)

    def _store(self, data: FitData, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> None:
        self.fit_info_["max_periods"] = int(np.max(columns[2]))

    # -- the likelihood --------------------------------------------------------------------------------
    def _design(self, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> _Cells:
        return _Cells(*columns)

    def _tables(self, params: np.ndarray, d: _Cells, grad: bool) -> tuple:
        r"""Every log term of the likelihood (rows x terms; -inf where absent) from two small lookup tables.

        The beta functions depend on the data through whole numbers only: :math:`B(\alpha+x, \beta+m)` for
        :math:`x, m \le n_{max}` and :math:`B(\gamma, \delta+j)`, :math:`B(\gamma+1, \delta+j)` for
        :math:`j \le n_{max}`; they are computed once per evaluation and gathered into the cells.
        """
        alpha, beta, gamma, delta = (float(v) for v in params)
        k = np.arange(d.top + 1, dtype=float)
        lab, lgd = betaln(alpha, beta), betaln(gamma, delta)
        A = betaln(alpha + k[:, None], beta + k[None, :]).ravel()
        G = np.r_[betaln(gamma, delta + k), betaln(gamma + 1.0, delta + k)]
        with np.errstate(all="ignore"):
            logs = np.where(d.mask, A[d.a_idx] + G[d.g_idx] - lab - lgd, -np.inf)
        if not grad:
            return (logs,)
        psi_abxm = digamma(alpha + beta + k[:, None] + k[None, :])
        dA_alpha = (digamma(alpha + k)[:, None] - psi_abxm).ravel() - (digamma(alpha) - digamma(alpha + beta))
        dA_beta = (digamma(beta + k)[None, :] - psi_abxm).ravel() - (digamma(beta) - digamma(alpha + beta))
        psi_gd = digamma(gamma + delta + k)
        psi_gd1 = digamma(gamma + delta + 1.0 + k)
        dG_gamma = np.r_[digamma(gamma) - psi_gd, digamma(gamma + 1.0) - psi_gd1] - (
            digamma(gamma) - digamma(gamma + delta)
        )
        dG_delta = np.r_[digamma(delta + k) - psi_gd, digamma(delta + k) - psi_gd1] - (
            digamma(delta) - digamma(gamma + delta)
        )
        return logs, (dA_alpha, dA_beta, dG_gamma, dG_delta)

    @staticmethod
    def _mix(logs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row log-likelihood (log of the sum of the terms) and each term's share."""
        top = np.max(logs, axis=1)
        e = np.exp(logs - top[:, None])
        total = e.sum(axis=1)
        return top + np.log(total), e / total[:, None]

    def _loglik(self, params: np.ndarray, design: _Cells) -> np.ndarray:
        return self._mix(self._tables(params, design, grad=False)[0])[0]

    def _grad(self, params: np.ndarray, design: _Cells) -> np.ndarray:
        logs, (dA_alpha, dA_beta, dG_gamma, dG_delta) = self._tables(params, design, grad=True)
        _, share = self._mix(logs)
        d = design
        return np.vstack(
            [
                np.sum(share * dA_alpha[d.a_idx], axis=1),
                np.sum(share * dA_beta[d.a_idx], axis=1),
                np.sum(share * dG_gamma[d.g_idx], axis=1),
                np.sum(share * dG_delta[d.g_idx], axis=1),
            ]
        )

    def _loglik_grad(self, params: np.ndarray, design: _Cells, weights: np.ndarray) -> tuple[float, np.ndarray]:
        logs, (dA_alpha, dA_beta, dG_gamma, dG_delta) = self._tables(params, design, grad=True)
        ll, share = self._mix(logs)
        ws = share * weights[:, None]
        d = design
        grad = [
            float(np.sum(ws * table[idx]))
            for table, idx in ((dA_alpha, d.a_idx), (dA_beta, d.a_idx), (dG_gamma, d.g_idx), (dG_delta, d.g_idx))
        ]
        return float(np.sum(weights * ll)), np.array(grad)

    # -- predictions -----------------------------------------------------------------------------------
    def _history(self, frequency: Any, recency: Any, n_periods: Any, func: str) -> tuple[np.ndarray, ...]:
        x, tx, n = (np.asarray(v, dtype=float) for v in (frequency, recency, n_periods))
        x, tx, n = np.broadcast_arrays(x, tx, n)
        bad = (
            ~np.isfinite(x)
            | ~np.isfinite(tx)
            | ~np.isfinite(n)
            | (x < 0)
            | (x > tx)
            | (tx > n)
            | (x != np.round(x))
            | (tx != np.round(tx))
            | (n != np.round(n))
            | ((x == 0) & (tx > 0))
        )
        if np.any(bad):
            raise ParameterError(
                f"The history given to {func} must hold whole numbers with 0 <= frequency <= recency <= n_periods "
                f"(recency 0 when frequency is 0); {int(np.sum(bad))} entries do not."
            )
        return x, tx, n

    def _log_likelihood_of(self, x: np.ndarray, tx: np.ndarray, n: np.ndarray) -> np.ndarray:
        params = np.array(self._p(), dtype=float)
        cells = _Cells(*(v.ravel() for v in (x, tx, n)))
        return self._loglik(params, cells).reshape(x.shape)

    def probability_alive(self, frequency: Any, recency: Any, n_periods: Any) -> Any:
        r"""Probability that a customer with history :math:`(x, t_x, n)` is alive at opportunity :math:`n + 1`.

        .. math::

            P(\text{alive at } n+1 \mid x, t_x, n) = \frac{B(\alpha+x, \beta+n-x)}{B(\alpha, \beta)}
            \frac{B(\gamma, \delta+n+1)}{B(\gamma, \delta)} \Big/ L(\alpha, \beta, \gamma, \delta \mid x, t_x, n)

        (FHS 2010, eq. 11).

        Examples
        --------
        >>> m = BetaGeoBetaBinom(); m.params_ = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
        >>> round(float(m.probability_alive(6, 6, 6)), 3)
        0.93
        """
        func = f"{type(self).__name__}.probability_alive"
        alpha, beta, gamma, delta = self._p()
        x, tx, n = self._history(frequency, recency, n_periods, func)
        ll = self._log_likelihood_of(x, tx, n)
        value = np.exp(
            betaln(alpha + x, beta + n - x)
            - betaln(alpha, beta)
            + betaln(gamma, delta + n + 1)
            - betaln(gamma, delta)
            - ll
        )
        return value if value.ndim else float(value)

    def _alive_sum(self, start: np.ndarray, length: np.ndarray) -> np.ndarray:
        r"""The sum :math:`\sum_{j=s}^{s+\ell-1} q(j)/(\gamma+\delta+j)` of the expected purchases' formulas.

        Here :math:`q(j) = \frac{\Gamma(\gamma+\delta)\Gamma(1+\delta+j)}{\Gamma(1+\delta)\Gamma(\gamma+\delta+j)}`.

        It equals :math:`\frac{q(s) - q(s+\ell)}{\gamma - 1}`, the bracket of FHS (2010, eqs. 9, 13) divided by
        :math:`\gamma - 1`; that closed form is used when :math:`|\gamma - 1| \ge 10^{-3}` and the sum (finite at
        :math:`\gamma = 1`) otherwise.
        """
        _, _, gamma, delta = self._p()
        start, length = np.broadcast_arrays(np.asarray(start, float), np.asarray(length, float))

        def log_q(j: np.ndarray) -> np.ndarray:
            return gammaln(gamma + delta) - gammaln(1 + delta) + gammaln(1 + delta + j) - gammaln(gamma + delta + j)

        if abs(gamma - 1.0) >= 1e-3:
            lq0 = log_q(start)
            with np.errstate(all="ignore"):
                diff = -np.exp(lq0) * np.expm1(log_q(start + length) - lq0)
            return diff / (gamma - 1.0)
        total = np.zeros(start.shape)
        top = int(np.max(length)) if length.size else 0
        for k in range(top):
            j = start + k
            total += np.where(k < length, np.exp(log_q(j)) / (gamma + delta + j), 0.0)
        return total

    def conditional_expected_purchases(self, n_future: Any, frequency: Any, recency: Any, n_periods: Any) -> Any:
        r"""Expected transactions in the next ``n_future`` opportunities of a customer with history :math:`(x, t_x, n)`.

        .. math::

            E[X(n, n+n^*) \mid x, t_x, n] = \frac{1}{L} \frac{B(\alpha+x+1, \beta+n-x)}{B(\alpha, \beta)}
            \frac{\delta}{\gamma-1} \frac{\Gamma(\gamma+\delta)}{\Gamma(1+\delta)}
            \left[\frac{\Gamma(1+\delta+n)}{\Gamma(\gamma+\delta+n)}
            - \frac{\Gamma(1+\delta+n+n^*)}{\Gamma(\gamma+\delta+n+n^*)}\right]

        (FHS 2010, eq. 13), with the limit at :math:`\gamma = 1` filled in. ``n_future`` in opportunities.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(); m.params_ = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
        >>> round(float(m.conditional_expected_purchases(5, 6, 6, 6)), 3)
        3.752
        """
        func = f"{type(self).__name__}.conditional_expected_purchases"
        alpha, beta, gamma, delta = self._p()
        n_star = np.asarray(n_future, dtype=float)
        if np.any(~np.isfinite(n_star)) or np.any(n_star < 0) or np.any(n_star != np.round(n_star)):
            raise ParameterError(f"The 'n_future' argument of {func} must hold whole numbers of opportunities >= 0.")
        x, tx, n = self._history(frequency, recency, n_periods, func)
        x, tx, n, n_star = np.broadcast_arrays(x, tx, n, n_star)
        ll = self._log_likelihood_of(x, tx, n)
        head = np.exp(betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) - ll)
        value = head * delta * self._alive_sum(n, n_star)
        return value if value.ndim else float(value)

    def expected_purchases(self, n_periods: Any) -> Any:
        r"""Expected transactions in the first ``n_periods`` opportunities of a new customer.

        .. math::

            E[X(n)] = \frac{\alpha}{\alpha+\beta} \frac{\delta}{\gamma-1}
            \left[1 - \frac{\Gamma(\gamma+\delta)}{\Gamma(\gamma+\delta+n)}
            \frac{\Gamma(1+\delta+n)}{\Gamma(1+\delta)}\right]

        (FHS 2010, eq. 9; the limit at :math:`\gamma = 1` filled in).

        Examples
        --------
        >>> m = BetaGeoBetaBinom(); m.params_ = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
        >>> round(float(m.expected_purchases(6)), 3)
        2.22
        """
        alpha, beta, _, delta = self._p()
        n = np.asarray(n_periods, dtype=float)
        if np.any(~np.isfinite(n)) or np.any(n < 0) or np.any(n != np.round(n)):
            raise ParameterError(
                f"The 'n_periods' argument of {type(self).__name__}.expected_purchases must hold whole numbers >= 0."
            )
        value = alpha / (alpha + beta) * delta * self._alive_sum(np.zeros_like(n), n)
        return value if np.ndim(value) else float(value)

    def probability_of_purchases(self, x: Any, n_periods: Any) -> Any:
        r"""Probability that a new customer makes exactly :math:`x` transactions in :math:`n` opportunities.

        .. math::

            P(X(n) = x) = \binom{n}{x}\frac{B(\alpha+x, \beta+n-x)}{B(\alpha, \beta)}
            \frac{B(\gamma, \delta+n)}{B(\gamma, \delta)}
            + \sum_{i=x}^{n-1} \binom{i}{x}\frac{B(\alpha+x, \beta+i-x)}{B(\alpha, \beta)}
            \frac{B(\gamma+1, \delta+i)}{B(\gamma, \delta)}

        (FHS 2010, eq. 8).

        Examples
        --------
        >>> m = BetaGeoBetaBinom(); m.params_ = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
        >>> round(float(sum(m.probability_of_purchases(k, 6) for k in range(7))), 10)
        1.0
        """
        alpha, beta, gamma, delta = self._p()
        xs, n = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(n_periods, dtype=float))
        if np.any(xs < 0) or np.any(xs != np.round(xs)) or np.any(n < 0) or np.any(n != np.round(n)):
            raise ParameterError(
                f"The arguments of {type(self).__name__}.probability_of_purchases must be whole numbers >= 0."
            )

        def log_binom(a: Any, b: Any) -> Any:
            return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

        lab, lgd = betaln(alpha, beta), betaln(gamma, delta)
        with np.errstate(all="ignore"):
            first = np.where(
                xs <= n,
                np.exp(log_binom(n, xs) + betaln(alpha + xs, beta + n - xs) - lab + betaln(gamma, delta + n) - lgd),
                0.0,
            )
            second = np.zeros(xs.shape)
            top = int(np.max(n)) if n.size else 0
            for i in range(top):
                use = (i >= xs) & (i < n)
                term = np.exp(
                    log_binom(float(i), xs)
                    + betaln(alpha + xs, beta + i - xs)
                    - lab
                    + betaln(gamma + 1, delta + i)
                    - lgd
                )
                second += np.where(use, term, 0.0)
        value = first + second
        return value if value.ndim else float(value)

    def discounted_expected_residual_transactions(
        self,
        discount_rate: float,
        frequency: Any,
        recency: Any,
        n_periods: Any,
    ) -> Any:
        r"""DERT: expected discounted number of future transactions of a customer with history :math:`(x, t_x, n)`.

        .. math::

            \text{DERT}(d \mid x, t_x, n) = \frac{B(\alpha+x+1, \beta+n-x)}{B(\alpha, \beta)}
            \frac{B(\gamma, \delta+n+1)}{B(\gamma, \delta)(1+d)}
            \frac{{}_2F_1\!\left(1, \delta+n+1; \gamma+\delta+n+1; \frac{1}{1+d}\right)}
            {L(\alpha, \beta, \gamma, \delta \mid x, t_x, n)}

        (FHS 2010, eq. 14): transactions at opportunities :math:`n+1, n+2, \ldots` discounted to opportunity
        :math:`n` at ``discount_rate`` :math:`d` per opportunity. Multiply by the value of a transaction.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(); m.params_ = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
        >>> round(float(m.discounted_expected_residual_transactions(0.1, 6, 6, 6)), 3)
        5.909
        """
        func = f"{type(self).__name__}.discounted_expected_residual_transactions"
        d = check_number(
            discount_rate,
            "discount_rate",
            func=func,
            low=0,
            low_open=True,
            hint="It is a rate per opportunity (the period of the data); DERT is infinite at 0.",
        )
        alpha, beta, gamma, delta = self._p()
        x, tx, n = self._history(frequency, recency, n_periods, func)
        ll = self._log_likelihood_of(x, tx, n)
        log_head = (
            betaln(alpha + x + 1, beta + n - x)
            - betaln(alpha, beta)
            + betaln(gamma, delta + n + 1)
            - betaln(gamma, delta)
            - np.log1p(d)
            - ll
        )
        value = np.exp(log_head) * hyp2f1(1.0, delta + n + 1, gamma + delta + n + 1, 1.0 / (1.0 + d))
        return value if value.ndim else float(value)


class _Cells:
    r"""The terms of each row's likelihood as indices into the lookup tables (parameter-free, built once).

    Column 0 is the "alive at the end" term, :math:`B(\alpha+x, \beta+n-x) B(\gamma, \delta+n)`; column
    :math:`1+i` the "died after opportunity :math:`t_x+i`" term, :math:`B(\alpha+x, \beta+t_x-x+i)
    B(\gamma+1, \delta+t_x+i)` for :math:`i < n - t_x`.
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, n: np.ndarray) -> None:
        xi, ti, ni = (np.asarray(v, dtype=float).astype(np.int64) for v in (x, tx, n))
        self.top = int(ni.max()) if ni.size else 0
        width = int((ni - ti).max()) + 1 if ni.size else 1
        i = np.arange(width - 1)[None, :]
        self.mask = np.concatenate([np.ones((len(xi), 1), dtype=bool), i < (ni - ti)[:, None]], axis=1)
        m = np.concatenate([(ni - xi)[:, None], (ti - xi)[:, None] + i], axis=1)
        j = np.concatenate([ni[:, None], ti[:, None] + i], axis=1)
        kind = np.concatenate(
            [np.zeros((len(xi), 1), dtype=np.int64), np.ones((len(xi), width - 1), dtype=np.int64)], axis=1
        )
        m = np.where(self.mask, m, 0)
        j = np.where(self.mask, j, 0)
        self.a_idx = xi[:, None] * (self.top + 1) + np.minimum(m, self.top)
        self.g_idx = kind * (self.top + 1) + np.minimum(j, self.top)


def _check_frame(data: Any, func: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"{func} needs a DataFrame with the columns frequency, recency and n_periods (one row per customer, or per "
            f"pattern with a weights column); got {type(data).__name__}. Build it with "
            "crmlib.models.summarize_opportunities(transactions, period='Y')."
        )
    missing = [c for c in _COLUMNS if c not in data.columns]
    if missing:
        raise DataError(
            f"{func} needs the columns frequency, recency and n_periods; missing: {', '.join(missing)}. Build the "
            "frame "
            "with crmlib.models.summarize_opportunities(transactions, period='Y')."
        )
    arrays = []
    for col in _COLUMNS:
        values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
        if bad.any():
            raise DataError(
                f"{func}: the {col!r} column must hold whole numbers >= 0, but {int(bad.sum())} rows do not "
                f"(first: {data.index[bad][:5].tolist()})."
            )
        arrays.append(values)
    x, tx, n = arrays
    bad = (x > tx) | (tx > n) | ((x == 0) & (tx > 0))
    if bad.any():
        raise DataError(
            f"{func}: {int(bad.sum())} rows break 0 <= frequency <= recency <= n_periods (recency 0 without "
            "transactions) "
            f"(first: {data.index[bad][:5].tolist()}); recency is the opportunity of the last transaction."
        )
    return x, tx, n
