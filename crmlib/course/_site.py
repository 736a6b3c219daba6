"""The course site: the executed chapters, the glossary and the exercises as one static, offline book.

:func:`build_site` lays out a Sphinx project in a temporary folder and builds it with myst-nb and the
sphinx-book-theme (from the ``course`` extra: ``pip install "crmlib[course]"``) into the output folder::

    DIR/index.html                       the front page: the course map
    DIR/notebooks/NN_name.html           one page per chapter (the chapter's file stem)
    DIR/notebooks/NN_name.ipynb          the executed chapter, to download
    DIR/notebooks/glossary.html          every term of the course, with the chapter that teaches it
    DIR/exercises/index.html             how the exercises work, and one page per exercise notebook
    DIR/search.html                      full-text search (works from file:// and from any web server)

The layout mirrors the kit's folders, so a link written in a chapter for JupyterLab is the link of the site:
``[chapter 05](05_probabilistic_clv.ipynb)``, ``[the exercises](../exercises/05_probabilistic_clv.ipynb)``
and ``[customer equity](glossary.md#customer-equity)`` all resolve to pages. Nothing is fetched at build or
read time: the theme's assets are copied in, math is MathML, widgets are replaced by their saved figure.

How the pages treat cells (cell tags, set in JupyterLab's property inspector):

- ``remove-cell``, ``remove-input``, ``remove-output``: left out of the page (myst-nb);
- ``hide-input``, ``hide-output``, ``hide-cell``: folded behind a "Show" toggle (myst-nb);
- ``nbval-check-output`` (nbval's own tag for cells whose output the tests compare), and any code cell
  with nbval's comment marker ``# NBVAL_CHECK_OUTPUT``: key numbers for the tests, left out of the page;
- ``parameters`` and papermill's ``injected-parameters``: folded (the code is shown on demand).

Widgets: the page shows what the widget showed when the chapter ran (its figure, its result text and the
values of its controls, read from the widget state saved in the notebook) with a note to open the chapter in
JupyterLab to move the controls.
"""

from __future__ import annotations

import copy
import html
import io
import re
import shutil
import tempfile
import time
import warnings as warnings_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmlib.course._chapters import Chapter, ChapterError, chapters, notebooks_dir
from crmlib.course._execute import ChapterRun, available_cores, execute_chapters
from crmlib.course._sanitize import neutralise_bidi

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "CHECK_TAG",
    "SITE_MARK",
    "CourseResult",
    "SiteError",
    "SiteResult",
    "build_site",
    "prepare_notebook",
    "run_course",
    "widget_snapshot",
]

#: Written into the head of every page of the site; ``crmlib course`` replaces an ``index.html`` only if it
#: carries this mark (a page the user wrote is never replaced).
SITE_MARK = '<meta name="generator" content="crmlib course site">'
#: The tag of key-number cells, which the tests check (nbval) and the site leaves out.
CHECK_TAG = "nbval-check-output"
_CHECK_COMMENT = "NBVAL_CHECK_OUTPUT"
_FOLDED_TAGS = ("parameters", "injected-parameters")
_REMOVE_TAGS = {"remove-cell", "remove-input"}
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_MODEL = re.compile(r"^IPY_MODEL_([0-9a-f]+)$")
_CONTROL_MODELS = (
    "SliderModel", "RangeSliderModel", "TextModel", "DropdownModel", "CheckboxModel", "ToggleButtonsModel",
    "RadioButtonsModel", "SelectModel", "ToggleButtonModel", "BoundedFloatTextModel", "BoundedIntTextModel",
    "FloatTextModel", "IntTextModel", "DatePickerModel", "SelectionSliderModel", "SelectionRangeSliderModel",
)


class SiteError(ChapterError):
    """The site cannot be built (the ``course`` extra is missing, or Sphinx failed); the message says why."""


