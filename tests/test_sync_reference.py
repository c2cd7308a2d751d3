"""Reference data against jiraemu over real HTTP: a no-change incremental sync does not re-read the
access families (groups and members, project roles, permission schemes, security levels) when the
audit log says nothing changed, re-reads them when a change is audited, re-reads everything when
the log is not readable; sprint membership comes from the issues' Sprint field (no per-sprint
walks) and equals the emulator's truth after full and incremental syncs on both flavours."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from jiraemu import EmulatorServer
from jirasync.connections import Connections, Credentials
from jirasync.sync.reference import REFRESH_KEY
from jirasync.vault import Secret
from tests import test_sync as base
from tests.test_sync import FLAVORS, connect, control, sync

# the emulator and store fixtures of the sync tests (one server per flavour for the module)
servers = base.servers
emulator = base.emulator
conns = base.conns

ACCESS_ROUTES = ("/group/member", "/group/bulk", "/groups/picker", "/role", "/permissionscheme", "/securitylevel",
                 "/issuesecurityschemes/level")
ID = r"(\d+|\{\w+\})"  # the stats name routes by template (``{sprintId}``) or by path
SPRINT_WALK = rf"/rest/agile/1\.0/sprint/{ID}/issue"


# -- helpers -----------------------------------------------------------------------------------------------------
def requests_since(emu: EmulatorServer, since: int) -> dict[str, int]:
    """Requests by method and path (``GET /rest/api/3/group/member``) since ``since``."""
    return dict(control(emu, "stats", since=since, log=0)["byRoute"])


def api_path(route: str) -> str:
    """``GET /rest/api/3/group/member`` -> ``/group/member`` (other routes: their path)."""
    path = route.split(" ", 1)[-1]
    return re.sub(r"^/rest/api/(\d+|\{v\})", "", path)


def access_reads(by_route: dict[str, int]) -> dict[str, int]:
    """The requests that read groups, members, roles, permission schemes or security levels."""
    return {r: n for r, n in by_route.items()
            if any(api_path(r).startswith(p) for p in ACCESS_ROUTES)
            or re.search(r"/role(/|$)|securitylevel|permissionscheme", api_path(r))}


def count(by_route: dict[str, int], path: str) -> int:
    """Requests whose API path (``/group/member``) matches ``path`` (a regular expression, whole path)."""
    return sum(n for r, n in by_route.items() if re.fullmatch(path, api_path(r)))


def sprint_walks(by_route: dict[str, int]) -> int:
    return count(by_route, SPRINT_WALK)


def stats_mark(emu: EmulatorServer) -> int:
    """A point in the emulator's request log (entries carry the emulator clock's ms)."""
    return int(control(emu, "clock")["nowMs"])


def sql(c: Connections, query: str) -> list[tuple[Any, ...]]:
    with c.store.engine.connect() as db:
        return [tuple(r) for r in db.execute(text(query))]


def store_sprints(c: Connections) -> set[tuple[int, int]]:
    return {(int(i), int(s)) for i, s in sql(c, "select issue_id, sprint_id from issue_sprints where deleted_at is null")}


def truth_sprints(emu: EmulatorServer) -> set[tuple[int, int]]:
    """(issue id, sprint id) for every visible issue, from the emulator's own state."""
    state = emu.backend.state
    field = state.field_by_kind("sprint")
    assert field is not None
    out = set()
    for issue in state.issues.values():
        for sid in issue.custom_value(field.id) or ():
            if int(sid) in state.sprints:
                out.add((issue.id, int(sid)))
    return out


def store_members(c: Connections) -> set[tuple[str, str]]:
    return {(g, u) for g, u in sql(c, "select group_name, user_id from group_members where deleted_at is null")}


def truth_members(emu: EmulatorServer) -> set[tuple[str, str]]:
    return {(g.name, m) for g in emu.backend.state.groups.values() for m in g.members}


def store_actors(c: Connections) -> set[tuple[int, int, str, str]]:
    return {(int(p), int(r), t, v) for p, r, t, v in
            sql(c, "select project_id, role_id, actor_type, actor_value from project_roles where deleted_at is null")}


def truth_actors(emu: EmulatorServer) -> set[tuple[int, int, str, str]]:
    return {(p.id, rid, a.kind, a.value) for p in emu.backend.state.projects.values() if not p.deleted
            for rid, actors in p.role_actors.items() for a in actors}


