"""Exercises: check cells with feedback, student versions, and a grader.

The instructor writes ``exercises/source/NN_<chapter>.ipynb`` with solutions between nbgrader's markers::

    answer = ...
    ### BEGIN SOLUTION
    answer = crmlib.clv.npv(cashflows, rate)
    ### END SOLUTION

and ends each question with a check cell that calls this module, computing the expected answer from the
notebook's own data (never stored), with hints for the likely mistakes::

    ex.check_number("q1", answer, expected=crmlib.clv.npv(cashflows, rate), points=2,
                    mistakes={"forgot to discount": sum(cashflows)})

* :func:`build` makes the student versions ``exercises/NN_<chapter>.ipynb`` (solutions replaced by
  ``# YOUR CODE HERE`` and ``raise NotImplementedError()``); ``check=True`` fails when a committed student
  version differs from what the sources generate; ``seed`` writes a personal set for one student.
* :func:`grade` executes submissions with papermill, one at a time (a time limit per cell, errors allowed),
  and writes a gradebook with one row per notebook and question plus a feedback file per submission.

Grading follows nbgrader's model: only the solution cells are the student's. The grader runs the *source*
notebook with each solution cell's code taken from the submission (matched by cell id), so an edited or deleted
check cell changes nothing, and a deleted answer cell scores 0 for its question.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from crmlib.course import KERNEL_ARGUMENTS
from crmlib.resources import kit_folder

CHECK_MIME = "application/vnd.crmlib.check+json"
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_SOLUTION_RE = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.S | re.M)


class ExerciseError(ValueError):
    """An exercise notebook or submission cannot be built or graded; the message says why."""


# --------------------------------------------------------------------------------------------------
# Check cells
# --------------------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """The outcome of one check cell: what the grader records and what the student reads."""

    question: str
    correct: bool
    points: float
    max_points: float
    message: str
    hint: str = ""

    def _ipython_display_(self) -> None:
        """Nothing: the check function has shown the result already (a cell ending in a check shows it once)."""

    def text(self) -> str:
        mark = "✅" if self.correct else "❌"
        line = f"{mark} **{self.question}** ({self.points:g}/{self.max_points:g} points): {self.message}"
        if self.hint:
            line += f"  \nHint: {self.hint}"
        return line

    def record(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "correct": self.correct,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message,
            "hint": self.hint,
        }


def _emit(result: CheckResult) -> CheckResult:
    """Show the result in the notebook and leave a machine-readable record for the grader."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(
            {"text/markdown": result.text(), "text/plain": result.text(), CHECK_MIME: result.record()},
            raw=True,
        )
    else:
        print(result.text())
    return result


def _as_float(value: Any) -> float | None:
    if isinstance(value, (str, bytes, bool)) or value is None:
        return None
    try:
        import numpy as np

        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


def check_number(
    question: str,
    answer: Any,
    expected: float,
    *,
    points: float = 1,
    rtol: float = 1e-3,
    atol: float = 1e-6,
    mistakes: dict[str, float] | None = None,
    unit: str = "",
    explain: str = "",
) -> CheckResult:
    """Check a numeric answer against the value computed from the notebook's data.

    Parameters
    ----------
    question : short id shown to the student and written to the gradebook ("q1").
    answer : the student's value.
    expected : the right value, computed in the check cell from the same data (never a stored number).
    points : points for a right answer.
    rtol, atol : relative and absolute tolerance (``math.isclose``); the default accepts rounding to
        about three significant digits.
    mistakes : ``{hint: value}`` for the likely mistakes, each value computed the wrong way from the same
        data; an answer matching one gets that hint ("you used revenue instead of margin").
    unit : printed after the numbers.
    explain : one sentence shown with a right answer (what the number means).

    Examples
    --------
    >>> r = check_number("q1", 248.69, expected=248.685, mistakes={"forgot to discount": 300.0})
    ✅ **q1** (1/1 points): correct (248.69).
    >>> r = check_number("q1", 300, expected=248.685, mistakes={"You forgot to discount.": 300.0})
    ❌ **q1** (0/1 points): not yet: 300 is not the expected value.  
    Hint: You forgot to discount.
    """
    value = _as_float(answer)
    suffix = f" {unit}" if unit else ""
    if value is None:
        kind = type(answer).__name__
        return _emit(
            CheckResult(question, False, 0, points, f"the answer should be a number; got {answer!r} ({kind}).",
                        "Assign a single number (not a list, text or None) to the answer variable.")
        )
    if _close(value, float(expected), rtol, atol):
        message = f"correct ({value:,.6g}{suffix})."
        if explain:
            message += " " + explain
        return _emit(CheckResult(question, True, points, points, message))
    hint = ""
    for text, wrong in (mistakes or {}).items():
        wrong_value = _as_float(wrong)
        if wrong_value is not None and _close(value, wrong_value, rtol, atol):
            hint = text
            break
    if not hint:
        if float(expected) != 0 and _close(abs(value), abs(float(expected)), rtol, atol):
            hint = "The size is right but the sign is not."
        elif float(expected) != 0 and any(_close(value, float(expected) * k, rtol, atol) for k in (100, 0.01)):
            hint = "Off by a factor of 100: a percentage where a share (0-1) was expected, or the other way round."
        else:
            hint = "Recompute step by step and compare with the formula in the chapter."
    return _emit(CheckResult(question, False, 0, points, f"not yet: {value:,.6g}{suffix} is not the expected value.", hint))


