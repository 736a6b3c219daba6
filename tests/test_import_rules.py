"""Layers that only point down: the import rules of DESIGN.md, read from the source (nothing is imported).

1. **No private name crosses a module boundary.** ``from crmlib.x import _y`` (or ``crmlib.x._y``) in another
   module fails. A private module (``crmlib.pkg._mod``) is imported only from inside its own package
   ``crmlib.pkg``: what two places share gets one public (or ``_internal``) home.
2. **No import cycle** among crmlib's modules. Imports inside functions count (a lazy import hides a cycle, it does
   not remove it); imports under ``if TYPE_CHECKING:`` do not.
3. **Computation modules point down only**: they import nothing of ``datasets``, ``plot``, ``widgets``,
   ``exercises``, ``course``, ``report``, ``outputs`` or ``cli``.
4. **Computation modules need no display and no notebook machinery**: no matplotlib, seaborn, ipywidgets, IPython,
   papermill, nbformat, nbclient or nbconvert at module level (inside a function is allowed).
5. **The notebooks use the public API only**: the chapters, the student exercises and their instructor sources
   name no private module or name of crmlib.
6. **Nothing new uses ``crmlib._units``**: the time units live in :mod:`crmlib.params`; ``crmlib._units`` stays
   importable only for older notebooks.

Known violations in code that is being rewritten are listed in :data:`KNOWN`, each with what must change. A listed
violation that no longer occurs fails the test too, so the list only shrinks: delete the line when the fix lands.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Computation modules (and their private helpers): numpy, pandas and scipy only.
COMPUTATION = (
    "data", "rfm", "clv", "models", "tiers", "lifecycle", "loyalty", "relationship", "value", "churn", "params",
    "scale", "_days", "_units",
)  # fmt: skip
#: The layers above the computation: presentation, bundled data and the applications.
UPPER = ("datasets", "plot", "widgets", "exercises", "course", "report", "outputs", "cli")
#: Libraries a computation module may import inside a function only.
HEAVY = ("matplotlib", "seaborn", "ipywidgets", "IPython", "papermill", "nbformat", "nbclient", "nbconvert")
#: Modules kept only for older notebooks; crmlib's own modules use the new home.
DEPRECATED = {"crmlib._units": "crmlib.params"}

#: Violations that exist today in code other work is rewriting: violation -> what must change. Each must still
#: occur (the test says when one is gone, so its line is deleted).
KNOWN: dict[str, str] = {}


# --------------------------------------------------------------------------- reading the imports


@dataclass(frozen=True)
class Use:
    """One use of a module: ``importer`` imports (or reads an attribute path of) ``module``, taking ``name``."""

    importer: str
    module: str
    name: str | None  # a name taken from the module (None: the module itself)
    line: int
    lazy: bool  # inside a function body
    where: str  # file (and cell) for messages


def modules_of(folder: Path, package: str) -> dict[str, Path]:
    """Every module of the package in ``folder``: dotted name -> file."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(folder).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join([package, *parts])] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(body: list[ast.stmt], lazy: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``body`` with whether it runs inside a function; ``if TYPE_CHECKING:`` blocks left out."""
    for stmt in body:
        if isinstance(stmt, ast.If) and _is_type_checking(stmt):
            yield from _walk(stmt.orelse, lazy)
            continue
        inner = lazy or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield stmt, lazy
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                yield from _walk([child], inner)
            else:
                for node in ast.walk(child):
                    yield node, inner


def uses(
    tree: ast.Module, importer: str, known: set[str], root: str, where: str, is_package: bool = False
) -> list[Use]:
    """The uses of modules under ``root`` in ``tree``: imports, and attribute paths of names bound to modules."""
    found: list[Use] = []
    bound: dict[str, str] = {}  # local name -> module it is bound to

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = importer.split(".")
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        return ".".join(base + ([node.module] if node.module else []))

    for node, lazy in _walk(tree.body):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == root or alias.name.startswith(root + "."):
                    found.append(Use(importer, alias.name, None, line, lazy, where))
                    bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else root
        elif isinstance(node, ast.ImportFrom):
            module = resolve(node)
            if not (module == root or module.startswith(root + ".")):
                continue
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                if sub in known:
                    found.append(Use(importer, sub, None, line, lazy, where))
                    bound[alias.asname or alias.name] = sub
                else:
                    found.append(Use(importer, module, alias.name, line, lazy, where))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            chain: list[str] = []
            head: ast.expr = node
            while isinstance(head, ast.Attribute):
                chain.insert(0, head.attr)
                head = head.value
            if not (isinstance(head, ast.Name) and head.id in bound) or not chain:
                continue
            module = bound[head.id]
            for attr in chain:
                if f"{module}.{attr}" in known:
                    module = f"{module}.{attr}"
                    found.append(Use(importer, module, None, line, lazy, where))
                else:
                    found.append(Use(importer, module, attr, line, lazy, where))
                    break
    return list(dict.fromkeys(found))


