"""Customer tiering: the 80/20 rule, the customer pyramid, the value-by-potential matrix, tier migration.

The Lorenz curve and the Gini coefficient measure concentration; the customer pyramid and Zeithaml, Rust and
Lemon's profitability tiers sort customers by profit; the value-by-potential matrix crosses current value with
potential value; migration matrices and service levels follow tiers over time.

All functions take per-customer values (a ``pandas.Series`` indexed by ``customer_id``, or anything
array-like) and return new objects; the caller's data is never changed. Policy -- the pyramid's shares
and labels, the quadrant thresholds, the strategy texts -- is an argument whose default is a documented
module-level constant, so a course or a firm can replace it.

**Two classifications share the metal names.** :func:`profitability_tiers` is Zeithaml, Rust and Lemon's
(2001) customer pyramid: one axis, realised *profitability*, cut into platinum, gold, iron and lead (lead: the
customers who cost more than they bring). :func:`value_potential` is the course's matrix of *current value x
potential value*: two axes, four quadrants. The course material borrows the pyramid's names for the matrix
because both classifications answer the same question -- how much of its resources the firm should put into a
customer, from the most (platinum) to none (lead) -- but they read different evidence, so the same customer can
carry two different metals (a new customer with a big first order: iron in the pyramid, iron or platinum in
the matrix; a loyal small buyer: gold in the matrix, iron in the pyramid). Say which one you mean. The
course's VIP / major / common / minor pyramid (:func:`pyramid`) is a third, purely rank-based, set of tiers.

Values may be revenue (never negative) or profit (negative for customers who cost more to serve than
they bring). With negative values the shares of "value" are shares of the *net* total, so the top
customers can bring more than 100% of the profit (the whale curve of Kaplan and Cooper 1998), and the
Gini coefficient can exceed 1 (see :func:`gini`).

References
----------
Juran, J. M. (1951). *Quality Control Handbook*. McGraw-Hill (the "vital few and trivial many", the
Pareto principle).
Kaplan, R. S. and Cooper, R. (1998). *Cost and Effect*. Harvard Business School Press (the whale curve
of cumulative customer profitability).
Zeithaml, V. A., Rust, R. T. and Lemon, K. N. (2001). The customer pyramid: creating and serving
profitable customers. *California Management Review* 43(4), 118-142.
Gupta, S. and Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing* 17(1), 9-24.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

from crmlib.params import ParameterError, check_choice, check_number

__all__ = [
    "DEFAULT_CUT_POINTS",
    "PYRAMID_SHARES",
    "PYRAMID_LABELS",
    "PROFITABILITY_SHARES",
    "PROFITABILITY_LABELS",
    "QUADRANT_STRATEGIES",
    "pareto_table",
    "concentration_facts",
    "pareto_curve",
    "lorenz_curve",
    "gini",
    "pyramid",
    "profitability_tiers",
    "tier_table",
    "value_potential",
    "migration_matrix",
    "service_levels",
]

#: One value per customer: a Series indexed by customer id, or anything one-dimensional.
Values: TypeAlias = "pd.Series | pd.DataFrame | Sequence[float] | np.ndarray"

#: Shares of customers (the top x, ranked by value) at which :func:`pareto_table` reports.
DEFAULT_CUT_POINTS: tuple[float, ...] = (0.01, 0.05, 0.10, 0.20, 0.50)

#: The course's customer pyramid: VIP top 1%, major next 4%, common next 15%, minor the remaining 80%.
PYRAMID_SHARES: tuple[float, ...] = (0.01, 0.04, 0.15, 0.80)
PYRAMID_LABELS: tuple[str, ...] = ("VIP", "major", "common", "minor")

#: Zeithaml, Rust and Lemon's (2001) tiers. ``lead`` is every customer whose profit is below
#: ``lead_below`` (they cost the firm money); the others are split by rank into platinum / gold / iron
#: with these shares of the profitable customers (the paper gives no shares; these are the kit's choice).
PROFITABILITY_SHARES: tuple[float, ...] = (0.05, 0.15, 0.80)
PROFITABILITY_LABELS: tuple[str, ...] = ("platinum", "gold", "iron", "lead")

#: Strategy per quadrant of the current-value x potential-value matrix (the course material, after
#: Zeithaml, Rust and Lemon 2001). Keys are the quadrant names; replace the texts with your own policy.
QUADRANT_STRATEGIES: dict[str, str] = {
    "platinum": (
        "High value now and room to grow: put the main resources here - a one-to-one retention plan, "
        "proactive communication, priority, custom offers, flexible payment, the best staff, complete solutions."
    ),
    "gold": (
        "High value now, little room to grow: keep them at all costs - give enough resources to keep "
        "exceeding their expectations."
    ),
    "iron": (
        "Low value now, high potential: invest enough to build the relationship - better products, useful "
        "information, service and tailored solutions - until trust forms."
    ),
    "lead": (
        "Low value now and low potential: put no resources in; end the relationship (prices above market, "
        "refuse improper demands, let them go)."
    ),
}

_QUADRANTS = {("high", "high"): "platinum", ("high", "low"): "gold", ("low", "high"): "iron", ("low", "low"): "lead"}


# ----------------------------------------------------------------------------------------------
# input helpers
# ----------------------------------------------------------------------------------------------


def _as_series(values: Values, name: str, func: str) -> pd.Series:
    """Return ``values`` as a float Series (index kept, or 0..n-1), rejecting missing and infinite values."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ParameterError(
                f"The {name!r} parameter of {func} must be one value per customer (a Series or a 1-d array). "
                f"Got a DataFrame with columns {list(values.columns)[:6]}; pass one column, e.g. frame['profit']."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        series = values
    else:
        array = np.asarray(values)
        if array.ndim != 1:
            raise ParameterError(
                f"The {name!r} parameter of {func} must be one value per customer (1-d). Got shape {array.shape}."
            )
        series = pd.Series(array)
    try:
        out = series.astype(float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"The {name!r} parameter of {func} must hold numbers. Got dtype {series.dtype} ({exc})."
        ) from None
    bad = ~np.isfinite(out.to_numpy())
    if bad.any():
        rows = out.index[bad][:5].tolist()
        raise ParameterError(
            f"The {name!r} parameter of {func} has {int(bad.sum())} missing or infinite values "
            f"(first customers: {rows}). Fill them (e.g. 0 for customers without purchases) or drop them."
        )
    return out


