"""The sync repository: typed, batch-oriented writes and reads of synced Jira data.

Everything is scoped to one connection. Each method of :class:`SyncRepo` runs in its own
transaction; to make several writes atomic (a page of issues and the checkpoint that covers it),
open one::

    with repo.transaction() as tx:
        tx.upsert_issues(page, now)
        tx.replace_children(ids, comments=..., histories=...)
        tx.save_checkpoint("ABC", project_id=10000, updated_ms=..., issue_id=..., fingerprint=fp)

An exception inside the block rolls all of it back: the checkpoint never runs ahead of its data.

Upserts are dialect-native (``INSERT … ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL) and
chunked under both databases' bind-parameter limits. Rows are never deleted: what Jira no longer
shows gets ``deleted_at`` (and, for issues, a ``deleted_reason``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Table, func, select, tuple_, update
from sqlalchemy.orm import Session

from jirasync.records import (
    AttachmentRecord,
    BoardRecord,
    CommentRecord,
    FieldRecord,
    GroupMemberRecord,
    GroupRecord,
    HistoryRecord,
    IssueLinkRecord,
    IssueRecord,
    PermissionGrantRecord,
    PermissionSchemeRecord,
    ProjectRecord,
    RoleActorRecord,
    SecurityLevelRecord,
    SprintRecord,
    UserRecord,
    WorklogRecord,
)
from jirasync.store.bulk import Codec, codec_for, codec_of
from jirasync.store.db import Store, insert_for
from jirasync.store.models import (
    AttachmentRow,
    Base,
    BoardRow,
    ChangeItemRow,
    ChangelogRow,
    CheckpointRow,
    CommentRow,
    ConnectionRow,
    FieldRow,
    GroupMemberRow,
    GroupRow,
    IssueLinkRow,
    IssueRow,
    IssueSprintRow,
    PermissionGrantRow,
    PermissionSchemeRow,
    ProjectPermissionSchemeRow,
    ProjectRoleActorRow,
    ProjectRow,
    SecurityLevelRow,
    SkippedRecordRow,
    SprintRow,
    SyncRunRow,
    UserRow,
    WorklogRow,
)

DeletedReason = Literal["deleted", "moved", "permission_lost"]
ChildKind = Literal["comments", "worklogs", "attachments", "histories"]
DELETED_REASONS: frozenset[str] = frozenset({"deleted", "moved", "permission_lost"})
Row = dict[str, Any]

# Tables counted by counts(), in schema order.
ENTITY_TABLES: tuple[type[Base], ...] = (
    ProjectRow, FieldRow, UserRow, GroupRow, GroupMemberRow, ProjectRoleActorRow, PermissionSchemeRow,
    PermissionGrantRow, ProjectPermissionSchemeRow, SecurityLevelRow, IssueRow, IssueLinkRow, CommentRow,
    AttachmentRow, WorklogRow, ChangelogRow, ChangeItemRow, BoardRow, SprintRow, IssueSprintRow,
    SyncRunRow, CheckpointRow, SkippedRecordRow,
)

_CHILD_MODELS: dict[str, type[Base]] = {"comments": CommentRow, "worklogs": WorklogRow,
                                         "attachments": AttachmentRow, "histories": ChangelogRow}

# Rows per "IN (...)" list in soft-delete updates.
_MAX_ROWS = 1_000


SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"  # the Sprint custom field of Jira Software


STORED_RAW = {"raw": "stored_raw"}  # records whose raw column leaves out what another column keeps


@dataclass(frozen=True)
class Checkpoint:
    project_key: str
    project_id: int | None
    updated_ms: int | None  # cursor: the last committed issue's updated (epoch ms) ...
    issue_id: int | None  # ... and its id, to break ties at the same millisecond
    fingerprint: str | None  # of the filters this cursor was built under
    completed: bool  # the pass that wrote it reached the end of the project
    updated_at: datetime


@dataclass(frozen=True)
class IssueDump:
    """One issue as compared with the emulator's ground truth."""

    id: int
    key: str
    project_id: int
    project_key: str
    updated_ms: int
    deleted_reason: str | None


@dataclass(frozen=True)
class SyncRun:
    id: int
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    requests: int
    retries: int
    errors: list[Any]


def utc(when: datetime | None = None) -> datetime:
    """``when`` as aware UTC (now when omitted); naive values read back from SQLite are UTC."""
    if when is None:
        return datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# -- record -> row ---------------------------------------------------------------------------------


def _project_row(p: ProjectRecord) -> Row:
    return {"id": p.id, "key": p.key, "name": p.name, "project_type": p.project_type, "lead_id": p.lead_id,
            "category": p.category, "description": p.description, "archived": p.archived, "raw": p.raw}


