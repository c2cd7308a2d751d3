"""Real Jira clients nobody here wrote, driven against jiraemu over HTTP.

pycontribs ``jira`` and ``atlassian-python-api`` are what many integrations use; if jiraemu
drifts from Jira's shapes or paging, these break the way they would against a real site.
"""

from __future__ import annotations

from typing import Any

import pytest
from atlassian.jira import JiraCloud, JiraServer
from jira import JIRA

from jiraemu import EmulatorServer

ADMIN = ("admin@example.com", "emulator-token")


def visible_keys(server: EmulatorServer, project_key: str) -> list[str]:
    """Ground truth straight from the emulator's state: the admin sees every issue of a project."""
    state = server.backend.state
    project = state.project_by_key_or_id(project_key)
    assert project is not None
    return sorted((i.key for i in state.issues.values() if i.project_id == project.id), key=_key_order)


def _key_order(key: str) -> tuple[str, int]:
    prefix, _, number = key.rpartition("-")
    return prefix, int(number)


def first_project(server: EmulatorServer) -> Any:
    return min(server.backend.state.projects.values(), key=lambda p: p.id)


def task_type_name(server: EmulatorServer, project: Any) -> str:
    types = server.backend.state.issue_types
    return next(types[t].name for t in project.issue_type_ids if not types[t].subtask and types[t].hierarchy_level == 0)


@pytest.fixture
def pyjira(cloud: EmulatorServer) -> JIRA:
    return JIRA(server=cloud.url, basic_auth=ADMIN, options={"check_update": False}, max_retries=0)


def test_pycontribs_connects_and_detects_cloud(pyjira: JIRA) -> None:
    assert pyjira._is_cloud
    assert pyjira.myself()["emailAddress"] == ADMIN[0]


def test_pycontribs_enhanced_search_pages_through_every_issue(cloud: EmulatorServer, pyjira: JIRA) -> None:
    project = first_project(cloud)
    expected = visible_keys(cloud, project.key)
    assert len(expected) > 20
    # maxResults=0 makes the client follow nextPageToken until the last page
    found = pyjira.enhanced_search_issues(f"project = {project.key} ORDER BY key ASC", maxResults=0)
    assert [i.key for i in found] == expected
    assert all(i.fields.summary for i in found)
    # small explicit pages, following the token by hand, give the same answer
    keys: list[str] = []
    token = None
    while True:
        page = pyjira.enhanced_search_issues(
            f"project = {project.key} ORDER BY key ASC", nextPageToken=token, maxResults=7, fields="summary"
        )
        keys.extend(i.key for i in page)
        token = page.nextPageToken
        if not token:
            break
    assert keys == expected


def test_pycontribs_get_create_transition_comment_delete(cloud: EmulatorServer, pyjira: JIRA) -> None:
    project = first_project(cloud)
    some_key = visible_keys(cloud, project.key)[0]
    issue = pyjira.issue(some_key)
    assert issue.key == some_key and issue.fields.project.key == project.key

    created = pyjira.create_issue(
        project=project.key, summary="Filed by pycontribs", issuetype={"name": task_type_name(cloud, project)},
        description="A plain v2 description", labels=["from-client"],
    )
    fetched = pyjira.issue(created.key)
    assert fetched.fields.summary == "Filed by pycontribs"
    assert fetched.fields.labels == ["from-client"]

    transitions = pyjira.transitions(created)
    assert transitions
    target = transitions[0]
    pyjira.transition_issue(created, target["id"])
    assert pyjira.issue(created.key).fields.status.name == target["to"]["name"]

    comment = pyjira.add_comment(created, "a comment from pycontribs")
    assert [c.body for c in pyjira.comments(created)] == ["a comment from pycontribs"]
    assert comment.id

    created.delete()
    assert cloud.backend.state.issue_by_key_or_id(created.key) is None


def test_pycontribs_on_data_center_pages_with_start_at(dc: EmulatorServer) -> None:
    client = JIRA(server=dc.url, token_auth="emulator-pat", options={"check_update": False}, max_retries=0)
    assert not client._is_cloud
    project = first_project(dc)
    expected = visible_keys(dc, project.key)
    found = client.search_issues(f"project = {project.key} ORDER BY key ASC", maxResults=False)
    assert [i.key for i in found] == expected


def test_atlassian_python_api_enhanced_jql_and_issue_create(cloud: EmulatorServer) -> None:
    client = JiraCloud(url=cloud.url, username=ADMIN[0], password=ADMIN[1])
    project = first_project(cloud)
    expected = visible_keys(cloud, project.key)
    tickets = client.enhanced_jql_get_list_of_tickets(f"project = {project.key} ORDER BY key ASC", fields="summary")
    assert [t["key"] for t in tickets] == expected

    adf = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "ADF body"}]}]}
    created = client.create_issue(data={"fields": {
        "project": {"key": project.key},
        "summary": "Filed by atlassian-python-api",
        "issuetype": {"name": task_type_name(cloud, project)},
        "description": adf,
    }})
    got = client.get_issue(created["key"], fields="summary,description")
    assert got["fields"]["summary"] == "Filed by atlassian-python-api"
    assert got["fields"]["description"]["content"][0]["content"][0]["text"] == "ADF body"


def test_atlassian_python_api_server_client_on_data_center(dc: EmulatorServer) -> None:
    client = JiraServer(url=dc.url, username="admin", password="admin")
    project = first_project(dc)
    expected = visible_keys(dc, project.key)
    first = client.jql(f"project = {project.key} ORDER BY key ASC", fields="summary", limit=10)
    assert first["total"] == len(expected)
    assert [i["key"] for i in first["issues"]] == expected[:10]
    created = client.issue_create(fields={
        "project": {"key": project.key}, "summary": "DC issue", "issuetype": {"name": task_type_name(dc, project)},
        "description": "h1. Wiki markup",
    })
    assert client.issue(created["key"])["fields"]["description"] == "h1. Wiki markup"
