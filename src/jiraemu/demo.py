"""``make demo``: start jiraemu with generated data, show what it serves, keep it up for curl.

It runs the example calls itself and prints a short result for each, then keeps serving until
Ctrl-C when attached to a terminal (exits at once otherwise, or with ``--exit``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import Any

import httpx

from jiraemu.cli import banner
from jiraemu.config import EmuConfig
from jiraemu.server import EmulatorServer


def examples(url: str) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(title, curl command, path, json body or None)."""
    auth = "-u admin@example.com:emulator-token"
    jql = {"jql": "project IS NOT EMPTY AND updated >= -30d ORDER BY updated DESC", "fields": ["summary", "status", "updated"], "maxResults": 3}
    return [
        ("Who am I (note the profile time zone)", f"curl -s {auth} {url}/rest/api/3/myself", "/rest/api/3/myself", None),
        ("Projects", f"curl -s {auth} '{url}/rest/api/3/project/search'", "/rest/api/3/project/search", None),
        (
            "Enhanced search, 3 per page",
            f"curl -s {auth} -H 'Content-Type: application/json' -d '{{\"jql\": \"{jql['jql']}\", "
            f"\"fields\": [\"summary\",\"status\",\"updated\"], \"maxResults\": 3}}' {url}/rest/api/3/search/jql",
            "/rest/api/3/search/jql",
            jql,
        ),
        ("The removed search API answers 410", f"curl -s {auth} '{url}/rest/api/3/search?jql=project=X'", "/rest/api/3/search?jql=project%20IS%20NOT%20EMPTY", None),
        ("Ground truth for a perfect sync", f"curl -s '{url}/_emulator/truth?issues_only=true' | head -c 400", "/_emulator/stats", None),
    ]


def summarize(data: Any) -> str:
    if isinstance(data, dict):
        if "issues" in data:
            rows = [f"{i['key']}: {i.get('fields', {}).get('summary', '')[:50]} [{i.get('fields', {}).get('status', {}).get('name', '')}]"
                    for i in data["issues"]]
            return "\n".join([*rows, f"isLast={data.get('isLast')} nextPageToken={'yes' if data.get('nextPageToken') else 'absent'}"])
        if "values" in data:
            return ", ".join(f"{p.get('key')} ({p.get('name')})" for p in data["values"])
        if "errorMessages" in data:
            return "; ".join(data["errorMessages"])[:200]
        if "accountId" in data:
            return f"{data.get('displayName')} <{data.get('emailAddress')}> time zone {data.get('timeZone')}"
        return ", ".join(f"{k}={v}" for k, v in list(data.items())[:4])[:200]
    return str(data)[:200]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jiraemu.demo")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--exit", action="store_true", help="exit after the examples instead of serving on")
    args = parser.parse_args(argv)
    config = EmuConfig(flavor="cloud", port=args.port, issues=args.issues, projects=3, seed=7)
    try:
        server = EmulatorServer(config, port=args.port)
    except OSError:
        server = EmulatorServer(config, port=0)
    server.start()
    print(banner(server), "\n")
    with httpx.Client(base_url=server.url, auth=("admin@example.com", "emulator-token"), timeout=30) as client:
        for title, curl, path, body in examples(server.url):
            print(f"# {title}\n$ {curl}")
            response = client.post(path, json=body) if body else client.get(path)
            try:
                print(f"  -> {response.status_code}: {summarize(response.json())}\n")
            except ValueError:
                print(f"  -> {response.status_code}\n")
    if args.exit or not sys.stdin.isatty():
        print("(not a terminal: stopping; run `.venv/bin/jiraemu serve` to keep an emulator up)")
        server.stop()
        return 0
    print(f"jiraemu keeps serving on {server.url} — try the curl calls above. Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
