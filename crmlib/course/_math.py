r"""Formulas as MathML, made when a page is built: no MathJax, no script, no font fetched when the page is read.

Both kinds of page the kit writes from a chapter use it: the course site (:mod:`crmlib.course.sphinxext`) and the
single page of ``crmlib run`` (:func:`crmlib.course.render_html`). :func:`tex_to_mathml` converts one formula with
latex2mathml (from the ``course`` extra), rewriting the few commands it lacks into ones it knows, and passes the
result through an allow-list of MathML elements and attributes (latex2mathml copies the text of ``\text{...}``
as it is, markup included). :func:`markdown_html` renders Markdown with its ``$...$``, ``$$...$$`` and
``\begin{...}`` formulas as MathML, optionally sanitizing the rest of the HTML while the formulas are held aside.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from typing import Any

__all__ = ["MATHML_ATTRIBUTES", "MATHML_TAGS", "MathError", "formula_html", "markdown_html", "tex_to_mathml"]

_TAG = re.compile(r"\\tag\*?\{([^{}]*)\}")
#: TeX that latex2mathml does not know, rewritten into TeX it does (same meaning).
_REWRITES = [
    (re.compile(r"\\arg\s*\\max"), r"\\mathop{\\mathrm{arg\\,max}}"),
    (re.compile(r"\\arg\s*\\min"), r"\\mathop{\\mathrm{arg\\,min}}"),
    (re.compile(r"\\argmax\b"), r"\\mathop{\\mathrm{arg\\,max}}"),
    (re.compile(r"\\argmin\b"), r"\\mathop{\\mathrm{arg\\,min}}"),
    (re.compile(r"\\arg\b"), r"\\mathrm{arg}"),
    (re.compile(r"\\nonumber\b|\\notag\b"), ""),
]
_LEFTOVER = re.compile(r"\\[A-Za-z]+")

#: The MathML elements a formula may produce (presentation MathML).
MATHML_TAGS = frozenset(
    {
        "math", "maction", "maligngroup", "malignmark", "menclose", "merror", "mfenced", "mfrac", "mi",
        "mlabeledtr", "mmultiscripts", "mn", "mo", "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow",
        "ms", "mspace", "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder",
        "munderover", "none", "semantics", "annotation",
    }
)  # fmt: skip
#: Their attributes: layout only (no link, no style, no event handler).
MATHML_ATTRIBUTES = frozenset(
    {
        "xmlns", "display", "mathvariant", "mathsize", "mathcolor", "mathbackground", "stretchy", "fence",
        "separator", "separators", "open", "close", "lspace", "rspace", "symmetric", "minsize", "maxsize",
        "largeop", "movablelimits", "accent", "accentunder", "form", "linethickness", "numalign", "denomalign",
        "bevelled", "notation", "columnalign", "columnlines", "columnspacing", "columnspan", "rowalign", "rowlines",
        "rowspacing", "rowspan", "frame", "displaystyle", "scriptlevel", "width", "height", "depth", "voffset",
        "linebreak", "encoding",
    }
)  # fmt: skip


class MathError(ValueError):
    """A formula latex2mathml cannot convert."""


def _clean_mathml(mathml: str) -> str:
    import nh3

    return nh3.clean(
        mathml,
        tags=set(MATHML_TAGS),
        attributes={"*": set(MATHML_ATTRIBUTES)},
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )


def tex_to_mathml(tex: str, *, display: bool) -> tuple[str, str | None]:
    r"""MathML for a TeX formula, and the ``\tag`` it carried (None if none).

    Parameters
    ----------
    tex : str
        The formula without its delimiters (``x = \frac{a}{b}``).
    display : bool
        A display formula (a block of its own) rather than one inside a sentence.

    Returns
    -------
    tuple of (str, str or None)
        The ``<math>`` element, and the text of its ``\tag{...}``.

    Raises
    ------
    MathError
        latex2mathml cannot read the formula, or leaves a command it does not know.

    Examples
    --------
    >>> html, tag = tex_to_mathml(r"x = \frac{a}{b} \tag{2}", display=True)
    >>> tag, html.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    ('2', True)
    >>> "script" in tex_to_mathml(r"\text{<script>alert(1)</script>}", display=False)[0]
    False
    """
    from latex2mathml.converter import convert

    tags = _TAG.findall(tex)
    body = _TAG.sub("", tex)
    for pattern, replacement in _REWRITES:
        body = pattern.sub(replacement, body)
    try:
        mathml = convert(body.strip(), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own exception types (and sometimes IndexError)
        raise MathError(f"{type(exc).__name__}: {exc}") from None
    text = re.sub(r"<[^>]+>", "", mathml)
    unknown = sorted(set(_LEFTOVER.findall(text)))
    if unknown:
        raise MathError(f"unknown command {', '.join(unknown)}")
    return _clean_mathml(mathml), (tags[0] if tags else None)


def formula_html(tex: str, *, display: bool, problems: list[str] | None = None) -> str:
    r"""A formula as HTML: its MathML (a display formula in a ``div`` with its ``\tag`` at the right).

    A formula that cannot be converted is shown as its TeX in a ``code`` element, and named in ``problems``.

    Parameters
    ----------
    tex : str
        The formula without its delimiters.
    display : bool
        A display formula (a block of its own, with its ``\tag``) rather than one inside a sentence.
    problems : list, optional
        Receives one line per formula that could not be converted.

    Returns
    -------
    str

    Examples
    --------
    >>> formula_html(r"m\,r", display=False).startswith('<span class="math"><math')
    True
    >>> problems = []
    >>> formula_html(r"\foo", display=True, problems=problems)
    '<code class="crm-math-error">\\foo</code>'
    >>> problems
    ['formula not converted to MathML (unknown command \\foo): \\foo']
    """
    try:
        mathml, tag = tex_to_mathml(tex, display=display)
    except MathError as exc:
        if problems is not None:
            problems.append(f"formula not converted to MathML ({exc}): {tex.strip()[:80]}")
        return f'<code class="crm-math-error">{html.escape(tex)}</code>'
    if not display:
        return f'<span class="math">{mathml}</span>'
    number = f'<span class="eqno">({html.escape(tag)})</span>' if tag else ""
    return f'<span class="math crm-math-block">{mathml}{number}</span>'


def _renderer_class(base: type) -> type:
    """Nbconvert's Markdown renderer (``base``) with formulas written by :func:`formula_html`."""

    class MathMLRenderer(base):
        def __init__(self, *args: Any, formula: Callable[[str, bool], str], **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._formula = formula

        def block_math(self, body: str) -> str:
            return self._formula(body, True)

        def multiline_math(self, text: str) -> str:  # mistune 2 only
            return text

        def latex_environment(self, name: str, body: str) -> str:
            return self._formula(f"\\begin{{{name}}}{body}\\end{{{name}}}", True)

        def inline_math(self, body: str) -> str:
            return self._formula(body, False)

    return MathMLRenderer


def markdown_html(
    source: str,
    *,
    sanitize: Callable[[str], str] | None = None,
    problems: list[str] | None = None,
    **renderer_options: Any,
) -> str:
    r"""Markdown as HTML with its formulas as MathML (nbconvert's Markdown reader: ``$``, ``$$``, ``\begin``).

    Parameters
    ----------
    source : str
        The Markdown.
    sanitize : callable, optional
        Applied to the HTML while the formulas are held aside (replaced by tokens), then the formulas are put back:
        an HTML sanitizer (:func:`crmlib.course.clean_html`) would otherwise drop their MathML.
    problems : list, optional
        Receives one line per formula that could not be converted.
    **renderer_options
        Options of nbconvert's ``IPythonRenderer`` (``attachments``, ``embed_images``, ``path``, ...).

    Returns
    -------
    str

    Examples
    --------
    >>> markdown_html("Margin $m$ per year.").startswith('<p>Margin <span class="math"><math')
    True
    """
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    held: dict[str, tuple[str, str]] = {}
    prefix = "crmlibformula" + secrets.token_hex(8)

    def formula(tex: str, display: bool) -> str:
        rendered = formula_html(tex, display=display, problems=problems)
        if sanitize is None:
            return rendered
        token = f"{prefix}x{len(held)}x"
        held[token] = (rendered, html.escape(tex))
        return token

    renderer_options.setdefault("escape", False)
    renderer = _renderer_class(IPythonRenderer)(formula=formula, **renderer_options)
    page = MarkdownWithMath(renderer=renderer).render(source)
    if sanitize is None:
        return page
    page = sanitize(page)
    if not held:
        return page
    marker = re.compile(f"{prefix}x\\d+x")

    def in_text(match: re.Match[str]) -> str:
        return held[match.group(0)][0] if match.group(0) in held else ""

    def in_markup(match: re.Match[str]) -> str:  # an alt text or a title: the TeX as text
        return held[match.group(0)][1] if match.group(0) in held else ""

    parts = re.split(r"(<[^>]*>)", page)  # text and markup alternate
    return "".join(marker.sub(in_markup if i % 2 else in_text, part) for i, part in enumerate(parts))
