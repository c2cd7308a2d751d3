"""A seeded audit log: how an administrator set the site up (users, groups, fields, schemes,
projects), dated before the first issue, oldest first."""

from __future__ import annotations

from typing import Any

from jiraemu.generator.common import DAY_MS, MINUTE_MS, Ctx, ri, sub_rng
from jiraemu.generator.issues import TWO_YEARS_MS
from jiraemu.generator.people import ADMIN_ACCOUNT_ID
from jiraemu.state import AuditRecord

DIRECTORY = {"parentId": "10000", "parentName": "Jira Internal Directory"}


def build_audit(ctx: Ctx) -> None:
    state = ctx.state
    rng = sub_rng(ctx.seed, "audit")
    entries: list[tuple[str, str, dict[str, Any], list[dict[str, str]], list[dict[str, str]]]] = []
    for name in state.groups:
        entries.append(("Group created", "group management", {"name": name, "typeName": "GROUP", **DIRECTORY}, [], []))
    for user in state.users.values():
        if user.account_id == ADMIN_ACCOUNT_ID or user.account_type != "atlassian":
            continue
        item = {"id": user.account_id, "name": user.name, "typeName": "USER", **DIRECTORY}
        entries.append(("User created", "user management", item,
                        [{"fieldName": "Username", "changedTo": user.name},
                         {"fieldName": "Full name", "changedTo": user.display_name},
                         {"fieldName": "Active / Inactive", "changedTo": "Active"}], []))
        for group in state.groups.values():
            if user.account_id in group.members and group.name in ("developers", "qa", "jira-administrators"):
                entries.append(("User added to group", "group management", {"name": user.name, "typeName": "USER", **DIRECTORY},
                                [], [{"name": group.name, "typeName": "GROUP", **DIRECTORY}]))
    for f in state.fields.values():
        if f.custom:
            entries.append(("Custom field created", "fields", {"id": f.id, "name": f.name, "typeName": "CUSTOM_FIELD"},
                            [{"fieldName": "Name", "changedTo": f.name}, {"fieldName": "Description", "changedTo": ""}], []))
    for scheme in state.permission_schemes.values():
        entries.append(("Permission scheme created", "permissions",
                        {"id": str(scheme.id), "name": scheme.name, "typeName": "SCHEME"}, [], []))
    for project in state.projects.values():
        item = {"id": str(project.id), "name": project.name, "typeName": "PROJECT"}
        entries.append(("Project created", "projects", item,
                        [{"fieldName": "Name", "changedTo": project.name},
                         {"fieldName": "Key", "changedTo": project.key},
                         {"fieldName": "Project lead", "changedTo": state.users[project.lead_id].display_name}], []))
    start = ctx.now - TWO_YEARS_MS - 14 * DAY_MS
    when = start
    for summary, category, item, changed, associated in entries:
        when += ri(rng, 1, 90) * MINUTE_MS + ri(rng, 0, 59_999)
        state.audit.append(AuditRecord(
            id=state.ids.next("audit", 10000),
            summary=summary,
            category=category,
            event_source="",
            created=when,
            author_id=ADMIN_ACCOUNT_ID,
            object_item=item,
            changed_values=changed,
            associated_items=associated,
        ))
