"""``crmlib.report.make_report``: the pipeline checked on its result object, against data with a known truth.

The log is drawn from :func:`crmlib.datasets.make_retail` (BG/NBD r=0.5, alpha=8 weeks, a=0.8, b=4; Gamma-Gamma
p=6, q=4, v=15); the expected values are computed here from the generator's frames or from the library's own
functions, never copied from a run.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from report_harness import retail

from crmlib import tiers
from crmlib.params import ParameterError
from crmlib.report import (
    ACTIONS,
    CUSTOMER_COLUMNS,
    REPORT_FILES,
    ModelStatus,
    ReportError,
    ReportSettings,
    make_report,
)
from crmlib.report._settings import check_settings
from crmlib.report._trust import check_calibration, check_holdout, check_intervals, check_shapes


@pytest.fixture(scope="module")
def truth():
    return retail(3000, seed=21)


@pytest.fixture(scope="module")
def frame(truth):
    """The log as a user's frame: other column names, and two per-customer columns."""
    info = truth.customers.set_index("customer_id")
    tx = truth.transactions
    return pd.DataFrame(
        {
            "Client": tx["customer_id"],
            "Day": tx["date"],
            "Sales": tx["amount"],
            "Region": tx["customer_id"].map(info["region"]),
            "Channel": tx["customer_id"].map(info["channel"]),
        }
    )


READER = {"customer": "Client", "date": "Day", "amount": "Sales"}


@pytest.fixture(scope="module")
def report(frame):
    return make_report(frame, reader=READER, by="Region", interval_draws=10)


def test_the_models_are_fitted_trusted_and_recover_the_truth(report, truth):
    assert report.status() == {"bg_nbd": "fitted", "gamma_gamma": "fitted"}
    assert report.trusted
    est = report.models["bg_nbd"].estimates["estimate"]
    for name in ("r", "alpha", "a", "b"):  # alpha in weeks, as generated
        assert est[name] == pytest.approx(truth.params[name], rel=0.35), name
    lower, upper = report.models["bg_nbd"].estimates.loc["r", ["lower_95", "upper_95"]]
    assert lower < truth.params["r"] < upper
    spend = report.models["gamma_gamma"].estimates["estimate"]
    mean_spend = spend["p"] * spend["v"] / (spend["q"] - 1)
    true_mean = truth.params["p"] * truth.params["v"] / (truth.params["q"] - 1)
    assert mean_spend == pytest.approx(true_mean, rel=0.15)
    assert abs(report.holdout["error"]) <= report.settings.holdout_tolerance


def test_customers_table_one_row_per_customer_with_every_column(report, truth, frame):
    c = report.customers
    assert list(c.columns) == [*CUSTOMER_COLUMNS, "Region", "Channel"]
    assert c.index.is_unique and set(c.index) == set(truth.customers["customer_id"])
    revenue = frame.groupby("Client")["Sales"].sum()
    assert c["revenue"].to_numpy() == pytest.approx(revenue.reindex(c.index).to_numpy())
    info = truth.customers.set_index("customer_id")
    assert (c["Region"] == info["region"].reindex(c.index)).all()
    assert (c["Channel"] == info["channel"].reindex(c.index)).all()
    # The library's own definitions, not the report's copies of them.
    expected_tier = tiers.pyramid(revenue.reindex(c.index), shares=(0.01, 0.04, 0.15, 0.80)).astype(str)
    assert (c["tier"] == expected_tier).all()
    assert c["p_alive"].between(0, 1).all()
    assert ((c["frequency"] == 0) == (c["p_alive"] == 1)).all()  # BG/NBD: one-time buyers are "alive" by construction
    assert (c["clv_lower_95"] <= c["clv"] + 1e-9).mean() > 0.95


def test_actions_follow_the_stated_order(report):
    c = report.customers
    assert (c.loc[c["at_risk"], "action"] == ACTIONS["at risk"]).all()
    rest = c[~c["at_risk"] & c["campaign_target"]]
    assert (rest["action"] == ACTIONS["campaign"]).all()
    plain = c[~c["at_risk"] & ~c["campaign_target"] & ~((c["frequency"] == 0) & (c["days_since_last_purchase"] < 90))]
    assert (plain["action"] == plain["quadrant"].map(ACTIONS)).all()
    risk = c[c["at_risk"]]
    assert ((risk["p_alive"] < 0.5) & (risk["frequency"] > 0) & risk["tier"].isin(["VIP", "major", "common"])).all()


def test_key_figures_add_up(report):
    kf, c = report.key_figures, report.customers
    assert kf["customers"] == len(c)
    assert kf["revenue"] == pytest.approx(c["revenue"].sum())
    assert kf["customer_equity"] == pytest.approx(c["clv"].sum())
    assert kf["customer_equity_lower_95"] < kf["customer_equity"] < kf["customer_equity_upper_95"]
    assert kf["at_risk_customers"] == int(c["at_risk"].sum())
    assert kf["campaign_customers"] == int(c["campaign_target"].sum())


