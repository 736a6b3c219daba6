"""Validation of parameters, for crmlib's functions and for the chapters' ``parameters`` cells.

Every check raises :class:`ParameterError` (a ``ValueError``) with one sentence in the style of
scikit-learn: which parameter, of what, what it must be, what it got, e.g.
``The 'discount_rate' parameter of retention_clv must be a number in [0, 1). Got 1.5 instead.``

The chapters call these right after their ``parameters`` cell, so a bad value given through
papermill or ``crmlib run -p name=value`` stops the chapter with that sentence.

The time units every duration and rate of the kit is expressed in live here too, with the check of the ``unit``
parameter: ``"D"`` days, ``"W"`` weeks (days / 7), ``"M"`` months (days / 30.4375, the mean Gregorian month) and
``"Y"`` years (days / 365.25); see :data:`UNIT_DAYS`, :func:`unit_days` and :func:`periods_per_year`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

if TYPE_CHECKING:  # pandas is imported inside check_date: `import crmlib.params` stays light
    import datetime

    import numpy as np
    import pandas as pd

#: What a date parameter accepts: text such as ``"2024-01-31"``, a ``datetime.date`` or ``datetime``, a
#: ``numpy.datetime64`` or a ``pandas.Timestamp`` (read by :func:`check_date`, kept to the calendar day).
DateLike: TypeAlias = "str | datetime.date | np.datetime64 | pd.Timestamp"

__all__ = [
    "DateLike",
    "UNIT_DAYS",
    "UNIT_NAMES",
    "ParameterError",
    "check_choice",
    "check_date",
    "check_number",
    "check_path",
    "check_text",
    "check_unit",
    "periods_per_year",
    "unit_days",
]

#: Length of one time unit in days: ``"D"`` days, ``"W"`` weeks, ``"M"`` months (the mean Gregorian month,
#: 365.25 / 12 days) and ``"Y"`` years (365.25 days).
UNIT_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 30.4375, "Y": 365.25}
#: The name of each time unit, for labels and messages.
UNIT_NAMES: dict[str, str] = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}


class ParameterError(ValueError):
    """A parameter has a value the function or chapter cannot use. The message says which and why."""


def _where(func: str | None) -> str:
    return f" of {func}" if func else ""


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    if low is None:
        left = "("
    if high is None:
        right = ")"
    return f"{left}{lo}, {hi}{right}"


@overload
def check_number(
    value: Any,
    name: str,
    *,
    func: str | None = ...,
    low: float | None = ...,
    high: float | None = ...,
    low_open: bool = ...,
    high_open: bool = ...,
    integer: Literal[False] = ...,
    hint: str = ...,
) -> float: ...
@overload
def check_number(
    value: Any,
    name: str,
    *,
    func: str | None = ...,
    low: float | None = ...,
    high: float | None = ...,
    low_open: bool = ...,
    high_open: bool = ...,
    integer: Literal[True],
    hint: str = ...,
) -> int: ...
@overload
def check_number(
    value: Any,
    name: str,
    *,
    func: str | None = ...,
    low: float | None = ...,
    high: float | None = ...,
    low_open: bool = ...,
    high_open: bool = ...,
    integer: bool,
    hint: str = ...,
) -> float | int: ...
def check_number(
    value: Any,
    name: str,
    *,
    func: str | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    hint: str = "",
) -> float | int:
    """Return ``value`` as a float (or int) if it is a finite number within the interval.

    >>> check_number(0.8, "retention", low=0, high=1, high_open=True)
    0.8
    >>> check_number(1.5, "discount_rate", func="retention_clv", low=0, high=1, high_open=True)
    Traceback (most recent call last):
    ...
    crmlib.params.ParameterError: The 'discount_rate' parameter of retention_clv must be a number in [0, 1). Got 1.5 ...
    """
    kind = "an integer" if integer else "a number"
    rng = "" if low is None and high is None else f" in {_interval(low, high, low_open, high_open)}"
    message = f"The {name!r} parameter{_where(func)} must be {kind}{rng}. Got {value!r} instead."
    if hint:
        message += " " + hint
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(message)
    if integer and not float(value).is_integer():
        raise ParameterError(message)
    number = float(value)
    if not math.isfinite(number):
        raise ParameterError(message)
    if low is not None and (number < low or (low_open and number == low)):
        raise ParameterError(message)
    if high is not None and (number > high or (high_open and number == high)):
        raise ParameterError(message)
    return int(number) if integer else number


def check_choice(value: Any, name: str, choices: Iterable[Any], *, func: str | None = None) -> Any:
    """Return ``value`` if it is one of ``choices``.

    >>> check_choice("net", "returns", ("net", "drop", "keep"))
    'net'
    """
    choices = tuple(choices)
    if value in choices:
        return value
    listed = ", ".join(repr(c) for c in choices)
    raise ParameterError(f"The {name!r} parameter{_where(func)} must be one of {listed}. Got {value!r} instead.")


def check_unit(value: Any, name: str = "unit", *, func: str | None = None) -> str:
    """Return the time unit upper-cased ("D", "W", "M" or "Y").

    >>> check_unit("w")
    'W'
    """
    if isinstance(value, str) and value.upper() in UNIT_DAYS:
        return value.upper()
    raise ParameterError(
        f"The {name!r} parameter{_where(func)} must be one of 'D' (days), 'W' (weeks), "
        f"'M' (months) or 'Y' (years). Got {value!r} instead."
    )


def check_path(value: Any, name: str = "data_path", *, func: str | None = None, allow_none: bool = True) -> Path | None:
    """Return the path of an existing file, or ``None`` (the bundled data) when allowed.

    >>> check_path(None) is None
    True
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if allow_none:
            return None
        raise ParameterError(f"The {name!r} parameter{_where(func)} must be the path of a file. Got {value!r} instead.")
    if not isinstance(value, (str, Path)):
        raise ParameterError(
            f"The {name!r} parameter{_where(func)} must be a file path (text) or None for the bundled data. "
            f"Got {value!r} instead."
        )
    path = Path(value).expanduser()
    if path.is_dir():
        raise ParameterError(
            f"The {name!r} parameter{_where(func)} must be a file, but {str(path)!r} is a folder. "
            "Give the path of the transaction file inside it."
        )
    if not path.exists():
        raise ParameterError(
            f"The {name!r} parameter{_where(func)} names a file that does not exist: {str(path)!r}. "
            "Check the path (relative paths start from the notebook's folder), or use None for the bundled data."
        )
    return path


