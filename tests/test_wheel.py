"""The kit as a user installs it: the wheel and the sdist, each in a fresh virtual environment outside the clone.

``python -m build`` (the standard front-end, build isolation on) makes the sdist and, from it, the wheel. The wheel
is installed into a new virtual environment and used from a folder outside the repository, with nothing of the
clone on ``sys.path``, in two steps:

1. ``pip install crmlib`` (the core library): every ``crmlib.datasets.load_*()`` returns its data, ``crmlib list``
   lists the chapters, ``crmlib report`` writes the analyst's report, and the notebook stack is absent;
2. ``pip install "crmlib[course]"``: ``crmlib run 04``, ``crmlib course`` and ``crmlib exercises build`` write
   their outputs.

The sdist is what ``pip install crmlib`` builds from where no wheel fits: it is installed the same way into its own
environment (pip builds a wheel from it there) and must give a wheel with the very files, byte for byte, of the one
above, and the core step must pass; the course step would then run the same files a second time, so it is not
repeated.

An audit hook (:pep:`578`) in every Python process of the environment, the notebook kernels included, records each
file or folder of the clone that is opened, listed or put on the import path; the test fails if there is one. A
check first shows that the hook does see a read of the clone.

Installs are offline (``--no-index``) from a wheelhouse of the dependencies, made once with ``pip download``
(``$CRM_WHEELHOUSE``, default ``~/.cache/crmlib-tests/wheelhouse``) and reused while the requirements are the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.spread(cost=10)]  # the two installs on both workers, first

ROOT = Path(__file__).resolve().parents[1]
# What the installed kit must hold: every chapter and every exercise source of the clone.
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted(p.name for p in (ROOT / "exercises" / "source").glob("*.ipynb"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NOTEBOOK_STACK = ("nbformat", "nbclient", "nbconvert", "papermill", "ipykernel", "ipywidgets", "jupyterlab")

# What a user of the installed kit expects: crmlib report computed by crmlib without a notebook, so it runs on the
# core install (CORE_REPORT), with its outputs (report.html, report.xlsx, report.json); crmlib course builds the
# offline site (one chapter, --only 00, keeps the test short, since it executes the chapters it builds); crmlib
# exercises build hands out a class; every bundled loader, load_cdnow included, reads its file from the wheel.
CORE_REPORT = True

AUDIT = r'''
"""Installed by tests/test_wheel.py: record every path of the clone a Python process of this venv touches."""
import os
import sys

_ROOTS = tuple(r for r in os.environ.get("CRM_AUDIT_ROOTS", "").split(os.pathsep) if r)
_LOG = os.environ.get("CRM_AUDIT_LOG")


def _under(path):
    try:
        path = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return any(path == r or path.startswith(r + os.sep) for r in _ROOTS)


def _note(event, path):
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{event} {path} (pid {os.getpid()}: {' '.join(sys.argv)[:120]})\n".encode())
    finally:
        os.close(fd)


def _hook(event, args):
    if event in ("open", "os.listdir", "os.scandir", "os.chdir", "glob.glob"):
        if args and not isinstance(args[0], int) and args[0] is not None and _under(args[0]):
            _note(event, args[0])
    elif event == "import":
        for entry in args[2] or ():
            if isinstance(entry, str) and entry and _under(entry):
                _note("sys.path", entry)


if _ROOTS and _LOG:
    for _entry in sys.path:
        if _entry and _under(_entry):
            _note("sys.path", _entry)
    sys.addaudithook(_hook)
'''


# --------------------------------------------------------------------------- the wheelhouse and the build


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (the pytest-xdist workers share the wheelhouse and the build)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def _requirements() -> list[str]:
    """What an offline install of the kit needs: the build backend, the core and the course extra."""
    project = PYPROJECT["project"]
    return [
        *PYPROJECT["build-system"]["requires"],
        *project["dependencies"],
        *project["optional-dependencies"]["course"],
    ]


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    folder = Path(os.environ.get("CRM_WHEELHOUSE", Path.home() / ".cache" / "crmlib-tests" / "wheelhouse"))
    wanted = sorted(_requirements())
    stamp_text = json.dumps({"python": sys.version_info[:2], "requirements": wanted})
    stamp = folder / f"stamp-{hashlib.sha256(stamp_text.encode()).hexdigest()[:16]}"
    with _locked(folder.parent / "wheelhouse.lock"):
        if not stamp.exists():
            folder.mkdir(parents=True, exist_ok=True)
            _run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", folder, *wanted], timeout=1800)
            stamp.write_text(stamp_text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def dist(tmp_path_factory, wheelhouse) -> dict[str, Path]:
    """The sdist and the wheel built from it, once per test run (shared by the xdist workers)."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent / f"crmlib-dist-{run_id}") if run_id else base / "crmlib-dist"
    with _locked(folder.with_suffix(".lock")):
        if not any(folder.glob("*.whl")):
            env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}  # the build env, offline
            _run([sys.executable, "-m", "build", "--outdir", folder, ROOT], timeout=900, env=env)
    wheels, sdists = list(folder.glob("crmlib-*.whl")), list(folder.glob("crmlib-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in folder.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


# --------------------------------------------------------------------------- a fresh environment


class Env:
    """A new virtual environment, used from a folder outside the clone, every process audited."""

    def __init__(self, folder: Path, wheelhouse: Path):
        self.folder = folder
        self.venv = folder / "venv"
        self.work = folder / "work"  # the current folder of every command
        self.home = folder / "home"
        self.log = folder / "clone-reads.log"
        self.wheelhouse = wheelhouse
        for path in (self.work, self.home):
            path.mkdir(parents=True)
        _run([sys.executable, "-m", "venv", "--without-pip", self.venv], timeout=300)
        self.python = self.venv / "bin" / "python"
        site = Path(
            _run(
                [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], timeout=60
            ).stdout.strip()
        )
        (site / "crm_test_audit.py").write_text(AUDIT, encoding="utf-8")
        (site / "crm_test_audit.pth").write_text("import crm_test_audit\n", encoding="utf-8")
        roots = {str(ROOT), os.path.realpath(ROOT)}
        keep = {
            k: v
            for k, v in os.environ.items()
            if k in ("LANG", "LC_ALL", "TZ", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
        }
        self.env = {
            **keep,
            "PATH": f"{self.venv / 'bin'}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(self.home),  # no user-wide Jupyter kernels or settings
            "MPLCONFIGDIR": str(folder / "mpl"),
            "PYTHONNOUSERSITE": "1",
            "CRM_AUDIT_ROOTS": os.pathsep.join(sorted(roots)),
            "CRM_AUDIT_LOG": str(self.log),
        }

    def install(self, requirement: str, *find_links: Path) -> None:
        """``pip install requirement`` from the wheelhouse only (pip runs from outside, for this venv's Python)."""
        links = [arg for folder in (self.wheelhouse, *find_links) for arg in ("--find-links", folder)]
        _run(
            [sys.executable, "-m", "pip", "--python", self.python, "install", "--quiet", "--no-index", "--no-compile",
             *links, requirement],
            timeout=1200,
            cwd=self.work,
            env={k: v for k, v in self.env.items() if not k.startswith("CRM_AUDIT")},
        )  # fmt: skip

    def python_code(self, code: str, timeout: float = 300) -> str:
        return _run([self.python, "-c", code], timeout=timeout, cwd=self.work, env=self.env).stdout

    def crmlib(self, *args: str | Path, timeout: float = 900) -> str:
        return _run([self.venv / "bin" / "crmlib", *args], timeout=timeout, cwd=self.work, env=self.env).stdout

    def clone_reads(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


# --------------------------------------------------------------------------- what a user does


def _core_step(env: Env) -> Path:
    """The core library alone: the data loaders, the chapter list; no notebook stack. Returns a user's CSV."""
    found = json.loads(
        env.python_code(
            "import importlib.util, json, crmlib, crmlib.datasets as d\n"
            "out = {'file': crmlib.__file__, 'loaded': {}, 'failed': {},\n"
            f"       'stack': [m for m in {NOTEBOOK_STACK!r} if importlib.util.find_spec(m)]}}\n"
            "for name in sorted(n for n in dir(d) if n.startswith('load_')):\n"
            "    try:\n"
            "        frame = getattr(d, name)()\n"
            "        out['loaded'][name] = len(frame)\n"
            "    except Exception as exc:\n"
            "        out['failed'][name] = f'{type(exc).__name__}: {exc}'\n"
            "d.load_transactions().to_csv('sales.csv', index=False)\n"
            "print(json.dumps(out))\n"
        )
    )
    assert Path(found["file"]).is_relative_to(env.venv), found["file"]
    assert found["stack"] == [], f"the core install brings the notebook stack: {found['stack']}"
    assert found["loaded"] and all(n > 0 for n in found["loaded"].values()), found
    assert "load_transactions" in found["loaded"]
    assert not found["failed"], f"loaders fail from the installed kit: {found['failed']}"
    assert "load_cdnow" in found["loaded"], found  # the bundled CDNOW files, read without lifetimes

    listed = env.crmlib("list").splitlines()
    assert [line.split()[0] for line in listed] == [c[:2] for c in CHAPTERS], listed
    assert env.crmlib("--version").strip() == f"crmlib {PYPROJECT['project']['version']}"
    return env.work / "sales.csv"


def _report(env: Env, data: Path) -> None:
    out = env.work / "report"
    env.crmlib("report", "--data", data, "--out", out)
    assert (out / "report.html").stat().st_size > 1000
    assert (out / "tables" / "customers.csv").is_file()
    assert (out / "report.xlsx").is_file()
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))


def _course_step(env: Env) -> None:
    """With the course extra: a chapter, the course site, the student exercises."""
    out = env.work / "run"
    env.crmlib("run", "04", "--out", out)
    assert (out / "04_clv_npv.ipynb").is_file() and (out / "04_clv_npv.html").is_file()

    site = env.work / "site"
    env.crmlib("course", "--only", "00", "--out", site)
    assert (site / "index.html").is_file(), sorted(p.name for p in site.iterdir())
    assert list(site.rglob("00_start_here.html")), "the site has no page for chapter 00"

    handout = env.work / "handout"
    env.crmlib("exercises", "build", "--out", handout)
    student = sorted(handout.rglob("*.ipynb"))
    assert sorted(p.name for p in student) == EXERCISES, student
    assert not any("### BEGIN SOLUTION" in p.read_text(encoding="utf-8") for p in student)

    roster = env.work / "roster.csv"
    roster.write_text("student_id,name\ns1,Ada\ns2,Ben\n", encoding="utf-8")
    env.crmlib("exercises", "build", "--roster", roster, "--out", env.work / "class")
    for student_id in ("s1", "s2"):
        assert sorted(p.name for p in (env.work / "class" / student_id).rglob("*.ipynb")) == EXERCISES, student_id


def _audited_env(folder: Path, wheelhouse: Path) -> Env:
    env = Env(folder, wheelhouse)
    # The audit sees a read of the clone (so its silence afterwards means something).
    env.python_code(f"open({str(ROOT / 'README.md')!r}).close()")
    assert any("README.md" in line for line in env.clone_reads()), env.clone_reads()
    env.log.unlink()
    return env


def _no_clone_reads(env: Env) -> None:
    reads = env.clone_reads()
    assert not reads, f"the installed kit read {len(reads)} paths of the clone:\n" + "\n".join(reads[:20])


def _files(wheel: Path) -> dict[str, str]:
    """Each file of a wheel but its RECORD, with the SHA-256 of its bytes."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if not name.endswith(".dist-info/RECORD")
        }


def test_the_installed_wheel_works_outside_the_clone(dist, wheelhouse, tmp_path):
    env = _audited_env(tmp_path, wheelhouse)
    env.install(str(dist["wheel"]))
    data = _core_step(env)
    if CORE_REPORT:
        _report(env, data)

    env.install("crmlib[course]", dist["wheel"].parent)  # the installed crmlib stays; the extra is added
    _course_step(env)
    if not CORE_REPORT:
        _report(env, data)

    _no_clone_reads(env)
    shutil.rmtree(env.venv, ignore_errors=True)  # 1 GB per environment; the outputs stay for a look


def test_the_sdist_installs_the_same_kit(dist, wheelhouse, tmp_path):
    env = _audited_env(tmp_path / "env", wheelhouse)
    built = tmp_path / "built"
    links = [arg for folder in (wheelhouse,) for arg in ("--find-links", folder)]
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-index", "--no-deps", *links,
         "--wheel-dir", built, dist["sdist"]],
        timeout=600,
        cwd=env.work,
    )  # fmt: skip
    (from_sdist,) = built.glob("crmlib-*.whl")
    ours, theirs = _files(dist["wheel"]), _files(from_sdist)
    differ = sorted(n for n in ours.keys() | theirs.keys() if ours.get(n) != theirs.get(n))
    assert not differ, f"pip's wheel of the sdist differs from the built wheel in {len(differ)} files: {differ[:20]}"

    env.install(str(dist["sdist"]))  # what `pip install crmlib` does where only the sdist fits
    _core_step(env)
    _no_clone_reads(env)
    shutil.rmtree(env.venv, ignore_errors=True)
