"""JQL fields: what an issue holds for each clause name, how literals resolve, how it sorts.

Every field is a ``Handler``: ``values(issue)`` gives the normalised values (an empty tuple is
EMPTY), ``resolve(value)`` turns a literal into the same normalised values (raising Jira's
"does not exist" error when ``validate_values`` is on), ``function(fn)`` does the same for a JQL
function, ``sort_value(issue)`` is the ORDER BY key (None sorts as EMPTY). The operators a field
accepts follow Jira: text fields only ``~``/``!~``, dates and numbers also ``< <= > >=``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any

from jiraemu.search.jql import dates, text
from jiraemu.search.jql.parser import Function, Value
from jiraemu.search.jql.tokens import JqlError
from jiraemu.state import Doc, FieldDef, Issue, State, User

EQ = frozenset({"=", "!=", "in", "not in", "is", "is not"})
HISTORY = frozenset({"was", "was not", "was in", "was not in", "changed"})
ORDERED = EQ | {"<", "<=", ">", ">="}
TEXT = frozenset({"~", "!~", "is", "is not"})
KEY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")


@dataclass
class JqlContext:
    """Who asks and when: literals are read in ``tz``, the caller's profile time zone."""

    state: State
    user: User | None
    now_ms: int
    tz: str
    site_tz: str = "UTC"
    can_see: Callable[[Issue], bool] | None = None
    validate_values: bool = True
    flavor: str | None = None  # "cloud" | "datacenter": which user identifiers JQL accepts (None: all)

    def __post_init__(self) -> None:
        if not self.tz:  # a user without a profile zone gets the instance default, as in Jira
            self.tz = self.site_tz


def not_exist(value: str, field_name: str) -> JqlError:
    return JqlError(f"The value '{value}' does not exist for the field '{field_name}'.")


# Jira's built-in JQL functions (lower case); names outside this set are "Unable to find".
JIRA_FUNCTIONS = frozenset(
    """approved approver breached cascadeoption closedsprints completed componentsleadbyuser currentlogin
    currentuser earliestunreleasedversion elapsed endofday endofmonth endofweek endofyear everbreached
    futuresprints issuehistory issueswithremotelinksbyglobalid lastlogin latestreleasedversion
    linkedissues membersof myapproval mypending now opensprints paused pending pendingby
    projectsleadbyuser projectswhereuserhaspermission projectswhereuserhasrole releasedversions remaining
    running standardissuetypes startofday startofmonth startofweek startofyear subtaskissuetypes
    unreleasedversions updatedby votedissues watchedissues withincalendarhours""".split()  # noqa: SIM905
)


def unknown_function(fn: Function) -> JqlError:
    return JqlError(f"Unable to find JQL function '{fn.name}()'.")


def positions(items: dict[str, Any]) -> dict[str, int]:
    """Jira sorts statuses, priorities and resolutions by their configured order."""
    return {key: n for n, key in enumerate(items)}


class Handler:
    operators: frozenset[str] = EQ
    sortable = True
    # single-valued fields: the value or None, read directly (the fast path of compiled clauses)
    scalar: Callable[[Issue], Any] | None = None
    # changelog item field name, for WAS/CHANGED (single-valued fields only: a multi-valued
    # history is not a timeline of single values, so those answer "operator not supported")
    history_field: str | None = None

    def __init__(self, name: str, ctx: JqlContext) -> None:
        self.name = name
        self.ctx = ctx
        self.state = ctx.state

    def values(self, issue: Issue) -> tuple[Any, ...]:
        raise NotImplementedError

    def resolve(self, value: Value) -> list[Any]:
        return [value.text]

    def function(self, fn: Function) -> list[Any]:
        if fn.name.lower() not in JIRA_FUNCTIONS:
            raise unknown_function(fn)
        raise JqlError(f"The function '{fn.name}' is not supported by the '{self.name}' field.")

    def sort_value(self, issue: Issue) -> Any:
        vals = self.values(issue)
        return min(vals) if vals else None

    def history_value(self, raw: str | None) -> Any:
        """A changelog ``from``/``to`` in this field's normalised form."""
        return raw

    def missing(self, value: Value) -> list[Any]:
        if self.ctx.validate_values:
            raise not_exist(value.text, self.name)
        return []


# --- lookups by id or name ------------------------------------------------------------------------


def by_id_or_name(value: Value, items: dict[str, Any], name_of: Callable[[Any], str]) -> list[str]:
    if value.text in items:
        return [value.text]
    wanted = value.text.strip().lower()
    return [k for k, item in items.items() if name_of(item).lower() == wanted]


