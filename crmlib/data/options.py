"""The reader's options: one object for Python, one definition of the command-line flags.

:class:`ReadOptions` holds everything :func:`crmlib.data.read_transactions` and
:func:`crmlib.scale.summarize_file` need to know about a file: its columns, the date format, what to do
with returns and blank ids, which sheets, and the resource limits. Both functions take the options as
keywords (``date_format="%d/%m/%Y"``) or as one object (``options=ReadOptions(...)``).

:func:`add_reader_arguments` adds the same options to an ``argparse`` parser as flags
(``--date-format``), and :func:`read_options_from_args` turns the parsed flags back into a
:class:`ReadOptions`, so every command that reads a file (``crmlib run``, ``crmlib report``) offers the
same flags from this one definition. A flag is the option's name with dashes (:func:`option_flag`).
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from crmlib.data.errors import Hint, OptionError, option_flag

if TYPE_CHECKING:
    import argparse

__all__ = [
    "BLANK_POLICIES",
    "RETURNS_POLICIES",
    "ReadOptions",
    "add_reader_arguments",
    "make_options",
    "read_options_from_args",
]

#: What ``returns=`` may be: see :func:`crmlib.data.read_transactions`.
RETURNS_POLICIES = ("net", "drop", "keep")
#: What ``blank_customers=`` may be (``None``: "drop" for line items, else "raise").
BLANK_POLICIES = ("raise", "drop")
#: ``delimiter=`` for fields separated by runs of spaces or tabs (the original CDNOW files).
WHITESPACE = "whitespace"

# strptime's codes (Python's datetime.strptime)
_FORMAT_CODES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
_FORMAT_CODE = re.compile(r"%(.?)")


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """How to read a transaction file: columns, formats, policies and resource limits.

    Every field is also a keyword of :func:`crmlib.data.read_transactions` and
    :func:`crmlib.scale.summarize_file`, and a flag of the ``crmlib`` command (``date_format`` is
    ``--date-format``).

    Parameters
    ----------
    customer, date, amount : str
        Names of the customer-id, date and amount columns.
    quantity, price, invoice : str, optional
        Line-item exports: amount = quantity * price per line; lines of one invoice form one purchase.
    date_format : str or sequence of str, optional
        The strftime format of the dates (``"%d/%m/%Y"``), or several formats when the column mixes
        them: each value is read with the first format that fits it. Default: recognised from the
        column.
    returns : {"net", "drop", "keep"}
        What to do with returns (negative amounts).
    blank_customers : {"raise", "drop"}, optional
        Rows without a customer id: refuse them, or leave them out and report them. Default: "drop"
        for line items, else "raise".
    sheet : str, int or sequence of them, optional
        Workbook sheets: one (name or position from 0), several (combined in order), or ``None`` for
        every sheet that holds the columns.
    delimiter : str, optional
        The field delimiter of a text file (one character, or ``"whitespace"`` for fields separated
        by runs of spaces); default: recognised.
    encoding : str, optional
        The text encoding of a text file; default: recognised over the whole file.
    max_expansion : float
        A compressed file (``.gz``, a workbook) may expand to at most this many times its size.
    max_id_length : int
        Longest customer id accepted, in characters.
    max_cell_chars : int
        Longest text in one cell of a workbook, in characters (Excel's own limit is 32,767).
    max_columns : int
        Most columns of a file considered when looking for the named ones.
    max_amount : float
        Largest amount (in absolute value) accepted for one row, in currency units.

    Examples
    --------
    >>> options = ReadOptions(customer="Customer ID", date_format=["%d/%m/%Y", "%Y-%m-%d"])
    >>> options.date_format
    ('%d/%m/%Y', '%Y-%m-%d')
    >>> options.changed()
    {'customer': 'Customer ID', 'date_format': ['%d/%m/%Y', '%Y-%m-%d']}
    """

    customer: str = "customer_id"
    date: str = "date"
    amount: str = "amount"
    quantity: str | None = None
    price: str | None = None
    invoice: str | None = None
    date_format: str | tuple[str, ...] | None = None
    returns: str = "net"
    blank_customers: str | None = None
    sheet: str | int | tuple[str | int, ...] | None = None
    delimiter: str | None = None
    encoding: str | None = None
    max_expansion: float = 100.0
    max_id_length: int = 200
    max_cell_chars: int = 32_767
    max_columns: int = 100_000
    max_amount: float = 1e12

    def __post_init__(self) -> None:
        for name, value in _checked(dataclasses.asdict(self), "ReadOptions").items():
            object.__setattr__(self, name, value)

    @property
    def line_items(self) -> bool:
        """True when amounts are quantity * price."""
        return self.quantity is not None

    @property
    def blank_policy(self) -> str:
        """``blank_customers`` with its default resolved."""
        if self.blank_customers is not None:
            return self.blank_customers
        return "drop" if self.line_items else "raise"

    @property
    def formats(self) -> tuple[str, ...]:
        """The given date formats as a tuple (empty when they are recognised)."""
        if self.date_format is None:
            return ()
        return (self.date_format,) if isinstance(self.date_format, str) else tuple(self.date_format)

    def columns(self) -> dict[str, str]:
        """The columns to read: role (customer, date, amount or quantity and price, invoice) -> name."""
        wanted = {"customer": self.customer, "date": self.date}
        if self.line_items:
            wanted.update(quantity=str(self.quantity), price=str(self.price))
        else:
            wanted["amount"] = self.amount
        if self.invoice is not None:
            wanted["invoice"] = self.invoice
        return wanted

    def changed(self) -> dict[str, Any]:
        """The options that differ from their defaults, as plain values (lists for tuples).

        A JSON-able dictionary: chapters receive it as one parameter and rebuild the options with
        ``ReadOptions(**values)``.
        """
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value != field.default:
                out[field.name] = list(value) if isinstance(value, tuple) else value
        return out


#: The fields of :class:`ReadOptions`, in order.
OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ReadOptions))
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ReadOptions)}


def make_options(func: str, options: ReadOptions | None = None, /, **keywords: Any) -> ReadOptions:
    """The options of a call: ``options`` (or the defaults) with every keyword not at its default applied.

    Parameters
    ----------
    func : str
        The function the options are for, named in the messages of bad values.
    options : ReadOptions, optional
        Options given as one object.
    **keywords
        Options given one by one (fields of :class:`ReadOptions`).

    Returns
    -------
    ReadOptions
        Checked options.

    Raises
    ------
    OptionError
        One sentence naming the option, what it must be and what it got (a ``ParameterError`` too).

    Examples
    --------
    >>> make_options("read_transactions", ReadOptions(customer="client"), date_format="%d/%m/%Y").customer
    'client'
    """
    if options is not None and not isinstance(options, ReadOptions):
        raise OptionError(
            f"The 'options' parameter of {func} must be a crmlib.data.ReadOptions. "
            f"Got {type(options).__name__} instead."
        )
    unknown = sorted(set(keywords) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(f"{func}() got unexpected keyword arguments {', '.join(map(repr, unknown))}")
    values = dataclasses.asdict(options) if options is not None else dict(_DEFAULTS)
    for name, value in keywords.items():
        if options is None or not _same(value, _DEFAULTS[name]):
            values[name] = value
    return ReadOptions(**_checked(values, func))


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------------------------
# Checks


def _must(func: str, option: str, what: str, got: Any) -> OptionError:
    return OptionError(f"The {Hint(option, name_only=True)} parameter of {func} must be {what}. Got {got!r} instead.")


def _text(values: dict, name: str, func: str, *, optional: bool) -> None:
    value = values[name]
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise _must(func, name, "a non-empty text" if not optional else "a column name (text) or None", value)


def _positive(values: dict, name: str, func: str, *, integer: bool, low: float = 1) -> None:
    value = values[name]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= low
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        kind = "an integer" if integer else "a number"
        raise _must(func, name, f"{kind} of at least {low:g}", value)
    values[name] = int(value) if integer else float(value)


def check_date_format(fmt: Any, func: str) -> str:
    """``fmt`` if it is a usable strftime format for dates; else an :class:`OptionError` saying why."""
    if not isinstance(fmt, str) or not fmt.strip():
        raise _must(func, "date_format", "a date format in strftime codes such as '%d/%m/%Y'", fmt)
    codes = _FORMAT_CODE.findall(fmt)
    unknown = [c for c in codes if c not in _FORMAT_CODES]
    if unknown:
        bad = "%" + unknown[0] if unknown[0] else "a lone '%' at the end"
        raise OptionError(
            f"The {Hint('date_format', name_only=True)} parameter of {func} must be a date format in Python's "
            f"strftime codes (%Y year, %m month, %d day, %b month name, %H hour, %M minute, %S second, %p AM/PM), "
            f"such as '%d/%m/%Y'; {bad!r} is not one of them. Got {fmt!r} instead."
        )
    has_day = ("d" in codes and ("m" in codes or "b" in codes or "B" in codes)) or "j" in codes
    if not has_day or not ({"Y", "y", "G"} & set(codes)):
        raise OptionError(
            f"The {Hint('date_format', name_only=True)} parameter of {func} must name a year, a month and a "
            f"day (such as '%d/%m/%Y' or '%Y-%m-%d %H:%M'); {fmt!r} does not. Got {fmt!r} instead."
        )
    return fmt


def _checked(values: dict[str, Any], func: str) -> dict[str, Any]:
    """The values checked and normalised (sequences as tuples); OptionError on the first bad one."""
    values = dict(values)
    _check_columns(values, func)
    _check_formats(values, func)
    _check_policies(values, func)
    _check_text_file(values, func)
    _positive(values, "max_expansion", func, integer=False)
    for name in ("max_id_length", "max_cell_chars", "max_columns"):
        _positive(values, name, func, integer=True)
    _positive(values, "max_amount", func, integer=False, low=1e-300)
    return values


def _check_columns(values: dict[str, Any], func: str) -> None:
    for name in ("customer", "date"):
        _text(values, name, func, optional=False)
    for name in ("quantity", "price", "invoice"):
        _text(values, name, func, optional=True)
    if (values["quantity"] is None) != (values["price"] is None):
        given = Hint("quantity", name_only=True) if values["price"] is None else Hint("price", name_only=True)
        raise OptionError(
            f"{func} needs both {Hint('quantity', keyword=True)} and {Hint('price', keyword=True)} for line items "
            f"(amount = quantity * price); only {given} was given."
        )
    if values["quantity"] is None:
        _text(values, "amount", func, optional=False)


def _check_formats(values: dict[str, Any], func: str) -> None:
    fmt = values["date_format"]
    if fmt is None:
        return
    formats = (fmt,) if isinstance(fmt, str) else fmt
    if not isinstance(formats, Sequence) or isinstance(formats, (bytes, bytearray)) or not formats:
        raise _must(func, "date_format", "a date format such as '%d/%m/%Y', or a list of them", fmt)
    formats = tuple(check_date_format(f, func) for f in formats)
    values["date_format"] = formats[0] if len(formats) == 1 and isinstance(fmt, str) else formats


def _check_policies(values: dict[str, Any], func: str) -> None:
    if values["returns"] not in RETURNS_POLICIES:
        raise _must(func, "returns", f"one of {', '.join(map(repr, RETURNS_POLICIES))}", values["returns"])
    if values["blank_customers"] is not None and values["blank_customers"] not in BLANK_POLICIES:
        raise _must(
            func, "blank_customers", f"one of {', '.join(map(repr, BLANK_POLICIES))}", values["blank_customers"]
        )
    values["sheet"] = _checked_sheet(values["sheet"], func)


def _check_text_file(values: dict[str, Any], func: str) -> None:
    delimiter = values["delimiter"]
    if delimiter is not None and not (isinstance(delimiter, str) and (len(delimiter) == 1 or delimiter == WHITESPACE)):
        raise _must(func, "delimiter", "one character such as ';', or 'whitespace'", delimiter)
    if values["encoding"] is not None:
        try:
            codecs.lookup(values["encoding"])
        except (LookupError, TypeError):
            raise _must(func, "encoding", "a text encoding such as 'utf-8' or 'cp1252'", values["encoding"]) from None


def _checked_sheet(sheet: Any, func: str) -> Any:
    def one(s: Any) -> bool:
        return isinstance(s, str) or (isinstance(s, int) and not isinstance(s, bool) and s >= 0)

    if sheet is None or one(sheet):
        return sheet
    if isinstance(sheet, Sequence) and sheet and all(one(s) for s in sheet):
        return tuple(sheet)
    raise _must(func, "sheet", "a sheet name, a position from 0, a list of them, or None for every sheet", sheet)


# ----------------------------------------------------------------------------------------------
# Command line

_HELP = {
    "customer": ("COL", "column of the customer id (default: customer_id)"),
    "date": ("COL", "column of the purchase date or timestamp (default: date)"),
    "amount": ("COL", "column of the amount (default: amount; or give --quantity and --price)"),
    "quantity": ("COL", "line-item exports: column of the quantity"),
    "price": ("COL", "line-item exports: column of the unit price"),
    "invoice": ("COL", "line-item exports: column of the invoice id (the lines of one order)"),
    "date_format": ("FMT", "strftime format of the dates, e.g. %%d/%%m/%%Y; repeat it for a column that mixes formats"),
    "returns": (None, "negative amounts (returns): net them against the purchase (default), drop or keep them"),
    "blank_customers": (None, "rows without a customer id: raise (default; drop for line items) or drop them"),
    "sheet": ("NAME", "workbook sheet to read (repeat it to combine several); default: every sheet with the columns"),
    "delimiter": ("CHAR", "field delimiter of a text file, or 'whitespace' (default: recognised)"),
    "encoding": ("NAME", "text encoding of a text file, e.g. cp1252 (default: recognised over the whole file)"),
    "max_expansion": ("X", "a compressed file may expand to at most X times its size (default 100)"),
    "max_id_length": ("N", "longest customer id accepted, in characters (default 200)"),
    "max_cell_chars": ("N", "longest text in one workbook cell, in characters (default 32767)"),
    "max_columns": ("N", "most columns of a file considered (default 100000)"),
    "max_amount": ("X", "largest amount accepted for one row (default 1e12)"),
}
_CHOICES = {"returns": RETURNS_POLICIES, "blank_customers": BLANK_POLICIES}
_REPEATABLE = ("date_format", "sheet")
_TYPES: dict[str, Any] = {
    "max_expansion": float,
    "max_id_length": int,
    "max_cell_chars": int,
    "max_columns": int,
    "max_amount": float,
}


def _date_format_type(value: str) -> str:
    import argparse

    try:
        return check_date_format(value, "the command")
    except OptionError as exc:
        raise argparse.ArgumentTypeError(exc.render("cli")) from None


def add_reader_arguments(parser: argparse.ArgumentParser, *, title: str = "reading the data file") -> None:
    """Add the reader's options to ``parser`` as flags (``--customer``, ``--date-format``, ...).

    Every field of :class:`ReadOptions` becomes ``--field-name`` (:func:`option_flag`) with ``dest`` the
    field's name; flags not given stay ``None``, so :func:`read_options_from_args` keeps the defaults.
    ``--date-format`` and ``--sheet`` may be repeated.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser (or subparser) of a command that reads a transaction file.
    title : str
        Title of the argument group in the help.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_reader_arguments(parser)
    >>> read_options_from_args(parser.parse_args(["--date-format", "%d/%m/%Y", "--returns", "drop"]))
    ReadOptions(customer='customer_id', date='date', amount='amount', quantity=None, price=None, invoice=None, \
date_format='%d/%m/%Y', returns='drop', blank_customers=None, sheet=None, delimiter=None, encoding=None, \
max_expansion=100.0, max_id_length=200, max_cell_chars=32767, max_columns=100000, max_amount=1000000000000.0)
    """
    group = parser.add_argument_group(title)
    for name in OPTION_NAMES:
        metavar, text = _HELP[name]
        kwargs: dict[str, Any] = {"dest": name, "default": None, "help": text}
        if name in _CHOICES:
            kwargs["choices"] = _CHOICES[name]
        else:
            kwargs["metavar"] = metavar
        if name in _REPEATABLE:
            kwargs["action"] = "append"
        if name == "date_format":
            kwargs["type"] = _date_format_type
        elif name in _TYPES:
            kwargs["type"] = _TYPES[name]
        group.add_argument(option_flag(name), **kwargs)


def reader_flags() -> tuple[str, ...]:
    """The flags :func:`add_reader_arguments` adds, in order.

    Examples
    --------
    >>> reader_flags()[:3]
    ('--customer', '--date', '--amount')
    """
    return tuple(option_flag(name) for name in OPTION_NAMES)


def read_options_from_args(args: argparse.Namespace, base: ReadOptions | None = None) -> ReadOptions:
    """The :class:`ReadOptions` of parsed command-line flags (added by :func:`add_reader_arguments`).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.
    base : ReadOptions, optional
        Options the flags are applied to (default: the defaults).

    Returns
    -------
    ReadOptions
        ``base`` with every flag that was given.

    Raises
    ------
    OptionError
        A value the reader cannot use; ``error.render("cli")`` names the flag.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_reader_arguments(parser)
    >>> args = parser.parse_args(["--customer", "client", "--date-format", "%d/%m/%Y"])
    >>> read_options_from_args(args).changed()
    {'customer': 'client', 'date_format': '%d/%m/%Y'}
    """
    values = dataclasses.asdict(base) if base is not None else dict(_DEFAULTS)
    for name in OPTION_NAMES:
        value = getattr(args, name, None)
        if value is None:
            continue
        if name in _REPEATABLE:
            value = value[0] if len(value) == 1 else tuple(value)
        values[name] = value
    return ReadOptions(**_checked(values, "the command"))
