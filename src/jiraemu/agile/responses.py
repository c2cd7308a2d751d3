"""Handlers for ``/rest/agile/1.0``: boards, their configuration, sprints and sprint issues."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jiraemu import repr as r
from jiraemu.agile.models import Agile
from jiraemu.errors import JiraError
from jiraemu.http import JiraRequest, Reply, View
from jiraemu.state import Board, Issue, Sprint
from jiraemu.timefmt import fmt_ts


def agile(req: JiraRequest) -> Agile:
    return Agile(req.backend, req.caller.user)


def agile_url(view: View, path: str) -> str:
    return f"{view.base_url}/rest/agile/1.0/{path}"


def _date(view: View, epoch_ms: int | None) -> str | None:
    """Agile dates: Cloud sends UTC with ``Z``; DC the site zone with a colon offset (``-04:00``)."""
    if epoch_ms is None:
        return None
    if view.is_cloud:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"
    text = fmt_ts(epoch_ms, view.state.site.site_timezone)
    return text[:-2] + ":" + text[-2:]


def sprint_json(view: View, sprint: Sprint) -> dict[str, Any]:
    out: dict[str, Any] = {"id": sprint.id, "self": agile_url(view, f"sprint/{sprint.id}"), "state": sprint.state,
                           "name": sprint.name}
    for key, value in (("startDate", sprint.start), ("endDate", sprint.end), ("completeDate", sprint.complete)):
        if value is not None:
            out[key] = _date(view, value)
    if view.is_cloud and sprint.start is not None:
        out["createdDate"] = _date(view, sprint.start)
    out["originBoardId"] = sprint.board_id
    out["goal"] = sprint.goal
    return out


def sprint_in_issue(view: View, sprint: Sprint) -> dict[str, Any]:
    """The Sprint shape embedded in agile issue fields (``sprint`` / ``closedSprints``)."""
    out = sprint_json(view, sprint)
    out.pop("createdDate", None)
    return out


def board_json(view: View, board: Board) -> dict[str, Any]:
    out: dict[str, Any] = {"id": board.id, "self": agile_url(view, f"board/{board.id}"), "name": board.name,
                           "type": board.type}
    project = view.state.projects.get(board.project_id)
    if project is not None:
        location: dict[str, Any] = {"projectId": project.id, "displayName": f"{project.name} ({project.key})",
                                    "projectName": project.name, "projectKey": project.key,
                                    "projectTypeKey": project.project_type_key,
                                    "avatarURI": f"{view.base_url}/secure/projectavatar?size=small&pid={project.id}",
                                    "name": f"{project.name} ({project.key})"}
        out["location"] = location
    if view.is_cloud:
        out["isPrivate"] = False
    return out


def paged(req: JiraRequest, items: list[Any], render: Any, default_max: int = 50) -> dict[str, Any]:
    start, size = req.q_int("startAt", 0, 0), req.q_int("maxResults", default_max, 0, 50)
    chunk = items[start:start + size]
    return {"maxResults": size, "startAt": start, "total": len(items),
            "isLast": start + len(chunk) >= len(items), "values": [render(req, x) for x in chunk]}


# -- boards --------------------------------------------------------------------------------------------
def boards(req: JiraRequest) -> dict[str, Any]:
    found = agile(req).boards(req.q("projectKeyOrId"), req.q_list("type"), req.q("name"))
    return paged(req, found, board_json)


def board(req: JiraRequest) -> dict[str, Any]:
    return board_json(req, agile(req).board(req.p("boardId")))


def board_configuration(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    b = ag.board(req.p("boardId"))
    project = ag.project_of(b)
    assert project is not None
    workflow = req.state.workflows.get(project.workflow_name)
    status_ids = workflow.status_ids if workflow is not None else list(req.state.statuses)
    columns: dict[str, list[dict[str, str]]] = {}
    names = {2: "To Do", 4: "In Progress", 3: "Done", 1: "To Do"}
    for sid in status_ids:
        status = req.state.statuses.get(sid)
        if status is not None:
            columns.setdefault(names.get(status.category_id, "To Do"), []).append(
                {"id": sid, "self": req.rest(f"status/{sid}", 2)})
    out: dict[str, Any] = {
        "id": b.id, "name": b.name, "type": b.type, "self": agile_url(req, f"board/{b.id}/configuration"),
        "filter": {"id": str(b.filter_id), "self": req.rest(f"filter/{b.filter_id}", 2)},
        "columnConfig": {"columns": [{"name": n, "statuses": s} for n, s in columns.items()],
                         "constraintType": "issueCount"},
    }
    if req.is_cloud:
        out["location"] = {"type": "project", "projectKeyOrId": str(project.id)}
    if b.type == "kanban":
        out["subQuery"] = {"query": "fixVersion in unreleasedVersions() OR fixVersion is EMPTY"}
    points = req.state.field_by_kind("storypoints")
    if points is not None and b.type == "scrum":
        out["estimation"] = {"type": "field", "field": {"fieldId": points.id, "displayName": points.name}}
    return out


def board_sprints(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    found = ag.sprints(ag.board(req.p("boardId")), req.q_list("state"))
    return paged(req, found, sprint_json)


def board_issues(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    return issue_page(req, ag, ag.board_issues(ag.board(req.p("boardId"))))


def board_backlog(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    return issue_page(req, ag, ag.backlog(ag.board(req.p("boardId"))))


def board_epics(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    epics = ag.epics(ag.board(req.p("boardId")))
    done = req.q("done")
    if done is not None:
        epics = [e for e in epics if ag.is_done(e) == (done.lower() == "true")]

    def render(view: JiraRequest, epic: Issue) -> dict[str, Any]:
        return {"id": epic.id, "key": epic.key, "self": agile_url(view, f"epic/{epic.id}"), "name": epic.summary,
                "summary": epic.summary, "color": {"key": "color_1"}, "done": ag.is_done(epic)}

    return paged(req, epics, render)


# -- sprints ---------------------------------------------------------------------------------------------
def sprint(req: JiraRequest) -> dict[str, Any]:
    return sprint_json(req, agile(req).sprint(req.p("sprintId")))


def create_sprint(req: JiraRequest) -> Reply:
    created = agile(req).create_sprint(req.json_object())
    return Reply(sprint_json(req, created), status=201)


def update_sprint(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    return sprint_json(req, ag.update_sprint(ag.sprint(req.p("sprintId")), req.json_object()))


def replace_sprint(req: JiraRequest) -> dict[str, Any]:
    """PUT: a full update; fields left out become empty (the name stays required)."""
    ag = agile(req)
    target = ag.sprint(req.p("sprintId"))
    body = {"goal": None, "startDate": None, "endDate": None, **req.json_object()}
    if not str(body.get("name") or "").strip():
        raise JiraError(400, [], {"name": "Sprint name is required."})
    if target.state == "closed":
        body = {k: body[k] for k in ("name", "goal")}
    return sprint_json(req, ag.update_sprint(target, body))


def delete_sprint(req: JiraRequest) -> Reply:
    ag = agile(req)
    ag.delete_sprint(ag.sprint(req.p("sprintId")))
    return Reply(None, status=204)


def board_sprint_issues(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    b = ag.board(req.p("boardId"))
    target = ag.sprint(req.p("sprintId"))
    return issue_page(req, ag, [i for i in ag.sprint_issues(target) if i.project_id == b.project_id])


def board_projects(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    project = ag.project_of(ag.board(req.p("boardId")))
    return paged(req, [project] if project is not None else [], r.project_ref)


def sprint_issues(req: JiraRequest) -> dict[str, Any]:
    ag = agile(req)
    return issue_page(req, ag, ag.sprint_issues(ag.sprint(req.p("sprintId"))))


def move_to_sprint(req: JiraRequest) -> Reply:
    ag = agile(req)
    target = ag.sprint(req.p("sprintId"))
    body = req.json_object()
    refs = body.get("issues")
    if not isinstance(refs, list):
        raise JiraError(400, [], {"issues": "The list of issues is required."})
    ag.move_to_sprint(target, [str(x) for x in refs])
    return Reply(None, status=204)


# -- issue pages --------------------------------------------------------------------------------------------
def issue_page(req: JiraRequest, ag: Agile, issues: list[Issue]) -> dict[str, Any]:
    from jiraemu.issues.serialize import parse_fields, serialize_issue

    jql = req.q("jql")
    if jql and jql.strip() and req.caller.user is not None:
        from jiraemu.search.models import service

        plan = service(req.backend).compile(jql, req.caller.user)
        issues = [i for i in issues if plan.matches(i)]
    start, size = req.q_int("startAt", 0, 0), req.q_int("maxResults", 50, 0, 100)
    chunk = issues[start:start + size]
    sel = parse_fields(req.q_list("fields") or None, default="*navigable")
    expand = set(req.q_list("expand"))
    rendered = []
    for issue in chunk:
        data = serialize_issue(req, issue, sel, expand)
        fields = data.setdefault("fields", {})
        if _wants(sel, "sprint"):
            fields.update(agile_fields(req, ag, issue, sel))
        rendered.append(data)
    return {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(issues), "issues": rendered}


def _wants(sel: Any, name: str) -> bool:
    if name in sel.exclude:
        return False
    return bool(sel.all or sel.navigable or name in sel.include)


def agile_fields(req: JiraRequest, ag: Agile, issue: Issue, sel: Any) -> dict[str, Any]:
    sprints = [req.state.sprints[s] for s in ag.sprint_ids(issue) if s in req.state.sprints]
    current = next((s for s in sprints if s.state == "active"), None) or next(
        (s for s in sprints if s.state == "future"), None)
    out: dict[str, Any] = {
        "sprint": sprint_in_issue(req, current) if current is not None else None,
        "closedSprints": [sprint_in_issue(req, s) for s in sprints if s.state == "closed"],
        "flagged": False,
    }
    if _wants(sel, "epic"):
        parent = req.state.issues.get(issue.parent_id) if issue.parent_id is not None else None
        epic_level = parent is not None and req.state.issue_types[parent.issuetype_id].hierarchy_level == 1
        out["epic"] = ({"id": parent.id, "key": parent.key, "self": agile_url(req, f"epic/{parent.id}"),
                        "name": parent.summary, "summary": parent.summary, "done": ag.is_done(parent)}
                       if parent is not None and epic_level else None)
    return out
