"""Invite codes stored hashed: `coordinator_invite` gets an id and keeps only sha256(code).

The table is rebuilt (its primary key changes) and each code is replaced by its hash, so
links already handed out keep working. Audit entries no longer carry codes. Downgrading
cannot bring the codes back: the invites then pending stop working.

Revision ID: 0012_trust
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0012_trust"
down_revision = "0015_needs_tally"
branch_labels = None
depends_on = None

_COLUMNS = (
    "scope_code",
    "created_by",
    "created_at",
    "expires_at",
    "used_at",
    "used_by",
    "revoked_at",
)
_INVITE_ACTIONS = ("invite.create", "invite.redeem", "coordinator.add")


def _common_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("scope_code", sa.String(16), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
        sa.Column("used_by", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    ]


def _copy(source: str, target: str, codes: tuple[str, str]) -> None:
    """Copy every invite from `source` to `target`, code column `codes[0]` into `codes[1]`
    (in SQL, so each column keeps its type)."""
    columns = ", ".join(_COLUMNS)
    op.execute(
        f"INSERT INTO {target} ({codes[1]}, {columns}) SELECT {codes[0]}, {columns} FROM {source}"
    )


def upgrade() -> None:
    op.create_table(
        "coordinator_invite_new",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        *_common_columns(),
        sa.UniqueConstraint("code_hash", name="uq_coordinator_invite_code_hash"),
    )
    _copy("coordinator_invite", "coordinator_invite_new", ("code", "code_hash"))
    op.drop_table("coordinator_invite")
    op.rename_table("coordinator_invite_new", "coordinator_invite")

    bind = op.get_bind()
    invites = sa.table("coordinator_invite", sa.column("id"), sa.column("code_hash"))
    for invite_id, code in bind.execute(sa.select(invites.c.id, invites.c.code_hash)).all():
        digest = hashlib.sha256(code.encode()).hexdigest()
        bind.execute(invites.update().where(invites.c.id == invite_id).values(code_hash=digest))
    audit = sa.table(
        "audit_log", sa.column("id"), sa.column("action"), sa.column("details", sa.JSON)
    )
    entries = bind.execute(
        sa.select(audit.c.id, audit.c.details).where(audit.c.action.in_(_INVITE_ACTIONS))
    ).all()
    for entry_id, details in entries:
        if details and "code" in details:
            kept = {key: value for key, value in details.items() if key != "code"}
            bind.execute(audit.update().where(audit.c.id == entry_id).values(details=kept))


def downgrade() -> None:
    op.create_table(
        "coordinator_invite_old",
        sa.Column("code", sa.String(40), primary_key=True),
        *_common_columns(),
    )
    _copy("coordinator_invite", "coordinator_invite_old", ("substr(code_hash, 1, 40)", "code"))
    op.drop_table("coordinator_invite")
    op.rename_table("coordinator_invite_old", "coordinator_invite")
