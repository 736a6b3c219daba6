"""The CDNOW transaction files (Fader and Hardie), bundled in their original layout.

The CDNOW data record every purchase, to the end of June 1998, of the cohort of 23,570 customers who made
their first-ever purchase at the online music store CDNOW in the first quarter of 1997 (Fader and Hardie
2001). The "sample" file holds a 1/10th systematic sample of them (2,357 customers), the data of Fader, Hardie
and Lee (2005a, 2005b). The kit ships both files, byte for byte as their authors distribute them, in its
``data`` folder (``CDNOW_master.txt``, ``CDNOW_sample.txt``; source and terms in ``data/README.md``), so
:func:`load_cdnow` needs no other package and no network.

References
----------
Fader, P. S. and Hardie, B. G. S. (2001). Forecasting repeat sales at CDNOW: a case study. *Interfaces* 31(3),
Part 2, S94-S107.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005a). "Counting your customers" the easy way: an alternative
to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b). RFM and CLV: using iso-value curves for customer base
analysis. *Journal of Marketing Research* 42(4), 415-430.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmlib.data import DataError
from crmlib.datasets._files import bundled_path

__all__ = ["CDNOW_FILES", "CDNOW_PUBLISHED", "cdnow_path", "load_cdnow"]

_CITATION = (
    "Fader, P. S. and Hardie, B. G. S. (2001). Forecasting repeat sales at CDNOW: a case study. Interfaces 31(3), "
    "Part 2, S94-S107; the sample: Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). \"Counting your customers\" "
    "the easy way. Marketing Science 24(2), 275-284."
)

#: The bundled CDNOW files: name, what they hold, and the sha256 of their bytes (checked by the tests and by
#: ``python -m crmlib.datasets``, which writes their JSON sidecars).
CDNOW_FILES: dict[str, dict[str, Any]] = {
    "sample": {
        "file": "CDNOW_sample.txt",
        "customers": 2357,
        "lines": 6919,
        "layout": "5 whitespace-separated columns, no header: customer id in the master file, customer id in the "
        "sample (1-2357), date YYYYMMDD, number of CDs, dollar value; CRLF line ends",
        "sha256": "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
    },
    "master": {
        "file": "CDNOW_master.txt",
        "customers": 23570,
        "lines": 69659,
        "layout": "a header line 'customer_id date number_of_cds dollar_value', then 4 whitespace-separated "
        "columns: customer id, date YYYYMMDD, number of CDs, dollar value; CRLF line ends",
        "sha256": "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef",
    },
}

#: Published estimates on the CDNOW sample: calibration weeks 1-39 of 1997 (to 1997-09-30), times in weeks.
#: BG/NBD and Pareto/NBD: Fader, Hardie and Lee (2005a), section 4; Gamma-Gamma: Fader, Hardie and Lee (2005b)
#: and Fader and Hardie (2013), on the mean spend of the 946 repeat buyers (``v`` is their gamma).
CDNOW_PUBLISHED: dict[str, dict[str, float]] = {
    "BG/NBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4},
    "Pareto/NBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669, "log_likelihood": -9595.0},
    "Gamma-Gamma": {"p": 6.25, "q": 3.74, "v": 15.44},
}


def cdnow_path(which: str = "sample") -> Path:
    """Path of a bundled CDNOW file (in the kit's ``data`` folder; no other package needed).

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

    which = check_choice(which, "which", tuple(CDNOW_FILES), func="cdnow_path")
    return bundled_path(CDNOW_FILES[which]["file"])


def load_cdnow(path: str | Path | None = None, *, which: str = "sample") -> pd.DataFrame:
    r"""Read a CDNOW file (sample or master) into the canonical transaction frame.

    Parameters
    ----------
    path : path-like, optional
        A copy of CDNOW_sample.txt or CDNOW_master.txt in the original layout: whitespace-separated columns
        customer id, (sample file only: the id in the sample), date as YYYYMMDD, number of CDs, dollar value;
        the master file may start with the header line ``customer_id date number_of_cds dollar_value``; CRLF
        line ends are accepted. Default: the bundled file chosen by ``which``.
    which : {"sample", "master"}
        The bundled file read when no ``path`` is given: ``"sample"`` (2,357 customers, 6,919 lines) or
        ``"master"`` (23,570 customers, 69,659 lines).

    Returns
    -------
    DataFrame
        Columns ``customer_id`` (str, leading zeros kept, e.g. ``"00004"``; in the sample file the id of the
        master file, so the two files name a customer alike), ``date`` (datetime64), ``amount`` (float, US
        dollars) and ``cds`` (int, number of CDs), one row per line of the file (several lines of one customer
        on one day are kept; :func:`crmlib.rfm.summarize` adds them up into one purchase occasion).
        ``attrs["source"]`` names the file and ``attrs["published"]`` holds :data:`CDNOW_PUBLISHED` (the
        published estimates refer to the sample).

    References
    ----------
    Fader and Hardie (2001), *Interfaces* 31(3); Fader, Hardie and Lee (2005a), *Marketing Science* 24(2)
    (the sample: 2,357 customers, 39 weeks of calibration).

    Examples
    --------
    >>> tx = load_cdnow()
    >>> tx["customer_id"].nunique(), str(tx["date"].min().date()), str(tx["date"].max().date())
    (2357, '1997-01-01', '1998-06-30')
    >>> load_cdnow(which="master")["customer_id"].nunique()
    23570
    """
    from crmlib.params import check_choice

    which = check_choice(which, "which", tuple(CDNOW_FILES), func="load_cdnow")
    if path is None:
        path = cdnow_path(which)
        source = f"bundled: {path.name}"
    else:
        path = Path(path)
        source = str(path)
    if path.is_dir():
        raise DataError(
            f"load_cdnow: {str(path)!r} is a folder; give the path of CDNOW_sample.txt or CDNOW_master.txt."
        )
    if not path.exists():
        hint = f" To read the bundled {path.name} file, pass which={path.name!r}." if str(path) in CDNOW_FILES else ""
        raise DataError(
            f"load_cdnow: the file {str(path)!r} does not exist. Check the path, or call load_cdnow() for the "
            f"bundled sample.{hint}"
        )
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
        raise DataError(
            f"load_cdnow: dates not in YYYYMMDD form on data lines {[r + 1 for r in rows]} of {str(path)!r}."
        )
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(cols[:, 0], dtype=str),
            "date": dates.astype("datetime64[ns]"),
            "amount": pd.to_numeric(pd.Series(cols[:, 3])).astype(float),
            "cds": pd.to_numeric(pd.Series(cols[:, 2])).astype(np.int64),
        }
    )
    frame.attrs["source"] = source
    frame.attrs["citation"] = _CITATION
    frame.attrs["published"] = {name: dict(values) for name, values in CDNOW_PUBLISHED.items()}
    return frame


