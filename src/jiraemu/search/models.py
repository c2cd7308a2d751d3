"""Issue search: JQL compiled once, matching issues sorted once per index generation, pages cut
from the sorted list.

A ``Result`` is the sorted list of ``(sort_key, issue id)`` entries a query matches for one caller
(permissions applied). It is cached per (query, caller, reconcile ids, minute) and kept current by
patching the entries of issues the index reports changed — so paging 100k issues costs a bisect
and a slice, not a sort. ``nextPageToken`` names the sort position of the last issue returned
(kept server-side, like Jira's opaque tokens): the next page starts strictly after that position
even when issues were written in between, so an issue is never skipped because others moved.
"""

from __future__ import annotations

import base64
import gc
import hashlib
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jiraemu.errors import JiraError, bad_request
from jiraemu.state import Issue, User

if TYPE_CHECKING:
    from jiraemu.backend import Backend

UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
BAD_TOKEN = "The provided nextPageToken is invalid or has expired."
TOO_MANY_RECONCILE = "The number of issues to reconcile can't exceed 50."
MAX_RECONCILE = 50
ID_ONLY_CAP = 5000  # /search/jql page cap when only id/key are requested
FULL_CAP = 100  # /search/jql page cap otherwise
_CACHE_SIZE = 32
_TOKEN_LIMIT = 100_000

Entry = tuple[Any, int]  # (plan.sort_key(issue), issue id)


@dataclass
class Result:
    """The issues a query matches for one caller, in search order."""

    plan: Any
    key: Callable[[Issue], Any]
    generation: int
    entries: list[Entry] = field(default_factory=list)
    by_id: dict[int, tuple[Entry, Issue]] = field(default_factory=dict)
    minute: int | None = None  # set when the query reads the clock: the result expires with it
    keepalive: Any = None  # the permission cache this result was built under (see _cache_key)

    def __len__(self) -> int:
        return len(self.entries)

    def issues(self, start: int, stop: int) -> list[Issue]:
        return [self.by_id[iid][1] for _, iid in self.entries[start:stop]]


@dataclass(frozen=True)
class PageToken:
    fingerprint: str
    position: Entry
    issued_ms: int


@dataclass
class Page:
    issues: list[Issue]
    is_last: bool
    next_token: str | None


