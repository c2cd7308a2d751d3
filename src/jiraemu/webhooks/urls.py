"""Webhook routes: admin webhooks on both flavours, dynamic (app) webhooks on Cloud."""

from jiraemu.http import Route
from jiraemu.webhooks import responses as h

CLOUD = ("cloud",)
ADMIN = "/rest/webhooks/1.0/webhook"

ROUTES = [
    Route("GET", ADMIN, h.list_admin),
    Route("POST", ADMIN, h.create_admin),
    Route("GET", ADMIN + "/{id}", h.get_admin),
    Route("PUT", ADMIN + "/{id}", h.update_admin),
    Route("DELETE", ADMIN + "/{id}", h.delete_admin),
    Route("GET", "/rest/api/{v}/webhook", h.list_dynamic, flavors=CLOUD),
    Route("POST", "/rest/api/{v}/webhook", h.register_dynamic, flavors=CLOUD),
    Route("DELETE", "/rest/api/{v}/webhook", h.delete_dynamic, flavors=CLOUD),
    Route("PUT", "/rest/api/{v}/webhook/refresh", h.refresh_dynamic, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/webhook/failed", h.failed_dynamic, flavors=CLOUD),
]
