"""JQL for jiraemu: parse into an AST, render canonical text, compile into a plan over issues.

    query = parse(text)                       # -> Query (AST); JqlError(.messages) on bad syntax
    render(query)                             # canonical text; render(parse(render(q))) == render(q)
    plan = compile_query(query, ctx)          # ctx: JqlContext; JqlError on unknown fields/values
    plan.matches(issue) -> bool ; plan.sort_key(issue) -> tuple ; plan.bounded -> bool
    plan.project_ids / plan.issue_ids         # restrictions for fast paths (None = unrestricted)

``check_search_jql(query)`` adds Cloud ``/search/jql``'s rules (bounded, at most 7 ORDER BY fields).
Callers answer a ``JqlError`` with 400 ``{"errorMessages": e.messages, "errors": {}}``.
"""

from jiraemu.search.jql.evaluate import (
    MAX_ORDER_BY_SEARCH_JQL,
    UNBOUNDED,
    Plan,
    check_search_jql,
    compile_query,
    match_issue,
)
from jiraemu.search.jql.fields import JqlContext
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
    "MAX_ORDER_BY_SEARCH_JQL",
    "UNBOUNDED",
    "And",
    "Clause",
    "Empty",
    "FieldRef",
    "Function",
    "JqlContext",
    "JqlError",
    "ListOperand",
    "Not",
    "Operand",
    "Or",
    "OrderTerm",
    "Plan",
    "Predicate",
    "Query",
    "Terminal",
    "Value",
    "check_search_jql",
    "compile_query",
    "match_issue",
    "parse",
    "render",
]
