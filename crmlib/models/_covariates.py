r"""Time-invariant covariates: design matrices and the log-linear links of the models' parameters.

A covariate model replaces a population parameter :math:`\theta` by a customer's own
:math:`\theta_i = \theta_0 \exp(\pm \gamma' z_i)` (Fader and Hardie 2007, "Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models"): the baseline :math:`\theta_0` is the value for a
customer whose covariates are all 0, each coefficient :math:`\gamma_j` is the change of
:math:`\log \theta_i` per unit of covariate :math:`j` (with the sign stated by the model). The coefficients
are named ``"<link>:<column>"`` in ``params_``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmlib.data import DataError
from crmlib.params import ParameterError

__all__ = ["Link", "check_covariate_names", "covariate_matrix", "link_values"]


class Link:
    """A parameter that depends on covariates: ``name``, its covariate columns and the sign of the exponent.

    ``theta_i = theta_0 * exp(sign * z_i' gamma)``; ``label`` prefixes the coefficient names.
    """

    def __init__(self, name: str, columns: Sequence[str], sign: float, label: str) -> None:
        self.name = name
        self.columns = tuple(columns)
        self.sign = float(sign)
        self.label = label

    @property
    def coefficient_names(self) -> tuple[str, ...]:
        """Names of the coefficients in ``params_``: ``"<label>:<column>"``."""
        return tuple(f"{self.label}:{c}" for c in self.columns)


def check_covariate_names(value: Any, name: str, model: str) -> tuple[str, ...]:
    """A tuple of column names from None, one name or a sequence of names (no duplicates).

    Examples
    --------
    >>> check_covariate_names("age", "purchase_covariates", "BetaGeo")
    ('age',)
    """
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    try:
        names = tuple(value)
    except TypeError:
        raise ParameterError(
            f"The {name!r} setting of {model} must be a list of column names. Got {value!r} instead."
        ) from None
    if not all(isinstance(c, str) and c for c in names):
        raise ParameterError(f"The {name!r} setting of {model} must be a list of column names. Got {value!r} instead.")
    if len(set(names)) != len(names):
        raise ParameterError(f"The {name!r} setting of {model} lists a column twice: {list(names)!r}.")
    return names


def covariate_matrix(frame: Any, columns: Sequence[str], func: str, *, rows: int | None = None) -> np.ndarray:
    """The covariate columns of ``frame`` as a float matrix (rows x columns), checked to be finite numbers.

    Examples
    --------
    >>> covariate_matrix(pd.DataFrame({"age": [30, 40]}), ["age"], "f").tolist()
    [[30.0], [40.0]]
    """
    if not columns:
        return np.zeros((0 if rows is None else rows, 0))
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"{func}: the model has covariates ({', '.join(columns)}); give them as a DataFrame with those columns "
            "(e.g. covariates=summary), one row per customer."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{func}: the covariate columns {', '.join(missing)} are missing; add them (one value per customer)."
        )
    out = np.empty((len(frame), len(columns)))
    for j, col in enumerate(columns):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            first = frame.index[bad][:5].tolist()
            raise DataError(
                f"{func}: the covariate {col!r} must hold finite numbers (code categories as 0/1 columns), but "
                f"{int(bad.sum())} rows do not (first: {first})."
            )
        out[:, j] = values
    if rows is not None and len(out) != rows:
        raise DataError(f"{func}: the covariates have {len(out)} rows for {rows} customers; give one row per customer.")
    return out


def link_values(base: Any, coef: np.ndarray, Z: np.ndarray, sign: float) -> Any:
    """``base * exp(sign * Z @ coef)`` row by row (``base`` alone when there are no covariates).

    Examples
    --------
    >>> link_values(2.0, np.array([0.5]), np.array([[0.0], [2.0]]), -1.0).round(4).tolist()
    [2.0, 0.7358]
    """
    if Z.shape[1] == 0:
        return base
    return base * np.exp(sign * (Z @ coef))
