"""``jirasync push``: the library's ``Pusher(...).upsert(records)`` with flags. Registered on the
main app by ``cli.py``.

Per record it prints what happened (created, updated, unchanged, transitioned, deleted, failed
with the reason), then a summary; ``--json`` prints the report as JSON. Exit status 1 when a
record failed (it is in the dead-letter table: ``--retry-failed`` sends it again).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from jirasync import cli
from jirasync.exceptions import ConfigError

if TYPE_CHECKING:
    from jirasync.push import Pusher, PushRecord, PushReport

SARIF_DEFAULTS = ("summary=summary", "description=description", "priority=priority")
COLOURS = {"created": "green", "updated": "cyan", "transitioned": "cyan", "deleted": "magenta", "failed": "red",
           "unchanged": "dim", "skipped": "yellow"}


def load_records(path: Path, fmt: str | None, external_id: str | None, maps: list[str]) -> list[PushRecord]:
    from jirasync.push.inputs import FORMATS, guess_format, read_rows
    from jirasync.push.mapping import FieldMap, Mapping

    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise ConfigError("--format", f"{fmt!r} is not a known format", fix=f"use one of {', '.join(FORMATS)}")
    if fmt == "sarif":
        given = {FieldMap.parse(m).target for m in maps}
        maps = [*maps, *(d for d in SARIF_DEFAULTS if d.split("=", 1)[0] not in given)]
        external_id = external_id or "fingerprint"
    if not external_id:
        raise ConfigError("--external-id", "which input field identifies a record?", fix="pass --external-id FIELD (e.g. id)")
    mapping = Mapping.parse(external_id, maps)
    return [mapping.record(row) for row in read_rows(path, fmt)]


def print_report(report: PushReport, as_json: bool) -> None:
    if as_json:
        cli.out.print_json(json.dumps(report.as_dict()))
        return
    for r in report.results:
        colour = COLOURS.get(r.outcome, "white")
        extra = f" ({', '.join(r.changed)})" if r.changed and r.outcome == "updated" else ""
        detail = f": {r.detail}" if r.detail else ""
        line = f"[{colour}]{r.outcome:<12}[/{colour}] {escape(f'{r.key or chr(45):<12} {r.external_id}{extra}{detail}')}"
        (cli.err if r.outcome == "failed" else cli.out).print(line, markup=True, highlight=False, emoji=False)
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report.counts.items())) or "nothing to do"
    cli.out.print(f"{'dry run: ' if report.dry_run else ''}{counts} — {report.requests} request(s)")


def push(
    connection: Annotated[str, typer.Option("--connection", "-c", help="The connection to write through.")],
    project: Annotated[str, typer.Option("--project", "-p", help="The project key the issues live in.")],
    input_file: Annotated[Path | None, typer.Option("--input", "-i", help="The records: JSON Lines, CSV or SARIF 2.1.0 (never modified).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or sarif (default: from the file name).")] = None,
    external_id: Annotated[str | None, typer.Option("--external-id", help="The input field that identifies a record (SARIF: fingerprint).")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="TARGET=SOURCE[:FROM=TO,…], e.g. summary=title or priority=severity:critical=Highest (repeatable).")] = None,
    issue_type: Annotated[str, typer.Option("--issue-type", help="The issue type of created issues.")] = "Task",
    prefix: Annotated[str, typer.Option("--prefix", help="Label prefix: issues carry <prefix>-eid-<id>.")] = "jirasync",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; write nothing.")] = False,
    delete_missing: Annotated[bool, typer.Option("--delete-missing", help="Delete the issues of ids the input no longer has.")] = False,
    delete_subtasks: Annotated[bool, typer.Option("--delete-subtasks", help="Allow deleting issues that have sub-tasks (with them).")] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Send the records that failed before (the dead letters) again.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Search Jira even for ids the store already maps (finds issues deleted behind our back).")] = False,
    settle: Annotated[float, typer.Option("--settle", help="Seconds the search index may lag writes: how long a lost create is searched for before it is sent again.")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Create or update Jira issues from records, exactly once per external id (label + issue property)."""
    from jirasync.client import ClientOptions
    from jirasync.push import Pusher, PushOptions

    conns = cli.open_connections()
    options = PushOptions(settle_s=settle, delete_subtasks=delete_subtasks, verify=verify,
                          client=ClientOptions(verify=cli.state.ca_bundle or True))
    pusher: Pusher = cli.run(lambda: Pusher(conns, connection, project, issue_type, prefix, options))
    if retry_failed:
        report: PushReport = cli.run(lambda: pusher.retry_failed(dry_run=dry_run))
    else:
        if input_file is None:
            cli.fail(ConfigError("--input", "no input file", fix="pass --input FILE (or --retry-failed)"))
        path = input_file
        records = cli.run(lambda: load_records(path, fmt, external_id, list(map_ or [])))
        report = cli.run(lambda: pusher.upsert(records, dry_run=dry_run, delete_missing=delete_missing))
    print_report(report, as_json)
    if report.failed:
        raise typer.Exit(1)


cli.app.command("push")(push)  # type: ignore[has-type]  # (an import cycle: cli imports this module last)
