"""Issue writes: the rules Jira applies when issues, comments, worklogs, attachments, properties
and links change.

Every function validates, builds a new Issue version (never mutating the old one), records a
changelog History where Jira would, stores it with ``state.put_issue`` and emits an ``Event``.
Values are internal (ids, account ids, ``Doc``), not REST JSON; ``writes.py`` parses REST bodies.
Errors are ``JiraError`` with Jira's status and messages.

Visibility (404 for an issue the caller cannot browse) is checked where the issue is looked up
(``writes.visible_issue``); action permissions (delete, comment, transition, ...) are checked here.
``update_issue`` and ``move_issue`` check nothing, so the control plane can mutate out of band.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson

from jiraemu import events
from jiraemu.content import doc_as_wiki
from jiraemu.errors import JiraError, bad_request, forbidden, not_found
from jiraemu.events import Event
from jiraemu.state import (
    Attachment,
    AuditRecord,
    ChangeItem,
    Comment,
    Doc,
    History,
    Issue,
    IssueLink,
    Project,
    State,
    User,
    Workflow,
    Worklog,
)

if TYPE_CHECKING:
    from jiraemu.backend import Backend

SUMMARY_REQUIRED = "You must specify a summary of the issue."
SUMMARY_TOO_LONG = "Summary must be less than 255 characters."
SUBTASK_NEEDS_PARENT = "Issue type is a sub-task but parent issue key or id not specified."
PROPERTY_VALUE_MAX = 32768


# -- ids and keys ------------------------------------------------------------------------------------
def _next_id(state: State, kind: str, taken: Any) -> int:
    """The next id of ``kind``; the first call seeds the allocator past ids the generator made.

    ``taken`` is a callable returning the ids in use (only called once per kind and state).
    """
    if kind not in state.ids._next:
        used = list(taken())
        return state.ids.next(kind, start=max(used, default=9999) + 1)
    return state.ids.next(kind)


def next_issue_id(state: State) -> int:
    return _next_id(state, "issue", lambda: [*state.issues, *state.deleted_issue_ids, *state.keys.values()])


def next_issue_key(state: State, project: Project) -> str:
    prefixes = [f"{k}-" for k in (project.key, *project.previous_keys)]

    def numbers() -> list[int]:
        return [int(k.rsplit("-", 1)[1]) for k in state.keys if k.startswith(tuple(prefixes))]

    while True:
        number = _next_id(state, f"issuekey:{project.id}", numbers)
        key = f"{project.key}-{number}"
        if key not in state.keys:
            return key


def _next_comment_id(state: State) -> int:
    return _next_id(state, "comment", lambda: (c.id for i in state.issues.values() for c in i.comments))


def _next_worklog_id(state: State) -> int:
    return _next_id(state, "worklog", lambda: (w.id for i in state.issues.values() for w in i.worklogs))


def _next_attachment_id(state: State) -> int:
    return _next_id(state, "attachment", lambda: (a.id for i in state.issues.values() for a in i.attachments))


def _next_history_id(state: State) -> int:
    return _next_id(state, "history", lambda: (h.id for i in state.issues.values() for h in i.histories))


# -- shared plumbing ---------------------------------------------------------------------------------
def workflow_of(state: State, issue: Issue) -> Workflow:
    project = state.projects.get(issue.project_id)
    name = project.workflow_name if project is not None else "default"
    workflow = state.workflows.get(name)
    if workflow is None:
        if not state.workflows:
            raise JiraError(422, ["The issue's workflow is not configured."])
        workflow = next(iter(state.workflows.values()))
    return workflow


def _is_done(state: State, status_id: str) -> bool:
    status = state.statuses.get(status_id)
    if status is None:
        return False
    category = state.status_categories.get(status.category_id)
    return category is not None and category.key == "done"


_COMPANION_KINDS = {events.COMMENT_CREATED, events.COMMENT_UPDATED, events.COMMENT_DELETED,
                    events.WORKLOG_CREATED, events.WORKLOG_UPDATED, events.WORKLOG_DELETED}


def _store(backend: Backend, before: Issue | None, after: Issue, history: History | None, kind: str,
           event_type: str, user: User | None, **extra: Any) -> Issue:
    """Store the new version and emit its event. Comment and worklog changes also fire
    ``jira:issue_updated`` (issue_commented, issue_worklogged, ...), as Jira does."""
    backend.state.put_issue(after)
    comment, worklog = extra.pop("comment", None), extra.pop("worklog", None)
    kinds = [kind, events.ISSUE_UPDATED] if kind in _COMPANION_KINDS else [kind]
    now = backend.now_ms()
    for k in kinds:
        backend.emit(
            Event(
                kind=k,
                at=now,
                user_id=user.account_id if user else None,
                issue=after,
                before=before,
                history=history,
                issue_event_type_name=event_type,
                comment=comment,
                worklog=worklog,
                extra=dict(extra),
            )
        )
    return after


def _with_history(backend: Backend, user: User | None, issue: Issue, items: list[ChangeItem], now: int) -> tuple[Issue, History | None]:
    if not items:
        return issue, None
    history = History(_next_history_id(backend.state), user.account_id if user else "", now, tuple(items))
    return replace(issue, histories=(*issue.histories, history)), history


def _bump(issue: Issue, now: int, touch: bool = True, **changes: Any) -> Issue:
    if touch:
        changes["updated"] = now
    return replace(issue, version=issue.version + 1, **changes)


def _perm(backend: Backend, user: User | None, key: str, issue: Issue) -> bool:
    project = backend.state.projects.get(issue.project_id)
    return bool(backend.perms.has(user, key, project=project, issue=issue))


# -- changelog items ---------------------------------------------------------------------------------
def doc_string(doc: Doc | None) -> str | None:
    """Rich text as the changelog records it (wiki markup)."""
    return None if doc is None else doc_as_wiki(doc)


def _user_ref(backend: Backend, account_id: str | None) -> tuple[str | None, str | None]:
    if account_id is None:
        return None, None
    user = backend.state.users.get(account_id)
    if user is None:
        return account_id, account_id
    return (user.account_id if backend.config.is_cloud else user.name), user.display_name


def _fmt_number(value: Any) -> str | None:
    if value is None:
        return None
    f = float(value)
    return str(int(f)) if f.is_integer() else str(f)


def _custom_strings(backend: Backend, field_id: str, value: Any) -> tuple[str | None, str | None]:
    """(from/to, fromString/toString) of a custom field value, as Jira's changelog shows it."""
    if value is None or value == ():
        return None, None
    state = backend.state
    fdef = state.fields.get(field_id)
    kind = fdef.kind if fdef else ""
    options = {o.id: o.value for o in fdef.options} if fdef else {}
    if kind == "select":
        return str(value), options.get(str(value), str(value))
    if kind == "multiselect":
        return None, ",".join(options.get(v, v) for v in value)
    if kind == "userpicker":
        return _user_ref(backend, value)
    if kind == "sprint":
        names = [state.sprints[s].name if s in state.sprints else str(s) for s in value]
        return ", ".join(str(s) for s in value), ", ".join(names)
    if kind in ("number", "storypoints"):
        return None, _fmt_number(value)
    if kind == "textarea" and isinstance(value, Doc):
        return None, doc_string(value)
    return None, str(value)


