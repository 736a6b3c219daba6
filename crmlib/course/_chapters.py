"""The chapters: find them, read their parameters, and what makes an executed chapter the same on every run.

Chapters are the notebooks ``notebooks/NN_snake_name.ipynb`` of the kit's folder. Each has one cell
tagged ``parameters`` (papermill) whose defaults run on the bundled data. Running them is
:mod:`crmlib.course._execute`'s job; a chapter's page, :mod:`crmlib.course._page`'s. nbformat is imported
inside the functions, so ``import crmlib`` stays light.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "KERNEL_ARGUMENTS",
    "Chapter",
    "ChapterError",
    "chapters",
    "find_chapter",
    "notebook_parameters",
    "notebooks_dir",
    "parse_parameter",
    "strip_volatile",
]

_CHAPTER_RE = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")
#: The kit's kernels log nothing: a chapter's problems show as its cells' errors. (ipykernel warns about local
#: TCP on every start, and logs an ERROR line when it is interrupted on shutdown, which jupyter_client does to
#: every kernel it stops.)
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


class ChapterError(ValueError):
    """A chapter cannot be found or did not run; the message says which and why.

    When a cell raised an exception, ``ename`` and ``evalue`` are its name and message (else empty).
    """

    def __init__(self, message: str = "", *, ename: str = "", evalue: str = "") -> None:
        super().__init__(message)
        self.ename = ename
        self.evalue = evalue

    def __reduce__(self):
        return (_chapter_error, (str(self), self.ename, self.evalue))


def _chapter_error(message: str, ename: str, evalue: str) -> ChapterError:
    return ChapterError(message, ename=ename, evalue=evalue)


def notebooks_dir() -> Path:
    """Folder of the chapters: ``$CRMLIB_NOTEBOOKS`` if set, else the kit's ``notebooks`` folder.

    Examples
    --------
    >>> (notebooks_dir() / "00_start_here.ipynb").is_file()
    True
    """
    from crmlib.resources import kit_folder

    override = os.environ.get("CRMLIB_NOTEBOOKS")
    return Path(override) if override else kit_folder("notebooks")


@dataclass(frozen=True)
class Chapter:
    """One chapter of the course."""

    number: str
    name: str
    path: Path

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def title(self) -> str:
        """The first Markdown heading of the notebook (without the leading ``#``)."""
        import json

        cells = json.loads(self.path.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") == "markdown":
                for line in "".join(cell.get("source", "")).splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
        return self.name.replace("_", " ").capitalize()


def chapters(folder: Path | None = None) -> list[Chapter]:
    """The chapters in course order (by their two-digit number).

    >>> [c.number for c in chapters()][:1]
    ['00']
    """
    folder = Path(folder) if folder is not None else notebooks_dir()
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        match = _CHAPTER_RE.match(path.name)
        if match:
            found.append(Chapter(match.group(1), match.group(2), path))
    return found


def find_chapter(key: str | int, folder: Path | None = None) -> Chapter:
    """Find a chapter by number (``4``, ``"04"``), name (``"clv_npv"``), stem or file name.

    >>> find_chapter(0).stem
    '00_start_here'
    """
    all_chapters = chapters(folder)
    text = str(key).strip()
    if text.endswith(".ipynb"):
        text = Path(text).stem
    for chapter in all_chapters:
        if text in (chapter.stem, chapter.name) or (text.isdigit() and int(text) == int(chapter.number)):
            return chapter
    listed = ", ".join(c.stem for c in all_chapters) or "none found"
    raise ChapterError(f"There is no chapter {key!r}. The chapters are: {listed}.")


def parse_parameter(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` from the command line; the value is read as a Python literal if it is one.

    >>> parse_parameter("retention=0.8")
    ('retention', 0.8)
    >>> parse_parameter("unit=W")
    ('unit', 'W')
    >>> parse_parameter("data_path=None")
    ('data_path', None)
    """
    import ast

    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ChapterError(f"A parameter must be written name=value (for example retention=0.8); got {text!r}.")
    raw = raw.strip()
    lowered = raw.lower()
    if lowered in ("none", "null"):
        return name, None
    if lowered in ("true", "false"):
        return name, lowered == "true"
    try:
        return name, ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return name, raw


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The names and default values of a notebook's ``parameters`` cell.

    A default that is not a Python literal is given as its source text.

    Examples
    --------
    >>> notebook_parameters(find_chapter(4).path)["read_options"]
    {}
    """
    import ast
    import json

    cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            values = {}
            for node in ast.parse("".join(cell["source"])).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            try:
                                values[target.id] = ast.literal_eval(node.value)
                            except ValueError:
                                values[target.id] = ast.unparse(node.value)
            return values
    raise ChapterError(f"{Path(path).name} has no cell tagged 'parameters'.")


def strip_volatile(nb: NotebookNode) -> None:
    r"""Remove what changes from run to run (timings, papermill's clock, random widget ids), in place.

    Stored notebooks then diff cleanly: re-executing an unchanged chapter on the seeded data gives the same file.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("print(1); print(2)")
    >>> cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    >>> cell.outputs = [nbformat.v4.new_output("stream", text="1\n"), nbformat.v4.new_output("stream", text="2\n")]
    >>> nb = nbformat.v4.new_notebook(cells=[cell])
    >>> strip_volatile(nb)
    >>> dict(nb.cells[0].metadata), [o["text"] for o in nb.cells[0].outputs]
    ({}, ['1\n2\n'])
    """
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("metadata", {}).pop("execution", None)
            cell.outputs = _merge_streams(cell.get("outputs", []))
    _relabel_widgets(nb)
    _fix_random_output_ids(nb)


def _merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) outputs: how the kernel chunks printed text depends on timing."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\\\" {])")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def _fix_random_output_ids(nb) -> None:
    """Pandas' Styler tables get a random id (``T_1a2b3``) and reprs show memory addresses; make both fixed.

    Applied to the whole notebook (outputs and saved widget state), numbering the ids by first appearance.
    """
    import json

    import nbformat

    text = json.dumps(nb, sort_keys=True)
    mapping: dict[str, str] = {}
    for match in _STYLER_ID.finditer(text):
        mapping.setdefault(match.group(1), f"T_{len(mapping):05d}")
    new = _STYLER_ID.sub(lambda m: mapping[m.group(1)], text) if mapping else text
    new = _ADDRESS.sub(" at 0x0>", new)
    if new != text:
        fresh = nbformat.from_dict(json.loads(new))
        nb.clear()
        nb.update(fresh)


_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _relabel_widgets(nb) -> None:
    """Give the saved widget models ids that depend only on the notebook's content, not on chance.

    The kernel names each widget model with a random id. The ids are renumbered in a canonical order: the
    views displayed in the outputs (cell by cell), then the models each one refers to (``IPY_MODEL_<id>`` in
    its state, attributes in sorted order), breadth first; models nobody refers to come last, in the order of
    their content. Every occurrence of an old id in the notebook is replaced.
    """
    import json
    import uuid

    state = nb.metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    roots = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            view = output.get("data", {}).get(_WIDGET_VIEW)
            if view and view.get("model_id"):
                roots.append(view["model_id"])
    if not roots and not state:
        return
    ref = re.compile(r"IPY_MODEL_([0-9a-f]{32})")

    def refs(model_id: str) -> list[str]:
        body = state.get(model_id, {}).get("state", {})
        found = []
        for key in sorted(body):
            found += ref.findall(json.dumps(body[key], sort_keys=True))
        return found

    order: list[str] = []
    seen: set[str] = set()
    queue = list(roots)
    while queue:
        model_id = queue.pop(0)
        if model_id in seen:
            continue
        seen.add(model_id)
        order.append(model_id)
        queue += refs(model_id)
    rest = [m for m in state if m not in seen]
    rest.sort(key=lambda m: json.dumps(state[m], sort_keys=True).replace(m, ""))
    order += rest
    mapping = {old: uuid.uuid5(uuid.NAMESPACE_URL, f"crmlib-widget-{i}").hex for i, old in enumerate(order)}
    if not mapping:
        return
    text = json.dumps(nb)
    pattern = re.compile("|".join(map(re.escape, mapping)))
    text = pattern.sub(lambda m: mapping[m.group(0)], text)
    import nbformat

    fresh = nbformat.from_dict(json.loads(text))
    nb.clear()
    nb.update(fresh)
