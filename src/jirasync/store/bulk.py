"""Fast writes of a page of synced issues and their children: driver SQL, values in stored form.

SQLAlchemy's per-row parameter processing (building a dict per row, then one bind processor per
datetime and JSON value) was most of the CPU of a sync's store writes. Here each row is built once
as a tuple whose values are already in their stored form, and the whole page is sent with the
dialect's ``INSERT … ON CONFLICT (key) DO UPDATE``: on SQLite one row's statement through the
sqlite3 module's ``executemany`` (a loop in C), on PostgreSQL ``INSERT … SELECT FROM unnest(…)``
of one binary array per column (one short statement per 5,000 rows; psycopg's parsing of a
multi-row ``VALUES`` statement with thousands of ``%s`` cost more than SQLAlchemy's processing).

What is stored is exactly what SQLAlchemy stores for the same row (tests/test_store.py compares
the two byte for byte):

- SQLite: ``DateTime`` as ``YYYY-MM-DD HH:MM:SS.ffffff`` (the wall time; SQLAlchemy's SQLite
  ``DATETIME`` storage format drops the offset), ``Date`` as ``YYYY-MM-DD``, JSON as the text of
  the engine's JSON serializer.
- PostgreSQL: datetimes and dates as they are (psycopg adapts them), JSON as the serializer's
  text cast to ``json`` (PostgreSQL keeps ``json`` text as given).
- JSON columns with ``none_as_null`` store Python None as SQL NULL, the others as JSON ``null``.

Everything runs on the session's connection, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Date, DateTime, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from jirasync.store import db

Encode = Callable[[Any], Any]
Build = Callable[[Iterable[Any], int, Any], list[tuple[Any, ...]]]
_STAMPS = ("deleted_at", "deleted_reason")  # NULL in every row written from Jira

_DIALECTS = ("sqlite", "postgresql")
_PG_ROWS_PER_STATEMENT = 5_000  # rows per INSERT … SELECT FROM unnest(arrays)


_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # SQLAlchemy's SQLite DATETIME storage format


def _sqlite_datetime(value: Any) -> Any:
    """SQLAlchemy's SQLite DATETIME bind processor (a tuple, not a dict, for the format)."""
    if value is None:
        return None
    if isinstance(value, datetime):  # the wall time: an aware value's offset is not stored
        return _DATETIME % (value.year, value.month, value.day, value.hour, value.minute, value.second,
                            value.microsecond)
    if isinstance(value, date):
        return _DATETIME % (value.year, value.month, value.day, 0, 0, 0, 0)
    raise TypeError("SQLite DateTime type only accepts Python datetime and datetime.date objects as input.")


def _sqlite_date(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]  # YYYY-MM-DD (a datetime's date part)
    raise TypeError("SQLite Date type only accepts Python date objects as input.")


def _same(value: Any) -> Any:
    return value


def _json_encoders(dialect: Dialect, utf8: bool) -> tuple[Encode, Encode]:
    """(JSON column, nullable JSON column) encoders: the engine's JSON serializer. For the store's
    own (orjson, non-str keys allowed), orjson without that option first: the text is the same when
    every key is a str, and it is faster. ``utf8``: the text may be given as UTF-8 bytes."""
    serializer: Encode = getattr(dialect, "_json_serializer", None) or json.dumps
    if serializer is not db._json_dumps:
        return serializer, lambda value: None if value is None else serializer(value)
    dumps = orjson.dumps

    def encode(value: Any) -> Any:
        try:
            data = dumps(value)
        except TypeError:  # a non-str key (orjson.JSONEncodeError is a TypeError)
            return serializer(value)
        return data if utf8 else data.decode()

    def encode_or_null(value: Any) -> Any:
        return None if value is None else encode(value)

    return encode, encode_or_null


