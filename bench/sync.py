"""Benchmark jirasync's sync side by side with Airbyte ``source-jira`` 4.0.0 and Singer ``tap-jira`` 2.6.0.

For each configuration (issues x injected latency) one jiraemu (Cloud, ``--tls`` with its self-signed
certificate, ``--legacy-search`` for Airbyte) runs in its own process, and each tool reads issues and
comments from it in turn, as a subprocess:

- jirasync: ``jirasync connect`` then ``jirasync sync --json`` (a fresh ``JIRASYNC_HOME``), then a
  second, no-change incremental ``sync``;
- Airbyte: ``source-jira read`` with the streams ``issues`` and ``issue_comments``;
- Singer: ``tap-jira --properties`` with the streams ``issues`` and ``issue_comments``.

The peers are installed on first use into their own venvs under ``bench/.venvs/`` (never into the
project's), and trust the certificate through ``bench/peers/sitecustomize.py``. Per run: API
requests (``/_emulator/stats`` before and after, total and by route), wall time, peak RSS of the
tool's process tree (polled from /proc), issues/s, and completeness: comment ids obtained vs the
emulator's truth (``/_emulator/truth?include=comments``). A run that exceeds ``--budget-s`` is
stopped and reported with what it had obtained by then.

    .venv/bin/python bench/sync.py                       # default: ~10 minutes
    .venv/bin/python bench/sync.py --quick               # 1,000 issues, 0 ms: ~2 minutes
    .venv/bin/python bench/sync.py --sizes 10000 --latencies 0,100 --budget-s 0
    .venv/bin/python bench/sync.py --sizes 100000 --tools jirasync    # peak RSS at 100k
    .venv/bin/python bench/sync.py --sizes 10000 --latencies 100 --tools jirasync,singer --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PEERS = BENCH / "peers"
VENVS = BENCH / ".venvs"
JIRASYNC = ROOT / ".venv" / "bin" / "jirasync"
EMAIL, TOKEN = "admin@example.com", "emulator-token"
PEER_PACKAGES = {"airbyte": "airbyte-source-jira==4.0.0", "singer": "tap-jira==2.6.0"}
TOOLS = ("jirasync", "airbyte", "singer")
ISSUE_ROUTE = re.compile(r"^(GET|POST) /rest/api/\d/(search(/jql)?|issue/.*|changelog/bulkfetch)$")


# --------------------------------------------------------------------------------------- results
@dataclass
class Run:
    tool: str
    config: str
    issues_total: int
    comments_total: int
    status: str = "ok"  # ok | stopped (budget) | failed: … | not available: … | skipped: …
    requests: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    peak_rss_mb: float = float("nan")
    issues_got: int = 0
    comments_got: int = 0
    comments_missing: int = 0
    incremental_requests: int | None = None
    incremental_wall_s: float | None = None
    note: str = ""
    walls: list[float] = field(default_factory=list)  # every run's wall time with --repeat (this run is the median)

    @property
    def issues_per_s(self) -> float:
        return self.issues_got / self.wall_s if self.wall_s else 0.0

    @property
    def issue_requests(self) -> int:
        """Requests for issues and their children (search, issue/…, changelog bulkfetch); the rest is
        reference data (projects, fields, users, roles, permissions, boards, sprints)."""
        return sum(v for k, v in self.by_route.items() if ISSUE_ROUTE.match(k))

    @property
    def projected_s(self) -> float | None:
        """For a run stopped by the budget: its wall time scaled by the share done of the stream that
        lags most (issues or comments)."""
        if self.status != "stopped (budget)":
            return None
        done = min(self.issues_got / max(1, self.issues_total), self.comments_got / max(1, self.comments_total))
        return self.wall_s / done if done > 0 else None

    def as_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["issues_per_s"] = round(self.issues_per_s, 1)
        d["projected_s"] = self.projected_s
        d["issue_requests"] = self.issue_requests
        return d


# --------------------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
            out.extend(int(c) for c in text.split())
    except OSError:
        pass
    return out


def tree_hwm_kb(root: int) -> int:
    """Sum of VmHWM (each process's own peak RSS) over the live process tree under ``root``."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
        todo.extend(children(pid))
    return total


class RssPoller(threading.Thread):
    """Polls the tool's process tree every 50 ms; ``peak_mb`` is the highest sum of VmHWM seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, tree_hwm_kb(self.pid))
            self.stop.wait(0.05)

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024.0


@dataclass
class Proc:
    rc: int | None
    wall_s: float
    peak_rss_mb: float
    stopped: bool
    stderr_tail: str


def run_tool(cmd: Sequence[str], env: dict[str, str], cwd: Path, budget_s: float,
             on_line: Callable[[bytes], None] | None = None, stdout_path: Path | None = None) -> Proc:
    """Run one tool as its own process group; stream its stdout to ``on_line``; stop it (the whole
    group) after ``budget_s`` (0 = no limit). Peak RSS: the /proc poller, or the kernel's
    ``ru_maxrss`` of the biggest child when that grew during the run (it catches a peak between polls)."""
    with tempfile.TemporaryFile() as err_file:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err_file,
                                start_new_session=True)
        poller = RssPoller(proc.pid)
        poller.start()
        stopped = False

        def pump(stream: IO[bytes]) -> None:
            sink = stdout_path.open("wb") if stdout_path else None
            for line in stream:
                if sink:
                    sink.write(line)
                if on_line:
                    on_line(line)
            if sink:
                sink.close()

        assert proc.stdout is not None
        reader = threading.Thread(target=pump, args=(proc.stdout,), daemon=True)
        reader.start()
        try:
            proc.wait(timeout=budget_s or None)
        except subprocess.TimeoutExpired:
            stopped = True
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        wall = time.perf_counter() - t0
        reader.join(timeout=30)
        poller.stop.set()
        poller.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = poller.peak_mb
        if after > before:
            peak = max(peak, after / 1024.0)
        err_file.seek(0)
        tail = err_file.read().decode(errors="replace")[-4000:]
    return Proc(proc.returncode, wall, peak, stopped, tail)


def last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if re.search(r"(Error|Exception|error:|CRITICAL|FATAL)", ln):
            return ln[:300]
    return lines[-1][:300] if lines else "no output"


# --------------------------------------------------------------------------------------- emulator
class Emulator:
    """One jiraemu process (via bench/peers/emu_serve.py, which is ``jiraemu serve`` plus
    ``--comments-per-issue``)."""

    def __init__(self, issues: int, latency_ms: float, projects: int, comments_per_issue: int | None,
                 tls_dir: Path) -> None:
        self.port = free_port()
        cmd = [str(ROOT / ".venv" / "bin" / "python"), str(PEERS / "emu_serve.py")]
        if comments_per_issue is not None:
            cmd += ["--comments-per-issue", str(comments_per_issue)]
        cmd += ["serve", "--flavor", "cloud", "--port", str(self.port), "--seed", "7", "--issues", str(issues),
                "--projects", str(projects), "--tls", "--tls-dir", str(tls_dir), "--legacy-search",
                "--latency-ms", str(latency_ms)]
        self.out = tempfile.NamedTemporaryFile(prefix="jiraemu-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert = ""
        deadline = time.time() + 600
        while not self.cert:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jiraemu exited: {Path(self.out.name).read_text()[-2000:]}")
            m = re.search(r"TLS certificate.*?: (\S+)", Path(self.out.name).read_text())
            if m:
                self.cert = m.group(1)
            elif time.time() > deadline:
                raise RuntimeError("jiraemu did not start in 600 s")
            else:
                time.sleep(0.2)
        self.http = httpx.Client(base_url=self.url, verify=self.cert, timeout=600)

    def stats(self) -> dict[str, int]:
        data = self.http.get("/_emulator/stats", params={"log": 0}).json()
        return {str(k): int(v) for k, v in data["byRoute"].items()}

    def truth(self) -> tuple[set[str], dict[str, str]]:
        """(issue ids, comment id -> issue id): what a perfect sync by the admin ends up with."""
        data = orjson.loads(self.http.get("/_emulator/truth", params={"include": "comments"}).content)
        issues = {str(i["id"]) for i in data["issues"]}
        comments = {str(c["id"]): str(i["id"]) for i in data["issues"] for c in i.get("comments", [])}
        return issues, comments

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        Path(self.out.name).unlink(missing_ok=True)


def diff(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    out = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return {k: v for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if v}


# --------------------------------------------------------------------------------------- peers
def ensure_venv(tool: str) -> Path:
    """bench/.venvs/<tool> with the peer installed (created once, reused)."""
    venv = VENVS / tool
    marker = venv / ".installed"
    if marker.exists() and marker.read_text().strip() == PEER_PACKAGES[tool]:
        return venv
    log(f"installing {PEER_PACKAGES[tool]} into {venv.relative_to(ROOT)} (first run only)")
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", PEER_PACKAGES[tool]],
                         capture_output=True, text=True)
    if pip.returncode:
        raise RuntimeError(f"pip install {PEER_PACKAGES[tool]} failed: {last_error(pip.stderr)}")
    marker.write_text(PEER_PACKAGES[tool])
    return venv


def peer_env(cert: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRASYNC", "VIRTUAL_ENV", "PYTHON"))}
    env.update(PYTHONPATH=str(PEERS), JIRASYNC_BENCH_CA=cert, REQUESTS_CA_BUNDLE=cert, SSL_CERT_FILE=cert,
               PYTHONUNBUFFERED="1")
    return env


class RecordCounter:
    """Counts records per stream from a peer's stdout and keeps the comment ids."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.counts: Counter[str] = Counter()
        self.comment_ids: set[str] = set()
        self.issue_ids: set[str] = set()

    def __call__(self, line: bytes) -> None:
        if not line.startswith(b"{"):
            return
        try:
            msg = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        if msg.get("type") != "RECORD":
            return
        if self.kind == "airbyte":
            stream, data = msg["record"]["stream"], msg["record"]["data"]
        else:
            stream, data = msg["stream"], msg["record"]
        self.counts[stream] += 1
        if stream == "issue_comments":
            self.comment_ids.add(str(data.get("id")))
        elif stream == "issues":
            self.issue_ids.add(str(data.get("id")))


def run_singer(emu: Emulator, run: Run, truth_comments: dict[str, str], budget_s: float, work: Path) -> None:
    venv = ensure_venv("singer")
    env = peer_env(emu.cert)
    config = json.loads((PEERS / "singer" / "config.json").read_text())
    config.update(base_url=emu.url, username=EMAIL, password=TOKEN)
    (work / "config.json").write_text(json.dumps(config))
    tap = str(venv / "bin" / "tap-jira")
    # discovery (not measured): the catalogue of this tap version, with our streams selected
    disc = subprocess.run([tap, "--config", "config.json", "--discover"], cwd=work, env=env, capture_output=True)
    if disc.returncode:
        raise RuntimeError(f"tap-jira --discover failed: {last_error(disc.stderr.decode())}")
    catalog = json.loads(disc.stdout)
    wanted = set(json.loads((PEERS / "singer" / "select.json").read_text())["streams"])
    for stream in catalog["streams"]:
        for md in stream["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = stream["tap_stream_id"] in wanted
    (work / "properties.json").write_text(json.dumps(catalog))
    counter = RecordCounter("singer")
    before = emu.stats()
    proc = run_tool([tap, "--config", "config.json", "--properties", "properties.json"], env, work, budget_s, counter)
    finish_peer(emu, run, proc, before, counter, truth_comments)


def run_airbyte(emu: Emulator, run: Run, truth_comments: dict[str, str], budget_s: float, work: Path) -> None:
    venv = ensure_venv("airbyte")
    env = peer_env(emu.cert)
    config = json.loads((PEERS / "airbyte" / "config.json").read_text())
    config.update(domain=emu.url.removeprefix("https://"), email=EMAIL, api_token=TOKEN)
    (work / "config.json").write_text(json.dumps(config))
    shutil.copy(PEERS / "airbyte" / "configured_catalog.json", work / "catalog.json")
    counter = RecordCounter("airbyte")
    before = emu.stats()
    cmd = [str(venv / "bin" / "source-jira"), "read", "--config", "config.json", "--catalog", "catalog.json"]
    proc = run_tool(cmd, env, work, budget_s, counter)
    finish_peer(emu, run, proc, before, counter, truth_comments)
    # Airbyte reports errors as TRACE messages on stdout; the process may still exit 0
    if run.status == "ok" and counter.counts["issues"] == 0:
        run.status = "failed: no issue records"


def finish_peer(emu: Emulator, run: Run, proc: Proc, before: dict[str, int], counter: RecordCounter,
                truth_comments: dict[str, str]) -> None:
    run.by_route = diff(before, emu.stats())
    run.requests = sum(run.by_route.values())
    run.wall_s, run.peak_rss_mb = proc.wall_s, proc.peak_rss_mb
    run.issues_got = len(counter.issue_ids)
    run.comments_got = len(counter.comment_ids & truth_comments.keys())
    run.comments_missing = len(truth_comments) - run.comments_got
    if proc.stopped:
        run.status = "stopped (budget)"
    elif proc.rc:
        run.status = f"failed: rc {proc.rc}: {last_error(proc.stderr_tail)}"


# --------------------------------------------------------------------------------------- jirasync
def compile_sources() -> None:
    """Bytecode for jirasync and jiraemu, as an installed package has (pip compiles what it installs).
    The editable install does not, and with PYTHONDONTWRITEBYTECODE set, as on our machines, every
    run would compile the modules it imports again (~0.1 s of a sync's start)."""
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "compileall", "-q", str(ROOT / "src")],
                   check=False, capture_output=True)


