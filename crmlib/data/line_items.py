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
    """Amount of each line: quantity times price (NaN where either is missing)."""
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
    """The message for lines without an invoice id."""
    return DataError(
        f"read_transactions: the invoice column {column!r} is blank in {plural(len(positions), 'row')}: "
        f"{locator.rows(positions)}. Fill in the invoice ids, or read without {Hint('invoice', keyword=True)} (one row "
        "per line)."
    )


def group_invoices(
    ids: np.ndarray, days: np.ndarray, amounts: np.ndarray, invoice: IdResult, locator: RowLocator, column: str
) -> Invoices:
    """One purchase per (customer, invoice): its first day and summed amount; DataError for blank invoice ids."""
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
