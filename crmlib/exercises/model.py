"""What an exercise set is: its data from a seed, and its questions with their answer keys.

An exercise set lives in one module of :mod:`crmlib.exercises.sets` and pairs with the instructor notebook
``exercises/source/<name>.ipynb`` (the question texts and the model solutions). The module holds what the notebook
must never show: how the right answer and the likely mistakes are computed from the student's data::

    SET = ExerciseSet("04_clv_npv", "Customer lifetime value and customer equity", given)

    @SET.number("q1", variable="npv_value", points=2)
    def q1(cashflows, discount_rate):
        return Key(clv.npv(cashflows, discount_rate),
                   mistakes={"You did not discount the cash flows.": cashflows.sum()})

A question function names the data it reads as its parameters (the keys of ``given(seed)``) and returns a
:class:`Key`. The same key serves the student's instant check (:func:`crmlib.exercises.check`) and the grader,
which computes it in its own process from the seed, never from anything a submission defines.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["number", "choice", "text"]


class ExerciseError(ValueError):
    """An exercise, a roster or a submission cannot be used as given; the message says why and what to do."""


class Given(dict):
    """The data of one student's exercise notebook: a dict whose keys also read as attributes.

    Examples
    --------
    >>> g = Given(margin=100.0, retention=0.8)
    >>> g.margin, g["retention"]
    (100.0, 0.8)
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def copy(self) -> Given:
        """A deep copy: the student may change their copy without changing the grader's."""
        return Given(copy.deepcopy(dict(self)))


@dataclass(frozen=True)
class Key:
    """The answer key of one question for one student's data.

    Parameters
    ----------
    expected : the right answer (a number, or one of the choices). Unused for text questions.
    mistakes : for a number question, ``{hint: wrong value}``: each likely mistake computed the wrong way from
        the same data; an answer matching one gets that hint. For a choice question, ``{wrong choice: hint}``.
        A hint says what went wrong, never the right number.
    explain : one sentence shown with a right answer.
    choices : the allowed answers of a choice question, when they depend on the data.
    context : for a text question, what the marker should see of this student's data (Markdown).
    """

    expected: Any = None
    mistakes: Mapping[Any, Any] = field(default_factory=dict)
    explain: str = ""
    choices: tuple[Any, ...] | None = None
    context: str = ""


@dataclass(frozen=True)
class Question:
    """One question of an exercise set.

    Parameters
    ----------
    id : ``"q1"``, ``"q2"``, ...: the name the notebook's cells, the gradebook and the feedback use.
    kind : ``"number"`` (compared with a tolerance), ``"choice"`` (one of a list) or ``"text"`` (free text, marked
        by the instructor).
    points : the most the question can score.
    compute : the function returning the :class:`Key`; its parameter names are keys of the set's data.
    variable : the notebook variable that holds the answer (number and choice questions).
    choices : the allowed answers of a choice question (or ``None`` when the key gives them).
    rtol, atol : relative and absolute tolerance of a number question (``math.isclose``).
    unit : printed after a number.
    variant : the grader also runs the answer code on other data (a hidden check): a number typed in rather than
        computed fails there. Off for choices a student may reason out by reading the data.
    words : for a text question, the suggested length (fewest, most words).
    rubric : for a text question, what a full-mark answer contains (shown to the marker only).

    Examples
    --------
    >>> q = Question("q1", "number", 2.0, lambda margin, retention: Key(margin * retention), variable="kept")
    >>> q.key({"margin": 100.0, "retention": 0.8, "seed": 3}).expected
    80.0
    """

    id: str
    kind: Kind
    points: float
    compute: Callable[..., Key]
    variable: str | None = None
    choices: tuple[Any, ...] | None = None
    rtol: float = 1e-3
    atol: float = 1e-6
    unit: str = ""
    variant: bool = True
    words: tuple[int, int] = (40, 250)
    rubric: str = ""

    def key(self, given: Mapping[str, Any]) -> Key:
        """The answer key of this question for the data ``given``."""
        names = list(inspect.signature(self.compute).parameters)
        missing = [n for n in names if n not in given]
        if missing:
            raise ExerciseError(f"Question {self.id} reads {', '.join(missing)}, which the set's data do not have.")
        key = self.compute(**{n: given[n] for n in names})
        if not isinstance(key, Key):
            raise ExerciseError(f"The answer key of question {self.id} must be a Key; got {type(key).__name__}.")
        return key


