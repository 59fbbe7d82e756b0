"""Tables of the foundation: regions, people, their roles, drafts and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    true,
)
from sqlmodel import Field, SQLModel

from storage.models.common import utcnow

__all__ = [
    "AppUser",
    "AuditLog",
    "Cadre",
    "Coordinator",
    "CoordinatorInvite",
    "Draft",
    "Region",
]


class Region(SQLModel, table=True):
    """One official Kemendagri region (provinsi, kabupaten/kota, kecamatan, desa/kelurahan)."""

    __tablename__ = "region"

    code: str = Field(sa_column=Column(String(16), primary_key=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    level: str = Field(sa_column=Column(String(12), nullable=False))
    kind: str = Field(sa_column=Column(String(12), nullable=False))
    parent_code: str | None = Field(
        default=None, sa_column=Column(String(16), nullable=True, index=True)
    )


class AppUser(SQLModel, table=True):
    """Everyone who has talked to the bot: language choice, reachability and activity."""

    __tablename__ = "app_user"
    # Covering: `/statistik` reads each cadre's activity by primary key (migration 0005).
    __table_args__ = (
        Index("ix_app_user_activity", "telegram_id", "last_seen_at", "unreachable_since"),
    )

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    language: str | None = Field(default=None, sa_column=Column(String(5), nullable=True))
    telegram_language: str | None = Field(default=None, sa_column=Column(String(12), nullable=True))
    unreachable_since: datetime | None = Field(
        default=None, sa_column=Column(DateTime, nullable=True)
    )
    last_seen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime, nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))


class Cadre(SQLModel, table=True):
    """A registered cadre (kader) with the kelurahan/desa they serve and their institution."""

    __tablename__ = "cadre"
    __table_args__ = (
        Index("ix_cadre_village_code", "village_code"),
        # Covering indexes of `/statistik` (migration 0005; the code is `COLLATE "C"` there
        # on PostgreSQL) and of folding deliveries per kelurahan.
        Index("ix_cadre_stats", "village_code", "institution", "telegram_id", "registered_at"),
        Index("ix_cadre_home", "telegram_id", "village_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    full_name: str = Field(sa_column=Column(String(100), nullable=False))
    phone: str = Field(sa_column=Column(String(20), nullable=False))
    village_code: str = Field(
        sa_column=Column(String(16), ForeignKey("region.code"), nullable=False)
    )
    institution: str = Field(sa_column=Column(String(20), nullable=False))
    institution_other: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    receive_broadcasts: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )
    consent_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    registered_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime, nullable=False)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))


class Coordinator(SQLModel, table=True):
    """A coordinator role over a region scope (kabupaten/kota, kecamatan or kelurahan/desa)."""

    __tablename__ = "coordinator"
    __table_args__ = (Index("ix_coordinator_telegram_id", "telegram_id"),)

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    display_name: str = Field(sa_column=Column(String(100), nullable=False))
    scope_code: str = Field(sa_column=Column(String(16), ForeignKey("region.code"), nullable=False))
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    revoked_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CoordinatorInvite(SQLModel, table=True):
    """A one-time deep-link invite that makes whoever opens it coordinator of a scope.

    Only the SHA-256 of the code is kept (migration 0012_trust): whoever reads the database
    or a backup cannot redeem a live invite.
    """

    __tablename__ = "coordinator_invite"
    __table_args__ = (UniqueConstraint("code_hash", name="uq_coordinator_invite_code_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(sa_column=Column(String(64), nullable=False))
    scope_code: str = Field(sa_column=Column(String(16), ForeignKey("region.code"), nullable=False))
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))


class AuditLog(SQLModel, table=True):
    """Who did which privileged action, when, on what."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime, nullable=False, index=True)
    )
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    action: str = Field(sa_column=Column(String(60), nullable=False))
    target: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Draft(SQLModel, table=True):
    """A multi-step form in progress (registration, report…), kept across restarts."""

    __tablename__ = "draft"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(30), primary_key=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
