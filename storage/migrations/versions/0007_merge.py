"""One line of history: joins the five branches that grew from 0001 and 0002.

Reports, reminders, the statistics indexes and cancelled trainings were written side by side,
each on the revision it needed; from here on every migration follows the one before it.

Revision ID: 0007
Revises: 0004, 0005, 0005b, 0005r, 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

revision = "0007"
down_revision = ("0004", "0005", "0005b", "0005r", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
