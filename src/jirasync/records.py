"""Typed records for what sync reads from Jira, parsed from either flavour's JSON.

Every record is a frozen dataclass that keeps ``raw`` (the Jira JSON it came from) for fidelity.
Parsers take ``cloud`` because the two flavours differ: Cloud keys users by ``accountId``, Data
Center by ``key`` (falling back to ``name``); Cloud v3 sends ADF documents where v2 sends wiki
strings. Times become UTC-aware datetimes; an issue's ``updated`` is also kept as epoch
milliseconds (``updated_ms``), the sync cursor.

Malformed input raises :class:`jirasync.exceptions.RecordError` naming the record kind, its id and
the JSON path of the field at fault, e.g. ``issue 10002: fields.updated: missing``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from jirasync.exceptions import RecordError

ToMarkdown = Callable[[Any], str]
"""Converts a rich-text value (ADF dict on Cloud v3, wiki string on v2) to Markdown."""

_MISSING = object()


def epoch_ms(when: datetime) -> int:
    """Epoch milliseconds of an aware datetime (exact: no float rounding)."""
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_epoch_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).replace(microsecond=(ms % 1000) * 1000)


class _Reader:
    """Reads typed values out of one JSON object; errors name the kind, id and dotted path."""

    __slots__ = ("data", "kind", "prefix", "raw", "remote_id")

    def __init__(self, kind: str, data: Any, remote_id: str | None = None) -> None:
        if not isinstance(data, dict):
            raise RecordError(kind, "(record)", f"expected a JSON object, got {type(data).__name__}", raw=data)
        self.kind, self.data = kind, data
        self.remote_id = remote_id if remote_id is not None else _id_text(data.get("id"))
        self.raw: Any = data  # what errors carry: the whole record, also for a nested reader
        self.prefix = ""  # the path of ``data`` in the record, for errors

    def nested(self, key: str) -> _Reader:
        """A reader of the object at ``key`` (the caller checked it is one): shorter paths, same errors."""
        sub = _Reader(self.kind, self.data[key], self.remote_id)
        sub.remote_id, sub.raw, sub.prefix = self.remote_id, self.raw, f"{self.prefix}{key}."
        return sub

    def fail(self, path: str, message: str) -> RecordError:
        return RecordError(self.kind, self.prefix + path, message, remote_id=self.remote_id, raw=self.raw)

    def get(self, path: str, default: Any = None) -> Any:
        if "." not in path:
            return self.data.get(path, default)
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict):
                return default
            node = node.get(part, _MISSING)
            if node is _MISSING:
                return default
        return node

    def req_str(self, path: str) -> str:
        value = self.get(path)
        if not isinstance(value, str) or not value:
            raise self.fail(path, "missing" if value is None else f"expected a non-empty string, got {value!r}")
        return value

    def opt_str(self, path: str) -> str | None:
        value = self.get(path)
        if type(value) is str:  # the common case first
            return value or None
        if value is None or value == "":
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {type(value).__name__}")
        return value

    def req_int(self, path: str) -> int:
        value = self.opt_int(path)
        if value is None:
            raise self.fail(path, "missing")
        return value

    def opt_int(self, path: str) -> int | None:
        value = self.get(path)
        if type(value) is int:  # the common cases first (bool is not int here; ids come as digit strings)
            return value
        if type(value) is str and value.isdigit():
            return int(value)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise self.fail(path, f"expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise self.fail(path, f"expected an integer, got {value!r}")

    def flag(self, path: str, default: bool = False) -> bool:
        value = self.get(path)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {value!r}")
        return value

    def req_time(self, path: str) -> datetime:
        value = self.opt_time(path)
        if value is None:
            raise self.fail(path, "missing")
        return value

    def opt_time(self, path: str) -> datetime | None:
        value = self.get(path)
        if value is None or value == "":
            return None
        try:
            return parse_time(value)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def opt_date(self, path: str) -> date | None:
        value = self.get(path)
        if value is None or value == "":
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise self.fail(path, f"expected a date YYYY-MM-DD, got {value!r}") from None

    def user(self, path: str, cloud: bool) -> str | None:
        value = self.get(path)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a user object, got {type(value).__name__}")
        uid = user_id(value, cloud)
        if uid is None:
            raise self.fail(path, "a user without " + ("accountId" if cloud else "key or name"))
        return uid

    def names(self, path: str) -> tuple[str, ...]:
        value = self.get(path)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str):
                raise self.fail(f"{path}[{i}]", f"expected a name, got {item!r}")
            out.append(name)
        return tuple(out)

    def obj(self, path: str) -> dict[str, Any] | None:
        value = self.get(path)
        if value is not None and not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {type(value).__name__}")
        return value


def _id_text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def parse_time(value: Any) -> datetime:
    """Jira's ``2026-01-02T03:04:05.678-0700`` (or ``±HH:MM``/``Z``, or epoch ms) as an aware UTC datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_epoch_ms(int(value))
    if not isinstance(value, str):
        raise ValueError(f"expected a timestamp, got {value!r}")
    return _parse_iso(value)


