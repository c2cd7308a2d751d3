"""Where a page of issues goes: the store, in one transaction with the checkpoint that covers it.

The one rule that makes a killed sync resumable: a page of issues, every child collection of
those issues and the project's cursor are committed together (``SyncRepo.transaction()``), so the
cursor never runs ahead of its data and a resume re-reads at most one page.

Sprint membership is part of the page too: each issue's Sprint field gives its complete sprint list
(``jirasync.sync.sprints``), so no per-sprint walk is needed to know who is in a sprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jirasync.store.repo import PageRows, SyncRepo


@dataclass(frozen=True)
class Cursor:
    """A project's position: the last committed issue in ``updated ASC, id ASC`` order."""

    updated_ms: int | None
    issue_id: int | None
    fingerprint: str
    completed: bool = False


def commit_page(repo: SyncRepo, project_key: str, project_id: int, rows: PageRows | None,
                sprints: dict[int, set[int]] | None, cursor: Cursor, at: datetime) -> None:
    """A page's issues and children (``rows``), their sprint lists and the cursor, in one transaction."""
    with repo.transaction() as tx:
        if rows is not None:
            tx.write_page(rows)
        if sprints is not None:
            tx.replace_issue_sprints(sprints, at)
        tx.save_checkpoint(project_key, project_id=project_id, updated_ms=cursor.updated_ms, issue_id=cursor.issue_id,
                           fingerprint=cursor.fingerprint, completed=cursor.completed, at=at)
