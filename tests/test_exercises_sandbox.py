"""What the sandbox claims (exercises/README.md, "Isolation"), tested from inside a child as a submission would try.

Each test runs one small child; the whole class is graded in tests/test_exercises_class.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from crmlib.exercises import sandbox
from crmlib.exercises.sets import __file__ as SETS_INIT
from crmlib.resources import kit_folder

KIT_EXERCISES = str(kit_folder("exercises"))
KEYS = str(Path(SETS_INIT).resolve().parent)

needs_namespaces = pytest.mark.skipif(not sandbox.namespaces_available(),
                                      reason="this machine allows no mount/PID/network namespaces")

PROBE = """
import json, os, socket, subprocess
report = {}
report["uid"] = os.getuid()
report["root"] = sorted(os.listdir("/"))
report["kit_exercises"] = os.path.exists(KIT)
try:
    report["keys"] = os.listdir(KEYS)
except OSError as exc:
    report["keys"] = type(exc).__name__
report["secret"] = os.path.exists(SECRET)
report["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
for name, path in [("write_usr", "/usr/crmlib-probe"), ("write_work", "/work/probe.txt")]:
    try:
        open(path, "w").write("x")
        report[name] = True
    except OSError:
        report[name] = False
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    report["network"] = True
except OSError:
    report["network"] = False
try:
    subprocess.run(["umount", "/usr"], capture_output=True)
except OSError:
    pass
report["umount"] = not os.path.isdir("/usr/lib")
report["capabilities"] = open("/proc/self/status").read().split("CapEff:")[1].split()[0]
report = json.dumps(report)
"""


def _run(plan, *, isolation="namespaces", hide=(), uid=sandbox.FIRST_UID + 500, **limits):
    job = {"exercise": "04_clv_npv", "passes": [{}], "prelude": [], "plan": plan, "skip": []}
    return sandbox.run_child(job, limits=sandbox.Limits(**limits), isolation=isolation, hide=list(hide),
                             blocked_modules=["crmlib.exercises.sets"], uid=uid)


def _answer(run, q="q1"):
    return next(e["rec"] for e in run.events if e["e"] == "answer" and e["q"] == q)


@needs_namespaces
def test_a_submission_sees_only_python_and_its_own_folder(tmp_path):
    secret = tmp_path / "submissions" / "s002" / "04_clv_npv.ipynb"
    secret.parent.mkdir(parents=True)
    secret.write_text("{}")
    code = PROBE.replace("KIT", repr(KIT_EXERCISES)).replace("KEYS", repr(KEYS)).replace("SECRET", repr(str(secret)))
    run = _run([{"kind": "code", "source": code, "q": "q1"}, {"kind": "capture", "q": "q1", "var": "report"}],
               hide=[KIT_EXERCISES, KEYS, str(tmp_path / "submissions")])
    report = json.loads(_answer(run)["value"])
    assert report["uid"] != 0
    # The system's folders, and the top folder of this Python and of the kit (a clone may live anywhere: /check/kit
    # in CI), nothing else of the machine's root.
    kept = {Path(p).parts[1] for p in sandbox.keep_paths()}
    system = {"usr", "lib", "lib64", "lib32", "bin", "sbin", "etc", "dev", "proc", "tmp", "work"}  # work: its own
    assert set(report["root"]) <= system | kept
    assert set(os.listdir("/")) - set(report["root"]) - {"usr", "lib", "bin", "etc", "dev", "proc", "tmp"}, report
    assert report["kit_exercises"] is False and report["secret"] is False
    assert report["keys"] in ("PermissionError", "FileNotFoundError", [])  # the answer keys: refused, absent, empty
    assert report["processes"][0] == 1 and len(report["processes"]) <= 3  # its own PID namespace
    assert report["write_usr"] is False and report["write_work"] is True
    assert report["network"] is False and report["umount"] is False
    if os.getuid() == 0:
        assert int(report["capabilities"], 16) == 0


@needs_namespaces
def test_a_loop_that_ignores_interrupts_is_killed_and_the_run_returns():
    code = ("import signal\nsignal.signal(signal.SIGPROF, signal.SIG_IGN)\n"
            "signal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass")
    start = time.monotonic()
    run = _run([{"kind": "code", "source": code, "q": "q1"}], cpu_seconds=3, wall_seconds=30, cell_seconds=1)
    assert time.monotonic() - start < 60
    assert "CPU time limit" in run.ended or "time limit" in run.ended
    assert not any(e["e"] == "done" for e in run.events)


def _processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@needs_namespaces
@pytest.mark.skipif(os.getuid() != 0, reason="a user id of its own per run is given only when grading as root")
def test_a_fork_bomb_is_limited_and_leaves_no_process_behind():
    uid = sandbox.FIRST_UID + 501
    code = "import os\nwhile True:\n    os.fork()"
    run = _run([{"kind": "code", "source": code, "q": "q1"}, {"kind": "code", "source": "survived = 'yes'"},
                {"kind": "capture", "q": "q2", "var": "survived"}], uid=uid, processes=16, wall_seconds=40)
    ends = [e for e in run.events if e["e"] == "end" and e["i"] == 0]
    assert ends and ends[0]["error"][0] in ("BlockingIOError", "OSError", "Timeout")
    assert _answer(run, "q2") == {"type": "text", "value": "yes"}  # the run went on after the bomb
    time.sleep(0.5)
    assert _processes_of(uid) == []


def test_without_namespaces_the_audit_hook_refuses_hidden_paths_and_memory_is_limited(tmp_path):
    secret = tmp_path / "grades" / "gradebook.csv"
    secret.parent.mkdir()
    secret.write_text("s1,99")
    code = (f"try:\n    text = open({str(secret)!r}).read()\nexcept PermissionError:\n    text = 'refused'\n"
            "import numpy as np\ntry:\n    np.ones(20 * 10**9 // 8)\n    big = 'allocated'\nexcept MemoryError:\n"
            "    big = 'refused'")
    run = _run([{"kind": "code", "source": code, "q": "q1"}, {"kind": "capture", "q": "q1", "var": "text"},
                {"kind": "capture", "q": "q2", "var": "big"}], isolation="rlimits", hide=[str(tmp_path / "grades")])
    assert _answer(run, "q1")["value"] == "refused" and _answer(run, "q2")["value"] == "refused"
    assert any(e["e"] == "flag" and e["kind"] == "denied-read" for e in run.events)


def test_isolation_namespaces_refuses_to_run_without_them(monkeypatch):
    monkeypatch.setattr(sandbox, "namespaces_available", lambda: False)
    with pytest.raises(ValueError, match="namespaces are not available.*--isolation rlimits"):
        sandbox.resolve_isolation("namespaces")
    assert sandbox.resolve_isolation("auto") == "rlimits"
