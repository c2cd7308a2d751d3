"""The Jira HTTP client: retries, pacing, budget, pagination."""

from jirasync.client.budget import Budget
from jirasync.client.client import ClientOptions, ClientStats, JiraClient
from jirasync.client.paging import offset_pages, read_ahead, token_pages

__all__ = ["Budget", "ClientOptions", "ClientStats", "JiraClient", "offset_pages", "read_ahead", "token_pages"]
