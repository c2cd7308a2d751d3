"""Jira's timestamp forms: ``2026-01-02T03:04:05.678-0700`` (offset without colon) in a zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def fmt_ts(epoch_ms: int, tz: str) -> str:
    """Format epoch millis the way Jira does in response bodies."""
    dt = datetime.fromtimestamp(epoch_ms / 1000.0, tz=zone(tz))
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{epoch_ms % 1000:03d}{dt.strftime('%z')}"


def fmt_utc_z(epoch_ms: int) -> str:
    """Agile dates (sprints) are sent in UTC with a ``Z``: ``2026-01-02T03:04:05.678Z``."""
    dt = datetime.fromtimestamp(epoch_ms / 1000.0, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{epoch_ms % 1000:03d}Z"


def fmt_date(epoch_ms: int, tz: str) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000.0, tz=zone(tz)).strftime("%Y-%m-%d")


def parse_ts(value: str) -> int:
    """Parse Jira's or ISO-8601 timestamps (with or without a colon in the offset) to epoch ms."""
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    if len(v) > 5 and v[-5] in "+-" and v[-4:].isdigit():
        v = v[:-2] + ":" + v[-2:]
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def parse_date(value: str) -> date:
    return date.fromisoformat(value)
