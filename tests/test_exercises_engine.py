"""The exercise machinery on a small hand-written exercise: student versions, sync check, grading.

Grading runs real kernels (papermill), so all submissions of one scenario are graded in one call.
"""

from __future__ import annotations

import csv
import hashlib

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crmlib import exercises as ex

SETUP = """import numpy as np
from crmlib import exercises as ex
rng = np.random.default_rng(seed)
cashflows = rng.integers(50, 150, size=3).astype(float)
rate = 0.1"""

Q1 = """### BEGIN SOLUTION
npv_value = sum(c / (1 + rate) ** t for t, c in enumerate(cashflows, start=1))
### END SOLUTION"""

CHECK1 = """ex.check_number("q1", npv_value,
                expected=sum(c / (1 + rate) ** t for t, c in enumerate(cashflows, start=1)),
                points=2, mistakes={"You did not discount the cash flows.": cashflows.sum()})"""

Q2 = """### BEGIN SOLUTION
quadrant = "gold"
### END SOLUTION"""

CHECK2 = """ex.check_choice("q2", quadrant, "gold", choices=["lead", "iron", "gold", "platinum"])"""


def _source(folder):
    nb = new_notebook()
    params = new_code_cell("seed = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        new_markdown_cell("# 99 · Exercise"),
        params,
        new_code_cell(SETUP),
        new_code_cell(Q1),
        new_code_cell(CHECK1),
        new_code_cell(Q2),
        new_code_cell(CHECK2),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "99_exercise.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def source_dir(tmp_path):
    folder = tmp_path / "source"
    folder.mkdir()
    _source(folder)
    return folder


def test_student_version_has_no_solution_and_keeps_ids(source_dir, tmp_path):
    (path,) = ex.build(source_dir=source_dir, out=tmp_path / "students")
    text = path.read_text()
    assert "BEGIN SOLUTION" not in text and "npv_value = sum" not in text
    assert text.count("raise NotImplementedError()") == 2
    src = nbformat.read(source_dir / "99_exercise.ipynb", as_version=4)
    student = nbformat.read(path, as_version=4)
    assert [c.id for c in src.cells] == [c.id for c in student.cells]
    assert student.metadata["crmlib"]["exercise"] == "99_exercise"


def test_build_check_detects_drift(source_dir, tmp_path):
    out = tmp_path / "students"
    ex.build(source_dir=source_dir, out=out)
    ex.build(source_dir=source_dir, out=out, check=True)  # in sync: no error
    src = nbformat.read(source_dir / "99_exercise.ipynb", as_version=4)
    src.cells[0].source = "# 99 · Exercise, revised"
    nbformat.write(src, source_dir / "99_exercise.ipynb")
    with pytest.raises(ex.ExerciseError, match="out of date.*99_exercise.ipynb.*crmlib exercises build"):
        ex.build(source_dir=source_dir, out=out, check=True)


def test_seeded_version_sets_the_seed(source_dir, tmp_path):
    (path,) = ex.build(source_dir=source_dir, out=tmp_path / "alice", seed=5)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].source == "seed = 5"


def test_check_number_hints_at_the_likely_mistake(capsys):
    result = ex.check_number("q1", 300.0, expected=248.69, mistakes={"You did not discount.": 300.0})
    assert not result.correct and result.points == 0 and result.hint == "You did not discount."
    result = ex.check_number("q1", 24869.0, expected=248.69)
    assert "factor of 100" in result.hint
    result = ex.check_number("q1", "248", expected=248.69)
    assert not result.correct and "should be a number" in result.message
    assert ex.check_number("q1", 248.69, expected=248.685, points=2).points == 2


def _submission(student_path, tmp_path, name, edit):
    nb = nbformat.read(student_path, as_version=4)
    edit(nb)
    path = tmp_path / "submissions" / f"{name}.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


def _fill(nb, q1=None, q2=None):
    for cell in nb.cells:
        if "NotImplementedError" in cell.source and "npv" not in cell.source:
            pass
    stubs = [c for c in nb.cells if "raise NotImplementedError()" in c.source]
    if q1 is not None:
        stubs[0].source = q1
    if q2 is not None:
        stubs[1].source = q2