@dataclass(frozen=True)
class SiteResult:
    """What :func:`build_site` wrote: the front page, the pages, every file, and the builder's warnings."""

    index: Path
    pages: list[Path]
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class CourseResult:
    """What :func:`run_course` did: the chapters' runs, the front page, the warnings, every file written.

    ``index`` is None without a site; ``written`` is for the output folder's manifest.
    """

    runs: list[ChapterRun]
    index: Path | None
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


# --------------------------------------------------------------------------- notebooks as pages


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _widget_state(nb) -> dict[str, Any]:
    return nb.get("metadata", {}).get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})


def widget_snapshot(model_id: str, state: dict[str, Any]) -> str | None:
    """Static HTML of a widget from the state saved in its notebook: controls' values, texts, images.

    Walks the widget's children in order. Controls (sliders, dropdowns, check boxes, text fields) become a
    line ``description: value``; HTML and Label widgets their text; Image widgets their picture (inline PNG);
    Output widgets their saved images, HTML and text. Returns None when nothing visible was saved.

    >>> state = {"a" * 32: {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_" + "b" * 32]}},
    ...          "b" * 32: {"model_name": "IntSliderModel", "state": {"description": "months", "value": 12}}}
    >>> widget_snapshot("a" * 32, state)
    '<div class="crm-widget-static"><ul class="crm-widget-controls"><li>months: 12</li></ul></div>'
    """
    controls: list[str] = []
    body: list[str] = []
    seen: set[str] = set()

    def visit(mid: str) -> None:
        if mid in seen or mid not in state:
            return
        seen.add(mid)
        model = state[mid]
        name = model.get("model_name", "")
        values = model.get("state", {})
        if name.endswith(_CONTROL_MODELS):
            label = values.get("description") or name.removesuffix("Model")
            value = values.get("value")
            if name in ("DropdownModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectModel") or (
                name.startswith("Selection")
            ):
                labels = values.get("_options_labels") or []
                index = values.get("index")
                if isinstance(index, int) and 0 <= index < len(labels):
                    value = labels[index]
                elif isinstance(index, list):
                    value = ", ".join(str(labels[i]) for i in index if 0 <= i < len(labels))
            if isinstance(value, float):
                value = f"{value:g}"
            controls.append(f"<li>{html.escape(str(label))}: {html.escape(str(value))}</li>")
        elif name in ("HTMLModel", "HTMLMathModel"):
            if _text(values.get("value")).strip():
                body.append(f'<div class="crm-widget-html">{_text(values.get("value"))}</div>')
        elif name == "LabelModel":
            if _text(values.get("value")).strip():
                body.append(f"<p>{html.escape(_text(values.get('value')))}</p>")
        elif name == "ImageModel":
            fmt = values.get("format", "png")
            for buffer in model.get("buffers", []):
                if buffer.get("path") == ["value"] and buffer.get("data") and fmt in ("png", "jpeg", "gif"):
                    data = buffer["data"] if buffer.get("encoding") == "base64" else ""
                    if data:
                        body.append(f'<img class="crm-widget-image" src="data:image/{fmt};base64,{data}" alt="figure">')
        elif name == "OutputModel":
            for output in values.get("outputs", []):
                data = output.get("data", {})
                if "image/png" in data:
                    body.append(f'<img src="data:image/png;base64,{_text(data["image/png"]).strip()}" alt="figure">')
                elif "text/html" in data:
                    body.append(_text(data["text/html"]))
                elif "text/plain" in data or output.get("output_type") == "stream":
                    body.append(f"<pre>{html.escape(_text(data.get('text/plain', output.get('text'))))}</pre>")
        for key in ("children",):
            for child in values.get(key, []) or []:
                match = _MODEL.match(str(child))
                if match:
                    visit(match.group(1))

    visit(model_id)
    if not controls and not body:
        return None
    parts = ['<div class="crm-widget-static">']
    if controls:
        parts.append('<ul class="crm-widget-controls">' + "".join(controls) + "</ul>")
    parts += body
    parts.append("</div>")
    return "".join(parts)


