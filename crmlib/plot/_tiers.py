"""Charts: tiering (chapter 06).

Pareto/Lorenz curves, the customer pyramid, the value-by-potential matrix, crosstab and migration heatmaps, service
levels.

Each function takes the output of a :mod:`crmlib.tiers` function, draws on ``ax`` (a new figure when
None) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

import textwrap

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = [
    "pareto_chart",
    "lorenz_chart",
    "pyramid_chart",
    "value_potential_chart",
    "table_heatmap",
    "migration_heatmap",
    "service_levels_chart",
]

_QUADRANT_COLORS = {"platinum": "#4c72b0", "gold": "#dd8452", "iron": "#55a868", "lead": "#8c8c8c"}


def _curves(curves) -> dict[str, pd.DataFrame]:
    if isinstance(curves, pd.DataFrame):
        return {"": curves}
    return dict(curves)


def pareto_chart(
    curves: pd.DataFrame | Mapping[str, pd.DataFrame], *, mark: float = 0.2, ax: Axes | None = None
) -> Axes:
    """The Pareto (whale) curve: share of value brought by the top x% of customers, x marked.

    Parameters
    ----------
    curves : DataFrame or dict of label -> DataFrame
        From :func:`crmlib.tiers.pareto_curve` (e.g. ``{"revenue": ..., "profit": ...}``).
    mark : float in (0, 1)
        Share of customers to mark (default 0.2, the 80/20 point).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib import tiers
    >>> ax = pareto_chart({"profit": tiers.pareto_curve([90, 30, 5, -25])}, mark=0.25)
    """
    ax = get_ax(ax, figsize=(7, 4.5))
    top = 1.0
    for label, curve in _curves(curves).items():
        x = curve["share_of_customers"].to_numpy()
        y = curve["share_of_value"].to_numpy()
        (line,) = ax.plot(x * 100, y * 100, lw=2, label=label or None)
        y_mark = float(np.interp(mark, x, y))
        ax.plot([mark * 100], [y_mark * 100], "o", color=line.get_color())
        ax.annotate(
            f"top {mark:.0%} bring {y_mark:.0%}" + (f" of {label}" if label else ""),
            (mark * 100, y_mark * 100),
            xytext=(12, -18 if y_mark > 0.5 else 12),
            textcoords="offset points",
            color=line.get_color(),
        )
        top = max(top, float(np.nanmax(y)))
    ax.plot([0, 100], [0, 100], ls=":", color="grey", lw=1, label="every customer equal")
    ax.axvline(mark * 100, color="grey", lw=0.8, ls="--")
    if top > 1.0:
        ax.axhline(100, color="black", lw=0.8)
    ax.set_xlim(0, 100)
    ax.set_ylim(min(0, ax.get_ylim()[0]), max(105, top * 105))
    ax.set_xlabel("top customers, ranked by value (% of customers)")
    ax.set_ylabel("cumulative share of the total (%)")
    ax.set_title("Who brings the value? The Pareto curve")
    ax.legend(loc="lower right", frameon=True)
    return ax


def lorenz_chart(curve: pd.DataFrame, *, gini: float | None = None, ax: Axes | None = None) -> Axes:
    """The Lorenz curve (customers from lowest to highest value) against the line of equality.

    Parameters
    ----------
    curve : DataFrame
        From :func:`crmlib.tiers.lorenz_curve`.
    gini : float, optional
        Shown in the title (from :func:`crmlib.tiers.gini`).
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> from crmlib import tiers
    >>> ax = lorenz_chart(tiers.lorenz_curve([1, 2, 3, 4]), gini=tiers.gini([1, 2, 3, 4]))
    """
    ax = get_ax(ax, figsize=(5, 5))
    x = curve["share_of_customers"].to_numpy() * 100
    y = curve["share_of_value"].to_numpy() * 100
    ax.plot(x, y, lw=2, label="Lorenz curve")
    ax.fill_between(x, y, x, alpha=0.15, label="concentration area")
    ax.plot([0, 100], [0, 100], ls=":", color="grey", label="equality")
    ax.set_xlabel("customers, lowest value first (%)")
    ax.set_ylabel("cumulative share of value (%)")
    ax.set_title("Lorenz curve" + (f" (Gini = {gini:.2f})" if gini is not None else ""))
    ax.legend(loc="upper left")
    return ax


def pyramid_chart(table: pd.DataFrame, *, value_label: str = "value", ax: Axes | None = None) -> Axes:
    """The customer pyramid: one band per tier, top tier at the apex, with its share of customers and of value.

    Bands have equal height (so every tier is readable, even the 1% at the top); the text in each band
    gives the tier's share of the customers and of the value.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.tiers.tier_table` (a ``total`` row is ignored), top tier first.
    value_label : str
        What the value is ("revenue", "profit", ...), for the labels.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> from crmlib import tiers
    >>> v = [50, 20, 10, 5, 5, 4, 3, 2, 1, 0]
    >>> ax = pyramid_chart(tiers.tier_table(v, tiers.pyramid(v)), value_label="profit")
    """
    ax = get_ax(ax, figsize=(8, 4.5))
    t = table.drop(index="total", errors="ignore")
    k = len(t)
    palette = ["#1f3b73", "#3a64a8", "#6b97cf", "#a9c6e8", "#d5e4f3", "#eef4fb"]
    for i, (tier, row) in enumerate(t.iterrows()):
        y0, y1 = k - i - 1, k - i  # top tier highest
        w0, w1 = (i + 1) / k, i / k  # half-widths at the bottom and the top of the band
        color = palette[min(i, len(palette) - 1)]
        ax.fill([-w0, w0, w1, -w1], [y0, y0, y1, y1], color=color, ec="white", lw=2)
        ax.text(
            0,
            y0 + 0.35,
            str(tier),
            ha="center",
            va="center",
            fontsize=9 if i else 8,
            color="white" if i < 2 else "black",
            fontweight="bold",
        )
        share_v = row["share_of_value"]
        ax.plot([w0 * 0.5 + w1 * 0.5 + 0.03, 1.12], [y0 + 0.5, y0 + 0.5], color="grey", lw=0.8)
        ax.text(
            1.15,
            y0 + 0.5,
            f"{tier}: {row['share_of_customers']:.0%} of customers ({int(row['customers']):,})\n"
            f"bring {share_v:.0%} of {value_label}",
            ha="left",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(-1.02, 2.6)
    ax.set_ylim(0, k)
    ax.set_axis_off()
    ax.set_title(f"Customer pyramid: shares of customers and of {value_label}")
    return ax


def value_potential_chart(
    vp: pd.DataFrame, *, log: bool | None = None, strategies: bool = True, ax: Axes | None = None
) -> Axes:
    """Current value against potential value, one dot per customer, quadrants named with their strategy.

    Parameters
    ----------
    vp : DataFrame
        From :func:`crmlib.tiers.value_potential` (thresholds in ``vp.attrs``).
    log : bool, optional
        Log scales (symmetric log, so zero is drawn); default when all values are >= 0 and spread widely.
    strategies : bool
        Write a short strategy in each quadrant.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> from crmlib import tiers
    >>> ax = value_potential_chart(tiers.value_potential([0, 5, 20, 80], [30, 2, 4, 60]))
    """
    ax = get_ax(ax, figsize=(8, 6))
    tc = vp.attrs.get("current_threshold", float(vp["current"].median()))
    tp = vp.attrs.get("potential_threshold", float(vp["potential"].median()))
    if log is None:
        positive = (vp["current"] >= 0).all() and (vp["potential"] >= 0).all()
        spread = vp[["current", "potential"]].max().max() > 20 * max(min(tc, tp), 1e-9)
        log = bool(positive and spread)
    sample = vp if len(vp) <= 5000 else vp.sample(5000, random_state=0)
    for quadrant, color in _QUADRANT_COLORS.items():
        part = sample[sample["quadrant"] == quadrant]
        share = float((vp["quadrant"] == quadrant).mean())
        ax.scatter(part["current"], part["potential"], s=9, alpha=0.5, color=color, label=f"{quadrant} ({share:.0%})")
    ax.axvline(tc, color="black", lw=1)
    ax.axhline(tp, color="black", lw=1)
    if log:

        def linthresh(values):  # linear near zero, up to a small but typical positive value
            positive = values[values > 0]
            return float(np.quantile(positive, 0.05)) if len(positive) else 1.0

        ax.set_xscale("symlog", linthresh=linthresh(vp["current"].to_numpy()))
        ax.set_yscale("symlog", linthresh=linthresh(vp["potential"].to_numpy()))
        ax.set_xlim(left=0, right=float(vp["current"].max()) * 1.5)
        ax.set_ylim(bottom=0, top=float(vp["potential"].max()) * 1.5)
    if strategies:
        short = {
            "platinum": "platinum: main resources,\none-to-one retention",
            "gold": "gold: keep at all costs,\nexceed expectations",
            "iron": "iron: invest until\ntrust forms",
            "lead": "lead: no resources,\nlet them go",
        }
        spots = {"platinum": (0.98, 0.98), "gold": (0.98, 0.02), "iron": (0.02, 0.98), "lead": (0.02, 0.02)}
        for quadrant, (x, y) in spots.items():
            ax.text(
                x,
                y,
                textwrap.dedent(short[quadrant]),
                transform=ax.transAxes,
                ha="right" if x > 0.5 else "left",
                va="top" if y > 0.5 else "bottom",
                fontsize=9,
                color=_QUADRANT_COLORS[quadrant],
                fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=_QUADRANT_COLORS[quadrant], alpha=0.85),
            )
    ax.set_xlabel("current value")
    ax.set_ylabel("potential value")
    ax.set_title("Current value x potential: the lead / iron / gold / platinum matrix")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), title="quadrant (share)", markerscale=2)
    return ax


def table_heatmap(
    table: pd.DataFrame,
    *,
    fmt: str = "{:.0f}",
    cmap: str = "Blues",
    title: str = "",
    xlabel: str | None = None,
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A table drawn as a heatmap with its numbers in the cells (e.g. RFM segment x tier crosstab).

    Parameters
    ----------
    table : DataFrame
        Numbers to draw; NaN cells stay blank.
    fmt : str
        Format of the cell labels, e.g. ``"{:.0%}"``.
    cmap : str
        Colour map.
    title, xlabel, ylabel : str
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import pandas as pd
    >>> ax = table_heatmap(pd.DataFrame([[3, 1], [0, 7]], index=["Champions", "Lost"], columns=["VIP", "minor"]))
    """
    ax = get_ax(ax, figsize=(max(5, 0.9 * table.shape[1] + 2.5), max(3, 0.45 * table.shape[0] + 1.5)))
    values = table.to_numpy(dtype=float)
    masked = np.ma.masked_invalid(values)
    image = ax.imshow(masked, cmap=cmap, aspect="auto")
    finite = values[np.isfinite(values)]
    high = finite.max() if len(finite) else 1
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(
                j, i, fmt.format(v), ha="center", va="center", fontsize=8, color="white" if v > 0.6 * high else "black"
            )
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), [str(r) for r in table.index])
    ax.grid(False)
    ax.set_xlabel(xlabel if xlabel is not None else str(table.columns.name or ""))
    ax.set_ylabel(ylabel if ylabel is not None else str(table.index.name or ""))
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return ax


