"""Charts: churn rate over time, churn drivers (odds ratios), the value of retention, campaign targeting.

Each function takes what :mod:`crmlib.churn` computed, draws on ``ax`` (a new figure if None) through
``ax.*`` only and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = ["odds_ratio_chart", "churn_rate_chart", "retention_gain_chart", "campaign_curve_chart"]


def _percent(decimals=0):
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=decimals)


def odds_ratio_chart(summary: pd.DataFrame, *, truth: dict | None = None, ax: Axes | None = None) -> Axes:
    r"""Forest plot of odds ratios with their confidence intervals (log scale), drivers sorted by effect.

    Parameters
    ----------
    summary : DataFrame
        From :meth:`crmlib.churn.ChurnLogit.summary` (``odds_ratio``, ``or_low``, ``or_high``).
    truth : dict, optional
        ``driver -> true coefficient`` (simulated data): drawn as x marks at :math:`e^\beta`.

    Examples
    --------
    >>> from crmlib import churn, datasets
    >>> d = datasets.make_churn_drivers(2000, seed=0)
    >>> m = churn.ChurnLogit().fit(d[["price_increase", "bonds"]], d["churned"])
    >>> ax = odds_ratio_chart(m.summary())
    """
    s = summary.drop(index="intercept", errors="ignore").sort_values("odds_ratio")
    ax = get_ax(ax, (7.5, 0.45 * len(s) + 1.5))
    y = np.arange(len(s))
    above = s["odds_ratio"].to_numpy() > 1
    colors = np.where(above, "#c44e52", "#4c72b0")
    ax.hlines(y, s["or_low"], s["or_high"], color=colors, lw=2)
    ax.scatter(s["odds_ratio"], y, color=colors, zorder=3, label="estimate with 95% interval")
    if truth:
        t = np.exp([truth.get(i, np.nan) for i in s.index])
        ax.scatter(t, y, marker="x", color="0.1", zorder=4, label="true value (simulation)")
    ax.axvline(1, color="0.3", lw=1, ls="--")
    ax.set_xscale("log")
    lo = float(np.nanmin(s["or_low"])) if len(s) else 0.5
    hi = float(np.nanmax(s["or_high"])) if len(s) else 2.0
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo / 1.5 <= t <= hi * 1.5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(y, [str(i).replace("_", " ") for i in s.index])
    ax.set_xlabel("odds ratio of churning (log scale; per unit of the driver)")
    ax.set_title("Churn drivers: > 1 raises churn, < 1 holds customers")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def churn_rate_chart(rates: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Churn rate per period (line, left axis) and the active base at the period's start (bars, right axis).

    Examples
    --------
    >>> from crmlib import churn, datasets
    >>> ax = churn_rate_chart(churn.churn_rate(datasets.load_transactions()))  # doctest: +SKIP
    """
    ax = get_ax(ax, (8, 4))
    x = rates.index
    ax2 = ax.twinx()
    width = 20 if rates.attrs.get("period", "M") == "M" else 60
    ax2.bar(x, rates["active_start"], width=width, color="0.85", label="active at start")
    ax2.set_ylabel("active customers at the start")
    ax2.grid(False)
    ax.set_zorder(ax2.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(x, rates["churn_rate"], color="#c44e52", lw=2, marker="o", ms=3, label="churn rate")
    ax.yaxis.set_major_formatter(_percent(None))
    ax.set_ylim(0, max(0.05, float(np.nanmax(rates["churn_rate"])) * 1.2))
    period = {"M": "month", "Q": "quarter", "Y": "year"}.get(rates.attrs.get("period", "M"), "period")
    ax.set_ylabel(f"churn rate per {period}")
    L = rates.attrs.get("inactive_after_days")
    ax.set_title(f"Churn per {period}: active customers who then go {L:g} days without buying" if L else "Churn rate")
    ax.legend(loc="upper left", fontsize=9)
    return ax


def retention_gain_chart(gain: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """CLV gain against the points of churn removed (from :func:`crmlib.churn.retention_gain`).

    Examples
    --------
    >>> from crmlib import churn
    >>> ax = retention_gain_chart(churn.retention_gain(100, 0.8, 0.1, points=range(0, 6)))
    """
    ax = get_ax(ax, (7, 4))
    ax.plot(gain.index, gain["gain_pct"], color="#55a868", lw=2, marker="o")
    ax.set_ylim(top=float(gain["gain_pct"].max()) * 1.12 if gain["gain_pct"].max() > 0 else None)
    for p, g, v in zip(gain.index, gain["gain_pct"], gain["gain_per_customer"]):
        if p > 0:
            ax.annotate(
                f"+{v:,.2f}" if abs(v) < 10 else f"+{v:,.0f}",
                (p, g),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    ax.yaxis.set_major_formatter(_percent(None))
    ax.set_xlabel("churn reduced by (percentage points)")
    ax.set_ylabel("rise of CLV per customer")
    base = gain["retention"].iloc[0] - gain.index[0] / 100
    ax.set_title(f"What less churn is worth (retention now {base:.0%}; labels: money per customer)")
    return ax


def campaign_curve_chart(curve: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Expected campaign profit against the share of customers targeted, per ranking.

    From :func:`crmlib.churn.campaign_curve`.

    Examples
    --------
    >>> from crmlib import churn
    >>> ax = campaign_curve_chart(churn.campaign_curve([0.5, 0.1, 0.3], [200, 50, 80], success_rate=0.3,
    ...                                                contact_cost=2, incentive_cost=10))
    """
    ax = get_ax(ax, (7.5, 4.2))
    styles = {
        "expected_profit": ("#55a868", "-", "risk x value (expected profit)"),
        "risk": ("#c44e52", "--", "churn risk only"),
        "value": ("#4c72b0", ":", "customer value only"),
    }
    for col in curve.columns:
        color, ls, label = styles.get(col, ("0.4", "-", col))
        ax.plot(curve.index, curve[col], color=color, ls=ls, lw=2, label=label)
    best = curve["expected_profit"].idxmax() if "expected_profit" in curve else None
    if best is not None:
        ax.plot([best], [curve.loc[best, "expected_profit"]], "o", color="#55a868")
    ax.axhline(0, color="0.2", lw=1)
    ax.xaxis.set_major_formatter(_percent(0))
    ax.set_xlabel("share of customers targeted (best first)")
    ax.set_ylabel("expected campaign profit (money)")
    ax.set_title("Whom to target in a retention campaign")
    ax.legend(fontsize=9)
    return ax
