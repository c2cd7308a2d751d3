"""Scheduled sync: each connection at its interval, on demand, and never two runs of one connection
at once — across processes, so a manual ``jirasync sync`` and the daemon do not overlap.

* ``RunLock`` — PostgreSQL: a session advisory lock (works across machines sharing the store);
  SQLite: an ``flock`` on ``<home>/locks/<name>.lock``. Released when the holder exits, even on
  ``kill -9``.
* ``Daemon`` — runs every due connection (interval from the connection's ``options
  ["interval_minutes"]``, else the daemon's default of 60), one task per connection; a run that
  finds the lock taken is skipped until the next tick; ``trigger()`` (SIGUSR1 in the CLI) makes
  every connection due now.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text

from jirasync.connections import Connections
from jirasync.exceptions import JirasyncError
from jirasync.settings import DEFAULT_INTERVAL_MIN

log = logging.getLogger("jirasync.daemon")


class RunLock:
    """An exclusive, cross-process lock for one connection's sync."""

    def __init__(self, connections: Connections, name: str) -> None:
        self.connections = connections
        self.name = name
        self._file: IO[str] | None = None
        self._pg: Any = None

    def __repr__(self) -> str:
        return f"RunLock({self.name!r}, held={self.held})"

    @property
    def held(self) -> bool:
        return self._file is not None or self._pg is not None

    def _lock_dir(self) -> Path:
        settings = self.connections.settings
        if settings is not None:
            return settings.home / "locks"
        db = self.connections.store.engine.url.database
        return Path(db).resolve().parent / "locks" if db and db != ":memory:" else Path("/tmp/jirasync-locks")

    def acquire(self) -> bool:
        """Take the lock if free; False when another run holds it."""
        if self.held:
            return True
        engine = self.connections.store.engine
        if engine.dialect.name == "postgresql":
            conn = engine.connect()
            key = zlib.crc32(f"jirasync-sync:{self.name}".encode())
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            if got:
                self._pg = (conn, key)
            else:
                conn.close()
            return got
        folder = self._lock_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = open(folder / f"{self.name}.lock", "a+")  # noqa: SIM115 (held open while locked)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._pg is not None:
            conn, key = self._pg
            with contextlib.suppress(Exception):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
            conn.close()
            self._pg = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> RunLock:
        if not self.acquire():
            raise JirasyncError(
                f"a sync of {self.name} is already running", fix="wait for it to finish (the daemon runs it on schedule)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class Scheduled:
    name: str
    interval_s: float
    next_at: float
    runs: int = 0
    skipped: int = 0
    last_status: str | None = None
    last_error: str | None = None


@dataclass
class Daemon:
    connections: Connections
    names: list[str] | None = None
    interval_min: float = DEFAULT_INTERVAL_MIN
    tick_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    on_result: Callable[[Scheduled, Any], None] | None = None
    schedule: dict[str, Scheduled] = field(default_factory=dict)
    _wake: asyncio.Event | None = None

    def refresh(self) -> None:
        """Pick up connections added or removed since the last tick."""
        wanted = self.names or [c.name for c in self.connections.list()]
        now = self.clock()
        for conn in self.connections.list():
            if conn.name not in wanted:
                continue
            minutes = float(conn.options.get("interval_minutes", self.interval_min))
            if conn.name not in self.schedule:
                self.schedule[conn.name] = Scheduled(conn.name, minutes * 60, now)
            else:
                self.schedule[conn.name].interval_s = minutes * 60
        for name in list(self.schedule):
            if name not in wanted:
                del self.schedule[name]

    def trigger(self, name: str | None = None) -> None:
        """Make one connection (or all) due now."""
        now = self.clock()
        for item in self.schedule.values():
            if name is None or item.name == name:
                item.next_at = now
        if self._wake is not None:
            self._wake.set()

    async def run_one(self, item: Scheduled) -> Any:
        from jirasync.sync import Syncer

        lock = RunLock(self.connections, item.name)
        if not lock.acquire():
            item.skipped += 1
            item.next_at = self.clock() + self.tick_s
            log.info("sync of %s skipped: another run holds the lock", item.name)
            return None
        try:
            summary = await Syncer(self.connections, item.name).run()
            item.last_status, item.last_error = summary.status, None
            return summary
        except JirasyncError as exc:
            item.last_status, item.last_error = "failed", str(exc)
            log.warning("sync of %s failed: %s", item.name, exc)
            return None
        finally:
            lock.release()
            item.runs += 1
            item.next_at = self.clock() + item.interval_s

    async def run_due(self) -> list[Any]:
        self.refresh()
        now = self.clock()
        due = [item for item in self.schedule.values() if item.next_at <= now]
        results = await asyncio.gather(*(self.run_one(item) for item in due))
        for item, result in zip(due, results, strict=True):
            if self.on_result is not None:
                self.on_result(item, result)
        return list(results)

    async def run_forever(self, stop: asyncio.Event) -> None:
        self._wake = asyncio.Event()
        while not stop.is_set():
            await self.run_due()
            self._wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=self.tick_s, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
