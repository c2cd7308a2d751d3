"""The control plane under /_emulator/, over real HTTP: every documented curl example runs, and each
endpoint does what a test oracle relies on (truth, stats, faults, config, clock, mutations, users,
reset, the built-in webhook receiver, the background mutator)."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from jiraemu import EmulatorServer
from jiraemu.auth.oauth1 import TEST_PRIVATE_KEY_PATH
from jiraemu.control.urls import control_routes
from tests.conftest import basic

DOC = Path(__file__).resolve().parents[1] / "docs" / "jiraemu-control-plane.md"
ADMIN_ID = "557058:f0000000-0000-4000-8000-000000000001"


@pytest.fixture
def emu(cloud: EmulatorServer) -> EmulatorServer:
    return cloud


@pytest.fixture
def api(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, timeout=30) as c:
        yield c


@pytest.fixture
def control(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url + "/_emulator", timeout=30) as c:
        yield c


def mutate(control: httpx.Client, status: int = 200, **op: Any) -> dict[str, Any]:
    r = control.post("/mutate", json=op)
    assert r.status_code == status, r.text
    result: dict[str, Any] = r.json()
    return result


def login(control: httpx.Client, name: str) -> dict[str, str]:
    user = next(u for u in control.get("/users").json() if u["name"] == name)
    return basic(user["email"], user["apiToken"])


# -- the documentation ----------------------------------------------------------------------------
def doc_commands() -> list[str]:
    text = DOC.read_text()
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        commands.extend(line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip().startswith("curl "))
    return commands


def run_curl(client: httpx.Client, command: str, base: str, files: dict[str, bytes]) -> httpx.Response:
    args = shlex.split(command.replace('"$JIRAEMU"', base).replace("$JIRAEMU", base))
    method, url, body, headers = "GET", "", None, {}
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in ("-X", "--request"):
            method = args[i + 1]
            i += 1
        elif arg in ("-d", "--data"):
            data = args[i + 1]
            body = files[data[1:]] if data.startswith("@") else data.encode()
            method = "POST" if method == "GET" else method
            i += 1
        elif arg in ("-H", "--header"):
            name, _, value = args[i + 1].partition(":")
            headers[name.strip()] = value.strip()
            i += 1
        elif arg in ("-u", "--user"):
            login, _, secret = args[i + 1].partition(":")
            headers.update(basic(login, secret))
            i += 1
        elif not arg.startswith("-"):
            url = arg
        i += 1
    return client.request(method, url, content=body, headers=headers)


def test_every_documented_example_runs(emu: EmulatorServer) -> None:
    pem = Path(str(TEST_PRIVATE_KEY_PATH).replace("key.pem", "pub.pem")).read_text()
    files = {"consumer.json": orjson.dumps({"consumer_key": "my-consumer", "public_key_pem": pem})}
    commands = doc_commands()
    assert len(commands) >= 30
    with httpx.Client(timeout=30) as client:  # one client: building an SSL context per call is slow
        for command in commands:
            check_example(client, command, emu.url, files)


def check_example(client: httpx.Client, command: str, base: str, files: dict[str, bytes]) -> None:
    r = run_curl(client, command, base, files)
    assert r.status_code < 300, f"{command}\n-> {r.status_code} {r.text[:300]}"
    if "/mutator\" -d" in command:
        time.sleep(0.6)  # let the documented half-second run finish before the next example


def test_every_control_route_is_documented(emu: EmulatorServer) -> None:
    text = DOC.read_text()
    documented = set(re.findall(r"^### (GET|POST|PUT|DELETE) (\S+)$", text, re.M))
    routes = {(m, r.path) for r in control_routes(emu.backend) for m in (getattr(r, "methods", None) or ()) if m != "HEAD"}
    missing = sorted(routes - documented)
    assert not missing, f"undocumented control routes: {missing}"
    examples = " ".join(doc_commands())
    for method, path in routes:
        stem = path.split("{")[0].rstrip("/")
        assert stem in examples, f"no example for {method} {path}"


# -- ground truth, users, stats -------------------------------------------------------------------
def test_truth_tracks_moves_deletes_and_visibility(emu: EmulatorServer, control: httpx.Client) -> None:
    before = control.get("/truth").json()
    assert before["total"] == len(emu.backend.state.issues) == len(before["issues"])
    first = before["issues"][0]
    assert set(first) >= {"id", "key", "projectId", "projectKey", "updated", "version"}
    moved = mutate(control, op="move", issue="SEC-1", project="ENG")["result"]
    deleted = mutate(control, op="delete", issue="SEC-2")["result"]
    after = control.get("/truth").json()
    assert after["movedKeys"]["SEC-1"] == moved["key"]
    gone = set(after["deletedIds"]) - set(before["deletedIds"])  # the issue and its sub-tasks
    assert deleted["id"] in gone and after["total"] == before["total"] - len(gone)
    assert not gone & {i["id"] for i in after["issues"]}
    assert next(i for i in after["issues"] if i["id"] == moved["id"])["version"] > next(
        i for i in before["issues"] if i["id"] == moved["id"]
    )["version"]
    everyone = control.get("/truth", params={"user": ADMIN_ID}).json()["visibleIds"]
    assert len(everyone) == after["total"]
    full = control.get("/truth", params={"include": "fields,comments"}).json()["issues"]
    busiest = max(full, key=lambda i: len(i["comments"]))
    live = emu.backend.state.issues[int(busiest["id"])]
    assert busiest["fields"]["summary"] == live.summary and busiest["key"] == live.key
    assert [c["id"] for c in busiest["comments"]] == [str(c.id) for c in live.comments] != []


def test_losing_a_role_hides_issues_in_truth_and_api(api: httpx.Client, emu: EmulatorServer, control: httpx.Client) -> None:
    users = {u["name"]: u for u in control.get("/users").json()}
    state = emu.backend.state
    restricted = list(state.projects.values())[-1]  # the restricted scheme: Developers and Administrators only
    developer = next(
        u for u in users.values()
        if "developers" in u["groups"] and not u["admin"] and u["active"] and u["accountType"] == "atlassian"
    )
    issue = next(i for i in state.issues.values() if i.project_id == restricted.id and i.security_level_id is None)
    visible = control.get("/truth", params={"user": developer["accountId"]}).json()["visibleIds"]
    assert str(issue.id) in visible
    headers = basic(developer["email"], developer["apiToken"])
    assert api.get(f"/rest/api/3/issue/{issue.key}", headers=headers).status_code == 200
    mutate(control, op="remove_group_member", group="developers", user=developer["name"])
    actors = restricted.role_actors.get(10001, [])
    for actor in [a for a in actors if a.kind == "user" and a.value == developer["accountId"]]:
        mutate(control, op="remove_role_actor", project=restricted.key, role=10001, user=actor.value)
    visible = control.get("/truth", params={"user": developer["accountId"]}).json()["visibleIds"]
    assert str(issue.id) not in visible
    assert api.get(f"/rest/api/3/issue/{issue.key}", headers=headers).status_code == 404


def test_users_lists_every_credential(api: httpx.Client, control: httpx.Client, emu: EmulatorServer) -> None:
    users = control.get("/users").json()
    admin = next(u for u in users if u["accountId"] == ADMIN_ID)
    assert (admin["email"], admin["apiToken"], admin["name"], admin["password"]) == (
        "admin@example.com", "emulator-token", "admin", "admin",
    )
    assert admin["pat"] == "emulator-pat" and admin["admin"] is True and admin["timeZone"] == "America/Los_Angeles"
    hidden = [u for u in users if not u["emailVisible"] and u["accountType"] == "atlassian"]
    assert hidden and all(u["email"] for u in hidden)
    some = next(u for u in users if u["active"] and u["apiToken"] and u["accountId"] != ADMIN_ID)
    assert api.get("/rest/api/3/myself", headers=basic(some["email"], some["apiToken"])).status_code == 200


def test_stats_count_jira_requests_and_filter_by_time(api: httpx.Client, emu: EmulatorServer, control: httpx.Client) -> None:
    auth = basic("admin@example.com", "emulator-token")
    api.get("/rest/api/3/myself", headers=auth)
    control.post("/clock", json={"freeze": True})
    mark = control.get("/clock").json()["nowMs"] + 1
    control.post("/clock", json={"advance_ms": 10})
    for _ in range(3):
        api.get("/rest/api/3/serverInfo", headers=auth)
    api.get("/rest/api/3/issue/NOPE-1", headers=auth)
    stats = control.get("/stats").json()
    assert stats["byRoute"]["GET /rest/api/3/serverInfo"] == 3 and stats["byRoute"]["GET /rest/api/3/myself"] == 1
    assert not any(k.startswith("GET /_emulator") for k in stats["byRoute"])
    recent = control.get("/stats", params={"since": mark, "log": 2}).json()
    assert recent["total"] == 4 and "GET /rest/api/3/myself" not in recent["byRoute"]
    assert recent["byStatus"] == {"200": 3, "404": 1} and len(recent["log"]) == 2


# -- faults, config, clock ------------------------------------------------------------------------
def test_faults_apply_live_and_never_to_the_control_plane(api: httpx.Client, emu: EmulatorServer, control: httpx.Client) -> None:
    auth = basic("admin@example.com", "emulator-token")
    r = control.post("/faults", json={"error_5xx_rate": 1.0, "paths": ["/myself"]})
    assert r.status_code == 200 and r.json()["error_5xx_rate"] == 1.0
    assert api.get("/rest/api/3/myself", headers=auth).status_code >= 500
    assert api.get("/rest/api/3/serverInfo", headers=auth).status_code == 200
    assert control.get("/faults").json()["paths"] == ["/myself"]
    assert control.post("/faults", json={}).json()["error_5xx_rate"] == 0.0
    assert api.get("/rest/api/3/myself", headers=auth).status_code == 200
    assert control.post("/faults", json={"error_rate": 1}).status_code == 400


def test_config_merges_and_refuses_what_cannot_change(emu: EmulatorServer, control: httpx.Client) -> None:
    r = control.post("/config", json={"index_lag_s": 3, "legacy_search": True, "ratelimit": {"burst": True}})
    assert r.status_code == 200
    assert emu.backend.config.index_lag_s == 3.0 and emu.backend.config.legacy_search is True
    assert emu.backend.config.ratelimit.burst is True and emu.backend.config.ratelimit.burst_rps["GET"] == 100
    assert control.get("/config").json()["ratelimit"]["burst"] is True
    assert control.post("/config", json={"flavor": "datacenter"}).status_code == 400
    assert control.post("/config", json={"no_such_setting": 1}).status_code == 400
    assert control.post("/config", json={"webhook_retry_delays_s": ["soon"]}).status_code == 400
    bad = control.post("/config", json={"legacy_search": "yes"})
    assert bad.status_code == 400 and "legacy_search" in bad.json()["errors"]
    assert emu.backend.config.legacy_search is True


def test_clock_freezes_and_advances(control: httpx.Client, emu: EmulatorServer) -> None:
    frozen = control.post("/clock", json={"freeze": True}).json()
    assert frozen["frozen"] is True
    time.sleep(0.05)
    assert control.get("/clock").json()["nowMs"] == frozen["nowMs"]
    advanced = control.post("/clock", json={"advance_ms": 3_600_000}).json()
    assert advanced["nowMs"] == frozen["nowMs"] + 3_600_000 and emu.backend.now_ms() == advanced["nowMs"]
    thawed = control.post("/clock", json={"freeze": False}).json()
    assert thawed["frozen"] is False and thawed["offsetMs"] >= 3_599_000
    assert control.post("/clock", json={"reset": True}).json()["offsetMs"] < 1000


# -- mutations ------------------------------------------------------------------------------------
def test_update_can_set_updated_and_is_logged(emu: EmulatorServer, control: httpx.Client) -> None:
    entry = mutate(control, op="update", issue="SEC-3", fields={"summary": "Edited elsewhere", "updated": 1767225600000})
    assert entry["result"]["updated"] == 1767225600000
    issue = emu.backend.state.issue_by_key_or_id("SEC-3")
    assert issue is not None and issue.summary == "Edited elsewhere" and issue.updated == 1767225600000
    truth = {i["key"]: i for i in control.get("/truth").json()["issues"]}
    assert truth["SEC-3"]["updated"] == 1767225600000
    mutate(control, op="comment", issue="SEC-3", body="hello")
    log = control.get("/mutations").json()
    assert [m["op"] for m in log] == ["update", "comment"] and log[0]["as"] == ADMIN_ID
    assert [m["seq"] for m in control.get("/mutations", params={"after": 1}).json()] == [2]


def test_delete_as_another_user_follows_permissions_and_audits(emu: EmulatorServer, control: httpx.Client) -> None:
    users = control.get("/users").json()
    outsider = next(u for u in users if not u["admin"] and u["active"] and "developers" not in u["groups"] and u["accountType"] == "atlassian")
    r = control.post("/mutate", json={"op": "delete", "issue": "ENG-2", "as": outsider["accountId"]})
    assert r.status_code in (403, 404)
    assert control.get("/mutations").json() == []
    audit_before = len(emu.backend.state.audit)
    mutate(control, op="delete", issue="ENG-2", **{"as": "admin"})
    records = emu.backend.state.audit[audit_before:]
    assert any(r.summary == "Issue deleted" and r.object_item.get("name") == "ENG-2" for r in records)


def test_bulk_create_and_bad_ops(control: httpx.Client) -> None:
    total = control.get("/truth").json()["total"]
    created = mutate(control, op="bulk_create", project="ENG", count=7)["result"]
    assert created["created"] == 7 and len(set(created["keys"])) == 7
    assert control.get("/truth").json()["total"] == total + 7
    assert control.post("/mutate", json={"op": "explode"}).status_code == 400
    assert control.post("/mutate", json={"op": "move", "issue": "NOPE-1", "project": "ENG"}).status_code == 404
    assert control.post("/mutate", content=b"{not json").status_code == 400


def test_set_security_level_restricts_an_issue(emu: EmulatorServer, control: httpx.Client) -> None:
    users = control.get("/users").json()
    issue = next(i for i in emu.backend.state.issues.values() if i.key.startswith("SEC-") and i.security_level_id is None)
    viewer = next(
        u for u in users
        if not u["admin"] and u["active"] and u["accountId"] != issue.reporter_id and u["accountType"] == "atlassian"
        and str(issue.id) in control.get("/truth", params={"user": u["accountId"]}).json()["visibleIds"]
    )
    mutate(control, op="set_security_level", issue=issue.key, level="Confidential")
    assert str(issue.id) not in control.get("/truth", params={"user": viewer["accountId"]}).json()["visibleIds"]
    assert control.post("/mutate", json={"op": "set_security_level", "issue": issue.key, "level": "Nope"}).status_code == 400


def test_mutator_runs_at_a_rate_and_logs(control: httpx.Client) -> None:
    r = control.post("/mutator", json={"rate_per_s": 50, "duration_s": 0.4, "ops": {"update": 3, "comment": 1}, "seed": 5})
    assert r.status_code == 201 and r.json()["running"] is True
    deadline = time.monotonic() + 5
    while control.get("/mutator").json()["running"] and time.monotonic() < deadline:
        time.sleep(0.05)
    status = control.get("/mutator").json()
    assert status["running"] is False and 5 <= status["applied"] <= 25
    assert set(status["byOp"]) <= {"update", "comment"}
    assert len(control.get("/mutations").json()) == status["applied"]
    assert control.post("/mutator", json={"rate_per_s": 0}).status_code == 400


# -- receiver and reset ---------------------------------------------------------------------------
def test_receiver_fails_as_configured_then_records(control: httpx.Client) -> None:
    assert control.put("/webhook-receiver/x", json={"fail": 1, "status": 429}).json()["settings"]["fail"] == 1
    assert control.post("/webhook-receiver/x", json={"a": 1}).status_code == 429
    assert control.post("/webhook-receiver/x", json={"a": 2}).status_code == 200
    got = control.get("/webhook-receiver/x").json()
    assert [r["body"] for r in got["requests"]] == [{"a": 1}, {"a": 2}]
    assert [r["answeredStatus"] for r in got["requests"]] == [429, 200]
    assert control.delete("/webhook-receiver/x").status_code == 204
    assert control.get("/webhook-receiver/x").json()["count"] == 0
    assert control.put("/webhook-receiver/x", json={"fail": -1}).status_code == 400


def test_reset_reseeds_and_clears(api: httpx.Client, emu: EmulatorServer, control: httpx.Client, emulator: Callable[..., EmulatorServer]) -> None:
    mutate(control, op="bulk_create", project="ENG", count=2)
    control.post("/webhook-receiver/r", json={})
    keys_before = [i["key"] for i in control.get("/truth").json()["issues"]]
    r = control.post("/reset", json={"seed": 99, "issues": 40, "config": {"max_embedded_comments": 3}})
    assert r.status_code == 200 and r.json()["issues"] == 40 and r.json()["seed"] == 99
    assert emu.backend.config.max_embedded_comments == 3
    assert control.get("/mutations").json() == [] and control.get("/webhook-receiver/r").json()["count"] == 0
    assert control.post("/reset", json={"seed": 7, "issues": 60}).json()["issues"] == 60
    assert [i["key"] for i in control.get("/truth").json()["issues"]] == keys_before[:-2]
    assert control.post("/reset", json={"seed": "x"}).status_code == 400
    assert api.get("/rest/api/3/myself", headers=basic("admin@example.com", "emulator-token")).status_code == 200
