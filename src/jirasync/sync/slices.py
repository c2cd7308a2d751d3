"""Slices: a large project's full pass read as several concurrent searches, split by ``created``.

A Cloud search is a chain of page tokens and a Data Center walk a chain of keyset pages, so one
project's pages come one after another: a full pass of a 50,000-issue project is 500 round trips in a
row. A full pass of a project with at least ``2 * SLICE_ISSUES`` issues is therefore split into
ranges of ``created`` — ``created < b1``, ``b1 <= created < b2``, …, ``created >= bk`` — read
concurrently (within the run's stream limit), each an ordinary window with its own cursor.

Why ``created``: it never changes (an edit or a move keeps it) and every issue has one, and
``created >= X`` and ``created < X`` are complements for any ``X`` however Jira reads it, so the
ranges partition the project exactly, whatever happens to the issues during the pass. The boundaries
are unquoted epoch milliseconds, which have no time zone (jira-api-facts §1.7). An issue id or key
would not do: Jira resolves it to an issue, and a boundary issue deleted during the pass would make
its range silently empty.

The boundaries are chosen so the ranges hold about the same number of issues: Cloud lists the
window's ids ordered by ``created`` (ids only: 5000 a request) and reads the boundary issues'
``created`` with one ``POST issue/bulkfetch``; Data Center asks for the count and then the
``created`` at each quantile (``startAt``, one issue each, concurrently).

Checkpoints: each range keeps its own (key ``PROJECT~slice~LO~HI``), committed with its pages like a
project's; when every range is complete, the project's own checkpoint is written at the earliest of
their cursors and the range checkpoints are dropped, in one transaction. A killed pass resumes each
range from its last committed page.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jirasync.client import token_pages
from jirasync.records import epoch_ms, parse_time
from jirasync.sync.cursor import Window
from jirasync.sync.issues import IssueContext

SLICE_ISSUES = 1000  # about this many issues per range
MAX_SLICES = 16
ID_PAGE = 5000  # /search/jql's cap when only ids are asked for
MARK = "~slice~"
CREATED_ORDER = "ORDER BY created ASC, id ASC"


@dataclass(frozen=True)
class Slice:
    """``lo_ms <= created < hi_ms`` (an open end where None)."""

    lo_ms: int | None
    hi_ms: int | None

    def jql(self) -> str | None:
        parts = []
        if self.lo_ms is not None:
            parts.append(f"created >= {self.lo_ms}")
        if self.hi_ms is not None:
            parts.append(f"created < {self.hi_ms}")
        return " AND ".join(parts) or None

    def key(self, project_key: str) -> str:
        """The checkpoint key of this range of ``project_key``."""
        return f"{prefix(project_key)}{_text(self.lo_ms)}~{_text(self.hi_ms)}"


def prefix(project_key: str) -> str:
    """What the checkpoint keys of ``project_key``'s ranges start with."""
    return project_key + MARK


def _text(ms: int | None) -> str:
    return "" if ms is None else str(ms)


def parse_key(key: str) -> tuple[str, Slice] | None:
    """(project key, range) of a range checkpoint key; None for any other key."""
    project, mark, rest = key.partition(MARK)
    if not mark:
        return None
    lo, _, hi = rest.partition("~")
    try:
        return project, Slice(int(lo) if lo else None, int(hi) if hi else None)
    except ValueError:
        return None


def project_of(key: str) -> str:
    """The project key of a checkpoint key, a project's own or one of its ranges'."""
    return key.partition(MARK)[0]


def ranges(bounds: Iterable[int]) -> list[Slice]:
    """The ranges between sorted, distinct boundaries: they cover every ``created`` exactly once."""
    cuts: list[int | None] = [None, *sorted(set(bounds)), None]
    return [Slice(lo, hi) for lo, hi in itertools.pairwise(cuts)]


def parts_for(count: int) -> int:
    """How many ranges a window of ``count`` issues is read in (1: not sliced)."""
    return max(1, min(MAX_SLICES, count // SLICE_ISSUES))


def worth_planning(count_hint: int | None) -> bool:
    """Whether a project (by Jira's own issue count, when known) may be large enough to slice."""
    return count_hint is None or parts_for(count_hint) > 1


async def plan(ctx: IssueContext, window: Window) -> tuple[list[Slice], int]:
    """The ranges of a full pass over ``window`` (empty: read it as one search) and its issue count."""
    return await (_plan_cloud(ctx, window) if ctx.cloud else _plan_dc(ctx, window))


def _created_ms(issue: dict[str, Any]) -> int:
    return epoch_ms(parse_time((issue.get("fields") or {}).get("created")))


async def _plan_cloud(ctx: IssueContext, window: Window) -> tuple[list[Slice], int]:
    ids: list[str] = []
    body = {"jql": window.jql(CREATED_ORDER), "fields": ["id"], "maxResults": ID_PAGE}
    async for page in token_pages(ctx.client, "/rest/api/3/search/jql", items="issues", body=body):
        ids.extend(str(i["id"]) for i in page)
    parts = parts_for(len(ids))
    if parts < 2:
        return [], len(ids)
    picks = [ids[len(ids) * i // parts] for i in range(1, parts)]
    found = await ctx.client.post("/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": picks, "fields": ["created"]})
    # a boundary issue deleted since the listing is simply not a boundary: its neighbours' ranges join
    return ranges(_created_ms(i) for i in found.get("issues") or []), len(ids)


async def _plan_dc(ctx: IssueContext, window: Window) -> tuple[list[Slice], int]:
    jql = window.jql(CREATED_ORDER)

    async def created_at(start: int) -> tuple[int | None, int]:
        page = await ctx.client.get("/rest/api/2/search", params={"jql": jql, "fields": "created", "startAt": start,
                                                                  "maxResults": 1})
        found = list(page.get("issues") or [])
        return (_created_ms(found[0]) if found else None), int(page.get("total") or 0)

    _, total = await created_at(0)
    parts = parts_for(total)
    if parts < 2:
        return [], total
    probes = await asyncio.gather(*(created_at(total * i // parts) for i in range(1, parts)))
    return ranges(ms for ms, _ in probes if ms is not None), total
