"""Control-plane state and rules: live config changes, ground truth, out-of-band mutations, the
built-in webhook receiver. Raises ``JiraError`` (400/404/501) like the Jira areas do."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jiraemu.config import EmuConfig, FaultConfig, RateLimitConfig
from jiraemu.errors import JiraError, bad_request, not_found
from jiraemu.events import ISSUE_UPDATED, Event
from jiraemu.state import Actor, AuditRecord, Doc, Grant, Issue, Project, User
from jiraemu.timefmt import parse_ts
from jiraemu.users import audit, writes

if TYPE_CHECKING:
    from jiraemu.backend import Backend

# fixed at start: routes and listeners depend on them
FIXED_KEYS = frozenset({"flavor", "host", "port", "tls", "tls_dir", "context_path", "base_url"})
NESTED = {"ratelimit": RateLimitConfig, "faults": FaultConfig}


# -- config --------------------------------------------------------------------------------------
def config_json(config: EmuConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def _coerce(name: str, current: Any, value: Any) -> Any:
    if value is None or current is None:
        return value
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise JiraError(400, [], {name: "must be true or false"})
        return value
    if isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise JiraError(400, [], {name: "must be an integer"})
        return value
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise JiraError(400, [], {name: "must be a number"})
        return float(value)
    if isinstance(current, str) and not isinstance(value, str):
        raise JiraError(400, [], {name: "must be a string"})
    if isinstance(current, list | dict) and not isinstance(value, type(current)):
        raise JiraError(400, [], {name: f"must be a JSON {'array' if isinstance(current, list) else 'object'}"})
    if isinstance(current, tuple):
        return tuple(value)
    return value


def _apply(target: Any, changes: dict[str, Any], prefix: str = "") -> None:
    names = {f.name for f in dataclasses.fields(target)}
    staged: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in names:
            raise JiraError(400, [], {prefix + key: "unknown setting"})
        current = getattr(target, key)
        if key == "webhook_retry_delays_s" and (
            not isinstance(value, list) or not all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value)
        ):
            raise JiraError(400, [], {prefix + key: "must be a list of non-negative numbers (seconds)"})
        if key == "dc_bucket" and value is not None:
            if not isinstance(value, list) or len(value) != 2:
                raise JiraError(400, [], {prefix + key: "must be [capacity, refill per second] or null"})
            staged[key] = (int(value[0]), float(value[1]))
            continue
        staged[key] = _coerce(prefix + key, current, value)
    for key, value in staged.items():
        setattr(target, key, value)


def update_config(config: EmuConfig, changes: dict[str, Any]) -> None:
    """Merge ``changes`` into the live config (nested ``ratelimit``/``faults`` merge too)."""
    fixed = sorted(FIXED_KEYS & changes.keys())
    if fixed:
        raise JiraError(400, [f"{', '.join(fixed)} cannot change while the emulator runs."], {})
    flat = {k: v for k, v in changes.items() if k not in NESTED}
    _apply(config, flat)
    for key, cls in NESTED.items():
        if key in changes:
            if not isinstance(changes[key], dict):
                raise JiraError(400, [], {key: "must be a JSON object"})
            merged = dataclasses.replace(getattr(config, key))
            _apply(merged, changes[key], key + ".")
            assert isinstance(merged, cls)
            setattr(config, key, merged)


def replace_faults(config: EmuConfig, data: dict[str, Any]) -> None:
    """Replace ``config.faults`` wholesale (unset settings go back to their defaults)."""
    fresh = FaultConfig()
    _apply(fresh, data)
    config.faults = fresh


# -- lookups -------------------------------------------------------------------------------------
def find_user(backend: Backend, ref: Any) -> User:
    users = backend.state.users
    if isinstance(ref, str):
        user = users.get(ref) or backend.state.user_by_name(ref)
        if user is None:
            user = next((u for u in users.values() if u.email.lower() == ref.lower()), None)
        if user is not None:
            return user
    raise not_found(f"No user {ref!r}.")


def admin_user(backend: Backend) -> User:
    email = backend.config.admin_email.lower()
    for user in backend.state.users.values():
        if user.email.lower() == email:
            return user
    return next(iter(backend.state.users.values()))


def find_issue(backend: Backend, ref: Any) -> Issue:
    issue = backend.state.issue_by_key_or_id(str(ref)) if ref is not None else None
    if issue is None:
        raise not_found(f"No issue {ref!r}.")
    return issue


def find_project(backend: Backend, ref: Any) -> Project:
    project = backend.state.project_by_key_or_id(str(ref)) if ref is not None else None
    if project is None:
        raise not_found(f"No project {ref!r}.")
    return project


def find_role(backend: Backend, ref: Any) -> int:
    for role in backend.state.roles.values():
        if str(role.id) == str(ref) or role.name.lower() == str(ref).lower():
            return role.id
    raise not_found(f"No project role {ref!r}.")


# -- ground truth --------------------------------------------------------------------------------
def truth(backend: Backend, viewer: User | None, include: set[str]) -> dict[str, Any]:
    state = backend.state
    projects = state.projects
    issues = []
    render = _field_renderer(backend) if "fields" in include else None
    for issue in sorted(state.issues.values(), key=lambda i: i.id):
        item: dict[str, Any] = {
            "id": str(issue.id),
            "key": issue.key,
            "projectId": str(issue.project_id),
            "projectKey": projects[issue.project_id].key if issue.project_id in projects else None,
            "created": issue.created,
            "updated": issue.updated,
            "version": issue.version,
            "statusId": issue.status_id,
            "securityLevelId": issue.security_level_id,
        }
        if "comments" in include:
            item["comments"] = [{"id": str(c.id), "updated": c.updated} for c in issue.comments]
        if "worklogs" in include:
            item["worklogs"] = [{"id": str(w.id), "updated": w.updated} for w in issue.worklogs]
        if "attachments" in include:
            item["attachments"] = [str(a.id) for a in issue.attachments]
        if "histories" in include:
            item["histories"] = [str(h.id) for h in issue.histories]
        if render is not None:
            item["fields"] = render(issue)
        issues.append(item)
    moved = {
        key: state.issues[iid].key for key, iid in state.keys.items() if iid in state.issues and state.issues[iid].key != key
    }
    out: dict[str, Any] = {
        "now": backend.now_ms(),
        "flavor": backend.config.flavor,
        "total": len(issues),
        "issues": issues,
        "deletedIds": sorted(str(i) for i in state.deleted_issue_ids),
        "movedKeys": dict(sorted(moved.items())),
        "projects": [{"id": str(p.id), "key": p.key, "previousKeys": list(p.previous_keys)} for p in projects.values() if not p.deleted],
    }
    if viewer is not None:
        can_see = backend.perms.can_see_issue
        out["user"] = viewer.account_id
        out["visibleIds"] = [str(i.id) for i in sorted(state.issues.values(), key=lambda i: i.id) if can_see(viewer, i)]
    return out


def _field_renderer(backend: Backend) -> Callable[[Issue], Any]:
    """Every field of an issue as the admin reads it (Cloud v3 with ADF, DC v2)."""
    from jiraemu.http import Caller, View
    from jiraemu.issues.serialize import parse_fields, serialize_issue

    view = View(backend, Caller(admin_user(backend), "basic"), 3 if backend.config.is_cloud else 2)
    selection = parse_fields(None)
    return lambda issue: serialize_issue(view, issue, selection).get("fields", {})


def users_json(backend: Backend) -> list[dict[str, Any]]:
    groups = backend.state.groups
    out = []
    for user in backend.state.users.values():
        out.append(
            {
                "accountId": user.account_id,
                "name": user.name,
                "key": user.key,
                "displayName": user.display_name,
                "email": user.email,
                "emailVisible": user.email_visible,
                "timeZone": user.time_zone,
                "active": user.active,
                "accountType": user.account_type,
                "apiToken": user.api_token,
                "password": user.password,
                "pat": user.pat,
                "groups": sorted(g.name for g in groups.values() if user.account_id in g.members),
                "admin": backend.perms.is_admin(user),
            }
        )
    return out


# -- mutations -----------------------------------------------------------------------------------
@dataclass
class ControlState:
    mutations: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=10000))
    seq: int = 0
    receivers: dict[str, Receiver] = field(default_factory=dict)

    def clear(self) -> None:
        self.mutations.clear()
        self.receivers.clear()


@dataclass
class Receiver:
    """A built-in webhook receiver: records every POST; answers ``fail_status`` ``fail`` times first."""

    name: str
    fail: int = 0
    fail_status: int = 500
    delay_ms: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        return {"fail": self.fail, "status": self.fail_status, "delayMs": self.delay_ms}


def _issue_models() -> Any:
    from jiraemu.issues import models

    return models


def _time_value(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return parse_ts(value)
        except ValueError:
            pass
    raise JiraError(400, [], {"updated": "must be epoch milliseconds or an ISO/Jira timestamp"})


def _doc(backend: Backend, text: str) -> Doc:
    if backend.config.is_cloud:
        adf = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}
        return Doc(adf=adf)
    return Doc(wiki=text)


def _set_updated(backend: Backend, user: User, issue: Issue, when: int) -> Issue:
    """Move ``updated`` to a chosen time: a new version, indexed, but no webhook (no Jira write does this)."""
    after = dataclasses.replace(issue, updated=when, version=issue.version + 1)
    backend.state.put_issue(after)
    backend.emit(Event(ISSUE_UPDATED, backend.now_ms(), user.account_id, issue=after, before=issue, extra={"webhooks": False, "source": "emulator"}))
    return after


def _op_move(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    issue = find_issue(backend, data.get("issue"))
    old_key = issue.key
    moved = _issue_models().move_issue(backend, user, issue, find_project(backend, data.get("project")))
    return {"id": str(moved.id), "oldKey": old_key, "key": moved.key}


def _op_delete(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    issue = find_issue(backend, data.get("issue"))
    audit_before = len(backend.state.audit)
    _issue_models().delete_issue(backend, user, issue, bool(data.get("deleteSubtasks", True)))
    if data.get("audit", True) and len(backend.state.audit) == audit_before:
        project = backend.state.projects.get(issue.project_id)
        backend.state.audit.append(
            AuditRecord(
                id=backend.state.ids.next("audit", 10000),
                summary="Issue deleted",
                category="issue management",
                event_source="",
                created=backend.now_ms(),
                author_id=user.account_id,
                object_item={"id": str(issue.id), "name": issue.key, "typeName": "ISSUE"},
                associated_items=[{"id": str(project.id), "name": project.name, "typeName": "PROJECT"}] if project else [],
            )
        )
    return {"id": str(issue.id), "key": issue.key}


def _op_update(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    issue = find_issue(backend, data.get("issue"))
    changes = dict(data.get("fields") or {})
    when = changes.pop("updated", data.get("updated"))
    if changes:
        issue = _issue_models().update_issue(backend, user, issue, changes)
    if when is not None:
        issue = _set_updated(backend, user, issue, _time_value(when))
    return {"id": str(issue.id), "key": issue.key, "updated": issue.updated, "version": issue.version}


def _op_comment(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    issue = find_issue(backend, data.get("issue"))
    comment = _issue_models().add_comment(backend, user, issue, _doc(backend, str(data.get("body", "A comment from the mutator"))))
    return {"issue": issue.key, "commentId": str(comment.id)}


def _op_bulk_create(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    project = find_project(backend, data.get("project") or next(iter(backend.state.projects.values())).key)
    count = data.get("count", 1)
    if not isinstance(count, int) or not 1 <= count <= 100000:
        raise JiraError(400, [], {"count": "must be an integer from 1 to 100000"})
    types = backend.state.issue_types
    type_id = str(data.get("issuetype") or next(t for t in project.issue_type_ids if not types[t].subtask and types[t].hierarchy_level == 0))
    prefix = str(data.get("summary", "Bulk issue"))
    models = _issue_models()
    keys = [models.create_issue(backend, user, project, type_id, {"summary": f"{prefix} {n + 1}"}).key for n in range(count)]
    return {"created": len(keys), "keys": keys}


def _role_target(backend: Backend, data: dict[str, Any]) -> tuple[Project, int, Actor]:
    project = find_project(backend, data.get("project"))
    role = find_role(backend, data.get("role"))
    if data.get("group"):
        if str(data["group"]) not in backend.state.groups:
            raise not_found(f"No group {data['group']!r}.")
        return project, role, Actor("group", str(data["group"]))
    return project, role, Actor("user", find_user(backend, data.get("user")).account_id)


def _op_remove_role_actor(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    project, role, actor = _role_target(backend, data)
    actors = project.role_actors.get(role, [])
    if actor not in actors:
        raise not_found(f"{actor.kind} {actor.value} is not an actor of role {role} in {project.key}.")
    writes.set_role_actors(backend, user, project, role, [a for a in actors if a != actor])
    return {"project": project.key, "role": role, "removed": dataclasses.asdict(actor)}


def _op_add_role_actor(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    project, role, actor = _role_target(backend, data)
    actors = project.role_actors.get(role, [])
    if actor not in actors:
        writes.set_role_actors(backend, user, project, role, [*actors, actor])
    return {"project": project.key, "role": role, "added": dataclasses.asdict(actor)}


def _op_set_security_level(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    issue = find_issue(backend, data.get("issue"))
    level = data.get("level")
    level_id: str | None = None
    if level is not None:
        project = backend.state.projects[issue.project_id]
        scheme = backend.state.security_schemes.get(project.security_scheme_id or -1)
        found = [lv for lv in (scheme.levels if scheme else []) if lv.id == str(level) or lv.name.lower() == str(level).lower()]
        if not found:
            raise bad_request(f"Security level {level!r} is not in the security scheme of {project.key}.")
        level_id = found[0].id
    issue = _issue_models().update_issue(backend, user, issue, {"security_level_id": level_id})
    return {"key": issue.key, "securityLevelId": issue.security_level_id}


def _op_remove_group_member(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    group = backend.state.groups.get(str(data.get("group")))
    if group is None:
        raise not_found(f"No group {data.get('group')!r}.")
    member = find_user(backend, data.get("user"))
    if not writes.remove_group_member(backend, user, group, member):
        raise not_found(f"{member.name} is not a member of {group.name}.")
    return {"group": group.name, "removed": member.account_id}


def _op_add_group_member(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    group = backend.state.groups.get(str(data.get("group")))
    if group is None:
        raise not_found(f"No group {data.get('group')!r}.")
    member = find_user(backend, data.get("user"))
    writes.add_group_member(backend, user, group, member)
    return {"group": group.name, "added": member.account_id}


def _grant_target(backend: Backend, data: dict[str, Any]) -> tuple[Any, str, str, str | None]:
    """(scheme, permission key, holder type, holder parameter) of a grant op."""
    scheme = _permission_scheme(backend, data.get("scheme"))
    permission = str(data.get("permission") or "")
    holder_type = str(data.get("holder_type") or "")
    if not permission or not holder_type:
        raise bad_request("A grant needs 'permission' and 'holder_type' (and 'holder_param' for group, user, projectRole).")
    param = data.get("holder_param")
    if holder_type == "user" and param is not None:
        param = find_user(backend, param).account_id
    return scheme, permission, holder_type, None if param is None else str(param)


def _permission_scheme(backend: Backend, ref: Any) -> Any:
    """A permission scheme by id or name."""
    schemes = backend.state.permission_schemes
    scheme = next((sc for sc in schemes.values() if str(sc.id) == str(ref) or sc.name == ref), None)
    if scheme is None:
        raise not_found(f"No permission scheme {ref!r}.")
    return scheme


def _same_grant(scheme: Any, permission: str, holder_type: str, param: str | None) -> Grant | None:
    return next((g for g in scheme.grants if (g.permission, g.holder_type, g.holder_param) == (permission, holder_type, param)), None)


def _op_add_permission_grant(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    scheme, permission, holder_type, param = _grant_target(backend, data)
    existing = _same_grant(scheme, permission, holder_type, param)
    if existing is not None:
        return {"scheme": scheme.id, "grant": existing.id}
    floor = max((g.id for sc in backend.state.permission_schemes.values() for g in sc.grants), default=9999) + 1
    grant = Grant(max(backend.state.ids.next("grant", floor), floor), permission, holder_type, param)
    scheme.grants.append(grant)
    audit.permission_scheme_updated(backend, user.account_id, scheme.id, scheme.name, permission, holder_type, param, True)
    return {"scheme": scheme.id, "grant": grant.id}


def _op_remove_permission_grant(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    scheme = _permission_scheme(backend, data.get("scheme"))
    if data.get("grant") is not None:
        grant = next((g for g in scheme.grants if str(g.id) == str(data["grant"])), None)
    else:
        grant = _same_grant(*_grant_target(backend, data))
    if grant is None:
        raise not_found(f"No such grant in permission scheme {scheme.id}.")
    scheme.grants = [g for g in scheme.grants if g.id != grant.id]
    audit.permission_scheme_updated(backend, user.account_id, scheme.id, scheme.name, grant.permission,
                                    grant.holder_type, grant.holder_param, False)
    return {"scheme": scheme.id, "removed": grant.id}


def _level_target(backend: Backend, data: dict[str, Any]) -> tuple[Any, Any, tuple[str, str | None]]:
    ref = data.get("level")
    for scheme in backend.state.security_schemes.values():
        for level in scheme.levels:
            if level.id == str(ref) or level.name.lower() == str(ref).lower():
                holder_type = str(data.get("holder_type") or "")
                if not holder_type:
                    raise bad_request("A level member needs 'holder_type' (and 'holder_param' for group, user, projectRole).")
                param = data.get("holder_param")
                if holder_type == "user" and param is not None:
                    param = find_user(backend, param).account_id
                return scheme, level, (holder_type, None if param is None else str(param))
    raise not_found(f"No issue security level {ref!r}.")


def _op_add_security_level_member(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    scheme, level, member = _level_target(backend, data)
    if member not in level.members:
        level.members = [*level.members, member]
        audit.security_level_updated(backend, user.account_id, scheme.id, scheme.name, level.id, level.name,
                                     member[0], member[1], True)
    return {"level": level.id, "added": list(member)}


def _op_remove_security_level_member(backend: Backend, user: User, data: dict[str, Any]) -> dict[str, Any]:
    scheme, level, member = _level_target(backend, data)
    if member not in level.members:
        raise not_found(f"{member[0]} {member[1]} is not a member of level {level.name}.")
    level.members = [m for m in level.members if m != member]
    audit.security_level_updated(backend, user.account_id, scheme.id, scheme.name, level.id, level.name,
                                 member[0], member[1], False)
    return {"level": level.id, "removed": list(member)}


OPS = {
    "move": _op_move,
    "delete": _op_delete,
    "update": _op_update,
    "comment": _op_comment,
    "bulk_create": _op_bulk_create,
    "remove_role_actor": _op_remove_role_actor,
    "add_role_actor": _op_add_role_actor,
    "set_security_level": _op_set_security_level,
    "remove_group_member": _op_remove_group_member,
    "add_group_member": _op_add_group_member,
    "add_permission_grant": _op_add_permission_grant,
    "remove_permission_grant": _op_remove_permission_grant,
    "add_security_level_member": _op_add_security_level_member,
    "remove_security_level_member": _op_remove_security_level_member,
}


def mutate(backend: Backend, control: ControlState, data: dict[str, Any]) -> dict[str, Any]:
    """Apply one out-of-band change, invalidate permission caches, and log it."""
    op = data.get("op")
    handler = OPS.get(str(op))
    if handler is None:
        raise bad_request(f"Unknown op {op!r}; one of: {', '.join(sorted(OPS))}.")
    user = find_user(backend, data["as"]) if data.get("as") else admin_user(backend)
    try:
        result = handler(backend, user, data)
    except NotImplementedError:
        raise JiraError(501, [f"op {op!r} needs issue writes, which this build does not have yet."]) from None
    backend.perms.invalidate()
    control.seq += 1
    entry = {"seq": control.seq, "at": backend.now_ms(), "op": op, "as": user.account_id, "request": data, "result": result}
    control.mutations.append(entry)
    return entry
