"""Trainings that count (issue 13): check-in by QR link, manual ticks, certificates,
/verifikasi and the /profil history, end to end through the fake server."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlmodel import select

from bot.training import attendance as attendance_handlers
from bot.training import location as location_handlers
from storage import attendance as store
from storage import training as training_store
from storage import venue_check
from storage.models import Attendance, AuditLog
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    village_code,
)

# Senin, 14 Desember 2026 pukul 08.00 WITA (00.00 UTC); the link opens at 07.00 WITA and
# closes at midnight WITA (16.00 UTC).
STARTS = datetime(2026, 12, 14, 0, 0)


@pytest.fixture
def clock(monkeypatch):
    """The check-in's clock, set by the test: `clock.now = …` (naive UTC)."""

    class Clock:
        now = STARTS

    monkeypatch.setattr(attendance_handlers, "utcnow", lambda: Clock.now)
    return Clock


def seed_training(bot, creator: int, area: str = BONTANG_BARAT, title: str = "Gizi Balita") -> int:
    with bot.session() as session:
        training = training_store.create_training(
            session,
            title=title,
            description="Penimbangan dan KMS.",
            starts_at=STARTS,
            place="Aula Kantor Lurah Kanaan",
            quota=None,
            area_code=area,
            institutions=[],
            created_by=creator,
        )
        session.commit()
        return training.id


def sign_up(bot, training_id: int, *users) -> None:
    with bot.session() as session:
        for user in users:
            training_store.respond(session, training_id, user.id, True, STARTS - timedelta(days=3))


def cadre(bot, server, name: str):
    user = server.new_user(first_name=name)
    seed_cadre(bot, user.id, village_code(bot, BONTANG_BARAT, "Kanaan"), name=name)
    return user


def present(bot, training_id: int) -> dict[int, Attendance]:
    with bot.session() as session:
        rows = session.exec(select(Attendance).where(Attendance.training_id == training_id))
        return {row.telegram_id: row for row in rows}


async def open_checkin(coordinator, training_id: int):
    """/absensi, pick the training: the QR photo with the link in its caption."""
    await coordinator.send_text("/absensi")
    await coordinator.press(f"att:o:{training_id}")
    photo = coordinator.last_message
    assert photo.kind == "photo"
    return photo


def link_of(photo) -> str:
    return next(word for word in photo.text.split() if word.startswith("https://t.me/"))


async def test_qr_code_decodes_to_the_link_and_checks_cadres_in_once(bot, server, clock):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training_id = seed_training(bot, coordinator.id)
    ani, budi = cadre(bot, server, "Ani"), cadre(bot, server, "Budi")
    sign_up(bot, training_id, ani)

    photo = await open_checkin(coordinator, training_id)
    link = link_of(photo)
    assert link.startswith("https://t.me/forkom_test_bot?start=hadir_")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(photo.file_bytes)))
    assert [code.text for code in decoded] == [link]
    assert "Absensi: Gizi Balita" in photo.text
    assert "Senin, 14 Desember 2026 pukul 07.00 WITA" in photo.text  # opens an hour early
    assert "Selasa, 15 Desember 2026 pukul 00.00 WITA" in photo.text  # until the day ends
    payload = link.split("start=")[1]

    clock.now = STARTS - timedelta(hours=2)
    await ani.send_text(f"/start {payload}")
    assert "belum dibuka" in ani.last_message.text
    assert "Senin, 14 Desember 2026 pukul 07.00 WITA" in ani.last_message.text
    assert present(bot, training_id) == {}

    clock.now = STARTS - timedelta(minutes=30)
    await ani.send_text(f"/start {payload}")
    assert "sudah tercatat" in ani.last_message.text
    assert ani.last_message.buttons == [["📄 Unduh sertifikat"]]
    await ani.send_text(f"/start {payload}")
    assert "sudah tercatat sebelumnya" in ani.last_message.text

    await budi.send_text(f"/start {payload}")
    assert "datang langsung" in budi.last_message.text
    rows = present(bot, training_id)
    assert set(rows) == {ani.id, budi.id}
    assert not rows[ani.id].walk_in and rows[budi.id].walk_in
    assert rows[ani.id].ticked_by is None

    stranger = server.new_user(first_name="Tamu")
    await stranger.send_text(f"/start {payload}")
    assert "kader yang sudah terdaftar" in stranger.last_message.text

    clock.now = datetime(2026, 12, 14, 16, 0)  # midnight WITA: closed
    late = cadre(bot, server, "Citra")
    await late.send_text(f"/start {payload}")
    assert "sudah ditutup" in late.last_message.text

    await late.send_text("/start hadir_tidakada")
    assert "tidak dikenal" in late.last_message.text
    assert set(present(bot, training_id)) == {ani.id, budi.id}


