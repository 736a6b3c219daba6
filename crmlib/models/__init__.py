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

from crmlib.models._base import BaseModel, ConvergenceError, ModelError, NotFittedError, load_model
from crmlib.models.beta_discrete_weibull import BetaDiscreteWeibull
from crmlib.models.beta_geo import BetaGeo
from crmlib.models.beta_geo_beta_binom import BetaGeoBetaBinom, summarize_opportunities
from crmlib.models.diagnostics import (
    alive_path,
    expected_purchases_matrix,
    holdout_comparison,
    probability_alive_matrix,
    repeat_frequency_table,
    tracking,
)
from crmlib.models.gamma_gamma import GammaGamma, customer_lifetime_value
from crmlib.models.modified_beta_geo import ModifiedBetaGeo
from crmlib.models.pareto_nbd import ParetoNBD
from crmlib.models.shifted_beta_geo import ShiftedBetaGeo, naive_survival_projections
from crmlib.models.uncertainty import predictive_interval

__all__ = [
    "BaseModel",
    "BetaDiscreteWeibull",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "ConvergenceError",
    "GammaGamma",
    "ModelError",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "ShiftedBetaGeo",
    "alive_path",
    "customer_lifetime_value",
    "expected_purchases_matrix",
    "holdout_comparison",
    "load_model",
    "naive_survival_projections",
    "predictive_interval",
    "probability_alive_matrix",
    "repeat_frequency_table",
    "summarize_opportunities",
    "tracking",
]
