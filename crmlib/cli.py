"""The ``crmlib`` command (also ``python -m crmlib``): run the course, one chapter, or re-execute the notebooks.

::

    crmlib list                                   the chapters, with number and title
    crmlib run 04 --data sales.csv --customer "Customer" --date "Order Date" --amount "Total" -p unit=M
    crmlib course --out build                     every chapter into build/ (notebooks, HTML, index.html)
    crmlib course --only 00,04 --no-html          a few chapters, notebooks only
    crmlib notebooks [CHAPTER ...]                re-execute the stored chapters in place (``make notebooks``)

Errors are one line on stderr starting ``crmlib: error:`` (the details of a data problem, such as the
first offending rows, follow indented), never a traceback. Exit codes: 0 success, 1 a chapter failed,
2 the command line is wrong (unknown chapter or parameter, missing file, bad ``-p``), 130 interrupted.
``CRMLIB_DEBUG=1`` shows the traceback of an unexpected error.

Subcommands of other modules (``crmlib report ...``, ``crmlib exercises build|grade ...``) are listed in
:data:`EXTENSIONS`: ``name -> (module, function, help)``. The function receives the remaining command-line
words (``list[str]``), parses them itself and returns an exit code (``None`` counts as 0); the errors it
raises are reported like the others. The heavy imports (papermill, nbformat, pandas) happen inside the
handlers, so ``crmlib --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["EXTENSIONS", "UsageError", "main"]

#: Subcommands implemented in other modules: name -> (module, function, one-line help).
EXTENSIONS: dict[str, tuple[str, str, str]] = {
    "report": ("crmlib.report", "main_report", "an HTML report and CSV tables for your own transaction file"),
    "exercises": ("crmlib.exercises", "cli", "build the student versions of the exercises, or grade submissions"),
}

#: ``--customer/--date/--amount`` set these chapter parameters.
COLUMN_OPTIONS = {"customer": "customer_col", "date": "date_col", "amount": "amount_col"}

_INDEX_MARK = "<title>CRM course</title>"  # written by crmlib.course.write_index


class UsageError(Exception):
    """The command line cannot be carried out as written (exit code 2)."""


class _Failure(Exception):
    """Something ran and failed; the message is already reported (exit code 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``crmlib: error: ... (see 'crmlib run --help')``."""

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- helpers


def _quick_notebook_imports() -> None:
    """Skip a 2-second import that notebook handling never needs.

    nbformat validates notebooks with jsonschema, and jsonschema imports ``rfc3987_syntax`` (if installed)
    only to check the rarely used ``iri`` string formats, which notebook schemas do not use; that
    package builds a grammar at import time (about 2 s). Marking it absent in this process makes
    every ``crmlib run`` that much faster; nothing else changes.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


class _KnownParameterNotes:
    """A logging filter: drop papermill's parameter-parsing warnings, since the command checks the names itself.

    papermill warns "Passed unknown parameter" whenever its line-based reader cannot parse a line of the
    ``parameters`` cell (a comment holding '=' is enough), although it injects the value all the same.
    The command has already checked every name against the cell with Python's own parser.
    """

    def filter(self, record) -> bool:
        message = record.getMessage()
        return not message.startswith(("Passed unknown parameter", "Unable to parse line"))


def _quiet_papermill() -> None:
    import logging

    for name in ("papermill", "papermill.translators"):  # a logger's filter does not see its children's records
        logger = logging.getLogger(name)
        if not any(isinstance(f, _KnownParameterNotes) for f in logger.filters):
            logger.addFilter(_KnownParameterNotes())


def _say(text: str = "") -> None:
    print(text, flush=True)


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    minutes, sec = divmod(round(value), 60)
    return f"{minutes} min {sec:02d} s"


def _short_title(chapter) -> str:
    """The chapter's title without its leading ``NN ·``."""
    title = chapter.title
    for sep in ("·", "-", "–", ":", "."):
        head, found, rest = title.partition(sep)
        if found and head.strip() == chapter.number:
            return rest.strip()
    return title


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _parse_parameters(items: Sequence[str] | None) -> dict[str, Any]:
    from crmlib.course import ChapterError, parse_parameter

    params: dict[str, Any] = {}
    for item in items or []:
        try:
            name, value = parse_parameter(item)
        except ChapterError as exc:
            raise UsageError(f"-p {item!r}: {exc}") from None
        params[name] = value
    return params


def _data_file(value: str | os.PathLike | None, option: str) -> Path | None:
    """The user's data file, resolved against the current folder; a usage error if it is missing."""
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.is_dir():
        raise UsageError(f"{option} {str(value)!r} is a folder; give the path of the transaction file inside it.")
    if not path.exists():
        raise UsageError(f"{option} {str(value)!r}: the file does not exist (relative paths start from {os.getcwd()}).")
    return path.resolve()


def _chapter_parameters(args) -> tuple[dict[str, Any], Path | None]:
    """Gather ``-p``, ``--customer/--date/--amount`` and ``--data`` into one dict of chapter parameters."""
    params = _parse_parameters(args.parameters)
    for option, name in COLUMN_OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            if name in params and params[name] != value:
                raise UsageError(f"--{option} and -p {name}=... disagree; give the column once.")
            params[name] = value
    data = _data_file(args.data, "--data")
    if "data_path" in params:
        if data is not None:
            raise UsageError("--data and -p data_path=... both given; give the data file once (--data FILE).")
        if params["data_path"] is not None:
            # The chapter runs in the notebooks folder: a relative path means the user's current folder.
            data = _data_file(params.pop("data_path"), "-p data_path")
    if data is not None:
        params["data_path"] = str(data)
    for name in ("tables_dir",):  # output folders given as relative paths mean the user's current folder too
        if isinstance(params.get(name), str) and not Path(params[name]).expanduser().is_absolute():
            params[name] = str(Path(params[name]).expanduser().resolve())
    return params, data


def _written(chapters, *, index: bool) -> set[str]:
    """The file names a run of these chapters may write into the output folder."""
    names = {"index.html"} if index else set()
    for chapter in chapters:
        names |= {f"{chapter.stem}{suffix}" for suffix in (".ipynb", ".html", ".failed.ipynb", ".partial.ipynb")}
    return names


def _out_folder(value: str, *, data: Path | None = None, written: set[str] = frozenset()) -> Path:
    """The output folder; refuses a file, the folder of the stored chapters, and a folder where the
    results would replace the user's data file."""
    from crmlib.course import notebooks_dir

    out = Path(value).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {value!r} is a file, not a folder; choose a folder for the results.")
    if out.resolve() == notebooks_dir().resolve():
        raise UsageError(
            f"--out {value!r} is the folder of the stored chapters, which would be overwritten; "
            "choose another folder (the default is build/), or use 'crmlib notebooks' to re-execute them in place."
        )
    if data is not None and data.parent == out.resolve() and data.name in written:
        raise UsageError(
            f"the results would replace your data file {data.name!r} in --out {value!r}; "
            "choose another folder for the results."
        )
    return out


def _forget_failure(out: Path, chapter) -> None:
    """After a successful run, remove the ``NN_name.failed.ipynb`` an earlier failed run left (crmlib's own file)."""
    (out / f"{chapter.stem}.failed.ipynb").unlink(missing_ok=True)


def _check_known(chapter, params: dict[str, Any]) -> dict[str, Any]:
    """Refuse parameter names the chapter does not have, listing those it has."""
    from crmlib.course import notebook_parameters

    known = notebook_parameters(chapter.path)
    unknown = [name for name in params if name not in known]
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise UsageError(f"chapter {chapter.stem} has no parameter {names}; its parameters are: {', '.join(known)}.")
    return known


def _find(key: str):
    from crmlib.course import ChapterError, find_chapter

    try:
        return find_chapter(key)
    except ChapterError as exc:
        raise UsageError(str(exc)) from None


def _selected(keys: Sequence[str] | None):
    """Chapters named by ``keys`` (numbers or names, also comma-separated), in course order; all if none."""
    from crmlib.course import chapters

    everything = chapters()
    if not keys:
        return everything
    wanted = {_find(k).path for item in keys for k in item.split(",") if k.strip()}
    return [c for c in everything if c.path in wanted]


def _error_lines(exc: BaseException) -> str:
    """The message of an error: first line as is, further lines (e.g. offending rows) indented."""
    text = (exc.render("cli") if hasattr(exc, "render") else str(exc)).strip() or type(exc).__name__  # reader: flags
    first, *rest = text.splitlines()
    return "\n".join([first, *("  " + line for line in rest)])


# --------------------------------------------------------------------------- subcommands


def cmd_list(args) -> int:
    """``crmlib list``: the chapters with number, title and file."""
    from crmlib.course import chapters, notebooks_dir

    found = chapters()
    if not found:
        raise UsageError(f"no chapters found in {notebooks_dir()} (files named NN_name.ipynb).")
    width = max(len(_short_title(c)) for c in found)
    for chapter in found:
        _say(f"{chapter.number}  {_short_title(chapter):<{width}}  {chapter.path.name}")
    return 0


def cmd_run(args) -> int:
    """``crmlib run CHAPTER``: execute one chapter with papermill into ``--out``."""
    from crmlib.course import ChapterError, run_chapter

    chapter = _find(args.chapter)
    params, data = _chapter_parameters(args)
    _check_known(chapter, params)
    out = _out_folder(args.out, data=data, written=_written([chapter], index=False))
    _say(f"Running {chapter.stem} ({_short_title(chapter)}) ...")
    start = time.perf_counter()
    try:
        notebook = run_chapter(
            chapter.number, parameters=params, out=out, html=not args.html_off, progress=sys.stderr.isatty()
        )
    except ChapterError as exc:
        failed = out / f"{chapter.stem}.failed.ipynb"
        raise _Failure(
            str(exc).strip()
            + (f"\nthe partly executed notebook is {_shown(failed)}" if failed.exists() else "")
        ) from None
    _forget_failure(out, chapter)
    _say(f"Done in {_seconds(time.perf_counter() - start)}.")
    _say(f"  notebook: {_shown(notebook)}")
    if not args.html_off:
        _say(f"  page:     {_shown(notebook.with_suffix('.html'))}")
    return 0


def cmd_course(args) -> int:
    """``crmlib course``: every chapter (or ``--only``) in order into ``--out``, with HTML and an index page."""
    from crmlib.course import ChapterError, run_chapter, write_index

    selected = _selected(args.only)
    if not selected:
        raise UsageError("no chapters to run.")
    params, data = _chapter_parameters(args)
    # A parameter is passed to the chapters that have it; one that no chapter has is a typo.
    from crmlib.course import notebook_parameters

    known = {c.stem: notebook_parameters(c.path) for c in selected}
    strays = [name for name in params if not any(name in k for k in known.values())]
    if strays:
        raise UsageError(f"no chapter has the parameter {', '.join(map(repr, strays))}.")
    out = _out_folder(args.out, data=data, written=_written(selected, index=not args.html_off))
    index = out / "index.html"
    if not args.html_off and index.exists() and _INDEX_MARK not in index.read_text(encoding="utf-8", errors="replace"):
        raise UsageError(
            f"{_shown(index)} exists and was not written by crmlib; choose another --out folder or move that file."
        )

    width = max(len(_short_title(c)) for c in selected)
    _say(f"Running {len(selected)} chapter{'s' if len(selected) != 1 else ''} into {_shown(out)}/")
    pages, failures = [], []
    start_all = time.perf_counter()
    for chapter in selected:
        own = {name: value for name, value in params.items() if name in known[chapter.stem]}
        label = f"{chapter.number}  {_short_title(chapter):<{width}}"
        start = time.perf_counter()
        try:
            notebook = run_chapter(chapter.number, parameters=own, out=out, html=not args.html_off)
        except ChapterError as exc:
            failures.append(chapter)
            first, *_ = _error_lines(exc).splitlines()
            _say(f"{label}  FAILED {_seconds(time.perf_counter() - start):>9}  {first}")
            continue
        _forget_failure(out, chapter)
        result = notebook.with_suffix(".html") if not args.html_off else notebook
        pages.append((chapter, result))
        _say(f"{label}  ok     {_seconds(time.perf_counter() - start):>9}  {_shown(result)}")

    total = _seconds(time.perf_counter() - start_all)
    if pages and not args.html_off:
        _say(f"Contents page: {_shown(write_index(out, pages))}")
    summary = f"{len(pages)} of {len(selected)} chapters ran in {total}"
    if failures:
        names = ", ".join(c.stem for c in failures)
        _say(f"{summary}; failed: {names} (partly executed notebooks: {_shown(out)}/NN_name.failed.ipynb).")
        raise _Failure(f"{len(failures)} chapter{'s' if len(failures) != 1 else ''} failed: {names}.")
    _say(summary + ".")
    return 0


def cmd_notebooks(args) -> int:
    """``crmlib notebooks [CHAPTER ...]``: re-execute the stored chapters in place."""
    from crmlib.course import ChapterError, execute_in_place

    selected = _selected(args.chapters)
    if not selected:
        raise UsageError("no chapters found to execute.")
    width = max(len(_short_title(c)) for c in selected)
    failures = []
    start_all = time.perf_counter()
    for chapter in selected:
        label = f"{chapter.number}  {_short_title(chapter):<{width}}"
        start = time.perf_counter()
        try:
            execute_in_place(chapter.path)
        except ChapterError as exc:
            failures.append(chapter)
            first, *_ = _error_lines(exc).splitlines()
            _say(f"{label}  FAILED {_seconds(time.perf_counter() - start):>9}  {first}")
            continue
        _say(f"{label}  ok     {_seconds(time.perf_counter() - start):>9}  {_shown(chapter.path)}")
    done = len(selected) - len(failures)
    _say(f"{done} of {len(selected)} notebooks re-executed in {_seconds(time.perf_counter() - start_all)}.")
    if failures:
        names = ", ".join(c.stem for c in failures)
        raise _Failure(f"{len(failures)} notebook{'s' if len(failures) != 1 else ''} failed: {names} (left unchanged).")
    return 0


def _run_extension(name: str, argv: list[str]) -> int:
    import importlib

    module_name, func_name, _ = EXTENSIONS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UsageError(f"'crmlib {name}' is not available in this version ({module_name} is missing).") from None
    func: Callable[[list[str]], int | None] | None = getattr(module, func_name, None)
    if func is None:
        raise UsageError(f"'crmlib {name}' is not available in this version ({module_name}.{func_name} is missing).")
    result = func(list(argv))
    return 0 if result is None else int(result)


# --------------------------------------------------------------------------- parser


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="FILE", help="your transaction file (CSV, .csv.gz, Parquet, Excel); default: the bundled data")
    parser.add_argument("--customer", metavar="COL", help="column of the customer id in FILE (chapter parameter customer_col)")
    parser.add_argument("--date", metavar="COL", help="column of the purchase date in FILE (chapter parameter date_col)")
    parser.add_argument("--amount", metavar="COL", help="column of the amount in FILE (chapter parameter amount_col)")
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        metavar="NAME=VALUE",
        help="set a chapter parameter, e.g. -p unit=M -p discount_rate=0.12 (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``crmlib`` argument parser (subcommands list, run, course, notebooks and the extensions)."""
    parser = _Parser(
        prog="crmlib",
        description="The CRM course kit: run the chapters on the bundled data or on your own transaction file.",
        epilog="Example: crmlib run 04 --data sales.csv --customer Customer --date 'Order Date' --amount Total",
    )
    from crmlib import __version__

    parser.add_argument("--version", action="version", version=f"crmlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("list", help="the chapters of the course, with number and title")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("run", help="run one chapter (on the bundled data or your file) into --out")
    p.add_argument("chapter", metavar="CHAPTER", help="chapter number or name, e.g. 04 or clv_npv (see 'crmlib list')")
    _add_data_options(p)
    p.add_argument("--out", default="build", metavar="DIR", help="folder for NN_name.ipynb and NN_name.html (default: build)")
    p.add_argument("--no-html", dest="html_off", action="store_true", help="write the executed notebook only")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("course", help="run every chapter in order into --out, with HTML pages and index.html")
    _add_data_options(p)
    p.add_argument("--out", default="build", metavar="DIR", help="folder for the notebooks, pages and index.html (default: build)")
    p.add_argument("--only", action="append", metavar="CHAPTERS", help="only these chapters, e.g. --only 00,04 (repeatable)")
    p.add_argument("--no-html", dest="html_off", action="store_true", help="write the executed notebooks only (no pages, no index)")
    p.set_defaults(handler=cmd_course)

    p = sub.add_parser("notebooks", help="re-execute the stored chapters in place (make notebooks)")
    p.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter numbers or names; default: all")
    p.set_defaults(handler=cmd_notebooks)

    for name, (_, _, text) in EXTENSIONS.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmlib`` command with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in EXTENSIONS:
            return _run_extension(argv[0], argv[1:])
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "handler", None) is None:
            parser.print_help()
            return 2
        if args.handler in (cmd_run, cmd_course):
            _quick_notebook_imports()
            _quiet_papermill()
        elif args.handler is cmd_notebooks:
            _quick_notebook_imports()
        return args.handler(args)
    except SystemExit as exc:  # argparse's --help and --version (also in the extensions' own parsers)
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return _fail(str(exc.code), 1)
    except UsageError as exc:
        return _fail(exc, 2)
    except _Failure as exc:
        return _fail(exc, 1)
    except KeyboardInterrupt:
        print("crmlib: interrupted.", file=sys.stderr, flush=True)
        return 130
    except (ValueError, OSError) as exc:  # crmlib's ChapterError/ParameterError/DataError, missing files, permissions
        if os.environ.get("CRMLIB_DEBUG"):
            raise
        return _fail(exc, 1)
    except Exception as exc:  # a bug: say so in one line; CRMLIB_DEBUG=1 shows the traceback
        if os.environ.get("CRMLIB_DEBUG"):
            raise
        message = f"unexpected {type(exc).__name__}: {_error_lines(exc)}\n  (set CRMLIB_DEBUG=1 to see the traceback, and please report it)"
        return _fail(message, 1)


def _fail(exc: BaseException | str, code: int) -> int:
    text = exc if isinstance(exc, str) else _error_lines(exc)
    print(f"crmlib: error: {text}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