def test_decisions_name_their_money_and_label_assumptions(report):
    titles = [d.title for d in report.decisions]
    assert titles[0] == "Look after the best customers"
    assert "Do not budget on forecasts yet" not in titles
    campaign = next(d for d in report.decisions if d.title == "Run the retention campaign")
    assert campaign.illustrative and "assumptions" in campaign.evidence
    assert campaign.money == pytest.approx(report.key_figures["campaign_expected_profit"])
    best = report.decisions[0]
    tt = report.tables["tiers"]
    assert best.money == pytest.approx(tt.loc[["VIP", "major"], "revenue"].sum())


def test_by_splits_the_headline_table(report, truth):
    table = report.tables["by_Region"]
    assert table["customers"].sum() == len(report.customers)
    assert table["customers"].to_dict() == truth.customers["region"].value_counts().to_dict()
    assert table["customer_equity"].sum() == pytest.approx(report.key_figures["customer_equity"])
    assert table["at_risk"].sum() == report.key_figures["at_risk_customers"]


def test_without_out_nothing_is_written_and_with_out_every_file(frame, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small = frame[frame["Client"] < "C000400"]
    report = make_report(small, reader=READER, interval_draws=0)
    assert list(tmp_path.iterdir()) == [] and report.paths == {}
    out = tmp_path / "report"
    report = make_report(small, out, reader=READER, interval_draws=0)
    assert set(REPORT_FILES) <= set(report.paths)
    meta = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert meta["models"]["bg_nbd"]["status"] == report.models["bg_nbd"].status
    assert meta["key_figures"]["customers"] == len(report.customers)


def test_the_by_column_must_be_per_customer(frame):
    with pytest.raises(
        ParameterError,
        match="The 'by' column 'Sales' is not a per-customer column of the file; "
        "the per-customer columns are: 'Region', 'Channel'",
    ):
        make_report(frame.head(3000), reader=READER, by="Sales", interval_draws=0)


# --------------------------------------------------------------------------- month over month


def test_compare_counts_new_customers_moves_and_the_change_in_equity(frame, tmp_path):
    frame = frame[frame["Client"] < "C001200"]
    cut = pd.Timestamp("2024-06-30")
    may = make_report(frame[frame["Day"] <= cut], tmp_path / "may", reader=READER, interval_draws=0)
    june = make_report(frame, tmp_path / "june", reader=READER, interval_draws=0, compare=tmp_path / "may")
    comp = june.comparison
    first = frame.groupby("Client")["Day"].min()
    assert sorted(comp.new_customers) == sorted(first.index[first > cut])
    assert comp.lost_customers == []
    assert comp.equity_change == pytest.approx(june.key_figures["customer_equity"] - may.key_figures["customer_equity"])
    both = len(set(may.customers.index) & set(june.customers.index))
    assert comp.tier_migration.drop(index="new").drop(columns="gone").to_numpy().sum() == both
    assert comp.tier_migration.loc["new"].sum() == len(comp.new_customers)
    expected = june.customers.index[
        june.customers["at_risk"] & ~june.customers.index.map(lambda i: bool(may.customers["at_risk"].get(i, False)))
    ]
    assert sorted(comp.newly_at_risk) == sorted(expected)
    meta = json.loads((tmp_path / "june" / "report.json").read_text(encoding="utf-8"))
    assert meta["comparison"]["new_customers"] == len(comp.new_customers)
    assert (tmp_path / "june" / "tables" / "tier_migration.csv").is_file()


def test_compare_with_a_folder_that_holds_no_report(frame, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportError, match="holds no crmlib report"):
        make_report(frame.head(500), reader=READER, compare=tmp_path / "empty", interval_draws=0)


# --------------------------------------------------------------------------- the trust checks, one by one


def _estimates(**params) -> pd.DataFrame:
    rows = {
        name: {"estimate": v, "std_error": se, "lower_95": v - 1.96 * se, "upper_95": v + 1.96 * se}
        for name, (v, se) in params.items()
    }
    return pd.DataFrame(rows).T


def test_boundary_parameters_are_not_trusted():
    status = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    check_shapes(
        status,
        _estimates(r=(0.3, 0.01), alpha=(5.0, 0.2), a=(7e-07, 1e-3), b=(11_487.0, 900.0)),
        ("r", "a", "b"),
        "a longer log",
    )
    assert status.status == "not trusted"
    assert "a = 7e-07, b = 1.1e+04" in status.reasons[0] and status.fixes == ["a longer log"]


def test_an_interval_spanning_zero_is_not_trusted():
    status = ModelStatus("gamma_gamma", "Gamma-Gamma", status="fitted")
    check_intervals(status, _estimates(p=(2.0, 0.1), q=(1.5, 1.0), v=(10.0, 1.0)), "more repeat buyers")
    assert status.status == "not trusted" and "the 95% interval of q from" in status.reasons[0]
    ok = ModelStatus("gamma_gamma", "Gamma-Gamma", status="fitted")
    check_intervals(ok, _estimates(p=(2.0, 0.1), q=(3.0, 0.5), v=(10.0, 1.0)), "")
    assert ok.trusted


def test_a_wide_interval_above_zero_is_not_trusted():
    """Intervals from the model's parameter draws (log scale) never reach zero: their width is what is checked."""
    rows = {
        "a": {"estimate": 0.8, "std_error": 0.9, "lower_95": 0.09, "upper_95": 7.2},  # 7.1 wide: 8.9 times 0.8
        "b": {"estimate": 4.0, "std_error": 0.5, "lower_95": 3.1, "upper_95": 5.1},
    }
    status = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    check_intervals(status, pd.DataFrame(rows).T, "a longer log")
    assert status.status == "not trusted" and status.fixes == ["a longer log"]
    assert "the 95% interval of a from 0.09 to 7.2 is 8.9 times as wide as the estimate 0.8" in status.reasons[0]
    assert status.as_dict()["checks"][0]["passed"] is False  # what report.json says
    rows["a"].update(lower_95=0.5, upper_95=1.3)
    ok = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    check_intervals(ok, pd.DataFrame(rows).T, "")
    assert ok.trusted and "at most 2.35 times as wide as its estimate" in ok.checks[0]["detail"]


def test_a_short_calibration_period_is_not_trusted():
    status = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    assert not check_calibration(status, 56, 28, 20.0, "a year of data")
    assert "56 days, fewer than the 90" in status.reasons[0] and "holdout period covers 28 days" in status.reasons[0]
    long_gaps = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    assert not check_calibration(long_gaps, 120, 60, 90.0, "")
    assert "fewer than 2 typical gaps" in long_gaps.reasons[0]


@pytest.mark.parametrize(
    "predicted, actual, trusted", [(110, 100, True), (130, 100, False), (70, 100, False), (5, 10, False)]
)
def test_the_holdout_bound(predicted, actual, trusted):
    status = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    check_holdout(status, predicted, actual, 0.25, "")
    assert status.trusted is trusted
    if actual < 20:
        assert "too few" in status.reasons[0]


def test_status_as_json_names_the_reason_of_a_skip():
    status = ModelStatus("bg_nbd", "BG/NBD").skip("only 4 customers", "more customers")
    assert status.as_dict()["status"] == "skipped" and status.as_dict()["reason"] == "only 4 customers"


# --------------------------------------------------------------------------- settings


def test_settings_have_one_default_each_and_ranges():
    assert check_settings({}) == ReportSettings()
    with pytest.raises(
        ParameterError,
        match=r"The 'horizon_months' argument of make_report must be a number in "
        r"\(0, 120\] \(months\)\. Got 1000000000\.0 instead\.",
    ):
        check_settings({"horizon_months": 1e9})
    with pytest.raises(ParameterError, match="'margin' argument of make_report is not a setting of the report"):
        check_settings({"margin": 0.3})
    with pytest.raises(ParameterError, match="must stay below 1"):
        check_settings({"vip_share": 0.5, "major_share": 0.3, "common_share": 0.3})


def test_make_report_refuses_a_setting_out_of_range_before_reading(tmp_path):
    with pytest.raises(ParameterError, match="horizon_months"):
        make_report(tmp_path / "does-not-exist.csv", horizon_months=1e9)
    assert np.isfinite(ReportSettings().horizon_months)


def test_the_bootstrap_draws_do_not_depend_on_the_threads(truth):
    """The refits run several at a time; the resamples come from one generator in order, so the draws are the same.

    scipy silences its line-search warning with ``warnings.catch_warnings``, which threads share: the refits must
    neither let that warning through nor leave the process's warning filters changed.
    """
    import warnings

    from crmlib.models import BetaGeo, GammaGamma
    from crmlib.report._pipeline import bootstrap_clv
    from crmlib.rfm import summarize

    summary = summarize(truth.transactions, unit="W")
    bg = BetaGeo().fit(summary, unit="W")
    gg = GammaGamma().fit(summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)])
    settings = check_settings({"interval_draws": 24, "seed": 5})
    said = []
    one, n_one = bootstrap_clv(summary, bg, gg, settings, said.append, threads=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filters = list(warnings.filters)
        four, n_four = bootstrap_clv(summary, bg, gg, settings, said.append, threads=4)
        assert warnings.filters == filters
    assert not [w.message for w in caught if "line search" in str(w.message)]
    assert n_one == n_four == 24 and one.shape == (len(summary), 24)
    np.testing.assert_array_equal(one, four)
    assert len({tuple(column[:50]) for column in one.T}) == 24  # different resamples
    assert said == ["computing intervals (24 refits on resampled customers)"] * 2
