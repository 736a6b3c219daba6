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
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported inside the functions: `import crmlib` stays fast
    import pandas as pd

CANONICAL_COLUMNS = ("customer_id", "date", "amount")

__all__ = [
    "CANONICAL_COLUMNS",
    "DataError",
    "DataWarning",
    "check_canonical",
    "read_transactions",
    "read_report",
    "RETURNS_POLICIES",
    "BLANK_ID_TEXTS",
    "DATE_FORMATS",
]


class DataError(ValueError):
    """The input data cannot be used as it is. The message names the problem and the fix."""


class DataWarning(UserWarning):
    """The input data was read, but something was repaired, left out or looks odd (see the message)."""


def check_canonical(transactions, func: str = "this function"):
    """Check that ``transactions`` is a canonical frame and return it (not a copy).

    Raises :class:`DataError` naming the missing columns and pointing to :func:`read_transactions`.
    """
    import pandas as pd

    if not isinstance(transactions, pd.DataFrame):
        raise DataError(
            f"{func} needs a DataFrame of transactions (columns customer_id, date, amount); "
            f"got {type(transactions).__name__}. Read a file with crmlib.data.read_transactions(path) first."
        )
    missing = [c for c in CANONICAL_COLUMNS if c not in transactions.columns]
    if missing:
        raise DataError(
            f"{func} needs the columns customer_id, date and amount; missing: {', '.join(missing)}. "
            f"Columns present: {', '.join(map(str, transactions.columns))}. "
            "Map your own column names with crmlib.data.read_transactions(frame, customer=..., date=..., amount=...)."
        )
    if not pd.api.types.is_datetime64_any_dtype(transactions["date"]):
        raise DataError(
            f"{func} needs the 'date' column as datetimes, but it holds {transactions['date'].dtype}. "
            "Read the data with crmlib.data.read_transactions, which parses dates."
        )
    return transactions


# ----------------------------------------------------------------------------------------------
# Policy (module-level defaults, documented in read_transactions)
# ----------------------------------------------------------------------------------------------

#: What ``returns=`` may be: see :func:`read_transactions`.
RETURNS_POLICIES = ("net", "drop", "keep")

#: Customer-id texts that count as blank (compared after stripping spaces, case-insensitive).
BLANK_ID_TEXTS = frozenset({"", "nan", "null", "none", "n/a", "#n/a", "na", "<na>"})

_DATE_PARTS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d",
    "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y",
    "%m/%d/%Y", "%m-%d-%Y",
    "%d/%m/%y", "%d.%m.%y", "%m/%d/%y",
    "%d-%b-%Y", "%d %b %Y", "%d-%b-%y", "%b %d %Y",
    "%Y%m%d",
)
_TIME_PARTS = (
    "", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", "T%H:%M", "T%H:%M:%S", "T%H:%M:%S.%f",
    " %I:%M %p", " %I:%M:%S %p",
)

#: Date formats recognised from a text column (every date form crossed with every time form).
DATE_FORMATS: tuple[str, ...] = tuple(d + t for d in _DATE_PARTS for t in _TIME_PARTS)

_ISO_START = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:$|[ T]\d)")
_TZ_DETECT = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_NS_FIRST_DAY = -106_751 + 1  # days since 1970 that datetime64[ns] can hold (1677-09-22 .. 2262-04-11)
_NS_LAST_DAY = 106_750 - 1
_SUPPORTED = ".csv, .csv.gz, .tsv, .txt (delimited text), .parquet, .xlsx, .xls"
_TZ_SUFFIX = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$")
_CURRENCY_SYMBOLS = "$€£¥₹₽₩₪₺¢₫₴₦฿"
_AMOUNT_RE = re.compile(
    r"^(?P<sign1>[-+]?)\s*"
    rf"(?P<pre>[A-Z]{{3}}|[A-Z]{{1,2}}\$|[{_CURRENCY_SYMBOLS}]|kr\.?)?\s*"
    r"(?P<sign2>[-+]?)\s*"
    r"(?P<num>\d[\d.,' \u00a0\u202f\u2009]*|[.,]\d+)\s*"
    rf"(?P<post>[A-Z]{{3}}|[{_CURRENCY_SYMBOLS}]|kr\.?|,-|\.-)?\s*"
    r"(?P<sign3>-?)$"
)
_POINT_DECIMAL = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?$|^\.\d+$")
_COMMA_DECIMAL = re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?$|^,\d+$")
_SHOW = 5  # offending rows shown in a message


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


class _Source:
    """Where the rows came from: how to name them and their rows in messages.

    Rows are addressed by their position in the current (possibly filtered) frame; ``original``
    maps them back to the position in the source. A CSV file's physical line numbers are worked
    out only when a message needs them: the usual ``position + 2`` unless blank lines or values
    spanning lines make the file longer than its rows, in which case the file is scanned once.
    """

    def __init__(self, name: str, kind: str, labels=None, offset: int = 0, row_word: str = "line", convention: str = ""):
        self.name = name
        self.kind = kind
        self.labels = labels  # index labels for a DataFrame
        self.offset = offset  # source position -> number shown
        self.row_word = row_word
        self.convention = convention
        self.original = None  # current position -> source position (None: the same)
        self.csv = None  # (path, encoding, delimiter, gz, n_rows) to find exact line numbers
        self._lines = None

    def _line_numbers(self):
        import numpy as np

        if self._lines is None:
            path, enc, delim, gz, n_rows, skip = self.csv
            opener = gzip.open if gz else open
            with opener(path, "rb") as fh:
                data = fh.read()
            n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            if n_lines == n_rows + 1 + skip:
                self._lines = False  # one line per row: position + offset
            else:
                text = data.decode(enc, errors="replace").lstrip("\ufeff")
                body = io.StringIO(text, newline="")
                for _ in range(skip):
                    body.readline()
                reader = csv.reader(body, delimiter=delim)
                starts, previous = [], skip
                for record in reader:
                    if record:  # blank lines are skipped, as the reader does
                        starts.append(previous + 1)
                    previous = skip + reader.line_num
                self._lines = np.asarray(starts[1:], dtype=np.int64)  # data records, header left out
        return self._lines

    def row(self, position: int) -> str:
        source_pos = int(self.original[position]) if self.original is not None else int(position)
        if self.labels is not None:
            label = self.labels[source_pos]
            if not self.row_word:  # labels that are already text, such as "sheet 'A' row 5"
                return str(label)
            return f"{self.row_word} {_short(label)!r}"
        if self.csv is not None:
            lines = self._line_numbers()
            if lines is not False and source_pos < len(lines):
                return f"{self.row_word} {int(lines[source_pos])}"
        return f"{self.row_word} {source_pos + self.offset}"

    def rows(self, positions, values=None, limit: int = _SHOW, bare: bool = False) -> str:
        import numpy as np

        positions = np.asarray(positions)
        shown = []
        for k, pos in enumerate(positions[:limit]):
            text = self.row(int(pos))
            if values is not None:
                text += f": {_short(values[k])!r}"
            shown.append(text)
        more = len(positions) - len(shown)
        out = ", ".join(shown)
        if more > 0:
            out += f" and {more} more"
        if self.convention and not bare:
            out += f" ({self.convention})"
        return out


def _short(value: Any, n: int = 40) -> Any:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, str) and len(value) > n:
        return value[: n - 3] + "..."
    return value


def _raise(message: str) -> None:
    raise DataError(message)


def _suggest(name: str, columns: Sequence[str]) -> str | None:
    texts = [str(c) for c in columns]
    lowered = {t.lower().replace(" ", "").replace("_", ""): t for t in texts}
    key = name.lower().replace(" ", "").replace("_", "")
    if key in lowered:
        return lowered[key]
    close = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.5)
    if close:
        return lowered[close[0]]
    close = difflib.get_close_matches(name, texts, n=1, cutoff=0.4)
    return close[0] if close else None


def _has_columns(columns: Sequence[Any], wanted: dict[str, str]) -> bool:
    names = {c.strip() for c in columns if isinstance(c, str)}
    return all(w in columns or w.strip() in names for w in wanted.values())


