"""Search over the store, on SQLite and PostgreSQL: who may see each issue (every holder type,
security levels, reporter/assignee, inactive users) from hand-built store rows written through
the real record parsers and SyncRepo; FTS ranking, snippets and filters; the index following
issue changes; the migration; and, end to end, for random jiraemu users, ``as_user`` returns
exactly what jiraemu's ground truth says that user may see."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from jiraemu import EmuConfig, EmulatorServer
from jirasync.cli import app
from jirasync.cli_search import parse_when
from jirasync.connections import Connections, Credentials
from jirasync.exceptions import ConfigError, RecordError
from jirasync.records import (
    GroupMemberRecord,
    GroupRecord,
    IssueRecord,
    PermissionGrantRecord,
    PermissionSchemeRecord,
    ProjectRecord,
    RoleActorRecord,
    SecurityLevelRecord,
    UserRecord,
)
from jirasync.search import LevelMemberRecord, plan_for, replace_level_members, search, viewers
from jirasync.search.access import find_viewer
from jirasync.search.fts import fts5_query, refresh, stale_ids
from jirasync.search.members import sync_level_members
from jirasync.store import ConnectionRow, Store
from jirasync.store.models import IssueRow
from jirasync.store.repo import SyncRepo
from jirasync.sync import Syncer
from jirasync.sync.engine import connection_id
from jirasync.vault import Secret
from tests.support.databases import fresh_database, pg_unreachable

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# -- stores on both databases (a PostgreSQL schema of its own per module; a connection per test) ----






@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with fresh_database(str(request.param), tmp_path_factory.mktemp("search")) as url:
        s = Store(url)
        s.migrate()
        yield s
        s.close()


def new_connection(store: Store, deployment: str = "Cloud") -> int:
    with store.session() as s:
        row = ConnectionRow(name=f"c-{uuid.uuid4().hex[:10]}", url="https://x.example", deployment=deployment,
                            auth_method="api-token", secrets="-", options={})
        s.add(row)
        s.flush()
        return row.id


# -- a small Jira, written the way sync writes it ---------------------------------------------------


class World:
    """Builds store rows from Jira-shaped JSON through the record parsers and SyncRepo."""

    def __init__(self, store: Store, cloud: bool = True) -> None:
        self.store, self.cloud = store, cloud
        self.cid = new_connection(store, "Cloud" if cloud else "DataCenter")
        self.repo = SyncRepo(store, self.cid)
        self.users: list[UserRecord] = []
        self.groups: dict[str, list[str]] = {}
        self.projects: list[ProjectRecord] = []
        self.schemes: dict[int, list[dict[str, Any]]] = {}
        self.scheme_of: dict[int, int] = {}
        self.issue_seq = 0

    def _user_json(self, uid: str) -> dict[str, Any]:
        return {"accountId": uid} if self.cloud else {"key": uid, "name": uid.removeprefix("key-")}

    def user(self, uid: str, *, active: bool = True, account_type: str = "atlassian", email: str | None = None,
             groups: tuple[str, ...] = ()) -> str:
        data = {**self._user_json(uid), "displayName": uid.title(), "active": active, "accountType": account_type}
        if email:
            data["emailAddress"] = email
        self.users.append(UserRecord.from_json(data, self.cloud))
        for g in groups:
            self.groups.setdefault(g, []).append(uid)
        return uid

    def project(self, pid: int, key: str, lead: str | None = None, grants: list[tuple[str, str | None]] = (),
                roles: dict[int, list[tuple[str, str]]] | None = None) -> int:
        data: dict[str, Any] = {"id": str(pid), "key": key, "name": key.title()}
        if lead:
            data["lead"] = self._user_json(lead)
        self.projects.append(ProjectRecord.from_json(data, self.cloud))
        scheme = 900 + pid
        self.schemes[scheme] = [{"id": scheme * 100 + n, "permission": "BROWSE_PROJECTS",
                                 "holder": {"type": kind, **({"parameter": param} if param else {})}}
                                for n, (kind, param) in enumerate(grants)]
        self.schemes[scheme].append({"id": scheme * 100 + 99, "permission": "EDIT_ISSUES", "holder": {"type": "anyone"}})
        self.scheme_of[pid] = scheme
        role_json = [{"id": rid, "name": f"role{rid}", "actors": [
            {"type": "atlassian-user-role-actor", "actorUser": {"accountId": v}, "name": v} if kind == "user"
            else {"type": "atlassian-group-role-actor", "actorGroup": {"name": v}, "name": v}
            for kind, v in actors]} for rid, actors in (roles or {}).items()]
        self.role_json = getattr(self, "role_json", {})
        self.role_json[pid] = role_json
        return pid

    def level(self, level_id: int, members: list[tuple[str, str | None]]) -> int:
        self.repo.upsert_security_levels([SecurityLevelRecord.from_json(
            {"id": str(level_id), "name": f"L{level_id}"}, self.cloud, scheme_id=1)], T0)
        records = [LevelMemberRecord.from_json({"id": n, "issueSecurityLevelId": str(level_id),
                                                "holder": {"type": kind, **({"parameter": p} if p else {})}}, True)
                   for n, (kind, p) in enumerate(members)]
        with self.store.session() as s:
            replace_level_members(s, self.cid, level_id, records, T0)
        return level_id

    def issue(self, project: int, summary: str = "a task", *, reporter: str | None = None,
              assignee: str | None = None, level: int | None = None, description: str = "",
              comments: list[str | tuple[str, dict[str, str]]] = (), labels: list[str] = (),
              status: str = "To Do", updated: datetime = T0, iid: int | None = None) -> int:
        if iid is None:
            self.issue_seq += 1
            iid = project * 1000 + self.issue_seq
        key = next(p.key for p in self.projects if p.id == project)
        fields: dict[str, Any] = {
            "project": {"id": str(project), "key": key}, "summary": summary, "description": description or None,
            "status": {"id": "1", "name": status, "statusCategory": {"key": "new"}},
            "updated": updated.isoformat(timespec="milliseconds"), "labels": list(labels),
            "comment": {"total": len(comments), "comments": [
                {"id": str(iid * 100 + n), "body": c if isinstance(c, str) else c[0],
                 "created": T0.isoformat(), **({} if isinstance(c, str) else {"visibility": c[1]})}
                for n, c in enumerate(comments)]},
        }
        if reporter:
            fields["reporter"] = self._user_json(reporter)
        if assignee:
            fields["assignee"] = self._user_json(assignee)
        if level is not None:
            fields["security"] = {"id": str(level), "name": f"L{level}"}
        record = IssueRecord.from_json({"id": str(iid), "key": f"{key}-{iid}", "fields": fields}, self.cloud, str)
        with self.repo.transaction() as tx:
            tx.upsert_issues([record], T0)
            tx.replace_children([record.id], comments=record.comments, at=T0)
        return iid

    def commit(self) -> World:
        """Write users, groups, projects, roles and schemes (call after declaring them)."""
        r = self.repo
        r.upsert_users(self.users, T0, complete=True)
        r.upsert_groups([GroupRecord.from_json({"name": g, "groupId": f"gid-{g}"}, self.cloud) for g in self.groups], T0)
        for g, members in self.groups.items():
            r.replace_group_members(g, [GroupMemberRecord.from_json(g, self._user_json(u), self.cloud) for u in members], T0)
        r.upsert_projects(self.projects, T0, complete=True)
        for pid, roles in getattr(self, "role_json", {}).items():
            r.replace_project_roles(pid, [a for role in roles for a in RoleActorRecord.from_role_json(pid, role, self.cloud)], T0)
        for sid, grants in self.schemes.items():
            r.upsert_permission_schemes([PermissionSchemeRecord.from_json({"id": sid, "name": f"s{sid}"}, self.cloud)], T0)
            r.replace_permission_grants(sid, PermissionGrantRecord.from_scheme_json({"id": sid, "permissions": grants}, self.cloud), T0)
        r.set_project_permission_schemes(self.scheme_of, T0)
        return self

    def find(self, as_user: str | None = None, text: str = "", **filters: Any) -> set[str]:
        return {h.key for h in search(self.store, self.cid, text, as_user=as_user, limit=10_000, **filters)}


# -- permissions: every holder type -----------------------------------------------------------------

HOLDER_CASES = [
    # (grant, who sees every issue of the project, who sees none)
    (("anyone", None), {"ann", "bob", "cus"}, set()),
    (("applicationRole", None), {"ann", "bob"}, {"cus"}),
    (("group", "devs"), {"ann"}, {"bob", "cus"}),
    (("group", "gid-devs"), {"ann"}, {"bob", "cus"}),  # Cloud may name the group by its id
    (("user", "bob"), {"bob"}, {"ann", "cus"}),
    (("projectLead", None), {"cus"}, {"ann", "bob"}),
    (("projectRole", "10001"), {"bob"}, {"ann", "cus"}),  # bob is an actor by name
    (("projectRole", "10002"), {"ann"}, {"bob", "cus"}),  # ann through the group actor
]


@pytest.mark.parametrize(("grant", "see", "blind"), HOLDER_CASES, ids=[f"{g[0]}:{g[1]}" for g, _, _ in HOLDER_CASES])
def test_each_browse_holder_type(store: Store, grant: tuple[str, str | None], see: set[str], blind: set[str]) -> None:
    w = World(store)
    for uid, groups in (("ann", ("devs",)), ("bob", ()), ("cus", ())):
        w.user(uid, groups=groups, account_type="customer" if uid == "cus" else "atlassian")
    w.user("gone", active=False, groups=("devs",))
    p = w.project(1, "ALPHA", lead="cus", grants=[grant],
                  roles={10001: [("user", "bob")], 10002: [("group", "devs")], 10003: [("user", "gone")]})
    w.project(2, "OTHER", grants=[("user", "nobody")])
    w.commit()
    issues = {f"ALPHA-{w.issue(p)}" for _ in range(3)}
    w.issue(2)
    for uid in see:
        assert w.find(uid) == issues, uid
    for uid in blind | {"gone"}:
        assert w.find(uid) == set(), uid
    assert w.find() == issues | {"OTHER-2004"}  # no --as: everything synced


def test_reporter_and_assignee_grants_are_per_issue(store: Store) -> None:
    w = World(store)
    for uid in ("ann", "bob", "eve"):
        w.user(uid)
    w.project(1, "REP", grants=[("reporter", None)])
    w.project(2, "ASG", grants=[("assignee", None)])
    w.commit()
    r1 = w.issue(1, reporter="ann", assignee="bob")
    w.issue(1, reporter="bob", assignee="ann")
    a1 = w.issue(2, reporter="ann", assignee="bob")
    a2 = w.issue(2, reporter="bob", assignee=None)
    assert w.find("ann") == {f"REP-{r1}"}
    assert w.find("bob") == {f"REP-{r1 + 1}", f"ASG-{a1}"}
    assert w.find("eve") == set()
    assert f"ASG-{a2}" not in w.find("bob")


def test_security_levels_every_member_type(store: Store) -> None:
    w = World(store)
    w.user("ann", groups=("admins",))
    w.user("bob")
    w.user("dev")
    w.user("cus", account_type="customer")
    w.user("old", active=False, groups=("admins",))
    open_p = w.project(1, "OPEN", lead="bob", grants=[("anyone", None)], roles={10001: [("user", "dev")]})
    other = w.project(2, "SIDE", grants=[("anyone", None)], roles={10001: [("user", "bob")]})
    w.commit()
    by_group = w.level(501, [("group", "admins")])
    by_role = w.level(502, [("projectRole", "10001")])
    by_user = w.level(503, [("user", "bob")])
    by_reporter = w.level(504, [("reporter", None), ("assignee", None)])
    by_app = w.level(505, [("applicationRole", None)])
    by_lead = w.level(506, [("projectLead", None)])
    empty = w.level(507, [])  # a level whose members were never synced: nobody (deny when unknown)
    k = {name: f"{key}-{w.issue(pid, level=lv, reporter=rep, assignee=asg)}" for name, pid, key, lv, rep, asg in (
        ("public", open_p, "OPEN", None, None, None),
        ("group", open_p, "OPEN", by_group, None, None),
        ("role_open", open_p, "OPEN", by_role, None, None),
        ("role_side", other, "SIDE", by_role, None, None),
        ("user", open_p, "OPEN", by_user, None, None),
        ("reported", open_p, "OPEN", by_reporter, "cus", None),
        ("assigned", open_p, "OPEN", by_reporter, None, "dev"),
        ("app", open_p, "OPEN", by_app, None, None),
        ("lead", open_p, "OPEN", by_lead, None, None),
        ("lead_side", other, "SIDE", by_lead, None, None),
        ("empty", open_p, "OPEN", empty, None, None),
    )}
    want = {
        "ann": {"public", "group", "app"},
        "bob": {"public", "role_side", "user", "app", "lead"},
        "dev": {"public", "role_open", "assigned", "app"},
        "cus": {"public", "reported"},
        "old": set(),
    }
    for uid, names in want.items():
        assert w.find(uid) == {k[n] for n in names}, uid
    with store.session() as s:
        group_issue = int(k["group"].split("-")[1])
        assert viewers(s, w.cid, group_issue) == ["ann"]  # "old" is in the group but inactive
        assert viewers(s, w.cid, int(k["public"].split("-")[1])) == ["ann", "bob", "cus", "dev"]


def test_data_center_names_users_by_username_and_issues_by_key(store: Store) -> None:
    w = World(store, cloud=False)
    w.user("key-ann")  # key "key-ann", username "ann"
    w.user("key-bob")
    w.project(1, "DC", grants=[("user", "ann"), ("reporter", None)], roles={10001: [("user", "bob")]})
    w.commit()
    mine = w.issue(1)
    bobs = w.issue(1, reporter="key-bob")
    assert w.find("ann") == {f"DC-{mine}", f"DC-{bobs}"}
    assert w.find("bob") == {f"DC-{bobs}"}  # by username
    assert w.find("key-bob") == {f"DC-{bobs}"}  # by key


def test_as_user_names_and_errors(store: Store) -> None:
    w = World(store)
    w.user("acc-1", email="Jane@Example.com")
    w.project(1, "NAME", grants=[("user", "acc-1")])
    w.commit()
    iid = w.issue(1)
    assert w.find("jane@example.com") == w.find("acc-1") == {f"NAME-{iid}"}
    with pytest.raises(ConfigError, match="no synced user"):
        w.find("nobody@example.com")


def test_unknown_projects_schemes_and_holders_deny(store: Store) -> None:
    w = World(store)
    w.user("ann")
    w.project(1, "ODD", grants=[("userCustomField", "customfield_10100"), ("sd.customer.portal.only", None)])
    w.commit()
    w.issue(1)
    with store.session() as s:  # a project whose scheme was never synced
        s.add(IssueRow(connection_id=w.cid, id=77, key="GHOST-1", project_id=55, project_key="GHOST", summary="x",
                       updated=T0, updated_ms=1, labels=[], components=[], fix_versions=[], affects_versions=[],
                       custom={}, synced_at=T0))
    assert w.find("ann") == set()
    assert "GHOST-1" in w.find()


def test_level_members_parse_every_holder_form() -> None:
    spec_example = {"id": "10000", "issueSecurityLevelId": "20010", "issueSecuritySchemeId": "10010",
                    "holder": {"expand": "group", "type": "group", "group": {"name": "admins", "groupId": "g-1"}}}
    forms = [
        (spec_example, ("group", "admins")),
        ({"issueSecurityLevelId": "1", "holder": {"type": "group", "parameter": "admins", "value": "g-1"}}, ("group", "admins")),
        ({"issueSecurityLevelId": "1", "holder": {"type": "user", "user": {"accountId": "acc"}}}, ("user", "acc")),
        ({"issueSecurityLevelId": "1", "holder": {"type": "projectRole", "projectRole": {"id": 10002}}}, ("projectRole", "10002")),
        ({"issueSecurityLevelId": "1", "holder": {"type": "reporter"}}, ("reporter", None)),
    ]
    for data, (kind, param) in forms:
        record = LevelMemberRecord.from_json(data, cloud=True)
        assert (record.holder_type, record.holder_parameter) == (kind, param)
    assert LevelMemberRecord.from_json(spec_example, True).level_id == 20010
    for bad in ({"issueSecurityLevelId": "1"}, {"holder": {"type": "group"}}, {"issueSecurityLevelId": "1", "holder": {}}):
        with pytest.raises(RecordError):
            LevelMemberRecord.from_json(bad, True)


def test_replacing_level_members_retires_the_missing(store: Store) -> None:
    w = World(store)
    w.user("ann", groups=("a",))
    w.project(1, "LV", grants=[("anyone", None)])
    w.commit()
    w.level(801, [("group", "a"), ("user", "bob")])
    iid = w.issue(1, level=801)
    assert w.find("ann") == {f"LV-{iid}"}
    w.level(801, [("user", "bob")])  # the group left the level
    assert w.find("ann") == set()
    w.level(801, [("group", "a")])  # and came back
    assert w.find("ann") == {f"LV-{iid}"}


# -- the SQL predicate and the Python rules agree, on random worlds -----------------------------------

HOLDERS = st.sampled_from([("anyone", None), ("applicationRole", None), ("group", "g1"), ("group", "g2"),
                           ("user", "u1"), ("user", "u2"), ("projectLead", None), ("projectRole", "10001"),
                           ("reporter", None), ("assignee", None)])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sql_predicate_matches_python_rules(store: Store, data: st.DataObject) -> None:
    w = World(store)
    users = ["u1", "u2", "u3", "u4"]
    for u in users:
        w.user(u, active=u != "u4" or data.draw(st.booleans()),
               account_type=data.draw(st.sampled_from(["atlassian", "customer"])),
               groups=tuple(data.draw(st.sets(st.sampled_from(["g1", "g2"])))))
    for pid in (1, 2):
        w.project(pid, f"P{pid}", lead=data.draw(st.sampled_from(users)),
                  grants=data.draw(st.lists(HOLDERS, max_size=3)),
                  roles={10001: data.draw(st.lists(st.sampled_from([("user", "u1"), ("user", "u3"), ("group", "g2")]),
                                                   max_size=2, unique=True))})
    w.commit()
    levels = [w.level(600 + n, data.draw(st.lists(HOLDERS, max_size=2, unique=True))) for n in range(2)]
    facts = {}
    for _ in range(8):
        pid = data.draw(st.sampled_from([1, 2]))
        lv = data.draw(st.sampled_from([None, *levels]))
        rep, asg = data.draw(st.sampled_from([None, *users])), data.draw(st.sampled_from([None, *users]))
        iid = w.issue(pid, reporter=rep, assignee=asg, level=lv)
        facts[f"P{pid}-{iid}"] = (pid, lv, rep, asg)
    for u in users:
        with store.session() as s:
            plan = plan_for(s, w.cid, u)
        expected = {k for k, (pid, lv, rep, asg) in facts.items() if plan.can_see(pid, lv, rep, asg)}
        assert w.find(u) == expected, u


# -- full text: ranking, snippets, filters, staying in step ----------------------------------------


@pytest.fixture
def texts(store: Store) -> World:
    w = World(store)
    w.user("ann", email="ann@example.com")
    w.user("bob")
    w.project(1, "WEB", grants=[("anyone", None)])
    w.project(2, "API", grants=[("user", "bob")])
    w.commit()
    w.issue(1, "Login timeout on the checkout page", iid=1, description="Users see a spinner.", assignee="ann",
            labels=["frontend"], status="In Progress", updated=T0 - timedelta(days=3))
    w.issue(1, "Dark mode colours", iid=2, description="The login button is hard to read in dark mode.",
            updated=T0 - timedelta(days=1))
    w.issue(1, "Crash report", iid=3, comments=["Happens after a session timeout.",
                                                ("secret login timeout details", {"type": "group", "value": "admins"})])
    w.issue(2, "Token refresh", iid=4, labels=["login"], description="Refresh tokens expire early.")
    return w


def test_summary_matches_rank_first_with_marked_snippets(texts: World) -> None:
    hits = search(texts.store, texts.cid, "login")
    assert hits[0].key == "WEB-1"
    assert {h.key for h in hits} == {"WEB-1", "WEB-2", "API-4"}  # WEB-3's match is only in a restricted comment
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    assert "**Login**" in hits[0].snippet or "**login**" in hits[0].snippet.lower()
    dark = next(h for h in hits if h.key == "WEB-2")
    assert "**login**" in dark.snippet.lower() and dark.summary == "Dark mode colours"
    both = search(texts.store, texts.cid, "login spinner")  # summary and description match
    assert [h.key for h in both] == ["WEB-1"] and "**spinner**" in both[0].snippet  # the passage the summary lacks
    comment = search(texts.store, texts.cid, "session")
    assert comment[0].snippet.startswith("Happens after a **session** timeout")


def test_stemming_phrases_exclusion_or_and_prefix(texts: World) -> None:
    assert texts.find(text="timeouts") == {"WEB-1", "WEB-3"}  # stemmed; WEB-3 by its public comment
    assert texts.find(text='"session timeout"') == {"WEB-3"}
    assert texts.find(text="timeout -crash") == {"WEB-1"}
    assert texts.find(text="crash OR refresh") == {"WEB-3", "API-4"}
    assert texts.find(text="dar*") == {"WEB-2"}
    assert texts.find(text="secret details") == set()  # restricted comments are never indexed
    assert texts.find(text="(((") == set() and texts.find(text='AND OR NOT "') == set()


def test_filters(texts: World) -> None:
    assert texts.find(text="login", project="web") == {"WEB-1", "WEB-2"}
    assert texts.find(project=["WEB", "API"]) == {"WEB-1", "WEB-2", "WEB-3", "API-4"}
    assert texts.find(status="in progress") == {"WEB-1"}
    assert texts.find(assignee="ann@example.com") == texts.find(assignee="ann") == {"WEB-1"}
    assert texts.find(assignee="unassigned", project="WEB") == {"WEB-2", "WEB-3"}
    assert texts.find(updated_after=T0 - timedelta(days=2)) == {"WEB-2", "WEB-3", "API-4"}
    assert texts.find("ann", text="login") == {"WEB-1", "WEB-2"}  # API is bob's only
    assert texts.find("bob", text="login") == {"WEB-1", "WEB-2", "API-4"}
    assert [h.key for h in search(texts.store, texts.cid, "", limit=2)] == ["API-4", "WEB-3"]  # newest first


def test_the_index_follows_edits_moves_and_deletions(texts: World) -> None:
    assert texts.find(text="spinner") == {"WEB-1"}
    with texts.store.session() as s:
        assert refresh(s, texts.cid) == 0  # in step: the fingerprint matches, nothing is scanned
    texts.issue(1, "Login timeout on the checkout page", iid=1, description="Now a blank page.",
                updated=T0 + timedelta(minutes=1))
    with texts.store.session() as s:
        assert stale_ids(s, texts.cid) == [1]  # only the edited issue is rebuilt
    assert texts.find(text="spinner") == set() and texts.find(text="blank") == {"WEB-1"}
    texts.repo.mark_issues([2], "deleted", T0)
    assert "WEB-2" not in texts.find(text="login")
    texts.issue(1, "Dark mode colours", iid=2, description="The login button is hard to read in dark mode.",
                updated=T0 - timedelta(days=1))  # visible again, unchanged: found again
    assert "WEB-2" in texts.find(text="login")
    texts.issue(2, "Dark mode colours", iid=2, updated=T0 + timedelta(minutes=2))  # moved to API, edited
    assert texts.find(text="dark", project="API") == {"API-2"} and texts.find(text="dark", project="WEB") == set()


def test_concurrent_searches_rebuild_the_same_documents_without_colliding(store: Store) -> None:
    w = World(store)
    w.user("ann")
    w.project(1, "CON", grants=[("anyone", None)])
    w.commit()
    records = [IssueRecord.from_json({"id": str(n), "key": f"CON-{n}", "fields": {
        "project": {"id": "1", "key": "CON"}, "summary": f"parallel item {n}",
        "updated": T0.isoformat(timespec="milliseconds")}}, True) for n in range(1, 301)]
    w.repo.upsert_issues(records, T0)  # 300 issues, no documents yet
    barrier = threading.Barrier(4)
    answers: list[set[str]] = []
    errors: list[BaseException] = []

    def one() -> None:
        barrier.wait()
        try:
            answers.append({h.key for h in search(store, w.cid, "parallel", limit=1000)})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert answers == [{f"CON-{n}" for n in range(1, 301)}] * 4


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.sampled_from([*'ab -"*()OR:^{}NEAR+\'&|!<>.é中_0', "OR", "AND", "NOT", "login"]),
                      max_size=16).map("".join))
def test_any_typed_text_is_a_valid_query(texts: World, query: str) -> None:
    hits = search(texts.store, texts.cid, query, refresh=False)
    assert all(h.key for h in hits)


def test_query_translation_is_always_valid_fts5() -> None:
    assert fts5_query("") is None and fts5_query("-only") is None
    assert fts5_query('a "b c" -d') == '"a" AND "b c" NOT "d"'
    assert fts5_query("x OR y z") == '("x" OR "y") AND "z"'
    assert fts5_query("pre* NEAR(") == '"pre"* AND "NEAR"'


# -- the migration ----------------------------------------------------------------------------------


def test_migration_goes_down_and_up(tmp_path: Path) -> None:
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql" and pg_unreachable():
            continue
        with fresh_database(kind, tmp_path) as url:
            s = Store(url)
            try:
                s.migrate()
                assert {"search_docs", "security_level_members"} <= set(inspect(s.engine).get_table_names())
                _alembic(s, "downgrade", "0002")
                assert not {"search_docs", "security_level_members", "search_fts"} & set(inspect(s.engine).get_table_names())
                s.migrate()
                assert "search_docs" in inspect(s.engine).get_table_names()
            finally:
                s.close()


def _alembic(store: Store, verb: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from jirasync.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


# -- end to end: jiraemu's ground truth --------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        server = EmulatorServer(EmuConfig(**{"projects": 3, "issues": 80, "users": 16, **overrides}))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


async def _fetch_members(conns: Connections, cid: int, cloud: bool) -> int | None:
    async with conns.client("jira") as client:
        return await sync_level_members(client, conns.store, cid, cloud)


def _seed_level_members(emu: EmulatorServer, conns: Connections, cid: int, cloud: bool) -> None:
    """Security level members as Cloud's ``GET issuesecurityschemes/level/member`` pages them.
    jiraemu does not serve that endpoint (nor does Data Center's REST API have one), so the pages
    are built from the emulator's own scheme and parsed by the real parser — see docs/search.md."""
    state = emu.backend.state
    for scheme in state.security_schemes.values():
        for level in scheme.levels:
            values = []
            for n, (kind, param) in enumerate(level.members):
                if kind == "user" and param and not cloud:
                    param = state.users[param].name
                values.append({"id": n, "issueSecurityLevelId": level.id,
                               "holder": {"type": kind, **({"parameter": param} if param else {})}})
            with conns.store.session() as s:
                replace_level_members(s, cid, int(level.id), [LevelMemberRecord.from_json(v, cloud) for v in values])


def _control(emu: EmulatorServer, path: str, body: Any = None, **params: Any) -> Any:
    if body is None:
        return httpx.get(f"{emu.url}/_emulator/{path}", params=params, timeout=30).json()
    answer = httpx.post(f"{emu.url}/_emulator/{path}", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _assert_as_user_is_truth(emu: EmulatorServer, store: Store, cid: int, users: list[str], rng: random.Random) -> int:
    """For each user: the filter-only search as them equals jiraemu's visible set (of what the
    connection synced), and a text search as them is the unrestricted search cut to that set; for
    sampled issues, ``viewers`` names exactly the users whose truth holds it. Returns how many
    users had a partial view."""
    key_of = {str(i.id): i.key for i in SyncRepo(store, cid).issues_dump() if i.deleted_reason is None}
    stored = {h.key: h for h in search(store, cid, "", limit=100_000)}
    assert set(stored) == set(key_of.values())
    words = sorted({w for h in stored.values() for w in h.summary.lower().split() if w.isalpha() and len(w) > 3})
    partial = 0
    views: dict[str, set[str]] = {}
    for who in users:
        allowed = {key_of[i] for i in _control(emu, "truth", user=who)["visibleIds"] if i in key_of}
        seen = {h.key for h in search(store, cid, "", as_user=who, limit=100_000)}
        assert seen == allowed, (who, sorted(seen - allowed), sorted(allowed - seen))
        for word in rng.sample(words, min(3, len(words))):
            everyone = {h.key for h in search(store, cid, word, limit=100_000)}
            assert {h.key for h in search(store, cid, word, as_user=who, limit=100_000)} == everyone & allowed
        partial += bool(allowed) and len(allowed) < len(stored)
        views[who] = allowed
    # and the other way round: who may see an issue, for restricted and public issues alike
    with store.session() as s:
        ids = {key: int(i) for i, key in key_of.items()}
        store_id = {who: find_viewer(s, cid, who).user_id for who in users}
        restricted = sorted(s.scalars(select(IssueRow.key).where(IssueRow.connection_id == cid,
                                                                  IssueRow.deleted_at.is_(None),
                                                                  IssueRow.security_level_id.is_not(None))))
        assert restricted
        for key in rng.sample(restricted, min(6, len(restricted))) + rng.sample(sorted(stored), 6):
            sampled = {store_id[who] for who in users} & set(viewers(s, cid, ids[key]))
            assert sampled == {store_id[who] for who in users if key in views[who]}, key
    return partial


@pytest.mark.parametrize(("flavor", "db_kind"), [("cloud", "sqlite"), ("datacenter", "postgresql")])
def test_as_user_equals_jiraemu_truth_for_random_users(
    emulator: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flavor: str,
    db_kind: str,
) -> None:
    """Random users see exactly jiraemu's truth through ``as_user`` — after restricting random issues
    to security levels, and again after group and role changes and an incremental sync."""
    cloud = flavor == "cloud"
    emu = emulator(flavor=flavor, seed=11 if cloud else 12)
    rng = random.Random(4 if cloud else 5)
    keys = sorted(i["key"] for i in _control(emu, "truth")["issues"])
    secured = {p.key for p in emu.backend.state.projects.values() if p.security_scheme_id is not None}
    restrictable = [k for k in keys if k.split("-")[0] in secured]
    _control(emu, "mutate", [{"op": "set_security_level", "issue": k, "level": rng.choice(["Internal", "Confidential"])}
                             for k in rng.sample(restrictable, min(20, len(restrictable)))])
    monkeypatch.delenv("JIRASYNC_SECRET_KEY", raising=False)
    with fresh_database(db_kind, tmp_path) as db:
        conns = Connections.open(home=str(tmp_path / "home"), db=db)
        try:
            _end_to_end(emu, conns, cloud, keys, rng)
        finally:
            conns.store.close()


def _end_to_end(emu: EmulatorServer, conns: Connections, cloud: bool, keys: list[str], rng: random.Random) -> None:
    creds = (Credentials.api_token("admin@example.com", Secret("emulator-token")) if cloud
             else Credentials.pat(Secret("emulator-pat")))
    conn, report = asyncio.run(conns.add("jira", emu.url, creds))
    assert conn is not None, [(i.name, i.detail) for i in report.items]
    assert asyncio.run(Syncer(conns, "jira").run()).status == "ok"
    cid = connection_id(conns, "jira")
    if asyncio.run(_fetch_members(conns, cid, cloud)) is None:  # jiraemu does not serve the endpoint
        _seed_level_members(emu, conns, cid, cloud)
    people = _control(emu, "users")
    people = people.get("users", people) if isinstance(people, dict) else people
    names = [u["accountId"] if cloud else u["name"] for u in people]
    assert _assert_as_user_is_truth(emu, conns.store, cid, rng.sample(names, min(10, len(names))), rng)
    # membership changes behind the sync: the next search as anyone follows them
    projects = sorted({i["projectKey"] for i in _control(emu, "truth")["issues"]})
    groups = sorted({g for u in people for g in u.get("groups", [])})
    changes: list[dict[str, Any]] = [
        *({"op": "remove_role_actor", "project": p, "role": "Developers", "group": "developers"} for p in projects),
        *({"op": "add_group_member", "group": rng.choice(groups), "user": rng.choice(names)} for _ in range(3)),
    ]
    applied = [httpx.post(f"{emu.url}/_emulator/mutate", json=c, timeout=30).status_code for c in changes]
    assert applied.count(200) >= len(projects)  # adding a member twice may be refused
    assert asyncio.run(Syncer(conns, "jira").run()).status == "ok"
    assert _assert_as_user_is_truth(emu, conns.store, cid, rng.sample(names, min(10, len(names))), rng)


# -- the command -------------------------------------------------------------------------------------


def _cli(home: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JIRASYNC_SECRET_KEY", "JIRASYNC_DB", "JIRASYNC_HOME")}
    return subprocess.run([sys.executable, "-m", "jirasync.cli", "--home", str(home), "--db", db, *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_the_search_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"
    store = Store(db)
    store.migrate()
    try:
        w = World(store)
        w.user("ann", email="ann@example.com")
        w.user("bob")
        w.project(1, "WEB", grants=[("user", "ann")])
        w.project(2, "API", grants=[("anyone", None)])
        w.commit()
        w.issue(1, "Login [bold]timeout[/bold]", iid=1, description="spinner forever")
        w.issue(2, "Login token", iid=2, updated=T0 - timedelta(days=30))
    finally:
        store.close()
    home = tmp_path / "home"
    shown = _cli(home, db, "search", "timeout", "--project", "WEB")  # as users run it
    assert shown.returncode == 0 and "WEB-1" in shown.stdout and "[bold]timeout[/bold]" in shown.stdout  # escaped

    def run(*args: str) -> Any:
        result = CliRunner().invoke(app, ["--home", str(home), "--db", db, "search", *args])
        return json.loads(result.stdout) if "--json" in args else result

    found = run("login", "--json")
    assert {h["key"] for h in found} == {"API-2", "WEB-1"} and set(found[0]) == {"key", "summary", "score", "snippet"}
    assert [h["key"] for h in run("login", "--as", "bob", "--json")] == ["API-2"]
    assert [h["key"] for h in run("--updated-after", "2026-02-20", "--json", "--reindex")] == ["WEB-1"]
    assert [u["id"] for u in run("--who-can-see", "web-1", "--json")] == ["ann"]
    assert [u["id"] for u in run("--who-can-see", "API-2", "--json")] == ["ann", "bob"]
    assert run("--who-can-see", "WEB-9").exit_code == 2
    bad = run("x", "--as", "nobody")
    assert bad.exit_code == 2 and "no synced user" in bad.output
    bad_date = run("x", "--updated-after", "last tuesday")
    assert bad_date.exit_code == 2 and "--updated-after" in bad_date.output


def test_updated_after_forms() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_when("7d", None, now) == now - timedelta(days=7)
    assert parse_when("90m", "UTC", now) == now - timedelta(minutes=90)
    assert parse_when("2026-01-31", "Pacific/Kiritimati") == datetime(2026, 1, 30, 10, 0, tzinfo=UTC)
    assert parse_when("2026-01-31T09:30+02:00", "Asia/Tokyo") == datetime(2026, 1, 31, 7, 30, tzinfo=UTC)
    with pytest.raises(ConfigError):
        parse_when("yesterday-ish", None)
