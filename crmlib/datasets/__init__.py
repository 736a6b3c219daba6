"""Bundled datasets and synthetic generators with their ground truth.

* ``load_*()`` read the small CSV files of the kit's ``data/`` folder (described in ``data/README.md``);
  no network is used at run time.
* ``make_*()`` draw synthetic data from stated models with a seed; the true parameters travel with the
  data in ``DataFrame.attrs`` (and in a JSON sidecar beside each bundled CSV), so tests can check that
  the models recover them.
* :func:`load_cdnow` reads the public CDNOW files in their original layout.

``python -m crmlib.datasets [FOLDER]`` (``make data``) regenerates the bundled files from fixed seeds.
"""

from __future__ import annotations

from crmlib.datasets._retail import *  # noqa: F401,F403  (transaction log, customers)
from crmlib.datasets._survey import *  # noqa: F401,F403  (loyalty survey)
from crmlib.datasets._cohorts import *  # noqa: F401,F403  (contractual cohorts)
from crmlib.datasets._cdnow import *  # noqa: F401,F403  (CDNOW files)
from crmlib.datasets._firms import *  # noqa: F401,F403  (firm marketing-practice survey)
from crmlib.datasets._churn import *  # noqa: F401,F403  (churn drivers)
from crmlib.datasets._donations import *  # noqa: F401,F403  (donations, Fader, Hardie and Shang 2010)
