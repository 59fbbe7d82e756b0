"""Who attended a training: the check-in code and its window, check-ins and manual ticks,
certificates and their verification codes.

Timed sends (end-of-day feedback, follow-ups, their reminder) are found here (`due_*`) and
marked once sent (`mark_*`): the caller submits each to the outbox under a ref of its own
first, so a restart between the two resubmits the same ref, which the outbox ignores — never
lost, never twice.

A check-in is one row per (training, cadre), kept unique by a constraint, so opening the link
twice, a double tap or a tick racing a check-in counts the cadre once. The window is decided
here, from the stored start, so every way in (link, tick) sees the same rule.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    Attendance,
    Cadre,
    FollowUp,
    Recommend,
    RsvpStatus,
    Situation,
    Training,
    TrainingCheckin,
    TrainingRsvp,
    UsedSkill,
)
from storage.training import TrainingInfo

__all__ = [
    "EARLY",
    "FOLLOW_UP_QUESTIONS",
    "AttendedTraining",
    "Attendee",
    "Certificate",
    "CheckIn",
    "CheckInOutcome",
    "Due",
    "add_comment",
    "answer_followup",
    "attended_by",
    "attendees",
    "certificate_for",
    "certificates_on",
    "check_in",
    "checkin_code",
    "checkin_window",
    "due_feedback",
    "due_followups",
    "due_reminders",
    "forget_attendee",
    "mark_feedback_sent",
    "mark_followup_sent",
    "mark_reminded",
    "rate",
    "set_certificates",
    "tick",
    "verify_certificate",
]

EARLY = timedelta(hours=1)  # the link works from this long before the start
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CERTIFICATE_CODE_LENGTH = 10


class CheckIn(StrEnum):
    """What opening a check-in link did."""

    PRESENT = "present"  # signed up and now checked in
    WALK_IN = "walk_in"  # checked in without having signed up
    ALREADY = "already"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    CANCELLED = "cancelled"
    NOT_CADRE = "not_cadre"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CheckInOutcome:
    result: CheckIn
    training: TrainingInfo | None = None


@dataclass(frozen=True)
class Attendee:
    """A row of the coordinator's tick list: a cadre who signed up or attended."""

    telegram_id: int
    full_name: str
    present: bool
    walk_in: bool


@dataclass(frozen=True)
class AttendedTraining:
    training_id: int
    title: str
    starts_at: datetime
    place: str


@dataclass(frozen=True)
class Certificate:
    """What a certificate states, and the code that verifies it."""

    code: str
    full_name: str
    title: str
    starts_at: datetime
    place: str
    area_code: str


def checkin_window(training: TrainingInfo, tz: tzinfo) -> tuple[datetime, datetime]:
    """(from, until) in naive UTC: an hour before the start until its end time if it has
    one, else the end of that local day (the feedback goes out when the window closes)."""
    if training.ends_at is not None:
        return training.starts_at - EARLY, training.ends_at
    local_start = training.starts_at.replace(tzinfo=UTC).astimezone(tz)
    local_end = datetime.combine(local_start.date() + timedelta(days=1), time(), tzinfo=tz)
    return training.starts_at - EARLY, local_end.astimezone(UTC).replace(tzinfo=None)


def checkin_code(session: Session, training_id: int) -> str:
    """The training's check-in code, made on first use (one per training, never reused)."""
    row = session.get(TrainingCheckin, training_id)
    if row is None:
        row = TrainingCheckin(training_id=training_id, code=secrets.token_urlsafe(12))
        session.add(row)
        session.commit()
    return row.code


def certificates_on(session: Session, training_id: int) -> bool:
    row = session.get(TrainingCheckin, training_id)
    return row is None or row.certificates


def set_certificates(session: Session, training_id: int, on: bool) -> None:
    """A coordinator switches the training's certificates on or off."""
    checkin_code(session, training_id)
    row = session.get(TrainingCheckin, training_id)
    assert row is not None
    row.certificates = on
    session.add(row)
    session.commit()


