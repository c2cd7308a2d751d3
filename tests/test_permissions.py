"""Jira's permission rules over real HTTP: schemes, roles, groups, security levels, mypermissions.

Each test runs against a site whose permission set-up the fixture writes explicitly (two schemes,
role actors, a security level), so the expectations below follow from Jira's rules alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from jiraemu import EmulatorServer
from jiraemu.events import ISSUE_UPDATED, Event
from jiraemu.state import (
    Actor,
    Comment,
    Doc,
    Grant,
    Group,
    Issue,
    PermissionScheme,
    Project,
    ProjectRole,
    SecurityLevel,
    SecurityScheme,
    State,
    User,
)
from tests.conftest import basic

DEVS, ADMINS = 10001, 10002
OPEN_SCHEME, CLOSED_SCHEME = 90001, 90002


def add_user(state: State, name: str, *, groups: tuple[str, ...] = ("jira-software-users",), **kw: object) -> User:
    user = User(account_id=f"557058:test-{name}", name=name, key=f"JIRAUSER9{len(state.users):04d}",
                display_name=f"{name.title()} Tester", email=f"{name}@example.com", api_token=f"tok-{name}",
                password=f"pw-{name}", pat=f"pat-{name}")
    user = dataclasses.replace(user, **kw)  # type: ignore[arg-type]
    state.users[user.account_id] = user
    for g in groups:
        state.groups.setdefault(g, Group(f"gid-{g}", g, [])).members.append(user.account_id)
    return user


@dataclass
class Site:
    server: EmulatorServer
    open: Project
    closed: Project
    admin: User
    member: User
    outsider: User
    reporter: User
    qa: User
    levelled: Issue
    plain: Issue

    @property
    def state(self) -> State:
        return self.server.backend.state

    def client(self, user: User) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers=basic(user.email, user.api_token), timeout=30)


def grants(*items: tuple[str, str, str | None]) -> list[Grant]:
    return [Grant(90000 + n, perm, kind, param) for n, (perm, kind, param) in enumerate(items)]


def set_up(server: EmulatorServer) -> Site:
    backend = server.backend
    state = backend.state
    state.roles.setdefault(DEVS, ProjectRole(DEVS, "Developers"))
    state.roles.setdefault(ADMINS, ProjectRole(ADMINS, "Administrators"))
    admin = next(u for u in state.users.values() if u.email == "admin@example.com")
    member = add_user(state, "member")
    outsider = add_user(state, "outsider")
    reporter = add_user(state, "reporter")
    qa = add_user(state, "qatester", groups=("jira-software-users", "qa-team"))
    state.permission_schemes[OPEN_SCHEME] = PermissionScheme(OPEN_SCHEME, "Open", grants=grants(
        ("BROWSE_PROJECTS", "applicationRole", None),
        ("EDIT_ISSUES", "projectRole", str(DEVS)),
        ("EDIT_ISSUES", "reporter", None),
        ("SET_ISSUE_SECURITY", "projectRole", str(DEVS)),
        ("ASSIGNABLE_USER", "projectRole", str(DEVS)),
        ("ADMINISTER_PROJECTS", "projectRole", str(ADMINS)),
    ))
    state.permission_schemes[CLOSED_SCHEME] = PermissionScheme(CLOSED_SCHEME, "Closed", grants=grants(
        ("BROWSE_PROJECTS", "projectRole", str(DEVS)),
        ("BROWSE_PROJECTS", "projectRole", str(ADMINS)),
        ("BROWSE_PROJECTS", "group", "qa-team"),
        ("ADMINISTER_PROJECTS", "projectRole", str(ADMINS)),
    ))
    state.security_schemes[90010] = SecurityScheme(90010, "Test security", [
        SecurityLevel("90011", "Staff", "Admins and the reporter", [("group", "jira-administrators"), ("reporter", None)]),
    ])
    projects = sorted(state.projects.values(), key=lambda p: p.id)
    open_p, closed_p = projects[0], projects[-1]
    for project, scheme in ((open_p, OPEN_SCHEME), (closed_p, CLOSED_SCHEME)):
        project.permission_scheme_id = scheme
        project.role_actors = {DEVS: [Actor("user", member.account_id)], ADMINS: [Actor("group", "jira-administrators")]}
    open_p.security_scheme_id = 90010
    issues = sorted((i for i in state.issues.values() if i.project_id == open_p.id), key=lambda i: i.id)
    levelled = _put(server, dataclasses.replace(issues[0], security_level_id="90011", reporter_id=reporter.account_id,
                                                assignee_id=None))
    plain = _put(server, dataclasses.replace(issues[1], security_level_id=None, reporter_id=admin.account_id))
    backend.perms.invalidate()
    return Site(server, open_p, closed_p, admin, member, outsider, reporter, qa, levelled, plain)


def _put(server: EmulatorServer, issue: Issue) -> Issue:
    backend = server.backend
    before = backend.state.issues[issue.id]
    issue = dataclasses.replace(issue, version=before.version + 1)
    backend.state.put_issue(issue)
    backend.emit(Event(ISSUE_UPDATED, backend.now_ms(), None, issue, before))
    return issue


@pytest.fixture
def site(cloud: EmulatorServer) -> Iterator[Site]:
    yield set_up(cloud)


def status(client: httpx.Client, path: str) -> int:
    return client.get(path).status_code


# -- projects --------------------------------------------------------------------------------------------
def test_outsider_cannot_see_the_restricted_project_or_its_issues(site: Site) -> None:
    closed_issue = next(i for i in site.state.issues.values() if i.project_id == site.closed.id)
    with site.client(site.outsider) as c:
        assert status(c, f"/rest/api/3/project/{site.closed.key}") == 404
        assert status(c, f"/rest/api/3/issue/{closed_issue.key}?fields=summary") == 404
        r = c.get("/rest/api/3/mypermissions", params={"permissions": "BROWSE_PROJECTS", "projectKey": site.closed.key})
        assert r.status_code == 404
        assert status(c, f"/rest/api/3/project/{site.open.key}") == 200
        assert status(c, f"/rest/api/3/issue/{site.plain.key}?fields=summary") == 200
    with site.client(site.member) as c:  # a Developers actor
        assert status(c, f"/rest/api/3/project/{site.closed.key}") == 200
        assert status(c, f"/rest/api/3/issue/{closed_issue.key}?fields=summary") == 200


def test_group_grant_opens_the_project_to_its_members(site: Site) -> None:
    with site.client(site.qa) as c:
        assert status(c, f"/rest/api/3/project/{site.closed.key}") == 200


def test_admins_need_a_grant_to_browse(site: Site) -> None:
    with site.client(site.admin) as c:
        assert status(c, f"/rest/api/3/project/{site.closed.key}") == 200  # via the Administrators role
        site.closed.role_actors[ADMINS] = []
        site.server.backend.perms.invalidate()
        assert status(c, f"/rest/api/3/project/{site.closed.key}") == 404
        r = c.get("/rest/api/3/mypermissions", params={"permissions": "ADMINISTER"})
        assert r.json()["permissions"]["ADMINISTER"]["havePermission"] is True


def test_invalidate_applies_role_changes(site: Site) -> None:
    with site.client(site.outsider) as c:
        assert status(c, f"/rest/api/3/project/{site.closed.key}") == 404
        site.closed.role_actors[DEVS].append(Actor("user", site.outsider.account_id))
        site.server.backend.perms.invalidate()
        assert status(c, f"/rest/api/3/project/{site.closed.key}") == 200


# -- issue security ----------------------------------------------------------------------------------------
def test_security_level_hides_issue_from_members_but_not_from_the_reporter(site: Site) -> None:
    path = f"/rest/api/3/issue/{site.levelled.key}?fields=summary"
    with site.client(site.member) as c:
        assert status(c, path) == 404
        assert status(c, f"/rest/api/3/issue/{site.plain.key}?fields=summary") == 200
    with site.client(site.reporter) as c:
        assert status(c, path) == 200
    with site.client(site.admin) as c:  # member of the level through jira-administrators
        assert status(c, path) == 200
    with site.client(site.outsider) as c:
        assert status(c, path) == 404


def test_levelled_issue_is_absent_from_search(site: Site) -> None:
    from jiraemu.search import jql

    if not hasattr(jql, "JqlContext"):
        pytest.skip("JQL engine not landed yet")
    query = {"jql": f"project = {site.open.key}", "fields": "id", "maxResults": 5000}
    with site.client(site.member) as c:
        ids = {int(i["id"]) for i in c.get("/rest/api/3/search/jql", params=query).json()["issues"]}
        assert site.levelled.id not in ids and site.plain.id in ids
    with site.client(site.reporter) as c:
        ids = {int(i["id"]) for i in c.get("/rest/api/3/search/jql", params=query).json()["issues"]}
        assert site.levelled.id in ids


def test_security_levels_listed_only_with_set_issue_security(site: Site) -> None:
    path = f"/rest/api/3/project/{site.open.key}/securitylevel"
    with site.client(site.member) as c:
        levels = c.get(path).json()["levels"]
        assert [lv["name"] for lv in levels] == ["Staff"]
    with site.client(site.outsider) as c:
        assert c.get(path).json() == {"levels": []}


# -- mypermissions -------------------------------------------------------------------------------------------
def test_mypermissions_for_admin_and_outsider(site: Site) -> None:
    params = {"permissions": "ADMINISTER,BROWSE_PROJECTS,SET_ISSUE_SECURITY,EDIT_ISSUES", "projectKey": site.open.key}
    with site.client(site.admin) as c:
        perms = c.get("/rest/api/3/mypermissions", params=params).json()["permissions"]
    assert perms["ADMINISTER"] == {"id": "0", "key": "ADMINISTER", "name": "Administer Jira", "type": "GLOBAL",
                                   "description": perms["ADMINISTER"]["description"], "havePermission": True}
    assert perms["BROWSE_PROJECTS"]["havePermission"] is True
    with site.client(site.outsider) as c:
        perms = c.get("/rest/api/3/mypermissions", params=params).json()["permissions"]
    # EDIT_ISSUES: Jira reports a project-context permission held for some issues only (reporter grant)
    assert {k: v["havePermission"] for k, v in perms.items()} == {
        "ADMINISTER": False, "BROWSE_PROJECTS": True, "SET_ISSUE_SECURITY": False, "EDIT_ISSUES": True}


def test_mypermissions_issue_context_counts_reporter_grants(site: Site) -> None:
    with site.client(site.reporter) as c:
        r = c.get("/rest/api/3/mypermissions", params={"permissions": "EDIT_ISSUES", "issueKey": site.levelled.key})
        assert r.json()["permissions"]["EDIT_ISSUES"]["havePermission"] is True
        r = c.get("/rest/api/3/mypermissions", params={"permissions": "EDIT_ISSUES", "issueKey": site.plain.key})
        assert r.json()["permissions"]["EDIT_ISSUES"]["havePermission"] is False
    with site.client(site.member) as c:
        r = c.get("/rest/api/3/mypermissions", params={"permissions": "EDIT_ISSUES", "issueKey": site.levelled.key})
        assert r.status_code == 404


def test_mypermissions_requires_permissions_on_cloud(site: Site) -> None:
    with site.client(site.admin) as c:
        r = c.get("/rest/api/3/mypermissions")
        assert r.status_code == 400 and r.json()["errorMessages"]
        assert c.get("/rest/api/3/mypermissions", params={"permissions": "NOT_A_KEY"}).status_code == 400
        assert c.get("/rest/api/2/mypermissions", params={"permissions": "BROWSE_PROJECTS"}).status_code == 200


def test_mypermissions_anonymous(site: Site) -> None:
    r = httpx.get(site.server.url + "/rest/api/3/mypermissions", params={"permissions": "BROWSE_PROJECTS,ADMINISTER"})
    assert r.status_code == 200
    assert {k: v["havePermission"] for k, v in r.json()["permissions"].items()} == {
        "BROWSE_PROJECTS": False, "ADMINISTER": False}


def test_dc_mypermissions_without_keys_lists_everything(dc_client: httpx.Client) -> None:
    perms = dc_client.get("/rest/api/2/mypermissions").json()["permissions"]
    assert perms["ADMINISTER"]["havePermission"] is True
    assert "BROWSE_PROJECTS" in perms and len(perms) > 30


def test_permissions_check_bulk(site: Site) -> None:
    body = {"globalPermissions": ["ADMINISTER", "USER_PICKER"],
            "projectPermissions": [{"permissions": ["BROWSE_PROJECTS"], "projects": [site.open.id, site.closed.id],
                                    "issues": [site.levelled.id, site.plain.id]}]}
    with site.client(site.member) as c:
        out = c.post("/rest/api/3/permissions/check", json=body).json()
    assert out["globalPermissions"] == ["USER_PICKER"]
    assert out["projectPermissions"] == [{"permission": "BROWSE_PROJECTS", "projects": [site.open.id, site.closed.id],
                                          "issues": [site.plain.id]}]
    with site.client(site.member) as c:  # asking for someone else needs admin
        assert c.post("/rest/api/3/permissions/check", json={**body, "accountId": site.admin.account_id}).status_code == 403
    with site.client(site.admin) as c:
        out = c.post("/rest/api/3/permissions/check", json={**body, "accountId": site.outsider.account_id}).json()
    assert out["projectPermissions"][0]["projects"] == [site.open.id]


# -- the engine directly: comment visibility and inactive users ---------------------------------------------------
def test_comment_visibility_by_role_and_group(site: Site) -> None:
    perms = site.server.backend.perms
    by_role = Comment(1, site.admin.account_id, Doc(wiki="x"), 0, 0, site.admin.account_id,
                      {"type": "role", "value": "Developers"})
    by_group = dataclasses.replace(by_role, visibility={"type": "group", "value": "qa-team"})
    assert perms.can_see_comment(site.member, site.plain, by_role)
    assert not perms.can_see_comment(site.outsider, site.plain, by_role)
    assert perms.can_see_comment(site.qa, site.plain, by_group)
    assert not perms.can_see_comment(site.member, site.plain, by_group)
    assert not perms.can_see_comment(site.member, site.levelled, dataclasses.replace(by_role, visibility=None))


def test_inactive_users_hold_nothing(site: Site) -> None:
    perms = site.server.backend.perms
    site.member.active = False
    perms.invalidate()
    assert not perms.can_see_issue(site.member, site.plain)
    assert not perms.has(site.member, "BROWSE_PROJECTS", site.open)
    assert site.member not in perms.issue_viewers(site.plain)
    assert site.outsider in perms.issue_viewers(site.plain)


def test_assignable_users_hold_the_permission_and_see_the_issue(site: Site) -> None:
    with site.client(site.admin) as c:
        for_project = c.get("/rest/api/3/user/assignable/search", params={"project": site.open.key}).json()
        assert [u["accountId"] for u in for_project] == [site.member.account_id]
        for_issue = c.get("/rest/api/3/user/assignable/search", params={"issueKey": site.plain.key}).json()
        assert [u["accountId"] for u in for_issue] == [site.member.account_id]
        # the levelled issue is invisible to the member, so the member cannot be its assignee
        hidden = c.get("/rest/api/3/user/assignable/search", params={"issueKey": site.levelled.key}).json()
        assert hidden == []
        assert c.get("/rest/api/3/user/assignable/search").status_code == 400
    with site.client(site.outsider) as c:
        r = c.get("/rest/api/3/user/assignable/search", params={"project": site.closed.key})
        assert r.status_code == 404


def test_mypermissions_comment_context(site: Site) -> None:
    restricted = Comment(987001, site.admin.account_id, Doc(wiki="internal"), 0, 0, site.admin.account_id,
                         {"type": "role", "value": "Developers"})
    _put(site.server, dataclasses.replace(site.plain, comments=(*site.plain.comments, restricted)))
    params = {"permissions": "BROWSE_PROJECTS", "commentId": "987001"}
    with site.client(site.member) as c:
        assert c.get("/rest/api/3/mypermissions", params=params).json()["permissions"]["BROWSE_PROJECTS"]["havePermission"]
        assert c.get("/rest/api/3/mypermissions", params={**params, "permissions": "EDIT_ISSUES"}).status_code == 400
    with site.client(site.outsider) as c:
        got = c.get("/rest/api/3/mypermissions", params=params).json()
        assert got["permissions"]["BROWSE_PROJECTS"]["havePermission"] is False


def test_generated_site_keeps_outsiders_out(cloud: EmulatorServer) -> None:
    """The data plan's set-up, end to end: outsiders (only in jira-software-users, in no role) do not
    see the last (restricted) project, nor levelled issues they did not report; reporters do."""
    state = cloud.backend.state
    actors = {a.value for p in state.projects.values() for acts in p.role_actors.values() for a in acts}
    outsiders = [u for u in state.users.values() if u.active and u.api_token and u.account_id not in actors
                 and {g.name for g in state.groups.values() if u.account_id in g.members} == {"jira-software-users"}]
    assert outsiders
    restricted = max(state.projects.values(), key=lambda p: p.id)
    levelled = [i for i in state.issues.values() if i.security_level_id]
    assert levelled
    outsider = outsiders[0]
    with httpx.Client(base_url=cloud.url, headers=basic(outsider.email, outsider.api_token), timeout=30) as c:
        assert c.get(f"/rest/api/3/project/{restricted.key}").status_code == 404
        for issue in levelled[:5]:
            if issue.reporter_id != outsider.account_id and issue.assignee_id != outsider.account_id:
                assert c.get(f"/rest/api/3/issue/{issue.key}", params={"fields": "summary"}).status_code == 404
    reporters = [(i, state.users[i.reporter_id]) for i in levelled if i.reporter_id in state.users]
    issue, reporter = next((i, u) for i, u in reporters if u.active and u.api_token)
    with httpx.Client(base_url=cloud.url, headers=basic(reporter.email, reporter.api_token), timeout=30) as c:
        assert c.get(f"/rest/api/3/issue/{issue.key}", params={"fields": "summary"}).status_code == 200


def test_security_levels_of_every_scheme_are_listed_for_admins_only(cloud: EmulatorServer) -> None:
    admin = basic("admin@example.com", "emulator-token")
    url = f"{cloud.url}/rest/api/3/issuesecurityschemes/level"
    schemes = cloud.backend.state.security_schemes.values()
    every = {(lv.id, str(s.id), lv.id == s.default_level_id) for s in schemes for lv in s.levels}
    seen: set[tuple[str, str, bool]] = set()
    start = 0
    while True:  # pages of one, to walk the paging
        page = httpx.get(url, headers=admin, params={"startAt": start, "maxResults": 1}).json()
        assert page["total"] == len(every)
        seen |= {(v["id"], v["issueSecuritySchemeId"], v["isDefault"]) for v in page["values"]}
        if page["isLast"]:
            break
        start += 1
    assert seen == every
    scheme = next(iter(schemes))
    one = httpx.get(url, headers=admin, params={"schemeId": scheme.id}).json()["values"]
    assert {v["id"] for v in one} == {lv.id for lv in scheme.levels}
    user = next(u for u in cloud.backend.state.users.values() if u.active and u.email != "admin@example.com"
                and not cloud.backend.perms.is_admin(u) and u.api_token)
    assert httpx.get(url, headers=basic(user.email, user.api_token)).status_code == 403


def test_security_level_members_are_listed_for_admins_only(cloud: EmulatorServer) -> None:
    admin = basic("admin@example.com", "emulator-token")
    r = httpx.get(f"{cloud.url}/rest/api/3/issuesecurityschemes/level/member", headers=admin, params={"maxResults": 100})
    assert r.status_code == 200
    page = r.json()
    levels = {lv.id: lv for s in cloud.backend.state.security_schemes.values() for lv in s.levels}
    assert page["total"] == sum(len(lv.members) for lv in levels.values()) and page["isLast"]
    assert {m["issueSecurityLevelId"] for m in page["values"]} == {lid for lid, lv in levels.items() if lv.members}
    assert all(m["holder"]["type"] for m in page["values"])
    one = next(iter(levels))
    only = httpx.get(f"{cloud.url}/rest/api/3/issuesecurityschemes/level/member", headers=admin, params={"levelId": one}).json()
    assert {m["issueSecurityLevelId"] for m in only["values"]} == {one}
    user = next(u for u in cloud.backend.state.users.values() if u.active and u.email != "admin@example.com"
                and not cloud.backend.perms.is_admin(u) and u.api_token)
    denied = httpx.get(f"{cloud.url}/rest/api/3/issuesecurityschemes/level/member", headers=basic(user.email, user.api_token))
    assert denied.status_code == 403
