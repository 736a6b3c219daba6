"""Reading transaction logs into the kit's canonical frame.

The canonical frame has one row per purchase (or invoice) with columns ``customer_id`` (text),
``date`` (datetime64[ns], day resolution) and ``amount`` (float64). :func:`read_transactions` builds
it from a file or a DataFrame; every problem with the input raises :class:`DataError` with one
message that names the column, shows the first offending rows and says what to do. What was
repaired or left out on the way (amounts written as ``"$1,234.50"``, returns, guest rows, header
lines repeated inside the data, dates in the future) is reported: a :class:`DataWarning` and a
dictionary in ``frame.attrs["crmlib_read_report"]``, printed by :func:`read_report`.

Row numbers in messages are those a person sees when opening the file: in a CSV file the header is
line 1 and the first data row line 2; in a workbook, the spreadsheet's row numbers (header in row
1); in a Parquet file, data rows counted from 1; for a DataFrame, its index labels.

The package is a set of small modules, one per input format and one per column rule:

======================  ==========================================================================
``options``             :class:`ReadOptions`, and the command-line flags made from it
``errors``              :class:`DataError` (renders its hints as arguments or as flags), :class:`DataWarning`
``paths``               which file, of what kind (regular files only; a path is never a pattern)
``text``, ``streams``   delimited text: layout, encoding over the whole file, bounded decompression
``parquet``             Parquet files
``excel``               workbooks (checked for encryption and size before they are opened)
``frame``               a DataFrame as the source
``ids``                 the customer-id rule
``amounts``             the amount rule
``dates``               the date rule
``line_items``          quantity x price, invoices
``returns``             the returns policies
``report``              the read report
``order``               the rows in (customer, day) order, for the frame and every summary
``reader``              :func:`read_transactions`, a short sequence of these steps
======================  ==========================================================================

``import crmlib.data`` stays light: the readers (and pandas, pyarrow) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from crmlib.data.canonical import CANONICAL_COLUMNS, check_canonical
from crmlib.data.errors import DataError, DataWarning, Hint, OptionError, option_flag
from crmlib.data.options import (
    BLANK_POLICIES,
    OPTION_NAMES,
    RETURNS_POLICIES,
    ReadOptions,
    add_reader_arguments,
    read_options_from_args,
    reader_flags,
)

__all__ = [
    "BLANK_ID_TEXTS",
    "BLANK_POLICIES",
    "CANONICAL_COLUMNS",
    "DATE_FORMATS",
    "OPTION_NAMES",
    "RETURNS_POLICIES",
    "DataError",
    "DataWarning",
    "Hint",
    "OptionError",
    "ReadOptions",
    "add_reader_arguments",
    "check_canonical",
    "option_flag",
    "read_options_from_args",
    "read_report",
    "read_transactions",
    "reader_flags",
]

# names whose modules import pandas and pyarrow: loaded on first use
_LAZY = {
    "read_transactions": "crmlib.data.reader",
    "read_report": "crmlib.data.report",
    "BLANK_ID_TEXTS": "crmlib.data.ids",
    "DATE_FORMATS": "crmlib.data.dates",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'crmlib.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
