"""The report's settings: one documented default each, checked once, named alike in Python and on the command line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from crmlib.params import ParameterError, check_date, check_number, check_unit

__all__ = ["SETTINGS_HELP", "ReportSettings", "check_settings"]

#: What each setting means, with its unit and range (shown by ``crmlib report --help`` and in report.json).
SETTINGS_HELP: dict[str, str] = {
    "unit": "time unit of the models: D, W, M or Y",
    "calibration_end": "last day of the models' calibration period (a date); default: two thirds into the log",
    "margin_rate": "gross margin, the share of revenue the firm keeps, in (0, 1]",
    "discount_rate": "discount rate per year, in [0, 1)",
    "horizon_months": "months of future purchases counted in the CLV and the customer equity, in (0, 120]",
    "penalizer": "L2 penalty on the model parameters, in [0, 10] (0: plain maximum likelihood)",
    "vip_share": "pyramid: share of customers in the VIP tier, in (0, 1)",
    "major_share": "pyramid: share in the major tier, in [0, 1)",
    "common_share": "pyramid: share in the common tier, in [0, 1); minor takes the rest",
    "p_alive_risk": "at risk below this P(alive), in (0, 1)",
    "success_rate": "retention campaign: share of contacted would-be churners kept, in [0, 1] (an assumption)",
    "contact_cost": "retention campaign: cost of one contact (money, 0 or more; an assumption)",
    "incentive_cost": "retention campaign: cost of the offer to a customer who takes it (money, 0 or more; "
    "an assumption)",
    "holdout_tolerance": "largest relative error of the holdout forecast for a trusted model, in (0, 1]",
    "interval_draws": "refits on resampled customers for the CLV and equity intervals, 0 (none) or 10 to 500",
    "seed": "seed of the resampling (a whole number), so a report can be reproduced",
    "top": "customers listed in the page's tables, 1 to 500",
}


@dataclass(frozen=True)
class ReportSettings:
    """Every setting of the report, with its default (see :data:`SETTINGS_HELP` for units and ranges).

    Parameters
    ----------
    unit : time unit of the models' durations ("D", "W", "M", "Y").
    calibration_end : last day of the calibration period of the holdout check (default two thirds into the log).
    margin_rate : share of revenue kept as margin; every money value of the report is margin unless it says revenue.
    discount_rate : per year.
    horizon_months : months of future purchases in the CLV and in the customer equity.
    penalizer : L2 penalty of the model fits.
    vip_share, major_share, common_share : the customer pyramid (minor takes the rest).
    p_alive_risk : a customer of the top three tiers with P(alive) below this is at risk.
    success_rate, contact_cost, incentive_cost : the retention campaign's assumptions (Neslin et al. 2006).
    holdout_tolerance : a model whose holdout forecast of the purchases misses by more than this share is not
        trusted.
    interval_draws : refits on resampled customers for the intervals of CLV and customer equity.
    seed : seed of that resampling.
    top : customers listed in the page's tables.

    Examples
    --------
    >>> settings = ReportSettings(horizon_months=6)
    >>> settings.as_dict()["horizon_months"], settings.as_dict()["calibration_end"]
    (6, None)
    """

    unit: str = "W"
    calibration_end: Any = None
    margin_rate: float = 0.3
    discount_rate: float = 0.10
    horizon_months: float = 12.0
    penalizer: float = 0.0
    vip_share: float = 0.01
    major_share: float = 0.04
    common_share: float = 0.15
    p_alive_risk: float = 0.5
    success_rate: float = 0.30
    contact_cost: float = 1.0
    incentive_cost: float = 5.0
    holdout_tolerance: float = 0.25
    interval_draws: int = 30
    seed: int = 0
    top: int = 20

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain values (dates as ISO text), for report.json."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if out["calibration_end"] is not None:
            out["calibration_end"] = str(out["calibration_end"].date())
        return out


def _python_label(name: str) -> str:
    return f"The {name!r} argument of make_report"


def check_settings(values: Mapping[str, Any], *, label: Callable[[str], str] = _python_label) -> ReportSettings:
    """Check the given settings and return them with the defaults filled in.

    Parameters
    ----------
    values : setting name -> value (any subset of :class:`ReportSettings`'s fields).
    label : how a setting is named in a message: ``"The 'unit' argument of make_report"`` in Python,
        ``"-p horizon_months"`` on the command line.

    Returns
    -------
    ReportSettings

    Raises
    ------
    ParameterError
        One sentence naming the setting (as ``label`` names it), the allowed range and the value given.

    Examples
    --------
    >>> check_settings({"horizon_months": 6}).horizon_months
    6.0
    >>> check_settings({"horizon_months": 1e9})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlib.params.ParameterError: The 'horizon_months' argument of make_report must be a number in (0, 120] ...
    """
    known = {f.name for f in fields(ReportSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ParameterError(
            f"{label(unknown[0])} is not a setting of the report; the settings are: {', '.join(sorted(known))}."
        )
    merged = {f.name: f.default for f in fields(ReportSettings)}
    merged.update(values)

    def number(
        name: str,
        low: float | None,
        high: float | None,
        *,
        low_open=False,
        high_open=False,
        integer=False,
        what: str = "",
    ) -> float | int:
        value = merged[name]
        try:
            return check_number(
                value, name, low=low, high=high, low_open=low_open, high_open=high_open, integer=integer
            )
        except ParameterError:
            left = "(" if low_open else "["
            right = ")" if high_open else "]"
            kind = "a whole number" if integer else "a number"
            shown = value if not isinstance(value, float) else float(value)
            raise ParameterError(
                f"{label(name)} must be {kind} in {left}{low:g}, {high:g}{right}{f' ({what})' if what else ''}. "
                f"Got {shown!r} instead."
            ) from None

    try:
        unit = check_unit(merged["unit"])
    except ParameterError:
        raise ParameterError(
            f"{label('unit')} must be one of 'D' (days), 'W' (weeks), 'M' (months) or 'Y' (years). "
            f"Got {merged['unit']!r} instead."
        ) from None
    try:
        calibration_end = check_date(merged["calibration_end"], "calibration_end")
    except ParameterError:
        raise ParameterError(
            f"{label('calibration_end')} must be a date such as '2024-06-30'. "
            f"Got {merged['calibration_end']!r} instead."
        ) from None
    out: dict[str, Any] = {
        "unit": unit,
        "calibration_end": calibration_end,
        "margin_rate": float(number("margin_rate", 0, 1, low_open=True, what="a share of revenue: 0.3 for 30%")),
        "discount_rate": float(number("discount_rate", 0, 1, high_open=True, what="per year: 0.10 for 10%")),
        "horizon_months": float(number("horizon_months", 0, 120, low_open=True, what="months")),
        "penalizer": float(number("penalizer", 0, 10)),
        "vip_share": float(number("vip_share", 0, 1, low_open=True, high_open=True)),
        "major_share": float(number("major_share", 0, 1, high_open=True)),
        "common_share": float(number("common_share", 0, 1, high_open=True)),
        "p_alive_risk": float(number("p_alive_risk", 0, 1, low_open=True, high_open=True)),
        "success_rate": float(number("success_rate", 0, 1)),
        "contact_cost": float(number("contact_cost", 0, 1e12, what="money")),
        "incentive_cost": float(number("incentive_cost", 0, 1e12, what="money")),
        "holdout_tolerance": float(number("holdout_tolerance", 0, 1, low_open=True)),
        "interval_draws": int(number("interval_draws", 0, 500, integer=True)),
        "seed": int(number("seed", 0, 2**32 - 1, integer=True)),
        "top": int(number("top", 1, 500, integer=True)),
    }
    if 0 < out["interval_draws"] < 10:
        raise ParameterError(
            f"{label('interval_draws')} must be 0 (no intervals) or 10 to 500 (fewer refits give no usable 95% "
            f"interval). Got {out['interval_draws']} instead."
        )
    if out["vip_share"] + out["major_share"] + out["common_share"] >= 1:
        raise ParameterError(
            f"{label('vip_share')} plus major_share and common_share must stay below 1, so that the minor tier keeps "
            f"the rest. Got {out['vip_share'] + out['major_share'] + out['common_share']:g} instead."
        )
    return ReportSettings(**out)
