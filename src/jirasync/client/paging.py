"""Paginators as async iterators of pages; none holds more than one page.

* ``token_pages`` — ``nextPageToken`` / ``isLast`` (``/search/jql``, ``/changelog/bulkfetch``).
* ``offset_pages`` — ``startAt`` / ``maxResults`` / ``total`` / ``isLast`` (DC search, comments,
  worklogs, agile, page beans).

Both raise when Jira repeats a page token or stops advancing, instead of looping forever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from jirasync.client.client import JiraClient
from jirasync.exceptions import JiraError


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
