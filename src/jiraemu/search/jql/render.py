"""Canonical JQL text for a ``Query``: ``render(parse(render(q))) == render(q)``.

Keywords and word operators upper case (``AND``, ``NOT IN``, ``IS NOT``, ``EMPTY``, ``ORDER BY``),
field names as written, quoted values in double quotes, parentheses only where precedence needs them
(AND binds tighter than OR, NOT tighter than AND).
"""

from __future__ import annotations

from jiraemu.search.jql.parser import (
    KEYWORDS,
    RESERVED_WORDS,
    And,
    Clause,
    Empty,
    FieldRef,
    Function,
    Not,
    Operand,
    Or,
    OrderTerm,
    Query,
    Terminal,
    Value,
)
from jiraemu.search.jql.tokens import STOP_CHARS

PRECEDENCE = {Or: 1, And: 2, Not: 3, Terminal: 4}


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


def needs_quotes(text: str) -> bool:
    if not text or text.upper() in KEYWORDS or text.lower() in RESERVED_WORDS:
        return True
    return any(ch.isspace() or ch in STOP_CHARS or ch == "\\" for ch in text)


def render_value(value: Value) -> str:
    return quote(value.text) if value.quoted or needs_quotes(value.text) else value.text


def render_operand(operand: Operand) -> str:
    if isinstance(operand, Empty):
        return "EMPTY"
    if isinstance(operand, Value):
        return render_value(operand)
    if isinstance(operand, Function):
        return f"{operand.name}({', '.join(render_value(a) for a in operand.args)})"
    return "(" + ", ".join(render_operand(item) for item in operand.items) + ")"


def render_field(ref: FieldRef) -> str:
    if ref.cf_id is not None:
        return f"cf[{ref.cf_id}]"
    if ref.property_key is not None:
        key = ref.property_key if not needs_quotes(ref.property_key) else quote(ref.property_key)
        path = f".{ref.property_path}" if ref.property_path else ""
        return f"{ref.name}[{key}]{path}"
    name = ref.name
    plain = name and not needs_quotes(name) and name.lower() != "cf" and not name.lower().endswith(".property")
    return name if plain else quote(name)


def render_terminal(clause: Terminal) -> str:
    parts = [render_field(clause.field), clause.op.upper() if clause.op[0].isalpha() else clause.op]
    if clause.operand is not None:
        parts.append(render_operand(clause.operand))
    for pred in clause.predicates:
        parts.extend([pred.kind, render_operand(pred.operand)])
    return " ".join(parts)


def render_clause(clause: Clause, parent: int = 0) -> str:
    if isinstance(clause, Terminal):
        return render_terminal(clause)
    level = PRECEDENCE[type(clause)]
    if isinstance(clause, Not):
        text = "NOT " + render_clause(clause.clause, level)
    else:
        joiner = " AND " if isinstance(clause, And) else " OR "
        # a child of the same kind is parenthesised so that the tree shape survives a round trip
        text = joiner.join(render_clause(c, level + (type(c) is type(clause))) for c in clause.clauses)
    return f"({text})" if level < parent else text


def render_order(term: OrderTerm) -> str:
    return render_field(term.field) + (f" {term.direction}" if term.direction else "")


def render(query: Query) -> str:
    """The canonical text of ``query``."""
    parts = []
    if query.where is not None:
        parts.append(render_clause(query.where))
    if query.order_by:
        parts.append("ORDER BY " + ", ".join(render_order(t) for t in query.order_by))
    return " ".join(parts)
