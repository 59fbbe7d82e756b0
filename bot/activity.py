"""Runs first for every update: records activity and reachability, picks the user's language.

It runs before every update, on the event loop, so its common case is one read by primary
key on a plain connection. A user merely seen again (their `last_seen_at` older than a minute,
nothing else changed) is noted in memory and written with the others a second later in one
statement, in a worker thread: a burst of taps from cadres not seen for a while must not mean
a write per tap on the event loop, each waiting for SQLite's write lock. Statistics read
activity by the day; losing the last second of it in a crash loses nothing they show. What
changes how the bot treats a user — a new user, reachable again, a new Telegram language —
is written at once, as before.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import ChatMemberUpdated, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application

from bot.context import BotContext
from bot.i18n import language_for
from storage import people
from storage.db import Database
from storage.models import utcnow

__all__ = ["FLUSH_SECONDS", "SeenLog", "flush_persistence", "track_user"]

log = logging.getLogger(__name__)

#: How late a noted "seen again" is written at most.
FLUSH_SECONDS = 1.0


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
    if private and update.my_chat_member is not None:
        with context.db.session() as session:
            blocked = _blocked(update.my_chat_member)
            if blocked is True:
                people.mark_unreachable(session, user.id)
            elif blocked is False:
                people.mark_reachable(session, user.id)
            chosen, telegram = people.user_language(session, user.id)
    else:
        with context.db.engine.connect() as connection:
            found = people.presence(connection, user.id)
        if private:
            chosen, telegram = _seen(context, user, found)
        elif found is not None:
            chosen, telegram = found.language, found.telegram_language
        else:
            chosen, telegram = None, None
    context.lang = language_for(chosen, telegram or user.language_code)


def _seen(
    context: BotContext, user: User, found: people.Presence | None
) -> tuple[str | None, str | None]:
    """Record that the user is here; returns their (chosen, Telegram) language."""
    now = utcnow()
    if found is not None and found.unchanged(user.language_code, now):
        return found.language, found.telegram_language
    if found is not None and found.only_seen_again(user.language_code, now):
        context.app.seen_log.note(user.id, now)
        return found.language, found.telegram_language
    with context.db.session() as session:
        return people.touch_user(session, user.id, user.language_code, now)


def _blocked(change: ChatMemberUpdated) -> bool | None:
    """True when the user blocked the bot, False when they unblocked it, else None."""
    status = change.new_chat_member.status
    if status in {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}:
        return True
    if status == ChatMemberStatus.MEMBER:
        return False
    return None


class SeenLog:
    """Users seen again, written together at most `FLUSH_SECONDS` later (and at stop: the
    writing task is the application's, which `Application.stop` waits for)."""

    def __init__(self, application: Application, database: Database) -> None:
        self.application = application
        self.database = database
        self._noted: dict[int, datetime] = {}
        self._writing: asyncio.Task[None] | None = None

    def note(self, telegram_id: int, when: datetime) -> None:
        self._noted[telegram_id] = when
        if self._writing is None:
            self._writing = self.application.create_task(self._write_soon(), name="seen-log")

    async def _write_soon(self) -> None:
        try:
            await asyncio.sleep(FLUSH_SECONDS)
        finally:  # stopped early (shutdown): still write what was noted
            noted, self._noted, self._writing = self._noted, {}, None
            try:
                await asyncio.to_thread(self._write, noted)
            except Exception:  # e.g. the write lock held too long: activity, not an answer
                log.warning("%d activity times not written", len(noted), exc_info=True)

    def _write(self, noted: dict[int, datetime]) -> None:
        with self.database.session() as session:
            people.record_seen(session, noted)


async def flush_persistence(update: object, context: BotContext) -> None:
    """Write conversation state right after each update, so a crash loses no step."""
    await context.application.update_persistence()
