"""Stored notebooks must not change when re-executed: random widget ids, Styler ids and addresses are made fixed."""

from __future__ import annotations

import copy

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from crmlib.course import strip_volatile

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"


def _notebook(ids: tuple[str, str], styler: str, address: str):
    slider, layout = ids
    cell = new_code_cell("w", id="cell-1")
    cell.outputs = [
        new_output("display_data", data={VIEW: {"model_id": slider, "version_major": 2}, "text/plain": "IntSlider()"}),
        new_output("display_data", data={"text/html": f'<table id="T_{styler}"><td id="T_{styler}_row0">1</td></table>',
                                         "text/plain": f"<pandas.io.formats.style.Styler at {address}>"}),
    ]
    nb = new_notebook(cells=[cell])
    nb.metadata["widgets"] = {STATE: {"state": {
        slider: {"model_name": "IntSliderModel", "state": {"layout": f"IPY_MODEL_{layout}", "value": 3}},
        layout: {"model_name": "LayoutModel", "state": {}},
    }, "version_major": 2, "version_minor": 0}}
    return nb


def test_two_runs_with_different_random_ids_store_the_same_file():
    a = _notebook(("a" * 32, "b" * 32), "1a2b3", "0x7f00aa")
    b = _notebook(("c" * 32, "d" * 32), "9f8e7", "0x7f11bb")
    for nb in (a, b):
        strip_volatile(nb)
    assert nbformat.writes(a) == nbformat.writes(b)
    text = nbformat.writes(a)
    assert "T_00000_row0" in text and " at 0x0>" in text
    state = a.metadata["widgets"][STATE]["state"]
    (slider,) = [k for k, v in state.items() if v["model_name"] == "IntSliderModel"]
    (layout,) = [k for k, v in state.items() if v["model_name"] == "LayoutModel"]
    assert state[slider]["state"]["layout"] == f"IPY_MODEL_{layout}"  # references follow the new ids
    assert a.cells[0].outputs[0]["data"][VIEW]["model_id"] == slider


def test_a_notebook_without_widgets_or_tables_is_unchanged():
    nb = new_notebook(cells=[new_code_cell("1 + 1")])
    before = copy.deepcopy(nb)
    strip_volatile(nb)
    assert nb == before


def test_printed_text_is_stored_as_one_output_however_the_kernel_chunked_it():
    cell = new_code_cell("print('a'); print('b')", id="cell-2")
    cell.outputs = [new_output("stream", name="stdout", text="a\n"), new_output("stream", name="stdout", text="b\n"),
                    new_output("stream", name="stderr", text="warning\n")]
    nb = new_notebook(cells=[cell])
    strip_volatile(nb)
    assert [(o["name"], o["text"]) for o in nb.cells[0].outputs] == [("stdout", "a\nb\n"), ("stderr", "warning\n")]
