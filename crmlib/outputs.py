r"""What the kit writes, written safely: output folders with a manifest, and user values made safe to show.

Two jobs live here, because every command that writes files needs both.

**Output folders.** :class:`OutputFolder` is the one way a command of the kit (``crmlib report``, ``crmlib run``,
and any other command or chapter parameter ending in ``_dir``) writes into a folder the user names:

* everything is written first into a staging folder inside the output folder, named
  ``.crmlib-incomplete-<command>-<process id>``; only a complete run is moved into place, so an interrupted run
  leaves the previous results as they were. A staging folder left by a killed run is removed by the next run
  into the same folder;
* the folder's manifest, ``.crmlib-manifest.json``, lists every file the kit wrote there, with the command that
  wrote it and its SHA-256;
* a run **replaces only files of the manifest** that the same command (or one named in ``replaces``) wrote and
  that nobody changed since. A file the user changed since is replaced only with ``force=True``; a file that is
  not in the manifest (the user's own) is **never** replaced, not even with ``force``: the run stops before
  anything is written and names the file. Other files in the folder are left alone;
* files of the previous run that this run does not write (a ``by_region.csv`` when the new run has no
  ``--by``) are removed when they are unchanged, so the folder always holds one consistent result;
* ``protect`` names files that must never be written or removed, whatever the manifest says (the input data).

Use it as a context manager; the body writes into :meth:`OutputFolder.path`, and leaving the block without an
error moves the files into place::

    folder = OutputFolder("report", "report", force=False, protect=[data_path])
    folder.check(["report.html", "tables/customers.csv"])   # optional: fail before the long work starts
    with folder:
        folder.path("report.html").write_text(page, encoding="utf-8")
        write_csv(customers, folder.path("tables/customers.csv"))
    folder.written    # the paths now in place

A chapter writes a table into a folder the user named (a ``*_dir`` parameter such as ``tables_dir``) with
:func:`write_table`, which does the same for one file.

**User values in HTML and spreadsheets.** Values from a user's file (customer ids, column names, categories) are
data, never markup or formulas:

* :func:`escape_html` escapes a value for HTML text or an attribute, and :func:`display_text` shows invisible
  direction controls (the right-to-left override U+202E and its kin, which can make ``exe.txt`` read as
  ``txt.exe``) as visible ``[U+202E]`` marks;
* :func:`neutralise_cell` applies the OWASP rule for CSV injection: a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return (and, so that the rule can be undone, one that starts with ``'``) gets
  a leading apostrophe, so a spreadsheet shows it as text instead of evaluating it. :func:`restore_cell` removes
  that apostrophe again (``restore_cell(neutralise_cell(x)) == x`` for every ``x``); :func:`write_csv` and the
  report's workbook neutralise every text cell, column name and index value unless told not to
  (``neutralise=False``, the report's ``--raw-cells``).

References
----------
OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection (the rule for cells).
Unicode Consortium. Unicode Standard Annex #9, Unicode Bidirectional Algorithm (the explicit direction controls).
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import html
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "BIDI_CONTROLS",
    "FORMULA_STARTS",
    "MANIFEST_NAME",
    "STAGING_PREFIX",
    "OutputError",
    "OutputFolder",
    "display_text",
    "escape_html",
    "neutralise_cell",
    "neutralise_frame",
    "read_manifest",
    "record_files",
    "restore_cell",
    "write_csv",
    "write_table",
]

#: Name of the manifest file the kit keeps in every folder it writes into.
MANIFEST_NAME = ".crmlib-manifest.json"
#: Prefix of the staging folder of a run in progress (``.crmlib-incomplete-<command>-<pid>``).
STAGING_PREFIX = ".crmlib-incomplete-"
#: First characters that make a spreadsheet evaluate a cell (OWASP): ``= + - @``, tab, carriage return.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Unicode's explicit bidirectional controls (embeddings, overrides, isolates, marks).
BIDI_CONTROLS: str = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

_BIDI_MAP = {ord(c): f"[U+{ord(c):04X}]" for c in BIDI_CONTROLS}
# Other invisible or layout-breaking characters shown as marks too (C0 controls but tab and newline, DEL, C1).
_CONTROL_MAP = {c: f"[U+{c:04X}]" for c in [*range(0, 9), 11, 12, *range(14, 32), 127, *range(128, 160)]}
_DISPLAY_MAP = {**_BIDI_MAP, **_CONTROL_MAP}


class OutputError(ValueError):
    """An output folder cannot be written as asked; the message names the file and what to do."""


# ----------------------------------------------------------------------------------------------
# user values: display, HTML, spreadsheet cells
# ----------------------------------------------------------------------------------------------


def display_text(value: Any) -> str:
    r"""The text of ``value`` with invisible direction and control characters shown as ``[U+XXXX]`` marks.

    Parameters
    ----------
    value : any
        A customer id, a column name, a category; ``None`` gives ``""``.

    Returns
    -------
    str
        ``str(value)`` in which every character of :data:`BIDI_CONTROLS` and every control character other than
        tab and newline is replaced by its visible code, so the text reads in the order it is stored.

    Examples
    --------
    >>> display_text("invoice\u202etxt.exe")
    'invoice[U+202E]txt.exe'
    >>> display_text(12.5)
    '12.5'
    """
    if value is None:
        return ""
    return str(value).translate(_DISPLAY_MAP)


def escape_html(value: Any) -> str:
    """``value`` as HTML text, safe in element content and in quoted attributes.

    :func:`display_text` first (direction controls made visible), then ``&``, ``<``, ``>``, ``"`` and ``'``
    escaped (:func:`html.escape` with ``quote=True``).

    Parameters
    ----------
    value : any
        A value from the user's file.

    Returns
    -------
    str

    Examples
    --------
    >>> escape_html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(display_text(value), quote=True)


