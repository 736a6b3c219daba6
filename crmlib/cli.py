"""The ``crmlib`` command (also ``python -m crmlib``): the report, the course, one chapter, the stored notebooks.

::

    crmlib report --data sales.csv --out report/ --customer "Customer ID" --date InvoiceDate --amount Total
    crmlib report --data june.csv --out june/ --compare may/ --by Country
    crmlib list                                   the chapters, with number and title
    crmlib run 04 --data sales.csv --customer "Customer" --date "Order Date" --amount "Total" -p unit=M
    crmlib course --out build                     every chapter into build/, then the course site (build/index.html)
    crmlib notebooks [CHAPTER ...]                re-execute the stored chapters in place (``make notebooks``)

``crmlib report``, ``crmlib run`` and ``crmlib course`` take the reader's options as flags, all added by the
reader's own :func:`crmlib.data.add_reader_arguments` (one flag per field of :class:`crmlib.data.ReadOptions`:
``--customer --date --amount --quantity --price --invoice --date-format --returns --blank-customers --sheet
--delimiter --encoding`` and the limits ``--max-expansion --max-id-length --max-cell-chars --max-columns
--max-amount``; ``--date-format`` and ``--sheet`` may be repeated) and read back by
:func:`crmlib.data.read_options_from_args`. The report passes the options to its pipeline; ``run`` and ``course``
read the file once before any chapter starts (a bad file stops there, and the read report is shown), then pass
the options to a chapter as one parameter, ``read_options`` (:meth:`crmlib.data.ReadOptions.changed`, a dict
the chapter turns back into options with ``crmlib.data.ReadOptions(**read_options)``). A chapter written before
``read_options`` gets the column flags as its ``customer_col``, ``date_col``, ... parameters; a flag it cannot
take stops the command with one sentence naming the flag.

Errors are one line on stderr starting ``crmlib: error:`` (the details of a data problem, such as the first
offending rows, follow indented), never a traceback; a reader's message names its options as flags
(:meth:`crmlib.data.DataError.render` with ``"cli"``), and so does the read report
(:func:`crmlib.data.read_report` with ``entry="cli"``). Exit codes: 0 success, 1 the work failed (bad data, a
chapter that stopped, an output folder that must not be touched), 2 the command line is wrong (unknown chapter,
option or parameter, missing file, value out of range), 130 interrupted: Ctrl-C prints one line, stops the
kernels (which write nothing to the terminal) and leaves no staging or partial file. ``CRMLIB_DEBUG=1`` shows the
traceback of an unexpected error.

Output folders are written through :class:`crmlib.outputs.OutputFolder`: a command replaces only files it wrote
before (listed in the folder's manifest) and never a file of the user's; ``--force`` also replaces files the kit
wrote that were changed since.

Subcommands of other modules (``crmlib exercises build|grade ...``) are listed in :data:`EXTENSIONS`:
``name -> (module, function, help)``. The function receives the remaining command-line words, parses them itself
(with :class:`crmlib._cli_support.CommandParser`) and returns an exit code (``None`` counts as 0); the errors it
raises are reported like the others. Heavy imports happen inside the handlers, so ``crmlib --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmlib._cli_support import (
    CommandParser,
    Failure,
    UsageError,
    error_lines,
    quick_notebook_imports,
    quiet_papermill,
)

if TYPE_CHECKING:
    from crmlib.data import ReadOptions

__all__ = ["EXTENSIONS", "UsageError", "build_parser", "main"]

#: Subcommands implemented in other modules: name -> (module, function, one-line help).
EXTENSIONS: dict[str, tuple[str, str, str]] = {
    "exercises": ("crmlib.exercises", "cli", "build the student versions of the exercises, or grade submissions"),
}


# --------------------------------------------------------------------------- the reader's options (its one definition)

#: Reader options that name a column: a chapter written before ``read_options`` takes them as ``<option>_col``.
_COLUMN_OPTIONS = ("customer", "date", "amount", "quantity", "price", "invoice")


def _read_options(args: argparse.Namespace) -> ReadOptions:
    """The reader's options of the parsed flags; a value the reader cannot use is a usage error naming the flag."""
    from crmlib.data import OptionError, read_options_from_args

    try:
        return read_options_from_args(args)
    except OptionError as exc:
        raise UsageError(exc.render("cli")) from None


