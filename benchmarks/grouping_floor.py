"""What the out-of-core summary costs against the bare GROUP BY, and why: the groupings it cannot avoid.

``make bench`` compares ``crmlib.scale.summarize_file`` with a bare DuckDB ``GROUP BY customer`` on the 50M-row
file (issue 19's target: within 2x). The bare query is not the summary: the summary merges a customer's purchases
of one day (Fader, Hardie and Lee 2005) and needs the first day's amount, so it groups by (customer, day) first,
about ten times as many groups as customers. This script times, on the same file and DuckDB settings (the kit's
default memory limit, threads matched to the machine, insertion order not kept), each query a summary could be
built from, every one in a fresh process:

    python benchmarks/grouping_floor.py                          # benchmarks/_work/retail_big_50000000.parquet
    python benchmarks/grouping_floor.py --rows 10000000          # the 10M-row file
    python benchmarks/grouping_floor.py --memory-limit 3GB       # another limit

``make bench`` writes the files (the 50M-row one takes a few minutes the first time). Each query's result is made
into a temporary table (nothing is fetched to Python), except the last row, the kit's whole call.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KIT = "the kit's whole call: the checks, the summary, sorted by id, into pandas"

ROWS = (
    "SELECT customer_id AS cid, CAST(date_diff('day', DATE '1970-01-01', CAST(date AS DATE)) AS INTEGER) AS day_no, "
    "amount AS amt FROM {src}"
)
#: name -> (what it is, SQL); {src} is the file, {rows} the rows with their day as a number.
QUERIES = {
    "bare": (
        "the bare GROUP BY customer of make bench (count, min, max, sum): the floor",
        "SELECT customer_id, count(*) AS n, min(date) AS first, max(date) AS last, sum(amount) AS total "
        "FROM {src} GROUP BY customer_id",
    ),
    "bare, days": (
        "the same on the day numbers the summary uses",
        "SELECT cid, count(*), min(day_no), max(day_no), sum(amt) FROM ({rows}) GROUP BY cid",
    ),
    "(customer, day)": (
        "the summary's first grouping alone: one row per purchase day",
        "SELECT cid, day_no, sum(amt) AS total FROM ({rows}) GROUP BY cid, day_no",
    ),
    "(customer, day) as one integer": (
        "the same groups keyed by one 64-bit integer (a hash of the id and the day; not exact): the cost "
        "follows the number of groups, not the key",
        "SELECT (hash(cid) & 281474976710655) * 65536 + day_no AS k, sum(amt) AS total FROM ({rows}) GROUP BY k",
    ),
    "summary, two groupings": (
        "the summary as summarize_file's pass computes it: (customer, day), then customer",
        "WITH days AS (SELECT cid, day_no, sum(amt) AS total FROM ({rows}) GROUP BY cid, day_no) "
        "SELECT cid, count(day_no) AS n_days, min(day_no) AS first_day, max(day_no) AS last_day, "
        "sum(total) AS total, arg_min(total, day_no) AS first_amount FROM days GROUP BY cid",
    ),
    "count(DISTINCT day)": (
        "one grouping by customer counting distinct days (no first-day amount: not enough for the summary)",
        "SELECT cid, count(DISTINCT day_no), min(day_no), max(day_no), sum(amt) FROM ({rows}) GROUP BY cid",
    ),
    "list(day), list(amount)": (
        "one grouping by customer keeping each customer's days and amounts, to be summed per day afterwards",
        "SELECT cid, list(day_no) AS days, list(amt) AS amounts FROM ({rows}) GROUP BY cid",
    ),
}


def _peak_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def child(name: str, path: str, memory_limit: str, threads: int) -> dict:
    """One query (or the kit's call) in this process: wall and CPU seconds, groups, peak memory."""
    import duckdb

    start, cpu = time.perf_counter(), time.process_time()
    if name == "crmlib.scale.summarize_file":
        from crmlib.scale import summarize_file

        groups = len(summarize_file(path, customer="customer_id", date="date", amount="amount",
                                    memory_limit=memory_limit, threads=threads))
    else:
        con = duckdb.connect(config={"preserve_insertion_order": False, "memory_limit": memory_limit,
                                     "threads": threads})
        con.execute("SET enable_progress_bar = false")
        src = "read_parquet('" + path.replace("'", "''") + "')"
        sql = QUERIES[name][1].format(src=src, rows=ROWS.format(src=src))
        con.execute(f"CREATE TEMP TABLE result AS {sql}")
        groups = con.sql("SELECT count(*) FROM result").fetchall()[0][0]
        con.close()
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "groups": groups,
            "peak_mb": _peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="the big file of make bench (default 50M)")
    parser.add_argument("--memory-limit", default=None, help="DuckDB's memory limit (default: the kit's)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB's threads (default: the machine's cores)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from crmlib.scale import DEFAULT_MEMORY_LIMIT, _cores

    memory_limit = args.memory_limit or DEFAULT_MEMORY_LIMIT
    threads = args.threads or _cores()
    path = HERE / "_work" / f"retail_big_{args.rows}.parquet"
    if args.child:
        print(json.dumps(child(args.child, str(path), memory_limit, threads)))
        return
    if not path.exists():
        sys.exit(f"{path} is missing: make bench writes it (python benchmarks/run.py).")
    print(f"{path.name}, memory_limit {memory_limit}, threads {threads}\n")
    print("| query | groups | wall, s | CPU, s | ÷ bare (wall) | peak RSS, MB | what it is |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    bare = None
    for name in [*QUERIES, "crmlib.scale.summarize_file"]:
        out = subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--memory-limit", memory_limit,
             "--threads", str(threads), "--child", name],
            check=True, capture_output=True, text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        bare = bare or r["wall"]
        what = QUERIES[name][0] if name in QUERIES else KIT
        print(f"| {name} | {r['groups']:,} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['wall'] / bare:.2f}x | "
              f"{r['peak_mb']:,} | {what} |", flush=True)


if __name__ == "__main__":
    main()
