"""``report.html``: the manager's page, rendered from the :class:`~crmlib.report.Report` with a Jinja2 template.

Every value reaches the page through the template's autoescaping, after :func:`crmlib.outputs.display_text` (so
direction controls in a customer id show as ``[U+202E]``); the only markup not escaped is the kit's own (figures
as PNG data URIs, the MathML of the CLV formula in the template). The page fetches nothing: no script, no font,
no stylesheet from elsewhere; figures are embedded; the formula is MathML, which the browser draws itself.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmlib.outputs import display_text

if TYPE_CHECKING:  # pragma: no cover
    from crmlib.report._pipeline import Report
    from crmlib.report._trust import ModelStatus

__all__ = ["render_html"]


# ----------------------------------------------------------------------------------------------
# formatting
# ----------------------------------------------------------------------------------------------


def _ok(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def money(value: Any) -> str:
    """Money without decimals, thousands separated; a dash for a missing value."""
    return f"{float(value):,.0f}" if _ok(value) else "–"


def money2(value: Any) -> str:
    """Money with two decimals."""
    return f"{float(value):,.2f}" if _ok(value) else "–"


def share(value: Any) -> str:
    """A share as a percentage."""
    return f"{float(value):.1%}" if _ok(value) else "–"


def count(value: Any) -> str:
    """A whole number, thousands separated."""
    return f"{int(value):,}" if _ok(value) else "–"


def number(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits."""
    if not _ok(value):
        return "–"
    v = float(value)
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
        return f"{v:.{digits}g}"
    return f"{v:,.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}g}"


def _table(
    frame: pd.DataFrame,
    formats: Mapping[Any, Callable[[Any], str]],
    *,
    index: str | None = None,
    limit: int | None = None,
    index_format: Callable[[Any], str] = str,
) -> dict[str, Any]:
    """A table for the template: headers, rows of text, which columns are numbers."""
    shown = frame if limit is None else frame.head(limit)
    headers = ([index] if index is not None else []) + [str(c).replace("_", " ") for c in shown.columns]
    numeric = ([False] if index is not None else []) + [
        c in formats and formats[c] not in (str,) for c in shown.columns
    ]
    rows = []
    for key, row in zip(shown.index, shown.itertuples(index=False)):
        cells = [index_format(key)] if index is not None else []
        for column, value in zip(shown.columns, row):
            fmt = formats.get(column)
            if fmt is not None:
                cells.append(fmt(value))
            elif value is None or (isinstance(value, float) and not math.isfinite(value)):
                cells.append("–")
            else:
                cells.append(str(value))
        rows.append(cells)
    return {"headers": headers, "rows": rows, "numeric": numeric, "more": len(frame) - len(shown)}


# ----------------------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------------------


def _png(draw: Callable[[Any], Any], figsize=(7.5, 3.6)) -> str:
    """Draw on an off-screen figure (no pyplot state) and return a PNG data URI."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    ax = fig.add_subplot()
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(report: Report) -> dict[str, str]:
    from crmlib import plot

    figures: dict[str, str] = {}
    tx = report.transactions
    try:
        figures["months"] = _png(lambda ax: plot.transactions_per_month(tx, ax=ax))
    except (ValueError, TypeError):
        pass
    if "tiers" in report.tables:
        tiers = report.tables["tiers"].rename(columns={"revenue": "value", "share_of_revenue": "share_of_value"})
        try:
            figures["pyramid"] = _png(lambda ax: plot.pyramid_chart(tiers, value_label="revenue", ax=ax), (7.5, 3.8))
        except (ValueError, TypeError, KeyError):
            pass
    if "cohorts" in report.tables:
        cohorts = report.tables["cohorts"].drop(columns="customers", errors="ignore")
        if cohorts.shape[0] > 24:
            cohorts = cohorts.iloc[-24:]
        cohorts = cohorts.iloc[:, :13]
        cohorts.attrs.update(metric="retention")
        height = 1.6 + 0.28 * cohorts.shape[0]
        try:
            figures["cohorts"] = _png(lambda ax: plot.cohort_heatmap(cohorts, ax=ax), (8.5, min(height, 9)))
        except (ValueError, TypeError, KeyError):
            pass
    table = report.holdout.get("table")
    if table is not None:
        days = report.holdout.get("holdout_days", 0)
        figures["holdout"] = _png(lambda ax: plot.holdout_purchases(table, ax=ax, unit_name=f"holdout ({days} days)"))
    return figures


# ----------------------------------------------------------------------------------------------
# the page
# ----------------------------------------------------------------------------------------------

CUSTOMER_FORMATS: dict[str, Callable[[Any], str]] = {
    "revenue": money2,
    "purchases": count,
    "p_alive": lambda v: number(v, 2),
    "clv": money2,
    "clv_lower_95": money2,
    "clv_upper_95": money2,
    "days_since_last_purchase": count,
}


def _customer_rows(frame: pd.DataFrame, columns: Sequence[str], limit: int) -> dict[str, Any]:
    present = [c for c in columns if c in frame.columns and not (frame[c].isna().all() and c in ("p_alive", "clv"))]
    return _table(frame[present], CUSTOMER_FORMATS, index="customer", limit=limit)


def _view(report: Report, files: Sequence[str]) -> dict[str, Any]:
    """Everything the page's template shows, as text ready to print."""
    view = _header(report, files)
    view["cards"] = _cards(report)
    view.update(_customer_lists(report))
    t = report.tables
    if "quadrants" in t:
        view.update(_matrix(t["quadrants"]))
    if "segments" in t:
        view["segments"] = _segments(t["segments"])
    if "cohorts" in t:
        view.update(_cohorts(t["cohorts"]))
    view["models"] = [_model(status) for status in report.models.values()]
    if report.holdout.get("table") is not None:
        view["holdout"] = _holdout(report.holdout)
    if report.by is not None and f"by_{report.by}" in t:
        view["by"] = _split(report.by, t[f"by_{report.by}"])
    if report.comparison is not None:
        view["comparison"] = report.comparison.view(money=money, count=count, table=_table, share=share)
    view["figures"] = _figures(report)
    return view


