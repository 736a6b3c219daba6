"""What a grading run writes: gradebook, LMS imports, feedback per student, marking forms, run log.

``grades/`` after ``crmlib exercises grade``::

    gradebook.csv         one row per student and notebook: student_id, name, notebook, q1..qN, total, max, flags
    canvas.csv            Canvas gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, the notebooks)
    moodle.csv            Moodle grade import (ID number, Full name, one column per notebook and its feedback)
    feedback/<id>.md      the student's feedback, every notebook and question (also feedback/<id>.html)
    marking/<nb>.csv      the free-text answers to mark: fill in points and comment, then `crmlib exercises marks`
    marking/<nb>.html     the same answers to read, with each student's data and the rubric
    grading-log.txt       the run: settings, isolation, every notebook that failed or was flagged, and why
    results.json          everything above in one file (what `marks` reads and rewrites)

Every value a student or roster supplies is escaped in HTML and neutralised in CSV (a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so a spreadsheet shows it as text; the rule of
:mod:`crmlib.outputs`).
"""

from __future__ import annotations

import csv
import html
import json
import re
import time
from pathlib import Path
from typing import Any

from crmlib.exercises.model import ExerciseError
from crmlib.exercises.scoring import Outcome

GRADEBOOK = "gradebook.csv"
RESULTS = "results.json"
LOG = "grading-log.txt"


def csv_safe(value: Any) -> str:
    """A cell value a spreadsheet shows as text, never runs as a formula (:func:`crmlib.outputs.neutralise_cell`).

    Examples
    --------
    >>> csv_safe("=HYPERLINK(1)"), csv_safe("Ann"), csv_safe(2.0)
    ("'=HYPERLINK(1)", 'Ann', '2')
    """
    from crmlib.outputs import neutralise_cell

    if isinstance(value, float):
        return f"{value:g}"
    return str(neutralise_cell("" if value is None else str(value)))


def _fmt(x: float) -> str:
    return f"{x:g}"


def _question_order(qid: str) -> tuple[int, str]:
    match = re.fullmatch(r"q(\d+)", qid)
    return (int(match.group(1)), qid) if match else (10**6, qid)


# ----------------------------------------------------------------------------------------------- results.json


def to_json(result: Any) -> dict[str, Any]:
    """The grading run as JSON-ready data.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.exercises.grader import ClassResult, Graded
    >>> from crmlib.exercises.notebooks import Student
    >>> graded = Graded("s001", "Ada", "04_clv_npv", "s001/04_clv_npv.ipynb", seed=17,
    ...                 outcomes={"q1": Outcome("q1", "correct", 2.0, 2.0, "correct (248.7).")})
    >>> result = ClassResult(rows=[graded], roster=[Student("s001", "Ada", 17)], exercises=["04_clv_npv"],
    ...                      isolation="rlimits", variant_seed=None, seconds=3.0, jobs=1)
    >>> data = to_json(result)
    >>> data["format"], data["rows"][0]["outcomes"][0]["points"]
    ('crmlib-grades-1', 2.0)
    """
    rows = []
    for g in result.rows:
        rows.append({
            "student_id": g.student_id, "name": g.name, "notebook": g.notebook, "file": g.file, "seed": g.seed,
            "flags": g.flags, "notes": g.notes, "failed": g.failed, "seconds": round(g.seconds, 2),
            "answers": g.answers, "contexts": g.contexts, "outcomes": [o.__dict__ for o in g.outcomes.values()],
        })
    return {"format": "crmlib-grades-1", "isolation": result.isolation, "variant_seed": result.variant_seed,
            "seconds": round(result.seconds, 1), "jobs": result.jobs, "settings": result.settings,
            "exercises": result.exercises,
            "roster": [{"student_id": s.student_id, "name": s.name, "seed": s.seed} for s in result.roster],
            "rows": rows}


def read_results(folder: Path) -> dict[str, Any]:
    """Read ``results.json`` of a grades folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / RESULTS).write_text(json.dumps(data), encoding="utf-8")
    >>> read_results(folder)["exercises"]
    ['04_clv_npv']
    """
    path = Path(folder) / RESULTS
    if not path.is_file():
        raise ExerciseError(f"{folder} has no {RESULTS}: give the --out folder of a 'crmlib exercises grade' run.")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != "crmlib-grades-1":
        raise ExerciseError(f"{path} was not written by this version of 'crmlib exercises grade'.")
    return data


