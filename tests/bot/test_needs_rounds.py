"""/survei_kebutuhan end to end: open a round, invitations, progress, the reminder that reaches
only non-responders (once, across restarts), scope checks, closing early."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.context import BotContext
from bot.needs import rounds
from storage.models import AuditLog, Broadcast, BroadcastRecipient, NeedAnswer, NeedRound, utcnow
from tests.auxil.broadcast import speed_up, wait_finished
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    village_code,
)

PAID = {"paid_broadcast": True, "broadcast_rate": 1000.0}


def broadcast_of(bot, ref: str) -> Broadcast | None:
    with bot.session() as session:
        return session.exec(select(Broadcast).where(Broadcast.ref == ref)).first()


def recipients(bot, broadcast_id: int) -> set[int]:
    with bot.session() as session:
        rows = session.exec(
            select(BroadcastRecipient.chat_id).where(
                BroadcastRecipient.broadcast_id == broadcast_id
            )
        ).all()
    return set(rows)


async def answer(cadre, need: str = "Las") -> None:
    await cadre.send_text("/kebutuhan")
    await cadre.press(need)
    await cadre.press("Lanjut")
    await cadre.send_text("Jalan desa rusak")
    await cadre.send_text("Kerupuk amplang")
    await cadre.press("Tanpa foto")
    await cadre.press("Kirim")


async def test_round_invites_reminds_non_responders_once_and_closes(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    belimbing = village_code(bot, BONTANG_BARAT, "Belimbing")
    api_api = village_code(bot, BONTANG_UTARA, "Api-Api")
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, "Rina")
    in_kanaan = [server.new_user() for _ in range(3)]
    in_belimbing = [server.new_user() for _ in range(2)]
    outside = server.new_user()
    for user in in_kanaan:
        seed_cadre(bot, user.id, kanaan)
    for user in in_belimbing:
        seed_cadre(bot, user.id, belimbing)
    seed_cadre(bot, outside.id, api_api)

    await coordinator.send_text("/survei_kebutuhan")
    assert "Belum ada survei" in coordinator.last_message.text
    await coordinator.press("Buka survei baru")
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    assert "Sampai kapan" in coordinator.last_message.text
    await coordinator.send_text("31/02")
    assert "tidak ada di kalender" in coordinator.last_message.text
    await coordinator.send_text("lusa 17.00")
    confirm = coordinator.last_message.text
    assert "Undangan: 5 kader" in confirm and "pukul 17.00 WITA" in confirm
    await coordinator.press("Buka survei")
    assert "Survei #" in coordinator.last_message.text
    with bot.session() as session:
        (round_row,) = session.exec(select(NeedRound)).all()
    invite = broadcast_of(bot, f"needs_round:{round_row.id}:invite")
    assert invite is not None and invite.id is not None
    await wait_finished(bot, invite.id)
    for user in in_kanaan + in_belimbing:
        assert "Survei kebutuhan pelatihan" in user.texts[-1] and "/kebutuhan" in user.texts[-1]
    assert outside.texts == []

    await answer(in_kanaan[0])
    with bot.session() as session:
        (row,) = session.exec(select(NeedAnswer)).all()
    assert row.period == f"round:{round_row.id}" and row.round_id == round_row.id

    await coordinator.press("Lihat perkembangan")
    progress = coordinator.last_message.text
    assert "Sudah menjawab: 1 dari 5" in progress
    assert "Kel. Kanaan: 1/3" in progress and "Kel. Belimbing: 0/2" in progress

    # A coordinator of another kecamatan cannot read it, even with forged data.
    other = server.new_user()
    seed_coordinator(bot, other.id, BONTANG_UTARA)
    await other.send_text("/survei_kebutuhan")
    await other.press_data(f"nr:v:{round_row.id}")
    alert = server.calls_for("answerCallbackQuery")[-1].params
    assert "di luar wilayah" in alert["text"] and alert.get("show_alert")
    assert "Sudah menjawab" not in (other.last_message.text or "")
    await other.press_data("nr:v:99999999999999999999")  # forged: not a bounded number

    # The reminder is due: it goes once, to the four who have not answered.
    with bot.session() as session:
        stored = session.get(NeedRound, round_row.id)
        assert stored is not None
        stored.remind_at = utcnow() - timedelta(minutes=1)
        session.add(stored)
    assert bot.app is not None
    await rounds.remind_due(BotContext(bot.app))
    await bot.restart(**PAID)
    speed_up(bot)
    assert bot.app is not None
    await rounds.remind_due(BotContext(bot.app))
    reminder = broadcast_of(bot, f"needs_round:{round_row.id}:reminder")
    assert reminder is not None and reminder.id is not None
    assert recipients(bot, reminder.id) == {u.id for u in in_kanaan[1:] + in_belimbing}
    await wait_finished(bot, reminder.id)
    assert "Pengingat survei" in in_belimbing[0].texts[-1]
    assert not any("Pengingat" in text for text in in_kanaan[0].texts)
    with bot.session() as session:
        assert len(session.exec(select(Broadcast)).all()) == 2

    await coordinator.send_text("/survei_kebutuhan")
    await coordinator.press(f"Survei #{round_row.id}")
    await coordinator.press("Tutup sekarang")
    await coordinator.press("Ya, tutup")
    assert "ditutup" in coordinator.last_message.text
    with bot.session() as session:
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
    assert {"needs.round_open", "needs.round_close", "needs.round_refused"} <= set(actions)


async def test_cadres_cannot_open_rounds(bot, server):
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_BARAT, "Kanaan"))
    await cadre.send_text("/survei_kebutuhan")
    assert "hanya dapat dibuka" in cadre.last_message.text
