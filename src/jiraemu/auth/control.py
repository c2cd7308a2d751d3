"""Control-plane handlers of the auth area (mounted under /_emulator by the control plane).

* ``POST /_emulator/oauth1/consumers {consumer_key, public_key_pem, name?}`` registers an OAuth 1.0a
  consumer (DC) with your own RSA public key.
* ``POST /_emulator/oauth2/apps {client_id?, client_secret?, name?, redirect_uris?, loopback?}``
  registers an OAuth 2.0 (3LO) app (Cloud); missing id/secret are generated and returned.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from jiraemu.http import json_response


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        data = None
    return data if isinstance(data, dict) else {}


async def register_oauth1_consumer(request: Request) -> Response:
    data = await _json(request)
    auth = request.app.state.backend.auth
    try:
        consumer = auth.oauth1.register_consumer(
            str(data.get("consumer_key", "")), str(data.get("public_key_pem", "")), str(data.get("name", "jiraemu consumer"))
        )
    except ValueError as err:
        return json_response({"errorMessages": [str(err)], "errors": {}}, 400)
    return json_response({"consumer_key": consumer.key, "name": consumer.name}, 201)


async def register_oauth2_app(request: Request) -> Response:
    data = await _json(request)
    uris = data.get("redirect_uris") or []
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        return json_response({"errorMessages": ["redirect_uris must be a list of URLs"], "errors": {}}, 400)
    app = request.app.state.backend.auth.oauth2.register_app(
        data.get("client_id"), data.get("client_secret"), str(data.get("name", "jiraemu app")), uris, bool(data.get("loopback", True))
    )
    body = {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "name": app.name,
        "redirect_uris": list(app.redirect_uris),
        "loopback": app.loopback,
    }
    return json_response(body, 201)


def control_routes() -> list[BaseRoute]:
    return [
        Route("/_emulator/oauth1/consumers", register_oauth1_consumer, methods=["POST"]),
        Route("/_emulator/oauth2/apps", register_oauth2_app, methods=["POST"]),
    ]
