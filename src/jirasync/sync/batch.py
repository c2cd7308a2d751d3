"""One batch of issues from raw JSON to the store: parse, complete, commit.

The network side of a sync (``engine``, ``issues``) works on raw JSON: it reads the search pages,
picks the issues that are new or changed, and fetches what their embedded pages lack
(``issues.fetch_children``). Everything CPU-bound after that is ``write_batch``, which the engine
runs on a thread of the run's pool while the event loop keeps reading. It is two steps:
``prepare_batch`` — every issue and child parsed into records, ADF or wiki markup converted to
Markdown, the rows encoded in stored form (``repo.page_rows``: no database needed) — then the one
transaction that writes them with the checkpoint (``sink.commit_page``).

Measured and not kept (10,000 issues at 100 ms on the 2-core benchmark machine, jiraemu on the
same cores):

- The whole step in a writer process (the batch sent as one orjson document): every batch decoded
  twice; spawned, 8.2-9.1 s against 8.4 s here, 2-2.7x the peak RSS. Forked and pipelined, no
  faster either; with Markdown simulated in the event-loop process, 11.2 s against 12.8 s on a
  slower day: 12 % for a second process and database writer, fork-safety and a second copy of
  every batch.
- ``prepare_batch`` in a spawned parse process, fed the search responses' bodies (decoded there
  again) and returning plain row tuples, this process keeping the network, the decoding it needs
  for its own decisions and SQLite: alternating runs 8.1, 7.8, 8.1, 8.7 s against 7.7, 7.9, 8.2,
  8.6 s in process (7.3-9.2 s with 8 searches at once instead of 4). This process's CPU did not
  fall: it spent what it saved on pickling the children and unpickling 167 MB of rows, its JSON
  decoding slowed (2.15 s against 1.6 s of GIL time: three busy processes on two cores) and its
  peak RSS went from 340 to 620 MB (page faults cost ~6 µs each on this machine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from jirasync.exceptions import RecordError
from jirasync.records import (
    AttachmentRecord,
    CommentRecord,
    HistoryRecord,
    IssueRecord,
    WorklogRecord,
)
from jirasync.store.bulk import Codec
from jirasync.store.repo import PageRows, SyncRepo, page_rows
from jirasync.sync.issues import Children, item_id
from jirasync.sync.sink import Cursor, commit_page
from jirasync.sync.sprints import memberships

ToMarkdown = Callable[[Any], str]


@dataclass
class Batch:
    """What the network side hands ``write_batch``: raw issues and children, and where the stream stands."""

    key: str  # the checkpoint this batch advances (a project's, or one of its ranges')
    project_id: int
    connection_id: int
    items: list[dict[str, Any]]
    wanted: list[int]  # ids of the issues to (re)write: new to the store, or changed
    children: Children
    cursor: Cursor  # the stream's position before this batch
    at: datetime
    sprint_fields: list[str]  # the site's Sprint field ids (none: membership comes from the sprint walk)


@dataclass
class BatchResult:
    cursor: Cursor  # committed with the batch
    parsed: int  # issues read (written or not)
    written: list[tuple[int, int, int]]  # (id, project id, updated ms) of the issues written, in order
    skipped: list[RecordError] = field(default_factory=list)
    attachments: list[AttachmentRecord] = field(default_factory=list)  # metadata written (for blob content)


@dataclass
class Prepared:
    """A batch parsed and encoded, ready for its one transaction."""

    rows: PageRows | None  # None: nothing to write, only the cursor moves
    sprints: dict[int, set[int]] | None  # issue id -> sprint ids (None: no Sprint field)
    result: BatchResult


# -- the step --------------------------------------------------------------------------------------
def write_batch(repo: SyncRepo, batch: Batch, cloud: bool, to_markdown: ToMarkdown | None) -> BatchResult:
    """Parse ``batch``, complete each wanted issue with its children, commit it with its cursor."""
    prepared = prepare_batch(batch, cloud, to_markdown, repo.codec())
    commit_page(repo, batch.key, batch.project_id, prepared.rows, prepared.sprints, prepared.result.cursor, batch.at)
    return prepared.result


def prepare_batch(batch: Batch, cloud: bool, to_markdown: ToMarkdown | None, codec: Codec) -> Prepared:
    """Everything of ``write_batch`` but the transaction: parsing, Markdown, rows in stored form
    (no database needed)."""
    skipped: list[RecordError] = []
    records: list[IssueRecord] = []
    wanted = set(batch.wanted)
    for item in batch.items:
        try:  # an issue not written (unchanged, seen again in the overlap) only moves the cursor: no Markdown
            records.append(IssueRecord.from_json(item, cloud, to_markdown if item_id(item) in wanted else None))
        except RecordError as exc:
            skipped.append(exc)
    fresh = [r for r in records if r.id in wanted]
    kids = batch.children

    def each(items: list[Any], parse: Callable[[Any], Any]) -> list[Any]:
        out = []
        for item in items:
            try:
                out.append(parse(item))
            except RecordError as exc:  # one bad child is a dead letter; the issue is still written
                skipped.append(exc)
        return out

    comments: list[CommentRecord] = []
    worklogs: list[WorklogRecord] = []
    histories: list[HistoryRecord] = []
    for r in fresh:
        if r.id in kids.comments:
            comments += each(kids.comments[r.id], partial(_comment, r.id, cloud, to_markdown))
        else:
            comments += r.comments
        if r.id in kids.worklogs:
            worklogs += each(kids.worklogs[r.id], partial(_worklog, r.id, cloud, to_markdown))
        else:
            worklogs += r.worklogs
        raw_histories = kids.histories.get(r.id)
        if not raw_histories and not cloud:  # Data Center: the search's expand=changelog (complete, or all there is)
            raw_histories = list((r.raw.get("changelog") or {}).get("histories") or [])
        mine: list[HistoryRecord] = each(raw_histories or [], partial(_history, r.id, cloud))
        if cloud:  # bulkfetch pages may interleave: oldest first, as Data Center sends them
            mine.sort(key=lambda h: h.id)
        histories += mine
    cursor = batch.cursor
    if records:
        last = max(records, key=lambda r: (r.updated_ms, r.id))
        if cursor.updated_ms is None or last.updated_ms >= cursor.updated_ms:
            cursor = Cursor(last.updated_ms, last.id, cursor.fingerprint)
    attachments = [a for r in fresh for a in r.attachments]
    rows = page_rows(codec, batch.connection_id, batch.at, issues=fresh, comments=comments, worklogs=worklogs,
                     attachments=attachments, histories=histories,
                     links=[lk for r in fresh for lk in r.links]) if fresh else None
    sprints = memberships(fresh, batch.sprint_fields) if fresh and batch.sprint_fields else None
    result = BatchResult(cursor, len(records), [(r.id, r.project_id, r.updated_ms) for r in fresh], skipped,
                         attachments)
    return Prepared(rows, sprints, result)


def _comment(issue_id: int, cloud: bool, to_markdown: ToMarkdown | None, data: Any) -> CommentRecord:
    return CommentRecord.from_json(issue_id, data, cloud, to_markdown)


def _worklog(issue_id: int, cloud: bool, to_markdown: ToMarkdown | None, data: Any) -> WorklogRecord:
    return WorklogRecord.from_json(issue_id, data, cloud, to_markdown)


def _history(issue_id: int, cloud: bool, data: Any) -> HistoryRecord:
    return HistoryRecord.from_json(issue_id, data, cloud)


def markdown_for(cloud: bool) -> ToMarkdown:
    """The content converter of a flavour: ADF (Cloud) or wiki markup (Data Center) to Markdown."""
    from jirasync import content

    ctx = content.MarkdownContext()
    if cloud:
        return lambda value: content.adf_to_markdown(value, ctx) if isinstance(value, dict) else str(value)
    return lambda value: str(content.wiki_to_markdown(value, ctx))