def _header(report: Report, files: Sequence[str]) -> dict[str, Any]:
    """The page's title, period, settings, notes, links to the files, decisions and skipped sections."""
    s, kf = report.settings, report.key_figures
    return {
        "title": report.title,
        "source": report.source,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "period": f"{report.first_day:%d %b %Y} to {report.last_day:%d %b %Y} ({kf['days']:,} days)",
        "kf": kf,
        "settings": s,
        "unit_name": {"D": "days", "W": "weeks", "M": "months", "Y": "years"}[s.unit],
        "trusted": report.trusted,
        "notes": report.notes,
        "read_notes": report.read_report.get("notes", []),
        "files": [f for f in files if f.startswith("tables/") and f.endswith(".csv")],
        "has_xlsx": "report.xlsx" in files,
        "has_json": "report.json" in files,
        "decisions": [
            {
                "title": d.title,
                "evidence": d.evidence,
                "action": d.action,
                "money": money(d.money) if d.money is not None else None,
                "money_label": d.money_label,
                "illustrative": d.illustrative,
            }
            for d in report.decisions
        ],
        "skipped": [(v.title, v.reason) for v in report.sections.values() if not v.done],
    }


def _cards(report: Report) -> list[dict[str, str]]:
    """The headline cards: customers, revenue, customer equity (or why it is missing), customers at risk."""
    s, kf = report.settings, report.key_figures
    cards = [
        {
            "label": "Customers",
            "value": count(kf["customers"]),
            "detail": f"{share(kf['repeat_share'])} bought on more than one day; "
            f"{count(kf['active_last_365_days'])} bought in the last 365 days",
        },
        {
            "label": "Revenue",
            "value": money(kf.get("revenue")),
            "detail": f"{count(kf['purchase_days'])} purchase days; margin at {s.margin_rate:.0%}: "
            f"{money(kf.get('margin'))}",
        },
    ]
    label = f"Customer equity, next {s.horizon_months:g} months"
    if kf.get("customer_equity") is not None:
        interval = ""
        if kf.get("customer_equity_lower_95") is not None:
            interval = (
                f"95% interval {money(kf['customer_equity_lower_95'])} to "
                f"{money(kf['customer_equity_upper_95'])} (from {kf['interval_draws']} refits); "
            )
        cards.append(
            {
                "label": label,
                "value": money(kf["customer_equity"]),
                "detail": f"{interval}expected margin of today's customers, discounted at {s.discount_rate:.0%} "
                "per year",
            }
        )
    else:
        cards.append(
            {"label": label, "value": "not computed", "detail": kf.get("customer_equity_missing_because", "")}
        )
    cards.append(
        {
            "label": "Valuable customers at risk",
            "value": count(kf["at_risk_customers"]),
            "detail": f"they brought {money(kf.get('at_risk_revenue'))} of revenue",
        }
    )
    return cards


def _customer_lists(report: Report) -> dict[str, Any]:
    """The best customers, the tiers and the 80/20 table, the customers at risk and the actions."""
    s, c, t = report.settings, report.customers, report.tables
    view: dict[str, Any] = {}
    best = c.sort_values("revenue", ascending=False) if c["revenue"].notna().any() else c
    view["best"] = _customer_rows(
        best, ["revenue", "purchases", "last_purchase", "tier", "p_alive", "clv", "action"], s.top
    )
    if "tiers" in t:
        view["tiers"] = _table(
            t["tiers"],
            {
                "customers": count,
                "share_of_customers": share,
                "revenue": money,
                "share_of_revenue": share,
                "revenue_per_customer": money2,
                "min_revenue": money2,
                "margin": money,
            },
            index="tier",
        )
    if "pareto" in t:
        view["pareto"] = _table(
            t["pareto"],
            {"customers": count, "revenue": money, "share_of_revenue": share, "revenue_per_customer": money2},
            index="customers",
        )
    risk = c[c["at_risk"]].sort_values("revenue", ascending=False)
    view["at_risk"] = _customer_rows(
        risk,
        ["revenue", "purchases", "last_purchase", "days_since_last_purchase", "tier", "p_alive", "clv", "action"],
        s.top,
    )
    view["at_risk_rule"] = report.key_figures.get("at_risk_rule") or _default_rule(report)
    view["one_time_buyers"] = int((c["frequency"] == 0).sum())
    view["p_alive_shown"] = bool(c["p_alive"].notna().any())
    actions = c["action"].value_counts()
    view["actions"] = [(a, count(n), money(c.loc[c["action"] == a, "revenue"].sum())) for a, n in actions.items()]
    return view


