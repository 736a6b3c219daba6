"""What every ``crmlib`` subcommand shares: the parser with one-line errors, the error types and how errors print.

Public names for the kit's own command-line modules (:mod:`crmlib.cli`, :mod:`crmlib.exercises`, the course
builder)::

    from crmlib._cli_support import CommandParser, UsageError, error_lines

    parser = CommandParser(prog="crmlib exercises", description="...")
    sub = parser.add_subparsers(dest="action", parser_class=CommandParser)

A :class:`UsageError` (exit code 2) is a command line that cannot be carried out as written; a :class:`Failure`
(exit code 1) is something that ran and failed, its message already worded for the user. ``crmlib``'s ``main``
prints either as ``crmlib: error: <first line>`` with further lines (offending rows) indented under it.
"""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = [
    "CommandParser",
    "Failure",
    "UsageError",
    "error_lines",
    "quick_notebook_imports",
    "quiet_papermill",
]


class UsageError(Exception):
    """The command line cannot be carried out as written (exit code 2)."""


class Failure(Exception):
    """Something ran and failed; the message says what and what to do (exit code 1)."""


class CommandParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``crmlib: error: ... (see 'crmlib run --help')``."""

    def error(self, message: str):
        """Raise :class:`UsageError` instead of printing the usage and exiting."""
        raise UsageError(f"{message} (see '{self.prog} --help')")


def error_lines(exc: BaseException | str) -> str:
    r"""The message of an error: the first line as it is, further lines (e.g. offending rows) indented.

    Examples
    --------
    >>> print(error_lines(ValueError("The column 'Total' holds text.\nrow 3: 'n/a'")))
    The column 'Total' holds text.
      row 3: 'n/a'
    """
    text = (exc if isinstance(exc, str) else exc.render("cli") if hasattr(exc, "render") else str(exc)).strip()
    first, *rest = (text or type(exc).__name__).splitlines()
    return "\n".join([first, *("  " + line for line in rest)])


def quick_notebook_imports() -> None:
    """Skip a 2-second import that notebook handling never needs.

    nbformat validates notebooks with jsonschema, and jsonschema imports ``rfc3987_syntax`` (if installed) only to
    check the rarely used ``iri`` string formats, which notebook schemas do not use; that package builds a grammar
    at import time (about 2 s). Marking it absent in this process makes every ``crmlib run`` that much faster.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


class _KnownParameterNotes(logging.Filter):
    """Drop papermill's parameter-parsing warnings: the command checks the names itself.

    papermill warns "Passed unknown parameter" whenever its line-based reader cannot parse a line of the
    ``parameters`` cell (a comment holding '=' is enough), although it injects the value all the same.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not message.startswith(("Passed unknown parameter", "Unable to parse line"))


def quiet_papermill() -> None:
    """Install the filter above on papermill's loggers (once)."""
    for name in ("papermill", "papermill.translators"):  # a logger's filter does not see its children's records
        logger = logging.getLogger(name)
        if not any(isinstance(f, _KnownParameterNotes) for f in logger.filters):
            logger.addFilter(_KnownParameterNotes())