def _item(backend: Backend, name: str, field_id: str, frm: str | None, frm_s: str | None,
          to: str | None, to_s: str | None, custom: bool = False) -> ChangeItem:
    return ChangeItem(name, "custom" if custom else "jira", field_id, frm, frm_s, to, to_s)


def _named(backend: Backend, attr: str, value: Any) -> tuple[str | None, str | None]:
    state = backend.state
    if value is None:
        return None, None
    if attr == "priority_id":
        p = state.priorities.get(value)
        return value, p.name if p else value
    if attr == "status_id":
        s = state.statuses.get(value)
        return value, s.name if s else value
    if attr == "resolution_id":
        r = state.resolutions.get(value)
        return value, r.name if r else value
    if attr == "issuetype_id":
        t = state.issue_types.get(value)
        return value, t.name if t else value
    if attr in ("assignee_id", "reporter_id"):
        return _user_ref(backend, value)
    if attr == "project_id":
        pr = state.projects.get(value)
        return str(value), pr.name if pr else str(value)
    if attr == "parent_id":
        parent = state.issues.get(value)
        return str(value), parent.key if parent else str(value)
    if attr == "security_level_id":
        for scheme in state.security_schemes.values():
            for level in scheme.levels:
                if level.id == value:
                    return value, level.name
        return value, value
    return str(value), str(value)


# attribute -> (changelog field name, field id); ``None`` name = rendered specially
_SIMPLE = {
    "issuetype_id": ("issuetype", "issuetype"),
    "project_id": ("project", "project"),
    "summary": ("summary", "summary"),
    "status_id": ("status", "status"),
    "resolution_id": ("resolution", "resolution"),
    "priority_id": ("priority", "priority"),
    "assignee_id": ("assignee", "assignee"),
    "reporter_id": ("reporter", "reporter"),
    "security_level_id": ("security", "security"),
}
_MULTI = {
    "component_ids": ("Component", "components"),
    "fix_version_ids": ("Fix Version", "fixVersions"),
    "affects_version_ids": ("Version", "versions"),
}


def _multi_names(backend: Backend, attr: str, project_id: int) -> dict[str, str]:
    project = backend.state.projects.get(project_id)
    if project is None:
        return {}
    if attr == "component_ids":
        return {c.id: c.name for c in project.components}
    return {v.id: v.name for v in project.versions}


