"""End-to-end: finding reports with /laporanku (cadres) and /daftar_laporan (reviewers)."""

from __future__ import annotations

from datetime import timedelta

from storage.models import utcnow
from storage.reports import Decision, ReportStatus
from tests.auxil.flows import BONTANG_UTARA
from tests.auxil.reports import API_API, BELIMBING, KANAAN, cadre, coordinator, get, seed_report
from tests.conftest import ADMIN_ID


async def test_laporanku_shows_status_comments_and_the_revision_button(bot, server):
    user = cadre(bot, server)
    seed_report(bot, user.id, title="Bank sampah")
    seed_report(
        bot, user.id, title="Posyandu remaja", decision=Decision.REVISE, comment="Foto kurang jelas"
    )
    seed_report(
        bot, user.id, title="Kopi lokal", decision=Decision.REJECT, comment="Bukan inovasi baru"
    )
    seed_report(bot, user.id, title="Sumur resapan", decision=Decision.APPROVE)
    await user.send_text("/laporanku")
    text = user.last_message.text
    assert "Laporan saya — 4 laporan" in text
    assert text.index("Sumur resapan") < text.index("Bank sampah")  # newest first
    assert "#1 Bank sampah\n⏳ Menunggu tinjauan" in text
    assert "#2 Posyandu remaja\n✏️ Perlu perbaikan" in text and "Foto kurang jelas" in text
    assert "❌ Ditolak" in text and "Bukan inovasi baru" in text
    assert "✅ Disetujui" in text
    assert user.last_message.flat_buttons == ["✏️ Perbaiki #2"]
    await user.press("Perbaiki #2")
    assert "Perbaikan laporan #2" in user.last_message.text
    await user.press("Batal")
    assert "masih menunggu perbaikan" in user.last_message.text
    assert get(bot, 2).status is ReportStatus.REVISION


async def test_laporanku_pages_and_mentions_a_draft(bot, server):
    user = cadre(bot, server)
    for n in range(7):
        seed_report(bot, user.id, title=f"Inovasi nomor {n + 1}")
    await user.send_text("/lapor")
    await user.send_text("Draf yang belum selesai")
    await user.send_text("/laporanku")
    first = user.last_message
    assert "halaman 1/2" in first.text and "Inovasi nomor 7" in first.text
    assert "Inovasi nomor 2" not in first.text
    assert "draf laporan yang belum dikirim" in first.text
    await user.press("Berikutnya »")
    assert "halaman 2/2" in first.text and "Inovasi nomor 1" in first.text
    await user.press("« Sebelumnya")
    assert "halaman 1/2" in first.text


async def test_laporanku_for_newcomers(bot, server):
    guest = server.new_user()
    await guest.send_text("/laporanku")
    assert "kader yang sudah terdaftar" in guest.last_message.text
    user = cadre(bot, server)
    await user.send_text("/laporanku")
    assert "belum pernah mengirim laporan" in user.last_message.text


def _seed_city(bot, server):
    kanaan = cadre(bot, server, KANAAN, name="Siti Kanaan")
    belimbing = cadre(bot, server, BELIMBING, name="Rina Belimbing")
    api = cadre(bot, server, API_API, name="Dewi Api")
    seed_report(bot, kanaan.id, KANAAN, title="Keripik pisang", category="umkm")
    seed_report(
        bot,
        belimbing.id,
        BELIMBING,
        title="Hidroponik",
        category="pertanian",
        decision=Decision.APPROVE,
    )
    seed_report(
        bot,
        api.id,
        API_API,
        title="Senam lansia",
        category="kesehatan",
        decision=Decision.REJECT,
        comment="Duplikat",
    )
    seed_report(
        bot,
        belimbing.id,
        BELIMBING,
        title="Pupuk kandang lama",
        category="pertanian",
        submitted_at=utcnow() - timedelta(days=100),
    )