def _given_flags(args: argparse.Namespace) -> list[str]:
    """The reader's flags given on the command line, in the reader's order."""
    from crmlib.data import OPTION_NAMES, option_flag

    return [option_flag(name) for name in OPTION_NAMES if getattr(args, name, None) is not None]


def _older_parameter(option: str) -> str:
    """The parameter of a chapter written before ``read_options`` for a reader option (``customer_col``)."""
    return f"{option}_col" if option in _COLUMN_OPTIONS else option


def _reading_parameters(stem: str, known: Mapping[str, Any], options: ReadOptions | None, params: Mapping[str, Any]):
    """The parameters that hand the reader's options to the chapter ``stem`` (its parameters: ``known``).

    ``read_options`` (the options that differ from the defaults, as one dict) when the chapter has it; otherwise
    the column flags as the chapter's older ``customer_col``-style parameters, and a usage error naming every flag
    the chapter cannot take.
    """
    from crmlib.data import option_flag

    changed = options.changed() if options is not None else {}
    if "read_options" in known:
        return {"read_options": changed} if changed else {}
    out: dict[str, Any] = {}
    cannot = []
    for name, value in changed.items():
        parameter = _older_parameter(name)
        if parameter not in known:
            cannot.append(option_flag(name))
        elif parameter in params and params[parameter] != value:
            raise UsageError(f"{option_flag(name)} and -p {parameter}=... disagree; give the value once.")
        else:
            out[parameter] = value
    if cannot:
        raise UsageError(
            f"chapter {stem} cannot take {', '.join(cannot)}: it has no read_options parameter, which carries the "
            "reader's options to a chapter; leave out the flag, or run 'crmlib report' with it for the analysis "
            "of this file."
        )
    return out


def _read_data(data: Path, options: ReadOptions) -> None:
    """Read the user's file once before a chapter runs: a bad file stops here (flags named), the report is shown."""
    import warnings

    from crmlib.data import DataError, read_report, read_transactions

    _say(f"Reading {_shown(data)} ...")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tx = read_transactions(data, options=options, warn=False)
    except DataError as exc:
        raise Failure(exc.render("cli")) from None
    text = read_report(tx, entry="cli").replace(repr(str(data)), repr(_shown(data)))
    for line in text.splitlines():
        _say(f"  {line}")


# --------------------------------------------------------------------------- helpers


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
    if not path.is_file():
        raise UsageError(
            f"{option} {str(value)!r} is not a regular file (a pipe or a device); save the data to a file first."
        )
    return path.resolve()


def _chapter_parameters(args) -> tuple[dict[str, Any], Path | None, ReadOptions | None]:
    """Gather ``-p``, ``--data`` and the reader's flags: the chapter parameters, the data file, the reader options.

    The reader's options are given as flags or as ``-p read_options={...}``, not both; they need ``--data``.
    """
    params = _parse_parameters(args.parameters)
    given = _given_flags(args)
    options = _reader_options(args, params, given)
    data = _data_file(args.data, "--data")
    if "data_path" in params:
        if data is not None:
            raise UsageError("--data and -p data_path=... both given; give the data file once (--data FILE).")
        if params["data_path"] is not None:
            # The chapter runs in the notebooks folder: a relative path means the user's current folder.
            data = _data_file(params.pop("data_path"), "-p data_path")
    if data is not None:
        params["data_path"] = str(data)
    elif options is not None and options.changed():
        flags = ", ".join(given) or "-p read_options"
        many = len(given) > 1
        raise UsageError(f"{flags} describe{'' if many else 's'} your file; give the file with --data FILE.")
    for name, value in list(params.items()):  # output folders given as relative paths mean the user's current folder
        if name.endswith("_dir") and isinstance(value, str) and not Path(value).expanduser().is_absolute():
            params[name] = str(Path(value).expanduser().resolve())
    return params, data, options


def _reader_options(args: argparse.Namespace, params: dict[str, Any], given: list[str]) -> ReadOptions | None:
    """The reader's options from its flags or from ``-p read_options={...}`` (taken out of ``params``), not both."""
    from crmlib.data import DataError, ReadOptions

    options: ReadOptions | None = _read_options(args) if given else None
    if "read_options" not in params:
        return options
    if given:
        raise UsageError(
            f"{', '.join(given)} and -p read_options=... both give the reader's options; give them one way."
        )
    value = params.pop("read_options")
    if value in (None, {}):
        return options
    if not isinstance(value, dict):
        raise UsageError(f"-p read_options must be a dict such as {{'customer': 'Client'}}; got {value!r}.")
    try:
        return ReadOptions(**value)
    except (DataError, TypeError) as exc:
        raise UsageError(f"-p read_options: {exc}") from None


