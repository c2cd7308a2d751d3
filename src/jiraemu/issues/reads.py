"""Read handlers for issues and what hangs off them (comments, changelogs, worklogs, properties,
attachments, transitions, create/edit metadata). Each reads the request, finds what the caller
may see, and renders it with ``serialize``/``meta``."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from typing import Any

import orjson

from jiraemu.errors import JiraError, bad_request, issue_not_found, not_found
from jiraemu.http import JiraRequest, Reply
from jiraemu.issues import meta
from jiraemu.issues.serialize import parse_fields, renderer, serialize_issue
from jiraemu.state import Attachment, Comment, History, Issue, Project

NOT_VISIBLE = "Issue does not exist or you do not have permission to see it."


# -- lookups ----------------------------------------------------------------------------------------


def find_issue(req: JiraRequest, key_or_id: str) -> Issue | None:
    """The live issue (old keys of moved issues resolve) if the caller may see it."""
    issue = req.state.issue_by_key_or_id(key_or_id.strip())
    if issue is None or not req.backend.perms.can_see_issue(req.caller.user, issue):
        return None
    return issue


def visible_issue(req: JiraRequest, param: str = "issueIdOrKey") -> Issue:
    issue = find_issue(req, req.p(param))
    if issue is None:
        raise issue_not_found()
    return issue


def _expand(req: JiraRequest) -> set[str]:
    return set(req.q_list("expand"))


def _page_args(req: JiraRequest, default: int, cap: int | None) -> tuple[int, int]:
    start = req.q_int("startAt", 0, minimum=0)
    size = req.q_int("maxResults", default, minimum=0)
    if cap is not None:
        size = min(size, cap)
    return start, size


def _reported_size(req: JiraRequest, size: int, page: list[Any]) -> int:
    """DC reports the number returned when no maxResults was asked for (Cloud: the page size)."""
    if not req.is_cloud and req.q("maxResults") is None:
        return len(page)
    return size


# -- issues -----------------------------------------------------------------------------------------


def get_issue(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    if req.q_bool("updateHistory") and req.caller.user is not None:
        renderer(req).graph.viewed[(req.caller.user.account_id, issue.id)] = req.backend.now_ms()
    sel = parse_fields(req.q_list("fields"), default="*all")
    return serialize_issue(
        req,
        issue,
        sel,
        expand=_expand(req),
        properties=req.q_list("properties") or None,
        fields_by_keys=req.q_bool("fieldsByKeys"),
    )


BULK_LIMIT = 100
BULK_LIMIT_NARROW = 1000
MULTI_VALUE_FIELDS = {"comment", "worklog", "attachment", "*all", "*navigable"}
HEAVY_EXPANDS = {"changelog", "editmeta", "operations", "renderedFields", "transitions", "versionedRepresentations"}


def _bulk_limit(fields: list[str], expand: list[str]) -> int:
    """1000 issues when the request names ≤ 100 single-valued fields and no heavy expand."""
    named = [f for f in fields if not f.startswith("-")]
    if named and len(named) <= 100 and not (set(named) & MULTI_VALUE_FIELDS) and not (set(expand) & HEAVY_EXPANDS):
        return BULK_LIMIT_NARROW
    return BULK_LIMIT


def _str_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"Can not deserialize value of '{name}': expected an array.")
    return [str(v) for v in value]


def bulkfetch(req: JiraRequest) -> Any:
    body = req.json_object()
    wanted = _str_list(body, "issueIdsOrKeys")
    fields = _str_list(body, "fields")
    expand = [e for x in _str_list(body, "expand") for e in x.split(",") if e]
    limit = _bulk_limit(fields, expand)
    if not wanted or len(wanted) > limit:
        raise bad_request(f"The number of issue IDs or keys must be between 1 and {limit}.")
    sel = parse_fields(fields, default="*navigable")
    found: dict[int, Issue] = {}
    errors = []
    for ident in wanted:
        issue = find_issue(req, ident)
        if issue is None:
            errors.append({"id": ident, "errorMessage": NOT_VISIBLE})
        else:
            found[issue.id] = issue
    props = _str_list(body, "properties")[:5] or None
    issues = [
        serialize_issue(req, found[i], sel, expand=set(expand), properties=props,
                        fields_by_keys=bool(body.get("fieldsByKeys")))
        for i in sorted(found)
    ]
    return {"issues": issues, "issueErrors": errors}


# -- comments ---------------------------------------------------------------------------------------


def list_comments(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    order = req.q("orderBy") or "created"
    if order not in ("created", "+created", "-created"):
        raise bad_request(f"The value '{order}' is invalid for the orderBy parameter.")
    rend = renderer(req)
    comments = sorted(rend.visible_comments(issue), key=lambda c: (c.created, c.id), reverse=order == "-created")
    start, size = _page_args(req, 100 if req.is_cloud else len(comments), 100 if req.is_cloud else None)
    expand = _expand(req)
    page = comments[start : start + size]
    return {
        "startAt": start,
        "maxResults": _reported_size(req, size, page),
        "total": len(comments),
        "comments": [rend.comment(issue, c, "renderedBody" in expand, "properties" in expand) for c in page],
    }


def _comment(req: JiraRequest, issue: Issue, raw_id: str) -> Comment:
    rend = renderer(req)
    for c in issue.comments:
        if str(c.id) == raw_id and rend.comment_visible(issue, c):
            return c
    raise not_found(f"Can not find a comment for the id: {raw_id}.")


def get_comment(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    comment = _comment(req, issue, req.p("id"))
    expand = _expand(req)
    return renderer(req).comment(issue, comment, "renderedBody" in expand, "properties" in expand)


def comment_list(req: JiraRequest) -> Any:
    body = req.json_object()
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request(None, ids="The list of comment IDs is required.")
    if len(ids) > 1000:
        raise bad_request("The number of comment IDs must not be greater than 1000.")
    rend = renderer(req)
    expand = _expand(req)
    found: list[tuple[Issue, Comment]] = []
    for raw in sorted({int(i) for i in ids if str(i).lstrip("-").isdigit()}):
        issue = rend.graph.owner("comment", raw)
        if issue is None or not rend.can_see(issue):
            continue
        comment = next(c for c in issue.comments if c.id == raw)
        if rend.comment_visible(issue, comment):
            found.append((issue, comment))
    start, size = _page_args(req, 1000, 1000)
    page = found[start : start + size]
    return {
        "maxResults": size,
        "startAt": start,
        "total": len(found),
        "isLast": start + len(page) >= len(found),
        "values": [rend.comment(i, c, "renderedBody" in expand, "properties" in expand) for i, c in page],
    }


# -- changelogs -------------------------------------------------------------------------------------


def _oldest_first(histories: tuple[History, ...]) -> list[History]:
    return sorted(histories, key=lambda h: (h.created, h.id))


def get_changelog(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    start, size = _page_args(req, 100, 100)
    histories = _oldest_first(issue.histories)
    page = histories[start : start + size]
    rend = renderer(req)
    base = req.rest(f"issue/{issue.key}/changelog")
    out: dict[str, Any] = {"self": f"{base}?maxResults={size}&startAt={start}"}
    is_last = start + len(page) >= len(histories)
    if not is_last:
        out["nextPage"] = f"{base}?maxResults={size}&startAt={start + len(page)}"
    out.update(maxResults=size, startAt=start, total=len(histories), isLast=is_last,
               values=[rend.history(h) for h in page])
    return out


def _token(offset: int, digest: str) -> str:
    raw = orjson.dumps({"o": offset, "h": digest})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untoken(token: str, digest: str) -> int:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["h"] == digest and isinstance(data["o"], int) and data["o"] >= 0:
            return int(data["o"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        pass
    raise bad_request("The nextPageToken is invalid or expired.")


def changelog_bulkfetch(req: JiraRequest) -> Any:
    body = req.json_object()
    wanted = _str_list(body, "issueIdsOrKeys")
    if not wanted or len(wanted) > 1000:
        raise bad_request("The number of issue IDs or keys must be between 1 and 1000.")
    field_ids = _str_list(body, "fieldIds")
    if len(field_ids) > 10:
        raise bad_request("The number of field IDs must not be greater than 10.")
    size = body.get("maxResults", 1000)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 10000:
        raise bad_request("maxResults must be between 1 and 10000.")
    digest = hashlib.sha256(orjson.dumps([sorted(wanted), sorted(field_ids)])).hexdigest()[:16]
    start = _untoken(str(body["nextPageToken"]), digest) if body.get("nextPageToken") else 0
    rend = renderer(req)
    issues = {i.id: i for i in (find_issue(req, w) for w in wanted) if i is not None}
    entries: list[tuple[int, int, int, dict[str, Any]]] = []
    for issue in issues.values():
        for h in issue.histories:
            shown = rend.history(h)
            if field_ids:
                shown["items"] = [it for it in shown["items"] if _item_matches(it, field_ids)]
                if not shown["items"]:
                    continue
            entries.append((h.created, issue.id, h.id, shown))
    entries.sort(key=lambda e: e[:3])
    page = entries[start : start + size]
    grouped: dict[int, list[dict[str, Any]]] = {}
    for _, iid, _, shown in page:
        grouped.setdefault(iid, []).append(shown)
    out: dict[str, Any] = {
        "issueChangeLogs": [{"issueId": str(iid), "changeHistories": hs} for iid, hs in grouped.items()]
    }
    if start + len(page) < len(entries):
        out["nextPageToken"] = _token(start + len(page), digest)
    return out


def _item_matches(item: dict[str, Any], field_ids: list[str]) -> bool:
    return item.get("fieldId") in field_ids or item.get("field") in field_ids


# -- worklogs ---------------------------------------------------------------------------------------


def list_worklogs(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    after = req.q_int("startedAfter", -(2**62))
    before = req.q_int("startedBefore", 2**62)
    worklogs = [w for w in sorted(issue.worklogs, key=lambda w: (w.started, w.id)) if after <= w.started < before]
    start, size = _page_args(req, 5000, 5000)
    page = worklogs[start : start + size]
    rend = renderer(req)
    return {"startAt": start, "maxResults": _reported_size(req, size, page), "total": len(worklogs),
            "worklogs": [rend.worklog(issue, w) for w in page]}


def get_worklog(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    raw = req.p("id")
    for w in issue.worklogs:
        if str(w.id) == raw:
            return renderer(req).worklog(issue, w)
    raise not_found(f"Cannot find worklog with id: '{raw}'.")


# -- properties -------------------------------------------------------------------------------------


def list_properties(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    return {
        "keys": [{"self": req.rest(f"issue/{issue.id}/properties/{k}"), "key": k} for k, _ in issue.properties]
    }


def get_property(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    key = req.p("propertyKey")
    for k, v in issue.properties:
        if k == key:
            return {"key": k, "value": v}
    raise not_found(f"The property with key '{key}' does not exist.")


# -- attachments ------------------------------------------------------------------------------------


def _attachment(req: JiraRequest, raw_id: str) -> tuple[Issue, Attachment]:
    rend = renderer(req)
    issue = rend.graph.owner("attachment", int(raw_id)) if raw_id.isdigit() else None
    if issue is None or not rend.can_see(issue):
        raise not_found(f"The attachment with id '{raw_id}' does not exist.")
    return issue, next(a for a in issue.attachments if a.id == int(raw_id))


def get_attachment(req: JiraRequest) -> Any:
    _, att = _attachment(req, req.p("id"))
    return renderer(req).attachment(att, id_as_int=True)


def attachment_meta(req: JiraRequest) -> Any:
    return {"enabled": True, "uploadLimit": 10485760}


def _content_reply(req: JiraRequest, att: Attachment) -> Reply:
    data = req.state.blobs.get(att.sha256, b"")
    headers = {"Content-Disposition": f'attachment; filename="{att.filename}"', "Accept-Ranges": "bytes"}
    rng = req.header("range")
    if rng and rng.startswith("bytes="):
        first, _, last = rng[6:].partition("-")
        try:
            lo = int(first) if first else max(0, len(data) - int(last))
            hi = int(last) if first and last else len(data) - 1
        except ValueError:
            raise bad_request("The Range header is malformed.") from None
        if lo >= len(data) or lo > hi:
            raise JiraError(416, ["The requested range cannot be satisfied."],
                            headers={"Content-Range": f"bytes */{len(data)}"})
        hi = min(hi, len(data) - 1)
        headers["Content-Range"] = f"bytes {lo}-{hi}/{len(data)}"
        return Reply(data[lo : hi + 1], 206, headers, att.mime_type)
    return Reply(data, 200, headers, att.mime_type)


def attachment_content(req: JiraRequest) -> Any:
    """Cloud: 303 to the download URL unless ``redirect=false``, then the bytes (Range → 206)."""
    _, att = _attachment(req, req.p("id"))
    if req.q_bool("redirect", True):
        location = f"{req.base_url}/secure/attachment/{att.id}/{att.filename}"
        return Reply(None, 303, {"Location": location})
    return _content_reply(req, att)


def _png_1x1() -> bytes:
    """A 1x1 transparent PNG: the default thumbnail of attachments that are not images."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


