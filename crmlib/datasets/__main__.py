"""Regenerate the bundled data: ``python -m crmlib.datasets [FOLDER]`` (``make data``).

Every dataset module of :mod:`crmlib.datasets` may define a private ``_bundle()`` returning
``{file_name: (frame, metadata)}``; this command writes each frame as CSV into FOLDER (default the
kit's ``data/``) with a JSON sidecar (same stem, ``.json``) holding the metadata plus the row count,
the columns and the sha256 of the CSV. The generators use fixed seeds, so two runs write the same
bytes. Files are (over)written: that is the command's purpose; it prints what it wrote.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
from pathlib import Path

_MODULES = ("_retail", "_survey", "_cohorts", "_cdnow", "_firms", "_churn", "_donations")


def csv_bytes(frame) -> bytes:
    """The bytes the kit writes for a bundled frame (UTF-8, ``\\n`` line ends, ISO dates, no index)."""
    text = frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return text.encode("utf-8")


def bundles() -> dict:
    """All bundled files: ``{file_name: (frame, metadata)}`` gathered from the dataset modules."""
    found: dict = {}
    for name in _MODULES:
        module = importlib.import_module(f"crmlib.datasets.{name}")
        make = getattr(module, "_bundle", None)
        if make is None:
            continue
        for file_name, item in make().items():
            if file_name in found:
                raise RuntimeError(f"Two dataset modules both write {file_name!r}.")
            found[file_name] = item
    return found


def write_all(folder: Path, *, verbose: bool = True) -> list[Path]:
    """Write every bundled CSV and its JSON sidecar into ``folder``; return the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, (frame, meta) in bundles().items():
        data = csv_bytes(frame)
        path = folder / file_name
        path.write_bytes(data)
        sidecar = {
            "file": file_name,
            **meta,
            "rows": int(len(frame)),
            "columns": [str(c) for c in frame.columns],
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        side = folder / (Path(file_name).stem + ".json")
        side.write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written += [path, side]
        if verbose:
            print(f"wrote {path} ({len(frame):,} rows, {len(data) / 1024:,.0f} KiB) and {side.name}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crmlib.datasets",
        description="Regenerate the kit's bundled datasets (CSV + JSON sidecar) from fixed seeds.",
    )
    parser.add_argument("folder", nargs="?", default=None, help="target folder (default: the kit's data/)")
    args = parser.parse_args(argv)
    if args.folder is None:
        from crmlib.datasets._retail import data_dir

        folder = data_dir()
    else:
        folder = Path(args.folder)
    write_all(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
