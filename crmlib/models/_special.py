r"""Special functions the models share, written so that they stay finite where the models are defined.

* :func:`hyp2f1_one` -- :math:`{}_2F_1(1, b; c; z)` for :math:`0 \le z < 1` and its derivatives with respect
  to :math:`b`, :math:`c` and :math:`z`, by summing the series (positive terms, no cancellation) in blocks;
  the Pareto/NBD likelihood, its gradient and its predictions use it.
* :func:`bg_expected_if_alive` -- the expected number of purchases in the next :math:`t` units of a
  customer of the BG/NBD family who is alive, with the hypergeometric term transformed so that neither
  large frequencies nor long horizons overflow, and the removable singularity at :math:`a = 1` filled in.

These are computation helpers without validation: the models check their inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import hyp2f1

__all__ = ["BLOCK", "MAX_TERMS", "bg_expected_if_alive", "hyp2f1_one"]

#: Terms summed per block by the series below (one numpy pass handles this many terms of every row).
BLOCK = 32

#: Most terms a series may take before it is declared not converged (its value is then NaN).
MAX_TERMS = 200_000


def hyp2f1_one(b: Any, c: Any, z: Any, *, derivatives: bool = False) -> Any:
    r"""Gauss hypergeometric :math:`H = {}_2F_1(1, b; c; z)` for :math:`b, c > 0` and :math:`0 \le z < 1`.

    .. math::

        H = \sum_{k \ge 0} t_k, \quad t_k = \frac{(b)_k}{(c)_k} z^k, \quad
        \frac{\partial H}{\partial b} = \sum_k t_k \sum_{j<k} \frac{1}{b+j}, \quad
        \frac{\partial H}{\partial c} = -\sum_k t_k \sum_{j<k} \frac{1}{c+j}, \quad
        \frac{\partial H}{\partial z} = \sum_k \frac{k\, t_k}{z}

    All terms are positive, so the sums are exact to rounding; they shrink at least like :math:`z^k`. The
    terms are formed :data:`BLOCK` at a time for every unfinished row at once (a cumulative product of the
    term ratios), until each row's last term is below :math:`10^{-17}` of its sum. Rows that need more than
    :data:`MAX_TERMS` terms (:math:`z` within about :math:`10^{-4}` of 1) get NaN.

    Returns
    -------
    ndarray or tuple of ndarray
        ``H``; with ``derivatives=True`` the tuple ``(H, dH/db, dH/dc, dH/dz)``.

    Examples
    --------
    >>> float(hyp2f1_one(1.0, 2.0, 0.5))  # 2F1(1, 1; 2; z) = -log(1 - z) / z
    1.3862943611198906
    """
    b, c, z = np.broadcast_arrays(np.asarray(b, float), np.asarray(c, float), np.asarray(z, float))
    shape = b.shape
    b, c, z = b.ravel(), c.ravel(), z.ravel()
    n = b.size
    total = np.ones(n)
    d_b = np.zeros(n)
    d_c = np.zeros(n)
    d_z = np.zeros(n)
    last = np.ones(n)  # the latest term t_k
    sum_b = np.zeros(n)  # sum_{j<k} 1/(b+j) for the latest term
    sum_c = np.zeros(n)
    active = np.flatnonzero(z > 0)
    k0 = 0
    j = np.arange(BLOCK, dtype=float)
    while active.size and k0 < MAX_TERMS:
        bb, cc, zz = b[active, None], c[active, None], z[active, None]
        kk = k0 + j[None, :]  # the ratio t_{k+1}/t_k = (b+k)/(c+k) z for k = k0 .. k0+BLOCK-1
        ratio = (bb + kk) / (cc + kk) * zz
        terms = last[active, None] * np.cumprod(ratio, axis=1)  # t_{k0+1} .. t_{k0+BLOCK}
        total[active] += terms.sum(axis=1)
        if derivatives:
            sb = sum_b[active, None] + np.cumsum(1.0 / (bb + kk), axis=1)
            sc = sum_c[active, None] + np.cumsum(1.0 / (cc + kk), axis=1)
            d_b[active] += (terms * sb).sum(axis=1)
            d_c[active] -= (terms * sc).sum(axis=1)
            d_z[active] += (terms * (kk + 1.0)).sum(axis=1)
            sum_b[active], sum_c[active] = sb[:, -1], sc[:, -1]
        last[active] = terms[:, -1]
        k0 += BLOCK
        # the derivative sums carry factors up to log(k) and k: stop when even k * t_k is negligible
        small = last[active] * (1.0 + k0) <= 1e-17 * total[active]
        active = active[~small]
    total[active] = np.nan
    if not derivatives:
        return total.reshape(shape)
    d_z = np.divide(d_z, z, out=b / c, where=z > 0)  # dH/dz at z = 0 is b / c
    d_b[active] = d_c[active] = d_z[active] = np.nan
    return tuple(v.reshape(shape) for v in (total, d_b, d_c, d_z))


def _g_series(delta: Any, c2: Any, C: Any, v: Any) -> np.ndarray:
    r"""``C * (F - 1) / delta`` with :math:`F = {}_2F_1(\delta, c_2; C; v)`, by its series (finite at delta = 0, C = 0).

    .. math:: \frac{C (F - 1)}{\delta} = \sum_{k \ge 1} \frac{(\delta+1)_{k-1} (c_2)_k}{(C+1)_{k-1}\, k!} v^k
    """
    delta, c2, C, v = (np.asarray(a, float).ravel() for a in np.broadcast_arrays(delta, c2, C, v))
    n = v.size
    total = np.zeros(n)
    last = c2 * v  # the k = 1 term
    total += last
    active = np.flatnonzero((v > 0) & (c2 != 0))
    k0 = 1
    j = np.arange(BLOCK, dtype=float)
    while active.size and k0 < MAX_TERMS:
        kk = k0 + j[None, :]  # ratio term_{k+1}/term_k = (delta+k)(c2+k) / ((C+k)(k+1)) v
        dd, c2a, CC, vv = delta[active, None], c2[active, None], C[active, None], v[active, None]
        ratio = (dd + kk) * (c2a + kk) / ((CC + kk) * (kk + 1.0)) * vv
        terms = last[active, None] * np.cumprod(ratio, axis=1)
        total[active] += terms.sum(axis=1)
        last[active] = terms[:, -1]
        k0 += BLOCK
        done = np.abs(last[active]) <= 1e-17 * np.abs(total[active])
        active = active[~done]
    total[active] = np.nan
    return total


def bg_expected_if_alive(m: Any, a: Any, B: Any, u: Any) -> np.ndarray:
    r"""Expected purchases in the next :math:`t` units of a BG/NBD-type customer who is alive now.

    With the purchase rate's posterior :math:`\lambda \sim \text{Gamma}(m, \alpha + T)` and the drop-out
    probability's :math:`p \sim \text{Beta}(a, B)`, and :math:`u = t/(\alpha + T)`,

    .. math::

        E = \mathbb{E}_p\!\left[\frac{1 - (1 + p u)^{-m}}{p}\right]
          = \frac{a + B - 1}{a - 1}\left[1 - (1+u)^{1-a}\,
            {}_2F_1\!\left(a - 1, a + B - 1 - m; a + B - 1; \frac{u}{1+u}\right)\right]

    The usual form of FHL (2005, eq. 10) has :math:`{}_2F_1(m, B; a+B-1; \cdot)` times a power of
    :math:`(\alpha+T)/(\alpha+T+t)`: with :math:`m` and :math:`B` growing with the frequency the
    hypergeometric term overflows (NaN for a few hundred purchases or long horizons). The form above is
    Pfaff's transformation of Euler's integral: its first two parameters do not grow with the frequency
    and its argument is below 1. With :math:`\delta = a - 1` and :math:`L = \log(1+u)` it is evaluated as

    .. math:: E = C\,\frac{1 - e^{-\delta L}}{\delta} - e^{-\delta L}\,\frac{C (F - 1)}{\delta}, \quad C = a + B - 1

    where :math:`C(F-1)/\delta` is summed as a series when :math:`u/(1+u) < 0.05`, when :math:`|a - 1| < 10^{-4}`
    or :math:`|C| < 10^{-6}` (no cancellation; the limit :math:`a \to 1` is the series at :math:`\delta = 0`),
    and taken from scipy's ``hyp2f1`` otherwise.

    Parameters
    ----------
    m, a, B, u : array_like
        Broadcast against each other; :math:`m, a, B > 0`, :math:`u \ge 0`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> round(float(bg_expected_if_alive(0.243, 1.0, 2.426, 39 / 4.414)), 5)  # a = 1: E[X(39)], CDNOW r, alpha, b
    1.08428
    """
    m, a, B, u = np.broadcast_arrays(*(np.asarray(v, float) for v in (m, a, B, u)))
    shape = m.shape
    m, a, B, u = m.ravel(), a.ravel(), B.ravel(), u.ravel()
    delta = a - 1.0
    C = a + B - 1.0
    c2 = C - m
    L = np.log1p(u)
    v = u / (1.0 + u)
    with np.errstate(all="ignore"):
        first = np.where(delta == 0, L, -np.expm1(-delta * L) / np.where(delta == 0, 1.0, delta))  # (1 - e^{-dL}) / d
        series = (v < 0.05) | (np.abs(delta) < 1e-4) | (np.abs(C) < 1e-6)
        g = np.empty_like(u)
        use = ~series
        if np.any(use):
            F = hyp2f1(delta[use], c2[use], C[use], v[use])
            g[use] = C[use] * (F - 1.0) / delta[use]
            bad = ~np.isfinite(g[use])
            if np.any(bad):  # scipy failed: sum the series for these rows too
                series[np.flatnonzero(use)[bad]] = True
        if np.any(series):
            g[series] = _g_series(delta[series], c2[series], C[series], v[series])
        value = C * first - np.exp(-delta * L) * g
    value = np.where(u == 0, 0.0, value)
    return value.reshape(shape)
