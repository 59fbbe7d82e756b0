"""End-to-end: the automatic reminders — trainings (the day before at 08.00 WITA and two hours
before; moved, rescheduled, cancelled or deleted trainings), the monthly report, the weekly review digest — each of
which can be switched off in the settings."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlmodel import select

from bot.reminders import scheduler as reminder_scheduler
from storage import people, training
from storage.models import Reminder, ReminderKind, ReminderStatus, Training
from storage.reports import Decision
from tests.auxil.flows import BONTANG_SELATAN, BONTANG_UTARA, seed_cadre, seed_coordinator
from tests.auxil.reminders import FakeClock, received, reminder_broadcasts, scheduler, settle, wita
from tests.auxil.reports import seed_report

API_API = "64.74.01.1006"
GUNTUNG = "64.74.01.1004"
SATIMPO = "64.74.02.1004"
ADMIN_ID = 9001
EIGHT = time(8, 0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(wita(2026, 11, 23, 10, 0))  # Monday 23/11/2026, 10.00 WITA
    monkeypatch.setattr(reminder_scheduler, "utcnow", fake)
    return fake


@pytest.fixture
async def bot(clock, bot):  # the clock is in place before the bot starts
    yield bot
    await settle(bot)  # deliveries end before the bot stops


def cadre(bot, server, village: str = API_API):
    user = server.new_user()
    seed_cadre(bot, user.id, village)
    return user


def sent_refs(bot) -> list[str]:
    return [b.ref or "" for b in reminder_broadcasts(bot)]


async def tick(bot, clock: FakeClock, moment: datetime) -> None:
    clock.set(moment)
    await scheduler(bot).run_due()


# ---------------------------------------------------------------- trainings


def seed_training(bot, clock: FakeClock, starts_at: datetime, *members: int) -> int:
    with bot.session() as session:
        info = training.create_training(
            session,
            title="Pelatihan Pengolahan Sampah",
            description="Praktik membuat kompos dan ecobrick.",
            starts_at=starts_at,
            place="Aula Kelurahan Api-Api",
            quota=2,
            area_code=BONTANG_UTARA,
            institutions=[],
            created_by=ADMIN_ID,
        )
    for member in members:
        with bot.session() as session:
            training.respond(session, info.id, member, joining=True, now=clock())
    return info.id


def move_training(bot, training_id: int, starts_at: datetime) -> None:
    """What editing a training's time does to its row (the scheduler reads only the row)."""
    with bot.session() as session:
        row = session.get(Training, training_id)
        row.starts_at = starts_at
        session.add(row)


async def test_training_reminders_the_day_before_and_two_hours_before(bot, server, clock):
    await bot.restart(reminder_training=True)
    first, second, waiting = cadre(bot, server), cadre(bot, server), cadre(bot, server)
    declined = cadre(bot, server)
    training_id = seed_training(bot, clock, wita(2026, 11, 25, 10, 0), first.id, second.id)
    with bot.session() as session:  # the quota is 2: the third one waits
        training.respond(session, training_id, waiting.id, joining=True, now=clock())
        training.respond(session, training_id, declined.id, joining=False, now=clock())

    await tick(bot, clock, wita(2026, 11, 24, 7, 59))
    assert sent_refs(bot) == []
    await tick(bot, clock, wita(2026, 11, 24, 8, 0))
    for member in (first, second):
        [text] = await received(member, "Pengingat pelatihan")
        assert "Pelatihan Pengolahan Sampah" in text
        assert "Rabu, 25 November 2026 pukul 10.00 WITA" in text
        assert "Aula Kelurahan Api-Api" in text
    assert waiting.texts == [] and declined.texts == []

    await tick(bot, clock, wita(2026, 11, 25, 7, 59))
    assert len(sent_refs(bot)) == 1
    await tick(bot, clock, wita(2026, 11, 25, 8, 0))
    await received(first, "Pelatihan segera dimulai")
    await settle(bot)
    await bot.restart()  # and nothing twice
    await scheduler(bot).run_due()
    assert sent_refs(bot) == [
        f"training:{training_id}:2026-11-25T02:00:day_before",
        f"training:{training_id}:2026-11-25T02:00:shortly_before",
    ]


