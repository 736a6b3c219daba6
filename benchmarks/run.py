"""Speed and scale benchmarks of crmlib against lifetimes 0.11.3, plain pandas and bare DuckDB.

    python benchmarks/run.py            # the full run (about 15-25 minutes); rewrites the table in README.md
    python benchmarks/run.py --quick    # a smoke run on tiny data, in one process (a few seconds)

What is measured (see README.md for the method and the results):

(a) the per-customer summary from a transaction log: crmlib.rfm.summarize (numpy, in memory),
    crmlib.scale.summarize_file (DuckDB streaming a Parquet file), lifetimes'
    summary_data_from_transaction_data, the same summary written as a plain pandas groupby, and, as a
    floor, a bare DuckDB GROUP BY customer with count/min/max/sum (which does not merge same-day
    purchases, so it is not the summary); Spark SQL too when pyspark is installed;
(b) the BG/NBD fit, (c) the Gamma-Gamma fit, (d) the 12-month CLV of every customer; then the other
models at the same size: the MBG/NBD and Pareto/NBD fits on the same summary, the BG/BB fit on the log
read in monthly opportunities, the BdW fit on the durations of a simulated cohort of as many customers,
and the 12-month CLV with 90% intervals (200 parameter draws) for every customer and for equity;
(e) reading a CSV export with crmlib.data.read_transactions against pandas.read_csv(engine="pyarrow"),
at 1M and 10M rows; the out-of-core summary of 10M- and 50M-row Parquet files against a bare DuckDB
GROUP BY; and, end to end, ``crmlib course`` against its floor (benchmarks/course.py) and a class of 30
graded (benchmarks/exercise_grading.py). Each row carries the spread of its runs, the load average it
ran under and its peak memory per input row; a growth table follows the same method across sizes.

Every measurement runs in its own Python process (``--child``): the log is loaded from Parquet first
(not timed), then the call is timed ``--repeats`` times (median reported); the process's peak
resident memory (Linux's ``VmHWM``, see ``peak_rss_mb``, which includes the loaded log for in-memory
methods) is reported with the increase over the memory held before the first timed call.
Results are checked to agree: the summaries with each other, fitted parameters within 1e-3
relative, CLV within 1e-6 relative (computed by both libraries from the same parameters).

Logs come from :func:`crmlib.datasets.make_retail` (BG/NBD purchases, Gamma-Gamma spend, text ids,
rows in date order), about 9.6 transactions per customer with the settings below.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
#: The project's README: its speed table (the targets, measured) is written between these markers.
MAIN_README = HERE.parent / "README.md"
MAIN_START, MAIN_END = "<!-- speed:start -->", "<!-- speed:end -->"

#: make_retail settings: r, alpha (weeks), a, b give about 9.6 transactions per customer.
GENERATOR = {"r": 1.2, "alpha": 5.0, "a": 0.8, "b": 4.0}
# big_memory_limit None: summarize_file's own default (the kit sets DuckDB's memory limit, spilling and threads)
#: ``rounds``: processes per method where two methods take turns (the reader and the big files).
FULL = {"customers": [100_000, 500_000], "big_rows": [10_000_000, 50_000_000], "repeats": 3, "rounds": 3,
        "big_memory_limit": None, "reader_rows": [1_000_000, 10_000_000]}
QUICK = {"customers": [600], "big_rows": [20_000], "repeats": 1, "rounds": 1, "big_memory_limit": "200MB",
         "reader_rows": [20_000]}
#: The sections of a run (``--only`` picks some).
SECTIONS = ("summary", "models", "reader", "big", "course", "grading")
#: Sections that run the kit's commands end to end (benchmarks/course.py, benchmarks/exercise_grading.py):
#: not in --quick.
COMMAND_SECTIONS = ("course", "grading")
CLV_SETTINGS = {"horizon": 12, "discount_rate": 0.01}  # 12 months, 1% per month (lifetimes' convention)
NOTES = {
    "Pareto/NBD fit": "lifetimes not run: over 20 min at 500k customers (issue 19)",
    "BdW fit": "no peer has the BdW; simulated cohort, 12 periods",
    "12-month CLV, intervals": "200 parameter draws of both models; per-customer and equity 90% intervals",
}


# ------------------------------------------------------------------------------------------------
# Data


def make_log(customers: int, seed: int, prefix: str = ""):
    import pandas as pd

    from crmlib.datasets import make_retail

    tx = make_retail(customers, seed=seed, **GENERATOR).transactions[["customer_id", "date", "amount"]]
    if prefix:
        tx = tx.assign(customer_id=prefix + tx["customer_id"].astype(str))
    return pd.DataFrame(tx)


def log_path(work: Path, customers: int) -> Path:
    path = work / f"retail_{customers}.parquet"
    if not path.exists():
        tx = make_log(customers, seed=customers % 9973)
        # microsecond timestamps: Spark cannot read pandas' default nanoseconds
        tx.to_parquet(path, index=False, row_group_size=1_000_000, coerce_timestamps="us")
    return path


def big_path(work: Path, rows: int) -> Path:
    """A log of about ``rows`` rows written chunk by chunk (1M customers at a time), never whole in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = work / f"retail_big_{rows}.parquet"
    if path.exists():
        return path
    per_customer = 9.6
    customers = int(rows / per_customer)
    chunk = min(1_000_000, customers)
    tmp = path.with_suffix(".partial")
    writer = None
    made = 0
    k = 0
    while made < customers:
        n = min(chunk, customers - made)
        table = pa.Table.from_pandas(make_log(n, seed=1000 + k, prefix=f"K{k:02d}"), preserve_index=False)
        table = table.set_column(1, "date", table.column("date").cast(pa.timestamp("us")))
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
        made += n
        k += 1
    writer.close()
    tmp.rename(path)
    return path


