"""Training announcements end to end: creation, RSVPs, waiting list, /pelatihan, /peserta."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.training import parse_when
from storage import outbox, people, privacy
from storage import training as store
from storage.models import AuditLog, Broadcast, BroadcastRecipient, TrainingRsvp, utcnow
from storage.training import RsvpResult
from tests.auxil.broadcast import announce_training, speed_up, wait_finished
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    village_code,
)
from tests.auxil.reminders import received

PAID = {"paid_broadcast": True, "broadcast_rate": 1000.0}
WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
async def fast(bot):
    await bot.restart(**PAID)
    speed_up(bot)
    return bot


def cadres(bot, server, count: int, village: str, institution: str = "pkk") -> list:
    users = [server.new_user(first_name=f"Kader{n}") for n in range(count)]
    for user in users:
        seed_cadre(bot, user.id, village, name=user.first_name, institution=institution)
    return users


def announcement(user, training_id: int | None = None):
    """The newest training announcement (of that training) in the user's chat."""
    wanted = f"tr:y:{training_id}" if training_id else "tr:y:"
    return next(
        m
        for m in reversed(user.messages)
        if any(str(data).startswith(wanted) for row in m.button_data for data in row)
    )


def test_dates_are_read_the_indonesian_way():
    now = datetime(2026, 11, 24, 0, 0)  # UTC
    expected = datetime(2026, 12, 25, 0, 0)  # 08.00 WITA
    for text in (
        "25/12/2026 08.00",
        "25-12-2026 08:00",
        "25.12.26 8.00",
        "25 Desember 2026 pukul 08.00",
        "Jumat, 25 des 2026 jam 08.00 WITA",
    ):
        assert parse_when(text, WITA, now) == expected, text
    # Trainings read every form reminders read (issue 9): "besok 08.00" is tomorrow at 08.00.
    assert parse_when("besok 08.00", WITA, now) == datetime(2026, 11, 25, 0, 0)
    assert parse_when("besok", WITA, now) == "training.when_format"
    assert parse_when("apa saja", WITA, now) == "training.when_format"
    assert parse_when("31/02/2027 08.00", WITA, now) == "training.when_invalid"
    assert parse_when("01/01/2026 08.00", WITA, now) == "training.when_past"
    assert parse_when("01/01/2030 08.00", WITA, now) == "training.when_far"


async def test_coordinator_creates_and_announces_a_training(fast, server):
    bot = fast
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    receivers = cadres(bot, server, 3, kanaan, "posyandu")
    others = cadres(bot, server, 2, kanaan, "lpm")
    english = server.new_user(language_code="en")
    seed_cadre(bot, english.id, kanaan, institution="posyandu")
    with bot.session() as session:
        people.set_language(session, english.id, "en")
    year = datetime.now(WITA).year + 1

    await coordinator.send_text("/pelatihan_baru")
    assert "Pelatihan baru" in coordinator.last_message.text
    await coordinator.send_text("Gizi <Balita>")
    await coordinator.send_text("Materi penimbangan dan pencatatan KMS.")
    await coordinator.send_text("kapan saja")
    assert "belum terbaca" in coordinator.last_message.text
    await coordinator.send_text(f"25/12/{year} 08.00")
    weekday = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"][
        datetime(year, 12, 25).weekday()
    ]
    assert f"{weekday}, 25 Desember {year} pukul 08.00 WITA" in coordinator.texts[-2]
    assert "Sampai jam berapa?" in coordinator.last_message.text
    assert coordinator.last_message.buttons == [["Tanpa jam selesai"]]
    await coordinator.send_text("07.30")  # before the start
    assert "sesudah jam mulai" in coordinator.last_message.text
    await coordinator.send_text("25.00")
    assert "Jam itu tidak ada" in coordinator.last_message.text
    await coordinator.send_text("jam 3 sore")
    await coordinator.send_text("Aula Kantor Lurah Kanaan")
    await coordinator.send_text("nol")
    assert "angka 1 sampai" in coordinator.last_message.text
    await coordinator.send_text("25")
    await coordinator.press("Semua kader")
    await coordinator.press("Posyandu")
    await coordinator.press("Lanjut")
    preview = coordinator.messages[-2]
    assert "Pelatihan: Gizi <Balita>" in preview.text and "Kuota 25 peserta" in preview.text
    assert preview.buttons == [["✅ Ikut", "Tidak bisa"]]
    await coordinator.press("Ikut", message=preview)
    assert "hanya pratinjau" in coordinator.callback_answers[-1]["text"]
    assert "Penerima: 4 kader" in coordinator.last_message.text
    await coordinator.press("Umumkan")
    text = next(m.text for m in coordinator.messages if "diumumkan kepada" in (m.text or ""))
    assert "Pelatihan #" in text and "4 kader" in text
    training_id = int(text.split("#")[1].split()[0])
    with bot.session() as session:
        training = store.get_training(session, training_id)
        assert training is not None and training.quota == 25
        assert training.starts_at == datetime(year, 12, 25, 0, 0)
        assert training.ends_at == datetime(year, 12, 25, 7, 0)  # 15.00 WITA
    await wait_finished(bot, training.broadcast_id)
    for cadre in receivers:
        message = announcement(cadre)
        assert message.text.startswith("🎓 Pelatihan: Gizi <Balita>")
        assert f"{weekday}, 25 Desember {year} pukul 08.00 WITA, sampai 15.00\n" in message.text
        assert message.button_data == [[f"tr:y:{training_id}", f"tr:n:{training_id}"]]
    assert announcement(english).text.startswith("🎓 Training: Gizi <Balita>")
    assert f"25 December {year} at 08:00 WITA, until 15:00" in announcement(english).text
    await receivers[0].send_text("/pelatihan")  # every list says the end time too
    assert f"25 Desember {year} pukul 08.00 WITA, sampai 15.00" in receivers[0].last_message.text
    assert announcement(english).buttons == [["✅ Join", "Can't make it"]]
    assert all(user.texts == [] for user in others)
    with bot.session() as session:
        actions = [row.action for row in session.exec(select(AuditLog)).all()]
    assert "training.create" in actions


