"""Jira's permission rules: permission schemes, project roles, groups, issue security levels.

A project permission holds when any grant for it in the project's permission scheme names a holder
the user matches (``anyone``, ``applicationRole``, ``group``, ``projectRole``, ``user``,
``projectLead``, and — per issue — ``reporter`` / ``assignee``). An issue is visible with
BROWSE_PROJECTS on its project and, when it carries a security level, membership of that level.
Global ADMINISTER does not imply project access (as in Jira); inactive users hold nothing.

Search checks every issue, so what a user holds in a project is computed once per (user, project)
and cached; ``invalidate()`` drops the caches after a change to roles, groups or schemes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jiraemu.state import Comment, Issue, Project, SecurityLevel, State, User
from jiraemu.users.catalog import GLOBAL_KEYS, PERMISSIONS

if TYPE_CHECKING:
    from jiraemu.backend import Backend

ISSUE_HOLDERS = frozenset({"reporter", "assignee"})
DEFAULT_GLOBAL = {"ADMINISTER": ["jira-administrators"], "SYSTEM_ADMIN": ["jira-administrators"]}


@dataclass(frozen=True)
class Access:
    """What one user holds in one project (or one security level).

    ``static``: permissions granted regardless of the issue; ``per_issue``: permission -> the
    issue-relative holder types (reporter / assignee) that would grant it.
    """

    static: frozenset[str]
    per_issue: dict[str, frozenset[str]]

    def allows(self, permission: str, uid: str | None, issue: Issue | None) -> bool:
        if permission in self.static:
            return True
        holders = self.per_issue.get(permission)
        if not holders:
            return False
        if issue is None:  # project context: Jira reports permissions held for some issues
            return True
        return _issue_holder_matches(holders, uid, issue)


def _issue_holder_matches(holders: Iterable[str], uid: str | None, issue: Issue) -> bool:
    if uid is None:
        return False
    for h in holders:
        if h == "reporter" and issue.reporter_id == uid:
            return True
        if h == "assignee" and issue.assignee_id == uid:
            return True
    return False


class Permissions:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._state_id = 0
        self.invalidate()

    # -- caches ----------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget every cached answer (call after changing roles, groups, schemes or users).

        ``epoch`` increases on every call, so other caches built on permission answers (search
        results) can key on it."""
        self.epoch = getattr(self, "epoch", 0) + 1
        self._access: dict[tuple[str | None, int], Access] = {}
        self._levels: dict[tuple[str | None, str], Access] = {}
        self._see: dict[tuple[str | None, int], tuple[bool, frozenset[str]]] = {}
        self._groups: dict[str, frozenset[str]] = {}
        self._level_index: dict[str, SecurityLevel] | None = None
        self._state_id = id(self.backend.state)

    @property
    def state(self) -> State:
        state: State = self.backend.state
        if id(state) != self._state_id:  # the backend was reset under us
            self.invalidate()
        return state

    def groups_of(self, user: User) -> frozenset[str]:
        cached = self._groups.get(user.account_id)
        if cached is None:
            cached = frozenset(g.name for g in self.state.groups.values() if user.account_id in g.members)
            self._groups[user.account_id] = cached
        return cached

    # -- global ----------------------------------------------------------------------------------
    def has_global(self, user: User | None, permission: str) -> bool:
        if not _usable(user):
            return False
        assert user is not None
        holders = self.state.global_permissions.get(permission)
        if holders is None:
            holders = DEFAULT_GLOBAL.get(permission, [])
        groups = self.groups_of(user)
        if any(g in groups for g in holders):
            return True
        return permission == "ADMINISTER" and self.has_global(user, "SYSTEM_ADMIN")

    def is_admin(self, user: User | None) -> bool:
        return self.has_global(user, "ADMINISTER")

    # -- project ---------------------------------------------------------------------------------
    def access(self, user: User | None, project: Project) -> Access:
        uid = user.account_id if user is not None else None
        key = (uid, project.id)
        cached = self._access.get(key)
        if cached is None:
            cached = self._compute_access(user, project)
            self._access[key] = cached
        return cached

    def _compute_access(self, user: User | None, project: Project) -> Access:
        if user is not None and not user.active:
            return Access(frozenset(), {})
        scheme = self.state.permission_schemes.get(project.permission_scheme_id)
        if scheme is None:
            return Access(frozenset(), {}) if user is None else _open_access()
        static: set[str] = set()
        per_issue: dict[str, set[str]] = {}
        for grant in scheme.grants:
            if grant.holder_type in ISSUE_HOLDERS:
                if user is not None:
                    per_issue.setdefault(grant.permission, set()).add(grant.holder_type)
            elif self.holder_matches(user, grant.holder_type, grant.holder_param, project):
                static.add(grant.permission)
        return Access(frozenset(static), {k: frozenset(v) for k, v in per_issue.items()})

    def holder_matches(self, user: User | None, kind: str, param: str | None, project: Project) -> bool:
        """Whether ``user`` is the (issue-independent) holder ``kind``/``param`` in ``project``."""
        if kind == "anyone":
            return True
        if user is None or not user.active:
            return False
        if kind == "applicationRole":
            return user.account_type != "customer"
        if kind == "group":
            return param in self.groups_of(user)
        if kind == "user":
            return param == user.account_id
        if kind == "projectLead":
            return project.lead_id == user.account_id
        if kind == "projectRole":
            return param is not None and param.isdigit() and self.in_role(user, project, int(param))
        return False

    def in_role(self, user: User, project: Project, role_id: int) -> bool:
        groups = self.groups_of(user)
        for actor in project.role_actors.get(role_id, ()):
            if actor.kind == "user" and actor.value == user.account_id:
                return True
            if actor.kind == "group" and actor.value in groups:
                return True
        return False

    def has(self, user: User | None, permission: str, project: Project | None = None, issue: Issue | None = None) -> bool:
        """Jira's permission check. Global keys check global grants; project keys check the project
        (or the issue's project); with neither, a project key holds if it holds in any project."""
        if permission in GLOBAL_KEYS:
            return self.has_global(user, permission)
        if not _usable(user, allow_anonymous=True):
            return False
        if issue is not None and project is None:
            project = self.state.projects.get(issue.project_id)
        if project is None:
            if issue is not None:
                return False
            return any(self.has(user, permission, p) for p in self._live_projects())
        uid = user.account_id if user is not None else None
        return self.access(user, project).allows(permission, uid, issue)

    def browsable_project_ids(self, user: User | None) -> set[int]:
        """Projects where the user may browse at least some issues (reporter/assignee grants count)."""
        return {p.id for p in self._live_projects() if self.has(user, "BROWSE_PROJECTS", p)}

    def can_browse_project(self, user: User | None, project: Project) -> bool:
        return not project.deleted and self.has(user, "BROWSE_PROJECTS", project)

    # -- issues ----------------------------------------------------------------------------------
    def can_see_issue(self, user: User | None, issue: Issue) -> bool:
        # the hot path of every search: one dict lookup per issue when no security level is set
        uid = user.account_id if user is not None else None
        entry = self._see.get((uid, issue.project_id))
        if entry is None:
            entry = self._see_entry(user, issue.project_id)
        browse_all, browse_holders = entry
        if not browse_all and not (browse_holders and _issue_holder_matches(browse_holders, uid, issue)):
            return False
        if issue.security_level_id is None:
            return True
        project = self.state.projects.get(issue.project_id)
        return project is not None and self.in_security_level(user, issue, project)

    def _see_entry(self, user: User | None, project_id: int) -> tuple[bool, frozenset[str]]:
        project = self.state.projects.get(project_id)
        if project is None or project.deleted or not _usable(user, allow_anonymous=True):
            entry: tuple[bool, frozenset[str]] = (False, frozenset())
        else:
            access = self.access(user, project)
            entry = ("BROWSE_PROJECTS" in access.static, access.per_issue.get("BROWSE_PROJECTS", frozenset()))
        self._see[(user.account_id if user is not None else None, project_id)] = entry
        return entry

    def in_security_level(self, user: User | None, issue: Issue, project: Project) -> bool:
        level = self._level(issue.security_level_id or "")
        if level is None:
            return True
        uid = user.account_id if user is not None else None
        key = (uid, f"{level.id}@{project.id}")
        cached = self._levels.get(key)
        if cached is None:
            static: set[str] = set()
            per_issue: set[str] = set()
            for kind, param in level.members:
                if kind in ISSUE_HOLDERS:
                    per_issue.add(kind)
                elif self.holder_matches(user, kind, param, project):
                    static.add("MEMBER")
            cached = Access(frozenset(static), {"MEMBER": frozenset(per_issue)} if per_issue else {})
            self._levels[key] = cached
        if "MEMBER" in cached.static:
            return True
        return _issue_holder_matches(cached.per_issue.get("MEMBER", ()), uid, issue)

    def _level(self, level_id: str) -> SecurityLevel | None:
        if self._level_index is None:
            self._level_index = {
                lv.id: lv for scheme in self.state.security_schemes.values() for lv in scheme.levels
            }
        return self._level_index.get(level_id)

    def can_see_comment(self, user: User | None, issue: Issue, comment: Comment) -> bool:
        """Visible issue, and (when the comment is restricted) membership of its role or group."""
        if not self.can_see_issue(user, issue):
            return False
        vis = comment.visibility
        if not vis:
            return True
        if user is None:
            return False
        value = vis.get("value") or vis.get("identifier") or ""
        if vis.get("type") == "group":
            return value in self.groups_of(user) or any(
                g.group_id == value and user.account_id in g.members for g in self.state.groups.values()
            )
        if vis.get("type") == "role":
            project = self.state.projects.get(issue.project_id)
            role = next((r for r in self.state.roles.values() if r.name == value or str(r.id) == value), None)
            return project is not None and role is not None and self.in_role(user, project, role.id)
        return False

    def issue_viewers(self, issue: Issue) -> list[User]:
        """Every active user who can see ``issue`` (webhook fan-out, watchers)."""
        return [u for u in self.state.users.values() if u.active and self.can_see_issue(u, issue)]

    def _live_projects(self) -> list[Project]:
        return [p for p in self.state.projects.values() if not p.deleted]


def _usable(user: User | None, allow_anonymous: bool = False) -> bool:
    if user is None:
        return allow_anonymous
    return user.active


def _open_access() -> Access:
    """A project without a scheme (bare state): every logged-in user holds every project permission."""
    return Access(frozenset(k for k, p in PERMISSIONS.items() if p.type == "PROJECT"), {})
