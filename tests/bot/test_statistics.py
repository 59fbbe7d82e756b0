"""End-to-end: /statistik through the real bot and the fake Telegram server.

A small hand-built forum in Kota Bontang with a frozen clock, so every figure is exact: seven
cadres in five kelurahan, registered and last seen on both sides of each period boundary.
"""

from __future__ import annotations

import struct
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from storage import outbox, reports, stats, training
from storage.models import (
    Broadcast,
    BroadcastRecipient,
    DeliverySummary,
    SummarisedBroadcast,
    TrainingRsvp,
    utcnow,
)
from storage.reports import Decision
from tests.auxil.flows import seed_cadre, seed_coordinator, set_cadre_history
from tests.auxil.needs import answer_needs
from tests.auxil.reports import seed_report
from tests.conftest import ADMIN_ID

# 12:00 WITA on Friday 20 November 2026. "This month" starts 2026-10-31 16:00 UTC,
# "last 3 months" 2026-08-31 16:00 UTC, "this year" 2025-12-31 16:00 UTC; a cadre is active
# when last seen at or after 2026-10-21 04:00 UTC.
NOW = datetime(2026, 11, 20, 4, 0)

API_API, GUNTUNG, LOK_TUAN = "64.74.01.1006", "64.74.01.1004", "64.74.01.1003"
SATIMPO, KANAAN = "64.74.02.1004", "64.74.03.1003"

# (telegram id, kelurahan, institution, registered_at, last_seen_at, unreachable_since)
FORUM = [
    (501, API_API, "pkk", datetime(2026, 11, 5), datetime(2026, 11, 19), None),
    (502, API_API, "posyandu", datetime(2026, 10, 15), datetime(2026, 11, 1), None),
    (503, GUNTUNG, "pkk", datetime(2026, 3, 10), datetime(2026, 9, 1), datetime(2026, 9, 2)),
    (504, LOK_TUAN, "lpm", datetime(2025, 6, 1), datetime(2026, 10, 31, 16, 30), None),
    # 23:59 WITA on 31 October: last month. 00:00 WITA on 1 November: this month.
    (505, SATIMPO, "pkk", datetime(2026, 10, 31, 15, 59), datetime(2026, 10, 21, 3, 59), None),
    (506, SATIMPO, "karang_taruna", datetime(2026, 10, 31, 16), datetime(2026, 10, 21, 4), None),
    (507, KANAAN, "lainnya", datetime(2024, 1, 1), datetime(2025, 1, 1), datetime(2025, 2, 1)),
]

KOTA_MONTH = """📊 Statistik Kota Bontang
Periode: Bulan ini (1 Nov 2026 – 20 Nov 2026)

👥 Kader
Terdaftar: 7 (+2 baru pada periode ini)
Aktif 30 hari terakhir: 4 (57,1%)
Tidak dapat dihubungi (memblokir bot): 2

🗺️ Cakupan: 5 dari 15 kelurahan/desa sudah punya kader (33,3%)
Belum ada kader: Kel. Bontang Kuala, Kel. Bontang Baru, Kel. Gunung Elai, Kel. Tanjung Laut, \
Kel. Berbas Tengah, Kel. Berbas Pantai, Kel. Bontang Lestari, Kel. Tanjung Laut Indah, \
dan 2 lainnya

🏛️ Per lembaga
PKK 3 · Karang Taruna 1 · Lainnya 1 · LPM 1 · Posyandu 1

📝 Laporan inovasi: 2 masuk, ⭐ 1 inovasi pilihan
Per kategori: Kesehatan 1 · Pertanian & peternakan 1
Per status: Menunggu tinjauan 1 · Disetujui 1

🎓 Pelatihan: 2 (1 sudah berlangsung, 1 akan datang)
Peserta 5 · daftar tunggu 1 · kuota terisi 100% (3 dari 3)

✅ Kehadiran: 1 pelatihan sudah berlangsung
Mendaftar 3 · hadir 0 (0% dari yang mendaftar) · datang tanpa mendaftar 0
Terakhir:
Pelatihan 1 (10 Nov 2026): mendaftar 3, hadir 0 (0%), nilai –

📋 Kebutuhan pelatihan: 4 dari 7 kader sudah menjawab (/peta_kebutuhan)
1. Las (skor 8)
2. Menjahit (skor 5)
3. Perbaikan AC (skor 3)

📣 Siaran: 3 siaran, 7 pesan ke kader wilayah ini
Terkirim 4 (80%) · gagal 1 · menunggu/dibatalkan 2

📍 Per kecamatan
Bontang Utara: 4 kader, 3 aktif, 3/6 kel./desa, 2 laporan
Bontang Selatan: 2 kader, 1 aktif, 1/6 kel./desa, 0 laporan
Bontang Barat: 1 kader, 0 aktif, 1/3 kel./desa, 0 laporan"""

