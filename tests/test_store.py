"""The sync store: records parsed from real Jira JSON (both flavours), migrations equal to the models,
dialect-native upserts, soft deletes, atomic checkpoints — every store test on SQLite and PostgreSQL.

PostgreSQL tests run against ``JIRASYNC_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/test``)
in a schema of their own, dropped afterwards; they skip with a message when no server answers.
"""

from __future__ import annotations

import copy
import functools
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, inspect, select, update

from jiraemu import EmulatorServer
from jirasync.exceptions import RecordError
from jirasync.records import (
    BoardRecord,
    CommentRecord,
    FieldRecord,
    GroupMemberRecord,
    GroupRecord,
    HistoryRecord,
    IssueLinkRecord,
    IssueRecord,
    PermissionGrantRecord,
    ProjectRecord,
    RoleActorRecord,
    SecurityLevelRecord,
    SprintRecord,
    UserRecord,
    WorklogRecord,
    epoch_ms,
    parse_time,
)
from jirasync.store import Base, ConnectionRow, Store
from jirasync.store.models import (
    AttachmentRow,
    ChangeItemRow,
    ChangelogRow,
    CommentRow,
    IssueLinkRow,
    IssueRow,
    WorklogRow,
)
from jirasync.store.repo import ENTITY_TABLES, SyncRepo, utc
from tests.conftest import basic
from tests.support.databases import fresh_database
from tests.support.reference import FIXTURES

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


# -- stores on both databases ---------------------------------------------------------------------






