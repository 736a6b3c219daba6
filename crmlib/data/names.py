"""Finding the named columns in a source, and the message when one is not there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmlib.data.errors import DataError, Hint
from crmlib.data.rows import suggest

__all__ = ["ROLE_WORDS", "has_columns", "resolve_columns", "role_hint"]

#: How messages name the column of each role.
ROLE_WORDS = {
    "customer": "customer-id",
    "date": "date",
    "amount": "amount",
    "quantity": "quantity",
    "price": "price",
    "invoice": "invoice",
}


def role_hint(role: str, value: Any) -> Hint:
    """The hint ``role=value`` for the column option of a role (customer, date, amount, quantity, price, invoice).

    Examples
    --------
    >>> role_hint("customer", "client").render()
    "customer='client'"
    >>> role_hint("customer", "client").render("cli")
    '--customer client'
    """
    if role == "customer":
        return Hint("customer", value)
    if role == "date":
        return Hint("date", value)
    if role == "amount":
        return Hint("amount", value)
    if role == "quantity":
        return Hint("quantity", value)
    if role == "price":
        return Hint("price", value)
    if role == "invoice":
        return Hint("invoice", value)
    raise ValueError(f"role_hint: no column option for {role!r}")


def has_columns(columns: Sequence[Any], wanted: dict[str, str]) -> bool:
    """True if every wanted column name is among ``columns`` (spaces around names ignored).

    Examples
    --------
    >>> has_columns(["customer_id", " date ", "amount"], {"customer": "customer_id", "date": "date"})
    True
    >>> has_columns(["customer_id", "amount"], {"date": "date"})
    False
    """
    names = {c.strip() for c in columns if isinstance(c, str)}
    return all(w in columns or w.strip() in names for w in wanted.values())


def resolve_columns(
    wanted: dict[str, str], columns: Sequence[Any], source: str, *, quote: bool = True, hint: str = ""
) -> dict[str, Any]:
    """Map each role (customer, date, ...) to the actual column label; DataError naming the missing one.

    Parameters
    ----------
    wanted : dict
        Role -> the column name given by the user.
    columns : sequence
        The source's column labels.
    source : str
        The source as messages name it.
    quote : bool
        Whether the message may list the source's columns (not for a file reached through a link).
    hint : str
        Added to the message (a sentence about the delimiter of a one-column text file).

    Examples
    --------
    >>> resolve_columns({"customer": "client", "date": "day"}, ["client", " day", "eur"], "'orders.csv'")
    {'customer': 'client', 'date': ' day'}
    >>> resolve_columns({"amount": "amount"}, ["client", "day", "Amount"], "'orders.csv'")
    Traceback (most recent call last):
    ...
    crmlib.data.errors.DataError: read_transactions: the amount column 'amount' is not in 'orders.csv'. ...
    """
    actual: dict[str, Any] = {}
    for role, name in wanted.items():
        if name in columns:
            actual[role] = name
            continue
        stripped = [c for c in columns if isinstance(c, str) and c.strip() == name.strip()]
        if len(stripped) == 1:
            actual[role] = stripped[0]
            continue
        raise _missing(role, name, columns, actual, source, quote, hint)
    return actual


def _missing(
    role: str, name: str, columns: Sequence[Any], actual: dict[str, Any], source: str, quote: bool, hint: str
) -> DataError:
    what = ROLE_WORDS[role]
    message = f"read_transactions: the {what} column {name!r} is not in {source}. "
    guess = None
    if quote:
        present = ", ".join(repr(str(c)) for c in columns[:30]) + (" ..." if len(columns) > 30 else "")
        message += f"Columns present: {present}. "
        taken = {str(v) for v in actual.values()}
        guess = suggest(name, [c for c in columns if str(c) not in taken])
    else:
        message += "(It is reached through a link, so its columns are not shown.) "
    if guess is not None:
        message += f"Did you mean {guess!r}? Pass {role_hint(role, guess)}."
    else:
        message += f"Name the {what} column with {role_hint(role, '<column name>')}."
    if role == "amount":
        message += f" For line items (quantity and unit price), pass {Hint('quantity')} and {Hint('price')} instead."
    return DataError(message + hint)
