"""The `/pengingat` form: the text, the audience, the schedule (`bot.reminders.schedule`), and
a preview with the next five times in forum time before anything is saved.

The audience is a region inside the writer's scope: a coordinator of several areas first
says which, then the shared region picker (`bot.forms.region_picker`) narrows it down, with
"Seluruh …" for the whole of what it shows; a kelurahan coordinator has nothing to pick.
Unlike `/umumkan` there is no institution filter and no "whole scope / choose inside"
question, so this is not `bot.forms.audience.AudienceSteps`: it shares the picker and the
audited refusal of a region outside the writer's scope (`audit_refusal`) instead.

The form runs on `bot.forms.Form`: the draft row and a persistent conversation survive a
restart, `/batal` ends it, an idle form expires, and writers who lost their right are stopped
at the next step.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import islice

from sqlmodel import Session
from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.auth import Identity, identify
from bot.callbacks import ManageReminderButton, ReminderFormButton
from bot.context import BotContext
from bot.delivery import quiet_until
from bot.forms import END, region_picker
from bot.forms.audience import audit_refusal
from bot.forms.region_picker import PickerState, StaleButton
from bot.i18n import t
from bot.moments import format_clock, format_count, format_moment, to_local
from bot.reminders import schedule
from bot.reminders.draft import FORM, ReminderDraft, Step, now, pressed, state
from bot.reminders.texts import describe_rule
from bot.ui import keyboard, show
from storage import outbox, reminders
from storage.recurrence import Rule, occurrences
from storage.regions import children, region_path_name
from storage.reminders import MAX_TEXT

__all__ = ["conversation", "place", "refuse"]

PREVIEW_COUNT = 5
TARGET_LEVEL = "village"


def place(context: BotContext, session: Session, code: str) -> str:
    """A region as people say it, without the forum area itself ("Kel. Api-Api, Kec. …")."""
    return region_path_name(session, code, below=context.settings.forum_area)


async def refuse(update: Update, context: BotContext) -> None:
    """Not a coordinator or official (any more): an alert on a button, else a message."""
    text = t("reminders.not_allowed", context.lang)
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
        return
    await show(update, text, edit=False)


# ---------------------------------------------------------------- the questions


@FORM.asks
async def prompt(
    update: Update, context: BotContext, draft: ReminderDraft, state: int, note: str = ""
) -> int:
    """Ask for `state` (again); `note` first says why we ask again."""
    lang = context.lang
    markup = None
    if state == Step.TEXT:
        text = t("reminders.ask_text", lang)
    elif state == Step.SCOPE:
        identity = identify(context.db, context.settings, _user_id(update))
        with context.db.session() as session:
            names = [place(context, session, scope) for scope in identity.scopes]
        text = t("reminders.ask_scope", lang)
        markup = keyboard(
            [[(name, ReminderFormButton("s", index=i).pack())] for i, name in enumerate(names)]
        )
    elif state == Step.AUDIENCE:
        return await _show_picker(update, context, draft, note=note, edit=False)
    elif state == Step.PREVIEW:
        return await _show_preview(update, context, draft, note=note)
    else:
        text, markup = schedule.question(context, Step(state))
    await show(update, f"{note}\n\n{text}" if note else text, markup, edit=False)
    return state


def _user_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


# ---------------------------------------------------------------- entry and the text


async def new_form(update: Update, context: BotContext) -> int:
    """ "➕ New reminder" (from the /pengingat list): a fresh form."""
    identity = identify(context.db, context.settings, _user_id(update))
    if not identity.is_privileged:
        await refuse(update, context)
        return END
    if update.callback_query:
        await update.callback_query.answer()
    draft = ReminderDraft()
    FORM.save(context, identity.user_id, draft)
    return await prompt(update, context, draft, Step.TEXT)


@FORM.step
async def on_text(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    message = update.message
    assert message is not None and message.text is not None
    if len(message.text) > MAX_TEXT:
        length = format_count(len(message.text), context.lang)
        limit = format_count(MAX_TEXT, context.lang)
        note = t("reminders.too_long", context.lang, limit=limit, length=length)
        return await prompt(update, context, draft, Step.TEXT, note)
    draft.text = message.text_html
    return await _ask_audience(update, context, draft, identity)


# ---------------------------------------------------------------- the audience


async def _ask_audience(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    if len(identity.scopes) > 1:
        return await prompt(update, context, draft, Step.SCOPE)
    return await _open_picker(update, context, draft, identity, identity.scopes[0])


async def _open_picker(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity, root: str
) -> int:
    with context.db.session() as session:
        if not children(session, root):  # a kelurahan coordinator: nothing to pick
            return await _audience_chosen(update, context, draft, identity, root)
        state = region_picker.start(session, root, TARGET_LEVEL)
    draft.picker = state.to_dict()
    return await _show_picker(update, context, draft, edit=False)


async def _show_picker(
    update: Update, context: BotContext, draft: ReminderDraft, *, note: str = "", edit: bool
) -> int:
    assert draft.picker is not None
    identity = identify(context.db, context.settings, _user_id(update))
    with context.db.session() as session:
        text, markup, _ = region_picker.render(
            session,
            PickerState.from_dict(draft.picker),
            prefix=ReminderFormButton.PREFIX,
            lang=context.lang,
            title=t("reminders.ask_audience", context.lang),
            allow_pick_node=True,
            back_exits=len(identity.scopes) > 1,  # back to "which area?"
        )
    await show(update, f"{note}\n\n{text}" if note else text, markup, edit=edit)
    return Step.AUDIENCE


async def _audience_chosen(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity, code: str
) -> int:
    if not identity.may_act_on(code):  # never trust the keyboard
        await audit_refusal(update, context, "reminder.refused")
        return await _ask_audience(update, context, draft, identity)
    draft.audience = code
    draft.picker = None
    with context.db.session() as session:
        name = place(context, session, code)
    await show(update, t("reminders.audience_chosen", context.lang, audience=name))
    return await prompt(update, context, draft, Step.KIND)


@FORM.step
async def on_scope(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    button = await pressed(update, context)
    if button is None:
        return await prompt(update, context, draft, Step.SCOPE)
    if button.index >= len(identity.scopes):
        await query.answer(t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.SCOPE)
    await query.answer()
    return await _open_picker(update, context, draft, identity, identity.scopes[button.index])


@FORM.step
async def on_picker_button(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    button = await pressed(update, context)
    if button is None:
        return Step.AUDIENCE
    query = update.callback_query
    assert query is not None
    if not draft.picker:
        await query.answer(t("common.stale_button", context.lang))
        return await _ask_audience(update, context, draft, identity)
    arg = str(button.page) if button.action == "p" else button.code
    try:
        with context.db.session() as session:
            outcome = region_picker.apply_callback(
                session, PickerState.from_dict(draft.picker), button.action, arg, TARGET_LEVEL
            )
    except StaleButton:
        await query.answer(t("common.stale_button", context.lang))
        return await _show_picker(update, context, draft, edit=False)
    await query.answer()
    if outcome.picked:
        return await _audience_chosen(update, context, draft, identity, outcome.picked)
    if outcome.exited:
        draft.picker = None
        return await _ask_audience(update, context, draft, identity)
    draft.picker = outcome.state.to_dict()
    return await _show_picker(update, context, draft, edit=True)


@FORM.step
async def on_picker_text(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    assert update.message is not None
    if not draft.picker:
        return await _ask_audience(update, context, draft, identity)
    state = PickerState.from_dict(draft.picker)
    draft.picker = region_picker.apply_filter(state, update.message.text or "").to_dict()
    return await _show_picker(update, context, draft, edit=False)


# ---------------------------------------------------------------- preview and save


def _preview_text(context: BotContext, draft: ReminderDraft, rule: Rule) -> str:
    lang, tz = context.lang, context.settings.timezone
    upcoming = list(islice(occurrences(rule, now(context), tz), PREVIEW_COUNT))
    assert draft.audience is not None
    with context.db.session() as session:
        audience = place(context, session, draft.audience)
        reach = outbox.audience_counts(session, [draft.audience]).eligible
    count = format_count(reach, lang)
    lines = [
        t("reminders.preview_title", lang),
        "",
        draft.text,
        "",
        t("reminders.preview_audience", lang, audience=audience, count=count),
        t("reminders.preview_rule", lang, rule=describe_rule(rule, tz, lang)),
        "",
        t("reminders.preview_next" if rule.repeats else "reminders.preview_once", lang),
    ]
    lines += [f"• {format_moment(moment, tz, lang)}" for moment in upcoming]
    held_until = quiet_until(context.settings, upcoming[0]) if upcoming else None
    if held_until is not None:  # the delivery engine will hold it: say so now
        until = format_clock(to_local(held_until, tz), lang)
        lines += ["", t("reminders.quiet_hours", lang, until=until)]
    return "\n".join(lines)


async def _show_preview(
    update: Update, context: BotContext, draft: ReminderDraft, *, note: str = ""
) -> int:
    rule = draft.rule()
    assert rule is not None
    lang = context.lang
    text = _preview_text(context, draft, rule)
    markup = keyboard(
        [
            [(t("reminders.save", lang), ReminderFormButton("ok").pack())],
            [
                (t("reminders.change_schedule", lang), ReminderFormButton("re").pack()),
                (t("reminders.cancel", lang), ReminderFormButton("no").pack()),
            ],
        ]
    )
    await show(update, f"{note}\n\n{text}" if note else text, markup, edit=False)
    return Step.PREVIEW


@FORM.step
async def on_preview(
    update: Update, context: BotContext, draft: ReminderDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    lang = context.lang
    button = await pressed(update, context)
    if button is None:
        return await prompt(update, context, draft, Step.PREVIEW)
    await query.answer()
    if button.action == "re":
        draft.clear_schedule()
        await show(update, t("reminders.changing_schedule", lang))
        return await prompt(update, context, draft, Step.KIND)
    if button.action == "no":
        FORM.drop(context, identity.user_id)
        await show(update, t("reminders.cancelled", lang))
        return END
    rule = draft.rule()
    if rule is None or not draft.text or not draft.audience:
        # Only a hand-made draft gets here; ask again from the start.
        return await prompt(update, context, draft, Step.TEXT)
    if not identity.may_act_on(draft.audience):
        FORM.drop(context, identity.user_id)
        await refuse(update, context)
        return END
    with context.db.session() as session:
        saved = reminders.create_reminder(
            session,
            owner_id=identity.user_id,
            text=draft.text,
            audience_code=draft.audience,
            rule=rule,
            now=now(context),
            tz=context.settings.timezone,
        )
    if saved is None or saved.next_at is None:  # a one-time moment went by at the preview
        return await schedule.ask_date_again(update, context, draft)
    FORM.drop(context, identity.user_id)
    when = format_moment(saved.next_at, context.settings.timezone, lang)
    await show(update, t("reminders.saved", lang, next=when))
    return END


# ---------------------------------------------------------------- the conversation


def conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
    """The persistent `/pengingat` form, entered by the list's "➕ New reminder"."""
    text = filters.TEXT & ~filters.COMMAND
    button = ReminderFormButton.pattern

    use_buttons = "form.use_buttons"
    return FORM.conversation(
        entry_points=[CallbackQueryHandler(new_form, ManageReminderButton.pattern("new"))],
        states={
            Step.TEXT: state(Step.TEXT, "reminders.need_text", MessageHandler(text, on_text)),
            Step.SCOPE: state(Step.SCOPE, use_buttons, CallbackQueryHandler(on_scope, button("s"))),
            Step.AUDIENCE: state(
                Step.AUDIENCE,
                use_buttons,
                CallbackQueryHandler(on_picker_button, button("r", "p", "b", "a")),
                MessageHandler(text, on_picker_text),
            ),
            **schedule.states(),
            Step.PREVIEW: state(
                Step.PREVIEW,
                use_buttons,
                CallbackQueryHandler(on_preview, button("ok", "re", "no")),
            ),
        },
        timeout=timeout,
    )
