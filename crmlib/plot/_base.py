"""Helpers shared by the chart functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["get_ax", "use_course_style"]


def get_ax(ax: Axes | None = None, figsize: tuple[float, float] = (7, 4)) -> Axes:
    """Return ``ax``, or the Axes of a new figure of ``figsize`` inches (no pyplot global state used)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def use_course_style() -> None:
    """The look of the course's figures (seaborn's whitegrid theme, readable sizes).

    Called explicitly at the top of each chapter; importing crmlib changes no global setting.
    """
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", palette="deep", rc={"figure.dpi": 90, "savefig.dpi": 90})