@lru_cache(maxsize=8192)
def _parse_iso(value: str) -> datetime:
    """Cached: an issue's times and its comments' created/updated often repeat (datetimes are immutable)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a timestamp like 2026-01-02T03:04:05.678-0700, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def user_id(user: dict[str, Any], cloud: bool) -> str | None:
    """The stable id of a user object: ``accountId`` on Cloud, ``key`` (else ``name``) on DC."""
    if cloud:
        return user.get("accountId") or None
    return user.get("key") or user.get("name") or None


def _md(to_markdown: ToMarkdown | None, value: Any) -> str | None:
    return to_markdown(value) if to_markdown is not None and value is not None else None


# -- reference data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRecord:
    id: int
    key: str
    name: str
    project_type: str | None
    lead_id: str | None
    category: str | None
    description: str | None
    archived: bool
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool) -> ProjectRecord:
        r = _Reader("project", data)
        return cls(r.req_int("id"), r.req_str("key"), r.opt_str("name") or r.req_str("key"), r.opt_str("projectTypeKey"),
                   r.user("lead", cloud), r.opt_str("projectCategory.name"), r.opt_str("description"),
                   r.flag("archived"), data)

    @property
    def issue_count(self) -> int | None:
        """Jira Cloud's own count of the project's issues (``expand=insight``), when it sent one."""
        insight = self.raw.get("insight") if isinstance(self.raw, dict) else None
        count = insight.get("totalIssueCount") if isinstance(insight, dict) else None
        return count if isinstance(count, int) and not isinstance(count, bool) else None


@dataclass(frozen=True)
class FieldRecord:
    id: str
    name: str
    custom: bool
    schema_type: str | None
    schema_items: str | None
    schema_custom: str | None
    clause_names: tuple[str, ...]
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool) -> FieldRecord:
        r = _Reader("field", data)
        clauses = r.get("clauseNames") or []
        return cls(r.req_str("id"), r.opt_str("name") or r.req_str("id"), r.flag("custom"), r.opt_str("schema.type"),
                   r.opt_str("schema.items"), r.opt_str("schema.custom"), tuple(str(c) for c in clauses), data)


@dataclass(frozen=True)
class UserRecord:
    id: str  # accountId (Cloud) or key, else name (DC)
    account_id: str | None
    name: str | None  # DC login name (permission holders and role actors refer to it)
    display_name: str | None
    email: str | None  # absent when the user hides it (Cloud) or the viewer may not see it
    active: bool
    time_zone: str | None
    account_type: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool) -> UserRecord:
        r = _Reader("user", data, remote_id=_id_text(user_id(data, cloud)) if isinstance(data, dict) else None)
        uid = user_id(data, cloud)
        if uid is None:
            raise r.fail("accountId" if cloud else "key", "missing")
        return cls(uid, r.opt_str("accountId"), r.opt_str("name"), r.opt_str("displayName"),
                   r.opt_str("emailAddress"), r.flag("active", True), r.opt_str("timeZone"),
                   r.opt_str("accountType"), data)


@dataclass(frozen=True)
class GroupRecord:
    name: str  # groups are keyed by name: permission holders and role actors name them
    group_id: str | None  # Cloud's stable groupId
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool) -> GroupRecord:
        r = _Reader("group", data, remote_id=_id_text(data.get("name")) if isinstance(data, dict) else None)
        return cls(r.req_str("name"), r.opt_str("groupId"), data)


@dataclass(frozen=True)
class GroupMemberRecord:
    group_name: str
    user_id: str
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, group_name: str, data: Any, cloud: bool) -> GroupMemberRecord:
        r = _Reader("group member", data, remote_id=group_name)
        uid = user_id(data, cloud)
        if uid is None:
            raise r.fail("accountId" if cloud else "key", "missing")
        return cls(group_name, uid, data)


@dataclass(frozen=True)
class RoleActorRecord:
    project_id: int
    role_id: int
    role_name: str
    actor_type: str  # user | group
    actor_value: str  # Cloud: accountId / group name; DC: username / group name
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_role_json(cls, project_id: int, data: Any, cloud: bool) -> list[RoleActorRecord]:
        """Every actor of one project role (``GET /project/{key}/role/{id}``)."""
        r = _Reader("project role", data)
        role_id, role_name = r.req_int("id"), r.req_str("name")
        actors = r.get("actors") or []
        if not isinstance(actors, list):
            raise r.fail("actors", "expected a list")
        return [cls._actor(r, project_id, role_id, role_name, i, a) for i, a in enumerate(actors)]

    @classmethod
    def _actor(cls, r: _Reader, project_id: int, role_id: int, role_name: str, i: int, a: Any) -> RoleActorRecord:
        if not isinstance(a, dict):
            raise r.fail(f"actors[{i}]", "expected an object")
        kind = str(a.get("type", ""))
        if "group" in kind:
            value = (a.get("actorGroup") or {}).get("name") or a.get("name")
            actor_type = "group"
        elif "user" in kind:
            value = (a.get("actorUser") or {}).get("accountId") or a.get("name")
            actor_type = "user"
        else:
            raise r.fail(f"actors[{i}].type", f"unknown actor type {kind!r}")
        if not value:
            raise r.fail(f"actors[{i}]", f"a {actor_type} actor without a value")
        return cls(project_id, role_id, role_name, actor_type, str(value), a)


@dataclass(frozen=True)
class PermissionSchemeRecord:
    id: int
    name: str
    description: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool) -> PermissionSchemeRecord:
        r = _Reader("permission scheme", data)
        return cls(r.req_int("id"), r.opt_str("name") or "", r.opt_str("description"), data)


@dataclass(frozen=True)
class PermissionGrantRecord:
    id: int
    scheme_id: int
    permission: str
    holder_type: str  # anyone, group, user, projectRole, reporter, assignee, applicationRole, ...
    holder_parameter: str | None  # group name, accountId (Cloud) / username (DC), role id
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, scheme_id: int, data: Any, cloud: bool) -> PermissionGrantRecord:
        r = _Reader("permission grant", data)
        return cls(r.req_int("id"), scheme_id, r.req_str("permission"), r.req_str("holder.type"),
                   r.opt_str("holder.parameter"), data)

    @classmethod
    def from_scheme_json(cls, data: Any, cloud: bool) -> list[PermissionGrantRecord]:
        """The grants of a scheme fetched with ``expand=permissions``."""
        r = _Reader("permission scheme", data)
        scheme_id = r.req_int("id")
        return [cls.from_json(scheme_id, g, cloud) for g in r.get("permissions") or []]


@dataclass(frozen=True)
class SecurityLevelRecord:
    id: int
    scheme_id: int | None
    name: str
    description: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool, scheme_id: int | None = None) -> SecurityLevelRecord:
        r = _Reader("security level", data)
        scheme = scheme_id if scheme_id is not None else r.opt_int("issueSecuritySchemeId")  # Cloud's level GET
        return cls(r.req_int("id"), scheme, r.req_str("name"), r.opt_str("description"), data)


# -- issues and their children ---------------------------------------------------------------------


@dataclass(frozen=True)
class CommentRecord:
    id: int
    issue_id: int
    author_id: str | None
    update_author_id: str | None
    body_raw: Any  # ADF dict (Cloud v3) or wiki string (v2)
    body_md: str | None
    created: datetime | None
    updated: datetime | None
    visibility_type: str | None  # role | group
    visibility_value: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, issue_id: int, data: Any, cloud: bool, to_markdown: ToMarkdown | None = None) -> CommentRecord:
        r = _Reader("comment", data)
        body = r.get("body")
        return cls(r.req_int("id"), issue_id, r.user("author", cloud), r.user("updateAuthor", cloud), body,
                   _md(to_markdown, body), r.opt_time("created"), r.opt_time("updated"),
                   r.opt_str("visibility.type"), r.opt_str("visibility.value"), data)

    @property
    def stored_raw(self) -> dict[str, Any]:
        """``raw`` as ``comments.raw`` keeps it: the body is null there (``body_raw`` has it)."""
        return _without(self.raw, "body")


@dataclass(frozen=True)
class WorklogRecord:
    id: int
    issue_id: int
    author_id: str | None
    update_author_id: str | None
    comment_raw: Any
    comment_md: str | None
    started: datetime | None
    time_spent_seconds: int | None
    created: datetime | None
    updated: datetime | None
    visibility_type: str | None
    visibility_value: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, issue_id: int, data: Any, cloud: bool, to_markdown: ToMarkdown | None = None) -> WorklogRecord:
        r = _Reader("worklog", data)
        comment = r.get("comment")
        return cls(r.req_int("id"), issue_id, r.user("author", cloud), r.user("updateAuthor", cloud), comment,
                   _md(to_markdown, comment), r.opt_time("started"), r.opt_int("timeSpentSeconds"),
                   r.opt_time("created"), r.opt_time("updated"), r.opt_str("visibility.type"),
                   r.opt_str("visibility.value"), data)

    @property
    def stored_raw(self) -> dict[str, Any]:
        """``raw`` as ``worklogs.raw`` keeps it: the comment is null there (``comment_raw`` has it)."""
        return _without(self.raw, "comment")


def _without(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """``raw`` with ``key`` null: what another column of the row keeps whole."""
    return {**raw, key: None} if isinstance(raw, dict) and raw.get(key) is not None else raw


@dataclass(frozen=True)
class AttachmentRecord:
    id: int
    issue_id: int
    filename: str
    author_id: str | None
    created: datetime | None
    size: int | None
    mime_type: str | None
    content_url: str | None
    content_sha256: str | None = None  # set when the content was downloaded into the blob folder
    raw: dict[str, Any] = _field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, issue_id: int, data: Any, cloud: bool) -> AttachmentRecord:
        r = _Reader("attachment", data)
        return cls(r.req_int("id"), issue_id, r.opt_str("filename") or "", r.user("author", cloud),
                   r.opt_time("created"), r.opt_int("size"), r.opt_str("mimeType"), r.opt_str("content"),
                   None, data)


@dataclass(frozen=True)
class ChangeItemRecord:
    history_id: int
    seq: int  # position in the history's item list
    field: str
    field_type: str | None
    field_id: str | None
    from_value: str | None
    from_string: str | None
    to_value: str | None
    to_string: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    issue_id: int
    author_id: str | None
    created: datetime | None
    items: tuple[ChangeItemRecord, ...]
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, issue_id: int, data: Any, cloud: bool) -> HistoryRecord:
        r = _Reader("changelog", data)
        hid = r.req_int("id")
        items = r.get("items") or []
        if not isinstance(items, list):
            raise r.fail("items", "expected a list")
        return cls(hid, issue_id, r.user("author", cloud), r.opt_time("created"),
                   tuple([_change_item(r, hid, i, item) for i, item in enumerate(items)]), data)


def _change_item(r: _Reader, history_id: int, i: int, item: Any) -> ChangeItemRecord:
    if not isinstance(item, dict) or not isinstance(item.get("field"), str):
        raise r.fail(f"items[{i}].field", "missing")
    get = item.get
    return ChangeItemRecord(history_id, i, item["field"], _text(get("fieldtype")), _text(get("fieldId")),
                            _text(get("from")), _text(get("fromString")), _text(get("to")),
                            _text(get("toString")), item)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class IssueLinkRecord:
    """A link, stored once whichever end it was read from: ``source`` --outward--> ``target``."""

    id: int
    type_id: int | None
    type_name: str | None
    inward: str | None  # e.g. "is blocked by" (target's view of source)
    outward: str | None  # e.g. "blocks" (source's view of target)
    source_issue_id: int
    target_issue_id: int
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, issue_id: int, data: Any, cloud: bool) -> IssueLinkRecord:
        r = _Reader("issue link", data)
        if r.get("outwardIssue") is not None:
            source, target = issue_id, r.req_int("outwardIssue.id")
        elif r.get("inwardIssue") is not None:
            source, target = r.req_int("inwardIssue.id"), issue_id
        else:
            raise r.fail("outwardIssue", "a link with neither outwardIssue nor inwardIssue")
        return cls(r.req_int("id"), r.opt_int("type.id"), r.opt_str("type.name"), r.opt_str("type.inward"),
                   r.opt_str("type.outward"), source, target, data)


@dataclass(frozen=True)
class IssueRecord:
    id: int
    key: str
    project_id: int
    project_key: str
    issue_type_id: int | None
    issue_type: str | None
    status_id: int | None
    status: str | None
    status_category: str | None  # new | indeterminate | done
    summary: str | None
    description_raw: Any  # ADF dict (Cloud v3) or wiki string (v2)
    description_md: str | None
    environment_raw: Any
    priority: str | None
    resolution: str | None
    assignee_id: str | None
    reporter_id: str | None
    creator_id: str | None
    created: datetime | None
    updated: datetime
    updated_ms: int
    resolution_date: datetime | None
    due_date: date | None
    labels: tuple[str, ...]
    components: tuple[str, ...]
    fix_versions: tuple[str, ...]
    affects_versions: tuple[str, ...]
    parent_id: int | None
    security_level_id: int | None
    original_estimate_seconds: int | None
    remaining_estimate_seconds: int | None
    time_spent_seconds: int | None
    custom: dict[str, Any]  # every customfield_* with a value, by field id
    comment_total: int | None  # from the embedded page; None when the field was not requested
    worklog_total: int | None
    comments: tuple[CommentRecord, ...]  # the embedded page (may be truncated: compare comment_total)
    worklogs: tuple[WorklogRecord, ...]
    attachments: tuple[AttachmentRecord, ...]
    links: tuple[IssueLinkRecord, ...]
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @property
    def stored_raw(self) -> dict[str, Any]:
        """``raw`` as the store keeps it (``issues.raw``): without what has its own raw column — the
        description and environment (``description_raw``, ``environment_raw``; the keys stay, as
        null), each embedded comment and worklog (``comments.raw``, ``worklogs.raw``; ``{"id": …}``
        keeps its place) and, on Data Center, each embedded changelog history (``changelog.raw``).
        About half an issue's JSON; ``SyncRepo.issue_json`` puts it all back."""
        raw = self.raw
        fields = raw.get("fields")
        if not isinstance(fields, dict):
            return raw
        slim = dict(fields)
        for key in ("description", "environment"):
            if slim.get(key) is not None:
                slim[key] = None
        for key, items in (("comment", "comments"), ("worklog", "worklogs")):
            slim[key] = _stubbed(slim.get(key), items)
        out = {**raw, "fields": slim}
        if "changelog" in raw:
            out["changelog"] = _stubbed(raw["changelog"], "histories")
        return out

    @property
    def comments_complete(self) -> bool:
        """The embedded comment page held them all (``embedded_page_short`` asks it of the raw JSON)."""
        return self.comment_total is not None and len(self.comments) >= self.comment_total

    @property
    def worklogs_complete(self) -> bool:
        return self.worklog_total is not None and len(self.worklogs) >= self.worklog_total

    @classmethod
    def from_json(cls, data: Any, cloud: bool, to_markdown: ToMarkdown | None = None) -> IssueRecord:
        r = _Reader("issue", data)
        issue_id = r.req_int("id")
        if not isinstance(r.get("fields"), dict):
            raise r.fail("fields", "missing")
        f = r.nested("fields")
        updated = f.req_time("updated")
        description = f.get("description")
        comments, comment_total = _embedded(f, "comment", "comments")
        worklogs, worklog_total = _embedded(f, "worklog", "worklogs")
        return cls(
            issue_id, r.req_str("key"), f.req_int("project.id"), f.req_str("project.key"),
            f.opt_int("issuetype.id"), f.opt_str("issuetype.name"),
            f.opt_int("status.id"), f.opt_str("status.name"), f.opt_str("status.statusCategory.key"),
            f.opt_str("summary"), description, _md(to_markdown, description), f.get("environment"),
            f.opt_str("priority.name"), f.opt_str("resolution.name"),
            f.user("assignee", cloud), f.user("reporter", cloud), f.user("creator", cloud),
            f.opt_time("created"), updated, epoch_ms(updated), f.opt_time("resolutiondate"),
            f.opt_date("duedate"), f.names("labels"), f.names("components"),
            f.names("fixVersions"), f.names("versions"),
            f.opt_int("parent.id"), f.opt_int("security.id"),
            f.opt_int("timetracking.originalEstimateSeconds"),
            f.opt_int("timetracking.remainingEstimateSeconds"),
            f.opt_int("timetracking.timeSpentSeconds"),
            {k: v for k, v in f.data.items() if k.startswith("customfield_") and v is not None},
            comment_total, worklog_total,
            tuple(_children(f, "comment", comments,
                            lambda c: CommentRecord.from_json(issue_id, c, cloud, to_markdown))),
            tuple(_children(f, "worklog", worklogs,
                            lambda w: WorklogRecord.from_json(issue_id, w, cloud, to_markdown))),
            tuple(_children(f, "attachment", f.get("attachment") or [],
                            lambda a: AttachmentRecord.from_json(issue_id, a, cloud))),
            tuple(_children(f, "issuelinks", f.get("issuelinks") or [],
                            lambda lk: IssueLinkRecord.from_json(issue_id, lk, cloud))),
            data,
        )