async def test_coordinator_ticks_and_unticks_by_hand(bot, server, clock):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training_id = seed_training(bot, coordinator.id)
    ani, budi = cadre(bot, server, "Ani"), cadre(bot, server, "Budi")
    sign_up(bot, training_id, ani, budi)

    # From /peserta: the "Absensi" button opens the same QR code.
    await coordinator.send_text(f"/peserta {training_id}")
    await coordinator.press("📋 Absensi")
    assert coordinator.last_message.kind == "photo"
    await coordinator.press("Centang kehadiran")
    assert coordinator.last_message.buttons[:2] == [["⬜ Ani"], ["⬜ Budi"]]
    await coordinator.press("⬜ Budi")
    assert coordinator.callback_answers[-1]["text"] == "Ditandai hadir."
    assert coordinator.last_message.buttons[:2] == [["⬜ Ani"], ["✅ Budi"]]
    assert "Hadir: 1 orang" in coordinator.last_message.text
    rows = present(bot, training_id)
    assert rows[budi.id].ticked_by == coordinator.id and not rows[budi.id].walk_in
    await coordinator.press("✅ Budi")
    assert coordinator.last_message.buttons[:2] == [["⬜ Ani"], ["⬜ Budi"]]
    assert present(bot, training_id) == {}


async def test_forged_and_out_of_scope_buttons_are_refused(bot, server, clock):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    mine = seed_training(bot, coordinator.id)
    elsewhere = seed_training(bot, coordinator.id, area=BONTANG_UTARA, title="Lain")
    ani = cadre(bot, server, "Ani")

    await coordinator.send_text("/absensi")
    assert [row[0] for row in coordinator.last_message.buttons] == [
        f"Sen, 14 Des 08.00 · #{mine} Gizi Balita"
    ]
    for data in (f"att:o:{elsewhere}", f"att:t:{elsewhere}:{ani.id}", f"att:c:{elsewhere}"):
        await coordinator.press_data(data)
        assert "di luar wilayah" in coordinator.callback_answers[-1]["text"]
    await coordinator.press_data(f"att:t:{mine}:777000111")  # nobody's id
    forged = coordinator.callback_answers[-1]["text"]
    assert forged and "di luar wilayah" not in forged
    await coordinator.press_data("att:t:1:²")
    assert coordinator.callback_answers[-1]["text"]
    # A cadre cannot open the coordinator's buttons either.
    await ani.send_text("/absensi")
    assert "hanya dapat dibuka" in ani.last_message.text
    await ani.press_data(f"att:t:{mine}:{ani.id}", message=coordinator.last_message)
    assert present(bot, mine) == {} and present(bot, elsewhere) == {}
    with bot.session() as session:
        refused = session.exec(
            select(AuditLog).where(AuditLog.action == "attendance.refused")
        ).all()
    assert len(refused) == 4