def _field_row(f: FieldRecord) -> Row:
    return {"id": f.id, "name": f.name, "custom": f.custom, "schema_type": f.schema_type,
            "schema_items": f.schema_items, "schema_custom": f.schema_custom,
            "clause_names": list(f.clause_names), "raw": f.raw}


def _user_row(u: UserRecord) -> Row:
    return {"id": u.id, "account_id": u.account_id, "name": u.name, "display_name": u.display_name,
            "email": u.email, "active": u.active, "time_zone": u.time_zone, "account_type": u.account_type,
            "raw": u.raw}


def _group_row(g: GroupRecord) -> Row:
    return {"name": g.name, "group_id": g.group_id, "raw": g.raw}


def _member_row(m: GroupMemberRecord) -> Row:
    return {"group_name": m.group_name, "user_id": m.user_id, "raw": m.raw}


def _actor_row(a: RoleActorRecord) -> Row:
    return {"project_id": a.project_id, "role_id": a.role_id, "actor_type": a.actor_type,
            "actor_value": a.actor_value, "role_name": a.role_name, "raw": a.raw}


def _scheme_row(s: PermissionSchemeRecord) -> Row:
    return {"id": s.id, "name": s.name, "description": s.description, "raw": s.raw}


def _grant_row(g: PermissionGrantRecord) -> Row:
    return {"id": g.id, "scheme_id": g.scheme_id, "permission": g.permission, "holder_type": g.holder_type,
            "holder_parameter": g.holder_parameter, "raw": g.raw}


def _level_row(lv: SecurityLevelRecord) -> Row:
    return {"id": lv.id, "scheme_id": lv.scheme_id, "name": lv.name, "description": lv.description,
            "raw": lv.raw}


def _board_row(b: BoardRecord) -> Row:
    return {"id": b.id, "name": b.name, "type": b.type, "project_id": b.project_id,
            "project_key": b.project_key, "raw": b.raw}


def _sprint_row(s: SprintRecord) -> Row:
    return {"id": s.id, "board_id": s.board_id, "name": s.name, "state": s.state, "start_date": s.start_date,
            "end_date": s.end_date, "complete_date": s.complete_date, "goal": s.goal, "raw": s.raw}


# -- operations ------------------------------------------------------------------------------------


