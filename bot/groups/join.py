"""Joining a linked group: the cadre's link (`/grup`, and after registering or moving), the
join requests the bot approves or declines, and the membership it keeps track of.

A linked group is entered only through its join-request link. The bot approves a registered,
not-erased cadre of the group's area, or a coordinator or official covering it
(`bot.groups.rules`); anyone else is told in private why and how to register — before the
decline, while Telegram still lets the bot write to someone who never opened it — and
declined. Nothing is ever posted in the group about who joined.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.auth import identify
from bot.callbacks import GroupButton
from bot.context import BotContext
from bot.groups.link import may_unlink
from bot.groups.rules import Verdict, belongs, verdict
from bot.i18n import language_of, t
from bot.ui import Button, keyboard, show
from storage import groups
from storage.groups import GroupInfo
from storage.regions import region_path_name

__all__ = [
    "bot_membership",
    "group_command",
    "join_request",
    "member_update",
    "migrated",
    "offer_group",
]

log = logging.getLogger(__name__)

_IN = frozenset(
    {
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
        ChatMemberStatus.RESTRICTED,
    }
)


def _link_markup(group: GroupInfo, lang: str) -> InlineKeyboardMarkup | None:
    if not group.invite_link:
        return None
    button = InlineKeyboardButton(t("groups.join_button", lang), url=group.invite_link)
    return InlineKeyboardMarkup([[button]])


async def group_command(update: Update, context: BotContext) -> None:
    """`/grup`: the cadre's own group; for coordinators and officials also the linked groups of
    their scopes, each with its link and, where they may, a way to unlink it."""
    user = update.effective_user
    assert user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if identity.cadre is None and not identity.is_privileged:
        await show(update, t("groups.register_first", lang), edit=False)
        return
    if identity.cadre is not None:
        with context.db.session() as session:
            own = groups.group_for_village(session, identity.cadre.village_code)
            area = region_path_name(session, own.area_code) if own and own.area_code else ""
        if own is None or not own.invite_link:
            await show(update, t("groups.none_for_you", lang), edit=False)
        else:
            await show(
                update,
                t("groups.your_group", lang, area=area, title=own.title),
                _link_markup(own, lang),
                edit=False,
            )
    if not identity.is_privileged:
        return
    with context.db.session() as session:
        linked = {
            g.id: g for scope in identity.scopes for g in groups.groups_within(session, scope)
        }
        named = [
            (g, region_path_name(session, g.area_code or ""))
            for g in sorted(linked.values(), key=lambda g: g.area_code or "")
        ]
    if not named:
        await show(update, t("groups.list_empty", lang), edit=False)
        return
    lines = [t("groups.list_title", lang)]
    rows: list[list[Button]] = []
    for number, (group, area) in enumerate(named, start=1):
        lines.append(
            t(
                "groups.list_item",
                lang,
                n=number,
                title=group.title,
                area=area,
                link=group.invite_link or "—",
            )
        )
        if may_unlink(identity, group):
            label = t("groups.unlink_button", lang, escape=False, n=number)
            rows.append([(label, GroupButton("un", group_id=group.id).pack())])
    await show(update, "\n\n".join(lines), keyboard(rows) if rows else None, edit=False)


async def offer_group(
    context: BotContext, user_id: int, village: str, previous: str | None, created: bool
) -> None:
    """After registering, or after moving to an area with another group: the group's link."""
    with context.db.session() as session:
        group = groups.group_for_village(session, village)
        before = groups.group_for_village(session, previous) if previous else None
        if (
            group is None
            or not group.invite_link
            or groups.is_member(session, group.chat_id, user_id)
        ):
            return
        area = region_path_name(session, group.area_code or "")
    if not created and before is not None and before.chat_id == group.chat_id:
        return
    lang = language_of(context.db, user_id)
    key = "groups.offer_new" if created else "groups.offer_moved"
    try:
        await context.bot.send_message(
            user_id,
            t(key, lang, area=area, title=group.title),
            reply_markup=_link_markup(group, lang),
        )
    except TelegramError as exc:
        log.info("could not offer the group link: %s", exc)


