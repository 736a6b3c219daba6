"""The answer keys of the kit's exercise sets: one module per exercise notebook.

Each module defines ``SET``, an :class:`crmlib.exercises.model.ExerciseSet` named after its notebook
(``exercises/source/<name>.ipynb``). The grader hides this package from the submissions it runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from crmlib.exercises.model import ExerciseError, ExerciseSet


@cache
def all_sets() -> dict[str, ExerciseSet]:
    """Every exercise set of the kit, by notebook name, in order.

    Examples
    --------
    >>> sets = all_sets()
    >>> "04_clv_npv" in sets, sets["04_clv_npv"].question("q1").kind
    (True, 'number')
    """
    found: dict[str, ExerciseSet] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        exercise = getattr(module, "SET", None)
        if isinstance(exercise, ExerciseSet):
            found[exercise.name] = exercise
    return dict(sorted(found.items()))


def get_set(name: str) -> ExerciseSet:
    """The exercise set of the notebook ``name`` (``"04_clv_npv"``).

    Examples
    --------
    >>> get_set("04_clv_npv").title
    'Customer lifetime value and customer equity'
    >>> get_set("99_none")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlib.exercises.model.ExerciseError: There is no exercise set '99_none'; the kit has 00_start_here, ...
    """
    sets = all_sets()
    if name not in sets:
        raise ExerciseError(f"There is no exercise set {name!r}; the kit has {', '.join(sets)}.")
    return sets[name]
