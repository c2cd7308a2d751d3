"""Progress: a Rich bar per project (issues done of the approximate count, rate, ETA) and the summary.

The engine reports through the small ``Progress`` protocol; ``RichProgress`` draws it, ``None``
draws nothing (library use, ``--json``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as _RichBars
from rich.table import Table

if TYPE_CHECKING:
    from jirasync.sync.engine import SyncSummary


class Progress(Protocol):
    def start(self, project: str, total: int | None) -> None: ...

    def advance(self, project: str, issues: int) -> None: ...

    def finish(self, project: str) -> None: ...


class RateColumn(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        speed = task.finished_speed or task.speed
        return super().render(task) if speed is None else f"{speed:,.0f} issues/s"


class RichProgress:
    """``with RichProgress(console) as p: syncer.run(progress=p)``."""

    def __init__(self, console: Console | None = None) -> None:
        self.bars = _RichBars(
            TextColumn("[bold]{task.description:<12}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
            TimeRemainingColumn(), console=console or Console(stderr=True), transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def start(self, project: str, total: int | None) -> None:
        self.tasks[project] = self.bars.add_task(project, total=total)

    def advance(self, project: str, issues: int) -> None:
        task = self.tasks[project]
        self.bars.advance(task, issues)
        current = self.bars.tasks[self.tasks_index(task)]
        if current.total is not None and current.completed > current.total:  # the count was approximate
            self.bars.update(task, total=current.completed)

    def finish(self, project: str) -> None:
        task = self.tasks[project]
        done = self.bars.tasks[self.tasks_index(task)].completed
        self.bars.update(task, total=done, completed=done)

    def tasks_index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self.bars.tasks) if t.id == task)


SUMMARY_ROWS = ("new", "updated", "unchanged", "deleted", "moved", "permission_lost", "skipped", "requests",
                "retries", "duration_s")


def summary_table(summary: SyncSummary) -> Table:
    data = summary.as_dict()
    table = Table(title=f"sync {summary.connection} ({summary.mode})", show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("total", justify="right")
    for project in data["projects"]:
        table.add_column(project["key"], justify="right")
    for row in SUMMARY_ROWS:
        per = [str(p.get(row, "")) for p in data["projects"]]
        table.add_row(row.replace("_", " "), str(data[row]), *per)
    return table
