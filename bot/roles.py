"""Coordinator invites, the coordinator list and revocation — officials only.

An official picks a scope, gets a one-time deep link that expires, and whoever opens it
becomes coordinator of that scope. Every action is checked against `ADMIN_IDS` on the server
and written to the audit log.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot.auth import identify
from bot.callbacks import (
    PICKER_LAYOUT,
    CoordinatorButton,
    ForgedCallback,
    InviteButton,
    refuse_forged,
)
from bot.context import BotContext
from bot.forms import region_picker
from bot.forms.region_picker import PickerState, StaleButton
from bot.i18n import language_of, t
from bot.menu import refresh_commands
from bot.moments import format_moment
from bot.ui import keyboard, show
from storage import roles
from storage.regions import in_scope, region_path_name
from storage.roles import InviteResult

__all__ = ["INVITE_PAYLOAD", "handlers", "redeem_invite"]

PICKER_KEY = "invite_picker"
# `/start inv_<code>`: the deep link of an invitation (routed by `bot.app` before registration).
INVITE_PAYLOAD = "inv_"


def _is_official(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    return user is not None and identify(context.db, context.settings, user.id).is_official


async def _refuse(update: Update, context: BotContext) -> None:
    if update.callback_query:
        await update.callback_query.answer(t("roles.not_allowed", context.lang), show_alert=True)
        return
    await show(update, t("roles.not_allowed", context.lang), edit=False)


async def _render_invite_picker(
    update: Update, context: BotContext, state: PickerState, edit: bool
) -> None:
    with context.db.session() as session:
        text, markup, _ = region_picker.render(
            session,
            state,
            prefix=InviteButton.PREFIX,
            lang=context.lang,
            title=t("roles.invite_pick", context.lang),
            allow_pick_node=True,
            back_exits=False,
        )
    await show(update, text, markup, edit=edit)


async def invite_command(update: Update, context: BotContext) -> None:
    if not _is_official(update, context):
        await _refuse(update, context)
        return
    state = PickerState(root=context.settings.forum_area, node=context.settings.forum_area)
    assert context.user_data is not None
    context.user_data[PICKER_KEY] = state.to_dict()
    await _render_invite_picker(update, context, state, edit=False)


async def invite_picker_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    if not _is_official(update, context):
        await _refuse(update, context)
        return
    assert context.user_data is not None
    saved = context.user_data.get(PICKER_KEY)
    try:
        button = InviteButton.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    if not saved:
        await refuse_forged(update, context.lang)
        return
    state = PickerState.from_dict(saved)
    arg = str(button.page) if button.action == "p" else button.code
    try:
        with context.db.session() as session:
            outcome = region_picker.apply_callback(session, state, button.action, arg, "village")
    except StaleButton:
        await refuse_forged(update, context.lang)
        return
    await query.answer()
    if outcome.exited:
        return
    if outcome.picked is None:
        context.user_data[PICKER_KEY] = outcome.state.to_dict()
        await _render_invite_picker(update, context, outcome.state, edit=True)
        return
    scope = outcome.picked
    if not in_scope(scope, context.settings.forum_area):  # never trust the keyboard
        await _refuse(update, context)
        return
    context.user_data.pop(PICKER_KEY, None)
    with context.db.session() as session:
        invite = roles.create_invite(
            session, scope, update.effective_user.id, context.settings.invite_ttl
        )
        scope_name = region_path_name(session, scope)
    link = create_deep_linked_url(context.bot.username, INVITE_PAYLOAD + invite.code)
    await show(
        update,
        t(
            "roles.invite_created",
            context.lang,
            scope=scope_name,
            link=link,
            expires=format_moment(invite.expires_at, context.settings.timezone, context.lang),
        ),
    )


async def redeem_invite(update: Update, context: BotContext) -> None:
    """`/start inv_<code>`: become coordinator of the invite's scope (once, before expiry)."""
    user = update.effective_user
    assert user is not None and context.args
    code = context.args[0][len(INVITE_PAYLOAD) :]
    with context.db.session() as session:
        result, scope = roles.redeem_invite(session, code, user.id, user.full_name)
        scope_name = region_path_name(session, scope) if scope else ""
    key = {
        InviteResult.OK: "roles.invite_ok",
        InviteResult.ALREADY: "roles.invite_already",
        InviteResult.USED: "roles.invite_used",
        InviteResult.EXPIRED: "roles.invite_expired",
        InviteResult.UNKNOWN: "roles.invite_unknown",
    }[result]
    await show(update, t(key, context.lang, scope=scope_name), edit=False)
    if result is InviteResult.OK:
        from bot.home import send_main_menu

        await send_main_menu(update, context)


async def list_coordinators(update: Update, context: BotContext) -> None:
    if not _is_official(update, context):
        await _refuse(update, context)
        return
    lang = context.lang
    with context.db.session() as session:
        items = roles.list_coordinators(session, context.settings.forum_area)
        named = [(c, region_path_name(session, c.scope_code)) for c in items]
    if not named:
        await show(update, t("roles.no_coordinators", lang), edit=False)
        return
    lines = [t("roles.list_title", lang)]
    rows = []
    for number, (coord, scope) in enumerate(named, start=1):
        lines.append(t("roles.list_item", lang, n=number, name=coord.display_name, scope=scope))
        rows.append(
            [
                (
                    t("roles.revoke_button", lang, n=number, name=coord.display_name[:24]),
                    CoordinatorButton("rv", coord.id).pack(),
                )
            ]
        )
    await show(update, "\n".join(lines), keyboard(rows), edit=False)


async def revoke_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    if not _is_official(update, context):
        await _refuse(update, context)
        return
    lang = context.lang
    try:
        button = CoordinatorButton.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, lang, error)
        return
    action, coordinator_id = button.action, button.coordinator_id
    if action == "rv":
        await query.answer()
        with context.db.session() as session:
            match = [c for c in roles.list_coordinators(session) if c.id == coordinator_id]
            scope = region_path_name(session, match[0].scope_code) if match else ""
        if not match:
            await show(update, t("roles.revoke_gone", lang))
            return
        markup = keyboard(
            [
                [
                    (t("roles.revoke_yes", lang), CoordinatorButton("ry", coordinator_id).pack()),
                    (t("common.cancel", lang), CoordinatorButton("no").pack()),
                ]
            ]
        )
        await show(
            update, t("roles.revoke_confirm", lang, name=match[0].display_name, scope=scope), markup
        )
        return
    if action == "no":
        await query.answer()
        await show(update, t("roles.revoke_cancelled", lang))
        return
    await query.answer()
    with context.db.session() as session:
        revoked = roles.revoke_coordinator(session, coordinator_id, update.effective_user.id)
        scope = region_path_name(session, revoked.scope_code) if revoked else ""
    if revoked is None:
        await show(update, t("roles.revoke_gone", lang))
        return
    await show(update, t("roles.revoked", lang, name=revoked.display_name, scope=scope))
    await refresh_commands(
        context.bot,
        identify(context.db, context.settings, revoked.telegram_id),
        language_of(context.db, revoked.telegram_id),
        context.app.menu_counters,
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("undang", invite_command),
        CallbackQueryHandler(invite_picker_button, pattern=InviteButton.pattern(*PICKER_LAYOUT)),
        CommandHandler("koordinator", list_coordinators),
        CallbackQueryHandler(revoke_button, pattern=CoordinatorButton.pattern()),
    ]
