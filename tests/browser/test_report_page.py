"""The report's page in the real browser, with every request that is not a local file blocked.

Opened from disk as a manager would open it: no code cell, no raw TeX, no failed or blocked request, no link that
leads nowhere, the formula drawn (MathML), and with an XSS id list as customer ids no dialog fires. A screenshot of
the summary is kept in test-output/ for a person to look at.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report_harness import retail

from crmlib import cli

XSS_IDS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    "javascript:alert(4)",
    "<iframe srcdoc='<script>alert(5)</script>'>",
    "\u202egnp.exe",
    "<details open ontoggle=alert(6)>",
    "{{7*7}}",
]


def _write_export(path: Path, *, xss: bool) -> None:
    data = retail(700, seed=12)
    tx = data.transactions.copy()
    if xss:
        best = tx.groupby("customer_id")["amount"].sum().sort_values(ascending=False).index[: len(XSS_IDS)]
        rename = dict(zip(best, XSS_IDS))
        tx["customer_id"] = tx["customer_id"].map(lambda c: rename.get(c, c))
    region = tx["customer_id"].map(data.customers.set_index("customer_id")["region"]).fillna("North")
    pd.DataFrame(
        {
            "Customer": tx["customer_id"],
            "Date": tx["date"].dt.strftime("%d/%m/%Y"),
            "Total": tx["amount"],
            "Region": region.map(lambda r: f"<b onmouseover=alert(8)>{r}</b>" if xss else r),
        }
    ).to_csv(path, index=False)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report_page")
    made = {}
    for name, xss in (("plain", False), ("xss", True)):
        data = folder / f"{name}.csv"
        _write_export(data, xss=xss)
        out = folder / name
        code = cli.main(
            [
                "report",
                "--data",
                str(data),
                "--out",
                str(out),
                "--customer",
                "Customer",
                "--date",
                "Date",
                "--amount",
                "Total",
                "--by",
                "Region",
                "--interval-draws",
                "10",
                "--quiet",
            ]
        )
        assert code == 0
        made[name] = out / "report.html"
    return made


def _open(browser, page_path: Path):
    """Open the page with every non-file request blocked; collect requests, failures, dialogs and console errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 860}, java_script_enabled=True)
    seen = {"requests": [], "blocked": [], "failed": [], "dialogs": [], "console": []}

    def route(r):
        url = r.request.url
        seen["requests"].append(url)
        if url.startswith("file://") or url.startswith("data:"):
            r.continue_()
        else:
            seen["blocked"].append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("requestfailed", lambda req: seen["failed"].append(req.url))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.goto(page_path.as_uri(), wait_until="load")
    return context, page, seen


def test_the_page_is_offline_readable_and_has_no_dead_link(browser, pages, test_output):
    context, page, seen = _open(browser, pages["plain"])
    try:
        assert seen["blocked"] == [] and seen["failed"] == [], seen
        assert page.title().startswith("Customer report: plain.csv, ")
        text = page.inner_text("body")
        # No code, no exercises, no notebook chrome, no raw TeX.
        assert page.locator(".jp-Cell, .jp-InputArea, pre code, .input_area").count() == 0
        assert "import crmlib" not in text and "Exercises" not in text and "In [" not in text
        assert not re.search(r"\$\$|\\frac|\\sum|\\text\{|\\\(", text)
        # The formula is drawn by the browser (MathML has a real size), the figures are embedded images.
        box = page.locator("math").first.bounding_box()
        assert box is not None and box["height"] > 20
        images = page.locator("img")
        assert images.count() >= 3
        for k in range(images.count()):
            assert images.nth(k).get_attribute("src").startswith("data:image/png;base64,")
            assert images.nth(k).evaluate("img => img.complete && img.naturalWidth > 0")
        # Every link leads somewhere: an anchor on the page, or a file the report wrote.
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert any(h == "report.xlsx" for h in links) and any(h == "tables/customers.csv" for h in links)
        for href in links:
            if href.startswith("#"):
                assert page.locator(f"[id='{href[1:]}']").count() == 1, href
            else:
                parsed = urlparse(href)
                assert parsed.scheme == "" and not href.startswith("/"), href
                assert (pages["plain"].parent / unquote(parsed.path)).is_file(), href
        # Readable on a laptop: nothing wider than the window.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        assert seen["console"] == []
        page.locator("#summary").screenshot(path=str(test_output / "report_summary.png"))
    finally:
        context.close()


def test_xss_ids_fire_no_dialog_and_show_as_text(browser, pages):
    context, page, seen = _open(browser, pages["xss"])
    try:
        page.mouse.move(300, 400)
        page.evaluate("document.getElementById('by') && document.getElementById('by').scrollIntoView()")
        page.mouse.move(400, 300)
        page.wait_for_timeout(300)
        assert seen["dialogs"] == []
        assert seen["blocked"] == [] and seen["failed"] == [], seen
        assert page.locator("script, iframe, svg, details, body img:not([src^='data:image/png'])").count() == 0
        text = page.inner_text("#best")
        assert "<script>alert(1)</script>" in text and "[U+202E]gnp.exe" in text
        assert "{{7*7}}" in text  # not evaluated by the template either
    finally:
        context.close()
