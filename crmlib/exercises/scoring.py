"""How one answer is scored against its key: the same rule for the student's instant check and for the grader.

An answer crosses from a student's process to the grader as a small JSON *record* (:func:`answer_record`): a
number, a short text, or the type and a short description of anything else. The grader never receives an object
of the student's, so no method a student defines runs where the score is computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from crmlib.exercises.model import Key, Question

#: Longest text kept from an answer (characters).
MAX_TEXT = 20_000


@dataclass
class Outcome:
    """The result of one question: what the gradebook records and what the student reads.

    ``status`` is one of ``correct``, ``wrong``, ``invalid`` (an answer of the wrong type), ``missing`` (no answer),
    ``error`` (the answer cell failed), ``variant`` (right for the student's data, wrong on other data),
    ``hidden`` (an instructor's hidden check failed), ``unmarked`` and ``marked`` (text questions).

    Examples
    --------
    >>> outcome = Outcome("q1", "wrong", 0.0, 2.0, "not yet: 300 is not the expected value.", "You did not discount.")
    >>> outcome.correct
    False
    >>> outcome.text().splitlines()
    ['❌ **q1** (0/2 points): not yet: 300 is not the expected value.  ', 'Hint: You did not discount.']
    """

    question: str
    status: str
    points: float
    max_points: float
    message: str
    hint: str = ""

    @property
    def correct(self) -> bool:
        """Whether the question scored its full points."""
        return self.points >= self.max_points > 0

    def text(self) -> str:
        """One Markdown line for the student."""
        mark = "✅" if self.correct else ("📝" if self.status in ("unmarked", "marked") else "❌")
        line = f"{mark} **{self.question}** ({self.points:g}/{self.max_points:g} points): {self.message}"
        if self.hint:
            line += f"  \nHint: {self.hint}"
        return line

    def _ipython_display_(self) -> None:
        """Nothing: :func:`crmlib.exercises.check` has shown the result already."""


def answer_record(value: Any) -> dict[str, Any]:
    """The JSON-safe record of an answer, made where the answer was computed.

    Examples
    --------
    >>> answer_record(2.5), answer_record("gold")
    ({'type': 'number', 'value': 2.5}, {'type': 'text', 'value': 'gold'})
    >>> answer_record([1, 2])["type"]
    'other'
    """
    if isinstance(value, bool) or value is None:
        return {"type": "other", "name": type(value).__name__, "repr": repr(value)}
    if isinstance(value, str):
        return {"type": "text", "value": str(value)[:MAX_TEXT]}
    try:
        import numpy as np

        if isinstance(value, np.str_):
            return {"type": "text", "value": str(value)[:MAX_TEXT]}
        if isinstance(value, np.bool_):
            return {"type": "other", "name": "bool", "repr": repr(bool(value))}
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            value = value.reshape(-1)[0]
        if isinstance(value, (int, float, np.integer, np.floating)):
            number = float(value)
            if math.isfinite(number):
                return {"type": "number", "value": number}
            return {"type": "other", "name": "float", "repr": repr(number)}
    except Exception:  # an object whose conversion fails is described, not trusted
        pass
    try:
        shown = repr(value)
    except Exception:
        shown = "?"
    return {"type": "other", "name": type(value).__name__[:60], "repr": shown[:120]}


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


def _norm(x: Any) -> Any:
    return x.strip().lower() if isinstance(x, str) else x


def _as_number(x: Any) -> float | None:
    rec = answer_record(x)
    return rec["value"] if rec["type"] == "number" else None


def evaluate(question: Question, key: Key, record: dict[str, Any] | None) -> Outcome:
    """Score one answer record against its key (number and choice questions).

    Parameters
    ----------
    question : the question.
    key : its key for the student's data.
    record : the answer as made by :func:`answer_record`; ``None`` when there is none.

    Returns
    -------
    Outcome
        Points are 0 or the question's points, never more. A wrong answer that matches a likely mistake gets that
        mistake's hint; the message never shows the right answer.

    Examples
    --------
    >>> from crmlib.exercises.model import Key, Question
    >>> q = Question("q1", "number", 2.0, lambda: Key(), variable="npv")
    >>> evaluate(q, Key(248.685, {"You did not discount.": 300.0}), answer_record(248.69)).points
    2.0
    >>> evaluate(q, Key(248.685, {"You did not discount.": 300.0}), answer_record(300)).hint
    'You did not discount.'
    """
    top = float(question.points)
    if record is None:
        return Outcome(question.id, "missing", 0.0, top, "no answer.",
                       f"Assign your answer to `{question.variable}`." if question.variable else "")
    if question.kind == "number":
        return _evaluate_number(question, key, record)
    if question.kind == "choice":
        return _evaluate_choice(question, key, record)
    raise ValueError(f"Question {question.id} is a {question.kind} question; it is marked by the instructor.")


def _evaluate_number(question: Question, key: Key, record: dict[str, Any]) -> Outcome:
    """A number question: right within the question's tolerance, else wrong with the likely mistake's hint."""
    top = float(question.points)
    if record.get("type") != "number":
        got = f"text {record.get('value', '')[:40]!r}" if record.get("type") == "text" else \
            f"{record.get('repr', '?')} ({record.get('name', '?')})"
        return Outcome(question.id, "invalid", 0.0, top, f"the answer should be a number; got {got}.",
                       "Assign a single number (not a list, text or None) to the answer variable.")
    value = float(record["value"])
    suffix = f" {question.unit}" if question.unit else ""
    expected = float(key.expected)
    if _close(value, expected, question.rtol, question.atol):
        return Outcome(question.id, "correct", top, top, f"correct ({value:,.6g}{suffix}). {key.explain}".strip())
    hint = _mistake_hint(question, key, value) or _generic_hint(question, value, expected)
    message = f"not yet: {value:,.6g}{suffix} is not the expected value."
    return Outcome(question.id, "wrong", 0.0, top, message, hint)


def _mistake_hint(question: Question, key: Key, value: float) -> str:
    """The hint of the first listed mistake whose value the answer matches, or empty."""
    for text, wrong in key.mistakes.items():
        wrong_value = _as_number(wrong)
        if wrong_value is not None and _close(value, wrong_value, question.rtol, question.atol):
            return str(text)
    return ""


def _generic_hint(question: Question, value: float, expected: float) -> str:
    """A hint for a wrong number no listed mistake explains: the sign, a factor of 100, or the formula."""
    if expected != 0 and _close(abs(value), abs(expected), question.rtol, question.atol):
        return "The size is right but the sign is not."
    if expected != 0 and any(_close(value, expected * k, question.rtol, question.atol) for k in (100, 0.01)):
        return "Off by a factor of 100: a percentage where a share (0-1) was expected, or the other way round."
    return "Recompute step by step and compare with the formula in the chapter."


def _choice_answer(record: dict[str, Any], options: Any) -> Any:
    """The answer to compare with the options: a text, a number when the options are numbers, else None."""
    if record.get("type") == "number" and options and any(isinstance(o, (int, float)) for o in options):
        return record["value"]
    if record.get("type") == "text":
        return record["value"]
    return None


def _evaluate_choice(question: Question, key: Key, record: dict[str, Any]) -> Outcome:
    """A choice question: one of the options (case and surrounding blanks ignored), right or wrong with a hint."""
    top = float(question.points)
    options = key.choices if key.choices is not None else question.choices
    answer = _choice_answer(record, options)
    listed = ", ".join(repr(c) for c in options or ())
    if answer is None or (options is not None and _norm(answer) not in [_norm(c) for c in options]):
        shown = repr(answer) if answer is not None else record.get("repr", "?")
        return Outcome(question.id, "invalid", 0.0, top, f"{str(shown)[:60]} is not one of the choices.",
                       f"Choose one of {listed}.")
    if _norm(answer) == _norm(key.expected):
        return Outcome(question.id, "correct", top, top, f"correct ({answer}). {key.explain}".strip())
    hint = next((str(h) for wrong, h in key.mistakes.items() if _norm(wrong) == _norm(answer)), "")
    return Outcome(question.id, "wrong", 0.0, top, f"not yet: {answer!r} is not the best answer.",
                   hint or "Reread the definitions in the chapter.")
