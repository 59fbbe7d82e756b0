"""Training announcements and their RSVPs: quota, waiting list, promotion, closing.

Every RSVP of a training first bumps the training's `rsvp_version`: that one UPDATE is a row
lock on PostgreSQL and takes SQLite's write lock, so answers to one training are decided one
after another even when cadres tap at the same moment, in one process or several. A unique
constraint on (training, cadre) makes a second row impossible whatever happens, so a double
tap, a tap after a restart or a tap on an old message is answered, never double counted.

A freed seat goes to the first cadre on the waiting list (in the order they asked); the caller
is told whom it promoted so it can notify them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    func,
    or_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Cadre, RsvpStatus, Training, TrainingRsvp, utcnow
from storage.regions import in_scope, scope_filter

__all__ = [
    "Participant",
    "RsvpOutcome",
    "RsvpResult",
    "RsvpStatus",
    "Seats",
    "TrainingInfo",
    "cancel_training",
    "close_registration",
    "create_training",
    "forget_participant",
    "get_training",
    "manageable_trainings",
    "participants",
    "reschedule_training",
    "respond",
    "seats",
    "set_broadcast",
    "upcoming_for_cadre",
]


class RsvpResult(StrEnum):
    """What an "Ikut" / "Tidak bisa" tap did."""

    JOINED = "joined"
    WAITING = "waiting"
    ALREADY_JOINED = "already_joined"
    ALREADY_WAITING = "already_waiting"
    DECLINED = "declined"
    ALREADY_DECLINED = "already_declined"
    CANCELLED = "cancelled"  # was going or waiting, now not
    CALLED_OFF = "called_off"  # the coordinators cancelled the training itself
    PAST = "past"
    CLOSED = "closed"
    NOT_ELIGIBLE = "not_eligible"
    UNKNOWN = "unknown"


# ---------------------------------------------------------------- plain data out


@dataclass(frozen=True)
class TrainingInfo:
    id: int
    title: str
    description: str
    starts_at: datetime
    place: str
    quota: int | None
    area_code: str
    institutions: tuple[str, ...]
    created_by: int
    registration_closed_at: datetime | None
    broadcast_id: int | None
    cancelled_at: datetime | None = None
    ends_at: datetime | None = None  # None: to the end of the day it starts

    @property
    def closed(self) -> bool:
        return self.registration_closed_at is not None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def reaches(self, village_code: str, institution: str) -> bool:
        """Whether a cadre of this kelurahan and institution is in the training's audience."""
        return in_scope(village_code, self.area_code) and (
            not self.institutions or institution in self.institutions
        )

    @classmethod
    def of(cls, row: Training) -> TrainingInfo:
        return cls(
            row.id or 0,
            row.title,
            row.description,
            row.starts_at,
            row.place,
            row.quota,
            row.area_code,
            tuple(row.institutions or ()),
            row.created_by,
            row.registration_closed_at,
            row.broadcast_id,
            row.cancelled_at,
            row.ends_at,
        )


@dataclass(frozen=True)
class Seats:
    going: int = 0
    waiting: int = 0
    declined: int = 0


@dataclass(frozen=True)
class RsvpOutcome:
    result: RsvpResult
    training: TrainingInfo | None = None
    position: int | None = None  # on the waiting list, 1 = next in line
    promoted: list[int] = field(default_factory=list)  # telegram ids given a seat just now


@dataclass(frozen=True)
class Participant:
    telegram_id: int
    full_name: str
    village_code: str
    institution: str
    status: str
    institution_other: str | None = None  # the cadre's own words for "lainnya"


# ---------------------------------------------------------------- creating and reading


