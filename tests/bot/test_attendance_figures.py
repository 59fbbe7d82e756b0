"""Training figures (issue 13, item 5): exact on a hand-built data set; the XLSX sheet."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import Workbook, load_workbook

from bot.training.figures import figures_text, training_sheet
from storage import attendance as store
from storage import training as training_store
from storage.attendance_figures import area_figures, training_figures
from storage.models import FollowUp
from storage.xlsx import Styles
from tests.auxil.flows import BONTANG_BARAT, BONTANG_UTARA, seed_cadre, village_code

STARTS = datetime(2026, 12, 14, 0, 0)
PERIOD = (datetime(2026, 12, 1), datetime(2027, 1, 1))


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
    assert "hadir 4 (75% dari yang mendaftar)" in figures_text(f, "id")
    assert "Nilai 4,0 dari 3 penilaian" in figures_text(f, "id")
    assert "Rating 4.0 from 3 ratings" in figures_text(f, "en")

    workbook = Workbook(write_only=True)
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
    buffer = io.BytesIO()
    workbook.save(buffer)
    values = list(load_workbook(io.BytesIO(buffer.getvalue()))["Pelatihan"].values)
    assert values[0][:3] == ("No. pelatihan", "Judul", "Mulai")
    assert values[1][0] == barat and values[1][1] == "Gizi"
    assert values[1][2] == datetime(2026, 12, 14, 8, 0)  # local time
    assert values[1][5:] == (4, 4, 0.75, 1, 3, 4, 2, 0.5, 0)
