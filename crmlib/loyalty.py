"""Loyalty: Oliver's four stages, the reliability of the scales that measure them, bonds and rewards.

Oliver (1999) describes loyalty as built in four phases, each deeper than the one before:

1. **cognitive** loyalty: the customer *believes* this supplier is better (price, quality, features);
2. **affective** loyalty: the customer *likes* it (satisfying use has turned into attitude);
3. **conative** loyalty: the customer *intends* to come back (a commitment to re-buy);
4. **action** loyalty: the intention has become a *routine* that overcomes obstacles.

Multi-item scales measure the stages (McMullan and Gilmore 2003; McMullan 2005; a four-factor
confirmatory validation by Kaur and Sabharwal 2016). This module checks such a scale
(:func:`cronbach_alpha`, :func:`item_analysis`, :func:`reliability`), tests its four-factor structure
(:func:`confirmatory_factor_analysis`: maximum likelihood, CFI, TLI, RMSEA, SRMR, standardised loadings,
composite reliability and AVE), scores it
(:func:`stage_scores`), puts each respondent in one stage by a stated rule (:func:`assign_stage`),
joins the stage to behaviour in the transaction log (:func:`stage_behaviour`) and covers the economics
of keeping customers: the value gap that switching must overcome (:func:`switching_margin`), the
relationship benefits customers receive (:data:`BENEFITS`), the bonds firms build (:data:`BONDS`),
how members value rewards (:func:`reward_value`), brand versus deal loyalty
(:func:`classify_loyalty`) and a programme's break-even (:func:`programme_economics`,
:func:`break_even_lift`).

Survey items are given as a mapping ``stage -> list of columns``; by default the columns are found by
their prefix (:data:`STAGE_PREFIXES`: ``cog_``, ``aff_``, ``con_``, ``act_``), as in the bundled survey.

References
----------
Berry, L. L. and Parasuraman, A. (1991). *Marketing Services: Competing Through Quality*. Free Press.
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. *Psychometrika* 16(3), 297-334.
Dick, A. S. and Basu, K. (1994). Customer loyalty: toward an integrated conceptual framework.
*Journal of the Academy of Marketing Science* 22(2), 99-113.
Gwinner, K. P., Gremler, D. D. and Bitner, M. J. (1998). Relational benefits in services industries: the
customer's perspective. *Journal of the Academy of Marketing Science* 26(2), 101-114.
Kaur, H. and Sabharwal, N. (2016). Empirical validation of dimensionality of loyalty in the Indian context.
*Pacific Business Review International*, February 2016. (Confirmatory four-factor study.)
McMullan, R. (2005). A multiple-item scale for measuring customer loyalty development.
*Journal of Services Marketing* 19(7), 470-481.
McMullan, R. and Gilmore, A. (2003). The conceptual development of customer loyalty measurement: a proposed
scale. *Journal of Targeting, Measurement and Analysis for Marketing* 11(3), 230-243.
O'Brien, L. and Jones, C. (1995). Do rewards really create loyalty? *Harvard Business Review* 73(3), 75-82.
Oliver, R. L. (1999). Whence consumer loyalty? *Journal of Marketing* 63 (special issue), 33-44.
Lovelock, C. and Wirtz, J. (2011). *Services Marketing*, 7th ed., ch. 12 (the wheel of loyalty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from crmlib.data import DataError
from crmlib.params import ParameterError, check_choice, check_number

__all__ = [
    "STAGES",
    "STAGE_LABELS",
    "STAGE_PREFIXES",
    "BENEFIT_PREFIXES",
    "BENEFITS",
    "BONDS",
    "WHEEL_OF_LOYALTY",
    "REWARD_WEIGHTS",
    "AlphaResult",
    "CFAResult",
    "stage_items",
    "cronbach_alpha",
    "item_analysis",
    "reliability",
    "confirmatory_factor_analysis",
    "stage_scores",
    "assign_stage",
    "stage_behaviour",
    "switching_margin",
    "bonds_table",
    "reward_value",
    "reward_profile",
    "benefit_scores",
    "bond_by_stage",
    "classify_loyalty",
    "programme_economics",
    "break_even_lift",
]

#: Oliver's (1999) loyalty phases, in the order they are built.
STAGES: tuple[str, ...] = ("cognitive", "affective", "conative", "action")
#: Labels :func:`assign_stage` uses, in order: below the first stage, then the four stages.
STAGE_LABELS: tuple[str, ...] = ("none", *STAGES)
#: Default column prefixes of each stage's items (the bundled survey: ``cog_1``, ``aff_2``, ...).
STAGE_PREFIXES: dict[str, str] = {"cognitive": "cog_", "affective": "aff_", "conative": "con_", "action": "act_"}
#: Default column prefixes of the relationship-benefit items (Gwinner, Gremler and Bitner 1998).
BENEFIT_PREFIXES: dict[str, str] = {"confidence": "conf_", "social": "soc_", "special_treatment": "spec_"}

#: The three relational benefits customers report (Gwinner, Gremler and Bitner 1998).
BENEFITS: dict[str, str] = {
    "confidence": "less anxiety, trust in the provider, knowing what to expect (the benefit rated most important)",
    "social": "personal recognition by employees, familiarity, friendship with the staff",
    "special_treatment": "better prices, faster service, extra attention or customisation",
}

#: The bonds a firm builds (Berry and Parasuraman 1991's levels; Lovelock and Wirtz's wheel of loyalty),
#: the benefit each delivers, how easily competitors copy it, and the loyalty stages it works on.
#: The stage mapping is the kit's stated reading of Oliver (1999): financial rewards give reasons to
#: *believe* the offer is better (cognitive) and to repeat purchases (action) but not to like it;
#: social bonds create liking (affective) and commitment (conative); customisation and structural bonds
#: make the relationship part of how the customer works, which sustains intention and routine.
BONDS: dict[str, dict[str, object]] = {
    "financial": {
        "level": 1,
        "examples": "points, volume discounts, bundled prices",
        "benefit": "special_treatment",
        "imitable": "easily",
        "stages": ("cognitive", "action"),
    },
    "social": {
        "level": 2,
        "examples": "a personal contact, member events, recognition by name",
        "benefit": "social",
        "imitable": "with effort",
        "stages": ("affective", "conative"),
    },
    "customisation": {
        "level": 2,
        "examples": "remembered preferences, one-to-one offers, tailored service",
        "benefit": "special_treatment",
        "imitable": "with effort",
        "stages": ("affective", "conative"),
    },
    "structural": {
        "level": 3,
        "examples": "shared systems, automatic replenishment, integrated ordering",
        "benefit": "confidence",
        "imitable": "hardly",
        "stages": ("conative", "action"),
    },
}

#: The wheel of loyalty (Lovelock and Wirtz): build the foundation, then bonds, then reduce churn.
WHEEL_OF_LOYALTY: dict[str, tuple[str, ...]] = {
    "foundation": ("target the right customers", "tier the service by value", "deliver satisfaction"),
    "bonds": ("financial rewards", "social bonds", "customisation", "structural bonds"),
    "churn reduction": ("analyse churn drivers", "complaint handling and service recovery", "raise switching costs"),
}

#: Default weights of the reward dimensions (O'Brien and Jones 1995: cash value, choice of redemption
#: options, aspirational value, relevance, convenience; plus how fast the benefit comes). Equal weights:
#: the article ranks none above the others; set your own from conjoint or importance ratings.
REWARD_WEIGHTS: dict[str, float] = {
    "cash_value": 1.0,
    "choice": 1.0,
    "aspirational": 1.0,
    "relevance": 1.0,
    "convenience": 1.0,
    "speed": 1.0,
}


# --------------------------------------------------------------------------------------- items


def _require_frame(data, name: str, func: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"The {name!r} argument of {func} must be a DataFrame of survey answers; got {type(data).__name__}."
        )
    return data


def stage_items(
    survey: pd.DataFrame, items: Mapping[str, Sequence[str]] | None = None, *, prefixes: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The item columns of each stage: ``items`` checked against ``survey``, or found by prefix.

    Parameters
    ----------
    survey : DataFrame
        One row per respondent.
    items : mapping, optional
        ``stage -> list of column names``. Default: the columns whose name starts with the stage's
        prefix in ``prefixes``, sorted by name.
    prefixes : mapping, optional
        ``stage -> prefix``; default :data:`STAGE_PREFIXES`.

    Returns
    -------
    dict
        ``stage -> list of columns`` (every list non-empty).

    Examples
    --------
    >>> s = pd.DataFrame({"cog_1": [5], "cog_2": [6], "aff_1": [4], "con_1": [3], "act_1": [7]})
    >>> stage_items(s)["cognitive"]
    ['cog_1', 'cog_2']
    """
    _require_frame(survey, "survey", "stage_items")
    if items is None:
        prefixes = STAGE_PREFIXES if prefixes is None else prefixes
        items = {stage: sorted(c for c in survey.columns if str(c).startswith(p)) for stage, p in prefixes.items()}
        empty = [f"{stage} ({prefixes[stage]}*)" for stage, cols in items.items() if not cols]
        if empty:
            raise DataError(
                f"No survey columns found for: {', '.join(empty)}. Columns present: "
                f"{', '.join(map(str, survey.columns[:20]))}. Pass items={{stage: [columns]}} to name them."
            )
    out = {}
    for stage, cols in items.items():
        cols = list(cols)
        missing = [c for c in cols if c not in survey.columns]
        if missing or not cols:
            raise DataError(
                f"The items of stage {stage!r} are not all columns of the survey; missing: "
                f"{', '.join(map(str, missing)) or '(no items)'}. "
                f"Columns present: {', '.join(map(str, survey.columns[:20]))}."
            )
        out[stage] = cols
    return out