def create_training(
    session: Session,
    *,
    title: str,
    description: str,
    starts_at: datetime,
    place: str,
    quota: int | None,
    area_code: str,
    institutions: Sequence[str],
    created_by: int,
    ends_at: datetime | None = None,
) -> TrainingInfo:
    row = Training(
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        quota=quota,
        area_code=area_code,
        institutions=list(institutions),
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return TrainingInfo.of(row)


def set_broadcast(session: Session, training_id: int, broadcast_id: int) -> None:
    session.exec(
        update(Training).where(col(Training.id) == training_id).values(broadcast_id=broadcast_id)
    )


def get_training(session: Session, training_id: int) -> TrainingInfo | None:
    row = session.get(Training, training_id)
    return TrainingInfo.of(row) if row else None


def seats(session: Session, training_id: int) -> Seats:
    rows = session.exec(
        select(TrainingRsvp.status, func.count())
        .where(col(TrainingRsvp.training_id) == training_id)
        .group_by(col(TrainingRsvp.status))
    ).all()
    counts: dict[str, int] = dict(rows)
    return Seats(
        counts.get(RsvpStatus.GOING, 0),
        counts.get(RsvpStatus.WAITING, 0),
        counts.get(RsvpStatus.DECLINED, 0),
    )


def participants(session: Session, training_id: int) -> list[Participant]:
    """Going cadres (in the order they joined), then the waiting list in its order."""
    rows = session.exec(
        select(TrainingRsvp, Cadre)
        .join(Cadre, col(Cadre.telegram_id) == TrainingRsvp.telegram_id)
        .where(
            col(TrainingRsvp.training_id) == training_id,
            col(TrainingRsvp.status).in_((RsvpStatus.GOING, RsvpStatus.WAITING)),
        )
        # "going" sorts before "waiting"; each in the order they got there.
        .order_by(col(TrainingRsvp.status), col(TrainingRsvp.updated_at), col(TrainingRsvp.id))
    ).all()
    return [
        Participant(
            rsvp.telegram_id,
            cadre.full_name,
            cadre.village_code,
            cadre.institution,
            rsvp.status,
            cadre.institution_other,
        )
        for rsvp, cadre in rows
    ]


def upcoming_for_cadre(
    session: Session, telegram_id: int, now: datetime | None = None
) -> list[tuple[TrainingInfo, str | None, int | None]]:
    """Trainings ahead for this cadre's kelurahan and institution, with their answer and, when
    waiting, their place in line."""
    now = now or utcnow()
    cadre = session.exec(select(Cadre).where(col(Cadre.telegram_id) == telegram_id)).first()
    if cadre is None:
        return []
    ancestors = _ancestor_codes(cadre.village_code)
    rows = session.exec(
        select(Training)
        .where(
            col(Training.starts_at) > now,
            col(Training.area_code).in_(ancestors),
            col(Training.cancelled_at).is_(None),
        )
        .order_by(col(Training.starts_at), col(Training.id))
    ).all()
    answers = dict(
        session.exec(
            select(TrainingRsvp.training_id, TrainingRsvp.status).where(
                col(TrainingRsvp.telegram_id) == telegram_id
            )
        ).all()
    )
    result = []
    for row in rows:
        info = TrainingInfo.of(row)
        if not info.reaches(cadre.village_code, cadre.institution):
            continue
        status = answers.get(info.id)
        position = (
            _position(session, info.id, telegram_id) if status == RsvpStatus.WAITING else None
        )
        result.append((info, status, position))
    return result


def manageable_trainings(
    session: Session, scopes: Sequence[str], since: datetime
) -> list[TrainingInfo]:
    """Trainings inside these scopes starting after `since` (recent ones stay visible)."""
    if not scopes:
        return []
    rows = session.exec(
        select(Training)
        .where(
            col(Training.starts_at) >= since,
            or_(*(scope_filter(Training.area_code, scope) for scope in scopes)),
        )
        .order_by(col(Training.starts_at), col(Training.id))
    ).all()
    return [TrainingInfo.of(r) for r in rows]


def close_registration(
    session: Session, training_id: int, by: int, now: datetime | None = None
) -> bool:
    """No new sign-ups from now on (the waiting list still moves up); False if already closed."""
    result = session.exec(
        update(Training)
        .where(col(Training.id) == training_id, col(Training.registration_closed_at).is_(None))
        .values(registration_closed_at=now or utcnow(), closed_by=by)
    )
    return bool(result.rowcount)


def cancel_training(
    session: Session, training_id: int, by: int, now: datetime | None = None
) -> TrainingInfo | None:
    """Call the training off; None if it was already cancelled, has started or does not exist.

    One conditional UPDATE, so two coordinators cancelling at once cancel (and notify) once.
    Answers stay as they were: they say who has to be told."""
    now = now or utcnow()
    result = session.exec(
        update(Training)
        .where(
            col(Training.id) == training_id,
            col(Training.cancelled_at).is_(None),
            col(Training.starts_at) > now,
        )
        .values(cancelled_at=now, cancelled_by=by, rsvp_version=col(Training.rsvp_version) + 1)
    )
    if not result.rowcount:
        return None
    return get_training(session, training_id)


def reschedule_training(
    session: Session,
    training_id: int,
    new_starts_at: datetime,
    by: int,
    now: datetime | None = None,
) -> TrainingInfo | None:
    """Move a training that has not started and is not cancelled to a later moment than `now`
    (UTC, naive); None if it cannot be moved or already starts then. Its reminders follow the
    row (their refs carry the start time), so nothing else needs changing; an end time moves
    with the start (the training lasts as long). `by` is for the caller's audit entry."""
    now = now or utcnow()
    if new_starts_at <= now:
        return None
    before = session.get(Training, training_id)
    moved: dict[str, object] = {}
    if before is not None and before.ends_at is not None:
        moved["ends_at"] = new_starts_at + (before.ends_at - before.starts_at)
    result = session.exec(
        update(Training)
        .where(
            col(Training.id) == training_id,
            col(Training.cancelled_at).is_(None),
            col(Training.starts_at) > now,
            col(Training.starts_at) != new_starts_at,
        )
        .values(starts_at=new_starts_at, rsvp_version=col(Training.rsvp_version) + 1, **moved)
    )
    if not result.rowcount:
        return None
    row = session.get(Training, training_id)
    assert row is not None
    session.refresh(row)
    return TrainingInfo.of(row)


# ---------------------------------------------------------------- answering


def respond(
    session: Session, training_id: int, telegram_id: int, joining: bool, now: datetime | None = None
) -> RsvpOutcome:
    """Record "Ikut" (`joining`) or "Tidak bisa"; idempotent, safe under concurrent taps.

    A tap that cannot count (a stranger, an erased or out-of-audience cadre, a cancelled or
    past training) is refused on a plain read, before the lock: forged taps from anyone must
    not write, nor queue for SQLite's write lock during a broadcast (security review F1).
    """
    now = now or utcnow()
    refused = _refusal(session, training_id, telegram_id, now)
    if refused is not None:
        return refused
    # The lock: every answer to this training waits here for the one before it.
    locked = session.exec(
        update(Training)
        .where(col(Training.id) == training_id)
        .values(rsvp_version=col(Training.rsvp_version) + 1)
    )
    if not locked.rowcount:
        return RsvpOutcome(RsvpResult.UNKNOWN)
    row = session.get(Training, training_id)
    assert row is not None
    session.refresh(row)
    training = TrainingInfo.of(row)
    # Checked again under the lock: the training may have been called off or moved meanwhile
    # (its audience never changes, and the cadre was read a moment ago).
    refused = _over(training, now)
    if refused is not None:
        return refused
    existing = session.exec(
        select(TrainingRsvp).where(
            col(TrainingRsvp.training_id) == training_id,
            col(TrainingRsvp.telegram_id) == telegram_id,
        )
    ).first()
    status = existing.status if existing else None

    if joining:
        if status == RsvpStatus.GOING:
            return RsvpOutcome(RsvpResult.ALREADY_JOINED, training)
        if status == RsvpStatus.WAITING:
            position = _position(session, training_id, telegram_id)
            return RsvpOutcome(RsvpResult.ALREADY_WAITING, training, position)
        if training.closed:
            return RsvpOutcome(RsvpResult.CLOSED, training)
        promoted, going = _fill_free_seats(session, training, now)  # the line goes first
        new_status = (
            RsvpStatus.GOING
            if training.quota is None or going < training.quota
            else RsvpStatus.WAITING
        )
        stored = _store(session, existing, training_id, telegram_id, new_status, now)
        if stored is None:
            return respond(session, training_id, telegram_id, joining, now)
        if new_status == RsvpStatus.GOING:
            return RsvpOutcome(RsvpResult.JOINED, training, promoted=promoted)
        position = _position(session, training_id, telegram_id, stored)
        return RsvpOutcome(RsvpResult.WAITING, training, position, promoted)

    if status == RsvpStatus.DECLINED:
        return RsvpOutcome(RsvpResult.ALREADY_DECLINED, training)
    if _store(session, existing, training_id, telegram_id, RsvpStatus.DECLINED, now) is None:
        return respond(session, training_id, telegram_id, joining, now)
    if status is None:
        return RsvpOutcome(RsvpResult.DECLINED, training)
    promoted = _fill_free_seats(session, training, now)[0] if status == RsvpStatus.GOING else []
    return RsvpOutcome(RsvpResult.CANCELLED, training, promoted=promoted)


def _refusal(
    session: Session, training_id: int, telegram_id: int, now: datetime
) -> RsvpOutcome | None:
    """Why this tap cannot count (an outcome), or None when it may be recorded; reads only."""
    row = session.get(Training, training_id)
    if row is None:
        return RsvpOutcome(RsvpResult.UNKNOWN)
    training = TrainingInfo.of(row)
    cadre = session.exec(
        select(Cadre.village_code, Cadre.institution).where(col(Cadre.telegram_id) == telegram_id)
    ).first()
    if cadre is None or not training.reaches(cadre[0], cadre[1]):
        return RsvpOutcome(RsvpResult.NOT_ELIGIBLE, training)
    return _over(training, now)


def _over(training: TrainingInfo, now: datetime) -> RsvpOutcome | None:
    """Called off or begun: too late to answer."""
    if training.cancelled:
        return RsvpOutcome(RsvpResult.CALLED_OFF, training)
    if training.starts_at <= now:
        return RsvpOutcome(RsvpResult.PAST, training)
    return None


def _store(
    session: Session,
    existing: TrainingRsvp | None,
    training_id: int,
    telegram_id: int,
    status: RsvpStatus,
    now: datetime,
) -> TrainingRsvp | None:
    """Insert or update the answer (returned); None if a concurrent insert won (the caller
    re-reads)."""
    if existing is not None:
        existing.status = status
        existing.updated_at = now
        session.add(existing)
        session.flush()
        return existing
    row = TrainingRsvp(
        training_id=training_id,
        telegram_id=telegram_id,
        status=status,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def _fill_free_seats(
    session: Session, training: TrainingInfo, now: datetime
) -> tuple[list[int], int]:
    """Give free seats to the waiting list, first come first served; returns who got one and
    how many are going now."""
    counts = seats(session, training.id)
    if training.quota is None:
        return [], counts.going
    free = training.quota - counts.going
    if free <= 0 or not counts.waiting:
        return [], counts.going
    waiting = session.exec(
        select(TrainingRsvp)
        .where(
            col(TrainingRsvp.training_id) == training.id,
            col(TrainingRsvp.status) == RsvpStatus.WAITING,
        )
        .order_by(col(TrainingRsvp.updated_at), col(TrainingRsvp.id))
        .limit(free)
    ).all()
    for rsvp in waiting:
        rsvp.status = RsvpStatus.GOING
        rsvp.updated_at = now
        session.add(rsvp)
    session.flush()
    return [rsvp.telegram_id for rsvp in waiting], counts.going + len(waiting)


def _position(
    session: Session, training_id: int, telegram_id: int, mine: TrainingRsvp | None = None
) -> int | None:
    """Place on the waiting list (1 = next in), or None when not waiting; `mine` is the
    cadre's answer when the caller holds it already."""
    if mine is None:
        mine = session.exec(
            select(TrainingRsvp).where(
                col(TrainingRsvp.training_id) == training_id,
                col(TrainingRsvp.telegram_id) == telegram_id,
            )
        ).first()
    if mine is None or mine.status != RsvpStatus.WAITING:
        return None
    ahead = session.exec(
        select(func.count())
        .select_from(TrainingRsvp)
        .where(
            col(TrainingRsvp.training_id) == training_id,
            col(TrainingRsvp.status) == RsvpStatus.WAITING,
            or_(
                col(TrainingRsvp.updated_at) < mine.updated_at,
                (col(TrainingRsvp.updated_at) == mine.updated_at)
                & (col(TrainingRsvp.id) < mine.id),
            ),
        )
    ).one()
    return int(ahead) + 1


def _ancestor_codes(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def forget_participant(session: Session, telegram_id: int) -> None:
    """Right to erasure: the cadre's answers go; a seat they held is given on at the next tap."""
    rows = session.exec(
        select(TrainingRsvp).where(col(TrainingRsvp.telegram_id) == telegram_id)
    ).all()
    for row in rows:
        session.delete(row)
