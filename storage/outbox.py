"""The outbox: every mass message the bot sends, one row per broadcast and one per recipient.

The database, not memory, is the source of truth for delivery, so a crash or a restart loses
nothing: a recipient row moves `pending → sending → sent | failed | cancelled`, and rows left
in `sending` by a crash go back to `pending` at the next start (see docs/delivery.md for what
that means for duplicates). The sender (`bot.delivery`) claims small batches, sends them and
writes results back in batches; this module holds the SQL and nothing of Telegram.

Audiences for announcements are built here too: registered cadres inside some regions, who
did not opt out (`/berhenti`) and whose chat is reachable (no 403 since they last wrote).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    Table,
    and_,
    bindparam,
    func,
    or_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from storage.models import (
    AppUser,
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Cadre,
    RecipientState,
    utcnow,
)
from storage.people import mark_unreachable
from storage.regions import scope_filter

__all__ = [
    "ACTIVE_STATES",
    "CANCELLED",
    "FAILED",
    "PENDING",
    "SENDING",
    "SENT",
    "AudienceCounts",
    "BroadcastInfo",
    "Claimed",
    "DeliveryCounts",
    "Outcome",
    "activate",
    "active_broadcasts",
    "audience_counts",
    "audience_ids",
    "broadcast_status",
    "cancel",
    "claim",
    "create_broadcast",
    "delivery_counts",
    "failure_reasons",
    "finish",
    "forget_recipient",
    "get_broadcast",
    "recent_broadcasts",
    "record_outcomes",
    "recover_in_flight",
    "release",
    "set_progress_message",
]

#: Broadcasts the sender still has to look after.
ACTIVE_STATES = (BroadcastStatus.QUEUED, BroadcastStatus.SENDING)
PENDING = RecipientState.PENDING
SENDING = RecipientState.SENDING
SENT = RecipientState.SENT
FAILED = RecipientState.FAILED
CANCELLED = RecipientState.CANCELLED

# SQLModel creates `__table__` on every table class but does not declare it for type checkers.
_R: Table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
_B: Table = Broadcast.__table__  # type: ignore[attr-defined]


# ---------------------------------------------------------------- plain data out


@dataclass(frozen=True)
class BroadcastInfo:
    id: int
    kind: str
    ref: str | None
    sender_id: int | None
    payload: dict[str, Any]
    meta: dict[str, Any]
    urgent: bool
    status: str
    total: int
    not_before: datetime | None
    progress_chat_id: int | None
    progress_message_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Broadcast) -> BroadcastInfo:
        return cls(
            row.id or 0,
            row.kind,
            row.ref,
            row.sender_id,
            dict(row.payload),
            dict(row.meta or {}),
            row.urgent,
            row.status,
            row.total,
            row.not_before,
            row.progress_chat_id,
            row.progress_message_id,
            row.created_at,
            row.started_at,
            row.finished_at,
        )


@dataclass(frozen=True)
class DeliveryCounts:
    """Recipients of a broadcast by state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sending + self.sent + self.failed + self.cancelled

    @property
    def remaining(self) -> int:
        return self.pending + self.sending

    @property
    def processed(self) -> int:
        return self.sent + self.failed


@dataclass(frozen=True)
class Claimed:
    """A recipient the sender took: where to send, which part next, in which language."""

    recipient_id: int
    broadcast_id: int
    chat_id: int
    parts_done: int
    attempts: int
    language: str | None
    telegram_language: str | None


@dataclass(frozen=True)
class Outcome:
    """What happened to a claimed recipient.

    state: "sent" / "failed" (final), "pending" (retry at `retry_at`) or "sending" (a part of
    a long message went out; `parts_done` moved on and the rest follows).
    """

    recipient_id: int
    state: str
    parts_done: int = 0
    attempts: int = 0
    error: str | None = None
    message_id: int | None = None
    retry_at: datetime | None = None
    unreachable_user: int | None = None


@dataclass(frozen=True)
class AudienceCounts:
    """Who an announcement reaches, and who it skips and why (shown in the preview)."""

    eligible: int
    opted_out: int
    unreachable: int


# ---------------------------------------------------------------- submitting


