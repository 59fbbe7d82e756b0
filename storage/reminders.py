"""Scheduled reminders: the rules, the next due time, and a claim for every occurrence.

The database is the schedule. Each reminder row keeps its rule (in forum time, see
`storage.recurrence`) and `next_at`, the next occurrence in UTC; the scheduler asks for rows
whose `next_at` has come. Every occurrence that was handled — sent, missed while the bot was
down, or skipped — is claimed by a `reminder_occurrence` row that is unique on its `ref` and on
(reminder, time). The claim is written in the same transaction that queues the message in the
outbox, so an occurrence is either claimed *and* queued, or neither: it can never fire twice,
not even across a crash or a restart.

Besides the reminders coordinators write (`custom`), the automatic monthly-report reminder and
the weekly review digest are rows too (`kind`), kept in line with the settings at every start;
they share the same due/missed/claim machinery. Training reminders have no row: their times
follow the training, so they are computed at each tick and claimed by `ref` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import (
    or_,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.audit import audit
from storage.models import (
    OccurrenceStatus,
    PauseReason,
    Reminder,
    ReminderKind,
    ReminderOccurrence,
    ReminderStatus,
    Report,
    RsvpStatus,
    Training,
    TrainingRsvp,
    utcnow,
)
from storage.outbox import audience_ids
from storage.recurrence import (
    Frequency,
    Rule,
    next_occurrence,
    occurrences_between,
    to_local,
    to_utc,
)
from storage.regions import scope_filter

__all__ = [
    "OccurrenceInfo",
    "OccurrenceStatus",
    "PauseReason",
    "ReminderInfo",
    "ReminderKind",
    "ReminderStatus",
    "ResumeResult",
    "TrainingReminder",
    "cadres_without_report",
    "claim_occurrence",
    "claimed_refs",
    "create_reminder",
    "delete_reminder",
    "due_occurrences",
    "due_reminder_ids",
    "finish_due",
    "get_reminder",
    "list_reminders",
    "lock_due",
    "occurrence_ref",
    "occurrences_of",
    "pause_reminder",
    "plan_due",
    "resume_reminder",
    "sync_system_reminder",
    "training_ref",
    "training_reminder_times",
    "trainings_starting",
]

#: Training reminders: the day before at this forum time, and this long before the start.
TRAINING_DAY_BEFORE_AT = time(8, 0)
TRAINING_SHORTLY_BEFORE = timedelta(hours=2)

MAX_TEXT = 3500  # characters a writer may type: room for the header within Telegram's 4096


# ---------------------------------------------------------------- plain data out


@dataclass(frozen=True)
class ReminderInfo:
    id: int
    kind: ReminderKind
    owner_id: int | None
    text: str | None
    audience_code: str | None
    rule: Rule
    status: ReminderStatus
    paused_reason: str | None
    next_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Reminder) -> ReminderInfo:
        assert row.id is not None
        return cls(
            row.id,
            ReminderKind(row.kind),
            row.owner_id,
            row.text,
            row.audience_code,
            rule_of(row),
            ReminderStatus(row.status),
            row.paused_reason,
            row.next_at,
            row.created_at,
        )


@dataclass(frozen=True)
class OccurrenceInfo:
    ref: str
    due_at: datetime
    status: OccurrenceStatus
    recipients: int
    broadcast_id: int | None


class ResumeResult(StrEnum):
    OK = "ok"
    PASSED = "passed"  # a one-time reminder whose moment went by while it was paused
    GONE = "gone"


def rule_of(row: Reminder) -> Rule:
    return Rule(
        Frequency(row.frequency),
        row.at_time,
        on=row.on_date,
        weekday=row.weekday,
        month_day=row.month_day,
        week=row.week,
    )


def _set_rule(row: Reminder, rule: Rule) -> None:
    row.frequency = rule.frequency.value
    row.at_time = rule.at
    row.on_date = rule.on
    row.weekday = rule.weekday
    row.month_day = rule.month_day
    row.week = rule.week


def occurrence_ref(reminder_id: int, due_at: datetime) -> str:
    """The key of one occurrence, shared with the outbox so both dedupe on the same thing."""
    return f"reminder:{reminder_id}:{due_at.isoformat(timespec='minutes')}"


# ---------------------------------------------------------------- writing reminders


def create_reminder(
    session: Session,
    *,
    owner_id: int,
    text: str,
    audience_code: str,
    rule: Rule,
    now: datetime,
    tz: ZoneInfo,
) -> ReminderInfo | None:
    """A coordinator's reminder, due at its first occurrence after `now` (None: none left)."""
    first = next_occurrence(rule, now, tz)
    if first is None:
        return None
    row = Reminder(
        kind=ReminderKind.CUSTOM,
        owner_id=owner_id,
        created_by=owner_id,
        text=text,
        audience_code=audience_code,
        status=ReminderStatus.ACTIVE,
        next_at=first,
        created_at=now,
        updated_at=now,
        frequency="",
        at_time=rule.at,
    )
    _set_rule(row, rule)
    session.add(row)
    session.flush()
    audit(
        session,
        owner_id,
        "reminder.create",
        audience_code,
        reminder_id=row.id,
        frequency=rule.frequency.value,
    )
    return ReminderInfo.of(row)


