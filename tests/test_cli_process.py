"""The ``crmlib`` command from outside: real processes, real files, real kernels, real Ctrl-C.

- the reader's options reach a chapter as one parameter (``read_options``), and a chapter without it says so in
  one sentence naming the flag;
- the page of ``crmlib run`` loads nothing from the network (its formulas are MathML);
- Ctrl-C during ``run``, ``course``, ``notebooks`` and ``report`` prints one line, exits 130 and leaves nothing
  half-written (SIGINT sent to the process group, as a terminal does);
- ``crmlib notebooks`` runs chapters at once and stores the same bytes on every run;
- a chapter's ``*_dir`` folder goes through the output manifest (``crmlib.outputs.write_table``).

The chapters are tiny notebooks written into a temporary folder (``CRMLIB_NOTEBOOKS``), except where a real
chapter is the point (determinism).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from crmlib.course import available_cores, notebooks_dir
from crmlib.outputs import MANIFEST_NAME, STAGING_PREFIX, read_manifest

pytestmark = pytest.mark.slow

READ_OPTIONS = "read_options = {}  # the reader's options as one dict (crmlib run's flags); empty: the defaults\n"


def _notebook(title: str, parameters: str, *cells: str, markdown: str = "") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\n{markdown}"),
        params,
        *(nbformat.v4.new_code_cell(code) for code in cells),
    ]
    return nb


LOAD = (
    "import json\nimport crmlib.data, crmlib.datasets\n"
    "tx = crmlib.datasets.load_transactions(data_path, options=crmlib.data.ReadOptions(**read_options))\n"
    "print('read_options:', json.dumps(read_options, sort_keys=True))\n"
    "print('customers:', tx['customer_id'].nunique(), 'purchases:', len(tx))"
)

MATH = (
    "The margin $m$ per year, kept with probability $r$:\n\n"
    "$$\\mathrm{CLV} = \\sum_{t=1}^{\\infty} \\frac{m\\, r^{t-1}}{(1+i)^{t}} \\tag{1}$$\n\n"
    "\\begin{align}\na &= b + c\n\\end{align}\n"
)


def _write(folder: Path, stem: str, nb: nbformat.NotebookNode) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def chapters(tmp_path_factory) -> Path:
    """00 reads the data with read_options (and writes a table into tables_dir); 01 is an older chapter."""
    folder = tmp_path_factory.mktemp("chapters")
    _write(
        folder,
        "00_reads",
        _notebook(
            "00 · Reads",
            "data_path = None\n" + READ_OPTIONS + "tables_dir = None  # folder for the CSV tables; None: none\n",
            LOAD,
            "import crmlib.outputs\n"
            "counts = tx.groupby('customer_id').size().rename('purchases').to_frame()\n"
            "written = crmlib.outputs.write_table(counts, tables_dir, 'purchases.csv')\n"
            "print('table:', written)",
            "from IPython.display import Markdown, display\n"
            "dollar = chr(36)  # the formula below is built, so that the page's code does not show it as typed\n"
            "display(Markdown(f'A formula from code: {dollar}x^2{dollar} and an image ![x](https://example.com/x.png)'))",
            markdown=MATH,
        ),
    )
    _write(
        folder,
        "01_older",
        _notebook(
            "01 · Older",
            'data_path = None\ncustomer_col = "customer_id"\ndate_col = "date"\namount_col = "amount"\n',
            "print('older chapter')",
        ),
    )
    return folder


def _env(notebooks: Path) -> dict[str, str]:
    return {**os.environ, "CRMLIB_NOTEBOOKS": str(notebooks), "PYTHONUNBUFFERED": "1"}


def crmlib(*args: str | Path, cwd: Path, notebooks: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crmlib", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=_env(notebooks),
        timeout=timeout,
    )


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) >= 1 and lines[0].startswith("crmlib: error: "), stderr
    assert "Traceback" not in stderr and "[IPKernelApp]" not in stderr, stderr
    return lines[0]


def _sales(folder: Path) -> Path:
    """Day-first and ISO dates mixed, as an export joined from two systems: read only with both formats."""
    path = folder / "sales.csv"
    path.write_text(
        "Customer,Order Date,Total\n"
        "A,13/01/2024,10\nA,2024-02-03,12.5\nB,05/01/2024,7\nC,2024-03-04,3\nC,28/03/2024,4\n",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- the reader's options, one parameter


def test_run_hands_the_reader_options_to_the_chapter_as_one_parameter(chapters, tmp_path):
    data = _sales(tmp_path)
    before = data.read_bytes()
    done = crmlib(
        "run", "00", "--data", data.name, "--customer", "Customer", "--date", "Order Date", "--amount", "Total",
        "--date-format", "%d/%m/%Y", "--date-format", "%Y-%m-%d", "--max-id-length", "50", "--no-html",
        "--out", "out", cwd=tmp_path, notebooks=chapters,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Read 5 rows from 'sales.csv'" in done.stdout  # the read report, before the chapter runs
    executed = nbformat.read(tmp_path / "out" / "00_reads.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    got = json.loads(re.search(r"read_options: (.*)", printed).group(1))
    assert got == {
        "customer": "Customer",
        "date": "Order Date",
        "amount": "Total",
        "date_format": ["%d/%m/%Y", "%Y-%m-%d"],
        "max_id_length": 50,
    }
    assert "customers: 3 purchases: 5" in printed
    assert data.read_bytes() == before


def test_a_chapter_without_read_options_names_the_flag_it_cannot_take(chapters, tmp_path):
    data = _sales(tmp_path)
    done = crmlib(
        "run", "01", "--data", data.name, "--customer", "Customer", "--date-format", "%d/%m/%Y",
        cwd=tmp_path, notebooks=chapters, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    line = _one_error_line(done.stderr)
    assert "--date-format" in line and "read_options" in line and "01_older" in line, line
    assert "--customer" not in line  # the older chapter takes the customer column (customer_col)
    assert len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "build").exists()


def test_a_reader_error_in_run_names_flags_that_run_and_report_accept(chapters, tmp_path):
    data = tmp_path / "blank.csv"
    data.write_text("customer_id,date,amount\n,2024-01-02,3\nB,2024-01-03,4\n", encoding="utf-8")
    for argv in (["run", "00", "--data", data.name], ["report", "--data", data.name, "--out", "rep", "--quiet"]):
        done = crmlib(*argv, cwd=tmp_path, notebooks=chapters, timeout=120)
        assert done.returncode == 1, done.stderr
        line = _one_error_line(done.stderr)
        assert "--blank-customers drop" in line and "blank_customers=" not in line, line
        assert not (tmp_path / "build").exists() and not (tmp_path / "rep").exists()


# --------------------------------------------------------------------------- offline page


class _Fetches(HTMLParser):
    """Every address a browser would load while showing the page (not the links a reader may follow)."""

    LOADS = {
        "script": ("src",),
        "link": ("href",),
        "img": ("src", "srcset"),
        "iframe": ("src",),
        "frame": ("src",),
        "embed": ("src",),
        "object": ("data",),
        "source": ("src", "srcset"),
        "video": ("src", "poster"),
        "audio": ("src",),
        "track": ("src",),
        "input": ("src",),
        "image": ("href", "xlink:href"),
        "use": ("href", "xlink:href"),
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self.css: list[str] = []
        self.scripts: list[str] = []
        self.math = 0
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in self.LOADS.get(tag, ()):
            if values.get(name):
                self.loads.append(values[name])
        if values.get("style"):
            self.css.append(values["style"])
        if tag == "math":
            self.math += 1
        if tag in ("style", "script"):
            self._in = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.css.append(data)
        elif self._in == "script":
            self.scripts[-1] += data


_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]*)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'");\s]+)""", re.IGNORECASE)


