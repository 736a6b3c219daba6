"""Explorers: churn (chapter 08) -- a retention-campaign explorer.

Computes nothing itself: every change calls :func:`crmlib.churn.campaign_value` and
:func:`crmlib.churn.campaign_curve` and redraws with :func:`crmlib.plot.campaign_curve_chart`. Controls are
reachable as ``explorer.controls[name]``; the last table shown is ``explorer.result``.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
from numpy.typing import ArrayLike

from crmlib.widgets._base import Explorer

__all__ = ["campaign_explorer"]


def _slider(name, value, low, high, step, fmt):
    return widgets.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=name,
        readout_format=fmt,
        continuous_update=False,
        style={"description_width": "initial"},
    )


def campaign_explorer(
    churn_probability: ArrayLike,
    value: ArrayLike,
    *,
    success_rate: float = 0.3,
    contact_cost: float = 3.0,
    incentive_cost: float = 15.0,
    target_share: float = 0.2,
) -> Explorer:
    """Retention-campaign explorer: sliders for success rate, contact and incentive cost, share targeted.

    Parameters
    ----------
    churn_probability, value : array-like
        Per customer: churn probability and value kept if the customer stays (money).
    success_rate, contact_cost, incentive_cost, target_share : float
        Starting values (see :func:`crmlib.churn.campaign_value`).

    Returns
    -------
    Explorer
        Controls ``success_rate``, ``contact_cost``, ``incentive_cost``, ``target_share``; ``result`` is a
        table of the campaign targeting the top ``target_share`` by each ranking.

    Examples
    --------
    >>> w = campaign_explorer(p, clv)  # doctest: +SKIP
    >>> w.controls["incentive_cost"].value = 30  # doctest: +SKIP
    """
    from crmlib import churn, plot

    controls = {
        "success_rate": _slider("Would-be churners kept (share)", success_rate, 0.0, 1.0, 0.05, ".0%"),
        "contact_cost": _slider(
            "Contact cost (money per customer)", contact_cost, 0.0, max(10.0, 5 * contact_cost), 0.5, ",.1f"
        ),
        "incentive_cost": _slider(
            "Offer cost (money per customer who takes it)", incentive_cost, 0.0, max(25.0, 5 * incentive_cost), 0.5,
            ",.1f",
        ),
        "target_share": _slider("Customers targeted (share)", target_share, 0.0, 1.0, 0.01, ".0%"),
    }

    def compute(v, ax):
        kw = dict(success_rate=v["success_rate"], contact_cost=v["contact_cost"], incentive_cost=v["incentive_cost"])
        curve = churn.campaign_curve(churn_probability, value, **kw)
        plot.campaign_curve_chart(curve, ax=ax)
        ax.axvline(v["target_share"], color="0.3", ls=":", lw=1)
        chosen = churn.campaign_value(churn_probability, value, **kw, target_share=v["target_share"])
        best = churn.campaign_value(churn_probability, value, **kw)
        at = churn.campaign_curve(churn_probability, value, **kw, shares=[v["target_share"]]).iloc[0]
        table = pd.DataFrame(
            {
                "customers targeted": [chosen.attrs["n_targeted"], best.attrs["n_targeted"]],
                "expected customers kept": [chosen.attrs["saved"], best.attrs["saved"]],
                "expected profit": [chosen.attrs["total"], best.attrs["total"]],
            },
            index=[f"top {v['target_share']:.0%} by risk x value", "all with positive expected profit"],
        )
        table.attrs["by_ranking"] = at.to_dict()
        return table, table.style.format("{:,.0f}").to_html()

    return Explorer(controls, compute, note="The dotted line is the share you target; the dot marks the best share.")
