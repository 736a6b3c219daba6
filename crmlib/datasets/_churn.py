"""SIMULATED churn drivers: what customers experienced in a year, and whether they left (logistic model, known truth).

The drivers are those the course names (and the churn literature finds, e.g. Keaveney 1995's
switching incidents): price increases, service failures, complaints handled or not (service recovery),
competitors' offers, inconvenience, a need that went away, tenure, and the bonds / switching costs that
hold customers. Churn is drawn from a logistic model with **known coefficients**, kept in
``attrs["true_params"]``, so that :class:`crmlib.churn.ChurnLogit` can be checked to recover them.
**No customer answered or experienced any of this.**

References
----------
Keaveney, S. M. (1995). Customer switching behavior in service industries: an exploratory study.
*Journal of Marketing* 59(2), 71-82.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlib.params import ParameterError, check_number

__all__ = ["CHURN_COEFFICIENTS", "CHURN_DRIVERS", "make_churn_drivers"]

#: Each driver column and what it records (one row per customer, over one year).
CHURN_DRIVERS: dict[str, str] = {
    "price_increase": "1 if the customer met a price increase this year (Bernoulli 0.3)",
    "service_failures": "number of service failures experienced (Poisson, mean 0.6)",
    "complaint_unresolved": "1 if the customer complained and the complaint was not resolved",
    "complaint_resolved": "1 if the customer complained and the complaint was resolved (service recovery)",
    "competitor_offer": "1 if a competitor made the customer an offer (Bernoulli 0.25)",
    "distance_km": "distance to the nearest store, km (inconvenience; log-normal, median 5 km)",
    "lost_need": "1 if the need went away (moved, life change; Bernoulli 0.05)",
    "tenure_years": "years since the first purchase",
    "bonds": "number of bonds held: loyalty programme, personal contact, structural tie (0-3)",
}

#: True coefficients of the logit of churn within the year (log-odds per unit of each driver).
CHURN_COEFFICIENTS: dict[str, float] = {
    "intercept": -1.6,
    "price_increase": 0.7,
    "service_failures": 0.35,
    "complaint_unresolved": 1.2,
    "complaint_resolved": -0.3,
    "competitor_offer": 0.8,
    "distance_km": 0.04,
    "lost_need": 2.5,
    "tenure_years": -0.25,
    "bonds": -0.5,
}


def make_churn_drivers(
    customers_or_n=2000,
    *,
    seed: int = 0,
    coefficients: Mapping[str, float] | None = None,
    complaint_rate: float = 0.5,
    recovery_rate: float = 0.6,
) -> pd.DataFrame:
    r"""Draw SIMULATED churn drivers and churn from a logistic model with known coefficients.

    For customer *n* with drivers :math:`x_n` (the columns of :data:`CHURN_DRIVERS`):

    .. math::  P(\text{churn}_n = 1) = \frac{1}{1 + e^{-(\beta_0 + x_n^\top \beta)}}

    with :math:`\beta` = ``coefficients`` (default :data:`CHURN_COEFFICIENTS`). A customer with at least
    one service failure complains with probability ``complaint_rate``; a complaint is resolved with
    probability ``recovery_rate``.

    Parameters
    ----------
    customers_or_n : int, sequence of ids, or DataFrame
        The number of customers; or their ids; or a frame indexed by customer id (e.g. the summary of
        :func:`crmlib.rfm.summarize`) whose ``tenure_years`` column, if any, is used as tenure
        (otherwise tenure is uniform on [0, 5] years).
    seed : int
        Seed of the random generator.
    coefficients : mapping, optional
        ``driver -> coefficient`` overriding the defaults (``"intercept"`` included).
    complaint_rate, recovery_rate : float in [0, 1]

    Returns
    -------
    DataFrame
        Index ``customer_id``; the driver columns, ``churn_probability`` (the true probability) and
        ``churned`` (0/1). ``attrs["true_params"]["coefficients"]`` holds :math:`\beta`;
        ``attrs["simulated"]`` is True.

    Examples
    --------
    >>> d = make_churn_drivers(500, seed=1)
    >>> d.attrs["true_params"]["coefficients"]["lost_need"]
    2.5
    >>> sorted(set(d["churned"]))
    [0, 1]
    """
    complaint_rate = check_number(complaint_rate, "complaint_rate", func="make_churn_drivers", low=0, high=1)
    recovery_rate = check_number(recovery_rate, "recovery_rate", func="make_churn_drivers", low=0, high=1)
    tenure = None
    if isinstance(customers_or_n, pd.DataFrame):
        ids = customers_or_n.index
        if "tenure_years" in customers_or_n.columns:
            tenure = customers_or_n["tenure_years"].to_numpy(dtype=float)
    elif isinstance(customers_or_n, (int, np.integer)) and not isinstance(customers_or_n, bool):
        n = check_number(customers_or_n, "customers_or_n", func="make_churn_drivers", low=1, integer=True)
        ids = pd.Index([f"C{i + 1:06d}" for i in range(n)])
    else:
        try:
            ids = pd.Index(list(customers_or_n))
        except TypeError:
            raise ParameterError(
                "The 'customers_or_n' parameter of make_churn_drivers must be a number of customers, a list of "
                f"customer ids or a DataFrame indexed by customer id. Got {customers_or_n!r} instead."
            ) from None
    n = len(ids)
    if n == 0:
        raise ParameterError("The 'customers_or_n' parameter of make_churn_drivers must hold at least one customer. Got none instead.")
    beta = dict(CHURN_COEFFICIENTS)
    if coefficients is not None:
        unknown = [k for k in coefficients if k not in beta]
        if unknown:
            raise ParameterError(
                f"The 'coefficients' parameter of make_churn_drivers has unknown drivers {unknown}; "
                f"the drivers are: intercept, {', '.join(CHURN_DRIVERS)}."
            )
        for k, v in coefficients.items():
            beta[k] = check_number(v, f"coefficients[{k}]", func="make_churn_drivers")
    rng = np.random.default_rng(seed)
    failures = rng.poisson(0.6, n)
    complained = (failures > 0) & (rng.random(n) < complaint_rate)
    resolved = complained & (rng.random(n) < recovery_rate)
    x = pd.DataFrame(
        {
            "price_increase": (rng.random(n) < 0.3).astype(int),
            "service_failures": failures,
            "complaint_unresolved": (complained & ~resolved).astype(int),
            "complaint_resolved": resolved.astype(int),
            "competitor_offer": (rng.random(n) < 0.25).astype(int),
            "distance_km": np.round(np.exp(rng.normal(np.log(5.0), 0.6, n)), 1),
            "lost_need": (rng.random(n) < 0.05).astype(int),
            "tenure_years": np.round(rng.uniform(0, 5, n), 2) if tenure is None else tenure,
            "bonds": rng.binomial(3, 0.35, n),
        },
        index=pd.Index(ids, name="customer_id"),
    )
    eta = beta["intercept"] + sum(beta[c] * x[c].to_numpy(dtype=float) for c in CHURN_DRIVERS)
    p = 1.0 / (1.0 + np.exp(-eta))
    x["churn_probability"] = p
    x["churned"] = (rng.random(n) < p).astype(int)
    x.attrs["simulated"] = True
    x.attrs["true_params"] = {"coefficients": beta, "seed": seed, "n": n, "complaint_rate": complaint_rate,
                              "recovery_rate": recovery_rate}
    return x
