"""read_transactions on unusual-but-valid input: every expected value is written out by hand below."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlib.data import DataError, DataWarning, check_canonical, read_report, read_transactions


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_quiet(source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return read_transactions(source, **kw)


def rows(frame) -> list[tuple]:
    return [(c, str(d.date()), a) for c, d, a in frame.itertuples(index=False)]


def check_shape(frame) -> None:
    assert list(frame.columns) == ["customer_id", "date", "amount"]
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["amount"].dtype == np.float64
    assert pd.api.types.is_string_dtype(frame["customer_id"])
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    assert (frame["date"] == frame["date"].dt.normalize()).all()
    check_canonical(frame, "test")


# ---------------------------------------------------------------------------------------------
# delimiters, encodings, decimal commas
# ---------------------------------------------------------------------------------------------


def test_semicolon_file_with_decimal_commas_and_day_first_dates(tmp_path):
    path = write(
        tmp_path / "export.csv",
        "Kunde;Datum;Umsatz;Filiale\n"
        "00042;31.01.2024;12,50;Nord\n"
        "00042;13.02.2024;1.234,50;Nord\n"
        "7;01.02.2024;3;Süd\n",
    )
    before = digest(path)
    with pytest.warns(DataWarning, match="2 amount values written with decimal commas"):
        tx = read_transactions(path, customer="Kunde", date="Datum", amount="Umsatz")
    check_shape(tx)
    # 12,50 -> 12.5; 1.234,50 -> 1234.5 (dot = thousands); ids keep their leading zeros; sorted by id then date
    assert rows(tx) == [("00042", "2024-01-31", 12.5), ("00042", "2024-02-13", 1234.5), ("7", "2024-02-01", 3.0)]
    report = tx.attrs["crmlib_read_report"]
    assert report["delimiter"] == ";" and report["repaired_amounts"] == 2 and report["rows_read"] == 3
    assert digest(path) == before


def test_tab_separated_latin1_file_with_accented_ids(tmp_path):
    path = write(
        tmp_path / "clients.tsv",
        "client\tjour\tmontant\nJosé\t2024-03-01\t10.00\nMüller\t2024-03-02\t5.25\nÆrø\t2024-03-02\t1.75\n",
        encoding="latin-1",
    )
    tx = read_quiet(path, customer="client", date="jour", amount="montant")
    check_shape(tx)
    assert rows(tx) == [("José", "2024-03-01", 10.0), ("Müller", "2024-03-02", 5.25), ("Ærø", "2024-03-02", 1.75)]
    assert tx.attrs["crmlib_read_report"]["encoding"] in ("cp1252", "latin-1")
    assert tx.attrs["crmlib_read_report"]["delimiter"] == "\t"


def test_cp1252_euro_signs_and_pipe_delimiter(tmp_path):
    path = write(tmp_path / "a.txt", "id|when|paid\nA|2024-01-05|€ 12,00\nB|2024-01-06|€3,5\n", encoding="cp1252")
    tx = read_quiet(path, customer="id", date="when", amount="paid")
    assert rows(tx) == [("A", "2024-01-05", 12.0), ("B", "2024-01-06", 3.5)]
    assert tx.attrs["crmlib_read_report"]["encoding"] == "cp1252"


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffcustomer_id,date,amount\nx,2024-01-01,1\n".encode("utf-8"))
    tx = read_quiet(path)
    assert rows(tx) == [("x", "2024-01-01", 1.0)]


def test_extra_columns_are_ignored_and_ids_stay_text(tmp_path):
    path = write(
        tmp_path / "t.csv",
        "note,amount,customer_id,date,store\n"
        "a,1.5,00042,2024-05-01,1\n"
        "b,2,0042,2024-05-01,2\n"
        "c,3,42,2024-05-02,3\n",
    )
    tx = read_quiet(path)
    # three different customers: "00042", "0042" and "42" are different ids (text sort order)
    assert rows(tx) == [("00042", "2024-05-01", 1.5), ("0042", "2024-05-01", 2.0), ("42", "2024-05-02", 3.0)]


def test_currency_signs_codes_and_thousands_separators_are_repaired(tmp_path):
    path = tmp_path / "money.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "date", "amount"])
        w.writerows(
            [
                ["a", "2024-01-01", "$1,234.50"],
                ["b", "2024-01-01", "12.50 EUR"],
                ["c", "2024-01-01", "(3.00)"],
                ["d", "2024-01-01", "1,000,000"],
                ["e", "2024-01-01", "7"],
            ]
        )
    with pytest.warns(DataWarning, match=r"4 amount values .*'\$1,234.50' -> 1234.5"):
        tx = read_transactions(path, returns="keep")
    assert dict(zip(tx["customer_id"], tx["amount"])) == {"a": 1234.5, "b": 12.5, "c": -3.0, "d": 1_000_000.0, "e": 7.0}
    report = tx.attrs["crmlib_read_report"]
    assert report["repaired_amounts"] == 4  # "7" needed no repair


def test_decimal_comma_with_space_thousands(tmp_path):
    path = write(tmp_path / "fr.csv", "client;date;montant\nA;15/01/2024;1 234,50\nB;16/01/2024;0,99\n")
    tx = read_quiet(path, customer="client", amount="montant")
    assert rows(tx) == [("A", "2024-01-15", 1234.5), ("B", "2024-01-16", 0.99)]


def test_gzip_parquet_excel_and_dataframe_give_the_same_frame(tmp_path):
    raw = pd.DataFrame(
        {
            "Customer": ["00042", "b", "00042"],
            "Day": pd.to_datetime(["2024-02-03 14:05", "2024-02-01 00:00", "2024-01-31 09:00"]),
            "Total": [5.0, 7.25, 2.5],
        }
    )
    expected = [("00042", "2024-01-31", 2.5), ("00042", "2024-02-03", 5.0), ("b", "2024-02-01", 7.25)]
    text = "Customer,Day,Total\n00042,2024-02-03 14:05:00,5\nb,2024-02-01,7.25\n00042,2024-01-31 09:00:00,2.5\n"
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    raw.astype({"Customer": str}).to_parquet(tmp_path / "t.parquet")
    raw.to_excel(tmp_path / "t.xlsx", index=False)
    kw = dict(customer="Customer", date="Day", amount="Total")
    for source in (gz, tmp_path / "t.parquet", tmp_path / "t.xlsx"):
        tx = read_quiet(source, **kw)
        check_shape(tx)
        assert rows(tx) == expected, source
    copy = raw.copy(deep=True)
    tx = read_quiet(raw, **kw)
    assert rows(tx) == expected
    pd.testing.assert_frame_equal(raw, copy)  # the caller's frame is untouched
    assert tx is not raw


def test_excel_with_text_ids_keeps_leading_zeros(tmp_path):
    pd.DataFrame({"customer_id": ["007", "0100"], "date": ["2024-01-02", "2024-01-03"], "amount": [1, 2]}).to_excel(
        tmp_path / "ids.xlsx", index=False
    )
    tx = read_quiet(tmp_path / "ids.xlsx")
    assert list(tx["customer_id"]) == ["007", "0100"]


# ---------------------------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, expected",
    [
        (["2024-01-31", "2024-02-01 14:05:00", "2024-02-02T23:59"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        # mixed, with and without a time: each value fits one day-first format
        (["31/01/2024", "01/02/2024", "02/02/2024 14:05"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        (["31/01/2024", "01/02/2024", "02/02/2024"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        (["31.01.2024 08:00", "01.02.2024 17:30", "02.02.2024 00:00"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        (["31-01-2024", "01-02-2024", "02-02-2024"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        (["1/31/2024 12:05 PM", "2/1/2024 1:05 AM", "2/2/2024 11:59 PM"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        (["12/1/2010 8:26", "12/13/2010 8:26", "1/2/2011 17:00"], ["2010-12-01", "2010-12-13", "2011-01-02"]),
        (["20240131", "20240201", "20240202"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        (["45322", "45323", "45324.75"], ["2024-01-31", "2024-02-01", "2024-02-02"]),  # 45292 = 2024-01-01 in Excel
        (["31-Jan-2024", "01-Feb-2024", "02-Feb-2024"], ["2024-01-31", "2024-02-01", "2024-02-02"]),
        (
            ["2024-01-31T23:30:00+01:00", "2024-02-01T00:30:00-05:00", "2024-02-02T10:00:00Z"],
            ["2024-01-31", "2024-02-01", "2024-02-02"],  # the local day written in the file
        ),
    ],
)
def test_date_forms_are_recognised_from_the_column(tmp_path, values, expected):
    path = write(
        tmp_path / "d.csv", "customer_id,date,amount\n" + "".join(f"c{i},{v},1\n" for i, v in enumerate(values))
    )
    tx = read_quiet(path)
    assert [str(d.date()) for d in tx["date"]] == expected


def test_yyyymmdd_integers_in_a_dataframe_like_cdnow():
    raw = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": [19970101, 19970318, 19970102], "amount": [29.33, 29.73, 63.34]}
    )
    tx = read_quiet(raw)
    assert rows(tx) == [("1", "1997-01-01", 29.33), ("1", "1997-03-18", 29.73), ("2", "1997-01-02", 63.34)]
    assert "YYYYMMDD" in tx.attrs["crmlib_read_report"]["dates"]


def test_explicit_date_format_settles_day_and_month(tmp_path):
    path = write(tmp_path / "d.csv", "customer_id,date,amount\na,01/02/2024,1\nb,03/04/2024,2\n")
    tx = read_quiet(path, date_format="%d/%m/%Y")
    assert [str(d.date()) for d in tx["date"]] == ["2024-02-01", "2024-04-03"]
    tx = read_quiet(path, date_format="%m/%d/%Y")
    assert [str(d.date()) for d in tx["date"]] == ["2024-01-02", "2024-03-04"]


def test_timezone_aware_dataframe_keeps_the_local_day():
    stamps = pd.to_datetime(["2024-01-31 23:30", "2024-02-01 00:15"]).tz_localize("Europe/Paris")
    tx = read_quiet(pd.DataFrame({"customer_id": ["a", "b"], "date": stamps, "amount": [1.0, 2.0]}))
    assert [str(d.date()) for d in tx["date"]] == ["2024-01-31", "2024-02-01"]


def test_future_dates_are_kept_and_reported(tmp_path):
    future = (pd.Timestamp.now() + pd.Timedelta(days=400)).strftime("%Y-%m-%d")
    path = write(tmp_path / "f.csv", f"customer_id,date,amount\na,2024-01-01,1\nb,{future},2\n")
    with pytest.warns(DataWarning, match="1 row dated after today"):
        tx = read_transactions(path)
    assert len(tx) == 2 and tx.attrs["crmlib_read_report"]["future_dates"] == 1


# ---------------------------------------------------------------------------------------------
# repeated headers, blanks, zero amounts, same-day rows
# ---------------------------------------------------------------------------------------------


def test_repeated_header_lines_of_concatenated_exports_are_dropped(tmp_path):
    path = write(
        tmp_path / "cat.csv",
        "customer_id,date,amount\na,2024-01-01,1\nb,2024-01-02,2\ncustomer_id,date,amount\nc,2024-01-03,3\n"
        "customer_id , date,amount\nd,2024-01-04,4\n",
    )
    with pytest.warns(DataWarning, match=r"2 repeated header rows inside the data dropped \(line 4, line 6\)"):
        tx = read_transactions(path)
    assert list(tx["customer_id"]) == ["a", "b", "c", "d"]
    assert tx.attrs["crmlib_read_report"]["duplicated_headers"] == 2


def test_blank_customers_dropped_on_request_with_count_and_revenue_share(tmp_path):
    path = write(tmp_path / "b.csv", "customer_id,date,amount\na,2024-01-01,30\n,2024-01-02,10\n NaN ,2024-01-03,60\n")
    with pytest.warns(
        DataWarning, match=r"2 rows without a customer id left out \(70.0% of revenue; first line 3, line 4\)"
    ):
        tx = read_transactions(path, blank_customers="drop")
    assert rows(tx) == [("a", "2024-01-01", 30.0)]
    assert tx.attrs["crmlib_read_report"]["blank_customers_dropped"] == 2
    assert tx.attrs["crmlib_read_report"]["blank_customers_revenue_share"] == pytest.approx(0.7)  # 70 / (30+10+60)


def test_same_day_rows_stay_separate_and_zero_amounts_are_kept(tmp_path):
    path = write(
        tmp_path / "s.csv", "customer_id,date,amount\na,2024-01-01 09:00,5\na,2024-01-01 17:00,0\na,2024-01-01,2\n"
    )
    tx = read_quiet(path)
    assert rows(tx) == [("a", "2024-01-01", 5.0), ("a", "2024-01-01", 0.0), ("a", "2024-01-01", 2.0)]
    assert tx.attrs["crmlib_read_report"]["zero_amounts"] == 1


def test_ids_written_as_decimal_numbers_become_whole_numbers(tmp_path):
    path = write(
        tmp_path / "f.csv", "customer_id,date,amount\n13085.0,2024-01-01,1\n12.0,2024-01-02,1\n7,2024-01-03,1\n"
    )
    tx = read_quiet(path)
    assert list(tx["customer_id"]) == ["12", "13085", "7"]
    # a column of genuinely decimal-looking codes is left alone
    path = write(tmp_path / "g.csv", "customer_id,date,amount\n1.5,2024-01-01,1\n2.0,2024-01-02,1\n")
    assert list(read_quiet(path)["customer_id"]) == ["1.5", "2.0"]


# ---------------------------------------------------------------------------------------------
# returns
# ---------------------------------------------------------------------------------------------

RETURNS_CSV = (
    "customer_id,date,amount\n"
    "a,2024-01-01,100\n"  # purchase
    "a,2024-01-01,-10\n"  # same-day return: nets in summarize
    "a,2024-01-05,-20\n"  # return on a day without purchase: belongs to the 1 Jan purchase
    "a,2024-01-09,50\n"
    "b,2024-01-03,-5\n"  # b never bought in the data: nothing to net against
    "b,2024-01-04,8\n"
)


@pytest.mark.parametrize(
    "policy, expected, moved, dropped",
    [
        (
            "net",
            [("a", "2024-01-01", 100.0), ("a", "2024-01-01", -10.0), ("a", "2024-01-01", -20.0),
             ("a", "2024-01-09", 50.0), ("b", "2024-01-04", 8.0)],
            1,
            1,
        ),
        ("drop", [("a", "2024-01-01", 100.0), ("a", "2024-01-09", 50.0), ("b", "2024-01-04", 8.0)], 0, 3),
        (
            "keep",
            [("a", "2024-01-01", 100.0), ("a", "2024-01-01", -10.0), ("a", "2024-01-05", -20.0),
             ("a", "2024-01-09", 50.0), ("b", "2024-01-03", -5.0), ("b", "2024-01-04", 8.0)],
            0,
            0,
        ),
    ],
)
def test_returns_policies(tmp_path, policy, expected, moved, dropped):
    path = write(tmp_path / "r.csv", RETURNS_CSV)
    with pytest.warns(DataWarning, match=r"3 return rows \(negative amounts, total -35.00\)"):
        tx = read_transactions(path, returns=policy)
    assert rows(tx) == expected
    report = tx.attrs["crmlib_read_report"]
    assert (report["returns"], report["returns_moved"], report["returns_dropped"]) == (3, moved, dropped)


def test_net_returns_give_summarize_the_net_purchase_days(tmp_path):
    from crmlib.rfm import summarize

    tx = read_quiet(write(tmp_path / "r.csv", RETURNS_CSV), returns="net")
    summary = summarize(tx, observation_end="2024-01-10")
    # a: purchase days 1 Jan (100 - 10 - 20 = 70) and 9 Jan (50): one repeat day worth 50
    assert summary.loc["a", "frequency"] == 1 and summary.loc["a", "monetary_value"] == 50.0
    # b: one purchase day (4 Jan); the earlier return does not make a purchase occasion
    assert summary.loc["b", "frequency"] == 0 and summary.loc["b", "T"] == 6.0


# ---------------------------------------------------------------------------------------------
# line items in the Online Retail II shape
# ---------------------------------------------------------------------------------------------


def make_online_retail(seed: int = 3):
    """Synthetic Online Retail II export with its truth: one total per (customer, invoice)."""
    rng = np.random.default_rng(seed)
    lines, truth = [], []
    start = pd.Timestamp("2009-12-01")
    number = 489434
    for customer in [13085.0, 13078.0, 12346.0, np.nan]:
        for k in range(4):
            number += 1
            cancel = customer == customer and k == 3
            invoice = f"C{number}" if cancel else str(number)
            when = start + pd.Timedelta(days=int(rng.integers(0, 60)), minutes=int(rng.integers(7 * 60, 20 * 60)))
            total = 0.0
            for _ in range(int(rng.integers(1, 5))):
                qty = int(rng.integers(1, 13)) * (-1 if cancel else 1)
                price = float(rng.choice([0.85, 1.25, 2.95, 6.75]))
                total += qty * price
                lines.append((invoice, "85123A", "WHITE HANGING HEART", qty, when, price, customer, "United Kingdom"))
            truth.append((customer, invoice, when.normalize(), total))
    columns = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    order = rng.permutation(len(lines))
    frame = pd.DataFrame([lines[i] for i in order], columns=columns)
    truth = pd.DataFrame(truth, columns=["customer", "invoice", "day", "total"])
    return frame, truth


RETAIL_KW = dict(customer="Customer ID", date="InvoiceDate", quantity="Quantity", price="Price", invoice="Invoice")


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_online_retail_invoices_are_grouped_and_cancellations_recognised(tmp_path, kind):
    raw, truth = make_online_retail()
    if kind == "xlsx":
        path = tmp_path / "online_retail_II.xlsx"
        raw.to_excel(path, index=False, sheet_name="Year 2009-2010")
    else:  # the CSV copy circulating online: floats for ids, "12/1/2010 8:26"-style dates
        path = tmp_path / "online_retail_II.csv"
        out = raw.copy()
        out["InvoiceDate"] = [f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}" for d in out["InvoiceDate"]]
        out.to_csv(path, index=False)
    before = digest(path)
    with pytest.warns(DataWarning, match="rows without a customer id left out"):
        tx = read_transactions(path, returns="keep", **RETAIL_KW)
    check_shape(tx)
    known = truth[truth["customer"].notna()]
    expected = sorted((str(int(c)), str(d.date()), round(t, 6)) for c, _, d, t in known.itertuples(index=False))
    assert sorted((c, d, round(a, 6)) for c, d, a in rows(tx)) == expected
    report = tx.attrs["crmlib_read_report"]
    assert report["invoices"] == 12 and report["cancellation_invoices"] == 3 and report["returns"] == 3
    guest = raw["Customer ID"].isna()
    revenue = (raw["Quantity"] * raw["Price"]).clip(lower=0)
    assert report["blank_customers_dropped"] == int(guest.sum())
    assert report["blank_customers_revenue_share"] == pytest.approx(revenue[guest].sum() / revenue.sum())
    assert digest(path) == before

    dropped = read_quiet(path, returns="drop", **RETAIL_KW)
    assert len(dropped) == 9 and (dropped["amount"] > 0).all()


def test_line_items_without_invoice_give_one_row_per_line():
    raw = pd.DataFrame(
        {"cust": ["x", "x", "y"], "ts": ["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-02 11:00"],
         "qty": [2, 3, -1], "unit": [1.5, 2.0, 4.0]}
    )
    tx = read_quiet(raw, customer="cust", date="ts", quantity="qty", price="unit", returns="keep")
    assert rows(tx) == [("x", "2024-01-01", 3.0), ("x", "2024-01-01", 6.0), ("y", "2024-01-02", -4.0)]


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------


def test_read_report_formats_the_attached_report(tmp_path):
    path = write(tmp_path / "r.csv", RETURNS_CSV)
    tx = read_transactions(path, returns="drop", warn=False)
    text = read_report(tx)
    assert (
        text.splitlines()[0]
        == "Read 6 rows from " + repr(str(path)) + "; kept 3 rows of 2 customers, 2024-01-01 to 2024-01-09."
    )
    assert "- 3 return rows (negative amounts, total -35.00) dropped (returns='drop')." in text
    assert read_report(tx.attrs["crmlib_read_report"]) == text
    with pytest.raises(DataError, match="carries the read report"):
        read_report(pd.DataFrame({"customer_id": ["a"]}))


def test_no_warning_when_nothing_to_report(tmp_path):
    path = write(tmp_path / "ok.csv", "customer_id,date,amount\na,2024-01-01,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tx = read_transactions(path)
    assert tx.attrs["crmlib_read_report"]["notes"] == []


# ---------------------------------------------------------------------------------------------
# property: random valid frames written to CSV read back the same
# ---------------------------------------------------------------------------------------------

ID_TEXT = st.text(alphabet="abcXYZé0123456789-_", min_size=1, max_size=8).filter(
    lambda s: s.lower() not in {"na", "nan"}
)


@st.composite
def valid_logs(draw):
    n = draw(st.integers(1, 30))
    ids = draw(st.lists(ID_TEXT, min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 12_000), min_size=n, max_size=n))  # 1990 to 2022
    cents = draw(st.lists(st.integers(-10**7, 10**7), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 23), min_size=n, max_size=n))
    return ids, days, cents, hours


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    log=valid_logs(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    date_form=st.sampled_from(["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y%m%d"]),
    decimal_comma=st.booleans(),
)
def test_csv_round_trip(tmp_path, log, delimiter, encoding, date_form, decimal_comma):
    ids, days, cents, hours = log
    base = pd.Timestamp("1990-01-01")
    stamps = [base + pd.Timedelta(days=d, hours=h) for d, h in zip(days, hours)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["Kunde", "Tag", "Betrag"])
    for i, s, c in zip(ids, stamps, cents):
        amount = f"{c / 100:.2f}"
        writer.writerow([i, s.strftime(date_form), amount.replace(".", ",") if decimal_comma else amount])
    path = tmp_path / "roundtrip.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    tx = read_quiet(path, customer="Kunde", date="Tag", amount="Betrag", returns="keep")
    expected = sorted(
        ((i, str(s.date()), c) for i, s, c in zip(ids, stamps, cents)),
        key=lambda r: (r[0], r[1]),
    )
    got = [(c, str(d.date()), round(a * 100)) for c, d, a in tx.itertuples(index=False)]
    assert sorted(got, key=lambda r: (r[0], r[1])) == expected
    assert got == sorted(got, key=lambda r: (r[0], r[1]))  # sorted by id then day


def test_workbook_with_one_sheet_per_year_is_read_whole_without_repeated_invoices(tmp_path):
    raw, truth = make_online_retail()
    raw = raw.sort_values("InvoiceDate", kind="stable").reset_index(drop=True)
    cut = pd.Timestamp("2010-01-01")
    first, second = raw[raw["InvoiceDate"] < cut + pd.Timedelta(days=5)], raw[raw["InvoiceDate"] >= cut]
    overlap = int(((raw["InvoiceDate"] >= cut) & (raw["InvoiceDate"] < cut + pd.Timedelta(days=5))).sum())
    assert overlap > 0  # the generator spreads 16 invoices over 60 days from 2009-12-01
    path = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"About": ["notes, not data"]}).to_excel(book, sheet_name="Read me", index=False)
        first.to_excel(book, sheet_name="Year 2009", index=False)
        second.to_excel(book, sheet_name="Year 2010", index=False)
    with pytest.warns(DataWarning, match=rf"sheets 'Year 2009', 'Year 2010' read one after the other; {overlap} line"):
        tx = read_transactions(path, returns="keep", **RETAIL_KW)
    known = truth[truth["customer"].notna()]
    expected = sorted((str(int(c)), str(d.date()), round(t, 6)) for c, _, d, t in known.itertuples(index=False))
    assert sorted((c, d, round(a, 6)) for c, d, a in rows(tx)) == expected
    assert tx.attrs["crmlib_read_report"]["sheet_overlap_rows"] == overlap
    one = read_quiet(path, sheet="Year 2010", returns="keep", **RETAIL_KW)
    assert len(one) < len(tx)


def test_categorical_columns_of_a_dataframe():
    raw = pd.DataFrame({"customer_id": pd.Categorical(["b", "a"]), "date": pd.Categorical(["2024-01-02", "2024-01-01"]),
                        "amount": [1.0, 2.0]})
    assert rows(read_quiet(raw)) == [("a", "2024-01-01", 2.0), ("b", "2024-01-02", 1.0)]


def test_latin1_bytes_after_a_long_ascii_start_are_still_read(tmp_path):
    # the first 64 KiB look like UTF-8; the reader must switch to cp1252 when it meets "é" further down
    body = "".join(f"c{i:05d},2024-01-01,1.00\n" for i in range(4000))
    path = write(tmp_path / "late.csv", "customer_id,date,amount\n" + body + "Zoé,2024-01-02,2.50\n", encoding="cp1252")
    tx = read_quiet(path)
    assert len(tx) == 4001
    assert rows(tx[tx["customer_id"] == "Zoé"]) == [("Zoé", "2024-01-02", 2.5)]
    assert tx.attrs["crmlib_read_report"]["encoding"] == "cp1252"


def test_title_lines_above_the_header_are_skipped_and_reported(tmp_path):
    path = write(
        tmp_path / "report.csv", "Sales report;;\nGenerated 2024-02-01\n\ncustomer_id;date;amount\na;2024-01-01;1,5\n"
    )
    with pytest.warns(DataWarning, match=r"3 lines above the header \(a title or notes\) skipped"):
        tx = read_transactions(path)
    assert rows(tx) == [("a", "2024-01-01", 1.5)]


def test_date_objects_of_parquet_and_workbooks_are_used_as_dates(tmp_path):
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "customer_id": pa.array([7, 8]),
            "date": pa.array([datetime.date(2024, 1, 2), datetime.date(2024, 1, 3)]),
            "amount": pa.array([12.5, 1.25]),
        }
    )
    pq.write_table(table, tmp_path / "d.parquet")
    tx = read_quiet(tmp_path / "d.parquet")
    assert rows(tx) == [("7", "2024-01-02", 12.5), ("8", "2024-01-03", 1.25)]
    assert tx.attrs["crmlib_read_report"]["dates"] == "dates stored as date cells"


def test_workbook_title_rows_are_skipped_and_text_ids_kept(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Customer list", None, None])
    sheet.append(["Kunde", "Datum", "Betrag"])
    sheet.append(["007", pd.Timestamp("2024-01-02 10:30").to_pydatetime(), 5])
    sheet.append([42, pd.Timestamp("2024-01-03").to_pydatetime(), 2.5])
    path = tmp_path / "t.xlsx"
    book.save(path)
    with pytest.warns(DataWarning, match=r"1 row above the header \(a title or notes\) skipped"):
        tx = read_transactions(path, customer="Kunde", date="Datum", amount="Betrag")
    assert rows(tx) == [("007", "2024-01-02", 5.0), ("42", "2024-01-03", 2.5)]
    assert tx.attrs["crmlib_read_report"]["dates"] == "dates stored as date cells"
