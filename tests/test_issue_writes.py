"""Issue writes over real HTTP: create (single and bulk), edit with update ops, transitions,
comments, worklogs, properties, attachments, delete, move — and the errors Jira gives for each.

Every response is validated against the OpenAPI spec by the fixture; tests read ground truth
from the live backend state.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jira import JIRA

from jiraemu import EmulatorServer
from jiraemu.events import Event
from jiraemu.issues import models
from jiraemu.state import Issue, Project, User
from tests.conftest import basic

ADMIN = ("admin@example.com", "emulator-token")
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


def first_project(server: EmulatorServer) -> Project:
    return min(server.backend.state.projects.values(), key=lambda p: p.id)


def type_id(server: EmulatorServer, name: str) -> str:
    return next(t.id for t in server.backend.state.issue_types.values() if t.name == name)


def field_id(server: EmulatorServer, kind: str) -> str:
    fdef = server.backend.state.field_by_kind(kind)
    assert fdef is not None, kind
    return fdef.id


def transition_id(server: EmulatorServer, name: str) -> str:
    workflow = next(iter(server.backend.state.workflows.values()))
    return next(t.id for t in workflow.transitions if t.name == name)


def live(server: EmulatorServer, key: str) -> Issue:
    issue = server.backend.state.issue_by_key_or_id(key)
    assert issue is not None
    return issue


def create(client: httpx.Client, server: EmulatorServer, v: int = 3, **fields: Any) -> str:
    project = first_project(server)
    body = {"project": {"key": project.key}, "issuetype": {"name": "Task"}, "summary": "Written by a test"}
    body.update(fields)
    resp = client.post(f"/rest/api/{v}/issue", json={"fields": body})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["key"])


def plain_member(server: EmulatorServer, project: Project) -> User:
    """A generated user who may browse and edit in the project but holds no admin role there."""
    perms, state = server.backend.perms, server.backend.state
    for user in state.users.values():
        if (user.active and user.account_type == "atlassian" and user.api_token
                and perms.has(user, "BROWSE_PROJECTS", project=project)
                and not perms.has(user, "DELETE_ISSUES", project=project)):
            return user
    raise AssertionError("the data plan promises a non-admin project member")


@pytest.fixture
def recorded(cloud: EmulatorServer) -> Iterator[list[Event]]:
    seen: list[Event] = []
    cloud.backend.listeners.append(seen.append)
    yield seen


# -- create ------------------------------------------------------------------------------------------
def test_create_v3_with_adf_and_custom_fields(cloud: EmulatorServer, admin_client: httpx.Client,
                                              recorded: list[Event]) -> None:
    state = cloud.backend.state
    project = first_project(cloud)
    severity, envs = state.field_by_kind("select"), state.field_by_kind("multiselect")
    assert severity is not None and envs is not None
    member = plain_member(cloud, project)
    sprint = next(s for s in state.sprints.values() if s.state == "active" and state.boards[s.board_id].project_id == project.id)
    resp = admin_client.post("/rest/api/3/issue", json={"fields": {
        "project": {"id": str(project.id)},
        "issuetype": {"id": type_id(cloud, "Story")},
        "summary": "Sync the widgets",
        "description": adf("Rich **text** body"),
        "labels": ["sync", "widgets"],
        "priority": {"name": "High"},
        "assignee": {"accountId": member.account_id},
        "duedate": "2026-12-24",
        severity.id: {"value": "High"},
        envs.id: [{"value": "Production"}, {"id": envs.options[1].id}],
        field_id(cloud, "storypoints"): 5,
        field_id(cloud, "date"): "2026-12-01",
        field_id(cloud, "userpicker"): {"accountId": member.account_id},
        field_id(cloud, "textarea"): adf("notes"),
        field_id(cloud, "sprint"): sprint.id,
    }})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"id", "key", "self"}
    assert body["key"].startswith(f"{project.key}-") and body["self"].endswith(f"/rest/api/3/issue/{body['id']}")
    issue = live(cloud, body["key"])
    assert issue.id == int(body["id"]) and issue.summary == "Sync the widgets"
    assert issue.description is not None and issue.description.adf == adf("Rich **text** body")
    assert issue.labels == ("sync", "widgets") and issue.assignee_id == member.account_id
    assert issue.reporter_id == issue.creator_id == state.users[issue.reporter_id].account_id
    assert state.priorities[issue.priority_id or ""].name == "High" and issue.duedate == "2026-12-24"
    assert issue.custom_value(severity.id) == next(o.id for o in severity.options if o.value == "High")
    assert issue.custom_value(envs.id) == (next(o.id for o in envs.options if o.value == "Production"), envs.options[1].id)
    assert issue.custom_value(field_id(cloud, "storypoints")) == 5.0
    assert issue.custom_value(field_id(cloud, "sprint")) == (sprint.id,)
    assert issue.status_id == next(iter(state.workflows.values())).initial_status_id
    assert issue.histories == () and issue.version == 1
    assert [(e.kind, e.issue_event_type_name) for e in recorded] == [("jira:issue_created", "issue_created")]
    # keys keep counting per project, past every key the generator made
    numbers = [int(k.rsplit("-", 1)[1]) for k in state.keys if k.startswith(f"{project.key}-")]
    assert int(body["key"].rsplit("-", 1)[1]) == max(numbers)
    assert create(admin_client, cloud).rsplit("-", 1)[1] == str(max(numbers) + 1)


def test_create_v2_takes_a_wiki_string(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = create(admin_client, cloud, v=2, description="h1. Title\n\n* item", environment="prod")
    issue = live(cloud, key)
    assert issue.description is not None and issue.description.wiki == "h1. Title\n\n* item"
    assert issue.environment is not None and issue.environment.wiki == "prod"


def test_v3_rejects_a_string_where_adf_is_required(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    before = len(cloud.backend.state.issues)
    resp = admin_client.post("/rest/api/3/issue", json={"fields": {
        "project": {"key": first_project(cloud).key}, "issuetype": {"name": "Task"}, "summary": "s",
        "description": "plain", field_id(cloud, "textarea"): "also plain",
    }})
    assert resp.status_code == 400
    assert resp.json() == {"errorMessages": [], "errors": {"description": NOT_ADF, field_id(cloud, "textarea"): NOT_ADF}}
    assert len(cloud.backend.state.issues) == before
    broken = {"type": "doc", "version": 1, "content": [{"type": "text", "text": "inline at the top"}]}
    resp = admin_client.post("/rest/api/3/issue", json={"fields": {
        "project": {"key": first_project(cloud).key}, "issuetype": {"name": "Task"}, "summary": "s", "description": broken}})
    assert resp.status_code == 400 and resp.json()["errors"] == {"description": NOT_ADF}


def test_create_errors_name_every_bad_field(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    project = first_project(cloud)
    severity = field_id(cloud, "select")
    resp = admin_client.post("/rest/api/3/issue", json={"fields": {
        "project": {"key": project.key}, "issuetype": {"name": "Task"},
        severity: {"value": "Apocalyptic"}, "customfield_99999": "x", "labels": ["has space"],
    }})
    assert resp.status_code == 400
    assert resp.json() == {"errorMessages": [], "errors": {
        "summary": "You must specify a summary of the issue.",
        severity: "Option value 'Apocalyptic' is not valid",
        "customfield_99999": "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown.",
        "labels": "The label 'has space' contains spaces which is invalid.",
    }}
    resp = admin_client.post("/rest/api/3/issue", json={"fields": {"project": {"key": "NOPE"}, "summary": "s"}})
    assert resp.status_code == 400 and resp.json()["errors"] == {"project": "Specify a valid project ID or key"}
    resp = admin_client.post("/rest/api/3/issue", json={"fields": {
        "project": {"key": project.key}, "issuetype": {"name": "Sub-task"}, "summary": "orphan"}})
    assert resp.status_code == 400
    assert resp.json()["errorMessages"] == ["Issue type is a sub-task but parent issue key or id not specified."]


def test_bulk_create_reports_partial_failures(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    project = first_project(cloud)

    def item(**fields: Any) -> dict[str, Any]:
        return {"fields": {"project": {"key": project.key}, "issuetype": {"name": "Bug"}, **fields}}

    resp = admin_client.post("/rest/api/3/issue/bulk", json={"issueUpdates": [
        item(summary="one"), item(), item(summary="three", description=adf("d")),
    ]})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert [live(cloud, i["key"]).summary for i in body["issues"]] == ["one", "three"]
    assert body["errors"] == [{"status": 400, "failedElementNumber": 1, "elementErrors": {
        "errorMessages": [], "errors": {"summary": "You must specify a summary of the issue."}}}]
    all_bad = admin_client.post("/rest/api/3/issue/bulk", json={"issueUpdates": [item(), item()]})
    assert all_bad.status_code == 400 and all_bad.json()["issues"] == [] and len(all_bad.json()["errors"]) == 2
    too_many = admin_client.post("/rest/api/3/issue/bulk", json={"issueUpdates": [item(summary="x")] * 51})
    assert too_many.status_code == 400


def test_dc_create_uses_names_for_users(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    project = first_project(dc)
    resp = dc_client.post("/rest/api/2/issue", json={"fields": {
        "project": {"key": project.key}, "issuetype": {"name": "Task"}, "summary": "DC", "assignee": {"name": "user01"},
        "description": "wiki *bold*",
    }})
    assert resp.status_code == 201, resp.text
    issue = live(dc, resp.json()["key"])
    assert dc.backend.state.users[issue.assignee_id or ""].name == "user01"
    resp = dc_client.post("/rest/api/2/issue", json={"fields": {
        "project": {"key": project.key}, "issuetype": {"name": "Task"}, "summary": "DC", "assignee": {"name": "ghost"}}})
    assert resp.status_code == 400 and resp.json()["errors"] == {"assignee": "User 'ghost' does not exist."}
    key = issue.key
    comment = dc_client.post(f"/rest/api/2/issue/{key}/comment", json={
        "body": "on DC", "visibility": {"type": "group", "value": "jira-administrators"}})
    assert comment.status_code == 201 and comment.json()["author"]["name"] == "admin"
    done = next(t.id for t in next(iter(dc.backend.state.workflows.values())).transitions if t.name == "Won't Do")
    assert dc_client.post(f"/rest/api/2/issue/{key}/transitions", json={"transition": {"id": done}}).status_code == 204
    item = {i.field: i for i in live(dc, key).histories[-1].items}["status"]
    assert item.to_string == "Won't Do"
    assert len(live(dc, key).histories) == 1  # creation records none; the transition one
    resp = dc_client.put(f"/rest/api/2/issue/{key}/assignee", json={"name": "user02"})
    assert resp.status_code == 204
    item = live(dc, key).histories[-1].items[0]
    assert (item.field, item.from_, item.to) == ("assignee", "user01", "user02")  # DC records user names


# -- edit --------------------------------------------------------------------------------------------
def test_edit_with_update_ops_records_history(cloud: EmulatorServer, admin_client: httpx.Client,
                                              recorded: list[Event]) -> None:
    key = create(admin_client, cloud, labels=["a", "b"])
    before = live(cloud, key)
    cloud.backend.clock.advance(1)
    resp = admin_client.put(f"/rest/api/3/issue/{key}", json={
        "fields": {"summary": "Renamed"},
        "update": {"labels": [{"add": "c"}, {"remove": "a"}], field_id(cloud, "multiselect"): [{"add": {"value": "QA"}}]},
    })
    assert resp.status_code == 204, resp.text
    after = live(cloud, key)
    assert after.labels == ("b", "c") and after.summary == "Renamed"
    assert after.version == before.version + 1 and after.updated > before.updated
    (history,) = after.histories
    items = {i.field: i for i in history.items}
    assert (items["labels"].from_string, items["labels"].to_string) == ("a b", "b c")
    assert (items["summary"].from_string, items["summary"].to_string) == ("Written by a test", "Renamed")
    assert items["Environments"].fieldtype == "custom" and items["Environments"].to_string == "QA"
    assert recorded[-1].issue_event_type_name == "issue_updated" and recorded[-1].history == history
    # the same values again change nothing: no new version, no history
    again = admin_client.put(f"/rest/api/3/issue/{key}", json={"fields": {"summary": "Renamed"}})
    assert again.status_code == 204 and live(cloud, key).version == after.version
    bad_op = admin_client.put(f"/rest/api/3/issue/{key}", json={"update": {"summary": [{"add": "x"}]}})
    assert bad_op.status_code == 400 and "Supported operation(s) are: 'set'" in bad_op.json()["errors"]["summary"]
    empty = admin_client.put(f"/rest/api/3/issue/{key}", json={})
    assert empty.json() == {"errorMessages": ["one of 'fields' or 'update' required"], "errors": {}}


def test_edit_return_issue_and_assign(cloud: EmulatorServer, admin_client: httpx.Client, recorded: list[Event]) -> None:
    key = create(admin_client, cloud)
    resp = admin_client.put(f"/rest/api/3/issue/{key}?returnIssue=true", json={"fields": {"summary": "Back"}})
    assert resp.status_code == 200 and resp.json()["key"] == key
    member = plain_member(cloud, first_project(cloud))
    resp = admin_client.put(f"/rest/api/3/issue/{key}/assignee", json={"accountId": member.account_id})
    assert resp.status_code == 204 and live(cloud, key).assignee_id == member.account_id
    assert recorded[-1].issue_event_type_name == "issue_assigned"
    item = live(cloud, key).histories[-1].items[0]
    assert (item.field, item.to, item.to_string) == ("assignee", member.account_id, member.display_name)
    app = next(u for u in cloud.backend.state.users.values() if u.account_type == "app")
    resp = admin_client.put(f"/rest/api/3/issue/{key}/assignee", json={"accountId": app.account_id})
    assert resp.status_code == 400
    assert resp.json()["errors"] == {"assignee": f"User '{app.account_id}' cannot be assigned issues."}
    # fields a user may not set are "not on the screen" for them
    with httpx.Client(base_url=cloud.url, headers=basic(member.email, member.api_token)) as client:
        resp = client.put(f"/rest/api/3/issue/{key}", json={"fields": {"reporter": {"accountId": member.account_id}}})
    assert resp.status_code == 400
    assert resp.json()["errors"] == {"reporter": "Field 'reporter' cannot be set. It is not on the appropriate screen, or unknown."}
    with httpx.Client(base_url=cloud.url, headers=basic(member.email, member.api_token)) as client:
        quiet = client.put(f"/rest/api/3/issue/{key}?notifyUsers=false", json={"fields": {"summary": "shh"}})
    assert quiet.status_code == 403 and live(cloud, key).summary == "Back"
    assert admin_client.put(f"/rest/api/3/issue/{key}?notifyUsers=false", json={"fields": {"summary": "shh"}}).status_code == 204


# -- transitions -------------------------------------------------------------------------------------
def test_transition_to_done_sets_resolution_and_reopen_clears_it(cloud: EmulatorServer, admin_client: httpx.Client,
                                                                  recorded: list[Event]) -> None:
    state = cloud.backend.state
    key = create(admin_client, cloud)
    for name in ("Start Progress", "Done"):
        resp = admin_client.post(f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": transition_id(cloud, name)}})
        assert resp.status_code == 204, resp.text
    done = live(cloud, key)
    assert state.statuses[done.status_id].name == "Done"
    assert done.resolution_id is not None and state.resolutions[done.resolution_id].name == "Done"
    assert done.resolution_date is not None
    last = {i.field: i for i in done.histories[-1].items}
    assert (last["status"].from_string, last["status"].to_string) == ("In Progress", "Done")
    assert last["resolution"].to_string == "Done" and last["resolution"].from_ is None
    assert recorded[-1].issue_event_type_name == "issue_generic"

    resp = admin_client.post(f"/rest/api/2/issue/{key}/transitions", json={
        "transition": {"id": transition_id(cloud, "Reopen")}, "update": {"comment": [{"add": {"body": "reopening"}}]}})
    assert resp.status_code == 204, resp.text
    reopened = live(cloud, key)
    assert reopened.resolution_id is None and reopened.resolution_date is None
    assert {i.field: i.from_string for i in reopened.histories[-1].items}["resolution"] == "Done"
    assert reopened.comments[-1].body.wiki == "reopening"

    wont = admin_client.post(f"/rest/api/3/issue/{key}/transitions", json={
        "transition": {"id": transition_id(cloud, "Won't Do")}, "fields": {"resolution": {"name": "Duplicate"}}})
    assert wont.status_code == 204, wont.text
    assert state.resolutions[live(cloud, key).resolution_id or ""].name == "Duplicate"


def test_unavailable_transition_is_400(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = create(admin_client, cloud)
    reopen = transition_id(cloud, "Reopen")  # only from Done / Won't Do
    resp = admin_client.post(f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": reopen}})
    assert resp.status_code == 400
    assert resp.json() == {"errorMessages": [f"Transition id '{reopen}' is not valid for this issue."], "errors": {}}
    assert live(cloud, key).histories == ()
    no_screen = admin_client.post(f"/rest/api/3/issue/{key}/transitions", json={
        "transition": {"id": transition_id(cloud, "Start Progress")}, "fields": {"summary": "sneaky"}})
    assert no_screen.status_code == 400
    assert no_screen.json()["errors"] == {"summary": "Field 'summary' cannot be set. It is not on the appropriate screen, or unknown."}
    missing = admin_client.post(f"/rest/api/3/issue/{key}/transitions", json={})
    assert missing.status_code == 400 and missing.json()["errorMessages"] == ["Missing 'transition' identifier"]


# -- comments, worklogs, properties ------------------------------------------------------------------
def test_comment_crud_with_visibility(cloud: EmulatorServer, admin_client: httpx.Client, recorded: list[Event]) -> None:
    key = create(admin_client, cloud)
    resp = admin_client.post(f"/rest/api/3/issue/{key}/comment", json={
        "body": adf("first"), "visibility": {"type": "role", "value": "Administrators"}})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["body"] == adf("first") and created["visibility"]["value"] == "Administrators"
    assert created["author"]["accountId"] == live(cloud, key).creator_id
    # Jira fires comment_created and an issue update named issue_commented
    assert [(e.kind, e.issue_event_type_name) for e in recorded[-2:]] == [
        ("comment_created", "issue_commented"), ("jira:issue_updated", "issue_commented")]
    assert recorded[-1].comment is not None and recorded[-1].comment.id == int(created["id"])

    cid = created["id"]
    resp = admin_client.put(f"/rest/api/2/issue/{key}/comment/{cid}?expand=renderedBody", json={"body": "edited *in* v2"})
    assert resp.status_code == 200 and resp.json()["body"] == "edited *in* v2"
    assert "<b>in</b>" in resp.json()["renderedBody"]
    assert live(cloud, key).comments[0].body.wiki == "edited *in* v2"
    assert live(cloud, key).comments[0].visibility == {"type": "role", "value": "Administrators"}
    assert recorded[-1].issue_event_type_name == "issue_comment_edited"

    bad = admin_client.post(f"/rest/api/3/issue/{key}/comment", json={"body": "a v2 string on v3"})
    assert bad.status_code == 400
    empty = admin_client.post(f"/rest/api/3/issue/{key}/comment", json={"body": ""})
    assert empty.json()["errors"] == {"comment": "Comment body can not be empty!"}
    no_role = admin_client.post(f"/rest/api/3/issue/{key}/comment", json={
        "body": adf("x"), "visibility": {"type": "role", "value": "Wizards"}})
    assert no_role.status_code == 400
    # only a group the author belongs to
    admin_id = live(cloud, key).creator_id
    other = next(g for g in cloud.backend.state.groups.values() if admin_id not in g.members)
    not_mine = admin_client.post(f"/rest/api/3/issue/{key}/comment", json={
        "body": adf("x"), "visibility": {"type": "group", "value": other.name}})
    assert not_mine.json()["errors"] == {"commentLevel": f"You are currently not a member of the group: {other.name}."}
    # a restricted comment is invisible to users outside the role, even for edits
    member = plain_member(cloud, first_project(cloud))
    with httpx.Client(base_url=cloud.url, headers=basic(member.email, member.api_token)) as client:
        assert client.put(f"/rest/api/3/issue/{key}/comment/{cid}", json={"body": adf("peek")}).status_code == 404

    assert admin_client.delete(f"/rest/api/3/issue/{key}/comment/{cid}").status_code == 204
    assert live(cloud, key).comments == ()
    assert recorded[-1].issue_event_type_name == "issue_comment_deleted"
    assert admin_client.delete(f"/rest/api/3/issue/{key}/comment/{cid}").status_code == 404


def test_comment_edit_of_someone_elses_comment_needs_edit_all(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = create(admin_client, cloud)
    cid = admin_client.post(f"/rest/api/2/issue/{key}/comment", json={"body": "admin's"}).json()["id"]
    member = plain_member(cloud, first_project(cloud))
    with httpx.Client(base_url=cloud.url, headers=basic(member.email, member.api_token)) as client:
        own = client.post(f"/rest/api/2/issue/{key}/comment", json={"body": "mine"})
        assert own.status_code == 201
        assert client.put(f"/rest/api/2/issue/{key}/comment/{own.json()['id']}", json={"body": "mine!"}).status_code == 200
        resp = client.put(f"/rest/api/2/issue/{key}/comment/{cid}", json={"body": "hijacked"})
        assert resp.status_code == 400
        assert client.delete(f"/rest/api/2/issue/{key}/comment/{cid}").status_code == 400
    assert live(cloud, key).comments[0].body.wiki == "admin's"


def test_comment_limit_gives_413(emulator: Any) -> None:
    server = emulator(comment_limit_per_issue=2)
    with httpx.Client(base_url=server.url, headers=basic(*ADMIN)) as client:
        key = create(client, server)
        for _ in range(2):
            assert client.post(f"/rest/api/2/issue/{key}/comment", json={"body": "c"}).status_code == 201
        assert client.post(f"/rest/api/2/issue/{key}/comment", json={"body": "c"}).status_code == 413


def test_worklogs_adjust_the_estimate(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = create(admin_client, cloud, timetracking={"originalEstimate": "1d"})
    assert live(cloud, key).remaining_estimate_s == 8 * 3600
    resp = admin_client.post(f"/rest/api/2/issue/{key}/worklog", json={
        "timeSpent": "3h 30m", "started": "2026-11-20T09:00:00.000+0100", "comment": "pairing"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["timeSpentSeconds"] == 12600 and resp.json()["timeSpent"] == "3h 30m"
    issue = live(cloud, key)
    assert issue.remaining_estimate_s == 8 * 3600 - 12600
    assert {i.field for i in issue.histories[-1].items} == {"timespent", "WorklogId", "timeestimate"}
    wid = resp.json()["id"]
    resp = admin_client.put(f"/rest/api/3/issue/{key}/worklog/{wid}?adjustEstimate=new&newEstimate=2h",
                            json={"timeSpentSeconds": 3600})
    assert resp.status_code == 200 and live(cloud, key).remaining_estimate_s == 7200
    assert admin_client.delete(f"/rest/api/3/issue/{key}/worklog/{wid}?adjustEstimate=leave").status_code == 204
    assert live(cloud, key).worklogs == () and live(cloud, key).remaining_estimate_s == 7200


def test_properties_create_update_delete(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = create(admin_client, cloud)
    updated = live(cloud, key).updated
    assert admin_client.put(f"/rest/api/3/issue/{key}/properties/sync.state", json={"rev": 1}).status_code == 201
    assert admin_client.put(f"/rest/api/3/issue/{key}/properties/sync.state", json={"rev": 2}).status_code == 200
    assert dict(live(cloud, key).properties) == {"sync.state": {"rev": 2}}
    assert live(cloud, key).updated == updated  # Jira does not touch `updated` for entity properties
    too_big = admin_client.put(f"/rest/api/3/issue/{key}/properties/big", json={"blob": "x" * 33000})
    assert too_big.status_code == 400
    assert admin_client.delete(f"/rest/api/3/issue/{key}/properties/sync.state").status_code == 204
    assert admin_client.delete(f"/rest/api/3/issue/{key}/properties/sync.state").status_code == 404


# -- attachments -------------------------------------------------------------------------------------
def test_attachment_upload_needs_the_xsrf_header(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = create(admin_client, cloud)
    files = {"file": ("notes.txt", b"hello attachment", "text/plain")}
    refused = admin_client.post(f"/rest/api/3/issue/{key}/attachments", files=files)
    assert refused.status_code == 403 and refused.text == "XSRF check failed"
    assert live(cloud, key).attachments == ()
    resp = admin_client.post(f"/rest/api/3/issue/{key}/attachments", files=files,
                             headers={"X-Atlassian-Token": "no-check"})
    assert resp.status_code == 200, resp.text
    (meta,) = resp.json()
    assert meta["filename"] == "notes.txt" and meta["size"] == 16 and meta["mimeType"] == "text/plain"
    (att,) = live(cloud, key).attachments
    assert cloud.backend.state.blobs[att.sha256] == b"hello attachment"
    item = live(cloud, key).histories[-1].items[0]
    assert (item.field, item.to, item.to_string) == ("Attachment", meta["id"], "notes.txt")
    assert admin_client.delete(f"/rest/api/3/attachment/{meta['id']}").status_code == 204
    assert live(cloud, key).attachments == ()
    assert admin_client.delete(f"/rest/api/3/attachment/{meta['id']}").status_code == 404


# -- delete and move ---------------------------------------------------------------------------------
def test_delete_with_subtasks_needs_delete_subtasks(cloud: EmulatorServer, admin_client: httpx.Client,
                                                    recorded: list[Event]) -> None:
    parent = create(admin_client, cloud)
    sub = create(admin_client, cloud, issuetype={"name": "Sub-task"}, parent={"key": parent})
    assert live(cloud, sub).parent_id == live(cloud, parent).id
    parent_id, sub_id = live(cloud, parent).id, live(cloud, sub).id
    resp = admin_client.delete(f"/rest/api/3/issue/{parent}")
    assert resp.status_code == 400
    assert resp.json()["errorMessages"] == [
        f"The issue '{parent}' has subtasks.  You must specify the 'deleteSubtasks' parameter "
        "to delete this issue and all its subtasks."]
    assert admin_client.delete(f"/rest/api/3/issue/{parent}?deleteSubtasks=true").status_code == 204
    state = cloud.backend.state
    assert parent_id not in state.issues and sub_id not in state.issues
    assert {parent_id, sub_id} <= state.deleted_issue_ids
    assert [e.issue_event_type_name for e in recorded[-2:]] == ["issue_deleted", "issue_deleted"]
    assert admin_client.get(f"/rest/api/3/issue/{parent}").status_code == 404


def test_delete_without_permission_is_403(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = create(admin_client, cloud)
    member = plain_member(cloud, first_project(cloud))
    with httpx.Client(base_url=cloud.url, headers=basic(member.email, member.api_token)) as client:
        resp = client.delete(f"/rest/api/3/issue/{key}")
    assert resp.status_code == 403
    assert resp.json() == {"errorMessages": ["You do not have permission to delete issues in this project."], "errors": {}}
    assert live(cloud, key)


def test_deletes_are_audited_when_configured(emulator: Any) -> None:
    server = emulator(audit_issue_deletes=True)
    with httpx.Client(base_url=server.url, headers=basic(*ADMIN)) as client:
        key = create(client, server)
        assert client.delete(f"/rest/api/3/issue/{key}").status_code == 204
    record = server.backend.state.audit[-1]
    assert record.summary == "Issue deleted" and record.object_item["name"] == key


def test_moved_issue_keeps_its_id_and_old_key_resolves(cloud: EmulatorServer, admin_client: httpx.Client,
                                                       recorded: list[Event]) -> None:
    state = cloud.backend.state
    source = first_project(cloud)
    target = max(state.projects.values(), key=lambda p: p.id)
    old_key = create(admin_client, cloud)
    sub_key = create(admin_client, cloud, issuetype={"name": "Sub-task"}, parent={"key": old_key})
    issue = live(cloud, old_key)
    admin = state.users["557058:f0000000-0000-4000-8000-000000000001"]
    moved = models.move_issue(cloud.backend, admin, issue, target)
    assert moved.id == issue.id and moved.key.startswith(f"{target.key}-") and moved.project_id == target.id
    assert state.issue_by_key_or_id(old_key) is moved and target.previous_keys == [] and source.previous_keys == []
    items = {i.field: i for i in moved.histories[-1].items}
    assert (items["Key"].from_string, items["Key"].to_string) == (old_key, moved.key)
    assert (items["project"].from_, items["project"].to) == (str(source.id), str(target.id))
    assert recorded[-2].issue_event_type_name == "issue_moved"
    assert live(cloud, sub_key).project_id == target.id  # sub-tasks move with their parent
    resp = admin_client.get(f"/rest/api/3/issue/{old_key}")
    assert resp.status_code == 200 and resp.json()["key"] == moved.key
    # writes through the old key land on the moved issue
    assert admin_client.put(f"/rest/api/3/issue/{old_key}", json={"fields": {"summary": "moved"}}).status_code == 204
    assert live(cloud, moved.key).summary == "moved"


def test_issue_links_create_and_delete(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    a, b = create(admin_client, cloud), create(admin_client, cloud)
    resp = admin_client.post("/rest/api/3/issueLink", json={
        "type": {"name": "Blocks"}, "inwardIssue": {"key": a}, "outwardIssue": {"key": b}})
    assert resp.status_code == 201, resp.text
    state = cloud.backend.state
    link = next(lk for lk in state.links.values() if lk.inward_issue_id == live(cloud, a).id)
    assert link.outward_issue_id == live(cloud, b).id
    assert live(cloud, b).histories[-1].items[0].to_string == f"This issue blocks {a}"
    assert admin_client.delete(f"/rest/api/3/issueLink/{link.id}").status_code == 204
    assert link.id not in state.links


# -- a real client -----------------------------------------------------------------------------------
def test_pycontribs_create_transition_comment_attach(cloud: EmulatorServer) -> None:
    client = JIRA(server=cloud.url, basic_auth=ADMIN, options={"check_update": False}, max_retries=0)
    project = first_project(cloud)
    issue = client.create_issue(project=project.key, summary="From pycontribs", issuetype={"name": "Bug"},
                                description="plain *wiki*", labels=["client"])
    assert live(cloud, issue.key).labels == ("client",)
    client.transition_issue(issue, transition_id(cloud, "Start Progress"))
    assert cloud.backend.state.statuses[live(cloud, issue.key).status_id].name == "In Progress"
    comment = client.add_comment(issue, "hello from the client")
    assert comment.body == "hello from the client"
    att = client.add_attachment(issue, io.BytesIO(b"a,b\n1,2\n"), filename="data.csv")
    assert att.filename == "data.csv" and att.size == 8
    issue.update(summary="Renamed by client")
    assert live(cloud, issue.key).summary == "Renamed by client"


# -- hierarchy ---------------------------------------------------------------------------------------
def test_cloud_parent_must_be_one_level_up(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    epic = create(admin_client, cloud, issuetype={"name": "Epic"})
    story = create(admin_client, cloud, issuetype={"name": "Story"}, parent={"key": epic})
    assert live(cloud, story).parent_id == live(cloud, epic).id
    resp = admin_client.post("/rest/api/3/issue", json={"fields": {
        "project": {"key": first_project(cloud).key}, "issuetype": {"name": "Task"}, "summary": "s", "parent": {"key": story}}})
    assert resp.status_code == 400
    assert resp.json()["errors"] == {"parent": "Given parent work item does not belong to appropriate hierarchy."}
    other_epic = create(admin_client, cloud, issuetype={"name": "Epic"})
    assert admin_client.put(f"/rest/api/3/issue/{story}", json={"fields": {"parent": {"key": other_epic}}}).status_code == 204
    item = live(cloud, story).histories[-1].items[0]
    assert (item.field, item.from_string, item.to_string) == ("IssueParentAssociation", epic, other_epic)
    # the search index sees the write (no lag configured)
    found = admin_client.get("/rest/api/3/search/jql", params={"jql": f"parent = {other_epic}", "fields": "summary"})
    assert [i["key"] for i in found.json()["issues"]] == [story]


def test_dc_epic_link_sets_the_parent(dc: EmulatorServer, dc_client: httpx.Client) -> None:
    epic_link = dc.backend.state.field_by_kind("epiclink")
    assert epic_link is not None
    epic = create(dc_client, dc, v=2, issuetype={"name": "Epic"})
    story = create(dc_client, dc, v=2, issuetype={"name": "Story"}, **{epic_link.id: epic})
    assert live(dc, story).parent_id == live(dc, epic).id and live(dc, story).custom_value(epic_link.id) is None
    task = create(dc_client, dc, v=2)
    resp = dc_client.put(f"/rest/api/2/issue/{story}", json={"fields": {epic_link.id: task}})
    assert resp.status_code == 400 and resp.json()["errors"] == {epic_link.id: f"Issue '{task}' is not an epic."}