def change_items(backend: Backend, before: Issue, after: Issue) -> list[ChangeItem]:
    """The changelog items Jira records for the difference between two versions of an issue."""
    items: list[ChangeItem] = []
    if before.key != after.key:
        items.append(_item(backend, "Key", "issuekey", None, before.key, None, after.key))
    for attr, (name, fid) in _SIMPLE.items():
        old, new = getattr(before, attr), getattr(after, attr)
        if old == new:
            continue
        if attr == "summary":
            items.append(_item(backend, name, fid, None, old, None, new))
        else:
            items.append(_item(backend, name, fid, *_named(backend, attr, old), *_named(backend, attr, new)))
    if before.parent_id != after.parent_id:
        name = "IssueParentAssociation" if backend.config.is_cloud else "Parent"
        items.append(_item(backend, name, "parent", *_named(backend, "parent_id", before.parent_id),
                           *_named(backend, "parent_id", after.parent_id)))
    for attr in ("description", "environment"):
        old_d, new_d = getattr(before, attr), getattr(after, attr)
        if old_d != new_d:
            items.append(_item(backend, attr, attr, None, doc_string(old_d), None, doc_string(new_d)))
    if before.duedate != after.duedate:
        items.append(_item(backend, "duedate", "duedate", before.duedate, _date_string(before.duedate),
                           after.duedate, _date_string(after.duedate)))
    if before.labels != after.labels:
        items.append(_item(backend, "labels", "labels", None, " ".join(before.labels) or None,
                           None, " ".join(after.labels) or None))
    for attr, (name, fid) in _MULTI.items():
        old_ids, new_ids = getattr(before, attr), getattr(after, attr)
        if old_ids == new_ids:
            continue
        names = _multi_names(backend, attr, before.project_id) | _multi_names(backend, attr, after.project_id)
        items.extend(_item(backend, name, fid, i, names.get(i, i), None, None) for i in old_ids if i not in new_ids)
        items.extend(_item(backend, name, fid, None, None, i, names.get(i, i)) for i in new_ids if i not in old_ids)
    for attr, name in (("original_estimate_s", "timeoriginalestimate"), ("remaining_estimate_s", "timeestimate")):
        old_s, new_s = getattr(before, attr), getattr(after, attr)
        if old_s != new_s:
            items.append(_item(backend, name, name, _opt_str(old_s), _opt_str(old_s), _opt_str(new_s), _opt_str(new_s)))
    old_c, new_c = before.custom_dict(), after.custom_dict()
    for fid in sorted(old_c.keys() | new_c.keys()):
        if old_c.get(fid) == new_c.get(fid):
            continue
        fdef = backend.state.fields.get(fid)
        items.append(_item(backend, fdef.name if fdef else fid, fid, *_custom_strings(backend, fid, old_c.get(fid)),
                           *_custom_strings(backend, fid, new_c.get(fid)), custom=True))
    return items


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _date_string(value: str | None) -> str | None:
    return None if value is None else f"{value} 00:00:00.0"


# -- create ------------------------------------------------------------------------------------------
def _check_parent(backend: Backend, project: Project, issuetype_id: str, parent_id: int | None) -> None:
    state = backend.state
    itype = state.issue_types.get(issuetype_id)
    if itype is None:
        raise bad_request(issuetype="The issue type selected is invalid.")
    if itype.subtask and parent_id is None:
        raise bad_request(SUBTASK_NEEDS_PARENT)
    if parent_id is None:
        return
    parent = state.issues.get(parent_id)
    if parent is None:
        raise bad_request(parent="Could not find issue by id or key.")
    ptype = state.issue_types.get(parent.issuetype_id)
    plevel = ptype.hierarchy_level if ptype else 0
    if itype.subtask:
        if plevel < 0:
            raise bad_request(parent="Issue type is a sub-task but the parent is also a sub-task.")
        if parent.project_id != project.id:
            raise bad_request(parent="Sub-tasks must be in the same project as their parent.")
    elif plevel != itype.hierarchy_level + 1:
        raise bad_request(parent="Given parent work item does not belong to appropriate hierarchy.")


def _check_summary(summary: Any) -> None:
    if summary is None or not str(summary).strip():
        raise bad_request(summary=SUMMARY_REQUIRED)
    if len(str(summary)) > 255:
        raise bad_request(summary=SUMMARY_TOO_LONG)
    if "\n" in str(summary) or "\r" in str(summary):
        raise bad_request(summary="The summary is invalid because it contains newline characters.")


def _default_priority(state: State) -> str | None:
    for p in state.priorities.values():
        if p.name == "Medium":
            return p.id
    return None


