"""The async Jira client: one per connection, pooled keep-alive connections, bounded concurrency,
retries that respect Jira's rate-limit signals, and a client-side budget.

Retry policy (one place):

* 429: wait ``Retry-After``, else ``X-RateLimit-Reset``, else exponential backoff with full jitter.
  A quota reason (``jira-quota-*``) pauses **every** request of the connection until the reset; a
  burst reason slows only that endpoint. 429 is retried for any method (Jira did not process it).
* 5xx, connection failures, resets, timeouts and cut bodies: retried with backoff up to
  ``max_retries`` — for idempotent requests only (GET/PUT/DELETE and the POSTs that only read);
  a non-idempotent write is never repeated blindly (the push engine reconciles instead).
* 401 and 403 are never retried: a retry loop against Atlassian's auth can lock the account.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from jirasync.client import _transport
from jirasync.client.budget import Budget
from jirasync.exceptions import JiraError, RateLimited, RetriableError

log = logging.getLogger("jirasync.http")

READ_ONLY_POSTS = re.compile(
    r"/(search/jql|search|search/approximate-count|issue/bulkfetch|changelog/bulkfetch|comment/list|"
    r"user/bulk|jql/parse|permissions/check|worklog/list)$"
)
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


_READ = httpx.ByteStream(b"")  # a response's stream once its body is read


@dataclass
class ClientOptions:
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    concurrency: int = 8
    max_retries: int = 6
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 60.0
    max_wait_s: float = 3660.0  # the longest single wait: an hourly quota reset, plus a minute
    budget: Budget | None = None
    verify: Any = True  # bool, CA bundle path or ssl.SSLContext
    user_agent: str = "jirasync/0.1"


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429s received
    waited_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "waited_s": round(self.waited_s, 3),
            "statuses": dict(self.statuses),
        }


def endpoint_template(path: str) -> str:
    """``/rest/api/3/issue/SEC-1/comment`` → ``/rest/api/3/issue/{}/comment`` (for per-endpoint pacing)."""
    return re.sub(r"/(\d+|[A-Z][A-Z0-9_]+-\d+)(?=/|$)", "/{}", path.split("?", 1)[0])


class JiraClient:
    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth | None,
        *,
        options: ClientOptions | None = None,
        auth_kind: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.options = options or ClientOptions()
        self.auth_kind = auth_kind
        self.stats = ClientStats()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._sem = asyncio.Semaphore(self.options.concurrency)
        self._paused_until = 0.0  # quota pause: the whole connection
        self._slow: dict[str, float] = {}  # burst pause per endpoint template
        limits = httpx.Limits(max_connections=self.options.concurrency, max_keepalive_connections=self.options.concurrency)
        if transport is None:  # small requests must not wait for Nagle's algorithm (halves serial write time)
            transport = httpx.AsyncHTTPTransport(
                verify=self.options.verify, limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            timeout=httpx.Timeout(self.options.timeout_s, connect=self.options.connect_timeout_s),
            limits=limits,
            transport=transport,
            verify=self.options.verify,
            headers={"Accept": "application/json", "User-Agent": self.options.user_agent},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"JiraClient({self.base_url!r}, auth={self.auth_kind or 'none'})"

    async def __aenter__(self) -> JiraClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- verbs -------------------------------------------------------------------------------------
    async def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return await self.request("GET", path, params=params, **kw)

    async def post(self, path: str, json: Any = None, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return await self.request("POST", path, params=params, json=json, **kw)

    async def put(self, path: str, json: Any = None, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return await self.request("PUT", path, params=params, json=json, **kw)

    async def delete(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return await self.request("DELETE", path, params=params, **kw)

    # -- the loop ----------------------------------------------------------------------------------
    def idempotent(self, method: str, path: str) -> bool:
        return method in IDEMPOTENT_METHODS or (method == "POST" and bool(READ_ONLY_POSTS.search(path.split("?", 1)[0])))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one logical request (with retries); returns parsed JSON, or the response if ``raw``."""
        method = method.upper()
        safe = self.idempotent(method, path) if idempotent is None else idempotent
        template = endpoint_template(path)
        attempt = 0
        while True:
            await self._gate(template)
            started = self._clock()
            error: JiraError | None = None
            response: httpx.Response | None = None
            async with self._sem:
                self.stats.requests += 1
                try:
                    response = await self._http.request(
                        method, path, params=params, json=json, content=content, files=files, headers=headers
                    )
                    # the body is read and the stream closed; httpx's stream refers back to its response, and
                    # that cycle kept every body (1.4 MB a search page) alive until a garbage collection
                    response.stream = _READ
                except httpx.HTTPError as exc:
                    error = _transport.network_error(exc, method, path)
            result: Any = None
            if response is not None:
                self.stats.statuses[response.status_code] += 1
                error = _transport.classify(response, method, path, self.auth_kind)
                if error is None:
                    if raw:
                        result = response
                    elif response.status_code == 204 or not response.content:
                        result = None
                    else:
                        try:
                            result = orjson.loads(response.content)
                        except orjson.JSONDecodeError:
                            error = _transport.body_cut(method, path)
            self._log(method, path, response, started, attempt, error)
            if error is None:
                return result
            if isinstance(error, RateLimited):
                self.stats.throttled += 1
            if not self._should_retry(error, safe, attempt):
                raise error
            delay = self._delay(error, attempt)
            self._pace(error, template, delay)
            attempt += 1
            self.stats.retries += 1
            self.stats.waited_s += delay
            await self._sleep(delay)

    def _should_retry(self, error: JiraError, safe: bool, attempt: int) -> bool:
        if not isinstance(error, RetriableError) or attempt >= self.options.max_retries:
            return False
        return isinstance(error, RateLimited) or safe

    def _delay(self, error: JiraError, attempt: int) -> float:
        hinted = error.retry_after if isinstance(error, RetriableError) else None
        if hinted is not None:
            return min(self.options.max_wait_s, hinted + self._rng.uniform(0, 0.25))
        ceiling = min(self.options.backoff_cap_s, self.options.backoff_base_s * (2**attempt))
        return self._rng.uniform(ceiling / 2, ceiling)  # "equal jitter": never zero, never synchronized

    def _pace(self, error: JiraError, template: str, delay: float) -> None:
        if not isinstance(error, RateLimited):
            return
        until = self._clock() + delay
        if (error.reason or "").startswith("jira-quota"):
            self._paused_until = max(self._paused_until, until)
        else:
            self._slow[template] = max(self._slow.get(template, 0.0), until)

    async def _gate(self, template: str) -> None:
        while True:
            now = self._clock()
            until = max(self._paused_until, self._slow.get(template, 0.0))
            if until - now <= 0.001:  # clocks tick in milliseconds
                break
            self.stats.waited_s += until - now
            await self._sleep(until - now)
        if self.options.budget is not None:
            self.stats.waited_s += await self.options.budget.acquire()

    def _log(
        self, method: str, path: str, response: httpx.Response | None, started: float, attempt: int, error: JiraError | None
    ) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        status = response.status_code if response is not None else "-"
        rid = _transport.request_id(response) if response is not None else None
        log.debug(
            "%s %s -> %s in %.0f ms (retry %d, request id %s)%s",
            method,
            path.split("?", 1)[0],
            status,
            (self._clock() - started) * 1000,
            attempt,
            rid or "-",
            f": {error.message}" if error is not None else "",
        )
