"""The models' shared contract: a new model from its hooks alone, save/load, log-scale intervals, the import rules."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_models_simulators import simulate_bgbb, simulate_bgnbd

import crmlib.models as models
from crmlib.data import DataError
from crmlib.datasets import load_cdnow
from crmlib.models import BaseModel
from crmlib.models._base import FitData
from crmlib.rfm import summarize


class ExponentialGamma(BaseModel):
    """A model written with the five hooks only: exponential durations with a gamma-distributed rate (Lomax).

    Each customer's time to churn is exponential with rate lambda ~ Gamma(r, alpha); data: ``duration`` and
    ``churned`` (False = still active, censored). L = r alpha^r / (alpha + d)^(r+1) if churned, else
    (alpha / (alpha + d))^r.
    """

    _param_names = ("r", "alpha")

    def _prepare(self, data, func, **options):
        if not isinstance(data, pd.DataFrame) or not {"duration", "churned"} <= set(data.columns):
            raise DataError(f"{func} needs a DataFrame with the columns duration and churned.")
        return FitData((data["duration"].to_numpy(float), data["churned"].to_numpy(float)))

    def _initial(self, design, weights):
        return np.array([1.0, float(np.average(design[0], weights=weights))])

    def _loglik(self, params, design):
        r, alpha = params
        d, c = design
        return c * (np.log(r) - np.log(alpha + d)) + r * (np.log(alpha) - np.log(alpha + d))

    def _grad(self, params, design):
        r, alpha = params
        d, c = design
        return np.vstack(
            [c / r + np.log(alpha) - np.log(alpha + d), -c / (alpha + d) + r * (1 / alpha - 1 / (alpha + d))]
        )


def test_a_new_model_needs_only_its_hooks():
    rng = np.random.default_rng(3)
    lam = rng.gamma(2.0, 1 / 10.0, 20_000)
    duration = rng.exponential(1 / lam)
    frame = pd.DataFrame({"duration": np.minimum(duration, 30.0), "churned": duration <= 30.0})
    model = ExponentialGamma().fit(frame)
    table = model.summary()
    for name, value in {"r": 2.0, "alpha": 10.0}.items():
        assert abs(table.loc[name, "estimate"] - value) < 3 * table.loc[name, "std_error"]
    assert model.n_ == 20_000 and model.fit_info_["gradient_norm"] < 1e-4
    draws = model.parameter_draws(300, seed=1)
    assert (draws > 0).all().all() and draws.shape == (300, 2)


def _fitted_models():
    s = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    return {
        "BetaGeo": models.BetaGeo().fit(s, unit="W"),
        "ModifiedBetaGeo": models.ModifiedBetaGeo().fit(s, unit="W"),
        "ParetoNBD": models.ParetoNBD().fit(s, unit="W"),
        "GammaGamma": models.GammaGamma().fit(s),
        "ShiftedBetaGeo": models.ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241]),
        "BetaDiscreteWeibull": models.BetaDiscreteWeibull().fit([1000, 631, 468, 382, 326, 289, 262, 241]),
        "BetaGeoBetaBinom": models.BetaGeoBetaBinom().fit(simulate_bgbb(3000, 1.2, 0.8, 0.7, 2.5, seed=1)),
    }


@pytest.fixture(scope="module")
def fitted():
    return _fitted_models()


def test_save_and_load_every_model(fitted, tmp_path):
    for name, model in fitted.items():
        path = model.save(tmp_path / f"{name}.json")
        assert path.stat().st_size < 4000  # a small file: parameters, unit, covariance, fit metadata
        saved = json.loads(path.read_text())
        assert saved["model"] == name and saved["unit"] == getattr(model, "unit_", None)
        back = models.load_model(path)
        assert type(back) is type(model) and back.params_ == model.params_
        pd.testing.assert_frame_equal(back.summary(), model.summary())
    bg = models.load_model(tmp_path / "BetaGeo.json")
    assert bg.conditional_expected_purchases(12, 2, 30.0, 38.0, horizon_unit="M") == pytest.approx(
        fitted["BetaGeo"].conditional_expected_purchases(12, 2, 30.0, 38.0, horizon_unit="M")
    )
    assert models.load_model(tmp_path / "ShiftedBetaGeo.json").projected_survivors(3).iloc[0] == 1000
    with pytest.raises(FileExistsError, match="already exists; give another path or overwrite=True"):
        fitted["BetaGeo"].save(tmp_path / "BetaGeo.json")
    fitted["BetaGeo"].save(tmp_path / "BetaGeo.json", overwrite=True)
    with pytest.raises(models.ModelError, match="holds a BetaGeo, not a ParetoNBD"):
        models.ParetoNBD.load(tmp_path / "BetaGeo.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(models.ModelError, match="is not a JSON file written by model.save"):
        models.load_model(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError, match="does not exist; give the path of a file written by model.save"):
        models.load_model(tmp_path / "missing.json")


def test_covariate_model_saves_its_covariates(tmp_path):
    data = simulate_bgnbd(3000, 0.6, 6.0, 0.9, 3.0, seed=2)
    data["vip"] = (np.arange(len(data)) % 2).astype(float)
    model = models.BetaGeo(purchase_covariates=["vip"]).fit(data, unit="W")
    back = models.load_model(model.save(tmp_path / "cov.json"))
    assert back.param_names == model.param_names
    np.testing.assert_allclose(
        back.probability_alive(data["frequency"], data["recency"], data["T"], covariates=data),
        model.probability_alive(data["frequency"], data["recency"], data["T"], covariates=data),
    )


def test_intervals_are_on_the_log_scale_and_inside_the_parameter_space(fitted):
    # The Pareto/NBD beta on CDNOW has a large standard error: a natural-scale Wald interval goes below zero
    # ([-0.504, 23.84]); on the log scale it stays positive and is asymmetric like the likelihood.
    table = fitted["ParetoNBD"].summary()
    est, se, lo, hi = table.loc["beta", ["estimate", "std_error", "lower_95", "upper_95"]]
    assert est - 1.959964 * se < 0 < lo < est < hi
    assert hi - est > est - lo
    assert np.log(hi) - np.log(est) == pytest.approx(np.log(est) - np.log(lo), rel=1e-9)
    assert "log scale" in table.columns.name and "log" in table.attrs["interval_method"]
    for model in fitted.values():
        t = model.summary(level=0.9)
        params = t.loc[list(model.param_names)]
        assert (params["lower_90"] > 0).all() and (params["lower_90"] < params["estimate"]).all()
        assert (params["estimate"] < params["upper_90"]).all()
        assert list(t.columns) == ["estimate", "std_error", "lower_90", "upper_90"]


def test_summary_standard_errors_agree_with_the_delta_method(fitted):
    model = fitted["BetaGeo"]
    cov = model.covariance_
    table = model.summary()
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), table.loc[list(model.param_names), "std_error"], rtol=1e-12)


def test_gradient_hooks_agree_with_their_likelihoods(fitted):
    # every model's analytic gradient hook against central differences of its likelihood hook, at its estimates
    for name, model in fitted.items():
        if name in ("ShiftedBetaGeo", "BetaDiscreteWeibull", "BetaGeoBetaBinom"):
            continue  # covered in their own test files
        s = summarize(load_cdnow(), observation_end="1997-09-30", unit="W").iloc[:300]
        prepared = model._prepare(s, "test", **({} if name == "GammaGamma" else {"unit": "W"}))
        w = np.ones(len(prepared.columns[0])) if prepared.weights is None else prepared.weights
        design = model._design(prepared.columns, w)
        p = np.array([model.params_[k] for k in model.param_names])
        analytic = (model._grad(p, design) * w).sum(axis=1)
        h = 1e-6 * p
        numeric = [
            ((w * model._loglik(p + h[i] * e, design)).sum() - (w * model._loglik(p - h[i] * e, design)).sum())
            / (2 * h[i])
            for i, e in enumerate(np.eye(len(p)))
        ]
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6, err_msg=name)


def test_not_fitted_and_settings_messages():
    for cls in (models.ModifiedBetaGeo, models.BetaGeoBetaBinom, models.BetaDiscreteWeibull):
        with pytest.raises(models.NotFittedError, match=rf"This {cls.__name__} is not fitted yet"):
            cls().summary()
    with pytest.raises(
        models.ModelError,
        match="The 'initial_params' setting of BetaDiscreteWeibull must be a dict with the keys alpha, beta, c",
    ):
        models.BetaDiscreteWeibull(initial_params={"alpha": 1.0}).fit([1000, 800, 700, 650])
    hand = models.BetaGeo()
    hand.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert "warning" in hand.summary().attrs
    with pytest.raises(models.ModelError, match="has no covariance of its estimates"):
        hand.parameter_draws(100)


def test_new_model_files_follow_the_import_rules():
    # no private name is imported from another module; the Pareto/NBD takes nothing from the BG/NBD module
    folder = Path(models.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("crmlib"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports private names {private} from {node.module}"
                if path.name == "pareto_nbd.py":
                    assert node.module != "crmlib.models.beta_geo"


def test_refit_reaches_a_fresh_fits_maximum_in_fewer_iterations():
    # a bootstrap resample of the CDNOW calibration customers, as crmlib.report's intervals refit them
    summary = summarize(load_cdnow(), observation_end="1997-09-30", unit="W")
    sample = summary.iloc[np.random.default_rng(0).integers(0, len(summary), len(summary))]
    spend = summary[summary["frequency"] > 0]
    for model, data, options in (
        (models.BetaGeo(penalizer=0.001).fit(summary, unit="W"), sample, {"unit": "W"}),
        (models.GammaGamma().fit(spend), spend.iloc[::2], {}),
    ):
        before = dict(model.params_)
        again = model.refit(data, **options)
        fresh = type(model)(**model._settings()).fit(data, **options)
        started = type(model)(**model._settings(), initial_params=before).fit(data, **options)
        assert type(again) is type(model) and again is not model and model.params_ == before
        assert again.penalizer == model.penalizer
        for k, v in fresh.params_.items():
            assert again.params_[k] == pytest.approx(v, rel=1e-8)
        assert again.fit_info_["iterations"] < started.fit_info_["iterations"] / 2
    with pytest.raises(models.NotFittedError, match="This BetaGeo is not fitted yet"):
        models.BetaGeo().refit(summary, unit="W")
