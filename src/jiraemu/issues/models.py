"""Issue writes — CONTRACT STUB, see the issues area.

Every function validates, builds a new Issue version (never mutating the old one), records a
changelog History where Jira would, stores it with ``state.put_issue`` and emits an ``Event``.
Values are internal (ids, account ids, ``Doc``), not REST JSON; ``writes.py`` parses REST bodies.
Errors are ``JiraError`` with Jira's status and messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jiraemu.state import Comment, Doc, Issue, Project, User, Worklog

if TYPE_CHECKING:
    from jiraemu.backend import Backend


def create_issue(backend: Backend, user: User, project: Project, issuetype_id: str, values: dict[str, Any]) -> Issue:
    """``values`` uses Issue attribute names (summary, description, assignee_id, labels, custom={...})."""
    raise NotImplementedError


def update_issue(backend: Backend, user: User, issue: Issue, changes: dict[str, Any], *, event_type: str = "issue_updated") -> Issue:
    """Apply ``changes`` (Issue attribute names; ``custom`` as a dict of field id -> value)."""
    raise NotImplementedError


def transition_issue(backend: Backend, user: User, issue: Issue, transition_id: str, changes: dict[str, Any] | None = None) -> Issue:
    raise NotImplementedError


def move_issue(backend: Backend, user: User, issue: Issue, target: Project) -> Issue:
    """Move to another project: new key (old key still resolves), same id."""
    raise NotImplementedError


def delete_issue(backend: Backend, user: User, issue: Issue, delete_subtasks: bool = False) -> None:
    raise NotImplementedError


def add_comment(backend: Backend, user: User, issue: Issue, body: Doc, visibility: dict[str, str] | None = None) -> Comment:
    raise NotImplementedError


def update_comment(backend: Backend, user: User, issue: Issue, comment_id: int, body: Doc, visibility: dict[str, str] | None = None) -> Comment:
    raise NotImplementedError


def delete_comment(backend: Backend, user: User, issue: Issue, comment_id: int) -> None:
    raise NotImplementedError


def add_worklog(backend: Backend, user: User, issue: Issue, time_spent_seconds: int, started: int, comment: Doc | None = None) -> Worklog:
    raise NotImplementedError
