r"""The customer-id rule: ids are text, compared without surrounding spaces; blank ids are named.

* Spaces at both ends are not part of an id: ``"abc"``, ``" abc "`` and ``"abc\\xa0"`` (a non-breaking
  space) are one customer. The spaces are those of Python's ``str.strip`` (:data:`ID_SPACES`).
* An id that is empty, or one of :data:`BLANK_ID_TEXTS` (``NaN``, ``NULL``, ``N/A``...; any case) is
  blank: the row has no customer.
* Ids written as decimal numbers by a spreadsheet (``13085.0``) are whole numbers (``"13085"``) when
  every id of the column is a whole number, so the column is not a column of decimal codes.
* An id longer than ``max_id_length`` characters is refused: it is not an id (and each would cost its
  length in memory per customer).

The same rule runs in SQL for :func:`crmlib.scale.summarize_file` (:func:`sql_clean_id`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.data.codes import text_offsets
from crmlib.data.columns import Column
from crmlib.data.errors import DataError, Hint
from crmlib.data.rows import RowLocator, plural, short

__all__ = [
    "BLANK_ID_TEXTS",
    "ID_SPACES",
    "IdResult",
    "blank_ids_error",
    "check_id_length",
    "clean_ids",
    "clean_texts",
    "check_raw_length",
    "long_ids_error",
    "no_ids_error",
    "sql_clean_id",
]

#: Customer-id texts that count as blank (compared after stripping spaces, case-insensitive).
BLANK_ID_TEXTS = frozenset({"", "nan", "null", "none", "n/a", "#n/a", "na", "<na>"})

#: The characters stripped from both ends of an id: Python's whitespace (``str.isspace``), written out (finding them
#: among all 1.1 million code points took about 0.1 s of CPU at every import; a test checks the list against them).
ID_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)

_INTEGRAL = r"^[0-9]+\.0+$"
_WHOLE = r"^[0-9]+$"
_NOTE_TEXT = "customer ids written as decimal numbers (such as 13085.0) were read as whole numbers ('13085')"
_NOTE_TYPED = "customer ids stored as decimal numbers (such as 13085.0) were read as whole numbers ('13085')"


@dataclass
class IdResult:
    """Customer ids: a code per row into ``distinct`` (clean ids, Arrow text), the blank rows, and a note."""

    codes: np.ndarray
    distinct: pa.Array
    blank: np.ndarray
    note: str | None


def _arrow_text(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string())


def clean_texts(texts: pa.Array) -> tuple[pa.Array, str | None]:
    """The id rule on distinct texts: stripped, whole numbers written as decimals repaired; and a note.

    Examples
    --------
    >>> clean, note = clean_texts(pa.array([" 13085.0", "12346.0", "N/A"]))
    >>> clean.to_pylist()
    ['13085', '12346', 'N/A']
    >>> note is not None
    True
    """
    trimmed = pc.utf8_trim(texts, characters=ID_SPACES)
    if not _holds_dot(trimmed):
        return trimmed, None
    integral = pc.match_substring_regex(trimmed, _INTEGRAL)
    plain = pc.or_(pc.match_substring_regex(trimmed, _WHOLE), blank_mask(trimmed))
    if pc.any(integral).as_py() and pc.all(pc.or_(integral, plain)).as_py():
        repaired = pc.replace_substring_regex(trimmed, r"\.0+$", "")
        return pc.if_else(integral, repaired, trimmed), _NOTE_TEXT
    return trimmed, None


def _holds_dot(texts: pa.Array | pa.ChunkedArray) -> bool:
    """True when some text holds a ``.``: one look at the bytes (an ASCII byte is never part of another character).

    Examples
    --------
    >>> _holds_dot(pa.array(["13085", None, "12346.0"]).slice(0, 2)), _holds_dot(pa.array(["13085", "12346.0"]))
    (False, True)
    """
    if not isinstance(texts, pa.Array) or not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        return bool(pc.any(pc.match_substring(texts, ".")).as_py())
    if len(texts) == 0 or texts.buffers()[2] is None:
        return False
    offsets = text_offsets(texts)
    data = np.frombuffer(texts.buffers()[2], np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return bool((data == ord(".")).any())


def blank_mask(texts: pa.Array) -> pa.Array:
    """True for texts (already stripped) that are blank ids."""
    short_enough = pc.less_equal(pc.utf8_length(texts), max(len(t) for t in BLANK_ID_TEXTS))
    if not pc.any(short_enough).as_py():  # no text is short enough to be a blank id (a null is one)
        return short_enough.fill_null(True)
    lowered = pc.utf8_lower(texts)
    return pc.and_(short_enough, pc.is_in(lowered, pa.array(sorted(BLANK_ID_TEXTS)))).fill_null(True)


def _typed_texts(series: pd.Series) -> tuple[np.ndarray, str | None]:
    """Ids stored as numbers (or other typed values) as text, per row."""
    note = None
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(values)
        if np.all(values[finite] == np.round(values[finite])) and np.all(np.abs(values[finite]) < 2**53):
            text = np.where(finite, np.round(np.nan_to_num(values)).astype(np.int64).astype(str), "")
            if finite.any():
                note = _NOTE_TYPED
        else:
            text = np.where(finite, values.astype(str), "")
        return text.astype(object), note
    if pd.api.types.is_integer_dtype(series):
        return series.astype("Int64").astype(str).to_numpy(dtype=object), None
    return series.astype(str).to_numpy(dtype=object), None


def clean_ids(col: Column) -> IdResult:
    """Apply the id rule to a column: codes into the distinct clean ids, the blank rows, a note.

    Text read by pyarrow is hashed once (into its distinct values in sorted order, which the canonical
    frame's order needs); the rule runs on the distinct values, and the ids are hashed again only when
    the rule changed some (spaces stripped, decimals repaired).

    Examples
    --------
    >>> ids = clean_ids(Column(arrow=pa.array(["B ", "A", None, " B"])))
    >>> ids.distinct.to_pylist(), ids.codes.tolist(), ids.blank.tolist()
    (['B', 'A', ''], [0, 1, 2, 0], [False, False, True, False])
    """
    padded = False
    if col.arrow is not None:
        codes, texts = col.sorted_codes()
        if (codes < 0).any():  # nulls are blank ids: give them the text ""
            codes = np.where(codes < 0, len(texts), codes)
            texts = pa.concat_arrays([texts, pa.array([""], texts.type)])
            padded = True
    elif col.text:
        codes, texts = col.codes, _arrow_text(col.uniques)
        note_typed = None
    else:
        per_row, note_typed = _typed_texts(col.series)
        codes, uniques = pd.factorize(pd.Series(per_row, dtype=object))
        texts = _arrow_text(np.asarray(uniques, dtype=object))
    clean, note = clean_texts(texts)
    if not col.text:
        note = note_typed
    if pc.all(pc.equal(clean, texts)).as_py() is not False and not padded:  # the distinct texts, unchanged
        distinct, remap = clean, None
    else:  # distinct ids after stripping and repairs
        enc = pc.dictionary_encode(clean)
        distinct, remap = enc.dictionary, enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.asarray(codes, dtype=np.int64) if remap is None else remap[np.asarray(codes, dtype=np.int64)]
    blank_distinct = blank_mask(distinct).to_numpy(zero_copy_only=False)
    blank = blank_distinct[codes] if blank_distinct.any() else np.zeros(len(codes), bool)
    return IdResult(codes=codes, distinct=distinct, blank=blank, note=note)


def check_id_length(ids: IdResult, locator: RowLocator, column: str, limit: int) -> None:
    """DataError naming the rows whose id is longer than ``limit`` characters.

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> ids = clean_ids(Column(arrow=pa.array(["A", "a very long text pasted into the id column"])))
    >>> check_id_length(ids, locator, "customer_id", 200)
    >>> check_id_length(ids, locator, "customer_id", 10)
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the customer-id column 'customer_id' holds 1 id longer than 10 ...
    """
    lengths = pc.utf8_length(ids.distinct).to_numpy(zero_copy_only=False)
    long_ids = lengths > limit
    if long_ids.any():
        pos = np.flatnonzero(long_ids[ids.codes])
        values = np.asarray(ids.distinct.take(pa.array(ids.codes[pos[:3]])).to_pylist(), dtype=object)
        raise long_ids_error(column, limit, pos, values, int(lengths.max()), locator)


def check_raw_length(col: Column, locator: RowLocator, column: str, limit: int) -> None:
    """DataError for ids past ``limit`` found on the raw text, before any copy of the column is made.

    A raw text is at least as long as its id (spaces are stripped), so only rows longer than ``limit`` as
    written are looked at, and named when their stripped id is still too long.

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> col = Column(arrow=pa.array(["A" + " " * 30, "B" * 30]))
    >>> check_raw_length(col, locator, "customer_id", 10)
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the customer-id column 'customer_id' holds 1 id longer than 10 ...
    """
    if col.arrow is None or len(col.arrow) == 0:
        return
    if col.longest_bytes() <= limit:  # no text has more bytes, so more characters
        return
    lengths = pc.utf8_length(col.arrow.fill_null(""))
    if (pc.max(lengths).as_py() or 0) <= limit:
        return
    candidates = np.flatnonzero(pc.greater(lengths, limit).to_numpy(zero_copy_only=False))
    trimmed = pc.utf8_trim(col.arrow.take(pa.array(candidates)), characters=ID_SPACES)
    clean_lengths = pc.utf8_length(trimmed).to_numpy(zero_copy_only=False)
    long_rows = candidates[clean_lengths > limit]
    if len(long_rows):
        values = np.asarray(trimmed.filter(pa.array(clean_lengths > limit)).slice(0, 3).to_pylist(), dtype=object)
        raise long_ids_error(column, limit, long_rows, values, int(clean_lengths.max()), locator)


def long_ids_error(
    column: str, limit: int, positions: np.ndarray, values: np.ndarray, longest: int, locator: RowLocator
) -> DataError:
    """The message for ids longer than ``limit`` (``values``: the ids of the first rows).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> error = long_ids_error("customer_id", 5, np.array([4]), np.array(["ABCDEFG"], dtype=object), 7, locator)
    >>> print(error)
    read_transactions: the customer-id column 'customer_id' holds 1 id longer than 5 characters: line 6 ('ABCDEFG' ...
    """
    shown = [f"{short(v)!r} ({len(v):,} characters)" for v in values[:3]]
    where = ", ".join(locator.number(int(p)) for p in locator.source_positions(positions[:3]))
    example = f": {where}" + (f" ({'; '.join(shown)})" if locator.quote else "")
    return DataError(
        f"read_transactions: the customer-id column {column!r} holds {plural(len(positions), 'id')} longer than "
        f"{limit:,} characters{example}. A customer id is a short code: check that "
        f"{Hint('customer', column)} names the id column, or if such ids are real pass "
        f"{Hint('max_id_length', longest)}."
    )


def blank_ids_error(column: str, positions: np.ndarray, n_rows: int, locator: RowLocator) -> DataError:
    """The message for rows without a customer id (``blank_customers="raise"``).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> print(blank_ids_error("customer_id", np.array([0, 2]), 10, locator))
    read_transactions: the customer-id column 'customer_id' is blank in 2 of 10 rows: line 2, line 4. ...
    """
    return DataError(
        f"read_transactions: the customer-id column {column!r} is blank in {len(positions):,} of "
        f"{n_rows:,} rows: {locator.rows(positions)}. Fill in the ids, or pass {Hint('blank_customers', 'drop')} to "
        "leave those rows out (they are counted in the report)."
    )


def no_ids_error(name: str) -> DataError:
    """The message for a source whose every row is without a customer id (with ``blank_customers="drop"``).

    Examples
    --------
    >>> print(no_ids_error("'orders.csv'"))
    read_transactions: every row of 'orders.csv' is without a customer id; there are no transactions to read.
    """
    return DataError(
        f"read_transactions: every row of {name} is without a customer id; there are no transactions to read."
    )


def sql_clean_id(expr: str) -> str:
    """The id rule in DuckDB SQL for a text expression: stripped, blank ids as NULL.

    The whole-number repair (``13085.0``) is a decision over the whole column; the caller applies it
    when the distinct ids call for it (:func:`clean_texts` on them).

    Examples
    --------
    >>> import duckdb
    >>> query = "SELECT " + sql_clean_id("' 42 '") + ", " + sql_clean_id("'N/A'")
    >>> duckdb.connect().execute(query).fetchone()
    ('42', None)
    """
    spaces = ID_SPACES.replace("'", "''")
    blanks = ", ".join("'" + t.replace("'", "''") + "'" for t in sorted(BLANK_ID_TEXTS))
    trimmed = f"trim(CAST({expr} AS VARCHAR), '{spaces}')"
    return f"CASE WHEN lower({trimmed}) IN ({blanks}) THEN NULL ELSE {trimmed} END"
