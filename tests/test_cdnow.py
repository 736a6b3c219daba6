"""The CDNOW files: bundled verbatim, read without lifetimes, original layouts, and the value x potential matrix."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from crmlib import clv, tiers
from crmlib.data import DataError
from crmlib.datasets import CDNOW_FILES, CDNOW_PUBLISHED, cdnow_path, load_cdnow


def test_sample_file_shape_and_cohort():
    tx = load_cdnow()
    # FHL (2005): 2,357 customers, first purchases in 1997 Q1, data to the end of June 1998; 6,919 lines
    assert len(tx) == 6919
    assert tx["customer_id"].nunique() == 2357
    assert tx.groupby("customer_id")["date"].min().max() <= pd.Timestamp("1997-03-31")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")
    assert list(tx.columns) == ["customer_id", "date", "amount", "cds"]
    first = tx.iloc[0]  # first line: " 00004 0001 19970101  2   29.33"
    assert (first["customer_id"], first["date"], first["cds"], first["amount"]) == (
        "00004",
        pd.Timestamp("1997-01-01"),
        2,
        29.33,
    )
    assert tx.attrs["source"] == "bundled: CDNOW_sample.txt"
    assert tx.attrs["published"]["BG/NBD"] == CDNOW_PUBLISHED["BG/NBD"]


def test_master_file_header_and_size():
    tx = load_cdnow(which="master")
    assert len(tx) == 69659
    assert tx["customer_id"].nunique() == 23570
    assert tx.iloc[0]["customer_id"] == "00001"
    assert tx["date"].dtype == "datetime64[ns]"
    # the sample is a tenth of the master: same ids, same purchases
    sample = load_cdnow()
    keys = ["customer_id", "date", "amount", "cds"]
    master_part = tx[tx["customer_id"].isin(set(sample["customer_id"]))].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(master_part, sample.sort_values(keys, ignore_index=True))


def test_bundled_files_are_the_published_files(root):
    for which, spec in CDNOW_FILES.items():
        path = cdnow_path(which)
        assert path.parent == root / "data" and path.name == spec["file"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == spec["sha256"], which
        sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert sidecar["sha256"] == digest and sidecar["file"] == spec["file"]
        assert sidecar["customers"] == spec["customers"] and sidecar["rows"] == spec["lines"]
        assert "Fader" in sidecar["source"]


def test_committed_sidecars_equal_regeneration(root):
    from crmlib.datasets.__main__ import static_sidecars

    for name, meta in static_sidecars(root / "data").items():
        written = (root / "data" / name).read_text(encoding="utf-8")
        assert written == json.dumps(meta, indent=2, ensure_ascii=False) + "\n", f"data/{name} differs: run `make data`"


@pytest.mark.skipif(importlib.util.find_spec("lifetimes") is None, reason="lifetimes is not installed")
def test_bundled_files_equal_the_copies_in_lifetimes():
    folder = Path(importlib.util.find_spec("lifetimes").submodule_search_locations[0]) / "datasets"
    for which in CDNOW_FILES:
        assert cdnow_path(which).read_bytes() == (folder / CDNOW_FILES[which]["file"]).read_bytes(), which


def test_load_cdnow_works_with_lifetimes_hidden(tmp_path):
    # A fresh interpreter in which `import lifetimes` fails (as on a machine without it).
    script = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'lifetimes' or name.startswith('lifetimes.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        "try:\n"
        "    import lifetimes\n"
        "    raise SystemExit('lifetimes was importable')\n"
        "except ModuleNotFoundError:\n"
        "    pass\n"
        "from crmlib.datasets import load_cdnow\n"
        "s, m = load_cdnow(), load_cdnow(which='master')\n"
        "print(s['customer_id'].nunique(), m['customer_id'].nunique(), 'lifetimes' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2357", "23570", "False"]


def test_load_cdnow_reads_a_copy(tmp_path):
    copy = tmp_path / "my_cdnow.txt"
    copy.write_bytes(cdnow_path("sample").read_bytes())
    mine = load_cdnow(copy)
    pd.testing.assert_frame_equal(mine, load_cdnow())
    assert mine.attrs["source"] == str(copy)


def test_crlf_header_and_leading_zeros(tmp_path):
    path = tmp_path / "mini.txt"
    path.write_bytes(
        b" customer_id  date number_of_cds  dollar_value\r\n"
        b" 00007 19970105  1   10.50\r\n 00007 19970301  3   30.00\r\n"
    )
    tx = load_cdnow(path)
    assert tx["customer_id"].tolist() == ["00007", "00007"]
    assert tx["amount"].tolist() == [10.5, 30.0]
    assert tx["cds"].tolist() == [1, 3]


def test_bad_layout_message(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("00001 19970101 1\n")
    with pytest.raises(DataError, match="expected 4 \\(master\\) or 5 \\(sample\\)"):
        load_cdnow(path)
    path.write_text("00001 1997-01-01 1 2.0\n")
    with pytest.raises(DataError, match="YYYYMMDD form on data lines \\[1\\]"):
        load_cdnow(path)
    with pytest.raises(DataError, match="does not exist"):
        load_cdnow(tmp_path / "nope.txt")
    with pytest.raises(DataError, match=r"the file 'master' does not exist.*pass which='master'"):
        load_cdnow("master")
    with pytest.raises(DataError, match="is a folder"):
        load_cdnow(tmp_path)
    from crmlib.params import ParameterError

    with pytest.raises(ParameterError, match="The 'which' parameter of load_cdnow must be one of"):
        load_cdnow(which="full")


@pytest.mark.parametrize("which", ["sample", "master"])
def test_all_four_value_potential_quadrants_on_cdnow(which):
    # At the end of the CDNOW log (1998-06-30) most of the 1997 cohort has been idle for a year: their current value
    # is 0, and the plain median of current value is 0. The default rule still fills every quadrant.
    values = clv.value_components(load_cdnow(which=which), margin_rate=0.3)
    assert (values["current_value"] == 0).mean() > 0.6
    assert values["current_value"].median() == 0
    vp = tiers.value_potential(values["current_value"], values["potential_value"])
    share = vp["quadrant"].value_counts(normalize=True).reindex(["platinum", "gold", "iron", "lead"])
    assert (share >= 0.05).all(), share.to_dict()
    # the old rule (plain medians, as the thresholds) collapses: every customer with any current value is "high"
    plain = tiers.value_potential(
        values["current_value"],
        values["potential_value"],
        current_threshold=values["current_value"].median(),
        potential_threshold=values["potential_value"].median(),
    )
    assert plain.attrs["current_threshold"] == 0