def get_reminder(session: Session, reminder_id: int) -> ReminderInfo | None:
    row = session.get(Reminder, reminder_id)
    if row is None or row.status == ReminderStatus.DELETED:
        return None
    return ReminderInfo.of(row)


def list_reminders(session: Session, scopes: Sequence[str]) -> list[ReminderInfo]:
    """Coordinators' reminders addressed inside `scopes` that can still fire (active, paused)."""
    if not scopes:
        return []
    rows = session.exec(
        select(Reminder)
        .where(
            col(Reminder.kind) == ReminderKind.CUSTOM,
            col(Reminder.status).in_([ReminderStatus.ACTIVE, ReminderStatus.PAUSED]),
            or_(*(scope_filter(Reminder.audience_code, scope) for scope in scopes)),
        )
        .order_by(col(Reminder.id))
    ).all()
    return [ReminderInfo.of(r) for r in rows]


def pause_reminder(
    session: Session, reminder_id: int, actor_id: int | None, reason: PauseReason
) -> ReminderInfo | None:
    row = session.get(Reminder, reminder_id)
    if row is None or row.status != ReminderStatus.ACTIVE:
        return None
    row.status = ReminderStatus.PAUSED
    row.paused_reason = reason
    row.updated_at = utcnow()
    session.add(row)
    audit(
        session,
        actor_id or 0,
        "reminder.pause",
        row.audience_code,
        reminder_id=row.id,
        reason=reason,
    )
    return ReminderInfo.of(row)


def resume_reminder(
    session: Session, reminder_id: int, actor_id: int, now: datetime, tz: ZoneInfo
) -> tuple[ResumeResult, ReminderInfo | None]:
    """Resume from the next occurrence after `now` (what fell due while paused is not sent).

    Whoever resumes answers for the reminder from now on: it fires in their name.
    """
    row = session.get(Reminder, reminder_id)
    if row is None or row.status not in (ReminderStatus.PAUSED, ReminderStatus.ACTIVE):
        return ResumeResult.GONE, None
    following = next_occurrence(rule_of(row), now, tz)
    if following is None:
        return ResumeResult.PASSED, ReminderInfo.of(row)
    row.status = ReminderStatus.ACTIVE
    row.paused_reason = None
    row.next_at = following
    row.owner_id = actor_id
    row.updated_at = now
    session.add(row)
    audit(session, actor_id, "reminder.resume", row.audience_code, reminder_id=row.id)
    return ResumeResult.OK, ReminderInfo.of(row)