def _written(chapters, *, index: bool) -> set[str]:
    """The file names a run of these chapters may write into the output folder."""
    names = {"index.html"} if index else set()
    for chapter in chapters:
        names |= {f"{chapter.stem}{suffix}" for suffix in (".ipynb", ".html", ".failed.ipynb", ".partial.ipynb")}
    return names


def _out_folder(value: str, *, data: Path | None = None, written: frozenset[str] | set[str] = frozenset()) -> Path:
    """The output folder of ``course``.

    Refuses a file, the folder of the stored chapters, and a folder where the results would replace the data file.
    """
    out = Path(value).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {value!r} is a file, not a folder; choose a folder for the results.")
    _not_the_chapters(out, value)
    if data is not None and data.parent == out.resolve() and data.name in written:
        raise UsageError(
            f"the results would replace your data file {data.name!r} in --out {value!r}; "
            "choose another folder for the results."
        )
    return out


def _not_the_chapters(out: Path, value: str) -> None:
    from crmlib.course import notebooks_dir

    if out.resolve() == notebooks_dir().resolve():
        raise UsageError(
            f"--out {value!r} is the folder of the stored chapters, which would be overwritten; "
            "choose another folder (the default is build/), or use 'crmlib notebooks' to re-execute them in place."
        )


def _forget_failure(out: Path, chapter) -> None:
    """After a successful run, remove the ``NN_name.failed.ipynb`` an earlier failed run left (crmlib's own file)."""
    (out / f"{chapter.stem}.failed.ipynb").unlink(missing_ok=True)


def _check_known(chapter, params: Mapping[str, Any], known: Mapping[str, Any]) -> None:
    """Refuse parameter names the chapter does not have, listing those it has."""
    unknown = [name for name in params if name not in known]
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise UsageError(f"chapter {chapter.stem} has no parameter {names}; its parameters are: {', '.join(known)}.")


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


def cmd_report(args) -> int:
    """``crmlib report``: the analysis of one transaction file, written as a page, a workbook, key figures, tables."""
    from crmlib.data import DataError
    from crmlib.outputs import OutputError, OutputFolder
    from crmlib.params import ParameterError
    from crmlib.report import PreviousReportError, ReportError, make_report

    data = _data_file(args.data, "--data")
    assert data is not None
    if Path(args.out).expanduser().exists() and not Path(args.out).expanduser().is_dir():
        raise UsageError(f"--out {args.out!r} is a file, not a folder; choose a folder for the report.")
    options = _read_options(args)
    s = _report_settings(args)
    folder = OutputFolder(args.out, "report", force=args.force, protect=[data], option="--force")
    _not_the_chapters(folder.root, args.out)
    compare = Path(args.compare).expanduser() if args.compare else None
    try:
        report = make_report(
            data,
            folder,
            reader=options,
            by=args.by,
            compare=compare,
            raw_cells=args.raw_cells,
            progress=not args.quiet,
            **s.as_dict(),
        )
    except (OutputError, PreviousReportError, ReportError) as exc:
        raise Failure(str(exc)) from None
    except DataError as exc:  # the reader's (its options named as flags)
        raise Failure(exc.render("cli")) from None
    except ParameterError as exc:
        raise Failure(_python_to_flags(str(exc))) from None
    page = folder.root / "report.html"
    statuses = ", ".join(f"{m.name} {m.status}" for m in report.models.values())
    if not args.quiet and report.read_report:
        from crmlib.data import read_report

        text = read_report(report.read_report, entry="cli").replace(repr(str(data)), repr(_shown(data)))
        for line in text.splitlines():
            _say(line)
    _say(f"report written: {_shown(page)} ({statuses})")
    _say(f"workbook:       {_shown(folder.root / 'report.xlsx')}")
    _say(f"tables:         {_shown(folder.root / 'tables')}/")
    return 0


