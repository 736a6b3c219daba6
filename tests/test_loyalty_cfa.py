"""Tests of crmlib.loyalty.confirmatory_factor_analysis: a published reference, the generator's truth, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmlib
from crmlib import loyalty
from crmlib.data import DataError
from crmlib.datasets import _survey as survey_generator
from crmlib.params import ParameterError

# Holzinger and Swineford (1939): the nine ability tests of the 301 Grant-White and Pasteur pupils, the
# example of Joreskog (1969) and of lavaan's tutorial. Sample covariance (divisor n - 1) of x1 ... x9,
# computed from the public data file.
HS_COV = np.array(
    [
        [1.362898, 0.408729, 0.581832, 0.506518, 0.442084, 0.456324, 0.085048, 0.264717, 0.459866],
        [0.408729, 1.386390, 0.452567, 0.209620, 0.211795, 0.248370, -0.097074, 0.110025, 0.244823],
        [0.581832, 0.452567, 1.279114, 0.208864, 0.112671, 0.244923, 0.088636, 0.213030, 0.375099],
        [0.506518, 0.209620, 0.208864, 1.355167, 1.101412, 0.898501, 0.220475, 0.126012, 0.244174],
        [0.442084, 0.211795, 0.112671, 1.101412, 1.665318, 1.017906, 0.143476, 0.181207, 0.296225],
        [0.456324, 0.248370, 0.244923, 0.898501, 1.017906, 1.200346, 0.144559, 0.165982, 0.236784],
        [0.085048, -0.097074, 0.088636, 0.220475, 0.143476, 0.144559, 1.187083, 0.537029, 0.374542],
        [0.264717, 0.110025, 0.213030, 0.126012, 0.181207, 0.165982, 0.537029, 1.025389, 0.458841],
        [0.459866, 0.244823, 0.375099, 0.244174, 0.296225, 0.236784, 0.374542, 0.458841, 1.018387],
    ]
)
HS_N = 301
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def test_holzinger_swineford_reproduces_lavaan():
    # The published three-factor fit (Rosseel 2012, lavaan tutorial "cfa"): chi2 85.306 on 24 df,
    # CFI 0.931, TLI 0.896, RMSEA 0.092 [0.071, 0.114], SRMR 0.065; standardised loadings (std.all)
    # 0.772 0.424 0.581 / 0.852 0.855 0.838 / 0.570 0.723 0.665; factor correlations 0.459 0.471 0.283.
    names = [f"x{j}" for j in range(1, 10)]
    cov = pd.DataFrame(HS_COV * (HS_N - 1) / HS_N, index=names, columns=names)  # ML divisor n, as lavaan
    res = loyalty.confirmatory_factor_analysis(cov, HS_MODEL, n_obs=HS_N)
    fit = res.fit
    assert fit["chi2"] == pytest.approx(85.306, abs=0.01)
    assert fit["df"] == 24
    assert fit["cfi"] == pytest.approx(0.931, abs=0.0006)
    assert fit["tli"] == pytest.approx(0.896, abs=0.0006)
    assert fit["rmsea"] == pytest.approx(0.092, abs=0.0006)
    assert fit["rmsea_low"] == pytest.approx(0.071, abs=0.0006)
    assert fit["rmsea_high"] == pytest.approx(0.114, abs=0.0006)
    assert fit["srmr"] == pytest.approx(0.065, abs=0.0006)
    published = [0.772, 0.424, 0.581, 0.852, 0.855, 0.838, 0.570, 0.723, 0.665]
    np.testing.assert_allclose(res.loadings["std_loading"], published, atol=0.0006)
    phi = res.factor_correlations
    assert [phi.loc["visual", "textual"], phi.loc["visual", "speed"], phi.loc["textual", "speed"]] == pytest.approx(
        [0.459, 0.471, 0.283], abs=0.0006
    )
    assert res.converged


def _linear_survey(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, float]:
    """The bundled survey's measurement model without rounding or clipping: y = l F + e."""
    rng = np.random.default_rng(seed)
    sd_eta, sd_u, sd_e = survey_generator._LOYALTY_SD, survey_generator._STAGE_NOISE_SD, survey_generator._ITEM_NOISE_SD
    eta = sd_eta * rng.standard_normal(n)
    cols = {}
    for prefix in survey_generator.SURVEY_STAGES.values():
        factor = eta + sd_u * rng.standard_normal(n)
        for j, load in enumerate(survey_generator.SURVEY_LOADINGS, start=1):
            cols[f"{prefix}_{j}"] = 5 + load * factor + sd_e * rng.standard_normal(n)
    var_f = sd_eta**2 + sd_u**2
    raw = np.tile(np.asarray(survey_generator.SURVEY_LOADINGS), 4) * np.sqrt(var_f)  # per factor sd
    return pd.DataFrame(cols), raw, sd_eta**2 / var_f


