"""Where rows came from, and how messages name them.

Row numbers in messages are those a person sees when opening the file: in a text file the physical
line number (header = line 1, unless title lines stand above it); in a workbook the spreadsheet's row
number; in a Parquet file data rows counted from 1; in a DataFrame its index labels.

When there are more offending rows than a message can show, all of them are written to a CSV file in
the system's temporary folder (never next to the user's file) and the message says where.
"""

from __future__ import annotations

import copy
import csv
import difflib
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["SHOW", "PartsLocator", "RowLocator", "are", "plural", "short", "suggest"]

#: Offending rows shown in a message.
SHOW = 5
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def short(value: Any, n: int = 40) -> Any:
    """A value as a message shows it: numpy scalars as Python values, long texts cut to ``n`` characters.

    Examples
    --------
    >>> short(np.int64(3)), short("x" * 50, 10)
    (3, 'xxxxxxx...')
    """
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, str) and len(value) > n:
        return value[: n - 3] + "..."
    return value


def plural(count: int, word: str) -> str:
    """``"1 row"``, ``"2 rows"``.

    Examples
    --------
    >>> plural(1, "row"), plural(1200, "row")
    ('1 row', '1,200 rows')
    """
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def are(count: int) -> str:
    """``"is"`` for one, ``"are"`` for more.

    Examples
    --------
    >>> f"1 row {are(1)} blank; 3 rows {are(3)} blank"
    '1 row is blank; 3 rows are blank'
    """
    return "is" if count == 1 else "are"


def suggest(name: str, columns: Sequence[Any]) -> str | None:
    """The column most like ``name`` (ignoring case, spaces and underscores), or None.

    Examples
    --------
    >>> suggest("customer_id", ["Customer ID", "InvoiceDate"])
    'Customer ID'
    >>> suggest("amount", ["client", "day"]) is None
    True
    """
    texts = [str(c) for c in columns]
    lowered = {t.lower().replace(" ", "").replace("_", ""): t for t in texts}
    key = name.lower().replace(" ", "").replace("_", "")
    if key in lowered:
        return lowered[key]
    close = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.5)
    if close:
        return lowered[close[0]]
    found = difflib.get_close_matches(name, texts, n=1, cutoff=0.4)
    return found[0] if found else None


