"""Interactive explorers for the chapters, built with ipywidgets on crmlib's functions.

Widgets compute nothing of their own: each control calls a function of the computation modules and
redraws with :mod:`crmlib.plot`. Every explorer returns the widget (display it as a cell's last
expression) and exposes its controls as attributes so tests and the browser suite can drive them.
"""

from __future__ import annotations

from crmlib.widgets._base import *  # noqa: F403  (the shared Explorer)
from crmlib.widgets._churn import *  # noqa: F403
from crmlib.widgets._clv import *  # noqa: F403
from crmlib.widgets._lifecycle import *  # noqa: F403
from crmlib.widgets._loyalty import *  # noqa: F403
from crmlib.widgets._models import *  # noqa: F403
from crmlib.widgets._tiers import *  # noqa: F403
from crmlib.widgets._value import *  # noqa: F403
