"""The report's files other than the page: ``tables/*.csv``, ``report.xlsx`` and ``report.json``.

Every text cell of the CSV files and the workbook is neutralised (:func:`crmlib.outputs.neutralise_cell`) unless
the caller asks for the raw values; report.json records which (``"cells"``).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmlib.outputs import neutralise_cell, neutralise_frame, write_csv

if TYPE_CHECKING:  # pragma: no cover
    from crmlib.report._pipeline import Report

__all__ = [
    "EXCEL_MAX_ROWS",
    "json_ready",
    "report_json",
    "table_files",
    "workbook_cells",
    "write_json",
    "write_tables",
    "write_workbook",
]

#: Data rows of one Excel sheet at most (the format's limit is 1,048,576 rows with the header).
EXCEL_MAX_ROWS = 1_048_575

#: What each table holds, one line each (README.txt beside the tables, and the page's list of files).
TABLE_NOTES: dict[str, str] = {
    "customers": "one row per customer: summary, revenue, values, tier, quadrant, P(alive), CLV, at risk, action",
    "at_risk": "the valuable customers at risk, largest revenue first, with the recommended action",
    "tiers": "the customer pyramid by revenue: customers and revenue per tier",
    "pareto": "the 80/20 table: the top 1%, 5%, 10%, 20% and 50% of customers and their share of revenue",
    "quadrants": "the current value x potential value matrix: customers, values and strategy per quadrant",
    "segments": "RFM segments: customers, recency, frequency, monetary value and revenue per segment",
    "cohorts": "share of each acquisition cohort that bought again, by period since the first purchase",
    "holdout": "the holdout check: purchases per customer predicted and actual, by calibration frequency",
    "parameters": "the models' estimates with standard errors and 95% intervals",
    "changes": "what changed since the previous report, one row per customer who changed",
    "tier_migration": "customers by tier in the previous report (rows) and in this one (columns)",
    "quadrant_migration": "customers by quadrant in the previous report (rows) and in this one (columns)",
}


def json_ready(value: Any) -> Any:
    """``value`` with numpy scalars, timestamps and non-finite floats made JSON-friendly (NaN, inf -> None)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()[:10] if isinstance(value, (pd.Timestamp, datetime)) else value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def table_files(report: Report) -> dict[str, pd.DataFrame]:
    """The tables to write, by file stem, ``customers`` first."""
    from crmlib.report._layout import CUSTOMER_COLUMNS

    columns = [c for c in CUSTOMER_COLUMNS if c in report.customers.columns] + report.attributes
    out = {"customers": report.customers[columns]}
    out.update(report.tables)
    return out


def write_tables(report: Report, folder, *, neutralise: bool = True) -> list[str]:
    """Write ``tables/<name>.csv`` for every table into ``folder`` (an :class:`~crmlib.outputs.OutputFolder`)."""
    names = []
    for stem, frame in table_files(report).items():
        name = f"tables/{_file_stem(stem)}.csv"
        write_csv(frame, folder.path(name), neutralise=neutralise)
        names.append(name)
    lines = [
        "Tables of the customer report written by crmlib (report.html describes them; report.json has the key "
        "figures).",
        "Text cells that a spreadsheet would evaluate (starting with = + - @, a tab or a carriage return) and "
        "cells starting with an apostrophe have one apostrophe added in front; remove it to get the raw value "
        "(crmlib.outputs.restore_cell), or write the report with --raw-cells."
        if neutralise
        else "Cells are written exactly as they are (--raw-cells): a spreadsheet may evaluate "
        "cells that start with = + - or @.",
        "",
    ]
    for name in names:
        stem = Path(name).stem
        lines.append(f"{name}: {TABLE_NOTES.get(stem, _by_note(stem))}")
    folder.path("tables/README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*names, "tables/README.txt"]


def _by_note(stem: str) -> str:
    if stem.startswith("by_"):
        return f"the headline figures by {stem[3:]}"
    return ""


def _file_stem(stem: str) -> str:
    """A file name made from a table name (a ``by_`` table carries a column name from the user's file)."""
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
    return keep[:80] or "table"


# ----------------------------------------------------------------------------------------------
# the workbook
# ----------------------------------------------------------------------------------------------


def _sheet_title(stem: str, used: set[str]) -> str:
    title = "".join(ch for ch in _file_stem(stem) if ch not in "[]:*?/\\")[:31] or "table"
    base, k = title, 2
    while title.lower() in used:
        title = f"{base[:28]}_{k}"
        k += 1
    used.add(title.lower())
    return title


def workbook_cells(report: Report) -> int:
    """The cells of data ``report.xlsx`` holds: each sheet's rows (to Excel's limit) times its columns, index included.

    The workbook is written cell by cell (about ten microseconds each), so this says how long it will take.
    """
    frames = table_files(report).values()
    return sum(min(len(frame), EXCEL_MAX_ROWS) * (frame.shape[1] + frame.index.nlevels) for frame in frames)


def write_workbook(report: Report, path: Path, *, neutralise: bool = True) -> list[str]:
    """``report.xlsx``: one sheet per table, a formatted header row, frozen header and first column.

    Written with XlsxWriter in constant-memory mode (row by row), every text cell as a string (never a formula)
    and neutralised unless ``neutralise=False``. Returns notes for the page (a table cut at Excel's row limit).
    """
    import xlsxwriter

    notes = []
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": False,
        },
    )
    header = book.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#2F4F6F", "text_wrap": True, "valign": "top", "border": 0}
    )
    formats = {code: book.add_format({"num_format": code}) for code in ("0.0%", "#,##0", "#,##0.00")}
    used: set[str] = set()
    try:
        for stem, frame in table_files(report).items():
            table = neutralise_frame(frame) if neutralise else frame
            table = table.reset_index()
            if len(table) > EXCEL_MAX_ROWS:
                notes.append(
                    f"The {stem} sheet of report.xlsx holds the first {EXCEL_MAX_ROWS:,} of {len(table):,} "
                    f"rows (Excel's limit); tables/{_file_stem(stem)}.csv has them all."
                )
                table = table.iloc[:EXCEL_MAX_ROWS]
            sheet = book.add_worksheet(_sheet_title(stem, used))
            _write_header(sheet, table, header, neutralise)
            _write_rows(sheet, table, formats)
    finally:
        book.close()
    return notes


