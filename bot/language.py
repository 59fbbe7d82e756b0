"""/bahasa: choose Bahasa Indonesia or English."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.auth import identify
from bot.callbacks import ForgedCallback, LanguageButton, refuse_forged
from bot.context import BotContext
from bot.i18n import LANGUAGES, t
from bot.menu import refresh_commands
from bot.ui import keyboard, show
from storage import people

__all__ = ["handlers"]


async def ask_language(update: Update, context: BotContext) -> None:
    rows = [
        [(t(f"language.name.{code}", context.lang), LanguageButton(code).pack())]
        for code in LANGUAGES
    ]
    await show(update, t("language.ask", context.lang), keyboard(rows), edit=False)


async def set_language(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    try:
        code = LanguageButton.unpack(query.data).code
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    if code not in LANGUAGES:
        await refuse_forged(update, context.lang)
        return
    await query.answer()
    with context.db.session() as session:
        people.set_language(session, update.effective_user.id, code)
    context.lang = code
    await show(update, t("language.set", code))
    identity = identify(context.db, context.settings, update.effective_user.id)
    await refresh_commands(context.bot, identity, code, context.app.menu_counts(identity))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler(["bahasa", "language"], ask_language),
        CallbackQueryHandler(set_language, pattern=LanguageButton.pattern()),
    ]
