"""Exercise notebooks 01, 04, 06 and 07: the sources score full marks (default seed and seed 5), the untouched
student versions score 0 without a crash, and a typical mistake scores 0 for its question with the intended hint.

Grading runs real kernels (papermill), so each test grades all four notebooks in one call.
"""

from __future__ import annotations

import csv

import nbformat
import pytest

from crmlib import exercises as ex

STEMS = ["01_customer_value", "04_clv_npv", "06_customer_tiering", "07_customer_dynamics"]

# one typical mistake per notebook: (question, the student's wrong code, the hint the check must give)
MISTAKES = {
    "01_customer_value": (
        "q3",
        "gain_from_removing = value.total_episode_value(episode_benefits, relationship_benefits, "
        "episode_sacrifices, 0)",
        "That is the new total episode value; the question asks for the rise",
    ),
    "04_clv_npv": ("q1", "npv_value = cashflows.sum()", "You did not discount the cash flows."),
    "06_customer_tiering": (
        "q6",
        "iron_share = ((current < current.median()) & (potential >= potential.median())).mean()",
        "You counted a value equal to the median as high",
    ),
    "07_customer_dynamics": (
        "q4",
        "_e = tx['date'].max()\n"
        "last = set(tx.loc[tx['date'] > _e - pd.Timedelta(days=365), 'customer_id'])\n"
        "before = set(tx.loc[(tx['date'] > _e - pd.Timedelta(days=730)) "
        "& (tx['date'] <= _e - pd.Timedelta(days=365)), 'customer_id'])\n"
        "annual_retention = len(last & before) / len(last)",
        "You divided by last year's buyers",
    ),
}


def _sources():
    folder = ex.exercises_dir() / "source"
    return [folder / f"{stem}.ipynb" for stem in STEMS]


def _students():
    return [ex.exercises_dir() / f"{stem}.ipynb" for stem in STEMS]


def _solution(source, cell_id):
    """The code of a solution cell of the source, without the markers (what a good student writes)."""
    cell = next(c for c in source.cells if c.get("id") == cell_id)
    lines = [line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
    return "\n".join(lines)


def _submission_with_mistake(stem, folder):
    """The student version answered with the solutions, except one question answered the typical wrong way."""
    source = nbformat.read(ex.exercises_dir() / "source" / f"{stem}.ipynb", as_version=4)
    student = nbformat.read(ex.exercises_dir() / f"{stem}.ipynb", as_version=4)
    question, wrong, _ = MISTAKES[stem]
    for cell in student.cells:
        if cell.cell_type == "code" and "raise NotImplementedError()" in cell.source:
            cell.source = wrong if cell.id == f"{question}-answer" else _solution(source, cell.id)
    path = folder / f"{stem}_mistake.ipynb"
    nbformat.write(student, path)
    return path


def _run_in_process(path, seed):
    """Execute a source's code cells in one namespace (no kernel) with the given seed; the check results, in order."""
    nb = nbformat.read(path, as_version=4)
    namespace = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = f"seed = {seed}" if "parameters" in cell.metadata.get("tags", []) else cell.source
        exec(compile(code, f"{path.stem}:{cell.id}", "exec"), namespace)
    return namespace


def _max_points(graded):
    return {r["question"]: r["max_points"] for r in graded.rows}


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 13))
def test_solutions_are_right_for_other_seeds(seed, monkeypatch):
    # every question must be well defined for any seed: run the sources in-process (fast) on more seeds
    for path in _sources():
        results = []
        monkeypatch.setattr(ex, "_emit", results.append)
        _run_in_process(path, seed)
        assert len(results) >= 4
        wrong = [(r.question, r.message, r.hint) for r in results if not r.correct]
        assert not wrong, (path.stem, seed, wrong)
        assert [r.question for r in results] == [f"q{k}" for k in range(1, len(results) + 1)]


@pytest.mark.slow
def test_sources_score_full_marks_and_untouched_students_score_zero(tmp_path):
    book = tmp_path / "book.csv"
    subs = _sources() + _students()
    results = ex.grade(subs, out=book, progress=None, timeout=120)
    sources, students = results[: len(STEMS)], results[len(STEMS):]
    for graded in sources:
        assert not graded.error
        assert len(graded.rows) >= 4
        assert graded.points == graded.max_points > 0, (graded.notebook, graded.feedback)
    for graded, source in zip(students, sources):
        assert not graded.error
        assert _max_points(graded) == _max_points(source)  # every question graded, none lost
        assert graded.points == 0, (graded.notebook, graded.feedback)
        assert all("not answered yet" in line for line in graded.feedback), graded.feedback
    rows = list(csv.DictReader(book.open(encoding="utf-8")))
    assert len(rows) == 2 * sum(len(g.rows) for g in sources)


@pytest.mark.slow
def test_seed_5_full_marks_except_the_typical_mistake_with_its_hint(tmp_path):
    subs = [_submission_with_mistake(stem, tmp_path) for stem in STEMS]
    results = ex.grade(subs, out=tmp_path / "book.csv", seed=5, progress=None, timeout=120)
    for stem, graded in zip(STEMS, results):
        question, _, hint = MISTAKES[stem]
        assert not graded.error
        scored = {r["question"]: (r["points"], r["max_points"]) for r in graded.rows}
        assert scored[question][0] == 0
        assert all(points == top for q, (points, top) in scored.items() if q != question), (stem, graded.feedback)
        line = next(line for line in graded.feedback if line.startswith(f"{question}:"))
        assert hint in line, line
        feedback = (tmp_path / "feedback" / f"{stem}_mistake.feedback.md").read_text(encoding="utf-8")
        assert hint in feedback
