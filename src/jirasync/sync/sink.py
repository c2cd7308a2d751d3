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

from jirasync.records import (
    CommentRecord,
    HistoryRecord,
    IssueRecord,
    WorklogRecord,
)
from jirasync.store.repo import SyncRepo
from jirasync.sync.sprints import record_issue_sprints


@dataclass
class IssueBundle:
    """One issue with every child collection complete (attachments and links come with the issue)."""

    issue: IssueRecord
    comments: list[CommentRecord]
    worklogs: list[WorklogRecord]
    histories: list[HistoryRecord]


@dataclass(frozen=True)
class Cursor:
    """A project's position: the last committed issue in ``updated ASC, id ASC`` order."""

    updated_ms: int | None
    issue_id: int | None
    fingerprint: str
    completed: bool = False


def commit_page(repo: SyncRepo, project_key: str, project_id: int, bundles: list[IssueBundle], cursor: Cursor,
                at: datetime) -> None:
    ids = [b.issue.id for b in bundles]
    with repo.transaction() as tx:
        if bundles:
            tx.upsert_issues([b.issue for b in bundles], at)
            tx.replace_children(
                ids,
                comments=[c for b in bundles for c in b.comments],
                worklogs=[w for b in bundles for w in b.worklogs],
                attachments=[a for b in bundles for a in b.issue.attachments],
                histories=[h for b in bundles for h in b.histories],
                links=[lk for b in bundles for lk in b.issue.links],
                at=at,
            )
            record_issue_sprints(tx, [b.issue for b in bundles], at)
        tx.save_checkpoint(project_key, project_id=project_id, updated_ms=cursor.updated_ms, issue_id=cursor.issue_id,
                           fingerprint=cursor.fingerprint, completed=cursor.completed, at=at)
