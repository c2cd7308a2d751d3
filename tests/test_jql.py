"""JQL: parse/render identity, Jira's error texts and positions, time zones and minute precision,
evaluation and ordering over a small hand-built State, and a check over the generated data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from jiraemu.search.jql import (
    UNBOUNDED,
    JqlContext,
    JqlError,
    Query,
    check_search_jql,
    compile_query,
    match_issue,
    parse,
    render,
)
from jiraemu.state import (
    ChangeItem,
    Component,
    Doc,
    FieldDef,
    FieldOption,
    Group,
    History,
    Issue,
    IssueType,
    Priority,
    Project,
    Resolution,
    Sprint,
    State,
    Status,
    StatusCategory,
    User,
    Version,
)

LA = "America/Los_Angeles"
ADMIN = "557058:admin"
BOB = "557058:bob"


def ms(text: str) -> int:
    """UTC wall time 'YYYY-MM-DD HH:MM[:SS[.fff]]' -> epoch ms."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


NOW = ms("2024-03-12 18:00")


def make_issue(iid: int, key: str, **kw: object) -> Issue:
    base: dict[str, object] = {
        "id": iid,
        "key": key,
        "project_id": 10000 if key.startswith("ABC") else 10001,
        "issuetype_id": "10002",
        "summary": f"Issue {key}",
        "status_id": "10000",
        "creator_id": ADMIN,
        "reporter_id": ADMIN,
        "assignee_id": None,
        "created": ms("2024-01-01 00:00"),
        "updated": ms("2024-01-01 00:00"),
    }
    base.update(kw)
    return Issue(**base)  # type: ignore[arg-type]