def jirasync_available() -> str | None:
    """None when ``jirasync sync`` exists, else why not."""
    if not JIRASYNC.exists():
        return f"{JIRASYNC.relative_to(ROOT)} missing"
    r = subprocess.run([str(JIRASYNC), "sync", "--help"], capture_output=True, text=True)
    return None if r.returncode == 0 else f"no `jirasync sync` command ({last_error(r.stderr)})"


def run_jirasync(emu: Emulator, run: Run, truth_comments: dict[str, str], budget_s: float, work: Path,
                 incremental: bool) -> None:
    why = jirasync_available()
    if why:
        run.status = f"not available: {why}"
        return
    home = work / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRASYNC", "VIRTUAL_ENV"))}
    env.update(JIRASYNC_HOME=str(home), JIRA_API_TOKEN=TOKEN)
    base = [str(JIRASYNC), "--ca-bundle", emu.cert]
    conn = subprocess.run([*base, "connect", "bench", "--url", emu.url, "--auth", "api-token", "--email", EMAIL],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    if conn.returncode:
        run.status = f"failed: connect rc {conn.returncode}: {last_error(conn.stderr or conn.stdout)}"
        return
    summary: list[bytes] = []
    before = emu.stats()
    proc = run_tool([*base, "sync", "--connection", "bench", "--json"], env, work, budget_s, summary.append)
    run.by_route = diff(before, emu.stats())
    run.requests = sum(run.by_route.values())
    run.wall_s, run.peak_rss_mb = proc.wall_s, proc.peak_rss_mb
    issues, comments = store_ids(home / "jirasync.db")
    run.issues_got = len(issues)
    run.comments_got = len(comments & truth_comments.keys())
    run.comments_missing = len(truth_comments) - run.comments_got
    reported = summary_requests(summary)
    if reported is not None and reported != run.requests:
        run.note = f"jirasync counted {reported} requests"
    if proc.stopped:
        run.status = "stopped (budget)"
        return
    if proc.rc:
        run.status = f"failed: rc {proc.rc}: {last_error(proc.stderr_tail)}"
        return
    if incremental:
        summary.clear()
        before = emu.stats()
        inc = run_tool([*base, "sync", "--connection", "bench", "--json"], env, work, budget_s, summary.append)
        run.incremental_requests = sum(diff(before, emu.stats()).values())
        run.incremental_wall_s = inc.wall_s
        if inc.rc:
            run.note = (run.note + "; " if run.note else "") + f"incremental failed: {last_error(inc.stderr_tail)}"


def summary_requests(lines: list[bytes]) -> int | None:
    try:
        data = json.loads(b"".join(lines))
    except ValueError:
        return None
    value = data.get("requests") if isinstance(data, dict) else None
    return int(value) if isinstance(value, int) else None


def store_ids(db: Path) -> tuple[set[str], set[str]]:
    """Live issue and comment ids in jirasync's SQLite store."""
    if not db.exists():
        return set(), set()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        issues = {str(r[0]) for r in con.execute("SELECT id FROM issues WHERE deleted_at IS NULL")}
        comments = {str(r[0]) for r in con.execute("SELECT id FROM comments WHERE deleted_at IS NULL")}
    except sqlite3.Error:
        return set(), set()
    finally:
        con.close()
    return issues, comments


# --------------------------------------------------------------------------------------- driver
@dataclass
class Config:
    issues: int
    latency_ms: float
    comments_per_issue: int | None

    @property
    def name(self) -> str:
        comments = f"{self.comments_per_issue} c/issue" if self.comments_per_issue is not None else "generated c"
        return f"{self.issues:,} issues, {comments}, {self.latency_ms:g} ms"


def run_config(cfg: Config, tools: list[str], args: argparse.Namespace) -> list[Run]:
    log(f"configuration: {cfg.name} — starting jiraemu")
    work = Path(tempfile.mkdtemp(prefix="jirasync-bench-"))
    emu = Emulator(cfg.issues, cfg.latency_ms, args.projects, cfg.comments_per_issue, work / "tls")
    runs: list[Run] = []
    try:
        truth_issues, truth_comments = emu.truth()
        heavy = Counter(truth_comments.values())
        log(f"  {len(truth_issues)} issues, {len(truth_comments)} comments, "
            f"{sum(1 for n in heavy.values() if n > 20)} issues with > 20 (embedded page), "
            f"{sum(1 for n in heavy.values() if n > 100)} with > 100")
        repeats = {tool: max(1, args.repeat) for tool in tools}
        chosen: dict[str, list[Run]] = {tool: [] for tool in tools}
        for round_ in range(max(repeats.values())):  # round-robin: a noisy minute is shared by the tools
            for tool in tools:
                if round_ >= repeats[tool]:
                    continue
                run = Run(tool, cfg.name, len(truth_issues), len(truth_comments))
                chosen[tool].append(run)
                if tool != "jirasync" and cfg.issues > args.peer_max_size:
                    run.status = f"skipped: > --peer-max-size {args.peer_max_size}"
                    repeats[tool] = 1
                    continue
                tdir = work / f"{tool}-{round_}"
                tdir.mkdir()
                log(f"  {tool} …" + (f" (run {round_ + 1} of {repeats[tool]})" if repeats[tool] > 1 else ""))
                try:
                    if tool == "jirasync":
                        run_jirasync(emu, run, truth_comments, args.jirasync_budget_s, tdir, incremental=True)
                    elif tool == "airbyte":
                        run_airbyte(emu, run, truth_comments, args.budget_s, tdir)
                    else:
                        run_singer(emu, run, truth_comments, args.budget_s, tdir)
                except Exception as exc:  # a peer that cannot be installed or run: record why
                    run.status = f"failed: {exc}"
                log(f"  {tool}: {run.status}, {run.requests} requests, {run.wall_s:.1f} s, "
                    f"{run.issues_got} issues, {run.comments_got}/{run.comments_total} comments")
                if run.status != "ok":
                    repeats[tool] = round_ + 1  # a stopped or failed run is not repeated
        runs.extend(median_run(chosen[tool]) for tool in tools)
    finally:
        emu.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return runs


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time among ``runs`` of one tool that all completed (else the last
    one), with every run's wall time in ``walls``."""
    if len(runs) == 1 or any(r.status != "ok" for r in runs):
        return runs[-1]
    ordered = sorted(runs, key=lambda r: r.wall_s)
    median = ordered[(len(ordered) - 1) // 2]
    median.walls = [r.wall_s for r in runs]
    return median


def fmt_table(runs: list[Run]) -> str:
    head = ("| configuration | tool | status | requests | of which issues | per 1,000 issues | wall s | issues/s | peak RSS MB "
            "| issues | comments (of truth) | comments lost | no-change incr. requests |")
    rows = [head, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        obtained = r.status in ("ok", "stopped (budget)")
        inc = "" if r.incremental_requests is None else f"{r.incremental_requests} ({r.incremental_wall_s:.1f} s)"
        rss = "" if r.peak_rss_mb != r.peak_rss_mb else f"{r.peak_rss_mb:,.0f}"
        lost = f"{r.comments_missing:,}" if r.status == "ok" else "(stopped)"  # not read yet is not lost
        status = r.status
        if r.projected_s is not None:
            status += f" at {r.wall_s:.0f} s, ≈{r.projected_s:,.0f} s projected"
        wall = f"{r.wall_s:.1f}" + (f" (median of {len(r.walls)}: {min(r.walls):.1f}–{max(r.walls):.1f})" if r.walls else "")
        rows.append(
            f"| {r.config} | {r.tool} | {status}{' — ' + r.note if r.note else ''} | "
            f"{r.requests:,} | {r.issue_requests:,} | {per_1k(r)} | " + (f"{wall} | {r.issues_per_s:,.0f} | {rss} | {r.issues_got:,}/{r.issues_total:,} | "
                                    f"{r.comments_got:,}/{r.comments_total:,} | {lost} | {inc} |"
                                    if obtained else " | | | | | | |"))
    return "\n".join(rows)


def per_1k(r: Run) -> str:
    return f"{1000 * r.requests / r.issues_got:,.1f}" if r.issues_got else ""


def fmt_ratios(runs: list[Run]) -> str:
    """Per configuration: jirasync's wall time against the fastest peer's (a stopped peer counts with
    its projected time)."""
    out = []
    for config in dict.fromkeys(r.config for r in runs):
        mine = next((r for r in runs if r.config == config and r.tool == "jirasync" and r.status == "ok"), None)
        peers = [(r.projected_s or r.wall_s, r.tool) for r in runs
                 if r.config == config and r.tool != "jirasync" and r.status in ("ok", "stopped (budget)")]
        if mine is None or not peers or not mine.wall_s:
            continue
        best_s, best = min(peers)
        out.append(f"- {config}: jirasync {mine.wall_s:.1f} s, fastest peer {best} {best_s:.1f} s: "
                   f"**{best_s / mine.wall_s:.1f}x** less wall time")
    return "\n".join(out)


def fmt_routes(runs: list[Run], top: int) -> str:
    out = []
    for r in runs:
        if r.by_route:
            routes = ", ".join(f"{k} {v:,}" for k, v in list(r.by_route.items())[:top])
            more = len(r.by_route) - top
            out.append(f"- {r.config} / {r.tool}: {routes}{f', … {more} more routes' if more > 0 else ''}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="issue counts (comma separated)")
    parser.add_argument("--latencies", default="0,100", help="injected latency per request, ms")
    parser.add_argument("--tools", default=",".join(TOOLS), help="jirasync,airbyte,singer")
    parser.add_argument("--quick", action="store_true", help="1,000 issues at 0 ms only")
    parser.add_argument("--comments-per-issue", type=int, default=3,
                        help="exact comments per issue at 1,000 issues (the peers' published set-up); "
                             "larger sizes keep jiraemu's generated comments (some issues > 100). -1: generated everywhere")
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--budget-s", type=float, default=45.0,
                        help="stop a peer after this many seconds and report what it had, with a projection "
                             "(0 = no limit)")
    parser.add_argument("--jirasync-budget-s", type=float, default=0.0, help="the same for jirasync (0 = no limit)")
    parser.add_argument("--peer-max-size", type=int, default=10000, help="peers skip larger sizes")
    parser.add_argument("--json", dest="json_out", default=None, help="also write every run as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work directories (configs, stores)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each tool this many times per configuration, in turns, and report the run of "
                             "median wall time (a stopped or failed run is not repeated)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.latencies = "1000", "0"
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    configs = []
    for size in (int(s) for s in args.sizes.split(",")):
        for latency in (float(x) for x in args.latencies.split(",")):
            cpi = args.comments_per_issue if size <= 1000 and args.comments_per_issue >= 0 else None
            configs.append(Config(size, latency, cpi))
    compile_sources()
    runs: list[Run] = []
    t0 = time.perf_counter()
    for cfg in configs:
        runs.extend(run_config(cfg, tools, args))
    print(f"`.venv/bin/python bench/sync.py {' '.join(sys.argv[1:])}` ({time.strftime('%Y-%m-%d')}, "
          f"{time.perf_counter() - t0:.0f} s in all)\n")
    print(fmt_table(runs))
    ratios = fmt_ratios(runs)
    if ratios:
        print("\nWall time against the fastest peer:\n")
        print(ratios)
    print("\nRequests by route (top 6):\n")
    print(fmt_routes(runs, 6))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps([r.as_dict() for r in runs], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
