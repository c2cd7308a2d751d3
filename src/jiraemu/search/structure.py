"""``POST /jql/parse``: a JQL query's structure as Jira's ``JqlQuery`` JSON, with validation
``strict`` (errors hide the structure), ``warn`` (well-formed queries keep it) or ``none``."""

from __future__ import annotations

from typing import Any

from jiraemu.search.jql import (
    And,
    Empty,
    FieldRef,
    Function,
    JqlError,
    ListOperand,
    Not,
    Or,
    Query,
    Terminal,
    Value,
    parse,
)


def field_json(ref: FieldRef) -> dict[str, Any]:
    name = f"cf[{ref.cf_id}]" if ref.cf_id is not None else ref.name
    out: dict[str, Any] = {"name": name}
    if ref.property_key is not None:
        out["property"] = [{"entity": "issue", "key": ref.property_key, "path": ref.property_path or "", "type": "string"}]
    return out


def operand_json(operand: Any) -> dict[str, Any]:
    if isinstance(operand, Value):
        return {"value": operand.text}
    if isinstance(operand, Empty):
        return {"keyword": "empty"}
    if isinstance(operand, Function):
        return {"function": operand.name, "arguments": [a.text for a in operand.args]}
    if isinstance(operand, ListOperand):
        return {"values": [operand_json(item) for item in operand.items]}
    raise TypeError(type(operand).__name__)


def clause_json(clause: Any) -> dict[str, Any]:
    if isinstance(clause, And | Or):
        return {"operator": "and" if isinstance(clause, And) else "or", "clauses": [clause_json(c) for c in clause.clauses]}
    if isinstance(clause, Not):
        return {"operator": "not", "clauses": [clause_json(clause.clause)]}
    assert isinstance(clause, Terminal)
    out: dict[str, Any] = {"field": field_json(clause.field), "operator": clause.op.lower()}
    if clause.operand is not None:
        out["operand"] = operand_json(clause.operand)
    if clause.op.lower().startswith("was") or clause.op.lower() == "changed":
        out["predicates"] = [{"operator": p.kind.lower(), "operand": operand_json(p.operand)} for p in clause.predicates]
    return out


def query_json(query: Query) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if query.where is not None:
        out["where"] = clause_json(query.where)
    if query.order_by:
        out["orderBy"] = {
            "fields": [
                {"field": field_json(t.field), **({"direction": t.direction.lower()} if t.direction else {})}
                for t in query.order_by
            ]
        }
    return out


def parse_one(text: str, validation: str, check: Any) -> dict[str, Any]:
    """One entry of ``ParsedJqlQueries``; ``check(text)`` raises ``JqlError`` on invalid values."""
    try:
        query = parse(text)
    except JqlError as err:
        return {"query": text, "errors": list(err.messages)}
    out: dict[str, Any] = {"query": text}
    structure = query_json(query)
    if validation == "none":
        out["structure"] = structure
        return out
    try:
        check(text)
    except JqlError as err:
        out["errors"] = list(err.messages)
        if validation == "warn":
            out["structure"] = structure
        return out
    out["structure"] = structure
    return out
