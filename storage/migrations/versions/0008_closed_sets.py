"""Closed sets: statuses and kinds may hold only their known values.

The values are those of the `StrEnum`s next to the tables in `storage.models`; every row the
bot ever wrote already holds one of them. `broadcast_recipient.state` gets no check: the table
holds millions of rows and SQLite would copy it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# (table, column, allowed values) as of this revision: later changes get their own migration.
CHECKS = (
    ("broadcast", "status", ("queued", "sending", "done", "cancelled")),
    ("training_rsvp", "status", ("going", "waiting", "declined")),
    ("report", "status", ("pending", "revision", "approved", "rejected")),
    ("reminder", "kind", ("custom", "monthly_report", "review_digest")),
    ("reminder", "status", ("active", "paused", "done", "deleted")),
    ("reminder_occurrence", "status", ("sent", "missed", "skipped")),
)


def upgrade() -> None:
    for table, column, values in CHECKS:
        allowed = ", ".join(f"'{value}'" for value in values)
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({allowed})")


def downgrade() -> None:
    for table, column, _values in reversed(CHECKS):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"ck_{table}_{column}", type_="check")
