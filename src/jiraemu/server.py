"""The ASGI app and an in-process server on a free loopback port (real HTTP, for tests).

Path handling before routing: a DC context path (``/jira``) is stripped, and OAuth 2.0 gateway
calls ``/ex/jira/{cloudId}/rest/...`` are routed to ``/rest/...`` with self links kept on the
gateway base, as api.atlassian.com does.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.routing import Route as StarletteRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from jiraemu.backend import Backend
from jiraemu.config import EmuConfig
from jiraemu.errors import JiraError
from jiraemu.http import error_response, make_endpoint
from jiraemu.urls import jira_routes


class PathRewrite:
    """Strips the DC context path and the OAuth gateway prefix before routing."""

    def __init__(self, app: ASGIApp, backend: Backend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # the server's own send (traffic.py drops connections through it) and the path as the
            # client signed it (OAuth 1.0a signatures cover the context path)
            scope = dict(scope)
            scope["jiraemu.send"] = send
            scope["jiraemu.original_path"] = scope["path"]
            path: str = scope["path"]
            config = self.backend.config
            ctx = config.context_path.rstrip("/")
            if ctx and not config.is_cloud and path.startswith(ctx + "/"):
                path = path[len(ctx) :]
            if path.startswith("/rest/api/latest/"):  # Jira serves "latest" as version 2
                path = "/rest/api/2/" + path[len("/rest/api/latest/") :]
            if path.startswith("/ex/jira/") and config.is_cloud:
                rest = path[len("/ex/jira/") :]
                cloud_id, _, tail = rest.partition("/")
                if cloud_id != self.backend.state.site.cloud_id:
                    err = JiraError(404, body={"code": 404, "message": "Unknown cloud id or site."})
                    await error_response(err)(scope, receive, send)
                    return
                scope = dict(scope)
                scope["jiraemu.gateway"] = cloud_id
                scope["jiraemu.gateway_base"] = f"{self.backend.gateway_base}/ex/jira/{cloud_id}"
                path = "/" + tail
            if path != scope["path"]:
                scope = dict(scope)
                scope["path"] = path
                scope["raw_path"] = path.encode()
        await self.app(scope, receive, send)


def build_routes(backend: Backend) -> list[BaseRoute]:
    flavor = backend.config.flavor
    routes: list[BaseRoute] = []
    for route in jira_routes():
        if flavor not in route.flavors:
            continue
        if "{v}" in route.path:
            versions = route.versions if flavor == "cloud" else tuple(v for v in route.versions if v == 2)
            for v in versions:
                template = route.path.replace("{v}", str(v))
                endpoint = make_endpoint(backend, route, v, template)
                routes.append(StarletteRoute(template, endpoint, methods=[route.method]))
        else:
            api_version = 2 if "/rest/api/2/" in route.path else (3 if "/rest/api/3/" in route.path else None)
            endpoint = make_endpoint(backend, route, api_version, route.path)
            routes.append(StarletteRoute(route.path, endpoint, methods=[route.method]))
    try:
        from jiraemu.control.urls import control_routes

        routes.extend(control_routes(backend))
    except ModuleNotFoundError as exc:
        if exc.name != "jiraemu.control.urls":
            raise
    return routes


def create_app(backend: Backend | EmuConfig | None = None) -> ASGIApp:
    if not isinstance(backend, Backend):
        backend = Backend(backend)
    app = Starlette(routes=build_routes(backend))
    app.state.backend = backend
    wrapped = PathRewrite(app, backend)
    wrapped.backend = backend
    return wrapped


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class EmulatorServer:
    """Runs jiraemu in a background thread on a loopback port: ``with EmulatorServer(cfg) as emu:``.

    ``emu.url`` is the base URL, ``emu.backend`` the live backend (tests read ground truth from it).
    """

    def __init__(self, config: EmuConfig | None = None, port: int = 0) -> None:
        self.config = config or EmuConfig()
        self.config.host = self.config.host or "127.0.0.1"
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # uvicorn then sets TCP_NODELAY on accepted sockets
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.config.host, port))
        self.config.port = int(self._sock.getsockname()[1])
        self.backend = Backend(self.config)
        self.app = create_app(self.backend)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return self.backend.base_url

    def start(self) -> EmulatorServer:
        kwargs: dict[str, Any] = {}
        if self.config.tls:
            from jiraemu.tls import ensure_certificate

            cert, key = ensure_certificate(self.config)
            kwargs.update(ssl_certfile=cert, ssl_keyfile=key)
        uconfig = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30, **kwargs
        )
        self._server = uvicorn.Server(uconfig)

        def run() -> None:
            assert self._server is not None
            loop = asyncio.new_event_loop()
            self.loop = loop
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._server.serve(sockets=[self._sock]))

        self._thread = threading.Thread(target=run, name="jiraemu", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("jiraemu did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