@overload
def check_date(value: Any, name: str, *, func: str | None = ..., allow_none: Literal[False]) -> pd.Timestamp: ...
@overload
def check_date(value: Any, name: str, *, func: str | None = ..., allow_none: bool = ...) -> pd.Timestamp | None: ...
def check_date(value: Any, name: str, *, func: str | None = None, allow_none: bool = True) -> pd.Timestamp | None:
    """Return ``value`` as a ``pandas.Timestamp`` (day resolution), or ``None`` when allowed.

    >>> check_date("2024-01-31", "calibration_end")
    Timestamp('2024-01-31 00:00:00')
    """
    import pandas as pd

    if value is None:
        if allow_none:
            return None
        raise ParameterError(
            f"The {name!r} parameter{_where(func)} must be a date such as '2024-01-31'. Got None instead."
        )
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or stamp is pd.NaT:
        raise ParameterError(
            f"The {name!r} parameter{_where(func)} must be a date such as '2024-01-31'. Got {value!r} instead."
        )
    return stamp.normalize()


def check_text(value: Any, name: str, *, func: str | None = None) -> str:
    """Return ``value`` if it is a non-empty string (a column name, a label).

    >>> check_text("customer_id", "customer_col")
    'customer_id'
    """
    if isinstance(value, str) and value.strip():
        return value
    raise ParameterError(f"The {name!r} parameter{_where(func)} must be a non-empty text. Got {value!r} instead.")


def unit_days(unit: str) -> float:
    r"""Length of one ``unit`` in days.

    .. math:: d(\text{D}) = 1,\; d(\text{W}) = 7,\; d(\text{M}) = 365.25 / 12 = 30.4375,\;
              d(\text{Y}) = 365.25

    A duration of ``n`` days is ``n / unit_days(unit)`` units (the kit's convention, see the README).

    Parameters
    ----------
    unit : str
        ``"D"``, ``"W"``, ``"M"`` or ``"Y"`` (either case).

    Returns
    -------
    float
        Days per unit.

    Raises
    ------
    ParameterError
        If ``unit`` is not one of the four.

    Examples
    --------
    >>> unit_days("W")
    7.0
    >>> 61 / unit_days("M")  # 61 days in months
    2.004106776180698
    """
    return UNIT_DAYS[check_unit(unit)]


def periods_per_year(unit: str) -> float:
    r"""How many ``unit`` periods make one year of 365.25 days.

    .. math:: n(\text{unit}) = 365.25 / d(\text{unit})

    Parameters
    ----------
    unit : str
        ``"D"``, ``"W"``, ``"M"`` or ``"Y"`` (either case).

    Returns
    -------
    float
        Periods per year (12 for months, about 52.18 for weeks).

    Examples
    --------
    >>> round(periods_per_year("W"), 4)
    52.1786
    >>> periods_per_year("M")
    12.0
    """
    return 365.25 / unit_days(unit)
