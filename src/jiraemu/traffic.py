"""Rate limits and fault injection, applied before and after every Jira request (never /_emulator/).

Rate limits (``config.ratelimit``, all opt-in; jira-api-facts §3 and §2):

* Cloud burst: a token bucket per endpoint template × method holding one second's worth of the
  steady rate (GET/POST 100, PUT/DELETE 50 by default). ``burst_rps`` may also name one endpoint,
  ``{"GET /rest/api/3/issue/{issueIdOrKey}": 150}``; Atlassian's documented per-endpoint rates apply
  while the method's rate is left at its default. Shared by every caller, as on a tenant.
* Cloud per-issue writes: 20 writes per 2 s and 100 per 30 s on one issue.
* Cloud hourly points for OAuth 2.0 (3LO) traffic: 1 point per request plus 1 per returned core
  object (2 per user/group/role/permission object). Once the app's quota is used, every request of
  that app gets 429 until the top of the next UTC hour (no gradual throttling).
* DC: a token bucket per user; every REST response carries X-RateLimit-Limit/Remaining/
  Interval-Seconds/FillRate and retry-after.

429s carry Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (ISO) and
RateLimit-Reason; with ``omit_retry_after`` every second 429 comes without Retry-After (as the
gateway-level 429s do), leaving X-RateLimit-Reset as the only hint.

Faults (``config.faults``, read live on every request so they can change at run time), for paths
containing one of ``faults.paths`` (all Jira paths when empty): added latency (mean ± uniform
jitter, slept asynchronously while sending), 5xx (503 sometimes with Retry-After, 500 with Jira's
JSON, 502 with a proxy's HTML page), 429, connection resets (the socket is closed with RST before
any response byte; for writes half of them happen after the write was applied) and truncated
bodies (``short``: Content-Length promises more than is sent before the connection closes;
``cut``: a consistent Content-Length but the JSON cut in half).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import socket
import struct
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from jiraemu.http import json_response

if TYPE_CHECKING:
    from jiraemu.backend import Backend

WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})
DEFAULT_RPS = {"GET": 100, "POST": 100, "PUT": 50, "DELETE": 50}
# Atlassian's documented endpoint rates (jira-api-facts §3.2)
DOCUMENTED_RPS = {
    ("GET", "/issue/{issueIdOrKey}"): 150,
    ("GET", "/issue/{issueIdOrKey}/changelog"): 200,
    ("POST", "/search/approximate-count"): 150,
}
ISSUE_WINDOWS = ((20, 2_000), (100, 30_000))  # (writes, window ms) per issue
HOUR_MS = 3_600_000
IDENTITY_SEGMENTS = ("/user", "/group", "/role", "/permission", "/myself")
CLOUD_429_BODY = {"errorMessages": ["The request has been rate-limited. Please try again later."], "errors": {}}
DC_429_HTML = (
    '<!doctype html><html lang="en"><head><title>HTTP Status 429 – Too Many Requests</title></head>'
    "<body><h1>HTTP Status 429 – Too Many Requests</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p>"
    "<p><b>Message</b> Rate limit exceeded.</p><p><b>Description</b> The user has sent too many requests in a "
    'given amount of time ("rate limiting").</p><hr class="line" /><h3>Apache Tomcat/9.0.95</h3></body></html>'
)
PROXY_502_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
UNAVAILABLE_503_HTML = (
    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1>"
    "<p>The server is temporarily unable to service your request. Please try again later.</p></body></html>"
)


def iso_utc(ms: int, seconds: bool = True) -> str:
    dt = datetime.fromtimestamp(math.ceil(ms / 1000), UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ")


@dataclass
class Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    at_ms: int

    def refill(self, now_ms: int) -> None:
        if now_ms > self.at_ms:
            self.tokens = min(self.capacity, self.tokens + (now_ms - self.at_ms) / 1000 * self.rate)
            self.at_ms = now_ms

    def take(self, now_ms: int) -> bool:
        self.refill(now_ms)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait_ms(self) -> int:
        """Until one token is back."""
        return max(0, math.ceil((1 - self.tokens) / self.rate * 1000)) if self.rate > 0 else HOUR_MS


class Traffic:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.rng = random.Random(backend.config.seed * 7919 + 17)
        self._burst: dict[tuple[str, str], Bucket] = {}
        self._issue_writes: dict[str, deque[int]] = {}
        self._points: dict[str, tuple[int, int]] = {}  # quota key -> (hour index, points used)
        self._dc: dict[str, Bucket] = {}
        self._throttled = 0  # 429s sent (omit_retry_after drops Retry-After on every second one)

    def now(self) -> int:
        return self.backend.clock.now_ms()

    # -- hooks -----------------------------------------------------------------------------------
    def before(self, request: Request, caller: Any, template: str) -> Response | None:
        path = request.url.path
        if path.startswith("/_emulator/"):
            return None
        marks: dict[str, Any] = {}
        request.scope["jiraemu.traffic"] = marks
        early = self._faults_before(request, marks)
        if early is not None:
            return early
        if not path.startswith("/rest/"):
            return None
        cfg = self.backend.config.ratelimit
        if not self.backend.config.is_cloud:
            return self._dc_take(caller, marks) if cfg.dc_bucket else None
        if cfg.oauth_points_per_hour and getattr(caller, "auth", None) == "oauth2":
            limited = self._quota_check(caller)
            if limited is not None:
                return limited
        if cfg.burst:
            limited = self._burst_take(request.method, template)
            if limited is not None:
                return limited
        if cfg.per_issue_writes and request.method in WRITES:
            return self._issue_write(request, template)
        return None

    def after(self, request: Request, caller: Any, template: str, response: Response) -> Response | None:
        path = request.url.path
        if path.startswith("/_emulator/"):
            return None
        marks: dict[str, Any] = request.scope.get("jiraemu.traffic") or {}
        dc = marks.get("dc")
        if dc is not None:
            response.headers.update(dc)
        if marks.get("charge") is not False and getattr(caller, "auth", None) == "oauth2":
            quota = self.backend.config.ratelimit.oauth_points_per_hour
            if quota and path.startswith("/rest/"):
                self._quota_charge(caller, request.method, template, response, quota)
        out: Response | None = None
        if marks.get("reset"):
            out = ResetResponse()
        elif marks.get("truncate") and isinstance(getattr(response, "body", None), bytes) and len(response.body) > 1:
            out = self._truncate(response, marks["truncate"])
        delay = marks.get("delay", 0.0)
        if delay > 0:
            out = DelayedResponse(out or response, delay)
        return out

    # -- faults ----------------------------------------------------------------------------------
    def _faults_before(self, request: Request, marks: dict[str, Any]) -> Response | None:
        faults = self.backend.config.faults
        path = request.url.path
        if faults.paths and not any(p in path for p in faults.paths):
            return None
        rng = self.rng
        if faults.latency_ms > 0 or faults.latency_jitter_ms > 0:
            jitter = rng.uniform(-faults.latency_jitter_ms, faults.latency_jitter_ms)
            marks["delay"] = max(0.0, faults.latency_ms + jitter) / 1000
        if faults.truncate_rate > 0 and rng.random() < faults.truncate_rate:
            mode = faults.truncate_mode if faults.truncate_mode in ("short", "cut") else rng.choice(("short", "cut"))
            marks["truncate"] = mode
        roll = rng.random()
        if roll < faults.error_5xx_rate:
            marks["charge"] = False
            return self._server_error()
        roll -= faults.error_5xx_rate
        if roll < faults.error_429_rate:
            marks["charge"] = False
            rps = self.backend.config.ratelimit.burst_rps.get(request.method, 100)
            return self.too_many("jira-burst-based", rps, 1000)
        roll -= faults.error_429_rate
        if roll < faults.reset_rate:
            marks["charge"] = False
            if request.method in WRITES and rng.random() < 0.5:
                marks["reset"] = True  # the write goes through; the client never hears of it
                return None
            return ResetResponse()
        return None

    def _server_error(self) -> Response:
        kind = self.rng.choice((500, 502, 503))
        if kind == 500:
            return json_response({"errorMessages": ["Internal server error"], "errors": {}}, 500)
        if kind == 502:
            return Response(PROXY_502_HTML, 502, media_type="text/html")
        headers = {"Retry-After": str(self.rng.randint(1, 5))} if self.rng.random() < 0.5 else {}
        return Response(UNAVAILABLE_503_HTML, 503, headers=headers, media_type="text/html")

    def _truncate(self, response: Response, mode: str) -> Response:
        body = bytes(response.body)
        cut = max(1, len(body) // 2)
        if mode == "short":
            return TruncatedResponse(response, cut)
        out = Response(body[:cut], status_code=response.status_code)
        out.raw_headers = [(k, v) for k, v in response.raw_headers if k != b"content-length"]
        out.raw_headers.append((b"content-length", str(cut).encode()))
        return out

    # -- 429 -------------------------------------------------------------------------------------
    def too_many(
        self, reason: str, limit: int, wait_ms: int, reset_ms: int | None = None, minute_reset: bool = False
    ) -> Response:
        now = self.now()
        reset_at = reset_ms if reset_ms is not None else now + wait_ms
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": iso_utc(reset_at, seconds=not minute_reset),
            "RateLimit-Reason": reason,
        }
        self._throttled += 1
        if not (self.backend.config.ratelimit.omit_retry_after and self._throttled % 2 == 0):
            headers["Retry-After"] = str(max(1, math.ceil(wait_ms / 1000)))
        if self.backend.config.is_cloud:
            return json_response(CLOUD_429_BODY, 429, headers)
        return Response(DC_429_HTML, 429, headers=headers, media_type="text/html;charset=utf-8")

    # -- Cloud burst -----------------------------------------------------------------------------
    def _rps(self, method: str, template: str) -> float:
        configured = self.backend.config.ratelimit.burst_rps
        explicit = configured.get(f"{method} {template}")
        if explicit is not None:
            return float(explicit)
        base = configured.get(method, DEFAULT_RPS.get(method, 100))
        if base == DEFAULT_RPS.get(method):
            tail = template.split("/rest/api/", 1)[-1][1:] if "/rest/api/" in template else ""
            documented = DOCUMENTED_RPS.get((method, tail))
            if documented is not None:
                return float(documented)
        return float(base)

    def _burst_take(self, method: str, template: str) -> Response | None:
        now = self.now()
        key = (method, template)
        bucket = self._burst.get(key)
        if bucket is None:
            rps = self._rps(method, template)
            bucket = self._burst[key] = Bucket(rps, rps, rps, now)
        if bucket.take(now):
            return None
        return self.too_many("jira-burst-based", int(bucket.capacity), max(bucket.wait_ms(), 1))

    # -- Cloud per-issue writes ------------------------------------------------------------------
    def _issue_write(self, request: Request, template: str) -> Response | None:
        ref = request.path_params.get("issueIdOrKey") or request.path_params.get("issueId")
        if ref is None or "{issue" not in template:
            return None
        issue = self.backend.state.issue_by_key_or_id(str(ref))
        key = str(issue.id) if issue is not None else str(ref).upper()
        now = self.now()
        times = self._issue_writes.setdefault(key, deque())
        longest = ISSUE_WINDOWS[-1][1]
        while times and now - times[0] >= longest:
            times.popleft()
        for limit, window in ISSUE_WINDOWS:
            recent = [t for t in times if now - t < window]
            if len(recent) >= limit:
                wait = recent[-limit] + window - now
                return self.too_many("jira-per-issue-on-write", limit, max(wait, 1))
        times.append(now)
        return None

    # -- Cloud hourly points (OAuth 2.0 apps) ----------------------------------------------------
    def _quota_key(self, caller: Any) -> str:
        tenant = self.backend.config.ratelimit.quota_tier == "tenant"
        app = str(getattr(caller, "client_id", "") or "")
        return f"{self.backend.state.site.cloud_id}:{app}" if tenant else app

    def _used(self, key: str) -> int:
        hour, used = self._points.get(key, (-1, 0))
        return used if hour == self.now() // HOUR_MS else 0

    def _quota_check(self, caller: Any) -> Response | None:
        quota = int(self.backend.config.ratelimit.oauth_points_per_hour or 0)
        key = self._quota_key(caller)
        if self._used(key) < quota:
            return None
        now = self.now()
        reset = (now // HOUR_MS + 1) * HOUR_MS
        tier = self.backend.config.ratelimit.quota_tier
        reason = "jira-quota-tenant-based" if tier == "tenant" else "jira-quota-global-based"
        return self.too_many(reason, quota, reset - now, reset_ms=reset, minute_reset=True)

    def _quota_charge(self, caller: Any, method: str, template: str, response: Response, quota: int) -> None:
        if response.status_code == 429:
            return
        key = self._quota_key(caller)
        hour = self.now() // HOUR_MS
        used = self._used(key) + points(method, template, response)
        self._points[key] = (hour, used)
        tier = self.backend.config.ratelimit.quota_tier
        policy = "tenant-app-quota" if tier == "tenant" else "global-app-quota"
        remaining = max(0, quota - used)
        reset_s = math.ceil(((hour + 1) * HOUR_MS - self.now()) / 1000)
        response.headers["RateLimit-Policy"] = f'"{policy}";q={quota};w=3600'
        if used >= quota * 0.8:
            response.headers["RateLimit"] = f'"{policy}";r={remaining};t={reset_s}'
        else:
            response.headers["RateLimit"] = f'"{policy}";t={reset_s}'
        if remaining < quota * 0.2:
            response.headers["X-RateLimit-NearLimit"] = "true"

    # -- DC token bucket -------------------------------------------------------------------------
    def _dc_take(self, caller: Any, marks: dict[str, Any]) -> Response | None:
        capacity, rate = self.backend.config.ratelimit.dc_bucket or (0, 0.0)
        user = getattr(caller, "user", None)
        key = user.account_id if user is not None else "anonymous"
        now = self.now()
        bucket = self._dc.get(key)
        if bucket is None or bucket.capacity != capacity or bucket.rate != rate:
            bucket = self._dc[key] = Bucket(float(capacity), float(rate), float(capacity), now)
        allowed = bucket.take(now)
        if rate >= 1:
            interval, fill = 1, rate
        else:
            interval = math.ceil(1 / rate) if rate > 0 else 3600
            fill = rate * interval
        headers = {
            "X-RateLimit-Limit": str(int(capacity)),
            "X-RateLimit-Remaining": str(int(bucket.tokens)),
            "X-RateLimit-Interval-Seconds": str(interval),
            "X-RateLimit-FillRate": str(int(fill)) if float(fill).is_integer() else f"{fill:g}",
            "retry-after": "0" if allowed else str(max(1, math.ceil(bucket.wait_ms() / 1000))),
        }
        marks["dc"] = headers
        if allowed:
            return None
        return Response(DC_429_HTML, 429, headers=headers, media_type="text/html;charset=utf-8")


def points(method: str, template: str, response: Response) -> int:
    """Cost of one request: 1, plus each returned object (identity objects count twice)."""
    if method in WRITES and not template.endswith(("/search/jql", "/bulkfetch", "/search")):
        return 1
    if response.status_code >= 300 or "json" not in (response.headers.get("content-type") or ""):
        return 1
    try:
        data = orjson.loads(response.body)
    except (orjson.JSONDecodeError, TypeError):
        return 1
    if isinstance(data, list):
        count = len(data)
    elif isinstance(data, dict):
        for name in ("issues", "values", "users", "comments", "worklogs", "histories"):
            items = data.get(name)
            if isinstance(items, list):
                count = len(items)
                break
        else:
            count = 1
    else:
        count = 0
    weight = 2 if any(seg in template for seg in IDENTITY_SEGMENTS) else 1
    return 1 + count * weight


# -- responses that misbehave on the wire ------------------------------------------------------------
def _server_cycle(scope: Scope) -> Any:
    """uvicorn's per-request cycle (owner of the transport), reached through the server's send."""
    return getattr(scope.get("jiraemu.send"), "__self__", None)


async def _until_disconnected(cycle: Any) -> None:
    for _ in range(200):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.001)


class ResetResponse(Response):
    """Drops the connection with a TCP reset before sending a single byte."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=599)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cycle = _server_cycle(scope)
        transport = getattr(cycle, "transport", None)
        if transport is None:  # not under uvicorn: abort mid-response, which every server closes on
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
            raise ConnectionAbortedError("jiraemu fault: connection reset")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        await _until_disconnected(cycle)


class TruncatedResponse(Response):
    """Sends the headers (with the full Content-Length) and part of the body, then closes."""

    def __init__(self, inner: Response, cut: int) -> None:
        super().__init__(b"", status_code=inner.status_code)
        self.inner = inner
        self.cut = cut

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytes(self.inner.body)
        await send({"type": "http.response.start", "status": self.inner.status_code, "headers": self.inner.raw_headers})
        await send({"type": "http.response.body", "body": body[: self.cut], "more_body": True})
        cycle = _server_cycle(scope)
        transport = getattr(cycle, "transport", None)
        if transport is None:
            raise ConnectionAbortedError("jiraemu fault: truncated body")
        transport.close()
        await _until_disconnected(cycle)


class DelayedResponse(Response):
    """Added latency: sleeps on the event loop, then sends the real response."""

    def __init__(self, inner: Response, delay_s: float) -> None:
        super().__init__(b"", status_code=inner.status_code)
        self.inner = inner
        self.delay_s = delay_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(self.delay_s)
        await self.inner(scope, receive, send)