def neutralise_cell(value: Any) -> Any:
    r"""A spreadsheet cell that shows ``value`` as text instead of evaluating it (OWASP's rule for CSV injection).

    A string starting with one of :data:`FORMULA_STARTS` (``=``, ``+``, ``-``, ``@``, tab, carriage return) or
    with an apostrophe gets a leading apostrophe; anything else, and every non-string value (numbers, dates,
    missing values), is returned unchanged. The apostrophe case makes the rule reversible: see
    :func:`restore_cell`.

    Parameters
    ----------
    value : any

    Returns
    -------
    The neutralised value.

    Examples
    --------
    >>> neutralise_cell("=HYPERLINK(\"http://x\")")
    '\'=HYPERLINK("http://x")'
    >>> neutralise_cell("\t=2+2"), neutralise_cell("C-1001"), neutralise_cell(-3.5)
    ("'\t=2+2", 'C-1001', -3.5)
    """
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or value[0] == "'"):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """Undo :func:`neutralise_cell`: the raw value of a cell read back from a CSV or workbook the kit wrote.

    Parameters
    ----------
    value : any

    Returns
    -------
    ``value`` without the one leading apostrophe :func:`neutralise_cell` added.

    Examples
    --------
    >>> restore_cell("'=2+2"), restore_cell("''quoted"), restore_cell("plain")
    ('=2+2', "'quoted", 'plain')
    """
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame, *, restore: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`neutralise_cell` (or :func:`restore_cell`) applied to every text value.

    Text columns, the index (every level) and the column names are treated; numeric, boolean and date columns
    are left as they are. The caller's frame is not changed.

    Parameters
    ----------
    frame : DataFrame
    restore : bool
        Apply :func:`restore_cell` instead (for a table read back from a file the kit wrote).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customer_id": ["=1+1", "a"], "n": [-1, 2]})
    >>> neutralise_frame(t)["customer_id"].tolist(), neutralise_frame(t)["n"].tolist()
    (["'=1+1", 'a'], [-1, 2])
    """
    import pandas as pd

    from crmlib.data.columns import is_arrow_text

    fix = restore_cell if restore else neutralise_cell
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if is_arrow_text(series.dtype):
            out[column] = pd.Series(_fixed_arrow_text(series.array, restore), index=series.index, name=series.name)
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(fix, na_action="ignore")
        elif isinstance(series.dtype, pd.CategoricalDtype) and (
            series.cat.categories.dtype == object or pd.api.types.is_string_dtype(series.cat.categories.dtype)
        ):
            out[column] = series.cat.rename_categories([fix(c) for c in series.cat.categories])
    out.columns = _fixed_index(out.columns, fix)
    out.index = _fixed_index(out.index, fix)
    return out


def _fixed_index(index: pd.Index, fix) -> pd.Index:
    import pandas as pd

    from crmlib.data.columns import is_arrow_text

    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_fixed_index(level, fix) for level in index.levels])
    if is_arrow_text(index.dtype):
        return pd.Index(_fixed_arrow_text(index.array, fix is restore_cell), name=fix(index.name))
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        return pd.Index([fix(v) for v in index], name=fix(index.name), dtype=object)
    return index.rename(fix(index.name)) if isinstance(index.name, str) else index


#: A text that :func:`neutralise_cell` changes (RE2, as Arrow's regular expressions).
_NEUTRALISED = "^[" + "".join("\\" + c if c in "-]\\^" else c for c in (*FORMULA_STARTS, "'")) + "]"


def _fixed_arrow_text(values: Any, restore: bool) -> Any:
    """:func:`neutralise_cell` (or :func:`restore_cell`) on every value of Arrow-backed text, in Arrow.

    The same rule as the cell functions, without a Python object per cell (a fifth of the time on a million ids).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = values.__arrow_array__()
    if restore:
        fixed = pc.if_else(pc.starts_with(texts, "'"), pc.utf8_slice_codeunits(texts, 1), texts)
    else:
        quote, empty = pa.scalar("'", texts.type), pa.scalar("", texts.type)
        fixed = pc.if_else(
            pc.match_substring_regex(texts, _NEUTRALISED), pc.binary_join_element_wise(quote, texts, empty), texts
        )
    return pd.array(fixed, dtype=values.dtype)