def _positive_median(values: pd.Series) -> float:
    """The default threshold of :func:`value_potential`: the median of the positive values (0 if none)."""
    positive = values[values > 0]
    return float(positive.median()) if len(positive) else 0.0


def _check_shares(shares, name: str, func: str) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    if shares.ndim != 1 or len(shares) == 0:
        raise ParameterError(f"The {name!r} parameter of {func} must be a sequence of shares. Got {shares!r} instead.")
    if (shares < 0).any() or not np.isfinite(shares).all():
        raise ParameterError(
            f"The {name!r} parameter of {func} must hold shares in [0, 1]. Got {tuple(shares.tolist())} instead."
        )
    if not np.isclose(shares.sum(), 1.0, atol=1e-9):
        raise ParameterError(
            f"The {name!r} parameter of {func} must sum to 1 (every customer in exactly one tier). "
            f"Got {tuple(shares.tolist())}, which sums to {shares.sum():g}; "
            "give the last tier the rest, e.g. shares=(0.01, 0.04, 0.15, 0.80)."
        )
    return shares


def _positions(values: pd.Series, ties: str) -> np.ndarray:
    """0-based rank position of each customer when ranked by value, best first.

    ``ties="lower"``: equal values share the *last* position of their group (the whole group goes to
    the lower tier); ``"higher"``: the *first* position (the whole group goes to the higher tier);
    ``"order"``: equal values keep their input order (the group may be split).
    """
    method = {"lower": "max", "higher": "min", "order": "first"}[ties]
    return values.rank(ascending=False, method=method).to_numpy() - 1.0


# ----------------------------------------------------------------------------------------------
# 80/20, Lorenz, Gini
# ----------------------------------------------------------------------------------------------


def pareto_curve(values: Values) -> pd.DataFrame:
    r"""Cumulative share of value brought by the top customers: the Pareto (or whale) curve.

    Customers are sorted by value, highest first; point :math:`k` is

    .. math::

        x_k = \frac{k}{n}, \qquad y_k = \frac{\sum_{i=1}^{k} v_{(i)}}{\sum_{i=1}^{n} v_i},
        \qquad v_{(1)} \ge v_{(2)} \ge \dots \ge v_{(n)}

    with the point :math:`(0, 0)` first. With revenue (no negative values) :math:`y` rises to 1. With
    profit, where some customers lose money, :math:`y` rises *above* 1 -- the profitable customers bring
    more than the total -- and falls back to 1 as the loss-making customers are added: the whale curve
    of Kaplan and Cooper (1998). The net total must be positive.

    Parameters
    ----------
    values : Series or array-like
        One value per customer (revenue or profit, in money).

    Returns
    -------
    DataFrame
        Columns ``share_of_customers`` and ``share_of_value`` (fractions), ``n + 1`` rows.

    Examples
    --------
    >>> pareto_curve([1, 2, 3, 4])["share_of_value"].round(2).tolist()
    [0.0, 0.4, 0.7, 0.9, 1.0]
    """
    v = _as_series(values, "values", "pareto_curve").to_numpy()
    total = _positive_total(v, "pareto_curve")
    ordered = np.sort(v)[::-1]
    n = len(v)
    return pd.DataFrame(
        {
            "share_of_customers": np.arange(n + 1) / n,
            "share_of_value": np.concatenate([[0.0], np.cumsum(ordered) / total]),
        }
    )


def _positive_total(v: np.ndarray, func: str) -> float:
    if len(v) == 0:
        raise ParameterError(f"The 'values' parameter of {func} is empty; it needs at least one customer.")
    total = float(v.sum())
    if total <= 0:
        raise ParameterError(
            f"The 'values' parameter of {func} sums to {total:g}; shares of value need a positive total. "
            "With profits, the customers as a whole must make money (or study revenue instead)."
        )
    return total


def lorenz_curve(values: Values) -> pd.DataFrame:
    r"""Points of the Lorenz curve: customers sorted by value, *lowest* first.

    .. math::

        L(k/n) = \frac{\sum_{i=1}^{k} v_{[i]}}{\sum_{i=1}^{n} v_i}, \qquad v_{[1]} \le \dots \le v_{[n]}

    with :math:`L(0) = 0` and :math:`L(1) = 1`. The diagonal is perfect equality; the further the curve
    sags below it, the more concentrated the value. It is the Pareto curve seen from the other end:
    :math:`L(1 - x) = 1 - y(x)`. With negative values (profit) the curve first dips *below zero*.

    Parameters
    ----------
    values : Series or array-like
        One value per customer; the net total must be positive.

    Returns
    -------
    DataFrame
        Columns ``share_of_customers`` and ``share_of_value``, ``n + 1`` rows.

    Examples
    --------
    >>> lorenz_curve([1, 2, 3, 4])["share_of_value"].tolist()
    [0.0, 0.1, 0.3, 0.6, 1.0]
    """
    v = _as_series(values, "values", "lorenz_curve").to_numpy()
    total = _positive_total(v, "lorenz_curve")
    n = len(v)
    return pd.DataFrame(
        {
            "share_of_customers": np.arange(n + 1) / n,
            "share_of_value": np.concatenate([[0.0], np.cumsum(np.sort(v)) / total]),
        }
    )