def _stubbed(page: Any, key: str) -> Any:
    """An embedded page with each item cut to ``{"id": …}`` (items without an id stay whole)."""
    if not isinstance(page, dict) or not isinstance(page.get(key), list):
        return page
    return {**page, key: [{"id": i["id"]} if isinstance(i, dict) and "id" in i else i for i in page[key]]}


def embedded_page_short(fields: Any, path: str, key: str) -> bool:
    """Whether an issue's embedded ``path`` page (``{total, <key>: [...]}``) lacks items its endpoint
    has — read from the issue's raw ``fields``, before it is parsed. A page not embedded at all is
    short; a bare list is complete; a malformed one is not short (parsing refuses the issue)."""
    value = fields.get(path) if isinstance(fields, dict) else None
    if value is None:
        return True
    if not isinstance(value, dict) or not isinstance(value.get(key, []), list):
        return False
    total = value.get("total")
    return isinstance(total, int) and not isinstance(total, bool) and len(value.get(key) or []) < total


def _embedded(r: _Reader, path: str, key: str) -> tuple[list[Any], int | None]:
    """An embedded page ``{total, <key>: [...]}``; a bare list (as some docs show) is complete."""
    value = r.get(path)
    if value is None:
        return [], None
    if isinstance(value, list):
        return value, len(value)
    if not isinstance(value, dict) or not isinstance(value.get(key, []), list):
        raise r.fail(path, f"expected a page with {key!r}")
    items = value.get(key) or []
    total = value.get("total")
    return items, total if isinstance(total, int) and not isinstance(total, bool) else len(items)