class ProjectHandler(Handler):
    scalar = staticmethod(attrgetter("project_id"))

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return (issue.project_id,)

    def resolve(self, value: Value) -> list[Any]:
        p = self.state.project_by_key_or_id(value.text)
        if p is None:
            wanted = value.text.lower()
            found = [q.id for q in self.state.projects.values() if q.name.lower() == wanted and not q.deleted]
            return found or self.missing(value)
        return [p.id]

    def sort_value(self, issue: Issue) -> Any:
        p = self.state.projects.get(issue.project_id)
        return p.name.lower() if p else None


@lru_cache(maxsize=300_000)
def key_parts(key: str) -> tuple[str, int] | None:
    m = KEY_RE.match(key)
    return (m.group(1).upper(), int(m.group(2))) if m else None


class KeyHandler(Handler):
    """``key``/``issuekey``/``id``/``issue``: values are issue ids; ``>``/``<`` order by key number
    within the key's project, or by id for a numeric operand."""

    operators = ORDERED

    scalar = staticmethod(attrgetter("id"))

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return (issue.id,)

    def resolve(self, value: Value) -> list[Any]:
        if value.text.isdigit():
            issue = self.state.issues.get(int(value.text))
        else:
            if key_parts(value.text) is None:
                raise JqlError(f"The issue key '{value.text}' for field '{self.name}' is invalid.")
            issue = self.state.issue_by_key_or_id(value.text)
        if issue is None or (self.ctx.can_see is not None and not self.ctx.can_see(issue)):
            if self.ctx.validate_values:
                raise JqlError(f"An issue with key '{value.text}' does not exist for field '{self.name}'.")
            return []
        return [issue.id]

    def function(self, fn: Function) -> list[Any]:
        if fn.name.lower() == "linkedissues" and fn.args:
            ids = self.resolve(fn.args[0])
            links = self.state.links.values()
            out = [lk.outward_issue_id for lk in links if lk.inward_issue_id in ids]
            return out + [lk.inward_issue_id for lk in links if lk.outward_issue_id in ids]
        return super().function(fn)

    def sort_value(self, issue: Issue) -> Any:
        if self.name.lower() == "id":  # ORDER BY id: the numeric id; key/issuekey: project, then number
            return issue.id
        parts = key_parts(issue.key)
        return parts if parts else (issue.key, 0)

    def relational(self, value: Value) -> Callable[[Issue], Any] | None:
        """For ``key > ABC-10``: compare (project, number) within ABC; numbers compare ids."""
        if value.text.isdigit():
            return lambda issue: issue.id
        parts = key_parts(value.text)
        if parts is None:
            raise JqlError(f"The issue key '{value.text}' for field '{self.name}' is invalid.")
        project = self.state.project_by_key_or_id(parts[0])
        if project is None:
            if self.ctx.validate_values:
                raise JqlError(f"An issue with key '{value.text}' does not exist for field '{self.name}'.")
            return None
        pid = project.id

        def number(issue: Issue) -> Any:
            if issue.project_id != pid:
                return None
            p = key_parts(issue.key)
            return p[1] if p else None

        return number


class DateTimeHandler(Handler):
    operators = ORDERED

    def __init__(self, name: str, ctx: JqlContext, get: Callable[[Issue], int | None], history: str | None = None) -> None:
        super().__init__(name, ctx)
        self.get = get
        self.scalar = get
        self.history_field = history

    def values(self, issue: Issue) -> tuple[Any, ...]:
        v = self.get(issue)
        return () if v is None else (v,)

    def resolve(self, value: Value) -> list[Any]:
        ms = dates.literal_ms(value.text, value.quoted, self.ctx.tz, self.ctx.now_ms)
        if ms is None:
            raise JqlError(dates.invalid_date(value.text, self.name))
        return [ms]

    def function(self, fn: Function) -> list[Any]:
        ms = date_function(fn, self.ctx)
        if ms is None:
            return super().function(fn)
        return [ms]


def date_function(fn: Function, ctx: JqlContext) -> int | None:
    name = fn.name.lower()
    if name in ("now", "currentlogin", "lastlogin"):
        return ctx.now_ms
    m = re.fullmatch(r"(start|end)of(day|week|month|year)", name)
    if not m:
        return None
    increment = fn.args[0].text if fn.args else None
    ms = dates.boundary_ms(m.group(2), m.group(1) == "end", increment, ctx.tz, ctx.now_ms)
    if ms is None:
        raise JqlError(f"Invalid date increment '{increment}' for function '{fn.name}'.")
    return ms


