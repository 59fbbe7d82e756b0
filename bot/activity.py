"""Runs first for every update: records activity and reachability, picks the user's language."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.i18n import language_for
from storage import people

__all__ = ["flush_persistence", "track_user"]


async def track_user(update: object, context: BotContext) -> None:
    """A cadre who writes again is reachable again; "active" statistics read `last_seen_at`."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    user = update.effective_user
    if user.is_bot:
        return
    with context.db.session() as session:
        chosen, telegram = people.touch_user(session, user.id, user.language_code)
    context.lang = language_for(chosen, telegram or user.language_code)


async def flush_persistence(update: object, context: BotContext) -> None:
    """Write conversation state right after each update, so a crash loses no step."""
    await context.application.update_persistence()
