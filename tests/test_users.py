"""Users, groups, project roles, schemes and the audit log over real HTTP (Cloud v2/v3 and DC v2)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from jiraemu import EmuConfig, EmulatorServer
from jiraemu.state import Actor, AuditRecord, Grant, Group, State, User
from tests.conftest import basic
from tests.test_permissions import add_user

ADMIN_ID = "557058:f0000000-0000-4000-8000-000000000001"


def as_user(server: EmulatorServer, user: User) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=basic(user.email, user.api_token), timeout=30)


@pytest.fixture
def people(cloud: EmulatorServer) -> Iterator[dict[str, User]]:
    state = cloud.backend.state
    out = {
        "hidden": add_user(state, "hidden", email_visible=False),
        "plain": add_user(state, "plain"),
        "nobody": add_user(state, "nobody", groups=()),  # not even jira-software-users: no Browse users
        "gone": add_user(state, "gone", active=False),
    }
    cloud.backend.perms.invalidate()
    yield out


# -- users ------------------------------------------------------------------------------------------------
def test_hidden_email_is_absent_for_others_and_present_for_self(cloud: EmulatorServer, people: dict[str, User],
                                                               admin_client: httpx.Client) -> None:
    hidden = people["hidden"]
    for v in (2, 3):
        seen = admin_client.get(f"/rest/api/{v}/user", params={"accountId": hidden.account_id}).json()
        assert seen["accountId"] == hidden.account_id and "emailAddress" not in seen
    with as_user(cloud, hidden) as c:
        own = c.get("/rest/api/3/user", params={"accountId": hidden.account_id}).json()
    assert own["emailAddress"] == "hidden@example.com"
    visible = admin_client.get("/rest/api/3/user", params={"accountId": people["plain"].account_id}).json()
    assert visible["emailAddress"] == "plain@example.com"


def test_get_user_errors_and_groups_expand(admin_client: httpx.Client) -> None:
    assert admin_client.get("/rest/api/3/user", params={"accountId": "557058:nope"}).status_code == 404
    assert admin_client.get("/rest/api/3/user").status_code == 400
    me = admin_client.get("/rest/api/3/user", params={"accountId": ADMIN_ID, "expand": "groups"}).json()
    assert "jira-administrators" in [g["name"] for g in me["groups"]["items"]]
    assert me["groups"]["size"] == len(me["groups"]["items"])


def test_dc_user_by_username_and_key(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    user = next(u for u in dc.backend.state.users.values() if u.name != "admin")
    by_name = dc_client.get("/rest/api/2/user", params={"username": user.name}).json()
    assert (by_name["name"], by_name["key"]) == (user.name, user.key)
    assert "accountId" not in by_name
    assert dc_client.get("/rest/api/2/user", params={"key": user.key}).json()["name"] == user.name
    missing = dc_client.get("/rest/api/2/user", params={"username": "nosuchuser"})
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == ["The user named 'nosuchuser' does not exist"]


def test_user_search_needs_browse_users_and_returns_a_bare_array(cloud: EmulatorServer, people: dict[str, User],
                                                                 admin_client: httpx.Client) -> None:
    found = admin_client.get("/rest/api/3/user/search", params={"query": "plain"}).json()
    assert [u["accountId"] for u in found] == [people["plain"].account_id]
    by_id = admin_client.get("/rest/api/3/user/search", params={"accountId": people["plain"].account_id}).json()
    assert len(by_id) == 1
    # hidden emails are not searchable by others; inactive users are not returned
    assert admin_client.get("/rest/api/3/user/search", params={"query": "hidden@"}).json() == []
    assert admin_client.get("/rest/api/3/user/search", params={"query": "gone"}).json() == []
    assert admin_client.get("/rest/api/3/user/search").status_code == 400
    with as_user(cloud, people["nobody"]) as c:
        r = c.get("/rest/api/3/user/search", params={"query": "plain"})
        assert r.status_code == 200 and r.json() == []
    anon = httpx.get(cloud.url + "/rest/api/3/user/search", params={"query": "plain"})
    assert anon.status_code == 200 and anon.json() == []


def test_users_search_pages_over_everyone(cloud: EmulatorServer, people: dict[str, User],
                                          admin_client: httpx.Client) -> None:
    total = len(cloud.backend.state.users)
    seen: list[str] = []
    start = 0
    while True:
        page = admin_client.get("/rest/api/3/users/search", params={"startAt": start, "maxResults": 4}).json()
        seen.extend(u["accountId"] for u in page)
        if len(page) < 4:
            break
        start += 4
    assert len(seen) == len(set(seen)) == total
    assert people["gone"].account_id in seen
    with as_user(cloud, people["nobody"]) as c:
        assert c.get("/rest/api/3/users/search").status_code == 403


def test_user_bulk_and_user_groups(people: dict[str, User], admin_client: httpx.Client) -> None:
    ids = [people["plain"].account_id, people["hidden"].account_id, ADMIN_ID]
    page = admin_client.get("/rest/api/3/user/bulk", params={"accountId": ids, "maxResults": 2}).json()
    assert page["total"] == 3 and len(page["values"]) == 2 and page["isLast"] is False and "nextPage" in page
    groups = admin_client.get("/rest/api/3/user/groups", params={"accountId": people["plain"].account_id}).json()
    assert [g["name"] for g in groups] == ["jira-software-users"]
    assert admin_client.get("/rest/api/3/user/bulk").status_code == 400


# -- groups ------------------------------------------------------------------------------------------------
def _paging_group(state: State) -> tuple[Group, list[User]]:
    members = [add_user(state, f"pg{n}", groups=()) for n in range(5)]
    members[2].active = False
    group = Group("gid-paging", "paging-group", [u.account_id for u in reversed(members)])
    state.groups[group.name] = group
    return group, members


def test_group_member_pages_by_username_and_skips_inactive(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    group, members = _paging_group(cloud.backend.state)
    active = [u.account_id for u in members if u.active]
    first = admin_client.get("/rest/api/3/group/member", params={"groupname": group.name, "maxResults": 2}).json()
    assert (first["total"], first["isLast"], first["startAt"], first["maxResults"]) == (4, False, 0, 2)
    assert "startAt=2" in first["nextPage"]
    ids = [u["accountId"] for u in first["values"]]
    second = httpx.get(first["nextPage"], headers=admin_client.headers).json()
    ids += [u["accountId"] for u in second["values"]]
    assert ids == active and second["isLast"] is True and "nextPage" not in second
    everyone = admin_client.get("/rest/api/3/group/member",
                                params={"groupId": group.group_id, "includeInactiveUsers": "true"}).json()
    assert [u["accountId"] for u in everyone["values"]] == [u.account_id for u in members]
    assert admin_client.get("/rest/api/3/group/member", params={"groupname": "no-such"}).status_code == 404
    assert admin_client.get("/rest/api/3/group/member").status_code == 400


def test_dc_group_member(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    group, _ = _paging_group(dc.backend.state)
    page = dc_client.get("/rest/api/2/group/member", params={"groupname": group.name, "maxResults": 3}).json()
    assert [u["name"] for u in page["values"]] == ["pg0", "pg1", "pg3"]
    assert page["total"] == 4 and page["isLast"] is False


def test_group_bulk_and_picker(cloud: EmulatorServer, people: dict[str, User], admin_client: httpx.Client) -> None:
    names = sorted(cloud.backend.state.groups)
    page = admin_client.get("/rest/api/3/group/bulk", params={"maxResults": 50}).json()
    assert sorted(g["name"] for g in page["values"]) == names and page["isLast"] is True
    one = admin_client.get("/rest/api/3/group/bulk", params={"groupName": "jira-administrators"}).json()
    assert [g["name"] for g in one["values"]] == ["jira-administrators"]
    picked = admin_client.get("/rest/api/3/groups/picker", params={"query": "admin"}).json()
    assert [g["name"] for g in picked["groups"]] == ["jira-administrators"]
    assert picked["groups"][0]["html"] == "jira-<b>admin</b>istrators"
    with as_user(cloud, people["nobody"]) as c:
        assert c.get("/rest/api/3/group/bulk").status_code == 403


# -- roles -------------------------------------------------------------------------------------------------------
def test_project_role_actors(cloud: EmulatorServer, people: dict[str, User], admin_client: httpx.Client) -> None:
    state = cloud.backend.state
    project = sorted(state.projects.values(), key=lambda p: p.id)[0]
    project.role_actors[10001] = [Actor("group", "jira-administrators"), Actor("user", people["plain"].account_id)]
    roles = admin_client.get(f"/rest/api/3/project/{project.key}/role").json()
    assert roles["Developers"].endswith(f"/rest/api/3/project/{project.key}/role/10001")
    detail = admin_client.get(roles["Developers"]).json()
    assert detail["id"] == 10001 and detail["name"] == "Developers"
    by_type = {a["type"]: a for a in detail["actors"]}
    assert by_type["atlassian-user-role-actor"]["actorUser"] == {"accountId": people["plain"].account_id}
    assert by_type["atlassian-group-role-actor"]["actorGroup"]["name"] == "jira-administrators"
    with as_user(cloud, people["plain"]) as c:  # not a project administrator
        assert c.get(f"/rest/api/3/project/{project.key}/role/10001").status_code == 404
        assert c.get("/rest/api/3/role").status_code == 403
    assert {r["name"] for r in admin_client.get("/rest/api/3/role").json()} >= {"Developers"}


def test_dc_project_role_actor_names(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    state = dc.backend.state
    project = sorted(state.projects.values(), key=lambda p: p.id)[0]
    user = next(u for u in state.users.values() if u.name != "admin")
    project.role_actors[10001] = [Actor("user", user.account_id)]
    detail = dc_client.get(f"/rest/api/2/project/{project.key}/role/10001").json()
    assert detail["actors"][0]["name"] == user.name and detail["actors"][0]["displayName"] == user.display_name


# -- schemes ------------------------------------------------------------------------------------------------------
def test_permission_schemes_expand(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    plain = admin_client.get("/rest/api/3/permissionscheme").json()["permissionSchemes"]
    assert plain and all("permissions" not in s for s in plain)
    full = admin_client.get("/rest/api/3/permissionscheme", params={"expand": "permissions"}).json()
    grants = [g for s in full["permissionSchemes"] for g in s["permissions"]]
    assert any(g["permission"] == "BROWSE_PROJECTS" for g in grants)
    group_grant = next((g for g in grants if g["holder"]["type"] == "group"), None)
    if group_grant is not None:  # Cloud: parameter is the group name, value its id
        gid = cloud.backend.state.groups[group_grant["holder"]["parameter"]].group_id
        assert group_grant["holder"]["value"] == gid
    project = sorted(cloud.backend.state.projects.values(), key=lambda p: p.id)[0]
    mine = admin_client.get(f"/rest/api/3/project/{project.key}/permissionscheme").json()
    assert mine["id"] == project.permission_scheme_id
    one = admin_client.get(f"/rest/api/3/permissionscheme/{mine['id']}/permission").json()
    assert len(one["permissions"]) == len(cloud.backend.state.permission_schemes[mine["id"]].grants)
    assert admin_client.get("/rest/api/3/permissionscheme/4242").status_code == 404


def test_issue_security_schemes_are_admin_only(cloud: EmulatorServer, people: dict[str, User],
                                               admin_client: httpx.Client) -> None:
    listed = admin_client.get("/rest/api/3/issuesecurityschemes").json()["issueSecuritySchemes"]
    assert [s["id"] for s in listed] == sorted(cloud.backend.state.security_schemes)
    with as_user(cloud, people["plain"]) as c:
        assert c.get("/rest/api/3/issuesecurityschemes").status_code == 403
    secured = [p for p in cloud.backend.state.projects.values() if p.security_scheme_id is not None]
    for project in secured:
        scheme = admin_client.get(f"/rest/api/3/project/{project.key}/issuesecuritylevelscheme").json()
        assert scheme["id"] == project.security_scheme_id


def test_permissions_catalogue(admin_client: httpx.Client) -> None:
    perms = admin_client.get("/rest/api/3/permissions").json()["permissions"]
    assert perms["BROWSE_PROJECTS"]["type"] == "PROJECT" and perms["ADMINISTER"]["type"] == "GLOBAL"


# -- audit --------------------------------------------------------------------------------------------------------
def _audit(state: State, n: int, at: int, summary: str, category: str) -> AuditRecord:
    rec = AuditRecord(n, summary, category, "", at, ADMIN_ID, {"id": str(n), "name": f"obj-{n}", "typeName": "PROJECT"},
                      [{"fieldName": "Name", "changedFrom": "a", "changedTo": "b"}])
    state.audit.append(rec)
    return rec


def test_audit_records_admin_only_paged_and_filtered(cloud: EmulatorServer, people: dict[str, User],
                                                     admin_client: httpx.Client) -> None:
    state = cloud.backend.state
    state.audit.clear()
    base = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    for n in range(5):
        _audit(state, 10000 + n, base + n * 3_600_000, "Project created" if n % 2 else "Workflow updated",
               "projects" if n % 2 else "workflows")
    with as_user(cloud, people["plain"]) as c:
        assert c.get("/rest/api/3/auditing/record").status_code == 403
    everything = admin_client.get("/rest/api/3/auditing/record").json()
    assert everything["total"] == 5 and everything["limit"] == 1000
    assert [r["id"] for r in everything["records"]] == [10004, 10003, 10002, 10001, 10000]  # newest first
    page = admin_client.get("/rest/api/3/auditing/record", params={"offset": 1, "limit": 2}).json()
    assert [r["id"] for r in page["records"]] == [10003, 10002] and page["total"] == 5
    projects = admin_client.get("/rest/api/3/auditing/record", params={"filter": "project created"}).json()
    assert [r["id"] for r in projects["records"]] == [10003, 10001]
    window = admin_client.get("/rest/api/3/auditing/record",
                              params={"from": "2026-01-01T00:30:00.000Z", "to": "2026-01-01T02:30:00.000Z"}).json()
    assert [r["id"] for r in window["records"]] == [10002, 10001]
    backwards = admin_client.get("/rest/api/3/auditing/record",
                                 params={"from": "2026-01-02T00:00:00.000Z", "to": "2026-01-01T00:00:00.000Z"}).json()
    assert backwards["records"] == []


def test_get_user_needs_browse_users_except_for_oneself(cloud: EmulatorServer, people: dict[str, User]) -> None:
    nobody = people["nobody"]
    with as_user(cloud, nobody) as c:
        assert c.get("/rest/api/3/user", params={"accountId": ADMIN_ID}).status_code == 403
        own = c.get("/rest/api/3/user", params={"accountId": nobody.account_id})
        assert own.status_code == 200 and own.json()["emailAddress"] == "nobody@example.com"


def test_single_scheme_records(cloud: EmulatorServer, people: dict[str, User], admin_client: httpx.Client) -> None:
    state = cloud.backend.state
    scheme = next(iter(state.permission_schemes.values()))
    grant = scheme.grants[0]
    one = admin_client.get(f"/rest/api/3/permissionscheme/{scheme.id}/permission/{grant.id}").json()
    assert (one["id"], one["permission"], one["holder"]["type"]) == (grant.id, grant.permission, grant.holder_type)
    assert admin_client.get(f"/rest/api/3/permissionscheme/{scheme.id}/permission/1").status_code == 404
    role = admin_client.get("/rest/api/3/role/10001").json()
    assert role["name"] == state.roles[10001].name
    for sec in state.security_schemes.values():
        assert admin_client.get(f"/rest/api/3/issuesecurityschemes/{sec.id}").json()["name"] == sec.name
        level = sec.levels[0]
        got = admin_client.get(f"/rest/api/2/securitylevel/{level.id}").json()
        assert (got["name"], got["issueSecuritySchemeId"]) == (level.name, str(sec.id))
    assert admin_client.get("/rest/api/3/securitylevel/424242").status_code == 404


def test_dc_user_search_returns_an_array() -> None:
    """Started without the spec validator: the DC 10.0 spec declares a single UserBean here, but
    Jira DC answers ``user/search`` with a JSON array of users (as every DC client expects)."""
    server = EmulatorServer(EmuConfig(flavor="datacenter", projects=1, issues=5, users=10))
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer emulator-pat"}, timeout=30) as c:
            found = c.get("/rest/api/2/user/search", params={"username": "user0"}).json()
            assert isinstance(found, list) and found
            assert all(u["name"].startswith("user0") or "user0" in u["displayName"].lower() for u in found)
            assert c.get("/rest/api/2/user/search").status_code == 400
            inactive = [u.name for u in server.backend.state.users.values() if not u.active]
            names = [u["name"] for u in c.get("/rest/api/2/user/search",
                                              params={"username": ".", "includeInactive": "true"}).json()]
            assert set(inactive) <= set(names)
            active_only = [u["name"] for u in c.get("/rest/api/2/user/search", params={"username": "."}).json()]
            assert not set(inactive) & set(active_only)
    finally:
        server.stop()


def test_audit_helper_records_are_served(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    from jiraemu.users.audit import record

    rec = record(cloud.backend, "User added to group", "group management", ADMIN_ID,
                 {"id": "gid-x", "name": "qa", "typeName": "GROUP"},
                 associated=[{"id": ADMIN_ID, "name": ADMIN_ID, "typeName": "USER"}])
    found = admin_client.get("/rest/api/3/auditing/record", params={"filter": "added to group"}).json()["records"]
    assert found[0]["id"] == rec.id and found[0]["associatedItems"][0]["typeName"] == "USER"
    assert all(r["id"] != rec.id for r in found[1:])


def test_dc_permission_scheme_holders_use_usernames(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    state = dc.backend.state
    user = next(u for u in state.users.values() if u.name != "admin")
    scheme = next(iter(state.permission_schemes.values()))
    scheme.grants.append(Grant(99999, "BROWSE_PROJECTS", "user", user.account_id))
    got = dc_client.get(f"/rest/api/2/permissionscheme/{scheme.id}/permission/99999", params={"expand": "user"}).json()
    assert got["holder"]["parameter"] == user.name and got["holder"]["user"]["name"] == user.name
    plain = dc_client.get(f"/rest/api/2/permissionscheme/{scheme.id}/permission/99999").json()
    assert "user" not in plain["holder"]


def test_dc_schemes_and_security(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    state = dc.backend.state
    schemes = dc_client.get("/rest/api/2/permissionscheme", params={"expand": "all"}).json()["permissionSchemes"]
    assert {s["id"] for s in schemes} == set(state.permission_schemes) and all(s["permissions"] for s in schemes)
    assert [s["id"] for s in dc_client.get("/rest/api/2/issuesecurityschemes").json()["issueSecuritySchemes"]] == \
        sorted(state.security_schemes)
    for project in state.projects.values():
        levels = dc_client.get(f"/rest/api/2/project/{project.key}/securitylevel").json()["levels"]
        if project.security_scheme_id is None:
            assert levels == []
        else:
            scheme = dc_client.get(f"/rest/api/2/project/{project.key}/issuesecuritylevelscheme").json()
            assert scheme["id"] == project.security_scheme_id
    assert dc_client.get("/rest/api/2/permissions").json()["permissions"]["ADMINISTER"]["type"] == "GLOBAL"