def create_issue(backend: Backend, user: User, project: Project, issuetype_id: str, values: dict[str, Any]) -> Issue:
    """``values`` uses Issue attribute names (summary, description, assignee_id, labels, custom={...})."""
    state = backend.state
    if not backend.perms.has(user, "CREATE_ISSUES", project=project):
        raise bad_request("You do not have permission to create issues in this project.")
    if issuetype_id not in project.issue_type_ids and project.issue_type_ids:
        raise bad_request(issuetype="The issue type selected is invalid.")
    _check_summary(values.get("summary"))
    _check_parent(backend, project, issuetype_id, values.get("parent_id"))
    now = backend.now_ms()
    workflow = workflow_of_project(state, project)
    status_id = workflow.initial_status_id
    vals = dict(values)
    custom = vals.pop("custom", None) or {}
    vals.setdefault("reporter_id", user.account_id)
    vals.setdefault("assignee_id", None)
    scheme = state.security_schemes.get(project.security_scheme_id) if project.security_scheme_id is not None else None
    if vals.get("security_level_id") is None and scheme is not None and scheme.default_level_id:
        vals["security_level_id"] = scheme.default_level_id
    if "priority_id" not in vals:
        vals["priority_id"] = _default_priority(state)
    if vals.get("remaining_estimate_s") is None and vals.get("original_estimate_s") is not None:
        vals["remaining_estimate_s"] = vals["original_estimate_s"]
    for key in ("labels", "component_ids", "fix_version_ids", "affects_version_ids"):
        if key in vals:
            vals[key] = tuple(vals[key] or ())
    issue = Issue(
        id=next_issue_id(state),
        key=next_issue_key(state, project),
        project_id=project.id,
        issuetype_id=issuetype_id,
        status_id=status_id,
        creator_id=user.account_id,
        created=now,
        updated=now,
        status_changed=now,
        custom=tuple((k, v) for k, v in custom.items() if v is not None and v != ()),
        **vals,
    )
    if _is_done(state, status_id):
        issue = replace(issue, resolution_id=_auto_resolution(state, status_id), resolution_date=now)
    return _store(backend, None, issue, None, events.ISSUE_CREATED, "issue_created", user)


def workflow_of_project(state: State, project: Project) -> Workflow:
    workflow = state.workflows.get(project.workflow_name)
    if workflow is None:
        if not state.workflows:
            raise JiraError(422, ["The project's workflow is not configured."])
        workflow = next(iter(state.workflows.values()))
    return workflow


# -- edit --------------------------------------------------------------------------------------------
def _merge(issue: Issue, changes: dict[str, Any]) -> dict[str, Any]:
    """Issue attribute values after ``changes`` (custom merged; None / () remove a custom value)."""
    attrs = {k: v for k, v in changes.items() if k != "custom"}
    for key in ("labels", "component_ids", "fix_version_ids", "affects_version_ids"):
        if key in attrs:
            attrs[key] = tuple(attrs[key] or ())
    if "custom" in changes:
        custom = issue.custom_dict()
        for fid, value in changes["custom"].items():
            if value is None or value == ():
                custom.pop(fid, None)
            else:
                custom[fid] = value
        attrs["custom"] = tuple(custom.items())
    return attrs


def update_issue(backend: Backend, user: User, issue: Issue, changes: dict[str, Any], *, event_type: str = "issue_updated") -> Issue:
    """Apply ``changes`` (Issue attribute names; ``custom`` as a dict of field id -> value).

    Nothing changes (no version, no event) when the values are already what ``changes`` asks for.
    """
    if "summary" in changes:
        _check_summary(changes["summary"])
    if "parent_id" in changes and changes["parent_id"] != issue.parent_id:
        project = backend.state.projects[issue.project_id]
        _check_parent(backend, project, changes.get("issuetype_id", issue.issuetype_id), changes["parent_id"])
    now = backend.now_ms()
    candidate = replace(issue, **_merge(issue, changes))
    items = change_items(backend, issue, candidate)
    if not items:
        return issue
    after, history = _with_history(backend, user, _bump(candidate, now), items, now)
    if event_type == "issue_updated" and all(i.field == "assignee" for i in items):
        event_type = "issue_assigned"
    return _store(backend, issue, after, history, events.ISSUE_UPDATED, event_type, user)


def assign_issue(backend: Backend, user: User, issue: Issue, assignee_id: str | None) -> Issue:
    if not _perm(backend, user, "ASSIGN_ISSUES", issue):
        raise forbidden("You do not have permission to assign issues.")
    return update_issue(backend, user, issue, {"assignee_id": assignee_id}, event_type="issue_assigned")


# -- transitions -------------------------------------------------------------------------------------
def available_transitions(backend: Backend, user: User | None, issue: Issue) -> list[Any]:
    """Transitions the user may take from the issue's status (empty without TRANSITION_ISSUES)."""
    if not _perm(backend, user, "TRANSITION_ISSUES", issue):
        return []
    workflow = workflow_of(backend.state, issue)
    # global transitions are offered from every status but their own target
    return [t for t in workflow.transitions
            if (issue.status_id in t.from_status_ids if t.from_status_ids else t.to_status_id != issue.status_id)]


def _auto_resolution(state: State, status_id: str) -> str | None:
    status = state.statuses.get(status_id)
    by_name = {r.name.lower(): r.id for r in state.resolutions.values()}
    if status is not None and status.name.lower() in by_name:
        return by_name[status.name.lower()]
    return by_name.get("done") or next(iter(state.resolutions), None)


