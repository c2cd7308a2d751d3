"""Changes to groups and project role actors, shared by the REST API (``group/user``,
``project/{p}/role/{id}``) and the control plane's ``/mutate``: each writes the audit record Jira
Cloud writes ("User added to group", "Project roles changed", …) and drops the permission caches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiraemu.state import Actor, Group, Project, User
from jiraemu.users import audit

if TYPE_CHECKING:
    from jiraemu.backend import Backend


def add_group_member(backend: Backend, author: User | None, group: Group, member: User) -> bool:
    """Add ``member`` to ``group``; False when already in it (nothing audited)."""
    if member.account_id in group.members:
        return False
    group.members = [*group.members, member.account_id]
    audit.group_membership(backend, author.account_id if author else "", group.name, member.account_id, added=True)
    backend.perms.invalidate()
    return True


def remove_group_member(backend: Backend, author: User | None, group: Group, member: User) -> bool:
    """Remove ``member`` from ``group``; False when not in it."""
    if member.account_id not in group.members:
        return False
    group.members = [m for m in group.members if m != member.account_id]
    audit.group_membership(backend, author.account_id if author else "", group.name, member.account_id, added=False)
    backend.perms.invalidate()
    return True


def set_role_actors(backend: Backend, author: User | None, project: Project, role_id: int,
                    actors: list[Actor]) -> None:
    """Replace one role's actors in one project, with one "Project roles changed" record per actor kind
    (users, groups) whose list changed."""
    before = project.role_actors.get(role_id, [])
    project.role_actors[role_id] = list(actors)
    role = backend.state.roles.get(role_id)
    for kind, label in (("user", "Users"), ("group", "Groups")):
        old = [a.value for a in before if a.kind == kind]
        new = [a.value for a in actors if a.kind == kind]
        if old != new:
            audit.project_roles_changed(backend, author.account_id if author else "", role_id,
                                        role.name if role else str(role_id), project.id, project.name, label, old, new)
    backend.perms.invalidate()
