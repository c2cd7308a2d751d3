"""The store's tables (SQLAlchemy 2 declarative). Documented in docs/schema.md."""

# no `from __future__ import annotations`: SQLAlchemy then reads the Mapped[...] annotations as
# objects instead of evaluating 199 strings (~25 ms less start-up)

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class ConnectionRow(Base):
    """A Jira connection. ``secrets`` is AES-GCM ciphertext (see jirasync.vault), never plaintext."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    deployment: Mapped[str] = mapped_column(String(20), nullable=False)  # Cloud | Server | DataCenter
    server_version: Mapped[str | None] = mapped_column(String(40))
    auth_method: Mapped[str] = mapped_column(String(20), nullable=False)
    login: Mapped[str | None] = mapped_column(String(320))  # email (Cloud) or username (DC); not secret
    secrets: Mapped[str] = mapped_column(Text, nullable=False)  # encrypted JSON
    token_expires_on: Mapped[date | None] = mapped_column(Date)
    account_id: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(300))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    email_visible: Mapped[bool | None] = mapped_column(Boolean)
    cloud_id: Mapped[str | None] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


# -- sync-in: one table per Jira entity -------------------------------------------------------------
#
# Every entity row carries ``connection_id`` (rows of different Jira sites never mix), the remote id,
# ``synced_at`` (when this row was last written from Jira) and ``deleted_at`` (soft delete: the
# row stays, readers filter ``deleted_at IS NULL``). Times are UTC.

_CASCADE = "CASCADE"
_NULLABLE_JSON = JSON(none_as_null=True)  # Python None is SQL NULL (not the JSON text 'null')


def _conn_fk() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("connections.id", ondelete=_CASCADE), primary_key=True)


class _Entity:
    """Columns every synced entity row has, besides its keys."""

    raw: Mapped[dict[str, Any] | None] = mapped_column(_NULLABLE_JSON)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProjectRow(_Entity, Base):
    __tablename__ = "projects"
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    project_type: Mapped[str | None] = mapped_column(String(64))
    lead_id: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False)


class FieldRow(_Entity, Base):
    __tablename__ = "fields"
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    custom: Mapped[bool] = mapped_column(Boolean, nullable=False)
    schema_type: Mapped[str | None] = mapped_column(String(255))
    schema_items: Mapped[str | None] = mapped_column(String(255))
    schema_custom: Mapped[str | None] = mapped_column(String(255))
    clause_names: Mapped[list[str]] = mapped_column(JSON, nullable=False)


class UserRow(_Entity, Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_name", "connection_id", "name"),)
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # accountId (Cloud) / key (DC)
    account_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))  # DC username
    display_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    account_type: Mapped[str | None] = mapped_column(String(64))


class GroupRow(_Entity, Base):
    __tablename__ = "groups"
    connection_id: Mapped[int] = _conn_fk()
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    group_id: Mapped[str | None] = mapped_column(String(255))


class GroupMemberRow(_Entity, Base):
    __tablename__ = "group_members"
    connection_id: Mapped[int] = _conn_fk()
    group_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class ProjectRoleActorRow(_Entity, Base):
    __tablename__ = "project_roles"
    connection_id: Mapped[int] = _conn_fk()
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    actor_type: Mapped[str] = mapped_column(String(16), primary_key=True)  # user | group
    actor_value: Mapped[str] = mapped_column(String(255), primary_key=True)
    role_name: Mapped[str] = mapped_column(String(255), nullable=False)


class PermissionSchemeRow(_Entity, Base):
    __tablename__ = "permission_schemes"
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class PermissionGrantRow(_Entity, Base):
    __tablename__ = "permission_grants"
    __table_args__ = (Index("ix_permission_grants_scheme", "connection_id", "scheme_id", "permission"),)
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    scheme_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    permission: Mapped[str] = mapped_column(String(255), nullable=False)
    holder_type: Mapped[str] = mapped_column(String(64), nullable=False)
    holder_parameter: Mapped[str | None] = mapped_column(String(255))


class ProjectPermissionSchemeRow(Base):
    __tablename__ = "project_permission_scheme"
    connection_id: Mapped[int] = _conn_fk()
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    scheme_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SecurityLevelRow(_Entity, Base):
    __tablename__ = "security_levels"
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    scheme_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class IssueRow(_Entity, Base):
    __tablename__ = "issues"
    __table_args__ = (
        Index("ix_issues_project_updated", "connection_id", "project_id", "updated_ms"),
        Index("ix_issues_key", "connection_id", "key"),
    )
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    project_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    project_key: Mapped[str] = mapped_column(String(255), nullable=False)
    issue_type_id: Mapped[int | None] = mapped_column(BigInteger)
    issue_type: Mapped[str | None] = mapped_column(String(255))
    status_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str | None] = mapped_column(String(255))
    status_category: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str | None] = mapped_column(Text)
    description_raw: Mapped[Any] = mapped_column(_NULLABLE_JSON, nullable=True)
    description_md: Mapped[str | None] = mapped_column(Text)
    environment_raw: Mapped[Any] = mapped_column(_NULLABLE_JSON, nullable=True)
    priority: Mapped[str | None] = mapped_column(String(255))
    resolution: Mapped[str | None] = mapped_column(String(255))
    assignee_id: Mapped[str | None] = mapped_column(String(255))
    reporter_id: Mapped[str | None] = mapped_column(String(255))
    creator_id: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    resolution_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[date | None] = mapped_column(Date)
    labels: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    components: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    fix_versions: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    affects_versions: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    security_level_id: Mapped[int | None] = mapped_column(BigInteger)
    original_estimate_seconds: Mapped[int | None] = mapped_column(BigInteger)
    remaining_estimate_seconds: Mapped[int | None] = mapped_column(BigInteger)
    time_spent_seconds: Mapped[int | None] = mapped_column(BigInteger)
    comment_total: Mapped[int | None] = mapped_column(Integer)
    worklog_total: Mapped[int | None] = mapped_column(Integer)
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    deleted_reason: Mapped[str | None] = mapped_column(String(32))  # deleted | moved | permission_lost


class IssueLinkRow(_Entity, Base):
    __tablename__ = "issue_links"
    __table_args__ = (
        Index("ix_issue_links_source", "connection_id", "source_issue_id"),
        Index("ix_issue_links_target", "connection_id", "target_issue_id"),
    )
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type_id: Mapped[int | None] = mapped_column(BigInteger)
    type_name: Mapped[str | None] = mapped_column(String(255))
    inward: Mapped[str | None] = mapped_column(String(255))
    outward: Mapped[str | None] = mapped_column(String(255))
    source_issue_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    target_issue_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CommentRow(_Entity, Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_issue", "connection_id", "issue_id"),)
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    issue_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    author_id: Mapped[str | None] = mapped_column(String(255))
    update_author_id: Mapped[str | None] = mapped_column(String(255))
    body_raw: Mapped[Any] = mapped_column(_NULLABLE_JSON, nullable=True)
    body_md: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visibility_type: Mapped[str | None] = mapped_column(String(32))
    visibility_value: Mapped[str | None] = mapped_column(String(255))


class AttachmentRow(_Entity, Base):
    """Metadata only; content (when downloaded) lives in the blob folder under ``content_sha256``."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_issue", "connection_id", "issue_id"),)
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    issue_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    filename: Mapped[str] = mapped_column(String(1024), nullable=False)
    author_id: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    size: Mapped[int | None] = mapped_column(BigInteger)
    mime_type: Mapped[str | None] = mapped_column(String(255))
    content_url: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(String(64))


