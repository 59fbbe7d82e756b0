"""Tables of what happens after a training is announced: the check-in code, who attended,
their certificates and feedback (see `storage.attendance`)."""

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
)
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from storage.models.common import one_of, utcnow

__all__ = ["Attendance", "FollowUp", "Recommend", "Situation", "TrainingCheckin", "UsedSkill"]


class UsedSkill(StrEnum):
    """Follow-up: did you use what the training taught?"""

    YES = "yes"
    PARTLY = "partly"
    NOT_YET = "not_yet"


class Situation(StrEnum):
    """Follow-up: what is your situation now?"""

    WORKING = "working"
    OWN_BUSINESS = "own_business"
    GROUP_BUSINESS = "group_business"  # a group or BUM Desa business
    NOT_YET = "not_yet"


class Recommend(StrEnum):
    """Follow-up: would you recommend the training?"""

    YES = "yes"
    NO = "no"


class TrainingCheckin(SQLModel, table=True):
    """A training's check-in: the code behind its QR link, whether it issues certificates, and
    the venue's coordinates if the coordinator shared them (for the optional location check)."""

    __tablename__ = "training_checkin"

    training_id: int = Field(
        sa_column=Column(Integer, ForeignKey("training.id", ondelete="CASCADE"), primary_key=True)
    )
    code: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    certificates: bool = Field(
        default=True,
        sa_column=Column(Boolean, nullable=False, default=True, server_default=sa_true()),
    )
    venue_lat: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    venue_lon: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


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
    # How far from the venue the cadre said they were (the optional location check), in
    # metres; their coordinates themselves are not kept.
    distance_m: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class FollowUp(SQLModel, table=True):
    """One follow-up of one attendee, `days` after the training: sent once, reminded once,
    answered with three one-tap questions."""

    __tablename__ = "training_followup"
    __table_args__ = (
        UniqueConstraint("attendance_id", "days", name="uq_training_followup_wave"),
        one_of("training_followup", "used", UsedSkill),
        one_of("training_followup", "situation", Situation),
        one_of("training_followup", "recommend", Recommend),
    )

    id: int | None = Field(default=None, primary_key=True)
    attendance_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("training_attendance.id", ondelete="CASCADE"), nullable=False
        )
    )
    days: int = Field(sa_column=Column(Integer, nullable=False))
    sent_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    used: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    situation: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    recommend: str | None = Field(default=None, sa_column=Column(String(4), nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