def check_in(
    session: Session, code: str, telegram_id: int, now: datetime, tz: tzinfo
) -> CheckInOutcome:
    """A cadre opened the check-in link `code` at `now` (naive UTC)."""
    row = session.exec(select(TrainingCheckin).where(TrainingCheckin.code == code)).first()
    training_row = session.get(Training, row.training_id) if row else None
    if training_row is None:
        return CheckInOutcome(CheckIn.UNKNOWN)
    training = TrainingInfo.of(training_row)
    if _cadre(session, telegram_id) is None:
        return CheckInOutcome(CheckIn.NOT_CADRE, training)
    if training.cancelled:
        return CheckInOutcome(CheckIn.CANCELLED, training)
    opens, closes = checkin_window(training, tz)
    if now < opens:
        return CheckInOutcome(CheckIn.TOO_EARLY, training)
    if now >= closes:
        return CheckInOutcome(CheckIn.TOO_LATE, training)
    walk_in = not _signed_up(session, training.id, telegram_id)
    if not _add(session, training.id, telegram_id, now, walk_in=walk_in, ticked_by=None):
        return CheckInOutcome(CheckIn.ALREADY, training)
    return CheckInOutcome(CheckIn.WALK_IN if walk_in else CheckIn.PRESENT, training)


def tick(
    session: Session, training_id: int, telegram_id: int, by: int, now: datetime
) -> bool | None:
    """Toggle a cadre's attendance by hand; True if they are now marked present, None if
    there is no such cadre (a forged button)."""
    existing = _attendance(session, training_id, telegram_id)
    if existing is None and _cadre(session, telegram_id) is None:
        return None
    if existing is not None:
        session.delete(existing)
        session.commit()
        return False
    walk_in = not _signed_up(session, training_id, telegram_id)
    _add(session, training_id, telegram_id, now, walk_in=walk_in, ticked_by=by)
    return True


def attendees(session: Session, training_id: int) -> list[Attendee]:
    """Everyone signed up ("going") and everyone present, by name."""
    going = session.exec(
        select(TrainingRsvp.telegram_id).where(
            TrainingRsvp.training_id == training_id, TrainingRsvp.status == RsvpStatus.GOING
        )
    ).all()
    present = {
        a.telegram_id: a
        for a in session.exec(select(Attendance).where(Attendance.training_id == training_id))
    }
    ids = set(going) | set(present)
    cadres = session.exec(select(Cadre).where(col(Cadre.telegram_id).in_(ids))).all() if ids else []
    rows = [
        Attendee(
            telegram_id=c.telegram_id,
            full_name=c.full_name,
            present=c.telegram_id in present,
            walk_in=c.telegram_id in present and present[c.telegram_id].walk_in,
        )
        for c in cadres
    ]
    return sorted(rows, key=lambda a: (a.full_name.casefold(), a.telegram_id))


def attended_by(session: Session, telegram_id: int) -> list[AttendedTraining]:
    """The trainings a cadre attended, newest first (their /profil)."""
    rows = session.exec(
        select(Training)
        .join(Attendance, col(Attendance.training_id) == col(Training.id))
        .where(Attendance.telegram_id == telegram_id)
        .order_by(col(Training.starts_at).desc())
    ).all()
    return [AttendedTraining(r.id or 0, r.title, r.starts_at, r.place) for r in rows]


def certificate_for(session: Session, training_id: int, telegram_id: int) -> Certificate | None:
    """The cadre's certificate of this training (its code made on first ask), or None if they
    did not attend or the training issues none."""
    attendance = _attendance(session, training_id, telegram_id)
    if attendance is None or not certificates_on(session, training_id):
        return None
    if attendance.certificate_code is None:
        attendance.certificate_code = "".join(
            secrets.choice(_CODE_ALPHABET) for _ in range(CERTIFICATE_CODE_LENGTH)
        )
        session.add(attendance)
        session.commit()
    return _certificate(session, attendance)


