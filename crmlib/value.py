r"""Value to the customer: benefits against sacrifices, episode and relationship value, Woodruff's hierarchy.

Small, transparent calculators for the ideas of chapter 01. Scores are on whatever scale the user
chooses (e.g. 0-10 ratings); the functions never invent data, and every default weight or example is a
documented module-level constant the caller can replace.

References
----------
Zeithaml, V. A. (1988). Consumer perceptions of price, quality, and value: a means-end model and
synthesis of evidence. *Journal of Marketing* 52(3), 2-22.
Monroe, K. B. (1990). *Pricing: Making Profitable Decisions* (2nd ed.). McGraw-Hill.
Anderson, J. C., Jain, D. C. and Chintagunta, P. K. (1993). Customer value assessment in business
markets: a state-of-practice study. *Journal of Business-to-Business Marketing* 1(1), 3-29.
Ravald, A. and Grönroos, C. (1996). The value concept and relationship marketing. *European Journal of
Marketing* 30(2), 19-30.
Butz, H. E. and Goodstein, L. D. (1996). Measuring customer value: gaining the strategic advantage.
*Organizational Dynamics* 24(3), 63-77.
Woodruff, R. B. (1997). Customer value: the next source for competitive advantage. *Journal of the
Academy of Marketing Science* 25(2), 139-153.
Gale, B. T. (1994). *Managing Customer Value*. Free Press.
Sheth, J. N., Newman, B. I. and Gross, B. L. (1991). Why we buy what we buy: a theory of consumption
values. *Journal of Business Research* 22(2), 159-170.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmlib.data import DataError
from crmlib.params import ParameterError, check_choice, check_number

__all__ = [
    "BENEFIT_TYPES",
    "COST_TYPES",
    "ZEITHAML_DEFINITIONS",
    "VALUE_DEFINITIONS",
    "INTERNET_SERVICE_LINKS",
    "LAYER_WEIGHTS",
    "perceived_value",
    "total_episode_value",
    "episode_value_grid",
    "hierarchy_links",
    "hierarchy_levels",
    "hierarchy_value",
    "value_gap",
    "value_by_definition",
    "relative_value",
    "positioning",
    "layer_criteria",
    "value_by_layer",
]

BENEFIT_TYPES = ("functional", "emotional", "social", "epistemic", "conditional")
"""Kinds of benefit a customer can receive (Sheth, Newman and Gross 1991's consumption values)."""

COST_TYPES = ("price", "time", "effort", "risk")
"""Kinds of sacrifice: the monetary price and the non-monetary costs of time, effort and risk (Zeithaml 1988)."""


def _scores(data: Any, name: str, func: str) -> pd.Series | pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data.apply(pd.to_numeric, errors="coerce")
        if frame.isna().any().any():
            bad = frame.isna().any(axis=1)
            raise DataError(
                f"{func}: the {name} table has missing or non-numeric scores in rows {frame.index[bad][:5].tolist()}. "
                "Give a number for every item (0 if it does not apply)."
            )
        return frame.astype(float)
    if isinstance(data, Mapping):
        data = pd.Series(dict(data), dtype=object)
    if isinstance(data, pd.Series):
        values = pd.to_numeric(data, errors="coerce")
        if values.isna().any():
            raise ParameterError(
                f"The {name!r} parameter of {func} must map items to numbers; "
                f"{values.index[values.isna()][:5].tolist()} are not numbers."
            )
        return values.astype(float)
    raise ParameterError(
        f"The {name!r} parameter of {func} must be a mapping or Series of item -> score, or a DataFrame "
        f"(one row per offer, one column per item). Got {type(data).__name__} instead."
    )


def _weights(weights: Any, items: pd.Index, name: str, func: str) -> pd.Series:
    if weights is None:
        return pd.Series(1.0, index=items)
    w = _scores(weights, name, func)
    if isinstance(w, pd.DataFrame):
        raise ParameterError(f"The {name!r} parameter of {func} must be a mapping of item -> weight.")
    missing = [k for k in items if k not in w.index]
    if missing:
        raise ParameterError(
            f"The {name!r} parameter of {func} has no weight for {missing[:5]}. Give a weight for every item "
            "(or None for equal weights)."
        )
    if (w < 0).any():
        raise ParameterError(
            f"The {name!r} parameter of {func} must hold weights >= 0; {w[w < 0].to_dict()} are negative."
        )
    return w.reindex(items)


def perceived_value(
    benefits: Mapping[str, float] | pd.Series | pd.DataFrame,
    costs: Mapping[str, float] | pd.Series | pd.DataFrame,
    *,
    benefit_weights: Mapping[str, float] | None = None,
    cost_weights: Mapping[str, float] | None = None,
    form: str = "difference",
) -> float | pd.Series:
    r"""Customer perceived value: what the customer gets against what they give up.

    .. math::

        V = \sum_b w_b B_b - \sum_c w_c C_c \quad (\texttt{form="difference"}), \qquad
        V = \frac{\sum_b w_b B_b}{\sum_c w_c C_c} \quad (\texttt{form="ratio"})

    The difference is the "benefits minus costs" of the course material (Kotler's customer delivered
    value); the ratio is Monroe's (1990) perceived benefits over perceived sacrifice, and the form of
    Ravald and Grönroos (1996). A ratio above 1 (or a difference above 0) means the customer gets more
    than they give, in their own judgement.

    Parameters
    ----------
    benefits : mapping, Series or DataFrame
        Scores of each benefit (functional, emotional, social ...). A DataFrame has one row per offer
        (or per customer) and one column per benefit.
    costs : mapping, Series or DataFrame
        Scores of each sacrifice (price, time, effort, risk), on the same scale as the benefits.
    benefit_weights, cost_weights : mapping, optional
        Importance of each item (>= 0); default 1 each.
    form : {"difference", "ratio"}

    Returns
    -------
    float, or a Series (one value per row) for DataFrame input.

    References
    ----------
    Zeithaml (1988); Monroe (1990); Anderson, Jain and Chintagunta (1993); Ravald and Grönroos (1996).

    Examples
    --------
    >>> round(perceived_value({"functional": 8, "emotional": 6}, {"price": 5, "time": 2},
    ...                       benefit_weights={"functional": 0.7, "emotional": 0.3}), 6)   # 0.7*8 + 0.3*6 - (5 + 2)
    0.4
    >>> perceived_value({"functional": 8, "emotional": 6}, {"price": 5, "time": 2}, form="ratio")   # 14 / 7
    2.0
    """
    func = "perceived_value"
    form = check_choice(form, "form", ("difference", "ratio"), func=func)
    b = _scores(benefits, "benefits", func)
    c = _scores(costs, "costs", func)
    b_items = b.columns if isinstance(b, pd.DataFrame) else b.index
    c_items = c.columns if isinstance(c, pd.DataFrame) else c.index
    wb = _weights(benefit_weights, b_items, "benefit_weights", func)
    wc = _weights(cost_weights, c_items, "cost_weights", func)
    got = b @ wb if isinstance(b, pd.DataFrame) else float((b * wb).sum())
    give = c @ wc if isinstance(c, pd.DataFrame) else float((c * wc).sum())
    if form == "difference":
        return got - give
    if np.any(np.asarray(give) <= 0):
        raise ParameterError(
            f"{func} with form='ratio' needs a positive total of weighted costs (something is always given up: "
            "at least time or effort). Got a total of 0 or less; use form='difference' or score the costs."
        )
    return got / give


def total_episode_value(
    episode_benefits: float | np.ndarray,
    relationship_benefits: float | np.ndarray,
    episode_sacrifices: float | np.ndarray,
    relationship_sacrifices: float | np.ndarray,
) -> float | np.ndarray:
    r"""Total episode value of Ravald and Grönroos (1996).

    .. math::

        \text{total episode value} = \frac{\text{episode benefits} + \text{relationship benefits}}
        {\text{episode sacrifices} + \text{relationship sacrifices}}

    An *episode* is one exchange (a purchase, a service call); the *relationship* terms are what the
    ongoing relationship adds (trust, safety, credibility, less search) or costs (the effort of keeping
    it, the price premium of a known supplier, lock-in). Ravald and Grönroos (1996) argue that the
    relationship can raise value by adding benefits *or* by removing sacrifices, e.g. the cost of
    checking a supplier one trusts. Values above 1 mean the customer gets more than they give.

    Parameters
    ----------
    episode_benefits, relationship_benefits, episode_sacrifices, relationship_sacrifices : float or array
        Non-negative scores on one scale (numpy broadcasting applies). The sacrifices must add up to
        more than 0.

    Returns
    -------
    float, or array for array input.

    References
    ----------
    Ravald and Grönroos (1996).

    Examples
    --------
    >>> total_episode_value(6, 2, 4, 1)   # (6 + 2) / (4 + 1)
    1.6
    """
    func = "total_episode_value"
    names = ("episode_benefits", "relationship_benefits", "episode_sacrifices", "relationship_sacrifices")
    arrays: list[float | np.ndarray] = []
    for name, value in zip(
        names, (episode_benefits, relationship_benefits, episode_sacrifices, relationship_sacrifices)
    ):
        if np.ndim(value) == 0:
            arrays.append(check_number(value, name, func=func, low=0))
        else:
            arr = np.asarray(value, dtype=float)
            if not np.isfinite(arr).all() or (arr < 0).any():
                raise ParameterError(
                    f"The {name!r} parameter of {func} must hold numbers >= 0. Got "
                    f"{arr[(~np.isfinite(arr)) | (arr < 0)][:5].tolist()}."
                )
            arrays.append(arr)
    eb, rb, es, rs = arrays
    denominator = np.add(es, rs)
    if np.any(denominator <= 0):
        raise ParameterError(
            f"{func} needs episode_sacrifices + relationship_sacrifices above 0 (a value ratio over nothing "
            "is undefined). Score at least the time or effort an episode takes."
        )
    value = np.add(eb, rb) / denominator
    return float(value) if np.ndim(value) == 0 else value


def episode_value_grid(
    episode_benefits: float,
    episode_sacrifices: float,
    *,
    relationship_benefits: Sequence[float] | np.ndarray = (0, 1, 2, 3, 4),
    relationship_sacrifices: Sequence[float] | np.ndarray = (0, 1, 2, 3, 4),
) -> pd.DataFrame:
    r"""Sensitivity of the total episode value to the relationship terms (a grid for a heatmap).

    Each cell is :func:`total_episode_value` ``(EB, RB, ES, RS)`` for one pair (RB, RS) and fixed
    episode benefits EB and sacrifices ES: it shows how much a relationship benefit is worth compared
    with removing a relationship sacrifice.

    Returns
    -------
    DataFrame, index ``relationship_sacrifices``, columns ``relationship_benefits``.

    References
    ----------
    Ravald and Grönroos (1996).

    Examples
    --------
    >>> episode_value_grid(6, 4, relationship_benefits=[0, 2], relationship_sacrifices=[0, 2]).round(3)
    relationship_benefits    0.0    2.0
    relationship_sacrifices
    0.0                      1.5  2.000
    2.0                      1.0  1.333
    """
    rb = np.asarray(relationship_benefits, dtype=float)
    rs = np.asarray(relationship_sacrifices, dtype=float)
    values = total_episode_value(episode_benefits, rb[None, :], episode_sacrifices, rs[:, None])
    frame = pd.DataFrame(
        values, index=pd.Index(rs, name="relationship_sacrifices"), columns=pd.Index(rb, name="relationship_benefits")
    )
    return frame


# --------------------------------------------------------------------------------------------------
# Woodruff's customer value hierarchy as a means-end chain
# --------------------------------------------------------------------------------------------------

INTERNET_SERVICE_LINKS = pd.DataFrame(
    [
        # situation, source (lower level), target (higher level), weight (importance of the link)
        ("work", "download speed", "large files move fast", 3.0),
        ("work", "uptime guarantee", "video calls never drop", 4.0),
        ("work", "upload speed", "video calls never drop", 2.0),
        ("work", "business-hours support", "problems fixed at once", 4.0),
        ("work", "monthly price", "stays within budget", 1.0),
        ("work", "large files move fast", "get work done on time", 2.0),
        ("work", "video calls never drop", "look professional to clients", 3.0),
        ("work", "video calls never drop", "get work done on time", 2.0),
        ("work", "problems fixed at once", "get work done on time", 2.0),
        ("work", "stays within budget", "run a sound business", 1.0),
        ("home", "download speed", "films stream without pauses", 3.0),
        ("home", "uptime guarantee", "films stream without pauses", 1.0),
        ("home", "monthly price", "stays within budget", 4.0),
        ("home", "upload speed", "video calls with family", 1.0),
        ("home", "business-hours support", "problems fixed at once", 1.0),
        ("home", "films stream without pauses", "relax with the family", 3.0),
        ("home", "video calls with family", "stay close to relatives", 2.0),
        ("home", "stays within budget", "run a sound household", 4.0),
        ("home", "problems fixed at once", "relax with the family", 1.0),
    ],
    columns=["situation", "source", "target", "weight"],
)
"""ILLUSTRATIVE means-end chain for one internet service in two use situations (made up for teaching).

One row per link of Woodruff's (1997) hierarchy: an attribute (bottom) leads to a consequence of use
(middle), a consequence helps a goal (top). ``weight`` is the importance of the link for the customer
in that ``situation``. At work reliability and support carry the value; at home price and streaming do:
the same attributes, a different hierarchy."""


def hierarchy_links(
    links: pd.DataFrame, *, situation: str | None = None, func: str = "hierarchy_links"
) -> pd.DataFrame:
    """The links of a means-end chain for one use situation, checked: ``source``, ``target``, ``weight`` (float).

    The first step of :func:`hierarchy_levels`, :func:`hierarchy_value` and
    :func:`crmlib.plot.value_hierarchy_chart` (Woodruff 1997): the rows of ``situation`` when the table has a
    ``situation`` column, weights as floats >= 0.

    Parameters
    ----------
    links : pandas.DataFrame
        One row per link: ``source`` (lower level), ``target`` (higher level), ``weight`` (>= 0) and optionally
        ``situation``, as :data:`INTERNET_SERVICE_LINKS`.
    situation : str, optional
        The use situation; required when the table describes more than one.
    func : str
        The function named in the error messages (the caller's name).

    Returns
    -------
    pandas.DataFrame
        The links of the situation, a new frame.

    Raises
    ------
    crmlib.data.DataError
        If a column is missing or a weight is not a number >= 0.
    crmlib.params.ParameterError
        If ``situation`` is missing or unknown.

    References
    ----------
    Woodruff, R. B. (1997). Customer value: the next source for competitive advantage. *Journal of the Academy
    of Marketing Science* 25(2), 139-153.

    Examples
    --------
    >>> home = hierarchy_links(INTERNET_SERVICE_LINKS, situation="home")
    >>> sorted(home.columns) == sorted(INTERNET_SERVICE_LINKS.columns)
    True
    """
    if not isinstance(links, pd.DataFrame):
        raise DataError(
            f"{func} needs a DataFrame of links (columns source, target, weight); got {type(links).__name__}."
        )
    missing = [c for c in ("source", "target", "weight") if c not in links.columns]
    if missing:
        raise DataError(
            f"{func}: the links table lacks the columns {missing}. It needs one row per link with columns "
            "source (lower level), target (higher level), weight (>= 0), and optionally situation."
        )
    if "situation" in links.columns:
        situations = list(dict.fromkeys(links["situation"]))
        if situation is None:
            if len(situations) > 1:
                raise ParameterError(
                    f"The 'situation' parameter of {func} must name the use situation: the links describe "
                    f"{situations}. Got None instead."
                )
        else:
            check_choice(situation, "situation", situations, func=func)
            links = links[links["situation"] == situation]
    elif situation is not None:
        raise ParameterError(
            f"The 'situation' parameter of {func} must be None: the links table has no 'situation' column."
        )
    weights = pd.to_numeric(links["weight"], errors="coerce")
    bad = weights.isna() | (weights < 0)
    if bad.any():
        raise DataError(
            f"{func}: the 'weight' column must hold numbers >= 0; rows {links.index[bad][:5].tolist()} do not."
        )
    return links.assign(weight=weights.astype(float))


def hierarchy_levels(links: pd.DataFrame, *, situation: str | None = None) -> pd.Series:
    r"""Level of each node of a means-end chain: ``attribute``, ``consequence`` or ``goal``.

    Attributes are sources that no link points to; goals are targets that lead nowhere; everything in
    between is a consequence (Woodruff 1997). A chain must have the three levels in order:
    every attribute -> consequence -> goal path has exactly two links.

    Returns
    -------
    Series indexed by node, in the order attributes, consequences, goals.

    References
    ----------
    Woodruff (1997); Gutman, J. (1982). A means-end chain model based on consumer
    categorization processes. *Journal of Marketing* 46(2), 60-72.

    Examples
    --------
    >>> hierarchy_levels(INTERNET_SERVICE_LINKS, situation="home").value_counts().to_dict()
    {'attribute': 5, 'consequence': 4, 'goal': 3}
    """
    func = "hierarchy_levels"
    lk = hierarchy_links(links, situation=situation, func=func)
    sources, targets = set(lk["source"]), set(lk["target"])
    nodes = list(dict.fromkeys([*lk["source"], *lk["target"]]))
    level = {}
    for n in nodes:
        level[n] = "attribute" if n not in targets else ("goal" if n not in sources else "consequence")
    bad = lk[
        [
            not (
                level[s] == "attribute"
                and level[t] == "consequence"
                or level[s] == "consequence"
                and level[t] == "goal"
            )
            for s, t in zip(lk["source"], lk["target"])
        ]
    ]
    if len(bad):
        first = bad.iloc[0]
        raise DataError(
            f"{func}: the link {first['source']!r} -> {first['target']!r} skips or reverses a level "
            f"({level[first['source']]} -> {level[first['target']]}). Links must go attribute -> consequence -> goal."
        )
    order = {"attribute": 0, "consequence": 1, "goal": 2}
    return pd.Series(level, name="level").sort_values(key=lambda s: s.map(order), kind="stable")


def hierarchy_value(
    links: pd.DataFrame,
    performance: Mapping[str, float] | pd.Series,
    *,
    situation: str | None = None,
    goal_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    r"""Value at every level of Woodruff's hierarchy from the performance of the attributes.

    A consequence's score is the weighted mean of the performances of the attributes that lead to it,
    a goal's score the weighted mean of its consequences, with the link weights :math:`w`:

    .. math::

        v_c = \frac{\sum_a w_{ac}\,p_a}{\sum_a w_{ac}}, \qquad
        v_g = \frac{\sum_c w_{cg}\,v_c}{\sum_c w_{cg}}, \qquad
        V = \frac{\sum_g u_g\,v_g}{\sum_g u_g}

    so every level keeps the scale of the performances (e.g. 0-10) and the overall value :math:`V`
    weighs the goals by ``goal_weights`` :math:`u_g` (default: each goal's total incoming weight).

    Parameters
    ----------
    links : DataFrame
        Columns ``source``, ``target``, ``weight`` (and ``situation``); e.g. :data:`INTERNET_SERVICE_LINKS`.
    performance : mapping or Series
        Score of every attribute (how well the offer performs on it, as the customer sees it).
    situation : str, optional
        Which use situation's links to use (required when the table holds several).
    goal_weights : mapping, optional
        Importance of each goal for the overall value.

    Returns
    -------
    DataFrame with columns ``level`` (attribute/consequence/goal/overall), ``node`` and ``value``.

    References
    ----------
    Woodruff (1997) (the customer value hierarchy; desired vs received value);
    Zeithaml (1988) (the means-end model of price, quality and value).

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["speed", "price", "fast pages"],
    ...                       "target": ["fast pages", "fast pages", "productive"], "weight": [3.0, 1.0, 1.0]})
    >>> hierarchy_value(links, {"speed": 8, "price": 4})   # (3*8 + 1*4) / 4 = 7
            level        node  value
    0   attribute       price    4.0
    1   attribute       speed    8.0
    2 consequence  fast pages    7.0
    3        goal  productive    7.0
    4     overall     overall    7.0
    """
    func = "hierarchy_value"
    lk = hierarchy_links(links, situation=situation, func=func)
    levels = hierarchy_levels(lk)
    perf = _scores(performance, "performance", func)
    if isinstance(perf, pd.DataFrame):
        raise ParameterError(f"The 'performance' parameter of {func} must be a mapping of attribute -> score.")
    attributes = levels.index[levels == "attribute"]
    missing = [a for a in attributes if a not in perf.index]
    if missing:
        raise ParameterError(
            f"The 'performance' parameter of {func} has no score for the attributes {missing[:5]}. "
            f"Score every attribute of the chain: {list(attributes)}."
        )
    score = {a: float(perf[a]) for a in attributes}
    for level in ("consequence", "goal"):
        sub = lk[lk["target"].map(levels) == level]
        for node, group in sub.groupby("target", sort=False):
            total = group["weight"].sum()
            if total <= 0:
                raise DataError(f"{func}: every link into {node!r} has weight 0; give at least one a positive weight.")
            score[node] = float((group["weight"] * group["source"].map(score)).sum() / total)
    goals = levels.index[levels == "goal"]
    if goal_weights is None:
        u = lk[lk["target"].isin(goals)].groupby("target")["weight"].sum().reindex(goals)
    else:
        u = _weights(goal_weights, goals, "goal_weights", func)
    overall = float((u * pd.Series({g: score[g] for g in goals})).sum() / u.sum())
    rows = [(levels[n], n, score[n]) for n in sorted(attributes)]
    rows += [(levels[n], n, score[n]) for n in levels.index if levels[n] != "attribute"]
    rows.append(("overall", "overall", overall))
    return pd.DataFrame(rows, columns=["level", "node", "value"])


def value_gap(
    links: pd.DataFrame,
    desired: Mapping[str, float] | pd.Series,
    received: Mapping[str, float] | pd.Series,
    *,
    situation: str | None = None,
    goal_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    r"""Desired against received value at every level of the hierarchy (Woodruff 1997).

    Woodruff separates *desired* value (what the customer wants to happen in the use situation) from
    *received* value (what they experience); satisfaction is the feeling about the difference. Both
    are carried up the same means-end chain with :func:`hierarchy_value`:

    .. math:: \text{gap}_n = v_n^{\text{received}} - v_n^{\text{desired}}

    A negative gap at a goal shows which goal the offer fails, and the chain shows which attributes
    cause it.

    Returns
    -------
    DataFrame with ``level``, ``node``, ``desired``, ``received`` and ``gap``.

    References
    ----------
    Woodruff (1997) (customer value determination and satisfaction).

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["speed"], "target": ["fast pages"], "weight": [1.0]})
    >>> links = pd.concat([links, pd.DataFrame({"source": ["fast pages"], "target": ["productive"], "weight": [1.0]})])
    >>> value_gap(links, {"speed": 9}, {"speed": 6})["gap"].tolist()
    [-3.0, -3.0, -3.0, -3.0]
    """
    want = hierarchy_value(links, desired, situation=situation, goal_weights=goal_weights)
    got = hierarchy_value(links, received, situation=situation, goal_weights=goal_weights)
    out = want.rename(columns={"value": "desired"})
    out["received"] = got["value"].to_numpy()
    out["gap"] = out["received"] - out["desired"]
    return out


# --------------------------------------------------------------------------------------------------
# Zeithaml's four definitions, relative value
# --------------------------------------------------------------------------------------------------

ZEITHAML_DEFINITIONS = pd.DataFrame(
    {
        "definition": [
            "value is low price",
            "value is whatever I want in a product",
            "value is the quality I get for the price I pay",
            "value is what I get for what I give",
        ],
        "measure": ["lowest price", "fit with what I want", "quality / price", "benefits / sacrifices"],
        "column": ["low_price", "what_i_want", "quality_for_price", "get_for_give"],
    }
)
"""The four definitions of value that consumers gave Zeithaml (1988, p. 13), with the measure each implies."""

VALUE_DEFINITIONS = pd.DataFrame(
    {
        "source": [
            "Zeithaml (1988)",
            "Monroe (1990)",
            "Anderson, Jain and Chintagunta (1993)",
            "Butz and Goodstein (1996)",
            "Ravald and Grönroos (1996)",
            "Woodruff (1997)",
        ],
        "value is": [
            "the consumer's overall assessment of the utility of a product based on perceptions of what is "
            "received and what is given",
            "the trade-off between the quality or benefits perceived in the product and the sacrifice "
            "perceived in paying the price",
            "the perceived worth in monetary units of the economic, technical, service and social benefits "
            "received, for the price paid",
            "the emotional bond between customer and producer after the customer has used a product and "
            "found it adds value",
            "(episode benefits + relationship benefits) / (episode sacrifices + relationship sacrifices)",
            "the customer's perceived preference for and evaluation of attributes, their performances and "
            "the consequences of use that help or block their goals in use situations",
        ],
        "scope": [
            "one offer",
            "one episode",
            "one episode (business markets)",
            "the relationship",
            "episode within a relationship",
            "use situations over time",
        ],
    }
)
"""Definitions of customer value side by side (paraphrased; page references in the module references)."""


def value_by_definition(
    offers: pd.DataFrame,
    *,
    price: str = "price",
    quality: str = "quality",
    fit: str = "fit",
    benefits: str = "benefits",
    sacrifices: str = "sacrifices",
) -> pd.DataFrame:
    r"""Score competing offers under each of Zeithaml's (1988) four definitions of value.

    ========================================  ============================================
    definition                                score (higher = more value)
    ========================================  ============================================
    1. value is low price                     :math:`-\text{price}`
    2. value is whatever I want               fit with what the customer wants
    3. value is the quality I get for the     :math:`\text{quality} / \text{price}`
       price I pay
    4. value is what I get for what I give    :math:`\text{benefits} / \text{sacrifices}`
    ========================================  ============================================

    The point of the exercise: the "best value" offer depends on which definition the customer holds.

    Parameters
    ----------
    offers : DataFrame
        One row per offer with numeric columns for price (> 0), quality, fit, benefits and
        sacrifices (> 0); names given by the keyword arguments.

    Returns
    -------
    DataFrame indexed like ``offers`` with columns ``low_price``, ``what_i_want``,
    ``quality_for_price``, ``get_for_give`` and the rank (1 = best) of each offer under each definition
    in ``rank_*`` columns.

    References
    ----------
    Zeithaml (1988), p. 13.

    Examples
    --------
    >>> offers = pd.DataFrame({"price": [10, 20], "quality": [5, 12], "fit": [6, 8],
    ...                        "benefits": [7, 12], "sacrifices": [5, 10]}, index=["basic", "premium"])
    >>> ranks = ["rank_low_price", "rank_what_i_want", "rank_quality_for_price", "rank_get_for_give"]
    >>> print(value_by_definition(offers)[ranks].to_string())
             rank_low_price  rank_what_i_want  rank_quality_for_price  rank_get_for_give
    basic                 1                 2                       2                  1
    premium               2                 1                       1                  2
    """
    func = "value_by_definition"
    if not isinstance(offers, pd.DataFrame):
        raise DataError(f"{func} needs a DataFrame with one row per offer; got {type(offers).__name__}.")
    cols = {"price": price, "quality": quality, "fit": fit, "benefits": benefits, "sacrifices": sacrifices}
    missing = [c for c in cols.values() if c not in offers.columns]
    if missing:
        raise DataError(
            f"{func}: the offers table lacks the columns {missing}. Columns present: {list(offers.columns)}. "
            "Name yours with price=, quality=, fit=, benefits=, sacrifices=."
        )
    x = offers[list(cols.values())].apply(pd.to_numeric, errors="coerce")
    x.columns = list(cols)
    for c in ("price", "sacrifices"):
        bad = ~(x[c] > 0)
        if bad.any():
            raise DataError(
                f"{func}: the {cols[c]!r} column must be above 0 (it divides); rows "
                f"{offers.index[bad][:5].tolist()} are not."
            )
    out = pd.DataFrame(
        {
            "low_price": -x["price"],
            "what_i_want": x["fit"],
            "quality_for_price": x["quality"] / x["price"],
            "get_for_give": x["benefits"] / x["sacrifices"],
        },
        index=offers.index,
    )
    for c in list(out.columns):
        out[f"rank_{c}"] = out[c].rank(ascending=False, method="min").astype(int)
    return out


def relative_value(
    offers: pd.DataFrame,
    reference: Any,
    *,
    quality: str = "quality",
    price: str = "price",
    tolerance: float = 0.05,
) -> pd.DataFrame:
    r"""Value as a relative judgement: each offer's quality and price against a reference competitor.

    Customers judge value against the alternatives they know (Zeithaml 1988; Woodruff 1997). Gale's
    (1994) customer value map puts relative quality against relative price:

    .. math::

        q^{\text{rel}} = q / q_{\text{ref}}, \quad p^{\text{rel}} = p / p_{\text{ref}}, \quad
        \text{value ratio} = q^{\text{rel}} / p^{\text{rel}}

    Offers on the fair-value line (ratio 1 within ``tolerance``) give the same value as the reference;
    above it "better value" (more quality for the price), below it "worse value".

    Parameters
    ----------
    offers : DataFrame
        One row per offer (ours and competitors'), perceived quality and price columns (> 0).
    reference : index label
        The offer to compare with (e.g. the main competitor, or the market average row).
    tolerance : float
        Band around ratio 1 called "fair value", in [0, 1).

    Returns
    -------
    DataFrame with ``relative_quality``, ``relative_price``, ``value_ratio`` and ``position``.

    References
    ----------
    Gale (1994) (the customer value map); Zeithaml (1988).

    Examples
    --------
    >>> offers = pd.DataFrame({"quality": [8, 6, 9], "price": [100, 100, 140]}, index=["us", "rival", "luxury"])
    >>> relative_value(offers, "rival").round(3)
            relative_quality  relative_price  value_ratio        position
    us                 1.333             1.0        1.333    better value
    rival              1.000             1.0        1.000      fair value
    luxury             1.500             1.4        1.071    better value
    """
    func = "relative_value"
    if not isinstance(offers, pd.DataFrame):
        raise DataError(f"{func} needs a DataFrame with one row per offer; got {type(offers).__name__}.")
    for c in (quality, price):
        if c not in offers.columns:
            raise DataError(
                f"{func}: the offers table lacks the column {c!r}. Columns present: {list(offers.columns)}."
            )
        bad = ~(pd.to_numeric(offers[c], errors="coerce") > 0)
        if bad.any():
            raise DataError(
                f"{func}: the {c!r} column must be a number above 0; rows {offers.index[bad][:5].tolist()} are not."
            )
    if reference not in offers.index:
        raise ParameterError(
            f"The 'reference' parameter of {func} must be one of the offers {list(offers.index)}. Got "
            f"{reference!r} instead."
        )
    tol = check_number(tolerance, "tolerance", func=func, low=0, high=1, high_open=True)
    q = offers[quality].astype(float) / float(offers.loc[reference, quality])
    p = offers[price].astype(float) / float(offers.loc[reference, price])
    ratio = q / p
    position = np.where(ratio > 1 + tol, "better value", np.where(ratio < 1 - tol, "worse value", "fair value"))
    return pd.DataFrame(
        {"relative_quality": q, "relative_price": p, "value_ratio": ratio, "position": position}, index=offers.index
    )


def positioning(
    benefits: pd.DataFrame,
    costs: pd.DataFrame,
    segments: Mapping[str, tuple[Mapping[str, float], Mapping[str, float]]],
    *,
    parity: float = 0.25,
    focus: int = 2,
) -> pd.DataFrame:
    r"""Each target group's best offer, its next best alternative, and where it wins, ties and loses.

    For target group :math:`g` with benefit weights :math:`w^B_g` and cost weights :math:`w^C_g`, every offer's
    value is :func:`perceived_value` (form "difference"). The best offer :math:`o` is the group's proposition;
    the second best :math:`a` is its frame of reference (Keller, Sternthal and Tybout 2002). The weighted
    advantage of :math:`o` over :math:`a` on each benefit :math:`b` and each cost :math:`c` is

    .. math::

        d_b = w^B_{g,b} (B_{o,b} - B_{a,b}), \qquad d_c = -\, w^C_{g,c} (C_{o,c} - C_{a,c})

    in the units of the scores (a cost lower than the alternative's is an advantage). The up to ``focus``
    largest advantages with :math:`d \ge` ``parity`` are the *resonating focus* (Anderson, Narus and van Rossum
    2006), the dimensions with :math:`|d| <` ``parity`` the *points of parity*, those with :math:`d \le -`
    ``parity`` what the offer is weaker on.

    Parameters
    ----------
    benefits : DataFrame
        One row per offer, one column per benefit (scores on one scale); only read.
    costs : DataFrame
        The same offers, one column per sacrifice (price, time, effort, risk), on the same scale; only read.
    segments : mapping
        Target group -> (benefit weights, cost weights), each a mapping of item -> weight >= 0 (as in
        :func:`perceived_value`).
    parity : float
        Largest weighted advantage (in absolute value, score points) that is only a point of parity, >= 0.
    focus : int
        Most dimensions named in the resonating focus (Anderson et al. recommend one or two), >= 1.

    Returns
    -------
    DataFrame
        Index ``target group``; ``offer``, ``against`` (the next best offer), ``value lead`` (the difference of
        their values, score points), ``resonating focus``, ``points of parity`` and ``weaker on`` (dimension
        names joined by ", ", or "none"). Offers of equal value keep the order of ``benefits``.

    References
    ----------
    Anderson, J. C., Narus, J. A. and van Rossum, W. (2006). Customer value propositions in business markets.
    *Harvard Business Review* 84(3), 90-99. Keller, K. L., Sternthal, B. and Tybout, A. (2002). Three questions
    you need to ask about your brand. *Harvard Business Review* 80(9), 80-86.

    Examples
    --------
    >>> benefits = pd.DataFrame({"speed": [9, 6], "service": [5, 5]}, index=["ours", "rival"])
    >>> costs = pd.DataFrame({"price": [6, 5]}, index=["ours", "rival"])
    >>> segments = {"busy people": ({"speed": 0.7, "service": 0.3}, {"price": 0.5})}
    >>> out = positioning(benefits, costs, segments)   # speed 0.7 * (9 - 6) = 2.1, service 0, price -0.5 * (6 - 5)
    >>> out.loc["busy people", ["offer", "against", "resonating focus", "points of parity", "weaker on"]].tolist()
    ['ours', 'rival', 'speed', 'service', 'price']
    >>> round(float(out.loc["busy people", "value lead"]), 2)   # (6.3 + 1.5 - 3) - (4.2 + 1.5 - 2.5)
    1.6
    """
    func = "positioning"
    b = _scores(benefits, "benefits", func)
    c = _scores(costs, "costs", func)
    if not isinstance(b, pd.DataFrame) or not isinstance(c, pd.DataFrame) or len(b) < 2:
        raise ParameterError(
            f"The 'benefits' parameter of {func} must be a DataFrame with at least two offers (one row each), and "
            "'costs' one with the same offers; a positioning compares an offer with its alternative."
        )
    if list(b.index) != list(c.index):
        raise DataError(
            f"{func}: the benefits and costs tables must list the same offers in the same order; benefits has "
            f"{list(b.index)[:5]}, costs {list(c.index)[:5]}."
        )
    parity = check_number(parity, "parity", func=func, low=0)
    focus = check_number(focus, "focus", func=func, low=1, integer=True)
    rows = {}
    for group, weights in segments.items():
        if not (isinstance(weights, tuple) and len(weights) == 2):
            raise ParameterError(
                f"The 'segments' parameter of {func} must map each target group to a pair (benefit weights, cost "
                f"weights); {group!r} maps to {type(weights).__name__}."
            )
        wb = _weights(weights[0], b.columns, "segments", func)
        wc = _weights(weights[1], c.columns, "segments", func)
        ranked = pd.Series(perceived_value(b, c, benefit_weights=wb, cost_weights=wc), index=b.index)
        ranked = ranked.sort_values(ascending=False, kind="stable")
        offer, rival = ranked.index[0], ranked.index[1]
        advantage = pd.concat([wb * (b.loc[offer] - b.loc[rival]), -wc * (c.loc[offer] - c.loc[rival])])
        ahead = advantage[advantage >= parity].sort_values(ascending=False, kind="stable").head(focus)
        rows[group] = {
            "offer": offer,
            "against": rival,
            "value lead": float(ranked.iloc[0] - ranked.iloc[1]),
            "resonating focus": ", ".join(ahead.index) or "none",
            "points of parity": ", ".join(advantage[advantage.abs() < parity].index) or "none",
            "weaker on": ", ".join(advantage[advantage <= -parity].index) or "none",
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "target group"
    return out


# --------------------------------------------------------------------------------------------------
# the four customer layers and their evaluation criteria
# --------------------------------------------------------------------------------------------------

LAYER_WEIGHTS = pd.DataFrame(
    {
        "attribute": [0.6, 0.4, 0.15, 0.3],
        "consequence": [0.3, 0.4, 0.35, 0.5],
        "goal": [0.1, 0.2, 0.5, 0.2],
        "criteria": [
            "attributes and their performance: price, features, what can be checked before buying",
            "attributes and the first consequences of use: does it work as promised",
            "consequences and goals: does the relationship help me reach what I want",
            "the consequences that disappointed, judged against the alternative they moved to",
        ],
    },
    index=pd.Index(["first-time", "short-term", "long-term", "lapsed"], name="layer"),
)
"""ILLUSTRATIVE weight of each level of Woodruff's hierarchy in the evaluation of each customer layer.

Rows add up to 1. They encode the course's claim that criteria move up the hierarchy as the
relationship matures (a first-time buyer judges attributes, a long-term customer goals), in line with
Woodruff (1997) and Gardial et al. (1994), who found pre-purchase evaluations dominated by
attributes and post-purchase ones by consequences. The numbers themselves are teaching assumptions,
not estimates."""


def layer_criteria(weights: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""The evaluation criteria of the four customer layers (first-time, short-term, long-term, lapsed).

    Returns the weight table (default :data:`LAYER_WEIGHTS`) after checking that each row's weights on
    ``attribute``, ``consequence`` and ``goal`` are >= 0 and add up to 1, with a column
    ``main_level``: the level that weighs most for the layer.

    References
    ----------
    Woodruff (1997) (value changes over time); Gardial, S. F., Clemons, D. S., Woodruff, R. B.,
    Schumann, D. W. and Burns, M. J. (1994). Comparing consumers' recall of prepurchase and postpurchase
    product evaluation experiences. *Journal of Consumer Research* 20(4), 548-560.

    Examples
    --------
    >>> layer_criteria()["main_level"].to_dict()
    {'first-time': 'attribute', 'short-term': 'attribute', 'long-term': 'goal', 'lapsed': 'consequence'}
    """
    func = "layer_criteria"
    table = LAYER_WEIGHTS if weights is None else weights
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"{func} needs a DataFrame of weights (one row per layer); got {type(table).__name__}.")
    levels = ["attribute", "consequence", "goal"]
    missing = [c for c in levels if c not in table.columns]
    if missing:
        raise DataError(
            f"{func}: the weights table lacks the columns {missing}; it needs attribute, consequence and goal."
        )
    w = table[levels].apply(pd.to_numeric, errors="coerce")
    bad = w.isna().any(axis=1) | (w < 0).any(axis=1) | ~np.isclose(w.sum(axis=1), 1.0)
    if bad.any():
        raise DataError(
            f"{func}: each layer's weights must be numbers >= 0 adding up to 1; the rows "
            f"{list(table.index[bad][:5])} do not "
            f"(sums {w.sum(axis=1)[bad].round(3).tolist()[:5]})."
        )
    out = table.copy()
    out["main_level"] = w.idxmax(axis=1)
    return out


def value_by_layer(hierarchy: pd.DataFrame, weights: pd.DataFrame | None = None) -> pd.Series:
    r"""The same offer valued by each customer layer, from the level scores of :func:`hierarchy_value`.

    .. math::

        V_\ell = \sum_{k \in \{\text{attribute}, \text{consequence}, \text{goal}\}} w_{\ell k}\,\bar v_k

    where :math:`\bar v_k` is the mean score of the nodes of level :math:`k` and :math:`w_{\ell k}` the
    layer's weight (:data:`LAYER_WEIGHTS`). An offer strong on attributes but weak on goals looks better
    to first-time buyers than to long-term customers.

    Returns
    -------
    Series indexed by layer.

    References
    ----------
    Woodruff (1997).

    Examples
    --------
    >>> h = pd.DataFrame({"level": ["attribute", "consequence", "goal"], "node": ["a", "c", "g"],
    ...                   "value": [8.0, 6.0, 4.0]})
    >>> value_by_layer(h).round(2).to_dict()    # first-time: 0.6*8 + 0.3*6 + 0.1*4 = 7.0
    {'first-time': 7.0, 'short-term': 6.4, 'long-term': 5.3, 'lapsed': 6.2}
    """
    func = "value_by_layer"
    table = layer_criteria(weights)
    if not isinstance(hierarchy, pd.DataFrame) or not {"level", "value"} <= set(hierarchy.columns):
        raise DataError(f"{func} needs the table of hierarchy_value (columns level, node, value).")
    means = hierarchy.groupby("level")["value"].mean()
    missing = [k for k in ("attribute", "consequence", "goal") if k not in means.index]
    if missing:
        raise DataError(f"{func}: the hierarchy table has no rows for the levels {missing}.")
    levels = ["attribute", "consequence", "goal"]
    out = table[levels].astype(float) @ means.reindex(levels)
    out.name = "value"
    return out
