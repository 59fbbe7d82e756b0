"""The one error handler: log it, apologise to the user in their language, alert the error chat.

A traceback never reaches a cadre. Operators get a short alert that names only the kind of
error (the exception type and the handler it came from) and the update id: the error's own
text and the traceback can hold a cadre's name or phone number (UU PDP), so they stay in the
local log, which passes through `bot.ops.logs.PrivacyFilter`. One alert per kind every ten
minutes: a broken handler hit by a thousand cadres is one message, not a thousand.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, ConversationHandler

from bot.context import BotContext
from bot.i18n import language_for, language_of, t

__all__ = ["AlertThrottle", "ErrorReporter", "handler_name"]

log = logging.getLogger(__name__)

ALERT_WINDOW = timedelta(minutes=10)


class AlertThrottle:
    """Lets one alert per kind through per window; the clock is injectable for tests."""

    def __init__(
        self, window: timedelta = ALERT_WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window.total_seconds()
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}

    def allow(self, kind: tuple[str, str]) -> bool:
        """True (and the window starts) unless an alert of this kind went out within it."""
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.window:
            return False
        self._last = {k: v for k, v in self._last.items() if now - v < self.window}
        self._last[kind] = now
        return True


def _callable_name(callback: Any) -> str:
    target = getattr(callback, "func", callback)  # functools.partial
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{module.removeprefix('bot.')}.{name}" if module else name


def handler_name(error: BaseException) -> str:
    """The handler the error came from, e.g. `profile.show_profile`, read from the traceback.

    PTB hands the error handler only the exception. Its traceback runs through the frame of
    the `BaseHandler.handle_update` that called the callback (the innermost one, inside a
    conversation); that frame's handler names the callback. Errors outside a handler (a job,
    the sender) name the innermost frame of the bot's own code instead.
    """
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    for frame in reversed(frames):
        owner = frame.f_locals.get("self")
        if (
            frame.f_code.co_name == "handle_update"
            and isinstance(owner, BaseHandler)
            and not isinstance(owner, ConversationHandler)
        ):
            return _callable_name(owner.callback)
    for frame in reversed(frames):
        module = frame.f_globals.get("__name__", "")
        if module.startswith("bot.") and module != __name__:
            return f"{module.removeprefix('bot.')}.{frame.f_code.co_qualname}"
    return "?"


class ErrorReporter:
    """PTB's error handler (`app.add_error_handler(ErrorReporter())`)."""

    def __init__(self, throttle: AlertThrottle | None = None) -> None:
        self.throttle = throttle or AlertThrottle()

    async def __call__(self, update: object, context: BotContext) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):
            log.info("user blocked the bot while handling update %s: %s", update_id, error)
            return
        handler = handler_name(error) if error is not None else "?"
        log.error("error in %s while handling update %s", handler, update_id, exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            await self._apologise(update, context)
        chat_id = context.settings.error_chat_id
        if not chat_id or error is None:
            return
        kind = (type(error).__name__, handler)
        if not self.throttle.allow(kind):
            return
        text = (
            f"⚠️ <b>{html.escape(kind[0])}</b> · <code>{html.escape(handler)}</code> · "
            f"update {update_id}"
        )
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError:
            log.warning("could not alert the error chat %s", chat_id)

    @staticmethod
    async def _apologise(update: Update, context: BotContext) -> None:
        # Error handlers get a fresh context: look the user's language up again.
        if update.effective_user is not None:
            user = update.effective_user
            try:
                context.lang = language_of(context.db, user.id, user.language_code)
            except Exception:
                context.lang = language_for(None, user.language_code)
        if update.callback_query is not None:
            # Stops the spinner; fails when the handler had answered already, and then the
            # message below is the only apology the user sees.
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        chat = update.effective_chat
        assert chat is not None
        with contextlib.suppress(TelegramError):
            await chat.send_message(t("common.error", context.lang))
