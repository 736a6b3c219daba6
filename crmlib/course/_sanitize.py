"""What a notebook's outputs may put on a page: sanitized HTML, bidirectional controls made visible.

A chapter run on a user's file prints the user's values (customer ids, column names, categories) in its
outputs. Those outputs reach the pages of the course site and the page of ``crmlib run``, so every one is
treated as hostile: HTML goes through nh3 (a binding of the Ammonia sanitizer) with an allow-list of tags,
attributes and URL schemes, so no script, event handler, style sheet, remote image or ``javascript:`` link
survives; text direction controls (such as U+202E, the right-to-left override, which makes ``gpj.exe``
read ``exe.jpg``) are replaced by a visible ``[U+202E]``.
"""

from __future__ import annotations

import re

from crmlib.outputs import BIDI_CONTROLS

__all__ = ["clean_html", "neutralise_bidi"]

_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")

#: Tags a notebook output may use: text, lists, tables, figures (nh3's defaults without bdo/bdi, which set
#: the direction of text, and without area/map).
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
        "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
        "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
        "tr", "u", "ul", "var", "wbr",
    }
)
_CELL = {"align", "valign", "colspan", "rowspan", "scope", "headers"}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "title", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"border", "summary"},
    "th": _CELL,
    "td": _CELL,
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start"},
    "details": {"open"},
}
#: CSS properties kept in ``style`` attributes (pandas writes text-align; a Styler may colour cells). None of
#: them can load anything: ``url(...)`` is not a value any of them accepts.
ALLOWED_STYLES = frozenset(
    {
        "text-align", "vertical-align", "color", "background-color", "font-weight", "font-style",
        "white-space", "width", "min-width", "max-width", "border", "border-collapse", "padding",
    }
)
_URL_SCHEMES = {"http", "https", "mailto", "data"}
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep ``data:`` URLs only as an inline raster image (``<img src="data:image/png;base64,...">``)."""
    if attribute in ("href", "src", "cite") and value.strip().lower().startswith("data:"):
        if tag == "img" and attribute == "src" and _DATA_IMAGE.match(value.strip()):
            return value
        return None
    if tag == "img" and attribute == "src" and re.match(r"^\s*(https?:)?//", value, re.IGNORECASE):
        return None  # a page never loads anything from the network
    return value


def neutralise_bidi(text: str) -> str:
    r"""Replace every bidirectional control character (:data:`crmlib.outputs.BIDI_CONTROLS`) by a visible ``[U+XXXX]``.

    Only these: notebook outputs keep their other control characters (the colour codes of a traceback), which
    the page renders as colours. For a single value from a user's file, :func:`crmlib.outputs.display_text`
    also shows the other control characters.

    >>> neutralise_bidi("invoice\u202egpj.exe")
    'invoice[U+202E]gpj.exe'
    >>> neutralise_bidi("plain")
    'plain'
    """
    if not _BIDI_RE.search(text):
        return text
    return _BIDI_RE.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)


def clean_html(html: str) -> str:
    """Sanitize an HTML fragment from a notebook output or a page's Markdown.

    Keeps text, tables, lists and inline raster images; removes scripts and style sheets with their content,
    every event handler (``onerror=``, ``onload=`` ...), forms, frames, SVG and MathML from data, remote images,
    links other than http(s), mailto and relative ones, and CSS properties outside a short list. Bidirectional
    controls become visible (:func:`neutralise_bidi`).

    >>> clean_html('<img src=x onerror="alert(1)"><b>A</b><script>alert(2)</script>')
    '<img src="x"><b>A</b>'
    >>> clean_html('<a href="javascript:alert(1)">id</a>')
    '<a rel="noopener noreferrer">id</a>'
    >>> clean_html('<p style="text-align: right; background: url(https://x.example/t.png)">1</p>')
    '<p style="text-align:right">1</p>'
    """
    import nh3

    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "template", "noscript", "textarea", "title", "xmp"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(_URL_SCHEMES),
        filter_style_properties=set(ALLOWED_STYLES),
        strip_comments=True,
    )
    return neutralise_bidi(cleaned)
