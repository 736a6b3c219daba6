"""Instructor sources, student versions, rosters, per-student handouts and their release archives.

Every cell of a source that belongs to a question carries its role in its metadata,
``{"crmlib": {"question": "q1", "role": "answer"}}``; roles are ``parameters``, ``setup``, ``given`` (data shown
for a question), ``text`` (the question), ``answer`` (the student's cell) and ``check``. The grader matches a
submission's cells to questions by this metadata first, then by a ``q1-answer``-style tag, and uses cell ids only as
a hint, so a notebook saved without ids (nbformat 4.4) or with a re-created cell still counts.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmlib.exercises.model import ExerciseError
from crmlib.resources import kit_folder

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
ROLES = ("parameters", "setup", "given", "text", "answer", "check")
_SOLUTION_RE = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.S | re.M)
_ROLE_TAG = re.compile(r"^(q\d+)-(text|answer|check|given)\w*$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def exercises_dir() -> Path:
    """The kit's ``exercises/`` folder (student versions; ``source/`` holds the instructor versions).

    Examples
    --------
    >>> (exercises_dir() / "source").is_dir()
    True
    """
    return kit_folder("exercises")


def sources(folder: Path | None = None) -> list[Path]:
    """The instructor notebooks ``exercises/source/NN_<chapter>.ipynb``, in order.

    Examples
    --------
    >>> sources()[0].name
    '00_start_here.ipynb'
    """
    folder = Path(folder) if folder is not None else exercises_dir() / "source"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def cell_role(cell: Any) -> tuple[str | None, str | None]:
    """``(role, question)`` of a cell from its metadata, else from a ``q1-answer`` style tag; ``(None, None)``.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell
    >>> cell_role(new_code_cell("x = 1", metadata={"crmlib": {"role": "answer", "question": "q2"}}))
    ('answer', 'q2')
    >>> cell_role(new_code_cell("x = 1", metadata={"tags": ["q3-check"]}))
    ('check', 'q3')
    """
    meta = cell.get("metadata", {}).get("crmlib")
    if isinstance(meta, dict) and meta.get("role") in ROLES:
        question = meta.get("question")
        return str(meta["role"]), str(question) if isinstance(question, str) else None
    tags = cell.get("metadata", {}).get("tags", [])
    if isinstance(tags, list):
        if "parameters" in tags:
            return "parameters", None
        for tag in tags:
            match = _ROLE_TAG.match(str(tag))
            if match:
                return match.group(2), match.group(1)
    return None, None


def strip_solutions(text: str) -> str:
    r"""Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by the student stub.

    >>> print(strip_solutions("x = 1\n### BEGIN SOLUTION\ny = x + 1\n### END SOLUTION\n"))
    x = 1
    # YOUR CODE HERE
    raise NotImplementedError()
    <BLANKLINE>
    """
    if BEGIN in text and END not in text:
        raise ExerciseError("A cell has '### BEGIN SOLUTION' without '### END SOLUTION'.")

    def repl(match: re.Match) -> str:
        indent = match.group(1)
        return "\n".join(indent + line for line in STUB.splitlines()) + match.group(2)

    return _SOLUTION_RE.sub(repl, text)


def markdown_escape(text: str) -> str:
    r"""A user's text (a name, an answer) safe inside Markdown: HTML escaped, emphasis, links and tables quoted.

    >>> markdown_escape("<b>Ann*</b> (=1+1)")
    '&lt;b&gt;Ann\\*&lt;/b&gt; (=1+1)'
    """
    text = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def _set_seed(nb: Any, seed: int) -> None:
    for cell in nb.cells:
        if cell_role(cell)[0] == "parameters":
            new, count = re.subn(r"(?m)^seed\s*=\s*[^#\n]*?(?=[ \t]*(#|$))", f"seed = {int(seed)}", cell.source)
            if count == 0:
                raise ExerciseError("The exercise's parameters cell has no 'seed = ...' line.")
            cell.source = new
            return
    raise ExerciseError("The exercise has no cell tagged 'parameters'.")


@dataclass(frozen=True)
class Student:
    """One row of a roster: the student's id, name and data seed."""

    student_id: str
    name: str
    seed: int


