"""``search()``: full text over the store, filtered, ranked, with snippets — optionally as another user.

Without ``as_user`` the answer is what the connection's Jira user sees (everything synced). With
it, only the issues that user may browse in Jira (``jirasync.search.access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session

from jirasync.exceptions import ConfigError
from jirasync.records import epoch_ms
from jirasync.store.db import Store
from jirasync.store.models import IssueRow, UserRow
from jirasync.store.repo import connection_id_of

from . import access, fts
from .schema import BM25_WEIGHTS, TS_CONFIG, search_docs

MARK = "**"  # snippets mark matches as Markdown bold
ELLIPSIS = "…"


@dataclass(frozen=True)
class Hit:
    key: str
    summary: str
    score: float  # higher is better; comparable within one search only
    snippet: str  # the best matching passage, matches between ``**``


def connection_id(store: Store, connection: str | int) -> int:
    if isinstance(connection, int):
        return connection
    found = connection_id_of(store, connection)
    if found is None:
        raise ConfigError("--connection", f"no connection named {connection!r}", fix="see `jirasync connections list`")
    return found


def search(
    store: Store,
    connection: str | int,
    text: str,
    project: str | list[str] | None = None,
    status: str | list[str] | None = None,
    assignee: str | None = None,
    updated_after: datetime | None = None,
    as_user: str | None = None,
    limit: int = 20,
    refresh: bool = True,
) -> list[Hit]:
    """The best ``limit`` issues matching ``text`` (all words; ``"phrases"``, ``-word``, ``a OR b``,
    ``pre*``), best first. Empty ``text``: the filters alone, most recently updated first.

    ``project``/``status``: key(s) or name(s), case-insensitive. ``assignee``: accountId, username
    or email (``unassigned`` for none). ``as_user``: only what that user may see in Jira.
    ``refresh``: first bring the index in step with the store (see ``fts.refresh``)."""
    if limit < 1:
        raise ConfigError("--limit", "must be at least 1")
    cid = connection_id(store, connection)
    if refresh:
        with store.session() as s:
            fts.refresh(s, cid)
    with store.session() as s:
        where = _filters(s, cid, project, status, assignee, updated_after)
        if as_user is not None:
            where.append(access.plan_for(s, cid, as_user).predicate())
        dialect = s.get_bind().dialect.name
        if not text.strip():
            return _by_updated(s, where, limit)
        match = fts.tsquery(text) if dialect == "postgresql" else fts.fts5_query(text)
        if match is None:
            return []
        if dialect == "postgresql":
            return _postgres(s, cid, match, where, limit)
        return _sqlite(s, cid, match, where, limit)


def _filters(s: Session, cid: int, project: str | list[str] | None, status: str | list[str] | None,
             assignee: str | None, updated_after: datetime | None) -> list[ColumnElement[bool]]:
    i = IssueRow
    out: list[ColumnElement[bool]] = [i.connection_id == cid, i.deleted_at.is_(None)]
    if project:
        keys = [project] if isinstance(project, str) else project
        out.append(func.upper(i.project_key).in_([k.upper() for k in keys]))
    if status:
        names = [status] if isinstance(status, str) else status
        out.append(func.lower(i.status).in_([n.lower() for n in names]))
    if assignee:
        out.append(_assignee(s, cid, assignee))
    if updated_after is not None:
        when = updated_after if updated_after.tzinfo else updated_after.replace(tzinfo=UTC)
        out.append(i.updated_ms >= epoch_ms(when))
    return out


def _assignee(s: Session, cid: int, who: str) -> ColumnElement[bool]:
    if who.lower() in ("unassigned", "none", "empty"):
        return IssueRow.assignee_id.is_(None)
    u = UserRow
    ids = set(s.scalars(select(u.id).where(u.connection_id == cid, or_(
        u.id == who, u.account_id == who, u.name == who, func.lower(u.email) == who.lower()))))
    return IssueRow.assignee_id.in_(sorted(ids | {who}))


def _by_updated(s: Session, where: list[ColumnElement[bool]], limit: int) -> list[Hit]:
    q = select(IssueRow.key, IssueRow.summary).where(*where).order_by(IssueRow.updated_ms.desc(), IssueRow.id.desc())
    return [Hit(key, summary or "", 0.0, "") for key, summary in s.execute(q.limit(limit))]


def _joined(q: Any, cid: int) -> Any:
    d, i = search_docs, IssueRow
    return q.join(i.__table__, (i.connection_id == d.c.connection_id) & (i.id == d.c.issue_id)).where(
        d.c.connection_id == cid)


def _sqlite(s: Session, cid: int, match: str, where: list[ColumnElement[bool]], limit: int) -> list[Hit]:
    """Rank every match (bm25 only), then make snippets for the top ``limit`` alone."""
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    rank: ColumnElement[float] = literal_column(f"bm25(search_fts, {weights})")
    f = table("search_fts", column("rowid"))
    stmt = _joined(select(IssueRow.key, IssueRow.summary, rank, f.c.rowid).select_from(f)
                   .join(search_docs, search_docs.c.doc_id == f.c.rowid), cid)
    stmt = stmt.where(text("search_fts MATCH :match").bindparams(match=match), *where).order_by(rank, IssueRow.id)
    top = s.execute(stmt.limit(limit)).all()
    snips = _fts5_snippets(s, match, [row[3] for row in top])
    return [Hit(key, summary or "", -float(score), snips.get(doc, "")) for key, summary, score, doc in top]


def _fts5_snippets(s: Session, match: str, doc_ids: list[int]) -> dict[int, str]:
    """The best passage of each document: from the description or comments when they match (the
    summary is shown anyway), else from the best column."""
    if not doc_ids:
        return {}
    cols: list[ColumnElement[str]] = [literal_column(f"snippet(search_fts, {n}, '{MARK}', '{MARK}', '{ELLIPSIS}', 16)") for n in (1, 2, -1)]
    f = table("search_fts", column("rowid"))
    q = select(f.c.rowid, *cols).select_from(f).where(
        text("search_fts MATCH :match").bindparams(match=match), f.c.rowid.in_(doc_ids))
    return {doc: next((x for x in (desc, com) if x and MARK in x), best or "") for doc, desc, com, best in s.execute(q)}


def _postgres(s: Session, cid: int, query_text: str, where: list[ColumnElement[bool]], limit: int) -> list[Hit]:
    d = search_docs
    tsq = func.to_tsquery(TS_CONFIG, query_text)
    tsv: ColumnElement[Any] = literal_column("search_docs.tsv")
    rank = func.ts_rank_cd(tsv, tsq, 32)  # 32: rank / (rank + 1), in 0..1
    top = _joined(select(IssueRow.key, IssueRow.summary, rank.label("score"), d.c.doc_id).select_from(d), cid)
    best = top.where(tsv.op("@@")(tsq), *where).order_by(rank.desc(), IssueRow.id).limit(limit).subquery("best")
    options = f"StartSel={MARK}, StopSel={MARK}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" {ELLIPSIS} \""
    body = func.ts_headline(TS_CONFIG, d.c.description + "\n\n" + d.c.comments, tsq, options)
    short = func.ts_headline(TS_CONFIG, d.c.summary + " — " + d.c.labels, tsq, options)
    stmt = (select(best.c.key, best.c.summary, best.c.score, body, short).select_from(best)
            .join(d, d.c.doc_id == best.c.doc_id).order_by(best.c.score.desc(), best.c.key))
    return [Hit(key, summary or "", float(score), b if b and MARK in b else (sh or ""))
            for key, summary, score, b, sh in s.execute(stmt)]
