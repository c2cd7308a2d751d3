"""Issue representations (Cloud v3 with ADF, Cloud v2, DC v2) — CONTRACT STUB, see the issues area.

    sel = parse_fields(["summary", "-comment"], default="*all")
    serialize_issue(view, issue, sel, expand={"names", "changelog"}) -> dict
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jiraemu.http import View
from jiraemu.state import Issue


@dataclass(frozen=True)
class FieldSelection:
    """Which fields to render: ``all``/``navigable`` flags, explicit ids, and exclusions."""

    all: bool = False
    navigable: bool = False
    include: frozenset[str] = field(default_factory=frozenset)
    exclude: frozenset[str] = field(default_factory=frozenset)

    @property
    def id_only(self) -> bool:
        """True when no field beyond id/key is requested (search pages may then hold 5000)."""
        return not self.all and not self.navigable and self.include <= {"id", "key"}


def parse_fields(values: list[str] | None, default: str = "*all") -> FieldSelection:
    items = values if values else [default]
    inc = {v for v in items if not v.startswith("-") and not v.startswith("*")}
    exc = {v[1:] for v in items if v.startswith("-")}
    return FieldSelection("*all" in items, "*navigable" in items, frozenset(inc), frozenset(exc))


def serialize_issue(
    view: View,
    issue: Issue,
    sel: FieldSelection,
    expand: set[str] | frozenset[str] = frozenset(),
    properties: list[str] | None = None,
    fields_by_keys: bool = False,
) -> dict[str, Any]:
    return {"id": str(issue.id), "key": issue.key, "self": view.rest(f"issue/{issue.id}"), "fields": {}}