def _sidecars() -> dict[str, dict[str, Any]]:
    """JSON sidecars of the bundled CDNOW files (used by ``python -m crmlib.datasets``).

    The files themselves are not generated: they are the authors' files, copied verbatim. This checks that
    their bytes are still those recorded in :data:`CDNOW_FILES`.
    """
    out = {}
    for which, spec in CDNOW_FILES.items():
        path = cdnow_path(which)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != spec["sha256"]:
            raise RuntimeError(
                f"{path} is not the published CDNOW file (sha256 {digest}, expected {spec['sha256']}). "
                "Restore it from the repository (git checkout data/) instead of editing it."
            )
        out[Path(spec["file"]).stem + ".json"] = {
            "file": spec["file"],
            "description": f"CDNOW {which} file: every purchase of {spec['customers']:,} customers of the online music "
            "store CDNOW who first bought in 1997 Q1, to 1998-06-30 (real data, original layout).",
            "generator": None,
            "source": _CITATION,
            "obtained_from": "the CDNOW files as distributed by Bruce Hardie (brucehardie.com) and redistributed, "
            "byte for byte, in the lifetimes package 0.11.3 (lifetimes/datasets/)",
            "layout": spec["layout"],
            "customers": spec["customers"],
            "rows": spec["lines"],
            "published_estimates": CDNOW_PUBLISHED if which == "sample" else None,
            "sha256": digest,
        }
    return out