def _resolve_columns(wanted: dict[str, str], columns: Sequence[Any], source: _Source, single_column_hint: str = "") -> dict[str, Any]:
    """Map each keyword (customer, date, ...) to the actual column label; DataError if missing."""
    actual: dict[str, Any] = {}
    for keyword, name in wanted.items():
        if name in columns:
            actual[keyword] = name
            continue
        stripped = [c for c in columns if isinstance(c, str) and c.strip() == name.strip()]
        if len(stripped) == 1:
            actual[keyword] = stripped[0]
            continue
        present = ", ".join(repr(str(c)) for c in columns[:30]) + (" ..." if len(columns) > 30 else "")
        guess = _suggest(name, [c for c in columns if str(c) not in {str(v) for v in actual.values()}])
        what = {"customer": "customer-id", "date": "date", "amount": "amount", "quantity": "quantity",
                "price": "price", "invoice": "invoice"}[keyword]
        message = (
            f"read_transactions: the {what} column {name!r} is not in {source.name}. "
            f"Columns present: {present}. "
        )
        if guess is not None:
            message += f"Did you mean {guess!r}? Pass {keyword}={guess!r}."
        else:
            message += f"Name the {what} column with {keyword}='<column name>'."
        if keyword == "amount":
            message += " For line items (quantity and unit price), pass quantity=... and price=... instead."
        message += single_column_hint
        _raise(message)
    return actual


# ----------------------------------------------------------------------------------------------
# Loading the raw columns
# ----------------------------------------------------------------------------------------------


