"""Real-shaped exports for the report's tests, drawn from :func:`crmlib.datasets.make_retail` (known truth).

Each writer returns what a person would count in the file by hand (customers, revenue per customer), computed
from the generator's own frames, independently of the reader and of the report.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.datasets import make_retail


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (relative name -> sha256)."""
    return {str(p.relative_to(folder)): sha(p) for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def report_json(out: Path) -> dict:
    return json.loads((Path(out) / "report.json").read_text(encoding="utf-8"))


def customers_csv(out: Path) -> pd.DataFrame:
    from crmlib.outputs import neutralise_frame

    frame = pd.read_csv(
        Path(out) / "tables" / "customers.csv", dtype={"customer_id": str}, keep_default_na=False, na_values=[""]
    )
    return neutralise_frame(frame, restore=True).set_index("customer_id")


def retail(n: int = 1200, seed: int = 7, **settings):
    return make_retail(n, seed=seed, **settings)


def numeric_ids(data) -> dict[str, str]:
    """Online-Retail-style ids: C000001 -> '12346.0' (floats, as the public export writes them)."""
    ids = data.customers["customer_id"].tolist()
    return {cid: f"{12345 + k}.0" for k, cid in enumerate(ids, start=1)}


def line_item_export(
    path: Path,
    data,
    *,
    date_format: str = "%Y-%m-%d %H:%M:%S",
    blank_rows: int = 40,
    cancel_every: int = 25,
    sep: str = ",",
) -> pd.Series:
    """An Online-Retail-II-shaped CSV: two lines per invoice (quantity x price), C-invoices cancelling one line,
    guest lines without a customer id, and the customer's Country on every line.

    Returns the net revenue per customer id as the file writes it ('12346.0' -> '12346'), which the report's
    ``revenue`` must equal.
    """
    rng = np.random.default_rng(3)
    tx = data.transactions.reset_index(drop=True)
    region = data.customers.set_index("customer_id")["region"]
    ids = numeric_ids(data)
    rows = []
    revenue: dict[str, float] = {}
    for k, (cid, day, amount) in enumerate(tx[["customer_id", "date", "amount"]].itertuples(index=False)):
        invoice = str(500000 + k)
        cents = int(round(amount * 100))
        second = cents // 4  # two units of price second/2 ... keep exact cents
        second -= second % 2
        first = cents - second
        stamp = (day + pd.Timedelta(hours=9 + k % 8, minutes=k % 60)).strftime(date_format)
        country = region[cid]
        fid = ids[cid]
        rows.append((invoice, "85123A", 1, stamp, first / 100, fid, country))
        rows.append((invoice, "71053", 2, stamp, second / 200, fid, country))
        key = fid[:-2]
        revenue[key] = revenue.get(key, 0.0) + first / 100 + second / 100
        if k % cancel_every == 0:  # the customer cancels the second line the same day
            rows.append(("C" + invoice, "71053", -2, stamp, second / 200, fid, country))
            revenue[key] -= second / 100
    for j in range(blank_rows):  # guests: no customer id
        day = tx["date"].iloc[int(rng.integers(len(tx)))]
        rows.append((str(900000 + j), "22111", 3, day.strftime(date_format), 4.25, "", "United Kingdom"))
    frame = pd.DataFrame(
        rows, columns=["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    )
    frame.to_csv(path, index=False, sep=sep)
    return pd.Series(revenue).sort_index()


def simple_export(path: Path, data, *, date_format: str = "%Y-%m-%d", with_region: bool = True) -> pd.Series:
    """One row per purchase: Customer, Date (in ``date_format``), Total, and the customer's Region."""
    tx = data.transactions
    frame = pd.DataFrame(
        {"Customer": tx["customer_id"], "Date": tx["date"].dt.strftime(date_format), "Total": tx["amount"]}
    )
    if with_region:
        frame["Region"] = tx["customer_id"].map(data.customers.set_index("customer_id")["region"])
    frame.to_csv(path, index=False)
    return tx.groupby("customer_id")["amount"].sum()


def two_sheet_workbook(path: Path, data) -> pd.Series:
    """An Online-Retail-II-shaped workbook: the purchases of 2023 on one sheet and of later years on another."""
    tx = data.transactions
    frame = pd.DataFrame(
        {
            "Customer ID": tx["customer_id"],
            "InvoiceDate": tx["date"],
            "Total": tx["amount"],
            "Channel": tx["customer_id"].map(data.customers.set_index("customer_id")["channel"]),
        }
    )
    first = frame["InvoiceDate"] < pd.Timestamp("2024-01-01")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame[first].to_excel(writer, sheet_name="Year 2023", index=False)
        frame[~first].to_excel(writer, sheet_name="Year 2024-2025", index=False)
    return tx.groupby("customer_id")["amount"].sum()
