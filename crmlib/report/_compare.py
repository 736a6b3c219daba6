"""Month over month: what changed since a previous report (``--compare PREVIOUS_DIR``).

The previous report is read from its own files (``report.json`` and ``tables/customers.csv``; cells neutralised by
the kit are restored first). New customers are in this report and not in the previous one; lost customers are in
the previous one and no longer in the data; tier and quadrant moves are migration tables
(:func:`crmlib.tiers.migration_matrix`); newly at risk are at risk now and were not then.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmlib.outputs import neutralise_frame

if TYPE_CHECKING:  # pragma: no cover
    from crmlib.report._pipeline import Report

__all__ = ["Comparison", "PreviousReportError", "compare_reports", "read_previous"]


class PreviousReportError(ValueError):
    """The folder given as the previous report holds no report the kit can read."""


@dataclass
class Comparison:
    """What changed between a previous report and this one.

    Built by :func:`compare_reports`; ``as_dict`` gives the figures of report.json, ``view`` the page's cards and
    tables (with the page's formatting functions).

    Examples
    --------
    >>> import pandas as pd
    >>> comparison = Comparison(
    ...     "march.csv", "2024-01-01 to 2024-03-31", new_customers=["c9"], lost_customers=[], newly_at_risk=[],
    ...     equity_change=120.0, equity_before=1000.0, equity_after=1120.0, revenue_before=None, revenue_after=None,
    ...     tier_migration=None, quadrant_migration=None, changes=pd.DataFrame({"change": ["new"]}, index=["c9"]),
    ... )
    >>> comparison.as_dict()["new_customers"], comparison.as_dict()["customer_equity_change"]
    (1, 120.0)
    >>> view = comparison.view(money="{:,.0f}".format, count=str, table=None, share="{:.0%}".format)
    >>> [(card["label"], card["value"]) for card in view["cards"]]  # doctest: +NORMALIZE_WHITESPACE
    [('New customers', '1'), ('Lost customers', '0'), ('Newly at risk', '0'),
     ('Change in customer equity', '+120')]
    """

    previous_source: str
    previous_period: str
    new_customers: list[str]
    lost_customers: list[str]
    newly_at_risk: list[str]
    equity_change: float | None
    equity_before: float | None
    equity_after: float | None
    revenue_before: float | None
    revenue_after: float | None
    tier_migration: pd.DataFrame | None
    quadrant_migration: pd.DataFrame | None
    changes: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The comparison's figures for report.json."""
        return {
            "previous_source": self.previous_source,
            "previous_period": self.previous_period,
            "new_customers": len(self.new_customers),
            "lost_customers": len(self.lost_customers),
            "newly_at_risk": len(self.newly_at_risk),
            "customer_equity_before": self.equity_before,
            "customer_equity_after": self.equity_after,
            "customer_equity_change": self.equity_change,
            "revenue_before": self.revenue_before,
            "revenue_after": self.revenue_after,
            "tier_moves": _moves(self.tier_migration),
            "quadrant_moves": _moves(self.quadrant_migration),
            "notes": self.notes,
        }

    def view(
        self,
        *,
        money: Callable[[Any], str],
        count: Callable[[Any], str],
        table: Callable[..., dict[str, Any]],
        share: Callable[[Any], str],
    ) -> dict[str, Any]:
        """The comparison for the page: its cards, notes and tables, formatted with the given functions."""
        cards = [
            {
                "label": "New customers",
                "value": count(len(self.new_customers)),
                "detail": "in this report, not in the previous one",
            },
            {
                "label": "Lost customers",
                "value": count(len(self.lost_customers)),
                "detail": "in the previous report, no longer in the data",
            },
            {
                "label": "Newly at risk",
                "value": count(len(self.newly_at_risk)),
                "detail": "at risk now, not at risk before",
            },
        ]
        if self.equity_change is not None:
            cards.append(
                {
                    "label": "Change in customer equity",
                    "value": f"{self.equity_change:+,.0f}",
                    "detail": f"from {money(self.equity_before)} to {money(self.equity_after)}",
                }
            )
        else:
            cards.append(
                {
                    "label": "Change in customer equity",
                    "value": "not computed",
                    "detail": "the customer equity is missing from one of the two reports",
                }
            )
        out: dict[str, Any] = {
            "previous_source": self.previous_source,
            "previous_period": self.previous_period,
            "cards": cards,
            "notes": self.notes,
        }
        fmt = {c: count for c in (self.tier_migration.columns if self.tier_migration is not None else [])}
        if self.tier_migration is not None:
            out["tier_migration"] = table(self.tier_migration, fmt, index="before \\ after")
        if self.quadrant_migration is not None:
            out["quadrant_migration"] = table(
                self.quadrant_migration, {c: count for c in self.quadrant_migration.columns}, index="before \\ after"
            )
        if self.newly_at_risk:
            rows = self.changes.loc[self.changes["change"].str.contains("newly at risk")].head(20)
            out["newly_at_risk"] = table(rows[["tier_after", "quadrant_after"]], {}, index="customer")
        return out


def _moves(matrix: pd.DataFrame | None) -> int | None:
    if matrix is None:
        return None
    values = matrix.to_numpy()
    same = sum(int(matrix.loc[r, r]) for r in matrix.index if r in matrix.columns)
    return int(values.sum()) - same


def read_previous(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The previous report's report.json and its customers table (raw ids restored)."""
    folder = Path(folder).expanduser()
    page, table = folder / "report.json", folder / "tables" / "customers.csv"
    if not folder.is_dir():
        raise PreviousReportError(
            f"The previous report {str(folder)!r} is not a folder; give the folder of an earlier crmlib report."
        )
    if not page.is_file() or not table.is_file():
        raise PreviousReportError(
            f"{str(folder)!r} holds no crmlib report (report.json and tables/customers.csv are missing); give the "
            "folder of an earlier crmlib report."
        )
    try:
        meta = json.loads(page.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PreviousReportError(f"The previous report's report.json cannot be read ({exc}).") from None
    if not isinstance(meta, dict) or meta.get("format") != "crmlib customer report":
        raise PreviousReportError(
            f"{str(page)!r} was not written by crmlib report; give the folder of an earlier crmlib report."
        )
    customers = pd.read_csv(table, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    if meta.get("cells", "neutralised") == "neutralised":
        customers = neutralise_frame(customers, restore=True)
    if "customer_id" not in customers.columns:
        raise PreviousReportError(f"{str(table)!r} has no customer_id column; it was not written by crmlib report.")
    return meta, customers.set_index("customer_id")


def compare_reports(report: Report, folder: Path) -> Comparison:
    """Compare ``report`` with the previous report in ``folder``."""
    from crmlib.tiers import PYRAMID_LABELS

    meta, before = read_previous(folder)
    after = report.customers
    ids_before, ids_after = set(before.index), set(after.index)
    new = sorted(ids_after - ids_before)
    lost = sorted(ids_before - ids_after)
    newly = _newly_at_risk(before, after)
    kf_before = meta.get("key_figures") or {}
    e_before = kf_before.get("customer_equity")
    e_after = report.key_figures.get("customer_equity")
    change = float(e_after) - float(e_before) if e_before is not None and e_after is not None else None
    notes = [_missing_equity(e_before, e_after)] if change is None else []
    period = meta.get("period") or {}
    return Comparison(
        previous_source=str(meta.get("source", "")),
        previous_period=f"{period.get('first_day', '?')} to {period.get('last_day', '?')}",
        new_customers=new,
        lost_customers=lost,
        newly_at_risk=newly,
        equity_change=change,
        equity_before=e_before,
        equity_after=e_after,
        revenue_before=kf_before.get("revenue"),
        revenue_after=report.key_figures.get("revenue"),
        tier_migration=_migration(before, after, "tier", list(PYRAMID_LABELS)),
        quadrant_migration=_migration(before, after, "quadrant", ["platinum", "gold", "iron", "lead"]),
        changes=_changes(before, after, new, lost, set(newly)),
        notes=notes,
    )


def _migration(before: pd.DataFrame, after: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame | None:
    """Moves between the categories of ``column`` (:func:`crmlib.tiers.migration_matrix`), None without them."""
    from crmlib.tiers import migration_matrix

    if column not in before.columns or not after[column].notna().any():
        return None
    b = before[column].dropna()
    a = after[column].dropna().astype(str)
    return migration_matrix(
        pd.Series(pd.Categorical(b, categories=order, ordered=True), index=b.index),
        pd.Series(pd.Categorical(a, categories=order, ordered=True), index=a.index),
    )


def _newly_at_risk(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Customers at risk now who were not at risk in the previous report (or were not in it)."""
    was_risk = before["at_risk"].map(lambda v: str(v).strip().lower() == "true") if "at_risk" in before else None
    now_risk = after["at_risk"].astype(bool)
    return sorted(
        i for i in now_risk.index[now_risk.to_numpy()] if was_risk is None or not bool(was_risk.get(i, False))
    )


def _missing_equity(e_before: float | None, e_after: float | None) -> str:
    """The note saying which report lacks the customer equity."""
    if e_before is None and e_after is None:
        which = "both reports"
    else:
        which = "the previous report" if e_before is None else "this report"
    return f"The customer equity is missing from {which} (a model not trusted), so its change is not computed."


def _changes(
    before: pd.DataFrame, after: pd.DataFrame, new: list[str], lost: list[str], newly: set[str]
) -> pd.DataFrame:
    """One row per customer who is new, lost, changed tier or quadrant, or is newly at risk."""
    rows = []
    tier_b = before["tier"] if "tier" in before else pd.Series(dtype=object)
    quad_b = before["quadrant"] if "quadrant" in before else pd.Series(dtype=object)
    for cid in new:
        rows.append((cid, "new", None, after.at[cid, "tier"], None, after.at[cid, "quadrant"]))
    for cid in lost:
        rows.append((cid, "lost", tier_b.get(cid), None, quad_b.get(cid), None))
    for cid in sorted(set(after.index) & set(before.index)):
        tb, ta = tier_b.get(cid), after.at[cid, "tier"]
        qb, qa = quad_b.get(cid), after.at[cid, "quadrant"]
        moves = (("tier", _moved(tb, ta)), ("quadrant", _moved(qb, qa)), ("newly at risk", cid in newly))
        what = [label for label, moved in moves if moved]
        if what:
            rows.append((cid, ", ".join(what), tb, ta, qb, qa))
    return pd.DataFrame(
        rows, columns=["customer_id", "change", "tier_before", "tier_after", "quadrant_before", "quadrant_after"]
    ).set_index("customer_id")


def _moved(before: Any, after: Any) -> bool:
    """Whether a category changed (both known)."""
    return isinstance(before, str) and isinstance(after, str) and before != after