def _widget_note(where: str) -> str:
    return (
        '<p class="crm-widget-note">An interactive explorer: shown here as it was when the page was built. '
        f"Open <code>{html.escape(where)}</code> in JupyterLab and run it to move the controls.</p>"
    )


def _static_widget_output(output, state: dict[str, Any], where: str):
    """The output with its widget view replaced by something a static page can show."""
    import nbformat

    data = dict(output.get("data", {}))
    view = data.pop(_WIDGET_VIEW, None) or {}
    note = _widget_note(where)
    if "image/png" in data and "text/html" not in data:  # the widget gave its own static figure
        return [nbformat.v4.new_output("display_data", data=data),
                nbformat.v4.new_output("display_data", data={"text/html": note})]
    if "text/html" in data:
        static = _text(data["text/html"])
    else:
        static = widget_snapshot(str(view.get("model_id", "")), state) or ""
    return [nbformat.v4.new_output("display_data", data={"text/html": static + note})]


def _neutralise_output(output) -> None:
    """Bidirectional controls in every text an output holds become visible (see neutralise_bidi)."""
    if "text" in output:
        output["text"] = neutralise_bidi(_text(output["text"]))
    for key in ("ename", "evalue"):
        if key in output:
            output[key] = neutralise_bidi(str(output[key]))
    if "traceback" in output:
        output["traceback"] = [neutralise_bidi(line) for line in output["traceback"]]
    for mime, value in list(output.get("data", {}).items()):
        if mime.startswith("text/") and isinstance(value, (str, list)):
            output["data"][mime] = neutralise_bidi(_text(value))


