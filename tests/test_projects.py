"""Projects as clients read them: Cloud's paged /project/search, /project/{key} with expand,
statuses/components/versions, team-managed projects, archived/deleted/invisible projects, DC lists."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from jiraemu import EmulatorServer
from tests.conftest import basic


def _projects(server: EmulatorServer) -> list[Any]:
    return sorted(server.backend.state.projects.values(), key=lambda p: p.key)


def _classic(server: EmulatorServer) -> Any:
    """The first company-managed project (the generator makes the last one team-managed)."""
    return min(server.backend.state.projects.values(), key=lambda p: p.id)


def test_project_search_pages_with_total_is_last_and_next_page(emulator: Any) -> None:
    server = emulator(projects=4, issues=40)
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        expected = [p.key for p in _projects(server)]
        seen: list[str] = []
        url: str | None = "/rest/api/3/project/search?maxResults=3"
        while url:
            page = client.get(url).json()
            assert page["total"] == len(expected)
            seen.extend(v["key"] for v in page["values"])
            assert page["isLast"] == (len(seen) == len(expected))
            url = page.get("nextPage")
        assert seen == expected  # ordered by key by default
        desc = client.get("/rest/api/3/project/search", params={"orderBy": "-key"}).json()
        assert [v["key"] for v in desc["values"]] == expected[::-1]


def test_project_search_filters_and_expand(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    first = _projects(cloud)[0]
    plain = admin_client.get("/rest/api/3/project/search", params={"keys": first.key}).json()
    assert [v["key"] for v in plain["values"]] == [first.key]
    assert "lead" not in plain["values"][0] and "description" not in plain["values"][0]
    by_name = admin_client.get("/rest/api/3/project/search", params={"query": first.name[:4].lower()}).json()
    assert first.key in [v["key"] for v in by_name["values"]]
    expanded = admin_client.get(
        "/rest/api/3/project/search", params={"keys": first.key, "expand": "description,lead,issueTypes,insight"}
    ).json()["values"][0]
    assert expanded["description"] == first.description
    assert expanded["lead"]["accountId"] == first.lead_id
    assert {t["id"] for t in expanded["issueTypes"]} == set(first.issue_type_ids)
    count = sum(1 for i in cloud.backend.state.issues.values() if i.project_id == first.id)
    assert expanded["insight"]["totalIssueCount"] == count


def test_get_project_full_shape_by_key_and_id(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    project = _classic(cloud)
    by_key = admin_client.get(f"/rest/api/3/project/{project.key}").json()
    by_id = admin_client.get(f"/rest/api/3/project/{project.id}").json()
    assert by_key == by_id
    assert by_key["id"] == str(project.id) and by_key["style"] == "classic" and by_key["simplified"] is False
    assert [c["id"] for c in by_key["components"]] == [c.id for c in project.components]
    assert [v["name"] for v in by_key["versions"]] == [v.name for v in project.versions]
    assert by_key["lead"]["accountId"] == project.lead_id
    assert by_key["roles"]  # role name -> URL
    missing = admin_client.get("/rest/api/3/project/NOPE")
    assert missing.status_code == 404
    assert missing.json() == {"errorMessages": ["No project could be found with key 'NOPE'."], "errors": {}}


def test_team_managed_project_has_project_scoped_issue_types(emulator: Any) -> None:
    server = emulator(projects=3, issues=30)
    team = next(p for p in server.backend.state.projects.values() if p.style == "next-gen")
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        body = client.get(f"/rest/api/3/project/{team.key}").json()
        assert body["simplified"] is True and body["style"] == "next-gen"
        scoped = [t for t in body["issueTypes"] if "scope" in t]
        assert scoped and all(t["scope"]["project"]["id"] == str(team.id) for t in scoped)
        all_types = client.get("/rest/api/3/issuetype").json()
        assert {t["id"] for t in scoped} <= {t["id"] for t in all_types}


def test_statuses_components_versions_and_lookups(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    state = cloud.backend.state
    project = _classic(cloud)
    statuses = admin_client.get(f"/rest/api/3/project/{project.key}/statuses").json()
    assert [s["id"] for s in statuses] == project.issue_type_ids
    names = {st["name"] for st in statuses[0]["statuses"]}
    assert {"To Do", "In Progress", "Done"} <= names
    comps = admin_client.get(f"/rest/api/3/project/{project.key}/components").json()
    assert [c["name"] for c in comps] == [c.name for c in project.components]
    assert all(c["projectId"] == project.id and c["project"] == project.key for c in comps)
    versions = admin_client.get(f"/rest/api/3/project/{project.id}/versions").json()
    assert [(v["id"], v["released"]) for v in versions] == [(v.id, v.released) for v in project.versions]
    one = admin_client.get(f"/rest/api/3/component/{project.components[0].id}").json()
    assert one["name"] == project.components[0].name
    ver = admin_client.get(f"/rest/api/2/version/{project.versions[0].id}").json()
    assert ver["name"] == project.versions[0].name and ver["projectId"] == project.id
    assert admin_client.get("/rest/api/3/component/999999").status_code == 404
    assert admin_client.get("/rest/api/3/version/999999").status_code == 404
    assert state.statuses  # sanity: statuses came from the workflow


def test_archived_and_deleted_projects(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    state = cloud.backend.state
    first, second = _projects(cloud)[:2]
    state.projects[first.id] = dataclasses.replace(first, archived=True)
    state.projects[second.id] = dataclasses.replace(second, deleted=True)
    live = admin_client.get("/rest/api/3/project/search").json()
    assert first.key not in [v["key"] for v in live["values"]]
    assert second.key not in [v["key"] for v in live["values"]]
    archived = admin_client.get("/rest/api/3/project/search", params={"status": "archived"}).json()
    assert [(v["key"], v.get("archived")) for v in archived["values"]] == [(first.key, True)]
    assert admin_client.get(f"/rest/api/3/project/{first.key}").json()["archived"] is True
    assert admin_client.get(f"/rest/api/3/project/{second.key}").status_code == 404
    assert first.key not in [p["key"] for p in admin_client.get("/rest/api/3/project").json()]


def test_outsider_does_not_see_the_restricted_project(emulator: Any) -> None:
    server = emulator(projects=3, issues=30)
    state = server.backend.state
    restricted = max(state.projects.values(), key=lambda p: p.id)
    in_roles = {a.value for actors in restricted.role_actors.values() for a in actors if a.kind == "user"}
    privileged = set(state.groups["developers"].members) | set(state.groups["jira-administrators"].members)
    outsider = next(
        u for u in state.users.values()
        if u.active and u.account_type == "atlassian" and u.api_token
        and u.account_id not in in_roles | privileged | {p.lead_id for p in state.projects.values()}
    )
    with httpx.Client(base_url=server.url, headers=basic(outsider.email, outsider.api_token)) as client:
        keys = [v["key"] for v in client.get("/rest/api/3/project/search").json()["values"]]
        assert restricted.key not in keys and keys
        assert client.get(f"/rest/api/3/project/{restricted.key}").status_code == 404


def test_data_center_lists_projects_without_project_search(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    listed = dc_client.get("/rest/api/2/project").json()
    assert [p["key"] for p in listed] == [p.key for p in _projects(dc)]
    assert all(p["archived"] is False for p in listed)
    project = _projects(dc)[0]
    full = dc_client.get(f"/rest/api/2/project/{project.key}").json()
    assert full["lead"]["name"] == dc.backend.state.users[project.lead_id].name
    assert "accountId" not in full["lead"] and "simplified" not in full
    assert dc_client.get("/rest/api/2/project/search").status_code == 404
