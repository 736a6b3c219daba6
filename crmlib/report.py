"""The analyst's report: the kit's whole analysis of one transaction file, in one command.

``crmlib report --data FILE --out DIR`` runs the capstone chapter (``09_capstone_crm_strategy``) on the file
and writes into ``DIR``:

* ``report.html`` — the executed analysis as one self-contained page (figures embedded);
* ``report.ipynb`` — the executed notebook;
* ``tables/*.csv`` — the per-customer summary (with tier, quadrant, p(alive), expected purchases, CLV) and
  the tier and segment tables.

Safety: the input file is only read. The report is built in a staging folder beside ``DIR`` and moved into place
only when it is complete, so an interrupted run leaves no half-written report in place of a good one. A folder
that already holds other files than a previous report is refused unless ``force=True`` (then only the report's
own files are replaced; nothing else in the folder is touched). The report never writes where the data file is.

``tables/`` holds ``customers.csv`` (one row per customer: ``customer_id``, the summary ``frequency``,
``recency``, ``T``, ``monetary_value``; ``revenue``, ``margin``; RFM ``R``, ``F``, ``M``, ``FM``, ``segment``;
pyramid ``tier``; ``current_value``, ``potential_value``, ``quadrant``; ``p_alive``, ``expected_purchases``,
``clv``; ``at_risk``, ``campaign_expected_profit``, ``campaign_target``), ``tiers.csv``, ``segments.csv``,
``quadrants.csv`` and ``README.txt`` (settings, and why any column is empty).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from crmlib.course import ChapterError, find_chapter, notebook_parameters, render_html

REPORT_CHAPTER = "capstone_crm_strategy"
REPORT_FILES = ("report.html", "report.ipynb", "tables")


class ReportError(ValueError):
    """The report cannot be made; the message says why and what to do."""


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ReportError(f"The output path {str(out)!r} is a file, not a folder. Choose a folder for the report.")
    if out.is_dir():
        # A previous report (only the report's own files) is simply replaced; anything else needs --force.
        others = sorted(
            p.name for p in out.iterdir() if p.name not in REPORT_FILES and not p.name.startswith(".crmlib-staging")
        )
        if others and not force:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise ReportError(
                f"The output folder {str(out)!r} already holds files ({shown}). Choose an empty or new folder, "
                "or pass --force to replace the report's own files in it (other files are left alone)."
            )


def _check_data_outside(data: Path, out: Path) -> None:
    """Refuse an ``out`` where writing the report would replace or delete the data file."""
    data, out = data.resolve(), out.resolve()
    own = [out / name for name in REPORT_FILES]
    if data in own or any(part in data.parents for part in own):
        raise ReportError(
            f"The report would replace your data file {str(data)!r} (report.html, report.ipynb and tables/ in the "
            "output folder are the report's own). Choose another output folder or move the data file."
        )


def _check_readable(data: Path, settings: dict[str, Any]) -> None:
    """Read the file in this process first, as the chapter will, so a bad file fails at once with one message.

    The chapter's kernel takes seconds to start; a wrong column or an unreadable file should not wait for it.
    """
    import warnings

    from crmlib.data import DataError, read_transactions

    line_items = {k: settings.get(f"{k}_col") for k in ("quantity", "price", "invoice")}
    line_items = {k: v for k, v in line_items.items() if v is not None}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the chapter prints the read report in full
            read_transactions(
                data, customer=settings.get("customer_col", "customer_id"), date=settings.get("date_col", "date"),
                amount=settings.get("amount_col", "amount"), date_format=settings.get("date_format"),
                returns=settings.get("returns", "net"), **line_items,
            )
    except DataError as exc:
        raise ReportError(str(exc)) from None


def make_report(
    data: Path | str,
    out: Path | str,
    *,
    columns: dict[str, str] | None = None,
    parameters: dict[str, Any] | None = None,
    force: bool = False,
    progress: bool = True,
    timeout: int = 3600,
    kernel_name: str = "python3",
) -> Path:
    """Run the report chapter on ``data`` and write ``report.html``, ``report.ipynb`` and ``tables/`` into ``out``.

    Parameters
    ----------
    data : the transaction file (CSV, .csv.gz, Parquet, Excel), only read.
    out : the report folder; created if missing; refused if it holds files other than a previous report, unless ``force``.
    columns : the file's column names for the chapter's ``customer_col``, ``date_col``, ``amount_col`` (and
        ``quantity_col``, ``price_col``, ``invoice_col``, ``date_format`` where the chapter has them), e.g.
        ``{"customer_col": "Customer ID", "date_col": "InvoiceDate"}``.
    parameters : other parameters of the chapter (``calibration_end``, ``unit``, ...).
    force : write into a folder that holds other files (replacing only the report's own files).

    Returns
    -------
    The path of ``report.html``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    data = Path(data).expanduser()
    if not data.exists():
        raise ReportError(f"The data file {str(data)!r} does not exist.")
    if data.is_dir():
        raise ReportError(f"{str(data)!r} is a folder; give the path of the transaction file inside it.")
    out = Path(out).expanduser()
    _check_out(out, force)
    _check_data_outside(data, out)
    chapter = find_chapter(REPORT_CHAPTER)
    known = notebook_parameters(chapter.path)
    params = {**(columns or {}), **(parameters or {})}
    unknown = sorted(k for k in params if k not in known)
    if unknown:
        raise ReportError(
            f"The report has no parameter {', '.join(map(repr, unknown))}. Its parameters are: {', '.join(known)}."
        )
    _check_readable(data, {**{k: v for k, v in known.items()}, **params})
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".crmlib-staging-", dir=out.resolve()))  # absolute: the chapter runs elsewhere
    try:
        tables = staging / "tables"
        tables.mkdir()
        params.update({"data_path": str(data.resolve()), "tables_dir": str(tables)})
        notebook = staging / "report.ipynb"
        try:
            pm.execute_notebook(
                str(chapter.path), str(notebook), parameters=params, cwd=str(chapter.path.parent),
                kernel_name=kernel_name, progress_bar=progress, execution_timeout=timeout,
            )
        except PapermillExecutionError as exc:
            raise ReportError(f"The analysis stopped: {exc.ename}: {exc.evalue}") from None
        render_html(notebook, staging / "report.html")
        # Move into place: tables first, the page last, so report.html is always a complete report.
        if (out / "tables").exists():
            shutil.rmtree(out / "tables")
        (staging / "tables").replace(out / "tables")
        (staging / "report.ipynb").replace(out / "report.ipynb")
        (staging / "report.html").replace(out / "report.html")
    except ChapterError as exc:
        raise ReportError(str(exc)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
    return out / "report.html"


#: ``crmlib report`` options that set the report chapter's column parameters.
REPORT_OPTIONS = {
    "customer": "customer_col",
    "date": "date_col",
    "amount": "amount_col",
    "quantity": "quantity_col",
    "price": "price_col",
    "invoice": "invoice_col",
    "date_format": "date_format",
    "returns": "returns",
    "calibration_end": "calibration_end",
    "unit": "unit",
}


def main_report(argv: list[str]) -> int:
    """``crmlib report --data FILE --out DIR [--customer COL --date COL --amount COL] [--quantity COL --price COL
    --invoice COL] [--date-format FMT] [--returns net|drop|keep] [--calibration-end DATE] [--unit W] [-p name=value ...] [--force]``."""
    import sys

    from crmlib.cli import UsageError, _error_lines, _Parser, _quick_notebook_imports, _quiet_papermill
    from crmlib.course import parse_parameter

    parser = _Parser(prog="crmlib report", description="The kit's whole analysis of your transaction file: report.html and CSV tables.")
    parser.add_argument("--data", required=True, metavar="FILE", help="your transaction file (CSV, .csv.gz, Parquet, Excel)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for report.html, report.ipynb and tables/")
    parser.add_argument("--customer", metavar="COL", help="column of the customer id")
    parser.add_argument("--date", metavar="COL", help="column of the purchase date or timestamp")
    parser.add_argument("--amount", metavar="COL", help="column of the amount (or give --quantity and --price)")
    parser.add_argument("--quantity", metavar="COL", help="line-item exports: column of the quantity")
    parser.add_argument("--price", metavar="COL", help="line-item exports: column of the unit price")
    parser.add_argument("--invoice", metavar="COL", help="line-item exports: column of the invoice id (lines of one order)")
    parser.add_argument("--date-format", dest="date_format", metavar="FMT", help="strftime format of the dates, e.g. %%d/%%m/%%Y")
    parser.add_argument("--returns", choices=("net", "drop", "keep"), help="negative amounts (returns): net them against the purchase (default), drop or keep them")
    parser.add_argument("--calibration-end", dest="calibration_end", metavar="DATE", help="end of the model calibration period")
    parser.add_argument("--unit", metavar="U", help="time unit of the models: D, W, M or Y (default W)")
    parser.add_argument("-p", "--parameter", dest="parameters", action="append", metavar="NAME=VALUE", help="another report parameter (repeatable)")
    parser.add_argument("--force", action="store_true", help="write into a folder that holds other files")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    columns = {param: getattr(args, opt) for opt, param in REPORT_OPTIONS.items() if getattr(args, opt) is not None}
    params = {}
    for item in args.parameters or []:
        try:
            name, value = parse_parameter(item)
        except ChapterError as exc:
            raise UsageError(str(exc)) from None
        params[name] = value
    # Mistakes in the command line are usage errors (exit 2), found before anything runs.
    data = Path(args.data).expanduser()
    if data.is_dir():
        raise UsageError(f"--data {args.data!r} is a folder; give the path of the transaction file inside it.")
    if not data.exists():
        raise UsageError(f"--data {args.data!r}: the file does not exist (relative paths start from {Path.cwd()}).")
    known = notebook_parameters(find_chapter(REPORT_CHAPTER).path)
    for name in params:
        if name in ("data_path", "tables_dir"):
            raise UsageError(f"-p {name}=... is set by the command itself; give the data with --data and the folder with --out.")
        if name not in known:
            raise UsageError(f"the report has no parameter {name!r}; its parameters are: {', '.join(known)}.")
        if name in columns and columns[name] != params[name]:
            raise UsageError(f"an option and -p {name}=... disagree; give the value once.")
    _quick_notebook_imports()
    _quiet_papermill()
    try:
        page = make_report(args.data, args.out, columns=columns, parameters=params, force=args.force,
                           progress=not args.quiet and sys.stderr.isatty())
    except ReportError as exc:
        print(f"crmlib: error: {_error_lines(exc)}", file=sys.stderr, flush=True)
        return 1
    print(f"report written: {page}")
    print(f"tables:         {page.parent / 'tables'}")
    return 0
