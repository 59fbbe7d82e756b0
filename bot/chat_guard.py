"""Private by default: nothing personal and no right is ever handed out in a group chat.

One guard in handler group -1 (after `bot.activity`, before every feature) stops each update
from a group, supergroup or channel: a command addressed to the bot gets a short hint with a
button that opens the private chat, a button gets the same hint as an alert, everything else
is ignored. No feature handler sees the update, so none can post a workbook, an invite or a
participant list there. The bot also leaves any group it is not meant to be in.

A feature that is meant to work in groups (the linked groups of the groups issue) registers
its handlers in a handler group below -1, so they run before this guard, and lets the bot
stay there through `stays_in`.
"""

from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.config import Settings
from bot.context import BotContext
from bot.i18n import t
from storage import groups
from storage.db import Database

__all__ = ["keep_private", "stays_in"]

log = logging.getLogger(__name__)

_GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
_PRESENT = frozenset(
    {
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
        ChatMemberStatus.RESTRICTED,
    }
)


def stays_in(chat: Chat, settings: Settings, database: Database | None = None) -> bool:
    """Groups the bot keeps its membership in: the operators' ERROR_CHAT_ID, the feature
    channel if that is a group, and (with `database`) the groups linked to an area or waiting
    to be linked (`storage.groups.is_served`)."""
    if chat.id == settings.error_chat_id:
        return True
    if database is not None:
        with database.session() as session:
            if groups.is_served(session, chat.id):
                return True
    feature = settings.feature_channel_id
    if isinstance(feature, str) and chat.username:
        return feature.lower() == f"@{chat.username.lower()}"
    return feature == chat.id


async def keep_private(update: object, context: BotContext) -> None:
    """Answer and stop every update that does not come from a private chat.

    Fails closed: whatever goes wrong while answering, the update still stops here.
    """
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    try:
        await _point_to_private_chat(update, context)
        if (
            chat.type in _GROUPS
            and _bot_is_member(update)
            and not stays_in(chat, context.settings, context.db)
        ):
            log.info("leaving %s %s: not a group the bot serves", chat.type, chat.id)
            await chat.leave()
    except TelegramError as exc:
        log.warning("could not answer or leave chat %s: %s", chat.id, exc)
    raise ApplicationHandlerStop


async def _point_to_private_chat(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(t("guard.private_only_button", context.lang), show_alert=True)
        return
    message = update.message
    if message is None or not _addressed_command(message, context.bot.username):
        return
    button = InlineKeyboardButton(t("guard.open_private_chat", context.lang), url=context.bot.link)
    await message.reply_text(
        t("guard.private_only", context.lang), reply_markup=InlineKeyboardMarkup([[button]])
    )


def _addressed_command(message: Message, bot_username: str) -> bool:
    """`/cmd` or `/cmd@this_bot` (a group may hold other bots: `/cmd@other_bot` is theirs)."""
    entities = message.entities
    if not message.text or not entities:
        return False
    first = entities[0]
    if first.type != MessageEntityType.BOT_COMMAND or first.offset != 0:
        return False
    command = message.parse_entity(first)
    _, _, addressee = command.partition("@")
    return not addressee or addressee.lower() == bot_username.lower()


def _bot_is_member(update: Update) -> bool:
    """Any update from a group means the bot is in it, except the one saying it was removed."""
    change = update.my_chat_member
    return change is None or change.new_chat_member.status in _PRESENT
