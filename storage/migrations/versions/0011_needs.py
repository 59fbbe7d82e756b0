"""Village needs and cadres' resources: survey rounds and invitations, answers, skills.

Revision ID: 0011_needs
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_needs"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "need_round",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_code", sa.String(16), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("institutions", sa.JSON, nullable=False),
        sa.Column("opened_by", sa.BigInteger, nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("deadline", sa.DateTime, nullable=False),
        sa.Column("remind_at", sa.DateTime, nullable=False),
        sa.Column("reminded_at", sa.DateTime, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("closed_by", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_need_round_scope", "need_round", ["scope_code"])
    op.create_index("ix_need_round_due", "need_round", ["reminded_at", "remind_at"])
    op.create_table(
        "need_invite",
        sa.Column(
            "round_id",
            sa.Integer,
            sa.ForeignKey("need_round.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("village_code", sa.String(16), nullable=False),
    )
    op.create_table(
        "need_answer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("telegram_id", sa.BigInteger, nullable=False),
        sa.Column("village_code", sa.String(16), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column(
            "round_id",
            sa.Integer,
            sa.ForeignKey("need_round.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("need_1", sa.String(20), nullable=False),
        sa.Column("need_2", sa.String(20), nullable=True),
        sa.Column("need_3", sa.String(20), nullable=True),
        sa.Column("other_name", sa.String(60), nullable=True),
        sa.Column("problem", sa.String(300), nullable=False),
        sa.Column("potential", sa.String(300), nullable=False),
        sa.Column("photo_file_id", sa.String(200), nullable=True),
        sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("answered_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("telegram_id", "period", name="uq_need_answer_period"),
    )
    op.create_index(
        "ix_need_answer_map",
        "need_answer",
        ["is_current", "village_code", "need_1", "need_2", "need_3", "other_name"],
    )
    op.create_index("ix_need_answer_recent", "need_answer", ["is_current", "updated_at"])
    op.create_index("ix_need_answer_round", "need_answer", ["round_id", "telegram_id"])
    op.create_table(
        "cadre_skill",
        sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("skill", sa.String(20), primary_key=True),
    )
    op.create_index("ix_cadre_skill_skill", "cadre_skill", ["skill", "telegram_id"])
    op.create_table(
        "cadre_resource",
        sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("other_skill", sa.String(60), nullable=True),
        sa.Column("teaches", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("contact_ok", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cadre_resource")
    op.drop_index("ix_cadre_skill_skill", table_name="cadre_skill")
    op.drop_table("cadre_skill")
    op.drop_index("ix_need_answer_round", table_name="need_answer")
    op.drop_index("ix_need_answer_recent", table_name="need_answer")
    op.drop_index("ix_need_answer_map", table_name="need_answer")
    op.drop_table("need_answer")
    op.drop_table("need_invite")
    op.drop_index("ix_need_round_due", table_name="need_round")
    op.drop_index("ix_need_round_scope", table_name="need_round")
    op.drop_table("need_round")
