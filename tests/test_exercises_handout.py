"""Handouts from a roster, release archives, rosters that cannot be used, and the student's own checks."""

from __future__ import annotations

import json
import zipfile

import nbformat
import pytest
from exercise_harness import ALL_STEMS, SETS, answered, run_in_process

from crmlib.cli import main
from crmlib.exercises import ExerciseError, check, load
from crmlib.exercises import notebooks as nbm

HOSTILE = '<img src=x onerror="alert(1)"> *Bold* =cmd|x'


@pytest.fixture()
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(f'student_id,name\ns001,Ann Lee\ns002,"{HOSTILE.replace(chr(34), chr(34) * 2)}"\n',
                    encoding="utf-8")
    return path


def test_build_writes_one_folder_per_student_with_id_seed_and_name(roster, tmp_path, capsys):
    out = tmp_path / "handout"
    assert main(["exercises", "build", "--roster", str(roster), "--out", str(out)]) == 0
    assert "handouts for 2 students" in capsys.readouterr().out
    students = {s.student_id: s for s in nbm.read_roster(roster)}
    assert students["s001"].seed != students["s002"].seed
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["s001", "s002"]
    assert not [p for p in out.rglob("*") if ".crmlib-incomplete" in str(p)]  # the staging folder is gone
    for sid, who in students.items():
        folder = out / sid
        assert sorted(p.name for p in folder.iterdir()) == sorted([f"{s}.ipynb" for s in ALL_STEMS] + ["README.md"])
        for stem in ALL_STEMS:
            text = (folder / f"{stem}.ipynb").read_text(encoding="utf-8")
            nb = nbformat.reads(text, as_version=4)
            assert nb.metadata["crmlib"] == {"exercise": stem, "seed": who.seed, "student_id": sid}
            params = next(c for c in nb.cells if nbm.cell_role(c)[0] == "parameters")
            assert params.source.startswith(f"seed = {who.seed}")
            assert nbm.BEGIN not in text and "SOLUTION" not in text
        title = nbformat.read(folder / f"{ALL_STEMS[0]}.ipynb", as_version=4).cells[0].source
        assert f"({sid})" in title and f"data seed {who.seed}" in title
    title = nbformat.read(out / "s002" / f"{ALL_STEMS[0]}.ipynb", as_version=4).cells[0].source
    assert "<img" not in title and "&lt;img" in title and r"\*Bold\*" in title
    # a second build into the same folder is refused; --force replaces it
    assert main(["exercises", "build", "--roster", str(roster), "--out", str(out)]) == 1
    assert "already holds files" in capsys.readouterr().err
    (out / "s001" / "notes.txt").write_text("the instructor's own notes")
    (out / "s002" / f"{ALL_STEMS[0]}.ipynb").write_text("changed by hand")
    assert main(["exercises", "build", "--roster", str(roster), "--out", str(out), "--force"]) == 0
    assert (out / "s001" / "notes.txt").read_text() == "the instructor's own notes"  # never the kit's to replace
    assert nbm.BEGIN not in (out / "s002" / f"{ALL_STEMS[0]}.ipynb").read_text()  # the kit's file, rewritten
    assert "student_id" in (out / "s002" / f"{ALL_STEMS[0]}.ipynb").read_text()


def test_release_packs_a_zip_per_student(roster, tmp_path):
    handout = tmp_path / "handout"
    nbm.build_handouts(roster, handout)
    (handout / "s001" / ".hidden").write_text("x")
    archives = nbm.release(handout, tmp_path / "upload")
    assert [a.name for a in archives] == ["s001.zip", "s002.zip"]
    with zipfile.ZipFile(archives[0]) as zf:
        assert sorted(zf.namelist()) == sorted([f"s001/{s}.ipynb" for s in ALL_STEMS] + ["s001/README.md"])
        nb = json.loads(zf.read(f"s001/{ALL_STEMS[0]}.ipynb"))
        assert nb["metadata"]["crmlib"]["student_id"] == "s001"
    with pytest.raises(ExerciseError, match="already holds files.*--force"):
        nbm.release(handout, tmp_path / "upload")


