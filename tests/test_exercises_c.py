"""Exercises of chapters 05 (probabilistic CLV) and 09 (capstone).

The sources must grade to full marks with their own solutions, for the default seed and another one, and every
question must stay well defined (the BG/NBD, Gamma-Gamma and sBG fits converge, the chosen customers exist) for
more seeds; the untouched student versions must grade to 0 on every question without a crash; and a submission with
a typical mistake must lose that question only and get the hint written for that mistake. Grading runs real kernels,
so the scenarios are graded in as few calls as possible; the extra seeds run in-process.
"""

from __future__ import annotations

import csv
import shutil

import pytest

from exercise_harness import questions as questions_of
from exercise_harness import read_source, with_answer

from crmlib import exercises as ex
from crmlib.resources import kit_folder

STEMS = ["05_probabilistic_clv", "09_capstone_crm_strategy"]
SOURCES = {stem: kit_folder("exercises") / "source" / f"{stem}.ipynb" for stem in STEMS}
STUDENTS = {stem: kit_folder("exercises") / f"{stem}.ipynb" for stem in STEMS}

# One typical mistake per chapter: (question, the student's wrong code, the hint it must get).
MISTAKES = {
    "05_probabilistic_clv": (
        "q7",
        ('equity = models.customer_lifetime_value(bg, gg, summary, horizon=12, horizon_unit="M", discount_rate=0.10,\n'
         '                                        discount_period="M", step="M", margin=0.30)["clv"].sum()'),
        "You used 10% as a MONTHLY rate; it is per year",
    ),
    "09_capstone_crm_strategy": (
        "q3",
        ('cal = rfm.calibration_holdout(tx, calibration_end=cal_end, unit="W")\n'
         'predicted_holdout = bg.conditional_expected_purchases(cal["duration_holdout"], cal["frequency"], '
         'cal["recency"], cal["T"]).sum()'),
        "You predicted with the model fitted on the whole log: it has seen the holdout",
    ),
}


def _run_in_process(stem, seed):
    """Execute a source's code cells in one namespace (no kernel) with the given seed."""
    namespace = {}
    for cell in read_source(stem).cells:
        if cell.cell_type == "code":
            code = f"seed = {seed}" if "parameters" in cell.metadata.get("tags", []) else cell.source
            exec(compile(code, f"{stem}:{cell.id}", "exec"), namespace)  # noqa: S102 - our own source notebooks
    return namespace


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11, 13, 17, 20])
def test_solutions_are_right_for_other_seeds(seed, monkeypatch, capsys):
    # every question must be well defined for any seed (models converge, chosen customers exist)
    for stem in STEMS:
        results = []
        monkeypatch.setattr(ex, "_emit", results.append)
        _run_in_process(stem, seed)
        wrong = [(r.question, r.message, r.hint) for r in results if not r.correct]
        assert not wrong, (stem, seed, wrong)
        assert [r.question for r in results] == list(questions_of(read_source(stem)))


@pytest.mark.slow
def test_grading_sources_students_and_typical_mistakes(tmp_path):
    students = {stem: shutil.copy(STUDENTS[stem], tmp_path / f"{stem[:2]}_student.ipynb") for stem in STEMS}
    mistakes = {stem: with_answer(stem, q, code, tmp_path / f"{stem[:2]}_mistake.ipynb")
                for stem, (q, code, _) in MISTAKES.items()}
    subs = [*SOURCES.values(), *students.values(), *mistakes.values()]
    book = tmp_path / "book.csv"
    results = ex.grade(subs, out=book, progress=None, timeout=60)
    names = [f"{kind} {stem}" for kind in ("source", "student", "mistake") for stem in STEMS]
    by_name = dict(zip(names, results))
    for stem in STEMS:
        questions = questions_of(read_source(stem))
        total = sum(questions.values())
        # (1) the source's own solutions get full marks on every question
        src = by_name[f"source {stem}"]
        assert not src.error
        assert {r["question"]: r["points"] for r in src.rows} == questions, src.feedback
        # (3) an untouched student version scores 0 everywhere, question by question, and says why
        student = by_name[f"student {stem}"]
        assert not student.error
        assert [r["question"] for r in student.rows] == list(questions)
        assert all(r["points"] == 0 for r in student.rows) and student.max_points == total
        assert all("not answered yet" in line for line in student.feedback), student.feedback
        # (4) the typical mistake loses its question only, with the hint written for it
        question, _, hint = MISTAKES[stem]
        wrong = by_name[f"mistake {stem}"]
        scored = {r["question"]: r["points"] for r in wrong.rows}
        assert scored[question] == 0
        assert wrong.points == total - questions[question], wrong.feedback
        line = next(text for text in wrong.feedback if text.startswith(f"{question}:"))
        assert hint in line, line
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
        assert graded.points == graded.max_points == sum(questions_of(read_source(stem)).values()), graded.feedback
        assert all("correct" in line for line in graded.feedback)