async def test_a_moved_training_is_reminded_at_its_new_time_only(bot, server, clock):
    await bot.restart(reminder_training=True)
    member = cadre(bot, server)
    training_id = seed_training(bot, clock, wita(2026, 11, 25, 10, 0), member.id)
    await tick(bot, clock, wita(2026, 11, 24, 8, 0))
    await received(member, "Rabu, 25 November 2026 pukul 10.00 WITA")

    move_training(bot, training_id, wita(2026, 11, 27, 13, 0))  # postponed to Friday
    await tick(bot, clock, wita(2026, 11, 25, 8, 0))  # the old "two hours before"
    assert len(sent_refs(bot)) == 1
    await tick(bot, clock, wita(2026, 11, 26, 8, 0))
    [moved] = await received(member, "Jumat, 27 November 2026 pukul 13.00 WITA")
    assert "Pengingat pelatihan" in moved
    await tick(bot, clock, wita(2026, 11, 27, 11, 0))
    await received(member, "Pelatihan segera dimulai")
    assert sent_refs(bot) == [
        f"training:{training_id}:2026-11-25T02:00:day_before",
        f"training:{training_id}:2026-11-27T05:00:day_before",
        f"training:{training_id}:2026-11-27T05:00:shortly_before",
    ]


async def test_a_training_brought_forward_skips_what_is_no_longer_due(bot, server, clock):
    await bot.restart(reminder_training=True)
    member = cadre(bot, server)
    training_id = seed_training(bot, clock, wita(2026, 11, 27, 10, 0), member.id)
    move_training(bot, training_id, wita(2026, 11, 24, 9, 0))  # moved earlier, to tomorrow
    await tick(bot, clock, wita(2026, 11, 23, 10, 1))  # tomorrow's day-before is now, 2 h late
    await received(member, "Selasa, 24 November 2026 pukul 09.00 WITA")
    await tick(bot, clock, wita(2026, 11, 24, 7, 0))
    await received(member, "Pelatihan segera dimulai")
    await tick(bot, clock, wita(2026, 11, 26, 8, 0))  # the old Thursday reminder: gone
    assert sent_refs(bot) == [
        f"training:{training_id}:2026-11-24T01:00:day_before",
        f"training:{training_id}:2026-11-24T01:00:shortly_before",
    ]


async def test_a_deleted_training_sends_nothing(bot, server, clock):
    await bot.restart(reminder_training=True)
    member = cadre(bot, server)
    training_id = seed_training(bot, clock, wita(2026, 11, 25, 10, 0), member.id)
    with bot.session() as session:
        session.delete(session.get(Training, training_id))
    await tick(bot, clock, wita(2026, 11, 24, 8, 0))
    await tick(bot, clock, wita(2026, 11, 25, 8, 0))
    assert sent_refs(bot) == []


async def test_a_cancelled_training_sends_no_more_reminders(bot, server, clock):
    await bot.restart(reminder_training=True)
    member = cadre(bot, server)
    called_off_early = seed_training(bot, clock, wita(2026, 11, 25, 10, 0), member.id)
    called_off_late = seed_training(bot, clock, wita(2026, 11, 26, 10, 0), member.id)
    with bot.session() as session:
        assert training.cancel_training(session, called_off_early, ADMIN_ID, clock())
    await tick(bot, clock, wita(2026, 11, 24, 8, 0))  # the first one's day before
    await tick(bot, clock, wita(2026, 11, 25, 8, 0))  # its two hours before; the second's day
    [day_before] = await received(member, "Pengingat pelatihan")
    assert "Kamis, 26 November 2026 pukul 10.00 WITA" in day_before
    with bot.session() as session:
        assert training.cancel_training(session, called_off_late, ADMIN_ID, clock())
    await tick(bot, clock, wita(2026, 11, 26, 8, 0))
    await bot.restart()
    await scheduler(bot).run_due()
    assert sent_refs(bot) == [f"training:{called_off_late}:2026-11-26T02:00:day_before"]


