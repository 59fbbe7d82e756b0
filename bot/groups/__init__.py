"""Telegram groups per kecamatan or kelurahan, joined only by registered cadres (issue 14).

Modules: `link` (linking a group to an area, unlinking), `join` (the cadre's link, join
requests, membership), `keep` (removing who no longer belongs), `announce` (announcements in
groups, the RSVP pressed there), `figures` (`/statistik`), `rules` (who belongs), `api`
(the Bot API calls). Tables and queries: `storage.groups`.

Handlers that must see group updates run in handler group `GROUP_CHATS` (before the chat
guard, which keeps every other group update out); they stop the update once they answered it.
"""

from __future__ import annotations

from telegram.ext import (
    CallbackQueryHandler,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import PICKER_LAYOUT, GroupButton, TrainingButton
from bot.forms import AnyHandler
from bot.groups.announce import audience_groups, group_rsvp
from bot.groups.figures import statistics_section
from bot.groups.join import (
    bot_membership,
    group_command,
    join_request,
    member_update,
    migrated,
    offer_group,
)
from bot.groups.keep import candidates, remove_where_not_belonging
from bot.groups.link import (
    area_button,
    link_command,
    link_in_private,
    unlink_button,
    unlink_command,
)

__all__ = [
    "GROUP_CHATS",
    "audience_groups",
    "candidates",
    "group_handlers",
    "handlers",
    "offer_group",
    "remove_where_not_belonging",
    "statistics_section",
]

#: The handler group of what runs in group chats: before `bot.chat_guard` (-1).
GROUP_CHATS = -2

_AREA_ACTIONS = ("s", "c", *PICKER_LAYOUT, "no")


def group_handlers() -> list[AnyHandler]:
    """Registered in `GROUP_CHATS`: the two commands, join requests, membership, the RSVP."""
    in_groups = filters.ChatType.GROUPS
    return [
        CommandHandler("hubungkan_grup", link_command, in_groups),
        CommandHandler("lepas_grup", unlink_command, in_groups),
        ChatJoinRequestHandler(join_request),
        ChatMemberHandler(member_update, ChatMemberHandler.CHAT_MEMBER),
        ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
        CallbackQueryHandler(group_rsvp, pattern=TrainingButton.pattern("y", "n")),
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
    ]


def handlers() -> list[AnyHandler]:
    """Registered in group 0, private chats: `/grup`, the area choice, unlinking from the list."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("grup", group_command, private),
        CommandHandler("hubungkan_grup", link_in_private, private),
        CallbackQueryHandler(area_button, pattern=GroupButton.pattern(*_AREA_ACTIONS)),
        CallbackQueryHandler(unlink_button, pattern=GroupButton.pattern("un", "uy", "uk")),
    ]
