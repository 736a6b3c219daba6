"""The reader out of core: a file's rows in DuckDB, cleaned by the same rules as ``read_transactions``.

:func:`crmlib.scale.summarize_file` never holds a file's rows in Python. Its rows go into DuckDB, and
this module makes them the rows :func:`crmlib.data.read_transactions` would give, by the same rules:

* **one way to read a file**: text files are parsed by the reader's own text layer (the same
  delimiter, encoding, header and CDNOW recognition, repeated headers dropped), Parquet files with
  plain typed columns are scanned by DuckDB, other Parquet files through the same Arrow batches;
* **the same fast paths**: a batch of date or amount texts is converted by
  :func:`crmlib.data.dates.fast_days` and :func:`crmlib.data.amounts.fast_numbers`, the very functions
  the reader calls on the whole column; a column that fails them in any batch is read again as text,
  as the reader would;
* **the same decisions on the same distinct values**: a column that needs more (dates in other
  formats, amounts written as money, ids stored as decimals or with spaces around them) is decided by
  the reader's own functions on the column's distinct values, and the answer is joined back;
* **the same messages**: a problem is counted in SQL, then its rows are fetched and the reader's own
  message builders name them, in the order the reader checks them (:func:`first_error`).

The relation ``clean`` has ``pos`` (the row's position in the source), ``cid`` (the customer id; as
read, or through the id map ``m_id``), ``day_no`` (days since 1970-01-01), ``amt``, ``inv`` (line items
with invoices) and the flags of empty and unreadable cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crmlib.data import amounts, dates
from crmlib.data.columns import arrow_column, column_of
from crmlib.data.errors import DataError
from crmlib.data.ids import (
    BLANK_ID_TEXTS,
    ID_SPACES,
    blank_ids_error,
    blank_mask,
    clean_ids,
    long_ids_error,
    no_ids_error,
)
from crmlib.data.line_items import blank_invoice_error
from crmlib.data.names import resolve_columns
from crmlib.data.options import ReadOptions
from crmlib.data.parquet import check_flat
from crmlib.data.paths import FileSource
from crmlib.data.rows import SHOW, PartsLocator, RowLocator
from crmlib.data.streams import ExpansionLimit
from crmlib.data.text import (
    TextLayout,
    drop_header_rows,
    expansion_error,
    header_hint,
    invalid_rows_error,
    is_utf8_error,
    locator_of,
    open_text,
    reclassify,
    sniff_layout,
)

__all__ = [
    "IdCheck",
    "NeedsMemory",
    "Plan",
    "RowSource",
    "check_ids",
    "first_error",
    "id_map",
    "ingest",
    "long_ids",
    "plan_clean",
    "quote",
    "string_literal",
]

_GLOB = re.compile(r"[*?\[\]{}]")
_NAT = int(np.iinfo(np.int64).min)
_BATCH = 1 << 20
_RAW = {"customer": "id", "date": "d", "amount": "a", "quantity": "q", "price": "p", "invoice": "inv"}
_NUMBERS = ("amount", "quantity", "price")


class NeedsMemory(Exception):
    """A column of a kind the SQL path does not take (booleans as amounts...): the in-memory reader reads it."""


def quote(name: str) -> str:
    """A DuckDB identifier.

    Examples
    --------
    >>> print(quote('unit "price" in EUR'))
    "unit ""price"" in EUR"
    """
    return '"' + name.replace('"', '""') + '"'


def string_literal(text: str) -> str:
    """A SQL string literal.

    Examples
    --------
    >>> print(string_literal("O'Brien"))
    'O''Brien'
    """
    return "'" + text.replace("'", "''") + "'"


@dataclass
class RowSource:
    """The raw rows of the sources in DuckDB (``src``: ``pos`` and one column per role) and how to name them.

    ``kinds`` says per role how the column arrived: ``"text"`` (strings), ``"int"``, ``"float"``,
    ``"number"`` (float64 numbers), ``"days"`` (day numbers), ``"timestamp"`` (a DuckDB timestamp or
    date), or ``"slow"`` (text that the reader decides on its distinct values).
    """

    options: ReadOptions
    locator: RowLocator
    n_rows: int
    kinds: dict[str, str]
    notes: list[str] = field(default_factory=list)
    delimiter: str | None = None
    #: Parquet files scanned by DuckDB itself, with the column of each role (empty for other sources).
    parquet: list[tuple[str, dict[str, str]]] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Ingestion


def _type_kind(role: str, kind: pa.DataType) -> str | None:
    """How a typed Parquet column of ``role`` is taken; None when the SQL path does not take it."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if role in ("customer", "invoice"):
        return "int" if pa.types.is_integer(kind) else ("float" if pa.types.is_floating(kind) else None)
    if role == "date":
        if pa.types.is_timestamp(kind):
            return "timestamp" if kind.tz is None else "zoned"
        if pa.types.is_date(kind):
            return "timestamp"
        return "numbers" if pa.types.is_integer(kind) or pa.types.is_floating(kind) else None
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    return None