def _outcomes(row: dict[str, Any]) -> list[Outcome]:
    return [Outcome(**o) for o in row["outcomes"]]


def _total(row: dict[str, Any]) -> tuple[float, float]:
    outs = _outcomes(row)
    return sum(o.points for o in outs), sum(o.max_points for o in outs)


# ----------------------------------------------------------------------------------------------- writers


def write_gradebook(data: dict[str, Any], folder: Path) -> Path:
    """``gradebook.csv``: one row per student and notebook; a text question awaiting marks is left empty.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> print(write_gradebook(data, folder).read_text(encoding="utf-8").strip())
    student_id,name,notebook,q1,total,max,flags
    s001,Ada,04_clv_npv,0,0,2,
    """
    questions = sorted({o["question"] for r in data["rows"] for o in r["outcomes"]}, key=_question_order)
    path = folder / GRADEBOOK
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", "name", "notebook", *questions, "total", "max", "flags"])
        for row in data["rows"]:
            by_q = {o.question: o for o in _outcomes(row)}
            cells = ["" if q not in by_q or by_q[q].status == "unmarked" else _fmt(by_q[q].points) for q in questions]
            total, top = _total(row)
            writer.writerow([csv_safe(row["student_id"]), csv_safe(row["name"]), csv_safe(row["notebook"]), *cells,
                             _fmt(total), _fmt(top), csv_safe("; ".join(row["flags"]))])
    return path


def _per_student(data: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for row in data["rows"]:
        if row["notebook"] in data["exercises"]:
            table.setdefault(row["student_id"], {}).setdefault(row["notebook"], row)
    return table


def _notebook_max(data: dict[str, Any]) -> dict[str, float]:
    tops: dict[str, float] = {}
    for row in data["rows"]:
        if row["notebook"] in data["exercises"] and row["outcomes"]:
            tops[row["notebook"]] = _total(row)[1]
    return tops


def write_lms(data: dict[str, Any], folder: Path) -> list[Path]:
    """``canvas.csv`` and ``moodle.csv``: one row per roster student, one column per notebook (its total).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> canvas, moodle = write_lms(data, folder)
    >>> moodle.read_text(encoding="utf-8").splitlines()[1]
    's001,Ada,0,0/2: q1 0/2'
    """
    table = _per_student(data)
    tops = _notebook_max(data)
    names = [n for n in data["exercises"] if n in tops]
    canvas = folder / "canvas.csv"
    with canvas.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names])
        writer.writerow(["    Points Possible", "", "", "", "", *[_fmt(tops[n]) for n in names]])
        for s in data["roster"]:
            rows = table.get(s["student_id"], {})
            writer.writerow([csv_safe(s["name"]), "", csv_safe(s["student_id"]), "", "",
                             *[_fmt(_total(rows[n])[0]) if n in rows else "" for n in names]])
    moodle = folder / "moodle.csv"
    with moodle.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID number", "Full name", *[c for n in names for c in (n, f"{n} feedback")]])
        for s in data["roster"]:
            rows = table.get(s["student_id"], {})
            cells = []
            for n in names:
                if n in rows:
                    total, top = _total(rows[n])
                    summary = "; ".join(f"{o.question} {_fmt(o.points)}/{_fmt(o.max_points)}"
                                        for o in _outcomes(rows[n]))
                    cells += [_fmt(total), csv_safe(f"{_fmt(total)}/{_fmt(top)}: {summary}")]
                else:
                    cells += ["", ""]
            writer.writerow([csv_safe(s["student_id"]), csv_safe(s["name"]), *cells])
    return [canvas, moodle]


def _mark(o: Outcome) -> str:
    if o.status == "unmarked":
        return "📝"
    return "✅" if o.correct else "❌"


