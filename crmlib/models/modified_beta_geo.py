r"""MBG/NBD: the modified BG/NBD, in which a customer can also drop out right after her first purchase.

In the BG/NBD a customer can only die after a *repeat* purchase, so everyone without repeat purchases is
alive for sure (P(alive) = 1), however long ago she bought. The MBG/NBD adds a drop-out chance at time 0:
after each purchase, the first included, she dies with probability :math:`p`. Everything else is the
BG/NBD: :math:`\lambda \sim \text{Gamma}(r, \alpha)`, :math:`p \sim \text{Beta}(a, b)`.

Reference: Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). Empirical validation and comparison of
models for customer base analysis. *International Journal of Research in Marketing* 24(3), 201-209.
"""

from __future__ import annotations

from crmlib.models.beta_geo import BetaGeo

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(BetaGeo):
    r"""MBG/NBD model of repeat purchasing (Batislam, Denizel and Filiztekin 2007).

    Parameters, attributes and methods as :class:`~crmlib.models.BetaGeo` (``params_`` keys ``r``, ``alpha``,
    ``a``, ``b``; ``fit(summary, unit=...)``; covariates too).

    Notes
    -----
    Likelihood of one customer (:math:`x` repeat purchases, the last at :math:`t_x`, observed for :math:`T`):

    .. math::

        L = \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)} \left[\frac{B(a, b+x+1)}{B(a, b)} \frac{1}{(\alpha+T)^{r+x}}
            + \frac{B(a+1, b+x)}{B(a, b)} \frac{1}{(\alpha+t_x)^{r+x}}\right]

    (alive after :math:`x + 1` drop-out chances, or dead at the last one, the first purchase's included, so
    also for :math:`x = 0`). P(alive) is below 1 for customers without repeat purchases, and
    :math:`E[X(t)] = \frac{b}{a-1}\left[1 - \left(\frac{\alpha}{\alpha+t}\right)^r {}_2F_1(r, b+1; a+b;
    \frac{t}{\alpha+t})\right]`, evaluated in the same transformed form as the BG/NBD's.

    Examples
    --------
    >>> from crmlib.datasets import load_cdnow
    >>> from crmlib.rfm import summarize
    >>> summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    >>> model = ModifiedBetaGeo().fit(summary, unit="W")
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'r': 0.525, 'alpha': 6.183, 'a': 0.891, 'b': 1.614}
    """

    _alive_shift = 1
    _dead_shift = 0
    _dead_at_zero = True
