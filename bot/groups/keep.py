"""Keeping the groups true: whoever no longer belongs to a group's area — after `/hapus_data`,
a move to another area, or losing a coordinator role — is removed from it (not banned: they may
come back through the link if they belong again). `GROUP_REMOVAL=false` switches it off."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.auth import identify
from bot.context import BotContext
from bot.groups.api import is_present, kick
from bot.groups.rules import belongs
from storage import groups, people
from storage.db import Database
from storage.groups import GroupInfo

__all__ = ["candidates", "remove_where_not_belonging"]

log = logging.getLogger(__name__)


def candidates(database: Database, user_id: int, *areas: str) -> list[GroupInfo]:
    """The linked groups the person may be in: those the bot let them into, those covering
    their kelurahan/desa, and those of `areas` (a scope they held) and above or inside them.

    Read before the change (an erasure forgets the membership records)."""
    found: dict[int, GroupInfo] = {}
    with database.session() as session:
        cadre = people.get_cadre(session, user_id)
        lists: list[Iterable[GroupInfo]] = [groups.memberships(session, user_id)]
        if cadre is not None:
            lists.append(groups.groups_covering(session, cadre.village_code))
        for area in areas:
            lists.append(groups.groups_covering(session, area))
            lists.append(groups.groups_within(session, area))
        for group in (g for items in lists for g in items):
            found[group.chat_id] = group
    return list(found.values())


async def remove_where_not_belonging(
    context: BotContext, user_id: int, among: Iterable[GroupInfo]
) -> int:
    """Remove the person from each of `among` whose area they no longer belong to; how many."""
    if not context.settings.group_removal:
        return 0
    identity = identify(context.db, context.settings, user_id)
    removed = 0
    for group in among:
        if group.area_code is None or belongs(identity, group.area_code):
            continue
        if await is_present(context.bot, group.chat_id, user_id) and await kick(
            context.bot, group.chat_id, user_id
        ):
            removed += 1
        with context.db.session() as session:
            groups.remove_member(session, group.chat_id, user_id)
    if removed:
        log.info("removed someone from %d linked group(s) they no longer belong to", removed)
    return removed
