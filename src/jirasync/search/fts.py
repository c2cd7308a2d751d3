"""The text index: one ``search_docs`` row per live issue, kept in step with ``issues``.

A document is the issue's summary, description (the stored Markdown; plain text of the raw value
when no Markdown was stored), its comments without a visibility restriction (a comment limited
to a group or role is never indexed, so no search and no snippet can leak it), and its labels.

Keeping it in step — the hook:

* ``reindex(session, connection_id, issue_ids)`` rebuilds the documents of those issues (deleted
  ones are dropped). The sync engine may call it in the transaction of each page it commits.
* ``refresh(session, connection_id)`` finds every stale document by comparing ``updated_ms`` with
  the issue's (Jira bumps ``updated`` on every edit, comment and move) and rebuilds those; ``search``
  calls it first, so the index is right even when nothing called ``reindex``. On an index already
  in step it is one join over ``issues`` and ``search_docs``.

SQLite: FTS5 (external content, Porter stemming, triggers on ``search_docs``); PostgreSQL: a
generated weighted ``tsvector`` column with a GIN index (see the migration ``0003``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from jirasync.content import text_of_adf, text_of_wiki
from jirasync.store.db import insert_for
from jirasync.store.models import CommentRow, IssueRow

from .schema import search_docs

CHUNK = 500


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _text(markdown: str | None, raw: Any) -> str:
    if markdown:
        return markdown
    if isinstance(raw, dict):
        return text_of_adf(raw)
    if isinstance(raw, str):
        return text_of_wiki(raw)
    return ""


def reindex(session: Session, connection_id: int, issue_ids: Collection[int] | None = None) -> int:
    """Rebuild the documents of the live issues among ``issue_ids`` (every issue of the connection
    when None). Returns how many documents were written."""
    d = search_docs
    if issue_ids is None:
        session.execute(delete(d).where(d.c.connection_id == connection_id))
        ids = list(session.scalars(select(IssueRow.id).where(IssueRow.connection_id == connection_id,
                                                             IssueRow.deleted_at.is_(None)).order_by(IssueRow.id)))
    else:
        ids = sorted(set(issue_ids))
    return sum(_rebuild(session, connection_id, chunk) for chunk in _chunks(ids))


def _rebuild(session: Session, connection_id: int, ids: Sequence[int]) -> int:
    """Upsert the documents of the live issues among ``ids``. An upsert, not delete-and-insert, so
    two processes rebuilding the same issue (a search's refresh and a sync's reindex) wait for each
    other instead of colliding on the unique key. A deleted issue keeps its document: searches
    leave it out by the issue's ``deleted_at``, and it is right again if the issue comes back."""
    i, c = IssueRow, CommentRow
    issues = session.execute(select(i.id, i.updated_ms, i.summary, i.description_md, i.description_raw, i.labels)
                             .where(i.connection_id == connection_id, i.id.in_(ids), i.deleted_at.is_(None))).all()
    if not issues:
        return 0
    bodies: dict[int, list[str]] = {}
    for issue_id, md, raw in session.execute(
            select(c.issue_id, c.body_md, c.body_raw).where(
                c.connection_id == connection_id, c.issue_id.in_([row.id for row in issues]), c.deleted_at.is_(None),
                c.visibility_type.is_(None)).order_by(c.issue_id, c.created, c.id)):
        text = _text(md, raw)
        if text:
            bodies.setdefault(issue_id, []).append(text)
    now = datetime.now(UTC)
    _upsert_docs(session, [
        {"connection_id": connection_id, "issue_id": row.id, "updated_ms": row.updated_ms,
         "summary": row.summary or "", "description": _text(row.description_md, row.description_raw),
         "comments": "\n\n".join(bodies.get(row.id, [])), "labels": " ".join(row.labels or []), "indexed_at": now}
        for row in issues])
    return len(issues)


def _upsert_docs(session: Session, rows: list[dict[str, Any]]) -> None:
    d = search_docs
    insert = insert_for(session)(d)
    changed = {k: insert.excluded[k] for k in ("updated_ms", "summary", "description", "comments", "labels", "indexed_at")}
    session.execute(insert.on_conflict_do_update(index_elements=["connection_id", "issue_id"], set_=changed), rows)


def stale_ids(session: Session, connection_id: int) -> list[int]:
    """Live issues whose document is missing or was built from another ``updated``."""
    d, i = search_docs, IssueRow
    joined = i.__table__.outerjoin(d, and_(d.c.connection_id == i.connection_id, d.c.issue_id == i.id))
    stale = select(i.id).select_from(joined).where(
        i.connection_id == connection_id, i.deleted_at.is_(None),
        or_(d.c.doc_id.is_(None), d.c.updated_ms != i.updated_ms))
    return sorted(session.scalars(stale))


