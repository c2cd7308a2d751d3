"""Read-only views of stored reference data that ``SyncRepo`` does not offer, for a run that keeps
what is stored instead of re-reading it (``jirasync.sync.reference``): the access digest is then
computed from the stored group members and project role actors."""

from __future__ import annotations

from sqlalchemy import select

from jirasync.records import RoleActorRecord
from jirasync.store.db import Store
from jirasync.store.models import GroupMemberRow, ProjectRoleActorRow, ProjectRow


def stored_group_members(store: Store, connection_id: int) -> dict[str, set[str]]:
    """group name -> member ids (and DC login names, as the live read collects them), live rows only."""
    out: dict[str, set[str]] = {}
    with store.session() as s:
        q = select(GroupMemberRow.group_name, GroupMemberRow.user_id, GroupMemberRow.raw).where(
            GroupMemberRow.connection_id == connection_id, GroupMemberRow.deleted_at.is_(None))
        for group, user, raw in s.execute(q):
            members = out.setdefault(str(group), set())
            members.add(str(user))
            name = (raw or {}).get("name") if isinstance(raw, dict) else None
            if name:
                members.add(str(name))
    return out


def stored_role_actors(store: Store, connection_id: int) -> list[RoleActorRecord]:
    """Every live project role actor row, as records."""
    with store.session() as s:
        q = select(ProjectRoleActorRow).where(ProjectRoleActorRow.connection_id == connection_id,
                                              ProjectRoleActorRow.deleted_at.is_(None))
        return [RoleActorRecord(r.project_id, r.role_id, r.role_name, r.actor_type, r.actor_value, r.raw or {})
                for r in s.scalars(q)]


def stored_project_ids(store: Store, connection_id: int) -> set[int]:
    """The ids of the live stored projects."""
    with store.session() as s:
        q = select(ProjectRow.id).where(ProjectRow.connection_id == connection_id, ProjectRow.deleted_at.is_(None))
        return {int(i) for i in s.scalars(q)}
