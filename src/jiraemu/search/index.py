"""The search index: what JQL searches see, lagging the database by ``config.index_lag_s``.

Jira Cloud's search index is eventually consistent: a write reaches ``/search/jql`` seconds later,
while ``GET /issue`` reads the database at once. The index emulates that without copying issues:
``state.issues`` is the database, and every write (an ``Event``) leaves a *pending* entry holding
the version the index still shows (``before``; ``None`` for a create). Searches at ``now`` look at
the index as of ``cutoff = now - lag``: an issue with pending writes newer than the cutoff is shown
as the ``before`` of its oldest such write (a deleted issue lingers, a new one is absent), every
other issue as it is now. Entries older than the cutoff are dropped for good, so once an issue is
indexed it stays indexed even if the lag is raised later (as in Jira). ``reconcileIssues`` ids skip
the pending entries and read the database (read-after-write).

``generation`` counts changes of what searches may see; ``changes_since`` lists the issue ids
touched after a generation so search caches can patch their sorted lists instead of re-sorting.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jiraemu.events import ISSUE_CREATED, ISSUE_DELETED, Event
from jiraemu.state import Issue

if TYPE_CHECKING:
    from jiraemu.backend import Backend

_LOG_LIMIT = 20000  # change-log entries kept for incremental cache updates


@dataclass(frozen=True)
class _Pending:
    at: int  # epoch ms of the write
    before: Issue | None  # what the index showed before this write (None: absent)
    after: Issue | None  # the version the write produced (None: deleted)


class SearchIndex:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._pending: dict[int, list[_Pending]] = {}
        self._by_project: dict[int, set[int]] | None = None  # built on first use
        self.generation = 0
        self._log: list[tuple[int, int]] = []  # (generation, issue id), ascending
        self._log_floor = 0  # generations <= this are no longer in the log
        self._synced_at: tuple[int, int] | None = None  # (now, lag) of the last sync
        self.service: Any = None  # jiraemu.search.models.SearchService, created on first search
        backend.listeners.append(self.on_event)

    # -- writes ------------------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        issue = event.issue
        if issue is None:
            return
        at = event.at or self.backend.now_ms()
        if event.kind == ISSUE_CREATED:
            before, after = None, issue
        elif event.kind == ISSUE_DELETED:
            before, after = event.before or issue, None
        else:
            before, after = event.before, issue
        queue = self._pending.get(issue.id)
        if queue:  # the index's view is fixed by the oldest pending write
            before = queue[-1].after
        if before is not None or event.kind == ISSUE_CREATED or queue:
            self._pending.setdefault(issue.id, []).append(_Pending(at, before, after))
        self._track_project(issue.id, before, after)
        self._synced_at = None
        self._touch(issue.id)

    def invalidate(self) -> None:
        """Forget cached views (call after editing ``state`` without events, e.g. in tests)."""
        self._by_project = None
        self.generation += 1
        self._log_floor = self.generation

    # -- reads -------------------------------------------------------------------------------------
    def lag_ms(self) -> int:
        return int(float(self.backend.config.index_lag_s) * 1000)

    def sync(self, now_ms: int) -> None:
        """Index every write older than the cutoff (bumps ``generation`` when anything changed)."""
        lag = self.lag_ms()
        if not self._pending or self._synced_at == (now_ms, lag):
            return
        self._synced_at = (now_ms, lag)
        cutoff = now_ms - lag
        for iid in list(self._pending):
            queue = self._pending[iid]
            keep = [p for p in queue if p.at > cutoff]
            if len(keep) == len(queue):
                continue
            if keep:
                self._pending[iid] = keep
            else:
                del self._pending[iid]
            self._touch(iid)

    def visible_version(self, issue_id: int, now_ms: int, reconcile: Collection[int] = ()) -> Issue | None:
        """The version of one issue searches see (``None``: not in the index)."""
        self.sync(now_ms)
        queue = self._pending.get(issue_id)
        if queue and issue_id not in reconcile:
            return queue[0].before
        return self.backend.state.issues.get(issue_id)

    def visible_issues(
        self, now_ms: int, reconcile: Collection[int] = (), project_ids: Collection[int] | None = None
    ) -> Iterator[Issue]:
        """Every issue searches see at ``now_ms``, optionally only those of some projects.

        Permissions are not applied here (see ``backend.perms.can_see_issue``)."""
        self.sync(now_ms)
        live = self.backend.state.issues
        pending = self._pending
        for issue in self._live_candidates(project_ids):
            if issue.id not in pending:
                yield issue
        for iid, queue in list(pending.items()):
            version = live.get(iid) if iid in reconcile else queue[0].before
            if version is not None and (project_ids is None or version.project_id in project_ids):
                yield version

    def visible_by_ids(self, ids: Iterable[int], now_ms: int, reconcile: Collection[int] = ()) -> Iterator[Issue]:
        for iid in ids:
            version = self.visible_version(iid, now_ms, reconcile)
            if version is not None:
                yield version

    def changes_since(self, generation: int) -> set[int] | None:
        """Issue ids whose visible version may have changed after ``generation`` (None: unknown)."""
        if generation < self._log_floor:
            return None
        from bisect import bisect_right

        start = bisect_right(self._log, (generation, 1 << 62))
        return {iid for _, iid in self._log[start:]}

    def project_issue_ids(self, project_id: int) -> set[int]:
        return self._projects().get(project_id, set())

    # -- internals ---------------------------------------------------------------------------------
    def _live_candidates(self, project_ids: Collection[int] | None) -> Iterable[Issue]:
        live = self.backend.state.issues
        if project_ids is None:
            return list(live.values())
        by_project = self._projects()
        out: list[Issue] = []
        for pid in project_ids:
            for iid in by_project.get(pid, ()):
                issue = live.get(iid)
                if issue is not None and issue.project_id == pid:
                    out.append(issue)
        return out

    def _projects(self) -> dict[int, set[int]]:
        if self._by_project is None or sum(map(len, self._by_project.values())) < len(self.backend.state.issues):
            by_project: dict[int, set[int]] = {}
            for issue in self.backend.state.issues.values():
                by_project.setdefault(issue.project_id, set()).add(issue.id)
            self._by_project = by_project
        return self._by_project

    def _track_project(self, issue_id: int, before: Issue | None, after: Issue | None) -> None:
        if self._by_project is None:
            return
        if after is not None:
            self._by_project.setdefault(after.project_id, set()).add(issue_id)
        if before is not None and (after is None or after.project_id != before.project_id):
            self._by_project.get(before.project_id, set()).discard(issue_id)

    def _touch(self, issue_id: int) -> None:
        self.generation += 1
        self._log.append((self.generation, issue_id))
        if len(self._log) > _LOG_LIMIT:
            cut = len(self._log) // 2
            self._log_floor = self._log[cut - 1][0]
            del self._log[:cut]
