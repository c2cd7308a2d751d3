"""Search the store: full text (SQLite FTS5 / PostgreSQL tsvector), ranked, with snippets, and
"as" any synced user — only the issues Jira would let that user see.

::

    from jirasync.search import search
    for hit in search(store, "acme", "login timeout", project="ABC", as_user="jane@example.com"):
        print(hit.key, hit.score, hit.snippet)

``access`` resolves who may see what; ``fts`` keeps the text index in step with the issues
(``reindex`` / ``refresh``, the hook for sync); ``query`` runs the search.
"""

from jirasync.search.access import AccessPlan, LevelMemberRecord, plan_for, replace_level_members, viewers
from jirasync.search.fts import refresh, reindex
from jirasync.search.query import Hit, search

__all__ = ["AccessPlan", "Hit", "LevelMemberRecord", "plan_for", "refresh", "reindex", "replace_level_members",
           "search", "viewers"]