@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def db_url(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(db_kind, tmp_path_factory.mktemp("store")) as url:
        yield url


@pytest.fixture(scope="module")
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.migrate()
    yield s
    s.close()


def new_connection(store: Store) -> int:
    """Tests share a database per module and isolate by connection (as real connections are)."""
    with store.session() as s:
        row = ConnectionRow(name=f"c-{uuid.uuid4().hex[:10]}", url="https://x.example", deployment="Cloud",
                            auth_method="api-token", secrets="-", options={})
        s.add(row)
        s.flush()
        return row.id


@pytest.fixture
def repo(store: Store) -> SyncRepo:
    return SyncRepo(store, new_connection(store))


# -- records from real Jira JSON ------------------------------------------------------------------


def test_times_parse_every_jira_form_to_utc() -> None:
    assert parse_time("2026-01-02T03:04:05.678-0700") == datetime(2026, 1, 2, 10, 4, 5, 678000, tzinfo=UTC)
    assert parse_time("2016-04-28T05:08:48.543-07:00") == datetime(2016, 4, 28, 12, 8, 48, 543000, tzinfo=UTC)
    assert parse_time("2021-02-24T06:43:47.075+0000").tzinfo is UTC
    assert parse_time(1492070429) == datetime(1970, 1, 18, 6, 27, 50, 429000, tzinfo=UTC)  # epoch ms
    assert epoch_ms(parse_time("2011-12-14T10:26:06.030+1300")) == 1323811566030
    # the far ends of the offset range, and a half-hour zone on both sides of its DST change
    assert parse_time("2026-01-01T00:30:00.000+1400") == datetime(2025, 12, 31, 10, 30, tzinfo=UTC)  # Kiritimati
    assert parse_time("2026-03-08T01:59:59.999-0330") == datetime(2026, 3, 8, 5, 29, 59, 999000, tzinfo=UTC)  # St John's NST
    assert parse_time("2026-03-08T03:00:00.000-0230") == datetime(2026, 3, 8, 5, 30, tzinfo=UTC)  # ... NDT
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_time("2026-01-02T03:04:05")


def test_dc_issue_fixture_parses() -> None:
    data = fixture("datacenter-v2/issue.get.jira-ruby.json")
    issue = IssueRecord.from_json(data, cloud=False, to_markdown=lambda v: f"md:{v}")
    assert (issue.id, issue.key, issue.project_id, issue.project_key) == (10002, "SAMPLEPROJECT-1", 10001, "SAMPLEPROJECT")
    assert issue.updated == datetime(2011, 12, 13, 21, 26, 6, 30000, tzinfo=UTC)
    assert issue.updated_ms == 1323811566030
    assert issue.assignee_id == issue.reporter_id == "admin"  # DC: key, falling back to name
    assert (issue.status, issue.priority, issue.issue_type) == ("Open", "Major", "Task")
    assert issue.due_date is not None and issue.due_date.isoformat() == "2011-12-14"
    assert issue.components == ("Jamflam", "Jammy")
    assert (issue.comment_total, issue.worklog_total, issue.comments_complete) == (0, 0, True)
    assert issue.description_raw is None and issue.description_md is None
    assert issue.raw is data


def test_cloud_issue_fixture_parses_children_and_names_bad_fields() -> None:
    data = fixture("cloud-v3/issue.get.go-atlassian.json")
    # The documentation example lacks `updated` (every real response has it): the error names it.
    with pytest.raises(RecordError, match=r"issue 10002: fields\.updated: missing") as bad:
        IssueRecord.from_json(data, cloud=True)
    assert (bad.value.kind, bad.value.remote_id, bad.value.field, bad.value.raw) == ("issue", "10002", "fields.updated", data)
    data = copy.deepcopy(data)
    data["fields"]["updated"] = "2026-01-02T03:04:05.678-0700"
    with pytest.raises(RecordError, match=r"fields\.issuelinks\[0\]\.outwardIssue\.id: expected an integer, got '10004L'"):
        IssueRecord.from_json(data, cloud=True)
    data["fields"]["issuelinks"][0]["outwardIssue"]["id"] = "10004"
    data["fields"]["customfield_10010"] = {"value": "x"}
    data["fields"]["customfield_10011"] = None
    issue = IssueRecord.from_json(data, cloud=True, to_markdown=lambda adf: "MD")
    assert issue.updated_ms == epoch_ms(datetime(2026, 1, 2, 10, 4, 5, 678000, tzinfo=UTC))
    assert issue.description_raw["type"] == "doc" and issue.description_md == "MD"
    assert issue.custom == {"customfield_10010": {"value": "x"}}
    [comment] = issue.comments
    assert comment.author_id == "5b10a2844c20165700ede21g" and comment.body_md == "MD"
    assert (comment.visibility_type, comment.visibility_value) == ("role", "Administrators")
    [attachment] = issue.attachments
    assert (attachment.id, attachment.filename, attachment.size, attachment.content_sha256) == (10000, "picture.jpg", 23123, None)
    out, inward = issue.links
    assert (out.source_issue_id, out.target_issue_id) == (10002, 10004)  # ED-1 --depends on--> PR-2
    assert (inward.source_issue_id, inward.target_issue_id) == (10004, 10002)
    assert issue.original_estimate_seconds == 600 and issue.time_spent_seconds == 400


def test_comment_pages_parse_in_both_flavours() -> None:
    cloud = [CommentRecord.from_json(7, c, True, str) for c in fixture("cloud-v3/issue-comments.page.go-atlassian.json")["comments"]]
    dc = [CommentRecord.from_json(7, c, False, str) for c in fixture("datacenter-v2/issue-comments.page.jira-ruby.json")["comments"]]
    assert cloud[0].body_raw["type"] == "doc" and cloud[0].created == datetime(2021, 2, 26, 1, 45, 3, 821000, tzinfo=UTC)
    assert [c.body_raw for c in dc] == ["This is a comment. Creative.", "new comment"]
    assert [c.body_md for c in dc] == ["This is a comment. Creative.", "new comment"]
    assert dc[0].updated == datetime(2012, 1, 12, 2, 15, 13, 74000, tzinfo=UTC) and dc[0].author_id == "admin"


def test_reference_data_fixtures_parse() -> None:
    users = [UserRecord.from_json(u, True) for u in fixture("cloud-v3/users.get.go-atlassian.json")]
    assert users[0].id == "5b10a2844c20165700ede21g" and users[0].email is None and users[0].active is False
    members = fixture("cloud-v3/group-member.get.go-atlassian.json")["values"]
    assert [GroupMemberRecord.from_json("jira-administrators", m, True).user_id for m in members] == [
        "5b10a2844c20165700ede21g", "5b10a0effa615349cb016cd8"]
    assert UserRecord.from_json(members[0], True).email == "mia@example.com"
    dc_user = UserRecord.from_json({"name": "jsmith", "displayName": "J", "active": True}, False)
    assert (dc_user.id, dc_user.name) == ("jsmith", "jsmith")
    fields = [FieldRecord.from_json(f, True) for f in fixture("cloud-v3/fields.get.go-atlassian.json")]
    assert any(f.custom and f.id.startswith("customfield_") for f in fields)
    project = ProjectRecord.from_json(fixture("cloud-v3/project.get.go-atlassian.json"), True)
    assert (project.id, project.key, project.lead_id) == (10000, "EX", "5b10a2844c20165700ede21g")
    actors = RoleActorRecord.from_role_json(10000, fixture("cloud-v3/project-role.get.go-atlassian.json"), True)
    assert [(a.role_name, a.actor_type, a.actor_value) for a in actors] == [
        ("Developers", "group", "jira-developers"), ("Developers", "user", "5b10a2844c20165700ede21g")]
    levels = [SecurityLevelRecord.from_json(lv, True) for lv in fixture("cloud-v3/project-securitylevel.get.go-atlassian.json")["levels"]]
    assert [lv.id for lv in levels] == [100000, 100001]
    boards = [BoardRecord.from_json(b, False) for b in fixture("cloud-v2-or-server/boards.get.go-jira.json")["values"]]
    assert boards[-1].project_key == "AP" and boards[0].project_id is None
    sprints = [SprintRecord.from_json(s, False) for s in fixture("datacenter-v2/board.get.jira-ruby.json")["values"]]
    assert sprints[0].complete_date == datetime(2016, 5, 8, 8, 5, 31, 959000, tzinfo=UTC) and sprints[2].start_date is None
    changes = fixture("spec-examples/get_issue_issueIdOrKey_changelog.200.json")["values"]
    history = HistoryRecord.from_json(10002, changes[0], True)
    assert history.items[0].to_string == "label-1" and history.items[0].seq == 0
    bulk = fixture("spec-examples/post_changelog_bulkfetch.200.json")["issueChangeLogs"][0]["changeHistories"][0]
    assert HistoryRecord.from_json(1, bulk, True).created == datetime(1970, 1, 18, 6, 27, 50, 429000, tzinfo=UTC)


def test_malformed_records_name_the_field() -> None:
    with pytest.raises(RecordError, match=r"project 1: key: missing"):
        ProjectRecord.from_json({"id": "1"}, True)
    with pytest.raises(RecordError, match=r"user: accountId: missing"):
        UserRecord.from_json({"name": "x"}, True)
    with pytest.raises(RecordError, match=r"worklog 5: started: expected a timestamp"):
        WorklogRecord.from_json(1, {"id": "5", "started": "yesterday"}, True)
    with pytest.raises(RecordError, match=r"permission grant 3: holder\.type: missing"):
        PermissionGrantRecord.from_json(1, {"id": 3, "permission": "BROWSE_PROJECTS", "holder": {}}, True)
    with pytest.raises(RecordError, match=r"issue link: \(record\): expected a JSON object"):
        IssueLinkRecord.from_json(1, ["not", "an", "object"], True)


@pytest.fixture(scope="module", params=["cloud", "datacenter"])
def served(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _served(str(request.param))


@functools.cache
def _served(flavor: str) -> dict[str, Any]:
    """What the sync engine really reads from jiraemu (one flavour): issues with all fields, reference data.
    Fetched once per flavour for the whole run."""
    from jiraemu import EmuConfig

    cloud = flavor == "cloud"
    server = EmulatorServer(EmuConfig(flavor=flavor, projects=2, issues=40, users=8))
    server.start()
    v = 3 if cloud else 2
    headers = basic("admin@example.com", "emulator-token") if cloud else {"Authorization": "Bearer emulator-pat"}
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            def get(path: str, **params: Any) -> Any:
                return client.get(path, params=params).raise_for_status().json()

            search = ("/rest/api/3/search/jql", {"jql": "project is not EMPTY order by id"}) if cloud \
                else ("/rest/api/2/search", {"jql": "order by id"})
            body = {**search[1], "fields": ["*all"], "maxResults": 100}
            out: dict[str, Any] = {"cloud": cloud, "issues": client.post(search[0], json=body).raise_for_status().json()["issues"]}
            out["projects"] = get(f"/rest/api/{v}/project")
            out["roles"] = {p["id"]: [get(url) for url in get(f"/rest/api/{v}/project/{p['key']}/role").values()]
                            for p in out["projects"]}
            out["schemes"] = get(f"/rest/api/{v}/permissionscheme", expand="permissions")["permissionSchemes"]
            out["users"] = get("/rest/api/3/users/search") if cloud else get("/rest/api/2/user/search", username=".")
            out["groups"] = get("/rest/api/3/group/bulk")["values"] if cloud else get("/rest/api/2/groups/picker")["groups"]
            out["members"] = {g["name"]: get(f"/rest/api/{v}/group/member", groupname=g["name"])["values"] for g in out["groups"]}
            out["fields"] = get(f"/rest/api/{v}/field")
            out["boards"] = get("/rest/agile/1.0/board")["values"]
            out["sprints"] = [s for b in out["boards"] if b["type"] == "scrum"
                              for s in get(f"/rest/agile/1.0/board/{b['id']}/sprint")["values"]]
            out["levels"] = [lv for p in out["projects"] for lv in get(f"/rest/api/{v}/project/{p['key']}/securitylevel")["levels"]]
            out["changelog"] = get(f"/rest/api/{v}/issue/{out['issues'][0]['id']}", expand="changelog", fields="updated")
        return out
    finally:
        server.stop()


def test_everything_the_emulator_serves_parses_and_stores(served: dict[str, Any], repo: SyncRepo) -> None:
    """Both flavours' real JSON goes through the parsers and into the tables without loss or error."""
    cloud = served["cloud"]
    issues = [IssueRecord.from_json(i, cloud, to_markdown=lambda v: "md") for i in served["issues"]]
    assert len(issues) > 10 and all(i.updated.tzinfo is UTC and i.created is not None for i in issues)
    assert any(i.custom for i in issues) and any(i.comments for i in issues)
    assert isinstance(next(i for i in issues if i.description_raw).description_raw, dict if cloud else str)
    histories = [HistoryRecord.from_json(int(served["changelog"]["id"]), h, cloud)
                 for h in served["changelog"]["changelog"]["histories"]]
    users = [UserRecord.from_json(u, cloud) for u in served["users"]]
    assert all(u.id == (u.account_id if cloud else u.raw["key"]) for u in users)
    repo.upsert_issues(issues, T0)
    repo.replace_children([i.id for i in issues], comments=[c for i in issues for c in i.comments],
                          worklogs=[w for i in issues for w in i.worklogs],
                          attachments=[a for i in issues for a in i.attachments],
                          links=[lk for i in issues for lk in i.links], histories=histories, at=T0)
    repo.upsert_projects([ProjectRecord.from_json(p, cloud) for p in served["projects"]], T0, complete=True)
    for project_id, roles in served["roles"].items():
        repo.replace_project_roles(int(project_id), [a for r in roles for a in RoleActorRecord.from_role_json(int(project_id), r, cloud)], T0)
    for scheme in served["schemes"]:
        repo.replace_permission_grants(scheme["id"], PermissionGrantRecord.from_scheme_json(scheme, cloud), T0)
    repo.upsert_users(users, T0, complete=True)
    repo.upsert_groups([GroupRecord.from_json(g, cloud) for g in served["groups"]], T0, complete=True)
    for name, members in served["members"].items():
        repo.replace_group_members(name, [GroupMemberRecord.from_json(name, m, cloud) for m in members], T0)
    repo.upsert_fields([FieldRecord.from_json(f, cloud) for f in served["fields"]], T0, complete=True)
    repo.upsert_boards([BoardRecord.from_json(b, cloud) for b in served["boards"]], T0, complete=True)
    repo.upsert_sprints([SprintRecord.from_json(sp, cloud) for sp in served["sprints"]], T0, complete=True)
    repo.upsert_security_levels([SecurityLevelRecord.from_json(lv, cloud) for lv in served["levels"]], T0)
    live = repo.counts(live=True)
    assert live["issues"] == len(issues) and live["comments"] == sum(len(i.comments) for i in issues)
    assert live["changelog_items"] == sum(len(h.items) for h in histories) > 0
    assert all(live[t] > 0 for t in ("projects", "project_roles", "permission_grants", "users", "groups",
                                      "group_members", "fields", "boards", "security_levels"))


# -- migrations -----------------------------------------------------------------------------------


def test_migrations_build_exactly_the_models_and_are_idempotent(db_kind: str, tmp_path: Path) -> None:
    with fresh_database(db_kind, tmp_path) as url:
        store = Store(url)
        try:
            store.migrate()  # up from empty
            store.migrate()  # already at head: a no-op
            assert _schema_diff(store) == []
            assert set(inspect(store.engine).get_table_names()) >= SYNC_TABLES
            _alembic(store, "downgrade", "0001")  # 0002 (and what follows) comes off cleanly and goes back on
            assert set(inspect(store.engine).get_table_names()) & SYNC_TABLES == {"connections"}
            store.migrate()
            assert _schema_diff(store) == []
            if db_kind == "sqlite":
                with store.engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        finally:
            store.close()


SYNC_TABLES = {"connections", *(model.__tablename__ for model in ENTITY_TABLES)}


def _schema_diff(store: Store) -> list[Any]:
    """Alembic's autogenerate diff between the migrated database and the models, on the tables of
    ``Base.metadata`` (other features keep tables of their own, e.g. the search index)."""
    from alembic.script import ScriptDirectory

    from jirasync.store.db import MIGRATIONS

    def ours(name: str | None, kind: str, parents: Any) -> bool:
        return kind != "table" or name in Base.metadata.tables

    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True,
                                                     "include_name": ours})
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert ctx.get_current_revision() == head
        return list(compare_metadata(ctx, Base.metadata))


