"""The route table: every area's ``urls.ROUTES``, in one list."""

from __future__ import annotations

import importlib

from jiraemu.http import Route

AREAS = [
    "server_info",
    "projects",
    "fields",
    "issues",
    "search",
    "users",
    "agile",
    "webhooks",
    "auth",
]


def jira_routes() -> list[Route]:
    routes: list[Route] = []
    for area in AREAS:
        try:
            module = importlib.import_module(f"jiraemu.{area}.urls")
        except ModuleNotFoundError as exc:
            if exc.name == f"jiraemu.{area}.urls":
                continue
            raise
        routes.extend(module.ROUTES)
    return routes
