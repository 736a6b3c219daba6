"""What a report folder holds: the files every report writes and the columns of ``tables/customers.csv``."""

from __future__ import annotations

__all__ = ["CUSTOMER_COLUMNS", "REPORT_FILES"]

#: The columns of ``tables/customers.csv`` (after ``customer_id``), in order; the input's per-customer columns
#: (Country, channel, ...) follow them.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "frequency",
    "recency",
    "T",
    "monetary_value",  # the summary (Fader, Hardie and Lee 2005), recency and T in `unit`
    "purchases",
    "first_purchase",
    "last_purchase",
    "days_since_last_purchase",
    "revenue",  # total amount over the period (money)
    "historical_value",
    "current_value",
    "potential_value",  # crmlib.clv.value_components (margin, money)
    "tier",
    "quadrant",
    "segment",  # pyramid by revenue; value-potential quadrant; RFM segment
    "p_alive",
    "expected_purchases",  # BG/NBD, empty when the model is not trusted
    "clv",
    "clv_lower_95",
    "clv_upper_95",  # margin over horizon_months, discounted; empty when not trusted
    "at_risk",
    "at_risk_rule",
    "campaign_expected_profit",
    "campaign_target",
    "action",
)

#: The files every report writes (plus one ``tables/<name>.csv`` per table).
REPORT_FILES: tuple[str, ...] = (
    "report.html",
    "report.xlsx",
    "report.json",
    "tables/customers.csv",
    "tables/README.txt",
)
