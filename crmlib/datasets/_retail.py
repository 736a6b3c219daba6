r"""The bundled retail business and its generator, with the ground truth.

:func:`make_retail` draws a non-contractual retail customer base: customers acquired continuously (with
seasonality and growth) through channels that differ in cost and in the quality of the customers they bring,
repeat purchases from the BG/NBD process (Fader, Hardie and Lee 2005a) -- or, on request, the Pareto/NBD
process (Schmittlein, Morrison and Colombo 1987) -- with Gamma-Gamma spend (Fader, Hardie and Lee 2005b), and
the firm's side of each relationship: the customer's gross margin rate, service contacts and complaints (the
cost to serve) and loyalty-programme membership. It computes its own per-customer truth (frequency, recency,
T, monetary value, purchase rate, dropout, alive at the end) from its internal list of purchase days, so tests
can check that :func:`crmlib.rfm.summarize` recovers it exactly and that the models recover the parameters.

**Why the models stay exactly specified.** Every customer's latent purchase rate, dropout and spend are drawn
from the stated distributions *first*, independently of everything else; the channel, the loyalty-programme
membership, the margin rate and the service contacts are then drawn *given* those latent values. So the pooled
base follows the stated BG/NBD and Gamma-Gamma laws exactly, while channels (and members) differ in quality as
real ones do. Customers who truly drop out never return (the models' assumption); the customers a manager
sees "churn and come back" are those who went quiet for longer than the firm's lapse rule and bought again,
which the models explain as slow buyers. The truth of a channel is the conditional law given the channel, not
the stated parameters: fit the models to the pooled base to recover them.

:func:`load_transactions` and :func:`load_customers` read the bundled files ``data/transactions.csv``
and ``data/customers.csv`` (described in ``data/README.md``), which ``python -m crmlib.datasets``
regenerates from :data:`BUNDLED_RETAIL`.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005a). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). Counting your customers: who are they and what
will they do next? *Management Science* 33(1), 1-24.
Zeithaml, V. A., Rust, R. T. and Lemon, K. N. (2001). The customer pyramid: creating and serving profitable
customers. *California Management Review* 43(4), 118-142 (customers who cost more to serve than they bring).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmlib.datasets._files import attach, bundled_path, data_dir
from crmlib.params import DateLike, ParameterError, check_choice, check_date, check_number

__all__ = [
    "RetailData",
    "make_retail",
    "load_transactions",
    "load_customers",
    "BUNDLED_RETAIL",
    "DEFAULT_CHANNELS",
    "DEFAULT_REGIONS",
    "DEFAULT_ECONOMICS",
    "RETAIL_SEASONALITY",
    "data_dir",
]

#: Acquisition channels: share of new customers, acquisition cost per customer (currency units), the
#: quality of the customers the channel brings (``quality``: tilt of the channel towards customers with a
#: high purchase rate, low dropout and high spend; 0 = an average customer) and the shift of the gross
#: margin rate of its customers (promotion-led channels bring customers who buy on discount).
DEFAULT_CHANNELS: dict[str, dict[str, float]] = {
    "search": {"share": 0.30, "cost": 32.0, "quality": 0.0, "margin_shift": 0.0},
    "social": {"share": 0.25, "cost": 22.0, "quality": -0.6, "margin_shift": -0.06},
    "store": {"share": 0.20, "cost": 18.0, "quality": 0.2, "margin_shift": 0.0},
    "referral": {"share": 0.15, "cost": 12.0, "quality": 0.6, "margin_shift": 0.0},
    "email": {"share": 0.10, "cost": 6.0, "quality": 0.3, "margin_shift": -0.03},
}

#: Regions and their share of customers. Behaviour does not depend on the region.
DEFAULT_REGIONS: dict[str, float] = {"North": 0.30, "South": 0.25, "East": 0.25, "West": 0.20}

#: Acquisition seasonality of a retailer: relative volume of new customers in January ... December
#: (the year-end gift season brings the most).
RETAIL_SEASONALITY: tuple[float, ...] = (0.90, 0.75, 0.90, 0.95, 1.00, 0.95, 0.85, 0.85, 1.00, 1.05, 1.40, 1.60)

#: The firm's side of the relationship (see :func:`make_retail`): gross margin rate of a customer's purchases
#: (mean and spread before the channel's shift, clipped to [margin_low, margin_high]); cost to serve: a cost per
#: purchase day (handling, delivery) and per service contact; service contacts per purchase day
#: ``Gamma(contact_shape, contact_rate / contact_shape)`` per customer (a few demanding customers contact the
#: firm after almost every order), each a complaint with probability ``complaint_share``; and the loyalty
#: programme, launched on ``loyalty_launch``, joined at the first purchase after the launch with probability
#: ``logistic(loyalty_intercept + loyalty_quality * z)``, ``z`` the customer's quality score.
DEFAULT_ECONOMICS: dict[str, Any] = {
    "margin_rate": 0.30,
    "margin_sd": 0.07,
    "margin_low": 0.05,
    "margin_high": 0.55,
    "cost_per_purchase": 2.0,
    "cost_per_contact": 6.0,
    "contact_rate": 0.25,
    "contact_shape": 0.5,
    "complaint_share": 0.3,
    "loyalty_launch": None,
    "loyalty_intercept": -0.6,
    "loyalty_quality": 0.9,
}

#: The settings of the bundled business ``data/transactions.csv`` / ``data/customers.csv``.
BUNDLED_RETAIL: dict[str, Any] = {
    "n_customers": 5000,
    "seed": 20210101,
    "start": "2021-01-01",
    "acquisition_end": "2025-06-30",
    "observation_end": "2025-06-30",
    "seasonality": RETAIL_SEASONALITY,
    "growth": 0.12,
    "r": 0.5,
    "alpha": 8.0,
    "a": 0.8,
    "b": 4.0,
    "p": 6.0,
    "q": 4.0,
    "v": 15.0,
    "economics": {"loyalty_launch": "2022-03-01"},
    "churn_study": True,
}

# weights of the latent normal scores in the quality score z (purchase rate, retention, spend); see make_retail
_QUALITY_WEIGHTS = (0.6, 0.6, 0.4)
_DROPOUTS = ("purchase", "time")


@dataclass
class RetailData:
    """A synthetic retail customer base and its ground truth (returned by :func:`make_retail`).

    Attributes
    ----------
    transactions : DataFrame
        The canonical log: ``customer_id`` (str), ``date`` (datetime64, day), ``amount`` (float,
        currency units, rounded to cents). One row per purchase; several purchases of one customer on
        one day are separate rows (the kit counts them as one purchase occasion).
    customers : DataFrame
        One row per customer: ``customer_id``, ``signup_date`` (= first purchase day), ``channel``,
        ``acquisition_cost``, ``region``, ``margin_rate``, ``service_contacts``, ``complaints``,
        ``loyalty_member``, ``loyalty_since`` and the ``true_*`` columns (see :func:`make_retail`).
    truth : DataFrame
        The per-customer RFM truth in days, index ``customer_id``: ``frequency``, ``recency``, ``T``,
        ``monetary_value`` with the conventions of :func:`crmlib.rfm.summarize`.
    params : dict
        Every setting and true parameter of the generator.
    churn : DataFrame or None
        With ``churn_study=True``: the firm's churn study of its last year (see :func:`load_churn`).
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    truth: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    churn: pd.DataFrame | None = None


