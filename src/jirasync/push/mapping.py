"""``--map TARGET=SOURCE[:FROM=TO,FROM=TO…]``: which input field fills which Jira field.

``summary=title`` copies; ``priority=severity:critical=Highest,high=High`` copies through a value
map (keys compared without case; unmapped values pass through, and createmeta validation names
them). ``SOURCE`` may be a dotted path (``message.text``). Targets ``description`` (Markdown),
``status`` (reached by transitions) and ``comments`` (a list of ``{id, body}``) are special; any
other target is a Jira field id or name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jirasync.exceptions import ConfigError
from jirasync.push.records import PushComment, PushRecord


@dataclass(frozen=True)
class FieldMap:
    target: str
    source: str
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> FieldMap:
        target, sep, rest = spec.partition("=")
        if not sep or not target.strip() or not rest.strip():
            raise ConfigError("--map", f"{spec!r} is not TARGET=SOURCE", fix="e.g. --map summary=title or --map priority=severity:critical=Highest")
        source, _, table = rest.partition(":")
        values: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in table.split(","))):
            key, eq, value = pair.partition("=")
            if not eq:
                raise ConfigError("--map", f"{pair!r} in {spec!r} is not FROM=TO", fix="e.g. critical=Highest,high=High")
            values[key.strip().casefold()] = value.strip()
        return cls(target.strip(), source.strip(), values)

    def value(self, row: dict[str, Any]) -> Any:
        value = lookup(row, self.source)
        if self.values and isinstance(value, str):
            return self.values.get(value.casefold(), value)
        return value


def lookup(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


@dataclass(frozen=True)
class Mapping:
    external_id: str
    maps: tuple[FieldMap, ...] = ()

    @classmethod
    def parse(cls, external_id: str, specs: Iterable[str]) -> Mapping:
        return cls(external_id, tuple(FieldMap.parse(s) for s in specs))

    def record(self, row: dict[str, Any]) -> PushRecord:
        eid = lookup(row, self.external_id)
        if eid is None or str(eid) == "":
            raise ConfigError(self.external_id, "the record has no external id", fix="pass --external-id FIELD naming a field every record has")
        maps = self.maps or tuple(FieldMap(k, k) for k in row if k != self.external_id)
        fields: dict[str, Any] = {}
        description = status = None
        comments: tuple[PushComment, ...] = ()
        for m in maps:
            value = m.value(row)
            if m.target == "description":
                description = None if value is None else str(value)
            elif m.target == "status":
                status = None if value is None else str(value)
            elif m.target == "comments":
                comments = tuple(PushComment(str(c.get("id")), str(c.get("body", ""))) for c in value or [] if isinstance(c, dict))
            elif value is not None:
                fields[m.target] = value
        return PushRecord(str(eid), fields, description, status, comments, bool(row.get("_delete")))
