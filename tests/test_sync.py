"""The sync engine end to end against jiraemu over real HTTP, both flavours: the store equals the
emulator's ground truth after a full sync, converges after out-of-band changes (with the right
deletion reasons), costs a handful of requests when nothing changed, loses nothing at minute
boundaries in zones far from UTC, survives faults, and resumes after being killed mid-run."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from jiraemu import EmuConfig, EmulatorServer
from jirasync.client import ClientOptions
from jirasync.connections import Connections, Credentials
from jirasync.store.repo import SyncRepo
from jirasync.sync import Syncer, SyncSummary
from jirasync.sync import issues as issue_stream
from jirasync.sync.cursor import date_literal, literal_bound_ms, readings
from jirasync.sync.engine import connection_id
from jirasync.vault import Secret

FLAVORS = ["cloud", "datacenter"]
ADMIN = {"cloud": "admin@example.com", "datacenter": "admin"}


DEFAULTS: dict[str, Any] = {"projects": 2, "issues": 60, "users": 12}
# settings a test may change, put back before the next one
RESETTABLE: dict[str, Any] = {"timezone": "America/Los_Angeles", "index_lag_s": 0.0, "max_embedded_worklogs": 20}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, EmulatorServer]]:
    started: dict[str, EmulatorServer] = {}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def emulator(servers: dict[str, EmulatorServer]) -> Callable[..., EmulatorServer]:
    """conftest's fixture, with two differences: no OpenAPI validator (validating pages of 100 issues
    with every field and ADF document costs seconds a page; the endpoints a sync reads are validated
    by their own areas' tests), and one server per flavour for the module, reset to the seed (with
    the test's settings) before each test instead of started anew."""

    def start(**overrides: Any) -> EmulatorServer:
        flavor = overrides.pop("flavor", "cloud")
        server = servers.get(flavor)
        if server is None:
            server = servers[flavor] = EmulatorServer(EmuConfig(flavor=flavor, **DEFAULTS))
            server.start()
        control(server, "clock", {"reset": True, "freeze": False})
        control(server, "faults", {})
        control(server, "reset", {"seed": 7, "config": {**DEFAULTS, **RESETTABLE, **overrides}})
        return server

    return start


@pytest.fixture
def conns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connections]:
    monkeypatch.delenv("JIRASYNC_SECRET_KEY", raising=False)
    c = Connections.open(home=str(tmp_path / "home"))
    yield c
    c.store.close()


def connect(conns: Connections, emu: EmulatorServer, name: str = "jira") -> str:
    creds = (Credentials.api_token("admin@example.com", Secret("emulator-token")) if emu.backend.config.is_cloud
             else Credentials.pat(Secret("emulator-pat")))
    conn, report = asyncio.run(conns.add(name, emu.url, creds))
    assert conn is not None, [(i.name, i.detail) for i in report.items]
    return name


def sync(conns: Connections, name: str = "jira", **kw: Any) -> SyncSummary:
    options = kw.pop("options", None)
    return asyncio.run(Syncer(conns, name, options=options).run(**kw))


