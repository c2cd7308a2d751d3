"""The issue stream: a JQL window per project, pages of issues, their children at the lowest cost.

Search (Cloud): ``POST /rest/api/3/search/jql`` with ``fields=["*all"]``, 100 per page, token
paging. Search (Data Center): ``GET /rest/api/2/search`` with ``expand=changelog``, up to 1000
per page — walked as a *keyset* (each page re-asks from the last ``updated`` minute with the
``startAt`` of the issues already seen there), because a plain ``startAt`` walk over a set
ordered by ``updated`` skips an issue whenever an earlier one is edited during the walk.

Children:

* comments and worklogs — the page embedded in the issue; ``GET issue/{id}/comment`` (or
  ``/worklog``), paged, only when ``total`` exceeds what was embedded;
* changelogs — Cloud: one ``POST /changelog/bulkfetch`` per batch of changed issues (≤ 1000
  ids, token paging; search pages are joined into batches of ``BATCH_ISSUES``); DC: ``expand=changelog`` on the search, and ``GET issue/{id}?expand=changelog``
  only when the embedded histories are truncated;
* attachments (metadata), links — from the issue's fields (sprint membership: see the engine).

This module works on raw JSON only; ``jirasync.sync.batch`` parses a batch and writes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from jirasync.client import JiraClient, offset_pages, read_ahead, token_pages
from jirasync.exceptions import JiraError, RecordError
from jirasync.records import embedded_page_short, epoch_ms, parse_time
from jirasync.sync.cursor import Window, literal_bound_ms

CLOUD_PAGE = 100  # /search/jql's cap with fields=*all
DC_PAGE = 1000  # jira.search.views.default.max
KEYSET_MARGIN = 50
CHILD_PAGE = 100
# Search pages are committed in batches of this many issues: one changelog bulkfetch and one
# transaction per batch. Memory holds about (batch + read-ahead) issues' JSON per project being read
# (~65 kB each as Python objects on Cloud); bulkfetch takes up to 1000 ids, so 500 costs one more
# request per 1,000 issues and halves the memory.
BATCH_ISSUES = 500
READ_AHEAD_ISSUES = 100
BULK_CHANGELOG_IDS = 1000


@dataclass
class IssueContext:
    client: JiraClient
    cloud: bool
    skipped: list[RecordError] = field(default_factory=list)  # dead letters of the run, stored at its end

    @property
    def v(self) -> int:
        return 3 if self.cloud else 2


# -- search ----------------------------------------------------------------------------------------
async def cloud_search(ctx: IssueContext, window: Window) -> AsyncIterator[list[dict[str, Any]]]:
    body = {"jql": window.jql(), "fields": ["*all"], "maxResults": CLOUD_PAGE}
    async for page in token_pages(ctx.client, "/rest/api/3/search/jql", items="issues", body=body):
        yield page


async def dc_search(ctx: IssueContext, window: Window) -> AsyncIterator[list[dict[str, Any]]]:
    """Keyset walk: re-ask from the newest ``updated`` seen, skipping what this walk already read.

    ``startAt`` skips the issues of the new window already read, less a margin: an issue edited
    during the walk leaves that prefix, and skipping one too many could lose an issue; one too few
    only re-reads what the ``seen`` check then drops."""
    seen: dict[int, int] = {}  # id -> updated_ms as read in this walk
    current = window
    margin = max(1, min(KEYSET_MARGIN, DC_PAGE // 4))
    while True:
        bound = literal_bound_ms(current.cursor_ms, current.time_zone, current.overlap)
        start = max(0, sum(1 for ms in seen.values() if bound is None or ms >= bound) - margin)
        params = {"jql": current.jql(), "fields": "*all", "expand": "changelog", "startAt": start, "maxResults": DC_PAGE}
        page = await ctx.client.get("/rest/api/2/search", params=params)
        issues = list(page.get("issues") or [])
        fresh = [i for i in issues if seen.get(int(i["id"])) != raw_updated_ms(i)]
        if fresh:
            yield fresh
        for i in issues:
            seen[int(i["id"])] = raw_updated_ms(i)
        if not issues or start + len(issues) >= int(page.get("total") or 0):
            return
        if not fresh and current.cursor_ms == max(raw_updated_ms(i) for i in issues):
            raise JiraError("the Data Center search walk stopped advancing; stopping to avoid a loop",
                            path="/rest/api/2/search")
        newest = max(raw_updated_ms(i) for i in issues)
        current = Window(window.project_key, newest, window.time_zone, window.extra_jql, window.overlap)


def item_id(item: dict[str, Any]) -> int | None:
    """An issue's id, read from its JSON before it is parsed (None if unreadable: parsing records it
    as skipped)."""
    try:
        return int(item["id"])
    except (KeyError, TypeError, ValueError):
        return None


def raw_updated_ms(item: dict[str, Any]) -> int:
    """An issue's ``updated`` as epoch ms, read from its JSON before it is parsed (0 if unreadable)."""
    try:
        return epoch_ms(parse_time((item.get("fields") or {}).get("updated")))
    except (RecordError, TypeError, ValueError):
        return 0


