"""The search index (stub: no lag; see the search area)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jiraemu.backend import Backend


class SearchIndex:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
