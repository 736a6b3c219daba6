"""Every exercise source follows one format, and its committed student version is what the source generates.

The grading of each chapter's exercises (full marks, zero for untouched versions, typical mistakes) is in
tests/test_exercises_a.py, _b.py and _c.py.
"""

from __future__ import annotations

import re

import pytest
from exercise_harness import ALL_STEMS, STUDENT_DIR, questions, read_source

from crmlib import exercises as ex
from crmlib.course import chapters


def test_every_chapter_after_00_has_an_exercise():
    assert ALL_STEMS == [c.stem for c in chapters() if c.number != "00"]


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_source_follows_the_exercise_format(stem):
    nb = read_source(stem)
    assert nb.metadata["crmlib"]["exercise"] == stem
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].source.startswith(f"# Exercises · {stem[:2]} · ")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and re.fullmatch(r"seed = 0(\s*#.*)?", params[0].source)
    found = questions(nb)
    assert 4 <= len(found) <= 8
    assert list(found) == [f"q{k}" for k in range(1, len(found) + 1)]  # unique, in order
    assert all(1 <= p <= 3 for p in found.values())
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    headings = re.findall(r"^### Question (\d+) \((\d+) points?\)", markdown, re.MULTILINE)
    assert {f"q{k}": int(p) for k, p in headings} == found  # the heading states the points the check gives
    answers = [c for c in nb.cells if ex.BEGIN in c.source]
    assert len(answers) == len(found)
    assert "http" not in "\n".join(c.source for c in nb.cells if c.cell_type == "code")  # no data from the web


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_student_version_is_in_sync_and_has_no_solution(stem):
    expected = ex._dumps(ex.student_version(ex.exercises_dir() / "source" / f"{stem}.ipynb"))
    text = (STUDENT_DIR / f"{stem}.ipynb").read_text(encoding="utf-8")
    assert text == expected, "run 'crmlib exercises build' and commit the result"
    assert ex.BEGIN not in text
    assert text.count("raise NotImplementedError()") == len(questions(read_source(stem)))


def test_build_check_passes_on_the_committed_versions():
    ex.build(check=True)
