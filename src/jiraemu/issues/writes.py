"""Handlers for issue writes: read the REST body, turn it into internal values, call the model.

``FieldParser`` turns ``fields`` and ``update`` of create / edit / transition bodies into the
Issue attribute values ``models`` takes, collecting every field error first so a 400 names all of
them, as Jira does. Cloud v3 takes ADF for rich text, v2 (Cloud and DC) wiki strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jiraemu.content import is_valid_adf
from jiraemu.errors import JiraError, bad_request, forbidden, issue_not_found, not_found
from jiraemu.http import JiraRequest, Reply, View
from jiraemu.issues import models
from jiraemu.issues.serialize import parse_fields, renderer, serialize_issue
from jiraemu.state import Attachment, Comment, Doc, FieldDef, Issue, Project, User, Worklog
from jiraemu.timefmt import parse_ts

NOT_SETTABLE = "Field '{0}' cannot be set. It is not on the appropriate screen, or unknown."
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
NOT_STRING = "Operation value must be a string"
NOT_NUMBER = "Operation value must be a number"
MAX_BULK = 50
SYSTEM_FIELDS = {
    "summary", "description", "environment", "priority", "assignee", "reporter", "labels", "components",
    "fixVersions", "versions", "duedate", "parent", "timetracking", "security", "issuetype",
}
MULTI_REF = {"components": "component_ids", "fixVersions": "fix_version_ids", "versions": "affects_version_ids"}
# fields Jira leaves off the screen for users without these permissions
FIELD_PERMISSION = {
    "assignee": "ASSIGN_ISSUES",
    "reporter": "MODIFY_REPORTER",
    "duedate": "SCHEDULE_ISSUES",
    "security": "SET_ISSUE_SECURITY",
}


# -- lookups -----------------------------------------------------------------------------------------
def visible_issue(req: JiraRequest, key_or_id: str) -> Issue:
    """The issue the caller may browse (old keys of moved issues resolve too), else Jira's 404."""
    issue = req.state.issue_by_key_or_id(key_or_id)
    if issue is None or not req.backend.perms.can_see_issue(req.user, issue):
        raise issue_not_found()
    return issue


def _ref_id(value: Any) -> str | None:
    if isinstance(value, dict):
        raw = value.get("id")
        return None if raw is None else str(raw)
    return None


# -- durations ("3h 20m", 1d = 8h, 1w = 5d as Jira's defaults) ---------------------------------------
_UNITS = {"w": 5 * 8 * 3600, "d": 8 * 3600, "h": 3600, "m": 60}
_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*([wdhm])\s*)+$")


def parse_duration(text: Any) -> int | None:
    if isinstance(text, int | float) and not isinstance(text, bool):
        return int(text) * 60
    if not isinstance(text, str):
        return None
    t = text.strip().lower()
    if t.isdigit():
        return int(t) * 60  # a bare number is minutes
    if not _DURATION.match(t):
        return None
    return int(sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)\s*([wdhm])", t)))


# -- rich text in and out ----------------------------------------------------------------------------
def doc_in(req: View, value: Any) -> Doc | None:
    """A REST rich-text value as a Doc; raises ValueError with Jira's message for the wrong form."""
    if value is None:
        return None
    if req.v3:
        if is_valid_adf(value):  # the list of problems; empty for a valid document
            raise ValueError(NOT_ADF)
        return Doc(adf=value)
    if not isinstance(value, str):
        raise ValueError(NOT_STRING)
    return Doc(wiki=value) if value != "" else None


# -- representations (the reads' renderer, so reads and writes answer with one shape) -------------
def comment_json(req: View, issue: Issue, comment: Comment) -> dict[str, Any]:
    rendered = isinstance(req, JiraRequest) and "renderedBody" in req.q_list("expand")
    return renderer(req).comment(issue, comment, rendered=rendered)


def worklog_json(req: View, issue: Issue, worklog: Worklog) -> dict[str, Any]:
    return renderer(req).worklog(issue, worklog)


def attachment_json(req: View, att: Attachment) -> dict[str, Any]:
    return renderer(req).attachment(att)