def _report_settings(args: argparse.Namespace) -> Any:
    """The report's settings from ``-p name=value`` and the ``--name`` flags (given once), checked."""
    from crmlib.params import ParameterError
    from crmlib.report import ReportSettings, check_settings

    settings = _parse_parameters(args.parameters)
    for name in ReportSettings.__dataclass_fields__:
        value = getattr(args, f"setting_{name}", None)
        if value is None:
            continue
        if name in settings and settings[name] != value:
            raise UsageError(f"--{name.replace('_', '-')} and -p {name}=... disagree; give the value once.")
        settings[name] = value
    try:
        return check_settings(settings, label=_setting_label)
    except ParameterError as exc:
        raise UsageError(str(exc)) from None


def _setting_label(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def _python_to_flags(message: str) -> str:
    message = re.sub(r"The '(\w+)' argument of make_report", lambda m: _setting_label(m.group(1)), message)
    return message.replace("The 'by' column", "--by")


def cmd_run(args) -> int:
    """``crmlib run CHAPTER``: execute one chapter into ``--out`` (through an output folder) and render its page."""
    from crmlib.course import ChapterError, run_chapter
    from crmlib.outputs import OutputError

    chapter = _find(args.chapter)
    params, data, options = _run_parameters(chapter, args)
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out!r} is a file, not a folder; choose a folder for the results.")
    _not_the_chapters(out, args.out)
    folder, extra = _run_folders(out, chapter.stem, args, params, [data] if data is not None else [])
    if data is not None:
        from crmlib.data import ReadOptions

        _read_data(data, options or ReadOptions())
    _say(f"Running {chapter.stem} ({_short_title(chapter)}) ...")
    start = time.perf_counter()
    failure = None
    notes: list[str] = []
    try:
        with folder:
            for name, other in extra.items():
                params[name] = str(other.staging)
            try:
                notebook = run_chapter(
                    chapter.number, parameters=params, out=folder.staging, html=not args.html_off, notes=notes
                )
            except ChapterError as exc:
                failure = exc
                folder.scope = [f"{chapter.stem}.failed.ipynb"]  # keep the previous good results as they were
            if failure is None:
                for other in extra.values():
                    other.commit()
    except OutputError as exc:
        raise Failure(str(exc)) from None
    finally:
        for other in extra.values():
            other.discard()
    if failure is not None:
        _chapter_failed(failure, out / f"{chapter.stem}.failed.ipynb")
    _say(f"Done in {_seconds(time.perf_counter() - start)}.")
    _say(f"  notebook: {_shown(out / notebook.name)}")
    if not args.html_off:
        _say(f"  page:     {_shown(out / notebook.with_suffix('.html').name)}")
    for note in notes:
        _say(f"  note: {note}")
    return 0


def _run_parameters(chapter: Any, args: argparse.Namespace) -> tuple[dict[str, Any], Any, Any]:
    """The chapter's parameters (with those reading ``--data``), each one the chapter has; the file, the options."""
    from crmlib.course import notebook_parameters

    params, data, options = _chapter_parameters(args)
    known = notebook_parameters(chapter.path)
    if data is not None:
        params.update(_reading_parameters(chapter.stem, known, options, params))
    _check_known(chapter, params, known)
    return params, data, options


def _run_folders(
    out: Path, stem: str, args: argparse.Namespace, params: dict[str, Any], protect: list[Path]
) -> tuple[Any, dict[str, Any]]:
    """The output folder of ``crmlib run`` (the chapter's own files), and the chapter's own output folders."""
    from crmlib.outputs import OutputError, OutputFolder

    own = [f"{stem}.ipynb", f"{stem}.html", f"{stem}.failed.ipynb"]
    try:
        folder = OutputFolder(
            out, "run", force=args.force, protect=protect, replaces=("course",), scope=own, option="--force"
        )
        folder.check(own if not args.html_off else own[::2])
        extra = {  # a chapter's own output folders (tables_dir): the same rules, through crmlib.outputs.write_table
            name: OutputFolder(value, "run", force=args.force, protect=protect, replaces=("chapter",), option="--force")
            for name, value in params.items()
            if name.endswith("_dir") and isinstance(value, str)
        }
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    return folder, extra


def _chapter_failed(failure: Any, failed: Path) -> None:
    """Raise the chapter's failure in one sentence (a refused output file in its own words), with the partial run."""
    if getattr(failure, "ename", "") == "OutputError":  # write_table refused a folder's file: its own sentence
        raise Failure(failure.evalue)
    raise Failure(
        str(failure).strip() + (f"\nthe partly executed notebook is {_shown(failed)}" if failed.exists() else "")
    )


