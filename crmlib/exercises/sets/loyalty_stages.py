"""Exercises 03: loyalty stages, switching and loyalty programmes (answer keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import datasets, loyalty, rfm
from crmlib.exercises.model import ExerciseSet, Key, markdown_table

#: The module's one public name, the exercise set (its functions are the questions' keys, reached through it).
__all__ = ["SET"]

KINDS = ["brand loyal", "deal loyal", "latent", "not loyal"]


def given(seed: int) -> dict:
    """A log of 300 customers, a simulated loyalty survey, two respondents, a switching case and a programme."""
    rng = np.random.default_rng(seed)
    retail = datasets.make_retail(n_customers=300, seed=seed)
    tx = retail.transactions
    survey = datasets.make_survey(retail.customers, seed=seed, response_rate=0.6)
    items = {k: list(v) for k, v in loyalty.stage_items(survey).items()}
    scores = loyalty.stage_scores(survey, items)
    cum = loyalty.assign_stage(scores, rule="cumulative").astype(str)
    hi = loyalty.assign_stage(scores, rule="highest").astype(str)
    pool = survey.index[(cum != hi) & scores["cognitive"].notna()]
    pool = pool if len(pool) else survey.index[scores["cognitive"].notna()]
    respondent = pool[rng.integers(len(pool))]
    value_received = float(rng.integers(80, 150))
    value_alternative = value_received + float(rng.integers(-30, 50))
    switching_cost = float(rng.integers(10, 40))
    programme = dict(
        members=int(rng.integers(500, 3000)),
        revenue=float(rng.integers(200, 800)),
        margin_rate=float(rng.choice([0.25, 0.30, 0.35, 0.40])),
        reward_rate=float(rng.choice([0.02, 0.03, 0.05])),
        running_cost=float(rng.integers(5, 30) * 1000),
    )
    retention_lift = float(rng.choice([0.01, 0.02, 0.03]))
    attitude = scores[["affective", "conative"]].mean(axis=1)
    ok = survey.index[attitude.notna()]
    who = ok[rng.integers(len(ok))]
    survey = _skip_two(survey, items["affective"], keep=[respondent, who], seed=seed)
    return {"tx": tx, "survey": survey, "items": items, "respondent": respondent, "value_received": value_received,
            "value_alternative": value_alternative, "switching_cost": switching_cost, "programme": programme,
            "retention_lift": retention_lift, "who": who}


def _skip_two(survey: pd.DataFrame, scale: list[str], *, keep: list, seed: int, n: int = 3) -> pd.DataFrame:
    """The survey with ``n`` respondents (not those of ``keep``) leaving two items of ``scale`` blank.

    As real respondents do: blank answers then outnumber dropped respondents, and listwise and pairwise handling
    differ.
    """
    rng = np.random.default_rng([seed, 3])  # its own stream: the other data of the seed stay as they were
    out = survey.copy()
    pool = out.index.difference(pd.Index(keep))
    for who in rng.choice(pool, size=min(n, len(pool)), replace=False):
        answered = [c for c in scale if pd.notna(out.loc[who, c])]
        blanks = len(scale) - len(answered)
        for c in rng.choice(answered, size=max(0, 2 - blanks), replace=False):
            out.loc[who, c] = np.nan
    return out


SET = ExerciseSet("03_loyalty_stages", "Loyalty stages", given)


@SET.number("q1", variable="alpha_affective", points=2)
def q1(survey, items):
    y = survey[items["affective"]].dropna()
    cov = y.cov().to_numpy()
    k = cov.shape[0]
    answers = survey[[c for cols in items.values() for c in cols]]
    return Key(loyalty.cronbach_alpha(survey[items["affective"]], missing="listwise").alpha,
               explain="Above 0.7, the usual floor: the four items move together.", mistakes={
        "You left out the factor k/(k-1) of eq. (1).": 1 - np.trace(cov) / cov.sum(),
        "You handled blanks pairwise; the question asks for listwise (complete respondents only).":
            loyalty.cronbach_alpha(survey[items["affective"]], missing="pairwise").alpha,
        "You used all sixteen stage items; alpha is computed per scale, here the four affective items.":
            loyalty.cronbach_alpha(answers, missing="listwise").alpha,
        "You put the variance of the total in the numerator and the item variances in the denominator.":
            k / (k - 1) * (1 - cov.sum() / np.trace(cov))})


@SET.number("q2", variable="n_dropped")
def q2(survey, items):
    res = loyalty.cronbach_alpha(survey[items["affective"]], missing="listwise")
    answers = survey[[c for cols in items.values() for c in cols]]
    return Key(res.n_dropped, explain="Report it with the alpha: listwise handling spends data.", mistakes={
        "That is the number of blank ANSWERS; a respondent with two blanks is dropped once.": res.answers_missing,
        "That is the number of respondents KEPT; the question asks how many were dropped.": res.n_used,
        "That counts the blanks of all sixteen stage items; the question is about the affective scale.":
            int(answers.isna().any(axis=1).sum())})


@SET.choice("q3", variable="respondent_stage", choices=loyalty.STAGE_LABELS, points=2)
def q3(survey, items, respondent):
    sc = loyalty.stage_scores(survey, items)
    right = loyalty.assign_stage(sc, threshold=5, rule="cumulative")[respondent]
    highest = loyalty.assign_stage(sc, threshold=5, rule="highest")[respondent]
    strict = loyalty.assign_stage(sc, threshold=5 + 1e-9, rule="cumulative")[respondent]
    reached = [s for s in loyalty.STAGES if sc.loc[respondent, s] >= 5]
    hints = {}
    if strict != right:
        hints[strict] = "A score exactly at the threshold reaches the stage (>= 5, not > 5)."
    if reached and reached[-1] != right:
        hints[reached[-1]] = ("That is the last stage scoring 5 or more, but an earlier stage is below 5: the "
                              "cumulative rule does not skip phases.")
    if highest != right:
        hints[highest] = ("That is the highest-scoring stage (the other rule); the cumulative rule stops at the "
                          "first gap.")
    return Key(str(right), hints, explain="Oliver's phases build on each other, so the rule walks them in order.")


@SET.number("q4", variable="action_share", points=2)
def q4(survey, items):
    sc = loyalty.stage_scores(survey, items)
    return Key((loyalty.assign_stage(sc, threshold=5, rule="cumulative") == "action").mean(),
               explain="Report the rule and its threshold with any count of stages.", mistakes={
        "You used the 'highest' rule; the question asks for the cumulative one.":
            (loyalty.assign_stage(sc, threshold=5, rule="highest") == "action").mean(),
        "You counted the respondents with an action score of 5 or more, whatever their earlier stages.":
            (sc["action"] >= 5).mean(),
        "You required scores strictly above 5; a score of exactly 5 reaches the stage.":
            (loyalty.assign_stage(sc, threshold=5 + 1e-9, rule="cumulative") == "action").mean()})


@SET.number("q5", variable="switch_margin", points=2)
def q5(value_received, value_alternative, switching_cost):
    return Key(loyalty.switching_margin(value_received, value_alternative, switching_cost),
               explain="Positive: the customer stays; the switching cost buys time, not loyalty.", mistakes={
        "You subtracted the switching cost; it ADDS to what keeps the customer.":
            value_received - value_alternative - switching_cost,
        "You left out the switching cost.": value_received - value_alternative,
        "You subtracted the value received from the alternative (the sign of the gap is reversed).":
            value_alternative - value_received + switching_cost})


def _kept_by(value_received, value_alternative, switching_cost) -> str:
    m = loyalty.switching_margin(value_received, value_alternative, switching_cost)
    return "value" if value_received > value_alternative else ("switching cost only" if m > 0 else "leaves")


@SET.choice("q6", variable="kept_by", choices=["value", "switching cost only", "leaves"])
def q6(value_received, value_alternative, switching_cost):
    better = value_received > value_alternative
    return Key(_kept_by(value_received, value_alternative, switching_cost), {
        "value": "The best alternative gives at least as much as we do: value alone does not keep this customer.",
        "switching cost only": ("We give more than the alternative, so value keeps the customer; the switching cost is "
                                "a cushion on top.") if better else
                               "The alternative beats us by more than the switching cost: M <= 0, the customer leaves.",
        "leaves": "M > 0: the customer stays (the stay rule of eq. 3)."},
        explain="Loyalty held by switching costs alone vanishes when a rival pays the switching cost (Dick and Basu "
                "1994).")


@SET.number("q7", variable="s_star", points=2)
def q7(programme, retention_lift):
    n, r, g, rho, f = (programme[k] for k in ("members", "revenue", "margin_rate", "reward_rate", "running_cost"))
    return Key(loyalty.break_even_lift(**programme, retention_lift=retention_lift),
               explain="Rewards are paid on what members would have bought anyway: that is what the lift must "
                       "recover.", mistakes={
        "You left out the running cost F: the extra margin must also pay for running the programme.":
            g / ((1 + retention_lift) * (g - rho)) - 1,
        "You left out the rewards: they are paid on ALL member spend, so the margin per unit of revenue is g - rho.":
            (g + f / (n * r)) / ((1 + retention_lift) * g) - 1,
        "You left out the retention lift (1 + delta r in the denominator).": (g + f / (n * r)) / (g - rho) - 1})


@SET.choice("q8", variable="loyalty_kind", choices=KINDS)
def q8(survey, items, tx, who):
    sc = loyalty.stage_scores(survey, items)
    attitude = sc.loc[who, ["affective", "conative"]].mean()
    repeat = float(rfm.summarize(tx).loc[survey.loc[who, "customer_id"], "frequency"] > 0)
    right = loyalty.classify_loyalty([attitude], [repeat], attitude_threshold=5, repeat_threshold=1,
                                     deal_driven=[bool(survey.loc[who, "deal_driven"])])[0]
    return Key(str(right), {
        "brand loyal": "Brand loyalty needs repeat buying AND a high attitude, and not buying mainly for the deal.",
        "deal loyal": "Deal loyalty is repeat buying without a favourable attitude, or driven by the deal; check the "
                      "repeat purchases, the attitude and the deal answer again.",
        "latent": "Latent loyalty is a high attitude WITHOUT repeat buying.",
        "not loyal": "Not loyal means neither repeat buying nor a high attitude."},
        explain="Deal-loyal customers leave when a better deal comes; brand-loyal ones are worth the bonds.")


@SET.number("q9", variable="cfi_gap", points=2, atol=1e-4)
def q9(survey, items):
    four = loyalty.confirmatory_factor_analysis(survey, items)
    one = loyalty.confirmatory_factor_analysis(survey, {"one factor": [c for cols in items.values() for c in cols]})
    return Key(four.fit["cfi"] - one.fit["cfi"],
               explain="Four correlated stage factors fit far better than one general loyalty factor: the stages are "
                       "distinct, which alpha alone cannot show.", mistakes={
        "You compared TLI, not CFI.": four.fit["tli"] - one.fit["tli"],
        "That is the CFI of the four-factor model alone; subtract the one-factor model's CFI.": four.fit["cfi"],
        "That is the CFI of the one-factor model alone; the question asks for the four-factor CFI minus it.":
            one.fit["cfi"]})


@SET.text("q10", points=3, rubric="Computes or cites the break-even lift s* of q7 and judges whether members could "
          "plausibly raise their spend that much; decides for or against the programme; names the design change that "
          "would lower s* most (reward rate, running cost or retention lift) with its effect on these numbers.")
def q10(programme, retention_lift):
    facts = pd.Series({**programme, "retention_lift": retention_lift,
                       "break-even spend lift": loyalty.break_even_lift(**programme, retention_lift=retention_lift)},
                      name="value", dtype=float)
    return Key(context=markdown_table(facts, 3))


@SET.text("q11", points=3, rubric="States what keeps the customer of q5-q6 (value, switching cost, or nothing) with "
          "the switching margin; proposes one action that builds value or a social/structural bond rather than a "
          "higher switching cost, and says why spurious loyalty is fragile (a rival can pay the switching cost).")
def q11(value_received, value_alternative, switching_cost):
    facts = pd.Series({"value received": value_received, "best alternative": value_alternative,
                       "switching cost": switching_cost,
                       "switching margin": loyalty.switching_margin(value_received, value_alternative, switching_cost),
                       }, name="money")
    return Key(context=markdown_table(facts) + "\n\nkept by: " + _kept_by(value_received, value_alternative,
                                                                          switching_cost))
