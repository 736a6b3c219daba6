"""Every numeric parameter of every chapter is validated: a wrong type stops the chapter with one sentence.

The parameters cell and the validation cell after it are executed in-process (no kernel), once per numeric
parameter, with that parameter set to a text; the validation must raise crmlib's ParameterError naming it.
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from chapter_harness import CHAPTERS

from crmlib.params import ParameterError


def _cells(chapter):
    nb = nbformat.read(chapter.path, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    validation = next(c for c in nb.cells[index + 1 :] if c.cell_type == "code")
    return nb.cells[index].source, validation.source


def _numeric_parameters(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            value = node.value.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


CASES = [(c, name) for c in CHAPTERS for name in _numeric_parameters(_cells(c)[0])]


def test_every_chapter_with_numbers_is_covered():
    assert {c.stem for c, _ in CASES} >= {c.stem for c in CHAPTERS if c.number != "00"}


@pytest.mark.parametrize("chapter, name", CASES, ids=[f"{c.stem}-{n}" for c, n in CASES])
def test_a_text_where_a_number_belongs_stops_with_one_sentence(chapter, name, tmp_path, monkeypatch):
    parameters, validation = _cells(chapter)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__chapter__"}
    exec(compile(parameters, "parameters", "exec"), namespace)
    namespace[name] = "twelve"
    with pytest.raises(ParameterError) as caught:
        exec(compile(validation, "validation", "exec"), namespace)
    message = str(caught.value)
    assert f"'{name}'" in message or name in message, message
    assert "\n" not in message.strip(), message
    assert "twelve" in message, message
