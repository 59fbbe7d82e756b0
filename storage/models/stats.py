"""Tables of pre-folded statistics: per-kelurahan delivery sums of settled broadcasts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

__all__ = ["CadreActivity", "DeliverySummary", "StatsVersion", "SummarisedBroadcast"]


class CadreActivity(SQLModel, table=True):
    """Each cadre's place and activity in one row, kept by database triggers (migration
    0017_stats_perf) from `cadre` and `app_user`; never written by the application.

    `/statistik` counts cadres, active and unreachable ones per kelurahan/desa; reading the
    activity from `app_user` meant one probe per cadre (90 ms for a province). Here the counts
    are a single scan of the covering index. Triggers rather than application code, so every
    writer (registration, profile edits, erasure, the delivery engine marking a blocked
    cadre, bulk loads) keeps it right.
    """

    __tablename__ = "stats_cadre"
    __table_args__ = (
        # On PostgreSQL the code is `COLLATE "C"` there (the byte order of `storage.coderange`).
        Index(
            "ix_stats_cadre_area",
            "village_code",
            "institution",
            "registered_at",
            "last_seen_at",
            "unreachable",
        ),
    )

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    village_code: str = Field(sa_column=Column(String(16), nullable=False))
    institution: str = Field(sa_column=Column(String(20), nullable=False))
    registered_at: datetime = Field(sa_column=Column(DateTime, nullable=False))
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    unreachable: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))


class DeliverySummary(SQLModel, table=True):
    """Outcomes of one finished broadcast per kelurahan/desa of its recipients (migration 0005b).

    Two million delivery rows would take a second to scan for a province view; their per-
    kelurahan sums are a few per broadcast and never change, so they are folded once.
    """

    __tablename__ = "stats_delivery"
    __table_args__ = (
        Index("ix_stats_delivery_area", "village_code", "broadcast_id", "sent", "failed", "other"),
    )

    broadcast_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("broadcast.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    village_code: str = Field(sa_column=Column(String(16), primary_key=True))
    sent: int = Field(sa_column=Column(Integer, nullable=False))
    failed: int = Field(sa_column=Column(Integer, nullable=False))
    other: int = Field(sa_column=Column(Integer, nullable=False))


class SummarisedBroadcast(SQLModel, table=True):
    """Broadcasts already folded into `stats_delivery` (also those that reached no cadre)."""

    __tablename__ = "stats_delivery_done"

    broadcast_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("broadcast.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    summarised_at: datetime = Field(sa_column=Column(DateTime, nullable=False))


class StatsVersion(SQLModel, table=True):
    """A fresh random token per table each time it changes, written by triggers in the
    writing transaction (migration 0017_stats_perf): `storage.stats` keeps the figures of
    tables that rarely change (reports, folded deliveries) until their token changes."""

    __tablename__ = "stats_version"

    name: str = Field(sa_column=Column(String(20), primary_key=True))
    token: str = Field(sa_column=Column(String(40), nullable=False))
