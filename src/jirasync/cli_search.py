"""``jirasync search "text" [--project] [--status] [--assignee] [--updated-after] [--as USER]``:
the library's ``jirasync.search.search(...)`` with flags. Registered on the main app by ``cli.py``."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.markup import escape

from jirasync import cli
from jirasync.exceptions import ConfigError

if TYPE_CHECKING:
    from jirasync.search import Hit
    from jirasync.store import Store

_RELATIVE = re.compile(r"^-?(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str, zone: str | None, now: datetime | None = None) -> datetime:
    """``2026-01-31``, ``2026-01-31T09:30`` (in the connection user's zone when no offset is given),
    ``2026-01-31T09:30+02:00``, or a relative ``7d`` / ``12h`` / ``30m`` / ``2w`` (ago)."""
    m = _RELATIVE.match(value.strip())
    if m:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError("--updated-after", f"{value!r} is not a date",
                          fix="use 2026-01-31, 2026-01-31T09:30, or 7d / 12h / 30m ago") from None
    if when.tzinfo is None:
        try:
            when = when.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
        except ZoneInfoNotFoundError:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _pick(store: Store, name: str | None) -> tuple[int, str | None]:
    """The connection's id and its user's time zone (the only connection when no name is given)."""
    from sqlalchemy import select

    from jirasync.search.query import connection_id
    from jirasync.store import ConnectionRow

    with store.session() as s:
        rows = list(s.execute(select(ConnectionRow.name, ConnectionRow.time_zone).order_by(ConnectionRow.name)))
    if name is None:
        if len(rows) != 1:
            raise ConfigError("--connection", "there is no connection" if not rows else f"{len(rows)} connections exist",
                              fix="pass --connection NAME" if rows else "add one with `jirasync connect`")
        name = rows[0][0]
    zone = next((z for n, z in rows if n == name), None)
    return connection_id(store, name), zone


def _marked(snippet: str) -> str:
    """A snippet with its ``**match**`` marks as Rich bold, everything else escaped."""
    from jirasync.search.query import MARK

    parts = escape(snippet).split(MARK)
    return "".join(f"[bold yellow]{p}[/bold yellow]" if i % 2 else p for i, p in enumerate(parts))


def _print(hits: list[Hit]) -> None:
    if not hits:
        cli.err.print("no matching issues")
        return
    for hit in hits:
        cli.out.print(f"[bold]{escape(hit.key)}[/bold]  {escape(hit.summary)}  [dim]{hit.score:.3f}[/dim]", markup=True)
        if hit.snippet:
            cli.out.print("    " + _marked(" ".join(hit.snippet.split())), markup=True)


def issue_viewers(store: Store, cid: int, key: str) -> list[tuple[str, str | None, str | None]]:
    """(user id, display name, email) of every active user who may see the issue ``key``."""
    from sqlalchemy import func, select

    from jirasync.search import viewers
    from jirasync.store.models import IssueRow, UserRow

    with store.session() as s:
        issue_id = s.scalar(select(IssueRow.id).where(IssueRow.connection_id == cid, IssueRow.deleted_at.is_(None),
                                                      func.upper(IssueRow.key) == key.upper()))
        if issue_id is None:
            raise ConfigError("--who-can-see", f"no synced issue {key!r}", fix="check the key, or run `jirasync sync`")
        ids = viewers(s, cid, issue_id)
        users = {u.id: u for u in s.scalars(select(UserRow).where(UserRow.connection_id == cid, UserRow.id.in_(ids)))}
        return [(uid, users[uid].display_name, users[uid].email) for uid in ids]


def _print_viewers(rows: list[tuple[str, str | None, str | None]], as_json: bool) -> None:
    if as_json:
        cli.out.print_json(json.dumps([{"id": i, "displayName": n, "email": e} for i, n, e in rows]))
        return
    for uid, name, email in rows:
        cli.out.print(f"{escape(name or '')}  [dim]{escape(uid)}{'  ' + escape(email) if email else ''}[/dim]", markup=True)
    cli.err.print(f"{len(rows)} users may see it")


def search_command(
    text: Annotated[str, typer.Argument(help='Words to find (all must match); "a phrase", -exclude, a OR b, pre*. Empty: filters only.')] = "",
    connection: Annotated[str | None, typer.Option("--connection", "-c", help="The connection to search (default: the only one).")] = None,
    project: Annotated[list[str] | None, typer.Option("--project", "-p", help="Only this project key (repeatable).")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", "-s", help="Only this status name (repeatable).")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Only issues assigned to this accountId, username or email; 'unassigned' for none.")] = None,
    updated_after: Annotated[str | None, typer.Option("--updated-after", help="Only issues updated since: 2026-01-31, 2026-01-31T09:30 (your Jira time zone), or 7d / 12h ago.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Only what this user (email, accountId or username) may see in Jira.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many results.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
    rebuild: Annotated[bool, typer.Option("--reindex", help="Rebuild the whole text index first.")] = False,
    who_can_see: Annotated[str | None, typer.Option("--who-can-see", help="Instead of searching: list the users who may see this issue (a key).")] = None,
) -> None:
    """Full-text search over the synced issues: ranked, with snippets; --as shows only what that user could see."""
    from jirasync.search import reindex, search

    store = cli.open_connections().store
    cid, zone = cli.run(lambda: _pick(store, connection))
    if who_can_see:
        _print_viewers(cli.run(lambda: issue_viewers(store, cid, who_can_see)), as_json)
        return
    after = cli.run(lambda: parse_when(updated_after, zone)) if updated_after else None
    if rebuild:
        with store.session() as s:
            reindex(s, cid)
    hits: list[Hit] = cli.run(lambda: search(store, cid, text, project=project or None, status=status or None,
                                             assignee=assignee, updated_after=after, as_user=as_user, limit=limit))
    if as_json:
        cli.out.print_json(json.dumps([asdict(h) for h in hits]))
    else:
        _print(hits)


cli.app.command("search")(search_command)  # type: ignore[has-type]  # (an import cycle: cli imports this module last)
