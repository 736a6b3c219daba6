"""Charts: customer dynamics (chapter 07).

Stage counts over time, cohort heatmaps, order value by tenure, value by stage, relationship phases, historical /
current / potential value.

Each function takes the output of a :mod:`crmlib.lifecycle` function, draws on ``ax`` (a new figure
when None) and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = [
    "stage_area_chart",
    "cohort_heatmap",
    "aov_tenure_chart",
    "value_by_stage_chart",
    "phase_chart",
    "value_parts_chart",
]

_STAGE_COLORS = {"first-time": "#8fbbd9", "short-term": "#4c72b0", "long-term": "#1f3b73", "lapsed": "#c9c9c9"}


def stage_area_chart(counts: pd.DataFrame, *, share: bool = False, ax: Axes | None = None) -> Axes:
    """Customers in each lifecycle stage at each period end, stacked.

    Parameters
    ----------
    counts : DataFrame
        From :func:`crmlib.lifecycle.stage_counts` (index period ends, one column per stage).
    share : bool
        Shares of the customer base instead of counts.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> from crmlib import datasets, lifecycle
    >>> ax = stage_area_chart(lifecycle.stage_counts(datasets.load_transactions()))
    """
    ax = get_ax(ax, figsize=(8, 4.2))
    data = counts.div(counts.sum(axis=1), axis=0) * 100 if share else counts
    colors = [_STAGE_COLORS.get(str(c), f"C{i}") for i, c in enumerate(data.columns)]
    ax.stackplot(
        data.index,
        *[data[c].to_numpy() for c in data.columns],
        labels=[str(c) for c in data.columns],
        colors=colors,
        alpha=0.9,
    )
    ax.set_ylabel("share of customers acquired so far (%)" if share else "customers")
    ax.set_xlabel("end of period")
    ax.set_title("Customers by lifecycle stage over time")
    ax.legend(loc="upper left", title="stage", frameon=True)
    ax.set_xlim(data.index.min(), data.index.max())
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=8)
    # a log of four to eight years needs a tick every 12 months, which the default monthly steps (1-6) lack
    locator.intervald[mdates.MONTHLY] = [1, 2, 3, 4, 6, 12]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def cohort_heatmap(
    matrix: pd.DataFrame,
    *,
    fmt: str | None = None,
    cmap: str | None = None,
    annotate: bool | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Acquisition cohorts (rows) by periods since acquisition (columns), coloured by a metric.

    From :func:`crmlib.lifecycle.cohort_matrix`; the cohort size is written next to each row. Period 0
    (the acquisition period) is labelled but left out of the colour scale.

    Parameters
    ----------
    matrix : DataFrame
        The cohort matrix (``attrs["metric"]`` and ``attrs["cohort_size"]`` are used when present).
    fmt : str, optional
        Cell label format; default "{:.0%}" for retention, "{:,.0f}" for revenue, "{:.1f}" otherwise.
    cmap : str, optional
    annotate : bool, optional
        Write each cell's value. Default: only when the matrix has at most 400 cells (a larger one, e.g.
        54 monthly cohorts, would carry unreadable numbers and take long to draw; the colours then carry it).
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> from crmlib import datasets, lifecycle
    >>> ax = cohort_heatmap(lifecycle.cohort_matrix(datasets.load_transactions(), period="Q"))
    """
    metric = matrix.attrs.get("metric", "retention")
    if fmt is None:
        fmt = {"retention": "{:.0%}", "customers": "{:,.0f}", "revenue": "{:,.0f}"}.get(metric, "{:.1f}")
    if cmap is None:
        cmap = "YlGnBu" if metric in ("retention", "customers") else "YlOrBr"
    n_rows, n_cols = matrix.shape
    ax = get_ax(ax, figsize=(min(16, max(6, 0.55 * n_cols + 2.5)), max(3, 0.38 * n_rows + 1.5)))
    values = matrix.to_numpy(dtype=float)
    shown = values.copy()
    if n_cols > 1:
        # period 0 holds the acquisition purchase (retention 1 by definition, revenue far above later
        # periods): it keeps its number but stays out of the colour scale, so later periods are readable
        shown[:, 0] = np.nan
    image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, aspect="auto")
    finite = shown[np.isfinite(shown)]
    high = finite.max() if len(finite) else 1.0
    small = n_cols > 14
    if annotate is None:
        annotate = values.size <= 400
    for (i, j), v in np.ndenumerate(values if annotate else np.empty((0, 0))):
        if np.isfinite(v):
            ax.text(
                j,
                i,
                fmt.format(v),
                ha="center",
                va="center",
                fontsize=6.5 if small else 8,
                color="white" if np.isfinite(shown[i, j]) and shown[i, j] > 0.65 * high else "black",
            )
    step = max(1, int(np.ceil(n_cols / 27)))  # at most about 27 labels on the axis
    ax.set_xticks(range(0, n_cols, step), [str(c) for c in matrix.columns[::step]])
    size = matrix.attrs.get("cohort_size")
    labels = [str(c) for c in matrix.index]
    if size is not None:
        labels = [f"{c}  (n={int(size.get(c, 0)):,})" for c in matrix.index]
    ax.set_yticks(range(n_rows), labels)
    ax.grid(False)
    ax.set_xlabel(str(matrix.columns.name or "periods since acquisition").replace("_", " "))
    ax.set_ylabel("acquisition cohort")
    titles = {
        "retention": "Share of each cohort active, by period since acquisition",
        "customers": "Active customers of each cohort",
        "revenue": "Revenue of each cohort, by period since acquisition",
        "revenue_per_customer": "Revenue per acquired customer, by period since acquisition",
        "aov": "Average order value of each cohort",
    }
    ax.set_title(titles.get(metric, metric))
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return ax


