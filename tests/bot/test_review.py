"""End-to-end: coordinators review innovation reports with /tinjau; decisions and featuring."""

from __future__ import annotations

import asyncio
import threading

from sqlmodel import select

from bot.i18n import t
from storage import reports as store
from storage.db import Database
from storage.models import AuditLog
from storage.reports import Decision, ReportStatus
from tests.auxil.flows import BONTANG_BARAT, BONTANG_UTARA, seed_cadre
from tests.auxil.reports import (
    API_API,
    KANAAN,
    cadre,
    coordinator,
    get,
    report_via_chat,
    seed_report,
)
from tests.conftest import ADMIN_ID


def _audit(bot) -> list[tuple[int, str, str | None]]:
    with bot.session() as session:
        rows = session.exec(select(AuditLog).order_by(AuditLog.id)).all()
    return [(r.actor_id, r.action, r.target) for r in rows if r.action.startswith("report.")]


async def test_tinjau_shows_the_album_and_approval_notifies_the_cadre(bot, server):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    await report_via_chat(user, album=3, location=(0.13, 117.5), document=True)
    await reviewer.send_text("/tinjau")
    album = [m for m in reviewer.messages if m.kind == "media_group_item"]
    assert len(album) == 3 and album[0].text == "Foto laporan #1"
    assert reviewer.messages[-2].kind == "document"
    card = reviewer.last_message
    assert "Laporan #1" in card.text and "Tas daur ulang PKK Kanaan" in card.text
    assert "Siti Aminah (PKK)" in card.text and "Kel. Kanaan, Kec. Bontang Barat" in card.text
    assert "google.com/maps?q=0.130000,117.500000" in card.html
    assert "Menunggu tinjauan di wilayah Anda: 1" in card.text
    assert card.flat_buttons == ["✅ Setujui", "✏️ Minta perbaikan", "❌ Tolak"]

    await reviewer.press("Setujui")
    card = reviewer.last_message
    assert "✅ Disetujui" in card.text and "kader pelapor sudah diberi tahu" in card.text
    assert card.flat_buttons[0] == "📣 Sebarkan ke kader wilayah Anda"  # a coordinator's scope
    assert get(bot, 1).status is ReportStatus.APPROVED
    assert "disetujui</b> oleh koordinator Kec. Bontang Barat" in user.last_message.html
    assert _audit(bot) == [(reviewer.id, "report.approved", "report:1")]
    await reviewer.send_text("/tinjau")
    assert "Tidak ada laporan yang menunggu" in reviewer.last_message.text
    await reviewer.send_text("/menu")
    assert "/tinjau — Tinjau laporan inovasi\n" in reviewer.last_message.text + "\n"


async def test_revision_is_commented_edited_and_resubmitted(bot, server):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    await report_via_chat(user, album=2)
    await reviewer.send_text("/tinjau")
    await reviewer.press("Minta perbaikan")
    assert "Apa yang perlu diperbaiki" in reviewer.last_message.text
    await reviewer.send_photo()  # the note must be text
    assert "sebagai pesan teks" in reviewer.last_message.text
    await reviewer.send_text("ok")
    assert "3–1000 karakter" in reviewer.last_message.text
    await reviewer.send_text("Mohon tambahkan jumlah anggota & hasil penjualan.")
    assert "dikembalikan untuk diperbaiki" in reviewer.last_message.text
    assert get(bot, 1).status is ReportStatus.REVISION

    note = user.last_message
    assert "perlu diperbaiki" in note.text
    assert "Mohon tambahkan jumlah anggota &amp; hasil penjualan." in note.html
    assert note.flat_buttons == ["✏️ Perbaiki laporan"]
    await user.press("Perbaiki laporan")
    summary = user.last_message.text
    assert "Perbaikan laporan #1" in summary and "Mohon tambahkan jumlah anggota" in summary
    await user.press("Ubah")
    await user.press("Cerita")
    await user.send_text("Kelompok PKK (25 anggota) mengolah sampah plastik; omzet Rp2 juta/bulan.")
    await user.press("Ubah")
    await user.press("Foto")
    await user.press("Hapus semua foto")
    await user.send_photo()
    await user.press("Selesai")
    await user.press("Tidak, hanya untuk peninjau")  # new photos, asked again
    await user.press("Kirim")
    assert "Perbaikan laporan #1" in user.last_message.text

    report = get(bot, 1)
    assert report.status is ReportStatus.PENDING and report.version == 2
    assert "25 anggota" in report.description
    assert [m.seq for m in report.media] == [3]  # the two old photos were dropped
    assert [e.kind for e in report.events] == ["submitted", "revision", "resubmitted"]
    assert "sudah diperbaiki" in reviewer.last_message.text
    await reviewer.press("Tinjau sekarang")
    assert "25 anggota" in reviewer.last_message.text
    await reviewer.press("Setujui")
    assert "disetujui" in user.last_message.text
    assert [a[1] for a in _audit(bot)] == ["report.revision", "report.approved"]


