"""Cadre registration: consent → name → phone → region → institution → summary → saved.

A `bot.forms.Form`: the answers live in a `draft` row, the step in PTB's persisted
conversation state, so a restart mid-registration resumes at the same step. Every step
re-prompts politely on the wrong kind of input, `/start` re-asks the current step, and
`/batal` cancels at any point.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import groups
from bot.auth import Identity
from bot.callbacks import (
    PICKER_LAYOUT,
    ForgedCallback,
    ProfileButton,
    RegistrationButton,
    refuse_forged,
)
from bot.consent import consent_text
from bot.context import BotContext
from bot.forms import END, Draft, Form, chat_of, region_picker
from bot.forms.region_picker import PickerState, StaleButton
from bot.home import send_main_menu
from bot.i18n import t
from bot.ui import keyboard, show
from bot.validation import clean_label, normalise_phone, valid_name
from bot.vocabulary import INSTITUTIONS, OTHER_INSTITUTION, institution_label, parse_region_code
from storage import people
from storage.regions import get_region, in_scope, region_path_name

__all__ = ["RegistrationDraft", "Step", "conversation", "sweep_expired"]


class Step(IntEnum):
    CONSENT = 1
    NAME = 2
    PHONE = 3
    REGION = 4
    INSTITUTION = 5
    INSTITUTION_OTHER = 6
    CONFIRM = 7


# The fields the summary's "Ubah" offers, and the step that asks each.
FIELDS = {
    "name": Step.NAME,
    "phone": Step.PHONE,
    "region": Step.REGION,
    "institution": Step.INSTITUTION,
}


@dataclasses.dataclass
class RegistrationDraft(Draft):
    """A registration (`mode="new"`) or a change of the saved profile (`mode="edit"`)."""

    mode: str = "new"
    consent: bool = False
    name: str | None = None
    phone: str | None = None
    area: str | None = None  # where the region picker opens (a deep link's area)
    village: str | None = None
    institution: str | None = None
    institution_other: str | None = None
    picker: dict[str, Any] | None = None

    def missing_step(self) -> Step | None:
        """The first step whose answer is missing (name, phone, kelurahan, institution)."""
        for done, state in (
            (self.name, Step.NAME),
            (self.phone, Step.PHONE),
            (self.village, Step.REGION),
            (self.institution, Step.INSTITUTION),
        ):
            if not done:
                return state
        return None

    def first_open_step(self) -> Step:
        """The step to resume at when only the draft is known (its conversation state is not)."""
        if self.back_to_summary:
            return Step.CONFIRM
        if not self.consent:
            return Step.CONSENT
        missing = self.missing_step()
        if missing is not None:
            return missing
        if self.institution == "lainnya" and not self.institution_other:
            return Step.INSTITUTION_OTHER
        return Step.CONFIRM


FORM = Form(
    "registration", RegistrationDraft, keys="reg", summary=Step.CONFIRM, remove_keyboard=True
)


async def _answer(update: Update, text: str | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer(text)


# ---------------------------------------------------------------- prompts


@FORM.asks
async def prompt(
    update: Update, context: BotContext, draft: RegistrationDraft, state: int, note: str = ""
) -> int:
    """Ask for the given step (again). `note` is a short line shown first (why we ask again)."""
    state = Step(state)
    lang = context.lang
    prefix = f"{note}\n\n" if note else ""
    chat = chat_of(update)
    if state is Step.CONSENT:
        await show(
            update,
            prefix + consent_text(context.settings, lang),
            keyboard(
                [
                    [(t("reg.consent_yes", lang), RegistrationButton("c", answer="y").pack())],
                    [(t("reg.consent_no", lang), RegistrationButton("c", answer="n").pack())],
                ]
            ),
            edit=False,
        )
    elif state is Step.NAME:
        await chat.send_message(
            prefix + t("reg.ask_name", lang), reply_markup=ReplyKeyboardRemove()
        )
    elif state is Step.PHONE:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(t("reg.share_contact", lang), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder="08xxxxxxxxxx",
        )
        await chat.send_message(prefix + t("reg.ask_phone", lang), reply_markup=markup)
    elif state is Step.REGION:
        await _show_picker(update, context, draft, note=note, edit=False)
    elif state is Step.INSTITUTION:
        rows = [
            [
                (institution_label(a, None, lang), RegistrationButton("i", institution=a).pack()),
                (institution_label(b, None, lang), RegistrationButton("i", institution=b).pack()),
            ]
            for a, b in zip(INSTITUTIONS[::2], INSTITUTIONS[1::2], strict=True)
        ]
        await show(update, prefix + t("reg.ask_institution", lang), keyboard(rows), edit=False)
    elif state is Step.INSTITUTION_OTHER:
        await chat.send_message(prefix + t("reg.ask_institution_other", lang))
    elif state is Step.CONFIRM:
        await _show_summary(update, context, draft, note=note, edit=False)
    return state


def _picker_state(context: BotContext, draft: RegistrationDraft) -> PickerState:
    if draft.picker:
        return PickerState.from_dict(draft.picker)
    with context.db.session() as session:
        state = region_picker.start(session, context.settings.forum_area, "village", draft.area)
    draft.picker = state.to_dict()
    return state


async def _show_picker(
    update: Update,
    context: BotContext,
    draft: RegistrationDraft,
    *,
    note: str = "",
    edit: bool = True,
) -> bool:
    state = _picker_state(context, draft)
    with context.db.session() as session:
        text, markup, matched = region_picker.render(
            session,
            state,
            prefix=RegistrationButton.PREFIX,
            lang=context.lang,
            title=t("reg.ask_region", context.lang),
        )
    if note:
        text = f"{note}\n\n{text}"
    await show(update, text, markup, edit=edit)
    return matched


async def _show_summary(
    update: Update,
    context: BotContext,
    draft: RegistrationDraft,
    *,
    note: str = "",
    edit: bool = True,
) -> None:
    lang = context.lang
    assert draft.village is not None and draft.institution is not None  # the summary comes last
    with context.db.session() as session:
        region = region_path_name(session, draft.village)
    body = t(
        "reg.summary",
        lang,
        name=draft.name,
        phone=draft.phone,
        region=region,
        institution=institution_label(draft.institution, draft.institution_other, lang),
    )
    title = t("reg.summary_title_edit" if draft.mode == "edit" else "reg.summary_title", lang)
    text = f"{note}\n\n{title}\n\n{body}" if note else f"{title}\n\n{body}"
    save, change = RegistrationButton("ok").pack(), RegistrationButton("edit").pack()
    markup = keyboard([[(t("reg.save", lang), save), (t("reg.change", lang), change)]])
    await show(update, text, markup, edit=edit)


# ---------------------------------------------------------------- entry points


async def start(update: Update, context: BotContext) -> int:
    """`/start [area]`: the main menu for cadres, or a new registration (opened at the deep
    link's area, if any). Invitations (`/start inv_…`) have their own handler, before this."""
    user = update.effective_user
    assert user is not None and update.message is not None
    payload = context.args[0] if context.args else ""
    with context.db.session() as session:
        cadre = people.get_cadre(session, user.id)
    if cadre is not None:
        await send_main_menu(
            update, context, greeting=t("reg.welcome_back", context.lang, name=cadre.full_name)
        )
        return END

    loaded = FORM.load(context, user.id)
    if loaded is not None and not loaded[1]:
        draft = loaded[0]
        state = draft.first_open_step()
        return await prompt(update, context, draft, state, note=t("reg.resume", context.lang))

    draft = RegistrationDraft(mode="new")
    area = parse_region_code(payload) if payload else None
    if area:
        with context.db.session() as session:
            region = get_region(session, area)
        if region is not None and in_scope(area, context.settings.forum_area):
            draft.area = area
            if region.level == "village":
                draft.village = area
    FORM.save(context, user.id, draft)
    await chat_of(update).send_message(t("reg.welcome", context.lang, first_name=user.first_name))
    return await prompt(update, context, draft, Step.CONSENT)


async def edit_profile(update: Update, context: BotContext) -> int:
    """Entry from /profil's "Ubah" button: the form pre-filled with the saved profile."""
    user = update.effective_user
    assert user is not None
    await _answer(update)
    with context.db.session() as session:
        cadre = people.get_cadre(session, user.id)
    if cadre is None:
        await chat_of(update).send_message(t("profile.not_registered", context.lang))
        return END
    draft = RegistrationDraft(
        mode="edit",
        name=cadre.full_name,
        phone=cadre.phone,
        village=cadre.village_code,
        area=cadre.village_code.rpartition(".")[0],
        institution=cadre.institution,
        institution_other=cadre.institution_other,
        back_to_summary=True,
    )
    FORM.save(context, user.id, draft)
    await _show_fields(update, context)
    return Step.CONFIRM


# ---------------------------------------------------------------- steps


@FORM.step
async def on_consent(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    assert update.callback_query is not None
    try:
        answer = RegistrationButton.unpack(update.callback_query.data).answer
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return Step.CONSENT
    if answer not in ("y", "n"):
        await refuse_forged(update, context.lang)
        return Step.CONSENT
    await _answer(update)
    if answer == "n":
        FORM.drop(context, identity.user_id)
        await show(update, t("reg.consent_refused", context.lang))
        return END
    draft.consent = True
    await show(update, t("reg.consent_given", context.lang))
    return await FORM.proceed(update, context, draft, Step.NAME)


@FORM.step
async def on_name(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    assert update.message is not None
    name = valid_name(update.message.text or "")
    if name is None:
        return await prompt(update, context, draft, Step.NAME, note=t("reg.bad_name", context.lang))
    draft.name = name
    return await FORM.proceed(update, context, draft, Step.PHONE)


async def _after_phone(
    update: Update, context: BotContext, draft: RegistrationDraft, phone: str
) -> int:
    draft.phone = phone
    await chat_of(update).send_message(
        t("reg.phone_saved", context.lang, phone=phone), reply_markup=ReplyKeyboardRemove()
    )
    if draft.village and not draft.back_to_summary:
        # A deep link named the kelurahan already; it can still be changed at the summary.
        return await prompt(update, context, draft, Step.INSTITUTION)
    return await FORM.proceed(update, context, draft, Step.REGION)


@FORM.step
async def on_contact(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    assert update.message is not None and update.message.contact is not None
    contact = update.message.contact
    user = update.effective_user
    if user is None or contact.user_id != user.id:  # the button always shares one's own
        return await prompt(
            update, context, draft, Step.PHONE, note=t("reg.not_own_contact", context.lang)
        )
    phone = normalise_phone(contact.phone_number)
    if phone is None:
        return await prompt(
            update, context, draft, Step.PHONE, note=t("reg.bad_phone", context.lang)
        )
    return await _after_phone(update, context, draft, phone)


@FORM.step
async def on_phone_text(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    assert update.message is not None
    phone = normalise_phone(update.message.text or "")
    if phone is None:
        return await prompt(
            update, context, draft, Step.PHONE, note=t("reg.bad_phone", context.lang)
        )
    return await _after_phone(update, context, draft, phone)


@FORM.step
async def on_region_button(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    state = _picker_state(context, draft)
    try:
        button = RegistrationButton.unpack(query.data)
        arg = str(button.page) if button.action == "p" else button.code
        with context.db.session() as session:
            outcome = region_picker.apply_callback(session, state, button.action, arg, "village")
    except (ForgedCallback, StaleButton):
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.REGION)
    await _answer(update)
    if outcome.exited:
        draft.picker = None
        return await prompt(update, context, draft, Step.PHONE)
    if outcome.picked:
        draft.village = outcome.picked
        draft.picker = None
        with context.db.session() as session:
            path = region_path_name(session, outcome.picked)
        await show(update, t("reg.region_saved", context.lang, region=path))
        return await FORM.proceed(update, context, draft, Step.INSTITUTION)
    draft.picker = outcome.state.to_dict()
    await _show_picker(update, context, draft)
    return Step.REGION


@FORM.step
async def on_region_text(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    assert update.message is not None
    state = region_picker.apply_filter(_picker_state(context, draft), update.message.text or "")
    draft.picker = state.to_dict()
    await _show_picker(update, context, draft, edit=False)
    return Step.REGION


@FORM.step
async def on_institution(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    try:
        code = RegistrationButton.unpack(query.data).institution
    except ForgedCallback:
        code = ""
    if code not in INSTITUTIONS:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.INSTITUTION)
    await _answer(update)
    draft.institution = code
    chosen = institution_label(code, None, context.lang)
    await show(update, t("reg.institution_chosen", context.lang, institution=chosen))
    if code == OTHER_INSTITUTION:
        return await prompt(update, context, draft, Step.INSTITUTION_OTHER)
    draft.institution_other = None
    return await prompt(update, context, draft, Step.CONFIRM)


@FORM.step
async def on_institution_other(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    assert update.message is not None
    label = clean_label(update.message.text or "")
    if label is None:
        return await prompt(
            update,
            context,
            draft,
            Step.INSTITUTION_OTHER,
            note=t("reg.bad_institution", context.lang),
        )
    draft.institution_other = label
    return await prompt(update, context, draft, Step.CONFIRM)


async def _show_fields(update: Update, context: BotContext) -> None:
    lang = context.lang
    rows = [[(t(f"reg.field.{f}", lang), RegistrationButton("f", field=f).pack())] for f in FIELDS]
    rows.append([(t("reg.field.done", lang), RegistrationButton("f", field="done").pack())])
    await show(update, t("reg.which_field", lang), keyboard(rows))


@FORM.step
async def on_confirm(
    update: Update, context: BotContext, draft: RegistrationDraft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None
    user = update.effective_user
    assert user is not None
    lang = context.lang
    try:
        button = RegistrationButton.unpack(query.data)
    except ForgedCallback:
        button = None
    if button is not None and button.action == "edit":
        await _answer(update)
        await _show_fields(update, context)
        return Step.CONFIRM
    if button is not None and button.action == "f":
        field = button.field
        await _answer(update)
        if field == "done":
            await _show_summary(update, context, draft)
            return Step.CONFIRM
        if field not in FIELDS:
            return await prompt(update, context, draft, Step.CONFIRM)
        await show(update, t("reg.changing", lang, field=t(f"reg.field.{field}", lang)))
        if field == "region":
            draft.picker = None
            draft.area = context.settings.forum_area
        return await FORM.change(update, context, draft, FIELDS[field])
    if button is None or button.action != "ok":
        await _answer(update, t("common.stale_button", lang))
        return await prompt(update, context, draft, Step.CONFIRM)
    missing = draft.missing_step()
    name, phone, village, institution = draft.name, draft.phone, draft.village, draft.institution
    if missing is not None or not (name and phone and village and institution):
        # Only a hand-crafted draft can get here; ask for what is missing.
        await _answer(update)
        return await prompt(update, context, draft, missing or Step.NAME)
    await _answer(update)
    with context.db.session() as session:
        region = get_region(session, village)
        if region is None or not in_scope(region.code, context.settings.forum_area):
            draft.village = None
            return await prompt(update, context, draft, Step.REGION, note=t("reg.bad_region", lang))
        previous = people.get_cadre(session, user.id)
        _, created = people.save_cadre(
            session,
            user.id,
            full_name=name,
            phone=phone,
            village_code=village,
            institution=institution,
            institution_other=draft.institution_other,
        )
        people.delete_draft(session, user.id, FORM.kind)
    await show(update, t("reg.saved" if created else "profile.updated", lang))
    await send_main_menu(update, context)
    await _after_saved(context, user.id, village, previous.village_code if previous else None)
    return END


async def _after_saved(context: BotContext, user_id: int, village: str, before: str | None) -> None:
    """Linked groups: the link of the cadre's group, and out of the old area's after a move."""
    await groups.offer_group(context, user_id, village, before, created=before is None)
    if before is not None and before != village:
        leaving = groups.candidates(context.db, user_id, before)
        await groups.remove_where_not_belonging(context, user_id, leaving)


# Runs every minute (see `bot.app`): tells users whose form expired while the bot was down.
sweep_expired = FORM.sweep_expired


def conversation(conversation_timeout: timedelta) -> ConversationHandler[BotContext]:
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND
    # Stale or forged buttons of this form re-prompt; other features' buttons (a language
    # switch, a training RSVP) pass through to their own handlers.
    ours = RegistrationButton.pattern()

    def wrong_input(state: Step, note_key: str) -> list[Any]:
        again = FORM.reprompt(state, note_key)
        return [MessageHandler(anything, again), CallbackQueryHandler(again, pattern=ours)]

    return FORM.conversation(
        entry_points=[
            CommandHandler("start", start),
            CallbackQueryHandler(edit_profile, pattern=ProfileButton.pattern("edit")),
        ],
        states={
            Step.CONSENT: [
                CallbackQueryHandler(on_consent, pattern=RegistrationButton.pattern("c")),
                *wrong_input(Step.CONSENT, "reg.use_buttons"),
            ],
            Step.NAME: [
                MessageHandler(text, on_name),
                *wrong_input(Step.NAME, "reg.need_text_name"),
            ],
            Step.PHONE: [
                MessageHandler(filters.CONTACT, on_contact),
                MessageHandler(text, on_phone_text),
                *wrong_input(Step.PHONE, "reg.need_phone"),
            ],
            Step.REGION: [
                CallbackQueryHandler(
                    on_region_button, pattern=RegistrationButton.pattern(*PICKER_LAYOUT)
                ),
                MessageHandler(text, on_region_text),
                *wrong_input(Step.REGION, "reg.use_buttons"),
            ],
            Step.INSTITUTION: [
                CallbackQueryHandler(on_institution, pattern=RegistrationButton.pattern("i")),
                *wrong_input(Step.INSTITUTION, "reg.use_buttons"),
            ],
            Step.INSTITUTION_OTHER: [
                MessageHandler(text, on_institution_other),
                *wrong_input(Step.INSTITUTION_OTHER, "reg.need_text_institution"),
            ],
            Step.CONFIRM: [
                CallbackQueryHandler(
                    on_confirm, pattern=RegistrationButton.pattern("ok", "edit", "f")
                ),
                *wrong_input(Step.CONFIRM, "reg.use_buttons"),
            ],
        },
        timeout=conversation_timeout,
        resume="start",
        allow_reentry=False,
    )
