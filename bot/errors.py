"""The one error handler: log it, apologise to the user in their language, alert the error chat.

A traceback never reaches a cadre; operators get a short alert with the update id.
"""

from __future__ import annotations

import contextlib
import html
import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import BotContext
from bot.i18n import language_for, language_of, t

__all__ = ["on_error"]

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("user blocked the bot while handling update %s: %s", update_id, error)
        return
    log.error("error while handling update %s", update_id, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
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
        with contextlib.suppress(TelegramError):
            await update.effective_chat.send_message(t("common.error", context.lang))
    chat_id = context.settings.error_chat_id
    if chat_id and error is not None:
        tail = "".join(traceback.format_exception(error))[-3000:]
        text = f"⚠️ update {update_id}: {html.escape(repr(error))[:300]}\n<pre>{html.escape(tail)}</pre>"
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError:
            log.warning("could not alert the error chat %s", chat_id)
