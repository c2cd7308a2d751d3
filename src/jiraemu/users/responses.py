"""Handlers for users, groups, roles, permission and security schemes, mypermissions and audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from jiraemu import repr as r
from jiraemu.errors import bad_request, forbidden, not_found
from jiraemu.http import JiraRequest, Reply, View
from jiraemu.state import (
    Actor,
    AuditRecord,
    Grant,
    Group,
    PermissionScheme,
    Project,
    ProjectRole,
    SecurityLevel,
    SecurityScheme,
    User,
)
from jiraemu.users import models as m
from jiraemu.users import writes
from jiraemu.users.catalog import PERMISSIONS


# -- representations ------------------------------------------------------------------------------------
def user_full(req: View, user: User, expand: list[str]) -> dict[str, Any]:
    out = r.user_ref(req, user, full=True) or {}
    groups = m.user_groups(req.state, user)
    items = [group_name(req, g) for g in groups] if "groups" in expand else []
    out["groups"] = {"size": len(groups), "items": items}
    out["applicationRoles"] = {"size": 0 if user.account_type == "app" else 1, "items": []}
    out["expand"] = "groups,applicationRoles"
    return out


def group_name(req: View, group: Group) -> dict[str, Any]:
    out: dict[str, Any] = {"name": group.name}
    if req.is_cloud:
        out["groupId"] = group.group_id
        out["self"] = req.rest(f"group?groupId={group.group_id}")
    else:
        out["self"] = req.rest(f"group?groupname={group.name}")
    return out


def page_bean(req: JiraRequest, values: list[Any], start: int, size: int, total: int, path: str,
              params: dict[str, Any]) -> dict[str, Any]:
    def url(at: int) -> str:
        return req.rest(path) + "?" + urlencode({**params, "startAt": at, "maxResults": size})

    out: dict[str, Any] = {"self": url(start)}
    is_last = start + len(values) >= total
    if not is_last:
        out["nextPage"] = url(start + size)
    out.update(maxResults=size, startAt=start, total=total, isLast=is_last, values=values)
    return out


def role_actor(req: View, actor: Actor, actor_id: int) -> dict[str, Any]:
    if actor.kind == "group":
        group = req.state.groups.get(actor.value)
        out: dict[str, Any] = {"id": actor_id, "displayName": actor.value, "type": "atlassian-group-role-actor",
                               "name": actor.value}
        if req.is_cloud:
            out["actorGroup"] = {"name": actor.value, "displayName": actor.value}
            if group is not None:
                out["actorGroup"]["groupId"] = group.group_id
        else:
            out["avatarUrl"] = f"{req.backend.base_url}/secure/useravatar?size=xsmall&avatarId=10123"
        return out
    user = req.state.users.get(actor.value)
    display = user.display_name if user is not None else actor.value
    out = {"id": actor_id, "displayName": display, "type": "atlassian-user-role-actor"}
    if req.is_cloud:
        out["actorUser"] = {"accountId": actor.value}
    else:
        out["name"] = user.name if user is not None else actor.value
        out["avatarUrl"] = f"{req.backend.base_url}/secure/useravatar?size=xsmall&ownerId={out['name']}"
    return out


def project_role(req: View, project: Project | None, role: ProjectRole) -> dict[str, Any]:
    base = f"project/{project.key}/role/{role.id}" if project is not None else f"role/{role.id}"
    out: dict[str, Any] = {"self": req.rest(base), "name": role.name, "id": role.id, "description": role.description}
    if project is not None:
        actors = [role_actor(req, a, 20000 + (role.id % 1000) * 1000 + i)
                  for i, a in enumerate(project.role_actors.get(role.id, []))]
        out["actors"] = sorted(actors, key=lambda a: str(a["displayName"]).lower())
    return out


def holder(req: View, grant: Grant, expand: Sequence[str] = ()) -> dict[str, Any]:
    """Cloud: ``parameter`` plus ``value`` (a group's id); DC: ``parameter`` (usernames for users)
    and, when expanded, the embedded user / group / project role."""
    out: dict[str, Any] = {"type": grant.holder_type}
    param = grant.holder_param
    if param is None:
        return out
    kind = grant.holder_type
    if not req.is_cloud:
        user = req.state.users.get(param) if kind == "user" else None
        out["parameter"] = user.name if user is not None else param
        wanted = "all" in expand or kind in expand
        if wanted and user is not None:
            out["user"] = r.user_ref(req, user)
        elif wanted and kind == "group":
            out["group"] = {"name": param, "self": req.rest(f"group?groupname={param}")}
        elif wanted and kind == "projectRole" and param.isdigit() and int(param) in req.state.roles:
            out["projectRole"] = project_role(req, None, req.state.roles[int(param)])
        return out
    out["parameter"] = param
    if kind == "group":
        group = req.state.groups.get(param)
        out["value"] = group.group_id if group is not None else param
        out["expand"] = "group"
    elif kind in ("user", "projectRole"):
        out["value"] = param
        out["expand"] = kind
    return out


def grant_json(req: View, scheme: PermissionScheme, grant: Grant, expand: Sequence[str] = ()) -> dict[str, Any]:
    return {"id": grant.id, "self": req.rest(f"permissionscheme/{scheme.id}/permission/{grant.id}"),
            "holder": holder(req, grant, expand), "permission": grant.permission}


def scheme_json(req: View, scheme: PermissionScheme, expand: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"expand": "permissions,user,group,projectRole,field,all", "id": scheme.id,
                           "self": req.rest(f"permissionscheme/{scheme.id}"), "name": scheme.name,
                           "description": scheme.description}
    if "permissions" in expand or "all" in expand:
        out["permissions"] = [grant_json(req, scheme, g, expand) for g in scheme.grants]
    return out


def level_json(req: View, level: SecurityLevel) -> dict[str, Any]:
    return {"self": req.rest(f"securitylevel/{level.id}"), "id": level.id, "description": level.description,
            "name": level.name}


def security_scheme_json(req: View, scheme: SecurityScheme) -> dict[str, Any]:
    out: dict[str, Any] = {"self": req.rest(f"issuesecurityschemes/{scheme.id}"), "id": scheme.id,
                           "name": scheme.name, "description": ""}
    if scheme.default_level_id is not None:
        out["defaultSecurityLevelId"] = int(scheme.default_level_id)
    out["levels"] = [level_json(req, lv) for lv in scheme.levels]
    return out


def audit_json(req: View, rec: AuditRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rec.id, "summary": rec.summary, "remoteAddress": "127.0.0.1",
                           "authorKey": rec.author_id, "created": r.ts(req, rec.created), "category": rec.category,
                           "eventSource": rec.event_source, "objectItem": rec.object_item}
    if rec.description:
        out["description"] = rec.description
    if rec.changed_values:
        out["changedValues"] = rec.changed_values
    if rec.associated_items:
        out["associatedItems"] = rec.associated_items
    return out


def _expand(req: JiraRequest) -> list[str]:
    return req.q_list("expand")


# -- users ---------------------------------------------------------------------------------------------
def get_user(req: JiraRequest) -> dict[str, Any]:
    if req.is_cloud:
        user = m.user_by_account_id(req.state, req.q("accountId"))
    else:
        user = m.dc_user(req.state, req.q("username"), req.q("key"))
    if user.account_id != req.user.account_id:  # anyone may read their own profile
        m.require_global(req.backend.perms, req.caller.user, "USER_PICKER", "ADMINISTER")
    return user_full(req, user, _expand(req))


def user_search(req: JiraRequest) -> list[dict[str, Any] | None]:
    perms, viewer = req.backend.perms, req.caller.user
    if req.is_cloud:
        found = m.search_users(req.state, perms, viewer, req.q("query"), req.q("accountId"))
        size = req.q_int("maxResults", 50, 0, 1000)
    else:
        found = m.search_users_dc(req.state, perms, viewer, req.q("username"), req.q_bool("includeActive", True),
                                  req.q_bool("includeInactive", False))
        size = req.q_int("maxResults", 50, 0, 1000)
    chunk, _ = m.page(found, req.q_int("startAt", 0, 0), size)
    return [r.user_ref(req, u) for u in chunk]


def users_search(req: JiraRequest) -> list[dict[str, Any] | None]:
    m.require_global(req.backend.perms, req.caller.user, "USER_PICKER", "ADMINISTER")
    chunk, _ = m.page(m.sorted_users(req.state), req.q_int("startAt", 0, 0), req.q_int("maxResults", 50, 0, 1000))
    return [r.user_ref(req, u) for u in chunk]


def user_bulk(req: JiraRequest) -> dict[str, Any]:
    ids = req.q_list("accountId")
    if not ids:
        raise bad_request("The accountId query parameter needs to be provided.")
    users = [u for u in (req.state.users.get(a) for a in dict.fromkeys(ids)) if u is not None]
    start, size = req.q_int("startAt", 0, 0), req.q_int("maxResults", 10, 1, 200)
    chunk, _ = m.page(users, start, size)
    return page_bean(req, [r.user_ref(req, u) for u in chunk], start, size, len(users), "user/bulk",
                     {"accountId": ids})


def user_groups(req: JiraRequest) -> list[dict[str, Any]]:
    m.require_global(req.backend.perms, req.caller.user, "USER_PICKER", "ADMINISTER")
    user = m.user_by_account_id(req.state, req.q("accountId"))
    return [group_name(req, g) for g in m.user_groups(req.state, user)]


# -- groups ----------------------------------------------------------------------------------------------
def group_member(req: JiraRequest) -> dict[str, Any]:
    m.require_global(req.backend.perms, req.caller.user, "USER_PICKER", "ADMINISTER")
    group = m.find_group(req.state, req.q("groupname"), req.q("groupId"))
    inactive = req.q_bool("includeInactiveUsers")
    members = m.group_members(req.state, group, inactive)
    start, size = req.q_int("startAt", 0, 0), req.q_int("maxResults", 50, 1, 50)
    chunk, _ = m.page(members, start, size)
    ident = {"groupId": group.group_id} if req.is_cloud and req.q("groupId") else {"groupname": group.name}
    params = {**ident, "includeInactiveUsers": str(inactive).lower()}
    return page_bean(req, [r.user_ref(req, u) for u in chunk], start, size, len(members), "group/member", params)


def group_bulk(req: JiraRequest) -> dict[str, Any]:
    m.require_global(req.backend.perms, req.caller.user, "USER_PICKER", "ADMINISTER")
    ids, names = set(req.q_list("groupId")), set(req.q_list("groupName"))
    groups = sorted(req.state.groups.values(), key=lambda g: g.name.lower())
    if ids or names:
        groups = [g for g in groups if g.group_id in ids or g.name in names]
    start, size = req.q_int("startAt", 0, 0), req.q_int("maxResults", 50, 1, 50)
    chunk, _ = m.page(groups, start, size)
    return page_bean(req, [{"name": g.name, "groupId": g.group_id} for g in chunk], start, size, len(groups),
                     "group/bulk", {k: v for k, v in (("groupId", sorted(ids)), ("groupName", sorted(names))) if v})


def groups_picker(req: JiraRequest) -> dict[str, Any]:
    query = req.q("query") or ""
    found = m.pick_groups(req.state, query, req.q_list("exclude") + req.q_list("excludeId"))
    if not req.backend.perms.has_global(req.caller.user, "USER_PICKER"):
        found = []
    limit = req.q_int("maxResults", 20, 0)
    shown = found[:limit]
    groups = []
    for g in shown:
        item: dict[str, Any] = {"name": g.name, "html": _highlight(g.name, query), "labels": []}
        if req.is_cloud:
            item["groupId"] = g.group_id
        groups.append(item)
    return {"header": f"Showing {len(shown)} of {len(found)} matching groups", "total": len(found), "groups": groups}


def _highlight(name: str, query: str) -> str:
    at = name.lower().find(query.lower()) if query else -1
    if at < 0:
        return name
    return f"{name[:at]}<b>{name[at:at + len(query)]}</b>{name[at + len(query):]}"


# -- roles ---------------------------------------------------------------------------------------------------
def project_roles(req: JiraRequest) -> dict[str, str]:
    project = m.administrable_project(req.state, req.backend.perms, req.caller.user, req.p("projectIdOrKey"))
    roles = sorted(req.state.roles.values(), key=lambda x: x.name)
    return {role.name: req.rest(f"project/{project.key}/role/{role.id}") for role in roles}


def project_role_detail(req: JiraRequest) -> dict[str, Any]:
    project = m.administrable_project(req.state, req.backend.perms, req.caller.user, req.p("projectIdOrKey"))
    out = project_role(req, project, m.role(req.state, req.p("id")))
    if req.q_bool("excludeInactiveUsers"):
        users = req.state.users
        out["actors"] = [a for a in out["actors"] if "actorUser" not in a
                         or users.get(a["actorUser"]["accountId"]) is None
                         or users[a["actorUser"]["accountId"]].active]
    return out


def all_roles(req: JiraRequest) -> list[dict[str, Any]]:
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    return [project_role(req, None, role) for role in sorted(req.state.roles.values(), key=lambda x: x.id)]


# -- permission schemes ------------------------------------------------------------------------------------
def permission_schemes(req: JiraRequest) -> dict[str, Any]:
    schemes = sorted(req.state.permission_schemes.values(), key=lambda s: s.id)
    return {"permissionSchemes": [scheme_json(req, s, _expand(req)) for s in schemes]}


def permission_scheme(req: JiraRequest) -> dict[str, Any]:
    return scheme_json(req, m.permission_scheme(req.state, req.p("schemeId")), _expand(req))


def permission_scheme_grants(req: JiraRequest) -> dict[str, Any]:
    scheme = m.permission_scheme(req.state, req.p("schemeId"))
    return {"permissions": [grant_json(req, scheme, g, _expand(req)) for g in scheme.grants],
            "expand": "user,group,projectRole,field,all"}


def project_permission_scheme(req: JiraRequest) -> dict[str, Any]:
    project = m.visible_project(req.state, req.backend.perms, req.caller.user, req.p("projectKeyOrId"))
    scheme = req.state.permission_schemes.get(project.permission_scheme_id)
    if scheme is None:
        scheme = PermissionScheme(0, "Default Permission Scheme")
    return scheme_json(req, scheme, _expand(req))


# -- issue security ------------------------------------------------------------------------------------------
def project_security_levels(req: JiraRequest) -> dict[str, Any]:
    perms, user = req.backend.perms, req.caller.user
    project = m.visible_project(req.state, perms, user, req.p("projectKeyOrId"))
    levels = m.settable_levels(req.state, perms, user, project)
    return {"levels": [level_json(req, lv) for lv in levels if isinstance(lv, SecurityLevel)]}


def security_schemes(req: JiraRequest) -> dict[str, Any]:
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    schemes = sorted(req.state.security_schemes.values(), key=lambda s: s.id)
    return {"issueSecuritySchemes": [security_scheme_json(req, s) for s in schemes]}


def security_levels_page(req: JiraRequest) -> dict[str, Any]:
    """Cloud ``GET issuesecurityschemes/level``: the levels of every scheme (admin only), paged.
    Filters are inclusive, as the spec says: a level matches by its ``id`` or its scheme's
    ``schemeId``; ``onlyDefault`` keeps each scheme's default level."""
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    ids, schemes = set(req.q_list("id")), set(req.q_list("schemeId"))
    only_default = req.q_bool("onlyDefault")
    levels: list[dict[str, Any]] = []
    for scheme in sorted(req.state.security_schemes.values(), key=lambda x: x.id):
        for level in scheme.levels:
            if (ids or schemes) and level.id not in ids and str(scheme.id) not in schemes:
                continue
            default = level.id == scheme.default_level_id
            if only_default and not default:
                continue
            levels.append({"self": req.rest(f"securitylevel/{level.id}"), "id": level.id, "name": level.name,
                           "description": level.description, "isDefault": default,
                           "issueSecuritySchemeId": str(scheme.id)})
    start, size = req.q_int("startAt", 0, 0), req.q_int("maxResults", 50, 1, 100)
    chunk, _ = m.page(levels, start, size)
    params = {k: v for k, v in (("id", ",".join(sorted(ids))), ("schemeId", ",".join(sorted(schemes)))) if v}
    return page_bean(req, chunk, start, size, len(levels), "issuesecurityschemes/level", params)


def security_level_members(req: JiraRequest) -> dict[str, Any]:
    """Cloud ``GET issuesecurityschemes/level/member``: who belongs to each level (admin only),
    filtered by member ``id``, ``schemeId`` and ``levelId``. Member ids are ``<level id>0<index>``."""
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    ids, schemes, levels = set(req.q_list("id")), set(req.q_list("schemeId")), set(req.q_list("levelId"))
    members: list[dict[str, Any]] = []
    for scheme in sorted(req.state.security_schemes.values(), key=lambda x: x.id):
        if schemes and str(scheme.id) not in schemes:
            continue
        for level in scheme.levels:
            if levels and level.id not in levels:
                continue
            for index, (kind, param) in enumerate(level.members):
                member_id = f"{level.id}0{index}"
                if ids and member_id not in ids:
                    continue
                grant = Grant(int(member_id), "", kind, param)
                members.append({"id": member_id, "issueSecurityLevelId": level.id,
                                "issueSecuritySchemeId": str(scheme.id), "holder": holder(req, grant)})
    start, size = req.q_int("startAt", 0, 0), req.q_int("maxResults", 50, 1, 100)
    chunk, _ = m.page(members, start, size)
    params = {k: v for k, v in (("schemeId", ",".join(sorted(schemes))), ("levelId", ",".join(sorted(levels)))) if v}
    return page_bean(req, chunk, start, size, len(members), "issuesecurityschemes/level/member", params)


def project_security_scheme(req: JiraRequest) -> dict[str, Any]:
    project = m.administrable_project(req.state, req.backend.perms, req.caller.user, req.p("projectKeyOrId"), 403)
    return security_scheme_json(req, m.project_security_scheme(req.state, project))


# -- permissions ------------------------------------------------------------------------------------------------
def _perm_json(key: str, have: bool | None) -> dict[str, Any]:
    p = PERMISSIONS[key]
    out: dict[str, Any] = {"id": p.id, "key": p.key, "name": p.name, "type": p.type, "description": p.description}
    if have is not None:
        out["havePermission"] = have
    return out


def my_permissions(req: JiraRequest) -> dict[str, Any]:
    perms, user = req.backend.perms, req.caller.user
    keys = m.permission_keys(req.q_list("permissions"), required=req.is_cloud)
    comment_id = req.q("commentId")
    if comment_id and req.is_cloud:
        if keys != ["BROWSE_PROJECTS"]:
            raise bad_request("Only the BROWSE_PROJECTS permission can be checked for a comment.")
        return {"permissions": {"BROWSE_PROJECTS": _perm_json("BROWSE_PROJECTS", m.comment_visible(
            req.state, perms, user, comment_id))}}
    project, issue = m.permission_context(req.state, perms, user, req.q("projectKey"), req.q("projectId"),
                                          req.q("issueKey"), req.q("issueId"))
    return {"permissions": {k: _perm_json(k, perms.has(user, k, project, issue)) for k in keys}}


def all_permissions(req: JiraRequest) -> dict[str, Any]:
    return {"permissions": {k: _perm_json(k, None) for k in PERMISSIONS}}


def permissions_check(req: JiraRequest) -> dict[str, Any]:
    perms, state = req.backend.perms, req.state
    body = req.json_object()
    who = req.user
    if body.get("accountId"):
        if not perms.is_admin(req.user):
            raise forbidden("You are not authorized to perform this action. Administrator privileges are required.")
        who = m.user_by_account_id(state, str(body["accountId"]))
    global_keys = [str(k) for k in body.get("globalPermissions") or []]
    bad = [k for k in global_keys if k not in PERMISSIONS or PERMISSIONS[k].type != "GLOBAL"]
    if bad:
        raise bad_request(f"Unrecognized global permission: {bad[0]}")
    out_projects = []
    for entry in body.get("projectPermissions") or []:
        keys = [str(k) for k in entry.get("permissions") or []]
        if not keys:
            raise bad_request("At least one project permission must be provided.")
        projects = [state.projects.get(int(p)) for p in entry.get("projects") or []]
        issues = [state.issues.get(int(i)) for i in entry.get("issues") or []]
        for key in keys:
            out_projects.append({
                "permission": key,
                "issues": [i.id for i in issues if i is not None and perms.can_see_issue(who, i)
                           and perms.has(who, key, issue=i)],
                "projects": [p.id for p in projects if p is not None and perms.has(who, key, p)],
            })
    granted = [k for k in global_keys if perms.has_global(who, k)]
    return {"globalPermissions": granted, "projectPermissions": out_projects}


# -- audit ----------------------------------------------------------------------------------------------------------
def audit_records(req: JiraRequest) -> dict[str, Any]:
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    start = m.parse_when(req.q("from"), "from")
    end = m.parse_when(req.q("to"), "to")
    records = m.audit_records(req.state, req.q("filter"), start, end)
    offset, limit = req.q_int("offset", 0, 0), req.q_int("limit", 1000, 0, 1000)
    chunk = records[offset:offset + limit]
    return {"offset": offset, "limit": limit, "total": len(records), "records": [audit_json(req, x) for x in chunk]}


# -- single records and assignable users -------------------------------------------------------------------------
def security_level(req: JiraRequest) -> dict[str, Any]:
    level_id = req.p("id")
    for scheme in req.state.security_schemes.values():
        for level in scheme.levels:
            if level.id == level_id:
                out = level_json(req, level)
                if req.is_cloud:
                    out["isDefault"] = scheme.default_level_id == level.id
                    out["issueSecuritySchemeId"] = str(scheme.id)
                return out
    raise not_found(f"Issue security level with id '{level_id}' does not exist.")


def security_scheme(req: JiraRequest) -> dict[str, Any]:
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    raw = req.p("id")
    scheme = req.state.security_schemes.get(int(raw)) if raw.isdigit() else None
    if scheme is None:
        raise not_found(f"Issue security scheme with id '{raw}' does not exist.")
    return security_scheme_json(req, scheme)


def role_by_id(req: JiraRequest) -> dict[str, Any]:
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    return project_role(req, None, m.role(req.state, req.p("id")))


def permission_grant(req: JiraRequest) -> dict[str, Any]:
    scheme = m.permission_scheme(req.state, req.p("schemeId"))
    raw = req.p("permissionId")
    grant = next((g for g in scheme.grants if str(g.id) == raw), None)
    if grant is None:
        raise not_found(f"Permission grant with id {raw} not found.")
    return grant_json(req, scheme, grant, _expand(req))


def assignable_users(req: JiraRequest) -> list[dict[str, Any] | None]:
    found = m.assignable(req.state, req.backend.perms, req.caller.user, req.q("project"),
                         req.q("issueKey") or req.q("issueId"), req.q("query") or req.q("username"), req.q("accountId"))
    chunk, _ = m.page(found, req.q_int("startAt", 0, 0), req.q_int("maxResults", 50, 0, 1000))
    return [r.user_ref(req, u) for u in chunk]


# -- group members and role actors: writes ---------------------------------------------------------------------
def _member(req: JiraRequest, ref: Any) -> User:
    """A user named by account id (Cloud) or username / key (Data Center)."""
    user = None
    if isinstance(ref, str) and ref:
        user = req.state.users.get(ref) if req.is_cloud else (req.state.user_by_name(ref) or req.state.users.get(ref))
    if user is None:
        raise not_found(f"The user '{ref}' does not exist." if ref else "The user was not found.")
    return user


def _group_bean(req: JiraRequest, group: Group) -> dict[str, Any]:
    out = group_name(req, group)
    out["users"] = {"size": len(group.members), "items": [], "max-results": 50, "start-index": 0, "end-index": 0}
    out["expand"] = "users"
    return out


def add_user_to_group(req: JiraRequest) -> Reply:
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    group = m.find_group(req.state, req.q("groupname"), req.q("groupId"))
    body = req.json_object()
    member = _member(req, body.get("accountId") if req.is_cloud else (body.get("name") or body.get("accountId")))
    if not writes.add_group_member(req.backend, req.caller.user, group, member):
        raise bad_request(f"Cannot add user. '{member.display_name}' already belongs to group '{group.name}'.")
    return Reply(_group_bean(req, group), status=201)


def remove_user_from_group(req: JiraRequest) -> Reply:
    m.require_global(req.backend.perms, req.caller.user, "ADMINISTER")
    group = m.find_group(req.state, req.q("groupname"), req.q("groupId"))
    member = _member(req, req.q("accountId") if req.is_cloud else (req.q("username") or req.q("accountId")))
    if not writes.remove_group_member(req.backend, req.caller.user, group, member):
        raise not_found(f"Cannot remove user. '{member.display_name}' is not a member of group '{group.name}'.")
    return Reply(None, status=200)


def _group_ref(req: JiraRequest, name: str | None, group_id: str | None) -> str:
    return m.find_group(req.state, name, group_id).name


def add_project_role_actors(req: JiraRequest) -> dict[str, Any]:
    project = m.administrable_project(req.state, req.backend.perms, req.caller.user, req.p("projectIdOrKey"))
    role = m.role(req.state, req.p("id"))
    body = req.json_object()
    wanted: list[Actor] = []
    for ref in body.get("user") or []:
        wanted.append(Actor("user", _member(req, str(ref)).account_id))
    for ref in body.get("group") or []:
        wanted.append(Actor("group", _group_ref(req, str(ref), None)))
    for ref in body.get("groupId") or []:
        wanted.append(Actor("group", _group_ref(req, None, str(ref))))
    if not wanted:
        raise bad_request("You must specify a user or a group to add.")
    actors = list(project.role_actors.get(role.id, []))
    actors.extend(a for a in dict.fromkeys(wanted) if a not in actors)
    writes.set_role_actors(req.backend, req.caller.user, project, role.id, actors)
    return project_role(req, project, role)


def remove_project_role_actor(req: JiraRequest) -> Reply:
    project = m.administrable_project(req.state, req.backend.perms, req.caller.user, req.p("projectIdOrKey"))
    role = m.role(req.state, req.p("id"))
    if req.q("user"):
        actor = Actor("user", _member(req, req.q("user")).account_id)
    elif req.q("group") or req.q("groupId"):
        actor = Actor("group", _group_ref(req, req.q("group"), req.q("groupId")))
    else:
        raise bad_request("You must specify a user or a group to remove.")
    actors = project.role_actors.get(role.id, [])
    if actor not in actors:
        raise not_found(f"The {actor.kind} '{actor.value}' is not an actor of role '{role.name}' in this project.")
    writes.set_role_actors(req.backend, req.caller.user, project, role.id, [a for a in actors if a != actor])
    return Reply(None, status=204)
