"""Running one submission's code in a child process that cannot harm the grader, other submissions or the kit.

What is enforced, and where (the instructor guide states the same):

* always: a separate child process (``python -I``, a clean environment, its own session) killed at the wall-clock
  limit; resource limits set in the child by ``setrlimit`` before any submitted code runs (address space, CPU
  seconds, processes, file size, open files, no core dumps); an alarm per cell; as root, the child runs as
  ``nobody``; an audit hook that refuses and reports opening the hidden paths; an import guard on the answer keys.
* with Linux namespaces (``isolation="namespaces"``, the default when the kernel allows them; root or unprivileged
  user namespaces): a file system holding only what Python needs, read-only, plus an empty ``/work`` and ``/tmp``
  of limited size, so the exercise sources, the answer keys, the other submissions, the grader's output and the
  instructor's files are not there at all; no network; a PID namespace, so every process the submission started
  dies with it.

Without namespaces (``isolation="rlimits"``) the file system is the grader's own, and only the audit hook and the
file permissions of ``nobody`` (when the grader runs as root) stand between the submission and the hidden paths.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

#: What each isolation mode enforces, in the words of the run log.
ENFORCED = {
    "namespaces": "each submission runs in new mount, PID, network, IPC and UTS namespaces, on a read-only file system "
                  "holding only Python and the kit's code (sources, answer keys, submissions and outputs absent), as "
                  "nobody or in a locked user namespace, with no network and with setrlimit limits",
    "rlimits": "each submission runs in its own process and folder with setrlimit limits (as nobody when the grader is "
               "root and Python is readable by nobody); the file system is the grader's own: only an audit hook "
               "refuses the hidden paths, and the network is open",
}

#: Largest amount of event data read from one child (bytes).
MAX_EVENTS = 8 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits of one submission's run.

    Parameters
    ----------
    memory_mb : address space of each process (MB); a larger allocation fails with ``MemoryError``. Numerical
        libraries reserve address space they never use (OpenBLAS fails below about 2 GB), hence the default.
    cpu_seconds : CPU time of the whole run (s); past it the process is killed.
    wall_seconds : wall-clock time of the whole run (s); past it every process of the run is killed.
    cell_seconds : CPU time of one cell (s); past it the cell is interrupted and the next one runs (a cell that
        waits without computing is interrupted after four times as long on the clock).
    processes : processes the submission may run at once (per user: shared by the parallel runs).
    output_mb : largest file, printed output included (MB); past it the process is killed.
    disk_mb : size of the writable ``/work`` and ``/tmp`` with namespaces (MB).
    """

    memory_mb: int = 4096
    cpu_seconds: int = 60
    wall_seconds: int = 120
    cell_seconds: int = 30
    processes: int = 64
    output_mb: int = 32
    disk_mb: int = 64


@dataclass
class ChildRun:
    """What came back from one child: its events, how it ended, the tail of its printed output."""

    events: list[dict[str, Any]] = field(default_factory=list)
    returncode: int | None = None
    ended: str = ""
    output_tail: str = ""
    seconds: float = 0.0
    isolation: str = ""


_PROBE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
flags = 0x00020000 | 0x20000000 | 0x40000000
if os.getuid() != 0:
    flags |= 0x10000000
if libc.unshare(flags) != 0:
    sys.exit(1)
"""


@cache
def namespaces_available() -> bool:
    """Whether this kernel lets the grader create mount, PID and network namespaces.

    As root, or through unprivileged user namespaces.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _PROBE], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def resolve_isolation(requested: str) -> str:
    """``"namespaces"`` or ``"rlimits"`` for ``requested`` (``"auto"`` picks namespaces when available).

    Raises
    ------
    ValueError
        If namespaces are requested and the kernel does not allow them.

    Examples
    --------
    >>> resolve_isolation("rlimits")
    'rlimits'
    >>> resolve_isolation("auto") in ("namespaces", "rlimits")
    True
    """
    if requested == "rlimits":
        return "rlimits"
    if namespaces_available():
        return "namespaces"
    if requested == "namespaces":
        raise ValueError("Linux namespaces are not available to this user on this machine (run as root, or enable "
                         "unprivileged user namespaces); use --isolation rlimits to grade without them.")
    return "rlimits"


def keep_paths() -> list[str]:
    """The folders a child needs to run Python with the kit: the system's libraries, this Python, its packages.

    Examples
    --------
    >>> import crmlib
    >>> str(Path(crmlib.__file__).resolve().parent) in keep_paths()
    True
    """
    import crmlib

    paths = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", sys.prefix, sys.base_prefix,
             sys.exec_prefix, str(Path(crmlib.__file__).resolve().parent)]
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            paths.append(sysconfig.get_path(name))
        except KeyError:
            continue
    paths.append(str(Path(sys.executable).resolve().parent))
    return sorted({os.path.realpath(p) for p in paths if p and os.path.isdir(p)} |
                  {p for p in paths if p and os.path.isdir(p)})


def _clean_env() -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}


#: As root, each run at once gets its own user id from this range (no account uses them), so that the process
#: limit of one run (counted per user by the kernel) is not shared with another.
FIRST_UID = 1_900_000_000


class UidPool:
    """User ids for the runs in progress: one each, given back when the run ends.

    Examples
    --------
    >>> pool = UidPool(2)
    >>> first, second = pool.take(), pool.take()
    >>> first != second, first >= FIRST_UID
    (True, True)
    >>> pool.give(first)
    >>> pool.take() == first
    True
    """

    def __init__(self, size: int) -> None:
        self._free = list(range(FIRST_UID, FIRST_UID + max(1, size)))
        self._lock = threading.Lock()

    def take(self) -> int:
        """A free user id."""
        with self._lock:
            return self._free.pop() if self._free else FIRST_UID + 10_000 + threading.get_ident() % 10_000

    def give(self, uid: int) -> None:
        """Return a user id."""
        with self._lock:
            if uid < FIRST_UID + 10_000:
                self._free.append(uid)


