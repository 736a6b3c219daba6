"""Helpers shared by the exercise tests: the sources, their solutions, and submissions made from them."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from crmlib.exercises import notebooks as nbm
from crmlib.exercises import student
from crmlib.exercises.sets import all_sets
from crmlib.resources import kit_folder

SOURCE_DIR = kit_folder("exercises") / "source"
STUDENT_DIR = kit_folder("exercises")
ALL_STEMS = sorted(p.stem for p in SOURCE_DIR.glob("[0-9][0-9]_*.ipynb"))


def read_source(stem: str):
    return nbformat.read(SOURCE_DIR / f"{stem}.ipynb", as_version=4)


def solution(cell) -> str:
    """The code (or text) of a source's answer cell without the solution markers: what a good student writes."""
    return "\n".join(line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line)


def answered(stem: str, who: nbm.Student | None = None, *, answers: dict[str, str] | None = None,
             text: str = "My answer, with the numbers of my data.") -> nbformat.NotebookNode:
    """The student version (for ``who``) with every answer cell filled with the source's solution, except the
    questions in ``answers`` (question id -> code), and every free-text answer filled with ``text``."""
    source = read_source(stem)
    solutions = {nbm.cell_role(c)[1]: solution(c) for c in source.cells if nbm.cell_role(c)[0] == "answer"}
    nb = nbm.student_version(SOURCE_DIR / f"{stem}.ipynb", student=who)
    for cell in nb.cells:
        role, question = nbm.cell_role(cell)
        if role != "answer":
            continue
        if cell.cell_type == "markdown":
            cell.source = text
        else:
            cell.source = (answers or {}).get(question, solutions[question])
    return nb


def run_in_process(nb, seed: int) -> list:
    """Execute a notebook's code cells in one namespace (no kernel) with ``seed``; the check outcomes, in order."""
    results: list = []
    shown = student._show
    student._show = results.append
    try:
        namespace: dict = {}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            code = f"seed = {seed}" if nbm.cell_role(cell)[0] == "parameters" else cell.source
            exec(compile(code, f"cell {cell.get('id')}", "exec"), namespace)
    finally:
        student._show = shown
    return results


def numbers_in(text: str) -> list[float]:
    """Every number written in a text (code or prose), as floats."""
    found = []
    for match in re.finditer(r"(?<![\w.])-?\d[\d,_]*(?:\.\d+)?(?:[eE][-+]?\d+)?", text):
        try:
            found.append(float(match.group(0).replace(",", "").replace("_", "")))
        except ValueError:
            continue
    return found


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


SETS = all_sets()
