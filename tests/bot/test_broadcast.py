"""/umumkan and /siaran end to end: compose, preview, scope checks, delivery, progress, stop."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlmodel import select

from storage import outbox, people, roles
from storage.models import AuditLog, Draft
from tests.auxil.broadcast import speed_up, wait_finished
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    village_code,
)
from tests.conftest import ADMIN_ID

PAID = {"paid_broadcast": True, "broadcast_rate": 1000.0}


def cadres(bot, server, village: str, count: int, institution: str = "pkk", **user_kw) -> list:
    users = [server.new_user(**user_kw) for _ in range(count)]
    for user in users:
        seed_cadre(bot, user.id, village, institution=institution)
    return users


def queued_message(sender) -> str:
    """The sender's confirmation that a broadcast is queued (the status message may follow)."""
    return next(m.text for m in reversed(sender.messages) if "masuk antrean" in (m.text or ""))


def queued_id(sender) -> int:
    return int(queued_message(sender).split("#")[1].split()[0])


def audit_actions(bot) -> list[str]:
    with bot.session() as session:
        return [row.action for row in session.exec(select(AuditLog)).all()]


async def test_compose_preview_send_with_progress_and_summary(bot, server):
    # Slow enough that the status message (which waits its turn in the coordinator's chat,
    # a message a second) is there while the broadcast still runs.
    await bot.restart(broadcast_rate=4.0)
    speed_up(bot)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    belimbing = village_code(bot, BONTANG_BARAT, "Belimbing")
    api_api = village_code(bot, BONTANG_UTARA, "Api-Api")
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, "Rina")
    inside = cadres(bot, server, kanaan, 6) + cadres(bot, server, belimbing, 4, "posyandu")
    outside = cadres(bot, server, api_api, 3)
    opted_out, unreachable = cadres(bot, server, kanaan, 2)
    with bot.session() as session:
        people.set_receive_broadcasts(session, opted_out.id, False)
        people.mark_unreachable(session, unreachable.id)

    await coordinator.send_text("/umumkan")
    assert "Pengumuman baru" in coordinator.last_message.text
    await coordinator.send_text("Rapat <kader> & pelatihan\n\nBesok pukul 08.00 di kantor lurah.")
    assert "Kepada siapa" in coordinator.last_message.text
    assert coordinator.last_message.buttons == [
        ["Semua kader di Kec. Bontang Barat, Kota Bontang"],
        ["Pilih kecamatan atau kelurahan/desa di Kec. Bontang Barat, Kota Bontang…"],
    ]
    await coordinator.press("Semua kader")
    assert "Saring menurut lembaga" in coordinator.last_message.text
    await coordinator.press("Lanjut")
    preview = coordinator.texts[-2]
    assert preview == "Rapat <kader> & pelatihan\n\nBesok pukul 08.00 di kantor lurah."
    control = coordinator.last_message.text
    assert "Penerima: 10 kader" in control
    assert (
        "1 kader yang memilih berhenti menerima pengumuman, 1 kader yang tidak dapat dihubungi"
        in control
    )
    assert nobody_got_anything(inside + outside + [opted_out, unreachable])

    await coordinator.press("Kirim")
    assert "10 kader" in queued_message(coordinator)
    broadcast_id = queued_id(coordinator)
    info, counts = await wait_finished(bot, broadcast_id)
    assert (info.status, counts.sent, counts.failed) == ("done", 10, 0)
    for cadre in inside:
        assert cadre.texts == ["Rapat <kader> & pelatihan\n\nBesok pukul 08.00 di kantor lurah."]
    assert nobody_got_anything([*outside, opted_out, unreachable])

    # The status message was edited while sending (figures going down) and ends in a summary.
    status = coordinator.last_message
    assert "Selesai dikirim" in status.text and "Terkirim: 10" in status.text
    edits = [
        c.params["text"]
        for c in server.calls_for("editMessageText")
        if c.params.get("message_id") == status.message_id
    ]
    assert any("Sisa: <b>" in text and "Perkiraan selesai" in text for text in edits)
    assert "broadcast.send" in audit_actions(bot)
    with bot.session() as session:
        assert session.exec(select(Draft)).all() == []


def nobody_got_anything(users: list) -> bool:
    return all(user.texts == [] for user in users)


