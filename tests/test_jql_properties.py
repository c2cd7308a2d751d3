"""Property tests: generated ASTs survive render -> parse; any text either parses or fails with a
JqlError; boolean structure (precedence, NOT pushed down as Jira does) survives rendering; minute-truncated watermarks in any zone
never miss the update they came from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiraemu.search.jql import (
    And,
    Clause,
    Empty,
    FieldRef,
    Function,
    JqlError,
    ListOperand,
    Not,
    Operand,
    Or,
    OrderTerm,
    Predicate,
    Query,
    Terminal,
    Value,
    compile_query,
    parse,
    render,
)
from jiraemu.search.jql.parser import KEYWORDS, RESERVED_WORDS
from jiraemu.search.jql.render import needs_quotes
from tests.test_jql import ctx_for, make_issue, make_state

WORDY = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda w: w.upper() not in KEYWORDS and w.lower() not in RESERVED_WORDS
)
values = st.builds(Value, st.text(max_size=12), st.booleans())
functions = st.builds(Function, WORDY, st.lists(values, max_size=3).map(tuple))
scalars: st.SearchStrategy[Operand] = st.one_of(values, functions, st.just(Empty()))
lists = st.lists(st.one_of(values, st.just(Empty())), min_size=1, max_size=4).map(lambda xs: ListOperand(tuple(xs)))
fields = st.one_of(
    st.builds(FieldRef, st.text(min_size=1, max_size=12)),
    st.integers(10000, 99999).map(lambda n: FieldRef(f"cf[{n}]", cf_id=n)),
    st.builds(
        lambda k, p: FieldRef("issue.property", property_key=k, property_path=p),
        st.text(min_size=1, max_size=8),
        st.one_of(st.none(), st.from_regex(r"[a-z]{1,5}(\.[a-z]{1,5})?", fullmatch=True)),
    ),
)
PREDICATE_KINDS = st.sampled_from(["FROM", "TO", "BY", "AFTER", "BEFORE", "ON", "DURING"])


@st.composite
def terminals(draw: st.DrawFn) -> Terminal:
    fld = draw(fields)
    op = draw(st.sampled_from(["=", "!=", "~", "!~", "<", "<=", ">", ">=", "in", "not in", "is", "is not", "was", "was not in", "changed"]))
    if op == "changed":
        preds = draw(st.lists(st.builds(Predicate, PREDICATE_KINDS, scalars), max_size=2))
        return Terminal(fld, op, None, tuple(preds))
    if op in ("in", "not in", "was not in"):
        operand: Operand = draw(st.one_of(lists, functions))
    elif op in ("is", "is not"):
        operand = Empty()
    else:
        operand = draw(scalars)
    preds = draw(st.lists(st.builds(Predicate, PREDICATE_KINDS, scalars), max_size=2)) if op.startswith("was") else []
    return Terminal(fld, op, operand, tuple(preds))


clauses: st.SearchStrategy[Clause] = st.recursive(
    terminals(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
        inner.map(Not),
    ),
    max_leaves=8,
)
orders = st.lists(st.builds(OrderTerm, fields, st.sampled_from([None, "ASC", "DESC"])), max_size=3)
queries = st.builds(Query, st.one_of(st.none(), clauses), orders)


def normalise(node: object) -> object:
    """What parsing the rendered text gives back: values that need quotes come back quoted."""
    if isinstance(node, Value):
        return Value(node.text, node.quoted or needs_quotes(node.text))
    if isinstance(node, Query):
        return Query(normalise(node.where), [normalise(t) for t in node.order_by])  # type: ignore[arg-type]
    if isinstance(node, (And, Or)):
        return type(node)(tuple(normalise(c) for c in node.clauses))  # type: ignore[misc]
    if isinstance(node, Not):
        return Not(normalise(node.clause))  # type: ignore[arg-type]
    if isinstance(node, Terminal):
        preds = tuple(Predicate(p.kind, normalise(p.operand)) for p in node.predicates)  # type: ignore[arg-type]
        return replace(node, operand=normalise(node.operand), predicates=preds)
    if isinstance(node, Function):
        return Function(node.name, tuple(normalise(a) for a in node.args))  # type: ignore[misc]
    if isinstance(node, ListOperand):
        return ListOperand(tuple(normalise(i) for i in node.items))  # type: ignore[misc]
    return node


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries)
def test_rendered_asts_parse_back_to_the_same_tree(query: Query) -> None:
    text = render(query)
    reparsed = parse(text)
    assert reparsed == normalise(query)
    assert render(reparsed) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab =!~<>()[],\"'\\-*/ANDORNOTINISEMPTYorderby\n12")), max_size=40))
def test_any_text_parses_or_fails_with_a_jql_error(text: str) -> None:
    try:
        query = parse(text)
    except JqlError as exc:
        assert exc.messages and all(m for m in exc.messages)
        return
    assert render(parse(render(query))) == render(query)


# --- semantics ------------------------------------------------------------------------------------

ATOMS = [
    "project = ABC",
    "labels = backend",
    "priority IN (High, Highest)",
    "assignee IS EMPTY",
    "status != Done",
    'summary ~ "crash"',
    "sprint IN openSprints()",
]
# each atom with its operator inverted: what NOT of it means in Jira (DeMorgansVisitor)
INVERTED = [
    "project != ABC",
    "labels != backend",
    "priority NOT IN (High, Highest)",
    "assignee IS NOT EMPTY",
    "status = Done",
    'summary !~ "crash"',
    "sprint NOT IN openSprints()",
]
STATE = make_state()
ISSUES = list(STATE.issues.values())
CTX = ctx_for(STATE)


def hits(jql: str) -> set[int]:
    plan = compile_query(parse(jql), CTX)
    return {i.id for i in ISSUES if plan.matches(i)}


ATOM_HITS = [hits(a) for a in ATOMS]
INVERTED_HITS = [hits(a) for a in INVERTED]

trees = st.recursive(
    st.integers(0, len(ATOMS) - 1),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=6,
)


def tree_clause(tree: object) -> Clause:
    if isinstance(tree, int):
        where = parse(ATOMS[tree]).where
        assert where is not None
        return where
    op, arg = tree  # type: ignore[misc]
    if op == "not":
        return Not(tree_clause(arg))
    parts = tuple(tree_clause(t) for t in arg)
    return And(parts) if op == "and" else Or(parts)


def tree_hits(tree: object, issue_id: int, negated: bool = False) -> bool:
    """The reference: NOT flips AND/OR (De Morgan) and selects the inverted atom."""
    if isinstance(tree, int):
        return issue_id in (INVERTED_HITS if negated else ATOM_HITS)[tree]
    op, arg = tree  # type: ignore[misc]
    if op == "not":
        return tree_hits(arg, issue_id, not negated)
    results = [tree_hits(t, issue_id, negated) for t in arg]
    return all(results) if (op == "and") != negated else any(results)


@settings(max_examples=120, deadline=None)
@given(trees)
def test_boolean_structure_survives_rendering(tree: object) -> None:
    text = render(Query(tree_clause(tree)))
    plan = compile_query(parse(text), CTX)
    for issue in ISSUES:
        assert plan.matches(issue) == tree_hits(tree, issue.id), text


ZONES = ["UTC", "America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "America/New_York"]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(946_684_800_000, 946_684_800_000 + 30 * 365 * 86_400_000),  # 2000 .. 2030
    st.sampled_from(ZONES),
    st.sampled_from(["%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M"]),
)
def test_a_minute_watermark_in_the_callers_zone_never_misses_its_update(at: int, tz: str, fmt: str) -> None:
    state = make_state()
    state.issues.clear()
    state.put_issue(make_issue(1, "ABC-1", updated=at))
    local = datetime.fromtimestamp(at / 1000, tz=UTC).astimezone(ZoneInfo(tz))
    literal = local.strftime(fmt)
    ctx = ctx_for(state, tz=tz)
    issue = state.issues[1]
    assert compile_query(parse(f'updated >= "{literal}"'), ctx).matches(issue)
    assert not compile_query(parse(f'updated < "{literal}"'), ctx).matches(issue)
    # the same literal read in another zone is a different instant (unless the offsets agree)
    other = "Asia/Kolkata" if tz != "Asia/Kolkata" else "UTC"
    same_offset = local.utcoffset() == local.astimezone(ZoneInfo(other)).utcoffset()
    moved = compile_query(parse(f'updated >= "{literal}"'), ctx_for(state, tz=other)).matches(issue)
    if not same_offset:
        assert moved == (local.utcoffset() < local.astimezone(ZoneInfo(other)).utcoffset())  # type: ignore[operator]
