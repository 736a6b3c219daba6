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


def _flaky_kernel(folder, name: str, deaths: int):
    """A kernelspec under ``folder`` whose first ``deaths`` launches exit at once (as a kernel does whose port another
    process took between the client's choice and the kernel's bind); later launches start ipykernel. Returns the
    file that counts the launches."""
    import json
    import sys

    launches = folder / f"{name}.launches"
    launcher = folder / f"{name}.py"
    launcher.write_text(
        "import pathlib, runpy, sys\n"
        f"log = pathlib.Path({str(launches)!r})\n"
        "n = len(log.read_text().split()) if log.exists() else 0\n"
        "log.write_text('x ' * (n + 1))\n"
        f"if n < {deaths}:\n"
        "    sys.exit(1)\n"
        "sys.argv = ['ipykernel_launcher', *sys.argv[1:]]\n"
        "runpy.run_module('ipykernel_launcher', run_name='__main__')\n",
        encoding="utf-8",
    )
    spec = folder / "kernels" / name
    spec.mkdir(parents=True)
    argv = [sys.executable, str(launcher), "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": name, "language": "python"}))
    return launches


@pytest.mark.slow
def test_a_kernel_that_dies_before_it_starts_is_started_again(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    launches = _flaky_kernel(tmp_path, "flaky", deaths=1)
    chapter = _chapter(tmp_path, "00_demo", "print('ran with n =', n)")
    [run] = execute_chapters([chapter], out=tmp_path / "out", kernel_name="flaky")
    assert run.ok, run.error
    executed = nbformat.read(run.notebook, as_version=4)
    assert "ran with n = 1" in "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    assert len(launches.read_text().split()) == 2  # the first kernel died, the second ran the chapter


@pytest.mark.slow
def test_a_kernel_that_never_starts_stops_the_chapter_with_one_sentence(tmp_path):
    """In a process of its own: the chapter's one sentence, and nothing on stderr when the process ends (nbclient
    leaves an exit hook behind for a kernel that did not start, which fails at exit)."""
    import json
    import os
    import subprocess
    import sys

    launches = _flaky_kernel(tmp_path, "dead", deaths=99)
    chapter = _chapter(tmp_path, "00_demo", "print('never')")
    code = (
        "import json, pathlib\n"
        "from crmlib.course import Chapter, execute_chapters\n"
        f"chapter = Chapter('00', 'demo', pathlib.Path({str(chapter.path)!r}))\n"
        f"[run] = execute_chapters([chapter], out={str(tmp_path / 'out')!r}, kernel_name='dead')\n"
        "print(json.dumps([run.ok, run.error]))\n"
    )
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    ok, error = json.loads(done.stdout.splitlines()[-1])
    assert not ok
    assert error == (
        "Chapter 00_demo stopped: RuntimeError: Kernel died before replying to kernel_info (its kernel 'dead' was "
        "started 2 times); check that 'python -m ipykernel --version' works in this environment."
    )
    assert len(launches.read_text().split()) == 2  # started twice, then given up
    assert (tmp_path / "out" / "00_demo.failed.ipynb").exists()  # as for any chapter that stops
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
