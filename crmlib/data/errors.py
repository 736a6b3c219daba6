"""The reader's errors and warnings, and the hints they carry.

A message of the reader names the problem and the fix. The fix is often an option of the reader
(``date_format='%d/%m/%Y'``), which is spelled differently in Python and on the command line
(``--date-format '%d/%m/%Y'``). So a message keeps its hints as structured :class:`Hint` objects and
renders itself for either entry point: ``str(error)`` is the Python form; ``error.render("cli")`` the
command-line form, which the ``crmlib`` command prints.

A hint is written into a message with an f-string (``f"pass {Hint('date_format', fmt)}"``): its
``__format__`` leaves a marker that :class:`DataError` turns back into the hint.
"""

from __future__ import annotations

import ast
import re
import shlex
from typing import Any

from crmlib.params import ParameterError

__all__ = ["ENTRY_POINTS", "DataError", "DataWarning", "Hint", "OptionError", "option_flag"]

#: The entry points a message can be rendered for.
ENTRY_POINTS = ("python", "cli", "chapter")

_MARK = "\x1f"
_MARKER = re.compile(_MARK + r"(set|open|name|keyword):([a-z_]+):(.*?)" + _MARK, re.DOTALL)
_FUNC_PREFIX = re.compile(r"^(read_transactions|summarize_file|summarize|ReadOptions): ")
_PARAMETER_OF = re.compile(r" parameter of (read_transactions|summarize_file|summarize|ReadOptions|the command) ")
_OPEN = object()


def option_flag(option: str) -> str:
    """The command-line flag of a reader option: ``date_format`` -> ``--date-format``.

    Parameters
    ----------
    option : str
        A field of :class:`crmlib.data.ReadOptions`.

    Returns
    -------
    str
        The flag that :func:`crmlib.data.add_reader_arguments` adds for it.

    Examples
    --------
    >>> option_flag("max_id_length")
    '--max-id-length'
    """
    return "--" + option.replace("_", "-")


class Hint:
    """An option of the reader named in a message, with the value to give it (if there is one).

    Parameters
    ----------
    option : str
        The option (a field of :class:`crmlib.data.ReadOptions`, a keyword of ``read_transactions``).
    value : optional
        The value to suggest. Without it the hint reads ``option=...`` (``--option ...``).
    name_only : bool
        Name the option alone: ``'option'`` in Python, ``--option`` on the command line.
    keyword : bool
        Name the option as a keyword to fill in: ``option=`` in Python, ``--option`` on the command line.

    Examples
    --------
    >>> hint = Hint("date_format", "%d/%m/%Y")
    >>> hint.render("python"), hint.render("cli")
    ("date_format='%d/%m/%Y'", "--date-format '%d/%m/%Y'")
    >>> Hint("delimiter").render("cli")
    '--delimiter ...'
    """

    __slots__ = ("option", "value", "form")

    def __init__(self, option: str, value: Any = _OPEN, *, name_only: bool = False, keyword: bool = False) -> None:
        if not re.fullmatch(r"[a-z_]+", option):
            raise ValueError(f"Hint: {option!r} is not an option name")
        self.option = option
        self.value = value
        if name_only or keyword:
            self.form = "name" if name_only else "keyword"
        else:
            self.form = "open" if value is _OPEN else "set"

    def __repr__(self) -> str:
        return f"Hint({self.option!r}, form={self.form!r}, value={self.value!r})"

    def __format__(self, spec: str) -> str:
        value = "" if self.form != "set" else repr(self.value)
        return f"{_MARK}{self.form}:{self.option}:{value}{_MARK}"

    def __str__(self) -> str:
        return format(self)

    def render(self, entry: str = "python") -> str:
        """The hint as the user of ``entry`` writes it.

        ``entry``: "python" (arguments), "cli" (flags) or "chapter" (keys of a chapter's ``read_options``).
        """
        if entry == "cli":
            flag = option_flag(self.option)
            if self.form in ("name", "keyword"):
                return flag
            if self.form == "open":
                return f"{flag} ..."
            values = self.value if isinstance(self.value, (tuple, list)) else (self.value,)
            return " ".join(f"{flag} {_shell(v)}" for v in values)
        if entry == "chapter":  # a chapter's read_options dict (crmlib.chapter.setup)
            key = f"read_options[{self.option!r}]"
            if self.form in ("name", "keyword"):
                return key
            if self.form == "open":
                return f"{key} = ..."
            return f"{key} = {self.value!r}"
        if self.form == "name":
            return repr(self.option)
        if self.form == "keyword":
            return f"{self.option}="
        if self.form == "open":
            return f"{self.option}=..."
        return f"{self.option}={self.value!r}"


