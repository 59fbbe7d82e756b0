"""The main menu and help: what each role can do, shown after registration and on /menu."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.auth import identify
from bot.callbacks import refuse_forged
from bot.context import BotContext
from bot.i18n import t
from bot.menu import main_menu_text, refresh_commands

__all__ = ["handlers", "send_main_menu"]


async def send_main_menu(
    update: Update,
    context: BotContext,
    *,
    greeting: str | None = None,
    remove_keyboard: bool = False,
) -> None:
    """Show the main menu of the user's roles and make their command menu match it."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    identity = identify(context.db, context.settings, user.id)
    text = main_menu_text(identity, context.lang, context.app.menu_counters)
    if greeting:
        text = f"{greeting}\n\n{text}"
    await chat.send_message(text, reply_markup=ReplyKeyboardRemove() if remove_keyboard else None)
    await refresh_commands(context.bot, identity, context.lang, context.app.menu_counters)


async def menu_command(update: Update, context: BotContext) -> None:
    await send_main_menu(update, context)


async def help_command(update: Update, context: BotContext) -> None:
    await send_main_menu(update, context, greeting=t("menu.help_intro", context.lang))


async def unknown_button(update: Update, context: BotContext) -> None:
    """A button no handler claimed (an old message, a finished form): say so, stop the spinner."""
    await refuse_forged(update, context.lang)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("menu", menu_command),
        CommandHandler(["bantuan", "help"], help_command),
    ]


def fallback_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Registered last in group 0, after every feature."""
    return [CallbackQueryHandler(unknown_button)]
