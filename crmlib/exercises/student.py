"""What a student's notebook calls: :func:`load` for the data, :func:`check` for instant feedback.

::

    from crmlib import exercises as ex
    data = ex.load("04_clv_npv", seed)      # the student's own data
    ...
    ex.check("q1", npv_value)                # ✅ or ❌ with a hint at the mistake

The right answer is computed here, from the seed, by the exercise set's answer key; the notebook never holds it,
and the check shows whether the answer is right and what the likely mistake is, never the right number. The grader
does not use these checks: it runs the answer cells in a sandbox where :func:`load` serves the data it was given and
:func:`check` does nothing, and scores the answers in its own process.
"""

from __future__ import annotations

from typing import Any

from crmlib.exercises.model import ExerciseError, Given, Key
from crmlib.exercises.scoring import Outcome, answer_record, evaluate

_loaded: dict[tuple[str, int], tuple[Any, Given, dict[str, Key]]] = {}
_current: list[tuple[str, int]] = []
_served: dict[str, Given] = {}


def serve(exercise: str, data: Given) -> None:
    """For the grader's sandbox only: from now on :func:`load` returns ``data`` and :func:`check` does nothing.

    Parameters
    ----------
    exercise : the exercise notebook's name.
    data : the data the grader computed for the student's seed.

    Examples
    --------
    >>> data = load("04_clv_npv", 3)
    >>> serve("04_clv_npv", data)
    >>> load("04_clv_npv", 999)["retention"] == data["retention"]  # the served data, whatever the seed
    True
    >>> check("q1", 0.0) is None  # and no checks
    True
    >>> _served.clear()  # back to a student's session (the sandbox of the grader ends instead)
    """
    _served.clear()
    _served[exercise] = data


def load(exercise: str, seed: int) -> Given:
    """The data of one exercise notebook for one seed (a dict whose keys also read as attributes).

    Parameters
    ----------
    exercise : the notebook's name, ``"04_clv_npv"``.
    seed : the student's data seed (an integer, written in the notebook by the instructor's handout).

    Returns
    -------
    Given
        A fresh copy: changing it changes neither the checks nor the grading.

    Examples
    --------
    >>> data = load("04_clv_npv", 3)
    >>> sorted(data)[:3]
    ['acquisition_cost', 'base', 'cashflows']
    """
    if _served:
        if exercise not in _served:
            raise ExerciseError(f"Only the data of {', '.join(_served)} can be loaded while grading.")
        return _served[exercise].copy()
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            import numpy as np

            ok = isinstance(seed, np.integer)
        except ImportError:  # pragma: no cover
            ok = False
        if not ok:
            raise ExerciseError(f"The seed must be a whole number; got {seed!r}. Keep the seed cell as it was "
                                "handed out.")
    from crmlib.exercises.sets import get_set

    exercise_set = get_set(exercise)
    key = (exercise, int(seed))
    if key not in _loaded:
        _loaded[key] = (exercise_set, exercise_set.data(int(seed)), {})
    _current[:] = [key]
    return _loaded[key][1].copy()


def _show(outcome: Outcome) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display({"text/markdown": outcome.text(), "text/plain": outcome.text()}, raw=True)
    else:
        print(outcome.text())


def check(question: str, answer: Any) -> Outcome | None:
    """Check one answer against the data of the last :func:`load` and show the result.

    Parameters
    ----------
    question : the question id, ``"q1"``.
    answer : the student's answer (the variable named in the question).

    Returns
    -------
    Outcome or None
        The result (shown already); ``None`` while grading, where checks do nothing.

    Examples
    --------
    >>> data = load("04_clv_npv", 3)
    >>> from crmlib import clv
    >>> result = check("q2", clv.expected_lifetime(data.retention))  # doctest: +ELLIPSIS
    ✅ **q2** (1/1 points): correct (...
    >>> result = check("q2", 1 / data.retention)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    ❌ **q2** (0/1 points): not yet: ... is not the expected value.
    Hint: You divided by the retention rate; ...
    """
    if _served:
        return None
    if not _current:
        raise ExerciseError("Run the setup cell at the top of the notebook first: it loads your data (ex.load).")
    exercise_set, data, keys = _loaded[_current[0]]
    q = exercise_set.question(question)
    if q.kind == "text":
        outcome = Outcome(q.id, "unmarked", 0.0, q.points, "your instructor marks this answer.")
    else:
        if q.id not in keys:
            keys[q.id] = q.key(data)
        outcome = evaluate(q, keys[q.id], answer_record(answer))
    _show(outcome)
    return outcome
