"""Every exercise set, parametrised over the sources (a new chapter's exercises cannot land untested).

Each source follows one format and pairs with an answer-key module; its committed student version is what the source
generates; no student version (committed or handed out for a seed) holds an expected value or the expression that
computes one; the solutions are right for several seeds; the hints name mistakes, never the right answer; an
untouched student version answers nothing. Grading through the sandbox is tested in tests/test_exercises_class.py.
"""

from __future__ import annotations

import inspect
import math
import re

import pytest
from exercise_harness import ALL_STEMS, SETS, SOURCE_DIR, STUDENT_DIR, answered, numbers_in, read_source, run_in_process

from crmlib.course import chapters
from crmlib.exercises import notebooks as nbm
from crmlib.exercises.scoring import answer_record, evaluate

SEEDS = [0, 1, nbm.seed_for("s001")]


def test_every_chapter_has_an_exercise_set_and_a_source():
    assert ALL_STEMS == [c.stem for c in chapters()]
    assert list(SETS) == ALL_STEMS


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_source_follows_the_exercise_format(stem):
    nb = read_source(stem)
    exercise = SETS[stem]
    assert nb.metadata["crmlib"] == {"exercise": stem, "seed": 0}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].source.startswith(f"# Exercises · {stem[:2]} · {exercise.title}")
    roles = [nbm.cell_role(c) for c in nb.cells]
    assert roles.count(("parameters", None)) == 1 and roles.count(("setup", None)) == 1
    params = nb.cells[roles.index(("parameters", None))]
    assert re.fullmatch(r"seed = 0(\s*#.*)?", params.source)
    setup = nb.cells[roles.index(("setup", None))].source
    assert f'data = ex.load("{stem}", seed)' in setup
    assert 6 <= len(exercise.questions) <= 12
    assert list(exercise.questions) == [f"q{k}" for k in range(1, len(exercise.questions) + 1)]
    assert sum(q.kind == "text" for q in exercise) >= 2  # the open CRM-strategy questions
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    headings = re.findall(r"^### Question (\d+) \((\d+) points?", markdown, re.MULTILINE)
    assert {f"q{k}": int(p) for k, p in headings} == {q.id: q.points for q in exercise}
    for q in exercise:
        assert ("text", q.id) in roles and ("answer", q.id) in roles, q.id
        answer = nb.cells[roles.index(("answer", q.id))]
        assert nbm.BEGIN in answer.source
        if q.kind == "text":
            assert answer.cell_type == "markdown" and ("check", q.id) not in roles
            assert q.rubric
        else:
            check = nb.cells[roles.index(("check", q.id))]
            assert check.source == f'ex.check("{q.id}", {q.variable})'
            assert roles.index(("answer", q.id)) < roles.index(("check", q.id))
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "http" not in code and "expected=" not in code.replace(" ", "")


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_student_version_is_in_sync_and_has_no_solution(stem):
    expected = nbm.dumps(nbm.student_version(SOURCE_DIR / f"{stem}.ipynb"))
    text = (STUDENT_DIR / f"{stem}.ipynb").read_text(encoding="utf-8")
    assert text == expected, "run 'crmlib exercises build' and commit the result"
    assert nbm.BEGIN not in text
    exercise = SETS[stem]
    assert text.count("raise NotImplementedError()") == sum(q.kind != "text" for q in exercise)
    stubs = [c for c in nbm.student_version(SOURCE_DIR / f"{stem}.ipynb").cells if c.source == nbm.TEXT_STUB]
    assert len(stubs) == sum(q.kind == "text" for q in exercise)


def test_build_check_passes_on_the_committed_versions():
    nbm.build(check=True)


