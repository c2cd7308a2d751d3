"""Push (sync out) against jiraemu over real HTTP: exactly one issue per external id under index
lag, 5xx and lost responses with two concurrent pushers; createmeta validation; multi-step
transitions; comment upsert; 403 on delete reported, not swallowed; SARIF input; and a property
test of the pure planner."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiraemu import EmuConfig, EmulatorServer
from jirasync.connections import Connections, Credentials
from jirasync.exceptions import ConfigError
from jirasync.push import Pusher, PushOptions, PushRecord, plan_record
from jirasync.push.inputs import sarif_rows
from jirasync.push.labels import MAX_LABEL, decode_id, eid_label, id_of_label
from jirasync.push.mapping import Mapping
from jirasync.push.plan import Remote
from jirasync.push.records import PushComment
from jirasync.vault import Secret

ROOT = Path(__file__).resolve().parents[1]
ADMIN = ("admin@example.com", "emulator-token")


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorServer]]:
    """Without the OpenAPI validator: a thousand bulk creates validated one by one cost minutes,
    and every endpoint used here is validated by its own area's tests."""
    started: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        server = EmulatorServer(EmuConfig(**{"projects": 2, "issues": 20, "users": 8, "port": 0, **overrides}))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("JIRASYNC_SECRET_KEY", raising=False)
    monkeypatch.delenv("JIRASYNC_DB", raising=False)
    return tmp_path / "home"


def connect(home: Path, emu: EmulatorServer, name: str = "jira", login: tuple[str, str] = ADMIN) -> Connections:
    conns = Connections.open(home=str(home))
    conn, report = asyncio.run(conns.add(name, emu.url, Credentials.api_token(login[0], Secret(login[1]))))
    assert conn is not None, [(i.name, i.detail) for i in report.items]
    return conns


def jira(emu: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=emu.url, auth=ADMIN, timeout=60)


def owned(emu: EmulatorServer, prefix: str, project: str = "SEC") -> list[dict[str, Any]]:
    """Every issue of the project carrying one of our labels, read with the index caught up."""
    httpx.post(f"{emu.url}/_emulator/config", json={"index_lag_s": 0}).raise_for_status()
    with jira(emu) as c:
        body = {"jql": f"project = {project} ORDER BY id ASC", "fields": ["summary", "labels", "status", "priority"],
                "properties": ["jirasync.push"], "maxResults": 5000}
        issues: list[dict[str, Any]] = []
        while True:
            page = c.post("/rest/api/3/search/jql", json=body).json()
            issues.extend(page["issues"])
            if page.get("isLast", True) or not page.get("nextPageToken"):
                break
            body["nextPageToken"] = page["nextPageToken"]
    return [i for i in issues if any(lab.startswith(f"{prefix}-eid-") for lab in i["fields"]["labels"])]


def push(conns: Connections, records: list[PushRecord], prefix: str = "t", **kw: Any) -> Any:
    options = PushOptions(settle_s=kw.pop("settle_s", 3.0), delete_subtasks=kw.pop("delete_subtasks", False))
    pusher = Pusher(conns, kw.pop("name", "jira"), "SEC", kw.pop("issue_type", "Bug"), prefix, options)
    return asyncio.run(pusher.upsert(records, **kw)), pusher


# -- exactly once, two processes, lag, 5xx and lost responses ------------------------------------


