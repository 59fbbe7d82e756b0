"""A training may say when it ends: the check-in link closes and the feedback goes out then;
without it both wait for the end of the training day, as before. And the optional location
check at check-in: the venue's coordinates, and how far from it each cadre said they were
(issue 13).

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
    op.add_column("training_checkin", sa.Column("venue_lat", sa.Float, nullable=True))
    op.add_column("training_checkin", sa.Column("venue_lon", sa.Float, nullable=True))
    op.add_column("training_attendance", sa.Column("distance_m", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_attendance") as batch:
        batch.drop_column("distance_m")
    with op.batch_alter_table("training_checkin") as batch:
        batch.drop_column("venue_lon")
        batch.drop_column("venue_lat")
    with op.batch_alter_table("training") as batch:
        batch.drop_column("ends_at")
