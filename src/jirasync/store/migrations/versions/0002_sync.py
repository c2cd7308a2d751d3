"""sync-in: one table per Jira entity, sync runs, checkpoints, skipped records

Revision ID: 0002
Revises: 0001

Generated from jirasync.store.models and kept identical to it (tests/test_store.py compares them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("attachments",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=1024), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("content_url", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_attachments_issue", "attachments", ["connection_id", "issue_id"], unique=False)
    op.create_table("boards",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("project_key", sa.String(length=255), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_table("changelog",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_changelog_issue", "changelog", ["connection_id", "issue_id"], unique=False)
    op.create_table("changelog_items",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("history_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("field", sa.String(length=255), nullable=False),
        sa.Column("field_type", sa.String(length=64), nullable=True),
        sa.Column("field_id", sa.String(length=255), nullable=True),
        sa.Column("from_value", sa.Text(), nullable=True),
        sa.Column("from_string", sa.Text(), nullable=True),
        sa.Column("to_value", sa.Text(), nullable=True),
        sa.Column("to_string", sa.Text(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "history_id", "seq")
    )
    op.create_table("checkpoints",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("project_key", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=True),
        sa.Column("issue_id", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "project_key")
    )
    op.create_table("comments",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=True),
        sa.Column("update_author_id", sa.String(length=255), nullable=True),
        sa.Column("body_raw", sa.JSON(), nullable=True),
        sa.Column("body_md", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visibility_type", sa.String(length=32), nullable=True),
        sa.Column("visibility_value", sa.String(length=255), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_comments_issue", "comments", ["connection_id", "issue_id"], unique=False)
    op.create_table("fields",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("custom", sa.Boolean(), nullable=False),
        sa.Column("schema_type", sa.String(length=255), nullable=True),
        sa.Column("schema_items", sa.String(length=255), nullable=True),
        sa.Column("schema_custom", sa.String(length=255), nullable=True),
        sa.Column("clause_names", sa.JSON(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_table("group_members",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "group_name", "user_id")
    )
    op.create_table("groups",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("group_id", sa.String(length=255), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "name")
    )
    op.create_table("issue_links",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type_id", sa.BigInteger(), nullable=True),
        sa.Column("type_name", sa.String(length=255), nullable=True),
        sa.Column("inward", sa.String(length=255), nullable=True),
        sa.Column("outward", sa.String(length=255), nullable=True),
        sa.Column("source_issue_id", sa.BigInteger(), nullable=False),
        sa.Column("target_issue_id", sa.BigInteger(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_issue_links_source", "issue_links", ["connection_id", "source_issue_id"], unique=False)
    op.create_index("ix_issue_links_target", "issue_links", ["connection_id", "target_issue_id"], unique=False)
    op.create_table("issue_sprints",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sprint_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "issue_id", "sprint_id")
    )
    op.create_index("ix_issue_sprints_sprint", "issue_sprints", ["connection_id", "sprint_id"], unique=False)
    op.create_table("issues",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("project_key", sa.String(length=255), nullable=False),
        sa.Column("issue_type_id", sa.BigInteger(), nullable=True),
        sa.Column("issue_type", sa.String(length=255), nullable=True),
        sa.Column("status_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=255), nullable=True),
        sa.Column("status_category", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("description_raw", sa.JSON(), nullable=True),
        sa.Column("description_md", sa.Text(), nullable=True),
        sa.Column("environment_raw", sa.JSON(), nullable=True),
        sa.Column("priority", sa.String(length=255), nullable=True),
        sa.Column("resolution", sa.String(length=255), nullable=True),
        sa.Column("assignee_id", sa.String(length=255), nullable=True),
        sa.Column("reporter_id", sa.String(length=255), nullable=True),
        sa.Column("creator_id", sa.String(length=255), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("resolution_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("fix_versions", sa.JSON(), nullable=False),
        sa.Column("affects_versions", sa.JSON(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("security_level_id", sa.BigInteger(), nullable=True),
        sa.Column("original_estimate_seconds", sa.BigInteger(), nullable=True),
        sa.Column("remaining_estimate_seconds", sa.BigInteger(), nullable=True),
        sa.Column("time_spent_seconds", sa.BigInteger(), nullable=True),
        sa.Column("comment_total", sa.Integer(), nullable=True),
        sa.Column("worklog_total", sa.Integer(), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("deleted_reason", sa.String(length=32), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_issues_key", "issues", ["connection_id", "key"], unique=False)
    op.create_index("ix_issues_project_updated", "issues", ["connection_id", "project_id", "updated_ms"], unique=False)
    op.create_table("permission_grants",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scheme_id", sa.BigInteger(), nullable=False),
        sa.Column("permission", sa.String(length=255), nullable=False),
        sa.Column("holder_type", sa.String(length=64), nullable=False),
        sa.Column("holder_parameter", sa.String(length=255), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_permission_grants_scheme", "permission_grants", ["connection_id", "scheme_id", "permission"], unique=False)
    op.create_table("permission_schemes",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_table("project_permission_scheme",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scheme_id", sa.BigInteger(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "project_id")
    )
    op.create_table("project_roles",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_value", sa.String(length=255), nullable=False),
        sa.Column("role_name", sa.String(length=255), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "project_id", "role_id", "actor_type", "actor_value")
    )
    op.create_table("projects",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project_type", sa.String(length=64), nullable=True),
        sa.Column("lead_id", sa.String(length=255), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_table("security_levels",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scheme_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_table("skipped_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_skipped_records_connection", "skipped_records", ["connection_id", "kind"], unique=False)
    op.create_table("sprints",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("board_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complete_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_table("sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_sync_runs_connection", "sync_runs", ["connection_id", "started_at"], unique=False)
    op.create_table("users",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("account_type", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_users_name", "users", ["connection_id", "name"], unique=False)
    op.create_table("worklogs",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=True),
        sa.Column("update_author_id", sa.String(length=255), nullable=True),
        sa.Column("comment_raw", sa.JSON(), nullable=True),
        sa.Column("comment_md", sa.Text(), nullable=True),
        sa.Column("started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_spent_seconds", sa.BigInteger(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visibility_type", sa.String(length=32), nullable=True),
        sa.Column("visibility_value", sa.String(length=255), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "id")
    )
    op.create_index("ix_worklogs_issue", "worklogs", ["connection_id", "issue_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_worklogs_issue", table_name="worklogs")
    op.drop_table("worklogs")
    op.drop_index("ix_users_name", table_name="users")
    op.drop_table("users")
    op.drop_index("ix_sync_runs_connection", table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_table("sprints")
    op.drop_index("ix_skipped_records_connection", table_name="skipped_records")
    op.drop_table("skipped_records")
    op.drop_table("security_levels")
    op.drop_table("projects")
    op.drop_table("project_roles")
    op.drop_table("project_permission_scheme")
    op.drop_table("permission_schemes")
    op.drop_index("ix_permission_grants_scheme", table_name="permission_grants")
    op.drop_table("permission_grants")
    op.drop_index("ix_issues_project_updated", table_name="issues")
    op.drop_index("ix_issues_key", table_name="issues")
    op.drop_table("issues")
    op.drop_index("ix_issue_sprints_sprint", table_name="issue_sprints")
    op.drop_table("issue_sprints")
    op.drop_index("ix_issue_links_target", table_name="issue_links")
    op.drop_index("ix_issue_links_source", table_name="issue_links")
    op.drop_table("issue_links")
    op.drop_table("groups")
    op.drop_table("group_members")
    op.drop_table("fields")
    op.drop_index("ix_comments_issue", table_name="comments")
    op.drop_table("comments")
    op.drop_table("checkpoints")
    op.drop_table("changelog_items")
    op.drop_index("ix_changelog_issue", table_name="changelog")
    op.drop_table("changelog")
    op.drop_table("boards")
    op.drop_index("ix_attachments_issue", table_name="attachments")
    op.drop_table("attachments")
