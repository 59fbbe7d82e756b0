"""End-to-end: /ekspor and the statistics view's Excel button, through the fake server.

The workbook the bot sends is opened with openpyxl and checked cell by cell against the
hand-built forum of the statistics tests.
"""

from __future__ import annotations

import asyncio
import io
import time
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot import export
from storage import export as export_storage
from storage import stats
from storage.models import AuditLog, Report
from tests.auxil.flows import seed_coordinator
from tests.bot.test_statistics import NOW, SATIMPO, seed_forum, view
from tests.conftest import ADMIN_ID

NEEDS_HEADERS = (
    "Wilayah",
    "Kode wilayah",
    "Pelatihan",
    "Skor kebutuhan",
    "Kelurahan/desa yang meminta",
    "Kader yang meminta",
    "Koordinator wilayah",
    "HP koordinator",
)
UTARA, SELATAN = "Kec. Bontang Utara, Kota Bontang", "Kec. Bontang Selatan, Kota Bontang"
CADRE_HEADERS = [
    "Nama",
    "No. HP",
    "Lembaga",
    "Kelurahan/Desa",
    "Kecamatan",
    "Kabupaten/Kota",
    "Kode wilayah",
    "Terdaftar",
    "Terakhir aktif",
    "Tidak dapat dihubungi sejak",
    "Terima siaran",
]


@pytest.fixture
def forum(bot, monkeypatch):
    monkeypatch.setattr(stats, "utcnow", lambda: NOW)
    monkeypatch.setattr(export, "utcnow", lambda: NOW)
    seed_forum(bot)
    return bot


def workbook_of(message):
    assert message.kind == "document"
    return load_workbook(io.BytesIO(message.file_bytes))


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def audit_rows(runner):
    with runner.session() as session:
        return session.exec(select(AuditLog).where(AuditLog.action == "export.xlsx")).all()


