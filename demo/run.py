"""``make demo``: a local Jira, a verified connection, and (as the connector grows) a sync and a search.

1. starts jiraemu (Cloud flavour, generated data) in this process, on port 8089 if free;
2. runs the real ``jirasync`` CLI against it, as a user would: ``jirasync connect`` (checklist),
   then ``jirasync sync`` twice (full, then incremental) and ``jirasync search`` when the installed
   jirasync has those commands;
3. keeps serving for curl when attached to a terminal (``--exit`` stops at once).

Everything lives in ``.demo/`` (the connector's store and key); nothing else is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from jiraemu.cli import banner
from jiraemu.config import EmuConfig
from jiraemu.server import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".demo"


def jirasync(*args: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
    env.update({"JIRASYNC_HOME": str(HOME), "JIRA_API_TOKEN": "emulator-token"})
    print(f"\n$ jirasync {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, "-m", "jirasync.cli", *args], env=env)


def has_command(name: str) -> bool:
    from jirasync.cli import app

    return any((c.name or getattr(c.callback, "__name__", "")) == name for c in app.registered_commands)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--exit", action="store_true", help="stop after the demo instead of serving on")
    args = parser.parse_args(argv)
    config = EmuConfig(flavor="cloud", issues=args.issues, projects=3, seed=7)
    try:
        server = EmulatorServer(config, port=args.port)
    except OSError:
        server = EmulatorServer(config, port=0)
    print(f"starting jiraemu with {args.issues} generated issues ...", flush=True)
    server.start()
    print(banner(server), flush=True)
    shutil.rmtree(HOME, ignore_errors=True)
    status = jirasync("connect", "demo", "--url", server.url, "--auth", "api-token",
                      "--email", "admin@example.com", "--feature", "sync", "--feature", "push")
    jirasync("connections", "list")
    if status == 0 and has_command("sync"):
        status = jirasync("sync", "--connection", "demo") or jirasync("sync", "--connection", "demo")
        if status == 0 and has_command("search"):
            jirasync("search", "login timeout", "--connection", "demo", "--limit", "5")
    print(f"\ntry it yourself:\n  curl -s -u admin@example.com:emulator-token {server.url}/rest/api/3/myself\n"
          f"  JIRASYNC_HOME={HOME} .venv/bin/jirasync connections test demo --feature push\n"
          f"  curl -s {server.url}/_emulator/stats | head -c 300")
    if args.exit or not sys.stdin.isatty():
        server.stop()
        return status
    print(f"\njiraemu keeps serving on {server.url}. Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    server.stop()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