def external_fetches(page: str) -> list[str]:
    """Addresses outside the page that a browser would fetch to show it (script, link, img, iframe, CSS url())."""
    parser = _Fetches()
    parser.feed(page)
    css = "\n".join(re.sub(r"/\*.*?\*/", "", c, flags=re.DOTALL) for c in parser.css)
    found = [u for u in parser.loads if _EXTERNAL.match(u) or not u.lower().startswith(("data:", "#"))]
    found += [u for u in _CSS_URL.findall(css) + _CSS_IMPORT.findall(css) if not u.lower().startswith("data:")]
    found += [m for s in parser.scripts for m in re.findall(r"""(?:https?:)?//[^\s'"`)]+""", s)]
    return found


def test_the_fetch_finder_finds_what_a_browser_would_load():
    page = (
        '<html><head><script src="https://cdn.example/mathjax.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/css"><style>/* https://comment.example */'
        "body{background:url('https://x.example/bg.png')} @import 'theme.css';</style>"
        "<script>import('https://cdn.example/mermaid.mjs')</script></head>"
        '<body><img src="data:image/png;base64,AAAA"><img src="local.png"><iframe src="http://y.example"></iframe>'
        '<p style="background: url(//z.example/p.png)">x</p><a href="https://a-link-is-not-a-fetch.example">a</a>'
        "</body></html>"
    )
    assert sorted(external_fetches(page)) == sorted(
        [
            "https://cdn.example/mathjax.js",
            "//fonts.example/css",
            "local.png",
            "http://y.example",
            "https://x.example/bg.png",
            "theme.css",
            "//z.example/p.png",
            "https://cdn.example/mermaid.mjs",
        ]
    )


