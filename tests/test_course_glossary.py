"""The glossary: every term defined with the chapter that teaches it, and every chapter link to it resolves."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_markdown_cell, new_notebook, writes

from crmlib.course import broken_glossary_links, chapters, glossary_links, glossary_path, glossary_terms, slugify


def test_every_term_is_defined_with_the_chapter_that_teaches_it():
    terms = glossary_terms()
    assert len(terms) >= 60
    stems = {c.stem for c in chapters()}
    text = glossary_path().read_text(encoding="utf-8")
    for anchor, term in terms.items():
        assert term.chapters, f"{term.term!r} names no chapter"
        assert set(term.chapters) <= stems, f"{term.term!r} names a chapter that does not exist: {term.chapters}"
        section = text.split(f'<a id="{anchor}"></a>', 1)[1].split("\n## ", 1)[0]
        assert len(section.split()) >= 15, f"{term.term!r} has no real definition"


def test_terms_are_in_alphabetical_order_and_link_each_other_by_existing_anchors():
    terms = glossary_terms()
    names = [t.term.lower() for t in terms.values()]
    assert names == sorted(names)
    import re

    inner = re.findall(r"\]\(#([^)]+)\)", glossary_path().read_text(encoding="utf-8"))
    assert inner and set(inner) <= set(terms), set(inner) - set(terms)


def test_anchors_are_the_slugs_the_site_gives_the_headings():
    from myst_parser.mdit_to_docutils.base import default_slugify

    for anchor, term in glossary_terms().items():
        assert default_slugify(term.term) == anchor == slugify(term.term)


def test_every_glossary_link_of_every_chapter_resolves():
    assert broken_glossary_links() == []


def test_the_link_check_reports_a_term_the_glossary_lacks(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell(
        "See [customer equity](glossary.md#customer-equity) and [churn](./glossary.md#churn-propensity).")])
    path = tmp_path / "03_x.ipynb"
    path.write_text(writes(nb), encoding="utf-8")
    assert glossary_links(path) == [(0, "customer-equity"), (0, "churn-propensity")]
    (problem,) = broken_glossary_links([path])
    assert problem.startswith("03_x, cell 0: glossary.md#churn-propensity is not a term of the glossary")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("## Customer equity\n\nno anchor\n", r"needs the anchor <a id=\"customer-equity\"></a>"),
        ('## Customer equity\n<a id="equity"></a>\n', r"is 'equity'; it must be its slug 'customer-equity'"),
        ('## Churn\n<a id="churn"></a>\n\n## Churn\n<a id="churn"></a>\n', "two terms have the anchor 'churn'"),
    ],
)
def test_a_malformed_glossary_is_refused_with_the_fix(tmp_path, text, message):
    path = tmp_path / "glossary.md"
    path.write_text("# Glossary\n\n" + text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        glossary_terms(path)
