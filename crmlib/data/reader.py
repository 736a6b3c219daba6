r"""``read_transactions``: a short sequence of named steps from a source to the canonical frame.

Each step takes the :class:`Reading` so far and returns a new one (nothing is changed in place):
load the source, drop repeated header rows, clean the customer ids, read the amounts, leave out blank
customers (if asked), check the amounts, read the dates, group invoices, apply the returns policy, and
build the sorted frame with its read report.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.data.amounts import NumberResult, check_amounts, check_size, fast_numbers, parse_numbers, repair_report
from crmlib.data.columns import Column, arrow_column, column_of, repeated_header_rows
from crmlib.data.dates import check_range, fast_days, parse_dates
from crmlib.data.errors import DataError, DataWarning, render_text
from crmlib.data.excel import read_excel
from crmlib.data.frame import read_frame
from crmlib.data.ids import IdResult, blank_ids_error, check_id_length, check_raw_length, clean_ids, no_ids_error
from crmlib.data.line_items import group_invoices, line_amounts
from crmlib.data.options import ReadOptions, make_options
from crmlib.data.order import customer_day_order
from crmlib.data.parquet import read_parquet
from crmlib.data.paths import SUPPORTED, file_source
from crmlib.data.report import REPORT_KEY
from crmlib.data.returns import all_returns_error, apply_returns
from crmlib.data.rows import RowLocator, plural
from crmlib.data.text import read_text

__all__ = ["Reading", "canonical_frame", "load", "read_transactions"]


@dataclass(frozen=True)
class Reading:
    """The rows read so far: their columns, where they came from, and what the report will say.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["B", "A", "B"], "date": ["2024-01-02", "2024-01-05", "2024-01-01"],
    ...                        "amount": [10.0, 5.5, 3.0]})
    >>> reading = load(orders, ReadOptions())
    >>> kept = reading.keep(np.array([True, False, True])).noted("1 row left out", rows_left_out=1)
    >>> len(kept.cols["customer"]), kept.locator.number(int(kept.locator.source_positions([1])[0]))
    (2, 'index label 2')
    >>> kept.notes, kept.report
    (('1 row left out',), {'source': 'DataFrame', 'rows_read': 3, 'rows_left_out': 1})
    >>> arrays = {"codes": np.array([1, 1]), "days": np.array([19724, 19723]), "amounts": np.array([10, 3])}
    >>> done = dataclasses.replace(kept, **arrays)
    >>> [a.tolist() for a in done.arrays()]
    [[1, 1], [19724, 19723], [10, 3]]
    """

    options: ReadOptions
    cols: dict[str, Column]
    locator: RowLocator
    report: dict[str, Any]
    notes: tuple[str, ...] = ()
    ids: IdResult | None = None
    numbers: tuple[tuple[str, Any, NumberResult], ...] = ()
    codes: np.ndarray | None = None
    days: np.ndarray | None = None
    amounts: np.ndarray | None = None
    distinct: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows' customer codes, days and amounts (once the dates are read)."""
        if self.codes is None or self.days is None or self.amounts is None:
            raise RuntimeError("Reading.arrays: the rows are not complete yet")
        return self.codes, self.days, self.amounts

    def noted(self, *notes: str | None, **report: Any) -> Reading:
        """The same reading with ``notes`` added and ``report`` entries set."""
        return dataclasses.replace(
            self, notes=self.notes + tuple(n for n in notes if n), report={**self.report, **report}
        )

    def keep(self, mask: np.ndarray) -> Reading:
        """The rows where ``mask`` is True (columns, ids, numbers and row numbering alike)."""
        ids = self.ids
        if ids is not None:
            ids = IdResult(ids.codes[mask], ids.distinct, ids.blank[mask], ids.note)
        numbers = tuple(
            (kw, col, NumberResult(r.values[mask], r.bad[mask], r.blank[mask], r.repairs))
            for kw, col, r in self.numbers
        )
        return dataclasses.replace(
            self,
            cols={k: c.take(mask) for k, c in self.cols.items()},
            locator=self.locator.subset(np.flatnonzero(mask)),
            ids=ids,
            numbers=numbers,
            amounts=None if self.amounts is None else self.amounts[mask],
        )


# ----------------------------------------------------------------------------------------------
# The steps


