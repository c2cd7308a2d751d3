"""Who may see an issue, resolved from the synced store the way Jira decides it.

An issue is visible to a user when both hold:

1. *Browse Projects* in its project: a ``BROWSE_PROJECTS`` grant of the project's permission
   scheme names a holder the user matches — ``anyone``; ``applicationRole`` (an active,
   non-customer account); ``group`` (a group the user is in, by name or group id); ``user``;
   ``projectLead``; ``projectRole`` (a role whose actors name the user or one of their groups in
   *that* project) — or the issue-relative holders ``reporter`` / ``assignee`` match this issue;
2. when the issue has a security level: the user is a member of that level (same holder types;
   a ``projectRole`` member is read in the issue's project).

Inactive users see nothing. Unknown things deny: a project without a synced scheme, a level
without synced members, holder types needing data the store does not keep
(``userCustomField``, ``groupCustomField``, ``sd.customer.portal.only``).

Design: the answer is computed **per user at query time** as an :class:`AccessPlan` — a few sets
of project ids and (level, project) pairs — and applied as one SQL predicate on ``issues``.
That is a handful of small reads per search (grants, the user's groups and role actors, level
members), costs nothing at sync time, and can never be stale: a changed group or role applies to
the next search. A materialised ``issue_access(issue, principal)`` table would be
issues × principals rows, rewritten on every membership change.

A user is named by accountId (Cloud), user key or username (Data Center), or email.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from jirasync.exceptions import ConfigError, RecordError
from jirasync.store.models import (
    GroupMemberRow,
    GroupRow,
    IssueRow,
    PermissionGrantRow,
    ProjectPermissionSchemeRow,
    ProjectRoleActorRow,
    ProjectRow,
    UserRow,
)
from jirasync.store.repo import utc

from .schema import security_level_members

BROWSE = frozenset({"BROWSE_PROJECTS", "BROWSE"})  # DC before 7 called it BROWSE
ISSUE_HOLDERS = frozenset({"reporter", "assignee"})


@dataclass(frozen=True)
class Viewer:
    """One user and everything that can name them in a grant."""

    user_id: str
    principals: frozenset[str]  # store id, accountId, DC username: what user holders and actors hold
    groups: frozenset[str]  # group names and group ids
    active: bool
    account_type: str | None


@dataclass(frozen=True)
class Holder:
    type: str
    parameter: str | None


@dataclass(frozen=True)
class AccessPlan:
    """What one user may browse, as sets the issue predicate tests."""

    principals: frozenset[str] = frozenset()
    projects: frozenset[int] = frozenset()  # browse every issue
    reporter_projects: frozenset[int] = frozenset()  # browse the issues they reported
    assignee_projects: frozenset[int] = frozenset()  # browse the issues assigned to them
    levels_any_project: frozenset[int] = frozenset()  # member of the level wherever it applies
    level_projects: Mapping[int, frozenset[int]] = field(default_factory=dict)  # level -> projects (role, lead)
    reporter_levels: frozenset[int] = frozenset()
    assignee_levels: frozenset[int] = frozenset()

    def can_see(self, project_id: int, level_id: int | None, reporter_id: str | None, assignee_id: str | None) -> bool:
        """The predicate of :meth:`predicate`, in Python (for one issue)."""
        reporter = reporter_id is not None and reporter_id in self.principals
        assignee = assignee_id is not None and assignee_id in self.principals
        browse = (project_id in self.projects or (reporter and project_id in self.reporter_projects)
                  or (assignee and project_id in self.assignee_projects))
        if not browse or level_id is None:
            return browse
        return (level_id in self.levels_any_project or project_id in self.level_projects.get(level_id, ())
                or (reporter and level_id in self.reporter_levels) or (assignee and level_id in self.assignee_levels))

    def predicate(self) -> ColumnElement[bool]:
        """An SQL condition on ``issues`` true exactly for the issues :meth:`can_see` allows."""
        i = IssueRow
        mine = list(self.principals)
        browse = _any(
            _in(i.project_id, self.projects),
            and_(_in(i.project_id, self.reporter_projects), _in(i.reporter_id, mine)),
            and_(_in(i.project_id, self.assignee_projects), _in(i.assignee_id, mine)),
        )
        level = _any(
            i.security_level_id.is_(None),
            _in(i.security_level_id, self.levels_any_project),
            *(and_(i.security_level_id == lv, _in(i.project_id, ps)) for lv, ps in sorted(self.level_projects.items())),
            and_(_in(i.security_level_id, self.reporter_levels), _in(i.reporter_id, mine)),
            and_(_in(i.security_level_id, self.assignee_levels), _in(i.assignee_id, mine)),
        )
        return and_(browse, level)


def _in(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    items = sorted(values)
    return column.in_(items) if items else false()


def _any(*clauses: ColumnElement[bool]) -> ColumnElement[bool]:
    return or_(false(), *clauses)


# -- the pure rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Permissions:
    """The synced permission data of one connection (only what browsing needs)."""

    project_leads: Mapping[int, str | None]  # live projects
    browse_holders: Mapping[int, tuple[Holder, ...]]  # project -> BROWSE grants of its scheme
    roles: Mapping[int, Mapping[int, tuple[tuple[str, str], ...]]]  # project -> role -> (actor type, value)
    level_members: Mapping[int, tuple[Holder, ...]]  # security level -> members


def plan(viewer: Viewer, perms: Permissions) -> AccessPlan:
    """Jira's rules applied to one user: pure, so property tests can drive it."""
    if not viewer.active:
        return AccessPlan()
    browse: dict[str, set[int]] = defaultdict(set)
    role_sets = {p: _roles_of(viewer, actors) for p, actors in perms.roles.items()}
    for project_id, holders in perms.browse_holders.items():
        if project_id not in perms.project_leads:
            continue
        for h in holders:
            if h.type in ISSUE_HOLDERS:
                browse[h.type].add(project_id)
            elif _holds(viewer, h, perms.project_leads.get(project_id), role_sets.get(project_id, frozenset())):
                browse["all"].add(project_id)
    any_project: set[int] = set()
    per_project: dict[int, set[int]] = defaultdict(set)
    by_issue: dict[str, set[int]] = defaultdict(set)
    for level_id, members in perms.level_members.items():
        for h in members:
            if h.type in ISSUE_HOLDERS:
                by_issue[h.type].add(level_id)
            elif h.type in ("projectRole", "projectLead"):
                per_project[level_id].update(p for p, lead in perms.project_leads.items()
                                             if _holds(viewer, h, lead, role_sets.get(p, frozenset())))
            elif _holds(viewer, h, None, frozenset()):
                any_project.add(level_id)
    return AccessPlan(
        viewer.principals, frozenset(browse["all"]), frozenset(browse["reporter"]), frozenset(browse["assignee"]),
        frozenset(any_project), {lv: frozenset(ps) for lv, ps in per_project.items() if ps},
        frozenset(by_issue["reporter"]), frozenset(by_issue["assignee"]),
    )


