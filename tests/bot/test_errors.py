"""A failure inside a handler: the user gets a short apology, operators get an alert."""

from __future__ import annotations

from bot import profile
from tests.auxil.flows import register_via_chat, seed_cadre


async def test_unexpected_error_apologises_and_alerts(bot, server, monkeypatch):
    operators = server.new_group("Operator Forkom")
    await bot.restart(error_chat_id=operators.id)
    user = server.new_user()
    await register_via_chat(user)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(profile.people, "get_cadre", broken)
    await user.send_text("/profil")
    assert user.last_message.text.startswith("Maaf, terjadi gangguan")
    assert "Traceback" not in " ".join(user.texts)
    alert = operators.messages[-1].text
    # The kind of error and where, never its text (it may hold personal data).
    assert "RuntimeError" in alert and "profile." in alert and "update" in alert
    assert "database is on fire" not in alert


async def test_error_in_english_for_english_users(bot, server, monkeypatch):
    user = server.new_user(language_code="en")
    seed_cadre(bot, user.id, "64.74.03.1001")

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(profile.people, "set_receive_broadcasts", broken)
    await user.send_text("/berhenti")
    assert user.last_message.text.startswith("Sorry, something went wrong")
