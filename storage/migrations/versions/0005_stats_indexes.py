"""Statistics: covering indexes for the per-area cadre aggregation and cadre activity.

`/statistik` groups an area's cadres by sub-region and institution and joins their activity;
a covering index on (village_code, institution, telegram_id, registered_at) turns that into an
index-only range scan. On PostgreSQL the code is indexed `COLLATE "C"`, the byte order that the
range filters of `storage.stats` use (a linguistic collation would ignore the dots).

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def _code(column: str) -> str | sa.TextClause:
    if op.get_bind().dialect.name == "postgresql":
        return sa.text(f'{column} COLLATE "C"')
    return column


def upgrade() -> None:
    op.create_index(
        "ix_cadre_stats",
        "cadre",
        [_code("village_code"), "institution", "telegram_id", "registered_at"],
    )
    # Activity of each cadre, read by primary key during the aggregation: covering, so each
    # of the (up to 100,000) lookups is one index probe instead of index + table.
    op.create_index(
        "ix_app_user_activity", "app_user", ["telegram_id", "last_seen_at", "unreachable_since"]
    )
    # Where a recipient lives, by Telegram id: folding deliveries into per-kelurahan sums
    # (storage.stats.summarise_deliveries) looks this up once per delivery.
    op.create_index("ix_cadre_home", "cadre", ["telegram_id", "village_code"])
    if op.get_bind().dialect.name == "postgresql":
        # Region codes are few (~1,200 for a province) but the range needs the byte order too.
        op.create_index("ix_region_code_bytes", "region", [_code("code")])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_region_code_bytes", table_name="region")
    op.drop_index("ix_cadre_home", table_name="cadre")
    op.drop_index("ix_app_user_activity", table_name="app_user")
    op.drop_index("ix_cadre_stats", table_name="cadre")