@pytest.mark.slow
def test_grading_sources_students_and_broken_submissions(source_dir, tmp_path):
    (student,) = ex.build(source_dir=source_dir, out=tmp_path / "students")
    before = hashlib.sha256(student.read_bytes()).hexdigest()
    subs = {
        "source": source_dir / "99_exercise.ipynb",
        "untouched": student,
        "syntax": _submission(student, tmp_path, "syntax", lambda nb: _fill(nb, q1="npv_value = (", q2='quadrant = "gold"')),
        "loop": _submission(student, tmp_path, "loop", lambda nb: _fill(nb, q1="while True:\n    pass", q2='quadrant = "gold"')),
        "deleted": _submission(student, tmp_path, "deleted", lambda nb: nb.cells.pop(3)),
        "undiscounted": _submission(
            student, tmp_path, "undiscounted",
            lambda nb: _fill(nb, q1="npv_value = cashflows.sum()", q2='quadrant = "platinum"'),
        ),
        "tampered": _submission(
            student, tmp_path, "tampered",
            lambda nb: (_fill(nb, q1="npv_value = 1.0"), setattr(nb.cells[4], "source", 'ex.check_number("q1", 1, expected=1, points=2)')),
        ),
    }
    # the source must carry the exercise id like a student version does
    src = nbformat.read(subs["source"], as_version=4)
    src.metadata.setdefault("crmlib", {})["exercise"] = "99_exercise"
    nbformat.write(src, subs["source"])
    book = tmp_path / "gradebook.csv"
    lines = []
    results = ex.grade(list(subs.values()), out=book, timeout=5, source_dir=source_dir, progress=lines.append)
    scores = {name: (g.points, g.max_points) for name, g in zip(subs, results)}
    assert scores["source"] == (3, 3)
    assert scores["untouched"] == (0, 3)
    assert scores["syntax"] == (1, 3)  # q2 still scores
    assert scores["loop"] == (1, 3)  # the loop is interrupted at the time limit; q2 still scores
    assert scores["deleted"] == (0, 3)
    assert scores["undiscounted"] == (0, 3)
    assert scores["tampered"] == (0, 3)  # the check cell comes from the source, not the submission
    assert len(lines) == len(subs) and lines[-1].startswith(f"[{len(subs)}/{len(subs)}]")
    rows = list(csv.DictReader(book.open()))
    assert list(rows[0]) == ["notebook", "question", "points", "max_points"]
    assert len(rows) == 2 * len(subs)
    feedback = (tmp_path / "feedback" / "undiscounted.feedback.md").read_text()
    assert "You did not discount the cash flows." in feedback
    # the source and the student version share a file name: the second one's feedback gets a suffix
    assert "Score: 3 / 3" in (tmp_path / "feedback" / f"{student.stem}.feedback.md").read_text()
    assert "not answered yet" in (tmp_path / "feedback" / f"{student.stem}-2.feedback.md").read_text()
    assert "time limit" in (tmp_path / "feedback" / "loop.feedback.md").read_text()
    assert hashlib.sha256(student.read_bytes()).hexdigest() == before  # submissions are only read


@pytest.mark.slow
def test_grading_with_a_seed_gives_full_marks_to_the_source(source_dir, tmp_path):
    src = nbformat.read(source_dir / "99_exercise.ipynb", as_version=4)
    src.metadata.setdefault("crmlib", {})["exercise"] = "99_exercise"
    nbformat.write(src, source_dir / "99_exercise.ipynb")
    (g,) = ex.grade([source_dir / "99_exercise.ipynb"], out=tmp_path / "book.csv", seed=5, source_dir=source_dir, progress=None)
    assert (g.points, g.max_points) == (3, 3)


def test_grading_a_file_that_is_not_a_notebook_scores_zero(source_dir, tmp_path):
    bad = tmp_path / "99_exercise_broken.ipynb"
    bad.write_text("{ not json")
    graded = ex.grade_one(bad, source_dir=source_dir, timeout=5)
    assert graded.points == 0 and "not a readable notebook" in graded.error
