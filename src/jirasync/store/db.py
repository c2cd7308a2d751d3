"""The store: an engine on SQLite (WAL, default) or PostgreSQL, migrated with Alembic.

Only ``jirasync.store`` touches sessions; everything else calls its repositories.

Opening a store that is already at the newest migration does not load Alembic (about a fifth of
a second of every command's start-up): ``migrate`` reads the ``alembic_version`` row and compares
it with the head revision read from the migration files' text. Anything else — a new database, an
older or unknown revision, a missing or odd version table, migration files it cannot read — runs
Alembic's ``upgrade head`` exactly as before.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from jirasync.exceptions import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]\s*$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def head_revision(versions: Path = MIGRATIONS / "versions") -> str | None:
    """The one head revision of the migration scripts, read from their text (no Alembic import);
    ``None`` when unsure (no scripts, a script without a plain ``revision = "…"`` line, several heads)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        scripts = sorted(versions.glob("*.py"))
        for script in scripts:
            text = script.read_text(encoding="utf-8")
            found = _REVISION.findall(text)
            downs = _DOWN_REVISION.findall(text)
            if len(found) != 1 or len(downs) != 1:
                return None
            revisions.add(found[0])
            parents.update(_QUOTED.findall(downs[0]))
    except (OSError, UnicodeDecodeError):
        return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and len(revisions) == len(scripts) else None


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA cache_size=-8192")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, no fsync per commit
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=120000")  # other processes (a second sync, the CLI) wait, not fail
    cursor.close()


def engine_for(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url!r} is not a database URL", fix="use sqlite:///PATH or postgresql://user@host/db") from None
    if parsed.drivername == "postgresql" or parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, json_serializer=_json_dumps)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, json_serializer=_json_dumps)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        sqlite = self.engine.dialect.name == "sqlite"
        self._turn: AbstractContextManager[Any] = threading.RLock() if sqlite else nullcontext()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op, without Alembic, when it is there)."""
        if self.at_head():
            return
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise self._unreachable(exc) from None

    def at_head(self) -> bool:
        """True only when the database's one ``alembic_version`` row is the scripts' head revision."""
        head = head_revision()
        if head is None:
            return False
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            raise self._unreachable(exc) from None
        with conn:
            try:
                rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
            except DBAPIError:  # no version table (a new database) or one we cannot read: let Alembic decide
                return False
            finally:
                conn.rollback()
        return rows == [head]

    def _unreachable(self, exc: OperationalError) -> StoreError:
        return StoreError(
            f"cannot open the store at {self.engine.url.render_as_string(hide_password=True)}: {exc.orig}",
            fix="check JIRASYNC_DB / --db, that the server is running and the database exists",
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error (no partial writes).

        SQLite has one writer at a time: transactions of this process take turns (threads of one
        sync commit pages of several projects at once), so none waits out the busy timeout."""
        with self._turn, self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def insert_for(session: Session) -> Callable[..., Any]:
    """The dialect's ``insert`` (it has ``on_conflict_do_update``): PostgreSQL's or SQLite's, the
    PostgreSQL dialect imported only for a store on PostgreSQL (~30 ms of start-up otherwise)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
