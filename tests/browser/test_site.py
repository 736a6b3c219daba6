"""The course site in a real browser with the network cut off: every page whole, and the navigation works.

The site is built once for this module from the stored chapters (executed on the bundled data), the way
``crmlib course`` builds it after running them. Every request that leaves the machine is blocked: a page that
needs one fails. Pages are opened from ``file://`` (a site opened from a folder) and, for search, also from a
web server on 127.0.0.1 (a site published as-is).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from crmlib.course import build_site, chapters

#: In a page's visible text (outside code), what unrendered math looks like: a TeX command or a $...$ span.
RAW_TEX = (
    r"\\(frac|sum|text|begin|end|mathrm|alpha|beta|gamma|lambda|mu|left|right|cdot|times|tag|le|ge|infty)\b"
    r"|\$[^\s$][^$]{0,300}\$"
)

PAGE_FACTS = """(rawTex) => {
  const main = document.querySelector('main') || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, math, .highlight').forEach(e => e.remove());
  const text = copy.innerText || copy.textContent || '';
  const tex = text.match(new RegExp(rawTex));
  const outputs = Array.from(document.querySelectorAll('.cell_output')).map((o, i) => ({
    i, empty: !(o.innerText.trim() || o.querySelector('img, table, svg, math')),
    text: o.innerText.slice(0, 80),
  }));
  const widgets = document.querySelectorAll(
    '.jupyter-widgets, [data-mime-type="application/vnd.jupyter.widget-view+json"], script[type*="widget"]').length;
  const broken = Array.from(document.images).filter(img => !(img.complete && img.naturalWidth > 0)).map(i => i.src);
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.href);
  return {tex: tex ? tex[0] : null, outputs, widgets, broken, links,
          widgetText: /Error displaying widget|Loading widget/.test(document.body.innerText)};
}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    result = build_site(out)
    assert (out / "index.html").is_file()
    return out, result


@pytest.fixture(scope="module")
def site(built) -> Path:
    return built[0]


def test_the_bundled_course_builds_without_a_warning(built):
    """A warning of the builder is a link shown as text or a page left out: the bundled course has none."""
    assert built[1].warnings == []


