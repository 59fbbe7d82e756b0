"""The main menu and help: what each role can do, shown after registration and on /menu."""

from __future__ import annotations

from collections import deque

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.auth import Identity, Role, identify
from bot.callbacks import refuse_forged
from bot.context import BotContext
from bot.forms.base import CANCEL_COMMANDS
from bot.i18n import t
from bot.menu import main_menu_text, refresh_commands

__all__ = ["handlers", "send_main_menu"]

#: Albums already answered: an album arrives as one message per photo, one hint is enough.
_answered_albums: deque[str] = deque(maxlen=256)


async def send_main_menu(
    update: Update,
    context: BotContext,
    *,
    greeting: str | None = None,
    remove_keyboard: bool = False,
    identity: Identity | None = None,
) -> None:
    """Show the main menu of the user's roles and make their command menu match it."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    identity = identity or identify(context.db, context.settings, user.id)
    counts = context.app.menu_counts(identity)
    text = main_menu_text(identity, context.lang, counts)
    if greeting:
        text = f"{greeting}\n\n{text}"
    await chat.send_message(text, reply_markup=ReplyKeyboardRemove() if remove_keyboard else None)
    await refresh_commands(context.bot, identity, context.lang, counts)


async def menu_command(update: Update, context: BotContext) -> None:
    await send_main_menu(update, context)


async def help_command(update: Update, context: BotContext) -> None:
    await send_main_menu(update, context, greeting=t("menu.help_intro", context.lang))


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """`/batal` with no form open (an open form's own `/batal` runs first): say so."""
    await _answer_with_menu(update, context, "menu.nothing_to_cancel")


async def not_understood(update: Update, context: BotContext) -> None:
    """A message, photo, file, location… or command no form and no feature claimed: the
    menu, not silence."""
    album = update.message.media_group_id if update.message else None
    if album is not None:
        if album in _answered_albums:
            return
        _answered_albums.append(album)
    await _answer_with_menu(update, context, "menu.not_understood")


async def _answer_with_menu(update: Update, context: BotContext, key: str) -> None:
    user = update.effective_user
    if user is None:
        return
    identity = identify(context.db, context.settings, user.id)
    greeting = t(key, context.lang)
    if identity.roles == {Role.GUEST}:  # the menu of a newcomer does not list /start
        greeting = f"{greeting}\n{t('menu.register_hint', context.lang)}"
    await send_main_menu(update, context, greeting=greeting, identity=identity)


async def unknown_button(update: Update, context: BotContext) -> None:
    """A button no handler claimed (an old message, a finished form): say so, stop the spinner."""
    await refuse_forged(update, context.lang)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("menu", menu_command),
        CommandHandler(["bantuan", "help"], help_command),
    ]


def fallback_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Registered last in group 0, after every feature: whatever is left gets an answer.

    Only new messages: an edit of an old message is no question to answer.
    """
    new_message = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    return [
        CallbackQueryHandler(unknown_button),
        CommandHandler(list(CANCEL_COMMANDS), nothing_to_cancel, new_message),
        # Text and media alike; service messages (a pinned message, …) are no question.
        MessageHandler(new_message & ~filters.StatusUpdate.ALL, not_understood),
    ]
