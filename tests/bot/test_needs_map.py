"""The needs map: exact figures on a hand-built data set, drill-down, scope rules (also with
forged buttons), the XLSX proposal, and the functions other features call."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from storage import needs
from storage.needs import NeedFigure
from tests.auxil.flows import (
    BONTANG_BARAT,
    BONTANG_UTARA,
    seed_cadre,
    seed_coordinator,
    village_code,
)
from tests.conftest import ADMIN_ID

ANSWERS = {  # cadre id: (village, needs by rank, typed name of "Lainnya")
    101: ("Kanaan", ("las", "menjahit", "lainnya"), "Sablon"),
    102: ("Kanaan", ("las", "tata_boga"), None),
    103: ("Kanaan", ("menjahit",), None),
    104: ("Belimbing", ("menjahit", "las"), None),
    105: ("Belimbing", ("lainnya", "las"), "sablon"),
    106: ("Api-Api", ("perbaikan_ac",), None),
}


def build(bot) -> dict[str, str]:
    codes = {
        "Kanaan": village_code(bot, BONTANG_BARAT, "Kanaan"),
        "Belimbing": village_code(bot, BONTANG_BARAT, "Belimbing"),
        "Api-Api": village_code(bot, BONTANG_UTARA, "Api-Api"),
    }
    seed_cadre(bot, 107, codes["Kanaan"])  # registered, never answered
    for cadre, (village, _, _) in ANSWERS.items():
        seed_cadre(bot, cadre, codes[village])
    with bot.session() as session:
        # An older answer of 101 that no longer counts: the last answer does.
        needs.save_answer(
            session,
            101,
            village_code=codes["Kanaan"],
            period="year:2025",
            round_id=None,
            needs=("kesehatan",),
            other_name=None,
            problem="Lama",
            potential="Lama",
            photo_file_id=None,
            now=datetime(2025, 6, 1),
        )
    for cadre, (village, ranked, other) in ANSWERS.items():
        with bot.session() as session:
            needs.save_answer(
                session,
                cadre,
                village_code=codes[village],
                period="year:2026",
                round_id=None,
                needs=ranked,
                other_name=other,
                problem=f"Masalah {cadre}",
                potential=f"Potensi {cadre}",
                photo_file_id=None,
                now=datetime(2026, 3, 1, 0, 0, cadre - 100),
            )
    return codes


async def test_exact_figures(bot):
    codes = build(bot)
    with bot.session() as session:
        table = needs.needs_table(session, BONTANG_BARAT)
        city = needs.needs_table(session, "64.74")
        cover = needs.coverage(session, BONTANG_BARAT)
        kids = needs.child_coverage(session, BONTANG_BARAT, len(codes["Kanaan"]))
        asking = needs.villages_asking(session, "las", BONTANG_BARAT)
        audience = needs.need_audience_ids(session, "menjahit", BONTANG_BARAT)
        sablon = needs.villages_asking(session, "lainnya", "64.74", "SABLON")
    assert table == [
        NeedFigure("las", None, 10, 2, 4),
        NeedFigure("menjahit", None, 8, 2, 3),
        NeedFigure("lainnya", "Sablon", 4, 2, 2),
        NeedFigure("tata_boga", None, 2, 1, 1),
    ]
    assert NeedFigure("perbaikan_ac", None, 3, 1, 1) in city
    assert all(f.need != "kesehatan" for f in city)
    assert (cover.answered, cover.cadres, cover.villages_answered) == (5, 6, 2)
    assert kids[codes["Kanaan"]] == needs.Coverage(3, 4, 1)
    assert kids[codes["Belimbing"]] == needs.Coverage(2, 2, 1)
    assert [(v.code, v.score, v.cadres) for v in asking] == [
        (codes["Kanaan"], 6, 2),
        (codes["Belimbing"], 4, 2),
    ]
    # Every cadre of the kelurahan/desa that asked, also the one who never answered (107).
    assert sorted(audience) == [101, 102, 103, 104, 105, 107]
    assert {v.code for v in sablon} == {codes["Kanaan"], codes["Belimbing"]}


async def test_map_drilldown_scope_and_xlsx(bot, server):
    codes = build(bot)
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, "Rina")

    await coordinator.send_text("/peta_kebutuhan")
    text = coordinator.texts[-2]
    assert "Kebutuhan pelatihan — Kec. Bontang Barat" in text
    assert "Sudah menjawab: 5 dari 6 kader, dari 2 kelurahan/desa" in text
    assert "1. Las — skor 10 · 2 kelurahan/desa · 4 kader" in text
    assert "2. Menjahit — skor 8 · 2 kelurahan/desa · 3 kader" in text
    assert "3. Lainnya: Sablon — skor 4 · 2 kelurahan/desa · 2 kader" in text
    assert "Perbaikan AC" not in text and "Masalah 106" not in text
    chart = coordinator.last_message
    assert chart.kind == "photo"
    assert chart.buttons == [
        ["Kel. Belimbing (2)", "Kel. Kanaan (3)"],
        ["📊 Usulan pelatihan (XLSX)"],
    ]
    await coordinator.press("Kel. Kanaan")
    assert "1. Las — skor 6 · 1 kelurahan/desa · 2 kader" in coordinator.texts[-2]
    assert "Potensi 103" in coordinator.texts[-2]
    await coordinator.press("⬆️ Kec. Bontang Barat")

    # Another kecamatan, the whole city: refused, even with forged data.
    for forged in ("nm:v:64.74.01", "nm:x:64.74", "nm:v:../", "nm:v"):
        before = len(coordinator.messages)
        await coordinator.press_data(forged)
        assert len(coordinator.messages) == before
    await coordinator.press_data("nm:v:64.74.03.9999")  # inside the scope, but no region
    assert "tidak dikenal" in coordinator.last_message.text
    alerts = [c.params.get("text") or "" for c in server.calls_for("answerCallbackQuery")]
    assert sum("di luar wilayah" in a for a in alerts) >= 2

    await coordinator.press("Usulan pelatihan")
    document = coordinator.last_message
    assert document.file_name.startswith("usulan-pelatihan-64.74.03")
    sheet = load_workbook(io.BytesIO(document.file_bytes))["Usulan pelatihan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Wilayah",
        "Kode wilayah",
        "Pelatihan",
        "Skor kebutuhan",
        "Kelurahan/desa yang meminta",
        "Kader yang meminta",
        "Koordinator wilayah",
    )
    kanaan = [r for r in rows[1:] if r[1] == codes["Kanaan"]]
    assert kanaan[0][2:6] == ("Las", 6, 1, 2)
    trainings = {r[2].lower() for r in rows[1:]}
    assert trainings == {"las", "menjahit", "lainnya: sablon", "tata boga & olahan pangan"}


async def test_officials_see_the_city_and_coordinator_phones(bot, server):
    codes = build(bot)
    kanaan_coordinator = server.new_user(first_name="Budi")
    seed_cadre(bot, kanaan_coordinator.id, codes["Kanaan"], phone="+6281234500001")
    seed_coordinator(bot, kanaan_coordinator.id, codes["Kanaan"], "Budi")
    official = server.new_user(user_id=ADMIN_ID)
    await official.send_text("/peta_kebutuhan")
    assert "Perbaikan AC — skor 3" in official.texts[-2]
    await official.press("Kec. Bontang Barat")
    await official.press("Kel. Kanaan")
    await official.press("Usulan pelatihan")
    rows = list(
        load_workbook(io.BytesIO(official.last_message.file_bytes)).active.iter_rows(
            values_only=True
        )
    )
    assert rows[0][-1] == "HP koordinator"
    assert rows[1][-2:] == ("Budi", "+6281234500001")
    stranger = server.new_user()
    await stranger.send_text("/peta_kebutuhan")
    assert "hanya untuk koordinator" in stranger.last_message.text


async def test_functions_for_statistics_and_export(bot):

    from bot.needs.needs_map import sheet_labels
    from bot.needs.sections import statistics_section
    from storage.needs_sheet import write_needs_sheet
    from storage.xlsx import StreamingWorkbook, Styles

    codes = build(bot)
    path = bot.settings.media_dir.parent / "needs.xlsx"
    with bot.session() as session:
        section = statistics_section(session, BONTANG_BARAT, "en")
        workbook = StreamingWorkbook(path)
        written = write_needs_sheet(
            workbook, Styles.register(workbook), session, [BONTANG_BARAT], sheet_labels("en"), True
        )
    assert section.splitlines() == [
        "📋 <b>Training needs</b>: 5 of 6 cadres answered (/peta_kebutuhan)",
        "1. Welding (score 10)",
        "2. Sewing (score 8)",
        "3. Other: Sablon (score 4)",
    ]
    assert written == 7 and codes
    workbook.close()
    rows = list(load_workbook(path)["Training proposal"].iter_rows(values_only=True))
    assert rows[0][-1] == "Coordinator's phone" and len(rows) == 8