def opportunities_path(work: Path, customers: int) -> Path:
    """The log read as monthly opportunities (crmlib.models.summarize_opportunities), collapsed to patterns."""
    import pandas as pd

    from crmlib.models import summarize_opportunities

    path = work / f"opportunities_{customers}_M.parquet"
    if not path.exists():
        summarize_opportunities(pd.read_parquet(log_path(work, customers)), period="M", collapse=True).to_parquet(path)
    return path


def cohort_durations(customers: int, seed: int = 2018):
    """A BdW cohort of ``customers`` customers observed for 12 periods (alpha 0.7, beta 1.8, c 1.3): periods, churned.

    Each customer's churn parameter theta ~ Beta(0.7, 1.8); she survives t periods with probability
    (1 - theta)^(t^c). Rows are customers (not collapsed), so the fit's own collapse is part of the timing.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    theta = rng.beta(0.7, 1.8, customers)
    with np.errstate(divide="ignore"):
        lifetime = np.floor((np.log(rng.random(customers)) / np.log1p(-theta)) ** (1 / 1.3)) + 1
    return pd.DataFrame({"periods": np.minimum(lifetime, 12).astype(int), "churned": lifetime <= 12})


def csv_path(work: Path, rows: int) -> Path:
    """A CSV log of about ``rows`` rows as exports write them (timestamps with the time of day), chunk by chunk.

    Columns ``customer_id,date,amount``; dates ``2023-01-01 14:05:07``; written 1M customers at a time, so the
    whole log is never in memory.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    path = work / f"retail_{rows}.csv"
    if path.exists():
        return path
    work.mkdir(parents=True, exist_ok=True)
    customers = max(int(rows / 9.6), 1)
    chunk = min(1_000_000, customers)
    tmp = path.with_suffix(".partial")
    made, k = 0, 0
    with pacsv.CSVWriter(tmp, pa.schema([("customer_id", pa.string()), ("date", pa.string()),
                                         ("amount", pa.float64())]),
                           write_options=pacsv.WriteOptions(quoting_style="none")) as writer:
        while made < customers:
            n = min(chunk, customers - made)
            tx = make_log(n, seed=2000 + k, prefix=f"R{k:02d}")
            seconds = np.random.default_rng(k).integers(6 * 3600, 22 * 3600, len(tx))
            stamps = pa.array(tx["date"].to_numpy().astype("datetime64[s]") + seconds.astype("timedelta64[s]"))
            writer.write_table(pa.table({
                "customer_id": pa.array(tx["customer_id"].astype(str).to_numpy(dtype=object), pa.string()),
                "date": pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S"),
                "amount": pa.array(tx["amount"].to_numpy()),
            }))
            made += n
            k += 1
    tmp.rename(path)
    return path


def summary_path(work: Path, customers: int, unit: str = "M") -> Path:
    """The crmlib summary (unit months) the model fits start from."""
    import pandas as pd

    from crmlib.rfm import summarize

    path = work / f"summary_{customers}_{unit}.parquet"
    if not path.exists():
        summarize(pd.read_parquet(log_path(work, customers)), unit=unit).to_parquet(path)
    return path


# ------------------------------------------------------------------------------------------------
# Tasks: each returns (function to time, function giving the result to save)


def _read_log(path):
    import pandas as pd

    return pd.read_parquet(path)


