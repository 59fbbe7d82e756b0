"""What the needs feature's handlers share: reading a pressed button, a typed "Lainnya" name,
and who is asking."""

from __future__ import annotations

from typing import TypeVar

from telegram import Update

from bot.auth import Identity, identify
from bot.callbacks import Callback, ForgedCallback, refuse_forged
from bot.context import BotContext
from bot.validation import clean_label

__all__ = ["NAME_LIMIT", "asker", "pressed", "typed_name"]

NAME_LIMIT = 60  # a "Lainnya" need or skill in the cadre's own words
C = TypeVar("C", bound=Callback)


async def pressed(update: Update, context: BotContext, family: type[C]) -> C | None:
    """The button behind the update, or None after refusing forged data politely."""
    assert update.callback_query is not None
    try:
        return family.unpack(update.callback_query.data)
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return None


def typed_name(update: Update) -> str | None:
    """The name typed for "Lainnya", tidied, or None when it is no usable name."""
    assert update.message is not None and update.message.text is not None
    return clean_label(update.message.text, NAME_LIMIT)


def asker(update: Update, context: BotContext) -> Identity:
    """Who sent the update, checked on the server."""
    assert update.effective_user is not None
    return identify(context.db, context.settings, update.effective_user.id)