class _Ops:
    """Every repository operation, written once; ``_tx`` decides the transaction it runs in."""

    connection_id: int

    def _tx(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    # reference data -----------------------------------------------------------------------------
    def upsert_projects(self, records: Iterable[ProjectRecord], at: datetime | None = None, *,
                        complete: bool = False) -> int:
        """``complete``: the records are every project the user can see; others get ``deleted_at``."""
        return self._upsert_all(ProjectRow, map(_project_row, records), at, complete)

    def upsert_fields(self, records: Iterable[FieldRecord], at: datetime | None = None, *,
                      complete: bool = False) -> int:
        return self._upsert_all(FieldRow, map(_field_row, records), at, complete)

    def upsert_users(self, records: Iterable[UserRecord], at: datetime | None = None, *,
                     complete: bool = False) -> int:
        return self._upsert_all(UserRow, map(_user_row, records), at, complete)

    def upsert_groups(self, records: Iterable[GroupRecord], at: datetime | None = None, *,
                      complete: bool = False) -> int:
        return self._upsert_all(GroupRow, map(_group_row, records), at, complete)

    def replace_group_members(self, group_name: str, records: Iterable[GroupMemberRecord],
                              at: datetime | None = None) -> int:
        """The complete membership of one group."""
        rows = [_member_row(m) for m in records]
        with self._tx() as s:
            return self._replace(s, GroupMemberRow, rows, at, GroupMemberRow.group_name == group_name)

    def replace_project_roles(self, project_id: int, records: Iterable[RoleActorRecord],
                              at: datetime | None = None) -> int:
        """Every actor of every role of one project."""
        rows = [_actor_row(a) for a in records]
        with self._tx() as s:
            return self._replace(s, ProjectRoleActorRow, rows, at, ProjectRoleActorRow.project_id == project_id)

    def upsert_permission_schemes(self, records: Iterable[PermissionSchemeRecord], at: datetime | None = None,
                                  *, complete: bool = False) -> int:
        return self._upsert_all(PermissionSchemeRow, map(_scheme_row, records), at, complete)

    def replace_permission_grants(self, scheme_id: int, records: Iterable[PermissionGrantRecord],
                                  at: datetime | None = None) -> int:
        """The complete grant list of one permission scheme."""
        rows = [_grant_row(g) for g in records]
        with self._tx() as s:
            return self._replace(s, PermissionGrantRow, rows, at, PermissionGrantRow.scheme_id == scheme_id)

    def set_project_permission_schemes(self, schemes: Mapping[int, int], at: datetime | None = None) -> int:
        """project id -> permission scheme id, for the given projects."""
        rows = [{"project_id": p, "scheme_id": sid} for p, sid in schemes.items()]
        return self._upsert_all(ProjectPermissionSchemeRow, rows, at, complete=False)

    def upsert_security_levels(self, records: Iterable[SecurityLevelRecord], at: datetime | None = None, *,
                               complete: bool = False) -> int:
        return self._upsert_all(SecurityLevelRow, map(_level_row, records), at, complete)

    def upsert_boards(self, records: Iterable[BoardRecord], at: datetime | None = None, *,
                      complete: bool = False) -> int:
        return self._upsert_all(BoardRow, map(_board_row, records), at, complete)

    def upsert_sprints(self, records: Iterable[SprintRecord], at: datetime | None = None, *,
                       complete: bool = False) -> int:
        return self._upsert_all(SprintRow, map(_sprint_row, records), at, complete)

    def replace_sprint_issues(self, sprint_id: int, issue_ids: Iterable[int], at: datetime | None = None) -> int:
        """The complete issue list of one sprint."""
        rows = [{"issue_id": i, "sprint_id": sprint_id} for i in issue_ids]
        with self._tx() as s:
            return self._replace(s, IssueSprintRow, rows, at, IssueSprintRow.sprint_id == sprint_id)

    def sprint_field_ids(self) -> list[str]:
        """The live Sprint custom field ids (schema ``SPRINT_SCHEMA``) the fields stream stored."""
        with self._tx() as s:
            q = select(FieldRow.id).where(*self._mine(FieldRow), FieldRow.deleted_at.is_(None),
                                          FieldRow.schema_custom == SPRINT_SCHEMA).order_by(FieldRow.id)
            return [str(i) for i in s.scalars(q)]

    def replace_issue_sprints(self, memberships: Mapping[int, Collection[int]], at: datetime | None = None) -> None:
        """Each given issue's complete sprint list: a sprint no longer in it gets ``deleted_at``."""
        issue_ids = sorted(memberships)
        with self._tx() as s:
            for chunk in _chunks(issue_ids, 500):
                rows = [{"issue_id": i, "sprint_id": sid} for i in chunk for sid in sorted(memberships[i])]
                self._replace(s, IssueSprintRow, rows, at, IssueSprintRow.issue_id.in_(chunk))

    # issues -------------------------------------------------------------------------------------
    def upsert_issues(self, records: Iterable[IssueRecord], at: datetime | None = None) -> int:
        """Insert or update by id. A moved issue (new key and project) is updated in place and its
        ``deleted_at`` cleared. A row is never overwritten by an older snapshot (lower ``updated_ms``),
        so racing pages of two projects cannot resurrect an issue's previous project."""
        issues = list(records)
        with self._tx() as s:
            e = codec_for(s)
            self._write(s, e, page_rows(e, self.connection_id, at, issues=issues))
        return len(issues)

    def replace_children(
        self,
        issue_ids: Collection[int],
        *,
        comments: Iterable[CommentRecord] | None = None,
        worklogs: Iterable[WorklogRecord] | None = None,
        attachments: Iterable[AttachmentRecord] | None = None,
        histories: Iterable[HistoryRecord] | None = None,
        links: Iterable[IssueLinkRecord] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Each list given is COMPLETE for all of ``issue_ids``: rows of those issues that are not in
        it get ``deleted_at``. Omit (None) a kind whose list is not complete."""
        with self._tx() as s:
            e = codec_for(s)
            self._write(s, e, page_rows(e, self.connection_id, at, issue_ids=issue_ids, comments=comments,
                                        worklogs=worklogs, attachments=attachments, histories=histories, links=links))

    def write_page(self, rows: PageRows) -> None:
        """Write rows made by ``page_rows``: the issues upserted, each child kind given replacing what
        is stored for ``rows.issue_ids``."""
        with self._tx() as s:
            self._write(s, codec_for(s), rows)

    def _write(self, s: Session, e: Codec, rows: PageRows) -> None:
        if rows.issues:
            table = _table(IssueRow)
            guard = f"{e.quote(table.name)}.{e.quote('updated_ms')} <= excluded.{e.quote('updated_ms')}"
            e.upsert(s, table, rows.issues.columns, rows.issues.rows, nulls=rows.issues.nulls, guard=guard)
        ids = rows.issue_ids
        # comments and worklogs: their raw without the body / comment, which issue_json() puts back
        for model, part in ((CommentRow, rows.comments), (WorklogRow, rows.worklogs),
                            (AttachmentRow, rows.attachments), (ChangelogRow, rows.histories)):
            if part is not None:
                self._replace_rows(s, e, _table(model), part, rows.synced_at, ids, ("issue_id",))
        if rows.change_items is not None:
            table, q = _table(ChangeItemRow), e.quote
            e.upsert(s, table, rows.change_items.columns, rows.change_items.rows, nulls=rows.change_items.nulls)
            # the items of every history now deleted
            for chunk in _chunks(ids, _MAX_ROWS):
                e.execute(s, f"UPDATE {q(table.name)} SET {q('deleted_at')} = ? WHERE {q('connection_id')} = ? "
                             f"AND {q('deleted_at')} IS NULL AND {q('history_id')} IN (SELECT {q('id')} FROM "
                             f"{q(_table(ChangelogRow).name)} WHERE {q('connection_id')} = ? AND {q('issue_id')} IN "
                             f"({e.marks(len(chunk))}) AND {q('deleted_at')} IS NOT NULL)",
                          [rows.synced_at, self.connection_id, self.connection_id, *chunk])
        if rows.links is not None:
            self._replace_rows(s, e, _table(IssueLinkRow), rows.links, rows.synced_at, ids,
                               ("source_issue_id", "target_issue_id"))

    def _replace_rows(self, s: Session, e: Codec, table: Table, part: Rows, when: Any, issue_ids: list[int],
                      scope: tuple[str, ...]) -> None:
        """Upsert ``part`` and soft-delete the live rows whose ``scope`` column (any of them) is one of
        ``issue_ids`` and that are not among them. Rows are keyed by ``id``."""
        e.upsert(s, table, part.columns, part.rows, nulls=part.nulls)
        key = part.columns.index("id")
        kept = {r[key] for r in part.rows}
        name, q = e.quote(table.name), e.quote
        gone: dict[int, None] = {}
        for chunk in _chunks(issue_ids, _MAX_ROWS):
            marks = e.marks(len(chunk))
            where = " OR ".join(f"{q(c)} IN ({marks})" for c in scope)
            sql = (f"SELECT {q('id')} FROM {name} WHERE {q('connection_id')} = ? AND {q('deleted_at')} IS NULL "
                   f"AND ({where})")
            for (key,) in e.execute(s, sql, [self.connection_id, *(list(chunk) * len(scope))]):
                if key not in kept:
                    gone[key] = None
        for chunk in _chunks(list(gone), _MAX_ROWS):
            e.execute(s, f"UPDATE {name} SET {q('deleted_at')} = ? WHERE {q('connection_id')} = ? "
                         f"AND {q('id')} IN ({e.marks(len(chunk))})", [when, self.connection_id, *chunk])

    def replace_issue_children(
        self,
        issue_id: int,
        *,
        comments: Iterable[CommentRecord] | None = None,
        worklogs: Iterable[WorklogRecord] | None = None,
        attachments: Iterable[AttachmentRecord] | None = None,
        histories: Iterable[HistoryRecord] | None = None,
        links: Iterable[IssueLinkRecord] | None = None,
        at: datetime | None = None,
    ) -> None:
        """``replace_children`` for one issue."""
        self.replace_children([issue_id], comments=comments, worklogs=worklogs, attachments=attachments,
                              histories=histories, links=links, at=at)

    def set_attachment_content(self, attachment_id: int, sha256: str) -> None:
        with self._tx() as s:
            s.execute(update(AttachmentRow).where(*self._mine(AttachmentRow), AttachmentRow.id == attachment_id)
                      .values(content_sha256=sha256))

    def mark_issues(self, ids: Iterable[int], reason: DeletedReason, at: datetime | None = None) -> int:
        """Soft-delete issues, saying why. An already-deleted issue keeps its first ``deleted_at``
        but takes the newer reason (an audit-log ``deleted`` beats an earlier guess)."""
        if reason not in DELETED_REASONS:
            raise ValueError(f"reason must be one of {sorted(DELETED_REASONS)}, not {reason!r}")
        when, count = utc(at), 0
        with self._tx() as s:
            for chunk in _chunks(sorted(set(ids)), _MAX_ROWS):
                result = s.execute(
                    update(IssueRow).where(*self._mine(IssueRow), IssueRow.id.in_(chunk))
                    .values(deleted_at=func.coalesce(IssueRow.deleted_at, when), deleted_reason=reason)
                    .execution_options(synchronize_session=False))
                count += result.rowcount  # type: ignore[attr-defined]
        return count

    def parent_ids(self, ids: Collection[int]) -> dict[int, int]:
        """Sub-task id -> parent id, for those of the given stored issues that have a parent."""
        out: dict[int, int] = {}
        with self._tx() as s:
            for chunk in _chunks(sorted(ids), _MAX_ROWS):
                rows = s.execute(select(IssueRow.id, IssueRow.parent_id).where(
                    *self._mine(IssueRow), IssueRow.id.in_(chunk), IssueRow.parent_id.is_not(None)))
                out.update({int(i): int(p) for i, p in rows if p is not None})
        return out

    def project_ids(self) -> set[int]:
        """The ids of the live stored projects."""
        with self._tx() as s:
            return {int(i) for i in s.scalars(select(ProjectRow.id).where(*self._mine(ProjectRow),
                                                                          ProjectRow.deleted_at.is_(None)))}

    def group_members(self) -> dict[str, set[str]]:
        """group name -> its live members' ids, and their login names where Jira gave one (Data
        Center), as project roles and permission grants may name either."""
        out: dict[str, set[str]] = {}
        with self._tx() as s:
            q = select(GroupMemberRow.group_name, GroupMemberRow.user_id, GroupMemberRow.raw).where(
                *self._mine(GroupMemberRow), GroupMemberRow.deleted_at.is_(None))
            for group, user, raw in s.execute(q):
                members = out.setdefault(str(group), set())
                members.add(str(user))
                name = raw.get("name") if isinstance(raw, dict) else None
                if name:
                    members.add(str(name))
        return out

    def role_actors(self) -> list[RoleActorRecord]:
        """Every live project role actor, as records."""
        with self._tx() as s:
            q = select(ProjectRoleActorRow).where(*self._mine(ProjectRoleActorRow),
                                                  ProjectRoleActorRow.deleted_at.is_(None))
            return [RoleActorRecord(r.project_id, r.role_id, r.role_name, r.actor_type, r.actor_value, r.raw or {})
                    for r in s.scalars(q)]

    def live_issue_ids(self, project_id: int) -> set[int]:
        with self._tx() as s:
            q = select(IssueRow.id).where(*self._mine(IssueRow), IssueRow.project_id == project_id,
                                          IssueRow.deleted_at.is_(None))
            return set(s.scalars(q))

    def issue_updated_map(self, project_id: int) -> dict[int, int]:
        """Live issue id -> updated_ms, to skip issues the overlap window brings back unchanged."""
        with self._tx() as s:
            q = select(IssueRow.id, IssueRow.updated_ms).where(
                *self._mine(IssueRow), IssueRow.project_id == project_id, IssueRow.deleted_at.is_(None))
            return {i: ms for i, ms in s.execute(q)}

    def live_issue_index(self) -> dict[int, tuple[int, int]]:
        """Every live issue of the connection: id -> (updated_ms, project_id)."""
        with self._tx() as s:
            q = select(IssueRow.id, IssueRow.updated_ms, IssueRow.project_id).where(
                *self._mine(IssueRow), IssueRow.deleted_at.is_(None))
            return {i: (ms, p) for i, ms, p in s.execute(q)}

    def issue(self, issue_id: int) -> dict[str, Any] | None:
        """One issue row's columns (``raw`` included), or None."""
        with self._tx() as s:
            table = _table(IssueRow)
            row = s.execute(select(table).where(table.c.connection_id == self.connection_id,
                                                table.c.id == issue_id)).mappings().first()
            return dict(row) if row is not None else None

    def deletion_counts(self) -> dict[str, int]:
        """Soft-deleted issues by reason."""
        with self._tx() as s:
            q = (select(IssueRow.deleted_reason, func.count()).where(*self._mine(IssueRow), IssueRow.deleted_at.is_not(None))
                 .group_by(IssueRow.deleted_reason))
            return {str(reason): n for reason, n in s.execute(q)}

    def live_child_ids(self, kind: ChildKind) -> dict[int, set[int]]:
        """Issue id -> ids of its live comments / worklogs / attachments / histories (as in the
        emulator's ground truth with ``include=``)."""
        model: Any = _CHILD_MODELS[kind]
        out: dict[int, set[int]] = {}
        with self._tx() as s:
            q = select(model.issue_id, model.id).where(*self._mine(model), model.deleted_at.is_(None))
            for issue_id, child_id in s.execute(q):
                out.setdefault(issue_id, set()).add(child_id)
        return out

    def issues_dump(self) -> list[IssueDump]:
        """Every issue row (live and deleted), by id."""
        with self._tx() as s:
            q = select(IssueRow.id, IssueRow.key, IssueRow.project_id, IssueRow.project_key, IssueRow.updated_ms,
                       IssueRow.deleted_reason).where(*self._mine(IssueRow)).order_by(IssueRow.id)
            return [IssueDump(*row) for row in s.execute(q)]

    def issue_json(self, issue_id: int) -> dict[str, Any] | None:
        """An issue's JSON as Jira sent it (None if the store has no such issue): ``issues.raw`` with
        what ``IssueRecord.stored_raw`` left out put back from its own columns — the description,
        the environment, each embedded comment and worklog (as the store has them: from the comment
        or worklog endpoint when the embedded page was short) and, on Data Center, each embedded
        changelog history."""
        with self._tx() as s:
            row = s.execute(select(IssueRow.raw, IssueRow.description_raw, IssueRow.environment_raw)
                            .where(*self._mine(IssueRow), IssueRow.id == issue_id)).first()
            if row is None or not isinstance(row.raw, dict):
                return None if row is None else row.raw
            raw: dict[str, Any] = dict(row.raw)
            fields = raw.get("fields")
            if isinstance(fields, dict):
                fields = raw["fields"] = dict(fields)
                for key, value in (("description", row.description_raw), ("environment", row.environment_raw)):
                    if key in fields:
                        fields[key] = value
                if "comment" in fields:
                    fields["comment"] = self._unstub(s, CommentRow, issue_id, fields["comment"], "comments",
                                                     ("body", CommentRow.body_raw))
                if "worklog" in fields:
                    fields["worklog"] = self._unstub(s, WorklogRow, issue_id, fields["worklog"], "worklogs",
                                                     ("comment", WorklogRow.comment_raw))
            if "changelog" in raw:
                raw["changelog"] = self._unstub(s, ChangelogRow, issue_id, raw["changelog"], "histories", None)
            return raw

    def _unstub(self, s: Session, model: Any, issue_id: int, page: Any, key: str,
                kept_apart: tuple[str, Any] | None) -> Any:
        """``page`` with each ``{"id": …}`` stub replaced by that row's JSON; ``kept_apart``: (a key
        the row's ``raw`` has as null, the column that holds its value)."""
        if not isinstance(page, dict) or not isinstance(page.get(key), list):
            return page
        ids = [i for i in map(_stub_id, page[key]) if i is not None]
        if not ids:
            return page
        columns = [model.id, model.raw, *([kept_apart[1]] if kept_apart is not None else [])]
        found: dict[int, Any] = {}
        for row in s.execute(select(*columns).where(*self._mine(model), model.issue_id == issue_id, model.id.in_(ids))):
            item = row[1]
            if kept_apart is not None and isinstance(item, dict) and kept_apart[0] in item:
                item = {**item, kept_apart[0]: row[2]}
            found[int(row[0])] = item

        return {**page, key: [found.get(i, item) if (i := _stub_id(item)) is not None else item for item in page[key]]}

    # checkpoints --------------------------------------------------------------------------------
    def get_checkpoint(self, project_key: str) -> Checkpoint | None:
        with self._tx() as s:
            row = s.get(CheckpointRow, (self.connection_id, project_key))
            return _checkpoint(row) if row is not None else None

    def checkpoints(self, prefix: str | None = None) -> list[Checkpoint]:
        """Every cursor of the connection (or those whose key starts with ``prefix``), by key."""
        with self._tx() as s:
            q = select(CheckpointRow).where(*self._mine(CheckpointRow)).order_by(CheckpointRow.project_key)
            if prefix is not None:
                q = q.where(CheckpointRow.project_key.startswith(prefix, autoescape=True))
            return [_checkpoint(row) for row in s.scalars(q)]

    def save_checkpoint(self, project_key: str, *, project_id: int | None, updated_ms: int | None,
                        issue_id: int | None, fingerprint: str | None, completed: bool = False,
                        at: datetime | None = None) -> Checkpoint:
        """Save (replace) a project's cursor. Call it in the transaction of the data it covers."""
        cp = Checkpoint(project_key, project_id, updated_ms, issue_id, fingerprint, completed, utc(at))
        with self._tx() as s:
            _upsert(s, _table(CheckpointRow), [self._scoped(dataclasses.asdict(cp))])
        return cp

    def delete_checkpoints(self, project_keys: Iterable[str] | None = None) -> None:
        """Forget cursors (all, or of the given projects): the next sync of them is full."""
        with self._tx() as s:
            q = _table(CheckpointRow).delete().where(*self._mine(CheckpointRow))
            if project_keys is not None:
                q = q.where(CheckpointRow.project_key.in_(list(project_keys)))
            s.execute(q)

    # runs and dead letters ----------------------------------------------------------------------
    def start_run(self, mode: Literal["full", "incremental"], at: datetime | None = None) -> int:
        with self._tx() as s:
            run = SyncRunRow(connection_id=self.connection_id, started_at=utc(at), mode=mode, status="running",
                             counts={}, requests=0, retries=0, errors=[])
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, *, status: str, counts: Mapping[str, Any] | None = None, requests: int = 0,
                   retries: int = 0, errors: Sequence[Any] = (), at: datetime | None = None) -> None:
        with self._tx() as s:
            s.execute(update(SyncRunRow).where(*self._mine(SyncRunRow), SyncRunRow.id == run_id).values(
                finished_at=utc(at), status=status, counts=dict(counts or {}), requests=requests,
                retries=retries, errors=list(errors)))

    def runs(self, limit: int = 20) -> list[SyncRun]:
        """The latest runs, newest first."""
        with self._tx() as s:
            q = (select(SyncRunRow).where(*self._mine(SyncRunRow))
                 .order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc()).limit(limit))
            return [SyncRun(r.id, r.mode, r.status, utc(r.started_at), utc(r.finished_at) if r.finished_at else None,
                            r.counts, r.requests, r.retries, r.errors) for r in s.scalars(q)]

    def record_skipped(self, kind: str, remote_id: str | int | None, reason: str, raw: Any,
                       run_id: int | None = None, at: datetime | None = None) -> None:
        with self._tx() as s:
            s.add(SkippedRecordRow(connection_id=self.connection_id, run_id=run_id, kind=kind,
                                   remote_id=None if remote_id is None else str(remote_id), reason=reason,
                                   raw=raw, recorded_at=utc(at)))

    def skipped(self) -> list[tuple[str, str | None, str]]:
        """(kind, remote id, reason) of every dead letter, oldest first."""
        with self._tx() as s:
            q = (select(SkippedRecordRow.kind, SkippedRecordRow.remote_id, SkippedRecordRow.reason)
                 .where(*self._mine(SkippedRecordRow)).order_by(SkippedRecordRow.id))
            return [(k, r, why) for k, r, why in s.execute(q)]

    def counts(self, *, live: bool = False) -> dict[str, int]:
        """Rows per table for this connection (``live``: only rows without ``deleted_at``)."""
        out = {}
        with self._tx() as s:
            for model in ENTITY_TABLES:
                table = _table(model)
                q = select(func.count()).select_from(table).where(table.c.connection_id == self.connection_id)
                if live and "deleted_at" in table.c:
                    q = q.where(table.c.deleted_at.is_(None))
                out[table.name] = s.scalar(q) or 0
        return out

    # helpers ------------------------------------------------------------------------------------
    def _mine(self, model: Any) -> list[ColumnElement[bool]]:
        return [model.connection_id == self.connection_id]

    def _scoped(self, row: Row) -> Row:
        return {"connection_id": self.connection_id, **row}

    def _stamp(self, rows: Iterable[Row], at: datetime | None) -> list[Row]:
        when = utc(at)
        return [{"connection_id": self.connection_id, **r, "synced_at": when, "deleted_at": None} for r in rows]

    def _upsert_all(self, model: type[Base], rows: Iterable[Row], at: datetime | None, complete: bool) -> int:
        with self._tx() as s:
            if complete:
                return self._replace(s, model, list(rows), at, None)
            stamped = self._stamp(rows, at)
            _upsert(s, _table(model), stamped)
            return len(stamped)

    def _replace(self, s: Session, model: type[Base], rows: list[Row], at: datetime | None,
                 scope: ColumnElement[bool] | None) -> int:
        """Upsert ``rows`` and soft-delete the live rows in ``scope`` that are not among them."""
        table = _table(model)
        stamped = self._stamp(rows, at)
        _upsert(s, table, stamped)
        keys = [c for c in table.primary_key.columns if c.name != "connection_id"]
        kept = {tuple(r[c.name] for c in keys) for r in stamped}
        q = select(*keys).where(table.c.connection_id == self.connection_id, table.c.deleted_at.is_(None))
        if scope is not None:
            q = q.where(scope)
        gone = [tuple(k) for k in s.execute(q) if tuple(k) not in kept]
        for chunk in _chunks(gone, _MAX_ROWS):
            s.execute(update(table).where(table.c.connection_id == self.connection_id, tuple_(*keys).in_(chunk))
                      .values(deleted_at=utc(at)))
        return len(stamped)


