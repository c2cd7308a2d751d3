"""connections

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("deployment", sa.String(20), nullable=False),
        sa.Column("server_version", sa.String(40)),
        sa.Column("auth_method", sa.String(20), nullable=False),
        sa.Column("login", sa.String(320)),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("token_expires_on", sa.Date()),
        sa.Column("account_id", sa.String(200)),
        sa.Column("display_name", sa.String(300)),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("email_visible", sa.Boolean()),
        sa.Column("cloud_id", sa.String(64)),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("connections")
