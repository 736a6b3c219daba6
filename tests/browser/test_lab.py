"""JupyterLab in a real browser: each chapter with widgets runs without an error and its controls talk to the kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.browser.lab import nudge_first_control, open_notebook, run_all, signature, wait_for_change

ROOT = Path(__file__).resolve().parents[2]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def chapters_with_widgets() -> list[str]:
    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if WIDGET_MIME in path.read_text(encoding="utf-8"):
            found.append(path.name)
    return found


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def _shots(test_output: Path) -> Path:
    folder = test_output / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_slider_round_trip_in_a_minimal_notebook(page, lab, test_output):
    """The harness itself: a slider whose callback writes into an Output widget."""
    nb = new_notebook(cells=[new_code_cell(
        "import ipywidgets as w\n"
        "s = w.IntSlider(value=1, min=0, max=10)\n"
        "out = w.Output()\n"
        "def show(change=None):\n"
        "    out.clear_output()\n"
        "    with out:\n"
        "        print('square', s.value ** 2)\n"
        "s.observe(show, names='value'); show()\n"
        "w.VBox([s, out])"
    )])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab["root"] / "harness.ipynb")
    open_notebook(page, lab, "harness.ipynb")
    state = run_all(page, timeout=120)
    assert state["errors"] == []
    page.wait_for_selector(".widget-output", timeout=30000)
    before = signature(page)
    assert "square 1" in before
    assert nudge_first_control(page) == "slider"
    after = wait_for_change(page, before)
    assert "square 16" in after  # three steps right: 1 -> 4
    page.screenshot(path=str(_shots(test_output) / "harness.png"), full_page=True)


@pytest.mark.parametrize("notebook", chapters_with_widgets())
def test_chapter_runs_in_jupyterlab_and_its_widgets_respond(page, lab, test_output, notebook):
    open_notebook(page, lab, f"notebooks/{notebook}")
    state = run_all(page, timeout=900)
    shots = _shots(test_output)
    page.screenshot(path=str(shots / f"{Path(notebook).stem}-run.png"), full_page=False)
    assert state["errors"] == [], f"{notebook}: cells show errors in JupyterLab: {state['errors']}"
    page.wait_for_selector(".jupyter-widgets", timeout=60000)
    before = signature(page)
    moved = nudge_first_control(page)
    after = wait_for_change(page, before)
    assert after != before, f"{notebook}: moving the {moved} changed nothing"
    page.locator(".widget-slider, .widget-dropdown").first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{Path(notebook).stem}-widget.png"), full_page=False)
