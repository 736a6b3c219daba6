"""Charts: value to the customer (chapter 01).

Every function takes data computed by :mod:`crmlib.value` or :mod:`crmlib.clv`, draws through
``ax.*`` only and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = [
    "value_hierarchy_chart",
    "episode_value_heatmap",
    "episode_value_lines",
    "value_distribution",
    "value_components_chart",
    "value_map_chart",
    "layer_criteria_chart",
]

_LEVEL_Y = {"attribute": 0.0, "consequence": 1.0, "goal": 2.0}
_LEVEL_LABEL = {"goal": "goals", "consequence": "consequences\nof use", "attribute": "attributes"}


def _wrap(text: str, width: int = 16) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def value_hierarchy_chart(
    links: pd.DataFrame,
    *,
    situation: str | None = None,
    performance: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Woodruff's customer value hierarchy as a diagram: attributes -> consequences -> goals.

    Boxes are placed in three rows (goals at the top); an arrow joins each linked pair and its width
    grows with the link's weight. With ``performance`` (scores of the attributes), each box shows the
    value computed by :func:`crmlib.value.hierarchy_value` and is shaded by it.

    Parameters
    ----------
    links : DataFrame
        ``source``, ``target``, ``weight`` (and ``situation``), as :data:`crmlib.value.INTERNET_SERVICE_LINKS`.
    situation : str, optional
        The use situation to draw.
    performance : mapping, optional
        Attribute scores; adds the values to the boxes.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.value import INTERNET_SERVICE_LINKS
    >>> perf = {"download speed": 9, "uptime guarantee": 5, "upload speed": 4,
    ...         "business-hours support": 3, "monthly price": 8}
    >>> ax = value_hierarchy_chart(INTERNET_SERVICE_LINKS, situation="home", performance=perf)
    """
    from crmlib.value import hierarchy_levels, hierarchy_links, hierarchy_value

    ax = get_ax(ax, figsize=(10, 5.5))
    lk = hierarchy_links(links, situation=situation, func="value_hierarchy_chart")
    values = None if performance is None else hierarchy_value(lk, performance).set_index("node")["value"]
    pos = _hierarchy_positions(hierarchy_levels(lk))
    _draw_links(ax, lk, pos)
    _draw_boxes(ax, pos, values)
    for level, y in _LEVEL_Y.items():
        ax.text(-0.02, y, _LEVEL_LABEL[level], ha="right", va="center", fontsize=10, fontweight="bold")
    ax.set_xlim(-0.2, 1.02)
    ax.set_ylim(-0.35, 2.35)
    ax.set_axis_off()
    ax.set_title(title if title is not None else _hierarchy_title(situation, values))
    return ax


def _hierarchy_positions(levels: pd.Series) -> dict[str, tuple[float, float]]:
    """The centre of each node's box: one row per level (goals at the top), spread evenly, attributes sorted."""
    pos: dict[str, tuple[float, float]] = {}
    for level, y in _LEVEL_Y.items():
        nodes = [n for n in levels.index if levels[n] == level]
        if level == "attribute":
            nodes = sorted(nodes)
        for n, x in zip(nodes, np.linspace(0, 1, len(nodes) + 2)[1:-1]):
            pos[n] = (float(x), y)
    return pos


def _draw_links(ax: Axes, links: pd.DataFrame, pos: dict[str, tuple[float, float]]) -> None:
    """An arrow per link of positive weight, as wide as its weight (relative to the largest)."""
    wmax = float(links["weight"].max()) or 1.0
    for _, row in links[links["weight"] > 0].iterrows():
        (x0, y0), (x1, y1) = pos[row["source"]], pos[row["target"]]
        width = 0.6 + 3.4 * row["weight"] / wmax
        style = {"arrowstyle": "-|>", "color": "0.45", "lw": width, "shrinkA": 0, "shrinkB": 0, "alpha": 0.8}
        ax.annotate("", xy=(x1, y1 - 0.22), xytext=(x0, y0 + 0.22), arrowprops=style)


