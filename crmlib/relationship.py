"""Relationship marketing: the four (five) types of marketing practice, and one customer base seen through each.

Coviello, Brodie and Munro (1997) classify contemporary marketing into four types:

* **transactional** marketing: attract and satisfy buyers in discrete exchanges of value; a series of
  transactions is not yet a relationship (that needs mutual recognition);
* **database** marketing: use information technology to identify current and potential customers,
  send differentiated messages by their traits and preferences, and track each relationship's
  acquisition cost and lifetime value;
* **interaction** marketing: face-to-face, one-to-one relationships between individuals;
* **network** marketing: relationships among firms (suppliers, partners, distributors);

and Lindgreen, Palmer and Vanhamme (2004) add **e-marketing** (interactive relationships through the
internet) as a fifth. The Contemporary Marketing Practices (CMP) survey measures them in firms; most firms
are *pluralistic*, practising several at once (Brodie, Coviello and Winklhofer 2008).

This module classifies firms from such a survey (:func:`type_scores`, :func:`classify_firms`), says what
data each type produces and what it can measure (:func:`types_table`), and views one transaction log through
the lenses that a retail log allows (:func:`transactional_view`, :func:`database_view`,
:func:`interaction_view`, :func:`lenses`) and follows discrete buyers into repeat "membership"
(:func:`membership_curve`).

References
----------
Brodie, R. J., Coviello, N. E. and Winklhofer, H. (2008). Contemporary Marketing Practices research program: a
review of the first decade. *Journal of Business & Industrial Marketing* 23(2), 84-94.
Coviello, N. E., Brodie, R. J. and Munro, H. J. (1997). Understanding contemporary marketing: development of a
classification scheme. *Journal of Marketing Management* 13(6), 501-522.
Coviello, N. E., Brodie, R. J., Danaher, P. J. and Johnston, W. J. (2002). How firms relate to their markets: an
empirical examination of contemporary marketing practices. *Journal of Marketing* 66(3), 33-46.
Lindgreen, A., Palmer, R. and Vanhamme, J. (2004). Contemporary marketing practice: theoretical propositions
and practical implications. *Marketing Intelligence & Planning* 22(6), 673-692.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlib.data import DataError, check_canonical
from crmlib.params import DateLike, ParameterError, check_number, check_unit, unit_days

__all__ = [
    "MARKETING_TYPES",
    "TYPE_CODES",
    "CMP_DIMENSIONS",
    "firm_item",
    "TYPES",
    "TYPE_PROFILES",
    "CUSTOMER_ROLE",
    "CRM_DRIVERS",
    "types_table",
    "type_items",
    "type_scores",
    "classify_firms",
    "transactional_view",
    "database_view",
    "interaction_view",
    "lenses",
    "membership_curve",
]

#: The marketing types of Coviello, Brodie and Munro (1997), plus e-marketing (Lindgreen, Palmer and
#: Vanhamme 2004), in that order.
MARKETING_TYPES: tuple[str, ...] = ("transactional", "database", "interaction", "network", "e-marketing")
#: Short codes used in the item column names of a CMP-style survey (see :func:`firm_item`).
TYPE_CODES: dict[str, str] = {"transactional": "TM", "database": "DM", "interaction": "IM", "network": "NM",
                              "e-marketing": "EM"}

#: The dimensions of marketing practice of the CMP instrument (Coviello, Brodie and Munro 1997, Table 2):
#: short name -> the question a manager answers.
CMP_DIMENSIONS: dict[str, str] = {
    "purpose": "purpose of exchange (economic transaction, information and transaction, mutually beneficial "
    "relationship, coordination among firms)",
    "communication": "nature of communication (firm to mass market, firm to targeted segment, individuals with "
    "individuals, firms with firms)",
    "contact": "type of contact (arm's length, personalised through technology, face-to-face, impersonal to "
    "interpersonal across firms)",
    "duration": "duration of exchange (discrete, discrete but repeated, continuous, continuous and stable)",
    "formality": "formality of exchange (formal, formal yet personalised via technology, formal and informal, both "
    "at business and social level)",
    "intent": "managerial intent (customer attraction, retention, interaction, coordination)",
    "focus": "decision focus (product or brand, product and customers in a market, one customer, connected "
    "relationships between firms)",
    "investment": "managerial investment (internal marketing assets: the 4Ps; technology and databases; people and "
    "relationships; developing the network)",
    "level": "managerial level (functional marketers, specialists, employees across functions, senior managers)",
}


def firm_item(dimension: str, marketing_type: str) -> str:
    """The column name of one survey item: ``"<dimension>_<type code>"``.

    Examples
    --------
    >>> firm_item("purpose", "database")
    'purpose_DM'
    """
    return f"{dimension}_{TYPE_CODES[marketing_type]}"


#: The four types of Coviello, Brodie and Munro (1997); ``MARKETING_TYPES`` adds e-marketing.
TYPES: tuple[str, ...] = MARKETING_TYPES[:4]

#: What each type is, the data it produces and what that data can measure (the kit's reading of
#: Coviello, Brodie and Munro 1997, Table 2, and Lindgreen et al. 2004).
TYPE_PROFILES: dict[str, dict[str, str]] = {
    "transactional": {
        "relationship": "discrete exchanges with a mass market; buyer and seller need not know each other",
        "data": "sales by product, store and day (point-of-sale records, often without customer id)",
        "measures": "revenue, units, price response, market share, revenue per transaction",
        "cannot_measure": "who buys again, customer value, relationships",
    },
    "database": {
        "relationship": "a firm targeting identified customers of a segment, repeated but arm's-length",
        "data": "a customer-level purchase log (customer id, date, amount) and contact histories",
        "measures": "recency, frequency, monetary value, retention, acquisition cost, customer lifetime value",
        "cannot_measure": "the quality of the personal relationship, trust, the customer's other suppliers",
    },
    "interaction": {
        "relationship": "individuals with individuals: face-to-face, one-to-one, mutual adaptation",
        "data": "contact reports, account plans, meetings and service encounters per customer",
        "measures": "relationship length, contact frequency, share of wallet, satisfaction and trust (surveys)",
        "cannot_measure": "much at scale: the data are qualitative and held by people",
    },
    "network": {
        "relationship": "firms with firms: connected relationships among suppliers, partners and distributors",
        "data": "partner agreements, joint projects, inter-firm flows",
        "measures": "partners' positions, joint value, dependence (network analysis)",
        "cannot_measure": "anything from a single firm's customer log",
    },
    "e-marketing": {
        "relationship": "interactive, technology-mediated dialogue with individual customers",
        "data": "web and app sessions, clicks, e-mail responses, online reviews",
        "measures": "engagement, conversion, response to personalised offers, online word of mouth",
        "cannot_measure": "offline behaviour unless linked to the customer id",
    },
}

#: The customer's changing role, decade by decade (the course material's summary).
CUSTOMER_ROLE: dict[str, str] = {
    "1970s": "passive buyer of what mass production offered",
    "1980s": "a statistic in the transactions (segments, averages)",
    "1990s": "an individual who needs trust and a relationship",
    "2000s": "a co-creator of value with the firm",
}

#: Why CRM arose.
CRM_DRIVERS: tuple[str, ...] = (
    "globalisation and deregulation",
    "converging technologies and information technology",
    "the growing weight of intangible assets (relationships, brands, knowledge)",
    "buyers' markets with homogeneous products",
    "rising customer expectations",
    "customer data scattered across the firm",
)


def types_table(types: Sequence[str] = MARKETING_TYPES) -> pd.DataFrame:
    """The marketing types with the relationship they build, the data they produce and what it can measure.

    Parameters
    ----------
    types : sequence of str
        Which types (default all five of :data:`MARKETING_TYPES`).

    Returns
    -------
    DataFrame
        Index = type; columns ``relationship``, ``data``, ``measures``, ``cannot_measure``.

    Examples
    --------
    >>> types_table(TYPES).loc["database", "measures"].split(",")[0]
    'recency'
    """
    unknown = [t for t in types if t not in TYPE_PROFILES]
    if unknown:
        raise ParameterError(
            f"The 'types' parameter of types_table must list types among {', '.join(TYPE_PROFILES)}. Got "
            f"{unknown!r} instead."
        )
    out = pd.DataFrame.from_dict({t: TYPE_PROFILES[t] for t in types}, orient="index")
    out.index.name = "type"
    return out


def type_items(
    survey: pd.DataFrame, types: Sequence[str] | None = None, dimensions: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """The item columns of each marketing type in a CMP-style survey (``<dimension>_<code>``).

    Parameters
    ----------
    survey : DataFrame
        One row per firm.
    types : sequence of str, optional
        Default: every type of :data:`MARKETING_TYPES` with at least one item column in ``survey``.
    dimensions : sequence of str, optional
        Default: the dimensions of :data:`CMP_DIMENSIONS`.

    Returns
    -------
    dict
        ``type -> list of columns`` (the columns present).

    Examples
    --------
    >>> from crmlib.datasets import make_firm_survey
    >>> type_items(make_firm_survey(5))["database"][:2]
    ['purpose_DM', 'communication_DM']
    """
    if not isinstance(survey, pd.DataFrame):
        raise DataError(f"type_items needs a DataFrame of firm answers; got {type(survey).__name__}.")
    dimensions = list(CMP_DIMENSIONS) if dimensions is None else list(dimensions)
    candidates = MARKETING_TYPES if types is None else tuple(types)
    out = {}
    for t in candidates:
        if t not in TYPE_CODES:
            raise DataError(f"type_items: unknown marketing type {t!r}; the types are {', '.join(MARKETING_TYPES)}.")
        cols = [firm_item(d, t) for d in dimensions if firm_item(d, t) in survey.columns]
        if cols:
            out[t] = cols
        elif types is not None:
            raise DataError(
                f"type_items found no item column of type {t!r} (expected names like {firm_item(dimensions[0], t)!r}). "
                f"Columns present: {', '.join(map(str, survey.columns[:12]))}."
            )
    if len(out) < 2:
        raise DataError(
            "type_items needs items of at least two marketing types (columns like 'purpose_TM', 'purpose_DM'); "
            f"found {len(out)}. Columns present: {', '.join(map(str, survey.columns[:12]))}."
        )
    return out


def type_scores(survey: pd.DataFrame, items: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    r"""Each firm's score per marketing type: the mean of its answered items for that type.

    .. math::  S_{ft} = \frac{1}{|D_{ft}|} \sum_{d \in D_{ft}} y_{fdt}

    over the dimensions :math:`D_{ft}` answered (CMP scores each type by summing or averaging its items
    across the dimensions; Coviello et al. 2002).

    Parameters
    ----------
    survey : DataFrame
        One row per firm.
    items : mapping, optional
        ``type -> columns``; default from :func:`type_items`.

    Returns
    -------
    DataFrame
        One column per type, on the answer scale (1-7).

    Examples
    --------
    >>> s = pd.DataFrame({"purpose_TM": [7, 1], "intent_TM": [5, 2], "purpose_DM": [2, 6], "intent_DM": [3, 6]})
    >>> type_scores(s).loc[0].tolist()
    [6.0, 2.5]
    """
    items = type_items(survey) if items is None else items
    out = {}
    for t, cols in items.items():
        missing = [c for c in cols if c not in survey.columns]
        if missing:
            raise DataError(f"type_scores: the items {', '.join(missing)} of type {t!r} are not columns of the survey.")
        y = survey[list(cols)]
        bad = [c for c in cols if not pd.api.types.is_numeric_dtype(y[c])]
        if bad:
            raise DataError(
                f"type_scores needs numeric answers (1-7), but column {bad[0]!r} holds {y[bad[0]].dtype}; "
                f"first values: {y[bad[0]].head(3).tolist()}."
            )
        out[t] = y.astype(float).mean(axis=1)
    return pd.DataFrame(out, index=survey.index)


def classify_firms(
    survey: pd.DataFrame, items: Mapping[str, Sequence[str]] | None = None, *, margin: float = 0.5
) -> pd.DataFrame:
    r"""Classify each firm by its dominant marketing type, or as pluralistic when two types are close.

    The rule (stated): with type scores :math:`S_{ft}` from :func:`type_scores`, sorted so that
    :math:`S_{f(1)} \ge S_{f(2)} \ge \dots`,

    .. math::

        \text{type}_f = \begin{cases} \text{"pluralistic"} & S_{f(1)} - S_{f(2)} < m \\
                                       \arg\max_t S_{ft} & \text{otherwise} \end{cases}

    *m* is ``margin`` on the answer scale (default 0.5 of a point on 1-7, about the standard error of a
    difference between two type scores of nine items with unit noise). Pluralistic firms also get the
    two leading types in ``types`` (CMP found many firms practise transactional and relational marketing
    together; Coviello et al. 2002).

    Parameters
    ----------
    survey : DataFrame
        One row per firm (e.g. :func:`crmlib.datasets.make_firm_survey`).
    items : mapping, optional
        ``type -> columns``; default from :func:`type_items`.
    margin : float >= 0
        *m*; 0 classifies every firm by its highest score (exact ties then go to the type listed first).

    Returns
    -------
    DataFrame
        The type scores plus ``type`` (a type or ``"pluralistic"``), ``types`` (the leading type, or the
        two leading types joined by ``+``), ``gap`` (:math:`S_{f(1)} - S_{f(2)}`).

    Examples
    --------
    >>> s = pd.DataFrame({"purpose_TM": [7, 5], "intent_TM": [5, 5], "purpose_DM": [2, 6], "intent_DM": [3, 4]})
    >>> classify_firms(s)["type"].tolist()
    ['transactional', 'pluralistic']
    """
    margin = check_number(margin, "margin", func="classify_firms", low=0)
    scores = type_scores(survey, items)
    names = np.array(scores.columns, dtype=object)
    s = scores.to_numpy(dtype=float)
    if np.isnan(s).any():
        rows = scores.index[np.isnan(s).any(axis=1)][:5].tolist()
        raise DataError(
            f"classify_firms: some firms answered no item of a type; first such firms: {rows}. "
            "Drop them or impute their answers first."
        )
    order = np.argsort(-s, axis=1, kind="stable")
    top = s[np.arange(len(s)), order[:, 0]]
    second = s[np.arange(len(s)), order[:, 1]]
    gap = top - second
    plural = gap < margin
    leading = names[order[:, 0]]
    pair = ["+".join(sorted((names[a], names[b]), key=list(names).index)) for a, b in zip(order[:, 0], order[:, 1])]
    out = scores.copy()
    out["type"] = np.where(plural, "pluralistic", leading)
    out["types"] = np.where(plural, pair, leading)
    out["gap"] = gap
    return out


# ------------------------------------------------------------------------- one base, several lenses


def transactional_view(transactions: pd.DataFrame) -> pd.Series:
    """The transactional lens: exchanges, not customers.

    Counts purchase occasions (customer-days, the kit's convention) and revenue as a point-of-sale
    system would, with no use of who bought.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).

    Returns
    -------
    Series
        ``transactions`` (purchase occasions), ``revenue``, ``revenue_per_transaction`` (mean),
        ``median_transaction``, ``transactions_per_day`` (over the calendar days from first to last date).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"]),
    ...                    "amount": [10.0, 5.0, 30.0]})
    >>> float(transactional_view(tx)["revenue_per_transaction"])  # (10 + 5 on one day, 30) / 2
    22.5
    """
    tx = check_canonical(transactions, "transactional_view")
    days = tx.groupby(["customer_id", tx["date"].dt.floor("D")], sort=False)["amount"].sum()
    span = (tx["date"].max() - tx["date"].min()).days + 1
    return pd.Series(
        {
            "transactions": float(len(days)),
            "revenue": float(days.sum()),
            "revenue_per_transaction": float(days.mean()),
            "median_transaction": float(days.median()),
            "transactions_per_day": float(len(days) / span),
        }
    )


def database_view(
    transactions: pd.DataFrame, *, observation_end: DateLike | None = None, unit: str = "D", top_share: float = 0.2
) -> pd.DataFrame:
    r"""The database lens: one row per identified customer, with RFM and total spend.

    Uses :func:`crmlib.rfm.summarize` (Fader, Hardie and Lee conventions) and adds ``total_spend`` (all
    purchases, the first included) and ``top`` (True for the ``top_share`` of customers with the highest
    total spend: the targets of differentiated messages). ``attrs`` carries the share of revenue of the
    top customers and the share of customers who bought again:

    .. math::  \text{top revenue share} = \frac{\sum_{c \in \text{top}} \text{spend}_c}{\sum_c \text{spend}_c}

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    observation_end : date, optional
        Default: the last date.
    unit : {"D", "W", "M", "Y"}
        Unit of ``recency`` and ``T``.
    top_share : float in (0, 1)
        Share of customers flagged as top.

    Returns
    -------
    DataFrame
        Index ``customer_id``: ``frequency``, ``recency``, ``T``, ``monetary_value``, ``total_spend``, ``top``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-03"]),
    ...                    "amount": [10.0, 5.0, 30.0]})
    >>> database_view(tx, top_share=0.5)["top"].tolist()
    [False, True]
    """
    from crmlib import rfm

    tx = check_canonical(transactions, "database_view")
    unit = check_unit(unit, func="database_view")
    top_share = check_number(top_share, "top_share", func="database_view", low=0, high=1, low_open=True, high_open=True)
    summary = rfm.summarize(tx, observation_end=observation_end, unit=unit)
    if observation_end is not None:
        tx = tx[tx["date"] <= pd.Timestamp(observation_end)]
    spend = tx.groupby("customer_id")["amount"].sum().reindex(summary.index).fillna(0.0)
    out = summary.copy()
    out["total_spend"] = spend
    n_top = max(1, int(round(top_share * len(out))))
    rank = spend.rank(method="first", ascending=False)
    out["top"] = rank <= n_top
    total = spend.sum()
    out.attrs["top_revenue_share"] = float(spend[out["top"]].sum() / total) if total > 0 else float("nan")
    out.attrs["repeat_share"] = float((out["frequency"] > 0).mean())
    out.attrs["unit"] = unit
    return out


def interaction_view(
    transactions: pd.DataFrame,
    *,
    min_purchases: int = 4,
    min_tenure_days: float = 365.0,
    observation_end: DateLike | None = None,
) -> pd.Series:
    """The interaction lens, as far as a purchase log shows it: repeated contacts and long relationships.

    A log holds no face-to-face contact, so purchase occasions stand in for contacts (say so when
    reporting). Measures, over customers:

    * ``repeated_contacts``: share with at least ``min_purchases`` purchase days;
    * ``long_relationships``: share whose first-to-last purchase span is at least ``min_tenure_days``;
    * ``both``: share meeting both (candidates for one-to-one relationship management);
    * ``revenue_share_both``: their share of revenue.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    min_purchases : int >= 2
        Purchase days that count as repeated contact.
    min_tenure_days : float >= 0
        Span in days that counts as a long relationship.
    observation_end : date, optional

    Returns
    -------
    Series

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2], "amount": [1.0] * 5,
    ...     "date": pd.to_datetime(["2023-01-01", "2023-06-01", "2023-09-01", "2024-02-01", "2024-01-03"])})
    >>> float(interaction_view(tx)["both"])
    0.5
    """
    from crmlib import rfm

    tx = check_canonical(transactions, "interaction_view")
    min_purchases = int(check_number(min_purchases, "min_purchases", func="interaction_view", low=2, integer=True))
    min_tenure_days = check_number(min_tenure_days, "min_tenure_days", func="interaction_view", low=0)
    summary = rfm.summarize(tx, observation_end=observation_end, unit="D")
    if observation_end is not None:
        tx = tx[tx["date"] <= pd.Timestamp(observation_end)]
    spend = tx.groupby("customer_id")["amount"].sum().reindex(summary.index).fillna(0.0)
    repeated = summary["frequency"] + 1 >= min_purchases
    long = summary["recency"] >= min_tenure_days
    both = repeated & long
    return pd.Series(
        {
            "customers": float(len(summary)),
            "repeated_contacts": float(repeated.mean()),
            "long_relationships": float(long.mean()),
            "both": float(both.mean()),
            "revenue_share_both": float(spend[both].sum() / spend.sum()) if spend.sum() > 0 else float("nan"),
        }
    )


def lenses(
    transactions: pd.DataFrame, *, min_purchases: int = 4, min_tenure_days: float = 365.0, top_share: float = 0.2
) -> pd.DataFrame:
    """The same customer base through each type's lens: the question, the measure, its value, what is missing.

    Rows ``transactional``, ``database``, ``interaction``, ``network``. The network lens cannot be
    measured from one firm's customer log (it needs data on relationships between firms): its value is
    NaN and the ``note`` says so.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    min_purchases, min_tenure_days
        See :func:`interaction_view`.
    top_share
        See :func:`database_view`.

    Returns
    -------
    DataFrame
        Index = lens; columns ``question``, ``measure``, ``value``, ``note``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-03"]),
    ...                    "amount": [10.0, 5.0, 30.0]})
    >>> lenses(tx).loc["network", "measure"]
    'not measurable'
    """
    t = transactional_view(transactions)
    d = database_view(transactions, top_share=top_share)
    i = interaction_view(transactions, min_purchases=min_purchases, min_tenure_days=min_tenure_days)
    rows = {
        "transactional": (
            "How much does an exchange bring?",
            "revenue per transaction",
            t["revenue_per_transaction"],
            "no customer identity used",
        ),
        "database": (
            "Which customers are worth targeting?",
            f"revenue share of the top {top_share:.0%} of customers",
            d.attrs["top_revenue_share"],
            f"{d.attrs['repeat_share']:.0%} of customers bought again",
        ),
        "interaction": (
            "How many relationships are ongoing?",
            f"share of customers with >= {min_purchases} purchase days over >= {min_tenure_days:g} days",
            i["both"],
            "purchases stand in for personal contacts",
        ),
        "network": (
            "How are we tied to other firms?",
            "not measurable",
            float("nan"),
            "a customer log holds no inter-firm relationships; needs partner data",
        ),
    }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["question", "measure", "value", "note"])
    out.index.name = "lens"
    return out


def membership_curve(
    transactions: pd.DataFrame, *, min_purchases: int = 2, unit: str = "M", max_tenure: float | None = None
) -> pd.DataFrame:
    r"""From transactions to membership: the share of customers who have become repeat buyers, by tenure.

    A customer becomes a *member* on the day of their ``min_purchases``-th purchase day. With :math:`\tau_c`
    the time from the first purchase to that day (infinite if it never came) and :math:`T_c` the time the
    customer has been observed, the share of members at tenure *t* is taken over the customers observed
    for at least *t* (so that recent customers do not pull the curve down):

    .. math::  M(t) = \frac{\#\{c : \tau_c \le t,\ T_c \ge t\}}{\#\{c : T_c \ge t\}}

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    min_purchases : int >= 2
        Purchase days that make a member (2 = any repeat buyer).
    unit : {"D", "W", "M", "Y"}
        Unit of tenure; the curve is evaluated at 0, 1, 2, ... units.
    max_tenure : float, optional
        Last tenure (default: the longest observed, in whole units).

    Returns
    -------
    DataFrame
        Index ``tenure`` (in ``unit``); columns ``customers`` (observed that long), ``members``, ``share``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2], "amount": [1.0] * 4,
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-01", "2024-01-22"])})
    >>> membership_curve(tx, unit="W")["share"].tolist()
    [0.0, 0.0, 0.5, 1.0]
    """
    tx = check_canonical(transactions, "membership_curve")
    min_purchases = int(check_number(min_purchases, "min_purchases", func="membership_curve", low=2, integer=True))
    unit = check_unit(unit, func="membership_curve")
    if tx.empty:
        raise DataError("membership_curve got an empty transaction log.")
    days = (
        pd.DataFrame({"customer_id": tx["customer_id"].to_numpy(), "day": tx["date"].dt.floor("D").to_numpy()})
        .drop_duplicates()
        .sort_values(["customer_id", "day"])
    )
    days["k"] = days.groupby("customer_id").cumcount() + 1
    first = days.groupby("customer_id")["day"].min()
    end = days["day"].max()
    kth = days[days["k"] == min_purchases].set_index("customer_id")["day"].reindex(first.index)
    u = unit_days(unit)
    tau = ((kth - first).dt.days / u).to_numpy(dtype=float)  # NaN = not (yet) a member
    observed = ((end - first).dt.days / u).to_numpy(dtype=float)
    top = (
        np.floor(observed.max())
        if max_tenure is None
        else check_number(max_tenure, "max_tenure", func="membership_curve", low=0)
    )
    grid = np.arange(0, int(top) + 1, dtype=float)
    at_risk = observed[None, :] >= grid[:, None]
    member = at_risk & (np.nan_to_num(tau, nan=np.inf)[None, :] <= grid[:, None])
    n = at_risk.sum(axis=1)
    m = member.sum(axis=1)
    out = pd.DataFrame(
        {"customers": n, "members": m, "share": np.where(n > 0, m / np.maximum(n, 1), np.nan)},
        index=pd.Index(grid, name="tenure"),
    )
    out.attrs["unit"] = unit
    out.attrs["min_purchases"] = min_purchases
    return out
