"""benchmarks/run.py runs end to end on tiny data (--quick) and leaves README.md alone."""

from __future__ import annotations

import subprocess
import sys


def test_benchmark_quick_run(root, tmp_path):
    readme = root / "benchmarks" / "README.md"
    before = readme.read_text() if readme.exists() else None
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "run.py"), "--quick", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    # every task ran, and each comparison was checked
    for method in (
        "crmlib.rfm.summarize",
        "crmlib.scale.summarize_file",
        "lifetimes.summary_data_from_transaction_data",
        "pandas groupby",
        "duckdb bare GROUP BY",
        "crmlib BetaGeo.fit",
        "lifetimes BetaGeoFitter.fit",
        "crmlib GammaGamma.fit",
        "lifetimes GammaGammaFitter.fit",
        "lifetimes customer_lifetime_value",
        "crmlib ModifiedBetaGeo.fit",
        "lifetimes ModifiedBetaGeoFitter.fit",
        "crmlib ParetoNBD.fit",
        "crmlib BetaGeoBetaBinom.fit",
        "lifetimes BetaGeoBetaBinomFitter.fit",
        "crmlib BetaDiscreteWeibull.fit",
        "crmlib customer_lifetime_value, 90% intervals",
    ):
        assert f"| {method} |" in out, method
    assert out.count("F, R, T identical") == 3  # summarize_file, lifetimes, pandas agree with crmlib.rfm.summarize
    # BG/NBD, Gamma-Gamma, MBG/NBD and BG/BB parameters within 1e-3 (or crmlib's maximum higher), CLV within 1e-6
    assert out.count("(ok)") == 5
    assert "ABOVE" not in out
    assert (readme.read_text() if readme.exists() else None) == before
