r"""A simulated loyalty survey of the bundled customers, with its ground truth.

The questionnaire follows the structure of the published loyalty-development scales: Oliver's (1999)
four phases (cognitive, affective, conative, action loyalty), measured with several 7-point Likert items
each, as in McMullan and Gilmore (2003) and McMullan (2005), whose four-factor structure Kaur and
Sabharwal (2016) confirmed. The item wording (:data:`SURVEY_ITEMS`) is the kit's own, written in the
spirit of those scales, not copied from them. It adds the relational benefits of Gwinner, Gremler and
Bitner (1998) (confidence, social, special treatment), the bond the customer values most (financial,
social, customisation, structural) and ratings of the loyalty programme's rewards on the dimensions
of O'Brien and Jones (1995) plus how quickly the benefit comes.

The answers are simulated from a stated factor model linked to each customer's *true* behaviour in
the retail log (purchase rate, dropout probability, spend), so chapters can show that the loyalty stage
goes with repeat buying, spend and churn. Nothing here comes from real respondents.

References
----------
Gwinner, K. P., Gremler, D. D. and Bitner, M. J. (1998). Relational benefits in services industries:
the customer's perspective. *Journal of the Academy of Marketing Science* 26(2), 101-114.
Kaur, H. and Sabharwal, N. (2016). Empirical validation of dimensionality of loyalty in the Indian
context. *Pacific Business Review International*, February 2016.
McMullan, R. (2005). A multiple-item scale for measuring customer loyalty development. *Journal of
Services Marketing* 19(7), 470-481.
McMullan, R. and Gilmore, A. (2003). The conceptual development of customer loyalty measurement: a
proposed scale. *Journal of Targeting, Measurement and Analysis for Marketing* 11(3), 230-243.
O'Brien, L. and Jones, C. (1995). Do rewards really create loyalty? *Harvard Business Review* 73(3).
Oliver, R. L. (1999). Whence consumer loyalty? *Journal of Marketing* 63 (special issue), 33-44.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib.datasets._files import attach, bundled_path
from crmlib.params import ParameterError, check_number

__all__ = [
    "make_survey",
    "load_survey",
    "SURVEY_ITEMS",
    "SURVEY_STAGES",
    "SURVEY_LOADINGS",
    "SURVEY_THRESHOLDS",
    "BOND_OPTIONS",
    "BUNDLED_SURVEY",
]

#: Oliver's (1999) four loyalty phases, in the order they are built, with their item prefix.
SURVEY_STAGES: dict[str, str] = {"cognitive": "cog", "affective": "aff", "conative": "con", "action": "act"}

#: The questionnaire: column -> statement (7-point scale, 1 = strongly disagree ... 7 = strongly agree).
#: "the store" stands for the retailer of the bundled log.
SURVEY_ITEMS: dict[str, str] = {
    # cognitive loyalty: beliefs that the store's offer is better
    "cog_1": "The store offers better value for money than other stores I know.",
    "cog_2": "The quality of what I buy at the store is better than elsewhere.",
    "cog_3": "The store's prices are fair for what I get.",
    "cog_4": "When I need these products, the store is the first place I think of.",
    # affective loyalty: liking, built from satisfying use
    "aff_1": "I enjoy shopping at the store.",
    "aff_2": "I like the store more than the other stores I use.",
    "aff_3": "Shopping at the store puts me in a good mood.",
    "aff_4": "I have grown fond of the store.",
    # conative loyalty: commitment, the intention to buy again
    "con_1": "I intend to keep buying from the store.",
    "con_2": "The store will be my first choice the next time I buy these products.",
    "con_3": "I plan to buy more from the store in the coming year.",
    "con_4": "I would recommend the store to friends and family.",
    # action loyalty: intention turned into action, overcoming obstacles
    "act_1": "I would buy from the store even if a competitor offered a better deal.",
    "act_2": "I go out of my way to buy at the store.",
    "act_3": "I keep buying from the store even when it is less convenient.",
    "act_4": "I would stay with the store even after a disappointing experience.",
    # relational benefits (Gwinner, Gremler and Bitner 1998)
    "conf_1": "I know what to expect when I shop at the store.",
    "conf_2": "I trust the store to treat me fairly.",
    "conf_3": "I feel less anxious buying from the store than from a store I do not know.",
    "soc_1": "Staff at the store recognise me.",
    "soc_2": "I am on friendly terms with people who work at the store.",
    "soc_3": "I enjoy the personal contact I have with the store's staff.",
    "spec_1": "The store gives me better deals than most customers get.",
    "spec_2": "I get faster service at the store than most customers.",
    "spec_3": "The store does extra things for me that it does not do for most customers.",
    # the loyalty programme's rewards (O'Brien and Jones 1995; speed of the benefit)
    "reward_cash_value": "The programme's rewards are worth real money to me.",
    "reward_choice": "I can choose among many ways to use my points.",
    "reward_aspirational": "The rewards include things I would love to have but would not buy myself.",
    "reward_relevance": "The rewards are within reach for a customer like me.",
    "reward_convenience": "Collecting and using rewards is easy.",
    "reward_speed": "I get the benefit soon after I buy.",
    # single choice and yes/no
    "bond_most_valued": "Which matters most to you in your relationship with the store? "
    "(financial: discounts and points; social: personal contact; customisation: service tailored to me; "
    "structural: systems that make buying easy, such as automatic reorders)",
    "deal_driven": "Are discounts or rewards the main reason you buy at the store? (yes/no)",
}

#: Answer options of ``bond_most_valued``.
BOND_OPTIONS: tuple[str, ...] = ("financial", "social", "customisation", "structural")

#: Loadings of the four items of each stage on their stage factor (answer points per factor point).
SURVEY_LOADINGS: tuple[float, ...] = (1.0, 0.9, 0.8, 1.1)

#: Where each stage starts on the latent loyalty scale (scale points): the stage factor is
#: ``loyalty - threshold + noise``, so later stages need more loyalty.
SURVEY_THRESHOLDS: dict[str, float] = {"cognitive": -1.0, "affective": -0.3, "conative": 0.3, "action": 1.0}

#: Settings of the bundled ``data/survey.csv`` (respondents among the customers of ``customers.csv``).
BUNDLED_SURVEY: dict[str, Any] = {"seed": 1999, "response_rate": 0.3, "missing_rate": 0.02}

# model constants (documented in make_survey and data/README.md)
_BEHAVIOUR_WEIGHTS = {"purchase_rate": 0.55, "retention": 0.45, "spend": 0.2}  # on standardised behaviour
_LOYALTY_SD = 1.3  # sd of the latent loyalty, scale points
_STAGE_NOISE_SD = 0.8  # stage-specific part of each stage factor
_ITEM_NOISE_SD = 1.0  # item error, scale points
_CENTRE = 5.0  # answer of an item whose factor is 0 ("somewhat agree": the stage is just held)
_BENEFIT_LINK = {"confidence": 0.7, "social": 0.4, "special_treatment": 0.3}  # on loyalty, plus N(0, 1)
_BENEFIT_CENTRE = {"confidence": 4.8, "social": 3.4, "special_treatment": 3.6}
_REWARD_CENTRE = {
    "cash_value": 4.6, "choice": 4.0, "aspirational": 3.6, "relevance": 4.4, "convenience": 4.8, "speed": 4.2,
}
_REWARD_LINK = 0.3  # reward ratings rise a little with loyalty


_LIKERT_COLUMNS = tuple(c for c in SURVEY_ITEMS if c not in ("bond_most_valued", "deal_driven"))


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _likert(latent: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(latent), 1, 7)


def make_survey(
    customers: pd.DataFrame,
    *,
    seed: int | None = 0,
    response_rate: float = 0.3,
    missing_rate: float = 0.02,
) -> pd.DataFrame:
    r"""Simulate a loyalty survey answered by a random sample of the customers.

    The model, in scale points of the 7-point answers. Each respondent's latent loyalty :math:`\eta`
    depends on their true behaviour in the log (standardised :math:`z(\cdot)` over the respondents):

    .. math::

        s = 0.55\,z(\log\lambda) + 0.45\,z(\operatorname{logit}(1-p)) + 0.2\,z(\log \bar z), \qquad
        \eta = 1.3\,z\big(s + \sqrt{\max(1 - \operatorname{Var}(s), 0.25)}\,\varepsilon\big), \quad
        \varepsilon \sim N(0, 1)

    with :math:`\lambda` the purchase rate, :math:`p` the dropout probability, :math:`\bar z` the
    mean spend (columns ``true_lambda``, ``true_p``, ``true_mean_spend`` of ``customers``), so more
    frequent, more durable and bigger-spending customers are more loyal. Each of Oliver's stages *s*
    has a factor :math:`F_s = \eta - c_s + u_s`, :math:`u_s \sim N(0, 0.8^2)`, with the stage thresholds
    :math:`c_s` of :data:`SURVEY_THRESHOLDS` (later stages need more loyalty), and each item *j* of
    stage *s* is

    .. math::

        y_j = \operatorname{clip}_{[1, 7]}\operatorname{round}(5 + \ell_j F_s + e_j), \qquad
        e_j \sim N(0, 1),

    with loadings :math:`\ell_j` of :data:`SURVEY_LOADINGS`. An item is answered "somewhat agree" (5)
    on average when its stage factor is 0, so the true stage (``true_stage``) is the last stage
    reached in sequence: the last *s* with :math:`F_t \ge 0` for every stage :math:`t \le s`
    (``"none"`` if :math:`F_{cognitive} < 0`), the cumulative rule of
    :func:`crmlib.loyalty.assign_stage` with threshold 5. With these settings each stage's four items
    have a Cronbach's alpha of about 0.8-0.9.

    Relational benefits: latent :math:`B_k = \gamma_k \eta + N(0, 1)` (:math:`\gamma` = 0.7 for
    confidence, 0.4 social, 0.3 special treatment, so confidence benefits go most with loyalty, as
    Gwinner, Gremler and Bitner found them the most important), three items each with loading 1 and
    error sd 1 around a centre of 4.8, 3.4 and 3.6. The bond valued most is the option with the
    highest utility plus Gumbel noise: financial :math:`-0.8 F_{affective}`, social :math:`B_{social}`,
    customisation :math:`B_{special}`, structural :math:`0.5 B_{confidence} + 0.3 F_{action}`. Reward
    ratings: :math:`\text{centre}_k + 0.3\,\eta + N(0, 1.2^2)`, rounded and clipped to 1-7.
    ``deal_driven`` is true with probability :math:`\sigma(-1 - 0.9 F_{affective} + 0.4(y_{cash} - 4))`.

    Respondents are a simple random sample (every customer equally likely to respond). Each Likert
    answer and ``bond_most_valued`` is then missing completely at random with probability
    ``missing_rate``.

    Parameters
    ----------
    customers : DataFrame
        One row per customer with ``customer_id``, ``true_lambda``, ``true_p`` and
        ``true_mean_spend`` (as from :func:`make_retail` or :func:`load_customers`).
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    response_rate : float in (0, 1]
        Share of customers who answer.
    missing_rate : float in [0, 0.5]
        Probability that each single answer is left blank.

    Returns
    -------
    DataFrame
        One row per respondent (sorted by ``customer_id``): the item columns of :data:`SURVEY_ITEMS`
        (floats 1-7 with NaN for blanks; ``bond_most_valued`` text; ``deal_driven`` bool) and the
        truth: ``true_stage``, ``true_loyalty`` (:math:`\eta`), ``true_cognitive``,
        ``true_affective``, ``true_conative``, ``true_action`` (:math:`F_s`), ``true_confidence``,
        ``true_social``, ``true_special_treatment`` (:math:`B_k`). ``attrs["true_params"]`` holds the
        loadings, thresholds and every constant above.

    References
    ----------
    Oliver (1999); McMullan and Gilmore (2003); McMullan (2005); Kaur and Sabharwal (2016);
    Gwinner, Gremler and Bitner (1998); O'Brien and Jones (1995).

    Examples
    --------
    >>> from crmlib.datasets import make_retail
    >>> survey = make_survey(make_retail(500, seed=1).customers, seed=2, response_rate=0.5)
    >>> len(survey), bool(survey["true_stage"].isin(["none", "cognitive", "affective", "conative", "action"]).all())
    (250, True)
    """
    func = "make_survey"
    if not isinstance(customers, pd.DataFrame):
        raise ParameterError(
            f"The 'customers' parameter of make_survey must be a DataFrame of customers (e.g. "
            f"make_retail(...).customers or load_customers()). Got {type(customers).__name__} instead."
        )
    needed = ["customer_id", "true_lambda", "true_p", "true_mean_spend"]
    missing = [c for c in needed if c not in customers.columns]
    if missing:
        raise ParameterError(
            f"The 'customers' parameter of make_survey needs the columns {', '.join(needed)}; missing: "
            f"{', '.join(missing)}. Pass make_retail(...).customers or load_customers(), which carry the true "
            "behaviour."
        )
    response_rate = check_number(response_rate, "response_rate", func=func, low=0, high=1, low_open=True)
    missing_rate = check_number(missing_rate, "missing_rate", func=func, low=0, high=0.5)
    rng = np.random.default_rng(seed)
    n_all = len(customers)
    n = int(round(response_rate * n_all))
    if n < 2:
        raise ParameterError(
            f"The 'response_rate' parameter of make_survey must leave at least 2 respondents; "
            f"{response_rate} of {n_all} customers gives {n}. Raise it or pass more customers."
        )
    pick = np.sort(rng.choice(n_all, size=n, replace=False))
    resp = customers.iloc[pick]
    lam = resp["true_lambda"].to_numpy(float)
    drop = np.clip(resp["true_p"].to_numpy(float), 1e-9, 1 - 1e-9)
    spend = resp["true_mean_spend"].to_numpy(float)
    w = _BEHAVIOUR_WEIGHTS
    signal = (
        w["purchase_rate"] * _standardise(np.log(np.maximum(lam, 1e-12)))
        + w["retention"] * _standardise(np.log((1 - drop) / drop))
        + w["spend"] * _standardise(np.log(spend))
    )
    noise = rng.standard_normal(n)
    raw = signal + np.sqrt(max(1 - signal.var(), 0.25)) * noise
    loyalty = _LOYALTY_SD * _standardise(raw)

    out: dict[str, Any] = {"customer_id": resp["customer_id"].to_numpy()}
    factors = {}
    for stage in SURVEY_STAGES:
        factors[stage] = loyalty - SURVEY_THRESHOLDS[stage] + _STAGE_NOISE_SD * rng.standard_normal(n)
    for stage, prefix in SURVEY_STAGES.items():
        for j, load in enumerate(SURVEY_LOADINGS, start=1):
            out[f"{prefix}_{j}"] = _likert(_CENTRE + load * factors[stage] + _ITEM_NOISE_SD * rng.standard_normal(n))
    benefits = {}
    for name, prefix in (("confidence", "conf"), ("social", "soc"), ("special_treatment", "spec")):
        benefits[name] = _BENEFIT_LINK[name] * loyalty + rng.standard_normal(n)
        for j in range(1, 4):
            noise = _ITEM_NOISE_SD * rng.standard_normal(n)
            out[f"{prefix}_{j}"] = _likert(_BENEFIT_CENTRE[name] + benefits[name] + noise)
    for name, centre in _REWARD_CENTRE.items():
        out[f"reward_{name}"] = _likert(centre + _REWARD_LINK * loyalty + 1.2 * rng.standard_normal(n))
    utility = np.column_stack(
        [
            -0.8 * factors["affective"],
            benefits["social"],
            benefits["special_treatment"],
            0.5 * benefits["confidence"] + 0.3 * factors["action"],
        ]
    ) + rng.gumbel(size=(n, 4))
    out["bond_most_valued"] = np.asarray(BOND_OPTIONS, dtype=object)[utility.argmax(axis=1)]
    p_deal = 1 / (1 + np.exp(-(-1.0 - 0.9 * factors["affective"] + 0.4 * (out["reward_cash_value"] - 4))))
    out["deal_driven"] = rng.uniform(size=n) < p_deal

    # true stage: the cumulative rule on the stage factors
    reached = np.column_stack([factors[s] >= 0 for s in SURVEY_STAGES])
    level = np.cumprod(reached, axis=1).sum(axis=1)
    labels = np.array(("none", *SURVEY_STAGES), dtype=object)
    answer_cols = [c for c in out if c not in ("customer_id", "deal_driven")]
    survey = pd.DataFrame(out)
    blank = rng.uniform(size=(n, len(answer_cols))) < missing_rate
    for k, col in enumerate(answer_cols):
        if blank[:, k].any():
            survey.loc[blank[:, k], col] = np.nan
    survey["true_stage"] = labels[level]
    survey["true_loyalty"] = loyalty
    for stage in SURVEY_STAGES:
        survey[f"true_{stage}"] = factors[stage]
    for name in benefits:
        survey[f"true_{name}"] = benefits[name]
    survey = survey.reset_index(drop=True)
    params = {
        "generator": "crmlib.datasets.make_survey",
        "seed": seed,
        "respondents": n,
        "response_rate": response_rate,
        "missing_rate": missing_rate,
        "scale": "7-point Likert, 1 = strongly disagree, 7 = strongly agree",
        "behaviour_weights": dict(_BEHAVIOUR_WEIGHTS),
        "loyalty_sd": _LOYALTY_SD,
        "stage_thresholds": dict(SURVEY_THRESHOLDS),
        "stage_noise_sd": _STAGE_NOISE_SD,
        "item_centre": _CENTRE,
        "item_loadings": {f"{p}_{j}": SURVEY_LOADINGS[j - 1] for p in SURVEY_STAGES.values() for j in range(1, 5)},
        "item_noise_sd": _ITEM_NOISE_SD,
        "benefit_link": dict(_BENEFIT_LINK),
        "benefit_centre": dict(_BENEFIT_CENTRE),
        "reward_centre": dict(_REWARD_CENTRE),
        "reward_link": _REWARD_LINK,
        "stage_rule": "last stage s with F_t >= 0 for all t <= s (assign_stage cumulative, threshold 5)",
    }
    survey.attrs["true_params"] = params
    survey.attrs["source"] = "synthetic: crmlib.datasets.make_survey"
    return survey


def load_survey() -> pd.DataFrame:
    """The bundled simulated loyalty survey (``data/survey.csv``), linked to :func:`load_customers`.

    Returns
    -------
    DataFrame
        One row per respondent: ``customer_id``, the Likert items ``cog_1`` ... ``act_4`` (Oliver's
        four stages), ``conf_*``, ``soc_*``, ``spec_*`` (relational benefits), ``reward_*`` (programme
        rewards), ``bond_most_valued``, ``deal_driven`` and the truth columns ``true_*`` (see
        :func:`make_survey` and ``data/README.md``). Blank answers are NaN.

    Examples
    --------
    >>> survey = load_survey()
    >>> [c for c in survey.columns if c.startswith("cog_")]
    ['cog_1', 'cog_2', 'cog_3', 'cog_4']
    """
    csv = bundled_path("survey.csv")
    dtype = {"customer_id": str, "bond_most_valued": str, "true_stage": str, "deal_driven": bool}
    dtype.update({c: float for c in _LIKERT_COLUMNS})
    frame = pd.read_csv(csv, dtype=dtype)
    return attach(frame, "survey.csv")


def _rounded(survey: pd.DataFrame) -> pd.DataFrame:
    out = survey.copy()
    for col in out.columns:
        if col.startswith("true_") and col != "true_stage":
            out[col] = out[col].round(6)
        elif col in _LIKERT_COLUMNS:
            out[col] = out[col].astype("Int64")  # written as 1..7, blank when missing
    return out


def _bundle() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    from crmlib.datasets._retail import BUNDLED_RETAIL, make_retail, written_customers

    # the customers as written to customers.csv, so that make_survey(load_customers(), **BUNDLED_SURVEY)
    # reproduces the bundled answers
    customers = written_customers(make_retail(**BUNDLED_RETAIL).customers)
    survey = make_survey(customers, **BUNDLED_SURVEY)
    meta = {
        "description": "Simulated loyalty survey of a random sample of the customers of customers.csv.",
        "generator": "crmlib.datasets.make_survey",
        "seed": BUNDLED_SURVEY["seed"],
        "params": survey.attrs["true_params"],
        "items": SURVEY_ITEMS,
    }
    return {"survey.csv": (_rounded(survey), meta)}
