"""A class graded in one run, as an instructor would: honest, careless, hostile and broken submissions together.

One ``crmlib exercises grade`` run (module-scoped: it is the expensive part) over 19 students: one hands in every
exercise set answered with the model solutions (so every set goes through the sandbox), the others hand in exercise
04 in every way the issue lists. The tests assert each score, flag and feedback file, the LMS files, the run log,
the refusal to overwrite, and the merge of the instructor's marks for the free-text answers.
"""

from __future__ import annotations

import csv
import json
import re

import pytest
from exercise_harness import ALL_STEMS, SETS, answered, write
from nbformat.v4 import new_code_cell

from crmlib.cli import main
from crmlib.exercises import notebooks as nbm
from crmlib.resources import kit_folder

NB = "04_clv_npv"
AUTO = 14  # the points of the number and choice questions of exercise 04
TEXT = {"q9": 3, "q10": 3}
SCRIPT = "<script>alert('x')</script> I would spend the acquisition cost: the value at acquisition is positive."
FORMULA = '=HYPERLINK("http://example.invalid","see")'
SOURCE_PATH = str(kit_folder("exercises") / "source" / f"{NB}.ipynb")

# student -> (answers of exercise 04 that differ from the solutions, auto points expected, flags expected)
CASES: dict[str, tuple[dict[str, str], float, str]] = {
    "s01": ({}, AUTO, ""),  # every set, answered right
    "s02": ({"q1": "npv_value = cashflows.sum()", "q2": "expected_years = 1 / retention"}, AUTO - 3, ""),
    "s03": (None, 0, ""),  # type: ignore[dict-item]  # untouched
    "s04": ({"q1": "from crmlib.exercises.sets import get_set\n"
                   "npv_value = get_set('04_clv_npv').question('q1').key(data).expected",
             "q3": "import importlib.util, pathlib, crmlib\n"
                   "path = pathlib.Path(crmlib.__file__).parent / 'exercises' / 'sets' / 'clv_npv.py'\n"
                   "spec = importlib.util.spec_from_file_location('key', path)\n"
                   "key = importlib.util.module_from_spec(spec)\n"
                   "spec.loader.exec_module(key)\n"
                   "clv_infinite = key.q3(margin, retention, discount_rate).expected"}, AUTO - 4,
            "answer-key; denied-read"),
    "s05": ({"q1": "ex.check = lambda *args, **kwargs: print('✅ correct')\n"
                   "import crmlib.exercises.scoring as sc\n"
                   "sc.evaluate = lambda q, key, rec: sc.Outcome(q.id, 'correct', 99.0, 1.0, 'correct')\n"
                   "npv_value = 1.0",
             "q2": "expected_years = 2.0"}, AUTO - 3, ""),
    "s06": ({"q1": "from IPython.display import display\n"
                   "display({'application/vnd.crmlib.check+json': {'question': 'q1', 'correct': True, 'points': 700, "
                   "'max_points': 2, 'message': 'correct'}, 'text/plain': '✅ q1 700/2'}, raw=True)\n"
                   "print('{\"e\": \"score\", \"q\": \"q1\", \"points\": 700}')\n"
                   "npv_value = 0.0"}, AUTO - 2, ""),
    "s07": ({"q3": "import os\nos._exit(1)"}, AUTO - 2, "killed(q3)"),
    "s08": ({"q4": "while True:\n    pass"}, AUTO - 2, "timeout(q4)"),
    "s09": ({"q5": "import numpy as np\nbig = np.ones(20 * 10**9 // 8)  # 20 GB\nvalue_at_acq = 0.0"}, AUTO - 2,
            "memory(q5)"),
    "s10": ({"q1": f"import json\nsource = json.load(open({SOURCE_PATH!r}))\n"
                   "code = [c for c in source['cells'] if c.get('id') == 'q1-answer'][0]['source']\n"
                   "exec(''.join(code))"}, AUTO - 2, "denied-read"),
    "s11": ({}, AUTO, "shared-work(s01)"),  # hands in s01's notebook
    "s12": ({}, AUTO, ""),  # re-creates the answer cell of q2
    "s13": ({}, AUTO, ""),  # saved as nbformat 4.4, without cell ids
    "s14": ({"q6": "import os\nwhile True:\n    os.fork()"}, AUTO - 2, ""),  # a fork bomb
    "s15": ({"q7": "print('x' * 50_000_000)\nclv_monthly = 0.0"}, AUTO - 2, "output(q7)"),  # 50 MB of output
    "s16": (None, 0, "unreadable"),  # type: ignore[dict-item]  # not JSON
    "s17": ({}, AUTO, "missing-metadata"),  # notebook metadata stripped
    "s18": ({}, AUTO - 2, "variant(q1)"),  # q1 typed in as a number
    "s19": ({"q7": "r_month = clv.convert_rate(retention, 'Y', 'M', kind='retention')\n"
                   "i_month = clv.convert_rate(discount_rate, 'Y', 'M')\n"
                   "clv_monthly = round(clv.retention_clv(monthly_margin, r_month, i_month), 1)"}, AUTO - 2,
            "hidden(q7)"),  # right to 0.1%, but rounded: the instructor's hidden check wants it unrounded
    "s20": ({}, AUTO, ""),  # in a Moodle download's folder, which does not name the student id
}