class DateHandler(DateTimeHandler):
    """A date-only field (``duedate``, date custom fields) compares whole days, like Jira's local-date
    support: the value and every literal or function are taken as their day in the caller's zone
    (midnight), so ``duedate = "2024-01-05 15:00"`` matches a due date of the 5th and
    ``duedate < now()`` means "due before today" (due today is not overdue)."""

    def __init__(self, name: str, ctx: JqlContext, get_date: Callable[[Issue], str | None]) -> None:
        def get(issue: Issue) -> int | None:
            d = get_date(issue)
            return dates.date_to_ms(d, ctx.tz) if d else None

        super().__init__(name, ctx, get)

    def _day(self, instants: list[Any]) -> list[Any]:
        return [dates.local_midnight_ms(ms, self.ctx.tz) for ms in instants]

    def resolve(self, value: Value) -> list[Any]:
        return self._day(super().resolve(value))

    def function(self, fn: Function) -> list[Any]:
        return self._day(super().function(fn))


class TextHandler(Handler):
    operators = TEXT

    def __init__(self, name: str, ctx: JqlContext, parts: Callable[[Issue], list[Doc | str | None]], sortable: bool) -> None:
        super().__init__(name, ctx)
        self.parts = parts
        self.sortable = sortable

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return tuple(p for p in self.parts(issue) if p)

    def words(self, issue: Issue) -> list[text.Words]:
        words_of = text.CACHE.words_of
        return [words_of(part) for part in self.parts(issue) if part]

    def sort_value(self, issue: Issue) -> Any:
        first = next(iter(self.parts(issue)), None)
        return first.lower() if isinstance(first, str) else None


class LabelsHandler(Handler):
    def values(self, issue: Issue) -> tuple[Any, ...]:
        return tuple(label.lower() for label in issue.labels)

    def resolve(self, value: Value) -> list[Any]:
        return [value.text.lower()]

    def history_value(self, raw: str | None) -> Any:
        return raw.lower() if raw else raw

    def sort_value(self, issue: Issue) -> Any:
        return " ".join(sorted(self.values(issue))) or None


class StatusHandler(Handler):
    history_field = "status"

    scalar = staticmethod(attrgetter("status_id"))

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return (issue.status_id,)

    def resolve(self, value: Value) -> list[Any]:
        return by_id_or_name(value, self.state.statuses, lambda s: s.name) or self.missing(value)

    def sort_value(self, issue: Issue) -> Any:
        if not hasattr(self, "order"):
            self.order = positions(self.state.statuses)
        return self.order.get(issue.status_id)


class StatusCategoryHandler(Handler):
    def values(self, issue: Issue) -> tuple[Any, ...]:
        status = self.state.statuses.get(issue.status_id)
        return (status.category_id,) if status else ()

    def resolve(self, value: Value) -> list[Any]:
        cats = self.state.status_categories
        if value.text.isdigit() and int(value.text) in cats:
            return [int(value.text)]
        wanted = value.text.lower()
        found = [c.id for c in cats.values() if wanted in (c.name.lower(), c.key.lower())]
        return found or self.missing(value)


class IssueTypeHandler(Handler):
    scalar = staticmethod(attrgetter("issuetype_id"))

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return (issue.issuetype_id,)

    def resolve(self, value: Value) -> list[Any]:
        return by_id_or_name(value, self.state.issue_types, lambda t: t.name) or self.missing(value)

    def function(self, fn: Function) -> list[Any]:
        name = fn.name.lower()
        if name in ("standardissuetypes", "subtaskissuetypes"):
            want_sub = name == "subtaskissuetypes"
            return [t.id for t in self.state.issue_types.values() if t.subtask == want_sub]
        return super().function(fn)

    def sort_value(self, issue: Issue) -> Any:
        t = self.state.issue_types.get(issue.issuetype_id)
        return t.name.lower() if t else None


class PriorityHandler(Handler):
    history_field = "priority"

    scalar = staticmethod(attrgetter("priority_id"))

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return (issue.priority_id,) if issue.priority_id else ()

    def resolve(self, value: Value) -> list[Any]:
        return by_id_or_name(value, self.state.priorities, lambda p: p.name) or self.missing(value)

    def sort_value(self, issue: Issue) -> Any:
        # ascending = least important first; priorities are listed Highest .. Lowest
        if not hasattr(self, "order"):
            self.order = positions(self.state.priorities)
        n = self.order.get(issue.priority_id or "")
        return None if n is None else -n


