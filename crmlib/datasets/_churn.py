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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmlib.datasets._files import attach, bundled_path
from crmlib.params import ParameterError, check_number

__all__ = ["CHURN_COEFFICIENTS", "CHURN_DRIVERS", "CHURN_STUDY_BASE", "make_churn_drivers", "load_churn"]

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
    customers_or_n: int | Sequence[Any] | pd.DataFrame = 2000,
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
        n = int(check_number(customers_or_n, "customers_or_n", func="make_churn_drivers", low=1, integer=True))
        ids = pd.Index([f"C{i + 1:06d}" for i in range(n)])
    else:
        try:
            ids = pd.Index(list(customers_or_n))  # type: ignore[arg-type]  # a bool or an object: TypeError below
        except TypeError:
            raise ParameterError(
                "The 'customers_or_n' parameter of make_churn_drivers must be a number of customers, a list of "
                f"customer ids or a DataFrame indexed by customer id. Got {customers_or_n!r} instead."
            ) from None
    n = len(ids)
    if n == 0:
        raise ParameterError(
            "The 'customers_or_n' parameter of make_churn_drivers must hold at least one customer. Got none instead."
        )
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


# ---------------------------------------------------------------------------------------------
# The churn study of the bundled business (data/churn.csv): drivers that belong to the log's customers
# ---------------------------------------------------------------------------------------------

#: The bundled churn study: distribution of each driver among the customers who **stayed**; those who churned
#: get the same family with its parameter moved by the true coefficient of :data:`CHURN_COEFFICIENTS` (see
#: :func:`load_churn`). ``complaint_share`` (the share of customers with a failure who complain) is the same in
#: both groups; what differs is how often the complaint was resolved.
CHURN_STUDY_BASE: dict[str, float] = {
    "price_increase": 0.30,  # P(met a price increase)
    "service_failures": 0.50,  # mean number of service failures (Poisson)
    "complaint_share": 0.50,  # P(complained | at least one failure), both groups
    "competitor_offer": 0.20,  # P(had a competitor's offer)
    "distance_shape": 2.0,  # distance to the nearest store: Gamma(shape, rate) km
    "distance_rate": 0.35,
    "lost_need": 0.01,  # P(the need went away)
    "tie": 0.35,  # P(holds each of the two bonds besides the programme: personal contact, structural tie)
}

#: Drivers whose coefficient the bundled study sets (the others -- intercept, tenure, loyalty membership --
#: come from the log and are estimated, not given).
STUDY_DRIVERS: tuple[str, ...] = (
    "price_increase", "service_failures", "complaint_unresolved", "complaint_resolved", "competitor_offer",
    "distance_km", "lost_need", "bonds",
)


def _shift(p: float, beta: float) -> float:
    """The probability whose log-odds are those of ``p`` plus ``beta``."""
    return float(1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + beta))))


def _study_laws(beta: Mapping[str, float]) -> dict[int, dict[str, float]]:
    """Driver parameters for the stayers (0) and the churners (1) that make the true log-odds ratios ``beta``."""
    b = CHURN_STUDY_BASE
    c = b["complaint_share"]
    e_res, e_unres = np.exp(beta["complaint_resolved"]), np.exp(beta["complaint_unresolved"])
    # P(res|1) = e_res P(res|0), P(unres|1) = e_unres P(unres|0), and both groups complain with probability c
    unres0 = c * (1 - e_res) / ((1 - e_res) + (e_unres - 1))
    res0 = c - unres0
    laws: dict[int, dict[str, float]] = {
        0: {"price_increase": b["price_increase"], "service_failures": b["service_failures"], "resolved": res0,
            "unresolved": unres0, "competitor_offer": b["competitor_offer"], "distance_rate": b["distance_rate"],
            "lost_need": b["lost_need"], "tie": b["tie"]},
    }
    laws[1] = {
        "price_increase": _shift(b["price_increase"], beta["price_increase"]),
        "service_failures": b["service_failures"] * float(np.exp(beta["service_failures"])),
        "resolved": res0 * float(e_res),
        "unresolved": unres0 * float(e_unres),
        "competitor_offer": _shift(b["competitor_offer"], beta["competitor_offer"]),
        "distance_rate": b["distance_rate"] - beta["distance_km"],
        "lost_need": _shift(b["lost_need"], beta["lost_need"]),
        "tie": _shift(b["tie"], beta["bonds"]),
    }
    return laws


