"""Projects as a caller sees them: browse permission, archived/deleted handling, search with
Jira's filters and orderings, components and versions looked up across projects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jiraemu.errors import bad_request, not_found
from jiraemu.state import Component, Project, User, Version

if TYPE_CHECKING:
    from jiraemu.backend import Backend

ACTIONS = {"view": "BROWSE_PROJECTS", "browse": "BROWSE_PROJECTS", "edit": "ADMINISTER_PROJECTS", "create": "CREATE_ISSUES"}


@dataclass(frozen=True)
class Insight:
    total_issue_count: int
    last_issue_update: int | None


def can_browse(backend: Backend, user: User | None, project: Project) -> bool:
    return bool(backend.perms.has(user, "BROWSE_PROJECTS", project))


def get_project(backend: Backend, user: User | None, id_or_key: str) -> Project:
    """A live project the caller may browse; 404 with Jira's message otherwise."""
    project = backend.state.project_by_key_or_id(id_or_key)
    if project is None or project.deleted or not can_browse(backend, user, project):
        what = "id" if id_or_key.isdigit() else "key"
        raise not_found(f"No project could be found with {what} '{id_or_key}'.")
    return project


def list_projects(backend: Backend, user: User | None, include_archived: bool = False) -> list[Project]:
    """``GET /project``: browsable live projects, ordered by key."""
    out = [
        p for p in backend.state.projects.values()
        if not p.deleted and (include_archived or not p.archived) and can_browse(backend, user, p)
    ]
    return sorted(out, key=lambda p: p.key)


def insight(backend: Backend, project: Project) -> Insight:
    issues = backend.state.issues
    ids = backend.index.project_issue_ids(project.id)
    updated = [issues[i].updated for i in ids if i in issues]
    return Insight(len(updated), max(updated) if updated else None)


def _orderings(backend: Backend) -> dict[str, Callable[[Project], object]]:
    users = backend.state.users
    return {
        "key": lambda p: p.key,
        "name": lambda p: p.name.lower(),
        "category": lambda p: "",
        "owner": lambda p: users[p.lead_id].display_name.lower() if p.lead_id in users else "",
        "issueCount": lambda p: insight(backend, p).total_issue_count,
        "lastIssueUpdatedDate": lambda p: insight(backend, p).last_issue_update or 0,
        "lastIssueUpdatedTime": lambda p: insight(backend, p).last_issue_update or 0,
        "archivedDate": lambda p: p.key,
        "deletedDate": lambda p: p.key,
    }


def search_projects(
    backend: Backend,
    user: User | None,
    *,
    query: str | None = None,
    keys: list[str] | None = None,
    ids: list[str] | None = None,
    type_key: str | None = None,
    action: str = "view",
    status: list[str] | None = None,
    order_by: str = "key",
) -> list[Project]:
    """``GET /project/search``: filter, then order (``+``/``-`` prefixes) as Cloud does."""
    permission = ACTIONS.get(action)
    if permission is None:
        raise bad_request(f"Invalid action '{action}'. Allowed values are: view, browse, edit, create.")
    wanted_status = set(status or ["live"])
    out = []
    for p in backend.state.projects.values():
        p_status = "deleted" if p.deleted else "archived" if p.archived else "live"
        if p_status not in wanted_status or not can_browse(backend, user, p):
            continue
        if permission != "BROWSE_PROJECTS" and not backend.perms.has(user, permission, p):
            continue
        if keys and p.key not in {k.upper() for k in keys}:
            continue
        if ids and str(p.id) not in ids:
            continue
        if type_key and p.project_type_key not in type_key.split(","):
            continue
        if query and query.lower() not in p.key.lower() and query.lower() not in p.name.lower():
            continue
        out.append(p)
    desc = order_by.startswith("-")
    name = order_by.lstrip("+-") or "key"
    orderings = _orderings(backend)
    if name not in orderings:
        raise bad_request(f"Invalid orderBy value '{order_by}'.")
    out.sort(key=lambda p: p.key)
    out.sort(key=orderings[name], reverse=desc)  # type: ignore[arg-type]
    return out


def find_component(backend: Backend, user: User | None, component_id: str) -> tuple[Component, Project]:
    for p in backend.state.projects.values():
        for c in p.components:
            if c.id == component_id and not p.deleted and can_browse(backend, user, p):
                return c, p
    raise not_found(f"The component with id {component_id} does not exist.")


def find_version(backend: Backend, user: User | None, version_id: str) -> tuple[Version, Project]:
    for p in backend.state.projects.values():
        for v in p.versions:
            if v.id == version_id and not p.deleted and can_browse(backend, user, p):
                return v, p
    raise not_found(f"Could not find version for id '{version_id}'")