class ResolutionHandler(Handler):
    history_field = "resolution"

    scalar = staticmethod(attrgetter("resolution_id"))

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return (issue.resolution_id,) if issue.resolution_id else ()

    def resolve(self, value: Value) -> list[Any]:
        found = by_id_or_name(value, self.state.resolutions, lambda r: r.name)
        if not found and value.text.lower() == "unresolved":
            return [EMPTY_MARK]
        return found or self.missing(value)

    def sort_value(self, issue: Issue) -> Any:
        if not hasattr(self, "order"):
            self.order = positions(self.state.resolutions)
        return self.order.get(issue.resolution_id or "")


EMPTY_MARK = object()  # a resolved operand meaning EMPTY (``resolution = Unresolved``)


class UserIndex:
    """How a JQL user literal finds a user: Cloud knows account ids, visible emails and display
    names (usernames are gone since the GDPR changes); Data Center knows usernames, user keys, emails
    and full names. With no flavour given, every form is accepted."""

    def __init__(self, state: State, flavor: str | None) -> None:
        self.by: dict[str, str] = {}
        for u in state.users.values():
            forms = [u.display_name, u.account_id]
            if u.email_visible or flavor != "cloud":  # a hidden email finds nobody on Cloud
                forms.append(u.email)
            if flavor != "cloud":
                forms += [u.name, u.key]
            for form in forms:
                if form:
                    self.by.setdefault(form.lower(), u.account_id)


class UserHandler(Handler):
    def __init__(self, name: str, ctx: JqlContext, get: Callable[[Issue], str | None], history: str | None = None) -> None:
        super().__init__(name, ctx)
        self.get = get
        self.scalar = get
        self.history_field = history
        self._index: UserIndex | None = None

    def values(self, issue: Issue) -> tuple[Any, ...]:
        v = self.get(issue)
        return (v,) if v else ()

    def resolve(self, value: Value) -> list[Any]:
        if value.text in self.state.users:
            return [value.text]
        if self._index is None:
            self._index = UserIndex(self.state, self.ctx.flavor)
        found = self._index.by.get(value.text.lower())
        return [found] if found else self.missing(value)

    def function(self, fn: Function) -> list[Any]:
        return user_function(fn, self.ctx) if fn.name.lower() in ("currentuser", "membersof") else super().function(fn)

    def sort_value(self, issue: Issue) -> Any:
        v = self.get(issue)
        user = self.state.users.get(v) if v else None
        return user.display_name.lower() if user else None


def user_function(fn: Function, ctx: JqlContext) -> list[Any]:
    if fn.name.lower() == "currentuser":
        return [ctx.user.account_id] if ctx.user else []
    if not fn.args:
        raise JqlError(f"Function '{fn.name}' expects 1 argument but got 0.")
    group = next((g for g in ctx.state.groups.values() if g.name.lower() == fn.args[0].text.lower()), None)
    if group is None:
        raise JqlError(f"Function '{fn.name}' can not generate a list of users for group '{fn.args[0].text}'; the group does not exist.")
    return list(group.members)


class ParentHandler(Handler):
    def __init__(self, name: str, ctx: JqlContext, epics_only: bool = False) -> None:
        super().__init__(name, ctx)
        self.epics_only = epics_only

    def values(self, issue: Issue) -> tuple[Any, ...]:
        if issue.parent_id is None:
            return ()
        if self.epics_only:
            parent = self.state.issues.get(issue.parent_id)
            kind = self.state.issue_types.get(parent.issuetype_id) if parent else None
            if kind is None or kind.hierarchy_level != 1:
                return ()
        return (issue.parent_id,)

    def resolve(self, value: Value) -> list[Any]:
        issue = self.state.issue_by_key_or_id(value.text)
        if issue is None:
            if self.ctx.validate_values:
                raise JqlError(f"An issue with key '{value.text}' does not exist for field '{self.name}'.")
            return []
        return [issue.id]

    def sort_value(self, issue: Issue) -> Any:
        vals = self.values(issue)
        parent = self.state.issues.get(vals[0]) if vals else None
        return key_parts(parent.key) if parent else None


class ComponentHandler(Handler):
    def values(self, issue: Issue) -> tuple[Any, ...]:
        return issue.component_ids

    def resolve(self, value: Value) -> list[Any]:
        found = [c.id for p in self.state.projects.values() for c in p.components if value.text in (c.id,) or c.name.lower() == value.text.lower()]
        return found or self.missing(value)

    def sort_value(self, issue: Issue) -> Any:
        names = {c.id: c.name.lower() for p in self.state.projects.values() if p.id == issue.project_id for c in p.components}
        return min((names.get(c, "") for c in issue.component_ids), default=None)