async def test_a_rescheduled_training_is_reminded_at_the_new_times_only(bot, server, clock):
    await bot.restart(reminder_training=True)
    member = cadre(bot, server)
    training_id = seed_training(bot, clock, wita(2026, 11, 25, 10, 0), member.id)
    with bot.session() as session:
        moved = training.reschedule_training(
            session, training_id, wita(2026, 11, 27, 13, 0), ADMIN_ID, clock()
        )
    assert moved is not None and moved.starts_at == wita(2026, 11, 27, 13, 0)
    await tick(bot, clock, wita(2026, 11, 24, 8, 0))  # the old day before
    await tick(bot, clock, wita(2026, 11, 25, 8, 0))  # the old two hours before
    assert sent_refs(bot) == []
    await tick(bot, clock, wita(2026, 11, 26, 8, 0))
    [day_before] = await received(member, "Pengingat pelatihan")
    assert "Jumat, 27 November 2026 pukul 13.00 WITA" in day_before
    await tick(bot, clock, wita(2026, 11, 27, 11, 0))
    await received(member, "Pelatihan segera dimulai")
    assert sent_refs(bot) == [
        f"training:{training_id}:2026-11-27T05:00:day_before",
        f"training:{training_id}:2026-11-27T05:00:shortly_before",
    ]


async def test_training_reminders_after_an_outage_send_only_the_latest(bot, server, clock):
    await bot.restart(reminder_training=True)
    member = cadre(bot, server)
    training_id = seed_training(bot, clock, wita(2026, 11, 25, 10, 0), member.id)
    await bot.stop()
    clock.set(wita(2026, 11, 25, 9, 0))  # down since before yesterday's 08.00
    await bot.start()
    await received(member, "Pelatihan segera dimulai")
    assert sent_refs(bot) == [f"training:{training_id}:2026-11-25T02:00:shortly_before"]


async def test_training_reminders_can_be_switched_off(bot, server, clock):
    member = cadre(bot, server)  # the test settings leave automatic reminders off
    seed_training(bot, clock, wita(2026, 11, 25, 10, 0), member.id)
    await tick(bot, clock, wita(2026, 11, 24, 8, 0))
    await tick(bot, clock, wita(2026, 11, 25, 8, 0))
    assert sent_refs(bot) == []


# ---------------------------------------------------------------- monthly report


async def test_monthly_report_reminder_goes_to_cadres_without_a_report_this_month(
    bot, server, clock
):
    await bot.restart(reminder_monthly_report=(25, EIGHT))
    reported = cadre(bot, server)
    seed_report(bot, reported.id, API_API, submitted_at=wita(2026, 11, 10, 9, 0))
    # 00.30 WITA on 1 November is still 31 October in UTC: it counts for November.
    early_bird = cadre(bot, server)
    seed_report(bot, early_bird.id, API_API, submitted_at=wita(2026, 11, 1, 0, 30))
    last_month = cadre(bot, server)
    seed_report(bot, last_month.id, API_API, submitted_at=wita(2026, 10, 31, 23, 30))
    elsewhere = cadre(bot, server, SATIMPO)
    opted_out = cadre(bot, server)
    with bot.session() as session:
        people.set_receive_broadcasts(session, opted_out.id, False)

    await tick(bot, clock, wita(2026, 11, 25, 7, 59))
    assert sent_refs(bot) == []
    await tick(bot, clock, wita(2026, 11, 25, 8, 0))
    for member in (last_month, elsewhere):
        [text] = await received(member, "laporan bulanan")
        assert "Bulan November ini Anda belum mengirim laporan inovasi" in text
        assert "/lapor" in text and "/berhenti" in text
    [broadcast] = reminder_broadcasts(bot)
    assert broadcast.total == 2  # not the two who reported, not the one who opted out
    assert broadcast.meta == {"title": "Pengingat laporan bulanan", "audience": "Kota Bontang"}

    await settle(bot)
    await bot.restart(reminder_monthly_report=(25, EIGHT))  # same settings: no second one
    assert len(reminder_broadcasts(bot)) == 1
    await bot.restart(reminder_monthly_report=None)  # switched off
    await tick(bot, clock, wita(2026, 12, 25, 8, 0))
    assert len(reminder_broadcasts(bot)) == 1
    with bot.session() as session:
        [row] = session.exec(
            select(Reminder).where(Reminder.kind == ReminderKind.MONTHLY_REPORT)
        ).all()
    assert row.status == ReminderStatus.PAUSED and row.paused_reason == "disabled"


