"""The one place that decides whether an output folder may be written (``--out`` of build, release and grade).

An existing folder that holds files is never written into unless the user says ``--force``; a folder this kit wrote
carries a marker file, and ``--force`` empties such a folder first (so no stale feedback survives a re-run), while it
only writes over the same-named files in a folder the kit did not write.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from crmlib.exercises.model import ExerciseError

MARKER = ".crmlib-output.json"


def prepare_output(path: Path | str, *, force: bool, option: str = "out", what: str = "exercises") -> Path:
    """Create the output folder ``path``, or refuse an existing non-empty one unless ``force``.

    Parameters
    ----------
    path : the folder.
    force : write into an existing folder (emptied first when this kit wrote it).
    option : how the caller names the folder in an error (``"--out"`` on the command line).
    what : what writes the folder, recorded in the marker file.

    Returns
    -------
    pathlib.Path
        The folder, existing and ready.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ExerciseError(f"{option} {path} is a file; give a folder.")
    if path.is_dir() and any(path.iterdir()):
        if not force:
            raise ExerciseError(f"{option} {path} already holds files (an earlier run?); give a new folder, or add "
                                "--force to replace them.")
        if (path / MARKER).is_file():
            for child in path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text(json.dumps({"written_by": f"crmlib exercises {what}"}) + "\n", encoding="utf-8")
    return path