def _draw_boxes(ax: Axes, pos: dict[str, tuple[float, float]], values: pd.Series | None) -> None:
    """A box per node, labelled (with its value and shaded by it when there are values)."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.patches import FancyBboxPatch

    cmap = colormaps["RdYlGn"]
    norm = None
    if values is not None:
        lo, hi = float(values.min()), float(values.max())
        norm = Normalize(vmin=min(lo, hi - 1e-9), vmax=hi)
    for n, (x, y) in pos.items():
        face = "#e8eef6" if values is None or norm is None else cmap(0.15 + 0.7 * norm(values[n]))
        style = "round,pad=0.01,rounding_size=0.03"
        ax.add_patch(FancyBboxPatch((x - 0.07, y - 0.2), 0.14, 0.4, boxstyle=style, fc=face, ec="0.3", lw=0.8))
        label = _wrap(n) if values is None else f"{_wrap(n)}\n{values[n]:.1f}"
        ax.text(x, y, label, ha="center", va="center", fontsize=8)


def _hierarchy_title(situation: str | None, values: pd.Series | None) -> str:
    title = "Customer value hierarchy (Woodruff 1997)" + (f": use situation '{situation}'" if situation else "")
    overall = None if values is None else values.get("overall")
    return title if overall is None else f"{title}, overall value {overall:.1f}"


def episode_value_heatmap(
    grid: pd.DataFrame, *, ax: Axes | None = None, marker: tuple[float, float] | None = None, annotate: bool = True
) -> Axes:
    """Ravald-Grönroos sensitivity: total episode value over relationship benefits x sacrifices.

    Parameters
    ----------
    grid : DataFrame
        From :func:`crmlib.value.episode_value_grid` (index relationship sacrifices, columns benefits).
    marker : (benefits, sacrifices), optional
        A point to mark (e.g. the current situation).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.value import episode_value_grid
    >>> ax = episode_value_heatmap(episode_value_grid(6, 4), marker=(2, 1))
    """
    from matplotlib.colors import TwoSlopeNorm

    ax = get_ax(ax, figsize=(6.5, 5))
    data = grid.to_numpy(dtype=float)
    lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
    norm = TwoSlopeNorm(vcenter=1.0, vmin=min(lo, 0.999), vmax=max(hi, 1.001))
    image = ax.imshow(data, origin="lower", cmap="RdYlGn", norm=norm, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"{c:g}" for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{r:g}" for r in grid.index])
    ax.set_xlabel("relationship benefits")
    ax.set_ylabel("relationship sacrifices")
    ax.grid(False)
    if annotate and data.size <= 144:
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=8)
    if marker is not None:
        bx = np.interp(marker[0], grid.columns.to_numpy(float), np.arange(grid.shape[1]))
        sy = np.interp(marker[1], grid.index.to_numpy(float), np.arange(grid.shape[0]))
        ax.plot([bx], [sy], marker="s", ms=30, mfc="none", mec="black", mew=2.5)
    ax.figure.colorbar(image, ax=ax, label="total episode value (1 = gets as much as gives)")
    ax.set_title("Total episode value (Ravald and Grönroos 1996)")
    return ax


def episode_value_lines(grid: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Total episode value against relationship benefits, one line per level of relationship sacrifices.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.value import episode_value_grid
    >>> ax = episode_value_lines(episode_value_grid(6, 4))
    """
    ax = get_ax(ax)
    for s, row in grid.iterrows():
        ax.plot(grid.columns.to_numpy(float), row.to_numpy(float), marker="o", label=f"{s:g}")
    ax.axhline(1.0, color="0.3", lw=1, ls="--")
    ax.text(grid.columns.to_numpy(float)[0], 1.0, " gets = gives", va="bottom", fontsize=8, color="0.3")
    ax.set_xlabel("relationship benefits")
    ax.set_ylabel("total episode value")
    ax.legend(
        title="relationship\nsacrifices", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1)
    )
    ax.set_title("Relationship benefits raise value; relationship sacrifices lower it")
    return ax


def value_distribution(
    values: pd.Series | np.ndarray | Sequence[float],
    *,
    ax: Axes | None = None,
    log: bool = False,
    label: str | None = None,
    bins: int = 40,
    color: str | None = None,
    clip: float | None = None,
) -> Axes:
    """Histogram of one per-customer measure, with its median and mean marked.

    Parameters
    ----------
    values : Series or array
        One value per customer (e.g. a column of :func:`crmlib.clv.customer_value_measures`).
    log : bool
        Log-scaled x axis (for skewed money measures; non-positive values are left out and counted
        in the legend).
    clip : float, optional
        A quantile (e.g. 0.99): the histogram stops there and the customers beyond are counted in the
        legend. The median and mean always use every value.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> ax = value_distribution(pd.Series([5.0, 20.0, 35.0, 400.0], name="revenue"), log=True)
    """
    ax = get_ax(ax, figsize=(5, 3.5))
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    name = label if label is not None else getattr(values, "name", None) or "value"
    note = ""
    median, mean = (float(np.median(x)), float(np.mean(x))) if x.size else (np.nan, np.nan)
    if clip is not None and x.size:
        cut = float(np.quantile(x, clip))
        beyond = int((x > cut).sum())
        x = x[x <= cut]
        if beyond:
            note = f" ({beyond} above {cut:,.0f} not shown)"
    if log:
        dropped = int((x <= 0).sum())
        x = x[x > 0]
        if dropped:
            note += f" ({dropped} at 0 or below not shown)"
        edges: int | list[float] = (
            np.geomspace(x.min(), x.max(), bins + 1).tolist() if x.size and x.max() > x.min() else bins
        )
        ax.set_xscale("log")
    else:
        edges = bins
    ax.hist(x, bins=edges, color=color or "#4c72b0", alpha=0.85)
    if np.isfinite(median):
        ax.axvline(median, color="black", lw=1.5, label=f"median {median:,.2f}")
        ax.axvline(mean, color="#c44e52", lw=1.5, ls="--", label=f"mean {mean:,.2f}")
        ax.legend(fontsize=8, title=note.strip() or None, title_fontsize=7)
    ax.set_xlabel(str(name))
    ax.set_ylabel("customers")
    return ax