def run_cli(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "JIRASYNC_HOME": str(home)}
    env.pop("JIRASYNC_DB", None)
    return subprocess.Popen([sys.executable, "-m", "jirasync.cli", "push", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def cli_in_process(home: Path, *args: str) -> tuple[str, str]:
    from typer.testing import CliRunner

    from jirasync.cli import app

    got = CliRunner().invoke(app, ["--home", str(home), "push", *args])
    return got.stdout, repr(got.exception) + got.stdout


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_thousand_upserts_twice_from_two_processes_make_each_issue_once(
    emulator: Callable[..., EmulatorServer], home: Path, tmp_path: Path
) -> None:
    emu = emulator(index_lag_s=5.0)
    connect(home, emu).store.close()
    httpx.post(f"{emu.url}/_emulator/faults", json={"error_5xx_rate": 0.05, "reset_rate": 0.05}).raise_for_status()
    sev = ["critical", "high", "low"]
    v1 = [{"id": f"vuln/{n}", "title": f"Finding {n}", "severity": sev[n % 3]} for n in range(1000)]
    v2 = [{**r, "title": f"Finding {n} (seen again)" if n % 10 == 1 else r["title"]} for n, r in enumerate(v1)]
    args = ["-c", "jira", "-p", "SEC", "--external-id", "id", "--map", "summary=title",
            "--map", "priority=severity:critical=Highest,high=High,low=Low", "--issue-type", "Bug",
            "--prefix", "ci", "--settle", "7", "--json"]
    for version, rows in (("v1", v1), ("v2", v2)):
        path = write_jsonl(tmp_path / f"{version}.jsonl", rows)
        procs = [run_cli(home, "--input", str(path), *args) for _ in range(2)]
        started = time.monotonic()
        outs = [p.communicate(timeout=150) for p in procs]
        print(version, f"{time.monotonic() - started:.1f} s", [json.loads(o)["counts"] for o, _ in outs if o.startswith("{")])
        for p, (out, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, err[-3000:] + out[-2000:]
        reports = [json.loads(out) for out, _ in outs]
        assert sum(r["counts"].get("created", 0) for r in reports) == (1000 if version == "v1" else 0), [r["counts"] for r in reports]
    httpx.post(f"{emu.url}/_emulator/faults", json={}).raise_for_status()
    issues = owned(emu, "ci")
    labels = [lab for i in issues for lab in i["fields"]["labels"] if lab.startswith("ci-eid-")]
    assert len(issues) == 1000 and sorted(labels) == sorted(eid_label("ci", r["id"]) for r in v1)
    by_id = {i["properties"]["jirasync.push"]["externalId"]: i["fields"] for i in issues}
    assert {e: f["summary"] for e, f in by_id.items()} == {r["id"]: r["title"] for r in v2}
    names = {"critical": "Highest", "high": "High", "low": "Low"}
    assert {e: f["priority"]["name"] for e, f in by_id.items()} == {r["id"]: names[r["severity"]] for r in v2}
    # and a third run of the same input (in-process this time) writes nothing at all
    conns = Connections.open(home=str(home))
    report, _ = push(conns, [Mapping.parse("id", ["summary=title", "priority=severity:critical=Highest,high=High,low=Low"]).record(r)
                             for r in v2], prefix="ci")
    assert report.counts == {"unchanged": 1000} and report.requests == 0


# -- the planner (pure) ---------------------------------------------------------------------------

OPS = st.lists(st.tuples(st.sampled_from(["upsert", "delete"]), st.integers(0, 2), st.sampled_from([None, "To Do", "Done"]),
                         st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.integers(0, 1)), max_size=3)),
               min_size=1, max_size=12)


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), OPS, min_size=1))
def test_random_upserts_updates_and_deletes_converge_and_rerun_is_a_noop(seqs: dict[str, list[Any]]) -> None:
    jira_: dict[str, tuple[Remote, PushRecord]] = {}  # one issue per id at most: the model's key
    next_id = iter(range(1, 10_000))
    for eid, ops in seqs.items():
        for op, variant, status, comments in ops:
            cs = tuple(PushComment(c, f"{c} body {v}") for c, v in dict(comments).items())
            rec = PushRecord(eid, {"summary": f"s{variant}", "priority": ["High", "Low"][variant % 2]},
                             f"d{variant}", status, cs, delete=op == "delete")
            before = jira_.get(eid)
            action = plan_record(rec, before[0] if before else None)
            if rec.delete:
                assert action.kind == ("delete" if before else "absent")
                jira_.pop(eid, None)
                continue
            if before is None:
                assert action.kind == "create" and set(action.fields) == set(rec.field_hashes())
                ids = {c.external_id: next(next_id) for c in rec.comments}
                remote = Remote(next(next_id), f"SEC-{eid}", rec.status or "To Do", action.new_property(ids))
            else:
                old = before[1]
                changed = {k for k, h in rec.field_hashes().items() if old.field_hashes().get(k) != h}
                assert set(action.fields) == changed  # only what changed is sent
                if action.kind == "unchanged":
                    assert rec.hash == old.hash and (rec.status is None or rec.status == before[0].status)
                known = before[0].prop.get("comments") or {}
                edited = {c.external_id for c in rec.comments if c.external_id in known
                           and known[c.external_id]["hash"] != rec.comment_hashes()[c.external_id]}
                assert {cid for cid, _ in action.comments_update} == edited  # edits by external comment id
                assert set(action.comments_add) == {c.external_id for c in rec.comments} - set(known)
                ids = {cid: next(next_id) for cid in action.comments_add}
                remote = Remote(before[0].issue_id, before[0].key, action.transition_to or before[0].status, action.new_property(ids))
            jira_[eid] = (remote, rec)
            again = plan_record(rec, remote)
            assert again.kind == "unchanged", again  # re-running the same input writes nothing
            assert remote.status == (rec.status or remote.status)