def check_choice(
    question: str,
    answer: Any,
    expected: Any,
    *,
    choices: Iterable[Any] | None = None,
    points: float = 1,
    hints: dict[Any, str] | None = None,
    explain: str = "",
) -> CheckResult:
    """Check an answer chosen from a list (a quadrant, a stage, a strategy).

    Text answers are compared without regard to case and surrounding spaces. ``hints`` maps a wrong choice
    to the reason it is wrong.

    Examples
    --------
    >>> r = check_choice("q3", "Gold", "gold", choices=["lead", "iron", "gold", "platinum"])
    ✅ **q3** (1/1 points): correct (Gold).
    """
    def norm(x):
        return x.strip().lower() if isinstance(x, str) else x

    options = list(choices) if choices is not None else None
    if options is not None and norm(answer) not in [norm(c) for c in options]:
        listed = ", ".join(repr(c) for c in options)
        return _emit(CheckResult(question, False, 0, points, f"{answer!r} is not one of the choices.", f"Choose one of {listed}."))
    if norm(answer) == norm(expected):
        message = f"correct ({answer})."
        if explain:
            message += " " + explain
        return _emit(CheckResult(question, True, points, points, message))
    hint = ""
    for wrong, text in (hints or {}).items():
        if norm(wrong) == norm(answer):
            hint = text
            break
    return _emit(CheckResult(question, False, 0, points, f"not yet: {answer!r} is not the best answer.", hint or "Reread the definitions in the chapter."))


def check_frame(
    question: str,
    answer: Any,
    expected,
    *,
    points: float = 1,
    rtol: float = 1e-6,
    check_names: bool = False,
    hint: str = "",
) -> CheckResult:
    """Check a table (DataFrame or Series) answer: same index, columns and values (to ``rtol``)."""
    import pandas as pd

    if not isinstance(answer, (pd.DataFrame, pd.Series)):
        return _emit(CheckResult(question, False, 0, points, f"the answer should be a table; got {type(answer).__name__}.",
                                 "Return a pandas DataFrame or Series."))
    try:
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(answer, expected, rtol=rtol, check_names=check_names, check_dtype=False)
        else:
            pd.testing.assert_series_equal(answer, expected, rtol=rtol, check_names=check_names, check_dtype=False)
    except AssertionError as exc:
        detail = str(exc).strip().splitlines()[0]
        return _emit(CheckResult(question, False, 0, points, f"not yet: {detail}", hint or "Compare your table with the expected shape."))
    return _emit(CheckResult(question, True, points, points, "correct."))


# --------------------------------------------------------------------------------------------------
# Student versions
# --------------------------------------------------------------------------------------------------


def exercises_dir() -> Path:
    """The kit's ``exercises/`` folder."""
    return kit_folder("exercises")


