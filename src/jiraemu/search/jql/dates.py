"""JQL date literals and date functions, read the way Jira reads them.

* ``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd HH:mm"``, ``"yyyy/MM/dd"``, ``"yyyy-MM-dd"`` are wall-clock
  times in the **caller's profile time zone** (``JqlContext.tz``), not UTC and not the site zone. A
  missing time means midnight. Seconds cannot be written, so every literal is a whole minute.
* ``"-15m"``, ``"-2h"``, ``"-1d"``, ``"-1w"``, ``"-1d 2h"`` (the sign covers the whole period, as in
  Jira's ``'-4w 2d'``) are offsets from now; no sign means the future.
* An **unquoted** number is epoch milliseconds (a UTC instant); a quoted one is not a date.

Minute precision: a literal denotes the instant at the start of its minute (``10:00`` is
``10:00:00.000``) and issue timestamps are compared at full millisecond precision against it. So
``updated > "… 10:00"`` and ``updated >= "… 10:00"`` both include an update at 10:00:30, while
``updated <= "… 10:00"`` and ``updated < "… 10:00"`` exclude it and ``=`` matches only 10:00:00.000.
This is why a sync truncates its watermark down to the minute and uses ``>=``.

Wall-clock times that do not exist (spring-forward gap) move forward by the gap, and ambiguous ones
(fall-back) take the first occurrence, as Java's lenient calendar does; zoneinfo with ``fold=0``
gives exactly that.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import datetime, timedelta

from jiraemu.timefmt import zone

ABSOLUTE = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
PERIOD = re.compile(r"^([+-])?\s*((?:\d+\s*[wdhm]\s*)+)$")
PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])")
UNIT_MS = {"w": 7 * 86_400_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000}


def invalid_date(text: str, field_name: str) -> str:
    return (
        f"Date value '{text}' for field '{field_name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def local_to_ms(dt: datetime, tz: str) -> int:
    """Epoch ms of a naive wall-clock time in ``tz`` (gap: forward; overlap: first occurrence)."""
    aware = dt.replace(tzinfo=zone(tz), fold=0)
    return int(aware.timestamp() * 1000)


def ms_to_local(ms: int, tz: str) -> datetime:
    """The naive wall-clock time of an instant in ``tz``."""
    return datetime.fromtimestamp(ms / 1000, tz=zone(tz)).replace(tzinfo=None)


def period_ms(text: str) -> int | None:
    """``-1d 2h`` -> signed milliseconds; None when ``text`` is not a period."""
    m = PERIOD.match(text.strip())
    if not m:
        return None
    total = sum(int(n) * UNIT_MS[u] for n, u in PERIOD_PART.findall(m.group(2)))
    return -total if m.group(1) == "-" else total


def absolute_ms(text: str, tz: str) -> int | None:
    m = ABSOLUTE.match(text.strip())
    if not m:
        return None
    year, month, day, hour, minute = (int(g) if g else 0 for g in m.groups())
    try:
        dt = datetime(year, month, day, hour, minute)
    except ValueError:
        return None
    return local_to_ms(dt, tz)


def literal_ms(text: str, quoted: bool, tz: str, now_ms: int) -> int | None:
    """The instant a JQL date literal denotes, or None when it is not a valid date."""
    if not quoted and re.fullmatch(r"-?\d+", text):
        return int(text)
    offset = period_ms(text)
    if offset is not None:
        return now_ms + offset
    return absolute_ms(text, tz)


def date_to_ms(value: str, tz: str) -> int:
    """A date-only value (``duedate``, date custom fields) as the instant of its midnight in ``tz``."""
    return local_to_ms(datetime.fromisoformat(value[:10]), tz)


def local_midnight_ms(ms: int, tz: str) -> int:
    """The start of the day (in ``tz``) that the instant ``ms`` falls on."""
    return local_to_ms(ms_to_local(ms, tz).replace(hour=0, minute=0, second=0, microsecond=0), tz)


# --- startOfDay() & co -----------------------------------------------------------------------------

INCREMENT = re.compile(r"^([+-]?)(\d+)([yMwdhm]?)$")


def _add(dt: datetime, amount: int, unit: str) -> datetime:
    if unit in "yM":
        months = dt.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = dt.year + months // 12, months % 12 + 1
        return dt.replace(year=year, month=month, day=min(dt.day, monthrange(year, month)[1]))
    step = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}[unit]
    return dt + step * amount


def _start(dt: datetime, period: str) -> datetime:
    day = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":  # Jira's default (en_US) week starts on Sunday
        return day - timedelta(days=(day.weekday() + 1) % 7)
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return day


NATURAL_UNIT = {"day": "d", "week": "w", "month": "M", "year": "y"}


def boundary_ms(period: str, end: bool, increment: str | None, tz: str, now_ms: int) -> int | None:
    """``startOfDay("-1d")`` etc.: the period boundary around now in ``tz``, then the increment.

    Returns None when the increment is malformed. ``endOf*`` is the last millisecond of the period.
    """
    unit, amount = NATURAL_UNIT[period], 0
    if increment:
        m = INCREMENT.match(increment.strip())
        if not m:
            return None
        amount = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        unit = m.group(3) or unit
    start = _start(ms_to_local(now_ms, tz), period)
    if end:
        start = _add(start, 1, NATURAL_UNIT[period])
    shifted = _add(start, amount, unit)
    return local_to_ms(shifted, tz) - (1 if end else 0)


