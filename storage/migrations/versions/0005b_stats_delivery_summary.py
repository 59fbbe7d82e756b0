"""Statistics: per-kelurahan delivery sums of finished broadcasts, and their index.

A province view would otherwise count two million delivery rows on every `/statistik`. Once a
broadcast is finished and settled its outcomes never change, so `storage.stats` folds them
once into `stats_delivery` (a few rows per broadcast) and marks it in `stats_delivery_done`.
Kelurahan codes are compared in byte order (see 0005): on PostgreSQL this table's code
column has the "C" collation, so both its primary key and its area index serve the ranges.

Revision ID: 0005b
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005b"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # On PostgreSQL the code itself is byte-ordered, so the primary key (broadcast, code) also
    # serves "this broadcast, inside this area" (a month's few broadcasts in a province view).
    code_type = sa.String(16, collation="C") if postgresql else sa.String(16)
    op.create_table(
        "stats_delivery",
        sa.Column(
            "broadcast_id",
            sa.Integer,
            sa.ForeignKey("broadcast.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("village_code", code_type, primary_key=True),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("other", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_stats_delivery_area",
        "stats_delivery",
        ["village_code", "broadcast_id", "sent", "failed", "other"],
    )
    op.create_table(
        "stats_delivery_done",
        sa.Column(
            "broadcast_id",
            sa.Integer,
            sa.ForeignKey("broadcast.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("summarised_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stats_delivery_done")
    op.drop_index("ix_stats_delivery_area", table_name="stats_delivery")
    op.drop_table("stats_delivery")