def sources(folder: Path | None = None) -> list[Path]:
    """Instructor notebooks ``exercises/source/NN_<chapter>.ipynb`` in order."""
    folder = Path(folder) if folder is not None else exercises_dir() / "source"
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def strip_solutions(text: str) -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by the student stub.

    >>> print(strip_solutions("x = 1\\n### BEGIN SOLUTION\\ny = x + 1\\n### END SOLUTION\\n"))
    x = 1
    # YOUR CODE HERE
    raise NotImplementedError()
    <BLANKLINE>
    """
    if BEGIN in text and END not in text:
        raise ExerciseError("A cell has '### BEGIN SOLUTION' without '### END SOLUTION'.")

    def repl(match: re.Match) -> str:
        indent = match.group(1)
        stub = "\n".join(indent + line for line in STUB.splitlines())
        return stub + match.group(2)

    return _SOLUTION_RE.sub(repl, text)


def _set_seed(nb, seed: int | None):
    if seed is None:
        return
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            new, count = re.subn(r"(?m)^seed\s*=\s*[^#\n]*?(?=[ \t]*(#|$))", f"seed = {int(seed)}", cell.source)
            if count == 0:
                raise ExerciseError("The exercise has no 'seed' parameter to set.")
            cell.source = new
            return
    raise ExerciseError("The exercise has no cell tagged 'parameters'.")


def student_version(source_path: Path | str, *, seed: int | None = None):
    """The student notebook of one source: solutions stubbed, outputs cleared, cell ids kept."""
    import nbformat

    nb = nbformat.read(Path(source_path), as_version=4)
    _set_seed(nb, seed)
    for cell in nb.cells:
        if BEGIN in cell.source or "solution" in cell.metadata.get("tags", []):
            if cell.cell_type == "code":
                cell.source = strip_solutions(cell.source)
            else:
                cell.source = re.sub(r"(?s)### BEGIN SOLUTION.*?### END SOLUTION", "YOUR ANSWER HERE", cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.setdefault("crmlib", {})["exercise"] = Path(source_path).stem
    return nb


def _dumps(nb) -> str:
    import nbformat

    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def build(
    *, check: bool = False, seed: int | None = None, out: Path | str | None = None, source_dir: Path | None = None
) -> list[Path]:
    """Write the student versions of every source (or, with ``check``, compare them with the committed ones).

    Parameters
    ----------
    check : do not write; raise :class:`ExerciseError` listing the student versions that differ from (or are
        missing against) what the sources generate.
    seed : data seed written into each student version's ``parameters`` cell (a personal set).
    out : folder for the student versions (default ``exercises/``). With a seed, give a folder of its own.

    Returns
    -------
    The paths written (or checked).
    """
    srcs = sources(source_dir)
    if not srcs:
        raise ExerciseError(f"There are no exercise sources in {source_dir or exercises_dir() / 'source'}.")
    target = Path(out) if out is not None else exercises_dir()
    stale, written = [], []
    for src in srcs:
        text = _dumps(student_version(src, seed=seed))
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


# --------------------------------------------------------------------------------------------------
# Grading
# --------------------------------------------------------------------------------------------------


@dataclass
class Graded:
    """The grading of one submission."""

    notebook: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def points(self) -> float:
        return sum(r["points"] for r in self.rows)

    @property
    def max_points(self) -> float:
        return sum(r["max_points"] for r in self.rows)


def _source_for(submission, source_dir: Path | None) -> Path:
    exercise = submission.metadata.get("crmlib", {}).get("exercise")
    for src in sources(source_dir):
        if exercise == src.stem:
            return src
    raise ExerciseError(
        "cannot tell which exercise this is (notebook metadata crmlib.exercise is missing); "
        "submit the student version generated by 'crmlib exercises build'."
    )


def grading_notebook(source_path: Path, submission=None, *, seed: int | None = None):
    """The notebook the grader runs: the source, with each solution cell's code from the submission.

    Cells are matched by id. A solution cell missing from the submission keeps the student stub (so its
    question scores 0); everything else (data, checks) comes from the source, whatever the submission did to it.
    """
    import nbformat

    nb = nbformat.read(source_path, as_version=4)
    _set_seed(nb, seed)
    submitted = {c.get("id"): c for c in submission.cells} if submission is not None else None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if BEGIN in cell.source or "solution" in cell.metadata.get("tags", []):
            if submitted is None:
                continue
            theirs = submitted.get(cell.get("id"))
            cell.source = theirs.source if theirs is not None and theirs.cell_type == "code" else strip_solutions(cell.source)
    return nb


def questions_of(executed) -> list[dict[str, Any]]:
    """The check records found in an executed notebook's outputs, in order."""
    found = []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if CHECK_MIME in data:
                record = data[CHECK_MIME]
                if isinstance(record, str):
                    record = json.loads(record)
                found.append(record)
    return found


def _execute(nb, workdir: Path, *, timeout: int, kernel_name: str):
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "grading-input.ipynb"
    dst = workdir / "grading-output.ipynb"
    nbformat.write(nb, src)
    try:
        pm.execute_notebook(
            str(src), str(dst), cwd=str(exercises_dir()), kernel_name=kernel_name, progress_bar=False,
            execution_timeout=timeout, allow_errors=True, interrupt_on_timeout=True, extra_arguments=KERNEL_ARGUMENTS,
        )
    except PapermillExecutionError:
        pass  # errors are allowed: the cells after a failing one still run; the checks tell what scored
    return nbformat.read(dst, as_version=4)