async def test_rejection_sends_the_reason(bot, server):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    await report_via_chat(user)
    await reviewer.send_text("/tinjau")
    await reviewer.press("Tolak")
    await reviewer.send_text("/batal")
    assert "tidak jadi" in reviewer.last_message.text
    assert get(bot, 1).status is ReportStatus.PENDING
    await reviewer.send_text("/tinjau")
    await reviewer.press("Tolak")
    assert "Mengapa laporan #1" in reviewer.last_message.text
    await reviewer.send_text("Kegiatan ini sudah dilaporkan sebelumnya (#0).")
    assert "ditolak" in reviewer.last_message.text
    assert "tidak dapat diterima" in user.last_message.text
    assert "sudah dilaporkan sebelumnya" in user.last_message.text
    assert user.last_message.flat_buttons == []
    report = get(bot, 1)
    assert report.status is ReportStatus.REJECTED and report.last_comment.startswith("Kegiatan")
    assert _audit(bot) == [(reviewer.id, "report.rejected", "report:1")]


async def test_two_coordinators_deciding_at_once_the_first_wins(bot, server):
    user = cadre(bot, server)
    first = coordinator(bot, server, BONTANG_BARAT, name="Budi")
    second = coordinator(bot, server, "64.74", name="Wati")  # the whole city covers it too
    await report_via_chat(user)
    assert "Laporan inovasi baru" in first.last_message.text
    assert "Laporan inovasi baru" in second.last_message.text
    await first.send_text("/tinjau")
    await second.send_text("/tinjau")
    await asyncio.gather(first.press("Setujui"), second.press("Setujui"))

    assert len(_audit(bot)) == 1
    winner, loser = (first, second) if _audit(bot)[0][0] == first.id else (second, first)
    assert "kader pelapor sudah diberi tahu" in winner.last_message.text
    assert "sudah diputuskan lebih dulu oleh peninjau lain: ✅ Disetujui" in loser.last_message.text
    assert loser.callback_answers[-1]["show_alert"] is True
    assert sum("disetujui" in t for t in user.texts) == 1  # the cadre is told once


async def test_a_comment_loses_to_an_approval_made_meanwhile(bot, server):
    user = cadre(bot, server)
    first = coordinator(bot, server, BONTANG_BARAT, name="Budi")
    second = coordinator(bot, server, "64.74", name="Wati")
    await report_via_chat(user)
    await first.send_text("/tinjau")
    await second.send_text("/tinjau")
    await second.press("Tolak")
    await asyncio.gather(
        first.press("Setujui"), second.send_text("Tidak sesuai kategori laporan inovasi.")
    )
    actions = [a[1] for a in _audit(bot)]
    assert len(actions) == 1
    report = get(bot, 1)
    if actions == ["report.approved"]:
        assert "sudah diputuskan lebih dulu" in second.last_message.text
    else:
        assert report.status is ReportStatus.REJECTED
        assert "sudah diputuskan lebih dulu" in first.last_message.text