def _alembic(store: Store, verb: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from jirasync.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


# -- the repository -------------------------------------------------------------------------------


def issue(iid: int, project: int = 100, updated_ms: int = 1_000, key: str | None = None, **fields: Any) -> IssueRecord:
    """A minimal issue as Jira would send it, through the real parser."""
    updated = datetime.fromtimestamp(updated_ms / 1000, tz=timezone(timedelta(hours=-7)))
    data = {"id": str(iid), "key": key or f"P{project}-{iid}", "fields": {
        "project": {"id": str(project), "key": f"P{project}"}, "summary": f"issue {iid}",
        "updated": updated.isoformat(timespec="milliseconds"), "created": "2025-01-01T00:00:00.000+0000",
        "labels": ["a"], "customfield_10001": 3, **fields}}
    return IssueRecord.from_json(data, cloud=True)


def comment(cid: int, issue_id: int, text: str = "hi") -> CommentRecord:
    return CommentRecord.from_json(issue_id, {"id": str(cid), "body": text, "author": {"accountId": "u1"},
                                              "created": "2025-01-01T00:00:00.000+0000"}, True, str.upper)


def test_upserting_the_same_page_twice_changes_nothing(repo: SyncRepo) -> None:
    page = [issue(i, updated_ms=1_000 + i) for i in range(1, 51)]
    repo.upsert_issues(page, T0)
    first = (repo.issues_dump(), repo.counts())
    repo.upsert_issues(page, T0 + timedelta(minutes=1))
    assert (repo.issues_dump(), repo.counts()) == first
    assert first[1]["issues"] == 50
    assert repo.issue_updated_map(100)[7] == 1_007
    assert repo.live_issue_index()[7] == (1_007, 100)
    with repo.store.session() as s:
        row = s.get(IssueRow, (repo.connection_id, 7))
        assert row is not None and row.custom == {"customfield_10001": 3} and row.labels == ["a"]
        assert row.raw is not None and row.raw["key"] == "P100-7"


def test_a_moved_issue_keeps_one_row_and_comes_back_to_life(repo: SyncRepo) -> None:
    repo.upsert_issues([issue(1, project=100, updated_ms=1_000)], T0)
    repo.mark_issues([1], "moved", T0)
    assert repo.live_issue_ids(100) == set()
    repo.upsert_issues([issue(1, project=200, updated_ms=2_000, key="P200-9")], T0)
    [row] = repo.issues_dump()
    assert (row.key, row.project_id, row.project_key, row.deleted_reason) == ("P200-9", 200, "P200", None)
    assert repo.live_issue_ids(200) == {1} and repo.live_issue_ids(100) == set()
    # a stale snapshot from the old project's page (older updated) does not move it back
    repo.upsert_issues([issue(1, project=100, updated_ms=1_000)], T0)
    assert repo.issues_dump()[0].project_id == 200


def test_mark_issues_records_the_reason(repo: SyncRepo) -> None:
    repo.upsert_issues([issue(i) for i in (1, 2, 3)], T0)
    assert repo.mark_issues([1], "deleted", T0) == 1
    repo.mark_issues([2], "permission_lost", T0)
    repo.mark_issues([2], "deleted", T0 + timedelta(hours=1))  # the audit log knows better later
    reasons = {d.id: d.deleted_reason for d in repo.issues_dump()}
    assert reasons == {1: "deleted", 2: "deleted", 3: None}
    assert repo.counts(live=True)["issues"] == 1
    assert repo.deletion_counts() == {"deleted": 2}
    row = repo.issue(2)
    assert row is not None and row["deleted_at"] is not None and row["summary"] == "issue 2" and repo.issue(99) is None
    with pytest.raises(ValueError, match="reason must be one of"):
        repo.mark_issues([3], "gone", T0)  # type: ignore[arg-type]


def test_children_replace_soft_deletes_the_missing_ones(repo: SyncRepo) -> None:
    repo.upsert_issues([issue(1), issue(2)], T0)
    link = IssueLinkRecord.from_json(1, {"id": "50", "type": {"id": "1", "name": "Blocks"}, "outwardIssue": {"id": "2"}}, True)
    history = HistoryRecord.from_json(1, {"id": "70", "created": "2025-01-01T00:00:00.000+0000",
                                          "items": [{"field": "status", "fromString": "Open", "toString": "Done"}]}, True)
    repo.replace_issue_children(1, comments=[comment(10, 1), comment(11, 1)], links=[link], histories=[history], at=T0)
    repo.replace_issue_children(2, comments=[comment(20, 2)], at=T0)
    assert repo.counts(live=True)["comments"] == 3 and repo.counts()["changelog_items"] == 1
    # comment 11 was deleted in Jira; the link was removed (seen from the other issue)
    repo.replace_issue_children(1, comments=[comment(10, 1, "edited")], at=T0 + timedelta(minutes=5))
    repo.replace_issue_children(2, links=[], at=T0 + timedelta(minutes=5))
    repo.replace_issue_children(1, histories=[], at=T0 + timedelta(minutes=5))
    live = repo.counts(live=True)
    assert (live["comments"], live["issue_links"], repo.counts()["comments"]) == (2, 0, 3)
    assert (live["changelog"], live["changelog_items"], repo.counts()["changelog_items"]) == (0, 0, 1)
    # an issue's comments are never touched by another issue's replace; None leaves a kind alone
    repo.replace_children([1, 2], worklogs=[], at=T0)
    assert repo.counts(live=True)["comments"] == 2
    with repo.store.session() as s:
        row = s.get(CommentRow, (repo.connection_id, 10))
        assert row is not None and row.body_md == "EDITED" and row.deleted_at is None
    # comment 11 visible again (its restriction lifted): the same row comes back to life
    repo.replace_issue_children(1, comments=[comment(10, 1), comment(11, 1)], at=T0 + timedelta(minutes=9))
    assert repo.counts(live=True)["comments"] == 3 and repo.counts()["comments"] == 3
    assert repo.live_child_ids("comments") == {1: {10, 11}, 2: {20}} and repo.live_child_ids("histories") == {}


def test_absent_json_is_sql_null(repo: SyncRepo) -> None:
    repo.upsert_issues([issue(1)], T0)
    with repo.store.session() as s:
        nulls = s.scalar(select(func.count()).select_from(IssueRow).where(
            IssueRow.connection_id == repo.connection_id, IssueRow.description_raw.is_(None)))
    assert nulls == 1


def test_checkpoint_is_saved_with_its_data_or_not_at_all(repo: SyncRepo) -> None:
    assert repo.get_checkpoint("P100") is None
    with pytest.raises(RuntimeError, match="killed"), repo.transaction() as tx:
        tx.upsert_issues([issue(1), issue(2)], T0)
        tx.save_checkpoint("P100", project_id=100, updated_ms=1_000, issue_id=2, fingerprint="f1")
        raise RuntimeError("killed mid-page")
    assert repo.get_checkpoint("P100") is None and repo.issues_dump() == []
    with repo.transaction() as tx:
        tx.upsert_issues([issue(1), issue(2)], T0)
        tx.save_checkpoint("P100", project_id=100, updated_ms=1_000, issue_id=2, fingerprint="f1", at=T0)
    cp = repo.get_checkpoint("P100")
    assert cp is not None and (cp.updated_ms, cp.issue_id, cp.fingerprint, cp.completed) == (1_000, 2, "f1", False)
    assert cp.updated_at == T0 and len(repo.issues_dump()) == 2
    repo.save_checkpoint("P100", project_id=100, updated_ms=5_000, issue_id=9, fingerprint="f1", completed=True)
    assert [c.updated_ms for c in repo.checkpoints()] == [5_000]
    repo.delete_checkpoints(["P100"])
    assert repo.checkpoints() == []


def test_runs_skipped_records_and_reference_data(repo: SyncRepo) -> None:
    run = repo.start_run("full", T0)
    repo.record_skipped("issue", 42, "fields.updated: missing", {"id": "42"}, run_id=run)
    repo.finish_run(run, status="ok", counts={"issues": 3}, requests=7, retries=1, errors=[], at=T0 + timedelta(seconds=9))
    [r] = repo.runs()
    assert (r.mode, r.status, r.counts, r.requests, r.retries, r.finished_at) == (
        "full", "ok", {"issues": 3}, 7, 1, T0 + timedelta(seconds=9))
    assert repo.skipped() == [("issue", "42", "fields.updated: missing")]
    users = [UserRecord.from_json(u, True) for u in fixture("cloud-v3/users.get.go-atlassian.json")]
    repo.upsert_users(users, T0)
    repo.upsert_users(users[:1], T0, complete=True)  # the second user is gone from Jira
    assert (repo.counts()["users"], repo.counts(live=True)["users"]) == (2, 1)
    actors = RoleActorRecord.from_role_json(10000, fixture("cloud-v3/project-role.get.go-atlassian.json"), True)
    repo.replace_project_roles(10000, actors, T0)
    repo.replace_project_roles(10000, actors[:1], T0)
    assert repo.counts(live=True)["project_roles"] == 1
    grants = [PermissionGrantRecord.from_json(1, {"id": 5, "permission": "BROWSE_PROJECTS",
                                                  "holder": {"type": "group", "parameter": "jira-users"}}, True)]
    repo.replace_permission_grants(1, grants, T0)
    repo.set_project_permission_schemes({10000: 1}, T0)
    repo.replace_sprint_issues(3, [1, 2], T0)
    repo.replace_sprint_issues(3, [2], T0)
    live = repo.counts(live=True)
    assert (live["permission_grants"], live["project_permission_scheme"], live["issue_sprints"]) == (1, 1, 1)


def test_large_batches_stay_under_parameter_limits(repo: SyncRepo) -> None:
    page = [issue(i, updated_ms=10_000 + i) for i in range(1, 1_501)]
    repo.upsert_issues(page + page[:10], T0)  # duplicates in one batch: the last one wins
    repo.mark_issues(range(1, 1_201), "permission_lost", T0)  # more ids than one IN list holds
    assert repo.counts(live=True)["issues"] == 300


def test_parallel_project_writers_do_not_collide(repo: SyncRepo) -> None:
    """The engine syncs projects in parallel: concurrent page transactions must all land (SQLite: WAL)."""
    from concurrent.futures import ThreadPoolExecutor

    def write(project: int) -> None:
        for page in range(5):
            ids = range(project * 1000 + page * 20, project * 1000 + page * 20 + 20)
            with repo.transaction() as tx:
                tx.upsert_issues([issue(i, project=project, updated_ms=i) for i in ids], T0)
                tx.replace_children(list(ids), comments=[comment(i, i) for i in ids], at=T0)
                tx.save_checkpoint(f"P{project}", project_id=project, updated_ms=max(ids), issue_id=max(ids), fingerprint="f")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, [1, 2, 3, 4]))
    assert repo.counts(live=True)["issues"] == 400 and repo.counts(live=True)["comments"] == 400
    assert [c.updated_ms for c in repo.checkpoints()] == [1099, 2099, 3099, 4099]


