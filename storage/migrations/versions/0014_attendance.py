"""Trainings that count (issue 13): check-in codes, attendance, certificates,
feedback and follow-ups.

Revision ID: 0014_attendance
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_attendance"
down_revision = "0012_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_checkin",
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("certificates", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(["training_id"], ["training.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("training_id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "training_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(), nullable=False),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("ticked_by", sa.BigInteger(), nullable=True),
        sa.Column("certificate_code", sa.String(length=16), nullable=True),
        sa.Column("feedback_sent_at", sa.DateTime(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["training_id"], ["training.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("training_id", "telegram_id", name="uq_training_attendance_cadre"),
        sa.UniqueConstraint("certificate_code"),
    )
    op.create_index("ix_training_attendance_telegram_id", "training_attendance", ["telegram_id"])

    op.create_table(
        "training_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attendance_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("used", sa.String(length=10), nullable=True),
        sa.Column("situation", sa.String(length=16), nullable=True),
        sa.Column("recommend", sa.String(length=4), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["attendance_id"], ["training_attendance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("attendance_id", "days", name="uq_training_followup_wave"),
        sa.CheckConstraint(
            "used IN ('yes', 'partly', 'not_yet')", name="ck_training_followup_used"
        ),
        sa.CheckConstraint(
            "situation IN ('working', 'own_business', 'group_business', 'not_yet')",
            name="ck_training_followup_situation",
        ),
        sa.CheckConstraint("recommend IN ('yes', 'no')", name="ck_training_followup_recommend"),
    )


def downgrade() -> None:
    op.drop_table("training_followup")
    op.drop_index("ix_training_attendance_telegram_id", table_name="training_attendance")
    op.drop_table("training_attendance")
    op.drop_table("training_checkin")