def cmd_course(args) -> int:
    """``crmlib course``: every chapter (or ``--only``) in parallel into ``--out``, then the course site."""
    from crmlib.course import SITE_MARK, run_course
    from crmlib.outputs import record_files

    selected = _selected(args.only)
    if not selected:
        raise UsageError("no chapters to run.")
    own, data, options = _parameters_per_chapter(selected, args)
    out = _out_folder(args.out, data=data, written=_written(selected, index=not args.html_off))
    index = out / "index.html"
    if not args.html_off and index.exists() and SITE_MARK not in index.read_text(encoding="utf-8", errors="replace"):
        raise UsageError(
            f"{_shown(index)} exists and was not written by crmlib; choose another --out folder or move that file."
        )
    if data is not None:
        from crmlib.data import ReadOptions

        _read_data(data, options or ReadOptions())

    width = max(len(_short_title(c)) for c in selected)
    _say(f"Running {len(selected)} chapter{'s' if len(selected) != 1 else ''} into {_shown(out)}/")

    def done(run) -> None:
        label = f"{run.chapter.number}  {_short_title(run.chapter):<{width}}"
        if run.ok:
            if run.notebook is not None and run.notebook.is_relative_to(out):  # the kit's, even if the site is cut
                record_files(out, "course", [run.notebook.relative_to(out)])
            _say(f"{label}  ok     {_seconds(run.seconds):>9}  {_shown(run.notebook)}")
        else:
            _say(f"{label}  FAILED {_seconds(run.seconds):>9}  {run.error.splitlines()[0]}")

    start_all = time.perf_counter()
    note = None if data is None else "This page shows the chapter as it ran on your data file."
    result = run_course(selected, out=out, parameters=own, site=not args.html_off, data_note=note, on_chapter=done)
    return _course_summary(result, selected, out, time.perf_counter() - start_all)


def _parameters_per_chapter(
    selected: list[Any], args: argparse.Namespace
) -> tuple[dict[str, dict[str, Any]], Any, Any]:
    """The ``-p`` parameters each chapter has (and those reading ``--data``); a parameter no chapter has is a typo."""
    from crmlib.course import notebook_parameters

    params, data, options = _chapter_parameters(args)
    known = {c.stem: notebook_parameters(c.path) for c in selected}
    strays = [name for name in params if not any(name in k for k in known.values())]
    if strays:
        raise UsageError(f"no chapter has the parameter {', '.join(map(repr, strays))}.")
    own = {c.stem: {name: value for name, value in params.items() if name in known[c.stem]} for c in selected}
    if data is not None:
        for c in selected:
            if "data_path" in known[c.stem]:
                own[c.stem].update(_reading_parameters(c.stem, known[c.stem], options, own[c.stem]))
    return own, data, options


def _course_summary(result: Any, selected: list[Any], out: Path, seconds: float) -> int:
    """Record the files written, print the notes, the contents page and the summary; a failed chapter fails."""
    from crmlib.outputs import record_files

    failures = [r.chapter for r in result.runs if not r.ok]
    if result.written:
        record_files(out, "course", [p.relative_to(out) for p in result.written])
    for warning in result.warnings:
        _say(f"  note: {warning}")
    if result.index is not None:
        _say(f"Contents page: {_shown(result.index)}")
    total = _seconds(seconds)
    summary = f"{len(selected) - len(failures)} of {len(selected)} chapters ran in {total}"
    if failures:
        names = ", ".join(c.stem for c in failures)
        _say(f"{summary}; failed: {names} (partly executed notebooks: {_shown(out)}/notebooks/NN_name.failed.ipynb).")
        raise Failure(f"{len(failures)} chapter{'s' if len(failures) != 1 else ''} failed: {names}.")
    _say(summary + ".")
    return 0


