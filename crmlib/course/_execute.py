"""Run chapters: one kernel per chapter, as many kernels at a time as the machine has cores.

:func:`execute_chapters` is how every command of the kit runs chapters: ``crmlib course`` (all of them into a
site's folder), ``crmlib run`` (one, into an output folder) and ``crmlib notebooks`` (the stored chapters, in
place; :func:`execute_in_place` for one). The chapters are executed by nbclient inside one asyncio event loop
(in a helper thread, so that Ctrl-C reaches this process and stops every kernel), with papermill's parameter
injection, in the chapters' own folder (relative paths in a chapter mean what they mean in JupyterLab). The
parent process imports papermill and nbclient once; each chapter pays only for its own kernel. The chapters
start longest first (:func:`launch_order`), so that the cores stay busy to the end. Results come back, and
``on_done`` is called, in course order as soon as a chapter and every chapter before it have finished, so the
progress lines read the same on every run. A kernel that dies, or stays silent, before its first reply has run
nothing: it is started once more (:data:`KERNEL_STARTS`) before its chapter is reported as stopped.

A kernel writes nothing to the terminal: its standard output and error go to ``/dev/null`` (a chapter's
problems show as its cells' errors), so no kernel log or traceback mixes with the command's own lines, not
even when the command is interrupted. Every notebook is written to a ``*.partial`` file first and then renamed,
so an interruption never leaves half a notebook under a chapter's name.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmlib.course._chapters import KERNEL_ARGUMENTS, Chapter, ChapterError, strip_volatile

__all__ = ["ChapterRun", "available_cores", "execute_chapters", "execute_in_place", "launch_order"]


@dataclass(frozen=True)
class ChapterRun:
    """The outcome of one chapter: the executed notebook, or the one-line reason it stopped.

    ``error_name`` and ``error_value`` are the stopping cell's exception (``"DataError"``, its message), when
    a cell raised one.
    """

    chapter: Chapter
    notebook: Path | None
    error: str | None
    seconds: float
    error_name: str = ""
    error_value: str = ""

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
    try:
        nbformat.write(nb, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


async def _execute_one(
    chapter: Chapter,
    params: dict[str, Any],
    out: Path | None,
    *,
    timeout: int,
    kernel_name: str,
    stop: threading.Event,
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
    failed = out / f"{chapter.stem}.failed.ipynb" if out is not None else None
    for attempt in range(1, KERNEL_STARTS + 1):
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=kernel_name,
            resources={"metadata": {"path": str(chapter.path.parent)}},
            extra_arguments=KERNEL_ARGUMENTS,
        )
        km = client.km = client.create_kernel_manager()  # kept here: nbclient drops it when it cleans up
        try:
            await client.async_execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except asyncio.CancelledError:  # Ctrl-C: stop the kernel now, whatever it was doing
            await _stop_kernel(client, km)
            raise
        except Exception as exc:  # a cell's error, a dead kernel, a timeout: the chapter stops, the others go on
            if stop.is_set():  # nbclient reports a cancelled cell as a dead kernel: it was Ctrl-C, write nothing
                raise asyncio.CancelledError from None
            if _did_not_start(exc):  # no cell ran; nbclient leaves the kernel's exit hook behind: removed here
                await _stop_kernel(client, km)
                if attempt < KERNEL_STARTS:
                    continue
            if failed is not None:
                _write(nb, failed)
            reason = f"Chapter {chapter.stem} stopped: {_first_line(exc)}"
            if _did_not_start(exc):
                reason += (
                    f" (its kernel '{kernel_name}' was started {KERNEL_STARTS} times); check that "
                    f"'python -m ipykernel --version' works in this environment."
                )
            name, value = getattr(exc, "ename", "") or "", getattr(exc, "evalue", "") or ""
            return ChapterRun(chapter, None, reason, time.perf_counter() - start, name, value)
        break
    strip_volatile(nb)
    target = out / chapter.path.name if out is not None else chapter.path  # None: in place
    _write(nb, target)
    if failed is not None:
        failed.unlink(missing_ok=True)  # an earlier failed run's leftover (this command's own file)
    return ChapterRun(chapter, target, None, time.perf_counter() - start)


#: Kernels started for a chapter whose kernel dies or stays silent before it has run anything. jupyter_client picks a
#: kernel's ports before the kernel binds them, so a kernel started by another process at the same moment (the
#: test workers, two commands) can take one first; that kernel then dies at once, or never answers (60 s).
KERNEL_STARTS = 2


def _did_not_start(exc: BaseException) -> bool:
    """True for jupyter_client's errors of a kernel that died or stayed silent before its first reply."""
    from nbclient.exceptions import DeadKernelError

    text = str(exc)
    return (
        isinstance(exc, RuntimeError)
        and not isinstance(exc, DeadKernelError)  # a kernel that died while running a cell
        and text.startswith(("Kernel didn't respond", "Kernel died before replying to kernel_info"))
    )