def seed_for(student_id: str) -> int:
    """The data seed of a student: a stable number from the student id (nine digits).

    The same id gives the same seed on every machine, so the handout and the grader agree without a file between
    them; a roster may give seeds of its own in a ``seed`` column instead.

    Examples
    --------
    >>> seed_for("s001") == seed_for("s001") != seed_for("s002")
    True
    """
    digest = hashlib.sha256(f"crmlib-exercises:{student_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 900_000_000 + 100_000_000


def read_roster(path: Path | str) -> list[Student]:
    r"""Read a roster CSV with columns ``student_id,name`` (and optionally ``seed``).

    Ids must be 1 to 64 letters, digits, ``.``, ``_`` or ``-`` (they name folders and files); ids and seeds must
    be unique. Every problem raises :class:`ExerciseError` naming the line.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> roster = Path(tempfile.mkdtemp()) / "roster.csv"
    >>> _ = roster.write_text("student_id,name,seed\ns001,Ada Lovelace,17\ns002,Alan Turing,\n", encoding="utf-8")
    >>> [(s.student_id, s.seed == seed_for(s.student_id)) for s in read_roster(roster)]
    [('s001', False), ('s002', True)]
    >>> _ = roster.write_text("student_id,name\ns001,Ada\ns001,Alan\n", encoding="utf-8")
    >>> read_roster(roster)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlib.exercises.model.ExerciseError: Line 3 of ...: student id s001 repeats line 2.
    """
    path = Path(path)
    if not path.is_file():
        raise ExerciseError(f"The roster {path} does not exist; give a CSV with columns student_id,name.")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in reader.fieldnames or []]
        if "student_id" not in columns or "name" not in columns:
            raise ExerciseError(f"The roster {path} must have the columns student_id,name; it has {','.join(columns)}.")
        students: list[Student] = []
        seen: dict[str, int] = {}
        seeds: dict[int, str] = {}
        for line, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            sid = row["student_id"]
            if not sid and not row["name"]:
                continue
            _check_id(sid, line, path, seen)
            seen[sid] = line
            seed = _roster_seed(row, sid, line, path)
            if seed in seeds:
                raise ExerciseError(f"Line {line} of {path}: students {seeds[seed]} and {sid} have the same seed "
                                    f"{seed}; give them different seeds in a seed column.")
            seeds[seed] = sid
            students.append(Student(sid, row["name"], seed))
    if not students:
        raise ExerciseError(f"The roster {path} lists no students.")
    return students


def _check_id(sid: str, line: int, path: Path, seen: dict[str, int]) -> None:
    """Refuse an id that cannot name a folder, or one an earlier line has."""
    if not _ID_RE.match(sid):
        raise ExerciseError(f"Line {line} of {path}: the student id {sid!r} must be 1-64 letters, digits, "
                            "'.', '_' or '-' (it names the student's folder).")
    if sid in seen:
        raise ExerciseError(f"Line {line} of {path}: student id {sid} repeats line {seen[sid]}.")


def _roster_seed(row: dict[str, str], sid: str, line: int, path: Path) -> int:
    """The seed of a roster line: its ``seed`` column, else :func:`seed_for` of the id."""
    if not row.get("seed"):
        return seed_for(sid)
    if not re.fullmatch(r"\d{1,12}", row["seed"]):
        raise ExerciseError(f"Line {line} of {path}: the seed {row['seed']!r} must be a whole number.")
    return int(row["seed"])


