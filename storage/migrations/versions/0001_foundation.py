"""Foundation: regions, users, cadres, coordinators, invites, audit log, drafts, bot state.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("parent_code", sa.String(16), nullable=True),
    )
    op.create_index("ix_region_parent_code", "region", ["parent_code"])

    op.create_table(
        "app_user",
        sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("language", sa.String(5), nullable=True),
        sa.Column("telegram_language", sa.String(12), nullable=True),
        sa.Column("unreachable_since", sa.DateTime, nullable=True),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_app_user_last_seen_at", "app_user", ["last_seen_at"])

    op.create_table(
        "cadre",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("telegram_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("full_name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("village_code", sa.String(16), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("institution", sa.String(20), nullable=False),
        sa.Column("institution_other", sa.String(80), nullable=True),
        sa.Column("receive_broadcasts", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("consent_at", sa.DateTime, nullable=False),
        sa.Column("registered_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_cadre_village_code", "cadre", ["village_code"])

    op.create_table(
        "coordinator",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("telegram_id", sa.BigInteger, nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("scope_code", sa.String(16), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.Column("revoked_by", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_coordinator_telegram_id", "coordinator", ["telegram_id"])

    op.create_table(
        "coordinator_invite",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("scope_code", sa.String(16), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
        sa.Column("used_by", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor_id", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(120), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])

    op.create_table(
        "draft",
        sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )

    op.create_table(
        "bot_conversation",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_table(
        "bot_state",
        sa.Column("kind", sa.String(12), primary_key=True),
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "bot_state",
        "bot_conversation",
        "draft",
        "audit_log",
        "coordinator_invite",
        "coordinator",
        "cadre",
        "app_user",
        "region",
    ):
        op.drop_table(table)