def test_conditional_update_lets_exactly_one_concurrent_decision_win(bot):
    """Two sessions on two connections decide at once: the database lets one through."""
    seed_cadre(bot, 501, KANAAN)
    report = seed_report(bot, 501)
    database = Database(bot.settings.database_url)
    results: list[bool] = []

    def second() -> None:
        with database.session() as session:
            results.append(store.decide(session, report.id, 702, Decision.REJECT, "x").won)

    try:
        with database.session() as session:
            results.append(store.decide(session, report.id, 701, Decision.APPROVE).won)
            thread = threading.Thread(target=second)
            thread.start()  # blocks on the row (PostgreSQL) or the write lock (SQLite)
            thread.join(0.3)
        thread.join(15)
    finally:
        database.dispose()
    assert results == [True, False]
    final = get(bot, report.id)
    assert final.status is ReportStatus.APPROVED and final.decided_by == 701
    assert [e.kind for e in final.events] == ["submitted", "approved"]


async def test_coordinator_of_another_kecamatan_sees_nothing_and_cannot_act(bot, server):
    user = cadre(bot, server)
    outsider = coordinator(bot, server, BONTANG_UTARA, name="Andi")
    await report_via_chat(user)
    assert outsider.messages == []
    await outsider.send_text("/tinjau")
    assert "Tidak ada laporan yang menunggu" in outsider.last_message.text
    for forged in ("rv:ok:1", "rv:fb:1", "rv:fc:1", "rv:s:1", "rv:m:1", "rv:fix:1", "rv:no:1"):
        await outsider.press_data(forged)
        answer = outsider.callback_answers[-1]
        assert answer["text"] == "Anda tidak berwenang atas laporan ini.", forged
        assert answer["show_alert"] is True
    await outsider.send_text("Ditolak saja.")  # no comment conversation was opened
    report = get(bot, 1)
    assert report.status is ReportStatus.PENDING and _audit(bot) == []
    assert all("Laporan #1" not in t for t in outsider.texts)

    guest = server.new_user()
    await guest.send_text("/tinjau")
    assert "tidak berwenang" in guest.last_message.text
    await guest.press_data("rv:ok:1")
    assert guest.callback_answers[-1]["text"] == "Anda tidak berwenang atas laporan ini."


async def test_officials_review_everything_and_nobody_reviews_their_own_report(bot, server):
    official = server.new_user(user_id=ADMIN_ID)
    seed_cadre(bot, ADMIN_ID, API_API)  # an official who is also a cadre
    other = cadre(bot, server)
    seed_report(bot, ADMIN_ID, API_API, title="Laporan sang pejabat")
    seed_report(bot, other.id, KANAAN, title="Laporan kader Kanaan")
    await official.send_text("/tinjau")
    assert "Laporan kader Kanaan" in official.last_message.text
    assert "Menunggu tinjauan di wilayah Anda: 1" in official.last_message.text
    await official.press_data("rv:ok:1")  # their own report, forged
    assert "laporan Anda sendiri" in official.callback_answers[-1]["text"]
    await official.press("Setujui")
    assert get(bot, 2).status is ReportStatus.APPROVED
    assert get(bot, 1).status is ReportStatus.PENDING


async def test_the_queue_walks_one_report_at_a_time(bot, server):
    reviewer = coordinator(bot, server)
    user = cadre(bot, server)
    for title in ("Satu", "Dua", "Tiga"):
        seed_report(bot, user.id, KANAAN, title=f"Inovasi {title}")
    await reviewer.send_text("/tinjau")
    assert "Inovasi Satu" in reviewer.last_message.text
    await reviewer.press("Laporan berikutnya")
    assert "Inovasi Dua" in reviewer.last_message.text
    await reviewer.press("Setujui")
    await reviewer.press("Laporan berikutnya")
    assert "Inovasi Satu" in reviewer.last_message.text  # the oldest still waiting
    assert "wilayah Anda: 2" in reviewer.last_message.text


async def _received(reader, needle: str):
    # (the delivery engine may have reached this reader before the wait starts)
    return await reader.wait_for(
        lambda: next((m for m in reader.messages if needle in (m.text or "")), None)
    )


