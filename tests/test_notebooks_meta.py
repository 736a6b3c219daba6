"""The chapter skeleton of CONTRIBUTING.md, checked statically on every stored chapter (no kernel).

Title ``# NN · Title`` and 3 to 5 learning goals; key numbers in cells tagged ``nbval-check-output``, each with its
output; clean stored outputs (PNG figures, no warnings, no machine-specific paths); nothing that hides errors or
uses pyplot's global state; test parameters stored. The chapter contract (opening, parameters from
``crmlib.chapter.PARAMETERS``, setup in one call, closing sections) is checked by tests/test_chapter_structure.py.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from chapter_harness import CHAPTERS, ids

MAX_BYTES = 4_000_000

pytestmark = pytest.mark.parametrize("chapter", CHAPTERS, ids=ids(CHAPTERS))


def _nb(chapter):
    return nbformat.read(chapter.path, as_version=4)


def test_title_and_learning_goals(chapter):
    nb = _nb(chapter)
    first = nb.cells[0]
    assert first.cell_type == "markdown", f"{chapter.path.name}: the first cell must be the Markdown title"
    title = first.source.splitlines()[0]
    assert re.fullmatch(rf"# {chapter.number} · \S.*", title), (
        f"{chapter.path.name}: title must be '# {chapter.number} · Title', got {title!r}"
    )
    assert "Learning goals" in first.source, f"{chapter.path.name}: the first cell must list the learning goals"
    goals = first.source.split("Learning goals", 1)[1]
    bullets = [line for line in goals.splitlines() if re.match(r"\s*[-*] ", line)]
    assert 3 <= len(bullets) <= 5, f"{chapter.path.name}: {len(bullets)} learning goals (3 to 5 wanted)"


def test_key_numbers_are_checked(chapter):
    nb = _nb(chapter)
    checked = [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and (c.source.startswith("# NBVAL_CHECK_OUTPUT") or "nbval-check-output" in c.metadata.get("tags", []))
    ]
    assert checked, f"{chapter.path.name}: print the key numbers in a cell tagged 'nbval-check-output'"
    for cell in checked:
        assert cell.outputs, f"{chapter.path.name}: a key-number cell has no output to check"


def test_no_hidden_errors_or_pyplot_state(chapter):
    nb = _nb(chapter)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = cell.source
        assert not re.search(r"except\s*:", src), f"{chapter.path.name}: a bare 'except:' hides errors:\n{src}"
        assert not re.search(r"except[^\n]*:\s*\n\s*pass\b", src), (
            f"{chapter.path.name}: 'except ...: pass' hides errors:\n{src}"
        )
        assert 'filterwarnings("ignore"' not in src and "filterwarnings('ignore'" not in src, (
            f"{chapter.path.name}: do not silence warnings; fix their cause:\n{src}"
        )
        assert "plt.show()" not in src, f"{chapter.path.name}: figures show by themselves; no plt.show():\n{src}"


def test_stored_outputs_are_clean(chapter):
    nb = _nb(chapter)
    assert chapter.path.stat().st_size < MAX_BYTES, (
        f"{chapter.path.name} is over {MAX_BYTES:,} bytes; shrink its figures"
    )
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert "image/svg+xml" not in data, f"{chapter.path.name} cell {i}: figures are PNG in this course"
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                assert "Warning" not in output["text"], (
                    f"{chapter.path.name} cell {i} is stored with a warning:\n{output['text']}"
                )
            text = output.get("text", "") + str(data.get("text/plain", "")) + str(data.get("text/html", ""))
            leaked = re.findall(r"(/work/|/home/\w+|/tmp/|/Users/\w+|C:\\\\Users)", text)
            assert not leaked, f"{chapter.path.name} cell {i} shows a path of the machine it ran on: {leaked}"


def test_test_parameters_are_stored(chapter):
    meta = _nb(chapter).metadata.get("crmlib", {})
    assert isinstance(meta.get("test_parameters"), dict) and meta["test_parameters"], (
        f'{chapter.path.name}: store {{"crmlib": {{"test_parameters": {{...}}}}}} in the notebook metadata'
    )