def _matrix(q: pd.DataFrame) -> dict[str, Any]:
    """The value x potential matrix: one cell per quadrant, and the two thresholds."""
    cells = {}
    for name in ("platinum", "gold", "iron", "lead"):
        row = q.loc[name] if name in q.index else None
        cells[name] = {
            "customers": count(row["customers"]) if row is not None else "0",
            "share": share(row["share_of_customers"]) if row is not None else "–",
            "current": money(row["current_value"]) if row is not None else "–",
            "potential": money(row["potential_value"]) if row is not None else "–",
            "strategy": row["strategy"] if row is not None else "",
        }
    return {
        "matrix": cells,
        "thresholds": (money2(q.attrs.get("current_threshold")), money2(q.attrs.get("potential_threshold"))),
    }


def _segments(seg: pd.DataFrame) -> dict[str, Any]:
    """The RFM segments' table."""
    fm: dict[Any, Callable[[Any], str]] = {
        col: (share if "share" in col else money if col in ("revenue", "monetary") else (lambda v: number(v, 3)))
        for col in seg.columns
    }
    fm["customers"] = count
    return _table(seg, fm, index="segment")


def _cohorts(co: pd.DataFrame) -> dict[str, Any]:
    """The cohort table: the last 24 cohorts, the first 13 periods."""
    periods = [col for col in co.columns if col != "customers"][:13]
    shown = co[["customers", *periods]].iloc[-24:] if "customers" in co.columns else co[periods].iloc[-24:]
    fmts: dict[Any, Callable[[Any], str]] = {p: share for p in periods}
    fmts["customers"] = count
    return {
        "cohorts": _table(shown, fmts, index="cohort"),
        "cohort_label": co.columns.name or "periods since the first purchase",
    }


def _model(status: ModelStatus) -> dict[str, Any]:
    """One model's status, reasons, fixes, checks and estimates."""
    entry: dict[str, Any] = {
        "name": status.name,
        "status": status.status,
        "reasons": status.reasons,
        "fixes": status.fixes,
        "checks": status.checks,
    }
    if status.estimates is not None:
        entry["estimates"] = _table(status.estimates, {k: number for k in status.estimates.columns}, index="parameter")
    return entry


def _holdout(h: Mapping[str, Any]) -> dict[str, Any]:
    """The holdout check of the purchase model: periods, actual and predicted purchases, the error, the table."""
    return {
        "calibration_end": f"{h['calibration_end']:%d %b %Y}",
        "rule": h["rule"],
        "calibration_days": h["calibration_days"],
        "holdout_days": h["holdout_days"],
        "actual": count(h["actual"]),
        "predicted": count(h["predicted"]),
        "error": f"{h['error']:+.1%}" if _ok(h.get("error")) else "–",
        "table": _table(
            h["table"],
            {"customers": count, "actual": lambda v: number(v, 3), "predicted": lambda v: number(v, 3)},
            index="repeat purchases",
        ),
    }


def _split_format(col: str) -> Callable[[Any], str]:
    """How a column of the ``--by`` table is shown."""
    if "share" in col:
        return share
    if col in ("revenue", "customer_equity"):
        return money
    return money2 if col == "clv_mean" else count


def _split(column: str, bt: pd.DataFrame) -> dict[str, Any]:
    """The headline figures per value of the ``--by`` column (at most 50 rows)."""
    formats = {col: _split_format(col) for col in bt.columns}
    return {"column": column, "table": _table(bt, formats, index=column, limit=50)}


def _default_rule(report: Report) -> str:
    s = report.settings
    if report.models["bg_nbd"].trusted:
        return f"P(alive) below {s.p_alive_risk:g}, a repeat buyer of the VIP, major or common tier"
    return (
        "no purchase for more than twice the customer's usual time between purchases (and 30 days), a repeat "
        "buyer of the VIP, major or common tier"
    )


def _environment():
    import jinja2
    from markupsafe import Markup

    from crmlib.resources import kit_folder

    def finalize(value: Any) -> Any:
        if isinstance(value, Markup):
            return value
        if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
            return "–"
        return display_text(value)

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(kit_folder("templates") / "report")),
        autoescape=True,
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report, files: Sequence[str] = ()) -> str:
    """The page as text. ``files`` lists the other files written beside it (linked from the page)."""
    template = _environment().get_template("report.html.j2")
    return template.render(**_view(report, files))
