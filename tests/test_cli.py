"""The ``jirasync`` command as users run it: a real subprocess against jiraemu, secrets only from the
environment or stdin, and no secret anywhere it could leak (store, logs, argv, output)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from jiraemu import EmulatorServer
from jiraemu.server import free_port

SECRET = "emulator-token"  # the admin's API token: it must never show up outside the vault


def jirasync(home: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "JIRASYNC_"))}
    full_env.update({"JIRASYNC_HOME": str(home), "COLUMNS": "200"})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "jirasync.cli", "-v", *args],
        env=full_env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
    )


def test_connect_list_show_test_rotate_remove(cloud: EmulatorServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = jirasync(home, "connect", "acme", "--url", cloud.url + "/", "--auth", "api-token",
                 "--email", "admin@example.com", env={"JIRA_API_TOKEN": SECRET})
    assert r.returncode == 0, r.stderr
    assert "✓ credentials" in r.stdout and "saved connection acme" in r.stdout

    listed = json.loads(jirasync(home, "connections", "list", "--json").stdout)
    assert [c["name"] for c in listed] == ["acme"] and listed[0]["deployment"] == "Cloud"
    shown = json.loads(jirasync(home, "connections", "show", "acme", "--json").stdout)
    assert shown["time_zone"] == "America/Los_Angeles" and shown["auth"] == "api-token"

    tested = jirasync(home, "connections", "test", "acme", "--feature", "push", "--json")
    assert tested.returncode == 0 and json.loads(tested.stdout)["ok"] is True

    bad = jirasync(home, "connections", "rotate", "acme", "--secret-stdin", stdin="not-the-token\n")
    assert bad.returncode == 1 and "previous secret was kept" in bad.stderr
    good = jirasync(home, "connections", "rotate", "acme", "--secret-stdin", "--token-expires", "2099-01-01", stdin=SECRET + "\n")
    assert good.returncode == 0, good.stdout + good.stderr

    assert jirasync(home, "connections", "remove", "acme", "--yes").returncode == 0
    assert json.loads(jirasync(home, "connections", "list", "--json").stdout) == []
    leaks = [p for p in (r, tested, bad, good) if SECRET in p.stdout + p.stderr]
    assert not leaks


def test_bad_input_is_one_line_with_the_fix_and_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = jirasync(home, "connect", "x", "--url", "https://acme.atlassian.net/browse/ABC-1", "--auth", "api-token",
                 "--email", "a@b.c", env={"JIRA_API_TOKEN": "t"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "use https://acme.atlassian.net" in r.stderr
    r = jirasync(home, "connect", "x", "--url", "https://acme.atlassian.net", "--auth", "api-token", "--email", "a@b.c")
    assert r.returncode == 2 and "JIRA_API_TOKEN" in r.stderr and "Traceback" not in r.stderr
    r = jirasync(home, "connections", "show", "nope")
    assert r.returncode == 2 and "connections list" in r.stderr
    r = jirasync(home, "connect", "x", "--url", "http://127.0.0.1:1", "--auth", "pat", "--token-expires", "soon",
                 env={"JIRA_API_TOKEN": "t"})
    assert r.returncode == 2 and "--token-expires" in r.stderr


def test_failed_check_stores_nothing_and_explains(cloud: EmulatorServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = jirasync(home, "connect", "acme", "--url", cloud.url, "--auth", "api-token", "--email", "admin@example.com",
                 env={"JIRA_API_TOKEN": "wrong-token"})
    assert r.returncode == 1
    assert "✗ credentials" in r.stdout and "fix:" in r.stdout and "nothing was stored" in r.stderr
    assert json.loads(jirasync(home, "connections", "list", "--json").stdout) == []


def test_oauth2_through_the_cli_with_a_local_callback(cloud: EmulatorServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "JIRASYNC_"))}
    env.update({"JIRASYNC_HOME": str(home), "OAUTH_SECRET": "emulator-client-secret"})
    base = cloud.backend.gateway_base
    proc = subprocess.Popen(
        [sys.executable, "-m", "jirasync.cli", "connect", "o", "--url", cloud.url, "--auth", "oauth2",
         "--client-id", "emulator-client-id", "--secret-env", "OAUTH_SECRET", "--auth-base", base, "--api-base", base,
         "--redirect-uri", f"http://127.0.0.1:{port}/callback", "--no-browser", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 30
    url = None
    while url is None and time.monotonic() < deadline:
        url = next((ln.strip() for ln in lines if ln.startswith("http") and "/authorize?" in ln), None)
        time.sleep(0.05)
    assert url, "".join(lines)
    assert "state=" in url and "offline_access" in url
    httpx.get(url, follow_redirects=True, timeout=10)  # the "browser"
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, stdout + "".join(lines)
    assert json.loads(stdout)["ok"] is True
    shown = json.loads(jirasync(home, "connections", "show", "o", "--json").stdout)
    assert shown["cloud_id"] == cloud.backend.state.site.cloud_id and shown["auth"] == "oauth2"


def test_no_secret_in_store_logs_or_argv(cloud: EmulatorServer, dc: EmulatorServer, tmp_path: Path) -> None:
    """A known secret is nowhere but inside the vault: not in the store's bytes, debug logs, argv or output."""
    home = tmp_path / "home"
    runs = [
        jirasync(home, "connect", "c", "--url", cloud.url, "--auth", "api-token", "--email", "admin@example.com",
                 env={"JIRA_API_TOKEN": SECRET}),
        jirasync(home, "connect", "d", "--url", dc.url, "--auth", "pat", "--secret-stdin", stdin="emulator-pat\n"),
        jirasync(home, "connect", "b", "--url", dc.url, "--auth", "basic", "--username", "admin", env={"JIRA_API_TOKEN": "admin"}),
        jirasync(home, "connections", "test", "c"),
        jirasync(home, "connections", "show", "d", "--json"),
    ]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert any("GET /rest/api/3/myself" in r.stderr for r in runs)  # the debug log really ran
    secrets = [SECRET, "emulator-pat", "ZW11bGF0b3ItdG9rZW4", "YWRtaW5AZXhhbXBsZS5jb206ZW11bGF0b3ItdG9rZW4"]
    for path in home.rglob("*"):
        if path.is_file() and path.name != "secret.key":
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), path
    for r in runs:
        text = r.stdout + r.stderr + " ".join(map(str, r.args))
        assert not any(s in text for s in secrets)