def task(name: str, work: Path, size: int, memory_limit: str | None):
    """Prepare task ``name``; return (timed callable, label of the input)."""
    import pandas as pd

    if name == "crmlib.rfm.summarize":
        from crmlib.rfm import summarize

        tx = _read_log(log_path(work, size))
        return lambda: summarize(tx)
    if name == "crmlib.scale.summarize_file":
        from crmlib.scale import summarize_file

        path = str(log_path(work, size) if size > 0 else big_path(work, -size))
        return lambda: summarize_file(path, memory_limit=memory_limit)
    if name == "crmlib.data.read_transactions":
        from crmlib.data import read_transactions

        path = str(csv_path(work, size))
        return lambda: read_transactions(path, warn=False)
    if name == "pandas.read_csv(engine='pyarrow')":
        path = str(csv_path(work, size))
        return lambda: pd.read_csv(path, engine="pyarrow")
    if name == "crmlib.scale.summarize_spark":
        from pyspark.sql import SparkSession

        from crmlib.scale import summarize_spark

        spark = (
            SparkSession.builder.master(f"local[{os.cpu_count()}]")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "4g")
            .config("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 1)))
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        path = str(log_path(work, size))
        summarize_spark(path, spark)  # warm-up (JVM start, code generation): not timed
        return lambda: summarize_spark(path, spark)
    if name == "lifetimes.summary_data_from_transaction_data":
        from lifetimes.utils import summary_data_from_transaction_data

        tx = _read_log(log_path(work, size))
        return lambda: summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount")
    if name == "pandas groupby":
        tx = _read_log(log_path(work, size))
        return lambda: pandas_summary(tx)
    if name == "duckdb bare GROUP BY":
        import duckdb

        path = str(log_path(work, size) if size > 0 else big_path(work, -size))

        def bare():
            con = duckdb.connect(
                config={"preserve_insertion_order": False, **({"memory_limit": memory_limit} if memory_limit else {})}
            )
            con.execute("SET enable_progress_bar = false")
            lit = "'" + path.replace("'", "''") + "'"
            out = con.sql(
                f"SELECT customer_id, count(*) AS n, min(date) AS first, max(date) AS last, sum(amount) AS total "
                f"FROM read_parquet({lit}) GROUP BY customer_id"
            ).to_arrow_table().to_pandas()
            con.close()
            return out

        return bare
    if name == "crmlib BetaGeoBetaBinom.fit":
        from crmlib.models import BetaGeoBetaBinom

        opp = pd.read_parquet(opportunities_path(work, size))
        return lambda: BetaGeoBetaBinom().fit(opp)
    if name == "lifetimes BetaGeoBetaBinomFitter.fit":
        from lifetimes import BetaGeoBetaBinomFitter

        opp = pd.read_parquet(opportunities_path(work, size))

        def fit_lifetimes_bgbb():
            fitted = BetaGeoBetaBinomFitter().fit(
                opp["frequency"], opp["recency"], opp["n_periods"], weights=opp["weights"]
            )
            fitted._benchmark_frame = opp  # to score its parameters with crmlib's likelihood afterwards (not timed)
            return fitted

        return fit_lifetimes_bgbb
    if name == "crmlib BetaDiscreteWeibull.fit":
        from crmlib.models import BetaDiscreteWeibull

        cohort = cohort_durations(size)
        return lambda: BetaDiscreteWeibull().fit(cohort)
    summary = pd.read_parquet(summary_path(work, size)) if size > 0 else None
    if name == "crmlib ModifiedBetaGeo.fit":
        from crmlib.models import ModifiedBetaGeo

        return lambda: ModifiedBetaGeo().fit(summary, unit="M")
    if name == "lifetimes ModifiedBetaGeoFitter.fit":
        from lifetimes import ModifiedBetaGeoFitter

        return lambda: ModifiedBetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    if name == "crmlib ParetoNBD.fit":
        from crmlib.models import ParetoNBD

        return lambda: ParetoNBD().fit(summary, unit="M")
    if name == "crmlib customer_lifetime_value, 90% intervals":
        bg, gg, _, _ = _models_with_lifetimes_params(work, size, summary)
        bg._working_cov, gg._working_cov = _fitted_covariances(summary, bg, gg)
        from crmlib.models.gamma_gamma import customer_lifetime_value

        return lambda: customer_lifetime_value(
            bg, gg, summary, horizon=CLV_SETTINGS["horizon"], horizon_unit="M",
            discount_rate=CLV_SETTINGS["discount_rate"], discount_period="M", step="M", interval=0.9, draws=200,
        )["clv"]
    if name == "crmlib BetaGeo.fit":
        from crmlib.models import BetaGeo

        return lambda: BetaGeo().fit(summary, unit="M")
    if name == "lifetimes BetaGeoFitter.fit":
        from lifetimes import BetaGeoFitter

        return lambda: BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    if name == "crmlib GammaGamma.fit":
        from crmlib.models import GammaGamma

        return lambda: GammaGamma().fit(summary)
    if name == "lifetimes GammaGammaFitter.fit":
        from lifetimes import GammaGammaFitter

        repeat = summary[summary["frequency"] > 0]
        return lambda: GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    if name in ("crmlib customer_lifetime_value", "lifetimes customer_lifetime_value"):
        bg, gg, lbg, lgg = _models_with_lifetimes_params(work, size, summary)
        if name.startswith("crmlib"):
            from crmlib.models.gamma_gamma import customer_lifetime_value

            return lambda: customer_lifetime_value(
                bg, gg, summary, horizon=CLV_SETTINGS["horizon"], horizon_unit="M",
                discount_rate=CLV_SETTINGS["discount_rate"], discount_period="M", step="M",
            )["clv"]
        return lambda: lgg.customer_lifetime_value(
            lbg, summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"],
            time=CLV_SETTINGS["horizon"], discount_rate=CLV_SETTINGS["discount_rate"], freq="M",
        )
    raise SystemExit(f"unknown task {name!r}")


def _models_with_lifetimes_params(work: Path, size: int, summary):
    """Both libraries' models with the same parameters (lifetimes' fit), so CLV differs only by code."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    from crmlib.models import BetaGeo, GammaGamma

    params_file = work / f"clv_params_{size}.json"
    if not params_file.exists():
        lbg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        repeat = summary[summary["frequency"] > 0]
        lgg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        params_file.write_text(json.dumps({"bg": {k: float(v) for k, v in lbg.params_.items()},
                                           "gg": {k: float(v) for k, v in lgg.params_.items()}}))
    params = json.loads(params_file.read_text())
    import pandas as pd

    lbg = BetaGeoFitter()
    lbg.params_ = pd.Series(params["bg"])
    lbg.predict = lbg.conditional_expected_number_of_purchases_up_to_time  # lifetimes sets this alias in fit()
    lgg = GammaGammaFitter()
    lgg.params_ = pd.Series(params["gg"])
    bg = BetaGeo()
    bg.params_, bg.unit_ = dict(params["bg"]), "M"
    gg = GammaGamma()
    gg.params_ = dict(params["gg"])
    return bg, gg, lbg, lgg


def _fitted_covariances(summary, bg, gg):
    """The covariance of the estimates (working scale) of crmlib fits on the same summary, for the interval row."""
    from crmlib.models import BetaGeo, GammaGamma

    return BetaGeo().fit(summary, unit="M")._working_cov, GammaGamma().fit(summary)._working_cov


def pandas_summary(tx):
    """The kit's summary with a plain pandas groupby (same-day purchases merged), unit days."""
    import numpy as np
    import pandas as pd

    days = tx.assign(date=tx["date"].dt.normalize()).groupby(["customer_id", "date"], sort=True)["amount"].sum()
    days = days.reset_index()
    g = days.groupby("customer_id", sort=True)
    first, last = g["date"].min(), g["date"].max()
    n = g.size()
    total, first_amount = g["amount"].sum(), g["amount"].first()
    end = tx["date"].max().normalize()
    freq = (n - 1).astype(np.int64)
    out = pd.DataFrame(
        {
            "frequency": freq,
            "recency": (last - first).dt.days.astype(float),
            "T": (end - first).dt.days.astype(float),
            "monetary_value": np.where(freq > 0, (total - first_amount) / freq.clip(lower=1), 0.0),
        }
    )
    out.index.name = "customer_id"
    return out


def log_statistics(frame) -> dict:
    """What two readers of one log must agree on: rows, customers, days, total amount (in cents)."""
    import numpy as np
    import pandas as pd

    days = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]")
    return {
        "rows": int(len(frame)),
        "customers": int(frame["customer_id"].astype(str).nunique()),
        "first_day": str(days.min()), "last_day": str(days.max()),
        "cents": int(np.round(frame["amount"].to_numpy(float) * 100).astype(np.int64).sum()),
    }