class RowLocator:
    """The rows of a source: how to name the source and its rows in messages.

    Rows are addressed by their position in the current (possibly filtered) columns; ``original``
    maps them back to positions in the source. ``lines`` is called (once, when a message needs
    it) for the physical line number of each data record of a text file whose records do not sit one
    per line (blank lines, values spanning lines).

    Parameters
    ----------
    name : str
        The source as messages name it (``"'sales.csv'"``, ``"the DataFrame"``).
    kind : str
        ``"text"``, ``"parquet"``, ``"excel"`` or ``"frame"``.
    labels : array-like, optional
        A label per source row (a DataFrame's index, a workbook's row numbers).
    offset : int
        Added to a source position to give the number shown.
    row_word : str
        ``"line"``, ``"row"``, ``"index label"``, or ``""`` when the labels say it all.
    convention : str
        How to read the numbers, added once to a list of rows.
    quote : bool
        Whether messages may show values of the source. False for a file reached through a link:
        its content is never printed.

    Examples
    --------
    A text file whose header is line 1: data row 0 is line 2.

    >>> locator = RowLocator("'orders.csv'", "text", offset=2, convention="header = line 1")
    >>> locator.number(0)
    'line 2'
    >>> locator.rows([0, 3], values=["x", "?"])
    "line 2: 'x', line 5: '?' (header = line 1)"
    >>> kept = locator.subset(np.array([1, 3]))  # rows 1 and 3 kept: now positions 0 and 1
    >>> kept.source_positions([1]).tolist(), kept.rows([1], bare=True)
    ([3], 'line 5')
    >>> RowLocator("the DataFrame", "frame", labels=["a", "b"], row_word="index label").number(1)
    "index label 'b'"
    """

    def __init__(
        self,
        name: str,
        kind: str,
        *,
        labels: Any = None,
        offset: int = 0,
        row_word: str = "line",
        convention: str = "",
        quote: bool = True,
    ) -> None:
        self.name = name
        self.kind = kind
        self.labels = labels
        self.offset = offset
        self.row_word = row_word
        self.convention = convention
        self.quote = quote
        self.original: np.ndarray | None = None
        self.lines: Callable[[], np.ndarray | None] | None = None
        self._line_numbers: np.ndarray | None | bool = False

    def subset(self, positions: np.ndarray) -> RowLocator:
        """The same source, for the rows at ``positions`` of the current numbering."""
        new = copy.copy(self)
        positions = np.asarray(positions)
        new.original = self.original[positions] if self.original is not None else positions
        return new

    def source_positions(self, positions: Any) -> np.ndarray:
        """Positions in the source of the current rows at ``positions``."""
        positions = np.asarray(positions, dtype=np.int64)
        return self.original[positions] if self.original is not None else positions

    def _physical(self) -> np.ndarray | None:
        if self._line_numbers is False:
            self._line_numbers = self.lines() if self.lines is not None else None
        return None if self._line_numbers is False or self._line_numbers is True else self._line_numbers

    def number(self, source_pos: int) -> str:
        """The row at source position ``source_pos`` as a message names it (``"line 12"``)."""
        if self.labels is not None:
            label = self.labels[source_pos]
            if not self.row_word:  # labels that are already text, such as "sheet 'A' row 5"
                return str(label)
            return f"{self.row_word} {short(label)!r}"
        lines = self._physical()
        if lines is not None and source_pos < len(lines):
            return f"{self.row_word} {int(lines[source_pos])}"
        return f"{self.row_word} {source_pos + self.offset}"

    def rows(self, positions: Any, values: Any = None, limit: int = SHOW, bare: bool = False, listing: str = "") -> str:
        """The first ``limit`` rows at ``positions`` (with their ``values``), and how many more.

        With ``listing`` (a word for what is listed, e.g. ``"dates"``) and more rows than shown, every
        row is written to a CSV file in the temporary folder and the text says where.
        """
        positions = np.asarray(positions)
        source = self.source_positions(positions)
        shown = []
        for k, pos in enumerate(source[:limit]):
            text = self.number(int(pos))
            if values is not None and self.quote:
                text += f": {short(values[k])!r}"
            shown.append(text)
        out = ", ".join(shown)
        more = len(positions) - len(shown)
        if more > 0:
            out += f" and {more:,} more"
            if listing and self.quote and values is not None:
                path = self.write_listing(source, values, listing)
                if path:
                    out += f" (all {len(positions):,} listed in {path})"
        if self.convention and not bare:
            out += f" ({self.convention})"
        return out

    def write_listing(self, source: np.ndarray, values: Any, what: str) -> str | None:
        """Write every row (its number and value) to a new CSV file in the temporary folder; its path.

        Values that a spreadsheet would read as a formula get a leading apostrophe. Nothing is ever
        written next to the user's file.
        """
        values = list(values)
        if len(values) < len(source):  # the values of the shown rows only: no listing
            return None
        stem = "".join(ch if ch.isalnum() else "-" for ch in self.name.strip("'"))[:40] or "data"
        try:
            handle, path = tempfile.mkstemp(prefix=f"crmlib-{stem}-{what.replace(' ', '-')}-", suffix=".csv")
            with os.fdopen(handle, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["row", what])
                for pos, value in zip(source, values):
                    text = str(short(value, 200))
                    if text.startswith(_FORMULA_START):
                        text = "'" + text
                    writer.writerow([self.number(int(pos)), text])
        except OSError:
            return None
        return path


class PartsLocator(RowLocator):
    """The rows of several files read one after the other (a pattern): each row named with its file.

    Parameters
    ----------
    parts : list of (int, RowLocator)
        The position of each file's first row, and the file's own locator.

    Examples
    --------
    >>> first = RowLocator("'jan.csv'", "text", offset=2)
    >>> second = RowLocator("'feb.csv'", "text", offset=2)
    >>> locator = PartsLocator([(0, first), (100, second)])
    >>> locator.number(3), locator.number(100)
    ("file 'jan.csv' line 5", "file 'feb.csv' line 2")
    """

    def __init__(self, parts: list[tuple[int, RowLocator]]) -> None:
        first = parts[0][1]
        super().__init__(
            ", ".join(p.name for _, p in parts[:3]) + (" ..." if len(parts) > 3 else ""),
            first.kind,
            row_word=first.row_word,
            convention=first.convention,
            quote=all(p.quote for _, p in parts),
        )
        self.starts = np.asarray([start for start, _ in parts], dtype=np.int64)
        self.parts = [p for _, p in parts]

    def number(self, source_pos: int) -> str:
        """The row as ``file 'a.csv' line 3``."""
        k = int(np.searchsorted(self.starts, source_pos, side="right") - 1)
        part = self.parts[k]
        return f"file {part.name} {part.number(source_pos - int(self.starts[k]))}"
