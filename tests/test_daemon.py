"""Scheduled sync: one run per connection at a time (across processes), runs at the interval and on
demand, against jiraemu over real HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from jiraemu import EmulatorServer
from jirasync.connections import Connections, Credentials
from jirasync.daemon import Daemon, RunLock
from jirasync.store import Store
from jirasync.vault import Secret, Vault

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def conns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connections]:
    monkeypatch.delenv("JIRASYNC_SECRET_KEY", raising=False)
    c = Connections.open(home=str(tmp_path / "home"))
    yield c
    c.store.close()


def test_the_lock_is_exclusive_and_released(conns: Connections) -> None:
    first, second = RunLock(conns, "acme"), RunLock(conns, "acme")
    assert first.acquire() and not second.acquire()
    assert RunLock(conns, "other").acquire()  # per connection
    first.release()
    assert second.acquire()
    second.release()


def test_the_lock_holds_across_processes(conns: Connections) -> None:
    lock = RunLock(conns, "acme")
    assert lock.acquire()
    assert conns.settings is not None
    probe = (
        "from jirasync.connections import Connections; from jirasync.daemon import RunLock; "
        f"c = Connections.open(home={str(conns.settings.home)!r}); print(RunLock(c, 'acme').acquire())"
    )
    env = {k: v for k, v in os.environ.items() if k != "JIRASYNC_SECRET_KEY"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
    lock.release()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "True"


def test_postgres_advisory_lock() -> None:
    store = Store(PG_URL)
    try:
        with store.engine.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:
        pytest.skip(f"no PostgreSQL server at {PG_URL}: {type(exc).__name__}")
    conns = Connections(store, Vault(os.urandom(32)))
    a, b = RunLock(conns, "pg-acme"), RunLock(conns, "pg-acme")
    try:
        assert a.acquire() and not b.acquire()
        a.release()
        assert b.acquire()
    finally:
        a.release()
        b.release()
        store.close()


def test_daemon_runs_at_the_interval_on_demand_and_skips_a_locked_connection(
    emulator: Callable[..., EmulatorServer], conns: Connections
) -> None:
    dc = emulator(flavor="datacenter", projects=1, issues=20)  # the schedule is flavour-blind: keep it small
    conn, _ = asyncio.run(conns.add("acme", dc.url, Credentials.pat(Secret("emulator-pat"))))
    assert conn is not None
    results: list[str] = []
    daemon = Daemon(conns, interval_min=60, tick_s=0.05,
                    on_result=lambda item, summary: results.append(summary.status if summary else "skipped"))

    async def scenario() -> None:
        await daemon.run_due()  # due at start: a full sync
        await daemon.run_due()  # not due again for an hour
        assert results == ["ok"]
        daemon.trigger("acme")  # on demand
        await daemon.run_due()
        assert results == ["ok", "ok"]
        with RunLock(conns, "acme"):  # a manual `jirasync sync` holds the lock
            daemon.trigger()
            await daemon.run_due()
        assert results == ["ok", "ok", "skipped"]
        assert daemon.schedule["acme"].skipped == 1

    asyncio.run(scenario())
    assert daemon.schedule["acme"].runs == 2


def test_daemon_once_from_the_cli(emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    dc = emulator(flavor="datacenter", projects=1, issues=20)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "JIRASYNC_"))}
    env.update({"JIRASYNC_HOME": str(tmp_path / "h"), "JIRA_API_TOKEN": "emulator-pat"})
    subprocess.run([sys.executable, "-m", "jirasync", "connect", "acme", "--url", dc.url, "--auth", "pat"],
                   env=env, check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-m", "jirasync", "daemon", "--once"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "acme: ok" in out.stdout and "next in 60 min" in out.stdout


def test_manual_sync_refuses_while_a_run_holds_the_lock(emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    dc = emulator(flavor="datacenter", projects=1, issues=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "JIRASYNC_"))}
    env.update({"JIRASYNC_HOME": str(tmp_path / "h"), "JIRA_API_TOKEN": "emulator-pat"})
    subprocess.run([sys.executable, "-m", "jirasync", "connect", "acme", "--url", dc.url, "--auth", "pat"],
                   env=env, check=True, capture_output=True)
    conns = Connections.open(home=str(tmp_path / "h"))
    with RunLock(conns, "acme"):
        out = subprocess.run([sys.executable, "-m", "jirasync", "sync", "--connection", "acme"], env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2 and "already running" in out.stderr
    conns.store.close()
