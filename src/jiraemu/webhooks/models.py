"""Webhook registrations and their rules: admin webhooks and dynamic (app) webhooks.

Admin webhooks (``/rest/webhooks/1.0/webhook``, both flavours) need the ADMINISTER global
permission, never expire, filter by JQL in ``filters["issue-related-events-section"]``, may carry a
secret (deliveries then carry ``X-Hub-Signature: sha256=<hmac>``; the secret is never shown again,
and a PUT without ``secret`` keeps the old one) and may exclude the body.

Dynamic webhooks (Cloud ``/rest/api/{2,3}/webhook``) belong to an app: only OAuth 2.0 (3LO) and
Connect apps may use them; a Basic-auth caller gets 403 "Only apps can access this resource."
(jira-api-facts §4.1). They expire 30 days after registration or refresh, take a JQL subset
(issueKey, project, issuetype, status, assignee, reporter, issue.property, cf[id]; ``= != IN NOT
IN``), allow a single URL per app and 5 webhooks per app and user. ``GET webhook/failed`` is for
Connect apps only; the emulator has no Connect apps, so OAuth 2.0 apps get 403 there unless
``config.webhook_failed_for_oauth_apps`` is set (a test knob, documented as such).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jiraemu import events as ev
from jiraemu.errors import JiraError, bad_request, forbidden, not_found
from jiraemu.state import User

if TYPE_CHECKING:
    from jiraemu.backend import Backend

DAY_MS = 24 * 3600 * 1000
DYNAMIC_TTL_MS = 30 * DAY_MS
FAILED_RETENTION_MS = 72 * 3600 * 1000
DYNAMIC_PER_APP_USER = 5

DYNAMIC_EVENTS = (
    ev.ISSUE_CREATED,
    ev.ISSUE_UPDATED,
    ev.ISSUE_DELETED,
    ev.COMMENT_CREATED,
    ev.COMMENT_UPDATED,
    ev.COMMENT_DELETED,
    ev.PROPERTY_SET,
    ev.PROPERTY_DELETED,
)
ADMIN_EVENTS = (
    *DYNAMIC_EVENTS,
    ev.WORKLOG_CREATED,
    ev.WORKLOG_UPDATED,
    ev.WORKLOG_DELETED,
)
DYNAMIC_JQL_FIELDS = frozenset({"issuekey", "key", "project", "issuetype", "type", "status", "assignee", "reporter"})
DYNAMIC_JQL_OPERATORS = frozenset({"=", "!=", "IN", "NOT IN"})
NOT_AN_APP = "Only apps can access this resource."
NOT_CONNECT = "Only Connect apps can access this resource."
NOT_ADMIN = "You do not have the permission to manage webhooks: the ADMINISTER global permission is required."


@dataclass
class AdminWebhook:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str = ""
    exclude_body: bool = False
    enabled: bool = True
    secret: str | None = None
    description: str = ""
    last_updated_user: str = ""  # account id
    last_updated: int = 0


@dataclass
class DynamicWebhook:
    id: int
    client_id: str  # the app
    account_id: str  # the user who registered it (deliveries are checked against their permissions)
    url: str
    events: list[str]
    jql: str
    field_ids_filter: list[str] | None = None
    property_keys_filter: list[str] | None = None
    expiration: int = 0  # epoch ms


@dataclass
class FailedDelivery:
    """A dynamic-webhook delivery that exhausted its retries (``GET webhook/failed``)."""

    id: str  # X-Atlassian-Webhook-Identifier
    client_id: str
    url: str
    body: str | None
    failure_time: int


@dataclass
class WebhookStore:
    admin: dict[int, AdminWebhook] = field(default_factory=dict)
    dynamic: dict[int, DynamicWebhook] = field(default_factory=dict)
    failed: list[FailedDelivery] = field(default_factory=list)
    next_admin_id: int = 1
    next_dynamic_id: int = 10000


# -- admin webhooks ------------------------------------------------------------------------------
def require_admin(backend: Backend, user: User) -> None:
    if not backend.perms.is_admin(user):
        raise forbidden(NOT_ADMIN)


def _str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise JiraError(400, [], {name: f"'{name}' must be a list of strings."})
    return list(value)


def _admin_fields(data: dict[str, Any], current: AdminWebhook | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, attr in (("name", "name"), ("url", "url"), ("description", "description")):
        if key in data:
            if not isinstance(data[key], str):
                raise JiraError(400, [], {key: f"'{key}' must be a string."})
            out[attr] = data[key].strip() if key != "description" else data[key]
    if current is None:
        if not out.get("name"):
            raise JiraError(400, [], {"name": "The webhook name is required."})
        if not out.get("url"):
            raise JiraError(400, [], {"url": "The webhook URL is required."})
    if "url" in out and not re.match(r"^https?://", out["url"]):
        raise JiraError(400, [], {"url": "The webhook URL must be an absolute http or https URL."})
    if "events" in data:
        events = _str_list(data["events"], "events")
        unknown = [e for e in events if e not in ADMIN_EVENTS and not e.startswith(("jira:", "project_", "user_", "board_", "sprint_", "jira_", "option_", "issuelink_", "version_"))]
        if unknown:
            raise JiraError(400, [], {"events": f"Unknown event: {unknown[0]}"})
        out["events"] = events
    if "filters" in data:
        filters = data["filters"] or {}
        if not isinstance(filters, dict):
            raise JiraError(400, [], {"filters": "'filters' must be an object."})
        jql = filters.get("issue-related-events-section", "") or ""
        if not isinstance(jql, str):
            raise JiraError(400, [], {"filters": "The JQL filter must be a string."})
        out["jql"] = jql.strip()
    for key, attr in (("excludeBody", "exclude_body"), ("enabled", "enabled")):
        if key in data and data[key] is not None:
            out[attr] = bool(data[key])
    if data.get("secret"):
        out["secret"] = str(data["secret"])
    return out


def create_admin_webhook(backend: Backend, user: User, data: dict[str, Any]) -> AdminWebhook:
    require_admin(backend, user)
    store = backend.webhooks.store
    values = _admin_fields(data, None)
    check_jql(backend, values.get("jql", ""))
    values.setdefault("events", [])
    hook = AdminWebhook(id=store.next_admin_id, **values)
    hook.last_updated_user = user.account_id
    hook.last_updated = backend.now_ms()
    store.next_admin_id += 1
    store.admin[hook.id] = hook
    return hook


def get_admin_webhook(backend: Backend, user: User, webhook_id: str) -> AdminWebhook:
    require_admin(backend, user)
    hook = backend.webhooks.store.admin.get(int(webhook_id)) if webhook_id.isdigit() else None
    if hook is None:
        raise not_found(f"No webhook with id {webhook_id} exists.")
    return hook


def update_admin_webhook(backend: Backend, user: User, webhook_id: str, data: dict[str, Any]) -> AdminWebhook:
    hook = get_admin_webhook(backend, user, webhook_id)
    values = _admin_fields(data, hook)
    check_jql(backend, values.get("jql", ""))
    for attr, value in values.items():
        setattr(hook, attr, value)
    hook.last_updated_user = user.account_id
    hook.last_updated = backend.now_ms()
    return hook


def delete_admin_webhook(backend: Backend, user: User, webhook_id: str) -> None:
    hook = get_admin_webhook(backend, user, webhook_id)
    del backend.webhooks.store.admin[hook.id]


def list_admin_webhooks(backend: Backend, user: User) -> list[AdminWebhook]:
    require_admin(backend, user)
    return sorted(backend.webhooks.store.admin.values(), key=lambda h: h.id)


def check_jql(backend: Backend, jql: str) -> None:
    """A JQL filter that does not parse is refused at registration (when the JQL parser exists)."""
    if not jql:
        return
    try:
        from jiraemu.search import jql as jqlmod
    except ImportError:
        return
    parse = getattr(jqlmod, "parse", None)
    if parse is None:
        return
    try:
        parse(jql)
    except Exception as err:
        messages = getattr(err, "messages", None)
        if messages is None:
            raise
        raise JiraError(400, [], {"filters": "; ".join(messages) or "Invalid JQL."}) from None


# -- dynamic webhooks ----------------------------------------------------------------------------
def app_of(backend: Backend, caller: Any) -> str:
    """The calling app's client id; Basic/PAT callers are not apps (403)."""
    if caller.auth != "oauth2" or not caller.client_id:
        raise forbidden(NOT_AN_APP)
    return str(caller.client_id)


