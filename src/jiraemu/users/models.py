"""Users, groups, roles, schemes, security levels and audit records: lookups and Jira's rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from jiraemu.errors import JiraError, bad_request, forbidden, issue_not_found, not_found
from jiraemu.state import (
    AuditRecord,
    Group,
    Issue,
    PermissionScheme,
    Project,
    ProjectRole,
    SecurityScheme,
    State,
    User,
)
from jiraemu.users.catalog import PERMISSIONS
from jiraemu.users.permissions import Permissions

T = TypeVar("T")


def page(items: Sequence[T], start: int, size: int) -> tuple[list[T], bool]:
    chunk = list(items[start : start + size])
    return chunk, start + len(chunk) >= len(items)


# -- users -------------------------------------------------------------------------------------------
def user_by_account_id(state: State, account_id: str | None) -> User:
    if not account_id:
        raise bad_request("The accountId query parameter needs to be provided.")
    user = state.users.get(account_id)
    if user is None:
        raise not_found("Specified user does not exist or you do not have required permissions")
    return user


def dc_user(state: State, username: str | None, key: str | None) -> User:
    if not username and not key:
        raise bad_request("Either the 'username' or the 'key' query parameter must be provided.")
    user = state.user_by_name(username or key or "")
    if user is None:
        if username:
            raise not_found(f"The user named '{username}' does not exist")
        raise not_found(f"The user with the key '{key}' does not exist")
    return user


def _words(text: str) -> list[str]:
    return [w for w in text.lower().replace("@", " ").replace(".", " ").split() if w]


def matches_query(user: User, query: str, viewer: User | None) -> bool:
    """Jira's user-picker match: the query prefixes the display name, a word of it, or the email."""
    q = query.lower().strip()
    if not q:
        return False
    name = user.display_name.lower()
    if name.startswith(q) or any(w.startswith(q) for w in _words(user.display_name)):
        return True
    email_ok = user.email_visible or (viewer is not None and viewer.account_id == user.account_id)
    return email_ok and user.email.lower().startswith(q)


def search_users(state: State, perms: Permissions, viewer: User | None, query: str | None,
                 account_id: str | None) -> list[User]:
    """Cloud ``user/search``: active users matching the query; empty without Browse users."""
    if not query and not account_id:
        raise bad_request("One of 'accountId', 'query' or 'property' query parameters must be provided.")
    if query and account_id:
        raise bad_request("The 'query' and 'accountId' query parameters cannot be used together.")
    if not perms.has_global(viewer, "USER_PICKER"):
        return []
    if account_id:
        user = state.users.get(account_id)
        return [user] if user is not None and user.active else []
    assert query is not None
    return [u for u in sorted_users(state) if u.active and matches_query(u, query, viewer)]


def search_users_dc(state: State, perms: Permissions, viewer: User | None, username: str | None,
                    include_active: bool, include_inactive: bool) -> list[User]:
    if not username:
        raise bad_request("The username query parameter was not provided")
    if not perms.has_global(viewer, "USER_PICKER"):
        return []
    q = username.lower()
    out = []
    for u in sorted_users(state):
        if u.account_type == "app" or (u.active and not include_active) or (not u.active and not include_inactive):
            continue
        if q == "." or u.name.lower().startswith(q) or matches_query(u, q, viewer):
            out.append(u)
    return out


def sorted_users(state: State) -> list[User]:
    return sorted(state.users.values(), key=lambda u: (u.name.lower(), u.account_id))


def require_global(perms: Permissions, user: User | None, *keys: str) -> None:
    if not any(perms.has_global(user, k) for k in keys):
        raise forbidden("You are not authorized to perform this action. Administrator privileges are required."
                        if keys == ("ADMINISTER",) else "You do not have the permission to browse users and groups.")


# -- groups ------------------------------------------------------------------------------------------
def find_group(state: State, name: str | None, group_id: str | None) -> Group:
    if not name and not group_id:
        raise bad_request("You must specify a group name or a group id.")
    for g in state.groups.values():
        if (group_id and g.group_id == group_id) or (name and not group_id and g.name == name):
            return g
    raise not_found("Specified group does not exist.")


def group_members(state: State, group: Group, include_inactive: bool) -> list[User]:
    users = [state.users[a] for a in group.members if a in state.users]
    users = [u for u in users if include_inactive or u.active]
    return sorted(users, key=lambda u: (u.name.lower(), u.account_id))


def user_groups(state: State, user: User) -> list[Group]:
    return sorted((g for g in state.groups.values() if user.account_id in g.members), key=lambda g: g.name.lower())


def pick_groups(state: State, query: str, exclude: list[str]) -> list[Group]:
    q = query.lower()
    found = [g for g in state.groups.values() if q in g.name.lower() and g.name not in exclude and g.group_id not in exclude]
    return sorted(found, key=lambda g: g.name.lower())


# -- projects, roles, schemes --------------------------------------------------------------------------
def visible_project(state: State, perms: Permissions, user: User | None, key_or_id: str) -> Project:
    project = state.project_by_key_or_id(key_or_id)
    if project is None or project.deleted or not perms.can_browse_project(user, project):
        raise not_found(f"No project could be found with key '{key_or_id}'.")
    return project


def administrable_project(state: State, perms: Permissions, user: User | None, key_or_id: str,
                          status_if_not_admin: int = 404) -> Project:
    project = visible_project(state, perms, user, key_or_id)
    if perms.is_admin(user) or perms.has(user, "ADMINISTER_PROJECTS", project):
        return project
    if status_if_not_admin == 403:
        raise forbidden("You cannot edit the configuration of this project.")
    raise not_found(f"No project could be found with key '{key_or_id}'.")


