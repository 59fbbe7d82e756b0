"""End-to-end: reminders fire on time in WITA, through the delivery engine, exactly once —
across restarts, after an outage (inside and outside the grace period) and under concurrency.

Time is a `FakeClock`; each test moves it and asks the scheduler for a pass (`run_due`), which
is what the minute tick does. Messages arrive through the real delivery engine and the fake
Telegram server; "nothing was sent" is asserted on the outbox, which is written synchronously
by the pass (so no waiting is needed to prove a negative).
"""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

import pytest
from sqlmodel import select

from bot.reminders import ReminderScheduler
from bot.reminders import scheduler as reminder_scheduler
from storage import people
from storage.models import Reminder, ReminderKind, ReminderStatus
from storage.recurrence import Rule
from tests.auxil.flows import BONTANG_SELATAN, BONTANG_UTARA, seed_cadre, seed_coordinator
from tests.auxil.reminders import (
    FakeClock,
    history,
    received,
    reminder_broadcasts,
    reminder_row,
    scheduler,
    seed_reminder,
    settle,
    wita,
)

API_API = "64.74.01.1006"
GUNTUNG = "64.74.01.1004"
SATIMPO = "64.74.02.1004"
EIGHT = time(8, 0)
TEXT = "Jangan lupa kirim laporan bulanan lewat /lapor."


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(wita(2026, 11, 23, 10, 0))  # Monday 23/11/2026, 10.00 WITA
    monkeypatch.setattr(reminder_scheduler, "utcnow", fake)
    return fake


@pytest.fixture
async def bot(clock, bot):  # the clock is in place before the bot starts
    yield bot
    await settle(bot)  # deliveries end before the bot stops


def cadre(bot, server, village: str = API_API, **kwargs):
    user = server.new_user(**kwargs)
    seed_cadre(bot, user.id, village)
    return user


def coordinator(bot, server, scope: str = BONTANG_UTARA):
    user = server.new_user(first_name="Koordinator", last_name=None)
    seed_coordinator(bot, user.id, scope)
    return user


async def test_the_tick_is_a_minute_cron_in_wita(bot):
    [job] = bot.app.job_queue.get_jobs_by_name(ReminderScheduler.JOB_NAME)
    assert str(job.job.trigger.timezone) == "Asia/Makassar"
    assert job.next_t.second == 0 and job.next_t.tzinfo is not None
    assert job.next_t.utcoffset() == timedelta(hours=8)


async def test_reminder_fires_at_0800_wita_to_its_audience_only(bot, server, clock):
    coord = coordinator(bot, server)
    north, north_too = cadre(bot, server, API_API), cadre(bot, server, GUNTUNG)
    south = cadre(bot, server, SATIMPO)
    opted_out = cadre(bot, server, API_API)
    with bot.session() as session:
        people.set_receive_broadcasts(session, opted_out.id, False)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())

    clock.set(wita(2026, 11, 24, 7, 59, 59))
    await scheduler(bot).run_due()
    assert reminder_broadcasts(bot) == []
    clock.set(wita(2026, 11, 24, 8, 0))  # 00.00 UTC
    await scheduler(bot).run_due()

    for user in (north, north_too):
        [text] = await received(user, "Pengingat")
        assert text == f"⏰ Pengingat\n\n{TEXT}"
    [broadcast] = reminder_broadcasts(bot)
    assert broadcast.ref == f"reminder:{reminder.id}:2026-11-24T00:00"
    assert broadcast.sender_id == coord.id
    assert broadcast.meta == {
        "title": "Jangan lupa kirim laporan bulanan lewat…",
        "audience": "Kec. Bontang Utara, Kota Bontang",
    }
    assert broadcast.total == 2  # neither the other kecamatan nor the opted-out cadre
    assert south.texts == [] and opted_out.texts == []
    assert history(bot, reminder.id) == [(wita(2026, 11, 24, 8), "sent")]
    assert reminder_row(bot, reminder.id).next_at == wita(2026, 11, 25, 8)