UTARA_MONTH = """📊 Statistik Kec. Bontang Utara
Periode: Bulan ini (1 Nov 2026 – 20 Nov 2026)

👥 Kader
Terdaftar: 4 (+1 baru pada periode ini)
Aktif 30 hari terakhir: 3 (75%)
Tidak dapat dihubungi (memblokir bot): 1

🗺️ Cakupan: 3 dari 6 kelurahan/desa sudah punya kader (50%)
Belum ada kader: Kel. Bontang Kuala, Kel. Bontang Baru, Kel. Gunung Elai

🏛️ Per lembaga
PKK 2 · LPM 1 · Posyandu 1

📝 Laporan inovasi: 2 masuk, ⭐ 1 inovasi pilihan
Per kategori: Kesehatan 1 · Pertanian & peternakan 1
Per status: Menunggu tinjauan 1 · Disetujui 1

🎓 Pelatihan: 1 (0 sudah berlangsung, 1 akan datang)
Peserta 2 · daftar tunggu 0

📋 Kebutuhan pelatihan: 3 dari 4 kader sudah menjawab (/peta_kebutuhan)
1. Las (skor 8)
2. Perbaikan AC (skor 3)
3. Menjahit (skor 2)

📣 Siaran: 2 siaran, 5 pesan ke kader wilayah ini
Terkirim 2 (66,7%) · gagal 1 · menunggu/dibatalkan 2

📍 Per kelurahan/desa
Api-Api: 2 kader, 2 aktif, 2 laporan
Guntung: 1 kader, 0 aktif, 0 laporan
Lok Tuan: 1 kader, 1 aktif, 0 laporan
Bontang Baru: 0 kader, 0 aktif, 0 laporan
Bontang Kuala: 0 kader, 0 aktif, 0 laporan
Gunung Elai: 0 kader, 0 aktif, 0 laporan"""


# (cadre, kelurahan, needs by rank): weighted 3-2-1, Las scores 3 + 3 + 2.
NEEDS = [
    (501, API_API, ("las", "menjahit")),
    (502, API_API, ("las",)),
    (504, LOK_TUAN, ("perbaikan_ac", "las", "tata_boga")),
    (505, SATIMPO, ("menjahit",)),
]


# (reporter, kelurahan, category, submitted_at, decision, channelled)
REPORTS = [
    (501, API_API, "pertanian", datetime(2026, 11, 10), Decision.APPROVE, True),
    (502, API_API, "kesehatan", datetime(2026, 11, 2), None, False),
    (503, GUNTUNG, "pertanian", datetime(2026, 9, 15), Decision.REJECT, False),
    (505, SATIMPO, "umkm", datetime(2026, 10, 31, 15, 59), Decision.REVISE, False),
    (507, KANAAN, "lingkungan", datetime(2025, 5, 5), Decision.APPROVE, False),
]