# -- page writes store what SQLAlchemy stores -----------------------------------------------------
#
# upsert_issues / replace_children write through the DBAPI cursor with values already in their stored
# form (jirasync.store.bulk). Their rows must be exactly what SQLAlchemy's own bind processing stores
# for the same records: compared here as the database holds them, against rows written by plain
# SQLAlchemy inserts into another connection of the same database.

_STAMPED = ("connection_id", "synced_at", "deleted_at", "deleted_reason")


def _awkward_issues(cloud: bool) -> list[IssueRecord]:
    """Values that take the unusual paths: offsets other than UTC, JSON with non-str keys or that
    looks like a number, SQL NULL JSON, a date, text in and outside the BMP, quotes and backslashes."""
    plus10, minus0330 = timezone(timedelta(hours=10)), timezone(-timedelta(hours=3, minutes=30))
    base = issue(900_001, updated_ms=1_700_000_000_123, duedate="2026-02-28")
    return [
        replace(base, created=datetime(2026, 1, 2, 23, 59, 59, 999_999, tzinfo=plus10),
                resolution_date=datetime(1999, 12, 31, 20, 30, tzinfo=minus0330), summary="Ünïcødé ✓ 🚀 \"q\" \\ '",
                custom={"customfield_1": {1: "int key", "n": None}, "customfield_2": [1.5, True, None]},
                environment_raw=5, description_raw=None, description_md=None),
        replace(issue(900_002, updated_ms=1_700_000_000_000), created=None, labels=(), custom={},
                description_raw="plain wiki *text*" if not cloud else {"type": "doc", "content": []},
                environment_raw={"k": "\u0000\u2028 nul and line separator"}),
    ]


