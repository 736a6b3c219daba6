"""Every chapter reads as a text: its opening and closing, its parameters from the kit's one table, its setup in one
call, its checks as tagged cells, and no stored output cut with "...".

The rules are functions that return the problems they find; each is first shown to find the problem in a small
notebook that has it, then run over the stored chapters.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from crmlib.chapter import PARAMETERS
from crmlib.resources import kit_folder

CHAPTERS = sorted(kit_folder("notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = kit_folder("exercises")

CLOSING = ["Summary", "Questions", "Further reading", "Exercises", "References"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def opening_problems(nb: dict) -> list[str]:
    """The first cell: '# NN · Title', a Time and Prerequisites line, learning goals with a list."""
    first = nb["cells"][0]
    text = _source(first)
    problems = []
    if first["cell_type"] != "markdown" or not re.match(r"# \d\d · \S", text):
        problems.append("the first cell is not a markdown '# NN · Title'")
    if not re.search(r"\*\*Time:\*\* about \d+ minutes", text):
        problems.append("no '**Time:** about N minutes' in the opening")
    if "**Prerequisites:**" not in text:
        problems.append("no '**Prerequisites:**' in the opening")
    if not re.search(r"\*\*Learning goals\*\*\s*\n+\s*[-*] ", text):
        problems.append("no '**Learning goals**' list in the opening")
    return problems


def closing_problems(nb: dict, stem: str, exercises: Path) -> list[str]:
    """The last five level-2 headings in order, questions as a list, an exercises link to a file that exists."""
    headings = [
        (i, m.group(1).strip())
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "markdown"
        for m in re.finditer(r"^## (.+)$", _source(c), re.M)
    ]
    last = [h for _, h in headings[-5:]]
    if last != CLOSING:
        return [f"the last level-2 headings are {last}, not {CLOSING}"]
    problems = []
    cells = {h: i for i, h in headings}
    questions = "".join(
        _source(c) for c in nb["cells"][cells["Questions"] : cells["Further reading"]] if c["cell_type"] == "markdown"
    )
    if len(re.findall(r"^\s*\d+\.\s", questions, re.M)) < 6:
        problems.append("fewer than 6 numbered questions under '## Questions'")
    links = re.findall(r"\]\(\.\./exercises/([^)#]+)\)", _source(nb["cells"][cells["Exercises"]]))
    if not links:
        problems.append("no link '../exercises/...' under '## Exercises'")
    problems += [f"the exercises link {link} leads to no file" for link in links if not (exercises / link).exists()]
    return problems


def parameter_problems(nb: dict) -> list[str]:
    """Parameters from the one table with its default; the next code cell calls crmlib.chapter.setup(globals())."""
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    found = [i for i, c in enumerate(cells) if "parameters" in _tags(c)]
    if len(found) != 1:
        return ["not exactly one cell tagged 'parameters'"]
    problems = []
    tree = ast.parse(_source(cells[found[0]]))
    names = set()
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            problems.append(f"line {node.lineno} of the parameters cell is not 'name = value'")
            continue
        name = node.targets[0].id
        names.add(name)
        if name not in PARAMETERS:
            problems.append(f"parameter {name!r} is not in crmlib.chapter.PARAMETERS")
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            problems.append(f"parameter {name!r} is not a literal")
            continue
        default = PARAMETERS[name].default
        if value != default or type(value) is not type(default) and not {type(value), type(default)} <= {int, float}:
            problems.append(f"parameter {name!r} = {value!r}, but its default in crmlib.chapter is {default!r}")
    if "data_path" in names and "read_options" not in names:
        problems.append("a chapter with data_path needs read_options")
    setup = _source(cells[found[0] + 1]) if found[0] + 1 < len(cells) else ""
    if "crmlib.chapter.setup(globals())" not in setup:
        problems.append("the cell after the parameters does not call crmlib.chapter.setup(globals())")
    for cell in cells:
        if re.search(r"\bparams\.check_|\bcheck_number\(|\bcheck_choice\(", _source(cell)):
            problems.append("a cell checks parameters itself (params.check_*): the table does it")
            break
    return problems


def check_problems(nb: dict) -> list[str]:
    """No '# NBVAL_CHECK_OUTPUT' banners: checks are cells tagged nbval-check-output and remove-cell."""
    problems = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        if "NBVAL_CHECK_OUTPUT" in _source(cell):
            problems.append("a '# NBVAL_CHECK_OUTPUT' banner (tag the cell nbval-check-output instead)")
        tags = _tags(cell)
        if "nbval-check-output" in tags and "remove-cell" not in tags:
            problems.append("a cell tagged nbval-check-output is not tagged remove-cell (hidden in the site)")
    return problems


_CUT = re.compile(r"\w\.\.\.|\.\.\.\s*$|\.\.\.\s*\||…|<td>\.\.\.</td>|^\s*\.\.\.\s", re.M)


def output_problems(nb: dict) -> list[str]:
    """No stored output cut with '...' (a truncated text, a frame with hidden rows or columns) and no error."""
    problems = []
    for number, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {number} stored an error")
            if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
                continue  # a widget: its text/plain is the object's repr, never shown (the site shows its figure)
            texts = []
            if "text" in output:
                texts.append(output["text"])
            for kind in ("text/plain", "text/html", "text/markdown"):
                if kind in output.get("data", {}):
                    texts.append(output["data"][kind])
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                if _CUT.search(text):
                    problems.append(f"cell {number} has an output cut with '...': {_CUT.search(text).group(0)!r}")
                    break
    return problems


# --------------------------------------------------------------------------- each rule finds what it looks for


def _nb(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str, tags: tuple[str, ...] = (), outputs: tuple[dict, ...] = ()) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": list(tags)},
        "source": text,
        "outputs": list(outputs),
        "execution_count": 1,
    }


GOOD_OPENING = "# 01 · Value\n\n**Time:** about 60 minutes · **Prerequisites:** none\n\n**Learning goals**\n\n- one\n"


def test_the_opening_rule_finds_a_missing_time_and_goals():
    assert opening_problems(_nb(_md(GOOD_OPENING))) == []
    problems = opening_problems(_nb(_md("# 01 · Value\n\nSome text.")))
    assert len(problems) == 3


def test_the_closing_rule_finds_order_questions_and_dead_links(tmp_path):
    (tmp_path / "01_value.ipynb").write_text("{}")
    questions = "## Questions\n\n" + "".join(f"{k}. Why?\n" for k in range(1, 7))
    good = _nb(
        _md("## Summary\n- a"),
        _md(questions),
        _md("## Further reading\n- b"),
        _md("## Exercises\n[the exercises](../exercises/01_value.ipynb)"),
        _md("## References\n- c"),
    )
    assert closing_problems(good, "01_value", tmp_path) == []
    assert closing_problems(good, "01_value", tmp_path / "nowhere") == [
        "the exercises link 01_value.ipynb leads to no file"
    ]
    swapped = _nb(*[good["cells"][i] for i in (1, 0, 2, 3, 4)])
    assert "not ['Summary'" in closing_problems(swapped, "01_value", tmp_path)[0]
    few = _nb(good["cells"][0], _md("## Questions\n\n1. Why?"), *good["cells"][2:])
    assert closing_problems(few, "01_value", tmp_path) == ["fewer than 6 numbered questions under '## Questions'"]


def test_the_parameter_rule_finds_unknown_names_other_defaults_and_own_checks():
    setup = _code("import crmlib\ntx = crmlib.chapter.setup(globals())")
    good = _nb(_code("data_path = None\nread_options = {}\nmargin_rate = 0.3  # share", ("parameters",)), setup)
    assert parameter_problems(good) == []
    bad = _nb(
        _code("data_path = None\nmargin_rate = 0.35\nmargin = 1", ("parameters",)),
        _code("from crmlib import params\nparams.check_number(margin, 'margin')"),
    )
    problems = parameter_problems(bad)
    assert "parameter 'margin' is not in crmlib.chapter.PARAMETERS" in problems
    assert "parameter 'margin_rate' = 0.35, but its default in crmlib.chapter is 0.3" in problems
    assert "a chapter with data_path needs read_options" in problems
    assert "the cell after the parameters does not call crmlib.chapter.setup(globals())" in problems
    assert "a cell checks parameters itself (params.check_*): the table does it" in problems


def test_the_check_and_output_rules_find_banners_and_cut_tables():
    assert check_problems(_nb(_code("# NBVAL_CHECK_OUTPUT\nprint(1)"))) != []
    assert check_problems(_nb(_code("print(1)", ("nbval-check-output",)))) != []
    assert check_problems(_nb(_code("print(1)", ("nbval-check-output", "remove-cell")))) == []
    cut = {"output_type": "execute_result", "data": {"text/plain": "0  The firm listens to its custo..."}}
    rows = {"output_type": "execute_result", "data": {"text/html": "<tr><td>...</td></tr>"}}
    fine = {"output_type": "stream", "name": "stdout", "text": "revenue 1,234.5 in 2024. Done.\n"}
    assert output_problems(_nb(_code("x", outputs=(cut,)))) != []
    assert output_problems(_nb(_code("x", outputs=(rows,)))) != []
    widget = {
        "output_type": "display_data",
        "data": {"text/plain": "interactive(children=(FloatSlider(…", "application/vnd.jupyter.widget-view+json": {}},
    }
    assert output_problems(_nb(_code("x", outputs=(fine, widget)))) == []


# --------------------------------------------------------------------------- the stored chapters


def test_every_chapter_is_checked():
    assert len(CHAPTERS) >= 10


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_follows_the_contract(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = (
        opening_problems(nb)
        + closing_problems(nb, path.stem, EXERCISES)
        + parameter_problems(nb)
        + check_problems(nb)
        + output_problems(nb)
    )
    assert problems == [], f"{path.name}: " + "; ".join(problems)


def test_the_report_and_the_chapters_share_their_defaults():
    from dataclasses import fields

    from crmlib.report import ReportSettings

    shared = {f.name: f.default for f in fields(ReportSettings) if f.name in PARAMETERS}
    assert {"margin_rate", "discount_rate", "horizon_months", "unit", "p_alive_risk"} <= set(shared)
    assert {name: PARAMETERS[name].default for name in shared} == shared


# --------------------------------------------------------------------------- setup's errors, in a chapter's terms


def test_setup_names_read_options_keys_and_parameters_in_one_sentence(tmp_path):
    from crmlib.chapter import setup
    from crmlib.data import DataError
    from crmlib.params import ParameterError

    bad = tmp_path / "sales.csv"
    bad.write_text("customer_id,date,amount\nA,2024-01-01,abc\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        setup({"data_path": str(bad), "read_options": {}})
    assert "read_options['amount']" in str(caught.value) and "amount=" not in str(caught.value)
    with pytest.raises(ParameterError, match=r"no option 'custmer'; the reader's options are: customer, date"):
        setup({"data_path": str(bad), "read_options": {"custmer": "id"}})
    with pytest.raises(ParameterError, match=r"'horizon_months' parameter must be a number in \(0, 120\]"):
        setup({"data_path": None, "read_options": {}, "horizon_months": 1e9})
    with pytest.raises(ParameterError, match="The minor tier needs the rest"):
        setup({"vip_share": 0.5, "major_share": 0.4, "common_share": 0.2})
