"""Handlers for fields and global metadata: /field, /field/search, /issuetype, /priority,
/status, /statuscategory, /resolution, /issueLinkType, /label."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jiraemu import repr as r
from jiraemu.fields import models
from jiraemu.http import JiraRequest
from jiraemu.state import FieldDef, IssueLinkType, Priority


def page_bean(req: JiraRequest, path: str, values: list[Any], start_at: int, max_results: int, total: int, is_last: bool) -> dict[str, Any]:
    """Cloud's PageBean, with ``nextPage`` naming the next slice as Jira does."""
    query = {k: v for k, v in req.raw.query_params.items() if k not in ("startAt", "maxResults")}
    base = req.rest(path)

    def url(start: int) -> str:
        return f"{base}?{urlencode({**query, 'maxResults': max_results, 'startAt': start})}"

    out: dict[str, Any] = {"self": url(start_at), "maxResults": max_results, "startAt": start_at, "total": total, "isLast": is_last}
    if not is_last:
        out["nextPage"] = url(start_at + max_results)
    out["values"] = values
    return out


# -- fields ----------------------------------------------------------------------------------------
def field_details(req: JiraRequest, f: FieldDef) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f.id}
    if req.is_cloud:
        out["key"] = f.id
    out["name"] = f.name  # real Cloud adds untranslatedName to custom fields; the spec forbids it
    out.update(custom=f.custom, orderable=f.orderable, navigable=f.navigable, searchable=f.searchable, clauseNames=list(f.clause_names))
    if f.schema:
        out["schema"] = f.schema
    return out


def list_fields(req: JiraRequest) -> list[dict[str, Any]]:
    return [field_details(req, f) for f in req.state.fields.values()]


def search_fields(req: JiraRequest) -> dict[str, Any]:
    start, size = req.q_int("startAt", 0), req.q_int("maxResults", 50)
    found = models.search_fields(req.backend, req.q_list("type"), req.q_list("id"), req.q("query"), req.q("orderBy"))
    chunk, last = models.page(found, start, size)
    values = []
    for f in chunk:
        item: dict[str, Any] = {"id": f.id, "key": f.id, "name": f.name, "schema": f.schema, "isLocked": not f.custom}
        if f.custom:
            item["description"] = ""
        values.append(item)
    return page_bean(req, "field/search", values, start, size, len(found), last)


# -- issue types -----------------------------------------------------------------------------------
def list_issue_types(req: JiraRequest) -> list[dict[str, Any]]:
    return [r.issue_type(req, it) for it in models.visible_issue_types(req.backend, req.user)]


def project_issue_types(req: JiraRequest) -> list[dict[str, Any]]:
    """Cloud ``GET /issuetype/project?projectId=``: the types of one project (``level`` filters)."""
    from jiraemu.projects.models import get_project

    raw = req.q("projectId")
    if not raw or not raw.isdigit():
        raise models.JiraError(400, ["The projectId parameter is required and must be a number."])
    project = get_project(req.backend, req.user, raw)
    level = req.q("level")
    types = [req.state.issue_types[t] for t in project.issue_type_ids if t in req.state.issue_types]
    if level is not None and level.lstrip("-").isdigit():
        types = [t for t in types if t.hierarchy_level == int(level)]
    return [r.issue_type(req, it) for it in types]


def get_issue_type(req: JiraRequest) -> dict[str, Any]:
    return r.issue_type(req, models.issue_type(req.backend, req.user, req.p("id")))


# -- priorities ------------------------------------------------------------------------------------
# Jira's descriptions of its default priorities
PRIORITY_DESCRIPTIONS = {
    "Highest": "This problem will block progress.",
    "High": "Serious problem that could block progress.",
    "Medium": "Has the potential to affect progress.",
    "Low": "Minor problem or easily worked around.",
    "Lowest": "Trivial problem with little or no impact on progress.",
}


def priority_json(req: JiraRequest, pr: Priority) -> dict[str, Any]:
    base = r.priority(req, pr)
    description = PRIORITY_DESCRIPTIONS.get(pr.name, pr.name)
    return {"self": base["self"], "statusColor": pr.color, "description": description, **{k: base[k] for k in ("iconUrl", "name", "id")}}


def list_priorities(req: JiraRequest) -> list[dict[str, Any]]:
    return [priority_json(req, p) for p in req.state.priorities.values()]


def get_priority(req: JiraRequest) -> dict[str, Any]:
    pr = models.one(req.state.priorities, req.p("id"), f"Could not find priority with id {req.p('id')}.")
    return priority_json(req, pr)


def search_priorities(req: JiraRequest) -> dict[str, Any]:
    start, size = req.q_int("startAt", 0), req.q_int("maxResults", 50)
    ids, name = set(req.q_list("id")), (req.q("priorityName") or "").lower()
    prios = list(req.state.priorities.values())
    default_id = prios[len(prios) // 2].id if prios else None  # Medium, as on a new site
    found = [p for p in prios if (not ids or p.id in ids) and name in p.name.lower()]
    if req.q_bool("onlyDefault"):
        found = [p for p in found if p.id == default_id]
    chunk, last = models.page(found, start, size)
    values = [{**priority_json(req, p), "isDefault": p.id == default_id} for p in chunk]
    return page_bean(req, "priority/search", values, start, size, len(found), last)


# -- statuses, categories, resolutions, link types, labels -----------------------------------------
def list_statuses(req: JiraRequest) -> list[dict[str, Any]]:
    return [r.status(req, st) for st in req.state.statuses.values()]


def get_status(req: JiraRequest) -> dict[str, Any]:
    return r.status(req, models.status_by_id_or_name(req.backend, req.p("idOrName")))


def list_status_categories(req: JiraRequest) -> list[dict[str, Any]]:
    return [r.status_category(req, c) for c in req.state.status_categories.values()]


def get_status_category(req: JiraRequest) -> dict[str, Any]:
    wanted = req.p("idOrKey")
    for cat in req.state.status_categories.values():
        if str(cat.id) == wanted or cat.key == wanted:
            return r.status_category(req, cat)
    raise models.JiraError(404, [f"The status category with id or key '{wanted}' does not exist"])


def list_resolutions(req: JiraRequest) -> list[dict[str, Any]]:
    return [r.resolution(req, res) for res in req.state.resolutions.values()]


def get_resolution(req: JiraRequest) -> dict[str, Any]:
    res = models.one(req.state.resolutions, req.p("id"), f"The resolution with ID {req.p('id')} does not exist.")
    return r.resolution(req, res)


def link_type_json(req: JiraRequest, lt: IssueLinkType) -> dict[str, Any]:
    return {"id": lt.id, "name": lt.name, "inward": lt.inward, "outward": lt.outward, "self": req.rest(f"issueLinkType/{lt.id}")}


def list_link_types(req: JiraRequest) -> dict[str, Any]:
    return {"issueLinkTypes": [link_type_json(req, lt) for lt in req.state.link_types.values()]}


def get_link_type(req: JiraRequest) -> dict[str, Any]:
    lt = models.one(req.state.link_types, req.p("issueLinkTypeId"), f"No issue link type with id '{req.p('issueLinkTypeId')}' found.")
    return link_type_json(req, lt)


def list_labels(req: JiraRequest) -> dict[str, Any]:
    start, size = req.q_int("startAt", 0), req.q_int("maxResults", 1000)
    found = models.labels(req.backend)
    chunk, last = models.page(found, start, size)
    return page_bean(req, "label", chunk, start, size, len(found), last)
