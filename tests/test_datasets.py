"""The bundled data and the synthetic generators: ground truth, moments, loaders, regeneration."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

import crmlib.datasets as ds
from crmlib.params import ParameterError
from crmlib.rfm import summarize

# ---------------------------------------------------------------------------------------------
# make_retail
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_retail():
    """50,000 customers: enough for moment checks with tight tolerances, still well under a second."""
    return ds.make_retail(50_000, seed=7)


def test_bundled_log_model_free_check():
    # summarize on the committed log must reproduce the generator's own per-customer truth EXACTLY.
    tx = ds.load_transactions()
    customers = ds.load_customers().set_index("customer_id")
    summary = summarize(tx, observation_end="2025-06-30")
    assert summary.index.equals(customers.index)
    assert (summary["frequency"] == customers["true_frequency"]).all()
    assert (summary["recency"] == customers["true_recency"]).all()
    assert (summary["T"] == customers["true_T"]).all()
    assert np.abs(summary["monetary_value"] - customers["true_monetary_value"]).max() < 1e-9


def test_generated_truth_equals_summarize_in_weeks():
    data = ds.make_retail(3000, seed=3)
    summary = summarize(data.transactions, observation_end=data.params["observation_end"], unit="W")
    truth = data.truth
    assert (summary["frequency"] == truth["frequency"]).all()
    assert np.allclose(summary["recency"], truth["recency"] / 7, rtol=0, atol=1e-12)
    assert np.allclose(summary["T"], truth["T"] / 7, rtol=0, atol=1e-12)
    assert np.abs(summary["monetary_value"] - truth["monetary_value"]).max() < 1e-9


def test_same_day_purchases_exist_and_are_separate_rows(big_retail):
    # The log keeps same-day purchases as separate rows, so the merging rule is exercised.
    tx = big_retail.transactions
    assert tx.duplicated(["customer_id", "date"]).any()
    # true_purchases counts every drawn purchase: exactly the number of rows per customer
    rows = tx.groupby("customer_id").size()
    assert (rows.reindex(big_retail.customers["customer_id"]).to_numpy() == big_retail.customers["true_purchases"]).all()


def test_signup_is_first_purchase_and_cohorts_cover_the_window():
    tx = ds.load_transactions()
    customers = ds.load_customers().set_index("customer_id")
    first = tx.groupby("customer_id")["date"].min()
    assert (first == customers["signup_date"]).all()
    months = customers["signup_date"].dt.to_period("M").value_counts().sort_index()
    assert list(months.index.astype(str)) == [f"2023-{m:02d}" for m in range(1, 13)]
    # uniform acquisition over 365 days: each month gets days_in_month/365 of 5000 (± 4 sd)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    expected = 5000 * days / 365
    sd = np.sqrt(5000 * days / 365 * (1 - days / 365))
    assert np.all(np.abs(months.to_numpy() - expected) < 4 * sd)
    assert tx["date"].max() <= pd.Timestamp("2025-06-30")


def test_zero_repeat_share_matches_bgnbd_closed_form(big_retail):
    # A customer who makes no repeat purchase cannot drop out (dropout only follows a purchase), so
    # P(X(t) = 0 | lambda) = exp(-lambda t) and, over lambda ~ Gamma(r, alpha),
    # P(X(t) = 0) = (alpha / (alpha + t))^r   (Fader, Hardie and Lee 2005a, eq. 8 with x = 0 terms).
    # The continuous horizon t lies in (T, T + 1] days, T the truth's whole-day value.
    r, alpha = big_retail.params["r"], big_retail.params["alpha"]
    weeks = big_retail.truth["T"].to_numpy() / 7
    hi = np.mean((alpha / (alpha + weeks)) ** r)
    lo = np.mean((alpha / (alpha + weeks + 1 / 7)) ** r)
    n = len(weeks)
    observed = np.mean(big_retail.customers["true_purchases"] == 1)
    sd = np.sqrt(hi * (1 - hi) / n)
    assert lo - 4 * sd < observed < hi + 4 * sd


def test_alive_share_matches_closed_form(big_retail):
    # Alive at the end iff the geometric number of purchases before dropout J exceeds the Poisson
    # count N: P(alive | lambda, p) = E[(1-p)^N] = exp(-lambda p t). Over lambda ~ Gamma(r, alpha):
    # (1 + p t / alpha)^(-r); over p ~ Beta(a, b) (Euler's integral): 2F1(r, a; a + b; -t / alpha).
    prm = big_retail.params
    weeks = (big_retail.truth["T"].to_numpy() + 0.5) / 7
    closed = special.hyp2f1(prm["r"], prm["a"], prm["a"] + prm["b"], -weeks / prm["alpha"])
    # the hypergeometric form checked against direct numerical integration at one horizon
    beta = stats.beta(prm["a"], prm["b"])
    t = weeks[0]
    direct = integrate.quad(lambda p: (1 + p * t / prm["alpha"]) ** -prm["r"] * beta.pdf(p), 0, 1)[0]
    assert closed[0] == pytest.approx(direct, rel=1e-6)
    expected = closed.mean()
    observed = big_retail.customers["true_alive"].mean()
    sd = np.sqrt(expected * (1 - expected) / len(weeks))
    assert abs(observed - expected) < 4 * sd


def test_mean_repeat_purchases_match_bgnbd_expectation(big_retail):
    # Fader, Hardie and Lee (2005a), eq. 9: the expected number of repeat purchases in (0, t]
    # E[X(t)] = (a + b - 1)/(a - 1) * [1 - (alpha/(alpha + t))^r * 2F1(r, b; a + b - 1; t/(alpha + t))],
    # counted on the drawn purchases (true_purchases - 1, before same-day merging); horizon t = T + 1/2 day.
    prm = big_retail.params
    r, alpha, a, b = prm["r"], prm["alpha"], prm["a"], prm["b"]
    t = (big_retail.truth["T"].to_numpy() + 0.5) / 7
    expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    x = big_retail.customers["true_purchases"].to_numpy() - 1
    assert abs(x.mean() - expected.mean()) < 4 * x.std() / np.sqrt(len(x))


def test_first_purchase_spend_matches_gamma_gamma_mean(big_retail):
    # Every amount is Gamma(p, nu) with nu ~ Gamma(q, v): E[z] = p v / (q - 1) = 6 * 15 / 3 = 30.
    # Var[z] = E[p/nu^2] + Var[p/nu] with E[1/nu^2] = v^2 / ((q-1)(q-2)) = 37.5:
    # = 6 * 37.5 + (36 * 37.5 - 30^2) = 225 + 450 = 675. First purchases are one per customer, iid.
    prm = big_retail.params
    assert prm["p"] * prm["v"] / (prm["q"] - 1) == 30.0
    tx = big_retail.transactions
    first = tx.drop_duplicates("customer_id")  # rows are sorted by date, then customer, then time
    assert len(first) == 50_000
    se = np.sqrt(675 / len(first))
    assert abs(first["amount"].mean() - 30.0) < 4 * se
    # per-customer true mean spend p / nu: mean p v / (q - 1) as well
    assert abs(big_retail.customers["true_mean_spend"].mean() - 30.0) < 4 * np.sqrt(450 / 50_000)


def test_latent_draws_match_their_distributions(big_retail):
    c = big_retail.customers
    prm = big_retail.params
    # Kolmogorov-Smirnov against the stated distributions (lambda per week, p, nu with rate v)
    assert stats.kstest(c["true_lambda"], stats.gamma(prm["r"], scale=1 / prm["alpha"]).cdf).pvalue > 1e-4
    assert stats.kstest(c["true_p"], stats.beta(prm["a"], prm["b"]).cdf).pvalue > 1e-4
    assert stats.kstest(c["true_nu"], stats.gamma(prm["q"], scale=1 / prm["v"]).cdf).pvalue > 1e-4


def test_channel_costs_and_independence(big_retail):
    c = big_retail.customers
    costs = c.groupby("channel")["acquisition_cost"].unique()
    assert {k: float(v[0]) for k, v in costs.items()} == {k: v["cost"] for k, v in ds.DEFAULT_CHANNELS.items()}
    shares = c["channel"].value_counts(normalize=True)
    for name, spec in ds.DEFAULT_CHANNELS.items():
        assert abs(shares[name] - spec["share"]) < 4 * np.sqrt(spec["share"] * (1 - spec["share"]) / len(c))
    # behaviour does not depend on channel: mean lambda by channel within sampling noise
    sd = stats.gamma(big_retail.params["r"], scale=1 / big_retail.params["alpha"]).std()
    means = c.groupby("channel")["true_lambda"].agg(["mean", "size"])
    assert np.all(np.abs(means["mean"] - 0.0625) < 5 * sd / np.sqrt(means["size"]))


def test_make_retail_is_deterministic_by_seed():
    a = ds.make_retail(300, seed=11)
    b = ds.make_retail(300, seed=11)
    c = ds.make_retail(300, seed=12)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    assert not a.transactions["amount"].equals(c.transactions["amount"])


def test_make_retail_attrs_and_amounts():
    data = ds.make_retail(100, seed=1, r=0.7, alpha=5.0)
    for frame in (data.transactions, data.customers, data.truth):
        assert frame.attrs["true_params"]["r"] == 0.7
        assert frame.attrs["true_params"]["alpha"] == 5.0
    cents = data.transactions["amount"] * 100
    assert np.allclose(cents, np.round(cents)) and (data.transactions["amount"] >= 0.01).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 0}, r"The 'n_customers' parameter of make_retail must be an integer in \[1, inf\)\. Got 0"),
        ({"r": -1.0}, r"The 'r' parameter of make_retail must be a number in \(0, inf\)\. Got -1.0"),
        ({"acquisition_end": "2022-01-01"}, r"'acquisition_end' parameter of make_retail must not come before start \(2023-01-01\)"),
        ({"observation_end": "2023-06-01"}, r"'observation_end' parameter of make_retail must come after acquisition_end"),
        ({"regions": {"North": 0.5}}, r"'regions' parameter of make_retail must give shares .* add up to 1"),
        ({"channels": {"web": {"share": 1.0}}}, r"'channels' parameter of make_retail must be a dict \{name: \{'share': s, 'cost': c\}\}"),
        ({"channels": {"web": {"share": 1.0, "cost": -5}}}, r"The \"channels\['web'\]\['cost'\]\" parameter of make_retail must be a number in \[0, inf\)"),
    ],
)
def test_make_retail_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        ds.make_retail(**{"n_customers": 10, **kwargs})


# ---------------------------------------------------------------------------------------------
# Loaders, bundled files, regeneration
# ---------------------------------------------------------------------------------------------


def test_load_transactions_dtypes_and_attrs():
    tx = ds.load_transactions(None, customer="customer_id", date="date", amount="amount")
    assert list(tx.columns) == ["customer_id", "date", "amount"]
    assert pd.api.types.is_string_dtype(tx["customer_id"])
    assert pd.api.types.is_datetime64_any_dtype(tx["date"])
    assert (tx["date"] == tx["date"].dt.normalize()).all()
    assert tx["amount"].dtype == np.float64
    assert tx.attrs["true_params"]["r"] == ds.BUNDLED_RETAIL["r"]
    assert tx.attrs["source"] == "bundled: transactions.csv"
    assert tx["customer_id"].str.fullmatch(r"C\d{6}").all()


def test_load_customers_dtypes():
    c = ds.load_customers()
    assert len(c) == ds.BUNDLED_RETAIL["n_customers"] == c["customer_id"].nunique()
    assert pd.api.types.is_datetime64_any_dtype(c["signup_date"])
    assert c["true_alive"].dtype == bool
    assert c["acquisition_cost"].dtype == np.float64
    assert c.attrs["true_params"]["seed"] == ds.BUNDLED_RETAIL["seed"]


def test_load_transactions_rejects_column_settings_without_a_file():
    with pytest.raises(ParameterError, match=r"load_transactions got customer='cust' but no file"):
        ds.load_transactions(None, customer="cust", date="date")


def test_load_transactions_with_a_path_reads_the_file(tmp_path):
    original = ds.load_transactions()
    path = tmp_path / "mine.csv"
    original.rename(columns={"customer_id": "cust", "date": "day", "amount": "value"}).to_csv(path, index=False)
    mine = ds.load_transactions(path, customer="cust", date="day", amount="value")
    assert len(mine) == len(original)
    assert mine["amount"].sum() == pytest.approx(original["amount"].sum())


def test_missing_data_folder_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMLIB_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"Regenerate the data with `make data`"):
        ds.load_transactions()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    from crmlib.datasets.__main__ import write_all

    folder = tmp_path_factory.mktemp("data")
    write_all(folder, verbose=False)
    return folder


def test_committed_files_equal_regeneration(regenerated, root):
    written = sorted(p.name for p in regenerated.iterdir())
    assert "transactions.csv" in written and "customers.csv" in written
    for name in written:
        committed = root / "data" / name
        assert committed.exists(), f"{name} is generated but not committed; run `make data`"
        assert committed.read_bytes() == (regenerated / name).read_bytes(), f"data/{name} differs: run `make data`"


def test_sidecars_match_their_csv(root):
    csvs = sorted((root / "data").glob("*.csv"))
    assert csvs
    for csv in csvs:
        meta = json.loads(csv.with_suffix(".json").read_text(encoding="utf-8"))
        assert meta["file"] == csv.name
        assert meta["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
        frame = pd.read_csv(csv)
        assert meta["rows"] == len(frame)
        assert meta["columns"] == list(frame.columns)
        assert csv.stat().st_size < 2_000_000


def test_cli_writes_into_a_folder(tmp_path, capsys):
    from crmlib.datasets.__main__ import main

    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "transactions.csv" in out
    assert (tmp_path / "transactions.json").exists()


# ---------------------------------------------------------------------------------------------
# make_survey / load_survey
# ---------------------------------------------------------------------------------------------

STAGE_PREFIX = {"cognitive": "cog", "affective": "aff", "conative": "con", "action": "act"}
STAGE_ORDER = ["none", "cognitive", "affective", "conative", "action"]


def _alpha(items: pd.DataFrame) -> float:
    # Cronbach (1951): k/(k-1) * (1 - sum of item variances / variance of the total), listwise complete rows
    y = items.dropna()
    k = y.shape[1]
    return k / (k - 1) * (1 - y.var(ddof=1).sum() / y.sum(axis=1).var(ddof=1))


@pytest.fixture(scope="module")
def survey():
    return ds.load_survey()


def test_survey_respondents_are_a_sample_of_the_customers(survey):
    customers = ds.load_customers()
    assert survey["customer_id"].is_unique
    assert survey["customer_id"].isin(customers["customer_id"]).all()
    assert len(survey) == round(ds.BUNDLED_SURVEY["response_rate"] * len(customers))


def test_survey_items_are_7_point_answers(survey):
    likert = [c for c in ds.SURVEY_ITEMS if c not in ("bond_most_valued", "deal_driven")]
    values = survey[likert].stack().dropna()
    assert set(np.unique(values)) <= set(range(1, 8))
    assert set(survey["bond_most_valued"].dropna()) == set(ds.BOND_OPTIONS)
    assert survey["deal_driven"].dtype == bool


def test_survey_stage_reliability_in_stated_range(survey):
    for stage, prefix in STAGE_PREFIX.items():
        items = survey[[f"{prefix}_{j}" for j in range(1, 5)]]
        assert 0.75 <= _alpha(items) <= 0.9, stage


def test_survey_four_factor_structure(survey):
    # items correlate more within their stage than across stages (convergent vs discriminant validity)
    cols = [f"{p}_{j}" for p in STAGE_PREFIX.values() for j in range(1, 5)]
    corr = survey[cols].corr().to_numpy()
    block = np.kron(np.eye(4), np.ones((4, 4))).astype(bool)
    off_diag = ~np.eye(16, dtype=bool)
    within = corr[block & off_diag].mean()
    between = corr[~block].mean()
    assert within > between + 0.15


def test_survey_missing_share_about_two_percent(survey):
    likert = [c for c in ds.SURVEY_ITEMS if c != "deal_driven"]
    share = survey[likert].isna().to_numpy().mean()
    n = survey[likert].size
    assert abs(share - 0.02) < 4 * np.sqrt(0.02 * 0.98 / n)
    assert not survey[[c for c in survey.columns if c.startswith("true_")]].isna().any().any()


def test_survey_true_stage_follows_the_cumulative_rule(survey):
    factors = survey[[f"true_{s}" for s in STAGE_PREFIX]].to_numpy()
    level = np.cumprod(factors >= 0, axis=1).sum(axis=1)
    assert (survey["true_stage"].to_numpy() == np.array(STAGE_ORDER, dtype=object)[level]).all()
    assert set(survey["true_stage"]) == set(STAGE_ORDER)


def test_survey_stage_goes_with_behaviour(survey):
    # the loyalty stage is generated from true behaviour: more loyal stages buy more often, drop out less
    tx = ds.load_transactions()
    summary = summarize(tx)
    customers = ds.load_customers().set_index("customer_id")
    joined = survey.set_index("customer_id").join(summary).join(customers[["true_p"]])
    joined["active"] = (joined["T"] - joined["recency"]) <= 180  # bought in the last 180 days
    level = joined["true_stage"].map({s: i for i, s in enumerate(STAGE_ORDER)})
    by_stage = joined.groupby(level).agg(repeat=("frequency", lambda f: (f > 0).mean()), spend=("monetary_value", "mean"),
                                         active=("active", "mean"), dropout=("true_p", "mean"))
    assert by_stage.loc[4, "repeat"] > by_stage.loc[0, "repeat"] + 0.2
    assert by_stage.loc[4, "active"] > by_stage.loc[0, "active"] + 0.2
    assert by_stage.loc[4, "dropout"] < by_stage.loc[0, "dropout"]
    assert by_stage.loc[4, "spend"] > by_stage.loc[0, "spend"]
    assert stats.spearmanr(level, joined["frequency"]).statistic > 0.3


def test_make_survey_is_deterministic_and_attrs():
    customers = ds.make_retail(400, seed=5).customers
    a = ds.make_survey(customers, seed=3, response_rate=0.5)
    b = ds.make_survey(customers, seed=3, response_rate=0.5)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 200
    assert a.attrs["true_params"]["item_loadings"]["cog_1"] == ds.SURVEY_LOADINGS[0]
    assert a.attrs["true_params"]["stage_thresholds"] == ds.SURVEY_THRESHOLDS


def test_make_survey_errors():
    customers = ds.make_retail(50, seed=5).customers
    with pytest.raises(ParameterError, match=r"needs the columns customer_id, true_lambda, true_p, true_mean_spend; missing: true_p"):
        ds.make_survey(customers.drop(columns="true_p"))
    with pytest.raises(ParameterError, match=r"The 'response_rate' parameter of make_survey must be a number in \(0, 1\]\. Got 1.5"):
        ds.make_survey(customers, response_rate=1.5)
    with pytest.raises(ParameterError, match=r"must leave at least 2 respondents"):
        ds.make_survey(customers, response_rate=0.01)


# ---------------------------------------------------------------------------------------------
# make_cohorts / load_cohorts / load_fader_hardie_2007
# ---------------------------------------------------------------------------------------------


def _sbg_survival(alpha, beta, t):
    # S(t) = B(alpha, beta + t) / B(alpha, beta)   (Fader and Hardie 2007, eq. 3)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def _sbg_fit(survivors):
    # Maximum likelihood of the sBG (Fader and Hardie 2007, eq. 5), written here independently of
    # crmlib.models: churners in period t have P(T = t) = S(t-1) - S(t); the last survivors S(n).
    from scipy.optimize import minimize

    n = np.asarray(survivors, dtype=float)
    t = np.arange(1, len(n))
    lost = n[:-1] - n[1:]

    def nll(log_ab):
        a, b = np.exp(log_ab)
        p = _sbg_survival(a, b, t - 1) - _sbg_survival(a, b, t)
        return -(lost @ np.log(p) + n[-1] * np.log(_sbg_survival(a, b, t[-1])))

    res = minimize(nll, x0=[0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10})
    return np.exp(res.x)


def test_fader_hardie_2007_counts_reproduce_the_published_estimates():
    fh = ds.load_fader_hardie_2007()
    assert fh.groupby("cohort")["period"].max().to_dict() == {"high end": 7, "regular": 7}
    for name, published in fh.attrs["published"].items():
        survivors = fh.loc[fh["cohort"] == name, "survivors"].to_numpy()
        alpha, beta = _sbg_fit(survivors)
        assert alpha == pytest.approx(published["alpha"], abs=0.002), name
        assert beta == pytest.approx(published["beta"], abs=0.002), name
    assert fh.loc[fh["cohort"] == "high end", "survivors"].tolist() == [1000, 869, 743, 653, 593, 551, 517, 491]


def test_bundled_cohorts_shape_and_truth():
    table = ds.load_cohorts()
    truth = table.attrs["true_params"]["cohorts"]
    assert set(table["cohort"]) == set(truth) == set(ds.DEFAULT_COHORTS)
    for name, group in table.groupby("cohort"):
        s = group.sort_values("period")["survivors"].to_numpy()
        assert group["period"].tolist() == list(range(truth[name]["periods"] + 1))
        assert s[0] == truth[name]["size"]
        assert (np.diff(s) <= 0).all()


def test_make_cohorts_survival_matches_sbg_closed_form():
    spec = {"big": {"size": 200_000, "alpha": 0.7, "beta": 1.2, "periods": 8}}
    s = ds.make_cohorts(spec, seed=3)["survivors"].to_numpy() / 200_000
    expected = _sbg_survival(0.7, 1.2, np.arange(9))
    sd = np.sqrt(expected * (1 - expected) / 200_000)
    assert np.all(np.abs(s - expected) <= 4 * sd + 1e-12)


def test_make_cohorts_recovers_alpha_beta():
    spec = {"x": {"size": 50_000, "alpha": 1.0, "beta": 3.0, "periods": 10}}
    alpha, beta = _sbg_fit(ds.make_cohorts(spec, seed=4)["survivors"])
    assert alpha == pytest.approx(1.0, rel=0.15) and beta == pytest.approx(3.0, rel=0.15)


def test_make_cohorts_errors():
    with pytest.raises(ParameterError, match=r"cohort 'a' lacks beta, periods"):
        ds.make_cohorts({"a": {"size": 10, "alpha": 1.0}})
    with pytest.raises(ParameterError, match=r"The \"cohorts\['a'\]\['alpha'\]\" parameter of make_cohorts must be a number in \(0, inf\)"):
        ds.make_cohorts({"a": {"size": 10, "alpha": -1.0, "beta": 1.0, "periods": 3}})


def test_load_transactions_ignores_read_settings_at_their_defaults():
    tx = ds.load_transactions(None, customer="customer_id", date="date", amount="amount", date_format=None)
    assert len(tx) > 0
    with pytest.raises(ParameterError, match=r"load_transactions got date_format='%d/%m/%Y' but no file"):
        ds.load_transactions(None, date_format="%d/%m/%Y")
    with pytest.raises(ParameterError, match=r"load_transactions got colour='red' but no file"):
        ds.load_transactions(colour="red")


def test_data_readme_documents_every_file_and_column(root):
    readme = (root / "data" / "README.md").read_text(encoding="utf-8")
    for csv in sorted((root / "data").glob("*.csv")):
        assert f"`{csv.name}`" in readme, f"data/README.md does not describe {csv.name}"
        for column in pd.read_csv(csv, nrows=0).columns:
            assert f"`{column}`" in readme, f"data/README.md does not document column {column!r} of {csv.name}"


def test_module_entry_point_runs(tmp_path, root):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "crmlib.datasets", str(tmp_path)], capture_output=True, text=True,
                          cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and (tmp_path / "customers.csv").exists()


def test_bundled_survey_is_reproduced_from_the_bundled_customers(survey):
    # the README's recipe: make_survey(load_customers(), **BUNDLED_SURVEY) gives the committed answers
    again = ds.make_survey(ds.load_customers(), **ds.BUNDLED_SURVEY)
    items = [c for c in ds.SURVEY_ITEMS if c not in ("bond_most_valued", "deal_driven")]
    assert (again["customer_id"].to_numpy() == survey["customer_id"].to_numpy()).all()
    np.testing.assert_array_equal(again[items].to_numpy(float), survey[items].to_numpy(float))
    assert (again["true_stage"].to_numpy() == survey["true_stage"].to_numpy()).all()
