"""read_transactions on bad input: one DataError naming the problem, the rows and the fix; the file untouched."""

from __future__ import annotations

import gzip
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlib.data import DataError, DataWarning, read_transactions
from crmlib.params import ParameterError


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, match: str, **kw) -> str:
    """Read ``path``, expect a DataError matching ``match`` and check the file is unchanged."""
    before = digest(path)
    stamp = path.stat().st_mtime_ns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(DataError, match=match) as info:
            read_transactions(path, **kw)
    assert digest(path) == before and path.stat().st_mtime_ns == stamp
    return str(info.value)


def csv_file(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# columns
# ---------------------------------------------------------------------------------------------


def test_missing_column_lists_columns_and_suggests_the_keyword(tmp_path):
    path = csv_file(tmp_path, "Customer ID,InvoiceDate,Amount\n1,2024-01-01,3\n")
    message = refused(
        path,
        r"the customer-id column 'customer_id' is not in 't.csv'\. Columns present: 'Customer ID', 'InvoiceDate', "
        r"'Amount'\. Did you mean 'Customer ID'\? Pass customer='Customer ID'\.",
    )
    assert message.count("\n") == 0  # one sentence block, no traceback-like dump


def test_missing_date_column_suggests_closest_match(tmp_path):
    path = csv_file(tmp_path, "customer_id,InvoiceDate,amount\n1,2024-01-01,3\n")
    refused(path, r"date column 'date' is not in .*Did you mean 'InvoiceDate'\? Pass date='InvoiceDate'\.")


def test_missing_amount_column_mentions_line_items(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,Quantity,Price\n1,2024-01-01,3,2\n")
    refused(path, r"amount column 'amount' is not in .*pass quantity=\.\.\. and price=\.\.\. instead")


def test_single_column_file_hints_at_the_delimiter(tmp_path):
    path = csv_file(tmp_path, "customer_id#date#amount\n1#2024-01-01#3\n")
    message = refused(path, r"single column 'customer_id#date#amount'.*pass delimiter=\.\.\. \(e\.g\. delimiter=';'\)")
    assert "--delimiter" not in message


def test_missing_column_in_a_dataframe_and_the_frame_is_untouched():
    raw = pd.DataFrame({"cust": ["a"], "date": ["2024-01-01"], "amount": [1.0]})
    copy = raw.copy()
    with pytest.raises(DataError, match=r"'customer_id' is not in the DataFrame.*Pass customer='cust'"):
        read_transactions(raw)
    pd.testing.assert_frame_equal(raw, copy)


# ---------------------------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------------------------


def test_unparseable_dates(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,soon,1\nb,later,2\n")
    refused(
        path,
        r"the date column 'date' does not hold dates in a form I know: line 2: 'soon', line 3: 'later' "
        r"\(line numbers of the file, header = line 1\)\. .*date_format=",
    )


def test_ambiguous_day_and_month_names_both_formats_and_the_option(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,01/02/2024,1\nb,03/04/2024,2\nc,12/12/2024,3\n")
    refused(path, r"cannot tell day from month.*Say which with date_format='%d/%m/%Y' or date_format='%m/%d/%Y'\.$")
    with pytest.raises(DataError) as info:
        read_transactions(path)
    # the same error, for the command line: the flag, not the argument
    assert info.value.render("cli").endswith("Say which with --date-format '%d/%m/%Y' or --date-format '%m/%d/%Y'.")


def test_mixed_date_formats_name_the_rows_that_fit_no_format(tmp_path):
    body = "".join(f"c{i},2024-01-{i + 1:02d},1\n" for i in range(8)) + "x,31.13.2024,1\ny,2024-02-01,1\nz,soon,1\n"
    path = csv_file(tmp_path, "customer_id,date,amount\n" + body)
    refused(path, r"mixes formats: most values fit '%Y-%m-%d' .* but 2 rows do not fit any format I know: line 10: "
                  r"'31\.13\.2024', line 12: 'soon'")


def test_empty_dates_are_named(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,2024-01-01,1\nb,,2\n")
    refused(path, r"the date column 'date' is empty in 1 row: line 3 ")


def test_explicit_date_format_that_does_not_fit(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,2024-01-01,1\n")
    refused(path, r"1 value of the date column 'date' does not match date_format='%d/%m/%Y': line 2: '2024-01-01'",
            date_format="%d/%m/%Y")


def test_invalid_yyyymmdd_numbers():
    raw = pd.DataFrame({"customer_id": ["a", "b"], "date": [20240131, 20241341], "amount": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"like YYYYMMDD .* 1 value is not valid dates: index label 1: 20241341"):
        read_transactions(raw)


# ---------------------------------------------------------------------------------------------
# amounts
# ---------------------------------------------------------------------------------------------


def test_non_numeric_amounts_mixed_with_numbers(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,2024-01-01,abc\nb,2024-01-02,12\nc,2024-01-03,n/a\n")
    refused(
        path,
        r"the amount column 'amount' holds 2 values that are not numbers, mixed in with numbers: "
        r"line 2: 'abc', line 4: 'n/a' \(line numbers of the file, header = line 1\)\. Correct or remove those rows\.",
    )


def test_amount_column_that_is_text_suggests_checking_the_mapping(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount,product\na,2024-01-01,1,pen\n")
    refused(
        path, r"holds 1 value that is not a number: line 2: 'pen'.*check that amount='product' names", amount="product"
    )


def test_empty_amounts(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,2024-01-01,\nb,2024-01-02,2\n")
    refused(path, r"the amount column 'amount' is empty in 1 row: line 2 ")


def test_amount_with_a_foreign_decimal_convention_in_the_column(tmp_path):
    # the column uses decimal commas (12,50): '1.5' does not fit that convention and is refused, not misread
    path = csv_file(tmp_path, "customer_id;date;amount\na;2024-01-01;12,50\nb;2024-01-02;3,75\nc;2024-01-03;1.5\n")
    refused(path, r"1 value that is not a number, mixed in with numbers: line 4: '1\.5'")


# ---------------------------------------------------------------------------------------------
# customers
# ---------------------------------------------------------------------------------------------


def test_blank_customer_ids_are_refused_by_default_with_their_rows(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,2024-01-01,1\n,2024-01-02,2\nNULL,2024-01-03,3\n")
    refused(
        path,
        r"the customer-id column 'customer_id' is blank in 2 of 3 rows: line 3, line 4 .*blank_customers='drop'",
    )


def test_only_blank_customers_left_nothing_to_read(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\n,2024-01-02,2\n")
    refused(path, r"every row of 't.csv' is without a customer id", blank_customers="drop")


# ---------------------------------------------------------------------------------------------
# files that are empty, missing, not tables
# ---------------------------------------------------------------------------------------------


def test_zero_byte_file(tmp_path):
    refused(csv_file(tmp_path, ""), r"the file 't.csv' is empty \(0 bytes\)")


def test_blank_lines_only(tmp_path):
    refused(csv_file(tmp_path, "\n\n  \n"), r"the file 't.csv' is empty \(only blank lines\)")


def test_header_only(tmp_path):
    refused(csv_file(tmp_path, "customer_id,date,amount\n"), r"'t.csv' has a header but no data rows")


def test_header_rows_only(tmp_path):
    refused(csv_file(tmp_path, "customer_id,date,amount\ncustomer_id,date,amount\n"), r"holds only header rows")


def test_binary_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(bytes(range(256)) * 4)
    refused(path, r"'t.csv' is not a text table: it looks binary \(it contains NUL bytes; .*save it as UTF-8")


def test_workbook_renamed_to_csv(tmp_path):
    pd.DataFrame({"a": [1]}).to_excel(tmp_path / "book.xlsx", index=False)
    path = tmp_path / "book.csv"
    path.write_bytes((tmp_path / "book.xlsx").read_bytes())
    refused(path, r"it looks a zip archive \(an \.xlsx workbook is one: rename it to \.xlsx\)")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(DataError, match=r"is a folder, not a file\. Give the path of the transaction file inside it"):
        read_transactions(tmp_path)


def test_missing_path_suggests_a_near_name(tmp_path):
    csv_file(tmp_path, "customer_id,date,amount\n", name="sales_2024.csv")
    with pytest.raises(DataError, match=r"there is no file .*sales_2023\.csv.*Did you mean .*sales_2024\.csv"):
        read_transactions(tmp_path / "sales_2023.csv")


def test_unsupported_extension(tmp_path):
    path = csv_file(tmp_path, '{"a": 1}', name="t.json")
    refused(path, r"the extension '\.json' is not supported\. Supported: \.csv.*rename it to \.csv")


def test_source_of_the_wrong_type():
    with pytest.raises(DataError, match=r"source must be a file path or a pandas DataFrame; got list"):
        read_transactions([1, 2, 3])


def test_rows_with_more_fields_than_the_header(tmp_path):
    path = csv_file(tmp_path, "customer_id,date,amount\na,2024-01-01,1\nb,2024-01-02,1,234.50\n")
    refused(
        path,
        r"1 row of 't.csv' does not have the 3 fields of the header \(delimiter ','\): line 3: 4 fields.*Quote values",
    )


def test_broken_gzip(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"customer_id,date,amount\na,2024-01-01,1\n" * 50)[:40])
    refused(path, r"cannot read 't.csv.gz'")


def test_broken_workbook(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    refused(path, r"'t.xlsx' cannot be read as an Excel workbook")


def test_missing_sheet(tmp_path):
    path = tmp_path / "t.xlsx"
    pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1]}).to_excel(
        path, index=False, sheet_name="Data"
    )
    refused(path, r"has no sheet 'Sales'\. Sheets: 'Data'; pass sheet='<name>'", sheet="Sales")


def test_broken_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 not really")
    refused(path, r"'t.parquet' cannot be read as a Parquet file")


def test_old_xls_without_xlrd(tmp_path):
    pytest.importorskip("openpyxl")
    try:
        import xlrd  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("xlrd is installed here")
    path = tmp_path / "t.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 old workbook")
    refused(path, r"old-style \.xls workbook, which needs the xlrd package")


# ---------------------------------------------------------------------------------------------
# parameters (ParameterError, a ValueError like DataError)
# ---------------------------------------------------------------------------------------------


def test_bad_parameters():
    raw = pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(
        ParameterError, match=r"'returns' parameter of read_transactions must be one of 'net', 'drop', 'keep'"
    ):
        read_transactions(raw, returns="subtract")
    with pytest.raises(ParameterError, match=r"'blank_customers' parameter of read_transactions must be one of"):
        read_transactions(raw, blank_customers="fill")
    with pytest.raises(ParameterError, match=r"needs both quantity= and price="):
        read_transactions(raw, quantity="q")
    with pytest.raises(ParameterError, match=r"'delimiter' parameter of read_transactions must be one character"):
        read_transactions(raw, delimiter=";;")
    with pytest.raises(ParameterError, match=r"'encoding' parameter of read_transactions must be a text encoding"):
        read_transactions(raw, encoding="klingon")


def test_blank_invoice_ids(tmp_path):
    path = csv_file(tmp_path, "Invoice,Customer ID,InvoiceDate,Quantity,Price\n1,7,2024-01-01,1,2\n,7,2024-01-01,1,2\n")
    refused(path, r"the invoice column 'Invoice' is blank in 1 row: line 3",
            customer="Customer ID", date="InvoiceDate", quantity="Quantity", price="Price", invoice="Invoice")


# ---------------------------------------------------------------------------------------------
# property: garbage in, DataError out (never a traceback from inside pandas or pyarrow)
# ---------------------------------------------------------------------------------------------


def _read_or_data_error(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            frame = read_transactions(path)
        except DataError as exc:
            assert str(exc).startswith("read_transactions")
            return
    assert list(frame.columns) == ["customer_id", "date", "amount"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), name=st.sampled_from(["g.csv", "g.csv.gz", "g.parquet", "g.xlsx", "g.txt"]))
def test_random_bytes_raise_only_data_errors(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    before = digest(path)
    _read_or_data_error(path)
    assert digest(path) == before


FIELD = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(st.lists(FIELD, min_size=1, max_size=4), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_garbage_cells_under_a_valid_header_raise_only_data_errors(tmp_path, cells, delimiter):
    lines = [delimiter.join(["customer_id", "date", "amount"])] + [delimiter.join(row) for row in cells]
    path = tmp_path / "cells.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _read_or_data_error(path)


@settings(max_examples=50, deadline=None)
@given(
    ids=st.lists(st.one_of(st.none(), st.text(max_size=5), st.integers(), st.floats()), min_size=1, max_size=6),
    dates=st.lists(
        st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(), st.datetimes()), min_size=6, max_size=6
    ),
    amounts=st.lists(
        st.one_of(st.none(), st.text(max_size=8), st.integers(-(10**12), 10**12), st.floats(), st.booleans()),
        min_size=6,
        max_size=6,
    ),
)
def test_garbage_dataframes_raise_only_data_errors(ids, dates, amounts):
    n = len(ids)
    raw = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "date": pd.Series(dates[:n], dtype=object),
                        "amount": pd.Series(amounts[:n], dtype=object)})
    copy = raw.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            frame = read_transactions(raw)
        except DataError:
            frame = None
    pd.testing.assert_frame_equal(raw, copy)
    if frame is not None:
        assert frame["date"].dtype == "datetime64[ns]" and np.isfinite(frame["amount"]).all()


@pytest.mark.parametrize("policy", ["net", "drop"])
def test_only_returns_leave_no_purchases(tmp_path, policy):
    path = csv_file(tmp_path, "customer_id,date,amount\na,2024-01-02,-5\nb,2024-01-03,-1\n")
    refused(
        path,
        rf"every row of 't.csv' is a return .* no purchases remain \(returns='{policy}'\)\. Pass returns='keep'",
        returns=policy,
    )


def test_line_numbers_count_blank_lines_and_values_spanning_lines(tmp_path):
    path = csv_file(
        tmp_path,
        'customer_id,date,amount,note\n\na,2024-01-01,1,"two\nlines"\n\nb,2024-01-02,oops,x\n',
    )
    # header = line 1, blank line 2, row a on lines 3-4, blank line 5, row b on line 6
    refused(path, r"holds 1 value that is not a number, mixed in with numbers: line 6: 'oops'")


def test_messages_name_the_sheet_of_a_row_when_several_are_read(tmp_path):
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1]}).to_excel(
            book, sheet_name="Jan", index=False
        )
        pd.DataFrame({"customer_id": ["b", "c"], "date": ["2024-02-01", "2024-02-02"], "amount": [2, "two"]}).to_excel(
            book, sheet_name="Feb", index=False
        )
    refused(path, r"holds 1 value that is not a number, mixed in with numbers: sheet 'Feb' row 3: 'two'")


def test_dates_outside_what_a_datetime_can_hold_are_refused_not_wrapped(tmp_path):
    # year 0024 would silently wrap round to 1777 in datetime64[ns]: it must be named instead
    path = csv_file(tmp_path, "customer_id,date,amount\na,0024-01-31,1\nb,2024-02-01,2\nc,2999-01-01,3\n")
    refused(path, r"holds 2 dates outside the years 1678 to 2261: line 2: '0024-01-31', line 4: '2999-01-01'")


@pytest.mark.parametrize("gap", ["", "\n"])
def test_line_numbers_after_title_lines(tmp_path, gap):
    path = csv_file(tmp_path, f"Sales report\n\ncustomer_id,date,amount\na,2024-01-01,1\n{gap}b,2024-01-02,bad\n")
    line = 5 if not gap else 6
    refused(
        path,
        rf"1 value that is not a number, mixed in with numbers: line {line}: 'bad' "
        r"\(line numbers of the file, header = line 3\)",
    )


def test_workbook_row_numbers_count_title_and_blank_rows(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sales"
    sheet.append(["Sales report 2024"])  # row 1
    sheet.append([])  # row 2
    sheet.append(["customer_id", "date", "amount"])  # row 3
    sheet.append(["007", "2024-01-02", 5])  # row 4
    sheet.append([])  # row 5
    sheet.append(["008", "2024-01-03", "five"])  # row 6
    path = tmp_path / "report.xlsx"
    book.save(path)
    refused(
        path,
        r"1 value that is not a number, mixed in with numbers: row 6: 'five' "
        r"\(spreadsheet row numbers of sheet 'Sales'\)",
    )


def test_empty_sheet(tmp_path):
    import openpyxl

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    refused(path, r"the sheet 'Sheet' of 'empty.xlsx' is empty")