async def test_certificate_pdf_verifies_and_can_be_switched_off(bot, server, clock):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training_id = seed_training(bot, coordinator.id)
    ani = cadre(bot, server, "Ani Ṣaleha")
    photo = await open_checkin(coordinator, training_id)
    await ani.send_text(f"/start {link_of(photo).split('start=')[1]}")

    await ani.press("📄 Unduh sertifikat")
    document = ani.last_message
    assert document.kind == "document" and document.file_name.endswith(".pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document.file_bytes)).pages)
    with bot.session() as session:
        certificate = store.certificate_for(session, training_id, ani.id)
    assert certificate is not None
    assert "Ani Ṣaleha" in text and "Gizi Balita" in text and certificate.code in text
    assert "Senin, 14 Desember 2026" in text

    outsider = server.new_user()
    spaced = f"{certificate.code[:5]}-{certificate.code[5:].lower()}"
    await outsider.send_text(f"/verifikasi {spaced}")
    assert "asli" in outsider.last_message.text and "Ani Ṣaleha" in outsider.last_message.text
    await outsider.send_text("/verifikasi ZZZZ999999")
    assert "Tidak ada sertifikat" in outsider.last_message.text
    await outsider.send_text("/verifikasi")
    assert "kode sertifikatnya" in outsider.last_message.text

    # The coordinator switches certificates off: the button now refuses.
    await coordinator.press("Sertifikat: aktif", message=photo)
    assert coordinator.callback_answers[-1]["text"] == "Sertifikat pelatihan ini dinonaktifkan."
    await ani.press("📄 Unduh sertifikat")
    assert "tidak tersedia" in ani.callback_answers[-1]["text"]
    # Somebody who did not attend gets none.
    budi = cadre(bot, server, "Budi")
    await budi.press_data(f"att:pdf:{training_id}", message=ani.messages[-2])
    assert "tidak tersedia" in budi.callback_answers[-1]["text"]


async def test_profile_lists_trainings_attended(bot, server, clock):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training_id = seed_training(bot, coordinator.id)
    ani = cadre(bot, server, "Ani")
    await ani.send_text("/profil")
    assert "Pelatihan yang diikuti" not in ani.last_message.text
    with bot.session() as session:
        store.tick(session, training_id, ani.id, coordinator.id, STARTS)
    await ani.send_text("/profil")
    assert "Pelatihan yang diikuti" in ani.last_message.text
    assert "• Gizi Balita (14 Desember 2026)" in ani.last_message.text


async def test_erasure_forgets_attendance_and_the_certificate(bot, server, clock):
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training_id = seed_training(bot, coordinator.id)
    ani = cadre(bot, server, "Ani")
    with bot.session() as session:
        store.tick(session, training_id, ani.id, coordinator.id, STARTS)
        certificate = store.certificate_for(session, training_id, ani.id)
    assert certificate is not None
    with bot.session() as session:
        store.forget_attendee(session, ani.id)
        session.commit()
    assert present(bot, training_id) == {}
    with bot.session() as session:
        assert store.verify_certificate(session, certificate.code) is None


async def test_tick_list_under_the_qr_photo_comes_as_a_new_message(bot, server, clock):
    # A photo has no text to edit: the list is sent at once, not after a refused edit.
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    training_id = seed_training(bot, coordinator.id)
    photo = await open_checkin(coordinator, training_id)
    await coordinator.press("Centang kehadiran", message=photo)
    assert coordinator.last_message.kind == "text"
    assert "Kehadiran: Gizi Balita" in coordinator.last_message.text
    assert server.calls_for("editMessageText") == []


async def test_an_end_time_closes_the_link_then_and_not_at_midnight(bot, server, clock):
    """A training that ends at 12.00 WITA (04.00 UTC): the link works until then only."""
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    with bot.session() as session:
        training_id = training_store.create_training(
            session,
            title="Kue Basah",
            description="Praktik.",
            starts_at=STARTS,
            ends_at=STARTS + timedelta(hours=4),
            place="Aula",
            quota=None,
            area_code=BONTANG_BARAT,
            institutions=[],
            created_by=coordinator.id,
        ).id
        session.commit()
    photo = await open_checkin(coordinator, training_id)
    assert "Senin, 14 Desember 2026 pukul 07.00 WITA" in photo.text
    assert "Senin, 14 Desember 2026 pukul 12.00 WITA" in photo.text  # the end time
    assert "Selasa, 15 Desember 2026" not in photo.text
    payload = link_of(photo).split("start=")[1]
    ani, budi = cadre(bot, server, "Ani"), cadre(bot, server, "Budi")
    clock.now = STARTS + timedelta(hours=3, minutes=59)
    await ani.send_text(f"/start {payload}")
    assert "datang langsung" in ani.last_message.text
    clock.now = STARTS + timedelta(hours=4)  # 12.00 WITA, long before midnight
    await budi.send_text(f"/start {payload}")
    assert "sudah ditutup" in budi.last_message.text
    assert set(present(bot, training_id)) == {ani.id}


# Near the Kanaan hall; 0.0027° of latitude is 300 m, 0.03° is 3.3 km (same longitude).
VENUE = (0.1338, 117.4600)


async def test_location_check_flags_far_attendees_and_stores_only_the_distance(
    bot, server, clock, monkeypatch
):
    monkeypatch.setattr(location_handlers, "utcnow", lambda: clock.now)
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    outsider = server.new_user(first_name="Sari")
    seed_coordinator(bot, outsider.id, BONTANG_UTARA)
    training_id = seed_training(bot, coordinator.id)
    ani, budi, citra = (cadre(bot, server, n) for n in ("Ani", "Budi", "Citra"))
    sign_up(bot, training_id, ani)

    # A coordinator of another area cannot set the venue, even with a forged button.
    await outsider.send_text("/absensi")
    await outsider.press_data(f"att:v:{training_id}")
    assert outsider.callback_answers[-1]["text"] == "Maaf, pelatihan ini di luar wilayah Anda."
    await outsider.send_location(*VENUE)
    assert "tidak ada absensi pelatihan yang menunggu" in outsider.last_message.text
    with bot.session() as session:
        assert venue_check.venue_of(session, training_id) is None

    photo = await open_checkin(coordinator, training_id)
    payload = link_of(photo).split("start=")[1]
    # Without a venue, a check-in asks for no location.
    clock.now = STARTS + timedelta(minutes=5)
    await citra.send_text(f"/start {payload}")
    assert "datang langsung" in citra.last_message.text and citra.chat.reply_keyboard is None

    await coordinator.press("📍 Atur lokasi tempat", message=photo)
    assert "Kirim lokasi tempat pelatihan Gizi Balita" in coordinator.last_message.text
    assert coordinator.chat.reply_keyboard == [["📍 Kirim lokasi tempat ini"]]
    await coordinator.send_location(*VENUE)
    assert "Lokasi tempat Gizi Balita tersimpan" in coordinator.last_message.text
    assert coordinator.chat.reply_keyboard is None
    with bot.session() as session:
        assert venue_check.venue_of(session, training_id) == VENUE

    await ani.send_text(f"/start {payload}")
    assert "sudah tercatat" in ani.messages[-2].text
    assert "bagikan lokasi Anda" in ani.last_message.text
    assert ani.chat.reply_keyboard == [["📍 Bagikan lokasi saya"]]
    await ani.send_location(VENUE[0] + 0.0027, VENUE[1])
    assert ani.last_message.text == (
        "✅ Terima kasih. Anda sekitar 300 m dari tempat pelatihan Gizi Balita."
    )
    assert ani.chat.reply_keyboard is None
    await ani.send_location(VENUE[0] + 0.5, VENUE[1])  # once per check-in
    assert "tidak ada absensi pelatihan yang menunggu" in ani.last_message.text

    await budi.send_text(f"/start {payload}")
    await budi.tap_reply_button("📍 Bagikan lokasi saya")  # the fake client's pin: Jakarta
    assert budi.last_message.text.startswith("⚠️ Lokasi Anda sekitar 1.")
    assert "km dari tempat pelatihan Gizi Balita" in budi.last_message.text
    await citra.send_location(VENUE[0] + 0.03, VENUE[1])  # checked in before the venue: fine
    assert "sekitar 3,3 km" in citra.last_message.text

    await coordinator.press("Centang kehadiran", message=photo)
    labels = [row[0] for row in coordinator.last_message.buttons[:3]]
    assert labels[0] == "✅ Ani · 📍 300 m"
    assert labels[1].startswith("✅ Budi · tanpa mendaftar · ⚠️ 1.")
    assert labels[2] == "✅ Citra · tanpa mendaftar · ⚠️ 3,3 km dari tempat"
    rows = present(bot, training_id)
    assert rows[ani.id].distance_m == 300 and rows[citra.id].distance_m == 3336

    # A hand tick, or a pin after the window closed, records nothing.
    dedi = cadre(bot, server, "Dedi")
    await coordinator.press_data(f"att:t:{training_id}:{dedi.id}", coordinator.last_message)
    await dedi.send_location(*VENUE)
    assert "tidak ada absensi pelatihan yang menunggu" in dedi.last_message.text
    with bot.session() as session:
        store.tick(session, training_id, ani.id, coordinator.id, clock.now)  # untick Ani
    await ani.send_text(f"/start {payload}")
    clock.now = datetime(2026, 12, 14, 16, 0)
    await ani.send_location(*VENUE)
    assert "tidak ada absensi pelatihan yang menunggu" in ani.last_message.text
    assert present(bot, training_id)[ani.id].distance_m is None
    with bot.session() as session:
        venue_audits = session.exec(
            select(AuditLog).where(AuditLog.action == "attendance.venue")
        ).all()
    assert [entry.details["allowed"] for entry in venue_audits] == [True]
