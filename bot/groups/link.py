"""Linking a group to an area, and unlinking it.

A coordinator or official adds the bot to a group as an administrator that may invite users
and sends `/hubungkan_grup` there. The bot checks the sender's role and its own rights (a
clear answer in the group if either is missing), then asks in the sender's private chat which
area inside their scope the group is for. The area is checked on the server again when it is
chosen (the keyboard is never trusted); one group per area. The group then gets a join-request
link, and a short post that names only the area.

`/lepas_grup` in the group, or the list of `/grup` in private, unlinks it (an official, or a
coordinator whose scope covers the area); the bot then leaves the group.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.auth import Identity, identify
from bot.callbacks import (
    PICKER_LAYOUT,
    GroupButton,
    refuse_forged,
    unpack_or_refuse,
)
from bot.context import BotContext
from bot.forms import region_picker
from bot.forms.audience import scope_rows
from bot.forms.region_picker import PickerState, StaleButton
from bot.groups.api import bot_rights, create_join_link
from bot.i18n import t
from bot.ui import keyboard, show
from bot.vocabulary import parse_region_code
from storage import groups
from storage.audit import audit
from storage.groups import GroupInfo, LinkResult
from storage.regions import in_scope, region_path_name

__all__ = [
    "area_button",
    "link_command",
    "link_in_private",
    "may_unlink",
    "unlink_button",
    "unlink_command",
]

log = logging.getLogger(__name__)

#: user_data: the group waiting for its area ({"chat_id", "title", "picker"}).
PENDING_KEY = "group_link"


def may_unlink(identity: Identity, group: GroupInfo) -> bool:
    """Officials, and coordinators whose scope covers the group's area."""
    area = group.area_code
    return area is not None and (identity.is_official or identity.may_act_on(area))


