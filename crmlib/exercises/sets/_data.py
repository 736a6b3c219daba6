"""Data preparation shared by several exercise sets (not a set: it defines no ``SET``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["split_purchases"]


def split_purchases(tx: pd.DataFrame, seed: int, *, share: float = 0.05, also: Iterable[str] = ()) -> pd.DataFrame:
    """The log with some purchases written as two rows of the same day, as a till does for two baskets.

    The purchases of a share of the one-day customers (drawn on a random stream of their own, so the seed's other
    data stay as they were) and the last purchase day of the customers in ``also`` become two rows each (40% and
    60% of the amount, in cents): one purchase occasion in two rows, so that counting rows and counting purchase
    days differ.

    Parameters
    ----------
    tx : DataFrame
        ``customer_id``, ``date`` (one day), ``amount``; only read.
    seed : int
        The exercise seed.
    share : float
        Share of all customers, drawn among the one-day customers, whose purchase is split.
    also : iterable of str
        Customers whose last purchase day is split as well.

    Returns
    -------
    DataFrame
        The same purchases (the same total per customer and day), sorted by date and customer.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "b", "b"], "amount": [10.0, 5.0, 7.0],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09"])})
    >>> split_purchases(tx, 0, share=0.5, also=["b"])["amount"].tolist()
    [4.0, 6.0, 5.0, 2.8, 4.2]
    """
    rng = np.random.default_rng([seed, 1])
    days = tx.groupby("customer_id")["date"].nunique()
    once = days.index[days == 1]
    chosen = rng.choice(once, size=min(len(once), max(1, int(share * len(days)))), replace=False)
    last = tx.groupby("customer_id")["date"].transform("max")
    pick = tx["customer_id"].isin(chosen) | (tx["customer_id"].isin(list(also)) & (tx["date"] == last))
    rows = tx[pick]
    first = rows.assign(amount=(rows["amount"] * 0.4).round(2))
    second = rows.assign(amount=(rows["amount"] - first["amount"]).round(2))
    return (
        pd.concat([tx[~pick], first, second])
        .sort_values(["date", "customer_id"], kind="stable")
        .reset_index(drop=True)
    )