def search(ctx: IssueContext, window: Window) -> AsyncIterator[list[dict[str, Any]]]:
    return cloud_search(ctx, window) if ctx.cloud else dc_search(ctx, window)


async def batches(ctx: IssueContext, window: Window) -> AsyncGenerator[list[dict[str, Any]], None]:
    """Search pages joined into batches of about ``BATCH_ISSUES`` issues (a resume re-reads at most one).

    The search runs up to ``READ_AHEAD_ISSUES`` ahead (Cloud: 2 pages; a Data Center page is
    already 1000): its next pages are on the wire, and Jira works on them, while this batch is
    parsed, completed and committed."""
    batch: list[dict[str, Any]] = []
    size = 1  # the first page is a batch of its own: parsing starts while the next pages are read
    ahead = READ_AHEAD_ISSUES // (CLOUD_PAGE if ctx.cloud else DC_PAGE)
    async with contextlib.aclosing(read_ahead(search(ctx, window), ahead)) as pages:
        async for page in pages:
            batch.extend(page)
            if len(batch) >= size:
                yield batch
                batch, size = [], BATCH_ISSUES
        if batch:
            yield batch


async def approximate_count(ctx: IssueContext, window: Window) -> int | None:
    """How many issues the window holds, for the progress bar (one cheap request; None if refused)."""
    try:
        if ctx.cloud:
            jql = window.jql().split(" ORDER BY", 1)[0]
            return int((await ctx.client.post("/rest/api/3/search/approximate-count", json={"jql": jql}))["count"])
        page = await ctx.client.get("/rest/api/2/search", params={"jql": window.jql(), "fields": "id", "maxResults": 0})
        return int(page.get("total") or 0)
    except (JiraError, KeyError, TypeError, ValueError):
        return None


# -- children (raw JSON: what the embedded pages lack) --------------------------------------------------
@dataclass
class Children:
    """The raw JSON a batch's issues need beyond their search JSON, by issue id: every comment or
    worklog of an issue whose embedded page was short, and changelogs (Cloud: every history of the
    batch's issues; Data Center: only where the embedded histories were truncated)."""

    comments: dict[int, list[Any]] = field(default_factory=dict)
    worklogs: dict[int, list[Any]] = field(default_factory=dict)
    histories: dict[int, list[Any]] = field(default_factory=dict)


def _dc_changelog_short(item: dict[str, Any]) -> bool:
    log = item.get("changelog") or {}
    histories = log.get("histories") or []
    total = log.get("total")
    return isinstance(total, int) and total > len(histories)


async def _all_pages(ctx: IssueContext, issue_id: int, kind: str) -> list[Any]:
    out: list[Any] = []
    async for page in offset_pages(ctx.client, f"/rest/api/{ctx.v}/issue/{issue_id}/{kind}", items=f"{kind}s",
                                   page_size=CHILD_PAGE):
        out.extend(page)
    return out


async def cloud_changelogs(ctx: IssueContext, ids: list[int]) -> dict[int, list[Any]]:
    """Every history of ``ids`` (raw): one ``changelog/bulkfetch`` walk per 1000 issues."""
    out: dict[int, list[Any]] = {i: [] for i in ids}
    for start in range(0, len(ids), BULK_CHANGELOG_IDS):
        body = {"issueIdsOrKeys": [str(i) for i in ids[start:start + BULK_CHANGELOG_IDS]], "maxResults": 10000}
        async for page in token_pages(ctx.client, "/rest/api/3/changelog/bulkfetch", items="issueChangeLogs", body=body):
            for entry in page:
                out.setdefault(int(entry["issueId"]), []).extend(entry.get("changeHistories") or [])
    return out


async def _dc_changelog(ctx: IssueContext, issue_id: int) -> list[Any]:
    full = await ctx.client.get(f"/rest/api/2/issue/{issue_id}", params={"expand": "changelog", "fields": "updated"})
    return list(((full or {}).get("changelog") or {}).get("histories") or [])


async def fetch_children(ctx: IssueContext, items: list[dict[str, Any]]) -> Children:
    """What ``items`` (the batch's new or changed issues) need beyond their search JSON, concurrently
    (the client bounds the concurrency)."""
    by_id = {iid: item for item in items if (iid := item_id(item)) is not None}

    def short(path: str, key: str) -> list[int]:
        return [i for i, item in by_id.items() if embedded_page_short(item.get("fields"), path, key)]

    async def each(ids: list[int], read: Callable[[int], Awaitable[list[Any]]]) -> dict[int, list[Any]]:
        return dict(zip(ids, await asyncio.gather(*(read(i) for i in ids)), strict=True))

    async def histories() -> dict[int, list[Any]]:
        if ctx.cloud:
            return await cloud_changelogs(ctx, list(by_id)) if by_id else {}
        return await each([i for i, item in by_id.items() if _dc_changelog_short(item)], partial(_dc_changelog, ctx))

    comments, worklogs, found = await asyncio.gather(
        each(short("comment", "comments"), lambda i: _all_pages(ctx, i, "comment")),
        each(short("worklog", "worklogs"), lambda i: _all_pages(ctx, i, "worklog")),
        histories(),
    )
    return Children(comments, worklogs, found)