def test_no_cli_option_takes_a_secret_as_a_value() -> None:
    import typer.main

    from jirasync.cli import app

    command = typer.main.get_command(app)
    names: list[str] = []

    def walk(cmd: Any) -> None:
        for param in getattr(cmd, "params", []):
            names.extend(param.opts)
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(command)
    risky = [n for n in names if re.search(r"token|password|secret|pat\b", n) and not n.endswith(("-env", "-stdin", "-expires"))]
    assert risky == []


@pytest.mark.parametrize("command", ["connect", "connections list", "connections show", "connections test",
                                     "connections rotate", "connections remove"])
def test_every_command_is_documented(command: str) -> None:
    from typer.testing import CliRunner

    from jirasync.cli import app

    docs = (Path(__file__).resolve().parent.parent / "docs" / "connecting.md").read_text()
    assert f"jirasync {command}" in docs
    out = CliRunner().invoke(app, [*command.split(), "--help"])
    assert out.exit_code == 0 and "Usage" in out.output


def test_configure_filters_then_sync_only_that_project(emulator: Any, tmp_path: Path) -> None:
    dc = emulator(flavor="datacenter", projects=2, issues=20)
    home = tmp_path / "home"
    env = {"JIRA_API_TOKEN": "emulator-pat"}
    assert jirasync(home, "connect", "dc", "--url", dc.url, "--auth", "pat", env=env).returncode == 0
    first = sorted(dc.backend.state.projects.values(), key=lambda p: p.id)[0].key
    bad = jirasync(home, "connections", "configure", "dc", "--created-after", "last week")
    assert bad.returncode == 2 and "created_after" in bad.stderr and "YYYY-MM-DD" in bad.stderr
    bad = jirasync(home, "connections", "configure", "dc", "--reference-refresh-hours", "-1")
    assert bad.returncode == 2 and "reference-refresh-hours" in bad.stderr and "e.g." in bad.stderr
    r = jirasync(home, "connections", "configure", "dc", "--project", first.lower(), "--interval", "15", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"filters": {"projects": [first]}, "interval_minutes": 15.0}
    r = jirasync(home, "connections", "configure", "dc", "--reference-refresh-hours", "6", "--json")
    assert json.loads(r.stdout) == {"filters": {"projects": [first]}, "interval_minutes": 15.0,
                                    "reference_refresh_hours": 6.0}
    synced = jirasync(home, "sync", "--connection", "dc", "--json", timeout=180)
    assert synced.returncode == 0, synced.stderr
    summary = json.loads(synced.stdout)
    assert {p["key"] for p in summary["projects"]} == {first}
