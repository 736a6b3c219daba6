"""Time units shared by every module.

Durations are measured in days and expressed in a unit: ``"D"`` days, ``"W"`` weeks (days / 7),
``"M"`` months (days / 30.4375, the mean Gregorian month) and ``"Y"`` years (days / 365.25).
"""

from __future__ import annotations

UNIT_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 30.4375, "Y": 365.25}
UNIT_NAMES: dict[str, str] = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}


def unit_days(unit: str) -> float:
    """Length of one ``unit`` in days.

    >>> unit_days("W")
    7.0
    """
    from crmlib.params import check_unit

    return UNIT_DAYS[check_unit(unit)]


def periods_per_year(unit: str) -> float:
    """How many ``unit`` periods make one year of 365.25 days.

    >>> round(periods_per_year("W"), 4)
    52.1786
    """
    return 365.25 / unit_days(unit)
