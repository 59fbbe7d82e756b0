"""Needs map: the current answers folded per kelurahan/desa and need, filled from the answers.

A province map summed the ranked needs of every current answer (100,000 cadres: over a
second). `storage.needs` now keeps these per-village sums in the transaction that changes an
answer; this revision creates them and folds the answers already given. Codes are compared in
byte order (see 0005b): on PostgreSQL the code columns have the "C" collation, so the primary
keys serve the area ranges.

Revision ID: 0015_needs_tally
Revises: 0011_needs
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_needs_tally"
down_revision = "0013_reports"
branch_labels = None
depends_on = None

# Each current answer's ranked needs, weighted 3-2-1; a "Lainnya" need is keyed by its
# lower-cased typed name (the same fold as `storage.needs.refresh_tally`).
RANKED = " UNION ALL ".join(
    f"""SELECT village_code, {column} AS need,
           CASE WHEN {column} = 'lainnya' THEN LOWER(COALESCE(other_name, '')) ELSE '' END
               AS other,
           CASE WHEN {column} = 'lainnya' THEN other_name END AS other_name,
           {weight} AS weight
      FROM need_answer WHERE is_current AND {column} IS NOT NULL"""
    for column, weight in (("need_1", 3), ("need_2", 2), ("need_3", 1))
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    code_type = sa.String(16, collation="C") if postgresql else sa.String(16)
    op.create_table(
        "need_tally",
        sa.Column("village_code", code_type, primary_key=True),
        sa.Column("need", sa.String(20), primary_key=True),
        sa.Column("other", sa.String(60), primary_key=True),
        sa.Column("other_name", sa.String(60), nullable=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("cadres", sa.Integer, nullable=False),
    )
    op.create_table(
        "need_village_answered",
        sa.Column("village_code", code_type, primary_key=True),
        sa.Column("answered", sa.Integer, nullable=False),
    )
    op.execute(
        "INSERT INTO need_tally (village_code, need, other, other_name, score, cadres) "
        "SELECT village_code, need, other, MIN(other_name), SUM(weight), COUNT(*) "
        f"FROM ({RANKED}) AS ranked GROUP BY village_code, need, other"
    )
    op.execute(
        "INSERT INTO need_village_answered (village_code, answered) "
        "SELECT village_code, COUNT(*) FROM need_answer WHERE is_current GROUP BY village_code"
    )


def downgrade() -> None:
    op.drop_table("need_village_answered")
    op.drop_table("need_tally")
