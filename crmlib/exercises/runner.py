"""The grader's child process: isolate itself, run one submission's cells, report the answers.

Started by :mod:`crmlib.exercises.sandbox` as ``python -I -m crmlib.exercises.runner``, it reads a JSON header line
and a pickled job from standard input, then, before any code of the submission runs:

1. with ``isolation == "namespaces"``: new mount, PID, network, IPC and UTS namespaces (and a user namespace when not
   root); a new root file system holding only the folders Python needs, read-only, a small writable ``/work`` and
   ``/tmp``, with the exercise sources, the answer keys, the submissions and the grader's output hidden; the old root
   detached; then, as root, it becomes ``nobody`` (no capabilities left), otherwise it enters one more user namespace
   so that the mounts are locked;
2. resource limits (``setrlimit``): address space, CPU seconds, processes, file size, open files, no core dumps;
3. an audit hook that refuses and reports opening the hidden paths, and an import guard on the answer keys.

It then runs the plan twice at most (the student's data, then the variant data of the hidden check) in an IPython
shell, a per-cell alarm interrupting long cells, and writes one JSON line per event to the channel descriptor: a
cell started or ended (with its error), an answer (as :func:`crmlib.exercises.scoring.answer_record`), a flag. The
grader trusts none of it beyond "this answer record was reported": scoring happens in the grader's own process.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import resource
import signal
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
NOBODY = 65534


class SandboxError(RuntimeError):
    """The sandbox could not be set up (reported to the grader, which then says so in its log)."""


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(err)}")


def _mount(libc: ctypes.CDLL, source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    enc = [None if x is None else x.encode() for x in (source, target, fstype, data)]
    _check(libc.mount(enc[0], enc[1], enc[2], flags, enc[3]), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _outermost(paths: list[str]) -> list[str]:
    kept: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p == k or p.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(p)
    return kept


def enter_namespaces(cfg: dict[str, Any]) -> None:
    r"""Isolate this process (see the module's docstring); returns in the isolated process.

    Examples
    --------
    In a child process (the grader's own process is never isolated): it comes back as process 1 of its own PID
    namespace, in ``/work`` of its own root file system, without network:

    >>> import subprocess, sys
    >>> from crmlib.exercises.sandbox import keep_paths, namespaces_available
    >>> code = ("import os, socket\n"
    ...         "from crmlib.exercises.runner import enter_namespaces\n"
    ...         f"enter_namespaces({{'channel_fd': 99, 'keep': {keep_paths()!r}, 'hide': [], 'disk_mb': 16}})\n"
    ...         "print(os.getpid(), os.getcwd(), [name for _, name in socket.if_nameindex()])")
    >>> if namespaces_available():
    ...     shown = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True).stdout
    ... else:  # what it prints where the kernel allows namespaces
    ...     shown = "1 /work ['lo']\n"
    >>> shown
    "1 /work ['lo']\n"
    """
    libc = _libc()
    arch = platform.machine()
    if arch not in SYS_PIVOT_ROOT:
        raise SandboxError(f"pivot_root is not known for {arch}")
    root_user = os.getuid() == 0
    _unshare(libc, root_user)
    _wait_in_the_old_namespace(cfg)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    root = "/tmp"
    _build_root(libc, cfg, root)
    os.chdir(root)
    os.makedirs(".old", exist_ok=True)
    _check(libc.syscall(SYS_PIVOT_ROOT[arch], b".", b".old"), "pivot_root")
    os.chdir("/")
    _check(libc.umount2(b"/.old", MNT_DETACH), "umount old root")
    os.rmdir("/.old")
    _drop_privileges(libc, cfg, root_user)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.chdir("/work")


def _unshare(libc: ctypes.CDLL, root_user: bool) -> None:
    """New mount, PID, network, IPC and UTS namespaces (and a user namespace mapping this user to root)."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if not root_user:
        flags |= CLONE_NEWUSER
    _check(libc.unshare(flags), "unshare")
    if not root_user:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)


def _wait_in_the_old_namespace(cfg: dict[str, Any]) -> None:
    """Fork into the new PID namespace; the outer process waits and exits with the child's status."""
    pid = os.fork()
    if not pid:
        return
    for fd in (0, 1, 2, cfg["channel_fd"]):
        try:
            os.close(fd)
        except OSError:
            pass
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


