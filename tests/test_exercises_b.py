"""Exercises of chapters 02 (relationship marketing), 03 (loyalty stages) and 08 (churn and retention).

The sources must grade to full marks with their own solutions, for the default seed and another one; the
untouched student versions must grade to 0 on every question without a crash; and a submission with a typical
mistake must lose that question and get the hint written for that mistake. Grading runs real kernels, so every
scenario is graded in as few calls as possible.
"""

from __future__ import annotations

import csv
import re

import nbformat
import pytest

from crmlib import exercises as ex
from crmlib.course import KIT_ROOT

STEMS = ["02_relationship_marketing", "03_loyalty_stages", "08_churn_and_retention"]
SOURCES = {stem: KIT_ROOT / "exercises" / "source" / f"{stem}.ipynb" for stem in STEMS}
STUDENTS = {stem: KIT_ROOT / "exercises" / f"{stem}.ipynb" for stem in STEMS}

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


def _questions(nb) -> dict[str, int]:
    """question id -> points, read from the Markdown headings and the check calls of a source."""
    points = {}
    for cell in nb.cells:
        match = re.search(r"ex\.check_\w+\(\s*\"(q\d+)\"", cell.source)
        if cell.cell_type == "code" and match:
            given = re.search(r"\bpoints=(\d+)", cell.source[match.start():])  # the check call's own points
            points[match.group(1)] = int(given.group(1)) if given else 1
    return points


@pytest.mark.parametrize("stem", STEMS)
def test_source_follows_the_exercise_format(stem):
    nb = nbformat.read(SOURCES[stem], as_version=4)
    assert nb.metadata["crmlib"]["exercise"] == stem
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].source.startswith(f"# Exercises · {stem[:2]} · ")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and re.fullmatch(r"seed = 0(\s*#.*)?", params[0].source)
    questions = _questions(nb)
    assert 4 <= len(questions) <= 8
    assert list(questions) == [f"q{k}" for k in range(1, len(questions) + 1)]  # unique, in order
    assert all(1 <= p <= 3 for p in questions.values())
    headings = re.findall(r"^### Question (\d+) \((\d+) points?\)", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"), re.M)
    assert {f"q{k}": int(p) for k, p in headings} == questions  # the heading states the points the check gives
    answers = [c for c in nb.cells if ex.BEGIN in c.source]
    assert len(answers) == len(questions)
    for cell in answers:  # nothing but the solution in an answer cell
        assert cell.source.startswith(ex.BEGIN) and cell.source.rstrip().endswith(ex.END)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored unexecuted
    assert nb.cells[-1].source.startswith("## What to take away")


@pytest.mark.parametrize("stem", STEMS)
def test_student_version_is_in_sync_and_has_no_solution(stem):
    expected = ex._dumps(ex.student_version(SOURCES[stem]))
    text = STUDENTS[stem].read_text(encoding="utf-8")
    assert text == expected, "run 'crmlib exercises build' and commit the result"
    assert ex.BEGIN not in text
    source = nbformat.read(SOURCES[stem], as_version=4)
    assert text.count("raise NotImplementedError()") == len(_questions(source))


def _with_answer(stem, question, code, path):
    """The source (all solutions right) with the answer of one question replaced by ``code``."""
    nb = nbformat.read(SOURCES[stem], as_version=4)
    (cell,) = [c for c in nb.cells if c.get("id") == f"{question}-answer"]
    cell.source = code
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_grading_sources_students_and_typical_mistakes(tmp_path):
    mistakes = {stem: _with_answer(stem, q, code, tmp_path / f"{stem[:2]}_mistake.ipynb")
                for stem, (q, code, _) in MISTAKES.items()}
    subs = [*SOURCES.values(), *STUDENTS.values(), *mistakes.values()]
    book = tmp_path / "book.csv"
    results = ex.grade(subs, out=book, progress=None, timeout=60)
    by_name = dict(zip([f"source {s}" for s in STEMS] + [f"student {s}" for s in STEMS] + [f"mistake {s}" for s in STEMS],
                       results))
    for stem in STEMS:
        questions = _questions(nbformat.read(SOURCES[stem], as_version=4))
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
    assert len(rows) == 3 * sum(len(_questions(nbformat.read(SOURCES[s], as_version=4))) for s in STEMS)


@pytest.mark.slow
def test_sources_get_full_marks_with_another_seed(tmp_path):
    # (2) the checks hold for another student's data: seed 5 gives other numbers, still full marks
    results = ex.grade(list(SOURCES.values()), out=tmp_path / "book.csv", seed=5, progress=None, timeout=60)
    for stem, graded in zip(STEMS, results):
        assert not graded.error
        assert graded.points == graded.max_points == sum(_questions(nbformat.read(SOURCES[stem], as_version=4)).values())
        assert all("correct" in line for line in graded.feedback)