# The instructor's own hidden check, kept outside the handout (--hidden).
HIDDEN = """
def unrounded(answer, data):
    if abs(answer * 10 - round(answer * 10)) < 1e-9:
        return "Give the value unrounded: rounding is for the report, not for the computation."
    return None

HIDDEN_CHECKS = {("04_clv_npv", "q7"): [unrounded]}
"""


def _roster(path):
    path.write_text("student_id,name\n" + "".join(f"{sid},Student {sid[1:]}\n" for sid in CASES)
                    + "", encoding="utf-8")
    students = nbm.read_roster(path)
    return {s.student_id: s for s in students}


def _submissions(folder, roster):
    for stem in ALL_STEMS:  # s01: every set, right, with free-text answers that try to inject HTML and formulas
        nb = answered(stem, roster["s01"], text=SCRIPT)
        for cell in nb.cells:
            if nbm.cell_role(cell) == ("answer", "q10") and stem == NB:
                cell.source = FORMULA
        write(nb, folder / "s01" / f"{stem}.ipynb")
    for sid, (answers, _, _) in CASES.items():
        if sid == "s01":
            continue
        path = folder / sid / f"{NB}.ipynb"
        if sid == "s20":
            path = folder / "Student 20_777_assignsubmission_file_" / f"{NB}.ipynb"
        who = roster[sid]
        if sid == "s03":
            write(nbm.student_version(kit_folder("exercises") / "source" / f"{NB}.ipynb", student=who), path)
        elif sid == "s11":
            write(answered(NB, roster["s01"]), path)
        elif sid == "s16":
            path.parent.mkdir(parents=True)
            path.write_text("{ this is not a notebook", encoding="utf-8")
        elif sid == "s18":
            typed = SETS[NB].question("q1").key(SETS[NB].data(who.seed)).expected
            write(answered(NB, who, answers={"q1": f"npv_value = {typed!r}"}), path)
        else:
            nb = answered(NB, who, answers=answers)
            if sid == "s12":
                index = next(i for i, c in enumerate(nb.cells) if nbm.cell_role(c) == ("answer", "q2"))
                nb.cells[index] = new_code_cell("expected_years = 1 / (1 - retention)  # typed again in a new cell")
            if sid == "s17":
                nb.metadata.pop("crmlib")
            write(nb, path)
            if sid == "s13":
                raw = json.loads(path.read_text(encoding="utf-8"))
                raw["nbformat_minor"] = 4
                for cell in raw["cells"]:
                    cell.pop("id", None)
                path.write_text(json.dumps(raw), encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    roster = _roster(base / "roster.csv")
    subs = base / "submissions"
    _submissions(subs, roster)
    out = base / "grades"
    (base / "hidden_checks.py").write_text(HIDDEN, encoding="utf-8")
    argv = ["exercises", "grade", str(subs), "--roster", str(base / "roster.csv"), "--out", str(out), "-j", "2",
            "--timeout", "90", "--cell-timeout", "4", "--cpu", "40", "--memory", "3000", "--processes", "48",
            "--variant-seed", "4242", "--hidden", str(base / "hidden_checks.py")]
    code = main(argv)
    rows = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    return {"base": base, "out": out, "argv": argv, "code": code, "rows": rows, "roster": roster}


@pytest.mark.slow
def test_the_run_finished_and_wrote_the_gradebook(graded):
    assert graded["code"] == 0
    rows = graded["rows"]
    most = max(len(SETS[stem].questions) for stem in ALL_STEMS)  # one column per question of the longest set
    assert list(rows[0]) == ["student_id", "name", "notebook", *[f"q{k}" for k in range(1, most + 1)], "total", "max",
                             "flags"]
    assert len(rows) == len(CASES) * len(ALL_STEMS)  # a row per student and notebook, the missing ones flagged
    missing = [r for r in rows if r["flags"] == "missing-submission"]
    assert len(missing) == (len(CASES) - 1) * (len(ALL_STEMS) - 1)
    assert {r["notebook"] for r in missing} == set(ALL_STEMS) - {NB}


@pytest.mark.slow
@pytest.mark.parametrize("stem", ALL_STEMS)
def test_every_set_answered_right_scores_its_full_automatic_points(graded, stem):
    (row,) = [r for r in graded["rows"] if r["student_id"] == "s01" and r["notebook"] == stem]
    exercise = SETS[stem]
    assert row["flags"] == ""
    for q in exercise:
        assert row[q.id] == ("" if q.kind == "text" else f"{q.points:g}"), (q.id, row)
    assert float(row["total"]) == sum(q.points for q in exercise if q.kind != "text")
    assert float(row["max"]) == exercise.max_points


@pytest.mark.slow
@pytest.mark.parametrize("sid", list(CASES))
def test_each_submission_scores_and_is_flagged_as_it_deserves(graded, sid):
    (row,) = [r for r in graded["rows"] if r["student_id"] == sid and r["notebook"] == NB]
    _, points, flags = CASES[sid]
    assert float(row["total"]) == points, row
    assert row["flags"] == flags, row
    assert float(row["max"]) == AUTO + sum(TEXT.values())
    assert all(float(row[q]) <= SETS[NB].question(q).points for q in row if re.fullmatch(r"q\d+", q) and row[q])


def _feedback(graded, sid, suffix=".md"):
    return (graded["out"] / "feedback" / f"{sid}{suffix}").read_text(encoding="utf-8")


@pytest.mark.slow
def test_feedback_per_student_says_what_happened(graded):
    for sid in CASES:
        for suffix in (".md", ".html"):
            assert (graded["out"] / "feedback" / f"{sid}{suffix}").is_file(), (sid, suffix)
    assert len(list((graded["out"] / "feedback").iterdir())) == 2 * len(CASES)
    assert "You did not discount the cash flows." in _feedback(graded, "s02")
    assert "You divided by the retention rate" in _feedback(graded, "s02")
    assert _feedback(graded, "s03").count("not answered yet") == 8
    assert "stopped the whole run" in _feedback(graded, "s07")
    assert "longer than 4 s" in _feedback(graded, "s08")
    assert "out of memory" in _feedback(graded, "s09")
    assert "not valid JSON" in _feedback(graded, "s16")
    assert "more than the output limit" in _feedback(graded, "s15")
    assert "Give the value unrounded" in _feedback(graded, "s19")
    assert "wrong answer on other data" in _feedback(graded, "s18")
    assert "700" not in _feedback(graded, "s06")
    page = _feedback(graded, "s01", ".html")
    assert "<script>" not in page and "&lt;script&gt;alert(" in page
    assert page.count("<h2>") == len(ALL_STEMS)


@pytest.mark.slow
def test_lms_files_and_the_run_log(graded):
    out = graded["out"]
    canvas = list(csv.reader((out / "canvas.csv").open(encoding="utf-8")))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *ALL_STEMS]
    assert canvas[1][0].strip() == "Points Possible"
    by_id = {r[2]: r for r in canvas[2:]}
    assert set(by_id) == set(CASES)
    assert by_id["s02"][5 + ALL_STEMS.index(NB)] == f"{AUTO - 3:g}"
    moodle = list(csv.DictReader((out / "moodle.csv").open(encoding="utf-8")))
    assert {r["ID number"] for r in moodle} == set(CASES)
    assert next(r for r in moodle if r["ID number"] == "s07")[NB] == f"{AUTO - 2:g}"
    marking = list(csv.DictReader((out / "marking" / f"{NB}.csv").open(encoding="utf-8")))
    assert {(r["question"], r["max_points"]) for r in marking} == {("q9", "3"), ("q10", "3")}
    s01 = {r["question"]: r for r in marking if r["student_id"] == "s01"}
    assert s01["q10"]["answer"] == "'" + FORMULA  # neutralised for a spreadsheet
    assert "&lt;script&gt;" in (out / "marking" / f"{NB}.html").read_text(encoding="utf-8")
    log = (out / "grading-log.txt").read_text(encoding="utf-8")
    assert "isolation: namespaces" in log
    for sid, (_, _, flags) in CASES.items():
        if flags:
            line = next(line for line in log.splitlines() if line.startswith(f"- {sid}/{NB}.ipynb"))
            assert flags.split(";")[0] in line
    assert "not valid JSON" in log and "os._exit" in log