def create_broadcast(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    recipients: Sequence[int],
    ref: str | None = None,
    sender_id: int | None = None,
    urgent: bool = False,
    not_before: datetime | None = None,
    progress_chat_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[int, bool]:
    """Store a broadcast with its recipients; returns (id, created).

    With a `ref`, an existing broadcast of the same (kind, ref) is returned instead, also when
    another process inserts it concurrently (the unique constraint decides).
    """
    if ref is not None:
        existing = _find_by_ref(session, kind, ref)
        if existing is not None:
            return existing, False
    unique = list(dict.fromkeys(int(r) for r in recipients))
    row = Broadcast(
        kind=kind,
        ref=ref,
        sender_id=sender_id,
        payload=payload,
        meta=meta or {},
        urgent=urgent,
        total=len(unique),
        not_before=not_before,
        progress_chat_id=progress_chat_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        if ref is None:
            raise
        existing = _find_by_ref(session, kind, ref)
        if existing is None:
            raise
        return existing, False
    assert row.id is not None
    if unique:
        session.exec(
            _R.insert(), params=[{"broadcast_id": row.id, "chat_id": chat_id} for chat_id in unique]
        )
    return row.id, True


def _find_by_ref(session: Session, kind: str, ref: str) -> int | None:
    return session.exec(
        select(Broadcast.id).where(col(Broadcast.kind) == kind, col(Broadcast.ref) == ref)
    ).first()


# ---------------------------------------------------------------- the sender's side


def recover_in_flight(session: Session) -> int:
    """At start: rows a crashed sender had claimed go back to the queue (at-least-once)."""
    result = session.exec(
        update(_R).where(_R.c.state == SENDING).values(state=PENDING, updated_at=utcnow())
    )
    return result.rowcount or 0


def active_broadcasts(session: Session) -> list[BroadcastInfo]:
    rows = session.exec(
        select(Broadcast)
        .where(col(Broadcast.status).in_(ACTIVE_STATES))
        .order_by(col(Broadcast.id))
    ).all()
    return [BroadcastInfo.of(r) for r in rows]


def get_broadcast(session: Session, broadcast_id: int) -> BroadcastInfo | None:
    row = session.get(Broadcast, broadcast_id)
    return BroadcastInfo.of(row) if row else None


def activate(session: Session, broadcast_id: int, now: datetime | None = None) -> bool:
    """queued → sending (once); False if it was not queued any more."""
    result = session.exec(
        update(_B)
        .where(_B.c.id == broadcast_id, _B.c.status == BroadcastStatus.QUEUED)
        .values(status=BroadcastStatus.SENDING, started_at=now or utcnow())
    )
    return bool(result.rowcount)


def set_progress_message(session: Session, broadcast_id: int, message_id: int) -> None:
    session.exec(update(_B).where(_B.c.id == broadcast_id).values(progress_message_id=message_id))


def claim(
    session: Session, broadcast_id: int, limit: int, now: datetime | None = None
) -> list[Claimed]:
    """Take up to `limit` due pending recipients of a broadcast (they become `sending`).

    PostgreSQL skips rows another transaction holds, so a second sender could never take the
    same recipient; SQLite serialises writers anyway.
    """
    now = now or utcnow()
    query = (
        sa.select(  # six columns: more than sqlmodel's select() types
            _R.c.id,
            _R.c.chat_id,
            _R.c.parts_done,
            _R.c.attempts,
            col(AppUser.language),
            col(AppUser.telegram_language),
        )
        .select_from(_R.outerjoin(AppUser, col(AppUser.telegram_id) == _R.c.chat_id))
        .where(
            _R.c.broadcast_id == broadcast_id,
            _R.c.state == PENDING,
            _R.c.chat_id.is_not(None),
            or_(_R.c.next_attempt_at.is_(None), _R.c.next_attempt_at <= now),
        )
        .order_by(_R.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=_R, skip_locked=True)
    rows = session.execute(query).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    for chunk in _chunks(ids, 500):
        session.exec(update(_R).where(_R.c.id.in_(chunk)).values(state=SENDING, updated_at=now))
    return [Claimed(r[0], broadcast_id, r[1], r[2], r[3], r[4], r[5]) for r in rows]


def record_outcomes(
    session: Session, outcomes: Sequence[Outcome], now: datetime | None = None
) -> None:
    """Write a batch of delivery outcomes in one transaction (executemany per kind).

    Final outcomes overwrite whatever is there (a message that went out while the broadcast was
    being cancelled *was* delivered); retries and part progress only touch rows still claimed.
    """
    now = now or utcnow()
    final = [o for o in outcomes if o.state in (SENT, FAILED)]
    ongoing = [o for o in outcomes if o.state in (PENDING, SENDING)]
    if final:
        session.exec(
            update(_R)
            .where(_R.c.id == bindparam("rid"))
            .values(
                state=bindparam("new_state"),
                parts_done=bindparam("new_parts"),
                attempts=bindparam("new_attempts"),
                error=bindparam("new_error"),
                message_id=bindparam("new_message_id"),
                updated_at=now,
            ),
            params=[
                {
                    "rid": o.recipient_id,
                    "new_state": o.state,
                    "new_parts": o.parts_done,
                    "new_attempts": o.attempts,
                    "new_error": o.error,
                    "new_message_id": o.message_id,
                }
                for o in final
            ],
        )
    if ongoing:
        session.exec(
            update(_R)
            .where(_R.c.id == bindparam("rid"), _R.c.state == SENDING)
            .values(
                state=bindparam("new_state"),
                parts_done=bindparam("new_parts"),
                attempts=bindparam("new_attempts"),
                error=bindparam("new_error"),
                next_attempt_at=bindparam("new_retry_at"),
                updated_at=now,
            ),
            params=[
                {
                    "rid": o.recipient_id,
                    "new_state": o.state,
                    "new_parts": o.parts_done,
                    "new_attempts": o.attempts,
                    "new_error": o.error,
                    "new_retry_at": o.retry_at,
                }
                for o in ongoing
            ],
        )
    for user_id in {o.unreachable_user for o in outcomes if o.unreachable_user}:
        mark_unreachable(session, user_id, now)


def release(session: Session, recipient_ids: Iterable[int]) -> None:
    """Give claimed-but-unsent recipients back to the queue (a clean stop)."""
    for chunk in _chunks(list(recipient_ids), 500):
        session.exec(
            update(_R)
            .where(_R.c.id.in_(chunk), _R.c.state == SENDING)
            .values(state=PENDING, updated_at=utcnow())
        )


def broadcast_status(session: Session, broadcast_id: int) -> DeliveryCounts:
    """Recipients of the broadcast by state (the read API other features use)."""
    return delivery_counts(session, [broadcast_id]).get(broadcast_id, DeliveryCounts())


def delivery_counts(session: Session, broadcast_ids: Sequence[int]) -> dict[int, DeliveryCounts]:
    """`broadcast_status` for several broadcasts in one query."""
    if not broadcast_ids:
        return {}
    rows = session.exec(
        select(_R.c.broadcast_id, _R.c.state, func.count())
        .where(_R.c.broadcast_id.in_(list(broadcast_ids)))
        .group_by(_R.c.broadcast_id, _R.c.state)
    ).all()
    grouped: dict[int, dict[str, int]] = {}
    for broadcast_id, state, count in rows:
        grouped.setdefault(broadcast_id, {})[state] = count
    return {b: DeliveryCounts(**grouped.get(b, {})) for b in broadcast_ids}


def failure_reasons(session: Session, broadcast_id: int) -> dict[str, int]:
    """Failed recipients of a broadcast by reason (blocked, chat_not_found, network…)."""
    rows = session.exec(
        select(_R.c.error, func.count())
        .where(_R.c.broadcast_id == broadcast_id, _R.c.state == FAILED)
        .group_by(_R.c.error)
    ).all()
    return {str(reason or "unknown"): count for reason, count in rows}


def finish(session: Session, broadcast_id: int, now: datetime | None = None) -> bool:
    """sending → done, once nothing remains; False if someone else finished or cancelled it."""
    result = session.exec(
        update(_B)
        .where(_B.c.id == broadcast_id, _B.c.status.in_(ACTIVE_STATES))
        .values(status=BroadcastStatus.DONE, finished_at=now or utcnow())
    )
    return bool(result.rowcount)


def cancel(
    session: Session, broadcast_id: int, by: int | None, now: datetime | None = None
) -> bool:
    """Stop a broadcast: recipients not yet sent become `cancelled`; False if not running."""
    now = now or utcnow()
    result = session.exec(
        update(_B)
        .where(_B.c.id == broadcast_id, _B.c.status.in_(ACTIVE_STATES))
        .values(status=BroadcastStatus.CANCELLED, finished_at=now, cancelled_by=by)
    )
    if not result.rowcount:
        return False
    session.exec(
        update(_R)
        .where(_R.c.broadcast_id == broadcast_id, _R.c.state.in_((PENDING, SENDING)))
        .values(state=CANCELLED, updated_at=now)
    )
    return True


def recent_broadcasts(
    session: Session,
    *,
    sender_id: int | None = None,
    kinds: Sequence[str] | None = None,
    limit: int = 10,
) -> list[tuple[BroadcastInfo, DeliveryCounts]]:
    """Newest broadcasts first (optionally of one sender / some kinds), with their figures."""
    query = select(Broadcast)
    if sender_id is not None:
        query = query.where(col(Broadcast.sender_id) == sender_id)
    if kinds:
        query = query.where(col(Broadcast.kind).in_(list(kinds)))
    rows = session.exec(query.order_by(col(Broadcast.id).desc()).limit(limit)).all()
    infos = [BroadcastInfo.of(r) for r in rows]
    counts = delivery_counts(session, [i.id for i in infos])
    return [(info, counts.get(info.id, DeliveryCounts())) for info in infos]


def forget_recipient(session: Session, telegram_id: int) -> None:
    """Right to erasure: the cadre's id leaves the delivery log; nothing more is sent to them."""
    now = utcnow()
    session.exec(
        update(_R)
        .where(_R.c.chat_id == telegram_id, _R.c.state.in_((PENDING, SENDING)))
        .values(state=CANCELLED, updated_at=now)
    )
    session.exec(update(_R).where(_R.c.chat_id == telegram_id).values(chat_id=None))


# ---------------------------------------------------------------- audiences


def _audience_where(
    scope_codes: Sequence[str], institutions: Sequence[str] | None
) -> ColumnElement[bool]:
    conditions = [or_(*(scope_filter(Cadre.village_code, code) for code in scope_codes))]
    if institutions:
        conditions.append(col(Cadre.institution).in_(list(institutions)))
    return and_(*conditions)


def audience_ids(
    session: Session, scope_codes: Sequence[str], institutions: Sequence[str] | None = None
) -> list[int]:
    """Telegram ids of cadres in these regions (and institutions) who want broadcasts and whose
    chat is reachable, in registration order."""
    if not scope_codes:
        return []
    rows = session.exec(
        select(Cadre.telegram_id)
        .outerjoin(AppUser, col(AppUser.telegram_id) == Cadre.telegram_id)
        .where(
            _audience_where(scope_codes, institutions),
            col(Cadre.receive_broadcasts).is_(True),
            col(AppUser.unreachable_since).is_(None),
        )
        .order_by(col(Cadre.id))
    ).all()
    return list(rows)


def audience_counts(
    session: Session, scope_codes: Sequence[str], institutions: Sequence[str] | None = None
) -> AudienceCounts:
    """How many cadres an announcement reaches, and how many it skips (opted out/unreachable)."""
    if not scope_codes:
        return AudienceCounts(0, 0, 0)
    rows = session.exec(
        select(
            Cadre.receive_broadcasts,
            col(AppUser.unreachable_since).is_not(None),
            func.count(),
        )
        .select_from(Cadre)
        .outerjoin(AppUser, col(AppUser.telegram_id) == Cadre.telegram_id)
        .where(_audience_where(scope_codes, institutions))
        .group_by(col(Cadre.receive_broadcasts), col(AppUser.unreachable_since).is_not(None))
    ).all()
    eligible = opted_out = unreachable = 0
    for receives, is_unreachable, count in rows:
        if not receives:
            opted_out += count
        elif is_unreachable:
            unreachable += count
        else:
            eligible += count
    return AudienceCounts(eligible, opted_out, unreachable)


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
