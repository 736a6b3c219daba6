"""Driving a notebook in JupyterLab from playwright: open, run all, read errors, move a control."""

from __future__ import annotations

import time

APP_READY = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  return !!(w && w.content && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel);
}"""

RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const w = app.shell.currentWidget;
  await w.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
  return true;
}"""

STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const pending = cells.filter(c => c.model.executionCount === null || c.promptNode?.textContent?.includes('*')).length;
  const errors = [];
  cells.forEach((c, i) => {
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  });
  const session = w.sessionContext.session;
  const status = session && session.kernel ? session.kernel.status : 'none';
  return {pending, errors, status, cells: cells.length};
}"""

SIGNATURE = """() => Array.from(
    document.querySelectorAll('.widget-output, .widget-html-content, .widget-htmlmath-content')
  ).map(e => e.innerHTML).join('|')"""


def open_notebook(page, lab, relpath: str, timeout: float = 120) -> None:
    page.goto(f"{lab['base']}/lab/tree/{relpath}?token={lab['token']}&reset", wait_until="domcontentloaded")
    page.wait_for_function(APP_READY, timeout=timeout * 1000)


def run_all(page, timeout: float = 600) -> dict:
    """Run every cell and wait until all are executed and the kernel is idle; return the state."""
    page.evaluate(RUN_ALL)
    deadline = time.monotonic() + timeout
    state = page.evaluate(STATE)
    while time.monotonic() < deadline:
        state = page.evaluate(STATE)
        if state["pending"] == 0 and state["status"] == "idle":
            time.sleep(1.0)  # let widget views render
            return page.evaluate(STATE)
        time.sleep(0.5)
    raise TimeoutError(f"the notebook did not finish in {timeout:.0f} s: {state}")


def signature(page) -> str:
    return page.evaluate(SIGNATURE)


def nudge_first_control(page) -> str:
    """Move the first slider (keyboard on its handle) or change the first dropdown; return what was moved."""
    handle = page.locator(".widget-slider .noUi-handle").first
    if handle.count():
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        return "slider"
    select = page.locator(".widget-dropdown select").first
    if select.count():
        select.scroll_into_view_if_needed()
        options = select.locator("option").all_text_contents()
        current = select.input_value()
        other = next(o for o in options if o != current)
        select.select_option(label=other)
        return "dropdown"
    raise AssertionError("no slider or dropdown found on the page")


def wait_for_change(page, before: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        after = signature(page)
        if after != before:
            time.sleep(1.0)
            return signature(page)
        time.sleep(0.5)
    raise AssertionError("moving the control did not change the widget's output (no kernel round trip)")