async def test_official_exports_the_forum_area_with_phone_numbers(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/ekspor")
    status, document = official.messages[-2:]
    assert status.text.startswith("✅ File Excel untuk Kota Bontang sudah dikirim (")
    assert status.edits == 1
    assert document.file_name == "forkom-kota-bontang-2026-11-20.xlsx"
    assert document.text == (
        "📥 Data Kota Bontang per 20 November 2026\nKader: 7 baris\nLaporan: 5 baris\n"
        "Pelatihan & peserta: 9 baris\nSiaran: 5 baris\nUsulan pelatihan: 5 baris\n"
        "Kehadiran pelatihan: 3 baris\nKehadiran per wilayah: 4 baris"
    )
    assert "upload_document" in official.chat.chat_actions

    book = workbook_of(document)
    assert book.sheetnames == [
        "Ringkasan",
        "Kader",
        "Laporan",
        "Pelatihan & peserta",
        "Siaran",
        "Usulan pelatihan",
        "Kehadiran pelatihan",
        "Kehadiran per wilayah",
    ]
    cadres = book["Kader"]
    assert cadres.freeze_panes == "A2"
    assert cadres.auto_filter.ref == "A1:K8"
    assert cadres.column_dimensions["A"].width == 28
    assert cadres["A1"].font.b
    table = rows(cadres)
    assert table[0] == CADRE_HEADERS
    assert len(table) == 8
    # Ordered by kelurahan code: Lok Tuan, Guntung, Api-Api (2), Satimpo (2), Kanaan.
    assert [r[0] for r in table[1:]] == [
        "Kader 504",
        "Kader 503",
        "Kader 501",
        "Kader 502",
        "Kader 505",
        "Kader 506",
        "Kader 507",
    ]
    assert table[2] == [
        "Kader 503",
        "+62812000503",
        "PKK",
        "Guntung",
        "Bontang Utara",
        "Kota Bontang",
        "64.74.01.1004",
        datetime(2026, 3, 10, 8, 0),  # stored UTC, shown in WITA
        datetime(2026, 9, 1, 8, 0),
        datetime(2026, 9, 2, 8, 0),
        "Ya",
    ]
    assert table[1][9] is None
    assert cadres["H2"].number_format == "dd/mm/yyyy hh:mm"
    # The needs per kecamatan, most asked first (score 3-2-1, kelurahan/desa, cadres asking).
    assert rows(book["Usulan pelatihan"]) == [
        list(NEEDS_HEADERS),
        [UTARA, "64.74.01", "Las", 8, 2, 3, None, None],
        [UTARA, "64.74.01", "Perbaikan AC", 3, 1, 1, None, None],
        [UTARA, "64.74.01", "Menjahit", 2, 1, 1, None, None],
        [UTARA, "64.74.01", "Tata boga & olahan pangan", 1, 1, 1, None, None],
        [SELATAN, "64.74.02", "Menjahit", 3, 1, 1, None, None],
    ]

    reports = rows(book["Laporan"])
    assert reports[0] == [
        "No.",
        "Tanggal masuk",
        "Judul",
        "Kategori",
        "Status",
        "Inovasi pilihan",
        "Kelurahan/Desa",
        "Kecamatan",
        "Kabupaten/Kota",
        "Lembaga",
        "Pelapor",
    ]
    assert [r[2:6] for r in reports[1:]] == [
        ["Inovasi 1", "Pertanian & peternakan", "Disetujui", "Ya"],
        ["Inovasi 2", "Kesehatan", "Menunggu tinjauan", "Tidak"],
        ["Inovasi 3", "Pertanian & peternakan", "Ditolak", "Tidak"],
        ["Inovasi 4", "Ekonomi kreatif/UMKM", "Perlu perbaikan", "Tidak"],
        ["Inovasi 5", "Lingkungan", "Disetujui", "Tidak"],
    ]
    assert reports[4][1] == datetime(2026, 10, 31, 23, 59)
    assert reports[5][6:] == ["Kanaan", "Bontang Barat", "Kota Bontang", "PKK", "Kader 507"]
    assert book["Laporan"].freeze_panes == "A2"
    assert book["Laporan"].auto_filter.ref == "A1:K6"

    summary = rows(book["Ringkasan"])
    assert summary[0][0] == "Ringkasan data Forkom KPM"
    assert summary[1][:2] == ["Wilayah", "Kota Bontang"]
    assert summary[2][:2] == ["Dibuat (WITA)", datetime(2026, 11, 20, 12, 0)]
    assert summary[3][:2] == ["Nomor HP", "Disertakan (petugas dinas)"]
    assert summary[5] == [
        "Wilayah",
        "Kader terdaftar",
        "Aktif 30 hari",
        "Tidak dapat dihubungi",
        "Kel./desa",
        "Kel./desa dengan kader",
        "Cakupan",
        "Laporan",
    ]
    assert summary[6:10] == [
        ["Bontang Barat", 1, 0, 1, 3, 1, pytest.approx(1 / 3), 1],
        ["Bontang Selatan", 2, 1, 0, 6, 1, pytest.approx(1 / 6), 1],
        ["Bontang Utara", 4, 3, 1, 6, 3, 0.5, 3],
        ["Total Kota Bontang", 7, 4, 2, 15, 5, pytest.approx(1 / 3), 5],
    ]
    institutions = summary[summary.index(["Lembaga", "Kader terdaftar", *[None] * 6]) + 1 :]
    assert institutions[:5] == [
        ["PKK", 3, *[None] * 6],
        ["Karang Taruna", 1, *[None] * 6],
        ["Lainnya", 1, *[None] * 6],
        ["LPM", 1, *[None] * 6],
        ["Posyandu", 1, *[None] * 6],
    ]
    assert ["Pertanian & peternakan", 2, *[None] * 6] in summary

    (entry,) = audit_rows(forum)
    assert entry.actor_id == ADMIN_ID and entry.target == "64.74"
    assert entry.details == {
        "rows": {
            "Kader": 7,
            "Laporan": 5,
            "Pelatihan & peserta": 9,
            "Siaran": 5,
            "Usulan pelatihan": 5,
            "Kehadiran pelatihan": 3,
            "Kehadiran per wilayah": 4,
        },
        "phones": True,
    }

    trainings = rows(book["Pelatihan & peserta"])
    assert trainings[0] == [
        "No.",
        "Judul",
        "Mulai",
        "Tempat",
        "Wilayah sasaran",
        "Kuota",
        "Peserta",
        "Daftar tunggu",
        "Nama peserta",
        "No. HP",
        "Status",
        "Kelurahan/Desa",
        "Lembaga",
    ]
    assert [(r[0], r[8], r[10]) for r in trainings[1:]] == [
        (4, "Kader 501", "Ikut"),
        (4, "Kader 502", "Ikut"),
        (3, "Kader 507", "Ikut"),
        (1, "Kader 501", "Ikut"),
        (1, "Kader 502", "Ikut"),
        (1, "Kader 505", "Ikut"),
        (1, "Kader 506", "Daftar tunggu"),
        (2, "Kader 501", "Ikut"),
        (2, "Kader 504", "Ikut"),
    ]
    assert trainings[4] == [
        1,
        "Pelatihan 1",
        datetime(2026, 11, 10, 9, 0),
        "Aula 1",
        "Kota Bontang",
        3,
        3,
        1,
        "Kader 501",
        "+62812000501",
        "Ikut",
        "Api-Api",
        "PKK",
    ]
    assert trainings[8][4:8] == ["Bontang Utara", None, 2, 0]

    broadcasts = rows(book["Siaran"])
    assert broadcasts[0] == [
        "No.",
        "Dibuat",
        "Jenis",
        "Judul",
        "Status",
        "Penerima di wilayah",
        "Terkirim",
        "Gagal",
        "Menunggu/dibatalkan",
        "Tingkat terkirim",
    ]
    assert broadcasts[1:] == [
        [1, datetime(2025, 3, 1, 8), "Pengumuman", "Pengumuman 1", "Selesai", 1, 1, 0, 0, 1],
        [2, datetime(2026, 9, 20, 8), "Pengumuman", "Pengumuman 2", "Dibatalkan", 3, 1, 1, 1, 0.5],
        [3, datetime(2026, 11, 3, 8), "Pengumuman", "Pengumuman 3", "Selesai", 4, 3, 1, 0, 0.75],
        [
            4,
            datetime(2026, 11, 19, 8),
            "Pengumuman",
            "Pengumuman 4",
            "Menunggu jadwal",
            2,
            0,
            0,
            2,
            None,
        ],
        [5, datetime(2026, 11, 20, 11), "Pengumuman", "Pengumuman 5", "Selesai", 1, 1, 0, 0, 1],
    ]
    assert book["Siaran"]["J2"].number_format == "0.0%"
    assert book["Siaran"].freeze_panes == "A2"


async def test_coordinator_export_is_scoped_and_has_no_phone_numbers(forum, server):
    coordinator = server.new_user()
    seed_coordinator(forum, coordinator.id, "64.74.02")
    await coordinator.send_text("/ekspor")
    document = coordinator.messages[-1]
    assert document.file_name == "forkom-kec-bontang-selatan-2026-11-20.xlsx"
    book = workbook_of(document)
    cadres = rows(book["Kader"])
    assert cadres[0] == [h for h in CADRE_HEADERS if h != "No. HP"]
    assert [r[0] for r in cadres[1:]] == ["Kader 505", "Kader 506"]
    assert book["Kader"].auto_filter.ref == "A1:J3"
    every_cell = [str(v) for sheet in book for row in rows(sheet) for v in row if v is not None]
    assert not any(v.startswith("+62") for v in every_cell)
    assert [r[2] for r in rows(book["Laporan"])[1:]] == ["Inovasi 4"]
    # Only Satimpo's answer: per kelurahan/desa inside the kecamatan, no phone column.
    assert rows(book["Usulan pelatihan"]) == [
        list(NEEDS_HEADERS[:-1]),
        ["Kel. Satimpo, Kec. Bontang Selatan, Kota Bontang", SATIMPO, "Menjahit", 3, 1, 1, None],
    ]
    trainings = rows(book["Pelatihan & peserta"])
    assert "No. HP" not in trainings[0]
    # The kota-wide training reaches the kecamatan: its participants from Bontang Selatan.
    assert [r[:1] + r[8:] for r in trainings[1:]] == [
        [1, "Kader 505", "Ikut", "Satimpo", "PKK"],
        [1, "Kader 506", "Daftar tunggu", "Satimpo", "Karang Taruna"],
    ]
    assert [r[:1] + r[5:] for r in rows(book["Siaran"])[1:]] == [
        [2, 1, 0, 0, 1, None],
        [3, 1, 1, 0, 0, 1],
        [5, 1, 1, 0, 0, 1],
    ]
    summary = rows(book["Ringkasan"])
    assert summary[3][:2] == ["Nomor HP", "Tidak disertakan (hanya untuk petugas dinas)"]
    assert [r[0] for r in summary[6:13]] == [
        "Berbas Pantai",
        "Berbas Tengah",
        "Bontang Lestari",
        "Satimpo",
        "Tanjung Laut",
        "Tanjung Laut Indah",
        "Total Kec. Bontang Selatan",
    ]
    assert summary[9][:8] == ["Satimpo", 2, 1, 0, 1, 1, 1, 1]
    assert summary[12][:8] == ["Total Kec. Bontang Selatan", 2, 1, 0, 6, 1, pytest.approx(1 / 6), 1]
    (entry,) = audit_rows(forum)
    assert entry.details["phones"] is False and entry.target == "64.74.02"


async def test_excel_button_of_a_view_exports_that_area(forum, server):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    await official.press("Bontang Utara (4)")
    _, chart = view(official)
    await official.press("📥 Unduh Excel", chart)
    document = official.messages[-1]
    assert document.file_name == "forkom-kec-bontang-utara-2026-11-20.xlsx"
    book = workbook_of(document)
    assert len(rows(book["Kader"])) == 5
    assert rows(book["Kader"])[1][1] == "+62812000504"


async def test_forged_export_buttons_and_cadres_are_refused(forum, server):
    coordinator = server.new_user()
    seed_coordinator(forum, coordinator.id, "64.74.02")
    await coordinator.send_text("/statistik")
    _, chart = view(coordinator)
    for forged in ("ex:64.74.01", "ex:64.74", "ex:64.71"):
        await coordinator.press_data(forged, chart)
        answer = coordinator.callback_answers[-1]
        assert answer["text"] == "Anda tidak berwenang melihat data wilayah ini.", forged
    await coordinator.press_data("ex:../../etc", chart)
    assert coordinator.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    assert all(m.kind != "document" for m in coordinator.messages)

    cadre = server.new_user(user_id=501)
    await cadre.send_text("/ekspor")
    assert cadre.last_message.text == (
        "Maaf, unduhan data hanya untuk koordinator wilayah dan petugas dinas."
    )
    await cadre.press_data("ex:64.74.01", cadre.last_message)
    assert cadre.callback_answers[-1]["show_alert"] is True
    assert all(m.kind != "document" for m in cadre.messages)
    assert audit_rows(forum) == []


async def test_export_runs_off_the_event_loop_one_at_a_time(forum, server, monkeypatch):
    """While a slow export is built, other users are answered and a second export waits."""
    real_build = export_storage.build_workbook

    def slow_build(database, request, labels, path, progress):
        result = real_build(database, request, labels, path, progress)
        time.sleep(0.6)  # blocks the worker thread only
        return result

    monkeypatch.setattr(export, "build_workbook", slow_build)
    monkeypatch.setattr(export, "PROGRESS_SECONDS", 0.1)
    official = server.new_user(user_id=ADMIN_ID)
    coordinator = server.new_user()
    seed_coordinator(forum, coordinator.id, "64.74.03")
    bystander = server.new_user(first_name="Tamu")

    first = asyncio.create_task(official.send_text("/ekspor"))
    await official.wait_for(lambda: official.messages and official.messages[0].text)
    second = asyncio.create_task(coordinator.send_text("/ekspor"))
    await bystander.send_text("/bantuan")
    # Answered while the first export is still being built: the loop was never blocked.
    assert bystander.last_message is not None and not first.done()
    await asyncio.gather(first, second)

    status = official.messages[0]
    assert status.edits >= 2  # progress, then done
    assert official.messages[-1].kind == "document"
    first_words = [
        c.params["text"]
        for c in server.calls_for("sendMessage")
        if c.params["chat_id"] == coordinator.id
    ]
    assert first_words[0].startswith("⏳ Ekspor lain sedang dibuat.")
    assert coordinator.messages[-1].kind == "document"
    assert official.chat.chat_actions.count("upload_document") >= 2


async def test_english_labels(forum, server):
    official = server.new_user(user_id=ADMIN_ID, language_code="en")
    await official.send_text("/ekspor")
    book = workbook_of(official.messages[-1])
    assert book.sheetnames == [
        "Summary",
        "Cadres",
        "Reports",
        "Trainings & participants",
        "Broadcasts",
        "Training proposal",
        "Training attendance",
        "Attendance by area",
    ]
    assert rows(book["Training proposal"])[1][2] == "Welding"
    assert rows(book["Cadres"])[0][:3] == ["Name", "Phone", "Institution"]
    assert rows(book["Cadres"])[3][2] == "PKK"
    assert rows(book["Reports"])[1][4] == "Approved"
    assert rows(book["Broadcasts"])[2][2:5] == ["Announcement", "Pengumuman 2", "Cancelled"]


async def test_a_report_whose_reporter_erased_their_data_names_nobody(forum, server):
    """Erasure leaves the report and empties its reporter (ON DELETE SET NULL); the sheet says
    so, on SQLite (names read apart) and PostgreSQL (joined in SQL) alike."""
    with forum.session() as session:
        report = session.exec(select(Report).where(Report.title == "Inovasi 5")).one()
        report.reporter_id = None
        session.add(report)
        session.commit()
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/ekspor")
    reports = rows(workbook_of(official.messages[-1])["Laporan"])
    assert [(r[2], r[10]) for r in reports[1:]] == [
        ("Inovasi 1", "Kader 501"),
        ("Inovasi 2", "Kader 502"),
        ("Inovasi 3", "Kader 503"),
        ("Inovasi 4", "Kader 505"),
        ("Inovasi 5", "(data pelapor sudah dihapus)"),
    ]


async def test_a_workbook_too_big_for_telegram_is_not_sent(forum, server, monkeypatch):
    monkeypatch.setattr(export, "MAX_UPLOAD_BYTES", 1000)
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/ekspor")
    assert all(m.kind != "document" for m in official.messages)
    status = official.last_message.text
    assert status.startswith("File Excel untuk Kota Bontang terlalu besar untuk dikirim lewat")
    assert "pilih wilayah yang lebih kecil lewat /statistik" in status
    assert audit_rows(forum) == []


def test_the_gate_admits_one_export_per_user_and_bounds_the_queue():
    gate = export.ExportGate()
    assert gate.enter(1, now=0.0) is None
    assert gate.enter(1, now=1.0) is export.GateRefusal.BUSY
    gate.leave(1, now=10.0)
    assert gate.enter(1, now=20.0) is export.GateRefusal.COOLDOWN
    assert gate.seconds_left(1, now=20.0) == 50
    assert gate.enter(1, now=10.0 + export.COOLDOWN_SECONDS) is None
    for user in range(2, export.MAX_QUEUED + 1):
        assert gate.enter(user, now=100.0) is None
    assert gate.enter(99, now=100.0) is export.GateRefusal.QUEUE_FULL
    gate.leave(2, now=101.0)
    assert gate.enter(99, now=101.0) is None
    assert set(gate.finished) == {2}  # old cooldowns are forgotten


async def test_repeated_export_taps_make_one_file_then_a_cooldown(forum, server, monkeypatch):
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    await official.press("Bontang Utara (4)")
    _, chart = view(official)
    for _ in range(5):
        await official.press("📥 Unduh Excel", chart)
    assert [m.kind for m in official.messages].count("document") == 1
    answer = official.callback_answers[-1]
    assert answer["show_alert"] is True
    assert answer["text"].startswith("Anda baru saja mengunduh file Excel.")
    await official.send_text("/ekspor")
    assert "coba lagi dalam" in official.last_message.text
    assert len(audit_rows(forum)) == 1

    monkeypatch.setattr(export, "COOLDOWN_SECONDS", 0.0)
    await official.send_text("/ekspor")
    assert official.messages[-1].kind == "document"
