"""Trainings can be called off: when and by whom.

A cancelled training keeps its row and its answers (they say whom to tell and stay visible to
coordinators); it is hidden from cadres, refuses answers and gets no automatic reminders.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("training", sa.Column("cancelled_at", sa.DateTime, nullable=True))
    op.add_column("training", sa.Column("cancelled_by", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training") as batch:
        batch.drop_column("cancelled_by")
        batch.drop_column("cancelled_at")