def student_version(source_path: Path | str, *, seed: int | None = None, student: Student | None = None) -> Any:
    """The student notebook of one source: solutions stubbed, outputs cleared, roles and ids kept.

    With ``student``, the notebook carries the student's id and seed in its metadata (``crmlib.student_id``,
    ``crmlib.seed``), the seed in its parameters cell and the name in its title cell.

    Examples
    --------
    >>> nb = student_version(sources()[0], student=Student("s001", "Ada Lovelace", 17))
    >>> nb.metadata["crmlib"]["student_id"], nb.metadata["crmlib"]["seed"]
    ('s001', 17)
    >>> any("### BEGIN SOLUTION" in cell.source for cell in nb.cells)
    False
    """
    import nbformat

    nb = nbformat.read(Path(source_path), as_version=4)
    if student is not None:
        seed = student.seed
    for cell in nb.cells:
        role, _ = cell_role(cell)
        if BEGIN in cell.source or role == "answer":
            if cell.cell_type == "code":
                cell.source = strip_solutions(cell.source)
            else:
                cell.source = re.sub(r"(?s)### BEGIN SOLUTION.*?### END SOLUTION", TEXT_STUB, cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    if seed is not None:
        _set_seed(nb, seed)
    nb.metadata.pop("papermill", None)
    meta = nb.metadata.setdefault("crmlib", {})
    meta["exercise"] = Path(source_path).stem
    meta["seed"] = int(seed) if seed is not None else _default_seed(nb)
    if student is not None:
        meta["student_id"] = student.student_id
        title = nb.cells[0]
        first, _, rest = title.source.partition("\n")
        name = markdown_escape(" ".join(student.name.split()))
        title.source = (f"{first}\n\n**Student:** {name} ({student.student_id}) · "
                        f"data seed {student.seed}\n{rest}")
    return nb


def _default_seed(nb: Any) -> int:
    for cell in nb.cells:
        if cell_role(cell)[0] == "parameters":
            match = re.search(r"(?m)^seed\s*=\s*(\d+)", cell.source)
            if match:
                return int(match.group(1))
    raise ExerciseError("The exercise's parameters cell has no 'seed = <number>' line.")


def dumps(nb: Any) -> str:
    r"""The notebook as stored (nbformat's JSON, ending in a newline).

    Examples
    --------
    >>> import json
    >>> text = dumps(student_version(sources()[0]))
    >>> text.endswith("\n"), json.loads(text)["nbformat"]
    (True, 4)
    """
    import nbformat

    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def build(*, check: bool = False, out: Path | str | None = None, source_dir: Path | None = None) -> list[Path]:
    """Write the student versions of every source (or, with ``check``, compare them with the written ones).

    Parameters
    ----------
    check : do not write; raise :class:`ExerciseError` listing the student versions that differ from (or are
        missing against) what the sources generate.
    out : folder for the student versions (default: the kit's ``exercises/``).
    source_dir : folder of the sources (default: the kit's ``exercises/source/``).

    Returns
    -------
    list of pathlib.Path
        The paths written (or checked).

    Examples
    --------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> [p.name for p in build(out=out)] == [p.name for p in sources()]
    True
    >>> len(build(check=True, out=out)) == len(sources())  # what was written is up to date
    True
    """
    srcs = sources(source_dir)
    if not srcs:
        raise ExerciseError(f"There are no exercise sources in {source_dir or exercises_dir() / 'source'}.")
    target = Path(out) if out is not None else exercises_dir()
    stale, written = [], []
    for src in srcs:
        text = dumps(student_version(src))
        path = target / src.name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            target.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
        written.append(path)
    if stale:
        raise ExerciseError(
            f"These student versions are out of date with exercises/source/: {', '.join(stale)}. "
            "Run 'crmlib exercises build' (make exercises) and commit the result."
        )
    return written


def build_handouts(roster: Path | str, out: Path | str, *, force: bool = False,
                   source_dir: Path | None = None) -> list[Path]:
    r"""Write ``out/<student_id>/NN_<chapter>.ipynb`` for every student of the roster.

    Each notebook carries the student's id and seed in its metadata, the seed in its parameters cell and the name in
    its title cell. The handout holds the student notebooks and a short README, nothing else: no sources, no
    solutions. A folder holding an earlier handout is refused unless ``force``; files the kit did not write are never
    replaced.

    Returns
    -------
    list of pathlib.Path
        The students' folders.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> work = Path(tempfile.mkdtemp())
    >>> _ = (work / "roster.csv").write_text("student_id,name\ns001,Ada\ns002,Alan\n", encoding="utf-8")
    >>> folders = build_handouts(work / "roster.csv", work / "handout")
    >>> [f.name for f in folders], sorted(p.name for p in folders[0].iterdir())[0]
    (['s001', 's002'], '00_start_here.ipynb')
    >>> [p.name for p in release(work / "handout", work / "upload")]
    ['s001.zip', 's002.zip']
    """
    from crmlib.exercises.folders import output_folder

    students = read_roster(roster)
    srcs = sources(source_dir)
    if not srcs:
        raise ExerciseError(f"There are no exercise sources in {source_dir or exercises_dir() / 'source'}.")
    folder = output_folder(out, "exercises build", force=force)
    with folder:
        for student in students:
            for src in srcs:
                path = folder.path(f"{student.student_id}/{src.name}")
                path.write_text(dumps(student_version(src, student=student)), encoding="utf-8")
            folder.path(f"{student.student_id}/README.md").write_text(
                f"# Exercises for {student.name} ({student.student_id})\n\n"
                f"Open the notebooks in JupyterLab with the course kit installed and run them from the top. Your data "
                f"seed is {student.seed}; keep it, and keep the notebooks' names. Hand back the notebooks as they are "
                f"(File > Save), without renaming them.\n", encoding="utf-8")
    return [Path(out) / s.student_id for s in students]


def release(handout: Path | str, out: Path | str, *, force: bool = False) -> list[Path]:
    """Pack every student folder of a handout into ``out/<student_id>.zip`` for an LMS upload.

    Only the notebooks and README of each student folder go in (no hidden files, no sources). A folder holding an
    earlier release is refused unless ``force``.

    Examples
    --------
    See :func:`build_handouts`; a folder that is not a handout is refused:

    >>> import tempfile
    >>> release(tempfile.mkdtemp(), tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlib.exercises.model.ExerciseError: The handout folder ... has no student folders.
    """
    from crmlib.exercises.folders import output_folder

    handout = Path(handout)
    if not handout.is_dir():
        raise ExerciseError(f"The handout folder {handout} does not exist; build it first with "
                            "'crmlib exercises build --roster roster.csv --out handout/'.")
    folders = sorted(p for p in handout.iterdir() if p.is_dir() and _ID_RE.match(p.name))
    if not folders:
        raise ExerciseError(f"The handout folder {handout} has no student folders.")
    target = output_folder(out, "exercises release", force=force)
    with target:
        for folder in folders:
            with zipfile.ZipFile(target.path(f"{folder.name}.zip"), "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(folder.iterdir()):
                    if path.is_file() and not path.name.startswith(".") and path.suffix in (".ipynb", ".md"):
                        zf.write(path, f"{folder.name}/{path.name}")
    return [Path(out) / f"{folder.name}.zip" for folder in folders]
