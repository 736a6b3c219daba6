r"""Trust checks: every model fit is checked before its numbers are used.

A fit is **trusted** ("fitted") only when all of these hold; otherwise it is "not trusted" and the report says why
in words and what data would fix it, and its per-customer numbers are not turned into decisions:

1. *No degenerate or boundary parameter*: each shape parameter (BG/NBD ``r``, ``a``, ``b``; Gamma-Gamma ``p``,
   ``q``) lies in :data:`SHAPE_BOUNDS`. An 85-day log gives, for instance, ``a = 7e-07, b = 11,487``: no customer
   ever drops out, P(alive) is 1 for everybody, and the forecast of next year's purchases is far too high.
2. *Parameters determined by the data*: every standard error could be computed, and every 95% interval is at most
   :data:`MAX_INTERVAL_WIDTH` times as wide as its estimate. The models' intervals of positive parameters are
   computed on the log scale, so they never reach zero; their width is what shows a parameter the data hardly
   determine. The limit, :math:`2 \sinh 1 \approx 2.35`, is the width of the log-scale interval of an estimate
   1.96 standard errors from zero, where a Wald interval (estimate :math:`\pm 1.96` standard errors) would reach
   zero.
3. *A long enough calibration period*: at least :data:`MIN_CALIBRATION_DAYS` days and at least
   :data:`MIN_CYCLES` typical gaps between purchases of the repeat buyers; and a holdout period of at least
   :data:`MIN_HOLDOUT_DAYS` days after it.
4. *A forecast that holds*: fitted on the calibration period only, the model forecasts the repeat purchases of the
   holdout period within ``holdout_tolerance`` (25% by default) of what happened, with at least
   :data:`MIN_HOLDOUT_PURCHASES` purchases to compare.
5. Gamma-Gamma only: a finite mean spend (:math:`q > 1`), and amounts in one currency.

The bounds are the kit's choice, stated here so a reader can disagree with them.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way. *Marketing Science*
24(2), 275-284 (the calibration / holdout check, section 4).
Fader, P. S. and Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value (q > 1 for a finite mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MIN_CALIBRATION_DAYS",
    "MIN_CYCLES",
    "MIN_HOLDOUT_DAYS",
    "MIN_HOLDOUT_PURCHASES",
    "MAX_INTERVAL_WIDTH",
    "SHAPE_BOUNDS",
    "ModelStatus",
    "check_calibration",
    "check_intervals",
    "check_shapes",
]

#: A shape parameter outside these bounds is degenerate (it ran to the edge of what the data can say).
SHAPE_BOUNDS: tuple[float, float] = (1e-3, 1e3)
#: Widest 95% interval of a parameter, as a multiple of its estimate, for the data to determine the parameter:
#: 2 sinh(1) = 2.35, the width of the log-scale interval of an estimate 1.96 standard errors from zero (where a
#: Wald interval, estimate +- 1.96 standard errors, would reach zero).
MAX_INTERVAL_WIDTH = 2 * math.sinh(1.0)
#: Shortest calibration period, in days, for a trusted repeat-buying model.
MIN_CALIBRATION_DAYS = 90
#: The calibration period must also span this many typical (median) gaps between two purchases of a repeat buyer.
MIN_CYCLES = 2.0
#: Shortest holdout period, in days.
MIN_HOLDOUT_DAYS = 30
#: Fewest repeat purchases in the holdout period for its forecast error to mean something.
MIN_HOLDOUT_PURCHASES = 20

STATUSES = ("fitted", "not trusted", "skipped")


@dataclass
class ModelStatus:
    """What became of one model: its status, the reasons, what data would fix it, and its estimates.

    Attributes
    ----------
    key : short name used in report.json (``"bg_nbd"``, ``"gamma_gamma"``).
    name : name for people (``"BG/NBD"``).
    status : ``"fitted"`` (all checks passed), ``"not trusted"`` (fitted, or tried, but a check failed) or
        ``"skipped"`` (the data cannot support the model at all).
    reasons : one sentence per failed check (or the reason it was skipped).
    fixes : what data would fix it, one sentence each.
    checks : every check with its outcome: ``{"check", "passed", "detail"}``.
    estimates : the parameter table (``estimate``, ``std_error``, ``lower_95``, ``upper_95``), when fitted.
    model : the fitted model object (also when not trusted, for inspection), or None.

    Examples
    --------
    >>> status = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    >>> status.record("holdout forecast", False, "the holdout forecast missed by 40%", "a longer log")
    >>> status.status, status.trusted, status.as_dict()["fixes"]
    ('not trusted', False, ['a longer log'])
    >>> status.skip("too few repeat buyers", "a log with more customers").as_dict()["reason"]
    'too few repeat buyers'
    """

    key: str
    name: str
    status: str = "skipped"
    reasons: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    estimates: pd.DataFrame | None = None
    model: Any = None

    @property
    def trusted(self) -> bool:
        """True when the model was fitted and passed every check."""
        return self.status == "fitted"

    def skip(self, reason: str, fix: str) -> ModelStatus:
        """Mark the model skipped with one reason and its fix."""
        self.status = "skipped"
        self.reasons = [reason]
        self.fixes = [fix]
        return self

    def record(self, check: str, passed: bool, detail: str, fix: str = "") -> None:
        """Record one check; a failed check makes the model not trusted."""
        self.checks.append({"check": check, "passed": bool(passed), "detail": detail})
        if not passed:
            self.status = "not trusted"
            self.reasons.append(detail)
            if fix and fix not in self.fixes:
                self.fixes.append(fix)

    def as_dict(self) -> dict[str, Any]:
        """The status for report.json."""
        out: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.status == "skipped":
            out["reason"] = self.reasons[0] if self.reasons else ""
        else:
            out["reasons"] = list(self.reasons)
        out["fixes"] = list(self.fixes)
        out["checks"] = list(self.checks)
        if self.estimates is not None:
            out["parameters"] = {
                str(name): {k: _plain(row[k]) for k in ("estimate", "std_error", "lower_95", "upper_95")}
                for name, row in self.estimates.iterrows()
            }
        return out


def _plain(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _g(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4):
        return f"{value:.2g}"
    return f"{value:,.3g}"


def estimates_table(model) -> pd.DataFrame:
    """The parameter rows of ``model.summary()`` (estimate, std_error, lower_95, upper_95)."""
    table = model.summary()
    names = list(model.params_)
    return table.loc[names, ["estimate", "std_error", "lower_95", "upper_95"]].astype(float)


def check_shapes(status: ModelStatus, estimates: pd.DataFrame, shapes: tuple[str, ...], fix: str) -> None:
    """Check 1: every shape parameter inside :data:`SHAPE_BOUNDS`."""
    low, high = SHAPE_BOUNDS
    bad = [
        (name, float(estimates.loc[name, "estimate"]))
        for name in shapes
        if not low <= float(estimates.loc[name, "estimate"]) <= high
    ]
    if bad:
        listed = ", ".join(f"{name} = {_g(value)}" for name, value in bad)
        status.record(
            "parameters inside bounds",
            False,
            f"the estimates ran to the edge of what the data can say ({listed}; the kit trusts shape parameters "
            f"between {low:g} and {high:g}), so the model's forecasts are artefacts of the data's shortness",
            fix,
        )
    else:
        status.record(
            "parameters inside bounds",
            True,
            f"every shape parameter ({', '.join(shapes)}) is between {low:g} and {high:g}",
        )


def check_intervals(status: ModelStatus, estimates: pd.DataFrame, fix: str) -> None:
    """Check 2: every standard error computed, every 95% interval at most :data:`MAX_INTERVAL_WIDTH` estimates wide.

    The width is ``upper_95 - lower_95`` against ``estimate`` (an interval that reaches zero or below counts as
    too wide as well); the check's ``detail`` in report.json names each parameter with its interval and width.

    Examples
    --------
    >>> table = pd.DataFrame({"estimate": [0.8, 4.0], "std_error": [0.9, 0.5], "lower_95": [0.09, 3.1],
    ...                       "upper_95": [7.2, 5.1]}, index=["a", "b"])
    >>> status = ModelStatus("bg_nbd", "BG/NBD", status="fitted")
    >>> check_intervals(status, table, "a longer log")
    >>> status.status, status.reasons[0][:70]
    ('not trusted', 'the 95% interval of a from 0.09 to 7.2 is 8.9 times as wide as the est')
    """
    missing = [str(n) for n, row in estimates.iterrows() if not np.isfinite(row["std_error"])]
    wide = [
        (str(n), row, _relative_width(row))
        for n, row in estimates.iterrows()
        if np.isfinite(row["std_error"]) and not _relative_width(row) <= MAX_INTERVAL_WIDTH
    ]
    if missing:
        status.record(
            "parameters determined by the data",
            False,
            f"the standard errors of {', '.join(missing)} cannot be computed (the likelihood is flat there): the "
            "data do not determine the model",
            fix,
        )
    elif wide:
        listed = "; ".join(
            f"{name} from {_g(row['lower_95'])} to {_g(row['upper_95'])} "
            + (
                f"is {width:.2g} times as wide as the estimate {_g(row['estimate'])}"
                if math.isfinite(width)
                else "reaches zero"
            )
            for name, row, width in wide
        )
        status.record(
            "parameters determined by the data",
            False,
            f"the 95% interval of {listed} (the kit trusts intervals at most {MAX_INTERVAL_WIDTH:.3g} times as wide "
            f"as their estimate): the data hardly "
            f"determine {'this parameter' if len(wide) == 1 else 'these parameters'}",
            fix,
        )
    else:
        status.record(
            "parameters determined by the data",
            True,
            f"every 95% interval lies above zero and is at most {MAX_INTERVAL_WIDTH:.3g} times as wide as its estimate "
            f"(the widest: {_widest(estimates)})",
        )


def _relative_width(row: pd.Series) -> float:
    """The interval's width as a multiple of the estimate; infinite when the interval reaches zero or below."""
    estimate, lower, upper = float(row["estimate"]), float(row["lower_95"]), float(row["upper_95"])
    if not (estimate > 0 and lower > 0 and math.isfinite(upper)):
        return math.inf
    return (upper - lower) / estimate