async def test_recipients_get_their_own_language(bot, server, clock):
    coord = coordinator(bot, server)
    english = cadre(bot, server, API_API, language_code="en")
    with bot.session() as session:
        people.set_language(session, english.id, "en")
    seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    clock.set(wita(2026, 11, 24, 8, 0))
    await scheduler(bot).run_due()
    [text] = await received(english, "Reminder")
    assert text == f"⏰ Reminder\n\n{TEXT}"


async def test_restart_between_scheduling_and_firing(bot, server, clock):
    """Written through the chat, the bot restarts, and the reminder still fires on time."""
    coord = coordinator(bot, server)
    member = cadre(bot, server)
    await coord.send_text("/pengingat")
    await coord.press("Buat pengingat baru")
    await coord.send_text("Posyandu Api-Api buka besok jam 8.")
    await coord.press("Api-Api")
    await coord.press("Sekali saja")
    await coord.send_text("25/11/2026 17.00")
    await coord.press("Simpan")

    await bot.restart()
    clock.set(wita(2026, 11, 25, 17, 0))
    await scheduler(bot).run_due()
    await received(member, "Posyandu Api-Api buka besok jam 8.")
    await settle(bot)
    await bot.restart()  # fired, then restarted at the same minute: not again
    await scheduler(bot).run_due()
    assert len(reminder_broadcasts(bot)) == 1
    [row] = _custom_rows(bot)
    assert row.status == ReminderStatus.DONE and row.next_at is None