DEFAULT_THUMBNAIL = _png_1x1()


def _thumbnail_reply(req: JiraRequest, att: Attachment) -> Reply:
    """The image itself (not resized: an approximation) or, for other files, the default icon."""
    if att.mime_type.startswith("image/"):
        return Reply(req.state.blobs.get(att.sha256, b""), 200, {}, att.mime_type)
    if not req.q_bool("fallbackToDefault", True):
        raise not_found(f"The thumbnail of attachment '{att.id}' cannot be downloaded.")
    return Reply(DEFAULT_THUMBNAIL, 200, {}, "image/png")


def attachment_thumbnail(req: JiraRequest) -> Any:
    _, att = _attachment(req, req.p("id"))
    if req.q_bool("redirect", True):
        return Reply(None, 303, {"Location": f"{req.base_url}/secure/thumbnail/{att.id}/_thumb_{att.id}.png"})
    return _thumbnail_reply(req, att)


def download_thumbnail(req: JiraRequest) -> Any:
    _, att = _attachment(req, req.p("id"))
    return _thumbnail_reply(req, att)


def download_attachment(req: JiraRequest) -> Any:
    """``/secure/attachment/{id}/{filename}``: where DC's ``content`` links and Cloud's redirect point."""
    _, att = _attachment(req, req.p("id"))
    return _content_reply(req, att)


