"""One input column, as the rules see it: typed values, or text as codes into its distinct values.

Text is worked on through its distinct values (a 5-million-row log has a few thousand distinct days),
so every rule runs once per distinct value and its answer is spread to the rows by the codes. Text
read by pyarrow keeps its Arrow array, so plain numbers and ISO dates convert in one vectorised cast
and the codes are computed only when a rule needs them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.data.codes import sorted_codes, workers

__all__ = ["Column", "arrow_column", "column_of", "is_arrow_text", "is_text", "repeated_header_rows", "stripped"]


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _background() -> ThreadPoolExecutor:
    """The threads that convert columns while the reader works on others."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(workers(), thread_name_prefix="crmlib-columns")
        return _POOL


def is_text(series: pd.Series) -> bool:
    """True for a text (string or object) Series.

    Examples
    --------
    >>> is_text(pd.Series(["A", "B"])), is_text(pd.Series([1.0, 2.0]))
    (True, False)
    """
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def is_arrow_text(dtype: Any) -> bool:
    """True for text that pandas holds in Arrow (pandas 3's default ``str``, ``string[pyarrow]``).

    Such a column can go to Arrow's kernels as it is (``pa.array(series.array)``), without a Python object per value.

    Examples
    --------
    >>> is_arrow_text(pd.StringDtype("pyarrow")), is_arrow_text(pd.Series(["A"], dtype=object).dtype)
    (True, False)
    """
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _with_blank(codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(codes) and codes.min() < 0:
        codes = np.where(codes < 0, len(uniques), codes)
        uniques = np.append(uniques, "")
    return codes, uniques


class Column:
    """A typed Series, or text: an Arrow string array and/or codes into distinct values (blank = "").

    Parameters
    ----------
    series : Series, optional
        Typed values (numbers, datetimes, booleans).
    codes, uniques : ndarray, optional
        Text as a code per row into the distinct texts.
    arrow : pyarrow.Array or pyarrow.ChunkedArray, optional
        Text as an Arrow string array (nulls are blank), in chunks as a file's parser gave them.

    Examples
    --------
    Text read from a file, as an Arrow array:

    >>> col = Column(arrow=pa.array(["12.50", " 3", None, "12.50"]))
    >>> col.text, len(col)
    (True, 4)
    >>> codes, distinct = col.dictionary_codes()
    >>> codes.tolist(), distinct.to_pylist()
    ([0, 1, -1, 0], ['12.50', ' 3'])
    >>> col.sorted_codes()[0].tolist()
    [1, 0, -1, 1]
    >>> col.equals("3").tolist()
    [False, True, False, False]
    >>> col.cast(pa.float64()) is None  # a null does not convert
    True
    >>> kept = col.take(np.array([True, True, False, True]))
    >>> len(kept), kept.values([1]).tolist()
    (3, [' 3'])
    >>> Column(arrow=pa.array(["12.50", "3"])).cast(pa.float64()).tolist()
    [12.5, 3.0]

    A conversion of the text, run once (:meth:`prefetch` starts it in a background thread):

    >>> def lengths(arrow):
    ...     return pc.utf8_length(arrow.fill_null("")).to_numpy()
    >>> col.prefetch(lengths)
    >>> col.converted(lengths).tolist()
    [5, 2, 0, 5]
    """

    series: Any
    arrow: Any

    def __init__(
        self,
        series: pd.Series | None = None,
        codes: np.ndarray | None = None,
        uniques: np.ndarray | None = None,
        arrow: pa.Array | pa.ChunkedArray | None = None,
    ) -> None:
        self.series = series
        self._codes: Any = codes
        self._uniques: Any = uniques
        self.arrow = arrow
        self._sorted: tuple[np.ndarray, pa.Array] | None = None
        self._longest: int | None = None
        self._converted: dict[Callable[..., Any], Any] = {}  # a conversion of the text -> its result (or Future)

    @property
    def text(self) -> bool:
        """True when the column holds text."""
        return self._codes is not None or self.arrow is not None

    def _encode(self) -> None:
        codes, dictionary = self.dictionary_codes()
        uniques = np.asarray(dictionary.to_numpy(zero_copy_only=False), dtype=object)
        self._codes, self._uniques = _with_blank(codes, uniques)

    def dictionary_codes(self) -> tuple[np.ndarray, pa.Array]:
        """Codes (int64, -1 for a null) and the distinct texts as Arrow (in order of appearance), hashed once."""
        if getattr(self, "_dictionary", None) is None:
            arrow = self.arrow.combine_chunks() if isinstance(self.arrow, pa.ChunkedArray) else self.arrow
            enc = pc.dictionary_encode(arrow)
            codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
            self._dictionary = (codes, enc.dictionary)
        return self._dictionary

    def sorted_codes(self) -> tuple[np.ndarray, pa.Array]:
        """Codes (int64, -1 for a null) into the distinct texts sorted (:func:`crmlib.data.codes.sorted_codes`)."""
        if self._sorted is None:
            self._sorted = sorted_codes(self.arrow, longest=self.longest_bytes())
        return self._sorted

    def longest_bytes(self) -> int:
        """The length in bytes of the longest Arrow text (0 for none), measured once."""
        if self._longest is None:
            self._longest = int(pc.max(pc.binary_length(self.arrow)).as_py() or 0) if self.arrow is not None else 0
        return self._longest

    def prefetch(self, convert: Callable[[Any], np.ndarray | None]) -> None:
        """Start ``convert(arrow)`` in a background thread (pyarrow and numpy work without the interpreter lock)."""
        if self.arrow is not None and convert not in self._converted:
            self._converted[convert] = _background().submit(convert, self.arrow)

    def converted(self, convert: Callable[[Any], np.ndarray | None]) -> np.ndarray | None:
        """``convert(arrow)``: a per-row conversion of the text (numpy, or None when some value does not convert)."""
        if convert not in self._converted:
            self._converted[convert] = convert(self.arrow)
        value = self._converted[convert]
        if isinstance(value, Future):
            value = self._converted[convert] = value.result()
        return value

    @property
    def codes(self) -> np.ndarray:
        """A code per row into :attr:`uniques`."""
        if self._codes is None and self.arrow is not None:
            self._encode()
        return self._codes

    @property
    def uniques(self) -> np.ndarray:
        """The distinct texts (object array; blank is "")."""
        if self._codes is None and self.arrow is not None:
            self._encode()
        return self._uniques

    def __len__(self) -> int:
        if self.arrow is not None:
            return len(self.arrow)
        return len(self._codes) if self._codes is not None else len(self.series)

    def take(self, keep: np.ndarray) -> Column:
        """The rows where ``keep`` is True."""
        if self.arrow is not None and self._codes is None:
            out = Column(arrow=self.arrow.filter(pa.array(keep)))
            for convert in self._converted:  # per-row conversions are kept (one that failed may not fail now)
                value = self.converted(convert)
                if value is not None:
                    out._converted[convert] = value[keep]
            if self._sorted is not None:  # codes too, into the distinct texts still present
                codes, distinct = self._sorted
                codes = codes[keep]
                present = np.bincount(codes[codes >= 0], minlength=len(distinct)) > 0
                if not present.all():
                    remap = np.append(np.cumsum(present) - 1, -1)
                    codes, distinct = remap[codes], distinct.filter(pa.array(present))
                out._sorted = (codes, distinct)
            return out
        if self.text:
            codes = self.codes[keep]
            present = np.bincount(codes, minlength=len(self.uniques)) > 0
            remap = np.cumsum(present) - 1
            return Column(codes=remap[codes], uniques=self.uniques[present])
        return Column(series=self.series[keep].reset_index(drop=True))

    def equals(self, text: str) -> np.ndarray:
        """Row mask: the value (spaces stripped) equals ``text``."""
        if self._sorted is not None:  # compared once per distinct text
            codes, distinct = self._sorted
            same = pc.equal(pc.utf8_trim_whitespace(distinct), text).fill_null(False)
            if not pc.any(same).as_py():
                return np.zeros(len(codes), bool)
            return np.append(np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool), False)[codes]
        if self.arrow is not None and self._codes is None:
            # a value equal to ``text`` once stripped contains it: only those rows are stripped and compared
            candidates = pc.match_substring(self.arrow, text).fill_null(False)
            if not pc.any(candidates).as_py():
                return np.zeros(len(self.arrow), bool)
            mask = np.asarray(candidates.to_numpy(zero_copy_only=False), dtype=bool)
            rows = np.flatnonzero(mask)
            found = pc.equal(pc.utf8_trim_whitespace(self.arrow.take(pa.array(rows))), text).fill_null(False)
            mask[rows] = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
            return mask
        if self.text:
            return (stripped(self.uniques) == text)[self.codes]
        return np.zeros(len(self), bool)

    def cast(self, arrow_type: pa.DataType) -> np.ndarray | None:
        """The Arrow text cast to ``arrow_type`` (numpy), or None if some value does not convert."""
        if self.arrow is None or len(self.arrow) == 0:
            return None
        try:
            out = pc.cast(self.arrow, arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if out.null_count:
            return None
        return out.to_numpy(zero_copy_only=False)

    def values(self, positions: Any) -> np.ndarray:
        """The values at ``positions`` as the user wrote them (for messages)."""
        positions = np.asarray(positions, dtype=np.int64)
        if self.arrow is not None and self._codes is None:
            return np.asarray(self.arrow.take(pa.array(positions)).fill_null("").to_pylist(), dtype=object)
        if self.text:
            return self.uniques[self.codes[positions]]
        return self.series.to_numpy()[positions]


def stripped(uniques: np.ndarray) -> np.ndarray:
    r"""The texts with spaces (Python's whitespace, non-breaking spaces included) stripped at both ends.

    Examples
    --------
    >>> stripped(np.array([" A ", "B\u00a0"], dtype=object)).tolist()
    ['A', 'B']
    """
    return np.asarray(pd.Series(uniques, dtype=object).str.strip().to_numpy(dtype=object), dtype=object)


def _date_cells(series: pd.Series) -> Column | None:
    """Date cells of a workbook (datetime objects) or Parquet dates (datetime.date) as a typed column."""
    nonnull = series.dropna()
    if (
        not len(nonnull)
        or not nonnull.map(lambda v: hasattr(v, "year") and hasattr(v, "month") and hasattr(v, "day")).all()
    ):
        return None
    try:
        naive = series.map(lambda v: pd.Timestamp(v).tz_localize(None) if getattr(v, "tzinfo", None) else v)
        return Column(series=pd.Series(pd.to_datetime(naive).to_numpy()))
    except (ValueError, TypeError, OverflowError):  # out-of-range years: read as text, refused with their rows
        return None


def column_of(series: pd.Series, dates: bool = False) -> Column:
    """The :class:`Column` of a Series read from a source (``dates``: the date column).

    Examples
    --------
    >>> col = column_of(pd.Series(["A", None, "A"], dtype=object))
    >>> col.text, col.codes.tolist(), col.uniques.tolist()
    (True, [0, 1, 0], ['A', ''])
    >>> column_of(pd.Series([1.5, 2.0])).text
    False
    """
    if dates and series.dtype == object:
        typed = _date_cells(series)
        if typed is not None:
            return typed
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = pd.Series(np.asarray(series, dtype=object), dtype=object)
    if not is_text(series):
        return Column(series=series.reset_index(drop=True))
    if is_arrow_text(series.dtype):
        arr = pa.array(series.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return Column(arrow=arr)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    uniques = np.array([u if isinstance(u, str) else str(u) for u in uniques], dtype=object)
    codes, uniques = _with_blank(codes.astype(np.int64), uniques)
    return Column(codes=codes, uniques=uniques)


def arrow_column(array: pa.Array | pa.ChunkedArray) -> Column:
    """The :class:`Column` of an Arrow string column (as read from a text file; chunks are kept, not copied).

    Examples
    --------
    >>> col = arrow_column(pa.chunked_array([["A", "B"]]))
    >>> col.text, col.values([1]).tolist()
    (True, ['B'])
    """
    if isinstance(array, pa.ChunkedArray) and array.num_chunks == 1:
        array = array.chunk(0)
    return Column(arrow=array)


def repeated_header_rows(cols: dict[str, Column], wanted: dict[str, str]) -> np.ndarray | None:
    """Rows that repeat the header (every column holds its own name): concatenated exports. None if none.

    Examples
    --------
    Two exports pasted one after the other: the second header is a data row.

    >>> cols = {
    ...     "customer": arrow_column(pa.array(["A", "customer_id", "B"])),
    ...     "amount": arrow_column(pa.array(["10", "amount", "5"])),
    ... }
    >>> repeated_header_rows(cols, {"customer": "customer_id", "amount": "amount"}).tolist()
    [False, True, False]
    """
    if not all(c.text for c in cols.values()):
        return None
    dup = cols["customer"].equals(wanted["customer"].strip())
    for role, col in cols.items():
        if not dup.any():
            return None
        if role != "customer":
            dup &= col.equals(wanted[role].strip())
    return dup if dup.any() else None
