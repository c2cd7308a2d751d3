"""Issue search as clients see it: Cloud's token-paged /search/jql (stable under concurrent writes,
page caps, unbounded and bad JQL, bad tokens), the lagging index with reconcileIssues,
approximate-count, the removed /search (410) and its legacy mode, and DC's startAt search."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from jiraemu import EmuConfig, EmulatorServer
from jiraemu.events import ISSUE_CREATED, ISSUE_DELETED, ISSUE_UPDATED, Event
from jiraemu.state import Issue
from tests.conftest import basic
from tests.support.reference import FIXTURES

ADMIN_ID = "557058:f0000000-0000-4000-8000-000000000001"


# -- helpers: writes straight into the state, announced like the write paths do ----------------------
def first_project(server: EmulatorServer) -> Any:
    return min(server.backend.state.projects.values(), key=lambda p: p.id)


def project_issues(server: EmulatorServer, project: Any) -> list[Issue]:
    return sorted((i for i in server.backend.state.issues.values() if i.project_id == project.id), key=lambda i: i.id)


def create(server: EmulatorServer, project: Any, summary: str) -> Issue:
    backend = server.backend
    state = backend.state
    template = project_issues(server, project)[0]
    number = 1 + max(int(k.rsplit("-", 1)[1]) for k in state.keys if k.startswith(project.key + "-"))
    now = backend.now_ms()
    issue = dataclasses.replace(
        template, id=state.ids.next("issue", 10000), key=f"{project.key}-{number}", summary=summary,
        created=now, updated=now, comments=(), histories=(), worklogs=(), attachments=(), parent_id=None,
        security_level_id=None, version=1,
    )
    state.put_issue(issue)
    backend.emit(Event(ISSUE_CREATED, now, ADMIN_ID, issue=issue))
    return issue


def update(server: EmulatorServer, issue_id: int, **changes: Any) -> Issue:
    backend = server.backend
    before = backend.state.issues[issue_id]
    now = backend.now_ms()
    after = dataclasses.replace(before, updated=now, version=before.version + 1, **changes)
    backend.state.put_issue(after)
    backend.emit(Event(ISSUE_UPDATED, now, ADMIN_ID, issue=after, before=before))
    return after


def delete(server: EmulatorServer, issue_id: int) -> None:
    backend = server.backend
    issue = backend.state.issues.pop(issue_id)
    backend.state.deleted_issue_ids.add(issue_id)
    backend.emit(Event(ISSUE_DELETED, backend.now_ms(), ADMIN_ID, issue=issue))


def search(client: httpx.Client, jql: str, method: str = "GET", version: int = 3, **params: Any) -> httpx.Response:
    path = f"/rest/api/{version}/search/jql"
    if method == "POST":
        return client.post(path, json={"jql": jql, **params})
    return client.get(path, params={"jql": jql, **params})


def all_keys(client: httpx.Client, jql: str, **params: Any) -> list[str]:
    keys: list[str] = []
    token = None
    while True:
        extra = {"nextPageToken": token} if token else {}
        page = search(client, jql, fields="key", maxResults=50, **params, **extra).json()
        keys.extend(i["key"] for i in page["issues"])
        if page["isLast"]:
            assert "nextPageToken" not in page
            return keys
        token = page["nextPageToken"]


# -- /search/jql paging ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_token_paging_sees_every_issue_once_while_issues_change(emulator: Any, method: str) -> None:
    server = emulator(issues=150)
    project = first_project(server)
    start = [i.id for i in project_issues(server, project)]
    jql = f"project = {project.key} ORDER BY created ASC, id ASC"
    seen: list[str] = []
    created: list[str] = []
    token: str | None = None
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        pages = 0
        while True:
            params: dict[str, Any] = {"maxResults": 10, "fields": ["summary"]}
            if token:
                params["nextPageToken"] = token
            resp = search(client, jql, method, **params)
            assert resp.status_code == 200, resp.text
            page = resp.json()
            seen.extend(i["key"] for i in page["issues"])
            pages += 1
            if page["isLast"]:
                assert "nextPageToken" not in page
                break
            token = page["nextPageToken"]
            # writes between pages: an issue already returned is edited and one is deleted (a startAt
            # pager would now skip one), an unseen issue is edited, and a new issue is created
            state = server.backend.state
            seen_ids = [state.keys[k] for k in seen if state.keys.get(k) in state.issues]
            update(server, seen_ids[-1], summary=f"edited after page {pages}")
            if len(seen_ids) > 3:
                delete(server, seen_ids[-3])
            unseen = [i for i in start if i in state.issues and state.issues[i].key not in seen]
            if unseen:
                update(server, unseen[-1], summary="edited before being seen")
            created.append(create(server, project, f"created after page {pages}").key)
    assert len(seen) == len(set(seen)), "an issue was returned twice"
    keys_at_start = {server.backend.state.issues[i].key for i in start if i in server.backend.state.issues}
    assert keys_at_start <= set(seen), "an issue that existed throughout was skipped"
    assert set(created) <= set(seen)  # created issues sort last, so later pages include them


def test_default_fields_is_id_and_last_page_has_no_token(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    project = first_project(cloud)
    count = len(project_issues(cloud, project))
    page = search(admin_client, f"project = {project.key}", maxResults=count).json()
    assert page["isLast"] is True and "nextPageToken" not in page and "total" not in page
    assert len(page["issues"]) == count
    assert all("summary" not in i.get("fields", {}) for i in page["issues"])
    assert all(i["id"] for i in page["issues"])


def test_page_caps_100_with_fields_and_5000_for_ids_only(emulator: Any) -> None:
    server = emulator(issues=5150, projects=1, users=10)
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        key = first_project(server).key
        full = search(client, f"project = {key}", maxResults=1000, fields="summary").json()
        assert len(full["issues"]) == 100 and full["isLast"] is False
        ids = search(client, f"project = {key}", maxResults=9999, fields="key").json()
        assert len(ids["issues"]) == 5000 and ids["isLast"] is False
        rest = search(client, f"project = {key}", fields="id", maxResults=5000, nextPageToken=ids["nextPageToken"]).json()
        total = len(server.backend.state.issues)
        assert len(rest["issues"]) == total - 5000 and rest["isLast"] is True
        both = {i["id"] for i in ids["issues"]} | {i["id"] for i in rest["issues"]}
        assert len(both) == total
        default = search(client, f"project = {key}").json()
        assert len(default["issues"]) == 50


def test_unbounded_jql_is_rejected(admin_client: httpx.Client) -> None:
    expected = {
        "errorMessages": ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."],
        "errors": {},
    }
    for jql in ("ORDER BY key DESC", ""):
        for method in ("GET", "POST"):
            resp = search(admin_client, jql, method)
            assert resp.status_code == 400 and resp.json() == expected
    count = admin_client.post("/rest/api/3/search/approximate-count", json={"jql": "order by created"})
    assert count.status_code == 400 and count.json() == expected


def test_jql_errors_answer_400_with_error_messages(admin_client: httpx.Client) -> None:
    for jql in ("project = ", "project = NOSUCHPROJECT", "nosuchfield = 1"):
        resp = search(admin_client, jql)
        assert resp.status_code == 400
        body = resp.json()
        assert body["errors"] == {} and body["errorMessages"] and all(isinstance(m, str) for m in body["errorMessages"])


def test_stale_or_foreign_tokens_are_rejected(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    key = first_project(cloud).key
    first = search(admin_client, f"project = {key} ORDER BY key", maxResults=5).json()
    token = first["nextPageToken"]
    # the same position gives the same token: tokens are deterministic
    assert search(admin_client, f"project = {key} ORDER BY key", maxResults=5).json()["nextPageToken"] == token
    second = search(admin_client, f"project = {key} ORDER BY key", maxResults=5, nextPageToken=token)
    assert second.status_code == 200
    for bad in ("garbage", token[:-2]):
        assert search(admin_client, f"project = {key} ORDER BY key", nextPageToken=bad).status_code == 400
    foreign = search(admin_client, f"project = {key} ORDER BY created", nextPageToken=token)
    assert foreign.status_code == 400 and foreign.json()["errorMessages"]
    cloud.backend.clock.advance(cloud.backend.config.search_token_ttl_s + 60)
    assert search(admin_client, f"project = {key} ORDER BY key", nextPageToken=token).status_code == 400


def test_expand_names_and_schema(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    key = first_project(cloud).key
    page = search(admin_client, f"project = {key}", "POST", fields=["summary", "status"], expand="names,schema", maxResults=3).json()
    if page["issues"] and page["issues"][0].get("fields"):
        assert page["names"]["summary"] == "Summary"
        assert page["schema"]["status"]["type"] == "status"
    else:  # the issue serializer stub renders no fields yet
        assert "names" in page


def test_reconcile_accepts_at_most_50_ids(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    key = first_project(cloud).key
    ids = sorted(cloud.backend.state.issues)[:51]
    too_many = search(admin_client, f"project = {key}", "POST", reconcileIssues=ids)
    assert too_many.status_code == 400 and too_many.json()["errorMessages"]
    assert search(admin_client, f"project = {key}", "POST", reconcileIssues=ids[:50]).status_code == 200


# -- the lagging index -------------------------------------------------------------------------------
def test_index_lag_hides_writes_until_it_passes_and_reconcile_reads_through(emulator: Any) -> None:
    server = emulator(index_lag_s=30)
    backend = server.backend
    backend.clock.freeze()
    project = first_project(server)
    jql = f"project = {project.key}"
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        before = set(all_keys(client, jql))
        new = create(server, project, "fresh issue")
        victim = project_issues(server, project)[0]
        delete(server, victim.id)
        assert new.key not in all_keys(client, jql)  # not indexed yet
        assert victim.key in all_keys(client, jql)  # deleted, but still in the index
        assert client.get(f"/rest/api/3/issue/{new.key}").status_code != 500
        reconciled = set(all_keys(client, jql, reconcileIssues=[new.id, victim.id]))
        assert new.key in reconciled and victim.key not in reconciled
        count = client.post("/rest/api/3/search/approximate-count", json={"jql": jql}).json()["count"]
        assert count == len(before)
        backend.clock.advance(29)
        assert new.key not in all_keys(client, jql)
        backend.clock.advance(2)
        after = set(all_keys(client, jql))
        assert after == (before | {new.key}) - {victim.key}


def test_index_lag_applies_to_edits_and_is_read_live(emulator: Any) -> None:
    server = emulator(index_lag_s=60)
    backend = server.backend
    backend.clock.freeze()
    project = first_project(server)
    target = project_issues(server, project)[3]
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        jql = f'project = {project.key} AND summary ~ "zebracorn"'
        update(server, target.id, summary="zebracorn sighting")
        assert all_keys(client, jql) == []
        assert all_keys(client, jql, reconcileIssues=[target.id]) == [target.key]
        backend.config.index_lag_s = 0  # the control plane may change it at run time
        assert all_keys(client, jql) == [target.key]


def test_approximate_count_counts_visible_matches(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    project = first_project(cloud)
    body = admin_client.post("/rest/api/3/search/approximate-count", json={"jql": f"project = {project.key}"}).json()
    assert body == {"count": len(project_issues(cloud, project))}
    bad = admin_client.post("/rest/api/3/search/approximate-count", json={"jql": "project = "})
    assert bad.status_code == 400


def test_search_hides_issues_the_caller_cannot_see(emulator: Any) -> None:
    server = emulator(projects=3, issues=120)
    state = server.backend.state
    project = first_project(server)
    restricted = [i for i in project_issues(server, project) if i.security_level_id]
    assert restricted, "the generator restricts some issues of the first project"
    privileged = set(state.groups["developers"].members) | set(state.groups["jira-administrators"].members)
    in_roles = {a.value for actors in project.role_actors.values() for a in actors if a.kind == "user"}
    outsider = next(
        u for u in state.users.values()
        if u.active and u.account_type == "atlassian" and u.api_token and u.account_id not in privileged | in_roles
    )
    expected = {i.key for i in project_issues(server, project) if not i.security_level_id or i.reporter_id == outsider.account_id}
    with httpx.Client(base_url=server.url, headers=basic(outsider.email, outsider.api_token)) as client:
        assert set(all_keys(client, f"project = {project.key}")) == expected


# -- the removed /search on Cloud, and DC's startAt search --------------------------------------------
def test_cloud_legacy_search_is_gone(admin_client: httpx.Client) -> None:
    expected = json.loads((FIXTURES / "errors" / "error.410.search-removed.json").read_text())
    for version in (2, 3):
        got = admin_client.get(f"/rest/api/{version}/search", params={"jql": "project = X"})
        assert got.status_code == 410 and got.json() == expected
        posted = admin_client.post(f"/rest/api/{version}/search", json={"jql": "project = X"})
        assert posted.status_code == 410 and posted.json() == expected


def test_cloud_legacy_search_when_kept_alive_pages_with_total(emulator: Any) -> None:
    server = emulator(legacy_search=True)
    key = first_project(server).key
    expected = [i.key for i in project_issues(server, first_project(server))]
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        got: list[str] = []
        while True:
            page = client.get("/rest/api/3/search", params={"jql": f"project = {key} ORDER BY id", "startAt": len(got), "maxResults": 7, "fields": "key"}).json()
            assert page["total"] == len(expected) and page["startAt"] == len(got)
            got.extend(i["key"] for i in page["issues"])
            if not page["issues"] or len(got) >= page["total"]:
                break
        assert got == expected


def test_data_center_search_pages_with_start_at_and_caps_max_results(emulator: Any) -> None:
    server = emulator(flavor="datacenter", dc_search_cap=20)
    project = first_project(server)
    expected = [i.key for i in project_issues(server, project)]
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer emulator-pat"}) as client:
        first = client.get("/rest/api/2/search", params={"jql": f"project = {project.key} ORDER BY id", "maxResults": 50}).json()
        assert first["maxResults"] == 20 and len(first["issues"]) == min(20, len(expected))
        assert first["total"] == len(expected) and first["startAt"] == 0
        posted = client.post("/rest/api/2/search", json={"jql": f"project = {project.key} ORDER BY id", "startAt": 20, "maxResults": 5}).json()
        assert [i["key"] for i in posted["issues"]] == expected[20:25]
        assert client.get("/rest/api/2/search", params={"jql": "project = "}).status_code == 400
        # DC has no enhanced search, and allows unbounded queries on /search
        assert client.get("/rest/api/2/search/jql", params={"jql": f"project = {project.key}"}).status_code == 404
        everything = client.get("/rest/api/2/search", params={"jql": "ORDER BY key", "maxResults": 0}).json()
        assert everything["total"] == len(server.backend.state.issues) and everything["issues"] == []


@pytest.mark.parametrize(
    "order", ["updated DESC, key ASC", "summary DESC", "priority DESC, created ASC", "assignee ASC, key DESC", "duedate DESC"]
)
def test_search_order_is_the_jql_engines(admin_client: httpx.Client, cloud: EmulatorServer, order: str) -> None:
    """Search sorts with its own fast keys; they must order exactly as the JQL engine's sort_key."""
    from jiraemu.search.models import service

    project = first_project(cloud)
    jql = f"project = {project.key} ORDER BY {order}"
    admin = cloud.backend.state.users[ADMIN_ID]
    plan = service(cloud.backend).compile(jql, admin)
    expected = [i.key for i in sorted(project_issues(cloud, project), key=plan.sort_key)]
    assert all_keys(admin_client, jql) == expected


