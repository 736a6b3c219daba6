"""Packaging: the dependency lists agree, ``import crmlib`` stays light, every module imports, the command works."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import crmlib

ROOT = Path(__file__).resolve().parents[1]

# Tools only the test suite needs: in pyproject's `test` extra, deliberately not in environment.yml
# (Binder and conda users run the course, not the tests).
TEST_ONLY = {
    "pytest",
    "pytest-xdist",
    "nbval",
    "hypothesis",
    "playwright",
    "lifetimes",
    "build",
    "pyyaml",
    "ruff",
    "mypy",
    "msoffcrypto-tool",
}
# Entries of environment.yml that are not Python packages of pyproject.
CONDA_ONLY = {"python", "pip"}
# conda-forge names that differ from the PyPI names (conda name -> PyPI name).
CONDA_TO_PYPI: dict[str, str] = {}
# The notebook machinery: in the `course` extra, never in the core library.
NOTEBOOK_STACK = {"ipykernel", "ipywidgets", "nbformat", "nbclient", "nbconvert", "papermill"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _lower_bounds(specs) -> dict[str, str]:
    """{canonical name: specifier text} of requirement strings such as 'numpy>=1.26' (the kit's own extras left out)."""
    found = {}
    for text in specs:
        req = Requirement(text)
        if canonicalize_name(req.name) == "crmlib":
            continue
        found[canonicalize_name(CONDA_TO_PYPI.get(req.name, req.name))] = str(req.specifier)
    return found


def _own_extras(specs) -> set[str]:
    """The extras of the kit itself that a list pulls in ('crmlib[course]' -> {'course'})."""
    return {
        e for text in specs for e in Requirement(text).extras if canonicalize_name(Requirement(text).name) == "crmlib"
    }


def _conda_dependencies() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    conda = {}
    for text in plain:
        name = re.split(r"[<>=!~ ]", text, maxsplit=1)[0]
        if name in CONDA_ONLY:
            continue
        conda.update(_lower_bounds([text]))
    return conda, pip


def test_environment_yml_and_pyproject_list_the_same_dependencies():
    """environment.yml (conda, Binder) = the core library + the course extra + the lab extra, same bounds."""
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    wanted = _lower_bounds(project["dependencies"] + extras["course"] + extras["lab"])
    test_extra = _lower_bounds(extras["test"])
    conda, _ = _conda_dependencies()

    missing_in_conda = {n: s for n, s in wanted.items() if n not in conda}
    assert not missing_in_conda, f"in pyproject.toml but not in environment.yml: {missing_in_conda}"
    extra_in_conda = sorted(set(conda) - set(wanted) - set(test_extra))
    assert not extra_in_conda, f"in environment.yml but in no pyproject list: {extra_in_conda}"
    differing = {n: (wanted[n], conda[n]) for n in wanted if conda[n] != wanted[n]}
    assert not differing, f"versions differ (pyproject, environment.yml): {differing}"
    # The test extra holds the test-only tools plus what is in environment.yml with the same bound.
    for name, spec in test_extra.items():
        if name in TEST_ONLY:
            continue
        assert name in conda, f"{name} is in the test extra but neither in environment.yml nor in TEST_ONLY"
        assert conda[name] == spec, f"{name}: test extra says {spec!r}, environment.yml says {conda[name]!r}"


def test_the_core_library_installs_without_the_notebook_stack():
    """`pip install crmlib` is the library (and `crmlib report`); `[course]` adds notebooks; `[lab]` JupyterLab."""
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    core = set(_lower_bounds(project["dependencies"]))
    assert not core & (NOTEBOOK_STACK | {"jupyterlab", "ipython", "notebook"}), core
    assert {"numpy", "pandas", "scipy"} <= core
    assert NOTEBOOK_STACK <= set(_lower_bounds(extras["course"]))
    assert _own_extras(extras["lab"]) == {"course"} and "jupyterlab" in _lower_bounds(extras["lab"])
    assert "lab" in _own_extras(extras["test"]), "the tests drive JupyterLab: the test extra includes lab"


def test_environment_yml_installs_the_kit_itself():
    _, pip = _conda_dependencies()
    assert any("-e ." in entries.get("pip", []) for entries in pip), "environment.yml must pip-install the kit (-e .)"
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.replace(" ", "") == "python" + _pyproject()["project"]["requires-python"]


def test_readme_says_which_install_is_for_what():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("pip install crmlib", 'pip install "crmlib[course]"', 'pip install "crmlib[lab]"'):
        assert command in readme, f"README.md does not show {command!r}"


def test_the_makefile_installs_the_extras_each_target_needs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")

    def prerequisite(target: str) -> str:
        match = re.search(rf"^{target}:\s*(\S+)", makefile, re.MULTILINE)
        assert match, f"no target {target!r}"
        return match.group(1)

    def installs(stamp: str) -> str:
        recipe = re.search(rf"^{re.escape(stamp)}:.*\n\t\$\(INSTALL\) -e \"\.\[(.+?)\]\"", makefile, re.M)
        assert recipe, f"the stamp {stamp} installs no extras"
        return recipe.group(1)

    assert installs(prerequisite("course")) == "course"
    assert installs(prerequisite("lab")) == "lab"
    assert installs(prerequisite("test")) == "$(EXTRAS)"
    assert re.search(r"^EXTRAS \?= test$", makefile, re.M)


@pytest.mark.parametrize(
    ("uv", "expected"),
    [
        ("exit 0", ["uv pip install --quiet --python {bin}/python --compile-bytecode -e .[course]"]),
        (
            "exit 1",
            [
                "uv pip install --quiet --python {bin}/python --compile-bytecode -e .[course]",
                "python -m pip install --quiet -e .[course]",
            ],
        ),
        (None, ["python -m pip install --quiet -e .[course]"]),
    ],
    ids=["uv installs", "uv fails: pip", "no uv: pip"],
)
def test_the_makefile_installs_with_uv_and_falls_back_to_pip(tmp_path, uv, expected):
    """The install recipe, run by make against stand-ins for the venv's python and uv that log their arguments."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "calls.log"
    stand_ins = {"python": "exit 0"} if uv is None else {"python": "exit 0", "uv": uv}
    for name, status in stand_ins.items():
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n{status}\n', encoding="utf-8")
        script.chmod(0o755)
    stamp = tmp_path / "venv" / ".installed-course"
    subprocess.run(
        ["make", "--no-print-directory", "-s", f"VENV={tmp_path / 'venv'}", str(stamp)],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=60,
    )
    assert log.read_text(encoding="utf-8").splitlines() == [line.format(bin=bin_dir) for line in expected]
    assert stamp.exists()


def test_every_package_of_crmlib_is_in_the_wheel_list():
    """pyproject.toml lists the packages explicitly: a new sub-package, or a new folder of data (templates), must be
    added, or the wheel lacks it."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "crmlib").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert found <= listed, f"missing from [tool.setuptools] packages: {sorted(found - listed)}"
    mapped = _pyproject()["tool"]["setuptools"]["package-dir"]
    unknown = sorted(listed - found - set(mapped))
    assert not unknown, f"[tool.setuptools] packages lists what is no package of crmlib: {unknown}"
    for package, folder in mapped.items():
        assert package in listed and (ROOT / folder).is_dir(), (package, folder)


def test_the_drift_check_notices_a_drift():
    """The comparison above really compares: a changed bound or a missing package is seen."""
    wanted = _lower_bounds(["numpy>=1.26", "pandas>=2.1"])
    assert wanted != _lower_bounds(["numpy>=1.25", "pandas>=2.1"])
    assert set(wanted) != set(_lower_bounds(["numpy>=1.26"]))


def _fresh_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


HEAVY = ["numpy", "pandas", "scipy", "matplotlib", "seaborn", "ipywidgets", "papermill", "nbformat", "nbconvert"]


def test_import_crmlib_loads_no_heavy_library():
    out = _fresh_python(f"import sys, json, crmlib; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert json.loads(out) == []


def test_the_command_line_module_loads_no_heavy_library_before_it_runs():
    code = (
        "import sys, json, crmlib.cli; p = crmlib.cli.build_parser(); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert json.loads(_fresh_python(code)) == []


def test_the_heavy_check_can_fail():
    out = _fresh_python(
        f"import sys, json, crmlib; crmlib.rfm; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert "pandas" in json.loads(out)


def test_python_m_crmlib_help():
    done = subprocess.run(
        [sys.executable, "-m", "crmlib", "--help"], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: crmlib")
    for command in ("list", "run", "course", "notebooks"):
        assert re.search(rf"^\s+{command}\s", done.stdout, re.MULTILINE), command
    assert done.stderr == ""


def test_console_script_points_at_main():
    target = _pyproject()["project"]["scripts"]["crmlib"]
    module, _, func = target.partition(":")
    assert callable(getattr(importlib.import_module(module), func))


def _modules() -> list[str]:
    names = ["crmlib"]
    for info in pkgutil.walk_packages(crmlib.__path__, prefix="crmlib."):
        if info.name.endswith("__main__"):
            continue  # running it is the command, tested above
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_every_module_imports(name):
    importlib.import_module(name)


@pytest.mark.parametrize("name", crmlib._SUBMODULES)
def test_every_advertised_submodule_exists(name):
    """``crmlib.__all__`` promises these names (``crmlib.clv`` ...): each must import."""
    module = getattr(crmlib, name)
    assert module.__name__ == f"crmlib.{name}"


@pytest.mark.parametrize("package", ["crmlib.plot", "crmlib.widgets", "crmlib.datasets"])
def test_reexported_names_are_listed_once_and_exist(package):
    """Each ``_topic`` submodule's ``__all__`` is re-exported by its package; two topics must not export
    different objects under one name (the later star-import would silently shadow the first)."""
    pkg = importlib.import_module(package)
    owners: dict[str, str] = {}
    for info in pkgutil.iter_modules(pkg.__path__, prefix=package + "."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{info.name}.__all__ lists {name!r}, which it does not define"
            if name in owners:  # the same object re-exported is harmless; two different ones shadow each other
                first = getattr(importlib.import_module(owners[name]), name)
                assert first is getattr(module, name), f"{name!r} is exported by both {owners[name]} and {info.name}"
                continue
            owners[name] = info.name
            assert getattr(pkg, name) is getattr(module, name), f"{package}.{name} is not {info.name}.{name}"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make course" in readme
    assert "make test" in readme


def test_readme_course_map_lists_every_chapter():
    from crmlib.course import chapters

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c.stem for c in chapters() if f"`{c.stem}`" not in readme]
    assert not missing, f"README.md's course map does not list: {missing}"


def test_makefile_calls_only_existing_subcommands():
    from crmlib.cli import EXTENSIONS, build_parser

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    calls = re.findall(r"\$\(BIN\)/crmlib\s+(\S+)", makefile)
    assert {"course", "notebooks"} <= set(calls)
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices) | set(EXTENSIONS)
    assert set(calls) <= known, set(calls) - known
