"""Tables of scheduled reminders and the claims of their occurrences (see `storage.reminders`)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.models.common import one_of, utcnow

__all__ = [
    "OccurrenceStatus",
    "PauseReason",
    "Reminder",
    "ReminderKind",
    "ReminderOccurrence",
    "ReminderStatus",
]


class ReminderKind(StrEnum):
    CUSTOM = "custom"  # written by a coordinator or an official with /pengingat
    MONTHLY_REPORT = "monthly_report"  # cadres without an innovation report this month
    REVIEW_DIGEST = "review_digest"  # reviewers with reports waiting


class ReminderStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DONE = "done"  # a one-time reminder after its occurrence
    DELETED = "deleted"  # kept (not erased) so its claims and the audit log still point at it


class OccurrenceStatus(StrEnum):
    SENT = "sent"  # queued in the outbox (the delivery engine takes it from there)
    MISSED = "missed"  # due while the bot was down, and more than the grace period ago
    SKIPPED = "skipped"  # due, but not sent on purpose (e.g. the owner lost the right)


class PauseReason(StrEnum):
    BY_USER = "user"
    OWNER_LOST_RIGHTS = "owner_lost_rights"
    DISABLED = "disabled"  # an automatic reminder switched off in the settings


class Reminder(SQLModel, table=True):
    """One reminder and its rule; `next_at` (UTC) is when it is due next."""

    __tablename__ = "reminder"
    __table_args__ = (
        Index("ix_reminder_due", "status", "next_at"),
        Index("ix_reminder_audience_code", "audience_code"),
        one_of("reminder", "kind", ReminderKind),
        one_of("reminder", "status", ReminderStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    # Who answers for it now: its author, or whoever resumed it last (None for automatic ones).
    owner_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    audience_code: str | None = Field(
        default=None, sa_column=Column(String(16), ForeignKey("region.code"), nullable=True)
    )
    frequency: str = Field(sa_column=Column(String(8), nullable=False))
    at_time: time = Field(sa_column=Column(Time, nullable=False))
    on_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    weekday: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    month_day: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    week: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    paused_reason: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    next_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))


class ReminderOccurrence(SQLModel, table=True):
    """The claim of one occurrence: at most one row per `ref`, and per (reminder, time)."""

    __tablename__ = "reminder_occurrence"
    __table_args__ = (
        UniqueConstraint("ref", name="uq_reminder_occurrence_ref"),
        UniqueConstraint("reminder_id", "due_at", name="uq_reminder_occurrence_slot"),
        one_of("reminder_occurrence", "status", OccurrenceStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(sa_column=Column(String(120), nullable=False))
    # NULL for training reminders, which have no reminder row.
    reminder_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("reminder.id", ondelete="CASCADE"), nullable=True),
    )
    due_at: datetime = Field(sa_column=Column(DateTime, nullable=False))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    handled_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    recipients: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    broadcast_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