# (created_at, status, finished_at, {recipient: state}); -100… is a group, not a cadre. The
# last two are not summarised: one waits for tomorrow, one finished a minute ago.
BROADCASTS = [
    (datetime(2025, 3, 1), "done", datetime(2025, 3, 1, 1), {507: "sent"}),
    (
        datetime(2026, 9, 20),
        "cancelled",
        datetime(2026, 9, 20, 1),
        {504: "sent", 506: "cancelled", 507: "failed"},
    ),
    (
        datetime(2026, 11, 3),
        "done",
        datetime(2026, 11, 3, 1),
        {501: "sent", 502: "sent", 503: "failed", 505: "sent", -1001234: "sent"},
    ),
    (datetime(2026, 11, 19), "queued", None, {501: "pending", 504: "pending"}),
    (datetime(2026, 11, 20, 3), "done", datetime(2026, 11, 20, 3, 59), {506: "sent"}),
]


def seed_broadcasts(runner) -> None:
    """Broadcasts written straight to the outbox with their outcomes (the engine never sees
    them pending: the one still queued waits for tomorrow, by the real clock)."""
    with runner.session() as session:
        for number, (created, status, finished, outcomes) in enumerate(BROADCASTS, start=1):
            broadcast_id, _ = outbox.create_broadcast(
                session,
                kind="announcement",
                payload={"text": f"Pengumuman {number}"},
                recipients=list(outcomes),
                meta={"title": f"Pengumuman {number}"},
                not_before=utcnow() + timedelta(days=1),
            )
            session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id)
                .values(status=status, created_at=created, finished_at=finished)
            )
            for chat_id, state in outcomes.items():
                session.execute(
                    update(BroadcastRecipient)
                    .where(
                        BroadcastRecipient.broadcast_id == broadcast_id,
                        BroadcastRecipient.chat_id == chat_id,
                    )
                    .values(state=state)
                )


# (area, starts_at, quota, {cadre: rsvp}); the last one is outside the forum area.
TRAININGS = [
    (
        "64.74",
        datetime(2026, 11, 10, 1),
        3,
        {501: "going", 502: "going", 505: "going", 506: "waiting", 503: "declined"},
    ),
    ("64.74.01", datetime(2026, 11, 25, 1), None, {501: "going", 504: "going"}),
    ("64.74.03", datetime(2026, 9, 5, 1), 10, {507: "going"}),
    (API_API, datetime(2025, 6, 1, 1), 5, {501: "going", 502: "going"}),
    ("64.72", datetime(2026, 11, 12, 1), 20, {}),
]


def seed_trainings(runner) -> None:
    with runner.session() as session:
        for number, (area, starts, quota, answers) in enumerate(TRAININGS, start=1):
            created = training.create_training(
                session,
                title=f"Pelatihan {number}",
                description="Pengolahan hasil pertanian",
                starts_at=starts,
                place=f"Aula {number}",
                quota=quota,
                area_code=area,
                institutions=[],
                created_by=ADMIN_ID,
            )
            for order, (cadre, status) in enumerate(answers.items()):
                moment = starts - timedelta(days=7, minutes=-order)
                session.add(
                    TrainingRsvp(
                        training_id=created.id,
                        telegram_id=cadre,
                        status=status,
                        created_at=moment,
                        updated_at=moment,
                    )
                )


def seed_forum(runner) -> None:
    """The hand-built forum of this module (also used by the export tests)."""
    for telegram_id, village, institution, registered, seen, unreachable in FORUM:
        seed_cadre(
            runner,
            telegram_id,
            village,
            name=f"Kader {telegram_id}",
            institution=institution,
            phone=f"+62812000{telegram_id}",
        )
        set_cadre_history(
            runner,
            telegram_id,
            registered_at=registered,
            last_seen_at=seen,
            unreachable_since=unreachable,
        )
    for number, (reporter, village, category, submitted, decision, channelled) in enumerate(
        REPORTS, start=1
    ):
        report = seed_report(
            runner,
            reporter,
            village,
            title=f"Inovasi {number}",
            category=category,
            decision=decision,
            submitted_at=submitted,
        )
        if channelled:
            with runner.session() as session:
                assert reports.mark_featured(session, report.id, ADMIN_ID)
    for cadre, village, ranked in NEEDS:
        answer_needs(runner, cadre, village, ranked)
    seed_broadcasts(runner)
    seed_trainings(runner)