def compare_logs(reference: Path, other: Path) -> str:
    a, b = json.loads(reference.read_text()), json.loads(other.read_text())
    differ = [k for k in a if a[k] != b.get(k)]
    return "rows, customers, days and total identical" if not differ else "DIFFERENT: " + ", ".join(differ)


def save_result(name: str, result, out: Path) -> None:
    import pandas as pd

    if name in ("crmlib.data.read_transactions", "pandas.read_csv(engine='pyarrow')"):
        out.with_suffix(".json").write_text(json.dumps(log_statistics(result)))
    elif hasattr(result, "params_"):
        saved = {k: float(v) for k, v in dict(result.params_).items()}
        # the mean log-likelihood per customer, to tell which of two differing fits is the better maximum
        if hasattr(result, "log_likelihood_") and getattr(result, "n_", 0):
            saved["_log_likelihood_per_customer"] = float(result.log_likelihood_) / result.n_
        frame = getattr(result, "_benchmark_frame", None)
        if frame is not None:  # a peer's BG/BB parameters scored with crmlib's (exact) likelihood of the same data
            import numpy as np

            from crmlib.models import BetaGeoBetaBinom

            cols = tuple(frame[c].to_numpy(float) for c in ("frequency", "recency", "n_periods"))
            w = frame["weights"].to_numpy(float)
            p = np.array([saved[k] for k in ("alpha", "beta", "gamma", "delta")])
            model = BetaGeoBetaBinom()
            saved["_log_likelihood_per_customer"] = float(
                np.sum(w * model._loglik(p, model._design(cols, w))) / w.sum()
            )
        out.with_suffix(".json").write_text(json.dumps(saved))
    elif isinstance(result, pd.Series):
        result.rename("clv").to_frame().to_parquet(out)
    elif isinstance(result, pd.DataFrame):
        result.to_parquet(out)


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB.

    Linux's ``VmHWM`` (the high-water mark of this program's own memory) where there is one: ``ru_maxrss`` also
    keeps the size of the parent at the moment it started this process (it survives ``exec``), so a child started
    by a large parent would report the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args) -> None:
    """Run one measurement and print one JSON line."""
    work = Path(args.work)
    fn = task(args.child, work, args.size, args.memory_limit)
    rss_before = peak_rss_mb()
    times = []
    result = None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    peak = peak_rss_mb()
    if args.save:
        save_result(args.child, result, Path(args.save))
    print(json.dumps({"times": times, "peak_mb": peak, "before_mb": rss_before}))


def measure(name: str, work: Path, size: int, repeats: int, *, in_process: bool, memory_limit=None, save=None) -> dict:
    if in_process:
        fn = task(name, work, size, memory_limit)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
        if save:
            save_result(name, result, Path(save))
        return {"times": times, "peak_mb": float("nan"), "before_mb": float("nan")}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--size", str(size),
           "--work", str(work), "--repeats", str(repeats)]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    if save:
        cmd += ["--save", str(save)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} (size {size}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------
# Agreement checks


def _rel(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, float), np.asarray(b, float)
    denom = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / denom)) if len(a) else 0.0


def compare_summaries(reference: Path, other: Path) -> str:
    """'equal', or the largest differences, between crmlib.rfm.summarize's output and another's."""
    import numpy as np
    import pandas as pd

    ref = pd.read_parquet(reference)
    got = pd.read_parquet(other)
    got.index = got.index.astype(str)
    got = got.sort_index()
    ref = ref.sort_index()
    if not ref.index.equals(got.index):
        return "different customers"
    notes = []
    for col in ("frequency", "recency", "T"):
        if not np.array_equal(ref[col].to_numpy(float), got[col].to_numpy(float)):
            notes.append(f"{col} differs in {(ref[col].to_numpy(float) != got[col].to_numpy(float)).sum()} rows")
    m = _rel(got["monetary_value"], ref["monetary_value"])
    exact = np.array_equal(ref["monetary_value"].to_numpy(), got["monetary_value"].to_numpy())
    notes.append("monetary identical" if exact else f"monetary max rel. diff {m:.1e}")
    return "; ".join(["F, R, T identical"] * (len(notes) == 1) + notes)


def compare_params(a: Path, b: Path) -> str:
    """Parameters within 1e-3 relative; otherwise ok only if crmlib's maximum is the higher (the peer stopped early)."""
    pa, pb = json.loads(a.read_text()), json.loads(b.read_text())
    la, lb = pa.pop("_log_likelihood_per_customer", None), pb.pop("_log_likelihood_per_customer", None)
    worst = max(abs(pa[k] - pb[k]) / abs(pb[k]) for k in pb)
    if worst < 1e-3:
        return f"params max rel. diff {worst:.1e} (ok)"
    if la is not None and lb is not None and la >= lb - 1e-12:
        return (
            f"params max rel. diff {worst:.1e}; crmlib's maximum is higher by {la - lb:.1e} per customer under the "
            "same likelihood (ok)"
        )
    return f"params max rel. diff {worst:.1e} (ABOVE 1e-3)"


def compare_clv(a: Path, b: Path) -> str:
    import pandas as pd

    ca, cb = pd.read_parquet(a)["clv"], pd.read_parquet(b)["clv"]
    worst = _rel(ca.to_numpy(), cb.to_numpy())
    return f"CLV max rel. diff {worst:.1e} ({'ok' if worst < 1e-6 else 'ABOVE 1e-6'})"


# ------------------------------------------------------------------------------------------------
# Report


def machine_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    versions = {}
    for pkg in ("crmlib", "numpy", "pandas", "scipy", "pyarrow", "duckdb", "lifetimes", "autograd", "pyspark"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = "not installed"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "memory": mem,
        "python": platform.python_version(), "os": platform.platform(terse=True),
        "versions": versions,
        "load": os.getloadavg(),
    }


