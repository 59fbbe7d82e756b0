"""Cadre registration: consent → name → phone → region → institution → summary → saved.

The form lives in a `draft` row (domain data in tables) and the conversation state in our
database persistence, so a restart mid-registration resumes at the same step. Every step
re-prompts politely on the wrong kind of input, and `/batal` cancels at any point.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import IntEnum

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import region_picker
from bot.context import BotContext
from bot.drafts import Draft, DraftStore
from bot.home import send_main_menu
from bot.i18n import t
from bot.region_picker import PickerState, StaleButton
from bot.ui import keyboard, show
from bot.validation import clean_label, normalise_phone, valid_name
from bot.vocabulary import INSTITUTIONS, institution_label
from storage import people
from storage.models import utcnow
from storage.regions import get_region, in_scope, region_path_name

__all__ = ["Step", "conversation", "parse_area_payload"]

DRAFT = "registration"
FIELDS = ("name", "phone", "region", "institution")
END = ConversationHandler.END


class Step(IntEnum):
    CONSENT = 1
    NAME = 2
    PHONE = 3
    REGION = 4
    INSTITUTION = 5
    INSTITUTION_OTHER = 6
    CONFIRM = 7


StepHandler = Callable[[Update, BotContext, Draft], Awaitable[int]]


def parse_area_payload(payload: str) -> str | None:
    """A deep-link start parameter (`64_74_03`) as a region code (`64.74.03`), if it is one."""
    code = payload.strip().replace("_", ".")
    parts = code.split(".")
    if not parts or not all(p.isdigit() for p in parts) or len(parts) > 4:
        return None
    return code


# ---------------------------------------------------------------- draft plumbing


_drafts = DraftStore(DRAFT)
_load = _drafts.load
_save = _drafts.save
_drop = _drafts.drop


def step(fn: StepHandler) -> Callable[[Update, BotContext], Awaitable[int]]:
    """Load the draft, end expired or vanished forms with a message, save after the step."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: BotContext) -> int:
        user = update.effective_user
        assert user is not None
        loaded = _load(context, user.id)
        if loaded is None or loaded[1]:
            if update.callback_query:
                await update.callback_query.answer()
            _drop(context, user.id)
            await _chat(update).send_message(
                t("reg.expired", context.lang), reply_markup=ReplyKeyboardRemove()
            )
            return END
        draft = loaded[0]
        state = await fn(update, context, draft)
        if state != END:
            draft["step"] = int(state)
            _save(context, user.id, draft)
        return state

    return wrapper


def _chat(update: Update):  # type: ignore[no-untyped-def]
    assert update.effective_chat is not None
    return update.effective_chat


