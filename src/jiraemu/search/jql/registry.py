"""Clause name -> field handler: system clause names (case-insensitive, with Jira's aliases) and
custom fields by ``cf[10020]``, by clause name or by field name as ``GET /field`` lists them."""

from __future__ import annotations

from collections.abc import Callable

from jiraemu.search.jql import fields as f
from jiraemu.search.jql.fields import Handler, JqlContext
from jiraemu.search.jql.parser import FieldRef
from jiraemu.search.jql.tokens import JqlError
from jiraemu.state import Doc, FieldDef, Issue

Factory = Callable[[str, JqlContext], Handler]


def _text(parts: Callable[[Issue], list[Doc | str | None]], sortable: bool = False) -> Factory:
    return lambda name, ctx: f.TextHandler(name, ctx, parts, sortable)


def _all_text(ctx: JqlContext) -> Callable[[Issue], list[Doc | str | None]]:
    text_ids = [d.id for d in ctx.state.fields.values() if d.custom and d.kind in ("text", "textarea")]

    def parts(issue: Issue) -> list[Doc | str | None]:
        out: list[Doc | str | None] = [issue.summary, issue.description, issue.environment]
        out.extend(c.body for c in issue.comments)
        out.extend(issue.custom_value(fid) for fid in text_ids)
        return out

    return parts


SYSTEM: dict[str, Factory] = {
    "project": f.ProjectHandler,
    "created": lambda n, c: f.DateTimeHandler(n, c, lambda i: i.created),
    "updated": lambda n, c: f.DateTimeHandler(n, c, lambda i: i.updated),
    "resolutiondate": lambda n, c: f.DateTimeHandler(n, c, lambda i: i.resolution_date),
    "statuscategorychangeddate": lambda n, c: f.DateTimeHandler(n, c, lambda i: i.status_changed),
    "duedate": lambda n, c: f.DateHandler(n, c, lambda i: i.duedate),
    "labels": f.LabelsHandler,
    "status": f.StatusHandler,
    "statuscategory": f.StatusCategoryHandler,
    "issuetype": f.IssueTypeHandler,
    "priority": f.PriorityHandler,
    "resolution": f.ResolutionHandler,
    "assignee": lambda n, c: f.UserHandler(n, c, lambda i: i.assignee_id, "assignee"),
    "reporter": lambda n, c: f.UserHandler(n, c, lambda i: i.reporter_id, "reporter"),
    "creator": lambda n, c: f.UserHandler(n, c, lambda i: i.creator_id),
    "parent": f.ParentHandler,
    "component": f.ComponentHandler,
    "fixversion": lambda n, c: f.VersionHandler(n, c, fixed=True),
    "affectedversion": lambda n, c: f.VersionHandler(n, c, fixed=False),
    "summary": _text(lambda i: [i.summary], sortable=True),
    "description": _text(lambda i: [i.description]),
    "environment": _text(lambda i: [i.environment]),
    "comment": _text(lambda i: [c.body for c in i.comments]),
    "attachments": f.AttachmentsHandler,
    "issuekey": f.KeyHandler,
}
ALIASES = {
    "key": "issuekey",
    "id": "issuekey",
    "issue": "issuekey",
    "createddate": "created",
    "updateddate": "updated",
    "resolved": "resolutiondate",
    "due": "duedate",
    "type": "issuetype",
    "fixversions": "fixversion",
    "affectedversions": "affectedversion",
    "components": "component",
}
# Jira sorts by these system fields; the others (text, comment, attachments) cannot be sorted.
NOT_SORTABLE = {"text", "comment", "attachments", "description", "environment"}


def field_missing(name: str) -> JqlError:
    return JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")


def _custom(ref: FieldRef, ctx: JqlContext) -> FieldDef | None:
    defs = ctx.state.fields
    if ref.cf_id is not None:
        d = defs.get(f"customfield_{ref.cf_id}")
        return d if d is not None and d.custom else None
    wanted = ref.name.lower()
    for d in defs.values():
        if d.custom and (d.name.lower() == wanted or any(c.lower() == wanted for c in d.clause_names)):
            return d
    return None


def custom_handler(name: str, d: FieldDef, ctx: JqlContext) -> Handler:
    kind = d.kind
    if kind == "sprint":
        return f.SprintHandler(name, ctx, d.id)
    if kind in ("number", "storypoints"):
        return f.NumberHandler(name, ctx, d.id)
    if kind in ("select", "multiselect"):
        return f.OptionHandler(name, ctx, d)
    if kind == "userpicker":
        return f.UserHandler(name, ctx, lambda i: i.custom_value(d.id))
    if kind == "date":
        return f.DateHandler(name, ctx, lambda i: i.custom_value(d.id))
    if kind == "epiclink":
        return f.ParentHandler(name, ctx, epics_only=True)
    return f.TextHandler(name, ctx, lambda i: [i.custom_value(d.id)], sortable=kind == "text")


def handler_for(ref: FieldRef, ctx: JqlContext) -> Handler:
    """The handler of a clause; raises Jira's "Field 'x' does not exist" when there is none."""
    if ref.property_key is not None:
        if ref.name.lower() != "issue.property":
            raise field_missing(ref.name)
        return f.PropertyHandler(f"{ref.name}[{ref.property_key}]", ctx, ref.property_key, ref.property_path)
    low = ref.name.lower()
    if ref.cf_id is None and low == "text":
        return f.TextHandler(ref.name, ctx, _all_text(ctx), sortable=False)
    key = ALIASES.get(low, low)
    if ref.cf_id is None and key in SYSTEM:
        handler = SYSTEM[key](ref.name, ctx)
        if key in NOT_SORTABLE:
            handler.sortable = False
        return handler
    d = _custom(ref, ctx)
    if d is None:
        raise field_missing(ref.name)
    return custom_handler(ref.name, d, ctx)
