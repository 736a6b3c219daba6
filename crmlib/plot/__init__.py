"""Every chart of the kit.

Each function takes data (computed by the other crmlib modules) and ``ax=None``, draws through
``ax.*`` only, returns the Axes and never calls ``plt.show()``. matplotlib and seaborn are imported
here, not by the computation modules. One file per chapter topic; all names are re-exported here::

    >>> import crmlib.plot as cplot
    >>> ax = cplot.lorenz_curve(values)  # doctest: +SKIP
"""

from __future__ import annotations

from crmlib.plot._base import get_ax, use_course_style  # noqa: F401  (shared by every chart)
from crmlib.plot._churn import *  # noqa: F403  (churn)
from crmlib.plot._clv import *  # noqa: F403  (CLV, NPV, customer equity)
from crmlib.plot._data import *  # noqa: F403  (chapter 00: the bundled data)
from crmlib.plot._inline import *  # noqa: F403  (a figure's PNG cut at its tight box, as a notebook shows it)
from crmlib.plot._lifecycle import *  # noqa: F403  (customer dynamics)
from crmlib.plot._loyalty import *  # noqa: F403  (loyalty stages)
from crmlib.plot._models import *  # noqa: F403  (probability models)
from crmlib.plot._relationship import *  # noqa: F403  (relationship marketing)
from crmlib.plot._tiers import *  # noqa: F403  (tiering)
from crmlib.plot._value import *  # noqa: F403  (customer value)
