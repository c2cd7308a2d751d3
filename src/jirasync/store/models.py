"""The store's tables (SQLAlchemy 2 declarative). Documented in docs/schema.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, String, Text, func
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