def gini(values: Values) -> float:
    r"""Gini coefficient of value across customers (0 = everybody equal, towards 1 = one customer has all).

    The standard mean-difference formula (Gini 1912), equal to one minus twice the area under the
    Lorenz curve drawn with straight segments:

    .. math::

        G = \frac{\sum_{i=1}^{n} \sum_{j=1}^{n} |v_i - v_j|}{2 n^2 \bar v}
          = 1 - \frac{1}{n} \sum_{k=1}^{n} \left( L_{k-1} + L_k \right)

    For values 1, 2, 3, 4: the six pairs differ by 1, 2, 3, 1, 2, 1 (sum 10, or 20 over ordered
    pairs), :math:`2 n^2 \bar v = 2 \cdot 16 \cdot 2.5 = 80`, so :math:`G = 20 / 80 = 0.25`.

    **Negative values** (profit): the same formula is used on the net values, with a positive net
    total required. Then :math:`G` can exceed 1: the loss-making customers pull the Lorenz curve below
    zero, and :math:`G > 1` says that the profit is more than fully concentrated -- some customers
    earn more than all the profit and others give part of it back. Compare such a number only with
    other profit Ginis, not with revenue Ginis (Raffinetti, Siletti and Vernizzi 2015 propose a
    normalisation that stays in [0, 1]; the kit keeps the standard formula so the hand arithmetic holds).

    Parameters
    ----------
    values : Series or array-like
        One value per customer (money); the net total must be positive.

    Returns
    -------
    float

    Examples
    --------
    >>> gini([1, 2, 3, 4])
    0.25
    >>> gini([5, 5, 5])
    0.0
    """
    v = _as_series(values, "values", "gini").to_numpy()
    total = _positive_total(v, "gini")
    n = len(v)
    ordered = np.sort(v)
    # sum_{i,j} |v_i - v_j| = 2 * sum_k (2k - n - 1) v_[k]  (k = 1..n, ascending order)
    k = np.arange(1, n + 1)
    mean_difference_sum = 2.0 * float(np.sum((2 * k - n - 1) * ordered))
    return round(mean_difference_sum / (2.0 * n * total), 12)


def pareto_table(values: Values, *, cut_points: Sequence[float] = DEFAULT_CUT_POINTS) -> pd.DataFrame:
    r""""The top x% of customers bring y% of the value", at standard and any given cut points.

    For a cut point :math:`x`, the top :math:`k = \lceil x n \rceil` customers by value (at least one)
    are taken; their share of the total is

    .. math::

        y(x) = \frac{\sum_{i=1}^{k} v_{(i)}}{\sum_{i=1}^{n} v_i}

    The 80/20 rule (Juran's reading of Pareto) says :math:`y(0.2) \approx 0.8`. With profit values
    :math:`y` can exceed 1 (see :func:`pareto_curve`).

    Parameters
    ----------
    values : Series or array-like
        One value per customer (revenue or profit, money).
    cut_points : sequence of float in (0, 1]
        Shares of customers. Default :data:`DEFAULT_CUT_POINTS` (1%, 5%, 10%, 20%, 50%).

    Returns
    -------
    DataFrame
        Index ``top_share`` (the cut point); columns ``customers`` (k), ``value`` (their total),
        ``share_of_value``, ``value_per_customer``.

    Examples
    --------
    >>> pareto_table([1, 2, 3, 4], cut_points=(0.25, 0.5))["share_of_value"].tolist()
    [0.4, 0.7]
    """
    v = _as_series(values, "values", "pareto_table").to_numpy()
    total = _positive_total(v, "pareto_table")
    cuts = [check_number(c, "cut_points", func="pareto_table", low=0, high=1, low_open=True) for c in cut_points]
    ordered = np.sort(v)[::-1]
    cumulative = np.cumsum(ordered)
    n = len(v)
    k = np.array([max(1, int(np.ceil(c * n - 1e-9))) for c in cuts])
    top = cumulative[k - 1]
    return pd.DataFrame(
        {
            "customers": k,
            "value": top,
            "share_of_value": top / total,
            "value_per_customer": top / k,
        },
        index=pd.Index(cuts, name="top_share"),
    )


