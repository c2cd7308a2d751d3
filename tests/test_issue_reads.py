"""Issue reads over real HTTP: representations per flavour and version, field selection, expands,
embedded pages that truncate visibly, paging the rest, changelogs, permissions, attachments and
metadata. Every response is validated against the OpenAPI spec by the fixture.

ADF bodies are validated against the ADF schema too, which is slow (~0.1 s per document), so v3
requests here ask for few documents; bulk paging runs on v2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from jiraemu import EmulatorServer
from jiraemu.state import Comment, Doc, Issue, State, User
from tests.conftest import basic

ADMIN = basic("admin@example.com", "emulator-token")


def client(server: EmulatorServer, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=headers or ADMIN, timeout=60)


def most_commented(state: State) -> Issue:
    return max(state.issues.values(), key=lambda i: (len(i.comments), -i.id))


def with_(state: State, pred: Callable[[Issue], bool]) -> Issue:
    return next(i for i in sorted(state.issues.values(), key=lambda i: i.id) if pred(i))


@pytest.fixture
def small_cloud(emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    """Cloud with small embedded caps so truncation shows with few records."""
    return emulator(flavor="cloud", max_embedded_comments=5, max_embedded_changelog=2)


@pytest.fixture
def api(small_cloud: EmulatorServer) -> Iterator[httpx.Client]:
    with client(small_cloud) as c:
        yield c


# -- representations --------------------------------------------------------------------------


def test_v3_sends_adf_and_v2_wiki_strings(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    candidates = [i for i in state.issues.values() if i.description is not None and i.comments]
    issue = min(candidates, key=lambda i: (len(str(i.description)) + len(str(i.comments[0].body)), i.id))  # ADF checks are slow
    v3 = api.get(f"/rest/api/3/issue/{issue.key}", params={"fields": "description,summary"}).json()
    v2 = api.get(f"/rest/api/2/issue/{issue.key}", params={"fields": "description,summary"}).json()
    assert v3["fields"]["description"]["type"] == "doc" and v3["fields"]["description"]["version"] == 1
    assert isinstance(v2["fields"]["description"], str) and v2["fields"]["description"]
    assert v3["fields"]["summary"] == v2["fields"]["summary"] == issue.summary
    assert v3["self"].endswith(f"/rest/api/3/issue/{issue.id}") and v2["self"].endswith(f"/rest/api/2/issue/{issue.id}")
    first = issue.comments[0].id
    c3 = api.get(f"/rest/api/3/issue/{issue.key}/comment/{first}").json()
    c2 = api.get(f"/rest/api/2/issue/{issue.key}/comment/{first}", params={"expand": "renderedBody"}).json()
    assert c3["body"]["type"] == "doc" and isinstance(c2["body"], str)
    assert c2["renderedBody"].startswith("<") and "renderedBody" not in c3
    assert c3["author"]["accountId"] == issue.comments[0].author_id


def test_cloud_issue_shape_matches_ground_truth(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    issue = with_(state, lambda i: i.assignee_id is not None and i.parent_id is not None and bool(i.labels))
    body = api.get(f"/rest/api/2/issue/{issue.key}").json()
    f = body["fields"]
    assert body["id"] == str(issue.id) and body["key"] == issue.key
    assert f["status"]["id"] == issue.status_id and f["issuetype"]["id"] == issue.issuetype_id
    assert f["project"]["id"] == str(issue.project_id)
    assert f["assignee"]["accountId"] == issue.assignee_id and "name" not in f["assignee"]
    assert f["labels"] == list(issue.labels)
    assert f["parent"]["id"] == str(issue.parent_id)  # Cloud shows epic parents too
    assert f["created"][-5] in "+-" and f["created"][-4:].isdigit()  # Jira's offset without a colon
    assert {"statuscategorychangedate", "watches", "votes", "timetracking", "workratio", "lastViewed"} <= set(f)
    custom = [fd.id for fd in state.fields.values() if fd.custom]
    assert custom and all(fid in f for fid in custom)
    parent = api.get(f"/rest/api/2/issue/{issue.parent_id}", params={"fields": "subtasks"}).json()
    subtask_ids = [s["id"] for s in parent["fields"]["subtasks"]]
    expected = [
        str(i.id) for i in sorted(state.issues.values(), key=lambda i: i.id)
        if i.parent_id == issue.parent_id and state.issue_types[i.issuetype_id].subtask
    ]
    assert subtask_ids == expected


def test_hidden_email_absent_except_for_oneself(emulator: Callable[..., EmulatorServer]) -> None:
    server = emulator(flavor="cloud")
    state = server.backend.state
    hidden = next(u for u in state.users.values() if not u.email_visible and u.active and u.api_token)
    issue = with_(state, lambda i: i.reporter_id == hidden.account_id)
    with client(server) as c:
        other = c.get(f"/rest/api/2/issue/{issue.key}", params={"fields": "reporter"}).json()
    assert "emailAddress" not in other["fields"]["reporter"]
    if server.backend.perms.can_see_issue(hidden, issue):
        with client(server, basic(hidden.email, hidden.api_token)) as c:
            own = c.get(f"/rest/api/2/issue/{issue.key}", params={"fields": "reporter"}).json()
        assert own["fields"]["reporter"]["emailAddress"] == hidden.email


def test_dc_users_by_name_and_key_and_wiki(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    state = dc.backend.state
    issue = with_(state, lambda i: i.assignee_id is not None and i.description is not None)
    body = dc_client.get(f"/rest/api/2/issue/{issue.key}", params={"expand": "names,schema"}).json()
    f = body["fields"]
    user = state.users[issue.assignee_id]
    assert f["assignee"]["name"] == user.name and f["assignee"]["key"] == user.key
    assert "accountId" not in f["assignee"] and "accountId" not in f["reporter"]
    assert f["description"] == issue.description.wiki
    assert "statuscategorychangedate" not in f
    assert {"aggregatetimespent", "workratio", "watches", "votes", "timetracking"} <= set(f)
    assert body["names"]["summary"] == "Summary" and body["schema"]["status"]["type"] == "status"
    sprint = state.field_by_kind("sprint")
    in_sprint = with_(state, lambda i: bool(i.custom_value(sprint.id)))
    value = dc_client.get(f"/rest/api/2/issue/{in_sprint.key}", params={"fields": sprint.id}).json()
    assert value["fields"][sprint.id][0].startswith("com.atlassian.greenhopper.service.sprint.Sprint@")


def test_dc_parent_only_for_subtasks_and_epic_link(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    state = dc.backend.state
    types = state.issue_types
    under_epic = with_(state, lambda i: i.parent_id is not None and not types[i.issuetype_id].subtask)
    f = dc_client.get(f"/rest/api/2/issue/{under_epic.key}").json()["fields"]
    assert "parent" not in f
    epic_link = state.field_by_kind("epiclink")
    if epic_link is not None:
        assert f[epic_link.id] == state.issues[under_epic.parent_id].key
    sub = with_(state, lambda i: types[i.issuetype_id].subtask)
    f = dc_client.get(f"/rest/api/2/issue/{sub.key}", params={"fields": "parent"}).json()["fields"]
    assert f["parent"]["key"] == state.issues[sub.parent_id].key


# -- fields= and expand= ----------------------------------------------------------------------------


def test_fields_selection(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    issue = most_commented(small_cloud.backend.state)
    url = f"/rest/api/2/issue/{issue.key}"

    def fields(params: dict[str, str]) -> set[str]:
        return set(api.get(url, params=params).json()["fields"])

    assert fields({"fields": "summary,status,nosuchfield"}) == {"summary", "status"}
    everything = fields({})
    assert "comment" in everything and "worklog" in everything
    assert fields({"fields": "*all,-comment"}) == everything - {"comment"}
    assert fields({"fields": "-comment"}) == everything - {"comment"}
    navigable = fields({"fields": "*navigable"})
    assert "comment" not in navigable and "attachment" not in navigable and "summary" in navigable
    body = api.get(url, params=[("fields", "summary"), ("fields", "labels")]).json()
    assert set(body["fields"]) == {"summary", "labels"}


def test_expands(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    issue = with_(state, lambda i: len(i.histories) >= 3 and i.description is not None)
    params = {"fields": "summary,description,created", "expand": "names,schema,renderedFields,changelog,transitions,operations,editmeta",
              "properties": "*all"}
    body = api.get(f"/rest/api/2/issue/{issue.key}", params=params).json()
    assert body["names"] == {"summary": "Summary", "description": "Description", "created": "Created"}
    assert body["schema"]["created"]["type"] == "datetime"
    assert body["renderedFields"]["description"].startswith("<")
    log = body["changelog"]
    assert log["total"] == len(issue.histories) and len(log["histories"]) == 2  # capped, total tells the truth
    newest = sorted(issue.histories, key=lambda h: (h.created, h.id), reverse=True)[:2]
    assert [h["id"] for h in log["histories"]] == [str(h.id) for h in newest]
    assert {t["id"] for t in body["transitions"]}
    assert "summary" in body["editmeta"]["fields"] and body["operations"] == {"linkGroups": []}
    assert body["properties"] == dict(issue.properties)
    versioned = api.get(f"/rest/api/2/issue/{issue.key}",
                        params={"fields": "summary", "expand": "versionedRepresentations"}).json()
    assert "fields" not in versioned and versioned["versionedRepresentations"]["summary"] == {"1": issue.summary}
    commented = most_commented(small_cloud.backend.state)
    rendered = api.get(f"/rest/api/2/issue/{commented.key}",
                       params={"fields": "comment", "expand": "renderedFields"}).json()["renderedFields"]["comment"]
    assert rendered["comments"][0]["body"].startswith("<") and rendered["total"] > len(rendered["comments"])


# -- comments -----------------------------------------------------------------------------------


def test_embedded_comments_truncate_and_paging_gets_the_rest(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    issue = most_commented(small_cloud.backend.state)
    visible = [c for c in issue.comments if not c.visibility]  # admin holds no Developers role here
    assert len(issue.comments) > 100
    embedded = api.get(f"/rest/api/2/issue/{issue.key}", params={"fields": "comment"}).json()["fields"]["comment"]
    shown = embedded["comments"]
    assert len(shown) == embedded["maxResults"] == 5 and embedded["startAt"] == 0
    assert embedded["total"] > len(shown)
    seen: list[str] = []
    start = 0
    while True:
        page = api.get(f"/rest/api/2/issue/{issue.key}/comment", params={"startAt": start}).json()
        assert page["maxResults"] == 100 and page["total"] == embedded["total"]
        seen += [c["id"] for c in page["comments"]]
        start += len(page["comments"])
        if not page["comments"] or start >= page["total"]:
            break
    by_created = sorted(issue.comments, key=lambda c: (c.created, c.id))
    expected = [str(c.id) for c in by_created if small_cloud.backend.perms.can_see_comment(
        small_cloud.backend.state.users["557058:f0000000-0000-4000-8000-000000000001"], issue, c)]
    assert seen == expected and len(seen) >= len(visible)
    assert seen[:5] == [c["id"] for c in shown]
    newest = api.get(f"/rest/api/2/issue/{issue.key}/comment", params={"orderBy": "-created", "maxResults": 3}).json()
    assert [c["id"] for c in newest["comments"]] == expected[::-1][:3]
    assert api.get(f"/rest/api/2/issue/{issue.key}/comment", params={"orderBy": "author"}).status_code == 400
    listed = api.post("/rest/api/2/comment/list", json={"ids": [int(i) for i in expected[:7]] + [999999]}).json()
    assert [c["id"] for c in listed["values"]] == sorted(expected[:7], key=int) and listed["isLast"]


def test_restricted_comments_hidden_from_non_members(emulator: Callable[..., EmulatorServer]) -> None:
    server = emulator(flavor="cloud")
    backend = server.backend
    state = backend.state
    issue = with_(state, lambda i: any(c.visibility for c in i.comments))
    restricted = next(c for c in issue.comments if c.visibility)
    users = [u for u in state.users.values() if u.active and u.api_token and backend.perms.can_see_issue(u, issue)]
    member = next((u for u in users if backend.perms.can_see_comment(u, issue, restricted)), None)
    outsider = next((u for u in users if not backend.perms.can_see_comment(u, issue, restricted)), None)
    assert member is not None and outsider is not None
    for user, sees in ((member, True), (outsider, False)):
        with client(server, basic(user.email, user.api_token)) as c:
            page = c.get(f"/rest/api/2/issue/{issue.key}/comment").json()
            one = c.get(f"/rest/api/2/issue/{issue.key}/comment/{restricted.id}")
        assert (str(restricted.id) in [x["id"] for x in page["comments"]]) is sees
        assert one.status_code == (200 if sees else 404)
        if sees:
            assert one.json()["visibility"]["value"] == restricted.visibility["value"]


# -- changelogs -----------------------------------------------------------------------------------


def test_changelog_pages_oldest_first(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    issue = max(small_cloud.backend.state.issues.values(), key=lambda i: len(i.histories))
    first = api.get(f"/rest/api/2/issue/{issue.key}/changelog", params={"maxResults": 2}).json()
    assert first["total"] == len(issue.histories) and first["isLast"] is False and "nextPage" in first
    ids = [h["id"] for h in first["values"]]
    rest = api.get(f"/rest/api/2/issue/{issue.key}/changelog", params={"startAt": 2}).json()
    ids += [h["id"] for h in rest["values"]]
    assert rest["isLast"] is True
    assert ids == [str(h.id) for h in sorted(issue.histories, key=lambda h: (h.created, h.id))]


def test_changelog_bulkfetch_token_paging_and_filter(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    issues = [i for i in sorted(state.issues.values(), key=lambda i: i.id) if i.histories][:8]
    keys = [i.key for i in issues] + ["NOPE-1"]
    want = sorted((h.created, i.id, h.id) for i in issues for h in i.histories)
    got: list[tuple[int, int]] = []
    token = None
    pages = 0
    while True:
        body: dict[str, Any] = {"issueIdsOrKeys": keys, "maxResults": 3}
        if token:
            body["nextPageToken"] = token
        page = api.post("/rest/api/3/changelog/bulkfetch", json=body).json()
        pages += 1
        for entry in page["issueChangeLogs"]:
            got += [(int(entry["issueId"]), int(h["id"])) for h in entry["changeHistories"]]
        token = page.get("nextPageToken")
        if token is None:
            break
    assert pages == -(-len(want) // 3)
    assert sorted(got) == sorted((iid, hid) for _, iid, hid in want)
    status_only = api.post("/rest/api/2/changelog/bulkfetch",
                           json={"issueIdsOrKeys": keys, "fieldIds": ["status"]}).json()
    items = [it for e in status_only["issueChangeLogs"] for h in e["changeHistories"] for it in h["items"]]
    assert items and all(it["fieldId"] == "status" for it in items)
    assert api.post("/rest/api/2/changelog/bulkfetch", json={"issueIdsOrKeys": []}).status_code == 400
    assert api.post("/rest/api/2/changelog/bulkfetch",
                    json={"issueIdsOrKeys": keys, "nextPageToken": "garbage"}).status_code == 400


# -- permissions, keys, bulk --------------------------------------------------------------------------


def _hidden_pair(server: EmulatorServer) -> tuple[User, Issue]:
    backend = server.backend
    for user in backend.state.users.values():
        if not (user.active and user.api_token):
            continue
        for issue in sorted(backend.state.issues.values(), key=lambda i: i.id):
            if not backend.perms.can_see_issue(user, issue):
                return user, issue
    raise AssertionError("the generated data has no hidden issue")


def test_invisible_issue_is_404_everywhere(emulator: Callable[..., EmulatorServer]) -> None:
    server = emulator(flavor="cloud")
    user, issue = _hidden_pair(server)
    with client(server, basic(user.email, user.api_token)) as c:
        for path in ("", "/comment", "/changelog", "/worklog", "/transitions", "/editmeta", "/properties"):
            r = c.get(f"/rest/api/2/issue/{issue.key}{path}")
            assert r.status_code == 404, path
        assert r.json()["errorMessages"] == ["Issue does not exist or you do not have permission to see it."]
        bulk = c.post("/rest/api/2/issue/bulkfetch", json={"issueIdsOrKeys": [issue.key]}).json()
        assert bulk["issues"] == [] and bulk["issueErrors"][0]["id"] == issue.key
    admin = server.backend.state.users["557058:f0000000-0000-4000-8000-000000000001"]
    with client(server) as c:
        expected = 200 if server.backend.perms.can_see_issue(admin, issue) else 404
        assert c.get(f"/rest/api/2/issue/{issue.key}").status_code == expected
        assert c.get("/rest/api/2/issue/NOPE-999").status_code == 404


def test_bulkfetch_orders_by_id_and_limits(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    issues = sorted(small_cloud.backend.state.issues.values(), key=lambda i: i.id)[:6]
    asked = [issues[3].key, str(issues[0].id), issues[5].key.lower(), "NOPE-1"]
    body = api.post("/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": asked, "fields": ["summary"]}).json()
    assert [i["id"] for i in body["issues"]] == [str(issues[0].id), str(issues[3].id), str(issues[5].id)]
    assert set(body["issues"][0]["fields"]) == {"summary"}
    assert body["issueErrors"] == [{"id": "NOPE-1", "errorMessage": "Issue does not exist or you do not have permission to see it."}]
    too_many = [str(i) for i in range(10000, 10101)]
    assert api.post("/rest/api/2/issue/bulkfetch", json={"issueIdsOrKeys": too_many}).status_code == 400
    narrow = api.post("/rest/api/2/issue/bulkfetch", json={"issueIdsOrKeys": too_many, "fields": ["summary"]})
    assert narrow.status_code == 200  # ≤ 1000 when only single-valued fields are named


def test_moved_issue_resolves_by_old_key(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    from jiraemu.issues import models

    backend = small_cloud.backend
    state = backend.state
    admin = state.users["557058:f0000000-0000-4000-8000-000000000001"]
    issue = with_(state, lambda i: not state.issue_types[i.issuetype_id].subtask and not state.subtasks_of(i.id)
                  and i.security_level_id is None)
    target = next(p for p in state.projects.values() if p.id != issue.project_id)
    moved = models.move_issue(backend, admin, issue, target)
    assert moved.key != issue.key
    body = api.get(f"/rest/api/2/issue/{issue.key}", params={"fields": "project"}).json()
    assert body["key"] == moved.key and body["id"] == str(issue.id)
    assert body["fields"]["project"]["key"] == target.key


# -- worklogs, properties -------------------------------------------------------------------------------


def test_worklogs_and_properties(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    issue = with_(state, lambda i: len(i.worklogs) >= 2)
    page = api.get(f"/rest/api/2/issue/{issue.key}/worklog").json()
    assert page["total"] == len(issue.worklogs)
    ordered = sorted(issue.worklogs, key=lambda w: (w.started, w.id))
    after = api.get(f"/rest/api/2/issue/{issue.key}/worklog", params={"startedAfter": ordered[1].started}).json()
    assert [w["id"] for w in after["worklogs"]] == [str(w.id) for w in ordered[1:]]
    one = api.get(f"/rest/api/2/issue/{issue.key}/worklog/{ordered[0].id}").json()
    assert one["timeSpentSeconds"] == ordered[0].time_spent_seconds and one["issueId"] == str(issue.id)
    assert api.get(f"/rest/api/2/issue/{issue.key}/worklog/1").status_code == 404
    with_prop = with_(state, lambda i: bool(i.properties))
    key, value = with_prop.properties[0]
    keys = api.get(f"/rest/api/2/issue/{with_prop.key}/properties").json()["keys"]
    assert [k["key"] for k in keys] == [k for k, _ in with_prop.properties]
    assert api.get(f"/rest/api/2/issue/{with_prop.key}/properties/{key}").json() == {"key": key, "value": value}
    assert api.get(f"/rest/api/2/issue/{with_prop.key}/properties/nope").status_code == 404


# -- attachments ----------------------------------------------------------------------------------------


def test_attachment_metadata_and_content_round_trip(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    issue = with_(state, lambda i: bool(i.attachments))
    att = issue.attachments[0]
    blob = state.blobs[att.sha256]
    meta = api.get(f"/rest/api/3/attachment/{att.id}").json()
    assert meta["id"] == att.id and meta["filename"] == att.filename and meta["size"] == len(blob)
    embedded = api.get(f"/rest/api/2/issue/{issue.key}", params={"fields": "attachment"}).json()["fields"]["attachment"]
    assert embedded[0]["id"] == str(att.id) and embedded[0]["content"].endswith(f"/attachment/content/{att.id}")
    redirect = api.get(f"/rest/api/3/attachment/content/{att.id}")
    assert redirect.status_code == 303
    followed = api.get(redirect.headers["location"])
    assert followed.content == blob and followed.headers["content-type"].startswith(att.mime_type)
    direct = api.get(f"/rest/api/3/attachment/content/{att.id}", params={"redirect": "false"})
    assert direct.status_code == 200 and direct.content == blob
    part = api.get(f"/rest/api/3/attachment/content/{att.id}", params={"redirect": "false"}, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == blob[:4]
    assert api.get("/rest/api/3/attachment/999999").status_code == 404
    thumb = api.get(f"/rest/api/3/attachment/thumbnail/{att.id}", follow_redirects=True)
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")
    if att.mime_type.startswith("image/"):
        assert thumb.content == blob
    else:  # the default icon
        assert thumb.content.startswith(b"\x89PNG") and thumb.headers["content-type"] == "image/png"
    assert api.get("/rest/api/3/attachment/meta").json()["enabled"] is True


def test_dc_attachment_content_link(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    state = dc.backend.state
    issue = with_(state, lambda i: bool(i.attachments))
    att = issue.attachments[0]
    meta = dc_client.get(f"/rest/api/2/attachment/{att.id}").json()
    assert meta["author"]["name"]
    content = dc_client.get(meta["content"])
    assert content.status_code == 200 and content.content == state.blobs[att.sha256]


# -- transitions and metadata ------------------------------------------------------------------------------


def test_transitions_from_current_status(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    todo = next(s for s in state.statuses.values() if s.name == "To Do")
    issue = with_(state, lambda i: i.status_id == todo.id)
    body = api.get(f"/rest/api/2/issue/{issue.key}/transitions", params={"expand": "transitions.fields"}).json()
    names = {t["name"]: t for t in body["transitions"]}
    assert "Start Progress" in names and "Reopen" not in names
    wont = names["Won't Do"]
    assert wont["isGlobal"] is True and wont["hasScreen"] is True
    assert wont["fields"]["resolution"]["required"] is True and wont["fields"]["resolution"]["allowedValues"]
    assert names["Start Progress"]["fields"] == {}
    only = api.get(f"/rest/api/2/issue/{issue.key}/transitions", params={"transitionId": wont["id"]}).json()
    assert [t["id"] for t in only["transitions"]] == [wont["id"]]
    plain = api.get(f"/rest/api/2/issue/{issue.key}/transitions").json()
    assert all("fields" not in t for t in plain["transitions"])


def test_createmeta_required_fields(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    state = small_cloud.backend.state
    project = next(iter(state.projects.values()))
    types = api.get(f"/rest/api/3/issue/createmeta/{project.key}/issuetypes").json()
    assert types["total"] == len(types["issueTypes"]) >= 2
    sub = next(t for t in types["issueTypes"] if t["subtask"])
    task = next(t for t in types["issueTypes"] if not t["subtask"] and t.get("hierarchyLevel") == 0)
    sub_fields = api.get(f"/rest/api/3/issue/createmeta/{project.key}/issuetypes/{sub['id']}",
                         params={"maxResults": 200}).json()["fields"]
    required = {f["fieldId"] for f in sub_fields if f["required"]}
    assert {"summary", "issuetype", "project", "parent"} <= required
    task_fields = {f["fieldId"]: f for f in api.get(
        f"/rest/api/3/issue/createmeta/{project.key}/issuetypes/{task['id']}", params={"maxResults": 200}).json()["fields"]}
    assert task_fields["parent"]["required"] is False
    assert {p["id"] for p in task_fields["priority"]["allowedValues"]} == set(state.priorities)
    select = state.field_by_kind("select")
    assert [o["value"] for o in task_fields[select.id]["allowedValues"]] == [o.value for o in select.options]
    paged = api.get(f"/rest/api/3/issue/createmeta/{project.key}/issuetypes/{task['id']}", params={"maxResults": 3}).json()
    assert len(paged["fields"]) == 3 and paged["total"] == len(task_fields)
    assert api.get("/rest/api/3/issue/createmeta/NOPE/issuetypes").status_code == 404
    assert api.get(f"/rest/api/3/issue/createmeta/{project.key}/issuetypes/999").status_code == 400


def test_dc_createmeta_is_a_values_page(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    project = next(iter(dc.backend.state.projects.values()))
    types = dc_client.get(f"/rest/api/2/issue/createmeta/{project.key}/issuetypes").json()
    assert types["isLast"] is True and types["values"] and "accountId" not in str(types)
    fields = dc_client.get(f"/rest/api/2/issue/createmeta/{project.key}/issuetypes/{types['values'][0]['id']}").json()
    assert any(f["fieldId"] == "summary" and f["required"] for f in fields["values"])


def test_editmeta_lists_editable_fields(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    issue = most_commented(small_cloud.backend.state)
    meta = api.get(f"/rest/api/2/issue/{issue.key}/editmeta").json()["fields"]
    assert meta["summary"]["required"] is True and "set" in meta["summary"]["operations"]
    assert "add" in meta["labels"]["operations"] and meta["priority"]["allowedValues"]


# -- state put directly: a comment and a doc written by hand -----------------------------------------------


def test_hand_written_comment_renders_in_both_forms(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    import dataclasses

    state = small_cloud.backend.state
    issue = with_(state, lambda i: not i.comments)
    adf = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hello *there*"}]}]}
    comment = Comment(id=990001, author_id=issue.creator_id, body=Doc(adf=adf), created=issue.created + 1000,
                      updated=issue.created + 1000, update_author_id=issue.creator_id)
    state.put_issue(dataclasses.replace(issue, comments=(comment,), version=issue.version + 1))
    v3 = api.get(f"/rest/api/3/issue/{issue.key}/comment").json()
    v2 = api.get(f"/rest/api/2/issue/{issue.key}/comment").json()
    assert v3["comments"][0]["body"] == adf
    assert "hello" in v2["comments"][0]["body"]


def test_last_viewed_follows_update_history(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    issue = most_commented(small_cloud.backend.state)
    url = f"/rest/api/2/issue/{issue.key}"
    assert api.get(url, params={"fields": "lastViewed"}).json()["fields"]["lastViewed"] is None
    api.get(url, params={"fields": "summary", "updateHistory": "true"})
    viewed = api.get(url, params={"fields": "lastViewed"}).json()["fields"]["lastViewed"]
    assert viewed is not None and viewed[:4].isdigit()


def test_dc_comment_page_returns_everything_by_default(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    issue = most_commented(dc.backend.state)
    admin = dc.backend.state.users["557058:f0000000-0000-4000-8000-000000000001"]
    visible = [c for c in issue.comments if dc.backend.perms.can_see_comment(admin, issue, c)]
    everything = dc_client.get(f"/rest/api/2/issue/{issue.key}/comment").json()
    assert len(everything["comments"]) == everything["total"] == everything["maxResults"] == len(visible) > 100
    assert isinstance(everything["comments"][0]["body"], str) and everything["comments"][0]["author"]["name"]
    page = dc_client.get(f"/rest/api/2/issue/{issue.key}/comment", params={"startAt": 100, "maxResults": 50}).json()
    assert page["maxResults"] == 50 and [c["id"] for c in page["comments"]] == [
        c["id"] for c in everything["comments"][100:150]
    ]
    embedded = dc_client.get(f"/rest/api/2/issue/{issue.key}", params={"fields": "comment"}).json()["fields"]["comment"]
    assert embedded["total"] == len(visible) and len(embedded["comments"]) == dc.backend.config.max_embedded_comments


def test_aggregate_time_sums_subtasks_not_epic_children(api: httpx.Client, small_cloud: EmulatorServer) -> None:
    import dataclasses

    from jiraemu.state import Worklog

    state = small_cloud.backend.state
    types = state.issue_types
    sub = with_(state, lambda i: types[i.issuetype_id].subtask)
    parent = state.issues[sub.parent_id]
    epic_child = with_(state, lambda i: i.parent_id is not None and types[state.issues[i.parent_id].issuetype_id].hierarchy_level == 1)

    def log(issue: Issue, seconds: int, wid: int) -> None:
        w = Worklog(id=wid, author_id=issue.creator_id, started=issue.created, time_spent_seconds=seconds,
                    created=issue.created, updated=issue.created, update_author_id=issue.creator_id)
        state.put_issue(dataclasses.replace(issue, worklogs=(w,), original_estimate_s=7200, version=issue.version + 1))

    log(sub, 3600, 990101)
    log(parent, 1800, 990102)
    log(epic_child, 600, 990103)
    params = {"fields": "timespent,aggregatetimespent,aggregatetimeoriginalestimate,workratio,timetracking"}
    f = api.get(f"/rest/api/2/issue/{parent.key}", params=params).json()["fields"]
    others = sum(w.time_spent_seconds for s in state.subtasks_of(parent.id) if s.id != sub.id for w in s.worklogs)
    assert f["timespent"] == 1800 and f["aggregatetimespent"] == 1800 + 3600 + others
    assert f["workratio"] == 25 and f["timetracking"]["timeSpent"] == "30m"
    epic = api.get(f"/rest/api/2/issue/{epic_child.parent_id}", params=params).json()["fields"]
    assert epic["aggregatetimespent"] == epic["timespent"]  # the epic's children do not count


def test_security_level_hides_issue_from_project_members(emulator: Callable[..., EmulatorServer]) -> None:
    server = emulator(flavor="cloud")
    backend = server.backend
    issues = sorted(backend.state.issues.values(), key=lambda i: i.id)
    pair = next(
        (u, secured, open_)
        for secured in issues if secured.security_level_id
        for open_ in issues if open_.project_id == secured.project_id and not open_.security_level_id
        for u in backend.state.users.values()
        if u.active and u.api_token and backend.perms.can_see_issue(u, open_) and not backend.perms.can_see_issue(u, secured)
    )
    user, secured, open_ = pair
    with client(server, basic(user.email, user.api_token)) as c:
        assert c.get(f"/rest/api/2/issue/{open_.key}", params={"fields": "security"}).json()["fields"]["security"] is None
        assert c.get(f"/rest/api/2/issue/{secured.key}").status_code == 404
    with client(server) as c:  # members of the level see it, with the level named
        body = c.get(f"/rest/api/2/issue/{secured.key}", params={"fields": "security"})
        if backend.perms.can_see_issue(backend.state.users["557058:f0000000-0000-4000-8000-000000000001"], secured):
            assert body.json()["fields"]["security"]["id"] == secured.security_level_id