def make_state() -> State:
    s = State()
    s.users[ADMIN] = User(ADMIN, "admin", "JIRAUSER10000", "Emulator Admin", "admin@example.com", time_zone=LA)
    s.users[BOB] = User(BOB, "bob", "JIRAUSER10100", "Bob Builder", "bob@example.com")
    s.groups["developers"] = Group("g1", "developers", [BOB])
    for cat in (StatusCategory(2, "new", "To Do", "blue-gray"), StatusCategory(4, "indeterminate", "In Progress", "yellow"), StatusCategory(3, "done", "Done", "green")):
        s.status_categories[cat.id] = cat
    for st in (Status("10000", "To Do", 2), Status("3", "In Progress", 4), Status("10002", "Done", 3)):
        s.statuses[st.id] = st
    for t in (IssueType("10001", "Epic", hierarchy_level=1), IssueType("10002", "Task"), IssueType("10005", "Sub-task", subtask=True, hierarchy_level=-1)):
        s.issue_types[t.id] = t
    for n, name in enumerate(["Highest", "High", "Medium", "Low", "Lowest"], 1):
        s.priorities[str(n)] = Priority(str(n), name)
    s.resolutions["10000"] = Resolution("10000", "Done")
    s.projects[10000] = Project(10000, "ABC", "Alpha Beta", ADMIN, components=[Component("20000", "Backend")],
                                versions=[Version("30000", "1.0", released=True), Version("30001", "2.0")], previous_keys=["OLD"])
    s.projects[10001] = Project(10001, "XYZ", "Xylophone", ADMIN)
    s.fields["customfield_10020"] = FieldDef("customfield_10020", "Sprint", True, {"type": "array"}, ["cf[10020]", "Sprint"], kind="sprint")
    s.fields["customfield_10016"] = FieldDef("customfield_10016", "Story Points", True, {"type": "number"}, ["cf[10016]", "Story Points"], kind="storypoints")
    s.fields["customfield_10030"] = FieldDef("customfield_10030", "Severity", True, {"type": "option"}, ["cf[10030]", "Severity"],
                                             kind="select", options=[FieldOption("1", "Critical"), FieldOption("2", "Low")])
    s.sprints[1] = Sprint(1, "ABC Sprint 1", "closed", 1)
    s.sprints[2] = Sprint(2, "ABC Sprint 2", "active", 1)
    s.sprints[3] = Sprint(3, "ABC Sprint 3", "future", 1)
    issues = [
        make_issue(10000, "ABC-1", issuetype_id="10001", summary="Epic: sync engine", labels=("backend", "sync"),
                   priority_id="1", assignee_id=ADMIN, custom=(("customfield_10020", (1, 2)), ("customfield_10016", 8.0))),
        make_issue(10001, "ABC-2", summary="Fix crash when importing issues", parent_id=10000, labels=("backend",),
                   status_id="10002", resolution_id="10000", resolution_date=ms("2024-03-01 12:00"), priority_id="3",
                   assignee_id=BOB, duedate="2024-03-12", component_ids=("20000",), fix_version_ids=("30000",),
                   description=Doc(wiki="The importer crashed on *large* files.\nSee the release notes."),
                   custom=(("customfield_10020", (2,)), ("customfield_10016", 3.0), ("customfield_10030", "1"))),
        make_issue(10002, "ABC-10", summary="Winning the race condition", status_id="3", priority_id="5",
                   description=Doc(adf={"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "flaky timeout in CI"}]}]}),
                   custom=(("customfield_10020", (3,)),)),
        make_issue(10003, "XYZ-1", summary="Document the API", updated=ms("2024-03-12 17:50"), priority_id="2"),
    ]
    for issue in issues:
        s.put_issue(issue)
    s.keys["OLD-7"] = 10002  # moved issue: its old key still finds it
    return s


def ctx_for(state: State, tz: str = LA, user: str | None = ADMIN, now: int = NOW, **kw: object) -> JqlContext:
    return JqlContext(state, state.users.get(user) if user else None, now, tz, "Europe/Berlin", **kw)  # type: ignore[arg-type]


def keys(jql: str, state: State | None = None, **kw: object) -> list[str]:
    state = state or make_state()
    plan = compile_query(parse(jql), ctx_for(state, **kw))  # type: ignore[arg-type]
    return [i.key for i in sorted((i for i in state.issues.values() if plan.matches(i)), key=plan.sort_key)]


def error(jql: str, **kw: object) -> str:
    with pytest.raises(JqlError) as info:
        q = parse(jql)
        compile_query(q, ctx_for(make_state(), **kw))  # type: ignore[arg-type]
    assert len(info.value.messages) == 1
    return info.value.messages[0]


# --- parse / render -------------------------------------------------------------------------------

CANONICAL = [
    'updated >= "2024/01/01 10:00" ORDER BY updated ASC',
    "project IN (A, B) AND updated >= 1700000000000 ORDER BY updated ASC, id ASC",
    'project = "ENG" AND updated > "2024-05-01 09:30" ORDER BY updated ASC, key ASC',
    "assignee = currentUser() ORDER BY key",
    "sprint IN openSprints() AND statusCategory != Done",
    'text ~ "\\"exact phrase\\"" OR summary ~ "win*"',
    "labels IS EMPTY AND resolution = Unresolved",
    "key > ABC-10 AND key <= ABC-20",
    "issuekey IN (ABC-1, ABC-2, 10003)",
    'cf[10020] IN (1, 2) AND "Story Points" >= 3',
    'issue.property["my key"].path.x = 1',
    "NOT (status = Done OR status = \"Won't Do\") AND priority IN (High, Highest)",
    "(a = 1 OR b = 2) AND c = 3",
    "a = 1 OR b = 2 AND c = 3",
    "NOT NOT a = 1",
    "created >= startOfDay(-1d) AND created < endOfWeek(\"+1\")",
    'status WAS "In Progress" BEFORE "2024/01/01" BY admin',
    "status CHANGED FROM \"To Do\" TO Done AFTER -7d",
    "assignee WAS NOT IN (bob, alice)",
    "reporter IN membersOf(\"jira-software-users\")",
    "fixVersion IN unreleasedVersions(ABC) ORDER BY fixVersion DESC, priority DESC, updated",
    "updated >= -15m",
    'updated >= "-1d 2h"',
    "duedate < now() AND duedate IS NOT EMPTY",
    '"Epic Link" = ABC-1',
    "ORDER BY created DESC",
    "",
]


@pytest.mark.parametrize("jql", CANONICAL)
def test_canonical_queries_render_back_identically(jql: str) -> None:
    assert render(parse(jql)) == jql


NORMALISED = [
    ("updated >= '2024/01/01 10:00' order by updated asc", 'updated >= "2024/01/01 10:00" ORDER BY updated ASC'),
    ("project in (A,B) and updated>=1700000000000 order by updated asc,id asc",
     "project IN (A, B) AND updated >= 1700000000000 ORDER BY updated ASC, id ASC"),
    ("project = ABC && (status = Done || status=Open)", "project = ABC AND (status = Done OR status = Open)"),
    ("!(a = b)", "NOT a = b"),
    ("assignee is null", "assignee IS EMPTY"),
    ("assignee   not   in (x)", "assignee NOT IN (x)"),
    ("((a = 1))", "a = 1"),
    ("a = 1 and (b = 2 and c = 3)", "a = 1 AND (b = 2 AND c = 3)"),
    ('summary ~ "say \\"hi\\""', 'summary ~ "say \\"hi\\""'),
    ("labels = 'it''s'", None),  # '' is not an escape in JQL: a syntax error
    ("status = \"\\u0041BC\"", 'status = "ABC"'),
    ("project = ABC\norder by key", "project = ABC ORDER BY key"),
]


@pytest.mark.parametrize(("jql", "canonical"), NORMALISED)
def test_queries_normalise_to_canonical_text(jql: str, canonical: str | None) -> None:
    if canonical is None:
        with pytest.raises(JqlError):
            parse(jql)
        return
    assert render(parse(jql)) == canonical
    assert render(parse(canonical)) == canonical


def test_parse_builds_the_expected_tree() -> None:
    q = parse("a = 1 OR b = 2 AND NOT c = 3 ORDER BY d DESC, e")
    assert type(q) is Query
    assert type(q.where).__name__ == "Or"
    right = q.where.clauses[1]  # type: ignore[union-attr]
    assert type(right).__name__ == "And" and type(right.clauses[1]).__name__ == "Not"
    assert [(t.field.name, t.direction) for t in q.order_by] == [("d", "DESC"), ("e", None)]


# --- syntax errors: Jira's texts, 1-based character positions -------------------------------------

OPS = "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'"
SYNTAX_ERRORS = [
    ("invalid query", f"Error in the JQL Query: Expecting operator but got 'query'. The valid operators are {OPS}. (line 1, character 9)"),
    ("project = ABC foo", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 15)"),
    ("project", f"Error in the JQL Query: Expecting operator before the end of the query. The valid operators are {OPS}."),
    ("project = ", "Error in the JQL Query: Expecting either a value, list or function before the end of the query."),
    ("project = IN", "Error in JQL Query: Expecting either a value, list or function but got 'IN'. You must surround 'IN' in quotation marks to use it as a value. (line 1, character 11)"),
    ("status = End", "Error in the JQL Query: 'End' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 10)"),
    ("updated > 2024/01/01", "Error in the JQL Query: The character '/' is a reserved JQL character. You must enclose it in a string or use the escape '\\u002f' instead. (line 1, character 15)"),
    ("reporter = a@b.com", "Error in the JQL Query: The character '@' is a reserved JQL character. You must enclose it in a string or use the escape '\\u0040' instead. (line 1, character 13)"),
    ('summary ~ "abc', "Error in the JQL Query: The quoted string 'abc' has not been completed. (line 1, character 11)"),
    ("(a = 1", "Error in the JQL Query: Expecting ')' before the end of the query."),
    ("a in (1, 2", "Error in the JQL Query: Expecting ')' before the end of the query."),
    ("a = 1 AND", "Error in the JQL Query: Expecting a field name before the end of the query."),
    ("a = 1\nAND b c", f"Error in the JQL Query: Expecting operator but got 'c'. The valid operators are {OPS}. (line 2, character 7)"),
    ("ORDER BY key sideways", "Error in the JQL Query: Expecting either 'ASC' or 'DESC' but got 'sideways'. (line 1, character 14)"),
    ("= 1", "Error in the JQL Query: Expecting a field name but got '='. You must surround '=' in quotation marks to use it as a field name. (line 1, character 1)"),
]


@pytest.mark.parametrize(("jql", "message"), SYNTAX_ERRORS)
def test_syntax_errors_carry_jiras_message_and_position(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as info:
        parse(jql)
    assert info.value.messages == [message]


VALIDATION_ERRORS = [
    ("bogus = 1", "Field 'bogus' does not exist or you do not have permission to view it."),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ("summary = test", "The operator '=' is not supported by the 'summary' field."),
    ("summary in test", "Operator 'in' does not support the non-list value '\"test\"' for field 'summary'."),
    ("status = Nope", "The value 'Nope' does not exist for the field 'status'."),
    ("assignee = nobody", "The value 'nobody' does not exist for the field 'assignee'."),
    ("key = ABC-99", "An issue with key 'ABC-99' does not exist for field 'key'."),
    ("key = nokey", "The issue key 'nokey' for field 'key' is invalid."),
    ('updated > "2024/13/01"', "Date value '2024/13/01' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."),
    ('updated > "1700000000000"', "Date value '1700000000000' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."),
    ("project ~ ABC", "The operator '~' is not supported by the 'project' field."),
    ("status in nowhere()", "Unable to find JQL function 'nowhere()'."),
    ("status in currentUser()", "The function 'currentUser' is not supported by the 'status' field."),
    ('summary ~ "*foo"', "The text query '*foo' for field 'summary' is not allowed to start with a wildcard."),
    ("project = ABC ORDER BY text", "Field 'text' does not support sorting."),
    ("project = ABC ORDER BY nothing", "Field 'nothing' does not exist or you do not have permission to view it."),
    ("Severity = Medium", "The option 'Medium' for field 'Severity' does not exist."),
]


@pytest.mark.parametrize(("jql", "message"), VALIDATION_ERRORS)
def test_validation_errors_carry_jiras_message(jql: str, message: str) -> None:
    assert error(jql) == message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(JqlError) as info:
        compile_query(parse("project = NOPE AND (bogus = 1 OR status = Nope) ORDER BY text, bogus"), ctx_for(make_state()))
    assert info.value.messages == [
        "The value 'NOPE' does not exist for the field 'project'.",
        "Field 'bogus' does not exist or you do not have permission to view it.",
        "The value 'Nope' does not exist for the field 'status'.",
        "Field 'text' does not support sorting.",
    ]


def test_value_validation_can_be_switched_off() -> None:
    assert keys("project = NOPE OR key = ABC-1", validate_values=False) == ["ABC-1"]


def test_search_jql_rejects_unbounded_queries_and_long_order_by() -> None:
    for jql in ("", "ORDER BY key DESC", "order by updated"):
        with pytest.raises(JqlError) as info:
            check_search_jql(parse(jql))
        assert info.value.messages == [UNBOUNDED]
    check_search_jql(parse("assignee = currentUser() ORDER BY key"))
    with pytest.raises(JqlError):
        check_search_jql(parse("project = ABC ORDER BY a, b, c, d, e, f, g, h"))
    state = make_state()
    assert compile_query(parse("ORDER BY key"), ctx_for(state)).bounded is False
    assert compile_query(parse("project != XYZ"), ctx_for(state)).bounded is True


# --- time zones and minute precision --------------------------------------------------------------


def stamped(*updates: str) -> State:
    s = make_state()
    s.issues.clear()
    s.keys.clear()
    for n, when in enumerate(updates, 1):
        s.put_issue(make_issue(10000 + n, f"ABC-{n}", updated=ms(when), created=ms("2024-01-01 00:00")))
    return s


def test_literals_are_read_in_the_callers_zone_not_utc() -> None:
    # 2024-03-10 09:30Z is 01:30 PST in Los Angeles; 2024-03-10 10:30Z is 03:30 PDT (after the jump)
    s = stamped("2024-03-10 09:30", "2024-03-10 10:30")
    assert keys('updated >= "2024-03-10 03:00"', s, tz=LA) == ["ABC-2"]  # 03:00 PDT = 10:00Z
    assert keys('updated >= "2024-03-10 03:00"', s, tz="UTC") == ["ABC-2", "ABC-1"]
    assert keys('updated < "2024/03/10 02:00"', s, tz=LA) == ["ABC-1"]  # 02:00 does not exist: 03:00 PDT
    # 02:30 does not exist either: it moves forward to 03:30 PDT = 10:30Z, ABC-2's instant
    assert keys('updated >= "2024/03/10 02:30"', s, tz=LA) == ["ABC-2"]
    assert keys('updated > "2024/03/10 02:30"', s, tz=LA) == []


def test_gap_and_overlap_times_follow_javas_lenient_calendar() -> None:
    s = stamped("2024-03-10 10:30", "2024-11-03 08:30", "2024-11-03 09:30")
    # 02:30 on the spring-forward day is 03:30 PDT = 10:30Z
    assert keys('updated = "2024-03-10 02:30"', s, tz=LA) == ["ABC-1"]
    # 01:30 on the fall-back day happens twice; the first (PDT, 08:30Z) is meant
    assert keys('updated = "2024-11-03 01:30"', s, tz=LA) == ["ABC-2"]
    assert keys('updated > "2024-11-03 01:30"', s, tz=LA) == ["ABC-3"]


def test_date_only_literals_mean_midnight_in_the_callers_zone_across_dst() -> None:
    s = stamped("2024-03-10 07:59", "2024-03-10 08:00", "2024-03-11 06:59", "2024-03-11 07:00")
    # midnight 2024-03-10 in LA is 08:00Z (PST); midnight 2024-03-11 is 07:00Z (PDT)
    assert keys('updated >= "2024-03-10" AND updated < "2024-03-11"', s, tz=LA) == ["ABC-3", "ABC-2"]
    assert keys('updated >= "2024-03-10" AND updated < "2024-03-11"', s, tz="UTC") == ["ABC-2", "ABC-1"]


@pytest.mark.parametrize(
    ("op", "at_00_000", "at_00_030", "at_59_999"),
    [
        (">=", True, True, False),
        (">", False, True, False),
        ("<=", True, False, True),
        ("<", False, False, True),
        ("=", True, False, False),
        ("!=", False, True, True),
    ],
)
def test_minute_precision_at_the_boundary(op: str, at_00_000: bool, at_00_030: bool, at_59_999: bool) -> None:
    # LA is UTC-8 in January: 10:00 local = 18:00Z
    s = stamped("2024-01-15 18:00:00.000", "2024-01-15 18:00:30.000", "2024-01-15 17:59:59.999")
    found = set(keys(f'updated {op} "2024-01-15 10:00"', s, tz=LA))
    assert ("ABC-1" in found, "ABC-2" in found, "ABC-3" in found) == (at_00_000, at_00_030, at_59_999)


def test_a_watermark_truncated_to_the_minute_with_ge_never_misses_an_update() -> None:
    s = stamped("2024-01-15 18:00:30.500")
    watermark = "2024/01/15 10:00"  # the update's minute, in the caller's zone
    assert keys(f'updated >= "{watermark}"', s, tz=LA) == ["ABC-1"]
    assert keys(f'updated > "{watermark}"', s, tz=LA) == ["ABC-1"]  # seconds are not cut off the issue


def test_epoch_millis_and_relative_periods() -> None:
    s = stamped("2024-03-12 17:50", "2024-03-12 17:40", "2024-03-11 15:00")
    epoch = ms("2024-03-12 17:40")
    assert keys(f"updated >= {epoch}", s, tz=LA) == ["ABC-2", "ABC-1"]
    assert keys(f"updated > {epoch}", s, tz="Asia/Kolkata") == ["ABC-1"]  # a UTC instant: zone irrelevant
    assert keys('updated >= "-15m"', s) == ["ABC-1"]
    assert keys("updated >= -20m", s) == ["ABC-2", "ABC-1"]
    assert keys('updated >= "-1d 3h"', s) == ["ABC-3", "ABC-2", "ABC-1"]
    assert keys('updated >= "-1d 2h"', s) == ["ABC-2", "ABC-1"]
    assert keys('updated < "-1w"', s) == []


def test_start_and_end_functions_use_the_callers_zone() -> None:
    # NOW is 2024-03-12 18:00Z = 11:00 PDT (LA) = 23:30 IST (Kolkata)
    s = stamped("2024-03-12 06:59", "2024-03-12 07:00", "2024-03-11 07:00", "2024-03-12 18:31")
    assert keys("updated >= startOfDay()", s, tz=LA) == ["ABC-4", "ABC-2"]
    assert keys("updated >= startOfDay(-1d) AND updated < startOfDay()", s, tz=LA) == ["ABC-3", "ABC-1"]
    assert keys("updated > endOfDay()", s, tz="Asia/Kolkata") == ["ABC-4"]  # 18:31Z is past midnight IST
    assert keys("updated >= startOfMonth() AND updated <= endOfMonth()", s, tz=LA) == ["ABC-4", "ABC-3", "ABC-2", "ABC-1"]
    assert keys("updated >= startOfWeek()", s, tz=LA) == ["ABC-4", "ABC-3", "ABC-2", "ABC-1"]  # week starts Sun 10th
    assert keys("updated < startOfYear()", s, tz=LA) == []
    assert keys("updated <= now()", s, tz=LA) == ["ABC-3", "ABC-2", "ABC-1"]


def test_due_dates_compare_as_days_in_the_callers_zone() -> None:
    assert keys('duedate = "2024-03-12"') == ["ABC-2"]
    assert keys('duedate <= "2024/03/12 00:00"') == ["ABC-2"]
    assert keys("duedate < now()") == []  # due today is not overdue: days are compared
    assert keys("duedate <= now()") == ["ABC-2"]
    assert keys('duedate = "2024-03-12 23:30"') == ["ABC-2"]  # the literal's day
    assert keys('duedate >= "-1d" AND duedate <= "1d"') == ["ABC-2"]
    assert keys('duedate = "2024-03-12"', tz="Asia/Kolkata") == ["ABC-2"]
    assert keys('duedate > "2024-03-12"') == []
    assert keys("due IS EMPTY ORDER BY key") == ["ABC-1", "ABC-10", "XYZ-1"]


# --- evaluation over the hand-built state ---------------------------------------------------------

EVALUATION = [
    ("project = ABC", ["ABC-10", "ABC-2", "ABC-1"]),
    ("project = 10001", ["XYZ-1"]),
    ('project = "alpha beta"', ["ABC-10", "ABC-2", "ABC-1"]),
    ("project = OLD", ["ABC-10", "ABC-2", "ABC-1"]),  # a previous key still resolves
    ("project != ABC", ["XYZ-1"]),
    ("key = abc-2", ["ABC-2"]),
    ("issuekey IN (ABC-1, 10003)", ["XYZ-1", "ABC-1"]),
    ("key = OLD-7", ["ABC-10"]),
    ("key > ABC-1 AND key <= ABC-10", ["ABC-10", "ABC-2"]),
    ("key < ABC-10 ORDER BY key", ["ABC-1", "ABC-2"]),
    ("id > 10001 ORDER BY id ASC", ["ABC-10", "XYZ-1"]),
    ("labels = BACKEND", ["ABC-2", "ABC-1"]),
    ("labels IN (sync, nope)", ["ABC-1"]),
    ("labels != sync", ["ABC-2"]),  # != never matches EMPTY
    ("labels NOT IN (sync)", ["ABC-2"]),
    ("labels IS EMPTY", ["XYZ-1", "ABC-10"]),
    ("labels IN (EMPTY, sync)", ["XYZ-1", "ABC-10", "ABC-1"]),
    ('status = "in progress"', ["ABC-10"]),
    ("status IN (3, Done)", ["ABC-10", "ABC-2"]),
    ("statusCategory = done", ["ABC-2"]),
    ('statusCategory != "To Do"', ["ABC-10", "ABC-2"]),
    ("resolution = Unresolved", ["XYZ-1", "ABC-10", "ABC-1"]),
    ("resolution IS NOT EMPTY", ["ABC-2"]),
    ("issuetype = Epic", ["ABC-1"]),
    ("type IN standardIssueTypes()", ["XYZ-1", "ABC-10", "ABC-2", "ABC-1"]),
    ("priority IN (High, Highest)", ["XYZ-1", "ABC-1"]),
    ("assignee = currentUser()", ["ABC-1"]),
    ("assignee = bob", ["ABC-2"]),
    ('assignee = "bob@example.com"', ["ABC-2"]),
    ('assignee = "557058:bob"', ["ABC-2"]),
    ("assignee != bob", ["ABC-1"]),
    ("assignee IS EMPTY", ["XYZ-1", "ABC-10"]),
    ("assignee IN membersOf(developers)", ["ABC-2"]),
    ("reporter = currentUser() AND creator = admin", ["XYZ-1", "ABC-10", "ABC-2", "ABC-1"]),
    ("parent = ABC-1", ["ABC-2"]),
    ("component = backend", ["ABC-2"]),
    ("fixVersion = 1.0", ["ABC-2"]),
    ("fixVersion IN releasedVersions()", ["ABC-2"]),
    ("fixVersion IN unreleasedVersions(ABC)", []),
    ("sprint IN openSprints()", ["ABC-2", "ABC-1"]),
    ("sprint IN closedSprints()", ["ABC-1"]),
    ("sprint IN futureSprints()", ["ABC-10"]),
    ('sprint = "ABC Sprint 1"', ["ABC-1"]),
    ("cf[10020] = 3", ["ABC-10"]),
    ("sprint IS EMPTY", ["XYZ-1"]),
    ('"Story Points" > 3', ["ABC-1"]),
    ("cf[10016] <= 3", ["ABC-2"]),
    ('"story points" IS EMPTY', ["XYZ-1", "ABC-10"]),
    ("Severity = Critical", ["ABC-2"]),
    ("summary ~ crash", ["ABC-2"]),
    ('summary ~ "importing crash"', ["ABC-2"]),  # every word, any order; stems (importing ~ import)
    ('summary ~ "\\"crash when\\""', ["ABC-2"]),
    ('summary ~ "\\"when crash\\""', []),
    ('summary ~ "win*"', ["ABC-10"]),
    ("summary ~ win", ["ABC-10"]),  # winning -> win
    ('summary ~ "crash -importing"', []),
    ("summary !~ crash", ["XYZ-1", "ABC-10", "ABC-1"]),
    ("description ~ release", ["ABC-2"]),
    ("description ~ timeout", ["ABC-10"]),  # ADF text
    ("text ~ flaky", ["ABC-10"]),
    ("text ~ document", ["XYZ-1"]),
    ("description IS EMPTY", ["XYZ-1", "ABC-1"]),
    ("project = ABC AND (labels = sync OR priority = Lowest)", ["ABC-10", "ABC-1"]),
    ("project = XYZ OR labels = sync AND priority = Highest", ["XYZ-1", "ABC-1"]),
    ("(project = XYZ OR labels = sync) AND priority = Highest", ["ABC-1"]),
    ("NOT project = ABC", ["XYZ-1"]),
    # NOT is pushed down as Jira does: NOT labels = backend is labels != backend, never EMPTY
    ("NOT (project = ABC AND labels = backend)", ["XYZ-1"]),
    ("NOT labels = backend", []),  # both labelled issues carry backend
    ("NOT assignee = bob", ["ABC-1"]),
    ("NOT (assignee = bob OR assignee IS EMPTY)", ["ABC-1"]),
    ("NOT NOT labels = sync", ["ABC-1"]),
    ("NOT NOT NOT labels = sync", ["ABC-2"]),
    ("NOT duedate < now()", ["ABC-2"]),
    ("NOT description ~ crashed", ["ABC-10"]),
    ("description !~ crashed", ["ABC-10"]),
    ("! labels IS EMPTY", ["ABC-2", "ABC-1"]),
]


@pytest.mark.parametrize(("jql", "expected"), EVALUATION)
def test_evaluation(jql: str, expected: list[str]) -> None:
    assert keys(jql) == expected


def test_user_literals_follow_the_flavour() -> None:
    assert keys("assignee = bob", flavor="datacenter") == ["ABC-2"]
    assert keys('assignee = "Bob Builder"', flavor="cloud") == ["ABC-2"]
    assert keys('assignee = "557058:bob" AND reporter = "admin@example.com"', flavor="cloud") == ["ABC-2"]
    assert error("assignee = bob", flavor="cloud") == "The value 'bob' does not exist for the field 'assignee'."
    state = make_state()
    state.users[BOB].email_visible = False
    with pytest.raises(JqlError):
        compile_query(parse('assignee = "bob@example.com"'), ctx_for(state, flavor="cloud"))


def test_anonymous_current_user_matches_nothing() -> None:
    assert keys("assignee = currentUser()", user=None) == []


def test_can_see_hides_issues_and_their_keys() -> None:
    state = make_state()
    ctx = ctx_for(state, can_see=lambda i: i.project_id != 10001)
    plan = compile_query(parse("priority IS NOT EMPTY"), ctx)
    assert sorted(i.key for i in state.issues.values() if plan.matches(i)) == ["ABC-1", "ABC-10", "ABC-2"]
    with pytest.raises(JqlError) as info:
        compile_query(parse("key = XYZ-1"), ctx)
    assert info.value.messages == ["An issue with key 'XYZ-1' does not exist for field 'key'."]


def test_match_issue_convenience() -> None:
    state = make_state()
    issue = state.issues[10001]
    assert match_issue("labels = backend AND status = Done", issue, ctx_for(state))
    assert not match_issue("labels = sync", issue, ctx_for(state))


def test_plan_restrictions_for_fast_paths() -> None:
    state = make_state()

    def plan(jql: str) -> tuple[set[int] | None, set[int] | None]:
        p = compile_query(parse(jql), ctx_for(state))
        return p.project_ids, p.issue_ids

    assert plan("project = ABC AND updated > -1d") == ({10000}, None)
    assert plan("project IN (ABC, XYZ) AND project = XYZ") == ({10001}, None)
    assert plan("project = ABC OR project = XYZ") == ({10000, 10001}, None)
    assert plan("project = ABC OR labels = x") == (None, None)
    assert plan("NOT project = ABC") == (None, None)
    assert plan("key IN (ABC-1, ABC-2) ORDER BY key") == (None, {10000, 10001})
    assert plan("updated > -1d") == (None, None)
    assert plan("key > ABC-1 ORDER BY key") == ({10000}, None)
    assert plan("id > 10001") == (None, None)


# --- ORDER BY -------------------------------------------------------------------------------------


def test_order_by_with_empty_values_last_ascending_first_descending() -> None:
    assert keys("project = ABC ORDER BY duedate ASC, key ASC") == ["ABC-2", "ABC-1", "ABC-10"]
    assert keys("project = ABC ORDER BY duedate DESC, key ASC") == ["ABC-1", "ABC-10", "ABC-2"]
    assert keys('project = ABC ORDER BY "Story Points" DESC') == ["ABC-10", "ABC-1", "ABC-2"]


def test_order_by_several_fields_and_defaults() -> None:
    assert keys("priority IS NOT EMPTY ORDER BY priority DESC") == ["ABC-1", "XYZ-1", "ABC-2", "ABC-10"]
    assert keys("priority IS NOT EMPTY ORDER BY priority") == ["ABC-10", "ABC-2", "XYZ-1", "ABC-1"]
    assert keys("priority IS NOT EMPTY") == ["XYZ-1", "ABC-10", "ABC-2", "ABC-1"]  # key DESC by default
    assert keys("project = ABC ORDER BY key") == ["ABC-1", "ABC-2", "ABC-10"]  # numeric, not textual
    assert keys("project IS NOT EMPTY ORDER BY updated DESC, key DESC") == ["XYZ-1", "ABC-10", "ABC-2", "ABC-1"]
    assert keys("project IS NOT EMPTY ORDER BY status, summary") == ["XYZ-1", "ABC-1", "ABC-10", "ABC-2"]
    assert keys("project = ABC ORDER BY assignee DESC") == ["ABC-10", "ABC-1", "ABC-2"]


def test_updates_on_the_same_instant_keep_a_stable_order() -> None:
    s = stamped("2024-01-15 18:00", "2024-01-15 18:00", "2024-01-15 18:00")
    assert keys("updated >= 0 ORDER BY updated ASC", s) == ["ABC-1", "ABC-2", "ABC-3"]


# --- WAS / CHANGED --------------------------------------------------------------------------------


def with_history() -> State:
    s = make_state()
    issue = s.issues[10002]  # ABC-10, now In Progress
    moves = (
        History(1, BOB, ms("2024-02-01 12:00"), (ChangeItem("status", "jira", "status", "10000", "To Do", "3", "In Progress"),)),
        History(2, ADMIN, ms("2024-02-05 12:00"), (ChangeItem("status", "jira", "status", "3", "In Progress", "10002", "Done"),)),
        History(3, ADMIN, ms("2024-02-09 12:00"), (ChangeItem("status", "jira", "status", "10002", "Done", "3", "In Progress"),)),
    )
    s.put_issue(replace(issue, histories=moves))
    return s


def test_was_and_changed_read_the_histories() -> None:
    s = with_history()
    assert keys("status WAS Done", s) == ["ABC-10", "ABC-2"]  # ABC-2 has been Done since it was created
    assert keys('status WAS "To Do"', s) == ["XYZ-1", "ABC-10", "ABC-1"]
    assert keys("status WAS NOT Done AND project = ABC", s) == ["ABC-1"]
    assert keys('status WAS Done BEFORE "2024-02-04"', s) == ["ABC-2"]
    assert keys('status WAS Done ON "2024-02-07"', s) == ["ABC-10", "ABC-2"]
    assert keys('status WAS Done DURING ("2024-02-10", "2024-02-20")', s) == ["ABC-2"]
    assert keys("status WAS \"In Progress\" BY bob", s) == ["ABC-10"]
    assert keys("status CHANGED FROM Done TO \"In Progress\"", s) == ["ABC-10"]
    assert keys('status CHANGED AFTER "2024-02-06" BY admin', s) == ["ABC-10"]
    assert keys('status CHANGED AFTER "2024-02-10"', s) == []
    assert keys("NOT status CHANGED AND project = ABC", s) == ["ABC-2", "ABC-1"]  # no inverse: a complement
    assert keys("NOT (status CHANGED OR labels = sync)", s) == ["ABC-2"]
    assert error("summary WAS x") == "The operator 'was' is not supported by the 'summary' field."


# --- the generated data (no HTTP) -----------------------------------------------------------------


def test_queries_over_generated_data_agree_with_a_direct_reading() -> None:
    from jiraemu.backend import Backend
    from jiraemu.config import EmuConfig

    backend = Backend(EmuConfig(projects=3, issues=300, users=12, seed=11))
    state, now = backend.state, backend.now_ms()
    admin = next(u for u in state.users.values() if u.name == "admin")
    ctx = JqlContext(state, admin, now, admin.time_zone, state.site.site_timezone)
    issues = list(state.issues.values())

    def run(jql: str) -> list[Issue]:
        plan = compile_query(parse(jql), ctx)
        return sorted((i for i in issues if plan.matches(i)), key=plan.sort_key)

    project = next(iter(state.projects.values()))
    assert {i.id for i in run(f"project = {project.key}")} == {i.id for i in issues if i.project_id == project.id}
    recent = run("updated >= -15m ORDER BY updated ASC, id ASC")
    assert [i.id for i in recent] == [i.id for i in sorted((i for i in issues if i.updated >= now - 900_000), key=lambda i: (i.updated, i.id))]
    done = {s.id for s in state.statuses.values() if state.status_categories[s.category_id].key == "done"}
    assert {i.id for i in run("statusCategory = Done")} == {i.id for i in issues if i.status_id in done}
    assert {i.id for i in run("resolution = Unresolved")} == {i.id for i in issues if i.resolution_id is None}
    sprint_field = state.field_by_kind("sprint")
    if sprint_field is not None:
        active = {s.id for s in state.sprints.values() if s.state == "active"}
        expected = {i.id for i in issues if set(i.custom_value(sprint_field.id) or ()) & active}
        assert {i.id for i in run("sprint IN openSprints()")} == expected
        assert {i.id for i in run(f"cf[{sprint_field.id.split('_')[1]}] IN openSprints()")} == expected
    one = issues[len(issues) // 2]
    assert [i.key for i in run(f"key = {one.key}")] == [one.key]
    # a minute-truncated watermark in the caller's zone finds the issue it came from
    local = datetime.fromtimestamp(one.updated / 1000, tz=UTC).astimezone(__import__("zoneinfo").ZoneInfo(admin.time_zone))
    assert one.key in {i.key for i in run(f'updated >= "{local:%Y/%m/%d %H:%M}"')}
    assert one.key not in {i.key for i in run(f'updated < "{local:%Y/%m/%d %H:%M}"')}


def test_datacenter_names_and_epic_link_over_generated_data() -> None:
    from jiraemu.backend import Backend
    from jiraemu.config import EmuConfig

    state = Backend(EmuConfig(flavor="datacenter", projects=2, issues=200, users=10, seed=5)).state
    admin = next(u for u in state.users.values() if u.name == "admin")
    ctx = JqlContext(state, admin, 0, "", state.site.site_timezone)  # no profile zone: the site's
    assert ctx.tz == state.site.site_timezone
    issues = list(state.issues.values())
    epic_type = next(t.id for t in state.issue_types.values() if t.hierarchy_level == 1)
    epics = {i.id: i for i in issues if i.issuetype_id == epic_type}
    child = next((i for i in issues if i.parent_id in epics), None)
    if child is not None and state.field_by_kind("epiclink") is not None:
        epic = epics[child.parent_id]  # type: ignore[index]
        plan = compile_query(parse(f'"Epic Link" = {epic.key}'), ctx)
        assert child.id in {i.id for i in issues if plan.matches(i)}
    someone = next(i for i in issues if i.assignee_id)
    user = state.users[someone.assignee_id]  # type: ignore[index]
    plan = compile_query(parse(f"assignee = {user.name}"), ctx)
    assert {i.id for i in issues if plan.matches(i)} == {i.id for i in issues if i.assignee_id == user.account_id}
