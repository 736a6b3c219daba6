"""The chapter skeleton of CONTRIBUTING.md, checked statically on every stored chapter (no kernel).

Title ``# NN · Title`` and learning goals; the shared parameters with a comment each; validation, loading
and the course style right after the parameters; the sections in order, the exercises link and the
references; key numbers in ``# NBVAL_CHECK_OUTPUT`` cells; clean stored outputs (PNG figures, no warnings,
no machine-specific paths); nothing that hides errors or uses pyplot's global state.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from chapter_harness import CHAPTERS, ids

SECTIONS = ("The idea", "On the data", "What it means for a manager", "Summary", "Exercises", "References")
SHARED = {"data_path": None, "customer_col": "customer_id", "date_col": "date", "amount_col": "amount"}
COLUMNS = ("customer_col", "date_col", "amount_col")
LOAD = re.compile(
    r"crmlib\.datasets\.load_transactions\(\s*data_path\s*,\s*customer\s*=\s*customer_col\s*,"
    r"\s*date\s*=\s*date_col\s*,\s*amount\s*=\s*amount_col"
)
MAX_BYTES = 4_000_000

pytestmark = pytest.mark.parametrize("chapter", CHAPTERS, ids=ids(CHAPTERS))


def _nb(chapter):
    return nbformat.read(chapter.path, as_version=4)


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _parameters_index(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))


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


def _on_chapter_setup(nb) -> bool:
    """A chapter on ``crmlib.chapter.setup``: tests/test_chapter_structure.py checks its parameters and setup."""
    following = next(c for c in nb.cells[_parameters_index(nb) + 1 :] if c.cell_type == "code")
    return "crmlib.chapter.setup(globals())" in following.source


def test_shared_parameters_with_a_comment_each(chapter):
    nb = _nb(chapter)
    if _on_chapter_setup(nb):
        pytest.skip("parameters from crmlib.chapter.PARAMETERS, checked by tests/test_chapter_structure.py")
    cell = nb.cells[_parameters_index(nb)]
    values = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    for name, default in SHARED.items():
        assert name in values, f"{chapter.path.name}: the parameters cell must define {name}"
        assert values[name] == default, f"{chapter.path.name}: {name} must default to {default!r}"
    lines = cell.source.splitlines()
    # The column names are self-explanatory (CONTRIBUTING.md shows them without comments); the rest need one.
    bare = [
        line
        for line in lines
        if re.match(r"^\w+\s*=", line) and "#" not in line and line.split("=")[0].strip() not in COLUMNS
    ]
    assert not bare, f"{chapter.path.name}: say the unit and range of each parameter in a comment: {bare}"


def test_validation_cell_loads_the_data_and_sets_the_style(chapter):
    nb = _nb(chapter)
    if _on_chapter_setup(nb):
        pytest.skip("crmlib.chapter.setup(globals()) reads the data, checked by tests/test_chapter_structure.py")
    following = next(c for c in nb.cells[_parameters_index(nb) + 1 :] if c.cell_type == "code")
    source = following.source
    assert LOAD.search(source), (
        f"{chapter.path.name}: the cell after the parameters must load the data with "
        "crmlib.datasets.load_transactions(data_path, customer=customer_col, date=date_col, amount=amount_col)"
    )
    assert "use_course_style()" in source, f"{chapter.path.name}: call crmlib.plot.use_course_style() in that cell"


def test_sections_in_order_with_exercises_link(chapter):
    text = _markdown(_nb(chapter))
    positions = []
    for section in SECTIONS:
        match = re.search(rf"^##\s+{re.escape(section)}\b", text, re.MULTILINE)
        assert match, f"{chapter.path.name}: no '## {section}' section"
        positions.append(match.start())
    assert positions == sorted(positions), f"{chapter.path.name}: sections must come in the order {SECTIONS}"
    link = f"../exercises/{chapter.stem}.ipynb"
    assert link in text, f"{chapter.path.name}: the Exercises section must link to {link}"
    references = text[positions[-1] :]
    assert re.search(r"\(\d{4}[a-z]?\)", references), (
        f"{chapter.path.name}: References must cite sources with their year"
    )


def test_key_numbers_are_checked(chapter):
    nb = _nb(chapter)
    checked = [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and (c.source.startswith("# NBVAL_CHECK_OUTPUT") or "nbval-check-output" in c.metadata.get("tags", []))
    ]
    assert checked, f"{chapter.path.name}: print the key numbers in a cell starting with '# NBVAL_CHECK_OUTPUT'"
    for cell in checked:
        assert cell.outputs, f"{chapter.path.name}: a '# NBVAL_CHECK_OUTPUT' cell has no output to check"


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
