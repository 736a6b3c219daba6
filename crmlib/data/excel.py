"""Excel workbooks: one sheet, several, or every sheet that holds the named columns, one after the other.

Cells are taken as they are (text stays text: "007"; date cells are datetimes) and every row keeps its
spreadsheet row number, so messages point at the right row even past blank rows or title rows above
the header (which are skipped and reported). Before a workbook is opened its archive is checked: a
password-protected workbook is named as such, and one that would expand past ``max_expansion`` times
its size, or that holds a text longer than ``max_cell_chars``, is refused before it fills the memory.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmlib.data.errors import DataError, Hint
from crmlib.data.names import has_columns, resolve_columns
from crmlib.data.options import ReadOptions
from crmlib.data.paths import FileSource
from crmlib.data.rows import RowLocator, plural

__all__ = ["check_archive", "read_excel"]

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_TEXT = re.compile(rb"<(/?)(?:\w+:)?t[ >/]")
Rows = Callable[[str], Iterator[tuple[int, tuple]]]


def _broken(name: str, exc: BaseException) -> DataError:
    return DataError(
        f"read_transactions: {name} cannot be read as an Excel workbook ({type(exc).__name__}: {str(exc)[:150]}). "
        "Check that it is a complete .xlsx file (open and save it again in Excel), or export it as CSV."
    )


def _ole_kind(src: FileSource) -> str | None:
    """For an OLE2 file: "encrypted" (a password-protected .xlsx) or "xls"; None for other files."""
    with open(src.path, "rb") as fh:
        start = fh.read(8)
        if start != _OLE:
            return None
        data = fh.read(1 << 22)
    return "encrypted" if _ENCRYPTED in data else "xls"


def _long_text(book: zipfile.ZipFile, member: str, limit: int) -> bool:
    """True if a text element (``<t>``) of ``member`` is longer than ``limit`` bytes (streamed, never held whole)."""
    open_at = None
    offset = 0
    tail = b""
    with book.open(member) as fh:
        while chunk := fh.read(1 << 20):
            data = tail + chunk
            base = offset - len(tail)
            for m in _TEXT.finditer(data):
                at = base + m.start()
                if m.group(1):
                    if open_at is not None and at - open_at > limit:
                        return True
                    open_at = None
                elif open_at is None:
                    open_at = at
            offset += len(chunk)
            tail = data[-16:]
            if open_at is not None and offset - open_at > limit:
                return True
    return False


def check_archive(src: FileSource, options: ReadOptions) -> None:
    """DataError for a workbook that is encrypted, or whose archive expands or holds texts past the limits.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     pd.DataFrame({"customer_id": ["A"], "amount": [10.0]}).to_excel(f"{folder}/orders.xlsx", index=False)
    ...     check_archive(file_source(f"{folder}/orders.xlsx"), ReadOptions())
    ...     with open(f"{folder}/notes.xlsx", "w", encoding="utf-8") as fh:
    ...         _ = fh.write("not a workbook")
    ...     check_archive(file_source(f"{folder}/notes.xlsx"), ReadOptions())
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: 'notes.xlsx' cannot be read as an Excel workbook (BadZipFile: ...
    """
    name = src.name
    kind = _ole_kind(src)
    if kind == "encrypted":
        raise DataError(
            f"read_transactions: {name} is password-protected (encrypted), so it cannot be read. Open it in Excel, "
            "remove the password (File > Info > Protect Workbook > Encrypt with Password, then clear it) and save "
            "it, or export the sheet as CSV."
        )
    if kind == "xls" and src.ext != ".xls":
        raise DataError(
            f"read_transactions: {name} is an old-style Excel workbook (.xls) with an .xlsx name. Rename it to "
            ".xls, or save it from Excel as .xlsx or .csv."
        )
    if src.ext == ".xls":
        return
    try:
        with zipfile.ZipFile(src.path) as book:
            expanded = sum(info.file_size for info in book.infolist())
            if expanded > max(src.size * options.max_expansion, 1 << 24):  # 16 MB expanded is harmless
                raise DataError(
                    f"read_transactions: {name} expands to {expanded / 1e6:,.0f} MB, more than "
                    f"{options.max_expansion:g} times its size ({src.size / 1e6:,.1f} MB), so it may be a compression "
                    f"bomb. If the workbook is genuine, pass {Hint('max_expansion', 10 * max(expanded / src.size, 1))}."
                )
            texts = [
                n
                for n in book.namelist()
                if n.lower().endswith("sharedstrings.xml")
                or (n.lower().startswith("xl/worksheets/") and n.lower().endswith(".xml"))
            ]
            limit = 6 * options.max_cell_chars + 64  # bytes of XML for that many characters, at most
            if any(_long_text(book, member, limit) for member in texts):
                raise DataError(
                    f"read_transactions: a cell of {name} holds a text longer than {options.max_cell_chars:,} "
                    f"characters (Excel's own limit is 32,767), so it is not read. If such cells are real, pass "
                    f"{Hint('max_cell_chars', options.max_cell_chars * 100)}; otherwise export the sheet as CSV."
                )
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _broken(name, exc) from None


def _workbook(src: FileSource) -> tuple[list[str], Rows]:
    """Sheet names and a function giving (row number, cells) of a sheet."""
    name = src.name
    if src.ext == ".xls":
        try:
            import xlrd  # noqa: F401
        except ImportError:
            raise DataError(
                f"read_transactions: {name} is an old-style .xls workbook, which needs the xlrd package "
                "(pip install xlrd). Or save it from Excel as .xlsx or .csv."
            ) from None
        try:
            sheets = pd.read_excel(src.path, sheet_name=None, header=None, dtype=object)
        except Exception as exc:  # xlrd raises its own errors on a broken workbook
            raise _broken(name, exc) from None

        def xls_rows(sheet_name: str) -> Iterator[tuple[int, tuple]]:
            frame = sheets[sheet_name]
            return ((i + 1, tuple(row)) for i, row in enumerate(frame.itertuples(index=False)))

        return list(sheets), xls_rows
    try:
        import openpyxl

        book = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
        names = list(book.sheetnames)
    except Exception as exc:  # openpyxl/zipfile raise many kinds of errors on a broken workbook
        raise _broken(name, exc) from None

    def xlsx_rows(sheet_name: str) -> Iterator[tuple[int, tuple]]:
        return enumerate(book[sheet_name].iter_rows(values_only=True), start=1)

    return names, xlsx_rows


def _chosen(sheet: Any, names: list[str], name: str) -> list[str] | None:
    """The sheets to read in order; None for every sheet that holds the columns."""
    if sheet is None:
        return None
    wanted = sheet if isinstance(sheet, tuple) else (sheet,)
    chosen = []
    for s in wanted:
        if isinstance(s, int) and 0 <= s < len(names):
            chosen.append(names[s])
        elif s in names:
            chosen.append(s)
        else:
            raise DataError(
                f"read_transactions: {name} has no sheet {s!r}. Sheets: {', '.join(map(repr, names))}; "
                f"pass {Hint('sheet', '<name>')}."
            )
    return chosen


def _blank(cells: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v) for v in cells)


def _header_of(cells: tuple) -> list[str]:
    return [
        v if isinstance(v, str) else (f"Unnamed: {j}" if v is None or v != v else str(v)) for j, v in enumerate(cells)
    ]


@dataclass
class _Sheet:
    name: str
    header: list[str] | None
    header_row: int
    data: dict[str, list]
    numbers: list[int]


def _read_sheet(
    sheet_name: str, rows: Iterator[tuple[int, tuple]], wanted: dict[str, str], name: str, max_columns: int
) -> _Sheet:
    """The header (the first non-blank row, or a later one that has the columns) and the wanted cells."""
    header, header_row, skipped = None, 0, 0
    for number, cells in rows:
        if _blank(cells):
            continue
        candidate = _header_of(cells[:max_columns])
        if header is None:
            header, header_row = candidate, number
        if has_columns(candidate, wanted):
            header, header_row = candidate, number
            break
        skipped += 1
        if skipped >= 30:
            break
    sheet = _Sheet(sheet_name, header, header_row, {k: [] for k in wanted}, [])
    if header is None or not has_columns(header, wanted):
        return sheet
    actual = resolve_columns(wanted, header, name)
    position = {k: header.index(c) for k, c in actual.items()}
    for number, cells in rows:
        if _blank(cells):
            continue
        sheet.numbers.append(number)
        for k, j in position.items():
            sheet.data[k].append(cells[j] if j < len(cells) else None)
    return sheet


def _without_repeated_invoices(sheets: list[_Sheet]) -> int:
    """Drop lines of invoices already read from an earlier sheet (yearly sheets overlap); the count dropped."""
    seen: set = set()
    overlap = 0
    for sheet in sheets:
        ids = pd.Series(sheet.data["invoice"], dtype=object).map(str)
        repeat = ids.isin(seen).to_numpy()
        seen.update(ids.unique())
        if repeat.any():
            overlap += int(repeat.sum())
            keep = ~repeat
            sheet.data = {k: [v for v, ok in zip(vals, keep) if ok] for k, vals in sheet.data.items()}
            sheet.numbers = [n for n, ok in zip(sheet.numbers, keep) if ok]
    return overlap


def read_excel(
    src: FileSource, options: ReadOptions, wanted: dict[str, str]
) -> tuple[dict[str, pd.Series], RowLocator, dict[str, Any]]:
    """The wanted columns of a workbook (object Series), the row locator, and what was read.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> orders = pd.DataFrame({"customer_id": ["A", "B"], "date": ["2024-01-02", "2024-01-05"], "amount": [10.0, 5.5]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     orders.to_excel(f"{folder}/orders.xlsx", index=False)
    ...     wanted = {"customer": "customer_id", "date": "date", "amount": "amount"}
    ...     columns, locator, info = read_excel(file_source(f"{folder}/orders.xlsx"), ReadOptions(), wanted)
    >>> columns["customer"].tolist(), info["sheets"]
    (['A', 'B'], ['Sheet1'])
    """
    name = src.name
    check_archive(src, options)
    names, sheet_rows = _workbook(src)
    chosen = _chosen(options.sheet, names, name)
    sheets: list[_Sheet] = []
    first: _Sheet | None = None
    for sheet_name in chosen if chosen is not None else names:
        try:
            sheet = _read_sheet(sheet_name, iter(sheet_rows(sheet_name)), wanted, name, options.max_columns)
        except DataError:
            raise
        except Exception as exc:  # a broken sheet inside the archive
            raise _broken(name, exc) from None
        first = first or sheet
        if sheet.header is None or not has_columns(sheet.header, wanted):
            if chosen is None and len(names) > 1:
                continue  # a sheet of notes or pivots: not part of the data
            if sheet.header is None:
                raise DataError(
                    f"read_transactions: the sheet {sheet_name!r} of {name} is empty. Export the transactions again."
                )
            resolve_columns(wanted, sheet.header, f"{name} (sheet {sheet_name!r})", quote=src.quote)
        sheets.append(sheet)
    if not sheets:  # no sheet has the columns: the message of the first sheet
        resolve_columns(
            wanted, (first.header if first else None) or [], f"{name} (sheet {names[0]!r})", quote=src.quote
        )
    overlap = _without_repeated_invoices(sheets) if "invoice" in wanted and len(sheets) > 1 else 0
    return _combined(sheets, src, overlap)


def _combined(
    sheets: list[_Sheet], src: FileSource, overlap: int
) -> tuple[dict[str, pd.Series], RowLocator, dict[str, Any]]:
    name = src.name
    columns = {k: pd.Series([v for s in sheets for v in s.data[k]], dtype=object) for k in sheets[0].data}
    if not len(next(iter(columns.values()))):
        raise DataError(f"read_transactions: the sheet {sheets[0].name!r} of {name} has a header but no data rows.")
    if len(sheets) == 1:
        locator = RowLocator(
            name,
            "excel",
            labels=np.asarray(sheets[0].numbers, dtype=np.int64),
            row_word="row",
            convention=f"spreadsheet row numbers of sheet {sheets[0].name!r}",
            quote=src.quote,
        )
    else:
        text = np.asarray([f"sheet {s.name!r} row {n}" for s in sheets for n in s.numbers], dtype=object)
        locator = RowLocator(
            name, "excel", labels=text, row_word="", convention="spreadsheet row numbers", quote=src.quote
        )
    notes = []
    preamble = sum(s.header_row - 1 for s in sheets)
    if preamble:
        notes.append(f"{plural(preamble, 'row')} above the header (a title or notes) skipped")
    if len(sheets) > 1:
        notes.append(f"sheets {', '.join(repr(s.name) for s in sheets)} read one after the other")
    if overlap:
        notes.append(
            f"{plural(overlap, 'line')} of invoices already read from an earlier sheet left out (the sheets overlap)"
        )
    info = {
        "format": "excel",
        "sheets": [s.name for s in sheets],
        "sheet_overlap_rows": overlap,
        "notes": notes,
        "preamble_lines": preamble,
    }
    return columns, locator, info