def _write_header(sheet: Any, table: pd.DataFrame, header: Any, neutralise: bool) -> None:
    """The header row, each column as wide as its name or its longest of the first 200 texts (10 to 60), frozen."""
    for k, name in enumerate(str(c) for c in table.columns):
        width = min(max(len(name) + 2, 10), 60)
        if len(table) and table.iloc[:, k].dtype == object:
            sample = table.iloc[: min(len(table), 200), k].map(lambda v: len(str(v)) if v is not None else 0)
            width = min(max(width, int(sample.max() or 0) + 2), 60)
        sheet.set_column(k, k, width)
        sheet.write_string(0, k, neutralise_cell(name) if neutralise else name, header)
    sheet.freeze_panes(1, 1)


def _write_rows(sheet: Any, table: pd.DataFrame, formats: dict[str, Any]) -> None:
    """The table's rows, row by row (constant memory), each column through its own writer."""
    columns = [str(c) for c in table.columns]
    writers = [_column_writer(sheet, table[col], formats.get(_number_format(name, table[col].dtype) or ""))
               for name, col in zip(columns, table.columns)]
    columns_values = [values for values, _ in writers]
    methods = [method for _, method in writers]
    for r in range(len(table)):
        row = r + 1
        for k, method in enumerate(methods):
            value = columns_values[k][r]
            if value is not None:
                method(row, k, value)


def _column_writer(sheet, series: pd.Series, fmt) -> tuple[list, Any]:
    """The column's cell values as plain Python objects (None for missing) and the sheet method that writes them."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return [None if pd.isna(v) else bool(v) for v in series.tolist()], sheet.write_boolean
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float)
        plain = [None if not math.isfinite(v) else v for v in values.tolist()]
        if fmt is None:
            return plain, sheet.write_number
        return plain, lambda row, col, value: sheet.write_number(row, col, value, fmt)
    values = [_cell_value(v) for v in series.to_numpy(dtype=object)]
    text = [None if v is None else (v.isoformat()[:10] if isinstance(v, (datetime, date)) else
                                    v if isinstance(v, str) else str(v)) for v in values]
    return text, sheet.write_string


def _number_format(name: str, dtype) -> str | None:
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if "share" in name or name.startswith("p_alive") or name == "error":
        return "0.0%"
    if pd.api.types.is_integer_dtype(dtype):
        return "#,##0"
    if pd.api.types.is_float_dtype(dtype):
        return "#,##0.00"
    return None


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, (str, int, datetime, date)) else str(value)


# ----------------------------------------------------------------------------------------------
# report.json
# ----------------------------------------------------------------------------------------------


def report_json(report: Report, *, files: list[str] | None = None, neutralise: bool = True) -> dict[str, Any]:
    """The content of report.json: key figures, each model's status, the decisions, what was skipped."""
    from crmlib import __version__

    payload: dict[str, Any] = {
        "format": "crmlib customer report",
        "version": 1,
        "crmlib_version": __version__,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": report.source,
        "title": report.title,
        "period": {"first_day": str(report.first_day.date()), "last_day": str(report.last_day.date())},
        "settings": report.settings.as_dict(),
        "read": {
            k: report.read_report.get(k)
            for k in (
                "rows_read",
                "rows_kept",
                "customers",
                "first_date",
                "last_date",
                "returns",
                "blank_customers_dropped",
                "notes",
            )
        },
        "key_figures": report.key_figures,
        "models": {key: status.as_dict() for key, status in report.models.items()},
        "holdout": {k: v for k, v in report.holdout.items() if k not in ("table", "model")},
        "decisions": [
            {
                "title": d.title,
                "evidence": d.evidence,
                "action": d.action,
                "money": d.money,
                "money_label": d.money_label,
                "illustrative": d.illustrative,
            }
            for d in report.decisions
        ],
        "sections_skipped": {k: v.reason for k, v in report.sections.items() if not v.done},
        "notes": report.notes,
        "per_customer_columns": report.attributes,
        "by": report.by,
        "cells": "neutralised" if neutralise else "raw",
        "files": files or [],
    }
    if report.comparison is not None:
        payload["comparison"] = report.comparison.as_dict()
    return json_ready(payload)


def write_json(payload: dict[str, Any], path: Path) -> None:
    """Write report.json (UTF-8, indented, no NaN)."""
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
