"""Compile a parsed ``Query`` into a ``Plan``: a predicate over issues plus an ORDER BY key.

Semantics that follow Jira and surprise people:

* ``!=``, ``NOT IN`` and ``!~`` never match an EMPTY field (``assignee != bob`` skips unassigned
  issues); ``= EMPTY``, ``IN (EMPTY, x)`` and ``IS EMPTY`` do. ``NOT`` is pushed down to the
  terminals (De Morgan, operators inverted) as Jira does, so ``NOT assignee = bob`` is
  ``assignee != bob`` and skips unassigned issues too.
* Date literals are read in the caller's zone at minute precision (see ``dates``).
* ORDER BY: EMPTY sorts last ascending and first descending; ties are broken by issue id ascending
  so paging is stable. Without ORDER BY the order is ``key DESC`` (Jira's navigator default).
* ``plan.matches`` also applies ``ctx.can_see`` when given: an issue the caller cannot browse
  never matches.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from jiraemu.search.jql.fields import (
    EMPTY_MARK,
    HISTORY,
    DateTimeHandler,
    Handler,
    JqlContext,
    KeyHandler,
    ProjectHandler,
    TextHandler,
    UserHandler,
)
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
    Query,
    Terminal,
    Value,
    parse,
)
from jiraemu.search.jql.registry import handler_for
from jiraemu.search.jql.render import quote, render_operand
from jiraemu.search.jql.text import compile_text_query, text_matcher
from jiraemu.search.jql.tokens import JqlError
from jiraemu.state import Issue

Pred = Callable[[Issue], bool]
MAX_ORDER_BY_SEARCH_JQL = 7  # /search/jql: "orderBy clause can contain a maximum of 7 fields"
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
LIST_OPS = frozenset({"in", "not in", "was in", "was not in"})
RELATIONAL = frozenset({"<", "<=", ">", ">="})
INVERSE = {
    "=": "!=", "!=": "=", "in": "not in", "not in": "in", "is": "is not", "is not": "is", "~": "!~", "!~": "~",
    "<": ">=", ">=": "<", ">": "<=", "<=": ">", "was": "was not", "was not": "was", "was in": "was not in",
    "was not in": "was in",
}
COMPARE: dict[str, Callable[[Any, Any], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass
class Compiled:
    pred: Pred
    project_ids: set[int] | None = None
    issue_ids: set[int] | None = None


@dataclass
class Plan:
    """A compiled query: ``matches``, ``sort_key``, and what the WHERE clause restricts (``bounded``,
    ``project_ids``/``issue_ids`` for fast candidate selection; None = not restricted)."""

    query: Query
    ctx: JqlContext
    pred: Pred
    sorters: list[tuple[Callable[[Issue], Any], bool]]  # (value getter, descending)
    bounded: bool
    project_ids: set[int] | None = None
    issue_ids: set[int] | None = None
    order_by: list[OrderTerm] = field(default_factory=list)

    def matches(self, issue: Issue) -> bool:
        """The WHERE clause holds and the caller may browse the issue (the cheap test first)."""
        if not self.pred(issue):
            return False
        return self.ctx.can_see is None or self.ctx.can_see(issue)

    def sort_key(self, issue: Issue) -> tuple[Any, ...]:
        """A flat tuple: per term a (flag, value) pair, then the issue id as the last tie-break."""
        parts: list[Any] = []
        for getter, desc in self.sorters:
            value = getter(issue)
            if value is None:
                parts += (0, 0) if desc else (1, 0)
            elif desc:
                parts += (1, -value) if type(value) in (int, float) else (1, Desc(value))
            else:
                parts += (0, value)
        parts.append(issue.id)
        return tuple(parts)


class Desc:
    """Reverses the order of a sort component (for DESC terms inside one tuple key)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: Desc) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Desc) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


# --- operands -------------------------------------------------------------------------------------