def load(source: Any, options: ReadOptions) -> Reading:
    """Step 1: the wanted columns of the source, typed as stored or as text.

    Examples
    --------
    >>> orders = pd.DataFrame({"client": ["B", "A"], "date": ["2024-01-02", "2024-01-05"], "amount": [10.0, 5.5]})
    >>> reading = load(orders, ReadOptions(customer="client"))
    >>> sorted(reading.cols), reading.report
    (['amount', 'customer', 'date'], {'source': 'DataFrame', 'rows_read': 2})
    """
    wanted = options.columns()
    if isinstance(source, pd.DataFrame):
        raw, locator, info = read_frame(source, wanted)
    elif isinstance(source, (str, os.PathLike)):
        src = file_source(source)
        reader = {"text": read_text, "parquet": read_parquet, "excel": read_excel}[src.kind]
        raw, locator, info = reader(src, options, wanted)
        info = {"source": str(src.path), **info}
    else:
        raise DataError(
            f"read_transactions: source must be a file path or a pandas DataFrame; got {type(source).__name__}. "
            f"Supported files: {SUPPORTED}."
        )
    cols = {
        k: arrow_column(v) if isinstance(v, (pa.Array, pa.ChunkedArray)) else column_of(v, dates=k == "date")
        for k, v in raw.items()
    }
    for role, col in cols.items():  # the fast paths of dates and numbers run while the ids are read
        if role == "date" and not options.formats:
            col.prefetch(fast_days)
        elif role in ("amount", "quantity", "price"):
            col.prefetch(fast_numbers)
    notes = tuple(info.pop("notes", ()))
    if not info.get("preamble_lines"):
        info.pop("preamble_lines", None)
    report = {"source": info.pop("source"), **info, "rows_read": len(cols["customer"])}
    return Reading(options=options, cols=cols, locator=locator, report=report, notes=notes)


def drop_repeated_headers(r: Reading) -> Reading:
    """Step 2: header lines repeated inside the data (concatenated exports) are dropped and reported."""
    r = r.noted(duplicated_headers=0)
    ids = r.cols["customer"]
    if ids.arrow is not None and ids.longest_bytes() <= r.options.max_id_length:
        ids.sorted_codes()  # hashed now (step 3 needs it), so the header test runs on the distinct ids
    dup = repeated_header_rows(r.cols, r.options.columns())
    if dup is None:
        return r
    pos = np.flatnonzero(dup)
    note = f"{plural(len(pos), 'repeated header row')} inside the data dropped ({r.locator.rows(pos, bare=True)})"
    r = r.keep(~dup).noted(note, duplicated_headers=len(pos))
    if len(r.cols["customer"]) == 0:
        raise DataError(
            f"read_transactions: {r.locator.name} holds only header rows; there are no transactions to read."
        )
    return r


def clean_customer_ids(r: Reading) -> Reading:
    """Step 3: the id rule (spaces stripped, blanks found, decimal-written whole numbers repaired)."""
    check_raw_length(r.cols["customer"], r.locator, r.options.customer, r.options.max_id_length)
    ids = clean_ids(r.cols["customer"])
    check_id_length(ids, r.locator, r.options.customer, r.options.max_id_length)
    return dataclasses.replace(r, ids=ids).noted(ids.note)


def read_numbers(r: Reading) -> Reading:
    """Step 4: the amounts, or quantity x price for line items (checked in step 6)."""
    delimiter = r.report.get("delimiter")
    if r.options.line_items:
        q = parse_numbers(r.cols["quantity"], delimiter)
        p = parse_numbers(r.cols["price"], delimiter)
        checks = (("quantity", r.options.quantity, q), ("price", r.options.price, p))
        return dataclasses.replace(r, numbers=checks, amounts=line_amounts(q, p))
    a = parse_numbers(r.cols["amount"], delimiter)
    return dataclasses.replace(r, numbers=(("amount", r.options.amount, a),), amounts=a.values)


