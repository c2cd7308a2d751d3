"""Streams are declarations: each entity states its path, paginator, record parser and parent.

The reference data a sync copies every run (projects, fields, users, groups and members, project
roles, permission schemes and grants, security levels, boards, sprints) is declared here;
``read_stream`` is the one loop that walks any of them. The issue stream is special (a JQL window,
children, checkpoints) and lives in ``jirasync.sync.issues``; its page declarations are at the end
of this module.

A stream's ``name`` is also the store's table family: the engine hands its records to the repo's
``upsert_<name>``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from jirasync.client import JiraClient, offset_pages, token_pages
from jirasync.exceptions import NotFound, PermissionDenied, RecordError
from jirasync.records import (
    BoardRecord,
    FieldRecord,
    GroupMemberRecord,
    GroupRecord,
    PermissionGrantRecord,
    PermissionSchemeRecord,
    ProjectRecord,
    RoleActorRecord,
    SecurityLevelRecord,
    SprintRecord,
    UserRecord,
)

Paging = Literal["offset", "token", "single"]
Flavor = Literal["cloud", "datacenter"]
BOTH: tuple[Flavor, ...] = ("cloud", "datacenter")
AGILE = "/rest/agile/1.0"

# parse(json item, cloud, parent record or None) -> records
Parser = Callable[[Any, bool, Any], Iterable[Any]]


def one(cls: Any) -> Parser:
    """The common case: one JSON item is one record."""
    return lambda item, cloud, _parent: [cls.from_json(item, cloud)]


@dataclass(frozen=True)
class Stream:
    name: str
    path: str  # ``{v}`` = REST version; ``{parent}`` = the parent record's ``parent_key``
    paging: Paging
    items: str | None  # the list's key in a page; None: the page is a bare array
    parse: Parser
    parent: str | None = None
    parent_key: Callable[[Any], Any] = lambda record: record.id
    flavors: tuple[Flavor, ...] = BOTH
    params: dict[str, Any] = field(default_factory=dict)
    parent_param: str | None = None  # the parent goes in this query parameter instead of the path
    page_size: int = 50
    # a parent Jira will not show us (no permission, not a scrum board…) is skipped, not fatal
    optional: bool = False

    def url(self, api_version: int, parent: Any = None) -> str:
        path = self.path.replace("{v}", str(api_version))
        return path.replace("{parent}", str(self.parent_key(parent))) if parent is not None else path

    def query(self, parent: Any = None) -> dict[str, Any]:
        if self.parent_param and parent is not None:
            return {**self.params, self.parent_param: self.parent_key(parent)}
        return dict(self.params)


def _role_actors(item: Any, cloud: bool, project: ProjectRecord) -> list[RoleActorRecord]:
    return RoleActorRecord.from_role_json(project.id, item, cloud)


def _scheme_and_grants(item: Any, cloud: bool, _parent: Any) -> list[Any]:
    return [PermissionSchemeRecord.from_json(item, cloud), *PermissionGrantRecord.from_scheme_json(item, cloud)]


STREAMS: tuple[Stream, ...] = (
    Stream("projects", "/rest/api/{v}/project/search", "offset", "values", one(ProjectRecord),
           flavors=("cloud",), params={"expand": "description,lead,insight"}),
    Stream("projects", "/rest/api/{v}/project", "single", None, one(ProjectRecord), flavors=("datacenter",)),
    Stream("fields", "/rest/api/{v}/field", "single", None, one(FieldRecord)),
    Stream("users", "/rest/api/{v}/users/search", "offset", None, one(UserRecord), flavors=("cloud",), page_size=100),
    Stream("users", "/rest/api/{v}/user/search", "offset", None, one(UserRecord), flavors=("datacenter",),
           params={"username": ".", "includeInactive": "true"}, page_size=100),
    Stream("groups", "/rest/api/{v}/group/bulk", "offset", "values", one(GroupRecord), flavors=("cloud",)),
    Stream("groups", "/rest/api/{v}/groups/picker", "single", "groups", one(GroupRecord), flavors=("datacenter",),
           params={"maxResults": 1000}),
    Stream("group_members", "/rest/api/{v}/group/member", "offset", "values",
           lambda item, cloud, group: [GroupMemberRecord.from_json(group.name, item, cloud)],
           parent="groups", parent_key=lambda g: g.name, params={"includeInactiveUsers": "true"},
           parent_param="groupname", optional=True),
    # project roles are defined once for the site: one list, then each project's actors per role
    Stream("role_ids", "/rest/api/{v}/role", "single", None, lambda item, _cloud, _p: [int(item["id"])], optional=True),
    Stream("role_actors", "/rest/api/{v}/project/{parent}/role/{role}", "single", "", _role_actors,
           parent="projects", optional=True),
    Stream("permission_schemes", "/rest/api/{v}/permissionscheme", "single", "permissionSchemes", _scheme_and_grants,
           params={"expand": "permissions,user,group,projectRole"}, optional=True),
    Stream("project_permission_schemes", "/rest/api/{v}/project/{parent}/permissionscheme", "single", "",
           lambda item, _cloud, project: [(project.id, int(item["id"]))], parent="projects", optional=True),
    # Cloud, Administer Jira: every level of every scheme in one paged read; else the levels each project shows
    Stream("site_security_levels", "/rest/api/{v}/issuesecurityschemes/level", "offset", "values",
           one(SecurityLevelRecord), flavors=("cloud",), page_size=100),
    Stream("security_levels", "/rest/api/{v}/project/{parent}/securitylevel", "single", "levels",
           lambda item, cloud, _p: [SecurityLevelRecord.from_json(item, cloud)], parent="projects", optional=True),
    Stream("boards", f"{AGILE}/board", "offset", "values", one(BoardRecord), optional=True),
    Stream("sprints", f"{AGILE}/board/{{parent}}/sprint", "offset", "values", one(SprintRecord),
           parent="boards", optional=True),
)


def streams_for(cloud: bool) -> dict[str, Stream]:
    flavor: Flavor = "cloud" if cloud else "datacenter"
    return {s.name: s for s in STREAMS if flavor in s.flavors}


def _page_items(page: Any, items: str | None) -> list[Any]:
    if items is None:
        return list(page or [])
    if items == "":
        return [page]  # the whole answer is one item
    return list((page or {}).get(items) or [])


async def pages(client: JiraClient, stream: Stream, url: str, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The paginator the stream declares; each yields lists of JSON items."""
    if stream.paging == "single":
        yield _page_items(await client.get(url, params=params or None), stream.items)
    elif stream.paging == "offset" and stream.items is None:
        async for page in _bare_array_pages(client, url, params, stream.page_size):
            yield page
    elif stream.paging == "offset":
        async for page in offset_pages(client, url, items=stream.items or "values", params=params,
                                       page_size=stream.page_size):
            yield page
    else:
        async for page in token_pages(client, url, items=stream.items or "values", params=params, method="GET"):
            yield page


async def _bare_array_pages(client: JiraClient, url: str, params: dict[str, Any], size: int) -> AsyncIterator[list[Any]]:
    """User searches answer a bare array: a short page is the last one."""
    start = 0
    while True:
        page = list(await client.get(url, params={**params, "startAt": start, "maxResults": size}) or [])
        yield page
        if len(page) < size:
            return
        start += len(page)


async def read_stream(
    client: JiraClient, stream: Stream, api_version: int, cloud: bool, parent: Any = None,
    skipped: list[RecordError] | None = None, url: str | None = None,
) -> list[Any]:
    """Every record of ``stream`` (under ``parent``); a malformed item is skipped and reported."""
    out: list[Any] = []
    try:
        async for page in pages(client, stream, url or stream.url(api_version, parent), stream.query(parent)):
            for item in page:
                try:
                    out.extend(stream.parse(item, cloud, parent))
                except RecordError as exc:
                    if skipped is None:
                        raise
                    skipped.append(exc)
    except (NotFound, PermissionDenied):
        if not stream.optional:
            raise
    return out