def grade_one(
    submission_path: Path | str,
    *,
    seed: int | None = None,
    timeout: int = 60,
    kernel_name: str = "python3",
    source_dir: Path | None = None,
    workdir: Path | None = None,
    _expected_cache: dict | None = None,
) -> Graded:
    """Grade one submission. Never raises for a broken submission: what failed scores 0, with the reason."""
    import tempfile

    import nbformat

    path = Path(submission_path)
    graded = Graded(notebook=path.name)
    try:
        submission = nbformat.read(path, as_version=4)
    except Exception as exc:  # unreadable JSON, not a notebook: the submission scores 0
        graded.error = f"the file is not a readable notebook ({type(exc).__name__}: {exc})"
        submission = None
    try:
        source = _source_for(submission, source_dir) if submission is not None else _source_by_name(path, source_dir)
    except ExerciseError as exc:
        graded.error = graded.error or str(exc)
        return graded
    cache = _expected_cache if _expected_cache is not None else {}
    key = source  # the questions and their points do not depend on the data seed
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        if key not in cache:
            reference = _execute(grading_notebook(source, None, seed=seed), Path(tmp) / "reference", timeout=timeout * 5, kernel_name=kernel_name)
            cache[key] = [(q["question"], q["max_points"]) for q in questions_of(reference)]
        expected = cache[key]
        results = {}
        if submission is not None:
            executed = _execute(grading_notebook(source, submission, seed=seed), Path(tmp) / "submission", timeout=timeout, kernel_name=kernel_name)
            results = {q["question"]: q for q in questions_of(executed)}
            errors = _errors_by_question(executed)
        else:
            errors = {}
    for question, max_points in expected:
        record = results.get(question)
        if record is None:
            reason = errors.get(question) or "the check did not run (an earlier error, or the answer is missing)"
            graded.rows.append({"notebook": graded.notebook, "question": question, "points": 0, "max_points": max_points})
            graded.feedback.append(f"{question}: 0/{max_points:g} — {reason}")
        else:
            graded.rows.append({"notebook": graded.notebook, "question": question, "points": record["points"], "max_points": max_points})
            text = f"{question}: {record['points']:g}/{max_points:g} — {record['message']}"
            if record.get("hint"):
                text += f" Hint: {record['hint']}"
            graded.feedback.append(text)
    return graded


def _source_by_name(path: Path, source_dir: Path | None) -> Path:
    for src in sources(source_dir):
        if path.name.startswith(src.stem[:3]):
            return src
    raise ExerciseError(f"cannot tell which exercise {path.name} is.")


def _errors_by_question(executed) -> dict[str, str]:
    """For each check cell that did not run to the end, why, keyed by the question it checks.

    An unanswered question shows as an error in the check cell (the answer variable does not exist) after
    its solution cell raised ``NotImplementedError``; the reason names that, not the follow-on error.
    """
    errors = {}
    last_error = None
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        match = re.search(r"check_\w+\(\s*['\"]([^'\"]+)['\"]", cell.source)
        if match and error is not None:
            cause = last_error or error
            ename = cause.get("ename", "Error")
            evalue = str(cause.get("evalue", "")).strip()
            if ename == "NotImplementedError":
                reason = "not answered yet (the answer cell still raises NotImplementedError)"
            elif ename == "KeyboardInterrupt":
                reason = "stopped: a cell ran past the time limit"
            elif ename == "SyntaxError":
                reason = f"the answer cell has a syntax error: {evalue}"
            else:
                reason = f"the answer could not be checked: {ename}: {evalue}"
            errors[match.group(1)] = reason[:300]
        last_error = None if match else (error or last_error)
    return errors


