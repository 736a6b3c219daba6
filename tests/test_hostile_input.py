"""Hostile and unlucky input through both readers: one actionable sentence, the input untouched, bounded memory.

Every case is read by ``read_transactions`` and by ``summarize_file``; each asserts the message, that the
input is unchanged, and for the size bombs the peak memory of a fresh process (a stated bound).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crmlib.data import DataError, DataWarning, read_transactions
from crmlib.params import ParameterError
from crmlib.scale import summarize_file

#: Peak resident memory allowed to a process reading a size bomb (Python, pandas, pyarrow and DuckDB
#: loaded take about 250 MB of it).
BOMB_PEAK_MB = 800


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def refused_by_both(path: Path, match: str, **kw) -> str:
    """Both readers refuse ``path`` with the message ``match`` (one sentence block); the file is untouched."""
    before = digest(path) if not path.is_fifo() else None
    with pytest.raises(DataError, match=match) as memory:
        read_transactions(path, warn=False, **kw)
    with pytest.raises(DataError, match=match) as disk:
        summarize_file(path, **kw)
    listed = re.compile(r"listed in \S+\.csv")  # each error lists its rows in a new file
    assert listed.sub("", str(disk.value).split(": ", 1)[1]) == listed.sub("", str(memory.value).split(": ", 1)[1])
    assert "\n" not in str(memory.value) and "Traceback" not in str(memory.value)
    if before is not None:
        assert digest(path) == before
    return str(memory.value)


def peak_mb(code: str, timeout: int = 300) -> tuple[float, dict]:
    """Run ``code`` (which prints one JSON line) in a fresh Python; its peak resident memory in MB and its output."""
    wrapper = (
        code
        + "\nimport resource"
        + "\nprint(json.dumps({'peak': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **out}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + wrapper], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result.pop("peak"), result


# ----------------------------------------------------------------------------------------------
# files that are not files


def test_a_fifo_is_refused_and_never_read(tmp_path):
    fifo = tmp_path / "orders.csv"
    os.mkfifo(fifo)
    code = (
        f"from crmlib.data import read_transactions, DataError\nfrom crmlib.scale import summarize_file\nout = {{}}\n"
        f"for f in (read_transactions, summarize_file):\n"
        f"    try: f({str(fifo)!r})\n    except DataError as e: out[f.__name__] = str(e)\n"
    )
    _, out = peak_mb(code, timeout=120)  # a reader that opened the pipe would wait here for ever (timeout)
    for name, message in out.items():
        assert "is a named pipe (FIFO), not a file; it is not read" in message, name


def test_a_device_behind_a_link_is_refused(tmp_path):
    link = tmp_path / "zeros.csv"
    link.symlink_to("/dev/zero")
    refused_by_both(link, r"'.*zeros.csv' is a character device, not a file; it is not read")


def test_a_link_to_a_system_file_never_shows_its_content(tmp_path):
    link = tmp_path / "users.csv"
    link.symlink_to("/etc/passwd")
    content = Path("/etc/passwd").read_text()
    message = refused_by_both(link, r"(is not in 'users.csv'|is not a text table|fields of the header)")
    for line in content.splitlines()[:5]:
        for piece in line.split(":"):
            if len(piece) > 3:
                assert piece not in message, piece
    assert "root" not in message


# ----------------------------------------------------------------------------------------------
# columns, encodings, formats


def test_parquet_with_list_and_struct_columns_names_the_column(tmp_path):
    path = tmp_path / "nested.parquet"
    table = pa.table(
        {
            "customer_id": pa.array([{"id": 1}, {"id": 2}]),
            "date": pa.array(["2024-01-01", "2024-01-02"]),
            "amount": pa.array([[1.0], [2.0]]),
        }
    )
    pq.write_table(table, path)
    refused_by_both(
        path,
        r"the customer-id column 'customer_id' of 'nested.parquet' holds nested values \(struct<id: int64>\), "
        r"not one value per row\. Name a column of plain values with customer='<column name>'",
    )


def test_ten_thousand_columns_the_named_ones_are_found(tmp_path):
    names = [f"attribute_{k:05d}" for k in range(10_000)]
    header = ",".join(names[:5000] + ["customer_id", "date", "amount"] + names[5000:])
    row = ",".join(["x"] * 5000 + ["{id}", "2024-01-0{d}", "{a}"] + ["y"] * 5000)
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + "\n".join(row.format(id=i % 3, d=i + 1, a=i + 1) for i in range(6)) + "\n")
    tx = read_transactions(path, warn=False)
    assert len(tx) == 6 and sorted(tx["customer_id"].unique()) == ["0", "1", "2"]
    assert summarize_file(path)["frequency"].sum() == 3
    # past the limit of columns considered: refused, and the message says how to raise it
    with pytest.raises(
        DataError,
        match=r"has 10,003 columns, more than the 1,000 considered\. If that is right, pass max_columns=10003",
    ) as info:
        read_transactions(path, max_columns=1000)
    assert "--max-columns 10003" in info.value.render("cli")


def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "excel-unicode.csv"
    path.write_bytes("customer_id\tdate\tamount\nMüller\t2024-01-02\t5\nZoë\t2024-01-03\t7.5\n".encode("utf-16"))
    tx = read_transactions(path, warn=False)
    assert list(tx["customer_id"]) == ["Müller", "Zoë"] and tx["amount"].tolist() == [5.0, 7.5]
    assert tx.attrs["crmlib_read_report"]["encoding"] == "utf-16"
    assert list(summarize_file(path).index) == ["Müller", "Zoë"]


def test_a_file_that_switches_from_utf8_to_cp1252_is_read_line_by_line_and_reported(tmp_path):
    utf8 = "".join(f"c{i:05d},2024-01-01,1.00\n" for i in range(4000)) + "Müller,2024-01-02,2.00\n"
    cp1252 = "Müller,2024-01-09,3.00\n"  # the same customer, written by another program after 64 KB
    path = tmp_path / "pasted.csv"
    path.write_bytes(("customer_id,date,amount\n" + utf8).encode("utf-8") + cp1252.encode("cp1252"))
    before = digest(path)
    with pytest.warns(
        DataWarning,
        match=r"the file mixes two text encodings: 1 line with accents in UTF-8 \(the first at "
        r"line 4002\) and 1 line in cp1252 \(the first at line 4003\)",
    ):
        tx = read_transactions(path)
    assert (tx["customer_id"] == "Müller").sum() == 2  # one customer, not two
    with pytest.warns(DataWarning, match="mixes two text encodings"):
        summary = summarize_file(path)
    assert summary.loc["Müller", "frequency"] == 1
    assert digest(path) == before


def test_a_bad_date_format_is_one_sentence_in_both_entry_points(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer_id,date,amount\na,2024-01-01,1\n")
    for reader in (read_transactions, summarize_file):
        with pytest.raises(
            ParameterError,
            match=r"The 'date_format' parameter of \w+ must be a date format in Python's "
            r"strftime codes .*'%Q' is not one of them\. Got '%Q' instead\.",
        ) as info:
            reader(path, date_format="%Q")
        assert info.value.render("cli").startswith("The --date-format option must be a date format")


def test_an_encrypted_workbook_is_named_password_protected(tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml", reason="msoffcrypto-tool writes the encrypted workbook")
    plain = tmp_path / "plain.xlsx"
    pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1]}).to_excel(plain, index=False)
    path = tmp_path / "secret.xlsx"
    with open(plain, "rb") as fh, open(path, "wb") as out:
        office = ooxml.OOXMLFile(fh)
        office.encrypt("s3cret", out)
    refused_by_both(
        path,
        r"'secret.xlsx' is password-protected \(encrypted\), so it cannot be read\. Open it in Excel, "
        r"remove the password",
    )


def test_implausible_amounts_are_refused_with_the_fix(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("customer_id,date,amount\n" + "".join(f"c{i},2024-01-0{i + 1},1e308\n" for i in range(4)))
    message = refused_by_both(
        path,
        r"the amount column 'amount' holds 4 amounts larger than 1e\+12 in absolute value: "
        r"line 2: '1e\+308'.*such amounts cannot be added up, so they must be corrected",
    )
    assert "max_amount" not in message.split("or such")[-1]
    path.write_text("customer_id,date,amount\na,2024-01-01,5e12\nb,2024-01-02,3\n")
    with pytest.raises(DataError, match=r"or if they are real, pass max_amount=5000000000000\.0") as info:
        read_transactions(path)
    assert "--max-amount 5000000000000.0" in info.value.render("cli")
    assert len(read_transactions(path, max_amount=1e13, warn=False)) == 2


def test_every_offending_date_is_listed_in_a_file(tmp_path):
    good = "".join(f"c{i},2024-01-{i % 28 + 1:02d},1\n" for i in range(20))
    bad = "".join(f"d{i},sometime {i},1\n" for i in range(40))
    path = tmp_path / "dates.csv"
    path.write_text("customer_id,date,amount\n" + good + bad)
    message = refused_by_both(
        path,
        r"mixes formats: .* 40 rows do not fit any format I know: line 22: 'sometime 0'.* and 35 "
        r"more \(all 40 listed in (\S+\.csv)\)",
    )
    listing = Path(message.split("listed in ")[1].split(")")[0])
    assert listing.parent == Path(os.environ.get("TMPDIR", "/tmp")) or listing.is_relative_to(Path("/tmp"))
    rows = pd.read_csv(listing)
    assert len(rows) == 40 and rows["row"].iloc[-1] == "line 61" and rows["dates"].iloc[-1] == "sometime 39"
    assert sorted(os.listdir(tmp_path)) == ["dates.csv"]  # nothing written next to the user's file


def test_a_date_refusal_reads_the_same_whatever_the_order_of_the_texts():
    # The reader and summarize_file give the date rule the column's distinct texts in different orders (DuckDB's
    # in whatever order its threads finish); the message's example ("such as ...") must not depend on it, or the
    # two refusals of one file differ (seen: '2024-01-01' from one, '2024-01-02' from the other).
    from crmlib.data.dates import parse_texts

    rng = np.random.default_rng(0)
    unfit = [f"2024-01-{d:02d}" for d in range(1, 21)] + [f"sometime {i}" for i in range(5)]
    day_month = [f"{d:02d}/{m:02d}/2024" for d in range(1, 13) for m in range(1, 13)]
    for texts, kind in ((unfit, "unfit"), (day_month, "day-month")):
        examples = set()
        for _ in range(8):
            error = parse_texts(pa.array(list(rng.permutation(texts)))).error
            assert error.kind == kind
            examples.add(error.example)
        assert examples == {min(texts)}


# ----------------------------------------------------------------------------------------------
# size bombs: refused, within a stated memory bound


def _gzip_bomb(path: Path, expanded: int) -> None:
    line = b"a,2024-01-01,1\n"
    block = line * (1 << 16)
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"customer_id,date,amount\n")
        for _ in range(expanded // len(block)):
            fh.write(block)


def test_a_compression_bomb_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    _gzip_bomb(path, 1 << 30)  # 1 GiB of text in about 2 MB
    assert path.stat().st_size < 5_000_000
    before = digest(path)
    code = (
        f"from crmlib.data import read_transactions, DataError\nfrom crmlib.scale import summarize_file\nout = {{}}\n"
        f"for f in (read_transactions, summarize_file):\n"
        f"    try: f({str(path)!r})\n    except DataError as e: out[f.__name__] = str(e)\n"
    )
    peak, out = peak_mb(code)
    for name in ("read_transactions", "summarize_file"):
        assert "expands to more than 100 times its size" in out[name] and "pass max_expansion=1000" in out[name], out
    assert peak < BOMB_PEAK_MB, f"peak {peak:.0f} MB"
    assert digest(path) == before


def test_huge_ids_are_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "ids.csv"
    with open(path, "w") as fh:
        fh.write("customer_id,date,amount\n")
        for k in range(40):
            fh.write(chr(65 + k % 26) * (1 << 20) + f",2024-01-{k % 28 + 1:02d},1\n")  # 40 ids of 1 MiB each
    code = (
        f"from crmlib.data import read_transactions, DataError\nfrom crmlib.scale import summarize_file\nout = {{}}\n"
        f"for f in (read_transactions, summarize_file):\n"
        f"    try: f({str(path)!r})\n    except DataError as e: out[f.__name__] = str(e)\n"
    )
    peak, out = peak_mb(code)
    for message in out.values():
        assert "holds 40 ids longer than 200 characters: line 2, line 3, line 4" in message
        assert "pass max_id_length=1048576" in message and "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in message
    assert peak < BOMB_PEAK_MB, f"peak {peak:.0f} MB"


def _workbook_with_long_text(path: Path, text_size: int) -> None:
    """A minimal .xlsx whose first customer id is a text of ``text_size`` characters."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["customer_id", "date", "amount"])
    book.active.append(["a", "2024-01-01", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, _, tail = data.partition(b"<t>a</t>")
                with out.open(item.filename, "w", force_zip64=True) as fh:
                    fh.write(head + b"<t>")
                    chunk = b"x" * (1 << 20)
                    for _ in range(text_size // len(chunk)):
                        fh.write(chunk)
                    fh.write(b"</t>" + tail)
            else:
                out.writestr(item, data)


def test_a_workbook_bomb_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.xlsx"
    _workbook_with_long_text(path, 256 << 20)  # a 256 MiB text in a file of a few hundred KB
    code = (
        f"from crmlib.data import read_transactions, DataError\nout = {{}}\n"
        f"try: read_transactions({str(path)!r})\nexcept DataError as e: out['message'] = str(e)\n"
    )
    peak, out = peak_mb(code)
    assert "expands to 268 MB, more than 100 times its size" in out["message"]
    assert "pass max_expansion=" in out["message"]
    assert peak < BOMB_PEAK_MB, f"peak {peak:.0f} MB"


def test_a_workbook_cell_past_excels_own_limit_is_refused(tmp_path):
    path = tmp_path / "long.xlsx"
    _workbook_with_long_text(path, 1 << 20)  # 1 MiB in one cell: within the expansion limit
    refused_by_both(
        path,
        r"a cell of 'long.xlsx' holds a text longer than 32,767 characters \(Excel's own limit is 32,767\)"
        r".*pass max_cell_chars=3276700",
    )
    assert np.isfinite(1.0)
