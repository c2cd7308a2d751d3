"""Field and transition metadata: transitions, editmeta, createmeta (Cloud and DC shapes)."""

from __future__ import annotations

from typing import Any

from jiraemu import repr as r
from jiraemu.http import View
from jiraemu.issues.serialize import field_name, field_schema
from jiraemu.state import FieldDef, Issue, IssueType, Project, Transition, Workflow

USER_FIELDS = ("assignee", "reporter")


# -- transitions ---------------------------------------------------------------------------------


def workflow_of(view: View, project: Project) -> Workflow | None:
    workflows = view.state.workflows
    return workflows.get(project.workflow_name) or next(iter(workflows.values()), None)


def available_transitions(view: View, issue: Issue) -> list[Transition]:
    """Transitions from the issue's current status (global ones too, except into the same status)."""
    project = view.state.projects.get(issue.project_id)
    wf = workflow_of(view, project) if project is not None else None
    if wf is None:
        return []
    out = []
    for t in wf.transitions:
        if t.from_status_ids:
            if issue.status_id in t.from_status_ids:
                out.append(t)
        elif t.to_status_id != issue.status_id:
            out.append(t)
    return out


def _needs_resolution(view: View, t: Transition) -> bool:
    status = view.state.statuses.get(t.to_status_id)
    return bool(t.has_screen and status is not None and status.category_id == 3)


def resolution_meta(view: View) -> dict[str, Any]:
    return field_meta(
        view,
        "resolution",
        required=True,
        operations=["set"],
        allowed=[r.resolution(view, res) for res in view.state.resolutions.values()],
    )


def transition_json(view: View, issue: Issue, t: Transition, with_fields: bool) -> dict[str, Any]:
    status = view.state.statuses[t.to_status_id]
    out: dict[str, Any] = {"id": t.id, "name": t.name, "to": r.status(view, status)}
    if view.is_cloud:
        out.update(
            hasScreen=t.has_screen,
            isGlobal=not t.from_status_ids,
            isInitial=False,
            isAvailable=True,
            isConditional=False,
            isLooped=False,
        )
    if with_fields:
        out["fields"] = {"resolution": resolution_meta(view)} if _needs_resolution(view, t) else {}
    return out


def transitions_for(
    view: View, issue: Issue, with_fields: bool = False, transition_id: str | None = None
) -> list[dict[str, Any]]:
    """What ``GET issue/{key}/transitions`` lists: empty without the Transition permission."""
    project = view.state.projects.get(issue.project_id)
    if not view.backend.perms.has(view.caller.user, "TRANSITION_ISSUES", project, issue):
        return []
    found = available_transitions(view, issue)
    if transition_id is not None:
        found = [t for t in found if t.id == transition_id]
    return [transition_json(view, issue, t, with_fields) for t in found]


# -- field metadata ------------------------------------------------------------------------------


def field_meta(
    view: View,
    fid: str,
    *,
    required: bool = False,
    operations: list[str] | None = None,
    allowed: list[Any] | None = None,
    default: Any = None,
    create: bool = False,
) -> dict[str, Any]:
    """FieldMetadata (editmeta/transitions) or, with ``create``, FieldCreateMetadata."""
    state = view.state
    out: dict[str, Any] = {
        "required": required,
        "schema": field_schema(state, fid),
        "name": field_name(state, fid),
        "key": fid,
    }
    if create:
        out["fieldId"] = fid
    if fid in USER_FIELDS or (state.fields.get(fid) and state.fields[fid].kind == "userpicker"):
        query = "query" if view.is_cloud else "username"
        out["autoCompleteUrl"] = view.rest(f"user/search?{query}=")
    if fid == "labels":
        out["autoCompleteUrl"] = view.rest("label")
    out["hasDefaultValue"] = default is not None
    out["operations"] = operations or ["set"]
    if allowed is not None:
        out["allowedValues"] = allowed
    if default is not None:
        out["defaultValue"] = default
    return out