def value_components_chart(
    components: pd.DataFrame,
    *,
    by: pd.Series | None = None,
    ax: Axes | None = None,
    columns: Sequence[str] = ("historical_value", "current_value", "potential_value"),
) -> Axes:
    """Mean historical, current and potential value per customer, by group (stacked bars).

    Parameters
    ----------
    components : DataFrame
        From :func:`crmlib.clv.value_components` (one row per customer).
    by : Series or column name, optional
        Group of each customer (e.g. lifecycle stage); default one bar for everyone.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> comp = pd.DataFrame({"historical_value": [10.0, 4.0], "current_value": [20.0, 0.0],
    ...                      "potential_value": [5.0, 0.0]}, index=["a", "b"])
    >>> ax = value_components_chart(comp, by=pd.Series({"a": "long-term", "b": "lapsed"}))
    """
    ax = get_ax(ax, figsize=(7, 4))
    cols = list(columns)
    if by is None:
        means = components[cols].mean().to_frame("all customers").T
    else:
        key = components[by] if isinstance(by, str) else pd.Series(by).reindex(components.index)
        means = components[cols].groupby(key, observed=True, sort=True).mean()
    left = np.zeros(len(means))
    colors = ["#8c8c8c", "#4c72b0", "#55a868", "#dd8452"]
    for k, c in enumerate(cols):
        vals = means[c].to_numpy(float)
        ax.barh(
            [str(i) for i in means.index], vals, left=left, label=c.replace("_", " "), color=colors[k % len(colors)]
        )
        left = left + vals
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:,.0f}", va="center", fontsize=8)
    if len(left) and left.max() > 0:
        ax.set_xlim(0, float(left.max()) * 1.12)
    ax.set_xlabel("mean value per customer (money)")
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Historical, current and potential value")
    return ax


def value_map_chart(relative: pd.DataFrame, *, ax: Axes | None = None, highlight: Hashable | None = None) -> Axes:
    """Customer value map (Gale 1994): relative quality against relative price, with the fair-value line.

    Parameters
    ----------
    relative : DataFrame
        From :func:`crmlib.value.relative_value`.
    highlight : index label, optional
        An offer drawn larger (e.g. ours).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib.value import relative_value
    >>> offers = pd.DataFrame({"quality": [8, 6], "price": [100, 100]}, index=["us", "rival"])
    >>> ax = value_map_chart(relative_value(offers, "rival"), highlight="us")
    """
    ax = get_ax(ax, figsize=(5.5, 5))
    colors = {"better value": "#55a868", "fair value": "#8c8c8c", "worse value": "#c44e52"}
    x = relative["relative_price"].to_numpy(float)
    y = relative["relative_quality"].to_numpy(float)
    lo = min(x.min(), y.min()) * 0.85
    hi = max(x.max(), y.max()) * 1.1
    ax.plot([lo, hi], [lo, hi], color="0.4", ls="--", lw=1)
    ax.text(hi, hi, "fair-value line ", ha="right", va="bottom", fontsize=8, color="0.3", rotation=0)
    for name, row in relative.iterrows():
        size = 160 if name == highlight else 70
        ax.scatter(
            row["relative_price"],
            row["relative_quality"],
            s=size,
            color=colors.get(row["position"], "#4c72b0"),
            edgecolor="black",
            zorder=3,
        )
        ax.annotate(
            str(name),
            (row["relative_price"], row["relative_quality"]),
            xytext=(6, 4),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("relative price (reference = 1)")
    ax.set_ylabel("relative perceived quality (reference = 1)")
    ax.text(lo, hi, " better value", va="top", fontsize=8, color=colors["better value"])
    ax.text(hi, lo, "worse value ", ha="right", va="bottom", fontsize=8, color=colors["worse value"])
    ax.set_title("Customer value map")
    return ax


def layer_criteria_chart(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """How the weight of attributes, consequences and goals moves across the customer layers.

    Parameters
    ----------
    table : DataFrame
        From :func:`crmlib.value.layer_criteria`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlib.value import layer_criteria
    >>> ax = layer_criteria_chart(layer_criteria())
    """
    ax = get_ax(ax, figsize=(7, 3.5))
    levels = ["attribute", "consequence", "goal"]
    colors = ["#c6dbef", "#6baed6", "#08519c"]
    left = np.zeros(len(table))
    names = [str(i) for i in table.index]
    for level, color in zip(levels, colors):
        vals = table[level].to_numpy(float)
        ax.barh(names, vals, left=left, color=color, label=level + "s", edgecolor="white")
        for yi, (l0, v) in enumerate(zip(left, vals)):
            if v >= 0.08:
                ax.text(
                    l0 + v / 2,
                    yi,
                    f"{v:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if level == "goal" else "black",
                )
        left = left + vals
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("weight in the customer's evaluation (illustrative)")
    ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    ax.set_title("What each customer layer judges")
    return ax
