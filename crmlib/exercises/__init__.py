"""Exercises: instant checks by question id, per-student handouts, and a grader an instructor can trust.

For the student (in the exercise notebooks)::

    from crmlib import exercises as ex
    data = ex.load("04_clv_npv", seed)   # the student's own data
    ex.check("q1", npv_value)             # ✅, or ❌ with a hint at the mistake, never the right number

For the instructor (``crmlib exercises --help``)::

    crmlib exercises build --roster roster.csv --out handout/   # one folder per student, id and seed inside
    crmlib exercises release handout/ --out upload/             # a zip per student for the LMS
    crmlib exercises grade submissions/ --roster roster.csv --out grades/ -j 4
    crmlib exercises marks grades/                              # merge the marks of the free-text questions

The pieces: :mod:`~crmlib.exercises.model` (what a set and a question are), :mod:`~crmlib.exercises.sets` (the
answer keys, one module per notebook), :mod:`~crmlib.exercises.scoring` (one scoring rule for checks and grader),
:mod:`~crmlib.exercises.student` (``load``, ``check``), :mod:`~crmlib.exercises.notebooks` (sources, student versions,
roster, handouts, release), :mod:`~crmlib.exercises.sandbox` (running a submission isolated),
:mod:`~crmlib.exercises.grader` (grading a class), :mod:`~crmlib.exercises.reports` (gradebook, LMS files, feedback,
marking forms), :mod:`~crmlib.exercises.command` (the command line). The instructor guide is
``exercises/README.md``.
"""

from __future__ import annotations

from typing import Any

from crmlib.exercises.model import ExerciseError, ExerciseSet, Given, Key, Question
from crmlib.exercises.scoring import Outcome
from crmlib.exercises.student import check, load

__all__ = ["ExerciseError", "ExerciseSet", "Given", "Key", "Outcome", "Question", "check", "cli", "load"]


def cli(argv: list[str]) -> int:
    """``crmlib exercises ...``: the instructor's command line (see :mod:`crmlib.exercises.command`).

    Examples
    --------
    Without an action it shows its help and returns 2:

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as shown:
    ...     code = cli([])
    >>> code, shown.getvalue().splitlines()[0]
    (2, 'usage: crmlib exercises [-h] ACTION ...')
    """
    from crmlib.exercises.command import main

    return main(argv)


def __getattr__(name: str) -> Any:
    # The heavier parts load on first use, so a student's ``from crmlib import exercises`` stays light.
    import importlib

    for module in ("notebooks", "grader", "reports", "sandbox", "sets", "command", "folders", "runner"):
        if name == module:
            return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
