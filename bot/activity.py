"""Runs first for every update: records activity and reachability, picks the user's language."""

from __future__ import annotations

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.context import BotContext
from bot.i18n import language_for
from storage import people

__all__ = ["flush_persistence", "track_user"]


async def track_user(update: object, context: BotContext) -> None:
    """A cadre who writes again is reachable again; "active" statistics read `last_seen_at`.

    Only the private chat counts: blocking the bot there (`my_chat_member` → kicked) makes
    the cadre unreachable, unblocking reachable again, and neither is activity. Words in a
    group say nothing about whether the bot can reach the cadre, so they only pick a language.
    """
    if not isinstance(update, Update) or update.effective_user is None:
        return
    user = update.effective_user
    if user.is_bot:
        return
    chat = update.effective_chat
    private = chat is None or chat.type == ChatType.PRIVATE
    with context.db.session() as session:
        if private and update.my_chat_member is not None:
            blocked = _blocked(update.my_chat_member)
            if blocked is True:
                people.mark_unreachable(session, user.id)
            elif blocked is False:
                people.mark_reachable(session, user.id)
            chosen, telegram = people.user_language(session, user.id)
        elif private:
            chosen, telegram = people.touch_user(session, user.id, user.language_code)
        else:
            chosen, telegram = people.user_language(session, user.id)
    context.lang = language_for(chosen, telegram or user.language_code)


def _blocked(change: ChatMemberUpdated) -> bool | None:
    """True when the user blocked the bot, False when they unblocked it, else None."""
    status = change.new_chat_member.status
    if status in {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}:
        return True
    if status == ChatMemberStatus.MEMBER:
        return False
    return None


async def flush_persistence(update: object, context: BotContext) -> None:
    """Write conversation state right after each update, so a crash loses no step."""
    await context.application.update_persistence()
