"""The search tables (migration ``0003_search``), kept in their own ``MetaData``.

* ``search_docs`` — one row per issue: the text search reads (summary, description Markdown,
  unrestricted comments, labels) and ``updated_ms``, the issue's ``updated`` it was built from
  (a row whose ``updated_ms`` differs from the issue's is stale and rebuilt, see ``jirasync.search.fts``).
  SQLite: an external-content FTS5 table ``search_fts`` (rowid = ``doc_id``) follows it by triggers.
  PostgreSQL: a generated, weighted ``tsv`` column with a GIN index.
* ``security_level_members`` — who belongs to each issue security level (Cloud
  ``GET /rest/api/3/issuesecurityschemes/level/member``): ``holder_type`` as in permission grants,
  ``holder_parameter`` ``''`` when the holder has none (reporter, assignee, anyone).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

METADATA = MetaData()

search_docs = Table(
    "search_docs", METADATA,
    Column("doc_id", Integer, primary_key=True, autoincrement=True),
    Column("connection_id", Integer, ForeignKey("connections.id", ondelete="CASCADE"), nullable=False),
    Column("issue_id", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("summary", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("comments", Text, nullable=False),
    Column("labels", Text, nullable=False),
    Column("indexed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("connection_id", "issue_id", name="uq_search_docs_issue"),
)

security_level_members = Table(
    "security_level_members", METADATA,
    Column("connection_id", Integer, ForeignKey("connections.id", ondelete="CASCADE"), nullable=False),
    Column("level_id", BigInteger, nullable=False, autoincrement=False),
    Column("holder_type", String(64), nullable=False),
    Column("holder_parameter", String(255), nullable=False),
    Column("raw", JSON(none_as_null=True)),
    Column("synced_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("connection_id", "level_id", "holder_type", "holder_parameter"),
)

# Text search configuration (PostgreSQL; the migration's generated ``tsv`` column weights summary A,
# labels B, description C, comments D) and the FTS5 bm25 column weights (SQLite), column order
# summary, description, comments, labels.
TS_CONFIG = "english"
BM25_WEIGHTS = (10.0, 3.0, 1.0, 5.0)

# Tables (and FTS5 shadow tables) this module adds to the store, for schema comparisons.
TABLE_NAMES = frozenset({
    "search_docs", "security_level_members", "search_fts", "search_fts_data", "search_fts_idx",
    "search_fts_docsize", "search_fts_config",
})