def shown(operand: Operand) -> str:
    if isinstance(operand, Value):
        return operand.text if not operand.quoted and operand.text.isdigit() else quote(operand.text)
    return render_operand(operand)


def resolve_operand(operand: Operand, h: Handler) -> tuple[list[Any], bool]:
    """Normalised targets of an operand, and whether EMPTY is among them."""
    if isinstance(operand, Empty):
        return [], True
    if isinstance(operand, Value):
        targets = h.resolve(operand)
    elif isinstance(operand, Function):
        targets = h.function(operand)
    else:
        targets, empty = [], False
        for item in operand.items:
            t, e = resolve_operand(item, h)
            targets.extend(t)
            empty = empty or e
        return [t for t in targets if t is not EMPTY_MARK], empty or any(t is EMPTY_MARK for t in targets)
    return [t for t in targets if t is not EMPTY_MARK], any(t is EMPTY_MARK for t in targets)


def check_shape(t: Terminal, name: str) -> None:
    op, operand = t.op, t.operand
    if operand is None:
        return
    if op in LIST_OPS and isinstance(operand, (Value, Empty)):
        raise JqlError(f"Operator '{op}' does not support the non-list value '{shown(operand)}' for field '{name}'.")
    if op not in LIST_OPS and isinstance(operand, ListOperand):
        raise JqlError(f"Operator '{op}' does not support the list value '{shown(operand)}' for field '{name}'.")
    if op in ("is", "is not") and not isinstance(operand, Empty):
        raise JqlError(f"Operator '{op}' does not support the non-empty value '{shown(operand)}' for field '{name}'.")
    if op in ("~", "!~") and not isinstance(operand, Value):
        raise JqlError(f"Operator '{op}' does not support the value '{shown(operand)}' for field '{name}'.")
    if op in RELATIONAL and isinstance(operand, Empty):
        raise JqlError(f"Operator '{op}' does not support the empty value for field '{name}'.")


# --- clauses --------------------------------------------------------------------------------------


def compile_clause(clause: Clause, ctx: JqlContext, errors: list[str] | None = None) -> Compiled:
    """Compile a clause; with ``errors``, collect every clause's problems instead of stopping at the
    first (Jira reports all of them in ``errorMessages``)."""
    if isinstance(clause, Terminal):
        if errors is None:
            return compile_terminal(clause, ctx)
        try:
            return compile_terminal(clause, ctx)
        except JqlError as err:
            errors.extend(m for m in err.messages if m not in errors)
            return Compiled(lambda i: False)
    if isinstance(clause, Not):
        target = clause.clause
        if isinstance(target, Terminal) and target.op not in INVERSE:  # CHANGED: a plain complement
            inner = compile_clause(target, ctx, errors).pred
            return Compiled(lambda i: not inner(i))
        return compile_clause(negate(target), ctx, errors)
    parts = [compile_clause(c, ctx, errors) for c in clause.clauses]
    pred = parts[0].pred
    for part in parts[1:]:
        pred = _both(pred, part.pred) if isinstance(clause, And) else _either(pred, part.pred)
    return Compiled(pred, *_combine(parts, intersect=isinstance(clause, And)))


def _both(a: Pred, b: Pred) -> Pred:
    return lambda i: a(i) and b(i)


def _either(a: Pred, b: Pred) -> Pred:
    return lambda i: a(i) or b(i)


def negate(clause: Clause) -> Clause:
    """Push a NOT down to the terminals the way Jira's ``DeMorgansVisitor`` does.

    ``NOT a = x`` becomes ``a != x`` (so, like ``!=``, it never matches an EMPTY field), ``NOT (p AND
    q)`` becomes ``NOT p OR NOT q``, ``NOT NOT p`` is ``p``. A clause without an inverse operator
    (CHANGED) stays a NOT.
    """
    if isinstance(clause, Not):
        return clause.clause
    if isinstance(clause, And):
        return Or(tuple(negate(c) for c in clause.clauses))
    if isinstance(clause, Or):
        return And(tuple(negate(c) for c in clause.clauses))
    inverse = INVERSE.get(clause.op)
    return replace(clause, op=inverse) if inverse else Not(clause)


