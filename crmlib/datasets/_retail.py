r"""The bundled retail transaction log and its generator, with the ground truth.

:func:`make_retail` draws a non-contractual retail customer base from the BG/NBD purchase process
(Fader, Hardie and Lee 2005a) with Gamma-Gamma spend (Fader, Hardie and Lee 2005b), plus customer
attributes (signup date, acquisition channel and its cost, region). It computes its own per-customer
truth (frequency, recency, T, monetary value, purchase rate, dropout probability, alive at the end)
from its internal list of purchase days, so tests can check that :func:`crmlib.rfm.summarize`
recovers it exactly and that the models recover the parameters.

:func:`load_transactions` and :func:`load_customers` read the bundled files ``data/transactions.csv``
and ``data/customers.csv`` (described in ``data/README.md``), which ``python -m crmlib.datasets``
regenerates from :data:`BUNDLED_RETAIL`.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005a). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmlib.params import ParameterError, check_date, check_number

__all__ = [
    "RetailData",
    "make_retail",
    "load_transactions",
    "load_customers",
    "BUNDLED_RETAIL",
    "DEFAULT_CHANNELS",
    "DEFAULT_REGIONS",
    "data_dir",
]

#: Acquisition channels: share of new customers and acquisition cost per customer (currency units).
#: Behaviour does not depend on the channel (see :func:`make_retail`).
DEFAULT_CHANNELS: dict[str, dict[str, float]] = {
    "search": {"share": 0.30, "cost": 32.0},
    "social": {"share": 0.25, "cost": 24.0},
    "store": {"share": 0.20, "cost": 18.0},
    "referral": {"share": 0.15, "cost": 12.0},
    "email": {"share": 0.10, "cost": 6.0},
}

#: Regions and their share of customers. Behaviour does not depend on the region.
DEFAULT_REGIONS: dict[str, float] = {"North": 0.30, "South": 0.25, "East": 0.25, "West": 0.20}

#: The settings of the bundled log ``data/transactions.csv`` / ``data/customers.csv``.
BUNDLED_RETAIL: dict[str, Any] = {
    "n_customers": 5000,
    "seed": 20230101,
    "start": "2023-01-01",
    "acquisition_end": "2023-12-31",
    "observation_end": "2025-06-30",
    "r": 0.5,
    "alpha": 8.0,
    "a": 0.8,
    "b": 4.0,
    "p": 6.0,
    "q": 4.0,
    "v": 15.0,
}


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
        ``acquisition_cost``, ``region`` and the ``true_*`` columns (see :func:`make_retail`).
    truth : DataFrame
        The per-customer RFM truth in days, index ``customer_id``: ``frequency``, ``recency``, ``T``,
        ``monetary_value`` with the conventions of :func:`crmlib.rfm.summarize`.
    params : dict
        Every setting and true parameter of the generator.
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    truth: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def _customer_ids(n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.array([f"C{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _choose(rng: np.random.Generator, n: int, shares: dict[str, float], name: str) -> np.ndarray:
    labels = list(shares)
    probs = np.array([float(shares[k]) for k in labels])
    if len(probs) == 0 or (probs < 0).any() or not np.isclose(probs.sum(), 1.0):
        raise ParameterError(
            f"The {name!r} parameter of make_retail must give shares that are >= 0 and add up to 1. "
            f"Got {shares!r} instead."
        )
    idx = rng.choice(len(labels), size=n, p=probs / probs.sum())
    return np.asarray(labels, dtype=object)[idx]


def make_retail(
    n_customers: int = 5000,
    *,
    seed: int | None = 0,
    start="2023-01-01",
    acquisition_end="2023-12-31",
    observation_end="2025-06-30",
    r: float = 0.5,
    alpha: float = 8.0,
    a: float = 0.8,
    b: float = 4.0,
    p: float = 6.0,
    q: float = 4.0,
    v: float = 15.0,
    channels: dict[str, dict[str, float]] | None = None,
    regions: dict[str, float] | None = None,
) -> RetailData:
    r"""Draw a retail transaction log from the BG/NBD purchase process with Gamma-Gamma spend.

    Each customer :math:`i` is acquired at a continuous time :math:`t_{i0}`, uniform over the
    acquisition window ``[start, acquisition_end]``; that first purchase fixes the signup date.
    Then, following Fader, Hardie and Lee (2005a, section 3):

    .. math::

        \lambda_i \sim \text{Gamma}(r, \alpha), \qquad p_i \sim \text{Beta}(a, b),

    while alive, repeat purchases arrive as a Poisson process of rate :math:`\lambda_i` **per week**
    (``alpha`` is in weeks); after each repeat purchase the customer drops out with probability
    :math:`p_i`. Spend follows Fader, Hardie and Lee (2005b): the amount of every purchase (the first
    included) is

    .. math::

        z_{ij} \sim \text{Gamma}(p, \nu_i), \qquad \nu_i \sim \text{Gamma}(q, v), \qquad
        E[z] = \frac{p\,v}{q - 1} \ (q > 1),

    with :math:`\nu_i` and :math:`v` rates. Purchase times are drawn in continuous time, floored to
    the calendar day, and amounts rounded to cents. Several purchases of one customer on one day are
    separate rows of the log; :func:`crmlib.rfm.summarize` counts them as one purchase occasion, and
    the truth does the same.

    The draw is exact and vectorised: with :math:`\tau_i` the time from acquisition to the end of
    ``observation_end``, the number of purchases a never-dropping customer would make is
    :math:`N_i \sim \text{Poisson}(\lambda_i \tau_i)`, the number before dropout is
    :math:`J_i \sim \text{Geometric}(p_i)`, the customer makes :math:`K_i = \min(N_i, J_i)` repeat
    purchases at the first :math:`K_i` order statistics of :math:`N_i` uniforms on
    :math:`(0, \tau_i)`, and is alive at the end if :math:`J_i > N_i`.

    Behaviour is independent of the channel and the region, so the BG/NBD and Gamma-Gamma truth of
    every channel (and of the pooled base) is exactly ``(r, alpha, a, b)`` and ``(p, q, v)``.

    Parameters
    ----------
    n_customers : int
        Number of customers (>= 1).
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives the same data.
    start, acquisition_end : date-like
        First and last day of the acquisition window (inclusive).
    observation_end : date-like
        Last day of observation (inclusive); after ``acquisition_end``.
    r, alpha : float
        Shape and rate of the Gamma distribution of the purchase rate; ``alpha`` is in **weeks**, so
        the mean rate :math:`r/\alpha` is in purchases per week.
    a, b : float
        Beta distribution of the dropout probability after each repeat purchase (mean :math:`a/(a+b)`).
    p, q, v : float
        Gamma-Gamma spend parameters (currency units); mean amount per purchase :math:`pv/(q-1)`.
    channels : dict, optional
        ``{name: {"share": s, "cost": c}}``: share of acquisitions and acquisition cost per customer.
        Default :data:`DEFAULT_CHANNELS`.
    regions : dict, optional
        ``{name: share}``. Default :data:`DEFAULT_REGIONS`.

    Returns
    -------
    RetailData
        ``.transactions``, ``.customers``, ``.truth`` and ``.params``. The ``customers`` frame has
        ``true_lambda`` (purchases per week), ``true_p`` (dropout probability per repeat purchase),
        ``true_nu`` (spend rate), ``true_mean_spend`` (:math:`p/\nu_i`, currency units),
        ``true_alive`` (still active at the end of ``observation_end``), ``true_purchases``
        (purchases drawn, same-day ones counted separately) and ``true_frequency``,
        ``true_recency``, ``true_T`` (days), ``true_monetary_value``. The true parameters are also
        in ``transactions.attrs["true_params"]`` and ``customers.attrs["true_params"]``.

    References
    ----------
    Fader, Hardie and Lee (2005a), "Counting your customers" the easy way, *Marketing Science* 24(2).
    Fader, Hardie and Lee (2005b), RFM and CLV, *Journal of Marketing Research* 42(4), section 4.

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
    func = "make_retail"
    n = check_number(n_customers, "n_customers", func=func, low=1, integer=True)
    values = {}
    for name, value in (("r", r), ("alpha", alpha), ("a", a), ("b", b), ("p", p), ("q", q), ("v", v)):
        values[name] = check_number(value, name, func=func, low=0, low_open=True)
    start_ts = check_date(start, "start", func=func, allow_none=False)
    acq_ts = check_date(acquisition_end, "acquisition_end", func=func, allow_none=False)
    end_ts = check_date(observation_end, "observation_end", func=func, allow_none=False)
    if acq_ts < start_ts:
        raise ParameterError(
            f"The 'acquisition_end' parameter of make_retail must not come before start ({start_ts.date()}). "
            f"Got {acq_ts.date()} instead."
        )
    if end_ts <= acq_ts:
        raise ParameterError(
            f"The 'observation_end' parameter of make_retail must come after acquisition_end ({acq_ts.date()}). "
            f"Got {end_ts.date()} instead."
        )
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
    if not isinstance(regions, dict):
        raise ParameterError(
            f"The 'regions' parameter of make_retail must be a dict {{name: share}}. Got {regions!r} instead."
        )

    rng = np.random.default_rng(seed)
    acq_days = (acq_ts - start_ts).days + 1
    obs_days = (end_ts - start_ts).days + 1
    # --- customer-level draws (order fixed: the same seed gives the same data) ---
    t0 = rng.uniform(0.0, acq_days, n)  # continuous acquisition time, days since start
    lam_week = rng.gamma(values["r"], 1.0 / values["alpha"], n)
    drop = rng.beta(values["a"], values["b"], n)
    nu = rng.gamma(values["q"], 1.0 / values["v"], n)
    channel = _choose(rng, n, {k: c["share"] for k, c in channels.items()}, "channels")
    region = _choose(rng, n, regions, "regions")
    horizon = obs_days - t0  # days from acquisition to the end of observation_end
    n_poisson = rng.poisson(lam_week / 7.0 * horizon)
    n_before_drop = rng.geometric(np.clip(drop, 1e-12, 1.0))
    k = np.minimum(n_poisson, n_before_drop)
    alive = n_before_drop > n_poisson
    # --- repeat purchase times: first k order statistics of n_poisson uniforms on (0, horizon) ---
    m = int(k.sum())
    code_rep = np.repeat(np.arange(n), k)
    spacing = rng.standard_exponential(m)
    csum = np.cumsum(spacing)
    group_start = np.cumsum(k) - k
    offset = np.zeros(n)
    has = k > 0
    offset[has] = csum[group_start[has]] - spacing[group_start[has]]
    partial = csum - offset[code_rep]  # S_1..S_k within each customer
    s_k = np.zeros(n)
    s_k[has] = partial[group_start[has] + k[has] - 1]
    rest = rng.standard_gamma(n_poisson - k + 1.0)  # sum of the remaining n-k+1 spacings
    u = partial / (s_k + rest)[code_rep]
    t_rep = t0[code_rep] + horizon[code_rep] * u
    # --- all purchases, amounts in cents, sorted by customer then time without a sort: each customer's
    # first purchase is followed by its repeat purchases, which are already in increasing order ---
    size = k + 1
    first_pos = np.cumsum(size) - size
    code = np.repeat(np.arange(n), size)
    when = np.empty(n + m)
    when[first_pos] = t0
    is_rep = np.ones(n + m, dtype=bool)
    is_rep[first_pos] = False
    when[is_rep] = t_rep
    amount = rng.gamma(values["p"], 1.0 / nu[code])
    cents = np.maximum(np.rint(amount * 100.0), 1).astype(np.int64)
    day = np.floor(when).astype(np.int64)
    day = np.minimum(day, obs_days - 1)  # u < 1 keeps this a no-op; guards rounding at the edge

    # --- the truth, computed from the purchase days (independently of crmlib.rfm) ---
    new_day = np.r_[True, (code[1:] != code[:-1]) | (day[1:] != day[:-1])]
    day_start = np.flatnonzero(new_day)
    day_code = code[day_start]
    day_value = day[day_start]
    day_cents = np.add.reduceat(cents, day_start)
    n_days = np.bincount(day_code, minlength=n)
    first_idx = np.cumsum(n_days) - n_days
    last_idx = first_idx + n_days - 1
    first_day = day_value[first_idx]
    last_day = day_value[last_idx]
    total_cents = np.bincount(day_code, weights=day_cents, minlength=n)
    frequency = n_days - 1
    repeat_cents = total_cents - day_cents[first_idx]
    monetary = np.where(frequency > 0, repeat_cents / np.maximum(frequency, 1) / 100.0, 0.0)

    ids = pd.Series(_customer_ids(n)).array  # pandas' default text dtype (str in pandas 3, object before)
    start_day = np.datetime64(start_ts.date(), "D")
    tx_order = np.argsort(day * n + code, kind="stable")  # by day, then customer, then time
    transactions = pd.DataFrame(
        {
            "customer_id": ids.take(code[tx_order]),
            "date": (start_day + day[tx_order]).astype("datetime64[ns]"),
            "amount": cents[tx_order] / 100.0,
        }
    )
    truth = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (last_day - first_day).astype(float),
            "T": (obs_days - 1 - first_day).astype(float),
            "monetary_value": monetary,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    cost = {k_: float(c["cost"]) for k_, c in channels.items()}
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": (start_day + first_day).astype("datetime64[ns]"),
            "channel": channel,
            "acquisition_cost": np.array([cost[c] for c in channel], dtype=float),
            "region": region,
            "true_lambda": lam_week,
            "true_p": drop,
            "true_nu": nu,
            "true_mean_spend": values["p"] / nu,
            "true_alive": alive,
            "true_purchases": (k + 1).astype(np.int64),
            "true_frequency": truth["frequency"].to_numpy(),
            "true_recency": truth["recency"].to_numpy(),
            "true_T": truth["T"].to_numpy(),
            "true_monetary_value": monetary,
        }
    )
    params: dict[str, Any] = {
        "generator": "crmlib.datasets.make_retail",
        "model": "BG/NBD purchases (Fader, Hardie and Lee 2005a) with Gamma-Gamma spend (2005b)",
        "n_customers": n,
        "seed": seed,
        "start": str(start_ts.date()),
        "acquisition_end": str(acq_ts.date()),
        "observation_end": str(end_ts.date()),
        **values,
        "rate_unit": "W",
        "mean_spend": values["p"] * values["v"] / (values["q"] - 1) if values["q"] > 1 else None,
        "channels": {k_: dict(c) for k_, c in channels.items()},
        "regions": dict(regions),
    }
    for frame in (transactions, customers, truth):
        frame.attrs["true_params"] = params
        frame.attrs["source"] = "synthetic: crmlib.datasets.make_retail"
    return RetailData(transactions=transactions, customers=customers, truth=truth, params=params)


