"""Apply a push plan to Jira, exactly once per external id.

``Pusher(connections, name, project, issue_type, prefix).upsert(records)``:

1. **Look up** each external id: the store's ``push_map`` first (no request at all for an issue
   we wrote and whose record did not change), then batched JQL ``labels in (…)`` searches.
2. **Plan** (:mod:`jirasync.push.plan`): create, update (only the fields whose hash changed,
   transitions, comments) or unchanged.
3. **Claim** every id about to be created in the store (a ``pending`` row under a primary key):
   a second pusher sharing the store waits for the first instead of creating a duplicate. An
   expired claim (its process died) is taken over only after Jira was searched again over the
   whole index lag. Updates claim the mapped row the same way and are planned again against the
   property as it is once claimed, so two pushers never interleave writes to one issue.
4. **Create** in bulk (``POST /issue/bulk``, ≤ 50) with the label and the ``jirasync.push``
   property in the same request. A create whose answer is lost (reset, timeout, 5xx) may or may
   not have happened: the labels are searched, polling with backoff for up to ``settle_s`` (the
   index lag), **before** anything is sent again.
5. Failed records go to ``push_dead_letters`` (``retry_failed()`` sends them again).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from jirasync.client import ClientOptions, JiraClient, offset_pages, token_pages
from jirasync.connections import Connections
from jirasync.exceptions import (
    BadRequest,
    ConfigError,
    FatalError,
    JirasyncError,
    NotFound,
    PermissionDenied,
    RetriableError,
)
from jirasync.push.createmeta import CreateMeta
from jirasync.push.labels import PROPERTY_KEY, check_prefix, eid_label
from jirasync.push.plan import Action, Remote, plan_push
from jirasync.push.records import Outcome, PushRecord, PushReport, RecordResult
from jirasync.push.transitions import Workflow, reach, status_of
from jirasync.store.push_models import DONE, PENDING, PushRepo

log = logging.getLogger("jirasync.push")

LABELS_PER_SEARCH = 50
BULK_MAX = 50
CREATE_ATTEMPTS = 3


@dataclass
class PushOptions:
    settle_s: float = 30.0  # the longest the search index may lag a write: bound of the reconcile poll
    lease_s: float = 120.0  # a claim older than this belongs to a dead process
    delete_subtasks: bool = False
    verify: bool = False  # search Jira even for ids the store knows (reconcileIssues keeps it exact)
    client: ClientOptions | None = None


@dataclass
class _Created:
    record: PushRecord
    issue_id: int
    key: str


@dataclass
class _Run:
    pusher: Pusher
    client: JiraClient
    report: PushReport
    meta: CreateMeta | None = None
    meta_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    done: set[str] = field(default_factory=set)
    saves: dict[str, tuple[str, int, str, dict[str, Any]]] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)
    uncertain: set[str] = field(default_factory=set)  # creates sent whose outcome is still unknown

    def save(self, external_id: str, issue_id: int, key: str, prop: dict[str, Any]) -> None:
        """Buffered: a store commit costs milliseconds, so they are written a batch at a time (a crash
        before the flush costs a search or a repeated idempotent write, never a duplicate)."""
        self.saves[external_id] = (external_id, issue_id, key, prop)

    def flush(self) -> None:
        items, self.saves = list(self.saves.values()), {}
        self.pusher.repo.save_many(items)

    # -- helpers ------------------------------------------------------------------------------------
    @property
    def api(self) -> int:
        return self.pusher.api

    def label(self, external_id: str) -> str:
        return eid_label(self.pusher.prefix, external_id)

    async def createmeta(self) -> CreateMeta:
        async with self.meta_lock:  # loaded once, however many records ask at the same time
            if self.meta is None:
                p = self.pusher
                self.meta = await CreateMeta.load(self.client, self.api, p.project, p.issue_type, p.cloud)
            return self.meta

    def ok(self, result: RecordResult) -> None:
        if result.external_id in self.duplicates:  # said on the record, not only in the log
            result = replace(result, detail="; ".join(filter(None, [result.detail, self.duplicates[result.external_id]])))
        self.report.add(result)
        self.done.add(result.external_id)

    def fail(self, record: PushRecord, exc: JirasyncError) -> None:
        permanent = isinstance(exc, FatalError | ConfigError)
        self.report.add(RecordResult(record.external_id, "failed", detail=str(exc)))
        self.pusher.repo.dead(record.to_json(), str(exc), permanent)

    # -- lookup -------------------------------------------------------------------------------------
    async def search(self, external_ids: Iterable[str], written: dict[str, int] | None = None) -> dict[str, list[Remote]]:
        """Issues of the project that carry each id's label (several when duplicates exist).
        ``written`` maps ids to the issues we know we wrote: sent as ``reconcileIssues`` so the
        lagging index cannot hide them."""
        ids = list(dict.fromkeys(external_ids))
        by_label = {self.label(e): e for e in ids}
        found: dict[str, list[Remote]] = {}
        chunks = [ids[i : i + LABELS_PER_SEARCH] for i in range(0, len(ids), LABELS_PER_SEARCH)]

        async def one(chunk: list[str]) -> None:
            labels = ", ".join(f'"{self.label(e)}"' for e in chunk)
            body: dict[str, Any] = {"jql": f'project = "{self.pusher.project}" AND labels in ({labels}) ORDER BY id ASC',
                                    "fields": ["labels", "status"], "properties": [PROPERTY_KEY], "maxResults": 100}
            reconcile = [written[e] for e in chunk if written and e in written]
            if reconcile and self.pusher.cloud:
                body["reconcileIssues"] = reconcile
            pages = (token_pages(self.client, f"/rest/api/{self.api}/search/jql", items="issues", body=body) if self.pusher.cloud
                     else offset_pages(self.client, "/rest/api/2/search", items="issues", body=_dc_search(body), page_size=100))
            async for page in pages:
                for issue in page:
                    fields = issue.get("fields") or {}
                    prop = (issue.get("properties") or {}).get(PROPERTY_KEY) or {}
                    remote = Remote(int(issue["id"]), str(issue["key"]), (fields.get("status") or {}).get("name"), prop)
                    for lab in fields.get("labels") or []:
                        if lab in by_label:
                            found.setdefault(by_label[lab], []).append(remote)

        await asyncio.gather(*(one(c) for c in chunks))
        return found

    async def lookup(self, records: list[PushRecord]) -> tuple[dict[str, Remote], set[str], set[str]]:
        """``(remotes, waiting, taken_over)``: what Jira has, ids another live pusher is creating, and
        ids whose dead claim must be reconciled over the whole index lag before a create."""
        repo = self.pusher.repo
        entries = repo.load(r.external_id for r in records)
        remotes: dict[str, Remote] = {}
        waiting: set[str] = set()
        unknown: list[str] = []
        now_ms = time.time() * 1000
        stale: set[str] = set()
        for r in records:
            m = entries.get(r.external_id)
            if m is not None and m.state == DONE and m.issue_id is not None and not self.pusher.options.verify:
                remotes[r.external_id] = Remote(m.issue_id, m.issue_key or "", None, m.prop or {})
            elif m is not None and m.state == PENDING and m.owner != self.pusher.owner and (m.claimed_ms or 0) > now_ms - self.pusher.options.lease_s * 1000:
                waiting.add(r.external_id)
            else:
                if m is not None and m.state == PENDING and m.owner != self.pusher.owner:
                    stale.add(r.external_id)
                unknown.append(r.external_id)
        if unknown:
            written = {e: m.issue_id for e, m in entries.items() if m.issue_id is not None}
            hits = await self.search(unknown, written)
            for eid in unknown:
                if eid in hits:
                    remotes[eid] = self.adopt(eid, hits[eid])
                elif eid in written:  # deleted or moved behind our back: create it again
                    repo.forget(eid)
        return remotes, waiting, stale

    def adopt(self, external_id: str, found: list[Remote]) -> Remote:
        """The issue that carries the label (the oldest when there are duplicates), recorded in the store."""
        remote = min(found, key=lambda x: x.issue_id)
        if len({f.issue_id for f in found}) > 1:
            keys = ", ".join(sorted({f.key for f in found}))
            log.warning("external id %s is on %d issues (%s); using %s", external_id, len(found), keys, remote.key)
            self.duplicates[external_id] = f"its label is on {keys} (written outside this store?); using {remote.key}"
        if remote.prop.get("externalId") == external_id:
            self.save(external_id, remote.issue_id, remote.key, remote.prop)
        return remote

    # -- upsert -------------------------------------------------------------------------------------
    async def upsert(self, records: list[PushRecord], dry_run: bool, depth: int = 0) -> None:
        deletes = [r for r in records if r.delete]
        records = [r for r in records if not r.delete]
        if deletes:
            await self.delete([r.external_id for r in deletes], dry_run, {r.external_id: r for r in deletes})
        if not records:
            return
        remotes, waiting, stale = await self.lookup(records)
        actions = plan_push([r for r in records if r.external_id not in waiting], remotes)
        if dry_run:
            for a in actions:
                self.report.add(_dry(a))
            for eid in sorted(waiting):
                self.report.add(RecordResult(eid, "skipped", detail="another pusher is creating it"))
            return
        creates = [a for a in actions if a.kind == "create"]
        if any(a.kind in ("create", "update") for a in actions):
            await self.createmeta()  # a wrong issue type stops the run before anything is claimed
        claimed = self.pusher.repo.claim((a.record.external_id for a in creates), self.pusher.owner, self.pusher.options.lease_s)
        waiting |= {a.record.external_id for a in creates if a.record.external_id not in claimed}
        creates = [a for a in creates if a.record.external_id in claimed]
        stale &= claimed
        if stale:  # a dead pusher may have created them: search across the whole index lag first
            creates = await self.settle_stale(creates, stale)
        updates, busy = self.claim_updates([a for a in actions if a.kind == "update"])
        waiting |= busy
        await self.create_all(creates)
        self.flush()
        await asyncio.gather(*(self.update(a) for a in updates + [a for a in actions if a.kind == "unchanged"]))
        self.flush()
        if waiting:
            await self.wait_for_others(waiting)
            if depth < 3:
                await self.upsert([r for r in records if r.external_id in waiting], dry_run, depth + 1)

    def claim_updates(self, updates: list[Action]) -> tuple[list[Action], set[str]]:
        """Claim the issues to update, then plan them again against the property as it is now (another
        pusher may have written it between our lookup and our claim)."""
        repo = self.pusher.repo
        ids = [a.record.external_id for a in updates if a.remote is not None]
        mine = repo.claim_updates(ids, self.pusher.owner, self.pusher.options.lease_s)
        fresh = repo.load(mine)
        planned: list[Action] = []
        for a in updates:
            eid = a.record.external_id
            m = fresh.get(eid)
            if a.remote is None or m is None or m.issue_id is None:
                continue
            remote = replace(a.remote, prop=m.prop or a.remote.prop) if m.issue_id == a.remote.issue_id else a.remote
            planned.append(plan_push([a.record], {eid: remote})[0])
        return planned, {e for e in ids if e not in mine}

    async def wait_for_others(self, ids: set[str]) -> None:
        deadline = time.monotonic() + self.pusher.options.lease_s
        while time.monotonic() < deadline:
            entries = self.pusher.repo.load(ids)
            if all(e.owner in (None, self.pusher.owner) for e in entries.values()):
                return
            await asyncio.sleep(0.25)

    async def settle_stale(self, creates: list[Action], stale: set[str]) -> list[Action]:
        found = await self.poll([a.record.external_id for a in creates if a.record.external_id in stale])
        rest = []
        for a in creates:
            if a.record.external_id in found:
                remote = self.adopt(a.record.external_id, found[a.record.external_id])
                await self.update(plan_push([a.record], {a.record.external_id: remote})[0])
            else:
                rest.append(a)
        return rest

    async def poll(self, external_ids: list[str]) -> dict[str, list[Remote]]:
        """Search the labels until all are found or ``settle_s`` passed (the index lags writes)."""
        deadline = time.monotonic() + self.pusher.options.settle_s
        found: dict[str, list[Remote]] = {}
        delay = 0.5
        while True:
            missing = [e for e in external_ids if e not in found]
            if not missing:
                return found
            found.update(await self.search(missing))
            if len(found) == len(external_ids) or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 4.0)

    # -- creates ------------------------------------------------------------------------------------
    async def create_all(self, creates: list[Action]) -> None:
        if not creates:
            return
        meta = await self.createmeta()
        bodies: list[tuple[Action, dict[str, Any]]] = []
        for a in creates:
            try:
                bodies.append((a, self.create_body(meta, a)))
            except JirasyncError as exc:
                self.fail(a.record, exc)
                self.pusher.repo.release([a.record.external_id], self.pusher.owner)
        chunks = [bodies[i : i + BULK_MAX] for i in range(0, len(bodies), BULK_MAX)]
        await asyncio.gather(*(self.create_chunk(c) for c in chunks))

    def create_body(self, meta: CreateMeta, a: Action) -> dict[str, Any]:
        r = a.record
        fields = self.convert(meta, r, list(r.field_hashes()))
        missing = meta.missing_required(set(fields))
        if missing:
            m = missing[0]
            raise ConfigError(m.name, f"is required to create a {meta.issue_type} in {meta.project}",
                              fix=f"map it: --map {m.field_id}=SOURCE" + (f" (allowed: {', '.join(m.allowed_names())})" if m.allowed else ""))
        fields.setdefault("labels", [self.label(r.external_id)])
        fields["project"] = {"key": self.pusher.project}
        fields["issuetype"] = {"id": meta.issue_type_id}
        prop = a.new_property()
        if r.status is not None or r.comments:
            prop = {**prop, "hash": None, "status": None}  # final once the transitions and comments are done
        return {"fields": fields, "properties": [{"key": PROPERTY_KEY, "value": prop}]}

    def convert(self, meta: CreateMeta, r: PushRecord, names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            if name == "description" and r.description_md is not None:
                out["description"] = meta.rich_text(r.description_md)
                continue
            fid, value = meta.convert(name, r.fields[name])
            out[fid] = value
        if "labels" in out:  # the record's labels replace the issue's, and ours stays
            out["labels"] = sorted({*out["labels"], self.label(r.external_id)})
        return out

    async def create_chunk(self, chunk: list[tuple[Action, dict[str, Any]]], attempt: int = 1) -> None:
        try:
            if len(chunk) == 1:
                got = await self.client.post(f"/rest/api/{self.api}/issue", json=chunk[0][1])
                created, failed = [got], {}
            else:
                got = await self.client.post(f"/rest/api/{self.api}/issue/bulk", json={"issueUpdates": [b for _, b in chunk]})
                created = list(got.get("issues") or [])
                failed = {int(e.get("failedElementNumber", -1)): e for e in got.get("errors") or []}
        except RetriableError as exc:
            self.uncertain |= {a.record.external_id for a, _ in chunk}
            await self.reconcile(chunk, attempt, exc)
            return
        except BadRequest as exc:
            if len(chunk) == 1:
                self.fail(chunk[0][0].record, exc)
                if chunk[0][0].record.external_id not in self.uncertain:  # an earlier attempt may have worked
                    self.pusher.repo.release([chunk[0][0].record.external_id], self.pusher.owner)
                return
            await asyncio.gather(*(self.create_chunk([item], attempt) for item in chunk))  # learn each one's error
            return
        made = iter(created)
        for n, (a, _) in enumerate(chunk):
            if n in failed:
                self.fail(a.record, BadRequest(f"Jira refused to create it: {_element_error(failed[n])}"))
                self.pusher.repo.release([a.record.external_id], self.pusher.owner)
                continue
            issue = next(made)
            await self.after_create(a, int(issue["id"]), str(issue["key"]))
        self.flush()

    async def reconcile(self, chunk: list[tuple[Action, dict[str, Any]]], attempt: int, exc: JirasyncError) -> None:
        """The answer was lost: look for what Jira made over the index lag before sending again."""
        log.info("create of %d issue(s) unanswered (%s); searching their labels", len(chunk), exc)
        found = await self.poll([a.record.external_id for a, _ in chunk])
        again = []
        for a, body in chunk:
            remotes = found.get(a.record.external_id)
            if remotes:
                remote = min(remotes, key=lambda x: x.issue_id)
                await self.after_create(a, remote.issue_id, remote.key)
            else:
                again.append((a, body))
        if not again:
            return
        if attempt >= CREATE_ATTEMPTS:
            for a, _ in again:  # the claim stays, marked uncertain: the next run searches before it creates
                self.fail(a.record, exc)
            return
        await self.create_chunk(again, attempt + 1)

    async def after_create(self, a: Action, issue_id: int, key: str) -> None:
        self.uncertain.discard(a.record.external_id)
        remote = Remote(issue_id, key, None, {})
        prop = a.new_property()
        follow = a.record.status is not None or bool(a.record.comments)
        self.save(a.record.external_id, issue_id, key, {**prop, "hash": None, "status": None} if follow else prop)
        if follow:
            try:
                ids = await self.follow_ups(replace(a, remote=remote), None, created=True)
                self.save_property(a.record.external_id, issue_id, key, a.new_property(ids))
                await self.write_property(issue_id, a.new_property(ids))
            except JirasyncError as exc:
                self.fail(a.record, exc)
                return
        self.ok(RecordResult(a.record.external_id, "created", key, changed=a.fields))

    # -- updates ------------------------------------------------------------------------------------
    async def update(self, a: Action) -> None:
        assert a.remote is not None
        if a.kind == "unchanged":
            self.ok(RecordResult(a.record.external_id, "unchanged", a.remote.key))
            return
        try:
            meta = await self.createmeta()
            fields = self.convert(meta, a.record, list(a.fields)) if a.fields else {}
            only_fields = a.transition_to is None and not a.comments_add and not a.comments_update
            body: dict[str, Any] = {}
            if fields:
                body["fields"] = fields
            if only_fields:
                body["properties"] = [{"key": PROPERTY_KEY, "value": a.new_property()}]
            if body:
                await self.client.put(f"/rest/api/{self.api}/issue/{a.remote.issue_id}", json=body)
            ids: dict[str, int] = {}
            if not only_fields:
                ids = await self.follow_ups(a, a.remote.status or (a.remote.prop or {}).get("status"))
                await self.write_property(a.remote.issue_id, a.new_property(ids))
            self.save_property(a.record.external_id, a.remote.issue_id, a.remote.key, a.new_property(ids))
        except JirasyncError as exc:
            self.fail(a.record, exc)
            return
        only_status = a.transition_to is not None and not (a.fields or a.comments_add or a.comments_update)
        outcome: Outcome = "transitioned" if only_status else "updated"
        self.ok(RecordResult(a.record.external_id, outcome, a.remote.key, changed=a.fields))

    async def follow_ups(self, a: Action, status: str | None, created: bool = False) -> dict[str, int]:
        """Transitions, then comments; answers the Jira ids of the comments added."""
        assert a.remote is not None
        if a.transition_to is not None:
            wf = self.pusher.workflow
            issue = str(a.remote.issue_id)
            if created:  # every new issue starts where the first one did
                if wf.initial is None:
                    wf.initial = await status_of(self.client, self.api, issue)
                status = wf.initial
            await reach(self.client, self.api, issue, status, a.transition_to, wf)
        ids: dict[str, int] = {}
        bodies = {c.external_id: c.body_md for c in a.record.comments}
        meta = await self.createmeta()
        for cid in a.comments_add:
            ids[cid] = await self.add_comment(a.remote.issue_id, meta.rich_text(bodies[cid]), set(ids.values()) | _known(a))
        for cid, jira_id in a.comments_update:
            await self.client.put(f"/rest/api/{self.api}/issue/{a.remote.issue_id}/comment/{jira_id}", json={"body": meta.rich_text(bodies[cid])})
        return ids

    async def add_comment(self, issue_id: int, body: Any, known: set[int]) -> int:
        path = f"/rest/api/{self.api}/issue/{issue_id}/comment"
        try:
            got = await self.client.post(path, json={"body": body})
            return int(got["id"])
        except RetriableError:  # reads are consistent: find the comment we may have added
            page = await self.client.get(path, params={"maxResults": 5000})
            for c in reversed((page or {}).get("comments") or []):
                if int(c["id"]) not in known and c.get("body") == body:
                    return int(c["id"])
            got = await self.client.post(path, json={"body": body})
            return int(got["id"])

    async def write_property(self, issue_id: int, prop: dict[str, Any]) -> None:
        await self.client.put(f"/rest/api/{self.api}/issue/{issue_id}/properties/{PROPERTY_KEY}", json=prop)

    def save_property(self, external_id: str, issue_id: int, key: str, prop: dict[str, Any]) -> None:
        self.save(external_id, issue_id, key, prop)

    # -- deletes ------------------------------------------------------------------------------------
    async def delete(self, external_ids: list[str], dry_run: bool, records: dict[str, PushRecord] | None = None) -> None:
        recs = [(records or {}).get(e) or PushRecord(e, delete=True) for e in external_ids]
        remotes, _, _ = await self.lookup(recs)
        await asyncio.gather(*(self.delete_one(r, remotes.get(r.external_id), dry_run) for r in recs))

    async def delete_one(self, r: PushRecord, remote: Remote | None, dry_run: bool) -> None:
        if remote is None:
            self.ok(RecordResult(r.external_id, "unchanged", detail="no issue to delete"))
            return
        if dry_run:
            self.report.add(RecordResult(r.external_id, "deleted", remote.key, detail="dry run"))
            return
        params = {"deleteSubtasks": "true" if self.pusher.options.delete_subtasks else "false"}
        try:
            await self.client.delete(f"/rest/api/{self.api}/issue/{remote.issue_id}", params=params)
        except NotFound:
            pass  # gone already (or our earlier DELETE went through unanswered)
        except PermissionDenied as exc:
            self.fail(r, PermissionDenied(f"cannot delete {remote.key}: the Jira user lacks the Delete issues permission",
                                          status=403, fix="grant Delete issues in the project's permission scheme, then "
                                          "`jirasync push --retry-failed`" + (f" ({exc.messages[0]})" if exc.messages else "")))
            return
        except BadRequest as exc:
            if "subtask" in str(exc).lower() or "sub-task" in str(exc).lower():
                exc = BadRequest(f"{remote.key} has sub-tasks", status=400, fix="pass --delete-subtasks to delete them with it")
            self.fail(r, exc)
            return
        except JirasyncError as exc:
            self.fail(r, exc)
            return
        self.pusher.repo.forget(r.external_id)
        self.ok(RecordResult(r.external_id, "deleted", remote.key))


def _dc_search(body: dict[str, Any]) -> dict[str, Any]:
    """Data Center searches with ``/rest/api/2/search`` (startAt paging; its index is updated with the write)."""
    return {"jql": body["jql"], "fields": body["fields"], "properties": body["properties"]}


def _known(a: Action) -> set[int]:
    prop = a.remote.prop if a.remote else {}
    return {int(c["id"]) for c in (prop.get("comments") or {}).values() if c.get("id")}


def _element_error(e: dict[str, Any]) -> str:
    el = e.get("elementErrors") or {}
    parts = [*(el.get("errorMessages") or []), *(f"{k}: {v}" for k, v in (el.get("errors") or {}).items())]
    return "; ".join(str(p) for p in parts) or "no reason given"


def _dry(a: Action) -> RecordResult:
    key = a.remote.key if a.remote else None
    outcome = {"create": "created", "update": "updated", "unchanged": "unchanged", "delete": "deleted", "absent": "unchanged"}[a.kind]
    if a.kind == "update" and not a.fields and a.transition_to:
        outcome = "transitioned"
    detail = "dry run" + (f"; status → {a.transition_to}" if a.transition_to else "")
    return RecordResult(a.record.external_id, outcome, key, detail, a.fields)  # type: ignore[arg-type]


class Pusher:
    """Upsert records into one project, keyed by external id. See the module docstring."""

    def __init__(self, connections: Connections, name: str, project: str, issue_type: str = "Task",
                 prefix: str = "jirasync", options: PushOptions | None = None) -> None:
        conn = connections.get(name)
        self.connections = connections
        self.name = name
        self.project = project
        self.issue_type = issue_type
        self.prefix = check_prefix(prefix)
        self.options = options or PushOptions()
        self.api = conn.api_version
        self.cloud = conn.is_cloud
        self.repo = PushRepo(connections.store, name, project)
        self.owner = uuid.uuid4().hex
        self.workflow = Workflow()

    def __repr__(self) -> str:
        return f"Pusher({self.name!r}, project={self.project!r}, prefix={self.prefix!r})"

    async def _run(self, work: Any, dry_run: bool) -> PushReport:
        report = PushReport(dry_run=dry_run)
        async with self.connections.client(self.name, self.options.client) as client:
            run = _Run(self, client, report)
            try:
                await work(run)
            finally:
                run.flush()
                self.repo.mark_uncertain(run.uncertain, self.owner)
                self.repo.release_all(self.owner)
                report.requests = client.stats.requests
        if not dry_run and run.done:
            self.repo.resolved(run.done)
        return report

    async def upsert(self, records: Iterable[PushRecord], dry_run: bool = False, delete_missing: bool = False) -> PushReport:
        latest = {r.external_id: r for r in records}  # the last record of an id wins
        missing = [e for e in self.repo.mapped() if e not in latest] if delete_missing else []

        async def work(run: _Run) -> None:
            await run.upsert(list(latest.values()), dry_run)
            if missing:
                await run.delete(missing, dry_run)

        return await self._run(work, dry_run)

    async def delete(self, external_ids: Iterable[str], dry_run: bool = False) -> PushReport:
        ids = list(dict.fromkeys(external_ids))
        return await self._run(lambda run: run.delete(ids, dry_run), dry_run)

    async def retry_failed(self, dry_run: bool = False) -> PushReport:
        """Send the dead letters again (deletes stay deletes)."""
        records = [PushRecord.from_json(d.record) for d in self.repo.dead_letters()]
        return await self._run(lambda run: run.upsert(records, dry_run), dry_run)
