"""Writing audit records (what ``GET auditing/record`` reads) from any area or the control plane.

    record(backend, "User added to group", "group management", author_id,
           {"id": group.group_id, "name": group.name, "typeName": "GROUP"},
           associated=[{"id": user.account_id, "name": user.account_id, "typeName": "USER"}])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jiraemu.state import AuditRecord

if TYPE_CHECKING:
    from jiraemu.backend import Backend


def record(
    backend: Backend,
    summary: str,
    category: str,
    author_id: str,
    object_item: dict[str, Any],
    changed: list[dict[str, Any]] | None = None,
    associated: list[dict[str, Any]] | None = None,
    description: str = "",
) -> AuditRecord:
    """Append one record, with the next id and the emulator clock's time."""
    state = backend.state
    floor = max((r.id for r in state.audit), default=9999) + 1
    rid = max(state.ids.next("audit", floor), floor)
    rec = AuditRecord(rid, summary, category, "", backend.now_ms(), author_id, object_item,
                      list(changed or []), list(associated or []), description)
    state.audit.append(rec)
    return rec


# -- the records Jira Cloud writes for the access changes the emulator supports -----------------------------------
# (summaries and categories as in a real capture: fixtures/cloud-v3/auditing-records.get.go-atlassian.json)
DIRECTORY = {"parentId": "10000", "parentName": "Jira Internal Directory"}


def group_membership(backend: Backend, author_id: str, group_name: str, account_id: str, added: bool) -> AuditRecord:
    """"User added to group" / "User removed from group" (category "group management")."""
    return record(backend, "User added to group" if added else "User removed from group", "group management", author_id,
                  {"name": group_name, "typeName": "GROUP", **DIRECTORY},
                  associated=[{"id": account_id, "name": account_id, "typeName": "USER", **DIRECTORY}])


def project_roles_changed(backend: Backend, author_id: str, role_id: int, role_name: str, project_id: int,
                          project_name: str, field_name: str, before: list[str], after: list[str]) -> AuditRecord:
    """"Project roles changed" (category "projects"): the role's user or group actors before and after."""
    return record(backend, "Project roles changed", "projects", author_id,
                  {"id": str(role_id), "name": role_name, "typeName": "PROJECT_ROLE"},
                  changed=[{"fieldName": field_name, "changedFrom": ", ".join(before), "changedTo": ", ".join(after)}],
                  associated=[{"id": str(project_id), "name": project_name, "typeName": "PROJECT"}])


def permission_scheme_updated(backend: Backend, author_id: str, scheme_id: int, scheme_name: str, permission: str,
                              holder_type: str, holder_param: str | None, added: bool) -> AuditRecord:
    """"Permission scheme updated" (category "permissions"), one per grant added or removed."""
    value = holder_param or ""
    changed = [{"fieldName": "Value", "changedFrom": "" if added else value, "changedTo": value if added else ""},
               {"fieldName": "Type", "changedFrom": "" if added else holder_type, "changedTo": holder_type if added else ""},
               {"fieldName": "Permission", "changedFrom": "" if added else permission,
                "changedTo": permission if added else ""}]
    return record(backend, "Permission scheme updated", "permissions", author_id,
                  {"id": str(scheme_id), "name": scheme_name, "typeName": "SCHEME"}, changed=changed)


def security_level_updated(backend: Backend, author_id: str, scheme_id: int, scheme_name: str, level_id: str,
                           level_name: str, holder_type: str, holder_param: str | None, added: bool) -> AuditRecord:
    """"Issue security level updated" (category "permissions"): a member added to or removed from a level.
    The summary wording is not in any real capture we have; the category is where Jira lists issue security."""
    value = f"{holder_type}:{holder_param}" if holder_param else holder_type
    return record(backend, "Issue security level updated", "permissions", author_id,
                  {"id": level_id, "name": level_name, "typeName": "SECURITY_LEVEL", "parentId": str(scheme_id),
                   "parentName": scheme_name},
                  changed=[{"fieldName": "Members", "changedFrom": "" if added else value,
                            "changedTo": value if added else ""}])
