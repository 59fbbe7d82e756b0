"""Tables of the outbox: one row per broadcast and one per recipient (see `storage.outbox`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from storage.models.common import one_of, utcnow

__all__ = [
    "Broadcast",
    "BroadcastKind",
    "BroadcastRecipient",
    "BroadcastStatus",
    "RecipientState",
]


class BroadcastKind(StrEnum):
    """What a broadcast is for (its `ref` is unique within a kind)."""

    ANNOUNCEMENT = "announcement"  # /umumkan
    TRAINING = "training"  # /pelatihan_baru
    NOTIFICATION = "notification"  # training changes, waiting-list promotions
    REPORT_FEATURE = "report_feature"  # an approved report shared with the area
    REMINDER = "reminder"  # an occurrence of a scheduled reminder


class BroadcastStatus(StrEnum):
    """queued (waiting for its time or the end of quiet hours) → sending → done | cancelled."""

    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class RecipientState(StrEnum):
    """pending → sending (claimed by the sender) → sent | failed | cancelled.

    No check constraint: the table holds millions of rows, and adding one on SQLite means
    copying the table.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


_RecipientId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only


class Broadcast(SQLModel, table=True):
    """One mass message: what to send (JSON payload), to whom (recipient rows), and its state."""

    __tablename__ = "broadcast"
    __table_args__ = (
        UniqueConstraint("kind", "ref", name="uq_broadcast_kind_ref"),
        Index("ix_broadcast_status", "status"),
        Index("ix_broadcast_sender_id", "sender_id"),
        one_of("broadcast", "status", BroadcastStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    ref: str | None = Field(default=None, sa_column=Column(String(160), nullable=True))
    sender_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    urgent: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    status: str = Field(
        default=BroadcastStatus.QUEUED,
        sa_column=Column(String(12), nullable=False, server_default=BroadcastStatus.QUEUED.value),
    )
    total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    not_before: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    progress_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    progress_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
    cancelled_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class BroadcastRecipient(SQLModel, table=True):
    """One recipient of one broadcast and how delivery went.

    `chat_id` has no foreign key (groups and channels are recipients too) and becomes NULL
    when the cadre erases their data; `parts_done` lets a long message resume at its next part.
    """

    __tablename__ = "broadcast_recipient"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "chat_id", name="uq_broadcast_recipient_chat"),
        Index("ix_broadcast_recipient_state", "broadcast_id", "state", "id"),
        Index("ix_broadcast_recipient_chat_id", "chat_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(_RecipientId, primary_key=True))
    broadcast_id: int = Field(
        sa_column=Column(Integer, ForeignKey("broadcast.id", ondelete="CASCADE"), nullable=False)
    )
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    state: str = Field(
        default=RecipientState.PENDING,
        sa_column=Column(
            String(10),
            nullable=False,
            default=RecipientState.PENDING.value,
            server_default=RecipientState.PENDING.value,
        ),
    )
    attempts: int = Field(
        default=0, sa_column=Column(SmallInteger, nullable=False, default=0, server_default="0")
    )
    parts_done: int = Field(
        default=0, sa_column=Column(SmallInteger, nullable=False, default=0, server_default="0")
    )
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime, nullable=True)
    )
    error: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=Column(DateTime, nullable=True))
