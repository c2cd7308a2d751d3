"""Deletions: an id-only reconciliation per project, then each missing issue told apart.

1. Ask Jira for every id of the project (Cloud ``/search/jql`` ``fields=["id"]``, 5000 per page;
   DC ``/search`` ``fields=id``, 1000 per page) and compare with the store's live ids.
2. For each id the store has and Jira did not list, ``GET issue/{id}`` (Cloud: ``POST issue/bulkfetch``,
   100 ids a request; an id it does not return is a 404):
   * 200 in another project → **moved** (the new project's search updates it in place; if that
     project is not synced, the issue is marked ``moved``);
   * 200 in the same project → the search index lags: left alone, the next run looks again;
   * 404 → deleted, or no longer visible to this user.
3. Telling the last two apart — the rule:
   * the audit log is readable (Cloud, *Administer Jira*): an "Issue deleted" record for the id
     (or for the parent of a sub-task) → **deleted**; none → **permission_lost**;
   * the project itself is no longer visible → **permission_lost**;
   * otherwise (Data Center, or an audit log we may not read) → **deleted**: Jira answers the same
     404 for both and offers no other signal; a later sync that sees the issue again revives it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jirasync.client import JiraClient, offset_pages, token_pages
from jirasync.exceptions import NotFound, PermissionDenied
from jirasync.sync.cursor import Window

ID_PAGE_CLOUD = 5000
ID_PAGE_DC = 1000
AUDIT_PAGE = 1000
BULKFETCH_IDS = 100


@dataclass
class Reconciled:
    """What one project's reconciliation found."""

    moved: dict[int, int] = field(default_factory=dict)  # issue id -> the project it is in now
    gone: set[int] = field(default_factory=set)  # 404: deleted or not visible
    lagging: set[int] = field(default_factory=set)  # still in the project, missing from search


async def remote_ids(client: JiraClient, cloud: bool, window: Window) -> set[int]:
    """Every issue id of the project (one request per 5000 ids on Cloud, 1000 on DC)."""
    out: set[int] = set()
    if cloud:
        body = {"jql": window.project_jql(), "fields": ["id"], "maxResults": ID_PAGE_CLOUD}
        async for page in token_pages(client, "/rest/api/3/search/jql", items="issues", body=body):
            out.update(int(i["id"]) for i in page)
    else:
        params = {"jql": window.project_jql(), "fields": "id"}
        async for page in offset_pages(client, "/rest/api/2/search", items="issues", params=params, page_size=ID_PAGE_DC):
            out.update(int(i["id"]) for i in page)
    return out


async def _where_is(client: JiraClient, api_version: int, issue_id: int) -> int | None:
    """The project an issue is in now, or None when Jira answers 404."""
    try:
        data = await client.get(f"/rest/api/{api_version}/issue/{issue_id}", params={"fields": "project"})
    except NotFound:
        return None
    return int(data["fields"]["project"]["id"])


async def _where_are(client: JiraClient, ids: list[int]) -> dict[int, int | None]:
    """Cloud: the same question for up to 100 issues per ``POST issue/bulkfetch``."""
    out: dict[int, int | None] = dict.fromkeys(ids)
    for start in range(0, len(ids), BULKFETCH_IDS):
        chunk = [str(i) for i in ids[start:start + BULKFETCH_IDS]]
        found = await client.post("/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": chunk, "fields": ["project"]})
        for issue in found.get("issues") or []:
            out[int(issue["id"])] = int(issue["fields"]["project"]["id"])
    return out


async def reconcile(client: JiraClient, cloud: bool, window: Window, project_id: int, live: set[int]) -> Reconciled:
    result = Reconciled()
    if not live:
        return result  # nothing stored: nothing can have disappeared (and no request spent)
    missing = sorted(live - await remote_ids(client, cloud, window))
    if not missing:
        return result
    if cloud:
        where = await _where_are(client, missing)
        places = [where[i] for i in missing]
    else:
        places = list(await asyncio.gather(*(_where_is(client, 2, i) for i in missing)))
    for issue_id, place in zip(missing, places, strict=True):
        if place is None:
            result.gone.add(issue_id)
        elif place != project_id:
            result.moved[issue_id] = place
        else:
            result.lagging.add(issue_id)
    return result


async def audited_deletions(client: JiraClient, since: datetime | None) -> set[int] | None:
    """Issue ids with an "Issue deleted" audit record since ``since``; None if the log is not readable."""
    params: dict[str, Any] = {"filter": "Issue deleted"}
    if since is not None:
        params["from"] = since.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    out: set[int] = set()
    offset = 0
    try:
        while True:
            page = await client.get("/rest/api/3/auditing/record", params={**params, "offset": offset, "limit": AUDIT_PAGE})
            records = list(page.get("records") or [])
            for rec in records:
                item = rec.get("objectItem") or {}
                if rec.get("summary") == "Issue deleted" and str(item.get("id", "")).isdigit():
                    out.add(int(item["id"]))
            offset += len(records)
            if not records or offset >= int(page.get("total") or 0):
                return out
    except (PermissionDenied, NotFound):
        return None


async def project_visible(client: JiraClient, api_version: int, project_id: int) -> bool:
    try:
        await client.get(f"/rest/api/{api_version}/project/{project_id}")
    except (NotFound, PermissionDenied):
        return False
    return True


def reasons(gone: set[int], audited: set[int] | None, project_visible: bool,
            parents: dict[int, int] | None = None) -> dict[int, str]:
    """The rule in the module docstring, as data: issue id -> deleted | permission_lost.

    A sub-task goes with its parent: Jira audits the parent's deletion only, so a gone sub-task
    whose parent was deleted is deleted too."""
    if not project_visible:
        return dict.fromkeys(gone, "permission_lost")
    if audited is None:
        return dict.fromkeys(gone, "deleted")
    deleted = set(audited)
    deleted |= {i for i in gone if (parents or {}).get(i) in deleted}
    return {i: "deleted" if i in deleted else "permission_lost" for i in gone}
