"""Explorers: loyalty (chapter 03) -- the loyalty-programme break-even and the switching-cost value gap.

The explorers compute nothing themselves: every change of a control calls
:func:`crmlib.loyalty.programme_economics`, :func:`crmlib.loyalty.break_even_lift` or
:func:`crmlib.loyalty.switching_margin` and redraws with :mod:`crmlib.plot`. Controls are reachable as
``explorer.controls[name]``; the last table shown is ``explorer.result``.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from crmlib.widgets._base import Explorer

__all__ = ["programme_explorer", "switching_explorer"]


def _slider(label, value, low, high, step, fmt=".2f"):
    return widgets.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=label,
        readout_format=fmt,
        continuous_update=False,
        style={"description_width": "initial"},
    )


def programme_explorer(
    *,
    members: float = 1000,
    revenue: float = 500,
    margin_rate: float = 0.3,
    reward_rate: float = 0.02,
    running_cost: float = 10_000,
    spend_lift: float = 0.1,
    retention_lift: float = 0.02,
) -> Explorer:
    """Loyalty-programme break-even explorer: sliders for the reward rate, running cost, spend and retention lift.

    Built on :func:`crmlib.loyalty.programme_economics` and :func:`crmlib.loyalty.break_even_lift`; drawn with
    :func:`crmlib.plot.break_even_chart`. ``members``, ``revenue`` (money per member per year) and
    ``margin_rate`` stay fixed.

    Returns
    -------
    Explorer
        Controls ``reward_rate``, ``running_cost``, ``spend_lift``, ``retention_lift``; ``result`` is the
        one-year account (a one-column table) with the break-even spend lift.

    Examples
    --------
    >>> w = programme_explorer()  # doctest: +SKIP
    >>> w.controls["reward_rate"].value = 0.05  # doctest: +SKIP
    """
    from crmlib import loyalty, plot

    controls = {
        "reward_rate": _slider(
            "reward cost (share of member revenue)", reward_rate, 0.0, max(0.0, margin_rate - 0.01), 0.005, ".1%"
        ),
        "running_cost": _slider(
            "running cost (money per year)", running_cost, 0.0, 10 * max(running_cost, 1000.0), 1000.0, ",.0f"
        ),
        "spend_lift": _slider("spend lift of members (share)", spend_lift, 0.0, 0.5, 0.01, ".0%"),
        "retention_lift": _slider("retention lift (share of members)", retention_lift, 0.0, 0.2, 0.005, ".1%"),
    }

    def compute(v, ax):
        kw = dict(
            members=members,
            revenue=revenue,
            margin_rate=margin_rate,
            reward_rate=v["reward_rate"],
            running_cost=v["running_cost"],
        )
        account = loyalty.programme_economics(**kw, spend_lift=v["spend_lift"], retention_lift=v["retention_lift"])
        s_star = loyalty.break_even_lift(**kw, retention_lift=v["retention_lift"])
        plot.break_even_chart(**kw, retention_lifts=(0.0, v["retention_lift"]), ax=ax)
        ax.axvline(v["spend_lift"], color="0.3", ls=":", lw=1)
        table = pd.concat([account, pd.Series({"break_even_spend_lift": s_star})]).to_frame("value")
        html = table.style.format("{:,.2f}").to_html()
        return table, html

    return Explorer(
        controls,
        compute,
        note=(
            f"{members:,.0f} members spending {revenue:,.0f} a year at a {margin_rate:.0%} gross margin. "
            "The dotted line is the spend lift you assume; the dots mark break-even."
        ),
    )


def switching_explorer(*, value_received: float = 100.0, switching_cost: float = 30.0) -> Explorer:
    """Switching-cost explorer: how large a competitor's advantage must be before the customer leaves.

    Built on :func:`crmlib.loyalty.switching_margin`; drawn with :func:`crmlib.plot.value_gap_chart`.

    Returns
    -------
    Explorer
        Controls ``value_received``, ``switching_cost``; ``result`` holds the value of the best
        alternative at which the customer leaves, with and without the switching cost.

    Examples
    --------
    >>> w = switching_explorer(value_received=100, switching_cost=30)  # doctest: +SKIP
    >>> w.controls["switching_cost"].value = 50  # doctest: +SKIP
    """
    from crmlib import loyalty, plot

    controls = {
        "value_received": _slider(
            "value received (money per year)", value_received, 0.0, 4 * value_received, 5.0, ",.0f"
        ),
        "switching_cost": _slider(
            "switching cost (money)", switching_cost, 0.0, 4 * max(switching_cost, 10.0), 5.0, ",.0f"
        ),
    }

    def compute(v, ax):
        plot.value_gap_chart(v["value_received"], v["switching_cost"], ax=ax)
        # the customer leaves when M = V - A + C <= 0, i.e. A >= V + C
        # the customer leaves when M = V - A + C <= 0, i.e. when A reaches M at A = 0 (= V + C)
        table = pd.DataFrame(
            {
                "leaves_when_alternative_reaches": [
                    loyalty.switching_margin(v["value_received"], 0.0, v["switching_cost"]),
                    loyalty.switching_margin(v["value_received"], 0.0, 0.0),
                ]
            },
            index=["with switching cost", "without switching cost"],
        )
        return table, table.style.format("{:,.1f}").to_html()

    return Explorer(controls, compute)