def role(state: State, role_id: str) -> ProjectRole:
    found = state.roles.get(int(role_id)) if role_id.isdigit() else None
    if found is None:
        raise not_found("Can not retrieve a role actor for a null project role.")
    return found


def permission_scheme(state: State, scheme_id: str) -> PermissionScheme:
    scheme = state.permission_schemes.get(int(scheme_id)) if scheme_id.isdigit() else None
    if scheme is None:
        raise not_found(f"Permission scheme with id {scheme_id} not found.")
    return scheme


def project_security_scheme(state: State, project: Project) -> SecurityScheme:
    scheme = state.security_schemes.get(project.security_scheme_id) if project.security_scheme_id is not None else None
    if scheme is None:
        raise not_found("No issue security scheme is associated with this project.")
    return scheme


def settable_levels(state: State, perms: Permissions, user: User | None, project: Project) -> list[object]:
    """Levels the user may put on issues: Set Issue Security, then level membership (reporter-type
    members count in project context, as the user would be the reporter)."""
    if project.security_scheme_id is None or not perms.has(user, "SET_ISSUE_SECURITY", project):
        return []
    scheme = state.security_schemes.get(project.security_scheme_id)
    if scheme is None:
        return []
    out: list[object] = []
    for level in scheme.levels:
        if any(kind in ("reporter", "assignee") or perms.holder_matches(user, kind, param, project)
               for kind, param in level.members):
            out.append(level)
    return out


# -- mypermissions --------------------------------------------------------------------------------------
def permission_keys(raw: list[str], required: bool) -> list[str]:
    if not raw:
        if required:
            raise bad_request("The permissions query parameter is required. Specify a comma-separated list of permission keys.")
        return list(PERMISSIONS)
    unknown = [k for k in raw if k not in PERMISSIONS]
    if unknown:
        raise bad_request(f"Invalid permission key: {unknown[0]}.")
    return list(dict.fromkeys(raw))


def permission_context(state: State, perms: Permissions, user: User | None, project_key: str | None,
                       project_id: str | None, issue_key: str | None, issue_id: str | None
                       ) -> tuple[Project | None, Issue | None]:
    issue_ref = issue_key or issue_id
    if issue_ref:
        issue = state.issue_by_key_or_id(issue_ref)
        if issue is None or not perms.can_see_issue(user, issue):
            raise issue_not_found()
        return state.projects.get(issue.project_id), issue
    project_ref = project_key or project_id
    if project_ref:
        project = state.project_by_key_or_id(project_ref)
        if project is None or project.deleted or not perms.can_browse_project(user, project):
            raise not_found(f"No project could be found with key '{project_ref}'.")
        return project, None
    return None, None


# -- audit ------------------------------------------------------------------------------------------------
def parse_when(raw: str | None, name: str) -> int | None:
    if not raw:
        return None
    text = raw.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # 2026-01-02T03:04:05.000-0700
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise JiraError(400, [f"The value '{raw}' is invalid for parameter '{name}'."]) from None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def audit_text(record: AuditRecord) -> str:
    obj = record.object_item
    parts = [record.summary, record.category, record.event_source, str(obj.get("name", "")),
             str(obj.get("parentName", "")), str(obj.get("typeName", "")), "127.0.0.1"]
    for cv in record.changed_values:
        parts.extend(str(cv.get(k, "")) for k in ("changedFrom", "changedTo"))
    return " ".join(parts).lower()


def audit_records(state: State, filter_text: str | None, start: int | None, end: int | None) -> list[AuditRecord]:
    if start is not None and end is not None and start >= end:
        return []
    terms = (filter_text or "").lower().split()
    out = []
    for rec in sorted(state.audit, key=lambda r: (r.created, r.id), reverse=True):
        if start is not None and rec.created < start:
            continue
        if end is not None and rec.created > end:
            continue
        if terms and not all(t in audit_text(rec) for t in terms):
            continue
        out.append(rec)
    return out


def assignable(state: State, perms: Permissions, viewer: User | None, project_ref: str | None,
               issue_ref: str | None, query: str | None, account_id: str | None) -> list[User]:
    """Active users holding Assignable User in the project (or the issue's project)."""
    issue = None
    if issue_ref:
        issue = state.issue_by_key_or_id(issue_ref)
        if issue is None or not perms.can_see_issue(viewer, issue):
            raise issue_not_found()
        project: Project | None = state.projects.get(issue.project_id)
    elif project_ref:
        project = visible_project(state, perms, viewer, project_ref)
    else:
        raise bad_request("Either the 'project' or the 'issueKey' query parameter must be provided.")
    if project is None:
        raise issue_not_found()
    out = []
    for user in sorted_users(state):
        if not user.active or (account_id and user.account_id != account_id):
            continue
        if query and not (user.name.lower().startswith(query.lower()) or matches_query(user, query, viewer)):
            continue
        if perms.has(user, "ASSIGNABLE_USER", project, issue) and (issue is None or perms.can_see_issue(user, issue)):
            out.append(user)
    return out


def comment_visible(state: State, perms: Permissions, viewer: User | None, comment_id: str) -> bool:
    """Whether the caller may see one comment; 404 when it does not exist or its issue is hidden."""
    cid = int(comment_id) if comment_id.isdigit() else -1
    for issue in state.issues.values():
        for comment in issue.comments:
            if comment.id == cid:
                if not perms.can_see_issue(viewer, issue):
                    raise issue_not_found()
                return perms.can_see_comment(viewer, issue, comment)
    raise not_found(f"Can not find a comment for the id: {comment_id}.")
