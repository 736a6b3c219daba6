"""Charts: CLV, NPV and customer equity (chapter 04).

Every function takes data computed by :mod:`crmlib.clv`, draws through ``ax.*`` only and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = [
    "clv_retention_chart",
    "clv_terms_chart",
    "clv_horizon_chart",
    "cumulative_profit_chart",
    "profit_over_time_chart",
    "customer_equity_chart",
]

_SOURCE_COLORS = {
    "base_profit": "#4c72b0",
    "increased_purchases": "#55a868",
    "reduced_operating_costs": "#8172b3",
    "referrals": "#dd8452",
    "price_premium": "#c44e52",
}


def clv_retention_chart(curves: pd.DataFrame, *, ax: Axes | None = None, mark: float | None = None) -> Axes:
    """CLV against the retention rate, one line per discount rate.

    Parameters
    ----------
    curves : DataFrame
        From :func:`crmlib.clv.clv_curves` (index retention, columns discount rates per period).
    mark : float, optional
        A retention rate to mark with a vertical line (e.g. the estimate from the data).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.clv import clv_curves
    >>> ax = clv_retention_chart(clv_curves(100, [0.2, 0.5, 0.8, 0.9], [0.05, 0.1]), mark=0.8)
    """
    ax = get_ax(ax)
    r = curves.index.to_numpy(float)
    for i in curves.columns:
        ax.plot(r, curves[i].to_numpy(float), lw=2, label=f"{float(i):.0%}")
    if mark is not None:
        ax.axvline(mark, color="0.3", ls=":", lw=1.2)
        ax.text(mark, ax.get_ylim()[1], f" r = {mark:.2f}", va="top", fontsize=8)
    ax.set_xlabel("retention rate per period")
    ax.set_ylabel("CLV (money)")
    ax.legend(title="discount rate", fontsize=8, title_fontsize=8)
    ax.set_title("CLV climbs ever faster as retention approaches 1")
    return ax


def clv_terms_chart(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Margin, expected margin (after retention) and discounted expected margin, period by period.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.clv.retention_clv_table`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.clv import retention_clv_table
    >>> ax = clv_terms_chart(retention_clv_table(100, 0.8, 0.1, horizon=10))
    """
    ax = get_ax(ax)
    t = table["period"].to_numpy()
    w = 0.27
    ax.bar(t - w, table["margin"], width=w, color="#c6dbef", label="margin if still a customer")
    ax.bar(t, table["expected_margin"], width=w, color="#6baed6", label="x survival: expected margin")
    ax.bar(t + w, table["discounted_margin"], width=w, color="#08519c", label="x discount factor: present value")
    ax.set_xlabel("period")
    ax.set_ylabel("money")
    ax.set_xticks(t)
    ax.set_ylim(0, float(table["margin"].max()) * 1.35)
    ax.legend(fontsize=8, loc="upper right", ncol=1, framealpha=0.95)
    ax.set_title("What retention and discounting take away from each period's margin")
    return ax


def clv_horizon_chart(table: pd.DataFrame, *, infinite: float | None = None, ax: Axes | None = None) -> Axes:
    """Running CLV as the horizon grows, with the infinite-horizon value as a ceiling.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.clv.retention_clv_table` (its ``cumulative`` column).
    infinite : float, optional
        :func:`crmlib.clv.retention_clv` with no horizon.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.clv import retention_clv, retention_clv_table
    >>> ax = clv_horizon_chart(retention_clv_table(100, 0.8, 0.1, horizon=30), infinite=retention_clv(100, 0.8, 0.1))
    """
    ax = get_ax(ax)
    t = table["period"].to_numpy()
    ax.plot(t, table["cumulative"], marker="o", ms=3, lw=2, color="#4c72b0", label="CLV up to this period")
    if infinite is not None:
        ax.axhline(infinite, color="#c44e52", ls="--", lw=1.5, label=f"no horizon: {infinite:,.2f}")
    ax.set_xlabel("horizon (periods)")
    ax.set_ylabel("CLV (money)")
    ax.set_ylim(bottom=min(0.0, float(table["cumulative"].min())))
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Finite-horizon CLV approaches the infinite-horizon value")
    return ax


