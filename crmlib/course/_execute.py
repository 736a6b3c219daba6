"""Run many chapters at once: one kernel per chapter, as many kernels at a time as the machine has cores.

:func:`execute_chapters` is what ``crmlib course`` runs. The chapters are executed by nbclient inside one
asyncio event loop (in a helper thread, so that Ctrl-C reaches this process and stops every kernel), with
papermill's parameter injection, in the chapters' own folder (relative paths in a chapter mean what they
mean in JupyterLab). The parent process imports papermill and nbclient once; each chapter pays only for its
own kernel. Results come back, and ``on_done`` is called, in course order as soon as a chapter and every
chapter before it have finished, so the progress lines read the same on every run.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmlib.course._chapters import Chapter, strip_volatile

__all__ = ["ChapterRun", "available_cores", "execute_chapters"]

#: The course's kernels log nothing: a chapter's problems show as its cells' errors. (ipykernel logs an
#: ERROR line when it is interrupted on shutdown, which jupyter_client does to every kernel it stops.)
COURSE_KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


@dataclass(frozen=True)
class ChapterRun:
    """The outcome of one chapter: the executed notebook, or the one-line reason it stopped."""

    chapter: Chapter
    notebook: Path | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every cell ran."""
        return self.error is None


def available_cores() -> int:
    """The number of cores this process may use (its CPU affinity; at least 1).

    >>> available_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def _first_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", "") or ""
    evalue = getattr(exc, "evalue", "") or ""
    if ename:
        return f"{ename}: {evalue}".strip()
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[-1]}" if text else type(exc).__name__


def _write(nb, path: Path) -> None:
    import nbformat

    partial = path.with_name(path.name + ".partial")
    nbformat.write(nb, partial)
    partial.replace(path)


async def _execute_one(
    chapter: Chapter, params: dict[str, Any], out: Path, *, timeout: int, kernel_name: str
) -> ChapterRun:
    import nbformat
    from nbclient import NotebookClient

    start = time.perf_counter()
    nb = nbformat.read(chapter.path, as_version=4)
    if params:
        from papermill.parameterize import parameterize_notebook

        untagged = [cell for cell in nb.cells if "tags" not in cell.metadata]
        for cell in untagged:  # papermill reads every cell's tags, and writes into its own metadata
            cell.metadata["tags"] = []
        nb.metadata.setdefault("papermill", {})
        nb = parameterize_notebook(nb, params, kernel_name=kernel_name, language="python")
        for cell in nb.cells:
            if "tags" in cell.metadata and not cell.metadata["tags"]:
                del cell.metadata["tags"]
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(chapter.path.parent)}},
        extra_arguments=COURSE_KERNEL_ARGUMENTS,
    )
    failed = out / f"{chapter.stem}.failed.ipynb"
    try:
        await client.async_execute()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a cell's error, a dead kernel, a timeout: the chapter stops, the others go on
        _write(nb, failed)
        reason = f"Chapter {chapter.stem} stopped: {_first_line(exc)}"
        return ChapterRun(chapter, None, reason, time.perf_counter() - start)
    strip_volatile(nb)
    target = out / chapter.path.name
    _write(nb, target)
    failed.unlink(missing_ok=True)  # an earlier failed run's leftover (this command's own file)
    return ChapterRun(chapter, target, None, time.perf_counter() - start)


async def _execute_all(jobs, out, workers, timeout, kernel_name, on_done) -> list[ChapterRun]:
    gate = asyncio.Semaphore(workers)
    results: list[ChapterRun | None] = [None] * len(jobs)
    reported = 0

    async def one(i: int, chapter: Chapter, params: dict[str, Any]) -> None:
        nonlocal reported
        async with gate:
            results[i] = await _execute_one(chapter, params, out, timeout=timeout, kernel_name=kernel_name)
        while reported < len(results) and results[reported] is not None:
            if on_done is not None:
                on_done(results[reported])
            reported += 1

    await asyncio.gather(*(one(i, c, p) for i, (c, p) in enumerate(jobs)))
    return [r for r in results if r is not None]


def execute_chapters(
    chapters: Sequence[Chapter],
    *,
    out: Path | str,
    parameters: dict[str, dict[str, Any]] | None = None,
    workers: int | None = None,
    timeout: int = 1800,
    kernel_name: str = "python3",
    on_done: Callable[[ChapterRun], None] | None = None,
) -> list[ChapterRun]:
    """Execute chapters in parallel into ``out`` and return one :class:`ChapterRun` per chapter, in order.

    Parameters
    ----------
    chapters : the chapters to run (see :func:`crmlib.course.chapters`).
    out : folder for ``NN_name.ipynb`` (created if missing); a chapter that stops leaves its partly executed
        notebook as ``NN_name.failed.ipynb`` and the others go on.
    parameters : values for each chapter's ``parameters`` cell, by chapter stem (names are not checked here;
        the command line checks them against each chapter).
    workers : kernels at a time; default: the cores this process may use.
    timeout : seconds one cell may run.
    on_done : called with each result, in course order, as soon as it and all earlier ones are known.

    A Ctrl-C stops every kernel and raises ``KeyboardInterrupt``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parameters = parameters or {}
    jobs = [(c, dict(parameters.get(c.stem, {}))) for c in chapters]
    workers = max(1, workers or available_cores())
    if not jobs:
        return []

    loop = asyncio.new_event_loop()
    box: dict[str, Any] = {}

    def run() -> None:  # in a helper thread: nbclient then leaves this process's signal handlers alone
        asyncio.set_event_loop(loop)
        task = loop.create_task(_execute_all(jobs, out, workers, timeout, kernel_name, on_done))
        box["task"] = task
        try:
            box["result"] = loop.run_until_complete(task)
        except BaseException as exc:
            box["error"] = exc
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="crmlib-course", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        task = box.get("task")
        if task is not None and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)  # each client shuts its kernel down on the way out
        thread.join(30)
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]
