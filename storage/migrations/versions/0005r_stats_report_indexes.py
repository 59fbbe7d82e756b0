"""Statistics: a covering index for reports per area and period.

`/statistik` counts an area's reports submitted in the period by sub-region, category and
status (and whether they were channelled); with every column it reads in one index, keyed on
the kelurahan code (byte order on PostgreSQL, like migration 0005), that is an index-only
range scan.

Revision ID: 0005r
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005r"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    village: str | sa.TextClause = "village_code"
    if op.get_bind().dialect.name == "postgresql":
        village = sa.text('village_code COLLATE "C"')
    op.create_index(
        "ix_report_stats",
        "report",
        [village, "submitted_at", "category", "status", "featured_at", "channel_posted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_report_stats", table_name="report")