def _parquet_columns(
    src: FileSource, options: ReadOptions, wanted: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(role -> column, role -> kind) of a Parquet file; DataError as the reader's, NeedsMemory for odd types."""
    try:
        schema = pq.read_schema(src.path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(
            f"read_transactions: {src.name} cannot be read as a Parquet file ({str(exc)[:150]}). "
            "Check that it is a complete Parquet export."
        ) from None
    actual = resolve_columns(wanted, list(schema.names), src.name, quote=src.quote)
    check_flat(schema, actual, src.name)
    kinds = {}
    for role, column in actual.items():
        kind = _type_kind(role, schema.field(column).type)
        if kind is None:
            raise NeedsMemory(role)
        kinds[role] = kind
    return actual, kinds


def _parquet_locator(src: FileSource) -> RowLocator:
    return RowLocator(
        src.name, "parquet", offset=1, row_word="row", convention="data rows counted from 1", quote=src.quote
    )


def _native(con: Any, sources: list[FileSource], actual: dict[str, str]) -> tuple[int, RowLocator]:
    """A view ``src`` over DuckDB's own Parquet scan of plain files; the number of rows and the locator."""
    counts = [pq.ParquetFile(s.path).metadata.num_rows for s in sources]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    files = "[" + ", ".join(string_literal(str(s.path)) for s in sources) + "]"
    pos = "file_row_number"
    if len(sources) > 1:
        cases = " ".join(f"WHEN {string_literal(str(s.path))} THEN {int(o)}" for s, o in zip(sources, starts))
        pos = f"file_row_number + CASE filename {cases} END"
    columns = ", ".join(f"{quote(actual[role])} AS {_RAW[role]}" for role in actual)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW src AS SELECT {pos} AS pos, {columns} "
        f"FROM read_parquet({files}, file_row_number = true, filename = true)"
    ).fetchall()
    locator = _parquet_locator(sources[0])
    if len(sources) > 1:
        locator = PartsLocator([(int(st), _parquet_locator(s)) for st, s in zip(starts, sources)])
    return int(sum(counts)), locator


@dataclass
class _Batches:
    """Arrow batches of the sources' wanted columns, with positions, converted as the reader converts them."""

    sources: list[FileSource]
    options: ReadOptions
    wanted: dict[str, str]
    kinds: dict[str, str]
    failed: str | None = None
    error: BaseException | None = None
    parts: list[tuple[int, RowLocator]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    n_rows: int = 0
    delimiter: str | None = None
    layouts: dict[str, TextLayout] = field(default_factory=dict)
    retry: bool = False

    def schema(self) -> pa.Schema:
        types = {
            "text": pa.string(),
            "slow": pa.string(),
            "int": pa.string(),
            "float": pa.float64(),
            "number": pa.float64(),
            "days": pa.int64(),
            "iso": pa.int64(),
            "numbers": pa.float64(),
        }
        return pa.schema([("pos", pa.int64())] + [(_RAW[r], types[self.kinds[r]]) for r in self.wanted])

    def _convert(self, role: str, values: pa.Array) -> pa.Array | None:
        kind = self.kinds[role]
        if kind in ("text", "slow"):
            return pc.cast(values, pa.string())
        if kind == "int":
            return pc.cast(values, pa.string())
        if kind in ("float", "number", "numbers"):
            if _is_string(values.type):  # text of a number column: the reader's fast path, or slow
                fast = amounts.fast_numbers(values)
                return None if fast is None else pa.array(fast, pa.float64())
            return pc.cast(values, pa.float64())
        if kind == "iso":  # date texts: the reader's fast path, or slow
            fast = dates.fast_days(pc.cast(values, pa.string()))
            return None if fast is None else pa.array(fast, pa.int64())
        return pa.array(_typed_days(values), pa.int64())

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        schema = self.schema()
        try:
            for src in self.sources:
                yield from self._one(src, schema)
                if self.retry or self.failed:
                    return
        except Exception as exc:  # raised after the scan: DuckDB would wrap it
            self.error = exc

    def _one(self, src: FileSource, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        start = self.n_rows
        layout: TextLayout | None = None
        invalid: list[Any] = []
        if src.kind == "text":
            layout = self.layouts.get(str(src.path)) or sniff_layout(src, self.options, self.wanted)
            self.layouts[str(src.path)] = layout
            actual = resolve_columns(
                self.wanted, layout.header, src.name, quote=src.quote, hint=header_hint(src, layout)
            )
            names = list(dict.fromkeys(actual.values()))

            def stream() -> Iterator[pa.RecordBatch]:
                reader, found = open_text(src, layout, self.options, names)
                invalid.append(found)
                return iter(reader)

            self.delimiter = layout.delimiter
            batches: Iterator[pa.RecordBatch] = self._guarded(src, layout, stream)
        else:
            actual, _ = _parquet_columns(src, self.options, self.wanted)
            names = list(dict.fromkeys(actual.values()))
            batches = pq.ParquetFile(src.path).iter_batches(batch_size=_BATCH, columns=names)
        for batch in batches:
            pos = np.arange(self.n_rows, self.n_rows + batch.num_rows, dtype=np.int64)
            self.n_rows += batch.num_rows
            columns = {role: batch.column(batch.schema.get_field_index(actual[role])) for role in self.wanted}
            keep = drop_header_rows(columns, self.wanted) if layout is not None else None
            if keep is not None:
                columns = {role: values.filter(keep) for role, values in columns.items()}
                pos = pos[keep.to_numpy(zero_copy_only=False)]
            out = [pa.array(pos)]
            for role in self.wanted:
                converted = self._convert(role, columns[role])
                if converted is None:
                    self.failed = role
                    return
                out.append(converted)
            yield pa.RecordBatch.from_arrays(out, schema=schema)
        if self.retry:
            return
        if layout is not None:
            self.notes.extend(n for n in layout.notes if n not in self.notes)
        if invalid and invalid[0] and layout is not None:
            raise invalid_rows_error(src, layout, self.options, names)
        if self.n_rows == start:
            raise DataError(
                f"read_transactions: {src.name} has a header but no data rows. Export the transactions again."
                if layout is not None
                else f"read_transactions: the Parquet file {src.name} has no rows; there are no transactions to read."
            )
        locator = locator_of(src, layout, self.options, self.n_rows - start) if layout else _parquet_locator(src)
        self.parts.append((start, locator))

    def _guarded(self, src: FileSource, layout: TextLayout, stream: Any) -> Iterator[pa.RecordBatch]:
        """The batches; a text found not to be UTF-8 mid-way is read again, as the reader reads it."""
        try:
            yield from stream()
        except ExpansionLimit as exc:
            raise expansion_error(src, self.options, exc) from None
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if self.options.encoding is not None or layout.encoding != "utf-8" or not is_utf8_error(exc):
                raise DataError(
                    f"read_transactions: cannot read {src.name} as a table with delimiter {layout.delimiter!r}: "
                    f"{str(exc).splitlines()[0][:200] if src.quote else type(exc).__name__}. Check that the file is a "
                    "complete delimited text export (quotes balanced)."
                ) from None
            reclassify(src, layout, self.options)
            self.retry = True


def _is_string(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _typed_days(values: pa.Array) -> np.ndarray:
    """Days of typed dates or timestamps (the local day of a zoned timestamp), as the reader takes them."""
    if pa.types.is_timestamp(values.type):
        if values.type.tz is not None:
            values = pc.local_timestamp(values)
        per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[values.type.unit]
        raw = pc.cast(values, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    else:
        per_day = 1
        raw = pc.cast(pc.cast(values, pa.date32()), pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
    days = np.floor_divide(raw.astype(np.int64), per_day)
    if values.null_count:
        days = np.where(pc.is_null(values).to_numpy(zero_copy_only=False), _NAT, days)
    return days


def ingest(con: Any, sources: list[FileSource], options: ReadOptions) -> RowSource:
    r"""Put the raw rows of ``sources`` into DuckDB as ``src`` (``pos`` and one column per role).

    Examples
    --------
    >>> import tempfile, duckdb
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id,date,amount\n A ,2024-01-02,10\nB,2024-01-05,abc\n,2024-01-06,3\n")
    >>> con = duckdb.connect()
    >>> source = ingest(con, [file_source(f"{folder.name}/orders.csv")], ReadOptions())
    >>> source.n_rows, source.kinds
    (3, {'customer': 'text', 'date': 'iso', 'amount': 'slow'})
    >>> con.sql("SELECT id, a FROM src ORDER BY pos").fetchall()
    [(' A ', '10'), ('B', 'abc'), ('', '3')]
    >>> con.close()
    >>> folder.cleanup()
    """
    wanted = options.columns()
    if all(s.kind == "parquet" for s in sources):
        columns = [_parquet_columns(s, options, wanted) for s in sources]
        kinds = columns[0][1]
        if any(k != kinds for _, k in columns[1:]):
            raise DataError(
                "summarize_file: the files of the pattern do not all have the same column types; "
                "convert them to one layout."
            )
        plain = all(
            k
            == {
                "customer": k if k in ("text", "int") else "",
                "invoice": k if k in ("text", "int") else "",
                "date": "timestamp",
            }.get(r, "number")
            for r, k in kinds.items()
        )
        if plain and not any(_GLOB.search(str(s.path)) for s in sources):
            n_rows, locator = _native(con, sources, columns[0][0])
            if n_rows == 0:
                raise DataError(
                    f"read_transactions: the Parquet file {sources[0].name} has no rows; there are no "
                    "transactions to read."
                )
            parquet = [(str(s.path), actual) for s, (actual, _) in zip(sources, columns)]
            return RowSource(options, locator, n_rows, dict(kinds), parquet=parquet)
        kinds = {r: _batch_kind(r, k, options) for r, k in kinds.items()}
    else:
        kinds = {r: _batch_kind(r, "text", options) for r in wanted}
    return _ingest_batches(con, sources, options, wanted, kinds)


def _batch_kind(role: str, kind: str, options: ReadOptions) -> str:
    """How a column is sent in batches: text dates and numbers try the reader's fast paths first."""
    if role in ("customer", "invoice"):
        return kind
    if role == "date":
        if kind in ("timestamp", "zoned"):
            return "days"
        if kind == "text":
            return "slow" if options.formats else "iso"
        return kind  # "numbers"
    return "number"


def _ingest_batches(
    con: Any, sources: list[FileSource], options: ReadOptions, wanted: dict[str, str], kinds: dict[str, str]
) -> RowSource:
    layouts: dict[str, TextLayout] = {}
    while True:
        batches = _Batches(sources, options, wanted, dict(kinds), layouts=layouts)
        reader = pa.RecordBatchReader.from_batches(batches.schema(), iter(batches))
        con.register("crmlib_batches", reader)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM crmlib_batches").fetchall()
        finally:
            con.unregister("crmlib_batches")
        if batches.error is not None:
            raise batches.error
        layouts = batches.layouts
        if batches.retry:  # the file's encoding decided over the whole file: read again
            continue
        if batches.failed is None:
            break
        kinds[batches.failed] = "slow"  # a batch failed the fast path: the whole column goes the reader's slow way
    locator = batches.parts[0][1] if len(batches.parts) == 1 else PartsLocator(batches.parts)
    return RowSource(options, locator, batches.n_rows, kinds, notes=batches.notes, delimiter=batches.delimiter)


# ----------------------------------------------------------------------------------------------
# The clean rows


def _distinct(con: Any, column: str, where: str = "") -> pa.Array:
    return con.sql(f"SELECT DISTINCT src.{column} AS v FROM src {where}").to_arrow_table().column("v").combine_chunks()


def _register(con: Any, name: str, table: pa.Table) -> None:
    con.register(f"{name}_arrow", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow").fetchall()
    finally:
        con.unregister(f"{name}_arrow")


@dataclass
class Plan:
    """SQL of the clean columns, what the reader decided on distinct values, and the notes to give.

    Examples
    --------
    >>> print(Plan(amt="CAST(src.a AS DOUBLE)").relation({"customer": "id", "date": "d", "amount": "a"}))
    SELECT src.pos, src.id AS cid, src.d AS day_no, CAST(src.a AS DOUBLE) AS amt, src.d AS raw_date,
    src.a AS raw_amount FROM src
    """

    cid: str = "src.id"
    day: str = "src.d"
    amt: str = "src.a"
    inv: str | None = None
    joins: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    date_problem: dates.DateProblem | None = None
    date_how: str = ""
    date_notes: list[str] = field(default_factory=list)
    repairs: dict[str, amounts.Repairs] = field(default_factory=dict)
    id_note: str | None = None

    def relation(self, roles: dict[str, str]) -> str:
        """SQL of the clean rows (``roles``: the roles read, whose raw values messages quote)."""
        flags = "".join(f", {expr} AS {name}" for name, expr in self.flags.items())
        inv = f", {self.inv} AS inv" if self.inv else ""
        raw = "".join(f", src.{_RAW[r]} AS raw_{r}" for r in roles if r != "customer")
        return (
            f"SELECT src.pos, {self.cid} AS cid, {self.day} AS day_no, {self.amt} AS amt{inv}{flags}{raw} "
            f"FROM src {' '.join(self.joins)}"
        )


def _numbers(con: Any, plan: Plan, role: str, kind: str, delimiter: str | None) -> str:
    """The SQL value of a number column (amount, quantity or price), with its blank and bad flags."""
    raw = _RAW[role]
    if kind != "slow":
        plan.flags[f"{role}_blank"] = f"(src.{raw} IS NULL OR isnan(src.{raw}))"
        plan.flags[f"{role}_bad"] = "false"
        return f"CAST(src.{raw} AS DOUBLE)"
    texts = _distinct(con, raw)
    parsed = amounts.parse_texts(texts, delimiter)
    name = f"m_{raw}"
    _register(con, name, pa.table({"t": texts, "v": parsed.values, "blank": parsed.blank, "bad": parsed.bad}))
    plan.joins.append(f"LEFT JOIN {name} ON {name}.t = src.{raw}")
    plan.flags[f"{role}_blank"] = f"coalesce({name}.blank, true)"
    plan.flags[f"{role}_bad"] = f"coalesce({name}.bad, false)"
    plan.repairs[role] = amounts.Repairs(decimal=parsed.decimal, currencies=parsed.currencies)
    texts_py = texts.to_pylist()
    plan.repairs[role].examples = [
        f"{texts_py[i].strip()!r} -> {parsed.values[i]:g}" for i in np.flatnonzero(parsed.repaired)[:3]
    ]
    return f"{name}.v"


def _dates(con: Any, plan: Plan, source: RowSource, not_blank: str) -> None:
    kind = source.kinds["date"]
    formats = source.options.formats
    if kind == "timestamp":
        plan.day = "date_diff('day', DATE '1970-01-01', CAST(src.d AS DATE))"
        plan.flags["date_blank"], plan.flags["date_bad"] = "src.d IS NULL", "false"
        plan.date_how = "dates stored as date cells"
        return
    if kind in ("days", "iso"):
        plan.day = f"CASE WHEN src.d = {_NAT} THEN NULL ELSE src.d END"
        plan.flags["date_blank"], plan.flags["date_bad"] = f"(src.d IS NULL OR src.d = {_NAT})", "false"
        plan.date_how = (
            "date format ISO 8601 (such as 2024-01-31 or 2024-01-31 14:05), recognised from the column"
            if kind == "iso"
            else "dates stored as date cells"
        )
        return
    join = "LEFT JOIN m_id ON m_id.t = src.id" if "m_id.v" in not_blank else ""
    values = _distinct(con, "d", f"{join} WHERE {not_blank}")
    if kind == "numbers":
        numbers = values.to_numpy(zero_copy_only=False).astype(float)
        blank = np.isnan(numbers)
        parsed = dates.numeric_days(numbers[~blank])
        days = np.full(len(numbers), _NAT)
        days[~blank] = parsed.days
        problem = np.zeros(len(numbers), bool)
        if parsed.error is not None:
            problem[~blank] = parsed.error.mask
            plan.date_problem = dates.DateProblem(parsed.error.kind, problem)
        table = pa.table({"t": values, "v": days, "blank": blank, "problem": problem})
        plan.date_how = parsed.how
    else:
        texts = values.cast(pa.string())
        parsed = dates.parse_texts(texts, formats)
        problem = parsed.error.mask if parsed.error is not None else np.zeros(len(texts), bool)
        table = pa.table({"t": values, "v": parsed.days, "blank": parsed.blank, "problem": problem})
        plan.date_problem, plan.date_how = parsed.error, parsed.how
        plan.date_notes = [n.text for n in parsed.notes if n.mask is None]
    _register(con, "m_d", table)
    plan.joins.append("LEFT JOIN m_d ON m_d.t = src.d")
    plan.day = f"CASE WHEN m_d.v = {_NAT} THEN NULL ELSE m_d.v END"
    plan.flags["date_blank"] = "(src.d IS NULL OR coalesce(m_d.blank, false))"
    plan.flags["date_bad"] = "coalesce(m_d.problem, false)"


def not_blank_id(kind: str) -> str:
    """SQL: the row has a customer id, by the id rule's blank test (for choosing the rows dates are read from)."""
    if kind == "text":
        spaces = string_literal(ID_SPACES)
        blanks = ", ".join(string_literal(t) for t in sorted(BLANK_ID_TEXTS))
        return f"NOT (src.id IS NULL OR lower(trim(src.id, {spaces})) IN ({blanks}))"
    if kind == "float":
        return "NOT (src.id IS NULL OR isnan(src.id))"
    return "src.id IS NOT NULL"


def id_map(con: Any, source: RowSource, role: str = "customer") -> str | None:
    r"""The id rule on the distinct raw ids (or invoice ids): a table raw -> clean id (NULL when blank); its note.

    Examples
    --------
    >>> import tempfile, duckdb
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id,date,amount\n A ,2024-01-02,10\nB,2024-01-05,abc\n,2024-01-06,3\n")
    >>> con = duckdb.connect()
    >>> source = ingest(con, [file_source(f"{folder.name}/orders.csv")], ReadOptions())
    >>> id_map(con, source) is None  # no note: no id written as a decimal
    True
    >>> con.sql("SELECT t, v FROM m_id ORDER BY t").fetchall()
    [('', None), (' A ', 'A'), ('B', 'B')]
    >>> con.close()
    >>> folder.cleanup()
    """
    raw = _RAW[role]
    values = _distinct(con, raw)
    kind = source.kinds[role]
    col = column_of(values.to_pandas()) if kind == "float" else arrow_column(pc.cast(values, pa.string()))
    result = clean_ids(col)
    clean = result.distinct.take(pa.array(result.codes))
    clean = pc.if_else(pa.array(result.blank), pa.nulls(len(clean), pa.string()), clean)
    name = f"m_{raw}"
    _register(con, name, pa.table({"t": values, "v": clean}))
    return result.note


def plan_clean(con: Any, source: RowSource, *, mapped_ids: bool) -> Plan:
    r"""The plan of the ``clean`` relation; mappings of slow columns are made in ``con``.

    Examples
    --------
    >>> import tempfile, duckdb
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id,date,amount\n A ,2024-01-02,10\nB,2024-01-05,abc\n,2024-01-06,3\n")
    >>> con = duckdb.connect()
    >>> source = ingest(con, [file_source(f"{folder.name}/orders.csv")], ReadOptions())
    >>> plan = plan_clean(con, source, mapped_ids=True)
    >>> _ = con.execute(f"CREATE TEMP VIEW clean AS {plan.relation(source.options.columns())}")
    >>> plan.cid, plan.joins[0]
    ('m_id.v', 'LEFT JOIN m_id ON m_id.t = src.id')
    >>> con.sql("SELECT cid, day_no, amt, amount_bad FROM clean ORDER BY pos").fetchall()
    [('A', 19724, 10.0, False), ('B', 19727, nan, True), (None, 19728, 3.0, False)]
    >>> con.close()
    >>> folder.cleanup()
    """
    plan = Plan()
    kinds = source.kinds
    if mapped_ids or kinds["customer"] == "float":
        plan.id_note = id_map(con, source)
        plan.joins.append("LEFT JOIN m_id ON m_id.t = src.id")
        plan.cid = "m_id.v"
    elif kinds["customer"] == "int":
        plan.cid = "CAST(src.id AS VARCHAR)"
    values = {role: _numbers(con, plan, role, kinds[role], source.delimiter) for role in _NUMBERS if role in kinds}
    plan.amt = f"({values['quantity']}) * ({values['price']})" if source.options.line_items else values["amount"]
    blank_policy = source.options.blank_policy
    not_blank = (
        "true"
        if blank_policy == "raise"
        else ("m_id.v IS NOT NULL" if plan.cid == "m_id.v" else not_blank_id(kinds["customer"]))
    )
    _dates(con, plan, source, not_blank)
    if "invoice" in kinds:
        id_map(con, source, "invoice")
        plan.joins.append("LEFT JOIN m_inv ON m_inv.t = src.inv")
        plan.inv = "m_inv.v"
        plan.flags["inv_blank"] = "m_inv.v IS NULL"
    return plan


# ----------------------------------------------------------------------------------------------
# Ids: the column-wide part of the id rule, checked on the distinct ids


@dataclass
class IdCheck:
    """What the id rule would change in the distinct ids: blanks, spaces, decimal-written whole numbers, length."""

    blank: int = 0
    changed: bool = False
    longest: int = 0
    point: bool = False
    integral: bool = False
    all_whole: bool = True

    @property
    def needs_map(self) -> bool:
        """True when ids must go through the reader's id rule (anything but clean text ids)."""
        return self.blank > 0 or self.changed or (self.point and self.integral and self.all_whole)


def check_ids(con: Any, relation: str) -> IdCheck:
    r"""Stream the distinct ids of ``relation`` (column ``cid``) through the id rule's tests, in batches.

    Examples
    --------
    >>> import tempfile, duckdb
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id,date,amount\n A ,2024-01-02,10\nB,2024-01-05,abc\n,2024-01-06,3\n")
    >>> con = duckdb.connect()
    >>> source = ingest(con, [file_source(f"{folder.name}/orders.csv")], ReadOptions())
    >>> plan = plan_clean(con, source, mapped_ids=False)
    >>> _ = con.execute(f"CREATE TEMP VIEW clean AS {plan.relation(source.options.columns())}")
    >>> check = check_ids(con, "clean")
    >>> check.blank, check.changed, check.needs_map  # a blank id, and " A " is not clean
    (1, True, True)
    >>> con.close()
    >>> folder.cleanup()
    """
    plain = _check_plain_ids(con, relation)
    if plain is not None:
        return plain
    return _check_ids_arrow(con, relation)


#: Ids of these characters only have no space, no point and no character whose lower case the test needs.
_PLAIN_ID = "[A-Za-z0-9_-]+"


def _check_plain_ids(con: Any, relation: str) -> IdCheck | None:
    """:func:`check_ids` in one SQL aggregate when every id is ASCII letters, digits, ``_`` and ``-``; else None.

    Such ids have nothing to trim and no point, so the id rule leaves them as they are unless one is blank
    text (``"NaN"``, ``"null"``...; ASCII, so SQL's lower case is the reader's): the answer of the Arrow
    test, without moving the ids to Python.
    """
    blanks = ", ".join(string_literal(t) for t in sorted(BLANK_ID_TEXTS))
    odd, blank, longest, whole = con.sql(
        f"SELECT count(*) FILTER (cid IS NULL OR NOT regexp_full_match(cid, '{_PLAIN_ID}')), "
        f"count(*) FILTER (lower(cid) IN ({blanks})), max(length(cid)), "
        f"bool_and(regexp_full_match(cid, '[0-9]+') OR lower(cid) IN ({blanks})) FROM {relation}"
    ).fetchall()[0]
    if odd:
        return None
    return IdCheck(blank=int(blank), longest=int(longest or 0), all_whole=whole is not False)


def _check_ids_arrow(con: Any, relation: str) -> IdCheck:
    """:func:`check_ids` by the reader's Arrow tests on every distinct id, in batches."""
    check = IdCheck()
    reader = con.sql(f"SELECT cid FROM {relation}").to_arrow_reader(1 << 18)
    for batch in reader:
        texts = batch.column(0)
        check.blank += texts.null_count
        texts = texts.fill_null("")
        trimmed = pc.utf8_trim(texts, characters=ID_SPACES)
        check.changed |= not pc.all(pc.equal(trimmed, texts)).as_py()
        check.blank += int(pc.sum(blank_mask(trimmed)).as_py() or 0)
        if len(trimmed):
            check.longest = max(check.longest, int(pc.max(pc.utf8_length(trimmed)).as_py() or 0))
        if pc.any(pc.match_substring(trimmed, ".")).as_py():
            check.point = True
            integral = pc.match_substring_regex(trimmed, r"^[0-9]+\.0+$")
            check.integral |= bool(pc.any(integral).as_py())
            whole = pc.or_(pc.or_(integral, pc.match_substring_regex(trimmed, r"^[0-9]+$")), blank_mask(trimmed))
            check.all_whole &= bool(pc.all(whole).as_py())
        elif not pc.all(pc.or_(pc.match_substring_regex(trimmed, r"^[0-9]+$"), blank_mask(trimmed))).as_py():
            check.all_whole = False
    return check


# ----------------------------------------------------------------------------------------------
# The first problem, in the reader's order, with its rows


def _rows(con: Any, where: str, value: str = "NULL", limit: int | None = None) -> tuple[np.ndarray, list]:
    """Positions (sorted) and values of the clean rows matching ``where``."""
    sql = f"SELECT pos, {value} AS v FROM clean WHERE {where} ORDER BY pos" + (f" LIMIT {limit}" if limit else "")
    table = con.sql(sql).to_arrow_table()
    return table.column("pos").to_numpy(), table.column("v").to_pylist()


def _count(con: Any, where: str) -> int:
    return int(con.sql(f"SELECT count(*) FROM clean WHERE {where}").fetchall()[0][0])


def long_ids(con: Any, source: RowSource) -> DataError | None:
    r"""The reader's message for ids past ``max_id_length``, found on the raw ids before any grouping.

    Examples
    --------
    >>> import tempfile, duckdb
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id,date,amount\nA,2024-01-02,10\n" + "B" * 40 + ",2024-01-05,3\n")
    >>> con = duckdb.connect()
    >>> source = ingest(con, [file_source(f"{folder.name}/orders.csv")], ReadOptions(max_id_length=5))
    >>> print(long_ids(con, source))
    read_transactions: the customer-id column 'customer_id' holds 1 id longer than 5 characters: line 3 ('BBBB...
    >>> con.close()
    >>> folder.cleanup()
    """
    limit = int(source.options.max_id_length)
    kind = source.kinds["customer"]
    if kind not in ("text", "int"):
        return None
    raw = "CAST(src.id AS VARCHAR)" if kind == "int" else "src.id"
    if not con.sql(f"SELECT count(*) FROM src WHERE length({raw}) > {limit}").fetchall()[0][0]:
        return None
    trimmed = f"trim({raw}, {string_literal(ID_SPACES)})"
    where = f"length({trimmed}) > {limit}"
    n, longest = con.sql(f"SELECT count(*), max(length({trimmed})) FROM src WHERE {where}").fetchall()[0]
    if not n:
        return None
    table = con.sql(f"SELECT pos, {trimmed} AS v FROM src WHERE {where} ORDER BY pos").to_arrow_table()
    values = np.asarray(table.column("v").slice(0, 3).to_pylist(), dtype=object)
    return long_ids_error(
        source.options.customer, limit, table.column("pos").to_numpy(), values, int(longest), source.locator
    )


def first_error(con: Any, source: RowSource, plan: Plan, max_id_length: int) -> DataError | None:
    r"""The reader's first error on the clean rows (``clean`` over the exact id map), or None.

    Examples
    --------
    >>> import tempfile, duckdb
    >>> from crmlib.data.paths import file_source
    >>> folder = tempfile.TemporaryDirectory()
    >>> with open(f"{folder.name}/orders.csv", "w", encoding="utf-8") as fh:
    ...     _ = fh.write("customer_id,date,amount\n A ,2024-01-02,10\nB,2024-01-05,abc\n,2024-01-06,3\n")
    >>> con = duckdb.connect()
    >>> source = ingest(con, [file_source(f"{folder.name}/orders.csv")], ReadOptions())
    >>> plan = plan_clean(con, source, mapped_ids=True)
    >>> _ = con.execute(f"CREATE TEMP VIEW clean AS {plan.relation(source.options.columns())}")
    >>> print(first_error(con, source, plan, max_id_length=200))
    read_transactions: the customer-id column 'customer_id' is blank in 1 of 3 rows: line 4 ...
    >>> con.close()
    >>> folder.cleanup()
    """
    with _statistics_unused(con):
        return _first_error(con, source, plan, max_id_length)


@contextmanager
def _statistics_unused(con: Any) -> Iterator[None]:
    """Queries that do not trust the files' statistics.

    Parquet's statistics leave NaN out of a column's minimum and maximum, and DuckDB, trusting them, would fold
    ``isnan()`` of such a column to false, in the optimizer and in the filters pushed into the scan (which skip
    row groups by their statistics).
    """
    before = con.sql("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    con.execute("SET disabled_optimizers = 'statistics_propagation,filter_pushdown'")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = {string_literal(before)}")


def _first_error(con: Any, source: RowSource, plan: Plan, max_id_length: int) -> DataError | None:
    options, locator = source.options, source.locator
    long_where = f"length(cid) > {int(max_id_length)}"
    if _count(con, long_where):
        pos, values = _rows(con, long_where, "cid")
        longest = int(con.sql(f"SELECT max(length(cid)) FROM clean WHERE {long_where}").fetchall()[0][0])
        return long_ids_error(
            options.customer, max_id_length, pos, np.asarray(values[:3], dtype=object), longest, locator
        )
    scope = "true"
    if _count(con, "cid IS NULL"):
        if options.blank_policy == "raise":
            return blank_ids_error(options.customer, _rows(con, "cid IS NULL")[0], _count(con, "true"), locator)
        if not _count(con, "cid IS NOT NULL"):
            return no_ids_error(locator.name)
        scope = "cid IS NOT NULL"
    error = _number_error(con, source, plan, scope)
    if error is None:
        error = _date_error(con, source, plan, scope)
    if error is None and plan.inv and _count(con, f"{scope} AND inv_blank"):
        error = blank_invoice_error(_rows(con, f"{scope} AND inv_blank")[0], locator, options.invoice or "")
    return error


def _number_error(con: Any, source: RowSource, plan: Plan, scope: str) -> DataError | None:
    """Empty and unreadable amounts (or quantities and prices), then implausible ones, as the reader checks them."""
    options, locator = source.options, source.locator
    for role in _NUMBERS:
        if f"{role}_blank" not in plan.flags:
            continue
        column = getattr(options, role)
        if _count(con, f"{scope} AND {role}_blank"):
            return amounts.empty_error(role, column, _rows(con, f"{scope} AND {role}_blank")[0], locator)
        n_bad = _count(con, f"{scope} AND {role}_bad")
        if n_bad:
            pos, values = _rows(con, f"{scope} AND {role}_bad", f"raw_{role}")
            some = n_bad < _count(con, scope)
            return amounts.not_numbers_error(role, column, pos, np.asarray(values, dtype=object), some, locator)
    limit = float(options.max_amount)
    label = options.amount if not options.line_items else "quantity x price"
    if _count(con, f"{scope} AND NOT (abs(amt) <= {limit!r})"):
        pos, values = _rows(con, f"{scope} AND NOT (abs(amt) <= {limit!r})", "amt")
        return amounts.too_large_error(label, pos, np.asarray(values, dtype=float), limit, locator)
    total = con.sql(f"SELECT sum(abs(amt)) FROM clean WHERE {scope}").fetchall()[0][0]
    if total is not None and not np.isfinite(total):
        return amounts.overflow_error(label)
    return None


def _date_error(con: Any, source: RowSource, plan: Plan, scope: str) -> DataError | None:
    """Empty dates, then the date rule's problem, then days out of range, as the reader checks them."""
    options, locator = source.options, source.locator
    if _count(con, f"{scope} AND date_blank"):
        return dates.empty_dates_error(_rows(con, f"{scope} AND date_blank")[0], locator, options.date)
    problem = plan.date_problem
    if problem is not None:
        where = f"{scope} AND date_bad" if problem.names_rows else scope
        pos, values = _rows(con, where, "raw_date", None if problem.names_rows else SHOW)
        return problem.error(pos, np.asarray(values, dtype=object), locator, options.date)
    out_of_range = f"{scope} AND (day_no < {dates.FIRST_DAY} OR day_no > {dates.LAST_DAY})"
    if _count(con, out_of_range):
        pos, days = _rows(con, out_of_range, "day_no")
        return dates.range_error(pos, np.asarray(days[:SHOW], dtype=np.int64), locator, options.date)
    return None
