"""Charts of the probability models: validation, tracking, P(alive), retention projections, heterogeneity.

Each function takes the tables of :mod:`crmlib.models` (or a fitted model), draws on ``ax`` (a new
figure if None) and returns the Axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib.plot._base import get_ax

__all__ = [
    "alive_matrix",
    "alive_path",
    "frequency_recency_matrix",
    "heterogeneity",
    "holdout_purchases",
    "repeat_frequency_fit",
    "retention_projection",
    "tracking_purchases",
]

_ACTUAL = "#333333"
_MODEL = "#c44e52"


def holdout_purchases(table: pd.DataFrame, *, ax: Any = None, unit_name: str = "holdout period") -> Any:
    """Mean holdout purchases, actual vs predicted, by calibration frequency (FHL 2005a, figure 4).

    ``table`` is :func:`crmlib.models.holdout_comparison`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customers": [5, 3], "actual": [0.2, 1.0], "predicted": [0.25, 0.9]}, index=["0", "1+"])
    >>> holdout_purchases(t).get_xlabel()
    'Repeat purchases in the calibration period'
    """
    ax = get_ax(ax, (7, 4))
    x = np.arange(len(table))
    ax.plot(x, table["actual"], marker="o", color=_ACTUAL, label="Actual")
    ax.plot(x, table["predicted"], marker="s", linestyle="--", color=_MODEL, label="Model")
    ax.set_xticks(x)
    ax.set_xticklabels([str(i) for i in table.index])
    ax.set_xlabel("Repeat purchases in the calibration period")
    ax.set_ylabel(f"Mean purchases in the {unit_name}")
    ax.set_title("Conditional expectations: holdout period")
    ax.legend(frameon=False)
    return ax


def tracking_purchases(table: pd.DataFrame, *, cumulative: bool = True, ax: Any = None) -> Any:
    """Repeat purchases of the customer base over time, actual vs model (FHL 2005a, figures 2 and 3).

    ``table`` is :func:`crmlib.models.tracking`; a dotted line marks the end of calibration.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"actual": [1.0, 2.0], "expected": [1.5, 1.5], "actual_cumulative": [1.0, 3.0],
    ...                   "expected_cumulative": [1.5, 3.0]}, index=pd.Index([1, 2], name="period"))
    >>> t.attrs = {"calibration_period": 1, "unit": "W"}
    >>> tracking_purchases(t).get_ylabel()
    'Cumulative repeat purchases'
    """
    from crmlib.params import UNIT_NAMES

    ax = get_ax(ax, (8, 4))
    actual, expected = ("actual_cumulative", "expected_cumulative") if cumulative else ("actual", "expected")
    ax.plot(table.index, table[actual], color=_ACTUAL, label="Actual")
    ax.plot(table.index, table[expected], color=_MODEL, linestyle="--", label="Model")
    cal = table.attrs.get("calibration_period")
    if cal is not None:
        ax.axvline(cal, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            "end of calibration",
            (cal, ax.get_ylim()[1]),
            xytext=(4, -14),
            textcoords="offset points",
            color="grey",
            fontsize=9,
        )
    unit = UNIT_NAMES.get(table.attrs.get("unit", ""), "periods")
    ax.set_xlabel(unit.capitalize())
    ax.set_ylabel("Cumulative repeat purchases" if cumulative else f"Repeat purchases per {unit[:-1]}")
    ax.set_title("Tracking " + ("cumulative" if cumulative else "incremental") + " repeat purchases")
    ax.legend(frameon=False, loc="upper left")
    return ax


def _matrix(matrix: pd.DataFrame, *, ax, title: str, label: str, cmap: str, vmin=None, vmax: Any = None) -> Any:
    ax = get_ax(ax, (7, 5))
    rec = matrix.columns.to_numpy(float)
    freq = matrix.index.to_numpy(float)
    image = ax.imshow(
        matrix.to_numpy(float),
        origin="lower",
        aspect="auto",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        extent=(rec.min(), rec.max(), freq.min() - 0.5, freq.max() + 0.5),
        interpolation="nearest",
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel(f"Recency (time of last purchase, {matrix.attrs.get('unit_name', 'model unit')})")
    ax.set_ylabel("Repeat purchases (frequency)")
    ax.set_title(title)
    ax.grid(False)
    return ax


def alive_matrix(matrix: pd.DataFrame, *, ax: Any = None) -> Any:
    """Heatmap of :func:`crmlib.models.probability_alive_matrix`: recency across, frequency up.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[1.0, float("nan")], [0.2, 0.8]], index=[0, 1], columns=[0.0, 10.0])
    >>> alive_matrix(m).get_title()
    'Probability a customer is still alive'
    """
    return _matrix(
        matrix, ax=ax, title="Probability a customer is still alive", label="P(alive)", cmap="viridis", vmin=0, vmax=1
    )


def frequency_recency_matrix(matrix: pd.DataFrame, *, t: float | None = None, ax: Any = None) -> Any:
    """Heatmap of :func:`crmlib.models.expected_purchases_matrix` (expected purchases in the next ``t`` units).

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[0.3, float("nan")], [0.1, 0.9]], index=[0, 1], columns=[0.0, 10.0])
    >>> frequency_recency_matrix(m, t=4).get_title()
    'Expected purchases in the next 4 periods'
    """
    horizon = f"{t:g} {matrix.attrs.get('unit_name', 'periods')}" if t is not None else "next period"
    return _matrix(
        matrix, ax=ax, title=f"Expected purchases in the next {horizon}", label="Expected purchases", cmap="magma"
    )


def repeat_frequency_fit(table: pd.DataFrame, *, ax: Any = None) -> Any:
    """Customers by number of repeat purchases in calibration, actual bars vs model (FHL 2005a, figure 1).

    ``table`` is :func:`crmlib.models.repeat_frequency_table`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"actual": [10.0, 5.0], "expected": [9.5, 5.5]}, index=["0", "1+"])
    >>> len(repeat_frequency_fit(t).patches)
    4
    """
    ax = get_ax(ax, (7, 4))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["actual"], width=0.4, color=_ACTUAL, label="Actual")
    ax.bar(x + 0.2, table["expected"], width=0.4, color=_MODEL, label="Model")
    ax.set_xticks(x)
    ax.set_xticklabels([str(i) for i in table.index])
    ax.set_xlabel("Repeat purchases in the calibration period")
    ax.set_ylabel("Customers")
    ax.set_title("How many customers bought again, and how often")
    ax.legend(frameon=False)
    return ax


def retention_projection(
    survivors: Any,
    *,
    calibration_periods: int | None = None,
    periods: int | None = None,
    model: Any = None,
    naive: bool = True,
    period_name: str = "Year",
    ax: Any = None,
    other_models: dict[str, Any] | None = None,
) -> Any:
    """Share of a cohort still active: data, sBG (or BdW) projection, naive curve fits (Fader and Hardie 2007, fig. 2).

    Parameters
    ----------
    survivors : sequence
        Number active at the start of each period (first = cohort size); all periods are drawn as data.
    calibration_periods : int, optional
        Periods 1..k used for fitting (default all); the rest are shown as holdout.
    periods : int, optional
        Projection horizon (default: the data's length, at least 12).
    model : ShiftedBetaGeo or BetaDiscreteWeibull, optional
        A fitted retention model; by default an sBG is fitted on the calibration periods.
    naive : bool
        Also draw the straight-line, quadratic and exponential fits.
    other_models : dict, optional
        More fitted retention models to draw, by label (e.g. ``{"BdW": BetaDiscreteWeibull().fit(...)}``).

    Examples
    --------
    >>> ax = retention_projection([1000, 631, 468, 382, 326, 289, 262, 241], periods=12)
    >>> len(ax.get_lines()) >= 4
    True
    """
    from crmlib.models import ShiftedBetaGeo, naive_survival_projections

    values = np.asarray(survivors, dtype=float)
    k = len(values) - 1 if calibration_periods is None else int(calibration_periods)
    horizon = periods if periods is not None else max(len(values) - 1, 12)
    if model is None:
        model = ShiftedBetaGeo().fit(values[: k + 1])
    ax = get_ax(ax, (8, 4.5))
    grid = np.arange(horizon + 1)
    share = values / values[0]
    ax.plot(np.arange(k + 1), share[: k + 1], "o", color=_ACTUAL, label="Data used for fitting")
    if len(values) > k + 1:
        ax.plot(
            np.arange(k + 1, len(values)),
            share[k + 1 :],
            "o",
            mfc="white",
            color=_ACTUAL,
            label="Later data (not used)",
        )
    label = "BdW" if type(model).__name__ == "BetaDiscreteWeibull" else "sBG"
    ax.plot(grid, model.survival(grid), color=_MODEL, linewidth=2, label=label)
    for (name, other), color in zip((other_models or {}).items(), ("#dd8452", "#937860", "#da8bc3")):
        ax.plot(grid, other.survival(grid), color=color, linewidth=2, label=name)
    if naive:
        curves = naive_survival_projections(values[: k + 1], horizon)
        styles = {"linear": (":", "#4c72b0"), "quadratic": ("-.", "#55a868"), "exponential": ("--", "#8172b2")}
        for name, (ls, color) in styles.items():
            ax.plot(curves.index, curves[name], linestyle=ls, color=color, label=name.capitalize())
    ax.axvline(k, color="grey", linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(period_name)
    ax.set_ylabel("Share of the cohort still active")
    ax.set_title(
        f"Projecting retention: the {label} against naive curve fits" if naive else f"Projecting retention: the {label}"
    )
    ax.legend(frameon=False, fontsize=9, ncol=2)
    return ax


def alive_path(path: pd.DataFrame, *, ax: Any = None) -> Any:
    """One customer's P(alive) over time, with her purchase days marked (:func:`crmlib.models.alive_path`).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"probability_alive": [1.0, 0.8, 1.0], "purchase": [True, False, True]},
    ...                  index=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]))
    >>> alive_path(p).get_ylabel()
    'P(alive)'
    """
    ax = get_ax(ax, (8, 3.5))
    ax.plot(path.index, path["probability_alive"], color=_MODEL, label="P(alive)")
    buys = path.index[path["purchase"].to_numpy(bool)]
    ax.vlines(buys, 0, 1, colors=_ACTUAL, linestyles=":", linewidth=1, label="purchase")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("P(alive)")
    who = path.attrs.get("customer_id")
    ax.set_title("Probability the customer is still alive" + (f": {who}" if who is not None else ""))
    ax.legend(frameon=False, loc="lower left")
    return ax


def _density_grid(dist: Any) -> Any:
    lo, hi = dist.ppf(0.001), dist.ppf(0.995)
    return np.linspace(max(lo, 0.0), hi, 400)[1:]


def heterogeneity(model: Any, process: str = "purchase", *, ax: Any = None) -> Any:
    r"""Density of a fitted model's mixing distribution: how the customers differ.

    ``process``:

    * ``"purchase"`` -- the purchase rate :math:`\lambda \sim \text{Gamma}(r, \alpha)` (BG/NBD, MBG/NBD,
      Pareto/NBD; per unit of the data) or the transaction probability :math:`p \sim \text{Beta}(\alpha, \beta)`
      (BG/BB, per opportunity);
    * ``"dropout"`` -- the drop-out probability after a purchase :math:`p \sim \text{Beta}(a, b)` (BG/NBD, MBG/NBD),
      the death rate :math:`\mu \sim \text{Gamma}(s, \beta)` (Pareto/NBD), the churn probability per period
      :math:`\theta \sim \text{Beta}(\alpha, \beta)` (sBG, BdW) or the death probability per opportunity
      :math:`\theta \sim \text{Beta}(\gamma, \delta)` (BG/BB);
    * ``"spend"`` -- the mean spend per transaction :math:`p/\nu`, :math:`\nu \sim \text{Gamma}(q, v)` (Gamma-Gamma).

    The mean is marked. For covariate models the baseline customer (covariates 0) is drawn.

    Examples
    --------
    >>> from crmlib.models import BetaGeo
    >>> m = BetaGeo(); m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}; m.unit_ = "W"
    >>> heterogeneity(m, "dropout").get_xlabel()
    'Drop-out probability after a purchase, p'
    """
    from scipy import stats

    name = type(model).__name__
    p = model.params_
    unit = getattr(model, "unit_name", "periods")
    per = unit[:-1] if unit.endswith("s") else unit
    if process == "purchase" and name in ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD"):
        dist, label = stats.gamma(p["r"], scale=1 / p["alpha"]), f"Purchase rate while alive, lambda (per {per})"
    elif process == "purchase" and name == "BetaGeoBetaBinom":
        dist, label = stats.beta(p["alpha"], p["beta"]), "Transaction probability per opportunity, p"
    elif process == "dropout" and name in ("BetaGeo", "ModifiedBetaGeo"):
        dist, label = stats.beta(p["a"], p["b"]), "Drop-out probability after a purchase, p"
    elif process == "dropout" and name == "ParetoNBD":
        dist, label = stats.gamma(p["s"], scale=1 / p["beta"]), f"Death rate, mu (per {per})"
    elif process == "dropout" and name in ("ShiftedBetaGeo", "BetaDiscreteWeibull"):
        dist, label = stats.beta(p["alpha"], p["beta"]), "Churn probability per period, theta"
    elif process == "dropout" and name == "BetaGeoBetaBinom":
        dist, label = stats.beta(p["gamma"], p["delta"]), "Death probability per opportunity, theta"
    elif process == "spend" and name == "GammaGamma":
        dist, label = (
            stats.invgamma(p["q"], scale=p["p"] * p["v"]),
            "Mean spend per transaction, p / nu",
        )  # nu ~ Gamma(q, v)
    else:
        raise ValueError(
            f"heterogeneity: {name} has no {process!r} distribution; use process='purchase' or 'dropout' for the "
            "transaction and retention models, 'spend' for GammaGamma."
        )
    ax = get_ax(ax, (7, 4))
    grid = _density_grid(dist)
    dens = dist.pdf(grid)
    ax.plot(grid, dens, color=_MODEL)
    ax.fill_between(grid, dens, color=_MODEL, alpha=0.15)
    mean = float(dist.mean())
    if np.isfinite(mean):
        ax.axvline(mean, color=_ACTUAL, linestyle="--", linewidth=1)
        ax.annotate(
            f"mean {mean:.3g}",
            (mean, float(np.nanmax(dens[np.isfinite(dens)])) * 0.9),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=9,
        )
    top = float(np.nanquantile(dens[np.isfinite(dens)], 0.98))
    ax.set_ylim(0, top * 1.1 if top > 0 else None)
    ax.set_xlabel(label)
    ax.set_ylabel("Density")
    ax.set_title(f"How customers differ: fitted {name} heterogeneity")
    return ax
