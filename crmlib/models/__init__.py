"""Probability models of customer behaviour, one file each, on one abstract base (:mod:`crmlib.models._base`).

Non-contractual, continuous time (data: frequency, recency, T per customer from :func:`crmlib.rfm.summarize`):

* :class:`BetaGeo` -- BG/NBD (Fader, Hardie and Lee 2005), drop-out after a repeat purchase;
* :class:`ModifiedBetaGeo` -- MBG/NBD (Batislam, Denizel and Filiztekin 2007), drop-out after any purchase;
* :class:`ParetoNBD` -- Pareto/NBD (Schmittlein, Morrison and Colombo 1987), drop-out at any time.

Non-contractual, discrete opportunities (frequency, recency, n_periods from :func:`summarize_opportunities`):

* :class:`BetaGeoBetaBinom` -- BG/BB (Fader, Hardie and Shang 2010).

Spend: :class:`GammaGamma` (Fader, Hardie and Lee 2005b) and :func:`customer_lifetime_value`.

Contractual retention (survivors of a cohort, or one row per customer):

* :class:`ShiftedBetaGeo` -- sBG (Fader and Hardie 2007), constant individual churn;
* :class:`BetaDiscreteWeibull` -- BdW (Fader, Hardie, Liu, Davin and Steenburgh 2018), churn that changes with tenure.

scikit-learn style: settings in ``__init__``, ``fit(...)`` returns ``self``, learned values in ``params_`` (a dict),
``log_likelihood_`` and a ``summary()`` table with log-scale Wald intervals; ``save(path)`` / :func:`load_model`;
:func:`predictive_interval` for intervals on any prediction from the parameters' sampling distribution.
BG/NBD, Pareto/NBD and sBG take time-invariant covariates.
"""

from __future__ import annotations

from crmlib.models._base import BaseModel as BaseModel
from crmlib.models._base import ConvergenceError as ConvergenceError
from crmlib.models._base import ModelError as ModelError
from crmlib.models._base import NotFittedError as NotFittedError
from crmlib.models._base import load_model as load_model

# one line per model: each module's __all__ says what it adds
from crmlib.models.beta_discrete_weibull import *  # noqa: F403  (BdW)
from crmlib.models.beta_geo import *  # noqa: F403  (BG/NBD)
from crmlib.models.beta_geo_beta_binom import *  # noqa: F403  (BG/BB and its summary of a log)
from crmlib.models.diagnostics import *  # noqa: F403  (holdout, tracking, matrices, P(alive) path)
from crmlib.models.gamma_gamma import *  # noqa: F403  (Gamma-Gamma spend and CLV)
from crmlib.models.modified_beta_geo import *  # noqa: F403  (MBG/NBD)
from crmlib.models.pareto_nbd import *  # noqa: F403  (Pareto/NBD)
from crmlib.models.shifted_beta_geo import *  # noqa: F403  (sBG)
from crmlib.models.uncertainty import *  # noqa: F403  (intervals from parameter draws)
