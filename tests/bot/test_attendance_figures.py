"""Training figures (issue 13, item 5): exact on a hand-built data set; the XLSX sheet; and
end to end through the fake server, /statistik (text and chart) and /ekspor (both sheets read
back with openpyxl) for an official and for a coordinator who forges buttons."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot import export
from bot.auth import identify
from bot.statistics.view import compose_view
from bot.training.figures import figures_text, training_sheet
from storage import attendance as store
from storage import stats
from storage import training as training_store
from storage.attendance_figures import area_figures, training_figures
from storage.models import FollowUp
from storage.stats import Period
from storage.xlsx import StreamingWorkbook, Styles
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    village_code,
)
from tests.bot.test_statistics import view
from tests.conftest import ADMIN_ID

STARTS = datetime(2026, 12, 14, 0, 0)
PERIOD = (datetime(2026, 12, 1), datetime(2027, 1, 1))
NOW = datetime(2026, 12, 20, 4, 0)  # 12:00 WITA: both trainings held this month


def build(bot) -> tuple[int, int]:
    """Barat: 4 signed up, 3 came (+1 walk-in), ratings 5, 4, 3; follow-ups: A used yes and
    works (30 days) then partly and not yet (90: the later wins), B not yet / not yet.
    Utara: 2 signed up, nobody came."""
    barat_village = village_code(bot, BONTANG_BARAT, "Kanaan")
    utara_village = village_code(bot, BONTANG_UTARA, "Bontang Kuala")
    ids = list(range(9001, 9008))
    for n, telegram_id in enumerate(ids):
        seed_cadre(bot, telegram_id, barat_village if n < 5 else utara_village, name=f"K{n}")
    with bot.session() as session:
        made = [
            training_store.create_training(
                session,
                title=title,
                description="-",
                starts_at=STARTS + timedelta(days=n),
                place="Aula",
                quota=None,
                area_code=area,
                institutions=[],
                created_by=1,
            )
            for n, (title, area) in enumerate((("Gizi", BONTANG_BARAT), ("Kue", BONTANG_UTARA)))
        ]
        session.commit()
        barat, utara = made[0].id, made[1].id
        for telegram_id in ids[:4]:
            training_store.respond(session, barat, telegram_id, True, STARTS - timedelta(days=1))
        for telegram_id in ids[5:7]:
            training_store.respond(session, utara, telegram_id, True, STARTS - timedelta(days=1))
        for telegram_id in (*ids[:3], ids[4]):  # ids[4] never signed up: a walk-in
            store.tick(session, barat, telegram_id, 1, STARTS)
        for telegram_id, rating in zip(ids[:3], (5, 4, 3), strict=True):
            store.rate(session, barat, telegram_id, rating)
        answers = (
            (ids[0], 30, ("yes", "working", "yes")),
            (ids[0], 90, ("partly", "not_yet", "yes")),
            (ids[1], 30, ("not_yet", "not_yet", "no")),
        )
        for telegram_id, days, (used, situation, recommend) in answers:
            attendance = store._attendance(session, barat, telegram_id)
            assert attendance is not None and attendance.id is not None
            session.add(
                FollowUp(
                    attendance_id=attendance.id,
                    days=days,
                    sent_at=STARTS,
                    used=used,
                    situation=situation,
                    recommend=recommend,
                    answered_at=STARTS + timedelta(days=days),
                )
            )
        session.commit()
    return barat, utara


async def test_figures_are_exact_on_a_hand_built_set(bot):
    barat, utara = build(bot)
    with bot.session() as session:
        rows = training_figures(session, ["64.74"], *PERIOD)
        assert training_figures(session, [BONTANG_UTARA], *PERIOD)[0].training.id == utara
    by_id = {r.training.id: r.figures for r in rows}
    f = by_id[barat]
    assert (f.signed_up, f.attended, f.walk_ins, f.ratings, f.answered) == (4, 4, 1, 3, 2)
    assert f.attendance_rate == 0.75 and f.rating == 4.0
    assert f.using_skill_share == 0.5  # A partly (90 days wins), B not yet
    assert f.earning_share == 0.0  # A "not yet" at 90 days, B not yet
    assert by_id[utara].signed_up == 2 and by_id[utara].attendance_rate == 0.0
    assert by_id[utara].rating is None
    areas = area_figures(rows, ["64.74", BONTANG_BARAT, BONTANG_UTARA])
    assert areas["64.74"].signed_up == 6 and areas["64.74"].attended == 4
    assert areas[BONTANG_BARAT] == f
    # A training counts for the area it was held for and those around it, not inside it.
    kota = area_figures(rows, ["64.74"])["64.74"]
    assert area_figures([r for r in rows if r.training.id == barat], [BONTANG_UTARA]) == {
        BONTANG_UTARA: area_figures([], [BONTANG_UTARA])[BONTANG_UTARA]
    }
    assert kota == f + by_id[utara]
    assert "hadir 4 (75% dari yang mendaftar)" in figures_text(f, "id")
    assert "Nilai 4,0 dari 3 penilaian" in figures_text(f, "id")
    assert "Rating 4.0 from 3 ratings" in figures_text(f, "en")
    # Nobody rated or answered yet: the counts only, no line of dashes.
    assert figures_text(by_id[utara], "id") == (
        "Mendaftar 2 · hadir 0 (0% dari yang mendaftar) · datang tanpa mendaftar 0"
    )

    buffer = io.BytesIO()
    workbook = StreamingWorkbook(buffer)
    sheet = training_sheet(
        workbook,
        Styles.register(workbook),
        bot.database,
        ["64.74"],
        PERIOD,
        bot.settings.timezone,
        "id",
    )
    assert sheet.rows_written == 2
    workbook.close()
    values = list(load_workbook(io.BytesIO(buffer.getvalue()))["Kehadiran pelatihan"].values)
    assert values[0][:3] == ("No. pelatihan", "Judul", "Mulai")
    assert values[1][0] == barat and values[1][1] == "Gizi"
    assert values[1][2] == datetime(2026, 12, 14, 8, 0)  # local time
    assert values[1][5:] == (4, 4, 0.75, 1, 3, 4, 2, 0.5, 0)


@pytest.fixture
def held(bot, monkeypatch):
    """The hand-built set, seen a few days after both trainings."""
    monkeypatch.setattr(stats, "utcnow", lambda: NOW)
    monkeypatch.setattr(export, "utcnow", lambda: NOW)
    return (bot, *build(bot))


KOTA_ATTENDANCE = """✅ Kehadiran: 2 pelatihan sudah berlangsung
Mendaftar 6 · hadir 4 (50% dari yang mendaftar) · datang tanpa mendaftar 1
Nilai 4,0 dari 3 penilaian · tindak lanjut dijawab 2: menerapkan keterampilan 50%, \
bekerja atau berusaha 0%
Per kecamatan:
Bontang Barat: 1 pelatihan, mendaftar 4, hadir 4 (75%)
Bontang Utara: 1 pelatihan, mendaftar 2, hadir 0 (0%)
Terakhir:
Kue (15 Des 2026): mendaftar 2, hadir 0 (0%), nilai –
Gizi (14 Des 2026): mendaftar 4, hadir 4 (75%), nilai 4,0
"""


async def test_statistics_show_the_attendance_with_a_chart(held, server):
    bot, _, _ = held
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/statistik")
    text, chart = view(official)
    assert KOTA_ATTENDANCE in text + "\n"
    assert text.index("🎓 Pelatihan: 2 (2 sudah berlangsung") < text.index("✅ Kehadiran")
    assert chart.kind == "photo" and chart.file_bytes[:4] == b"\x89PNG"
    # The chart's panel: signed up (outer bar) and attended of those (inner bar) per kecamatan.
    identity = identify(bot.database, bot.settings, ADMIN_ID)
    composed = compose_view(bot.database, bot.settings, identity, "64.74", Period.MONTH, "id")
    assert composed is not None
    panel = composed.chart.panels[-1]
    assert panel.title == "Mendaftar dan hadir per kecamatan"
    assert panel.labels == ("Bontang Barat", "Bontang Utara")
    assert (panel.values, panel.inner) == ((4, 2), (3, 0))
    assert panel.value_labels == ("3 dari 4", "0 dari 2")
    assert panel.legend == ("mendaftar", "hadir dari yang mendaftar")

    # The training was for the whole kecamatan: no kelurahan/desa row, its own bar.
    await official.press("Bontang Barat (5)")
    text, _ = view(official)
    assert (
        "✅ Kehadiran: 1 pelatihan sudah berlangsung\n"
        "Mendaftar 4 · hadir 4 (75% dari yang mendaftar) · datang tanpa mendaftar 1\n"
    ) in text
    assert "Per kelurahan/desa:" not in text
    kecamatan = compose_view(
        bot.database, bot.settings, identity, BONTANG_BARAT, Period.MONTH, "en"
    )
    assert kecamatan is not None
    assert "Latest:\nGizi (14 Dec 2026): signed up 4, attended 4 (75%), rating 4.0" in (
        kecamatan.text
    )
    panel = kecamatan.chart.panels[-1]
    assert panel.title == "Signed up and attended by training"
    assert (panel.labels, panel.values, panel.inner) == (("Gizi",), (4,), (3,))
    assert panel.value_labels == ("3 of 4",)
    kanaan = village_code(bot, BONTANG_BARAT, "Kanaan")
    village = compose_view(bot.database, bot.settings, identity, kanaan, Period.MONTH, "en")
    assert village is not None and "Attendance" not in village.text
    assert all("Signed up" not in p.title for p in village.chart.panels)
    await official.press("⬆️ Kota Bontang")
    await official.press("Seluruh periode")
    assert KOTA_ATTENDANCE in view(official)[0] + "\n"


async def test_the_kept_figures_renew_at_a_check_in_a_rating_or_an_answer(held, server):
    """Kept between views (migration 0019's token): a second view counts no attendance; a
    new check-in, a rating, a follow-up answer or a training of today shows at once."""
    from sqlalchemy import event, update

    bot, barat, _ = held
    stats.KEPT.clear()
    official = server.new_user(user_id=ADMIN_ID)

    async def kota() -> tuple[str, bool]:
        statements: list[str] = []

        def grab(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(bot.database.engine, "before_cursor_execute", grab)
        try:
            await official.send_text("/statistik")
        finally:
            event.remove(bot.database.engine, "before_cursor_execute", grab)
        text, _ = view(official)
        counted = any("training_attendance" in s for s in statements)
        return text.split("✅ ", 1)[1], counted

    text, counted = await kota()
    assert counted and KOTA_ATTENDANCE.split("✅ ", 1)[1] in text + "\n"
    text, counted = await kota()
    assert not counted and KOTA_ATTENDANCE.split("✅ ", 1)[1] in text + "\n"

    b4 = 9004  # signed up for Gizi, did not come: now ticked present and rating 2
    with bot.session() as session:
        assert store.tick(session, barat, b4, 1, STARTS) is True
    text, counted = await kota()
    assert counted and "Mendaftar 6 · hadir 5 (66,7% dari yang mendaftar)" in text
    assert "Nilai 4,0 dari 3 penilaian" in text
    with bot.session() as session:
        assert store.rate(session, barat, b4, 2)
    text, _ = await kota()
    assert "Nilai 3,5 dari 4 penilaian" in text  # (5 + 4 + 3 + 2) / 4
    with bot.session() as session:  # B's 30-day follow-up now says "yes, working"
        session.execute(
            update(FollowUp)
            .where(FollowUp.days == 30, FollowUp.used == "not_yet")
            .values(used="yes", situation="working")
        )
        session.commit()
    text, _ = await kota()
    assert "menerapkan keterampilan 100%, bekerja atau berusaha 50%" in text

    # A training of today (UTC) is counted at each view, next to the kept ones.
    with bot.session() as session:
        today = training_store.create_training(
            session,
            title="Jahit",
            description="-",
            starts_at=NOW - timedelta(hours=2),
            place="Aula",
            quota=None,
            area_code=BONTANG_UTARA,
            institutions=[],
            created_by=1,
        )
        session.commit()
        assert today.id is not None
        training_store.respond(session, today.id, 9006, True, NOW - timedelta(days=1))
    text, _ = await kota()
    assert text.startswith("Kehadiran: 3 pelatihan sudah berlangsung\nMendaftar 7 · hadir 5")
    assert "Jahit (20 Des 2026): mendaftar 1, hadir 0 (0%)" in text


async def test_coordinator_sees_only_their_area_and_forged_buttons_change_nothing(held, server):
    bot, _, _ = held
    coordinator = server.new_user()
    seed_coordinator(bot, coordinator.id, BONTANG_UTARA)
    await coordinator.send_text("/statistik")
    text, chart = view(coordinator)
    assert (
        "✅ Kehadiran: 1 pelatihan sudah berlangsung\n"
        "Mendaftar 2 · hadir 0 (0% dari yang mendaftar) · datang tanpa mendaftar 0\n"
    ) in text
    assert "Gizi" not in text and "Kue (15 Des 2026)" in text
    sent = len(coordinator.messages)
    for forged in ("st:v:64.74.03:m", "st:v:64.74:a", "ex:64.74.03", "ex:64.74"):
        await coordinator.press_data(forged, chart)
        answer = coordinator.callback_answers[-1]
        assert answer["text"] == "Anda tidak berwenang melihat data wilayah ini.", forged
    assert len(coordinator.messages) == sent

    await coordinator.send_text("/ekspor")
    book = load_workbook(io.BytesIO(coordinator.messages[-1].file_bytes))
    trainings = [list(r) for r in book["Kehadiran pelatihan"].values]
    assert [r[1] for r in trainings[1:]] == ["Kue"]
    areas = [list(r) for r in book["Kehadiran per wilayah"].values]
    assert areas[-1][:6] == ["Total Kec. Bontang Utara", BONTANG_UTARA, 1, 2, 0, 0]
    assert all(r[2] == 0 for r in areas[1:-1])  # no training for one kelurahan/desa


async def test_export_sheets_a_blk_can_take(held, server):
    _, barat, utara = held
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/ekspor")
    document = official.messages[-1]
    assert "Kehadiran pelatihan: 2 baris\nKehadiran per wilayah: 4 baris" in document.text
    book = load_workbook(io.BytesIO(document.file_bytes))
    sheet = book["Kehadiran pelatihan"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:N3"
    assert [list(r) for r in sheet.values] == [
        [
            "No. pelatihan",
            "Judul",
            "Mulai",
            "Tempat",
            "Wilayah",
            "Mendaftar",
            "Hadir",
            "Tingkat kehadiran",
            "Tanpa mendaftar",
            "Jumlah penilaian",
            "Nilai rata-rata",
            "Tindak lanjut dijawab",
            "Menerapkan keterampilan",
            "Bekerja atau berusaha",
        ],
        [
            barat,
            "Gizi",
            datetime(2026, 12, 14, 8),
            "Aula",
            "Kec. Bontang Barat, Kota Bontang",
            4,
            4,
            0.75,
            1,
            3,
            4,
            2,
            0.5,
            0,
        ],
        [
            utara,
            "Kue",
            datetime(2026, 12, 15, 8),
            "Aula",
            "Kec. Bontang Utara, Kota Bontang",
            2,
            0,
            0,
            0,
            0,
            None,
            0,
            None,
            None,
        ],
    ]
    assert sheet["H2"].number_format == "0.0%"
    areas = [list(r) for r in book["Kehadiran per wilayah"].values]
    assert areas == [
        [
            "Wilayah",
            "Kode wilayah",
            "Pelatihan",
            "Mendaftar",
            "Hadir",
            "Tingkat kehadiran",
            "Tanpa mendaftar",
            "Jumlah penilaian",
            "Nilai rata-rata",
            "Tindak lanjut dijawab",
            "Menerapkan keterampilan",
            "Bekerja atau berusaha",
        ],
        ["Bontang Barat", BONTANG_BARAT, 1, 4, 4, 0.75, 1, 3, 4, 2, 0.5, 0],
        ["Bontang Selatan", "64.74.02", 0, 0, 0, None, 0, 0, None, 0, None, None],
        ["Bontang Utara", BONTANG_UTARA, 1, 2, 0, 0, 0, 0, None, 0, None, None],
        ["Total Kota Bontang", "64.74", 2, 6, 4, 0.5, 1, 3, 4, 2, 0.5, 0],
    ]


async def test_a_training_not_yet_held_is_left_out_of_the_export(held, server, monkeypatch):
    monkeypatch.setattr(export, "utcnow", lambda: datetime(2026, 12, 14, 12))
    official = server.new_user(user_id=ADMIN_ID, language_code="en")
    await official.send_text("/ekspor")
    book = load_workbook(io.BytesIO(official.messages[-1].file_bytes))
    assert [r[1] for r in book["Training attendance"].values] == ["Title", "Gizi"]
    assert list(book["Attendance by area"].values)[-1][:3] == ("Total Kota Bontang", "64.74", 1)
