"""search: issue text index (FTS5 on SQLite, tsvector + GIN on PostgreSQL) and security level members

Revision ID: 0003
Revises: 0002

The tables are described in jirasync.search.schema (their own MetaData, not the models').
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Copied here (not imported) so this migration keeps its meaning if the module changes later.
_PG_TSV = (
    "setweight(to_tsvector('english', summary), 'A') || "
    "setweight(to_tsvector('english', labels), 'B') || "
    "setweight(to_tsvector('english', description), 'C') || "
    "setweight(to_tsvector('english', comments), 'D')"
)
_FTS_COLUMNS = "summary, description, comments, labels"


def upgrade() -> None:
    op.create_table(
        "search_docs",
        sa.Column("doc_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("connection_id", sa.Integer(), sa.ForeignKey("connections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("connection_id", "issue_id", name="uq_search_docs_issue"),
    )
    op.create_table(
        "security_level_members",
        sa.Column("connection_id", sa.Integer(), sa.ForeignKey("connections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("level_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("holder_type", sa.String(64), nullable=False),
        sa.Column("holder_parameter", sa.String(255), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("connection_id", "level_id", "holder_type", "holder_parameter"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({_PG_TSV}) STORED")
        op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING GIN (tsv)")
    else:
        op.execute(f"CREATE VIRTUAL TABLE search_fts USING fts5({_FTS_COLUMNS}, content='search_docs', "
                   "content_rowid='doc_id', tokenize='porter unicode61 remove_diacritics 2')")
        new = "new.doc_id, new.summary, new.description, new.comments, new.labels"
        old = "old.doc_id, old.summary, old.description, old.comments, old.labels"
        insert = f"INSERT INTO search_fts(rowid, {_FTS_COLUMNS}) VALUES ({new});"
        delete = f"INSERT INTO search_fts(search_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', {old});"
        op.execute(f"CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN {insert} END")
        op.execute(f"CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN {delete} END")
        op.execute(f"CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN {delete} {insert} END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("search_docs_au", "search_docs_ad", "search_docs_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("security_level_members")
    op.drop_table("search_docs")