def test_relative_dates_follow_the_clock_between_pages(emulator: Any) -> None:
    server = emulator()
    server.backend.clock.freeze()
    project = first_project(server)
    touched = update(server, project_issues(server, project)[5].id, summary="touched just now")
    jql = f'project = {project.key} AND updated >= "-1m"'
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        assert touched.key in all_keys(client, jql)
        count = client.post("/rest/api/3/search/approximate-count", json={"jql": jql}).json()["count"]
        assert count == len(all_keys(client, jql))
        server.backend.clock.advance(120)
        assert touched.key not in all_keys(client, jql)
        assert client.post("/rest/api/3/search/approximate-count", json={"jql": jql}).json()["count"] == len(all_keys(client, jql))


def test_jql_parse_returns_structure_and_errors() -> None:
    # Started without the spec validator: the Cloud spec's JqlQueryClause has
    # ``additionalProperties: false`` beside its ``anyOf`` and no properties, so no non-empty clause
    # (not even the spec's own example) can validate. The shapes below follow the clause schemas.
    with EmulatorServer(EmuConfig(projects=2, issues=20, users=10)) as cloud, httpx.Client(
        base_url=cloud.url, headers=basic("admin@example.com", "emulator-token")
    ) as admin_client:
        _check_jql_parse(cloud, admin_client)


