"""Grading a class: every submission run in its own sandbox, every answer scored in the grader's own process.

For each submitted notebook the grader

1. reads it as plain JSON (a broken file is reported, never fatal) and finds its exercise, student and seed: the
   student from the folder name (``SUBS/<student_id>/``) or the notebook's metadata, the seed from the roster; a
   notebook whose metadata carries another student's id or seed is flagged as shared work;
2. plans the run: the trusted cells of the exercise (parameters, setup, data) come from the kit's own student
   version, whatever the submission did to them; every other code cell of the submission runs in its order, and each
   check cell (found by question id in its metadata or tag, or by its ``ex.check("q1", ...)`` call) becomes a
   capture of the question's answer variable; a question without a check cell is captured at the end;
3. runs the plan in :mod:`crmlib.exercises.sandbox` on the student's data, then once more on other data (the hidden
   variant check: an answer typed in rather than computed fails there); a cell that kills the process is skipped on a
   re-run, so one ``os._exit`` costs one question;
4. scores each answer record with :func:`crmlib.exercises.scoring.evaluate` against keys it computes itself from the
   seed, so nothing a submission defines, prints or displays changes a score.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmlib.exercises.model import ExerciseError, ExerciseSet, Given, Key, Question
from crmlib.exercises.notebooks import Student, cell_role, exercises_dir, read_roster, sources, student_version
from crmlib.exercises.sandbox import ChildRun, Limits, UidPool, resolve_isolation, run_child
from crmlib.exercises.scoring import Outcome, evaluate

#: Largest submission file read (bytes).
MAX_FILE = 20 * 1024 * 1024
#: Runs of one submission at most (the first, and re-runs that skip a cell which killed the process).
MAX_RUNS = 3
_CHECK_CALL = re.compile(r"""\s*(?:\w+\.)?check\(\s*["'](q\d+)["']\s*,\s*[A-Za-z_]\w*\s*\)\s*;?\s*""")


@dataclass
class Graded:
    """The grading of one submitted notebook (one row of the gradebook).

    Examples
    --------
    >>> graded = Graded("s001", "Ada", "04_clv_npv", "s001/04_clv_npv.ipynb",
    ...                 outcomes={"q1": Outcome("q1", "correct", 2.0, 2.0, "correct.")})
    >>> graded.flag("seed-changed"); graded.flag("seed-changed")
    >>> graded.total, graded.max_points, graded.flags
    (2.0, 2.0, ['seed-changed'])
    """

    student_id: str
    name: str
    notebook: str
    file: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seed: int | None = None
    seconds: float = 0.0
    failed: str = ""

    @property
    def total(self) -> float:
        """Points scored (marked text questions included)."""
        return float(sum(o.points for o in self.outcomes.values()))

    @property
    def max_points(self) -> float:
        """Points possible."""
        return float(sum(o.max_points for o in self.outcomes.values()))

    def flag(self, text: str) -> None:
        """Add a flag once."""
        if text not in self.flags:
            self.flags.append(text)


@dataclass
class Reference:
    """What the grader trusts about one exercise: its set, its source cells with roles, its prelude.

    Examples
    --------
    >>> reference = load_references()["04_clv_npv"]
    >>> reference.prelude(17)[0], reference.exercise.name
    ('seed = 17', '04_clv_npv')
    """

    exercise: ExerciseSet
    setup: str
    given: list[str]
    trusted_sources: dict[str, tuple[str, str | None]]

    def prelude(self, seed: int) -> list[str]:
        """The trusted code run before the student's cells."""
        return [f"seed = {int(seed)}", self.setup, *self.given]


class KeyCache:
    """The data and answer keys per exercise and seed, computed once each (shared by the grading threads).

    Examples
    --------
    >>> from crmlib.exercises.sets import get_set
    >>> keys = KeyCache()
    >>> data, answer_keys = keys.get(get_set("04_clv_npv"), 17)
    >>> keys.get(get_set("04_clv_npv"), 17)[0] is data, "q1" in answer_keys
    (True, True)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, int], tuple[Given, dict[str, Key]]] = {}

    def get(self, exercise: ExerciseSet, seed: int) -> tuple[Given, dict[str, Key]]:
        """``(data, keys)`` of one exercise for one seed."""
        key = (exercise.name, int(seed))
        with self._lock:
            if key not in self._data:
                data = exercise.data(seed)
                self._data[key] = (data, {q.id: q.key(data) for q in exercise})
            return self._data[key]


def load_references(source_dir: Path | None = None) -> dict[str, Reference]:
    """The trusted cells of every exercise, from the kit's sources.

    Examples
    --------
    >>> references = load_references()
    >>> "04_clv_npv" in references, references["04_clv_npv"].setup != ""
    (True, True)
    """
    from crmlib.exercises.sets import all_sets

    sets = all_sets()
    refs = {}
    for src in sources(source_dir):
        if src.stem not in sets:
            continue
        nb = student_version(src)
        setup, given, trusted = "", [], {}
        for cell in nb.cells:
            role, question = cell_role(cell)
            if cell.cell_type != "code" or role is None:
                continue
            if role == "setup":
                setup = cell.source
            elif role == "given":
                given.append(cell.source)
            if role in ("parameters", "setup", "given", "check"):
                trusted[_normal(cell.source)] = (role, question)
        refs[src.stem] = Reference(sets[src.stem], setup, given, trusted)
    return refs


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _source_text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(x) for x in value)
    return value if isinstance(value, str) else ""


def read_submission(path: Path) -> dict[str, Any]:
    """The notebook as a dict with ``cells`` (``cell_type``, ``source`` text, ``metadata``, ``id``) and ``metadata``.

    Raises
    ------
    ExerciseError
        If the file is too large, not JSON, or not a notebook.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.exercises.notebooks import Student, dumps
    >>> work = Path(tempfile.mkdtemp())
    >>> (work / "subs" / "s001").mkdir(parents=True)
    >>> path = work / "subs" / "s001" / "04_clv_npv.ipynb"  # Ada's handout, handed back untouched
    >>> source = exercises_dir() / "source" / "04_clv_npv.ipynb"
    >>> _ = path.write_text(dumps(student_version(source, student=Student("s001", "Ada", 17))), encoding="utf-8")
    >>> read_submission(path)["metadata"]["crmlib"]
    {'exercise': '04_clv_npv', 'seed': 17, 'student_id': 's001'}
    >>> _ = (work / "broken.ipynb").write_text("{not json", encoding="utf-8")
    >>> read_submission(work / "broken.ipynb")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlib.exercises.model.ExerciseError: the file is not valid JSON, so not a notebook (...)
    """
    size = path.stat().st_size
    if size > MAX_FILE:
        raise ExerciseError(f"the file is {size / 1e6:.0f} MB, more than a notebook can be ({MAX_FILE / 1e6:.0f} MB)")
    try:
        raw = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ExerciseError(f"the file is not valid JSON, so not a notebook ({str(exc)[:80]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ExerciseError("the file is JSON but not a Jupyter notebook (it has no list of cells)")
    cells = []
    for cell in raw["cells"]:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        cells.append({"cell_type": str(cell.get("cell_type", "")), "source": _source_text(cell.get("source")),
                      "metadata": meta, "id": str(cell.get("id", ""))})
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    return {"cells": cells, "metadata": meta, "nbformat": raw.get("nbformat"),
            "nbformat_minor": raw.get("nbformat_minor")}


def plan_cells(nb: dict[str, Any], ref: Reference) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The run plan of a submission, and how each question's answer was found (for the feedback).

    Returns
    -------
    plan : code steps (``source``, ``q`` the question it belongs to or ``None``) and capture steps (``q``, ``var``).
    found : question id -> ``"metadata"``, ``"check call"``, ``"end"`` (no check cell: captured after the last cell).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.exercises.notebooks import Student, dumps
    >>> work = Path(tempfile.mkdtemp())
    >>> (work / "subs" / "s001").mkdir(parents=True)
    >>> path = work / "subs" / "s001" / "04_clv_npv.ipynb"  # Ada's handout, handed back untouched
    >>> source = exercises_dir() / "source" / "04_clv_npv.ipynb"
    >>> _ = path.write_text(dumps(student_version(source, student=Student("s001", "Ada", 17))), encoding="utf-8")
    >>> plan, found = plan_cells(read_submission(path), load_references()["04_clv_npv"])
    >>> plan[0]["kind"], plan[1], found["q1"]
    ('code', {'kind': 'capture', 'q': 'q1', 'var': 'npv_value'}, 'metadata')
    """
    plan: list[dict[str, Any]] = []
    found: dict[str, str] = {}
    questions = {q.id: q for q in ref.exercise if q.kind != "text"}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        role, question = _planned_role(cell, ref, questions)
        if role in ("parameters", "setup", "given"):
            continue
        if role == "check" and question in questions:
            if question not in found:
                found[question] = "metadata" if cell_role(cell)[0] == "check" else "check call"
                plan.append({"kind": "capture", "q": question, "var": questions[question].variable})
            continue
        plan.append({"kind": "code", "source": cell["source"], "q": question if role == "answer" else None})
    for qid, q in questions.items():
        if qid not in found:
            found[qid] = "end"
            plan.append({"kind": "capture", "q": qid, "var": q.variable})
    _give_owners(plan)
    return plan, found


def _planned_role(
    cell: dict[str, Any], ref: Reference, questions: dict[str, Question]
) -> tuple[str | None, str | None]:
    """A code cell's role and question: from its metadata, else as a trusted cell of the kit, else as a check call."""
    role, question = cell_role(cell)
    if role is None:
        role, question = ref.trusted_sources.get(_normal(cell["source"]), (None, None))
    if role is None:
        # a cell that is only a check call; anything more is the student's
        match = _CHECK_CALL.fullmatch(cell["source"])
        if match and match.group(1) in questions:
            role, question = "check", match.group(1)
    return role, question


def _give_owners(plan: list[dict[str, Any]]) -> None:
    """A code step without a question belongs to the next capture after it."""
    owner = None
    for item in reversed(plan):
        if item["kind"] == "capture":
            owner = item["q"]
        elif item["q"] is None:
            item["q"] = owner


def text_answers(nb: dict[str, Any], exercise: ExerciseSet) -> tuple[dict[str, str], set[str]]:
    """The free-text answers by question, and the questions whose answer cell was found only by position.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.exercises.notebooks import Student, dumps
    >>> work = Path(tempfile.mkdtemp())
    >>> (work / "subs" / "s001").mkdir(parents=True)
    >>> path = work / "subs" / "s001" / "04_clv_npv.ipynb"  # Ada's handout, handed back untouched
    >>> source = exercises_dir() / "source" / "04_clv_npv.ipynb"
    >>> _ = path.write_text(dumps(student_version(source, student=Student("s001", "Ada", 17))), encoding="utf-8")
    >>> text_answers(read_submission(path), load_references()["04_clv_npv"].exercise)  # nothing written yet
    ({'q9': '', 'q10': ''}, set())
    """
    wanted = [q.id for q in exercise if q.kind == "text"]
    answers: dict[str, list[str]] = {}
    by_position: set[str] = set()
    current = None
    for cell in nb["cells"]:
        role, question = cell_role(cell)
        if role in ("text", "check") or (role == "answer" and question not in wanted):
            current = question if role == "text" and question in wanted else None  # a question's start or end
        elif cell["cell_type"] != "markdown":
            continue
        elif role == "answer" and question in wanted:
            answers.setdefault(question, []).append(cell["source"])
        elif role is None and current is not None and cell["source"].strip():
            current = _answer_by_position(cell["source"], current, answers, by_position)
    return _joined(answers), by_position


def _joined(answers: dict[str, list[str]]) -> dict[str, str]:
    """Each question's answer cells as one text (the stub left out), at most 20,000 characters."""
    from crmlib.exercises.notebooks import TEXT_STUB

    out = {}
    for qid, parts in answers.items():
        text = "\n\n".join(p.strip() for p in parts if p.strip() and p.strip() != TEXT_STUB)
        out[qid] = text[:20_000]
    return out


def _answer_by_position(source: str, current: str, answers: dict[str, list[str]], by_position: set[str]) -> str | None:
    """A markdown cell after a text question's cell without a role: part of the answer, or a heading that ends it."""
    if re.match(r"^\s*#{1,3} ", source):  # the next heading: the question's part is over
        return None
    answers.setdefault(current, []).append(source)
    by_position.add(current)
    return current


@dataclass
class Settings:
    """How a class is graded (the command-line options)."""

    limits: Limits = field(default_factory=Limits)
    isolation: str = "namespaces"
    variant: bool = True
    variant_seed: int = 0
    hidden: dict[tuple[str, str], list[Callable[[Any, Given], str | None]]] = field(default_factory=dict)
    hide: list[str] = field(default_factory=list)
    uids: UidPool = field(default_factory=lambda: UidPool(1))


def load_hidden_checks(path: Path | str) -> dict[tuple[str, str], list[Callable[[Any, Given], str | None]]]:
    r"""Read an instructor's hidden checks: a Python file defining ``HIDDEN_CHECKS``.

    ``HIDDEN_CHECKS = {("04_clv_npv", "q1"): [func, ...]}``; each ``func(answer, data)`` gets the student's answer
    (a number or text, as scored) and the student's data, and returns ``None`` when the answer passes or a sentence
    for the student when it does not (the question then scores 0). The file stays with the instructor: it is read
    by the grader only, never shown to a submission.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> checks = Path(tempfile.mkdtemp()) / "hidden.py"
    >>> _ = checks.write_text(
    ...     "def positive(answer, data):\n"
    ...     "    return None if answer > 0 else 'The NPV of these cash flows is positive.'\n"
    ...     "HIDDEN_CHECKS = {('04_clv_npv', 'q1'): [positive]}\n", encoding="utf-8")
    >>> loaded = load_hidden_checks(checks)
    >>> [check(-3.0, {}) for check in loaded[("04_clv_npv", "q1")]]
    ['The NPV of these cash flows is positive.']
    """
    path = Path(path)
    if not path.is_file():
        raise ExerciseError(f"The hidden checks file {path} does not exist (--hidden).")
    spec = importlib.util.spec_from_file_location("crmlib_hidden_checks", path)
    if spec is None or spec.loader is None:
        raise ExerciseError(f"The hidden checks file {path} cannot be loaded as Python (--hidden).")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checks = getattr(module, "HIDDEN_CHECKS", None)
    if not isinstance(checks, dict):
        raise ExerciseError(f"{path} must define HIDDEN_CHECKS = {{(exercise, question): [function, ...]}} (--hidden).")
    return {(str(k[0]), str(k[1])): list(v) for k, v in checks.items()}


def _describe_error(error: list[str] | None, limits: Limits) -> str:
    if not error:
        return ""
    ename, evalue = (list(error) + ["", ""])[:2]
    if ename == "NotImplementedError":
        return "not answered yet (the answer cell still raises NotImplementedError)"
    if ename == "Timeout":
        return f"stopped: the cell ran longer than {limits.cell_seconds} s of computing time"
    if ename == "MemoryError":
        return f"the cell ran out of memory (the limit is {limits.memory_mb} MB)"
    if "File too large" in evalue:
        return f"the cell wrote more than the output limit of {limits.output_mb} MB"
    if ename == "SyntaxError":
        return f"the answer cell has a syntax error: {evalue}"
    return f"the answer cell raised {ename}: {evalue}"


def _run(plan: list[dict[str, Any]], exercise: str, passes: list[Given], prelude: list[str], settings: Settings,
         deadline: float) -> tuple[list[ChildRun], dict[int, str]]:
    """Run the plan, re-running without a step that killed the process; the runs and the killed steps."""
    runs: list[ChildRun] = []
    killed: dict[int, str] = {}
    for _ in range(MAX_RUNS):
        left = deadline - time.monotonic()
        if left < 5:
            break
        limits = settings.limits
        if left < limits.wall_seconds:
            limits = dataclasses.replace(limits, wall_seconds=int(left))
        job = {"exercise": exercise, "passes": passes, "prelude": prelude, "plan": plan, "skip": sorted(killed)}
        run = _run_once(job, limits, settings)
        runs.append(run)
        if _ended(run):
            break
        step = _open_step(run)
        if step is None or step in killed:
            break
        last_line = next((line.strip() for line in reversed(run.output_tail.splitlines()) if line.strip()), "")
        killed[step] = (run.ended or "the process stopped") + (f"; its last output: {last_line[:160]}"
                                                               if last_line else "")
    return runs, killed


def _run_once(job: dict[str, Any], limits: Limits, settings: Settings) -> ChildRun:
    """One run of the job in the sandbox, under a user id of the pool."""
    uid = settings.uids.take()
    try:
        return run_child(job, limits=limits, isolation=settings.isolation, hide=settings.hide,
                         blocked_modules=["crmlib.exercises.sets"], uid=uid)
    finally:
        settings.uids.give(uid)


def _ended(run: ChildRun) -> bool:
    """Whether the run went to its end, or failed in a way a re-run cannot mend."""
    return any(e["e"] in ("done", "fatal", "sandbox-failed") for e in run.events)


def _open_step(run: ChildRun) -> int | None:
    """The last step that started and never ended (the one that stopped the process), or None."""
    started = [e for e in run.events if e["e"] == "start" and isinstance(e.get("i"), int) and e["i"] >= 0]
    ended = {(e.get("p"), e.get("i")) for e in run.events if e["e"] == "end"}
    open_steps = [e["i"] for e in started if (e.get("p"), e["i"]) not in ended]
    return open_steps[-1] if open_steps else None


def grade_notebook(path: Path, *, root: Path, refs: dict[str, Reference], roster: dict[str, Student],
                   seeds: dict[int, str], keys: KeyCache, settings: Settings) -> Graded:
    """Grade one submitted notebook; never raises for anything the submission holds or does.

    The steps: read the file, tell its exercise and student, run its plan in the sandbox (on the student's data and
    the variant's), then score each answer against the keys computed here.

    Examples
    --------
    A file that is not a notebook is a row of the gradebook with the reason, not an error (see :func:`grade_class`
    for a run):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.exercises.notebooks import Student
    >>> subs = Path(tempfile.mkdtemp())
    >>> (subs / "s001").mkdir()
    >>> _ = (subs / "s001" / "04_clv_npv.ipynb").write_text("{not json", encoding="utf-8")
    >>> graded = grade_notebook(subs / "s001" / "04_clv_npv.ipynb", root=subs, refs=load_references(),
    ...                         roster={"s001": Student("s001", "Ada", 17)}, seeds={17: "s001"}, keys=KeyCache(),
    ...                         settings=Settings(isolation="rlimits"))
    >>> graded.notebook, graded.flags, graded.outcomes["q1"].status, graded.total
    ('04_clv_npv', ['unreadable'], 'missing', 0.0)
    """
    start = time.monotonic()
    rel = path.relative_to(root)
    folder = rel.parts[0] if len(rel.parts) > 1 else ""
    graded = Graded(student_id=folder if folder in roster else "", name="", notebook="", file=str(rel))
    nb = _read_or_flag(path, graded)
    meta = _crmlib_metadata(nb)
    exercise_name = _exercise_of(path, meta, nb, refs, graded)
    _identify_student(graded, meta, nb, folder or path.stem, roster, seeds)
    if exercise_name is None:
        graded.notebook = path.stem
        if not graded.failed:
            graded.failed = "cannot tell which exercise this is (no crmlib metadata, and the file name names none)"
            graded.flag("unknown-exercise")
    elif nb is None:
        graded.notebook = exercise_name
        _score_unreadable(graded, refs[exercise_name])
    else:
        graded.notebook = exercise_name
        deadline = start + 2.5 * settings.limits.wall_seconds
        _grade_answers(graded, nb, exercise_name, refs[exercise_name], keys, settings, deadline=deadline)
    graded.seconds = time.monotonic() - start
    return graded


def _read_or_flag(path: Path, graded: Graded) -> dict[str, Any] | None:
    """The submission, or None (with the reason in ``graded``) when it cannot be read."""
    try:
        return read_submission(path)
    except (ExerciseError, OSError) as exc:
        graded.failed = str(exc)
        graded.flag("unreadable")
        return None


def _crmlib_metadata(nb: dict[str, Any] | None) -> dict[str, Any]:
    """The notebook's ``crmlib`` metadata (exercise, student id, seed), empty when absent or not a mapping."""
    meta = nb["metadata"].get("crmlib", {}) if nb is not None else {}
    return meta if isinstance(meta, dict) else {}


def _exercise_of(path: Path, meta: dict[str, Any], nb: dict[str, Any] | None, refs: dict[str, Reference],
                 graded: Graded) -> str | None:
    """The exercise from the metadata, else from a file name that names exactly one; None when neither does."""
    exercise_name = meta.get("exercise") if isinstance(meta.get("exercise"), str) else None
    if exercise_name in refs:
        return exercise_name
    guess = [name for name in refs if path.stem == name or path.stem.endswith("_" + name) or name in path.stem]
    if exercise_name is not None or nb is not None:
        graded.flag("missing-metadata")
    return guess[0] if len(guess) == 1 else None


def _identify_student(graded: Graded, meta: dict[str, Any], nb: dict[str, Any] | None, fallback_id: str,
                      roster: dict[str, Student], seeds: dict[int, str]) -> None:
    """Set the student, name and seed; flag a student off the roster, shared work and a changed seed."""
    meta_id = meta.get("student_id") if isinstance(meta.get("student_id"), str) else None
    raw_seed = meta.get("seed")
    meta_seed = raw_seed if isinstance(raw_seed, int) and not isinstance(raw_seed, bool) else None
    if not graded.student_id:
        if meta_id in roster:
            graded.student_id = meta_id  # an LMS layout: the folder does not name the student
        else:
            graded.student_id = fallback_id
            graded.flag("not-on-roster")
    student = roster.get(graded.student_id)
    graded.name = student.name if student else ""
    if student is None:
        graded.seed = meta_seed if meta_seed is not None else 0
        return
    graded.seed = student.seed
    _flag_foreign_metadata(graded, student, meta_id, meta_seed, seeds)
    if nb is not None and (meta_id is None or meta_seed is None):
        graded.flag("missing-metadata")


def _flag_foreign_metadata(graded: Graded, student: Student, meta_id: str | None, meta_seed: int | None,
                           seeds: dict[int, str]) -> None:
    """Flag a notebook whose metadata names another student, or a seed that is not the student's."""
    other = None
    if meta_id is not None and meta_id != student.student_id:
        other = meta_id
    elif meta_seed is not None and meta_seed != student.seed:
        other = seeds.get(meta_seed)
        if other is None:
            graded.flag("seed-changed")
    if other is not None:
        graded.flag(f"shared-work({other})")


def _score_unreadable(graded: Graded, ref: Reference) -> None:
    """Every question of an unreadable notebook: text ones await marks, the others are missing with the reason."""
    for q in ref.exercise:
        if q.kind == "text":
            graded.outcomes[q.id] = Outcome(q.id, "unmarked", 0.0, q.points, "awaiting your instructor's marks.")
        else:
            graded.outcomes[q.id] = Outcome(q.id, "missing", 0.0, q.points, f"not graded: {graded.failed}.")


@dataclass
class _Sandboxed:
    """What the sandbox's runs of one submission gave: answers by (pass, question), errors and killed steps."""

    plan: list[dict[str, Any]]
    found: dict[str, str]
    answers: dict[tuple[int, str], dict[str, Any] | None] = field(default_factory=dict)
    errors: dict[int, list[str]] = field(default_factory=dict)
    killed: dict[int, str] = field(default_factory=dict)
    step_errors: dict[str, str] = field(default_factory=dict)

    def has_code(self, qid: str) -> bool:
        """Whether the plan holds a code cell of this question."""
        return any(item["kind"] == "code" and item.get("q") == qid for item in self.plan)


def _grade_answers(graded: Graded, nb: dict[str, Any], exercise_name: str, ref: Reference, keys: KeyCache,
                   settings: Settings, *, deadline: float) -> None:
    """Run the submission in the sandbox and score every question (the outcomes in the exercise's order)."""
    exercise = ref.exercise
    for q in exercise:
        if q.kind == "text":
            graded.outcomes[q.id] = Outcome(q.id, "unmarked", 0.0, q.points, "awaiting your instructor's marks.")
    seed = int(graded.seed or 0)
    data, own_keys = keys.get(exercise, seed)
    passes = [data]
    variant_keys: dict[str, Key] = {}
    if settings.variant and any(q.variant for q in exercise):
        variant_data, variant_keys = keys.get(exercise, settings.variant_seed)
        passes.append(variant_data)
    plan, found = plan_cells(nb, ref)
    runs, killed = _run(plan, exercise_name, passes, ref.prelude(seed), settings, deadline=deadline)
    sandboxed = _Sandboxed(plan, found, killed=killed)
    _read_events(graded, runs, sandboxed)
    _flag_stopped_steps(graded, sandboxed, settings.limits)
    unmatched = []
    for q in exercise:
        if q.kind == "text":
            continue
        hidden = settings.hidden.get((exercise_name, q.id), [])
        outcome = _score_question(graded, q, sandboxed, own_keys[q.id], variant_keys, hidden, data)
        if outcome is None:  # no answer and no cell of the question: the notebook lost its cells
            unmatched.append(q.id)
            outcome = _no_answer(q, sandboxed)
        graded.outcomes[q.id] = outcome
    unmatched += _score_texts(graded, nb, exercise, own_keys)
    if unmatched:
        graded.flag(f"unmatched({','.join(unmatched)})")
    graded.outcomes = {q.id: graded.outcomes[q.id] for q in exercise}


def _score_question(graded: Graded, q: Question, sandboxed: _Sandboxed, key: Key, variant_keys: dict[str, Key],
                    hidden: list[Callable[[Any, Given], str | None]], data: Given) -> Outcome | None:
    """The outcome of one question scored in the grader's process; None when the notebook has no cell for it."""
    if graded.failed and (0, q.id) not in sandboxed.answers:
        return Outcome(q.id, "missing", 0.0, q.points, f"not graded: {graded.failed}.")
    record = sandboxed.answers.get((0, q.id))
    if record is None:
        unmatched = sandboxed.found.get(q.id) == "end" and not sandboxed.has_code(q.id)
        return None if unmatched and not sandboxed.step_errors.get(q.id) else _no_answer(q, sandboxed)
    outcome = evaluate(q, key, record)
    if outcome.correct:
        outcome = _variant_check(graded, q, outcome, variant_keys, sandboxed.answers)
    if outcome.correct:
        outcome = _hidden_checks(graded, q, outcome, record, data, hidden)
    if sandboxed.found.get(q.id) == "end" and outcome.status == "correct":
        graded.notes.append(f"{q.id}: no check cell; the answer was taken from `{q.variable}` after the last cell")
    return outcome


def _read_events(graded: Graded, runs: list[ChildRun], sandboxed: _Sandboxed) -> None:
    """Collect the answers and cell errors of the runs; flag what the sandbox reported and a run that did not end."""
    events = [e for run in runs for e in run.events]
    for e in events:
        _read_event(graded, e, sandboxed)
    if not any(e["e"] == "done" for e in events) and not graded.failed:
        last = runs[-1] if runs else None
        graded.notes.append(f"the run did not finish: {last.ended if last else 'out of time'}")
        graded.flag("incomplete")


def _read_event(graded: Graded, e: dict[str, Any], sandboxed: _Sandboxed) -> None:
    """One event of a run: an answer (the first per pass and question), a cell's error, a flag or a failure."""
    kind = e["e"]
    if kind == "answer":
        _keep_answer(e, sandboxed)
    elif kind == "end":
        _keep_error(e, sandboxed)
    elif kind == "flag":
        flag = str(e.get("kind", ""))
        if flag in ("answer-key", "denied-read"):
            graded.flag(flag)
            graded.notes.append(f"{flag}: {str(e.get('detail', ''))[:200]}")
    elif kind in ("fatal", "sandbox-failed"):
        graded.failed = f"the grader could not run this notebook ({kind}: {str(e.get('detail', ''))[:200]})"
        graded.flag("not-run")


def _keep_answer(e: dict[str, Any], sandboxed: _Sandboxed) -> None:
    """The first answer record of a question in a pass (None when the record is not a mapping)."""
    p, q = e.get("p"), e.get("q")
    if isinstance(q, str) and isinstance(p, int) and (p, q) not in sandboxed.answers:
        rec = e.get("rec")
        sandboxed.answers[(p, q)] = rec if isinstance(rec, dict) else None


def _keep_error(e: dict[str, Any], sandboxed: _Sandboxed) -> None:
    """The first error of a step of the student's pass (name and message, each cut to 300 characters)."""
    i = e.get("i")
    if e.get("p") == 0 and isinstance(i, int) and i >= 0 and e.get("error") and i not in sandboxed.errors:
        err = e["error"]
        sandboxed.errors[i] = [str(x)[:300] for x in err] if isinstance(err, list) else ["Error", str(err)[:300]]


def _flag_stopped_steps(graded: Graded, sandboxed: _Sandboxed, limits: Limits) -> None:
    """Flag the cells killed or stopped by a limit, and say per question why its cells failed."""
    plan = sandboxed.plan
    for step, why in sandboxed.killed.items():
        where = plan[step].get("q") or "?"
        graded.flag(f"killed({where})")
        graded.notes.append(f"a cell of {where} stopped the whole run ({why}); it was skipped on a re-run")
    for step, err in sandboxed.errors.items():
        where = plan[step].get("q") or "?"
        if err[0] == "Timeout":
            graded.flag(f"timeout({where})")
        elif err[0] == "MemoryError":
            graded.flag(f"memory({where})")
        elif "File too large" in err[1]:
            graded.flag(f"output({where})")
    for step, item in enumerate(plan):
        owner = item.get("q")
        if owner is None or item["kind"] != "code":
            continue
        if step in sandboxed.killed:
            sandboxed.step_errors.setdefault(
                owner, f"a cell of this question stopped the whole run ({sandboxed.killed[step]}), so it was skipped"
            )
        elif step in sandboxed.errors and owner not in sandboxed.step_errors:
            sandboxed.step_errors[owner] = _describe_error(sandboxed.errors[step], limits)


def _no_answer(q: Question, sandboxed: _Sandboxed) -> Outcome:
    """The outcome of a question whose answer variable was never captured, with the reason."""
    reason = sandboxed.step_errors.get(q.id)
    if reason:
        status = "missing" if reason.startswith("not answered") else "error"
        return Outcome(q.id, status, 0.0, q.points, reason + ".")
    if sandboxed.found.get(q.id) == "end" and not sandboxed.has_code(q.id):
        return Outcome(
            q.id, "missing", 0.0, q.points, f"no answer found: the notebook has no answer or check cell for "
            f"{q.id}, and `{q.variable}` is never assigned.", "Keep the question's cells; answer in them.")
    return Outcome(q.id, "missing", 0.0, q.points, f"`{q.variable}` is not assigned.",
                   f"Assign your answer to `{q.variable}`.")


def _variant_check(graded: Graded, q: Question, outcome: Outcome, variant_keys: dict[str, Key],
                   answers: dict[tuple[int, str], dict[str, Any] | None]) -> Outcome:
    """A right answer whose code gives a wrong one on the variant's data scores 0 (the answer was typed in)."""
    if not (q.variant and q.id in variant_keys and (1, q.id) in answers):
        return outcome
    other = answers[(1, q.id)]
    if other is None or other.get("type") not in ("number", "text"):
        return outcome
    if evaluate(q, variant_keys[q.id], other).correct:
        return outcome
    graded.flag(f"variant({q.id})")
    return Outcome(q.id, "variant", 0.0, q.points,
                   "right for your data, but the same code gives a wrong answer on other data: "
                   "the answer was typed in or depends on something other than the notebook's "
                   "variables.", "Compute the answer from the notebook's variables.")


def _hidden_checks(graded: Graded, q: Question, outcome: Outcome, record: dict[str, Any], data: Given,
                   checks: list[Callable[[Any, Given], str | None]]) -> Outcome:
    """The instructor's hidden checks of a right answer: the first that objects makes it score 0."""
    for check_fn in checks:
        value = record.get("value")
        try:
            message = check_fn(value, data)
        except Exception as exc:  # an instructor's check that fails is reported, not fatal
            message = None
            graded.notes.append(f"hidden check of {q.id} failed to run: {type(exc).__name__}: {exc}")
        if message:
            graded.flag(f"hidden({q.id})")
            return Outcome(q.id, "hidden", 0.0, q.points, str(message))
    return outcome


def _score_texts(graded: Graded, nb: dict[str, Any], exercise: ExerciseSet, own_keys: dict[str, Key]) -> list[str]:
    """Store the free-text answers for marking; returns the text questions whose answer cell is missing."""
    texts, by_position = text_answers(nb, exercise)
    graded.answers = texts
    graded.contexts = {q.id: own_keys[q.id].context for q in exercise if q.kind == "text"}
    unmatched = []
    for q in exercise:
        if q.kind == "text" and not texts.get(q.id):
            has_cell = any(cell_role(c) == ("answer", q.id) for c in nb["cells"])
            if not has_cell and q.id not in by_position:
                unmatched.append(q.id)
            graded.outcomes[q.id] = Outcome(q.id, "unmarked", 0.0, q.points, "no answer written." if has_cell else
                                            "no answer found: the notebook has no answer cell for this question.")
    return unmatched


def find_submissions(folder: Path) -> list[Path]:
    """Every ``.ipynb`` below ``folder`` (hidden folders and checkpoints left out), in a stable order.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> subs = Path(tempfile.mkdtemp())
    >>> for name in ("s002/04_clv_npv.ipynb", "s001/04_clv_npv.ipynb", "s001/.ipynb_checkpoints/04_clv_npv.ipynb"):
    ...     (subs / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (subs / name).write_text("{}", encoding="utf-8")
    >>> [p.relative_to(subs).as_posix() for p in find_submissions(subs)]
    ['s001/04_clv_npv.ipynb', 's002/04_clv_npv.ipynb']
    """
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or path.is_symlink() or not path.is_file():
            continue
        found.append(path)
    return found


@dataclass
class ClassResult:
    """Everything one grading run produced (what the reports are written from)."""

    rows: list[Graded]
    roster: list[Student]
    exercises: list[str]
    isolation: str
    variant_seed: int | None
    seconds: float
    jobs: int
    settings: dict[str, Any] = field(default_factory=dict)


def grade_class(submissions: Path | str, roster: Path | str, out: Path | str, *, jobs: int = 1,
                limits: Limits | None = None, isolation: str = "auto", variant: bool = True,
                variant_seed: int | None = None, hidden: Path | str | None = None, force: bool = False,
                source_dir: Path | None = None, progress: Callable[[str], None] | None = print) -> ClassResult:
    r"""Grade every notebook below ``submissions`` against ``roster`` and write the results to ``out``.

    Parameters
    ----------
    submissions : a folder per student id (``SUBS/<student_id>/NN_name.ipynb``) or an LMS download whose notebooks
        carry their student id in their metadata.
    roster : CSV with ``student_id,name`` (and optionally ``seed``).
    out : the output folder (refused when it holds files, unless ``force``).
    jobs : submissions graded at once.
    limits : the sandbox's limits (:class:`crmlib.exercises.sandbox.Limits`).
    isolation : ``"auto"``, ``"namespaces"`` or ``"rlimits"`` (see :mod:`crmlib.exercises.sandbox`).
    variant : also run every answer on other data (the hidden variant check).
    variant_seed : the seed of that other data (default: a fresh random seed, recorded in the log).
    hidden : an instructor's hidden checks file (see :func:`load_hidden_checks`).
    progress : called with one line per graded notebook.

    Returns
    -------
    ClassResult
        Also written to ``out`` (see :func:`crmlib.exercises.reports.write_all`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.exercises.notebooks import Student, dumps
    >>> work = Path(tempfile.mkdtemp())
    >>> (work / "subs" / "s001").mkdir(parents=True)
    >>> path = work / "subs" / "s001" / "04_clv_npv.ipynb"  # Ada's handout, handed back untouched
    >>> source = exercises_dir() / "source" / "04_clv_npv.ipynb"
    >>> _ = path.write_text(dumps(student_version(source, student=Student("s001", "Ada", 17))), encoding="utf-8")
    >>> _ = (work / "roster.csv").write_text("student_id,name,seed\ns001,Ada,17\n", encoding="utf-8")
    >>> result = grade_class(work / "subs", work / "roster.csv", work / "grades", isolation="rlimits",
    ...                      variant=False, progress=None)
    >>> [(row.student_id, row.total, row.max_points) for row in result.rows]
    [('s001', 0.0, 20.0)]
    >>> result.rows[0].outcomes["q1"].message
    'not answered yet (the answer cell still raises NotImplementedError).'
    >>> sorted(p.name for p in (work / "grades").iterdir() if not p.name.startswith("."))[:3]
    ['canvas.csv', 'feedback', 'gradebook.csv']
    """
    from crmlib.exercises.folders import output_folder
    from crmlib.exercises.reports import GRADEBOOK, LOG, RESULTS, write_all

    start = time.monotonic()
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ExerciseError(f"The submissions folder {submissions} does not exist; give the folder that holds one "
                            "folder per student.")
    students = read_roster(roster)
    if jobs < 1:
        raise ExerciseError(f"-j must be 1 or more; got {jobs}.")
    chosen = resolve_isolation(isolation)
    hidden_checks = load_hidden_checks(hidden) if hidden is not None else {}
    folder = output_folder(out, "exercises grade", force=force, replaces=["exercises marks"],
                           expected=[GRADEBOOK, RESULTS, LOG, "canvas.csv", "moodle.csv"])
    files = find_submissions(submissions)
    if not files:
        raise ExerciseError(f"There are no notebooks (.ipynb) in {submissions}.")
    refs = load_references(source_dir)
    settings = Settings(limits=limits or Limits(), isolation=chosen, variant=variant,
                        variant_seed=variant_seed if variant_seed is not None else secrets.randbelow(10**9),
                        hidden=hidden_checks, hide=_hidden_paths(submissions, Path(out), Path(roster), source_dir),
                        uids=UidPool(jobs))
    rows = _grade_all(files, submissions, refs, students, settings, jobs, progress)
    _mark_duplicates_and_missing(rows, students, refs)
    rows.sort(key=lambda g: (g.student_id, g.notebook, g.file))
    result = ClassResult(rows=rows, roster=students, exercises=sorted({g.notebook for g in rows if g.notebook in refs}),
                         isolation=chosen, variant_seed=settings.variant_seed if variant else None,
                         seconds=time.monotonic() - start, jobs=jobs,
                         settings={"limits": settings.limits.__dict__, "variant": variant,
                                   "hidden": str(hidden) if hidden else None})
    with folder:
        write_all(result, folder.staging)
    return result


def _hidden_paths(submissions: Path, out: Path, roster: Path, source_dir: Path | None) -> list[str]:
    """What a submission must not see: the kit's exercises and answer keys, the class's files and the results."""
    from crmlib.exercises.sets import __file__ as sets_init

    hidden_paths = [exercises_dir(), Path(sets_init).parent, submissions, out, roster]
    return sorted({str(p.resolve()) for p in [*hidden_paths, *([source_dir] if source_dir is not None else [])]})


def _grade_all(files: list[Path], submissions: Path, refs: dict[str, Reference], students: list[Student],
               settings: Settings, jobs: int, progress: Callable[[str], None] | None) -> list[Graded]:
    """Grade the notebooks, ``jobs`` at once, one progress line each; a grader bug costs one row, not the class."""
    roster_by_id = {s.student_id: s for s in students}
    seeds = {s.seed: s.student_id for s in students}
    keys = KeyCache()
    rows: list[Graded] = []

    def one(path: Path) -> Graded:
        try:
            return grade_notebook(path, root=submissions, refs=refs, roster=roster_by_id, seeds=seeds, keys=keys,
                                  settings=settings)
        except Exception as exc:  # a grader bug must not stop the class: the row says what happened
            g = Graded(student_id="", name="", notebook=path.stem, file=str(path.relative_to(submissions)),
                       failed=f"the grader failed on this notebook: {type(exc).__name__}: {exc}")
            g.flag("grader-error")
            return g

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, path): path for path in files}
        for future in as_completed(futures):
            graded = future.result()
            rows.append(graded)
            if progress:
                note = f" [{'; '.join(graded.flags)}]" if graded.flags else ""
                progress(f"[{len(rows)}/{len(files)}] {graded.file}: {graded.total:g}/{graded.max_points:g}{note}")
    return rows


def _mark_duplicates_and_missing(rows: list[Graded], students: list[Student], refs: dict[str, Reference]) -> None:
    seen: dict[tuple[str, str], list[Graded]] = {}
    for g in rows:
        seen.setdefault((g.student_id, g.notebook), []).append(g)
    for group in seen.values():
        if len(group) > 1:
            for g in group:
                g.flag("duplicate")
    exercises = sorted({g.notebook for g in rows if g.notebook in refs})
    for s in students:
        for name in exercises:
            if (s.student_id, name) not in seen:
                g = Graded(student_id=s.student_id, name=s.name, notebook=name, file="", seed=s.seed,
                           failed="no notebook was submitted")
                for q in refs[name].exercise:
                    g.outcomes[q.id] = Outcome(q.id, "missing", 0.0, q.points, "no notebook was submitted.")
                g.flag("missing-submission")
                rows.append(g)
