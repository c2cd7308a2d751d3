"""Control-plane handlers under ``/_emulator/`` (JSON, no auth, never rate-limited or faulted).

Starlette endpoints (not Jira routes): they run on the server's event loop like Jira handlers, so
state needs no locks. Errors use Jira's ErrorCollection shape. See docs/jiraemu-control-plane.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from jiraemu.control import models, mutator
from jiraemu.control.models import ControlState, Receiver
from jiraemu.errors import JiraError, bad_request
from jiraemu.http import error_response, json_response
from jiraemu.timefmt import fmt_ts

if TYPE_CHECKING:
    from jiraemu.backend import Backend

RESET_KEYS = frozenset({"seed", "projects", "issues", "users", "timezone", "site_timezone"})


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request("The request body is not valid JSON.") from None


async def _object(request: Request) -> dict[str, Any]:
    data = await _body(request)
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    return data


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(float(raw))
    except ValueError:
        raise bad_request(f"The value '{raw}' is invalid for parameter '{name}'.") from None


class Control:
    """The control plane of one backend: holds what survives ``reset`` (receivers, mutation log)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.state = ControlState()
        self.mutator: mutator.MutatorRun | None = None
        self._mutator_task: asyncio.Task[None] | None = None

    def handle(self, func: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                result = await func(request)
            except JiraError as err:
                return error_response(err)
            if isinstance(result, Response):
                return result
            return json_response(result)

        endpoint.__name__ = func.__name__
        return endpoint

    # -- reset, config, faults -------------------------------------------------------------------
    async def reset(self, request: Request) -> Any:
        data = await _object(request)
        overrides = dict(data.get("config") or {})
        for key in RESET_KEYS & data.keys():
            overrides[key] = data[key]
        seed = overrides.pop("seed", None)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise JiraError(400, [], {"seed": "must be an integer"})
        models.update_config(self.backend.config, overrides)
        started = time.perf_counter()
        self._stop_mutator()
        self.backend.reset(seed)
        self.state.clear()
        if data.get("clock") == "reset":
            self.backend.clock.reset()
        return {
            "seed": self.backend.config.seed,
            "issues": len(self.backend.state.issues),
            "projects": len(self.backend.state.projects),
            "users": len(self.backend.state.users),
            "seconds": round(time.perf_counter() - started, 3),
        }

    async def get_config(self, request: Request) -> Any:
        return models.config_json(self.backend.config)

    async def set_config(self, request: Request) -> Any:
        models.update_config(self.backend.config, await _object(request))
        return models.config_json(self.backend.config)

    async def get_faults(self, request: Request) -> Any:
        return dataclasses.asdict(self.backend.config.faults)

    async def set_faults(self, request: Request) -> Any:
        models.replace_faults(self.backend.config, await _object(request))
        return dataclasses.asdict(self.backend.config.faults)

    # -- truth, stats, users ---------------------------------------------------------------------
    async def truth(self, request: Request) -> Any:
        who = request.query_params.get("user")
        viewer = models.find_user(self.backend, who) if who else None
        include = {p.strip() for p in request.query_params.get("include", "").split(",") if p.strip()}
        return models.truth(self.backend, viewer, include)

    async def stats(self, request: Request) -> Any:
        stats = self.backend.stats
        since = _int_param(request, "since")
        limit = _int_param(request, "log")
        limit = 200 if limit is None else max(limit, 0)
        if since is None:
            return stats.snapshot(limit)
        entries = [e for e in list(stats.log) if e.at >= since]
        by_route = Counter(f"{e.method} {e.route}" for e in entries)
        by_status = Counter(str(e.status) for e in entries)
        return {
            "since": since,
            "total": len(entries),
            "byRoute": dict(by_route),
            "byStatus": dict(by_status),
            "log": [e.__dict__ for e in entries[-limit:]] if limit else [],
        }

    async def users(self, request: Request) -> Any:
        return models.users_json(self.backend)

    # -- mutations -------------------------------------------------------------------------------
    async def mutate(self, request: Request) -> Any:
        data = await _body(request)
        if isinstance(data, list):
            return [models.mutate(self.backend, self.state, op) for op in data if isinstance(op, dict)]
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object or a list of them.")
        return models.mutate(self.backend, self.state, data)

    async def mutations(self, request: Request) -> Any:
        after = _int_param(request, "after") or 0
        return [m for m in self.state.mutations if m["seq"] > after]

    async def start_mutator(self, request: Request) -> Any:
        job = mutator.parse_run(await _object(request))
        self._stop_mutator()
        self.mutator = job
        self._mutator_task = asyncio.get_running_loop().create_task(mutator.run(self.backend, self.state, job))
        return json_response(job.as_json(), 201)

    async def get_mutator(self, request: Request) -> Any:
        return self.mutator.as_json() if self.mutator else {"running": False}

    async def stop_mutator(self, request: Request) -> Any:
        self._stop_mutator()
        return self.mutator.as_json() if self.mutator else {"running": False}

    def _stop_mutator(self) -> None:
        if self.mutator is not None:
            self.mutator.running = False

    # -- clock -----------------------------------------------------------------------------------
    def _clock_json(self) -> dict[str, Any]:
        clock = self.backend.clock
        now = clock.now_ms()
        return {
            "nowMs": now,
            "now": fmt_ts(now, self.backend.state.site.site_timezone),
            "frozen": clock.frozen,
            "offsetMs": clock.offset_ms,
        }

    async def get_clock(self, request: Request) -> Any:
        return self._clock_json()

    async def set_clock(self, request: Request) -> Any:
        data = await _object(request)
        clock = self.backend.clock
        if "freeze" in data:
            clock.freeze(bool(data["freeze"]))
        if data.get("set_ms") is not None:
            clock.set(int(data["set_ms"]))
        if data.get("advance_ms") is not None:
            clock.advance(float(data["advance_ms"]) / 1000.0)
        if data.get("advance_s") is not None:
            clock.advance(float(data["advance_s"]))
        if data.get("reset"):
            clock.reset()
        return self._clock_json()

    # -- webhooks --------------------------------------------------------------------------------
    async def deliveries(self, request: Request) -> Any:
        dispatcher = self.backend.webhooks
        wait = float(request.query_params.get("wait_s", "0") or 0)
        deadline = time.monotonic() + wait
        while wait and not dispatcher.idle() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        with_body = request.query_params.get("body", "").lower() in ("1", "true")
        state = request.query_params.get("state")
        items = [d.as_json(with_body) for d in dispatcher.deliveries() if state is None or d.state == state]
        return {
            "idle": dispatcher.idle(),
            "jqlFiltering": dispatcher.jql_available,
            "total": len(items),
            "deliveries": items,
            "errors": list(dispatcher.errors),
        }

    def _receiver(self, name: str) -> Receiver:
        receiver = self.state.receivers.get(name)
        if receiver is None:
            receiver = self.state.receivers[name] = Receiver(name)
        return receiver

    async def receive(self, request: Request) -> Any:
        receiver = self._receiver(request.path_params["name"])
        raw = await request.body()
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = None
        status = 200
        if receiver.fail > 0:
            receiver.fail -= 1
            status = receiver.fail_status
        receiver.requests.append(
            {
                "receivedAt": self.backend.now_ms(),
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "raw": raw.decode("utf-8", "replace"),
                "body": parsed,
                "answeredStatus": status,
            }
        )
        if receiver.delay_ms:
            await asyncio.sleep(receiver.delay_ms / 1000.0)
        return json_response({"received": len(receiver.requests)}, status)

    async def received(self, request: Request) -> Any:
        receiver = self._receiver(request.path_params["name"])
        count = _int_param(request, "count")
        wait = float(request.query_params.get("wait_s", "0") or 0)
        deadline = time.monotonic() + wait
        while count is not None and len(receiver.requests) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return {"name": receiver.name, "settings": receiver.settings(), "count": len(receiver.requests), "requests": receiver.requests}

    async def configure_receiver(self, request: Request) -> Any:
        receiver = self._receiver(request.path_params["name"])
        data = await _object(request)
        for key, attr in (("fail", "fail"), ("status", "fail_status"), ("delayMs", "delay_ms")):
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise JiraError(400, [], {key: "must be a non-negative integer"})
                setattr(receiver, attr, value)
        return {"name": receiver.name, "settings": receiver.settings(), "count": len(receiver.requests)}

    async def clear_receiver(self, request: Request) -> Any:
        self.state.receivers.pop(request.path_params["name"], None)
        return Response(status_code=204)
