"""Shared by the chapter tests: the chapters, their test parameters, the user-style CSV, a cheap run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat

from crmlib.course import Chapter, chapters, notebook_parameters, run_chapter

CHAPTERS: list[Chapter] = chapters()

#: The bundled log is written for the analyst-path test with these column names, dates as dd/mm/yyyy.
USER_COLUMNS = {"customer_id": "Customer", "date": "Order Date", "amount": "Total"}
USER_DATE_FORMAT = "%d/%m/%Y"


def ids(items: list[Chapter]) -> list[str]:
    return [c.stem for c in items]


def stored_test_parameters(chapter: Chapter) -> dict[str, Any]:
    """The non-default parameters stored in the chapter's metadata (required)."""
    meta = json.loads(chapter.path.read_text(encoding="utf-8")).get("metadata", {})
    params = meta.get("crmlib", {}).get("test_parameters")
    if not isinstance(params, dict) or not params:
        raise AssertionError(
            f"{chapter.path.name} has no test parameters: add to its notebook metadata "
            '{"crmlib": {"test_parameters": {"unit": "M", ...}}} with non-default values of its parameters '
            "(see CONTRIBUTING.md, 'Test parameters')."
        )
    return params


def write_user_csv(folder: Path) -> Path:
    """The bundled log as an analyst's export: other column names, day-first dates, unsorted."""
    from crmlib.datasets import load_transactions

    tx = load_transactions().rename(columns=USER_COLUMNS)
    tx[USER_COLUMNS["date"]] = tx[USER_COLUMNS["date"]].dt.strftime(USER_DATE_FORMAT)
    path = Path(folder) / "export.csv"
    tx.sample(frac=1.0, random_state=0).to_csv(path, index=False)
    return path


def user_parameters(chapter: Chapter, csv: Path) -> dict[str, Any]:
    known = notebook_parameters(chapter.path)
    if "read_options" in known:  # a chapter set up by crmlib.chapter.setup: the reader's options as one dict
        options = {"customer": "customer_id", "date": "date", "amount": "amount"}
        return {"data_path": str(csv), "read_options": {k: USER_COLUMNS[v] for k, v in options.items()}}
    names = {
        "customer_col": USER_COLUMNS["customer_id"],
        "date_col": USER_COLUMNS["date"],
        "amount_col": USER_COLUMNS["amount"],
    }
    missing = [n for n in names if n not in known]
    assert not missing, f"{chapter.path.name} takes data_path but not the column parameters {missing}"
    return {"data_path": str(csv), **names}


def run(chapter: Chapter, parameters: dict[str, Any], out: Path) -> nbformat.NotebookNode:
    """Run the chapter with papermill (no HTML) and return the executed notebook."""
    path = run_chapter(chapter.number, parameters=parameters, out=out, html=False)
    return nbformat.read(path, as_version=4)


def error_outputs(nb) -> list[str]:
    return [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


# --------------------------------------------------------------------------- the three runs of a chapter


def valid_test_parameters(chapter: Chapter) -> dict[str, Any]:
    """The chapter's ``test_parameters``: known names, and at least one value that is not the default."""
    params = stored_test_parameters(chapter)
    defaults = notebook_parameters(chapter.path)
    unknown = sorted(set(params) - set(defaults))
    assert not unknown, f"{chapter.path.name}: test_parameters names unknown parameters {unknown}"
    assert any(defaults[k] != v for k, v in params.items()), f"{chapter.path.name}: test_parameters are all defaults"
    return params


def reproduces_checks(chapter: Chapter) -> bool:
    """Whether every key number of the chapter comes from the log alone (its metadata says so)."""
    meta = json.loads(chapter.path.read_text(encoding="utf-8")).get("metadata", {}).get("crmlib", {})
    return bool(meta.get("user_csv_reproduces_checks"))


def check_runs_with_test_parameters(chapter: Chapter, out: Path) -> None:
    """(c) The chapter runs with the non-default parameters of its metadata, on the bundled log."""
    nb = run(chapter, valid_test_parameters(chapter), out)
    assert not error_outputs(nb)


def checked_outputs(nb) -> list[str]:
    """The text outputs of the key-number cells (tagged ``nbval-check-output``, or an older banner), in order."""
    found = []
    for cell in nb.cells:
        tagged = "nbval-check-output" in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and (tagged or cell.source.startswith("# NBVAL_CHECK_OUTPUT")):
            found.append(
                "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
            )
    return found


def check_runs_on_a_user_csv(chapter: Chapter, csv: Path, out: Path) -> None:
    """(d) The chapter runs on the bundled log exported with other column names and day-first dates.

    A chapter whose metadata says ``{"crmlib": {"user_csv_reproduces_checks": true}}`` (every checked number
    comes from the transaction log alone) runs with its default parameters and must print the very same key-number
    outputs on that export as the stored notebook on the bundled data: the analyst path loses nothing in reading.
    Any other chapter runs on the export with its ``test_parameters`` (c), so one kernel run covers both.
    """
    same = reproduces_checks(chapter)
    extra = {} if same else valid_test_parameters(chapter)
    nb = run(chapter, {**extra, **user_parameters(chapter, csv)}, out)
    assert not error_outputs(nb)
    if same:
        stored = checked_outputs(nbformat.read(chapter.path, as_version=4))
        assert stored, f"{chapter.path.name} has no key-number cells (tagged nbval-check-output) to compare"
        assert checked_outputs(nb) == stored, f"{chapter.path.name}: the key numbers differ on the user-style CSV"


def check_stops_on_a_missing_file(chapter: Chapter, out: Path) -> None:
    """(e) A data_path that does not exist stops the chapter in its validation cell with a ParameterError."""
    import pytest

    from crmlib.course import ChapterError

    missing = out / "no_such_export.csv"
    with pytest.raises(ChapterError, match=r"ParameterError: The 'data_path' parameter") as caught:
        run(chapter, {"data_path": str(missing)}, out)
    message = str(caught.value)
    assert "\n" not in message.strip(), message
    assert "no_such_export.csv" in message, message
    failed = nbformat.read(out / f"{chapter.stem}.failed.ipynb", as_version=4)
    code = [c for c in failed.cells if c.cell_type == "code"]
    tags = [c.metadata.get("tags", []) for c in code]
    injected = next(i for i, t in enumerate(tags) if "injected-parameters" in t)
    failing = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failing == [injected + 1], (
        f"{chapter.path.name}: a bad data_path must be caught by the cell right after the parameters cell "
        f"(code cell {injected + 1}); the error came from code cell(s) {failing}"
    )
