"""Wall time to grade a class: N students x every exercise notebook, answered with the model solutions.

    python benchmarks/exercise_grading.py --students 30 -j 2 [--work DIR]

Builds the handouts from a generated roster, fills every answer cell with the source's solution and every free-text
cell with a sentence (the costliest honest case: every cell runs, twice, with the hidden variant check), runs
``crmlib exercises grade`` once and prints the wall time, the machine's load before and after, and the command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from crmlib.exercises import notebooks as nbm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--work", default="benchmarks/_work/grading")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    roster = work / "roster.csv"
    roster.write_text("student_id,name\n" + "".join(f"s{k:03d},Student {k}\n" for k in range(1, args.students + 1)),
                      encoding="utf-8")
    handout = work / "handout"
    nbm.build_handouts(roster, handout)
    subs = work / "submissions"
    sources = {src.stem: nbformat.read(src, as_version=4) for src in nbm.sources()}
    for folder in sorted(p for p in handout.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            solutions = {nbm.cell_role(c): c.source for c in sources[path.stem].cells}
            for cell in nb.cells:
                role = nbm.cell_role(cell)
                if role[0] == "answer":
                    cell.source = ("I would act on the numbers of my data." if cell.cell_type == "markdown" else
                                   "\n".join(line for line in solutions[role].splitlines() if "SOLUTION" not in line))
            (subs / folder.name).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, subs / folder.name / path.name)
    command = [sys.executable, "-m", "crmlib", "exercises", "grade", str(subs), "--roster", str(roster), "--out",
               str(work / "grades"), "-j", str(args.jobs)]
    load_before = os.getloadavg()
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - start
    load_after = os.getloadavg()
    print(done.stdout.splitlines()[-1] if done.stdout else done.stderr)
    n = len(list(subs.rglob("*.ipynb")))
    print(f"{n} notebooks ({args.students} students) graded with -j {args.jobs} in {seconds:.0f} s "
          f"({seconds / n:.1f} s per notebook); {os.cpu_count()} cores; load average before "
          f"{load_before[0]:.1f}, after {load_after[0]:.1f}")
    print("command: " + " ".join(command[1:]))


if __name__ == "__main__":
    main()
