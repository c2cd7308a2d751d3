"""Fetching issue security level members from Jira — the call the sync engine makes each run.

Cloud: ``GET /rest/api/3/issuesecurityschemes/level/member`` (paged, *Administer Jira*), one
listing for every level of every classic project. Data Center's REST API has no member endpoint.
When Jira will not say (Data Center, 403, 404) the stored members are left as they are and the
answer is ``None``: a level without members hides its issues from every ``--as`` user.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from jirasync.client import JiraClient, offset_pages
from jirasync.exceptions import NotFound, PermissionDenied, RecordError
from jirasync.store.db import Store

from .access import LevelMemberRecord, replace_level_members

PATH = "/rest/api/3/issuesecurityschemes/level/member"


async def fetch_level_members(client: JiraClient, cloud: bool,
                              skipped: list[RecordError] | None = None) -> dict[int, list[LevelMemberRecord]] | None:
    """Every level's members, by level id; None when Jira does not list them to this user.
    A malformed member is left out (which can only hide issues) and reported in ``skipped``."""
    if not cloud:
        return None
    found: dict[int, list[LevelMemberRecord]] = defaultdict(list)
    try:
        async for page in offset_pages(client, PATH, items="values", params={"expand": "all"}, page_size=50):
            for item in page:
                try:
                    record = LevelMemberRecord.from_json(item, cloud)
                except RecordError as exc:
                    if skipped is not None:
                        skipped.append(exc)
                    continue
                found[record.level_id].append(record)
    except (NotFound, PermissionDenied):
        return None
    return dict(found)


async def sync_level_members(client: JiraClient, store: Store, connection_id: int, cloud: bool,
                             level_ids: Collection[int] = (), at: datetime | None = None,
                             skipped: list[RecordError] | None = None) -> int | None:
    """Fetch and store the members of every level (``level_ids``: the synced levels, so a level
    that lost all its members is emptied). Returns the member count, or None when unknown."""
    members = await fetch_level_members(client, cloud, skipped)
    if members is None:
        return None
    with store.session() as s:
        for level_id in sorted(set(members) | set(level_ids)):
            replace_level_members(s, connection_id, level_id, members.get(level_id, []), at)
    return sum(len(m) for m in members.values())