def delete_reminder(session: Session, reminder_id: int, actor_id: int) -> ReminderInfo | None:
    row = session.get(Reminder, reminder_id)
    if row is None or row.status == ReminderStatus.DELETED or row.kind != ReminderKind.CUSTOM:
        return None
    row.status = ReminderStatus.DELETED
    row.next_at = None
    row.updated_at = utcnow()
    session.add(row)
    audit(session, actor_id, "reminder.delete", row.audience_code, reminder_id=row.id)
    return ReminderInfo.of(row)


def sync_system_reminder(
    session: Session, kind: ReminderKind, rule: Rule | None, now: datetime, tz: ZoneInfo
) -> ReminderInfo | None:
    """Make the automatic reminder `kind` follow the settings: on with `rule`, or off (None).

    An unchanged rule keeps its `next_at`, so what fell due while the bot was down is still
    caught up; a new or changed rule starts at its next occurrence (nothing is back-filled).
    """
    assert kind is not ReminderKind.CUSTOM
    row = session.exec(
        select(Reminder).where(col(Reminder.kind) == kind).order_by(col(Reminder.id))
    ).first()
    if rule is None:
        if row is not None and row.status == ReminderStatus.ACTIVE:
            row.status, row.paused_reason, row.next_at = (
                ReminderStatus.PAUSED,
                PauseReason.DISABLED,
                None,
            )
            row.updated_at = now
            session.add(row)
        return None
    if row is None:
        row = Reminder(kind=kind, frequency="", at_time=rule.at, status=ReminderStatus.ACTIVE)
        row.created_at = now
    elif rule_of(row) == rule and row.status == ReminderStatus.ACTIVE and row.next_at:
        return ReminderInfo.of(row)
    _set_rule(row, rule)
    row.status, row.paused_reason = ReminderStatus.ACTIVE, None
    row.next_at = next_occurrence(rule, now, tz)
    row.updated_at = now
    session.add(row)
    session.flush()
    return ReminderInfo.of(row)


# ---------------------------------------------------------------- firing


def due_reminder_ids(session: Session, now: datetime) -> list[int]:
    """Active reminders whose next occurrence has come, oldest due first."""
    rows = session.exec(
        select(Reminder.id)
        .where(col(Reminder.status) == ReminderStatus.ACTIVE, col(Reminder.next_at) <= now)
        .order_by(col(Reminder.next_at), col(Reminder.id))
    ).all()
    return [r for r in rows if r is not None]


def lock_due(session: Session, reminder_id: int, now: datetime) -> ReminderInfo | None:
    """The reminder, locked for this transaction, if it is (still) due at `now`.

    The row lock makes a second scheduler (another process) wait and then see the advanced
    `next_at`; SQLite has one writer at a time anyway.
    """
    row = session.exec(
        select(Reminder).where(col(Reminder.id) == reminder_id).with_for_update()
    ).first()
    if row is None or row.status != ReminderStatus.ACTIVE or row.next_at is None:
        return None
    if row.next_at > now:
        return None
    return ReminderInfo.of(row)