def run_child(job: dict[str, Any], *, limits: Limits, isolation: str, hide: list[str],
              blocked_modules: list[str], uid: int = 65534) -> ChildRun:
    """Run one job (see :mod:`crmlib.exercises.runner`) in an isolated child and collect what it reports.

    Parameters
    ----------
    job : ``exercise``, ``passes`` (the data per pass), ``prelude`` (trusted code run first in each pass),
        ``plan`` (code and capture steps), ``skip`` (steps not to run).
    limits : the limits of the run.
    isolation : ``"namespaces"`` or ``"rlimits"`` (see :func:`resolve_isolation`).
    hide : paths the submission must not see (sources, answer keys, submissions, outputs).
    blocked_modules : modules the submission may not import.
    uid : the user id the child takes when the grader runs as root.

    Returns
    -------
    ChildRun
        Never raises for anything the submission does.

    Examples
    --------
    One pass on the data ``margin = 100``: the trusted prelude loads it, the student's cell computes ``kept``, and
    the capture step reports its value as an answer record:

    >>> from crmlib.exercises.model import Given
    >>> job = {"exercise": "04_clv_npv", "passes": [Given(margin=100.0)], "skip": [],
    ...        "prelude": ["from crmlib import exercises as ex", "data = ex.load('04_clv_npv', 0)"],
    ...        "plan": [{"kind": "code", "source": "kept = data.margin * 0.8", "q": "q1"},
    ...                 {"kind": "capture", "q": "q1", "var": "kept"}]}
    >>> run = run_child(job, limits=Limits(wall_seconds=60), isolation="rlimits", hide=[],
    ...                 blocked_modules=["crmlib.exercises.sets"])
    >>> [e["rec"] for e in run.events if e["e"] == "answer"], run.events[-1]
    ([{'type': 'number', 'value': 80.0}], {'e': 'done'})
    """
    start = time.monotonic()
    result = ChildRun(isolation=isolation)
    with tempfile.TemporaryDirectory(prefix="crmlib-grade-") as tmp:
        os.chmod(tmp, 0o711)  # the child, another user when the grader is root, reaches its folder but lists nothing
        workdir = os.path.join(tmp, "work")
        os.mkdir(workdir, 0o700)
        read_fd, write_fd = os.pipe()
        header = {**asdict(limits), "processes": limits.processes + _processes_of_this_user(),
                  "isolation": isolation, "channel_fd": write_fd, "workdir": workdir, "keep": keep_paths(),
                  "hide": hide, "uid": uid, "denied_paths": hide, "blocked_modules": blocked_modules}
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        chunks: list[bytes] = []

        def read_events() -> None:
            size = 0
            while True:
                try:
                    block = os.read(read_fd, 65536)
                except OSError:
                    return
                if not block:
                    return
                if size < MAX_EVENTS:
                    chunks.append(block[: MAX_EVENTS - size])
                size += len(block)

        with open(os.path.join(tmp, "output.log"), "wb") as out:
            proc = subprocess.Popen([sys.executable, "-I", "-m", "crmlib.exercises.runner"], stdin=subprocess.PIPE,
                                    stdout=out, stderr=subprocess.STDOUT, pass_fds=(write_fd,), env=_clean_env(),
                                    cwd=tmp, start_new_session=True, close_fds=True)
            os.close(write_fd)
            reader = threading.Thread(target=read_events, daemon=True)
            reader.start()
            try:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps(header).encode() + b"\n" + payload)
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                result.returncode = proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                result.ended = f"stopped at the time limit of {limits.wall_seconds} s"
            _kill_group(proc.pid)
            if result.returncode is None:
                result.returncode = proc.wait()
            reader.join(timeout=3)
            if reader.is_alive():  # a process that left the group holds the pipe: stop listening
                _kill_group(proc.pid)
                os.close(read_fd)
                reader.join(timeout=3)
            else:
                os.close(read_fd)
        result.events = _parse(b"".join(chunks))
        result.output_tail = _tail(os.path.join(tmp, "output.log"))
        if not result.ended:
            result.ended = _how_it_ended(result.returncode, limits)
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.monotonic() - start
    return result


def _processes_of_this_user() -> int:
    """Processes (and threads) of the grader's user, when it is not root: the kernel's process limit counts them too."""
    uid = os.getuid()
    if uid == 0:
        return 0
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _parse(data: bytes) -> list[dict[str, Any]]:
    events = []
    for line in data.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("e"), str):
            events.append(event)
    return events


def _tail(path: str, size: int = 4000) -> str:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        fh.seek(max(0, end - size))
        return fh.read().decode("utf-8", errors="replace")


def _how_it_ended(code: int | None, limits: Limits) -> str:
    if code == 0:
        return ""
    signum = -code if code is not None and code < 0 else (code - 128 if code is not None and code > 128 else None)
    if signum == signal.SIGXCPU:
        return f"killed at the CPU time limit of {limits.cpu_seconds} s"
    if signum == signal.SIGXFSZ:
        return f"killed for writing more than {limits.output_mb} MB of output"
    if signum == signal.SIGKILL:
        return "killed (by the time limit, or for lack of memory)"
    if signum is not None and signum > 0:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return f"the process died of signal {name}"
    return f"the process ended early with exit code {code} (os._exit, sys.exit or a crash)"
