"""Former home of the time units, kept so that older notebooks keep running: use :mod:`crmlib.params`.

``crmlib.params`` holds :data:`~crmlib.params.UNIT_DAYS`, :data:`~crmlib.params.UNIT_NAMES`,
:func:`~crmlib.params.unit_days` and :func:`~crmlib.params.periods_per_year` (the same objects as here). New code
imports them from there; tests/test_import_rules.py lists the modules and notebooks that still use this one.

>>> from crmlib import _units, params
>>> _units.unit_days is params.unit_days
True
"""

from __future__ import annotations

from crmlib.params import UNIT_DAYS, UNIT_NAMES, periods_per_year, unit_days

__all__ = ["UNIT_DAYS", "UNIT_NAMES", "periods_per_year", "unit_days"]
