"""The report's pipeline, each step a function of the step before; the result is a :class:`Report`.

reader -> summary -> models with trust checks -> values, tiers, quadrants, at-risk list, actions -> tables.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmlib.params import UNIT_DAYS
from crmlib.report._settings import ReportSettings
from crmlib.report._trust import (
    MIN_CALIBRATION_DAYS,
    MIN_HOLDOUT_DAYS,
    ModelStatus,
    check_calibration,
    check_holdout,
    check_intervals,
    check_shapes,
    estimates_table,
)

if TYPE_CHECKING:
    from crmlib.data import ReadOptions

__all__ = ["ACTIONS", "Decision", "Report", "Section", "build_report"]

#: The recommended action per situation, in words (first match wins: at risk, campaign, new, then the quadrant).
ACTIONS: dict[str, str] = {
    "at risk": "Win back now: contact them personally, ask why they stopped buying, give them a reason to return.",
    "campaign": "Include in the retention campaign (the offer is expected to pay for this customer).",
    "new": "Welcome: a first-time buyer of the last 90 days; encourage a second purchase.",
    "platinum": "Grow: one-to-one plan, priority service and tailored offers to buy more.",
    "gold": "Keep: exceed their expectations and protect the relationship; little growth is expected.",
    "iron": "Develop: targeted offers and useful information to earn more of their business.",
    "lead": "Serve at low cost: no extra spending on this customer.",
    "unknown": "No action computed (the value sections could not run on these data).",
}

TOP_TIERS = 3  # VIP, major, common: the tiers whose loss hurts
#: Names of the customers table's own columns; an input column of the same name is renamed "<name> (input)".
RESERVED = {
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "purchases",
    "first_purchase",
    "last_purchase",
    "days_since_last_purchase",
    "revenue",
    "historical_value",
    "current_value",
    "potential_value",
    "tier",
    "quadrant",
    "segment",
    "p_alive",
    "expected_purchases",
    "clv",
    "clv_lower_95",
    "clv_upper_95",
    "at_risk",
    "at_risk_rule",
    "campaign_expected_profit",
    "campaign_target",
    "action",
}
NEW_CUSTOMER_DAYS = 90


Progress = Callable[[str], None]


@dataclass
class Section:
    """Whether a section of the report could be computed, and why not."""

    title: str
    done: bool = True
    reason: str = ""


@dataclass
class Decision:
    """One decision of the executive summary: what to do, the evidence, and the money involved."""

    title: str
    evidence: str
    action: str
    money: float | None = None
    money_label: str = ""
    illustrative: bool = False


@dataclass
class Report:
    """The analysis of one transaction file, as computed by :func:`crmlib.report.make_report`.

    Attributes
    ----------
    source : name of the input (the file's name, or "DataFrame").
    title : the page's title (file name and period).
    first_day, last_day : the period of the log.
    settings : the :class:`ReportSettings` used.
    read_report : the reader's report (dict), see :func:`crmlib.data.read_report`.
    transactions : the canonical transactions (``customer_id``, ``date``, ``amount``).
    customers : one row per customer (index ``customer_id``): the summary, revenue, values, tier, quadrant,
        P(alive), expected purchases, CLV and its interval, at-risk flag and rule, recommended action, and the
        input's per-customer columns (see :data:`crmlib.report.CUSTOMER_COLUMNS`).
    models : ``{"bg_nbd": ModelStatus, "gamma_gamma": ModelStatus}``.
    tables : the summary tables by name (``tiers``, ``pareto``, ``quadrants``, ``segments``, ``cohorts``,
        ``holdout``, ``at_risk``, ``parameters``, ``by_<column>``, and with a comparison ``changes``,
        ``tier_migration``, ``quadrant_migration``).
    key_figures : the headline numbers (what report.json holds under ``key_figures``).
    decisions : the few decisions of the executive summary, with their money.
    sections : which sections ran, and why the others did not.
    notes : cautions to show beside the numbers (mixed currencies, columns left out, ...).
    attributes : names of the input's per-customer columns in ``customers``.
    by : the column the headline tables are split by, or None.
    comparison : what changed since the previous report (see :mod:`crmlib.report._compare`), or None.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlib.report import ModelStatus, ReportSettings
    >>> models = {"bg_nbd": ModelStatus("bg_nbd", "BG/NBD", "fitted"),
    ...           "gamma_gamma": ModelStatus("gamma_gamma", "Gamma-Gamma")}
    >>> report = Report("sales.csv", "sales.csv", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"),
    ...                 ReportSettings(), {}, pd.DataFrame(), pd.DataFrame(), models)
    >>> report.status(), report.trusted
    ({'bg_nbd': 'fitted', 'gamma_gamma': 'skipped'}, False)
    """

    source: str
    title: str
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    settings: ReportSettings
    read_report: dict[str, Any]
    transactions: pd.DataFrame
    customers: pd.DataFrame
    models: dict[str, ModelStatus]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    key_figures: dict[str, Any] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    by: str | None = None
    comparison: Any = None
    clv_draws: int = 0
    holdout: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def trusted(self) -> bool:
        """True when both models passed every check (the per-customer forecasts are used for decisions)."""
        return all(m.trusted for m in self.models.values())

    def status(self) -> dict[str, str]:
        """``{model key: status}``."""
        return {k: m.status for k, m in self.models.items()}


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _quiet(_: str) -> None:
    return None


def _sentence(exc: BaseException) -> str:
    """The first line of an error message, without a trailing period."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.rstrip(".")


def _finite_sum(values: pd.Series | np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(np.asarray(values, dtype=float)))


def _days(value: float, unit: str) -> float:
    return value * UNIT_DAYS[unit]


# ----------------------------------------------------------------------------------------------
# the models
# ----------------------------------------------------------------------------------------------

BG_FIX = (
    "A longer log (a year or more, several purchase cycles) with more customers who bought more than once would fix it."
)
GG_FIX = "More repeat buyers, with their amounts in one currency and returns netted, would fix it."


def _median_gap_days(summary: pd.DataFrame, unit: str) -> float | None:
    repeat = summary["frequency"] > 0
    if not repeat.any():
        return None
    gaps = _days(summary.loc[repeat, "recency"] / summary.loc[repeat, "frequency"], unit)
    return float(np.median(gaps))


def fit_purchase_model(
    tx: pd.DataFrame,
    summary: pd.DataFrame,
    s: ReportSettings,
    first: pd.Timestamp,
    last: pd.Timestamp,
    progress: Progress,
) -> tuple[ModelStatus, dict[str, Any]]:
    """Fit BG/NBD on the whole log and check it (parameters, intervals, calibration period, holdout)."""
    from crmlib import rfm
    from crmlib.models import BetaGeo, ConvergenceError, ModelError, holdout_comparison

    status = ModelStatus("bg_nbd", "BG/NBD")
    holdout: dict[str, Any] = {}
    repeat = int((summary["frequency"] > 0).sum())
    if len(summary) < 30:
        n = len(summary)
        return status.skip(
            f"only {n:,} customer{'s' if n != 1 else ''}; a purchase model needs dozens at least (in "
            "practice hundreds)",
            "A log with hundreds of customers would fix it.",
        ), holdout
    if repeat == 0:
        return status.skip(
            "no customer bought on more than one day, so the data say nothing about purchase rates or drop-out",
            "A longer log, in which customers come back, would fix it.",
        ), holdout
    progress("fitting BG/NBD")
    try:
        model = BetaGeo(penalizer=s.penalizer).fit(summary, unit=s.unit)
    except ConvergenceError as exc:
        status.record("fit converged", False, _sentence(exc), BG_FIX)
        return status, holdout
    except ModelError as exc:
        return status.skip(_sentence(exc), BG_FIX), holdout
    status.status = "fitted"
    status.model = model
    status.estimates = estimates_table(model)
    check_shapes(status, status.estimates, ("r", "a", "b"), BG_FIX)
    check_intervals(status, status.estimates, BG_FIX)
    # The holdout check: the same model fitted on the calibration period only.
    span = int((last - first).days)
    cal_end = s.calibration_end if s.calibration_end is not None else first + pd.Timedelta(days=round(2 * span / 3))
    calibration_days = int((cal_end - first).days)
    holdout_days = int((last - cal_end).days)
    holdout.update(
        calibration_end=cal_end,
        calibration_days=calibration_days,
        holdout_days=holdout_days,
        rule="the calibration_end setting"
        if s.calibration_end is not None
        else "the first two thirds of the log; the last third is the holdout",
    )
    if not check_calibration(
        status,
        calibration_days,
        holdout_days,
        _median_gap_days(summary, s.unit),
        "A log of a year or more (several purchase cycles) would fix it; at least "
        f"{MIN_CALIBRATION_DAYS + MIN_HOLDOUT_DAYS} days are needed for the check.",
    ):
        return status, holdout
    progress("checking BG/NBD on the holdout period")
    try:
        cal = rfm.calibration_holdout(tx, calibration_end=cal_end, unit=s.unit)
        cal_model = BetaGeo(penalizer=s.penalizer, initial_params=model.params_).fit(cal, unit=s.unit)
        table = holdout_comparison(cal_model, cal)
    except (ModelError, ValueError) as exc:
        status.record(
            "holdout forecast within bound",
            False,
            f"the model could not be fitted on the calibration period alone ({_sentence(exc)})",
            BG_FIX,
        )
        return status, holdout
    actual = float((table["actual"] * table["customers"]).sum())
    predicted = float((table["predicted"] * table["customers"]).sum())
    holdout.update(
        table=table,
        actual=actual,
        predicted=predicted,
        model=cal_model,
        error=predicted / actual - 1 if actual > 0 else float("nan"),
    )
    check_holdout(
        status,
        predicted,
        actual,
        s.holdout_tolerance,
        "A longer log, or another unit or calibration_end, would show whether the forecast can be trusted.",
    )
    return status, holdout


def fit_spend_model(
    summary: pd.DataFrame, s: ReportSettings, mixed_currencies: list[str], progress: Progress
) -> tuple[ModelStatus, pd.DataFrame]:
    """Fit Gamma-Gamma on the repeat buyers with a positive mean spend, and check it."""
    from crmlib.models import ConvergenceError, GammaGamma, ModelError

    status = ModelStatus("gamma_gamma", "Gamma-Gamma")
    positive = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    finite = np.isfinite(positive["monetary_value"].to_numpy(dtype=float))
    if not finite.all():
        return status.skip(
            "some amounts are too large to compute with (their mean spend overflows)",
            "Amounts in a sensible unit (not 1e308) would fix it.",
        ), positive
    if len(positive) < 30:
        return status.skip(
            f"only {len(positive):,} customers bought more than once with a positive spend; the "
            "spend model needs dozens at least",
            GG_FIX,
        ), positive
    progress("fitting Gamma-Gamma")
    try:
        model = GammaGamma(penalizer=s.penalizer).fit(positive)
    except ConvergenceError as exc:
        status.record("fit converged", False, _sentence(exc), GG_FIX)
        return status, positive
    except ModelError as exc:
        return status.skip(_sentence(exc), GG_FIX), positive
    status.status = "fitted"
    status.model = model
    status.estimates = estimates_table(model)
    q = model.params_["q"]
    status.record(
        "finite mean spend",
        q > 1,
        f"q = {q:.3g}"
        + (
            " is above 1, so the mean spend is finite"
            if q > 1
            else " is not above 1: the spend is so heavy-tailed that the model's mean spend is infinite"
        ),
        "Amounts without extreme outliers (check for wholesale orders or amounts in the wrong unit) would fix it.",
    )
    check_shapes(status, status.estimates, ("p", "q"), GG_FIX)
    check_intervals(status, status.estimates, GG_FIX)
    if mixed_currencies:
        status.record(
            "one currency",
            False,
            f"the amounts mix currencies ({', '.join(mixed_currencies)}), so spend per purchase adds up unlike units",
            "Amounts converted to one currency would fix it.",
        )
    return status, positive


def bootstrap_clv(
    summary: pd.DataFrame, bg, gg, s: ReportSettings, progress: Progress, *, threads: int | None = None
) -> tuple[np.ndarray, int]:
    """CLV of every customer under ``interval_draws`` refits on customers resampled with replacement.

    Returns the draws (customers x draws; fewer columns if some refits failed) and the number of draws.
    The 95% interval of a customer's CLV (or of the customer equity) is the 2.5th to 97.5th percentile over
    the draws: it reflects the uncertainty of the parameters, not of the customer's own future.

    The refits run ``threads`` at a time (default: the cores this process may use, at most 4; numpy and scipy
    leave the interpreter lock in their loops). The resamples are drawn one after the other from one generator,
    so the draws do not depend on the threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    from crmlib.data.codes import workers

    if s.interval_draws == 0:
        return np.empty((len(summary), 0)), 0
    progress(f"computing intervals ({s.interval_draws} refits on resampled customers)")
    rng = np.random.default_rng(s.seed)
    n = len(summary)

    def draw(pick: np.ndarray) -> np.ndarray | None:
        return _bootstrap_draw(summary.iloc[pick], bg, gg, summary, s)

    at_once = max(1, threads or workers())
    results: list[np.ndarray | None] = []
    # scipy silences its line-search warning (a search that it then retries another way) with catch_warnings,
    # whose filters the threads share: one refit leaving its block takes the filter away from another, and the
    # last to leave may leave the process's filters changed. Here the warning is silenced for the whole block,
    # as scipy does for each search, and the filters are restored once all the refits are done.
    with warnings.catch_warnings(), ThreadPoolExecutor(at_once) as pool:
        warnings.filterwarnings("ignore", message="The line search algorithm did not converge")
        pending: deque = deque()
        for _ in range(s.interval_draws):  # at most `at_once` resamples held at a time
            pending.append(pool.submit(draw, rng.integers(0, n, n)))
            if len(pending) >= at_once:
                results.append(pending.popleft().result())
        results.extend(future.result() for future in pending)
    draws = [value for value in results if value is not None]
    if not draws:
        return np.empty((n, 0)), 0
    return np.column_stack(draws), len(draws)


def _bootstrap_draw(sample: pd.DataFrame, bg, gg, summary: pd.DataFrame, s: ReportSettings) -> np.ndarray | None:
    """Every customer of ``summary``: the CLV under the models refitted to one resample; None when a refit fails."""
    from crmlib.models import ModelError

    try:
        bg_b = bg.refit(sample, unit=s.unit)  # from the estimates and curvature of the fit on all customers
        spend = sample[(sample["frequency"] > 0) & (sample["monetary_value"] > 0)]
        gg_b = gg.refit(spend)
        if gg_b.params_["q"] <= 1:
            return None
        value = _report_clv(bg_b, gg_b, summary, s)["clv"].to_numpy(dtype=float)
    except (ModelError, ValueError):
        return None
    return value


def _report_clv(bg, gg, summary: pd.DataFrame, s: ReportSettings) -> pd.DataFrame:
    """The CLV of :func:`crmlib.models.customer_lifetime_value` with the report's settings.

    The horizon in months, the yearly discount rate, monthly steps and the margin rate; a customer's negative
    average spend (returns larger than purchases) counts as 0.
    """
    from crmlib.models import customer_lifetime_value

    return customer_lifetime_value(
        bg,
        gg,
        summary.assign(monetary_value=summary["monetary_value"].clip(lower=0)),
        horizon=s.horizon_months,
        horizon_unit="M",
        discount_rate=s.discount_rate,
        discount_period="Y",
        step="M",
        margin=s.margin_rate,
    )


# ----------------------------------------------------------------------------------------------
# the pipeline
# ----------------------------------------------------------------------------------------------


def _mixed_currencies(read_report: Mapping[str, Any]) -> list[str]:
    for note in read_report.get("notes", []):
        if "mixes currencies (" in note:
            inside = note.split("mixes currencies (", 1)[1].split(")", 1)[0]
            return [c.strip() for c in inside.split(",") if c.strip()]
    return []


@dataclass
class _Draft:
    """The report while its steps run: the inputs every step reads and what each step adds.

    ``customers`` gains its columns step by step; ``tables``, ``sections`` and ``notes`` collect what the steps
    computed, could not compute (and why) and what the reader should know.
    """

    tx: pd.DataFrame
    summary: pd.DataFrame
    settings: ReportSettings
    last: pd.Timestamp
    say: Progress
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    revenue: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    money_ok: bool = True
    currencies: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    extra_columns: dict[str, pd.Series] = field(default_factory=dict)
    values: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    draws_used: int = 0
    equity_interval: tuple[float, float] | None = None
    campaign: pd.DataFrame | None = None


def build_report(
    source: Any,
    *,
    reader: Mapping[str, Any] | ReadOptions | None = None,
    settings: ReportSettings,
    by: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run the pipeline on ``source`` (a file path or a DataFrame) and return the :class:`Report`.

    ``reader``: the reader's options, as a :class:`crmlib.data.ReadOptions` (the command line's flags) or as a
    mapping of its fields (keywords of :func:`crmlib.data.read_transactions`).
    """
    from crmlib import rfm
    from crmlib.data import ReadOptions

    say = progress or _quiet
    s = settings
    options = reader if isinstance(reader, ReadOptions) else ReadOptions(**dict(reader or {}))
    name = "DataFrame" if isinstance(source, pd.DataFrame) else Path(os.fspath(source)).name
    tx, rr = _read(source, options, name, say)
    first, last = tx["date"].min().normalize(), tx["date"].max().normalize()
    span = int((last - first).days) + 1
    title = f"Customer report: {name}, {first:%d %b %Y} to {last:%d %b %Y}"

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = _Draft(tx, rfm.summarize(tx, unit=s.unit), s, last, say)
        _purchase_columns(d, rr)
        _input_columns(d, source, options.changed(), rr, by)
        say("computing values, tiers and segments")
        _value_columns(d)
        _tiers(d)
        _value_potential(d)
        _segments(d)
        models, holdout = _fit_models(d, first)
        bg = models["bg_nbd"].model if models["bg_nbd"].trusted else None
        gg = models["gamma_gamma"].model if models["gamma_gamma"].trusted else None
        _forecasts(d, bg, gg)
        for status in models.values():
            if not status.trusted:
                d.sections["forecast"] = Section("forecast", False, _not_trusted_sentence(status))
                break
        say("choosing actions")
        _at_risk(d, bg)
        _campaign(d, bg, gg)
        _actions(d)
        customers = _in_order(d)
        _cohorts(d, span)

    report = Report(
        source=name,
        title=title,
        first_day=first,
        last_day=last,
        settings=s,
        read_report=rr,
        transactions=tx,
        customers=customers,
        models=models,
        tables=d.tables,
        sections=d.sections,
        notes=d.notes,
        attributes=d.attributes,
        by=by,
        clv_draws=d.draws_used,
        holdout=holdout,
    )
    _headline_tables(report, d.campaign)
    _key_figures(report, span, d.equity_interval, d.campaign, d.money_ok)
    _decisions(report, d.campaign, d.money_ok)
    return report


def _read(source: Any, options: ReadOptions, name: str, say: Progress) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The canonical transactions and the reader's report."""
    from crmlib.data import read_transactions

    say(f"reading {name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx = read_transactions(source, options=options, warn=False)
    rr = dict(tx.attrs.get("crmlib_read_report") or {})
    say(
        f"read {rr.get('rows_read', len(tx)):,} rows: {len(tx):,} kept, {rr.get('customers', 0):,} customers, "
        f"{rr.get('first_date', '')} to {rr.get('last_date', '')}"
    )
    return tx, rr


def _purchase_columns(d: _Draft, rr: Mapping[str, Any]) -> None:
    """The summary, the revenue and the purchase dates per customer; notes on overflowing sums and currencies."""
    tx, summary, last = d.tx, d.summary, d.last
    d.revenue = tx.groupby("customer_id", sort=True)["amount"].sum().reindex(summary.index)
    d.money_ok = bool(np.isfinite(d.revenue.to_numpy(dtype=float)).all() and math.isfinite(_finite_sum(d.revenue)))
    if not d.money_ok:
        d.notes.append(
            "Some amounts are so large that their sums overflow (they add up to infinity): every money "
            "figure is left out; the purchase counts and the purchase model still run."
        )
    d.currencies = _mixed_currencies(rr)
    if d.currencies:
        d.notes.append(
            f"The amounts mix currencies ({', '.join(d.currencies)}) and are added as they are: money "
            "figures add unlike units. Convert the amounts to one currency for figures you can use."
        )
    days_first = (last - tx.groupby("customer_id", sort=True)["date"].min()).dt.days.reindex(summary.index)
    days_last = (last - tx.groupby("customer_id", sort=True)["date"].max()).dt.days.reindex(summary.index)
    customers = pd.DataFrame(index=summary.index)
    customers["purchases"] = summary["frequency"].astype(int) + 1
    customers["first_purchase"] = (last - pd.to_timedelta(days_first, unit="D")).dt.date.astype(str)
    customers["last_purchase"] = (last - pd.to_timedelta(days_last, unit="D")).dt.date.astype(str)
    customers["days_since_last_purchase"] = days_last.astype(int)
    for column in ("frequency", "recency", "T", "monetary_value"):
        customers[column] = summary[column]
    customers["revenue"] = d.revenue if d.money_ok else np.nan
    d.customers = customers


def _input_columns(d: _Draft, source: Any, reader: Mapping[str, Any], rr: Mapping[str, Any], by: str | None) -> None:
    """The input's per-customer columns (Country, channel, ...); ``by`` must be one of them."""
    from crmlib.params import ParameterError
    from crmlib.report._attributes import customer_attributes

    d.say("collecting the file's per-customer columns")
    extra, extra_notes = customer_attributes(source, reader, rr, d.customers.index)
    d.notes.extend(extra_notes)
    for column in extra.columns:
        target = column if column not in RESERVED else f"{column} (input)"
        d.extra_columns[target] = extra[column]
        d.attributes.append(target)
    if by is not None and by not in d.attributes:
        listed = ", ".join(repr(a) for a in d.attributes) or "none (no column of the file is constant per customer)"
        raise ParameterError(
            f"The 'by' column {by!r} is not a per-customer column of the file; the per-customer columns "
            f"are: {listed}."
        )


def _value_columns(d: _Draft) -> None:
    """Historical, current and potential value, one definition (:func:`crmlib.clv.value_components`)."""
    from crmlib.data import DataError
    from crmlib.params import ParameterError

    s = d.settings
    if d.money_ok:
        try:
            from crmlib.clv import value_components

            d.values = value_components(d.tx, margin_rate=s.margin_rate, discount_rate=s.discount_rate)
        except (DataError, ParameterError, ValueError, ArithmeticError) as exc:
            d.sections["values"] = Section("values", False, f"the values could not be computed: {_sentence(exc)}")
    else:
        d.sections["values"] = Section("values", False, "the amounts overflow, so no value can be computed")
    for column in ("historical_value", "current_value", "potential_value"):
        d.customers[column] = d.values[column].reindex(d.summary.index) if d.values is not None else np.nan


_REVENUE_NAMES = {
    "value": "revenue",
    "share_of_value": "share_of_revenue",
    "value_per_customer": "revenue_per_customer",
}


def _tiers(d: _Draft) -> None:
    """The pyramid by revenue and its table, and the Pareto (80/20) table."""
    from crmlib import tiers
    from crmlib.data import DataError
    from crmlib.params import ParameterError

    s = d.settings
    if not d.money_ok:
        d.customers["tier"] = None
        d.sections["tiers"] = Section("tiers", False, "the amounts overflow, so customers cannot be ranked by revenue")
        return
    shares = (s.vip_share, s.major_share, s.common_share, 1 - s.vip_share - s.major_share - s.common_share)
    tier = tiers.pyramid(d.revenue, shares=shares)
    d.customers["tier"] = tier.astype(str)
    tier_tab = tiers.tier_table(d.revenue, tier).rename(columns={**_REVENUE_NAMES, "min_value": "min_revenue"})
    tier_tab["margin"] = tier_tab["revenue"] * s.margin_rate
    d.tables["tiers"] = tier_tab
    try:
        pareto = tiers.pareto_table(d.revenue)
        pareto.index = pd.Index([f"top {c:.0%}" for c in pareto.index], name="top")
        d.tables["pareto"] = pareto.rename(columns=_REVENUE_NAMES)
    except (ParameterError, DataError, ValueError) as exc:
        d.sections["pareto"] = Section("80/20", False, f"the 80/20 table cannot be computed: {_sentence(exc)}")


def _value_potential(d: _Draft) -> None:
    """The value x potential matrix (:func:`crmlib.tiers.value_potential`): each customer's quadrant, its table."""
    from crmlib import tiers
    from crmlib.params import ParameterError

    vp = None
    if d.values is not None:
        try:
            vp = tiers.value_potential(d.customers["current_value"], d.customers["potential_value"])
        except (ParameterError, ValueError) as exc:
            d.sections["matrix"] = Section(
                "matrix", False, f"the value-potential matrix cannot be computed: {_sentence(exc)}"
            )
    d.customers["quadrant"] = vp["quadrant"].astype(str) if vp is not None else None
    if vp is None:
        return
    quad = vp.groupby("quadrant", observed=False).agg(
        customers=("current", "size"), current_value=("current", "sum"), potential_value=("potential", "sum")
    )
    quad["share_of_customers"] = quad["customers"] / max(len(vp), 1)
    total_current, total_potential = quad["current_value"].sum(), quad["potential_value"].sum()
    quad["share_of_current_value"] = quad["current_value"] / total_current if total_current else np.nan
    quad["share_of_potential_value"] = quad["potential_value"] / total_potential if total_potential else np.nan
    quad["strategy"] = [tiers.QUADRANT_STRATEGIES.get(str(q), "") for q in quad.index]
    quad.index = pd.Index([str(q) for q in quad.index], name="quadrant")
    quad.attrs.update(
        current_threshold=vp.attrs.get("current_threshold"),
        potential_threshold=vp.attrs.get("potential_threshold"),
    )
    d.tables["quadrants"] = quad[
        [
            "customers",
            "share_of_customers",
            "current_value",
            "share_of_current_value",
            "potential_value",
            "share_of_potential_value",
            "strategy",
        ]
    ]


def _segments(d: _Draft) -> None:
    """The RFM segment of each customer and the segments' table."""
    from crmlib import rfm
    from crmlib.data import DataError
    from crmlib.params import ParameterError

    try:
        scores = rfm.rfm_segments(rfm.rfm_scores(d.tx, unit=d.settings.unit))
        d.customers["segment"] = scores["segment"].astype(str).reindex(d.summary.index)
        seg = rfm.rfm_segment_summary(scores)
        seg.index = pd.Index([str(i) for i in seg.index], name="segment")
        d.tables["segments"] = seg
    except (DataError, ParameterError, ValueError, ArithmeticError) as exc:
        d.customers["segment"] = None
        d.sections["segments"] = Section("segments", False, f"the RFM segments cannot be computed: {_sentence(exc)}")


def _fit_models(d: _Draft, first: pd.Timestamp) -> tuple[dict[str, ModelStatus], dict[str, Any]]:
    """BG/NBD and Gamma-Gamma, each fitted and checked; the holdout comparison of the purchase model."""
    bg_status, holdout = fit_purchase_model(d.tx, d.summary, d.settings, first, d.last, d.say)
    if d.money_ok:
        gg_status, _ = fit_spend_model(d.summary, d.settings, d.currencies, d.say)
    else:
        gg_status = ModelStatus("gamma_gamma", "Gamma-Gamma").skip(
            "the amounts overflow, so spend per purchase cannot be modelled",
            "Amounts in a sensible unit would fix it.",
        )
    return {"bg_nbd": bg_status, "gamma_gamma": gg_status}, holdout


def _forecasts(d: _Draft, bg: Any, gg: Any) -> None:
    """P(alive) and expected purchases (a trusted purchase model), CLV and its interval (both models trusted)."""
    s, customers, summary = d.settings, d.customers, d.summary
    customers["p_alive"] = np.nan
    customers["expected_purchases"] = np.nan
    if bg is not None:
        horizon_units = s.horizon_months * UNIT_DAYS["M"] / UNIT_DAYS[s.unit]
        x, tx_, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        customers["p_alive"] = bg.probability_alive(x, tx_, T)
        customers["expected_purchases"] = bg.conditional_expected_purchases(horizon_units, x, tx_, T)
    customers["clv"] = np.nan
    customers["clv_lower_95"] = np.nan
    customers["clv_upper_95"] = np.nan
    if bg is not None and gg is not None:
        _clv(d, bg, gg)


def _clv(d: _Draft, bg: Any, gg: Any) -> None:
    """Each customer's CLV over the horizon, with its 95% interval from refits on resampled customers."""
    from crmlib.models import ModelError

    s, customers, summary = d.settings, d.customers, d.summary
    d.say("computing CLV")
    try:
        clv = _report_clv(bg, gg, summary, s)
        customers["clv"] = clv["clv"]
    except (ModelError, ValueError, ArithmeticError) as exc:
        d.sections["clv"] = Section("CLV", False, f"the CLV cannot be computed: {_sentence(exc)}")
    if not customers["clv"].notna().all():
        return
    draws, d.draws_used = bootstrap_clv(summary, bg, gg, s, d.say)
    if d.draws_used >= 10:
        customers["clv_lower_95"] = np.percentile(draws, 2.5, axis=1)
        customers["clv_upper_95"] = np.percentile(draws, 97.5, axis=1)
        totals = draws.sum(axis=0)
        d.equity_interval = (float(np.percentile(totals, 2.5)), float(np.percentile(totals, 97.5)))
    elif s.interval_draws:
        d.notes.append(
            "The intervals of the CLV could not be computed: too few refits on resampled customers succeeded."
        )


def _at_risk(d: _Draft, bg: Any) -> None:
    """The at-risk flag and its rule: P(alive) with a trusted purchase model, else the customer's usual gap."""
    from crmlib import tiers

    s, customers = d.settings, d.customers
    top = (
        customers["tier"].isin(list(tiers.PYRAMID_LABELS[:TOP_TIERS]))
        if d.money_ok
        else pd.Series(False, index=customers.index)
    )
    repeat = customers["frequency"] > 0
    named = f"{', '.join(tiers.PYRAMID_LABELS[: TOP_TIERS - 1])} or {tiers.PYRAMID_LABELS[TOP_TIERS - 1]} tier"
    if bg is not None:
        at_risk = top & repeat & (customers["p_alive"] < s.p_alive_risk)
        rule = f"P(alive) below {s.p_alive_risk:g}, a repeat buyer of the {named}"
    else:
        usual = _days(customers["recency"], s.unit) / customers["frequency"].where(repeat)
        at_risk = top & repeat & (customers["days_since_last_purchase"] > np.maximum(2 * usual, 30))
        rule = (
            "no purchase for more than twice the customer's usual time between purchases (and 30 days), a "
            f"repeat buyer of the {named} (the purchase model is not trusted, so P(alive) is not used)"
        )
    customers["at_risk"] = at_risk.fillna(False).astype(bool)
    customers["at_risk_rule"] = np.where(customers["at_risk"], rule, "")


def _campaign(d: _Draft, bg: Any, gg: Any) -> None:
    """The retention campaign (:func:`crmlib.churn.campaign_value`), when both models are trusted and CLV known."""
    s, customers = d.settings, d.customers
    customers["campaign_expected_profit"] = np.nan
    customers["campaign_target"] = False
    if bg is None or gg is None or not customers["clv"].notna().all():
        return
    from crmlib.churn import campaign_value

    p_alive = customers["p_alive"]
    kept_value = (customers["clv"] / p_alive.where(p_alive > 0)).fillna(0.0)
    d.campaign = campaign_value(
        1 - p_alive,
        kept_value,
        success_rate=s.success_rate,
        contact_cost=s.contact_cost,
        incentive_cost=s.incentive_cost,
    )
    customers["campaign_expected_profit"] = d.campaign["expected_profit"]
    customers["campaign_target"] = d.campaign["targeted"].astype(bool)


def _actions(d: _Draft) -> None:
    """One recommended action per customer (:data:`ACTIONS`: at risk, campaign, new, then the quadrant's)."""
    customers = d.customers
    new = (customers["frequency"] == 0) & (customers["days_since_last_purchase"] < NEW_CUSTOMER_DAYS)
    quadrant = customers["quadrant"].fillna("unknown").astype(str)
    customers["action"] = np.select(
        [customers["at_risk"], customers["campaign_target"], new],
        [ACTIONS["at risk"], ACTIONS["campaign"], ACTIONS["new"]],
        default=quadrant.map(lambda q: ACTIONS.get(q, ACTIONS["unknown"])).to_numpy(dtype=object),
    )


def _in_order(d: _Draft) -> pd.DataFrame:
    """The customers table: :data:`CUSTOMER_COLUMNS` in order, then the input's per-customer columns."""
    from crmlib.report._layout import CUSTOMER_COLUMNS

    customers = d.customers[list(CUSTOMER_COLUMNS)]
    for column, values_ in d.extra_columns.items():
        customers[column] = values_
    customers.index.name = "customer_id"
    return customers


def _cohorts(d: _Draft, span: int) -> None:
    """Retention by cohort of first purchase: monthly for up to two years of data, quarterly beyond."""
    from crmlib.data import DataError
    from crmlib.lifecycle import cohort_matrix
    from crmlib.params import ParameterError

    try:
        period = "M" if span <= 2 * 366 else "Q"
        cohorts = cohort_matrix(d.tx, period=period, metric="retention")
        sizes = cohorts.attrs.get("cohort_size")
        cohorts.index = pd.Index([str(p) for p in cohorts.index], name="cohort")
        cohorts.columns = pd.Index(
            [int(c) for c in cohorts.columns],
            name=f"{'months' if period == 'M' else 'quarters'} since the first purchase",
        )
        if sizes is not None:
            cohorts.insert(0, "customers", sizes.to_numpy())
        d.tables["cohorts"] = cohorts
    except (DataError, ParameterError, ValueError) as exc:
        d.sections["cohorts"] = Section("cohorts", False, f"the cohort table cannot be computed: {_sentence(exc)}")


def _not_trusted_sentence(status: ModelStatus) -> str:
    if status.status == "skipped":
        return f"the {status.name} model was skipped: {status.reasons[0]}"
    return f"the {status.name} model is not trusted: {'; '.join(status.reasons)}"


def _headline_tables(report: Report, campaign) -> None:
    c = report.customers
    tables = report.tables
    risk = c[c["at_risk"]].sort_values("revenue", ascending=False)
    keep = ["revenue", "purchases", "last_purchase", "tier", "p_alive", "clv", "action"]
    tables["at_risk"] = risk[[k for k in keep if k in risk.columns]]
    for key in ("bg_nbd", "gamma_gamma"):
        status = report.models[key]
        if status.estimates is not None:
            est = status.estimates.copy()
            est.index = pd.Index([f"{status.name} {n}" for n in est.index], name="parameter")
            tables["parameters"] = pd.concat([tables["parameters"], est]) if "parameters" in tables else est
    if report.holdout.get("table") is not None:
        tables["holdout"] = report.holdout["table"].rename(
            columns={"actual": "actual_purchases_per_customer", "predicted": "predicted_purchases_per_customer"}
        )
    if report.by is not None:
        tables[f"by_{report.by}"] = split_by(c, report.by, report.models)


def split_by(customers: pd.DataFrame, column: str, models: Mapping[str, ModelStatus]) -> pd.DataFrame:
    """The headline figures per value of a per-customer column (``--by``)."""
    group = customers[column].fillna("(blank)").astype(str)
    g = customers.groupby(group, sort=True)
    table = pd.DataFrame({"customers": g.size()})
    table["share_of_customers"] = table["customers"] / max(len(customers), 1)
    if customers["revenue"].notna().any():
        table["revenue"] = g["revenue"].sum()
        total = table["revenue"].sum()
        table["share_of_revenue"] = table["revenue"] / total if total else np.nan
        table["vip_and_major"] = g["tier"].apply(lambda t: int(t.isin(["VIP", "major"]).sum()))
    table["at_risk"] = g["at_risk"].sum().astype(int)
    table["repeat_buyers"] = g["frequency"].apply(lambda f: int((f > 0).sum()))
    if all(m.trusted for m in models.values()) and customers["clv"].notna().all():
        table["customer_equity"] = g["clv"].sum()
        table["clv_mean"] = g["clv"].mean()
    table.index.name = column
    return table.sort_values("customers", ascending=False)


def _key_figures(report: Report, span: int, equity_interval, campaign, money_ok: bool) -> None:
    c, s = report.customers, report.settings
    kf: dict[str, Any] = {
        "customers": len(c),
        "rows_read": int(report.read_report.get("rows_read", len(report.transactions))),
        "rows_kept": len(report.transactions),
        "first_day": str(report.first_day.date()),
        "last_day": str(report.last_day.date()),
        "days": span,
        "purchase_days": int(c["purchases"].sum()),
        "repeat_buyers": int((c["frequency"] > 0).sum()),
        "repeat_share": float((c["frequency"] > 0).mean()),
        "active_last_365_days": int((c["days_since_last_purchase"] < 365).sum()),
        "revenue": float(c["revenue"].sum()) if money_ok else None,
        "margin": float(c["revenue"].sum() * s.margin_rate) if money_ok else None,
        "at_risk_customers": int(c["at_risk"].sum()),
        "at_risk_revenue": float(c.loc[c["at_risk"], "revenue"].sum()) if money_ok else None,
        "at_risk_rule": c.loc[c["at_risk"], "at_risk_rule"].iloc[0] if c["at_risk"].any() else None,
    }
    if c["clv"].notna().all() and len(c):
        kf["customer_equity"] = float(c["clv"].sum())
        kf["customer_equity_lower_95"] = equity_interval[0] if equity_interval else None
        kf["customer_equity_upper_95"] = equity_interval[1] if equity_interval else None
        kf["customer_equity_horizon_months"] = s.horizon_months
        kf["expected_purchases"] = float(c["expected_purchases"].sum())
        kf["interval_draws"] = report.clv_draws
    else:
        kf["customer_equity"] = None
        why = report.sections.get("forecast") or report.sections.get("clv")
        kf["customer_equity_missing_because"] = why.reason if why else "the CLV could not be computed"
    if campaign is not None:
        kf["campaign_customers"] = int(campaign.attrs["n_targeted"])
        kf["campaign_expected_profit"] = float(campaign.attrs["total"])
    report.key_figures = kf


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _decisions(report: Report, campaign: pd.DataFrame | None, money_ok: bool) -> None:
    """The executive summary's few decisions, with evidence and money; a caution first if a model is not trusted."""
    candidates = [
        _best_customers(report),
        _win_back(report, money_ok),
        _retention_campaign(report, campaign),
        *_quadrant_decisions(report),
    ]
    out = [d for d in candidates if d is not None]
    if not report.trusted:
        out.insert(0, _not_yet(report))
    report.decisions = out


def _best_customers(report: Report) -> Decision | None:
    """Look after the VIP and major customers (with the tiers)."""
    c, t = report.customers, report.tables
    if "tiers" not in t:
        return None
    tt = t["tiers"]
    best = tt.loc[["VIP", "major"]]
    n_best = int(best["customers"].sum())
    rev_best = float(best["revenue"].sum())
    share = rev_best / float(tt.loc["total", "revenue"]) if float(tt.loc["total", "revenue"]) else float("nan")
    return Decision(
        "Look after the best customers",
        f"The {n_best:,} VIP and major customers ({n_best / max(len(c), 1):.0%} of customers) brought "
        f"{_money(rev_best)} of revenue ({share:.0%}).",
        "Serve them personally: a named contact, priority service, offers made for them.",
        rev_best,
        "revenue so far",
    )


def _win_back(report: Report, money_ok: bool) -> Decision | None:
    """Win back the valuable customers at risk (when there are any)."""
    c, s = report.customers, report.settings
    if not c["at_risk"].any():
        return None
    risk = c[c["at_risk"]]
    rev = float(risk["revenue"].sum()) if money_ok else None
    evidence = (
        f"{len(risk):,} valuable customers look lost (rule: {risk['at_risk_rule'].iloc[0]}); they "
        f"brought {_money(rev) if rev is not None else 'an unknown amount'} of revenue."
    )
    if report.trusted and risk["clv"].notna().all():
        stay = float((risk["clv"] / risk["p_alive"].clip(lower=1e-9)).sum())
        evidence += (f" If they stay, they are worth {_money(stay)} of margin over the next "
                     f"{s.horizon_months:g} months.")
    return Decision(
        "Win back the valuable customers at risk",
        evidence,
        "Contact them personally, starting with the largest (the at-risk table), and ask why they stopped.",
        rev,
        "revenue they brought",
    )


def _retention_campaign(report: Report, campaign: pd.DataFrame | None) -> Decision | None:
    """Run the retention campaign when it is expected to pay (its assumptions are settings: illustrative)."""
    s = report.settings
    if campaign is None or campaign.attrs["n_targeted"] <= 0:
        return None
    return Decision(
        "Run the retention campaign",
        f"Contacting {campaign.attrs['n_targeted']:,} customers is expected to earn "
        f"{_money(campaign.attrs['total'])} of margin net of its costs, under the campaign's assumptions "
        f"(success rate {s.success_rate:.0%}, contact {s.contact_cost:g}, incentive {s.incentive_cost:g} per "
        "customer: settings, not measured).",
        "Run it on the customers marked campaign_target, and keep a control group to measure it.",
        float(campaign.attrs["total"]),
        "expected profit (assumptions)",
        illustrative=True,
    )


def _quadrant_decisions(report: Report) -> list[Decision]:
    """Develop the iron customers, spend little on the lead customers (with the value-potential matrix)."""
    t = report.tables
    if "quadrants" not in t:
        return []
    q = t["quadrants"]
    out = []
    iron = q.loc["iron"] if "iron" in q.index else None
    if iron is not None and iron["customers"] > 0:
        out.append(
            Decision(
                "Develop the iron customers",
                f"{int(iron['customers']):,} customers have low value now but high potential "
                f"({_money(iron['potential_value'])} of potential value).",
                ACTIONS["iron"],
                float(iron["potential_value"]),
                "potential value",
            )
        )
    lead = q.loc["lead"] if "lead" in q.index else None
    if lead is not None and lead["customers"] > 0:
        out.append(
            Decision(
                "Spend little on the lead customers",
                f"{int(lead['customers']):,} customers ({lead['share_of_customers']:.0%}) bring "
                f"{lead['share_of_current_value']:.0%} of the current value.",
                ACTIONS["lead"],
                float(lead["current_value"]),
                "current value",
            )
        )
    return out


def _not_yet(report: Report) -> Decision:
    """Do not budget on forecasts: which model is not trusted, why, and what data would fix it."""
    why = [m for m in report.models.values() if not m.trusted]
    return Decision(
        "Do not budget on forecasts yet",
        " ".join(f"The {m.name} model is {m.status}: {m.reasons[0] if m.reasons else ''}." for m in why),
        " ".join(dict.fromkeys(f for m in why for f in m.fixes)) or "More data would fix it.",
        None,
        "",
    )


def timed(progress: Progress) -> Progress:
    """A progress callback that prefixes each step with the seconds since the first one."""
    start = time.perf_counter()

    def say(text: str) -> None:
        progress(f"[{time.perf_counter() - start:5.1f} s] {text}")

    return say