def test_recovers_the_generators_loadings_and_correlations():
    data, true_raw, true_corr = _linear_survey(4000, seed=7)
    res = loyalty.confirmatory_factor_analysis(data)
    est = res.loadings
    # within 3.5 standard errors of the generator's loading on every item
    assert np.all(np.abs(est["loading"].to_numpy() - true_raw) < 3.5 * est["se"].to_numpy())
    assert np.all(est["se"] < 0.05)  # tight enough that the check means something
    true_std = true_raw / np.sqrt(true_raw**2 + survey_generator._ITEM_NOISE_SD**2)
    np.testing.assert_allclose(est["std_loading"], true_std, atol=0.02)
    off = res.factor_correlations.to_numpy()[np.triu_indices(4, 1)]
    np.testing.assert_allclose(off, true_corr, atol=0.03)
    assert list(res.factors.index) == list(loyalty.STAGES)
    # composite reliability and AVE of the generator's model, per factor
    lam = true_raw[:4]
    omega = lam.sum() ** 2 / (lam.sum() ** 2 + 4 * survey_generator._ITEM_NOISE_SD**2)
    np.testing.assert_allclose(res.factors["omega"], omega, atol=0.01)
    np.testing.assert_allclose(res.factors["ave"], np.mean(true_std[:4] ** 2), atol=0.02)
    fit = res.fit
    assert fit["cfi"] > 0.995 and fit["tli"] > 0.995 and fit["rmsea"] < 0.02 and fit["srmr"] < 0.02
    assert fit["p_value"] > 0.001  # the true model is not rejected
    assert fit["df"] == 16 * 17 // 2 - (16 + 16 + 6)


def test_bundled_survey_four_factors_against_its_truth():
    survey = crmlib.datasets.load_survey()
    res = loyalty.confirmatory_factor_analysis(survey)
    items = loyalty.stage_items(survey)
    used = survey.dropna(subset=list(res.loadings.index))
    assert res.fit["n_used"] == len(used) and res.fit["n_dropped"] == len(survey) - len(used)
    # each item's standardised loading is its correlation with the generator's stage factor
    # (rounding and clipping to 1-7 bend it a little)
    truth = pd.Series({c: used[c].corr(used[f"true_{s}"]) for s, cols in items.items() for c in cols})
    np.testing.assert_allclose(res.loadings["std_loading"], truth[res.loadings.index], atol=0.06)
    # the generator's loadings 1.0, 0.9, 0.8, 1.1 keep their order within every stage
    order = np.argsort(survey_generator.SURVEY_LOADINGS)
    for stage, cols in items.items():
        est = res.loadings.loc[cols, "std_loading"].to_numpy()
        assert list(np.argsort(est)) == list(order), stage
    # factor correlations: those of the generator's stage factors; clipping cognitive answers at 7 and action
    # answers at 1 (opposite ends of the scale) lowers that pair's by about 0.05 (its standard error is 0.016)
    true_phi = used[[f"true_{s}" for s in items]].corr().to_numpy()
    np.testing.assert_allclose(res.factor_correlations.to_numpy(), true_phi, atol=0.07)
    fit = res.fit
    assert fit["cfi"] >= 0.95 and fit["tli"] >= 0.95 and fit["rmsea"] <= 0.06 and fit["srmr"] <= 0.08
    # discriminant validity holds (Fornell-Larcker) and one factor for all 16 items fits far worse
    assert (res.factors["sqrt_ave"] > res.factors["max_correlation"]).all()
    one = loyalty.confirmatory_factor_analysis(survey, {"loyalty": list(res.loadings.index)})
    assert one.fit["cfi"] < 0.9 and one.fit["rmsea"] > 0.08
    assert one.fit["chi2"] - fit["chi2"] > 500