async def test_a_coordinator_features_to_their_own_area_after_a_preview(bot, server):
    channel = server.new_channel("Forkom KPM Bontang")
    await bot.restart(feature_channel_id=channel.id)
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    neighbour = cadre(bot, server, name="Dewi Lestari")  # Kanaan too: Kec. Bontang Barat
    elsewhere = [cadre(bot, server, village=API_API, name=f"Kader {i}") for i in range(2)]
    await report_via_chat(user, album=2)  # photos not for publication (the default)
    await reviewer.send_text("/tinjau")
    await reviewer.press("Setujui")
    card = reviewer.last_message
    assert "Terbitkan di kanal" not in str(card.flat_buttons)  # the channel is for officials
    for forged in ("rv:fc:1", "rv:fcok:1"):
        await reviewer.press_data(forged, card)
        assert "Hanya petugas dinas" in reviewer.callback_answers[-1]["text"]
    assert channel.messages == []

    await reviewer.press("Sebarkan ke kader wilayah Anda")
    preview = reviewer.last_message.text
    assert "Pratinjau" in preview and "2 kader di Kec. Bontang Barat" in preview
    assert "Foto tidak ikut dikirim" in preview and "Tas daur ulang PKK Kanaan" in preview
    assert reviewer.last_message.flat_buttons == [
        "✅ Ya, kirim ke 2 kader",
        "« Batal, kembali ke laporan",
    ]
    assert get(bot, 1).featured_at is None  # nothing goes out on one tap
    assert not any("Inovasi Kader" in (m.text or "") for m in neighbour.messages)

    await reviewer.press("Ya, kirim ke 2 kader")
    assert any("disebarkan ke 2 kader" in text for text in reviewer.texts)
    message = await _received(neighbour, "Inovasi Kader")
    assert message.kind == "text" and "Tas daur ulang PKK Kanaan" in message.text  # no photo
    for reader in elsewhere:
        assert not any("Inovasi Kader" in (m.text or "") for m in reader.messages)
    await reviewer.press_data("rv:fbok:1")
    assert "sudah disebarkan" in reviewer.callback_answers[-1]["text"]
    assert [a[1] for a in _audit(bot)] == ["report.approved", "report.featured"]


async def test_an_official_posts_consented_photos_to_the_channel_and_everyone(bot, server):
    channel = server.new_channel("Forkom KPM Bontang")
    await bot.restart(feature_channel_id=channel.id)
    user = cadre(bot, server)
    official = server.new_user(user_id=ADMIN_ID)
    readers = [cadre(bot, server, village=API_API, name=f"Kader {i}") for i in range(3)]
    await report_via_chat(user, album=2, publish=True)
    await official.send_text("/tinjau")
    await official.press("Setujui")
    await official.press("Terbitkan di kanal")
    preview = official.last_message.text
    assert "Pratinjau" in preview and "kanal publik" in preview and "2 foto ikut" in preview
    assert channel.messages == []
    await official.press("Ya, terbitkan di kanal")
    posted = [m for m in channel.messages if m.kind == "media_group_item"]
    assert len(posted) == 2 and "Inovasi Kader" in posted[0].text
    assert "Kader PKK" in posted[0].text and "Siti" not in posted[0].text  # no personal name
    assert "diterbitkan di kanal" in official.last_message.text
    await official.press_data("rv:fcok:1")
    assert "sudah disebarkan" in official.callback_answers[-1]["text"]
    assert len([m for m in channel.messages if m.kind == "media_group_item"]) == 2

    await official.press("Sebarkan ke semua kader")
    assert "4 kader di Kota Bontang" in official.last_message.text
    await official.press("Ya, kirim ke 4 kader")
    assert any("disebarkan ke 4 kader" in text for text in official.texts)
    for reader in readers:
        message = await _received(reader, "Inovasi Kader")
        assert message.kind == "photo" and "Tas daur ulang PKK Kanaan" in message.text
    report = get(bot, 1)
    assert report.featured_at is not None and report.channel_posted_at is not None
    assert [a[1] for a in _audit(bot)] == ["report.approved", "report.posted", "report.featured"]