async def _answer(update: Update, text: str | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer(text)


# ---------------------------------------------------------------- prompts


async def prompt(
    update: Update, context: BotContext, draft: Draft, state: Step, note: str = ""
) -> int:
    """Ask for the given step (again). `note` is a short line shown first (why we ask again)."""
    lang = context.lang
    prefix = f"{note}\n\n" if note else ""
    chat = _chat(update)
    if state is Step.CONSENT:
        await show(
            update,
            prefix + t("reg.consent", lang),
            keyboard(
                [
                    [(t("reg.consent_yes", lang), "reg:c:y")],
                    [(t("reg.consent_no", lang), "reg:c:n")],
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
                (t(f"institution.{a}", lang), f"reg:i:{a}"),
                (t(f"institution.{b}", lang), f"reg:i:{b}"),
            ]
            for a, b in zip(INSTITUTIONS[::2], INSTITUTIONS[1::2], strict=True)
        ]
        await show(update, prefix + t("reg.ask_institution", lang), keyboard(rows), edit=False)
    elif state is Step.INSTITUTION_OTHER:
        await chat.send_message(prefix + t("reg.ask_institution_other", lang))
    elif state is Step.CONFIRM:
        await _show_summary(update, context, draft, note=note, edit=False)
    return state


def _picker_state(context: BotContext, draft: Draft) -> PickerState:
    if draft.get("picker"):
        return PickerState.from_dict(draft["picker"])
    with context.db.session() as session:
        state = region_picker.start(
            session, context.settings.forum_area, "village", draft.get("area")
        )
    draft["picker"] = state.to_dict()
    return state


async def _show_picker(
    update: Update, context: BotContext, draft: Draft, *, note: str = "", edit: bool = True
) -> bool:
    state = _picker_state(context, draft)
    with context.db.session() as session:
        text, markup, matched = region_picker.render(
            session, state, prefix="reg", lang=context.lang, title=t("reg.ask_region", context.lang)
        )
    if note:
        text = f"{note}\n\n{text}"
    await show(update, text, markup, edit=edit)  # type: ignore[arg-type]
    return matched


async def _show_summary(
    update: Update, context: BotContext, draft: Draft, *, note: str = "", edit: bool = True
) -> None:
    lang = context.lang
    with context.db.session() as session:
        region = region_path_name(session, draft["village"])
    body = t(
        "reg.summary",
        lang,
        name=draft["name"],
        phone=draft["phone"],
        region=region,
        institution=institution_label(draft["institution"], draft.get("institution_other"), lang),
    )
    title = t(
        "reg.summary_title_edit" if draft.get("mode") == "edit" else "reg.summary_title", lang
    )
    text = f"{note}\n\n{title}\n\n{body}" if note else f"{title}\n\n{body}"
    markup = keyboard([[(t("reg.save", lang), "reg:ok"), (t("reg.change", lang), "reg:edit")]])
    await show(update, text, markup, edit=edit)


async def _next(update: Update, context: BotContext, draft: Draft, default: Step) -> int:
    """After a step: back to the summary when changing one field, else on to `default`."""
    if draft.get("back_to_confirm"):
        return await prompt(update, context, draft, Step.CONFIRM)
    return await prompt(update, context, draft, default)


# ---------------------------------------------------------------- entry points


async def start(update: Update, context: BotContext) -> int:
    """`/start [payload]`: invites, the main menu for cadres, or a new registration."""
    user = update.effective_user
    assert user is not None and update.message is not None
    payload = context.args[0] if context.args else ""
    if payload.startswith("inv_"):
        from bot.roles import redeem_invite

        await redeem_invite(update, context, payload[4:])
        return END
    with context.db.session() as session:
        cadre = people.get_cadre(session, user.id)
    if cadre is not None:
        await send_main_menu(
            update, context, greeting=t("reg.welcome_back", context.lang, name=cadre.full_name)
        )
        return END

    loaded = _load(context, user.id)
    if loaded is not None and not loaded[1]:
        draft = loaded[0]
        state = Step(draft.get("step", Step.CONSENT))
        await prompt(update, context, draft, state, note=t("reg.resume", context.lang))
        return state

    draft: Draft = {"mode": "new"}
    area = parse_area_payload(payload) if payload else None
    if area:
        with context.db.session() as session:
            region = get_region(session, area)
        if region is not None and in_scope(area, context.settings.forum_area):
            draft["area"] = area
            if region.level == "village":
                draft["village"] = area
    draft["step"] = int(Step.CONSENT)
    _save(context, user.id, draft)
    await _chat(update).send_message(t("reg.welcome", context.lang, first_name=user.first_name))
    return await prompt(update, context, draft, Step.CONSENT)


async def edit_profile(update: Update, context: BotContext) -> int:
    """Entry from /profil's "Ubah" button: the form pre-filled with the saved profile."""
    user = update.effective_user
    assert user is not None
    await _answer(update)
    with context.db.session() as session:
        cadre = people.get_cadre(session, user.id)
    if cadre is None:
        await _chat(update).send_message(t("profile.not_registered", context.lang))
        return END
    draft: Draft = {
        "mode": "edit",
        "name": cadre.full_name,
        "phone": cadre.phone,
        "village": cadre.village_code,
        "area": cadre.village_code.rpartition(".")[0],
        "institution": cadre.institution,
        "institution_other": cadre.institution_other,
        "back_to_confirm": True,
        "step": int(Step.CONFIRM),
    }
    _save(context, user.id, draft)
    await _show_fields(update, context)
    return Step.CONFIRM


# ---------------------------------------------------------------- steps


@step
async def on_consent(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.callback_query is not None
    await _answer(update)
    if update.callback_query.data == "reg:c:n":
        _drop(context, update.effective_user.id)  # type: ignore[union-attr]
        await show(update, t("reg.consent_refused", context.lang))
        return END
    draft["consent"] = True
    await show(update, t("reg.consent_given", context.lang))
    return await _next(update, context, draft, Step.NAME)


@step
async def on_name(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    name = valid_name(update.message.text or "")
    if name is None:
        return await prompt(update, context, draft, Step.NAME, note=t("reg.bad_name", context.lang))
    draft["name"] = name
    return await _next(update, context, draft, Step.PHONE)


async def _after_phone(update: Update, context: BotContext, draft: Draft, phone: str) -> int:
    draft["phone"] = phone
    await _chat(update).send_message(
        t("reg.phone_saved", context.lang, phone=phone), reply_markup=ReplyKeyboardRemove()
    )
    if draft.get("village") and not draft.get("back_to_confirm"):
        # A deep link named the kelurahan already; it can still be changed at the summary.
        return await prompt(update, context, draft, Step.INSTITUTION)
    return await _next(update, context, draft, Step.REGION)


@step
async def on_contact(update: Update, context: BotContext, draft: Draft) -> int:
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


@step
async def on_phone_text(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    phone = normalise_phone(update.message.text or "")
    if phone is None:
        return await prompt(
            update, context, draft, Step.PHONE, note=t("reg.bad_phone", context.lang)
        )
    return await _after_phone(update, context, draft, phone)


@step
async def on_region_button(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, arg = ([*query.data.split(":", 2), "", ""])[:3]
    state = _picker_state(context, draft)
    try:
        with context.db.session() as session:
            outcome = region_picker.apply_callback(session, state, action, arg, "village")
    except StaleButton:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.REGION)
    await _answer(update)
    if outcome.exited:
        draft.pop("picker", None)
        return await prompt(update, context, draft, Step.PHONE)
    if outcome.picked:
        draft["village"] = outcome.picked
        draft.pop("picker", None)
        with context.db.session() as session:
            path = region_path_name(session, outcome.picked)
        await show(update, t("reg.region_saved", context.lang, region=path))
        return await _next(update, context, draft, Step.INSTITUTION)
    draft["picker"] = outcome.state.to_dict()
    await _show_picker(update, context, draft)
    return Step.REGION


@step
async def on_region_text(update: Update, context: BotContext, draft: Draft) -> int:
    assert update.message is not None
    state = region_picker.apply_filter(_picker_state(context, draft), update.message.text or "")
    draft["picker"] = state.to_dict()
    await _show_picker(update, context, draft, edit=False)
    return Step.REGION


@step
async def on_institution(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.removeprefix("reg:i:")
    if code not in INSTITUTIONS:
        await _answer(update, t("common.stale_button", context.lang))
        return await prompt(update, context, draft, Step.INSTITUTION)
    await _answer(update)
    draft["institution"] = code
    if code == "lainnya":
        await show(
            update,
            t(
                "reg.institution_chosen",
                context.lang,
                institution=t("institution.lainnya", context.lang),
            ),
        )
        return await prompt(update, context, draft, Step.INSTITUTION_OTHER)
    draft["institution_other"] = None
    await show(
        update,
        t(
            "reg.institution_chosen",
            context.lang,
            institution=t(f"institution.{code}", context.lang),
        ),
    )
    return await prompt(update, context, draft, Step.CONFIRM)


@step
async def on_institution_other(update: Update, context: BotContext, draft: Draft) -> int:
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
    draft["institution_other"] = label
    return await prompt(update, context, draft, Step.CONFIRM)


async def _show_fields(update: Update, context: BotContext) -> None:
    lang = context.lang
    rows = [[(t(f"reg.field.{f}", lang), f"reg:f:{f}")] for f in FIELDS]
    rows.append([(t("reg.field.done", lang), "reg:f:done")])
    await show(update, t("reg.which_field", lang), keyboard(rows))


@step
async def on_confirm(update: Update, context: BotContext, draft: Draft) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    user = update.effective_user
    assert user is not None
    lang = context.lang
    if query.data == "reg:edit":
        await _answer(update)
        await _show_fields(update, context)
        return Step.CONFIRM
    if query.data.startswith("reg:f:"):
        field = query.data.removeprefix("reg:f:")
        await _answer(update)
        if field == "done":
            await _show_summary(update, context, draft)
            return Step.CONFIRM
        if field not in FIELDS:
            return await prompt(update, context, draft, Step.CONFIRM)
        draft["back_to_confirm"] = True
        await show(update, t("reg.changing", lang, field=t(f"reg.field.{field}", lang)))
        target = {
            "name": Step.NAME,
            "phone": Step.PHONE,
            "region": Step.REGION,
            "institution": Step.INSTITUTION,
        }
        if field == "region":
            draft.pop("picker", None)
            draft["area"] = context.settings.forum_area
        return await prompt(update, context, draft, target[field])
    if query.data != "reg:ok":
        await _answer(update, t("common.stale_button", lang))
        return await prompt(update, context, draft, Step.CONFIRM)
    missing = [k for k in ("name", "phone", "village", "institution") if not draft.get(k)]
    if missing:  # only a hand-crafted draft can get here; ask for what is missing
        await _answer(update)
        first = {
            "name": Step.NAME,
            "phone": Step.PHONE,
            "village": Step.REGION,
            "institution": Step.INSTITUTION,
        }
        return await prompt(update, context, draft, first[missing[0]])
    await _answer(update)
    with context.db.session() as session:
        region = get_region(session, draft["village"])
        if region is None or not in_scope(region.code, context.settings.forum_area):
            draft.pop("village", None)
            return await prompt(update, context, draft, Step.REGION, note=t("reg.bad_region", lang))
        _, created = people.save_cadre(
            session,
            user.id,
            full_name=draft["name"],
            phone=draft["phone"],
            village_code=draft["village"],
            institution=draft["institution"],
            institution_other=draft.get("institution_other"),
        )
        people.delete_draft(session, user.id, DRAFT)
    await show(update, t("reg.saved" if created else "profile.updated", lang))
    await send_main_menu(update, context)
    return END


# ---------------------------------------------------------------- wrong input, cancel, timeout


def _reprompt(state: Step, note_key: str) -> Callable[[Update, BotContext], Awaitable[int]]:
    @step
    async def again(update: Update, context: BotContext, draft: Draft) -> int:
        note = t(note_key, context.lang)
        if update.callback_query:
            await _answer(update, t("common.stale_button", context.lang))
            note = ""
        return await prompt(update, context, draft, state, note=note)

    again.__name__ = f"reprompt_{state.name.lower()}"
    return again


async def cancel(update: Update, context: BotContext) -> int:
    user = update.effective_user
    assert user is not None
    _drop(context, user.id)
    await _chat(update).send_message(
        t("reg.cancelled", context.lang), reply_markup=ReplyKeyboardRemove()
    )
    return END


@step
async def resume(update: Update, context: BotContext, draft: Draft) -> int:
    """/start while a form is open: continue where the user left off."""
    state = Step(draft.get("step", Step.CONSENT))
    return await prompt(update, context, draft, state, note=t("reg.resume", context.lang))


async def on_timeout(update: object, context: BotContext) -> None:
    """PTB's idle timeout (while the bot runs); after a restart `step` and the sweep do it."""
    if (
        not isinstance(update, Update)
        or update.effective_user is None
        or update.effective_chat is None
    ):
        return
    _drop(context, update.effective_user.id)
    await update.effective_chat.send_message(
        t("reg.expired", context.lang), reply_markup=ReplyKeyboardRemove()
    )


async def sweep_expired(context: BotContext) -> None:
    """Tell users whose form expired while the bot was down, and drop their drafts.

    Runs every minute; waits two extra minutes so PTB's own timeout answers first when it can.
    """
    cutoff = utcnow() - context.settings.conversation_timeout - timedelta(minutes=2)
    with context.db.session() as session:
        expired = people.expired_drafts(session, DRAFT, cutoff)
    for user_id in expired:
        lang = _user_lang(context, user_id)
        _drop(context, user_id)
        try:
            await context.bot.send_message(
                user_id, t("reg.expired", lang), reply_markup=ReplyKeyboardRemove()
            )
        except Exception:
            continue


def _user_lang(context: BotContext, user_id: int) -> str:
    from bot.i18n import language_for

    with context.db.session() as session:
        chosen, telegram = people.user_language(session, user_id)
    return language_for(chosen, telegram)


def conversation(conversation_timeout: timedelta) -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND
    # Stale or forged buttons of this form re-prompt; other features' buttons (a language
    # switch, a training RSVP) pass through to their own handlers.
    with warnings.catch_warnings():
        # Our CallbackQueryHandlers are per chat on purpose: a form is one per user.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name="registration",
            persistent=True,
            allow_reentry=False,
            conversation_timeout=conversation_timeout,
            entry_points=[
                CommandHandler("start", start),
                CallbackQueryHandler(edit_profile, pattern=r"^prof:edit$"),
            ],
            states={
                Step.CONSENT: [
                    CallbackQueryHandler(on_consent, pattern=r"^reg:c:[yn]$"),
                    MessageHandler(anything, _reprompt(Step.CONSENT, "reg.use_buttons")),
                    CallbackQueryHandler(
                        _reprompt(Step.CONSENT, "reg.use_buttons"), pattern=r"^reg:"
                    ),
                ],
                Step.NAME: [
                    MessageHandler(text, on_name),
                    MessageHandler(anything, _reprompt(Step.NAME, "reg.need_text_name")),
                    CallbackQueryHandler(
                        _reprompt(Step.NAME, "reg.need_text_name"), pattern=r"^reg:"
                    ),
                ],
                Step.PHONE: [
                    MessageHandler(filters.CONTACT, on_contact),
                    MessageHandler(text, on_phone_text),
                    MessageHandler(anything, _reprompt(Step.PHONE, "reg.need_phone")),
                    CallbackQueryHandler(_reprompt(Step.PHONE, "reg.need_phone"), pattern=r"^reg:"),
                ],
                Step.REGION: [
                    CallbackQueryHandler(on_region_button, pattern=r"^reg:[rpba]:"),
                    MessageHandler(text, on_region_text),
                    MessageHandler(anything, _reprompt(Step.REGION, "reg.use_buttons")),
                    CallbackQueryHandler(
                        _reprompt(Step.REGION, "reg.use_buttons"), pattern=r"^reg:"
                    ),
                ],
                Step.INSTITUTION: [
                    CallbackQueryHandler(on_institution, pattern=r"^reg:i:"),
                    MessageHandler(anything, _reprompt(Step.INSTITUTION, "reg.use_buttons")),
                    CallbackQueryHandler(
                        _reprompt(Step.INSTITUTION, "reg.use_buttons"), pattern=r"^reg:"
                    ),
                ],
                Step.INSTITUTION_OTHER: [
                    MessageHandler(text, on_institution_other),
                    MessageHandler(
                        anything, _reprompt(Step.INSTITUTION_OTHER, "reg.need_text_institution")
                    ),
                    CallbackQueryHandler(
                        _reprompt(Step.INSTITUTION_OTHER, "reg.need_text_institution")
                    ),
                ],
                Step.CONFIRM: [
                    CallbackQueryHandler(on_confirm, pattern=r"^reg:(ok|edit|f:\w+)$"),
                    MessageHandler(anything, _reprompt(Step.CONFIRM, "reg.use_buttons")),
                    CallbackQueryHandler(
                        _reprompt(Step.CONFIRM, "reg.use_buttons"), pattern=r"^reg:"
                    ),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[
                CommandHandler(["batal", "cancel"], cancel),
                CommandHandler("start", resume),
            ],
        )
