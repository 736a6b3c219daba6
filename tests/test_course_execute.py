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
    slow = _chapter(
        tmp_path, "00_slow", "import time, pathlib\ntime.sleep(3)\nprint('n is', n, 'in', pathlib.Path.cwd().name)"
    )
    broken = _chapter(tmp_path, "01_broken", "raise ValueError('broken on purpose')")
    out = tmp_path / "out"
    (out).mkdir()
    (out / "00_slow.failed.ipynb").write_text("{}", encoding="utf-8")  # an earlier run's leftover
    reported = []
    runs = execute_chapters(
        [slow, broken],
        out=out,
        parameters={"00_slow": {"n": 7}},
        workers=2,
        on_done=lambda run: reported.append(run.chapter.stem),
    )
    assert reported == ["00_slow", "01_broken"]  # 01 fails first, but is reported after 00
    assert [r.ok for r in runs] == [True, False]
    assert runs[1].error == "Chapter 01_broken stopped: ValueError: broken on purpose"
    executed = nbformat.read(out / "00_slow.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert f"n is 7 in {tmp_path.name}" in printed  # injected, and run in the chapter's own folder
    assert not (out / "00_slow.failed.ipynb").exists()
    assert (out / "01_broken.failed.ipynb").exists() and not (out / "01_broken.ipynb").exists()


@pytest.mark.slow
def test_the_largest_chapters_start_first_and_are_still_reported_in_course_order(tmp_path):
    log = tmp_path / "started.txt"
    record = f"with open({str(log)!r}, 'a') as f:\n    f.write(__import__('pathlib').Path.cwd().name + ' ')"
    chapters = []
    for stem, padding in (("00_small", 0), ("01_large", 200_000), ("02_medium", 50_000)):
        folder = tmp_path / stem
        folder.mkdir()
        chapter = _chapter(folder, stem, record)
        nb = nbformat.read(chapter.path, as_version=4)
        nb.cells.append(new_markdown_cell("x" * padding))  # a stored chapter's size stands for its running time
        nbformat.write(nb, chapter.path)
        chapters.append(chapter)
    reported = []
    runs = execute_chapters(
        chapters, out=tmp_path / "out", workers=1, on_done=lambda run: reported.append(run.chapter.stem)
    )
    assert log.read_text().split() == ["01_large", "02_medium", "00_small"]
    assert reported == ["00_small", "01_large", "02_medium"] and all(run.ok for run in runs)