def prepare_notebook(nb: NotebookNode, *, where: str, note: str | None = None) -> NotebookNode:
    """A copy of a notebook made ready to be a page (see the module docstring for the rules).

    Parameters
    ----------
    nb : an nbformat notebook (not changed).
    where : the notebook's path as a reader would open it (``notebooks/05_probabilistic_clv.ipynb``), for
        the notes beside widgets.
    note : Markdown put right after the first cell (the title), or None.

    Examples
    --------
    >>> import nbformat
    >>> check = nbformat.v4.new_code_cell("print(round(0.1234, 2))", metadata={"tags": [CHECK_TAG]})
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · Demo"), check])
    >>> page = prepare_notebook(nb, where="notebooks/01_demo.ipynb", note="Ran on the bundled data.")
    >>> [(cell.cell_type, cell.metadata.get("tags", [])) for cell in page.cells]
    [('markdown', []), ('markdown', []), ('code', ['nbval-check-output', 'remove-cell'])]
    >>> nb.cells[1].metadata["tags"]  # the notebook given is not changed
    ['nbval-check-output']
    """
    import nbformat

    page = copy.deepcopy(nb)
    state = _widget_state(page)
    for cell in page.cells:
        cell.source = neutralise_bidi(_text(cell.source))
        tags = list(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "code":
            lines = [line.strip() for line in cell.source.splitlines()]
            comments = [line.lstrip("#").strip() for line in lines if line.startswith("#")]
            if CHECK_TAG in tags or _CHECK_COMMENT in comments:  # nbval's tag, or its comment marker (any line)
                tags.append("remove-cell")
            if any(t in tags for t in _FOLDED_TAGS) and not _REMOVE_TAGS & set(tags):
                tags.append("hide-input")
            outputs = []
            for output in cell.get("outputs", []):
                if _WIDGET_VIEW in output.get("data", {}):
                    outputs += _static_widget_output(output, state, where)
                else:
                    outputs.append(output)
            for output in outputs:
                _neutralise_output(output)
            cell.outputs = outputs
        if tags:
            cell.setdefault("metadata", {})["tags"] = list(dict.fromkeys(tags))
    page.metadata.pop("widgets", None)
    if note:
        page.cells.insert(1 if page.cells else 0, nbformat.v4.new_markdown_cell(note))
    for i, cell in enumerate(page.cells):  # ids must be unique and valid after the insert
        cell["id"] = f"cell-{i}"
    return page


def _note(text: str, stem: str, label: str) -> str:
    """A note as one HTML block (a Markdown cell holding only it), so that its link survives as a whole."""
    return (
        f'<div class="crm-run-note"><p>{text} <a class="crm-download" href="{html.escape(stem)}.ipynb">{label}</a>.'
        "</p></div>"
    )


def _chapter_note(chapter: Chapter, data_note: str) -> str:
    stem = html.escape(chapter.stem)
    return _note(
        f"<strong>Run it yourself.</strong> {html.escape(data_note)} To change its parameters or move its sliders, "
        f"open <code>notebooks/{stem}.ipynb</code> in JupyterLab (<code>make lab</code> in the kit's folder).",
        chapter.stem, "Download the executed notebook",
    )


def _exercise_note(stem: str) -> str:
    return _note(
        "<strong>Do it in JupyterLab.</strong> This page shows the questions. Open "
        f"<code>exercises/{html.escape(stem)}.ipynb</code>, run the cells from the top and answer where a cell says "
        "<code># YOUR CODE HERE</code>: each check cell says what is right, or gives a hint.",
        stem, "Download the exercise notebook",
    )


# --------------------------------------------------------------------------- the Sphinx project


def _templates() -> Path:
    from crmlib.resources import kit_folder

    return kit_folder("templates") / "site"


def _first_goal(nb) -> str:
    """A one-line summary of a chapter: ``metadata.crmlib.summary``, else its first learning goal."""
    summary = nb.get("metadata", {}).get("crmlib", {}).get("summary")
    if summary:
        return " ".join(str(summary).split())
    for cell in nb.cells[:4]:
        if cell.cell_type != "markdown":
            continue
        text = _text(cell.source)
        if "learning goals" in text.lower():
            after = text.lower().index("learning goals")
            goal: list[str] = []
            for line in text[after:].splitlines():
                stripped = line.strip()
                if stripped.startswith(("- ", "* ")):
                    if goal:
                        break
                    goal.append(stripped[2:])
                elif goal and stripped and line.startswith(" "):  # the bullet goes on over several lines
                    goal.append(stripped)
                elif goal:
                    break
            if goal:
                return " ".join(goal)
    return ""


def _table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


#: A Markdown link's target, ``[text](target)``.
_MD_TARGET = re.compile(r"(\]\()([^)\s]+)(\))")


def _from_front_page(summary: str, stem: str) -> str:
    """A chapter's summary, written beside the chapters, with its relative links made to work from the front page.

    >>> _from_front_page("[term](glossary.md#clv), [05](05_clv.ipynb), [here](#goals), [w](https://x.org)", "04_a")
    '[term](notebooks/glossary.md#clv), [05](notebooks/05_clv.ipynb), [here](notebooks/04_a.ipynb#goals), [w](https://x.org)'
    """

    def rebase(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^/", target):  # a scheme (https:, mailto:) or an absolute path
            return match.group(0)
        target = f"{stem}.ipynb{target}" if target.startswith("#") else target
        return f"{match.group(1)}notebooks/{target}{match.group(3)}"

    return _MD_TARGET.sub(rebase, summary)


def _front_page(entries: list[tuple[Chapter, str]], *, glossary: bool, exercises: list[str]) -> str:
    template = (_templates() / "index.md").read_text(encoding="utf-8")
    rows = "\n".join(
        f"| {{doc}}`notebooks/{c.stem}` | {_table_cell(_from_front_page(summary, c.stem))} |" for c, summary in entries
    )
    toc = ["```{toctree}", ":hidden:", ":caption: Chapters", ""] + [f"notebooks/{c.stem}" for c, _ in entries] + ["```"]
    more = (["notebooks/glossary"] if glossary else []) + (["exercises/index"] if exercises else [])
    if more:
        toc += ["", "```{toctree}", ":hidden:", ":caption: Reference", ""] + more + ["```"]
    links = []
    if glossary:
        links.append("- {doc}`notebooks/glossary`: every term of the course, with the chapter that teaches it.")
    if exercises:
        links.append("- {doc}`exercises/index`: one notebook per chapter, with check cells that give feedback.")
    return (
        template.replace("{{ chapter_rows }}", rows)
        .replace("{{ reference_links }}", "\n".join(links))
        .replace("{{ toctrees }}", "\n".join(toc))
    )


def _exercises_page(stems: list[str]) -> str:
    template = (_templates() / "exercises.md").read_text(encoding="utf-8")
    toc = "\n".join(["```{toctree}", ":maxdepth: 1", ""] + stems + ["```"])
    return template.replace("{{ toctree }}", toc)


def _config(templates: Path, workers: int) -> dict[str, Any]:
    return {
        "project": "CRM analytics course",
        "author": "The crmlib course team",
        "copyright": "the crmlib course team (MIT licence)",
        "language": "en",
        "extensions": ["myst_nb", "crmlib.course.sphinxext"],
        "html_theme": "sphinx_book_theme",
        "html_title": "CRM analytics course",
        "html_theme_options": {
            "home_page_in_toc": True,
            "show_navbar_depth": 1,
            "show_toc_level": 2,
            "use_download_button": False,
            "use_fullscreen_button": False,
            "use_repository_button": False,
            "use_source_button": False,
            "use_issues_button": False,
            "use_edit_page_button": False,
            "navigation_with_keys": False,
            "search_bar_text": "Search the course...",
        },
        "html_static_path": [str(templates / "_static")],
        "html_css_files": ["course.css"],
        "templates_path": [str(templates / "_templates")],
        "html_copy_source": False,
        "html_show_sourcelink": False,
        "html_show_search_summary": False,  # summaries fetch() each page, which browsers refuse from file://
        "html_use_index": False,
        "html_domain_indices": False,
        "html_last_updated_fmt": None,
        "html_math_renderer": "mathml",
        "nb_execution_mode": "off",
        "nb_ipywidgets_js": {},  # widgets are replaced by their saved figure: no widget script from a CDN
        "nb_merge_streams": True,
        # Markdown that a cell displays (prose built from computed numbers) is read as MyST, like the Markdown
        # cells, so its $...$ becomes MathML too (commonmark, the default, would leave it as raw TeX).
        "nb_render_markdown_format": "myst",
        "myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence", "deflist"],
        "myst_heading_anchors": 3,
        "myst_dmath_allow_digits": False,
        # app.add_*: Sphinx registers its nodes, directives and roles once per process; a second site built in
        # one process (a notebook, a test run) would otherwise report each as a warning
        "suppress_warnings": [
            "myst.header", "mystnb.unknown_mime_type", "app.add_node", "app.add_directive", "app.add_role",
        ],
        "exclude_patterns": [],
    }


def _clean_warning(line: str, src: Path) -> str:
    line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
    line = line.replace(str(src) + "/", "").replace(str(src), "")
    return re.sub(r"(\.ipynb|\.md):\d+:", r"\1:", line)


def build_site(
    out: Path | str,
    notebooks: Sequence[Path | str] | None = None,
    *,
    exercises: bool = True,
    data_note: str | None = None,
    workers: int | None = None,
) -> SiteResult:
    """Build the course site into ``out`` from executed chapters (default: the stored ones).

    Parameters
    ----------
    out : the site's folder (created if missing); ``out/index.html`` is the front page.
    notebooks : executed chapter notebooks (``NN_name.ipynb``), in course order; default: the chapters stored in
        the kit, executed on the bundled data. The glossary (``glossary.md`` beside the stored chapters) and
        the exercise notebooks of these chapters are added.
    exercises : add the exercise notebooks as pages.
    data_note : one sentence on the data the chapters ran on (shown at the top of each chapter's page).
    workers : processes for Sphinx (default: the available cores).

    Returns
    -------
    SiteResult
        The front page, every page written, and the builder's warnings (links to pages that do not exist,
        formulas that could not be converted), each one line.

    Raises
    ------
    SiteError
        If the ``course`` extra is not installed, or Sphinx fails.

    Examples
    --------
    A site of one tiny executed chapter (the stored glossary comes with it):

    >>> import tempfile, nbformat
    >>> folder = Path(tempfile.mkdtemp())
    >>> result_cell = nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)
    >>> cells = [nbformat.v4.new_markdown_cell("# 01 · Demo"),
    ...          nbformat.v4.new_code_cell("1 + 1", execution_count=1, outputs=[result_cell])]
    >>> nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "01_demo.ipynb")
    >>> site = build_site(folder / "site", [folder / "01_demo.ipynb"], exercises=False, workers=1)
    >>> [page.relative_to(folder / "site").as_posix() for page in site.pages]
    ['index.html', 'notebooks/01_demo.html', 'notebooks/glossary.html', 'search.html']
    >>> SITE_MARK in site.index.read_text(encoding="utf-8")
    True
    """
    try:
        import myst_nb  # noqa: F401
        import nbformat
        import sphinx_book_theme  # noqa: F401
        from sphinx.application import Sphinx
    except ImportError as exc:
        raise SiteError(
            f"The course site needs the 'course' extra ({exc.name} is missing): "
            "pip install 'crmlib[course]', or run 'make course'."
        ) from None

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time() - 1
    stored = notebooks_dir()
    if notebooks is None:
        notebooks = [c.path for c in chapters()]
    paths = [Path(p) for p in notebooks]
    data_note = data_note or "This page shows the chapter as it ran on the kit's bundled (simulated) data."
    templates = _templates()
    workers = max(1, workers or available_cores())
    warnings: list[str] = []

    with tempfile.TemporaryDirectory(prefix="crmlib-site-") as tmp:
        src = Path(tmp) / "src"
        (src / "notebooks").mkdir(parents=True)
        entries = []
        for path in paths:
            chapter = Chapter(path.stem[:2], path.stem[3:], path)
            nb = nbformat.read(path, as_version=4)
            page = prepare_notebook(nb, where=f"notebooks/{path.name}", note=_chapter_note(chapter, data_note))
            nbformat.write(page, src / "notebooks" / path.name)
            entries.append((chapter, _first_goal(nb)))
        glossary = stored / "glossary.md"
        has_glossary = glossary.is_file()
        if has_glossary:
            shutil.copyfile(glossary, src / "notebooks" / "glossary.md")
        exercise_stems: list[str] = []
        if exercises:
            from crmlib.resources import kit_folder

            folder = kit_folder("exercises")
            for chapter, _ in entries:
                source = folder / f"{chapter.stem}.ipynb"
                if source.is_file():
                    (src / "exercises").mkdir(exist_ok=True)
                    nb = nbformat.read(source, as_version=4)
                    page = prepare_notebook(nb, where=f"exercises/{source.name}", note=_exercise_note(chapter.stem))
                    nbformat.write(page, src / "exercises" / source.name)
                    exercise_stems.append(chapter.stem)
            if exercise_stems:
                (src / "exercises" / "index.md").write_text(_exercises_page(exercise_stems), encoding="utf-8")
        (src / "index.md").write_text(
            _front_page(entries, glossary=has_glossary, exercises=exercise_stems), encoding="utf-8"
        )

        status, warning = io.StringIO(), io.StringIO()
        try:
            with warnings_module.catch_warnings():  # the theme's and myst's notices about Sphinx's future API
                warnings_module.simplefilter("ignore", DeprecationWarning)
                warnings_module.simplefilter("ignore", PendingDeprecationWarning)
                app = Sphinx(
                    str(src), None, str(out), str(Path(tmp) / "doctrees"), "html",
                    confoverrides=_config(templates, workers), status=status, warning=warning,
                    freshenv=True, parallel=workers if workers > 1 else 0, keep_going=True,
                )
                app.build()
        except Exception as exc:  # Sphinx's own errors carry the page and the reason
            raise SiteError(f"The course site could not be built: {type(exc).__name__}: {exc}") from None
        warnings += [_clean_warning(w, src) for w in warning.getvalue().splitlines() if "WARNING" in w or "ERROR" in w]

    # The notebooks to download, beside their pages.
    for path in paths:
        target = out / "notebooks" / path.name
        if path.resolve() != target.resolve():
            shutil.copyfile(path, target)
    if exercise_stems:
        from crmlib.resources import kit_folder

        for stem in exercise_stems:
            shutil.copyfile(kit_folder("exercises") / f"{stem}.ipynb", out / "exercises" / f"{stem}.ipynb")
    for leftover in (".buildinfo", ".doctrees"):
        target = out / leftover
        if target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
    pages = sorted(p for p in out.rglob("*.html") if "_static" not in p.relative_to(out).parts)
    warnings += _missing_links(out, pages)
    files = sorted(
        p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".") and p.stat().st_mtime >= started
    )
    return SiteResult(out / "index.html", pages, warnings, files)