def _check_jql_parse(cloud: EmulatorServer, admin_client: httpx.Client) -> None:
    key = first_project(cloud).key
    queries = [
        f'project = {key} AND (labels in ("a", b) OR assignee is EMPTY) ORDER BY updated DESC',
        "project = NOSUCHPROJECT",
        "project = ",
    ]
    strict = admin_client.post("/rest/api/3/jql/parse", params={"validation": "strict"}, json={"queries": queries})
    assert strict.status_code == 200
    good, invalid, malformed = strict.json()["queries"]
    where = good["structure"]["where"]
    assert where["operator"] == "and"
    assert where["clauses"][0] == {"field": {"name": "project"}, "operator": "=", "operand": {"value": key}}
    inner = where["clauses"][1]
    assert inner["operator"] == "or"
    assert inner["clauses"][0]["operand"] == {"values": [{"value": "a"}, {"value": "b"}]}
    assert inner["clauses"][1]["operand"] == {"keyword": "empty"}
    assert good["structure"]["orderBy"]["fields"] == [{"field": {"name": "updated"}, "direction": "desc"}]
    assert invalid["errors"] and "structure" not in invalid
    assert malformed["errors"] and "structure" not in malformed
    warn = admin_client.post("/rest/api/3/jql/parse", params={"validation": "warn"}, json={"queries": queries[1:2]}).json()
    assert warn["queries"][0]["errors"] and warn["queries"][0]["structure"]["where"]["field"]["name"] == "project"