def test_the_page_of_run_fetches_nothing_and_its_formulas_are_mathml(chapters, tmp_path):
    done = crmlib("run", "00", "--out", "out", cwd=tmp_path, notebooks=chapters)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "out" / "00_reads.html").read_text(encoding="utf-8")
    assert external_fetches(page) == []
    parser = _Fetches()
    parser.feed(page)
    assert parser.math >= 5  # m, r, the display formula, the align block, and x^2 of the Markdown output
    assert "mathjax" not in page.lower()
    assert '<span class="eqno">(1)</span>' in page
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "$m$" not in text and "\\sum" not in text and "\\begin{align}" not in text and "$x^2$" not in text
    assert "A formula from code:" in text
    assert "<title>00 · Reads</title>" in page  # the chapter's title, not "Notebook"


# --------------------------------------------------------------------------- Ctrl-C


def _slow_chapter(folder: Path, marker: Path) -> Path:
    """A chapter that writes its kernel's pid into ``marker`` and then takes its time.

    The pid is written beside ``marker`` and renamed to it: the marker appears whole (the test interrupts the
    group as soon as it exists, which could otherwise stop the kernel between creating the file and writing it).
    """
    return _write(
        folder,
        "00_slow",
        _notebook(
            "00 · Slow",
            f"data_path = None\n{READ_OPTIONS}marker = {str(marker)!r}\n",
            "import os, pathlib, time\n"
            "pathlib.Path(marker + '.part').write_text(str(os.getpid()))\n"
            "os.replace(marker + '.part', marker)\n"
            "time.sleep(300)",
        ),
    )


