"""Explorers: customer dynamics (chapter 07) -- cohorts by metric and period, stages by rule thresholds.

Built on :func:`crmlib.lifecycle.cohort_matrix` and :func:`crmlib.lifecycle.stage_counts`, drawn with
:mod:`crmlib.plot`; the controls are ``explorer.controls[name]``, the last table ``explorer.result``.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from crmlib.widgets._base import Explorer

__all__ = ["cohort_explorer", "stage_explorer"]


def cohort_explorer(transactions: pd.DataFrame, *, metric: str = "retention", period: str = "M") -> Explorer:
    """Cohort heatmap with a dropdown for the metric and one for the period length.

    Parameters
    ----------
    transactions : DataFrame
        Canonical frame (``customer_id``, ``date``, ``amount``).
    metric : str
        Starting metric, one of :data:`crmlib.lifecycle.COHORT_METRICS`.
    period : {"M", "Q", "Y"}
        Starting period.

    Returns
    -------
    Explorer
        Controls ``"metric"`` and ``"period"``.

    Examples
    --------
    >>> from crmlib import datasets
    >>> w = cohort_explorer(datasets.load_transactions())
    >>> w.controls["metric"].value = "revenue_per_customer"  # redraws; the new matrix is w.result
    """
    from crmlib import lifecycle, plot

    controls = {
        "metric": widgets.Dropdown(options=list(lifecycle.COHORT_METRICS), value=metric, description="metric"),
        "period": widgets.Dropdown(
            options=[("month", "M"), ("quarter", "Q"), ("year", "Y")], value=period, description="period"
        ),
    }

    def compute(v, ax):
        matrix = lifecycle.cohort_matrix(transactions, period=v["period"], metric=v["metric"])
        plot.cohort_heatmap(matrix, ax=ax)
        return matrix, ""

    return Explorer(controls, compute, figsize=(11, 5.5))


def stage_explorer(
    transactions: pd.DataFrame, *, lapse_days: int | None = None, long_term_days: int | None = None
) -> Explorer:
    """Stage counts over time with sliders for the lapse and long-term thresholds (days).

    Returns
    -------
    Explorer
        Controls ``"lapse_days"`` and ``"long_term_days"``.

    Examples
    --------
    >>> from crmlib import datasets
    >>> w = stage_explorer(datasets.load_transactions())
    >>> w.controls["lapse_days"].value = 90  # redraws; the new counts are w.result
    """
    from crmlib import lifecycle, plot

    def slider(label, value):
        return widgets.IntSlider(
            value=value,
            min=30,
            max=730,
            step=15,
            description=label,
            continuous_update=False,
            style={"description_width": "initial"},
        )

    controls = {
        "lapse_days": slider(
            "lapsed after (days without a purchase)", lifecycle.LAPSE_DAYS if lapse_days is None else lapse_days
        ),
        "long_term_days": slider(
            "long-term from (days since the first purchase)",
            lifecycle.LONG_TERM_DAYS if long_term_days is None else long_term_days,
        ),
    }

    def compute(v, ax):
        counts = lifecycle.stage_counts(transactions, lapse_days=v["lapse_days"], long_term_days=v["long_term_days"])
        plot.stage_area_chart(counts, ax=ax)
        return counts, counts.tail(1).to_html()

    return Explorer(controls, compute, figsize=(8, 4.2))  # the size of the static stage_area_chart
