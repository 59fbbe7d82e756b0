"""A training may say when it ends: the check-in link closes and the feedback goes out then
(issue 13); without it both wait for the end of the training day, as before.

Revision ID: 0016_training_end
Revises: 0014_attendance
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_training_end"
down_revision = "0014_attendance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("training", sa.Column("ends_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training") as batch:
        batch.drop_column("ends_at")