def _sniff_encoding(sample: bytes) -> str:
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still UTF-8
        if exc.start >= len(sample) - 4 and exc.reason == "unexpected end of data":
            return "utf-8"
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter (comma, semicolon, tab, pipe) that splits the header and the rows alike into most fields."""
    best, best_score = ",", (-1, -1)
    lines = [ln for ln in lines if ln.strip()][:50]
    if not lines:
        return ","
    for delim in (",", ";", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        header = counts[0]
        if header < 2:
            continue
        agree = sum(c == header for c in counts)
        score = (agree, header)
        if agree * 2 >= len(counts) and score > best_score:
            best, best_score = delim, score
    return best


def _is_binary(sample: bytes) -> str | None:
    if sample.startswith(b"PK\x03\x04"):
        return "a zip archive (an .xlsx workbook is one: rename it to .xlsx)"
    if sample.startswith(b"PAR1"):
        return "a Parquet file (rename it to .parquet)"
    if sample.startswith(b"\x1f\x8b"):
        return "gzip-compressed (rename it to .csv.gz)"
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel workbook (rename it to .xls)"
    if sample.startswith(b"%PDF"):
        return "a PDF document"
    if b"\x00" in sample[:8192]:
        return "binary (it contains NUL bytes)"
    return None


def _check_path(source) -> Path:
    path = Path(source).expanduser()
    if path.is_dir():
        _raise(
            f"read_transactions: {str(path)!r} is a folder, not a file. "
            f"Give the path of the transaction file inside it ({_SUPPORTED})."
        )
    if not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        hint = ""
        if parent.is_dir():
            near = difflib.get_close_matches(path.name, [p.name for p in parent.iterdir()][:2000], n=1, cutoff=0.6)
            if near:
                hint = f" Did you mean {str(parent / near[0])!r}?"
        _raise(
            f"read_transactions: there is no file {str(path)!r} (working folder: {os.getcwd()!r}).{hint} "
            "Check the path; relative paths start from the working folder (a notebook's own folder)."
        )
    return path


def _load(source, wanted: dict[str, str], sheet, delimiter, encoding):
    """Return (frame of the wanted columns as read, _Source, info dict)."""
    import pandas as pd

    info: dict[str, Any] = {}
    if isinstance(source, pd.DataFrame):
        src = _Source("the DataFrame", "frame", labels=source.index, row_word="index label")
        info["source"] = "DataFrame"
        columns = list(source.columns)
        actual = _resolve_columns(wanted, columns, src)
        frame = pd.DataFrame({k: source[c].reset_index(drop=True) for k, c in actual.items()})
        if len(frame) == 0:
            _raise("read_transactions: the DataFrame has no rows; there are no transactions to read.")
        return frame, src, info
    if not isinstance(source, (str, os.PathLike)):
        _raise(
            f"read_transactions: source must be a file path or a pandas DataFrame; got {type(source).__name__}. "
            f"Supported files: {_SUPPORTED}."
        )
    path = _check_path(source)
    info["source"] = str(path)
    name = repr(path.name)
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    ext = suffixes[-1] if suffixes else ""
    if path.stat().st_size == 0:
        _raise(f"read_transactions: the file {name} is empty (0 bytes). Export the transactions again.")
    if ext in (".csv", ".tsv", ".txt") or suffixes[-2:] in ([".csv", ".gz"], [".tsv", ".gz"], [".txt", ".gz"]):
        return _load_csv(path, wanted, delimiter, encoding, info, gz=ext == ".gz")
    if ext == ".parquet" or ext == ".pq":
        return _load_parquet(path, wanted, info)
    if ext in (".xlsx", ".xlsm", ".xls"):
        return _load_excel(path, wanted, sheet, info, ext)
    _raise(
        f"read_transactions: cannot read {name}: the extension {ext or '(none)'!r} is not supported. "
        f"Supported: {_SUPPORTED}. If it is a delimited text file, rename it to .csv."
    )


def _load_csv(path: Path, wanted, delimiter, encoding, info, *, gz: bool):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    name = repr(path.name)
    try:
        if gz:
            with gzip.open(path, "rb") as fh:
                head = fh.read(1 << 16)
        else:
            with open(path, "rb") as fh:
                head = fh.read(1 << 16)
    except (OSError, EOFError) as exc:
        _raise(f"read_transactions: cannot read {name}: {exc}. Check that the file is a complete {'gzip ' if gz else ''}text file.")
    kind = _is_binary(head)
    if kind:
        _raise(f"read_transactions: {name} is not a text table: it looks {kind}. Supported: {_SUPPORTED}.")
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        _raise(f"read_transactions: the file {name} is empty (only blank lines). Export the transactions again.")
    enc = encoding or _sniff_encoding(head)
    text = head.decode(enc, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if len(head) == (1 << 16) and len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut
    tsv = "\t" if path.suffixes and path.suffixes[0].lower() == ".tsv" else None
    delim = delimiter or tsv or _sniff_delimiter(lines)
    first = next((ln for ln in lines if ln.strip()), "")
    header = next(csv.reader([first], delimiter=delim))
    skip = 0
    if not _has_columns(header, wanted):
        # a title or notes above the header: find the header line among the first lines
        for k in range(1, min(len(lines), 50)):
            if not lines[k].strip():
                continue
            d = delimiter or tsv or _sniff_delimiter(lines[k:])
            row = next(csv.reader([lines[k]], delimiter=d))
            if _has_columns(row, wanted):
                skip, delim, header = k, d, row
                info["preamble_lines"] = k
                break
    convention = "line numbers of the file, header = line 1" if not skip else f"line numbers of the file, header = line {skip + 1}"
    src = _Source(name, "csv", offset=2 + skip, row_word="line", convention=convention)
    hint = ""
    if len(header) == 1:
        hint = (
            f" The file seems to have a single column {header[0]!r}: if its fields are separated by another "
            "character, pass delimiter=... (e.g. delimiter=';')."
        )
    actual = _resolve_columns(wanted, header, src, single_column_hint=hint)
    info.update(format="csv", encoding=enc, delimiter=delim)

    invalid: list = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    def read(enc_used: str, threads: bool):
        invalid.clear()
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=enc_used, use_threads=threads, block_size=1 << 24, skip_rows=skip),
            # values may span lines (quoted notes): safe at any block boundary
            parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(dict.fromkeys(actual.values())),
                column_types={c: pa.string() for c in actual.values()},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        try:
            table = read(enc, True)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if encoding is None and enc == "utf-8" and ("UTF8" in str(exc) or "utf-8" in str(exc) or isinstance(exc, UnicodeDecodeError)):
                enc = "cp1252"
                try:
                    table = read(enc, True)
                except (pa.ArrowInvalid, UnicodeDecodeError):
                    enc = "latin-1"
                    table = read(enc, True)
                info["encoding"] = enc
            else:
                raise
        if invalid:
            table = read(enc, False)  # once more, in order, to know the line numbers
    except (pa.ArrowException, UnicodeError, ValueError, OSError, EOFError) as exc:
        detail = str(exc).splitlines()[0][:200]
        _raise(
            f"read_transactions: cannot read {name} as a table with delimiter {delim!r}: {detail}. "
            "Check that the file is a complete delimited text export (quotes balanced), or pass delimiter=..."
        )
    if invalid:
        fields = len(header)
        shown = ", ".join(
            f"line {r.number}: {r.actual_columns} fields ({_short(r.text)!r})" if r.number else f"{_short(r.text)!r}"
            for r in invalid[:_SHOW]
        )
        more = f" and {len(invalid) - _SHOW} more" if len(invalid) > _SHOW else ""
        _raise(
            f"read_transactions: {_n(len(invalid), 'row')} of {name} {'does' if len(invalid) == 1 else 'do'} not have the {fields} fields of the header "
            f"(delimiter {delim!r}): {shown}{more} (line numbers of the file, header = line 1). "
            "Quote values that contain the delimiter, remove stray lines (totals, notes), or pass delimiter=..."
        )
    if table.num_rows == 0:
        _raise(f"read_transactions: {name} has a header but no data rows. Export the transactions again.")
    src.csv = (path, enc, delim, gz, table.num_rows, skip)
    frame = pd.DataFrame({k: table.column(c).to_pandas() for k, c in actual.items()})
    return frame, src, info


def _load_parquet(path: Path, wanted, info):
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = repr(path.name)
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        _raise(f"read_transactions: {name} cannot be read as a Parquet file ({str(exc)[:150]}). Check that it is a complete Parquet export.")
    src = _Source(name, "parquet", offset=1, row_word="row", convention="data rows counted from 1")
    actual = _resolve_columns(wanted, list(schema.names), src)
    try:
        table = pq.read_table(path, columns=list(dict.fromkeys(actual.values())))
    except (pa.ArrowException, OSError, ValueError) as exc:
        _raise(f"read_transactions: {name} cannot be read as a Parquet file ({str(exc)[:150]}).")
    if table.num_rows == 0:
        _raise(f"read_transactions: the Parquet file {name} has no rows; there are no transactions to read.")
    import pandas as pd

    frame = pd.DataFrame({k: table.column(c).to_pandas() for k, c in actual.items()})
    info["format"] = "parquet"
    return frame, src, info


def _load_excel(path: Path, wanted, sheet, info, ext):
    """Read one sheet, or (``sheet=None``) every sheet holding the wanted columns, one after the other.

    Cells are taken as they are (text stays text: "007"; dates are datetimes) and every row keeps
    its spreadsheet row number, so messages point at the right row even past blank rows or title
    rows above the header (which are skipped and reported).
    """
    import numpy as np
    import pandas as pd

    name = repr(path.name)

    def broken(exc):
        _raise(
            f"read_transactions: {name} cannot be read as an Excel workbook ({type(exc).__name__}: {str(exc)[:150]}). "
            "Check that it is a complete .xlsx file (open and save it again in Excel), or export it as CSV."
        )

    if ext == ".xls":
        try:
            import xlrd  # noqa: F401
        except ImportError:
            _raise(
                f"read_transactions: {name} is an old-style .xls workbook, which needs the xlrd package "
                "(pip install xlrd). Or save it from Excel as .xlsx or .csv."
            )
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        except Exception as exc:  # xlrd raises its own errors on a broken workbook
            broken(exc)
        names = list(sheets)

        def sheet_rows(sheet_name):
            frame = sheets[sheet_name]
            return ((i + 1, tuple(row)) for i, row in enumerate(frame.itertuples(index=False)))

    else:
        try:
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            names = list(book.sheetnames)
        except Exception as exc:  # openpyxl/zipfile raise many kinds of errors on a broken workbook
            broken(exc)

        def sheet_rows(sheet_name):
            return enumerate(book[sheet_name].iter_rows(values_only=True), start=1)

    if sheet is not None:
        if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
            chosen = [names[sheet]]
        elif sheet in names:
            chosen = [sheet]
        else:
            _raise(f"read_transactions: {name} has no sheet {sheet!r}. Sheets: {', '.join(map(repr, names))}; pass sheet=<name>.")
    else:
        chosen = names

    def blank(cells) -> bool:
        return all(v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v) for v in cells)

    def header_of(cells) -> list:
        return [v if isinstance(v, str) else (f"Unnamed: {j}" if v is None or v != v else str(v)) for j, v in enumerate(cells)]

    frames, labels, read_sheets, preamble = [], [], [], 0
    first_header = None
    for sheet_name in chosen:
        try:
            rows = iter(sheet_rows(sheet_name))
            header, header_row, skipped = None, None, 0
            for number, cells in rows:
                if blank(cells):
                    continue
                candidate = header_of(cells)
                if first_header is None:
                    first_header = candidate
                if header is None:
                    header, header_row = candidate, number  # the first non-blank row, unless a later one fits
                if _has_columns(candidate, wanted):
                    header, header_row = candidate, number
                    break
                skipped += 1
                if skipped >= 30:
                    break
            if header is None or not _has_columns(header, wanted):
                if sheet is None and len(chosen) > 1:
                    continue  # a sheet of notes or pivots: not part of the data
                if header is None:
                    _raise(f"read_transactions: the sheet {sheet_name!r} of {name} is empty. Export the transactions again.")
                src = _Source(f"{name} (sheet {sheet_name!r})", "excel")
                _resolve_columns(wanted, header or [], src)
            actual = _resolve_columns(wanted, header, _Source(name, "excel"))
            position = {k: header.index(c) for k, c in actual.items()}
            data, numbers = {k: [] for k in actual}, []
            for number, cells in rows:
                if blank(cells):
                    continue
                numbers.append(number)
                for k, j in position.items():
                    data[k].append(cells[j] if j < len(cells) else None)
        except DataError:
            raise
        except Exception as exc:  # a broken sheet inside the archive
            broken(exc)
        preamble += header_row - 1
        frames.append(pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()}))
        labels.append((sheet_name, np.asarray(numbers, dtype=np.int64)))
        read_sheets.append(sheet_name)
    if not frames:  # no sheet has the columns: the message of the first sheet
        _resolve_columns(wanted, first_header or [], _Source(f"{name} (sheet {names[0]!r})", "excel"))
    overlap = 0
    if "invoice" in wanted and len(frames) > 1:
        # consecutive yearly sheets of one export may repeat the invoices around the cut
        seen: set = set()
        for k, frame in enumerate(frames):
            ids = frame["invoice"].map(str)
            repeat = ids.isin(seen).to_numpy()
            seen.update(ids.unique())
            if repeat.any():
                overlap += int(repeat.sum())
                frames[k] = frame.loc[~repeat].reset_index(drop=True)
                labels[k] = (labels[k][0], labels[k][1][~repeat])
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(frame) == 0:
        _raise(f"read_transactions: the sheet {read_sheets[0]!r} of {name} has a header but no data rows.")
    if len(read_sheets) == 1:
        src = _Source(name, "excel", labels=labels[0][1], row_word="row",
                      convention=f"spreadsheet row numbers of sheet {read_sheets[0]!r}")
    else:
        text = np.concatenate([[f"sheet {s!r} row {n}" for n in nums] for s, nums in labels])
        src = _Source(name, "excel", labels=text, row_word="", convention="spreadsheet row numbers")
    info.update(format="excel", sheets=read_sheets, sheet_overlap_rows=overlap)
    if preamble:
        info["preamble_lines"] = preamble
    return frame, src, info


# ----------------------------------------------------------------------------------------------
# Columns: ids, numbers, dates. Text columns are factorized once (codes + distinct values), so the
# work is done on the distinct values only: a 5-million-row log has a few thousand distinct days.
# ----------------------------------------------------------------------------------------------


def _is_text(series) -> bool:
    import pandas as pd

    return pd.api.types.is_string_dtype(series) or series.dtype == object


class _Col:
    """One input column: a typed Series, or text as codes into distinct values (blank = "").

    Text read by pyarrow keeps its Arrow array, so plain numbers and ISO dates are converted in one
    vectorised cast; the codes are computed only when needed.
    """

    def __init__(self, series=None, codes=None, uniques=None, arrow=None):
        self.series = series
        self._codes = codes
        self._uniques = uniques
        self.arrow = arrow

    @property
    def text(self) -> bool:
        return self._codes is not None or self.arrow is not None

    def _encode(self) -> None:
        import numpy as np
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(self.arrow)
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        uniques = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        self._codes, self._uniques = _with_blank(codes, uniques)

    @property
    def codes(self):
        if self._codes is None and self.arrow is not None:
            self._encode()
        return self._codes

    @property
    def uniques(self):
        if self._codes is None and self.arrow is not None:
            self._encode()
        return self._uniques

    def __len__(self) -> int:
        if self.arrow is not None:
            return len(self.arrow)
        return len(self._codes) if self._codes is not None else len(self.series)

    def take(self, keep):
        import numpy as np
        import pyarrow as pa

        if self.arrow is not None and self._codes is None:
            return _Col(arrow=self.arrow.filter(pa.array(keep)))
        if self.text:
            codes = self.codes[keep]
            present = np.bincount(codes, minlength=len(self.uniques)) > 0
            remap = np.cumsum(present) - 1
            return _Col(codes=remap[codes], uniques=self.uniques[present])
        return _Col(series=self.series[keep].reset_index(drop=True))

    def equals(self, text: str):
        """Row mask: the value (spaces stripped) equals ``text``."""
        import numpy as np
        import pyarrow.compute as pc

        if self.arrow is not None and self._codes is None:
            return pc.equal(pc.utf8_trim_whitespace(self.arrow), text).fill_null(False).to_numpy(zero_copy_only=False)
        if self.text:
            return (_stripped(self.uniques) == text).to_numpy()[self.codes]
        return np.zeros(len(self), bool)

    def cast(self, arrow_type):
        """The Arrow array cast to ``arrow_type`` (numpy), or None if some value does not convert."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.arrow is None or len(self.arrow) == 0:
            return None
        try:
            out = pc.cast(self.arrow, arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if out.null_count:
            return None
        return out.to_numpy(zero_copy_only=False)

    def values(self, positions):
        """The values at ``positions`` as the user wrote them (for messages)."""
        import numpy as np

        if self.text:
            return self.uniques[self.codes[np.asarray(positions)]]
        return self.series.to_numpy()[np.asarray(positions)]


def _with_blank(codes, uniques):
    import numpy as np

    if (codes < 0).any():
        codes = np.where(codes < 0, len(uniques), codes)
        uniques = np.append(uniques, "")
    return codes, uniques


def _column(series, dates: bool = False) -> _Col:
    import numpy as np
    import pandas as pd

    if dates and series.dtype == object:
        # date cells of a workbook (datetime objects), dates of Parquet (datetime.date): typed, not text
        nonnull = series.dropna()
        if len(nonnull) and nonnull.map(lambda v: hasattr(v, "year") and hasattr(v, "month") and hasattr(v, "day")).all():
            try:
                naive = series.map(lambda v: pd.Timestamp(v).tz_localize(None) if getattr(v, "tzinfo", None) else v)
                return _Col(series=pd.Series(pd.to_datetime(naive).to_numpy()))
            except (ValueError, TypeError, OverflowError):  # out-of-range years: read as text, refused with their rows
                pass

    if isinstance(series.dtype, pd.CategoricalDtype):
        series = pd.Series(np.asarray(series, dtype=object), dtype=object)
    if not _is_text(series):
        return _Col(series=series.reset_index(drop=True))
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        import pyarrow as pa

        arr = pa.array(series.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return _Col(arrow=arr)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    uniques = np.array([u if isinstance(u, str) else str(u) for u in uniques], dtype=object)
    codes, uniques = _with_blank(codes.astype(np.int64), uniques)
    return _Col(codes=codes, uniques=uniques)


def _arrow_float():
    import pyarrow as pa

    return pa.float64()


def _arrow_timestamp():
    import pyarrow as pa

    return pa.timestamp("ns")


def _stripped(uniques):
    import pandas as pd

    return pd.Series(uniques, dtype=object).str.strip()


def _ids(col: _Col):
    """Customer ids as text: returns (codes, distinct ids, blank mask over rows, note)."""
    import numpy as np
    import pandas as pd

    note = None
    if col.text:
        u = _stripped(col.uniques)
        integral = u.str.fullmatch(r"\d+\.0+") if u.str.contains(".", regex=False).any() else pd.Series(False, index=u.index)
        plain = u.str.fullmatch(r"\d+") | u.str.lower().isin(BLANK_ID_TEXTS)
        if integral.any() and (integral | plain).all():
            u = u.where(~integral, u.str.replace(r"\.0+$", "", regex=True))
            note = "customer ids written as decimal numbers (such as 13085.0) were read as whole numbers ('13085')"
        codes = col.codes
    else:
        series = col.series
        if pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            finite = np.isfinite(values)
            if np.all(values[finite] == np.round(values[finite])) and np.all(np.abs(values[finite]) < 2**53):
                text = np.where(finite, np.round(np.nan_to_num(values)).astype(np.int64).astype(str), "")
                if finite.any():
                    note = "customer ids stored as decimal numbers (such as 13085.0) were read as whole numbers ('13085')"
            else:
                text = np.where(finite, values.astype(str), "")
        elif pd.api.types.is_integer_dtype(series):
            text = series.astype("Int64").astype(str).to_numpy(dtype=object)
        else:
            text = series.astype(str).to_numpy(dtype=object)
        codes, u = pd.factorize(pd.Series(text, dtype=object))
        u = _stripped(np.asarray(u, dtype=object))
    # distinct ids after stripping and repairs
    new_codes, distinct = pd.factorize(u.to_numpy(dtype=object))
    distinct = np.asarray(distinct, dtype=object)
    codes = new_codes[codes].astype(np.int64)
    blank_u = pd.Series(distinct, dtype=object).str.lower().isin(BLANK_ID_TEXTS).to_numpy()
    return codes, distinct, blank_u[codes], note


def _parse_numbers(col: _Col, delimiter: str | None):
    """Numbers from a column; repairs currency signs, thousands separators and decimal commas.

    Returns (float64 array, bad mask, blank mask, repair dict).
    """
    import numpy as np
    import pandas as pd

    repair: dict[str, Any] = {"rows": 0, "examples": [], "currencies": [], "decimal": "."}
    n = len(col)
    if not col.text:
        series = col.series
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            return np.full(n, np.nan), np.ones(n, bool), np.zeros(n, bool), repair
        values = series.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(values)
        return values, ~np.isfinite(values) & ~blank, blank, repair
    fast = col.cast(_arrow_float())
    if fast is not None and np.isfinite(fast).all():
        return fast.astype(np.float64), np.zeros(n, bool), np.zeros(n, bool), repair
    u = _stripped(col.uniques)
    u_blank = (u == "").to_numpy()
    has_comma = u.str.contains(",", regex=False).to_numpy()
    plain = pd.to_numeric(u.where(~u_blank, "nan"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    plain_ok = np.isfinite(plain) & ~has_comma
    values_u = np.where(plain_ok, plain, np.nan)
    bad_u = ~plain_ok & ~u_blank
    if bad_u.any():
        decimal = _decimal_separator(u[bad_u].to_numpy(), delimiter)
        repair["decimal"] = decimal
        strict = _COMMA_DECIMAL if decimal == "," else _POINT_DECIMAL
        # with decimal commas a plain "1.234" means 1234: every distinct value goes through the repair
        need = np.flatnonzero(~u_blank & (~plain_ok | (decimal == ",")))
        repaired = np.zeros(len(u), bool)
        currencies: set[str] = set()
        for i in need:
            value, currency = _repair_amount(u.iat[i], decimal, strict)
            if value is None:
                bad_u[i] = True
                values_u[i] = np.nan
                continue
            bad_u[i] = False
            if not plain_ok[i] or value != plain[i]:
                repaired[i] = True
            values_u[i] = value
            if currency:
                currencies.add(currency)
        repair["rows"] = int(repaired[col.codes].sum())
        repair["examples"] = [f"{u.iat[i]!r} -> {values_u[i]:g}" for i in np.flatnonzero(repaired)[:3]]
        repair["currencies"] = sorted(currencies)
    return values_u[col.codes], bad_u[col.codes], u_blank[col.codes], repair


def _decimal_separator(texts, delimiter: str | None) -> str:
    """',' or '.': which separator marks the decimals in this column's non-plain values."""
    comma_votes = point_votes = three_digit_commas = 0
    for t in texts[:5000]:
        t = str(t)
        c, p = t.rfind(","), t.rfind(".")
        if c >= 0 and p >= 0:
            if c > p:
                comma_votes += 1
            else:
                point_votes += 1
        elif c >= 0:
            if t.count(",") > 1:
                point_votes += 1  # 1,234,567
            elif re.search(r",\d{3}(?!\d)", t) is None:
                comma_votes += 1  # 12,5 or 12,50
            else:
                three_digit_commas += 1  # 1,234: either
        elif p >= 0 and t.count(".") > 1:
            comma_votes += 1  # 1.234.567
    if comma_votes > point_votes:
        return ","
    if comma_votes == point_votes == 0 and three_digit_commas and delimiter == ";":
        return ","
    return "."


def _repair_amount(text: str, decimal: str, strict) -> tuple[float | None, str | None]:
    negative = False
    s = text.strip()
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    m = _AMOUNT_RE.match(s)
    if m is None:
        return None, None
    signs = m.group("sign1") + m.group("sign2") + m.group("sign3")
    if len(signs) > 1 or (signs and negative):
        return None, None
    if m.group("pre") and m.group("post") and m.group("post") not in (",-", ".-"):
        return None, None
    num = re.sub(r"[' \u00a0\u202f\u2009]", "", m.group("num"))
    if not strict.match(num):
        return None, None
    num = num.replace(".", "").replace(",", ".") if decimal == "," else num.replace(",", "")
    try:
        value = float(num)
    except ValueError:
        return None, None
    if negative or signs == "-":
        value = -value
    currency = m.group("pre") or m.group("post")
    if currency in (",-", ".-"):
        currency = None
    return value, currency


def _format_parses(values, fmt: str):
    import pandas as pd

    return pd.to_datetime(pd.Series(values, dtype=object), format=fmt, errors="coerce")


def _empty_dates(positions, source: _Source, column: str) -> None:
    _raise(
        f"read_transactions: the date column {column!r} is empty in {_n(len(positions), 'row')}: "
        f"{source.rows(positions)}. Fill in the dates or remove those rows."
    )


def _parse_dates(col: _Col, source: _Source, date_format: str | None, column: str):
    """Days (datetime64[ns] at midnight) from any date column; returns (array, description)."""
    import numpy as np
    import pandas as pd

    if not col.text:
        series = col.series
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(series):
            values = series.to_numpy().astype("datetime64[D]")
            if np.isnat(values).any():
                _empty_dates(np.flatnonzero(np.isnat(values)), source, column)
            return values, "dates stored as date cells"
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            return _numeric_dates(series.to_numpy(dtype=float, na_value=np.nan), source, column)
        # anything else (booleans...) is read as text, and refused as such
        col = _column(series.map(lambda v: v if isinstance(v, str) else ("" if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) else str(v))))
    if date_format is None:
        fast = col.cast(_arrow_timestamp())
        if fast is not None:
            return fast.astype("datetime64[D]"), (
                "date format ISO 8601 (such as 2024-01-31 or 2024-01-31 14:05), recognised from the column"
            )
    u = _stripped(col.uniques)
    blank = (u == "").to_numpy()
    if blank[col.codes].any():
        _empty_dates(np.flatnonzero(blank[col.codes]), source, column)
    if u.str.contains(_TZ_DETECT, regex=True).any():
        u = u.str.replace(_TZ_SUFFIX, r"\1", regex=True)
    if date_format is not None:
        parsed = _format_parses(u, date_format)
        failed = parsed.isna().to_numpy() & ~blank
        if failed[col.codes].any():
            pos = np.flatnonzero(failed[col.codes])
            _raise(
                f"read_transactions: {_n(len(pos), 'value')} of the date column {column!r} {'does' if len(pos) == 1 else 'do'} not match "
                f"date_format={date_format!r}: {source.rows(pos, col.values(pos))}. "
                "Correct the format (codes as in Python's strftime, e.g. '%d/%m/%Y'), or those values."
            )
        return _as_days(parsed, col.codes), f"date format {date_format!r} (given)"
    used = ~blank
    if u[used].str.fullmatch(r"\d+(?:\.\d+)?").all():
        numbers = pd.to_numeric(u.where(used, "nan")).to_numpy(dtype=float)[col.codes]
        return _numeric_dates(numbers, source, column)
    fmt = _detect_format(u, col, source, column)
    parsed = _format_parses(u, fmt)
    shown = "ISO 8601 (such as 2024-01-31 or 2024-01-31 14:05)" if fmt == "ISO8601" else repr(fmt)
    return _as_days(parsed, col.codes), f"date format {shown}, recognised from the column"


def _as_days(parsed, codes):
    import numpy as np

    days = parsed.to_numpy().astype("datetime64[D]")
    return np.asarray(days)[codes]


def _numeric_dates(numbers, source, column):
    """YYYYMMDD integers (like CDNOW's) or spreadsheet serial day numbers."""
    import numpy as np
    import pandas as pd

    blank = np.isnan(numbers)
    if blank.any():
        _empty_dates(np.flatnonzero(blank), source, column)
    integral = bool(np.all(numbers == np.round(numbers)))
    if integral and numbers.min() >= 10000101 and numbers.max() <= 99991231:
        distinct, inverse = np.unique(numbers.astype(np.int64), return_inverse=True)
        parsed = pd.to_datetime(pd.Series(distinct.astype(str)), format="%Y%m%d", errors="coerce")
        failed = parsed.isna().to_numpy()[inverse.ravel()]
        if failed.any():
            pos = np.flatnonzero(failed)
            _raise(
                f"read_transactions: the date column {column!r} holds numbers like YYYYMMDD (20240131), but "
                f"{_n(len(pos), 'value')} {_are(len(pos))} not valid dates: {source.rows(pos, numbers[pos].astype(np.int64))}. "
                "Correct those values."
            )
        days = parsed.to_numpy().astype("datetime64[D]")[inverse.ravel()]
        return days, "dates written as YYYYMMDD numbers"
    if numbers.min() >= 1 and numbers.max() < 2958466:
        days = np.floor(numbers).astype(np.int64)
        values = np.datetime64("1899-12-30", "D") + days
        return values, "dates written as spreadsheet serial day numbers (days since 1899-12-30)"
    pos = np.flatnonzero((numbers < 1) | (numbers >= 2958466))
    if len(pos) == 0:
        pos = np.arange(min(len(numbers), _SHOW))
    _raise(
        f"read_transactions: the date column {column!r} holds numbers that are neither YYYYMMDD dates nor "
        f"spreadsheet day numbers: {source.rows(pos, numbers[pos])}. Check that date={column!r} names the date column."
    )


def _detect_format(u, col: _Col, source: _Source, column: str) -> str:
    """The one format that parses every distinct value; DataError if none, or if day/month is ambiguous."""
    import numpy as np
    from datetime import datetime

    used = u[u != ""]
    n = len(used)
    if used.str.match(_ISO_START).all() and _format_parses(used, "ISO8601").notna().all():
        return "ISO8601"
    sample_idx = np.unique(np.r_[np.arange(min(n, 300)), np.linspace(0, n - 1, min(n, 300)).astype(int)])
    sample = used.iloc[sample_idx]
    first = sample.iat[0]
    candidates = []
    for fmt in DATE_FORMATS:
        try:
            datetime.strptime(first, fmt)
        except ValueError:
            continue
        candidates.append(fmt)
    if not candidates:  # the first value may be the odd one: try every format on the sample
        candidates = list(DATE_FORMATS)
    scores = {fmt: int(_format_parses(sample, fmt).notna().sum()) for fmt in candidates}
    full = [fmt for fmt in candidates if scores[fmt] == len(sample)]
    results = {}
    for fmt in full:
        parsed = _format_parses(used, fmt)
        if parsed.notna().all():
            results[fmt] = parsed
    survivors = list(results)
    if len(survivors) == 1:
        return survivors[0]
    if len(survivors) > 1:
        distinct: list[str] = []
        for fmt in survivors:
            if not any(results[fmt].equals(results[g]) for g in distinct):
                distinct.append(fmt)
        if len(distinct) == 1:
            return distinct[0]
        a, b = distinct[0], distinct[1]
        _raise(
            f"read_transactions: the date column {column!r} cannot tell day from month: every value "
            f"(such as {used.iat[0]!r}) fits both {a!r} and {b!r}, since no day is above 12. "
            f"Say which with date_format={a!r} or date_format={b!r} "
            f"(on the command line: --date-format '{a}')."
        )
    # no format fits every value: the best one is the majority, the others are the offending rows
    if n > len(sample):
        scores.update({fmt: int(_format_parses(used, fmt).notna().sum()) for fmt in candidates if scores[fmt] > 0})
    best = max(candidates, key=lambda f: scores[f])
    if scores[best] == 0:
        pos = np.arange(min(len(col), _SHOW))
        _raise(
            f"read_transactions: the date column {column!r} does not hold dates in a form I know: "
            f"{source.rows(pos, col.values(pos))}. Check that date={column!r} names the date column; if it "
            "does, pass date_format= with the format of its values (e.g. date_format='%d/%m/%Y %H:%M')."
        )
    ok = _format_parses(u, best).notna().to_numpy()
    pos = np.flatnonzero(~ok[col.codes])
    _raise(
        f"read_transactions: the date column {column!r} mixes formats: most values fit {best!r} "
        f"(such as {u[ok].iat[0]!r}) but {_n(len(pos), 'row')} {'does' if len(pos) == 1 else 'do'} not: {source.rows(pos, col.values(pos))}. "
        f"Write those dates like the others, or pass date_format= (e.g. date_format={best!r}) "
        "to see every row that does not fit."
    )


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _n(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# ----------------------------------------------------------------------------------------------
# The reader
# ----------------------------------------------------------------------------------------------


def read_transactions(
    source,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    date_format: str | None = None,
    quantity: str | None = None,
    price: str | None = None,
    invoice: str | None = None,
    returns: str = "net",
    blank_customers: str | None = None,
    sheet: str | int | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    r"""Read a transaction log (a file or a DataFrame) into the kit's canonical frame.

    Parameters
    ----------
    source : str, Path or DataFrame
        A file: delimited text (``.csv``, ``.csv.gz``, ``.tsv``, ``.txt``; the delimiter -- comma,
        semicolon, tab or pipe -- and the encoding -- UTF-8 with or without BOM, else cp1252/Latin-1 --
        are recognised), ``.parquet``, or an Excel workbook (``.xlsx``; ``.xls`` needs ``xlrd``).
        Or a DataFrame. The source is only read: a file is never written, a DataFrame never changed.
    customer, date, amount : str
        Names of the customer-id, date and amount columns in the source. Other columns are ignored.
    date_format : str, optional
        The format of the date texts in ``strftime`` codes (``"%d/%m/%Y"``). By default it is
        recognised from the whole column (see Notes); give it when the column cannot tell day from
        month (every day number at most 12).
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
          of its own; a return with no earlier purchase in the data is dropped. Total revenue
          per customer is kept, except for those dropped returns.
        * ``"drop"``: rows with a negative amount are removed (the cancelled purchases stay).
        * ``"keep"``: every row as it is, on its own date. A day with returns only then counts as
          a purchase occasion in :func:`crmlib.rfm.summarize`; use it to inspect returns.

        Counts and amounts of each case are reported. Rows with a zero amount are kept.
    blank_customers : {"raise", "drop"}, optional
        Rows with no customer id (empty, ``NaN``, ``NULL``, ``N/A``...; see ``BLANK_ID_TEXTS``):
        ``"raise"`` stops with a :class:`DataError` naming the rows; ``"drop"`` leaves them out and
        reports how many and their share of revenue. Default: ``"raise"``, except for line-item
        reads (``quantity``/``price`` given), whose exports always carry guest rows: ``"drop"``.
    sheet : str, int or None
        Sheet of an Excel workbook (name, or position from 0). Default: every sheet that has the
        named columns, one after the other (exports such as Online Retail II put one year per
        sheet); with ``invoice``, lines of an invoice already read from an earlier sheet are left
        out, since consecutive sheets may repeat the invoices around the cut.
    delimiter, encoding : str, optional
        Force the delimiter or the text encoding of a delimited text file instead of recognising them.
    warn : bool
        Issue a :class:`DataWarning` summing up what was repaired or left out (the report is
        attached in any case).

    Returns
    -------
    DataFrame
        A new frame with exactly the columns ``customer_id`` (text: ``"00042"`` stays ``"00042"``;
        whole numbers stored as decimals, ``13085.0``, become ``"13085"``), ``date``
        (``datetime64[ns]``, the calendar day: times of day are dropped, a time-zone offset is
        ignored so the day is the local day written in the file) and ``amount`` (float64), sorted
        by customer then date, with a fresh RangeIndex. Several rows of one customer on one day stay
        separate rows (:func:`crmlib.rfm.summarize` adds them up). ``frame.attrs["crmlib_read_report"]``
        holds the read report (see :func:`read_report`).

    Raises
    ------
    DataError
        With one message naming the column, the first offending rows and the fix, when a column is
        missing (with the closest column name), dates cannot be read or are ambiguous, amounts are
        not numbers, customer ids are blank (unless dropped), the file is empty, not a table, missing
        or of an unsupported kind.

    Notes
    -----
    *Amounts.* Plain numbers are read as they are. Amounts written with a currency sign or code
    (``"$1,234.50"``, ``"€12"``, ``"12.50 EUR"``), thousands separators, decimal commas
    (``"12,50"``, ``"1.234,50"``) or accounting parentheses (``"(12.50)"`` = -12.5) are repaired
    and counted in the report. The decimal separator is decided for the whole column: the comma if
    values such as ``"12,50"`` or ``"1.234,50"`` show it (or, in a semicolon-delimited file, if
    every comma is followed by three digits), else the point. Values that are not numbers
    (``"abc"``, ``"n/a"``) are refused with their rows.

    *Dates.* A text column is tried against ``DATE_FORMATS`` (ISO ``2024-01-31`` with or without a
    time, day-first ``31/01/2024``, ``31.01.2024``, ``31-01-2024``, month-first ``1/31/2024 12:05 PM``,
    ``31-Jan-2024``, ``YYYYMMDD``) and the format that reads every distinct value is used; day-first
    and month-first are told apart by the values above 12. Numbers are read as ``YYYYMMDD``
    (CDNOW) when they all look like it, else as spreadsheet serial days (days since 1899-12-30).
    Date cells of workbooks and Parquet timestamps are used as they are. Dates after today are
    kept and reported.

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
    >>> print(read_report(tx))  # doctest: +ELLIPSIS
    Read 4 rows from the DataFrame; kept 4 rows of 2 customers, 2024-01-31 to 2024-02-13.
    ...
    """
    import numpy as np
    import pandas as pd

    from crmlib.params import check_choice, check_text

    func = "read_transactions"
    for value, pname in ((customer, "customer"), (date, "date")):
        check_text(value, pname, func=func)
    line_items = quantity is not None or price is not None
    if line_items:
        if quantity is None or price is None:
            from crmlib.params import ParameterError

            raise ParameterError(
                "read_transactions needs both quantity= and price= for line items (amount = quantity * price); "
                f"got quantity={quantity!r} and price={price!r}."
            )
        check_text(quantity, "quantity", func=func)
        check_text(price, "price", func=func)
    else:
        check_text(amount, "amount", func=func)
    if invoice is not None:
        check_text(invoice, "invoice", func=func)
    if date_format is not None:
        check_text(date_format, "date_format", func=func)
    check_choice(returns, "returns", RETURNS_POLICIES, func=func)
    if blank_customers is None:
        blank_customers = "drop" if line_items else "raise"
    check_choice(blank_customers, "blank_customers", ("raise", "drop"), func=func)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        from crmlib.params import ParameterError

        raise ParameterError(f"The 'delimiter' parameter of read_transactions must be one character such as ';'. Got {delimiter!r} instead.")

    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            from crmlib.params import ParameterError

            raise ParameterError(
                f"The 'encoding' parameter of read_transactions must be a text encoding such as 'utf-8' or 'cp1252'. "
                f"Got {encoding!r} instead."
            ) from None

    wanted = {"customer": customer, "date": date}
    if line_items:
        wanted.update(quantity=quantity, price=price)
    else:
        wanted["amount"] = amount
    if invoice is not None:
        wanted["invoice"] = invoice
    raw, src, info = _load(source, wanted, sheet, delimiter, encoding)
    report: dict[str, Any] = {"source": info.get("source", "DataFrame"), **{k: v for k, v in info.items() if k != "source"}}
    report["rows_read"] = int(len(raw))
    notes: list[str] = []
    if info.get("preamble_lines"):
        word = "row" if info.get("format") == "excel" else "line"
        notes.append(f"{_n(info['preamble_lines'], word)} above the header (a title or notes) skipped")
    if len(info.get("sheets", ())) > 1:
        notes.append(f"sheets {', '.join(map(repr, info['sheets']))} read one after the other")
    if info.get("sheet_overlap_rows"):
        notes.append(
            f"{_n(info['sheet_overlap_rows'], 'line')} of invoices already read from an earlier sheet left out "
            "(the sheets overlap)"
        )
    cols = {k: _column(raw[k], dates=k == "date") for k in wanted}
    del raw

    def subset(keep):
        nonlocal src
        for k in cols:
            cols[k] = cols[k].take(keep)
        src = _subset(src, np.flatnonzero(keep))

    # header lines repeated inside the data (concatenated exports)
    report["duplicated_headers"] = 0
    if all(c.text for c in cols.values()):
        dup = cols["customer"].equals(str(customer).strip())
        for k, c in cols.items():
            if dup.any() and k != "customer":
                dup &= c.equals(str(wanted[k]).strip())
        if dup.any():
            pos = np.flatnonzero(dup)
            report["duplicated_headers"] = int(len(pos))
            notes.append(f"{_n(len(pos), 'repeated header row')} inside the data dropped ({src.rows(pos, bare=True)})")
            subset(~dup)
            if len(cols["customer"]) == 0:
                _raise(f"read_transactions: {src.name} holds only header rows; there are no transactions to read.")

    id_codes, id_uniques, blank, id_note = _ids(cols["customer"])
    if id_note:
        notes.append(id_note)
    if line_items:
        q, q_bad, q_blank, q_rep = _parse_numbers(cols["quantity"], info.get("delimiter"))
        p, p_bad, p_blank, p_rep = _parse_numbers(cols["price"], info.get("delimiter"))
        with np.errstate(invalid="ignore"):
            values = q * p
        checks = [(quantity, "quantity", q_bad, q_blank, q_rep), (price, "price", p_bad, p_blank, p_rep)]
    else:
        a, a_bad, a_blank, a_rep = _parse_numbers(cols["amount"], info.get("delimiter"))
        values = a
        checks = [(amount, "amount", a_bad, a_blank, a_rep)]

    report["blank_customers_dropped"] = 0
    if blank.any():
        pos = np.flatnonzero(blank)
        if blank_customers == "raise":
            _raise(
                f"read_transactions: the customer-id column {customer!r} is blank in {len(pos)} of {len(blank)} rows: "
                f"{src.rows(pos)}. Fill in the ids, or pass blank_customers='drop' to leave those rows out "
                "(they are counted in the report)."
            )
        revenue = np.where(np.isfinite(values) & (values > 0), values, 0.0)
        total = revenue.sum()
        share = float(revenue[blank].sum() / total) if total > 0 else 0.0
        report["blank_customers_dropped"] = int(len(pos))
        report["blank_customers_revenue_share"] = share
        notes.append(
            f"{_n(len(pos), 'row')} without a customer id left out ({share:.1%} of revenue; "
            f"first {src.rows(pos, limit=3, bare=True)})"
        )
        keep = ~blank
        id_codes, values = id_codes[keep], values[keep]
        checks = [(c, kw, bad[keep], bl[keep], rep) for c, kw, bad, bl, rep in checks]
        subset(keep)
        if len(id_codes) == 0:
            _raise(f"read_transactions: every row of {src.name} is without a customer id; there are no transactions to read.")

    report["repaired_amounts"] = 0
    for col_name, kw, bad, bl, rep in checks:
        if bl.any():
            pos = np.flatnonzero(bl)
            _raise(
                f"read_transactions: the {kw} column {col_name!r} is empty in {_n(len(pos), 'row')}: {src.rows(pos)}. "
                "Fill in those values or remove the rows."
            )
        if bad.any():
            pos = np.flatnonzero(bad)
            numeric = int(len(bad) - bad.sum())
            mixed = ", mixed in with numbers" if numeric else ""
            _raise(
                f"read_transactions: the {kw} column {col_name!r} holds {_n(len(pos), 'value')} that {_are(len(pos))} not {'a number' if len(pos) == 1 else 'numbers'}{mixed}: "
                f"{src.rows(pos, cols[kw].values(pos))}. Correct or remove those rows"
                + (f", or check that {kw}={col_name!r} names the {kw} column." if not numeric else ".")
            )
        if rep["rows"]:
            report["repaired_amounts"] += rep["rows"]
            how = "decimal commas, currency signs or separators" if rep["decimal"] == "," else "currency signs or separators"
            cur = f" (currency marks: {', '.join(rep['currencies'])})" if rep["currencies"] else ""
            notes.append(
                f"{_n(rep['rows'], kw + ' value')} written with {how} read as numbers{cur}, e.g. {'; '.join(rep['examples'])}"
            )
            if len(rep["currencies"]) > 1:
                notes.append(f"the {kw} column mixes currencies ({', '.join(rep['currencies'])}); the amounts are added as they are")

    dates, how = _parse_dates(cols["date"], src, date_format, date)
    report["dates"] = how
    day = dates.astype("datetime64[D]").astype(np.int64)
    outside = (day < _NS_FIRST_DAY) | (day > _NS_LAST_DAY)
    if outside.any():
        pos = np.flatnonzero(outside)
        _raise(
            f"read_transactions: the date column {date!r} holds {_n(len(pos), 'date')} outside the years 1678 to 2261: "
            f"{src.rows(pos, [str(d) for d in dates[pos[:_SHOW]].astype('datetime64[D]')])}. "
            "Correct those values (a year written with two digits, such as 0024?), or pass date_format= if the "
            "dates were read with the wrong format."
        )

    if line_items:
        report["line_items"] = int(len(id_codes))
        if invoice is not None:
            inv_codes, inv_uniques, inv_blank, _ = _ids(cols["invoice"])
            if inv_blank.any():
                pos = np.flatnonzero(inv_blank)
                _raise(
                    f"read_transactions: the invoice column {invoice!r} is blank in {_n(len(pos), 'row')}: {src.rows(pos)}. "
                    "Fill in the invoice ids, or read without invoice= (one row per line)."
                )
            key = id_codes * np.int64(len(inv_uniques)) + inv_codes
            group_keys, inverse = np.unique(key, return_inverse=True)
            inverse = inverse.ravel()
            day_min = np.full(len(group_keys), np.iinfo(np.int64).max)
            np.minimum.at(day_min, inverse, day)
            values = np.bincount(inverse, weights=values, minlength=len(group_keys))
            id_codes = group_keys // len(inv_uniques)
            is_c = pd.Series(inv_uniques, dtype=object).str.upper().str.startswith("C").to_numpy(dtype=bool)
            cancel = is_c[group_keys % len(inv_uniques)]
            day = day_min
            report["invoices"] = int(len(group_keys))
            report["cancellation_invoices"] = int(cancel.sum())

    negative = values < 0
    report["returns"] = int(negative.sum())
    report["returns_amount"] = float(values[negative].sum())
    report["returns_policy"] = returns
    report["returns_dropped"] = 0
    report["returns_moved"] = 0
    if negative.any():
        word = "return invoice" if (line_items and invoice is not None) else "return row"
        total_text = f"{_n(int(negative.sum()), word)} (negative amounts, total {report['returns_amount']:,.2f})"
        if returns == "drop":
            keep = ~negative
            id_codes, day, values = id_codes[keep], day[keep], values[keep]
            report["returns_dropped"] = int(negative.sum())
            notes.append(f"{total_text} dropped (returns='drop')")
        elif returns == "net":
            id_codes, day, values, moved, dropped = _net_returns(id_codes, day, values)
            report["returns_moved"] = moved
            report["returns_dropped"] = dropped
            notes.append(
                f"{total_text} netted against purchases (returns='net'): {int(negative.sum()) - moved - dropped} on a "
                f"purchase day of the customer, {moved} moved to the customer's previous purchase day, {dropped} "
                "dropped for want of an earlier purchase"
            )
        else:
            notes.append(
                f"{total_text} kept on their own dates (returns='keep'); a day with returns only counts as a "
                "purchase day in summarize"
            )

    if len(id_codes) == 0:
        _raise(
            f"read_transactions: every row of {src.name} is a return (negative amount) with no purchase to net it "
            f"against, so no purchases remain (returns={returns!r}). Pass returns='keep' to read the rows as they are."
        )
    frame = _sorted(id_codes, id_uniques, day, values)
    report["zero_amounts"] = int((frame["amount"].to_numpy() == 0).sum())
    today = np.datetime64(pd.Timestamp.now().normalize().date(), "D").astype(np.int64)
    future = day > today
    report["future_dates"] = int(future.sum())
    if future.any():
        notes.append(
            f"{_n(int(future.sum()), 'row')} dated after today (latest {frame['date'].max().date()}) kept; "
            "check the date column and its format"
        )
    report["rows_kept"] = int(len(frame))
    report["customers"] = int((np.bincount(id_codes, minlength=len(id_uniques)) > 0).sum()) if len(id_codes) else 0
    if len(frame):
        report["first_date"] = str(frame["date"].min().date())
        report["last_date"] = str(frame["date"].max().date())
    report["notes"] = notes
    frame.attrs["crmlib_read_report"] = report
    if warn and notes:
        warnings.warn(f"read_transactions({report['source']}): " + "; ".join(notes) + ".", DataWarning, stacklevel=2)
    return frame


def _subset(src: _Source, positions) -> _Source:
    """The same source, for the rows at ``positions`` of the current row numbering."""
    import copy

    import numpy as np

    new = copy.copy(src)
    positions = np.asarray(positions)
    new.original = src.original[positions] if src.original is not None else positions
    return new


def _net_returns(codes, day, amount):
    """Move returns on days without a purchase to the customer's previous purchase day; drop those without one."""
    import numpy as np

    negative = amount < 0
    dmin = int(day.min())
    span = int(day.max()) - dmin + 2
    key = codes.astype(np.int64) * span + (day - dmin)
    buy_keys = np.unique(key[~negative])
    ret = np.flatnonzero(negative)
    lone = ret[~np.isin(key[ret], buy_keys)]
    if len(lone) == 0:
        return codes, day, amount, 0, 0
    idx = np.searchsorted(buy_keys, key[lone], side="left") - 1
    if len(buy_keys):
        prev = buy_keys[np.maximum(idx, 0)]
        has_prev = (idx >= 0) & (prev // span == codes[lone])
    else:
        prev, has_prev = idx, np.zeros(len(lone), bool)
    day = day.copy()
    day[lone[has_prev]] = prev[has_prev] % span + dmin
    keep = np.ones(len(day), bool)
    keep[lone[~has_prev]] = False
    return codes[keep], day[keep], amount[keep], int(has_prev.sum()), int((~has_prev).sum())


def _sorted(codes, uniques, day, amount):
    """The canonical frame sorted by customer id then day (stable: ties keep the file's order)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    order_u = np.argsort(np.asarray(uniques, dtype=str), kind="stable")
    rank = np.empty(len(order_u), np.int64)
    rank[order_u] = np.arange(len(order_u))
    r = rank[codes]
    if len(day):
        key = r * (int(day.max()) - int(day.min()) + 1) + (day - int(day.min()))
    else:
        key = r
    order = np.argsort(key, kind="stable")
    ids = pa.array(np.asarray(uniques, dtype=object)[order_u], type=pa.string()).take(pa.array(r[order]))
    return pd.DataFrame(
        {
            "customer_id": pd.Series(pd.array(ids, dtype="str")),
            "date": (day[order] * np.int64(86_400_000_000_000)).view("datetime64[ns]"),
            "amount": np.asarray(amount, dtype=np.float64)[order],
        }
    )


def read_report(frame_or_report: pd.DataFrame | dict) -> str:
    """The read report of :func:`read_transactions` in a few lines, for notebooks and the command line.

    Parameters
    ----------
    frame_or_report : DataFrame or dict
        A frame returned by :func:`read_transactions` (its ``attrs["crmlib_read_report"]``) or the
        report dictionary itself.

    Returns
    -------
    str
        One line on what was read and kept, then one line per repair or left-out group.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = read_transactions(pd.DataFrame({"customer_id": ["a", "a"], "date": ["2024-01-02", "2024-01-05"],
    ...                                       "amount": [10, -4]}), returns="drop", warn=False)
    >>> print(read_report(tx))
    Read 2 rows from the DataFrame; kept 1 row of 1 customer, 2024-01-02 to 2024-01-02.
    Dates: date format ISO 8601 (such as 2024-01-31 or 2024-01-31 14:05), recognised from the column.
    - 1 return row (negative amounts, total -4.00) dropped (returns='drop').
    """
    report = frame_or_report
    if not isinstance(report, dict):
        report = getattr(frame_or_report, "attrs", {}).get("crmlib_read_report")
        if report is None:
            raise DataError(
                "read_report needs a frame returned by crmlib.data.read_transactions (it carries the read report "
                "in attrs['crmlib_read_report']); this one has none: it was built or changed by other code."
            )
    source = "the DataFrame" if report.get("source") == "DataFrame" else repr(report.get("source"))
    span = f", {report['first_date']} to {report['last_date']}" if report.get("first_date") else ""
    what = f"{report.get('line_items')} line items into {report.get('invoices')} invoices, " if report.get("invoices") else ""
    lines = [
        f"Read {_n(report.get('rows_read', 0), 'row')} from {source}; {what}kept {_n(report.get('rows_kept', 0), 'row')} "
        f"of {_n(report.get('customers', 0), 'customer')}{span}."
    ]
    detail = []
    if report.get("format") == "csv":
        detail.append(f"text encoded {report.get('encoding')}, delimiter {report.get('delimiter')!r}")
    if report.get("dates"):
        detail.append(report["dates"])
    if detail:
        lines.append("Dates: " + detail[-1] + "." if len(detail) == 1 else f"File: {detail[0]}. Dates: {detail[1]}.")
    lines.extend(f"- {note}." for note in report.get("notes", []))
    return "\n".join(lines)
