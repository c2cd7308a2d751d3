"""``jirasync daemon [--connection NAME …] [--interval MINUTES] [--once]``: the scheduler with flags.
Registered on the main app by ``cli.py``."""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jirasync import cli
from jirasync.settings import DEFAULT_INTERVAL_MIN

if TYPE_CHECKING:
    from jirasync.daemon import Scheduled


def daemon(
    connection: Annotated[list[str] | None, typer.Option("--connection", "-c", help="Only these connections (repeatable; default: all, including ones added later).")] = None,
    interval: Annotated[float, typer.Option("--interval", help="Minutes between runs of a connection (a connection's own interval_minutes option wins).")] = DEFAULT_INTERVAL_MIN,
    once: Annotated[bool, typer.Option("--once", help="Run every connection once, then exit.")] = False,
) -> None:
    """Sync every connection on its schedule; `kill -USR1 <pid>` runs all of them now. One run per connection at a time."""
    from jirasync.daemon import Daemon

    conns = cli.open_connections()

    def report(item: Scheduled, summary: Any) -> None:
        if summary is None:
            reason = item.last_error or "another run holds the lock"
            cli.err.print(f"[yellow]{item.name}:[/yellow] not synced ({reason})", markup=True)
        else:
            counts = ", ".join(f"{k} {v}" for k, v in summary.counts().items() if v)
            cli.out.print(f"{item.name}: {summary.status} — {counts or 'no changes'}; {summary.requests} requests; "
                          f"next in {item.interval_s / 60:g} min")

    sched = Daemon(conns, names=connection or None, interval_min=interval, on_result=report)

    import asyncio

    async def main() -> None:
        if once:
            await sched.run_due()
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGUSR1, sched.trigger)
        cli.err.print(f"jirasync daemon (pid {os.getpid()}): every {interval:g} min; `kill -USR1 {os.getpid()}` syncs now")
        await sched.run_forever(stop)

    cli.run(lambda: main())


cli.app.command("daemon")(daemon)  # type: ignore[has-type]  # (an import cycle: cli imports this module last)
