"""End-to-end: a cadre registers through the real bot and the fake Telegram server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from storage import people
from storage.models import ConversationRow, Draft
from tests.auxil.flows import BONTANG_BARAT, register_via_chat, village_code


async def test_new_user_gets_indonesian_welcome_and_consent(bot, server):
    user = server.new_user(first_name="Siti", language_code="id")
    await user.send_text("/start")
    texts = user.texts
    assert "Selamat datang" in texts[-2]
    assert "UU No. 27 Tahun 2022" in texts[-1]
    assert user.last_message.buttons == [["✅ Ya, saya setuju"], ["Tidak setuju"]]


async def test_full_registration_with_shared_contact(bot, server):
    user = server.new_user(first_name="Siti", last_name="Aminah")
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    assert "nama lengkap" in user.last_message.text
    await user.send_text("  Siti   Aminah ")
    assert user.reply_keyboard == [["📱 Bagikan nomor HP"]]
    await user.tap_reply_button("📱 Bagikan nomor HP")
    picker = user.last_message
    # Kota Bontang is the forum area: its 3 kecamatan are offered directly.
    assert sorted(label for row in picker.buttons[:2] for label in row) == [
        "Bontang Barat",
        "Bontang Selatan",
        "Bontang Utara",
    ]
    await user.press("Bontang Barat")
    labels = [label for row in user.last_message.buttons for label in row]
    assert {"Belimbing", "Gunung Telihan", "Kanaan"} <= set(labels)
    await user.press("Kanaan")
    await user.press("Posyandu")
    summary = user.last_message.text
    assert "Siti Aminah" in summary and "Kanaan" in summary and "Posyandu" in summary
    assert user.phone.replace(" ", "")[-8:] in summary.replace(" ", "")
    await user.press("Simpan")
    assert any("Pendaftaran berhasil" in t for t in user.texts)
    assert "Menu utama" in user.last_message.text

    with bot.session() as session:
        cadre = people.get_cadre(session, user.id)
        drafts = session.exec(select(Draft)).all()
    assert cadre is not None
    assert cadre.village_code == village_code(bot, BONTANG_BARAT, "Kanaan")
    assert cadre.village_code.startswith("64.74.03.1")
    assert cadre.institution == "posyandu"
    assert cadre.phone.startswith("+628")
    assert drafts == []
    # The cadre now has a command menu of their own.
    scoped = [
        c
        for c in server.calls_for("setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == user.id
    ]
    assert scoped and any(cmd["command"] == "profil" for cmd in scoped[-1].params["commands"])


async def test_typed_phone_is_validated_and_normalised(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Budi Santoso")
    await user.send_text("12345")
    assert "bukan nomor HP Indonesia" in user.last_message.text
    await user.send_text("0812-3456-7890")
    assert "+6281234567890" in user.texts[-2]
    await user.press("Bontang Utara")
    await user.press("Api-Api")
    await user.press("Lainnya")
    assert "nama lembaga" in user.last_message.text
    await user.send_text("Kelompok Tani Maju")
    await user.press("Simpan")
    with bot.session() as session:
        cadre = people.get_cadre(session, user.id)
    assert cadre.phone == "+6281234567890"
    assert cadre.institution == "lainnya" and cadre.institution_other == "Kelompok Tani Maju"


async def test_someone_elses_contact_is_refused(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Budi Santoso")
    await user.share_contact(phone_number="+6281111111111", own=False)
    assert "kontak orang lain" in user.last_message.text


async def test_wrong_kind_of_input_reprompts_each_step(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.send_text("ya")  # consent expects a button
    assert "menekan salah satu tombol" in user.last_message.text
    await user.press("Ya, saya setuju")
    await user.send_sticker()
    assert "ketik nama lengkap" in user.last_message.text
    await user.send_text("1234")
    assert "belum bisa kami terima" in user.last_message.text
    await user.send_text("Rina Wati")
    await user.send_photo()
    assert "bagikan nomor HP" in user.last_message.text
    await user.send_text("081298765432")
    await user.send_voice()
    assert (
        "menekan salah satu tombol" in user.texts[-2]
        or "menekan salah satu tombol" in user.last_message.text
    )
    # Typing filters the list of kecamatan.
    await user.send_text("selatan")
    assert [label for row in user.last_message.buttons[:1] for label in row] == ["Bontang Selatan"]
    await user.send_text("zzz")
    assert "Tidak ada yang cocok" in user.last_message.text
    await user.press("Bontang Selatan")
    # A forged region code outside the current list is refused, not obeyed.
    await user.press_data("reg:r:64.71.01.1001")
    assert user.callback_answers[-1].get("text") == "Tombol ini sudah tidak berlaku."
    await user.press("Satimpo")
    await user.send_text("PKK")  # institution expects a button
    assert "menekan salah satu tombol" in user.last_message.text
    await user.press("Karang Taruna")
    await user.send_location(0.1, 117.5)
    assert "menekan salah satu tombol" in user.last_message.text
    await user.press("Simpan")
    with bot.session() as session:
        assert people.get_cadre(session, user.id).institution == "karang_taruna"


async def test_back_button_and_paging(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    await user.send_text("081298765432")
    await user.press("Bontang Selatan")
    assert "Tanjung Laut Indah" in str(user.last_message.buttons)
    await user.press("Kembali")
    assert "Bontang Barat" in str(user.last_message.buttons)
    await user.press("Kembali")  # above the top of the picker: back to the phone step
    assert "nomor HP" in user.last_message.text


async def test_refusing_consent_stores_nothing(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Tidak setuju")
    assert "tidak ada data Anda yang disimpan" in user.last_message.text
    with bot.session() as session:
        assert session.exec(select(Draft)).all() == []
        assert people.get_cadre(session, user.id) is None


async def test_batal_cancels_at_any_step(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    await user.send_text("/batal")
    assert "dibatalkan" in user.last_message.text
    assert user.reply_keyboard is None
    with bot.session() as session:
        assert session.exec(select(Draft)).all() == []
    await user.send_text("Rina Wati")  # no conversation any more: only the menu hint
    assert user.last_message.text.startswith("Maaf, pesan ini belum bisa saya proses.")
    with bot.session() as session:
        assert session.exec(select(Draft)).all() == []


async def test_deep_link_preselects_kecamatan(bot, server):
    user = server.new_user()
    await user.send_text("/start 64_74_03")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    await user.send_text("081298765432")
    labels = {label for row in user.last_message.buttons for label in row}
    assert {"Belimbing", "Gunung Telihan", "Kanaan"} <= labels


async def test_deep_link_to_kelurahan_skips_the_picker(bot, server):
    code = village_code(bot, BONTANG_BARAT, "Belimbing")
    user = server.new_user()
    await user.send_text(f"/start {code.replace('.', '_')}")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    await user.send_text("081298765432")
    assert "lembaga" in user.last_message.text
    await user.press("LPM")
    assert "Belimbing" in user.last_message.text
    await user.press("Simpan")
    with bot.session() as session:
        assert people.get_cadre(session, user.id).village_code == code


async def test_unknown_or_foreign_deep_link_is_ignored(bot, server):
    user = server.new_user()
    await user.send_text("/start 99_99")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    await user.send_text("081298765432")
    assert "Bontang Utara" in str(user.last_message.buttons)
    other = server.new_user()
    await other.send_text("/start 64_71")  # Balikpapan is outside this forum (Bontang)
    await other.press("Ya, saya setuju")
    await other.send_text("Rina Wati")
    await other.send_text("081298765432")
    assert "Bontang Utara" in str(other.last_message.buttons)


async def test_restart_mid_registration_resumes_at_the_same_step(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    with bot.session() as session:
        rows = session.exec(select(ConversationRow)).all()
    assert [r.name for r in rows] == ["registration"]
    await bot.restart()
    await user.send_text("081298765432")  # the phone step, where we left off
    assert "Bontang Barat" in str(user.last_message.buttons)
    await user.press("Bontang Barat")
    await user.press("Kanaan")
    await bot.restart()
    await user.press("BUMDes")
    await user.press("Simpan")
    with bot.session() as session:
        cadre = people.get_cadre(session, user.id)
    assert cadre.full_name == "Rina Wati" and cadre.institution == "bumdes"


async def test_start_again_mid_form_resumes(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("/start")
    assert "lanjutkan" in user.last_message.text.lower()
    assert "nama lengkap" in user.last_message.text


async def test_idle_form_expires_with_a_message(bot, server):
    await bot.restart(conversation_timeout=timedelta(seconds=1))
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.wait_for_message(lambda m: "Sesi pengisian berakhir" in (m.text or ""), timeout=5)
    await user.send_text("Rina Wati")  # too late: nothing is registered
    with bot.session() as session:
        assert people.get_cadre(session, user.id) is None


async def test_form_that_expired_while_the_bot_was_down(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await bot.stop()
    with bot.database.session() if bot.database else None as session:  # type: ignore[union-attr]
        pass
    from storage.db import Database

    database = Database(bot.settings.database_url)
    with database.session() as session:
        draft = session.get(Draft, (user.id, "registration"))
        draft.updated_at = draft.updated_at - timedelta(hours=2)
        session.add(draft)
    database.dispose()
    await bot.start()
    await user.send_text("Rina Wati")
    assert "Sesi pengisian berakhir" in user.last_message.text
    await asyncio.sleep(0)


async def test_registered_cadre_start_shows_menu_not_form(bot, server):
    user = server.new_user()
    await register_via_chat(user)
    await user.send_text("/start")
    assert "Selamat datang kembali" in user.last_message.text
    assert "/profil" in user.last_message.text


async def test_the_step_is_kept_once_in_the_conversation_state(bot, server):
    """The draft holds the answers only; with the conversation state lost, /start resumes at
    the first unanswered step."""
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    with bot.session() as session:
        draft = session.get(Draft, (user.id, "registration"))
        assert "step" not in draft.data and draft.data["name"] == "Rina Wati"
    await bot.stop()
    from storage.db import Database

    database = Database(bot.settings.database_url)
    with database.session() as session:
        for row in session.exec(select(ConversationRow)).all():
            session.delete(row)
    database.dispose()
    await bot.start()
    await user.send_text("/start")
    assert "lanjutkan" in user.last_message.text.lower()
    assert "nomor HP" in user.last_message.text
    await user.send_text("081298765432")
    assert "Bontang Barat" in str(user.last_message.buttons)


async def test_other_features_buttons_pass_through_the_free_text_institution_step(bot, server):
    user = server.new_user()
    await user.send_text("/start")
    await user.press("Ya, saya setuju")
    await user.send_text("Rina Wati")
    await user.send_text("081298765432")
    await user.press("Bontang Barat")
    await user.press("Kanaan")
    await user.press("Lainnya")
    await user.press_data("lang:en")  # the language switch's button, not the form's
    with bot.session() as session:
        assert people.user_language(session, user.id)[0] == "en"
    await user.send_text("Kelompok Tani")
    assert "Kelompok Tani" in user.last_message.text