def transition_issue(backend: Backend, user: User, issue: Issue, transition_id: str, changes: dict[str, Any] | None = None) -> Issue:
    state = backend.state
    transition = next((t for t in available_transitions(backend, user, issue) if t.id == str(transition_id)), None)
    if transition is None:
        raise bad_request(f"Transition id '{transition_id}' is not valid for this issue.")
    changes = dict(changes or {})
    if changes and not transition.has_screen:
        bad = next(iter(changes))
        raise bad_request(**{bad: f"Field '{bad}' cannot be set. It is not on the appropriate screen, or unknown."})
    now = backend.now_ms()
    target = transition.to_status_id
    attrs = _merge(issue, changes)
    if target != issue.status_id:
        attrs["status_id"] = target
        attrs["status_changed"] = now
    if _is_done(state, target):
        if not attrs.get("resolution_id"):
            attrs["resolution_id"] = issue.resolution_id or _auto_resolution(state, target)
        if issue.resolution_date is None or not _is_done(state, issue.status_id):
            attrs["resolution_date"] = now
    else:
        attrs["resolution_id"] = None
        attrs["resolution_date"] = None
    candidate = replace(issue, **attrs)
    items = change_items(backend, issue, candidate)
    after, history = _with_history(backend, user, _bump(candidate, now), items, now)
    return _store(backend, issue, after, history, events.ISSUE_UPDATED, "issue_generic", user,
                  transition={"id": transition.id, "name": transition.name,
                              "from": issue.status_id, "to": target})


# -- move and delete ---------------------------------------------------------------------------------
def move_issue(backend: Backend, user: User, issue: Issue, target: Project) -> Issue:
    """Move to another project: new key (old key still resolves), same id. Sub-tasks move along."""
    state = backend.state
    if target.id == issue.project_id:
        return issue
    now = backend.now_ms()
    workflow = workflow_of_project(state, target)
    own_components = {c.id for c in target.components}
    own_versions = {v.id for v in target.versions}
    candidate = replace(
        issue,
        key=next_issue_key(state, target),
        project_id=target.id,
        status_id=issue.status_id if issue.status_id in workflow.status_ids else workflow.initial_status_id,
        component_ids=tuple(c for c in issue.component_ids if c in own_components),
        fix_version_ids=tuple(v for v in issue.fix_version_ids if v in own_versions),
        affects_version_ids=tuple(v for v in issue.affects_version_ids if v in own_versions),
        security_level_id=issue.security_level_id if target.security_scheme_id is not None else None,
    )
    items = change_items(backend, issue, candidate)
    after, history = _with_history(backend, user, _bump(candidate, now), items, now)
    _store(backend, issue, after, history, events.ISSUE_UPDATED, "issue_moved", user, old_key=issue.key)
    for sub in state.subtasks_of(issue.id):
        move_issue(backend, user, sub, target)
    return after


def delete_issue(backend: Backend, user: User, issue: Issue, delete_subtasks: bool = False) -> None:
    state = backend.state
    if not _perm(backend, user, "DELETE_ISSUES", issue):
        raise forbidden("You do not have permission to delete issues in this project.")
    subtasks = state.subtasks_of(issue.id)
    if subtasks and not delete_subtasks:
        raise bad_request(
            f"The issue '{issue.key}' has subtasks.  You must specify the 'deleteSubtasks' parameter "
            "to delete this issue and all its subtasks."
        )
    for sub in subtasks:
        _remove(backend, user, sub)
    _remove(backend, user, issue)


def _remove(backend: Backend, user: User, issue: Issue) -> None:
    state = backend.state
    now = backend.now_ms()
    state.issues.pop(issue.id, None)
    state.deleted_issue_ids.add(issue.id)
    for link_id in [lid for lid, link in state.links.items() if issue.id in (link.inward_issue_id, link.outward_issue_id)]:
        del state.links[link_id]
    if backend.config.audit_issue_deletes:
        project = state.projects.get(issue.project_id)
        state.audit.append(
            AuditRecord(
                id=_next_id(state, "audit", lambda: (a.id for a in state.audit)),
                summary="Issue deleted",
                category="issue management",
                event_source="",
                created=now,
                author_id=user.account_id,
                object_item={"id": str(issue.id), "name": issue.key, "typeName": "ISSUE"},
                associated_items=[{"id": str(project.id), "name": project.name, "typeName": "PROJECT"}] if project else [],
            )
        )
    backend.emit(Event(events.ISSUE_DELETED, now, user.account_id, issue=issue, before=issue,
                       issue_event_type_name="issue_deleted"))


# -- comments ----------------------------------------------------------------------------------------
def _comment(backend: Backend, user: User, issue: Issue, comment_id: int) -> Comment:
    for c in issue.comments:
        if c.id == comment_id and backend.perms.can_see_comment(user, issue, c):
            return c
    raise not_found(f"Can not find a comment for the id: {comment_id}.")


def _check_visibility(backend: Backend, user: User, issue: Issue, visibility: dict[str, str] | None) -> None:
    """A comment may be restricted to a role or group the author belongs to (Jira's rule)."""
    if not visibility:
        return
    state = backend.state
    kind, value = visibility.get("type"), visibility.get("value") or visibility.get("identifier") or ""
    if kind == "group":
        group = state.groups.get(value) or next((g for g in state.groups.values() if g.group_id == value), None)
        if group is None:
            raise bad_request(commentLevel=f"Group: '{value}' does not exist.")
        if user.account_id not in group.members:
            raise bad_request(commentLevel=f"You are currently not a member of the group: {group.name}.")
    elif kind == "role":
        role = next((r for r in state.roles.values() if r.name == value or str(r.id) == value), None)
        if role is None:
            raise bad_request(commentLevel=f"Invalid role level specified: '{value}'.")
        project = state.projects.get(issue.project_id)
        if project is None or not backend.perms.in_role(user, project, role.id):
            raise bad_request(commentLevel=f"You are currently not a member of the project role: {role.name}.")
    else:
        raise bad_request(commentLevel="Visibility type must be either 'group' or 'role'.")


