"""The seeded data generator: determinism, invariants a user would notice, and generated logins."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import httpx
import pytest

from jiraemu import EmuConfig, EmulatorServer
from jiraemu.generator import build_state
from jiraemu.state import State

NOW = 1_790_000_000_000  # a fixed "now" (2026-09-21)


def basic(login: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{secret}".encode()).decode()}


@pytest.fixture(scope="module", params=["cloud", "datacenter"])
def state(request: pytest.FixtureRequest) -> State:
    return build_state(EmuConfig(flavor=request.param, projects=3, issues=400, users=20, seed=11), NOW)


def fingerprint(s: State) -> str:
    parts = [s.users, s.groups, s.projects, s.fields, s.issues, s.links, s.boards, s.sprints, s.permission_schemes]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def test_same_seed_same_state_other_seed_other_state() -> None:
    cfg = {"projects": 3, "issues": 200, "users": 12}
    a = build_state(EmuConfig(seed=5, **cfg), NOW)
    b = build_state(EmuConfig(seed=5, **cfg), NOW)
    c = build_state(EmuConfig(seed=6, **cfg), NOW)
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)


def test_custom_field_ids_depend_on_the_seed() -> None:
    sprint_ids = set()
    for seed in range(6):
        s = build_state(EmuConfig(seed=seed, projects=1, issues=0, users=8), NOW)
        sprint = s.field_by_kind("sprint")
        assert sprint is not None and sprint.schema["custom"] == "com.pyxis.greenhopper.jira:gh-sprint"
        sprint_ids.add(sprint.id)
        assert all(f.id == f"customfield_{f.schema['customId']}" for f in s.fields.values() if f.custom)
    assert len(sprint_ids) > 1


def test_issue_type_and_status_valid_for_project_and_workflow(state: State) -> None:
    assert state.issues
    for issue in state.issues.values():
        project = state.projects[issue.project_id]
        assert issue.issuetype_id in project.issue_type_ids
        assert issue.status_id in state.workflows[project.workflow_name].status_ids
        assert state.keys[issue.key] == issue.id
        assert issue.key.startswith(project.key + "-")


def test_resolution_iff_done_and_history_ends_at_current_status(state: State) -> None:
    done_seen = 0
    for issue in state.issues.values():
        workflow = state.workflows[state.projects[issue.project_id].workflow_name]
        done = state.status_categories[state.statuses[issue.status_id].category_id].key == "done"
        done_seen += done
        assert (issue.resolution_id is not None) == done, issue.key
        assert (issue.resolution_date is not None) == done, issue.key
        current = workflow.initial_status_id
        for history in issue.histories:
            for item in history.items:
                if item.field == "status":
                    assert item.from_ == current
                    assert any(
                        t.to_status_id == item.to and (not t.from_status_ids or current in t.from_status_ids)
                        for t in workflow.transitions
                    ), f"{issue.key}: no transition {current} -> {item.to}"
                    current = item.to or ""
        assert current == issue.status_id, issue.key
    assert 0 < done_seen < len(state.issues)


def test_times_are_ordered_and_some_issues_changed_in_the_last_15_minutes(state: State) -> None:
    for issue in state.issues.values():
        assert issue.created <= issue.updated <= NOW
        events = [h.created for h in issue.histories] + [c.created for c in issue.comments]
        assert all(issue.created <= t <= issue.updated for t in events), issue.key
        assert [h.created for h in issue.histories] == sorted(h.created for h in issue.histories)
    recent = [i for i in state.issues.values() if i.updated >= NOW - 15 * 60_000]
    assert len(recent) >= 3
    updated = [i.updated for i in state.issues.values()]
    assert len(set(updated)) < len(updated), "some issues share an updated value (cursor ties)"
    assert any(u % 60_000 == 0 for u in updated), "some updated values sit on a minute boundary"


def test_parents(state: State) -> None:
    types = state.issue_types
    subtasks = [i for i in state.issues.values() if types[i.issuetype_id].subtask]
    assert subtasks
    for issue in state.issues.values():
        if issue.parent_id is None:
            assert not types[issue.issuetype_id].subtask
            continue
        parent = state.issues[issue.parent_id]
        assert parent.project_id == issue.project_id
        if types[issue.issuetype_id].subtask:
            assert types[parent.issuetype_id].hierarchy_level == 0
        else:
            assert types[parent.issuetype_id].hierarchy_level == 1


def test_heavy_comments_hidden_emails_security_and_attachments(state: State) -> None:
    assert len([i for i in state.issues.values() if len(i.comments) > 100]) >= 2
    assert len([u for u in state.users.values() if not u.email_visible and u.account_type == "atlassian"]) >= 2
    first = min(state.projects)
    secured = [i for i in state.issues.values() if i.security_level_id]
    assert secured and all(i.project_id == first for i in secured)
    levels = {lv.id for s in state.security_schemes.values() for lv in s.levels}
    assert {i.security_level_id for i in secured} <= levels
    attachments = [a for i in state.issues.values() for a in i.attachments]
    assert attachments
    for a in attachments:
        body = state.blobs[a.sha256]
        assert len(body) == a.size and hashlib.sha256(body).hexdigest() == a.sha256
    assert any(state.blobs[a.sha256].startswith(b"\x89PNG") for a in attachments)


def test_rich_text_matches_the_flavour(state: State) -> None:
    cloud = any(u.account_type == "app" for u in state.users.values())
    docs = [i.description for i in state.issues.values() if i.description is not None]
    assert docs
    if cloud:
        assert all(d.adf is not None and d.adf["type"] == "doc" for d in docs)
    else:
        assert all(d.wiki for d in docs)


def test_sprints_and_boards(state: State) -> None:
    sprint_field = state.field_by_kind("sprint")
    assert sprint_field is not None
    in_sprint = [i for i in state.issues.values() if i.custom_value(sprint_field.id)]
    assert in_sprint
    for issue in in_sprint:
        for sid in issue.custom_value(sprint_field.id):
            assert state.boards[state.sprints[sid].board_id].project_id == issue.project_id
    assert {s.state for s in state.sprints.values()} == {"closed", "active", "future"}
    for issue in in_sprint:
        sprints = [state.sprints[sid] for sid in issue.custom_value(sprint_field.id)]
        if state.issue_types[issue.issuetype_id].subtask:
            assert issue.parent_id is not None
            assert state.issues[issue.parent_id].custom_value(sprint_field.id) == issue.custom_value(sprint_field.id)
            continue
        if issue.resolution_date is not None:
            last = sprints[-1]
            assert last.state == "active" or (last.end or 0) >= issue.resolution_date, issue.key
        else:
            assert sprints[-1].state in ("active", "future"), issue.key


def test_id_sequences_continue_after_the_seed(state: State) -> None:
    assert state.ids.next("issue") == max(state.issues) + 1
    comment_ids = [c.id for i in state.issues.values() for c in i.comments]
    assert state.ids.next("comment") == max(comment_ids) + 1


def myself(url: str, version: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/rest/api/{version}/myself", headers=headers)


def test_cloud_logins(emulator: Callable[..., EmulatorServer]) -> None:
    server = emulator(flavor="cloud")
    users = server.backend.state.users
    user01 = next(u for u in users.values() if u.name == "user01")
    for version in (2, 3):
        r = myself(server.url, version, basic("admin@example.com", "emulator-token"))
        assert r.status_code == 200 and r.json()["accountId"].startswith("557058:")
        r = myself(server.url, version, basic("user01@example.com", "token-user01"))
        assert r.status_code == 200 and r.json()["accountId"] == user01.account_id
    inactive = next(u for u in users.values() if not u.active)
    assert myself(server.url, 3, basic(inactive.email, inactive.api_token)).status_code == 401
    assert myself(server.url, 3, basic("user01@example.com", "token-user02")).status_code == 401


def test_dc_logins(emulator: Callable[..., EmulatorServer]) -> None:
    server = emulator(flavor="datacenter")
    for headers in (basic("admin", "admin"), basic("user01", "pw-user01"), {"Authorization": "Bearer pat-user01"}):
        r = myself(server.url, 2, headers)
        assert r.status_code == 200, headers
    assert myself(server.url, 2, {"Authorization": "Bearer pat-user01"}).json()["name"] == "user01"


def test_fast_issue_constructor_builds_equal_records() -> None:
    from jiraemu.generator.common import maker
    from jiraemu.state import Issue

    values = {
        "id": 1, "key": "A-1", "project_id": 1, "issuetype_id": "10002", "summary": "s", "status_id": "3",
        "creator_id": "a", "reporter_id": "a", "assignee_id": None, "created": 1, "updated": 2, "labels": ("x",),
    }
    fast = maker(Issue)(**values)
    assert fast == Issue(**values)
    assert fast.comments == () and fast.version == 1


def test_key_numbers_continue_per_project(state: State) -> None:
    for project in state.projects.values():
        numbers = [int(i.key.split("-")[1]) for i in state.issues.values() if i.project_id == project.id]
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
        assert state.ids.next(f"issuekey:{project.id}", 1) == len(numbers) + 1


def test_restricted_comments_come_from_developers_and_outsiders_do_no_work(state: State) -> None:
    developers = set(state.groups["developers"].members)
    restricted = [c for i in state.issues.values() for c in i.comments if c.visibility]
    assert restricted
    assert all(c.visibility == {"type": "role", "value": "Developers"} and c.author_id in developers for c in restricted)
    member_groups = {"jira-administrators", "developers", "qa"}
    outsiders = [
        u.account_id
        for u in state.users.values()
        if u.active and u.account_type == "atlassian" and not any(u.account_id in state.groups[g].members for g in member_groups)
    ]
    assert len(outsiders) >= 2
    touched = {a for i in state.issues.values() for a in (i.reporter_id, i.assignee_id)}
    assert len([o for o in outsiders if o not in touched]) >= 2


@pytest.mark.parametrize("seed", range(8))
def test_guarantees_hold_for_any_seed_even_with_few_issues(seed: int) -> None:
    s = build_state(EmuConfig(seed=seed, projects=3, issues=20, users=8), NOW)
    assert len([i for i in s.issues.values() if len(i.comments) > 100]) >= 2
    assert len([i for i in s.issues.values() if i.security_level_id]) >= 2
    assert len([i for i in s.issues.values() if i.updated >= NOW - 15 * 60_000]) >= 3


def test_seeded_audit_log_precedes_the_issues(state: State) -> None:
    assert {"Project created", "User created", "Custom field created"} <= {a.summary for a in state.audit}
    created = [a.created for a in state.audit]
    assert created == sorted(created) and created[-1] < min(i.created for i in state.issues.values())
    assert state.ids.next("audit") == max(a.id for a in state.audit) + 1


def test_changelog_records_attachments_and_assignees_per_flavour(state: State) -> None:
    cloud = any(u.account_type == "app" for u in state.users.values())
    names = {u.name for u in state.users.values()}
    assignee_items = 0
    for issue in state.issues.values():
        assert [h.id for h in issue.histories] == sorted(h.id for h in issue.histories)
        items = [it for h in issue.histories for it in h.items]
        assert {it.to for it in items if it.field == "Attachment"} == {str(a.id) for a in issue.attachments}
        for it in items:
            if it.field == "assignee":
                assignee_items += 1
                assert (it.to in state.users) if cloud else (it.to in names)
        spent = [it.to for it in items if it.field == "timespent"]
        assert (spent[-1] if spent else None) == (str(sum(w.time_spent_seconds for w in issue.worklogs)) if issue.worklogs else None)
        assert {it.to for it in items if it.field == "WorklogId"} == {str(w.id) for w in issue.worklogs}
        estimates = [it.to for it in items if it.field == "timeestimate"]
        if estimates:
            assert estimates[-1] == str(issue.remaining_estimate_s)
        last = [it for it in items if it.field == "assignee"]
        if last and issue.assignee_id:
            assert last[-1].to_string == state.users[issue.assignee_id].display_name
    assert assignee_items


def test_projects_schemes_and_roles(state: State) -> None:
    projects = sorted(state.projects.values(), key=lambda p: p.id)
    first, last = projects[0], projects[-1]
    assert first.security_scheme_id in state.security_schemes and first.style == "classic"
    assert last.style == "next-gen" and all(p.style == "classic" for p in projects[:-1])
    assert {state.issue_types[t].project_id for t in last.issue_type_ids} == {last.id}  # 3 projects: own types
    restricted = state.permission_schemes[last.permission_scheme_id]
    browse = {(g.holder_type, g.holder_param) for g in restricted.grants if g.permission == "BROWSE_PROJECTS"}
    assert browse == {("projectRole", "10001"), ("projectRole", "10002")}
    assert not last.role_actors[10000]
    for p in projects:
        assert 3 <= len(p.components) <= 5 and 2 <= len(p.versions) <= 4
        assert any(v.released for v in p.versions) and not all(v.released for v in p.versions)
        assert p.lead_id in state.users and any(a.value == p.lead_id for a in p.role_actors[10002])
    default = state.permission_schemes[first.permission_scheme_id]
    assert ("applicationRole", None) in {(g.holder_type, g.holder_param) for g in default.grants if g.permission == "BROWSE_PROJECTS"}
    assert state.global_permissions["ADMINISTER"] == ["jira-administrators"]
    boards = {b.project_id: b for b in state.boards.values()}
    assert last.id not in boards and {b.type for b in boards.values()} == {"scrum", "kanban"}


def test_same_state_across_processes_with_different_hash_seeds() -> None:
    import os
    import subprocess
    import sys

    code = (
        "import hashlib; from jiraemu import EmuConfig; from jiraemu.generator import build_state; "
        f"s = build_state(EmuConfig(issues=150, projects=3, users=10), {NOW}); "
        "print(hashlib.sha256(repr([s.users, s.groups, s.projects, s.fields, s.issues, s.links, s.sprints, s.audit]).encode()).hexdigest())"
    )
    digests = {
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": h},
                       capture_output=True, text=True, check=True).stdout
        for h in ("1", "2")
    }
    assert len(digests) == 1
