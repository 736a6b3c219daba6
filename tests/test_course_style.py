"""The course's figure theme: seaborn's whitegrid theme, set without importing seaborn (a chapter's start-up)."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

DUMP = """
import json, sys
import matplotlib as mpl
{apply}
rc = {{k: repr(v) for k, v in mpl.rcParams.items()}}
cmaps = {{n: mpl.colormaps[n](list(range(256))).tolist() for n in ("rocket", "rocket_r")}}
modules = sorted(m for m in ("seaborn", "scipy.stats") if m in sys.modules)
print(json.dumps({{"rc": rc, "cmaps": cmaps, "modules": modules}}))
"""

SEABORN = (
    "import seaborn as sns\n"
    'sns.set_theme(style="whitegrid", context="notebook", palette="deep", rc={"figure.dpi": 90, "savefig.dpi": 90})'
)
KIT = "import crmlib.plot\ncrmlib.plot.use_course_style()"


@functools.cache  # one fresh Python per state, shared by the tests of a worker
def _state(apply: str) -> dict:
    code = DUMP.format(apply=apply)
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def test_course_style_sets_seaborns_theme_without_importing_seaborn():
    theirs, ours = _state(SEABORN), _state(KIT)
    differ = {k: (theirs["rc"][k], ours["rc"][k]) for k in theirs["rc"] if theirs["rc"][k] != ours["rc"][k]}
    assert differ == {}
    assert ours["cmaps"] == theirs["cmaps"]  # the theme's default image colormap, and its reverse
    assert ours["modules"] == []  # no seaborn, no scipy.stats: about 1.5 s of CPU saved in every chapter


def test_course_style_after_seaborn_keeps_its_colormaps():
    state = _state(SEABORN + "\n" + KIT)  # a user who imported seaborn first: no clash on the registered names
    assert state["rc"] == _state(SEABORN)["rc"]
