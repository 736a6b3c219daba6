"""Exercises of chapters 02 (relationship marketing), 03 (loyalty stages) and 08 (churn and retention).

The sources must grade to full marks with their own solutions, for the default seed and another one; the
untouched student versions must grade to 0 on every question without a crash; and a submission with a typical
mistake must lose that question and get the hint written for that mistake. Grading runs real kernels, so every
scenario is graded in as few calls as possible.
"""

from __future__ import annotations

import csv

import pytest

from exercise_harness import questions as questions_of
from exercise_harness import read_source, with_answer

from crmlib import exercises as ex
from crmlib.resources import kit_folder

STEMS = ["02_relationship_marketing", "03_loyalty_stages", "08_churn_and_retention"]
SOURCES = {stem: kit_folder("exercises") / "source" / f"{stem}.ipynb" for stem in STEMS}
STUDENTS = {stem: kit_folder("exercises") / f"{stem}.ipynb" for stem in STEMS}

# One typical mistake per chapter: (question, the student's wrong code, the hint it must get).
MISTAKES = {
    "02_relationship_marketing": (
        "q5",
        '_s = crmlib.rfm.summarize(tx, unit="D")\n'
        'ongoing_share = ((_s["frequency"] >= 4) & (_s["recency"] >= 365)).mean()',
        "You required 4 REPEAT purchases (frequency >= 4); the first purchase counts too",
    ),
    "03_loyalty_stages": (
        "q7",
        's_star = programme["margin_rate"] / ((1 + retention_lift) * (programme["margin_rate"] - programme["reward_rate"])) - 1',
        "You left out the running cost F",
    ),
    "08_churn_and_retention": (
        "q2",
        '_r = churn.churn_rate(tx, inactive_after=180, period="Q").loc["2024-10-01"]\n'
        'q_churn = _r["churned"] / _r["active_end"]',
        "You divided by the customers active at the END of the quarter",
    ),
}


@pytest.mark.slow
def test_grading_sources_students_and_typical_mistakes(tmp_path):
    mistakes = {stem: with_answer(stem, q, code, tmp_path / f"{stem[:2]}_mistake.ipynb")
                for stem, (q, code, _) in MISTAKES.items()}
    subs = [*SOURCES.values(), *STUDENTS.values(), *mistakes.values()]
    book = tmp_path / "book.csv"
    results = ex.grade(subs, out=book, progress=None, timeout=60)
    by_name = dict(zip([f"source {s}" for s in STEMS] + [f"student {s}" for s in STEMS] + [f"mistake {s}" for s in STEMS],
                       results))
    for stem in STEMS:
        questions = questions_of(read_source(stem))
        total = sum(questions.values())
        # (1) the source's own solutions get full marks on every question
        src = by_name[f"source {stem}"]
        assert not src.error
        assert {r["question"]: r["points"] for r in src.rows} == questions
        # (3) an untouched student version scores 0 everywhere, question by question, and says why
        student = by_name[f"student {stem}"]
        assert not student.error
        assert [r["question"] for r in student.rows] == list(questions)
        assert all(r["points"] == 0 for r in student.rows) and student.max_points == total
        assert all("not answered yet" in line for line in student.feedback)
        # (4) the typical mistake loses its question only, with the hint written for it
        question, _, hint = MISTAKES[stem]
        wrong = by_name[f"mistake {stem}"]
        scored = {r["question"]: r["points"] for r in wrong.rows}
        assert scored[question] == 0
        assert wrong.points == total - questions[question]
        line = next(text for text in wrong.feedback if text.startswith(f"{question}:"))
        assert hint in line
        feedback = (tmp_path / "feedback" / f"{stem[:2]}_mistake.feedback.md").read_text(encoding="utf-8")
        assert hint in feedback
    rows = list(csv.DictReader(book.open(encoding="utf-8")))
    assert len(rows) == 3 * sum(len(questions_of(read_source(s))) for s in STEMS)


@pytest.mark.slow
def test_sources_get_full_marks_with_another_seed(tmp_path):
    # (2) the checks hold for another student's data: seed 5 gives other numbers, still full marks
    results = ex.grade(list(SOURCES.values()), out=tmp_path / "book.csv", seed=5, progress=None, timeout=60)
    for stem, graded in zip(STEMS, results):
        assert not graded.error
        assert graded.points == graded.max_points == sum(questions_of(read_source(stem)).values())
        assert all("correct" in line for line in graded.feedback)