def add_comment(backend: Backend, user: User, issue: Issue, body: Doc, visibility: dict[str, str] | None = None) -> Comment:
    if not _perm(backend, user, "ADD_COMMENTS", issue):
        raise bad_request("You do not have the permission to comment on this issue.")
    if len(issue.comments) >= backend.config.comment_limit_per_issue:
        raise JiraError(413, [f"The issue has reached the limit of {backend.config.comment_limit_per_issue} comments."])
    _check_visibility(backend, user, issue, visibility)
    now = backend.now_ms()
    comment = Comment(_next_comment_id(backend.state), user.account_id, body, now, now, user.account_id,
                      dict(visibility) if visibility else None)
    after = _bump(issue, now, comments=(*issue.comments, comment))
    _store(backend, issue, after, None, events.COMMENT_CREATED, "issue_commented", user, comment=comment)
    return comment


def _may_touch(backend: Backend, user: User, issue: Issue, author_id: str, own: str, every: str) -> bool:
    if _perm(backend, user, every, issue):
        return True
    return author_id == user.account_id and _perm(backend, user, own, issue)


def update_comment(backend: Backend, user: User, issue: Issue, comment_id: int, body: Doc, visibility: dict[str, str] | None = None) -> Comment:
    old = _comment(backend, user, issue, comment_id)
    if not _may_touch(backend, user, issue, old.author_id, "EDIT_OWN_COMMENTS", "EDIT_ALL_COMMENTS"):
        raise bad_request("You do not have the permission to edit this comment.")
    _check_visibility(backend, user, issue, visibility)
    now = backend.now_ms()
    new = replace(old, body=body, updated=now, update_author_id=user.account_id,
                  visibility=dict(visibility) if visibility is not None else old.visibility)
    after = _bump(issue, now, comments=tuple(new if c.id == comment_id else c for c in issue.comments))
    _store(backend, issue, after, None, events.COMMENT_UPDATED, "issue_comment_edited", user, comment=new)
    return new


def delete_comment(backend: Backend, user: User, issue: Issue, comment_id: int) -> None:
    old = _comment(backend, user, issue, comment_id)
    if not _may_touch(backend, user, issue, old.author_id, "DELETE_OWN_COMMENTS", "DELETE_ALL_COMMENTS"):
        raise bad_request("You do not have the permission to delete this comment.")
    now = backend.now_ms()
    after = _bump(issue, now, comments=tuple(c for c in issue.comments if c.id != comment_id))
    _store(backend, issue, after, None, events.COMMENT_DELETED, "issue_comment_deleted", user, comment=old)


# -- worklogs ----------------------------------------------------------------------------------------
def _worklog(issue: Issue, worklog_id: int) -> Worklog:
    for w in issue.worklogs:
        if w.id == worklog_id:
            return w
    raise not_found(f"Cannot find worklog with id: '{worklog_id}'.")


def _remaining(issue: Issue, mode: str, delta_s: int, new_estimate_s: int | None, manual_s: int | None) -> int | None:
    """The remaining estimate after a worklog change of ``delta_s`` spent seconds."""
    current = issue.remaining_estimate_s
    if mode == "leave":
        return current
    if mode == "new":
        if new_estimate_s is None:
            raise bad_request(newEstimate="You must supply a valid new estimate.")
        return new_estimate_s
    if mode == "manual":
        if manual_s is None:
            raise bad_request(reduceBy="You must supply a valid amount of time to adjust the estimate by.")
        return max(0, (current or 0) - manual_s) if delta_s >= 0 else (current or 0) + manual_s
    if current is None:
        return None
    return max(0, current - delta_s)


def _worklog_items(before: Issue, after: Issue, worklog_id: int, added: bool | None) -> list[ChangeItem]:
    spent_before = sum(w.time_spent_seconds for w in before.worklogs)
    spent_after = sum(w.time_spent_seconds for w in after.worklogs)
    items: list[ChangeItem] = []
    if spent_before != spent_after:
        items.append(ChangeItem("timespent", "jira", "timespent", _opt_str(spent_before or None),
                                _opt_str(spent_before or None), str(spent_after), str(spent_after)))
    if added is True:
        items.append(ChangeItem("WorklogId", "jira", "WorklogId", None, None, str(worklog_id), str(worklog_id)))
    elif added is False:
        items.append(ChangeItem("WorklogId", "jira", "WorklogId", str(worklog_id), str(worklog_id), None, None))
    if before.remaining_estimate_s != after.remaining_estimate_s:
        old, new = _opt_str(before.remaining_estimate_s), _opt_str(after.remaining_estimate_s)
        items.append(ChangeItem("timeestimate", "jira", "timeestimate", old, old, new, new))
    return items