async def test_due_while_down_inside_the_grace_period_is_sent_once_at_start(bot, server, clock):
    coord = coordinator(bot, server)
    member = cadre(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    await bot.stop()
    clock.set(wita(2026, 11, 24, 13, 59))  # 5 h 59 min late, grace is 6 h
    await bot.start()  # no explicit pass: the start-up catch-up sends it
    await received(member, TEXT)
    assert history(bot, reminder.id) == [(wita(2026, 11, 24, 8), "sent")]

    await settle(bot)
    await bot.restart()  # and once only, whatever restarts follow
    await bot.restart()
    await scheduler(bot).run_due()
    assert len(reminder_broadcasts(bot)) == 1
    assert member.texts.count(f"⏰ Pengingat\n\n{TEXT}") == 1
    assert reminder_row(bot, reminder.id).next_at == wita(2026, 11, 25, 8)


async def test_due_while_down_outside_the_grace_period_is_recorded_as_missed(bot, server, clock):
    coord = coordinator(bot, server)
    cadre(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    await bot.stop()
    clock.set(wita(2026, 11, 24, 14, 0))  # exactly 6 h late: not less than the grace period
    await bot.start()
    assert reminder_broadcasts(bot) == []
    assert history(bot, reminder.id) == [(wita(2026, 11, 24, 8), "missed")]
    assert reminder_row(bot, reminder.id).next_at == wita(2026, 11, 25, 8)
    clock.set(wita(2026, 11, 25, 8, 0))  # the next one is sent normally
    await scheduler(bot).run_due()
    assert len(reminder_broadcasts(bot)) == 1


async def test_a_configured_grace_period_is_respected(bot, server, clock):
    coord = coordinator(bot, server)
    cadre(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    await bot.stop()
    clock.set(wita(2026, 11, 24, 9, 0))
    await bot.start(reminder_grace=timedelta(minutes=30))
    assert reminder_broadcasts(bot) == []
    assert history(bot, reminder.id) == [(wita(2026, 11, 24, 8), "missed")]


async def test_a_long_outage_sends_only_the_latest_occurrence(bot, server, clock):
    coord = coordinator(bot, server)
    member = cadre(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    await bot.stop()
    clock.set(wita(2026, 11, 27, 9, 30))  # down for three days and a half
    await bot.start()
    await received(member, TEXT)
    assert history(bot, reminder.id) == [
        (wita(2026, 11, 24, 8), "missed"),
        (wita(2026, 11, 25, 8), "missed"),
        (wita(2026, 11, 26, 8), "missed"),
        (wita(2026, 11, 27, 8), "sent"),
    ]
    [broadcast] = reminder_broadcasts(bot)
    assert broadcast.ref.endswith("2026-11-27T00:00")


async def test_two_schedulers_at_once_fire_an_occurrence_once(bot, server, clock):
    """A second process (or a tick racing the start-up pass) on the same database."""
    coord = coordinator(bot, server)
    cadre(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    clock.set(wita(2026, 11, 24, 8, 0))
    other = ReminderScheduler(bot.app, clock=clock)
    await asyncio.gather(scheduler(bot).run_due(), other.run_due(), other.run_due())
    assert len(reminder_broadcasts(bot)) == 1
    assert history(bot, reminder.id) == [(wita(2026, 11, 24, 8), "sent")]


async def test_paused_and_deleted_reminders_do_not_fire(bot, server, clock):
    coord = coordinator(bot, server)
    cadre(bot, server)
    paused = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    deleted = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(time(9)), clock())
    await coord.send_text("/pengingat")
    await coord.press("1. Jangan lupa")
    await coord.press("Jeda")
    await coord.press("Daftar pengingat")
    await coord.press("2. Jangan lupa")
    await coord.press("Hapus")
    await coord.press("Ya, hapus")
    clock.set(wita(2026, 11, 24, 9, 0))
    await scheduler(bot).run_due()
    assert reminder_broadcasts(bot) == []
    assert history(bot, paused.id) == [] and history(bot, deleted.id) == []


async def test_a_reminder_whose_owner_lost_the_right_is_skipped_and_paused(bot, server, clock):
    coord = coordinator(bot, server)
    cadre(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(EIGHT), clock())
    official = server.new_user(first_name="Dinas", last_name=None, user_id=9001)
    await official.send_text("/koordinator")
    await official.press("Cabut")
    await official.press("Ya, cabut")
    clock.set(wita(2026, 11, 24, 8, 0))
    await scheduler(bot).run_due()
    assert reminder_broadcasts(bot) == []
    assert history(bot, reminder.id) == [(wita(2026, 11, 24, 8), "skipped")]
    row = reminder_row(bot, reminder.id)
    assert row.status is ReminderStatus.PAUSED and row.paused_reason == "owner_lost_rights"
    # The official sees why, and resuming makes the reminder theirs.
    await official.send_text("/pengingat")
    await official.press("1. Jangan lupa")
    assert "pembuatnya tidak lagi menjadi koordinator" in official.last_message.text
    await official.press("Lanjutkan")
    assert reminder_row(bot, reminder.id).owner_id == 9001
    clock.set(wita(2026, 11, 25, 8, 0))
    await scheduler(bot).run_due()
    assert reminder_broadcasts(bot)[0].sender_id == 9001


async def test_an_empty_audience_is_recorded_without_a_broadcast(bot, server, clock):
    coord = coordinator(bot, server, BONTANG_SELATAN)
    reminder = seed_reminder(bot, coord.id, BONTANG_SELATAN, Rule.daily(EIGHT), clock())
    clock.set(wita(2026, 11, 24, 8, 0))
    await scheduler(bot).run_due()
    assert reminder_broadcasts(bot) == []
    assert history(bot, reminder.id) == [(wita(2026, 11, 24, 8), "sent")]


async def test_first_monday_fires_on_the_first_monday_only(bot, server, clock):
    coord = coordinator(bot, server)
    member = cadre(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.monthly_nth(1, 0, EIGHT), clock())
    clock.set(wita(2026, 11, 30, 8, 0))  # a Monday, but not a first one
    await scheduler(bot).run_due()
    assert reminder_broadcasts(bot) == []
    clock.set(wita(2026, 12, 7, 8, 0))
    await scheduler(bot).run_due()
    await received(member, TEXT)
    clock.set(wita(2026, 12, 14, 8, 0))
    await scheduler(bot).run_due()
    assert len(reminder_broadcasts(bot)) == 1
    assert history(bot, reminder.id) == [(wita(2026, 12, 7, 8), "sent")]
    assert reminder_row(bot, reminder.id).next_at == wita(2027, 1, 4, 8, 0)


def _custom_rows(bot) -> list[Reminder]:
    with bot.session() as session:
        return list(session.exec(select(Reminder).where(Reminder.kind == ReminderKind.CUSTOM)))
