"""The control plane's routes under ``/_emulator/`` (plus the auth area's control routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Route

from jiraemu.auth.control import control_routes as auth_control_routes
from jiraemu.control.responses import Control

if TYPE_CHECKING:
    from jiraemu.backend import Backend

BASE = "/_emulator"


def control_routes(backend: Backend) -> list[BaseRoute]:
    c = Control(backend)
    table = [
        ("POST", "/reset", c.reset),
        ("GET", "/truth", c.truth),
        ("GET", "/stats", c.stats),
        ("GET", "/faults", c.get_faults),
        ("POST", "/faults", c.set_faults),
        ("GET", "/config", c.get_config),
        ("POST", "/config", c.set_config),
        ("POST", "/mutate", c.mutate),
        ("GET", "/mutations", c.mutations),
        ("POST", "/mutator", c.start_mutator),
        ("GET", "/mutator", c.get_mutator),
        ("DELETE", "/mutator", c.stop_mutator),
        ("GET", "/users", c.users),
        ("GET", "/clock", c.get_clock),
        ("POST", "/clock", c.set_clock),
        ("GET", "/webhooks/deliveries", c.deliveries),
        ("POST", "/webhook-receiver/{name}", c.receive),
        ("GET", "/webhook-receiver/{name}", c.received),
        ("PUT", "/webhook-receiver/{name}", c.configure_receiver),
        ("DELETE", "/webhook-receiver/{name}", c.clear_receiver),
    ]
    routes: list[BaseRoute] = [Route(BASE + path, c.handle(func), methods=[method]) for method, path, func in table]
    routes.extend(auth_control_routes())
    return routes