# The fingerprint of the issues the index was last checked against, kept in a search_docs row of
# its own (issue id 0 — Jira ids are positive — never joined to an issue): the number of issue
# rows (in ``labels``) and the sum of their ``updated_ms`` (in ``updated_ms``). Issue rows are
# never removed and their ``updated_ms`` never goes down (the store refuses older snapshots), so
# any new issue or any change makes the fingerprint differ: reading it is an index-only count.
FINGERPRINT_ID = 0


_EPOCH_2020_MS = 1_577_836_800_000  # subtracted so SQLite's exact integer sum holds ~50M issues, not 5M


def fingerprint(session: Session, connection_id: int) -> tuple[int, int]:
    i = IssueRow
    total_ms = func.coalesce(func.sum(i.updated_ms - _EPOCH_2020_MS), 0)
    count, total = session.execute(select(func.count(), total_ms).where(i.connection_id == connection_id)).one()
    return int(count), int(total)


def refresh(session: Session, connection_id: int) -> int:
    """Rebuild every stale document; returns how many were rebuilt. When the issues' fingerprint is
    the one recorded by the last refresh, nothing changed and nothing is scanned."""
    d = search_docs
    now = fingerprint(session, connection_id)
    seen = session.execute(select(d.c.labels, d.c.updated_ms).where(
        d.c.connection_id == connection_id, d.c.issue_id == FINGERPRINT_ID)).first()
    if seen is not None and (seen[0], seen[1]) == (str(now[0]), now[1]):
        return 0
    ids = stale_ids(session, connection_id)
    if ids:
        reindex(session, connection_id, ids)
    _upsert_docs(session, [{"connection_id": connection_id, "issue_id": FINGERPRINT_ID, "updated_ms": now[1],
                            "summary": "", "description": "", "comments": "", "labels": str(now[0]),
                            "indexed_at": datetime.now(UTC)}])
    return len(ids)


# -- query text ------------------------------------------------------------------------------------

_TERM = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)

Term = tuple[tuple[str, ...], bool]  # words (a phrase when several), prefix
"""One term of a query."""


def parse_query(text: str) -> tuple[list[list[Term]], list[Term]]:
    """Web-search syntax: words and ``"quoted phrases"`` must all match, ``-term`` must not, ``OR``
    between two terms offers either, ``word*`` is a prefix. Returns (all of: any of: term, none of:
    term); punctuation is dropped, so nothing the user types reaches the engine as syntax."""
    required: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    for m in _TERM.finditer(text):
        quoted = m.group(2) is not None
        neg, body = (m.group(1), m.group(2)) if quoted else (m.group(3), m.group(4))
        if not quoted and body == "OR":
            pending_or = bool(required)
            continue
        words = tuple(_WORD.findall(body))
        if not words:
            continue
        term = (words, not quoted and body.endswith("*"))
        if neg:
            excluded.append(term)
        elif pending_or:
            required[-1].append(term)
        else:
            required.append([term])
        pending_or = False
    return required, excluded


def fts5_query(text: str) -> str | None:
    """The query for SQLite FTS5 ``MATCH``; None when nothing is required."""
    required, excluded = parse_query(text)
    if not required:
        return None

    def term(t: Term) -> str:
        return '"' + " ".join(t[0]) + '"' + ("*" if t[1] else "")

    def any_of(ts: list[Term]) -> str:
        return term(ts[0]) if len(ts) == 1 else "(" + " OR ".join(term(t) for t in ts) + ")"

    return " AND ".join(any_of(ts) for ts in required) + "".join(f" NOT {term(t)}" for t in excluded)


def tsquery(text: str) -> str | None:
    """The same query for PostgreSQL ``to_tsquery`` (phrases with ``<->``, prefixes with ``:*``)."""
    required, excluded = parse_query(text)
    if not required:
        return None

    def term(t: Term) -> str:
        words = [w.lower() for w in t[0]]
        if t[1]:
            words[-1] += ":*"
        return words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")"

    def any_of(ts: list[Term]) -> str:
        return term(ts[0]) if len(ts) == 1 else "(" + " | ".join(term(t) for t in ts) + ")"

    return " & ".join([*(any_of(ts) for ts in required), *(f"!{term(t)}" for t in excluded)])