def _numeric_items(frame: pd.DataFrame, func: str) -> pd.DataFrame:
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        col = bad[0]
        coerced = pd.to_numeric(frame[col], errors="coerce")
        rows = frame.index[coerced.isna() & frame[col].notna()][:5].tolist()
        raise DataError(
            f"{func} needs numeric answers, but column {col!r} holds {frame[col].dtype}; first offending rows: {rows}. "
            "Code the answers as numbers (e.g. 1-7) and missing answers as empty cells."
        )
    return frame.astype(float)


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with an account of the missing answers.

    Attributes
    ----------
    alpha : float
        The coefficient (``nan`` if it cannot be computed, e.g. zero total variance).
    n_items : int
        Number of items *k*.
    n_respondents : int
        Rows given.
    n_used : int
        Rows used: complete rows (listwise), or rows with at least two answers (pairwise).
    n_dropped : int
        Rows left out entirely.
    answers_missing : int
        Missing answers in the rows given.
    answers_dropped : int
        Answers given but not used (the other answers of rows dropped listwise).
    missing : str
        ``"listwise"`` or ``"pairwise"``.
    """

    alpha: float
    n_items: int
    n_respondents: int
    n_used: int
    n_dropped: int
    answers_missing: int
    answers_dropped: int
    missing: str

    def __float__(self) -> float:
        return float(self.alpha)

    def __str__(self) -> str:
        return (
            f"alpha = {self.alpha:.3f} ({self.n_items} items, {self.n_used} of {self.n_respondents} respondents, "
            f"{self.missing}: {self.n_dropped} respondents dropped, {self.answers_missing} answers missing, "
            f"{self.answers_dropped} answers given but unused)"
        )


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def cronbach_alpha(items: pd.DataFrame, *, missing: str = "listwise") -> AlphaResult:
    r"""Cronbach's alpha of a multi-item scale, with missing answers handled and reported.

    .. math::

        \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_{i=1}^{k} \sigma^2_i}{\sigma^2_X}\right),
        \qquad X = \sum_{i=1}^{k} Y_i                                               \tag{1}

    with *k* items :math:`Y_i`, their variances :math:`\sigma^2_i` and the variance of the total
    :math:`\sigma^2_X = \sum_i\sum_j \sigma_{ij}` (sample variances, ``ddof=1``). Alpha is 1 when the
    items are perfectly correlated with equal variances, near 0 when they are independent; 0.7 is the
    usual floor for research use (Nunnally 1978).

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent, numeric answers (e.g. 1-7), NaN = missing.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: use complete rows only. ``"pairwise"``: each covariance :math:`\sigma_{ij}` from
        the rows that answered both *i* and *j* (keeps more data; the matrix may be inconsistent when
        much is missing).

    Returns
    -------
    AlphaResult
        ``alpha`` with the counts of respondents and answers used and dropped.

    References
    ----------
    Cronbach (1951), eq. (2); McMullan (2005) reports alpha per loyalty stage.

    Examples
    --------
    >>> y = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [1, 3, 3, 5]})
    >>> round(cronbach_alpha(y).alpha, 4)  # 3/2 * (1 - (5/3 + 5/3 + 8/3) / (52/3))
    0.9808
    """
    _require_frame(items, "items", "cronbach_alpha")
    missing = check_choice(missing, "missing", ("listwise", "pairwise"), func="cronbach_alpha")
    k = items.shape[1]
    if k < 2:
        raise ParameterError(
            f"cronbach_alpha needs at least 2 item columns; got {k} ({', '.join(map(str, items.columns))})."
        )
    y = _numeric_items(items, "cronbach_alpha")
    answered = y.notna()
    n = len(y)
    answers_missing = int((~answered).to_numpy().sum())
    if missing == "listwise":
        complete = answered.all(axis=1)
        used = y[complete]
        n_used = int(complete.sum())
        answers_dropped = int(answered[~complete].to_numpy().sum())
        cov = used.cov().to_numpy() if n_used >= 2 else np.full((k, k), np.nan)
    else:
        keep = answered.sum(axis=1) >= 2
        used = y[keep]
        n_used = int(keep.sum())
        answers_dropped = int(answered[~keep].to_numpy().sum())
        cov = used.cov(min_periods=2).to_numpy()
    if n_used < 2:
        raise DataError(
            f"cronbach_alpha has {n_used} usable respondents ({missing} handling of missing answers, "
            f"{answers_missing} answers missing among {n} respondents); it needs at least 2. "
            "Try missing='pairwise' or check the item columns."
        )
    return AlphaResult(
        alpha=_alpha_from_cov(cov),
        n_items=k,
        n_respondents=n,
        n_used=n_used,
        n_dropped=n - n_used,
        answers_missing=answers_missing,
        answers_dropped=answers_dropped,
        missing=missing,
    )


def item_analysis(items: pd.DataFrame, *, missing: str = "listwise") -> pd.DataFrame:
    r"""Per item: mean, standard deviation, corrected item-total correlation, alpha if the item is deleted.

    The corrected item-total correlation of item *i* is the correlation of :math:`Y_i` with the sum of
    the *other* items, :math:`r_{i,X-i} = \operatorname{corr}(Y_i, X - Y_i)`; values under about 0.3 flag
    an item that measures something else. ``alpha_if_deleted`` is eq. (1) of :func:`cronbach_alpha`
    on the other *k-1* items (needs *k* >= 3).

    Parameters
    ----------
    items : DataFrame
        One column per item, numeric answers, NaN = missing.
    missing : {"listwise", "pairwise"}
        As in :func:`cronbach_alpha`. Item-total correlations use complete rows in both cases.

    Returns
    -------
    DataFrame
        Index = item; columns ``mean``, ``sd``, ``n_answers``, ``item_total_r``, ``alpha_if_deleted``.

    Examples
    --------
    >>> y = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [1, 3, 3, 5]})
    >>> item_analysis(y)["item_total_r"].round(3).tolist()
    [0.984, 0.984, 0.949]
    """
    _require_frame(items, "items", "item_analysis")
    alpha_all = cronbach_alpha(items, missing=missing)  # validates
    y = _numeric_items(items, "item_analysis")
    complete = y.dropna()
    rows = []
    for col in y.columns:
        rest = complete.drop(columns=col).sum(axis=1)
        r = complete[col].corr(rest) if len(complete) >= 2 else np.nan
        if y.shape[1] >= 3:
            a = cronbach_alpha(y.drop(columns=col), missing=missing).alpha
        else:
            a = np.nan
        rows.append(
            {
                "item": col,
                "mean": y[col].mean(),
                "sd": y[col].std(),
                "n_answers": int(y[col].notna().sum()),
                "item_total_r": r,
                "alpha_if_deleted": a,
            }
        )
    out = pd.DataFrame(rows).set_index("item")
    out.attrs["alpha"] = alpha_all.alpha
    return out


def reliability(
    survey: pd.DataFrame, items: Mapping[str, Sequence[str]] | None = None, *, missing: str = "listwise"
) -> pd.DataFrame:
    """Cronbach's alpha of each stage's scale, with the missing-answer account.

    Parameters
    ----------
    survey : DataFrame
        One row per respondent.
    items : mapping, optional
        ``stage -> columns``; default found by :data:`STAGE_PREFIXES` (see :func:`stage_items`).
    missing : {"listwise", "pairwise"}
        See :func:`cronbach_alpha`.

    Returns
    -------
    DataFrame
        Index = stage; columns ``n_items``, ``alpha``, ``n_used``, ``n_dropped``, ``answers_missing``,
        ``answers_dropped``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(50, 1))
    >>> s = pd.DataFrame(f + rng.normal(scale=.5, size=(50, 2)), columns=["x_1", "x_2"])
    >>> reliability(s, {"x": ["x_1", "x_2"]})["n_items"].tolist()
    [2]
    """
    mapping = stage_items(survey, items)
    rows = {}
    for stage, cols in mapping.items():
        res = cronbach_alpha(survey[cols], missing=missing)
        rows[stage] = {
            "n_items": res.n_items,
            "alpha": res.alpha,
            "n_used": res.n_used,
            "n_dropped": res.n_dropped,
            "answers_missing": res.answers_missing,
            "answers_dropped": res.answers_dropped,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "stage"
    return out


# --------------------------------------------------------------------------------------- stages


def stage_scores(
    survey: pd.DataFrame,
    items: Mapping[str, Sequence[str]] | None = None,
    *,
    min_answers: float = 0.5,
) -> pd.DataFrame:
    r"""Each respondent's score per stage: the mean of the stage's answered items.

    .. math::  S_{ns} = \frac{1}{|A_{ns}|}\sum_{i \in A_{ns}} y_{ni}

    where :math:`A_{ns}` are the items of stage *s* respondent *n* answered. The score is NaN when
    fewer than ``min_answers`` of the stage's items are answered (a share in (0, 1]: 0.5 = at least
    half, the usual "half rule" for scale scores).

    Parameters
    ----------
    survey : DataFrame
        One row per respondent (its index is kept).
    items : mapping, optional
        ``stage -> columns``; default found by :data:`STAGE_PREFIXES`.
    min_answers : float in (0, 1]
        Least share of a stage's items that must be answered for a score.

    Returns
    -------
    DataFrame
        One column per stage, on the scale of the answers.

    Examples
    --------
    >>> s = pd.DataFrame({"cog_1": [7, 2], "cog_2": [5, None], "aff_1": [6, 3], "con_1": [5, 1], "act_1": [4, 1]})
    >>> stage_scores(s).loc[0].tolist()
    [6.0, 6.0, 5.0, 4.0]
    """
    mapping = stage_items(survey, items)
    min_answers = check_number(min_answers, "min_answers", func="stage_scores", low=0, high=1, low_open=True)
    out = {}
    for stage, cols in mapping.items():
        y = _numeric_items(survey[cols], "stage_scores")
        enough = y.notna().sum(axis=1) >= np.ceil(min_answers * len(cols) - 1e-9)
        out[stage] = y.mean(axis=1).where(enough)
    return pd.DataFrame(out, index=survey.index)


def assign_stage(scores: pd.DataFrame, *, threshold: float = 5.0, rule: str = "cumulative") -> pd.Series:
    r"""Put each respondent in one loyalty stage by a stated rule.

    ``rule="cumulative"`` (default; Oliver's phases are built in sequence): the stage is the *last*
    stage *s* in the order cognitive -> affective -> conative -> action such that the scores of *s*
    **and all earlier stages** are at least ``threshold``:

    .. math::  \text{stage}_n = \max\{s : S_{nt} \ge \tau \ \ \forall t \le s\}

    A respondent whose cognitive score is below the threshold is ``"none"``. Edge cases, stated:

    * a score exactly at the threshold reaches the stage (``>=``);
    * a missing (NaN) stage score cannot be reached, so the sequence stops before it; a missing
      cognitive score gives NaN (stage unknown);
    * a high later stage after a low earlier one does not count (e.g. cognitive 6, affective 3,
      conative 7 is cognitive): the rule does not skip phases.

    ``rule="highest"``: the stage with the highest score, provided it reaches the threshold (else
    ``"none"``); ties go to the *earlier* stage (the conservative reading); NaN scores are ignored and
    a respondent with no score is NaN.

    Parameters
    ----------
    scores : DataFrame
        Columns ``cognitive``, ``affective``, ``conative``, ``action`` (from :func:`stage_scores`).
    threshold : float
        Score that counts as holding a stage, on the scale of the answers (default 5 on a 1-7 scale:
        "somewhat agree" or more).
    rule : {"cumulative", "highest"}

    Returns
    -------
    Series
        Ordered categorical with categories :data:`STAGE_LABELS`, same index as ``scores``.

    References
    ----------
    Oliver (1999), pp. 35-36 (the four phases and their sequence).

    Examples
    --------
    >>> s = pd.DataFrame({"cognitive": [6, 6, 4], "affective": [5, 3, 6], "conative": [5, 7, 6], "action": [4, 7, 6]})
    >>> assign_stage(s).tolist()
    ['conative', 'cognitive', 'none']
    """
    if not isinstance(scores, pd.DataFrame):
        raise DataError(f"assign_stage needs a DataFrame of stage scores; got {type(scores).__name__}.")
    missing = [s for s in STAGES if s not in scores.columns]
    if missing:
        raise DataError(
            f"assign_stage needs the score columns {', '.join(STAGES)}; missing: {', '.join(missing)}. "
            "Compute them with crmlib.loyalty.stage_scores(survey)."
        )
    threshold = check_number(threshold, "threshold", func="assign_stage")
    rule = check_choice(rule, "rule", ("cumulative", "highest"), func="assign_stage")
    s = scores[list(STAGES)].astype(float).to_numpy()
    n = len(s)
    level = np.zeros(n, dtype=float)  # 0 = none, 1..4 = stage
    if rule == "cumulative":
        reached = np.nan_to_num(s, nan=-np.inf) >= threshold
        chain = np.cumprod(reached, axis=1)
        level = chain.sum(axis=1).astype(float)
        level[np.isnan(s[:, 0])] = np.nan
    else:
        all_nan = np.isnan(s).all(axis=1)
        filled = np.where(np.isnan(s), -np.inf, s)
        best = filled.argmax(axis=1)  # first maximum = earlier stage on ties
        top = filled[np.arange(n), best]
        level = np.where(top >= threshold, best + 1, 0).astype(float)
        level[all_nan] = np.nan
    labels = np.array(STAGE_LABELS, dtype=object)
    values = [labels[int(v)] if np.isfinite(v) else np.nan for v in level]
    return pd.Series(pd.Categorical(values, categories=STAGE_LABELS, ordered=True), index=scores.index, name="stage")


def stage_behaviour(stages: pd.Series, summary: pd.DataFrame, *, inactive_after: float = 180.0) -> pd.DataFrame:
    r"""How customers of each loyalty stage behave in the transaction log.

    Joins the stage of each surveyed customer (index = ``customer_id``) to the customer summary of
    :func:`crmlib.rfm.summarize` and reports per stage:

    * ``repeat_rate``: share with at least one repeat purchase (``frequency > 0``);
    * ``frequency``: mean number of repeat purchase days;
    * ``monetary_value``: mean spend per repeat purchase (customers with repeats);
    * ``repeat_spend``: mean of ``frequency * monetary_value``;
    * ``churned``: share whose last purchase lies more than ``inactive_after`` before the end of
      observation, :math:`T - \text{recency} > L` (the inactivity rule of :func:`crmlib.churn.churn_status`).

    Parameters
    ----------
    stages : Series
        Stage per customer, index = customer id (from :func:`assign_stage`).
    summary : DataFrame
        From :func:`crmlib.rfm.summarize`; ``recency`` and ``T`` in its unit.
    inactive_after : float
        *L*, in the unit of ``summary`` (default 180, i.e. days for ``unit="D"``).

    Returns
    -------
    DataFrame
        Index = stage (categories with no customer are left out); columns ``customers`` and the above.

    Examples
    --------
    >>> summ = pd.DataFrame({"frequency": [0, 3, 5], "recency": [0, 200, 300], "T": [365, 365, 365],
    ...                      "monetary_value": [0, 20, 30]}, index=pd.Index([1, 2, 3], name="customer_id"))
    >>> st = pd.Series(["none", "action", "action"], index=[1, 2, 3])
    >>> float(stage_behaviour(st, summ).loc["action", "repeat_rate"])
    1.0
    """
    if not isinstance(summary, pd.DataFrame) or not {"frequency", "recency", "T", "monetary_value"} <= set(
        summary.columns
    ):
        raise DataError(
            "stage_behaviour needs the customer summary of crmlib.rfm.summarize (columns frequency, recency, T, "
            "monetary_value)."
        )
    inactive_after = check_number(inactive_after, "inactive_after", func="stage_behaviour", low=0)
    joined = summary.join(pd.Series(stages, name="stage"), how="inner")
    if joined.empty:
        raise DataError(
            "stage_behaviour found no customer id both in the stages and in the summary; first stage ids: "
            f"{list(pd.Series(stages).index[:5])}, first summary ids: {list(summary.index[:5])}."
        )
    joined = joined.dropna(subset=["stage"])
    joined["repeat"] = joined["frequency"] > 0
    joined["repeat_spend"] = joined["frequency"] * joined["monetary_value"]
    joined["churned"] = (joined["T"] - joined["recency"]) > inactive_after
    joined["mv"] = joined["monetary_value"].where(joined["repeat"])
    g = joined.groupby("stage", observed=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "repeat_rate": g["repeat"].mean(),
            "frequency": g["frequency"].mean(),
            "monetary_value": g["mv"].mean(),
            "repeat_spend": g["repeat_spend"].mean(),
            "churned": g["churned"].mean(),
        }
    )
    if isinstance(joined["stage"].dtype, pd.CategoricalDtype):
        out = out.reindex([c for c in joined["stage"].cat.categories if c in out.index])
    return out


# ------------------------------------------------------------------------------ value gap, bonds


def switching_margin(
    value_received: ArrayLike, value_alternative: ArrayLike, switching_cost: ArrayLike
) -> float | np.ndarray:
    r"""How far a customer is from switching: value received minus the best alternative plus switching cost.

    .. math::  M = V_{\text{received}} - V_{\text{alternative}} + C_{\text{switch}}

    The customer stays while :math:`M > 0`: loyalty lasts only while what the supplier gives beats
    what the best competitor would give, net of the cost (money, time, effort, lost benefits such as
    points or a personal contact) of moving. Switching costs let a supplier keep customers whose value
    gap is negative, but only up to the size of the cost: "spurious" loyalty (Dick and Basu 1994).
    All three in the same money unit (e.g. per year). Arrays broadcast.

    Parameters
    ----------
    value_received, value_alternative, switching_cost : float or array
        ``switching_cost`` must be >= 0.

    Returns
    -------
    float or ndarray
        *M*; the customer is predicted to stay where it is > 0.

    Examples
    --------
    >>> switching_margin(100, 120, 30)
    10.0
    """
    sc = np.asarray(switching_cost, dtype=float)
    if np.any(sc < 0) or not np.all(np.isfinite(sc)):
        raise ParameterError(
            "The 'switching_cost' parameter of switching_margin must be a number in [0, inf). Got "
            f"{switching_cost!r} instead."
        )
    m = np.asarray(value_received, dtype=float) - np.asarray(value_alternative, dtype=float) + sc
    return float(m) if m.ndim == 0 else m


def bonds_table(bonds: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """The bonds a firm builds, with the benefit they deliver and the loyalty stages they work on.

    Parameters
    ----------
    bonds : mapping, optional
        Default :data:`BONDS` (Berry and Parasuraman 1991's levels, with customisation between social
        and structural as in Lovelock and Wirtz; stage mapping stated there).

    Returns
    -------
    DataFrame
        Index = bond; columns ``level``, ``examples``, ``benefit``, ``imitable`` and one boolean column
        per stage.

    Examples
    --------
    >>> bool(bonds_table().loc["social", "affective"])
    True
    """
    bonds = BONDS if bonds is None else bonds
    rows = {}
    for name, b in bonds.items():
        row = {k: v for k, v in b.items() if k != "stages"}
        stages: Any = b.get("stages", ())
        for s in STAGES:
            row[s] = s in stages
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "bond"
    return out


# ---------------------------------------------------------------------------------- rewards


def reward_value(
    ratings: pd.DataFrame, weights: Mapping[str, float] | None = None, *, prefix: str = "reward_"
) -> pd.Series:
    r"""A reward programme's value score: the weighted mean of its ratings on the reward dimensions.

    .. math::  RV = \frac{\sum_d w_d\, x_d}{\sum_d w_d}

    over the dimensions *d* that are rated (NaN ratings are left out of both sums). O'Brien and Jones
    (1995) name five elements that decide how much a reward is worth to a buyer: cash value (the
    reward's worth as a share of spend), choice of redemption options, aspirational value (something
    the buyer would like but not buy), relevance (attainable rewards) and convenience (easy to join and
    redeem); the speed of the benefit is added as a sixth (:data:`REWARD_WEIGHTS`).

    Parameters
    ----------
    ratings : DataFrame
        One row per respondent (or programme), one column per dimension, on one scale (e.g. 1-7). A
        dimension ``d`` is read from column ``d`` or, failing that, ``prefix + d`` (the bundled survey's
        ``reward_cash_value``, ...).
    weights : mapping, optional
        ``dimension -> weight >= 0`` (normalised); default :data:`REWARD_WEIGHTS` restricted to the
        dimensions present.
    prefix : str
        See ``ratings``.

    Returns
    -------
    Series
        The score, on the scale of the ratings.

    Examples
    --------
    >>> r = pd.DataFrame({"cash_value": [7, 2], "choice": [5, 2], "speed": [3, 5]})
    >>> reward_value(r, {"cash_value": 2, "choice": 1, "speed": 1}).tolist()
    [5.5, 2.75]
    """
    _require_frame(ratings, "ratings", "reward_value")

    def column(d):
        if d in ratings.columns:
            return d
        if f"{prefix}{d}" in ratings.columns:
            return f"{prefix}{d}"
        return None

    if weights is None:
        weights = {k: v for k, v in REWARD_WEIGHTS.items() if column(k) is not None}
        if not weights:
            raise DataError(
                f"reward_value found none of the reward dimensions {', '.join(REWARD_WEIGHTS)} among the columns "
                f"({', '.join(map(str, ratings.columns[:20]))}). Pass weights={{column: weight}}."
            )
    missing = [k for k in weights if column(k) is None]
    if missing:
        raise DataError(f"reward_value: the weighted dimensions {', '.join(missing)} are not columns of ratings.")
    for k, w in weights.items():
        check_number(w, f"weights[{k}]", func="reward_value", low=0)
    w = pd.Series(weights, dtype=float)
    if w.sum() <= 0:
        raise ParameterError("The 'weights' parameter of reward_value must have a positive sum. Got all zeros instead.")
    x = _numeric_items(ratings[[column(k) for k in weights]], "reward_value")
    x.columns = list(weights)
    present = x.notna()
    num = (x.fillna(0) * w).sum(axis=1)
    den = (present * w).sum(axis=1)
    return (num / den.where(den > 0)).rename("reward_value")


def reward_profile(ratings: pd.DataFrame, *, prefix: str = "reward_") -> pd.DataFrame:
    r"""Mean rating of each reward dimension with its 95 % confidence interval (normal approximation).

    .. math::  \bar x_d \pm 1.96\, s_d / \sqrt{n_d}

    Parameters
    ----------
    ratings : DataFrame
        Columns named as the keys of :data:`REWARD_WEIGHTS`, or with ``prefix`` in front.
    prefix : str

    Returns
    -------
    DataFrame
        Index = dimension (in :data:`REWARD_WEIGHTS` order); ``mean``, ``low``, ``high``, ``n``.

    Examples
    --------
    >>> float(reward_profile(pd.DataFrame({"reward_speed": [4, 6, 5]})).loc["speed", "mean"])
    5.0
    """
    _require_frame(ratings, "ratings", "reward_profile")
    rows = {}
    for d in REWARD_WEIGHTS:
        col = d if d in ratings.columns else f"{prefix}{d}"
        if col in ratings.columns:
            x = _numeric_items(ratings[[col]], "reward_profile")[col].dropna()
            half = 1.96 * x.std() / np.sqrt(len(x)) if len(x) > 1 else np.nan
            rows[d] = {"mean": x.mean(), "low": x.mean() - half, "high": x.mean() + half, "n": len(x)}
    if not rows:
        raise DataError(
            f"reward_profile found none of the reward dimensions {', '.join(REWARD_WEIGHTS)} among the columns."
        )
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "dimension"
    return out


def benefit_scores(
    survey: pd.DataFrame, items: Mapping[str, Sequence[str]] | None = None, *, min_answers: float = 0.5
) -> pd.DataFrame:
    """Each respondent's relational-benefit scores (Gwinner, Gremler and Bitner 1998): mean of answered items.

    Same rule as :func:`stage_scores`; items default to the columns with the prefixes of
    :data:`BENEFIT_PREFIXES` (``conf_``, ``soc_``, ``spec_``).

    Returns
    -------
    DataFrame
        Columns ``confidence``, ``social``, ``special_treatment``.

    Examples
    --------
    >>> s = pd.DataFrame({"conf_1": [6, 4], "soc_1": [2, 3], "spec_1": [5, None], "spec_2": [3, 4]})
    >>> benefit_scores(s).loc[0].tolist()
    [6.0, 2.0, 4.0]
    """
    mapping = stage_items(survey, items, prefixes=BENEFIT_PREFIXES)
    return stage_scores(survey, mapping, min_answers=min_answers)


def bond_by_stage(stages: pd.Series, bonds: pd.Series) -> pd.DataFrame:
    """Which bond customers of each loyalty stage value most: row shares of a stage x bond table.

    Compare with the stated mapping of :data:`BONDS` (which bonds work on which stage).

    Parameters
    ----------
    stages : Series
        Stage per respondent (from :func:`assign_stage`).
    bonds : Series
        The bond each respondent values most (``financial``, ``social``, ``customisation``, ``structural``),
        same index; NaN = no answer (left out).

    Returns
    -------
    DataFrame
        Index = stage, columns = bonds, values = share of the stage's respondents (rows sum to 1);
        ``attrs["counts"]`` holds the counts.

    Examples
    --------
    >>> table = bond_by_stage(pd.Series(["none", "none", "action"]), pd.Series(["financial", "social", "structural"]))
    >>> float(table.loc["none", "financial"])
    0.5
    """
    if len(stages) != len(bonds):
        raise ParameterError(
            "The 'stages' and 'bonds' parameters of bond_by_stage must have the same length. Got "
            f"{len(stages)} and {len(bonds)} instead."
        )
    counts = pd.crosstab(pd.Series(np.asarray(stages), name="stage"), pd.Series(np.asarray(bonds), name="bond"))
    order_r = [s for s in STAGE_LABELS if s in counts.index] + [s for s in counts.index if s not in STAGE_LABELS]
    order_c = [b for b in BONDS if b in counts.columns] + [b for b in counts.columns if b not in BONDS]
    counts = counts.reindex(index=order_r, columns=order_c)
    out = counts.div(counts.sum(axis=1), axis=0)
    out.attrs["counts"] = counts
    return out


def classify_loyalty(
    attitude: ArrayLike,
    repeat: ArrayLike,
    *,
    attitude_threshold: float = 5.0,
    repeat_threshold: float = 0.5,
    deal_driven: ArrayLike | None = None,
) -> pd.Series:
    r"""Brand loyalty versus deal loyalty: attitude crossed with repeat behaviour (Dick and Basu 1994).

    The stated rule, per customer, with attitude *A* (e.g. the mean of the affective and conative stage
    scores) and repeat behaviour *R* (e.g. a share of purchases or a repeat indicator):

    ========================  =======================  =====================
    \                         :math:`R \ge \rho`        :math:`R < \rho`
    ========================  =======================  =====================
    :math:`A \ge \tau`        ``brand loyal``           ``latent``
    :math:`A < \tau`          ``deal loyal``            ``not loyal``
    ========================  =======================  =====================

    Repeat buying without attitude is *deal* (spurious) loyalty: it lasts while the deal or the switching
    barrier does. If ``deal_driven`` is given (True where the customer says rewards or discounts are
    the main reason to buy), a repeat buyer who is deal-driven is ``deal loyal`` whatever the attitude.
    NaN in *A* or *R* gives NaN.

    Parameters
    ----------
    attitude, repeat : array-like or Series
        Same length; a Series index is kept.
    attitude_threshold : float
        :math:`\tau`, on the attitude scale (default 5 of 7).
    repeat_threshold : float
        :math:`\rho`, on the repeat scale (default 0.5).
    deal_driven : array-like of bool, optional

    Returns
    -------
    Series
        Categorical: ``brand loyal``, ``deal loyal``, ``latent``, ``not loyal``.

    Examples
    --------
    >>> classify_loyalty([6, 6, 3, 3], [1, 0, 1, 0]).tolist()
    ['brand loyal', 'latent', 'deal loyal', 'not loyal']
    """
    index = attitude.index if isinstance(attitude, pd.Series) else None
    a = np.asarray(attitude, dtype=float)
    r = np.asarray(repeat, dtype=float)
    if a.shape != r.shape:
        raise ParameterError(
            "The 'attitude' and 'repeat' parameters of classify_loyalty must have the same length. Got "
            f"{a.shape} and {r.shape} instead."
        )
    attitude_threshold = check_number(attitude_threshold, "attitude_threshold", func="classify_loyalty")
    repeat_threshold = check_number(repeat_threshold, "repeat_threshold", func="classify_loyalty")
    hi_a = a >= attitude_threshold
    hi_r = r >= repeat_threshold
    lab = np.where(hi_r, np.where(hi_a, "brand loyal", "deal loyal"), np.where(hi_a, "latent", "not loyal")).astype(
        object
    )
    if deal_driven is not None:
        d = np.asarray(deal_driven, dtype=bool)
        lab[hi_r & d] = "deal loyal"
    lab[np.isnan(a) | np.isnan(r)] = np.nan
    cats = ["brand loyal", "deal loyal", "latent", "not loyal"]
    return pd.Series(pd.Categorical(lab, categories=cats), index=index, name="loyalty_type")


# ------------------------------------------------------------------------------ programme economics


def _programme_args(func, members, revenue, margin_rate, reward_rate, running_cost):
    members = check_number(members, "members", func=func, low=0, low_open=True)
    revenue = check_number(revenue, "revenue", func=func, low=0, low_open=True)
    margin_rate = check_number(margin_rate, "margin_rate", func=func, low=0, high=1, low_open=True)
    reward_rate = check_number(
        reward_rate,
        "reward_rate",
        func=func,
        low=0,
        high=margin_rate,
        high_open=True,
        hint="Rewards must cost less than the gross margin they are paid from.",
    )
    running_cost = check_number(running_cost, "running_cost", func=func, low=0)
    return members, revenue, margin_rate, reward_rate, running_cost


def programme_economics(
    *,
    members: float,
    revenue: float,
    margin_rate: float,
    reward_rate: float,
    running_cost: float,
    spend_lift: float = 0.0,
    retention_lift: float = 0.0,
) -> pd.Series:
    r"""One year of a loyalty programme: the extra margin it earns against what it costs.

    With *N* members, revenue *R* per member per year without the programme, gross margin rate *g*,
    rewards costing a share :math:`\rho` of member revenue, a fixed running cost *F* per year, a spend lift
    *s* (members spend :math:`R(1+s)`) and a retention lift :math:`\Delta r` (the programme keeps an extra
    :math:`N\Delta r` members through the year):

    .. math::

        \text{margin without} = N R g, \qquad
        \text{margin with} = N(1+\Delta r)\,R(1+s)\,(g-\rho) - F,

        \text{net gain} = N R\left[(1+\Delta r)(1+s)(g-\rho) - g\right] - F.          \tag{1}

    Rewards are paid on *all* member spend, including what members would have bought anyway; that is
    why programmes often lose money (O'Brien and Jones 1995).

    Parameters
    ----------
    members : float
        *N* (> 0).
    revenue : float
        *R*, money per member per year (> 0).
    margin_rate : float
        *g* in (0, 1]: gross margin as a share of revenue.
    reward_rate : float
        :math:`\rho` in [0, g): cost of rewards as a share of revenue.
    running_cost : float
        *F* >= 0, money per year (IT, staff, communication).
    spend_lift, retention_lift : float
        *s* > -1 and :math:`\Delta r` in [0, 1], shares (0.05 = 5 %) per year.

    Returns
    -------
    Series
        ``margin_without``, ``reward_cost``, ``running_cost``, ``margin_with``, ``net_gain`` (money per year).

    Examples
    --------
    >>> programme_economics(members=1000, revenue=500, margin_rate=0.3, reward_rate=0.02,
    ...                     running_cost=10_000, spend_lift=0.1).round(1).to_dict()["net_gain"]
    -6000.0
    """
    members, revenue, g, rho, F = _programme_args(
        "programme_economics", members, revenue, margin_rate, reward_rate, running_cost
    )
    s = check_number(spend_lift, "spend_lift", func="programme_economics", low=-1, low_open=True)
    dr = check_number(retention_lift, "retention_lift", func="programme_economics", low=0, high=1)
    member_revenue = members * (1 + dr) * revenue * (1 + s)
    without = members * revenue * g
    reward_cost = member_revenue * rho
    with_ = member_revenue * g - reward_cost - F
    return pd.Series(
        {
            "margin_without": without,
            "reward_cost": reward_cost,
            "running_cost": F,
            "margin_with": with_,
            "net_gain": with_ - without,
        }
    )


def break_even_lift(
    *,
    members: float,
    revenue: float,
    margin_rate: float,
    reward_rate: float,
    running_cost: float,
    retention_lift: float = 0.0,
) -> float:
    r"""The spend lift at which a loyalty programme pays for itself (net gain of eq. (1) = 0).

    Solving eq. (1) of :func:`programme_economics` for *s*:

    .. math::  s^* = \frac{g + F/(N R)}{(1+\Delta r)(g-\rho)} - 1

    A negative :math:`s^*` means the retention lift alone covers the programme.

    Parameters
    ----------
    members, revenue, margin_rate, reward_rate, running_cost, retention_lift
        As in :func:`programme_economics`.

    Returns
    -------
    float
        :math:`s^*` as a share (0.12 = members must spend 12 % more).

    Examples
    --------
    >>> round(break_even_lift(members=1000, revenue=500, margin_rate=0.3, reward_rate=0.02, running_cost=10_000), 4)
    0.1429
    """
    members, revenue, g, rho, F = _programme_args(
        "break_even_lift", members, revenue, margin_rate, reward_rate, running_cost
    )
    dr = check_number(retention_lift, "retention_lift", func="break_even_lift", low=0, high=1)
    return float((g + F / (members * revenue)) / ((1 + dr) * (g - rho)) - 1)


# ------------------------------------------------------------------------- confirmatory factor analysis


@dataclass(frozen=True)
class CFAResult:
    """A confirmatory factor analysis fitted by maximum likelihood (:func:`confirmatory_factor_analysis`).

    Attributes
    ----------
    loadings : DataFrame
        Index = item; ``factor``, ``loading`` (answer points per factor sd), ``se``, ``z``,
        ``std_loading`` (the correlation of the item with its factor), ``residual_variance``
        (answer points squared) and ``r2`` (the share of the item's variance its factor explains).
    factor_correlations : DataFrame
        Factor x factor correlations (the factors have variance 1).
    factors : DataFrame
        Per factor: ``items``, ``omega`` (composite reliability), ``ave`` (average variance extracted),
        ``sqrt_ave`` and ``max_correlation`` (its largest correlation with another factor), for the
        Fornell-Larcker check of discriminant validity (``sqrt_ave > max_correlation``).
    fit : Series
        ``chi2``, ``df``, ``p_value``, ``cfi``, ``tli``, ``rmsea``, ``rmsea_low``, ``rmsea_high`` (its 90 %
        interval), ``srmr``, ``baseline_chi2``, ``baseline_df``, ``n_used``, ``n_dropped``.
    converged : bool
        Whether the optimiser reported convergence.
    message : str
        One sentence: the optimiser's state and any boundary (Heywood) estimate.
    """

    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    factors: pd.DataFrame
    fit: pd.Series
    converged: bool
    message: str

    def __str__(self) -> str:
        f = self.fit
        return (
            f"CFA, {len(self.factors)} factors, {len(self.loadings)} items, n = {int(f['n_used'])}: "
            f"chi2 = {f['chi2']:.1f} on {int(f['df'])} df (p = {f['p_value']:.3g}), CFI = {f['cfi']:.3f}, "
            f"TLI = {f['tli']:.3f}, RMSEA = {f['rmsea']:.3f} [{f['rmsea_low']:.3f}, {f['rmsea_high']:.3f}], "
            f"SRMR = {f['srmr']:.3f}. {self.message}"
        )


def _cfa_unpack(x: np.ndarray, mask: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = mask.shape[0]
    lam = np.zeros((p, k))
    lam[mask] = x[:p]
    theta = x[p : 2 * p]
    phi = np.eye(k)
    iu = np.triu_indices(k, 1)
    phi[iu] = x[2 * p :]
    phi[(iu[1], iu[0])] = x[2 * p :]
    return lam, theta, phi


def _cfa_objective(x: np.ndarray, s: np.ndarray, logdet_s: float, mask: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """The ML discrepancy F = log|Sigma| + tr(S Sigma^-1) - log|S| - p and its gradient."""
    p = s.shape[0]
    lam, theta, phi = _cfa_unpack(x, mask, k)
    sigma = lam @ phi @ lam.T + np.diag(theta)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(x)
    inv = np.linalg.inv(sigma)
    logdet = 2.0 * np.log(np.diag(chol)).sum()
    f = logdet + np.trace(s @ inv) - logdet_s - p
    g = inv - inv @ s @ inv  # dF/dSigma (symmetric)
    grad_lam = 2.0 * g @ lam @ phi
    grad_phi = 2.0 * lam.T @ g @ lam
    iu = np.triu_indices(k, 1)
    grad = np.concatenate([grad_lam[mask], np.diag(g), grad_phi[iu]])
    return float(f), grad


def _cfa_covariance(
    data: pd.DataFrame, columns: list[str], missing: str, n_obs: int | None, func: str
) -> tuple[np.ndarray, int, int]:
    if n_obs is not None:
        n = int(check_number(n_obs, "n_obs", func=func, low=2))
        cov = data.loc[columns, columns]
        s = _numeric_items(cov, func).to_numpy()
        if np.isnan(s).any() or not np.allclose(s, s.T, rtol=1e-6, atol=1e-9):
            raise DataError(
                f"{func} was given n_obs, so 'data' must be a symmetric covariance matrix without gaps over the "
                "items; pass the answers themselves (and no n_obs) otherwise."
            )
        return s, n, 0
    y = _numeric_items(data[columns], func)
    if missing == "listwise":
        used = y.dropna()
        n = len(used)
        s = used.cov(ddof=0).to_numpy() if n >= 2 else np.full((len(columns),) * 2, np.nan)
        dropped = len(y) - n
    else:
        counts = y.notna().astype(float).T @ y.notna().astype(float)
        n = int(counts.to_numpy().min())
        s = y.cov(min_periods=2).to_numpy() * (n - 1) / max(n, 1)
        dropped = int((y.notna().sum(axis=1) == 0).sum())
    if n <= len(columns):
        raise DataError(
            f"{func} has {n} usable respondents for {len(columns)} items ({missing} handling of missing answers); "
            "it needs more respondents than items. Try missing='pairwise' or use fewer items."
        )
    return s, n, dropped


def _rmsea_interval(chi2: float, df: int, n: int) -> tuple[float, float]:
    """The 90 % interval of RMSEA by inverting the noncentral chi-square (Browne and Cudeck 1993).

    The chi-square distribution functions come from ``scipy.special`` (``chdtr``, ``chndtr``: the functions
    ``scipy.stats.chi2.cdf`` and ``ncx2.cdf`` call, the same numbers), so that a survey analysis does not import
    ``scipy.stats`` (about a second of CPU).
    """
    from scipy import optimize, special

    def bound(q: float) -> float:
        if df <= 0 or special.chdtr(df, chi2) < q:
            return 0.0  # even a zero non-centrality puts chi2 below the q-quantile
        hi = max(2.0 * chi2, 10.0)
        while special.chndtr(chi2, df, hi) > q:
            hi *= 2.0
        lam = optimize.brentq(lambda nc: special.chndtr(chi2, df, nc) - q, 1e-12, hi)
        return float(np.sqrt(lam / (df * n)))

    return bound(0.95), bound(0.05)


def _cfa_items(
    data: pd.DataFrame, items: Mapping[str, Sequence[str]] | None, n_obs: int | None, func: str
) -> Mapping[str, Sequence[str]]:
    """The items of each factor: the stages found by prefix, or those given, checked against the answers' columns."""
    if items is None:
        if n_obs is not None:
            raise ParameterError(f"{func} needs items={{factor: [columns]}} when data is a covariance matrix.")
        return stage_items(data)
    if n_obs is None:
        return stage_items(data, items)
    return items


def _cfa_model(
    data: pd.DataFrame, items: Mapping[str, Sequence[str]] | None, n_obs: int | None, func: str
) -> tuple[list[str], list[str], np.ndarray]:
    """The factors, the items in factor order and the factor of each item (its position in the factors), checked."""
    items = _cfa_items(data, items, n_obs, func)
    factors = [str(f) for f in items]
    columns = [c for cols in items.values() for c in cols]
    k, p = len(factors), len(columns)
    if len(set(columns)) != p:
        raise ParameterError(f"Each item must belong to one factor only in the 'items' argument of {func}.")
    short = [f for f in factors if len(items[f]) < 2]
    if short or (k == 1 and p < 3):
        raise ParameterError(
            f"The 'items' argument of {func} needs at least two items per factor (three for a single factor); "
            f"too few in: {', '.join(short or factors)}."
        )
    return factors, columns, np.repeat(np.arange(k), [len(items[f]) for f in items])


def _cfa_log_det(s: np.ndarray, func: str) -> float:
    """log|S| of the items' covariance matrix, which must be positive definite."""
    sign, logdet_s = np.linalg.slogdet(s)
    if sign <= 0:
        raise DataError(
            f"The covariance matrix of the items in {func} is singular (an item is constant or a copy of "
            "others); drop that item from 'items'."
        )
    return logdet_s


def _cfa_start(s: np.ndarray, factor_of: np.ndarray, k: int) -> tuple[np.ndarray, list[tuple[float | None, ...]]]:
    """Starting values and bounds: each loading from the item's mean correlation with its factor's other items."""
    p = s.shape[0]
    sd = np.sqrt(np.diag(s))
    r = s / np.outer(sd, sd)
    lam0 = np.empty(p)
    for j in range(p):
        same = (factor_of == factor_of[j]) & (np.arange(p) != j)
        lam0[j] = sd[j] * np.sqrt(np.clip(np.abs(r[j, same]).mean(), 0.1, 0.9))
    theta0 = np.maximum(sd**2 - lam0**2, 0.1 * sd**2)
    iu = np.triu_indices(k, 1)
    sums = np.column_stack([(r[:, factor_of == f]).sum(axis=1) for f in range(k)])
    block = np.array([[sums[factor_of == a, b].sum() for b in range(k)] for a in range(k)])
    phi0 = block / np.sqrt(np.outer(np.diag(block), np.diag(block)))
    x0 = np.concatenate([lam0, theta0, np.clip(phi0[iu], -0.9, 0.9)])
    bounds: list[tuple[float | None, ...]] = (
        [(None, None)] * p + [(1e-6 * v, None) for v in sd**2] + [(-0.999, 0.999)] * len(iu[0])
    )
    return x0, bounds


def _cfa_minimise(s: np.ndarray, logdet_s: float, mask: np.ndarray, factor_of: np.ndarray) -> Any:
    """The minimum of the discrepancy, eq. (1), by L-BFGS-B from the starting values (scipy's OptimizeResult)."""
    from scipy import optimize

    k = mask.shape[1]
    x0, bounds = _cfa_start(s, factor_of, k)
    return optimize.minimize(
        _cfa_objective,
        x0,
        args=(s, logdet_s, mask, k),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-9},
    )


def _cfa_oriented(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Loadings, error variances, factor correlations and the parameter vector, each factor's loadings summing >= 0."""
    k = mask.shape[1]
    lam, theta, phi = _cfa_unpack(x, mask, k)
    # a factor's sign is arbitrary: make its loadings sum positive
    flip = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    lam, phi = lam * flip, phi * np.outer(flip, flip)
    return lam, theta, phi, np.concatenate([lam[mask], theta, phi[np.triu_indices(k, 1)]])


def _cfa_standard_errors(x: np.ndarray, s: np.ndarray, logdet_s: float, mask: np.ndarray, n: int) -> np.ndarray:
    """Standard errors from the observed information (n / 2) H of the discrepancy, H by central differences."""
    k = mask.shape[1]
    q = x.size
    h = 1e-5 * np.maximum(np.abs(x), 1e-2)
    hess = np.empty((q, q))
    for j in range(q):
        up, down = x.copy(), x.copy()
        up[j] += h[j]
        down[j] -= h[j]
        hess[:, j] = (_cfa_objective(up, s, logdet_s, mask, k)[1] - _cfa_objective(down, s, logdet_s, mask, k)[1]) / (
            2 * h[j]
        )
    hess = (hess + hess.T) / 2
    try:
        return np.sqrt(np.clip(np.diag(np.linalg.inv(hess * n / 2)), 0, None))
    except np.linalg.LinAlgError:
        return np.full(q, np.nan)


def _cfa_factor_table(
    factors: list[str], factor_of: np.ndarray, loading: np.ndarray, std: np.ndarray, theta: np.ndarray, phi: np.ndarray
) -> pd.DataFrame:
    """Per factor: items, composite reliability, average variance extracted and the largest correlation."""
    rows = {}
    for f_i, name in enumerate(factors):
        sel = factor_of == f_i
        total = loading[sel].sum()
        others = np.delete(np.abs(phi[f_i]), f_i)
        ave = float(np.mean(std[sel] ** 2))
        rows[name] = {
            "items": int(sel.sum()),
            "omega": float(total**2 / (total**2 + theta[sel].sum())),
            "ave": ave,
            "sqrt_ave": float(np.sqrt(ave)),
            "max_correlation": float(others.max()) if others.size else np.nan,
        }
    factor_table = pd.DataFrame.from_dict(rows, orient="index")
    factor_table.index.name = "factor"
    return factor_table


def _cfa_fit_indices(
    s: np.ndarray, sigma: np.ndarray, logdet_s: float, f_min: float, n: int, q: int, dropped: int
) -> pd.Series:
    """The fit indices of eq. (2), with the baseline model of uncorrelated items."""
    from scipy import special

    p = s.shape[0]
    sd = np.sqrt(np.diag(s))
    df = p * (p + 1) // 2 - q
    chi2 = n * f_min
    base = n * float(np.log(np.diag(s)).sum() - logdet_s)
    df0 = p * (p - 1) // 2
    d, d0 = max(chi2 - df, 0.0), max(base - df0, 0.0)
    cfi = 1.0 - d / max(d, d0) if max(d, d0) > 0 else 1.0
    tli = (base / df0 - chi2 / df) / (base / df0 - 1) if df > 0 else np.nan
    rmsea = float(np.sqrt(d / (df * n))) if df > 0 else np.nan
    low, high = _rmsea_interval(chi2, df, n) if df > 0 else (np.nan, np.nan)
    resid = (s - sigma) / np.outer(sd, sd)
    srmr = float(np.sqrt(np.mean(resid[np.triu_indices(p)] ** 2)))
    return pd.Series(
        {
            "chi2": chi2,
            "df": float(df),
            "p_value": float(special.chdtrc(df, chi2)) if df > 0 else np.nan,  # scipy.stats.chi2.sf
            "cfi": cfi,
            "tli": tli,
            "rmsea": rmsea,
            "rmsea_low": low,
            "rmsea_high": high,
            "srmr": srmr,
            "baseline_chi2": base,
            "baseline_df": float(df0),
            "n_used": float(n),
            "n_dropped": float(dropped),
        },
        name="fit",
    )


def _cfa_message(
    opt: Any, columns: list[str], theta: np.ndarray, s: np.ndarray, factors: list[str], phi: np.ndarray
) -> str:
    """One sentence: whether the optimiser converged, and the estimates at a boundary (a Heywood case)."""
    iu = np.triu_indices(len(factors), 1)
    sd = np.sqrt(np.diag(s))
    boundary = [c for c, t, v in zip(columns, theta, sd**2) if t <= 1.01e-6 * v]
    boundary += [f"{factors[a]}~{factors[b]}" for a, b in zip(*iu) if abs(phi[a, b]) >= 0.998]
    message = "The optimiser converged" if opt.success else f"The optimiser did not converge ({opt.message})"
    if boundary:
        message += (
            f"; estimates at a boundary (a Heywood case: error variance 0 or factor correlation 1): "
            f"{', '.join(boundary)}, so the model does not suit these data."
        )
    else:
        message += "; no estimate is at a boundary."
    return message


def confirmatory_factor_analysis(
    data: pd.DataFrame,
    items: Mapping[str, Sequence[str]] | None = None,
    *,
    missing: str = "listwise",
    n_obs: int | None = None,
) -> CFAResult:
    r"""Confirmatory factor analysis of a multi-factor scale by maximum likelihood, with fit indices.

    Each item loads on one factor only (a congeneric measurement model); the factors have variance 1
    and correlate freely; item errors are independent:

    .. math::

        \Sigma(\theta) = \Lambda \Phi \Lambda^\top + \Theta, \qquad
        F_{ML} = \log|\Sigma| + \operatorname{tr}(S\Sigma^{-1}) - \log|S| - p,              \tag{1}

    minimised over the free loadings :math:`\Lambda`, factor correlations :math:`\Phi` and error variances
    :math:`\Theta` (diagonal), with *S* the sample covariance of the *p* items (divisor *n*). The fit
    statistics follow lavaan's defaults (Rosseel 2012), with :math:`\chi^2 = n F_{ML}` on
    :math:`df = p(p+1)/2 - q` degrees of freedom (*q* free parameters) and :math:`\chi^2_0` on
    :math:`df_0 = p(p-1)/2` for the baseline model of uncorrelated items:

    .. math::

        \text{CFI} = 1 - \frac{\max(\chi^2 - df, 0)}{\max(\chi^2 - df,\ \chi^2_0 - df_0,\ 0)}, \qquad
        \text{TLI} = \frac{\chi^2_0/df_0 - \chi^2/df}{\chi^2_0/df_0 - 1},

        \text{RMSEA} = \sqrt{\frac{\max(\chi^2 - df, 0)}{df\, n}}, \qquad
        \text{SRMR} = \sqrt{\frac{2}{p(p+1)} \sum_{i \le j}
            \left(\frac{s_{ij} - \hat\sigma_{ij}}{\sqrt{s_{ii} s_{jj}}}\right)^2}.            \tag{2}

    Usual benchmarks of good fit (Hu and Bentler 1999): CFI and TLI at least 0.95, RMSEA at most 0.06,
    SRMR at most 0.08. Beyond the fit, each factor's composite reliability
    :math:`\omega = (\sum\lambda_j)^2 / ((\sum\lambda_j)^2 + \sum\theta_j)` and average variance
    extracted :math:`\text{AVE} = \frac{1}{k}\sum \lambda^{*2}_j` (standardised loadings) give the
    Fornell-Larcker check: a factor is distinct from the others when :math:`\sqrt{\text{AVE}}` exceeds
    its correlations with them. Standard errors come from the observed information (a numerical Hessian
    of eq. (1)) and assume multivariate normal answers; Likert answers are not, so read them as rough.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, numeric answers, NaN = missing. With ``n_obs``: a covariance matrix of
        the items instead (index and columns = item names).
    items : mapping, optional
        ``factor -> list of item columns`` (each item in one factor; at least two items per factor, three
        for a one-factor model). Default: the loyalty stages found by :data:`STAGE_PREFIXES`.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: complete rows only (reported in ``fit["n_dropped"]``). ``"pairwise"``: each
        covariance from the rows that answered both items, with *n* = the smallest pair count.
    n_obs : int, optional
        Sample size when ``data`` is a covariance matrix (to refit a published matrix).

    Returns
    -------
    CFAResult
        Loadings (raw and standardised, with standard errors), factor correlations, reliability per
        factor and the fit indices.

    References
    ----------
    Jöreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor analysis.
    *Psychometrika* 34(2), 183-202. Hu, L. and Bentler, P. M. (1999). Cutoff criteria for fit indexes in
    covariance structure analysis. *Structural Equation Modeling* 6(1), 1-55. Fornell, C. and Larcker,
    D. F. (1981). *Journal of Marketing Research* 18(1), 39-50. Rosseel, Y. (2012). lavaan: an R package
    for structural equation modeling. *Journal of Statistical Software* 48(2). Kaur and Sabharwal (2016)
    fit this four-factor model to a loyalty scale.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=2000)
    >>> y = pd.DataFrame({f"a{j}": f[:, 0] + rng.normal(size=2000) for j in range(3)}
    ...                  | {f"b{j}": f[:, 1] + rng.normal(size=2000) for j in range(3)})
    >>> res = confirmatory_factor_analysis(y, {"A": ["a0", "a1", "a2"], "B": ["b0", "b1", "b2"]})
    >>> res.loadings["std_loading"].round(1).tolist()  # true: 1 / sqrt(2) = 0.71
    [0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    >>> round(float(res.factor_correlations.loc["A", "B"]), 1), bool(res.fit["cfi"] > 0.99)
    (0.5, True)
    """
    func = "confirmatory_factor_analysis"
    _require_frame(data, "data", func)
    missing = check_choice(missing, "missing", ("listwise", "pairwise"), func=func)
    factors, columns, factor_of = _cfa_model(data, items, n_obs, func)
    s, n, dropped = _cfa_covariance(data, columns, missing, n_obs, func)
    logdet_s = _cfa_log_det(s, func)
    mask = np.zeros((len(columns), len(factors)), dtype=bool)
    mask[np.arange(len(columns)), factor_of] = True
    opt = _cfa_minimise(s, logdet_s, mask, factor_of)
    lam, theta, phi, x = _cfa_oriented(opt.x, mask)
    se = _cfa_standard_errors(x, s, logdet_s, mask, n)
    sigma = lam @ phi @ lam.T + np.diag(theta)
    loading = lam[mask]
    std = loading / np.sqrt(np.diag(sigma))
    p = len(columns)
    table = pd.DataFrame(
        {
            "factor": [factors[f] for f in factor_of],
            "loading": loading,
            "se": se[:p],
            "z": loading / se[:p],
            "std_loading": std,
            "residual_variance": theta,
            "r2": std**2,
        },
        index=pd.Index(columns, name="item"),
    )
    return CFAResult(
        table,
        pd.DataFrame(phi, index=factors, columns=factors),
        _cfa_factor_table(factors, factor_of, loading, std, theta, phi),
        _cfa_fit_indices(s, sigma, logdet_s, opt.fun, n, x.size, dropped),
        bool(opt.success),
        _cfa_message(opt, columns, theta, s, factors, phi),
    )
