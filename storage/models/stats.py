"""Tables of pre-folded statistics: per-kelurahan delivery sums of settled broadcasts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

__all__ = ["DeliverySummary", "SummarisedBroadcast"]


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
