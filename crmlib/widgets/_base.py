"""The explorer every chapter's widgets are built on: controls, a figure and a table, redrawn on change."""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd

from crmlib.params import ParameterError

__all__ = ["Explorer"]


class Explorer(widgets.VBox):
    """A VBox of controls, a figure (PNG) and a table, redrawn by ``update`` whenever a control changes.

    Attributes
    ----------
    controls : dict of str -> ipywidgets control
    result : DataFrame or None
        The table computed by the last update.
    message : str
        The last problem with the settings (e.g. shares above 100%), shown instead of the figure.
    """

    def __init__(self, controls: dict, compute: Callable[[dict], tuple], *, figsize=(8, 4.5), note: str = ""):
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
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        values = {name: control.value for name, control in self.controls.items()}
        fig = Figure(figsize=self._figsize)
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
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight", dpi=80)
        self.image.value = buffer.getvalue()
        self.table.value = html
