"""The one place that decides whether an output folder of ``crmlib exercises`` may be written.

Writing goes through :class:`crmlib.outputs.OutputFolder` (staging, a manifest of what the kit wrote, never replacing a
file the kit did not write). On top of it, the exercises' own rule: a folder that already holds the results of an
earlier run of the same command is refused unless ``--force``, so an earlier grading is never overwritten by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crmlib.exercises.model import ExerciseError
from crmlib.outputs import OutputFolder, read_manifest


def output_folder(path: Path | str, command: str, *, force: bool, replaces: Sequence[str] = (),
                  expected: Sequence[str] = ()) -> OutputFolder:
    """The output folder of one ``crmlib exercises`` command, checked before any work starts.

    Parameters
    ----------
    path : the folder (``--out``).
    command : the writing command, ``"exercises grade"``.
    force : replace the results of an earlier run (and files of them changed since).
    replaces : other commands whose files this one replaces (``marks`` and ``grade`` write the same gradebook).
    expected : files the run will write, checked now against files the kit did not write.

    Returns
    -------
    crmlib.outputs.OutputFolder
        Use it as a context manager and write into ``folder.staging``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "grades"
    >>> with output_folder(out, "exercises grade", force=False) as folder:
    ...     _ = folder.path("gradebook.csv").write_text("student_id,score", encoding="utf-8")
    >>> output_folder(out, "exercises grade", force=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlib.exercises.model.ExerciseError: --out ... already holds files of an earlier 'crmlib exercises grade' run ...
    """
    root = Path(path)
    name, others = command.replace(" ", "-"), [r.replace(" ", "-") for r in replaces]
    if root.exists() and not root.is_dir():
        raise ExerciseError(f"--out {root} is a file; give a folder.")
    if root.is_dir() and not force:
        earlier = [n for n, e in read_manifest(root).items() if e.get("command") in {name, *others}]
        if earlier:
            raise ExerciseError(f"--out {root} already holds files of an earlier 'crmlib {command}' run "
                                f"({len(earlier)} files); give a new folder, or add --force to replace them.")
    folder = OutputFolder(root, name, force=force, replaces=others, option="--force")
    if expected:
        folder.check(expected)
    return folder