def _widest(estimates: pd.DataFrame) -> str:
    """The parameter with the widest interval relative to its estimate, and that width."""
    widths = {str(n): _relative_width(row) for n, row in estimates.iterrows()}
    name = max(widths, key=lambda k: widths[k])
    return f"{name}, {widths[name]:.2g} times its estimate"


def check_calibration(
    status: ModelStatus, calibration_days: int, holdout_days: int, median_gap: float | None, fix: str
) -> bool:
    """Check 3: the calibration and holdout periods are long enough. Returns whether they are."""
    problems = []
    if calibration_days < MIN_CALIBRATION_DAYS:
        problems.append(
            f"the calibration period covers {calibration_days} days, fewer than the "
            f"{MIN_CALIBRATION_DAYS} the kit needs"
        )
    elif median_gap is not None and np.isfinite(median_gap) and calibration_days < MIN_CYCLES * median_gap:
        problems.append(
            f"the calibration period ({calibration_days} days) spans fewer than {MIN_CYCLES:g} typical "
            f"gaps between purchases ({median_gap:.0f} days)"
        )
    if holdout_days < MIN_HOLDOUT_DAYS:
        problems.append(f"the holdout period covers {holdout_days} days, fewer than {MIN_HOLDOUT_DAYS}")
    if problems:
        status.record(
            "long enough calibration period",
            False,
            " and ".join(problems) + ", so the model cannot be checked on purchases it has not seen",
            fix,
        )
        return False
    status.record(
        "long enough calibration period",
        True,
        f"calibration {calibration_days} days, holdout {holdout_days} days"
        + (
            f", typical gap between purchases {median_gap:.0f} days"
            if median_gap is not None and np.isfinite(median_gap)
            else ""
        ),
    )
    return True


def check_holdout(status: ModelStatus, predicted: float, actual: float, tolerance: float, fix: str) -> None:
    """Check 4: the holdout forecast of the repeat purchases within ``tolerance``."""
    if actual < MIN_HOLDOUT_PURCHASES:
        status.record(
            "holdout forecast within bound",
            False,
            f"the holdout period holds only {actual:,.0f} repeat purchases, too few (under {MIN_HOLDOUT_PURCHASES}) "
            "to check the forecast",
            fix,
        )
        return
    error = predicted / actual - 1
    detail = (
        f"fitted on the calibration period, the model forecast {predicted:,.0f} repeat purchases in the holdout "
        f"period against {actual:,.0f} that happened ({error:+.1%}; the bound is {tolerance:.0%})"
    )
    status.record("holdout forecast within bound", abs(error) <= tolerance, detail, fix)