def draw_churn_study(
    rng: np.random.Generator,
    *,
    ids,
    day_code: np.ndarray,
    day_value: np.ndarray,
    first_day: np.ndarray,
    end_day: int,
    start_date,
    member_since: np.ndarray,
    contacts: np.ndarray,
    complaint_share: float,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    r"""The churn study of a simulated log (used by :func:`crmlib.datasets.make_retail`; see :func:`load_churn`).

    Returns the study frame and every customer's service contacts and complaints, in which a study customer's
    contacts during the year before the study are their service failures of the study.
    """
    n = len(first_day)
    study_start = end_day - 365  # the study year is (study_start, end_day]
    pre = (day_value > study_start - 365) & (day_value <= study_start)
    post = day_value > study_start
    n_pre = np.bincount(day_code[pre], minlength=n)
    n_post = np.bincount(day_code[post], minlength=n)
    n_all = np.bincount(day_code, minlength=n)
    who = np.flatnonzero(n_pre > 0)
    y = (n_post[who] == 0).astype(np.int64)
    beta = {k: CHURN_COEFFICIENTS[k] for k in STUDY_DRIVERS}
    laws = _study_laws(beta)
    m = len(who)

    def pick(key):
        return np.where(y == 1, laws[1][key], laws[0][key])

    failures = rng.poisson(pick("service_failures"))
    u = rng.random(m)
    unresolved = (failures > 0) & (u < pick("unresolved"))
    resolved = (failures > 0) & (u >= pick("unresolved")) & (u < pick("unresolved") + pick("resolved"))
    member = (member_since[who] >= 0) & (member_since[who] <= study_start)
    frame = pd.DataFrame(
        {
            "price_increase": (rng.random(m) < pick("price_increase")).astype(np.int64),
            "service_failures": failures.astype(np.int64),
            "complaint_unresolved": unresolved.astype(np.int64),
            "complaint_resolved": resolved.astype(np.int64),
            "competitor_offer": (rng.random(m) < pick("competitor_offer")).astype(np.int64),
            "distance_km": np.round(rng.gamma(CHURN_STUDY_BASE["distance_shape"], 1.0 / pick("distance_rate")), 2),
            "lost_need": (rng.random(m) < pick("lost_need")).astype(np.int64),
            "tenure_years": np.round((study_start - first_day[who]) / 365.25, 2),
            "bonds": (member.astype(np.int64) + rng.binomial(2, pick("tie"))).astype(np.int64),
            "loyalty_member": member,
            "churned": y,
        },
        index=pd.Index(np.asarray(ids)[who], name="customer_id"),
    )
    # service contacts: the study's failures replace the contacts of the year before the study (thinning keeps
    # the contacts of the other years a Poisson count)
    contacts = contacts.copy()
    outside = rng.binomial(contacts[who], 1.0 - n_pre[who] / np.maximum(n_all[who], 1))
    contacts[who] = outside + failures
    complaints = rng.binomial(contacts, min(complaint_share, 1.0))
    complaints[who] = rng.binomial(outside, min(complaint_share, 1.0)) + unresolved + resolved
    start = pd.Timestamp(start_date)
    frame.attrs["true_params"] = {
        "coefficients": beta,
        "not_set_by_the_generator": ["intercept", "tenure_years", "loyalty_member"],
        "laws": {"stayed": laws[0], "churned": laws[1], "complaint_share": CHURN_STUDY_BASE["complaint_share"],
                 "distance_shape": CHURN_STUDY_BASE["distance_shape"]},
        "study_start": str((start + pd.Timedelta(days=int(study_start) + 1)).date()),
        "study_end": str((start + pd.Timedelta(days=int(end_day))).date()),
        "population": "customers with a purchase in the year before the study start",
        "churned": "no purchase in the study year",
    }
    return frame, contacts, complaints


def load_churn() -> pd.DataFrame:
    r"""The bundled churn study (``data/churn.csv``): drivers and churn of the log's own customers.

    The firm's churn study of its last year: every customer of :func:`load_transactions` who bought in the year
    before the study year (the 365 days to 2024-06-30) is in it, and ``churned`` is 1 if the customer made **no
    purchase in the study year** (2024-07-01 to 2025-06-30) -- read off the log, so the churners are the log's
    own lapsing customers. For each, what they experienced in the year before: the drivers of
    :data:`CHURN_DRIVERS` (``tenure_years`` from the log, ``bonds`` counting the loyalty programme of
    :func:`load_customers` plus personal contact and a structural tie) and ``loyalty_member``. The service
    failures are the customer's service contacts of that year in ``customers.csv``.

    **The truth.** Given churn, each driver is drawn independently from a stated law (Bernoulli, Poisson,
    Gamma, binomial; :data:`CHURN_STUDY_BASE` for the stayers), the churners' law moved so that its log
    likelihood ratio is linear in the driver. By Bayes' rule the churn probability is then exactly logistic:

    .. math::

        \operatorname{logit} P(\text{churned} \mid x) = h(\text{tenure}, \text{member})
        + \sum_j \beta_j x_j

    with :math:`\beta_j` the coefficients of :data:`CHURN_COEFFICIENTS` for the eight drivers in
    ``attrs["true_params"]["coefficients"]`` and :math:`h` whatever the log implies for tenure and programme
    membership (not set by the generator; a logistic model with both as drivers estimates it linearly). The
    same joint distribution arises if the drivers are drawn first and churn from the logistic model: the
    drivers act on churn, as the course reads them.

    Returns
    -------
    DataFrame
        Index ``customer_id``; the driver columns of :data:`CHURN_DRIVERS`, ``loyalty_member`` (bool) and
        ``churned`` (0/1). ``attrs["true_params"]`` holds the coefficients, the laws and the study period.

    Examples
    --------
    >>> study = load_churn()
    >>> study.attrs["true_params"]["coefficients"]["complaint_unresolved"]
    1.2
    >>> sorted(set(study["churned"]))
    [0, 1]
    """
    frame = pd.read_csv(bundled_path("churn.csv"), dtype={"customer_id": str, "loyalty_member": bool})
    frame = attach(frame.set_index("customer_id"), "churn.csv")
    return frame