class WorklogRow(_Entity, Base):
    __tablename__ = "worklogs"
    __table_args__ = (Index("ix_worklogs_issue", "connection_id", "issue_id"),)
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    issue_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    author_id: Mapped[str | None] = mapped_column(String(255))
    update_author_id: Mapped[str | None] = mapped_column(String(255))
    comment_raw: Mapped[Any] = mapped_column(_NULLABLE_JSON, nullable=True)
    comment_md: Mapped[str | None] = mapped_column(Text)
    started: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    time_spent_seconds: Mapped[int | None] = mapped_column(BigInteger)
    created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visibility_type: Mapped[str | None] = mapped_column(String(32))
    visibility_value: Mapped[str | None] = mapped_column(String(255))


class ChangelogRow(_Entity, Base):
    """One change history (who, when); its field changes are in ``changelog_items``."""

    __tablename__ = "changelog"
    __table_args__ = (Index("ix_changelog_issue", "connection_id", "issue_id"),)
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    issue_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    author_id: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChangeItemRow(_Entity, Base):
    __tablename__ = "changelog_items"
    connection_id: Mapped[int] = _conn_fk()
    history_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    field: Mapped[str] = mapped_column(String(255), nullable=False)
    field_type: Mapped[str | None] = mapped_column(String(64))
    field_id: Mapped[str | None] = mapped_column(String(255))
    from_value: Mapped[str | None] = mapped_column(Text)
    from_string: Mapped[str | None] = mapped_column(Text)
    to_value: Mapped[str | None] = mapped_column(Text)
    to_string: Mapped[str | None] = mapped_column(Text)


class BoardRow(_Entity, Base):
    __tablename__ = "boards"
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str | None] = mapped_column(String(32))
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    project_key: Mapped[str | None] = mapped_column(String(255))


class SprintRow(_Entity, Base):
    __tablename__ = "sprints"
    connection_id: Mapped[int] = _conn_fk()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    board_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    state: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    complete_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    goal: Mapped[str | None] = mapped_column(Text)


class IssueSprintRow(Base):
    __tablename__ = "issue_sprints"
    __table_args__ = (Index("ix_issue_sprints_sprint", "connection_id", "sprint_id"),)
    connection_id: Mapped[int] = _conn_fk()
    issue_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sprint_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- bookkeeping -----------------------------------------------------------------------------------


class SyncRunRow(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_connection", "connection_id", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(Integer, ForeignKey("connections.id", ondelete=_CASCADE), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(16), nullable=False)  # full | incremental
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # running | ok | failed | interrupted
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    requests: Mapped[int] = mapped_column(Integer, nullable=False)
    retries: Mapped[int] = mapped_column(Integer, nullable=False)
    errors: Mapped[list[Any]] = mapped_column(JSON, nullable=False)


class CheckpointRow(Base):
    """Where the incremental cursor of one project stands: advanced in the transaction of its page."""

    __tablename__ = "checkpoints"
    connection_id: Mapped[int] = _conn_fk()
    project_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_ms: Mapped[int | None] = mapped_column(BigInteger)  # the last stored issue's updated
    issue_id: Mapped[int | None] = mapped_column(BigInteger)  # ... and its id (ties at the same ms)
    fingerprint: Mapped[str | None] = mapped_column(String(128))  # of the filters in force
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False)  # the last pass reached the end
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class SkippedRecordRow(Base):
    """Dead letters: records Jira sent that could not be stored, with the reason. Nothing is dropped silently."""

    __tablename__ = "skipped_records"
    __table_args__ = (Index("ix_skipped_records_connection", "connection_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(Integer, ForeignKey("connections.id", ondelete=_CASCADE), nullable=False)
    run_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    remote_id: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    raw: Mapped[Any] = mapped_column(_NULLABLE_JSON, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
