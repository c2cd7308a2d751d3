"""A large project's full pass read as concurrent ranges of ``created``: the ranges cover every issue
exactly once whatever the boundaries (property), a sliced full sync equals the truth on both flavours,
a killed sliced pass resumes each range where it stopped, and the project's cursor afterwards lets
incremental runs converge. ``SLICE_ISSUES`` is lowered so the test projects (about 30 issues) slice."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiraemu import EmulatorServer
from jirasync.connections import Connections
from jirasync.exceptions import NotFound
from jirasync.store.repo import SyncRepo
from jirasync.sync import Syncer, slices
from jirasync.sync import issues as issue_stream
from jirasync.sync.engine import connection_id
from jirasync.sync.slices import Slice
from tests import test_sync as base
from tests.support.databases import fresh_database
from tests.test_sync import (
    FLAVORS,
    KillAfter,
    Killed,
    assert_store_equals_truth,
    connect,
    control,
    now_ms,
    requests_since,
    sync,
)

servers = base.servers
emulator = base.emulator
conns = base.conns


def contains(part: Slice, created: int) -> bool:
    return (part.lo_ms is None or created >= part.lo_ms) and (part.hi_ms is None or created < part.hi_ms)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**13)), st.lists(st.integers(min_value=0, max_value=10**13)))
def test_the_ranges_cover_every_created_exactly_once(bounds: list[int], created: list[int]) -> None:
    parts = slices.ranges(bounds)
    assert len(parts) == len(set(bounds)) + 1
    for value in [*created, *bounds]:
        assert sum(contains(p, value) for p in parts) == 1
    for p in parts:
        assert slices.parse_key(p.key("SEC")) == ("SEC", p)
    assert slices.parse_key("SEC") is None and slices.parse_key("~reference-audit") is None


def test_a_range_is_two_complementary_epoch_clauses() -> None:
    assert Slice(None, 5).jql() == "created < 5"
    assert Slice(5, 9).jql() == "created >= 5 AND created < 9"
    assert Slice(9, None).jql() == "created >= 9"
    assert Slice(None, None).jql() is None


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slices, "SLICE_ISSUES", 8)
    monkeypatch.setattr(issue_stream, "CLOUD_PAGE", 5)
    monkeypatch.setattr(issue_stream, "DC_PAGE", 5)
    monkeypatch.setattr(issue_stream, "BATCH_ISSUES", 5)


def slice_rows(conns: Connections) -> list[str]:
    return [cp.project_key for cp in SyncRepo(conns.store, connection_id(conns, "jira")).checkpoints()
            if slices.MARK in cp.project_key]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_sliced_full_sync_equals_the_truth_then_incrementals_converge(
    emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str, small_slices: None
) -> None:
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    since = now_ms(emu)
    summary = sync(conns)
    t = assert_store_equals_truth(conns, emu)
    assert summary.status == "ok" and summary.counts()["new"] == t["total"]
    routes = requests_since(emu, since)
    if flavor == "cloud":  # the boundary issues' ``created``, one bulkfetch per sliced project
        assert routes["POST /rest/api/3/issue/bulkfetch"] == 2
    searches = sum(n for r, n in routes.items() if "/search" in r)
    assert searches <= t["total"] // 5 + 3 * 2 * slices.MAX_SLICES  # pages, plus planning and short last pages
    repo = SyncRepo(conns.store, connection_id(conns, "jira"))
    assert slice_rows(conns) == []  # the ranges' cursors became the projects' own
    for key in ("ENG", "SEC"):
        cp = repo.get_checkpoint(key)
        assert cp is not None and cp.completed and cp.updated_ms is not None
    control(emu, "mutator", {"rate_per_s": 25, "duration_s": 1.0, "seed": 3, "ops": ["update", "comment", "move"]})
    while control(emu, "mutator")["running"]:
        sync(conns)
    again = sync(conns)
    assert again.mode == "incremental"
    assert_store_equals_truth(conns, emu, children=False)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_killed_sliced_pass_resumes_each_range_where_it_stopped(
    emulator: Callable[..., EmulatorServer], conns: Connections, flavor: str, small_slices: None
) -> None:
    emu = emulator(flavor=flavor)
    connect(conns, emu)
    with pytest.raises(Killed):
        asyncio.run(Syncer(conns, "jira").run(projects=["SEC"], progress=KillAfter(3)))
    repo = SyncRepo(conns.store, connection_id(conns, "jira"))
    assert repo.get_checkpoint("SEC") is None and len(slice_rows(conns)) >= 2  # the pass is still in ranges
    stored = len([d for d in repo.issues_dump() if d.deleted_reason is None])
    assert 0 < stored < 30
    summary = sync(conns, projects=["SEC"])
    assert summary.status == "ok" and slice_rows(conns) == []
    assert summary.counts()["new"] == len([d for d in repo.issues_dump() if d.deleted_reason is None]) - stored
    assert summary.counts()["new"] < 30  # the committed pages were not read again (overlap aside)
    sync(conns)
    assert_store_equals_truth(conns, emu)


def test_a_forced_full_pass_drops_the_ranges_of_an_unfinished_one(
    emulator: Callable[..., EmulatorServer], conns: Connections, small_slices: None
) -> None:
    emu = emulator(flavor="cloud")
    connect(conns, emu)
    repo = SyncRepo(conns.store, connection_id(conns, "jira"))
    repo.save_checkpoint(Slice(1, 2).key("SEC"), project_id=10000, updated_ms=None, issue_id=None, fingerprint="old")
    summary = sync(conns, full=True)
    assert summary.status == "ok" and slice_rows(conns) == []
    assert_store_equals_truth(conns, emu)


def test_kill_9_during_a_sliced_pass_then_resume(
    emulator: Callable[..., EmulatorServer], conns: Connections, tmp_path: Path
) -> None:
    """The CLI as a subprocess, its ranges small (``SLICE_ISSUES`` lowered in that process), killed with
    SIGKILL at a random request; the next run resumes the ranges and the store equals the truth."""
    emu = emulator(flavor="cloud", issues=240, projects=2)
    connect(conns, emu)
    control(emu, "faults", {"latency_ms": 10})
    code = ("import jirasync.sync.slices as s, jirasync.sync.issues as i; s.SLICE_ISSUES = 20; i.CLOUD_PAGE = 10; "
            "i.BATCH_ISSUES = 10; from jirasync.cli import main; main()")
    command = [sys.executable, "-c", code, "--home", str(tmp_path / "home"), "sync", "--json"]
    env = {k: v for k, v in os.environ.items() if k != "JIRASYNC_SECRET_KEY"}
    # a random point of the pass: after this many searches (2 are the ranges' id listings; 24 pages of 10)
    since, kill_at = now_ms(emu), random.Random().randint(6, 20)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if control(emu, "stats", since=since, log=0)["byRoute"].get("POST /rest/api/3/search/jql", 0) >= kill_at:
            proc.kill()
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    control(emu, "faults", {})
    assert proc.returncode == -9, "the sync finished before it could be killed"
    repo = SyncRepo(conns.store, connection_id(conns, "jira"))
    partial = len([d for d in repo.issues_dump() if d.deleted_reason is None])
    assert partial < 240 and slice_rows(conns)  # killed mid-pass: ranges remain
    resumed = sync(conns)
    assert resumed.status == "ok" and slice_rows(conns) == []
    assert_store_equals_truth(conns, emu)


def test_a_refused_plan_reads_the_project_as_one_search(
    emulator: Callable[..., EmulatorServer], conns: Connections, small_slices: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jira that refuses the planning requests (say, a site without ``issue/bulkfetch``): the pass
    is read as one search per project, not failed. (The refusal is injected: jiraemu has the endpoint.)"""
    emu = emulator(flavor="cloud")
    connect(conns, emu)

    async def refused(*_args: object) -> None:
        raise NotFound("no such endpoint", status=404, method="POST", path="/rest/api/3/issue/bulkfetch")

    monkeypatch.setattr(slices, "plan", refused)
    summary = sync(conns)
    assert summary.status == "ok" and slice_rows(conns) == []
    assert_store_equals_truth(conns, emu)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_sliced_full_sync_on_postgresql_equals_the_truth(
    emulator: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flavor: str,
    small_slices: None,
) -> None:
    """The same pass with the store on PostgreSQL (ranges' checkpoints, their merge, the page writes)."""
    emu = emulator(flavor=flavor)
    monkeypatch.delenv("JIRASYNC_SECRET_KEY", raising=False)
    with fresh_database("postgresql", tmp_path) as db:
        pg = Connections.open(home=str(tmp_path / "home"), db=db)
        try:
            connect(pg, emu)
            summary = sync(pg)
            assert summary.status == "ok" and slice_rows(pg) == []
            assert_store_equals_truth(pg, emu)
            repo = SyncRepo(pg.store, connection_id(pg, "jira"))
            whole = [repo.issue_json(d.id) for d in repo.issues_dump()]
            comments = [c for j in whole if j for c in (j["fields"].get("comment") or {}).get("comments", [])]
            assert comments and all("body" in c and "author" in c for c in comments)  # no stub left
        finally:
            pg.store.close()
