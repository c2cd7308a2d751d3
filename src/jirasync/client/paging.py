"""Paginators as async iterators of pages; none holds more than one page.

* ``token_pages`` — ``nextPageToken`` / ``isLast`` (``/search/jql``, ``/changelog/bulkfetch``).
* ``offset_pages`` — ``startAt`` / ``maxResults`` / ``total`` / ``isLast`` (DC search, comments,
  worklogs, agile, page beans).

Both raise when Jira repeats a page token or stops advancing, instead of looping forever.

``read_ahead(pages, n)`` runs a paginator ahead of its consumer (at most ``n`` pages waiting), so
the next pages are on the wire while the consumer parses and stores the current one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, TypeVar

from jirasync.client.client import JiraClient
from jirasync.exceptions import JiraError

T = TypeVar("T")


class _End:
    """The reader's last word: the source ended, or failed with ``error``."""

    def __init__(self, error: Exception | None) -> None:
        self.error = error


async def token_pages(
    client: JiraClient,
    path: str,
    *,
    items: str,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    method: str = "POST",
) -> AsyncIterator[list[dict[str, Any]]]:
    seen: set[str] = set()
    token: str | None = None
    while True:
        if method == "POST":
            payload = dict(body or {})
            if token:
                payload["nextPageToken"] = token
            page = await client.post(path, json=payload, params=params)
        else:
            query = dict(params or {})
            if token:
                query["nextPageToken"] = token
            page = await client.get(path, params=query)
        yield list(page.get(items) or [])
        token = page.get("nextPageToken")
        if page.get("isLast", token is None) or not token:
            return
        if token in seen:
            raise JiraError(f"{path} repeated a page token; stopping to avoid a loop", path=path)
        seen.add(token)


async def offset_pages(
    client: JiraClient,
    path: str,
    *,
    items: str,
    params: dict[str, Any] | None = None,
    page_size: int = 100,
    body: dict[str, Any] | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    start = 0
    while True:
        if body is not None:
            page = await client.post(path, json={**body, "startAt": start, "maxResults": page_size}, params=params)
        else:
            page = await client.get(path, params={**(params or {}), "startAt": start, "maxResults": page_size})
        values = list(page.get(items) or []) if isinstance(page, dict) else list(page or [])
        yield values
        if not values or not isinstance(page, dict):
            return
        total = page.get("total")
        got_start = int(page.get("startAt", start))
        if got_start < start:
            raise JiraError(f"{path} went back to startAt={got_start}; stopping to avoid a loop", path=path)
        start = got_start + len(values)
        if page.get("isLast") is True or (isinstance(total, int) and start >= total):
            return
        if page.get("isLast") is None and total is None and len(values) < int(page.get("maxResults", page_size)):
            return


async def read_ahead(source: AsyncIterator[T], pages: int) -> AsyncGenerator[T, None]:
    """``source``'s items, read by a task of their own up to ``pages`` items ahead of the consumer.

    An error of the source is raised to the consumer where it would have occurred (after the items
    read before it); when the consumer stops early or fails, the reading task is cancelled."""
    if pages < 1:
        async for item in source:
            yield item
        return
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=pages)

    async def pump() -> None:
        try:
            async for item in source:
                await queue.put(item)
        except Exception as exc:  # handed to the consumer, in order
            await queue.put(_End(exc))
            return
        await queue.put(_End(None))

    task = asyncio.create_task(pump())
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # the consumer's own exit wins
                await task
        aclose = getattr(source, "aclose", None)  # the reader is done: close the source it left
        if aclose is not None:
            await aclose()
