"""Hints that must fire: a submission making the mistake a hint names gets that hint, for every test seed.

Each wrong answer is computed here the way a student would make the mistake (not read from the key), so a hint
whose mistake the student's data cannot show (the same number as the right answer) fails here.
"""

from __future__ import annotations

import pytest

from crmlib import loyalty
from crmlib.exercises import notebooks as nbm
from crmlib.exercises.scoring import answer_record, evaluate
from crmlib.exercises.sets import get_set

SEEDS = [0, 1, 2, nbm.seed_for("s001")]


def hint_for(stem: str, qid: str, answer: float, seed: int) -> str:
    exercise = get_set(stem)
    question = exercise.question(qid)
    outcome = evaluate(question, question.key(exercise.data(seed)), answer_record(float(answer)))
    assert not outcome.correct, f"{stem} {qid} seed {seed}: the mistaken answer {answer!r} scores as right"
    return outcome.hint


@pytest.mark.parametrize("seed", SEEDS)
def test_01_q5_counting_rows_gets_the_rows_hint(seed):
    tx = get_set("01_customer_value").data(seed).tx
    rows_share = (tx.groupby("customer_id").size() >= 2).mean()  # two rows on one day taken for a repeat
    assert hint_for("01_customer_value", "q5", rows_share, seed).startswith("You counted transactions (rows)")


@pytest.mark.parametrize("seed", SEEDS)
def test_03_q1_pairwise_alpha_gets_the_pairwise_hint(seed):
    data = get_set("03_loyalty_stages").data(seed)
    pairwise = loyalty.cronbach_alpha(data.survey[data["items"]["affective"]], missing="pairwise").alpha
    assert hint_for("03_loyalty_stages", "q1", pairwise, seed).startswith("You handled blanks pairwise")


@pytest.mark.parametrize("seed", SEEDS)
def test_03_q2_counting_blank_answers_gets_the_blanks_hint(seed):
    data = get_set("03_loyalty_stages").data(seed)
    blanks = int(data.survey[data["items"]["affective"]].isna().sum().sum())  # blanks, not respondents
    assert hint_for("03_loyalty_stages", "q2", blanks, seed).startswith("That is the number of blank ANSWERS")


@pytest.mark.parametrize("seed", SEEDS)
def test_08_q1_both_lapse_mistakes_get_their_hints(seed):
    data = get_set("08_churn_and_retention").data(seed)
    gap = (data.end - data.tx.groupby("customer_id")["date"].max()).dt.days
    at_least = (gap >= 180).mean()  # 180 days or more
    six_months = (gap > 6 * 30.4375).mean()  # six months of 30.4375 days
    assert hint_for("08_churn_and_retention", "q1", at_least, seed).startswith("You counted 180 days or more")
    assert hint_for("08_churn_and_retention", "q1", six_months, seed).startswith("You used 6 months")


@pytest.mark.parametrize("seed", SEEDS)
def test_00_counting_rows_instead_of_purchase_days_gets_its_hint(seed):
    data = get_set("00_start_here").data(seed)
    tx, x = data.tx, data.customer_x
    mine = tx[tx["customer_id"] == x].sort_values("date", kind="stable")
    rows = tx.groupby("customer_id").size()
    stem = "00_start_here"
    assert hint_for(stem, "q1", len(tx), seed).startswith("You counted rows of the log")
    assert hint_for(stem, "q2", len(mine), seed).startswith("You counted rows, and the first purchase too")
    repeat_rows = mine.loc[mine["date"] != mine["date"].min(), "amount"].mean()
    assert hint_for(stem, "q5", repeat_rows, seed).startswith("You averaged rows")
    assert hint_for(stem, "q6", (rows == 1).mean(), seed).startswith("You counted customers with one ROW")


@pytest.mark.parametrize("seed", SEEDS)
def test_00_silence_read_from_recency_gets_its_hint(seed):
    from crmlib import rfm

    data = get_set("00_start_here").data(seed)
    three = rfm.summarize(data.tx, unit="W").loc[data.three]
    exercise = get_set("00_start_here")
    question = exercise.question("q7")
    outcome = evaluate(question, question.key(data), answer_record(three["recency"].idxmin()))
    assert not outcome.correct and outcome.hint.startswith("That customer has the smallest recency")


@pytest.mark.parametrize("seed", SEEDS)
def test_08_q3_everyone_who_had_bought_as_the_base_gets_its_hint(seed):
    import pandas as pd

    from crmlib import churn

    data = get_set("08_churn_and_retention").data(seed)
    then = churn.churn_status(data.tx, inactive_after=180, observation_end=data.end - pd.Timedelta(days=365))
    now = churn.churn_status(data.tx, inactive_after=180)
    everyone = (~now.loc[then.index, "churned"]).mean()  # every customer who had bought by a year ago
    assert "bought by a year ago" in hint_for("08_churn_and_retention", "q3", everyone, seed)


# The sets of chapters 00, 01, 03, 06, 08 and 09: every hint of every question fires for every test seed (the
# key's own wrong value gets exactly that hint). A choice question's hint for the choice that is right for a seed
# is never shown, by design, and is skipped.
CHECKED = ["00_start_here", "01_customer_value", "03_loyalty_stages", "06_customer_tiering",
           "08_churn_and_retention", "09_capstone_crm_strategy"]


@pytest.mark.parametrize("stem", CHECKED)
def test_every_hint_of_the_set_fires(stem):
    exercise = get_set(stem)
    dead = []
    for seed in SEEDS:
        data = exercise.data(seed)
        for q in exercise:
            if q.kind == "text":
                continue
            key = q.key(data)
            if q.kind == "number":
                pairs = list(key.mistakes.items())
            else:
                pairs = [(h, w) for w, h in key.mistakes.items() if str(w).lower() != str(key.expected).lower()]
            for hint, wrong in pairs:
                outcome = evaluate(q, key, answer_record(wrong))
                if outcome.correct or outcome.hint != hint:
                    dead.append((seed, q.id, hint))
    assert not dead, dead
