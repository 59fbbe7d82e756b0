"""The bot's profile texts (description and short description), set from the catalogs.

Telegram shows the description in an empty chat before /start and the short one on the bot's
profile page. They are set at each start only when they differ from what Telegram has, so a
restart costs two reads per language, not a write (profile writes are rate limited).
"""

from __future__ import annotations

import logging

from telegram import Bot

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

__all__ = ["set_profile"]

log = logging.getLogger(__name__)


async def set_profile(bot: Bot) -> None:
    """Description and short description in every language (Indonesian is the default)."""
    for lang in LANGUAGES:
        code = None if lang == DEFAULT_LANGUAGE else lang
        description = t("profile.description", lang, escape=False)
        short = t("profile.short_description", lang, escape=False)
        current = await bot.get_my_description(language_code=code)
        if current.description != description:
            await bot.set_my_description(description, language_code=code)
            log.info("bot description (%s) updated", lang)
        current_short = await bot.get_my_short_description(language_code=code)
        if current_short.short_description != short:
            await bot.set_my_short_description(short, language_code=code)
            log.info("bot short description (%s) updated", lang)