@pytest.mark.parametrize(("text", "message"), [
    ("id,name\ns1,A\n", "must have the columns student_id,name"),
    ("student_id,name\ns 1,A\n", r"Line 2 .*student id 's 1' must be 1-64 letters"),
    ("student_id,name\ns1,A\ns1,B\n", "Line 3 .*student id s1 repeats line 2"),
    ("student_id,name,seed\ns1,A,7\ns2,B,7\n", "Line 3 .*same seed 7"),
    ("student_id,name,seed\ns1,A,x\n", "Line 2 .*seed 'x' must be a whole number"),
    ("student_id,name\n", "lists no students"),
])
def test_a_roster_that_cannot_be_used_says_which_line_and_why(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExerciseError, match=message):
        nbm.read_roster(path)


def test_the_command_line_names_the_option_to_fix(tmp_path, roster, capsys):
    assert main(["exercises", "build", "--roster", str(roster)]) == 2
    assert "needs its own folder: add --out DIR" in capsys.readouterr().err
    assert main(["exercises", "grade", str(tmp_path / "nowhere"), "--roster", str(roster), "--out",
                 str(tmp_path / "g")]) == 1
    assert "submissions folder" in capsys.readouterr().err
    assert main(["exercises", "grade", str(tmp_path), "--roster", str(roster), "--out", str(tmp_path / "g"),
                 "-j", "0"]) == 2
    assert "-j" in capsys.readouterr().err


def test_a_students_own_checks_use_their_seed_and_never_show_the_answer(capsys):
    stem = "04_clv_npv"
    who = nbm.Student("s001", "Ann", nbm.seed_for("s001"))
    results = run_in_process(answered(stem, who), who.seed)
    assert all(r.correct for r in results)
    data = load(stem, who.seed)
    assert data["margin"] != load(stem, 0)["margin"] or data["retention"] != load(stem, 0)["retention"]
    data["cashflows"][:] = 0  # the student's copy: changing it changes nothing the check uses
    load(stem, who.seed)
    right = SETS[stem].question("q1").key(SETS[stem].data(who.seed)).expected
    capsys.readouterr()
    outcome = check("q1", right * 1.5)
    shown = capsys.readouterr().out
    assert not outcome.correct and f"{right:,.6g}" not in shown and f"{right:.2f}" not in shown
    assert check("q1", right).correct
    with pytest.raises(ExerciseError, match="has no question 'q99'"):
        check("q99", 1)


def _as_dict(nb, *, ids=True, metadata=True):
    cells = []
    for c in nb.cells:
        cells.append({"cell_type": c.cell_type, "source": c.source, "id": c.get("id", "") if ids else "",
                      "metadata": dict(c.metadata) if metadata else {}})
    return {"cells": cells, "metadata": {}}


def test_the_plan_finds_answers_by_question_id_not_by_cell_id():
    from crmlib.exercises.grader import load_references, plan_cells

    ref = load_references()["04_clv_npv"]
    questions = [q.id for q in SETS["04_clv_npv"] if q.kind != "text"]
    nb = answered("04_clv_npv")
    for variant in (_as_dict(nb), _as_dict(nb, ids=False), _as_dict(nb, ids=False, metadata=False)):
        plan, found = plan_cells(variant, ref)
        assert [i["q"] for i in plan if i["kind"] == "capture"] == questions
        assert set(found.values()) <= {"metadata", "check call"}
        assert not any("ex.load" in i.get("source", "") for i in plan)  # trusted cells come from the kit
        answers = [i for i in plan if i["kind"] == "code"]
        assert [i["q"] for i in answers] == questions  # each answer cell belongs to its question
    # an answer typed into the check cell itself (no metadata): the code runs, the answer is read at the end
    merged = _as_dict(nb, metadata=False)
    check = next(c for c in merged["cells"] if c["source"] == 'ex.check("q2", expected_years)')
    check["source"] = "expected_years = 1 / (1 - retention)\nex.check('q2', expected_years)"
    plan, found = plan_cells(merged, ref)
    assert found["q2"] == "end" and plan[-1] == {"kind": "capture", "q": "q2", "var": "expected_years"}
    assert any(i["kind"] == "code" and i["source"].startswith("expected_years = 1 / (1 - retention)") for i in plan)