def _sqlalchemy_rows(model: type[Base], records: list[Any], connection_id: int, at: datetime) -> list[dict[str, Any]]:
    """One row per key (a link read from both of its issues comes twice: the later one wins). The
    ``raw`` column of an issue, comment or worklog holds its ``stored_raw``
    (``test_the_stored_issue_json_is_what_jira_sent``)."""
    table = model.__table__
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in records:
        row = {c.name: getattr(r, c.name) for c in table.c if c.name not in _STAMPED}
        if hasattr(r, "stored_raw"):  # issues, comments, worklogs
            row["raw"] = r.stored_raw
        row.update({"connection_id": connection_id, "synced_at": at, "deleted_at": None})
        if "deleted_reason" in table.c:
            row["deleted_reason"] = None
        rows[tuple(row[c.name] for c in table.primary_key.columns)] = row
    return list(rows.values())


def _stored(store: Store, model: type[Base], connection_id: int) -> list[tuple[Any, ...]]:
    """A connection's rows of one table exactly as stored: SQLite's values with their storage class,
    PostgreSQL's text of every value (JSON text as kept)."""
    table = model.__table__
    cols = [c.name for c in table.c if c.name != "connection_id"]
    keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    sqlite = store.engine.dialect.name == "sqlite"
    shown = ", ".join(f'"{c}", typeof("{c}")' if sqlite else f'CAST("{c}" AS TEXT)' for c in cols)
    with store.engine.connect() as conn:
        result = conn.exec_driver_sql(f'SELECT {shown} FROM "{table.name}" WHERE connection_id = {int(connection_id)} '
                                      f"ORDER BY {keys}")
        return [tuple(row) for row in result]


