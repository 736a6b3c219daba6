r"""The donation data of Fader, Hardie and Shang (2010): repeat donations of one cohort at yearly opportunities.

11,104 people made their first donation to a nonprofit organisation in 1995; for each, whether they gave
again in each of the six years 1996-2001 was recorded. The counts of each (frequency, recency) pattern are
what the beta-geometric/beta-Bernoulli (BG/BB) model needs, and the paper's estimates must be reproduced
from them (:class:`crmlib.models.BetaGeoBetaBinom`).

References
----------
Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a discrete-time
noncontractual setting. *Marketing Science* 29(6), 1086-1108.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DONATIONS_ESTIMATES", "load_donations"]

#: The BG/BB estimates Fader, Hardie and Shang (2010) report for these data.
DONATIONS_ESTIMATES: dict[str, float] = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}

_CITATION = (
    "Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a discrete-time noncontractual "
    "setting. Marketing Science 29(6), 1086-1108. Counts as distributed with the lifetimes package 0.11.3 "
    "(lifetimes/datasets/donations.csv, MIT licence)."
)

# (frequency, recency, number of donors): repeat donations in 1996-2001, the year of the last (1995 = 0)
_COUNTS = [
    (0, 0, 3464),
    (1, 1, 1091),
    (1, 2, 277),
    (1, 3, 129),
    (1, 4, 78),
    (1, 5, 119),
    (1, 6, 129),
    (2, 2, 613),
    (2, 3, 255),
    (2, 4, 155),
    (2, 5, 173),
    (2, 6, 234),
    (3, 3, 322),
    (3, 4, 181),
    (3, 5, 225),
    (3, 6, 357),
    (4, 4, 240),
    (4, 5, 284),
    (4, 6, 512),
    (5, 5, 335),
    (5, 6, 728),
    (6, 6, 1203),
]


def _table() -> pd.DataFrame:
    counts = np.array(_COUNTS, dtype=np.int64)
    return pd.DataFrame({"frequency": counts[:, 0], "recency": counts[:, 1], "n_periods": 6, "weights": counts[:, 2]})


def load_donations() -> pd.DataFrame:
    """The donation data of Fader, Hardie and Shang (2010) (``data/donations.csv``), ready for the BG/BB.

    Returns
    -------
    DataFrame
        One row per pattern: ``frequency`` (years with a donation in 1996-2001), ``recency`` (the last such year,
        1995 = 0; 0 without repeat donation), ``n_periods`` (6 opportunities) and ``weights`` (donors with that
        pattern; 11,104 in all). ``attrs["published"]`` holds the paper's BG/BB estimates, ``attrs["source"]``
        the citation.

    Examples
    --------
    >>> d = load_donations()
    >>> int(d["weights"].sum()), d.attrs["published"]["alpha"]
    (11104, 1.204)
    """
    from crmlib.datasets._retail import data_dir

    path = data_dir() / "donations.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"The bundled file 'donations.csv' is not in {str(path.parent)!r}. Regenerate the data with `make data` "
            "(python -m crmlib.datasets data), or set $CRMLIB_DATA to the folder that holds it."
        )
    frame = pd.read_csv(path, dtype=np.int64)
    frame.attrs["published"] = dict(DONATIONS_ESTIMATES)
    frame.attrs["source"] = _CITATION
    return frame


def _bundle() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    meta = {
        "description": (
            "Repeat donations of the 1995 cohort of a nonprofit's first-time donors at six yearly opportunities "
            "(1996-2001)."
        ),
        "generator": None,
        "source": _CITATION,
        "published_estimates": dict(DONATIONS_ESTIMATES),
    }
    return {"donations.csv": (_table(), meta)}