def cumulative_profit_chart(table: pd.DataFrame, *, break_even: int | None = None, ax: Axes | None = None) -> Axes:
    """Cumulative discounted profit of one acquired customer, with the acquisition cost and break-even.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.clv.cumulative_profit` (``period``, ``discounted_margin``, ``profit``).
    break_even : int, optional
        From :func:`crmlib.clv.break_even_period`; marked on the chart.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.clv import break_even_period, cumulative_profit
    >>> ax = cumulative_profit_chart(cumulative_profit(100, 0.8, 0.1, 150, horizon=8),
    ...                              break_even=break_even_period(100, 0.8, 0.1, 150))
    """
    ax = get_ax(ax)
    t = table["period"].to_numpy()
    profit = table["profit"].to_numpy(float)
    acquisition = float(table["cumulative"].iloc[0] - table["profit"].iloc[0])
    ax.bar(t, table["discounted_margin"], color="#a1c9f4", label="discounted expected margin of the period")
    ax.plot(t, profit, color="#4c72b0", marker="o", lw=2, label="cumulative profit after acquisition cost")
    ax.axhline(0, color="black", lw=0.8)
    ax.axhline(-acquisition, color="#c44e52", ls="--", lw=1, label=f"acquisition cost {acquisition:,.2f}")
    if break_even is not None and break_even in set(t):
        y = profit[list(t).index(break_even)]
        ax.scatter(
            [break_even],
            [y],
            s=140,
            color="#55a868",
            edgecolor="black",
            zorder=4,
            label=f"break-even: period {break_even}",
        )
    ax.set_xlabel("period after acquisition")
    ax.set_ylabel("money (present value)")
    ax.set_xticks(t)
    ax.legend(fontsize=8, loc="best", framealpha=0.95)
    ax.set_title("When does a new customer pay back the cost of winning them?")
    return ax


def profit_over_time_chart(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Profit per customer by year and source, stacked (Reichheld and Sasser 1990, illustrative numbers).

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.clv.profit_over_time` (index year, one column per source).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.clv import profit_over_time
    >>> ax = profit_over_time_chart(profit_over_time(5, acquisition_cost=150))
    """
    ax = get_ax(ax, figsize=(7.5, 4.5))
    years = table.index.to_numpy()
    pos = np.zeros(len(table))
    neg = np.zeros(len(table))
    for source in table.columns:
        vals = table[source].to_numpy(float)
        bottom = np.where(vals >= 0, pos, neg)
        ax.bar(
            years,
            vals,
            bottom=bottom,
            color=_SOURCE_COLORS.get(source),
            label=source.replace("_", " "),
            edgecolor="white",
        )
        pos = pos + np.where(vals >= 0, vals, 0)
        neg = neg + np.where(vals < 0, vals, 0)
    total = table.sum(axis=1).to_numpy(float)
    for x, y in zip(years, total):
        ax.text(x, max(y, 0), f"{y:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(years)
    ax.set_xlabel("year of the relationship")
    ax.set_ylabel("profit per customer (index, year 1 = 100)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize=8, loc="upper left")
    illustrative = " (illustrative numbers)" if table.attrs.get("illustrative") else ""
    ax.set_title("Why loyal customers are more profitable" + illustrative)
    return ax


def customer_equity_chart(table: pd.DataFrame, *, ax: Axes | None = None, value: str = "equity") -> Axes:
    """Customer equity by group (e.g. acquisition channel), with each group's share.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.clv.customer_equity` with ``by=`` (columns ``equity``, ``share``, ``customers``).
    value : str
        Column to draw (``"equity"`` or ``"clv_mean"``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib.clv import customer_equity
    >>> base = pd.DataFrame({"margin": [100.0, 50.0], "retention": [0.8, 0.5], "channel": ["web", "store"]})
    >>> ax = customer_equity_chart(customer_equity(base, discount_rate=0.1, by="channel"))
    """
    ax = get_ax(ax)
    names = [str(i) for i in table.index]
    vals = table[value].to_numpy(float)
    ax.barh(names, vals, color="#4c72b0")
    for y, (v, share, n) in enumerate(
        zip(vals, table.get("share", pd.Series(np.nan, index=table.index)), table["customers"])
    ):
        text = f" {v:,.0f}"
        if value == "equity" and np.isfinite(share):
            text += f" ({share:.0%}, {n:,} customers)"
        ax.text(v, y, text, va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, vals.max() * 1.45 if len(vals) and vals.max() > 0 else 1)
    ax.set_xlabel("customer equity (money)" if value == "equity" else "mean CLV per customer (money)")
    ax.set_title("Customer equity by " + str(table.index.name or "group"))
    return ax