def concentration_facts(
    revenue: Values,
    profit: Values | None = None,
    *,
    cut_points: Sequence[float] = (0.01, 0.2),
    purchase_days: Values | None = None,
    quadrant: pd.Series | Sequence[str] | None = None,
) -> pd.Series:
    r"""How concentrated a customer base is, in the few numbers a manager compares between bases.

    For each cut point :math:`x` the share of revenue (and of profit) brought by the top :math:`x` of the
    customers (:func:`pareto_table`, each measure ranked by itself); the Gini coefficients (:func:`gini`); the
    share of customers who lose money (:math:`\pi_i < 0`); with ``purchase_days``, the share who bought on one
    day only; with ``quadrant``, the share of customers in each quadrant of the value-potential matrix
    (:func:`value_potential`):

    .. math::

        y(x) = \frac{\sum_{i=1}^{\lceil x n \rceil} v_{(i)}}{\sum_{i=1}^{n} v_i}, \qquad
        \text{lose money} = \frac{1}{n} \sum_{i=1}^{n} \mathbf{1}[\pi_i < 0]

    with :math:`v_{(i)}` the values in decreasing order and :math:`\pi_i` the profit of customer :math:`i`.

    Parameters
    ----------
    revenue : Series or array-like
        Revenue per customer (money, not negative in total).
    profit : Series or array-like, optional
        Profit per customer (money; :func:`crmlib.clv.customer_profit`), same customers.
    cut_points : sequence of float in (0, 1]
        Shares of top customers. Default 1% and 20% (the 80/20 rule).
    purchase_days : Series or array-like, optional
        Purchase days per customer (e.g. ``crmlib.rfm.summarize(tx)["frequency"] + 1``).
    quadrant : Series or sequence of str, optional
        The quadrant of each customer (the ``quadrant`` column of :func:`value_potential`).

    Returns
    -------
    Series
        Float values under readable names: ``customers``, ``revenue share of top 20%`` (one per cut point, named
        by its whole per cent),
        ``profit share of top 20%``, ``Gini of revenue``, ``Gini of profit``, ``lose money``,
        ``bought on one day``, ``in quadrant lead`` (one per quadrant present, in the matrix's order); shares
        are fractions (0.34, not 34).

    References
    ----------
    Juran, J. M. (1951). *Quality Control Handbook*. McGraw-Hill.
    Kaplan, R. S. and Cooper, R. (1998). *Cost and Effect*. Harvard Business School Press.

    Examples
    --------
    >>> facts = concentration_facts([1, 2, 3, 4], [2, -1, 1, 3], cut_points=(0.25,), purchase_days=[1, 1, 2, 5])
    >>> facts.round(3).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'customers': 4.0, 'revenue share of top 25%': 0.4, 'profit share of top 25%': 0.6, 'Gini of revenue': 0.25,
     'Gini of profit': 0.65, 'lose money': 0.25, 'bought on one day': 0.5}
    """
    rev = _as_series(revenue, "revenue", "concentration_facts")
    cuts = list(cut_points)
    facts: dict[str, float] = {"customers": float(len(rev))}
    shares = pareto_table(rev, cut_points=cuts)["share_of_value"].to_numpy()
    facts.update({f"revenue share of top {c:.0%}": float(s) for c, s in zip(cuts, shares)})
    if profit is not None:
        prof = _as_series(profit, "profit", "concentration_facts")
        if len(prof) != len(rev):
            raise ParameterError(
                f"The 'profit' parameter of concentration_facts must have one value per customer of 'revenue' "
                f"({len(rev):,}); got {len(prof):,}."
            )
        shares = pareto_table(prof, cut_points=cuts)["share_of_value"].to_numpy()
        facts.update({f"profit share of top {c:.0%}": float(s) for c, s in zip(cuts, shares)})
    facts["Gini of revenue"] = gini(rev)
    if profit is not None:
        facts["Gini of profit"] = gini(prof)
        facts["lose money"] = float((prof.to_numpy() < 0).mean())
    if purchase_days is not None:
        days = _as_series(purchase_days, "purchase_days", "concentration_facts")
        facts["bought on one day"] = float((days.to_numpy() == 1).mean())
    if quadrant is not None:
        q = pd.Series(np.asarray(quadrant, dtype=object))
        for name in QUADRANT_STRATEGIES:
            if (q == name).any():
                facts[f"in quadrant {name}"] = float((q == name).mean())
    return pd.Series(facts, name="value")


# ----------------------------------------------------------------------------------------------
# pyramid and profitability tiers
# ----------------------------------------------------------------------------------------------


def pyramid(
    values: Values,
    *,
    shares: Sequence[float] | np.ndarray = PYRAMID_SHARES,
    labels: Sequence[str] = PYRAMID_LABELS,
    ties: str = "lower",
) -> pd.Series:
    r"""Tier of each customer by rank of value: the customer pyramid.

    Customers are ranked by value, best first, at positions :math:`p = 0, 1, \dots, n-1`. With the
    cumulative shares :math:`c_j = s_1 + \dots + s_j`, a customer is in the first tier :math:`j` with

    .. math::

        \frac{p}{n} < c_j

    i.e. a customer belongs to the highest tier whose quota is not yet filled by the customers ranked
    above them. Tier :math:`j` therefore holds :math:`\lceil c_j n \rceil - \lceil c_{j-1} n \rceil`
    customers, and the best customer is always in the top tier (with 10 customers and the default
    shares: 1 VIP, 0 major, 1 common, 8 minor). Fewer customers than tiers leaves some tiers empty.

    **Ties** (equal values) are never split by default (``ties="lower"``): a group of equal values
    takes the position of its *last* member, so the whole group goes to the lower of the tiers it
    straddles -- a customer is promoted only by beating the others, and all-equal values put everybody
    in the bottom tier. ``ties="higher"`` sends the group to the higher tier instead; ``ties="order"``
    splits it by input order (give the values sorted by a secondary key, e.g. recency, to use one).

    The course's pyramid (default): VIP top 1%, major next 4%, common next 15%, minor the remaining
    80% (Pareto's 80/20 rule, refined; cf. Zeithaml, Rust and Lemon 2001). In the lecture's illustration the top
    5% of customers bring about 50% of the profit, the next 15% about 30% and the remaining 80% about 20%.

    **The ranking measure is profit.** The customer pyramid ranks customers by their profitability
    (Zeithaml, Rust and Lemon 2001): the kit's one measure of it is :func:`crmlib.clv.customer_profit`
    (margin minus the cost to serve, over the log), which the chapters and the report pass here. Ranking by
    revenue instead is a different pyramid (it ignores what customers cost to serve and so overrates the
    demanding and the discount-driven); if you show it, name it.

    Parameters
    ----------
    values : Series or array-like
        One value per customer (money): profit, from :func:`crmlib.clv.customer_profit`, for the customer
        pyramid. A Series keeps its index (customer ids).
    shares : sequence of float
        Share of customers per tier, top tier first; must sum to 1. Default :data:`PYRAMID_SHARES`.
    labels : sequence of str
        Tier names, top first, as many as ``shares``. Default :data:`PYRAMID_LABELS`.
    ties : {"lower", "higher", "order"}
        Where a group of equal values goes (see above).

    Returns
    -------
    Series
        Ordered categorical (categories = ``labels``, top tier first), same index as ``values``,
        named ``tier``.

    Examples
    --------
    >>> pyramid([50, 10, 10, 5], shares=(0.25, 0.25, 0.5), labels=("A", "B", "C")).tolist()
    ['A', 'C', 'C', 'C']
    """
    func = "pyramid"
    v = _as_series(values, "values", func)
    quota = _check_shares(shares, "shares", func)
    labels = list(labels)
    if len(labels) != len(quota) or len(set(labels)) != len(labels):
        raise ParameterError(
            f"The 'labels' parameter of {func} must give one distinct name per share: {len(quota)} shares, "
            f"got labels {labels!r}."
        )
    check_choice(ties, "ties", ("lower", "higher", "order"), func=func)
    n = len(v)
    cutoffs = np.cumsum(quota) * n
    cutoffs[-1] = np.inf  # the last tier takes the rest (guards against rounding in the sum)
    if n == 0:
        codes = np.empty(0, dtype=int)
    else:
        position = _positions(v, ties)
        codes = np.searchsorted(cutoffs - 1e-9, position, side="right")
    tier = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return pd.Series(tier, index=v.index, name="tier")