def _combine(parts: list[Compiled], intersect: bool) -> tuple[set[int] | None, set[int] | None]:
    out: list[set[int] | None] = []
    for attr in ("project_ids", "issue_ids"):
        sets = [getattr(p, attr) for p in parts]
        known = [s for s in sets if s is not None]
        if intersect:
            out.append(set.intersection(*known) if known else None)
        else:
            out.append(set().union(*known) if known and len(known) == len(sets) else None)
    return out[0], out[1]


def compile_terminal(t: Terminal, ctx: JqlContext) -> Compiled:
    h = handler_for(t.field, ctx)
    check_shape(t, h.name)
    if t.op in HISTORY:
        return Compiled(compile_history(t, h, ctx))
    if t.op not in h.operators:
        raise JqlError(f"The operator '{t.op}' is not supported by the '{h.name}' field.")
    assert t.operand is not None
    if t.op in ("~", "!~"):
        return Compiled(compile_text(t, h))
    if t.op in ("is", "is not"):
        return Compiled(compile_is(h, t.op == "is not"))
    if t.op in RELATIONAL:
        return Compiled(compile_relational(t, h), project_ids=key_range_project(t, h))
    targets, with_empty = resolve_operand(t.operand, h)
    wanted = frozenset(targets)
    if t.op in ("!=", "not in"):
        return Compiled(compile_excludes(h, wanted))
    pred = compile_includes(h, wanted, with_empty)
    restriction = set(wanted) if not with_empty else None
    if isinstance(h, ProjectHandler):
        return Compiled(pred, project_ids=restriction)
    if isinstance(h, KeyHandler):
        return Compiled(pred, issue_ids=restriction)
    return Compiled(pred)


def compile_is(h: Handler, want_value: bool) -> Pred:
    scalar = h.scalar
    if scalar is not None:
        return lambda i: (scalar(i) is not None) == want_value
    return lambda i: bool(h.values(i)) == want_value


def compile_includes(h: Handler, wanted: frozenset[Any], with_empty: bool) -> Pred:
    """``=`` / ``IN``: any value among the targets (or EMPTY, when EMPTY is a target)."""
    scalar = h.scalar
    if scalar is not None:

        def one(issue: Issue) -> bool:
            v = scalar(issue)
            return with_empty if v is None else v in wanted

        return one

    def many(issue: Issue) -> bool:
        vals = h.values(issue)
        return not wanted.isdisjoint(vals) if vals else with_empty

    return many


def compile_excludes(h: Handler, wanted: frozenset[Any]) -> Pred:
    """``!=`` / ``NOT IN``: has a value, and none among the targets (EMPTY never matches)."""
    scalar = h.scalar
    if scalar is not None:
        return lambda i: (v := scalar(i)) is not None and v not in wanted
    return lambda i: bool(vals := h.values(i)) and wanted.isdisjoint(vals)


def key_range_project(t: Terminal, h: Handler) -> set[int] | None:
    """``key > ABC-10`` only ever matches issues of ABC: a restriction for the fast path."""
    if not isinstance(h, KeyHandler) or not isinstance(t.operand, Value) or t.operand.text.isdigit():
        return None
    project = h.state.project_by_key_or_id(t.operand.text.rsplit("-", 1)[0])
    return {project.id} if project is not None else set()


