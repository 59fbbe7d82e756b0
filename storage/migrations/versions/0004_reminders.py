"""Scheduled reminders and the claim of each occurrence (exactly once, across restarts).

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.BigInteger, nullable=True),
        sa.Column("created_by", sa.BigInteger, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column(
            "audience_code",
            sa.String(16),
            sa.ForeignKey("region.code", name="fk_reminder_audience"),
            nullable=True,
        ),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("at_time", sa.Time, nullable=False),
        sa.Column("on_date", sa.Date, nullable=True),
        sa.Column("weekday", sa.Integer, nullable=True),
        sa.Column("month_day", sa.Integer, nullable=True),
        sa.Column("week", sa.Integer, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("paused_reason", sa.String(20), nullable=True),
        sa.Column("next_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_reminder_due", "reminder", ["status", "next_at"])
    op.create_index("ix_reminder_audience_code", "reminder", ["audience_code"])

    op.create_table(
        "reminder_occurrence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(120), nullable=False),
        sa.Column(
            "reminder_id",
            sa.Integer,
            sa.ForeignKey(
                "reminder.id", ondelete="CASCADE", name="fk_reminder_occurrence_reminder"
            ),
            nullable=True,
        ),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("handled_at", sa.DateTime, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("broadcast_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("ref", name="uq_reminder_occurrence_ref"),
        sa.UniqueConstraint("reminder_id", "due_at", name="uq_reminder_occurrence_slot"),
    )


def downgrade() -> None:
    op.drop_table("reminder_occurrence")
    op.drop_table("reminder")