def _key_lines(exercise) -> list[str]:
    """The non-trivial lines of the answer-key module of a set: the expressions that compute the answers."""
    source = inspect.getsource(inspect.getmodule(next(iter(exercise)).compute))
    lines = []
    for line in source.splitlines():
        line = line.strip()
        if len(line) >= 25 and not line.startswith(("#", '"', "'", "@", "def ", "return Key(", "from ", "import ")):
            lines.append(line.rstrip(",").rstrip(")"))
    return lines


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_no_student_version_holds_an_expected_value_or_its_expression(stem):
    exercise = SETS[stem]
    source = read_source(stem)
    solution_lines = {line.strip() for c in source.cells if nbm.cell_role(c)[0] == "answer"
                      for line in c.source.splitlines() if len(line.strip()) >= 20 and "SOLUTION" not in line}
    shown = "\n".join(c.source for c in source.cells if nbm.cell_role(c)[0] in ("setup", "given"))
    key_lines = [line for line in _key_lines(exercise) if line not in shown]  # data preparation the student sees
    assert key_lines, "the scan must have expressions to look for"
    for seed in [0, nbm.seed_for("s001")]:
        who = None if seed == 0 else nbm.Student("s001", "Ann", seed)
        nb = nbm.student_version(SOURCE_DIR / f"{stem}.ipynb", student=who)
        text = nbm.dumps(nb)
        code = "\n".join(c.source for c in nb.cells)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        for line in solution_lines | set(key_lines):
            assert line not in code, (seed, line)
        data = exercise.data(seed)
        literals = numbers_in(text)
        for q in exercise:
            if q.kind != "number":
                continue
            value = float(q.key(data).expected)
            if value == int(value) and abs(value) < 100:
                continue  # small whole numbers (counts) also appear as question numbers and list indexes
            clash = [x for x in literals if math.isclose(x, value, rel_tol=1e-3, abs_tol=1e-9)]
            assert not clash, (seed, q.id, value, clash)


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_the_data_hold_no_table_from_a_choice_to_what_the_student_is_shown(stem):
    # set 02 once gave every scenario text keyed by its type next to the student's scenario: one dict lookup
    # answered question 3
    exercise = SETS[stem]
    for seed in SEEDS:
        data = exercise.data(seed)
        shown = [v for v in data.values() if isinstance(v, str)]
        for q in exercise:
            if q.kind != "choice":
                continue
            right = q.key(data).expected
            for name, value in data.items():
                if isinstance(value, dict) and right in value:
                    assert not any(value[right] == s for s in shown), (seed, q.id, name)


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_solutions_are_right_for_several_seeds(stem):
    for seed in SEEDS:
        results = run_in_process(read_source(stem), seed)
        exercise = SETS[stem]
        assert [r.question for r in results] == [q.id for q in exercise if q.kind != "text"]
        wrong = [(r.question, r.message, r.hint) for r in results if not r.correct]
        assert not wrong, (stem, seed, wrong)


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_hints_name_the_mistake_never_the_answer(stem):
    exercise = SETS[stem]
    for seed in SEEDS[:2]:
        data = exercise.data(seed)
        for q in exercise:
            if q.kind == "text":
                assert q.key(data).context  # the marker sees this student's data
                continue
            key = q.key(data)
            if q.kind == "number":
                expected = float(key.expected)
                for hint, wrong in key.mistakes.items():
                    shown = [x for x in numbers_in(hint) if x not in (0, 1, 2, 4, 5, 6, 7, 9, 10, 12, 24, 26, 52, 100)]
                    assert not any(math.isclose(x, expected, rel_tol=1e-3) for x in shown), (q.id, hint)
                    outcome = evaluate(q, key, answer_record(wrong))
                    assert outcome.correct or outcome.hint == hint or outcome.hint in key.mistakes, (q.id, hint)
            else:
                right = str(key.expected).lower()
                for wrong, hint in key.mistakes.items():
                    if str(wrong).lower() == right:
                        continue  # never shown: a right answer gets no hint
                    assert f"'{right}'" not in hint.lower() and f'"{right}"' not in hint.lower(), (q.id, hint)
                    outcome = evaluate(q, key, answer_record(wrong))
                    assert not outcome.correct and outcome.hint == hint, (q.id, wrong)


@pytest.mark.parametrize("stem", ALL_STEMS)
def test_an_untouched_student_version_answers_nothing(stem):
    nb = read_source(stem)
    student_nb = nbm.student_version(SOURCE_DIR / f"{stem}.ipynb")
    with pytest.raises(NotImplementedError):
        run_in_process(student_nb, 0)
    # the same notebook answered by the solutions: every check passes in the student's own kernel too
    results = run_in_process(answered(stem), 0)
    assert all(r.correct for r in results) and len(results) == sum(q.kind != "text" for q in SETS[stem])
    assert nb.cells[0].source.splitlines()[0] == student_nb.cells[0].source.splitlines()[0]
