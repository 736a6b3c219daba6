"""Every chapter of the course, found by crmlib.course.chapters() (new chapters are picked up by themselves).

Static checks of the stored notebooks (cheap), then the papermill runs of every chapter: each run is a test of
its own, marked ``spread`` so that pytest-xdist hands the runs out to whichever worker is free (see
tests/crm_plugin.py). A run executes the chapter in a kernel without rendering HTML.

(a) one cell tagged ``parameters``, defining ``data_path = None``, followed by a code cell that validates
    every parameter with crmlib.params;
(b) the stored notebook was executed top to bottom and shows no error;
(c) it runs with the non-default ``test_parameters`` of its metadata;
(d) it runs on a user-style CSV (the bundled log with other column names and dd/mm/yyyy dates): with the test
    parameters (so one run is (c) and (d)), or, for a chapter whose key numbers come from the log alone, with the
    defaults and the very key numbers of the stored notebook, (c) then being a run of its own on the bundled log;
(e) a data_path that does not exist stops it with a one-line ParameterError naming data_path.
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from chapter_harness import (
    CHAPTERS,
    check_runs_on_a_user_csv,
    check_runs_with_test_parameters,
    check_stops_on_a_missing_file,
    error_outputs,
    ids,
    reproduces_checks,
    valid_test_parameters,
    write_user_csv,
)

from crmlib.chapter import PARAMETERS

CHECKS = ("check_number", "check_choice", "check_unit", "check_path", "check_date", "check_text")


def test_the_course_has_chapters():
    assert CHAPTERS, "no notebooks/NN_name.ipynb found"
    assert CHAPTERS[0].number == "00"
    numbers = [c.number for c in CHAPTERS]
    assert len(numbers) == len(set(numbers)), f"two chapters share a number: {numbers}"


def _read(chapter):
    return nbformat.read(chapter.path, as_version=4)


def _assigned(source: str) -> dict[str, ast.expr]:
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
    return found


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids(CHAPTERS))
def test_parameters_cell_then_validation(chapter):
    nb = _read(chapter)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{chapter.path.name}: {len(tagged)} cells tagged 'parameters' (must be exactly one)"
    cell = nb.cells[tagged[0]]
    assert cell.cell_type == "code"
    assigned = _assigned(cell.source)
    assert "data_path" in assigned, f"{chapter.path.name}: the parameters cell must define data_path"
    value = assigned["data_path"]
    assert isinstance(value, ast.Constant) and value.value is None, (
        f"{chapter.path.name}: data_path must default to None"
    )

    following = [c for c in nb.cells[tagged[0] + 1 :] if c.cell_type == "code"]
    assert following, f"{chapter.path.name}: no code cell after the parameters cell"
    validation = following[0].source
    if "crmlib.chapter.setup(globals())" in validation:  # the kit's one table checks every parameter
        unknown = [name for name in assigned if name not in PARAMETERS]
        assert not unknown, f"{chapter.path.name}: parameters {unknown} are not in crmlib.chapter.PARAMETERS"
        return
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(ast.parse(validation))
        if isinstance(node, ast.Call)
    }
    assert calls & set(CHECKS), (
        f"{chapter.path.name}: the cell after the parameters must validate them with crmlib.params"
    )
    assert "check_path" in calls, f"{chapter.path.name}: data_path must be checked with crmlib.params.check_path"
    used = {node.id for node in ast.walk(ast.parse(validation)) if isinstance(node, ast.Name)}
    unchecked = [name for name in assigned if name not in used]
    assert not unchecked, f"{chapter.path.name}: the validation cell does not check {unchecked}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids(CHAPTERS))
def test_stored_notebook_was_executed_without_errors(chapter):
    nb = _read(chapter)
    assert not error_outputs(nb), f"{chapter.path.name} is stored with errors: {error_outputs(nb)}"
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert counts and None not in counts, f"{chapter.path.name} is stored unexecuted (run `make notebooks`)"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{chapter.path.name} was not executed top to bottom in one go (execution counts {counts}); run "
        "`make notebooks`"
    )
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{chapter.path.name}: kernelspec must be python3"
    )


@pytest.fixture(scope="module")
def user_csv(tmp_path_factory):
    return write_user_csv(tmp_path_factory.mktemp("analyst"))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids(CHAPTERS))
def test_test_parameters_are_known_and_not_the_defaults(chapter):
    valid_test_parameters(chapter)


SEPARATE = [c for c in CHAPTERS if reproduces_checks(c)]  # their user-CSV run keeps the defaults


@pytest.mark.slow
@pytest.mark.spread
@pytest.mark.parametrize("chapter", SEPARATE, ids=ids(SEPARATE))
def test_runs_with_test_parameters(chapter, tmp_path):
    check_runs_with_test_parameters(chapter, tmp_path)


@pytest.mark.slow
@pytest.mark.spread
@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids(CHAPTERS))
def test_runs_on_a_user_csv(chapter, user_csv, tmp_path):
    check_runs_on_a_user_csv(chapter, user_csv, tmp_path)


@pytest.mark.slow
@pytest.mark.spread
@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids(CHAPTERS))
def test_a_missing_data_file_stops_the_chapter(chapter, tmp_path):
    check_stops_on_a_missing_file(chapter, tmp_path)