def verify_certificate(session: Session, code: str) -> Certificate | None:
    """The certificate behind a typed code (spaces, dashes and case forgiven), or None."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(cleaned) != CERTIFICATE_CODE_LENGTH:
        return None
    attendance = session.exec(
        select(Attendance).where(Attendance.certificate_code == cleaned)
    ).first()
    return _certificate(session, attendance) if attendance else None


def _certificate(session: Session, attendance: Attendance) -> Certificate | None:
    training = session.get(Training, attendance.training_id)
    cadre = _cadre(session, attendance.telegram_id)
    if training is None or cadre is None or attendance.certificate_code is None:
        return None
    return Certificate(
        code=attendance.certificate_code,
        full_name=cadre.full_name,
        title=training.title,
        starts_at=training.starts_at,
        place=training.place,
        area_code=training.area_code,
    )


# ---------------------------------------------------------------- feedback and follow-ups


@dataclass(frozen=True)
class Due:
    """A timed send that is due: `key` is the attendance (feedback, follow-up) or the
    follow-up (reminder) it is about; `days` the follow-up wave (0 for feedback)."""

    key: int
    training_id: int
    telegram_id: int
    title: str
    days: int = 0
    # False once the cadre said /berhenti (or is gone): marked as sent without a message.
    wanted: bool = True


def due_feedback(session: Session, now: datetime, tz: tzinfo) -> list[Due]:
    """Attendees whose training day is over and who were not yet asked for feedback."""
    rows = session.exec(
        select(Attendance, Training, Cadre.receive_broadcasts)
        .join(Training, col(Training.id) == col(Attendance.training_id))
        .outerjoin(Cadre, col(Cadre.telegram_id) == col(Attendance.telegram_id))
        .where(
            col(Attendance.feedback_sent_at).is_(None),
            col(Training.cancelled_at).is_(None),
            col(Training.starts_at) <= now,
        )
        .order_by(col(Attendance.id))
    ).all()
    return [
        Due(a.id or 0, t.id or 0, a.telegram_id, t.title, wanted=bool(wanted))
        for a, t, wanted in rows
        if checkin_window(TrainingInfo.of(t), tz)[1] <= now
    ]


def mark_feedback_sent(session: Session, attendance_id: int, now: datetime) -> None:
    session.exec(
        update(Attendance)
        .where(col(Attendance.id) == attendance_id, col(Attendance.feedback_sent_at).is_(None))
        .values(feedback_sent_at=now)
    )
    session.commit()


def rate(session: Session, training_id: int, telegram_id: int, rating: int) -> bool:
    """An attendee's 1–5 rating (a later tap replaces it); False if they did not attend."""
    attendance = _attendance(session, training_id, telegram_id)
    if attendance is None or not 1 <= rating <= 5:
        return False
    attendance.rating = rating
    session.add(attendance)
    session.commit()
    return True


def add_comment(session: Session, training_id: int, telegram_id: int, text: str) -> bool:
    attendance = _attendance(session, training_id, telegram_id)
    if attendance is None:
        return False
    attendance.comment = text
    session.add(attendance)
    session.commit()
    return True


def due_followups(session: Session, now: datetime, waves: Sequence[int]) -> list[Due]:
    """Attendees `days` (each of `waves`) after their training, not yet sent that wave."""
    due: list[Due] = []
    for days in waves:
        sent = select(FollowUp.attendance_id).where(FollowUp.days == days)
        rows = session.exec(
            select(Attendance, Training, Cadre.receive_broadcasts)
            .join(Training, col(Training.id) == col(Attendance.training_id))
            .outerjoin(Cadre, col(Cadre.telegram_id) == col(Attendance.telegram_id))
            .where(
                col(Training.cancelled_at).is_(None),
                col(Training.starts_at) <= now - timedelta(days=days),
                col(Attendance.id).not_in(sent),
            )
            .order_by(col(Attendance.id))
        ).all()
        due.extend(
            Due(a.id or 0, t.id or 0, a.telegram_id, t.title, days, bool(wanted))
            for a, t, wanted in rows
        )
    return due


def mark_followup_sent(session: Session, attendance_id: int, days: int, now: datetime) -> None:
    session.add(FollowUp(attendance_id=attendance_id, days=days, sent_at=now))
    try:
        session.commit()
    except IntegrityError:  # another worker marked it first: the same send, already stored
        session.rollback()


