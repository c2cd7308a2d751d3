"""The Backend: config, clock, seeded state and the services every area shares.

``reset()`` re-initialises all state from the seed (moto's ``reset()``). Services:

* ``auth``     — who is calling (Basic, PAT, OAuth 2.0 3LO, OAuth 1.0a)        jiraemu.auth
* ``traffic``  — fault injection and rate limits, before/after each request    jiraemu.traffic
* ``perms``    — Jira's permission rules (schemes, roles, security levels)    jiraemu.users.permissions
* ``index``    — the search index, lagging writes by ``index_lag_s``          jiraemu.search.index
* ``webhooks`` — delivery of admin and dynamic webhooks                        jiraemu.webhooks.dispatcher
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jiraemu.clock import Clock
from jiraemu.config import EmuConfig
from jiraemu.events import Event
from jiraemu.stats import LoggedRequest, Stats

Observer = Callable[[Request, str, "int | None", bytes, Response], None]


class Backend:
    def __init__(self, config: EmuConfig | None = None) -> None:
        self.config = config or EmuConfig()
        self.clock = Clock()
        self.stats = Stats(self.config.request_log_size)
        self.observers: list[Observer] = []
        self.listeners: list[Callable[[Event], None]] = []
        self.reset()

    @property
    def base_url(self) -> str:
        return self.config.resolved_base_url()

    @property
    def gateway_base(self) -> str:
        """Stands in for https://api.atlassian.com: the same host serves the OAuth gateway."""
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{self.config.host}:{self.config.port}"

    def reset(self, seed: int | None = None) -> None:
        """Rebuild every piece of state from the seed; services start empty."""
        from jiraemu.auth.service import AuthService
        from jiraemu.generator import build_state
        from jiraemu.search.index import SearchIndex
        from jiraemu.traffic import Traffic
        from jiraemu.users.permissions import Permissions
        from jiraemu.webhooks.dispatcher import WebhookDispatcher

        if seed is not None:
            self.config.seed = seed
        self.rng = random.Random(self.config.seed)
        self.started = time.monotonic()
        self.state = build_state(self.config, self.clock.now_ms())
        gc.collect()
        gc.freeze()  # the seeded state lives as long as the backend: keep it out of GC scans
        self.listeners = []
        self.auth = AuthService(self)
        self.traffic = Traffic(self)
        self.perms = Permissions(self)
        self.index = SearchIndex(self)
        self.webhooks = WebhookDispatcher(self)
        self.stats.clear()

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def observe(
        self,
        request: Request,
        template: str,
        api_version: int | None,
        body: bytes,
        response: Response,
        started: float,
        caller: Any,
    ) -> None:
        user = getattr(caller, "user", None)
        self.stats.record(
            LoggedRequest(
                at=self.clock.now_ms(),
                method=request.method,
                path=request.url.path,
                route=template,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                caller=user.account_id if user is not None else None,
                query=request.url.query,
            )
        )
        for observer in self.observers:
            observer(request, template, api_version, body, response)