async def test_monthly_report_day_31_falls_on_the_last_day_of_shorter_months(bot, server, clock):
    await bot.restart(reminder_monthly_report=(31, time(9, 0)))
    member = cadre(bot, server)
    await tick(bot, clock, wita(2026, 11, 30, 9, 0))
    await received(member, "Bulan November ini")


async def test_a_new_monthly_setting_does_not_backfill(bot, server, clock):
    cadre(bot, server)
    await bot.restart(reminder_monthly_report=(20, EIGHT))  # the 20th has passed this month
    assert sent_refs(bot) == []
    with bot.session() as session:
        [row] = session.exec(
            select(Reminder).where(Reminder.kind == ReminderKind.MONTHLY_REPORT)
        ).all()
    assert row.next_at == wita(2026, 12, 20, 8, 0)


# ---------------------------------------------------------------- weekly review digest


async def test_weekly_digest_of_reports_waiting_for_review(bot, server, clock):
    await bot.restart(reminder_review_digest=(0, EIGHT))
    north = server.new_user(first_name="Utara", last_name=None)
    seed_coordinator(bot, north.id, BONTANG_UTARA)
    south = server.new_user(first_name="Selatan", last_name=None)
    seed_coordinator(bot, south.id, BONTANG_SELATAN)
    official = server.new_user(first_name="Dinas", last_name=None, user_id=ADMIN_ID)
    author = cadre(bot, server, GUNTUNG)
    seed_report(bot, author.id, GUNTUNG, title="Bank sampah")
    seed_report(bot, author.id, GUNTUNG, title="Kebun gizi")
    seed_report(bot, author.id, GUNTUNG, title="Sudah dinilai", decision=Decision.APPROVE)

    await tick(bot, clock, wita(2026, 11, 30, 8, 0))  # Monday
    [text] = await received(north, "Rekap mingguan")
    assert "Ada 2 laporan inovasi yang menunggu tinjauan Anda" in text and "/tinjau" in text
    await received(official, "Ada 2 laporan")
    assert south.texts == [] and author.texts == []
    assert sorted(sent_refs(bot)) == sorted(
        f"reminder:{_digest_id(bot)}:2026-11-30T00:00:{reviewer}"
        for reviewer in (north.id, ADMIN_ID)
    )
    await tick(bot, clock, wita(2026, 12, 1, 8, 0))  # Tuesday: nothing
    assert len(sent_refs(bot)) == 2


async def test_weekly_digest_can_be_switched_off(bot, server, clock):
    north = server.new_user(first_name="Utara", last_name=None)
    seed_coordinator(bot, north.id, BONTANG_UTARA)
    seed_report(bot, cadre(bot, server).id, API_API)
    await tick(bot, clock, wita(2026, 11, 30, 8, 0))
    assert sent_refs(bot) == []


def _digest_id(bot) -> int:
    with bot.session() as session:
        [row] = session.exec(
            select(Reminder).where(Reminder.kind == ReminderKind.REVIEW_DIGEST)
        ).all()
    assert row.id is not None
    return row.id