@pytest.fixture(scope="module")
def server(site):
    """The site over HTTP on a free port of 127.0.0.1, as a published copy would be served."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def offline(browser):
    """A browser context that blocks every request not to file:// or 127.0.0.1, and records what failed."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    problems: list[str] = []

    def route(r):
        url = r.request.url
        host = urlsplit(url).hostname
        if url.startswith(("file://", "data:", "about:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            problems.append(f"blocked request to the network: {url}")
            r.abort()

    context.route("**/*", route)
    context.on("requestfailed", lambda req: problems.append(f"failed request: {req.url} ({req.failure})"))
    context.on("response", lambda resp: resp.status >= 400 and problems.append(f"HTTP {resp.status}: {resp.url}"))
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    yield page, problems
    context.close()


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


@functools.cache
def _ids(path: Path) -> frozenset[str]:
    return frozenset(re.findall(r'\sid="([^"]+)"', path.read_text(encoding="utf-8")))


def _missing(link: str) -> str | None:
    """Why a file:// link does not lead to a page of the site (None if it does)."""
    parts = urlsplit(link)
    if parts.scheme != "file":
        return None
    target = Path(unquote(parts.path))
    if not target.exists():
        return "no such file"
    if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target):
        return f"no anchor #{parts.fragment}"
    return None


def test_every_page_is_whole_offline(site, offline):
    page, problems = offline
    pages = _pages(site)
    stems = {p.stem for p in pages}
    assert {c.stem for c in chapters()} <= stems, "a chapter has no page"
    assert any("glossary" in p.name for p in pages)
    assert any(p.parent.name == "exercises" for p in pages)
    found = []
    for path in pages:
        problems.clear()
        page.goto(path.as_uri(), wait_until="load")
        facts = page.evaluate(PAGE_FACTS, RAW_TEX)
        name = str(path.relative_to(site))
        found += [f"{name}: {p}" for p in problems]
        if facts["tex"]:
            found.append(f"{name}: raw TeX on the page: {facts['tex']!r}")
        found += [f"{name}: empty output #{o['i']}" for o in facts["outputs"] if o["empty"]]
        if facts["widgets"] or facts["widgetText"]:
            found.append(f"{name}: a live widget output that cannot work offline")
        found += [f"{name}: image not shown: {src}" for src in facts["broken"]]
        found += [f"{name}: link to {link}: {why}" for link in set(facts["links"]) if (why := _missing(link))]
    assert not found, "\n".join(found)


def test_sidebar_lists_every_chapter_and_leads_to_it(site, offline):
    page, problems = offline
    page.goto((site / "index.html").as_uri())
    sidebar = page.locator(".bd-sidebar-primary")
    for chapter in chapters():
        assert sidebar.locator(f'a[href$="notebooks/{chapter.stem}.html"]').count() == 1, chapter.stem
    sidebar.locator('a[href$="notebooks/05_probabilistic_clv.html"]').click()
    page.wait_for_url("**/05_probabilistic_clv.html")
    assert page.locator("h1").first.inner_text().startswith("05")
    assert not problems, problems


def test_previous_and_next_walk_the_chapters_in_order(site, offline):
    page, problems = offline
    page.goto((site / "notebooks" / "05_probabilistic_clv.html").as_uri())
    assert page.locator("a.left-prev").get_attribute("href").endswith("04_clv_npv.html")
    page.locator("a.right-next").click()
    page.wait_for_url("**/06_customer_tiering.html")
    assert page.locator("h1").first.inner_text().startswith("06")
    page.locator("a.left-prev").click()
    page.wait_for_url("**/05_probabilistic_clv.html")
    assert not problems, problems


def _search_results(page) -> list[str]:
    page.wait_for_function("() => document.querySelector('#search-results') && "
                           "!document.querySelector('#search-progress')?.innerText.includes('Preparing')")
    # Sphinx lists the hits one at a time (5 ms apart) and writes the summary ("Search finished, found N pages
    # ...", or "did not match") only after the last: the list read before that is partial
    page.wait_for_function(
        "() => (document.querySelector('#search-results p.search-summary')?.innerText || '').trim().length > 0"
    )
    return page.eval_on_selector_all("#search-results li a, ul.search li a", "els => els.map(e => e.href)")


def test_search_from_the_search_box_of_a_page_opened_from_a_folder(site, offline):
    page, problems = offline
    page.goto((site / "index.html").as_uri())
    page.keyboard.press("Control+k")  # the theme's search dialog, as a reader opens it
    box = page.locator("input[name='q']:visible").first
    box.fill("Gamma-Gamma")
    box.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    hits = _search_results(page)
    assert any(h.split("#")[0].endswith("notebooks/05_probabilistic_clv.html") for h in hits), hits
    assert not problems, problems


def test_search_on_a_web_server(server, offline):
    page, problems = offline
    page.goto(f"{server}/search.html?q=Gamma-Gamma")
    hits = _search_results(page)
    assert any(h.split("#")[0].endswith("notebooks/05_probabilistic_clv.html") for h in hits), hits
    page.goto(f"{server}/search.html?q=customer+equity")
    assert any("glossary" in h or "04_clv_npv" in h for h in _search_results(page))
    assert not problems, problems


def test_a_glossary_link_of_a_chapter_opens_the_term_in_jupyterlab(browser, lab):
    """The same link works in JupyterLab: it opens glossary.md rendered, scrolled to the term."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# Links\n\nThe [whale curve](glossary.md#whale-curve) of chapter 06.")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab["root"] / "notebooks" / "zz_glossary_link.ipynb")
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{lab['base']}/lab/tree/notebooks/zz_glossary_link.ipynb?token={lab['token']}&reset")
        page.locator("a[href*='glossary.md'][href*='whale-curve']").first.click()
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.title.label === 'glossary.md'")
        # JupyterLab keeps an anchor's id as data-jupyter-id; headings get "Whale-curve", so the explicit anchor matters
        page.wait_for_function("""() => { const e = document.querySelector('[data-jupyter-id="whale-curve"]');
            if (!e) return false; const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }""")
    finally:
        context.close()
