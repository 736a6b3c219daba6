r"""The Sphinx extension of the course site: math as MathML, outputs sanitized, nothing loaded from the network.

Loaded by :func:`crmlib.course.build_site` (``extensions = ["myst_nb", "crmlib.course.sphinxext"]``); it is
the only module of crmlib that imports Sphinx and docutils at the top, and only Sphinx imports it.

- **Math without a network.** ``html_math_renderer = "mathml"``: every formula (``$...$``, ``$$...$$``,
  ``\begin{...}`` blocks) is converted to MathML when the site is built (:func:`crmlib.course.tex_to_mathml`,
  shared with the page of ``crmlib run``), which the browser draws itself: no MathJax, no script, no font to
  fetch, and the page reads the same from ``file://``.
  ``\tag{n}`` becomes the equation number at the right. A formula latex2mathml cannot read is a build
  warning naming the page, and is shown as its TeX in a code span.
- **Sanitized HTML.** After myst-nb has chosen each output's MIME type, every raw HTML node of every page
  (notebook outputs, Markdown outputs, HTML written in Markdown cells) goes through
  :func:`crmlib.course.clean_html`; links whose scheme is not http(s), mailto or relative lose their target;
  images that would be fetched from the network are replaced by a note.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from crmlib.course._math import MathError, tex_to_mathml
from crmlib.course._sanitize import clean_html, neutralise_bidi

logger = logging.getLogger(__name__)


def _fallback(self, node: nodes.Element, tex: str, exc: MathError) -> None:
    logger.warning("formula not converted to MathML (%s): %s", exc, tex, location=node, type="crmlib", subtype="math")
    self.body.append(f'<code class="crm-math-error">{self.encode(tex)}</code>')


def _visit_math(self, node: nodes.math) -> None:
    """Inline math as MathML."""
    tex = node.astext()
    try:
        mathml, _ = tex_to_mathml(tex, display=False)
    except MathError as exc:
        _fallback(self, node, tex, exc)
        raise nodes.SkipNode from None
    self.body.append(f'<span class="math notranslate">{mathml}</span>')
    raise nodes.SkipNode


def _visit_displaymath(self, node: nodes.math_block) -> None:
    r"""Display math as MathML, with the equation number (``\tag`` or Sphinx's numbering) at the right."""
    tex = node.astext()
    self.body.append(self.starttag(node, "div", CLASS="math notranslate crm-math-block"))
    parts = [p for p in tex.split("\n\n") if p.strip()] or [tex]
    number = get_node_equation_number(self, node) if node.get("number") else None
    for part in parts:
        try:
            mathml, tag = tex_to_mathml(part, display=True)
        except MathError as exc:
            _fallback(self, node, part, exc)
            continue
        label = number or tag
        self.body.append('<div class="crm-equation">')
        self.body.append(mathml)
        if label:
            self.body.append(f'<span class="eqno">({self.encode(str(label))})')
            if number:
                self.add_permalink_ref(node, "Link to this equation")
            self.body.append("</span>")
            number = None  # one number per block
        self.body.append("</div>")
    self.body.append("</div>\n")
    raise nodes.SkipNode


_SAFE_SCHEMES = {"", "http", "https", "mailto"}


class SanitizeHTML(SphinxPostTransform):
    """Clean every raw HTML node; drop unsafe link targets and remote images (see the module docstring).

    Examples
    --------
    >>> from docutils.utils import new_document
    >>> page = new_document("demo")
    >>> page += nodes.raw("", '<b onclick="steal()">bold</b><script>steal()</script>', format="html")
    >>> SanitizeHTML(page).run()
    >>> page[0].astext()
    '<b>bold</b>'
    """

    default_priority = 900  # after myst-nb has selected the MIME type of every output (priority 4xx)
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        """Clean the page's raw HTML, links and images."""
        for raw in list(self.document.findall(nodes.raw)):
            if "html" in raw.get("format", "").split():
                cleaned = clean_html(raw.astext())
                raw.children = []
                raw += nodes.Text(cleaned)
        for ref in list(self.document.findall(nodes.reference)):
            uri = ref.get("refuri")
            if uri and urlsplit(uri.strip()).scheme.lower() not in _SAFE_SCHEMES:
                logger.warning("link target removed (scheme not allowed): %s", uri[:80], location=ref,
                               type="crmlib", subtype="link")
                ref.replace_self(nodes.inline("", "", *ref.children, classes=["crm-removed-link"]))
        ids = {i for node in self.document.findall(nodes.Element) for i in node.get("ids", [])}
        for ref in list(self.document.findall(nodes.reference)):
            uri = ref.get("refuri", "")
            target = ref.get("refid") or (uri[1:] if uri.startswith("#") else "")
            if target and target not in ids:  # a link whose page or anchor is not in the site (MyST leaves "#path")
                logger.warning("link to a page that is not in the site, shown as text: %s", target,
                               location=ref, type="crmlib", subtype="link")
                ref.replace_self(nodes.inline("", "", *ref.children, classes=["crm-missing-link"]))
        for image in list(self.document.findall(nodes.image)):
            uri = image.get("uri", "")
            if "://" in uri or uri.startswith("//") or uri.lower().startswith("data:"):
                logger.warning("remote image not shown (the site loads nothing from the network): %s", uri[:80],
                               location=image, type="crmlib", subtype="image")
                image.replace_self(nodes.emphasis(text=f"[image not shown: {neutralise_bidi(uri[:80])}]"))


def setup(app: Sphinx) -> dict[str, Any]:
    r"""Register the MathML renderer and the sanitizer.

    Examples
    --------
    A one-page Sphinx project with this extension: its formula is MathML, its raw HTML cleaned.

    >>> import tempfile
    >>> from pathlib import Path
    >>> src = Path(tempfile.mkdtemp())
    >>> conf = 'extensions = ["crmlib.course.sphinxext"]\nhtml_math_renderer = "mathml"\n'
    >>> _ = (src / "conf.py").write_text(conf, encoding="utf-8")
    >>> text = 'Demo\n====\n\n:math:`x^2`\n\n.. raw:: html\n\n   <b onclick="steal()">bold</b>\n'
    >>> _ = (src / "index.rst").write_text(text, encoding="utf-8")
    >>> Sphinx(src, src, src / "html", src / "doctrees", "html", status=None, warning=None).build()
    >>> page = (src / "html" / "index.html").read_text(encoding="utf-8")
    >>> "<math" in page, "<b>bold</b>" in page, "steal" in page
    (True, True, False)
    """
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_displaymath, None))
    app.add_post_transform(SanitizeHTML)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
