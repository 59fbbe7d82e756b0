"""The `/pengingat` list and its buttons: view, pause, resume, delete (asked first).

Every button re-checks on the server that the presser is a coordinator or official and that
the reminder's audience lies inside their scope; each change is audited by `storage.reminders`.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.auth import Identity, identify, may_override
from bot.callbacks import ForgedCallback, ManageReminderButton, refuse_forged
from bot.context import BotContext
from bot.i18n import t
from bot.moments import format_count, format_moment
from bot.reminders.draft import now
from bot.reminders.form import place, refuse
from bot.reminders.texts import describe_rule, title
from bot.ui import Button, keyboard, show
from storage import reminders
from storage.reminders import PauseReason, ReminderInfo, ReminderStatus, ResumeResult

__all__ = ["handlers"]

LIST_LIMIT = 30


def _status_line(reminder: ReminderInfo, context: BotContext) -> str:
    lang = context.lang
    if reminder.status is ReminderStatus.PAUSED:
        reason = reminder.paused_reason or PauseReason.BY_USER
        return t(f"reminders.status.paused_{reason}", lang)
    assert reminder.next_at is not None
    return t(
        "reminders.status.next",
        lang,
        when=format_moment(reminder.next_at, context.settings.timezone, lang),
    )


async def list_command(update: Update, context: BotContext) -> None:
    """`/pengingat`: the reminders inside the user's scope, and a button for a new one."""
    assert update.effective_user is not None
    identity = identify(context.db, context.settings, update.effective_user.id)
    if not identity.is_privileged:
        await refuse(update, context)
        return
    await _show_list(update, context, identity, edit=False)


async def _show_list(
    update: Update, context: BotContext, identity: Identity, *, edit: bool
) -> None:
    lang, tz = context.lang, context.settings.timezone
    with context.db.session() as session:
        found = reminders.list_reminders(session, identity.scopes)
        audiences = {r.audience_code: place(context, session, r.audience_code or "") for r in found}
    lines = [t("reminders.list_title", lang), ""]
    rows: list[list[Button]] = []
    if not found:
        lines.append(t("reminders.list_empty", lang))
    for number, reminder in enumerate(found[:LIST_LIMIT], start=1):
        lines.append(
            t(
                "reminders.list_item",
                lang,
                n=number,
                title=title(reminder.text or ""),
                audience=audiences[reminder.audience_code],
                rule=describe_rule(reminder.rule, tz, lang),
                status=_status_line(reminder, context),
            )
        )
        icon = "⏸" if reminder.status is ReminderStatus.PAUSED else "⏰"
        rows.append(
            [
                (
                    f"{icon} {number}. {title(reminder.text or '', 30)}",
                    ManageReminderButton("v", reminder.id).pack(),
                )
            ]
        )
    if len(found) > LIST_LIMIT:
        more = format_count(len(found) - LIST_LIMIT, lang)
        lines.append(t("reminders.list_more", lang, count=more))
    rows.append([(t("reminders.new", lang), ManageReminderButton("new").pack())])
    await show(update, "\n".join(lines), keyboard(rows), edit=edit)


async def _show_detail(update: Update, context: BotContext, reminder: ReminderInfo) -> None:
    lang, tz = context.lang, context.settings.timezone
    with context.db.session() as session:
        audience = place(context, session, reminder.audience_code or "")
        history = reminders.occurrences_of(session, reminder.id)
    sent = [o for o in history if o.status == reminders.OccurrenceStatus.SENT]
    lines = [
        t("reminders.detail_title", lang),
        "",
        reminder.text or "",
        "",
        t("reminders.preview_audience_short", lang, audience=audience),
        t("reminders.preview_rule", lang, rule=describe_rule(reminder.rule, tz, lang)),
        _status_line(reminder, context),
    ]
    if sent:
        last = sent[-1]
        lines.append(
            t(
                "reminders.last_sent",
                lang,
                when=format_moment(last.due_at, tz, lang),
                count=format_count(last.recipients, lang),
            )
        )
    toggle = (
        (t("reminders.resume", lang), ManageReminderButton("r", reminder.id).pack())
        if reminder.status is ReminderStatus.PAUSED
        else (t("reminders.pause", lang), ManageReminderButton("p", reminder.id).pack())
    )
    markup = keyboard(
        [
            [toggle, (t("reminders.delete", lang), ManageReminderButton("x", reminder.id).pack())],
            [(t("reminders.back_to_list", lang), ManageReminderButton("l").pack())],
        ]
    )
    await show(update, "\n".join(lines), markup)


async def manage_button(update: Update, context: BotContext) -> None:
    """A list or detail button: view, pause, resume, delete (asked first) — each checked."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, update.effective_user.id)
    if not identity.is_privileged:
        await refuse(update, context)
        return
    try:
        button = ManageReminderButton.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, lang, error)
        return
    if button.action == "l":
        await query.answer()
        await _show_list(update, context, identity, edit=True)
        return
    with context.db.session() as session:
        reminder = reminders.get_reminder(session, button.reminder_id)
    if (
        reminder is None
        or reminder.kind is not reminders.ReminderKind.CUSTOM
        or reminder.status not in (ReminderStatus.ACTIVE, ReminderStatus.PAUSED)
    ):
        await query.answer(t("reminders.gone", lang), show_alert=True)
        await _show_list(update, context, identity, edit=True)
        return
    author = (
        identify(context.db, context.settings, reminder.owner_id) if reminder.owner_id else None
    )
    if not identity.may_act_on(reminder.audience_code or "") or (
        button.action != "v" and author is not None and not may_override(identity, author)
    ):
        await refuse(update, context)
        return
    await _act(update, context, identity, button.action, reminder)


async def _act(
    update: Update, context: BotContext, identity: Identity, action: str, reminder: ReminderInfo
) -> None:
    """Do what the button says to a reminder the presser may manage."""
    query = update.callback_query
    assert query is not None
    lang, actor = context.lang, identity.user_id
    if action == "v":
        await query.answer()
        await _show_detail(update, context, reminder)
    elif action == "p":
        with context.db.session() as session:
            changed = reminders.pause_reminder(session, reminder.id, actor, PauseReason.BY_USER)
        await query.answer(t("reminders.paused", lang))
        await _show_detail(update, context, changed or reminder)
    elif action == "r":
        with context.db.session() as session:
            result, changed = reminders.resume_reminder(
                session, reminder.id, actor, now(context), context.settings.timezone
            )
        if result is ResumeResult.PASSED:
            await query.answer(t("reminders.resume_passed", lang), show_alert=True)
            return
        await query.answer(t("reminders.resumed", lang))
        await _show_detail(update, context, changed or reminder)
    elif action == "x":
        await query.answer()
        markup = keyboard(
            [
                [
                    (
                        t("reminders.delete_yes", lang),
                        ManageReminderButton("xy", reminder.id).pack(),
                    ),
                    (t("reminders.cancel", lang), ManageReminderButton("v", reminder.id).pack()),
                ]
            ]
        )
        question = t("reminders.delete_confirm", lang, title=title(reminder.text or ""))
        await show(update, question, markup)
    else:
        assert action == "xy", action
        with context.db.session() as session:
            reminders.delete_reminder(session, reminder.id, actor)
        await query.answer(t("reminders.deleted", lang))
        await _show_list(update, context, identity, edit=True)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """`/pengingat` and the list's buttons (the form's entry, "new", is `conversation`'s)."""
    return [
        CommandHandler("pengingat", list_command),
        CallbackQueryHandler(
            manage_button, ManageReminderButton.pattern("l", "v", "p", "r", "x", "xy")
        ),
    ]
