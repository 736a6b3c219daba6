"""Probability models of customer behaviour, one file each, sharing one base class.

* :class:`BetaGeo` — BG/NBD (Fader, Hardie and Lee 2005), non-contractual repeat buying;
* :class:`ParetoNBD` — Pareto/NBD (Schmittlein, Morrison and Colombo 1987);
* :class:`GammaGamma` — spend per transaction (Fader, Hardie and Lee 2005, "RFM and CLV");
* :class:`ShiftedBetaGeo` — contractual retention (Fader and Hardie 2007, 2010).

scikit-learn style: settings in ``__init__``, ``fit(...)`` returns ``self``, learned values in
``params_`` (a dict), ``log_likelihood_`` and a ``summary()`` table.
"""

from __future__ import annotations

from crmlib.models._base import (
    ConvergenceError,
    ModelError,
    NotFittedError,
    expected_purchases_matrix,
    holdout_comparison,
    probability_alive_matrix,
    repeat_frequency_table,
    tracking,
)
from crmlib.models.beta_geo import BetaGeo
from crmlib.models.gamma_gamma import GammaGamma, customer_lifetime_value
from crmlib.models.pareto_nbd import ParetoNBD
from crmlib.models.shifted_beta_geo import ShiftedBetaGeo, naive_survival_projections

__all__ = [
    "BetaGeo",
    "ConvergenceError",
    "GammaGamma",
    "ModelError",
    "NotFittedError",
    "ParetoNBD",
    "ShiftedBetaGeo",
    "customer_lifetime_value",
    "expected_purchases_matrix",
    "holdout_comparison",
    "naive_survival_projections",
    "probability_alive_matrix",
    "repeat_frequency_table",
    "tracking",
]
