"""The glossary: its terms, their anchors, and the chapters' links to them.

The glossary is ``notebooks/glossary.md`` beside the chapters. Each term is a second-level heading followed by
an explicit anchor, which is the heading's slug (lower case, punctuation dropped, spaces as hyphens)::

    ## Customer equity
    <a id="customer-equity"></a>

    The sum of the lifetime values of ... Taught in [04 · CLV](04_clv_npv.ipynb).

A chapter links the first use of a term with ``[customer equity](glossary.md#customer-equity)``. The same link
works in JupyterLab (which finds the explicit anchor) and on the course site (where Sphinx finds the heading by
its slug), so the anchor must equal the slug: :func:`glossary_terms` checks it, and :func:`broken_glossary_links`
lists every chapter link whose anchor the glossary does not define (a test runs it on every chapter).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GlossaryTerm", "broken_glossary_links", "glossary_links", "glossary_path", "glossary_terms", "slugify"]

_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_ANCHOR = re.compile(r'^<a\s+id="([^"]+)"\s*>\s*</a>\s*$')
_LINK = re.compile(r"\]\(\s*(?:\./)?glossary\.md#([^)\s]+)\s*\)")
_CHAPTER_LINK = re.compile(r"\]\(\s*(?:\./)?(\d\d_[a-z0-9_]+)\.ipynb")


@dataclass(frozen=True)
class GlossaryTerm:
    """One entry of the glossary: the term as written, its anchor, and the chapters its text links to."""

    term: str
    anchor: str
    chapters: tuple[str, ...]


def slugify(text: str) -> str:
    """The anchor of a heading, as MyST (the site) makes it: lower case, no punctuation, hyphens for spaces.

    >>> slugify("Customer equity")
    'customer-equity'
    >>> slugify("BG/NBD model")
    'bgnbd-model'
    >>> slugify("P(alive)")
    'palive'
    """
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def glossary_path(folder: Path | str | None = None) -> Path:
    """``glossary.md`` in the chapters' folder (default: the kit's, see :func:`crmlib.course.notebooks_dir`).

    Examples
    --------
    >>> glossary_path().is_file()
    True
    >>> glossary_path("course").as_posix()
    'course/glossary.md'
    """
    from crmlib.course._chapters import notebooks_dir

    return (Path(folder) if folder is not None else notebooks_dir()) / "glossary.md"


def glossary_terms(path: Path | str | None = None) -> dict[str, GlossaryTerm]:
    """The glossary's terms by anchor, in the order of the page.

    Raises
    ------
    ValueError
        If a term has no explicit anchor on the line after its heading, if an anchor is not its heading's slug,
        or if two terms share an anchor; the message names the term and the fix.

    Examples
    --------
    >>> glossary_terms()["customer-equity"].term
    'Customer equity'
    """
    path = Path(path) if path is not None else glossary_path()
    lines = path.read_text(encoding="utf-8").splitlines()
    terms: dict[str, GlossaryTerm] = {}
    for i, line in enumerate(lines):
        heading = _HEADING.match(line)
        if not heading:
            continue
        term = heading.group(1)
        anchor_line = lines[i + 1].strip() if i + 1 < len(lines) else ""
        anchor = _ANCHOR.match(anchor_line)
        wanted = slugify(term)
        if not anchor:
            raise ValueError(
                f"{path.name}: the term {term!r} (line {i + 1}) needs the anchor "
                f'<a id="{wanted}"></a> on the next line.'
            )
        if anchor.group(1) != wanted:
            raise ValueError(
                f"{path.name}: the anchor of {term!r} (line {i + 2}) is {anchor.group(1)!r}; "
                f"it must be its slug {wanted!r}."
            )
        if wanted in terms:
            raise ValueError(f"{path.name}: two terms have the anchor {wanted!r}; give one of them another name.")
        end = next((j for j in range(i + 1, len(lines)) if _HEADING.match(lines[j])), len(lines))
        body = "\n".join(lines[i + 2 : end])
        found = tuple(dict.fromkeys(_CHAPTER_LINK.findall(body)))
        terms[wanted] = GlossaryTerm(term, wanted, found)
    return terms


def glossary_links(notebook: Path | str) -> list[tuple[int, str]]:
    """Every ``glossary.md#anchor`` link of a notebook's Markdown cells, as (cell index, anchor).

    Examples
    --------
    >>> import tempfile
    >>> cells = [{"cell_type": "markdown", "metadata": {}, "source": "Sum the [CLV](glossary.md#customer-equity)."}]
    >>> path = Path(tempfile.mkdtemp()) / "demo.ipynb"
    >>> _ = path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    >>> glossary_links(path)
    [(0, 'customer-equity')]
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    found = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", ""))
            found += [(index, anchor) for anchor in _LINK.findall(source)]
    return found


def broken_glossary_links(notebooks: list[Path] | None = None, glossary: Path | str | None = None) -> list[str]:
    """One line per chapter link to a glossary anchor that does not exist (an empty list when all resolve).

    >>> broken_glossary_links()
    []
    """
    from crmlib.course._chapters import chapters

    anchors = set(glossary_terms(glossary))
    paths = notebooks if notebooks is not None else [c.path for c in chapters()]
    problems = []
    for path in paths:
        for cell, anchor in glossary_links(path):
            if anchor not in anchors:
                problems.append(
                    f"{Path(path).stem}, cell {cell}: glossary.md#{anchor} is not a term of the glossary "
                    "(add the term, or link one of its anchors)"
                )
    return problems
