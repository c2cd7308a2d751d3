"""Issue representations: Cloud v3 (ADF), Cloud v2 (wiki strings), DC v2 (users by name/key).

    sel = parse_fields(["summary", "-comment"], default="*all")
    serialize_issue(view, issue, sel, expand={"names", "changelog"}) -> dict

One ``Renderer`` per view (request) memoises the shared sub-shapes (users, statuses, projects) so
a search page of 100 issues builds each of them once; the returned dicts share those sub-dicts,
so callers must not mutate them. A per-state ``IssueGraph`` indexes sub-tasks and links (kept
current from write events) so rendering never scans every issue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jiraemu import repr as r
from jiraemu.events import Event
from jiraemu.http import View
from jiraemu.state import (
    Attachment,
    Comment,
    Doc,
    FieldDef,
    History,
    Issue,
    State,
    User,
    Worklog,
)
from jiraemu.timefmt import fmt_utc_z, zone

# -- field selection --------------------------------------------------------------------------


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
    """Jira's ``fields=`` list: ``*all``, ``*navigable``, ids, ``-id`` exclusions. A list of only
    exclusions keeps the default (``fields=-comment`` is everything but comments)."""
    items = [v.strip() for v in values or [] if v and v.strip()]
    if not any(not v.startswith("-") for v in items):
        items.append(default)
    inc = {v for v in items if not v.startswith("-") and not v.startswith("*")}
    exc = {v[1:] for v in items if v.startswith("-")}
    return FieldSelection("*all" in items, "*navigable" in items, frozenset(inc), frozenset(exc))


# -- system fields: names and schemas (used when the fields area has not defined them) ------------

_S = dict[str, Any]


def _sys(type_: str, system: str, items: str | None = None) -> _S:
    out: _S = {"type": type_, "system": system}
    if items:
        out = {"type": type_, "items": items, "system": system}
    return out


SYSTEM_FIELDS: dict[str, tuple[str, _S]] = {
    "summary": ("Summary", _sys("string", "summary")),
    "status": ("Status", _sys("status", "status")),
    "issuetype": ("Issue Type", _sys("issuetype", "issuetype")),
    "project": ("Project", _sys("project", "project")),
    "priority": ("Priority", _sys("priority", "priority")),
    "resolution": ("Resolution", _sys("resolution", "resolution")),
    "resolutiondate": ("Resolved", _sys("datetime", "resolutiondate")),
    "created": ("Created", _sys("datetime", "created")),
    "updated": ("Updated", _sys("datetime", "updated")),
    "statuscategorychangedate": ("Status Category Changed", _sys("datetime", "statuscategorychangedate")),
    "assignee": ("Assignee", _sys("user", "assignee")),
    "reporter": ("Reporter", _sys("user", "reporter")),
    "creator": ("Creator", _sys("user", "creator")),
    "labels": ("Labels", _sys("array", "labels", "string")),
    "components": ("Components", _sys("array", "components", "component")),
    "fixVersions": ("Fix versions", _sys("array", "fixVersions", "version")),
    "versions": ("Affects versions", _sys("array", "versions", "version")),
    "duedate": ("Due date", _sys("date", "duedate")),
    "description": ("Description", _sys("string", "description")),
    "environment": ("Environment", _sys("string", "environment")),
    "parent": ("Parent", _sys("issuelink", "parent")),
    "subtasks": ("Sub-tasks", _sys("array", "subtasks", "issuelinks")),
    "issuelinks": ("Linked Issues", _sys("array", "issuelinks", "issuelinks")),
    "comment": ("Comment", _sys("comments-page", "comment")),
    "worklog": ("Log Work", _sys("array", "worklog", "worklog")),
    "attachment": ("Attachment", _sys("array", "attachment", "attachment")),
    "timetracking": ("Time tracking", _sys("timetracking", "timetracking")),
    "security": ("Security Level", _sys("securitylevel", "security")),
    "watches": ("Watchers", _sys("watches", "watches")),
    "votes": ("Votes", _sys("votes", "votes")),
    "progress": ("Progress", _sys("progress", "progress")),
    "aggregateprogress": ("Σ Progress", _sys("progress", "aggregateprogress")),
    "timeestimate": ("Remaining Estimate", _sys("number", "timeestimate")),
    "timeoriginalestimate": ("Original estimate", _sys("number", "timeoriginalestimate")),
    "timespent": ("Time Spent", _sys("number", "timespent")),
    "aggregatetimeestimate": ("Σ Remaining Estimate", _sys("number", "aggregatetimeestimate")),
    "aggregatetimeoriginalestimate": ("Σ Original Estimate", _sys("number", "aggregatetimeoriginalestimate")),
    "aggregatetimespent": ("Σ Time Spent", _sys("number", "aggregatetimespent")),
    "workratio": ("Work Ratio", _sys("number", "workratio")),
    "lastViewed": ("Last Viewed", _sys("datetime", "lastViewed")),
    "issuerestriction": ("Restrict to", _sys("issuerestriction", "issuerestriction")),
}
NOT_NAVIGABLE = frozenset({"comment", "worklog", "attachment", "timetracking"})
CLOUD_ONLY = frozenset({"statuscategorychangedate", "issuerestriction"})
RENDERABLE = frozenset({"description", "environment"})


def system_field_ids(cloud: bool) -> list[str]:
    return [f for f in SYSTEM_FIELDS if cloud or f not in CLOUD_ONLY]


def field_name(state: State, field_id: str) -> str:
    fd = state.fields.get(field_id)
    if fd is not None:
        return fd.name
    return SYSTEM_FIELDS.get(field_id, (field_id, {}))[0]


def field_schema(state: State, field_id: str) -> dict[str, Any]:
    fd = state.fields.get(field_id)
    if fd is not None and fd.schema:
        return fd.schema
    return SYSTEM_FIELDS.get(field_id, ("", {"type": "any"}))[1]


# -- rich text ----------------------------------------------------------------------------------


def _content(name: str) -> Callable[[Doc], Any] | None:
    try:
        from jiraemu import content
    except ImportError:  # pragma: no cover
        return None
    func = getattr(content, name, None)
    return func if callable(func) else None


def _plain_text(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        parts = [_plain_text(c) for c in node.get("content", [])]
        sep = "\n" if node.get("type") in ("doc", "bulletList", "orderedList", "table", "tableRow") else ""
        return sep.join(parts)
    return ""


_MEMO: dict[tuple[str, int], tuple[Doc, Any]] = {}
_MEMO_MAX = 50_000


def _memo(kind: str, doc: Doc, convert: Callable[[Doc], Any]) -> Any:
    """Conversions memoised per Doc object: docs are immutable and mostly shared from the pool.
    The entry keeps the Doc alive, so its id cannot be reused while cached."""
    key = (kind, id(doc))
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is doc:
        return hit[1]
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    value = convert(doc)
    _MEMO[key] = (doc, value)
    return value


def doc_adf(doc: Doc) -> dict[str, Any]:
    if doc.adf is not None:
        return doc.adf
    return _memo("adf", doc, _doc_adf)


def doc_wiki(doc: Doc) -> str:
    if doc.wiki is not None:
        return doc.wiki
    return _memo("wiki", doc, _doc_wiki)


def doc_html(doc: Doc) -> str:
    return _memo("html", doc, _doc_html)


def _doc_adf(doc: Doc) -> dict[str, Any]:
    func = _content("doc_as_adf")
    if func is not None:
        return func(doc)
    if doc.adf is not None:
        return doc.adf
    paras = [p for p in (doc.wiki or "").split("\n\n") if p.strip()]
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paras],
    }


def _doc_wiki(doc: Doc) -> str:
    func = _content("doc_as_wiki")
    if func is not None:
        return func(doc)
    if doc.wiki is not None:
        return doc.wiki
    return _plain_text(doc.adf)


def _doc_html(doc: Doc) -> str:
    func = _content("render_html")
    if func is not None:
        return func(doc)
    import html

    return "".join(f"<p>{html.escape(p)}</p>" for p in doc_wiki(doc).split("\n\n") if p.strip())


def fmt_duration(seconds: int) -> str:
    """Jira's duration form with 5-day weeks and 8-hour days: ``1w 2d 3h 4m``."""
    if seconds <= 0:
        return "0m"
    parts = []
    for unit, size in (("w", 5 * 8 * 3600), ("d", 8 * 3600), ("h", 3600), ("m", 60)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return " ".join(parts) or "0m"


_OFFSETS: dict[tuple[str, int], int] = {}


def _offset_s(epoch_s: int, tz: str) -> int:
    """The zone's UTC offset in seconds for the hour holding ``epoch_s`` (zone changes fall on hours)."""
    key = (tz, epoch_s // 3600)
    off = _OFFSETS.get(key)
    if off is None:
        if len(_OFFSETS) > 200_000:
            _OFFSETS.clear()
        delta = datetime.fromtimestamp(epoch_s, tz=zone(tz)).utcoffset()
        off = int(delta.total_seconds()) if delta is not None else 0
        _OFFSETS[key] = off
    return off


_TS: dict[tuple[int, str], str] = {}


def fast_ts(epoch_ms: int, tz: str) -> str:
    """``timefmt.fmt_ts`` without strftime, remembered (a search page formats thousands of
    timestamps, mostly the same ones again on the next sync)."""
    key = (epoch_ms, tz)
    hit = _TS.get(key)
    if hit is None:
        if len(_TS) > 1_000_000:
            _TS.clear()
        hit = _TS[key] = _fmt_ts(epoch_ms, tz)
    return hit


def _fmt_ts(epoch_ms: int, tz: str) -> str:
    secs = epoch_ms // 1000
    off = _offset_s(secs, tz)
    t = time.gmtime(secs + off)
    sign = "-" if off < 0 else "+"
    hh, mm = divmod(abs(off) // 60, 60)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        f".{epoch_ms % 1000:03d}{sign}{hh:02d}{mm:02d}"
    )


def fmt_rendered_ts(view: View, epoch_ms: int | None) -> str | None:
    """renderedFields dates: ``14/Dec/11 10:26 AM`` in the site zone."""
    if epoch_ms is None:
        return None
    dt = datetime.fromtimestamp(epoch_ms / 1000.0, tz=zone(view.state.site.site_timezone))
    return dt.strftime("%d/%b/%y %I:%M %p")


# -- the sub-task / link index -------------------------------------------------------------------


class IssueGraph:
    """Children and links per issue for one State; follows write events, rebuilt after reset."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.children: dict[int, set[int]] = {}
        self.links: dict[int, set[int]] = {}
        self.links_seen: tuple[int, int | None] = (-1, None)
        self.generation = 0  # bumps on every write event; renderers older than a write start afresh
        self.viewed: dict[tuple[str, int], int] = {}  # (account id, issue id) -> last view (updateHistory)
        for issue in state.issues.values():
            if issue.parent_id is not None:
                self.children.setdefault(issue.parent_id, set()).add(issue.id)
        self._index_links()

    def _index_links(self) -> None:
        self.links = {}
        for link in self.state.links.values():
            self.links.setdefault(link.inward_issue_id, set()).add(link.id)
            self.links.setdefault(link.outward_issue_id, set()).add(link.id)
        self.links_seen = self._links_signature()

    def _links_signature(self) -> tuple[int, int | None]:
        links = self.state.links
        return len(links), next(reversed(links), None) if links else None

    def on_event(self, event: Event) -> None:
        self.generation += 1
        issue = event.issue
        if issue is None:
            return
        if issue.parent_id is not None:
            self.children.setdefault(issue.parent_id, set()).add(issue.id)
        if self._owners is not None:
            self._own(issue)

    # comment and attachment ids -> issue id (built on first use)
    _owners: dict[tuple[str, int], int] | None = None

    def _own(self, issue: Issue) -> None:
        assert self._owners is not None
        for c in issue.comments:
            self._owners[("comment", c.id)] = issue.id
        for a in issue.attachments:
            self._owners[("attachment", a.id)] = issue.id
        for w in issue.worklogs:
            self._owners[("worklog", w.id)] = issue.id

    def owner(self, kind: str, item_id: int) -> Issue | None:
        """The live issue holding comment/attachment/worklog ``item_id``."""
        for attempt in (0, 1):
            if self._owners is None or attempt:  # a miss rebuilds once: a writer may not have emitted
                self._owners = {}
                for issue in self.state.issues.values():
                    self._own(issue)
            iid = self._owners.get((kind, item_id))
            found = self.state.issues.get(iid) if iid is not None else None
            if found is not None:
                items: tuple[Any, ...] = {"comment": found.comments, "attachment": found.attachments}.get(
                    kind, found.worklogs
                )
                if any(i.id == item_id for i in items):
                    return found
        return None

    def children_of(self, issue_id: int) -> list[Issue]:
        issues = self.state.issues
        found = [issues[c] for c in self.children.get(issue_id, ()) if c in issues and issues[c].parent_id == issue_id]
        return sorted(found, key=lambda i: i.id)

    def link_ids(self, issue_id: int) -> list[int]:
        if self._links_signature() != self.links_seen:
            self._index_links()
        links = self.state.links
        out = []
        for lid in sorted(self.links.get(issue_id, ())):
            link = links.get(lid)
            if link is not None and issue_id in (link.inward_issue_id, link.outward_issue_id):
                out.append(lid)
        return out


def graph(view: View) -> IssueGraph:
    """The backend's issue graph for its current state (kept on the backend, so a reset or a new
    backend starts a fresh one and nothing outlives its state)."""
    backend = view.backend
    g = getattr(backend, "_issue_graph", None)
    if not isinstance(g, IssueGraph) or g.state is not backend.state or g.on_event not in backend.listeners:
        g = IssueGraph(backend.state)
        backend.listeners.append(g.on_event)
        backend._issue_graph = g  # type: ignore[attr-defined]
    return g


# -- the renderer ---------------------------------------------------------------------------------


class Renderer:
    """Renders issue parts for one view, memoising shared sub-shapes."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.state: State = view.state
        self.cloud = view.is_cloud
        self.v3 = view.v3
        self.viewer: User | None = view.caller.user
        self.graph = graph(view)
        self.generation = self.graph.generation
        self._users: dict[str, Any] = {}
        self._statuses: dict[str, Any] = {}
        self._types: dict[str, Any] = {}
        self._prios: dict[str, Any] = {}
        self._projects: dict[int, Any] = {}
        self._custom: list[FieldDef] | None = None
        self._visible: dict[int, bool] = {}
        self._parts: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.selections: dict[FieldSelection, list[str]] = {}
        self._rest_base = view.rest("")

    def rest(self, path: str) -> str:
        return self._rest_base + path

    # shared pieces
    def user(self, account_id: str | None) -> Any:
        if account_id is None:
            return None
        if account_id not in self._users:
            self._users[account_id] = r.user_ref(self.view, self.state.users.get(account_id))
        return self._users[account_id]

    def status(self, status_id: str) -> Any:
        if status_id not in self._statuses:
            st = self.state.statuses.get(status_id)
            self._statuses[status_id] = r.status(self.view, st) if st else None
        return self._statuses[status_id]

    def issuetype(self, type_id: str) -> Any:
        if type_id not in self._types:
            it = self.state.issue_types.get(type_id)
            self._types[type_id] = r.issue_type(self.view, it) if it else None
        return self._types[type_id]

    def priority(self, prio_id: str | None) -> Any:
        if prio_id is None:
            return None
        if prio_id not in self._prios:
            pr = self.state.priorities.get(prio_id)
            self._prios[prio_id] = r.priority(self.view, pr) if pr else None
        return self._prios[prio_id]

    def project(self, project_id: int) -> Any:
        if project_id not in self._projects:
            p = self.state.projects.get(project_id)
            self._projects[project_id] = r.project_ref(self.view, p) if p else None
        return self._projects[project_id]

    def project_parts(self, project_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """Rendered versions and components of a project, by id."""
        parts = self._parts.get(project_id)
        if parts is None:
            p = self.state.projects.get(project_id)
            versions = {v.id: r.version(self.view, v, p.id) for v in p.versions} if p else {}
            comps = {c.id: r.component(self.view, c) for c in p.components} if p else {}
            parts = self._parts[project_id] = (versions, comps)
        return parts

    def last_viewed(self, issue: Issue) -> int | None:
        if self.viewer is None:
            return None
        return self.graph.viewed.get((self.viewer.account_id, issue.id))

    def custom_fields(self) -> list[FieldDef]:
        if self._custom is None:
            self._custom = [
                f for f in self.state.fields.values() if f.custom and not (self.cloud and f.kind == "epiclink")
            ]
        return self._custom

    def can_see(self, issue: Issue) -> bool:
        seen = self._visible.get(issue.id)
        if seen is None:
            seen = bool(self.view.backend.perms.can_see_issue(self.viewer, issue))
            self._visible[issue.id] = seen
        return seen

    def doc(self, doc: Doc | None) -> Any:
        if doc is None:
            return None
        return doc_adf(doc) if self.v3 else doc_wiki(doc)

    def ts(self, epoch_ms: int | None) -> str | None:
        if epoch_ms is None:
            return None
        return fast_ts(epoch_ms, self.state.site.site_timezone)

    # entity shapes
    def issue_ref(self, issue: Issue) -> dict[str, Any]:
        """The short shape of parents, sub-tasks and linked issues."""
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": self.rest(f"issue/{issue.id}"),
            "fields": {
                "summary": issue.summary,
                "status": self.status(issue.status_id),
                "priority": self.priority(issue.priority_id),
                "issuetype": self.issuetype(issue.issuetype_id),
            },
        }

    def visibility(self, vis: dict[str, str] | None) -> dict[str, Any] | None:
        if not vis:
            return None
        out: dict[str, Any] = {"type": vis.get("type"), "value": vis.get("value")}
        if self.cloud:
            out["identifier"] = vis.get("identifier") or vis.get("value")
        return out

    def comment(self, issue: Issue, c: Comment, rendered: bool = False, properties: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "self": self.rest(f"issue/{issue.id}/comment/{c.id}"),
            "id": str(c.id),
            "author": self.user(c.author_id),
            "body": self.doc(c.body),
            "updateAuthor": self.user(c.update_author_id),
            "created": self.ts(c.created),
            "updated": self.ts(c.updated),
        }
        if out["author"] is None:
            del out["author"]
        if out["updateAuthor"] is None:
            del out["updateAuthor"]
        if rendered:
            out["renderedBody"] = doc_html(c.body)
        vis = self.visibility(c.visibility)
        if vis is not None:
            out["visibility"] = vis
        if self.cloud:
            out["jsdPublic"] = True
        if properties:
            out["properties"] = [{"key": k, "value": v} for k, v in c.properties]
        return out

    def comment_visible(self, issue: Issue, c: Comment) -> bool:
        if not c.visibility:
            return True
        check = getattr(self.view.backend.perms, "can_see_comment", None)
        if check is not None:
            return bool(check(self.viewer, issue, c))
        return self._member_of_visibility(issue, c.visibility)

    def _member_of_visibility(self, issue: Issue, vis: dict[str, str]) -> bool:
        user = self.viewer
        if user is None:
            return False
        value = vis.get("value", "")
        if vis.get("type") == "group":
            group = self.state.groups.get(value)
            return group is not None and user.account_id in group.members
        project = self.state.projects.get(issue.project_id)
        role = next((ro for ro in self.state.roles.values() if ro.name == value or str(ro.id) == value), None)
        if project is None or role is None:
            return False
        for actor in project.role_actors.get(role.id, []):
            if actor.kind == "user" and actor.value == user.account_id:
                return True
            if actor.kind == "group":
                g = self.state.groups.get(actor.value)
                if g is not None and user.account_id in g.members:
                    return True
        return False

    def visible_comments(self, issue: Issue) -> list[Comment]:
        if not any(c.visibility for c in issue.comments):
            return list(issue.comments)
        return [c for c in issue.comments if self.comment_visible(issue, c)]

    def worklog(self, issue: Issue, w: Worklog, rendered: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "self": self.rest(f"issue/{issue.id}/worklog/{w.id}"),
            "author": self.user(w.author_id),
            "updateAuthor": self.user(w.update_author_id),
        }
        if w.comment is not None:
            out["comment"] = self.doc(w.comment)
            if rendered:
                out["comment"] = doc_html(w.comment)
        out.update(
            created=self.ts(w.created),
            updated=self.ts(w.updated),
            started=self.ts(w.started),
            timeSpent=fmt_duration(w.time_spent_seconds),
            timeSpentSeconds=w.time_spent_seconds,
            id=str(w.id),
            issueId=str(issue.id),
        )
        return out

    def attachment(self, a: Attachment, *, id_as_int: bool = False) -> dict[str, Any]:
        view = self.view
        if self.cloud:
            content = view.rest(f"attachment/content/{a.id}")
            thumb = view.rest(f"attachment/thumbnail/{a.id}")
        else:
            content = f"{view.base_url}/secure/attachment/{a.id}/{a.filename}"
            thumb = f"{view.base_url}/secure/thumbnail/{a.id}/_thumb_{a.id}.png"
        out: dict[str, Any] = {
            "self": view.rest(f"attachment/{a.id}"),
            "id": a.id if id_as_int else str(a.id),
            "filename": a.filename,
            "author": self.user(a.author_id),
            "created": self.ts(a.created),
            "size": a.size,
            "mimeType": a.mime_type,
            "content": content,
        }
        if a.mime_type.startswith("image/"):
            out["thumbnail"] = thumb
        return out

    def history(self, h: History) -> dict[str, Any]:
        items = []
        for it in h.items:
            item: dict[str, Any] = {"field": it.field, "fieldtype": it.fieldtype}
            if self.cloud and it.field_id:
                item["fieldId"] = it.field_id
            item.update({"from": it.from_, "fromString": it.from_string, "to": it.to, "toString": it.to_string})
            items.append(item)
        out: dict[str, Any] = {"id": str(h.id)}
        author = self.user(h.author_id)
        if author is not None:
            out["author"] = author
        out.update(created=self.ts(h.created), items=items)
        return out

    def link(self, issue: Issue, link_id: int) -> dict[str, Any] | None:
        link = self.state.links[link_id]
        lt = self.state.link_types.get(link.type_id)
        if lt is None:
            return None
        outward = link.inward_issue_id == issue.id
        other_id = link.outward_issue_id if outward else link.inward_issue_id
        other = self.state.issues.get(other_id)
        if other is None or not self.can_see(other):
            return None
        return {
            "id": str(link.id),
            "self": self.rest(f"issueLink/{link.id}"),
            "type": {
                "id": lt.id,
                "name": lt.name,
                "inward": lt.inward,
                "outward": lt.outward,
                "self": self.rest(f"issueLinkType/{lt.id}"),
            },
            ("outwardIssue" if outward else "inwardIssue"): self.issue_ref(other),
        }

    # custom field values
    def custom_value(self, issue: Issue, fd: FieldDef) -> Any:
        if fd.kind == "epiclink":
            parent = self.state.issues.get(issue.parent_id) if issue.parent_id is not None else None
            if parent is not None and self.state.issue_types[parent.issuetype_id].hierarchy_level == 1:
                return parent.key
            return None
        value = issue.custom_value(fd.id)
        if value is None:
            return None
        kind = fd.kind
        if kind == "textarea":
            return self.doc(value) if isinstance(value, Doc) else value
        if kind in ("select", "multiselect"):
            options = {o.id: o for o in fd.options}
            ids = value if isinstance(value, list | tuple) else [value]
            rendered = [self.option(fd, options.get(str(i)), str(i)) for i in ids]
            return rendered if kind == "multiselect" else rendered[0]
        if kind == "userpicker":
            return self.user(value)
        if kind == "sprint":
            return [self.sprint(int(s)) for s in value if int(s) in self.state.sprints]
        return list(value) if isinstance(value, tuple) else value

    def option(self, fd: FieldDef, opt: Any, opt_id: str) -> dict[str, Any]:
        return {
            "self": self.rest(f"customFieldOption/{opt_id}"),
            "value": opt.value if opt is not None else opt_id,
            "id": opt_id,
            "disabled": bool(opt.disabled) if opt is not None else False,
        }

    def sprint(self, sprint_id: int) -> Any:
        sp = self.state.sprints[sprint_id]
        if not self.cloud:  # DC sends the sprint's toString, as Jira Server always has
            return _sprint_string(self, sprint_id)
        out: dict[str, Any] = {"id": sp.id, "name": sp.name, "state": sp.state, "boardId": sp.board_id, "goal": sp.goal}
        if sp.start is not None:
            out["startDate"] = fmt_utc_z(sp.start)
        if sp.end is not None:
            out["endDate"] = fmt_utc_z(sp.end)
        if sp.complete is not None:
            out["completeDate"] = fmt_utc_z(sp.complete)
        return out


def renderer(view: View) -> Renderer:
    """The view's renderer, memoising shared shapes until the next write event (views may be long-lived)."""
    rend = getattr(view, "_issue_renderer", None)
    if not isinstance(rend, Renderer) or rend.graph is not graph(view) or rend.generation != rend.graph.generation:
        rend = Renderer(view)
        view._issue_renderer = rend  # type: ignore[attr-defined]
    return rend


# -- field values ---------------------------------------------------------------------------------


@dataclass
class _Times:
    spent: int | None
    original: int | None
    remaining: int | None


def _times(issue: Issue) -> _Times:
    spent = sum(w.time_spent_seconds for w in issue.worklogs) if issue.worklogs else None
    return _Times(spent, issue.original_estimate_s, issue.remaining_estimate_s)


def _sum(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _progress(spent: int | None, remaining: int | None) -> dict[str, Any]:
    s, rem = spent or 0, remaining or 0
    total = s + rem
    out: dict[str, Any] = {"progress": s, "total": total}
    if total:
        out["percent"] = int(s * 100 / total)
    return out


def _embedded_page(items: list[Any], cap: int, key: str, render: Callable[[Any], Any]) -> dict[str, Any]:
    shown = items[:cap]
    return {"startAt": 0, "maxResults": len(shown), "total": len(items), key: [render(i) for i in shown]}


class _IssueFields:
    """Computes one issue's field values on demand (only what the selection asks for)."""

    def __init__(self, rend: Renderer, issue: Issue) -> None:
        self.r = rend
        self.issue = issue
        self._t: _Times | None = None
        self._agg: _Times | None = None

    @property
    def t(self) -> _Times:
        if self._t is None:
            self._t = _times(self.issue)
        return self._t

    @property
    def agg(self) -> _Times:
        if self._agg is None:
            types = self.r.state.issue_types  # Σ fields sum sub-tasks only, not an epic's children
            subs = [_times(s) for s in self.r.graph.children_of(self.issue.id) if types[s.issuetype_id].subtask]
            own = self.t
            self._agg = _Times(
                _sum([own.spent, *(s.spent for s in subs)]),
                _sum([own.original, *(s.original for s in subs)]),
                _sum([own.remaining, *(s.remaining for s in subs)]),
            )
        return self._agg

    def value(self, fid: str) -> Any:
        getter = _GETTERS.get(fid)
        if getter is not None:
            return getter(self)
        fd = self.r.state.fields.get(fid)
        if fd is not None and fd.custom:
            return self.r.custom_value(self.issue, fd)
        return None

    def rendered(self, fid: str) -> Any:
        rend, issue = self.r, self.issue
        if fid in RENDERABLE:
            doc = issue.description if fid == "description" else issue.environment
            return doc_html(doc) if doc is not None else None
        if fid in ("created", "updated", "resolutiondate", "lastViewed"):
            ms = {"created": issue.created, "updated": issue.updated, "resolutiondate": issue.resolution_date,
                  "lastViewed": rend.last_viewed(issue)}.get(fid)
            return fmt_rendered_ts(rend.view, ms)
        if fid == "comment":
            comments = rend.visible_comments(issue)
            cap = rend.view.config.max_embedded_comments
            return _embedded_page(comments, cap, "comments", lambda c: {**rend.comment(issue, c), "body": doc_html(c.body)})
        if fid == "worklog":
            cap = rend.view.config.max_embedded_worklogs
            return _embedded_page(list(issue.worklogs), cap, "worklogs", lambda w: rend.worklog(issue, w, True))
        fd = rend.state.fields.get(fid)
        if fd is not None and fd.kind == "textarea":
            value = issue.custom_value(fid)
            return doc_html(value) if isinstance(value, Doc) else None
        return None


def _f_comment(f: _IssueFields) -> Any:
    rend, issue = f.r, f.issue
    comments = rend.visible_comments(issue)
    page = _embedded_page(comments, rend.view.config.max_embedded_comments, "comments", lambda c: rend.comment(issue, c))
    if rend.cloud:
        page = {"comments": page["comments"], "self": rend.view.rest(f"issue/{issue.id}/comment"),
                "maxResults": page["maxResults"], "total": page["total"], "startAt": 0}
    return page


def _f_worklog(f: _IssueFields) -> Any:
    rend, issue = f.r, f.issue
    cap = rend.view.config.max_embedded_worklogs
    page = _embedded_page(list(issue.worklogs), cap, "worklogs", lambda w: rend.worklog(issue, w))
    if rend.cloud:  # Cloud reports the page size (20), not the count, even when empty
        page["maxResults"] = cap
    return page


def _f_timetracking(f: _IssueFields) -> Any:
    t = f.t
    out: dict[str, Any] = {}
    if t.original is not None:
        out["originalEstimate"] = fmt_duration(t.original)
    if t.remaining is not None:
        out["remainingEstimate"] = fmt_duration(t.remaining)
    if t.spent is not None:
        out["timeSpent"] = fmt_duration(t.spent)
    if t.original is not None:
        out["originalEstimateSeconds"] = t.original
    if t.remaining is not None:
        out["remainingEstimateSeconds"] = t.remaining
    if t.spent is not None:
        out["timeSpentSeconds"] = t.spent
    return out


def _f_security(f: _IssueFields) -> Any:
    level_id = f.issue.security_level_id
    if level_id is None:
        return None
    for scheme in f.r.state.security_schemes.values():
        for lv in scheme.levels:
            if lv.id == level_id:
                return {"self": f.r.rest(f"securitylevel/{lv.id}"), "id": lv.id,
                        "description": lv.description, "name": lv.name}
    return None


def _watchers(issue: Issue) -> set[str]:
    return {u for u in (issue.creator_id, issue.reporter_id) if u}


def _f_watches(f: _IssueFields) -> Any:
    watchers = _watchers(f.issue)
    viewer = f.r.viewer
    return {
        "self": f.r.rest(f"issue/{f.issue.key}/watchers"),
        "watchCount": len(watchers),
        "isWatching": viewer is not None and viewer.account_id in watchers,
    }


def _f_parent(f: _IssueFields) -> Any:
    parent = f.r.state.issues.get(f.issue.parent_id) if f.issue.parent_id is not None else None
    return f.r.issue_ref(parent) if parent is not None else None


def _f_subtasks(f: _IssueFields) -> Any:
    rend = f.r
    return [
        rend.issue_ref(s)
        for s in rend.graph.children_of(f.issue.id)
        if rend.state.issue_types[s.issuetype_id].subtask and rend.can_see(s)
    ]


def _f_links(f: _IssueFields) -> Any:
    links = [f.r.link(f.issue, lid) for lid in f.r.graph.link_ids(f.issue.id)]
    return [lk for lk in links if lk is not None]


def _f_versions(f: _IssueFields, ids: tuple[str, ...]) -> Any:
    if not ids:
        return []
    by_id = f.r.project_parts(f.issue.project_id)[0]
    return [by_id[v] for v in ids if v in by_id]


def _f_components(f: _IssueFields) -> Any:
    if not f.issue.component_ids:
        return []
    by_id = f.r.project_parts(f.issue.project_id)[1]
    return [by_id[c] for c in f.issue.component_ids if c in by_id]


def _workratio(f: _IssueFields) -> int:
    t = f.t
    if not t.original:
        return -1
    return int((t.spent or 0) * 100 / t.original)


_GETTERS: dict[str, Callable[[_IssueFields], Any]] = {
    "summary": lambda f: f.issue.summary,
    "status": lambda f: f.r.status(f.issue.status_id),
    "issuetype": lambda f: f.r.issuetype(f.issue.issuetype_id),
    "project": lambda f: f.r.project(f.issue.project_id),
    "priority": lambda f: f.r.priority(f.issue.priority_id),
    "resolution": lambda f: (
        r.resolution(f.r.view, f.r.state.resolutions[f.issue.resolution_id])
        if f.issue.resolution_id in f.r.state.resolutions else None
    ),
    "resolutiondate": lambda f: f.r.ts(f.issue.resolution_date),
    "created": lambda f: f.r.ts(f.issue.created),
    "updated": lambda f: f.r.ts(f.issue.updated),
    "statuscategorychangedate": lambda f: f.r.ts(f.issue.status_changed or f.issue.created),
    "assignee": lambda f: f.r.user(f.issue.assignee_id),
    "reporter": lambda f: f.r.user(f.issue.reporter_id),
    "creator": lambda f: f.r.user(f.issue.creator_id),
    "labels": lambda f: list(f.issue.labels),
    "components": _f_components,
    "fixVersions": lambda f: _f_versions(f, f.issue.fix_version_ids),
    "versions": lambda f: _f_versions(f, f.issue.affects_version_ids),
    "duedate": lambda f: f.issue.duedate,
    "description": lambda f: f.r.doc(f.issue.description),
    "environment": lambda f: f.r.doc(f.issue.environment),
    "parent": _f_parent,
    "subtasks": _f_subtasks,
    "issuelinks": _f_links,
    "comment": _f_comment,
    "worklog": _f_worklog,
    "attachment": lambda f: [f.r.attachment(a) for a in f.issue.attachments],
    "timetracking": _f_timetracking,
    "security": _f_security,
    "watches": _f_watches,
    "votes": lambda f: {"self": f.r.rest(f"issue/{f.issue.key}/votes"), "votes": 0, "hasVoted": False},
    "progress": lambda f: _progress(f.t.spent, f.t.remaining),
    "aggregateprogress": lambda f: _progress(f.agg.spent, f.agg.remaining),
    "timeestimate": lambda f: f.t.remaining,
    "timeoriginalestimate": lambda f: f.t.original,
    "timespent": lambda f: f.t.spent,
    "aggregatetimeestimate": lambda f: f.agg.remaining,
    "aggregatetimeoriginalestimate": lambda f: f.agg.original,
    "aggregatetimespent": lambda f: f.agg.spent,
    "workratio": _workratio,
    "lastViewed": lambda f: f.r.ts(f.r.last_viewed(f.issue)),
    "issuerestriction": lambda f: {"issuerestrictions": {}, "shouldDisplay": False},
}


def _has_parent_field(rend: Renderer, issue: Issue) -> bool:
    """Cloud shows every parent (epics too); DC only a sub-task's parent (epics via Epic Link)."""
    if issue.parent_id is None:
        return False
    return rend.cloud or rend.state.issue_types[issue.issuetype_id].subtask


def selected_field_ids(rend: Renderer, issue: Issue, sel: FieldSelection) -> list[str]:
    """The field ids to render, in Jira's usual order; unknown ids are ignored."""
    chosen = rend.selections.get(sel)
    if chosen is None:
        system = system_field_ids(rend.cloud)
        custom = [f.id for f in rend.custom_fields()]
        if sel.all:
            base = system + custom
        elif sel.navigable:
            base = [f for f in system if f not in NOT_NAVIGABLE] + [f.id for f in rend.custom_fields() if f.navigable]
        else:
            base = []
        known = set(system) | set(custom)
        picked = dict.fromkeys(base)
        picked.update((fid, None) for fid in sorted(sel.include) if fid in known)
        chosen = rend.selections[sel] = [f for f in picked if f not in sel.exclude]
    if "parent" in chosen and not _has_parent_field(rend, issue):
        return [f for f in chosen if f != "parent"]
    return chosen


# -- the issue ------------------------------------------------------------------------------------

EXPANDABLE = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def serialize_issue(
    view: View,
    issue: Issue,
    sel: FieldSelection,
    expand: set[str] | frozenset[str] = frozenset(),
    properties: list[str] | None = None,
    fields_by_keys: bool = False,
) -> dict[str, Any]:
    rend = renderer(view)
    out: dict[str, Any] = {
        "expand": EXPANDABLE,
        "id": str(issue.id),
        "self": rend.rest(f"issue/{issue.id}"),
        "key": issue.key,
    }
    fids = selected_field_ids(rend, issue, sel)
    values = _IssueFields(rend, issue)
    fields = {fid: values.value(fid) for fid in fids}
    if "renderedFields" in expand:
        out["renderedFields"] = {fid: values.rendered(fid) for fid in fids}
    if "names" in expand:
        out["names"] = {fid: field_name(rend.state, fid) for fid in fids}
    if "schema" in expand:
        out["schema"] = {fid: field_schema(rend.state, fid) for fid in fids}
    if "transitions" in expand:
        from jiraemu.issues.meta import transitions_for

        out["transitions"] = transitions_for(view, issue, with_fields="transitions.fields" in expand)
    if "operations" in expand:
        out["operations"] = {"linkGroups": []}
    if "editmeta" in expand:
        from jiraemu.issues.meta import editmeta

        out["editmeta"] = editmeta(view, issue)
    if "changelog" in expand:
        out["changelog"] = embedded_changelog(rend, issue)
    if "versionedRepresentations" in expand:
        out["versionedRepresentations"] = versioned(rend, issue, fields)
    else:
        out["fields"] = fields
    if properties:
        props = dict(issue.properties)
        wanted = props if "*all" in properties else [k for k in properties if k in props]
        out["properties"] = {k: props[k] for k in wanted}
    return out


def versioned(rend: Renderer, issue: Issue, fields: dict[str, Any]) -> dict[str, Any]:
    """``expand=versionedRepresentations``: every field as representation "1", and the Sprint field
    also as "2" on Cloud (1 = the old toString form, 2 = sprint objects)."""
    out: dict[str, Any] = {fid: {"1": value} for fid, value in fields.items()}
    sprint = rend.state.field_by_kind("sprint")
    if rend.cloud and sprint is not None and sprint.id in fields and fields[sprint.id]:
        old = [_sprint_string(rend, s["id"]) for s in fields[sprint.id]]
        out[sprint.id] = {"1": old, "2": fields[sprint.id]}
    return out


def _sprint_string(rend: Renderer, sprint_id: int) -> str:
    sp = rend.state.sprints[sprint_id]

    def d(ms: int | None) -> str:
        return "<null>" if ms is None else str(rend.ts(ms))

    return (
        f"com.atlassian.greenhopper.service.sprint.Sprint@{sp.id:x}[id={sp.id},rapidViewId={sp.board_id},"
        f"state={sp.state.upper()},name={sp.name},startDate={d(sp.start)},endDate={d(sp.end)},"
        f"completeDate={d(sp.complete)},sequence={sp.id},goal={sp.goal}]"
    )


def embedded_changelog(rend: Renderer, issue: Issue) -> dict[str, Any]:
    """``expand=changelog``: the newest histories first, capped; ``total`` tells the truth."""
    cap = rend.view.config.max_embedded_changelog
    newest = sorted(issue.histories, key=lambda h: (h.created, h.id), reverse=True)[:cap]
    return {
        "startAt": 0,
        "maxResults": len(newest),
        "total": len(issue.histories),
        "histories": [rend.history(h) for h in newest],
    }
