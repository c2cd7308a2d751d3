"""Reference data: fields, projects, users, groups and members, project roles, permission schemes and
grants, security levels, boards, sprints — each stream declared in ``jirasync.sync.streams``, read
concurrently at the start of every run (``ReferenceSync.sync_reference``).

``ReferenceSync`` is the part of a run (``jirasync.sync.engine._Run``) that reads them; it uses the
run's client, repository, summary and error guard.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from jirasync.client import JiraClient
from jirasync.exceptions import RecordError
from jirasync.records import (
    GroupRecord,
    PermissionGrantRecord,
    PermissionSchemeRecord,
    ProjectRecord,
    RoleActorRecord,
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

    async def _guard(self, what: str, work: Awaitable[T], default: T) -> T:
        raise NotImplementedError

    # -- reference data --------------------------------------------------------------------------
    async def sync_reference(self) -> list[ProjectRecord]:
        streams = streams_for(self.cloud)
        projects: list[ProjectRecord] = await read_stream(self.client, streams["projects"], self.v, self.cloud)
        self.repo.upsert_projects(projects, self.at, complete=True)
        self.summary.reference["projects"] = len(projects)
        if not self.s.reference:
            return projects
        await asyncio.gather(
            self._guard("fields", self.sync_simple("fields", complete=True), None),
            self._guard("users", self.sync_simple("users", complete=self.cloud), None),
            self._guard("groups", self.sync_groups(), None),
            self._guard("project roles", self.sync_roles(projects), None),
            self._guard("permission schemes", self.sync_permission_schemes(projects), None),
            self._guard("security levels", self.sync_security_levels(projects), None),
            self._guard("boards", self.sync_boards(), None),
        )
        self.access_digest = self.access()
        previous = self.repo.get_checkpoint(ACCESS_KEY)
        self.access_changed = bool(self.access_digest and previous and previous.fingerprint != self.access_digest)
        return projects

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
        self.groups = {g.name: {m.user_id for m in ms} | {str(m.raw.get("name")) for m in ms if m.raw.get("name")}
                       for g, ms in zip(groups, members, strict=True)}

    async def sync_roles(self, projects: list[ProjectRecord]) -> None:
        stream = streams_for(self.cloud)["role_actors"]

        role_ids = await self._read("role_ids")

        async def project_roles(p: ProjectRecord) -> list[RoleActorRecord]:
            actors = await asyncio.gather(*(
                self._read("role_actors", p, stream.url(self.v, p).replace("{role}", str(rid))) for rid in role_ids
            ))
            records = [a for group in actors for a in group]
            self.repo.replace_project_roles(p.id, records, self.at)
            self.summary.reference["role_actors"] = self.summary.reference.get("role_actors", 0) + len(records)
            return records

        found: list[RoleActorRecord] = []

        async def collect(p: ProjectRecord) -> None:
            found.extend(await project_roles(p))

        await asyncio.gather(*(collect(p) for p in projects))
        self.roles = found

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
        levels = await asyncio.gather(*(self._read("security_levels", p) for p in projects))
        unique = {lv.id: lv for group in levels for lv in group}
        self.repo.upsert_security_levels(list(unique.values()), self.at)
        self.summary.reference["security_levels"] = len(unique)
        from jirasync.search.members import sync_level_members  # who is in each level, for `search --as`

        members = await sync_level_members(self.client, self.repo.store, self.repo.connection_id, self.cloud,
                                           list(unique), self.at, self.ctx.skipped)
        if members is not None:
            self.summary.reference["level_members"] = members

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
        """Issue lists of open sprints every run (every sprint on a full run): one request per sprint."""
        for sprint in getattr(self, "sprints", []):
            if sprint.state == "closed" and not self.full:
                continue
            ids: list[int] = []
            async for page in _agile_pages(self.client, f"{AGILE}/sprint/{sprint.id}/issue"):
                ids.extend(int(i["id"]) for i in page)
            self.repo.replace_sprint_issues(sprint.id, ids, self.at)


async def _agile_pages(client: JiraClient, path: str) -> Any:
    from jirasync.client import offset_pages

    async for page in offset_pages(client, path, items="issues", params={"fields": "id"}, page_size=100):
        yield page