def due_reminders(session: Session, now: datetime, after: timedelta) -> list[Due]:
    """Follow-ups sent `after` ago or longer, unanswered and not yet reminded."""
    rows = session.exec(
        select(FollowUp, Attendance, Training, Cadre.receive_broadcasts)
        .join(Attendance, col(Attendance.id) == col(FollowUp.attendance_id))
        .join(Training, col(Training.id) == col(Attendance.training_id))
        .outerjoin(Cadre, col(Cadre.telegram_id) == col(Attendance.telegram_id))
        .where(
            col(FollowUp.answered_at).is_(None),
            col(FollowUp.reminded_at).is_(None),
            col(FollowUp.sent_at) <= now - after,
        )
        .order_by(col(FollowUp.id))
    ).all()
    return [
        Due(f.id or 0, t.id or 0, a.telegram_id, t.title, f.days, bool(wanted))
        for f, a, t, wanted in rows
    ]


def mark_reminded(session: Session, followup_id: int, now: datetime) -> None:
    session.exec(
        update(FollowUp)
        .where(col(FollowUp.id) == followup_id, col(FollowUp.reminded_at).is_(None))
        .values(reminded_at=now)
    )
    session.commit()


FOLLOW_UP_QUESTIONS: dict[str, type[UsedSkill] | type[Situation] | type[Recommend]] = {
    "used": UsedSkill,
    "situation": Situation,
    "recommend": Recommend,
}


def answer_followup(
    session: Session,
    training_id: int,
    telegram_id: int,
    days: int,
    question: str,
    answer: str,
    now: datetime,
) -> FollowUp | None:
    """Store one answer; the follow-up counts as answered once all three are in. None if
    this cadre has no such follow-up or the answer is not one of the question's."""
    choices = FOLLOW_UP_QUESTIONS.get(question)
    if choices is None or answer not in {c.value for c in choices}:
        return None
    followup = session.exec(
        select(FollowUp)
        .join(Attendance, col(Attendance.id) == col(FollowUp.attendance_id))
        .where(
            Attendance.training_id == training_id,
            Attendance.telegram_id == telegram_id,
            FollowUp.days == days,
        )
    ).first()
    if followup is None:
        return None
    setattr(followup, question, answer)
    if followup.used and followup.situation and followup.recommend:
        followup.answered_at = followup.answered_at or now
    session.add(followup)
    session.commit()
    session.refresh(followup)
    return followup


def forget_attendee(session: Session, telegram_id: int) -> None:
    """Right to erasure: the cadre's attendance goes, with its rating, comment, follow-ups
    (their foreign key cascades) and certificate code, which then no longer verifies.
    `storage.privacy.delete_personal_data` is to call it beside `forget_participant`."""
    for row in session.exec(select(Attendance).where(Attendance.telegram_id == telegram_id)):
        session.delete(row)


def _cadre(session: Session, telegram_id: int) -> Cadre | None:
    return session.exec(select(Cadre).where(Cadre.telegram_id == telegram_id)).first()


def _attendance(session: Session, training_id: int, telegram_id: int) -> Attendance | None:
    return session.exec(
        select(Attendance).where(
            Attendance.training_id == training_id, Attendance.telegram_id == telegram_id
        )
    ).first()


def _signed_up(session: Session, training_id: int, telegram_id: int) -> bool:
    return (
        session.exec(
            select(TrainingRsvp.id).where(
                TrainingRsvp.training_id == training_id,
                TrainingRsvp.telegram_id == telegram_id,
                TrainingRsvp.status == RsvpStatus.GOING,
            )
        ).first()
        is not None
    )


def _add(
    session: Session,
    training_id: int,
    telegram_id: int,
    now: datetime,
    *,
    walk_in: bool,
    ticked_by: int | None,
) -> bool:
    """Insert the attendance row; False if the cadre was already present (the constraint)."""
    session.add(
        Attendance(
            training_id=training_id,
            telegram_id=telegram_id,
            checked_in_at=now,
            walk_in=walk_in,
            ticked_by=ticked_by,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
