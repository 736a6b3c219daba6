"""Explorers: the probability models (chapter 05).

* :class:`RetentionProjector` -- how the sBG and the naive curve fits project a cohort's retention when
  fitted on the first k periods (Fader and Hardie 2007);
* :class:`AliveExplorer` -- P(alive) and expected purchases of one customer history under a fitted BG/NBD
  or Pareto/NBD.

Both only read their controls, call :mod:`crmlib.models` and draw with :mod:`crmlib.plot`.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from crmlib.widgets._base import Calculator, figure_png

__all__ = ["AliveExplorer", "RetentionProjector", "alive_explorer", "retention_projector"]


class RetentionProjector(Calculator):
    """Fit the sBG on the first ``k`` periods of a cohort and compare its projection with naive curves.

    ``controls["calibration_periods"]`` (slider, 2 .. periods-1), ``controls["naive"]`` and ``controls["bdw"]``
    (checkboxes; the beta-discrete-Weibull needs at least 3 periods); the estimates and the projection error at the
    last observed period are in ``result``, the chart in ``chart``.
    """

    def __init__(
        self, survivors: Any, calibration_periods: int = 4, periods: int | None = None, period_name: str = "Year"
    ) -> None:
        self.survivors = [float(v) for v in survivors]
        last = len(self.survivors) - 1
        self.periods = periods if periods is not None else max(last, 12)
        self.period_name = period_name
        style = {"description_width": "170px"}
        self.controls = {
            "calibration_periods": widgets.IntSlider(
                value=min(max(calibration_periods, 2), last),
                min=2,
                max=last,
                description="periods used for fitting",
                style=style,
                layout=widgets.Layout(width="480px"),
            ),
            "naive": widgets.Checkbox(value=True, description="show naive curve fits"),
            "bdw": widgets.Checkbox(value=False, description="also the BdW (churn that changes with tenure)"),
        }
        super().__init__(self.controls)

    def _update(self, change=None) -> None:
        from crmlib.models import BetaDiscreteWeibull, ModelError, ShiftedBetaGeo, naive_survival_projections
        from crmlib.plot import retention_projection

        k = self.controls["calibration_periods"].value
        model = ShiftedBetaGeo().fit(self.survivors[: k + 1])
        others = {}
        bdw_note = ""
        if self.controls["bdw"].value:
            try:
                bdw = BetaDiscreteWeibull().fit(self.survivors[: k + 1])
                others["BdW"] = bdw
                bdw_note = (
                    f"<br><b>BdW</b>: c = {bdw.params_['c']:.2f} "
                    f"({'rising' if bdw.params_['c'] > 1 else 'falling'} individual churn); "
                    f"share still active in period {len(self.survivors) - 1}: "
                    f"{100 * bdw.survival(len(self.survivors) - 1):.1f}%"
                )
            except ModelError as exc:
                bdw_note = f"<br>BdW not fitted: {html.escape(str(exc))}"
        last = len(self.survivors) - 1
        actual = self.survivors[last] / self.survivors[0]
        naive = naive_survival_projections(self.survivors[: k + 1], last, calibration_periods=k).loc[last]
        rows = "".join(
            f"<td>{name}: {100 * value:.1f}%</td>" if value == value else f"<td>{name}: needs 3 periods</td>"
            for name, value in naive.items()
        )
        self.result.value = (
            f"<b>sBG fitted on periods 1-{k}</b>: alpha = {model.params_['alpha']:.3f}, "
            f"beta = {model.params_['beta']:.3f}. "
            f"Share still active in period {last}: actual {100 * actual:.1f}%, sBG {100 * model.survival(last):.1f}%"
            f"<table><tr><td>naive fits:</td>{rows}</tr></table>{bdw_note}"
        )
        assert self.chart is not None  # this explorer is built with a chart
        self.chart.value = figure_png(
            lambda ax: retention_projection(
                self.survivors,
                calibration_periods=k,
                periods=self.periods,
                model=model,
                naive=self.controls["naive"].value,
                period_name=self.period_name,
                ax=ax,
                other_models=others,
            )
        )


def retention_projector(survivors: Any, calibration_periods: int = 4, **kwargs: Any) -> RetentionProjector:
    """Return a :class:`RetentionProjector` for a cohort's survivors (first value the cohort size).

    Examples
    --------
    >>> w = retention_projector([1000, 631, 468, 382, 326, 289, 262, 241], calibration_periods=7)
    >>> "alpha = 0.704" in w.result.value
    True
    """
    return RetentionProjector(survivors, calibration_periods=calibration_periods, **kwargs)


class AliveExplorer(Calculator):
    """P(alive) and expected purchases of one customer: sliders for frequency, recency and T.

    ``controls["frequency"]``, ``controls["recency"]``, ``controls["T"]``, ``controls["horizon"]``; the numbers
    are in ``result``.
    """

    def __init__(self, model: Any, *, max_frequency: int = 30, max_T: float = 104.0) -> None:
        self.model = model
        unit = model.unit_name
        style = {"description_width": "190px"}
        layout = widgets.Layout(width="500px")
        self.controls = {
            "frequency": widgets.IntSlider(
                value=3, min=0, max=max_frequency, description="repeat purchases (x)", style=style, layout=layout
            ),
            "recency": widgets.FloatSlider(
                value=20.0,
                min=0.0,
                max=max_T,
                step=0.5,
                description=f"last purchase at ({unit})",
                style=style,
                layout=layout,
            ),
            "T": widgets.FloatSlider(
                value=40.0,
                min=1.0,
                max=max_T,
                step=0.5,
                description=f"observed for T ({unit})",
                style=style,
                layout=layout,
            ),
            "horizon": widgets.FloatSlider(
                value=26.0,
                min=1.0,
                max=max_T,
                step=1.0,
                description=f"forecast horizon ({unit})",
                style=style,
                layout=layout,
            ),
        }
        super().__init__(self.controls, chart=False)

    def _update(self, change=None) -> None:
        c = {k: v.value for k, v in self.controls.items()}
        T = c["T"]
        recency = 0.0 if c["frequency"] == 0 else min(c["recency"], T)
        alive = self.model.probability_alive(c["frequency"], recency, T)
        expected = self.model.conditional_expected_purchases(c["horizon"], c["frequency"], recency, T)
        note = (
            " (recency set to 0: no repeat purchase)"
            if c["frequency"] == 0
            else (" (recency capped at T)" if c["recency"] > T else "")
        )
        self.result.value = (
            f"<b>P(alive) = {alive:.3f}</b> &nbsp;|&nbsp; expected purchases in the next {c['horizon']:g} "
            f"{self.model.unit_name}: <b>{expected:.2f}</b>{note}"
        )


def alive_explorer(model: Any, **kwargs: Any) -> AliveExplorer:
    """Return an :class:`AliveExplorer` for a fitted BetaGeo, ModifiedBetaGeo or ParetoNBD.

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}; m.unit_ = "W"
    >>> "P(alive)" in alive_explorer(m).result.value
    True
    """
    return AliveExplorer(model, **kwargs)
