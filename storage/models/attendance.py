"""Tables of what happens after a training is announced: the check-in code, who attended,
their certificates and feedback (see `storage.attendance`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from storage.models.common import utcnow

__all__ = ["Attendance", "TrainingCheckin"]


class TrainingCheckin(SQLModel, table=True):
    """A training's check-in: the code behind its QR link, and whether it issues certificates."""

    __tablename__ = "training_checkin"

    training_id: int = Field(
        sa_column=Column(Integer, ForeignKey("training.id", ondelete="CASCADE"), primary_key=True)
    )
    code: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    certificates: bool = Field(
        default=True,
        sa_column=Column(Boolean, nullable=False, default=True, server_default=sa_true()),
    )


class Attendance(SQLModel, table=True):
    """One cadre present at one training: checked in by link or ticked by a coordinator."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        UniqueConstraint("training_id", "telegram_id", name="uq_training_attendance_cadre"),
        Index("ix_training_attendance_telegram_id", "telegram_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    training_id: int = Field(
        sa_column=Column(Integer, ForeignKey("training.id", ondelete="CASCADE"), nullable=False)
    )
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    checked_in_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime, nullable=False)
    )
    # Came without signing up ("going") first: the coordinator sees them flagged.
    walk_in: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    # The coordinator who ticked them by hand; None when they opened the check-in link.
    ticked_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    certificate_code: str | None = Field(
        default=None, sa_column=Column(String(16), nullable=True, unique=True)
    )
    feedback_sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime, nullable=True)
    )
    rating: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