# -- transitions and metadata -----------------------------------------------------------------------


def get_transitions(req: JiraRequest) -> Any:
    issue = visible_issue(req)
    with_fields = "transitions.fields" in _expand(req)
    found = meta.transitions_for(req, issue, with_fields, transition_id=req.q("transitionId") or None)
    return {"expand": "transitions", "transitions": found}


def get_editmeta(req: JiraRequest) -> Any:
    return meta.editmeta(req, visible_issue(req))


def _create_project(req: JiraRequest) -> Project:
    key = req.p("projectIdOrKey")
    project = req.state.project_by_key_or_id(key)
    perms = req.backend.perms
    if project is None or project.archived or not perms.has(req.caller.user, "BROWSE_PROJECTS", project):
        raise not_found(f"No project could be found with key '{key}'.")
    return project


def _page(req: JiraRequest, items: list[Any], cloud_key: str) -> dict[str, Any]:
    start, size = _page_args(req, 50, 200)
    page = items[start : start + size]
    out: dict[str, Any] = {"maxResults": size, "startAt": start, "total": len(items)}
    if req.is_cloud:
        out[cloud_key] = page
    else:
        out.update(isLast=start + len(page) >= len(items), values=page)
    return out


def createmeta_issuetypes(req: JiraRequest) -> Any:
    project = _create_project(req)
    types = [meta.createmeta_issue_type(req, t) for t in meta.project_issue_types(req, project)]
    if not req.backend.perms.has(req.caller.user, "CREATE_ISSUES", project):
        types = []  # browsing without Create issues: nothing to create
    return _page(req, types, "issueTypes")


def createmeta_fields(req: JiraRequest) -> Any:
    project = _create_project(req)
    type_id = req.p("issueTypeId")
    itype = next((t for t in meta.project_issue_types(req, project) if t.id == type_id), None)
    if itype is None:
        raise bad_request("The issue type selected is invalid.")
    return _page(req, meta.fields_meta(req, project, itype, create=True), "fields")