def test_labels_are_label_safe_reversible_and_bounded() -> None:
    for eid in ["vuln/1", "CVE-2024-1", "a b", "Ünïcödé", "x" * 400, "_h1", "a_5fb"]:
        label = eid_label("scan", eid)
        assert len(label) <= MAX_LABEL and " " not in label and label == label.lower()
        if not label.startswith("scan-eid-_h"):  # hashed: too long to spell out
            assert id_of_label("scan", label) == eid
    assert eid_label("s", "ABC") != eid_label("s", "abc")  # JQL compares labels without case
    assert decode_id(eid_label("s", "x" * 400)[len("s-eid-"):]) is None


def test_mapping_value_maps_and_dotted_paths() -> None:
    m = Mapping.parse("id", ["summary=t.text", "priority=sev:critical=Highest,high=High", "status=state:fixed=Done"])
    r = m.record({"id": 7, "t": {"text": "hi"}, "sev": "CRITICAL", "state": "fixed"})
    assert (r.external_id, r.fields, r.status) == ("7", {"summary": "hi", "priority": "Highest"}, "Done")
    with pytest.raises(ConfigError, match="--map"):
        Mapping.parse("id", ["summary"])


# -- against the emulator, in-process ----------------------------------------------------------------


def test_createmeta_validation_names_the_field_and_allowed_values(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator()
    conns = connect(home, emu)
    records = [
        PushRecord("ok", {"summary": "fine", "Severity": "critical"}),
        PushRecord("bad-priority", {"summary": "x", "priority": "Urgent"}),
        PushRecord("bad-option", {"summary": "x", "Severity": "Catastrophic"}),
        PushRecord("no-summary", {"priority": "High"}),
        PushRecord("unknown-field", {"summary": "x", "Flavour": "vanilla"}),
    ]
    report, pusher = push(conns, records)
    results = {r.external_id: r for r in report.results}
    assert results["ok"].outcome == "created"
    assert "Priority: 'Urgent' is not allowed (allowed: Highest, High, Medium, Low, Lowest)" in results["bad-priority"].detail
    assert "Severity: 'Catastrophic' is not allowed (allowed: Critical, High, Medium, Low)" in results["bad-option"].detail
    assert results["no-summary"].outcome == "failed" and "Summary: is required" in results["no-summary"].detail
    assert "Flavour: is not a field" in results["unknown-field"].detail
    dead = {d.external_id: d for d in pusher.repo.dead_letters()}
    assert set(dead) == {"bad-priority", "bad-option", "no-summary", "unknown-field"} and all(d.permanent for d in dead.values())
    with pytest.raises(ConfigError, match=r"'Bugz' is not an issue type of SEC \(available: .*Bug"):
        push(conns, records, issue_type="Bugz")
    # fixed input: retry-failed sends the dead letters again (as stored), and they fail again, once more counted
    report = asyncio.run(pusher.retry_failed())
    assert report.counts == {"failed": 4} and all(d.attempts == 2 for d in pusher.repo.dead_letters())
    report, _ = push(conns, [PushRecord("bad-priority", {"summary": "x", "priority": "High"})])
    assert report.counts == {"created": 1} and "bad-priority" not in {d.external_id for d in pusher.repo.dead_letters()}


def test_status_is_reached_through_several_transitions(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator()
    conns = connect(home, emu)
    report, _ = push(conns, [PushRecord("w1", {"summary": "walk"}, status="Done"), PushRecord("w2", {"summary": "stay"})])
    assert report.counts == {"created": 2}
    issues = {i["properties"]["jirasync.push"]["externalId"]: i for i in owned(emu, "t")}
    assert issues["w1"]["fields"]["status"]["name"] == "Done" and issues["w2"]["fields"]["status"]["name"] == "To Do"
    with jira(emu) as c:
        histories = c.get(f"/rest/api/3/issue/{issues['w1']['key']}/changelog").json()["values"]
    walked = [i["toString"] for h in histories for i in h["items"] if i["field"] == "status"]
    assert len(walked) >= 2 and walked[-1] == "Done"  # no direct To Do → Done: it went through In Progress
    report, _ = push(conns, [PushRecord("w1", {"summary": "walk"}, status="To Do")])
    assert report.counts == {"transitioned": 1}
    report, _ = push(conns, [PushRecord("w2", {"summary": "stay"}, status="Shipped")])
    (failed,) = report.failed
    assert "'Shipped' cannot be reached (tried: To Do → " in failed.detail
    report, _ = push(conns, [PushRecord("w1", {"summary": "walk"}, status="To Do")])
    assert report.counts == {"unchanged": 1} and report.requests == 0


def test_comments_are_upserted_by_external_comment_id(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator()
    conns = connect(home, emu)
    first = PushRecord("c", {"summary": "talk"}, comments=(PushComment("n1", "first **note**"), PushComment("n2", "second")))
    push(conns, [first])
    second = PushRecord("c", {"summary": "talk"}, comments=(PushComment("n1", "first note, edited"), PushComment("n2", "second"),
                                                             PushComment("n3", "third")))
    report, _ = push(conns, [second])
    assert report.counts == {"updated": 1}
    (issue,) = owned(emu, "t")
    with jira(emu) as c:
        comments = c.get(f"/rest/api/2/issue/{issue['key']}/comment").json()["comments"]
    assert [x["body"] for x in comments] == ["first note, edited", "second", "third"]
    prop = issue["properties"]["jirasync.push"]["comments"]
    assert sorted(prop) == ["n1", "n2", "n3"] and [int(prop[k]["id"]) for k in ("n1", "n2", "n3")] == [int(x["id"]) for x in comments]
    report, _ = push(conns, [second])
    assert report.counts == {"unchanged": 1} and report.requests == 0


def may(emu: EmulatorServer, user: dict[str, Any], permission: str) -> bool:
    got = httpx.get(f"{emu.url}/rest/api/3/mypermissions", params={"projectKey": "SEC", "permissions": permission},
                    auth=(user["email"], user["apiToken"]))
    return got.status_code == 200 and bool(got.json()["permissions"][permission]["havePermission"])


def test_delete_without_permission_is_a_reported_permanent_error(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator()
    conns = connect(home, emu)
    user = next(u for u in httpx.get(f"{emu.url}/_emulator/users").json() if not u["admin"] and u["active"]
                and may(emu, u, "BROWSE_PROJECTS") and not may(emu, u, "DELETE_ISSUES"))
    asyncio.run(conns.add("dev", emu.url, Credentials.api_token(user["email"], Secret(user["apiToken"]))))
    push(conns, [PushRecord("d1", {"summary": "doomed"}), PushRecord("d2", {"summary": "kept"})])
    report, pusher = push(conns, [PushRecord("d1", {"summary": "doomed"}, delete=True)], name="dev")
    (failed,) = report.failed
    assert "lacks the Delete issues permission" in failed.detail
    (dead,) = pusher.repo.dead_letters()
    assert dead.permanent and dead.record["delete"] is True
    stats = httpx.get(f"{emu.url}/_emulator/stats", params={"log": 0}).json()["byRoute"]
    assert stats.get("DELETE /rest/api/3/issue/{issueIdOrKey}") == 1  # not retried
    assert len(owned(emu, "t")) == 2
    # the admin may: delete-missing removes what the input no longer has
    report, _ = push(conns, [PushRecord("d2", {"summary": "kept"})], delete_missing=True)
    assert report.counts == {"unchanged": 1, "deleted": 1}
    assert [i["properties"]["jirasync.push"]["externalId"] for i in owned(emu, "t")] == ["d2"]


def test_issues_with_subtasks_need_delete_subtasks(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator()
    conns = connect(home, emu)
    push(conns, [PushRecord("p", {"summary": "parent"})])
    (parent,) = owned(emu, "t")
    with jira(emu) as c:
        types = c.get("/rest/api/3/issue/createmeta/SEC/issuetypes").json()["issueTypes"]
        sub = next(t for t in types if t["subtask"])
        made = c.post("/rest/api/3/issue", json={"fields": {"project": {"key": "SEC"}, "issuetype": {"id": sub["id"]},
                                                             "summary": "child", "parent": {"key": parent["key"]}}})
        assert made.status_code == 201, made.text
    report, _ = push(conns, [PushRecord("p", delete=True)])
    (failed,) = report.failed
    assert "has sub-tasks" in failed.detail and "--delete-subtasks" in failed.detail
    report, _ = push(conns, [PushRecord("p", delete=True)], delete_subtasks=True)
    assert report.counts == {"deleted": 1} and owned(emu, "t") == []


SARIF = {
    "version": "2.1.0",
    "runs": [{
        "tool": {"driver": {"name": "semgrep", "rules": [{"id": "py.sqli", "defaultConfiguration": {"level": "error"},
                                                          "help": {"markdown": "Use **parameters**."}}]}},
        "results": [
            {"ruleId": "py.sqli", "message": {"text": "SQL built from user input"}, "fingerprints": {"semgrep/v1": "f1"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"}, "region": {"startLine": 12}}}]},
            {"ruleId": "py.xss", "level": "warning", "message": {"text": "Unescaped output\nmore"},
             "partialFingerprints": {"primaryLocationLineHash": "abc:1"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/views.py"}, "region": {"startLine": 3}}}]},
            {"ruleId": "py.secret", "level": "note", "message": {"text": "Hard-coded key"}, "baselineState": "absent",
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "conf.py"}, "region": {"startLine": 1}}}]},
        ],
    }],
}


def test_sarif_findings_become_issues_and_fixed_ones_close(emulator: Callable[..., EmulatorServer], home: Path, tmp_path: Path) -> None:
    emu = emulator()
    connect(home, emu).store.close()
    rows = sarif_rows(SARIF)
    assert [r["fingerprint"] for r in rows][:2] == ["f1", "py.xss:abc:1"] and rows[2]["fingerprint"].startswith("py.secret:")
    path = tmp_path / "scan.sarif"
    path.write_text(json.dumps(SARIF))
    args = ["--input", str(path), "-c", "jira", "-p", "SEC", "--issue-type", "Bug", "--prefix", "sarif",
            "--map", "status=state:open=To Do,fixed=Done", "--json"]
    out, err = cli_in_process(home, *args)
    assert json.loads(out)["counts"] == {"created": 3}, err
    issues = {i["properties"]["jirasync.push"]["externalId"]: i["fields"] for i in owned(emu, "sarif")}
    assert issues["f1"]["summary"] == "[py.sqli] SQL built from user input" and issues["f1"]["priority"]["name"] == "High"
    assert issues["py.xss:abc:1"]["summary"] == "[py.xss] Unescaped output" and issues["py.xss:abc:1"]["priority"]["name"] == "Medium"
    assert {k: v["status"]["name"] for k, v in issues.items()} == {"f1": "To Do", "py.xss:abc:1": "To Do", rows[2]["fingerprint"]: "Done"}
    # the next scan: f1 is fixed
    SARIF_2 = json.loads(json.dumps(SARIF))
    SARIF_2["runs"][0]["results"][0]["baselineState"] = "absent"
    path.write_text(json.dumps(SARIF_2))
    dry, _ = cli_in_process(home, *args, "--dry-run")
    assert json.loads(dry)["counts"] == {"transitioned": 1, "unchanged": 2}
    out, err = cli_in_process(home, *args)
    assert json.loads(out)["counts"] == {"transitioned": 1, "unchanged": 2}, err
    assert {i["fields"]["status"]["name"] for i in owned(emu, "sarif")} == {"Done", "To Do"}
    assert sum(i["fields"]["status"]["name"] == "Done" for i in owned(emu, "sarif")) == 2


def test_dry_run_writes_nothing(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator()
    conns = connect(home, emu)
    report, _ = push(conns, [PushRecord("x", {"summary": "x"})], dry_run=True)
    assert report.counts == {"created": 1} and report.dry_run and owned(emu, "t") == []


def test_a_lost_create_is_found_before_it_is_sent_again(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator(index_lag_s=1.0)
    conns = connect(home, emu)
    httpx.post(f"{emu.url}/_emulator/faults", json={"reset_rate": 1.0, "paths": ["/issue/bulk"]}).raise_for_status()
    started = time.monotonic()
    report, _ = push(conns, [PushRecord(f"l{n}", {"summary": f"lost {n}"}) for n in range(6)], settle_s=2.5)
    httpx.post(f"{emu.url}/_emulator/faults", json={}).raise_for_status()
    # every create's answer was lost; half were applied: those are found by label, the rest sent again
    created = [r for r in report.results if r.outcome == "created"]
    issues = owned(emu, "t")
    labels = sorted(lab for i in issues for lab in i["fields"]["labels"])
    assert labels == sorted(set(labels)) and len(issues) == len(created)
    assert time.monotonic() - started < 60
    # records whose creates all went unanswered stay claimed as uncertain: the next run searches first
    httpx.post(f"{emu.url}/_emulator/config", json={"index_lag_s": 1.0}).raise_for_status()
    report, _ = push(conns, [PushRecord(f"l{n}", {"summary": f"lost {n}"}) for n in range(6)], settle_s=2.5)
    assert not report.failed
    labels = sorted(lab for i in owned(emu, "t") for lab in i["fields"]["labels"])
    assert labels == sorted(eid_label("t", f"l{n}") for n in range(6))


def test_data_center_gets_wiki_markup_and_the_same_exactly_once(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator(flavor="datacenter")
    conns = Connections.open(home=str(home))
    conn, _ = asyncio.run(conns.add("jira", emu.url, Credentials.pat(Secret("emulator-pat"))))
    assert conn is not None and conn.api_version == 2
    records = [PushRecord(f"dc{n}", {"summary": f"dc {n}", "priority": "Low"}, "Some **bold** text", "Done",
                          (PushComment("k", "a *note*"),)) for n in range(3)]
    report, _ = push(conns, records)
    assert report.counts == {"created": 3}, report.failed
    report, _ = push(conns, records)
    assert report.counts == {"unchanged": 3} and report.requests == 0
    with httpx.Client(base_url=emu.url, headers={"Authorization": "Bearer emulator-pat"}) as c:
        body = {"jql": 'project = SEC AND labels = "t-eid-dc0"', "fields": ["description", "status", "comment"]}
        (issue,) = c.post("/rest/api/2/search", json=body).json()["issues"]
    f = issue["fields"]
    assert f["description"] == "Some *bold* text" and f["status"]["name"] == "Done"
    assert [x["body"] for x in f["comment"]["comments"]] == ["a _note_"]


def test_csv_input_delete_missing_and_retry_failed_from_the_cli(emulator: Callable[..., EmulatorServer], home: Path, tmp_path: Path) -> None:
    emu = emulator()
    connect(home, emu).store.close()
    path = tmp_path / "tickets.csv"
    path.write_text("key,title,sev\nT-1,First,high\nT-2,Second,low\nT-3,Third,urgent\n")
    args = ["--input", str(path), "-c", "jira", "-p", "SEC", "--external-id", "key", "--map", "summary=title",
            "--map", "priority=sev:high=High,low=Low", "--prefix", "csv", "--json"]
    out, err = cli_in_process(home, *args)
    report = json.loads(out)
    assert report["counts"] == {"created": 2, "failed": 1}, err
    (failed,) = [r for r in report["results"] if r["outcome"] == "failed"]
    assert failed["external_id"] == "T-3" and "'urgent' is not allowed" in failed["detail"]
    out, _ = cli_in_process(home, "-c", "jira", "-p", "SEC", "--prefix", "csv", "--retry-failed", "--json")
    assert json.loads(out)["counts"] == {"failed": 1}
    path.write_text("key,title,sev\nT-1,First,high\n")
    out, err = cli_in_process(home, *args, "--delete-missing")
    assert json.loads(out)["counts"] == {"unchanged": 1, "deleted": 1}, err
    assert [i["fields"]["summary"] for i in owned(emu, "csv")] == ["First"]


def test_a_duplicate_made_outside_the_store_is_reported_and_the_oldest_used(emulator: Callable[..., EmulatorServer], home: Path) -> None:
    emu = emulator()
    conns = connect(home, emu)
    push(conns, [PushRecord("dup", {"summary": "one"})])
    with jira(emu) as c:  # another pusher, with its own store, made a second issue for the same id
        made = c.post("/rest/api/3/issue", json={"fields": {"project": {"key": "SEC"}, "issuetype": {"name": "Bug"},
                                                           "summary": "two", "labels": [eid_label("t", "dup")]}})
        assert made.status_code == 201, made.text
    options = PushOptions(settle_s=1.0, verify=True)
    report = asyncio.run(Pusher(conns, "jira", "SEC", "Bug", "t", options).upsert([PushRecord("dup", {"summary": "one"})]))
    (result,) = report.results
    first = min(owned(emu, "t"), key=lambda i: int(i["id"]))
    assert result.key == first["key"] and "its label is on" in result.detail and made.json()["key"] in result.detail
