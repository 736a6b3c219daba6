"""The explorer every chapter's widgets are built on: controls, a figure and a table, redrawn on change."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from crmlib.params import ParameterError

__all__ = ["Explorer", "Calculator", "figure_png"]


class Explorer(widgets.VBox):
    """A VBox of controls, a figure (PNG) and a table, redrawn by ``update`` whenever a control changes.

    Attributes
    ----------
    controls : dict of str -> ipywidgets control
    result : DataFrame or None
        The table computed by the last update.
    message : str
        The last problem with the settings (e.g. shares above 100%), shown instead of the figure.

    Examples
    --------
    ``compute(values, ax)`` draws on ``ax`` and returns the table and its HTML:

    >>> import pandas as pd
    >>> def compute(values, ax):
    ...     table = pd.DataFrame({"customers": [values["customers"]]})
    ...     ax.bar(["customers"], table["customers"])
    ...     return table, table.to_html()
    >>> explorer = Explorer({"customers": widgets.IntSlider(value=10, description="Customers")}, compute)
    >>> explorer.controls["customers"].value = 25  # redrawn on change
    >>> int(explorer.result["customers"].iloc[0]), bytes(explorer.image.value)[1:4]
    (25, b'PNG')
    """

    def __init__(
        self,
        controls: dict[str, Any],
        compute: Callable[[dict[str, Any], Any], tuple[Any, str]],
        *,
        figsize: tuple[float, float] = (8, 4.5),
        note: str = "",
    ):
        self.controls = controls
        self._compute = compute
        self._figsize = figsize
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.table = widgets.HTML()
        self.status = widgets.HTML()
        self.result: pd.DataFrame | None = None
        self.message = ""
        header = [widgets.HTML(f"<i>{note}</i>")] if note else []
        super().__init__(header + [widgets.HBox(list(controls.values())), self.status, self.image, self.table])
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Recompute with the current control values and redraw."""
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from crmlib.plot import tight_png

        values = {name: control.value for name, control in self.controls.items()}
        dpi = mpl.rcParams["savefig.dpi"]  # the resolution of the static figures
        fig = Figure(figsize=self._figsize, dpi=None if dpi == "figure" else dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        try:
            table, html = self._compute(values, ax)
        except ParameterError as exc:  # a setting crmlib refuses: show its sentence, keep the old result
            self.message = str(exc)
            self.status.value = f"<span style='color:#b00'>{self.message}</span>"
            return
        self.message = ""
        self.status.value = ""
        self.result = table
        self.image.value = tight_png(fig) or b""  # cut at its tight box, as the chapters' figures
        self.table.value = html


def figure_png(draw: Callable[[Any], Any], figsize: tuple[float, float] = (7.5, 4.0)) -> bytes:
    """Draw with ``draw(ax)`` on a new off-screen figure and return it as PNG bytes (no pyplot state).

    Examples
    --------
    >>> png = figure_png(lambda ax: ax.plot([0, 1], [1, 3]))
    >>> png[1:4]
    b'PNG'
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=90)
    ax = fig.add_subplot()
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


class Calculator(widgets.VBox):
    """Controls above a result (HTML) and, optionally, a chart (PNG), recomputed by ``_update`` on every change.

    Subclasses build their controls and call ``super().__init__(controls)``; ``_update`` reads
    :meth:`values`, calls crmlib and writes ``self.result.value`` (and ``self.chart.value``).

    Examples
    --------
    >>> class Margin(Calculator):
    ...     def __init__(self):
    ...         super().__init__({"revenue": widgets.FloatText(value=100.0), "rate": widgets.FloatText(value=0.3)},
    ...                          chart=False)
    ...     def _update(self, change=None):
    ...         values = self.values()
    ...         self.result.value = f"<b>{values['revenue'] * values['rate']:.2f}</b>"
    >>> calculator = Margin()
    >>> calculator.controls["revenue"].value = 200.0
    >>> calculator.values(), calculator.result.value
    ({'revenue': 200.0, 'rate': 0.3}, '<b>60.00</b>')
    """

    def __init__(self, controls: dict[str, Any], *, chart: bool = True):
        self.controls = controls
        self.result = widgets.HTML()
        self.chart = widgets.Image(format="png") if chart else None
        for control in controls.values():
            control.observe(self._update, names="value")
        super().__init__([*controls.values(), self.result, *([self.chart] if chart else [])])
        self._update()

    def values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _update(self, change=None) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError
