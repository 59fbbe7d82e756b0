"""Coordinator invites, the coordinator list and revocation — officials only.

An official picks a scope, gets a one-time deep link that expires, and whoever opens it
becomes coordinator of that scope; the official is told who did. An unused link can be
withdrawn (from its message or from /koordinator). Every action is checked against
`ADMIN_IDS` on the server and written to the audit log.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot import groups
from bot.auth import identify
from bot.callbacks import (
    PICKER_LAYOUT,
    CoordinatorButton,
    ForgedCallback,
    InviteButton,
    InviteRevokeButton,
    refuse_forged,
)
from bot.context import BotContext
from bot.delivery import Payload, submit
from bot.forms import region_picker
from bot.forms.region_picker import PickerState, StaleButton
from bot.i18n import LANGUAGES, language_of, t
from bot.menu import refresh_commands
from bot.moments import format_moment
from bot.ui import keyboard, show
from storage import roles
from storage.regions import in_scope, region_path_name
from storage.roles import InviteInfo, InviteResult, Redemption

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
    revoke = t("roles.invite_revoke_button", context.lang, escape=False)
    await show(
        update,
        t(
            "roles.invite_created",
            context.lang,
            scope=scope_name,
            link=link,
            expires=format_moment(invite.expires_at, context.settings.timezone, context.lang),
        ),
        keyboard([[(revoke, InviteRevokeButton("x", invite.id).pack())]]),
    )


async def redeem_invite(update: Update, context: BotContext) -> None:
    """`/start inv_<code>`: become coordinator of the invite's scope (once, before expiry)."""
    user = update.effective_user
    assert user is not None and context.args
    code = context.args[0][len(INVITE_PAYLOAD) :]
    with context.db.session() as session:
        redemption = roles.redeem_invite(session, code, user.id, user.full_name)
        invite = redemption.invite
        scope_name = region_path_name(session, invite.scope_code) if invite else ""
    key = {
        InviteResult.OK: "roles.invite_ok",
        InviteResult.ALREADY: "roles.invite_already",
        InviteResult.USED: "roles.invite_used",
        InviteResult.EXPIRED: "roles.invite_expired",
        InviteResult.UNKNOWN: "roles.invite_unknown",
    }[redemption.result]
    await show(update, t(key, context.lang, scope=scope_name), edit=False)
    if redemption.result is InviteResult.OK:
        _tell_issuer(context, redemption, user.full_name, scope_name)
        from bot.home import send_main_menu

        await send_main_menu(update, context)


def _tell_issuer(context: BotContext, redemption: Redemption, name: str, scope: str) -> None:
    """The official who made the invite learns who redeemed it, with a way to undo it."""
    invite, coordinator_id = redemption.invite, redemption.coordinator_id
    assert invite is not None and coordinator_id is not None
    text = {lang: t("roles.invite_redeemed", lang, name=name, scope=scope) for lang in LANGUAGES}
    revoke = CoordinatorButton("rv", coordinator_id).pack()
    buttons = {
        lang: [[(t("roles.redeemed_revoke_button", lang, escape=False, name=name[:24]), revoke)]]
        for lang in LANGUAGES
    }
    submit(
        context.app,
        kind="notification",
        recipient_ids=[invite.created_by],
        payload=Payload(text, buttons=buttons),
        urgent=True,
        ref=f"invite:{invite.id}:redeemed",
    )


async def list_coordinators(update: Update, context: BotContext) -> None:
    """/koordinator: active coordinators, each with a revoke button, then unused invites."""
    if not _is_official(update, context):
        await _refuse(update, context)
        return
    lang = context.lang
    with context.db.session() as session:
        items = roles.list_coordinators(session, context.settings.forum_area)
        named = [(c, region_path_name(session, c.scope_code)) for c in items]
        pending = [
            (i, region_path_name(session, i.scope_code)) for i in roles.pending_invites(session)
        ]
    if not named and not pending:
        await show(update, t("roles.no_coordinators", lang), edit=False)
        return
    lines = [t("roles.list_title", lang)] if named else []
    rows = []
    for number, (coord, scope) in enumerate(named, start=1):
        lines.append(t("roles.list_item", lang, n=number, name=coord.display_name, scope=scope))
        rows.append(
            [
                (
                    t(
                        "roles.revoke_button",
                        lang,
                        escape=False,
                        n=number,
                        name=coord.display_name[:24],
                    ),
                    CoordinatorButton("rv", coord.id).pack(),
                )
            ]
        )
    if pending:
        lines.append(t("roles.pending_title", lang))
    for invite, scope in pending:
        expires = format_moment(invite.expires_at, context.settings.timezone, lang)
        lines.append(t("roles.pending_item", lang, n=invite.id, scope=scope, expires=expires))
        label = t("roles.pending_revoke_button", lang, escape=False, n=invite.id)
        rows.append([(label, InviteRevokeButton("x", invite.id).pack())])
    await show(update, "\n".join(lines), keyboard(rows), edit=False)


async def revoke_invite_button(update: Update, context: BotContext) -> None:
    """Withdraw an unused invite: its link then answers "not known"."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    if not _is_official(update, context):
        await _refuse(update, context)
        return
    try:
        invite_id = InviteRevokeButton.unpack(query.data).invite_id
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    await query.answer()
    with context.db.session() as session:
        revoked: InviteInfo | None = roles.revoke_invite(
            session, invite_id, update.effective_user.id
        )
        scope = region_path_name(session, revoked.scope_code) if revoked else ""
    key = "roles.invite_revoked" if revoked else "roles.invite_revoke_gone"
    await show(update, t(key, context.lang, scope=scope), edit=False)


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
    leaving = groups.candidates(context.db, revoked.telegram_id, revoked.scope_code)
    await groups.remove_where_not_belonging(context, revoked.telegram_id, leaving)
    identity = identify(context.db, context.settings, revoked.telegram_id)
    await refresh_commands(
        context.bot,
        identity,
        language_of(context.db, revoked.telegram_id),
        context.app.menu_counts(identity),
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("undang", invite_command),
        CallbackQueryHandler(invite_picker_button, pattern=InviteButton.pattern(*PICKER_LAYOUT)),
        CommandHandler("koordinator", list_coordinators),
        CallbackQueryHandler(revoke_button, pattern=CoordinatorButton.pattern()),
        CallbackQueryHandler(revoke_invite_button, pattern=InviteRevokeButton.pattern()),
    ]
