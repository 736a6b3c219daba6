"""Charts: relationship-marketing types (CMP firm classification) and the path from transactions to membership.

Each function takes what :mod:`crmlib.relationship` computed, draws on ``ax`` (a new figure if None)
through ``ax.*`` only and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = ["type_scores_chart", "classification_chart", "membership_chart"]

_TYPE_COLORS = {
    "transactional": "#f2c14e",
    "database": "#4c72b0",
    "interaction": "#55a868",
    "network": "#8172b2",
    "e-marketing": "#64b5cd",
    "pluralistic": "#9e9e9e",
}


def type_scores_chart(classified: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean type scores of the firms in each class: grouped bars, one group per assigned class.

    Parameters
    ----------
    classified : DataFrame
        From :func:`crmlib.relationship.classify_firms` (type score columns, ``type``).

    Examples
    --------
    >>> from crmlib import datasets, relationship
    >>> ax = type_scores_chart(relationship.classify_firms(datasets.make_firm_survey(50, seed=1)))
    """
    ax = get_ax(ax, (8.5, 4.3))
    types = [c for c in classified.columns if c in _TYPE_COLORS and c != "pluralistic"]
    order = [t for t in (*types, "pluralistic") if (classified["type"] == t).any()]
    means = classified.groupby("type")[types].mean().reindex(order)
    counts = classified["type"].value_counts().reindex(order)
    x = np.arange(len(order))
    width = 0.8 / len(types)
    for j, t in enumerate(types):
        ax.bar(x + (j - (len(types) - 1) / 2) * width, means[t].to_numpy(), width, color=_TYPE_COLORS[t], label=t)
    ax.set_xticks(x, [f"{t}\n(n={int(n)})" for t, n in zip(order, counts)])
    ax.set_ylim(1, 7)
    ax.set_ylabel("mean type score (1-7)")
    ax.set_xlabel("firms classified as")
    ax.set_title("Marketing-practice profile of each class of firms")
    ax.legend(title="score of type", fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def classification_chart(truth: pd.Series, predicted: pd.Series, ax: Axes | None = None) -> Axes:
    """Confusion table as a heat map: true type (rows) against assigned class (columns), with counts.

    Examples
    --------
    >>> from crmlib import datasets, relationship
    >>> s = datasets.make_firm_survey(50, seed=1)
    >>> ax = classification_chart(s["true_type"], relationship.classify_firms(s)["type"])
    """
    ax = get_ax(ax, (6.5, 5))
    table = pd.crosstab(pd.Series(np.asarray(truth), name="true"), pd.Series(np.asarray(predicted), name="assigned"))
    order = [t for t in _TYPE_COLORS if t in table.index or t in table.columns]
    table = table.reindex(
        index=[t for t in order if t in table.index], columns=[t for t in order if t in table.columns], fill_value=0
    )
    shares = table.div(table.sum(axis=1), axis=0)
    ax.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = int(table.iat[i, j])
            ax.text(
                j, i, str(v), ha="center", va="center", fontsize=9, color="white" if shares.iat[i, j] > 0.5 else "black"
            )
    ax.set_xticks(np.arange(table.shape[1]), list(table.columns), rotation=30, ha="right")
    ax.set_yticks(np.arange(table.shape[0]), list(table.index))
    ax.set_xlabel("assigned by classify_firms")
    ax.set_ylabel("true (simulated) type")
    ax.grid(False)
    ax.set_title("Classification against the simulated truth")
    return ax


def membership_chart(curve: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Share of customers who have become repeat 'members', by tenure.

    From :func:`crmlib.relationship.membership_curve`.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib import relationship
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [1.0] * 3,
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"])})
    >>> ax = membership_chart(relationship.membership_curve(tx))
    """
    ax = get_ax(ax, (7.5, 4))
    unit = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}.get(curve.attrs.get("unit", ""), "")
    k = curve.attrs.get("min_purchases", 2)
    ax.plot(curve.index, curve["share"], color="#4c72b0", lw=2, marker="o", ms=3)
    ax.fill_between(curve.index, 0, curve["share"], color="#4c72b0", alpha=0.15)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"time since the first purchase ({unit})")
    ax.set_ylabel(f"share with >= {k} purchase days")
    ax.set_title("From transactions to membership: who has come back?")
    return ax