_CHILD_KINDS: dict[str, type[Base]] = {"comments": CommentRow, "worklogs": WorklogRow, "attachments": AttachmentRow,
                                       "histories": ChangelogRow, "links": IssueLinkRow}


def _page(served: dict[str, Any]) -> tuple[list[IssueRecord], dict[str, list[Any]]]:
    cloud = served["cloud"]
    issues = [IssueRecord.from_json(i, cloud, to_markdown=lambda v: "md ✓") for i in served["issues"]]
    issues += _awkward_issues(cloud)
    histories = [HistoryRecord.from_json(int(served["changelog"]["id"]), h, cloud)
                 for h in served["changelog"]["changelog"]["histories"]]
    children = {"comments": [c for i in issues for c in i.comments], "worklogs": [w for i in issues for w in i.worklogs],
                "attachments": [a for i in issues for a in i.attachments], "histories": histories,
                "links": [lk for i in issues for lk in i.links]}
    assert all(children.values()) and any(h.items for h in histories)
    return issues, children


def test_page_writes_store_exactly_what_sqlalchemy_stores(served: dict[str, Any], store: Store) -> None:
    issues, children = _page(served)
    ids = [i.id for i in issues]
    fast, slow = SyncRepo(store, new_connection(store)), new_connection(store)
    with fast.transaction() as tx:
        tx.upsert_issues(issues, T0)
        tx.replace_children(ids, **children, at=T0)
    items = [c for h in children["histories"] for c in h.items]
    with store.session() as s:
        for model, records in [(IssueRow, issues), *((_CHILD_KINDS[k], v) for k, v in children.items()),
                               (ChangeItemRow, items)]:
            s.execute(insert(model.__table__), _sqlalchemy_rows(model, records, slow, T0))
    for model in (IssueRow, *_CHILD_KINDS.values(), ChangeItemRow):
        got, want = _stored(store, model, fast.connection_id), _stored(store, model, slow)
        assert got and got == want, model.__tablename__

    # re-written a minute later, the same data: the same rows, stamped with the new time
    later = T0 + timedelta(minutes=1)
    with fast.transaction() as tx:
        tx.upsert_issues(issues, later)
        tx.replace_children(ids, **children, at=later)
    with store.session() as s:
        for model in (IssueRow, *_CHILD_KINDS.values(), ChangeItemRow):
            s.execute(update(model).where(model.connection_id == slow).values(synced_at=later))
    for model in (IssueRow, *_CHILD_KINDS.values(), ChangeItemRow):
        assert _stored(store, model, fast.connection_id) == _stored(store, model, slow), model.__tablename__