def aov_tenure_chart(table: pd.DataFrame, *, unit_label: str = "months", ax: Axes | None = None) -> Axes:
    """Average (and median) order value by tenure, with the number of customers behind each point.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.lifecycle.aov_by_tenure`.
    unit_label : str
        Name of the tenure unit for the axis.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> from crmlib import datasets, lifecycle
    >>> ax = aov_tenure_chart(lifecycle.aov_by_tenure(datasets.load_transactions(), max_tenure=12))
    """
    ax = get_ax(ax, figsize=(8, 4))
    x = table.index.to_numpy()
    ax.bar(x, table["customers"], color="#e0e0e0", width=0.8, label="customers buying (right axis scale)", zorder=0)
    ax2 = ax.twinx()
    ax2.plot(x, table["aov"], "o-", color="#4c72b0", lw=2, label="average order value")
    ax2.plot(x, table["median_order"], "s--", color="#dd8452", lw=1.2, label="median order value")
    ax2.set_ylim(0, max(table["aov"].max(), table["median_order"].max()) * 1.6)
    ax2.set_ylabel("order value (money per purchase day)")
    ax2.grid(False)
    ax.set_ylabel("customers buying at this tenure")
    ax.set_xlabel(f"tenure ({unit_label} since the first purchase)")
    ax.set_title("Order value by tenure")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ["customers buying (left axis)"] + ax2.get_legend_handles_labels()[1]
    ax2.legend(handles, labels, loc="upper right", ncol=1, frameon=True)
    return ax


def value_by_stage_chart(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of customers and share of the last window's revenue per stage.

    From :func:`crmlib.lifecycle.value_by_stage`.

    Examples
    --------
    >>> from crmlib import datasets, lifecycle
    >>> ax = value_by_stage_chart(lifecycle.value_by_stage(datasets.load_transactions(), "2024-03-31"))
    """
    ax = get_ax(ax, figsize=(7, 4))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["share_of_customers"] * 100, width=0.4, label="share of customers", color="#a9c6e8")
    ax.bar(
        x + 0.2,
        table["share_of_window_revenue"].fillna(0) * 100,
        width=0.4,
        label="share of recent revenue",
        color="#1f3b73",
    )
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set_ylabel("%")
    ax.set_title("Customers and recent revenue by stage")
    ax.legend()
    return ax


def phase_chart(phases: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Customers in each relationship phase (Dwyer, Schurr and Oh 1987).

    From :func:`crmlib.lifecycle.relationship_phases`.

    Examples
    --------
    >>> from crmlib import datasets, lifecycle
    >>> ax = phase_chart(lifecycle.relationship_phases(datasets.load_transactions(), "2024-03-31"))
    """
    ax = get_ax(ax, figsize=(7, 3.5))
    counts = phases["phase"].value_counts().reindex(phases["phase"].cat.categories, fill_value=0)
    bars = ax.barh([str(c) for c in counts.index][::-1], counts.to_numpy()[::-1], color="#4c72b0")
    total = max(int(counts.sum()), 1)
    for bar, v in zip(bars, counts.to_numpy()[::-1]):
        ax.annotate(
            f"{v:,} ({v / total:.0%})",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_xlabel("customers")
    ax.set_xlim(0, counts.max() * 1.25 if counts.max() else 1)
    ax.set_title("Relationship phases (Dwyer, Schurr and Oh 1987), read off the log")
    return ax


def value_parts_chart(values: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Historical, current and potential value summed by stage, from :func:`crmlib.lifecycle.customer_values`.

    Examples
    --------
    >>> from crmlib import datasets, lifecycle
    >>> ax = value_parts_chart(lifecycle.customer_values(datasets.load_transactions(), margin_rate=0.35))
    """
    ax = get_ax(ax, figsize=(8, 4))
    sums = values.groupby("stage", observed=False)[["historical", "current", "potential"]].sum()
    x = np.arange(len(sums))
    for k, (col, color) in enumerate(zip(sums.columns, ["#8c8c8c", "#4c72b0", "#55a868"])):
        ax.bar(x + (k - 1) * 0.27, sums[col], width=0.27, label=f"{col} value", color=color)
    ax.set_xticks(x, [str(i) for i in sums.index])
    ax.set_ylabel("sum over the customers of the stage (money)")
    ax.set_title("Historical, current and potential value by stage")
    ax.legend()
    return ax
