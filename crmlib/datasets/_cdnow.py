"""The CDNOW transaction files (Fader and Hardie), in their original layout.

The CDNOW data record the purchases of a cohort of 23,570 customers who made their first purchase at
the online music store CDNOW in the first quarter of 1997, followed to the end of June 1998. The
"sample" file holds a 1/10th systematic sample (2,357 customers) used by Fader, Hardie and Lee (2005).
Both files are public (brucehardie.com) and ship inside the ``lifetimes`` package, which is in the
kit's ``test`` extra; :func:`load_cdnow` finds them there without importing ``lifetimes``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.data import DataError

__all__ = ["cdnow_path", "load_cdnow"]


def cdnow_path(which: str = "sample") -> Path:
    """Path of the CDNOW file shipped inside the installed ``lifetimes`` package.

    Parameters
    ----------
    which : {"sample", "master"}
        ``"sample"``: CDNOW_sample.txt (2,357 customers); ``"master"``: CDNOW_master.txt (23,570).

    Examples
    --------
    >>> cdnow_path("sample").name
    'CDNOW_sample.txt'
    """
    from crmlib.params import check_choice

    which = check_choice(which, "which", ("sample", "master"), func="cdnow_path")
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "cdnow_path: the CDNOW files ship with the 'lifetimes' package, which is not installed. "
            "Install the kit's test extra (pip install -e '.[test]') or download CDNOW_sample.txt from "
            "brucehardie.com and pass its path to load_cdnow."
        )
    path = Path(spec.submodule_search_locations[0]) / "datasets" / f"CDNOW_{which}.txt"
    if not path.exists():
        raise DataError(f"cdnow_path: {path} does not exist; reinstall lifetimes or download the file from brucehardie.com.")
    return path


def load_cdnow(path: str | Path | None = None) -> pd.DataFrame:
    r"""Read a CDNOW file (sample or master) into the canonical transaction frame.

    Parameters
    ----------
    path : path-like, optional
        CDNOW_sample.txt or CDNOW_master.txt in the original layout: whitespace-separated columns
        customer id, (sample file only: the id in the master file), date as YYYYMMDD, number of CDs,
        dollar value; the master file may start with the header line
        ``customer_id date number_of_cds dollar_value``; CRLF line ends are accepted.
        Default: the sample file shipped with ``lifetimes`` (:func:`cdnow_path`).

    Returns
    -------
    DataFrame
        Columns ``customer_id`` (str, leading zeros kept, e.g. ``"00004"``), ``date`` (datetime64),
        ``amount`` (float, US dollars) and ``cds`` (int, number of CDs), one row per line of the
        file (several lines of one customer on one day are kept; :func:`crmlib.rfm.summarize`
        adds them up into one purchase occasion).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way.
    *Marketing Science* 24(2), 275-284 (the sample: 2,357 customers, 39 weeks of calibration).

    Examples
    --------
    >>> tx = load_cdnow()
    >>> tx["customer_id"].nunique(), str(tx["date"].min().date()), str(tx["date"].max().date())
    (2357, '1997-01-01', '1998-06-30')
    """
    if path is None:
        path = cdnow_path("sample")
    path = Path(path)
    if not path.exists():
        raise DataError(f"load_cdnow: the file {str(path)!r} does not exist. Check the path.")
    text = path.read_text(encoding="ascii", errors="replace")
    lines = [line.split() for line in text.splitlines()]
    lines = [parts for parts in lines if parts]
    if lines and not lines[0][0].isdigit():
        lines = lines[1:]  # header line of the master file
    if not lines:
        raise DataError(f"load_cdnow: {str(path)!r} holds no transactions.")
    widths = {len(p) for p in lines}
    if widths not in ({4}, {5}):
        bad = [i + 1 for i, p in enumerate(lines) if len(p) != len(lines[0])][:5]
        raise DataError(
            f"load_cdnow: expected 4 (master) or 5 (sample) whitespace-separated columns on every line of "
            f"{str(path)!r}; found {sorted(widths)} (first odd data lines: {bad}). Is this a CDNOW file?"
        )
    cols = np.array(lines, dtype=object)
    if cols.shape[1] == 5:
        cols = cols[:, [0, 2, 3, 4]]
    dates = pd.to_datetime(pd.Series(cols[:, 1], dtype=str), format="%Y%m%d", errors="coerce")
    if dates.isna().any():
        rows = np.flatnonzero(dates.isna().to_numpy())[:5].tolist()
        raise DataError(f"load_cdnow: dates not in YYYYMMDD form on data lines {[r + 1 for r in rows]} of {str(path)!r}.")
    return pd.DataFrame(
        {
            "customer_id": pd.Series(cols[:, 0], dtype=str),
            "date": dates.astype("datetime64[ns]"),
            "amount": pd.to_numeric(pd.Series(cols[:, 3])).astype(float),
            "cds": pd.to_numeric(pd.Series(cols[:, 2])).astype(np.int64),
        }
    )
