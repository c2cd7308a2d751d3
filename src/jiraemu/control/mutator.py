"""A background mutator: random edits, comments, moves, deletes and restrictions at a given rate,
while a sync runs. It runs as a task on the server's event loop, so its writes interleave with
requests exactly as concurrent users' writes would; every change lands in the mutation log."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jiraemu.control import models
from jiraemu.control.models import ControlState
from jiraemu.errors import JiraError

if TYPE_CHECKING:
    from jiraemu.backend import Backend

OPS = ("update", "comment", "move", "delete", "restrict", "membership")
# "membership" (a user joins or leaves a group, audited) runs only when asked for
DEFAULT_WEIGHTS = {"update": 5, "comment": 3, "move": 1, "delete": 1, "restrict": 1}


@dataclass
class MutatorRun:
    rate_per_s: float
    duration_s: float | None
    weights: dict[str, int]
    seed: int
    applied: int = 0
    failed: int = 0
    by_op: dict[str, int] = field(default_factory=dict)
    running: bool = True
    last_error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "ratePerSecond": self.rate_per_s,
            "durationSeconds": self.duration_s,
            "weights": self.weights,
            "seed": self.seed,
            "applied": self.applied,
            "failed": self.failed,
            "byOp": self.by_op,
            "lastError": self.last_error,
        }


def parse_run(data: dict[str, Any]) -> MutatorRun:
    rate = data.get("rate_per_s", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1000:
        raise JiraError(400, [], {"rate_per_s": "must be a number in (0, 1000]"})
    duration = data.get("duration_s")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float) or duration <= 0):
        raise JiraError(400, [], {"duration_s": "must be a positive number or null (until stopped)"})
    ops = data.get("ops")
    if ops is None:
        weights = dict(DEFAULT_WEIGHTS)
    elif isinstance(ops, list) and ops and all(o in OPS for o in ops):
        weights = {o: DEFAULT_WEIGHTS.get(o, 1) for o in ops}
    elif isinstance(ops, dict) and ops and all(o in OPS and isinstance(w, int) and w >= 0 for o, w in ops.items()):
        weights = dict(ops)
    else:
        raise JiraError(400, [], {"ops": f"a list of, or an object of weights for: {', '.join(OPS)}"})
    seed = data.get("seed", 1)
    return MutatorRun(float(rate), float(duration) if duration else None, weights, int(seed))


def _pick_op(backend: Backend, rng: random.Random, op: str) -> dict[str, Any] | None:
    state = backend.state
    if not state.issues:
        return None
    issue = state.issues[rng.choice(sorted(state.issues))]
    if op == "update":
        return {"op": "update", "issue": issue.key, "fields": {"summary": f"{issue.summary.split(' · ')[0]} · edit {rng.randrange(10**6)}"}}
    if op == "comment":
        return {"op": "comment", "issue": issue.key, "body": f"Mutator comment {rng.randrange(10**6)}"}
    if op == "move":
        targets = [p for p in state.projects.values() if p.id != issue.project_id and not p.deleted and p.style == "classic"]
        return {"op": "move", "issue": issue.key, "project": rng.choice(targets).key} if targets else None
    if op == "delete":
        return {"op": "delete", "issue": issue.key}
    if op == "membership":
        groups = sorted(state.groups)
        users = sorted(u for u, user in state.users.items() if user.active)
        if not groups or not users:
            return None
        group, user = rng.choice(groups), rng.choice(users)
        verb = "remove_group_member" if user in state.groups[group].members else "add_group_member"
        return {"op": verb, "group": group, "user": user}
    if op == "restrict":
        secured = [i for i in state.issues.values() if state.projects[i.project_id].security_scheme_id is not None]
        if not secured:
            return None
        target = rng.choice(sorted(secured, key=lambda i: i.id))
        scheme = state.security_schemes[state.projects[target.project_id].security_scheme_id or 0]
        return {"op": "set_security_level", "issue": target.key, "level": rng.choice(scheme.levels).id}
    return None


async def run(backend: Backend, control: ControlState, job: MutatorRun) -> None:
    rng = random.Random(job.seed)
    ops = [o for o, w in job.weights.items() for _ in range(w)]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + job.duration_s if job.duration_s else None
    interval = 1.0 / job.rate_per_s
    try:
        while job.running and (deadline is None or loop.time() < deadline):
            op = rng.choice(ops)
            request = _pick_op(backend, rng, op)
            if request is not None:
                try:
                    models.mutate(backend, control, request)
                    job.applied += 1
                    job.by_op[op] = job.by_op.get(op, 0) + 1
                except JiraError as err:
                    job.failed += 1
                    job.last_error = f"{op}: {err.messages or err.errors}"
            await asyncio.sleep(interval)
    finally:
        job.running = False
