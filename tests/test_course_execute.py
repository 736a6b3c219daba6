"""Running chapters in parallel: results in course order, parameters injected, a failure stops only its chapter."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crmlib.course import Chapter, execute_chapters


def _chapter(folder, stem: str, code: str) -> Chapter:
    params = new_code_cell("n = 1")
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {stem}"), params, new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{stem}.ipynb"
    nbformat.write(nb, path)
    return Chapter(stem[:2], stem[3:], path)


@pytest.mark.slow
def test_chapters_run_at_once_and_report_in_course_order(tmp_path):
    slow = _chapter(tmp_path, "00_slow",
                    "import time, pathlib\ntime.sleep(3)\nprint('n is', n, 'in', pathlib.Path.cwd().name)")
    broken = _chapter(tmp_path, "01_broken", "raise ValueError('broken on purpose')")
    out = tmp_path / "out"
    (out).mkdir()
    (out / "00_slow.failed.ipynb").write_text("{}", encoding="utf-8")  # an earlier run's leftover
    reported = []
    runs = execute_chapters([slow, broken], out=out, parameters={"00_slow": {"n": 7}}, workers=2,
                            on_done=lambda run: reported.append(run.chapter.stem))
    assert reported == ["00_slow", "01_broken"]  # 01 fails first, but is reported after 00
    assert [r.ok for r in runs] == [True, False]
    assert runs[1].error == "Chapter 01_broken stopped: ValueError: broken on purpose"
    executed = nbformat.read(out / "00_slow.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert f"n is 7 in {tmp_path.name}" in printed  # injected, and run in the chapter's own folder
    assert not (out / "00_slow.failed.ipynb").exists()
    assert (out / "01_broken.failed.ipynb").exists() and not (out / "01_broken.ipynb").exists()
