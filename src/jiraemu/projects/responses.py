"""Project handlers: list, search (Cloud), get with expand, statuses, components, versions."""

from __future__ import annotations

from typing import Any

from jiraemu import repr as r
from jiraemu.fields.responses import page_bean
from jiraemu.http import JiraRequest
from jiraemu.projects import models
from jiraemu.state import Component, Project, Version

CLOUD_EXPANDS = "description,lead,issueTypes,url,projectKeys,permissions,insight"
DC_EXPANDS = "description,lead,url,projectKeys"


def _summary(req: JiraRequest, p: Project, expand: set[str]) -> dict[str, Any]:
    """A project as lists and search return it: short, plus what ``expand`` asks for."""
    out: dict[str, Any] = {"expand": CLOUD_EXPANDS if req.is_cloud else DC_EXPANDS, "self": req.rest(f"project/{p.id}"), "id": str(p.id), "key": p.key}
    if "description" in expand:
        out["description"] = p.description
    if "lead" in expand:
        out["lead"] = r.user_by_id(req, p.lead_id)
    if "issueTypes" in expand:
        out["issueTypes"] = [r.issue_type(req, req.state.issue_types[t]) for t in p.issue_type_ids if t in req.state.issue_types]
    if "url" in expand:
        out["url"] = ""
    if "projectKeys" in expand:
        out["projectKeys"] = [p.key, *p.previous_keys]
    out["name"] = p.name
    out["avatarUrls"] = r.avatar_urls(req, "project", str(p.id))
    out["projectTypeKey"] = p.project_type_key
    if req.is_cloud:
        out.update(simplified=p.style == "next-gen", style=p.style, isPrivate=False, properties={})
        if p.style == "next-gen":
            out["uuid"] = f"00000000-0000-4000-8000-{p.id:012d}"
        if "insight" in expand:
            info = models.insight(req.backend, p)
            out["insight"] = {"totalIssueCount": info.total_issue_count}
            if info.last_issue_update is not None:
                out["insight"]["lastIssueUpdateTime"] = r.ts(req, info.last_issue_update)
    if p.archived:
        out["archived"] = True
    elif not req.is_cloud:
        out["archived"] = False
    return out


def _expand(req: JiraRequest) -> set[str]:
    return set(req.q_list("expand"))


def component_json(req: JiraRequest, c: Component, p: Project) -> dict[str, Any]:
    out: dict[str, Any] = {"self": req.rest(f"component/{c.id}"), "id": c.id, "name": c.name, "description": c.description}
    if c.lead_id and c.lead_id in req.state.users:
        out["lead"] = r.user_by_id(req, c.lead_id)
        if req.is_cloud:
            out["leadAccountId"] = c.lead_id
        else:
            out["leadUserName"] = req.state.users[c.lead_id].name
    out.update(assigneeType="PROJECT_DEFAULT", realAssigneeType="PROJECT_DEFAULT", isAssigneeTypeValid=False, project=p.key, projectId=p.id)
    return out


def version_json(req: JiraRequest, v: Version, p: Project) -> dict[str, Any]:
    out = r.version(req, v, p.id)
    out["description"] = ""
    if v.release_date and not v.released:
        out["overdue"] = v.release_date < r.ts(req, req.backend.now_ms())[:10]  # type: ignore[index]
    if v.release_date:
        out["userReleaseDate"] = v.release_date
    return out


def project_json(req: JiraRequest, p: Project, expand: set[str]) -> dict[str, Any]:
    """``GET /project/{key}``: the full shape (description, lead, components, types, versions, roles)."""
    out = _summary(req, p, expand | {"description", "lead", "issueTypes"})
    full: dict[str, Any] = {}
    for key in ("expand", "self", "id", "key", "description", "lead"):
        full[key] = out.pop(key)
    full["components"] = [component_json(req, c, p) for c in p.components]
    full["issueTypes"] = out.pop("issueTypes")
    full["assigneeType"] = "UNASSIGNED"
    full["versions"] = [version_json(req, v, p) for v in p.versions]
    full["name"] = out.pop("name")
    full["roles"] = {role.name: req.rest(f"project/{p.id}/role/{role.id}") for role in req.state.roles.values()}
    full.update(out)
    return full


# -- handlers --------------------------------------------------------------------------------------
def list_projects(req: JiraRequest) -> list[dict[str, Any]]:
    expand = _expand(req)
    projects = models.list_projects(req.backend, req.user, req.q_bool("includeArchived"))
    recent = req.q_int("recent", 0)
    if recent > 0:
        projects = projects[:recent]
    return [_summary(req, p, expand) for p in projects]


def search_projects(req: JiraRequest) -> dict[str, Any]:
    start, size = req.q_int("startAt", 0), req.q_int("maxResults", 50, minimum=0, maximum=100)
    found = models.search_projects(
        req.backend,
        req.user,
        query=req.q("query"),
        keys=req.q_list("keys"),
        ids=req.q_list("id"),
        type_key=req.q("typeKey"),
        action=req.q("action") or "view",
        status=req.q_list("status"),
        order_by=req.q("orderBy") or "key",
    )
    chunk = found[start : start + size] if start >= 0 else []
    expand = _expand(req)
    values = [_summary(req, p, expand) for p in chunk]
    return page_bean(req, "project/search", values, start, size, len(found), start + len(chunk) >= len(found))


def get_project(req: JiraRequest) -> dict[str, Any]:
    project = models.get_project(req.backend, req.user, req.p("projectIdOrKey"))
    return project_json(req, project, _expand(req))


def project_statuses(req: JiraRequest) -> list[dict[str, Any]]:
    project = models.get_project(req.backend, req.user, req.p("projectIdOrKey"))
    state = req.state
    workflow = state.workflows.get(project.workflow_name)
    status_ids = workflow.status_ids if workflow else list(state.statuses)
    statuses = [r.status(req, state.statuses[s]) for s in status_ids if s in state.statuses]
    out = []
    for type_id in project.issue_type_ids:
        it = state.issue_types.get(type_id)
        if it is not None:
            out.append({"self": req.rest(f"issuetype/{it.id}"), "id": it.id, "name": it.name, "subtask": it.subtask, "statuses": statuses})
    return out


def project_components(req: JiraRequest) -> list[dict[str, Any]]:
    project = models.get_project(req.backend, req.user, req.p("projectIdOrKey"))
    return [component_json(req, c, project) for c in project.components]


def project_versions(req: JiraRequest) -> list[dict[str, Any]]:
    project = models.get_project(req.backend, req.user, req.p("projectIdOrKey"))
    return [version_json(req, v, project) for v in project.versions]


def get_component(req: JiraRequest) -> dict[str, Any]:
    component, project = models.find_component(req.backend, req.user, req.p("id"))
    return component_json(req, component, project)


def get_version(req: JiraRequest) -> dict[str, Any]:
    version, project = models.find_version(req.backend, req.user, req.p("id"))
    return version_json(req, version, project)
