"""The bot's description and short description come from the catalogs, written only on change."""

from __future__ import annotations

from bot.i18n import t


async def test_profile_is_set_once_and_left_alone_when_unchanged(bot, server):
    assert server.descriptions[""] == t("profile.description", "id", escape=False)
    assert server.descriptions["en"] == t("profile.description", "en", escape=False)
    assert server.short_descriptions[""] == t("profile.short_description", "id", escape=False)
    assert server.short_descriptions["en"] == t("profile.short_description", "en", escape=False)
    assert len(server.calls_for("setMyDescription")) == 2
    assert len(server.calls_for("setMyShortDescription")) == 2

    await bot.restart()
    assert len(server.calls_for("getMyDescription")) == 4
    assert len(server.calls_for("setMyDescription")) == 2
    assert len(server.calls_for("setMyShortDescription")) == 2
