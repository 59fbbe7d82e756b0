"""End-to-end: a cadre reports an innovation with /lapor through the real bot."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from bot.reports.draft import clean_description, clean_title
from bot.reports.media import LIMITS
from storage import people
from storage.models import AuditLog, ConversationRow, Draft, Report, ReportMedia
from tests.auxil.flows import BONTANG_BARAT, BONTANG_UTARA
from tests.auxil.reports import KANAAN, STORY, cadre, coordinator, get, report_via_chat

MB = 1024 * 1024


def _new_messages(user, before: int) -> list:
    return [m for m in user.messages[before:] if not m.deleted]


async def test_full_report_with_an_album_of_three_photos_and_a_location(bot, server, settings):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server, BONTANG_BARAT)
    elsewhere = coordinator(bot, server, BONTANG_UTARA, name="Andi")

    await user.send_text("/lapor")
    assert "Laporan inovasi" in user.texts[-2]
    assert "judul" in user.last_message.text
    await user.send_text("  Tas   daur ulang PKK Kanaan ")
    assert "kategori" in user.last_message.text
    assert len(user.last_message.flat_buttons) == 8
    await user.press("Lingkungan")
    assert user.last_message.text.startswith("Ceritakan")
    await user.send_text(STORY)
    assert "foto" in user.last_message.text

    before = len(user.messages)
    await user.send_album(3)
    answers = _new_messages(user, before)
    assert len(answers) == 1, [m.text for m in answers]  # an album is answered once
    assert "3 dari maks. 5" in answers[0].text
    assert answers[0].flat_buttons == ["✅ Selesai (3 foto)", "🗑 Hapus semua foto"]
    assert user.messages[before - 1].flat_buttons == []  # "Tanpa foto" would mislead now
    await user.press("Selesai")
    # Photos often show children: publishing them needs an explicit yes (the first button is no).
    assert "Bolehkah foto-foto ini ikut dipublikasikan" in user.last_message.text
    assert user.last_message.flat_buttons == [
        "🔒 Tidak, hanya untuk peninjau",
        "🌐 Ya, boleh dipublikasikan",
    ]
    await user.press("Ya, boleh dipublikasikan")
    assert "lokasi" in user.texts[-2]
    assert user.reply_keyboard == [["📍 Kirim lokasi saat ini"]]
    await user.send_location(0.1333, 117.4999)
    assert user.reply_keyboard is None
    assert "dokumen" in user.last_message.text
    await user.send_document("proposal kegiatan.pdf")
    summary = user.last_message.text
    for expected in (
        "Tas daur ulang PKK Kanaan",
        "Lingkungan",
        "Kel. Kanaan",
        "Foto: 3 (boleh dipublikasikan)",
    ):
        assert expected in summary
    assert "proposal kegiatan.pdf" in summary and "dicantumkan" in summary
    await user.press("Kirim")
    sent = user.last_message.text
    assert "Laporan #1" in sent and "menunggu tinjauan" in sent
    assert "koordinator Kec. Bontang Barat" in sent

    report = get(bot, 1)
    assert report.reporter_id == user.id and report.village_code == KANAAN
    assert report.title == "Tas daur ulang PKK Kanaan" and report.category == "lingkungan"
    assert (report.latitude, report.longitude) == (0.1333, 117.4999)
    assert [m.kind for m in report.media] == ["photo"] * 3 + ["document"]
    assert report.photos_public is True
    assert report.institution == "pkk" and report.status == "pending"
    with bot.session() as session:
        assert session.get(Draft, (user.id, "report")) is None

    # Every file was copied to MEDIA_DIR, named by report and sequence only.
    paths = [settings.media_dir / m.local_path for m in report.media]
    assert [p.name for p in paths] == ["1-01.jpg", "1-02.jpg", "1-03.jpg", "1-04.pdf"]
    assert all(p.parent == settings.media_dir / "reports" / "1" for p in paths)
    user_photos = [m for m in user.chat.history.values() if m.kind == "photo"]
    assert paths[0].read_bytes() == user_photos[0].file_bytes
    assert paths[3].read_bytes().startswith(b"%PDF")

    # The coordinator of the area is told, and their menus count what waits; others are not.
    note = reviewer.last_message
    assert "Laporan inovasi baru" in note.text and "Tas daur ulang" in note.text
    assert note.flat_buttons == ["🔎 Tinjau sekarang"]
    assert elsewhere.messages == []
    menus = [
        c
        for c in server.calls_for("setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == reviewer.id
    ]
    tinjau = [c for c in menus[-1].params["commands"] if c["command"] == "tinjau"]
    assert tinjau[0]["description"] == "Tinjau laporan inovasi (1)"
    await reviewer.send_text("/menu")
    assert "/tinjau — Tinjau laporan inovasi (1)" in reviewer.last_message.text


async def test_wrong_input_at_every_step_is_reprompted(bot, server):
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_photo()
    assert "judul laporan sebagai pesan teks" in user.last_message.text
    await user.send_text("Tas")
    assert "5–120 karakter" in user.last_message.text
    await user.send_text("Tas daur ulang")
    await user.send_text("Lingkungan")
    assert "menekan salah satu tombol" in user.last_message.text
    await user.press_data("rp:c:senjata")  # a forged category
    assert user.callback_answers[-1]["text"] == "Tombol ini sudah tidak berlaku."
    await user.press("Lingkungan")
    await user.send_sticker()
    assert "cerita inovasinya sebagai pesan teks" in user.last_message.text
    await user.send_text("Bagus sekali.")
    assert "20–2000 karakter" in user.last_message.text
    await user.send_text(STORY)
    await user.send_text("ini fotonya")
    assert "mohon kirim foto" in user.texts[-1]
    await user.send_document("foto.jpg", mime_type="image/jpeg")
    assert "bukan sebagai berkas" in user.texts[-1]
    await user.send_photo()
    assert "1 dari maks. 5" in user.last_message.text
    await user.press("Selesai")
    await user.send_text("boleh")
    assert user.last_message.text.startswith("Mohon pilih dengan menekan")
    await user.press("Tidak, hanya untuk peninjau")
    await user.send_text("Jl. Kanaan no. 3")
    assert "Mohon kirim lokasi" in user.texts[-2]
    await user.send_photo()
    assert "Mohon kirim lokasi" in user.texts[-2]
    await user.press("Tanpa lokasi")
    await user.send_photo()
    assert "sebagai dokumen (📎 → Berkas)" in user.last_message.text
    await user.send_text("tidak ada")
    assert "sebagai dokumen (📎 → Berkas)" in user.last_message.text
    await user.press("Tanpa dokumen")
    await user.send_text("kirim")
    assert "menekan salah satu tombol" in user.last_message.text
    assert "Ringkasan laporan" in user.last_message.text
    await user.press("Kirim")
    report = get(bot, 1)
    assert len(report.photos) == 1 and report.latitude is None and report.document is None


async def test_restart_mid_draft_resumes_at_the_same_step(bot, server):
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Pupuk organik cair")
    await bot.restart()
    await user.press("Pertanian & peternakan")  # the category step, where we left off
    await user.send_text(STORY)
    await user.send_photo()
    with bot.session() as session:
        names = {r.name for r in session.exec(select(ConversationRow)).all()}
    assert "report" in names
    await bot.restart()
    await user.send_photo()
    assert "2 dari maks. 5" in user.last_message.text
    await user.press("Selesai")
    await bot.restart()
    await user.press("Tidak, hanya untuk peninjau")
    await user.press("Tanpa lokasi")
    await user.press("Tanpa dokumen")
    await user.press("Kirim")
    report = get(bot, 1)
    assert report.title == "Pupuk organik cair" and report.category == "pertanian"
    assert len(report.photos) == 2


async def test_idle_form_is_paused_and_lapor_resumes_it(bot, server):
    await bot.restart(conversation_timeout=timedelta(seconds=1))
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Pupuk organik cair")
    await user.wait_for_message(lambda m: "dijeda" in (m.text or ""), timeout=5)
    await user.press("Pertanian & peternakan")  # the form is closed: nothing happens
    await user.send_text("/lapor")
    assert "Melanjutkan draf" in user.last_message.text
    assert "kategori" in user.last_message.text
    await user.press("Pertanian & peternakan")
    assert get_draft(bot, user.id)["title"] == "Pupuk organik cair"


def get_draft(bot, user_id: int) -> dict:
    with bot.session() as session:
        found = people.get_draft(session, user_id, "report")
    assert found is not None
    return found[0]


async def test_size_limits_are_enforced_with_a_clear_message(bot, server, settings):
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Filter air sederhana")
    await user.press("Teknologi tepat guna")
    await user.send_text(STORY)
    await user.send_photo(file_size=LIMITS.photo_bytes + 1)
    assert "terlalu besar (maks. 10 MB per foto)" in user.last_message.text
    assert "0 dari maks. 5" in user.last_message.text
    await user.send_photo()
    await user.press("Selesai")
    await user.press("Tidak, hanya untuk peninjau")
    await user.press("Tanpa lokasi")
    await user.send_document("laporan.pdf", file_size=25 * MB)
    assert "File terlalu besar. Ukuran maksimal 20 MB" in user.last_message.text
    await user.send_document("laporan.pdf", file_size=2 * MB)
    await user.press("Kirim")
    report = get(bot, 1)
    assert len(report.photos) == 1 and report.document is not None
    assert report.document.file_name == "laporan.pdf"
    stored = sorted(p.name for p in (settings.media_dir / "reports" / "1").iterdir())
    assert stored == ["1-01.jpg", "1-02.pdf"]


async def test_an_album_beyond_five_photos_keeps_five_and_says_so(bot, server):
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Kebun gizi keluarga")
    await user.press("Kesehatan")
    await user.send_text(STORY)
    await user.send_photo()
    before = len(user.messages)
    await user.send_album(6)
    answers = _new_messages(user, before)
    assert len(answers) == 1
    assert "5 dari maks. 5" in answers[0].text and "2 foto tidak disimpan" in answers[0].text
    await user.press("Hapus semua foto")
    assert "0 dari" not in user.last_message.text and "Tanpa foto" in str(user.last_message.buttons)
    await user.send_album(2)
    await user.press("Selesai")
    await user.press("Tidak, hanya untuk peninjau")
    await user.press("Tanpa lokasi")
    await user.press("Tanpa dokumen")
    await user.press("Kirim")
    assert len(get(bot, 1).photos) == 2


async def test_change_a_field_from_the_summary(bot, server):
    user = cadre(bot, server)
    await report_via_chat(user, send=False)
    await user.press("Ubah")
    await user.press("Judul")
    await user.send_text("Tas anyaman plastik bekas")
    assert "Tas anyaman plastik bekas" in user.last_message.text
    await user.press("Ubah")
    await user.press("Lokasi")
    await user.send_location(0.12, 117.48)
    assert "dicantumkan" in user.last_message.text  # straight back to the summary
    await user.press("Kirim")
    report = get(bot, 1)
    assert report.title == "Tas anyaman plastik bekas" and report.latitude == 0.12


async def test_batal_cancels_and_deletes_the_draft(bot, server):
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Tas daur ulang")
    await user.send_text("/batal")
    assert "dibatalkan" in user.last_message.text
    with bot.session() as session:
        assert session.exec(select(Draft)).all() == []
    await report_via_chat(user, send=False)
    await user.press("Batal")
    assert "dibatalkan" in user.last_message.text
    with bot.session() as session:
        assert session.exec(select(func.count()).select_from(Report)).one() == 0


async def test_only_registered_cadres_can_report(bot, server):
    guest = server.new_user()
    await guest.send_text("/lapor")
    assert "hanya untuk kader yang sudah terdaftar" in guest.last_message.text


async def test_officials_review_when_no_coordinator_covers_the_area(bot, server):
    from tests.conftest import ADMIN_ID

    official = server.new_user(user_id=ADMIN_ID)
    user = cadre(bot, server)
    await report_via_chat(user)
    assert "petugas dinas (DPMPD)" in user.last_message.text
    assert "Laporan inovasi baru" in official.last_message.text


async def test_reports_survive_hapus_data_as_anonymous_records(bot, server):
    user = cadre(bot, server)
    reviewer = coordinator(bot, server)
    await report_via_chat(user, album=2)
    await user.send_text("/hapus_data")
    await user.press("Ya")
    with bot.session() as session:
        rows = session.exec(select(Report)).all()
        media = session.exec(select(func.count()).select_from(ReportMedia)).one()
    assert [(r.reporter_id, r.category, r.status, r.village_code) for r in rows] == [
        (None, "lingkungan", "pending", KANAAN)
    ]
    assert media == 0  # issue 10: no media, text or location stays with an erased person's report
    await reviewer.send_text("/tinjau")
    assert "Pelapor telah menghapus datanya" in reviewer.last_message.text
    await reviewer.press("Setujui")  # nobody to notify, and no error
    assert "disetujui" in reviewer.last_message.text.lower()
    with bot.session() as session:
        actions = session.exec(select(AuditLog.action)).all()
    assert "report.approved" in actions


def test_input_rules():
    assert clean_title("  Tas   daur  ulang ") == "Tas daur ulang"
    assert clean_title("Tas") is None and clean_title("/lapor") is None
    assert clean_title("x" * 121) is None
    assert clean_description("a" * 19) is None
    text = clean_description("  Baris satu yang cukup panjang\n\n\n\nBaris   dua  ")
    assert text == "Baris satu yang cukup panjang\n\nBaris dua"


async def test_a_paused_form_resumes_at_the_first_unanswered_step(bot, server):
    await bot.restart(conversation_timeout=timedelta(seconds=1))
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Pupuk organik cair")
    await user.press("Pertanian & peternakan")
    await user.send_text(STORY)
    await user.press("Tanpa foto")
    await user.wait_for_message(lambda m: "dijeda" in (m.text or ""), timeout=5)
    await user.send_text("/lapor")
    assert "Melanjutkan draf" in user.texts[-2] and "lokasi" in user.texts[-2]


async def test_a_text_telegram_split_in_two_is_not_taken_by_its_tail(bot, server):
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Tas daur ulang PKK Kanaan")
    await user.press("Lingkungan")
    # Telegram delivers a 5,000-character story as 4,096 characters, then the rest.
    story = ("Kelompok ibu-ibu PKK mengolah sampah plastik menjadi tas. " * 90)[:5000]
    await user.send_text(story[:4096])
    note = user.last_message.text
    assert "Telegram membaginya menjadi beberapa pesan" in note and "Maksimal 2000" in note
    before = len(user.messages)
    await user.send_text(story[4096:])  # the tail, well over 20 characters
    assert _new_messages(user, before) == []  # answered together with the first part
    with bot.session() as session:
        draft = people.get_draft(session, user.id, "report")
    assert draft is not None and draft[0]["description"] is None
    await user.send_text(STORY)  # a story sent as one message is taken
    assert "foto" in user.last_message.text
    with bot.session() as session:
        assert people.get_draft(session, user.id, "report")[0]["description"] == STORY


async def test_a_caption_on_an_album_is_declined_explicitly(bot, server):
    user = cadre(bot, server)
    await user.send_text("/lapor")
    await user.send_text("Tas daur ulang PKK Kanaan")
    await user.press("Lingkungan")
    await user.send_text(STORY)
    await user.send_album(2, caption="Kegiatan hari Sabtu di balai kelurahan")
    ack = user.last_message.text
    assert "2 dari maks. 5" in ack
    assert "Keterangan yang ditulis pada foto tidak disimpan" in ack and "Cerita" in ack
    await user.send_photo()  # a new photo without a caption: the note goes
    assert "Keterangan" not in user.last_message.text
