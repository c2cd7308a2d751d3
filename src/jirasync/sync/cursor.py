"""The incremental window: a cursor (epoch ms) becomes a JQL ``updated >= "…"`` clause.

Jira reads a quoted JQL date literal in the **caller's profile time zone at minute precision**
(jira-api-facts §1.7). So the cursor is converted to that zone, floored to the minute and moved
back by an overlap (server clock skew, index lag). Around a DST fall-back the same wall time
names two instants; the literal is moved back until *every* reading of it is at or before the
cursor minus the overlap, so Jira can never start the window late. Issues seen again in the
overlap are deduplicated by ``(id, updated_ms)`` before anything is fetched for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_OVERLAP = timedelta(minutes=2)
ORDER = "ORDER BY updated ASC, id ASC"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def readings(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every UTC instant a naive wall time can name in ``zone`` (two in a DST fold)."""
    return sorted({wall.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1)})


def _wall(cursor_ms: int, zone: ZoneInfo, overlap: timedelta) -> datetime:
    """The latest minute, as a wall time in ``zone``, whose every reading is <= cursor - overlap."""
    bound = datetime.fromtimestamp(cursor_ms / 1000, tz=UTC) - overlap
    wall = bound.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    while readings(wall, zone)[-1] > bound:  # a fold: the later reading would start too late
        wall -= timedelta(minutes=30)
    return wall


def _epoch_minute(cursor_ms: int, overlap: timedelta) -> int:
    return (cursor_ms - int(overlap.total_seconds() * 1000)) // 60_000 * 60_000


def date_literal(cursor_ms: int, time_zone: str | None, overlap: timedelta = DEFAULT_OVERLAP) -> str:
    """The JQL value for ``updated >=``: ``"yyyy/MM/dd HH:mm"`` in the user's zone, never late.

    Without a known zone the cursor is sent as unquoted epoch milliseconds, which has no zone.
    """
    zone = _zone(time_zone)
    if zone is None:
        return str(_epoch_minute(cursor_ms, overlap))
    return f'"{_wall(cursor_ms, zone, overlap):%Y/%m/%d %H:%M}"'


def literal_bound_ms(cursor_ms: int | None, time_zone: str | None, overlap: timedelta = DEFAULT_OVERLAP) -> int | None:
    """The latest instant Jira may read the literal as (epoch ms): the window starts at or before it."""
    if cursor_ms is None:
        return None
    zone = _zone(time_zone)
    if zone is None:
        return _epoch_minute(cursor_ms, overlap)
    return int(readings(_wall(cursor_ms, zone, overlap), zone)[-1].timestamp() * 1000)


@dataclass(frozen=True)
class Window:
    """What one project's issue search asks for: everything, or what changed since ``cursor_ms``."""

    project_key: str
    cursor_ms: int | None
    time_zone: str | None
    extra_jql: str | None = None
    overlap: timedelta = DEFAULT_OVERLAP

    def jql(self, order: str = ORDER) -> str:
        parts = [f'project = "{self.project_key}"']
        if self.cursor_ms is not None:
            parts.append(f"updated >= {date_literal(self.cursor_ms, self.time_zone, self.overlap)}")
        if self.extra_jql:
            parts.append(f"({self.extra_jql})")
        return " AND ".join(parts) + " " + order

    def project_jql(self) -> str:
        """The id-only reconciliation query: every issue of the project, no window."""
        return f'project = "{self.project_key}" ORDER BY id ASC'
