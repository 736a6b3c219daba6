"""Where a chapter's CPU goes: each chapter run alone in its own kernel, its CPU seconds and its costliest cells.

``benchmarks/course.py`` compares the whole course with its floor; this script says which chapter and which cell
make the difference. Each chapter is executed (not saved) in one fresh kernel, one chapter at a time; a first
cell, added to the run only, registers IPython hooks that read the kernel's own CPU time
(``getrusage(RUSAGE_SELF)``) before and after every cell. The chapter's total is the CPU of the kernel process
(``getrusage(RUSAGE_CHILDREN)`` of this process): kernel start, every cell and shutdown.

    python benchmarks/course_chapters.py                  # every chapter, the 4 costliest cells of each
    python benchmarks/course_chapters.py 05 09 --top 8    # some chapters
    python benchmarks/course_chapters.py --profile /tmp/p # also cProfile each chapter's cells: /tmp/p/NN.prof

CPU seconds, not wall time: the machine may be shared, and CPU time depends much less on what else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
from pathlib import Path

HOOK = """
import cProfile as _cp, json as _js, resource as _rs
_bench_cells, _bench_state = [], {{}}
_bench_prof = _cp.Profile() if {profile!r} else None
def _bench_cpu():
    u = _rs.getrusage(_rs.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
def _bench_pre(info=None):
    _bench_state.update(cpu=_bench_cpu(), source=(info.raw_cell if info else "")[:60])
    if _bench_prof is not None:
        _bench_prof.enable()
def _bench_post(result=None):
    if _bench_prof is not None:
        _bench_prof.disable()
        _bench_prof.dump_stats({profile!r})
    _bench_cells.append((_bench_cpu() - _bench_state["cpu"], _bench_state["source"]))
    with open({cells!r}, "w") as f:
        _js.dump(_bench_cells, f)
get_ipython().events.register("pre_run_cell", _bench_pre)
get_ipython().events.register("post_run_cell", _bench_post)
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path, work: Path, profile: Path | None = None) -> tuple[float, list[tuple[float, str]]]:
    """Execute one chapter in a fresh kernel; return the kernel's CPU seconds and (CPU, source) of every cell."""
    import nbformat
    from nbclient import NotebookClient

    from crmlib.course._chapters import KERNEL_ARGUMENTS

    nb = nbformat.read(path, as_version=4)
    cells = work / f"{path.stem}.cells.json"
    hook = HOOK.format(profile=str(profile) if profile else "", cells=str(cells))
    nb.cells.insert(0, nbformat.v4.new_code_cell(hook))
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=KERNEL_ARGUMENTS,
    )
    before = _children_cpu()
    client.execute()
    total = _children_cpu() - before
    measured = [(float(c), str(s)) for c, s in json.loads(cells.read_text())[1:]]  # without the hook's own cell
    return total, measured


def main() -> None:
    from crmlib.course import chapters

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("numbers", nargs="*", help="chapter numbers (default: all)")
    parser.add_argument("--top", type=int, default=4, help="costliest cells shown per chapter")
    parser.add_argument("--profile", type=Path, help="folder for a cProfile file of each chapter's cells")
    args = parser.parse_args()
    chosen = [c for c in chapters() if not args.numbers or c.number in args.numbers]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    print(f"cores {len(os.sched_getaffinity(0))}, load average at the start {os.getloadavg()[0]:.1f}")
    print("| chapter | kernel CPU (s) | cells CPU (s) | costliest cells (CPU s: first characters) |")
    print("| --- | ---: | ---: | --- |")
    grand = 0.0
    with tempfile.TemporaryDirectory(prefix="crmlib-bench-chapters-") as tmp:
        for chapter in chosen:
            prof = args.profile / f"{chapter.number}.prof" if args.profile else None
            total, cells = measure(chapter.path, Path(tmp), prof)
            grand += total
            top = sorted(cells, key=lambda cell: -cell[0])[: args.top]
            shown = "; ".join(f"{c:.2f}: `{' '.join(s.split())[:40]}`" for c, s in top).replace("|", "\\|")
            print(f"| {chapter.stem} | {total:.1f} | {sum(c for c, _ in cells):.1f} | {shown} |", flush=True)
    print(f"| all | {grand:.1f} | | load average at the end {os.getloadavg()[0]:.1f} |")


if __name__ == "__main__":
    main()