def grade(
    submissions: Iterable[Path | str],
    *,
    out: Path | str = "gradebook.csv",
    seed: int | None = None,
    timeout: int = 60,
    kernel_name: str = "python3",
    feedback_dir: Path | str | None = None,
    source_dir: Path | None = None,
    progress=print,
) -> list[Graded]:
    """Grade submissions into ``out`` (CSV: notebook, question, points, max_points) and feedback files.

    Each submission is executed with papermill, errors allowed and ``timeout`` seconds per cell (a cell
    stuck in a loop is interrupted); a broken submission scores 0 for what failed and never stops the run.
    Feedback goes to ``<feedback_dir>/<submission stem>.feedback.md`` (default: beside the gradebook).
    """
    subs = [Path(s) for s in submissions]
    if not subs:
        raise ExerciseError("Give at least one submission notebook to grade.")
    missing = [str(s) for s in subs if not s.is_file()]
    if missing:
        raise ExerciseError(f"These submissions do not exist: {', '.join(missing)}.")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fb_dir = Path(feedback_dir) if feedback_dir is not None else out.parent / "feedback"
    fb_dir.mkdir(parents=True, exist_ok=True)
    cache: dict = {}
    results = []
    used: set[str] = set()
    start = time.monotonic()
    for i, sub in enumerate(subs, 1):
        graded = grade_one(sub, seed=seed, timeout=timeout, kernel_name=kernel_name, source_dir=source_dir, _expected_cache=cache)
        results.append(graded)
        lines = [f"# Feedback for {sub.name}", "", f"Score: {graded.points:g} / {graded.max_points:g}", ""]
        if graded.error:
            lines += [f"This submission could not be graded fully: {graded.error}", ""]
        lines += [f"- {line}" for line in graded.feedback]
        name = f"{sub.stem}.feedback.md"
        k = 2
        while name in used:  # two submissions with one file name (from different folders) keep both files
            name = f"{sub.stem}-{k}.feedback.md"
            k += 1
        used.add(name)
        (fb_dir / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        if progress:
            elapsed = time.monotonic() - start
            note = f" ({graded.error})" if graded.error else ""
            progress(f"[{i}/{len(subs)}] {sub.name}: {graded.points:g}/{graded.max_points:g} points{note} — {elapsed:.0f} s")
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["notebook", "question", "points", "max_points"])
        writer.writeheader()
        for graded in results:
            if not graded.rows:
                writer.writerow({"notebook": graded.notebook, "question": "(none)", "points": 0, "max_points": 0})
            writer.writerows(graded.rows)
    tmp.replace(out)
    return results


# --------------------------------------------------------------------------------------------------
# Command line: crmlib exercises build|grade
# --------------------------------------------------------------------------------------------------


def cli(argv: list[str]) -> int:
    """``crmlib exercises build [--check] [--seed N] [--out DIR]`` and
    ``crmlib exercises grade NOTEBOOK... --out gradebook.csv [--seed N] [--timeout S]``."""
    from crmlib.cli import UsageError, _Parser

    parser = _Parser(prog="crmlib exercises", description="Student versions of the exercises, and grading.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    b = sub.add_parser("build", help="write the student versions from exercises/source/")
    b.add_argument("--check", action="store_true", help="fail if a committed student version differs from its source")
    b.add_argument("--seed", type=int, help="data seed for a personal set (use with --out)")
    b.add_argument("--out", metavar="DIR", help="folder for the student versions (default: exercises/)")
    g = sub.add_parser("grade", help="grade submissions into a gradebook CSV and feedback files")
    g.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="submitted notebooks")
    g.add_argument("--out", default="gradebook.csv", metavar="CSV", help="the gradebook (default: gradebook.csv)")
    g.add_argument("--seed", type=int, help="the data seed the student was given")
    g.add_argument("--timeout", type=int, default=60, metavar="S", help="time limit per cell in seconds (default: 60)")
    g.add_argument("--feedback", metavar="DIR", help="folder for the feedback files (default: feedback/ beside the gradebook)")
    args = parser.parse_args(argv)
    if args.action is None:
        parser.print_help()
        return 2
    if args.action == "build":
        if args.seed is not None and args.out is None and not args.check:
            raise UsageError("a personal set (--seed) needs its own folder: add --out DIR")
        try:
            paths = build(check=args.check, seed=args.seed, out=args.out)
        except ExerciseError as exc:
            print(f"crmlib: error: {exc}", file=sys.stderr)
            return 1
        verb = "up to date" if args.check else "written"
        print(f"{len(paths)} student notebooks {verb} in {paths[0].parent if paths else args.out}")
        return 0
    missing = [n for n in args.notebooks if not Path(n).is_file()]
    if missing:
        raise UsageError(f"no such submission: {', '.join(missing)}")
    results = grade(args.notebooks, out=args.out, seed=args.seed, timeout=args.timeout, feedback_dir=args.feedback)
    total = sum(g.points for g in results)
    print(f"graded {len(results)} notebooks ({total:g} points in all) into {args.out}")
    return 0
