"""The sync engine: ``Syncer(connections, name).run(full=False, projects=None) -> SyncSummary``.

One run, in order:

1. reference data: the projects, then the rest (fields, users, groups and members, project roles,
   permission schemes and grants, security levels, boards, sprints) concurrently, each stream
   declared in ``jirasync.sync.streams`` — alongside steps 2 and 3 when every selected project is
   read in full anyway (``jirasync.sync.reference``);
2. deletions — an id-only reconciliation per project (``jirasync.sync.deletions``), before the
   issue search so a moved issue is still under its old project in the store when we look;
3. issues per project (four searches at a time): full when there is no checkpoint, the filters or
   the user's access changed, or ``full=True``; otherwise the window since the checkpoint. A large
   project's full pass is read as concurrent ranges of ``created`` (``jirasync.sync.slices``).
   Every batch is committed with its children and its checkpoint in one transaction
   (``jirasync.sync.batch``);
4. only on a site with scrum boards but no Sprint field: open sprints' issue lists (elsewhere sprint
   membership comes with each issue's Sprint field, in ``sink.commit_page``); the run's counts,
   requests and retries in ``sync_runs``.

Error policy (one place, ``_guard``): a ``RecordError`` is skipped and stored as a dead letter; a
``RetriableError`` that survived the client's retries, or a ``FatalError``, ends the run — except
on an optional stream (a permission the user lacks), which is skipped and listed in ``errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from jirasync.client import ClientOptions, JiraClient
from jirasync.connections import Connection, Connections
from jirasync.exceptions import (
    BadRequest,
    ConfigError,
    ConnectionNotFound,
    JiraError,
    NotFound,
    PermissionDenied,
)
from jirasync.records import (
    ProjectRecord,
    RoleActorRecord,
    UserRecord,
    epoch_ms,
)
from jirasync.store.repo import Checkpoint, SyncRepo, connection_id_of
from jirasync.sync import deletions, issues, slices
from jirasync.sync.batch import Batch, markdown_for, write_batch
from jirasync.sync.blobs import BlobFolder, ContentPolicy, fetch_contents
from jirasync.sync.cursor import DEFAULT_OVERLAP, Window
from jirasync.sync.gc_policy import relaxed_gc
from jirasync.sync.progress import Progress
from jirasync.sync.reference import ACCESS_KEY, ReferenceSync
from jirasync.sync.sink import Cursor, commit_page
from jirasync.sync.slices import Slice

T = TypeVar("T")
log = logging.getLogger("jirasync.sync")
FINGERPRINT_VERSION = "issues-v1"
# searches read at once: whole projects, or the ranges of a large project's full pass (``slices``)
PROJECT_CONCURRENCY = 4


@dataclass
class ProjectSummary:
    key: str
    id: int
    mode: str  # full | incremental
    new: int = 0
    updated: int = 0
    unchanged: int = 0  # seen again in the overlap window, not refetched
    deleted: int = 0
    moved: int = 0
    permission_lost: int = 0
    skipped: int = 0


COUNTS = ("new", "updated", "unchanged", "deleted", "moved", "permission_lost", "skipped")


@dataclass
class SyncSummary:
    connection: str
    mode: str
    run_id: int | None = None
    status: str = "running"
    projects: list[ProjectSummary] = field(default_factory=list)
    reference: dict[str, int] = field(default_factory=dict)  # records per reference stream
    requests: int = 0
    retries: int = 0
    duration_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(p, name)) for p in self.projects)

    def counts(self) -> dict[str, int]:
        return {name: self.total(name) for name in COUNTS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection, "mode": self.mode, "run_id": self.run_id, "status": self.status,
            **self.counts(), "requests": self.requests, "retries": self.retries,
            "duration_s": round(self.duration_s, 3), "projects": [asdict(p) for p in self.projects],
            "reference": dict(self.reference), "errors": list(self.errors),
        }


def fingerprint(conn: Connection) -> str:
    """What the issue windows depend on: a change means the cursors no longer describe the data."""
    filters = conn.options.get("filters") or {}
    text = json.dumps({"v": FINGERPRINT_VERSION, "filters": filters}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


FILTER_CLAUSES = {
    "created_after": "created >= ", "created_before": "created < ",
    "updated_after": "updated >= ", "updated_before": "updated < ",
}


def filter_jql(filters: dict[str, Any]) -> str | None:
    """The connection's issue filters as one JQL clause (dates ``YYYY-MM-DD``, in the user's zone)."""
    parts = [f'{clause}"{filters[name]}"' for name, clause in FILTER_CLAUSES.items() if filters.get(name)]
    if filters.get("jql"):
        parts.append(f"({filters['jql']})")
    return " AND ".join(parts) or None


def connection_id(connections: Connections, name: str) -> int:
    found = connection_id_of(connections.store, name)
    if found is None:
        raise ConnectionNotFound(name)
    return found


@dataclass
class _Known:
    updated_ms: int
    project_id: int


class Syncer:
    def __init__(
        self,
        connections: Connections,
        name: str,
        *,
        options: ClientOptions | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
        project_concurrency: int = PROJECT_CONCURRENCY,
        reference: bool = True,
    ) -> None:
        self.connections = connections
        self.name = name
        self.options = options
        self.overlap = overlap
        self.project_concurrency = project_concurrency
        self.reference = reference

    def __repr__(self) -> str:
        return f"Syncer({self.name!r})"

    async def run(self, full: bool = False, projects: list[str] | None = None, progress: Progress | None = None) -> SyncSummary:
        conn = self.connections.get(self.name)
        repo = SyncRepo(self.connections.store, connection_id(self.connections, self.name))
        summary = SyncSummary(self.name, "full" if full else "incremental")
        started = time.monotonic()
        summary.run_id = repo.start_run("full" if full else "incremental")
        client: JiraClient | None = None
        try:
            async with self.connections.client(self.name, self.options) as client:
                run = _Run(self, conn, repo, client, summary, full, progress)
                try:
                    with relaxed_gc():
                        await run.execute(projects)
                finally:
                    run.pool.shutdown(wait=False, cancel_futures=True)
            summary.status = "ok"
        except (asyncio.CancelledError, KeyboardInterrupt):
            summary.status = "interrupted"
            raise
        except Exception as exc:
            summary.status = "failed"
            summary.errors.append(str(exc))
            raise
        finally:
            summary.duration_s = time.monotonic() - started
            if client is not None:
                summary.requests, summary.retries = client.stats.requests, client.stats.retries
            if any(p.mode == "full" for p in summary.projects):
                summary.mode = "full" if all(p.mode == "full" for p in summary.projects) else "mixed"
            repo.finish_run(summary.run_id, status=summary.status, counts={**summary.counts(), "reference": summary.reference},
                            requests=summary.requests, retries=summary.retries, errors=summary.errors)
        return summary


class _Run(ReferenceSync):
    """The state of one run (kept off ``Syncer`` so a Syncer can run again)."""

    def __init__(self, syncer: Syncer, conn: Connection, repo: SyncRepo, client: JiraClient, summary: SyncSummary,
                 full: bool, progress: Progress | None) -> None:
        self.s = syncer
        self.conn = conn
        self.repo = repo
        self.client = client
        self.summary = summary
        self.full = full
        self.progress = progress
        self.cloud = conn.is_cloud
        self.v = conn.api_version
        self.fp = fingerprint(conn)
        self.at = datetime.now(UTC)
        self.ctx = issues.IssueContext(client, self.cloud)
        self.known: dict[int, _Known] = {}
        self.groups: dict[str, set[str]] | None = None  # group name -> member ids (None: not read)
        self.roles: list[RoleActorRecord] | None = None
        self.users: list[UserRecord] = []
        self.access_digest: str | None = None
        self.access_changed = False
        self.content = ContentPolicy.from_options(conn.options)
        settings = syncer.connections.settings
        self.gate = asyncio.Semaphore(syncer.project_concurrency)
        self.fields_ready = asyncio.Event()
        self._sprint_fields: list[str] | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jirasync-sync")
        self.blobs = BlobFolder(settings.blob_dir) if self.content.enabled and settings is not None else None
        self.to_markdown = markdown_for(self.cloud)

    async def offload(self, fn: Callable[..., T], *args: Any) -> T:
        """Run CPU-bound work (parsing, store writes) off the event loop, so other projects' requests
        keep moving. One thread: the GIL serialises the work anyway (a second thread measured a
        little slower, 10,000 issues at 100 ms: 8.1 vs 7.9 s) and every thread costs a malloc arena."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, functools.partial(fn, *args))

    # -- the run ---------------------------------------------------------------------------------
    async def execute(self, wanted: list[str] | None) -> None:
        visible, projects_changed = await self.sync_projects()
        selected = self.select(visible, wanted)
        reference = self.sync_reference(visible, projects_changed)
        if self.all_full(selected):  # nothing below waits for the access digest: read both at once
            background: asyncio.Future[None] | None = asyncio.ensure_future(reference)
        else:
            await reference
            background = None
        try:
            await self.sync_issues(visible, selected)
        except BaseException:
            if background is not None:
                background.cancel()
                with contextlib.suppress(BaseException):
                    await background
            raise
        if background is not None:
            await background
        changed = sum(self.summary.total(n) for n in ("new", "updated", "moved", "deleted", "permission_lost"))
        if self.s.reference and (changed or self.full):  # sprint membership changes bump an issue's updated
            await self._guard("sprint issues", self.sync_sprint_issues(), None)
        if self.access_digest is not None and not wanted:  # saved once every project was re-read under it
            self.repo.save_checkpoint(ACCESS_KEY, project_id=None, updated_ms=None, issue_id=None,
                                      fingerprint=self.access_digest, completed=True, at=self.at)
        self.flush_skipped()

    async def sync_issues(self, visible: list[ProjectRecord], selected: list[ProjectRecord]) -> None:
        self.known = {d.id: _Known(d.updated_ms, d.project_id) for d in self.repo.issues_dump() if d.deleted_reason is None}
        summaries = [ProjectSummary(p.key, p.id, "pending") for p in selected]
        self.summary.projects.extend(summaries)
        self.vanished_projects(visible)
        await self.sync_deletions(selected)
        await asyncio.gather(*(self.sync_project(p, ps) for p, ps in zip(selected, summaries, strict=True)))

    def all_full(self, selected: list[ProjectRecord]) -> bool:
        """Every selected project is read in full whatever the access digest says: ``--full``, or no
        cursor (not even a range's) for any of them."""
        if self.full:
            return True
        keys = {slices.project_of(cp.project_key) for cp in self.repo.checkpoints()}
        return not any(p.key in keys for p in selected)

    def select(self, visible: list[ProjectRecord], wanted: list[str] | None) -> list[ProjectRecord]:
        filters = self.conn.options.get("filters") or {}
        keys = wanted or filters.get("projects") or None
        excluded = {k.upper() for k in [*(filters.get("exclude_projects") or []), *(filters.get("paused") or [])]}
        by_key = {p.key.upper(): p for p in visible if not p.archived}
        if keys:
            unknown = [k for k in keys if k.upper() not in by_key]
            if unknown:
                raise ConfigError("--project", f"{', '.join(unknown)}: no such project visible to this connection",
                                  fix=f"pick from {', '.join(sorted(by_key)) or '(none)'}")
            return [by_key[k.upper()] for k in keys if k.upper() not in excluded]
        return [p for k, p in sorted(by_key.items()) if k not in excluded]

    def window(self, p: ProjectRecord, cursor_ms: int | None, part: Slice | None = None) -> Window:
        clauses = [c for c in (filter_jql(self.conn.options.get("filters") or {}), part and part.jql()) if c]
        return Window(p.key, cursor_ms, self.conn.time_zone, " AND ".join(clauses) or None, self.s.overlap)

    def vanished_projects(self, visible: list[ProjectRecord]) -> None:
        """A synced project Jira no longer shows us: its issues are no longer visible (permission_lost)."""
        ids = {p.id for p in visible}
        gone: dict[int, list[str]] = {}  # project id -> its checkpoint keys (the project's, its ranges')
        for cp in self.repo.checkpoints():
            if cp.project_id is not None and cp.project_id not in ids:
                gone.setdefault(cp.project_id, []).append(cp.project_key)
        for project_id, keys in gone.items():
            lost = sorted(self.repo.live_issue_ids(project_id))
            with self.repo.transaction() as tx:
                tx.mark_issues(lost, "permission_lost", self.at)
                tx.delete_checkpoints(keys)
            self.summary.projects.append(ProjectSummary(slices.project_of(keys[0]), project_id, "gone",
                                                        permission_lost=len(lost)))
            for issue_id in lost:
                self.known.pop(issue_id, None)

    # -- issues ----------------------------------------------------------------------------------
    async def sync_project(self, p: ProjectRecord, ps: ProjectSummary) -> None:
        cp = self.repo.get_checkpoint(p.key)
        forced = self.full or self.access_changed
        full = forced or cp is None or cp.fingerprint != self.fp
        ps.mode = "full" if full else "incremental"
        stored = self.repo.checkpoints(prefix=slices.prefix(p.key))
        if stored and not forced and all(c.fingerprint == self.fp for c in stored):
            await self.sync_slices(p, ps, stored, None)  # a sliced full pass that did not finish: resume it
            return
        cursor = Cursor(None, None, self.fp) if full or cp is None else Cursor(cp.updated_ms, cp.issue_id, self.fp)
        window = self.window(p, cursor.updated_ms)
        parts, count = await self.plan_slices(p, window) if full else ([], None)
        if parts:
            with self.repo.transaction() as tx:  # the ranges replace the project's cursor until all are done
                tx.delete_checkpoints([p.key, *(c.project_key for c in stored)])
                for part in parts:
                    tx.save_checkpoint(part.key(p.key), project_id=p.id, updated_ms=None, issue_id=None,
                                       fingerprint=self.fp, at=self.at)
            await self.sync_slices(p, ps, self.repo.checkpoints(prefix=slices.prefix(p.key)), count)
            return
        if stored:  # a forced full pass restarts: ranges of an unfinished one are dropped
            self.repo.delete_checkpoints([c.project_key for c in stored])
        if self.progress is not None:
            self.progress.start(p.key, count if count is not None else await issues.approximate_count(self.ctx, window))
        await self.read_window(p, ps, p.key, window, cursor, full)
        if self.progress is not None:
            self.progress.finish(p.key)

    async def plan_slices(self, p: ProjectRecord, window: Window) -> tuple[list[Slice], int | None]:
        """The ranges of a full pass (none: one search) and the issue count, when planning asked for it."""
        if not slices.worth_planning(p.issue_count if self.cloud else None):
            return [], None
        async with self.gate:
            try:
                return await slices.plan(self.ctx, window)
            except (BadRequest, NotFound, PermissionDenied) as exc:  # e.g. a site without issue/bulkfetch
                log.info("%s: read as one search (%s)", p.key, exc)
                return [], None

    async def sync_slices(self, p: ProjectRecord, ps: ProjectSummary, parts: list[Checkpoint], count: int | None) -> None:
        """Read a full pass's ranges concurrently; then the project's cursor is the earliest of theirs."""
        ps.mode = "full"
        if self.progress is not None:
            self.progress.start(p.key, count)
        reads = []
        for cp in parts:
            part = slices.parse_key(cp.project_key)
            if part is None or cp.completed:
                continue
            cursor = Cursor(cp.updated_ms, cp.issue_id, self.fp)
            reads.append(self.read_window(p, ps, cp.project_key, self.window(p, cp.updated_ms, part[1]), cursor,
                                          cp.updated_ms is None))
        await asyncio.gather(*reads)
        done = self.repo.checkpoints(prefix=slices.prefix(p.key))
        cursors = [(c.updated_ms, c.issue_id or 0) for c in done if c.updated_ms is not None]
        last = min(cursors) if cursors else None
        if last is not None and len(cursors) < len(done):
            # an empty range: an issue may enter it later (moved in with an old ``created``) with an
            # ``updated`` after this run began, never before it
            last = min(last, (epoch_ms(self.at), 0))
        with self.repo.transaction() as tx:
            tx.save_checkpoint(p.key, project_id=p.id, updated_ms=last[0] if last else None,
                               issue_id=last[1] if last else None, fingerprint=self.fp, completed=True, at=self.at)
            tx.delete_checkpoints([c.project_key for c in done])
        if self.progress is not None:
            self.progress.finish(p.key)

    async def read_window(self, p: ProjectRecord, ps: ProjectSummary, key: str, window: Window, cursor: Cursor,
                          full: bool) -> None:
        """One search (a project's, or one range of it), its pages committed under checkpoint ``key``."""
        async with self.gate, contextlib.aclosing(issues.batches(self.ctx, window)) as found:
            await self.read_batches(p, ps, key, full, cursor, found)  # on any exit, stop reading ahead

    async def read_batches(self, p: ProjectRecord, ps: ProjectSummary, key: str, full: bool, cursor: Cursor,
                           found: AsyncIterator[list[dict[str, Any]]]) -> None:
        async for items in found:
            wanted = self.wanted(items, full)
            children = await issues.fetch_children(self.ctx, [i for i in items if issues.item_id(i) in wanted])
            sprint_fields = await self.sprint_fields()
            batch = Batch(key, p.id, self.repo.connection_id, items, list(wanted), children, cursor, self.at,
                          sprint_fields)
            result = await self.offload(write_batch, self.repo, batch, self.cloud, self.to_markdown)
            cursor = result.cursor
            self.ctx.skipped.extend(result.skipped)
            if self.blobs is not None:  # attachment content, after its metadata is committed
                _, skipped = await fetch_contents(self.client, self.repo, self.blobs, self.content, result.attachments,
                                                  self.cloud)
                ps.skipped += skipped
            self.count(ps, result.written, result.parsed)
            if self.progress is not None:
                self.progress.advance(p.key, len(items))
            del items, wanted, children, batch, result  # not alive while the next batch is read
        commit_page(self.repo, key, p.id, None, None, Cursor(cursor.updated_ms, cursor.issue_id, self.fp, True), self.at)

    async def sprint_fields(self) -> list[str]:
        """The Sprint field ids each batch's membership is read from, once the fields are stored."""
        if self._sprint_fields is None:
            await self.fields_ready.wait()
            self._sprint_fields = self.repo.sprint_field_ids()
        return self._sprint_fields

    def wanted(self, items: list[dict[str, Any]], full: bool) -> dict[int, None]:
        """The ids of the batch's issues to (re)write, in order: all on a full pass, else those new to
        the store or updated since it saw them (read from the JSON, before the batch is parsed)."""
        out: dict[int, None] = {}
        for item in items:
            iid = issues.item_id(item)
            if iid is None:
                continue  # write_batch records it as skipped
            known = self.known.get(iid)
            if full or known is None or known.updated_ms < issues.raw_updated_ms(item):
                out[iid] = None
        return out

    def count(self, ps: ProjectSummary, written: list[tuple[int, int, int]], seen: int) -> None:
        for issue_id, project_id, updated_ms in written:
            before = self.known.get(issue_id)
            if before is None:
                ps.new += 1
            elif before.project_id != project_id:
                ps.moved += 1
            elif before.updated_ms != updated_ms:
                ps.updated += 1
            else:
                ps.unchanged += 1  # re-read by a full pass, not changed
            self.known[issue_id] = _Known(updated_ms, project_id)
        ps.unchanged += seen - len(written)

    # -- deletions -------------------------------------------------------------------------------
    async def sync_deletions(self, selected: list[ProjectRecord]) -> None:
        in_scope = {p.id for p in selected}
        summaries = {ps.id: ps for ps in self.summary.projects}
        found = await asyncio.gather(*(
            deletions.reconcile(self.client, self.cloud, self.window(p, None), p.id, self.repo.live_issue_ids(p.id))
            for p in selected
        ))
        gone: dict[int, int] = {}  # issue id -> project id it was in
        for p, rec in zip(selected, found, strict=True):
            away = [i for i, dest in rec.moved.items() if dest not in in_scope]
            if away:
                self.repo.mark_issues(away, "moved", self.at)
                summaries[p.id].moved += len(away)
            gone.update(dict.fromkeys(rec.gone, p.id))
        if not gone:
            return
        audited = await deletions.audited_deletions(self.client, self.audit_since(selected)) if self.cloud else None
        by_reason: dict[str, list[int]] = {}
        parents = self.repo.parent_ids(gone) if audited is not None else {}
        for issue_id, reason in deletions.reasons(set(gone), audited, True, parents).items():
            by_reason.setdefault(reason, []).append(issue_id)
            ps = summaries[gone[issue_id]]
            setattr(ps, reason, getattr(ps, reason) + 1)
            self.known.pop(issue_id, None)
        for reason, ids in by_reason.items():
            self.repo.mark_issues(ids, reason, self.at)  # type: ignore[arg-type]

    def audit_since(self, selected: list[ProjectRecord]) -> datetime | None:
        """A deletion happened after the last time we saw the issue live: the oldest checkpoint."""
        times = [cp.updated_at for p in selected if (cp := self.repo.get_checkpoint(p.key)) is not None]
        return min(times) - timedelta(hours=1) if times else None

    # -- errors ----------------------------------------------------------------------------------
    async def _guard(self, what: str, work: Awaitable[T], default: T) -> T:
        """An optional part of the run: a Jira refusal is listed in ``errors``, not fatal."""
        try:
            return await work
        except JiraError as exc:
            self.summary.errors.append(f"{what}: {exc}")
            return default

    def flush_skipped(self) -> None:
        for exc in self.ctx.skipped:
            self.repo.record_skipped(exc.kind, exc.remote_id, str(exc), None, run_id=self.summary.run_id)
        if self.summary.projects:
            self.summary.projects[0].skipped += len(self.ctx.skipped)
        self.ctx.skipped.clear()