async def test_daftar_laporan_filters_by_area_category_status_and_period(bot, server):
    _seed_city(bot, server)
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/daftar_laporan")
    view = official.last_message
    assert "Daftar laporan — 4 laporan" in view.text
    assert "Semua wilayah Anda · 🏷 Semua · 📌 Semua · 📅 Semua" in view.text

    await official.press("🗺 Wilayah")
    assert "Bontang Barat" in str(view.buttons)
    await official.press("Kec. Bontang Barat")
    await official.press("✅ Seluruh Kec. Bontang Barat")
    assert "3 laporan" in view.text and "Senam lansia" not in view.text
    await official.press("🏷 Kategori")
    await official.press("Pertanian & peternakan")
    assert "2 laporan" in view.text and "Keripik pisang" not in view.text
    await official.press("📅 Periode")
    await official.press("30 hari terakhir")
    assert "1 laporan" in view.text and "Hidroponik" in view.text
    assert "Pupuk kandang lama" not in view.text
    await official.press("📌 Status")
    await official.press("⏳ Menunggu tinjauan")
    assert "0 laporan" in view.text and "Tidak ada laporan yang cocok" in view.text
    await official.press("📌 Status")
    await official.press("✅ Disetujui")
    assert "Kec. Bontang Barat · 🏷 Pertanian & peternakan · 📌 ✅ Disetujui" in view.text

    await official.press("#2")
    assert "Laporan #2" in view.text and "Rina Belimbing" in view.text
    assert "📣 Sebarkan ke semua kader" in view.flat_buttons
    await official.press("« Kembali ke daftar")
    assert "1 laporan" in view.text

    await official.press("🗺 Wilayah")
    await official.press("Kec. Bontang Barat")
    await official.press("Belimbing")  # a kelurahan is picked directly
    assert "Kel. Belimbing" in view.text and "1 laporan" in view.text


async def test_daftar_laporan_pages_and_lets_reviewers_decide_from_the_detail(bot, server):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    for n in range(6):
        seed_report(bot, user.id, title=f"Inovasi nomor {n + 1}")
    await reviewer.send_text("/daftar_laporan")
    view = reviewer.last_message
    assert "halaman 1/2" in view.text and "Inovasi nomor 6" in view.text
    assert view.buttons[0] == ["#6", "#5", "#4", "#3", "#2"]
    await reviewer.press("Berikutnya »")
    assert "Inovasi nomor 1" in view.text and view.buttons[0] == ["#1"]
    await reviewer.press("#1")
    await reviewer.press("Setujui")
    assert get(bot, 1).status is ReportStatus.APPROVED
    assert "disetujui" in user.last_message.text


async def test_daftar_laporan_stays_inside_the_coordinators_scope(bot, server):
    _seed_city(bot, server)
    outsider = coordinator(bot, server, BONTANG_UTARA, name="Andi")
    await outsider.send_text("/daftar_laporan")
    view = outsider.last_message
    assert "1 laporan" in view.text and "Senam lansia" in view.text
    assert "Keripik pisang" not in view.text
    await outsider.press("🗺 Wilayah")
    assert "Bontang Barat" not in str(view.buttons) and "Api-Api" in str(view.buttons)

    for forged in (
        "rl:v:64.74.03,***:0",  # another kecamatan's area
        "rl:v:64.74,***:0",  # the whole city
        "rl:o:1:*,***:0",  # a report of another kecamatan
        "rl:a:*,***:64.74.03:0",  # browsing another kecamatan
    ):
        await outsider.press_data(forged, view)
        assert outsider.callback_answers[-1]["text"] == "Anda tidak berwenang atas laporan ini."
    for malformed in ("rl:v:64.74.01,zz*:0", "rl:v:64.74.01:0", "rl:o:x:*,***:0"):
        await outsider.press_data(malformed, view)
        assert outsider.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    assert "Keripik pisang" not in view.text

    user = cadre(bot, server)
    await user.send_text("/daftar_laporan")
    assert "tidak berwenang" in user.last_message.text


async def test_the_list_dates_briefly_and_refuses_forged_filters(bot, server):
    from datetime import datetime

    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    seed_report(bot, user.id, title="Bank sampah", submitted_at=datetime(2026, 12, 25, 0, 30))
    await reviewer.send_text("/daftar_laporan")
    assert "25 Des 2026" in reviewer.last_message.text
    await user.send_text("/laporanku")
    assert "dikirim 25 Des 2026" in user.last_message.text
    for forged in ("rl:v:64.74,*z*:0", "rl:v:6x,***:0", "rl:v:***:0", "rl:m:-1"):
        await reviewer.press_data(forged)
        assert reviewer.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku.", forged
