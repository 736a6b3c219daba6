"""Where the bundled files are, and how a loader reads a file's JSON sidecar (shared by the dataset modules).

Helpers of the loaders; :func:`data_dir` is public as ``crmlib.datasets.data_dir``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd


def data_dir() -> Path:
    """The folder of the bundled data: ``$CRMLIB_DATA`` if set, else the kit's ``data`` folder.

    >>> data_dir().name
    'data'
    """
    env = os.environ.get("CRMLIB_DATA")
    if env:
        return Path(env)
    from crmlib.resources import kit_folder

    return kit_folder("data")


def bundled_path(name: str) -> Path:
    """Path of one bundled file; a missing file raises ``FileNotFoundError`` saying how to get it back."""
    path = data_dir() / name
    if not path.exists():
        raise FileNotFoundError(
            f"The bundled file {name!r} is not in {str(path.parent)!r}. Regenerate the data with "
            "`make data` (python -m crmlib.datasets data), or set $CRMLIB_DATA to the folder that holds it."
        )
    return path


def sidecar(name: str) -> dict[str, Any]:
    """The JSON sidecar of a bundled file (``transactions.csv`` -> ``transactions.json``), or ``{}``."""
    path = data_dir() / (Path(name).stem + ".json")
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def attach(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Put the sidecar's description and true parameters into ``frame.attrs`` (``source``, ``true_params``)."""
    meta = sidecar(name)
    frame.attrs["source"] = f"bundled: {name}"
    if "params" in meta:
        frame.attrs["true_params"] = meta["params"]
    if "description" in meta:
        frame.attrs["description"] = meta["description"]
    return frame
