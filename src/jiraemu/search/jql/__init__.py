"""JQL for jiraemu: parse into an AST, render canonical text, compile into a plan over issues.

    query = parse(text)                       # -> Query (AST); JqlError(.messages) on bad syntax
    render(query)                             # canonical text; render(parse(render(q))) == render(q)
    plan = compile_query(query, ctx)          # ctx: JqlContext; JqlError on unknown fields/values
    plan.matches(issue) -> bool ; plan.sort_key(issue) -> tuple ; plan.bounded -> bool
    plan.project_ids / plan.issue_ids         # restrictions for fast paths (None = unrestricted)

Callers answer a ``JqlError`` with 400 ``{"errorMessages": e.messages, "errors": {}}``.
"""

from jiraemu.search.jql.parser import (
    And,
    Clause,
    Empty,
    FieldRef,
    Function,
    ListOperand,
    Not,
    Operand,
    Or,
    OrderTerm,
    Predicate,
    Query,
    Terminal,
    Value,
    parse,
)
from jiraemu.search.jql.render import render
from jiraemu.search.jql.tokens import JqlError

__all__ = [
    "And",
    "Clause",
    "Empty",
    "FieldRef",
    "Function",
    "JqlError",
    "ListOperand",
    "Not",
    "Operand",
    "Or",
    "OrderTerm",
    "Predicate",
    "Query",
    "Terminal",
    "Value",
    "parse",
    "render",
]