def _build_root(libc: ctypes.CDLL, cfg: dict[str, Any], root: str) -> None:
    """A tmpfs root with the kept folders read-only, a few devices, /proc, writable /work and /tmp, hidden paths."""
    keep = _outermost([p for p in cfg["keep"] if os.path.isdir(p)])
    fds = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in keep}
    _mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(cfg['disk_mb'])}m,mode=755")
    for path, fd in fds.items():
        target = root + path
        os.makedirs(target, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        _mount(libc, None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    os.makedirs(root + "/dev", exist_ok=True)
    for name in ("null", "zero", "full", "random", "urandom"):
        target = f"{root}/dev/{name}"
        open(target, "w").close()
        _mount(libc, f"/dev/{name}", target, None, MS_BIND)
    os.makedirs(root + "/proc", exist_ok=True)
    _mount(libc, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in ("work", "tmp"):
        os.makedirs(f"{root}/{name}", exist_ok=True)
        os.chmod(f"{root}/{name}", 0o1777)
    for path in cfg["hide"]:
        target = root + path
        if os.path.isdir(target):
            _mount(libc, "tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
        elif os.path.exists(target):
            _mount(libc, "/dev/null", target, None, MS_BIND)


def _drop_privileges(libc: ctypes.CDLL, cfg: dict[str, Any], root_user: bool) -> None:
    """As root, become the run's own user; otherwise lock the mounts in a less privileged user namespace."""
    if root_user:
        uid = int(cfg.get("uid") or NOBODY)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # cleared by the change of user
    else:  # lock the mounts: a less privileged user namespace cannot take them apart
        _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare (lock)")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", "0 0 1")
        _write("/proc/self/gid_map", "0 0 1")


def _others_can_read(path: str) -> bool:
    import stat

    path = os.path.realpath(path)
    while True:
        mode = os.stat(path).st_mode
        if not mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def drop_to_nobody(workdir: str, keep: list[str], uid: int = NOBODY) -> bool:
    """Without namespaces, as root: become an unprivileged user (``uid``) in the submission's own folder.

    Returns False (and stays root) when ``nobody`` could not read this Python (e.g. one installed under ``/root``).

    Examples
    --------
    >>> import tempfile
    >>> private = tempfile.mkdtemp()  # readable by its owner only
    >>> drop_to_nobody(tempfile.mkdtemp(), [private])  # nobody could not run a Python kept there: no change
    False
    """
    if not all(_others_can_read(p) for p in keep if os.path.isdir(p)):
        return False
    os.chown(workdir, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    return True


def apply_limits(cfg: dict[str, Any]) -> None:
    r"""Resource limits of this process and everything it starts.

    Examples
    --------
    In a child process (limits cannot be raised again):

    >>> import subprocess, sys
    >>> code = ("import resource\n"
    ...         "from crmlib.exercises.runner import apply_limits\n"
    ...         "apply_limits({'cpu_seconds': 5, 'memory_mb': 4096, 'output_mb': 1, 'processes': 4096})\n"
    ...         "print(resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_FSIZE))")
    >>> subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True).stdout
    '(5, 10) (1048576, 1048576)\n'
    """
    mb = 1024 * 1024
    cpu = int(cfg["cpu_seconds"])
    for name, soft, hard in [
        ("RLIMIT_AS", int(cfg["memory_mb"]) * mb, int(cfg["memory_mb"]) * mb),
        ("RLIMIT_CPU", cpu, cpu + 5),
        ("RLIMIT_FSIZE", int(cfg["output_mb"]) * mb, int(cfg["output_mb"]) * mb),
        ("RLIMIT_NOFILE", 256, 256),
        ("RLIMIT_CORE", 0, 0),
        ("RLIMIT_NPROC", int(cfg["processes"]), int(cfg["processes"])),
    ]:
        resource.setrlimit(getattr(resource, name), (soft, hard))


class Channel:
    r"""The line-per-event pipe to the grader; a student may write to it too, which gains nothing.

    Examples
    --------
    >>> read_end, write_end = os.pipe()
    >>> Channel(write_end).send(e="answer", p=0, i=3, q="q1", rec={"type": "number", "value": 80.0})
    >>> os.read(read_end, 200)
    b'{"e": "answer", "p": 0, "i": 3, "q": "q1", "rec": {"type": "number", "value": 80.0}}\n'
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._dumps = json.dumps
        self._write = os.write
        self._getpid = os.getpid
        self.pid = os.getpid()

    def send(self, **event: Any) -> None:
        """Write one event as a JSON line (nothing from a forked copy of this process)."""
        if self._getpid() != self.pid:  # a process the submission forked does not speak for it
            return
        data = (self._dumps(event, default=str) + "\n").encode()
        try:
            while data:
                data = data[self._write(self._fd, data):]
        except OSError:
            pass


def guard(cfg: dict[str, Any], channel: Channel) -> None:
    r"""Refuse, and report, imports of the answer keys and openings of the hidden paths.

    Examples
    --------
    In a child process (an audit hook stays for the life of the process); its channel is its standard output:

    >>> import subprocess, sys, tempfile
    >>> hidden = tempfile.mkdtemp()
    >>> code = ("from crmlib.exercises.runner import Channel, guard\n"
    ...         f"guard({{'blocked_modules': ['crmlib.exercises.sets'], 'denied_paths': [{hidden!r}]}}, Channel(1))\n"
    ...         "try:\n"
    ...         "    import crmlib.exercises.sets\n"
    ...         "except ImportError as exc:\n"
    ...         "    print(exc)")
    >>> print(subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True).stdout.strip())
    {"e": "flag", "kind": "answer-key", "detail": "crmlib.exercises.sets"}
    crmlib.exercises.sets is not available while grading
    """
    blocked = tuple(cfg["blocked_modules"])
    denied = tuple(p.rstrip("/") for p in cfg["denied_paths"])
    reported: set[str] = set()

    def report(kind: str, what: str) -> None:
        if (kind, what) not in reported and len(reported) < 20:
            reported.add((kind, what))  # type: ignore[arg-type]
            channel.send(e="flag", kind=kind, detail=what[:200])

    class Blocker:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            """Refuse the answer keys; leave every other import to the usual finders."""
            if name in blocked or name.startswith(tuple(b + "." for b in blocked)):
                report("answer-key", name)
                raise ImportError(f"{name} is not available while grading")
            return None

    sys.meta_path.insert(0, Blocker())
    for name in list(sys.modules):
        if name in blocked or name.startswith(tuple(b + "." for b in blocked)):
            del sys.modules[name]

    def hook(event: str, args: tuple) -> None:
        if event in ("open", "os.listdir", "os.scandir", "os.chdir", "glob.glob", "shutil.copytree", "os.walk"):
            target = args[0] if args else None
            if isinstance(target, bytes):
                target = target.decode(errors="replace")
            if isinstance(target, str) and target:
                path = os.path.abspath(target)
                if any(path == d or path.startswith(d + "/") for d in denied):
                    report("denied-read", path)
                    raise PermissionError(f"{path} is not readable while grading")
        elif event == "subprocess.Popen" and len(args) > 1:
            text = " ".join(map(str, args[1] if isinstance(args[1], (list, tuple)) else [args[1]]))
            if any(d in text for d in denied):
                report("denied-read", text)
                raise PermissionError("this command is not allowed while grading")

    sys.addaudithook(hook)


class _Alarm(KeyboardInterrupt):
    """A cell ran past its time limit."""


def run(job: dict[str, Any], cfg: dict[str, Any], channel: Channel) -> None:
    r"""Run the prelude and the plan for each pass, reporting as it goes.

    Examples
    --------
    In a child process (it takes over the process's signals); its channel is its standard output:

    >>> import json, subprocess, sys
    >>> code = ("from crmlib.exercises.runner import Channel, run\n"
    ...         "from crmlib.exercises.model import Given\n"
    ...         "job = {'exercise': '04_clv_npv', 'passes': [Given(margin=100.0)], 'prelude': ['margin = 100.0'],\n"
    ...         "       'skip': [], 'plan': [{'kind': 'code', 'source': 'kept = margin * 0.8', 'q': 'q1'},\n"
    ...         "                {'kind': 'capture', 'q': 'q1', 'var': 'kept'}]}\n"
    ...         "run(job, {'cell_seconds': 30}, Channel(1))")
    >>> lines = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True).stdout
    >>> [e for e in map(json.loads, lines.splitlines()) if e["e"] in ("answer", "done")]
    [{'e': 'answer', 'p': 0, 'i': 1, 'q': 'q1', 'rec': {'type': 'number', 'value': 80.0}}, {'e': 'done'}]
    """
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from crmlib.exercises import student
    from crmlib.exercises.scoring import answer_record

    def on_alarm(signum: int, frame: Any) -> None:
        raise _Alarm()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGPROF, on_alarm)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the processes a submission starts are reaped, not left as zombies
    config = Config()
    config.HistoryManager.enabled = False  # no history file, no history thread
    shell = InteractiveShell.instance(config=config)
    main_pid, leave = os.getpid(), os._exit
    shell.showtraceback = lambda *a, **k: None  # type: ignore[method-assign]
    cell_seconds = int(cfg["cell_seconds"])
    skip = set(job["skip"])
    missing = object()

    def execute(code: str, step: int, p: int) -> None:
        channel.send(e="start", p=p, i=step)
        # the limit counts the CPU time of the cell (a busy machine does not cut an honest cell short); a cell that
        # waits without computing meets the wall-clock alarm, four times longer
        signal.setitimer(signal.ITIMER_PROF, cell_seconds)
        signal.alarm(4 * cell_seconds)
        try:
            result = shell.run_cell(code, store_history=False, silent=False)
        finally:
            signal.alarm(0)
            signal.setitimer(signal.ITIMER_PROF, 0)
            if os.getpid() != main_pid:  # a forked copy of this process that got here stops at once
                leave(0)
        error = result.error_before_exec or result.error_in_exec
        if isinstance(error, _Alarm):
            detail = ["Timeout", f"the cell ran longer than {cell_seconds} s of computing time"]
        elif error is not None:
            detail = [type(error).__name__, str(error)[:300]]
        else:
            detail = None
        channel.send(e="end", p=p, i=step, error=detail)

    for p, data in enumerate(job["passes"]):
        shell.reset(new_session=False)
        student.serve(job["exercise"], data)
        for k, code in enumerate(job["prelude"]):
            channel.send(e="start", p=p, i=-1 - k)
            result = shell.run_cell(code, store_history=False, silent=True)
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                channel.send(e="fatal", p=p, detail=f"{type(error).__name__}: {error}"[:300])
                return
            channel.send(e="end", p=p, i=-1 - k, error=None)
        for step, item in enumerate(job["plan"]):
            if item["kind"] == "code":
                if step not in skip:
                    execute(item["source"], step, p)
                continue
            value = shell.user_ns.get(item["var"], missing)
            record = None if value is missing else answer_record(value)
            channel.send(e="answer", p=p, i=step, q=item["q"], rec=record)
        channel.send(e="pass", p=p)
    channel.send(e="done")


def main() -> None:
    """Entry point of the child (reads the job from standard input).

    The grader starts it as ``python -I -m crmlib.exercises.runner`` through
    :func:`crmlib.exercises.sandbox.run_child`, which writes the header (limits, isolation, the channel's file
    descriptor) and the pickled job, and reads the events.

    Examples
    --------
    >>> from crmlib.exercises.model import Given
    >>> from crmlib.exercises.sandbox import Limits, run_child
    >>> job = {"exercise": "04_clv_npv", "passes": [Given()], "prelude": [], "skip": [],
    ...        "plan": [{"kind": "code", "source": "import os; home = os.getcwd()", "q": "q1"},
    ...                 {"kind": "capture", "q": "q1", "var": "home"}]}
    >>> run = run_child(job, limits=Limits(), isolation="rlimits", hide=[], blocked_modules=[])
    >>> [e["e"] for e in run.events][:2], run.events[-1]
    (['ready', 'start'], {'e': 'done'})
    """
    header = json.loads(sys.stdin.buffer.readline())
    payload = sys.stdin.buffer.read()
    channel = Channel(int(header["channel_fd"]))
    try:
        if header["isolation"] == "namespaces":
            enter_namespaces(header)
            channel.pid = os.getpid()  # the isolated process (PID 1 of its namespace) speaks from here on
        else:
            os.chdir(header["workdir"])
            if os.getuid() == 0:
                drop_to_nobody(header["workdir"], [sys.prefix, sys.base_prefix, os.path.dirname(__file__)],
                               int(header.get("uid") or NOBODY))
        home = os.getcwd()
        os.environ.update(HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"),
                          MPLCONFIGDIR=os.path.join(home, ".matplotlib"), TMPDIR="/tmp" if
                          header["isolation"] == "namespaces" else home)
        apply_limits(header)
    except Exception as exc:  # the grader reports it; nothing of the submission has run
        channel.send(e="sandbox-failed", detail=f"{type(exc).__name__}: {exc}"[:300])
        os._exit(70)
    import pickle

    import pandas  # noqa: F401  (the data are frames: load pandas before the guard sees any import)

    job = pickle.loads(payload)
    guard(header, channel)
    channel.send(e="ready", isolation=header["isolation"], uid=os.getuid())
    run(job, header, channel)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
