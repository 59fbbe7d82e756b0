"""Tables of village needs and cadres' resources: survey answers, survey rounds, skills."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlmodel import Field, SQLModel

from storage.models.common import utcnow

__all__ = [
    "CadreResource",
    "CadreSkill",
    "NeedAnswer",
    "NeedInvite",
    "NeedRound",
    "NeedTally",
    "NeedVillageAnswered",
]


class NeedRound(SQLModel, table=True):
    """A survey round: cadres of an area asked for their kelurahan/desa's needs by a deadline.

    `remind_at` is when non-responders are reminded; `reminded_at` is set once that reminder
    is in the outbox (see `storage.needs.due_reminders`).
    """

    __tablename__ = "need_round"
    __table_args__ = (
        Index("ix_need_round_scope", "scope_code"),
        Index("ix_need_round_due", "reminded_at", "remind_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope_code: str = Field(sa_column=Column(String(16), ForeignKey("region.code"), nullable=False))
    institutions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opened_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    opened_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    deadline: datetime = Field(sa_column=Column(DateTime, nullable=False))
    remind_at: datetime = Field(sa_column=Column(DateTime, nullable=False))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    closed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class NeedInvite(SQLModel, table=True):
    """A cadre invited to a round, with the kelurahan/desa they served when invited."""

    __tablename__ = "need_invite"

    round_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("need_round.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    village_code: str = Field(sa_column=Column(String(16), nullable=False))


class NeedAnswer(SQLModel, table=True):
    """A cadre's answer for their kelurahan/desa in one period (a round, or a year outside one).

    `period` is "round:<id>" or "year:<yyyy>": one answer per cadre and period, updated in
    place. `is_current` marks each cadre's latest answer, the one the needs map counts.
    `need_1`..`need_3` are need codes (`storage/data/needs.csv`) by rank.
    """

    __tablename__ = "need_answer"
    __table_args__ = (
        UniqueConstraint("telegram_id", "period", name="uq_need_answer_period"),
        # Covering the per-kelurahan fold's scan, and the newest answers first (latest voices).
        Index(
            "ix_need_answer_map",
            "is_current",
            "village_code",
            "need_1",
            "need_2",
            "need_3",
            "other_name",
        ),
        Index("ix_need_answer_recent", "is_current", "updated_at"),
        Index("ix_need_answer_round", "round_id", "telegram_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    village_code: str = Field(sa_column=Column(String(16), nullable=False))
    period: str = Field(sa_column=Column(String(20), nullable=False))
    round_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("need_round.id", ondelete="SET NULL"), nullable=True),
    )
    need_1: str = Field(sa_column=Column(String(20), nullable=False))
    need_2: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    need_3: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    other_name: str | None = Field(default=None, sa_column=Column(String(60), nullable=True))
    problem: str = Field(sa_column=Column(String(300), nullable=False))
    potential: str = Field(sa_column=Column(String(300), nullable=False))
    photo_file_id: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    is_current: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )
    answered_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime, nullable=False)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))


class NeedTally(SQLModel, table=True):
    """The current answers of one kelurahan/desa folded per need (migration 0015_needs_tally).

    Summing the ranked needs of 100,000 answers took the province map over a second; this
    per-village fold (a few rows per kelurahan) is rewritten for the villages an answer
    touches, in the same transaction (`storage.needs.refresh_tally`). `other` is the
    lower-cased typed name of a "Lainnya" need ("" otherwise): each name is a need of its own;
    `other_name` is the smallest spelling of it, as the map shows.
    """

    __tablename__ = "need_tally"

    village_code: str = Field(sa_column=Column(String(16), primary_key=True))
    need: str = Field(sa_column=Column(String(20), primary_key=True))
    other: str = Field(sa_column=Column(String(60), primary_key=True))
    other_name: str | None = Field(default=None, sa_column=Column(String(60), nullable=True))
    score: int = Field(sa_column=Column(Integer, nullable=False))
    cadres: int = Field(sa_column=Column(Integer, nullable=False))


class NeedVillageAnswered(SQLModel, table=True):
    """Current answers per kelurahan/desa (only those with one), kept with `NeedTally`."""

    __tablename__ = "need_village_answered"

    village_code: str = Field(sa_column=Column(String(16), primary_key=True))
    answered: int = Field(sa_column=Column(Integer, nullable=False))


class CadreSkill(SQLModel, table=True):
    """One skill a cadre has (a need code of the same list)."""

    __tablename__ = "cadre_skill"
    __table_args__ = (Index("ix_cadre_skill_skill", "skill", "telegram_id"),)

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    skill: str = Field(sa_column=Column(String(20), primary_key=True))


class CadreResource(SQLModel, table=True):
    """What a cadre offers: a skill in their own words, teaching, consent to be contacted."""

    __tablename__ = "cadre_resource"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    other_skill: str | None = Field(default=None, sa_column=Column(String(60), nullable=True))
    teaches: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    contact_ok: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
