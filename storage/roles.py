"""Coordinators, their one-time invites, and the audit log of privileged actions."""

from __future__ import annotations

import hashlib
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
    "InviteInfo",
    "InviteResult",
    "NewInvite",
    "Redemption",
    "coordinator_scopes",
    "create_invite",
    "hash_code",
    "list_coordinators",
    "pending_invites",
    "redeem_invite",
    "revoke_coordinator",
    "revoke_invite",
]

#: `coordinator.display_name` is String(100); a Telegram full name can be longer.
MAX_DISPLAY_NAME = 100


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


@dataclass(frozen=True)
class InviteInfo:
    id: int
    scope_code: str
    created_by: int
    expires_at: datetime


@dataclass(frozen=True)
class NewInvite(InviteInfo):
    """A fresh invite with its code, the only time the code is known (it is stored hashed)."""

    code: str


@dataclass(frozen=True)
class Redemption:
    """The outcome of opening an invite link; `invite` (its issuer) is known unless UNKNOWN."""

    result: InviteResult
    invite: InviteInfo | None = None
    coordinator_id: int | None = None


def hash_code(code: str) -> str:
    """What the database keeps of an invite code: its SHA-256, hex."""
    return hashlib.sha256(code.encode()).hexdigest()


def _info(invite: CoordinatorInvite) -> InviteInfo:
    return InviteInfo(invite.id or 0, invite.scope_code, invite.created_by, invite.expires_at)


def create_invite(
    session: Session, scope_code: str, created_by: int, ttl: timedelta, now: datetime | None = None
) -> NewInvite:
    """A fresh one-time invite; the code is unguessable (deep links are shared on paper)."""
    now = now or utcnow()
    code = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    invite = CoordinatorInvite(
        code_hash=hash_code(code),
        scope_code=scope_code,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    session.flush()
    audit(session, created_by, "invite.create", scope_code, invite=invite.id)
    return NewInvite(invite.id or 0, scope_code, created_by, invite.expires_at, code)


def redeem_invite(
    session: Session, code: str, telegram_id: int, display_name: str, now: datetime | None = None
) -> Redemption:
    """Use an invite; the row is locked so two people opening one link cannot both win.

    A coordinator of the scope already opening it leaves it unused (for the one it was meant for).
    """
    now = now or utcnow()
    invite = session.exec(
        select(CoordinatorInvite)
        .where(col(CoordinatorInvite.code_hash) == hash_code(code))
        .with_for_update()
    ).first()
    if invite is None or invite.revoked_at is not None:
        return Redemption(InviteResult.UNKNOWN)
    if invite.used_at is not None:
        return Redemption(InviteResult.USED, _info(invite))
    if invite.expires_at <= now:
        return Redemption(InviteResult.EXPIRED, _info(invite))
    if invite.scope_code in coordinator_scopes(session, telegram_id):
        return Redemption(InviteResult.ALREADY, _info(invite))
    invite.used_at = now
    invite.used_by = telegram_id
    session.add(invite)
    coordinator = Coordinator(
        telegram_id=telegram_id,
        display_name=display_name[:MAX_DISPLAY_NAME],
        scope_code=invite.scope_code,
        created_by=invite.created_by,
        created_at=now,
    )
    session.add(coordinator)
    session.flush()
    audit(session, telegram_id, "coordinator.add", invite.scope_code, invite=invite.id)
    return Redemption(InviteResult.OK, _info(invite), coordinator.id)


def pending_invites(
    session: Session, created_by: int | None = None, now: datetime | None = None
) -> list[InviteInfo]:
    """Invites still redeemable (unused, unexpired, not revoked), oldest first."""
    query = select(CoordinatorInvite).where(
        col(CoordinatorInvite.used_at).is_(None),
        col(CoordinatorInvite.revoked_at).is_(None),
        col(CoordinatorInvite.expires_at) > (now or utcnow()),
    )
    if created_by is not None:
        query = query.where(col(CoordinatorInvite.created_by) == created_by)
    rows = session.exec(query.order_by(col(CoordinatorInvite.id))).all()
    return [_info(row) for row in rows]


def revoke_invite(session: Session, invite_id: int, revoked_by: int) -> InviteInfo | None:
    """Withdraw an unused invite (a link sent to the wrong person); None if no longer pending."""
    invite = session.get(CoordinatorInvite, invite_id)
    if invite is None or invite.used_at is not None or invite.revoked_at is not None:
        return None
    invite.revoked_at = utcnow()
    session.add(invite)
    audit(session, revoked_by, "invite.revoke", invite.scope_code, invite=invite.id)
    return _info(invite)


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