def compile_relational(t: Terminal, h: Handler) -> Pred:
    operand = t.operand
    cmp = COMPARE[t.op]
    if isinstance(h, KeyHandler) and isinstance(operand, Value):
        getter = h.relational(operand)
        if getter is None:
            return lambda i: False
        target = int(operand.text) if operand.text.isdigit() else int(operand.text.rsplit("-", 1)[1])
        get = getter
        return lambda i: (v := get(i)) is not None and cmp(v, target)
    assert operand is not None
    targets, _ = resolve_operand(operand, h)
    if not targets:
        return lambda i: False
    bound = targets[0]
    scalar = h.scalar
    if scalar is not None:
        return lambda i: (v := scalar(i)) is not None and cmp(v, bound)
    return lambda i: bool(vals := h.values(i)) and cmp(vals[0], bound)


def compile_text(t: Terminal, h: Handler) -> Pred:
    assert isinstance(t.operand, Value) and isinstance(h, TextHandler)
    try:
        terms = compile_text_query(t.operand.text, h.name)
    except ValueError as exc:
        raise JqlError(str(exc)) from None
    match = text_matcher(terms)
    if t.op == "~":
        return lambda i: match(h.words(i))
    # like != , the negation needs a value: an empty description does not "not contain" a word
    return lambda i: bool(parts := h.words(i)) and not match(parts)


# --- WAS / CHANGED --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    value: Any
    start: int
    end: int
    author: str | None  # who set this value


@dataclass(frozen=True)
class Change:
    at: int
    author: str
    from_: Any
    to: Any


def changes(issue: Issue, h: Handler) -> list[Change]:
    name = (h.history_field or "").lower()
    out = []
    for hist in sorted(issue.histories, key=lambda x: (x.created, x.id)):
        for item in hist.items:
            if item.field.lower() == name:
                out.append(Change(hist.created, hist.author_id, h.history_value(item.from_), h.history_value(item.to)))
    return out


def timeline(issue: Issue, h: Handler) -> list[Segment]:
    chs = changes(issue, h)
    if not chs:
        vals = h.values(issue)
        return [Segment(vals[0] if vals else None, issue.created, 2**62, issue.creator_id)]
    segs = [Segment(chs[0].from_, issue.created, chs[0].at, issue.creator_id)]
    for n, ch in enumerate(chs):
        end = chs[n + 1].at if n + 1 < len(chs) else 2**62
        segs.append(Segment(ch.to, ch.at, end, ch.author))
    return segs


def _window(kind: str, operand: Operand, ctx: JqlContext) -> tuple[int, int]:
    dh = DateTimeHandler("date", ctx, lambda i: None)
    if kind == "DURING":
        if not isinstance(operand, ListOperand) or len(operand.items) != 2:
            raise JqlError("The DURING predicate expects a list of two dates.")
        lo, hi = (resolve_operand(x, dh)[0][0] for x in operand.items)
        return lo, hi
    (at,) = resolve_operand(operand, dh)[0][:1] or [0]
    if kind == "ON":
        return at, at + 86_400_000
    return at, at


def compile_predicates(t: Terminal, ctx: JqlContext) -> Callable[[int, int, str | None], bool]:
    """A test over (start, end, author) of a segment or (at, at, author) of a change."""
    tests: list[Callable[[int, int, str | None], bool]] = []
    for p in t.predicates:
        if p.kind == "BY":
            users = set(resolve_operand(p.operand, UserHandler("by", ctx, lambda i: None))[0])
            tests.append(lambda s, e, a, users=users: a in users)  # type: ignore[misc]
        elif p.kind in ("AFTER", "BEFORE", "ON", "DURING"):
            lo, hi = _window(p.kind, p.operand, ctx)
            if p.kind == "AFTER":
                tests.append(lambda s, e, a, lo=lo: e > lo)  # type: ignore[misc]
            elif p.kind == "BEFORE":
                tests.append(lambda s, e, a, lo=lo: s < lo)  # type: ignore[misc]
            else:
                tests.append(lambda s, e, a, lo=lo, hi=hi: s <= hi and e >= lo)  # type: ignore[misc]
    return lambda s, e, a: all(test(s, e, a) for test in tests)