def _roles_of(viewer: Viewer, actors: Mapping[int, tuple[tuple[str, str], ...]]) -> frozenset[str]:
    """The role ids (as strings, like grant parameters) whose actors name the viewer in one project."""
    return frozenset(str(role) for role, pairs in actors.items() if any(
        (kind == "user" and value in viewer.principals) or (kind == "group" and value in viewer.groups)
        for kind, value in pairs))


def _holds(viewer: Viewer, h: Holder, lead: str | None, roles: frozenset[str]) -> bool:
    """Whether the viewer is the issue-independent holder ``h`` (in a project with ``lead`` and ``roles``)."""
    if h.type == "anyone":
        return True
    if h.type == "applicationRole":
        return viewer.account_type not in ("customer",)
    if h.type == "group":
        return h.parameter is not None and h.parameter in viewer.groups
    if h.type == "user":
        return h.parameter is not None and h.parameter in viewer.principals
    if h.type == "projectLead":
        return lead is not None and lead in viewer.principals
    if h.type == "projectRole":
        return h.parameter is not None and h.parameter in roles
    return False  # userCustomField, groupCustomField, sd.customer.portal.only: not decidable from the store


# -- reading the store -----------------------------------------------------------------------------


def find_viewer(session: Session, connection_id: int, who: str) -> Viewer:
    """The user named by accountId, user key, username or email (case-insensitive for emails)."""
    u = UserRow
    q = select(u).where(u.connection_id == connection_id, u.deleted_at.is_(None),
                        or_(u.id == who, u.account_id == who, u.name == who, func.lower(u.email) == who.lower()))
    found = list(session.scalars(q))
    if not found:
        raise ConfigError("--as", f"no synced user is {who!r}",
                          fix="name a user by accountId, username or email (run `jirasync sync` first)")
    exact = [row for row in found if who in (row.id, row.account_id, row.name)]
    if len(exact) != 1 and len(found) > 1:
        raise ConfigError("--as", f"{who!r} names {len(found)} users", fix="use the accountId or username")
    return _viewer(session, connection_id, (exact or found)[0])


