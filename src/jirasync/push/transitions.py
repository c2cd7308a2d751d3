"""Reach a target status through the workflow, one transition at a time.

Jira only tells which transitions leave the status an issue is in (``GET …/transitions``), so the
workflow graph is learned as issues move and kept per project and issue type (:class:`Workflow`).
Each step takes the shortest known path towards the target, or, when the target is not known to
be reachable, towards the nearest status whose transitions are still unknown (exploration).
Required transition fields are supplied: ``resolution`` as "Done" (else the first allowed value),
other required fields with allowed values as their first value. An unreachable status fails the
record with the path it tried.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from jirasync.client import JiraClient
from jirasync.exceptions import BadRequest, ConfigError, RetriableError


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str
    fields: dict[str, Any]


@dataclass
class Workflow:
    edges: dict[str, list[Transition]] = field(default_factory=dict)  # status (casefolded) → transitions
    initial: str | None = None  # the status created issues start in

    def route(self, start: str, target: str) -> list[Transition] | None:
        """The shortest known path to ``target``, else to the nearest unexplored status."""
        goal = target.casefold()
        queue: deque[tuple[str, list[Transition]]] = deque([(start.casefold(), [])])
        seen = {start.casefold()}
        fallback: list[Transition] | None = None
        while queue:
            status, path = queue.popleft()
            if status == goal:
                return path
            if status not in self.edges:
                fallback = fallback if fallback is not None else path
                continue
            for t in self.edges[status]:
                if t.to.casefold() not in seen:
                    seen.add(t.to.casefold())
                    queue.append((t.to.casefold(), [*path, t]))
        return fallback or None


def _parse(data: dict[str, Any]) -> list[Transition]:
    return [Transition(str(t["id"]), str(t.get("name", "")), str((t.get("to") or {}).get("name", "")), dict(t.get("fields") or {}))
            for t in data.get("transitions") or [] if t.get("isAvailable", True)]


def required_fields(t: Transition) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fid, meta in t.fields.items():
        if not meta.get("required") or meta.get("hasDefaultValue"):
            continue
        allowed = meta.get("allowedValues") or []
        if not allowed:
            raise ConfigError(fid, f"transition {t.name!r} requires {meta.get('name', fid)!r}, which has no allowed values to pick",
                              fix="reach this status by hand once, or set the field on the transition screen's default")
        pick = next((a for a in allowed if fid == "resolution" and str(a.get("name", "")).casefold() == "done"), allowed[0])
        out[fid] = {"id": str(pick["id"])}
    return out


async def status_of(client: JiraClient, api: int, issue: str) -> str:
    got = await client.get(f"/rest/api/{api}/issue/{issue}", params={"fields": "status"})
    return str(((got or {}).get("fields") or {}).get("status", {}).get("name", ""))


async def transitions_of(client: JiraClient, api: int, issue: str, status: str, workflow: Workflow) -> list[Transition]:
    data = await client.get(f"/rest/api/{api}/issue/{issue}/transitions", params={"expand": "transitions.fields"})
    workflow.edges[status.casefold()] = found = _parse(data or {})
    return found


async def reach(client: JiraClient, api: int, issue: str, current: str | None, target: str, workflow: Workflow,
                max_steps: int = 10) -> list[str]:
    """Move ``issue`` to ``target``; answers the statuses it passed through (``[]`` if already there).

    ``current`` is what we believe the status is (``None``: ask). Known parts of the workflow are
    used without asking again; a refused transition (the issue was elsewhere, or the workflow
    changed) makes it read the status and that status's transitions afresh."""
    if current is None:
        current = await status_of(client, api, issue)
    path = [current]
    fresh: set[str] = set()
    for _ in range(max_steps):
        if current.casefold() == target.casefold():
            return path[1:]
        if current.casefold() not in workflow.edges:
            await transitions_of(client, api, issue, current, workflow)
            fresh.add(current.casefold())
        route = workflow.route(current, target)
        if not route and current.casefold() not in fresh:
            await transitions_of(client, api, issue, current, workflow)
            fresh.add(current.casefold())
            route = workflow.route(current, target)
        if not route:
            break
        step = route[0]
        body: dict[str, Any] = {"transition": {"id": step.id}}
        extra = required_fields(step)
        if extra:
            body["fields"] = extra
        try:
            await _transition(client, api, issue, body, step.to)
        except BadRequest:
            if current.casefold() in fresh:
                raise
            current = await status_of(client, api, issue)  # we were wrong about where it is: look
            await transitions_of(client, api, issue, current, workflow)
            fresh.add(current.casefold())
            path.append(current)
            continue
        current = step.to
        path.append(current)
    raise ConfigError("status", f"{target!r} cannot be reached (tried: {' → '.join(path)})",
                      fix="check the workflow of the project and issue type, or map the status to one it has")


async def _transition(client: JiraClient, api: int, issue: str, body: dict[str, Any], to: str) -> None:
    """POST a transition; when the answer is lost, look before sending it again."""
    path = f"/rest/api/{api}/issue/{issue}/transitions"
    try:
        await client.post(path, json=body)
    except RetriableError:
        if (await status_of(client, api, issue)).casefold() != to.casefold():
            await client.post(path, json=body)