async def test_without_consent_the_channel_gets_the_text_only(bot, server):
    channel = server.new_channel("Forkom KPM Bontang")
    await bot.restart(feature_channel_id=channel.id)
    user = cadre(bot, server)
    official = server.new_user(user_id=ADMIN_ID)
    await report_via_chat(user, album=2)
    await official.send_text("/tinjau")
    await official.press("Setujui")
    await official.press("Terbitkan di kanal")
    assert "Foto tidak ikut dikirim" in official.last_message.text
    await official.press("« Batal, kembali ke laporan")  # back to the card, nothing posted
    assert channel.messages == []
    await official.press("Terbitkan di kanal")
    await official.press("Ya, terbitkan di kanal")
    assert [m.kind for m in channel.messages] == ["text"]
    assert "Tas daur ulang PKK Kanaan" in channel.messages[0].text


async def test_comment_survives_a_restart_and_a_blocked_cadre_is_no_error(bot, server):
    from storage.models import AppUser

    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    await report_via_chat(user)
    user.block_bot()
    await reviewer.send_text("/tinjau")
    await reviewer.press("Minta perbaikan")
    await bot.restart()
    await reviewer.send_text("Mohon lengkapi jumlah peserta kegiatan.")
    assert "dikembalikan untuk diperbaiki" in reviewer.last_message.text
    assert get(bot, 1).status is ReportStatus.REVISION
    with bot.session() as session:
        assert session.get(AppUser, user.id).unreachable_since is not None


async def test_a_file_that_could_not_be_copied_is_fetched_again_at_approval(bot, server, settings):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    server.fail_next("getFile", 502, "Bad Gateway")
    await report_via_chat(user, album=2)
    assert [m.local_path for m in get(bot, 1).media] == [None, "reports/1/1-02.jpg"]
    await reviewer.send_text("/tinjau")
    await reviewer.press("Setujui")
    paths = [m.local_path for m in get(bot, 1).media]
    assert paths == ["reports/1/1-01.jpg", "reports/1/1-02.jpg"]
    assert all((settings.media_dir / p).stat().st_size > 0 for p in paths)


async def test_report_commands_work_only_in_private_chats(bot, server):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    seed_report(bot, user.id, KANAAN, title="Keripik pisang")
    group = server.new_group("Kader Bontang Barat")
    await reviewer.send_text("/tinjau", chat=group)
    await reviewer.send_text("/daftar_laporan", chat=group)
    await user.send_text("/lapor", chat=group)
    await user.send_text("/laporanku", chat=group)
    # No card with a cadre's name in a group: only the hint to open the private chat.
    assert {m.text for m in group.messages} == {t("guard.private_only", "id")}


async def test_the_card_dates_in_words_and_shows_an_own_institution(bot, server):
    from datetime import datetime

    user = server.new_user(first_name="Rina", last_name="Wati")
    seed_cadre(
        bot,
        user.id,
        KANAAN,
        name="Rina Wati",
        institution="lainnya",
        institution_other="Kelompok Tani Maju",
    )
    reviewer = coordinator(bot, server)
    # 25 December 2026, 00:30 UTC = 08:30 WITA
    seed_report(
        bot, user.id, KANAAN, institution="lainnya", submitted_at=datetime(2026, 12, 25, 0, 30)
    )
    await reviewer.send_text("/tinjau")
    card = reviewer.last_message.text
    assert "Jumat, 25 Desember 2026 pukul 08.30 WITA" in card
    assert "Rina Wati (Kelompok Tani Maju)" in card


async def test_a_forged_review_button_is_refused_politely(bot, server):
    reviewer = coordinator(bot, server)
    await reviewer.send_text("/tinjau")
    await reviewer.press_data("rv:ok:１")  # not ASCII digits
    assert reviewer.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    await reviewer.press_data("rv:zz:1")
    assert reviewer.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
