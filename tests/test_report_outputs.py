"""``crmlib.outputs``: the one home for output folders (manifest, staging, --force) and for making user values safe."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmlib.outputs import (
    BIDI_CONTROLS,
    FORMULA_STARTS,
    MANIFEST_NAME,
    STAGING_PREFIX,
    OutputError,
    OutputFolder,
    display_text,
    escape_html,
    neutralise_cell,
    neutralise_frame,
    read_manifest,
    restore_cell,
    write_csv,
)


@given(st.text())
def test_neutralise_then_restore_is_the_identity_and_never_starts_with_a_formula(text):
    cell = neutralise_cell(text)
    assert restore_cell(cell) == text
    assert not cell or cell[0] not in FORMULA_STARTS


@given(st.text())
def test_escaped_text_has_no_markup_and_no_direction_control(text):
    shown = escape_html(text)
    assert "<" not in shown and ">" not in shown and '"' not in shown
    assert not any(ch in shown for ch in BIDI_CONTROLS)
    assert html.unescape(shown) == display_text(text)


@given(st.lists(st.one_of(st.none(), st.text()), max_size=30))
def test_arrow_text_is_neutralised_and_restored_cell_by_cell(values):
    """Text held by Arrow (pandas' str dtype) goes through Arrow's kernels: the same cells as the cell rule."""
    frame = pd.DataFrame({"as_str": pd.Series(values, dtype="str"), "as_object": pd.Series(values, dtype=object)})
    frame.index = pd.Index([f"={k}" if k % 2 else f"'{k}" for k in range(len(values))], dtype="str", name="-id")
    for restore in (False, True):
        fix = restore_cell if restore else neutralise_cell
        out = neutralise_frame(frame, restore=restore)
        expected = [None if pd.isna(v) else fix(v) for v in frame["as_object"]]
        assert [None if pd.isna(v) else v for v in out["as_str"]] == expected
        assert [None if pd.isna(v) else v for v in out["as_object"]] == expected
        assert list(out.index) == [fix(v) for v in frame.index] and out.index.name == fix("-id")


@pytest.mark.parametrize("seed", range(3))
def test_write_csv_writes_the_bytes_of_pandas_own_writer(tmp_path, seed, monkeypatch):
    """Numbers are turned into text by Arrow, ten times faster, a block of rows at a time, to the same bytes."""
    from crmlib import outputs

    monkeypatch.setattr(outputs, "CSV_ROWS", [5000, 777, 1][seed])  # one block, several, one row each
    rng = np.random.default_rng(seed)
    n = 5000
    frame = pd.DataFrame(
        {
            "normal": rng.normal(0, 1, n),
            "wide": rng.lognormal(0, 14, n) * rng.choice([-1, 1], n),  # 1e-20 .. 1e20: both notations
            "whole": rng.integers(-5, 5, n).astype(float),
            "missing": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
            "cents": np.round(rng.lognormal(3, 6, n), 2),
            "count": rng.integers(0, 9, n),
            "text": pd.Series(rng.choice(["=x", "a", "-1", "'q", "\tz", None, "C-1", 'say "hi", ok'], n), dtype="str"),
            "flag": rng.random(n) < 0.5,
        },
        index=pd.Index([f"=c{k}" if k % 7 == 0 else f"c{k}" for k in range(n)], dtype="str", name="customer_id"),
    )
    frame.iloc[:10, 1] = [np.inf, -np.inf, 0.0, -0.0, 1e16, 1e-4, 1e-5, 5e-324, 1.7976931348623157e308, 123456789.5]
    if seed == 2:
        frame = frame.iloc[:40]  # one row a block: 40 blocks
    for neutralise in (True, False):
        write_csv(frame, tmp_path / "kit.csv", neutralise=neutralise)
        (neutralise_frame(frame) if neutralise else frame).to_csv(tmp_path / "pandas.csv", lineterminator="\n")
        assert (tmp_path / "kit.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    write_csv(frame.iloc[:0], tmp_path / "empty.csv")  # no row: the header alone
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8") == neutralise_frame(frame.iloc[:0]).to_csv(
        lineterminator="\n"
    )


def test_numbers_and_missing_values_are_left_alone():
    frame = pd.DataFrame({"id": ["-5", "=1", None], "amount": [-5.0, 2.0, float("nan")]},
                         index=pd.Index(["+a", "b", "c"], name="@key"))
    out = neutralise_frame(frame)
    assert out["id"].tolist()[:2] == ["'-5", "'=1"] and pd.isna(out["id"].iloc[2])
    assert out["amount"].iloc[0] == -5.0
    assert list(out.index) == ["'+a", "b", "c"] and out.index.name == "'@key"
    assert frame["id"].iloc[1] == "=1"  # the caller's frame is not changed
    assert neutralise_frame(out, restore=True)["id"].tolist()[:2] == ["-5", "=1"]


def test_write_csv_neutralises_column_names_too(tmp_path):
    path = write_csv(pd.DataFrame({"=cmd": ["x"]}), tmp_path / "t.csv", index=False)
    assert path.read_text(encoding="utf-8").splitlines() == ["'=cmd", "x"]


# --------------------------------------------------------------------------- the output folder


def _write(folder: OutputFolder, files: dict[str, str]) -> None:
    with folder:
        for name, text in files.items():
            folder.path(name).write_text(text, encoding="utf-8")


def test_a_run_writes_its_files_and_the_manifest(tmp_path):
    out = tmp_path / "out"
    _write(OutputFolder(out, "report"), {"report.html": "page", "tables/a.csv": "a"})
    manifest = read_manifest(out)
    assert set(manifest) == {"report.html", "tables/a.csv"}
    assert {e["command"] for e in manifest.values()} == {"report"}
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST_NAME, "report.html", "tables"])


def test_the_previous_runs_files_are_replaced_and_its_leftovers_removed(tmp_path):
    out = tmp_path / "out"
    _write(OutputFolder(out, "report"), {"report.html": "one", "tables/by_region.csv": "x"})
    _write(OutputFolder(out, "report"), {"report.html": "two"})
    assert (out / "report.html").read_text(encoding="utf-8") == "two"
    assert not (out / "tables").exists()  # by_region.csv was the kit's and unchanged: removed with its folder
    assert set(read_manifest(out)) == {"report.html"}


def test_a_changed_file_needs_force_and_a_users_file_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    _write(OutputFolder(out, "report"), {"report.html": "one"})
    (out / "report.html").write_text("mine now", encoding="utf-8")
    with pytest.raises(OutputError, match="changed since crmlib report wrote it; pass force=True"):
        _write(OutputFolder(out, "report"), {"report.html": "two"})
    assert (out / "report.html").read_text(encoding="utf-8") == "mine now"
    _write(OutputFolder(out, "report", force=True), {"report.html": "two"})
    assert (out / "report.html").read_text(encoding="utf-8") == "two"
    (out / "notes.html").write_text("my notes", encoding="utf-8")
    for force in (False, True):
        with pytest.raises(OutputError, match="notes.html in .* was not written by crmlib report"):
            _write(OutputFolder(out, "report", force=force), {"notes.html": "kit"})
    assert (out / "notes.html").read_text(encoding="utf-8") == "my notes"
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_changed_leftover_is_kept_and_becomes_the_users(tmp_path):
    out = tmp_path / "out"
    _write(OutputFolder(out, "report"), {"report.html": "one", "extra.csv": "x"})
    (out / "extra.csv").write_text("edited", encoding="utf-8")
    _write(OutputFolder(out, "report"), {"report.html": "two"})
    assert (out / "extra.csv").read_text(encoding="utf-8") == "edited"
    assert "extra.csv" not in read_manifest(out)


def test_scope_limits_what_a_run_answers_for(tmp_path):
    out = tmp_path / "out"
    _write(OutputFolder(out, "run", scope=["04_*"]), {"04_a.html": "4"})
    _write(OutputFolder(out, "run", scope=["05_*"]), {"05_b.html": "5"})
    assert {p.name for p in out.glob("*.html")} == {"04_a.html", "05_b.html"}


def test_files_of_another_command_are_replaced_only_when_allowed(tmp_path):
    out = tmp_path / "out"
    _write(OutputFolder(out, "course"), {"04_a.html": "course"})
    with pytest.raises(OutputError, match="was written by crmlib course, and crmlib run never replaces .* run crmlib "
                       "course again"):
        _write(OutputFolder(out, "run"), {"04_a.html": "run"})
    _write(OutputFolder(out, "run", replaces=("course",)), {"04_a.html": "run"})
    assert (out / "04_a.html").read_text(encoding="utf-8") == "run"


def test_protected_files_are_never_written(tmp_path):
    out = tmp_path / "out"
    _write(OutputFolder(out, "report"), {"tables/customers.csv": "kit"})
    with pytest.raises(OutputError, match="would replace your input file"):
        _write(OutputFolder(out, "report", protect=[out / "tables" / "customers.csv"], force=True),
               {"tables/customers.csv": "again"})


def test_an_error_inside_the_block_leaves_nothing_behind(tmp_path):
    out = tmp_path / "new"
    with pytest.raises(RuntimeError):
        with OutputFolder(out, "report") as folder:
            folder.path("report.html").write_text("half", encoding="utf-8")
            raise RuntimeError("stopped")
    assert not out.exists()  # created for the run, empty again: removed


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        OutputFolder(tmp_path / "taken", "report")


def test_names_outside_the_folder_are_refused(tmp_path):
    folder = OutputFolder(tmp_path / "out", "report")
    for bad in ("../escape.html", "/etc/passwd", MANIFEST_NAME):
        with pytest.raises(OutputError):
            folder.path(bad)
    folder.discard()
