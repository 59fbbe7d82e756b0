"""End-to-end: `/pengingat` — writing, previewing, listing, pausing and deleting reminders."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import select

from bot.reminders import scheduler as reminder_scheduler
from storage.models import AuditLog, ConversationRow, Reminder, ReminderStatus
from storage.recurrence import Frequency, Rule
from tests.auxil.flows import BONTANG_SELATAN, BONTANG_UTARA, seed_cadre, seed_coordinator
from tests.auxil.reminders import FakeClock, reminder_row, seed_reminder, settle, wita

API_API = "64.74.01.1006"  # a kelurahan in Bontang Utara
ADMIN_ID = 9001


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(wita(2026, 11, 23, 10, 0))  # Monday 23/11/2026, 10.00 WITA
    monkeypatch.setattr(reminder_scheduler, "utcnow", fake)
    return fake


@pytest.fixture
async def bot(clock, bot):  # the clock is in place before the bot starts
    yield bot
    await settle(bot)  # deliveries end before the bot stops


def coordinator(bot, server, scope: str = BONTANG_UTARA, name: str = "Budi"):
    user = server.new_user(first_name=name, last_name=None)
    seed_coordinator(bot, user.id, scope, name=name)
    return user


def labels(message) -> list[str]:
    return [label for row in message.buttons for label in row]


def saved_reminders(bot) -> list[Reminder]:
    with bot.session() as session:
        return list(session.exec(select(Reminder).where(Reminder.kind == "custom")).all())


def audit_actions(bot) -> list[str]:
    with bot.session() as session:
        return [row.action for row in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]


async def start_form(user, text: str = "Jangan lupa kirim laporan bulanan lewat /lapor.") -> None:
    await user.send_text("/pengingat")
    await user.press("Buat pengingat baru")
    await user.send_text(text)


async def test_coordinator_writes_a_first_monday_reminder(bot, server):
    coord = coordinator(bot, server)
    for cadre_id in (501, 502):
        seed_cadre(bot, cadre_id, API_API)
    await coord.send_text("/pengingat")
    assert "Belum ada pengingat" in coord.last_message.text
    await coord.press("Buat pengingat baru")
    assert "Ketik isi pengingat" in coord.last_message.text
    await coord.send_text("Kirim <b>laporan bulanan</b> ya, Bapak/Ibu kader!")
    picker = coord.last_message
    assert "Siapa yang menerima" in picker.text
    assert "Api-Api" in labels(picker)  # the kelurahan of the coordinator's kecamatan only
    assert not any("Bontang Selatan" in label for label in labels(picker))
    await coord.press("Seluruh Kec. Bontang Utara")
    assert "Penerima: Kec. Bontang Utara" in coord.texts[-2]
    await coord.press("Setiap bulan, mis. Senin pertama")
    await coord.press("Pertama")
    await coord.press("Senin")
    await coord.send_text("8.00")

    preview = coord.last_message.text
    assert "Kirim <b>laporan bulanan</b> ya" in preview  # typed text stays text
    assert "saat ini 2 kader" in preview
    assert "setiap hari Senin pertama tiap bulan, pukul 08.00 WITA" in preview
    assert [line for line in preview.splitlines() if line.startswith("• ")] == [
        "• Senin, 7 Desember 2026 pukul 08.00 WITA",
        "• Senin, 4 Januari 2027 pukul 08.00 WITA",
        "• Senin, 1 Februari 2027 pukul 08.00 WITA",
        "• Senin, 1 Maret 2027 pukul 08.00 WITA",
        "• Senin, 5 April 2027 pukul 08.00 WITA",
    ]
    assert saved_reminders(bot) == []  # nothing is saved before the preview is confirmed
    await coord.press("Simpan")
    assert "Pengingat disimpan" in coord.last_message.text
    assert "Senin, 7 Desember 2026 pukul 08.00 WITA" in coord.last_message.text

    [row] = saved_reminders(bot)
    assert (row.audience_code, row.frequency, row.week, row.weekday) == (BONTANG_UTARA, "nth", 1, 0)
    assert row.at_time == time(8, 0) and row.owner_id == coord.id
    assert row.next_at == wita(2026, 12, 7, 8, 0)  # 00.00 UTC
    assert row.text == "Kirim &lt;b&gt;laporan bulanan&lt;/b&gt; ya, Bapak/Ibu kader!"
    assert "reminder.create" in audit_actions(bot)

    await coord.send_text("/pengingat")
    listing = coord.last_message.text
    assert "1. Kirim" in listing and "Kec. Bontang Utara" in listing
    assert "Berikutnya: Senin, 7 Desember 2026 pukul 08.00 WITA" in listing


async def test_one_time_reminder_typed_the_indonesian_way(bot, server):
    coord = coordinator(bot, server)
    await start_form(coord)
    await coord.press("Api-Api")
    await coord.press("Sekali saja")
    assert "Tanggal dan jam berapa" in coord.last_message.text
    assert "Hari ini" in labels(coord.last_message) and "Besok" in labels(coord.last_message)

    await coord.send_text("31/02/2026 08.00")
    assert "tidak ada di kalender" in coord.last_message.text
    await coord.send_text("25/12/2026 25.00")
    assert "Jam itu tidak ada" in coord.last_message.text
    await coord.send_text("rapat bulanan")
    assert "belum bisa kami baca" in coord.last_message.text
    await coord.send_text("20/11/2026 08.00")
    assert "sudah lewat" in coord.last_message.text
    assert "Senin, 23 November 2026 pukul 10.00 WITA" in coord.last_message.text  # "now", in WITA
    await coord.send_text("09.00")  # a time alone is today's: 09.00 has passed at 10.00
    assert "sudah lewat" in coord.last_message.text

    await coord.send_text("25/12/2026 08.00")
    preview = coord.last_message.text
    assert "sekali, pada Jumat, 25 Desember 2026 pukul 08.00 WITA" in preview
    assert [line for line in preview.splitlines() if line.startswith("• ")] == [
        "• Jumat, 25 Desember 2026 pukul 08.00 WITA"
    ]
    await coord.press("Simpan")
    [row] = saved_reminders(bot)
    assert row.frequency == "once" and row.on_date == date(2026, 12, 25)
    assert row.next_at == wita(2026, 12, 25, 8, 0) and row.audience_code == API_API


async def test_day_and_time_picked_with_buttons_and_typed_besok(bot, server, clock):
    coord = coordinator(bot, server)
    await start_form(coord)
    await coord.press("Api-Api")
    await coord.press("Sekali saja")
    await coord.press("Besok")
    assert "Tanggal: Selasa, 24 November 2026" in coord.texts[-2]
    assert "Jam berapa" in coord.last_message.text
    await coord.press("07.00")
    assert "sekali, pada Selasa, 24 November 2026 pukul 07.00 WITA" in coord.last_message.text
    await coord.press("Ubah jadwal")
    await coord.press("Sekali saja")
    await coord.send_text("besok jam 7 malam")
    assert "Selasa, 24 November 2026 pukul 19.00 WITA" in coord.last_message.text
    await coord.press("Simpan")
    assert saved_reminders(bot)[0].next_at == wita(2026, 11, 24, 19, 0)


async def test_quiet_hours_are_mentioned_in_the_preview(bot, server):
    await bot.restart(quiet_hours=(time(21, 0), time(6, 0)))
    coord = coordinator(bot, server)
    await start_form(coord)
    await coord.press("Api-Api")
    await coord.press("Setiap hari")
    await coord.send_text("22.00")
    # The delivery engine holds messages in the quiet hours: the preview says so up front.
    assert "jam istirahat malam forum" in coord.last_message.text
    assert "baru dikirim pukul 06.00" in coord.last_message.text
    await coord.press("Ubah jadwal")
    await coord.press("Setiap hari")
    await coord.send_text("20.30")
    assert "jam istirahat malam" not in coord.last_message.text


async def test_monthly_on_the_31st_explains_and_previews_month_ends(bot, server, clock):
    clock.set(wita(2026, 12, 1, 9, 0))
    coord = coordinator(bot, server)
    await start_form(coord)
    await coord.press("Seluruh Kec. Bontang Utara")
    await coord.press("Setiap bulan, pada tanggal tertentu")
    await coord.send_text("32")
    assert "Ketik tanggal 1 sampai 31" in coord.last_message.text
    await coord.press("31")
    assert "hari terakhir bulan itu" in coord.texts[-2]
    await coord.press("08.00")
    preview = coord.last_message.text
    assert (
        "setiap tanggal 31 pukul 08.00 WITA (bulan yang lebih pendek: hari terakhirnya)" in preview
    )
    assert [line for line in preview.splitlines() if line.startswith("• ")] == [
        "• Kamis, 31 Desember 2026 pukul 08.00 WITA",
        "• Minggu, 31 Januari 2027 pukul 08.00 WITA",
        "• Minggu, 28 Februari 2027 pukul 08.00 WITA",
        "• Rabu, 31 Maret 2027 pukul 08.00 WITA",
        "• Jumat, 30 April 2027 pukul 08.00 WITA",
    ]


async def test_weekly_and_daily_reminders(bot, server):
    coord = coordinator(bot, server)
    await start_form(coord, "Posyandu buka besok pagi.")
    await coord.press("Api-Api")
    await coord.press("Setiap minggu")
    await coord.press("Jumat")
    await coord.send_text("jam 4 sore")
    preview = coord.last_message.text
    assert "setiap hari Jumat pukul 16.00 WITA" in preview
    assert "• Jumat, 27 November 2026 pukul 16.00 WITA" in preview
    await coord.press("Ubah jadwal")
    await coord.press("Setiap hari")
    await coord.send_text("07:30")
    preview = coord.last_message.text
    assert "setiap hari pukul 07.30 WITA" in preview
    assert "• Selasa, 24 November 2026 pukul 07.30 WITA" in preview  # 07.30 today has passed
    await coord.press("Simpan")
    [row] = saved_reminders(bot)
    assert (row.frequency, row.at_time, row.weekday) == ("daily", time(7, 30), None)


async def test_english_speaking_coordinator_gets_english(bot, server):
    coord = server.new_user(first_name="Ann", last_name=None, language_code="en")
    seed_coordinator(bot, coord.id, BONTANG_UTARA, name="Ann")
    await coord.send_text("/pengingat")
    assert "There are no reminders for your area yet" in coord.last_message.text
    await coord.press("New reminder")
    await coord.send_text("Monthly report, please.")
    await coord.press("All of Kec. Bontang Utara")
    await coord.press("Every week")
    await coord.press("Wednesday")
    await coord.press("09:00")
    assert "every Wednesday at 09:00 WITA" in coord.last_message.text
    assert "• Wednesday, 25 November 2026 at 09:00 WITA" in coord.last_message.text


async def test_wrong_input_reprompts_and_forged_audience_is_refused(bot, server):
    coord = coordinator(bot, server)
    await coord.send_text("/pengingat")
    await coord.press("Buat pengingat baru")
    await coord.send_sticker()
    assert "harus berupa teks" in coord.last_message.text
    await coord.send_text("Pengingat rapat")
    # A kelurahan of another kecamatan, forged: refused by the picker, nothing chosen.
    await coord.press_data("rmf:r:64.74.02.1001")
    assert coord.callback_answers[-1].get("text") == "Tombol ini sudah tidak berlaku."
    await coord.press_data("rmf:a:64.74")
    assert coord.callback_answers[-1].get("text") == "Tombol ini sudah tidak berlaku."
    await coord.send_text("api")  # typing filters the picker
    assert labels(coord.last_message)[0] == "Api-Api"
    await coord.press("Api-Api")
    await coord.send_text("setiap hari")  # the kind step wants a button
    assert "gunakan tombol pada pesan di atas" in coord.last_message.text
    await coord.press_data("rmf:k:hourly")
    assert coord.callback_answers[-1].get("text") == "Tombol ini sudah tidak berlaku."
    await coord.press("Setiap minggu")
    await coord.press_data("rmf:w:9")
    assert coord.callback_answers[-1].get("text") == "Tombol ini sudah tidak berlaku."
    await coord.press("Senin")
    await coord.send_text("jam delapan")
    assert "Jamnya belum bisa kami baca" in coord.last_message.text
    await coord.send_text("08.00")
    assert "Periksa dulu" in coord.last_message.text


async def test_batal_cancels_and_nothing_is_saved(bot, server):
    coord = coordinator(bot, server)
    await start_form(coord)
    await coord.send_text("/batal")
    assert "dibatalkan" in coord.last_message.text
    await start_form(coord)
    await coord.press("Api-Api")
    await coord.press("Setiap hari")
    await coord.press("08.00")
    await coord.press("Batal")
    assert "dibatalkan" in coord.last_message.text
    assert saved_reminders(bot) == []


async def test_restart_mid_form_resumes_at_the_same_step(bot, server):
    coord = coordinator(bot, server)
    await start_form(coord, "Rapat koordinasi kader")
    await coord.press("Api-Api")
    with bot.session() as session:
        assert "reminder" in {r.name for r in session.exec(select(ConversationRow)).all()}
    await bot.restart()
    await coord.press("Setiap minggu")
    await coord.press("Kamis")
    await bot.restart()
    await coord.send_text("13.30")
    await coord.press("Simpan")
    [row] = saved_reminders(bot)
    assert (row.text, row.weekday, row.at_time) == ("Rapat koordinasi kader", 3, time(13, 30))


async def test_cadres_and_guests_cannot_use_reminders(bot, server):
    cadre = server.new_user()
    seed_cadre(bot, cadre.id, API_API)
    await cadre.send_text("/pengingat")
    assert "hanya untuk koordinator" in cadre.last_message.text
    coord = coordinator(bot, server)
    reminder = seed_reminder(bot, coord.id, BONTANG_UTARA, Rule.daily(time(8)), wita(2026, 11, 23))
    # Forged management buttons from someone without the right do nothing.
    await coord.send_text("/pengingat")
    for data in (f"rm:p:{reminder.id}", f"rm:xy:{reminder.id}", "rm:new"):
        await cadre.press_data(data, coord.last_message)
        assert "hanya untuk koordinator" in cadre.callback_answers[-1].get("text", "")
    assert reminder_row(bot, reminder.id).status is ReminderStatus.ACTIVE


async def test_list_pause_resume_and_delete(bot, server, clock):
    coord = coordinator(bot, server)
    reminder = seed_reminder(
        bot, coord.id, BONTANG_UTARA, Rule.weekly(0, time(8)), wita(2026, 11, 23, 10)
    )
    await coord.send_text("/pengingat")
    assert "setiap hari Senin pukul 08.00 WITA" in coord.last_message.text
    await coord.press("1. Jangan lupa")
    detail = coord.last_message.text
    assert "Jangan lupa kirim laporan bulanan" in detail
    assert "Berikutnya: Senin, 30 November 2026 pukul 08.00 WITA" in detail
    await coord.press("Jeda")
    assert coord.callback_answers[-1].get("text") == "Pengingat dijeda."
    assert "⏸ Dijeda" in coord.last_message.text
    assert reminder_row(bot, reminder.id).status is ReminderStatus.PAUSED

    clock.set(wita(2026, 12, 2, 9))  # resumed later: from the next Monday on, no catch-up
    await coord.press("Lanjutkan")
    resumed = reminder_row(bot, reminder.id)
    assert resumed.status is ReminderStatus.ACTIVE and resumed.next_at == wita(2026, 12, 7, 8)
    assert "Berikutnya: Senin, 7 Desember 2026" in coord.last_message.text

    await coord.press("Hapus")
    assert "Hapus pengingat «Jangan lupa" in coord.last_message.text
    await coord.press("Batal")  # back to the detail, nothing deleted
    assert reminder_row(bot, reminder.id) is not None
    await coord.press("Hapus")
    await coord.press("Ya, hapus")
    assert coord.callback_answers[-1].get("text") == "Pengingat dihapus."
    assert "Belum ada pengingat" in coord.last_message.text
    assert reminder_row(bot, reminder.id) is None
    assert [a for a in audit_actions(bot) if a.startswith("reminder.")] == [
        "reminder.create",
        "reminder.pause",
        "reminder.resume",
        "reminder.delete",
    ]
    await coord.press_data(f"rm:p:{reminder.id}")  # an old button of a deleted reminder
    assert coord.callback_answers[-1].get("text") == "Pengingat ini sudah tidak ada."


async def test_coordinators_only_see_and_manage_their_own_area(bot, server):
    north = coordinator(bot, server, BONTANG_UTARA, "Utara")
    south = coordinator(bot, server, BONTANG_SELATAN, "Selatan")
    reminder = seed_reminder(bot, north.id, BONTANG_UTARA, Rule.daily(time(8)), wita(2026, 11, 23))
    await south.send_text("/pengingat")
    assert "Belum ada pengingat" in south.last_message.text
    await south.press_data(f"rm:p:{reminder.id}")
    assert "hanya untuk koordinator" in south.callback_answers[-1].get("text", "")
    await south.press_data(f"rm:xy:{reminder.id}")
    assert reminder_row(bot, reminder.id).status is ReminderStatus.ACTIVE
    # An official sees every reminder of the forum area and may manage it.
    official = server.new_user(first_name="Dinas", last_name=None, user_id=ADMIN_ID)
    await official.send_text("/pengingat")
    assert "Kec. Bontang Utara" in official.last_message.text
    await official.press_data(f"rm:p:{reminder.id}", official.last_message)
    assert reminder_row(bot, reminder.id).status is ReminderStatus.PAUSED


async def test_official_addresses_the_whole_forum_area(bot, server):
    official = server.new_user(first_name="Dinas", last_name=None, user_id=ADMIN_ID)
    await start_form(official)
    assert {"Bontang Barat", "Bontang Selatan", "Bontang Utara"} <= set(
        labels(official.last_message)
    )
    await official.press("Seluruh Kota Bontang")
    await official.press("Setiap hari")
    await official.press("08.00")
    await official.press("Simpan")
    assert saved_reminders(bot)[0].audience_code == "64.74"


async def test_coordinator_of_several_areas_picks_one_first(bot, server):
    coord = coordinator(bot, server, BONTANG_UTARA)
    seed_coordinator(bot, coord.id, BONTANG_SELATAN, name="Budi")
    await start_form(coord)
    assert "untuk wilayah yang mana" in coord.last_message.text
    await coord.press("Kec. Bontang Utara")
    assert "Api-Api" in labels(coord.last_message)
    await coord.press("⬅️ Kembali")  # back at the top of the picker: which area, again
    assert "untuk wilayah yang mana" in coord.last_message.text
    await coord.press("Kec. Bontang Selatan")
    await coord.press("Seluruh Kec. Bontang Selatan")
    await coord.press("Setiap hari")
    await coord.press("08.00")
    await coord.press("Simpan")
    assert saved_reminders(bot)[0].audience_code == BONTANG_SELATAN


async def test_single_area_picker_has_no_way_back_out(bot, server):
    coord = coordinator(bot, server)
    await start_form(coord)
    assert "⬅️ Kembali" not in labels(coord.last_message)  # nothing above it to go back to


async def test_kelurahan_coordinator_skips_the_picker(bot, server):
    coord = coordinator(bot, server, API_API)
    await start_form(coord)
    assert "Penerima: Kel. Api-Api" in coord.texts[-2]
    assert "Kapan pengingat ini dikirim" in coord.last_message.text
    await coord.press("Setiap hari")
    await coord.press("08.00")
    await coord.press("Simpan")
    [row] = saved_reminders(bot)
    assert row.audience_code == API_API and Frequency(row.frequency) is Frequency.DAILY
