"""The course's figure theme: seaborn's whitegrid theme, set without importing seaborn (a chapter's start-up)."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

DUMP = """
import json, sys
import matplotlib as mpl
{apply}
rc = {{k: repr(v) for k, v in mpl.rcParams.items()}}
cmaps = {{n: mpl.colormaps[n](list(range(256))).tolist() for n in ("rocket", "rocket_r")}}
modules = sorted(m for m in ("seaborn", "scipy.stats") if m in sys.modules)
print(json.dumps({{"rc": rc, "cmaps": cmaps, "modules": modules}}))
"""

SEABORN = (
    "import seaborn as sns\n"
    'sns.set_theme(style="whitegrid", context="notebook", palette="deep", rc={"figure.dpi": 90, "savefig.dpi": 90})'
)
KIT = "import crmlib.plot\ncrmlib.plot.use_course_style()"


@functools.cache  # one fresh Python per state, shared by the tests of a worker
def _state(apply: str) -> dict:
    code = DUMP.format(apply=apply)
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def test_course_style_sets_seaborns_theme_without_importing_seaborn():
    theirs, ours = _state(SEABORN), _state(KIT)
    differ = {k: (theirs["rc"][k], ours["rc"][k]) for k in theirs["rc"] if theirs["rc"][k] != ours["rc"][k]}
    # one setting beyond seaborn's: titles fixed at the top of their Axes (not measured again at every draw)
    assert differ == {"axes.titley": ("None", "1.0")}
    assert ours["cmaps"] == theirs["cmaps"]  # the theme's default image colormap, and its reverse
    assert ours["modules"] == []  # no seaborn, no scipy.stats: about 1.5 s of CPU saved in every chapter


def test_course_style_after_seaborn_keeps_its_colormaps():
    state = _state(SEABORN + "\n" + KIT)  # a user who imported seaborn first: no clash on the registered names
    assert state["rc"] == {**_state(SEABORN)["rc"], "axes.titley": "1.0"}


RENDERS = """
from matplotlib.figure import Figure
_draw = Figure.draw
renders = []
def counted(self, renderer):
    renders.append(id(self))
    return _draw(self, renderer)
Figure.draw = counted
"""


def _renders_per_figure(tmp_path, style: bool) -> list[int]:
    import nbformat

    from crmlib.course import Chapter, execute_chapters

    setup = ("import crmlib.plot\ncrmlib.plot.use_course_style()\n" if style else "import crmlib.plot\n") + RENDERS
    cells = [
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell("ax = crmlib.plot.get_ax()\nax.plot([1, 2, 3])\nax.set_title('a chart');"),
        nbformat.v4.new_code_cell("ax = crmlib.plot.get_ax()\nax.bar(['a', 'b'], [1, 2]);"),
        nbformat.v4.new_code_cell("print([renders.count(f) for f in dict.fromkeys(renders)])"),
    ]
    folder = tmp_path / ("style" if style else "plain")
    folder.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "01_demo.ipynb")
    (run,) = execute_chapters([Chapter("01", "demo", folder / "01_demo.ipynb")], out=folder / "out", workers=1)
    assert run.ok, run.error
    nb = nbformat.read(run.notebook, as_version=4)
    assert all(o["output_type"] == "display_data" for o in nb.cells[1].outputs + nb.cells[2].outputs)  # the PNGs
    return json.loads(nb.cells[3].outputs[0]["text"])


def test_course_style_renders_each_inline_figure_once(tmp_path):
    # In a kernel with the inline backend, pyplot's own post-cell redraw rendered every figure once more, off
    # screen, before the inline backend rendered it as the cell's PNG: the course style removes that redraw.
    # (Without use_course_style the same notebook draws each figure 3 times; one kernel is started here.) The PNG
    # is then cut at its tight box out of one draw (crmlib.plot._inline), not measured in a pass of its own first.
    assert _renders_per_figure(tmp_path, style=True) == [1, 1]


def _chart(legend_outside: bool = False):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [3, 1, 2], label="a line with a long label")
    ax.set(title="a chart", xlabel="period", ylabel="customers")
    if legend_outside:  # reaches 3 inches past the figure's right edge: beyond the margin drawn
        ax.legend(loc="center left", bbox_to_anchor=(1.5, 0.5))
    return fig


def _pixels(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png))).astype(int)


def test_tight_png_is_ipythons_tight_crop_from_one_draw():
    import matplotlib as mpl
    import numpy as np
    from IPython.core.pylabtools import print_figure

    import crmlib.plot
    from crmlib.plot import tight_png

    with mpl.rc_context():
        crmlib.plot.use_course_style()
        theirs, ours = _pixels(print_figure(_chart(), "png", bbox_inches="tight")), _pixels(tight_png(_chart()))
        assert ours.shape == theirs.shape  # the same box, the same size in pixels
        # the same picture, shifted by less than a pixel: only antialiased edges differ, and by little
        assert np.abs(ours - theirs).mean() < 1  # (3.8 when a row off)
        assert (np.abs(ours - theirs).max(axis=2) > 60).mean() < 0.02
        assert np.abs(_pixels(tight_png(_chart()))[:, :-40] - 255).max() > 100  # not blank
        # a box past the margin goes the usual way: the very bytes IPython makes
        outside = print_figure(_chart(legend_outside=True), "png", bbox_inches="tight")
        assert tight_png(_chart(legend_outside=True)) == outside


def test_inline_png_replaces_only_ipythons_default_png_formatter():
    from functools import partial

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import print_figure, retina_figure, select_figure_formats
    from matplotlib.figure import Figure

    from crmlib.plot._inline import _png_base64, install

    shell = InteractiveShell.instance()
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        select_figure_formats(shell, {"png"}, bbox_inches="tight")
        assert install(shell) and formatter.lookup_by_type(Figure) is _png_base64
        select_figure_formats(shell, {"retina"}, bbox_inches="tight")  # a user's choice stays
        assert not install(shell) and formatter.lookup_by_type(Figure).func is retina_figure
        select_figure_formats(shell, {"png"}, bbox_inches="tight", dpi=200)  # changed print_figure_kwargs stay
        kept = formatter.lookup_by_type(Figure)
        assert not install(shell) and isinstance(kept, partial) and kept.func is print_figure
    finally:
        formatter.pop(Figure, None)
        InteractiveShell.clear_instance()


def test_course_style_puts_titles_where_the_automatic_placement_does():
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import crmlib.plot

    def title_box(titley):
        with mpl.rc_context():
            crmlib.plot.use_course_style()
            mpl.rcParams["axes.titley"] = titley
            fig = Figure(figsize=(7, 4))
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            ax.bar(["a", "b"], [1200, 3400])
            ax.set_title("A title as long as the course's titles, wide enough to reach the axis labels")
            ax.set_xlabel("periods")
            fig.canvas.draw()
            return ax.title.get_window_extent().bounds

    assert title_box(1.0) == title_box(None)  # x ticks at the bottom: the automatic placement leaves it at 1.0
