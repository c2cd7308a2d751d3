"""Benchmark jiraemu: start-up time, peak memory and pages of 100 full issues per second.

Each configuration runs ``jiraemu serve`` in its own process (so its start-up time and peak RSS are
its own), then a client pages through ``/search/jql`` with ``fields=*all`` and ``maxResults=100``
following ``nextPageToken`` (Cloud), or ``/rest/api/2/search`` with startAt (DC, capped at 1000 per
query, so it pages project by project). Prints one table, every configuration side by side.

    .venv/bin/python bench/emulator.py                 # 10k and 100k, Cloud and DC
    .venv/bin/python bench/emulator.py --sizes 10000   # quicker
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    flavor: str
    issues: int
    startup_s: float
    requests: int
    issues_served: int
    wall_s: float
    peak_rss_mb: float

    @property
    def pages_per_s(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    @property
    def issues_per_s(self) -> float:
        return self.issues_served / self.wall_s if self.wall_s else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def start(flavor: str, issues: int, projects: int) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    cmd = [sys.executable, "-m", "jiraemu", "serve", "--flavor", flavor, "--port", str(port),
           "--seed", "7", "--projects", str(projects), "--issues", str(issues), "--users", "50"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jiraemu exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{url}/rest/api/2/serverInfo", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    return proc, url, time.perf_counter() - t0


def auth(flavor: str) -> dict[str, str]:
    if flavor == "datacenter":
        return {"Authorization": "Bearer emulator-pat"}
    token = base64.b64encode(b"admin@example.com:emulator-token").decode()
    return {"Authorization": f"Basic {token}"}


def page_cloud(client: httpx.Client, jql: str, max_pages: int) -> tuple[int, int]:
    requests = served = 0
    token: str | None = None
    while requests < max_pages:
        body: dict[str, object] = {"jql": jql, "fields": ["*all"], "maxResults": 100}
        if token:
            body["nextPageToken"] = token
        r = client.post("/rest/api/3/search/jql", content=orjson.dumps(body),
                        headers={"Content-Type": "application/json"})
        r.raise_for_status()
        data = orjson.loads(r.content)
        requests += 1
        served += len(data["issues"])
        token = data.get("nextPageToken")
        if data.get("isLast") or not token:
            break
    return requests, served


def page_dc(client: httpx.Client, project_keys: list[str], max_pages: int) -> tuple[int, int]:
    requests = served = 0
    for key in project_keys:
        start_at = 0
        while requests < max_pages:
            r = client.get("/rest/api/2/search", params={"jql": f"project = {key} ORDER BY id ASC",
                                                         "fields": "*all", "maxResults": 100, "startAt": start_at})
            r.raise_for_status()
            data = orjson.loads(r.content)
            requests += 1
            served += len(data["issues"])
            start_at += len(data["issues"])
            if not data["issues"] or start_at >= min(data["total"], 1000):
                break
    return requests, served


def run(flavor: str, issues: int, projects: int, max_pages: int) -> Result:
    proc, url, startup = start(flavor, issues, projects)
    try:
        with httpx.Client(base_url=url, headers=auth(flavor), timeout=60) as client:
            keys = [p["key"] for p in client.get("/rest/api/2/project").json()]
            t0 = time.perf_counter()
            if flavor == "cloud":
                requests, served = page_cloud(client, "project in ({}) ORDER BY id ASC".format(",".join(keys)), max_pages)
            else:
                requests, served = page_dc(client, keys, max_pages)
            wall = time.perf_counter() - t0
        return Result(flavor, issues, startup, requests, served, wall, peak_rss_mb(proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def table(results: list[Result]) -> str:
    head = f"{'flavour':<11}{'issues':>8}{'start-up s':>12}{'requests':>10}{'served':>9}{'wall s':>9}" \
           f"{'pages/s':>9}{'issues/s':>10}{'peak MB':>9}"
    rows = [head, "-" * len(head)]
    for r in results:
        rows.append(f"{r.flavor:<11}{r.issues:>8}{r.startup_s:>12.2f}{r.requests:>10}{r.issues_served:>9}"
                    f"{r.wall_s:>9.2f}{r.pages_per_s:>9.1f}{r.issues_per_s:>10.0f}{r.peak_rss_mb:>9.0f}")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--flavors", default="cloud,datacenter")
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--max-pages", type=int, default=200, help="pages fetched per configuration")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        for flavor in args.flavors.split(","):
            results.append(run(flavor, size, args.projects, args.max_pages))
            print(f"  done: {flavor} {size}", file=sys.stderr, flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
