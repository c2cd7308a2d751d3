"""Validate and convert a record's fields against createmeta (the new per-project endpoints):
``GET /issue/createmeta/{project}/issuetypes`` and ``…/issuetypes/{id}``.

A record fails — naming the field and, for option fields, the allowed values — when a field is
unknown, a required field is missing (creates only), or a value is not one of the allowed ones.
Values are written the way Jira wants them: options, priorities, components and versions by id,
users by accountId (Cloud) or name (DC), rich text as ADF (Cloud v3) or wiki markup (DC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jirasync.client import JiraClient, offset_pages
from jirasync.content import markdown_to_adf, markdown_to_wiki
from jirasync.exceptions import ConfigError

IMPLICIT = {"project", "issuetype", "reporter"}  # filled by the pusher, or defaulted by Jira
RICH_CUSTOM = ("textarea",)


@dataclass(frozen=True)
class FieldMeta:
    field_id: str
    name: str
    required: bool
    has_default: bool
    schema: dict[str, Any]
    allowed: tuple[dict[str, Any], ...] = ()

    def allowed_names(self) -> list[str]:
        return [str(a.get("name") or a.get("value") or a.get("id")) for a in self.allowed]

    @property
    def rich(self) -> bool:
        custom = str(self.schema.get("custom") or "")
        return self.field_id in ("description", "environment") or custom.endswith(RICH_CUSTOM)


@dataclass
class CreateMeta:
    project: str
    issue_type_id: str
    issue_type: str
    cloud: bool
    fields: dict[str, FieldMeta] = field(default_factory=dict)

    @classmethod
    async def load(cls, client: JiraClient, api: int, project: str, issue_type: str, cloud: bool) -> CreateMeta:
        base = f"/rest/api/{api}/issue/createmeta/{project}/issuetypes"
        types: list[dict[str, Any]] = []
        async for page in offset_pages(client, base, items="issueTypes", page_size=200):
            types.extend(page)
        if not types:  # Data Center pages call the list "values"
            async for page in offset_pages(client, base, items="values", page_size=200):
                types.extend(page)
        chosen = next((t for t in types if issue_type.casefold() in (str(t.get("name", "")).casefold(), str(t.get("id")))), None)
        if chosen is None:
            names = ", ".join(str(t.get("name")) for t in types) or "none"
            raise ConfigError("--issue-type", f"{issue_type!r} is not an issue type of {project} (available: {names})",
                              fix="pass one of the available types, or add it to the project's issue type scheme")
        meta = cls(project, str(chosen["id"]), str(chosen["name"]), cloud)
        async for page in offset_pages(client, f"{base}/{chosen['id']}", items="fields", page_size=200):
            for f in page:
                meta.add(f)
        if not meta.fields:
            async for page in offset_pages(client, f"{base}/{chosen['id']}", items="values", page_size=200):
                for f in page:
                    meta.add(f)
        return meta

    def add(self, f: dict[str, Any]) -> None:
        fid = str(f.get("fieldId") or f.get("key"))
        self.fields[fid] = FieldMeta(fid, str(f.get("name") or fid), bool(f.get("required")), bool(f.get("hasDefaultValue")),
                                     dict(f.get("schema") or {}), tuple(f.get("allowedValues") or ()))

    def find(self, name: str) -> FieldMeta | None:
        if name in self.fields:
            return self.fields[name]
        folded = name.casefold()
        return next((m for m in self.fields.values() if m.name.casefold() == folded or m.field_id.casefold() == folded), None)

    def resolve(self, name: str) -> str:
        meta = self.find(name)
        if meta is None:
            raise ConfigError(name, f"is not a field on the create screen of {self.issue_type} in {self.project}",
                              fix="map to one of: " + ", ".join(sorted(m.name for m in self.fields.values())))
        return meta.field_id

    def convert(self, name: str, value: Any) -> tuple[str, Any]:
        """``(field id, value as Jira takes it)``; raises ConfigError naming the field."""
        meta = self.find(name)
        if meta is None:
            self.resolve(name)
            raise AssertionError  # resolve raised
        return meta.field_id, self._value(meta, value)

    def missing_required(self, present: set[str]) -> list[FieldMeta]:
        return [m for m in self.fields.values() if m.required and not m.has_default and m.field_id not in IMPLICIT
                and m.field_id not in present]

    def rich_text(self, markdown: str) -> Any:
        return markdown_to_adf(markdown) if self.cloud else markdown_to_wiki(markdown)

    def _value(self, meta: FieldMeta, value: Any) -> Any:
        kind = meta.schema.get("type")
        if kind == "array":
            items = value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
            if meta.allowed or meta.schema.get("items") in ("option", "component", "version"):
                return [self._option(meta, v) for v in items]
            return [str(v) for v in items]
        if meta.allowed or kind in ("option", "priority", "resolution"):
            return self._option(meta, value)
        if kind == "number":
            try:
                return float(value)
            except (TypeError, ValueError):
                raise ConfigError(meta.name, f"{value!r} is not a number") from None
        if kind == "user":
            return {"accountId": str(value)} if self.cloud else {"name": str(value)}
        if kind == "string":
            return self.rich_text(str(value)) if meta.rich else str(value)
        return value

    def _option(self, meta: FieldMeta, value: Any) -> dict[str, Any]:
        wanted = str(value.get("name") or value.get("value") or value.get("id")) if isinstance(value, dict) else str(value)
        for a in meta.allowed:
            if wanted.casefold() in (str(a.get("name", "")).casefold(), str(a.get("value", "")).casefold(), str(a.get("id"))):
                return {"id": str(a["id"])}
        if not meta.allowed:
            return {"name": wanted}
        raise ConfigError(meta.name, f"{wanted!r} is not allowed (allowed: {', '.join(meta.allowed_names())})",
                          fix=f"map the value to one of the allowed ones, e.g. --map {meta.field_id}=SOURCE:{wanted}={meta.allowed_names()[0]}")
