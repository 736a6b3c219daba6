"""Intervals from the parameters' sampling distribution: coverage in simulated replications, CLV and equity ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_models_simulators import simulate_bgnbd

import crmlib.models.uncertainty as uncertainty
from crmlib.models import (
    BetaGeo,
    GammaGamma,
    ModelError,
    ParetoNBD,
    ShiftedBetaGeo,
    customer_lifetime_value,
    predictive_interval,
)

TRUTH_BG = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
TRUTH_GG = {"p": 6.0, "q": 4.0, "v": 15.0}
#: Replications of the coverage test. With true coverage 0.90, the number of intervals (of 100) that cover the
#: truth is Binomial(100, 0.9): outside [80, 98] with probability 0.2%.
REPLICATIONS = 100
CLV = {"horizon": 1, "horizon_unit": "Y", "step": "Y", "discount_rate": 0.1}


def _truth_models():
    bg, gg = BetaGeo(), GammaGamma()
    bg.params_, bg.unit_ = dict(TRUTH_BG), "W"
    gg.params_ = dict(TRUTH_GG)
    return bg, gg


@pytest.mark.slow
def test_intervals_cover_the_truth_in_about_their_nominal_share():
    # Each replication: 800 simulated customers (BG/NBD purchases, Gamma-Gamma spend, known parameters), both models
    # fitted, 90% intervals (200 parameter draws) for three fixed customers' P(alive), 1-year expected purchases and
    # CLV, and for the equity of the simulated base. The truth of each is the same quantity at the true parameters
    # (the value the estimate estimates). Counted over REPLICATIONS = 100 replications.
    true_bg, true_gg = _truth_models()
    fixed = pd.DataFrame(
        {"frequency": [0, 3, 8], "recency": [0.0, 20.0, 35.0], "T": [38.0] * 3, "monetary_value": [0.0, 25.0, 40.0]}
    )
    hits = {k: 0 for k in ("probability_alive", "expected_purchases", "clv", "equity")}
    for rep in range(REPLICATIONS):
        base = simulate_bgnbd(800, **TRUTH_BG, seed=5000 + rep, with_spend=tuple(TRUTH_GG.values()))
        data = pd.concat([fixed, base], ignore_index=True)
        bg, gg = BetaGeo().fit(data, unit="W"), GammaGamma().fit(data)
        out = customer_lifetime_value(bg, gg, data, **CLV, interval=0.9, draws=200, seed=rep)
        truth = customer_lifetime_value(true_bg, true_gg, data, **CLV)
        for col in ("probability_alive", "expected_purchases", "clv"):
            inside = (out[f"{col}_lower"] <= truth[col]) & (truth[col] <= out[f"{col}_upper"])
            hits[col] += int(inside.iloc[1])  # customer (3, 20, 38): P(alive) < 1 (customer 0 is alive for sure)
        eq = out.attrs["equity"]
        hits["equity"] += int(eq["lower"] <= truth["clv"].sum() <= eq["upper"])
    for name, count in hits.items():
        assert 80 <= count <= 98, (name, count, hits)


def test_clv_intervals_bracket_the_estimates_and_equity_is_a_range():
    data = simulate_bgnbd(1500, **TRUTH_BG, seed=3, with_spend=tuple(TRUTH_GG.values()))
    bg, gg = BetaGeo().fit(data, unit="W"), GammaGamma().fit(data)
    out = customer_lifetime_value(bg, gg, data, horizon=12, interval=0.9, draws=100, seed=7)
    for col in ("probability_alive", "expected_purchases", "clv"):
        assert (out[f"{col}_lower"] <= out[col] + 1e-12).all() and (out[col] <= out[f"{col}_upper"] + 1e-12).all()
    eq = out.attrs["equity"]
    assert eq["lower"] < eq["estimate"] < eq["upper"] and eq["level"] == 0.9 and "asymptotic normal" in eq["method"]
    # the range of the total is far narrower than the sum of the customers' ranges (they move together, not apart)
    assert eq["upper"] - eq["lower"] < (out["clv_upper"] - out["clv_lower"]).sum()
    # same seed, same intervals; the chunked computation (small memory budget) gives the same numbers
    again = customer_lifetime_value(bg, gg, data, horizon=12, interval=0.9, draws=100, seed=7)
    pd.testing.assert_frame_equal(out, again)


def test_chunking_does_not_change_the_intervals(monkeypatch):
    data = simulate_bgnbd(400, **TRUTH_BG, seed=4, with_spend=tuple(TRUTH_GG.values()))
    pn, gg = ParetoNBD().fit(data, unit="W"), GammaGamma().fit(data)
    whole = customer_lifetime_value(pn, gg, data, horizon=3, interval=0.8, draws=30, seed=1)
    band = predictive_interval(pn.probability_alive, data["frequency"], data["recency"], data["T"], draws=30)
    monkeypatch.setattr(uncertainty, "CHUNK_CELLS", 2999)  # 100 customers at a time
    pieces = customer_lifetime_value(pn, gg, data, horizon=3, interval=0.8, draws=30, seed=1)
    pd.testing.assert_frame_equal(whole, pieces, rtol=1e-12)
    np.testing.assert_allclose(
        band, predictive_interval(pn.probability_alive, data["frequency"], data["recency"], data["T"], draws=30)
    )


def test_predictive_interval_of_any_prediction():
    sbg = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    band = predictive_interval(sbg.survival, np.arange(1, 13), level=0.9, draws=400)
    assert list(band.columns) == ["estimate", "lower", "upper"] and len(band) == 12
    assert (band["lower"] < band["estimate"]).all() and (band["estimate"] < band["upper"]).all()
    relative = ((band["upper"] - band["lower"]) / band["estimate"]).to_numpy()
    assert relative[11] > relative[6]  # projecting beyond the 7 years of data is less certain
    assert band.attrs["draws"] == 400 and "asymptotic normal" in band.attrs["method"]
    with pytest.raises(ModelError, match="give a bound method of a fitted model"):
        predictive_interval(np.exp, 1.0)


def test_large_bases_expand_the_hypergeometric_term_and_agree_with_exact_draws(monkeypatch):
    # Above a budget of evaluations the BG/NBD's expected purchases if alive are carried to the draws by the
    # second-order expansion of their logarithm; on 4,000 customers both ways must give the same bounds to within
    # 2% of the interval's width (0.5% for most customers). The error shrinks as the base grows.
    data = simulate_bgnbd(4000, **TRUTH_BG, seed=8, with_spend=tuple(TRUTH_GG.values()))
    data["T"] = np.ceil(data["T"])  # whole weeks, as a summary of daily data has few distinct T
    bg, gg = BetaGeo().fit(data, unit="W"), GammaGamma().fit(data)
    exact = customer_lifetime_value(bg, gg, data, horizon=6, interval=0.9, draws=100, seed=2)
    monkeypatch.setattr(uncertainty, "EXACT_PAIR_EVALUATIONS", 0)
    expanded = customer_lifetime_value(bg, gg, data, horizon=6, interval=0.9, draws=100, seed=2)
    for col in ("expected_purchases", "clv"):
        width = (exact[f"{col}_upper"] - exact[f"{col}_lower"]).to_numpy()
        for side in ("lower", "upper"):
            ratio = np.abs(expanded[f"{col}_{side}"] - exact[f"{col}_{side}"]).to_numpy() / np.maximum(width, 1e-300)
            assert np.max(ratio) < 0.02 and np.median(ratio) < 0.005, (col, side, np.max(ratio), np.median(ratio))
    e, x = exact.attrs["equity"], expanded.attrs["equity"]
    assert abs(e["lower"] - x["lower"]) < 0.01 * (e["upper"] - e["lower"])


def test_bounds_follow_the_customers_of_an_indexed_summary():
    # a summary indexed by customer ids: each customer's bounds must be hers (assigned by position, not aligned)
    data = simulate_bgnbd(300, **TRUTH_BG, seed=6, with_spend=tuple(TRUTH_GG.values()))
    data.index = pd.Index([f"C{i:04d}" for i in range(len(data))][::-1], name="customer_id")
    bg, gg = BetaGeo().fit(data, unit="W"), GammaGamma().fit(data)
    out = customer_lifetime_value(bg, gg, data, horizon=6, interval=0.9, draws=50, seed=3)
    assert out.index.equals(data.index) and out.notna().all().all()
    assert ((out["clv_lower"] <= out["clv"]) & (out["clv"] <= out["clv_upper"])).all()
    draws = np.random.default_rng(0).normal(size=(201, 5))  # ranks 10 and 190 of 201 are the 5% and 95% quantiles
    np.testing.assert_allclose(uncertainty._bounds(draws, 0.05), np.quantile(draws, [0.05, 0.95], axis=0))
