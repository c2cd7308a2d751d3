"""A client-side request budget (token bucket), so a connection stays under the user's plan.

``Budget.parse("100/15m")`` allows bursts of up to 100 requests and refills at 100 per 15 minutes.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from jirasync.exceptions import ConfigError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass
class Budget:
    requests: int
    period_s: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        if self.requests <= 0 or self.period_s <= 0:
            raise ConfigError("budget", "must allow at least one request per period", fix='use e.g. "100/15m"')
        self._tokens = float(self.requests)
        self._at = self.clock()

    @classmethod
    def parse(cls, text: str, **kw: object) -> Budget:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", text or "")
        if not m:
            raise ConfigError("budget", f"{text!r} is not N/PERIOD", fix='use e.g. "100/15m", "10/1s" or "5000/1h"')
        period = (int(m.group(2)) if m.group(2) else 1) * UNITS[m.group(3)]
        return cls(int(m.group(1)), float(period), **kw)  # type: ignore[arg-type]

    @property
    def rate(self) -> float:
        return self.requests / self.period_s

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(float(self.requests), self._tokens + (now - self._at) * self.rate)
        self._at = now

    async def acquire(self) -> float:
        """Take one request from the budget, waiting as needed; returns the seconds waited."""
        waited = 0.0
        async with self._lock:
            self._refill()
            while self._tokens < 1 - 1e-9:  # float rounding must not stall the loop
                delay = (1 - self._tokens) / self.rate
                await self.sleep(delay)
                waited += delay
                self._refill()
            self._tokens = max(0.0, self._tokens - 1)
        return waited
