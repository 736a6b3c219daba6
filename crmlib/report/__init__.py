"""The analyst's report: one transaction file in, a manager's page, a workbook, key figures and tables out.

:func:`make_report` is the entry point (``crmlib report`` calls it)::

    from crmlib.report import make_report
    report = make_report("sales.csv", "report/", reader={"customer": "Customer ID", "date": "InvoiceDate",
                                                          "quantity": "Quantity", "price": "Price",
                                                          "invoice": "Invoice"})
    report.models["bg_nbd"].status      # "fitted", "not trusted" or "skipped"
    report.customers.head()             # one row per customer, with the recommended action

The pipeline: the reader (:func:`crmlib.data.read_transactions`) -> the summary (:func:`crmlib.rfm.summarize`) ->
the models (BG/NBD and Gamma-Gamma, each checked by :mod:`crmlib.report._trust` before its numbers are used) ->
values (:func:`crmlib.clv.value_components`), tiers (:func:`crmlib.tiers.pyramid`), quadrants
(:func:`crmlib.tiers.value_potential`), the at-risk list and one recommended action per customer -> tables.
Nothing is fetched or executed: no notebook, no kernel.

Files written into the output folder (through :class:`crmlib.outputs.OutputFolder`, so nothing the user wrote is
replaced and an interrupted run leaves no half-written report):

* ``report.html``: the manager's page, self-contained and offline (figures embedded, the formula in MathML);
* ``report.xlsx``: every table, one sheet each, formatted header, frozen panes;
* ``report.json``: the key figures, each model's status (``"fitted"``, ``"not trusted"`` with ``reasons``,
  ``"skipped"`` with ``reason``), the decisions and what was skipped;
* ``tables/*.csv``: ``customers.csv`` (:data:`CUSTOMER_COLUMNS` plus the input's per-customer columns), the
  summary tables and ``README.txt``.

Text cells of the CSV files and the workbook are neutralised against formula injection
(:func:`crmlib.outputs.neutralise_cell`) unless ``raw_cells=True``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmlib.report._layout import CUSTOMER_COLUMNS, REPORT_FILES
from crmlib.report._settings import SETTINGS_HELP, ReportSettings, check_settings

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from crmlib.data import ReadOptions
    from crmlib.outputs import OutputFolder
    from crmlib.report._answers import crm_system_answers
    from crmlib.report._compare import Comparison, PreviousReportError
    from crmlib.report._pipeline import ACTIONS, Decision, Report, Section
    from crmlib.report._trust import (
        MAX_INTERVAL_WIDTH,
        MIN_CALIBRATION_DAYS,
        MIN_CYCLES,
        MIN_HOLDOUT_DAYS,
        MIN_HOLDOUT_PURCHASES,
        SHAPE_BOUNDS,
        ModelStatus,
    )

# Names loaded on first use, so that importing this package (e.g. for ``crmlib report --help``) stays light.
_LAZY = {
    "ACTIONS": "crmlib.report._pipeline",
    "Decision": "crmlib.report._pipeline",
    "Report": "crmlib.report._pipeline",
    "Section": "crmlib.report._pipeline",
    "Comparison": "crmlib.report._compare",
    "PreviousReportError": "crmlib.report._compare",
    "MAX_INTERVAL_WIDTH": "crmlib.report._trust",
    "MIN_CALIBRATION_DAYS": "crmlib.report._trust",
    "MIN_CYCLES": "crmlib.report._trust",
    "MIN_HOLDOUT_DAYS": "crmlib.report._trust",
    "MIN_HOLDOUT_PURCHASES": "crmlib.report._trust",
    "SHAPE_BOUNDS": "crmlib.report._trust",
    "ModelStatus": "crmlib.report._trust",
    "crm_system_answers": "crmlib.report._answers",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crmlib.report' has no attribute {name!r}")


__all__ = [
    "ACTIONS",
    "CUSTOMER_COLUMNS",
    "MAX_INTERVAL_WIDTH",
    "MIN_CALIBRATION_DAYS",
    "MIN_CYCLES",
    "MIN_HOLDOUT_DAYS",
    "MIN_HOLDOUT_PURCHASES",
    "REPORT_FILES",
    "SETTINGS_HELP",
    "SHAPE_BOUNDS",
    "Comparison",
    "Decision",
    "ModelStatus",
    "PreviousReportError",
    "Report",
    "ReportError",
    "ReportSettings",
    "Section",
    "check_settings",
    "crm_system_answers",
    "make_report",
    "write_report",
]

class ReportError(ValueError):
    """The report cannot be made; the message says why and what to do."""


def _progress(progress: bool | Callable[[str], None] | None) -> Callable[[str], None] | None:
    from crmlib.report._pipeline import timed

    if progress is None or progress is False:
        return None
    if progress is True:
        return timed(lambda text: print(text, file=sys.stderr, flush=True))
    return progress


def make_report(
    data: str | os.PathLike[str] | pd.DataFrame,
    out: str | os.PathLike[str] | OutputFolder | None = None,
    *,
    reader: Mapping[str, Any] | ReadOptions | None = None,
    by: str | None = None,
    compare: str | os.PathLike[str] | None = None,
    force: bool = False,
    raw_cells: bool = False,
    progress: bool | Callable[[str], None] | None = None,
    **settings: Any,
) -> Report:
    """Analyse a transaction file and (with ``out``) write the report's page, workbook, key figures and tables.

    Parameters
    ----------
    data : str, Path or DataFrame
        The transaction file (CSV, .csv.gz, Parquet, Excel) or a frame; only read.
    out : str, Path or crmlib.outputs.OutputFolder, optional
        The report folder. Without it nothing is written (the returned :class:`Report` holds everything). An
        :class:`~crmlib.outputs.OutputFolder` is used as it is (its ``force``, protected files and the name of
        its ``force`` option in messages), ``force`` is then ignored.
    reader : crmlib.data.ReadOptions or mapping, optional
        The reader's options: a :class:`crmlib.data.ReadOptions`, or a mapping of its fields, the options of
        :func:`crmlib.data.read_transactions` (``customer``, ``date``, ``amount``, ``quantity``, ``price``,
        ``invoice``, ``date_format``, ``returns``, ``blank_customers``, ``sheet``, the limits ``max_*``, ...).
    by : str, optional
        A per-customer column of the input (Country, channel) to split the headline tables by.
    compare : str or Path, optional
        The folder of a previous report: adds new and lost customers, tier and quadrant moves, newly at-risk
        customers and the change in customer equity.
    force : bool
        Also replace files of a previous report in ``out`` that were changed since (never files the kit did not
        write; see :class:`crmlib.outputs.OutputFolder`).
    raw_cells : bool
        Write text cells exactly as they are instead of neutralising those a spreadsheet would evaluate.
    progress : bool or callable, optional
        ``True`` prints the steps to stderr ("reading sales.csv", "fitting BG/NBD", "writing tables");
        a callable receives each step's text.
    **settings
        The settings of :class:`ReportSettings` (``unit``, ``calibration_end``, ``margin_rate``,
        ``discount_rate``, ``horizon_months``, ``p_alive_risk``, ...), each checked with its allowed range.

    Returns
    -------
    Report
        The result; ``report.paths`` names the files written.

    Raises
    ------
    crmlib.data.DataError
        The file cannot be read as transactions (the message names the column, the rows and the fix).
    crmlib.params.ParameterError
        A setting is out of its range, or ``by`` is not a per-customer column.
    crmlib.outputs.OutputError
        ``out`` holds files the report must not replace.
    ReportError
        ``compare`` is not a readable previous report.

    Examples
    --------
    >>> from crmlib.datasets import load_transactions
    >>> report = make_report(load_transactions().head(20_000), interval_draws=0)
    >>> report.models["bg_nbd"].status
    'fitted'
    >>> sorted(report.customers.columns[:4])
    ['T', 'frequency', 'monetary_value', 'recency']
    """
    import pandas as pd

    from crmlib.report._compare import PreviousReportError, compare_reports, read_previous
    from crmlib.report._pipeline import build_report

    say = _progress(progress)
    s = check_settings(settings)
    folder = None
    data_path = None if isinstance(data, pd.DataFrame) else Path(os.fspath(data)).expanduser()
    if out is not None:
        from crmlib.outputs import OutputFolder

        if isinstance(out, OutputFolder):
            folder = out
        else:
            protect = [data_path] if data_path else []
            folder = OutputFolder(out, "report", force=force, protect=protect, option="force=True")
        folder.check(REPORT_FILES)
    if compare is not None:
        try:
            read_previous(Path(compare))
        except PreviousReportError as exc:
            raise ReportError(str(exc)) from None
    report = build_report(data, reader=reader, settings=s, by=by, progress=say)
    if compare is not None:
        (say or (lambda _: None))("comparing with the previous report")
        report.comparison = compare_reports(report, Path(compare))
        report.tables["changes"] = report.comparison.changes
        if report.comparison.tier_migration is not None:
            report.tables["tier_migration"] = report.comparison.tier_migration
        if report.comparison.quadrant_migration is not None:
            report.tables["quadrant_migration"] = report.comparison.quadrant_migration
    if folder is not None:
        write_report(report, folder, raw_cells=raw_cells, progress=say)
    return report


def write_report(
    report: Report,
    folder: OutputFolder,
    *,
    raw_cells: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write the report's files into ``folder``; returns their paths by relative name.

    Parameters
    ----------
    report : Report
        What :func:`make_report` returned.
    folder : crmlib.outputs.OutputFolder
        The output folder; the files are moved into place together when all are written.
    raw_cells : bool
        Write text cells exactly as they are instead of neutralising those a spreadsheet would evaluate.
    progress : callable, optional
        Receives each step's text.

    Returns
    -------
    dict of str to Path
        ``{"report.html": Path, ...}``, also stored as ``report.paths``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.datasets import load_transactions
    >>> from crmlib.outputs import OutputFolder
    >>> report = make_report(load_transactions().head(5_000), interval_draws=0)
    >>> paths = write_report(report, OutputFolder(Path(tempfile.mkdtemp()) / "report", "report"))
    >>> [name for name in REPORT_FILES if name not in paths]
    []
    """
    from crmlib.report._files import report_json, workbook_cells, write_json, write_tables, write_workbook
    from crmlib.report._html import render_html

    say = progress or (lambda _: None)
    neutralise = not raw_cells
    with folder:
        say("writing tables")
        names = write_tables(report, folder, neutralise=neutralise)
        say(f"writing report.xlsx ({workbook_cells(report):,} cells)")  # the longest step on a large file
        report.notes.extend(write_workbook(report, folder.path("report.xlsx"), neutralise=neutralise))
        files = ["report.html", "report.xlsx", "report.json", *names]
        write_json(report_json(report, files=files, neutralise=neutralise), folder.path("report.json"))
        say("writing report.html")
        folder.path("report.html").write_text(render_html(report, files), encoding="utf-8")
    report.paths = {p.relative_to(folder.root).as_posix(): p for p in folder.written}
    return report.paths