def profitability_tiers(
    profit: Values,
    *,
    shares: Sequence[float] | np.ndarray = PROFITABILITY_SHARES,
    lead_below: float = 0.0,
    ties: str = "lower",
) -> pd.Series:
    r"""Zeithaml, Rust and Lemon's (2001) profitability tiers: platinum, gold, iron and lead.

    Not to be confused with the quadrants of :func:`value_potential`, which reuse the four names for the
    current value x potential value matrix: here the metal says how *profitable* a customer has been (one
    axis; rank by :func:`crmlib.clv.customer_profit`), there how much they bring now and could add.

    * **lead**: customers whose profit is below ``lead_below`` (default 0): they cost the firm money;
    * the others are ranked by profit and split by :func:`pyramid` with ``shares`` (of the profitable
      customers): **platinum** (the most profitable, heavy users, not price sensitive), **gold**
      (profitable, but lower margins or more price sensitive), **iron** (the volume that fills
      capacity, not worth special treatment).

    .. math::

        \text{tier}(i) = \begin{cases} \text{lead} & \pi_i < \ell \\
        \text{pyramid}(\pi_i \mid \pi \ge \ell;\ s) & \text{otherwise} \end{cases}

    Parameters
    ----------
    profit : Series or array-like
        Profit per customer (money, any period), may be negative.
    shares : sequence of 3 floats
        Shares of the non-lead customers in platinum, gold, iron; sum to 1. Default
        :data:`PROFITABILITY_SHARES` (5%, 15%, 80%: the kit's choice, the paper gives none).
    lead_below : float
        Profit below which a customer is lead (money). Default 0.
    ties : {"lower", "higher", "order"}
        As in :func:`pyramid`.

    Returns
    -------
    Series
        Ordered categorical with categories :data:`PROFITABILITY_LABELS`, named ``tier``.

    Examples
    --------
    >>> profitability_tiers([100, 40, 5, -20], shares=(0.2, 0.4, 0.4)).tolist()
    ['platinum', 'gold', 'iron', 'lead']
    """
    func = "profitability_tiers"
    p = _as_series(profit, "profit", func)
    quota = _check_shares(shares, "shares", func)
    if len(quota) != 3:
        raise ParameterError(
            f"The 'shares' parameter of {func} must give 3 shares (platinum, gold, iron; lead is set by "
            f"lead_below). Got {tuple(quota.tolist())} instead."
        )
    lead_below = check_number(lead_below, "lead_below", func=func)
    is_lead = p < lead_below
    codes = np.full(len(p), 3, dtype=int)
    if (~is_lead).any():
        upper = pyramid(p[~is_lead], shares=quota, labels=PROFITABILITY_LABELS[:3], ties=ties)
        codes[~is_lead.to_numpy()] = upper.cat.codes.to_numpy()
    tier = pd.Categorical.from_codes(codes, categories=list(PROFITABILITY_LABELS), ordered=True)
    return pd.Series(tier, index=p.index, name="tier")