async def _stop_with(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer the command in the group, and let no later handler (the chat guard) see it."""
    message = update.effective_message
    if message is not None:
        try:
            await message.reply_text(text, reply_markup=markup)
        except TelegramError as exc:
            log.info("could not answer in group: %s", exc)
    raise ApplicationHandlerStop


async def link_command(update: Update, context: BotContext) -> None:
    """`/hubungkan_grup` in a group: check who asks and what the bot may do, then continue in
    the sender's private chat."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await _stop_with(update, t("groups.link_not_allowed", lang))
    with context.db.session() as session:
        current = groups.get_group(session, chat.id)
        area_name = (
            region_path_name(session, current.area_code) if current and current.area_code else ""
        )
    if current is not None and current.area_code is not None:
        await _stop_with(update, t("groups.link_already", lang, area=area_name))
    rights = await bot_rights(context.bot, chat.id)
    if not rights.enough:
        key = "groups.link_no_invite_right" if rights.admin else "groups.link_not_admin"
        await _stop_with(update, t(key, lang))
    with context.db.session() as session:
        groups.note_added(session, chat.id, chat.title or "", user.id)
    assert context.user_data is not None
    text, markup = _scope_choice(context, identity, chat.title or "")
    try:
        asked = await context.bot.send_message(user.id, text, reply_markup=markup)
    except Forbidden:
        button = InlineKeyboardButton(t("guard.open_private_chat", lang), url=context.bot.link)
        await _stop_with(
            update,
            t("groups.link_open_private", lang),
            InlineKeyboardMarkup([[button]]),
        )
    # Only this question's buttons link this group: an older one (another group) is stale.
    context.user_data[PENDING_KEY] = {
        "chat_id": chat.id,
        "title": chat.title or "",
        "message_id": asked.message_id,
    }
    await _stop_with(update, t("groups.link_continue_private", lang))


def _scope_choice(
    context: BotContext, identity: Identity, title: str
) -> tuple[str, InlineKeyboardMarkup]:
    lang = context.lang
    rows = scope_rows(
        context.db,
        identity.scopes,
        lang,
        ("groups.area_whole", "groups.area_inside"),
        lambda action, area: GroupButton(action, area=area).pack(),
    )
    rows.append([(t("common.cancel", lang), GroupButton("no").pack())])
    return t("groups.ask_area", lang, title=title), keyboard(rows)


async def link_in_private(update: Update, context: BotContext) -> None:
    """`/hubungkan_grup` in private: it is sent in the group, after adding the bot there."""
    await show(update, t("groups.link_how", context.lang), edit=False)


async def _refuse(update: Update, context: BotContext, identity: Identity, value: str) -> None:
    with context.db.session() as session:
        audit(session, identity.user_id, "group.refused", value[:40])
    query = update.callback_query
    assert query is not None
    await query.answer(t("groups.area_refused", context.lang), show_alert=True)


async def area_button(update: Update, context: BotContext) -> None:
    """The area of the group waiting to be linked: whole scope, inside it, or cancel."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    lang = context.lang
    button = await unpack_or_refuse(GroupButton, update, lang)
    if button is None:
        return
    identity = identify(context.db, context.settings, user.id)
    assert context.user_data is not None
    pending: dict[str, Any] | None = context.user_data.get(PENDING_KEY)
    if not identity.is_privileged:
        await _refuse(update, context, identity, button.area or button.code)
        return
    message = query.message
    if pending is None or message is None or message.message_id != pending.get("message_id"):
        await refuse_forged(update, lang)
        return
    if button.action == "no":
        context.user_data.pop(PENDING_KEY, None)
        await query.answer()
        await show(update, t("groups.link_cancelled", lang))
        return
    picked: str | None = None
    if button.action in ("s", "c"):
        scope = parse_region_code(button.area)
        if scope is None or not identity.may_act_on(scope):  # never trust the keyboard
            await _refuse(update, context, identity, button.area)
            return
        if button.action == "s":
            picked = scope
        else:
            with context.db.session() as session:
                state = region_picker.start(session, scope, "village")
            pending["picker"] = state.to_dict()
            context.user_data[PENDING_KEY] = pending
            await query.answer()
            await _show_picker(update, context, state)
            return
    elif button.action in PICKER_LAYOUT:
        if not pending.get("picker"):
            await refuse_forged(update, lang)
            return
        state = PickerState.from_dict(pending["picker"])
        arg = str(button.page) if button.action == "p" else button.code
        try:
            with context.db.session() as session:
                outcome = region_picker.apply_callback(
                    session, state, button.action, arg, "village"
                )
        except StaleButton:
            await refuse_forged(update, lang)
            return
        if outcome.exited:
            pending.pop("picker", None)
            context.user_data[PENDING_KEY] = pending
            await query.answer()
            text, markup = _scope_choice(context, identity, str(pending.get("title", "")))
            await show(update, text, markup)
            return
        if outcome.picked is None:
            pending["picker"] = outcome.state.to_dict()
            context.user_data[PENDING_KEY] = pending
            await query.answer()
            await _show_picker(update, context, outcome.state)
            return
        picked = outcome.picked
    else:
        await refuse_forged(update, lang)
        return
    if not identity.may_act_on(picked) or not in_scope(picked, context.settings.forum_area):
        await _refuse(update, context, identity, picked)
        return
    await query.answer()
    await _link(update, context, identity, pending, picked)


async def _show_picker(update: Update, context: BotContext, state: PickerState) -> None:
    with context.db.session() as session:
        text, markup, _ = region_picker.render(
            session,
            state,
            prefix=GroupButton.PREFIX,
            lang=context.lang,
            title=t("groups.pick_area", context.lang),
            allow_pick_node=True,
            back_exits=True,
        )
    await show(update, text, markup)


async def _link(
    update: Update,
    context: BotContext,
    identity: Identity,
    pending: dict[str, Any],
    area: str,
) -> None:
    lang = context.lang
    chat_id = int(pending["chat_id"])
    title = str(pending.get("title") or "")
    assert context.user_data is not None
    rights = await bot_rights(context.bot, chat_id)
    if not rights.enough:  # taken away since the command
        key = "groups.link_no_invite_right" if rights.admin else "groups.link_not_admin"
        await show(update, t(key, lang))
        return
    with context.db.session() as session:
        result = groups.link_group(session, chat_id, area, title, identity.user_id)
        area_name = region_path_name(session, area)
    if result is LinkResult.AREA_TAKEN:  # choose again
        pending.pop("picker", None)
        context.user_data[PENDING_KEY] = pending
        text, markup = _scope_choice(context, identity, title)
        await show(update, t("groups.area_taken", lang, area=area_name) + "\n\n" + text, markup)
        return
    context.user_data.pop(PENDING_KEY, None)
    if result is LinkResult.ALREADY:
        await show(update, t("groups.already_linked_private", lang, title=title))
        return
    link = await create_join_link(context.bot, chat_id)
    if link is None:
        with context.db.session() as session:
            groups.unlink_group(session, chat_id, identity.user_id)
        await show(update, t("groups.link_failed", lang))
        return
    with context.db.session() as session:
        groups.set_invite_link(session, chat_id, link)
    try:
        await context.bot.send_message(chat_id, t("groups.linked_post", lang, area=area_name))
    except TelegramError as exc:
        log.info("could not post in the linked group: %s", exc)
    note = "" if rights.restrict else "\n\n" + t("groups.no_restrict_right", lang)
    await show(update, t("groups.linked", lang, title=title, area=area_name, link=link) + note)


async def unlink_command(update: Update, context: BotContext) -> None:
    """`/lepas_grup` in a linked group."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    lang = context.lang
    with context.db.session() as session:
        group = groups.get_group(session, chat.id)
    if group is None or group.area_code is None:
        await _stop_with(update, t("groups.not_linked", lang))
        return
    identity = identify(context.db, context.settings, user.id)
    if not may_unlink(identity, group):
        await _stop_with(update, t("groups.unlink_not_allowed", lang))
        return
    await _unlink(context, group, identity.user_id)
    raise ApplicationHandlerStop


async def _unlink(context: BotContext, group: GroupInfo, by: int) -> str:
    """Unlink, say so in the group, and leave it; returns the area's name."""
    with context.db.session() as session:
        groups.unlink_group(session, group.chat_id, by)
        area = region_path_name(session, group.area_code) if group.area_code else ""
    try:
        await context.bot.send_message(group.chat_id, t("groups.unlinked_post", context.lang))
        await context.bot.leave_chat(group.chat_id)
    except TelegramError as exc:
        log.info("could not leave the unlinked group %s: %s", group.chat_id, exc)
    return area


async def unlink_button(update: Update, context: BotContext) -> None:
    """From the `/grup` list: un:<id> asks, uy:<id> unlinks, uk keeps."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    lang = context.lang
    button = await unpack_or_refuse(GroupButton, update, lang)
    if button is None:
        return
    if button.action == "uk":
        await query.answer()
        await show(update, t("groups.unlink_kept", lang))
        return
    identity = identify(context.db, context.settings, user.id)
    with context.db.session() as session:
        group = groups.group_by_id(session, button.group_id)
        area = region_path_name(session, group.area_code) if group and group.area_code else ""
    if group is None or group.area_code is None:
        await query.answer()
        await show(update, t("groups.unlink_gone", lang))
        return
    if not may_unlink(identity, group):
        await _refuse(update, context, identity, group.area_code)
        return
    await query.answer()
    if button.action == "un":
        markup = keyboard(
            [
                [
                    (t("groups.unlink_yes", lang), GroupButton("uy", group_id=group.id).pack()),
                    (t("common.cancel", lang), GroupButton("uk").pack()),
                ]
            ]
        )
        await show(update, t("groups.unlink_confirm", lang, title=group.title, area=area), markup)
        return
    await _unlink(context, group, identity.user_id)
    await show(update, t("groups.unlinked", lang, title=group.title, area=area))