def _ops(fid: str, fd: FieldDef | None) -> list[str]:
    if fid in ("labels",):
        return ["add", "set", "remove"]
    if fid in ("components", "fixVersions", "versions"):
        return ["set", "add", "remove"]
    if fid == "comment":
        return ["add", "edit", "remove"]
    if fid == "issuelinks":
        return ["add", "copy"]
    if fd is not None and fd.kind in ("multiselect", "sprint"):
        return ["add", "set", "remove"]
    return ["set"]


def _allowed(view: View, fid: str, project: Project, itype: IssueType) -> list[Any] | None:
    state = view.state
    if fid == "priority":
        return [r.priority(view, p) for p in state.priorities.values()]
    if fid == "components":
        return [r.component(view, c) for c in project.components]
    if fid in ("fixVersions", "versions"):
        return [r.version(view, v, project.id) for v in project.versions if not v.archived]
    if fid == "issuetype":
        return [r.issue_type(view, itype)]
    if fid == "project":
        return [r.project_ref(view, project)]
    if fid == "resolution":
        return [r.resolution(view, res) for res in state.resolutions.values()]
    fd = state.fields.get(fid)
    if fd is not None and fd.kind in ("select", "multiselect"):
        return [
            {"self": view.rest(f"customFieldOption/{o.id}"), "value": o.value, "id": o.id, "disabled": o.disabled}
            for o in fd.options
        ]
    return None


def _default(view: View, fid: str) -> Any:
    if fid == "priority":
        prios = view.state.priorities
        medium = next((p for p in prios.values() if p.name == "Medium"), None)
        return r.priority(view, medium) if medium is not None else None
    return None


def screen_fields(view: View, project: Project, itype: IssueType, *, create: bool) -> list[str]:
    """Fields on the create/edit screen of ``itype`` in ``project``."""
    fields = ["summary", "issuetype"]
    if itype.subtask or (view.is_cloud and itype.hierarchy_level == 0):
        fields.append("parent")
    if create:
        fields += ["project", "reporter"]
    fields += ["description", "assignee", "priority", "labels", "components", "fixVersions", "versions",
               "duedate", "environment", "timetracking" if create else "issuelinks"]
    if not create:
        fields += ["reporter", "comment"]
    for fd in view.state.fields.values():
        if not fd.custom:
            continue
        if fd.kind == "epiclink" and (view.is_cloud or itype.subtask or itype.hierarchy_level == 1):
            continue
        fields.append(fd.id)
    return fields


def required_fields(itype: IssueType, create: bool) -> set[str]:
    req = {"summary", "issuetype"}
    if create:
        req |= {"project", "reporter"}
    if itype.subtask:
        req.add("parent")
    return req


def fields_meta(view: View, project: Project, itype: IssueType, *, create: bool) -> list[dict[str, Any]]:
    required = required_fields(itype, create)
    out = []
    for fid in screen_fields(view, project, itype, create=create):
        fd = view.state.fields.get(fid)
        out.append(
            field_meta(
                view,
                fid,
                required=fid in required,
                operations=_ops(fid, fd),
                allowed=_allowed(view, fid, project, itype),
                default=_default(view, fid) if create else None,
                create=create,
            )
        )
    return out


def editmeta(view: View, issue: Issue) -> dict[str, Any]:
    """``GET issue/{key}/editmeta`` and ``expand=editmeta``: empty without Edit permission."""
    project = view.state.projects.get(issue.project_id)
    itype = view.state.issue_types.get(issue.issuetype_id)
    if project is None or itype is None:
        return {"fields": {}}
    if not view.backend.perms.has(view.caller.user, "EDIT_ISSUES", project, issue):
        return {"fields": {}}
    metas = fields_meta(view, project, itype, create=False)
    return {"fields": {m["key"]: m for m in metas}}


def project_issue_types(view: View, project: Project) -> list[IssueType]:
    types = view.state.issue_types
    if project.issue_type_ids:
        return [types[t] for t in project.issue_type_ids if t in types]
    return [t for t in types.values() if t.project_id in (None, project.id)]


def createmeta_issue_type(view: View, it: IssueType) -> dict[str, Any]:
    out = r.issue_type(view, it)
    if not view.is_cloud:
        return {k: out[k] for k in ("self", "id", "description", "iconUrl", "name", "subtask") if k in out}
    return out
