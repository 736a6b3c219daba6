"""The suite's pytest plugin, loaded before every other plugin (``-p crm_plugin`` in pyproject's addopts).

* **Fast start.** nbval's plugin imports nbformat, which imports jsonschema, which imports ``rfc3987_syntax`` when it
  is installed (JupyterLab's dependencies bring it) only to check the rarely used ``iri`` string formats; that package
  builds 38 grammars at import, 2 to 8 s of every pytest start, the collection of a single unit-test file included.
  Notebook schemas use no ``iri`` format, so it is marked absent before the entry-point plugins load (the same cut
  ``crmlib run`` makes, ``crmlib.cli._quick_notebook_imports``). Likewise hypothesis' plugin imports all of
  hypothesis (about 2 s) in its end-of-session summary only to read a set of observation files that this process
  wrote; when no hypothesis test ran here, that set is empty by construction and an empty one is given instead.
* **Scheduling** (``make test`` runs ``pytest -n 2 --dist loadgroup``). The tests of one file stay on one worker
  (module-scoped fixtures are computed once; nbval runs a notebook's cells in order in one kernel), except the tests
  marked ``spread`` (one chapter run, one installed wheel), which pytest-xdist hands out one by one to whichever
  worker is free, costliest first (``spread(cost=...)``). No file is split by hand to keep the workers busy.
* **Figures** are closed after every test and doctest, and drawn off-screen.
* **Doctests** print frames at a fixed width (pandas otherwise follows the terminal's, so a docstring's table would
  pass in a wide terminal and fail in CI).
"""

from __future__ import annotations

import os
import sys
import types

import pytest

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  (see above)


@pytest.hookimpl(tryfirst=True)  # before hypothesis' own summary
def pytest_terminal_summary() -> None:
    if "hypothesis" not in sys.modules:  # no hypothesis test ran in this process: nothing was observed
        observability = types.ModuleType("hypothesis.internal.observability")
        observability._WROTE_TO = set()  # type: ignore[attr-defined]
        sys.modules.setdefault("hypothesis.internal.observability", observability)


def _cost(item: pytest.Item) -> float:
    """The ``cost`` of a ``spread`` test (``@pytest.mark.spread(cost=10)``; default 1); other tests 0."""
    marker = item.get_closest_marker("spread")
    return 0.0 if marker is None else float(marker.kwargs.get("cost", 1))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns xdist_group marks into scheduling groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("spread") is None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(os.path.relpath(item.path, config.rootpath)))
    # The long independent tests first, costliest first: the workers finish together instead of one waiting for
    # a wheel test that started last. The order of everything else is kept (sort is stable).
    items.sort(key=lambda item: -_cost(item))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if isinstance(item, pytest.DoctestItem):
        import pandas as pd

        pd.set_option("display.width", 120)
        pd.set_option("display.max_columns", 20)
    # Off-screen figures in this process only (an MPLBACKEND variable would reach the notebook kernels and take
    # their inline figures away). matplotlib is not imported here for tests that do not use it.
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:
        matplotlib.use("Agg")  # nothing to do when it is already the backend


def pytest_runtest_teardown(item: pytest.Item) -> None:
    if isinstance(item, pytest.DoctestItem) and "pandas" in sys.modules:
        sys.modules["pandas"].reset_option("display.width")
        sys.modules["pandas"].reset_option("display.max_columns")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
