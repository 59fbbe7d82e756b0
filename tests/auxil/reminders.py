"""Helpers for reminder tests: a clock to drive time without sleeping, WITA moments, seeds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.reminders import ReminderScheduler
from storage import outbox, reminders
from storage.models import Broadcast
from storage.recurrence import Rule, to_utc
from storage.reminders import OccurrenceInfo, ReminderInfo
from tests.auxil.broadcast import engine, wait_finished
from tests.auxil.runner import BotRunner

WITA = ZoneInfo("Asia/Makassar")


def wita(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A WITA wall-clock moment as naive UTC (how the bot stores and compares time)."""
    return to_utc(date(year, month, day), time(hour, minute), WITA) + timedelta(seconds=second)


class FakeClock:
    """Naive-UTC "now" that only moves when a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def scheduler(runner: BotRunner) -> ReminderScheduler:
    assert runner.app is not None
    return runner.app.reminders


def seed_reminder(
    runner: BotRunner,
    owner_id: int,
    audience: str,
    rule: Rule,
    now: datetime,
    text: str = "Jangan lupa kirim laporan bulanan lewat /lapor.",
) -> ReminderInfo:
    """A coordinator's reminder written straight to the database (as the form would)."""
    with runner.session() as session:
        saved = reminders.create_reminder(
            session,
            owner_id=owner_id,
            text=text,
            audience_code=audience,
            rule=rule,
            now=now,
            tz=WITA,
        )
    assert saved is not None
    return saved


def reminder_broadcasts(runner: BotRunner) -> list[Broadcast]:
    """Everything the scheduler queued in the delivery engine's outbox, oldest first."""
    with runner.session() as session:
        return list(
            session.exec(
                select(Broadcast).where(Broadcast.kind == "reminder").order_by(Broadcast.id)
            ).all()
        )


def history(runner: BotRunner, reminder_id: int) -> list[tuple[datetime, str]]:
    with runner.session() as session:
        found: list[OccurrenceInfo] = reminders.occurrences_of(session, reminder_id)
    return [(o.due_at, o.status.value) for o in found]


def reminder_row(runner: BotRunner, reminder_id: int) -> ReminderInfo | None:
    with runner.session() as session:
        return reminders.get_reminder(session, reminder_id)


async def received(user: Any, needle: str, timeout: float = 10.0) -> list[str]:
    """Wait until the delivery engine has brought a message containing `needle` to `user`."""
    return await user.wait_for(lambda: [t for t in user.texts if needle in t], timeout)


async def settle(runner: BotRunner) -> None:
    """Wait until the delivery engine has finished and summarised every broadcast.

    Call before stopping the bot right after a delivery: on Python 3.11 the engine's `stop()`
    can hang when it coincides with the end of a delivery (`asyncio.wait_for` in its loops
    swallows the cancellation when the awaited event is set in the same loop iteration).
    """
    if runner.app is None:
        return
    with runner.session() as session:
        active = [info.id for info in outbox.active_broadcasts(session)]
    for broadcast_id in active:
        await wait_finished(runner, broadcast_id)
    await engine(runner).idle()
