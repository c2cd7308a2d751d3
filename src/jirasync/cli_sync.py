"""``jirasync sync [--connection NAME] [--full] [--project KEY …] [--json]``: the library's
``Syncer(connections, name).run(...)`` with flags. Registered on the main app by ``cli.py``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from jirasync import cli
from jirasync.exceptions import ConfigError, JirasyncError

if TYPE_CHECKING:
    from jirasync.connections import Connections
    from jirasync.sync import SyncSummary


def _pick_connection(conns: Connections, name: str | None) -> str:
    if name:
        return name
    names = [c.name for c in cli.run(conns.list)]
    if len(names) == 1:
        return names[0]
    raise ConfigError("--connection", "there is no connection" if not names else f"{len(names)} connections exist",
                      fix="pass --connection NAME" if names else "add one with `jirasync connect`")


def sync(
    connection: Annotated[str | None, typer.Option("--connection", "-c", help="The connection to sync (default: the only one).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read every issue, ignoring the checkpoints.")] = False,
    project: Annotated[list[str] | None, typer.Option("--project", "-p", help="Only this project key (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON (no progress bars).")] = False,
) -> None:
    """Copy what the connection's Jira user can see into the store: full the first time, then only changes."""
    from jirasync.client import ClientOptions
    from jirasync.daemon import RunLock
    from jirasync.sync import Syncer
    from jirasync.sync.progress import RichProgress, summary_table

    conns = cli.open_connections()  # once: it opens the store (an engine, a schema check) and reads the key
    name = cli.run(lambda: _pick_connection(conns, connection))
    syncer = Syncer(conns, name, options=ClientOptions(verify=cli.state.ca_bundle or True))
    lock = RunLock(conns, name)  # one run per connection at a time, the daemon's included
    if not lock.acquire():
        cli.fail(JirasyncError(f"a sync of {name} is already running", fix="wait for it to finish"))
    try:
        if as_json:
            summary: SyncSummary = cli.run(lambda: syncer.run(full=full, projects=project or None))
            cli.out.print_json(json.dumps(summary.as_dict()))
        else:
            with RichProgress(cli.err) as bars:
                summary = cli.run(lambda: syncer.run(full=full, projects=project or None, progress=bars))
            cli.out.print(summary_table(summary))
            for error in summary.errors:
                cli.err.print(f"[yellow]skipped:[/yellow] {error}", markup=True)
    finally:
        lock.release()
    if summary.status != "ok":
        raise typer.Exit(1)


cli.app.command("sync")(sync)  # type: ignore[has-type]  # (an import cycle: cli imports this module last)