class SearchService:
    """Per-backend search state: compiled plans, cached results and issued page tokens."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._results: OrderedDict[tuple[Any, ...], Result] = OrderedDict()
        self._tokens: dict[str, PageToken] = {}

    # -- JQL -----------------------------------------------------------------------------------------
    def compile(self, jql: str, user: User, validate: bool = True, enhanced: bool = False) -> Any:
        """A plan for ``jql`` as ``user`` sees it (``enhanced``: Cloud /search/jql's extra rules)."""
        from jiraemu.search import jql as jqlmod

        try:
            return self.compile_raw(jql, user, validate, enhanced)
        except jqlmod.JqlError as err:
            raise JiraError(400, list(err.messages)) from None

    def compile_raw(self, jql: str, user: User, validate: bool = True, enhanced: bool = False) -> Any:
        """Like ``compile``, raising the engine's ``JqlError``."""
        from jiraemu.search import jql as jqlmod
        from jiraemu.search.jql.evaluate import check_search_jql
        from jiraemu.search.jql.fields import JqlContext

        perms = self.backend.perms
        query = jqlmod.parse(jql)
        if enhanced:
            check_search_jql(query)
        ctx = _clocked_context(JqlContext)(
            state=self.backend.state,
            user=user,
            now_ms=self.backend.now_ms(),
            tz=user.time_zone,
            site_tz=self.backend.state.site.site_timezone,
            can_see=lambda issue: bool(perms.can_see_issue(user, issue)),
            validate_values=validate,
        )
        return jqlmod.compile_query(query, ctx)

    def bounded_plan(self, jql: str, user: User) -> Any:
        """A plan for Cloud's enhanced search, which refuses queries without a restriction."""
        if not jql.strip():
            raise bad_request(UNBOUNDED)
        plan = self.compile(jql, user, enhanced=True)
        if not plan.bounded:
            raise bad_request(UNBOUNDED)
        return plan

    # -- results -------------------------------------------------------------------------------------
    def result(self, jql: str, plan: Any, user: User, reconcile: Collection[int] = ()) -> Result:
        index = self.backend.index
        now = self.backend.now_ms()
        index.sync(now)
        rec = tuple(sorted(set(reconcile)))
        key = self._cache_key(jql, user, rec)
        cached = self._results.get(key)
        # relative dates ("-15m", now()) move with the clock: such results live for a minute at most
        if cached is not None and cached.minute is not None and cached.minute != now // 60_000:
            cached = None
        if cached is not None:
            self._results.move_to_end(key)
            if cached.generation == index.generation:
                return cached
            changed = index.changes_since(cached.generation)
            if changed is not None and len(changed) <= max(500, len(cached) // 20):
                self._patch(cached, changed, user, now, rec)
                return cached
        result = self._build(plan, user, now, rec)
        result.keepalive = getattr(self.backend.perms, "_access", None)
        if getattr(plan.ctx, "read_clock", True):
            result.minute = now // 60_000
        self._results[key] = result
        while len(self._results) > _CACHE_SIZE:
            self._results.popitem(last=False)
        return result

    def count(self, jql: str, plan: Any, user: User) -> int:
        """How many issues match (no sorting unless a current result is cached anyway)."""
        index = self.backend.index
        now = self.backend.now_ms()
        index.sync(now)
        cached = self._results.get(self._cache_key(jql, user, ()))
        if cached is not None and cached.generation == index.generation and cached.minute in (None, now // 60_000):
            return len(cached)
        hidden = self._hidden_projects()
        return sum(1 for i in self._candidates(plan, now, ()) if i.project_id not in hidden and plan.matches(i))

    def _cache_key(self, jql: str, user: User, rec: tuple[int, ...]) -> tuple[Any, ...]:
        # the permission engine replaces its cache dicts when roles, groups or schemes change: a
        # result built before that is stale (the result keeps the old dict alive, so ids never repeat)
        perms_epoch = id(getattr(self.backend.perms, "_access", None))
        state = self.backend.state
        return (" ".join(jql.split()), user.account_id, user.time_zone, rec, id(state), perms_epoch, self._hidden_projects())

    def _hidden_projects(self) -> frozenset[int]:
        """Archived and deleted projects: their issues are out of search, as in Jira."""
        return frozenset(p.id for p in self.backend.state.projects.values() if p.archived or p.deleted)

    def _candidates(self, plan: Any, now: int, rec: Collection[int]) -> Iterable[Issue]:
        index = self.backend.index
        issue_ids = getattr(plan, "issue_ids", None)
        if issue_ids is not None:
            return index.visible_by_ids(issue_ids, now, rec)
        project_ids = getattr(plan, "project_ids", None)
        return index.visible_issues(now, rec, project_ids)

    def _build(self, plan: Any, user: User, now: int, rec: Collection[int]) -> Result:
        # a build allocates a few tuples per issue: keep the cyclic GC from walking the whole state
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build_unpaused(plan, now, rec)
        finally:
            if enabled:
                gc.enable()

    def _build_unpaused(self, plan: Any, now: int, rec: Collection[int]) -> Result:
        matches = plan.matches  # applies the caller's permissions (JqlContext.can_see)
        hidden = self._hidden_projects()
        found = [issue for issue in self._candidates(plan, now, rec) if issue.project_id not in hidden and matches(issue)]
        key = sort_key_function(plan)
        try:
            keyed = [(key(issue), issue) for issue in found]
        except TypeError:  # a sort value of a type _reversed does not know: the engine's own key
            key = plan.sort_key
            keyed = [(key(issue), issue) for issue in found]
        by_id = {issue.id: ((k, issue.id), issue) for k, issue in keyed}
        entries = sorted(entry for entry, _ in by_id.values())
        return Result(plan, key, self.backend.index.generation, entries, by_id)

    def _patch(self, result: Result, changed: set[int], user: User, now: int, rec: Collection[int]) -> None:
        index = self.backend.index
        plan = result.plan
        hidden = self._hidden_projects()
        for iid in changed:
            old = result.by_id.pop(iid, None)
            if old is not None:
                at = bisect_left(result.entries, old[0])
                if at < len(result.entries) and result.entries[at][1] == iid:
                    del result.entries[at]
                else:  # not where it should be: fall back to a scan
                    result.entries.remove(old[0])
            issue = index.visible_version(iid, now, rec)
            if issue is None or issue.project_id in hidden or not plan.matches(issue):
                continue
            entry = (result.key(issue), iid)
            insort(result.entries, entry)
            result.by_id[iid] = (entry, issue)
        result.generation = index.generation

    # -- token paging (Cloud /search/jql) ------------------------------------------------------------
    def fingerprint(self, jql: str, user: User) -> str:
        return hashlib.sha256(f"{' '.join(jql.split())}\x00{user.account_id}".encode()).hexdigest()[:32]

    def page_after(self, result: Result, fingerprint: str, token: str | None, limit: int) -> Page:
        start = 0
        if token:
            start = bisect_right(result.entries, self._position(token, fingerprint))
        stop = start + limit
        issues = result.issues(start, stop)
        if stop >= len(result.entries):
            return Page(issues, True, None)
        return Page(issues, False, self._issue_token(fingerprint, result.entries[stop - 1]))

    def _position(self, token: str, fingerprint: str) -> Entry:
        found = self._tokens.get(token)
        ttl_ms = int(self.backend.config.search_token_ttl_s) * 1000
        if found is None or found.fingerprint != fingerprint or self.backend.now_ms() - found.issued_ms > ttl_ms:
            raise bad_request(BAD_TOKEN)
        return found.position

    def _issue_token(self, fingerprint: str, position: Entry) -> str:
        digest = hashlib.sha256(f"{fingerprint}\x00{position!r}".encode()).digest()[:27]
        token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if token not in self._tokens:
            if len(self._tokens) >= _TOKEN_LIMIT:
                for stale in list(self._tokens)[: _TOKEN_LIMIT // 2]:
                    del self._tokens[stale]
            self._tokens[token] = PageToken(fingerprint, position, self.backend.now_ms())
        return token


def _reversed(value: Any) -> Any:
    """An order-reversing image of a sort value built from C-comparable parts (no Python-level
    ``__lt__`` as in the JQL engine's ``Desc``, which makes sorting 100k issues several times slower)."""
    kind = type(value)
    if kind is int or kind is float:
        return -value
    if kind is str:  # reverse lexicographic; the trailing 1 puts "ab" after "abc"
        return (*(-ord(ch) for ch in value), 1)
    if kind is tuple:
        return tuple([_reversed(v) for v in value])
    if kind is bool:
        return -int(value)
    raise TypeError(kind.__name__)


_NONE_ASC = (1, 0)  # the engine's placing of empty values: last ascending, first descending
_NONE_DESC = (-1, 0)


def sort_key_function(plan: Any) -> Callable[[Issue], Any]:
    """``plan.sort_key``, or an equivalent key of plain tuples when the plan exposes its sorters."""
    sorters = getattr(plan, "sorters", None)
    if sorters is None:
        return plan.sort_key  # type: ignore[no-any-return,unused-ignore]

    def key(issue: Issue) -> tuple[Any, ...]:
        parts: list[Any] = []
        for getter, desc in sorters:
            value = getter(issue)
            if value is None:
                parts.append(_NONE_DESC if desc else _NONE_ASC)
            else:
                parts.append((0, _reversed(value) if desc else value))
        parts.append(issue.id)
        return tuple(parts)

    return key


_CLOCKED: dict[type, type] = {}


def _clocked_context(base: type) -> type:
    """A JqlContext whose ``now_ms`` notes being read, so results of queries that do not depend on
    the clock can be kept past the minute."""
    if base not in _CLOCKED:

        class Clocked(base):  # type: ignore[valid-type,misc,unused-ignore]
            read_clock = False

            @property
            def now_ms(self) -> int:
                self.read_clock = True
                return self._now_ms  # type: ignore[no-any-return,unused-ignore]

            @now_ms.setter
            def now_ms(self, value: int) -> None:
                self._now_ms = value

        _CLOCKED[base] = Clocked
    return _CLOCKED[base]


def service(backend: Backend) -> SearchService:
    """The backend's search service (lives on the index, so ``reset()`` starts it afresh)."""
    index = backend.index
    svc = getattr(index, "service", None)
    if svc is None:
        svc = SearchService(backend)
        index.service = svc
    return svc


def page_cap(id_only: bool) -> int:
    return ID_ONLY_CAP if id_only else FULL_CAP


def check_reconcile(ids: list[int]) -> list[int]:
    if len(ids) > MAX_RECONCILE:
        raise bad_request(TOO_MANY_RECONCILE)
    return ids