async def test_quota_waiting_list_and_promotion(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    first, second, third, fourth = cadres(bot, server, 4, kanaan)
    training = await announce_training(bot, area=kanaan, quota=2)
    for user in (first, second):
        await user.press("Ikut")
        assert user.callback_answers[-1]["text"] == "✅ Anda terdaftar!"
        assert "Anda terdaftar" in user.last_message.text
    await third.press("Ikut")
    assert "daftar tunggu nomor 1" in third.callback_answers[-1]["text"]
    await fourth.press("Ikut")
    assert "daftar tunggu nomor 2" in fourth.last_message.text

    await first.press("Tidak bisa", message=announcement(first))
    assert first.callback_answers[-1]["text"] == "Pendaftaran Anda dibatalkan."
    promoted = await third.wait_for_message(lambda m: "Ada tempat kosong" in (m.text or ""))
    assert promoted.buttons == [["Batalkan: Pelatihan Kader Posyandu"]]
    await fourth.press("Ikut", message=announcement(fourth))
    assert "masih di daftar tunggu nomor 1" in fourth.callback_answers[-1]["text"]
    with bot.session() as session:
        seats = store.seats(session, training.id)
    assert (seats.going, seats.waiting, seats.declined) == (2, 1, 1)
    # The promoted cadre changes their mind from the notification: the next in line moves up.
    await third.press("Batalkan")
    await fourth.wait_for_message(lambda m: "Ada tempat kosong" in (m.text or ""))
    with bot.session() as session:
        going = {p.telegram_id for p in store.participants(session, training.id)}
    assert going == {second.id, fourth.id}


async def test_double_taps_restarts_and_concurrent_taps_count_once(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    eager, rival = cadres(bot, server, 2, kanaan)
    training = await announce_training(bot, area=kanaan, quota=1)
    message = announcement(eager)
    # Two taps at once by one cadre, and a rival tapping for the last seat at the same moment.
    await asyncio.gather(
        eager.press("Ikut", message=message),
        eager.press("Ikut", message=message),
        rival.press("Ikut", message=announcement(rival)),
    )
    eager_answers = sorted(a["text"] for a in eager.callback_answers)
    [rival_answer] = [a["text"] for a in rival.callback_answers]
    if rival_answer == "✅ Anda terdaftar!":  # one seat, one winner; the double tap counts once
        assert eager_answers == [
            "Anda masih di daftar tunggu nomor 1.",
            "Kuota penuh. Anda di daftar tunggu nomor 1.",
        ]
    else:
        assert eager_answers == ["Anda sudah terdaftar untuk pelatihan ini.", "✅ Anda terdaftar!"]
        assert rival_answer == "Kuota penuh. Anda di daftar tunggu nomor 1."
    await bot.restart(**PAID)
    await eager.press("Ikut", message=message)
    await rival.press("Ikut", message=announcement(rival))
    with bot.session() as session:
        rows = session.exec(select(TrainingRsvp)).all()
        seats = store.seats(session, training.id)
    assert len(rows) == 2 and (seats.going, seats.waiting) == (1, 1)
    assert eager.callback_answers[-1]["text"] in (
        "Anda sudah terdaftar untuk pelatihan ini.",
        "Anda masih di daftar tunggu nomor 1.",
    )


@pytest.mark.parametrize("joining", [True, False])
def test_simultaneous_answers_in_threads_are_serialised(bot, server, joining):
    """Many cadres answering one training at the same instant, each in its own transaction."""
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    ids = list(range(50_001, 50_013))
    for telegram_id in ids:
        seed_cadre(bot, telegram_id, kanaan)
    with bot.session() as session:
        training = store.create_training(
            session,
            title="Uji",
            description="Uji",
            starts_at=utcnow() + timedelta(days=3),
            place="Aula",
            quota=3,
            area_code=kanaan,
            institutions=[],
            created_by=1,
        )
    if not joining:  # everybody is in first; then all cancel at once
        with bot.session() as session:
            for telegram_id in ids:
                store.respond(session, training.id, telegram_id, True)
    gate = threading.Barrier(len(ids) + 2)
    results: list[RsvpResult] = []

    def answer(telegram_id: int) -> None:
        gate.wait()
        with bot.session() as session:
            results.append(store.respond(session, training.id, telegram_id, joining).result)

    threads = [threading.Thread(target=answer, args=(i,)) for i in [*ids, ids[0], ids[0]]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with bot.session() as session:
        seats = store.seats(session, training.id)
        rows = session.exec(select(TrainingRsvp)).all()
    assert len(rows) == len(ids)
    if joining:
        assert (seats.going, seats.waiting) == (3, 9)
        assert results.count(RsvpResult.JOINED) == 3
        waiting = [r for r in rows if r.status == "waiting"]
        with bot.session() as session:
            positions = sorted(
                store._position(session, training.id, r.telegram_id) for r in waiting
            )
        assert positions == list(range(1, 10))
    else:
        assert (seats.going, seats.waiting, seats.declined) == (0, 0, 12)
        assert results.count(RsvpResult.CANCELLED) == 12


async def test_past_closed_and_foreign_trainings_cannot_be_joined(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = cadres(bot, server, 1, kanaan)[0]
    stranger = cadres(bot, server, 1, village_code(bot, BONTANG_UTARA, "Api-Api"))[0]
    past = await announce_training(bot, area=kanaan, starts_in=timedelta(seconds=1))
    await asyncio.sleep(1.1)
    await cadre.press("Ikut", message=announcement(cadre))
    answer = cadre.callback_answers[-1]
    assert "sudah berlangsung" in answer["text"] and answer["show_alert"]

    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    open_one = await announce_training(bot, area=BONTANG_BARAT, title="Pelatihan Kedua")
    await coordinator.send_text(f"/peserta {open_one.id}")
    await coordinator.press("Tutup pendaftaran")
    assert coordinator.callback_answers[-1]["text"] == "Pendaftaran ditutup."
    assert "Pendaftaran sudah ditutup" in coordinator.last_message.text
    await cadre.press_data(f"tr:y:{open_one.id}")
    assert "sudah ditutup" in cadre.callback_answers[-1]["text"]
    await stranger.send_text("/start")  # gives the stranger a chat with buttons to press from
    await stranger.press_data(f"tr:y:{open_one.id}", message=stranger.last_message)
    assert "wilayah atau lembaga lain" in stranger.callback_answers[-1]["text"]
    with bot.session() as session:
        assert store.seats(session, open_one.id).going == 0
        assert store.seats(session, past.id).going == 0


async def test_pelatihan_lists_my_trainings_and_cancels(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = cadres(bot, server, 1, kanaan)[0]
    joined = await announce_training(bot, area=kanaan, title="Pelatihan Administrasi")
    await announce_training(bot, area=BONTANG_BARAT, title="Pelatihan Lain", quota=10)
    await cadre.press("Ikut", message=announcement(cadre, joined.id))
    await cadre.send_text("/pelatihan")
    listing = cadre.last_message
    assert "Pelatihan Administrasi" in listing.text and "Anda terdaftar" in listing.text
    assert "Pelatihan Lain" in listing.text and "Belum mendaftar" in listing.text
    assert listing.buttons == [["Batalkan: Pelatihan Administrasi"], ["Ikut: Pelatihan Lain"]]
    await cadre.press("Batalkan: Pelatihan Administrasi")
    with bot.session() as session:
        assert store.seats(session, joined.id).declined == 1
    outsider = server.new_user()
    await outsider.send_text("/pelatihan")
    assert "hanya untuk kader yang sudah terdaftar" in outsider.last_message.text


async def test_peserta_shows_names_and_enforces_scope(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    first, second = cadres(bot, server, 2, kanaan)
    coordinator, foreign = server.new_user(), server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    seed_coordinator(bot, foreign.id, BONTANG_UTARA)
    training = await announce_training(bot, area=kanaan, quota=1)
    await first.press("Ikut", message=announcement(first))
    await second.press("Ikut", message=announcement(second))

    await coordinator.send_text("/peserta")
    await coordinator.press(f"#{training.id}")
    listing = coordinator.last_message.text
    assert "Terdaftar: 1 dari 1" in listing and "Daftar tunggu: 1" in listing
    assert "1. Kader0 — Kel. Kanaan (PKK)" in listing
    assert "Daftar tunggu" in listing and "1. Kader1" in listing

    await foreign.send_text(f"/peserta {training.id}")
    assert "di luar wilayah tugas" in foreign.last_message.text
    await foreign.press_data(f"tr:close:{training.id}", message=foreign.last_message)
    assert "di luar wilayah tugas" in foreign.callback_answers[-1]["text"]
    await first.send_text("/peserta")
    assert "hanya dapat diumumkan dan dikelola" in first.last_message.text
    with bot.session() as session:
        assert store.get_training(session, training.id).registration_closed_at is None
        actions = [row.action for row in session.exec(select(AuditLog)).all()]
    assert actions.count("training.participants_refused") == 1
    assert actions.count("training.close_refused") == 1


async def test_erasing_a_cadre_forgets_answers_and_delivery_rows(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = cadres(bot, server, 1, kanaan)[0]
    training = await announce_training(bot, area=kanaan)
    await cadre.press("Ikut", message=announcement(cadre))
    with bot.session() as session:
        privacy.delete_personal_data(session, cadre.id)
    with bot.session() as session:
        assert session.exec(select(TrainingRsvp)).all() == []
        rows = session.exec(select(BroadcastRecipient)).all()
        assert rows and all(row.chat_id is None for row in rows)
        assert outbox.broadcast_status(session, training.broadcast_id).sent == 1


def test_when_is_stored_in_utc():
    result = parse_when("01/06/2027 13.30", WITA, datetime(2026, 1, 1))
    assert result == datetime(2027, 6, 1, 5, 30)
    assert result.replace(tzinfo=UTC).astimezone(WITA).hour == 13


# ---------------------------------------------------------------- calling off and moving


def notification_refs(bot) -> list[str]:
    with bot.session() as session:
        rows = session.exec(select(Broadcast).where(Broadcast.kind == "notification"))
        return [row.ref or "" for row in rows.all()]


def audit_actions(bot) -> list[str]:
    with bot.session() as session:
        return [row.action for row in session.exec(select(AuditLog)).all()]


async def test_coordinator_calls_a_training_off(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    going, waiting, undecided = cadres(bot, server, 3, kanaan)
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training = await announce_training(
        bot, area=kanaan, quota=1, title="Pelatihan Kompos", creator=coordinator.id
    )
    await going.press("Ikut", message=announcement(going))
    await waiting.press("Ikut", message=announcement(waiting))

    await coordinator.send_text(f"/peserta {training.id}")
    assert coordinator.last_message.buttons == [
        ["🔒 Tutup pendaftaran"],
        ["🗓 Ubah jadwal", "❌ Batalkan pelatihan"],
        ["📋 Absensi"],  # issue 13: the check-in QR code
        ["🔄 Perbarui"],
    ]
    await coordinator.press("❌ Batalkan pelatihan")
    confirm = coordinator.last_message
    assert "Yakin ingin membatalkan pelatihan Pelatihan Kompos" in confirm.text
    with bot.session() as session:  # nothing happens before the confirmation
        assert not store.get_training(session, training.id).cancelled
    await coordinator.press("Tidak jadi", message=confirm)
    with bot.session() as session:
        assert not store.get_training(session, training.id).cancelled
    await coordinator.press("Ya, batalkan", message=confirm)
    assert "2 kader" in coordinator.callback_answers[-1]["text"]
    assert "Pelatihan ini dibatalkan" in coordinator.last_message.text
    assert coordinator.last_message.buttons == [["🔄 Perbarui"]]

    for user in (going, waiting):
        [notice] = await received(user, "Mohon maaf")
        assert "Pelatihan Kompos" in notice and "WITA" in notice
    assert notification_refs(bot) == [f"training:{training.id}:cancel"]
    assert not any("Mohon maaf" in (m.text or "") for m in undecided.messages)

    # No more answers, in either direction; cadres no longer see it.
    await undecided.press("Ikut", message=announcement(undecided))
    refused = undecided.callback_answers[-1]
    assert "dibatalkan oleh penyelenggara" in refused["text"] and refused["show_alert"]
    await going.press("Tidak bisa", message=announcement(going))
    assert "dibatalkan oleh penyelenggara" in going.callback_answers[-1]["text"]
    with bot.session() as session:
        seats = store.seats(session, training.id)
    assert (seats.going, seats.waiting, seats.declined) == (1, 1, 0)
    await undecided.send_text("/pelatihan")
    assert undecided.last_message.text == "Belum ada pelatihan mendatang untuk Anda."

    # Coordinators still see it, marked; a second cancellation changes nothing.
    await coordinator.send_text("/peserta")
    label = coordinator.last_message.buttons[0][0]
    assert label.startswith("❌ ") and f"· #{training.id} Pelatihan Kompos (batal)" in label
    await coordinator.press("Ya, batalkan", message=confirm)
    assert "sudah dibatalkan" in coordinator.callback_answers[-1]["text"]
    assert notification_refs(bot) == [f"training:{training.id}:cancel"]
    assert audit_actions(bot).count("training.cancel") == 2  # the second one: done=False


async def test_a_coordinator_of_another_kecamatan_cannot_cancel_or_move(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    member = cadres(bot, server, 1, kanaan)[0]
    foreign = server.new_user()
    seed_coordinator(bot, foreign.id, BONTANG_UTARA)
    training = await announce_training(bot, area=kanaan)
    await member.press("Ikut", message=announcement(member))

    await foreign.send_text("/start")  # a chat with buttons to forge from
    for data in (f"tr:x:{training.id}", f"tr:xy:{training.id}", f"tr:mv:{training.id}"):
        await foreign.press_data(data, message=foreign.last_message)
        answer = foreign.callback_answers[-1]
        assert "di luar wilayah tugas" in answer["text"] and answer["show_alert"]
    await foreign.send_text("01/01/2030 08.00")  # not in a rescheduling conversation
    with bot.session() as session:
        after = store.get_training(session, training.id)
    assert not after.cancelled and after.starts_at == training.starts_at
    assert notification_refs(bot) == []
    actions = audit_actions(bot)
    assert actions.count("training.cancel_refused") == 2
    assert actions.count("training.move_refused") == 1
    await member.press("Tidak bisa", message=announcement(member))
    assert member.callback_answers[-1]["text"] == "Pendaftaran Anda dibatalkan."


async def test_coordinator_moves_a_training_and_participants_hear_the_new_time(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    member, other = cadres(bot, server, 2, kanaan)
    english = server.new_user(language_code="en")
    seed_cadre(bot, english.id, kanaan)
    with bot.session() as session:
        people.set_language(session, english.id, "en")
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training = await announce_training(
        bot, area=kanaan, title="Pelatihan Ecobrick", creator=coordinator.id
    )
    await member.press("Ikut", message=announcement(member))
    await english.press("Join", message=announcement(english))
    year = datetime.now(WITA).year + 1

    await coordinator.send_text(f"/peserta {training.id}")
    await coordinator.press("🗓 Ubah jadwal")
    assert "Ketik tanggal dan jam yang baru" in coordinator.last_message.text
    await coordinator.send_text("minggu depan")
    assert "belum terbaca" in coordinator.last_message.text
    await coordinator.send_text("01/01/2020 08.00")
    assert "sudah lewat" in coordinator.last_message.text
    await coordinator.send_text(f"26 Desember {year} pukul 09.30")
    weekday = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"][
        datetime(year, 12, 26).weekday()
    ]
    new_when = f"{weekday}, 26 Desember {year} pukul 09.30 WITA"
    reply = coordinator.last_message.text
    assert f"dipindah ke {new_when}" in reply and "2 kader" in reply
    with bot.session() as session:
        moved = store.get_training(session, training.id)
    assert moved.starts_at == datetime(year, 12, 26, 1, 30)  # stored in UTC

    [notice] = await received(member, "Perubahan jadwal")
    assert "Pelatihan Ecobrick" in notice and new_when in notice
    [english_notice] = await received(english, "New date")
    assert f"26 December {year} at 09:30 WITA" in english_notice
    assert not any("Perubahan jadwal" in (m.text or "") for m in other.messages)
    assert notification_refs(bot) == [f"training:{training.id}:moved:{year}-12-26T01:30"]
    assert "training.move" in audit_actions(bot)

    # A second start ends with /batal: nothing changes.
    await coordinator.press("🗓 Ubah jadwal")
    await coordinator.send_text("/batal")
    assert "tidak diubah" in coordinator.last_message.text
    await member.send_text("/pelatihan")
    assert new_when in member.last_message.text


async def test_rescheduling_survives_a_restart(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training = await announce_training(bot, area=kanaan, creator=coordinator.id)
    year = datetime.now(WITA).year + 1
    await coordinator.send_text(f"/peserta {training.id}")
    await coordinator.press("🗓 Ubah jadwal")
    await bot.restart(**PAID)
    await coordinator.send_text(f"02/02/{year} 10.00")
    assert "dipindah ke" in coordinator.last_message.text
    with bot.session() as session:
        assert store.get_training(session, training.id).starts_at == datetime(year, 2, 2, 2, 0)
    assert notification_refs(bot) == []  # nobody had signed up


def test_cancel_and_reschedule_rules(bot):
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    now = utcnow()
    with bot.session() as session:
        ahead = store.create_training(
            session,
            title="Uji",
            description="Uji",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=6),
            place="Aula",
            quota=None,
            area_code=kanaan,
            institutions=[],
            created_by=1,
        )
    later = now + timedelta(days=5)
    with bot.session() as session:
        assert (
            store.reschedule_training(session, ahead.id, now - timedelta(hours=1), 1, now) is None
        )
        assert store.reschedule_training(session, ahead.id, ahead.starts_at, 1, now) is None
        moved = store.reschedule_training(session, ahead.id, later, 1, now)
        assert moved is not None and moved.starts_at == later
        assert moved.ends_at == later + timedelta(hours=6)  # it lasts as long
        # Once it has started it can be neither moved nor called off.
        assert store.cancel_training(session, ahead.id, 1, later + timedelta(minutes=1)) is None
        cancelled = store.cancel_training(session, ahead.id, 7, now)
        assert cancelled is not None and cancelled.cancelled_at == now
        assert store.cancel_training(session, ahead.id, 7, now) is None
        assert (
            store.reschedule_training(session, ahead.id, later + timedelta(days=1), 1, now) is None
        )
        assert store.cancel_training(session, 999_999, 7, now) is None


# ---------------------------------------------------------------- the form, buttons, dates (issue 9)


async def test_change_a_field_from_the_preview_and_resume_after_a_restart(fast, server):
    bot = fast
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadres(bot, server, 2, kanaan)
    year = datetime.now(WITA).year + 1

    await coordinator.send_text(f"/pelatihan_baru {kanaan}")
    await coordinator.send_text("Pelatihan BUMDes & Koperasi")
    await bot.restart(**PAID)  # the form survives a restart at any step
    await coordinator.send_text("Tata kelola dan pembukuan.")
    await coordinator.send_sticker()  # not text: the question again, under a polite note
    assert "mengetik teks" in coordinator.last_message.text
    assert "Kapan pelatihannya?" in coordinator.last_message.text
    await coordinator.send_text(f"14/12/{year} 08.00")
    await coordinator.press("Tanpa jam selesai")
    await coordinator.send_text("Aula Kelurahan Kanaan")
    await coordinator.send_text("1234")
    await coordinator.press("Lanjut")  # the area came with the command: institutions only
    assert "Penerima: 2 kader" in coordinator.last_message.text
    assert "👥 Kuota 1.234 peserta" in coordinator.messages[-2].text  # counts via bot.moments

    await coordinator.press("Ubah waktu")
    assert "Kapan pelatihannya?" in coordinator.last_message.text
    await coordinator.send_text(f"15/12/{year} 13.30")
    preview = coordinator.messages[-2]  # straight back to the preview, with the new time
    assert "Pelatihan: Pelatihan BUMDes &amp; Koperasi" not in preview.text
    assert "Pelatihan: Pelatihan BUMDes & Koperasi" in preview.text
    assert f"15 Desember {year} pukul 13.30 WITA" in preview.text
    assert "Penerima: 2 kader" in coordinator.last_message.text
    assert "sampai" not in preview.text
    # An end time added from the preview; it moves with the day when the time changes again.
    await coordinator.press("Ubah jam selesai")
    assert "Sampai jam berapa?" in coordinator.last_message.text
    await coordinator.send_text("16.00")
    assert f"15 Desember {year} pukul 13.30 WITA, sampai 16.00" in coordinator.messages[-2].text
    await coordinator.press("Ubah waktu")
    await coordinator.send_text(f"16/12/{year} 09.00")
    preview = coordinator.messages[-2]
    assert f"16 Desember {year} pukul 09.00 WITA, sampai 11.30" in preview.text
    await coordinator.send_text("umumkan saja")  # typing at the preview: the buttons again
    assert "gunakan tombol" in coordinator.last_message.text
    assert "Penerima: 2 kader" in coordinator.last_message.text
    await coordinator.press("Umumkan")  # the delivery progress may already follow it
    assert any("diumumkan kepada 2 kader" in (m.text or "") for m in coordinator.messages)
    with bot.session() as session:
        [training] = store.manageable_trainings(session, [BONTANG_BARAT], utcnow())
    assert training.starts_at == datetime(year, 12, 16, 1, 0) and training.quota == 1234
    assert training.ends_at == datetime(year, 12, 16, 3, 30)


async def test_button_labels_are_plain_text_and_forged_buttons_are_refused(fast, server):
    bot = fast
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    cadre = cadres(bot, server, 1, kanaan)[0]
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training = await announce_training(bot, area=kanaan, title="Pelatihan BUMDes & Koperasi")
    await cadre.press("Ikut", message=announcement(cadre))
    await cadre.send_text("/pelatihan")
    assert cadre.last_message.buttons == [["Batalkan: Pelatihan BUMDes & Koperasi"]]

    await coordinator.send_text("/peserta")
    [[label]] = coordinator.last_message.buttons
    assert label.endswith(f"· #{training.id} Pelatihan BUMDes & Koperasi") and "&amp;" not in label
    await coordinator.press(f"#{training.id}")
    assert "1. Kader0" in coordinator.last_message.text

    for data in ("tr:y:abc", "tr:y:²", f"tr:y:{training.id}:1", "tr:close:-1"):
        await cadre.press_data(data, message=cadre.last_message)
        assert cadre.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    with bot.session() as session:
        assert store.seats(session, training.id).going == 1


async def test_an_idle_rescheduling_expires(fast, server):
    bot = fast
    await bot.restart(conversation_timeout=timedelta(seconds=1), **PAID)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training = await announce_training(bot, area=kanaan, creator=coordinator.id)
    await coordinator.send_text(f"/peserta {training.id}")
    await coordinator.press("🗓 Ubah jadwal")
    await coordinator.wait_for_message(lambda m: "kedaluwarsa" in (m.text or ""), timeout=5)
    year = datetime.now(WITA).year + 1
    await coordinator.send_text(f"02/02/{year} 10.00")  # too late: nothing moves
    with bot.session() as session:
        assert store.get_training(session, training.id).starts_at == training.starts_at