def _customer_ids(n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.array([f"C{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _check_shares(shares: dict[str, float], name: str) -> tuple[list[str], np.ndarray]:
    labels = list(shares)
    probs = np.array([float(shares[k]) for k in labels])
    if len(probs) == 0 or (probs < 0).any() or not np.isclose(probs.sum(), 1.0):
        raise ParameterError(
            f"The {name!r} parameter of make_retail must give shares that are >= 0 and add up to 1. "
            f"Got {shares!r} instead."
        )
    return labels, probs / probs.sum()


def _tilted_weights(shares: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """Weights w with E[w_c e^{t_c z} / sum_k w_k e^{t_k z}] = share_c for z ~ N(0, 1) (iterative scaling)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    w = shares.copy()
    for _ in range(500):
        odds = w[None, :] * np.exp(np.outer(nodes, tilt))
        mean = (odds / odds.sum(axis=1, keepdims=True)).T @ weights
        w = w * shares / mean
        if np.abs(mean - shares).max() < 1e-13:
            break
    return w / w.sum()


def _acquisition_times(rng, n, start_ts, acq_ts, seasonality, growth) -> np.ndarray:
    """Continuous acquisition times (days since start): a day drawn with weight season x growth, then uniform in it.

    Flat seasonality and no growth is a uniform draw over the window (one call, so a seed gives the same log as
    before seasonality and growth existed).
    """
    days = np.arange((acq_ts - start_ts).days + 1)
    if growth == 0 and np.all(seasonality == seasonality[0]):
        return rng.uniform(0.0, float(len(days)), n)
    when = start_ts + pd.to_timedelta(days, unit="D")
    weight = np.asarray(seasonality, dtype=float)[when.month.to_numpy() - 1] * (1.0 + growth) ** (days / 365.25)
    day = rng.choice(days, size=n, p=weight / weight.sum())
    return day + rng.uniform(0.0, 1.0, n)


def _order_statistics(rng, k: np.ndarray, n_total: np.ndarray) -> np.ndarray:
    """For each customer, the first k of n_total sorted uniforms on (0, 1), concatenated customer by customer."""
    n = len(k)
    m = int(k.sum())
    code = np.repeat(np.arange(n), k)
    spacing = rng.standard_exponential(m)
    csum = np.cumsum(spacing)
    group_start = np.cumsum(k) - k
    offset = np.zeros(n)
    has = k > 0
    offset[has] = csum[group_start[has]] - spacing[group_start[has]]
    partial = csum - offset[code]  # S_1..S_k within each customer
    s_k = np.zeros(n)
    s_k[has] = partial[group_start[has] + k[has] - 1]
    rest = rng.standard_gamma(n_total - k + 1.0)  # sum of the remaining n-k+1 spacings
    return partial / (s_k + rest)[code]


@dataclass(frozen=True)
class _Settings:
    """The checked settings of :func:`make_retail`."""

    n: int
    dropout: str
    values: dict[str, float]
    start: pd.Timestamp
    acquisition_end: pd.Timestamp
    end: pd.Timestamp
    growth: float
    season: np.ndarray
    channels: dict[str, dict[str, float]]
    regions: dict[str, float]
    econ: dict[str, Any]
    launch: pd.Timestamp | None
    channel_names: list[str]
    channel_shares: np.ndarray
    region_names: list[str]
    region_shares: np.ndarray

    @property
    def obs_days(self) -> int:
        """Days from ``start`` to the end of ``observation_end``."""
        return (self.end - self.start).days + 1


def _check_model(n_customers, dropout, given: dict[str, float], func: str) -> tuple[int, str, dict[str, float]]:
    """The number of customers, the dropout process and the positive parameters of its laws."""
    n = int(check_number(n_customers, "n_customers", func=func, low=1, integer=True))
    dropout = check_choice(dropout, "dropout", _DROPOUTS, func=func)
    names = ("r", "alpha", "p", "q", "v") + (("a", "b") if dropout == "purchase" else ("s", "beta"))
    values = {name: check_number(given[name], name, func=func, low=0, low_open=True) for name in names}
    return n, dropout, values


def _check_window(
    start, acquisition_end, observation_end, func: str
) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """The first and last day of acquisition and the last day of observation, in that order."""
    start_ts = check_date(start, "start", func=func, allow_none=False)
    acq_ts = check_date(acquisition_end, "acquisition_end", func=func, allow_none=False)
    end_ts = check_date(observation_end, "observation_end", func=func, allow_none=False)
    if acq_ts < start_ts:
        raise ParameterError(
            f"The 'acquisition_end' parameter of make_retail must not come before start ({start_ts.date()}). "
            f"Got {acq_ts.date()} instead."
        )
    if end_ts < acq_ts:
        raise ParameterError(
            f"The 'observation_end' parameter of make_retail must not come before acquisition_end ({acq_ts.date()}). "
            f"Got {end_ts.date()} instead."
        )
    return start_ts, acq_ts, end_ts


def _check_volume(growth, seasonality, func: str) -> tuple[float, np.ndarray]:
    """The yearly growth of acquisition and its twelve monthly volumes (flat by default)."""
    growth = check_number(growth, "growth", func=func, low=-1, low_open=True)
    season = np.ones(12) if seasonality is None else np.asarray(seasonality, dtype=float)
    if season.shape != (12,) or not np.isfinite(season).all() or (season < 0).any() or season.sum() <= 0:
        raise ParameterError(
            "The 'seasonality' parameter of make_retail must give 12 relative volumes >= 0 (January to December), "
            f"e.g. RETAIL_SEASONALITY. Got {seasonality!r} instead."
        )
    return growth, season


def _check_channels(channels, regions, func: str) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """The acquisition channels (share, cost, quality, margin shift) and the regions, defaults filled in."""
    channels = DEFAULT_CHANNELS if channels is None else channels
    regions = DEFAULT_REGIONS if regions is None else regions
    if not isinstance(channels, dict) or not all(
        isinstance(c, dict) and {"share", "cost"} <= set(c) for c in channels.values()
    ):
        raise ParameterError(
            "The 'channels' parameter of make_retail must be a dict {name: {'share': s, 'cost': c}}, "
            f"e.g. {{'search': {{'share': 1.0, 'cost': 30.0}}}}. Got {channels!r} instead."
        )
    for name, spec in channels.items():
        check_number(spec["cost"], f"channels[{name!r}]['cost']", func=func, low=0)
        for key in ("quality", "margin_shift"):
            check_number(spec.get(key, 0.0), f"channels[{name!r}][{key!r}]", func=func)
    if not isinstance(regions, dict):
        raise ParameterError(
            f"The 'regions' parameter of make_retail must be a dict {{name: share}}. Got {regions!r} instead."
        )
    return channels, regions


def _check_economics(economics, func: str) -> tuple[dict[str, Any], pd.Timestamp | None]:
    """:data:`DEFAULT_ECONOMICS` with the given overrides checked, and the launch date of the loyalty programme."""
    econ = dict(DEFAULT_ECONOMICS)
    unknown = sorted(set(economics or {}) - set(econ))
    if unknown:
        raise ParameterError(
            f"The 'economics' parameter of make_retail has unknown keys {unknown}; the keys are {', '.join(econ)}."
        )
    econ.update(economics or {})
    for key in econ:
        if key != "loyalty_launch":
            low = None if key in ("loyalty_intercept", "loyalty_quality") else 0
            econ[key] = check_number(econ[key], f"economics[{key!r}]", func=func, low=low)
    launch = check_date(econ["loyalty_launch"], "economics['loyalty_launch']", func=func)
    return econ, launch


def _check_settings(
    n_customers: int,
    dropout: str,
    given: dict[str, float],
    start: DateLike,
    acquisition_end: DateLike,
    observation_end: DateLike,
    growth: float,
    seasonality: Sequence[float] | None,
    channels: dict[str, dict[str, float]] | None,
    regions: dict[str, float] | None,
    economics: dict[str, Any] | None,
) -> _Settings:
    """Every argument of :func:`make_retail` checked, in the order of its signature."""
    func = "make_retail"
    n, dropout, values = _check_model(n_customers, dropout, given, func)
    start_ts, acq_ts, end_ts = _check_window(start, acquisition_end, observation_end, func)
    growth, season = _check_volume(growth, seasonality, func)
    channels, regions = _check_channels(channels, regions, func)
    econ, launch = _check_economics(economics, func)
    channel_names, channel_shares = _check_shares({k: c["share"] for k, c in channels.items()}, "channels")
    region_names, region_shares = _check_shares(regions, "regions")
    return _Settings(
        n=n,
        dropout=dropout,
        values=values,
        start=start_ts,
        acquisition_end=acq_ts,
        end=end_ts,
        growth=growth,
        season=season,
        channels=channels,
        regions=regions,
        econ=econ,
        launch=launch,
        channel_names=channel_names,
        channel_shares=channel_shares,
        region_names=region_names,
        region_shares=region_shares,
    )


@dataclass(frozen=True)
class _Customers:
    """Each customer's acquisition time (days since start), latent values, quality score, channel and region."""

    t0: np.ndarray
    lam_week: np.ndarray
    drop: np.ndarray
    nu: np.ndarray
    quality: np.ndarray
    channel_code: np.ndarray
    channel: np.ndarray
    region: np.ndarray


def _normal_score(cdf: np.ndarray) -> np.ndarray:
    """The standard normal quantile of a distribution function's values, kept off 0 and 1."""
    from scipy import stats  # imported here: loading the bundled files does not need scipy

    return stats.norm.ppf(np.clip(cdf, 1e-15, 1 - 1e-15))


def _quality_score(cfg: _Settings, lam_week: np.ndarray, drop: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """The quality score z of each customer from the normal scores of its latent values (see make_retail)."""
    from scipy import stats

    v = cfg.values
    if cfg.dropout == "purchase":
        z_drop = _normal_score(stats.beta.cdf(drop, v["a"], v["b"]))
    else:
        z_drop = _normal_score(stats.gamma.cdf(drop, v["s"], scale=1 / v["beta"]))
    z_rate = _normal_score(stats.gamma.cdf(lam_week, v["r"], scale=1 / v["alpha"]))
    z_spend = -_normal_score(stats.gamma.cdf(nu, v["q"], scale=1 / v["v"]))
    w_rate, w_drop, w_spend = _QUALITY_WEIGHTS
    return (w_rate * z_rate - w_drop * z_drop + w_spend * z_spend) / np.sqrt(w_rate**2 + w_drop**2 + w_spend**2)


def _draw_channels(rng: np.random.Generator, cfg: _Settings, quality: np.ndarray) -> np.ndarray:
    """Each customer's channel code, drawn given the quality score: P(c | z) proportional to w_c exp(theta_c z)."""
    tilt = np.array([float(cfg.channels[c].get("quality", 0.0)) for c in cfg.channel_names])
    w = _tilted_weights(cfg.channel_shares, tilt)
    odds = w[None, :] * np.exp(np.outer(quality, tilt))
    cum = np.cumsum(odds / odds.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(cfg.n)[:, None] > cum).sum(axis=1), len(cfg.channel_names) - 1)


def _draw_customers(rng: np.random.Generator, cfg: _Settings) -> _Customers:
    """Acquisition times and latent values from the stated laws first, then channel and region given them."""
    n, v = cfg.n, cfg.values
    t0 = _acquisition_times(rng, n, cfg.start, cfg.acquisition_end, cfg.season, cfg.growth)
    lam_week = rng.gamma(v["r"], 1.0 / v["alpha"], n)
    if cfg.dropout == "purchase":
        drop = rng.beta(v["a"], v["b"], n)
    else:
        drop = rng.gamma(v["s"], 1.0 / v["beta"], n)  # dropout rate per week
    nu = rng.gamma(v["q"], 1.0 / v["v"], n)
    quality = _quality_score(cfg, lam_week, drop, nu)
    channel_code = _draw_channels(rng, cfg, quality)
    region_code = rng.choice(len(cfg.region_names), size=n, p=cfg.region_shares)
    return _Customers(
        t0=t0,
        lam_week=lam_week,
        drop=drop,
        nu=nu,
        quality=quality,
        channel_code=channel_code,
        channel=np.asarray(cfg.channel_names, dtype=object)[channel_code],
        region=np.asarray(cfg.region_names, dtype=object)[region_code],
    )


@dataclass(frozen=True)
class _Purchases:
    """Every purchase, customer by customer in time order, and each customer's repeat purchases and dropout."""

    k: np.ndarray  # repeat purchases of each customer
    alive: np.ndarray  # still active at the end of observation_end
    left_day: np.ndarray  # the day each customer left (days since start), -1 if alive
    code: np.ndarray  # the customer of each purchase
    day: np.ndarray  # the day of each purchase (days since start)
    cents: np.ndarray  # the amount of each purchase in cents


def _draw_repeat_times(
    rng: np.random.Generator, cfg: _Settings, cust: _Customers
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Repeat purchases per customer, alive or not, the repeat times (days since start) and lifetimes (time dropout)."""
    n = cfg.n
    horizon = cfg.obs_days - cust.t0  # days from acquisition to the end of observation_end
    life = None
    if cfg.dropout == "purchase":
        n_poisson = rng.poisson(cust.lam_week / 7.0 * horizon)
        n_before_drop = rng.geometric(np.clip(cust.drop, 1e-12, 1.0))
        k = np.minimum(n_poisson, n_before_drop)
        alive = n_before_drop > n_poisson
        u = _order_statistics(rng, k, n_poisson)
        span = horizon
    else:
        life = rng.standard_exponential(n) / cust.drop * 7.0  # days
        alive = life > horizon
        span = np.minimum(life, horizon)
        k = rng.poisson(cust.lam_week / 7.0 * span)
        u = _order_statistics(rng, k, k)
    code_rep = np.repeat(np.arange(n), k)
    return k, alive, cust.t0[code_rep] + span[code_rep] * u, life


def _draw_purchases(rng: np.random.Generator, cfg: _Settings, cust: _Customers) -> _Purchases:
    """Each customer's first purchase followed by the repeat purchases, their amounts, and the dropout days."""
    n, obs_days = cfg.n, cfg.obs_days
    k, alive, t_rep, life = _draw_repeat_times(rng, cfg, cust)
    m = int(k.sum())
    # all purchases, sorted by customer then time without a sort: each customer's first purchase is followed by its
    # repeat purchases, which are already in increasing order
    size = k + 1
    first_pos = np.cumsum(size) - size
    code = np.repeat(np.arange(n), size)
    when = np.empty(n + m)
    when[first_pos] = cust.t0
    is_rep = np.ones(n + m, dtype=bool)
    is_rep[first_pos] = False
    when[is_rep] = t_rep
    amount = rng.gamma(cfg.values["p"], 1.0 / cust.nu[code])
    cents = np.maximum(np.rint(amount * 100.0), 1).astype(np.int64)
    day = np.floor(when).astype(np.int64)
    day = np.minimum(day, obs_days - 1)  # u < 1 keeps this a no-op; guards rounding at the edge
    if life is None:
        last_time = when[first_pos + k]  # the customer leaves right after the last repeat purchase
        left_day = np.where(alive | (k == 0), -1, np.floor(last_time).astype(np.int64))
    else:
        left_day = np.where(alive, -1, np.floor(cust.t0 + life).astype(np.int64))
    return _Purchases(k=k, alive=alive, left_day=left_day, code=code, day=day, cents=cents)


@dataclass(frozen=True)
class _PurchaseDays:
    """The purchase days (a customer's purchases of one day as one) and the per-customer RFM truth in days."""

    day_code: np.ndarray  # the customer of each purchase day
    day_value: np.ndarray  # the day (days since start)
    first_idx: np.ndarray  # each customer's first purchase day, as a position in day_code
    n_days: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    frequency: np.ndarray
    monetary: np.ndarray


def _purchase_days(purchases: _Purchases, n: int) -> _PurchaseDays:
    """The truth, computed from the purchase days (independently of crmlib.rfm)."""
    code, day, cents = purchases.code, purchases.day, purchases.cents
    new_day = np.r_[True, (code[1:] != code[:-1]) | (day[1:] != day[:-1])]
    day_start = np.flatnonzero(new_day)
    day_code = code[day_start]
    day_value = day[day_start]
    day_cents = np.add.reduceat(cents, day_start)
    n_days = np.bincount(day_code, minlength=n)
    first_idx = np.cumsum(n_days) - n_days
    last_idx = first_idx + n_days - 1
    total_cents = np.bincount(day_code, weights=day_cents, minlength=n)
    frequency = n_days - 1
    repeat_cents = total_cents - day_cents[first_idx]
    monetary = np.where(frequency > 0, repeat_cents / np.maximum(frequency, 1) / 100.0, 0.0)
    return _PurchaseDays(
        day_code=day_code,
        day_value=day_value,
        first_idx=first_idx,
        n_days=n_days,
        first_day=day_value[first_idx],
        last_day=day_value[last_idx],
        frequency=frequency,
        monetary=monetary,
    )


@dataclass(frozen=True)
class _FirmSide:
    """The firm's side of each relationship: margin rate, service, loyalty programme (day joined, -1 if not)."""

    margin_rate: np.ndarray
    contacts: np.ndarray
    complaints: np.ndarray
    member: np.ndarray
    member_since: np.ndarray


def _draw_margin_rates(rng: np.random.Generator, cfg: _Settings, channel_code: np.ndarray) -> np.ndarray:
    """Each customer's gross margin rate: normal around the rate plus the channel's shift, clipped, to 0.001."""
    econ = cfg.econ
    shift = np.array([float(cfg.channels[c].get("margin_shift", 0.0)) for c in cfg.channel_names])[channel_code]
    return np.round(
        np.clip(rng.normal(econ["margin_rate"] + shift, econ["margin_sd"]), econ["margin_low"], econ["margin_high"]), 3
    )


def _draw_service(rng: np.random.Generator, econ: dict[str, Any], n_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Service contacts, Poisson with a Gamma rate per purchase day, and the complaints among them."""
    shape = max(econ["contact_shape"], 1e-9)
    kappa = rng.gamma(shape, econ["contact_rate"] / shape, len(n_days))
    contacts = rng.poisson(kappa * n_days)
    complaints = rng.binomial(contacts, min(econ["complaint_share"], 1.0))
    return contacts, complaints


def _draw_loyalty(
    rng: np.random.Generator, cfg: _Settings, days: _PurchaseDays, quality: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Members of the loyalty programme and the day they joined: the first purchase day on or after the launch."""
    from scipy import special

    n = cfg.n
    member = np.zeros(n, dtype=bool)
    member_since = np.full(n, -1, dtype=np.int64)
    join_draw = rng.random(n)  # drawn even without a launch, so the streams after it do not move
    if cfg.launch is not None:
        launch_day = (cfg.launch - cfg.start).days
        eligible_day = np.where(days.day_value >= launch_day, days.day_value, np.iinfo(np.int64).max)
        first_eligible = np.minimum.reduceat(eligible_day, days.first_idx)
        has = first_eligible < np.iinfo(np.int64).max
        prob = special.expit(cfg.econ["loyalty_intercept"] + cfg.econ["loyalty_quality"] * quality)
        member = has & (join_draw < prob)
        member_since = np.where(member, first_eligible, -1)
    return member, member_since


def _draw_firm_side(rng: np.random.Generator, cfg: _Settings, cust: _Customers, days: _PurchaseDays) -> _FirmSide:
    """Margin rates, then service contacts and complaints, then the loyalty programme."""
    margin_rate = _draw_margin_rates(rng, cfg, cust.channel_code)
    contacts, complaints = _draw_service(rng, cfg.econ, days.n_days)
    member, member_since = _draw_loyalty(rng, cfg, days, cust.quality)
    return _FirmSide(
        margin_rate=margin_rate, contacts=contacts, complaints=complaints, member=member, member_since=member_since
    )


def _draw_churn_study(
    seed: int | None, cfg: _Settings, ids, days: _PurchaseDays, firm: _FirmSide
) -> tuple[pd.DataFrame, _FirmSide]:
    """The churn study of the last year, from a second random stream; its service failures become the contacts."""
    obs_days = cfg.obs_days
    if obs_days <= 2 * 365:
        raise ParameterError(
            "The 'churn_study' parameter of make_retail needs a log of more than two years (a year before the "
            f"study and the study year); start to observation_end covers {obs_days} days. Start earlier."
        )
    from crmlib.datasets._churn import draw_churn_study

    study, contacts, complaints = draw_churn_study(
        np.random.default_rng(None if seed is None else [seed, 2]),
        ids=ids,
        day_code=days.day_code,
        day_value=days.day_value,
        first_day=days.first_day,
        end_day=obs_days - 1,
        start_date=cfg.start,
        member_since=firm.member_since,
        contacts=firm.contacts,
        complaint_share=cfg.econ["complaint_share"],
    )
    return study, replace(firm, contacts=contacts, complaints=complaints)


def _transactions_frame(ids, purchases: _Purchases, start_day: np.datetime64, n: int) -> pd.DataFrame:
    """The log: one row per purchase, by day, then customer, then time."""
    day, code = purchases.day, purchases.code
    tx_order = np.argsort(day * n + code, kind="stable")
    return pd.DataFrame(
        {
            "customer_id": ids.take(code[tx_order]),
            "date": (start_day + day[tx_order]).astype("datetime64[ns]"),
            "amount": purchases.cents[tx_order] / 100.0,
        }
    )


def _truth_frame(ids, days: _PurchaseDays, obs_days: int) -> pd.DataFrame:
    """The per-customer RFM truth in days, with the conventions of crmlib.rfm.summarize."""
    return pd.DataFrame(
        {
            "frequency": days.frequency.astype(np.int64),
            "recency": (days.last_day - days.first_day).astype(float),
            "T": (obs_days - 1 - days.first_day).astype(float),
            "monetary_value": days.monetary,
        },
        index=pd.Index(ids, name="customer_id"),
    )


def _dates(start_day: np.datetime64, offsets: np.ndarray) -> pd.Series:
    """The dates of day offsets since start; NaT where the offset is -1."""
    out = pd.Series((start_day + np.maximum(offsets, 0)).astype("datetime64[ns]"))
    return out.where(offsets >= 0)


def _customers_frame(
    ids,
    cfg: _Settings,
    cust: _Customers,
    purchases: _Purchases,
    days: _PurchaseDays,
    firm: _FirmSide,
    truth: pd.DataFrame,
    start_day: np.datetime64,
) -> pd.DataFrame:
    """One row per customer: the attributes the firm knows, then the true_* columns."""
    cost = {k_: float(c["cost"]) for k_, c in cfg.channels.items()}
    latent = {
        "true_lambda": cust.lam_week,
        ("true_p" if cfg.dropout == "purchase" else "true_mu"): cust.drop,
        "true_nu": cust.nu,
    }
    return pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": (start_day + days.first_day).astype("datetime64[ns]"),
            "channel": cust.channel,
            "acquisition_cost": np.array([cost[c] for c in cust.channel], dtype=float),
            "region": cust.region,
            "margin_rate": firm.margin_rate,
            "service_contacts": firm.contacts.astype(np.int64),
            "complaints": firm.complaints.astype(np.int64),
            "loyalty_member": firm.member,
            "loyalty_since": _dates(start_day, firm.member_since).to_numpy(),
            **latent,
            "true_mean_spend": cfg.values["p"] / cust.nu,
            "true_quality": cust.quality,
            "true_alive": purchases.alive,
            "true_dropout_date": _dates(start_day, purchases.left_day).to_numpy(),
            "true_purchases": (purchases.k + 1).astype(np.int64),
            "true_frequency": truth["frequency"].to_numpy(),
            "true_recency": truth["recency"].to_numpy(),
            "true_T": truth["T"].to_numpy(),
            "true_monetary_value": days.monetary,
        }
    )


def _retail_params(cfg: _Settings, seed: int | None, churn_study: bool) -> dict[str, Any]:
    """Every setting and true parameter of the generator (``.params`` and the frames' ``true_params``)."""
    values, launch = cfg.values, cfg.launch
    return {
        "generator": "crmlib.datasets.make_retail",
        "model": (
            "BG/NBD purchases (Fader, Hardie and Lee 2005a)"
            if cfg.dropout == "purchase"
            else "Pareto/NBD purchases (Schmittlein, Morrison and Colombo 1987)"
        )
        + " with Gamma-Gamma spend (Fader, Hardie and Lee 2005b)",
        "n_customers": cfg.n,
        "seed": seed,
        "start": str(cfg.start.date()),
        "acquisition_end": str(cfg.acquisition_end.date()),
        "observation_end": str(cfg.end.date()),
        "dropout": cfg.dropout,
        **values,
        "rate_unit": "W",
        "mean_spend": values["p"] * values["v"] / (values["q"] - 1) if values["q"] > 1 else None,
        "seasonality": [float(x) for x in cfg.season],
        "growth": cfg.growth,
        "channels": {
            k_: {"quality": 0.0, "margin_shift": 0.0, **{key: float(val) for key, val in c.items()}}
            for k_, c in cfg.channels.items()
        },
        "regions": dict(cfg.regions),
        "quality_weights": dict(zip(("purchase_rate", "retention", "spend"), _QUALITY_WEIGHTS)),
        "economics": {
            k_: (str(launch.date()) if k_ == "loyalty_launch" and launch is not None else v_)
            for k_, v_ in cfg.econ.items()
        },
        "churn_study": bool(churn_study),
    }


def make_retail(
    n_customers: int = 5000,
    *,
    seed: int | None = 0,
    start: DateLike = "2023-01-01",
    acquisition_end: DateLike = "2023-12-31",
    observation_end: DateLike = "2025-06-30",
    r: float = 0.5,
    alpha: float = 8.0,
    a: float = 0.8,
    b: float = 4.0,
    p: float = 6.0,
    q: float = 4.0,
    v: float = 15.0,
    dropout: str = "purchase",
    s: float = 0.6,
    beta: float = 12.0,
    seasonality: Sequence[float] | None = None,
    growth: float = 0.0,
    channels: dict[str, dict[str, float]] | None = None,
    regions: dict[str, float] | None = None,
    economics: dict[str, Any] | None = None,
    churn_study: bool = False,
) -> RetailData:
    r"""Draw a retail business: acquisition, repeat purchases, spend, margins, service and loyalty.

    **Acquisition.** Customer :math:`i` is acquired at a continuous time :math:`t_{i0}` in
    ``[start, acquisition_end]``: a day drawn with weight :math:`m(\text{month}) (1+g)^{\text{years since start}}`
    (``seasonality`` :math:`m`, twelve multipliers for January ... December, default flat; yearly ``growth``
    :math:`g`), then a uniform moment in that day. That first purchase fixes the signup date.

    **Purchases** (``dropout="purchase"``, the BG/NBD of Fader, Hardie and Lee 2005a, section 3):

    .. math::

        \lambda_i \sim \text{Gamma}(r, \alpha), \qquad p_i \sim \text{Beta}(a, b),

    while alive, repeat purchases arrive as a Poisson process of rate :math:`\lambda_i` **per week**
    (``alpha`` is in weeks); after each repeat purchase the customer drops out for good with probability
    :math:`p_i`. With ``dropout="time"`` (the Pareto/NBD of Schmittlein, Morrison and Colombo 1987) the
    lifetime is instead exponential with rate :math:`\mu_i \sim \text{Gamma}(s, \beta)` per week. The draw is
    exact and vectorised: with :math:`\tau_i` the time from acquisition to the end of ``observation_end``, a
    never-dropping customer would make :math:`N_i \sim \text{Poisson}(\lambda_i \tau_i)` purchases at sorted
    uniform times; in the BG/NBD the customer makes the first :math:`K_i = \min(N_i, J_i)` of them,
    :math:`J_i \sim \text{Geometric}(p_i)`, and is alive at the end if :math:`J_i > N_i`.

    **Spend** (Fader, Hardie and Lee 2005b): every amount, the first included, is

    .. math::

        z_{ij} \sim \text{Gamma}(p, \nu_i), \qquad \nu_i \sim \text{Gamma}(q, v), \qquad
        E[z] = \frac{p\,v}{q - 1} \ (q > 1),

    with :math:`\nu_i` and :math:`v` rates, rounded to cents. Purchase times are floored to the calendar day.
    Several purchases of one day are separate rows; :func:`crmlib.rfm.summarize` counts them as one purchase
    occasion, and the truth does the same.

    **Quality and channels.** Each customer's quality score is

    .. math::

        z_i = \frac{0.6\,\Phi^{-1}(F_\lambda(\lambda_i)) - 0.6\,\Phi^{-1}(F_p(p_i))
        - 0.4\,\Phi^{-1}(F_\nu(\nu_i))}{\sqrt{0.88}} \sim N(0, 1)

    (:math:`F` the stated distribution functions; with ``dropout="time"``, :math:`\mu_i` in place of
    :math:`p_i`): frequent, durable, big-spending customers score high. The channel is drawn *given* the score,
    :math:`P(c \mid z) \propto w_c e^{\theta_c z}` with :math:`\theta_c` the channel's ``quality`` and
    :math:`w_c` solved so that each channel brings its ``share`` of the customers. Because the latent values
    are drawn first, the pooled base follows the stated laws exactly; a channel's customers do not.

    **The firm's side** (``economics``, defaults :data:`DEFAULT_ECONOMICS`): the gross margin rate of the
    customer's purchases, :math:`\mu_i = \operatorname{clip}(N(\bar\mu + \delta_c, \sigma^2))` with the
    channel's ``margin_shift`` :math:`\delta_c`; service contacts :math:`\text{Poisson}(\kappa_i n_i)` over the
    :math:`n_i` purchase days, :math:`\kappa_i \sim \text{Gamma}` (mean ``contact_rate``, shape
    ``contact_shape``), each a complaint with probability ``complaint_share``; so the profit of a customer over
    the log, :math:`\mu_i R_i - c_p n_i - c_s k_i` (``cost_per_purchase`` :math:`c_p`, ``cost_per_contact``
    :math:`c_s`, :math:`k_i` contacts), is negative for some (Zeithaml, Rust and Lemon's lead customers). If
    ``loyalty_launch`` is a date, a customer with a purchase day on or after it joins the loyalty programme at
    that first such purchase with probability :math:`\operatorname{logistic}(\beta_0 + \beta_z z_i)`.

    Parameters
    ----------
    n_customers : int
        Number of customers (>= 1).
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives the same data.
    start, acquisition_end : date-like
        First and last day of the acquisition window (inclusive).
    observation_end : date-like
        Last day of observation (inclusive); not before ``acquisition_end``.
    r, alpha : float
        Shape and rate of the Gamma distribution of the purchase rate; ``alpha`` is in **weeks**, so
        the mean rate :math:`r/\alpha` is in purchases per week.
    a, b : float
        Beta distribution of the dropout probability after each repeat purchase (``dropout="purchase"``).
    p, q, v : float
        Gamma-Gamma spend parameters (currency units); mean amount per purchase :math:`pv/(q-1)`.
    dropout : {"purchase", "time"}
        The BG/NBD (default) or the Pareto/NBD dropout process.
    s, beta : float
        Shape and rate (in weeks) of the Gamma distribution of the dropout rate (``dropout="time"``).
    seasonality : sequence of 12 floats, optional
        Relative acquisition volume in January ... December (e.g. :data:`RETAIL_SEASONALITY`); default flat.
    growth : float
        Yearly growth of the acquisition volume (0.12 = 12% more new customers a year), > -1.
    channels : dict, optional
        ``{name: {"share": s, "cost": c, "quality": t, "margin_shift": d}}`` (``quality`` and
        ``margin_shift`` default to 0). Default :data:`DEFAULT_CHANNELS`.
    regions : dict, optional
        ``{name: share}``. Default :data:`DEFAULT_REGIONS`.
    economics : dict, optional
        Overrides for :data:`DEFAULT_ECONOMICS`.
    churn_study : bool
        Also draw the firm's churn study of the last year of the log (``.churn``; see
        :func:`crmlib.datasets.load_churn`, which describes its law). A study customer's service contacts in the
        year before the study are then the study's service failures. Needs a log of more than two years. Drawn
        from a second random stream, so the purchases do not change.

    Returns
    -------
    RetailData
        ``.transactions``, ``.customers``, ``.truth`` and ``.params``. The ``customers`` frame has the
        attributes above and the truth: ``true_lambda`` (purchases per week), ``true_p`` (dropout probability
        per repeat purchase; ``true_mu``, dropout rate per week, with ``dropout="time"``), ``true_nu`` (spend
        rate), ``true_mean_spend`` (:math:`p/\nu_i`), ``true_quality`` (:math:`z_i`), ``true_alive`` (still
        active at the end of ``observation_end``), ``true_dropout_date`` (the day the customer left; empty if
        alive), ``true_purchases`` (purchases drawn, same-day ones counted separately) and ``true_frequency``,
        ``true_recency``, ``true_T`` (days), ``true_monetary_value``. The true parameters are also in
        ``transactions.attrs["true_params"]`` and ``customers.attrs["true_params"]``.

    References
    ----------
    Fader, Hardie and Lee (2005a), *Marketing Science* 24(2); (2005b), *Journal of Marketing Research* 42(4),
    section 4; Schmittlein, Morrison and Colombo (1987), *Management Science* 33(1); Zeithaml, Rust and Lemon
    (2001), *California Management Review* 43(4).

    Examples
    --------
    >>> data = make_retail(200, seed=1)
    >>> list(data.transactions.columns)
    ['customer_id', 'date', 'amount']
    >>> data.params["r"], data.params["alpha"]
    (0.5, 8.0)
    >>> int(data.truth["frequency"].sum()) <= len(data.transactions) - 200
    True
    """
    given = {"r": r, "alpha": alpha, "a": a, "b": b, "p": p, "q": q, "v": v, "s": s, "beta": beta}
    cfg = _check_settings(
        n_customers,
        dropout,
        given,
        start,
        acquisition_end,
        observation_end,
        growth,
        seasonality,
        channels,
        regions,
        economics,
    )
    # the draws, in a fixed order from one stream (the same seed gives the same data)
    rng = np.random.default_rng(seed)
    customers = _draw_customers(rng, cfg)
    purchases = _draw_purchases(rng, cfg, customers)
    days = _purchase_days(purchases, cfg.n)
    firm = _draw_firm_side(rng, cfg, customers, days)
    ids = pd.Series(_customer_ids(cfg.n)).array  # pandas' default text dtype (str in pandas 3, object before)
    study = None
    if churn_study:
        study, firm = _draw_churn_study(seed, cfg, ids, days, firm)
    # the frames
    start_day = np.datetime64(cfg.start.date(), "D")
    transactions = _transactions_frame(ids, purchases, start_day, cfg.n)
    truth = _truth_frame(ids, days, cfg.obs_days)
    customers_frame = _customers_frame(ids, cfg, customers, purchases, days, firm, truth, start_day)
    params = _retail_params(cfg, seed, churn_study)
    for frame in (transactions, customers_frame, truth):
        frame.attrs["true_params"] = params
        frame.attrs["source"] = "synthetic: crmlib.datasets.make_retail"
    if study is not None:
        study.attrs["source"] = "synthetic: crmlib.datasets.make_retail(churn_study=True)"
    return RetailData(transactions=transactions, customers=customers_frame, truth=truth, params=params, churn=study)


# ---------------------------------------------------------------------------------------------
# Bundled files
# ---------------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes (used by the sidecars)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_DEFAULT_COLUMNS = {"customer": "customer_id", "date": "date", "amount": "amount"}


def _is_default_read_setting(name: str, value) -> bool:
    """True if ``name=value`` is read_transactions' own default (so it changes nothing for the bundled log)."""
    if name in _DEFAULT_COLUMNS:
        return value == _DEFAULT_COLUMNS[name]
    if name == "options":  # a chapter's ReadOptions(**read_options) with nothing changed
        return value is None or (hasattr(value, "changed") and not value.changed())
    import inspect

    from crmlib.data import read_transactions

    param = inspect.signature(read_transactions).parameters.get(name)
    if param is None or param.default is inspect.Parameter.empty:
        return False
    try:
        return bool(value == param.default)
    except (TypeError, ValueError):
        return False


def load_transactions(path: str | Path | pd.DataFrame | None = None, **read_kwargs: Any) -> pd.DataFrame:
    """The bundled retail log, or a user's transaction file, as a canonical frame.

    Parameters
    ----------
    path : str, Path, DataFrame or None
        ``None``: the bundled ``data/transactions.csv`` (5,000 simulated customers of one retailer, acquired
        every month from 2021-01-01 to 2025-06-30 and observed to 2025-06-30; see ``data/README.md``).
        Otherwise passed to :func:`crmlib.data.read_transactions` with ``read_kwargs``.
    **read_kwargs
        Keywords of :func:`crmlib.data.read_transactions` (``customer=``, ``date=``, ``amount=``,
        ..., or ``options=crmlib.data.ReadOptions(...)``). With ``path=None`` keywords may be given at
        their defaults (``customer="customer_id"``, ``date_format=None``, ``options=ReadOptions()``, ...
        as the chapters do) and are ignored; any other value is an error, since the bundled file has
        fixed columns.

    Returns
    -------
    DataFrame
        ``customer_id`` (str), ``date`` (datetime64, day), ``amount`` (float, currency units). For
        the bundled log, ``attrs["true_params"]`` holds the generator's settings and true
        parameters and ``attrs["source"]`` says where it came from.

    Examples
    --------
    >>> tx = load_transactions()
    >>> list(tx.columns), str(tx["date"].dtype)
    (['customer_id', 'date', 'amount'], 'datetime64[ns]')
    >>> tx.attrs["true_params"]["r"]
    0.5
    """
    if path is not None:
        from crmlib.data import read_transactions

        return read_transactions(path, **read_kwargs)
    extra = {k: v for k, v in read_kwargs.items() if not _is_default_read_setting(k, v)}
    if extra:
        given = ", ".join(f"{k}={v!r}" for k, v in extra.items())
        raise ParameterError(
            f"load_transactions got {given} but no file: those settings only apply to a file of your own. "
            "Give its path as the first argument (data_path in a chapter), or leave them at their defaults "
            "to use the bundled log."
        )
    csv = bundled_path("transactions.csv")
    frame = pd.read_csv(csv, dtype={"customer_id": str, "amount": float}, parse_dates=["date"])
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return attach(frame, "transactions.csv")


def load_customers() -> pd.DataFrame:
    """The customers of the bundled log: acquisition, the firm's side of the relationship, and the truth.

    Returns
    -------
    DataFrame
        One row per customer of :func:`load_transactions`: ``customer_id`` (str), ``signup_date``
        (datetime64, the first purchase day), ``channel`` (str), ``acquisition_cost`` (float, currency units
        per customer), ``region`` (str), ``margin_rate`` (gross margin as a share of the customer's revenue),
        ``service_contacts`` and ``complaints`` (counts over the whole log), ``loyalty_member`` (bool) and
        ``loyalty_since`` (datetime64, NaT for non-members), and the generator's truth ``true_lambda``
        (purchases per week), ``true_p``, ``true_nu``, ``true_mean_spend``, ``true_quality``, ``true_alive``
        (bool), ``true_dropout_date`` (NaT if alive), ``true_purchases``, ``true_frequency``, ``true_recency``,
        ``true_T`` (days), ``true_monetary_value`` (see :func:`make_retail`). ``attrs["true_params"]`` holds
        the settings, including the unit costs of serving a customer (``["economics"]``).

    Examples
    --------
    >>> customers = load_customers()
    >>> sorted(customers["channel"].unique())
    ['email', 'referral', 'search', 'social', 'store']
    >>> bool((customers["margin_rate"] > 0).all())
    True
    """
    csv = bundled_path("customers.csv")
    frame = pd.read_csv(
        csv,
        dtype={"customer_id": str, "channel": str, "region": str, "true_alive": bool, "loyalty_member": bool},
        parse_dates=["signup_date", "loyalty_since", "true_dropout_date"],
    )
    for col in ("signup_date", "loyalty_since", "true_dropout_date"):
        frame[col] = frame[col].astype("datetime64[ns]")
    return attach(frame, "customers.csv")


def written_customers(customers: pd.DataFrame) -> pd.DataFrame:
    """The customer table as written: whole days as integers, latent values to 6 significant digits."""
    out = customers.copy()
    for col in ("true_recency", "true_T"):
        out[col] = out[col].astype(np.int64)
    for col in ("true_lambda", "true_p", "true_mu", "true_nu", "true_mean_spend", "true_quality"):
        if col in out.columns:
            out[col] = [float(f"{x:.6g}") for x in out[col]]
    return out


def _bundle() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """Frames to write into data/ with their sidecar metadata (used by ``python -m crmlib.datasets``)."""
    data = make_retail(**BUNDLED_RETAIL)
    params = data.params
    tx_meta = {
        "description": "Simulated retail transaction log of one firm: one row per purchase (several per day possible).",
        "generator": "crmlib.datasets.make_retail",
        "seed": BUNDLED_RETAIL["seed"],
        "params": params,
    }
    cu_meta = {
        "description": "Customers of transactions.csv: acquisition (date, channel, cost), region, margin rate, "
        "service contacts and complaints, loyalty-programme membership, true latent values.",
        "generator": "crmlib.datasets.make_retail",
        "seed": BUNDLED_RETAIL["seed"],
        "params": params,
    }
    churn = data.churn
    assert churn is not None
    churn_meta = {
        "description": "Churn study of the firm's last year: drivers and churn (no purchase in the study year) of "
        "the customers of customers.csv who bought in the year before it.",
        "generator": "crmlib.datasets.make_retail (churn_study=True)",
        "seed": BUNDLED_RETAIL["seed"],
        "params": churn.attrs["true_params"],
    }
    return {
        "transactions.csv": (data.transactions, tx_meta),
        "customers.csv": (written_customers(data.customers), cu_meta),
        "churn.csv": (churn.reset_index(), churn_meta),
    }
