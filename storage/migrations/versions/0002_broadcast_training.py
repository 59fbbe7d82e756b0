"""Broadcast outbox (one row per broadcast, one per recipient) and training announcements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_RECIPIENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("ref", sa.String(160), nullable=True),
        sa.Column("sender_id", sa.BigInteger, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(12), nullable=False, server_default="queued"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_before", sa.DateTime, nullable=True),
        sa.Column("progress_chat_id", sa.BigInteger, nullable=True),
        sa.Column("progress_message_id", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("cancelled_by", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("kind", "ref", name="uq_broadcast_kind_ref"),
    )
    op.create_index("ix_broadcast_status", "broadcast", ["status"])
    op.create_index("ix_broadcast_sender_id", "broadcast", ["sender_id"])

    op.create_table(
        "broadcast_recipient",
        sa.Column("id", _RECIPIENT_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "broadcast_id",
            sa.Integer,
            sa.ForeignKey("broadcast.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # No foreign key: recipients include groups and channels; NULL after erasure.
        sa.Column("chat_id", sa.BigInteger, nullable=True),
        sa.Column("state", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("parts_done", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("error", sa.String(120), nullable=True),
        sa.Column("message_id", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("broadcast_id", "chat_id", name="uq_broadcast_recipient_chat"),
    )
    op.create_index(
        "ix_broadcast_recipient_state", "broadcast_recipient", ["broadcast_id", "state", "id"]
    )
    op.create_index("ix_broadcast_recipient_chat_id", "broadcast_recipient", ["chat_id"])

    op.create_table(
        "training",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("quota", sa.Integer, nullable=True),
        sa.Column("area_code", sa.String(16), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("institutions", sa.JSON, nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("registration_closed_at", sa.DateTime, nullable=True),
        sa.Column("closed_by", sa.BigInteger, nullable=True),
        sa.Column(
            "broadcast_id",
            sa.Integer,
            sa.ForeignKey("broadcast.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("rsvp_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_training_starts_at", "training", ["starts_at"])
    op.create_index("ix_training_area_code", "training", ["area_code"])

    op.create_table(
        "training_rsvp",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "training_id",
            sa.Integer,
            sa.ForeignKey("training.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # No foreign key to cadre: the row is deleted when the cadre erases their data.
        sa.Column("telegram_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("training_id", "telegram_id", name="uq_training_rsvp_cadre"),
    )
    op.create_index("ix_training_rsvp_telegram_id", "training_rsvp", ["telegram_id"])


def downgrade() -> None:
    op.drop_table("training_rsvp")
    op.drop_table("training")
    op.drop_table("broadcast_recipient")
    op.drop_table("broadcast")
