r"""The line-item rule: amount = quantity x price per line; the lines of an invoice form one purchase.

.. math::

    \text{amount}_\ell = q_\ell \, p_\ell, \qquad
    \text{amount}_k = \sum_{\ell \in k} q_\ell \, p_\ell \quad (\text{invoice } k)

An invoice is one purchase of its customer, on the invoice's first date. Invoices whose id starts with
``"C"`` (cancellations in the Online Retail II layout, with negative quantities) are counted; their
negative amounts are returns (:mod:`crmlib.data.returns`). This is the layout of the public Online
Retail II data set (Chen, Sain and Guo, 2012).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from crmlib.data.amounts import NumberResult
from crmlib.data.errors import DataError, Hint
from crmlib.data.ids import IdResult
from crmlib.data.rows import RowLocator, plural

__all__ = ["Invoices", "blank_invoice_error", "group_invoices", "line_amounts"]


def line_amounts(quantity: NumberResult, price: NumberResult) -> np.ndarray:
    """Amount of each line: quantity times price (NaN where either is missing).

    Examples
    --------
    >>> from crmlib.data.amounts import NumberResult
    >>> def numbers(*values):
    ...     none = np.zeros(len(values), bool)
    ...     return NumberResult(np.array(values, float), none, none, None)
    >>> line_amounts(numbers(2, 1, np.nan), numbers(2.5, 10, 4))
    array([ 5., 10., nan])
    """
    with np.errstate(invalid="ignore", over="ignore"):
        return quantity.values * price.values


@dataclass
class Invoices:
    """Purchases made of invoices: customer code, day and amount per invoice, and their counts."""

    codes: np.ndarray
    days: np.ndarray
    amounts: np.ndarray
    invoices: int
    cancellations: int


def blank_invoice_error(positions: np.ndarray, locator: RowLocator, column: str) -> DataError:
    """The message for lines without an invoice id.

    Examples
    --------
    >>> locator = RowLocator("'lines.csv'", "text", offset=2)
    >>> print(blank_invoice_error(np.array([0, 3]), locator, "InvoiceNo"))
    read_transactions: the invoice column 'InvoiceNo' is blank in 2 rows: line 2, line 5. Fill in the invoice ids, ...
    """
    return DataError(
        f"read_transactions: the invoice column {column!r} is blank in {plural(len(positions), 'row')}: "
        f"{locator.rows(positions)}. Fill in the invoice ids, or read without {Hint('invoice', keyword=True)} (one row "
        "per line)."
    )


def group_invoices(
    ids: np.ndarray, days: np.ndarray, amounts: np.ndarray, invoice: IdResult, locator: RowLocator, column: str
) -> Invoices:
    """One purchase per (customer, invoice): its first day and summed amount; DataError for blank invoice ids.

    Examples
    --------
    >>> import pyarrow as pa
    >>> invoice = IdResult(np.array([0, 0, 1]), pa.array(["536365", "C536379"]), np.zeros(3, bool), None)
    >>> locator = RowLocator("'lines.csv'", "text", offset=2)
    >>> ids, days, amounts = np.array([4, 4, 4]), np.array([10, 10, 12]), np.array([15.3, 20.3, -27.5])
    >>> grouped = group_invoices(ids, days, amounts, invoice, locator, "InvoiceNo")
    >>> grouped.days.tolist(), grouped.amounts.round(2).tolist(), grouped.invoices, grouped.cancellations
    ([10, 12], [35.6, -27.5], 2, 1)
    """
    if invoice.blank.any():
        raise blank_invoice_error(np.flatnonzero(invoice.blank), locator, column)
    n_inv = np.int64(len(invoice.distinct))
    key = ids.astype(np.int64) * n_inv + invoice.codes
    group_keys, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.ravel()
    first_day = np.full(len(group_keys), np.iinfo(np.int64).max)
    np.minimum.at(first_day, inverse, days)
    totals = np.bincount(inverse, weights=amounts, minlength=len(group_keys))
    is_c = pc.starts_with(pc.utf8_upper(invoice.distinct), "C").to_numpy(zero_copy_only=False)
    cancel = is_c[group_keys % n_inv]
    return Invoices(
        codes=group_keys // n_inv,
        days=first_day,
        amounts=totals,
        invoices=int(len(group_keys)),
        cancellations=int(cancel.sum()),
    )