def fmt_time(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def fmt_mb(mb: float) -> str:
    return "–" if math.isnan(mb) else f"{mb:,.0f}"


def spread(r: dict) -> str:
    """The fastest and slowest of a row's runs."""
    times = r.get("times") or []
    return f"{min(times):.2f}-{max(times):.2f} s" if len(times) > 1 else ""


def per_row(r: dict) -> str:
    """Peak resident memory per input row, bytes."""
    rows = r.get("rows")
    return "" if not rows or math.isnan(r["peak_mb"]) else f"{r['peak_mb'] * 2**20 / rows:,.0f}"


def table(rows: list[dict]) -> str:
    head = (
        "| task | data | method | median | runs (spread) | load | time ÷ first row | peak RSS, MB (Δ in the call) | "
        "peak, bytes per row | agreement |\n"
    )
    head += "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
    lines = []
    for r in rows:
        delta = "" if math.isnan(r["peak_mb"]) else f" (+{max(r['peak_mb'] - r['before_mb'], 0):,.0f})"
        runs = f"{r['runs']} ({spread(r)})" if spread(r) else str(r["runs"])
        lines.append(
            f"| {r['task']} | {r['data']} | {r['method']} | {fmt_time(r['median'])} | {runs} | "
            f"{r.get('load', 0):.1f} | "
            f"{r['ratio']} | {fmt_mb(r['peak_mb'])}{delta} | {per_row(r)} | {r['agree']} |"
        )
    return head + "\n".join(lines) + "\n"


def growth(rows: list[dict]) -> str:
    """How time and peak memory grow with the rows, for each method measured at several sizes."""
    by_method: dict[str, list[dict]] = {}
    for r in rows:
        if r.get("rows") and not math.isnan(r["median"]):
            by_method.setdefault(r["method"], []).append(r)
    out = ["| method | rows | median | peak RSS, MB | time per 1M rows | peak, bytes per row |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for method, found in by_method.items():
        sizes = sorted({r["rows"] for r in found})
        if len(sizes) < 2:
            continue
        for r in sorted(found, key=lambda r: r["rows"]):
            out.append(f"| {method} | {r['rows']:,} | {fmt_time(r['median'])} | {fmt_mb(r['peak_mb'])} | "
                       f"{r['median'] / (r['rows'] / 1e6):.2f} s | {per_row(r)} |")
    return "\n".join(out) + "\n" if len(out) > 2 else ""


def write_readme(text: str, path: Path = README, start: str = START, end: str = END) -> None:
    """Replace what lies between the markers ``start`` and ``end`` of ``path`` with ``text``."""
    current = path.read_text() if path.exists() else f"{start}\n{end}\n"
    if start not in current or end not in current:
        current += f"\n{start}\n{end}\n"
    before, rest = current.split(start, 1)
    _, after = rest.split(end, 1)
    path.write_text(before + start + "\n" + text + end + after)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, one process, one repeat (smoke test)")
    parser.add_argument("--work", default=str(HERE / "_work"), help="folder for generated logs (kept between runs)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-readme", action="store_true", help="print the table, do not write README.md")
    parser.add_argument("--skip-big", action="store_true", help="skip the 50M-row file")
    parser.add_argument("--no-spark", action="store_true", help="skip Spark even if pyspark is installed")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--memory-limit", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--save", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.repeats is None:
        args.repeats = settings["repeats"]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args)
        return 0
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    if only - set(SECTIONS):
        parser.error(
            f"--only: unknown section(s) {', '.join(sorted(only - set(SECTIONS)))}; choose among {', '.join(SECTIONS)}"
        )

    in_process = args.quick
    info = machine_info()
    rows: list[dict] = []
    failures: list[str] = []
    out = work / "results"
    out.mkdir(exist_ok=True)
    try:
        import pyspark  # noqa: F401

        spark = not args.no_spark and not args.quick
    except ImportError:
        spark = False

    def run(task_name, method, size, data, *, ref=None, save=True, repeats=None, memory_limit=None, agree=None,
            n_rows=None):
        return run_alternating(task_name, [method], size, data, rounds=1, save=save, repeats=repeats,
                               memory_limit=memory_limit, n_rows=n_rows)[0]

    def run_alternating(task_name, methods, size, data, *, rounds, save=True, repeats=None, memory_limit=None,
                        n_rows=None, unsaved=()):
        """Each method in its own processes, ``rounds`` of them taking turns (the order reversed every other
        round), so that the machine's changing load falls on all of them alike; one row per method. ``unsaved``:
        methods whose result is not kept for the agreement checks."""
        saves = {m: out / f"{re.sub(r'[^A-Za-z0-9]+', '_', m)}_{size}.parquet" if save and m not in unsaved else None
                 for m in methods}
        load = os.getloadavg()[0]
        found: dict[str, list[dict]] = {m: [] for m in methods}
        failed: dict[str, str] = {}
        for round_ in range(rounds):
            for method in methods if round_ % 2 == 0 else methods[::-1]:
                if method in failed:
                    continue
                keep = saves[method] if round_ == 0 else None  # the first round's result, for the agreement checks
                try:
                    found[method].append(measure(method, work, size, repeats or args.repeats, in_process=in_process,
                                                 memory_limit=memory_limit, save=keep))
                except RuntimeError as exc:  # recorded in the table and in the exit code, never silenced
                    failures.append(str(exc))
                    failed[method] = str(exc)
        made = []
        for method in methods:
            print(f"  {task_name:15} {data:30} {method:46}", end=" ", flush=True)
            if method in failed:
                print("FAILED", flush=True)
                row = {"task": task_name, "data": data, "method": method, "median": float("nan"), "runs": 0,
                       "peak_mb": float("nan"), "before_mb": float("nan"), "ratio": "", "save": None,
                       "times": [], "load": load, "rows": n_rows,
                       "agree": "FAILED: " + failed[method].strip().splitlines()[-1][:120]}
            else:
                times = [t for m in found[method] for t in m["times"]]
                row = {"task": task_name, "data": data, "method": method, "median": statistics.median(times),
                       "runs": len(times), "peak_mb": max(m["peak_mb"] for m in found[method]),
                       "before_mb": min(m["before_mb"] for m in found[method]), "ratio": "", "agree": "",
                       "save": saves[method], "times": times, "load": load, "rows": n_rows}
                print(f"{fmt_time(row['median']):>9}  peak {fmt_mb(row['peak_mb'])}", flush=True)
            rows.append(row)
            made.append(row)
        return made

    def agree(fn, a, b):
        if a is None or b is None:
            return None
        return fn(a, b)

    print(f"benchmarks on {info['cores']} cores ({info['cpu']}), load {info['load']}", flush=True)
    for customers in settings["customers"] if only & {"summary", "models"} else []:
        path = log_path(work, customers)
        import pyarrow.parquet as pq

        n_rows = pq.ParquetFile(path).metadata.num_rows
        data = (
            f"{n_rows / 1e6:.1f}M rows / {customers // 1000}k cust."
            if n_rows >= 1e5
            else f"{n_rows} rows / {customers} cust."
        )
        summary_path(work, customers)
        if "summary" in only:
            summary_rows(functools.partial(run, n_rows=n_rows),
                         functools.partial(run_alternating, n_rows=n_rows, rounds=settings["rounds"], repeats=1),
                         agree, customers, data, spark)
        if "models" in only:
            model_rows(run, agree, customers)

    if "reader" in only:
        for n_rows in settings["reader_rows"]:
            reader_rows(functools.partial(run_alternating, n_rows=n_rows, rounds=settings["rounds"]), agree, work,
                        n_rows)

    for big_rows in settings["big_rows"] if "big" in only and not args.skip_big else []:
        path = big_path(work, big_rows)
        import pyarrow.parquet as pq

        n_rows = pq.ParquetFile(path).metadata.num_rows
        size_mb = path.stat().st_size / 1e6
        data = f"{n_rows / 1e6:.1f}M rows, Parquet {size_mb:,.0f} MB" if n_rows >= 1e5 else f"{n_rows} rows"
        limit = settings["big_memory_limit"]
        a, b = run_alternating("big file", ["crmlib.scale.summarize_file", "duckdb bare GROUP BY"], -big_rows, data,
                               rounds=settings["rounds"], save=False, repeats=1, memory_limit=limit, n_rows=n_rows)
        a["ratio"], b["ratio"] = "1x", f"{b['median'] / a['median']:.2f}x"
        shown = "the kit's default" if limit is None else repr(limit)
        a["agree"] = f"memory_limit {shown}, threads={info['cores']}"
        b["agree"] = f"memory_limit {'DuckDB default' if limit is None else repr(limit)}"

    if not args.quick:
        for section in COMMAND_SECTIONS:
            if section in only:
                command_rows(section, rows, failures, work)

    info["load_end"] = os.getloadavg()
    text = render(rows, info, args)
    print(text)
    if failures:
        print("\n\n".join(failures), file=sys.stderr)
        print(f"{len(failures)} measurement(s) failed; README.md not written", file=sys.stderr)
        return 1
    if not args.no_readme and not args.quick:
        write_readme(text)
        write_readme(speed_table(rows, info, args), MAIN_README, MAIN_START, MAIN_END)
        print(f"results written to {README} and {MAIN_README}")
    return 0


def command_rows(section: str, rows: list[dict], failures: list[str], work: Path) -> None:
    """The end-to-end scripts: ``crmlib course`` against its floor (course.py), a class graded (exercise_grading.py)."""
    if section == "course":
        cmd = [sys.executable, str(HERE / "course.py"), "--rounds", "3"]
    else:
        cmd = [sys.executable, str(HERE / "exercise_grading.py"), "--students", "30", "-j", "2",
               "--work", str(work / "grading")]
    print(f"  {section:15} {' '.join(Path(c).name for c in cmd[1:])}", end=" ", flush=True)
    load = os.getloadavg()[0]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out = done.stdout
    base = {"data": "", "runs": 3 if section == "course" else 1, "peak_mb": float("nan"), "before_mb": float("nan"),
            "save": None, "times": [], "load": load, "rows": None}
    course = re.findall(r"^\| (crmlib course[^|]*|floor[^|]*) \| ([0-9.]+) \| ([0-9.]+) \|$", out, re.M)
    graded = re.search(r"^(\d+) notebooks \((\d+) students\) graded with -j (\d+) in (\d+) s", out, re.M)
    if done.returncode != 0 or (section == "course" and len(course) != 2) or (section == "grading" and not graded):
        failures.append(f"{' '.join(cmd)} failed:\n{(done.stderr or out)[-3000:]}")
        print("FAILED", flush=True)
        rows.append({**base, "task": section, "method": " ".join(cmd[1:]), "median": float("nan"), "ratio": "",
                     "agree": "FAILED"})
        return
    if section == "course":
        (name, wall, cpu), (floor_name, floor_wall, floor_cpu) = course
        rows.append(
            {
                **base,
                "task": "course",
                "data": "10 chapters + site",
                "method": f"`{name}`",
                "median": float(wall),
                "ratio": "1x",
                "agree": f"CPU {float(cpu):.0f} s; medians of 3, alternating",
                "cpu": float(cpu),
            }
        )
        rows.append({**base, "task": "course", "data": "10 chapters + site", "method": f"floor: {floor_name}",
                     "median": float(floor_wall), "ratio": f"{float(floor_wall) / float(wall):.2f}x",
                     "agree": f"CPU {float(floor_cpu):.0f} s; course ÷ floor {float(wall) / float(floor_wall):.2f} "
                              f"(wall), {float(cpu) / float(floor_cpu):.2f} (CPU)", "cpu": float(floor_cpu)})
        print(f"{fmt_time(float(wall)):>9}", flush=True)
    else:
        assert graded is not None
        n, students, jobs, seconds = (int(g) for g in graded.groups())
        rows.append({**base, "task": "grading", "data": f"{n} notebooks, {students} students",
                     "method": f"crmlib exercises grade -j {jobs}", "median": float(seconds), "ratio": "1x",
                     "agree": f"{seconds / n:.1f} s per notebook"})
        print(f"{fmt_time(float(seconds)):>9}", flush=True)


def summary_rows(run, run_alternating, agree, customers: int, data: str, spark: bool) -> None:
    """(a) the per-customer summary by every method, checked against crmlib.rfm.summarize.

    The methods of the targets' ratios take turns, one call per process (Spark, whose session starts once per
    process and is warmed up, runs its calls in one process after them).
    """
    ref, summarize_file, lifetimes, pandas_groupby, bare = run_alternating(
        "summary",
        ["crmlib.rfm.summarize", "crmlib.scale.summarize_file", "lifetimes.summary_data_from_transaction_data",
         "pandas groupby", "duckdb bare GROUP BY"],
        customers, data, unsaved=("duckdb bare GROUP BY",),
    )
    group = [ref, summarize_file]
    if spark:
        group.append(run("summary", "crmlib.scale.summarize_spark", customers, data))
    group += [lifetimes, pandas_groupby]
    for r in group[1:]:
        r["agree"] = agree(compare_summaries, ref["save"], r["save"]) or r["agree"]
    ref["agree"] = ref["agree"] or "reference"
    bare["agree"] = "not the summary: no same-day merge, no first-day amount"
    for r in group[1:] + [bare]:
        r["ratio"] = f"{r['median'] / ref['median']:.2f}x"
    ref["ratio"] = "1x"


def model_rows(run, agree, customers: int) -> None:
    """(b)-(d) the fits and the CLV against lifetimes; then the other models and CLV with intervals."""
    for label, crm, lt in (("BG/NBD fit", "crmlib BetaGeo.fit", "lifetimes BetaGeoFitter.fit"),
                           ("Gamma-Gamma fit", "crmlib GammaGamma.fit", "lifetimes GammaGammaFitter.fit"),
                           ("12-month CLV", "crmlib customer_lifetime_value", "lifetimes customer_lifetime_value")):
        a = run(
            label, crm, customers, f"{customers // 1000}k customers" if customers >= 1000 else f"{customers} customers"
        )
        b = run(label, lt, customers, a["data"])
        a["ratio"], b["ratio"] = "1x", f"{b['median'] / a['median']:.2f}x"
        if "fit" in label:
            b["agree"] = agree(compare_params, a["save"] and a["save"].with_suffix(".json"),
                               b["save"] and b["save"].with_suffix(".json")) or b["agree"]
        else:
            b["agree"] = (agree(compare_clv, a["save"], b["save"]) or b["agree"]) + ", same parameters"
        a["agree"] = a["agree"] or "reference"
    # (f)-(j) the other models, and CLV with intervals
    for label, crm, lt in (("MBG/NBD fit", "crmlib ModifiedBetaGeo.fit", "lifetimes ModifiedBetaGeoFitter.fit"),
                           ("Pareto/NBD fit", "crmlib ParetoNBD.fit", None),
                           ("BG/BB fit", "crmlib BetaGeoBetaBinom.fit", "lifetimes BetaGeoBetaBinomFitter.fit"),
                           ("BdW fit", "crmlib BetaDiscreteWeibull.fit", None),
                           ("12-month CLV, intervals", "crmlib customer_lifetime_value, 90% intervals", None)):
        data_label = f"{customers // 1000}k customers" if customers >= 1000 else f"{customers} customers"
        a = run(label, crm, customers, data_label)
        a["ratio"], a["agree"] = "1x", "reference" if lt else NOTES.get(label, "")
        if lt:
            b = run(label, lt, customers, a["data"])
            b["ratio"] = f"{b['median'] / a['median']:.2f}x"
            b["agree"] = agree(compare_params, a["save"] and a["save"].with_suffix(".json"),
                               b["save"] and b["save"].with_suffix(".json")) or b["agree"]


def reader_rows(run_alternating, agree, work: Path, n_rows: int) -> None:
    """(e) reading a CSV export: crmlib.data.read_transactions (validating) against pandas' pyarrow parser.

    One run per process, the two readers taking turns: a ratio of two medians taken under the same load.
    """
    path = csv_path(work, n_rows)
    data = f"{n_rows / 1e6:.0f}M-row CSV, {path.stat().st_size / 1e6:,.0f} MB" if n_rows >= 1e6 else f"{n_rows}-row CSV"
    floor, crm = run_alternating("reader", ["pandas.read_csv(engine='pyarrow')", "crmlib.data.read_transactions"],
                                 n_rows, data, repeats=1)
    floor["ratio"], floor["agree"] = "1x", "floor: parses, no validation"
    crm["ratio"] = f"{crm['median'] / floor['median']:.2f}x"
    same = agree(compare_logs, floor["save"] and floor["save"].with_suffix(".json"),
                 crm["save"] and crm["save"].with_suffix(".json"))
    memory = "" if math.isnan(crm["peak_mb"]) else f"; peak {crm['peak_mb'] / floor['peak_mb']:.2f}x the floor's"
    crm["agree"] = (same or "") + memory


def render(rows, info, args) -> str:
    v = info["versions"]
    flags = "".join(
        f" --{name.replace('_', '-')}" for name in ("quick", "skip_big", "no_spark") if getattr(args, name, False)
    )
    if getattr(args, "only", ",".join(SECTIONS)) != ",".join(SECTIONS):
        flags += f" --only {args.only}"
    lines = [
        (
            f"Run {info['date']} with `python benchmarks/run.py{flags}` on {info['cores']} "
            f"cores ({info['cpu']}), {info['memory']} RAM, Python {info['python']}, {info['os']}."
        ),
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        (
            f"Load average (1, 5, 15 min) at the start {tuple(round(x, 1) for x in info['load'])}, "
            f"at the end {tuple(round(x, 1) for x in info['load_end'])}."
        ),
        "",
        table(rows),
        "Growth with the rows (the same method on logs of different sizes):",
        "",
        growth(rows),
        "The targets of issue 19, measured in this run:",
        "",
        targets(rows),
    ]
    return "\n".join(lines)


def speed_table(rows, info, args) -> str:
    """The project README's speed section: the targets as measured, with the run's command and load."""
    flags = "".join(
        f" --{name.replace('_', '-')}" for name in ("quick", "skip_big", "no_spark") if getattr(args, name, False)
    )
    return (
        f"Measured {info['date']} by `python benchmarks/run.py{flags}` (`make bench`) on {info['cores']} shared cores, "
        f"load average {info['load'][0]:.1f} at the start and {info['load_end'][0]:.1f} at the end; every row, the "
        "peers and the method are in [benchmarks/README.md](benchmarks/README.md).\n\n" + targets(rows)
    )


def targets(rows) -> str:
    """The targets of the issue, measured on the largest log of the run (not asserted anywhere)."""
    sizes = [r["data"] for r in rows if r["task"] == "summary"]
    largest = sizes[-1] if sizes else None
    fits = [r["data"] for r in rows if r["task"] == "BG/NBD fit"]
    fit_data = fits[-1] if fits else None

    def t(task, method, data):
        for r in rows:
            if r["task"] == task and r["method"] == method and r["data"] == data:
                return r
        return None

    out = ["| target | measured | met |", "| --- | --- | --- |"]

    def line(text, value, ok):
        out.append(f"| {text} | {value} | {'yes' if ok else '**no**'} |")

    lt = t("summary", "lifetimes.summary_data_from_transaction_data", largest)
    bare = t("summary", "duckdb bare GROUP BY", largest)
    for method in ("crmlib.rfm.summarize", "crmlib.scale.summarize_file"):
        r = t("summary", method, largest)
        if r and lt:
            x = lt["median"] / r["median"]
            line(f"summary ({largest}): `{method}` ≥ 4x faster than lifetimes", f"{x:.1f}x", x >= 4)
        if r and bare:
            x = r["median"] / bare["median"]
            line(
                f"summary ({largest}): `{method}` within 3x of a bare DuckDB GROUP BY",
                f"{x:.1f}x the bare time",
                x <= 3,
            )
    for label, crm, lt_name, goal in (
        ("BG/NBD fit", "crmlib BetaGeo.fit", "lifetimes BetaGeoFitter.fit", 5),
        ("12-month CLV", "crmlib customer_lifetime_value", "lifetimes customer_lifetime_value", 10),
    ):
        a, b = t(label, crm, fit_data), t(label, lt_name, fit_data)
        if a and b:
            x = b["median"] / a["median"]
            line(f"{label} ({fit_data}): crmlib ≥ {goal}x faster than lifetimes", f"{x:.1f}x", x >= goal)
    pareto = t("Pareto/NBD fit", "crmlib ParetoNBD.fit", fit_data)
    if pareto and not math.isnan(pareto["median"]):
        line(f"Pareto/NBD fit ({fit_data}): under 10 s", fmt_time(pareto["median"]), pareto["median"] < 10)
    # the largest file of the run, and the bare query on the same file
    big = [r for r in rows if r["task"] == "big file" and r["method"] == "crmlib.scale.summarize_file"]
    big = sorted(big, key=lambda r: r["rows"] or 0)[-1:]
    if big and not math.isnan(big[0]["peak_mb"]):
        line(f"{big[0]['data']}: `summarize_file` peak memory < 2 GB", f"{big[0]['peak_mb']:,.0f} MB "
             f"in {fmt_time(big[0]['median'])}", big[0]["peak_mb"] < 2048)
    bare_big = [r for r in rows if big and r["task"] == "big file" and r["method"] == "duckdb bare GROUP BY"
                and r["data"] == big[0]["data"]]
    if big and bare_big:
        x = big[0]["median"] / bare_big[0]["median"]
        line(
            f"{big[0]['data']}: `summarize_file` within 2x of a bare DuckDB GROUP BY", f"{x:.1f}x the bare time", x <= 2
        )
    reader = [r["data"] for r in rows if r["task"] == "reader"]
    if reader:
        floor = t("reader", "pandas.read_csv(engine='pyarrow')", reader[-1])
        crm = t("reader", "crmlib.data.read_transactions", reader[-1])
        if floor and crm:
            x = crm["median"] / floor["median"]
            line(f"reader ({reader[-1]}): `read_transactions` within 2x of `pandas.read_csv(engine='pyarrow')`",
                 f"{x:.1f}x", x <= 2)
            if not math.isnan(crm["peak_mb"]):
                m = crm["peak_mb"] / floor["peak_mb"]
                line(f"reader ({reader[-1]}): `read_transactions` peak memory at most 1.5x pandas'",
                     f"{crm['peak_mb']:,.0f} MB vs {floor['peak_mb']:,.0f} MB ({m:.2f}x)", m <= 1.5)
    course = [r for r in rows if r["task"] == "course" and not math.isnan(r["median"])]
    if len(course) == 2:
        kit, floor_row = course
        wall, cpu = kit["median"] / floor_row["median"], kit["cpu"] / floor_row["cpu"]
        line(
            "course (10 chapters + site): `crmlib course` within 1.5x of its floor",
            f"{wall:.2f}x wall ({fmt_time(kit['median'])} vs {fmt_time(floor_row['median'])}), {cpu:.2f}x CPU",
            wall <= 1.5 and cpu <= 1.5,
        )
        line("course (10 chapters + site): under 2 minutes", fmt_time(kit["median"]), kit["median"] < 120)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
