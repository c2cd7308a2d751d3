"""The store: SQLAlchemy 2 + Alembic on SQLite (default) or PostgreSQL."""

from jirasync.store import push_models  # noqa: F401  (registers the push tables on Base)
from jirasync.store.db import Store
from jirasync.store.models import Base, ConnectionRow

__all__ = ["Base", "ConnectionRow", "Store"]