async def test_official_picks_a_kelurahan_and_an_institution(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    belimbing = village_code(bot, BONTANG_BARAT, "Belimbing")
    pkk = cadres(bot, server, kanaan, 3, "pkk")
    lpm = cadres(bot, server, kanaan, 2, "lpm")
    elsewhere = cadres(bot, server, belimbing, 2, "pkk")
    official = server.new_user(user_id=ADMIN_ID, first_name="Dinas")

    await official.send_text("/umumkan")
    await official.send_text("Pelatihan <b>PKK</b>")
    await official.press("Pilih kecamatan atau kelurahan/desa")
    await official.press("Bontang Barat")
    await official.send_text("kana")  # typing filters the list
    assert [label for row in official.last_message.buttons[:1] for label in row] == ["Kanaan"]
    await official.press("Kanaan")
    await official.press("PKK")
    assert "✅ PKK" in official.last_message.flat_buttons
    await official.press("Lanjut")
    assert "Penerima: 3 kader" in official.last_message.text
    assert "Kel. Kanaan" in official.last_message.text and "PKK" in official.last_message.text
    await official.press("Kirim")
    broadcast_id = queued_id(official)
    await wait_finished(bot, broadcast_id)
    assert all(user.texts == ["Pelatihan <b>PKK</b>"] for user in pkk)
    assert nobody_got_anything(lpm + elsewhere)


async def test_scope_is_enforced_against_forged_buttons_and_arguments(bot, server):
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, village_code(bot, BONTANG_UTARA, "Api-Api"))

    await coordinator.send_text(f"/umumkan {BONTANG_UTARA}")
    assert "di luar wilayah tugas" in coordinator.last_message.text
    await coordinator.send_text("/umumkan 64_74")  # the whole city is above their scope
    assert "di luar wilayah tugas" in coordinator.last_message.text

    await coordinator.send_text("/umumkan")
    await coordinator.send_text("Halo")
    for forged in (f"bc:s:{BONTANG_UTARA}", "bc:s:64.74", f"bc:c:{BONTANG_UTARA}"):
        await coordinator.press_data(forged)
        answer = coordinator.callback_answers[-1]
        assert "di luar wilayah tugas" in answer["text"] and answer.get("show_alert")
    await coordinator.press("Pilih kecamatan atau kelurahan/desa")
    await coordinator.press_data("bc:a:64.74.01")  # "all of" a node the picker is not at
    assert coordinator.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    await coordinator.press_data("bc:r:64.74.01.1001")
    assert coordinator.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    assert audit_actions(bot).count("broadcast.refused") == 5
    assert cadre.texts == []

    # Cadres cannot announce or read the broadcast list.
    await cadre.send_text("/umumkan")
    assert "hanya dapat dikirim oleh koordinator" in cadre.last_message.text
    await cadre.send_text("/siaran")
    assert "hanya dapat dikirim oleh koordinator" in cadre.last_message.text


async def test_revoked_coordinator_cannot_send_the_prepared_announcement(bot, server):
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    cadres(bot, server, village_code(bot, BONTANG_BARAT, "Kanaan"), 2)
    await coordinator.send_text("/umumkan")
    await coordinator.send_text("Halo")
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    with bot.session() as session:
        for item in roles.list_coordinators(session):
            roles.revoke_coordinator(session, item.id, ADMIN_ID)
    await coordinator.press("Kirim")
    assert "hanya dapat dikirim oleh koordinator" in coordinator.last_message.text
    with bot.session() as session:
        assert outbox.recent_broadcasts(session) == []


async def test_photo_album_uses_the_first_photo_with_its_caption(bot, server):
    await bot.restart(**PAID)
    speed_up(bot)
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    receivers = cadres(bot, server, village_code(bot, BONTANG_BARAT, "Kanaan"), 2)
    await coordinator.send_text("/umumkan")
    await coordinator.send_album(3, caption="Dokumentasi kegiatan posyandu")
    assert any("Hanya foto pertama" in text for text in coordinator.texts)
    assert "Kepada siapa" in coordinator.last_message.text
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    preview = [m for m in coordinator.messages if m.kind == "photo"]
    assert len(preview) == 1 and preview[0].text == "Dokumentasi kegiatan posyandu"
    await coordinator.press("Kirim")
    broadcast_id = queued_id(coordinator)
    await wait_finished(bot, broadcast_id)
    for cadre in receivers:
        assert [(m.kind, m.text) for m in cadre.messages] == [
            ("photo", "Dokumentasi kegiatan posyandu")
        ]


