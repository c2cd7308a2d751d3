"""OAuth 2.0 (3LO) defaults, in a module of their own so the CLI's option defaults cost no import."""

from __future__ import annotations

DEFAULT_AUTH_BASE = "https://auth.atlassian.com"
DEFAULT_API_BASE = "https://api.atlassian.com"
DEFAULT_SCOPES = ("read:jira-work", "write:jira-work", "read:jira-user", "manage:jira-webhook", "offline_access")
