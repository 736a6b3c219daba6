"""Where the kit's files are: the chapters, the exercises, the bundled data and the templates.

The same four folders exist in two places, and every module finds them through :func:`kit_folder` only:

* in an installed wheel they are package data under ``crmlib/_kit/`` (``pyproject.toml`` maps the top-level
  ``notebooks/``, ``exercises/`` and ``data/`` folders of the source tree there when the wheel is built), read
  through :mod:`importlib.resources`;
* in a clone (and an editable install of it) they are the top-level folders themselves.

Nothing here writes: the folders of an installed kit are read-only for the kit. Commands that produce files write
into an output folder the user names.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Literal

Folder = Literal["notebooks", "exercises", "data", "templates"]

#: The kit's folders, and what each holds.
FOLDERS: dict[str, str] = {
    "notebooks": "the chapters of the course",
    "exercises": "the student exercises (and, under source/, the instructor versions)",
    "data": "the bundled datasets and their data dictionary",
    "templates": "the templates of the report and of the course site",
}

_SOURCE_TREE = Path(__file__).resolve().parents[1]


def kit_folder(name: Folder) -> Path:
    """The folder of the kit that holds ``name`` (``"notebooks"``, ``"exercises"``, ``"data"`` or ``"templates"``).

    The installed package's data (``crmlib/_kit/<name>``) comes first; in a clone of the repository the top-level
    folder of the same name is used. Templates live inside the package in both cases (``crmlib/templates``).

    Parameters
    ----------
    name : which folder.

    Returns
    -------
    pathlib.Path
        An existing folder.

    Raises
    ------
    FileNotFoundError
        If neither place has the folder (a broken install); the message says to reinstall.

    Examples
    --------
    >>> kit_folder("notebooks").is_dir()
    True
    >>> (kit_folder("data") / "README.md").is_file()
    True
    """
    if name not in FOLDERS:
        raise ValueError(
            f"The 'name' parameter of kit_folder must be one of {', '.join(map(repr, FOLDERS))}. Got {name!r} instead."
        )
    package = importlib.resources.files("crmlib")
    if name == "templates":
        candidates = [Path(str(package / "templates"))]
    else:
        candidates = [Path(str(package / "_kit" / name)), _SOURCE_TREE / name]
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        f"The kit's {name} folder ({FOLDERS[name]}) is missing from this installation: looked in "
        f"{', '.join(str(c) for c in candidates)}. Reinstall the kit: pip install --force-reinstall crmlib."
    )
