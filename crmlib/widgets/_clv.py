"""Explorers: the CLV calculator (chapter 04).

Built on :func:`crmlib.clv.retention_clv` and :func:`crmlib.clv.retention_clv_table`; the widget only
reads its sliders, calls those functions and shows their results (no computation of its own).
"""

from __future__ import annotations

import ipywidgets as widgets

from crmlib.widgets._base import Calculator, figure_png

__all__ = ["CLVCalculator", "clv_calculator"]


class CLVCalculator(Calculator):
    """Interactive retention-based CLV: sliders for margin, retention, discount rate and horizon.

    Shows the finite-horizon CLV, the infinite-horizon (Gupta-Lehmann) value, the expected lifetime,
    and the chart of the running CLV against the horizon. Controls are in ``controls`` (a dict:
    ``margin``, ``retention``, ``discount_rate``, ``horizon``, ``first_margin``); the numbers are in
    ``result`` (an HTML widget), the chart in ``chart`` (an Image widget).
    """

    def __init__(
        self,
        margin: float = 100.0,
        retention: float = 0.8,
        discount_rate: float = 0.1,
        horizon: int = 10,
        first_margin: str = "after_one_period",
    ):
        style = {"description_width": "150px"}
        layout = widgets.Layout(width="480px")
        self.controls = {
            "margin": widgets.FloatSlider(
                value=margin,
                min=0.0,
                max=max(1000.0, margin),
                step=5.0,
                description="margin per period",
                style=style,
                layout=layout,
            ),
            "retention": widgets.FloatSlider(
                value=retention,
                min=0.0,
                max=0.99,
                step=0.01,
                description="retention per period",
                style=style,
                layout=layout,
            ),
            "discount_rate": widgets.FloatSlider(
                value=discount_rate,
                min=0.0,
                max=0.5,
                step=0.01,
                description="discount rate per period",
                style=style,
                layout=layout,
                readout_format=".2f",
            ),
            "horizon": widgets.IntSlider(
                value=horizon, min=1, max=50, step=1, description="horizon (periods)", style=style, layout=layout
            ),
            "first_margin": widgets.Dropdown(
                options=[
                    ("end of period 1 (Gupta-Lehmann)", "after_one_period"),
                    ("now, with the first purchase", "now"),
                ],
                value=first_margin,
                description="first margin",
                style=style,
                layout=layout,
            ),
        }
        super().__init__(self.controls)

    def _update(self, change=None) -> None:
        from crmlib import clv
        from crmlib.plot import clv_horizon_chart

        v = self.values()
        kwargs = {"first_margin": v["first_margin"]}
        finite = clv.retention_clv(v["margin"], v["retention"], v["discount_rate"], horizon=v["horizon"], **kwargs)
        infinite = clv.retention_clv(v["margin"], v["retention"], v["discount_rate"], **kwargs)
        lifetime = clv.expected_lifetime(v["retention"])
        self.result.value = (
            f"<b>CLV over {v['horizon']} periods: {finite:,.2f}</b> &nbsp;|&nbsp; "
            f"with no horizon: {infinite:,.2f} &nbsp;|&nbsp; "
            f"expected lifetime: {lifetime:,.1f} periods"
        )
        table = clv.retention_clv_table(
            v["margin"], v["retention"], v["discount_rate"], horizon=max(v["horizon"], 30), **kwargs
        )
        if self.chart is not None:
            self.chart.value = figure_png(
                lambda ax: _horizon_with_marker(ax, clv_horizon_chart, table, infinite, v["horizon"]),
                figsize=(6.5, 3.6),
            )


def _horizon_with_marker(ax, chart, table, infinite, horizon):
    chart(table, infinite=infinite, ax=ax)
    ax.axvline(horizon, color="0.3", ls=":", lw=1.2)
    return ax


def clv_calculator(
    margin: float = 100.0,
    retention: float = 0.8,
    discount_rate: float = 0.1,
    horizon: int = 10,
    first_margin: str = "after_one_period",
) -> CLVCalculator:
    """An interactive CLV calculator (display it as the last expression of a cell).

    Examples
    --------
    >>> w = clv_calculator(retention=0.7)
    >>> w.controls["retention"].value = 0.9      # the displayed CLV updates
    >>> "with no horizon: 450.00" in w.result.value  # 100 * 0.9 / (1 + 0.1 - 0.9)
    True
    """
    return CLVCalculator(
        margin=margin, retention=retention, discount_rate=discount_rate, horizon=horizon, first_margin=first_margin
    )
