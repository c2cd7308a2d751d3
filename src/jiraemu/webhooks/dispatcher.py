"""Webhook delivery: listens to backend events, picks the webhooks that match, and POSTs Jira-shaped
bodies from a background thread (never on the request path).

* Matching happens when the event is emitted (the JQL sees the issue as the write left it):
  enabled admin webhooks subscribed to the event whose ``issue-related-events-section`` JQL matches
  (empty JQL = every issue); live (unexpired) dynamic webhooks whose JQL subset matches, whose
  registering user can see the issue, and — for ``jira:issue_updated`` — whose ``fieldIdsFilter``
  names a changed field. One delivery per admin webhook; one per app for dynamic webhooks, listing
  ``matchedWebhookIds``.
* Delivery is at-least-once, in event order per destination (one queue per admin webhook / app):
  ``config.webhook_timeout_s`` per attempt, retries after ``config.webhook_retry_delays_s`` on
  408/409/425/429/5xx, timeouts and connection errors (Jira Cloud's rules, jira-api-facts §4.3),
  with ``X-Atlassian-Webhook-Retry: <n>`` on retries and the same ``X-Atlassian-Webhook-Identifier``
  on every attempt. Other statuses are final. A dynamic delivery that exhausts its retries lands in
  ``GET webhook/failed``.
* Headers: ``User-Agent: Atlassian Webhook HTTP Client``, ``X-Atlassian-Webhook-Identifier``,
  ``X-Atlassian-Webhook-Flow: Primary``; admin webhooks with a secret add ``X-Hub-Signature:
  sha256=<hex HMAC-SHA256(secret, raw body)>``; dynamic webhooks carry ``Authorization: Bearer <JWT>``
  (HS256 with the app's client secret) and are never HMAC-signed.
* Every delivery and attempt is kept in a bounded log (``GET /_emulator/webhooks/deliveries``).

If ``jiraemu.search.jql`` is not available, webhooks are delivered unfiltered (``jql_available``
tells which).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import importlib
import re
import threading
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import orjson

from jiraemu import events as ev
from jiraemu.events import Event
from jiraemu.http import ANONYMOUS, Caller
from jiraemu.state import Issue, User
from jiraemu.webhooks.models import AdminWebhook, DynamicWebhook, FailedDelivery, WebhookStore
from jiraemu.webhooks.payloads import build_payload

if TYPE_CHECKING:
    from jiraemu.backend import Backend

RETRY_STATUSES = frozenset({408, 409, 425, 429})
USER_AGENT = "Atlassian Webhook HTTP Client"
LOG_SIZE = 2000
IDLE_STOP_S = 1.0  # the delivery thread ends after this long with nothing to deliver
URL_VARIABLE = re.compile(r"\$\{([a-zA-Z.]+)\}")


def retriable(status: int) -> bool:
    return status in RETRY_STATUSES or status >= 500


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Attempt:
    at: int
    retry: int
    status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


@dataclass
class Delivery:
    id: str  # X-Atlassian-Webhook-Identifier, stable across retries
    kind: str  # admin | dynamic
    webhook_ids: list[int]
    url: str
    event: str
    issue_key: str | None
    body: bytes | None
    headers: dict[str, str]
    created: int
    queue_key: str
    client_id: str | None = None
    jwt_secret: str | None = None
    jwt_subject: str | None = None
    state: str = "pending"  # pending | delivered | rejected (final non-2xx) | failed (retries exhausted)
    attempts: list[Attempt] = field(default_factory=list)

    def as_json(self, with_body: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "webhookIds": self.webhook_ids,
            "url": self.url,
            "event": self.event,
            "issueKey": self.issue_key,
            "state": self.state,
            "created": self.created,
            "attempts": [a.__dict__ for a in self.attempts],
            "headers": {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
        }
        if with_body:
            out["body"] = orjson.loads(self.body) if self.body else None
        return out


class WebhookDispatcher:
    def __init__(self, backend: Backend) -> None:
        previous = getattr(backend, "webhooks", None)
        if isinstance(previous, WebhookDispatcher):
            previous.close()
        self.backend = backend
        self.store = WebhookStore()
        self.log: deque[Delivery] = deque(maxlen=LOG_SIZE)
        self.pending = 0
        self.errors: deque[dict[str, Any]] = deque(maxlen=100)  # events that could not be dispatched
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._closed = False
        backend.listeners.append(self.on_event)

    # -- matching --------------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        if self._closed or event.extra.get("webhooks") is False:
            return
        if not self.store.admin and not self.store.dynamic:
            return
        try:
            self._dispatch(event)
        except Exception as exc:  # a webhook problem must never fail the write that emitted the event
            self.errors.append({"at": self.backend.now_ms(), "event": event.kind, "error": repr(exc)[:500]})

    def _dispatch(self, event: Event) -> None:
        rendered: dict[str, bytes | None] = {}

        def body_for(viewer: User | None) -> bytes | None:
            key = viewer.account_id if viewer else ""
            if key not in rendered:
                payload = build_payload(self.backend, event, Caller(viewer, "basic") if viewer else ANONYMOUS)
                rendered[key] = orjson.dumps(payload) if payload is not None else None
            return rendered[key]

        for hook in list(self.store.admin.values()):
            if hook.enabled and event.kind in hook.events and self._matches(hook.jql, event.issue, None):
                self._admin_delivery(hook, event, body_for)
        for client_id, hooks in self._dynamic_matches(event).items():
            self._dynamic_delivery(client_id, hooks, event, body_for)

    def _dynamic_matches(self, event: Event) -> dict[str, list[DynamicWebhook]]:
        now = self.backend.now_ms()
        out: dict[str, list[DynamicWebhook]] = {}
        for hook in list(self.store.dynamic.values()):
            if hook.expiration <= now or event.kind not in hook.events or event.issue is None:
                continue
            user = self.backend.state.users.get(hook.account_id)
            if user is None or not user.active or not self.backend.perms.can_see_issue(user, event.issue):
                continue
            if _filters_pass(hook, event) and self._matches(hook.jql, event.issue, user):
                out.setdefault(hook.client_id, []).append(hook)
        return out

    def _matches(self, jql: str, issue: Issue | None, user: User | None) -> bool:
        if not jql.strip() or issue is None:
            return True
        matcher = self._matcher(jql, user)
        return True if matcher is None else matcher(issue)

    @property
    def jql_available(self) -> bool:
        """False while ``jiraemu.search.jql`` lacks parse/compile_query/JqlContext (no filtering)."""
        return jql_api() is not None

    def _matcher(self, jql: str, user: User | None) -> Callable[[Issue], bool] | None:
        api = jql_api()
        if api is None:
            return None
        parse, compile_query, jql_context = api
        state = self.backend.state
        site_tz = state.site.site_timezone
        ctx = jql_context(
            state=state,
            user=user,
            now_ms=self.backend.now_ms(),
            tz=user.time_zone if user else site_tz,
            site_tz=site_tz,
        )
        try:
            plan = compile_query(parse(jql), ctx)
        except NotImplementedError:
            return None
        except Exception as err:
            if hasattr(err, "messages"):  # JqlError / JiraError: a filter Jira cannot run matches nothing
                return lambda issue: False
            raise
        return lambda issue: bool(plan.matches(issue))

    # -- building deliveries ---------------------------------------------------------------------
    def _base_headers(self, ident: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": USER_AGENT,
            "X-Atlassian-Webhook-Identifier": ident,
            "X-Atlassian-Webhook-Flow": "Primary",
        }

    def _admin_delivery(self, hook: AdminWebhook, event: Event, body_for: Callable[[User | None], bytes | None]) -> None:
        owner = self.backend.state.users.get(hook.last_updated_user)
        body = body_for(owner)
        if body is None:
            return
        ident = str(uuid.uuid4())
        headers = self._base_headers(ident)
        sent = b"" if hook.exclude_body else body
        if hook.secret:
            headers["X-Hub-Signature"] = signature(hook.secret, sent)
        url = self._substitute(hook.url, event)
        self._submit(
            Delivery(ident, "admin", [hook.id], url, event.kind, _key(event), sent, headers, self.backend.now_ms(), f"admin:{hook.id}")
        )

    def _dynamic_delivery(
        self, client_id: str, hooks: list[DynamicWebhook], event: Event, body_for: Callable[[User | None], bytes | None]
    ) -> None:
        user = self.backend.state.users.get(hooks[0].account_id)
        body = body_for(user)
        if body is None:
            return
        payload = orjson.loads(body)
        payload["matchedWebhookIds"] = [h.id for h in hooks]
        ident = str(uuid.uuid4())
        app = self.backend.auth.oauth2.apps.get(client_id)
        delivery = Delivery(
            ident,
            "dynamic",
            [h.id for h in hooks],
            hooks[0].url,
            event.kind,
            _key(event),
            orjson.dumps(payload),
            self._base_headers(ident),
            self.backend.now_ms(),
            f"app:{client_id}",
            client_id=client_id,
            jwt_secret=app.client_secret if app else None,
            jwt_subject=hooks[0].account_id,
        )
        self._submit(delivery)

    def _substitute(self, url: str, event: Event) -> str:
        issue = event.issue
        project = self.backend.state.projects.get(issue.project_id) if issue else None
        values = {
            "issue.id": str(issue.id) if issue else "",
            "issue.key": issue.key if issue else "",
            "project.id": str(project.id) if project else "",
            "project.key": project.key if project else "",
            "comment.id": str(event.comment.id) if event.comment else "",
            "worklog.id": str(event.worklog.id) if event.worklog else "",
        }
        return URL_VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), url)

    # -- the delivery thread ---------------------------------------------------------------------
    def _submit(self, delivery: Delivery) -> None:
        with self._lock:
            self.log.append(delivery)
            self.pending += 1
            loop = self._ensure_thread()
            loop.call_soon_threadsafe(self._enqueue, delivery)

    def _ensure_thread(self) -> asyncio.AbstractEventLoop:
        if self._loop is not None:
            return self._loop
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="jiraemu-webhooks", daemon=True)
        self._thread.start()
        ready.wait(5)
        self._loop = loop
        return loop

    def _enqueue(self, delivery: Delivery) -> None:
        queue = self._queues.get(delivery.queue_key)
        if queue is None:
            # one drain task per destination keeps event order; it ends when its queue runs dry, so
            # an idle dispatcher holds no pending tasks
            queue = self._queues[delivery.queue_key] = asyncio.Queue()
            asyncio.get_running_loop().create_task(self._drain(delivery.queue_key, queue))
        queue.put_nowait(delivery)

    async def _drain(self, key: str, queue: asyncio.Queue[Delivery]) -> None:
        client = httpx.AsyncClient(verify=False, follow_redirects=False)
        try:
            while True:
                if queue.empty() or self._closed:
                    del self._queues[key]  # no await between the check and the removal: nothing is lost
                    if not self._queues:
                        asyncio.get_running_loop().call_later(IDLE_STOP_S, self._stop_if_idle)
                    return
                delivery = queue.get_nowait()
                try:
                    await self._deliver(client, delivery)
                except Exception as exc:  # a broken delivery must not stall its queue
                    delivery.state = "failed"
                    delivery.attempts.append(Attempt(self.backend.now_ms(), len(delivery.attempts), error=repr(exc)[:300]))
                finally:
                    with self._lock:
                        self.pending -= 1
        finally:
            await client.aclose()

    def _stop_if_idle(self) -> None:
        """Runs on the delivery thread: an idle dispatcher lets its thread end (restarted on demand)."""
        with self._lock:
            if self.pending > 0 or self._queues or self._loop is None:
                return
            self._loop = None
        asyncio.get_running_loop().stop()

    async def _deliver(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        delays = list(self.backend.config.webhook_retry_delays_s)
        for retry in range(len(delays) + 1):
            if self._closed:
                return
            headers = dict(delivery.headers)
            if retry:
                headers["X-Atlassian-Webhook-Retry"] = str(retry)
            if delivery.kind == "dynamic" and delivery.jwt_secret:
                headers["Authorization"] = "Bearer " + self._jwt(delivery)
            attempt = Attempt(self.backend.now_ms(), retry)
            started = time.perf_counter()
            try:
                response = await client.post(
                    delivery.url, content=delivery.body or b"", headers=headers, timeout=self.backend.config.webhook_timeout_s
                )
                attempt.status = response.status_code
            except httpx.HTTPError as exc:
                attempt.error = f"{type(exc).__name__}: {exc}"[:300]
            attempt.duration_ms = round((time.perf_counter() - started) * 1000, 3)
            delivery.attempts.append(attempt)
            if attempt.status is not None and 200 <= attempt.status < 300:
                delivery.state = "delivered"
                return
            if attempt.status is not None and not retriable(attempt.status):
                delivery.state = "rejected"
                return
            if retry < len(delays):
                await asyncio.sleep(delays[retry])
        delivery.state = "failed"
        if delivery.kind == "dynamic" and delivery.client_id:
            body = delivery.body.decode() if delivery.body else None
            self.store.failed.append(
                FailedDelivery(delivery.id, delivery.client_id, delivery.url, body, self.backend.now_ms())
            )

    def _jwt(self, delivery: Delivery) -> str:
        now = self.backend.now_ms() // 1000
        claims = {
            "iss": f"jira:{self.backend.state.site.cloud_id}",
            "sub": delivery.jwt_subject,
            "aud": delivery.client_id,
            "iat": now,
            "exp": now + 180,
            "qsh": "context-qsh",
        }
        with warnings.catch_warnings():  # PyJWT warns on short HMAC keys; the app chose its secret
            warnings.simplefilter("ignore")
            return jwt.encode(claims, delivery.jwt_secret or "", algorithm="HS256")

    # -- for the control plane and tests ---------------------------------------------------------
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self.log)

    def idle(self) -> bool:
        with self._lock:
            return self.pending <= 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.idle():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            loop, self._loop = self._loop, None
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # already stopped and closed
                loop.call_soon_threadsafe(loop.stop)


def jql_api() -> tuple[Any, Any, Any] | None:
    """(parse, compile_query, JqlContext) from ``jiraemu.search.jql``, or None while it is incomplete."""
    try:
        mod = importlib.import_module("jiraemu.search.jql")
    except ImportError:
        return None
    found = [getattr(mod, name, None) for name in ("parse", "compile_query", "JqlContext")]
    if any(f is None for f in found):
        return None
    return found[0], found[1], found[2]


def _filters_pass(hook: DynamicWebhook, event: Event) -> bool:
    """fieldIdsFilter (issue updates) and issuePropertyKeysFilter (property events)."""
    if event.kind == ev.ISSUE_UPDATED and hook.field_ids_filter is not None:
        changed = {i.field_id or i.field for i in (event.history.items if event.history else ())}
        return bool(changed & set(hook.field_ids_filter))
    if event.kind in (ev.PROPERTY_SET, ev.PROPERTY_DELETED) and hook.property_keys_filter is not None:
        return event.extra.get("key") in hook.property_keys_filter
    return True


def _key(event: Event) -> str | None:
    return event.issue.key if event.issue is not None else None