async def test_unsupported_content_and_cancel(bot, server):
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    await coordinator.send_text("/umumkan")
    await coordinator.send_sticker()
    assert "belum bisa diumumkan" in coordinator.last_message.text
    await coordinator.send_text("Halo semua")
    await coordinator.send_text("ketik saja")  # the audience step wants a button
    assert "gunakan tombol" in coordinator.last_message.text
    await coordinator.send_text("/batal")
    assert "dibatalkan" in coordinator.last_message.text
    with bot.session() as session:
        assert session.exec(select(Draft)).all() == []


async def test_restart_mid_compose_resumes(bot, server):
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    cadres(bot, server, village_code(bot, BONTANG_BARAT, "Kanaan"), 1)
    await coordinator.send_text("/umumkan")
    await coordinator.send_text("Halo semua")
    await bot.restart()
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    assert "Penerima: 1 kader" in coordinator.last_message.text


async def test_quiet_hours_wait_unless_urgent(bot, server):
    now = datetime.now(UTC).astimezone(bot.settings.timezone)
    quiet = ((now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time())
    await bot.restart(quiet_hours=(time(quiet[0].hour), time(quiet[1].hour)), **PAID)
    speed_up(bot)
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    receivers = cadres(bot, server, village_code(bot, BONTANG_BARAT, "Kanaan"), 2)
    for urgent in (False, True):
        await coordinator.send_text("/umumkan")
        await coordinator.send_text("Air PDAM mati" if urgent else "Jadwal posyandu")
        await coordinator.press("Semua kader")
        await coordinator.press("Lanjut")
        assert "jam istirahat malam" in coordinator.last_message.text
        if urgent:
            await coordinator.press("Tandai mendesak")
            assert "Ditandai mendesak" in coordinator.last_message.text
        await coordinator.press("Kirim")
    urgent_id = queued_id(coordinator)
    await wait_finished(bot, urgent_id)
    assert all(cadre.texts == ["Air PDAM mati"] for cadre in receivers)
    await coordinator.send_text("/siaran")
    listing = coordinator.last_message.text
    assert "menunggu" in listing and "selesai" in listing


async def test_siaran_lists_figures_and_stops_a_running_broadcast(bot, server):
    await bot.restart(broadcast_rate=4.0)
    speed_up(bot)
    coordinator, other = server.new_user(), server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT)
    seed_coordinator(bot, other.id, BONTANG_BARAT)
    receivers = cadres(bot, server, village_code(bot, BONTANG_BARAT, "Kanaan"), 12)
    await coordinator.send_text("/umumkan")
    await coordinator.send_text("Kerja bakti Minggu pagi")
    await coordinator.press("Semua kader")
    await coordinator.press("Lanjut")
    await coordinator.press("Kirim")
    broadcast_id = queued_id(coordinator)
    await server.wait_for(lambda: sum(1 for c in receivers if c.texts) >= 2)

    await other.send_text("/siaran")  # another coordinator: not theirs, not listed
    assert "Belum ada siaran" in other.last_message.text
    await other.press_data(f"bc:x:{broadcast_id}", message=coordinator.last_message)
    assert "Hanya pengirim" in other.callback_answers[-1]["text"]

    await coordinator.send_text("/siaran")
    listing = coordinator.last_message
    assert f"#{broadcast_id}" in listing.text and "Kerja bakti Minggu pagi" in listing.text
    assert "sedang dikirim" in listing.text
    await coordinator.press(f"Hentikan #{broadcast_id}")
    assert coordinator.callback_answers[-1]["text"] == "Siaran dihentikan."
    info, counts = await wait_finished(bot, broadcast_id)
    assert info.status == "cancelled" and counts.cancelled > 0
    assert sum(1 for cadre in receivers if cadre.texts) == counts.sent < 12
    summaries = [m.text for m in coordinator.messages if "Siaran dihentikan" in (m.text or "")]
    assert summaries and f"Terkirim: {counts.sent}" in summaries[0]
    assert "broadcast.cancel" in audit_actions(bot)
    assert "broadcast.stop_refused" in audit_actions(bot)