def cmd_notebooks(args) -> int:
    """``crmlib notebooks [CHAPTER ...]``: re-execute the stored chapters in place, as many at once as cores."""
    from crmlib.course import available_cores, execute_chapters

    selected = _selected(args.chapters)
    if not selected:
        raise UsageError("no chapters found to execute.")
    width = max(len(_short_title(c)) for c in selected)
    workers = min(len(selected), available_cores())
    if len(selected) > 1:
        _say(f"Executing {len(selected)} notebooks in place, {workers} at a time")

    def done(run) -> None:
        label = f"{run.chapter.number}  {_short_title(run.chapter):<{width}}"
        if run.ok:
            _say(f"{label}  ok     {_seconds(run.seconds):>9}  {_shown(run.chapter.path)}")
        else:
            _say(f"{label}  FAILED {_seconds(run.seconds):>9}  {run.error.splitlines()[0]}")

    start_all = time.perf_counter()
    runs = execute_chapters(selected, in_place=True, workers=workers, on_done=done)
    failures = [r.chapter for r in runs if not r.ok]
    ran = len(selected) - len(failures)
    _say(f"{ran} of {len(selected)} notebooks re-executed in {_seconds(time.perf_counter() - start_all)}.")
    if failures:
        names = ", ".join(c.stem for c in failures)
        raise Failure(f"{len(failures)} notebook{'s' if len(failures) != 1 else ''} failed: {names} (left unchanged).")
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
    from crmlib.data import add_reader_arguments

    parser.add_argument(
        "--data", metavar="FILE", help="your transaction file (CSV, .csv.gz, Parquet, Excel); default: the bundled data"
    )
    add_reader_arguments(parser)
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        metavar="NAME=VALUE",
        help="set a chapter parameter, e.g. -p unit=M -p discount_rate=0.12 (repeatable)",
    )


def _add_report_parser(sub) -> None:
    from crmlib.data import add_reader_arguments
    from crmlib.report import SETTINGS_HELP

    p = sub.add_parser(
        "report",
        help="the whole analysis of your transaction file: report.html, report.xlsx, report.json and tables/",
        description="The whole analysis of one transaction file, for a manager: a page (report.html), "
        "a workbook (report.xlsx), the key figures and each model's status (report.json) "
        "and the tables (tables/*.csv). Nothing is fetched; the file is only read.",
    )
    p.add_argument("--data", required=True, metavar="FILE", help="your transaction file (CSV, .csv.gz, Parquet, Excel)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report (created if missing)")
    add_reader_arguments(p)
    group = p.add_argument_group("the analysis")
    group.add_argument(
        "--by",
        metavar="COLUMN",
        help="split the headline tables by a per-customer column of the file (Country, channel)",
    )
    group.add_argument(
        "--compare",
        metavar="PREVIOUS_DIR",
        help="the folder of an earlier report: add new and lost customers, tier moves, newly at risk, change in equity",
    )
    for name, text in SETTINGS_HELP.items():
        group.add_argument(
            f"--{name.replace('_', '-')}", dest=f"setting_{name}", metavar="VALUE", help=text, type=_setting_type(name)
        )
    group.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        metavar="NAME=VALUE",
        help="a setting as NAME=VALUE (the same as its flag), repeatable",
    )
    out = p.add_argument_group("the output")
    out.add_argument(
        "--force",
        action="store_true",
        help="also replace files of an earlier report that were changed since "
        "(files crmlib did not write are never replaced)",
    )
    out.add_argument(
        "--raw-cells",
        action="store_true",
        help="write text cells as they are (by default cells a spreadsheet would evaluate, starting with "
        "= + - @, get a leading apostrophe)",
    )
    out.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=cmd_report)


def _setting_type(name: str):
    if name in ("unit", "calibration_end"):
        return str
    if name in ("interval_draws", "seed", "top"):
        return _whole(name)
    return _number(name)


def _number(name: str):
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--{name.replace('_', '-')} must be a number, got {text!r}") from None

    parse.__name__ = "number"
    return parse


