"""Reports: the cadre's consent to publishing the photos (`report.photos_public`).

Reports already in the database were sent before the question was asked, so their photos count
as not consented (false) and a featured report goes out without them.

Revision ID: 0013_reports
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_reports"
down_revision = "0011_needs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(
            sa.Column("photos_public", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_column("photos_public")
