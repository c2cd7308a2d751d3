"""What a user pushes: one :class:`PushRecord` per external id, and what happened to it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["created", "updated", "unchanged", "transitioned", "deleted", "failed", "skipped"]


def digest(value: Any) -> str:
    """A short, stable hash of a JSON value (key order does not matter)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PushComment:
    external_id: str
    body_md: str


@dataclass(frozen=True)
class PushRecord:
    """``fields`` are keyed by Jira field id or name (``summary``, ``priority``, ``Severity``…) with
    plain values (names of options, not ids); ``status`` is the status to reach by transitions."""

    external_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    description_md: str | None = None
    status: str | None = None
    comments: tuple[PushComment, ...] = ()
    delete: bool = False

    def field_hashes(self) -> dict[str, str]:
        """One hash per field we write: the unit of "send only what changed"."""
        hashes = {name: digest(value) for name, value in self.fields.items()}
        if self.description_md is not None:
            hashes["description"] = digest(self.description_md)
        return hashes

    def comment_hashes(self) -> dict[str, str]:
        return {c.external_id: digest(c.body_md) for c in self.comments}

    @property
    def hash(self) -> str:
        return digest([self.field_hashes(), self.status, self.comment_hashes()])

    def to_json(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "fields": self.fields,
            "description_md": self.description_md,
            "status": self.status,
            "comments": [{"external_id": c.external_id, "body_md": c.body_md} for c in self.comments],
            "delete": self.delete,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PushRecord:
        return cls(
            str(data["external_id"]),
            dict(data.get("fields") or {}),
            data.get("description_md"),
            data.get("status"),
            tuple(PushComment(str(c["external_id"]), str(c["body_md"])) for c in data.get("comments") or []),
            bool(data.get("delete")),
        )


@dataclass(frozen=True)
class RecordResult:
    external_id: str
    outcome: Outcome
    key: str | None = None
    detail: str = ""
    changed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"external_id": self.external_id, "outcome": self.outcome, "key": self.key,
                "detail": self.detail, "changed": list(self.changed)}


@dataclass
class PushReport:
    results: list[RecordResult] = field(default_factory=list)
    requests: int = 0
    dry_run: bool = False

    def add(self, result: RecordResult) -> None:
        self.results.append(result)

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out

    @property
    def failed(self) -> list[RecordResult]:
        return [r for r in self.results if r.outcome == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "counts": self.counts, "requests": self.requests,
                "results": [r.as_dict() for r in self.results]}