def feedback_markdown(student: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The feedback of one student as Markdown (every notebook, every question).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> print(feedback_markdown(data["roster"][0], data["rows"]))  # doctest: +NORMALIZE_WHITESPACE
    # Feedback for Ada (s001)
    <BLANKLINE>
    ## 04_clv_npv: 0 / 2 points
    <BLANKLINE>
    - ❌ **q1** (0/2): not yet: 300 is not the expected value. Hint: You did not discount.
    <BLANKLINE>
    """
    from crmlib.exercises.notebooks import markdown_escape

    lines = [f"# Feedback for {markdown_escape(student['name'])} ({student['student_id']})", ""]
    for row in rows:
        total, top = _total(row)
        lines += [f"## {row['notebook']}: {_fmt(total)} / {_fmt(top)} points", ""]
        if row["failed"]:
            lines += [f"This notebook could not be graded fully: {markdown_escape(row['failed'])}.", ""]
        for o in _outcomes(row):
            line = (f"- {_mark(o)} **{o.question}** ({_fmt(o.points)}/{_fmt(o.max_points)}): "
                    f"{markdown_escape(o.message)}")
            if o.hint:
                line += f" Hint: {markdown_escape(o.hint)}"
            lines.append(line)
            answer = row["answers"].get(o.question)
            if answer is not None:
                lines.append("  > " + markdown_escape(answer[:2000]).replace("\n", "\n  > "))
        lines.append("")
    return "\n".join(lines)


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;"
          "vertical-align:top}blockquote{white-space:pre-wrap;border-left:3px solid #ccc;margin:.3rem 0;"
          "padding-left:.6rem}.ok{color:#176617}.no{color:#a11}")


def feedback_html(student: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The feedback of one student as a standalone HTML page; every value escaped, nothing fetched.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> page = feedback_html({"student_id": "s001", "name": "<b>Ada</b>"}, data["rows"])
    >>> "&lt;b&gt;Ada&lt;/b&gt;" in page, "<b>Ada</b>" in page
    (True, False)
    """
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Feedback {e(student['student_id'])}"
             f"</title><style>{_STYLE}</style></head><body>",
             f"<h1>Feedback for {e(student['name'])} ({e(student['student_id'])})</h1>"]
    for row in rows:
        total, top = _total(row)
        parts.append(f"<h2>{e(row['notebook'])}: {_fmt(total)} / {_fmt(top)} points</h2>")
        if row["failed"]:
            parts.append(f"<p>This notebook could not be graded fully: {e(row['failed'])}.</p>")
        parts.append("<table><tr><th>question</th><th>points</th><th>feedback</th></tr>")
        for o in _outcomes(row):
            cls = "ok" if o.correct else "no"
            text = e(o.message) + (f"<br><b>Hint:</b> {e(o.hint)}" if o.hint else "")
            answer = row["answers"].get(o.question)
            if answer is not None:
                text += f"<blockquote>{e(answer[:2000])}</blockquote>"
            parts.append(f"<tr><td>{e(o.question)}</td><td class='{cls}'>{_fmt(o.points)} / {_fmt(o.max_points)}"
                         f"</td><td>{text}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_feedback(data: dict[str, Any], folder: Path) -> list[Path]:
    """``feedback/<student_id>.md`` and ``.html`` for every roster student with a graded notebook.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> [p.name for p in write_feedback(data, folder)]
    ['s001.md', 's001.html']
    """
    out = folder / "feedback"
    out.mkdir(exist_ok=True)
    roster_ids = {s["student_id"] for s in data["roster"]}
    written = []
    for s in data["roster"]:
        rows = [r for r in data["rows"] if r["student_id"] == s["student_id"] and r["notebook"] in data["exercises"]
                and r["file"]]
        if not rows or s["student_id"] not in roster_ids:
            continue
        for suffix, text in ((".md", feedback_markdown(s, rows)), (".html", feedback_html(s, rows))):
            path = out / f"{s['student_id']}{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def write_marking(data: dict[str, Any], folder: Path, questions: dict[str, list[dict[str, Any]]]) -> list[Path]:
    """``marking/<notebook>.csv`` (fill in ``points`` and ``comment``) and ``.html`` (to read) per notebook.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> q3 = {"question": "q3", "status": "unmarked", "points": 0.0, "max_points": 2.0, "message": "", "hint": ""}
    >>> row["outcomes"].append(q3)
    >>> row["answers"]["q3"] = "Keep the gold customers."
    >>> forms = write_marking(data, folder, {"04_clv_npv": [{"id": "q3", "points": 2, "rubric": "names a tier"}]})
    >>> [p.name for p in forms], forms[0].read_text(encoding="utf-8").splitlines()[1]
    (['04_clv_npv.csv', '04_clv_npv.html'], 's001,Ada,q3,2,,,Keep the gold customers.')
    """
    out = folder / "marking"
    written = []
    for notebook, qs in questions.items():
        if not qs:
            continue
        rows = [r for r in data["rows"] if r["notebook"] == notebook and r["file"] and r["student_id"]]
        if not rows:
            continue
        out.mkdir(exist_ok=True)
        path = out / f"{notebook}.csv"
        _write_marking_form(path, qs, rows)
        written.append(path)
        html_path = out / f"{notebook}.html"
        html_path.write_text(_marking_page(notebook, qs, rows, folder), encoding="utf-8")
        written.append(html_path)
    return written


def _write_marking_form(path: Path, qs: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """The form to fill in: one line per question and student, with the answer and any mark given so far."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", "name", "question", "max_points", "points", "comment", "answer"])
        for q in qs:
            for r in rows:
                o = next((o for o in _outcomes(r) if o.question == q["id"]), None)
                points = "" if o is None or o.status == "unmarked" else _fmt(o.points)
                comment = "" if o is None or o.status == "unmarked" else o.message
                writer.writerow([csv_safe(r["student_id"]), csv_safe(r["name"]), q["id"], _fmt(q["points"]),
                                 points, csv_safe(comment), csv_safe(r["answers"].get(q["id"], ""))])


def _marking_page(notebook: str, qs: list[dict[str, Any]], rows: list[dict[str, Any]], folder: Path) -> str:
    """The answers to read, each with the student's data and the question's rubric (every value escaped)."""
    e = html.escape
    page = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Marking {e(notebook)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>Marking: {e(notebook)}</h1>"
            f"<p>Enter points and a comment per answer in <code>{e(notebook)}.csv</code> beside this page, "
            f"then run "
            f"<code>crmlib exercises marks {e(str(folder))}</code>.</p>"]
    for q in qs:
        page.append(f"<h2>{e(q['id'])} ({_fmt(q['points'])} points)</h2><p><b>Rubric:</b> {e(q['rubric'])}</p>")
        for r in rows:
            context = r.get("contexts", {}).get(q["id"], "")
            page.append(f"<h3>{e(r['name'])} ({e(r['student_id'])})</h3>"
                        f"<blockquote>{e(r['answers'].get(q['id'], '') or '(no answer)')}</blockquote>"
                        f"<details><summary>this student's data</summary><pre>{e(context)}</pre></details>")
    page.append("</body></html>\n")
    return "".join(page)


def write_log(data: dict[str, Any], folder: Path) -> Path:
    """``grading-log.txt``: the settings, the isolation, then every notebook that failed or was flagged, and why.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> row["flags"].append("incomplete")
    >>> log = write_log(data, folder).read_text(encoding="utf-8")
    >>> log.splitlines()[6:8]
    ['Notebooks that failed or were flagged: 1', '- s001/04_clv_npv.ipynb [s001, 04_clv_npv]: 0/2; flags: incomplete']
    """
    rows = data["rows"]
    problems = [r for r in rows if r["flags"] or r["failed"]]
    lines = _log_header(data)
    lines.append(f"Notebooks that failed or were flagged: {len(problems)}")
    for r in problems:
        lines += _log_problem(r)
    unmarked = sum(1 for r in rows for o in r["outcomes"] if o["status"] == "unmarked" and r["file"])
    lines += ["", f"Free-text answers awaiting marks: {unmarked} (marking/*.csv, then 'crmlib exercises marks')", "",
              "All notebooks:"]
    for r in rows:
        total, top = _total(r)
        lines.append(f"  {r['file'] or '-':50s} {r['student_id'] or '?':12s} {r['notebook']:28s} "
                     f"{_fmt(total):>5s}/{_fmt(top):<5s} {r['seconds']:6.1f} s")
    path = folder / LOG
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _log_header(data: dict[str, Any]) -> list[str]:
    """The log's first lines: what was graded, how long it took, the isolation, limits and hidden checks."""
    from crmlib.exercises.sandbox import ENFORCED

    rows = data["rows"]
    variant = f"on (variant seed {data['variant_seed']})" if data["variant_seed"] is not None else "off"
    return [f"crmlib exercises grade: {sum(1 for r in rows if r['file'])} notebooks of {len(data['roster'])} "
            f"students graded in {data['seconds']:.0f} s with -j {data['jobs']} "
            f"({time.strftime('%Y-%m-%d %H:%M:%S')})",
            f"isolation: {data['isolation']}: {ENFORCED[data['isolation']]}",
            f"limits: {json.dumps(data['settings'].get('limits', {}))}",
            "hidden variant check: " + variant,
            f"hidden checks file: {data['settings'].get('hidden') or 'none'}", ""]


def _log_problem(r: dict[str, Any]) -> list[str]:
    """The log's lines about one notebook that failed or was flagged: where, whose, score, flags and notes."""
    who = r["student_id"] or "?"
    where = r["file"] or f"(no file: {r['notebook']})"
    total, top = _total(r)
    lines = [f"- {where} [{who}, {r['notebook']}]: {_fmt(total)}/{_fmt(top)}; flags: {', '.join(r['flags']) or 'none'}"]
    if r["failed"]:
        lines.append(f"    failed: {r['failed']}")
    lines += [f"    {note}" for note in r["notes"]]
    return lines


def _text_questions(exercises: list[str]) -> dict[str, list[dict[str, Any]]]:
    from crmlib.exercises.sets import get_set

    out = {}
    for name in exercises:
        s = get_set(name)
        out[name] = [{"id": q.id, "points": q.points, "rubric": q.rubric} for q in s if q.kind == "text"]
    return out


def write_reports(data: dict[str, Any], folder: Path, *, marking: bool = True) -> None:
    """Write every file of a grades folder from the results data.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> outcome = {"question": "q1", "status": "wrong", "points": 0.0, "max_points": 2.0,
    ...            "message": "not yet: 300 is not the expected value.", "hint": "You did not discount."}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5, "answers": {}, "contexts": {},
    ...        "outcomes": [outcome]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_reports(data, folder, marking=False)
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['canvas.csv', 'feedback', 'gradebook.csv', 'grading-log.txt', 'moodle.csv', 'results.json']
    >>> read_results(folder)["rows"][0]["student_id"]
    's001'
    """
    folder = Path(folder)
    (folder / RESULTS).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_gradebook(data, folder)
    write_lms(data, folder)
    write_feedback(data, folder)
    if marking:
        write_marking(data, folder, _text_questions(data["exercises"]))
    write_log(data, folder)


def write_all(result: Any, folder: Path) -> None:
    """Write the grades folder of a grading run.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.exercises.grader import ClassResult, Graded
    >>> from crmlib.exercises.notebooks import Student
    >>> graded = Graded("s001", "Ada", "04_clv_npv", "s001/04_clv_npv.ipynb", seed=17,
    ...                 outcomes={"q1": Outcome("q1", "correct", 2.0, 2.0, "correct (248.7).")})
    >>> result = ClassResult(rows=[graded], roster=[Student("s001", "Ada", 17)], exercises=["04_clv_npv"],
    ...                      isolation="rlimits", variant_seed=None, seconds=3.0, jobs=1)
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_all(result, folder)
    >>> (folder / GRADEBOOK).read_text(encoding="utf-8").splitlines()[1]
    's001,Ada,04_clv_npv,2,2,2,'
    """
    write_reports(to_json(result), folder)


def merge_marks(folder: Path | str, *, force: bool = False) -> dict[str, int]:
    r"""Merge the marks and comments typed into ``marking/*.csv`` into the gradebook, LMS files and feedback.

    Empty ``points`` leave an answer unmarked. Every problem raises :class:`ExerciseError` naming the file and line.
    A gradebook, LMS file or feedback changed by hand since the kit wrote it is replaced only with ``force``.

    Returns
    -------
    dict
        ``{"marked": n, "unmarked": m}``.

    Examples
    --------
    A grading run wrote ``marking/04_clv_npv.csv`` for the free-text question q3; the instructor fills in points
    and a comment, then merges:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from crmlib.outputs import OutputFolder
    >>> q3 = {"question": "q3", "status": "unmarked", "points": 0.0, "max_points": 2.0, "message": "", "hint": ""}
    >>> row = {"student_id": "s001", "name": "Ada", "notebook": "04_clv_npv", "file": "s001/04_clv_npv.ipynb",
    ...        "seed": 17, "flags": [], "notes": [], "failed": "", "seconds": 2.5,
    ...        "answers": {"q3": "Keep the gold customers."}, "contexts": {}, "outcomes": [q3]}
    >>> data = {"format": "crmlib-grades-1", "isolation": "rlimits", "variant_seed": None, "seconds": 3.0,
    ...         "jobs": 1, "settings": {}, "exercises": ["04_clv_npv"], "rows": [row],
    ...         "roster": [{"student_id": "s001", "name": "Ada", "seed": 17}]}
    >>> grades = Path(tempfile.mkdtemp()) / "grades"
    >>> with OutputFolder(grades, "exercises-grade") as folder:
    ...     write_reports(data, folder.staging, marking=False)
    ...     _ = folder.path("marking/04_clv_npv.csv").write_text(
    ...         "student_id,name,question,max_points,points,comment,answer\n"
    ...         "s001,Ada,q3,2,1.5,Names a tier; say why.,Keep the gold customers.\n", encoding="utf-8")
    >>> merge_marks(grades)
    {'marked': 1, 'unmarked': 0}
    >>> (grades / GRADEBOOK).read_text(encoding="utf-8").splitlines()[1]
    's001,Ada,04_clv_npv,1.5,1.5,2,'
    """
    from crmlib.outputs import OutputFolder

    folder = Path(folder)
    data = read_results(folder)
    rows = {(r["student_id"], r["notebook"]): r for r in data["rows"] if r["file"]}
    marked = 0
    files = sorted((folder / "marking").glob("*.csv"))
    if not files:
        raise ExerciseError(f"{folder / 'marking'} holds no marking forms: this run had no free-text answers to mark.")
    for path in files:
        marked += _read_marking_form(path, rows)
    unmarked = sum(1 for r in rows.values() for o in r["outcomes"] if o["status"] == "unmarked")
    target = OutputFolder(folder, "exercises-marks", force=force, replaces=["exercises-grade"], option="--force",
                          scope=[RESULTS, GRADEBOOK, LOG, "canvas.csv", "moodle.csv", "feedback/*"])
    with target:
        write_reports(data, target.staging, marking=False)
        with (target.staging / LOG).open("a", encoding="utf-8") as fh:
            fh.write(f"\nmarks merged ({time.strftime('%Y-%m-%d %H:%M:%S')}): {marked} answers marked, {unmarked} "
                     "still unmarked.\n")
    return {"marked": marked, "unmarked": unmarked}


def _read_marking_form(path: Path, rows: dict[tuple[str, str], dict[str, Any]]) -> int:
    """Apply the marks of one ``marking/<notebook>.csv`` to the rows of the results; returns how many were marked."""
    notebook = path.stem
    marked = 0
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        need = {"student_id", "question", "points", "comment"}
        if not need <= set(reader.fieldnames or []):
            raise ExerciseError(f"{path} must keep its columns {', '.join(sorted(need))}.")
        for line, rec in enumerate(reader, start=2):
            sid, qid = (rec.get("student_id") or "").strip(), (rec.get("question") or "").strip()
            row = rows.get((sid, notebook))
            if row is None:
                raise ExerciseError(f"Line {line} of {path}: no graded notebook {notebook} of student {sid!r}.")
            outcome = next((o for o in row["outcomes"] if o["question"] == qid), None)
            if outcome is None:
                raise ExerciseError(f"Line {line} of {path}: {notebook} has no question {qid!r}.")
            marked += _apply_mark(outcome, rec, f"Line {line} of {path}", qid)
    return marked


def _apply_mark(outcome: dict[str, Any], rec: dict[str, Any], where: str, qid: str) -> int:
    """Mark one answer (1), or take a mark back when the points are emptied (0)."""
    from crmlib.outputs import restore_cell

    text = (rec.get("points") or "").strip()
    comment = str(restore_cell((rec.get("comment") or "").strip()))
    if not text:
        if outcome["status"] == "marked":  # a mark taken back: the answer awaits marks again
            outcome.update(status="unmarked", points=0.0, message="awaiting your instructor's marks.")
        return 0
    try:
        points = float(text.replace(",", "."))
    except ValueError:
        raise ExerciseError(f"{where}: points {text!r} is not a number.") from None
    if not 0 <= points <= outcome["max_points"]:
        raise ExerciseError(
            f"{where}: points {text} is outside 0 to {_fmt(outcome['max_points'])}, the points of {qid}."
        )
    outcome.update(status="marked", points=points, message=comment or "marked by your instructor.", hint="")
    return 1
