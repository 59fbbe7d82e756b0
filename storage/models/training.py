"""Tables of trainings and their RSVPs (see `storage.training`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.models.common import one_of, utcnow

__all__ = ["RsvpStatus", "Training", "TrainingRsvp"]


class RsvpStatus(StrEnum):
    """A cadre's answer to a training, as stored."""

    GOING = "going"
    WAITING = "waiting"
    DECLINED = "declined"


class Training(SQLModel, table=True):
    """One training announced to an area, with its quota and who may answer."""

    __tablename__ = "training"
    __table_args__ = (
        Index("ix_training_starts_at", "starts_at"),
        Index("ix_training_area_code", "area_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    starts_at: datetime = Field(sa_column=Column(DateTime, nullable=False))
    # When it ends (naive UTC), if the organiser said; else it runs to the end of that day.
    ends_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    place: str = Field(sa_column=Column(String(200), nullable=False))
    quota: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    area_code: str = Field(sa_column=Column(String(16), ForeignKey("region.code"), nullable=False))
    institutions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    registration_closed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime, nullable=True)
    )
    closed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    cancelled_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    broadcast_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("broadcast.id", ondelete="SET NULL"), nullable=True),
    )
    rsvp_version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, default=0, server_default="0")
    )


class TrainingRsvp(SQLModel, table=True):
    """One cadre's answer to one training (at most one row each)."""

    __tablename__ = "training_rsvp"
    __table_args__ = (
        UniqueConstraint("training_id", "telegram_id", name="uq_training_rsvp_cadre"),
        Index("ix_training_rsvp_telegram_id", "telegram_id"),
        one_of("training_rsvp", "status", RsvpStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    training_id: int = Field(
        sa_column=Column(Integer, ForeignKey("training.id", ondelete="CASCADE"), nullable=False)
    )
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    # For a waiting cadre: when they joined the list (its order).
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