async def _stop_kernel(client, km) -> None:
    """Stop a chapter's kernel at once, at any stage (starting, running a cell), and leave no exit hook behind.

    nbclient cleans up only a kernel that finished starting, and registers an exit hook that would try again
    (and fail loudly) when the process ends; both are taken care of here.
    """
    import atexit
    import contextlib

    from jupyter_core.utils import ensure_async

    atexit.unregister(client._cleanup_kernel)
    if client.kc is not None:
        with contextlib.suppress(Exception):
            client.kc.stop_channels()
    with contextlib.suppress(Exception):
        if km.has_kernel:
            await ensure_async(km.shutdown_kernel(now=True))
    with contextlib.suppress(Exception):
        await ensure_async(km.cleanup_resources())


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await the tasks still pending in ``loop`` (nbclient's pollers), as ``asyncio.run`` does."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def launch_order(chapters: Sequence[Chapter]) -> list[int]:
    """The order in which to start chapters: the largest stored notebook first (positions into ``chapters``).

    With fewer kernels than chapters, the ones started last decide when the last kernel finishes; starting the
    longest first leaves the short ones to fill the cores at the end. A stored chapter's size (its outputs:
    figures, tables, widget state) stands for its running time: on the kit's chapters the four largest are the
    four that take longest. Ties keep course order; a missing file counts as empty.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for stem, size in (("00_short", 10), ("01_long", 300), ("02_medium", 50)):
    ...     _ = (folder / f"{stem}.ipynb").write_text("x" * size)
    >>> launch_order([Chapter(s[:2], s[3:], folder / f"{s}.ipynb") for s in ("00_short", "01_long", "02_medium")])
    [1, 2, 0]
    """

    def size(chapter: Chapter) -> int:
        try:
            return chapter.path.stat().st_size
        except OSError:
            return 0

    sizes = [size(c) for c in chapters]
    return sorted(range(len(chapters)), key=lambda i: -sizes[i])


async def _execute_all(jobs, out, workers, timeout, kernel_name, on_done, stop) -> list[ChapterRun]:
    gate = asyncio.Semaphore(workers)  # its waiters are served first come, first served: in launch order
    results: list[ChapterRun | None] = [None] * len(jobs)
    reported = 0

    async def one(i: int, chapter: Chapter, params: dict[str, Any]) -> None:
        nonlocal reported
        async with gate:
            results[i] = await _execute_one(chapter, params, out, timeout=timeout, kernel_name=kernel_name, stop=stop)
        while not stop.is_set() and reported < len(results) and results[reported] is not None:
            if on_done is not None:
                on_done(results[reported])
            reported += 1

    order = launch_order([c for c, _ in jobs])
    await asyncio.gather(*(one(i, *jobs[i]) for i in order))
    return [r for r in results if r is not None]


def execute_chapters(
    chapters: Sequence[Chapter],
    *,
    out: Path | str | None = None,
    in_place: bool = False,
    parameters: dict[str, dict[str, Any]] | None = None,
    workers: int | None = None,
    timeout: int = 1800,
    kernel_name: str = "python3",
    on_done: Callable[[ChapterRun], None] | None = None,
) -> list[ChapterRun]:
    r"""Execute chapters in parallel and return one :class:`ChapterRun` per chapter, in course order.

    Parameters
    ----------
    chapters : the chapters to run (see :func:`crmlib.course.chapters`).
    out : folder for ``NN_name.ipynb`` (created if missing); a chapter that stops leaves its partly executed
        notebook as ``NN_name.failed.ipynb`` and the others go on.
    in_place : instead of ``out``, save each executed chapter over its own file (``make notebooks``); a chapter
        that stops is left as it was.
    parameters : values for each chapter's ``parameters`` cell, by chapter stem (names are not checked here;
        the command line checks them against each chapter).
    workers : kernels at a time; default: the cores this process may use.
    timeout : seconds one cell may run.
    on_done : called with each result, in course order, as soon as it and all earlier ones are known.

    A Ctrl-C stops every kernel and raises ``KeyboardInterrupt``; every notebook is then as it was or complete.
    Volatile metadata (timings, random widget and table ids) is removed, so an unchanged chapter on the seeded
    data is stored as the same bytes on every run (:func:`crmlib.course.strip_volatile`).

    Examples
    --------
    Two tiny chapters, one given a parameter, one that stops at a cell:

    >>> import tempfile, nbformat
    >>> folder = Path(tempfile.mkdtemp())
    >>> cells = [nbformat.v4.new_code_cell("retention = 0.5", metadata={"tags": ["parameters"]}),
    ...          nbformat.v4.new_code_cell("print(f'{retention / (1 - retention):.1f} periods')")]
    >>> nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "01_demo.ipynb")
    >>> broken = [nbformat.v4.new_code_cell("1 / 0")]
    >>> nbformat.write(nbformat.v4.new_notebook(cells=broken), folder / "02_broken.ipynb")
    >>> demo = Chapter("01", "demo", folder / "01_demo.ipynb")
    >>> stops = Chapter("02", "broken", folder / "02_broken.ipynb")
    >>> runs = execute_chapters([demo, stops], out=folder / "out", parameters={"01_demo": {"retention": 0.75}})
    >>> [(run.chapter.stem, run.ok, run.error_name) for run in runs]
    [('01_demo', True, ''), ('02_broken', False, 'ZeroDivisionError')]
    >>> nbformat.read(runs[0].notebook, as_version=4).cells[-1].outputs[0]["text"]
    '3.0 periods\n'
    """
    if in_place == (out is not None):
        raise ValueError("execute_chapters needs either out (a folder) or in_place=True, not both")
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
    parameters = parameters or {}
    jobs = [(c, dict(parameters.get(c.stem, {}))) for c in chapters]
    workers = max(1, workers or available_cores())
    if not jobs:
        return []

    loop = asyncio.new_event_loop()
    box: dict[str, Any] = {}
    finished, stop = threading.Event(), threading.Event()

    def run() -> None:  # in a helper thread: nbclient then leaves this process's signal handlers alone
        asyncio.set_event_loop(loop)
        task = loop.create_task(_execute_all(jobs, out, workers, timeout, kernel_name, on_done, stop))
        box["task"] = task
        try:
            box["result"] = loop.run_until_complete(task)
        except BaseException as exc:
            box["error"] = exc
        finally:
            try:
                _cancel_remaining(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
            finally:
                finished.set()

    # Waiting on an Event, not Thread.join: a KeyboardInterrupt inside join() can leave the thread marked as
    # stopped while it still runs (CPython 3.11), and the kernels would then be left to the exit hooks.
    thread = threading.Thread(target=run, name="crmlib-course", daemon=True)
    thread.start()
    try:
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        stop.set()
        task = box.get("task")
        if task is not None and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)  # each chapter stops its kernel on the way out
        with _ignoring_ctrl_c():  # a second Ctrl-C does not cut the kernels' shutdown short
            finished.wait(60)
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]


