"""Version token of the cadre figures (`stats_version` row "cadre").

Every /statistik view counts the area's cadres by sub-region and institution from
`stats_cadre` (a province: one index scan of 100,000 rows, 60–100 ms, the largest part of a
view). Who is registered where, with which institution, since when and whether the bot can
reach them changes a few times an hour; that a cadre was seen again changes all the time. So
the token is renewed by any insert or delete and by an update that changes anything but
`last_seen_at`, inside the writing transaction; `storage.stats` keeps the figures under the
token and a five-minute step, so activity shows within it (see `_cadre_groups`). The row is
created here, so a database upgraded with cadres in it keeps figures from the first view.

Revision ID: 0021_cadre_version
Revises: 0020_review_queue_index
Create Date: 2026-12-01
"""

from __future__ import annotations

import uuid

from alembic import op

revision = "0021_cadre_version"
down_revision = "0020_review_queue_index"
branch_labels = None
depends_on = None

NAME = "cadre"
# What a cadre row says apart from activity: a change to any of these renews the token.
_PLACE = ("telegram_id", "village_code", "institution", "registered_at", "unreachable")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        bump = f"""INSERT OR REPLACE INTO stats_version (name, token)
            VALUES ('{NAME}', lower(hex(randomblob(16))));"""
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _PLACE)
        for event in ("INSERT", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER stats_version_cadre_{event.lower()}
                AFTER {event} ON stats_cadre BEGIN {bump} END"""
            )
        op.execute(
            f"""CREATE TRIGGER stats_version_cadre_update AFTER UPDATE ON stats_cadre
            WHEN {changed} BEGIN {bump} END"""
        )
    else:  # stats_version_bump() comes from 0017
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _PLACE)
        op.execute(
            f"""CREATE TRIGGER stats_version_cadre
            AFTER INSERT OR DELETE OR TRUNCATE ON stats_cadre
            FOR EACH STATEMENT EXECUTE FUNCTION stats_version_bump('{NAME}')"""
        )
        op.execute(
            f"""CREATE TRIGGER stats_version_cadre_update AFTER UPDATE ON stats_cadre
            FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION stats_version_bump('{NAME}')"""
        )
    op.execute(f"INSERT INTO stats_version (name, token) VALUES ('{NAME}', '{uuid.uuid4().hex}')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS stats_version_cadre_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS stats_version_cadre ON stats_cadre")
        op.execute("DROP TRIGGER IF EXISTS stats_version_cadre_update ON stats_cadre")
    op.execute(f"DELETE FROM stats_version WHERE name = '{NAME}'")