def test_page_rewrites_read_back_through_the_repository(store: Store) -> None:
    repo = SyncRepo(store, new_connection(store))
    awkward = _awkward_issues(cloud=True)[0]
    assert awkward.created is not None and awkward.resolution_date is not None
    # the parser gives UTC (SQLite keeps the wall time of a datetime, without its offset)
    first = replace(awkward, created=awkward.created.astimezone(UTC), resolution_date=awkward.resolution_date.astimezone(UTC))
    second = issue(900_003)
    link = IssueLinkRecord.from_json(first.id, {"id": "51", "type": {"id": "1", "name": "Blocks"},
                                                "outwardIssue": {"id": str(second.id)}}, True)
    histories = [HistoryRecord.from_json(first.id, {"id": str(h), "created": "2025-01-01T00:00:00.000+0200", "items": [
        {"field": "status", "fromString": "Open", "toString": "Done"}, {"field": "labels", "toString": "x"}]}, True)
        for h in (70, 71)]
    worklog = WorklogRecord.from_json(first.id, {"id": "80", "timeSpentSeconds": 60, "comment": "w",
                                                 "started": "2025-01-01T10:00:00.000-0500"}, True)
    ids = [first.id, second.id]
    with repo.transaction() as tx:
        tx.upsert_issues([first, second], T0)
        tx.replace_children(ids, comments=[comment(10, first.id), comment(11, first.id), comment(20, second.id)],
                            worklogs=[worklog], attachments=[], histories=histories, links=[link], at=T0)
    row = repo.issue(first.id)
    assert row is not None
    assert (row["summary"], row["custom"], row["environment_raw"], row["description_raw"]) == (
        first.summary, {"customfield_1": {"1": "int key", "n": None}, "customfield_2": [1.5, True, None]}, 5, None)
    assert row["labels"] == ["a"] and row["due_date"] == first.due_date and row["raw"] == first.stored_raw
    assert utc(row["created"]) == first.created and utc(row["resolution_date"]) == first.resolution_date
    assert utc(row["updated"]) == first.updated and utc(row["synced_at"]) == T0
    assert row["deleted_at"] is None and row["deleted_reason"] is None
    with store.session() as s:
        w = s.get(WorklogRow, (repo.connection_id, 80))
        assert w is not None and utc(w.started) == datetime(2025, 1, 1, 15, tzinfo=UTC) and w.comment_raw == "w"
    assert repo.live_child_ids("comments") == {first.id: {10, 11}, second.id: {20}}
    assert repo.counts(live=True)["changelog_items"] == 4 and repo.counts(live=True)["issue_links"] == 1

    # the next page: comment 11, history 71 (and its items), the worklog and the link are gone in Jira;
    # comment 10 was edited; the issue was deleted and comes back
    repo.mark_issues([first.id], "deleted", T0)
    later = T0 + timedelta(minutes=5)
    with repo.transaction() as tx:
        tx.upsert_issues([replace(first, summary="edited")], later)
        tx.replace_children(ids, comments=[comment(10, first.id, "edited"), comment(20, second.id)], worklogs=[],
                            attachments=[], histories=histories[:1], links=[], at=later)
    row = repo.issue(first.id)
    assert row is not None and (row["summary"], row["deleted_at"], row["deleted_reason"]) == ("edited", None, None)
    assert utc(row["synced_at"]) == later
    assert repo.live_child_ids("comments") == {first.id: {10}, second.id: {20}}
    assert repo.live_child_ids("worklogs") == {} and repo.live_child_ids("histories") == {first.id: {70}}
    live, every = repo.counts(live=True), repo.counts()
    assert (live["changelog_items"], every["changelog_items"]) == (2, 4)
    assert (live["issue_links"], every["issue_links"], every["comments"]) == (0, 1, 3)
    with store.session() as s:
        gone = s.get(CommentRow, (repo.connection_id, 11))
        kept = s.get(CommentRow, (repo.connection_id, 10))
        assert gone is not None and utc(gone.deleted_at) == later and gone.body_md == "HI"
        assert kept is not None and kept.deleted_at is None and kept.body_md == "EDITED"
        items = s.execute(select(ChangeItemRow.history_id, ChangeItemRow.deleted_at)
                          .where(ChangeItemRow.connection_id == repo.connection_id)).all()
        assert sorted((h, d is None) for h, d in items) == [(70, True), (70, True), (71, False), (71, False)]
    # an older snapshot of the issue does not overwrite the newer one
    repo.upsert_issues([replace(first, summary="stale", updated_ms=first.updated_ms - 1)], later)
    assert (repo.issue(first.id) or {})["summary"] == "edited"