def dynamic_jql_errors(jql: str) -> list[str]:
    """Clauses outside the dynamic-webhook JQL subset, as Jira words them."""
    errors: list[str] = []
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|!=|>=|<=|!~|[=~<>(),]|[^\s=!~<>(),"\']+', jql)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        upper = tok.upper()
        if tok in ("(", ")") or upper in ("AND", "OR", "NOT"):
            i += 1
            continue
        if upper == "ORDER":
            errors.append("ORDER BY is not supported in webhook JQL filters")
            break
        name = tok.strip("\"'")
        base = name.lower()
        supported = base in DYNAMIC_JQL_FIELDS or base.startswith("issue.property") or re.fullmatch(r"cf\[\d+\]", base)
        if not supported:
            errors.append(f"The clause {name} is unsupported")
        i += 1
        op = tokens[i].upper() if i < len(tokens) else ""
        i += 1
        if op in ("NOT", "IS") and i < len(tokens) and tokens[i].upper() in ("IN", "NOT", "EMPTY", "NULL"):
            op = f"{op} {tokens[i].upper()}"
            i += 1
        if supported and op and op not in DYNAMIC_JQL_OPERATORS:
            errors.append(f"The operator '{op}' is unsupported")
        i = _skip_operand(tokens, i)
    return errors


def _skip_operand(tokens: list[str], i: int) -> int:
    """Past one operand: a value, a function call ``f(...)`` or a list ``(a, b)``."""
    if i < len(tokens) and tokens[i] != "(":
        i += 1
    if i < len(tokens) and tokens[i] == "(":
        depth = 0
        while i < len(tokens):
            depth += {"(": 1, ")": -1}.get(tokens[i], 0)
            i += 1
            if depth == 0:
                break
    return i


def register_dynamic(backend: Backend, caller: Any, data: dict[str, Any]) -> list[dict[str, Any]]:
    client_id = app_of(backend, caller)
    store = backend.webhooks.store
    url = data.get("url")
    hooks = data.get("webhooks")
    if not isinstance(url, str) or not url:
        raise JiraError(400, [], {"url": "The webhook URL is required."})
    if not isinstance(hooks, list):
        raise JiraError(400, [], {"webhooks": "A list of webhooks is required."})
    mine = [h for h in store.dynamic.values() if h.client_id == client_id]
    if any(h.url != url for h in mine):
        raise bad_request("Only a single URL per app is allowed to be registered.")
    results: list[dict[str, Any]] = []
    now = backend.now_ms()
    owned = sum(1 for h in mine if h.account_id == caller.user.account_id)
    for spec in hooks:
        errors = _dynamic_errors(backend, spec)
        if not errors and owned >= DYNAMIC_PER_APP_USER:
            errors = [f"The limit of {DYNAMIC_PER_APP_USER} webhooks per app per user has been reached."]
        if errors:
            results.append({"errors": errors})
            continue
        hook = DynamicWebhook(
            id=store.next_dynamic_id,
            client_id=client_id,
            account_id=caller.user.account_id,
            url=url,
            events=list(spec["events"]),
            jql=spec["jqlFilter"],
            field_ids_filter=list(spec["fieldIdsFilter"]) if spec.get("fieldIdsFilter") is not None else None,
            property_keys_filter=(
                list(spec["issuePropertyKeysFilter"]) if spec.get("issuePropertyKeysFilter") is not None else None
            ),
            expiration=now + DYNAMIC_TTL_MS,
        )
        store.next_dynamic_id += 1
        store.dynamic[hook.id] = hook
        owned += 1
        results.append({"createdWebhookId": hook.id})
    return results


def _dynamic_errors(backend: Backend, spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return ["A webhook must be an object."]
    events = spec.get("events")
    if not isinstance(events, list) or not events:
        return ["At least one event is required."]
    bad = [e for e in events if e not in DYNAMIC_EVENTS]
    if bad:
        return [f"The event {e} is not supported" for e in bad]
    jql = spec.get("jqlFilter")
    if not isinstance(jql, str) or not jql.strip():
        return ["The jqlFilter is required."]
    errors = dynamic_jql_errors(jql)
    if errors:
        return errors
    try:
        check_jql(backend, jql)
    except JiraError as err:
        return list(err.errors.values()) or err.messages
    for key in ("fieldIdsFilter", "issuePropertyKeysFilter"):
        value = spec.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            return [f"{key} must be a list of strings."]
    return []


def list_dynamic(backend: Backend, caller: Any) -> list[DynamicWebhook]:
    client_id = app_of(backend, caller)
    return sorted((h for h in backend.webhooks.store.dynamic.values() if h.client_id == client_id), key=lambda h: h.id)


def _ids(data: dict[str, Any]) -> list[int]:
    ids = data.get("webhookIds")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise JiraError(400, [], {"webhookIds": "The list of webhook IDs must not be empty."})
    return ids


def delete_dynamic(backend: Backend, caller: Any, data: dict[str, Any]) -> None:
    client_id = app_of(backend, caller)
    store = backend.webhooks.store
    for wid in _ids(data):
        hook = store.dynamic.get(wid)
        if hook is not None and hook.client_id == client_id:  # other apps' ids are ignored
            del store.dynamic[wid]


def refresh_dynamic(backend: Backend, caller: Any, data: dict[str, Any]) -> int:
    client_id = app_of(backend, caller)
    expiration = backend.now_ms() + DYNAMIC_TTL_MS
    for wid in _ids(data):
        hook = backend.webhooks.store.dynamic.get(wid)
        if hook is not None and hook.client_id == client_id:  # unknown ids are ignored
            hook.expiration = expiration
    return expiration


def failed_dynamic(backend: Backend, caller: Any, after: int | None, max_results: int) -> list[FailedDelivery]:
    """Failures of this app after ``after``, oldest first, kept 72 h; never splits one failure time."""
    client_id = app_of(backend, caller)
    if not backend.config.webhook_failed_for_oauth_apps:
        raise forbidden(NOT_CONNECT)
    horizon = backend.now_ms() - FAILED_RETENTION_MS
    items = sorted(
        (f for f in backend.webhooks.store.failed if f.client_id == client_id and f.failure_time >= horizon),
        key=lambda f: f.failure_time,
    )
    if after is not None:
        items = [f for f in items if f.failure_time > after]
    page = items[:max_results]
    if page and len(items) > len(page):
        last = page[-1].failure_time
        page.extend(f for f in items[len(page) :] if f.failure_time == last)
    return page