def test_data_center_validate_query_false_turns_bad_values_into_warnings(dc_client: httpx.Client, dc: EmulatorServer) -> None:
    key = first_project(dc).key
    jql = f"project in ({key}, NOSUCHPROJECT) ORDER BY id"
    assert dc_client.get("/rest/api/2/search", params={"jql": jql}).status_code == 400
    lenient = dc_client.get("/rest/api/2/search", params={"jql": jql, "validateQuery": "false", "fields": "key"})
    assert lenient.status_code == 200
    body = lenient.json()
    assert body["total"] == len(project_issues(dc, first_project(dc))) and body["warningMessages"]
    assert dc_client.get("/rest/api/2/search", params={"jql": "project in (", "validateQuery": "false"}).status_code == 400


def test_archived_projects_leave_search(admin_client: httpx.Client, cloud: EmulatorServer) -> None:
    state = cloud.backend.state
    archived = max(state.projects.values(), key=lambda p: p.id)
    jql = "created >= -3000d"
    before = set(all_keys(admin_client, jql))
    assert {i.key for i in state.issues.values() if i.project_id == archived.id} <= before
    state.projects[archived.id] = dataclasses.replace(archived, archived=True)
    after = set(all_keys(admin_client, jql))
    assert after == {k for k in before if state.issues[state.keys[k]].project_id != archived.id}
    count = admin_client.post("/rest/api/3/search/approximate-count", json={"jql": jql}).json()["count"]
    assert count == len(after)


