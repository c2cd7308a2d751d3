from jiraemu.http import Route
from jiraemu.users import responses as h

CLOUD = ("cloud",)

ROUTES = [
    Route("GET", "/rest/api/{v}/user", h.get_user),
    Route("GET", "/rest/api/{v}/user/search", h.user_search, anonymous=True),
    Route("GET", "/rest/api/{v}/users/search", h.users_search, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/user/bulk", h.user_bulk, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/user/groups", h.user_groups, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/group/member", h.group_member),
    Route("POST", "/rest/api/{v}/group/user", h.add_user_to_group),
    Route("DELETE", "/rest/api/{v}/group/user", h.remove_user_from_group),
    Route("GET", "/rest/api/{v}/group/bulk", h.group_bulk, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/groups/picker", h.groups_picker),
    Route("GET", "/rest/api/{v}/role", h.all_roles),
    Route("GET", "/rest/api/{v}/role/{id}", h.role_by_id),
    Route("GET", "/rest/api/{v}/user/assignable/search", h.assignable_users),
    Route("GET", "/rest/api/{v}/securitylevel/{id}", h.security_level),
    Route("GET", "/rest/api/{v}/issuesecurityschemes/level", h.security_levels_page, flavors=CLOUD),  # before {id}
    Route("GET", "/rest/api/{v}/issuesecurityschemes/{id}", h.security_scheme),
    Route("GET", "/rest/api/{v}/permissionscheme/{schemeId}/permission/{permissionId}", h.permission_grant),
    Route("GET", "/rest/api/{v}/project/{projectIdOrKey}/role", h.project_roles),
    Route("GET", "/rest/api/{v}/project/{projectIdOrKey}/role/{id}", h.project_role_detail),
    Route("POST", "/rest/api/{v}/project/{projectIdOrKey}/role/{id}", h.add_project_role_actors),
    Route("DELETE", "/rest/api/{v}/project/{projectIdOrKey}/role/{id}", h.remove_project_role_actor),
    Route("GET", "/rest/api/{v}/permissionscheme", h.permission_schemes),
    Route("GET", "/rest/api/{v}/permissionscheme/{schemeId}", h.permission_scheme),
    Route("GET", "/rest/api/{v}/permissionscheme/{schemeId}/permission", h.permission_scheme_grants),
    Route("GET", "/rest/api/{v}/project/{projectKeyOrId}/permissionscheme", h.project_permission_scheme),
    Route("GET", "/rest/api/{v}/project/{projectKeyOrId}/securitylevel", h.project_security_levels, anonymous=True),
    Route("GET", "/rest/api/{v}/issuesecurityschemes", h.security_schemes),
    Route("GET", "/rest/api/{v}/issuesecurityschemes/level/member", h.security_level_members, flavors=("cloud",)),
    Route("GET", "/rest/api/{v}/project/{projectKeyOrId}/issuesecuritylevelscheme", h.project_security_scheme),
    Route("GET", "/rest/api/{v}/mypermissions", h.my_permissions, anonymous=True),
    Route("GET", "/rest/api/{v}/permissions", h.all_permissions, anonymous=True),
    Route("POST", "/rest/api/{v}/permissions/check", h.permissions_check, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/auditing/record", h.audit_records, flavors=CLOUD),
]