def _children(r: _Reader, path: str, items: Any, parse: Callable[[Any], Any]) -> Iterable[Any]:
    if not isinstance(items, list):
        raise r.fail(path, "expected a list")
    for i, item in enumerate(items):
        try:
            yield parse(item)
        except RecordError as exc:
            raise r.fail(f"{path}[{i}].{exc.field}", exc.detail) from None


# -- agile -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRecord:
    id: int
    name: str
    type: str | None  # scrum | kanban | simple
    project_id: int | None
    project_key: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool) -> BoardRecord:
        r = _Reader("board", data)
        return cls(r.req_int("id"), r.opt_str("name") or "", r.opt_str("type"), r.opt_int("location.projectId"),
                   r.opt_str("location.projectKey"), data)


@dataclass(frozen=True)
class SprintRecord:
    id: int
    board_id: int | None  # originBoardId
    name: str
    state: str | None  # future | active | closed
    start_date: datetime | None
    end_date: datetime | None
    complete_date: datetime | None
    goal: str | None
    raw: dict[str, Any] = _field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, cloud: bool) -> SprintRecord:
        r = _Reader("sprint", data)
        return cls(r.req_int("id"), r.opt_int("originBoardId"), r.opt_str("name") or "", r.opt_str("state"),
                   r.opt_time("startDate"), r.opt_time("endDate"), r.opt_time("completeDate"),
                   r.opt_str("goal"), data)


@dataclass(frozen=True)
class IssueSprintRecord:
    issue_id: int
    sprint_id: int
    raw: dict[str, Any] = _field(default_factory=dict, repr=False, compare=False)
