"""crmlib.scale on Spark: the same SQL as DuckDB, run by Spark SQL in local mode on small data.

Skipped when pyspark is not installed (``pip install pyspark``; needs Java 17+). One local[1] session
serves every test; its settings make tiny jobs start fast (no UI, one shuffle partition, no
whole-stage code generation, a quick-starting JVM).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark; Java 17+ needed)")
if shutil.which("java") is None:  # pragma: no cover - depends on the machine
    pytest.skip("Spark needs Java 17 or later on the PATH", allow_module_level=True)

from crmlib.data import DataError  # noqa: E402 - after the skips above
from crmlib.rfm import summarize  # noqa: E402
from crmlib.scale import summarize_file, summarize_spark  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    # pyspark 4.x warns that it is not tested with pandas 3; crmlib collects results through Arrow.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("crmlib-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _log(seed: int = 0, n: int = 1500, customers: int = 150) -> pd.DataFrame:
    """Whole-number amounts (every float sum exact in any order), many same-day purchases, text ids."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:03d}" for i in range(customers - 1)] + ["Zoë"], dtype=object)
    return pd.DataFrame(
        {
            "customer_id": ids[rng.integers(0, customers, n)],
            "date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 30, n) * 86400 + rng.integers(0, 86400, n), unit="s"),
            "amount": rng.integers(1, 300, n).astype(float),
        }
    )


def test_spark_parquet_equals_rfm_summarize(spark, tmp_path):
    tx = _log(seed=1)
    path = tmp_path / "log.parquet"
    tx.to_parquet(path, index=False, coerce_timestamps="us")
    got = summarize_spark(str(path), spark, unit="W", observation_end="2024-01-20")
    pd.testing.assert_frame_equal(got, summarize(tx, unit="W", observation_end="2024-01-20"), check_exact=True)


def test_spark_csv_other_names_collapsed_through_summarize_file(spark, tmp_path):
    # engine="spark" uses the active session (the fixture's); CSV columns arrive as text, dates ISO with times.
    tx = _log(seed=2)
    path = tmp_path / "orders.csv"
    tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d %H:%M:%S")).rename(
        columns={"customer_id": "client", "date": "order date", "amount": "total"}
    ).to_csv(path, index=False)
    got = summarize_file(
        path, engine="spark", customer="client", date="order date", amount="total", unit="M", collapse=True
    )
    want = summarize(tx, unit="M").groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_spark_dataframe_and_errors(spark, tmp_path):
    tx = _log(seed=3, n=400, customers=60)
    rows = list(zip(tx["customer_id"], tx["date"].dt.strftime("%Y-%m-%d"), tx["amount"].astype(float)))
    frame = spark.createDataFrame(rows, "customer_id string, date string, amount double")
    got = summarize_spark(frame, spark, unit="D")
    pd.testing.assert_frame_equal(got, summarize(tx.assign(date=tx["date"].dt.normalize())), check_exact=True)
    with pytest.raises(
        DataError,
        match=r"column not found in the Spark DataFrame: customer='client'\. "
        r"Columns present: 'customer_id', 'date', 'amount'",
    ):
        summarize_spark(frame, spark, customer="client")
    bad = spark.createDataFrame([("a", "31/12/2024", 1.0)], "customer_id string, date string, amount double")
    with pytest.raises(DataError, match=r"Spark could not summarize the Spark DataFrame.*ISO 8601"):
        summarize_spark(bad, spark)
    nanos = tmp_path / "nanos.parquet"
    tx.assign(date=tx["date"].astype("datetime64[ns]")).to_parquet(nanos, index=False)  # Spark cannot read ns
    with pytest.raises(DataError, match=r"Spark cannot read .*nanos.parquet.*coerce_timestamps='us'"):
        summarize_spark(str(nanos), spark)
