"""Coordinators, their one-time invites, and the audit log of privileged actions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage.audit import audit
from storage.models import Coordinator, CoordinatorInvite, utcnow
from storage.regions import scope_filter

__all__ = [
    "CoordinatorInfo",
    "InviteResult",
    "coordinator_scopes",
    "create_invite",
    "list_coordinators",
    "redeem_invite",
    "revoke_coordinator",
]


class InviteResult(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY = "already"


@dataclass(frozen=True)
class CoordinatorInfo:
    id: int
    telegram_id: int
    display_name: str
    scope_code: str
    created_at: datetime


def coordinator_scopes(session: Session, telegram_id: int) -> list[str]:
    rows = session.exec(
        select(Coordinator.scope_code).where(
            col(Coordinator.telegram_id) == telegram_id,
            col(Coordinator.revoked_at).is_(None),
        )
    ).all()
    return sorted(set(rows))


def create_invite(
    session: Session, scope_code: str, created_by: int, ttl: timedelta, now: datetime | None = None
) -> CoordinatorInvite:
    """A fresh one-time invite; the code is unguessable (deep links are shared on paper)."""
    now = now or utcnow()
    invite = CoordinatorInvite(
        code=secrets.token_urlsafe(12).replace("-", "x").replace("_", "y"),
        scope_code=scope_code,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    audit(session, created_by, "invite.create", scope_code, code=invite.code)
    return invite


def redeem_invite(
    session: Session, code: str, telegram_id: int, display_name: str, now: datetime | None = None
) -> tuple[InviteResult, str | None]:
    """Use an invite; the row is locked so two people opening one link cannot both win."""
    now = now or utcnow()
    invite = session.exec(
        select(CoordinatorInvite).where(col(CoordinatorInvite.code) == code).with_for_update()
    ).first()
    if invite is None or invite.revoked_at is not None:
        return InviteResult.UNKNOWN, None
    if invite.used_at is not None:
        return InviteResult.USED, invite.scope_code
    if invite.expires_at <= now:
        return InviteResult.EXPIRED, invite.scope_code
    invite.used_at = now
    invite.used_by = telegram_id
    session.add(invite)
    if invite.scope_code in coordinator_scopes(session, telegram_id):
        audit(session, telegram_id, "invite.redeem", invite.scope_code, code=code, already=True)
        return InviteResult.ALREADY, invite.scope_code
    session.add(
        Coordinator(
            telegram_id=telegram_id,
            display_name=display_name,
            scope_code=invite.scope_code,
            created_by=invite.created_by,
            created_at=now,
        )
    )
    audit(session, telegram_id, "coordinator.add", invite.scope_code, code=code)
    return InviteResult.OK, invite.scope_code


def list_coordinators(session: Session, within: str | None = None) -> list[CoordinatorInfo]:
    query = select(Coordinator).where(col(Coordinator.revoked_at).is_(None))
    if within:
        query = query.where(scope_filter(Coordinator.scope_code, within))
    rows = session.exec(query.order_by(col(Coordinator.scope_code), col(Coordinator.id))).all()
    return [
        CoordinatorInfo(r.id or 0, r.telegram_id, r.display_name, r.scope_code, r.created_at)
        for r in rows
    ]


def revoke_coordinator(
    session: Session, coordinator_id: int, revoked_by: int
) -> CoordinatorInfo | None:
    row = session.get(Coordinator, coordinator_id)
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    row.revoked_by = revoked_by
    session.add(row)
    audit(session, revoked_by, "coordinator.revoke", row.scope_code, telegram_id=row.telegram_id)
    return CoordinatorInfo(
        row.id or 0, row.telegram_id, row.display_name, row.scope_code, row.created_at
    )