def compile_history(t: Terminal, h: Handler, ctx: JqlContext) -> Pred:
    if h.history_field is None:
        raise JqlError(f"The operator '{t.op}' is not supported by the '{h.name}' field.")
    when = compile_predicates(t, ctx)
    if t.op == "changed":
        return compile_changed(t, h, ctx, when)
    assert t.operand is not None
    targets, with_empty = resolve_operand(t.operand, h)
    wanted = frozenset(targets)

    def was(issue: Issue) -> bool:
        return any(
            (seg.value in wanted if seg.value is not None else with_empty) and when(seg.start, seg.end, seg.author)
            for seg in timeline(issue, h)
        )

    if "not" in t.op:
        return lambda i: not was(i)
    return was


def compile_changed(t: Terminal, h: Handler, ctx: JqlContext, when: Callable[[int, int, str | None], bool]) -> Pred:
    value_tests: list[Callable[[Change], bool]] = []
    for p in t.predicates:
        if p.kind in ("FROM", "TO"):
            targets, empty = resolve_operand(p.operand, h)
            wanted = frozenset(targets)
            attr = "from_" if p.kind == "FROM" else "to"
            value_tests.append(
                lambda c, w=wanted, e=empty, a=attr: (getattr(c, a) in w) if getattr(c, a) is not None else e  # type: ignore[misc]
            )
    return lambda i: any(when(c.at, c.at, c.author) and all(v(c) for v in value_tests) for c in changes(i, h))


# --- ORDER BY and the plan ------------------------------------------------------------------------


def sorter(term: OrderTerm, ctx: JqlContext) -> tuple[Callable[[Issue], Any], bool]:
    desc = term.direction == "DESC"
    if term.field.name.lower() == "rank" and term.field.cf_id is None:
        try:
            h = handler_for(term.field, ctx)
        except JqlError:
            return (lambda i: i.id), desc  # no Rank field in this state: creation order
    else:
        h = handler_for(term.field, ctx)
    if not h.sortable:
        raise JqlError(f"Field '{h.name}' does not support sorting.")
    if isinstance(h, KeyHandler) and h.name.lower() == "id":
        return operator.attrgetter("id"), desc
    if h.scalar is not None and type(h).sort_value is Handler.sort_value:
        return h.scalar, desc  # the value itself orders (dates, numbers): skip the method call
    return h.sort_value, desc


DEFAULT_ORDER = [OrderTerm(FieldRef("key"), "DESC")]


def compile_query(query: Query, ctx: JqlContext) -> Plan:
    """Resolve fields and values against ``ctx.state``; raises ``JqlError`` like Jira does."""
    errors: list[str] = []
    compiled = compile_clause(query.where, ctx, errors) if query.where is not None else Compiled(lambda i: True)
    order = query.order_by or DEFAULT_ORDER
    sorters = []
    for term in order:
        try:
            sorters.append(sorter(term, ctx))
        except JqlError as err:
            errors.extend(m for m in err.messages if m not in errors)
    if errors:
        raise JqlError(errors)
    return Plan(
        query=query,
        ctx=ctx,
        pred=compiled.pred,
        sorters=sorters,
        bounded=query.where is not None,
        project_ids=compiled.project_ids,
        issue_ids=compiled.issue_ids,
        order_by=list(order),
    )


def check_search_jql(query: Query) -> None:
    """The extra rules of Cloud's ``/search/jql``: bounded, and at most 7 ORDER BY fields."""
    if query.where is None:
        raise JqlError(UNBOUNDED)
    if len(query.order_by) > MAX_ORDER_BY_SEARCH_JQL:
        raise JqlError(f"The ORDER BY clause can contain a maximum of {MAX_ORDER_BY_SEARCH_JQL} fields.")


def match_issue(jql: str, issue: Issue, ctx: JqlContext) -> bool:
    """Does ``issue`` match ``jql`` for the caller in ``ctx``? (Parses and compiles every time.)"""
    return compile_query(parse(jql), ctx).matches(issue)
