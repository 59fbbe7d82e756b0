"""Telegram groups per kecamatan or kelurahan (issue 14): linked groups and their members.

Revision ID: 0018_groups
Revises: 0017_stats_perf
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_groups"
down_revision = "0017_stats_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linked_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("invite_link", sa.String(length=64), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["area_code"], ["region.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("area_code"),
        sa.UniqueConstraint("chat_id"),
    )
    op.create_table(
        "group_member",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["linked_group.chat_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id", "telegram_id"),
    )
    op.create_index("ix_group_member_telegram_id", "group_member", ["telegram_id"])


def downgrade() -> None:
    op.drop_index("ix_group_member_telegram_id", table_name="group_member")
    op.drop_table("group_member")
    op.drop_table("linked_group")