def tier_table(
    values: Values, tiers: pd.Series | Sequence[str] | np.ndarray, *, costs: Values | None = None
) -> pd.DataFrame:
    r"""Each tier's share of the customers and of the value (and of the cost, when given).

    .. math::

        \text{share of customers}_j = \frac{n_j}{n}, \qquad
        \text{share of value}_j = \frac{\sum_{i \in j} v_i}{\sum_i v_i}

    Parameters
    ----------
    values : Series or array-like
        Value per customer (revenue or profit, money), aligned with ``tiers``.
    tiers : Series or array-like
        Tier (or quadrant, segment) per customer, e.g. from :func:`pyramid`. Categorical order is kept.
    costs : Series or array-like, optional
        A second amount per customer (e.g. cost to serve) to total per tier.

    Returns
    -------
    DataFrame
        Index tier; columns ``customers``, ``share_of_customers``, ``value``, ``share_of_value``,
        ``value_per_customer``, ``min_value`` (and ``cost``, ``share_of_cost`` with ``costs``). Empty
        tiers have 0 customers and value, and NaN per-customer figures. A last row ``total``.

    Examples
    --------
    >>> t = tier_table([50, 30, 20], ["top", "rest", "rest"])
    >>> float(t.loc["top", "share_of_value"])
    0.5
    """
    func = "tier_table"
    v = _as_series(values, "values", func)
    t = tiers if isinstance(tiers, pd.Series) else pd.Series(np.asarray(tiers), index=v.index)
    if len(t) != len(v):
        raise ParameterError(
            f"The 'tiers' parameter of {func} must have one tier per value: {len(v)} values, {len(t)} tiers."
        )
    if isinstance(tiers, pd.Series) and isinstance(values, pd.Series) and not t.index.equals(v.index):
        t = t.reindex(v.index)
    t = t.set_axis(v.index)
    if t.isna().any():
        rows = v.index[t.isna().to_numpy()][:5].tolist()
        raise ParameterError(f"The 'tiers' parameter of {func} has no tier for customers {rows}.")
    categories = list(t.cat.categories) if isinstance(t.dtype, pd.CategoricalDtype) else sorted(t.unique())
    frame = pd.DataFrame({"tier": pd.Categorical(t, categories=categories, ordered=True), "value": v.to_numpy()})
    if costs is not None:
        frame["cost"] = _as_series(costs, "costs", func).to_numpy()
    grouped = frame.groupby("tier", observed=False)
    out = pd.DataFrame({"customers": grouped.size().astype(int), "value": grouped["value"].sum()})
    out["min_value"] = grouped["value"].min()
    if costs is not None:
        out["cost"] = grouped["cost"].sum()
    out.loc["total"] = out.sum(numeric_only=True)
    out.loc["total", "min_value"] = v.min() if len(v) else np.nan
    out["customers"] = out["customers"].astype(int)
    n = max(len(v), 1)
    total = v.sum()
    out["share_of_customers"] = out["customers"] / n
    out["share_of_value"] = out["value"] / total if total != 0 else np.nan
    out["value_per_customer"] = out["value"] / out["customers"].where(out["customers"] > 0)
    columns = ["customers", "share_of_customers", "value", "share_of_value", "value_per_customer", "min_value"]
    if costs is not None:
        total_cost = out.loc["total", "cost"]
        out["share_of_cost"] = out["cost"] / total_cost if total_cost != 0 else np.nan
        columns += ["cost", "share_of_cost"]
    out.index = pd.Index([str(i) for i in out.index], name="tier")
    return out[columns]


# ----------------------------------------------------------------------------------------------
# current value x potential value
# ----------------------------------------------------------------------------------------------