def add_worklog(backend: Backend, user: User, issue: Issue, time_spent_seconds: int, started: int, comment: Doc | None = None,
                *, adjust_estimate: str = "auto", new_estimate_s: int | None = None, reduce_by_s: int | None = None) -> Worklog:
    if not _perm(backend, user, "WORK_ON_ISSUES", issue):
        raise bad_request("You do not have the permission to associate a worklog to this issue.")
    if time_spent_seconds <= 0:
        raise bad_request(timeLogged="You must indicate the time spent working.")
    now = backend.now_ms()
    worklog = Worklog(_next_worklog_id(backend.state), user.account_id, started, time_spent_seconds, now, now,
                      user.account_id, comment)
    remaining = _remaining(issue, adjust_estimate, time_spent_seconds, new_estimate_s, reduce_by_s)
    candidate = replace(issue, worklogs=(*issue.worklogs, worklog), remaining_estimate_s=remaining)
    after, history = _with_history(backend, user, _bump(candidate, now),
                                   _worklog_items(issue, candidate, worklog.id, True), now)
    _store(backend, issue, after, history, events.WORKLOG_CREATED, "issue_worklogged", user, worklog=worklog)
    return worklog


def update_worklog(backend: Backend, user: User, issue: Issue, worklog_id: int, *, time_spent_seconds: int | None = None,
                   started: int | None = None, comment: Doc | None = None, adjust_estimate: str = "auto",
                   new_estimate_s: int | None = None) -> Worklog:
    old = _worklog(issue, worklog_id)
    if not _may_touch(backend, user, issue, old.author_id, "EDIT_OWN_WORKLOGS", "EDIT_ALL_WORKLOGS"):
        raise bad_request("You do not have the permission to update this worklog.")
    now = backend.now_ms()
    spent = time_spent_seconds if time_spent_seconds is not None else old.time_spent_seconds
    if spent <= 0:
        raise bad_request(timeLogged="You must indicate the time spent working.")
    new = replace(old, time_spent_seconds=spent, started=started if started is not None else old.started,
                  comment=comment if comment is not None else old.comment, updated=now, update_author_id=user.account_id)
    mode = "leave" if adjust_estimate == "manual" else adjust_estimate
    remaining = _remaining(issue, mode, spent - old.time_spent_seconds, new_estimate_s, None)
    candidate = replace(issue, worklogs=tuple(new if w.id == worklog_id else w for w in issue.worklogs),
                        remaining_estimate_s=remaining)
    after, history = _with_history(backend, user, _bump(candidate, now),
                                   _worklog_items(issue, candidate, worklog_id, None), now)
    _store(backend, issue, after, history, events.WORKLOG_UPDATED, "issue_worklog_updated", user, worklog=new)
    return new


def delete_worklog(backend: Backend, user: User, issue: Issue, worklog_id: int, *, adjust_estimate: str = "auto",
                   new_estimate_s: int | None = None, increase_by_s: int | None = None) -> None:
    old = _worklog(issue, worklog_id)
    if not _may_touch(backend, user, issue, old.author_id, "DELETE_OWN_WORKLOGS", "DELETE_ALL_WORKLOGS"):
        raise bad_request("You do not have the permission to delete this worklog.")
    now = backend.now_ms()
    remaining = _remaining(issue, adjust_estimate, -old.time_spent_seconds, new_estimate_s, increase_by_s)
    if adjust_estimate == "auto" and issue.remaining_estimate_s is not None:
        remaining = issue.remaining_estimate_s + old.time_spent_seconds
    candidate = replace(issue, worklogs=tuple(w for w in issue.worklogs if w.id != worklog_id),
                        remaining_estimate_s=remaining)
    after, history = _with_history(backend, user, _bump(candidate, now),
                                   _worklog_items(issue, candidate, worklog_id, False), now)
    _store(backend, issue, after, history, events.WORKLOG_DELETED, "issue_worklog_deleted", user, worklog=old)


# -- properties --------------------------------------------------------------------------------------
def set_property(backend: Backend, user: User, issue: Issue, key: str, value: Any) -> bool:
    """Set an entity property; True when it was created. Jira does not touch ``updated`` for this."""
    if not _perm(backend, user, "EDIT_ISSUES", issue):
        raise forbidden("You do not have permission to edit this issue.")
    if not key or len(key) > 255:
        raise bad_request("The property key cannot be longer than 255 characters.")
    if len(orjson.dumps(value)) > PROPERTY_VALUE_MAX:
        raise bad_request(f"The property value is too long. The maximum allowed length is {PROPERTY_VALUE_MAX} characters.")
    props = dict(issue.properties)
    created = key not in props
    props[key] = value
    after = _bump(issue, backend.now_ms(), touch=False, properties=tuple(props.items()))
    _store(backend, issue, after, None, events.PROPERTY_SET, "issue_property_set", user, key=key, value=value)
    return created


