"""Model charts and explorers: they draw, return their Axes / widget, and react to their controls."""

from __future__ import annotations

import pandas as pd

from crmlib import plot
from crmlib.models import (
    BetaDiscreteWeibull,
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    ShiftedBetaGeo,
    alive_path,
    holdout_comparison,
    probability_alive_matrix,
    repeat_frequency_table,
    tracking,
)
from crmlib.widgets import AliveExplorer, RetentionProjector

REGULAR_12 = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def _bg():
    m = BetaGeo()
    m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    m.unit_ = "W"
    return m


def test_charts_return_axes():
    m = _bg()
    tx = pd.DataFrame(
        {
            "customer_id": list("aabbc"),
            "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-03", "2024-02-01", "2024-01-05"]),
            "amount": 1.0,
        }
    )
    ax = plot.tracking_purchases(tracking(m, tx, calibration_end="2024-01-21"), cumulative=False)
    assert ax.get_lines()
    d = pd.DataFrame(
        {
            "frequency": [0, 1, 3],
            "recency": [0.0, 2, 9],
            "T": [10.0] * 3,
            "frequency_holdout": [0, 1, 2],
            "duration_holdout": [5.0] * 3,
        }
    )
    assert plot.holdout_purchases(holdout_comparison(m, d, max_frequency=2)).get_lines()
    assert plot.alive_matrix(probability_alive_matrix(m, max_frequency=5, T=39)).images
    assert len(plot.repeat_frequency_fit(repeat_frequency_table(m, d, max_frequency=2)).patches) == 6
    ax = plot.retention_projection(REGULAR_12, calibration_periods=7, periods=12)
    assert len(ax.get_lines()) == 7  # data, later data, sBG, three naive curves, calibration line


def test_explorers_react():
    w = RetentionProjector(REGULAR_12, calibration_periods=7)
    assert "alpha = 0.704" in w.result.value  # Fader and Hardie (2007): regular cohort, years 1-7
    w.controls["calibration_periods"].value = 3
    assert "periods 1-3" in w.result.value and w.chart.value
    e = AliveExplorer(_bg())
    e.controls["frequency"].value = 0
    assert "P(alive) = 1.000" in e.result.value


def test_heterogeneity_plots_every_model():
    bg = _bg()
    pn = ParetoNBD()
    pn.params_, pn.unit_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, "W"
    gg = GammaGamma()
    gg.params_ = {"p": 6.25, "q": 3.74, "v": 15.44}
    bb = BetaGeoBetaBinom()
    bb.params_ = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    sbg, bdw = ShiftedBetaGeo(), BetaDiscreteWeibull()
    sbg.params_, bdw.params_ = {"alpha": 0.704, "beta": 1.182}, {"alpha": 0.46, "beta": 0.78, "c": 1.28}
    cases = [
        (bg, "purchase", "per week"),
        (bg, "dropout", "after a purchase"),
        (pn, "dropout", "Death rate"),
        (gg, "spend", "Mean spend"),
        (bb, "purchase", "per opportunity"),
        (bb, "dropout", "Death probability"),
        (sbg, "dropout", "Churn probability"),
        (bdw, "dropout", "Churn probability"),
    ]
    for model, process, word in cases:
        ax = plot.heterogeneity(model, process)
        assert word in ax.get_xlabel() and ax.get_lines()
    import pytest

    with pytest.raises(ValueError, match="GammaGamma has no 'purchase' distribution"):
        plot.heterogeneity(gg, "purchase")


def test_alive_path_chart_and_bdw_in_the_projector():
    tx = pd.DataFrame(
        {"customer_id": ["a"] * 3, "amount": 1.0, "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-10"])}
    )
    ax = plot.alive_path(alive_path(_bg(), tx, "a", observation_end="2024-04-30"))
    assert ax.get_ylabel() == "P(alive)" and "a" in ax.get_title()
    w = RetentionProjector(REGULAR_12, calibration_periods=7)
    w.controls["bdw"].value = True
    assert "BdW</b>: c = " in w.result.value
    w.controls["calibration_periods"].value = 2
    assert "BdW not fitted" in w.result.value  # two periods of churn cannot identify three parameters