def test_pairwise_uses_more_respondents_and_agrees():
    survey = crmlib.datasets.load_survey()
    lw = loyalty.confirmatory_factor_analysis(survey)
    pw = loyalty.confirmatory_factor_analysis(survey, missing="pairwise")
    assert pw.fit["n_used"] > lw.fit["n_used"]
    np.testing.assert_allclose(pw.loadings["std_loading"], lw.loadings["std_loading"], atol=0.03)


def test_misspecified_model_is_flagged_by_every_index():
    data, _, _ = _linear_survey(2000, seed=3)
    cols = list(data.columns)
    # items assigned to the wrong stages: cognitive and action items swapped half and half
    wrong = {"A": cols[0:2] + cols[12:14], "B": cols[4:8], "C": cols[8:12], "D": cols[2:4] + cols[14:16]}
    bad = loyalty.confirmatory_factor_analysis(data, wrong).fit
    assert bad["cfi"] < 0.95 and bad["rmsea"] > 0.06 and bad["p_value"] < 1e-6


def test_cfa_errors_are_one_sentence():
    survey = crmlib.datasets.load_survey()
    with pytest.raises(ParameterError, match="at least two items per factor"):
        loyalty.confirmatory_factor_analysis(survey, {"a": ["cog_1"], "b": ["aff_1", "aff_2"]})
    with pytest.raises(ParameterError, match="one factor only"):
        loyalty.confirmatory_factor_analysis(survey, {"a": ["cog_1", "cog_2"], "b": ["cog_2", "aff_2"]})
    with pytest.raises(DataError, match="not all columns"):
        loyalty.confirmatory_factor_analysis(survey, {"a": ["cog_1", "nope"], "b": ["aff_1", "aff_2"]})
    text = survey.assign(cog_1=survey["cog_1"].astype(str))
    with pytest.raises(DataError, match="numeric answers"):
        loyalty.confirmatory_factor_analysis(text)
    copy = survey.assign(cog_2=survey["cog_1"])
    with pytest.raises(DataError, match="singular"):
        loyalty.confirmatory_factor_analysis(copy.dropna(subset=["cog_1"]))
    with pytest.raises(DataError, match="more respondents than items"):
        loyalty.confirmatory_factor_analysis(survey.head(10))
    before = survey.copy()
    loyalty.confirmatory_factor_analysis(survey, {"a": ["cog_1", "cog_2", "cog_3"]})
    pd.testing.assert_frame_equal(survey, before)  # the caller's frame is only read


CFA_ALONE = """
import sys
import numpy as np
import pandas as pd
from crmlib import loyalty
names = [f"x{{j}}" for j in range(1, 10)]
cov = pd.DataFrame(np.array({cov}), index=names, columns=names)
fit = loyalty.confirmatory_factor_analysis(cov, {model}, n_obs={n}).fit
print(repr([float(fit[k]) for k in ("chi2", "df", "p_value", "rmsea_low", "rmsea_high")]))
print("scipy.stats" in sys.modules)
"""


def test_fit_p_value_and_rmsea_interval_are_scipy_stats_numbers_without_importing_it():
    # the chi-square functions come from scipy.special (what scipy.stats calls): the same numbers, without
    # the second of CPU that importing scipy.stats costs a chapter
    import subprocess
    import sys

    from scipy import optimize, stats

    code = CFA_ALONE.format(cov=(HS_COV * (HS_N - 1) / HS_N).tolist(), model=HS_MODEL, n=HS_N)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    chi2, df, p_value, low, high = eval(out[0])
    assert out[1] == "False"
    assert p_value == stats.chi2.sf(chi2, df)

    def bound(q: float) -> float:  # Browne and Cudeck (1993), with scipy.stats' noncentral chi-square
        lam = optimize.brentq(lambda nc: stats.ncx2.cdf(chi2, df, nc) - q, 1e-12, 2.0 * chi2)
        return float(np.sqrt(lam / (df * HS_N)))

    assert (low, high) == (bound(0.95), bound(0.05))
