"""The push side's tables and repository (documented in docs/schema.md, created by 0003_push).

* ``push_map`` — one row per (connection, project, external id): the Jira issue it became and the
  property we last wrote (hashes). A row in state ``pending`` is a **claim**: the process named by
  ``owner`` is creating that issue. The primary key makes the claim exclusive across processes
  sharing the store; a claim older than its lease may be taken over (after reconciling with Jira).
  A ``done`` row with an ``owner`` is claimed for an update the same way.
* ``push_comments`` — external comment id → Jira comment id (a copy of the property's map).
* ``push_dead_letters`` — records that failed, with the error and attempts, for ``--retry-failed``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, and_, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from jirasync.exceptions import ConnectionNotFound
from jirasync.store.db import Store, insert_for
from jirasync.store.models import Base, ConnectionRow

PENDING, DONE = "pending", "done"


def _now_ms() -> int:
    return int(time.time() * 1000)


class PushMapRow(Base):
    __tablename__ = "push_map"
    connection_id: Mapped[int] = mapped_column(Integer, ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True)
    project: Mapped[str] = mapped_column(String(255), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # pending (claimed) | done
    owner: Mapped[str | None] = mapped_column(String(64))
    claimed_ms: Mapped[int | None] = mapped_column(BigInteger)
    issue_id: Mapped[int | None] = mapped_column(BigInteger)
    issue_key: Mapped[str | None] = mapped_column(String(255))
    hash: Mapped[str | None] = mapped_column(String(64))
    prop: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    updated_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PushCommentRow(Base):
    __tablename__ = "push_comments"
    connection_id: Mapped[int] = mapped_column(Integer, ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True)
    project: Mapped[str] = mapped_column(String(255), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    comment_external_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(BigInteger)
    hash: Mapped[str | None] = mapped_column(String(64))


class PushDeadLetterRow(Base):
    __tablename__ = "push_dead_letters"
    connection_id: Mapped[int] = mapped_column(Integer, ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True)
    project: Mapped[str] = mapped_column(String(255), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    record: Mapped[Any] = mapped_column(JSON, nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False)
    permanent: Mapped[int] = mapped_column(Integer, nullable=False)  # 1: retrying cannot help until fixed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    created_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)


@dataclass(frozen=True)
class MapEntry:
    external_id: str
    state: str
    owner: str | None
    claimed_ms: int | None
    issue_id: int | None
    issue_key: str | None
    prop: dict[str, Any] | None


@dataclass(frozen=True)
class DeadLetter:
    external_id: str
    record: dict[str, Any]
    error: str
    permanent: bool
    attempts: int


def _chunks(items: list[str], n: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class PushRepo:
    """Typed access to the push tables of one connection and project; each call is one transaction."""

    def __init__(self, store: Store, connection: str, project: str) -> None:
        self.store = store
        self.project = project
        with store.session() as s:
            cid = s.scalar(select(ConnectionRow.id).where(ConnectionRow.name == connection))
        if cid is None:
            raise ConnectionNotFound(connection)
        self.cid: int = cid

    def _key(self) -> Any:
        return and_(PushMapRow.connection_id == self.cid, PushMapRow.project == self.project)

    def load(self, external_ids: Iterable[str]) -> dict[str, MapEntry]:
        out: dict[str, MapEntry] = {}
        with self.store.session() as s:
            for chunk in _chunks(list(external_ids)):
                for r in s.scalars(select(PushMapRow).where(self._key(), PushMapRow.external_id.in_(chunk))):
                    out[r.external_id] = MapEntry(r.external_id, r.state, r.owner, r.claimed_ms, r.issue_id, r.issue_key, r.prop)
        return out

    def mapped(self) -> dict[str, MapEntry]:
        with self.store.session() as s:
            return {r.external_id: MapEntry(r.external_id, r.state, r.owner, r.claimed_ms, r.issue_id, r.issue_key, r.prop)
                    for r in s.scalars(select(PushMapRow).where(self._key(), PushMapRow.state == DONE))}

    def claim(self, external_ids: Iterable[str], owner: str, lease_s: float) -> set[str]:
        """Claim the right to create these ids; answers those now ours (new, already ours, or whose
        owner's lease ran out). A ``done`` row is never claimed."""
        ids = list(external_ids)
        now = _now_ms()
        with self.store.session() as s:
            for chunk in _chunks(ids):
                rows = [{"connection_id": self.cid, "project": self.project, "external_id": e, "state": PENDING,
                         "owner": owner, "claimed_ms": now, "updated_ms": now} for e in chunk]
                s.execute(insert_for(s)(PushMapRow).on_conflict_do_nothing(), rows)
                s.execute(update(PushMapRow).where(
                    self._key(), PushMapRow.external_id.in_(chunk), PushMapRow.state == PENDING,
                    or_(PushMapRow.owner == owner, PushMapRow.claimed_ms < now - int(lease_s * 1000)),
                ).values(owner=owner, claimed_ms=now))
        return {e for e, m in self.load(ids).items() if m.state == PENDING and m.owner == owner}

    def claim_updates(self, external_ids: Iterable[str], owner: str, lease_s: float) -> set[str]:
        """Claim the right to write issues we already map (``done`` rows), so that two pushers never
        interleave writes to one issue; answers those now ours."""
        ids = list(external_ids)
        now = _now_ms()
        with self.store.session() as s:
            for chunk in _chunks(ids):
                s.execute(update(PushMapRow).where(
                    self._key(), PushMapRow.external_id.in_(chunk), PushMapRow.state == DONE,
                    or_(PushMapRow.owner.is_(None), PushMapRow.owner == owner, PushMapRow.claimed_ms < now - int(lease_s * 1000)),
                ).values(owner=owner, claimed_ms=now))
        return {e for e, m in self.load(ids).items() if m.state == DONE and m.owner == owner}

    def release(self, external_ids: Iterable[str], owner: str) -> None:
        with self.store.session() as s:
            for chunk in _chunks(list(external_ids)):
                s.execute(delete(PushMapRow).where(self._key(), PushMapRow.external_id.in_(chunk),
                                                   PushMapRow.state == PENDING, PushMapRow.owner == owner))

    def mark_uncertain(self, external_ids: Iterable[str], owner: str) -> None:
        """Creates whose outcome is unknown (answer lost, not found yet): keep the claim but let it
        expire at once, so the next run searches Jira over the whole index lag before creating."""
        with self.store.session() as s:
            for chunk in _chunks(list(external_ids)):
                s.execute(update(PushMapRow).where(self._key(), PushMapRow.external_id.in_(chunk), PushMapRow.state == PENDING,
                                                   PushMapRow.owner == owner).values(owner="uncertain", claimed_ms=0))

    def release_all(self, owner: str) -> None:
        """Drop every claim ``owner`` still holds (its run is over: nothing more will be created)."""
        with self.store.session() as s:
            s.execute(delete(PushMapRow).where(self._key(), PushMapRow.state == PENDING, PushMapRow.owner == owner))
            s.execute(update(PushMapRow).where(self._key(), PushMapRow.state == DONE, PushMapRow.owner == owner)
                      .values(owner=None, claimed_ms=None))

    def save(self, external_id: str, issue_id: int, key: str, prop: dict[str, Any]) -> None:
        self.save_many([(external_id, issue_id, key, prop)])

    def save_many(self, items: list[tuple[str, int, str, dict[str, Any]]]) -> None:
        """Record what we wrote (and release our claims on it), all in one transaction."""
        if not items:
            return
        now = _now_ms()
        rows = [{"connection_id": self.cid, "project": self.project, "external_id": eid, "state": DONE, "owner": None,
                 "claimed_ms": None, "issue_id": iid, "issue_key": key, "hash": prop.get("hash"), "prop": prop, "updated_ms": now}
                for eid, iid, key, prop in items]
        comments = [{"connection_id": self.cid, "project": self.project, "external_id": eid, "comment_external_id": cid,
                     "comment_id": c.get("id"), "hash": c.get("hash")}
                    for eid, _, _, prop in items for cid, c in (prop.get("comments") or {}).items()]
        with self.store.session() as s:
            stmt = insert_for(s)(PushMapRow)
            s.execute(stmt.on_conflict_do_update(index_elements=["connection_id", "project", "external_id"],
                                                 set_={k: stmt.excluded[k] for k in rows[0] if k not in ("connection_id", "project", "external_id")}),
                      rows)
            for chunk in _chunks([eid for eid, _, _, _ in items]):
                s.execute(delete(PushCommentRow).where(PushCommentRow.connection_id == self.cid, PushCommentRow.project == self.project,
                                                       PushCommentRow.external_id.in_(chunk)))
            if comments:
                s.execute(insert_for(s)(PushCommentRow), comments)

    def forget(self, external_id: str) -> None:
        with self.store.session() as s:
            s.execute(delete(PushMapRow).where(self._key(), PushMapRow.external_id == external_id))
            s.execute(delete(PushCommentRow).where(PushCommentRow.connection_id == self.cid, PushCommentRow.project == self.project,
                                                   PushCommentRow.external_id == external_id))

    # -- dead letters -----------------------------------------------------------------------------
    def dead(self, record: dict[str, Any], error: str, permanent: bool) -> None:
        now = _now_ms()
        row = {"connection_id": self.cid, "project": self.project, "external_id": str(record["external_id"]), "record": record,
               "error": error, "permanent": int(permanent), "attempts": 1, "created_ms": now, "updated_ms": now}
        with self.store.session() as s:
            stmt = insert_for(s)(PushDeadLetterRow).values(**row)
            s.execute(stmt.on_conflict_do_update(
                index_elements=["connection_id", "project", "external_id"],
                set_={"record": stmt.excluded.record, "error": stmt.excluded.error, "permanent": stmt.excluded.permanent,
                      "attempts": PushDeadLetterRow.attempts + 1, "updated_ms": now}))

    def dead_letters(self) -> list[DeadLetter]:
        with self.store.session() as s:
            rows = s.scalars(select(PushDeadLetterRow).where(PushDeadLetterRow.connection_id == self.cid,
                                                            PushDeadLetterRow.project == self.project)
                             .order_by(PushDeadLetterRow.created_ms))
            return [DeadLetter(r.external_id, r.record, r.error, bool(r.permanent), r.attempts) for r in rows]

    def resolved(self, external_ids: Iterable[str]) -> None:
        with self.store.session() as s:
            for chunk in _chunks(list(external_ids)):
                s.execute(delete(PushDeadLetterRow).where(PushDeadLetterRow.connection_id == self.cid,
                                                          PushDeadLetterRow.project == self.project,
                                                          PushDeadLetterRow.external_id.in_(chunk)))
