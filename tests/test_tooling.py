"""The project's tooling, run by ``make test``: ruff, mypy and the typing of the public API, all clean.

* ``ruff check .`` with the rule set of pyproject.toml (pyflakes, pycodestyle, import order, bugbear, pyupgrade,
  numpy, and the numpy-convention docstring rules for the public API).
* ``mypy`` in the mode stated in pyproject.toml: every module of crmlib, function bodies checked even where the
  function is not annotated (``check_untyped_defs``), unused ignores and redundant casts reported.
* Every public function and method of crmlib (what a public module's ``__all__`` lists, or its public names,
  wherever it is defined) is fully typed, and has a docstring with an example (or its class has one).
* The doctests run as part of pytest (``--doctest-modules`` over crmlib, pyproject's ``addopts``).

No file is excluded today. Should a rewrite ever need a temporary exclusion (ruff's ``per-file-ignores`` with
``ALL`` and mypy's ``ignore_errors`` overrides, side by side; the typing check skips the same modules), the two
lists must name the same crmlib files, and a listed file that is already clean under all three fails the test, so
the lists only shrink.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.spread  # ruff and mypy take a while each: one per worker


def _run(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False
    )


def pending_ruff() -> set[str]:
    """Files ruff skips for now (the temporary ``ALL`` entries of per-file-ignores)."""
    ignores = CONFIG["tool"]["ruff"]["lint"]["per-file-ignores"]
    return {path for path, rules in ignores.items() if rules == ["ALL"]}


def pending_mypy() -> set[str]:
    """Modules mypy skips for now (overrides with ``ignore_errors``), also exempt from the typing check."""
    found: set[str] = set()
    for override in CONFIG["tool"]["mypy"].get("overrides", []):
        if override.get("ignore_errors"):
            found |= set(override["module"])
    return found


def _as_module(path: str) -> str:
    parts = list(Path(path).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_ruff_is_clean():
    done = _run(BIN / "ruff", "check", ".", "--output-format", "concise")
    assert done.returncode == 0, f"ruff check . (pyproject.toml's rules):\n{done.stdout[-6000:]}{done.stderr[-2000:]}"


def _mypy_errors(tmp_path: Path) -> dict[str, list[str]]:
    """mypy with pyproject.toml's settings but without the temporary exclusions: file -> its error lines."""
    settings = {k: v for k, v in CONFIG["tool"]["mypy"].items() if k != "overrides"}
    lines = ["[mypy]"]
    for key, value in settings.items():
        text = ", ".join(value) if isinstance(value, list) else str(value)
        lines.append(f"{key} = {text}")
    config = tmp_path / "mypy.ini"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _run(BIN / "mypy", "--config-file", config, "--no-error-summary")
    errors: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        if ": error:" in line:
            errors.setdefault(line.split(":", 1)[0], []).append(line)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return errors


def _untyped_in(module_name: str) -> list[str]:
    functions = public_api().get(module_name, {})
    return [f"{module_name}.{q}: {', '.join(_untyped(f))}" for q, (f, _) in functions.items() if _untyped(f)]


def test_mypy_is_clean_and_the_exclusions_only_shrink(tmp_path):
    errors = _mypy_errors(tmp_path)
    pending = pending_mypy()
    new = {f: e for f, e in errors.items() if _as_module(f) not in pending}
    assert not new, "mypy (pyproject.toml's settings):\n" + "\n".join(line for e in new.values() for line in e)

    ruff_modules = {_as_module(p) for p in pending_ruff() if p.startswith("crmlib/")}
    assert ruff_modules == pending, (
        "pyproject.toml's temporary exclusions differ between ruff and mypy: "
        f"only ruff: {sorted(ruff_modules - pending)}, only mypy: {sorted(pending - ruff_modules)}"
    )
    gone = sorted(p for p in pending_ruff() if not (ROOT / p).exists())
    assert not gone, f"no longer exist: delete from the temporary lists in pyproject.toml: {gone}"
    listed = sorted(pending_ruff())
    permanent = {k: v for k, v in CONFIG["tool"]["ruff"]["lint"]["per-file-ignores"].items() if v != ["ALL"]}
    inline = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in permanent.items())
    done = _run(
        BIN / "ruff", "check", "--config", f"lint.per-file-ignores = {{{inline}}}", "--output-format", "json", *listed
    )
    dirty = {str(Path(f["filename"]).resolve().relative_to(ROOT)) for f in json.loads(done.stdout or "[]")}
    dirty |= set(errors)
    dirty |= {
        p for p in listed if p.startswith("crmlib/") and (_untyped_in(_as_module(p)) or _undocumented_in(_as_module(p)))
    }
    clean = [p for p in listed if p not in dirty]
    assert not clean, f"clean now: delete from the temporary lists in pyproject.toml: {clean}"


