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
