"""Project roles, permission schemes (default and restricted), the issue security scheme and
global permissions."""

from __future__ import annotations

from jiraemu.generator.common import Ctx
from jiraemu.state import Grant, PermissionScheme, ProjectRole, SecurityLevel, SecurityScheme

ROLE_USERS, ROLE_DEVELOPERS, ROLE_ADMINISTRATORS = 10000, 10001, 10002
DEFAULT_SCHEME, RESTRICTED_SCHEME = 10000, 10001
SECURITY_SCHEME = 10000
LEVEL_INTERNAL, LEVEL_CONFIDENTIAL = "10000", "10001"

# what project members (Users + Developers) may do
MEMBER_PERMISSIONS = (
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "TRANSITION_ISSUES",
    "ASSIGN_ISSUES",
    "ASSIGNABLE_USER",
    "ADD_COMMENTS",
    "CREATE_ATTACHMENTS",
    "WORK_ON_ISSUES",
    "LINK_ISSUES",
    "RESOLVE_ISSUES",
    "SCHEDULE_ISSUES",
    "CLOSE_ISSUES",
    "MANAGE_SPRINTS_PERMISSION",
    "VIEW_DEV_TOOLS",
    "VIEW_READONLY_WORKFLOW",
)
ADMIN_PERMISSIONS = (
    "DELETE_ISSUES",
    "ADMINISTER_PROJECTS",
    "DELETE_ALL_COMMENTS",
    "EDIT_ALL_COMMENTS",
    "DELETE_ALL_WORKLOGS",
    "EDIT_ALL_WORKLOGS",
    "DELETE_ALL_ATTACHMENTS",
    "MOVE_ISSUES",
    "MODIFY_REPORTER",
    "SET_ISSUE_SECURITY",
)
OWN_PERMISSIONS = (
    "EDIT_OWN_COMMENTS",
    "DELETE_OWN_COMMENTS",
    "EDIT_OWN_WORKLOGS",
    "DELETE_OWN_WORKLOGS",
    "DELETE_OWN_ATTACHMENTS",
)


def build_schemes(ctx: Ctx) -> None:
    state = ctx.state
    for rid, name, desc in (
        (ROLE_USERS, "Users", "A project role that represents users in a project"),
        (ROLE_DEVELOPERS, "Developers", "A project role that represents developers in a project"),
        (ROLE_ADMINISTRATORS, "Administrators", "A project role that represents administrators in a project"),
    ):
        state.roles[rid] = ProjectRole(rid, name, desc)
    state.permission_schemes[DEFAULT_SCHEME] = _scheme(
        ctx, DEFAULT_SCHEME, "Default Permission Scheme", "This is the default Permission Scheme.",
        browse=[("applicationRole", None), ("reporter", None)],
        members=[str(ROLE_USERS), str(ROLE_DEVELOPERS)], own=str(ROLE_USERS),
    )
    state.permission_schemes[RESTRICTED_SCHEME] = _scheme(
        ctx, RESTRICTED_SCHEME, "Restricted Permission Scheme", "Only developers and administrators.",
        browse=[("projectRole", str(ROLE_DEVELOPERS)), ("projectRole", str(ROLE_ADMINISTRATORS))],
        members=[str(ROLE_DEVELOPERS)], own=str(ROLE_DEVELOPERS),
    )
    state.security_schemes[SECURITY_SCHEME] = SecurityScheme(
        SECURITY_SCHEME,
        "Default Issue Security Scheme",
        [
            SecurityLevel(LEVEL_INTERNAL, "Internal", "Developers and the reporter",
                          [("projectRole", str(ROLE_DEVELOPERS)), ("reporter", None)]),
            SecurityLevel(LEVEL_CONFIDENTIAL, "Confidential", "Administrators and the reporter",
                          [("group", "jira-administrators"), ("reporter", None)]),
        ],
    )
    state.global_permissions = {
        "ADMINISTER": ["jira-administrators"],
        "SYSTEM_ADMIN": ["jira-administrators"],
        "USER_PICKER": ["jira-software-users"],
        "CREATE_SHARED_OBJECTS": ["jira-software-users"],
        "BULK_CHANGE": ["jira-software-users"],
    }


def _scheme(
    ctx: Ctx,
    sid: int,
    name: str,
    description: str,
    *,
    browse: list[tuple[str, str | None]],
    members: list[str],
    own: str,
) -> PermissionScheme:
    grants: list[Grant] = []

    def add(permission: str, holder_type: str, param: str | None) -> None:
        grants.append(Grant(ctx.state.ids.next("grant", 10000), permission, holder_type, param))

    for holder_type, param in browse:
        add("BROWSE_PROJECTS", holder_type, param)
    for permission in MEMBER_PERMISSIONS:
        for role in members:
            add(permission, "projectRole", role)
    for permission in ADMIN_PERMISSIONS:
        add(permission, "projectRole", str(ROLE_ADMINISTRATORS))
    for permission in OWN_PERMISSIONS:
        add(permission, "projectRole", own)
    add("ADMINISTER_PROJECTS", "projectLead", None)
    return PermissionScheme(sid, name, description, grants)
