"""Sync in: everything the connection's Jira user can see, full then incremental, into the store.

    summary = await Syncer(Connections.open(), "acme").run(full=False, projects=["ABC"])
"""

from jirasync.sync.engine import ProjectSummary, Syncer, SyncSummary

__all__ = ["ProjectSummary", "SyncSummary", "Syncer"]
