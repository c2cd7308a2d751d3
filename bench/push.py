"""Benchmark push: requests per record and wall time for 1,000 new and 1,000 unchanged records,
against a naive baseline (per record: search the label, then create or update) written here.

jiraemu runs in its own process (``jiraemu serve``); requests are counted by its control plane
(``/_emulator/stats``), so retries and every call are included.

    .venv/bin/python bench/push.py                    # 1,000 records, index lag 0
    .venv/bin/python bench/push.py --records 200 --index-lag 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jirasync.connections import Connections, Credentials  # noqa: E402
from jirasync.push import Pusher, PushOptions, PushRecord  # noqa: E402
from jirasync.vault import Secret  # noqa: E402

AUTH = ("admin@example.com", "emulator-token")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(index_lag: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "jiraemu", "serve", "--port", str(port), "--projects", "2", "--issues", "20",
                             "--users", "8"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/_emulator/config", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    httpx.post(f"{url}/_emulator/config", json={"index_lag_s": index_lag}).raise_for_status()
    return proc, url


def requests_so_far(url: str) -> int:
    stats = httpx.get(f"{url}/_emulator/stats", params={"log": 0}).json()
    return int(sum(stats["byRoute"].values()))


def records(n: int, tag: str) -> list[PushRecord]:
    return [PushRecord(f"bench/{i}", {"summary": f"finding {i} {tag}", "priority": "High"}, f"details of {i}") for i in range(n)]


async def naive(url: str, recs: list[PushRecord], prefix: str) -> None:
    """What most integrations do: one search per record, then one create or one update."""
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=url, auth=AUTH, timeout=60) as c:
        async def one(r: PushRecord) -> None:
            async with sem:
                label = f"{prefix}-{r.external_id.replace('/', '-')}"
                found = (await c.post("/rest/api/3/search/jql", json={"jql": f'project = SEC AND labels = "{label}"', "fields": ["id"]})).json()
                doc = {"version": 1, "type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": r.description_md}]}]}
                fields = {"summary": r.fields["summary"], "priority": {"name": "High"}, "description": doc}
                if found["issues"]:
                    await c.put(f"/rest/api/3/issue/{found['issues'][0]['id']}", json={"fields": fields})
                else:
                    await c.post("/rest/api/3/issue", json={"fields": {**fields, "project": {"key": "SEC"}, "issuetype": {"name": "Bug"},
                                                                       "labels": [label]}})
        await asyncio.gather(*(one(r) for r in recs))


def measure(url: str, label: str, n: int, fn: Any) -> tuple[str, float, float]:
    before = requests_so_far(url)
    started = time.perf_counter()
    fn()
    wall = time.perf_counter() - started
    return label, (requests_so_far(url) - before) / n, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--index-lag", type=float, default=0.0)
    args = ap.parse_args()
    n = args.records
    proc, url = start(args.index_lag)
    try:
        os.environ.pop("JIRASYNC_SECRET_KEY", None)
        conns = Connections.open(home=tempfile.mkdtemp())
        asyncio.run(conns.add("bench", url, Credentials.api_token(AUTH[0], Secret(AUTH[1]))))
        pusher = Pusher(conns, "bench", "SEC", "Bug", "bench", PushOptions(settle_s=max(5.0, args.index_lag * 2)))
        rows = [
            measure(url, "jirasync push: new", n, lambda: asyncio.run(pusher.upsert(records(n, "a")))),
            measure(url, "jirasync push: unchanged", n, lambda: asyncio.run(pusher.upsert(records(n, "a")))),
            measure(url, "jirasync push: all changed", n, lambda: asyncio.run(pusher.upsert(records(n, "b")))),
            measure(url, "naive: new", n, lambda: asyncio.run(naive(url, records(n, "a"), "naive"))),
            measure(url, "naive: unchanged", n, lambda: asyncio.run(naive(url, records(n, "a"), "naive"))),
        ]
        print(f"{n} records, index lag {args.index_lag} s, jiraemu in its own process")
        print(f"{'run':<28} {'requests/record':>16} {'wall s':>8}")
        for label, per, wall in rows:
            print(f"{label:<28} {per:>16.3f} {wall:>8.1f}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