def value_potential(
    current: Values,
    potential: Values,
    *,
    current_threshold: float | None = None,
    potential_threshold: float | None = None,
    strategies: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    r"""Quadrant of each customer in the current-value x potential-value matrix, with its strategy.

    .. math::

        \text{quadrant}(i) = \begin{cases}
        \text{platinum} & c_i > \tau_c,\ p_i > \tau_p \\
        \text{gold}     & c_i > \tau_c,\ p_i \le \tau_p \\
        \text{iron}     & c_i \le \tau_c,\ p_i > \tau_p \\
        \text{lead}     & c_i \le \tau_c,\ p_i \le \tau_p \end{cases}
        \qquad \tau = \operatorname{median}\{v_i : v_i > 0\}

    **The default rule.** "High" means strictly above the threshold, and each threshold defaults to the
    **median of the positive values** of its axis (0 when no value is positive). A value of 0 -- a customer who
    bought nothing in the last year has no current value, and in a long log that is most customers -- is always
    low; among the customers who have some value, the better half is high. The plain median would put the
    threshold *at* 0 as soon as half the values are 0, calling every customer with any value "high" and
    drawing the iron and lead quadrants as a line on the axis. When no value ties at 0 the rule is close to the
    median. Give ``current_threshold`` / ``potential_threshold`` (money) to set your own.

    The axes are the kit's one definition of each value: ``current_value`` and ``potential_value`` of
    :func:`crmlib.clv.value_components` (the present behaviour continued; what more engagement, cross-selling
    and referrals could add). The strategies come from :data:`QUADRANT_STRATEGIES` (the course material):
    lead -- end the relationship; iron -- invest until trust forms; gold -- keep at all costs; platinum --
    main resources, one-to-one retention.

    **Not the profitability pyramid.** The quadrants borrow the metal names of Zeithaml, Rust and Lemon's
    (2001) profitability tiers (:func:`profitability_tiers`), because both decide how much of the firm's
    resources a customer gets, from the most (platinum) to none (lead); but the pyramid ranks one axis, realised
    profit, and the matrix crosses two, value now and room to grow. A customer can be gold here and iron there.

    Parameters
    ----------
    current : Series or array-like
        Current value per customer (money), e.g. ``value_components(tx)["current_value"]``.
    potential : Series or array-like
        Potential value per customer, same index (money), e.g. ``value_components(tx)["potential_value"]``.
    current_threshold, potential_threshold : float, optional
        "High" is strictly above these (money). Default: the median of the positive values (see above).
    strategies : mapping, optional
        Quadrant name -> strategy text for all four quadrants. Default :data:`QUADRANT_STRATEGIES`.

    Returns
    -------
    DataFrame
        Same index as ``current``; columns ``current``, ``potential``, ``current_level``,
        ``potential_level`` ("low"/"high"), ``quadrant`` (categorical platinum, gold, iron, lead) and
        ``strategy``. ``frame.attrs`` holds the thresholds used and the rule (``threshold_rule``).

    References
    ----------
    Zeithaml, V. A., Rust, R. T. and Lemon, K. N. (2001). The customer pyramid: creating and serving profitable
    customers. *California Management Review* 43(4), 118-142 (the names); the matrix and its strategies follow
    the course material.

    Examples
    --------
    >>> vp = value_potential([10, 10, 1, 5], [5, 1, 5, 3], current_threshold=5, potential_threshold=3)
    >>> vp["quadrant"].tolist()
    ['platinum', 'gold', 'iron', 'lead']
    >>> vp = value_potential([0, 0, 0, 0, 2, 4, 6, 8], [1, 9, 1, 9, 1, 9, 1, 9])
    >>> vp.attrs["current_threshold"], vp["quadrant"].tolist()
    (5.0, ['lead', 'iron', 'lead', 'iron', 'lead', 'iron', 'gold', 'platinum'])
    """
    func = "value_potential"
    c = _as_series(current, "current", func)
    p = _as_series(potential, "potential", func)
    if len(c) != len(p):
        raise ParameterError(
            f"The 'potential' parameter of {func} must have one value per customer of 'current': "
            f"{len(c)} current values, {len(p)} potential values."
        )
    if isinstance(current, pd.Series) and isinstance(potential, pd.Series):
        if not p.index.equals(c.index):
            missing = c.index.difference(p.index)
            if len(missing):
                raise ParameterError(
                    f"The 'potential' parameter of {func} has no value for customers {missing[:5].tolist()} "
                    "of 'current'. Give both for the same customers."
                )
            p = p.reindex(c.index)
    else:
        p = p.set_axis(c.index)
    if len(c) == 0:
        raise ParameterError(f"The 'current' parameter of {func} is empty; it needs at least one customer.")
    tc = (
        _positive_median(c)
        if current_threshold is None
        else check_number(current_threshold, "current_threshold", func=func)
    )
    tp = (
        _positive_median(p)
        if potential_threshold is None
        else check_number(potential_threshold, "potential_threshold", func=func)
    )
    strategies = dict(QUADRANT_STRATEGIES if strategies is None else strategies)
    missing = [q for q in ("platinum", "gold", "iron", "lead") if q not in strategies]
    if missing:
        raise ParameterError(
            f"The 'strategies' parameter of {func} must give a text for every quadrant; missing: {missing}."
        )
    c_high = c.to_numpy() > tc
    p_high = p.to_numpy() > tp
    level = np.array(["low", "high"])
    quadrant = np.where(c_high, np.where(p_high, "platinum", "gold"), np.where(p_high, "iron", "lead"))
    out = pd.DataFrame(
        {
            "current": c.to_numpy(),
            "potential": p.to_numpy(),
            "current_level": level[c_high.astype(int)],
            "potential_level": level[p_high.astype(int)],
            "quadrant": pd.Categorical(quadrant, categories=["platinum", "gold", "iron", "lead"], ordered=True),
        },
        index=c.index,
    )
    out["strategy"] = out["quadrant"].map(strategies).astype(str)
    out.attrs["current_threshold"] = tc
    out.attrs["potential_threshold"] = tp
    out.attrs["threshold_rule"] = {
        name: ("given" if given is not None else "median of the positive values")
        for name, given in (("current", current_threshold), ("potential", potential_threshold))
    }
    return out


# ----------------------------------------------------------------------------------------------
# migration
# ----------------------------------------------------------------------------------------------


def migration_matrix(
    before: pd.Series,
    after: pd.Series,
    *,
    normalize: bool = False,
    new_label: str = "new",
    gone_label: str = "gone",
) -> pd.DataFrame:
    r"""Tier migration between two periods: how many customers moved from each tier to each other tier.

    Rows are the tiers of the first period plus ``new`` (customers only in ``after``); columns are the
    tiers of the second period plus ``gone`` (customers only in ``before``, e.g. no purchase in the
    second period). With ``normalize=True`` each row is divided by its total, giving the transition
    shares

    .. math::

        P_{jk} = \frac{n_{jk}}{\sum_{k'} n_{jk'}}

    an estimate of the probability that a customer of tier :math:`j` is in tier :math:`k` a period
    later (a first-order Markov view of customer migration, Pfeifer and Carraway 2000).

    Parameters
    ----------
    before, after : Series
        Tier per customer, indexed by customer id, in the first and the second period. Categorical
        order (e.g. from :func:`pyramid`) sets the order of rows and columns.
    normalize : bool
        Row shares instead of counts.
    new_label, gone_label : str
        Names of the entry and exit states.

    Returns
    -------
    DataFrame
        Rows ``before`` tiers + new_label, columns ``after`` tiers + gone_label. The (new, gone) cell is
        always 0. A row with no customers is NaN when normalised.

    Examples
    --------
    >>> b = pd.Series(["A", "B", "B"], index=[1, 2, 3])
    >>> a = pd.Series(["A", "A", "B"], index=[1, 2, 4])
    >>> migration_matrix(b, a).loc["B"].tolist()
    [1, 0, 1]
    """
    func = "migration_matrix"
    for name, s in (("before", before), ("after", after)):
        if not isinstance(s, pd.Series):
            raise ParameterError(
                f"The {name!r} parameter of {func} must be a Series of tiers indexed by customer id. "
                f"Got {type(s).__name__}."
            )
        if s.index.has_duplicates:
            dup = s.index[s.index.duplicated()][:5].tolist()
            raise ParameterError(f"The {name!r} parameter of {func} lists customers more than once: {dup}.")

    def order(s):
        if isinstance(s.dtype, pd.CategoricalDtype):
            return [str(c) for c in s.cat.categories]
        return sorted(map(str, s.dropna().unique()))

    rows = order(before)
    cols = order(after)
    for label in (new_label, gone_label):
        if label in rows or label in cols:
            raise ParameterError(
                f"The tier name {label!r} is used by the entry/exit states of {func}; "
                "rename the tier or pass new_label=/gone_label=."
            )
    b = before.astype(object).map(str)
    a = after.astype(object).map(str)
    joined = pd.concat([b.rename("before"), a.rename("after")], axis=1)
    joined["before"] = joined["before"].fillna(new_label)
    joined["after"] = joined["after"].fillna(gone_label)
    counts = pd.crosstab(joined["before"], joined["after"])
    counts = counts.reindex(index=rows + [new_label], columns=cols + [gone_label], fill_value=0).astype(int)
    counts.index.name = "before"
    counts.columns.name = "after"
    if normalize:
        totals = counts.sum(axis=1)
        return counts.div(totals.where(totals > 0), axis=0)
    return counts


# ----------------------------------------------------------------------------------------------
# serving tiers at different levels
# ----------------------------------------------------------------------------------------------


def service_levels(
    economics: pd.DataFrame,
    *,
    margin_rate: float,
    discount_rate: float = 0.10,
    cost_change: Mapping[str, float] | None = None,
    retention_change: Mapping[str, float] | None = None,
    spend_change: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    r"""What a change of service level per tier does to profit now and to the value of the tier.

    ``economics`` gives, per tier, the number of customers and per customer and year the revenue,
    the cost to serve and the retention rate. The margin per customer and year is

    .. math::

        m = \mu R - C

    (:math:`\mu` the gross margin rate, :math:`R` the revenue, :math:`C` the cost to serve), and the
    value of a customer today, with this year's margin plus the retained, discounted margins of the
    following years (Gupta and Lehmann 2003, with margins constant)

    .. math::

        V = m + \frac{m\, r}{1 + i - r} = m \frac{1 + i}{1 + i - r}

    A service change for a tier is given by its **stated assumptions**: the relative change of the
    cost to serve (``cost_change``, e.g. ``+0.30`` = 30% more), the change of retention in points
    (``retention_change``, e.g. ``+0.05`` = five points more), and the relative change of revenue per
    customer (``spend_change``). Tiers left out keep their level. The function does not know whether
    the effects are true: it says what they are worth *if* they are.

    Parameters
    ----------
    economics : DataFrame
        Index tier; columns ``customers``, ``revenue`` (per customer per year), ``cost_to_serve`` (per
        customer per year) and ``retention`` (share of customers kept per year, in [0, 1)).
    margin_rate : float in [0, 1]
        Gross margin on revenue, before the cost to serve.
    discount_rate : float in [0, 1)
        Per year. Default 0.10.
    cost_change, retention_change, spend_change : mapping tier -> float, optional
        The assumed effects of the service change (see above).

    Returns
    -------
    DataFrame
        Index tier plus ``total``; columns ``customers``, ``margin_before``, ``margin_after`` (per
        customer per year), ``retention_before``, ``retention_after``, ``profit_before``,
        ``profit_after`` (tier total, this year), ``value_before``, ``value_after`` (tier total,
        :math:`n V`) and ``value_change``.

    Examples
    --------
    >>> econ = pd.DataFrame({"customers": [10], "revenue": [1000.0], "cost_to_serve": [100.0],
    ...                      "retention": [0.8]}, index=["VIP"])
    >>> out = service_levels(econ, margin_rate=0.3, discount_rate=0.1, cost_change={"VIP": 0.5},
    ...                      retention_change={"VIP": 0.05})
    >>> float(out.loc["VIP", "margin_after"])
    150.0
    """
    func = "service_levels"
    if not isinstance(economics, pd.DataFrame):
        raise ParameterError(
            f"The 'economics' parameter of {func} must be a DataFrame. Got {type(economics).__name__}."
        )
    needed = ["customers", "revenue", "cost_to_serve", "retention"]
    missing = [c for c in needed if c not in economics.columns]
    if missing:
        raise ParameterError(
            f"The 'economics' parameter of {func} needs the columns {needed}; missing: {missing}. "
            "Give one row per tier with customers, revenue and cost_to_serve per customer per year, and retention."
        )
    margin_rate = check_number(margin_rate, "margin_rate", func=func, low=0, high=1)
    discount_rate = check_number(discount_rate, "discount_rate", func=func, low=0, high=1, high_open=True)
    e = economics[needed].astype(float)
    tiers = [str(t) for t in e.index]
    e.index = tiers

    def effect(mapping, name):
        mapping = dict(mapping or {})
        unknown = [k for k in mapping if str(k) not in tiers]
        if unknown:
            raise ParameterError(f"The {name!r} parameter of {func} names unknown tiers {unknown}; tiers are {tiers}.")
        return pd.Series({t: float(mapping.get(t, 0.0)) for t in tiers})

    dc = effect(cost_change, "cost_change")
    dr = effect(retention_change, "retention_change")
    ds = effect(spend_change, "spend_change")
    bad = e.index[(e["retention"] < 0) | (e["retention"] >= 1)].tolist()
    if bad:
        raise ParameterError(f"The 'retention' column of {func}'s economics must be in [0, 1); tiers {bad} are not.")
    r_after = e["retention"] + dr
    bad = r_after.index[(r_after < 0) | (r_after >= 1)].tolist()
    if bad:
        raise ParameterError(
            f"The 'retention_change' parameter of {func} moves retention out of [0, 1) for tiers {bad}: "
            f"{r_after[bad].round(4).tolist()}."
        )
    m_before = margin_rate * e["revenue"] - e["cost_to_serve"]
    m_after = margin_rate * e["revenue"] * (1 + ds) - e["cost_to_serve"] * (1 + dc)
    factor_before = (1 + discount_rate) / (1 + discount_rate - e["retention"])
    factor_after = (1 + discount_rate) / (1 + discount_rate - r_after)
    out = pd.DataFrame(
        {
            "customers": e["customers"],
            "margin_before": m_before,
            "margin_after": m_after,
            "retention_before": e["retention"],
            "retention_after": r_after,
            "profit_before": e["customers"] * m_before,
            "profit_after": e["customers"] * m_after,
            "value_before": e["customers"] * m_before * factor_before,
            "value_after": e["customers"] * m_after * factor_after,
        }
    )
    out["value_change"] = out["value_after"] - out["value_before"]
    total = out[["customers", "profit_before", "profit_after", "value_before", "value_after", "value_change"]].sum()
    out.loc["total"] = total
    out.index.name = "tier"
    return out