class VersionHandler(Handler):
    def __init__(self, name: str, ctx: JqlContext, fixed: bool) -> None:
        super().__init__(name, ctx)
        self.fixed = fixed

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return issue.fix_version_ids if self.fixed else issue.affects_version_ids

    def resolve(self, value: Value) -> list[Any]:
        found = [v.id for p in self.state.projects.values() for v in p.versions if value.text == v.id or v.name.lower() == value.text.lower()]
        return found or self.missing(value)

    def function(self, fn: Function) -> list[Any]:
        name = fn.name.lower()
        if name not in ("releasedversions", "unreleasedversions"):
            return super().function(fn)
        projects = self.state.projects.values()
        if fn.args:
            p = self.state.project_by_key_or_id(fn.args[0].text)
            if p is None:
                raise not_exist(fn.args[0].text, "project")
            projects = [p]  # type: ignore[assignment]
        want = name == "releasedversions"
        return [v.id for p in projects for v in p.versions if v.released == want and not v.archived]


class SprintHandler(Handler):
    def __init__(self, name: str, ctx: JqlContext, field_id: str) -> None:
        super().__init__(name, ctx)
        self.field_id = field_id

    def values(self, issue: Issue) -> tuple[Any, ...]:
        v = issue.custom_value(self.field_id)
        if v is None:
            return ()
        return tuple(v) if isinstance(v, (tuple, list)) else (v,)

    def resolve(self, value: Value) -> list[Any]:
        if value.text.isdigit() and int(value.text) in self.state.sprints:
            return [int(value.text)]
        found = [s.id for s in self.state.sprints.values() if s.name.lower() == value.text.lower()]
        return found or self.missing(value)

    def function(self, fn: Function) -> list[Any]:
        state = {"opensprints": "active", "closedsprints": "closed", "futuresprints": "future"}.get(fn.name.lower())
        if state is None:
            return super().function(fn)
        return [s.id for s in self.state.sprints.values() if s.state == state]


class NumberHandler(Handler):
    operators = ORDERED

    def __init__(self, name: str, ctx: JqlContext, field_id: str) -> None:
        super().__init__(name, ctx)
        self.field_id = field_id

    def values(self, issue: Issue) -> tuple[Any, ...]:
        v = issue.custom_value(self.field_id)
        return () if v is None else (float(v),)

    def resolve(self, value: Value) -> list[Any]:
        try:
            return [float(value.text)]
        except ValueError:
            raise JqlError(f"'{value.text}' is not a valid number for field '{self.name}'.") from None


class OptionHandler(Handler):
    def __init__(self, name: str, ctx: JqlContext, fdef: FieldDef) -> None:
        super().__init__(name, ctx)
        self.fdef = fdef

    def values(self, issue: Issue) -> tuple[Any, ...]:
        v = issue.custom_value(self.fdef.id)
        if v is None:
            return ()
        return tuple(v) if isinstance(v, (tuple, list)) else (v,)

    def resolve(self, value: Value) -> list[Any]:
        found = [o.id for o in self.fdef.options if value.text == o.id or o.value.lower() == value.text.lower()]
        if not found and self.ctx.validate_values:
            raise JqlError(f"The option '{value.text}' for field '{self.name}' does not exist.")
        return found

    def sort_value(self, issue: Issue) -> Any:
        names = {o.id: o.value.lower() for o in self.fdef.options}
        return min((names.get(v, "") for v in self.values(issue)), default=None)


class AttachmentsHandler(Handler):
    operators = frozenset({"is", "is not"})
    sortable = False

    def values(self, issue: Issue) -> tuple[Any, ...]:
        return tuple(a.id for a in issue.attachments)


class PropertyHandler(Handler):
    sortable = False

    def __init__(self, name: str, ctx: JqlContext, key: str, path: str | None) -> None:
        super().__init__(name, ctx)
        self.key, self.path = key, path

    def values(self, issue: Issue) -> tuple[Any, ...]:
        value = dict(issue.properties).get(self.key)
        for part in (self.path or "").split("."):
            if part and isinstance(value, dict):
                value = value.get(part)
            elif part:
                value = None
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        return tuple(str(v).lower() for v in items)

    def resolve(self, value: Value) -> list[Any]:
        return [value.text.lower()]
