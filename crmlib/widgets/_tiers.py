"""Explorers: tiering (chapter 06).

The customer pyramid with movable cut-offs, the value-by-potential matrix with movable thresholds.

The explorers compute nothing themselves: every change of a control calls :func:`crmlib.tiers.pyramid`
/ :func:`crmlib.tiers.tier_table` / :func:`crmlib.tiers.value_potential` and redraws with
:mod:`crmlib.plot`. Controls are reachable as ``explorer.controls[name]``; the last table shown is
``explorer.result``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import pandas as pd

from crmlib.params import ParameterError
from crmlib.widgets._base import Explorer

__all__ = ["Explorer", "pyramid_explorer", "matrix_explorer"]


def _percent_slider(label: str, value: float, high: float = 0.5) -> widgets.FloatSlider:
    return widgets.FloatSlider(
        value=value,
        min=0.0,
        max=high,
        step=0.005,
        description=label,
        readout_format=".1%",
        continuous_update=False,
        style={"description_width": "initial"},
    )


def pyramid_explorer(
    values: pd.Series,
    *,
    value_label: str = "value",
    shares: Sequence[float] | None = None,
    labels: Sequence[str] | None = None,
) -> Explorer:
    """The customer pyramid with one slider per tier share (the last tier takes the rest).

    Built on :func:`crmlib.tiers.pyramid` and :func:`crmlib.tiers.tier_table`; drawn with
    :func:`crmlib.plot.pyramid_chart`.

    Parameters
    ----------
    values : Series
        Value per customer (revenue or profit, money).
    value_label : str
        What the value is, for labels.
    shares, labels : sequences, optional
        Starting shares and names (default :data:`crmlib.tiers.PYRAMID_SHARES` / ``PYRAMID_LABELS``).

    Returns
    -------
    Explorer
        Controls ``"<label>_share"`` for every tier but the last (``vip_share``, ``major_share``,
        ``common_share`` by default).

    Examples
    --------
    >>> w = pyramid_explorer([50, 20, 10, 5, 5, 4, 3, 2, 1, 0], value_label="profit")
    >>> w.controls["vip_share"].value = 0.05  # redraws; the new share table is w.result
    """
    from crmlib import plot, tiers

    shares = tuple(tiers.PYRAMID_SHARES if shares is None else shares)
    labels = tuple(tiers.PYRAMID_LABELS if labels is None else labels)
    names = [f"{str(label).lower().replace(' ', '_')}_share" for label in labels[:-1]]
    controls = {
        name: _percent_slider(f"{label} tier (share of customers)", share)
        for name, label, share in zip(names, labels[:-1], shares[:-1])
    }

    def compute(v, ax):
        top = [v[name] for name in names]
        rest = 1.0 - sum(top)
        if rest < -1e-9:
            raise ParameterError(
                f"The top tiers take {sum(top):.1%} of the customers, more than 100%; lower a slider "
                f"so that {labels[-1]} keeps the rest."
            )
        tier = tiers.pyramid(values, shares=(*top, max(rest, 0.0)), labels=labels)
        table = tiers.tier_table(values, tier)
        plot.pyramid_chart(table, value_label=value_label, ax=ax)
        shown = table[["customers", "share_of_customers", "value", "share_of_value", "value_per_customer"]]
        html = shown.style.format(
            {
                "share_of_customers": "{:.1%}",
                "share_of_value": "{:.1%}",
                "value": "{:,.0f}",
                "value_per_customer": "{:,.2f}",
            }
        ).to_html()
        return table, html

    return Explorer(controls, compute, note=f"Move the cut-offs; {labels[-1]} takes the remaining customers.")


def matrix_explorer(
    current: pd.Series,
    potential: pd.Series,
    *,
    current_threshold: float | None = None,
    potential_threshold: float | None = None,
) -> Explorer:
    """The current-value x potential-value matrix with a slider per threshold.

    Built on :func:`crmlib.tiers.value_potential` and :func:`crmlib.tiers.tier_table`; drawn with
    :func:`crmlib.plot.value_potential_chart`. The sliders are labelled in words with their unit and run on a log
    scale from the 1st to the 99th percentile of the positive values, where the customers are; they start at the
    given thresholds (default: the rule of :func:`crmlib.tiers.value_potential`).

    Returns
    -------
    Explorer
        Controls ``"current_threshold"`` and ``"potential_threshold"``.

    Examples
    --------
    >>> w = matrix_explorer([0, 5, 20, 80], [30, 2, 4, 60])
    >>> w.controls["current_threshold"].value = 10.0  # redraws; the new quadrant table is w.result
    """
    from crmlib import plot, tiers

    c = pd.Series(current, dtype=float) if not isinstance(current, pd.Series) else current.astype(float)
    p = pd.Series(potential, dtype=float) if not isinstance(potential, pd.Series) else potential.astype(float)

    def slider(label, series, start):
        # money values are heavy-tailed: a slider on a log scale from the 1st to the 99th percentile of the positive
        # values spends its length where the customers are (a linear one squeezes every sensible threshold into
        # its first pixels)
        positive = series[series > 0]
        low, high = (float(positive.quantile(q)) for q in (0.01, 0.99)) if len(positive) else (1.0, 10.0)
        start = float(tiers.value_potential(c, p).attrs[f"{label}_threshold"]) if start is None else float(start)
        low, high = min(low, start) if start > 0 else low, max(high, start, low * 10)
        return widgets.FloatLogSlider(
            value=min(max(start, low), high),
            base=10,
            min=np.log10(low),
            max=np.log10(high),
            step=(np.log10(high) - np.log10(low)) / 400,
            description=f"high {label} value from (money{' per year' if label == 'current' else ''})",
            readout_format=",.1f",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="48%"),
        )

    controls = {
        "current_threshold": slider("current", c, current_threshold),
        "potential_threshold": slider("potential", p, potential_threshold),
    }

    def compute(v, ax):
        vp = tiers.value_potential(
            c, p, current_threshold=v["current_threshold"], potential_threshold=v["potential_threshold"]
        )
        plot.value_potential_chart(vp, ax=ax)
        table = tiers.tier_table(vp["current"], vp["quadrant"])
        table["strategy"] = [tiers.QUADRANT_STRATEGIES.get(q, "") for q in table.index]
        html = (
            table[["customers", "share_of_customers", "share_of_value", "strategy"]]
            .style.format({"share_of_customers": "{:.1%}", "share_of_value": "{:.1%}"})
            .to_html()
        )
        return table, html

    return Explorer(controls, compute, figsize=(8, 6))  # the size of the static value_potential_chart