@dataclass
class ExerciseSet:
    """The questions of one exercise notebook and the function that makes its data from a seed.

    Parameters
    ----------
    name : the notebook's stem, ``"04_clv_npv"``.
    title : the title after ``Exercises · NN ·``.
    given : ``seed -> dict`` of the data the notebook shows (the same for the student and the grader).

    Examples
    --------
    Questions are registered by decorating their key functions, whose parameters name the data they read:

    >>> ex = ExerciseSet("99_demo", "A demo", lambda seed: {"margin": 100.0 + seed, "retention": 0.8})
    >>> @ex.number("q1", variable="kept", points=2)
    ... def q1(margin, retention):
    ...     return Key(margin * retention, {"You forgot the retention.": margin})
    >>> @ex.choice("q2", variable="tier", choices=["gold", "lead"])
    ... def q2(margin):
    ...     return Key("gold" if margin > 50 else "lead")
    >>> @ex.text("q3", rubric="names the retention rate")
    ... def q3(retention):
    ...     return Key(context=f"retention {retention:.0%}")
    >>> data = ex.data(0)
    >>> data.margin, ex.question("q1").key(data).expected, ex.max_points
    (100.0, 80.0, 5.0)
    >>> [q.kind for q in ex]
    ['number', 'choice', 'text']
    """

    name: str
    title: str
    given: Callable[[int], Mapping[str, Any]]
    questions: dict[str, Question] = field(default_factory=dict)

    def data(self, seed: int) -> Given:
        """The data of the student with this seed."""
        return Given(self.given(int(seed)))

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions.values())

    def question(self, qid: str) -> Question:
        """The question ``qid``; an :class:`ExerciseError` names the questions there are."""
        try:
            return self.questions[qid]
        except KeyError:
            known = ", ".join(self.questions)
            raise ExerciseError(f"Exercise {self.name} has no question {qid!r}; its questions are {known}.") from None

    @property
    def max_points(self) -> float:
        """The most the set can score."""
        return float(sum(q.points for q in self))

    def _add(self, question: Question) -> Callable[..., Key]:
        if question.id in self.questions:
            raise ExerciseError(f"Exercise {self.name} defines question {question.id} twice.")
        self.questions[question.id] = question
        return question.compute

    def number(self, qid: str, *, variable: str, points: float = 1, rtol: float = 1e-3, atol: float = 1e-6,
               unit: str = "", variant: bool = True) -> Callable[[Callable[..., Key]], Callable[..., Key]]:
        """Register a number question (a decorator on its key function)."""
        def wrap(func: Callable[..., Key]) -> Callable[..., Key]:
            return self._add(Question(qid, "number", float(points), func, variable, None, rtol, atol, unit, variant))
        return wrap

    def choice(self, qid: str, *, variable: str, choices: tuple[Any, ...] | list[Any] | None = None,
               points: float = 1, variant: bool = False) -> Callable[[Callable[..., Key]], Callable[..., Key]]:
        """Register a choice question (a decorator on its key function)."""
        def wrap(func: Callable[..., Key]) -> Callable[..., Key]:
            options = tuple(choices) if choices is not None else None
            return self._add(Question(qid, "choice", float(points), func, variable, options, variant=variant))
        return wrap

    def text(self, qid: str, *, points: float = 2, words: tuple[int, int] = (40, 250),
             rubric: str = "") -> Callable[[Callable[..., Key]], Callable[..., Key]]:
        """Register a free-text question marked by the instructor (a decorator on its context function)."""
        def wrap(func: Callable[..., Key]) -> Callable[..., Key]:
            return self._add(Question(qid, "text", float(points), func, variant=False, words=words, rubric=rubric))
        return wrap


def markdown_table(frame: Any, digits: int = 2) -> str:
    """A small table (DataFrame or Series) as Markdown, numbers rounded: what a marker reads beside an answer.

    Examples
    --------
    >>> import pandas as pd
    >>> print(markdown_table(pd.DataFrame({"clv": [1.234, 5.0]}, index=["a", "b"])))
    |  | clv |
    | --- | --- |
    | a | 1.23 |
    | b | 5 |
    """
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame()

    def cell(x: Any) -> str:
        if isinstance(x, float):
            return f"{round(x, digits):,.{digits}f}".rstrip("0").rstrip(".")
        return str(x).replace("|", "/")

    lines = ["| " + " | ".join([str(frame.index.name or "")] + [cell(c) for c in frame.columns]) + " |",
             "| " + " | ".join(["---"] * (len(frame.columns) + 1)) + " |"]
    for label, row in frame.iterrows():
        lines.append("| " + " | ".join([cell(label)] + [cell(v) for v in row.tolist()]) + " |")
    return "\n".join(lines)
