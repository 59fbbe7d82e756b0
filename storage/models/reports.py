"""Tables of innovation reports, their media and their history (see `storage.reports`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from storage.models.common import one_of, utcnow

__all__ = ["Report", "ReportEvent", "ReportMedia", "ReportStatus"]


class ReportStatus(StrEnum):
    PENDING = "pending"
    REVISION = "revision"
    APPROVED = "approved"
    REJECTED = "rejected"


class Report(SQLModel, table=True):
    """One innovation report (see the module docstring for what survives `/hapus_data`)."""

    __tablename__ = "report"
    __table_args__ = (
        # The review queue, counted from the index (migration 0020; `COLLATE "C"` on PostgreSQL).
        Index("ix_report_review", "status", "village_code", "reporter_id"),
        Index("ix_report_reporter_id", "reporter_id"),
        Index("ix_report_submitted_at", "submitted_at"),
        # Covering index of `/statistik` (migration 0005r; `COLLATE "C"` on PostgreSQL).
        Index(
            "ix_report_stats",
            "village_code",
            "category",
            "status",
            "submitted_at",
            "featured_at",
            "channel_posted_at",
        ),
        one_of("report", "status", ReportStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("cadre.telegram_id", ondelete="SET NULL"), nullable=True
        ),
    )
    village_code: str = Field(
        sa_column=Column(String(16), ForeignKey("region.code"), nullable=False)
    )
    institution: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    title: str = Field(sa_column=Column(String(120), nullable=False))
    category: str = Field(sa_column=Column(String(20), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    latitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    longitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # The cadre's answer in /lapor: may the photos go out when the report is featured? (They
    # often show children.) No unless the cadre said yes.
    photos_public: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    status: str = Field(sa_column=Column(String(12), nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    submitted_at: datetime = Field(sa_column=Column(DateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime, nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    featured_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    featured_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    channel_posted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime, nullable=True)
    )


class ReportMedia(SQLModel, table=True):
    """A photo or document of a report: Telegram's file id and our own stored copy."""

    __tablename__ = "report_media"
    __table_args__ = (UniqueConstraint("report_id", "seq", name="uq_report_media_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("report.id", ondelete="CASCADE"), nullable=False)
    )
    seq: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    file_id: str = Field(sa_column=Column(String(255), nullable=False))
    file_unique_id: str = Field(sa_column=Column(String(64), nullable=False))
    file_size: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    mime_type: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    # Shown to reviewers only; never used to name anything on disk.
    file_name: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    local_path: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))


class ReportEvent(SQLModel, table=True):
    """The history of a report: submissions and reviewers' decisions with their comments."""

    __tablename__ = "report_event"
    __table_args__ = (Index("ix_report_event_report_id", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("report.id", ondelete="CASCADE"), nullable=False)
    )
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    # Reviewers only: a cadre's own submissions are implied by the report's reporter.
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
