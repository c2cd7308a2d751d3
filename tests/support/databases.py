"""Fresh, empty databases for store tests: a SQLite file, or a PostgreSQL schema of its own.

PostgreSQL is the server at ``$JIRASYNC_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/test``,
trust auth on this project's machines); tests that need it skip with the reason when it is not
reachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_URL = os.environ.get("JIRASYNC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pg_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=2):
            return None
    except Exception as exc:  # any failure means: no server to test against
        return f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}); set JIRASYNC_TEST_PG to run these"


@contextmanager
def fresh_database(kind: str, folder: Path, prefix: str = "t") -> Iterator[str]:
    """The URL of a fresh, empty database (the PostgreSQL schema is dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/{prefix}-{uuid.uuid4().hex[:8]}.db"
        return
    why = pg_unreachable()
    if why:
        pytest.skip(why)
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