@pytest.fixture
def forum(bot, monkeypatch):
    monkeypatch.setattr(stats, "utcnow", lambda: NOW)
    seed_forum(bot)
    return bot


def view(user):
    """(figures text, chart message) of the statistics view on screen."""
    alive = [m for m in user.messages if not m.deleted]
    chart = alive[-1]
    assert chart.kind == "photo", user.chat.dump()
    return alive[-2].text, chart


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_official_sees_exact_figures_and_a_chart(forum, server):
    official = server.new_user(user_id=ADMIN_ID, first_name="Pak Dinas")
    await official.send_text("/statistik")
    text, chart = view(official)
    assert text == KOTA_MONTH
    assert chart.text == "📈 Grafik Kota Bontang — Bulan ini"
    width, height = png_size(chart.file_bytes)
    assert width == 640 and height > 400
    assert chart.buttons == [
        ["✅ Bulan ini", "3 bulan terakhir"],
        ["Tahun ini", "Seluruh periode"],
        ["Bontang Barat (1)", "Bontang Selatan (2)"],
        ["Bontang Utara (4)"],
        ["📋 Tanpa kader (10)", "📥 Unduh Excel"],
    ]
    assert chart.button_data[2] == ["st:v:64.74.03:m", "st:v:64.74.02:m"]
    assert "upload_photo" in official.chat.chat_actions


