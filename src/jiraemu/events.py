"""Domain events: every write emits one; the search index and the webhook dispatcher listen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jiraemu.state import Comment, History, Issue, Worklog

# kinds, named as Jira's webhook events
ISSUE_CREATED = "jira:issue_created"
ISSUE_UPDATED = "jira:issue_updated"
ISSUE_DELETED = "jira:issue_deleted"
COMMENT_CREATED = "comment_created"
COMMENT_UPDATED = "comment_updated"
COMMENT_DELETED = "comment_deleted"
WORKLOG_CREATED = "worklog_created"
WORKLOG_UPDATED = "worklog_updated"
WORKLOG_DELETED = "worklog_deleted"
PROPERTY_SET = "issue_property_set"
PROPERTY_DELETED = "issue_property_deleted"


@dataclass
class Event:
    kind: str
    at: int  # epoch ms
    user_id: str | None  # who did it
    issue: Issue | None = None  # the issue after the change (before, for deletes)
    before: Issue | None = None  # the previous version, for updates and moves
    comment: Comment | None = None
    worklog: Worklog | None = None
    history: History | None = None  # the changelog entry this write made, if any
    issue_event_type_name: str | None = None  # issue_created | issue_updated | issue_generic | issue_assigned | issue_commented ...
    extra: dict[str, Any] = field(default_factory=dict)
