"""Feedback and follow-ups after a training (issue 13): due at the right times on an injected
clock, only to attendees who still want messages, once each, surviving a restart."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import col, select

from bot.training import feedback, send_due
from storage import attendance as store
from storage import people
from storage import training as training_store
from storage.models import Attendance, Broadcast, FollowUp
from tests.auxil.broadcast import speed_up, wait_finished
from tests.auxil.flows import BONTANG_BARAT, seed_cadre, seed_coordinator, village_code

STARTS = datetime(2026, 12, 14, 0, 0)  # Senin 08.00 WITA
DAY_ENDS = datetime(2026, 12, 14, 16, 0)  # midnight WITA


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = STARTS

    monkeypatch.setattr(feedback, "utcnow", lambda: Clock.now)
    return Clock


async def tick_job(bot, clock, now: datetime) -> list[Broadcast]:
    """Run the minute job at `now`; wait for what it submitted; return every timed send so far."""
    clock.now = now
    with bot.session() as session:
        before = {b.id for b in session.exec(select(Broadcast))}
    await send_due(SimpleNamespace(app=bot.app))
    with bot.session() as session:
        rows = session.exec(select(Broadcast).order_by(col(Broadcast.id))).all()
    for row in rows:
        if row.id not in before:
            await wait_finished(bot, row.id)
    return [r for r in rows if (r.ref or "").startswith(("attendance:", "followup:"))]


def refs(sent: list[Broadcast]) -> list[str]:
    return [b.ref or "" for b in sent]


async def test_feedback_and_follow_ups_reach_attendees_once(bot, server, clock):
    speed_up(bot)
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    ani, budi, cici, dedi = (server.new_user(first_name=n) for n in ("Ani", "Budi", "Cici", "Dedi"))
    for user in (ani, budi, cici, dedi):
        seed_cadre(bot, user.id, kanaan, name=user.first_name)
    with bot.session() as session:
        training = training_store.create_training(
            session,
            title="Gizi Balita",
            description="-",
            starts_at=STARTS,
            place="Aula",
            quota=None,
            area_code=BONTANG_BARAT,
            institutions=[],
            created_by=coordinator.id,
        )
        session.commit()
        for user in (ani, budi, cici, dedi):
            training_store.respond(session, training.id, user.id, True, STARTS - timedelta(days=2))
        for user in (ani, cici, dedi):  # Budi signed up but did not come
            store.tick(session, training.id, user.id, coordinator.id, STARTS)
        people.set_receive_broadcasts(session, cici.id, False)  # /berhenti
    training_id = training.id

    assert await tick_job(bot, clock, STARTS + timedelta(hours=2)) == []
    sent = await tick_job(bot, clock, DAY_ENDS)
    ani_id = _attendance_id(bot, training_id, ani.id)
    dedi_id = _attendance_id(bot, training_id, dedi.id)
    assert refs(sent) == [f"attendance:{ani_id}:feedback", f"attendance:{dedi_id}:feedback"]
    ask = ani.last_message
    assert "Bagaimana pelatihannya" in ask.text and ask.buttons == [["1", "2", "3", "4", "5"]]
    assert not budi.messages and not cici.messages

    # Again, and after a restart: nothing new.
    assert len(await tick_job(bot, clock, DAY_ENDS + timedelta(minutes=1))) == 2
    await bot.restart()
    speed_up(bot)
    assert len(await tick_job(bot, clock, DAY_ENDS + timedelta(minutes=2))) == 2

    # The rating and a comment.
    await ani.press("4", message=ask)
    assert "⭐⭐⭐⭐" in ani.last_message.text
    await ani.send_text("Materinya bagus, praktiknya kurang lama.")
    assert "komentar Anda sudah kami terima" in ani.last_message.text
    await dedi.press("5")
    await dedi.press("Lewati")
    # Budi did not attend: a forged rating is refused.
    await budi.press_data(f"fb:r:{training_id}:1", message=ask)
    assert "hanya untuk peserta yang hadir" in budi.callback_answers[-1]["text"]
    with bot.session() as session:
        rows = {
            a.telegram_id: a
            for a in session.exec(select(Attendance).where(Attendance.training_id == training_id))
        }
    assert rows[ani.id].rating == 4 and rows[ani.id].comment.startswith("Materinya bagus")
    assert rows[dedi.id].rating == 5 and rows[dedi.id].comment is None
    assert rows[cici.id].rating is None

    # 30 days on: the first follow-up; Ani answers all three, Dedi none.
    day30 = STARTS + timedelta(days=30)
    assert len(await tick_job(bot, clock, day30 - timedelta(minutes=1))) == 2
    sent = await tick_job(bot, clock, day30)
    assert refs(sent)[2:] == [
        f"attendance:{ani_id}:followup:30",
        f"attendance:{dedi_id}:followup:30",
    ]
    assert "tiga pertanyaan" in ani.last_message.text
    await ani.press("Sebagian")
    assert "kegiatan Anda sekarang" in ani.last_message.text
    await ani.press("Usaha sendiri")
    await ani.press_data(f"fb:a:{training_id}:30:recommend:maybe")
    assert "tidak dikenal" in ani.callback_answers[-1]["text"]
    await ani.press("Ya")
    assert "jawaban Anda sudah tersimpan" in ani.last_message.text

    # Three days later one reminder, to Dedi only, once.
    sent = await tick_job(bot, clock, day30 + feedback.REMIND_AFTER)
    assert len(sent) == 5 and "followup:" in refs(sent)[4]
    assert "masih menunggu jawaban" in dedi.last_message.text
    assert len(await tick_job(bot, clock, day30 + timedelta(days=10))) == 5

    # 90 days on: the second wave, to both.
    sent = await tick_job(bot, clock, STARTS + timedelta(days=90))
    assert refs(sent)[5:] == [
        f"attendance:{ani_id}:followup:90",
        f"attendance:{dedi_id}:followup:90",
    ]
    with bot.session() as session:
        answered = session.exec(
            select(FollowUp).where(col(FollowUp.answered_at).is_not(None))
        ).all()
    assert [(f.days, f.used, f.situation, f.recommend) for f in answered] == [
        (30, "partly", "own_business", "yes")
    ]
    assert not budi.messages and not cici.messages


def _attendance_id(bot, training_id: int, telegram_id: int) -> int:
    with bot.session() as session:
        row = session.exec(
            select(Attendance).where(
                Attendance.training_id == training_id, Attendance.telegram_id == telegram_id
            )
        ).one()
        assert row.id is not None
        return row.id


async def test_feedback_comes_at_the_end_time_when_one_is_given(bot, server, clock):
    speed_up(bot)
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    ani = server.new_user(first_name="Ani")
    seed_cadre(bot, ani.id, village_code(bot, BONTANG_BARAT, "Kanaan"), name="Ani")
    ends = STARTS + timedelta(hours=7)  # 15.00 WITA
    with bot.session() as session:
        training = training_store.create_training(
            session,
            title="Kue Basah",
            description="-",
            starts_at=STARTS,
            ends_at=ends,
            place="Aula",
            quota=None,
            area_code=BONTANG_BARAT,
            institutions=[],
            created_by=coordinator.id,
        )
        session.commit()
        store.tick(session, training.id, ani.id, coordinator.id, STARTS)
    assert await tick_job(bot, clock, ends - timedelta(minutes=1)) == []
    sent = await tick_job(bot, clock, ends)
    assert refs(sent) == [f"attendance:{_attendance_id(bot, training.id, ani.id)}:feedback"]
    assert "Bagaimana pelatihannya" in ani.last_message.text
    assert len(await tick_job(bot, clock, DAY_ENDS)) == 1  # not again at midnight
