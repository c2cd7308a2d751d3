"""push: external-id map (with claims), comment map, dead letters

Revision ID: 0004
Revises: 0003

Kept identical to jirasync.store.push_models (tests/test_store.py compares models and migrations).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _conn() -> sa.Column:
    return sa.Column("connection_id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table("push_map",
        _conn(),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=512), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("claimed_ms", sa.BigInteger(), nullable=True),
        sa.Column("issue_id", sa.BigInteger(), nullable=True),
        sa.Column("issue_key", sa.String(length=255), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column("prop", sa.JSON(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "project", "external_id"),
    )
    op.create_table("push_comments",
        _conn(),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=512), nullable=False),
        sa.Column("comment_external_id", sa.String(length=512), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "project", "external_id", "comment_external_id"),
    )
    op.create_table("push_dead_letters",
        _conn(),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=512), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("permanent", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "project", "external_id"),
    )


def downgrade() -> None:
    op.drop_table("push_dead_letters")
    op.drop_table("push_comments")
    op.drop_table("push_map")