def store_grants(c: Connections) -> set[tuple[int, int]]:
    return {(int(s), int(g)) for s, g in sql(c, "select scheme_id, id from permission_grants where deleted_at is null")}


def truth_grants(emu: EmulatorServer) -> set[tuple[int, int]]:
    return {(sc.id, g.id) for sc in emu.backend.state.permission_schemes.values() for g in sc.grants}


def mutate(emu: EmulatorServer, body: dict[str, Any]) -> Any:
    return control(emu, "mutate", body)


def agile(emu: EmulatorServer, method: str, path: str, body: Any = None) -> httpx.Response:
    cloud = emu.backend.config.is_cloud
    headers = {} if cloud else {"Authorization": "Bearer emulator-pat"}
    auth = ("admin@example.com", "emulator-token") if cloud else None
    answer = httpx.request(method, f"{emu.url}/rest/agile/1.0/{path}", json=body, auth=auth, headers=headers, timeout=30)
    assert answer.status_code < 300, answer.text
    return answer


# -- tests -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("flavor", FLAVORS)
def test_sprint_membership_comes_from_the_issues(emulator: Callable[..., EmulatorServer], conns: Connections,
                                                 flavor: str) -> None:
    emu = emulator(flavor=flavor)
    name = connect(conns, emu)
    start = stats_mark(emu)
    sync(conns, name, full=True)
    assert sprint_walks(requests_since(emu, start)) == 0
    assert store_sprints(conns) == truth_sprints(emu) != set()

    state = emu.backend.state
    field = state.field_by_kind("sprint")
    assert field is not None

    def sprints_of(issue_id: int) -> set[int]:
        return {s for i, s in store_sprints(conns) if i == issue_id}

    # a new sprint on the scrum board; an issue from the backlog and one moved out of the active sprint go in
    active = next(s for s in state.sprints.values() if s.state == "active")
    board = state.boards[active.board_id]
    created = agile(emu, "POST", "sprint", {"name": "Hardening", "originBoardId": board.id}).json()["id"]
    in_active = next(i for i, s in sorted(truth_sprints(emu)) if s == active.id)
    backlog = next(i.id for i in sorted(state.issues.values(), key=lambda i: i.id)
                   if i.project_id == board.project_id and not i.custom_value(field.id))
    agile(emu, "POST", f"sprint/{created}/issue", {"issues": [state.issues[in_active].key, state.issues[backlog].key]})

    start = stats_mark(emu)
    summary = sync(conns, name)
    by_route = requests_since(emu, start)
    assert summary.status == "ok", summary.errors
    assert count(by_route, rf"/rest/agile/1\.0/board/{ID}/sprint") >= 1  # the sprints themselves are read
    assert sprint_walks(by_route) == 0
    assert store_sprints(conns) == truth_sprints(emu)
    assert created in sprints_of(in_active) and active.id not in sprints_of(in_active)  # moved out
    assert sprints_of(backlog) == {created}

    # the sprint is deleted: the backlog issue's Sprint field is emptied
    agile(emu, "DELETE", f"sprint/{created}")
    summary = sync(conns, name)
    assert summary.status == "ok", summary.errors
    assert store_sprints(conns) == truth_sprints(emu)
    assert sprints_of(backlog) == set()
    assert created not in sprints_of(in_active)