async def join_request(update: Update, context: BotContext) -> None:
    """A request to join a linked group: approve who belongs, tell the others why, decline."""
    request = update.chat_join_request
    assert request is not None
    with context.db.session() as session:
        group = groups.get_group(session, request.chat.id)
    if group is None or group.area_code is None:
        return  # not a group the bot serves: the chat guard leaves it
    user_id = request.from_user.id
    identity = identify(context.db, context.settings, user_id)
    decision = verdict(identity, group.area_code)
    lang = context.lang
    if decision is Verdict.OK:
        try:
            await request.approve()
        except BadRequest as exc:
            if "USER_ALREADY_PARTICIPANT" not in str(exc):
                log.info("join request in %s not approved: %s", group.chat_id, exc)
                raise ApplicationHandlerStop from None
        with context.db.session() as session:
            groups.add_member(session, group.chat_id, user_id)
        raise ApplicationHandlerStop
    with context.db.session() as session:
        area = region_path_name(session, group.area_code)
        own = (
            groups.group_for_village(session, identity.cadre.village_code)
            if identity.cadre is not None
            else None
        )
    markup: InlineKeyboardMarkup | None
    if decision is Verdict.NOT_REGISTERED:
        text = t("groups.declined_unregistered", lang, area=area, bot=context.bot.username)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(t("groups.register_button", lang), url=context.bot.link)]]
        )
    else:
        text = t("groups.declined_other_area", lang, area=area)
        markup = _link_markup(own, lang) if own is not None else None
    try:  # before declining: afterwards Telegram may no longer let the bot write to them
        await context.bot.send_message(request.user_chat_id, text, reply_markup=markup)
    except TelegramError as exc:
        log.info("could not tell a declined requester why: %s", exc)
    try:
        await request.decline()
    except BadRequest as exc:
        log.info("join request in %s not declined: %s", group.chat_id, exc)
    raise ApplicationHandlerStop


async def member_update(update: Update, context: BotContext) -> None:
    """`chat_member`: who joined or left a linked group (only cadres and coordinators are
    recorded: strangers' ids are not kept)."""
    change = update.chat_member
    assert change is not None
    member = change.new_chat_member
    if member.user.is_bot:
        raise ApplicationHandlerStop
    chat_id, user_id = change.chat.id, member.user.id
    with context.db.session() as session:
        group = groups.get_group(session, chat_id)
    if group is None or group.area_code is None:
        return
    present = member.status in _IN and (
        member.status != ChatMemberStatus.RESTRICTED or bool(getattr(member, "is_member", True))
    )
    if present:
        identity = identify(context.db, context.settings, user_id)
        if identity.cadre is not None or identity.is_privileged:
            with context.db.session() as session:
                groups.add_member(session, chat_id, user_id)
        if not belongs(identity, group.area_code):
            log.info("someone outside the area is in the group %s (added by an admin)", chat_id)
    else:
        with context.db.session() as session:
            groups.remove_member(session, chat_id, user_id)
    raise ApplicationHandlerStop


async def migrated(update: Update, context: BotContext) -> None:
    """A linked basic group became a supergroup: the link follows it to its new chat id."""
    message = update.effective_message
    assert message is not None
    old, new = message.migrate_from_chat_id, message.chat.id
    if old is None:  # the old chat's "migrated to": the new chat's message says it too
        old, new = message.chat.id, message.migrate_to_chat_id or message.chat.id
    with context.db.session() as session:
        moved = groups.migrate_chat(session, old, new)
        linked = groups.get_group(session, new) is not None
    if moved:
        log.info("a linked group became a supergroup: %s → %s", old, new)
    if linked:  # the old chat is gone: nothing to answer or leave there
        raise ApplicationHandlerStop


async def bot_membership(update: Update, context: BotContext) -> None:
    """`my_chat_member` in a group: added by a coordinator or official, the bot waits there to
    be linked; removed, it forgets the group. The chat guard decides the rest (leaving)."""
    change = update.my_chat_member
    assert change is not None
    chat = change.chat
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    if change.new_chat_member.status in _IN:
        if change.old_chat_member.status in _IN:
            return  # promoted or restricted: still there
        identity = identify(context.db, context.settings, change.from_user.id)
        if identity.is_privileged:
            with context.db.session() as session:
                groups.note_added(session, chat.id, chat.title or "", change.from_user.id)
        return
    with context.db.session() as session:
        gone = groups.forget_chat(session, chat.id)
    if gone is not None and gone.area_code is not None:
        log.info("the bot was removed from the linked group of %s", gone.area_code)
