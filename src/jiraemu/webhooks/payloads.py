"""Webhook bodies in Jira's shapes (jira-api-facts §4.4; fixtures/webhooks-server).

Issue events: ``{timestamp, webhookEvent, issue_event_type_name, user, issue, changelog?}`` with
the issue in the REST v2 representation even on Cloud (plain/wiki description, ``/rest/api/2``
self links). Comment events: ``{timestamp, webhookEvent, comment, issue{id,self,key,fields{…}}}``.
Worklog events: ``{timestamp, webhookEvent, worklog}``. Property events: ``{timestamp,
webhookEvent, property{key,value}, issue{id,self,key}}``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jiraemu import events as ev
from jiraemu.events import Event
from jiraemu.http import Caller, View
from jiraemu.repr import ts, user_by_id
from jiraemu.state import Comment, Doc, History, Issue, Worklog

if TYPE_CHECKING:
    from jiraemu.backend import Backend

COMMENT_ISSUE_FIELDS = ["summary", "status", "issuetype", "priority", "assignee", "reporter", "project"]
DEFAULT_TYPE_NAMES = {
    ev.ISSUE_CREATED: "issue_created",
    ev.ISSUE_UPDATED: "issue_updated",
    ev.ISSUE_DELETED: "issue_deleted",
    ev.COMMENT_CREATED: "issue_commented",
    ev.COMMENT_UPDATED: "issue_comment_edited",
    ev.COMMENT_DELETED: "issue_comment_deleted",
    ev.WORKLOG_CREATED: "issue_worklog_created",
    ev.WORKLOG_UPDATED: "issue_worklog_updated",
    ev.WORKLOG_DELETED: "issue_worklog_deleted",
}
USER_CHANGE_FIELDS = ("assignee", "reporter")


def doc_wiki(view: View, doc: Doc | None) -> str | None:
    if doc is None:
        return None
    doc_as_wiki = getattr(importlib.import_module("jiraemu.content"), "doc_as_wiki", None)
    if doc_as_wiki is not None:
        return str(doc_as_wiki(doc))
    if doc.wiki is not None:
        return doc.wiki
    return _adf_text(doc.adf or {})


def _adf_text(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        parts = [_adf_text(c) for c in node.get("content", [])]
        sep = "\n" if node.get("type") in ("doc", "bulletList", "orderedList", "table", "tableRow") else ""
        return sep.join(parts)
    return ""


def issue_body(view: View, issue: Issue, fields: list[str] | None = None) -> dict[str, Any]:
    """The issue in REST v2 shape through the issues area's serializer."""
    from jiraemu.issues.serialize import parse_fields, serialize_issue

    out = serialize_issue(view, issue, parse_fields(fields))
    if not out.get("fields") and fields is None:
        out["fields"] = {"summary": issue.summary}
    return out


def comment_body(view: View, issue: Issue, comment: Comment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "self": view.rest(f"issue/{issue.id}/comment/{comment.id}"),
        "id": str(comment.id),
        "author": user_by_id(view, comment.author_id),
        "body": doc_wiki(view, comment.body) or "",
        "updateAuthor": user_by_id(view, comment.update_author_id),
        "created": ts(view, comment.created),
        "updated": ts(view, comment.updated),
    }
    if comment.visibility:
        out["visibility"] = dict(comment.visibility)
    out["jsdPublic"] = True
    return out


def worklog_body(view: View, issue: Issue, worklog: Worklog) -> dict[str, Any]:
    out: dict[str, Any] = {
        "self": view.rest(f"issue/{issue.id}/worklog/{worklog.id}"),
        "author": user_by_id(view, worklog.author_id),
        "updateAuthor": user_by_id(view, worklog.update_author_id),
        "created": ts(view, worklog.created),
        "updated": ts(view, worklog.updated),
        "started": ts(view, worklog.started),
        "timeSpent": _duration(worklog.time_spent_seconds),
        "timeSpentSeconds": worklog.time_spent_seconds,
        "id": str(worklog.id),
        "issueId": str(issue.id),
    }
    if worklog.comment is not None:
        out["comment"] = doc_wiki(view, worklog.comment)
    return out


def _duration(seconds: int) -> str:
    parts = []
    for unit, size in (("w", 5 * 8 * 3600), ("d", 8 * 3600), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0m"


def changelog_body(view: View, history: History) -> dict[str, Any]:
    items = []
    for item in history.items:
        entry: dict[str, Any] = {
            "field": item.field,
            "fieldtype": item.fieldtype,
            "fieldId": item.field_id,
            "from": item.from_,
            "fromString": item.from_string,
            "to": item.to,
            "toString": item.to_string,
        }
        if view.is_cloud and item.field_id in USER_CHANGE_FIELDS:
            entry["tmpFromAccountId"] = item.from_
            entry["tmpToAccountId"] = item.to
        items.append(entry)
    return {"id": str(history.id), "items": items}


def build_payload(backend: Backend, event: Event, viewer: Caller) -> dict[str, Any] | None:
    """The body a webhook receives for ``event``, rendered for ``viewer`` (None: nothing to send)."""
    view = View(backend, viewer, 2)
    issue = event.issue
    body: dict[str, Any] = {"timestamp": event.at, "webhookEvent": event.kind}
    kind = event.kind
    if kind in (ev.ISSUE_CREATED, ev.ISSUE_UPDATED, ev.ISSUE_DELETED):
        if issue is None:
            return None
        body["issue_event_type_name"] = event.issue_event_type_name or DEFAULT_TYPE_NAMES[kind]
        body["user"] = user_by_id(view, event.user_id)
        body["issue"] = issue_body(view, issue)
        if event.history is not None:
            body["changelog"] = changelog_body(view, event.history)
        if event.comment is not None:
            body["comment"] = comment_body(view, issue, event.comment)
        return body
    if kind in (ev.COMMENT_CREATED, ev.COMMENT_UPDATED, ev.COMMENT_DELETED):
        if issue is None or event.comment is None:
            return None
        body["comment"] = comment_body(view, issue, event.comment)
        body["issue"] = issue_body(view, issue, COMMENT_ISSUE_FIELDS)
        return body
    if kind in (ev.WORKLOG_CREATED, ev.WORKLOG_UPDATED, ev.WORKLOG_DELETED):
        if issue is None or event.worklog is None:
            return None
        body["worklog"] = worklog_body(view, issue, event.worklog)
        return body
    if kind in (ev.PROPERTY_SET, ev.PROPERTY_DELETED):
        if issue is None:
            return None
        prop: dict[str, Any] = {"key": event.extra.get("key")}
        if kind == ev.PROPERTY_SET:
            prop["value"] = event.extra.get("value")
        body["property"] = prop
        body["issue"] = {"id": str(issue.id), "self": view.rest(f"issue/{issue.id}"), "key": issue.key}
        body["user"] = user_by_id(view, event.user_id)
        return body
    return None
