"""One chapter as one page: ``crmlib run`` runs a chapter (:func:`run_chapter`) and renders it (:func:`render_html`).

The page is a single self-contained HTML file that loads nothing when it is read: figures are embedded, formulas
are MathML made when the page is written (:mod:`crmlib.course._math`, as on the course site), and the page has no
script at all (nbconvert's template would load require.js, MathJax and mermaid from a CDN, and the widget
manager; widgets are replaced by their saved figure instead). Outputs computed from a user's file are sanitized
as on the course site (:func:`crmlib.course.clean_html`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmlib.course._chapters import ChapterError, find_chapter, notebook_parameters
from crmlib.course._execute import execute_chapters

__all__ = ["PAGE_TEMPLATE", "render_html", "run_chapter"]

#: nbconvert's JupyterLab template without anything that runs or loads from the network.
PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
.crm-math-block { display: block; overflow-x: auto; margin: 1em 0; }
.crm-math-block .eqno { float: right; }
.crm-math-error { color: #a11; }
</style>
{%- endblock extra_css -%}
{%- block data_javascript scoped -%}{%- endblock data_javascript -%}
{%- block data_widget_view scoped -%}{%- endblock data_widget_view -%}
{%- block footer -%}
</html>
{%- endblock footer -%}
"""
_JAVASCRIPT = ("application/javascript", "text/javascript")


def _exporter(problems: list[str]):
    """Nbconvert's HTML exporter with the template above and formulas as MathML."""
    from jinja2 import DictLoader, pass_context
    from nbconvert import HTMLExporter

    from crmlib.course._math import markdown_html

    class PageExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            return markdown_html(
                source,
                problems=problems,
                attachments=cell.get("attachments", {}),
                embed_images=self.embed_images,
                path=path,
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options,
            )

    exporter = PageExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"crmlib_page.html.j2": PAGE_TEMPLATE})],
        template_file="crmlib_page.html.j2",
    )
    exporter.embed_images = True
    return exporter


def _title(nb, default: str) -> str:
    """The first Markdown heading of the notebook (the chapter's title), for the page's title."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in "".join(cell.source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def render_html(
    notebook: Path | str, html: Path | str | None = None, *, sanitize: bool = True, notes: list[str] | None = None
) -> Path:
    r"""Render an executed notebook as a self-contained HTML page that fetches nothing when it is read.

    Parameters
    ----------
    notebook : path of the executed notebook.
    html : path of the page (default: the notebook's path with ``.html``).
    sanitize : make the page safe for outputs computed from a user's file: HTML and Markdown outputs go through
        :func:`crmlib.course.clean_html` (no script, event handler, style sheet or remote image survives),
        bidirectional controls are made visible, widgets are replaced by their saved figure (see
        :func:`crmlib.course.prepare_notebook`), JavaScript outputs are left out, and cells tagged
        ``remove-cell``, ``remove-input`` or ``remove-output`` (and the tests' key-number cells) are left out.
    notes : receives one line per formula that could not be converted (it is shown as its TeX).

    Returns
    -------
    Path of the page. Formulas (``$...$``, ``$$...$$``, ``\begin{...}``) are MathML, as on the course site;
    the page has no script and loads nothing from the network.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crmlib.course import find_chapter
    >>> page = render_html(find_chapter("01").path, pathlib.Path(tempfile.mkdtemp()) / "01.html")
    >>> text = page.read_text(encoding="utf-8")
    >>> "<script" in text, "<math" in text, "mathjax" in text.lower()
    (False, True, False)
    """
    import nbformat
    from nbconvert.preprocessors import TagRemovePreprocessor

    notebook = Path(notebook)
    html = Path(html) if html is not None else notebook.with_suffix(".html")
    nb = nbformat.read(notebook, as_version=4)
    problems: list[str] = [] if notes is None else notes
    exporter = _exporter(problems)
    if sanitize:
        from crmlib.course._math import markdown_html
        from crmlib.course._sanitize import clean_html
        from crmlib.course._site import prepare_notebook

        nb = prepare_notebook(nb, where=notebook.name)
        for cell in nb.cells:
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                data = output.get("data", {})
                for mime in _JAVASCRIPT:
                    data.pop(mime, None)
                if "text/markdown" in data:  # rendered here, so that its links and images are cleaned too
                    markdown = "".join(data.pop("text/markdown"))
                    data.setdefault("text/html", markdown_html(markdown, sanitize=clean_html, problems=problems))
                elif "text/html" in data:
                    data["text/html"] = clean_html("".join(data["text/html"]))
        exporter.register_preprocessor(
            TagRemovePreprocessor(
                remove_cell_tags={"remove-cell"},
                remove_input_tags={"remove-input"},
                remove_all_outputs_tags={"remove-output"},
            ),
            enabled=True,
        )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": _title(nb, notebook.stem)}})
    tmp = html.with_name(html.name + ".partial")
    try:
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(html)
    finally:
        tmp.unlink(missing_ok=True)
    return html


def run_chapter(
    key: str | int,
    *,
    data: Path | str | None = None,
    parameters: dict[str, Any] | None = None,
    out: Path | str = "build",
    html: bool = True,
    kernel_name: str = "python3",
    timeout: int = 1800,
    notes: list[str] | None = None,
) -> Path:
    """Execute one chapter with parameters into ``out`` and (by default) render its page.

    Parameters
    ----------
    key : chapter number or name, see :func:`crmlib.course.find_chapter`.
    data : path of a transaction file for the chapter's ``data_path`` parameter (None: bundled data).
    parameters : other values for the chapter's ``parameters`` cell (names it does not have are refused).
    out : folder for ``NN_name.ipynb`` and ``NN_name.html`` (created if missing).
    html : also write the page (:func:`render_html`).
    kernel_name, timeout : the kernel, and the seconds one cell may run.
    notes : receives one line per formula of the page that could not be converted.

    Returns
    -------
    Path of the executed notebook. A failing cell raises :class:`ChapterError` with the cell's error in one
    line (and its exception's name and message as ``ename`` and ``evalue``); the partly executed notebook is
    kept beside as ``NN_name.failed.ipynb``. The chapter runs through :func:`crmlib.course.execute_chapters`,
    like ``crmlib course``: its kernel writes nothing to the terminal, and Ctrl-C stops it.

    Examples
    --------
    A chapter on a user's file, with the reader's options as one parameter (a kernel runs the chapter: not run
    as a doctest; ``tests/test_cli_process.py`` does it)::

    >>> run_chapter("04", data="sales.csv", parameters={"read_options": {"customer": "Client"}})  # doctest: +SKIP
    PosixPath('build/04_clv_npv.ipynb')
    """
    chapter = find_chapter(key)
    params = dict(parameters or {})
    if data is not None:
        data_path = Path(data).expanduser()
        if not data_path.exists():
            raise ChapterError(f"The data file {str(data_path)!r} does not exist.")
        params["data_path"] = str(data_path.resolve())
    known = notebook_parameters(chapter.path)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ChapterError(
            f"Chapter {chapter.stem} has no parameter {', '.join(map(repr, unknown))}. "
            f"Its parameters are: {', '.join(known)}."
        )
    out = Path(out)
    (run,) = execute_chapters(
        [chapter], out=out, parameters={chapter.stem: params}, workers=1, timeout=timeout, kernel_name=kernel_name
    )
    if not run.ok or run.notebook is None:
        raise ChapterError(
            run.error or f"Chapter {chapter.stem} stopped.", ename=run.error_name, evalue=run.error_value
        )
    if html:
        render_html(run.notebook, out / f"{chapter.stem}.html", notes=notes)
    return run.notebook
