"""Delimited text files (CSV, TSV, ``.txt``, gzip-compressed): the layout, then the columns as text.

The layout of a file is recognised from its first lines (:func:`sniff_layout`): the encoding (a
byte-order mark, UTF-16, UTF-8, else decided over the whole file), the delimiter (comma, semicolon,
tab, pipe, or runs of spaces as in the original CDNOW files), title lines above the header, and the
header itself (the CDNOW files have none: their columns are known). :func:`read_text` then reads the
wanted columns as text with pyarrow, and :func:`text_batches` streams them for
:func:`crmlib.scale.summarize_file`: both read the file the same way.
"""

from __future__ import annotations

import csv
import io
import mmap
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from crmlib.data.columns import Column, repeated_header_rows
from crmlib.data.errors import DataError, Hint
from crmlib.data.names import has_columns, resolve_columns
from crmlib.data.options import WHITESPACE, ReadOptions
from crmlib.data.paths import SUPPORTED, FileSource
from crmlib.data.rows import SHOW, RowLocator, plural, short
from crmlib.data.streams import (
    ExpansionLimit,
    PerLineDecoder,
    Transcoder,
    WhitespaceFields,
    classify_encoding,
    open_bytes,
    read_head,
    whitespace_lines,
)

__all__ = [
    "CDNOW_COLUMNS",
    "TextLayout",
    "drop_header_rows",
    "expansion_error",
    "header_hint",
    "invalid_rows_error",
    "is_utf8_error",
    "line_ends_in_quotes",
    "locator_of",
    "open_text",
    "read_text",
    "reclassify",
    "sniff_layout",
]

#: Column names given to the original CDNOW files, which have no header: 4 fields (the master file)
#: or 5 (the sample file, which adds the customer's id in the master file).
CDNOW_COLUMNS = {4: ["customer_id", "date", "cds", "amount"], 5: ["customer_id", "master_id", "date", "cds", "amount"]}
_CDNOW_ROW = {4: re.compile(r"^\d+,\d{8},\d+,-?\d+(\.\d+)?$"), 5: re.compile(r"^\d+,\d+,\d{8},\d+,-?\d+(\.\d+)?$")}
_BLOCK = 1 << 24


@dataclass
class TextLayout:
    """How a text file is laid out, as recognised from its first lines."""

    encoding: str
    delimiter: str
    skip: int
    header: list[str]
    has_header: bool = True
    notes: list[str] = field(default_factory=list)
    mixed_fallback: str = ""

    @property
    def parse_delimiter(self) -> str:
        """The delimiter pyarrow sees (runs of spaces become commas on the way)."""
        return "," if self.delimiter == WHITESPACE else self.delimiter


# ----------------------------------------------------------------------------------------------
# The first lines


def _binary_kind(sample: bytes) -> str | None:
    if sample.startswith(b"PK\x03\x04"):
        return "a zip archive (an .xlsx workbook is one: rename it to .xlsx)"
    if sample.startswith(b"PAR1"):
        return "a Parquet file (rename it to .parquet)"
    if sample.startswith(b"\x1f\x8b"):
        return "gzip-compressed (rename it to .csv.gz)"
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel workbook or a password-protected one (rename it to .xls or .xlsx)"
    if sample.startswith(b"%PDF"):
        return "a PDF document"
    if b"\x00" in sample[:8192]:
        return (
            "binary (it contains NUL bytes; if it is text in an encoding such as UTF-32, save it as "
            "UTF-8 text: 'CSV UTF-8' in Excel's Save As)"
        )
    return None