def migration_heatmap(matrix: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Tier migration between two periods (row shares), from :func:`crmlib.tiers.migration_matrix`.

    Pass ``normalize=True`` output (shares, shown as %) or counts (shown as integers).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib import tiers
    >>> m = tiers.migration_matrix(pd.Series(["A", "B"], index=[1, 2]), pd.Series(["B"], index=[1]), normalize=True)
    >>> ax = migration_heatmap(m)
    """
    shares = bool(np.nanmax(matrix.to_numpy(dtype=float)) <= 1.0)
    matrix = matrix.loc[matrix.fillna(0).sum(axis=1) > 0]  # an empty "new" row says nothing
    return table_heatmap(
        matrix,
        fmt="{:.0%}" if shares else "{:.0f}",
        cmap="Purples",
        title="Tier migration: where each tier's customers went" + (" (row shares)" if shares else ""),
        xlabel="tier in the second period",
        ylabel="tier in the first period",
        ax=ax,
    )


def service_levels_chart(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Value of each tier before and after a service-level change, from :func:`crmlib.tiers.service_levels`.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib import tiers
    >>> econ = pd.DataFrame({"customers": [10, 90], "revenue": [900.0, 50.0], "cost_to_serve": [60.0, 5.0],
    ...                      "retention": [0.8, 0.4]}, index=["VIP", "minor"])
    >>> ax = service_levels_chart(tiers.service_levels(econ, margin_rate=0.3, retention_change={"VIP": 0.05}))
    """
    ax = get_ax(ax, figsize=(7, 4))
    r = result.drop(index="total", errors="ignore")
    x = np.arange(len(r))
    ax.bar(x - 0.2, r["value_before"], width=0.4, label="current service")
    ax.bar(x + 0.2, r["value_after"], width=0.4, label="changed service")
    for xi, (b, a) in enumerate(zip(r["value_before"], r["value_after"])):
        ax.annotate(f"{a - b:+,.0f}", (xi + 0.2, max(a, 0)), ha="center", va="bottom", fontsize=9)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, [str(i) for i in r.index])
    ax.set_ylabel("value of the tier (money, today)")
    ax.set_title("Serving tiers differently: value before and after")
    ax.legend()
    return ax