def package_uses(folder: Path, package: str) -> tuple[dict[str, Path], list[Use]]:
    known = modules_of(folder, package)
    found: list[Use] = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(folder.parent).as_posix()
        found += uses(tree, name, set(known), package, rel, is_package=path.name == "__init__.py")
    return known, found


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


# --------------------------------------------------------------------------- the rules


def private_violations(found: list[Use]) -> dict[str, str]:
    """Rule 1: private names across modules; private modules from outside their package."""
    out = {}
    for use in found:
        parts = use.module.split(".")
        for i, part in enumerate(parts):
            if _private(part):
                owner = ".".join(parts[:i])  # the package the private module belongs to
                if not (use.importer == owner or use.importer.startswith(owner + ".")):
                    out[f"private module: {use.importer} imports {'.'.join(parts[: i + 1])}"] = (
                        f"{use.where}:{use.line}"
                    )
                break
        if use.name is not None and _private(use.name) and use.module != use.importer:
            out[f"private name: {use.importer} imports {use.module}.{use.name}"] = f"{use.where}:{use.line}"
    return out


def import_cycles(known: dict[str, Path], found: list[Use]) -> list[list[str]]:
    """Rule 2: the strongly connected components of more than one module (Tarjan), each as a sorted list."""
    graph: dict[str, set[str]] = {name: set() for name in known}
    for use in found:
        if use.module in known and use.module != use.importer:
            graph[use.importer].add(use.module)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _in(module: str, package: str, names: tuple[str, ...]) -> bool:
    return any(module == f"{package}.{n}" or module.startswith(f"{package}.{n}.") for n in names)


def layer_violations(found: list[Use], package: str = "crmlib") -> dict[str, str]:
    """Rule 3: a computation module importing an upper layer."""
    return {
        f"layer: {use.importer} imports {use.module}": f"{use.where}:{use.line}"
        for use in found
        if _in(use.importer, package, COMPUTATION) and _in(use.module, package, UPPER)
    }


def heavy_violations(folder: Path, package: str = "crmlib") -> dict[str, str]:
    """Rule 4: a computation module importing a display or notebook library at module level."""
    out = {}
    for name, path in modules_of(folder, package).items():
        if not _in(name, package, COMPUTATION):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, lazy in _walk(tree.body):
            if lazy:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                targets = [node.module or ""]
            else:
                continue
            for target in targets:
                if target.split(".")[0] in HEAVY:
                    out[f"heavy: {name} imports {target} at module level"] = f"{path.name}:{node.lineno}"
    return out


def deprecated_violations(found: list[Use]) -> dict[str, str]:
    """Rule 6: crmlib's own modules importing a module kept only for old notebooks."""
    return {
        f"deprecated: {use.importer} imports {use.module}": f"{use.where}:{use.line} (use {DEPRECATED[use.module]})"
        for use in found
        if use.module in DEPRECATED and use.importer != use.module
    }


def _code_of_notebook(path: Path) -> str:
    """The code cells of a notebook as one module; IPython's magics and shell escapes become blank lines."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line in source.splitlines():
            lines.append("" if line.lstrip().startswith(("%", "!")) else line)
        lines.append("")
    return "\n".join(lines)


def notebook_violations(paths: list[Path], known: set[str], package: str = "crmlib") -> dict[str, str]:
    """Rule 5: a notebook naming a private module or name of the package."""
    out = {}
    for path in paths:
        tree = ast.parse(_code_of_notebook(path), filename=str(path))
        rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        for use in uses(tree, "<notebook>", known, package, rel):
            if any(_private(part) for part in use.module.split(".")):
                out.setdefault(f"notebook: {rel} uses {_head(use.module)}", f"line {use.line} of the code cells")
            elif use.name is not None and _private(use.name):
                out.setdefault(f"notebook: {rel} uses {use.module}.{use.name}", f"line {use.line} of the code cells")
    return out


def _head(module: str) -> str:
    """``crmlib._units.x`` -> ``crmlib._units``: the module path up to its first private part."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if _private(part):
            return ".".join(parts[: i + 1])
    return module


