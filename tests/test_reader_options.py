"""One definition of the reader's options: ReadOptions, the keywords of the readers, the command-line flags,
and every hint a message gives names an option that exists where the user is."""

from __future__ import annotations

import argparse
import ast
import inspect
import re
from pathlib import Path

import pandas as pd
import pytest

import crmlib.data
from crmlib.data import (
    OPTION_NAMES,
    DataError,
    Hint,
    ReadOptions,
    add_reader_arguments,
    option_flag,
    read_options_from_args,
    read_transactions,
    reader_flags,
)
from crmlib.params import ParameterError
from crmlib.scale import summarize_file

DATA_PACKAGE = Path(crmlib.data.__file__).parent
# every module whose messages speak of the reader's options (errors.py defines Hint and rebuilds hints from text)
MESSAGE_MODULES = sorted(p for p in DATA_PACKAGE.glob("*.py") if p.name != "errors.py") + [
    Path(inspect.getfile(summarize_file))
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmlib run")
    add_reader_arguments(parser)
    return parser


def _flags_of(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


# ----------------------------------------------------------------------------------------------
# one definition


def test_every_option_is_a_keyword_of_both_readers_and_a_flag():
    flags = _flags_of(_parser())
    for func in (read_transactions, summarize_file):
        parameters = inspect.signature(func).parameters
        for name in OPTION_NAMES:
            assert name in parameters, (func.__name__, name)
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
            default = ReadOptions.__dataclass_fields__[name].default
            assert parameters[name].default == default, (func.__name__, name)
        assert "options" in parameters
    assert set(reader_flags()) <= flags
    assert {"--" + name.replace("_", "-") for name in OPTION_NAMES} == set(reader_flags())


def test_flags_build_the_options_and_unset_flags_keep_the_defaults():
    parser = _parser()
    args = parser.parse_args(
        [
            "--customer",
            "Customer ID",
            "--date-format",
            "%d/%m/%Y",
            "--date-format",
            "%Y-%m-%d",
            "--returns",
            "drop",
            "--sheet",
            "2010",
            "--sheet",
            "2011",
            "--max-id-length",
            "50",
            "--blank-customers",
            "drop",
        ]
    )
    options = read_options_from_args(args)
    assert options == ReadOptions(
        customer="Customer ID",
        date_format=("%d/%m/%Y", "%Y-%m-%d"),
        returns="drop",
        sheet=("2010", "2011"),
        max_id_length=50,
        blank_customers="drop",
    )
    assert read_options_from_args(parser.parse_args([])) == ReadOptions()
    # what a chapter receives as one JSON-able parameter rebuilds the same options
    assert ReadOptions(**options.changed()) == options


def test_a_bad_flag_value_is_refused_by_the_parser_with_the_flag(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["--date-format", "%Q"])
    err = capsys.readouterr().err
    assert "--date-format" in err and "'%Q' is not one of them" in err and "date_format=" not in err
    with pytest.raises(SystemExit):
        _parser().parse_args(["--returns", "subtract"])


def test_options_object_and_keywords_combine():
    raw = pd.DataFrame({"client": ["a"], "day": ["01/02/2024"], "total": [1.0]})
    options = ReadOptions(customer="client", date="day", amount="total", date_format="%d/%m/%Y")
    tx = read_transactions(raw, options=options, warn=False)
    assert str(tx["date"].iloc[0].date()) == "2024-02-01"
    tx = read_transactions(raw, options=options, date_format="%m/%d/%Y", warn=False)  # a keyword overrides
    assert str(tx["date"].iloc[0].date()) == "2024-01-02"
    with pytest.raises(
        ParameterError, match=r"The 'options' parameter of read_transactions must be a crmlib.data.ReadOptions"
    ):
        read_transactions(raw, options={"customer": "client"})


@pytest.mark.parametrize(
    "kwargs, python, cli",
    [
        (
            {"date_format": "%Q"},
            r"The 'date_format' parameter of read_transactions must be a date format .*'%Q' is not one",
            r"^The --date-format option must be a date format",
        ),
        ({"date_format": "%H:%M"}, r"must name a year, a month and a day", r"--date-format option must name a year"),
        (
            {"returns": "subtract"},
            r"The 'returns' parameter of read_transactions must be one of 'net', 'drop', 'keep'",
            r"The --returns option must be one of",
        ),
        (
            {"max_id_length": 0},
            r"The 'max_id_length' parameter of read_transactions must be an integer of at least 1",
            r"The --max-id-length option must be",
        ),
        ({"quantity": "q"}, r"needs both quantity= and price= for line items", r"needs both --quantity and --price"),
    ],
)
def test_a_bad_option_is_one_sentence_in_either_entry_point(kwargs, python, cli):
    raw = pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(ParameterError, match=python) as info:
        read_transactions(raw, **kwargs)
    assert isinstance(info.value, DataError)
    assert re.search(cli, info.value.render("cli"))
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)


# ----------------------------------------------------------------------------------------------
# every hint names an option that exists


def _hint_options() -> list[tuple[str, str]]:
    """(module, option) of every Hint(...) written in the reader's modules and in crmlib.scale."""
    found = []
    for path in MESSAGE_MODULES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Hint":
                if path.name == "options.py" and isinstance(node.args[0], ast.Name):
                    continue  # the checks of ReadOptions name its own fields: all options (the test above)
                assert node.args and isinstance(node.args[0], ast.Constant), (
                    f"{path.name}:{node.lineno}: Hint needs a literal option"
                )
                found.append((f"{path.name}:{node.lineno}", node.args[0].value))
    return found


def test_every_hint_names_an_option_of_both_readers_and_a_flag_of_the_command():
    hints = _hint_options()
    assert len(hints) > 30  # the walk finds the hints (a walk that finds none could not fail)
    flags = _flags_of(_parser())
    for func in (read_transactions, summarize_file):
        parameters = inspect.signature(func).parameters
        missing = [(where, option) for where, option in hints if option not in parameters]
        assert not missing, f"hints naming no keyword of {func.__name__}: {missing}"
    missing = [(where, option) for where, option in hints if "--" + option.replace("_", "-") not in flags]
    assert not missing, f"hints naming no flag of the command: {missing}"


_OPTION_TEXT = re.compile(r"\b(" + "|".join(OPTION_NAMES) + r")=")


def _message_texts(path: Path):
    """String pieces of a module that can end up in a message (docstrings left out)."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
                docstrings.add(id(node.body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_message_spells_an_option_outside_a_hint():
    # An option written into a message as text ("pass date_format=...") would read the same in the command line,
    # where it does not exist; every option named in a message goes through Hint, which renders it for each.
    stray = []
    for path in MESSAGE_MODULES:
        for line, text in _message_texts(path):
            if _OPTION_TEXT.search(text) and "read_transactions(" not in text and "got quantity=" not in text:
                stray.append(f"{path.name}:{line}: {text[:80]!r}")
    assert not stray, stray


def test_hints_render_for_each_entry_point():
    assert (
        Hint("date_format", ("%d/%m/%Y", "%Y-%m-%d")).render("cli")
        == "--date-format '%d/%m/%Y' --date-format '%Y-%m-%d'"
    )
    assert Hint("date_format", ("%d/%m/%Y", "%Y-%m-%d")).render("python") == "date_format=('%d/%m/%Y', '%Y-%m-%d')"
    assert Hint("customer", "Customer ID").render("cli") == "--customer 'Customer ID'"
    assert Hint("returns", "keep").render("cli") == "--returns keep"
    assert Hint("customer", "O'Brien").render("cli") == "--customer 'O'\"'\"'Brien'"
    error = DataError(f"read_transactions: pass {Hint('blank_customers', 'drop')} or {Hint('delimiter')}.")
    assert str(error) == "read_transactions: pass blank_customers='drop' or delimiter=...."
    assert error.render("cli") == "pass --blank-customers drop or --delimiter ...."
    assert [h.option for h in error.hints] == ["blank_customers", "delimiter"]
    import pickle

    assert pickle.loads(pickle.dumps(error)).render("cli") == error.render("cli")  # survives a process boundary


def test_the_known_wrong_hints_are_gone(tmp_path):
    # blank_customers='drop' is an option of read_transactions and a flag of the command
    path = tmp_path / "blank.csv"
    path.write_text("customer_id,date,amount\na,2024-01-01,1\n,2024-01-02,2\n")
    with pytest.raises(DataError) as info:
        read_transactions(path)
    assert "blank_customers='drop'" in str(info.value)
    assert "--blank-customers drop" in info.value.render("cli")
    args = _parser().parse_args(["--blank-customers", "drop"])
    assert len(read_transactions(path, options=read_options_from_args(args), warn=False)) == 1


# ----------------------------------------------------------------------------------------------
# every hint, as the command prints it, is a flag that both commands accept

#: A value to give a hint that names an option without one (``--delimiter ...``) or whose value is computed.
SAMPLES = {
    "customer": "Customer ID",
    "date": "InvoiceDate",
    "amount": "Total",
    "quantity": "Quantity",
    "price": "Price",
    "invoice": "Invoice",
    "date_format": "%d/%m/%Y",
    "returns": "keep",
    "blank_customers": "drop",
    "sheet": "2011",
    "delimiter": ";",
    "encoding": "cp1252",
    "max_expansion": "1000",
    "max_id_length": "1000",
    "max_cell_chars": "100000",
    "max_columns": "200000",
    "max_amount": "1e15",
}
# a second option a hint needs beside it to make a valid command line (line items need both columns)
COMPANIONS = {"quantity": ["--price", "Price"], "price": ["--quantity", "Quantity"]}


def _hint_calls() -> list[tuple[str, Hint]]:
    """Each Hint(...) written in the reader's modules, rebuilt as it is written (a sample for a computed value)."""
    found = []
    for path in MESSAGE_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", None))
            if not (isinstance(node, ast.Call) and name == "Hint"):
                continue
            if not isinstance(node.args[0], ast.Constant):
                continue  # options.py names its own fields (every option: the test above)
            option = node.args[0].value
            flags = {k.arg: ast.literal_eval(k.value) for k in node.keywords if isinstance(k.value, ast.Constant)}
            if len(node.args) > 1:
                value = node.args[1].value if isinstance(node.args[1], ast.Constant) else SAMPLES[option]
                hint = Hint(option, value, **flags)
            else:
                hint = Hint(option, **flags)
            found.append((f"{path.name}:{node.lineno}", hint))
    return found


def test_every_hint_the_command_prints_is_a_flag_run_and_report_accept(capsys):
    import shlex

    from crmlib import cli

    parser = cli.build_parser()
    commands = {
        "run": ["run", "00", "--data", "sales.csv"],
        "report": ["report", "--data", "sales.csv", "--out", "report"],
    }
    calls = _hint_calls()
    assert len(calls) > 30
    for where, hint in calls:
        # printed the way the command prints a reader's error
        assert cli._fail(DataError(f"read_transactions: the file needs {hint} here."), 1) == 1
        printed = capsys.readouterr().err
        shown = hint.render("cli")
        assert printed.startswith("crmlib: error: the file needs ") and shown in printed, (where, printed)
        assert "=" not in shown.split("'")[0], (where, shown)  # a flag, not a Python keyword
        tokens = shlex.split(shown)
        assert tokens[0] == option_flag(hint.option), (where, shown)
        if len(tokens) == 1 or tokens[1:] == ["..."]:
            tokens = [tokens[0], SAMPLES[hint.option]]
        for name, prefix in commands.items():
            args = parser.parse_args([*prefix, *tokens, *COMPANIONS.get(hint.option, [])])
            options = read_options_from_args(args)
            expected = tokens[1::2]
            got = getattr(options, hint.option)
            got = list(got) if isinstance(got, tuple) else [got]
            assert [str(v) for v in got] == [str(type(g)(e)) for g, e in zip(got, expected)], (where, name, shown)
