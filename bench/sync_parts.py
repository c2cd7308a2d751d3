"""Where a jirasync full sync's time goes: the whole run against its two sides, on one jiraemu.

Three measurements per repeat, in one process each (a fresh ``JIRASYNC_HOME``, the library's
``Syncer`` on a connection made by ``jirasync connect``):

- ``full sync``: the run as ``jirasync sync`` makes it;
- ``network side``: the same run with the batch step (``sync.batch.write_batch``: parsing,
  Markdown, store writes) replaced by a move of the cursor — what reading Jira costs alone, the
  floor of the run's wall time whatever the batch step costs;
- ``batch step``: the batches the full sync handed ``write_batch``, written again one after
  another into a copy of its store emptied of issues — what parsing and writing cost alone.

    .venv/bin/python bench/sync_parts.py                          # 10,000 issues at 100 ms, twice
    .venv/bin/python bench/sync_parts.py --issues 1000 --latency-ms 0 --repeat 3

Wall and CPU seconds (this process only; jiraemu runs in its own) and requests per part.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jirasync.client import ClientOptions
from jirasync.connections import Connections
from jirasync.store.repo import SyncRepo
from jirasync.sync import Syncer, engine
from jirasync.sync.batch import Batch, BatchResult, markdown_for, write_batch
from jirasync.sync.gc_policy import relaxed_gc
from sync import EMAIL, JIRASYNC, TOKEN, Emulator  # bench/sync.py: this folder is put on sys.path above

ISSUE_TABLES = ("issue_sprints", "issue_links", "attachments", "changelog_items", "changelog", "worklogs", "comments",
                "issues", "checkpoints")


def connect(emu: Emulator, home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRASYNC", "VIRTUAL_ENV"))}
    env.update(JIRASYNC_HOME=str(home), JIRA_API_TOKEN=TOKEN)
    subprocess.run([str(JIRASYNC), "--ca-bundle", emu.cert, "connect", "bench", "--url", emu.url, "--auth", "api-token",
                    "--email", EMAIL], env=env, check=True, capture_output=True, timeout=300)


def sync(emu: Emulator, home: Path, step: Callable[..., BatchResult]) -> tuple[float, float, int]:
    """One full sync with ``step`` as the batch step: (wall s, CPU s, requests)."""
    connect(emu, home)
    engine.write_batch = step  # the engine calls its module's name: the step under measurement
    try:
        conns = Connections.open(str(home), None)
        wall, cpu = time.perf_counter(), time.process_time()
        summary = asyncio.run(Syncer(conns, "bench", options=ClientOptions(verify=emu.cert)).run())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        conns.store.close()
    finally:
        engine.write_batch = write_batch
    return wall, cpu, summary.requests


def parts(emu: Emulator, work: Path) -> dict[str, tuple[float, float, int]]:
    out: dict[str, tuple[float, float, int]] = {}
    recorded: list[tuple[Batch, bool]] = []

    def recording(repo: SyncRepo, batch: Batch, cloud: bool, to_markdown: Any) -> BatchResult:
        recorded.append((batch, cloud))
        return write_batch(repo, batch, cloud, to_markdown)

    def cursor_only(repo: SyncRepo, batch: Batch, cloud: bool, to_markdown: Any) -> BatchResult:
        return BatchResult(batch.cursor, len(batch.items), [])

    out["network side"] = sync(emu, work / "network", cursor_only)
    out["full sync"] = sync(emu, work / "full", recording)  # (keeping the batches costs it some memory)
    db = work / "full" / "jirasync.db"
    with sqlite3.connect(db) as store:  # the full sync's store without its issues: reference data stays
        for table in ISSUE_TABLES:
            store.execute(f"DELETE FROM {table}")
    conns = Connections.open(str(work / "full"), None)
    repo = SyncRepo(conns.store, recorded[0][0].connection_id)
    converters = {cloud: markdown_for(cloud) for cloud in {c for _, c in recorded}}
    wall, cpu = time.perf_counter(), time.process_time()
    with relaxed_gc():
        for batch, cloud in recorded:
            write_batch(repo, batch, cloud, converters[cloud])
    out["batch step"] = (time.perf_counter() - wall, time.process_time() - cpu, 0)
    conns.store.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jirasync-parts-") as tmp:
        emu = Emulator(args.issues, args.latency_ms, args.projects, None, Path(tmp) / "tls")
        try:
            runs = []
            for n in range(args.repeat):
                work = Path(tmp) / f"run{n}"
                runs.append(parts(emu, work))
                shutil.rmtree(work, ignore_errors=True)
        finally:
            emu.close()
    print(f"`bench/sync_parts.py --issues {args.issues} --latency-ms {args.latency_ms:g} --repeat {args.repeat}` "
          f"(medians of {args.repeat})\n")
    print("| part | wall s | CPU s | requests |\n|---|---:|---:|---:|")
    for part in ("full sync", "network side", "batch step"):
        wall = statistics.median(r[part][0] for r in runs)
        cpu = statistics.median(r[part][1] for r in runs)
        print(f"| {part} | {wall:.2f} | {cpu:.2f} | {runs[0][part][2] or ''} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
