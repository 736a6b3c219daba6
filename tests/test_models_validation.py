"""Validation helpers: holdout table, tracking of repeat purchases, matrices, frequency histogram."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.models import (
    BetaGeo,
    ModelError,
    expected_purchases_matrix,
    holdout_comparison,
    probability_alive_matrix,
    repeat_frequency_table,
    tracking,
)


class LinearModel:
    """A stand-in model whose expectations are easy to do by hand: E[X(t)] = t / 2 (half a purchase per week)."""

    unit_ = "W"
    params_: dict = {}

    def _check_fitted(self):
        pass

    def expected_purchases(self, t):
        return np.asarray(t, dtype=float) / 2

    def conditional_expected_purchases(self, t, frequency, recency, T):
        return np.asarray(t, dtype=float) * (1 + np.asarray(frequency, dtype=float)) / 10


def test_tracking_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-09", "2024-01-08", "2024-01-20", "2024-01-16"]
            ),
            "amount": 1.0,
        }
    )
    out = tracking(LinearModel(), tx, calibration_end="2024-01-14", observation_end="2024-01-21")
    # weeks: 1 = Jan 1-7, 2 = Jan 8-14, 3 = Jan 15-21; c starts after calibration_end, so is not in the base.
    # a's two rows on Jan 1 are one purchase day; repeat purchase days: a on Jan 9 (week 2), b on Jan 20 (week 3).
    assert out["actual"].tolist() == [0.0, 1.0, 1.0]
    # expected cumulative at the end of week k: a has (last day - Jan 1)/7 weeks, b (last day - Jan 8)/7
    # week 1 ends Jan 7: a 6/7 -> 3/7; week 2 ends Jan 14: a 13/7, b 6/7 -> 19/14; week 3: a 20/7, b 13/7 -> 33/14
    np.testing.assert_allclose(out["expected_cumulative"], [3 / 7, 19 / 14, 33 / 14])
    np.testing.assert_allclose(out["expected"], [3 / 7, 19 / 14 - 3 / 7, 1.0])
    assert out.attrs["calibration_period"] == 2
    assert out["period_end"].iloc[-1] == pd.Timestamp("2024-01-21")


def test_holdout_comparison_by_hand():
    data = pd.DataFrame(
        {
            "frequency": [0, 0, 1, 3, 5],
            "recency": [0.0, 0, 2, 5, 6],
            "T": [8.0] * 5,
            "frequency_holdout": [0, 1, 2, 3, 5],
            "duration_holdout": [10.0] * 5,
        }
    )
    table = holdout_comparison(LinearModel(), data, max_frequency=3)
    assert table.index.tolist() == ["0", "1", "3+"]
    assert table["customers"].tolist() == [2, 1, 2]
    np.testing.assert_allclose(table["actual"], [0.5, 2.0, 4.0])
    np.testing.assert_allclose(table["predicted"], [1.0, 2.0, (4.0 + 6.0) / 2])


@pytest.fixture()
def cdnow_bg():
    model = BetaGeo()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    model.unit_ = "W"
    return model


def test_matrices(cdnow_bg):
    alive = probability_alive_matrix(cdnow_bg, max_frequency=5, T=39.0, points=6)
    assert alive.shape == (6, 6)
    assert alive.loc[0].iloc[0] == 1.0 and alive.loc[0].iloc[1:].isna().all()
    # for x > 0, the more recent the last purchase the likelier alive; at recency = T the probability is the
    # hand value 1 / (1 + a / (b + x - 1))
    assert (alive.loc[1:].diff(axis=1).iloc[:, 1:] > 0).all().all()
    assert alive.loc[2].iloc[-1] == pytest.approx(1 / (1 + 0.793 / (2.426 + 1)))
    ex = expected_purchases_matrix(cdnow_bg, 10.0, max_frequency=5, T=39.0, points=6)
    assert ex.loc[5].iloc[-1] > ex.loc[1].iloc[-1] > 0
    with pytest.raises(ModelError, match="Give T"):
        probability_alive_matrix(cdnow_bg, max_frequency=3)


def test_repeat_frequency_table_totals(cdnow_bg):
    s = pd.DataFrame({"frequency": [0, 0, 1, 2, 9], "recency": [0.0, 0, 3, 9, 30], "T": [39.0, 30, 39, 39, 30]})
    table = repeat_frequency_table(cdnow_bg, s, max_frequency=3)
    assert table["actual"].tolist() == [2.0, 1.0, 1.0, 1.0]
    assert table["expected"].sum() == pytest.approx(5.0)
    # first row: sum over customers of P(X(T_i) = 0)
    p0 = cdnow_bg.probability_of_purchases(0, 39.0) * 3 + cdnow_bg.probability_of_purchases(0, 30.0) * 2
    assert table["expected"].iloc[0] == pytest.approx(p0)


def test_unknown_unit_message():
    model = BetaGeo()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    model.unit_ = None
    tx = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-01-01"]), "amount": [1.0]})
    with pytest.raises(ModelError, match="does not know the time unit of its data"):
        tracking(model, tx, calibration_end="2024-01-01")


def test_alive_path_of_one_customer(cdnow_bg):
    from crmlib.models import alive_path

    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b"],
            "amount": 1.0,
            "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-01", "2024-01-03"]),
        }
    )
    path = alive_path(cdnow_bg, tx, "a", observation_end="2024-03-31")
    assert path.index[0] == pd.Timestamp("2024-01-01") and path.index[-1] == pd.Timestamp("2024-03-31")
    assert path["purchase"].sum() == 2 + 1  # the two rows of Jan 1 are one purchase day
    day = path.loc["2024-02-10"]
    # on Feb 10: 2 repeat purchase days, the last 31 days after the first, observed 40 days (in weeks)
    assert (day["frequency"], day["recency"], day["T"]) == (2, pytest.approx(31 / 7), pytest.approx(40 / 7))
    assert day["probability_alive"] == pytest.approx(cdnow_bg.probability_alive(2, 31 / 7, 40 / 7))
    # it jumps back up on a purchase day and decays while the customer is silent
    p = path["probability_alive"]
    assert p.loc["2024-02-01"] > p.loc["2024-01-31"] and p.iloc[-1] < p.loc["2024-02-01"]
    with pytest.raises(ModelError, match="customer 'zz' has no transactions"):
        alive_path(cdnow_bg, tx, "zz")
