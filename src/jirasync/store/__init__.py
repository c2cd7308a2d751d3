"""The store: SQLAlchemy 2 + Alembic on SQLite (default) or PostgreSQL."""

from jirasync.store.db import Store
from jirasync.store.models import Base, ConnectionRow
from jirasync.store import push_models  # noqa: F401,E402  (registers the push tables on Base)

__all__ = ["Base", "ConnectionRow", "Store"]
