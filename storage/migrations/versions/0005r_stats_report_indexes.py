"""Statistics: a covering index for reports per area and period.

`/statistik` counts an area's reports submitted in the period by kelurahan/desa, category and
status (and whether they were channelled). Keyed on the kelurahan code (byte order on
PostgreSQL, like migration 0005), then category and status, the index holds every column the
query reads in the order it groups by: an index-only range scan with no sort; the period is
checked on the index entries.

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
        [village, "category", "status", "submitted_at", "featured_at", "channel_posted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_report_stats", table_name="report")