def _whole(name: str):
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--{name.replace('_', '-')} must be a whole number, got {text!r}"
            ) from None

    parse.__name__ = "whole number"
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The ``crmlib`` argument parser (subcommands report, list, run, course, notebooks and the extensions).

    Examples
    --------
    >>> args = build_parser().parse_args(["report", "--data", "sales.csv", "--out", "report", "--by", "Country"])
    >>> args.command, args.data, args.out, args.by
    ('report', 'sales.csv', 'report', 'Country')
    """
    parser = CommandParser(
        prog="crmlib",
        description="The CRM course kit: a report on your own transaction file, and the course's chapters.",
        epilog="Example: crmlib report --data sales.csv --out report --customer Customer --date 'Order Date' "
        "--amount Total",
    )
    from crmlib import __version__

    parser.add_argument("--version", action="version", version=f"crmlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)

    _add_report_parser(sub)

    p = sub.add_parser("list", help="the chapters of the course, with number and title")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("run", help="run one chapter (on the bundled data or your file) into --out")
    p.add_argument("chapter", metavar="CHAPTER", help="chapter number or name, e.g. 04 or clv_npv (see 'crmlib list')")
    _add_data_options(p)
    p.add_argument(
        "--out", default="build", metavar="DIR", help="folder for NN_name.ipynb and NN_name.html (default: build)"
    )
    p.add_argument("--no-html", dest="html_off", action="store_true", help="write the executed notebook only")
    p.add_argument(
        "--force", action="store_true", help="also replace files crmlib wrote before that were changed since"
    )
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("course", help="run every chapter (in parallel) into --out and build the offline course site")
    _add_data_options(p)
    p.add_argument(
        "--out", default="build", metavar="DIR",
        help="folder for the site (DIR/index.html) and the executed notebooks (default: build)",
    )
    p.add_argument(
        "--only", action="append", metavar="CHAPTERS", help="only these chapters, e.g. --only 00,04 (repeatable)"
    )
    p.add_argument(
        "--no-html", dest="html_off", action="store_true", help="write the executed notebooks only (no pages, no index)"
    )
    p.set_defaults(handler=cmd_course)

    p = sub.add_parser("notebooks", help="re-execute the stored chapters in place (make notebooks)")
    p.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter numbers or names; default: all")
    p.set_defaults(handler=cmd_notebooks)

    for name, (_, _, text) in EXTENSIONS.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmlib`` command with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as shown:
    ...     code = main(["list"])
    >>> code, "00_start_here.ipynb" in shown.getvalue()
    (0, True)
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    previous = _quiet_helpers_on_ctrl_c()
    try:
        return _main(argv)
    except KeyboardInterrupt:  # a second Ctrl-C while an error was being reported
        _interrupted()
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _main(argv: list[str]) -> int:
    try:
        if argv and argv[0] in EXTENSIONS:
            return _run_extension(argv[0], argv[1:])
        return _dispatch(argv)
    except SystemExit as exc:  # argparse's --help and --version (also in the extensions' own parsers)
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return _fail(str(exc.code), 1)
    except UsageError as exc:
        return _fail(exc, 2)
    except Failure as exc:
        return _fail(exc, 1)
    except KeyboardInterrupt:
        _interrupted()
        return 130
    except (ValueError, OSError) as exc:  # crmlib's ChapterError/ParameterError/DataError, missing files, permissions
        if os.environ.get("CRMLIB_DEBUG"):
            raise
        return _fail(exc, 1)
    except Exception as exc:  # a bug: say so in one line; CRMLIB_DEBUG=1 shows the traceback
        if os.environ.get("CRMLIB_DEBUG"):
            raise
        message = (
            f"unexpected {type(exc).__name__}: {error_lines(exc)}\n"
            "  (set CRMLIB_DEBUG=1 to see the traceback, and please report it)"
        )
        return _fail(message, 1)


def _dispatch(argv: list[str]) -> int:
    """Parse ``argv`` and run its subcommand (the notebook stack prepared for the commands that run chapters)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    if args.handler in (cmd_run, cmd_course):
        quick_notebook_imports()
        quiet_papermill()
    elif args.handler is cmd_notebooks:
        quick_notebook_imports()
    return args.handler(args)


def _quiet_helpers_on_ctrl_c():
    """Ctrl-C reaches every process of the terminal's group: forked helpers (Sphinx's parallel build) leave quietly.

    The handler installed here raises ``KeyboardInterrupt`` in this process, as Python's own does, and ends a
    forked copy of it at once with exit code 130, so only this process reports the interruption (one line).
    Returns the previous handler (``None`` when signals cannot be set here: not the main thread).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    here = os.getpid()

    def on_sigint(signum, frame):
        if os.getpid() != here:
            os._exit(130)
        raise KeyboardInterrupt

    return signal.signal(signal.SIGINT, on_sigint)


def _interrupted() -> None:
    """Ctrl-C: one line; a second Ctrl-C while shutting down (the kernel, threads) is not shown either."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("crmlib: interrupted.", file=sys.stderr, flush=True)


def _fail(exc: BaseException | str, code: int) -> int:
    text = exc if isinstance(exc, str) else error_lines(exc)
    print(f"crmlib: error: {text}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
