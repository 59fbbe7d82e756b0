"""Fair share under floods: what one user may queue, how fast, and what they are told.

A cadre forwarding 500 messages, or a script tapping a button in a loop, must not stall the
bot for the other 10,000 (security review F1). `bot.context.PerUserUpdateProcessor` orders
each user's updates in a lane of their own *before* they take one of the global slots; this
module holds the lane's bounds — a token bucket and a backlog cap — and the polite refusal
sent for an update that does not fit.

The numbers are chosen for people, not for scripts:

* `BURST` 20: an album of 10 photos, a text over 4,096 characters split in two and a few
  quick taps all fit at once; a forwarded pile of 100 messages does not.
* `RATE` 3 a second sustained: faster than anyone types or taps through a form, slower than a
  loop. A handler takes 20–300 ms, so 3/s from one user keeps at most about one slot busy.
* `MAX_BACKLOG` 20 waiting updates: what a slow handler (an export) can have queued behind
  it; past it, memory grows with the flood, so the excess goes.
* `NOTICE_INTERVAL` 60 s: one "terlalu cepat" message a minute; more would add to the flood
  (and to Telegram's per-chat limit). A dropped button tap is always answered (its toast),
  which Telegram does not rate-limit, so the button's spinner stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.i18n import language_for, language_of, t
from storage.db import Database

__all__ = [
    "BURST",
    "MAX_BACKLOG",
    "NOTICE_INTERVAL",
    "RATE",
    "Lane",
    "TokenBucket",
    "discard",
    "owed",
    "refuse",
]

log = logging.getLogger(__name__)

BURST = 20
RATE = 3.0
MAX_BACKLOG = 20
NOTICE_INTERVAL = 60.0


class TokenBucket:
    """`burst` updates at once, then `rate` a second; time comes from the caller's clock."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, burst: float, rate: float, now: float) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def take(self, now: float) -> bool:
        """One token if there is one (True), else False and nothing taken."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def full(self, now: float) -> bool:
        """Refilled to the brim: forgetting this bucket changes nothing."""
        self._refill(now)
        return self.tokens >= self.burst


class Lane:
    """One user's queue: the lock that orders their updates and what bounds them."""

    __slots__ = ("bucket", "lang", "lock", "noticed_at", "waiting")

    def __init__(self, burst: float, rate: float, now: float) -> None:
        self.lock = asyncio.Lock()  # FIFO: updates run in the order they arrived
        #: Updates admitted and not finished (the one running included).
        self.waiting = 0
        self.bucket = TokenBucket(burst, rate, now)
        #: When the last "terlalu cepat" message went out (None: never).
        self.noticed_at: float | None = None
        #: The user's language, looked up at the first refusal and kept while the lane lives.
        self.lang: str | None = None

    def at_rest(self, now: float) -> bool:
        """Nothing queued, nothing owed, nothing remembered: the lane may be forgotten."""
        recent = self.noticed_at is not None and now - self.noticed_at < NOTICE_INTERVAL
        return self.waiting == 0 and not recent and self.bucket.full(now)


def discard(coroutine: Awaitable[Any]) -> None:
    """Close a handler's coroutine that will never run (no "never awaited" warning)."""
    close = getattr(coroutine, "close", None)
    if callable(close):
        close()


def owed(update: object, lane: Lane, now: float) -> bool:
    """Whether a dropped `update` is owed a word: every button tap gets its toast (the spinner
    stops), a message one notice a minute, in a private chat only (a group is not told about
    one member's flood). A notice owed is counted as sent at once, so the next drop, a
    moment later, owes none."""
    if not isinstance(update, Update) or update.effective_user is None:
        return False
    if update.callback_query is not None:
        return True
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return False
    if lane.noticed_at is not None and now - lane.noticed_at < NOTICE_INTERVAL:
        return False
    lane.noticed_at = now
    return True


async def refuse(update: Update, lane: Lane, database: Database | None) -> None:
    """Say "terlalu cepat" for an update `owed` a word: the toast of a tap, else a message.
    Failures are only logged: the refusal is a courtesy."""
    lang = await _language(update, lane, database)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t("fairness.too_fast_short", lang))
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(t("fairness.too_fast", lang))
    except TelegramError as error:
        log.info("flood notice not sent: %s", type(error).__name__)


async def _language(update: Update, lane: Lane, database: Database | None) -> str:
    if lane.lang is None:
        user = update.effective_user
        assert user is not None
        if database is None:
            lane.lang = language_for(None, user.language_code)
        else:
            try:
                lane.lang = await asyncio.to_thread(
                    language_of, database, user.id, user.language_code
                )
            except SQLAlchemyError:  # the database is struggling: the flood is not its fault
                lane.lang = language_for(None, user.language_code)
    return lane.lang