@pytest.mark.slow
def test_a_second_run_does_not_overwrite_without_force(graded, capsys):
    before = (graded["out"] / "gradebook.csv").read_bytes()
    assert main(graded["argv"]) == 1
    assert "already holds files" in capsys.readouterr().err
    assert (graded["out"] / "gradebook.csv").read_bytes() == before


@pytest.mark.slow
def test_marks_for_the_free_text_answers_merge_into_gradebook_and_feedback(graded, capsys):
    out = graded["out"]
    form = out / "marking" / f"{NB}.csv"
    rows = list(csv.DictReader(form.open(encoding="utf-8")))
    fields = list(rows[0])
    for r in rows:
        if r["student_id"] == "s01":
            r["points"], r["comment"] = ("3", "<b>Clear</b> and argued with your numbers.") if r["question"] == "q9" \
                else ("2", "=1+1 Good; compare with the median customer too.")
    bad = [dict(r) for r in rows]
    bad[0]["points"] = "5"
    with form.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(bad)
    assert main(["exercises", "marks", str(out)]) == 1
    assert "Line 2 of" in capsys.readouterr().err
    with form.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    assert main(["exercises", "marks", str(out)]) == 0
    book = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    (row,) = [r for r in book if r["student_id"] == "s01" and r["notebook"] == NB]
    assert (row["q9"], row["q10"], row["total"]) == ("3", "2", f"{AUTO + 5:g}")
    page = _feedback(graded, "s01", ".html")
    assert "&lt;b&gt;Clear&lt;/b&gt;" in page and "<b>Clear</b>" not in page
    assert "=1+1 Good" in _feedback(graded, "s01")
    canvas = {r[2]: r for r in csv.reader((out / "canvas.csv").open(encoding="utf-8"))}
    assert canvas["s01"][5 + ALL_STEMS.index(NB)] == f"{AUTO + 5:g}"
    assert "marks merged" in (out / "grading-log.txt").read_text(encoding="utf-8")