def test_permission_changes_reach_cached_results(emulator: Any) -> None:
    server = emulator(projects=3, issues=60)
    state = server.backend.state
    restricted = max(state.projects.values(), key=lambda p: p.id)
    privileged = set(state.groups["developers"].members) | set(state.groups["jira-administrators"].members)
    in_roles = {a.value for actors in restricted.role_actors.values() for a in actors if a.kind == "user"}
    outsider = next(
        u for u in state.users.values()
        if u.active and u.account_type == "atlassian" and u.api_token and u.account_id not in privileged | in_roles
    )
    jql = "created >= -3000d"
    with httpx.Client(base_url=server.url, headers=basic(outsider.email, outsider.api_token)) as client:
        keys = set(all_keys(client, jql))
        restricted_keys = {i.key for i in state.issues.values() if i.project_id == restricted.id}
        assert restricted_keys and not keys & restricted_keys
        state.groups["developers"].members.append(outsider.account_id)
        server.backend.perms.invalidate()
        assert restricted_keys <= set(all_keys(client, jql))


def test_a_moved_issue_changes_project_in_search_only_when_indexed(emulator: Any) -> None:
    server = emulator(index_lag_s=10, projects=3, issues=60)
    server.backend.clock.freeze()
    source, target = sorted(server.backend.state.projects.values(), key=lambda p: p.id)[:2]
    issue = next(i for i in project_issues(server, source) if not i.parent_id and not server.backend.state.subtasks_of(i.id))
    number = 1 + max(int(k.rsplit("-", 1)[1]) for k in server.backend.state.keys if k.startswith(target.key + "-"))
    with httpx.Client(base_url=server.url, headers=basic("admin@example.com", "emulator-token")) as client:
        assert issue.key in all_keys(client, f"project = {source.key}")  # warms the cached results
        moved = update(server, issue.id, project_id=target.id, key=f"{target.key}-{number}")
        assert issue.key in all_keys(client, f"project = {source.key}")
        assert moved.key not in all_keys(client, f"project = {target.key}")
        server.backend.clock.advance(11)
        assert issue.key not in all_keys(client, f"project = {source.key}")
        assert moved.key in all_keys(client, f"project = {target.key}")
