"""Training announcements: /pelatihan_baru, the "Ikut" / "Tidak bisa" buttons, /pelatihan
(a cadre's upcoming trainings) and /peserta (participants, closing registration, moving the
training to another date and calling it off — both told to everyone who signed up).

title → description → date and time (typed the Indonesian way, in the forum's timezone) →
place → quota → audience (the same steps as /umumkan) → preview → announced through the
delivery engine with the two buttons. Answers are decided in `storage.training` (idempotent,
serialised per training, unique per cadre); a seat freed by a cancellation goes to the first
cadre on the waiting list, who is told through the engine.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.auth import Identity, identify
from bot.config import Settings
from bot.context import BotContext, ForkomApplication
from bot.delivery import Payload, local_time, submit
from bot.forms import audience
from bot.forms.audience import AudienceDraft, audience_counts, audience_label
from bot.forms.legacy import drop_draft, form_step, save_draft
from bot.forms.region_picker import StaleButton
from bot.i18n import LANGUAGES, t
from bot.moments import Problem, parse_moment, to_local, to_utc
from bot.telegram_text import escape, split_html, visible_length
from bot.ui import Button, keyboard, show, with_flood_retry
from storage import outbox
from storage import training as store
from storage.audit import audit
from storage.models import utcnow
from storage.regions import region_path_name
from storage.training import RsvpOutcome, RsvpResult, TrainingInfo

__all__ = [
    "MoveStep",
    "Step",
    "announcement_text",
    "conversation",
    "handlers",
    "parse_when",
    "publish",
    "rsvp_buttons",
]

log = logging.getLogger(__name__)
DRAFT = "training_new"
MOVE_DRAFT = "training_move"
END = ConversationHandler.END
TITLE_LIMITS = (3, 120)
DESCRIPTION_LIMITS = (5, 2000)
PLACE_LIMITS = (2, 150)
MAX_QUOTA = 10_000
BUTTON_TITLE = 28


class Step(IntEnum):
    TITLE = 1
    DESCRIPTION = 2
    WHEN = 3
    PLACE = 4
    QUOTA = 5
    AUDIENCE = 6
    PICK_AREA = 7
    INSTITUTION = 8
    PREVIEW = 9


class MoveStep(IntEnum):
    WHEN = 1


Draft = dict[str, Any]
step = form_step(DRAFT, "training.expired", "training.not_allowed")
move_step = form_step(MOVE_DRAFT, "training.move_expired", "training.not_allowed")

# ---------------------------------------------------------------- when it takes place


def parse_when(text: str, tz: ZoneInfo, now: datetime) -> datetime | str:
    """ "25/12/2026 08.00", "besok 08.00", "Jumat, 25 Desember 2026 pukul 08.00" → UTC (naive).

    Reads every form a reminder accepts (`bot.moments`); a training needs both a date and a time,
    in the future and within two years. Returns an error key instead. `now` is UTC (naive).
    """
    typed = parse_moment(text, to_local(now, tz).date(), tz)
    if typed.problem in (Problem.NO_SUCH_DATE, Problem.NO_SUCH_TIME):
        return "training.when_invalid"
    if typed.day is None or typed.at is None:
        return "training.when_format"
    moment = to_utc(typed.day, typed.at, tz)
    if moment <= now:
        return "training.when_past"
    if moment > now + timedelta(days=730):
        return "training.when_far"
    return moment


def when_text(moment: datetime, settings: Settings, lang: str) -> str:
    """ "Jumat, 25/12/2026 08.00 WITA" (the weekday in the reader's language)."""
    weekday = moment.replace(tzinfo=UTC).astimezone(settings.timezone).weekday()
    return (
        f"{t(f'training.weekday.{weekday}', lang)}, {local_time(moment, settings, with_date=True)}"
    )


# ---------------------------------------------------------------- the announcement


def announcement_text(training: TrainingInfo, settings: Settings, lang: str) -> str:
    quota = (
        t("training.quota_unlimited", lang)
        if training.quota is None
        else t("training.quota_n", lang, quota=training.quota)
    )
    return t(
        "training.announcement",
        lang,
        escape=False,
        title=escape(training.title),
        description=training.description,  # Telegram HTML from the coordinator's message
        when=escape(when_text(training.starts_at, settings, lang)),
        place=escape(training.place),
        quota=escape(quota),
    )


def rsvp_buttons(training_id: int | None, lang: str) -> list[list[tuple[str, str]]]:
    """The two answers; without an id (a preview) they only say "this is a preview"."""
    yes = f"tr:y:{training_id}" if training_id else "tn:pv"
    no = f"tr:n:{training_id}" if training_id else "tn:pv"
    return [[(t("training.join", lang), yes), (t("training.decline", lang), no)]]


def _draft_training(draft: Draft) -> TrainingInfo:
    return TrainingInfo(
        id=0,
        title=draft["title"],
        description=draft["description"],
        starts_at=datetime.fromisoformat(draft["starts_at"]),
        place=draft["place"],
        quota=draft.get("quota"),
        area_code=draft["area"],
        institutions=tuple(draft.get("institutions") or ()),
        created_by=0,
        registration_closed_at=None,
        broadcast_id=None,
    )


# ---------------------------------------------------------------- /pelatihan_baru


async def start(update: Update, context: BotContext) -> int:
    """`/pelatihan_baru [kode wilayah]`: announce a training (coordinators and officials)."""
    user = update.effective_user
    assert user is not None and update.message is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await update.message.reply_text(t("training.not_allowed", lang))
        return END
    accepted, area = await audience.area_argument(update, context, identity, "training.refused")
    if not accepted:
        return END
    draft: Draft = {"token": secrets.token_hex(6), "step": int(Step.TITLE)}
    _put_audience(draft, AudienceDraft(area=area))
    save_draft(context, user.id, DRAFT, draft)
    await update.message.reply_text(t("training.ask_title", lang))
    return Step.TITLE


def _text_step(
    field: str, limits: tuple[int, int], error_key: str, next_state: Step, prompt_key: str
) -> Callable[[Update, BotContext], Awaitable[int]]:
    """A step that takes one line or paragraph of text within length limits."""

    @step
    async def take(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
        message = update.message
        assert message is not None and message.text is not None
        if field == "description":
            value = message.text_html
            length = visible_length(value)
        else:
            value = " ".join(message.text.split())
            length = len(value)
        if not limits[0] <= length <= limits[1]:
            await message.reply_text(t(error_key, context.lang, low=limits[0], high=limits[1]))
            return Step(draft["step"])
        draft[field] = value
        if draft.get("back_to_preview"):
            return await _preview(update, context, draft)
        await message.reply_text(t(prompt_key, context.lang))
        return next_state

    take.__name__ = f"take_{field}"
    return take


on_title = _text_step(
    "title", TITLE_LIMITS, "training.title_length", Step.DESCRIPTION, "training.ask_description"
)
on_description = _text_step(
    "description", DESCRIPTION_LIMITS, "training.description_length", Step.WHEN, "training.ask_when"
)


@step
async def on_when(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    message = update.message
    assert message is not None and message.text is not None
    parsed = parse_when(message.text, context.settings.timezone, utcnow())
    if isinstance(parsed, str):
        await message.reply_text(t(parsed, context.lang))
        return Step.WHEN
    draft["starts_at"] = parsed.isoformat()
    await message.reply_text(
        t("training.when_ok", context.lang, when=when_text(parsed, context.settings, context.lang))
    )
    if draft.get("back_to_preview"):
        return await _preview(update, context, draft)
    await message.reply_text(t("training.ask_place", context.lang))
    return Step.PLACE


@step
async def on_place(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    message = update.message
    assert message is not None and message.text is not None
    place = " ".join(message.text.split())
    if not PLACE_LIMITS[0] <= len(place) <= PLACE_LIMITS[1]:
        await message.reply_text(
            t("training.place_length", context.lang, low=PLACE_LIMITS[0], high=PLACE_LIMITS[1])
        )
        return Step.PLACE
    draft["place"] = place
    if draft.get("back_to_preview"):
        return await _preview(update, context, draft)
    await _ask_quota(update, context)
    return Step.QUOTA


async def _ask_quota(update: Update, context: BotContext) -> None:
    await _chat(update).send_message(
        t("training.ask_quota", context.lang),
        reply_markup=keyboard([[(t("training.quota_none_button", context.lang), "tn:q:0")]]),
    )


@step
async def on_quota(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    if update.callback_query is not None:
        await update.callback_query.answer()
        draft["quota"] = None
    else:
        text = (update.message.text or "").strip() if update.message else ""
        if not text.isdigit() or not 1 <= int(text) <= MAX_QUOTA:
            await _chat(update).send_message(
                t("training.quota_invalid", context.lang, high=MAX_QUOTA)
            )
            return Step.QUOTA
        draft["quota"] = int(text)
    if draft.get("back_to_preview"):
        return await _preview(update, context, draft)
    if draft.get("area"):
        await audience.ask_institutions(update, context, _audience_of(draft), "tn")
        return Step.INSTITUTION
    await audience.ask_audience(update, context, identity, "tn")
    return Step.AUDIENCE


# ---------------------------------------------------------------- the audience (bot.forms.audience)


def _audience_of(draft: Draft) -> AudienceDraft:
    """The audience part of this form's `dict` draft, as the shared audience steps take it."""
    return AudienceDraft.from_dict(draft)


def _put_audience(draft: Draft, chosen: AudienceDraft) -> None:
    draft.update(area=chosen.area, institutions=chosen.institutions, picker=chosen.picker)


@step
async def on_audience(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    query = update.callback_query
    assert query is not None
    chosen = _audience_of(draft)
    try:
        choice = await audience.on_audience_button(update, context, chosen, identity, "tn")
        _put_audience(draft, chosen)
    except StaleButton:
        await query.answer(t("common.stale_button", context.lang))
        return Step(draft["step"])
    if choice.refused:
        return await _refuse(update, context, draft)
    await query.answer()
    if choice.exited:
        await audience.ask_audience(update, context, identity, "tn")
        return Step.AUDIENCE
    if choice.area is None:
        return Step.PICK_AREA
    draft["area"] = chosen.area = choice.area
    await audience.ask_institutions(update, context, chosen, "tn")
    return Step.INSTITUTION


async def _refuse(update: Update, context: BotContext, draft: Draft) -> int:
    await audience.audit_refusal(update, context, "training.refused")
    return int(draft["step"])


@step
async def on_area_text(
    update: Update, context: BotContext, draft: Draft, identity: Identity
) -> int:
    if not draft.get("picker"):
        await _chat(update).send_message(t("form.use_buttons", context.lang))
        return Step(draft["step"])
    chosen = _audience_of(draft)
    await audience.on_picker_text(update, context, chosen, "tn")
    _put_audience(draft, chosen)
    return Step.PICK_AREA


@step
async def on_institution(
    update: Update, context: BotContext, draft: Draft, identity: Identity
) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen = _audience_of(draft)
    done = audience.toggle_institution(chosen, query.data.split(":", 2)[2])
    _put_audience(draft, chosen)
    if done is None:
        await query.answer(t("common.stale_button", context.lang))
        return Step.INSTITUTION
    await query.answer()
    if not done:
        await audience.ask_institutions(update, context, chosen, "tn")
        return Step.INSTITUTION
    return await _preview(update, context, draft)


async def _preview(update: Update, context: BotContext, draft: Draft) -> int:
    """The announcement as cadres will see it (buttons inert), then who gets it."""
    lang = context.lang
    draft.pop("back_to_preview", None)
    chat = _chat(update)
    training = _draft_training(draft)
    await with_flood_retry(
        lambda: chat.send_message(
            announcement_text(training, context.settings, lang),
            reply_markup=keyboard(rsvp_buttons(None, lang)),
        )
    )
    counts = audience_counts(context, _audience_of(draft))
    text = t("broadcast.preview_title", lang) + "\n\n"
    text += t(
        "broadcast.preview_count",
        lang,
        count=counts.eligible,
        audience=audience_label(context, _audience_of(draft), lang),
    )
    rows: list[list[Button]] = []
    if counts.eligible:
        rows.append([(t("training.announce", lang), "tn:go"), (t("common.cancel", lang), "tn:no")])
    else:
        text += "\n\n" + t("broadcast.preview_nobody", lang)
        rows.append([(t("common.cancel", lang), "tn:no")])
    rows.append(
        [
            (t("training.change_when", lang), "tn:e:when"),
            (t("training.change_place", lang), "tn:e:place"),
        ]
    )
    rows.append(
        [
            (t("training.change_quota", lang), "tn:e:quota"),
            (t("broadcast.change_audience", lang), "tn:e:aud"),
        ]
    )
    await with_flood_retry(lambda: chat.send_message(text, reply_markup=keyboard(rows)))
    return Step.PREVIEW


@step
async def on_preview(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    lang = context.lang
    action = query.data.split(":", 1)[1]
    await query.answer()
    if action.startswith("e:"):
        what = action[2:]
        draft["back_to_preview"] = what != "aud"
        if what == "when":
            await show(update, t("training.ask_when", lang), edit=False)
            return Step.WHEN
        if what == "place":
            await show(update, t("training.ask_place", lang), edit=False)
            return Step.PLACE
        if what == "quota":
            await _ask_quota(update, context)
            return Step.QUOTA
        _put_audience(draft, AudienceDraft())
        await audience.ask_audience(update, context, identity, "tn")
        return Step.AUDIENCE
    if action == "no":
        drop_draft(context, user.id, DRAFT)
        await show(update, t("training.cancelled", lang))
        return END
    if not identity.may_act_on(draft["area"]):
        return await _refuse(update, context, draft)
    training, count = await _announce(context, draft, user.id)
    drop_draft(context, user.id, DRAFT)
    await show(update, t("training.announced", lang, id=training.id, count=count))
    return END


async def _announce(context: BotContext, draft: Draft, sender_id: int) -> tuple[TrainingInfo, int]:
    """Store the training and hand its announcement to the delivery engine."""
    with context.db.session() as session:
        training = store.create_training(
            session,
            title=draft["title"],
            description=draft["description"],
            starts_at=datetime.fromisoformat(draft["starts_at"]),
            place=draft["place"],
            quota=draft.get("quota"),
            area_code=draft["area"],
            institutions=draft.get("institutions") or [],
            created_by=sender_id,
        )
        recipients = outbox.audience_ids(
            session, [draft["area"]], draft.get("institutions") or None
        )
    broadcast_id = await asyncio.to_thread(
        publish,
        context.app,
        training,
        recipients,
        sender_id=sender_id,
        audience=audience_label(context, _audience_of(draft), "id"),
    )
    with context.db.session() as session:
        audit(
            session,
            sender_id,
            "training.create",
            draft["area"],
            training_id=training.id,
            broadcast_id=broadcast_id,
            recipients=len(recipients),
        )
    return training, len(recipients)


def publish(
    app: ForkomApplication,
    training: TrainingInfo,
    recipients: Sequence[int],
    *,
    sender_id: int | None,
    audience: str,
) -> int:
    """Announce a stored training through the delivery engine, with the two answer buttons in
    each recipient's language; once per training (its ref). Safe in a worker thread."""
    payload = Payload(
        text={lang: announcement_text(training, app.settings, lang) for lang in LANGUAGES},
        buttons={lang: rsvp_buttons(training.id, lang) for lang in LANGUAGES},
    )
    broadcast_id = submit(
        app,
        kind="training",
        recipient_ids=recipients,
        payload=payload,
        sender_id=sender_id,
        ref=f"training:{training.id}",
        progress_chat_id=sender_id,
        meta={"title": training.title, "audience": audience},
    )
    with app.database.session() as session:
        store.set_broadcast(session, training.id, broadcast_id)
    return broadcast_id


def _chat(update: Update):  # type: ignore[no-untyped-def]
    assert update.effective_chat is not None
    return update.effective_chat


def _reprompt(note_key: str) -> Callable[[Update, BotContext], Awaitable[int]]:
    @step
    async def again(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
        if update.callback_query:
            await update.callback_query.answer(t("common.stale_button", context.lang))
        else:
            await _chat(update).send_message(t(note_key, context.lang))
        return Step(draft["step"])

    return again


async def cancel(update: Update, context: BotContext) -> int:
    user = update.effective_user
    assert user is not None
    drop_draft(context, user.id, DRAFT)
    await _chat(update).send_message(t("training.cancelled", context.lang))
    return END


async def on_timeout(update: object, context: BotContext) -> None:
    if isinstance(update, Update) and update.effective_user and update.effective_chat:
        drop_draft(context, update.effective_user.id, DRAFT)
        await update.effective_chat.send_message(t("training.expired", context.lang))


def conversation(conversation_timeout: timedelta) -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND
    ours = r"^tn:(?!pv$)"
    use_text, use_buttons = (
        _reprompt("training.need_text"),
        _reprompt("form.use_buttons"),
    )

    def typed(handler: Callable[[Update, BotContext], Awaitable[int]]) -> list[Any]:
        return [
            MessageHandler(text, handler),
            MessageHandler(anything, use_text),
            CallbackQueryHandler(use_text, pattern=ours),
        ]

    def pressed(pattern: str, handler: Callable[[Update, BotContext], Awaitable[int]]) -> list[Any]:
        return [
            CallbackQueryHandler(handler, pattern=pattern),
            MessageHandler(anything, use_buttons),
            CallbackQueryHandler(use_buttons, pattern=ours),
        ]

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name="training_new",
            persistent=True,
            allow_reentry=True,
            conversation_timeout=conversation_timeout,
            entry_points=[CommandHandler("pelatihan_baru", start)],
            states={
                Step.TITLE: typed(on_title),
                Step.DESCRIPTION: typed(on_description),
                Step.WHEN: typed(on_when),
                Step.PLACE: typed(on_place),
                Step.QUOTA: [
                    CallbackQueryHandler(on_quota, pattern=r"^tn:q:0$"),
                    MessageHandler(text, on_quota),
                    MessageHandler(anything, use_text),
                    CallbackQueryHandler(use_text, pattern=ours),
                ],
                Step.AUDIENCE: pressed(r"^tn:[sc]:", on_audience),
                Step.PICK_AREA: [
                    CallbackQueryHandler(on_audience, pattern=r"^tn:[rpba]:"),
                    MessageHandler(text, on_area_text),
                    MessageHandler(anything, use_buttons),
                    CallbackQueryHandler(use_buttons, pattern=ours),
                ],
                Step.INSTITUTION: pressed(r"^tn:i:", on_institution),
                Step.PREVIEW: pressed(r"^tn:(go|no|e:(when|place|quota|aud))$", on_preview),
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
        )


# ---------------------------------------------------------------- answers: Ikut / Tidak bisa


async def rsvp_button(update: Update, context: BotContext) -> None:
    """`tr:y:<id>` join, `tr:n:<id>` decline or cancel — from the announcement or /pelatihan."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    lang = context.lang
    _, action, arg = [*query.data.split(":", 2), "", ""][:3]
    if action not in ("y", "n") or not arg.isdigit():
        await query.answer(t("common.stale_button", lang))
        return
    # In a worker thread: on SQLite the answer waits for the write lock, which the delivery
    # engine takes many times a second during a big broadcast; the event loop must not wait.
    outcome = await asyncio.to_thread(_respond, context, int(arg), user.id, action == "y")
    await query.answer(_answer_text(outcome, lang), show_alert=outcome.result in _ALERTS)
    if outcome.result in _CONFIRMED and outcome.training is not None:
        try:
            await _chat(update).send_message(_confirmation(outcome, context.settings, lang))
        except RetryAfter:  # a cadre tapping very fast: the toast above already told them
            log.info("confirmation to %s skipped: flood control", user.id)
    if outcome.promoted and outcome.training is not None:
        _notify_promoted(context, outcome.training, outcome.promoted)


def _respond(context: BotContext, training_id: int, user_id: int, joining: bool) -> RsvpOutcome:
    with context.db.session() as session:
        return store.respond(session, training_id, user_id, joining=joining)


_ALERTS = frozenset(
    {
        RsvpResult.PAST,
        RsvpResult.CLOSED,
        RsvpResult.CALLED_OFF,
        RsvpResult.NOT_ELIGIBLE,
        RsvpResult.UNKNOWN,
    }
)
_CONFIRMED = frozenset({RsvpResult.JOINED, RsvpResult.WAITING, RsvpResult.CANCELLED})


def _answer_text(outcome: RsvpOutcome, lang: str) -> str:
    return t(f"training.rsvp.{outcome.result.value}", lang, position=outcome.position or 0)


def _confirmation(outcome: RsvpOutcome, settings: Settings, lang: str) -> str:
    training = outcome.training
    assert training is not None
    return t(
        f"training.confirm.{outcome.result.value}",
        lang,
        title=training.title,
        when=when_text(training.starts_at, settings, lang),
        place=training.place,
        position=outcome.position or 0,
    )


def _notify_promoted(context: BotContext, training: TrainingInfo, user_ids: list[int]) -> None:
    """Tell cadres who moved up from the waiting list (durably, through the engine)."""
    stamp = utcnow().isoformat(timespec="seconds")
    for user_id in user_ids:
        text = {
            lang: t(
                "training.promoted",
                lang,
                title=training.title,
                when=when_text(training.starts_at, context.settings, lang),
                place=training.place,
            )
            for lang in LANGUAGES
        }
        submit(
            context.app,
            kind="notification",
            recipient_ids=[user_id],
            payload=Payload(
                text, buttons={lang: _cancel_button(training, lang) for lang in LANGUAGES}
            ),
            urgent=True,
            ref=f"training:{training.id}:promoted:{user_id}:{stamp}",
        )


def _cancel_button(training: TrainingInfo, lang: str) -> list[list[tuple[str, str]]]:
    return [
        [(t("training.cancel_button", lang, title=_short(training.title)), f"tr:n:{training.id}")]
    ]


def _short(title: str) -> str:
    return title if len(title) <= BUTTON_TITLE else title[: BUTTON_TITLE - 1] + "…"


async def preview_button(update: Update, context: BotContext) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(t("training.preview_only", context.lang))


# ---------------------------------------------------------------- /pelatihan for cadres


async def my_trainings(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if identity.cadre is None:
        await _chat(update).send_message(t("training.cadres_only", lang))
        return
    with context.db.session() as session:
        items = store.upcoming_for_cadre(session, user.id, utcnow())
    if not items:
        await _chat(update).send_message(t("training.none_upcoming", lang))
        return
    lines = [t("training.upcoming_title", lang)]
    rows: list[list[Button]] = []
    for training, status, position in items:
        state_key = f"training.mine.{status or 'none'}"
        if status is None and training.closed:
            state_key = "training.mine.closed"
        lines.append(
            t(
                "training.upcoming_item",
                lang,
                title=training.title,
                when=when_text(training.starts_at, context.settings, lang),
                place=training.place,
                state=t(state_key, lang, position=position or 0),
            )
        )
        if status in (store.RsvpStatus.GOING, store.RsvpStatus.WAITING):
            rows.append(
                [
                    (
                        t("training.cancel_button", lang, title=_short(training.title)),
                        f"tr:n:{training.id}",
                    )
                ]
            )
        elif not training.closed:
            rows.append(
                [
                    (
                        t("training.join_button", lang, title=_short(training.title)),
                        f"tr:y:{training.id}",
                    )
                ]
            )
    markup = keyboard(rows) if rows else None  # every training closed: nothing to press
    await _chat(update).send_message("\n\n".join(lines), reply_markup=markup)


# ---------------------------------------------------------------- /peserta for coordinators


def _may_manage(identity: Identity, training: TrainingInfo) -> bool:
    return identity.is_official or identity.may_act_on(training.area_code)


async def participants_command(update: Update, context: BotContext) -> None:
    """`/peserta [id]`: pick a training (or open the given one) and see who is coming."""
    user = update.effective_user
    assert user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged:
        await _chat(update).send_message(t("training.not_allowed", lang))
        return
    if context.args:
        arg = context.args[0].lstrip("#")
        await _show_participants(update, context, identity, int(arg) if arg.isdigit() else 0)
        return
    with context.db.session() as session:
        trainings = store.manageable_trainings(
            session, identity.scopes, utcnow() - timedelta(days=30)
        )
    if not trainings:
        await _chat(update).send_message(t("training.none_to_manage", lang))
        return
    rows = [
        [
            (
                t(
                    "training.pick_item_cancelled" if training.cancelled else "training.pick_item",
                    lang,
                    id=training.id,
                    title=_short(training.title),
                    when=local_time(training.starts_at, context.settings, with_date=True),
                ),
                f"tr:p:{training.id}",
            )
        ]
        for training in trainings[-20:]
    ]
    await _chat(update).send_message(t("training.pick_training", lang), reply_markup=keyboard(rows))


async def _show_participants(
    update: Update,
    context: BotContext,
    identity: Identity,
    training_id: int,
    *,
    answered: bool = False,
) -> None:
    lang = context.lang
    user = update.effective_user
    assert user is not None
    with context.db.session() as session:
        training = store.get_training(session, training_id) if training_id else None
        if training is None or not _may_manage(identity, training):
            audit(session, user.id, "training.participants_refused", str(training_id))
            training = None
        else:
            seats = store.seats(session, training.id)
            people_list = store.participants(session, training.id)
            names = {
                p.village_code: region_path_name(session, p.village_code, below=training.area_code)
                for p in people_list
            }
    if training is None:
        if update.callback_query:
            await update.callback_query.answer(
                t("training.participants_refused", lang), show_alert=True
            )
        else:
            await _chat(update).send_message(t("training.participants_refused", lang))
        return
    if update.callback_query and not answered:
        await update.callback_query.answer()
    quota = "∞" if training.quota is None else str(training.quota)
    lines = [
        t(
            "training.participants_title",
            lang,
            id=training.id,
            title=training.title,
            when=when_text(training.starts_at, context.settings, lang),
            place=training.place,
            going=seats.going,
            quota=quota,
            waiting=seats.waiting,
            declined=seats.declined,
        )
    ]
    if training.cancelled:
        lines.append(t("training.is_cancelled", lang))
    elif training.closed:
        lines.append(t("training.registration_closed", lang))
    going = [p for p in people_list if p.status == store.RsvpStatus.GOING]
    waiting = [p for p in people_list if p.status == store.RsvpStatus.WAITING]
    for header, group in (("training.going_header", going), ("training.waiting_header", waiting)):
        if not group:
            continue
        lines.append(t(header, lang))
        for number, person in enumerate(group, start=1):
            lines.append(
                t(
                    "training.participant_line",
                    lang,
                    n=number,
                    name=person.full_name,
                    where=names.get(person.village_code, ""),
                    institution=t(f"institution.{person.institution}", lang),
                )
            )
    if not going and not waiting:
        lines.append(t("training.no_participants", lang))
    rows: list[list[Button]] = []
    if not training.cancelled and training.starts_at > utcnow():
        if not training.closed:
            rows.append([(t("training.close_button", lang), f"tr:close:{training.id}")])
        rows.append(
            [
                (t("training.move_button", lang), f"tr:mv:{training.id}"),
                (t("training.call_off_button", lang), f"tr:x:{training.id}"),
            ]
        )
    rows.append([(t("training.refresh", lang), f"tr:p:{training.id}")])
    parts = split_html("\n".join(lines))
    chat = _chat(update)
    for part in parts[:-1]:
        await with_flood_retry(lambda part=part: chat.send_message(part))
    await with_flood_retry(lambda: chat.send_message(parts[-1], reply_markup=keyboard(rows)))


async def participants_button(update: Update, context: BotContext) -> None:
    """`tr:p:<id>` open a participant list, `tr:close:<id>` close registration."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    lang = context.lang
    _, action, arg = [*query.data.split(":", 2), "", ""][:3]
    identity = identify(context.db, context.settings, user.id)
    if not identity.is_privileged or not arg.isdigit():
        await query.answer(t("training.participants_refused", lang), show_alert=True)
        return
    if action == "p":
        await _show_participants(update, context, identity, int(arg))
        return
    if action in ("x", "xy"):
        await _call_off(update, context, identity, int(arg), confirmed=action == "xy")
        return
    with context.db.session() as session:
        training = store.get_training(session, int(arg))
        allowed = training is not None and _may_manage(identity, training)
        closed = allowed and store.close_registration(session, int(arg), user.id)
        audit(
            session,
            user.id,
            "training.close" if allowed else "training.close_refused",
            arg,
        )
    if not allowed:
        await query.answer(t("training.participants_refused", lang), show_alert=True)
        return
    await query.answer(t("training.closed_now" if closed else "training.already_closed", lang))
    await _show_participants(update, context, identity, int(arg), answered=True)


# ---------------------------------------------------------------- calling a training off


async def _call_off(
    update: Update, context: BotContext, identity: Identity, training_id: int, *, confirmed: bool
) -> None:
    """`tr:x:<id>` asks "really?", `tr:xy:<id>` cancels and tells everyone who signed up."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    lang = context.lang
    with context.db.session() as session:
        training = store.get_training(session, training_id)
        allowed = training is not None and _may_manage(identity, training)
        cancelled = None
        recipients: list[int] = []
        if allowed and confirmed:
            cancelled = store.cancel_training(session, training_id, user.id, utcnow())
            if cancelled is not None:
                recipients = [p.telegram_id for p in store.participants(session, training_id)]
        if not allowed or confirmed:
            audit(
                session,
                user.id,
                "training.cancel" if allowed else "training.cancel_refused",
                str(training_id),
                done=cancelled is not None,
                notified=len(recipients),
            )
    if not allowed or training is None:
        await query.answer(t("training.participants_refused", lang), show_alert=True)
        return
    if not confirmed:
        if training.cancelled or training.starts_at <= utcnow():
            await query.answer(t("training.cannot_call_off", lang), show_alert=True)
            return
        await query.answer()
        await _chat(update).send_message(
            t(
                "training.call_off_confirm",
                lang,
                title=training.title,
                when=when_text(training.starts_at, context.settings, lang),
            ),
            reply_markup=keyboard(
                [
                    [
                        (t("training.call_off_yes", lang), f"tr:xy:{training.id}"),
                        (t("training.call_off_no", lang), f"tr:p:{training.id}"),
                    ]
                ]
            ),
        )
        return
    if cancelled is None:
        await query.answer(t("training.cannot_call_off", lang), show_alert=True)
        return
    if recipients:
        _tell_participants(
            context,
            recipients,
            "training.called_off_notice",
            cancelled,
            ref=f"training:{cancelled.id}:cancel",
        )
    await query.answer(t("training.called_off", lang, count=len(recipients)), show_alert=True)
    await _show_participants(update, context, identity, training_id, answered=True)


def _tell_participants(
    context: BotContext, recipients: list[int], key: str, training: TrainingInfo, *, ref: str
) -> None:
    """One notification to the cadres who signed up (going and waiting), through the engine."""
    text = {
        lang: t(
            key,
            lang,
            title=training.title,
            when=when_text(training.starts_at, context.settings, lang),
            place=training.place,
        )
        for lang in LANGUAGES
    }
    submit(
        context.app,
        kind="notification",
        recipient_ids=recipients,
        payload=Payload(text),
        urgent=True,
        ref=ref,
    )


# ---------------------------------------------------------------- moving a training


def _movable(
    context: BotContext, identity: Identity, training_id: int
) -> tuple[TrainingInfo | None, bool]:
    """The training and whether this person may move it now (in scope, ahead, not cancelled)."""
    with context.db.session() as session:
        training = store.get_training(session, training_id)
    if training is None or not _may_manage(identity, training):
        return None, False
    return training, not training.cancelled and training.starts_at > utcnow()


async def move_start(update: Update, context: BotContext) -> int:
    """`tr:mv:<id>` from /peserta: ask for the new date and time."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and query.data is not None and user is not None
    lang = context.lang
    arg = query.data.rsplit(":", 1)[1]
    identity = identify(context.db, context.settings, user.id)
    training, movable = (
        _movable(context, identity, int(arg))
        if identity.is_privileged and arg.isdigit()
        else (None, False)
    )
    if training is None:
        with context.db.session() as session:
            audit(session, user.id, "training.move_refused", arg[:40])
        await query.answer(t("training.participants_refused", lang), show_alert=True)
        return END
    if not movable:
        await query.answer(t("training.cannot_move", lang), show_alert=True)
        return END
    await query.answer()
    save_draft(context, user.id, MOVE_DRAFT, {"training_id": training.id, "step": MoveStep.WHEN})
    await _chat(update).send_message(
        t(
            "training.ask_new_when",
            lang,
            title=training.title,
            when=when_text(training.starts_at, context.settings, lang),
        )
    )
    return MoveStep.WHEN


@move_step
async def on_new_when(update: Update, context: BotContext, draft: Draft, identity: Identity) -> int:
    message = update.message
    user = update.effective_user
    assert message is not None and message.text is not None and user is not None
    lang = context.lang
    now = utcnow()
    parsed = parse_when(message.text, context.settings.timezone, now)
    if isinstance(parsed, str):
        await message.reply_text(t(parsed, lang) + "\n\n" + t("training.move_hint", lang))
        return MoveStep.WHEN
    training_id = int(draft["training_id"])
    training, movable = _movable(context, identity, training_id)
    moved = None
    recipients: list[int] = []
    with context.db.session() as session:
        if movable:
            moved = store.reschedule_training(session, training_id, parsed, user.id, now)
            if moved is not None:
                recipients = [p.telegram_id for p in store.participants(session, training_id)]
        audit(
            session,
            user.id,
            "training.move" if training is not None else "training.move_refused",
            str(training_id),
            done=moved is not None,
            old=training.starts_at.isoformat() if training else None,
            new=parsed.isoformat(),
            notified=len(recipients),
        )
    if training is None:
        await message.reply_text(t("training.participants_refused", lang))
    elif moved is None and movable:  # the same moment as before
        await message.reply_text(t("training.move_same", lang))
        return MoveStep.WHEN
    elif moved is None:
        await message.reply_text(t("training.cannot_move", lang))
    else:
        if recipients:
            _tell_participants(
                context,
                recipients,
                "training.moved_notice",
                moved,
                ref=f"training:{moved.id}:moved:{moved.starts_at.isoformat(timespec='minutes')}",
            )
        await message.reply_text(
            t(
                "training.moved",
                lang,
                title=moved.title,
                when=when_text(moved.starts_at, context.settings, lang),
                count=len(recipients),
            )
        )
    drop_draft(context, user.id, MOVE_DRAFT)
    return END


@move_step
async def on_move_other(
    update: Update, context: BotContext, draft: Draft, identity: Identity
) -> int:
    await _chat(update).send_message(t("training.move_hint", context.lang))
    return MoveStep.WHEN


async def move_cancel(update: Update, context: BotContext) -> int:
    user = update.effective_user
    assert user is not None
    drop_draft(context, user.id, MOVE_DRAFT)
    await _chat(update).send_message(t("training.move_cancelled", context.lang))
    return END


def move_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """Typing a training's new date; the form lives in the drafts table, so it survives a
    restart and expires after the usual idle time (`move_step`)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name=MOVE_DRAFT,
            persistent=True,
            allow_reentry=True,
            entry_points=[CallbackQueryHandler(move_start, pattern=r"^tr:mv:\d+$")],
            states={
                MoveStep.WHEN: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, on_new_when),
                    MessageHandler(~filters.COMMAND, on_move_other),
                ],
            },
            fallbacks=[CommandHandler(["batal", "cancel"], move_cancel)],
        )


def handlers() -> list:  # type: ignore[type-arg]
    return [
        move_conversation(),
        CommandHandler("pelatihan", my_trainings),
        CommandHandler("peserta", participants_command),
        CallbackQueryHandler(rsvp_button, pattern=r"^tr:[yn]:"),
        CallbackQueryHandler(participants_button, pattern=r"^tr:(p|close|x|xy):"),
        CallbackQueryHandler(preview_button, pattern=r"^tn:pv$"),
    ]
