"""Which file to read, and what kind it is: a path is always a path, never a pattern.

The reader only reads regular files: a folder, a named pipe (FIFO), a device or a socket is refused
before anything is opened (a pipe would never end, a device never runs dry). A file reached through a
symbolic link is read, but no message ever shows its content (it may be a file the user did not mean to
show). Patterns (``logs/*.parquet``) are expanded only where the caller asks for them
(:func:`files_of_pattern`).
"""

from __future__ import annotations

import difflib
import glob
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from crmlib.data.errors import DataError

__all__ = ["SUPPORTED", "FileSource", "file_kind", "file_source", "files_of_pattern"]

#: The file kinds the reader takes, as the messages list them.
SUPPORTED = ".csv, .csv.gz, .tsv, .txt (delimited text), .parquet, .xlsx, .xls"
_TEXT = (".csv", ".tsv", ".txt")
_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True)
class FileSource:
    """A file to read: its path, kind ("text", "parquet", "excel"), compression, and whether to quote it."""

    path: Path
    kind: str
    compression: str | None
    ext: str
    quote: bool
    size: int

    @property
    def name(self) -> str:
        """The file as messages name it."""
        return repr(self.path.name)


def file_kind(path: Path) -> tuple[str | None, str | None, str]:
    """(kind, compression, extension) of a path from its name; kind None when not supported.

    Examples
    --------
    >>> file_kind(Path("orders.csv.gz"))
    ('text', 'gzip', '.gz')
    >>> file_kind(Path("orders.json"))
    (None, None, '.json')
    """
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    ext = suffixes[-1] if suffixes else ""
    if ext == ".gz" and len(suffixes) == 2 and suffixes[0] in _TEXT:
        return "text", "gzip", ext
    if ext in _TEXT:
        return "text", None, ext
    if ext in (".parquet", ".pq", ".parq"):
        return "parquet", None, ext
    if ext in (".xlsx", ".xlsm", ".xls"):
        return "excel", None, ext
    return None, None, ext


def _missing(path: Path, func: str) -> DataError:
    parent = path.parent if str(path.parent) else Path(".")
    hint = ""
    if parent.is_dir():
        try:
            names = [p.name for _, p in zip(range(2000), parent.iterdir())]
        except OSError:
            names = []
        near = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
        if near:
            hint = f" Did you mean {str(parent / near[0])!r}?"
    return DataError(
        f"{func}: there is no file {str(path)!r} (working folder: {os.getcwd()!r}).{hint} "
        "Check the path; relative paths start from the working folder (a notebook's own folder)."
    )


def file_source(source: str | os.PathLike, func: str = "read_transactions") -> FileSource:
    r"""The :class:`FileSource` of a path; DataError for a folder, a missing file, a pipe, a device...

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder, "orders.csv")
    ...     _ = path.write_text("customer_id,date,amount\nA,2024-01-02,10\n", encoding="utf-8")
    ...     src = file_source(path)
    >>> src.kind, src.name, src.size
    ('text', "'orders.csv'", 40)
    """
    path = Path(source).expanduser()
    try:
        info = os.stat(path)  # follows links: the kind of what would be read
    except FileNotFoundError:
        raise (
            _missing(path, func)
            if not os.path.islink(path)
            else DataError(
                f"{func}: {str(path)!r} is a link to a file that does not exist. Give the path of the file itself."
            )
        ) from None
    except OSError as exc:
        raise DataError(
            f"{func}: cannot read {str(path)!r} ({exc.strerror}). Check the path and its permissions."
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(
            f"{func}: {str(path)!r} is a folder, not a file. Give the path of the transaction file inside it "
            f"({SUPPORTED})."
        )
    for test, what in _NOT_REGULAR:
        if test(info.st_mode):
            raise DataError(
                f"{func}: {str(path)!r} is {what}, not a file; it is not read (it may never end). "
                "Save the transactions to a file and give its path."
            )
    kind, compression, ext = file_kind(path)
    if kind is None:
        raise DataError(
            f"{func}: cannot read {path.name!r}: the extension {ext or '(none)'!r} is not supported. "
            f"Supported: {SUPPORTED}. If it is a delimited text file, rename it to .csv."
        )
    if info.st_size == 0:
        raise DataError(f"{func}: the file {path.name!r} is empty (0 bytes). Export the transactions again.")
    return FileSource(
        path=path, kind=kind, compression=compression, ext=ext, quote=not os.path.islink(path), size=info.st_size
    )


def files_of_pattern(pattern: str, func: str) -> list[FileSource]:
    r"""The files matching a glob ``pattern`` (sorted), each checked; DataError when none matches.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for month in ("01", "02"):
    ...         _ = Path(folder, f"orders-{month}.csv").write_text("customer_id,date,amount\n", encoding="utf-8")
    ...     print([s.path.name for s in files_of_pattern(str(Path(folder, "orders-*.csv")), "summarize_file")])
    ['orders-01.csv', 'orders-02.csv']
    """
    matches = sorted(glob.glob(os.path.expanduser(pattern), recursive=True))
    files = [m for m in matches if not os.path.isdir(m)]
    if not files:
        raise DataError(
            f"{func}: no file matches the pattern {pattern!r} (working folder {os.getcwd()!r}). Check the pattern, "
            "e.g. 'logs/*.parquet'."
        )
    sources = [file_source(m, func) for m in files]
    kinds = {s.kind for s in sources}
    if len(kinds) > 1:
        raise DataError(
            f"{func}: the pattern {pattern!r} matches files of different kinds ({', '.join(sorted(kinds))}); "
            "give a pattern that matches one kind, e.g. 'logs/*.parquet'."
        )
    return sources
