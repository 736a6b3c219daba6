r"""Contractual cohorts: survivors per period, simulated (with truth) and published.

:func:`make_cohorts` simulates subscription cohorts from the shifted-beta-geometric (sBG) model of
Fader and Hardie (2007): each customer has a constant churn probability per period
:math:`\theta \sim \text{Beta}(\alpha, \beta)`, so the cohort's retention rate rises over time as
the churn-prone leave. :func:`load_cohorts` reads the bundled simulated cohorts and
:func:`load_fader_hardie_2007` the two published cohorts of the paper ("regular" and "high end"),
which the sBG model must reproduce.

References
----------
Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. *Journal of Interactive
Marketing* 21(1), 76-90.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlib.datasets._files import attach, bundled_path
from crmlib.params import ParameterError, check_number

__all__ = [
    "make_cohorts",
    "load_cohorts",
    "load_fader_hardie_2007",
    "DEFAULT_COHORTS",
    "BUNDLED_COHORTS",
    "FADER_HARDIE_2007",
]

#: Simulated signup-year cohorts of a subscription business, observed at the start of 2025: the
#: 2018 cohort has 7 renewal periods (years), the 2022 cohort 3. Later cohorts churn less (higher beta).
DEFAULT_COHORTS: dict[str, dict[str, float]] = {
    "2018": {"size": 1000, "alpha": 0.7, "beta": 1.2, "periods": 7},
    "2019": {"size": 1200, "alpha": 0.8, "beta": 1.6, "periods": 6},
    "2020": {"size": 1500, "alpha": 0.9, "beta": 2.2, "periods": 5},
    "2021": {"size": 1800, "alpha": 1.0, "beta": 3.0, "periods": 4},
    "2022": {"size": 2000, "alpha": 1.1, "beta": 4.0, "periods": 3},
}

#: Settings of the bundled ``data/cohorts.csv``.
BUNDLED_COHORTS: dict[str, Any] = {"seed": 2007}

#: Fader and Hardie (2007), Table 1 / Figure 1: customers still active at the start of years 0-7 of two
#: cohorts of 1,000 customers each, with the sBG estimates the paper reports (fitted to years 1-7).
FADER_HARDIE_2007: dict[str, dict[str, Any]] = {
    "regular": {
        "survivors": [1000, 631, 468, 382, 326, 289, 262, 241],
        "alpha": 0.704,
        "beta": 1.182,
    },
    "high end": {
        "survivors": [1000, 869, 743, 653, 593, 551, 517, 491],
        "alpha": 0.668,
        "beta": 3.806,
    },
}

_CITATION = (
    "Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. "
    "Journal of Interactive Marketing 21(1), 76-90."
)


def make_cohorts(cohorts: dict[str, dict[str, float]] | None = None, *, seed: int | None = 0) -> pd.DataFrame:
    r"""Simulate contractual cohorts from the shifted-beta-geometric model.

    For each cohort of size :math:`n_0`, every customer draws a churn probability per period
    :math:`\theta \sim \text{Beta}(\alpha, \beta)` and renews each period until churning, so the
    period of churn :math:`T` is geometric (Fader and Hardie 2007, eqs. 1-2):

    .. math::

        P(T = t \mid \theta) = \theta (1 - \theta)^{t - 1}, \qquad
        S(t) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)}, \quad t = 1, 2, \dots

    ``survivors`` at period *t* is the number of the cohort with :math:`T > t` (still active at the
    start of period *t*; period 0 is the cohort size). Its expectation is :math:`n_0 S(t)`.

    Parameters
    ----------
    cohorts : dict, optional
        ``{name: {"size": n0, "alpha": a, "beta": b, "periods": n}}`` with ``periods`` the last
        period observed. Default :data:`DEFAULT_COHORTS` (signup years 2018-2022, yearly periods).
    seed : int or None
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    DataFrame
        Columns ``cohort`` (str), ``period`` (int, 0..periods), ``survivors`` (int, non-increasing
        within a cohort). ``attrs["true_params"]`` holds each cohort's ``size``, ``alpha``, ``beta``,
        ``periods`` and the seed.

    References
    ----------
    Fader and Hardie (2007), How to project customer retention, *J. Interactive Marketing* 21(1).

    Examples
    --------
    >>> table = make_cohorts({"basic": {"size": 500, "alpha": 1.0, "beta": 2.0, "periods": 4}}, seed=1)
    >>> table["period"].tolist(), int(table["survivors"].iloc[0])
    ([0, 1, 2, 3, 4], 500)
    """
    func = "make_cohorts"
    cohorts = DEFAULT_COHORTS if cohorts is None else cohorts
    if not isinstance(cohorts, dict) or not cohorts:
        raise ParameterError(
            f"The 'cohorts' parameter of make_cohorts must be a non-empty dict "
            f"{{name: {{'size', 'alpha', 'beta', 'periods'}}}}. Got {cohorts!r} instead."
        )
    rng = np.random.default_rng(seed)
    rows = []
    truth: dict[str, dict[str, float]] = {}
    for name, spec in cohorts.items():
        missing = [k for k in ("size", "alpha", "beta", "periods") if k not in spec]
        if missing:
            raise ParameterError(
                f"The 'cohorts' parameter of make_cohorts: cohort {name!r} lacks {', '.join(missing)}. "
                "Give size, alpha, beta and periods for every cohort."
            )
        size = int(check_number(spec["size"], f"cohorts[{name!r}]['size']", func=func, low=1, integer=True))
        a = check_number(spec["alpha"], f"cohorts[{name!r}]['alpha']", func=func, low=0, low_open=True)
        b = check_number(spec["beta"], f"cohorts[{name!r}]['beta']", func=func, low=0, low_open=True)
        periods = check_number(spec["periods"], f"cohorts[{name!r}]['periods']", func=func, low=1, integer=True)
        theta = np.clip(rng.beta(a, b, size), 1e-12, 1.0)
        churn_period = rng.geometric(theta)  # T in 1, 2, ...
        t = np.arange(periods + 1)
        survivors = (churn_period[None, :] > t[:, None]).sum(axis=1)
        rows.append(pd.DataFrame({"cohort": str(name), "period": t, "survivors": survivors.astype(np.int64)}))
        truth[str(name)] = {"size": size, "alpha": a, "beta": b, "periods": periods}
    table = pd.concat(rows, ignore_index=True)
    table["cohort"] = table["cohort"].astype("str")
    table.attrs["true_params"] = {
        "generator": "crmlib.datasets.make_cohorts",
        "model": "shifted-beta-geometric (Fader and Hardie 2007)",
        "seed": seed,
        "period_unit": "Y",
        "cohorts": truth,
    }
    table.attrs["source"] = "synthetic: crmlib.datasets.make_cohorts"
    return table


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(bundled_path(name), dtype={"cohort": str, "period": np.int64, "survivors": np.int64})
    return attach(frame, name)


def load_cohorts() -> pd.DataFrame:
    """The bundled simulated subscription cohorts (``data/cohorts.csv``).

    Returns
    -------
    DataFrame
        ``cohort`` (signup year, text), ``period`` (years since signup, 0..), ``survivors`` (customers
        still active at the start of the period). ``attrs["true_params"]["cohorts"]`` holds each
        cohort's true sBG ``alpha`` and ``beta`` (see :func:`make_cohorts`).

    Examples
    --------
    >>> table = load_cohorts()
    >>> sorted(table["cohort"].unique())
    ['2018', '2019', '2020', '2021', '2022']
    """
    return _read("cohorts.csv")


def load_fader_hardie_2007() -> pd.DataFrame:
    """The published survivor counts of Fader and Hardie (2007): "regular" and "high end" cohorts.

    Two cohorts of 1,000 customers who joined in year 0, with the number still active at the start
    of years 0 to 7. The paper's sBG estimates are in ``attrs["published"]``: regular
    alpha = 0.704, beta = 1.182; high end alpha = 0.668, beta = 3.806 (fitted to years 1-7).

    Returns
    -------
    DataFrame
        ``cohort`` (``"regular"``, ``"high end"``), ``period`` (year, 0-7), ``survivors``.

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. *Journal of
    Interactive Marketing* 21(1), 76-90.

    Examples
    --------
    >>> fh = load_fader_hardie_2007()
    >>> fh.loc[fh["cohort"] == "regular", "survivors"].tolist()
    [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> fh.attrs["published"]["high end"]
    {'alpha': 0.668, 'beta': 3.806}
    """
    frame = _read("fader_hardie_2007.csv")
    frame.attrs["published"] = {k: {"alpha": v["alpha"], "beta": v["beta"]} for k, v in FADER_HARDIE_2007.items()}
    frame.attrs["source"] = _CITATION
    return frame


def _fader_hardie_table() -> pd.DataFrame:
    rows = [
        pd.DataFrame({"cohort": name, "period": np.arange(len(v["survivors"])), "survivors": v["survivors"]})
        for name, v in FADER_HARDIE_2007.items()
    ]
    return pd.concat(rows, ignore_index=True)


def _bundle() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    table = make_cohorts(**BUNDLED_COHORTS)
    sim_meta = {
        "description": "Simulated subscription cohorts (signup years 2018-2022): survivors at the start of each year.",
        "generator": "crmlib.datasets.make_cohorts",
        "seed": BUNDLED_COHORTS["seed"],
        "params": table.attrs["true_params"],
    }
    fh_meta = {
        "description": "Published survivor counts of two cohorts of 1,000 customers (years 0-7).",
        "generator": None,
        "source": _CITATION,
        "published_estimates": {k: {"alpha": v["alpha"], "beta": v["beta"]} for k, v in FADER_HARDIE_2007.items()},
    }
    return {"cohorts.csv": (table, sim_meta), "fader_hardie_2007.csv": (_fader_hardie_table(), fh_meta)}