def _viewer(session: Session, connection_id: int, row: UserRow) -> Viewer:
    principals = frozenset(p for p in (row.id, row.account_id, row.name) if p)
    m, g = GroupMemberRow, GroupRow
    names = set(session.scalars(select(m.group_name).where(
        m.connection_id == connection_id, m.deleted_at.is_(None), m.user_id.in_(sorted(principals)))))
    ids = session.scalars(select(g.group_id).where(g.connection_id == connection_id, g.name.in_(sorted(names)),
                                                   g.group_id.is_not(None)))
    return Viewer(row.id, principals, frozenset(names | {i for i in ids if i}), row.active, row.account_type)


def load_permissions(session: Session, connection_id: int) -> Permissions:
    """Live projects, their BROWSE grants, role actors and security level members."""
    p, ps, gr, ra, lm = ProjectRow, ProjectPermissionSchemeRow, PermissionGrantRow, ProjectRoleActorRow, security_level_members
    leads = {pid: lead for pid, lead in session.execute(
        select(p.id, p.lead_id).where(p.connection_id == connection_id, p.deleted_at.is_(None)))}
    grants: dict[int, list[Holder]] = defaultdict(list)
    for scheme, kind, param in session.execute(
            select(gr.scheme_id, gr.holder_type, gr.holder_parameter).where(
                gr.connection_id == connection_id, gr.deleted_at.is_(None), gr.permission.in_(sorted(BROWSE)))):
        grants[scheme].append(Holder(kind, param))
    schemes = session.execute(select(ps.project_id, ps.scheme_id).where(ps.connection_id == connection_id,
                                                                       ps.deleted_at.is_(None)))
    browse = {project: tuple(grants.get(scheme, ())) for project, scheme in schemes}
    roles: dict[int, dict[int, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for project, role, kind, value in session.execute(
            select(ra.project_id, ra.role_id, ra.actor_type, ra.actor_value).where(
                ra.connection_id == connection_id, ra.deleted_at.is_(None))):
        roles[project][role].append((kind, value))
    members: dict[int, list[Holder]] = defaultdict(list)
    for level, kind, param in session.execute(
            select(lm.c.level_id, lm.c.holder_type, lm.c.holder_parameter).where(
                lm.c.connection_id == connection_id, lm.c.deleted_at.is_(None))):
        members[level].append(Holder(kind, param or None))
    return Permissions(leads, browse, {pr: {r: tuple(a) for r, a in rs.items()} for pr, rs in roles.items()},
                       {lv: tuple(hs) for lv, hs in members.items()})


def plan_for(session: Session, connection_id: int, who: str) -> AccessPlan:
    return plan(find_viewer(session, connection_id, who), load_permissions(session, connection_id))


def viewers(session: Session, connection_id: int, issue_id: int) -> list[str]:
    """Every active user (store id) who may see one issue: "who can see this?"."""
    issue = session.get(IssueRow, (connection_id, issue_id))
    if issue is None or issue.deleted_at is not None:
        return []
    perms = load_permissions(session, connection_id)
    users = session.scalars(select(UserRow).where(UserRow.connection_id == connection_id, UserRow.deleted_at.is_(None),
                                                  UserRow.active.is_(True)).order_by(UserRow.id))
    return [u.id for u in users if plan(_viewer(session, connection_id, u), perms).can_see(
        issue.project_id, issue.security_level_id, issue.reporter_id, issue.assignee_id)]


# -- security level members: parsing and storing (the hook for sync) -------------------------------


@dataclass(frozen=True)
class LevelMemberRecord:
    level_id: int
    holder_type: str
    holder_parameter: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool, level_id: int | None = None) -> LevelMemberRecord:
        """One member from Cloud's ``issuesecurityschemes/level/member`` page (``values[]``):
        ``{id, issueSecurityLevelId, holder: {type, parameter, value}}``."""
        if not isinstance(data, dict) or not isinstance(data.get("holder"), dict):
            raise RecordError("security level member", "holder", "missing", raw=data)
        raw_level = level_id if level_id is not None else data.get("issueSecurityLevelId")
        if raw_level is None or not str(raw_level).isdigit():
            raise RecordError("security level member", "issueSecurityLevelId", "missing", raw=data)
        holder = data["holder"]
        kind = holder.get("type")
        if not isinstance(kind, str) or not kind:
            raise RecordError("security level member", "holder.type", "missing", raw=data)
        return cls(int(raw_level), kind, _holder_parameter(holder), data)


def _holder_parameter(holder: dict[str, Any]) -> str | None:
    """``parameter`` (or ``value``), else the expanded object's name / accountId / id."""
    embedded = {"group": "name", "user": "accountId", "projectRole": "id"}
    param = holder.get("parameter") or holder.get("value")
    if not param:
        for key, attr in embedded.items():
            obj = holder.get(key)
            if isinstance(obj, dict) and obj.get(attr) not in (None, ""):
                param = obj[attr]
                break
    return None if param in (None, "") else str(param)


def replace_level_members(session: Session, connection_id: int, level_id: int,
                          records: Iterable[LevelMemberRecord], at: datetime | None = None) -> int:
    """The complete member list of one level: upserted; members no longer listed get ``deleted_at``."""
    t, when = security_level_members, utc(at)
    rows = {(r.holder_type, r.holder_parameter or ""): r.raw for r in records}
    live = set(session.execute(select(t.c.holder_type, t.c.holder_parameter).where(
        t.c.connection_id == connection_id, t.c.level_id == level_id, t.c.deleted_at.is_(None))).tuples())
    for kind, param in live - set(rows):
        session.execute(t.update().where(t.c.connection_id == connection_id, t.c.level_id == level_id,
                                         t.c.holder_type == kind, t.c.holder_parameter == param)
                        .values(deleted_at=when))
    for (kind, param), raw in rows.items():
        key = and_(t.c.connection_id == connection_id, t.c.level_id == level_id, t.c.holder_type == kind,
                   t.c.holder_parameter == param)
        if session.execute(t.update().where(key).values(raw=raw, synced_at=when, deleted_at=None)).rowcount == 0:  # type: ignore[attr-defined]
            session.execute(t.insert().values(connection_id=connection_id, level_id=level_id, holder_type=kind,
                                              holder_parameter=param, raw=raw, synced_at=when))
    return len(rows)


__all__ = ["AccessPlan", "Holder", "LevelMemberRecord", "Permissions", "Viewer", "find_viewer",
           "load_permissions", "plan", "plan_for", "replace_level_members", "viewers"]
