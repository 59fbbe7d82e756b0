"""Every input gets an answer: `/batal` with no form open, free text and unknown commands
outside any form, and a failure after the handler had already answered the button."""

from __future__ import annotations

from bot import language
from bot.i18n import t
from tests.auxil.flows import BONTANG_BARAT, seed_cadre, seed_coordinator
from tests.conftest import ADMIN_ID

KANAAN = "64.74.03.1001"


def people(bot, server) -> dict[str, object]:
    guest = server.new_user(first_name="Baru")
    cadre = server.new_user(first_name="Siti")
    seed_cadre(bot, cadre.id, KANAAN)
    coordinator = server.new_user(first_name="Rina")
    seed_coordinator(bot, coordinator.id, BONTANG_BARAT, "Rina")
    official = server.new_user(first_name="Dinas", user_id=ADMIN_ID)
    return {"guest": guest, "cadre": cadre, "coordinator": coordinator, "official": official}


async def test_batal_with_no_form_open_is_answered_for_everyone(bot, server):
    for role, user in people(bot, server).items():
        await user.send_text("/batal")
        text = user.last_message.text
        assert text.startswith(t("menu.nothing_to_cancel", "id")), role
        assert "Menu utama" in text, role
        assert ("/start" in text) is (role == "guest"), role
        assert len(user.messages) == 1, role


async def test_free_text_and_unknown_commands_get_the_menu(bot, server):
    everyone = people(bot, server)
    for role, user in everyone.items():
        await user.send_text("halo, ini bagaimana caranya?")
        assert user.last_message.text.startswith(t("menu.not_understood", "id")), role
        await user.send_text("/perintah_aneh")
        assert user.last_message.text.startswith(t("menu.not_understood", "id")), role
    cadre_menu = everyone["cadre"].last_message.text
    assert "/lapor" in cadre_menu and "/start" not in cadre_menu
    assert "/start" in everyone["guest"].last_message.text
    official_menu = everyone["official"].last_message.text
    assert "/ekspor" in official_menu


async def test_english_and_a_form_keeps_its_own_answers(bot, server):
    user = server.new_user(language_code="en")
    await user.send_text("/cancel")
    assert user.last_message.text.startswith(t("menu.nothing_to_cancel", "en"))
    await user.send_text("hello?")
    assert user.last_message.text.startswith(t("menu.not_understood", "en"))
    assert "Type /start to register" in user.last_message.text
    # Inside a form, text is the form's and /batal cancels it: the hints stay out of the way.
    await user.send_text("/start")
    await user.press("Yes, I agree")
    await user.send_text("Budi Santoso")
    assert not user.last_message.text.startswith(t("menu.not_understood", "en"))
    await user.send_text("/batal")
    assert not user.last_message.text.startswith(t("menu.nothing_to_cancel", "en"))


async def test_the_apology_comes_even_after_the_button_was_answered(bot, server, monkeypatch):
    user = server.new_user()
    await user.send_text("/bahasa")

    def broken(*_args, **_kwargs):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(language.people, "set_language", broken)
    await user.press("English")
    assert len(user.callback_answers) == 1  # the handler's own answer; a second is refused
    assert user.last_message.text.startswith("Maaf, terjadi gangguan")


async def test_media_outside_any_form_gets_the_menu_once_per_album(bot, server):
    # Found by the robustness run: only text got the hint; a photo, file, location, contact,
    # sticker or voice note outside any form met silence.
    everyone = people(bot, server)
    for role, user in (("guest", everyone["guest"]), ("cadre", everyone["cadre"])):
        sends = (
            user.send_photo,
            user.send_document,
            lambda user=user: user.send_location(0.13, 117.49),
            user.share_contact,
            user.send_sticker,
            user.send_voice,
        )
        for send in sends:
            before = len(user.messages)
            await send()
            assert len(user.messages) == before + 1, role
            assert user.last_message.text.startswith(t("menu.not_understood", "id")), role
        before = len(user.messages)
        await user.send_album(3)
        assert len(user.messages) == before + 1, role  # one hint for the whole album
