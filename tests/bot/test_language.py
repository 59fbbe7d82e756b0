"""End-to-end: English for English Telegram clients, and /bahasa to switch."""

from __future__ import annotations


async def test_english_client_gets_english(bot, server):
    user = server.new_user(first_name="John", language_code="en-GB")
    await user.send_text("/start")
    assert "Welcome to" in user.texts[-2]
    assert user.last_message.buttons == [["✅ Yes, I agree"], ["I do not agree"]]


async def test_bahasa_switches_language_and_menu(bot, server):
    user = server.new_user(language_code="id")
    await user.send_text("/bahasa")
    await user.press("English")
    assert user.last_message.text == "Language set to English."
    await user.send_text("/start")
    assert "Do you agree?" in user.last_message.text
    await user.send_text("/bahasa")
    await user.press("Bahasa Indonesia")
    assert user.last_message.text == "Bahasa diubah ke bahasa Indonesia."
    await user.send_text("/batal")
    assert "dibatalkan" in user.last_message.text


async def test_default_command_menus_in_both_languages(bot, server):
    calls = server.calls_for("setMyCommands")
    default = [c for c in calls if c.params.get("scope", {}).get("type") == "all_private_chats"]
    languages = {c.params.get("language_code") for c in default}
    assert languages == {None, "en"}
    commands = {cmd["command"] for cmd in default[0].params["commands"]}
    assert {"start", "bahasa", "bantuan"} <= commands
    assert "undang" not in commands