async def test_periods_change_new_registrations_only(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    await official.press("3 bulan terakhir")
    text, chart = view(official)
    assert "Periode: 3 bulan terakhir (1 Sep 2026 – 20 Nov 2026)" in text
    assert "Terdaftar: 7 (+4 baru pada periode ini)" in text
    assert "Aktif 30 hari terakhir: 4 (57,1%)" in text
    assert "📝 Laporan inovasi: 4 masuk, ⭐ 1 inovasi pilihan\n" in text
    assert (
        "Per kategori: Pertanian & peternakan 2 · Kesehatan 1 · Ekonomi kreatif/UMKM 1\n"
        "Per status: Menunggu tinjauan 1 · Perlu perbaikan 1 · Disetujui 1 · Ditolak 1\n"
    ) in text
    assert "Bontang Selatan: 2 kader, 1 aktif, 1/6 kel./desa, 1 laporan" in text
    assert (
        "🎓 Pelatihan: 3 (2 sudah berlangsung, 1 akan datang)\n"
        "Peserta 6 · daftar tunggu 1 · kuota terisi 30,8% (4 dari 13)\n"
    ) in text
    assert (
        "📣 Siaran: 4 siaran, 10 pesan ke kader wilayah ini\n"
        "Terkirim 5 (71,4%) · gagal 2 · menunggu/dibatalkan 3\n"
    ) in text
    assert chart.buttons[0] == ["Bulan ini", "✅ 3 bulan terakhir"]
    assert chart.text == "📈 Grafik Kota Bontang — 3 bulan terakhir"
    await official.press("Tahun ini")
    text, _ = view(official)
    assert "Periode: Tahun ini (1 Jan 2026 – 20 Nov 2026)" in text
    assert "Terdaftar: 7 (+5 baru pada periode ini)" in text
    assert "📝 Laporan inovasi: 4 masuk" in text
    assert "📣 Siaran: 4 siaran, 10 pesan" in text
    assert "🎓 Pelatihan: 3 (2 sudah berlangsung, 1 akan datang)" in text
    await official.press("Seluruh periode")
    text, chart = view(official)
    assert "Periode: Seluruh periode (sampai 20 Nov 2026)" in text
    assert "\nTerdaftar: 7\n" in text
    assert "📝 Laporan inovasi: 5 masuk, ⭐ 1 inovasi pilihan\n" in text
    assert "📣 Siaran: 5 siaran, 11 pesan ke kader wilayah ini\nTerkirim 6 (75%)" in text
    assert (
        "🎓 Pelatihan: 4 (3 sudah berlangsung, 1 akan datang)\n"
        "Peserta 8 · daftar tunggu 1 · kuota terisi 33,3% (6 dari 18)\n"
    ) in text
    assert "Bontang Barat: 1 kader, 0 aktif, 1/3 kel./desa, 1 laporan" in text
    # The drill-down keeps the chosen period.
    assert chart.button_data[3] == ["st:v:64.74.01:a"]
    # Navigation replaces the view: only the latest figures and chart remain.
    alive = [m for m in official.messages if not m.deleted]
    assert len(alive) == 2


async def test_drill_down_to_kelurahan_and_back(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    await official.press("Bontang Utara (4)")
    text, chart = view(official)
    assert text == UTARA_MONTH
    assert chart.text == "📈 Grafik Kec. Bontang Utara — Bulan ini"
    assert chart.buttons[2:] == [
        ["Api-Api (2)", "Bontang Baru (0)"],
        ["Bontang Kuala (0)", "Guntung (1)"],
        ["Gunung Elai (0)", "Lok Tuan (1)"],
        ["📋 Tanpa kader (3)", "📥 Unduh Excel"],
        ["⬆️ Kota Bontang"],
    ]
    await official.press("Api-Api (2)")
    text, chart = view(official)
    assert text.startswith("📊 Statistik Kel. Api-Api\n")
    assert "Terdaftar: 2 (+1 baru pada periode ini)" in text
    assert "Aktif 30 hari terakhir: 2 (100%)" in text
    assert "Cakupan: 1 dari 1 kelurahan/desa sudah punya kader (100%)" in text
    assert "Semua kelurahan/desa sudah punya kader." in text
    assert "PKK 1 · Posyandu 1" in text
    assert "Per kelurahan/desa" not in text
    assert chart.buttons[2:] == [["📥 Unduh Excel"], ["⬆️ Kec. Bontang Utara"]]
    png_size(chart.file_bytes)
    await official.press("⬆️ Kec. Bontang Utara")
    assert view(official)[0] == UTARA_MONTH
    await official.press("⬆️ Kota Bontang")
    assert view(official)[0] == KOTA_MONTH
    assert len([m for m in official.messages if not m.deleted]) == 2


async def test_unknown_region_inside_the_scope(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    _, chart = view(official)
    await official.press_data("st:v:64.74.09:m", chart)
    assert official.last_message.text == "Wilayah ini tidak ditemukan."
    assert not chart.deleted
    await official.press_data("st:e:64.74.09", chart)
    assert official.texts[-1] == "Wilayah ini tidak ditemukan."


async def test_list_of_kelurahan_without_cadres(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    await official.press("📋 Tanpa kader (10)")
    assert official.last_message.text == (
        "📋 Kelurahan/desa tanpa kader di Kota Bontang (10)\n"
        "Kec. Bontang Utara: Kel. Bontang Kuala, Kel. Bontang Baru, Kel. Gunung Elai\n"
        "Kec. Bontang Selatan: Kel. Tanjung Laut, Kel. Berbas Tengah, Kel. Berbas Pantai, "
        "Kel. Bontang Lestari, Kel. Tanjung Laut Indah\n"
        "Kec. Bontang Barat: Kel. Belimbing, Kel. Gunung Telihan"
    )


async def test_coordinator_sees_only_their_scope_even_with_forged_buttons(forum, server):
    coordinator = server.new_user(first_name="Bu Koordinator")
    seed_coordinator(forum, coordinator.id, "64.74.02")
    await coordinator.send_text("/statistik")
    text, chart = view(coordinator)
    assert text.startswith("📊 Statistik Kec. Bontang Selatan\n")
    assert "Terdaftar: 2 (+1 baru pada periode ini)" in text
    assert "Aktif 30 hari terakhir: 1 (50%)" in text
    assert "Cakupan: 1 dari 6 kelurahan/desa" in text
    assert "Satimpo: 2 kader, 1 aktif" in text
    assert not any("⬆️" in label for label in chart.flat_buttons)
    sent = len(coordinator.messages)
    for forged in ("st:v:64.74.01:m", "st:v:64.74:a", "st:e:64.74", "st:v:64.71.01:m"):
        await coordinator.press_data(forged, chart)
        answer = coordinator.callback_answers[-1]
        assert answer["text"] == "Anda tidak berwenang melihat data wilayah ini.", forged
        assert answer["show_alert"] is True
    for malformed in ("st:v:64.74.02:z", "st:v:64.74.02'--:m", "st:x:64.74.02"):
        await coordinator.press_data(malformed, chart)
        assert coordinator.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    assert len(coordinator.messages) == sent
    # Inside the scope the drill-down works as for officials.
    await coordinator.press("Satimpo (2)")
    assert view(coordinator)[0].startswith("📊 Statistik Kel. Satimpo\n")
    await coordinator.press("⬆️ Kec. Bontang Selatan")
    assert view(coordinator)[0].startswith("📊 Statistik Kec. Bontang Selatan\n")


async def test_coordinator_of_two_areas_chooses_between_them(forum, server):
    coordinator = server.new_user()
    seed_coordinator(forum, coordinator.id, "64.74.03")
    seed_coordinator(forum, coordinator.id, API_API)
    await coordinator.send_text("/statistik")
    chooser = coordinator.last_message
    assert chooser.text == "📊 Statistik\nPilih wilayah yang ingin Anda lihat:"
    assert chooser.buttons == [["Kel. Api-Api"], ["Kec. Bontang Barat"]]
    await coordinator.press("Kel. Api-Api")
    text, chart = view(coordinator)
    assert text.startswith("📊 Statistik Kel. Api-Api\n")
    assert chooser.deleted
    await coordinator.press("⬅️ Wilayah saya")
    assert coordinator.last_message.text.startswith("📊 Statistik\nPilih wilayah")
    assert chart.deleted
    await coordinator.press("Kec. Bontang Barat")
    assert "Kanaan: 1 kader, 0 aktif, 1/1 kel./desa" not in view(coordinator)[0]
    assert "Kanaan: 1 kader, 0 aktif" in view(coordinator)[0]


async def test_cadres_and_guests_are_refused_politely(forum, server):
    cadre = server.new_user(user_id=501)
    await cadre.send_text("/statistik")
    assert cadre.last_message.text == (
        "Maaf, statistik hanya dapat dibuka oleh koordinator wilayah dan petugas dinas."
    )
    await cadre.press_data("st:v:64.74:m", cadre.last_message)
    assert cadre.callback_answers[-1]["show_alert"] is True
    guest = server.new_user()
    await guest.send_text("/statistik")
    assert "hanya dapat dibuka oleh koordinator" in guest.last_message.text
    assert all(m.kind != "photo" for m in cadre.messages + guest.messages)


async def test_english_view_and_empty_area(bot, server, monkeypatch):
    monkeypatch.setattr(stats, "utcnow", lambda: NOW)
    official = server.new_user(user_id=ADMIN_ID, language_code="en")
    await official.send_text("/statistik")
    text, chart = view(official)
    assert text.startswith("📊 Statistics for Kota Bontang\nPeriod: This month (1 Nov 2026 – ")
    assert "Registered: 0 (+0 new in this period)" in text
    assert (
        "Innovation reports: 0 submitted, ⭐ 0 featured\n\n"
        "🎓 Trainings: 0 (0 held, 0 upcoming)\n\n"
        "📋 Training needs: 0 of 0 cadres answered (/peta_kebutuhan)\n"
        "No answers from this area yet.\n\n"
        "📣 Broadcasts: 0, 0 messages to cadres of this area\n\n📍 By district"
    ) in text
    assert "Active in the last 30 days: 0 (–)" in text
    assert "Coverage: 0 of 15 kelurahan/villages have a cadre (0%)" in text
    assert chart.text == "📈 Chart: Kota Bontang — This month"
    assert png_size(chart.file_bytes)[0] == 640


async def test_view_survives_a_restart(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    first_text = [m for m in official.messages if not m.deleted][-2]
    await forum.restart()
    await official.press("Bontang Barat (1)")
    assert view(official)[0].startswith("📊 Statistik Kec. Bontang Barat\n")
    assert first_text.deleted


async def test_finished_broadcasts_are_summarised_once(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    await official.press("Seluruh periode")
    with forum.session() as session:
        done = session.exec(select(SummarisedBroadcast.broadcast_id)).all()
        rows = session.exec(
            select(DeliverySummary).order_by(
                DeliverySummary.broadcast_id, DeliverySummary.village_code
            )
        ).all()
    assert sorted(done) == [1, 2, 3]
    assert [(r.broadcast_id, r.village_code, r.sent, r.failed, r.other) for r in rows] == [
        (1, KANAAN, 1, 0, 0),
        (2, LOK_TUAN, 1, 0, 0),
        (2, SATIMPO, 0, 0, 1),
        (2, KANAAN, 0, 1, 0),
        (3, GUNTUNG, 0, 1, 0),
        (3, API_API, 2, 0, 0),
        (3, SATIMPO, 1, 0, 0),
    ]


async def test_province_forum_starts_at_the_regencies(forum, server):
    await forum.restart(forum_area="64")
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    text, chart = view(official)
    assert text.startswith("📊 Statistik Kalimantan Timur\n")
    assert "Cakupan: 5 dari 1.038 kelurahan/desa sudah punya kader (0,5%)" in text
    assert (
        "📍 Per kabupaten/kota\nKota Bontang: 7 kader, 4 aktif, 5/15 kel./desa, 2 laporan" in text
    )
    labels = chart.flat_buttons
    assert "Kab. Kutai Kartanegara (0)" in labels and "Kota Bontang (7)" in labels
    assert len([label for label in labels if label.startswith(("Kab. ", "Kota "))]) == 10
    await official.press("Kota Bontang (7)")
    assert view(official)[0].startswith("📊 Statistik Kota Bontang\n")
    assert "⬆️ Kalimantan Timur" in view(official)[1].flat_buttons


async def test_a_chart_already_sent_is_sent_again_by_file_id(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    await official.press("Bontang Utara (4)")
    await official.press("⬆️ Kota Bontang")
    photos = [c.params["photo"] for c in server.calls_for("sendPhoto")]
    assert not isinstance(photos[0], str) and not isinstance(photos[1], str)
    assert isinstance(photos[2], str)  # the Kota Bontang chart again: Telegram's file id
    assert view(official)[1].file_bytes == server.chat(official.id).messages[1].file_bytes
    # Where the time went, per stage (`/metrics`): two charts drawn and uploaded, one reused.
    stages = {
        sample.labels["stage"]: sample.value
        for metric in forum.app.metrics.statistics_seconds.collect()
        for sample in metric.samples
        if sample.name.endswith("_count")
    }
    assert stages == {
        "sql": 3,
        "sql_cpu": 3,
        "text": 3,
        "chart": 2,
        "chart_wait": 2,
        "send_text": 3,
        "upload": 2,
        "send_photo": 1,
        "delete": 3,
    }
    # Telegram may forget a file: then the PNG is uploaded again.
    server.fail_next("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified")
    await official.press("Bontang Utara (4)")
    assert view(official)[0] == UTARA_MONTH
    assert not isinstance(server.calls_for("sendPhoto")[-1].params["photo"], str)
    png_size(view(official)[1].file_bytes)