@functools.cache
def public_api() -> dict[str, dict[str, tuple[Any, Any]]]:
    """What a user reaches from a public module (no ``_`` in its path): ``__all__`` (or the public names), with the
    public methods of classes, grouped by the module that defines each: {module: {qualname: (function, class)}}."""
    found: dict[str, dict[str, tuple[Any, Any]]] = {}
    for name in _modules():
        if any(part.startswith("_") for part in name.split(".")):
            continue
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for attr in names:
            obj = getattr(module, attr, None)
            home = getattr(obj, "__module__", None) or ""
            if not home.startswith("crmlib"):
                continue
            if inspect.isfunction(obj):
                found.setdefault(home, {})[obj.__qualname__] = (obj, None)
            elif inspect.isclass(obj):
                for method, member in vars(obj).items():
                    if inspect.isfunction(member) and (not method.startswith("_") or method == "__init__"):
                        found.setdefault(home, {})[f"{obj.__qualname__}.{method}"] = (member, obj)
    return found


def _untyped(func) -> list[str]:
    signature = inspect.signature(func)
    missing = [
        p.name
        for i, p in enumerate(signature.parameters.values())
        if p.annotation is inspect.Parameter.empty and not (i == 0 and p.name in ("self", "cls"))
    ]
    if signature.return_annotation is inspect.Signature.empty and func.__name__ != "__init__":
        missing.append("return")
    return missing


def _modules() -> list[str]:
    import crmlib

    return ["crmlib", *(i.name for i in pkgutil.walk_packages(crmlib.__path__, "crmlib.") if "__main__" not in i.name)]


def test_every_public_function_is_typed():
    pending = pending_mypy()
    missing = [line for name in sorted(public_api()) if name not in pending for line in _untyped_in(name)]
    assert not missing, f"{len(missing)} public functions are not fully typed:\n" + "\n".join(missing)


def _undocumented_in(module_name: str) -> list[str]:
    """Public functions of the module without a docstring, or without an example (theirs or their class's)."""
    missing = []
    for qualname, (func, owner) in public_api().get(module_name, {}).items():
        doc = inspect.getdoc(func) or ""
        if not doc.strip():
            missing.append(f"{module_name}.{qualname}: no docstring")
        elif ">>>" not in doc and ">>>" not in (inspect.getdoc(owner) or "") and not qualname.endswith("__init__"):
            missing.append(f"{module_name}.{qualname}: no example")
    return missing


def test_every_public_function_has_a_docstring_with_an_example():
    """ruff's docstring rules treat a module named ``_topic`` as private; the API re-exported from one is checked here.

    A method is covered by its class's example.
    """
    pending = pending_mypy()
    missing = [line for name in sorted(public_api()) if name not in pending for line in _undocumented_in(name)]
    assert not missing, f"{len(missing)} public functions lack a docstring or an example:\n" + "\n".join(missing)


def test_the_typing_check_sees_a_missing_annotation():
    def typed(a: int, *, b: str = "") -> int:
        return a

    def partly(a, b: int):  # the case under test
        return a

    assert _untyped(typed) == []
    assert _untyped(partly) == ["a", "return"]
