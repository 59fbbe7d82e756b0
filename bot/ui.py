"""Small rendering helpers shared by the feature modules (keyboards, edit-or-send, bursts)."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, RetryAfter
from telegram.warnings import PTBDeprecationWarning

__all__ = ["keyboard", "retry_after_seconds", "show", "with_flood_retry"]

Button = tuple[str, str]
T = TypeVar("T")


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback_data)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in rows
            if row
        ]
    )


async def show(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, edit: bool = True
) -> Message | None:
    """Answer a button press by editing its message; otherwise send a new message.

    Editing keeps a step-by-step form in one message instead of a wall of them.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    # A photo or document (the check-in QR code) has no text to edit: Telegram would refuse.
    editable = isinstance(message, Message) and message.text is not None
    if edit and query is not None and editable:
        try:
            result = await query.edit_message_text(text, reply_markup=markup)
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            # The old message cannot be edited (too old, deleted): fall through and send.
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=markup)


def retry_after_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds, whether PTB gives an int or a timedelta (PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_flood_retry(send: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """An interactive reply that comes in a burst (a preview of several messages) may meet the
    per-chat flood limit: wait as Telegram says and try again, a few times."""
    for _ in range(attempts - 1):
        try:
            return await send()
        except RetryAfter as exc:
            await asyncio.sleep(retry_after_seconds(exc))
    return await send()
