"""The date rule: every value becomes a calendar day, read in the one way its text allows.

* Date cells (workbooks) and timestamps (Parquet, DataFrames) are used as they are; a time zone is
  dropped so the day is the local day written in the source.
* Numbers are ``YYYYMMDD`` (CDNOW) when they all look like it, else spreadsheet serial days.
* Text is tried against :data:`DATE_FORMATS` (ISO ``2024-01-31``, day-first ``31/01/2024``,
  month-first ``1/31/2024 12:05 PM``, ``31-Jan-2024``...). Day-first and month-first are told apart by
  the values above 12. A column that mixes formats is read when every value fits exactly one of the
  formats that the column uses (each value is then one day); values that fit none, or that two formats
  read as different days, are refused, all of them listed in a file.
* With ``date_format`` (one format, or several in order of preference) each value is read with the
  first given format that fits it; values fitting several given formats with different days are read
  with the first and reported.

Everything is decided on the distinct texts of the column, so :func:`crmlib.scale.summarize_file`
applies the same rule to the same texts (:func:`parse_texts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.data.columns import Column, column_of
from crmlib.data.errors import DataError, Hint
from crmlib.data.ids import ID_SPACES
from crmlib.data.rows import SHOW, RowLocator, are, plural

__all__ = [
    "DATE_FORMATS",
    "FIRST_DAY",
    "LAST_DAY",
    "DateProblem",
    "DateResult",
    "check_range",
    "empty_dates_error",
    "fast_days",
    "numeric_days",
    "parse_dates",
    "parse_texts",
    "range_error",
]

_DATE_PARTS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%d.%m.%y",
    "%m/%d/%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d-%b-%y",
    "%b %d %Y",
    "%Y%m%d",
)
_TIME_PARTS = (
    "",
    " %H:%M",
    " %H:%M:%S",
    " %H:%M:%S.%f",
    "T%H:%M",
    "T%H:%M:%S",
    "T%H:%M:%S.%f",
    " %I:%M %p",
    " %I:%M:%S %p",
)

#: Date formats recognised from a text column (every date form crossed with every time form).
DATE_FORMATS: tuple[str, ...] = tuple(d + t for d in _DATE_PARTS for t in _TIME_PARTS)

#: First and last day (days since 1970-01-01) that datetime64[ns] can hold: 1677-09-22 .. 2262-04-11.
FIRST_DAY = -106_751 + 1
LAST_DAY = 106_750 - 1

_ISO_START = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:$|[ T]\d)")
_TZ_DETECT = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_TZ_SUFFIX = r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_NAT = np.iinfo(np.int64).min
_ISO = "ISO8601"
_ISO_TEXT = "ISO 8601 (such as 2024-01-31 or 2024-01-31 14:05)"


@dataclass
class DateResult:
    """Days since 1970-01-01 (int64) per row, how they were read, and notes for the read report."""

    days: np.ndarray
    how: str
    notes: list[str] = field(default_factory=list)


def _shown(fmt: str) -> str:
    return _ISO_TEXT if fmt == _ISO else repr(fmt)


def _parse(values: np.ndarray, fmt: str) -> np.ndarray:
    """Days (int64; ``_NAT`` where the format does not fit) of texts read with ``fmt``."""
    parsed = pd.to_datetime(pd.Series(values, dtype=object), format=fmt, errors="coerce")
    days = parsed.to_numpy().astype("datetime64[D]").astype(np.int64)
    days[parsed.isna().to_numpy()] = _NAT
    return days


def empty_dates_error(positions: np.ndarray, locator: RowLocator, column: str) -> DataError:
    """The message for empty date cells.

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> print(empty_dates_error(np.array([0]), locator, "InvoiceDate"))
    read_transactions: the date column 'InvoiceDate' is empty in 1 row: line 2. ...
    """
    return DataError(
        f"read_transactions: the date column {column!r} is empty in {plural(len(positions), 'row')}: "
        f"{locator.rows(positions)}. Fill in the dates or remove those rows."
    )


def _typed_days(col: Column, locator: RowLocator, column: str) -> DateResult | Column:
    """Days of a typed column; or the column as text when its values are not dates or numbers."""
    series: Any = col.series
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.to_numpy().astype("datetime64[D]")
        if np.isnat(values).any():
            raise empty_dates_error(np.flatnonzero(np.isnat(values)), locator, column)
        return DateResult(values.astype(np.int64), "dates stored as date cells")
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _numeric_days(series.to_numpy(dtype=float, na_value=np.nan), locator, column)
    # anything else (booleans...) is read as text, and refused as such
    return column_of(
        series.map(
            lambda v: (
                v
                if isinstance(v, str)

                else ("" if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) else str(v))
            )
        )
    )


def numeric_days(numbers: np.ndarray) -> TextDates:
    """The date rule on numbers (none blank): ``YYYYMMDD`` (like CDNOW's) or spreadsheet serial days.

    The decision is taken over the whole set of numbers: ``YYYYMMDD`` when every one is a whole number in
    its range, else serial days when every one is in theirs; otherwise the problem names the numbers
    that are neither.

    Examples
    --------
    >>> numeric_days(np.array([19970101.0, 19970315.0])).days.astype("datetime64[D]").tolist()
    [datetime.date(1997, 1, 1), datetime.date(1997, 3, 15)]
    >>> serial = numeric_days(np.array([45292.0, 45300.0]))  # a spreadsheet's day numbers
    >>> serial.days.astype("datetime64[D]").astype(str).tolist(), serial.how
    (['2024-01-01', '2024-01-09'], 'dates written as spreadsheet serial day numbers (days since 1899-12-30)')
    """
    n = len(numbers)
    out = TextDates(days=np.full(n, _NAT), blank=np.zeros(n, bool))
    if n == 0:
        return out
    integral = bool(np.all(numbers == np.round(numbers)))
    if integral and numbers.min() >= 10000101 and numbers.max() <= 99991231:
        distinct, inverse = np.unique(numbers.astype(np.int64), return_inverse=True)
        days = _parse(distinct.astype(str).astype(object), "%Y%m%d")[inverse.ravel()]
        if (days == _NAT).any():
            out.error = DateProblem("yyyymmdd", days == _NAT)
            return out
        out.days, out.how = days, "dates written as YYYYMMDD numbers"
        return out
    if numbers.min() >= 1 and numbers.max() < 2958466:
        out.days = np.floor(numbers).astype(np.int64) + np.datetime64("1899-12-30", "D").astype(np.int64)
        out.how = "dates written as spreadsheet serial day numbers (days since 1899-12-30)"
        return out
    out.error = DateProblem("numbers", (numbers < 1) | (numbers >= 2958466))
    return out


def _numeric_days(numbers: np.ndarray, locator: RowLocator, column: str) -> DateResult:
    blank = np.isnan(numbers)
    if blank.any():
        raise empty_dates_error(np.flatnonzero(blank), locator, column)
    result = numeric_days(numbers)
    if result.error is not None:
        problem = result.error
        pos = np.flatnonzero(problem.mask) if problem.names_rows else np.arange(min(len(numbers), SHOW))
        raise problem.error(pos, numbers[pos], locator, column)
    return DateResult(result.days, result.how)


def fast_days(texts: pa.Array) -> np.ndarray | None:
    """Days of ISO 8601 texts read by Arrow's own parser (the fast path), or None if some text is not one.

    Both readers call it on the same texts (the whole column, or each batch of it), so a column goes the
    fast way, or the way of :func:`parse_texts`, in both.

    Examples
    --------
    >>> fast_days(pa.array(["2024-01-31", "2024-02-01"])).tolist()  # days since 1970-01-01
    [19753, 19754]
    >>> fast_days(pa.array(["31/01/2024"])) is None
    True
    """
    if len(texts) == 0 or texts.null_count:
        return None
    # chunk by chunk into one array: each chunk's stamps are turned into days while still in cache (the
    # whole column's stamps are never made, nor copied into one array); a unit serves the whole column or none
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    days = np.empty(len(texts), np.int64)
    for unit, per_day in (("ns", 86_400 * 10**9), ("s", 86_400)):
        start = 0
        try:
            for chunk in chunks:
                stamps = pc.cast(chunk, pa.timestamp(unit)).to_numpy(zero_copy_only=False).view(np.int64)
                np.floor_divide(stamps, per_day, out=days[start : start + len(stamps)])  # the day (floor, as numpy's)
                start += len(stamps)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return days
    return None


def parse_dates(col: Column, locator: RowLocator, formats: tuple[str, ...], column: str) -> DateResult:
    """The date rule on a column: a day per row (int64 days since 1970-01-01), or a DataError.

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> result = parse_dates(Column(arrow=pa.array(["31/01/2024", "01/02/2024"])), locator, (), "date")
    >>> result.days.astype("datetime64[D]").astype(str).tolist(), result.how
    (['2024-01-31', '2024-02-01'], "date format '%d/%m/%Y', recognised from the column")
    >>> parse_dates(Column(arrow=pa.array(["01/02/2024", "02/03/2024"])), locator, (), "date")
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the date column 'date' cannot tell day from month: ...
    """
    if not col.text:
        typed = _typed_days(col, locator, column)
        if isinstance(typed, DateResult):
            return typed
        col = typed
    if not formats and col.arrow is not None:
        fast = col.converted(fast_days)
        if fast is not None:
            return DateResult(fast, f"date format {_ISO_TEXT}, recognised from the column")
    texts = pa.array(col.uniques, type=pa.string())
    result = parse_texts(texts, formats)
    codes = col.codes
    if result.blank[codes].any():
        raise empty_dates_error(np.flatnonzero(result.blank[codes]), locator, column)
    if result.error is not None:
        problem = result.error
        pos = np.flatnonzero(problem.mask[codes]) if problem.names_rows else np.arange(min(len(col), SHOW))
        raise problem.error(pos, col.values(pos), locator, column)
    notes = [n.note(codes, col, locator) for n in result.notes]
    return DateResult(result.days[codes], result.how, [n for n in notes if n])


# ----------------------------------------------------------------------------------------------
# The rule on distinct texts


@dataclass
class DateProblem:
    """A date problem found on the distinct texts; turned into a DataError naming the rows.

    ``mask`` marks the offending distinct texts; for ``kind`` "unknown" the message shows the first rows of
    the column instead, for "day-month" no rows.

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> texts = parse_texts(pa.array(["2024-01-31", "soon"]))
    >>> texts.error.kind, texts.error.mask.tolist(), texts.error.names_rows
    ('unfit', [False, True], True)
    >>> print(texts.error.error(np.array([1]), np.array(["soon"], dtype=object), locator, "date"))
    read_transactions: the date column 'date' mixes formats: most values fit ... but 1 row does not fit any format ...
    """

    kind: str
    mask: np.ndarray  # over distinct texts
    formats: tuple[str, ...] = ()
    example: str = ""

    @property
    def names_rows(self) -> bool:
        """True when the message lists the rows of the masked texts (else the first rows of the column)."""
        if self.kind == "numbers":
            return bool(self.mask.any())
        return self.kind not in ("unknown", "day-month")

    def error(self, positions: np.ndarray, values: np.ndarray, locator: RowLocator, column: str) -> DataError:
        """The DataError, for the offending rows at ``positions`` (or the column's first rows) and their values."""
        n = len(positions)
        if self.kind == "yyyymmdd":
            return DataError(
                f"read_transactions: the date column {column!r} holds numbers like YYYYMMDD (20240131), but "
                f"{plural(n, 'value')} {are(n)} not valid dates: "
                f"{locator.rows(positions, np.asarray(values, dtype=float).astype(np.int64))}. Correct those values."
            )
        if self.kind == "numbers":
            return DataError(
                f"read_transactions: the date column {column!r} holds numbers that are neither YYYYMMDD dates nor "
                f"spreadsheet day numbers: {locator.rows(positions, values)}. Check that {Hint('date', column)} names "
                "the date column."
            )
        if self.kind == "unknown":
            return DataError(
                f"read_transactions: the date column {column!r} does not hold dates in a form I know: "
                f"{locator.rows(positions, values)}. Check that {Hint('date', column)} names the date "
                f"column; if it does, pass {Hint('date_format')} with the format of its values (e.g. "
                f"{Hint('date_format', '%d/%m/%Y %H:%M')})."
            )
        if self.kind == "day-month":
            a, b = self.formats[:2]
            return DataError(
                f"read_transactions: the date column {column!r} cannot tell day from month: every value "
                f"(such as {self.example!r}) fits both {a!r} and {b!r}, since no day is above 12. "
                f"Say which with {Hint('date_format', a)} or {Hint('date_format', b)}."
            )
        rows = locator.rows(positions, values, listing="dates")
        if self.kind == "given":
            given = self.formats[0] if len(self.formats) == 1 else self.formats
            return DataError(
                f"read_transactions: {plural(n, 'value')} of the date column {column!r} "
                f"{'does' if n == 1 else 'do'} not match {Hint('date_format', given)}: {rows}. Correct the format "
                "(codes as in Python's strftime, e.g. '%d/%m/%Y'), or those values."
            )
        if self.kind == "ambiguous":
            shown = " or ".join(map(repr, self.formats[:2]))
            return DataError(
                f"read_transactions: the date column {column!r} mixes formats, and {plural(n, 'row')} "
                f"{'fits' if n == 1 else 'fit'} two of them as different days ({shown}): {rows}. List the "
                f"formats in the order to try them, e.g. {Hint('date_format', self.formats)}, or write those dates "
                "in one format."
            )
        best = self.formats[0]
        return DataError(
            f"read_transactions: the date column {column!r} mixes formats: most values fit {_shown(best)} "
            f"(such as {self.example!r}) but {plural(n, 'row')} {'does' if n == 1 else 'do'} not fit any format "
            f"I know: {rows}. Write those dates like the others, or pass {Hint('date_format')} with their "
            f"format (several formats may be given, e.g. {Hint('date_format', (best, '%d/%m/%Y'))})."
        )


@dataclass
class _Note:
    """A read-report note about some distinct texts (read with several formats, or ambiguous)."""

    text: str
    mask: np.ndarray | None = None

    def note(self, codes: np.ndarray, col: Column, locator: RowLocator) -> str:
        if self.mask is None:
            return self.text
        pos = np.flatnonzero(self.mask[codes])
        if not len(pos):
            return ""
        return (
            f"{plural(len(pos), 'row')} {self.text}: {locator.rows(pos, col.values(pos), bare=True, listing='dates')}"
        )


@dataclass
class TextDates:
    """The date rule on distinct texts: days (int64), blanks, and the problem or notes found."""

    days: np.ndarray
    blank: np.ndarray
    how: str = ""
    error: DateProblem | None = None
    notes: list[_Note] = field(default_factory=list)


def parse_texts(texts: pa.Array, formats: tuple[str, ...] = ()) -> TextDates:
    """The date rule on distinct texts (pyarrow strings): a day per text, or the problem.

    The decision depends only on the set of texts, not on their order or counts.

    Examples
    --------
    >>> dates = parse_texts(pa.array(["31/01/2024", "13/02/2024", ""]))
    >>> dates.days[:2].astype("datetime64[D]").astype(str).tolist(), dates.blank.tolist(), dates.error
    (['2024-01-31', '2024-02-13'], [False, False, True], None)
    >>> parse_texts(pa.array(["01/02/2024", "02/03/2024"])).error.kind  # no day above 12
    'day-month'
    >>> parse_texts(pa.array(["01/02/2024"]), ("%m/%d/%Y",)).days.astype("datetime64[D]").astype(str).tolist()
    ['2024-01-02']
    """
    stripped = pc.utf8_trim(texts.fill_null(""), characters=ID_SPACES)
    blank = pc.equal(stripped, "").to_numpy(zero_copy_only=False)
    if pc.any(pc.match_substring_regex(stripped, _TZ_DETECT)).as_py():
        stripped = pc.replace_substring_regex(stripped, _TZ_SUFFIX, r"\1")
    u = np.asarray(stripped.to_numpy(zero_copy_only=False), dtype=object)
    out = TextDates(days=np.full(len(u), _NAT), blank=blank)
    used = np.flatnonzero(~blank)
    if not len(used):
        return out
    values = u[used]
    if formats:
        return _given(out, values, used, formats)
    if all(re.fullmatch(r"\d+(?:\.\d+)?", v) for v in values):
        numeric = numeric_days(np.asarray(values, dtype=float))
        out.days[used], out.how = numeric.days, numeric.how
        if numeric.error is not None:
            mask = np.zeros(len(out.days), bool)
            mask[used] = numeric.error.mask
            out.error = DateProblem(numeric.error.kind, mask)
        return out
    if all(_ISO_START.match(v) for v in values):
        days = _parse(values, _ISO)
        if (days != _NAT).all():
            out.days[used] = days
            out.how = f"date format {_ISO_TEXT}, recognised from the column"
            return out
    return _detected(out, values, used)


def _given(out: TextDates, values: np.ndarray, used: np.ndarray, formats: tuple[str, ...]) -> TextDates:
    days = np.full(len(values), _NAT)
    ambiguous = np.zeros(len(values), bool)
    first_fit = np.full(len(values), -1)
    for k, fmt in enumerate(formats):
        parsed = _parse(values, fmt)
        fits = parsed != _NAT
        new = fits & (days == _NAT)
        ambiguous |= fits & (days != _NAT) & (parsed != days)
        days[new] = parsed[new]
        first_fit[new] = k
    failed = days == _NAT
    if failed.any():
        mask = np.zeros(len(out.days), bool)
        mask[used[failed]] = True
        out.error = DateProblem("given", mask, formats)
        return out
    out.days[used] = days
    given = ", ".join(map(repr, formats))
    out.how = f"date format {given} (given)" if len(formats) == 1 else f"date formats {given} (given, tried in order)"
    if len(formats) > 1:
        counts = np.bincount(first_fit, minlength=len(formats))
        out.notes.append(
            _Note(
                "dates read with "
                + ", ".join(f"{fmt!r} ({counts[k]:,} distinct values)" for k, fmt in enumerate(formats))
            )
        )
    if ambiguous.any():
        mask = np.zeros(len(out.days), bool)
        mask[used[ambiguous]] = True
        out.notes.append(
            _Note(
                f"fit more than one of the given date formats as different days and were read with the first that fits "
                f"({formats[0]!r} before the others)",
                mask,
            )
        )
    return out


def _shape(text: str) -> str:
    return re.sub(r"[A-Za-z]+", "a", re.sub(r"\d", "9", text))


def _candidates(values: np.ndarray) -> dict[str, np.ndarray]:
    """Each known format that reads some values -> the days it gives (``_NAT`` where it does not fit).

    Values are grouped by shape (digits and letters abstracted); a format is tried on a shape only if
    it reads one value of it.
    """
    shapes = pd.Series(values, dtype=object).map(_shape).to_numpy()
    fits: dict[str, np.ndarray] = {}
    for shape in pd.unique(shapes):
        members = np.flatnonzero(shapes == shape)
        done = np.zeros(len(members), bool)  # read by a format tried, or fitting none
        tried: set[str] = set()
        misses = 0
        while not done.all() and misses < 20:  # probe a value no format read yet (20 that fit none: enough)
            k = np.flatnonzero(~done)[0]
            new = [fmt for fmt in DATE_FORMATS if fmt not in tried and _fits(values[members[k]], fmt)]
            done[k] = True
            misses += not new
            for fmt in new:
                tried.add(fmt)
                days = _parse(values[members], fmt)
                fits.setdefault(fmt, np.full(len(values), _NAT))[members] = days
                done |= days != _NAT
    return fits


def _fits(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _date_part(fmt: str) -> str:
    for time in sorted(_TIME_PARTS, key=len, reverse=True):
        if time and fmt.endswith(time):
            return fmt[: -len(time)]
    return fmt


def _twin(part: str) -> str:
    return part.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _detected(out: TextDates, values: np.ndarray, used: np.ndarray) -> TextDates:
    """Recognise the format(s) of a text column."""
    fits = _candidates(values)
    if not fits:
        out.error = DateProblem("unknown", np.zeros(len(out.days), bool))
        return out
    # one format reads every value: the column's format (any other that reads them all gives the same days)
    whole = [fmt for fmt, days in fits.items() if (days != _NAT).all()]
    if whole:
        distinct: list[str] = []
        for fmt in whole:
            if not any(np.array_equal(fits[fmt], fits[g]) for g in distinct):
                distinct.append(fmt)
        if len(distinct) == 1:
            out.days[used] = fits[distinct[0]]
            out.how = f"date format {_shown(distinct[0])}, recognised from the column"
            return out
        a, b = distinct[:2]
        # the example: the first text in code-point order, so that it does not depend on the texts' order
        out.error = DateProblem("day-month", np.zeros(len(out.days), bool), (a, b), example=min(values))
        return out
    # several formats: a date form is dropped when its day/month twin reads all it reads and more
    reads: dict[str, np.ndarray] = {}
    for fmt, days in fits.items():
        part = _date_part(fmt)
        reads[part] = reads.get(part, np.zeros(len(values), bool)) | (days != _NAT)
    dropped = {
        p
        for p in reads
        if _twin(p) != p
        and _twin(p) in reads
        and reads[_twin(p)][reads[p]].all()
        and reads[_twin(p)].sum() > reads[p].sum()
    }
    kept = {fmt: days for fmt, days in fits.items() if _date_part(fmt) not in dropped}
    return _mixed(out, values, used, kept)


def _mixed(out: TextDates, values: np.ndarray, used: np.ndarray, kept: dict[str, np.ndarray]) -> TextDates:
    stack = np.vstack(list(kept.values()))
    fit = stack != _NAT
    n_fit = fit.sum(axis=0)
    first = np.where(n_fit > 0, stack[np.argmax(fit, axis=0), np.arange(stack.shape[1])], _NAT)
    agree = np.all(~fit | (stack == first), axis=0)
    counts = fit.sum(axis=1)
    order = np.argsort(-counts, kind="stable")
    names = list(kept)
    best = names[order[0]]
    unfit = n_fit == 0
    if unfit.any():
        mask = np.zeros(len(out.days), bool)
        mask[used[unfit]] = True
        example = min(values[kept[best] != _NAT])  # the first in code-point order, whatever the texts' order
        out.error = DateProblem("unfit", mask, (best,), example=example)
        return out
    if not agree.all():
        mask = np.zeros(len(out.days), bool)
        mask[used[~agree]] = True
        clash = np.flatnonzero(~agree)[0]
        pair = tuple(names[k] for k in np.flatnonzero(fit[:, clash]))
        out.error = DateProblem("ambiguous", mask, pair)
        return out
    out.days[used] = first
    # the formats that each read some value no other format reads: the column's formats
    sole = [names[k] for k in order if (fit[k] & (n_fit == 1)).any()]
    shown = ", ".join(_shown(f) for f in sole) or _shown(best)
    out.how = f"date formats {shown}, recognised from the column (each value fits one of them)"
    out.notes.append(
        _Note(f"the date column mixes formats ({shown}); each value fits exactly one of them and was read with it")
    )
    return out


def check_range(days: np.ndarray, locator: RowLocator, column: str) -> None:
    """DataError for days outside what a datetime64[ns] can hold (years 1678 to 2261).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> days = np.array(["2024-01-31", "2999-01-01"], dtype="datetime64[D]").astype(np.int64)
    >>> check_range(days[:1], locator, "date")
    >>> check_range(days, locator, "date")
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the date column 'date' holds 1 date outside ...
    """
    if not len(days) or (FIRST_DAY <= days.min() and days.max() <= LAST_DAY):
        return
    outside = (days < FIRST_DAY) | (days > LAST_DAY)
    if outside.any():
        pos = np.flatnonzero(outside)
        raise range_error(pos, days[pos[:SHOW]], locator, column)


def range_error(positions: np.ndarray, days: np.ndarray, locator: RowLocator, column: str) -> DataError:
    """The message for days outside the years 1678 to 2261 (``days``: those of the first rows).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> days = np.array(["2999-01-01"], dtype="datetime64[D]").astype(np.int64)
    >>> print(range_error(np.array([4]), days, locator, "date"))
    read_transactions: the date column 'date' holds 1 date outside ...
    """
    shown = [str(d) for d in np.asarray(days[:SHOW], dtype=np.int64).astype("datetime64[D]")]
    return DataError(
        f"read_transactions: the date column {column!r} holds {plural(len(positions), 'date')} outside the years 1678 "
        f"to 2261: {locator.rows(positions, shown)}. Correct those values (a year written with two digits, such as "
        f"0024?), or pass {Hint('date_format')} if the dates were read with the wrong format."
    )
