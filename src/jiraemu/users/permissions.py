"""Jira's permission rules (stub: everyone may do everything; see the users area)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiraemu.state import Issue, Project, User

if TYPE_CHECKING:
    from jiraemu.backend import Backend


class Permissions:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def is_admin(self, user: User | None) -> bool:
        return user is not None

    def has(self, user: User | None, permission: str, project: Project | None = None, issue: Issue | None = None) -> bool:
        return user is not None

    def can_see_issue(self, user: User | None, issue: Issue) -> bool:
        return user is not None
