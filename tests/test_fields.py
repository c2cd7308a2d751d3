"""Fields and global metadata: custom fields discoverable by name (ids are not fixed), Cloud's paged
field/search, issue types, priorities, statuses, categories, resolutions, link types, labels."""

from __future__ import annotations

from typing import Any

import httpx

from jiraemu import EmulatorServer
from tests.conftest import basic


def _by_name(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in fields}


def test_custom_fields_are_discoverable_by_name(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    fields = admin_client.get("/rest/api/3/field").json()
    named = _by_name(fields)
    sprint = named["Sprint"]
    assert sprint["custom"] is True and sprint["id"].startswith("customfield_")
    assert sprint["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-sprint"
    assert f"cf[{sprint['schema']['customId']}]" in sprint["clauseNames"]
    assert named["Story Points"]["schema"]["type"] == "number"
    assert named["Summary"]["custom"] is False and named["Summary"]["id"] == "summary"
    # the ids are the state's, allocated per seed: the field list is the only way to learn them
    assert {f["id"] for f in fields} == set(cloud.backend.state.fields)


def test_field_search_filters_by_type_and_query_and_pages(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    custom = admin_client.get("/rest/api/3/field/search", params={"type": "custom"}).json()
    expected = sum(1 for f in cloud.backend.state.fields.values() if f.custom and f.schema)
    assert custom["total"] == expected and all(v["id"].startswith("customfield_") for v in custom["values"])
    story = admin_client.get("/rest/api/3/field/search", params={"query": "story poi"}).json()
    assert [v["name"] for v in story["values"]] == ["Story Points"]
    first = admin_client.get("/rest/api/3/field/search", params={"type": "custom", "maxResults": 2}).json()
    assert len(first["values"]) == 2 and first["isLast"] is False and "startAt=2" in first["nextPage"]
    bad = admin_client.get("/rest/api/3/field/search", params={"type": "weird"})
    assert bad.status_code == 400


def test_data_center_field_list_has_no_cloud_keys(dc_client: httpx.Client) -> None:
    fields = dc_client.get("/rest/api/2/field").json()
    assert "Sprint" in _by_name(fields)
    assert all("key" not in f and "untranslatedName" not in f for f in fields)
    assert dc_client.get("/rest/api/2/field/search").status_code == 404


def test_issue_types_priorities_statuses_resolutions(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    state = cloud.backend.state
    types = admin_client.get("/rest/api/3/issuetype").json()
    by_name = {t["name"]: t for t in types}
    assert by_name["Epic"]["hierarchyLevel"] == 1 and by_name["Sub-task"]["subtask"] is True
    one = admin_client.get(f"/rest/api/3/issuetype/{by_name['Bug']['id']}").json()
    assert one == by_name["Bug"]
    assert admin_client.get("/rest/api/3/issuetype/424242").status_code == 404

    priorities = admin_client.get("/rest/api/3/priority").json()
    assert [p["name"] for p in priorities] == ["Highest", "High", "Medium", "Low", "Lowest"]
    assert all(p["statusColor"].startswith("#") for p in priorities)
    paged = admin_client.get("/rest/api/3/priority/search", params={"maxResults": 2}).json()
    assert paged["total"] == 5 and len(paged["values"]) == 2 and not paged["isLast"]
    assert [p["name"] for p in paged["values"] if p["isDefault"]] in ([], ["High"])

    statuses = admin_client.get("/rest/api/3/status").json()
    assert {s["id"] for s in statuses} == set(state.statuses)
    done = next(s for s in statuses if s["name"] == "Done")
    assert done["statusCategory"]["key"] == "done"
    assert admin_client.get("/rest/api/3/status/done").json()["id"] == done["id"]  # by name, any case
    cats = admin_client.get("/rest/api/3/statuscategory").json()
    assert {c["key"] for c in cats} == {"undefined", "new", "indeterminate", "done"}
    assert admin_client.get("/rest/api/3/statuscategory/indeterminate").json()["id"] == 4
    resolutions = admin_client.get("/rest/api/3/resolution").json()
    assert "Won't Do" in [r["name"] for r in resolutions]


def test_link_types_and_labels(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    links = admin_client.get("/rest/api/3/issueLinkType").json()["issueLinkTypes"]
    blocks = next(lt for lt in links if lt["name"] == "Blocks")
    assert (blocks["inward"], blocks["outward"]) == ("is blocked by", "blocks")
    assert admin_client.get(f"/rest/api/3/issueLinkType/{blocks['id']}").json() == blocks
    labels = sorted({label for i in cloud.backend.state.issues.values() for label in i.labels})
    assert labels
    seen: list[str] = []
    start = 0
    while True:
        page = admin_client.get("/rest/api/3/label", params={"startAt": start, "maxResults": 4}).json()
        assert page["total"] == len(labels)
        seen.extend(page["values"])
        if page["isLast"]:
            break
        start += 4
    assert seen == labels


def test_data_center_metadata_lists(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    state = dc.backend.state
    assert {t["id"] for t in dc_client.get("/rest/api/2/issuetype").json()} >= {
        t.id for t in state.issue_types.values() if t.project_id is None
    }
    assert all("hierarchyLevel" not in t for t in dc_client.get("/rest/api/2/issuetype").json())
    assert len(dc_client.get("/rest/api/2/priority").json()) == len(state.priorities)
    assert {s["id"] for s in dc_client.get("/rest/api/2/status").json()} == set(state.statuses)
    assert len(dc_client.get("/rest/api/2/statuscategory").json()) == len(state.status_categories)
    assert len(dc_client.get("/rest/api/2/resolution").json()) == len(state.resolutions)
    project = min(state.projects.values(), key=lambda p: p.id)
    for part in ("components", "versions", "statuses"):
        assert dc_client.get(f"/rest/api/2/project/{project.key}/{part}").json()
    assert dc_client.get("/rest/api/2/label").status_code == 404  # Cloud only


def test_issue_types_of_one_project(emulator: Any) -> None:
    server = emulator(projects=3, issues=30)
    team = next(p for p in server.backend.state.projects.values() if p.style == "next-gen")
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        types = client.get("/rest/api/3/issuetype/project", params={"projectId": team.id}).json()
        assert [t["id"] for t in types] == team.issue_type_ids
        epics = client.get("/rest/api/3/issuetype/project", params={"projectId": team.id, "level": 1}).json()
        assert all(t["hierarchyLevel"] == 1 for t in epics)
        assert client.get("/rest/api/3/issuetype/project", params={"projectId": 1}).status_code == 404
        assert client.get("/rest/api/3/issuetype/project").status_code == 400
