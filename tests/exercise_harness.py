"""Helpers shared by the exercise tests: reading a source's questions, and making submissions from it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from crmlib.resources import kit_folder

SOURCE_DIR = kit_folder("exercises") / "source"
STUDENT_DIR = kit_folder("exercises")
ALL_STEMS = sorted(p.stem for p in SOURCE_DIR.glob("[0-9][0-9]_*.ipynb"))


def read_source(stem: str):
    return nbformat.read(SOURCE_DIR / f"{stem}.ipynb", as_version=4)


def questions(nb) -> dict[str, int]:
    """question id -> points, read from the check calls of a source (in order)."""
    points = {}
    for cell in nb.cells:
        match = re.search(r"ex\.check_\w+\(\s*[\"'](q\d+)[\"']", cell.source)
        if cell.cell_type == "code" and match:
            given = re.search(r"\bpoints=(\d+)", cell.source[match.start():])  # the check call's own points
            points[match.group(1)] = int(given.group(1)) if given else 1
    return points


def with_answer(stem: str, question: str, code: str, path: Path) -> Path:
    """The source (every solution right) with the answer cell of one question replaced by ``code``."""
    nb = read_source(stem)
    (cell,) = [c for c in nb.cells if c.get("id") == f"{question}-answer"]
    cell.source = code
    nbformat.write(nb, path)
    return path
