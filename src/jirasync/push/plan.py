"""Plan, then apply: what to do with each record given what Jira (or the store) has. Pure — no I/O.

``plan_record(record, remote)`` answers one :class:`Action`. ``remote`` is ``None`` when no issue
carries the record's label, else the issue's id, key, status and our property (``{externalId,
hash, fields, status, comments}``) as last written. Only fields whose hash differs are sent;
a record whose hash equals the property's costs no write at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from jirasync.push.records import PushRecord

Kind = Literal["create", "update", "unchanged", "delete", "absent"]


@dataclass(frozen=True)
class Remote:
    issue_id: int
    key: str
    status: str | None = None
    prop: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    record: PushRecord
    kind: Kind
    remote: Remote | None = None
    fields: tuple[str, ...] = ()  # names of the record's fields to send (create: all)
    transition_to: str | None = None
    comments_add: tuple[str, ...] = ()  # external comment ids
    comments_update: tuple[tuple[str, int], ...] = ()  # (external comment id, Jira comment id)

    @property
    def writes(self) -> bool:
        return self.kind in ("create", "update", "delete")

    def new_property(self, comment_ids: dict[str, int] | None = None) -> dict[str, Any]:
        """The property after this action is applied (``comment_ids`` maps new external comment ids)."""
        old = dict((self.remote.prop if self.remote else {}).get("comments") or {})
        hashes = self.record.comment_hashes()
        comments = {cid: {"id": (comment_ids or {}).get(cid, (old.get(cid) or {}).get("id")), "hash": h}
                    for cid, h in hashes.items()}
        for cid, entry in old.items():  # comments the input no longer has are kept, not deleted
            comments.setdefault(cid, entry)
        return {"externalId": self.record.external_id, "hash": self.record.hash, "fields": self.record.field_hashes(),
                "status": self.record.status if self.record.status is not None else self._old_status(), "comments": comments}

    def _old_status(self) -> str | None:
        return (self.remote.prop if self.remote else {}).get("status")


def _same_status(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


def plan_record(record: PushRecord, remote: Remote | None) -> Action:
    if record.delete:
        return Action(record, "delete", remote) if remote is not None else Action(record, "absent")
    if remote is None:
        target = record.status
        return Action(record, "create", None, tuple(record.field_hashes()), target,
                      tuple(c.external_id for c in record.comments))
    prop = remote.prop or {}
    current = remote.status if remote.status is not None else prop.get("status")
    transition = record.status if record.status is not None and not _same_status(record.status, current) else None
    if prop.get("hash") == record.hash and transition is None:
        return Action(record, "unchanged", remote)
    old_fields = prop.get("fields") or {}
    changed = tuple(name for name, h in record.field_hashes().items() if old_fields.get(name) != h)
    old_comments = prop.get("comments") or {}
    add = tuple(cid for cid in record.comment_hashes() if not (old_comments.get(cid) or {}).get("id"))
    update = tuple((cid, int(old_comments[cid]["id"])) for cid, h in record.comment_hashes().items()
                   if cid not in add and old_comments[cid].get("hash") != h)
    return Action(record, "update", remote, changed, transition, add, update)


def plan_push(records: list[PushRecord], remotes: dict[str, Remote]) -> list[Action]:
    return [plan_record(r, remotes.get(r.external_id)) for r in records]