def test_no_change_incremental_reads_no_access_data(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    emu = emulator(flavor="cloud")
    name = connect(conns, emu)
    sync(conns, name, full=True)
    start = stats_mark(emu)
    summary = sync(conns, name)
    by_route = requests_since(emu, start)
    assert summary.status == "ok", summary.errors
    assert access_reads(by_route) == {}, by_route
    assert sprint_walks(by_route) == 0
    assert count(by_route, "/auditing/record") == 1
    # what is stored is kept
    assert store_members(conns) == truth_members(emu)
    assert store_actors(conns) == truth_actors(emu)


def test_audited_changes_are_read_by_the_next_incremental(emulator: Callable[..., EmulatorServer],
                                                          conns: Connections) -> None:
    emu = emulator(flavor="cloud")
    name = connect(conns, emu)
    sync(conns, name, full=True)
    state = emu.backend.state
    users = control(emu, "users")
    group = sorted(state.groups)[0]
    outsider = next(u for u in users if u["active"] and group not in u["groups"])

    # a group membership change
    mutate(emu, {"op": "add_group_member", "group": group, "user": outsider["accountId"]})
    start = stats_mark(emu)
    sync(conns, name)
    by_route = requests_since(emu, start)
    assert count(by_route, "/group/member") >= 1
    assert not any("permissionscheme" in r for r in by_route)  # only the changed family
    assert store_members(conns) == truth_members(emu)
    assert (group, outsider["accountId"]) in store_members(conns)

    # a project role actor change
    project = next(p for p in state.projects.values() if not p.deleted)
    role = sorted(state.roles)[0]
    mutate(emu, {"op": "add_role_actor", "project": project.key, "role": role, "user": outsider["accountId"]})
    start = stats_mark(emu)
    sync(conns, name)
    by_route = requests_since(emu, start)
    assert count(by_route, rf"/project/{ID}/role/{ID}") >= 1, by_route
    assert store_actors(conns) == truth_actors(emu)

    # a permission grant change
    scheme = sorted(state.permission_schemes)[0]
    mutate(emu, {"op": "add_permission_grant", "scheme": scheme, "permission": "ADD_COMMENTS",
                 "holder_type": "user", "holder_param": outsider["accountId"]})
    start = stats_mark(emu)
    sync(conns, name)
    by_route = requests_since(emu, start)
    assert count(by_route, "/permissionscheme") >= 1
    assert store_grants(conns) == truth_grants(emu)

    # an issue security level member change
    scheme_with_levels = next(sc for sc in state.security_schemes.values() if sc.levels)
    level = scheme_with_levels.levels[0]
    mutate(emu, {"op": "add_security_level_member", "level": level.id, "holder_type": "user",
                 "holder_param": outsider["accountId"]})
    start = stats_mark(emu)
    sync(conns, name)
    by_route = requests_since(emu, start)
    assert count(by_route, "/issuesecurityschemes/level") == 1, by_route  # the family re-read (an admin: at once)
    assert count(by_route, "/group/member") == 0  # groups were not audited as changed
    stored = {(t, v) for t, v in sql(conns, "select holder_type, holder_parameter from security_level_members "
                                            f"where level_id = {int(level.id)} and deleted_at is null")}
    assert ("user", outsider["accountId"]) in stored

    # and then nothing again
    start = stats_mark(emu)
    sync(conns, name)
    assert access_reads(requests_since(emu, start)) == {}


def test_an_administrator_reads_every_security_level_at_once(emulator: Callable[..., EmulatorServer],
                                                               conns: Connections) -> None:
    """Cloud, Administer Jira: one paged ``issuesecurityschemes/level`` read instead of one
    ``project/{id}/securitylevel`` per project; every level of every scheme stored with its scheme.
    (A member without it reads per project: ``test_unreadable_audit_log_rereads_everything``.)"""
    emu = emulator(flavor="cloud")
    name = connect(conns, emu)
    start = stats_mark(emu)
    assert sync(conns, name, full=True).status == "ok"
    by_route = requests_since(emu, start)
    assert count(by_route, "/issuesecurityschemes/level") == 1, by_route
    assert count(by_route, rf"/project/{ID}/securitylevel") == 0, by_route
    truth = {(int(level.id), scheme.id, level.name) for scheme in emu.backend.state.security_schemes.values()
             for level in scheme.levels}
    assert truth and set(sql(conns, "SELECT id, scheme_id, name FROM security_levels WHERE deleted_at IS NULL")) == truth


def test_unreadable_audit_log_rereads_everything(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    emu = emulator(flavor="cloud")
    member = next(u for u in control(emu, "users") if u["active"] and not u["admin"] and u.get("apiToken"))
    creds = Credentials.api_token(member["email"], Secret(member["apiToken"]))
    conn, report = asyncio.run(conns.add("member", emu.url, creds))
    assert conn is not None, [(i.name, i.detail) for i in report.items]
    sync(conns, "member", full=True)
    start = stats_mark(emu)
    summary = sync(conns, "member")
    by_route = requests_since(emu, start)
    assert summary.status == "ok", summary.errors
    assert count(by_route, "/group/member") >= 1 or count(by_route, "/group/bulk") >= 1
    assert count(by_route, rf"/project/{ID}/securitylevel") >= 1, by_route
    assert sprint_walks(by_route) == 0


def test_refresh_is_due_after_reference_refresh_hours(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    emu = emulator(flavor="cloud")
    name = connect(conns, emu)
    sync(conns, name, full=True)
    assert sql(conns, f"select count(*) from checkpoints where project_key = '{REFRESH_KEY}'") == [(1,)]
    conns.configure(name, reference_refresh_hours=0)  # what `connections configure --reference-refresh-hours 0` calls
    start = stats_mark(emu)
    sync(conns, name)
    assert access_reads(requests_since(emu, start)) != {}


def test_sprint_field_values_of_both_flavours_parse() -> None:
    from jirasync.sync.sprints import sprint_ids

    cloud = [{"id": 3, "name": "SEC Sprint 3", "state": "active", "boardId": 1}, {"id": "7", "name": "x"}]
    dc = ["com.atlassian.greenhopper.service.sprint.Sprint@3[id=3,rapidViewId=1,state=ACTIVE,name=A, id=9,goal=]",
          "com.atlassian.greenhopper.service.sprint.Sprint@1a[rapidViewId=2,state=CLOSED,id=26,name=B]"]
    assert sprint_ids(cloud) == {3, 7}
    assert sprint_ids(dc) == {3, 26}  # a name that looks like ", id=9" is not an id
    assert sprint_ids(None) == set() and sprint_ids([]) == set()
    assert sprint_ids(12) == {12}  # written as a single id


@pytest.mark.parametrize("flavor", FLAVORS)
def test_rest_writes_to_group_members_and_role_actors(flavor: str) -> None:
    """``POST/DELETE group/user`` and ``POST/DELETE project/{p}/role/{id}`` change what the reads show,
    answer as the OpenAPI spec says, and (Cloud) leave the audit records the sync looks for."""
    from jiraemu import EmuConfig
    from tests.support.spec import SpecValidator

    server = EmulatorServer(EmuConfig(flavor=flavor, **base.DEFAULTS))
    validator = SpecValidator.for_backend(server.backend)
    server.backend.observers.append(validator.observe)
    server.start()
    try:
        cloud = flavor == "cloud"
        v = 3 if cloud else 2
        kw: dict[str, Any] = ({"auth": ("admin@example.com", "emulator-token")} if cloud
                              else {"headers": {"Authorization": "Bearer emulator-pat"}})
        with httpx.Client(base_url=f"{server.url}/rest/api/{v}", timeout=30, **kw) as http:
            state = server.backend.state
            group = sorted(state.groups)[0]
            user = next(u for u in state.users.values() if u.active and u.account_id not in state.groups[group].members)
            ref = user.account_id if cloud else user.name
            body = {"accountId": ref} if cloud else {"name": ref}
            added = http.post("/group/user", params={"groupname": group}, json=body)
            assert added.status_code == 201, added.text
            assert user.account_id in state.groups[group].members
            again = http.post("/group/user", params={"groupname": group}, json=body)
            assert again.status_code == 400
            gone = http.delete("/group/user", params={"groupname": group, ("accountId" if cloud else "username"): ref})
            assert gone.status_code == 200, gone.text
            assert user.account_id not in state.groups[group].members

            project = next(p for p in state.projects.values() if not p.deleted)
            role = sorted(state.roles)[0]
            answer = http.post(f"/project/{project.key}/role/{role}", json={"user": [ref]})
            assert answer.status_code == 200, answer.text
            assert any(a.get("actorUser", {}).get("accountId") == user.account_id or a.get("name") == user.name
                       for a in answer.json()["actors"])
            removed = http.delete(f"/project/{project.key}/role/{role}", params={"user": ref})
            assert removed.status_code == 204, removed.text
            assert all(a.value != user.account_id for a in project.role_actors.get(role, []))

            if cloud:
                summaries = [r["summary"] for r in http.get("/auditing/record", params={"limit": 10}).json()["records"]]
                assert summaries[:4] == ["Project roles changed", "Project roles changed",
                                         "User removed from group", "User added to group"]
    finally:
        server.stop()
    assert validator.problems == []


def test_group_changes_of_the_background_mutator_are_synced(emulator: Callable[..., EmulatorServer],
                                                            conns: Connections) -> None:
    emu = emulator(flavor="cloud")
    name = connect(conns, emu)
    sync(conns, name, full=True)
    control(emu, "mutator", {"rate_per_s": 100, "duration_s": 0.5, "ops": ["membership"], "seed": 3})
    deadline = time.monotonic() + 30
    while control(emu, "mutator")["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert control(emu, "mutator")["byOp"].get("membership", 0) > 0
    summary = sync(conns, name)
    assert summary.status == "ok", summary.errors
    assert store_members(conns) == truth_members(emu)
