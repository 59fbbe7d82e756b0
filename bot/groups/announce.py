"""Announcements in linked groups, and the RSVP button pressed there.

`/umumkan` and training announcements also go to the linked groups of the audience's area
(one message per group, through the delivery engine, which keeps Telegram's 20-a-minute
group limit). A targeted audience (some institutions, or the cadres asking for a training
need) is not a group's whole membership, so it is not posted there.

An "Ikut" pressed under an announcement in a group is answered to the presser alone: the
toast, and the confirmation in their private chat (`bot.training.rsvp`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from storage import groups

__all__ = ["audience_groups", "group_rsvp"]


def audience_groups(
    session: Session, area: str | None, institutions: Sequence[str] = (), targeted: bool = False
) -> list[int]:
    """The chat ids of the linked groups an announcement to `area` is posted to."""
    if area is None or institutions or targeted:
        return []
    return [g.chat_id for g in groups.groups_within(session, area) if g.area_code]


async def group_rsvp(update: Update, context: BotContext) -> None:
    """`tr:y` / `tr:n` pressed in a linked group: the answer goes to the presser privately."""
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return  # a private chat: the training feature's own handler
    with context.db.session() as session:
        group = groups.get_group(session, chat.id)
    if group is None or group.area_code is None:
        return  # not a linked group: the chat guard answers
    # Imported here: the training feature announces to groups (`audience_groups`) itself.
    from bot.training.rsvp import rsvp_button

    await rsvp_button(update, context)
    raise ApplicationHandlerStop
