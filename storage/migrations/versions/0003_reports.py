"""Innovation reports: reports, their photos/documents, and their review history.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report",
        sa.Column("id", sa.Integer, primary_key=True),
        # SET NULL: a cadre's /hapus_data leaves their reports as anonymous records.
        sa.Column(
            "reporter_id",
            sa.BigInteger,
            sa.ForeignKey("cadre.telegram_id", ondelete="SET NULL", name="fk_report_reporter"),
            nullable=True,
        ),
        sa.Column(
            "village_code",
            sa.String(16),
            sa.ForeignKey("region.code", name="fk_report_village"),
            nullable=False,
        ),
        sa.Column("institution", sa.String(20), nullable=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("latitude", sa.Float, nullable=True),
        sa.Column("longitude", sa.Float, nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("decided_by", sa.BigInteger, nullable=True),
        sa.Column("last_comment", sa.Text, nullable=True),
        sa.Column("featured_at", sa.DateTime, nullable=True),
        sa.Column("featured_by", sa.BigInteger, nullable=True),
        sa.Column("channel_posted_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_report_status_village", "report", ["status", "village_code"])
    op.create_index("ix_report_reporter_id", "report", ["reporter_id"])
    op.create_index("ix_report_submitted_at", "report", ["submitted_at"])

    op.create_table(
        "report_media",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("report.id", ondelete="CASCADE", name="fk_report_media_report"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("file_id", sa.String(255), nullable=False),
        sa.Column("file_unique_id", sa.String(64), nullable=False),
        sa.Column("file_size", sa.Integer, nullable=True),
        sa.Column("mime_type", sa.String(100), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("local_path", sa.String(255), nullable=True),
        sa.UniqueConstraint("report_id", "seq", name="uq_report_media_seq"),
    )

    op.create_table(
        "report_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("report.id", ondelete="CASCADE", name="fk_report_event_report"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.BigInteger, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
    )
    op.create_index("ix_report_event_report_id", "report_event", ["report_id"])


def downgrade() -> None:
    op.drop_table("report_event")
    op.drop_table("report_media")
    op.drop_table("report")
