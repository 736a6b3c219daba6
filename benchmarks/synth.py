"""Synthetic transaction logs for the benchmarks: fast, vectorised, with known true parameters.

Customers buy by the BG/NBD story (Fader, Hardie and Lee 2005): while alive, customer *i* buys as a
Poisson process with rate :math:`\\lambda_i \\sim \\text{Gamma}(r, \\alpha)` (per day); after every
purchase they drop out with probability :math:`p_i \\sim \\text{Beta}(a, b)`. Spend per purchase is
:math:`z \\sim \\text{Gamma}(p, \\nu_i)` with :math:`\\nu_i \\sim \\text{Gamma}(q, \\gamma)` (the Gamma-Gamma
model). First purchases are spread uniformly over the first ``acquisition_days`` of the window.
Times are floored to the calendar day, so a customer sometimes buys twice on one day (the summary
merges those, as the kit's conventions require).

With the defaults a customer makes about 10 purchases on average, so ``rows / 10`` customers give
``rows`` transactions. ``make_log(rows)`` cuts at a customer boundary so the log holds ``rows``
transactions or slightly fewer, never a partial customer.

This generator lives in ``benchmarks/`` because ``crmlib.datasets.make_retail`` did not exist when the
benchmarks were written; it needs only numpy and pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: True parameters of the generator (time in days, amounts in currency units).
TRUE_PARAMS = {
    "r": 0.9, "alpha": 20.0, "a": 0.8, "b": 6.0,  # BG/NBD, rate per day
    "p": 6.0, "q": 4.0, "v": 60.0,  # Gamma-Gamma, mean spend p * v / (q - 1) = 120
}
START = np.datetime64("2023-01-01", "D")
WINDOW_DAYS = 730
ACQUISITION_DAYS = 365


def _customers(n: int, rng: np.random.Generator, first_id: int) -> pd.DataFrame:
    tp = TRUE_PARAMS
    lam = rng.gamma(tp["r"], 1.0 / tp["alpha"], n)
    p = rng.beta(tp["a"], tp["b"], n)
    nu = rng.gamma(tp["q"], 1.0 / tp["v"], n)
    birth = rng.uniform(0, ACQUISITION_DAYS, n)
    # Repeat purchases made before dropping out: the customer dies after purchase j with probability p.
    # The BG/NBD counts the first purchase as the start: dropout can follow it too (number of repeats ~ Geometric - 1).
    repeats = rng.geometric(p) - 1
    repeats = np.minimum(repeats, 400)
    total = repeats.sum()
    owner = np.repeat(np.arange(n), repeats)
    gaps = rng.exponential(1.0, total) / lam[owner]
    # time since the first purchase: cumulative gaps within each customer
    csum = np.cumsum(gaps)
    before = np.r_[0.0, csum][np.r_[0, np.cumsum(repeats)[:-1]]]  # gaps of earlier customers
    offset = np.repeat(before, repeats)
    times = birth[owner] + (csum - offset)
    keep = times < WINDOW_DAYS
    owner_all = np.r_[np.arange(n), owner[keep]]
    time_all = np.r_[birth, times[keep]]
    order = np.lexsort((time_all, owner_all))
    owner_all = owner_all[order]
    time_all = time_all[order]
    amount = rng.gamma(tp["p"], 1.0 / nu[owner_all])
    return pd.DataFrame(
        {
            "customer_id": (owner_all + first_id).astype(np.int64),
            "date": (START + np.floor(time_all).astype("timedelta64[D]")).astype("datetime64[ns]"),
            "amount": np.round(amount, 2),
        }
    )


def make_log(rows: int, *, seed: int = 0, chunk_customers: int = 1_000_000):
    """A transaction log of about ``rows`` rows (canonical columns), generated in chunks of customers.

    Yields DataFrames (one per chunk) when used through :func:`iter_log`; this function concatenates.
    """
    return pd.concat(list(iter_log(rows, seed=seed, chunk_customers=chunk_customers)), ignore_index=True)


def iter_log(rows: int, *, seed: int = 0, chunk_customers: int = 1_000_000):
    """Yield chunks of the log until ``rows`` transactions are reached (cut at a customer boundary)."""
    rng = np.random.default_rng(seed)
    made = 0
    next_id = 1
    while made < rows:
        need = rows - made
        n = max(16, min(chunk_customers, int(need / 9.5) + 16))
        chunk = _customers(n, rng, next_id)
        next_id += n
        if made + len(chunk) > rows:
            # keep whole customers only: drop the one the cut falls into and all after it
            ids = chunk["customer_id"].to_numpy()
            chunk = chunk[ids < ids[rows - made]]
            made = rows
        else:
            made += len(chunk)
        yield chunk.reset_index(drop=True)
