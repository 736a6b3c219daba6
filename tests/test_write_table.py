"""``crmlib.outputs.write_table``: how a chapter writes a table into a folder the user named (``tables_dir``).

The user's own files are never replaced, the kit's are (unless the user changed them: then only with
``force=True``), every file written is in the folder's manifest, and cells a spreadsheet would evaluate are
neutralised. Through ``crmlib run -p tables_dir=DIR`` see tests/test_cli_process.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib.outputs import (
    MANIFEST_NAME,
    STAGING_PREFIX,
    OutputError,
    OutputFolder,
    read_manifest,
    restore_cell,
    write_table,
)


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"revenue": [10.0, 2.5]}, index=pd.Index(["=HYPERLINK(1)", "B"], name="customer_id"))


def test_writes_the_table_and_records_it(tmp_path, table):
    folder = tmp_path / "tables"
    path = write_table(table, folder, "customers.csv")
    assert path == folder / "customers.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == ["customer_id,revenue", "'=HYPERLINK(1),10.0", "B,2.5"]
    assert restore_cell(lines[1].split(",")[0]) == "=HYPERLINK(1)"
    assert read_manifest(folder)["customers.csv"]["command"] == "chapter"
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST_NAME, "customers.csv"]


def test_none_writes_nothing(tmp_path, table):
    assert write_table(table, None, "customers.csv") is None
    assert list(tmp_path.iterdir()) == []


def test_the_users_file_is_never_replaced(tmp_path, table):
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "customers.csv").write_text("my pivot", encoding="utf-8")
    for force in (False, True):
        with pytest.raises(OutputError, match=r"customers.csv in .* was not written by crmlib.*move it away"):
            write_table(table, folder, "customers.csv", force=force)
    assert (folder / "customers.csv").read_text(encoding="utf-8") == "my pivot"
    assert sorted(p.name for p in folder.iterdir()) == ["customers.csv"]


def test_the_kits_file_is_replaced_and_a_changed_one_only_with_force(tmp_path, table):
    folder = tmp_path / "tables"
    write_table(table, folder, "customers.csv")
    write_table(table.head(1), folder, "customers.csv")  # the kit's own file: replaced
    assert len((folder / "customers.csv").read_text(encoding="utf-8").splitlines()) == 2
    (folder / "customers.csv").write_text("edited", encoding="utf-8")
    with pytest.raises(OutputError, match=r"changed since .* pass force=True"):
        write_table(table, folder, "customers.csv")
    assert (folder / "customers.csv").read_text(encoding="utf-8") == "edited"
    write_table(table, folder, "customers.csv", force=True)
    assert len((folder / "customers.csv").read_text(encoding="utf-8").splitlines()) == 3


def test_other_tables_in_the_folder_stay(tmp_path, table):
    folder = tmp_path / "tables"
    write_table(table, folder, "customers.csv")
    write_table(table, folder, "tiers.csv")
    assert {"customers.csv", "tiers.csv"} <= set(read_manifest(folder))
    assert (folder / "customers.csv").is_file() and (folder / "tiers.csv").is_file()


def test_inside_a_run_it_writes_to_the_runs_staging_folder_and_refuses_early(tmp_path, table):
    # crmlib run -p tables_dir=DIR hands the chapter its staging folder inside DIR; a user's file in DIR stops the
    # chapter at once, before anything is written.
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "mine.csv").write_text("mine", encoding="utf-8")
    run = OutputFolder(folder, "run")
    with run:
        staging = run.staging
        assert staging.name.startswith(STAGING_PREFIX)
        write_table(table, staging, "customers.csv")
        assert (staging / "customers.csv").is_file() and not (folder / "customers.csv").exists()
        with pytest.raises(OutputError, match=r"mine.csv in .* was not written by crmlib"):
            write_table(table, staging, "mine.csv")
    assert read_manifest(folder)["customers.csv"]["command"] == "run"
    assert (folder / "mine.csv").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("name", ["../escape.csv", "/abs.csv", "table.xlsx", ""])
def test_a_name_must_be_a_csv_file_inside_the_folder(tmp_path, table, name):
    with pytest.raises(OutputError, match="write_table"):
        write_table(table, tmp_path / "tables", name)
