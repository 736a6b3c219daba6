"""One meaning per concept: a chapter computes profit, historical / current / potential value and customer equity
only through the kit's one function for each, never inline.

The test reads the chapters' code (no kernel). For each concept a chapter has joined (:data:`JOINED`):

* the chapter calls the concept's function (:data:`CONCEPTS`);
* no assignment gives a name or a column of the concept (``profit = ...``, ``frame["current"] = ...``,
  ``.assign(potential=...)``) a value that is not derived from that function: the right-hand side must use the
  function's result (directly, or through names already derived from it).

A chapter that shows a variant on purpose (revenue instead of profit, a model's forecast next to current value)
says so on the assignment's line with a comment ``# variant: <how it differs>`` and names it in its prose.

To join: add the chapter's number and the concepts it shows to :data:`JOINED`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import nbformat
import pytest
from chapter_harness import CHAPTERS


@dataclass(frozen=True)
class Concept:
    functions: tuple[str, ...]  # the kit's functions that are the concept's one definition
    target: re.Pattern[str]  # names and column labels that hold the concept


CONCEPTS: dict[str, Concept] = {
    "profit": Concept(("customer_profit",), re.compile(r"^(customer_)?profits?$")),
    "historical value": Concept(("value_components", "customer_values"), re.compile(r"^historical(_value)?$")),
    "current value": Concept(("value_components", "customer_values"), re.compile(r"^current(_values?)?$")),
    "potential value": Concept(("value_components", "customer_values"), re.compile(r"^potential(_values?)?$")),
    "customer equity": Concept(("customer_equity", "equity_by_group"), re.compile(r"^(customer_)?equity$")),
}

#: chapter number -> the concepts it shows. A chapter joins by adding its line.
JOINED: dict[str, tuple[str, ...]] = {
    "06": ("profit", "current value", "potential value"),
    "07": ("historical value", "current value", "potential value"),
}

VARIANT = re.compile(r"#\s*variant:\s*\S")


def _code(chapter) -> list[str]:
    nb = nbformat.read(chapter.path, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    # IPython magics and shell lines are not Python
    return ["\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in s.splitlines()) for s in cells]


def _called(node: ast.AST) -> set[str]:
    """Names of the functions called anywhere in ``node`` (``a.b.f(...)`` -> ``f``)."""
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            out.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return out


def _names(node: ast.AST) -> set[str]:
    return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}


def _targets(target: ast.AST) -> list[tuple[str, ast.AST]]:
    """(label, target node) of an assignment target: a name, a string-subscript column, or tuple elements."""
    if isinstance(target, ast.Name):
        return [(target.id, target)]
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return [(str(target.slice.value), target)]
    if isinstance(target, ast.Constant):  # a keyword argument
        return [(str(target.value), target)]
    if isinstance(target, ast.Attribute):
        return [(target.attr, target)]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [item for element in target.elts for item in _targets(element)]
    return []


def _assignments(tree: ast.AST) -> list[tuple[ast.AST, ast.AST, ast.AST]]:
    """(target, value, statement) for every assignment (tuple assignments paired element-wise), loop variable and
    keyword argument of a call (target: the keyword)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if value is None:
                continue
            for target in targets:
                pairs = isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                if pairs and len(target.elts) == len(value.elts):
                    out += [(t, v, node) for t, v in zip(target.elts, value.elts)]
                else:
                    out.append((target, value, node))
        elif isinstance(node, ast.Call):
            # a keyword argument names what it passes: .assign(profit=...), customer_values(current_value=...)
            out += [(ast.Constant(value=k.arg), k.value, node) for k in node.keywords if k.arg]
        elif isinstance(node, (ast.For, ast.comprehension)):
            out.append((node.target, node.iter, node.target))
    return out


def violations(sources: list[str], concepts: tuple[str, ...]) -> list[str]:
    """Every way the code computes one of ``concepts`` without the kit's function (empty: clean)."""
    found = []
    trees = [ast.parse(source) for source in sources]
    for name in concepts:
        concept = CONCEPTS[name]
        if not any(set(concept.functions) & _called(tree) for tree in trees):
            found.append(f"{name}: never computed with {' or '.join(concept.functions)}")
        derived: set[str] = set()  # names whose value comes from the concept's function
        for source, tree in zip(sources, trees):
            lines = source.splitlines()
            statements = sorted(_assignments(tree), key=lambda item: (item[2].lineno, item[2].col_offset))
            for target, value, statement in statements:
                from_kit = bool(set(concept.functions) & _called(value)) or bool(_names(value) & derived)
                labels = _targets(target)
                if from_kit:
                    derived |= {label for label, node in labels if isinstance(node, ast.Name)}
                    continue
                for label, _ in labels:
                    if not concept.target.match(label):
                        continue
                    span = lines[statement.lineno - 1 : (statement.end_lineno or statement.lineno)]
                    if any(VARIANT.search(line) for line in span):
                        continue
                    found.append(f"{name}: {label!r} computed inline: {span[0].strip()}")
    return found


def test_the_check_finds_inline_variants():
    inline = [
        "by_customer['profit'] = margin_rate * by_customer['revenue'] - cost_per_purchase * by_customer['orders']",
        "current = (margin_rate * last_year).reindex(index, fill_value=0.0)",
        "potential = clv['clv'].reindex(index)",
        "frame = tx.assign(historical=tx['amount'] * 0.3)",
        "equity = (margin * retention / (1 + d - retention)).sum()",
        "values = lifecycle.customer_values(tx, current_value=model_clv)",
    ]
    concepts = ("profit", "current value", "potential value", "historical value", "customer equity")
    found = violations(inline, concepts)
    assert len([f for f in found if "inline" in f]) == 6, found
    assert sum("never computed" in f for f in found) == 2, found  # customer_values covers the three values
    kit = [
        "profit = crmlib.clv.customer_profit(tx, margin_rate=margin_rate)",
        "values = clv.value_components(tx)\ncurrent, potential = values['current_value'], values['potential_value']",
        "historical = values['historical_value'] * 1.0",
        "equity = clv.customer_equity(summary, margin=0.3)",
        "profit_tier = tiers.profitability_tiers(profit)",
        "revenue_profit = tx.groupby('customer_id')['amount'].sum()  # not a concept name: a named variant needs none",
        "profit = revenue * 0.3  # variant: revenue times the margin, without the cost to serve",
    ]
    assert violations(kit, concepts) == []


JOINED_CHAPTERS = [c for c in CHAPTERS if c.number in JOINED]


@pytest.mark.parametrize("chapter", JOINED_CHAPTERS, ids=[c.path.stem for c in JOINED_CHAPTERS])
def test_chapter_uses_the_kits_one_definition(chapter):
    found = violations(_code(chapter), JOINED[chapter.number])
    assert not found, (
        f"{chapter.path.name} computes a concept of its own: " + "; ".join(found)
        + ". Call the kit's function (crmlib.clv.customer_profit, crmlib.clv.value_components, "
        "crmlib.clv.customer_equity), or mark a deliberate variant with '# variant: <how it differs>' and name it."
    )