@contextmanager
def _ignoring_ctrl_c() -> Iterator[None]:
    """Ignore SIGINT inside the block (in the main thread; elsewhere signals cannot be set and nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def execute_in_place(path: Path | str, *, timeout: int = 900, kernel_name: str = "python3") -> Path:
    """Execute a stored notebook top to bottom in its own folder and save it with its outputs.

    One chapter of ``make notebooks`` (``crmlib notebooks`` runs them all at once through
    :func:`execute_chapters`). Execution counts restart at 1 and volatile metadata is removed, so
    re-running an unchanged chapter on the bundled (seeded) data gives the same file. A cell that fails
    raises :class:`ChapterError` and leaves the file as it was.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> path = Path(tempfile.mkdtemp()) / "01_demo.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("6 * 7")]), path)
    >>> cell = nbformat.read(execute_in_place(path), as_version=4).cells[0]
    >>> cell.execution_count, cell.outputs[0]["data"]["text/plain"]
    (1, '42')
    """
    path = Path(path)
    chapter = Chapter(path.stem[:2], path.stem[3:], path)
    (run,) = execute_chapters([chapter], in_place=True, workers=1, timeout=timeout, kernel_name=kernel_name)
    if run.error is not None:
        raise ChapterError(
            f"{path.name} failed while executing: {run.error.split(': ', 1)[-1]}",
            ename=run.error_name,
            evalue=run.error_value,
        )
    return path
