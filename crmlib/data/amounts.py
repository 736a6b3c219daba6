"""The amount rule: numbers, with the ways exports write money repaired, and nothing implausible.

* A plain number (:data:`PLAIN_NUMBER`: ``12``, ``-3.5``, ``1e3``) is read as it is, spaces around it
  ignored.
* Amounts written with a currency sign or code (``"$1,234.50"``, ``"€12"``, ``"12.50 EUR"``), thousands
  separators, decimal commas (``"12,50"``, ``"1.234,50"``) or accounting parentheses (``"(12.50)"``) are
  repaired and counted. The decimal separator is decided once for the column, from all its values
  that are not plain numbers (:func:`decimal_separator`); with decimal commas, ``"1.234"`` is 1234.
* Anything else (``"abc"``, ``"n/a"``, ``"inf"``) is not a number; an empty cell is empty: both are
  refused with their rows.
* An amount larger than ``max_amount`` in absolute value (``1e308``) is refused as implausible.

:func:`crmlib.scale.summarize_file` runs the plain-number test in SQL (:func:`sql_plain_number`) and
sends every other distinct text through :func:`parse_texts`, so both paths read a text the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.data.columns import Column
from crmlib.data.errors import DataError, Hint
from crmlib.data.ids import ID_SPACES
from crmlib.data.names import role_hint
from crmlib.data.rows import RowLocator, are, plural

__all__ = [
    "PLAIN_NUMBER",
    "NumberResult",
    "check_amounts",
    "check_size",
    "decimal_separator",
    "empty_error",
    "fast_numbers",
    "not_numbers_error",
    "overflow_error",
    "parse_numbers",
    "parse_texts",
    "repair_amount",
    "too_large_error",
]

#: A plain number: digits with an optional sign, decimal point and exponent (RE2 and Python syntax).
PLAIN_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"

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


@dataclass
class Repairs:
    """What the amount rule repaired in a column."""

    rows: int = 0
    examples: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    decimal: str = "."


@dataclass
class NumberResult:
    """Numbers of a column: values (float64), rows that are not numbers, empty rows, and the repairs."""

    values: np.ndarray
    bad: np.ndarray
    blank: np.ndarray
    repairs: Repairs


def decimal_separator(texts: pa.Array, delimiter: str | None) -> str:
    """``","`` or ``"."``: the separator that marks decimals among a column's non-plain values.

    Every value votes (the decision does not depend on their order): ``1.234,50`` and ``12,50`` for
    the comma; ``1,234.50`` and ``1,234,567`` for the point; ``1.234.567`` for the comma. A lone comma
    before three digits (``1,234``) votes for neither, and means a decimal comma only in a
    semicolon-delimited file.

    Examples
    --------
    >>> decimal_separator(pa.array(["1.234,50", "12,50"]), ",")
    ','
    >>> decimal_separator(pa.array(["1,234.50", "$12"]), ",")
    '.'
    >>> decimal_separator(pa.array(["1,234"]), ","), decimal_separator(pa.array(["1,234"]), ";")
    ('.', ',')
    """
    commas = pc.count_substring(texts, ",").to_numpy(zero_copy_only=False)
    points = pc.count_substring(texts, ".").to_numpy(zero_copy_only=False)
    comma_last = pc.match_substring_regex(texts, r",[^,.]*$").to_numpy(zero_copy_only=False)
    three = pc.match_substring_regex(texts, r",[0-9]{3}([^0-9]|$)").to_numpy(zero_copy_only=False)
    both = (commas > 0) & (points > 0)
    comma_votes = int((both & comma_last).sum())
    point_votes = int((both & ~comma_last).sum())
    only_comma = (commas > 0) & (points == 0)
    point_votes += int((only_comma & (commas > 1)).sum())
    comma_votes += int((only_comma & (commas == 1) & ~three).sum())
    three_digit_commas = int((only_comma & (commas == 1) & three).sum())
    comma_votes += int(((points > 1) & (commas == 0)).sum())
    if comma_votes > point_votes:
        return ","
    if comma_votes == point_votes == 0 and three_digit_commas and delimiter == ";":
        return ","
    return "."


def repair_amount(text: str, decimal: str) -> tuple[float | None, str | None]:
    """The number written in ``text`` (currency marks, separators, parentheses) and its currency mark.

    Examples
    --------
    >>> repair_amount("$1,234.50", "."), repair_amount("(12,50 EUR)", ","), repair_amount("n/a", ".")
    ((1234.5, '$'), (-12.5, 'EUR'), (None, None))
    """
    strict = _COMMA_DECIMAL if decimal == "," else _POINT_DECIMAL
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


@dataclass
class TextNumbers:
    """The amount rule on distinct texts: value (NaN where none), not-a-number, blank, repaired."""

    values: np.ndarray
    bad: np.ndarray
    blank: np.ndarray
    repaired: np.ndarray
    currencies: list[str]
    decimal: str


def parse_texts(texts: pa.Array, delimiter: str | None) -> TextNumbers:
    """The amount rule on distinct texts (a pyarrow string array, nulls blank).

    Examples
    --------
    >>> parsed = parse_texts(pa.array(["12", "€1.234,50", "", "abc"]), ";")
    >>> parsed.values.tolist(), parsed.bad.tolist(), parsed.blank.tolist(), parsed.decimal, parsed.currencies
    ([12.0, 1234.5, nan, nan], [False, False, False, True], [False, False, True, False], ',', ['€'])
    """
    u = pc.utf8_trim(texts.fill_null(""), characters=ID_SPACES)
    n = len(u)
    blank = pc.equal(u, "").to_numpy(zero_copy_only=False)
    plain_match = pc.match_substring_regex(u, PLAIN_NUMBER).to_numpy(zero_copy_only=False)
    values = np.full(n, np.nan)
    if plain_match.any():
        values[plain_match] = pc.cast(u.filter(pa.array(plain_match)), pa.float64()).to_numpy(zero_copy_only=False)
    bad = ~plain_match & ~blank
    repaired = np.zeros(n, bool)
    currencies: set[str] = set()
    decimal = "."
    if bad.any():
        decimal = decimal_separator(u.filter(pa.array(bad)), delimiter)
        # with decimal commas a plain "1.234" means 1234: every value goes through the repair
        need = np.flatnonzero(~blank & (bad | (decimal == ",")))
        texts_py = u.take(pa.array(need)).to_pylist()
        for i, text in zip(need, texts_py):
            value, currency = repair_amount(text, decimal)
            if value is None:
                bad[i] = True
                values[i] = np.nan
                continue
            bad[i] = False
            if not plain_match[i] or value != values[i]:
                repaired[i] = True
            values[i] = value
            if currency:
                currencies.add(currency)
    return TextNumbers(
        values=values, bad=bad, blank=blank, repaired=repaired, currencies=sorted(currencies), decimal=decimal
    )


def fast_numbers(texts: pa.Array) -> np.ndarray | None:
    """Numbers of plain-number texts read by Arrow's own parser (the fast path), or None if some text is not one.

    Both readers call it on the same texts (the whole column, or each batch of it).

    Examples
    --------
    >>> fast_numbers(pa.array(["12.5", "-3", "1e3"])).tolist()
    [12.5, -3.0, 1000.0]
    >>> fast_numbers(pa.array(["12.5", "$3"])) is None
    True
    """
    if len(texts) == 0 or texts.null_count:
        return None
    try:
        values = pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return values if np.isfinite(values).all() else None


def parse_numbers(col: Column, delimiter: str | None) -> NumberResult:
    """The amount rule on a column: float64 values, rows that are not numbers, empty rows, repairs.

    Examples
    --------
    >>> result = parse_numbers(Column(arrow=pa.array(["12.50", "$3", "", "abc"])), ",")
    >>> result.values.tolist(), result.bad.tolist(), result.blank.tolist(), result.repairs.rows
    ([12.5, 3.0, nan, nan], [False, False, False, True], [False, False, True, False], 1)
    """
    n = len(col)
    if not col.text:
        series: Any = col.series
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            return NumberResult(np.full(n, np.nan), np.ones(n, bool), np.zeros(n, bool), Repairs())
        values = series.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(values)
        return NumberResult(values, np.zeros(n, bool), blank, Repairs())
    fast = col.converted(fast_numbers) if col.arrow is not None else None
    if fast is not None:
        return NumberResult(fast, np.zeros(n, bool), np.zeros(n, bool), Repairs())
    parsed = parse_texts(pa.array(col.uniques, type=pa.string()), delimiter)
    codes = col.codes
    repairs = Repairs(decimal=parsed.decimal, currencies=parsed.currencies)
    if parsed.repaired.any():
        repairs.rows = int(parsed.repaired[codes].sum())
        first = np.flatnonzero(parsed.repaired)[:3]
        repairs.examples = [f"{col.uniques[i].strip()!r} -> {parsed.values[i]:g}" for i in first]
    return NumberResult(parsed.values[codes], parsed.bad[codes], parsed.blank[codes], repairs)


def check_amounts(kw: str, column: str, result: NumberResult, col: Column, locator: RowLocator) -> None:
    """DataError for empty cells or values that are not numbers in column ``column`` (role ``kw``).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> col = Column(arrow=pa.array(["12.50", "abc"]))
    >>> check_amounts("amount", "amount", parse_numbers(col, ","), col, locator)
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the amount column 'amount' holds 1 value that is not a number, ...
    """
    if result.blank.any():
        raise empty_error(kw, column, np.flatnonzero(result.blank), locator)
    if result.bad.any():
        pos = np.flatnonzero(result.bad)
        raise not_numbers_error(kw, column, pos, col.values(pos), len(pos) < len(result.bad), locator)


def empty_error(kw: str, column: str, positions: np.ndarray, locator: RowLocator) -> DataError:
    """The message for empty cells in the ``kw`` column (amount, quantity or price).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> print(empty_error("price", "UnitPrice", np.array([1]), locator))
    read_transactions: the price column 'UnitPrice' is empty in 1 row: line 3. Fill in those values or remove the rows.
    """
    return DataError(
        f"read_transactions: the {kw} column {column!r} is empty in {plural(len(positions), 'row')}: "
        f"{locator.rows(positions)}. Fill in those values or remove the rows."
    )


def not_numbers_error(
    kw: str, column: str, positions: np.ndarray, values: np.ndarray, some_numbers: bool, locator: RowLocator
) -> DataError:
    """The message for values that are not numbers (``some_numbers``: the other rows are numbers).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> values = np.array(["abc"], dtype=object)
    >>> print(not_numbers_error("amount", "amount", np.array([1]), values, True, locator))
    read_transactions: the amount column 'amount' holds 1 value that is not a number, mixed in with numbers: line 3: ...
    """
    n = len(positions)
    mixed = ", mixed in with numbers" if some_numbers else ""
    what = "a number" if n == 1 else "numbers"
    fix = "." if some_numbers else f", or check that {role_hint(kw, column)} names the {kw} column."
    return DataError(
        f"read_transactions: the {kw} column {column!r} holds {plural(n, 'value')} that {are(n)} not {what}{mixed}: "
        f"{locator.rows(positions, values, listing='values')}. Correct or remove those rows{fix}"
    )


def check_size(values: np.ndarray, column: str, locator: RowLocator, limit: float) -> None:
    """DataError for amounts larger than ``limit`` in absolute value (or infinite), and sums a float cannot hold.

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> check_size(np.array([12.5, 3.0]), "amount", locator, 1e12)
    >>> check_size(np.array([12.5, 1e308]), "amount", locator, 1e12)
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the amount column 'amount' holds 1 amount larger than 1e+12 ...
    """
    if len(values) and -limit <= values.min() and values.max() <= limit and len(values) * limit < 1e300:
        return  # (a NaN makes both tests false) every amount within the limit, and so is their sum
    with np.errstate(invalid="ignore"):
        large = ~(np.abs(values) <= limit)
    if large.any():
        pos = np.flatnonzero(large)
        raise too_large_error(column, pos, values[pos], limit, locator)
    with np.errstate(over="ignore"):
        total = float(np.abs(values).sum())
    if not np.isfinite(total):
        raise overflow_error(column)


def too_large_error(
    column: str, positions: np.ndarray, values: np.ndarray, limit: float, locator: RowLocator
) -> DataError:
    """The message for amounts past ``max_amount`` (``values``: the amounts at ``positions``).

    Examples
    --------
    >>> locator = RowLocator("'orders.csv'", "text", offset=2)
    >>> print(too_large_error("amount", np.array([1]), np.array([5e13]), 1e12, locator))
    read_transactions: the amount column 'amount' holds 1 amount larger than 1e+12 in absolute value: line 3: ...
    """
    biggest = float(np.nanmax(np.abs(values))) if len(values) else float("inf")
    fix = (
        f"if they are real, pass {Hint('max_amount', biggest)}"
        if np.isfinite(biggest) and biggest <= 1e300
        else "such amounts cannot be added up, so they must be corrected"
    )
    return DataError(
        f"read_transactions: the amount column {column!r} holds {plural(len(positions), 'amount')} larger than "
        f"{limit:g} in absolute value: {locator.rows(positions, [f'{v:g}' for v in values[:5]])}. No single "
        f"purchase is that large: correct those values (is {column!r} the amount column?), or {fix}."
    )


def overflow_error(column: str) -> DataError:
    """The message for amounts whose total is beyond what a float holds.

    Examples
    --------
    >>> print(overflow_error("amount"))
    read_transactions: the amounts of column 'amount' add up to more than a number can hold. Correct the largest ...
    """
    return DataError(
        f"read_transactions: the amounts of column {column!r} add up to more than a number can hold. "
        f"Correct the largest values, or lower {Hint('max_amount', name_only=True)}."
    )


def sql_plain_number(expr: str) -> str:
    """The plain-number rule in DuckDB SQL: the trimmed text as DOUBLE if it is a plain number, else NULL."""
    spaces = ID_SPACES.replace("'", "''")
    trimmed = f"trim(CAST({expr} AS VARCHAR), '{spaces}')"
    return f"CASE WHEN regexp_full_match({trimmed}, '{PLAIN_NUMBER}') THEN CAST({trimmed} AS DOUBLE) END"


def repair_report(kw: str, repairs: Repairs) -> list[str]:
    """Read-report notes for the repairs of a column."""
    if not repairs.rows:
        return []
    how = "decimal commas, currency signs or separators" if repairs.decimal == "," else "currency signs or separators"
    cur = f" (currency marks: {', '.join(repairs.currencies)})" if repairs.currencies else ""
    notes = [
        f"{plural(repairs.rows, kw + ' value')} written with {how} read as numbers{cur}, "
        f"e.g. {'; '.join(repairs.examples)}"
    ]
    if len(repairs.currencies) > 1:
        notes.append(
            f"the {kw} column mixes currencies ({', '.join(repairs.currencies)}); the amounts are added as they are"
        )
    return notes
