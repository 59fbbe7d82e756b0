"""What the needs feature's handlers share: reading a pressed button, a typed "Lainnya" name,
and who is asking."""

from __future__ import annotations

from typing import TypeVar

from telegram import Update

from bot.auth import Identity, identify
from bot.callbacks import Callback, unpack_or_refuse
from bot.context import BotContext
from bot.validation import clean_label

__all__ = ["NAME_LIMIT", "asker", "pressed", "typed_name"]

NAME_LIMIT = 60  # a "Lainnya" need or skill in the cadre's own words
C = TypeVar("C", bound=Callback)


async def pressed(update: Update, context: BotContext, family: type[C]) -> C | None:
    """The button behind the update, or None after refusing forged data politely."""
    return await unpack_or_refuse(family, update, context.lang)


def typed_name(update: Update) -> str | None:
    """The name typed for "Lainnya", tidied, or None when it is no usable name."""
    assert update.message is not None and update.message.text is not None
    return clean_label(update.message.text, NAME_LIMIT)


def asker(update: Update, context: BotContext) -> Identity:
    """Who sent the update, checked on the server."""
    assert update.effective_user is not None
    return identify(context.db, context.settings, update.effective_user.id)
