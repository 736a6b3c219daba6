"""How close ``crmlib course`` is to its floor: the whole course against ten notebooks that do nothing.

The floor is what no course can avoid: ten kernels that import crmlib, pandas and matplotlib (the chapters'
start-up), run the same way, plus the same site build (the real chapters' pages). The course is the real
``crmlib course``: the ten chapters executed, then the site. Both are run in fresh processes, alternating,
``--rounds`` times; each run reports wall time and CPU time (this process's children: the command, its
kernels and Sphinx). The ratio course / floor is printed for both.

    python benchmarks/course.py               # 3 rounds (about 5 minutes on 2 quiet cores)
    python benchmarks/course.py --rounds 1

Wall time depends on what else the machine runs; CPU time much less. On a busy machine, compare the CPU
ratio, and the wall times only within one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIVIAL = "import crmlib\nimport pandas as pd\nimport matplotlib\nimport matplotlib.pyplot as plt\n"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(argv, check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def _trivial_chapters(folder: Path) -> None:
    import nbformat

    from crmlib.course import chapters

    for chapter in chapters():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        params = nbformat.v4.new_code_cell("data_path = None")
        params.metadata["tags"] = ["parameters"]
        title = nbformat.v4.new_markdown_cell(f"# {chapter.number} · Floor")
        nb.cells = [title, params, nbformat.v4.new_code_cell(TRIVIAL)]
        nbformat.write(nb, folder / chapter.path.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    crmlib = [sys.executable, "-m", "crmlib"]
    site = [sys.executable, "-c", "import sys; from crmlib.course import build_site; build_site(sys.argv[1])"]
    results: dict[str, list[tuple[float, float]]] = {"course": [], "floor": []}
    with tempfile.TemporaryDirectory(prefix="crmlib-bench-course-") as tmp:
        work = Path(tmp)
        (work / "trivial").mkdir()
        _trivial_chapters(work / "trivial")
        for round_ in range(args.rounds):
            for name in ("floor", "course") if round_ % 2 else ("course", "floor"):
                out = work / name
                shutil.rmtree(out, ignore_errors=True)
                if name == "course":
                    wall, cpu = _timed([*crmlib, "course", "--out", str(out)])
                else:
                    wall1, cpu1 = _timed([*crmlib, "course", "--no-html", "--out", str(out)],
                                         env={"CRMLIB_NOTEBOOKS": str(work / "trivial")})
                    wall2, cpu2 = _timed([*site, str(out / "site")])
                    wall, cpu = wall1 + wall2, cpu1 + cpu2
                results[name].append((wall, cpu))
                print(f"round {round_ + 1}  {name:<6}  wall {wall:6.1f} s  cpu {cpu:6.1f} s", flush=True)
    load = os.getloadavg()[0]
    course_wall = statistics.median(w for w, _ in results["course"])
    floor_wall = statistics.median(w for w, _ in results["floor"])
    course_cpu = statistics.median(c for _, c in results["course"])
    floor_cpu = statistics.median(c for _, c in results["floor"])
    print(f"\ncores {len(os.sched_getaffinity(0))}, load average at the end {load:.1f}, medians of {args.rounds}")
    print("| work | wall (s) | CPU (s) |\n| --- | --- | --- |")
    print(f"| crmlib course (10 chapters + site) | {course_wall:.1f} | {course_cpu:.1f} |")
    print(f"| floor (10 import-only notebooks + the same site) | {floor_wall:.1f} | {floor_cpu:.1f} |")
    print(f"| ratio | {course_wall / floor_wall:.2f} | {course_cpu / floor_cpu:.2f} |")


if __name__ == "__main__":
    main()