class SyncTx(_Ops):
    """The operations inside one open transaction (from ``SyncRepo.transaction()``)."""

    def __init__(self, session: Session, connection_id: int) -> None:
        self._session = session
        self.connection_id = connection_id

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        yield self._session


def connection_id_of(store: Store, name: str) -> int | None:
    """The store's id of the connection called ``name`` (None when there is none)."""
    with store.session() as s:
        found = s.scalar(select(ConnectionRow.id).where(ConnectionRow.name == name))
    return None if found is None else int(found)


class SyncRepo(_Ops):
    """Synced data of one connection. Each call is its own transaction; see ``transaction()``."""

    def __init__(self, store: Store, connection_id: int) -> None:
        self.store = store
        self.connection_id = connection_id

    def __repr__(self) -> str:
        return f"SyncRepo({self.store!r}, connection_id={self.connection_id})"

    def codec(self) -> Codec:
        """How the store encodes rows (``page_rows``)."""
        return codec_of(self.store.engine.dialect)

    @contextmanager
    def transaction(self) -> Iterator[SyncTx]:
        """One transaction for several operations: all are committed together, or none."""
        with self.store.session() as session:
            yield SyncTx(session, self.connection_id)

    def _tx(self) -> AbstractContextManager[Session]:
        return self.store.session()


