"""Helpers shared by the chart functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["get_ax", "use_course_style"]


def get_ax(ax: Axes | None = None, figsize: tuple[float, float] = (7, 4)) -> Axes:
    """Return ``ax``, or the Axes of a new figure of ``figsize`` inches.

    Examples
    --------
    >>> ax = get_ax(figsize=(4, 3))
    >>> get_ax(ax) is ax, ax.figure.get_size_inches().tolist()
    (True, [4.0, 3.0])
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def use_course_style() -> None:
    """The look of the course's figures (seaborn's whitegrid theme, readable sizes), without importing seaborn.

    Called explicitly at the top of each chapter; importing crmlib changes no global setting.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with mpl.rc_context():  # the theme is matplotlib's global setting: restored on leaving the block
    ...     use_course_style()
    ...     mpl.rcParams["axes.facecolor"]
    'white'
    """
    import matplotlib as mpl
    from cycler import cycler
    from matplotlib.colors import ListedColormap

    from crmlib.plot._theme import DEEP, ROCKET, THEME

    for name, colors in (("rocket", ROCKET), ("rocket_r", ROCKET[::-1])):  # seaborn registers them on import
        if name not in mpl.colormaps:
            mpl.colormaps.register(ListedColormap(colors, name))
    mpl.rcParams.update(THEME)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=list(DEEP))
    # Titles at the top of their Axes. matplotlib's default (None) moves a title above whatever it would
    # overlap, which means measuring every tick label of the figure again at each draw: about a quarter of a
    # chart's CPU. The course's charts have their x ticks at the bottom, where a title at 1.0 is where the
    # automatic placement puts it anyway.
    mpl.rcParams["axes.titley"] = 1.0
    _draw_inline_figures_once()


def _draw_inline_figures_once() -> None:
    """In a notebook with the inline backend, render each figure once (its PNG), not twice.

    pyplot, in interactive mode inside IPython, redraws every stale figure after each cell (its "REPL display
    hook"), to refresh figures on screen. The inline backend then renders the same figures again as the cell's
    PNG outputs and closes them, so that first, off-screen redraw is lost work: about a third of the CPU of
    every chart of a chapter. The hook is removed only under the inline backend; pyplot puts it back whenever
    the backend changes (``%matplotlib qt``) or ``plt.ion()`` is called. The PNG itself then comes from one
    draw as well, cut at its tight box (:func:`crmlib.plot.tight_png`), not from a measuring pass and a redraw.
    """
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None:  # a script or a console: no such hook to remove
        return
    import matplotlib.pyplot as plt

    backend = plt.get_backend()
    if "inline" not in str(backend):
        return
    # The backend is loaded now (it is otherwise loaded with the first figure, and installs the hook then).
    plt.switch_backend(backend)
    plt.uninstall_repl_displayhook()
    from crmlib.plot._inline import install

    install(ipython.get_ipython())  # each figure's PNG from one draw (crmlib.plot._inline)
