"""The reminder scheduler: fires every due reminder once, on time, in forum time.

One JobQueue (APScheduler) job ticks at second 0 of every minute in `TIMEZONE`, rather than
one job per reminder: every reminder time is a whole minute, so a minute tick fires exactly
on time; the database stays the only schedule (`storage.reminders`), so there is nothing in
memory to lose at a crash, and changes made elsewhere — a training moved or cancelled by its
own module, a reminder paused in another chat — are seen at the next tick without anybody
having to notify the scheduler.

At start the schedule is rebuilt from the database: the automatic reminders are aligned with
the settings, then everything that fell due while the bot was down is handled at once — the
latest occurrence of each reminder is sent if it is less than `REMINDER_GRACE_HOURS` late,
older ones are recorded as missed. Each occurrence is claimed (unique row) in the same
transaction that queues its messages in the delivery engine's outbox, so nothing fires twice,
whatever restarts or crashes happen in between.

Time comes from `clock` (naive UTC), so tests can drive it without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from bot.auth import identify
from bot.context import BotContext, ForkomApplication
from bot.delivery import Payload, validate_payload
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bot.reminders import texts
from storage import admins, outbox, reminders
from storage import reports as report_store
from storage.models import utcnow
from storage.recurrence import Rule, to_local, to_utc
from storage.regions import region_path_name
from storage.reminders import OccurrenceStatus, PauseReason, ReminderInfo, ReminderKind
from storage.roles import list_coordinators

__all__ = ["Clock", "ReminderScheduler", "TickSummary"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
OUTBOX_KIND = "reminder"
# Trainings are looked at this far ahead: a day-before reminder is at most 40 hours early.
TRAINING_LOOKAHEAD = timedelta(days=2)


@dataclass
class TickSummary:
    """What one pass over the due reminders did (for logs and tests)."""

    sent: list[str] = field(default_factory=list)  # occurrence refs queued for delivery
    missed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, other: TickSummary) -> None:
        self.sent += other.sent
        self.missed += other.missed
        self.skipped += other.skipped


class ReminderScheduler:
    """Service (`app.reminders`): the minute tick and the start-up catch-up."""

    JOB_NAME = "reminders-tick"

    def __init__(self, app: ForkomApplication, clock: Clock | None = None) -> None:
        self.app = app
        self.settings = app.settings
        self.clock: Clock = clock or utcnow
        self._lock = asyncio.Lock()

    def now(self) -> datetime:
        """The scheduler's current time (naive UTC); the reminder form uses it too."""
        return self.clock()

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await asyncio.to_thread(self._sync_automatic_reminders, self.now())
        summary = await self.run_due()
        if summary.sent or summary.missed:
            log.info(
                "reminders at start: %d sent, %d missed while the bot was down",
                len(summary.sent),
                len(summary.missed),
            )
        if self.app.job_queue is not None:
            self.app.job_queue.run_custom(
                self._tick,
                job_kwargs={
                    "trigger": "cron",
                    "second": 0,
                    "timezone": self.settings.timezone,
                    "misfire_grace_time": 50,
                    "coalesce": True,
                    "max_instances": 1,
                },
                name=self.JOB_NAME,
            )

    async def stop(self) -> None:
        if self.app.job_queue is not None:
            for job in self.app.job_queue.get_jobs_by_name(self.JOB_NAME):
                job.schedule_removal()
        async with self._lock:  # let a running pass finish its transaction
            pass

    async def _tick(self, context: BotContext) -> None:
        await self.run_due()

    # ------------------------------------------------------------ one pass

    async def run_due(self, now: datetime | None = None) -> TickSummary:
        """Handle everything due at `now` (default: the clock); one pass at a time."""
        async with self._lock:
            summary = await asyncio.to_thread(self._run_due, now or self.now())
        self.app.metrics.reminders_fired.inc(len(summary.sent))
        self.app.metrics.reminders_missed.inc(len(summary.missed))
        if summary.sent:
            self.app.delivery.wake()
        return summary

    def _run_due(self, now: datetime) -> TickSummary:
        summary = TickSummary()
        with self.app.database.session() as session:
            due = reminders.due_reminder_ids(session, now)
        for reminder_id in due:
            try:
                summary.add(self._fire_reminder(reminder_id, now))
            except Exception:  # one broken reminder must not hold up the others
                log.exception("reminder %s could not be handled", reminder_id)
        if self.settings.reminder_training:
            try:
                summary.add(self._fire_training_reminders(now))
            except Exception:
                log.exception("training reminders could not be handled")
        return summary

    def _fire_reminder(self, reminder_id: int, now: datetime) -> TickSummary:
        summary = TickSummary()
        tz, grace = self.settings.timezone, self.settings.reminder_grace
        with self.app.database.session() as session:
            peek = reminders.get_reminder(session, reminder_id)
        # Never trust what was allowed when it was written: the owner's right is checked now.
        allowed = peek is None or self._owner_may_send(peek)
        with self.app.database.session() as session:
            reminder = reminders.lock_due(session, reminder_id, now)
            if reminder is None:
                return summary
            send_at, missed = reminders.plan_due(
                reminders.due_occurrences(reminder, now, tz), now, grace
            )
            for due_at in missed:
                ref = reminders.occurrence_ref(reminder.id, due_at)
                if reminders.claim_occurrence(
                    session,
                    ref=ref,
                    due_at=due_at,
                    status=OccurrenceStatus.MISSED,
                    reminder_id=reminder.id,
                    now=now,
                ):
                    summary.missed.append(ref)
            if send_at is not None:
                ref = reminders.occurrence_ref(reminder.id, send_at)
                status = OccurrenceStatus.SENT if allowed else OccurrenceStatus.SKIPPED
                claim = reminders.claim_occurrence(
                    session,
                    ref=ref,
                    due_at=send_at,
                    status=status,
                    reminder_id=reminder.id,
                    now=now,
                )
                if claim is not None and allowed:
                    claim.recipients, claim.broadcast_id = self._queue(
                        session, reminder, send_at, ref
                    )
                    session.add(claim)
                    summary.sent.append(ref)
                elif claim is not None:
                    summary.skipped.append(ref)
            reminders.finish_due(session, reminder.id, now, tz)
            if not allowed:
                reminders.pause_reminder(session, reminder.id, None, PauseReason.OWNER_LOST_RIGHTS)
        return summary

    def _fire_training_reminders(self, now: datetime) -> TickSummary:
        """The day-before and two-hours-before reminders of trainings, from the training rows
        as they are now: a moved training is reminded of at its new time (its old refs match
        nothing), a deleted one not at all."""
        summary = TickSummary()
        tz, grace = self.settings.timezone, self.settings.reminder_grace
        with self.app.database.session() as session:
            upcoming = reminders.trainings_starting(session, now, now + TRAINING_LOOKAHEAD)
        for training in upcoming:
            times = reminders.training_reminder_times(training.starts_at, tz)
            due = {which: at for which, at in times.items() if at <= now}
            if not due or not training.going:
                # Nobody has a seat yet: leave it unclaimed, so cadres who sign up within
                # the grace period still get it.
                continue
            refs = {
                which: reminders.training_ref(training.training_id, training.starts_at, which)
                for which in due
            }
            with self.app.database.session() as session:
                if reminders.claimed_refs(session, list(refs.values())) == set(refs.values()):
                    continue
                send_at, _ = reminders.plan_due(list(due.values()), now, grace)
                for which, due_at in due.items():
                    sending = due_at == send_at
                    claim = reminders.claim_occurrence(
                        session,
                        ref=refs[which],
                        due_at=due_at,
                        status=OccurrenceStatus.SENT if sending else OccurrenceStatus.MISSED,
                        now=now,
                    )
                    if claim is None:
                        continue
                    if not sending:
                        summary.missed.append(refs[which])
                        continue
                    payload = Payload(
                        {
                            lang: texts.training_reminder(which, training, tz, lang)
                            for lang in LANGUAGES
                        }
                    )
                    claim.recipients = len(training.going)
                    claim.broadcast_id = self._broadcast(
                        session,
                        refs[which],
                        list(training.going),
                        payload,
                        meta={
                            "title": t(
                                "reminders.outbox.training", DEFAULT_LANGUAGE, title=training.title
                            )
                        },
                    )
                    session.add(claim)
                    summary.sent.append(refs[which])
        return summary

    def _owner_may_send(self, reminder: ReminderInfo) -> bool:
        if reminder.kind is not ReminderKind.CUSTOM:
            return True
        if reminder.owner_id is None or reminder.audience_code is None:
            return False
        owner = identify(self.app.database, self.settings, reminder.owner_id)
        return owner.may_act_on(reminder.audience_code)

    # ------------------------------------------------------------ what each kind sends

    def _queue(
        self, session: Session, reminder: ReminderInfo, due_at: datetime, ref: str
    ) -> tuple[int, int | None]:
        """Queue the occurrence's messages; (recipients, broadcast id if there is one)."""
        if reminder.kind is ReminderKind.CUSTOM:
            assert reminder.audience_code is not None and reminder.text is not None
            recipients = outbox.audience_ids(session, [reminder.audience_code])
            payload = Payload(
                {lang: texts.custom_message(reminder.text, lang) for lang in LANGUAGES}
            )
            meta = {
                "title": texts.title(reminder.text),
                "audience": region_path_name(session, reminder.audience_code),
            }
            broadcast = self._broadcast(
                session, ref, recipients, payload, sender_id=reminder.owner_id, meta=meta
            )
            return len(recipients), broadcast
        if reminder.kind is ReminderKind.MONTHLY_REPORT:
            local = to_local(due_at, self.settings.timezone)
            # "This month" is the forum's month: it starts at 00:00 WITA on the 1st.
            month_start = to_utc(local.date().replace(day=1), time(0, 0), self.settings.timezone)
            recipients = reminders.cadres_without_report(
                session, self.settings.forum_area, month_start
            )
            payload = Payload({lang: texts.monthly_report(local.month, lang) for lang in LANGUAGES})
            meta = {
                "title": t("reminders.outbox.monthly_report", DEFAULT_LANGUAGE),
                "audience": region_path_name(session, self.settings.forum_area),
            }
            broadcast = self._broadcast(session, ref, recipients, payload, meta=meta)
            return len(recipients), broadcast
        if reminder.kind is ReminderKind.REVIEW_DIGEST:
            notified = 0
            for reviewer_id, scopes in self._reviewers(session).items():
                waiting = report_store.count_pending(session, scopes, reviewer_id)
                if not waiting:
                    continue
                payload = Payload({lang: texts.review_digest(waiting, lang) for lang in LANGUAGES})
                self._broadcast(
                    session,
                    f"{ref}:{reviewer_id}",
                    [reviewer_id],
                    payload,
                    meta={"title": t("reminders.outbox.review_digest", DEFAULT_LANGUAGE)},
                )
                notified += 1
            return notified, None
        raise ValueError(f"unknown reminder kind {reminder.kind}")

    def _reviewers(self, session: Session) -> dict[int, list[str]]:
        """Everyone who reviews reports, with the scopes they review: coordinators, officials."""
        scopes: dict[int, list[str]] = {}
        for coordinator in list_coordinators(session, self.settings.forum_area):
            scopes.setdefault(coordinator.telegram_id, []).append(coordinator.scope_code)
        for official in sorted(self.settings.admin_ids | admins.official_ids(session)):
            scopes[official] = [self.settings.forum_area]
        return scopes

    def _broadcast(
        self,
        session: Session,
        ref: str,
        recipients: list[int],
        payload: Payload,
        *,
        sender_id: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> int | None:
        """Queue in the delivery engine's outbox, inside the caller's transaction.

        `bot.delivery.submit` would open a transaction of its own; writing the outbox rows in
        ours is what makes "claimed" and "queued" one atomic fact.
        """
        if not recipients:
            return None
        validate_payload(payload)
        broadcast_id, _ = outbox.create_broadcast(
            session,
            kind=OUTBOX_KIND,
            payload=payload.to_json(),
            recipients=recipients,
            ref=ref,
            sender_id=sender_id,
            meta=meta,
        )
        return broadcast_id

    # ------------------------------------------------------------ settings → rows

    def _sync_automatic_reminders(self, now: datetime) -> None:
        monthly = self.settings.reminder_monthly_report
        digest = self.settings.reminder_review_digest
        tz = self.settings.timezone
        with self.app.database.session() as session:
            reminders.sync_system_reminder(
                session,
                ReminderKind.MONTHLY_REPORT,
                Rule.monthly(*monthly) if monthly else None,
                now,
                tz,
            )
            reminders.sync_system_reminder(
                session,
                ReminderKind.REVIEW_DIGEST,
                Rule.weekly(*digest) if digest else None,
                now,
                tz,
            )