#: Rows of a table whose numbers :func:`write_csv` turns into text at a time (memory stays bounded).
CSV_ROWS = 50_000


def _numbers_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its float64 columns as the text pandas' CSV writer gives them, made by Arrow (ten times faster).

    Each number is the shortest text that reads back as the same number (Arrow's cast), a whole number keeps
    its ``.0``, and the rare number that Arrow and Python write in different notations (below 1e-4, or from
    about 1e10 where Arrow takes an exponent) is given Python's own text: the bytes pandas writes. Missing values
    stay empty; infinities are ``inf`` and ``-inf``.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    floats = [k for k, dtype in enumerate(table.dtypes) if dtype == "float64"]
    if not floats:
        return table
    out = table.copy(deep=False)
    for k in floats:
        values = out.iloc[:, k].to_numpy()
        text = pc.cast(pa.array(values, from_pandas=True), pa.large_string())  # NaN: missing
        whole = pc.match_substring_regex(text, "^-?[0-9]+$")
        dot_zero, empty = pa.scalar(".0", text.type), pa.scalar("", text.type)
        text = pc.if_else(whole, pc.binary_join_element_wise(text, dot_zero, empty), text)
        # Arrow writes an exponent from 1e10 or so and none below 1e-4; Python (pandas) from 1e16 and below 1e-4
        other = pc.match_substring(text, "e").fill_null(False).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            other |= (np.abs(values) < 1e-4) & (values != 0)
        if other.any():
            text = pc.replace_with_mask(text, other, pa.array([repr(float(v)) for v in values[other]], text.type))
        kind = pd.StringDtype("pyarrow", na_value=np.nan)
        out.isetitem(k, pd.Series(pd.array(text, dtype=kind), index=out.index, name=out.columns[k]))
    return out


def write_csv(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, neutralise: bool = True, index: bool = True
) -> Path:
    """Write ``frame`` as UTF-8 CSV with every text cell neutralised (:func:`neutralise_cell`).

    Parameters
    ----------
    frame : DataFrame
    path : path of the file (its folder must exist).
    neutralise : bool
        ``False`` writes the values exactly as they are (a spreadsheet may then evaluate some of them).
    index : bool
        Write the index as the first column(s).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "ids.csv"
    >>> _ = write_csv(pd.DataFrame({"id": ["@SUM(A1)", "7"]}), target, index=False)
    >>> target.read_text(encoding="utf-8").splitlines()
    ['id', "'@SUM(A1)", '7']
    """
    path = Path(path)
    table = neutralise_frame(frame) if neutralise else frame
    with open(path, "w", encoding="utf-8", newline="") as out:
        for start in range(0, max(len(table), 1), CSV_ROWS):  # the numbers' text made a block of rows at a time
            block = _numbers_as_text(table.iloc[start : start + CSV_ROWS])
            block.to_csv(out, index=index, header=start == 0, lineterminator="\n")
    return path


def write_table(
    table: pd.DataFrame,
    folder: str | os.PathLike[str] | None,
    name: str,
    *,
    index: bool = True,
    neutralise: bool = True,
    force: bool = False,
) -> Path | None:
    """Write a table as ``folder/name`` (CSV) the way the kit writes into a folder the user named.

    The one function a chapter calls for a ``*_dir`` parameter (``tables_dir``): the file is written through an
    :class:`OutputFolder` (command ``"chapter"``), so a file of the user's is never replaced, one the kit wrote is
    replaced (when the user changed it since, only with ``force=True``), the folder's manifest records it, and
    text cells are neutralised (:func:`write_csv`). Other files in the folder stay as they are.

    Run by ``crmlib run -p tables_dir=DIR``, a chapter gets the run's staging folder inside ``DIR``: the table is
    written there, a file of the user's in ``DIR`` under the same name stops the chapter at once, and the command
    moves the tables into place when the chapter has finished (``--force`` is the command's).

    Parameters
    ----------
    table : DataFrame
        The table; the caller's frame is not changed.
    folder : str, Path or None
        The folder (created if missing). ``None`` writes nothing and returns ``None`` (a chapter whose
        ``tables_dir`` is ``None``).
    name : str
        The file's name inside the folder, ending in ``.csv`` (``"customers.csv"``, ``"tiers/gold.csv"``).
    index : bool
        Write the index as the first column(s).
    neutralise : bool
        Neutralise cells a spreadsheet would evaluate (:func:`neutralise_cell`); ``False`` writes them as they are.
    force : bool
        Also replace the kit's earlier file when it was changed since (never a file the kit did not write).

    Returns
    -------
    Path or None
        Where the table was written.

    Raises
    ------
    OutputError
        ``name`` is not a CSV file name inside the folder, or writing it would replace a file the kit may not
        replace (the message names the file and what to do).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "tables"
    >>> write_table(pd.DataFrame({"revenue": [1.5]}, index=pd.Index(["=A1"], name="customer_id")), folder,
    ...             "customers.csv").read_text(encoding="utf-8").splitlines()
    ['customer_id,revenue', "'=A1,1.5"]
    >>> sorted(read_manifest(folder))
    ['customers.csv']
    """
    if folder is None:
        return None
    if not isinstance(name, str) or not name.lower().endswith(".csv"):
        raise OutputError(f"write_table writes CSV files: name must end in '.csv', got {name!r}.")
    try:
        relative = _relative(name)
    except OutputError as exc:
        raise OutputError(f"write_table: {exc}") from None
    root = Path(folder).expanduser()
    if root.name.startswith(STAGING_PREFIX) and root.is_dir():
        # the staging folder of a command's run: check the final folder now, the command moves the file there
        command = root.name[len(STAGING_PREFIX) :].rsplit("-", 1)[0]
        OutputFolder(root.parent, command, force=True, replaces=("chapter",)).check([relative])
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_csv(table, target, neutralise=neutralise, index=index)
    out = OutputFolder(root, "chapter", force=force, replaces=("run",), scope=[relative], option="force=True")
    out.check([relative])
    with out:
        write_csv(table, out.path(relative), neutralise=neutralise, index=index)
    return root / relative


# ----------------------------------------------------------------------------------------------
# the manifest
# ----------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The files the kit wrote into ``folder``: ``{relative path: {"command", "sha256", "written"}}``.

    Parameters
    ----------
    folder : path of an output folder.

    Returns
    -------
    dict
        Empty when the folder has no manifest (or an unreadable one: then nothing in it counts as the kit's).

    Examples
    --------
    >>> import tempfile
    >>> read_manifest(tempfile.mkdtemp())
    {}
    """
    path = Path(folder) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {
        str(name): entry
        for name, entry in files.items()
        if isinstance(entry, dict) and isinstance(entry.get("sha256"), (str, list))
    }


def record_files(folder: str | os.PathLike[str], command: str, names: Iterable[str | os.PathLike[str]]) -> None:
    """Add files a command wrote directly (not through :class:`OutputFolder`) to ``folder``'s manifest.

    For commands that still write in place (``crmlib course``): their files then count as the kit's, so a later
    ``crmlib run`` may replace them.

    Parameters
    ----------
    folder : the output folder.
    command : the command that wrote them.
    names : paths relative to ``folder`` of existing files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (out / "index.html").write_text("<html></html>")
    >>> record_files(out, "course", ["index.html"])
    >>> read_manifest(out)["index.html"]["command"]
    'course'
    """
    root = Path(folder)
    manifest = read_manifest(root)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for raw in names:
        name = _relative(raw)
        path = root / name
        if path.is_file() and not path.is_symlink():
            manifest[name] = {"command": command, "sha256": _sha256(path), "written": now}
    _write_manifest(root, manifest)


def _write_manifest(folder: Path, files: dict[str, dict[str, Any]]) -> None:
    payload = {"format": "crmlib output manifest", "version": 1, "files": dict(sorted(files.items()))}
    tmp = folder / (MANIFEST_NAME + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
    tmp.replace(folder / MANIFEST_NAME)


def _hashes(entry: dict[str, Any]) -> set[str]:
    value = entry.get("sha256") or []
    return {value} if isinstance(value, str) else {v for v in value if isinstance(v, str)}


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _relative(name: str | os.PathLike[str]) -> str:
    """A normalised relative path inside the output folder; refuses absolute paths and ``..``."""
    text = PurePosixPath(Path(name).as_posix())
    if text.is_absolute() or ".." in text.parts or not text.parts or text.parts[0].startswith(STAGING_PREFIX):
        raise OutputError(f"{str(name)!r} is not a file name inside the output folder.")
    if text.parts[0] == MANIFEST_NAME:
        raise OutputError(f"{MANIFEST_NAME!r} is the kit's own list of files; no command writes it directly.")
    return str(text)


# ----------------------------------------------------------------------------------------------
# the output folder
# ----------------------------------------------------------------------------------------------


class OutputFolder:
    """A folder one command of the kit writes its results into, safely (see the module's description).

    Parameters
    ----------
    path : the output folder; created when the results are moved into place (and removed again if it was
        created for a run that failed and nothing else is in it).
    command : the writing command, recorded in the manifest (``"report"``, ``"run"``, ``"course"``).
    force : also replace files of the manifest that were changed since the kit wrote them. Files that are not
        in the manifest are never replaced.
    protect : files that must never be replaced or removed (the input data), whatever the manifest says.
    replaces : other commands whose files this command may replace (``run`` and ``course`` write the same
        chapter pages).
    scope : the files of the manifest this run answers for (names or :mod:`fnmatch` patterns, relative to the
        folder). Files of the previous run inside the scope that this run does not write again are removed;
        default: every file the same command wrote (``crmlib run 04`` passes its chapter's files only, so the
        pages of other chapters stay).
    option : how the caller names ``force`` in messages (``"--force"`` on the command line, ``"force=True"``
        in Python).

    Attributes
    ----------
    written : list of Path
        The files moved into place by the last commit.
    removed : list of Path
        Files of the previous run that this run removed (unchanged and not written again).

    Examples
    --------
    Files are written into a staging folder (``path``) and moved into place when the ``with`` block ends; a file
    the kit did not write is never replaced:

    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp()) / "results"
    >>> with OutputFolder(root, "report") as folder:
    ...     _ = folder.path("tables/summary.csv").write_text("a,b", encoding="utf-8")
    ...     folder.staged()
    ['tables/summary.csv']
    >>> [p.relative_to(root).as_posix() for p in folder.written]
    ['tables/summary.csv']
    >>> _ = (root / "notes.txt").write_text("mine", encoding="utf-8")
    >>> OutputFolder(root, "report").check(["notes.txt"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlib.outputs.OutputError: notes.txt in '...' was not written by crmlib report, and the kit never replaces ...
    >>> OutputFolder(root, "report").clean_leftovers()
    []
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        command: str,
        *,
        force: bool = False,
        protect: Iterable[str | os.PathLike[str]] = (),
        replaces: Sequence[str] = (),
        scope: Iterable[str] | None = None,
        option: str = "force=True",
    ) -> None:
        self.root = Path(path).expanduser()
        self.command = command
        self.force = bool(force)
        self.protect = {Path(p).expanduser().resolve() for p in protect}
        self.replaces = {command, *replaces}
        self.scope = None if scope is None else [str(p) for p in scope]
        self.option = option
        self.written: list[Path] = []
        self.removed: list[Path] = []
        self._staging: Path | None = None
        self._created_root = False
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(
                f"The output path {str(self.root)!r} is a file, not a folder; choose a folder for the results."
            )

    # -- checks ------------------------------------------------------------------------------------
    def check(self, names: Iterable[str | os.PathLike[str]]) -> None:
        """Raise :class:`OutputError` if writing these files (relative paths) would replace what it must not.

        Called by :meth:`commit` for the files actually written; call it early with the names known in advance
        to stop before the long work starts.
        """
        manifest = read_manifest(self.root) if self.root.is_dir() else {}
        foreign: list[str] = []
        changed: list[str] = []
        folders: list[str] = []
        for raw in names:
            name = _relative(raw)
            self._refuse_protected(name)
            folders.extend(self._files_in_the_way(name))
            verdict = self._verdict(name, manifest)
            if verdict == "foreign":
                foreign.append(name)
            elif verdict == "changed":
                changed.append(name)
        if folders:
            one = len(folders) == 1
            raise OutputError(
                f"{_listed(folders)} in {str(self.root)!r} {'is a file' if one else 'are files'} where "
                f"crmlib {self.command} needs a folder; move {'it' if one else 'them'} or choose another "
                "output folder."
            )
        if foreign:
            self._refuse_foreign(foreign, manifest)
        if changed:
            one = len(changed) == 1
            raise OutputError(
                f"{_listed(changed)} in {str(self.root)!r} {'was' if one else 'were'} changed since "
                "crmlib "
                f"{self.command} wrote {'it' if one else 'them'}; pass {self.option} to replace "
                f"{'it' if one else 'them'} (only files the kit wrote are ever replaced), or choose "
                "another output folder."
            )

    def _refuse_protected(self, name: str) -> None:
        """Raise if ``name`` is one of the protected files (the input data)."""
        target = self.root / name
        if target.resolve() in self.protect:
            raise OutputError(
                f"Writing {name} into {str(self.root)!r} would replace your input file {str(target)!r}; "
                "choose another output folder or move the input file."
            )

    def _files_in_the_way(self, name: str) -> list[str]:
        """The parents of ``name`` that exist as something other than a folder."""
        return [
            str(parent)
            for parent in PurePosixPath(name).parents
            if str(parent) != "." and (self.root / parent).exists() and not (self.root / parent).is_dir()
        ]

    def _verdict(self, name: str, manifest: dict[str, dict[str, Any]]) -> str:
        """``"free"`` (nothing there, or this command's unchanged file), ``"foreign"`` or ``"changed"``."""
        target = self.root / name
        if not target.exists() and not target.is_symlink():
            return "free"
        if target.is_dir() or target.is_symlink():
            return "foreign"
        entry = manifest.get(name)
        if entry is None or entry.get("command") not in self.replaces:
            return "foreign"
        if _sha256(target) not in _hashes(entry) and not self.force:
            return "changed"
        return "free"

    def _refuse_foreign(self, foreign: list[str], manifest: dict[str, dict[str, Any]]) -> None:
        """The error for files this command may not replace: another command's (named, with the fix) or the user's."""
        owners: dict[str, list[str]] = {}
        theirs = []
        for name in foreign:
            owner = _owner(self.root, name, manifest)
            if owner is None:
                theirs.append(name)
            else:
                owners.setdefault(owner, []).append(name)
        if owners:
            owner, names = next(iter(owners.items()))
            one = len(names) == 1
            raise OutputError(
                f"{_listed(names)} in {str(self.root)!r} {'was' if one else 'were'} written by crmlib {owner}, and "
                f"crmlib {self.command} never replaces the files of another command; run crmlib {owner} again to "
                f"update {'it' if one else 'them'}, or choose another output folder for crmlib {self.command}."
            )
        one = len(theirs) == 1
        raise OutputError(
            f"{_listed(theirs)} in {str(self.root)!r} {'was' if one else 'were'} not written by crmlib "
            f"{self.command}, and the kit never replaces files it did not write; move {'it' if one else 'them'} "
            "away or choose another output folder."
        )

    # -- staging -----------------------------------------------------------------------------------
    @property
    def staging(self) -> Path:
        """The staging folder of this run (created on first use)."""
        if self._staging is None:
            self.clean_leftovers()
            if not self.root.exists():
                self.root.mkdir(parents=True)
                self._created_root = True
            self._staging = self.root / f"{STAGING_PREFIX}{self.command}-{os.getpid()}"
            if self._staging.exists():
                shutil.rmtree(self._staging)
            self._staging.mkdir()
        return self._staging

    def path(self, name: str | os.PathLike[str]) -> Path:
        """Where to write the file ``name`` (a relative path) during the run; its folder exists."""
        target = self.staging / _relative(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def clean_leftovers(self) -> list[Path]:
        """Remove staging folders that killed runs left in the output folder; returns them."""
        gone: list[Path] = []
        if not self.root.is_dir():
            return gone
        for entry in self.root.iterdir():
            if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir() or entry.is_symlink():
                continue
            pid_text = entry.name.rsplit("-", 1)[-1]
            if pid_text.isdigit() and _pid_alive(int(pid_text)) and int(pid_text) != os.getpid():
                continue  # another run is writing here right now
            shutil.rmtree(entry, ignore_errors=True)
            gone.append(entry)
        return gone

    def staged(self) -> list[str]:
        """Relative paths of the files written into the staging folder so far."""
        if self._staging is None:
            return []
        return sorted(p.relative_to(self._staging).as_posix() for p in self._staging.rglob("*") if p.is_file())

    # -- commit / discard ---------------------------------------------------------------------------
    def commit(self) -> list[Path]:
        """Move the staged files into place, remove the previous run's leftovers, update the manifest."""
        names = self.staged()
        self.check(names)
        manifest = read_manifest(self.root)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        new = {name: _sha256(self.staging / name) for name in names}
        # First record old and new hashes, so that an interruption while moving leaves every file recognised.
        interim = dict(manifest)
        for name, digest in new.items():
            old = _hashes(manifest[name]) if name in manifest else set()
            interim[name] = {"command": self.command, "sha256": sorted(old | {digest}), "written": now}
        _write_manifest(self.root, interim)
        self.written = []
        for name in names:
            target = self.root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            (self.staging / name).replace(target)
            self.written.append(target)
        final = dict(interim)
        for name, digest in new.items():
            final[name] = {"command": self.command, "sha256": digest, "written": now}
        self.removed = []
        for name, entry in manifest.items():
            if name in new or entry.get("command") != self.command or not self._in_scope(name):
                continue
            target = self.root / name
            if target.resolve() in self.protect:
                final.pop(name, None)
                continue
            if target.is_file() and not target.is_symlink() and (self.force or _sha256(target) in _hashes(entry)):
                target.unlink()
                self.removed.append(target)
                _remove_empty_parents(target.parent, self.root)
            final.pop(name, None)  # changed by the user (kept): it is theirs now
        _write_manifest(self.root, final)
        self.discard()
        return self.written

    def _in_scope(self, name: str) -> bool:
        if self.scope is None:
            return True
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.scope)

    def discard(self) -> None:
        """Remove the staging folder (and the output folder, if this run created it and it is empty)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._created_root and self.root.is_dir() and not any(self.root.iterdir()):
            with contextlib.suppress(OSError):
                self.root.rmdir()

    def __enter__(self) -> OutputFolder:
        _ = self.staging
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()


def _owner(root: Path, name: str, manifest: dict[str, dict[str, Any]]) -> str | None:
    """The kit's command that wrote ``root/name``, from the manifest of ``root`` or of a folder above it."""
    entry = manifest.get(name)
    if entry is not None:
        return str(entry.get("command") or "") or None
    target = (root / name).resolve()
    for folder in list(target.parents)[1:6]:  # e.g. a course site's manifest, one level above its notebooks/
        entry = read_manifest(folder).get(target.relative_to(folder).as_posix())
        if entry is not None and _sha256(target) in _hashes(entry):
            return str(entry.get("command") or "") or None
    return None


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _listed(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(display_text(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return shown + more