# -- fields and update ops ---------------------------------------------------------------------------
@dataclass
class Parsed:
    changes: dict[str, Any] = field(default_factory=dict)
    comments: list[tuple[Doc, dict[str, str] | None]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def raise_errors(self) -> None:
        if self.errors:
            raise JiraError(400, [], self.errors)


class FieldParser:
    """Parses one create / edit / transition body for ``issue`` (None when creating)."""

    def __init__(self, req: JiraRequest, project: Project, issue: Issue | None, *, allow: frozenset[str] = frozenset()) -> None:
        self.req = req
        self.state = req.state
        self.project = project
        self.issue = issue
        self.allow = allow  # extra fields a transition screen offers (resolution)
        self.out = Parsed()

    # -- entry point -----------------------------------------------------------------------------
    def parse(self, fields: dict[str, Any] | None, update: dict[str, Any] | None) -> Parsed:
        for fid, value in (fields or {}).items():
            self._guard(fid, lambda fid=fid, value=value: self._set(fid, value))
        for fid, ops in (update or {}).items():
            self._guard(fid, lambda fid=fid, ops=ops: self._update(fid, ops))
        return self.out

    def _guard(self, fid: str, action: Any) -> None:
        try:
            action()
        except ValueError as exc:
            self.out.errors[fid] = str(exc)

    def _may_set(self, fid: str) -> bool:
        permission = FIELD_PERMISSION.get(fid)
        if permission is None:
            return True
        return bool(self.req.backend.perms.has(self.req.user, permission, project=self.project, issue=self.issue))

    def _known(self, fid: str) -> bool:
        if fid in SYSTEM_FIELDS or fid in self.allow:
            return True
        fdef = self.state.fields.get(fid)
        return fdef is not None and fdef.custom

    # -- fields: {...} ---------------------------------------------------------------------------
    def _set(self, fid: str, value: Any) -> None:
        if fid in ("project",) or (fid == "issuetype" and self.issue is None):
            return  # consumed by the create handler
        if fid == "status" and self.issue is not None:
            return  # "issue transition is not supported and is ignored here"
        if not self._known(fid) or not self._may_set(fid):
            raise ValueError(NOT_SETTABLE.format(fid))
        if fid in self.state.fields and self.state.fields[fid].custom:
            self._set_custom(self.state.fields[fid], value)
            return
        self._set_system(fid, value)

    def _set_system(self, fid: str, value: Any) -> None:
        ch = self.out.changes
        if fid == "summary":
            if value is not None and not isinstance(value, str):
                raise ValueError(NOT_STRING)
            ch["summary"] = value
        elif fid in ("description", "environment"):
            ch[fid] = doc_in(self.req, value)
        elif fid == "priority":
            ch["priority_id"] = self._priority(value)
        elif fid in ("assignee", "reporter"):
            ch[f"{fid}_id"] = self._user(value, fid)
        elif fid == "labels":
            ch["labels"] = tuple(self._label(v) for v in self._list(value))
        elif fid in MULTI_REF:
            ch[MULTI_REF[fid]] = tuple(self._multi_ref(fid, v) for v in self._list(value))
        elif fid == "duedate":
            ch["duedate"] = self._date(value)
        elif fid == "parent":
            ch["parent_id"] = self._parent(value)
        elif fid == "timetracking":
            self._timetracking(value)
        elif fid == "security":
            ch["security_level_id"] = self._security(value)
        elif fid == "issuetype":
            ch["issuetype_id"] = self._issuetype(value)
        elif fid == "resolution":
            ch["resolution_id"] = self._resolution(value)

    def _set_custom(self, fdef: FieldDef, value: Any) -> None:
        custom = self.out.changes.setdefault("custom", {})
        kind = fdef.kind
        if kind == "epiclink":
            self.out.changes["parent_id"] = self._epic(value)
        elif value is None:
            custom[fdef.id] = None
        elif kind == "text":
            if not isinstance(value, str):
                raise ValueError(NOT_STRING)
            custom[fdef.id] = value or None
        elif kind == "textarea":
            custom[fdef.id] = doc_in(self.req, value)
        elif kind in ("number", "storypoints"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(NOT_NUMBER)
            custom[fdef.id] = float(value)
        elif kind == "select":
            custom[fdef.id] = self._option(fdef, value)
        elif kind == "multiselect":
            custom[fdef.id] = tuple(self._option(fdef, v) for v in self._list(value))
        elif kind == "userpicker":
            custom[fdef.id] = self._user(value, fdef.id)
        elif kind == "date":
            custom[fdef.id] = self._date(value)
        elif kind == "sprint":
            custom[fdef.id] = self._sprint(fdef, value)
        else:
            custom[fdef.id] = value

    # -- update: {field: [{op: value}]} ----------------------------------------------------------
    def _update(self, fid: str, ops: Any) -> None:
        if fid == "comment":
            for op in ops or []:
                body = (op or {}).get("add")
                if not isinstance(body, dict):
                    raise ValueError("Field 'comment' does not support operation. Supported operation(s) are: 'add'")
                doc = doc_in(self.req, body.get("body"))
                if doc is None:
                    raise ValueError("Comment body can not be empty!")
                self.out.comments.append((doc, body.get("visibility")))
            return
        if not self._known(fid):
            raise ValueError(NOT_SETTABLE.format(fid))
        if not isinstance(ops, list):
            raise ValueError(f"Field '{fid}' expects a list of operations.")
        for op in ops:
            if not isinstance(op, dict) or len(op) != 1:
                raise ValueError(f"Field '{fid}' expects one operation per item.")
            (verb, value), = op.items()
            self._op(fid, verb, value)

    def _multi_kind(self, fid: str) -> str | None:
        if fid == "labels" or fid in MULTI_REF:
            return fid
        fdef = self.state.fields.get(fid)
        return fid if fdef is not None and fdef.kind == "multiselect" else None

    def _op(self, fid: str, verb: str, value: Any) -> None:
        if verb == "set" or (verb == "edit" and fid == "timetracking"):
            self._set(fid, value)
            return
        if verb not in ("add", "remove") or self._multi_kind(fid) is None:
            supported = "'set', 'add', 'remove'" if self._multi_kind(fid) else "'set'"
            raise ValueError(f"Field '{fid}' does not support operation '{verb}' Supported operation(s) are: {supported}")
        attr, current = self._current_multi(fid)
        if fid == "labels":
            item = self._label(value)
        elif fid in MULTI_REF:
            item = self._multi_ref(fid, value)
        else:
            item = self._option(self.state.fields[fid], value)
        if verb == "add" and item not in current:
            current = (*current, item)
        elif verb == "remove":
            current = tuple(v for v in current if v != item)
        if attr == "custom":
            self.out.changes.setdefault("custom", {})[fid] = current
        else:
            self.out.changes[attr] = current

    def _current_multi(self, fid: str) -> tuple[str, tuple[str, ...]]:
        ch = self.out.changes
        if fid == "labels" or fid in MULTI_REF:
            attr = "labels" if fid == "labels" else MULTI_REF[fid]
            if attr in ch:
                return attr, tuple(ch[attr])
            return attr, tuple(getattr(self.issue, attr)) if self.issue else ()
        if fid in ch.get("custom", {}):
            return "custom", tuple(ch["custom"][fid] or ())
        return "custom", tuple(self.issue.custom_value(fid) or ()) if self.issue else ()

    # -- value parsers (raise ValueError with Jira's message) ------------------------------------
    @staticmethod
    def _list(value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("Operation value must be an array")
        return value

    @staticmethod
    def _label(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(NOT_STRING)
        if " " in value:
            raise ValueError(f"The label '{value}' contains spaces which is invalid.")
        if len(value) > 255:
            raise ValueError("The label must not be longer than 255 characters.")
        return value

    def _priority(self, value: Any) -> str | None:
        if value is None:
            return None
        pid, name = _ref_id(value), value.get("name") if isinstance(value, dict) else None
        for p in self.state.priorities.values():
            if p.id == pid or (name is not None and p.name == name):
                return p.id
        if name is not None and pid is None:
            raise ValueError(f"Priority name '{name}' is not valid")
        raise ValueError("The priority selected is invalid.")

    def _resolution(self, value: Any) -> str | None:
        if value is None:
            return None
        rid, name = _ref_id(value), value.get("name") if isinstance(value, dict) else None
        for r in self.state.resolutions.values():
            if r.id == rid or (name is not None and r.name == name):
                return r.id
        raise ValueError(f"Could not find resolution with {'name' if name else 'id'} '{name or rid}'.")

    def _user(self, value: Any, fid: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("expected Object containing a 'accountId' property" if self.req.is_cloud
                             else "expected Object containing a 'name' property")
        if self.req.is_cloud:
            account_id = value.get("accountId", value.get("id"))
            if account_id in (None, "-1") and fid == "assignee":
                return self.project.lead_id if account_id == "-1" else None
            user = self.state.users.get(str(account_id)) if account_id is not None else None
            if user is None or user.account_type == "customer":
                raise ValueError("Specified user does not exist or you do not have required permissions"
                                 if fid != "reporter" else "Specify a valid value for reporter")
            return self._assignable(user, fid, str(account_id))
        name = value.get("name", value.get("key"))
        if name == "-1" and fid == "assignee":
            return self.project.lead_id
        user = self.state.user_by_name(str(name)) if name else None
        if user is None:
            raise ValueError(f"User '{name}' does not exist.")
        return self._assignable(user, fid, str(name))

    def _assignable(self, user: User, fid: str, shown: str) -> str:
        if fid == "assignee" and not self.req.backend.perms.has(user, "ASSIGNABLE_USER", project=self.project):
            raise ValueError(f"User '{shown}' cannot be assigned issues.")
        return user.account_id

    def _multi_ref(self, fid: str, value: Any) -> str:
        if not isinstance(value, dict):
            raise ValueError("Operation value must be an object")
        rid, name = _ref_id(value), value.get("name")
        if fid == "components":
            items = [(c.id, c.name) for c in self.project.components]
            noun = "Component"
        else:
            items = [(v.id, v.name) for v in self.project.versions]
            noun = "Version"
        for iid, iname in items:
            if iid == rid or (rid is None and iname == name):
                return iid
        if rid is not None:
            raise ValueError(f"{noun} id '{rid}' is not valid" if noun == "Version" else f"{noun} with id '{rid}' does not exist.")
        raise ValueError(f"{noun} name '{name}' is not valid")

    @staticmethod
    def _date(value: Any) -> str | None:
        if value is None or value == "":
            return None
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(f"Error parsing date string: {value}") from None

    def _issue_ref(self, value: Any) -> Issue:
        if isinstance(value, str):
            ref: str | None = value
        elif isinstance(value, dict):
            ref = value.get("key") or _ref_id(value)
        else:
            ref = None
        issue = self.state.issue_by_key_or_id(str(ref)) if ref else None
        if issue is None or not self.req.backend.perms.can_see_issue(self.req.user, issue):
            raise ValueError("Could not find issue by id or key.")
        return issue

    def _parent(self, value: Any) -> int | None:
        return None if value is None else self._issue_ref(value).id

    def _epic(self, value: Any) -> int | None:
        if value is None or value == "":
            return None
        epic = self._issue_ref(value)
        itype = self.state.issue_types.get(epic.issuetype_id)
        if itype is None or itype.hierarchy_level != 1:
            raise ValueError(f"Issue '{epic.key}' is not an epic.")
        return epic.id

    def _timetracking(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise ValueError("Operation value must be an object")
        for key, attr in (("originalEstimate", "original_estimate_s"), ("remainingEstimate", "remaining_estimate_s")):
            if key in value:
                seconds = parse_duration(value[key]) if value[key] not in (None, "") else None
                if value[key] not in (None, "") and seconds is None:
                    raise ValueError("Invalid time duration entered.")
                self.out.changes[attr] = seconds

    def _security(self, value: Any) -> str | None:
        if value is None:
            return None
        scheme = self.state.security_schemes.get(self.project.security_scheme_id or -1)
        lid = _ref_id(value)
        if scheme is not None and any(level.id == lid for level in scheme.levels):
            return lid
        raise ValueError(f"Security level with id '{lid}' does not exist.")

    def _issuetype(self, value: Any) -> str:
        itype = find_issuetype(self.req, self.project, value)
        current = self.state.issue_types.get(self.issue.issuetype_id) if self.issue else None
        if itype is None or (current is not None and current.subtask != itype.subtask):
            raise ValueError("The issue type selected is invalid.")
        return itype.id

    def _option(self, fdef: FieldDef, value: Any) -> str:
        if isinstance(value, str):
            value = {"value": value}
        if not isinstance(value, dict):
            raise ValueError("Operation value must be an object")
        oid = _ref_id(value)
        for opt in fdef.options:
            if (oid is not None and opt.id == oid) or (oid is None and opt.value == value.get("value")):
                if opt.disabled:
                    break
                return opt.id
        if oid is not None:
            raise ValueError(f"Option id '{oid}' is not valid")
        raise ValueError(f"Option value '{value.get('value')}' is not valid")

    def _sprint(self, fdef: FieldDef, value: Any) -> tuple[int, ...] | None:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("Number value expected as the Sprint id.")
        sprint = self.state.sprints.get(value)
        if sprint is None:
            raise ValueError(f"Sprint with id {value} does not exist.")
        current = tuple(self.issue.custom_value(fdef.id) or ()) if self.issue else ()
        closed = tuple(s for s in current if s in self.state.sprints and self.state.sprints[s].state == "closed"
                       and s != value)
        return (*closed, value)


def find_issuetype(req: JiraRequest, project: Project, value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    tid, name = _ref_id(value), value.get("name")
    for type_id in project.issue_type_ids or list(req.state.issue_types):
        itype = req.state.issue_types.get(type_id)
        if itype is not None and (itype.id == tid or (tid is None and name is not None and itype.name == name)):
            return itype
    return None


# -- create ------------------------------------------------------------------------------------------
def _project_of(req: JiraRequest, fields: dict[str, Any]) -> Project:
    ref = fields.get("project")
    if not isinstance(ref, dict) or not (ref.get("key") or ref.get("id")):
        raise bad_request(project="project is required" if ref is None else "Specify a valid project ID or key")
    project = req.state.project_by_key_or_id(str(ref.get("id") or ref.get("key")))
    if project is None or project.archived or not req.backend.perms.has(req.user, "BROWSE_PROJECTS", project=project):
        raise bad_request(project="Specify a valid project ID or key")
    return project


def create_one(req: JiraRequest, body: Any) -> Issue:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    fields = body.get("fields") or {}
    update = body.get("update") or {}
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise bad_request("one of 'fields' or 'update' required")
    project = _project_of(req, fields)
    if "issuetype" not in fields:
        raise bad_request(issuetype="Specify an issue type")
    itype = find_issuetype(req, project, fields["issuetype"])
    if itype is None:
        raise bad_request(issuetype="The issue type selected is invalid.")
    parsed = FieldParser(req, project, None).parse(fields, update)
    if "summary" not in parsed.changes and "summary" not in parsed.errors:
        parsed.errors["summary"] = models.SUMMARY_REQUIRED
    parsed.raise_errors()
    issue = models.create_issue(req.backend, req.user, project, itype.id, parsed.changes)
    for doc, visibility in parsed.comments:
        models.add_comment(req.backend, req.user, req.state.issues[issue.id], doc, visibility)
    transition = body.get("transition")
    if isinstance(transition, dict) and transition.get("id") is not None:
        models.transition_issue(req.backend, req.user, req.state.issues[issue.id], str(transition["id"]))
    for prop in body.get("properties") or []:
        if isinstance(prop, dict) and prop.get("key"):
            models.set_property(req.backend, req.user, req.state.issues[issue.id], str(prop["key"]), prop.get("value"))
    return req.state.issues[issue.id]


def created_json(req: JiraRequest, issue: Issue) -> dict[str, Any]:
    return {"id": str(issue.id), "key": issue.key, "self": req.rest(f"issue/{issue.id}")}


def create_issue(req: JiraRequest) -> Reply:
    issue = create_one(req, req.json_object())
    return Reply(created_json(req, issue), 201)


def _bulk_refusal(message: str) -> Reply:
    error = {"status": 400, "elementErrors": {"errorMessages": [message], "errors": {}}}
    return Reply({"issues": [], "errors": [error]}, 400)


def create_issues(req: JiraRequest) -> Reply:
    body = req.json_object()
    updates = body.get("issueUpdates")
    # the spec gives even whole-request failures the CreatedIssues shape
    if not isinstance(updates, list):
        return _bulk_refusal("Issue updates list cannot be null.")
    if len(updates) > MAX_BULK:
        return _bulk_refusal(f"Bulk create is limited to {MAX_BULK} issues.")
    issues: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, item in enumerate(updates):
        try:
            issues.append(created_json(req, create_one(req, item)))
        except JiraError as err:
            errors.append({"status": err.status, "elementErrors": err.to_body(), "failedElementNumber": number})
    status = 400 if updates and not issues else 201
    return Reply({"issues": issues, "errors": errors}, status)


# -- edit, assign, delete ----------------------------------------------------------------------------
def _is_project_admin(req: JiraRequest, project: Project) -> bool:
    return bool(req.backend.perms.is_admin(req.user)
                or req.backend.perms.has(req.user, "ADMINISTER_PROJECTS", project=project))


def edit_issue(req: JiraRequest) -> Reply | None:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    project = req.state.projects[issue.project_id]
    body = req.json_object()
    fields, update = body.get("fields"), body.get("update")
    if not fields and not update and not body.get("properties"):
        raise bad_request("one of 'fields' or 'update' required")
    if not req.q_bool("notifyUsers", True) and not _is_project_admin(req, project):
        raise forbidden("To discard the user notification either admin or project admin permissions are required.")
    override = req.q_bool("overrideScreenSecurity") or req.q_bool("overrideEditableFlag")
    if override and not req.backend.perms.is_admin(req.user):
        raise forbidden("Connect and Forge app users with Administer Jira global permission can override screen security.")
    if not req.backend.perms.has(req.user, "EDIT_ISSUES", project=project, issue=issue):
        names = [*(fields or {}), *(update or {})]
        raise JiraError(400, [] if names else ["You do not have permission to edit issues in this project."],
                        {n: NOT_SETTABLE.format(n) for n in names})
    parsed = FieldParser(req, project, issue).parse(fields, update)
    parsed.raise_errors()
    issue = models.update_issue(req.backend, req.user, issue, parsed.changes)
    for doc, visibility in parsed.comments:
        models.add_comment(req.backend, req.user, req.state.issues[issue.id], doc, visibility)
    for prop in body.get("properties") or []:
        if isinstance(prop, dict) and prop.get("key"):
            models.set_property(req.backend, req.user, req.state.issues[issue.id], str(prop["key"]), prop.get("value"))
    if req.is_cloud and req.q_bool("returnIssue"):
        expand = set(req.q_list("expand"))
        return Reply(serialize_issue(req, req.state.issues[issue.id], parse_fields(None), expand), 200)
    return None


def assign_issue(req: JiraRequest) -> None:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    project = req.state.projects[issue.project_id]
    body = req.json_object()
    keys = [k for k in ("accountId", "name", "key") if k in body]
    if len(keys) > 1:
        raise bad_request("Only one of 'accountId', 'name' or 'key' may be provided.")
    parser = FieldParser(req, project, issue)
    try:
        if not keys or body.get(keys[0]) is None:
            assignee = None
        else:
            assignee = parser._user({keys[0]: body[keys[0]]}, "assignee")
    except ValueError as exc:
        raise bad_request(assignee=str(exc)) from None
    models.assign_issue(req.backend, req.user, issue, assignee)


def delete_issue(req: JiraRequest) -> None:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    models.delete_issue(req.backend, req.user, issue, req.q_bool("deleteSubtasks"))


# -- transitions -------------------------------------------------------------------------------------
def do_transition(req: JiraRequest) -> None:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    project = req.state.projects[issue.project_id]
    body = req.json_object()
    transition = body.get("transition")
    tid = transition.get("id") if isinstance(transition, dict) else None
    if tid is None and isinstance(transition, dict) and transition.get("name"):
        match = [t for t in models.available_transitions(req.backend, req.user, issue) if t.name == transition["name"]]
        tid = match[0].id if match else transition["name"]
    if tid is None:
        raise bad_request("Missing 'transition' identifier")
    available = {t.id: t for t in models.available_transitions(req.backend, req.user, issue)}
    chosen = available.get(str(tid))
    if chosen is not None and not chosen.has_screen:
        # a transition without a screen takes no fields (a comment is still fine)
        names = [*(body.get("fields") or {}), *(k for k in (body.get("update") or {}) if k != "comment")]
        if names:
            raise JiraError(400, [], {n: NOT_SETTABLE.format(n) for n in names})
    parsed = FieldParser(req, project, issue, allow=frozenset({"resolution"})).parse(body.get("fields"), body.get("update"))
    parsed.raise_errors()
    issue = models.transition_issue(req.backend, req.user, issue, str(tid), parsed.changes)
    for doc, visibility in parsed.comments:
        models.add_comment(req.backend, req.user, req.state.issues[issue.id], doc, visibility)


# -- comments ----------------------------------------------------------------------------------------
def _comment_input(req: JiraRequest) -> tuple[Doc, dict[str, str] | None]:
    body = req.json_object()
    if "body" not in body or body["body"] in (None, ""):
        raise bad_request(comment="Comment body can not be empty!")
    try:
        doc = doc_in(req, body["body"])
    except ValueError:
        raise bad_request(comment="Comment body is not valid!") from None
    if doc is None:
        raise bad_request(comment="Comment body can not be empty!")
    visibility = body.get("visibility")
    if visibility is not None and not isinstance(visibility, dict):
        raise bad_request(commentLevel="Visibility must be an object.")
    return doc, visibility


def _comment_id(req: JiraRequest) -> int:
    raw = req.p("id")
    if not raw.isdigit():
        raise not_found(f"Can not find a comment for the id: {raw}.")
    return int(raw)


def add_comment(req: JiraRequest) -> Reply:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    doc, visibility = _comment_input(req)
    comment = models.add_comment(req.backend, req.user, issue, doc, visibility)
    return Reply(comment_json(req, req.state.issues[issue.id], comment), 201)


def update_comment(req: JiraRequest) -> dict[str, Any]:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    doc, visibility = _comment_input(req)
    comment = models.update_comment(req.backend, req.user, issue, _comment_id(req), doc, visibility)
    return comment_json(req, req.state.issues[issue.id], comment)


def delete_comment(req: JiraRequest) -> None:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    models.delete_comment(req.backend, req.user, issue, _comment_id(req))


# -- worklogs ----------------------------------------------------------------------------------------
def _estimate_params(req: JiraRequest) -> tuple[str, int | None, int | None]:
    mode = req.q("adjustEstimate", "auto") or "auto"
    if mode not in ("auto", "new", "manual", "leave"):
        raise bad_request(adjustEstimate=f"Invalid value for adjustEstimate: '{mode}'.")
    new = parse_duration(req.q("newEstimate")) if req.q("newEstimate") else None
    by = req.q("reduceBy") or req.q("increaseBy")
    return mode, new, parse_duration(by) if by else None


def _worklog_input(req: JiraRequest, required: bool) -> tuple[int | None, int | None, Doc | None]:
    body = req.json_object()
    spent: int | None = None
    if body.get("timeSpentSeconds") is not None:
        spent = int(body["timeSpentSeconds"])
    elif body.get("timeSpent") is not None:
        spent = parse_duration(body["timeSpent"])
        if spent is None:
            raise bad_request(timeLogged="Invalid time duration entered.")
    if required and spent is None:
        raise bad_request(timeLogged="You must indicate the time spent working.")
    started = None
    if body.get("started"):
        try:
            started = parse_ts(str(body["started"]))
        except ValueError:
            raise bad_request(started="Invalid date format. Please enter the date in the format 'yyyy-MM-dd'T'HH:mm:ss.SSSZ'.") from None
    try:
        comment = doc_in(req, body.get("comment"))
    except ValueError as exc:
        raise bad_request(comment=str(exc)) from None
    return spent, started, comment


def _worklog_id(req: JiraRequest) -> int:
    raw = req.p("id")
    if not raw.isdigit():
        raise not_found(f"Cannot find worklog with id: '{raw}'.")
    return int(raw)


def add_worklog(req: JiraRequest) -> Reply:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    spent, started, comment = _worklog_input(req, required=True)
    mode, new, by = _estimate_params(req)
    worklog = models.add_worklog(req.backend, req.user, issue, spent or 0, started or req.backend.now_ms(), comment,
                                 adjust_estimate=mode, new_estimate_s=new, reduce_by_s=by)
    return Reply(worklog_json(req, req.state.issues[issue.id], worklog), 201)


def update_worklog(req: JiraRequest) -> dict[str, Any]:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    spent, started, comment = _worklog_input(req, required=False)
    mode, new, _ = _estimate_params(req)
    worklog = models.update_worklog(req.backend, req.user, issue, _worklog_id(req), time_spent_seconds=spent,
                                    started=started, comment=comment, adjust_estimate=mode, new_estimate_s=new)
    return worklog_json(req, req.state.issues[issue.id], worklog)


def delete_worklog(req: JiraRequest) -> None:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    mode, new, by = _estimate_params(req)
    models.delete_worklog(req.backend, req.user, issue, _worklog_id(req), adjust_estimate=mode,
                          new_estimate_s=new, increase_by_s=by)


# -- properties --------------------------------------------------------------------------------------
def set_property(req: JiraRequest) -> Reply:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    value = req.json()
    created = models.set_property(req.backend, req.user, issue, req.p("propertyKey"), value)
    return Reply(None, 201 if created else 200)


def delete_property(req: JiraRequest) -> None:
    issue = visible_issue(req, req.p("issueIdOrKey"))
    models.delete_property(req.backend, req.user, issue, req.p("propertyKey"))


# -- attachments -------------------------------------------------------------------------------------
def add_attachments(req: JiraRequest) -> Reply:
    token = (req.header("X-Atlassian-Token") or "").lower()
    if token not in ("no-check", "nocheck"):
        return Reply("XSRF check failed", 403, content_type="text/plain;charset=UTF-8")
    issue = visible_issue(req, req.p("issueIdOrKey"))
    uploads = [f for f in (req.form.getlist("file") if req.form is not None else []) if hasattr(f, "filename")]
    if not uploads:
        raise bad_request("No attachments were specified.")
    if len(uploads) > 60:
        raise JiraError(413, ["Too many attachments; at most 60 files can be uploaded at once."])
    out = []
    for upload in uploads:
        data = upload.file.read()
        mime = upload.content_type or "application/octet-stream"
        att = models.add_attachment(req.backend, req.user, req.state.issues[issue.id], upload.filename or "file", data, mime)
        out.append(attachment_json(req, att))
    return Reply(out, 200)


def delete_attachment(req: JiraRequest) -> None:
    raw = req.p("id")
    if not raw.isdigit():
        raise not_found(f"The attachment with id '{raw}' does not exist")
    models.delete_attachment(req.backend, req.user, int(raw))


# -- issue links -------------------------------------------------------------------------------------
def create_link(req: JiraRequest) -> Reply:
    body = req.json_object()
    ref = body.get("type") or {}
    ltype = next((t for t in req.state.link_types.values()
                  if isinstance(ref, dict) and (t.id == _ref_id(ref) or t.name == ref.get("name"))), None)
    if ltype is None:
        raise not_found(f"No issue link type with name '{ref.get('name') if isinstance(ref, dict) else ref}' found.")
    issues = []
    for side in ("inwardIssue", "outwardIssue"):
        side_ref = body.get(side) or {}
        key = side_ref.get("key") or _ref_id(side_ref) if isinstance(side_ref, dict) else None
        issue = req.state.issue_by_key_or_id(str(key)) if key else None
        if issue is None or not req.backend.perms.can_see_issue(req.user, issue):
            raise not_found("Issue Does Not Exist")
        issues.append(issue)
    comment = None
    if isinstance(body.get("comment"), dict):
        try:
            comment = doc_in(req, body["comment"].get("body"))
        except ValueError as exc:
            raise bad_request(comment=str(exc)) from None
    models.create_link(req.backend, req.user, ltype.id, issues[0], issues[1], comment)
    return Reply(None, 201)


def delete_link(req: JiraRequest) -> None:
    raw = req.p("linkId")
    if not raw.isdigit():
        raise bad_request(f"The issue link id '{raw}' is invalid.")
    models.delete_link(req.backend, req.user, int(raw))