def all_violations(folder: Path, package: str, notebooks: list[Path]) -> dict[str, str]:
    known, found = package_uses(folder, package)
    out: dict[str, str] = {}
    out.update(private_violations(found))
    out.update(layer_violations(found, package))
    out.update(heavy_violations(folder, package))
    out.update(deprecated_violations(found))
    out.update(notebook_violations(notebooks, set(known), package))
    for cycle in import_cycles(known, found):
        out[f"cycle: {' <-> '.join(cycle)}"] = "imports inside functions count too"
    return out


def _notebooks() -> list[Path]:
    return sorted(
        [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("exercises/*.ipynb"), *ROOT.glob("exercises/source/*.ipynb")]
    )


# --------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def violations() -> dict[str, str]:
    return all_violations(ROOT / "crmlib", "crmlib", _notebooks())


def test_the_rules_are_kept(violations):
    new = {k: v for k, v in violations.items() if k not in KNOWN}
    assert not new, "import rules broken (see tests/test_import_rules.py):\n" + "\n".join(
        f"  {k}  ({v})" for k, v in sorted(new.items())
    )


def test_every_known_violation_still_exists(violations):
    """A fixed violation is deleted from KNOWN, so the list of exceptions only shrinks."""
    gone = sorted(k for k in KNOWN if k not in violations)
    assert not gone, "fixed, delete from KNOWN in tests/test_import_rules.py:\n" + "\n".join(f"  {k}" for k in gone)


def test_the_notebooks_are_read():
    paths = _notebooks()
    assert len(paths) >= 10
    assert all("import crmlib" in _code_of_notebook(p) or "from crmlib" in _code_of_notebook(p) for p in paths)


# A small package with one violation of each rule: the checks find every one (and nothing in the clean module).
PLANTED = {
    "__init__.py": "",
    "clean.py": "from pkg.params import check\nfrom pkg import _helpers\n\ndef f():\n    import matplotlib\n",
    "_helpers.py": "VALUE = 1\n",
    "params.py": "from pkg.rfm import summarize\n\ndef check():\n    return 1\n",
    "rfm.py": (
        "import matplotlib.pyplot as plt\nfrom pkg.params import check\nfrom pkg.value import _secret\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.plot import chart\n\n"
        "def summarize():\n    from pkg.datasets import load\n    return check()\n"
    ),
    "value.py": "_secret = 1\nfrom pkg._units import DAYS\n",
    "_units.py": "DAYS = 1\n",
    "plot/__init__.py": "from pkg.plot._base import chart\n",
    "plot/_base.py": "def chart():\n    pass\n",
    "datasets/__init__.py": "from pkg.plot._base import chart\n\ndef load():\n    import pkg.value\n    "
        "return pkg.value._secret\n",
}


def test_the_checks_find_planted_violations(tmp_path, monkeypatch):
    folder = tmp_path / "pkg"
    for name, text in PLANTED.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    notebook = tmp_path / "chapter.ipynb"
    cells = ["%matplotlib inline\nimport pkg\n", "x = pkg._units.DAYS\nfrom pkg.plot import chart\n"]
    notebook.write_text(
        json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells]}),
        encoding="utf-8",
    )
    monkeypatch.setitem(DEPRECATED, "pkg._units", "pkg.params")
    found = all_violations(folder, "pkg", [notebook])
    assert set(found) == {
        "private name: pkg.rfm imports pkg.value._secret",
        "private name: pkg.datasets imports pkg.value._secret",
        "private module: pkg.datasets imports pkg.plot._base",
        "heavy: pkg.rfm imports matplotlib.pyplot at module level",
        "layer: pkg.rfm imports pkg.datasets",
        "deprecated: pkg.value imports pkg._units",
        "notebook: chapter.ipynb uses pkg._units",
        "cycle: pkg.params <-> pkg.rfm",
    }, found