def _interrupt(
    argv: list[str | Path], *, cwd: Path, notebooks: Path, ready: Callable[[], bool]
) -> subprocess.CompletedProcess[str]:
    """Start ``crmlib argv`` in its own process group, wait until ``ready()``, then Ctrl-C it (SIGINT to the group)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmlib", *map(str, argv)],
        cwd=cwd,
        env=_env(notebooks),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not ready():
            assert proc.poll() is None, f"crmlib ended before the interrupt: {proc.communicate()}"
            assert time.monotonic() < deadline, "the command never got ready to be interrupted"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _leftovers(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.startswith(STAGING_PREFIX) or ".partial" in p.name or p.name.startswith(".crmlib-incomplete")
    )


def _assert_interrupted(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert done.stderr == "crmlib: interrupted.\n", done.stderr


@pytest.mark.spread(cost=2)
def test_ctrl_c_during_run(tmp_path):
    marker = tmp_path / "kernel.pid"
    notebooks = tmp_path / "chapters"
    _slow_chapter(notebooks, marker)
    out = tmp_path / "out"
    done = _interrupt(["run", "00", "--out", out], cwd=tmp_path, notebooks=notebooks, ready=marker.exists)
    _assert_interrupted(done)
    assert _gone(int(marker.read_text())), "the chapter's kernel is still running"
    assert _leftovers(tmp_path) == []
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


@pytest.mark.spread(cost=2)
def test_ctrl_c_during_course(tmp_path):
    marker = tmp_path / "kernel.pid"
    notebooks = tmp_path / "chapters"
    _slow_chapter(notebooks, marker)
    out = tmp_path / "site"
    done = _interrupt(["course", "--out", out], cwd=tmp_path, notebooks=notebooks, ready=marker.exists)
    _assert_interrupted(done)
    assert _gone(int(marker.read_text())), "the chapter's kernel is still running"
    assert _leftovers(tmp_path) == []
    assert not (out / "notebooks" / "00_slow.ipynb").exists()


@pytest.mark.spread(cost=2)
def test_ctrl_c_during_notebooks(tmp_path):
    marker = tmp_path / "kernel.pid"
    notebooks = tmp_path / "chapters"
    stored = _slow_chapter(notebooks, marker)
    before = stored.read_bytes()
    done = _interrupt(["notebooks"], cwd=tmp_path, notebooks=notebooks, ready=marker.exists)
    _assert_interrupted(done)
    assert _gone(int(marker.read_text())), "the chapter's kernel is still running"
    assert stored.read_bytes() == before  # the stored chapter is as it was
    assert sorted(p.name for p in notebooks.iterdir()) == ["00_slow.ipynb"]


@pytest.mark.spread(cost=2)
def test_ctrl_c_during_report(tmp_path):
    from crmlib.resources import kit_folder

    data = tmp_path / "transactions.csv"
    shutil.copyfile(kit_folder("data") / "transactions.csv", data)
    out = tmp_path / "report"

    def writing() -> bool:  # the report is being written: its staging folder exists
        return out.is_dir() and any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir())

    done = _interrupt(
        ["report", "--data", data, "--out", out, "--quiet", "--interval-draws", "0"],
        cwd=tmp_path, notebooks=notebooks_dir(), ready=writing,
    )  # fmt: skip
    _assert_interrupted(done)
    assert _leftovers(tmp_path) == []
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


# --------------------------------------------------------------------------- crmlib notebooks: parallel, deterministic


def _barrier_chapter(folder: Path, stem: str, mine: Path, other: Path) -> None:
    """A chapter that says it started, then waits until the other one has started (a deadlock if run one by one)."""
    _write(
        folder,
        stem,
        _notebook(
            f"{stem[:2]} · Barrier",
            "data_path = None\n",
            f"import pathlib, time\npathlib.Path({str(mine)!r}).touch()\n"
            f"deadline = time.monotonic() + 120\n"
            f"while not pathlib.Path({str(other)!r}).exists():\n"
            "    assert time.monotonic() < deadline, 'the other chapter never started: not run at once'\n"
            "    time.sleep(0.05)\nprint('met')",
        ),
    )


@pytest.mark.spread(cost=2)
@pytest.mark.skipif(available_cores() < 2, reason="needs two cores to run two chapters at once")
def test_notebooks_runs_the_chapters_at_once(tmp_path):
    notebooks = tmp_path / "chapters"
    a, b = tmp_path / "a.started", tmp_path / "b.started"
    _barrier_chapter(notebooks, "00_first", a, b)
    _barrier_chapter(notebooks, "01_second", b, a)
    done = crmlib("notebooks", cwd=tmp_path, notebooks=notebooks)
    assert done.returncode == 0, done.stdout + done.stderr
    for stem in ("00_first", "01_second"):
        executed = nbformat.read(notebooks / f"{stem}.ipynb", as_version=4)
        assert "met" in executed.cells[-1].outputs[0]["text"]
    assert done.stdout.splitlines()[-1].startswith("2 of 2 notebooks re-executed in ")


@pytest.mark.spread(cost=4)
def test_notebooks_stores_the_same_bytes_on_every_run(tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), notebooks)
    names = ["00_start_here.ipynb", "02_relationship_marketing.ipynb"]
    runs = []
    for _ in range(2):
        for name in names:  # a changed file proves the run wrote it
            nb = nbformat.read(notebooks / name, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nbformat.write(nb, notebooks / name)
        done = crmlib("notebooks", "00", "02", cwd=tmp_path, notebooks=notebooks)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr == ""
        runs.append({name: (notebooks / name).read_bytes() for name in names})
    assert runs[0] == runs[1]
    for name in names:
        nb = nbformat.reads(runs[0][name].decode("utf-8"), as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))  # every cell ran, counted from 1


# --------------------------------------------------------------------------- output folders


def test_run_into_the_notebooks_folder_of_a_site_names_crmlib_course(chapters, tmp_path):
    site = tmp_path / "site"
    done = crmlib("course", "--only", "01", "--out", site, "--no-html", cwd=tmp_path, notebooks=chapters)
    assert done.returncode == 0, done.stderr
    assert "notebooks/01_older.ipynb" in read_manifest(site)
    page = site / "notebooks" / "01_older.ipynb"
    before = page.read_bytes()
    done = crmlib("run", "01", "--out", site / "notebooks", cwd=tmp_path, notebooks=chapters)
    assert done.returncode == 2
    line = _one_error_line(done.stderr)
    assert "written by crmlib course" in line and "not written by crmlib run" not in line, line
    assert "crmlib course" in line.split("written by crmlib course", 1)[1], line  # the fix: run course again
    assert page.read_bytes() == before


def test_a_tables_dir_keeps_the_users_file_and_records_the_kits(chapters, tmp_path):
    tables = tmp_path / "tables"
    tables.mkdir()
    mine = tables / "purchases.csv"
    mine.write_text("my own pivot\n", encoding="utf-8")
    done = crmlib("run", "00", "-p", "tables_dir=tables", "--no-html", "--out", "out", cwd=tmp_path, notebooks=chapters)
    assert done.returncode == 1
    line = _one_error_line(done.stderr)
    assert "purchases.csv" in line and "not written by crmlib" in line, line
    assert mine.read_text(encoding="utf-8") == "my own pivot\n"
    assert not (tmp_path / "out" / "00_reads.ipynb").exists()
    assert _leftovers(tmp_path) == []

    mine.unlink()
    done = crmlib("run", "00", "-p", "tables_dir=tables", "--no-html", "--out", "out", cwd=tmp_path, notebooks=chapters)
    assert done.returncode == 0, done.stderr
    table = mine.read_text(encoding="utf-8").splitlines()
    assert table[0] == "customer_id,purchases" and len(table) == 5001  # the bundled log's 5,000 customers
    assert read_manifest(tables)["purchases.csv"]["command"] == "run"
    assert sorted(p.name for p in tables.iterdir()) == [MANIFEST_NAME, "purchases.csv"]
    done = crmlib("run", "00", "-p", "tables_dir=tables", "--no-html", "--out", "out", cwd=tmp_path, notebooks=chapters)
    assert done.returncode == 0, done.stderr  # its own file: replaced without --force
