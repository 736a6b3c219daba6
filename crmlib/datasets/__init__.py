"""Bundled datasets and synthetic generators with their ground truth.

* ``load_*()`` read the small CSV files of the kit's ``data/`` folder (described in ``data/README.md``);
  no network is used at run time.
* ``make_*()`` draw synthetic data from stated models with a seed; the true parameters travel with the
  data in ``DataFrame.attrs`` (and in a JSON sidecar beside each bundled CSV), so tests can check that
  the models recover them.
* :func:`load_cdnow` reads the CDNOW files (Fader and Hardie), bundled verbatim in their original layout:
  the sample (2,357 customers) by default, ``which="master"`` for all 23,570, or a copy given by its path.
* The bundled business (``load_transactions``, ``load_customers``, ``load_churn``, ``load_survey``) is one
  simulated retailer: customers acquired every month from 2021 to mid-2025, their purchases, the firm's margins
  and service costs, loyalty-programme membership, a churn study and a loyalty survey of the same customers.

``python -m crmlib.datasets [FOLDER]`` (``make data``) regenerates the bundled files from fixed seeds.
"""

from __future__ import annotations

from crmlib.datasets._cdnow import *  # noqa: F403  (CDNOW files)
from crmlib.datasets._churn import *  # noqa: F403  (churn drivers)
from crmlib.datasets._cohorts import *  # noqa: F403  (contractual cohorts)
from crmlib.datasets._donations import *  # noqa: F403  (donations, Fader, Hardie and Shang 2010)
from crmlib.datasets._firms import *  # noqa: F403  (firm marketing-practice survey)
from crmlib.datasets._retail import *  # noqa: F403  (transaction log, customers)
from crmlib.datasets._survey import *  # noqa: F403  (loyalty survey)
