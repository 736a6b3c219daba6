"""Charts of chapter 00: a first look at a transaction log and its customer summary.

Every function takes data (the canonical transaction frame of :func:`crmlib.data.read_transactions`, the
summary of :func:`crmlib.rfm.summarize`, or the customer table of :func:`crmlib.datasets.load_customers`)
and ``ax=None``, draws through ``ax.*`` only and returns the Axes. The counting they do (per calendar
month, per customer) is the chart's own binning, like a histogram's; they never change their input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmlib.params import UNIT_NAMES
from crmlib.plot._base import get_ax

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "acquisition_channels",
    "customers_acquired_per_month",
    "purchases_per_customer",
    "recency_vs_age",
    "spend_per_purchase",
    "transactions_per_month",
]


def _canonical(transactions, func: str):
    from crmlib.data import check_canonical

    return check_canonical(transactions, func)


def _monthly_bars(ax: Axes, counts: pd.Series, color: str, ylabel: str, title: str) -> Axes:
    """Bars of a monthly Series (PeriodIndex) with readable date ticks."""
    import matplotlib.dates as mdates

    starts = counts.index.to_timestamp(how="start")
    ax.bar(starts, counts.to_numpy(), width=25, align="edge", color=color, edgecolor="none")
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.margins(x=0.01)
    return ax


def transactions_per_month(transactions: pd.DataFrame, *, ax: Axes | None = None, color: str = "C0") -> Axes:
    """Bar chart of the number of transactions (rows of the log) in each calendar month.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    color : matplotlib colour
        Colour of the bars.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [5.0, 7.0, 3.0],
    ...                    "date": pd.to_datetime(["2024-01-03", "2024-02-09", "2024-02-20"])})
    >>> ax = transactions_per_month(tx)
    >>> [int(p.get_height()) for p in ax.patches]
    [1, 2]
    """
    tx = _canonical(transactions, "transactions_per_month")
    counts = tx.groupby(tx["date"].dt.to_period("M")).size()
    counts = counts.reindex(_all_months(counts.index), fill_value=0)
    ax = get_ax(ax, figsize=(8, 3.5))
    return _monthly_bars(ax, counts, color, "transactions", "Transactions per month")


def customers_acquired_per_month(transactions: pd.DataFrame, *, ax: Axes | None = None, color: str = "C2") -> Axes:
    """Bar chart of new customers per calendar month: the month of each customer's first purchase.

    A customer is *acquired* on the day of the first purchase in the log. Customers whose first purchase
    falls before the log starts are counted in its first month, so on a log that starts in the middle
    of a running business the first bar is inflated (left-censoring).

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame.
    ax : matplotlib Axes, optional
    color : matplotlib colour

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [5.0, 7.0, 3.0],
    ...                    "date": pd.to_datetime(["2024-01-03", "2024-02-09", "2024-03-20"])})
    >>> ax = customers_acquired_per_month(tx)
    >>> [int(p.get_height()) for p in ax.patches]
    [1, 0, 1]
    """
    tx = _canonical(transactions, "customers_acquired_per_month")
    first = tx.groupby("customer_id", observed=True, sort=False)["date"].min()
    counts = first.groupby(first.dt.to_period("M")).size()
    counts = counts.reindex(_all_months(counts.index), fill_value=0)
    ax = get_ax(ax, figsize=(8, 3.5))
    return _monthly_bars(ax, counts, color, "new customers", "Customers acquired per month (first purchase)")


def _all_months(index):
    import pandas as pd

    if len(index) == 0:
        return index
    return pd.period_range(index.min(), index.max(), freq="M")


def spend_per_purchase(
    transactions: pd.DataFrame,
    *,
    ax: Axes | None = None,
    bins: int = 60,
    upper_quantile: float = 0.995,
    color: str = "C0",
) -> Axes:
    """Histogram of the amount of each transaction, with its mean and median marked.

    Spend is right-skewed (a few large baskets), so the x axis stops at the ``upper_quantile`` of the
    amounts; the number of transactions beyond is written on the chart, none is dropped silently.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame; ``amount`` in currency units.
    ax : matplotlib Axes, optional
    bins : int
        Number of bins between the smallest amount and the ``upper_quantile``.
    upper_quantile : float in (0, 1]
        Right end of the x axis as a quantile of the amounts (1 shows everything).
    color : matplotlib colour

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "b", "c"], "amount": [10.0, 20.0, 60.0],
    ...                    "date": pd.to_datetime(["2024-01-03"] * 3)})
    >>> ax = spend_per_purchase(tx, bins=5, upper_quantile=1.0)
    >>> int(sum(p.get_height() for p in ax.patches))
    3
    """
    import numpy as np

    from crmlib.params import check_number

    bins = check_number(bins, "bins", func="spend_per_purchase", low=1, integer=True)
    upper_quantile = check_number(
        upper_quantile, "upper_quantile", func="spend_per_purchase", low=0, high=1, low_open=True
    )
    tx = _canonical(transactions, "spend_per_purchase")
    amount = tx["amount"].to_numpy(dtype=float)
    ax = get_ax(ax, figsize=(7, 3.5))
    if amount.size == 0:
        ax.set_title("Spend per transaction (no transactions)")
        return ax
    top = float(np.quantile(amount, upper_quantile))
    shown = amount[amount <= top]
    ax.hist(shown, bins=bins, range=(float(amount.min()), top), color=color, edgecolor="white", linewidth=0.4)
    mean, median = float(amount.mean()), float(np.median(amount))
    ax.axvline(mean, color="C3", linewidth=1.5, label=f"mean {mean:,.2f}")
    ax.axvline(median, color="C1", linewidth=1.5, linestyle="--", label=f"median {median:,.2f}")
    beyond = int(amount.size - shown.size)
    if beyond:
        ax.text(
            0.99,
            0.70,
            f"{beyond:,} transactions above {top:,.2f}\nnot shown (max {amount.max():,.2f})",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
            color="0.3",
        )
    ax.legend(loc="upper right", frameon=False)
    ax.set_xlabel("amount per transaction (currency units)")
    ax.set_ylabel("transactions")
    ax.set_title("Spend per transaction")
    return ax


def purchases_per_customer(
    summary: pd.DataFrame, *, ax: Axes | None = None, max_count: int = 15, color: str = "C4"
) -> Axes:
    """Bar chart of how many customers made 1, 2, 3, ... purchase days (``frequency + 1``).

    Parameters
    ----------
    summary : DataFrame
        The output of :func:`crmlib.rfm.summarize` (its ``frequency`` column: repeat purchase days).
    ax : matplotlib Axes, optional
    max_count : int
        Customers with ``max_count`` purchase days or more share the last bar, labelled ``max_count+``.
    color : matplotlib colour

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"frequency": [0, 0, 1, 5]})
    >>> ax = purchases_per_customer(summary, max_count=3)
    >>> [int(p.get_height()) for p in ax.patches], [t.get_text() for t in ax.get_xticklabels()]
    ([2, 1, 1], ['1', '2', '3+'])
    """
    import numpy as np

    from crmlib.params import check_number

    max_count = check_number(max_count, "max_count", func="purchases_per_customer", low=2, integer=True)
    if "frequency" not in getattr(summary, "columns", ()):
        from crmlib.data import DataError

        raise DataError(
            "purchases_per_customer needs the output of crmlib.rfm.summarize (a 'frequency' column); "
            f"got columns {list(getattr(summary, 'columns', []))}."
        )
    days = np.minimum(summary["frequency"].to_numpy(dtype=int) + 1, max_count)
    counts = np.bincount(days, minlength=max_count + 1)[1:]
    positions = np.arange(1, max_count + 1)
    ax = get_ax(ax, figsize=(7, 3.5))
    ax.bar(positions, counts, color=color, edgecolor="none")
    ax.set_xticks(positions, [str(p) for p in positions[:-1]] + [f"{max_count}+"])
    share_one = counts[0] / counts.sum() if counts.sum() else float("nan")
    ax.text(
        0.98,
        0.95,
        f"{share_one:.0%} bought on one day only",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize="small",
        color="0.3",
    )
    ax.set_xlabel("purchase days per customer (frequency + 1)")
    ax.set_ylabel("customers")
    ax.set_title("Purchases per customer")
    return ax


def acquisition_channels(customers: pd.DataFrame, *, ax: Axes | None = None, color: str = "C0") -> Axes:
    """Horizontal bars of customers per acquisition channel, each labelled with its cost per customer.

    Parameters
    ----------
    customers : DataFrame
        One row per customer with columns ``channel`` and ``acquisition_cost`` (currency units per
        customer), as :func:`crmlib.datasets.load_customers` returns.
    ax : matplotlib Axes, optional
    color : matplotlib colour

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"channel": ["web", "web", "store"], "acquisition_cost": [30.0, 30.0, 10.0]})
    >>> ax = acquisition_channels(customers)
    >>> sorted(int(p.get_width()) for p in ax.patches)
    [1, 2]
    """
    missing = [c for c in ("channel", "acquisition_cost") if c not in getattr(customers, "columns", ())]
    if missing:
        from crmlib.data import DataError

        raise DataError(
            f"acquisition_channels needs the columns channel and acquisition_cost; missing: {', '.join(missing)}. "
            "Use the customer table of crmlib.datasets.load_customers()."
        )
    table = (
        customers.groupby("channel", observed=True)
        .agg(customers=("channel", "size"), cost=("acquisition_cost", "mean"))
        .sort_values("customers")
    )
    ax = get_ax(ax, figsize=(7, 3.2))
    bars = ax.barh(table.index.astype(str), table["customers"].to_numpy(), color=color, edgecolor="none")
    for bar, cost in zip(bars, table["cost"].to_numpy()):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f"  {cost:,.0f} per customer",
            va="center",
            ha="left",
            fontsize="small",
            color="0.25",
        )
    ax.set_xlim(0, table["customers"].max() * 1.35 if len(table) else 1)
    ax.set_xlabel("customers acquired")
    ax.set_title("Acquisition channels and their cost per customer")
    ax.grid(axis="y", visible=False)
    return ax


def recency_vs_age(
    summary: pd.DataFrame,
    *,
    unit: str = "D",
    ax: Axes | None = None,
    max_frequency: int = 10,
    sample: int | None = 3000,
    seed: int = 0,
) -> Axes:
    """Scatter of each customer's recency against age ``T``, coloured by frequency.

    A customer on the diagonal (``recency == T``) bought on the last day of the log; far below it, a
    customer has not bought for a long time. This is the picture behind the probability models of
    chapter 05: the gap ``T - recency`` together with ``frequency`` tells how likely the customer is
    still active.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`crmlib.rfm.summarize` (``frequency``, ``recency``, ``T``).
    unit : {"D", "W", "M", "Y"}
        The unit the summary was computed in (for the axis labels only).
    ax : matplotlib Axes, optional
    max_frequency : int
        Colour scale cap: customers with more repeat purchases share the top colour.
    sample : int or None
        Draw at most this many customers (a random sample with ``seed``) so the chart stays legible;
        None draws everyone.
    seed : int
        Seed of the sample.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 10.0], "T": [20.0, 12.0]})
    >>> ax = recency_vs_age(summary, unit="W")
    >>> ax.get_xlabel()
    'age T: weeks since the first purchase'
    """
    from crmlib.params import check_unit

    unit = check_unit(unit, func="recency_vs_age")
    missing = [c for c in ("frequency", "recency", "T") if c not in getattr(summary, "columns", ())]
    if missing:
        from crmlib.data import DataError

        raise DataError(
            f"recency_vs_age needs the output of crmlib.rfm.summarize; missing columns: {', '.join(missing)}."
        )
    data = summary
    if sample is not None and len(summary) > sample:
        data = summary.sample(n=sample, random_state=seed)
    ax = get_ax(ax, figsize=(6, 5))
    points = ax.scatter(
        data["T"],
        data["recency"],
        c=data["frequency"].clip(upper=max_frequency),
        cmap="viridis",
        s=8,
        alpha=0.7,
        linewidths=0,
        vmin=0,
        vmax=max_frequency,
    )
    low, top = (float(summary["T"].min()), float(summary["T"].max())) if len(summary) else (0.0, 1.0)
    ax.plot(
        [low, top], [low, top], color="0.4", linewidth=1, linestyle="--", label="recency = T (bought on the last day)"
    )
    ax.set_ylim(-0.03 * top, 1.2 * top)  # headroom for the legend above the diagonal
    name = UNIT_NAMES[unit]
    ax.set_xlabel(f"age T: {name} since the first purchase")
    ax.set_ylabel(f"recency: {name} from first to last purchase")
    ax.set_title(
        "Recency against age" + (f" ({len(data):,} of {len(summary):,} customers)" if len(data) < len(summary) else "")
    )
    ax.legend(loc="upper left", frameon=False)
    bar = ax.figure.colorbar(points, ax=ax)
    bar.set_label(f"frequency (repeat purchase days, {max_frequency}+ in yellow)")
    return ax