class Codec:
    """Value encoders and SQL of one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.name = dialect.name
        if self.name not in _DIALECTS:
            raise ValueError(f"no bulk writer for {self.name}")
        self.sqlite = self.name == "sqlite"
        # SQLite: JSON goes as orjson's UTF-8 bytes, cast to TEXT in SQL (the text SQLite would store
        # for the decoded str, without decoding and encoding it again)
        self.json_mark = "CAST(? AS TEXT)"
        self.datetime: Encode = _sqlite_datetime if self.sqlite else _same
        self.date: Encode = _sqlite_date if self.sqlite else _same
        # JSON column: None is JSON null; nullable (none_as_null) JSON column: None is SQL NULL
        self.json, self.json_or_null = _json_encoders(dialect, utf8=self.sqlite)
        self._quote = dialect.identifier_preparer.quote
        self._format_table = dialect.identifier_preparer.format_table
        self._sql: dict[tuple[str, tuple[str, ...], str | None], str] = {}
        self._builders: dict[str, tuple[tuple[str, ...], tuple[str, ...], Build]] = {}

    def encoder(self, table: Table, column: str) -> Encode:
        """The encoder of one column's values, by its SQLAlchemy type."""
        kind = table.c[column].type
        if isinstance(kind, JSON):
            return self.json_or_null if kind.none_as_null else self.json
        if isinstance(kind, DateTime):
            return self.datetime
        if isinstance(kind, Date):
            return self.date
        return _same

    def quote(self, name: str) -> str:
        return self._quote(name)

    def builder(self, table: Table, sources: Mapping[str, str] | None = None) -> tuple[tuple[str, ...], tuple[str, ...], Build]:
        """(columns, NULL columns, build) for the entity rows of ``table``: ``build(records,
        connection_id, synced_at)`` makes one tuple per record in ``columns`` order, each column
        read from the record's attribute of the same name (or the one ``sources`` names for it) and
        encoded for the dialect; ``deleted_at`` (and ``deleted_reason``) are NULL: a written row is live."""
        sources = dict(sources or {})
        cache_key = f"{table.name}:{sorted(sources.items())}"
        found = self._builders.get(cache_key)
        if found is None:
            nulls = tuple(c for c in _STAMPS if c in table.c)
            fields = [c.name for c in table.c if c.name not in ("connection_id", "synced_at", *nulls)]
            names: dict[str, Any] = {}
            values = []
            for name in fields:
                if not name.isidentifier():
                    raise ValueError(f"column {table.name}.{name} is not an attribute name")
                attr = sources.get(name, name)
                if not attr.isidentifier():
                    raise ValueError(f"{attr!r} is not an attribute name")
                encode = self.encoder(table, name)
                if encode is _same:
                    values.append(f"r.{attr}")
                else:
                    names[f"e_{name}"] = encode
                    values.append(f"e_{name}(r.{attr})")
            source = f"lambda records, cid, when: [(cid, {', '.join(values)}, when) for r in records]"
            build: Build = eval(source, names)  # source made above from column and attribute names only
            found = self._builders[cache_key] = (("connection_id", *fields, "synced_at"), nulls, build)
        return found

    def upsert(self, session: Session, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]], *,
               nulls: Sequence[str] = (), guard: str | None = None) -> None:
        """``INSERT … ON CONFLICT (primary key) DO UPDATE SET`` every other column, over ``rows``
        (tuples in ``columns`` order; the ``nulls`` columns are NULL in every row). ``guard``: SQL
        the existing row must meet to be updated (``excluded`` names the new row)."""
        if not rows:
            return
        key = itemgetter(*[columns.index(c.name) for c in table.primary_key.columns])
        unique = list({key(r): r for r in rows}.values())  # later duplicates win (PostgreSQL refuses twice)
        conn = session.connection()
        if self.sqlite:
            conn.exec_driver_sql(self._upsert_sql(table, tuple(columns), tuple(nulls), guard), unique)
            return
        # one array per column, whatever the row count: a short statement psycopg parses once
        sql = self._unnest_sql(table, tuple(columns), tuple(nulls), guard)
        for start in range(0, len(unique), _PG_ROWS_PER_STATEMENT):
            page = unique[start:start + _PG_ROWS_PER_STATEMENT]
            conn.exec_driver_sql(sql, tuple(list(col) for col in zip(*page, strict=True)))

    def _upsert_sql(self, table: Table, columns: tuple[str, ...], nulls: tuple[str, ...], guard: str | None) -> str:
        """SQLite: one row's statement, for ``executemany`` (run by the sqlite3 module in C)."""
        marks = [self.json_mark if isinstance(table.c[c].type, JSON) else "?" for c in columns]
        return self._cached(table, columns, nulls, guard, f"VALUES ({', '.join(marks + ['NULL'] * len(nulls))})")

    def _unnest_sql(self, table: Table, columns: tuple[str, ...], nulls: tuple[str, ...], guard: str | None) -> str:
        """PostgreSQL: one binary array per column, ``unnest`` into rows."""

        def sql_type(name: str) -> str:
            return str(table.c[name].type.compile(dialect=self.dialect))

        arrays = ", ".join(f"%b::{sql_type(c)}[]" for c in columns)  # binary: no escaping of the text
        values = ", ".join([f"v.c{i}" for i in range(len(columns))] + [f"NULL::{sql_type(c)}" for c in nulls])
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        return self._cached(table, columns, nulls, guard, f"SELECT {values} FROM unnest({arrays}) AS v({aliases})")

    def _cached(self, table: Table, columns: tuple[str, ...], nulls: tuple[str, ...], guard: str | None,
                source: str) -> str:
        """``INSERT INTO table (columns, nulls) <source> ON CONFLICT (key) DO UPDATE SET …``, made once."""
        cache_key = (table.name, (*columns, "", *nulls), guard)
        sql = self._sql.get(cache_key)
        if sql is None:
            q = self._quote
            keys = [c.name for c in table.primary_key.columns]
            names = ", ".join(q(c) for c in (*columns, *nulls))
            sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in (*columns, *nulls) if c not in keys)
            sql = (f"INSERT INTO {self._format_table(table)} ({names}) {source} "
                   f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {sets}")
            if guard is not None:
                sql += f" WHERE {guard}"
            self._sql[cache_key] = sql
        return sql

    def execute(self, session: Session, sql: str, params: Sequence[Any]) -> list[Any]:
        """One statement on the session's connection (``?`` marks become the dialect's)."""
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        result = session.connection().exec_driver_sql(sql, tuple(params))
        return list(result.fetchall()) if result.returns_rows else []

    def marks(self, count: int) -> str:
        return ", ".join(["?"] * count)


def codec_for(session: Session) -> Codec:
    """The codec of the session's engine."""
    return codec_of(session.get_bind().dialect)


def codec_of(dialect: Dialect) -> Codec:
    """The codec of a dialect, made once and kept on it (so it goes with it)."""
    found: Codec | None = getattr(dialect, "_jirasync_bulk_codec", None)
    if found is None:
        found = Codec(dialect)
        setattr(dialect, "_jirasync_bulk_codec", found)  # noqa: B010 - not an attribute of the class
    return found