# -- convergence property -------------------------------------------------------------------------

_op = st.one_of(
    st.tuples(st.just("upsert"), st.integers(1, 6), st.sampled_from([100, 200]), st.integers(0, 4)),
    st.tuples(st.just("mark"), st.integers(1, 6), st.sampled_from(["deleted", "moved", "permission_lost"]), st.just(0)),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_op, max_size=12))
def test_random_upserts_and_deletes_converge_to_the_model(store: Store, ops: list[tuple[str, int, Any, int]]) -> None:
    repo = SyncRepo(store, new_connection(store))
    model: dict[int, tuple[int, int, str | None]] = {}  # id -> (project, updated_ms, deleted_reason)
    for kind, iid, arg, version in ops:
        if kind == "upsert":
            if iid not in model or model[iid][1] <= version:
                model[iid] = (arg, version, None)
            repo.upsert_issues([issue(iid, project=arg, updated_ms=version)], T0)
        elif iid in model:
            model[iid] = (model[iid][0], model[iid][1], arg)
            repo.mark_issues([iid], arg, T0)
        else:
            assert repo.mark_issues([iid], arg, T0) == 0
    got = {d.id: (d.project_id, d.updated_ms, d.deleted_reason) for d in repo.issues_dump()}
    assert got == model
    for project in (100, 200):
        assert repo.live_issue_ids(project) == {i for i, (p, _, why) in model.items() if p == project and why is None}


_child_op = st.tuples(st.integers(1, 3), st.lists(st.integers(1, 8), max_size=5))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_child_op, max_size=8))
def test_children_replaces_converge_to_the_last_complete_list(store: Store, ops: list[tuple[int, list[int]]]) -> None:
    """Comment ids are global in Jira: a comment belongs to one issue, so draw its issue from its id."""
    repo = SyncRepo(store, new_connection(store))
    last: dict[int, set[int]] = {}
    for issue_id, raw_ids in ops:
        ids = {issue_id * 100 + i for i in raw_ids}
        repo.replace_issue_children(issue_id, comments=[comment(c, issue_id) for c in ids], at=T0)
        last[issue_id] = ids
    with store.session() as s:
        rows = s.execute(select(CommentRow.id, CommentRow.deleted_at).where(CommentRow.connection_id == repo.connection_id))
        live = {cid for cid, deleted in rows if deleted is None}
    assert live == set().union(*last.values())


def test_records_are_values() -> None:
    a = issue(1)
    assert replace(a, summary="x") != a and issue(1) == a  # raw is not part of equality


def test_every_table_and_column_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text()
    sections = {s.split("\n", 1)[0].strip(): s for s in doc.split("\n## ")[1:]}
    missing = [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables if t.name in SYNC_TABLES - {"connections"}
               for c in t.columns if f"| `{c.name}`" not in sections.get(t.name, "")]
    assert not missing, f"columns missing from docs/schema.md: {missing}"
