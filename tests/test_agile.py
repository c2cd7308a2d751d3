"""The agile API over real HTTP: boards, sprints (paging, state order, life cycle) and moving
issues into sprints through the Sprint custom field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from jiraemu import EmulatorServer
from jiraemu.state import Board, Grant, PermissionScheme, Project, Sprint, State
from tests.conftest import basic
from tests.test_permissions import add_user

A = "/rest/agile/1.0"


@dataclass
class Agile:
    server: EmulatorServer
    board: Board
    project: Project

    @property
    def state(self) -> State:
        return self.server.backend.state

    def sprints(self, state: str | None = None) -> list[Sprint]:
        return [s for s in self.state.sprints.values() if s.board_id == self.board.id and (state is None or s.state == state)]

    def sprint_field(self) -> str:
        field = self.state.field_by_kind("sprint")
        assert field is not None
        return field.id


@pytest.fixture
def scrum(cloud: EmulatorServer) -> Iterator[Agile]:
    state = cloud.backend.state
    board = next(b for b in sorted(state.boards.values(), key=lambda b: b.id) if b.type == "scrum")
    yield Agile(cloud, board, state.projects[board.project_id])


def test_boards_page_and_filter(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    state = cloud.backend.state
    total = len(state.boards)
    first = admin_client.get(f"{A}/board", params={"maxResults": 1}).json()
    assert (first["total"], first["maxResults"], first["isLast"]) == (total, 1, total == 1)
    ids = [b["id"] for b in first["values"]]
    second = admin_client.get(f"{A}/board", params={"startAt": 1, "maxResults": 50}).json()
    ids += [b["id"] for b in second["values"]]
    assert ids == sorted(state.boards) and second["isLast"] is True
    board = state.boards[ids[0]]
    project = state.projects[board.project_id]
    mine = admin_client.get(f"{A}/board", params={"projectKeyOrId": project.key}).json()
    assert [b["id"] for b in mine["values"]] == [b.id for b in state.boards.values() if b.project_id == project.id]
    assert mine["values"][0]["location"]["projectKey"] == project.key
    kinds = admin_client.get(f"{A}/board", params={"type": "kanban"}).json()
    assert all(b["type"] == "kanban" for b in kinds["values"])
    assert kinds["total"] == sum(1 for b in state.boards.values() if b.type == "kanban")
    one = admin_client.get(f"{A}/board/{board.id}").json()
    assert (one["id"], one["name"], one["type"]) == (board.id, board.name, board.type)
    assert admin_client.get(f"{A}/board/999999").status_code == 404


def test_board_follows_project_browse_permission(scrum: Agile) -> None:
    state = scrum.state
    outsider = add_user(state, "boardless", groups=())
    state.permission_schemes[90100] = PermissionScheme(90100, "Locked", grants=[
        Grant(90100, "BROWSE_PROJECTS", "group", "nobody-is-here")])
    scrum.project.permission_scheme_id = 90100
    scrum.server.backend.perms.invalidate()
    sprint = scrum.sprints()[0]
    with httpx.Client(base_url=scrum.server.url, headers=basic(outsider.email, outsider.api_token)) as c:
        assert c.get(f"{A}/board/{scrum.board.id}").status_code == 404
        assert scrum.board.id not in [b["id"] for b in c.get(f"{A}/board").json()["values"]]
        assert c.get(f"{A}/board/{scrum.board.id}/sprint").status_code == 404
        assert c.get(f"{A}/sprint/{sprint.id}").status_code == 404


def test_board_configuration(scrum: Agile, admin_client: httpx.Client) -> None:
    conf = admin_client.get(f"{A}/board/{scrum.board.id}/configuration").json()
    assert conf["id"] == scrum.board.id and conf["location"]["projectKeyOrId"] == str(scrum.project.id)
    statuses = {s["id"] for col in conf["columnConfig"]["columns"] for s in col["statuses"]}
    assert statuses and statuses <= set(scrum.state.statuses)
    points = scrum.state.field_by_kind("storypoints")
    if points is not None:
        assert conf["estimation"]["field"]["fieldId"] == points.id


def test_sprints_ordered_by_state_paged_and_filtered(scrum: Agile, admin_client: httpx.Client) -> None:
    path = f"{A}/board/{scrum.board.id}/sprint"
    everything = admin_client.get(path).json()
    states = [s["state"] for s in everything["values"]]
    order = {"closed": 0, "active": 1, "future": 2}
    assert states == sorted(states, key=order.__getitem__) and len(states) == len(scrum.sprints())
    paged: list[int] = []
    start = 0
    while True:
        page = admin_client.get(path, params={"startAt": start, "maxResults": 1}).json()
        paged += [s["id"] for s in page["values"]]
        if page["isLast"]:
            break
        start += 1
    assert paged == [s["id"] for s in everything["values"]]
    active = admin_client.get(path, params={"state": "active,future"}).json()
    assert {s["state"] for s in active["values"]} <= {"active", "future"}
    assert len(active["values"]) == len(scrum.sprints("active")) + len(scrum.sprints("future"))
    assert admin_client.get(path, params={"state": "bogus"}).status_code == 400
    closed = scrum.sprints("closed")
    if closed:
        one = admin_client.get(f"{A}/sprint/{closed[0].id}").json()
        assert one["state"] == "closed" and one["originBoardId"] == scrum.board.id
        assert one["completeDate"].endswith("Z")


def test_sprint_life_cycle(scrum: Agile, admin_client: httpx.Client) -> None:
    created = admin_client.post(f"{A}/sprint", json={"name": "  Emu sprint ", "originBoardId": scrum.board.id,
                                                     "goal": "ship"})
    assert created.status_code == 201
    sprint = created.json()
    assert (sprint["name"], sprint["state"], sprint["goal"]) == ("Emu sprint", "future", "ship")
    url = f"{A}/sprint/{sprint['id']}"
    assert admin_client.post(url, json={"state": "active"}).status_code == 400  # no dates yet
    assert admin_client.post(url, json={"state": "closed"}).status_code == 400  # future -> closed
    started = admin_client.post(url, json={"state": "active", "startDate": "2026-11-01T09:00:00.000Z",
                                           "endDate": "2026-11-15T09:00:00.000+0000"}).json()
    assert started["state"] == "active" and started["startDate"] == "2026-11-01T09:00:00.000Z"
    done = admin_client.post(url, json={"state": "closed"}).json()
    assert done["state"] == "closed" and "completeDate" in done
    assert admin_client.post(url, json={"state": "active"}).json()["state"] == "closed"  # ignored once closed
    assert admin_client.post(url, json={"name": "Renamed"}).json()["name"] == "Renamed"
    assert admin_client.post(f"{A}/sprint", json={"originBoardId": scrum.board.id}).status_code == 400
    kanban = next((b for b in scrum.state.boards.values() if b.type == "kanban"), None)
    if kanban is not None:
        r = admin_client.post(f"{A}/sprint", json={"name": "x", "originBoardId": kanban.id})
        assert r.status_code == 400


def test_move_issues_into_a_sprint(scrum: Agile, admin_client: httpx.Client) -> None:
    state, fid = scrum.state, scrum.sprint_field()
    future = scrum.sprints("future")[0]
    issues = sorted((i for i in state.issues.values() if i.project_id == scrum.project.id), key=lambda i: i.id)[:3]
    before = {i.id: i for i in issues}
    r = admin_client.post(f"{A}/sprint/{future.id}/issue", json={"issues": [i.key for i in issues[:2]] + [str(issues[2].id)]})
    assert r.status_code == 204
    for issue in issues:
        now = state.issues[issue.id]
        value = tuple(now.custom_value(fid) or ())
        assert value[-1] == future.id
        open_ids = [s for s in value if state.sprints[s].state != "closed"]
        assert open_ids == [future.id]  # it left any other open sprint
        assert now.version > before[issue.id].version and now.histories[-1].items[0].field == "Sprint"
    listed = admin_client.get(f"{A}/sprint/{future.id}/issue", params={"maxResults": 2, "fields": "summary,sprint"}).json()
    assert listed["total"] >= 3 and len(listed["issues"]) == 2
    assert listed["issues"][0]["fields"]["sprint"]["id"] == future.id
    keys = set()
    start = 0
    while start < listed["total"]:
        page = admin_client.get(f"{A}/sprint/{future.id}/issue", params={"startAt": start, "maxResults": 2}).json()
        keys |= {i["key"] for i in page["issues"]}
        start += 2
    assert {i.key for i in issues} <= keys


def test_move_rules(scrum: Agile, admin_client: httpx.Client) -> None:
    closed = scrum.sprints("closed")
    issue = next(i for i in scrum.state.issues.values() if i.project_id == scrum.project.id)
    if closed:
        r = admin_client.post(f"{A}/sprint/{closed[0].id}/issue", json={"issues": [issue.key]})
        assert r.status_code == 400
    target = (scrum.sprints("active") + scrum.sprints("future"))[0]
    too_many = admin_client.post(f"{A}/sprint/{target.id}/issue", json={"issues": [issue.key] * 51})
    assert too_many.status_code == 400
    assert admin_client.post(f"{A}/sprint/{target.id}/issue", json={"issues": ["NOPE-1"]}).status_code == 400
    assert admin_client.post(f"{A}/sprint/987654/issue", json={"issues": [issue.key]}).status_code == 404


def test_backlog_excludes_open_sprint_issues(scrum: Agile, admin_client: httpx.Client) -> None:
    fid = scrum.sprint_field()
    open_ids = {s.id for s in scrum.sprints() if s.state != "closed"}
    backlog = admin_client.get(f"{A}/board/{scrum.board.id}/backlog", params={"maxResults": 100}).json()
    for item in backlog["issues"]:
        issue = scrum.state.issues[int(item["id"])]
        assert not open_ids.intersection(issue.custom_value(fid) or ())
    board_issues = admin_client.get(f"{A}/board/{scrum.board.id}/issue", params={"maxResults": 1}).json()
    assert board_issues["total"] == sum(1 for i in scrum.state.issues.values() if i.project_id == scrum.project.id)


def test_sprint_issue_jql_filter(scrum: Agile, admin_client: httpx.Client) -> None:
    active = scrum.sprints("active")
    if not active:
        pytest.skip("no active sprint")
    everything = admin_client.get(f"{A}/sprint/{active[0].id}/issue", params={"fields": "status"}).json()
    if not everything["issues"]:
        pytest.skip("active sprint is empty")
    key = everything["issues"][0]["key"]
    one = admin_client.get(f"{A}/sprint/{active[0].id}/issue", params={"jql": f"key = {key}"}).json()
    assert [i["key"] for i in one["issues"]] == [key]


def test_dc_boards_and_sprints(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    state = dc.backend.state
    boards = dc_client.get(f"{A}/board").json()
    assert [b["id"] for b in boards["values"]] == sorted(state.boards)
    scrum = next(b for b in state.boards.values() if b.type == "scrum")
    sprints = dc_client.get(f"{A}/board/{scrum.id}/sprint").json()["values"]
    active = next(s for s in sprints if s["state"] == "active")
    assert active["startDate"][-6] in "+-" and active["startDate"][-3] == ":"  # DC: offset with a colon


def test_full_update_and_delete_sprint(scrum: Agile, admin_client: httpx.Client) -> None:
    fid = scrum.sprint_field()
    made = admin_client.post(f"{A}/sprint", json={"name": "Temp", "originBoardId": scrum.board.id, "goal": "g",
                                                  "startDate": "2026-11-01T09:00:00.000Z"}).json()
    url = f"{A}/sprint/{made['id']}"
    replaced = admin_client.put(url, json={"name": "Temp 2"}).json()
    assert replaced["name"] == "Temp 2" and replaced["goal"] == "" and "startDate" not in replaced
    assert admin_client.put(url, json={"goal": "x"}).status_code == 400  # the name is required
    issue = next(i for i in scrum.state.issues.values() if i.project_id == scrum.project.id)
    assert admin_client.post(f"{url}/issue", json={"issues": [issue.key]}).status_code == 204
    on_board = admin_client.get(f"{A}/board/{scrum.board.id}/sprint/{made['id']}/issue").json()
    assert [i["key"] for i in on_board["issues"]] == [issue.key]
    assert admin_client.delete(url).status_code == 204
    assert admin_client.get(url).status_code == 404
    assert made["id"] not in (scrum.state.issues[issue.id].custom_value(fid) or ())  # back in the backlog
    closed = scrum.sprints("closed")
    if closed:
        assert admin_client.delete(f"{A}/sprint/{closed[0].id}").status_code == 400


def test_board_projects(scrum: Agile, admin_client: httpx.Client) -> None:
    page = admin_client.get(f"{A}/board/{scrum.board.id}/project").json()
    assert [p["key"] for p in page["values"]] == [scrum.project.key] and page["total"] == 1


def test_pycontribs_jira_boards_and_sprints(scrum: Agile) -> None:
    """pycontribs ``jira`` (a client nobody here wrote) pages boards and sprints and moves issues."""
    from jira import JIRA

    client = JIRA(server=scrum.server.url, basic_auth=("admin@example.com", "emulator-token"),
                  options={"check_update": False}, max_retries=0)
    boards = client.boards(maxResults=False)
    assert sorted(b.id for b in boards) == sorted(scrum.state.boards)
    sprints = client.sprints(scrum.board.id, maxResults=False)
    assert [s.id for s in sprints] == [s["id"] for s in _sprints_json(scrum)]
    made = client.create_sprint("Via pycontribs", scrum.board.id)
    issue = next(i for i in scrum.state.issues.values() if i.project_id == scrum.project.id)
    client.add_issues_to_sprint(made.id, [issue.key])
    assert made.id in (scrum.state.issues[issue.id].custom_value(scrum.sprint_field()) or ())


def _sprints_json(scrum: Agile) -> list[dict[str, object]]:
    with httpx.Client(base_url=scrum.server.url, headers=basic("admin@example.com", "emulator-token"), timeout=30) as c:
        values: list[dict[str, object]] = c.get(f"{A}/board/{scrum.board.id}/sprint").json()["values"]
        return values