def _shell(value: Any) -> str:
    """A value as a shell argument: bare when plain (``drop``, ``1000``), else in single quotes."""
    text = str(value)
    if re.fullmatch(r"[\w.,:+-]+", text):
        return text
    return shlex.quote(text) if "'" in text else f"'{text}'"


def _parse(message: str) -> list[str | Hint]:
    parts: list[str | Hint] = []
    position = 0
    for match in _MARKER.finditer(message):
        parts.append(message[position : match.start()])
        form, option, value = match.groups()
        if form == "set":
            try:
                parsed = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                parsed = value
            parts.append(Hint(option, parsed))
        else:
            parts.append(Hint(option, name_only=form == "name", keyword=form == "keyword"))
        position = match.end()
    parts.append(message[position:])
    return [p for p in parts if p != ""]


def _render(parts: list[str | Hint], entry: str) -> str:
    text = "".join(p.render(entry) if isinstance(p, Hint) else p for p in parts)
    if entry == "cli":
        text = _FUNC_PREFIX.sub("", text, count=1)
        text = _PARAMETER_OF.sub(" option ", text)
    return text


class DataError(ValueError):
    """The input data cannot be used as it is. The message names the problem and the fix.

    ``str(error)`` reads as Python (``pass date_format='%d/%m/%Y'``); :meth:`render` gives the
    command-line form (``pass --date-format '%d/%m/%Y'``). :attr:`hints` lists the options the message
    names.

    Parameters
    ----------
    message : str
        The message, with :class:`Hint` objects formatted into it.

    Examples
    --------
    >>> error = DataError(f"read_transactions: say which with {Hint('date_format', '%d/%m/%Y')}.")
    >>> str(error)
    "read_transactions: say which with date_format='%d/%m/%Y'."
    >>> error.render("cli")
    "say which with --date-format '%d/%m/%Y'."
    """

    def __init__(self, message: str = "") -> None:
        self.template = message
        self.parts = _parse(message)
        super().__init__(_render(self.parts, "python"))

    @property
    def hints(self) -> tuple[Hint, ...]:
        """The options the message names, in order."""
        return tuple(p for p in self.parts if isinstance(p, Hint))

    def render(self, entry: str = "python") -> str:
        """The message for the entry point ``entry``.

        ``entry``: "python" (arguments), "cli" (flags) or "chapter" (keys of a chapter's ``read_options``).
        """
        if entry not in ENTRY_POINTS:
            raise ValueError(f"entry must be one of {ENTRY_POINTS}; got {entry!r}")
        return _render(self.parts, entry)

    def __reduce__(self):
        return (type(self), (self.template,))


class OptionError(DataError, ParameterError):
    """An option of the reader has a value it cannot use.

    It is a :class:`crmlib.params.ParameterError` too, so code catching bad parameters catches it.
    """


class DataWarning(UserWarning):
    """The input data was read, but something was repaired, left out or looks odd (see the message)."""


def render_text(message: str, entry: str = "python") -> str:
    """A text with :class:`Hint` markers (a read-report note), rendered for ``entry``."""
    return _render(_parse(message), entry)
