"""Per-endpoint request counters and a bounded request log (for tests and benchmarks)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any


@dataclass
class LoggedRequest:
    at: int
    method: str
    path: str
    route: str
    status: int
    duration_ms: float
    caller: str | None
    query: str


class Stats:
    def __init__(self, log_size: int = 5000) -> None:
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.total = 0
        self.log: deque[LoggedRequest] = deque(maxlen=log_size)

    def record(self, entry: LoggedRequest) -> None:
        self.total += 1
        self.by_route[f"{entry.method} {entry.route}"] += 1
        self.by_status[entry.status] += 1
        self.log.append(entry)

    def clear(self) -> None:
        self.by_route.clear()
        self.by_status.clear()
        self.total = 0
        self.log.clear()

    def snapshot(self, log_limit: int = 200) -> dict[str, Any]:
        recent = list(self.log)[-log_limit:] if log_limit else []
        return {
            "total": self.total,
            "byRoute": dict(self.by_route),
            "byStatus": {str(k): v for k, v in self.by_status.items()},
            "log": [e.__dict__ for e in recent],
        }