def drop_blank_customers(r: Reading) -> Reading:
    """Step 5: rows without a customer id are refused, or left out and reported (``blank_customers``)."""
    if r.ids is None or r.amounts is None:
        raise RuntimeError("drop_blank_customers: the ids and amounts are read first")
    blank = r.ids.blank
    if not blank.any():
        return r.noted(blank_customers_dropped=0)
    pos = np.flatnonzero(blank)
    if r.options.blank_policy == "raise":
        raise blank_ids_error(r.options.customer, pos, len(blank), r.locator)
    values = r.amounts
    revenue = np.where(np.isfinite(values) & (values > 0), values, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        total = revenue.sum()
        share = float(revenue[blank].sum() / total) if 0 < total < np.inf else 0.0
    note = (
        f"{plural(len(pos), 'row')} without a customer id left out ({share:.1%} of revenue; "
        f"first {r.locator.rows(pos, limit=3, bare=True)})"
    )
    r = r.keep(~blank).noted(note, blank_customers_dropped=len(pos), blank_customers_revenue_share=share)
    if len(r.cols["customer"]) == 0:
        raise no_ids_error(r.locator.name)
    return r


def check_numbers(r: Reading) -> Reading:
    """Step 6: empty cells and values that are not numbers are refused; repairs and implausible sizes reported."""
    notes: list[str] = []
    repaired = 0
    for kw, column, result in r.numbers:
        check_amounts(kw, column, result, r.cols[kw], r.locator)
        repaired += result.repairs.rows
        notes.extend(repair_report(kw, result.repairs))
    label = r.options.amount if not r.options.line_items else "quantity x price"
    if r.amounts is not None:
        check_size(r.amounts, label, r.locator, r.options.max_amount)
    return r.noted(*notes, repaired_amounts=repaired)


def read_dates(r: Reading) -> Reading:
    """Step 7: the date rule; days outside what a datetime can hold are refused."""
    result = parse_dates(r.cols["date"], r.locator, r.options.formats, r.options.date)
    check_range(result.days, r.locator, r.options.date)
    ids = r.ids
    if ids is None:
        raise RuntimeError("read_dates: the ids are read first")
    return dataclasses.replace(r, days=result.days, codes=ids.codes, distinct=ids.distinct).noted(
        *result.notes, dates=result.how
    )


def group_lines(r: Reading) -> Reading:
    """Step 8: with ``invoice``, the lines of an invoice become one purchase."""
    if not r.options.line_items:
        return r
    codes, days, amounts = r.arrays()
    r = r.noted(line_items=len(codes))
    if r.options.invoice is None:
        return r
    grouped = group_invoices(
        codes,
        days,
        amounts,
        clean_ids(r.cols["invoice"]),
        r.locator,
        r.options.invoice,
    )
    return dataclasses.replace(r, codes=grouped.codes, days=grouped.days, amounts=grouped.amounts).noted(
        invoices=grouped.invoices, cancellation_invoices=grouped.cancellations
    )


def apply_returns_policy(r: Reading) -> Reading:
    """Step 9: the returns policy (``returns``); a file of returns only leaves nothing to read."""
    word = "return invoice" if (r.options.line_items and r.options.invoice is not None) else "return row"
    out = apply_returns(r.options.returns, *r.arrays(), word)
    if len(out.codes) == 0:
        raise all_returns_error(r.locator.name, r.options.returns)
    return dataclasses.replace(r, codes=out.codes, days=out.days, amounts=out.amounts).noted(out.note, **out.report)


#: Rows from which the frame's columns are built in two threads at once.
_PARALLEL_ROWS = 1 << 16


def _is_sorted(values: pa.Array) -> bool:
    """True when the distinct texts are already in increasing byte order."""
    if len(values) < 2:
        return True
    return bool(pc.all(pc.less(values.slice(0, len(values) - 1), values.slice(1))).as_py())


def canonical_frame(codes: np.ndarray, distinct: pa.Array, days: np.ndarray, amounts: np.ndarray) -> pd.DataFrame:
    """The canonical frame sorted by customer id then day (stable: ties keep the file's order).

    ``codes``: per row, the position of its id in ``distinct`` (every row has one).

    Examples
    --------
    >>> days = np.array(["2024-01-02", "2024-01-05", "2024-01-01"], dtype="datetime64[D]").astype(np.int64)
    >>> canonical_frame(np.array([1, 0, 1]), pa.array(["A", "B"]), days, np.array([10.0, 5.5, 3.0]))
      customer_id       date  amount
    0           A 2024-01-05     5.5
    1           B 2024-01-01     3.0
    2           B 2024-01-02    10.0
    """
    return _sorted_frame(codes, distinct, days, amounts)[0]


def _sorted_frame(
    codes: np.ndarray, distinct: pa.Array, days: np.ndarray, amounts: np.ndarray
) -> tuple[pd.DataFrame, int]:
    """:func:`canonical_frame`, and the number of customers in it (every row has an id: codes >= 0)."""
    if not _is_sorted(distinct):  # ranks of the ids (the reader's ids arrive sorted unless the id rule changed some)
        order_u = pc.sort_indices(distinct).to_numpy(zero_copy_only=False)
        rank = np.empty(len(order_u), np.int64)
        rank[order_u] = np.arange(len(order_u))
        codes, distinct = rank[codes], distinct.take(pa.array(order_u))
    # the text of pandas' "str" dtype is Arrow's large_string: the ids are taken as such, not converted after
    text = distinct.cast(pa.large_string())
    with ThreadPoolExecutor(2 if len(codes) >= _PARALLEL_ROWS else 1) as pool:  # Arrow and numpy leave the GIL
        # the ids in order are each distinct id repeated by its count: taken while the rows are ordered
        early = pool.submit(_ids_in_order, codes, text)
        rows = customer_day_order(
            codes, days, len(distinct), amounts=amounts, pool=pool, keep_order=False, keep_codes=False
        )
        stamps = pool.submit(_stamps, rows.days)
        values = rows.amounts
        ids, customers = early.result()
        frame = pd.DataFrame(
            {
                "customer_id": pd.Series(pd.array(ids, dtype="str")),
                "date": stamps.result().view("datetime64[ns]"),
                "amount": values,
            },
            copy=False,
        )
    return frame, customers


def _ids_in_order(codes: np.ndarray, text: pa.Array) -> tuple[pa.Array, int]:
    """The ids sorted (each distinct id repeated by its count) and the number of customers (every code is >= 0)."""
    counts = np.bincount(codes, minlength=len(text))
    index_type = np.int32 if len(text) < 2**31 else np.int64
    sorted_codes = np.repeat(np.arange(len(counts), dtype=index_type), counts)
    return text.take(pa.array(sorted_codes)), int(np.count_nonzero(counts))


def _stamps(ordered_days: np.ndarray) -> np.ndarray:
    """Days (a fresh array, reused when int64) as nanoseconds since 1970-01-01."""
    stamps = ordered_days.astype(np.int64, copy=False)
    stamps *= np.int64(86_400_000_000_000)
    return stamps


def _day_text(day: int) -> str:
    """A day (days since 1970-01-01) as ``YYYY-MM-DD``."""
    return str(np.datetime64(day, "D"))


def finish(r: Reading) -> pd.DataFrame:
    """Step 10: the frame, with the read report (future dates noted) in its attributes."""
    codes, days, amounts = r.arrays()
    frame, customers = _sorted_frame(codes, r.distinct, days, amounts)
    today = np.datetime64(pd.Timestamp.now().normalize().date(), "D").astype(np.int64)
    future = int((days > today).sum())
    first, last = (int(days.min()), int(days.max())) if len(days) else (0, 0)
    note = None
    if future:
        note = (
            f"{plural(future, 'row')} dated after today (latest {_day_text(last)}) kept; check the date "
            "column and its format"
        )
    r = r.noted(
        note,
        zero_amounts=int(np.count_nonzero(amounts == 0)),
        future_dates=future,
        rows_kept=len(frame),
        customers=customers,
    )
    report = dict(r.report)
    report["first_date"] = _day_text(first)
    report["last_date"] = _day_text(last)
    report["notes"] = [render_text(n, "python") for n in r.notes]
    report["notes_cli"] = [render_text(n, "cli") for n in r.notes]
    frame.attrs[REPORT_KEY] = report
    return frame


# ----------------------------------------------------------------------------------------------
# The reader


def read_transactions(
    source: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    date_format: str | tuple[str, ...] | list[str] | None = None,
    quantity: str | None = None,
    price: str | None = None,
    invoice: str | None = None,
    returns: str = "net",
    blank_customers: str | None = None,
    sheet: str | int | tuple | list | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    max_expansion: float = 100.0,
    max_id_length: int = 200,
    max_cell_chars: int = 32_767,
    max_columns: int = 100_000,
    max_amount: float = 1e12,
    options: ReadOptions | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    r"""Read a transaction log (a file or a DataFrame) into the kit's canonical frame.

    Parameters
    ----------
    source : str, Path or DataFrame
        A file: delimited text (``.csv``, ``.csv.gz``, ``.tsv``, ``.txt``; the delimiter -- comma,
        semicolon, tab, pipe, or runs of spaces as in the original CDNOW files -- and the encoding --
        UTF-8 with or without BOM, UTF-16, else cp1252/Latin-1, decided over the whole file -- are
        recognised), ``.parquet``, or an Excel workbook (``.xlsx``; ``.xls`` needs ``xlrd``). Or a
        DataFrame. The source is only read: a file is never written, a DataFrame never changed. A path
        is a path, never a pattern. Only regular files are read (a pipe or a device is refused).
    customer, date, amount : str
        Names of the customer-id, date and amount columns in the source. Other columns are ignored.
    date_format : str or list of str, optional
        The format of the date texts in ``strftime`` codes (``"%d/%m/%Y"``), or several formats for a
        column that mixes them (each value is read with the first that fits; values that several read
        as different days are reported). By default it is recognised from the whole column (see Notes).
    quantity, price : str, optional
        Line-item exports: with both given, ``amount = quantity * price`` for each line and the
        ``amount`` column is not used.
    invoice : str, optional
        Line-item exports: group the lines of one invoice into one purchase (the customer, the
        invoice's first date, the summed amount). Cancellations -- invoices whose id starts with
        ``"C"``, with negative quantities -- then have a negative amount and are returns (below);
        they are counted in the report. Without ``invoice`` each line is a row and lines with a
        negative quantity are returns.
    returns : {"net", "drop", "keep"}
        What to do with returns (rows or invoices with a negative amount):

        * ``"net"`` (default): returns are kept as negative rows, so that
          :func:`crmlib.rfm.summarize` -- which adds up the amounts of a customer's day -- nets
          them against that day's purchases. A return on a day on which the customer bought
          nothing is moved to that customer's latest earlier purchase day (the purchase it most
          likely reverses), so it lowers that purchase and does not count as a purchase occasion
          of its own; a return with no earlier purchase in the data is dropped.
        * ``"drop"``: rows with a negative amount are removed (the cancelled purchases stay).
        * ``"keep"``: every row as it is, on its own date. A day with returns only then counts as
          a purchase occasion in :func:`crmlib.rfm.summarize`; use it to inspect returns.

        Counts and amounts of each case are reported. Rows with a zero amount are kept.
    blank_customers : {"raise", "drop"}, optional
        Rows with no customer id (empty, ``NaN``, ``NULL``, ``N/A``...; see ``BLANK_ID_TEXTS``):
        ``"raise"`` stops with a :class:`DataError` naming the rows; ``"drop"`` leaves them out and
        reports how many and their share of revenue. Default: ``"raise"``, except for line-item
        reads (``quantity``/``price`` given), whose exports always carry guest rows: ``"drop"``.
    sheet : str, int, list of them, or None
        Sheets of an Excel workbook (name, or position from 0; several are combined in order).
        Default: every sheet that has the named columns, one after the other (exports such as Online
        Retail II put one year per sheet); with ``invoice``, lines of an invoice already read from an
        earlier sheet are left out, since consecutive sheets may repeat the invoices around the cut.
    delimiter, encoding : str, optional
        Force the delimiter (one character, or ``"whitespace"``) or the text encoding of a text file.
    max_expansion, max_id_length, max_cell_chars, max_columns, max_amount : number
        Resource limits, each refused with a message saying how to raise it: a compressed file may
        expand to ``max_expansion`` times its size (100); ids are at most ``max_id_length``
        characters (200); a workbook cell holds at most ``max_cell_chars`` characters (32,767, Excel's
        own limit); at most ``max_columns`` columns are considered (100,000); an amount is at most
        ``max_amount`` in absolute value (1e12).
    options : ReadOptions, optional
        All of the above as one object; keywords given here (not at their default) override it.
    warn : bool
        Issue a :class:`DataWarning` summing up what was repaired or left out (the report is
        attached in any case).

    Returns
    -------
    DataFrame
        A new frame with exactly the columns ``customer_id`` (text: ``"00042"`` stays ``"00042"``;
        whole numbers stored as decimals, ``13085.0``, become ``"13085"``; spaces around ids are
        dropped), ``date`` (``datetime64[ns]``, the calendar day: times of day are dropped, a
        time-zone offset is ignored so the day is the local day written in the file) and ``amount``
        (float64), sorted by customer then date, with a fresh RangeIndex. Several rows of one customer
        on one day stay separate rows (:func:`crmlib.rfm.summarize` adds them up).
        ``frame.attrs["crmlib_read_report"]`` holds the read report (see :func:`read_report`).

    Raises
    ------
    DataError
        With one message naming the column, the first offending rows and the fix, when a column is
        missing (with the closest column name), dates cannot be read or are ambiguous, amounts are
        not numbers or implausibly large, customer ids are blank (unless dropped) or too long, the
        file is empty, not a table, missing, not a regular file, of an unsupported kind, or past a
        resource limit. ``error.render("cli")`` names the command-line flags instead of arguments.

    Notes
    -----
    *Amounts.* Plain numbers are read as they are. Amounts written with a currency sign or code
    (``"$1,234.50"``, ``"€12"``, ``"12.50 EUR"``), thousands separators, decimal commas
    (``"12,50"``, ``"1.234,50"``) or accounting parentheses (``"(12.50)"`` = -12.5) are repaired
    and counted in the report. The decimal separator is decided for the whole column.

    *Dates.* A text column is tried against ``DATE_FORMATS`` (ISO ``2024-01-31`` with or without a
    time, day-first ``31/01/2024``, ``31.01.2024``, ``31-01-2024``, month-first ``1/31/2024 12:05 PM``,
    ``31-Jan-2024``, ``YYYYMMDD``) and the format that reads every distinct value is used; day-first
    and month-first are told apart by the values above 12. A column that mixes formats is read when
    every value fits exactly one of them; otherwise the rows that do not are named, and all of them
    are listed in a file in the temporary folder. Numbers are read as ``YYYYMMDD`` (CDNOW) when they
    all look like it, else as spreadsheet serial days (days since 1899-12-30). Date cells of
    workbooks and Parquet timestamps are used as they are. Dates after today are kept and reported.

    *Line items.* With ``quantity`` and ``price``:

    .. math::

        \text{amount}_\ell = q_\ell \, p_\ell, \qquad
        \text{amount}_k = \sum_{\ell \in k} q_\ell \, p_\ell \quad \text{(invoice } k\text{, with } ``invoice``\text{)}

    This is the layout of the public Online Retail II data set (Chen, Sain and Guo, 2012).

    References
    ----------
    Chen, D., Sain, S. L. and Guo, K. (2012). Data mining for the online retail industry. *Journal of
    Database Marketing & Customer Strategy Management* 19(3), 197-208 (the Online Retail data set).
    Fader, P. S. and Hardie, B. G. S. (2001). Forecasting repeat sales at CDNOW. *Interfaces* 31(3),
    S94-S107 (the CDNOW log, dates as YYYYMMDD).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Customer": ["00042", "00042", "7", "7"],
    ...                     "Day": ["31/01/2024", "13/02/2024", "01/02/2024", "05/02/2024"],
    ...                     "Total": ["€12,50", "3", "20", "-2"]})
    >>> tx = read_transactions(raw, customer="Customer", date="Day", amount="Total", warn=False)
    >>> tx  # the return of customer 7 on 5 February nets against the purchase of 1 February
      customer_id       date  amount
    0       00042 2024-01-31    12.5
    1       00042 2024-02-13     3.0
    2           7 2024-02-01    20.0
    3           7 2024-02-01    -2.0
    >>> from crmlib.data import read_report
    >>> print(read_report(tx))  # doctest: +ELLIPSIS
    Read 4 rows from the DataFrame; kept 4 rows of 2 customers, 2024-01-31 to 2024-02-13.
    ...
    """
    opts = make_options(
        "read_transactions",
        options,
        customer=customer,
        date=date,
        amount=amount,
        date_format=date_format,
        quantity=quantity,
        price=price,
        invoice=invoice,
        returns=returns,
        blank_customers=blank_customers,
        sheet=sheet,
        delimiter=delimiter,
        encoding=encoding,
        max_expansion=max_expansion,
        max_id_length=max_id_length,
        max_cell_chars=max_cell_chars,
        max_columns=max_columns,
        max_amount=max_amount,
    )
    reading = load(source, opts)
    for step in (
        drop_repeated_headers,
        clean_customer_ids,
        read_numbers,
        drop_blank_customers,
        check_numbers,
        read_dates,
        group_lines,
        apply_returns_policy,
    ):
        reading = step(reading)
    # the raw columns and the rules' intermediate results are no longer needed: freed before the frame is built
    done = dataclasses.replace(reading, cols={}, ids=None, numbers=())
    del reading
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed memory a while: given back now
    frame = finish(done)
    report = frame.attrs[REPORT_KEY]
    if warn and report["notes"]:
        warnings.warn(
            f"read_transactions({report['source']}): " + "; ".join(report["notes"]) + ".", DataWarning, stacklevel=2
        )
    return frame