_HREF = re.compile(r"""(?:href|src)="([^"#?]*)[^"]*\"""")


def _missing_links(out: Path, pages: Sequence[Path]) -> list[str]:
    """One warning per local link or image of a page whose target is not in the site."""
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        for target in sorted(set(_HREF.findall(text))):
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("//"):
                continue
            if not (page.parent / target).resolve().exists():
                found.append(f"{page.relative_to(out)}: link to a missing page: {target}")
    return found


# --------------------------------------------------------------------------- the whole course


def run_course(
    selected: Sequence[Chapter] | None = None,
    *,
    out: Path | str = "build",
    parameters: dict[str, dict[str, Any]] | None = None,
    site: bool = True,
    data_note: str | None = None,
    workers: int | None = None,
    on_chapter: Callable[[ChapterRun], None] | None = None,
) -> CourseResult:
    r"""Run the chapters in parallel into ``out/notebooks/`` and build the course site into ``out``.

    Parameters
    ----------
    selected : chapters to run (default: all), see :func:`crmlib.course.chapters`.
    out : output folder; the executed notebooks go to ``out/notebooks/NN_name.ipynb``.
    parameters : each chapter's parameter values, by chapter stem.
    site : build the site (:func:`build_site`) from the chapters that ran.
    data_note : one sentence on the data, shown on each chapter's page.
    workers : kernels at a time and Sphinx processes (default: the available cores).
    on_chapter : called with each chapter's :class:`ChapterRun`, in course order.

    Returns
    -------
    CourseResult
        Each chapter's run, the site's front page (None without a site), its warnings, every file written.

    Examples
    --------
    One tiny chapter, run with a parameter and without the site:

    >>> import tempfile, nbformat
    >>> folder = Path(tempfile.mkdtemp())
    >>> cells = [nbformat.v4.new_code_cell("retention = 0.5", metadata={"tags": ["parameters"]}),
    ...          nbformat.v4.new_code_cell("print(f'{retention / (1 - retention):.1f} periods')")]
    >>> nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "01_demo.ipynb")
    >>> demo = Chapter("01", "demo", folder / "01_demo.ipynb")
    >>> course = run_course([demo], out=folder / "build", parameters={"01_demo": {"retention": 0.75}}, site=False,
    ...                     workers=1)
    >>> [run.ok for run in course.runs], course.index
    ([True], None)
    >>> nbformat.read(course.runs[0].notebook, as_version=4).cells[-1].outputs[0]["text"]
    '3.0 periods\n'
    """
    selected = list(selected) if selected is not None else chapters()
    out = Path(out)
    runs = execute_chapters(selected, out=out / "notebooks", parameters=parameters, workers=workers,
                            on_done=on_chapter)
    done = [r.notebook for r in runs if r.ok and r.notebook is not None]
    failed = [out / "notebooks" / f"{r.chapter.stem}.failed.ipynb" for r in runs if not r.ok]
    written = done + [p for p in failed if p.is_file()]
    if not site or not done:
        return CourseResult(runs, None, [], written)
    result = build_site(out, done, data_note=data_note, workers=workers)
    return CourseResult(runs, result.index, result.warnings, sorted(set(written) | set(result.files)))
