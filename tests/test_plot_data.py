"""Charts of chapter 00 (crmlib/plot/_data.py): what they draw is counted by hand on a tiny log."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import crmlib.plot as cplot
from crmlib.data import DataError
from crmlib.params import ParameterError


@pytest.fixture
def log() -> pd.DataFrame:
    # a: 3 rows (two on 2024-01-05, one in March); b: 1 row in January; c: first purchase in March, one in April.
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "a", "c", "c"],
            "date": pd.to_datetime(
                ["2024-01-05", "2024-01-05", "2024-01-20", "2024-03-02", "2024-03-30", "2024-04-01"]
            ),
            "amount": [10.0, 5.0, 40.0, 20.0, 1000.0, 25.0],
        }
    )


def _heights(ax):
    return [p.get_height() for p in ax.patches]


def test_transactions_per_month_counts_rows_and_shows_empty_months(log):
    before = log.copy()
    ax = cplot.transactions_per_month(log)
    # January: a, a, b = 3 rows; February: none; March: a, c = 2; April: c = 1.
    assert _heights(ax) == [3.0, 0.0, 2.0, 1.0]
    pd.testing.assert_frame_equal(log, before)  # the caller's frame is untouched


def test_customers_acquired_per_month_uses_the_first_purchase(log):
    ax = cplot.customers_acquired_per_month(log)
    # first purchases: a 2024-01-05, b 2024-01-20, c 2024-03-30 -> Jan 2, Feb 0, Mar 1
    assert _heights(ax) == [2.0, 0.0, 1.0]


def test_charts_draw_on_the_given_axes():
    tx = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-01-01"]), "amount": [1.0]})
    fig, (left, right) = plt.subplots(1, 2)
    assert cplot.transactions_per_month(tx, ax=left) is left
    assert cplot.spend_per_purchase(tx, ax=right) is right
    assert len(fig.axes) == 2


def test_spend_per_purchase_counts_everything_and_says_what_is_cut(log):
    ax = cplot.spend_per_purchase(log, bins=4, upper_quantile=1.0)
    assert sum(_heights(ax)) == 6
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # mean (10 + 5 + 40 + 20 + 1000 + 25) / 6 = 183.33; median of 5, 10, 20, 25, 40, 1000 = (20 + 25) / 2 = 22.5
    assert labels == ["mean 183.33", "median 22.50"]
    assert not ax.texts

    ax = cplot.spend_per_purchase(log, bins=4, upper_quantile=0.8)
    # the 0.8 quantile of the six amounts is 40 (numpy's linear rule): 1000 lies beyond
    assert sum(_heights(ax)) == 5
    assert "1 transactions above 40.00" in ax.texts[0].get_text()


def test_purchases_per_customer_buckets_the_tail():
    summary = pd.DataFrame({"frequency": [0, 0, 0, 1, 2, 7, 30]})
    ax = cplot.purchases_per_customer(summary, max_count=4)
    # purchase days = frequency + 1: 1, 1, 1, 2, 3, 8, 31 -> [1]: 3, [2]: 1, [3]: 1, [4+]: 2
    assert _heights(ax) == [3.0, 1.0, 1.0, 2.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4+"]
    assert "43% bought on one day only" in ax.texts[0].get_text()  # 3 of 7


def test_acquisition_channels_counts_and_labels_costs():
    customers = pd.DataFrame({"channel": ["web", "store", "web", "web"], "acquisition_cost": [30.0, 12.0, 30.0, 30.0]})
    ax = cplot.acquisition_channels(customers)
    assert [p.get_width() for p in ax.patches] == [1.0, 3.0]  # sorted from the smallest
    assert [t.get_text().strip() for t in ax.texts] == ["12 per customer", "30 per customer"]


def test_recency_vs_age_labels_the_unit_and_samples():
    rng = np.random.default_rng(1)
    T = rng.uniform(10, 50, 500)
    summary = pd.DataFrame({"frequency": rng.integers(0, 5, 500), "recency": T * rng.uniform(0, 1, 500), "T": T})
    ax = cplot.recency_vs_age(summary, unit="M", sample=100)
    assert ax.get_xlabel() == "age T: months since the first purchase"
    assert len(ax.collections[0].get_offsets()) == 100
    assert "100 of 500 customers" in ax.get_title()


def test_chart_errors_name_the_problem(log):
    with pytest.raises(
        DataError, match="transactions_per_month needs the columns customer_id, date and amount; missing: amount"
    ):
        cplot.transactions_per_month(log.drop(columns="amount"))
    with pytest.raises(DataError, match="purchases_per_customer needs the output of crmlib.rfm.summarize"):
        cplot.purchases_per_customer(log)
    with pytest.raises(DataError, match="missing: acquisition_cost"):
        cplot.acquisition_channels(pd.DataFrame({"channel": ["web"]}))
    with pytest.raises(
        ParameterError, match=r"The 'upper_quantile' parameter of spend_per_purchase must be a number in \(0, 1\]"
    ):
        cplot.spend_per_purchase(log, upper_quantile=0)
    with pytest.raises(ParameterError, match="The 'unit' parameter of recency_vs_age must be one of 'D'"):
        cplot.recency_vs_age(pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [1.0]}), unit="weeks")
