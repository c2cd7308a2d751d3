"""Start-up: opening a store that is already at the newest migration skips Alembic, and nothing else.

``Store.migrate`` compares the database's ``alembic_version`` row with the head revision read from
the migration files; only an exact match skips Alembic. A new database, an older revision or an
unknown one still goes through ``alembic upgrade head`` (which migrates, or refuses, as before).
Whether Alembic ran is observed in a fresh interpreter (``sys.modules``), never by mocking.

The CLI loads its heavy modules inside the commands: ``jirasync --help`` does not load the store,
the HTTP client or the push engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from jirasync.store import Store
from jirasync.store.db import MIGRATIONS, head_revision
from tests.support.databases import fresh_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(str(request.param), tmp_path, prefix="startup") as url:
        yield url


def alembic_upgrade(url: str, revision: str) -> None:
    """Migrate with Alembic itself to ``revision`` (how an older jirasync left its database)."""
    from alembic import command
    from alembic.config import Config

    store = Store(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        store.close()


def state(url: str) -> tuple[list[str], set[str]]:
    """The database's version rows and its tables."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            versions = [r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")] \
                if "alembic_version" in tables else []
        return versions, tables
    finally:
        store.close()


def open_in_fresh_process(url: str) -> dict[str, object]:
    """Open the store the way every command does, in a new interpreter; report what it loaded."""
    code = (
        "import json, sys\n"
        "from jirasync.store import Store\n"
        "s = Store(sys.argv[1]); s.migrate(); s.close()\n"
        "print(json.dumps({'alembic': 'alembic' in sys.modules}))\n"
    )
    r = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if r.returncode != 0:
        return {"error": r.stderr}
    return dict(json.loads(r.stdout))


def test_head_revision_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_head_revision_is_unknown_when_the_scripts_are_unclear(tmp_path: Path) -> None:
    def script(name: str, text: str) -> None:
        (tmp_path / name).write_text(text)

    assert head_revision(tmp_path) is None  # no scripts at all
    script("a.py", 'revision = "a"\ndown_revision = None\n')
    script("b.py", 'revision = "b"\ndown_revision = "a"\n')
    assert head_revision(tmp_path) == "b"
    script("c.py", 'revision = "c"\ndown_revision = "a"\n')  # a branch: two heads
    assert head_revision(tmp_path) is None
    script("d.py", 'revision = "d"\ndown_revision = ("b", "c")\n')  # merged again
    assert head_revision(tmp_path) == "d"
    script("e.py", 'revision = make_revision()\ndown_revision = "d"\n')  # not a plain string
    assert head_revision(tmp_path) is None


def test_a_new_database_is_migrated_to_head(db_url: str) -> None:
    assert state(db_url) == ([], set())
    assert open_in_fresh_process(db_url) == {"alembic": True}
    versions, tables = state(db_url)
    assert versions == [head_revision()]
    assert {"connections", "issues", "push_map", "push_dead_letters"} <= tables


def test_a_database_at_head_opens_without_alembic(db_url: str) -> None:
    alembic_upgrade(db_url, "head")
    before = state(db_url)
    assert open_in_fresh_process(db_url) == {"alembic": False}
    assert state(db_url) == before


def test_a_database_at_an_older_revision_is_still_migrated(db_url: str) -> None:
    alembic_upgrade(db_url, "0003")  # before the push tables
    versions, tables = state(db_url)
    assert versions == ["0003"] and "push_map" not in tables
    assert open_in_fresh_process(db_url) == {"alembic": True}
    versions, tables = state(db_url)
    assert versions == [head_revision()]
    assert {"push_map", "push_comments", "push_dead_letters"} <= tables
    assert open_in_fresh_process(db_url) == {"alembic": False}  # and from then on it is at head


def test_an_unknown_revision_is_not_taken_for_head(db_url: str) -> None:
    """A database written by a newer jirasync: Alembic is asked, and refuses, as before the short-cut."""
    alembic_upgrade(db_url, "head")
    store = Store(db_url)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    finally:
        store.close()
    result = open_in_fresh_process(db_url)
    assert "f00d" in str(result.get("error")), result
    assert state(db_url)[0] == ["f00d"]


def test_help_loads_neither_the_store_nor_the_http_client() -> None:
    code = (
        "import sys\n"
        "from jirasync.cli import main\n"
        "sys.argv = ['jirasync', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('sqlalchemy', 'alembic', 'httpx', 'authlib', 'jirasync.store', 'jirasync.connections',"
        " 'jirasync.push', 'jirasync.sync', 'jirasync.search')\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                       env={**os.environ, "COLUMNS": "120"})
    assert r.returncode == 0, r.stderr
    assert "connect" in r.stdout and "sync" in r.stdout and "push" in r.stdout  # every command is still listed
    assert "LOADED []" in r.stdout, r.stdout


def test_a_command_leaves_the_sqlite_store_closed(tmp_path: Path) -> None:
    """The CLI closes the store when its command ends (the interpreter's last collection is skipped at
    exit): SQLite has checkpointed its write-ahead log and removed it, so the data dir holds one
    self-contained database file that can be copied as it is."""
    home = tmp_path / "home"
    r = subprocess.run([sys.executable, "-m", "jirasync.cli", "--home", str(home), "connections", "list"],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "no connections yet" in r.stdout
    assert (home / "jirasync.db").is_file()
    assert sorted(p.name for p in home.glob("jirasync.db-*")) == []  # no -wal / -shm left behind


def test_the_cli_copies_of_library_defaults_agree() -> None:
    from jirasync import cli_daemon, daemon
    from jirasync.auth import defaults, oauth2

    assert cli_daemon.DEFAULT_INTERVAL_MIN == daemon.DEFAULT_INTERVAL_MIN
    assert (oauth2.DEFAULT_AUTH_BASE, oauth2.DEFAULT_API_BASE, oauth2.DEFAULT_SCOPES) == \
        (defaults.DEFAULT_AUTH_BASE, defaults.DEFAULT_API_BASE, defaults.DEFAULT_SCOPES)


def test_listing_connections_loads_no_http_client(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from jirasync.connections import Connections\n"
        "conns = Connections.open(sys.argv[1])\n"
        "print('CONNECTIONS', [c.name for c in conns.list()])\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith(('httpx', 'authlib', 'jirasync.client', 'jirasync.check'))))\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "home")], capture_output=True, text=True, cwd=ROOT,
                       timeout=60, env={k: v for k, v in os.environ.items() if k not in ("JIRASYNC_DB", "JIRASYNC_HOME")})
    assert r.returncode == 0, r.stderr
    assert "CONNECTIONS []" in r.stdout and "LOADED []" in r.stdout, r.stdout