def _stub_id(item: Any) -> int | None:
    """The id of a ``{"id": …}`` stub that ``stored_raw`` left in an embedded page (None: not a stub)."""
    if isinstance(item, dict) and len(item) == 1 and str(item.get("id", "")).isdigit():
        return int(item["id"])
    return None


def _checkpoint(row: CheckpointRow) -> Checkpoint:
    return Checkpoint(row.project_key, row.project_id, row.updated_ms, row.issue_id, row.fingerprint,
                      row.completed, utc(row.updated_at))


@dataclass
class Rows:
    """Rows of one table in stored form: tuples in ``columns`` order, ``nulls`` NULL in each."""

    columns: tuple[str, ...]
    nulls: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class PageRows:
    """A page of issues and their children as rows in stored form, made by ``page_rows`` (no
    database needed: the sync builds them before it opens the page's transaction) and written by
    ``SyncRepo.write_page``."""

    synced_at: Any  # the sync time, stored form
    issue_ids: list[int]  # the issues whose given child kinds are complete
    issues: Rows | None = None
    comments: Rows | None = None
    worklogs: Rows | None = None
    attachments: Rows | None = None
    histories: Rows | None = None
    change_items: Rows | None = None
    links: Rows | None = None


def page_rows(
    e: Codec,
    connection_id: int,
    at: datetime | None,
    *,
    issues: Sequence[IssueRecord] | None = None,
    issue_ids: Collection[int] | None = None,
    comments: Iterable[CommentRecord] | None = None,
    worklogs: Iterable[WorklogRecord] | None = None,
    attachments: Iterable[AttachmentRecord] | None = None,
    histories: Iterable[HistoryRecord] | None = None,
    links: Iterable[IssueLinkRecord] | None = None,
) -> PageRows:
    """The rows of ``issues`` and of each child kind given (complete for ``issue_ids``, by default the
    issues' ids), encoded by ``e``; needs no database."""
    when = e.datetime(utc(at))

    def rows(model: type[Base], records: Iterable[Any] | None, sources: dict[str, str] | None = None) -> Rows | None:
        if records is None:
            return None
        columns, nulls, build = e.builder(_table(model), sources)
        return Rows(columns, nulls, build(records, connection_id, when))

    ids = list(issue_ids) if issue_ids is not None else [r.id for r in issues or ()]
    history_list = list(histories) if histories is not None else None
    return PageRows(
        when, ids,
        issues=rows(IssueRow, issues, STORED_RAW) if issues else None,  # issue_json() puts the rest back
        comments=rows(CommentRow, comments, STORED_RAW),
        worklogs=rows(WorklogRow, worklogs, STORED_RAW),
        attachments=rows(AttachmentRow, attachments),
        histories=rows(ChangelogRow, history_list),
        change_items=rows(ChangeItemRow, None if history_list is None else [c for h in history_list for c in h.items]),
        links=rows(IssueLinkRow, links),
    )


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


Guard = Callable[[Any], ColumnElement[bool]]
"""Given the statement's ``excluded`` row, a condition the existing row must meet to be updated."""


def _upsert(s: Session, table: Table, rows: list[Row], guard: Guard | None = None) -> None:
    """INSERT … ON CONFLICT (primary key) DO UPDATE, as one cached statement executed over all rows
    (SQLAlchemy batches them into multi-row VALUES under each driver's parameter limit). Later
    duplicates of a key win: PostgreSQL refuses to update one row twice in a statement."""
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    unique = list({tuple(r[k] for k in keys): r for r in rows}.values())
    stmt = insert_for(s)(table)
    changes = {c: stmt.excluded[c] for c in unique[0] if c not in keys}
    where = guard(stmt.excluded) if guard is not None else None
    s.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes, where=where), unique)
