"""Webhook handlers: admin webhooks (``/rest/webhooks/1.0/webhook``) and dynamic webhooks
(Cloud ``/rest/api/{2,3}/webhook``). Shapes: fixtures/datacenter-v2/admin-webhook*.json and the
Cloud spec's PageBeanWebhook / ContainerForRegisteredWebhooks / FailedWebhooks."""

from __future__ import annotations

from typing import Any

from jiraemu.http import JiraRequest, Reply, View
from jiraemu.webhooks import models
from jiraemu.webhooks.models import AdminWebhook, DynamicWebhook

ADMIN_BASE = "/rest/webhooks/1.0/webhook"


def admin_json(view: View, hook: AdminWebhook) -> dict[str, Any]:
    user = view.state.users.get(hook.last_updated_user)
    out: dict[str, Any] = {
        "name": hook.name,
        "url": hook.url,
        "excludeBody": hook.exclude_body,
        "filters": {"issue-related-events-section": hook.jql},
        "events": list(hook.events),
        "enabled": hook.enabled,
        "self": f"{view.base_url}{ADMIN_BASE}/{hook.id}",
        "lastUpdatedUser": (user.account_id if view.is_cloud else user.name) if user else hook.last_updated_user,
        "lastUpdatedDisplayName": user.display_name if user else "",
        "lastUpdated": hook.last_updated,
    }
    if hook.description:
        out["description"] = hook.description
    return out


def dynamic_json(hook: DynamicWebhook) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": hook.id,
        "jqlFilter": hook.jql,
        "url": hook.url,
        "events": list(hook.events),
        "expirationDate": hook.expiration,
    }
    if hook.field_ids_filter is not None:
        out["fieldIdsFilter"] = list(hook.field_ids_filter)
    if hook.property_keys_filter is not None:
        out["issuePropertyKeysFilter"] = list(hook.property_keys_filter)
    return out


# -- admin webhooks ------------------------------------------------------------------------------
def list_admin(req: JiraRequest) -> Any:
    return [admin_json(req, h) for h in models.list_admin_webhooks(req.backend, req.user)]


def create_admin(req: JiraRequest) -> Any:
    hook = models.create_admin_webhook(req.backend, req.user, req.json_object())
    return Reply(admin_json(req, hook), 201)


def get_admin(req: JiraRequest) -> Any:
    return admin_json(req, models.get_admin_webhook(req.backend, req.user, req.p("id")))


def update_admin(req: JiraRequest) -> Any:
    return admin_json(req, models.update_admin_webhook(req.backend, req.user, req.p("id"), req.json_object()))


def delete_admin(req: JiraRequest) -> Any:
    models.delete_admin_webhook(req.backend, req.user, req.p("id"))
    return Reply(None, 204)


# -- dynamic webhooks ----------------------------------------------------------------------------
def list_dynamic(req: JiraRequest) -> Any:
    hooks = models.list_dynamic(req.backend, req.caller)
    start = req.q_int("startAt", 0, minimum=0)
    size = req.q_int("maxResults", 100, minimum=1, maximum=100)
    page = hooks[start : start + size]
    out: dict[str, Any] = {
        "self": req.rest(f"webhook?startAt={start}&maxResults={size}"),
        "maxResults": size,
        "startAt": start,
        "total": len(hooks),
        "isLast": start + len(page) >= len(hooks),
        "values": [dynamic_json(h) for h in page],
    }
    if not out["isLast"]:
        out["nextPage"] = req.rest(f"webhook?startAt={start + size}&maxResults={size}")
    return out


def register_dynamic(req: JiraRequest) -> Any:
    return {"webhookRegistrationResult": models.register_dynamic(req.backend, req.caller, req.json_object())}


def delete_dynamic(req: JiraRequest) -> Any:
    models.delete_dynamic(req.backend, req.caller, req.json_object())
    return Reply(None, 202)


def refresh_dynamic(req: JiraRequest) -> Any:
    return {"expirationDate": models.refresh_dynamic(req.backend, req.caller, req.json_object())}


def failed_dynamic(req: JiraRequest) -> Any:
    after_raw = req.q("after") or req.q("failedAfter")
    after = req.q_int("after" if req.q("after") else "failedAfter", 0) if after_raw else None
    size = req.q_int("maxResults", 100, minimum=1, maximum=100)
    page = models.failed_dynamic(req.backend, req.caller, after, size)
    values = []
    for item in page:
        entry: dict[str, Any] = {"id": item.id, "url": item.url, "failureTime": item.failure_time}
        if item.body is not None:
            entry["body"] = item.body
        values.append(entry)
    out: dict[str, Any] = {"values": values, "maxResults": size}
    if page:
        out["next"] = req.rest(f"webhook/failed?failedAfter={page[-1].failure_time}&maxResults={size}")
    return out
