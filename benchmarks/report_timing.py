"""Time ``crmlib report`` end to end, step by step, on the CDNOW master log and on a generated 1M-row log.

    python benchmarks/report_timing.py                 # both logs (the 1M-row log is generated once into _work/)
    python benchmarks/report_timing.py --cdnow PATH    # the CDNOW master file (the whitespace layout lifetimes ships)

The command run is printed with its wall time, CPU time, peak memory (max RSS of the child) and the progress lines
(the seconds of each step), so the numbers can be reproduced with the printed command alone.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

WORK = Path(__file__).resolve().parent / "_work"


def cdnow_csv(source: Path | None) -> Path:
    """The CDNOW master log (lifetimes' whitespace file) written as CSV with its columns."""
    if source is None:
        spec = importlib.util.find_spec("lifetimes")
        if spec is None or spec.origin is None:
            raise SystemExit("lifetimes is not installed; give the CDNOW master file with --cdnow PATH")
        source = Path(spec.origin).parent / "datasets" / "CDNOW_master.txt"
    target = WORK / "cdnow_master.csv"
    if not target.exists():
        frame = pd.read_csv(source, sep=r"\s+", header=None, skiprows=1, dtype=str,
                            names=["customer_id", "date", "number_of_cds", "dollar_value"])
        WORK.mkdir(exist_ok=True)
        frame.to_csv(target, index=False)
    return target


def million_rows() -> Path:
    """About one million purchase rows from make_retail (known truth), with a Region column per customer."""
    from crmlib.datasets import make_retail

    target = WORK / "retail_1m.csv"
    if not target.exists():
        data = make_retail(110_000, seed=1, r=0.9, alpha=6.0, a=0.5, b=6.0)
        tx = data.transactions
        region = tx["customer_id"].map(data.customers.set_index("customer_id")["region"])
        WORK.mkdir(exist_ok=True)
        pd.DataFrame({"Customer": tx["customer_id"], "Date": tx["date"].dt.strftime("%Y-%m-%d"),
                      "Total": np.round(tx["amount"], 2), "Region": region}).to_csv(target, index=False)
    return target


def run(command: list[str]) -> None:
    print("$ " + " ".join(command), flush=True)
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - start
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(done.stderr.rstrip())
    print(done.stdout.rstrip())
    print(f"exit {done.returncode}; wall {wall:.1f} s, CPU {cpu:.1f} s, peak memory {after.ru_maxrss / 1024:.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f}\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdnow", type=Path, help="the CDNOW master file (default: the copy in lifetimes)")
    parser.add_argument("--only", choices=("cdnow", "1m"), help="one log only")
    args = parser.parse_args()
    crmlib = [sys.executable, "-m", "crmlib", "report"]
    if args.only in (None, "cdnow"):
        data = cdnow_csv(args.cdnow)
        run([*crmlib, "--data", str(data), "--out", str(WORK / "report_cdnow"), "--amount", "dollar_value",
             "--force"])
    if args.only in (None, "1m"):
        data = million_rows()
        run([*crmlib, "--data", str(data), "--out", str(WORK / "report_1m"), "--customer", "Customer",
             "--date", "Date", "--amount", "Total", "--by", "Region", "--force"])


if __name__ == "__main__":
    main()
