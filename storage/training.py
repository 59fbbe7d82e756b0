"""Training announcements and their RSVPs: quota, waiting list, promotion, closing.

Answering a training first bumps its `rsvp_version`: that one UPDATE is a row lock on
PostgreSQL and takes SQLite's write lock, so answers to one training are decided one after
another even when cadres tap at the same moment, in one process or several. Taps that queued
up meanwhile may be decided as one group under one lock (`respond_all`, used by the bot in a
burst): in their order, each exactly as it would have been alone. A unique
constraint on (training, cadre) makes a second row impossible whatever happens, so a double
tap, a tap after a restart or a tap on an old message is answered, never double counted.

A freed seat goes to the first cadre on the waiting list (in the order they asked); the caller
is told whom it promoted so it can notify them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    func,
    insert,
    or_,
    update,
)
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Cadre, RsvpStatus, Training, TrainingRsvp, utcnow
from storage.regions import in_scope, scope_filter

__all__ = [
    "Participant",
    "RsvpOutcome",
    "RsvpResult",
    "RsvpStatus",
    "RsvpTap",
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
    "respond_all",
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
class RsvpTap:
    """One "Ikut" (`joining`) or "Tidak bisa" tap by a cadre, at `now` (UTC, naive)."""

    telegram_id: int
    joining: bool
    now: datetime


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
    """Record "Ikut" (`joining`) or "Tidak bisa"; idempotent, safe under concurrent taps."""
    return respond_all(session, training_id, [RsvpTap(telegram_id, joining, now or utcnow())])[0]


def respond_all(session: Session, training_id: int, taps: Sequence[RsvpTap]) -> list[RsvpOutcome]:
    """Decide taps on one training together, in their order, each exactly as if it came alone.

    One lock, one read of the answers and one write for the whole group: in a burst of taps
    the cost per tap is a small part of one transaction instead of a transaction of its own
    (plain statements, built once: this is the hot path of a burst). A tap that cannot count
    (a stranger, an erased or out-of-audience cadre, a cancelled or past training) is refused
    on a plain read, before the lock: forged taps from anyone must not write, nor queue for
    SQLite's write lock during a broadcast (security review F1).
    """
    session.flush()  # the statements below go past the session: it must hold nothing unsent
    for attempt in range(_ATTEMPTS):
        outcomes = _decide(session, training_id, taps, last=attempt == _ATTEMPTS - 1)
        if outcomes is not None:
            _forget_loaded(session)
            return outcomes
    raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover


_ATTEMPTS = 3  # a concurrent insert can only win without the lock; one more read settles it


def _decide(
    session: Session, training_id: int, taps: Sequence[RsvpTap], *, last: bool
) -> list[RsvpOutcome] | None:
    """The outcomes, written (not committed); None if a concurrent insert won (read again)."""
    connection = session.connection()
    outcomes = _refusals(connection, training_id, taps)
    if all(outcome is not None for outcome in outcomes):
        return [o for o in outcomes if o is not None]
    # The lock: every group of answers to this training waits here for the one before it.
    locked = connection.execute(_LOCK, {"training_id": training_id}).rowcount
    training = _read_training(connection, training_id) if locked else None
    if training is None:
        return [o or RsvpOutcome(RsvpResult.UNKNOWN) for o in outcomes]
    pending = [n for n, outcome in enumerate(outcomes) if outcome is None]
    answers = _Answers.read(connection, training, {taps[n].telegram_id for n in pending})
    for n in pending:
        tap = taps[n]
        # Checked again under the lock: the training may have been called off or moved
        # meanwhile (its audience never changes, and the cadre was read a moment ago).
        outcomes[n] = _over(training, tap.now) or _answer(answers, tap)
    if not answers.write(session, raise_conflict=last):
        return None
    return [o for o in outcomes if o is not None]


def _answer(answers: _Answers, tap: RsvpTap) -> RsvpOutcome:
    """The rules for one tap, on the answers as they stand after the taps before it."""
    training, who, now = answers.training, tap.telegram_id, tap.now
    status = answers.status(who)
    if tap.joining:
        if status == RsvpStatus.GOING:
            return RsvpOutcome(RsvpResult.ALREADY_JOINED, training)
        if status == RsvpStatus.WAITING:
            return RsvpOutcome(RsvpResult.ALREADY_WAITING, training, answers.position(who))
        if training.closed:
            return RsvpOutcome(RsvpResult.CLOSED, training)
        promoted = answers.fill_free_seats(now)  # the line goes first
        if training.quota is None or answers.going < training.quota:
            answers.set(who, RsvpStatus.GOING, now)
            return RsvpOutcome(RsvpResult.JOINED, training, promoted=promoted)
        answers.set(who, RsvpStatus.WAITING, now)
        return RsvpOutcome(RsvpResult.WAITING, training, answers.position(who), promoted)

    if status == RsvpStatus.DECLINED:
        return RsvpOutcome(RsvpResult.ALREADY_DECLINED, training)
    answers.set(who, RsvpStatus.DECLINED, now)
    if status is None:
        return RsvpOutcome(RsvpResult.DECLINED, training)
    promoted = answers.fill_free_seats(now) if status == RsvpStatus.GOING else []
    return RsvpOutcome(RsvpResult.CANCELLED, training, promoted=promoted)


def _refusals(
    connection: Connection, training_id: int, taps: Sequence[RsvpTap]
) -> list[RsvpOutcome | None]:
    """Why each tap cannot count (an outcome), or None when it may be recorded; reads only."""
    training = _read_training(connection, training_id)
    if training is None:
        return [RsvpOutcome(RsvpResult.UNKNOWN)] * len(taps)
    ids = sorted({tap.telegram_id for tap in taps})
    cadres = {
        telegram_id: (village, institution)
        for telegram_id, village, institution in connection.execute(_CADRES, {"ids": ids})
    }
    refused: list[RsvpOutcome | None] = []
    for tap in taps:
        cadre = cadres.get(tap.telegram_id)
        if cadre is None or not training.reaches(*cadre):
            refused.append(RsvpOutcome(RsvpResult.NOT_ELIGIBLE, training))
        else:
            refused.append(_over(training, tap.now))
    return refused


def _over(training: TrainingInfo, now: datetime) -> RsvpOutcome | None:
    """Called off or begun: too late to answer."""
    if training.cancelled:
        return RsvpOutcome(RsvpResult.CALLED_OFF, training)
    if training.starts_at <= now:
        return RsvpOutcome(RsvpResult.PAST, training)
    return None


def _read_training(connection: Connection, training_id: int) -> TrainingInfo | None:
    row = connection.execute(_TRAINING, {"training_id": training_id}).first()
    if row is None:
        return None
    (id_, title, description, starts_at, place, quota, area, institutions, *rest) = row
    return TrainingInfo(
        id_, title, description, starts_at, place, quota, area, tuple(institutions or ()), *rest
    )


def _forget_loaded(session: Session) -> None:
    """The answers were written past the session: objects of it that it had loaded (a caller's,
    in the same session) read again on their next use."""
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, TrainingRsvp | Training):
            session.expire(loaded)


# The answering statements, built once (their compiled form is reused tap after tap).
_TRAININGS = Training.__table__  # type: ignore[attr-defined]
_ANSWERS = TrainingRsvp.__table__  # type: ignore[attr-defined]
_CADRE_ROWS = Cadre.__table__  # type: ignore[attr-defined]
_TRAINING = core_select(
    *(
        _TRAININGS.c[name]
        for name in (
            "id",
            "title",
            "description",
            "starts_at",
            "place",
            "quota",
            "area_code",
            "institutions",
            "created_by",
            "registration_closed_at",
            "broadcast_id",
            "cancelled_at",
            "ends_at",
        )
    )
).where(_TRAININGS.c.id == bindparam("training_id"))
_CADRES = core_select(
    _CADRE_ROWS.c.telegram_id, _CADRE_ROWS.c.village_code, _CADRE_ROWS.c.institution
).where(_CADRE_ROWS.c.telegram_id.in_(bindparam("ids", expanding=True)))
_LOCK = (
    update(_TRAININGS)
    .where(_TRAININGS.c.id == bindparam("training_id"))
    .values(rsvp_version=_TRAININGS.c.rsvp_version + 1)
)
_COUNTS = (
    core_select(_ANSWERS.c.status, func.count(), func.max(_ANSWERS.c.updated_at))
    .where(_ANSWERS.c.training_id == bindparam("training_id"))
    .group_by(_ANSWERS.c.status)
)
_GIVEN = core_select(
    _ANSWERS.c.telegram_id, _ANSWERS.c.status, _ANSWERS.c.updated_at, _ANSWERS.c.id
).where(
    _ANSWERS.c.training_id == bindparam("training_id"),
    _ANSWERS.c.telegram_id.in_(bindparam("ids", expanding=True)),
)
_WAITING_LINE = core_select(_ANSWERS.c.updated_at, _ANSWERS.c.id, _ANSWERS.c.telegram_id).where(
    _ANSWERS.c.training_id == bindparam("training_id"),
    _ANSWERS.c.status == RsvpStatus.WAITING.value,
)
_INSERT = insert(_ANSWERS)
_CHANGE = (
    update(_ANSWERS)
    .where(_ANSWERS.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), updated_at=bindparam("new_updated_at"))
)

# Where an answer stands in the waiting list, whose order is (updated_at, row id); with the
# cadre's id, an entry of the list. A row this group inserts has no id yet: it will get one
# above every stored row, in the order the group first changed them.
_LineKey = tuple[datetime, int]
_Entry = tuple[datetime, int, int]
_NEW_ROW = 1 << 62


class _Answers:
    """One training's answers while a group of taps is decided under its lock: what the
    database holds plus the group's changes so far, so each tap sees what a tap alone would
    see — seat counts, its own answer, the waiting list and its place in it — and then one
    write stores them all.

    Read: the seat counts (with the newest waiting answer), and the group's own cadres'
    answers. Someone joining the end of the waiting list knows their place from the counts;
    only a promotion, or a place further up, reads the waiting list itself (once a group).
    """

    def __init__(
        self, connection: Connection, training: TrainingInfo, counts: dict[str, tuple[int, Any]]
    ) -> None:
        self.connection = connection
        self.training = training
        self.going = counts.get(RsvpStatus.GOING, (0, None))[0]
        self.waiting, self._tail = counts.get(RsvpStatus.WAITING, (0, None))
        self._stored_waiting = self.waiting
        self._stored: dict[int, str] = {}  # stored status of the cadres read
        self._status: dict[int, str] = {}  # the status now (stored, then as changed)
        self._key: dict[int, _LineKey] = {}
        self._changed: dict[int, tuple[str, datetime]] = {}  # in the order first changed
        self._left_line = 0  # stored waiting answers this group changed
        self._own: list[_Entry] = []  # the group's changed answers now waiting, in order
        self._line: list[_Entry] | None = [] if not self.waiting else None

    @classmethod
    def read(cls, connection: Connection, training: TrainingInfo, cadres: set[int]) -> _Answers:
        counts = {
            status: (count, newest)
            for status, count, newest in connection.execute(_COUNTS, {"training_id": training.id})
        }
        answers = cls(connection, training, counts)
        given = connection.execute(_GIVEN, {"training_id": training.id, "ids": sorted(cadres)})
        for telegram_id, status, updated_at, row_id in given:
            answers._stored_as(telegram_id, status, (updated_at, row_id))
        return answers

    def _stored_as(self, telegram_id: int, status: str, key: _LineKey) -> None:
        self._stored[telegram_id] = self._status[telegram_id] = status
        self._key[telegram_id] = key

    def status(self, telegram_id: int) -> str | None:
        return self._status.get(telegram_id)

    def set(self, telegram_id: int, status: str, now: datetime) -> None:
        """The cadre's answer is now `status`, given at `now`."""
        before = self._status.get(telegram_id)
        key = self._key.get(telegram_id)
        if before == RsvpStatus.GOING:
            self.going -= 1
        elif before == RsvpStatus.WAITING:
            assert key is not None
            self.waiting -= 1
            if self._line is not None:
                self._line.remove((*key, telegram_id))
            if telegram_id in self._changed:
                self._own.remove((*key, telegram_id))
        if telegram_id not in self._changed and self._stored.get(telegram_id) == "waiting":
            self._left_line += 1
        row_id = key[1] if key is not None else _NEW_ROW + len(self._changed)
        key = self._key[telegram_id] = (now, row_id)
        self._status[telegram_id] = status
        self._changed[telegram_id] = (status, now)
        if status == RsvpStatus.GOING:
            self.going += 1
        elif status == RsvpStatus.WAITING:
            self.waiting += 1
            bisect.insort(self._own, (*key, telegram_id))
            if self._line is not None:
                bisect.insort(self._line, (*key, telegram_id))

    def position(self, telegram_id: int) -> int:
        """Place on the waiting list (1 = next in) of a waiting cadre."""
        entry = (*self._key[telegram_id], telegram_id)
        if (
            self._line is None
            and telegram_id in self._changed
            and (self._tail is None or entry[0] > self._tail)
        ):
            # Behind every stored waiting answer the group left in place: no need to read them.
            ahead = self._stored_waiting - self._left_line
            return ahead + bisect.bisect_left(self._own, entry) + 1
        return bisect.bisect_left(self._waiting_line(), entry) + 1

    def fill_free_seats(self, now: datetime) -> list[int]:
        """Give free seats to the waiting list, first come first served; returns who got one."""
        if self.training.quota is None:
            return []
        free = self.training.quota - self.going
        if free <= 0 or not self.waiting:
            return []
        promoted = [telegram_id for _, _, telegram_id in self._waiting_line()[:free]]
        for telegram_id in promoted:
            self.set(telegram_id, RsvpStatus.GOING, now)
        return promoted

    def _waiting_line(self) -> list[_Entry]:
        """The whole waiting list in its order: read once, then kept up to date in memory."""
        if self._line is None:
            stored = self.connection.execute(_WAITING_LINE, {"training_id": self.training.id})
            line = list(self._own)
            for updated_at, row_id, telegram_id in stored:
                if telegram_id not in self._changed:  # the group's own are in `_own`
                    line.append((updated_at, row_id, telegram_id))
                    if telegram_id not in self._stored:
                        self._stored_as(telegram_id, RsvpStatus.WAITING, (updated_at, row_id))
            self._line = sorted(line)
        return self._line

    def write(self, session: Session, *, raise_conflict: bool) -> bool:
        """Store the group's changes; False if a concurrent insert won (nothing written)."""
        added, changed = [], []
        for telegram_id, (status, now) in self._changed.items():
            row_id = self._key[telegram_id][1]
            if row_id >= _NEW_ROW:  # in the order first changed: the ids come in that order
                added.append(
                    {
                        "training_id": self.training.id,
                        "telegram_id": telegram_id,
                        "status": status,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            else:
                changed.append({"row_id": row_id, "new_status": status, "new_updated_at": now})
        if not added:
            if changed:
                self.connection.execute(_CHANGE, changed)
            return True
        try:
            with session.begin_nested():  # all or nothing: a retry reads the answers again
                if changed:
                    self.connection.execute(_CHANGE, changed)
                self.connection.execute(_INSERT, added)
        except IntegrityError:
            if raise_conflict:
                raise
            return False
        return True


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
