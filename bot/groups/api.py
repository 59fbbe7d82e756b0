"""The few Bot API calls a linked group needs, with Telegram's refusals turned into answers:
the bot's own rights, the join-request link, and removing someone without a lasting ban."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, ChatMemberAdministrator, ChatMemberOwner
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError

__all__ = ["INVITE_LINK_NAME", "Rights", "bot_rights", "create_join_link", "is_present", "kick"]

log = logging.getLogger(__name__)

INVITE_LINK_NAME = "Forkom KPM"
_PRESENT = frozenset({ChatMemberStatus.MEMBER, ChatMemberStatus.RESTRICTED})


@dataclass(frozen=True)
class Rights:
    """What the bot may do in a group, read with getChatMember on itself."""

    admin: bool = False
    invite: bool = False
    restrict: bool = False

    @property
    def enough(self) -> bool:
        """Linking needs an administrator who may invite users (join requests are theirs)."""
        return self.admin and self.invite


async def bot_rights(bot: Bot, chat_id: int) -> Rights:
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramError as exc:
        log.info("could not read the bot's rights in %s: %s", chat_id, exc)
        return Rights()
    if isinstance(member, ChatMemberOwner):
        return Rights(True, True, True)
    if isinstance(member, ChatMemberAdministrator):
        return Rights(True, member.can_invite_users, member.can_restrict_members)
    return Rights()


async def create_join_link(bot: Bot, chat_id: int) -> str | None:
    """A link that creates join requests (the bot approves or declines each), or None."""
    try:
        link = await bot.create_chat_invite_link(
            chat_id, name=INVITE_LINK_NAME, creates_join_request=True
        )
    except TelegramError as exc:
        log.warning("could not create the join link of %s: %s", chat_id, exc)
        return None
    return link.invite_link


async def is_present(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether the user is in the group as a plain member (admins and owners are left alone)."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("could not read a membership in %s: %s", chat_id, exc)
        return False
    return member.status in _PRESENT


async def kick(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Remove the user and lift the ban at once: out of the group, free to come back if they
    belong again (a basic group has no ban list to lift: Telegram refuses the unban there)."""
    try:
        await bot.ban_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.warning("could not remove a member from %s: %s", chat_id, exc)
        return False
    try:
        await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)
    except BadRequest as exc:
        log.info("no unban in %s (%s)", chat_id, exc)
    except TelegramError as exc:
        log.warning("could not lift the ban in %s: %s", chat_id, exc)
    return True