def control(emu: EmulatorServer, path: str, body: Any = None, **params: Any) -> Any:
    if body is None:
        return httpx.get(f"{emu.url}/_emulator/{path}", params=params, timeout=30).json()
    answer = httpx.post(f"{emu.url}/_emulator/{path}", json=body, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def truth(emu: EmulatorServer) -> dict[str, Any]:
    flavor = emu.backend.config.flavor
    return control(emu, "truth", user=ADMIN[flavor], include="comments,histories,worklogs")


def store_children(conns: Connections, table: str) -> dict[str, int]:
    with conns.store.engine.connect() as db:
        rows = db.execute(text(f"select issue_id, count(*) from {table} where deleted_at is null group by issue_id"))
        return {str(i): n for i, n in rows}


def assert_store_equals_truth(conns: Connections, emu: EmulatorServer, name: str = "jira", children: bool = True) -> dict[str, Any]:
    t = truth(emu)
    visible = set(t["visibleIds"])
    expected = {i["id"]: i for i in t["issues"] if i["id"] in visible}
    dump = SyncRepo(conns.store, connection_id(conns, name)).issues_dump()
    live = {str(d.id): d for d in dump if d.deleted_reason is None}
    assert sorted(live) == sorted(expected), (set(expected) - set(live), set(live) - set(expected))
    for iid, want in expected.items():
        got = live[iid]
        assert (got.key, got.updated_ms, str(got.project_id)) == (want["key"], want["updated"], want["projectId"]), iid
    if children:
        comments, histories = store_children(conns, "comments"), store_children(conns, "changelog")
        assert {i: comments.get(i, 0) for i in expected} == {i: len(w["comments"]) for i, w in expected.items()}
        assert {i: histories.get(i, 0) for i in expected} == {i: len(w["histories"]) for i, w in expected.items()}
        worklogs = store_children(conns, "worklogs")
        assert {i: worklogs.get(i, 0) for i in expected} == {i: len(w["worklogs"]) for i, w in expected.items()}
    return t


def requests_since(emu: EmulatorServer, since: int) -> dict[str, int]:
    return dict(control(emu, "stats", since=since, log=0)["byRoute"])


def now_ms(emu: EmulatorServer) -> int:
    return int(control(emu, "clock")["nowMs"])


# -- the cursor (pure) -----------------------------------------------------------------------------
ZONES = ["Pacific/Kiritimati", "America/St_Johns", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC"]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1_600_000_000_000, max_value=1_900_000_000_000), st.sampled_from(ZONES),
       st.integers(min_value=0, max_value=10))
def test_the_window_never_starts_after_the_cursor_minus_the_overlap(cursor_ms: int, zone: str, overlap_min: int) -> None:
    overlap = timedelta(minutes=overlap_min)
    literal = date_literal(cursor_ms, zone, overlap)
    wall = datetime.strptime(literal.strip('"'), "%Y/%m/%d %H:%M")
    latest = readings(wall, ZoneInfo(zone))[-1]
    bound = datetime.fromtimestamp(cursor_ms / 1000, UTC) - overlap
    assert latest <= bound  # Jira may read a DST-fold literal either way: both are early enough
    assert bound - latest < timedelta(minutes=61)  # ... and not needlessly early (at most a fold)
    assert literal_bound_ms(cursor_ms, zone, overlap) == int(latest.timestamp() * 1000)


def test_a_fall_back_fold_is_written_before_both_readings() -> None:
    # 01:31 happens twice in New York on 2026-11-01; at the first one, "01:31" could be read as the
    # second (an hour later) and skip an hour of changes: the literal steps back out of the fold
    first = datetime(2026, 11, 1, 1, 31, tzinfo=ZoneInfo("America/New_York"), fold=0).astimezone(UTC)
    assert date_literal(int(first.timestamp() * 1000), "America/New_York", timedelta(0)) == '"2026/11/01 00:31"'
    second = datetime(2026, 11, 1, 1, 31, tzinfo=ZoneInfo("America/New_York"), fold=1).astimezone(UTC)
    assert date_literal(int(second.timestamp() * 1000), "America/New_York", timedelta(0)) == '"2026/11/01 01:31"'
    assert date_literal(0, None, timedelta(0)) == "0"  # no zone known: epoch millis, unquoted


# -- full and incremental against the emulator -----------------------------------------------------
@pytest.mark.parametrize("flavor", FLAVORS)
def test_full_sync_equals_the_truth(emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str) -> None:
    emu = emulator(flavor=flavor, max_embedded_worklogs=1)  # and the worklog pages are read too
    name = connect(conns, emu)
    since = now_ms(emu)
    summary = sync(conns)
    t = assert_store_equals_truth(conns, emu)
    assert summary.status == "ok" and summary.counts()["new"] == t["total"] and summary.mode == "full"
    assert max(len(i["comments"]) for i in t["issues"]) > 100  # the embedded page was not enough
    routes = requests_since(emu, since)
    v = 3 if flavor == "cloud" else 2
    assert routes.get(f"GET /rest/api/{v}/issue/{{issueIdOrKey}}/comment", 0) >= 2  # only the busy issues
    assert routes.get(f"GET /rest/api/{v}/issue/{{issueIdOrKey}}/comment", 0) <= 6
    several = sum(1 for i in t["issues"] if len(i["worklogs"]) > 1)
    assert routes.get(f"GET /rest/api/{v}/issue/{{issueIdOrKey}}/worklog", 0) == several > 0
    if flavor == "cloud":
        assert routes["POST /rest/api/3/changelog/bulkfetch"] == 2  # one per project batch
    ref = summary.reference
    assert ref["users"] > 0 and ref["groups"] > 0 and ref["fields"] > 0 and ref["role_actors"] > 0
    assert ref["permission_schemes"] > 0 and ref["boards"] > 0 and ref["sprints"] > 0
    run = SyncRepo(conns.store, connection_id(conns, name)).runs(1)[0]
    assert run.status == "ok" and run.requests == summary.requests and run.counts["new"] == t["total"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_incremental_converges_after_out_of_band_changes(
    emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str
) -> None:
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    sync(conns)
    before = {i["key"]: i["id"] for i in truth(emu)["issues"]}
    fields = control(emu, "truth", include="fields")["issues"]
    parent = next(i["key"] for i in fields if i["projectKey"] == "ENG" and i["fields"].get("subtasks"))
    control(emu, "mutate", [
        {"op": "update", "issue": "SEC-3", "fields": {"summary": "Edited behind the sync", "labels": ["x"]}},
        {"op": "comment", "issue": "SEC-4", "body": "A comment written elsewhere"},
        {"op": "move", "issue": "SEC-1", "project": "ENG"},
        {"op": "delete", "issue": "SEC-5"},
        {"op": "delete", "issue": parent},  # its sub-tasks go with it, unaudited
        {"op": "set_security_level", "issue": "SEC-8", "level": "Internal"},
        {"op": "bulk_create", "project": "ENG", "count": 3},
        {"op": "remove_group_member", "group": "developers", "user": ADMIN[flavor]},  # Internal is now hidden
    ])
    summary = sync(conns)
    # the truth lists every comment, also those now restricted to the group the admin just left: the
    # API's own count (visibility applied) is checked for the busy issue below
    t = assert_store_equals_truth(conns, emu, children=False)
    assert summary.mode == "full"  # the user's groups changed: what they may see changed, so all is re-read
    v = 3 if flavor == "cloud" else 2
    auth = ("admin@example.com", "emulator-token") if flavor == "cloud" else ("admin", "admin")
    stored = store_children(conns, "comments")
    with httpx.Client(base_url=emu.url, auth=auth) as api:  # what the user may read now, issue by issue
        readable = {i: api.get(f"/rest/api/{v}/issue/{i}/comment", params={"maxResults": 0}).json()["total"]
                    for i in t["visibleIds"]}
    assert {i: stored.get(i, 0) for i in readable} == readable  # new comments in, newly hidden ones out
    counts = summary.counts()
    assert counts["new"] == 3 and counts["moved"] == 1 and counts["updated"] == 2
    dump = {d.id: d for d in SyncRepo(conns.store, connection_id(conns, "jira")).issues_dump()}
    assert len(dump) == len({d.id for d in dump.values()})  # one row per issue id
    moved = dump[int(before["SEC-1"])]
    assert moved.deleted_reason is None and moved.project_key == "ENG" and moved.key == t["movedKeys"]["SEC-1"]
    hidden = {int(i) for i in before.values()} - {int(i) for i in t["visibleIds"]} - {int(i) for i in t["deletedIds"]}
    assert hidden and int(before["SEC-8"]) in hidden
    reasons = {i: dump[i].deleted_reason for i in hidden | {int(before["SEC-5"])}}
    if flavor == "cloud":  # the audit log tells a deletion from a permission loss
        assert reasons.pop(int(before["SEC-5"])) == "deleted"
        assert all(dump[int(i)].deleted_reason == "deleted" for i in t["deletedIds"] if int(i) in dump)  # sub-tasks too
        assert set(reasons.values()) == {"permission_lost"}
        assert counts["deleted"] == 1 + 1 + len(next(i for i in fields if i["key"] == parent)["fields"]["subtasks"])
        assert counts["permission_lost"] == len(hidden)
    else:  # Data Center answers the same 404 for both and has no issue audit: "deleted" (documented)
        assert set(reasons.values()) == {"deleted"}
        assert counts["deleted"] == len(hidden) + 2 + len(next(i for i in fields if i["key"] == parent)["fields"]["subtasks"])


def test_a_project_that_vanishes_loses_its_issues_as_permission_lost(
    emulator: Callable[..., EmulatorServer], conns: Connections
) -> None:
    emu = emulator(flavor="cloud")
    connect(conns, emu)
    sync(conns)
    control(emu, "mutate", [{"op": "remove_role_actor", "project": "ENG", "role": role, "group": group}
                            for role, group in (("Developers", "developers"), ("Administrators", "jira-administrators"))])
    summary = sync(conns)
    t = assert_store_equals_truth(conns, emu, children=False)
    eng = [i for i in t["issues"] if i["projectKey"] == "ENG"]
    assert eng and not {i["id"] for i in eng} & set(t["visibleIds"])
    gone = {p.key: p for p in summary.projects}["ENG"]
    assert gone.mode == "gone" and gone.permission_lost == len(eng)
    dump = {str(d.id): d.deleted_reason for d in SyncRepo(conns.store, connection_id(conns, "jira")).issues_dump()}
    assert {dump[i["id"]] for i in eng} == {"permission_lost"}


def test_changed_filters_make_the_next_sync_full(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    emu = emulator(flavor="datacenter")
    connect(conns, emu)
    assert sync(conns).mode == "full" and sync(conns).mode == "incremental"
    with conns.store.engine.begin() as db:  # filters are connection options (set by their own command)
        db.execute(text("update connections set options = :o"), {"o": '{"filters": {"created_after": "2025-06-01"}}'})
    refiltered = sync(conns)
    assert refiltered.mode == "full" and refiltered.counts()["new"] == refiltered.counts()["updated"] == 0
    created = {i["id"]: i["created"] for i in truth(emu)["issues"]}
    since = int(datetime(2025, 6, 1, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp() * 1000)
    assert refiltered.counts()["unchanged"] == sum(1 for ms in created.values() if ms >= since)  # re-read
    assert sync(conns).mode == "incremental"


def test_the_sync_command(emulator: Callable[..., EmulatorServer], conns: Connections, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from jirasync.cli import app

    emu = emulator(flavor="datacenter")
    connect(conns, emu)
    home = ["--home", str(tmp_path / "home")]
    runner = CliRunner()
    table = runner.invoke(app, [*home, "sync", "--project", "SEC"])
    assert table.exit_code == 0, table.output
    assert "sync jira (full)" in table.output and "permission lost" in table.output
    as_json = runner.invoke(app, [*home, "sync", "--connection", "jira", "--json"])
    assert as_json.exit_code == 0, as_json.output
    summary = json.loads(as_json.stdout)
    assert summary["status"] == "ok" and {p["key"]: p["mode"] for p in summary["projects"]} == {
        "ENG": "full", "SEC": "incremental"}
    wrong = runner.invoke(app, [*home, "sync", "--project", "NOPE"])
    assert wrong.exit_code == 2 and "NOPE" in wrong.output and "pick from ENG, SEC" in wrong.output


@pytest.mark.parametrize("flavor", FLAVORS)
def test_syncs_during_random_changes_converge_with_nothing_lost_or_duplicated(
    emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str
) -> None:
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    sync(conns)
    control(emu, "mutator", {"rate_per_s": 25, "duration_s": 1.5, "seed": 5,
                             "ops": ["update", "comment", "move", "delete", "restrict"]})
    runs = 0
    while control(emu, "mutator")["running"]:
        sync(conns)
        runs += 1
    applied = control(emu, "mutator")["applied"]
    sync(conns)
    assert runs >= 1 and applied > 10
    assert_store_equals_truth(conns, emu, children=False)
    dump = SyncRepo(conns.store, connection_id(conns, "jira")).issues_dump()
    assert len(dump) == len({d.id for d in dump})  # 0 duplicated (0 lost: live == visible, above)
    deleted = set(truth(emu)["deletedIds"])
    assert all(d.deleted_reason is not None for d in dump if str(d.id) in deleted)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_no_change_incremental_costs_a_few_requests(
    emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str
) -> None:
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    sync(conns)
    since = now_ms(emu)
    summary = sync(conns)
    routes = requests_since(emu, since)
    issue_routes = {r: n for r, n in routes.items() if r.endswith(("/search/jql", "/api/2/search", "approximate-count"))
                    or "/issue/" in r or "changelog" in r or "auditing" in r}
    search = "POST /rest/api/3/search/jql" if flavor == "cloud" else "GET /rest/api/2/search"
    expected = {search: 4}  # per project: the id reconciliation and the empty window
    if flavor == "cloud":  # one audit read: no group, role, permission or security change since the last run
        expected["GET /rest/api/3/auditing/record"] = 1
        assert summary.requests <= 15, routes  # reference data is not re-read when the audit log shows no change
    assert issue_routes == expected
    assert summary.requests == sum(routes.values()) and summary.counts()["new"] == 0
    assert summary.counts()["updated"] == 0 and summary.retries == 0
    print(f"\n{flavor}: no-change incremental = {summary.requests} requests ({routes})")


# -- time zones, faults, resume --------------------------------------------------------------------
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/St_Johns"])
@pytest.mark.parametrize("flavor", FLAVORS)
def test_nothing_is_lost_at_minute_boundaries_far_from_utc(
    emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str, zone: str
) -> None:
    emu = emulator(flavor=flavor, timezone=zone)
    connect(conns, emu)
    assert conns.get("jira").time_zone == zone
    sync(conns)
    cursor = max(i["updated"] for i in truth(emu)["issues"])
    minute = cursor // 60_000 * 60_000
    # edits stamped around the cursor's minute: just before it, at its first and last millisecond, after
    stamps = [minute - 1, minute, minute + 59_999, cursor, cursor + 1, minute + 60_000]
    keys = ["SEC-10", "SEC-11", "SEC-12", "ENG-10", "ENG-11", "ENG-12"]
    control(emu, "mutate", [{"op": "update", "issue": k, "fields": {"updated": ms}} for k, ms in zip(keys, stamps, strict=True)])
    summary = sync(conns)
    assert_store_equals_truth(conns, emu, children=False)
    assert summary.counts()["updated"] >= 4  # the ones at or after the cursor's minute - overlap


@pytest.mark.parametrize("flavor", FLAVORS)
def test_nothing_is_lost_across_a_dst_fall_back(emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str) -> None:
    """The cursor sits in the first 01:xx of 2026-11-01 in New York; edits follow in that hour and in
    the repeated one. A literal read in the second hour would lose the edits of the first (jiraemu
    reads a fold as its first occurrence; the property test above covers either reading)."""
    utc = lambda h, m: int(datetime(2026, 11, 1, h, m, tzinfo=UTC).timestamp() * 1000)  # noqa: E731
    emu = emulator(flavor=flavor, timezone="America/New_York")
    control(emu, "clock", {"freeze": True, "set_ms": utc(5, 50)})  # 01:50 EDT, the first reading
    control(emu, "reset", {})  # data generated up to the frozen clock
    control(emu, "mutate", [{"op": "update", "issue": k, "fields": {"updated": utc(5, 40)}} for k in ("SEC-1", "ENG-1")])
    connect(conns, emu)
    sync(conns)
    control(emu, "clock", {"set_ms": utc(7, 0)})  # 02:00 EST
    stamps = {"SEC-2": utc(5, 41), "SEC-3": utc(5, 59), "ENG-2": utc(6, 10), "ENG-3": utc(6, 45)}  # 01:41 EDT … 01:45 EST
    control(emu, "mutate", [{"op": "update", "issue": k, "fields": {"updated": ms}} for k, ms in stamps.items()])
    summary = sync(conns)
    assert_store_equals_truth(conns, emu, children=False)
    assert summary.counts()["updated"] == len(stamps)


def test_a_lagging_search_index_converges_on_the_next_run(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    """Cloud search is eventually consistent: what the index has not seen yet is read by the next run."""
    emu = emulator(flavor="cloud")
    connect(conns, emu)
    sync(conns)
    control(emu, "config", {"index_lag_s": 1.0})
    control(emu, "mutate", [
        {"op": "update", "issue": "SEC-3", "fields": {"summary": "lagging"}},
        {"op": "move", "issue": "SEC-2", "project": "ENG"},
        {"op": "delete", "issue": "ENG-4"},
        {"op": "bulk_create", "project": "SEC", "count": 2},
    ])
    sync(conns)  # the index has not caught up: nothing may be lost or corrupted meanwhile
    time.sleep(1.1)
    sync(conns)
    assert_store_equals_truth(conns, emu)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_5xx_resets_and_429s_do_not_change_the_result(emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str) -> None:
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    control(emu, "faults", {"error_5xx_rate": 0.05, "reset_rate": 0.03, "error_429_rate": 0.03})
    # waits shortened (the emulator's Retry-After is honoured, capped by max_wait_s) to keep the test fast
    options = ClientOptions(max_retries=8, backoff_base_s=0.01, backoff_cap_s=0.05, max_wait_s=0.05)
    summary = sync(conns, options=options)
    control(emu, "mutate", [{"op": "update", "issue": "SEC-2", "fields": {"summary": "changed"}},
                            {"op": "comment", "issue": "ENG-2", "body": "again"}])
    second = sync(conns, options=options)
    control(emu, "faults", {})
    assert_store_equals_truth(conns, emu)
    assert summary.retries + second.retries > 0


class Killed(Exception):
    """Raised by ``KillAfter``: the run stops where a killed process would."""


class KillAfter:
    """A progress listener that kills the run after N committed pages."""

    def __init__(self, pages: int) -> None:
        self.pages = pages

    def start(self, project: str, total: int | None) -> None:
        pass

    def advance(self, project: str, issues: int) -> None:
        self.pages -= 1
        if self.pages == 0:
            raise Killed

    def finish(self, project: str) -> None:
        pass


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_killed_sync_resumes_without_refetching_finished_work(
    emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    monkeypatch.setattr(issue_stream, "CLOUD_PAGE", 10)
    monkeypatch.setattr(issue_stream, "DC_PAGE", 10)
    monkeypatch.setattr(issue_stream, "BATCH_ISSUES", 10)
    syncer = Syncer(conns, "jira", project_concurrency=1)
    with pytest.raises(Killed):
        asyncio.run(syncer.run(projects=["ENG", "SEC"], progress=KillAfter(4)))  # ENG (2 pages) done, SEC half
    repo = SyncRepo(conns.store, connection_id(conns, "jira"))
    assert repo.runs(1)[0].status == "failed"
    eng, sec = repo.get_checkpoint("ENG"), repo.get_checkpoint("SEC")
    assert eng is not None and eng.completed and sec is not None and not sec.completed
    stored = len([d for d in repo.issues_dump() if d.deleted_reason is None])
    assert 20 < stored < 60  # ENG's 20 and SEC's first batches
    since = now_ms(emu)
    summary = sync(conns)
    assert_store_equals_truth(conns, emu)
    assert summary.counts()["new"] == 60 - stored  # the rest of SEC: nothing is fetched twice but the overlap
    by_project = {p.key: p for p in summary.projects}
    assert by_project["ENG"].new == 0 and by_project["ENG"].updated == 0
    assert requests_since(emu, since)  # the resume itself is measured by the emulator


def test_kill_9_at_random_points_then_resume(emulator: Callable[..., EmulatorServer], conns: Connections, tmp_path: Path) -> None:
    """The CLI as a subprocess, killed with SIGKILL at a random request; the next run completes exactly."""
    emu = emulator(flavor="cloud", issues=240, projects=2)
    connect(conns, emu)
    control(emu, "faults", {"latency_ms": 10})
    command = [sys.executable, "-c", "from jirasync.cli import main; main()", "--home", str(tmp_path / "home"),
               "sync", "--json"]
    env = {k: v for k, v in os.environ.items() if k != "JIRASYNC_SECRET_KEY"}
    rng = random.Random()
    kills = 0
    for _ in range(1):  # each subprocess costs seconds of imports and migrations: one kill per run
        since, kill_at = now_ms(emu), rng.randint(2, 30)  # a random point: after this many requests
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            if control(emu, "stats", since=since, log=0)["total"] >= kill_at:
                proc.kill()
                kills += 1
                break
            time.sleep(0.05)
        proc.wait(timeout=30)
        control(emu, "mutate", {"op": "update", "issue": f"SEC-{rng.randint(1, 50)}", "fields": {"summary": "between kills"}})
    control(emu, "faults", {})
    partial = [d for d in SyncRepo(conns.store, connection_id(conns, "jira")).issues_dump() if d.deleted_reason is None]
    assert len(partial) < 240  # the kills left the work unfinished ...
    resumed = sync(conns)  # in-process: the resume is the same library call the CLI makes
    assert resumed.status == "ok" and kills == 1
    assert_store_equals_truth(conns, emu)  # ... and the resume finished it exactly
    runs = SyncRepo(conns.store, connection_id(conns, "jira")).runs(10)
    assert runs[0].status == "ok" and any(r.status == "running" for r in runs[1:])  # killed runs never finished


@pytest.mark.parametrize("flavor", FLAVORS)
def test_the_stored_issue_json_is_what_jira_sent(emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str) -> None:
    """``issues.raw`` leaves out what has its own raw column (description, environment, embedded
    comments, worklogs, DC histories); ``issue_json`` puts it back: equal to the search's JSON."""
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    sync(conns)
    cloud = flavor == "cloud"
    headers = {"Authorization": "Bearer emulator-pat"} if not cloud else {}
    auth = ("admin@example.com", "emulator-token") if cloud else None
    served: dict[int, Any] = {}
    for key in ("ENG", "SEC"):
        if cloud:
            page = httpx.post(f"{emu.url}/rest/api/3/search/jql", auth=auth, timeout=60,
                              json={"jql": f'project = "{key}" ORDER BY id ASC', "fields": ["*all"], "maxResults": 100}).json()
        else:
            page = httpx.get(f"{emu.url}/rest/api/2/search", headers=headers, timeout=60,
                             params={"jql": f'project = "{key}" ORDER BY id ASC', "fields": "*all",
                                     "expand": "changelog", "maxResults": 1000}).json()
        served.update({int(i["id"]): i for i in page["issues"]})
    repo = SyncRepo(conns.store, connection_id(conns, "jira"))
    assert len(served) == len([d for d in repo.issues_dump() if d.deleted_reason is None]) > 0
    for issue_id, want in served.items():
        assert repo.issue_json(issue_id) == want, issue_id
    with conns.store.engine.connect() as db:
        stored, whole = db.execute(text("select sum(length(raw)), count(*) from issues")).one()
    assert stored / whole < len(orjson.dumps(list(served.values()))) / len(served) * 0.8  # the point of it
    assert repo.issue_json(1) is None
