"""The course site's builder on small, hostile chapters: what reaches a page, and how the pages link.

One site is built for the module from two tiny chapters whose outputs carry what a user's transaction file can
put in them (script tags, event handlers, ``javascript:`` links, remote images, style sheets, a right-to-left
override); every page is then parsed as HTML. The real chapters are checked in a browser (tests/browser).
"""

from __future__ import annotations

import base64
import html.parser
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import crmlib.course
from crmlib.course import CHECK_TAG, build_site, prepare_notebook, widget_snapshot

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
HOSTILE_HTML = (
    "<table><tr><td><script>alert('s1')</script>C001</td><td><img src=x onerror=\"alert('s2')\"></td>"
    "<td>\"><svg onload=\"alert('s3')\"></svg></td><td><a href=\"javascript:alert('s4')\">C004</a></td>"
    "<td style=\"text-align: right; background: url(https://tracker.example/p.png)\">5</td></tr></table>"
    "<iframe src=\"https://evil.example/\"></iframe><style>body{background:url(https://tracker.example/b.png)}</style>"
    "<bdo dir=\"rtl\">C006</bdo><form action=\"https://evil.example/\"><input name=q></form>C\u202e007"
)
HOSTILE_MARKDOWN = (
    "**C008** <script>alert('s5')</script> [C009](javascript:alert('s6')) ![C010](https://tracker.example/i.png) "
    "<img src=y onerror=\"alert('s7')\"> <a href=\"data:text/html,<script>alert('s8')</script>\">C011</a>"
)


def _widget_cell():
    cell = new_code_cell("crmlib.widgets.clv_calculator()")
    cell.outputs = [new_output("execute_result", data={VIEW: {"model_id": "a" * 32, "version_major": 2},
                                                       "text/plain": "CLVCalculator(...)"}, execution_count=3)]
    return cell


def _widget_state() -> dict:
    box, slider, html, image = "a" * 32, "b" * 32, "c" * 32, "d" * 32
    return {
        box: {"model_name": "VBoxModel", "state": {"children": [f"IPY_MODEL_{slider}", f"IPY_MODEL_{html}",
                                                                 f"IPY_MODEL_{image}"]}},
        slider: {"model_name": "FloatSliderModel", "state": {"description": "retention per year", "value": 0.8}},
        html: {"model_name": "HTMLModel", "state": {"value": "<b>CLV: 266.67</b><script>alert('s9')</script>"}},
        image: {"model_name": "ImageModel", "state": {"format": "png"},
                "buffers": [{"path": ["value"], "data": PNG, "encoding": "base64"}]},
    }


