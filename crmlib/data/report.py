"""The read report: what :func:`crmlib.data.read_transactions` read, kept, repaired and left out.

The report is a dictionary in ``frame.attrs["crmlib_read_report"]`` (counts, the recognised encoding,
delimiter and date format, and one note per repair or left-out group); :func:`read_report` prints it
in a few lines, for Python (options as arguments) or for the command line (options as flags).
"""

from __future__ import annotations

from typing import Any

from crmlib.data.errors import ENTRY_POINTS, DataError

__all__ = ["REPORT_KEY", "read_report"]

#: Where a frame read by read_transactions keeps its report.
REPORT_KEY = "crmlib_read_report"


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def read_report(frame_or_report: Any, entry: str = "python") -> str:
    """The read report of :func:`crmlib.data.read_transactions` in a few lines.

    Parameters
    ----------
    frame_or_report : DataFrame or dict
        A frame returned by :func:`crmlib.data.read_transactions` (its ``attrs["crmlib_read_report"]``)
        or the report dictionary itself.
    entry : {"python", "cli"}
        Name the reader's options as Python arguments (``returns='drop'``) or as command-line flags
        (``--returns drop``).

    Returns
    -------
    str
        One line on what was read and kept, one on how the file and its dates were read, then one
        line per repair or left-out group.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib.data import read_transactions
    >>> tx = read_transactions(pd.DataFrame({"customer_id": ["a", "a"], "date": ["2024-01-02", "2024-01-05"],
    ...                                       "amount": [10, -4]}), returns="drop", warn=False)
    >>> print(read_report(tx))
    Read 2 rows from the DataFrame; kept 1 row of 1 customer, 2024-01-02 to 2024-01-02.
    Dates: date format ISO 8601 (such as 2024-01-31 or 2024-01-31 14:05), recognised from the column.
    - 1 return row (negative amounts, total -4.00) dropped (returns='drop').
    >>> print(read_report(tx, entry="cli").splitlines()[-1])
    - 1 return row (negative amounts, total -4.00) dropped (--returns drop).
    """
    if entry not in ENTRY_POINTS:
        raise ValueError(f"read_report: entry must be one of {ENTRY_POINTS}; got {entry!r}")
    report = frame_or_report
    if not isinstance(report, dict):
        report = getattr(frame_or_report, "attrs", {}).get(REPORT_KEY)
        if report is None:
            raise DataError(
                "read_report needs a frame returned by crmlib.data.read_transactions (it carries the read report "
                "in attrs['crmlib_read_report']); this one has none: it was built or changed by other code."
            )
    source = "the DataFrame" if report.get("source") == "DataFrame" else repr(report.get("source"))
    span = f", {report['first_date']} to {report['last_date']}" if report.get("first_date") else ""
    what = (
        f"{report.get('line_items')} line items into {report.get('invoices')} invoices, "
        if report.get("invoices")
        else ""
    )
    lines = [
        f"Read {_n(report.get('rows_read', 0), 'row')} from {source}; "
        f"{what}kept {_n(report.get('rows_kept', 0), 'row')} "
        f"of {_n(report.get('customers', 0), 'customer')}{span}."
    ]
    detail = []
    if report.get("format") == "csv":
        detail.append(f"text encoded {report.get('encoding')}, delimiter {report.get('delimiter')!r}")
    if report.get("dates"):
        detail.append(report["dates"])
    if detail:
        lines.append("Dates: " + detail[-1] + "." if len(detail) == 1 else f"File: {detail[0]}. Dates: {detail[1]}.")
    notes = report.get("notes_cli" if entry == "cli" else "notes") or report.get("notes", [])
    lines.extend(f"- {note}." for note in notes)
    return "\n".join(lines)
