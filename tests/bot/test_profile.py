"""End-to-end: a registered cadre views and edits the profile, opts out, deletes their data."""

from __future__ import annotations

from sqlmodel import select

from storage import people
from storage.models import AppUser, Cadre
from tests.auxil.flows import register_via_chat


async def test_profile_shows_the_saved_data(bot, server):
    user = server.new_user()
    await register_via_chat(user, name="Siti Aminah", kelurahan="Kanaan", institution="PKK")
    await user.send_text("/profil")
    text = user.last_message.text
    assert "Siti Aminah" in text and "Kel. Kanaan" in text and "PKK" in text
    assert "Siaran: aktif" in text


async def test_profile_edit_changes_one_field(bot, server):
    user = server.new_user()
    await register_via_chat(user, name="Siti Aminah")
    await user.send_text("/profil")
    await user.press("Ubah profil")
    assert "Apa yang ingin diubah?" in user.last_message.text
    await user.press("Nama")
    await user.send_text("Siti Aminah Rahmawati")
    summary = user.last_message.text
    assert "Siti Aminah Rahmawati" in summary and "belum disimpan" in summary
    await user.press("Ubah")
    await user.press("Wilayah")
    await user.press("Bontang Utara")
    await user.press("Guntung")
    await user.press("Simpan")
    assert any("Profil Anda sudah diperbarui" in t for t in user.texts)
    with bot.session() as session:
        cadre = people.get_cadre(session, user.id)
        count = len(session.exec(select(Cadre)).all())
    assert cadre.full_name == "Siti Aminah Rahmawati"
    assert cadre.village_code.startswith("64.74.01.")
    assert count == 1


async def test_stop_and_resume_broadcasts(bot, server):
    user = server.new_user()
    await register_via_chat(user)
    await user.send_text("/berhenti")
    assert "tidak akan menerima siaran" in user.last_message.text
    with bot.session() as session:
        assert people.get_cadre(session, user.id).receive_broadcasts is False
    await user.send_text("/mulai")
    assert "menerima siaran lagi" in user.last_message.text
    with bot.session() as session:
        assert people.get_cadre(session, user.id).receive_broadcasts is True


async def test_unregistered_user_is_pointed_to_start(bot, server):
    user = server.new_user()
    for command in ("/profil", "/berhenti", "/mulai", "/hapus_data"):
        await user.send_text(command)
        assert "belum terdaftar" in user.last_message.text


async def test_delete_data_needs_confirmation(bot, server):
    user = server.new_user()
    await register_via_chat(user)
    await user.send_text("/hapus_data")
    await user.press("Batal")
    assert "tetap tersimpan" in user.last_message.text
    with bot.session() as session:
        assert people.get_cadre(session, user.id) is not None
    await user.send_text("/hapus_data")
    await user.press("Ya, hapus data saya")
    assert "sudah dihapus" in user.last_message.text
    with bot.session() as session:
        assert people.get_cadre(session, user.id) is None
        assert session.exec(select(Cadre)).all() == []
        assert session.get(AppUser, user.id) is None  # not even the language choice stays
    # They can register again from scratch.
    await user.send_text("/start")
    assert "UU No. 27 Tahun 2022" in user.last_message.text
