"""Version token of the training-attendance figures (`stats_version` row "attendance").

The attendance section of every /statistik view counts a year of trainings, their sign-ups,
attendances and follow-ups (a province: ~50,000 sign-ups, ~40,000 attendances, ~60,000
follow-ups; 300–900 ms a view). They change a few times a day, so `storage.attendance_figures`
keeps the figures between views the way `storage.stats` keeps those of reports: the triggers
of migration 0017 renew the token inside any transaction that writes one of these tables.

Revision ID: 0019_attendance_version
Revises: 0018_groups
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0019_attendance_version"
down_revision = "0018_groups"
branch_labels = None
depends_on = None

# Every table the attendance figures read, all under the one token "attendance".
VERSIONED = ("training", "training_rsvp", "training_attendance", "training_followup")
NAME = "attendance"
_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in VERSIONED:
            for event in _EVENTS:
                op.execute(
                    f"""CREATE TRIGGER stats_version_{table}_{event.lower()}
                    AFTER {event} ON {table} BEGIN
                        INSERT OR REPLACE INTO stats_version (name, token)
                        VALUES ('{NAME}', lower(hex(randomblob(16))));
                    END"""
                )
    else:  # stats_version_bump() comes from 0017
        for table in VERSIONED:
            op.execute(
                f"""CREATE TRIGGER stats_version_{table}
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION stats_version_bump('{NAME}')"""
            )


def downgrade() -> None:
    for table in VERSIONED:
        if op.get_bind().dialect.name == "sqlite":
            for event in _EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS stats_version_{table}_{event.lower()}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS stats_version_{table} ON {table}")
    op.execute(f"DELETE FROM stats_version WHERE name = '{NAME}'")