def delete_property(backend: Backend, user: User, issue: Issue, key: str) -> None:
    props = dict(issue.properties)
    if key not in props or not _perm(backend, user, "EDIT_ISSUES", issue):
        raise not_found(f"Property with key '{key}' does not exist.")
    del props[key]
    after = _bump(issue, backend.now_ms(), touch=False, properties=tuple(props.items()))
    _store(backend, issue, after, None, events.PROPERTY_DELETED, "issue_property_deleted", user, key=key)


# -- attachments -------------------------------------------------------------------------------------
def add_attachment(backend: Backend, user: User, issue: Issue, filename: str, data: bytes, mime_type: str) -> Attachment:
    if not _perm(backend, user, "CREATE_ATTACHMENTS", issue):
        raise forbidden("You do not have permission to create attachments for this issue.")
    now = backend.now_ms()
    digest = hashlib.sha256(data).hexdigest()
    backend.state.blobs[digest] = data
    att = Attachment(_next_attachment_id(backend.state), filename, user.account_id, now, len(data), mime_type, digest)
    item = ChangeItem("Attachment", "jira", "attachment", None, None, str(att.id), filename)
    after, history = _with_history(backend, user, _bump(issue, now, attachments=(*issue.attachments, att)), [item], now)
    _store(backend, issue, after, history, events.ISSUE_UPDATED, "issue_updated", user, attachment_id=att.id)
    return att


def find_attachment(state: State, attachment_id: int) -> tuple[Issue, Attachment] | None:
    for issue in state.issues.values():
        for att in issue.attachments:
            if att.id == attachment_id:
                return issue, att
    return None


def delete_attachment(backend: Backend, user: User, attachment_id: int) -> None:
    found = find_attachment(backend.state, attachment_id)
    if found is None or not backend.perms.can_see_issue(user, found[0]):
        raise not_found(f"The attachment with id '{attachment_id}' does not exist")
    issue, att = found
    if not _may_touch(backend, user, issue, att.author_id, "DELETE_OWN_ATTACHMENTS", "DELETE_ALL_ATTACHMENTS"):
        raise forbidden(f"You do not have permission to delete attachment with id '{attachment_id}'.")
    now = backend.now_ms()
    item = ChangeItem("Attachment", "jira", "attachment", str(att.id), att.filename, None, None)
    candidate = _bump(issue, now, attachments=tuple(a for a in issue.attachments if a.id != attachment_id))
    after, history = _with_history(backend, user, candidate, [item], now)
    _store(backend, issue, after, history, events.ISSUE_UPDATED, "issue_updated", user, attachment_id=att.id)


# -- issue links -------------------------------------------------------------------------------------
def _link_item(backend: Backend, text: str, other: Issue, added: bool) -> ChangeItem:
    if added:
        return ChangeItem("Link", "jira", None, None, None, other.key, text)
    return ChangeItem("Link", "jira", None, other.key, text, None, None)


def _record_link(backend: Backend, user: User, link: IssueLink, added: bool) -> None:
    state = backend.state
    ltype = state.link_types.get(link.type_id)
    outward, inward = state.issues.get(link.outward_issue_id), state.issues.get(link.inward_issue_id)
    if ltype is None or outward is None or inward is None:
        return
    now = backend.now_ms()
    for issue, verb, other in ((outward, ltype.outward, inward), (inward, ltype.inward, outward)):
        issue = state.issues[issue.id]  # the outward update may have replaced it (self links)
        item = _link_item(backend, f"This issue {verb} {other.key}", other, added)
        after, history = _with_history(backend, user, _bump(issue, now), [item], now)
        _store(backend, issue, after, history, events.ISSUE_UPDATED, "issue_updated", user, link_id=link.id)


def create_link(backend: Backend, user: User, type_id: str, inward: Issue, outward: Issue, comment: Doc | None = None) -> IssueLink:
    state = backend.state
    if type_id not in state.link_types:
        raise not_found(f"No issue link type with name '{type_id}' found.")
    if not _perm(backend, user, "LINK_ISSUES", inward) or not _perm(backend, user, "LINK_ISSUES", outward):
        raise JiraError(401, ["You do not have the permission to link issues."])
    for link in state.links.values():
        if (link.type_id, link.inward_issue_id, link.outward_issue_id) == (type_id, inward.id, outward.id):
            return link
    link = IssueLink(_next_id(state, "issuelink", lambda: state.links.keys()), type_id, inward.id, outward.id)
    state.links[link.id] = link
    _record_link(backend, user, link, True)
    if comment is not None:
        add_comment(backend, user, state.issues[inward.id], comment)
    return link


def delete_link(backend: Backend, user: User, link_id: int) -> None:
    state = backend.state
    link = state.links.get(link_id)
    if link is None:
        raise not_found(f"No issue link with id '{link_id}' exists.")
    for iid in (link.inward_issue_id, link.outward_issue_id):
        issue = state.issues.get(iid)
        if issue is None or not backend.perms.can_see_issue(user, issue):
            raise not_found(f"No issue link with id '{link_id}' exists.")
        if not _perm(backend, user, "LINK_ISSUES", issue):
            raise JiraError(401, ["You do not have the permission to delete links."])
    del state.links[link_id]
    _record_link(backend, user, link, False)
