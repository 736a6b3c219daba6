"""The ``crmlib`` command: subcommands, exit codes, and one-line errors without tracebacks.

Most tests run on two tiny chapters written into a temporary folder (``CRMLIB_NOTEBOOKS``), so they
exercise the command, not the course: ``00_tiny`` doubles its parameter ``n`` (and checks the columns of
a user file), ``01_breaks`` raises on purpose. Tests that only check the command line replace
``crmlib.course.run_chapter`` by a recorder, so no kernel starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

import crmlib
import crmlib.course
import crmlib.outputs
from crmlib import cli
from crmlib.data import ReadOptions, reader_flags
from crmlib.outputs import MANIFEST_NAME, STAGING_PREFIX


def _chapter(title: str, body: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(
        'data_path = None\ncustomer_col = "customer_id"\ndate_col = "date"\namount_col = "amount"\n'
        "n = 3  # an integer in [1, 10]; 3 = the default (the second '=' trips papermill's reader)"
    )
    params.metadata["tags"] = ["parameters"]
    validate = nbformat.v4.new_code_cell(
        "from crmlib.params import check_number, check_path\n"
        "data_path = check_path(data_path)\n"
        "n = check_number(n, 'n', low=1, high=10, integer=True)"
    )
    load = nbformat.v4.new_code_cell(
        "import pandas as pd\nimport crmlib.data\n"
        "if data_path is not None:\n"
        "    tx = pd.read_csv(data_path, parse_dates=[date_col]).rename(\n"
        "        columns={customer_col: 'customer_id', date_col: 'date', amount_col: 'amount'})\n"
        "    crmlib.data.check_canonical(tx, 'this chapter')\n" + body
    )
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), params, validate, load]
    return nb


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chapters")
    nbformat.write(_chapter("00 · Tiny start", "print('twice n:', 2 * n)"), folder / "00_tiny.ipynb")
    nbformat.write(_chapter("01 · Breaks", "raise ValueError('broken on purpose')"), folder / "01_breaks.ipynb")
    (folder / "notes.ipynb").write_text("{}", encoding="utf-8")  # not a chapter name: ignored
    return folder


@pytest.fixture
def course_env(tiny_course, monkeypatch, tmp_path):
    monkeypatch.setenv("CRMLIB_NOTEBOOKS", str(tiny_course))
    monkeypatch.chdir(tmp_path)
    return tiny_course


@pytest.fixture
def recorded(course_env, monkeypatch):
    """Replace run_chapter by a recorder: the command line is tested without starting a kernel."""
    calls = []

    def fake_run_chapter(key, *, parameters=None, out="build", html=True, **kwargs):
        calls.append({"key": key, "parameters": dict(parameters or {}), "out": Path(out), "html": html})
        Path(out).mkdir(parents=True, exist_ok=True)
        chapter = crmlib.course.find_chapter(key)
        target = Path(out) / chapter.path.name
        target.write_text("{}", encoding="utf-8")
        if html:
            target.with_suffix(".html").write_text("<html></html>", encoding="utf-8")
        return target

    monkeypatch.setattr(crmlib.course, "run_chapter", fake_run_chapter)
    return calls


def _error(capsys) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


def _assert_one_error_line(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("crmlib: error: "), err
    assert sum(line.startswith("crmlib: error:") for line in lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, err)


def _user_csv(folder: Path, *, customer="Customer", date="Order Date", amount="Total") -> Path:
    path = folder / "sales.csv"
    path.write_text(
        f"{customer},{date},{amount}\nA,2024-01-02,10\nA,2024-02-03,12.5\nB,2024-01-05,7\n", encoding="utf-8"
    )
    return path


# --------------------------------------------------------------------------- command line only (no kernel)


def test_help_lists_every_subcommand(capsys):
    assert cli.main(["--help"]) == 0
    out, _ = _error(capsys)
    for name in ("list", "run", "course", "notebooks", "report", "exercises"):
        assert name in out


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert _error(capsys)[0].strip() == f"crmlib {crmlib.__version__}"


def test_no_subcommand_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    out, _ = _error(capsys)
    assert "usage: crmlib" in out


def test_list_shows_number_title_and_file(course_env, capsys):
    assert cli.main(["list"]) == 0
    out, err = _error(capsys)
    lines = out.splitlines()
    assert len(lines) == 2  # notes.ipynb is not a chapter
    assert lines[0].split() == ["00", "Tiny", "start", "00_tiny.ipynb"]
    assert lines[1].split() == ["01", "Breaks", "01_breaks.ipynb"]
    assert err == ""


def test_list_without_chapters_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CRMLIB_NOTEBOOKS", str(tmp_path))
    assert cli.main(["list"]) == 2
    _assert_one_error_line(_error(capsys)[1], "no chapters found", str(tmp_path))


def test_run_maps_data_and_column_options_to_chapter_parameters(recorded, tmp_path, capsys):
    data = _user_csv(tmp_path)
    code = cli.main(
        [
            "run",
            "tiny",
            "--data",
            "sales.csv",
            "--customer",
            "Customer",
            "--date",
            "Order Date",
            "--amount",
            "Total",
            "-p",
            "n=5",
            "--out",
            "results",
            "--no-html",
        ]
    )
    assert code == 0, _error(capsys)
    (call,) = recorded
    assert call["key"] == "00"
    assert call["html"] is False
    # The chapter runs into a staging folder inside --out; its files are moved into place when it is done.
    assert call["out"].parent == Path("results") and call["out"].name.startswith(STAGING_PREFIX)
    assert (tmp_path / "results" / "00_tiny.ipynb").is_file()
    assert not [p for p in (tmp_path / "results").iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert call["parameters"] == {
        "n": 5,
        "customer_col": "Customer",
        "date_col": "Order Date",
        "amount_col": "Total",
        "data_path": str(data.resolve()),  # relative to the user's folder, not the notebooks folder
    }
    out, _ = _error(capsys)
    assert "results/00_tiny.ipynb" in out


def test_run_resolves_a_relative_data_path_parameter_against_the_current_folder(recorded, tmp_path):
    data = _user_csv(tmp_path, customer="customer_id", date="date", amount="amount")
    assert cli.main(["run", "0", "-p", "data_path=sales.csv", "--no-html"]) == 0
    assert recorded[0]["parameters"]["data_path"] == str(data.resolve())


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["run", "7"], ["There is no chapter '7'", "00_tiny, 01_breaks"]),
        (["run", "0", "--data", "missing.csv"], ["--data 'missing.csv'", "does not exist"]),
        (["run", "0", "-p", "n"], ["-p 'n'", "name=value"]),
        (["run", "0", "-p", "=4"], ["-p '=4'", "name=value"]),
        (
            ["run", "0", "-p", "discount=0.1"],
            ["no parameter 'discount'", "data_path, customer_col, date_col, amount_col, n"],
        ),
        (["run", "0", "--data", "sales.csv", "-p", "data_path=sales.csv"], ["--data and -p data_path"]),
        (["run", "0", "--data", "sales.csv", "--customer", "A", "-p", "customer_col=B"],
         ["--customer and -p customer_col"]),
        (["run"], ["CHAPTER", "crmlib run --help"]),
        (["run", "0", "--colour"], ["unrecognized arguments: --colour"]),
        (["frobnicate"], ["invalid choice: 'frobnicate'"]),
        (["course", "--only", "0,9"], ["There is no chapter '9'"]),
        (["course", "-p", "discount=0.1"], ["no chapter has the parameter 'discount'"]),
        (["notebooks", "nine"], ["There is no chapter 'nine'"]),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(recorded, tmp_path, capsys, argv, fragments):
    _user_csv(tmp_path)
    assert cli.main(argv) == 2
    _assert_one_error_line(_error(capsys)[1], *fragments)
    assert recorded == []  # nothing ran


def test_out_must_not_be_a_file_or_the_chapters_folder(recorded, course_env, tmp_path, capsys):
    (tmp_path / "taken").write_text("mine", encoding="utf-8")
    assert cli.main(["run", "0", "--out", "taken"]) == 2
    _assert_one_error_line(_error(capsys)[1], "--out 'taken' is a file")
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "mine"

    assert cli.main(["run", "0", "--out", str(course_env)]) == 2
    _assert_one_error_line(_error(capsys)[1], "folder of the stored chapters")
    assert recorded == []


def test_results_never_replace_the_data_file(recorded, tmp_path, capsys):
    data = tmp_path / "00_tiny.html"  # an unlucky name: the page of chapter 00 would replace it
    data.write_text("customer_id,date,amount\n", encoding="utf-8")
    assert cli.main(["run", "0", "--data", "00_tiny.html", "--out", "."]) == 2
    _assert_one_error_line(_error(capsys)[1], "would replace your input file '00_tiny.html'")
    assert cli.main(["course", "--data", "00_tiny.html", "--out", "."]) == 2
    _error(capsys)
    assert recorded == []
    _user_csv(tmp_path, customer="customer_id", date="date", amount="amount")  # beside the results is fine,
    # but 00_tiny.html is still the user's own file
    assert cli.main(["run", "0", "--data", "sales.csv", "--out", "."]) == 2
    _assert_one_error_line(_error(capsys)[1], "00_tiny.html in '.' was not written by crmlib run")
    assert data.read_text(encoding="utf-8") == "customer_id,date,amount\n"
    data.unlink()
    assert cli.main(["run", "0", "--data", "sales.csv", "--out", "."]) == 0


def test_course_keeps_an_index_html_it_did_not_write(recorded, tmp_path, capsys):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("<html>my own page</html>", encoding="utf-8")
    assert cli.main(["course", "--out", "site"]) == 2
    _assert_one_error_line(_error(capsys)[1], "index.html exists and was not written by crmlib")
    assert (out / "index.html").read_text(encoding="utf-8") == "<html>my own page</html>"
    assert recorded == []


def test_course_passes_each_parameter_only_to_the_chapters_that_have_it(course_env, monkeypatch, capsys):
    known = {"00_tiny": ["data_path", "n"], "01_breaks": ["data_path"]}
    monkeypatch.setattr(crmlib.course, "notebook_parameters", lambda path: known[Path(path).stem])
    seen = []

    def fake_run_course(selected, *, parameters, site, on_chapter, **kwargs):
        seen.append((parameters, site))
        runs = [crmlib.course.ChapterRun(c, Path(f"{c.stem}.ipynb"), None, 0.1) for c in selected]
        for run in runs:
            on_chapter(run)
        return crmlib.course.CourseResult(runs, None)

    monkeypatch.setattr(crmlib.course, "run_course", fake_run_course)
    assert cli.main(["course", "-p", "n=4", "--no-html"]) == 0, _error(capsys)
    assert seen == [({"00_tiny": {"n": 4}, "01_breaks": {}}, False)]


def test_keyboard_interrupt_exits_130_without_traceback(recorded, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(crmlib.course, "run_chapter", interrupted)
    assert cli.main(["run", "0"]) == 130
    err = _error(capsys)[1]
    assert err.strip() == "crmlib: interrupted."


def test_an_unexpected_error_is_one_line_unless_debugging(recorded, monkeypatch, capsys):
    def buggy(*args, **kwargs):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(crmlib.course, "run_chapter", buggy)
    assert cli.main(["run", "0"]) == 1
    _assert_one_error_line(_error(capsys)[1], "unexpected TypeError: unsupported operand")
    monkeypatch.setenv("CRMLIB_DEBUG", "1")
    with pytest.raises(TypeError, match="unsupported operand"):
        cli.main(["run", "0"])


def test_extension_subcommands_get_the_remaining_words(monkeypatch, capsys):
    seen = []
    module = types.ModuleType("crmlib_fake_report")
    module.main_report = lambda argv: seen.append(argv) or 3
    monkeypatch.setitem(sys.modules, "crmlib_fake_report", module)
    monkeypatch.setitem(cli.EXTENSIONS, "report", ("crmlib_fake_report", "main_report", "a report"))
    assert cli.main(["report", "--data", "x.csv", "--help"]) == 3
    assert seen == [["--data", "x.csv", "--help"]]


def test_a_missing_extension_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setitem(cli.EXTENSIONS, "report", ("crmlib._no_such_module", "main_report", "a report"))
    assert cli.main(["report"]) == 2
    _assert_one_error_line(_error(capsys)[1], "'crmlib report' is not available", "crmlib._no_such_module")


def test_an_extension_error_is_reported_like_the_others(monkeypatch, capsys):
    from crmlib.data import DataError

    def fails(argv):
        raise DataError("The column 'Total' holds text in rows 3, 7.\nrow 3: 'n/a'")

    module = types.ModuleType("crmlib_fake_ex")
    module.cli = fails
    monkeypatch.setitem(sys.modules, "crmlib_fake_ex", module)
    monkeypatch.setitem(cli.EXTENSIONS, "exercises", ("crmlib_fake_ex", "cli", "exercises"))
    assert cli.main(["exercises", "grade"]) == 1
    err = _error(capsys)[1]
    _assert_one_error_line(err, "The column 'Total' holds text")
    assert err.splitlines()[1] == "  row 3: 'n/a'"  # details indented under the error line


def test_a_usage_error_is_one_line_in_a_real_process(course_env, tmp_path):
    env = {**os.environ, "CRMLIB_NOTEBOOKS": str(course_env)}
    done = subprocess.run(
        [sys.executable, "-m", "crmlib", "run", "99"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "crmlib: error: There is no chapter '99'. The chapters are: 00_tiny, 01_breaks."
    ]


# --------------------------------------------------------------------------- real runs (a kernel each)


@pytest.mark.slow
def test_run_executes_a_chapter_on_a_user_file_and_writes_notebook_and_page(course_env, tmp_path, capsys, caplog):
    _user_csv(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "00_tiny.failed.ipynb").write_text("{}", encoding="utf-8")  # left by an earlier failed run
    crmlib.outputs.record_files(tmp_path / "out", "run", ["00_tiny.failed.ipynb"])  # as that run recorded it
    code = cli.main(
        [
            "run",
            "00",
            "--data",
            "sales.csv",
            "--customer",
            "Customer",
            "--date",
            "Order Date",
            "--amount",
            "Total",
            "-p",
            "n=4",
            "--out",
            "out",
        ]
    )
    out, err = _error(capsys)
    assert code == 0, err
    assert err == ""
    assert "Passed unknown parameter" not in caplog.text  # filtered: the command checked the names itself
    assert "Unable to parse line" not in caplog.text
    executed = nbformat.read(tmp_path / "out" / "00_tiny.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "twice n: 8" in printed  # n=4 reached the chapter
    assert (tmp_path / "out" / "00_tiny.html").stat().st_size > 1000
    assert not (tmp_path / "out" / "00_tiny.failed.ipynb").exists()  # the failed run's leftover is gone
    assert "out/00_tiny.ipynb" in out and "out/00_tiny.html" in out
    assert (tmp_path / "sales.csv").read_text(encoding="utf-8").startswith("Customer,Order Date,Total")


@pytest.mark.slow
def test_bad_data_is_one_line_naming_the_flag_before_any_kernel_starts(course_env, tmp_path):
    _user_csv(tmp_path, amount="Revenue")  # the command is told the amount is in 'Total'
    env = {**os.environ, "CRMLIB_NOTEBOOKS": str(course_env)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmlib",
            "run",
            "0",
            "--data",
            "sales.csv",
            "--customer",
            "Customer",
            "--date",
            "Order Date",
            "--amount",
            "Total",
            "--no-html",
            "--out",
            "out",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1
    _assert_one_error_line(done.stderr, "'Total'", "--amount")
    assert "amount=" not in done.stderr
    assert not (tmp_path / "out").exists()  # the file was read before the chapter started: nothing written


@pytest.mark.slow
def test_a_chapter_that_stops_is_one_line_and_keeps_its_partly_executed_notebook(course_env, tmp_path):
    env = {**os.environ, "CRMLIB_NOTEBOOKS": str(course_env)}
    done = subprocess.run(
        [sys.executable, "-m", "crmlib", "run", "1", "--no-html", "--out", "out"],
        capture_output=True, text=True, check=False, cwd=tmp_path, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["crmlib: error: Chapter 01_breaks stopped: ValueError: broken on purpose",
                                        "  the partly executed notebook is out/01_breaks.failed.ipynb"]
    assert not (tmp_path / "out" / "01_breaks.ipynb").exists()  # no half result under the chapter's name
    assert (tmp_path / "out" / "01_breaks.failed.ipynb").exists()


@pytest.mark.slow
def test_course_runs_the_rest_after_a_failure_and_exits_1(course_env, tmp_path, capsys):
    code = cli.main(["course", "--only", "01,00", "--out", "site"])
    out, err = _error(capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "Running 2 chapters into site/"
    assert lines[1].startswith("00  Tiny start") and " ok " in lines[1]
    assert lines[1].endswith("site/notebooks/00_tiny.ipynb")
    assert lines[2].startswith("01  Breaks") and "FAILED" in lines[2] and "ValueError: broken on purpose" in lines[2]
    assert lines[-2] == "Contents page: site/index.html"
    assert lines[-1].startswith("1 of 2 chapters ran in ") and "failed: 01_breaks" in lines[-1]
    _assert_one_error_line(err, "1 chapter failed: 01_breaks")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="notebooks/00_tiny.html"' in index and "01_breaks" not in index


@pytest.mark.slow
def test_notebooks_reexecutes_a_chapter_in_place(tiny_course, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "nb"
    folder.mkdir()
    for path in tiny_course.glob("0*.ipynb"):
        (folder / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("CRMLIB_NOTEBOOKS", str(folder))
    assert cli.main(["notebooks", "00"]) == 0
    out, _ = _error(capsys)
    assert out.splitlines()[-1].startswith("1 of 1 notebooks re-executed in ")
    executed = nbformat.read(folder / "00_tiny.ipynb", as_version=4)
    code_cells = [c for c in executed.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code_cells] == [1, 2, 3]
    assert "twice n: 6" in code_cells[-1].outputs[0]["text"]


def test_notebooks_goes_on_after_a_failure_and_exits_1(course_env, monkeypatch, capsys):
    seen = []

    def execute(selected, *, in_place, on_done, **kwargs):  # the course's executor, without kernels
        seen.append(([c.stem for c in selected], in_place))
        runs = []
        for chapter in selected:
            if chapter.stem == "00_tiny":
                run = crmlib.course.ChapterRun(chapter, None, "Chapter 00_tiny stopped: NameError: name 'x' is not "
                                               "defined", 0.1)
            else:
                run = crmlib.course.ChapterRun(chapter, chapter.path, None, 0.1)
            on_done(run)
            runs.append(run)
        return runs

    monkeypatch.setattr(crmlib.course, "execute_chapters", execute)
    assert cli.main(["notebooks"]) == 1
    out, err = _error(capsys)
    assert seen == [(["00_tiny", "01_breaks"], True)]  # all at once, written in place
    lines = out.splitlines()
    assert lines[0].startswith("Executing 2 notebooks in place, ")
    assert "FAILED" in lines[1] and "NameError: name 'x' is not defined" in lines[1] and " ok " in lines[2]
    assert out.splitlines()[-1].startswith("1 of 2 notebooks re-executed in ")
    _assert_one_error_line(err, "1 notebook failed: 00_tiny (left unchanged)")


def test_course_may_replace_its_own_index_page(course_env, monkeypatch, tmp_path, capsys):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text(f"<html><head>{crmlib.course.SITE_MARK}</head></html>", encoding="utf-8")

    def fake_run_course(selected, *, out, on_chapter, **kwargs):
        runs = [crmlib.course.ChapterRun(c, out / "notebooks" / c.path.name, None, 0.1) for c in selected]
        (out / "index.html").write_text(f"<html><head>{crmlib.course.SITE_MARK}</head>new</html>", encoding="utf-8")
        return crmlib.course.CourseResult(runs, out / "index.html")

    monkeypatch.setattr(crmlib.course, "run_course", fake_run_course)
    assert cli.main(["course", "--only", "00", "--out", "site"]) == 0, _error(capsys)
    assert "new" in (out / "index.html").read_text(encoding="utf-8")
    assert "1 of 1 chapters ran" in _error(capsys)[0]


# --------------------------------------------------------------------------- the reader options, one definition


def _flags(parser_name: str) -> set[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return {s for action in sub.choices[parser_name]._actions for s in action.option_strings}


def _reader_actions(parser_name: str) -> dict[str, tuple]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    flags = set(reader_flags())
    return {
        s: (a.dest, a.nargs, a.type, a.choices, type(a).__name__)
        for a in sub.choices[parser_name]._actions
        for s in a.option_strings
        if s in flags
    }


def test_run_report_and_course_take_the_readers_flags_from_its_one_definition():
    report = _reader_actions("report")
    assert set(report) == set(reader_flags())  # every option of ReadOptions, the limits included
    assert _reader_actions("run") == report and _reader_actions("course") == report
    assert not hasattr(cli, "READER_OPTIONS") and not hasattr(cli, "cli_hint")  # no second definition


def test_every_hint_of_a_blank_id_error_names_an_existing_flag(tmp_path, capsys):
    data = tmp_path / "blank.csv"
    data.write_text("customer_id,date,amount\n,2024-01-02,3\nB,2024-01-03,4\n", encoding="utf-8")
    assert cli.main(["report", "--data", str(data), "--out", str(tmp_path / "r"), "--quiet"]) == 1
    err = _error(capsys)[1]
    assert "--blank-customers drop" in err and "blank_customers=" not in err
    assert "--blank-customers" in _flags("report")


def _line_items(folder: Path) -> Path:
    path = folder / "items.csv"
    path.write_text(
        "Invoice,Customer ID,InvoiceDate,Quantity,Price\n1,A,13/01/2024,2,5\n2,A,2024-02-03,1,12.5\n"
        "3,B,05/01/2024,1,7\n4,,05/01/2024,1,7\n",
        encoding="utf-8",
    )
    return path


def test_run_passes_the_reader_options_as_one_parameter(recorded, monkeypatch, tmp_path, capsys):
    known = {"data_path": None, "read_options": {}, "n": 3}
    monkeypatch.setattr(crmlib.course, "notebook_parameters", lambda path: known)
    data = _line_items(tmp_path)
    argv = [
        "run", "0", "--data", data.name, "--customer", "Customer ID", "--date", "InvoiceDate",
        "--quantity", "Quantity", "--price", "Price", "--invoice", "Invoice",
        "--date-format", "%d/%m/%Y", "--date-format", "%Y-%m-%d", "--returns", "drop",
        "--max-id-length", "40", "--no-html",
    ]  # fmt: skip
    assert cli.main(argv) == 0, _error(capsys)
    (call,) = recorded
    expected = ReadOptions(
        customer="Customer ID", date="InvoiceDate", quantity="Quantity", price="Price", invoice="Invoice",
        date_format=("%d/%m/%Y", "%Y-%m-%d"), returns="drop", max_id_length=40,
    )  # fmt: skip
    assert call["parameters"] == {"data_path": str(data.resolve()), "read_options": expected.changed()}
    assert ReadOptions(**call["parameters"]["read_options"]) == expected  # what the chapter rebuilds
    out, _ = _error(capsys)
    assert "Read 4 rows from 'items.csv'; 3 line items into 3 invoices" in out  # read before the chapter runs
    assert "1 row without a customer id left out" in out  # the read report: the guest row


def test_a_sheet_named_by_digits_stays_a_name_and_repeats(recorded, monkeypatch, tmp_path, capsys):
    known = {"data_path": None, "read_options": {}}
    monkeypatch.setattr(crmlib.course, "notebook_parameters", lambda path: known)
    import pandas as pd

    data = tmp_path / "book.xlsx"
    with pd.ExcelWriter(data) as writer:
        for sheet in ("2010", "2011"):
            pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-02"], "amount": [1.0]}).to_excel(
                writer, sheet_name=sheet, index=False
            )
    assert cli.main(["run", "0", "--data", data.name, "--sheet", "2011", "--sheet", "2010", "--no-html"]) == 0
    assert recorded[0]["parameters"]["read_options"] == {"sheet": ["2011", "2010"]}
    _error(capsys)


def test_run_names_a_reader_flag_a_chapter_does_not_take(recorded, tmp_path, capsys):
    data = _line_items(tmp_path)
    argv = ["run", "0", "--data", data.name, "--customer", "Customer ID", "--date", "InvoiceDate",
            "--quantity", "Quantity", "--price", "Price"]  # fmt: skip
    assert cli.main(argv) == 2
    err = _error(capsys)[1]
    _assert_one_error_line(err, "chapter 00_tiny cannot take --quantity, --price", "read_options")
    assert len(err.splitlines()) == 1
    assert recorded == []


def test_reader_options_as_a_parameter_or_as_flags_not_both(recorded, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(crmlib.course, "notebook_parameters", lambda path: {"data_path": None, "read_options": {}})
    _user_csv(tmp_path)
    argv = ["run", "0", "--data", "sales.csv", "--customer", "Customer", "-p", "read_options={'date': 'Order Date'}"]
    assert cli.main(argv) == 2
    _assert_one_error_line(_error(capsys)[1], "--customer", "-p read_options")
    assert cli.main(["run", "0", "--data", "sales.csv", "-p", "read_options={'returns': 'subtract'}"]) == 2
    _assert_one_error_line(_error(capsys)[1], "-p read_options", "returns")
    assert recorded == []


def test_a_bad_reader_flag_is_a_usage_error_naming_the_flag(recorded, tmp_path, capsys):
    _user_csv(tmp_path)
    for argv, fragment in [
        (["run", "0", "--data", "sales.csv", "--date-format", "%Q"], "--date-format"),
        (["run", "0", "--data", "sales.csv", "--quantity", "Qty"], "needs both --quantity and --price"),
        (["report", "--data", "sales.csv", "--out", "r", "--max-id-length", "0"], "--max-id-length option must be"),
    ]:
        assert cli.main(argv) == 2, argv
        err = _error(capsys)[1]
        _assert_one_error_line(err, fragment)
        assert "date_format=" not in err and "quantity=" not in err and "max_id_length" not in err
    assert recorded == []


def test_reader_options_without_data_are_a_usage_error(recorded, capsys):
    assert cli.main(["run", "0", "--customer", "Client"]) == 2
    _assert_one_error_line(_error(capsys)[1], "--customer describes your file; give the file with --data FILE")


# --------------------------------------------------------------------------- output folders of run and course


def test_run_keeps_other_chapters_files_and_replaces_its_own(recorded, tmp_path, capsys):
    assert cli.main(["run", "0", "--out", "out"]) == 0
    assert cli.main(["run", "1", "--out", "out"]) == 0
    assert cli.main(["run", "0", "--out", "out"]) == 0  # its own files again: replaced without --force
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted([MANIFEST_NAME, "00_tiny.ipynb", "00_tiny.html", "01_breaks.ipynb", "01_breaks.html"])


def test_run_into_a_course_folder_leaves_the_site_alone_and_not_a_users_file(recorded, monkeypatch, tmp_path, capsys):
    def fake_run_course(selected, *, out, on_chapter, **kwargs):  # what course writes, without kernels or Sphinx
        written = []
        for chapter in selected:
            for suffix in (".ipynb", ".html"):
                path = out / "notebooks" / f"{chapter.stem}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("course", encoding="utf-8")
                written.append(path)
        runs = [crmlib.course.ChapterRun(c, out / "notebooks" / c.path.name, None, 0.1) for c in selected]
        return crmlib.course.CourseResult(runs, None, [], written)

    monkeypatch.setattr(crmlib.course, "run_course", fake_run_course)
    assert cli.main(["course", "--out", "site"]) == 0
    assert "notebooks/00_tiny.html" in crmlib.outputs.read_manifest(tmp_path / "site")
    assert cli.main(["run", "0", "--out", "site"]) == 0, _error(capsys)
    assert cli.main(["run", "1", "--out", "site"]) == 0, _error(capsys)
    assert (tmp_path / "site" / "notebooks" / "00_tiny.html").read_text(encoding="utf-8") == "course"  # the site's page
    (tmp_path / "site" / "01_breaks.html").write_text("edited", encoding="utf-8")
    assert cli.main(["run", "1", "--out", "site"]) == 2
    _assert_one_error_line(_error(capsys)[1], "01_breaks.html in 'site' was changed since crmlib run wrote it")
    assert cli.main(["run", "1", "--out", "site", "--force"]) == 0
    assert (tmp_path / "site" / "01_breaks.html").read_text(encoding="utf-8") == "<html></html>"


def test_a_failed_run_keeps_the_previous_good_results(course_env, monkeypatch, tmp_path, capsys):
    from crmlib.course import ChapterError

    def fails(key, *, parameters=None, out="build", html=True, **kwargs):
        (Path(out) / "00_tiny.failed.ipynb").write_text("{}", encoding="utf-8")
        raise ChapterError("Chapter 00_tiny stopped: ValueError: boom")

    out = tmp_path / "out"
    out.mkdir()
    (out / "00_tiny.ipynb").write_text("good", encoding="utf-8")
    crmlib.outputs.record_files(out, "run", ["00_tiny.ipynb"])
    monkeypatch.setattr(crmlib.course, "run_chapter", fails)
    assert cli.main(["run", "0", "--out", "out"]) == 1
    _assert_one_error_line(_error(capsys)[1], "Chapter 00_tiny stopped: ValueError: boom")
    assert (out / "00_tiny.ipynb").read_text(encoding="utf-8") == "good"
    assert (out / "00_tiny.failed.ipynb").is_file()
