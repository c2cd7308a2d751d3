"""Reference data: fields, projects, users, groups and members, project roles, permission schemes and
grants, security levels, boards, sprints — each stream declared in ``jirasync.sync.streams``. The
projects come first (``sync_projects``); the rest is read concurrently (``sync_reference``) before
the issue searches, or alongside them when every selected project is read in full anyway (a first
sync, ``--full``): only an incremental run needs the access digest to decide.

``ReferenceSync`` is the part of a run (``jirasync.sync.engine._Run``) that reads them; it uses the
run's client, repository, summary and error guard.

What each run reads:

* projects, fields, users, boards and sprints: every run (one or a few requests each; Jira offers no
  cheap change signal for users managed in Atlassian Admin or an identity provider);
* the *access families* — groups and members, project roles, permission schemes and grants,
  security levels and their members (together about two thirds of a no-change run's requests) —
  only when one audit read (Cloud ``GET /rest/api/3/auditing/record?from=…``, *Administer Jira*)
  shows a change to that family since the last check, and always on a full run, when the audit log
  is not readable (Data Center, a non-admin user), when the set of visible projects changed, and at
  least every ``reference_refresh_hours`` (a connection option, default 24): not every change is
  audited. The access digest is computed from what is stored, just read or kept.
* sprint membership: from each issue's Sprint field, committed with its page
  (``jirasync.sync.sprints``); the per-sprint walk is only a fallback for a site without a
  Sprint field.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from jirasync.client import JiraClient
from jirasync.exceptions import BadRequest, JiraError, NotFound, PermissionDenied, RecordError
from jirasync.records import (
    GroupRecord,
    PermissionGrantRecord,
    PermissionSchemeRecord,
    ProjectRecord,
    RoleActorRecord,
    SecurityLevelRecord,
    SprintRecord,
    UserRecord,
)
from jirasync.store.repo import SyncRepo
from jirasync.sync.streams import AGILE, read_stream, streams_for

if TYPE_CHECKING:
    from jirasync.connections import Connection
    from jirasync.sync.engine import Syncer, SyncSummary
    from jirasync.sync.issues import IssueContext

T = TypeVar("T")
# The user's groups and project roles, as a digest kept like a checkpoint: when they change, what the
# user may see changes without any issue's ``updated`` moving (restricted comments, security levels),
# so every project is read in full once.
ACCESS_KEY = "~access"
# When the access families were last all re-read (``updated_ms``: the run's start), kept like a checkpoint.
REFRESH_KEY = "~reference-refresh"
# How far the audit log has been checked: ``updated_ms`` the run's start, ``issue_id`` the highest audit
# record id seen (ids only grow, so a record read twice through the overlap is not a change twice).
AUDIT_KEY = "~reference-audit"
FAMILIES = ("groups", "roles", "permissions", "security")
DEFAULT_REFRESH_HOURS = 24.0
AUDIT_PATH = "/rest/api/3/auditing/record"
AUDIT_PAGE = 1000
AUDIT_MAX_PAGES = 5  # a busier log than this since the last check: re-read everything instead
AUDIT_OVERLAP = timedelta(minutes=10)  # clock skew between us and Jira; repeats are told apart by id


def audit_families(record: dict[str, Any]) -> set[str]:
    """The access families an audit record may have changed (categories and summaries as Jira Cloud
    writes them: "User added to group" / "group management", "Project roles changed" / "projects",
    "Permission scheme updated" / "permissions", issue security schemes and levels under "permissions")."""
    category = str(record.get("category") or "").lower()
    summary = str(record.get("summary") or "").lower()
    if "security" in summary or "security" in category:
        return {"security"}
    if category == "group management":
        # a deleted or renamed group also leaves role actors and grants that named it
        return set(FAMILIES) if ("deleted" in summary or "renamed" in summary) else {"groups"}
    if category == "user management":
        return {"groups"}  # created, deleted or deactivated users join or leave groups
    if category == "permissions":
        return {"permissions"}
    if category == "projects":
        if "role" in summary:
            return {"roles"}
        if summary.startswith("project ") and any(w in summary for w in ("created", "deleted", "restored", "archived")):
            return {"roles", "permissions", "security"}
    return set()


class ReferenceSync:
    """Reads the reference streams of one run; mixed into the run, whose attributes it declares."""

    s: Syncer
    conn: Connection
    repo: SyncRepo
    client: JiraClient
    summary: SyncSummary
    ctx: IssueContext
    full: bool
    cloud: bool
    v: int
    at: datetime
    groups: dict[str, set[str]] | None
    roles: list[RoleActorRecord] | None
    users: list[UserRecord]
    access_digest: str | None
    access_changed: bool
    fields_ready: asyncio.Event

    async def _guard(self, what: str, work: Awaitable[T], default: T) -> T:
        raise NotImplementedError

    # -- reference data --------------------------------------------------------------------------
    async def sync_projects(self) -> tuple[list[ProjectRecord], bool]:
        """The projects this user can see (stored), and whether that set changed since the last run."""
        before = self.repo.project_ids()
        projects: list[ProjectRecord] = await read_stream(self.client, streams_for(self.cloud)["projects"], self.v,
                                                          self.cloud)
        self.repo.upsert_projects(projects, self.at, complete=True)
        self.summary.reference["projects"] = len(projects)
        return projects, {p.id for p in projects} != before

    async def sync_reference(self, projects: list[ProjectRecord], projects_changed: bool) -> None:
        """Everything else; ``fields_ready`` is set once the fields are stored (or failed), which the
        issue pages wait for (their sprint membership reads the Sprint field's id)."""
        try:
            await self._sync_reference(projects, projects_changed)
        finally:
            self.fields_ready.set()

    async def _sync_reference(self, projects: list[ProjectRecord], projects_changed: bool) -> None:
        if not self.s.reference:
            return
        plan, watermark = await self.reference_plan(projects_changed)
        done: set[str] = set()

        async def family(name: str, work: Awaitable[None]) -> None:
            await work
            done.add(name)

        readers: dict[str, tuple[str, Callable[[], Awaitable[None]]]] = {
            "groups": ("groups", self.sync_groups),
            "roles": ("project roles", lambda: self.sync_roles(projects)),
            "permissions": ("permission schemes", lambda: self.sync_permission_schemes(projects)),
            "security": ("security levels", lambda: self.sync_security_levels(projects)),
        }
        async def fields() -> None:
            try:
                await self._guard("fields", self.sync_simple("fields", complete=True), None)
            finally:
                self.fields_ready.set()

        await asyncio.gather(
            fields(),
            self._guard("users", self.sync_simple("users", complete=self.cloud), None),
            *(self._guard(what, family(name, read()), None) for name, (what, read) in readers.items() if name in plan),
            self._guard("boards", self.sync_boards(), None),
        )
        self.summary.reference["access_families_kept"] = len(FAMILIES) - len(plan)
        # the access digest's inputs: what is stored, when it was kept or has just been read without error
        if "groups" not in plan or "groups" in done:
            self.groups = self.repo.group_members()
        if "roles" not in plan or "roles" in done:
            self.roles = self.repo.role_actors()
        self.save_reference_marks(plan, done, watermark)
        self.access_digest = self.access()
        previous = self.repo.get_checkpoint(ACCESS_KEY)
        self.access_changed = bool(self.access_digest and previous and previous.fingerprint != self.access_digest)

    # -- change detection of the access families ------------------------------------------------
    def refresh_hours(self) -> float:
        raw = self.conn.options.get("reference_refresh_hours", DEFAULT_REFRESH_HOURS)
        try:
            return float(raw)
        except (TypeError, ValueError):
            return DEFAULT_REFRESH_HOURS

    async def reference_plan(self, projects_changed: bool) -> tuple[set[str], int | None]:
        """The access families to re-read this run, and the audit log's highest record id (None: the
        log was not read). Everything on a full run, a first run, a refresh that is due, a changed
        set of projects, or when the audit log cannot tell."""
        refreshed = self.repo.get_checkpoint(REFRESH_KEY)
        checked = self.repo.get_checkpoint(AUDIT_KEY)
        now_ms = _ms(self.at)
        due = (refreshed is None or refreshed.updated_ms is None
               or now_ms - refreshed.updated_ms >= self.refresh_hours() * 3_600_000)
        everything = self.full or due or projects_changed
        if not self.cloud:  # Data Center 10's REST API has no audit records endpoint
            return set(FAMILIES), None
        marks = [cp.updated_ms for cp in (refreshed, checked) if cp is not None and cp.updated_ms is not None]
        since_ms = (max(marks) if marks else now_ms) - int(AUDIT_OVERLAP.total_seconds() * 1000)
        seen = checked.issue_id if checked is not None else None
        found = await self.audit_changes(since_ms, seen)
        if found is None:
            return set(FAMILIES), None
        families, watermark = found
        return (set(FAMILIES) if everything else families), watermark

    async def audit_changes(self, since_ms: int, seen: int | None) -> tuple[set[str], int | None] | None:
        """The families audited as changed since ``since_ms`` in records newer than id ``seen``, and the
        highest record id read (or ``seen``); None when the log is not readable to this user."""
        since = datetime.fromtimestamp(since_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        families: set[str] = set()
        top = seen
        offset = 0
        try:
            for _ in range(AUDIT_MAX_PAGES):
                page = await self.client.get(AUDIT_PATH, params={"from": since, "offset": offset, "limit": AUDIT_PAGE})
                records = [r for r in (page or {}).get("records") or [] if isinstance(r, dict)]
                for rec in records:
                    rid = rec.get("id")
                    rid = int(rid) if isinstance(rid, int | str) and str(rid).isdigit() else None
                    if rid is not None and seen is not None and rid <= seen:
                        continue
                    if rid is not None:
                        top = rid if top is None else max(top, rid)
                    families |= audit_families(rec)
                offset += len(records)
                if not records or offset >= int((page or {}).get("total") or 0):
                    return families, top
        except (PermissionDenied, NotFound):
            return None  # not an administrator, or a plan without the audit log
        except JiraError as exc:  # anything else: re-read everything, the run goes on
            self.summary.errors.append(f"audit log: {exc}")
            return None
        return set(FAMILIES), top  # too busy a log to scan: re-read everything

    def save_reference_marks(self, plan: set[str], done: set[str], watermark: int | None) -> None:
        """Advance the refresh and audit marks, only over families that were read (or kept) without error."""
        if plan - done:
            return  # a family failed: the next run looks again from the same marks
        with self.repo.transaction() as tx:
            if plan == set(FAMILIES):
                tx.save_checkpoint(REFRESH_KEY, project_id=None, updated_ms=_ms(self.at), issue_id=None,
                                   fingerprint=None, completed=True, at=self.at)
            if watermark is not None:
                tx.save_checkpoint(AUDIT_KEY, project_id=None, updated_ms=_ms(self.at), issue_id=watermark,
                                   fingerprint=None, completed=True, at=self.at)

    def access(self) -> str | None:
        """A digest of the groups and project roles the connection's user is in (None if unknown)."""
        if self.groups is None or self.roles is None:
            return None
        me = {x for x in (self.conn.account_id, self.conn.login) if x}
        me |= {u.name for u in self.users if u.id in me and u.name}
        groups = sorted(g for g, members in self.groups.items() if members & me)
        roles = sorted({(a.project_id, a.role_id) for a in self.roles
                        if (a.actor_type == "user" and a.actor_value in me) or (a.actor_type == "group" and a.actor_value in groups)})
        return hashlib.sha256(json.dumps([groups, roles]).encode()).hexdigest()[:16]

    async def _read(self, name: str, parent: Any = None, url: str | None = None) -> list[Any]:
        skipped: list[RecordError] = []
        records = await read_stream(self.client, streams_for(self.cloud)[name], self.v, self.cloud, parent, skipped, url)
        self.ctx.skipped.extend(skipped)
        return records

    async def sync_simple(self, name: str, complete: bool) -> None:
        records = await self._read(name)
        getattr(self.repo, f"upsert_{name}")(records, self.at, complete=complete)
        self.summary.reference[name] = len(records)
        if name == "users":
            self.users = records

    async def sync_groups(self) -> None:
        groups: list[GroupRecord] = await self._read("groups")
        self.repo.upsert_groups(groups, self.at, complete=True)
        members = await asyncio.gather(*(self._read("group_members", g) for g in groups))
        for g, ms in zip(groups, members, strict=True):
            self.repo.replace_group_members(g.name, ms, self.at)
        self.summary.reference["groups"] = len(groups)
        self.summary.reference["group_members"] = sum(len(m) for m in members)

    async def sync_roles(self, projects: list[ProjectRecord]) -> None:
        stream = streams_for(self.cloud)["role_actors"]

        role_ids = await self._read("role_ids")

        async def project_roles(p: ProjectRecord) -> None:
            actors = await asyncio.gather(*(
                self._read("role_actors", p, stream.url(self.v, p).replace("{role}", str(rid))) for rid in role_ids
            ))
            records = [a for group in actors for a in group]
            self.repo.replace_project_roles(p.id, records, self.at)
            self.summary.reference["role_actors"] = self.summary.reference.get("role_actors", 0) + len(records)

        await asyncio.gather(*(project_roles(p) for p in projects))

    async def sync_permission_schemes(self, projects: list[ProjectRecord]) -> None:
        records, pairs = await asyncio.gather(
            self._read("permission_schemes"),
            asyncio.gather(*(self._read("project_permission_schemes", p) for p in projects)),
        )
        self.repo.set_project_permission_schemes(dict(pair for found in pairs for pair in found), self.at)
        schemes = [r for r in records if isinstance(r, PermissionSchemeRecord)]
        self.repo.upsert_permission_schemes(schemes, self.at, complete=True)
        for scheme in schemes:
            grants = [g for g in records if isinstance(g, PermissionGrantRecord) and g.scheme_id == scheme.id]
            self.repo.replace_permission_grants(scheme.id, grants, self.at)
        self.summary.reference["permission_schemes"] = len(schemes)

    async def sync_security_levels(self, projects: list[ProjectRecord]) -> None:
        unique = await self.site_security_levels()
        if unique is None:  # not an administrator, or Data Center: one request per project
            levels = await asyncio.gather(*(self._read("security_levels", p) for p in projects))
            unique = {lv.id: lv for group in levels for lv in group}
        self.repo.upsert_security_levels(list(unique.values()), self.at)
        self.summary.reference["security_levels"] = len(unique)
        from jirasync.search.members import sync_level_members  # who is in each level, for `search --as`

        members = await sync_level_members(self.client, self.repo.store, self.repo.connection_id, self.cloud,
                                           list(unique), self.at, self.ctx.skipped)
        if members is not None:
            self.summary.reference["level_members"] = members

    async def site_security_levels(self) -> dict[int, SecurityLevelRecord] | None:
        """Cloud: the levels of every issue security scheme, with their scheme, in one paged read
        (``GET issuesecurityschemes/level``, *Administer Jira*) instead of one request per project;
        None where Jira refuses it (not an administrator) or has no such endpoint."""
        if not self.cloud:
            return None
        try:
            levels = await self._read("site_security_levels")
        except (PermissionDenied, NotFound, BadRequest):
            return None
        return {lv.id: lv for lv in levels}

    async def sync_boards(self) -> None:
        boards = await self._read("boards")
        self.repo.upsert_boards(boards, self.at, complete=True)
        scrum = [b for b in boards if b.type == "scrum"]
        sprints = await asyncio.gather(*(self._read("sprints", b) for b in scrum))
        unique = {s.id: s for group in sprints for s in group}
        self.repo.upsert_sprints(list(unique.values()), self.at, complete=True)
        self.sprints: list[SprintRecord] = list(unique.values())
        self.summary.reference["boards"] = len(boards)
        self.summary.reference["sprints"] = len(unique)

    async def sync_sprint_issues(self) -> None:
        """The fallback for a site whose issues carry no Sprint field but that has scrum boards: the
        issue list of each open sprint (every sprint on a full run), one request per sprint. Where the
        field exists, membership was committed with each page of issues (``commit_page``)."""
        sprints = getattr(self, "sprints", [])
        if not sprints:
            return
        if self.repo.sprint_field_ids():
            return
        for sprint in sprints:
            if sprint.state == "closed" and not self.full:
                continue
            ids: list[int] = []
            async for page in _agile_pages(self.client, f"{AGILE}/sprint/{sprint.id}/issue"):
                ids.extend(int(i["id"]) for i in page)
            self.repo.replace_sprint_issues(sprint.id, ids, self.at)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


async def _agile_pages(client: JiraClient, path: str) -> Any:
    from jirasync.client import offset_pages

    async for page in offset_pages(client, path, items="issues", params={"fields": "id"}, page_size=100):
        yield page