# ---------------------------------------------------------------------------------------------
# Bundled files
# ---------------------------------------------------------------------------------------------


def data_dir() -> Path:
    """The folder of the bundled data: ``$CRMLIB_DATA`` if set, else the kit's ``data`` folder.

    >>> data_dir().name
    'data'
    """
    env = os.environ.get("CRMLIB_DATA")
    if env:
        return Path(env)
    from crmlib.resources import kit_folder

    return kit_folder("data")


def _bundled_path(name: str) -> Path:
    path = data_dir() / name
    if not path.exists():
        raise FileNotFoundError(
            f"The bundled file {name!r} is not in {str(path.parent)!r}. Regenerate the data with "
            "`make data` (python -m crmlib.datasets data), or set $CRMLIB_DATA to the folder that holds it."
        )
    return path


def _sidecar(name: str) -> dict[str, Any]:
    """The JSON sidecar of a bundled CSV (``transactions.csv`` -> ``transactions.json``), or {}."""
    path = data_dir() / (Path(name).stem + ".json")
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _attach(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    meta = _sidecar(name)
    frame.attrs["source"] = f"bundled: {name}"
    if "params" in meta:
        frame.attrs["true_params"] = meta["params"]
    if "description" in meta:
        frame.attrs["description"] = meta["description"]
    return frame


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


def load_transactions(path=None, **read_kwargs) -> pd.DataFrame:
    """The bundled retail log, or a user's transaction file, as a canonical frame.

    Parameters
    ----------
    path : str, Path, DataFrame or None
        ``None``: the bundled ``data/transactions.csv`` (5,000 simulated customers acquired in 2023,
        observed to 2025-06-30; see ``data/README.md``). Otherwise passed to
        :func:`crmlib.data.read_transactions` with ``read_kwargs``.
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
    csv = _bundled_path("transactions.csv")
    frame = pd.read_csv(csv, dtype={"customer_id": str, "amount": float}, parse_dates=["date"])
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return _attach(frame, "transactions.csv")


def load_customers() -> pd.DataFrame:
    """The customers of the bundled log: signup date, channel, acquisition cost, region, truth.

    Returns
    -------
    DataFrame
        One row per customer of :func:`load_transactions`: ``customer_id`` (str), ``signup_date``
        (datetime64, the first purchase day), ``channel`` (str), ``acquisition_cost`` (float,
        currency units per customer), ``region`` (str) and the generator's truth ``true_lambda``
        (purchases per week), ``true_p``, ``true_nu``, ``true_mean_spend``, ``true_alive`` (bool),
        ``true_purchases``, ``true_frequency``, ``true_recency``, ``true_T`` (days),
        ``true_monetary_value`` (see :func:`make_retail`).

    Examples
    --------
    >>> customers = load_customers()
    >>> sorted(customers["channel"].unique())
    ['email', 'referral', 'search', 'social', 'store']
    """
    csv = _bundled_path("customers.csv")
    frame = pd.read_csv(
        csv,
        dtype={"customer_id": str, "channel": str, "region": str, "true_alive": bool},
        parse_dates=["signup_date"],
    )
    frame["signup_date"] = frame["signup_date"].astype("datetime64[ns]")
    return _attach(frame, "customers.csv")


def _rounded_customers(customers: pd.DataFrame) -> pd.DataFrame:
    out = customers.copy()
    for col in ("true_recency", "true_T"):
        out[col] = out[col].astype(np.int64)
    return out


def _bundle() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """Frames to write into data/ with their sidecar metadata (used by ``python -m crmlib.datasets``)."""
    data = make_retail(**BUNDLED_RETAIL)
    params = data.params
    tx_meta = {
        "description": "Simulated retail transaction log: one row per purchase (several per day possible).",
        "generator": "crmlib.datasets.make_retail",
        "seed": BUNDLED_RETAIL["seed"],
        "params": params,
    }
    cu_meta = {
        "description": "Customers of transactions.csv: signup, acquisition channel and cost, region, true latent values.",
        "generator": "crmlib.datasets.make_retail",
        "seed": BUNDLED_RETAIL["seed"],
        "params": params,
    }
    return {
        "transactions.csv": (data.transactions, tx_meta),
        "customers.csv": (_rounded_customers(data.customers), cu_meta),
    }