def due_occurrences(reminder: ReminderInfo, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """Every occurrence from `next_at` up to `now` (several only if the bot was down)."""
    assert reminder.next_at is not None
    return [reminder.next_at, *occurrences_between(reminder.rule, reminder.next_at, now, tz)]


def plan_due(
    due: Sequence[datetime], now: datetime, grace: timedelta
) -> tuple[datetime | None, list[datetime]]:
    """(the occurrence to send, the ones recorded as missed).

    Only the latest due occurrence is sent, and only if it is less than `grace` late: after
    a long outage cadres get one reminder, not a burst of stale ones.
    """
    if not due:
        return None, []
    latest = max(due)
    send = latest if now - latest < grace else None
    return send, sorted(d for d in due if d != send)


def claim_occurrence(
    session: Session,
    *,
    ref: str,
    due_at: datetime,
    status: OccurrenceStatus,
    reminder_id: int | None = None,
    now: datetime | None = None,
) -> ReminderOccurrence | None:
    """Claim an occurrence; None if it was claimed before (then do nothing for it)."""
    row = ReminderOccurrence(
        ref=ref,
        reminder_id=reminder_id,
        due_at=due_at,
        status=status,
        handled_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def claimed_refs(session: Session, refs: Sequence[str]) -> set[str]:
    """Which of these occurrences were handled already (one query for a whole tick)."""
    if not refs:
        return set()
    rows = session.exec(
        select(ReminderOccurrence.ref).where(col(ReminderOccurrence.ref).in_(list(refs)))
    ).all()
    return set(rows)


def finish_due(session: Session, reminder_id: int, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Move the reminder past `now`: its next occurrence, or done when none is left."""
    row = session.get(Reminder, reminder_id)
    assert row is not None
    row.next_at = next_occurrence(rule_of(row), now, tz)
    if row.next_at is None:
        row.status = ReminderStatus.DONE
    row.updated_at = now
    session.add(row)
    return row.next_at


def occurrences_of(session: Session, reminder_id: int) -> list[OccurrenceInfo]:
    rows = session.exec(
        select(ReminderOccurrence)
        .where(col(ReminderOccurrence.reminder_id) == reminder_id)
        .order_by(col(ReminderOccurrence.due_at))
    ).all()
    return [
        OccurrenceInfo(r.ref, r.due_at, OccurrenceStatus(r.status), r.recipients, r.broadcast_id)
        for r in rows
    ]


# ---------------------------------------------------------------- audiences of automatic ones


def cadres_without_report(session: Session, area: str, since: datetime) -> list[int]:
    """Cadres in `area` who want messages (no `/berhenti`, reachable) and have submitted no
    innovation report since `since` (the start of the forum's month)."""
    reported = set(
        session.exec(
            select(Report.reporter_id).where(
                col(Report.submitted_at) >= since,
                col(Report.reporter_id).is_not(None),
            )
        ).all()
    )
    return [cadre for cadre in audience_ids(session, [area]) if cadre not in reported]


# ---------------------------------------------------------------- training reminders


@dataclass(frozen=True)
class TrainingReminder:
    """A training about to start, as its reminders need it (computed at each tick)."""

    training_id: int
    title: str
    place: str
    starts_at: datetime
    going: tuple[int, ...]


def trainings_starting(
    session: Session, after: datetime, until: datetime
) -> list[TrainingReminder]:
    """Trainings starting in (`after`, `until`] and not called off, with the cadres who have
    a seat."""
    rows = session.exec(
        select(Training)
        .where(
            col(Training.starts_at) > after,
            col(Training.starts_at) <= until,
            col(Training.cancelled_at).is_(None),
        )
        .order_by(col(Training.starts_at), col(Training.id))
    ).all()
    found = []
    for row in rows:
        assert row.id is not None
        going = session.exec(
            select(TrainingRsvp.telegram_id)
            .where(
                col(TrainingRsvp.training_id) == row.id,
                col(TrainingRsvp.status) == RsvpStatus.GOING,
            )
            .order_by(col(TrainingRsvp.id))
        ).all()
        found.append(TrainingReminder(row.id, row.title, row.place, row.starts_at, tuple(going)))
    return found


def training_reminder_times(starts_at: datetime, tz: ZoneInfo) -> dict[str, datetime]:
    """When a training's reminders are due (UTC): the day before at 08:00, two hours before."""
    day_before = to_local(starts_at, tz).date() - timedelta(days=1)
    return {
        "day_before": to_utc(day_before, TRAINING_DAY_BEFORE_AT, tz),
        "shortly_before": starts_at - TRAINING_SHORTLY_BEFORE,
    }


def training_ref(training_id: int, starts_at: datetime, which: str) -> str:
    """The start time is part of the key: once a training moves, its old reminders match
    nothing any more, and the new time gets reminders of its own."""
    return f"training:{training_id}:{starts_at.isoformat(timespec='minutes')}:{which}"