def _utf16(sample: bytes) -> str | None:
    """'utf-16' for a byte-order mark; 'utf-16-le'/'utf-16-be' for text with a NUL in every other byte."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")) and not sample.startswith(b"\xff\xfe\x00\x00"):
        return "utf-16"
    probe = sample[:4000]
    if len(probe) >= 8:
        even, odd = probe[0::2], probe[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
            return "utf-16-be"
    return None


def _is_utf8(head: bytes, ended: bool) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still UTF-8
        return not ended and exc.start >= len(head) - 4 and exc.reason == "unexpected end of data"


def sniff_delimiter(lines: list[str]) -> str:
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


def _whitespace_fields(lines: list[str]) -> bool:
    """True if the lines split on runs of spaces into one number (3 or more) of fields, none on commas."""
    rows = [ln for ln in lines if ln.strip()][:50]
    if not rows or any(ch in rows[0] for ch in ",;\t|"):
        return False
    counts = {len(ln.split()) for ln in rows}
    return len(counts) == 1 and counts.pop() >= 3


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter))


def _decode_head(head: bytes, ended: bool, encoding: str) -> list[str]:
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not ended and len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut
    return lines


def _head_encoding(src: FileSource, options: ReadOptions, head: bytes, ended: bool) -> tuple[str, str]:
    """(encoding for the head, encoding for the file: a codec, or "mixed")."""
    if options.encoding:
        return options.encoding, options.encoding
    utf16 = _utf16(head)
    if utf16:
        return utf16, utf16
    if _is_utf8(head, ended):
        return "utf-8", "utf-8"
    with open_bytes(src, options.max_expansion) as stream:
        report = classify_encoding(stream)
    if report.encoding == "mixed":
        return report.fallback, "mixed:" + report.fallback
    return report.encoding, report.encoding


def sniff_layout(src: FileSource, options: ReadOptions, wanted: dict[str, str]) -> TextLayout:
    r"""Recognise the layout of a text file from its first lines; DataError for what is not a table.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("Sales export\n\ncustomer_id;date;amount\nA;2024-01-02;10,5\nB;2024-01-05;3\n")
    >>> src = file_source(f"{folder.name}/orders.csv")
    >>> wanted = {"customer": "customer_id", "date": "date", "amount": "amount"}
    >>> layout = sniff_layout(src, ReadOptions(), wanted)
    >>> layout.delimiter, layout.skip, layout.header, layout.notes
    (';', 2, ['customer_id', 'date', 'amount'], ['2 lines above the header (a title or notes) skipped'])
    >>> folder.cleanup()
    """
    name = src.name
    cap = max(1 << 20, options.max_columns * 64)
    try:
        if src.compression is not None:  # the whole expanded size first, in bounded memory
            with open_bytes(src, options.max_expansion) as stream:
                while stream.read(1 << 20):
                    pass
        with open_bytes(src, options.max_expansion) as stream:
            head, ended = read_head(stream, cap=cap)
    except ExpansionLimit as exc:
        raise expansion_error(src, options, exc) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"read_transactions: cannot read {name}: {exc}. Check that the file is a complete "
            f"{'gzip ' if src.compression else ''}text file."
        ) from None
    utf16 = _utf16(head) if not options.encoding else None
    kind = None if utf16 or options.encoding else _binary_kind(head)
    if kind:
        raise DataError(f"read_transactions: {name} is not a text table: it looks {kind}. Supported: {SUPPORTED}.")
    if ended and not head.strip(b"\xef\xbb\xbf \t\r\n\x00\xff\xfe"):
        raise DataError(
            f"read_transactions: the file {name} is empty (only blank lines). Export the transactions again."
        )
    if not ended and head.count(b"\n") == 0:
        raise DataError(
            f"read_transactions: the first line of {name} is longer than {len(head):,} bytes, too long for a header. "
            "If it is the header of a file with very many columns, pass "
            f"{Hint('max_columns', options.max_columns * 10)}."
        )
    head_encoding, encoding = _head_encoding(src, options, head, ended)
    lines = _decode_head(head, ended, head_encoding)
    layout = _find_header(lines, options, wanted, src)
    layout.encoding = encoding
    if encoding.startswith("mixed:"):
        layout.mixed_fallback = encoding.split(":", 1)[1]
    if len(layout.header) > options.max_columns:
        raise DataError(
            f"read_transactions: the header of {name} has {len(layout.header):,} columns, more than the "
            f"{options.max_columns:,} considered. If that is right, pass {Hint('max_columns', len(layout.header))}."
        )
    return layout


def _find_header(lines: list[str], options: ReadOptions, wanted: dict[str, str], src: FileSource) -> TextLayout:
    tsv = "\t" if src.path.suffixes and src.path.suffixes[0].lower() == ".tsv" else None
    delimiter = options.delimiter or tsv or sniff_delimiter(lines)
    if options.delimiter is None and not tsv and _whitespace_fields(lines):
        delimiter = WHITESPACE
    first = next((ln for ln in lines if ln.strip()), "")
    header = _split(first, delimiter)
    layout = TextLayout(encoding="utf-8", delimiter=delimiter, skip=0, header=header)
    if has_columns(header, wanted):
        return layout
    # a title or notes above the header: find the header line among the first lines
    for k in range(1, min(len(lines), 50)):
        if not lines[k].strip():
            continue
        d = delimiter if delimiter == WHITESPACE else (options.delimiter or tsv or sniff_delimiter(lines[k:]))
        row = _split(lines[k], d)
        if has_columns(row, wanted):
            layout.skip, layout.delimiter, layout.header = k, d, row
            layout.notes.append(f"{plural(k, 'line')} above the header (a title or notes) skipped")
            return layout
    if delimiter == WHITESPACE:
        _cdnow(layout, [r for r in whitespace_lines(lines) if r][:50])
    return layout


def _cdnow(layout: TextLayout, rows: list[str]) -> None:
    """The CDNOW layout: rows of (customer id, [master id,] YYYYMMDD, CDs, amount), with no header or another one."""
    n = len(rows[-1].split(",")) if rows else 0
    if n not in CDNOW_COLUMNS or len(rows) < 2 or not all(_CDNOW_ROW[n].match(r) for r in rows[1:]):
        return
    titled = not _CDNOW_ROW[n].match(rows[0])
    layout.header, layout.has_header, layout.skip = list(CDNOW_COLUMNS[n]), False, int(titled)
    own = f" (its first line, {rows[0]!r}, skipped)" if titled else ""
    layout.notes.append(
        f"read as the original CDNOW layout{own}: fields separated by spaces, columns "
        + ", ".join(CDNOW_COLUMNS[n])
        + " (date as YYYYMMDD)"
    )


def expansion_error(src: FileSource, options: ReadOptions, exc: ExpansionLimit) -> DataError:
    r"""The message for a compressed file that expands past its limit.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("Sales export\n\ncustomer_id;date;amount\nA;2024-01-02;10,5\nB;2024-01-05;3\n")
    >>> src = file_source(f"{folder.name}/orders.csv")
    >>> wanted = {"customer": "customer_id", "date": "date", "amount": "amount"}
    >>> print(expansion_error(src, ReadOptions(), ExpansionLimit(1 << 25, 1 << 24)))
    read_transactions: 'orders.csv' expands to more than 100 times its size ... If the file is genuine, pass ...
    >>> folder.cleanup()
    """
    return DataError(
        f"read_transactions: {src.name} expands to more than {options.max_expansion:g} times its size "
        f"({src.size / 1e6:,.1f} MB compressed; reading stopped at {exc.limit / 1e6:,.0f} MB), so it may be a "
        f"compression bomb. If the file is genuine, pass {Hint('max_expansion', options.max_expansion * 10)}."
    )


# ----------------------------------------------------------------------------------------------
# Reading


def _input(src: FileSource, layout: TextLayout, options: ReadOptions) -> Any:
    """What pyarrow reads: the path itself, or a stream that decompresses / decodes / splits fields."""
    plain = layout.encoding in ("utf-8", "utf-8-sig") and layout.delimiter != WHITESPACE and not layout.mixed_fallback
    if plain and src.compression is None:
        return str(src.path)
    stream: BinaryIO = open_bytes(src, options.max_expansion)
    if layout.mixed_fallback:
        stream = io.BufferedReader(PerLineDecoder(stream, layout.mixed_fallback))
    elif layout.encoding not in ("utf-8", "utf-8-sig"):
        stream = io.BufferedReader(Transcoder(stream, layout.encoding))
    if layout.delimiter == WHITESPACE:
        stream = io.BufferedReader(WhitespaceFields(stream))
    return stream


def line_ends_in_quotes(src: FileSource, layout: TextLayout, *, head_cap: int = 1 << 20) -> bool:
    r"""Whether a quoted field of a plain text file may hold a line end (False only when it surely cannot).

    A field can hold a line end only inside quotes, so a file whose data rows hold no quote character at
    all, and whose title and header lines quote only whole fields, has none: pyarrow then splits the file
    at every line end, which reads it in parallel at a fraction of the cost and gives the same table.
    Any doubt (a compressed or transcoded file, a quote in the data, an unusual header) answers True.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> def check(text):
    ...     with open(f"{folder.name}/orders.csv", "w", encoding="utf-8", newline="") as fh:
    ...         _ = fh.write(text)
    ...     src = file_source(f"{folder.name}/orders.csv")
    ...     return line_ends_in_quotes(src, TextLayout("utf-8", ",", 0, ["customer_id", "date", "amount"]))
    >>> check('"customer_id","date","amount"\nA,2024-01-02,10\n')
    False
    >>> check('customer_id,date,amount\n"A\nB",2024-01-02,10\n')
    True
    >>> folder.cleanup()
    """
    plain = layout.encoding in ("utf-8", "utf-8-sig") and layout.delimiter != WHITESPACE and not layout.mixed_fallback
    if not plain or src.compression is not None or src.size == 0:
        return True
    head_lines = layout.skip + (1 if layout.has_header else 0)
    delimiter = layout.delimiter.encode("utf-8")
    try:
        with open(src.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _quotes_may_hold_line_ends(data, head_lines, delimiter, head_cap)
    except (OSError, ValueError):  # a file system without memory maps: the general way
        return True


def _quotes_may_hold_line_ends(data: mmap.mmap, head_lines: int, delimiter: bytes, head_cap: int) -> bool:
    """True unless the title and header lines quote only whole fields and no quote follows them."""
    end = 0
    for k in range(head_lines):  # title and header lines: every quote opens and closes one whole field
        stop = data.find(b"\n", end, end + head_cap)
        if stop < 0:
            return True
        line = data[end:stop].rstrip(b"\r")
        if k == 0:
            line = line.removeprefix(b"\xef\xbb\xbf")
        for cell in line.split(delimiter):
            if b'"' in cell and not (
                len(cell) >= 2 and cell[:1] == cell[-1:] == b'"' and cell.count(b'"') == 2 and b"\r" not in cell
            ):
                return True
        end = stop + 1
    return data.find(b'"', end) >= 0


def _pyarrow_options(
    layout: TextLayout, names: list[str], *, threads: bool, invalid: list | None, quoted_lines: bool = True
) -> dict[str, Any]:
    def on_invalid(row: Any) -> str:
        if invalid is not None:
            invalid.append(row)
        return "skip"

    read = pacsv.ReadOptions(
        use_threads=threads,
        block_size=_BLOCK,
        skip_rows=layout.skip,
        column_names=None if layout.has_header else layout.header,
    )
    quote = '"' if layout.delimiter != WHITESPACE else False
    parse = pacsv.ParseOptions(
        delimiter=layout.parse_delimiter,
        quote_char=quote,
        newlines_in_values=quote is not False and quoted_lines,
        invalid_row_handler=on_invalid,
    )
    convert = pacsv.ConvertOptions(
        include_columns=names,
        column_types={c: pa.string() for c in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return {"read_options": read, "parse_options": parse, "convert_options": convert}


def is_utf8_error(exc: BaseException) -> bool:
    r"""True for the error of a text that is not valid UTF-8.

    Examples
    --------
    >>> is_utf8_error(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")), is_utf8_error(ValueError("x"))
    (True, False)
    """
    return isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc) or "utf-8" in str(exc).lower()


def header_hint(src: FileSource, layout: TextLayout) -> str:
    r"""A sentence for the message of a missing column when the header is one column: the delimiter may be another.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.errors import render_text
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id|date|amount\nA|2024-01-02|10\n")
    >>> src = file_source(f"{folder.name}/orders.csv")
    >>> layout = sniff_layout(src, ReadOptions(delimiter=","), {"customer": "customer_id"})
    >>> print(render_text(header_hint(src, layout)).strip())
    The file seems to have a single column 'customer_id|date|amount': if its fields are separated by another ...
    >>> folder.cleanup()
    """
    if len(layout.header) != 1:
        return ""
    single = f" {layout.header[0]!r}" if src.quote else ""
    return (
        f" The file seems to have a single column{single}: if its fields are separated by another "
        f"character, pass {Hint('delimiter')} (e.g. {Hint('delimiter', ';')})."
    )


def read_text(
    src: FileSource, options: ReadOptions, wanted: dict[str, str]
) -> tuple[dict[str, pa.ChunkedArray], RowLocator, dict[str, Any]]:
    r"""The wanted columns of a text file as Arrow text, the row locator, and what was recognised.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("Sales export\n\ncustomer_id;date;amount\nA;2024-01-02;10,5\nB;2024-01-05;3\n")
    >>> src = file_source(f"{folder.name}/orders.csv")
    >>> wanted = {"customer": "customer_id", "date": "date", "amount": "amount"}
    >>> columns, locator, info = read_text(src, ReadOptions(), wanted)
    >>> columns["amount"].to_pylist(), locator.number(1), info["delimiter"]
    (['10,5', '3'], 'line 5', ';')
    >>> folder.cleanup()
    """
    layout = sniff_layout(src, options, wanted)
    actual = resolve_columns(wanted, layout.header, src.name, quote=src.quote, hint=header_hint(src, layout))
    names = list(dict.fromkeys(actual.values()))
    table = _read_table(src, layout, options, names)
    if table.num_rows == 0:
        raise DataError(f"read_transactions: {src.name} has a header but no data rows. Export the transactions again.")
    locator = locator_of(src, layout, options, table.num_rows)
    columns = {role: table.column(c) for role, c in actual.items()}  # chunks as parsed: no copy
    info = {
        "format": "csv",
        "encoding": _encoding_name(layout),
        "delimiter": layout.delimiter,
        "notes": layout.notes,
        "preamble_lines": layout.skip,
    }
    return columns, locator, info


def _encoding_name(layout: TextLayout) -> str:
    if layout.mixed_fallback:
        return f"utf-8 and {layout.mixed_fallback} (mixed)"
    return layout.encoding


def locator_of(src: FileSource, layout: TextLayout, options: ReadOptions, n_rows: int) -> RowLocator:
    r"""The row locator of a text file of ``n_rows`` data records (line numbers worked out when needed).

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("Sales export\n\ncustomer_id;date;amount\nA;2024-01-02;10,5\nB;2024-01-05;3\n")
    >>> src = file_source(f"{folder.name}/orders.csv")
    >>> wanted = {"customer": "customer_id", "date": "date", "amount": "amount"}
    >>> layout = sniff_layout(src, ReadOptions(), wanted)
    >>> locator_of(src, layout, ReadOptions(), 2).rows([0, 1])
    'line 4, line 5 (line numbers of the file, header = line 3)'
    >>> folder.cleanup()
    """
    header_line = layout.skip + 1
    convention = (
        f"line numbers of the file, header = line {header_line}" if layout.has_header else "line numbers of the file"
    )
    offset = layout.skip + (2 if layout.has_header else 1)
    locator = RowLocator(src.name, "text", offset=offset, row_word="line", convention=convention, quote=src.quote)
    locator.lines = lambda: record_lines(src, layout, options, n_rows)
    return locator


def _read_table(src: FileSource, layout: TextLayout, options: ReadOptions, names: list[str]) -> pa.Table:
    invalid: list = []
    try:
        quoted_lines = line_ends_in_quotes(src, layout)
        try:
            table = pacsv.read_csv(
                _input(src, layout, options),
                **_pyarrow_options(layout, names, threads=True, invalid=invalid, quoted_lines=quoted_lines),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if options.encoding is not None or layout.encoding != "utf-8" or not is_utf8_error(exc):
                raise
            reclassify(src, layout, options)
            invalid.clear()
            table = pacsv.read_csv(
                _input(src, layout, options), **_pyarrow_options(layout, names, threads=True, invalid=invalid)
            )
        if invalid:  # once more, in order, to know the line numbers
            invalid.clear()
            table = pacsv.read_csv(
                _input(src, layout, options),
                **_pyarrow_options(layout, names, threads=False, invalid=invalid, quoted_lines=quoted_lines),
            )
    except ExpansionLimit as exc:
        raise expansion_error(src, options, exc) from None
    except (pa.ArrowException, UnicodeError, ValueError, OSError, EOFError, zlib.error) as exc:
        detail = str(exc).splitlines()[0][:200] if src.quote else type(exc).__name__
        raise DataError(
            f"read_transactions: cannot read {src.name} as a table with delimiter {layout.delimiter!r}: {detail}. "
            f"Check that the file is a complete delimited text export (quotes balanced), or pass {Hint('delimiter')}."
        ) from None
    if invalid:
        raise _invalid_rows(src, layout, invalid)
    return table


def invalid_rows_error(src: FileSource, layout: TextLayout, options: ReadOptions, names: list[str]) -> DataError:
    r"""The message for rows with too many or too few fields, their line numbers found by a numbered read.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id,date,amount\nA,2024-01-02,10\nB,2024-01-05,3,7\n")
    >>> src, names = file_source(f"{folder.name}/orders.csv"), ["customer_id", "date", "amount"]
    >>> layout = sniff_layout(src, ReadOptions(), dict(zip(["customer", "date", "amount"], names)))
    >>> print(invalid_rows_error(src, layout, ReadOptions(), names))
    read_transactions: 1 row of 'orders.csv' does not have the 3 fields of the header (delimiter ','): line 3: ...
    >>> folder.cleanup()
    """
    invalid: list = []
    with pacsv.open_csv(
        _input(src, layout, options), **_pyarrow_options(layout, names, threads=False, invalid=invalid)
    ) as rd:
        for _ in rd:
            pass
    return _invalid_rows(src, layout, invalid)


def reclassify(src: FileSource, layout: TextLayout, options: ReadOptions) -> None:
    r"""The head looked like UTF-8 but the file is not: decide its encoding over the whole file.

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/names.csv", "wb") as fh:
    ...     _ = fh.write("id,name\n1,Zoë\n".encode("utf-8") + "2,Chloë\n".encode("cp1252"))
    >>> layout = TextLayout("utf-8", ",", 0, ["id", "name"])
    >>> reclassify(file_source(f"{folder.name}/names.csv"), layout, ReadOptions())
    >>> layout.mixed_fallback, layout.notes[0][:40]
    ('cp1252', 'the file mixes two text encodings: 1 lin')
    >>> folder.cleanup()
    """
    with open_bytes(src, options.max_expansion) as stream:
        report = classify_encoding(stream)
    if report.encoding == "mixed":
        layout.mixed_fallback = report.fallback
        layout.notes.append(
            f"the file mixes two text encodings: {plural(report.utf8_lines, 'line')} with accents in UTF-8 (the "
            f"first at line {report.first_utf8_line}) and {plural(report.other_lines, 'line')} in {report.fallback} "
            f"(the first at line {report.first_other_line}); each line was read in its own encoding. Check names "
            f"with accents, or pass {Hint('encoding')} to read the whole file in one encoding"
        )
    else:
        layout.encoding = report.encoding


def _invalid_rows(src: FileSource, layout: TextLayout, invalid: list) -> DataError:
    fields = len(layout.header)

    def one(r: Any) -> str:
        text = f" ({short(r.text)!r})" if src.quote else ""
        return f"line {r.number}: {r.actual_columns} fields{text}" if r.number else f"{short(r.text)!r}"

    shown = ", ".join(one(r) for r in invalid[:SHOW])
    more = f" and {len(invalid) - SHOW} more" if len(invalid) > SHOW else ""
    return DataError(
        f"read_transactions: {plural(len(invalid), 'row')} of {src.name} {'does' if len(invalid) == 1 else 'do'} not "
        f"have the {fields} fields of the header (delimiter {layout.delimiter!r}): {shown}{more} (line numbers of the "
        f"file, header = line {layout.skip + 1}). Quote values that contain the delimiter, remove stray lines (totals, "
        f"notes), or pass {Hint('delimiter')}."
    )


def record_lines(src: FileSource, layout: TextLayout, options: ReadOptions, n_rows: int) -> np.ndarray | None:
    """Physical line numbers of the data records, or None when each record is one line after the header.

    Read once, when a message needs a row's line number: blank lines and values spanning lines make the
    file longer than its rows.
    """
    with open_bytes(src, options.max_expansion) as stream:
        n_lines = 0
        last = b"\n"
        while chunk := stream.read(1 << 20):
            n_lines += chunk.count(b"\n")
            last = chunk[-1:]
    n_lines += 0 if last == b"\n" else 1
    if n_lines == n_rows + layout.skip + (1 if layout.has_header else 0):
        return None
    raw = _input(src, layout, options)
    stream = open(raw, "rb") if isinstance(raw, str) else raw
    with io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="") as text:
        for _ in range(layout.skip):
            text.readline()
        reader = csv.reader(text, delimiter=layout.parse_delimiter)
        starts, previous = [], layout.skip
        for record in reader:
            if record:  # blank lines are skipped, as the reader does
                starts.append(previous + 1)
            previous = layout.skip + reader.line_num
    lines = np.asarray(starts, dtype=np.int64)
    return lines[1:] if layout.has_header else lines


def open_text(
    src: FileSource, layout: TextLayout, options: ReadOptions, names: list[str]
) -> tuple[pa.RecordBatchReader, list]:
    r"""The columns ``names`` of a text file as a stream of Arrow batches (text), read as :func:`read_text` reads.

    Returns the stream and the list that collects rows with a wrong number of fields (skipped in the
    stream; :func:`invalid_rows_error` names them).

    Examples
    --------
    >>> import tempfile
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("Sales export\n\ncustomer_id;date;amount\nA;2024-01-02;10,5\nB;2024-01-05;3\n")
    >>> src = file_source(f"{folder.name}/orders.csv")
    >>> wanted = {"customer": "customer_id", "date": "date", "amount": "amount"}
    >>> layout = sniff_layout(src, ReadOptions(), wanted)
    >>> batches, invalid = open_text(src, layout, ReadOptions(), ["customer_id", "amount"])
    >>> batches.read_all().to_pydict(), invalid
    ({'customer_id': ['A', 'B'], 'amount': ['10,5', '3']}, [])
    >>> folder.cleanup()
    """
    invalid: list = []
    return pacsv.open_csv(
        _input(src, layout, options), **_pyarrow_options(layout, names, threads=True, invalid=invalid)
    ), invalid


def drop_header_rows(columns: dict[str, pa.Array], wanted: dict[str, str]) -> pa.BooleanArray | None:
    """The rows of a batch to keep when some repeat the header (concatenated exports); None if none do.

    Examples
    --------
    >>> batch = {"customer": pa.array(["A", "customer_id"]), "amount": pa.array(["10", "amount"])}
    >>> drop_header_rows(batch, {"customer": "customer_id", "amount": "amount"}).to_pylist()
    [True, False]
    >>> drop_header_rows({"customer": pa.array(["A"])}, {"customer": "customer_id"}) is None
    True
    """
    dup = repeated_header_rows({role: Column(arrow=values) for role, values in columns.items()}, wanted)
    return None if dup is None else pa.array(~dup)