def _hostile_chapter():
    title = new_markdown_cell(
        "# 00 · Hostile outputs\n\nNext: [the links chapter](01_links.ipynb); a term: "
        "[customer equity](glossary.md#customer-equity); a formula: $x_i = \\frac{1}{2}$ and\n\n"
        "$$\\text{CLV} = m\\,\\frac{r}{1+i-r} \\tag{3}$$\n\nAnd a chapter that is not there: [gone](07_gone.ipynb)."
    )
    params = new_code_cell("data_path = None")
    params.metadata["tags"] = ["parameters"]
    shown = new_code_cell("show(customers)")
    shown.outputs = [
        new_output("display_data", data={"text/html": HOSTILE_HTML, "text/plain": "table"}),
        new_output("display_data", data={"text/markdown": HOSTILE_MARKDOWN, "text/plain": "md"}),
        new_output("execute_result", data={"text/plain": "<script>alert('s10')</script>"}, execution_count=2),
        new_output("stream", name="stdout", text="customer \u202egpj.exe <b onmouseover=\"alert('s11')\">x</b>\n"),
    ]
    check = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(round(total))")
    check.outputs = [new_output("stream", name="stdout", text="KEYNUMBER-42\n")]
    tagged = new_code_cell("print(round(equity))")
    tagged.metadata["tags"] = [CHECK_TAG]
    tagged.outputs = [new_output("stream", name="stdout", text="KEYNUMBER-43\n")]
    nb = new_notebook(cells=[title, params, shown, check, tagged, _widget_cell()])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["widgets"] = {STATE: {"state": _widget_state(), "version_major": 2, "version_minor": 0}}
    return nb


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chapters")
    nbformat.write(_hostile_chapter(), folder / "00_hostile.ipynb")
    links = new_markdown_cell(
        "# 01 · Links\n\nBack to [the first](00_hostile.ipynb).\n\n## Learning goals\n\n"
        "- Read [customer equity](glossary.md#customer-equity) as [the first chapter](00_hostile.ipynb) computes it."
    )
    nbformat.write(new_notebook(cells=[links]), folder / "01_links.ipynb")
    (folder / "glossary.md").write_text(
        '# Glossary\n\n## Customer equity\n<a id="customer-equity"></a>\n\nThe sum of the lifetime values of the '
        "customers. Taught in [00](00_hostile.ipynb).\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("site")
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMLIB_NOTEBOOKS", str(folder))
    try:
        result = build_site(out, [folder / "00_hostile.ipynb", folder / "01_links.ipynb"], exercises=False, workers=1)
    finally:
        mp.undo()
    return out, result


class _Page(html.parser.HTMLParser):
    """Every tag with its attributes, the text of inline scripts, and the visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages(out: Path) -> list[Path]:
    return [p for p in out.rglob("*.html") if "_static" not in p.relative_to(out).parts]


def test_no_script_handler_or_dangerous_link_from_the_data_reaches_any_page(built):
    out, _ = built
    pages = _pages(out)
    assert len(pages) >= 4
    for path in pages:
        page = _parse(path)
        name = path.relative_to(out)
        for tag, attrs in page.tags:
            assert not [a for a in attrs if a.lower().startswith("on")], (name, tag, attrs)
            for key in ("href", "src", "action", "formaction"):
                value = (attrs.get(key) or "").strip().lower()
                assert not value.startswith(("javascript:", "vbscript:", "data:text")), (name, tag, attrs)
                if tag == "img" and key == "src":
                    assert not value.startswith(("http:", "https:", "//")), (name, attrs)  # nothing from the network
            if tag == "script":
                assert not attrs.get("src") or "_static/" in attrs["src"] or attrs["src"].endswith("searchindex.js")
            assert tag not in ("iframe", "bdo", "object", "embed", "svg"), (name, tag)
            if tag == "form":  # the theme's search box only
                assert attrs.get("action", "").endswith(("search.html", "#")), (name, attrs)
        assert not any("alert(" in s for s in page.scripts), name  # the theme's own inline scripts only
        text = path.read_text(encoding="utf-8")
        assert not re.search("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]", text), name
        assert "tracker.example" not in text.replace("[image not shown: https://tracker.example", ""), name


def test_the_data_is_still_shown_as_text(built):
    out, _ = built
    page = (out / "notebooks" / "00_hostile.html").read_text(encoding="utf-8")
    for value in ("C001", "C004", "C006", "C008", "C009", "C011"):
        assert value in page, value
    assert "C[U+202E]007" in page and "[U+202E]gpj.exe" in page  # direction controls made visible
    assert "&lt;script&gt;alert(&#39;s10&#39;)&lt;/script&gt;" in page or "&lt;script&gt;alert('s10')" in page


def test_key_number_cells_are_left_out_and_parameters_folded(built):
    out, _ = built
    page = (out / "notebooks" / "00_hostile.html").read_text(encoding="utf-8")
    assert "KEYNUMBER-42" not in page and "KEYNUMBER-43" not in page
    assert re.search(r'<details class="[^"]*hide[^"]*above-input', page), "the parameters cell is folded"


def test_a_widget_becomes_its_saved_figure_with_a_note(built):
    out, _ = built
    page = (out / "notebooks" / "00_hostile.html").read_text(encoding="utf-8")
    assert f'src="data:image/png;base64,{PNG}"' in page
    assert "retention per year: 0.8" in page and "<b>CLV: 266.67</b>" in page
    assert "notebooks/00_hostile.ipynb</code> in JupyterLab" in page
    assert "jupyter-widgets" not in page and VIEW not in page


def test_math_is_mathml_with_its_number(built):
    out, _ = built
    page = (out / "notebooks" / "00_hostile.html").read_text(encoding="utf-8")
    assert page.count("<math") >= 2 and "\\frac" not in page
    assert not re.search(r"<script[^>]*mathjax", page, re.IGNORECASE)
    assert '<span class="eqno">(3)</span>' in page


def test_links_between_chapters_and_to_the_glossary_are_pages(built):
    out, result = built
    page = (out / "notebooks" / "00_hostile.html").read_text(encoding="utf-8")
    assert 'href="01_links.html"' in page
    assert 'href="glossary.html#customer-equity"' in page
    assert 'id="customer-equity"' in (out / "notebooks" / "glossary.html").read_text(encoding="utf-8")
    assert 'href="00_hostile.html"' in (out / "notebooks" / "01_links.html").read_text(encoding="utf-8")
    assert not re.search(r'href="[^"]*07_gone', page)  # a chapter that is not there is text, not a dead link
    assert any("07_gone" in w for w in result.warnings), result.warnings
    assert re.search(r'<a class="crm-download" href="00_hostile.ipynb"[^>]*>Download the executed notebook</a>', page)
    assert (out / "notebooks" / "00_hostile.ipynb").is_file()  # the download link's target
    assert (out / "index.html").read_text(encoding="utf-8").count(crmlib.course.SITE_MARK) == 1


def test_links_in_a_chapters_summary_lead_to_their_pages_from_the_contents_page(built):
    out, result = built
    front = (out / "index.html").read_text(encoding="utf-8")
    # the summary (the first learning goal) was written next to the chapters: its links are rebased, not dropped
    assert 'href="notebooks/glossary.html#customer-equity"' in front
    assert 'href="notebooks/00_hostile.html"' in front
    assert not [w for w in result.warnings if "index" in w], result.warnings


def test_a_second_site_built_in_one_process_gives_no_warning(tmp_path, monkeypatch):
    # Sphinx registers its nodes, directives and roles once per process: a second build (a notebook, a test run)
    # must not report them as warnings, which would hide the warnings about the chapters
    folder = tmp_path / "chapters"
    folder.mkdir()
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 00 · One\n\nText.")]), folder / "00_one.ipynb")
    monkeypatch.setenv("CRMLIB_NOTEBOOKS", str(folder))
    for k in range(2):
        result = build_site(tmp_path / f"site{k}", [folder / "00_one.ipynb"], exercises=False, workers=1)
        assert result.warnings == [], (k, result.warnings[:3])


def test_prepare_notebook_leaves_the_stored_notebook_alone():
    nb = _hostile_chapter()
    before = nbformat.writes(nb)
    page = prepare_notebook(nb, where="notebooks/00_hostile.ipynb", note="**Run it.**")
    assert nbformat.writes(nb) == before
    assert page.cells[1].source == "**Run it.**"
    assert "widgets" not in page.metadata
    assert "remove-cell" in page.cells[4].metadata["tags"] and "remove-cell" in page.cells[5].metadata["tags"]
    assert "hide-input" in page.cells[2].metadata["tags"]


def test_a_widget_without_saved_state_still_gets_its_note():
    assert widget_snapshot("f" * 32, {}) is None
    nb = new_notebook(cells=[_widget_cell()])
    page = prepare_notebook(nb, where="notebooks/04_clv_npv.ipynb")
    (output,) = page.cells[0].outputs
    assert VIEW not in output.data
    assert "open <code>notebooks/04_clv_npv.ipynb</code>" in output.data["text/html"].lower()


def test_without_the_course_extra_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)
    with pytest.raises(crmlib.course.SiteError, match=r"needs the 'course' extra .*pip install 'crmlib\[course\]'"):
        build_site(tmp_path / "site")


def test_the_page_of_crmlib_run_is_sanitized_too(tmp_path):
    from crmlib.course import render_html

    nbformat.write(_hostile_chapter(), tmp_path / "00_hostile.ipynb")
    path = render_html(tmp_path / "00_hostile.ipynb")
    page = _parse(path)
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript:"), attrs
        assert tag not in ("iframe", "bdo", "form"), tag
    assert not any("alert(" in s for s in page.scripts)
    text = path.read_text(encoding="utf-8")
    assert "C[U+202E]007" in text and "KEYNUMBER" not in text and "retention per year: 0.8" in text


def test_an_unsafe_link_in_a_restructuredtext_page_becomes_text(tmp_path):
    # MyST never makes a link of javascript:, but reStructuredText does; the sanitizer once only removed its target,
    # and Sphinx's HTML writer stopped on a link with no target at all
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["crmlib.course.sphinxext"]\n', encoding="utf-8")
    page = "Demo\n====\n\nSee `the offer <javascript:alert('s12')>`_ and `the kit <https://example.org/kit>`_.\n"
    (src / "index.rst").write_text(page, encoding="utf-8")
    Sphinx(src, src, tmp_path / "html", tmp_path / "doctrees", "html", status=None, warning=None).build()
    text = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert "javascript:" not in text and "alert(" not in text
    assert "the offer" in text and 'href="https://example.org/kit"' in text
