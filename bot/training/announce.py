"""/pelatihan_baru: announce a training (coordinators and officials).

title → description → date and time (typed the Indonesian way, in the forum's timezone) →
end time (optional: it closes the check-in and times the feedback) → place → quota → audience
(the shared `AudienceSteps`, as /umumkan) → preview → announced through the delivery engine
with the "Ikut" / "Tidak bisa" buttons. The form runs on
`bot.forms.Form`: it survives a restart, expires when left idle, and "Ubah" on the preview asks
one field again and comes back to the preview.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import IntEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.auth import Identity, identify
from bot.callbacks import TrainingFormButton, refuse_forged
from bot.context import BotContext, ForkomApplication
from bot.delivery import Payload, submit
from bot.forms import END, AnyHandler, Conversation, Form, Handler, chat_of
from bot.forms.audience import AudienceSteps, area_argument
from bot.groups.announce import audience_groups
from bot.i18n import LANGUAGES, t
from bot.moments import format_count, format_moment
from bot.telegram_text import visible_length
from bot.training.need_audience import (
    NEED_AUDIENCE,
    NeedDraft,
    audience_text,
    reach_count,
    recipients_of,
)
from bot.training.texts import announcement_text, parse_end, parse_when, pressed, rsvp_buttons
from bot.ui import Button, keyboard, show, with_flood_retry
from storage import training as training_store
from storage.audit import audit
from storage.models import utcnow
from storage.training import TrainingInfo

__all__ = ["Step", "TrainingDraft", "conversation", "preview_button", "publish"]

TITLE_LIMITS = (3, 120)
DESCRIPTION_LIMITS = (5, 2000)
PLACE_LIMITS = (2, 150)
MAX_QUOTA = 10_000
USE_BUTTONS = "form.use_buttons"
NEED_TEXT = "training.need_text"


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
    ENDS = 10  # after WHEN; numbered last so forms saved before it resume where they were


# Every button of this form but the preview's inert answers (answered outside the form).
FORM_BUTTONS = TrainingFormButton.pattern(*(a for a in TrainingFormButton.LAYOUT if a != "pv"))
# What "Ubah …" on the preview asks again.
CHANGES = {"when": Step.WHEN, "ends": Step.ENDS, "place": Step.PLACE, "quota": Step.QUOTA}


@dataclasses.dataclass
class TrainingDraft(NeedDraft):
    """A training being announced; `starts_at` is naive UTC in ISO form (JSON-friendly)."""

    title: str = ""
    description: str = ""  # Telegram HTML
    starts_at: str | None = None
    ends_at: str | None = None  # naive UTC, ISO; None: to the end of the day
    place: str = ""
    quota: int | None = None  # None: no limit

    def starts(self) -> datetime:
        assert self.starts_at is not None  # the preview comes after the date
        return datetime.fromisoformat(self.starts_at)

    def as_training(self) -> TrainingInfo:
        """The training as the preview shows it, before it is stored."""
        assert self.area is not None
        return TrainingInfo(
            id=0,
            title=self.title,
            description=self.description,
            starts_at=self.starts(),
            place=self.place,
            quota=self.quota,
            area_code=self.area,
            institutions=tuple(self.institutions),
            created_by=0,
            registration_closed_at=None,
            broadcast_id=None,
            ends_at=datetime.fromisoformat(self.ends_at) if self.ends_at else None,
        )


FORM = Form(
    "training_new", TrainingDraft, keys="training", requires="privileged", summary=Step.PREVIEW
)


async def _to_preview(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    return await ask(update, context, draft, Step.PREVIEW)


AUDIENCE = AudienceSteps(
    FORM,
    prefix="tn",
    states=(Step.AUDIENCE, Step.PICK_AREA, Step.INSTITUTION),
    on_done=_to_preview,
    refused_action="training.refused",
    buttons=FORM_BUTTONS.pattern,
    extra=NEED_AUDIENCE,
)

QUESTIONS = {
    Step.TITLE: "training.ask_title",
    Step.DESCRIPTION: "training.ask_description",
    Step.WHEN: "training.ask_when",
    Step.PLACE: "training.ask_place",
}


@FORM.asks
async def ask(
    update: Update, context: BotContext, draft: TrainingDraft, state: int, note: str = ""
) -> int:
    """Ask for `state` (again), `note` first.

    The audience steps' keyboards are still on screen when their input was wrong, so there only
    the note is said. On the preview a note means the same: the control message comes again
    under it; without a note (after "Ubah") the whole preview is shown anew.
    """
    state = Step(state)
    lang = context.lang
    chat = chat_of(update)
    prefix = f"{note}\n\n" if note else ""
    if state in QUESTIONS:
        await chat.send_message(prefix + t(QUESTIONS[state], lang))
    elif state is Step.ENDS:
        skip = TrainingFormButton("ne").pack()
        await chat.send_message(
            prefix + t("training.ask_ends", lang),
            reply_markup=keyboard([[(t("training.ends_none_button", lang), skip)]]),
        )
    elif state is Step.QUOTA:
        none = TrainingFormButton("q", quota=0).pack()
        await chat.send_message(
            prefix + t("training.ask_quota", lang),
            reply_markup=keyboard([[(t("training.quota_none_button", lang), none)]]),
        )
    elif state is Step.PREVIEW:
        await _preview(update, context, draft, note)
    elif note:
        await chat.send_message(note)
    return state


# ---------------------------------------------------------------- the typed steps


async def start(update: Update, context: BotContext) -> int:
    """`/pelatihan_baru [kode wilayah]`: a new draft, optionally for one area already."""
    user = update.effective_user
    assert user is not None and update.message is not None
    identity = identify(context.db, context.settings, user.id)
    if not FORM.allows(identity):
        await update.message.reply_text(t("training.not_allowed", context.lang))
        return END
    accepted, area = await area_argument(update, context, identity, "training.refused")
    if not accepted:
        return END
    draft = TrainingDraft(area=area)
    FORM.save(context, user.id, draft)
    return await ask(update, context, draft, Step.TITLE)


async def _too_long_or_short(
    update: Update, context: BotContext, key: str, limits: tuple[int, int]
) -> None:
    lang = context.lang
    low, high = (format_count(n, lang) for n in limits)
    await chat_of(update).send_message(t(key, lang, low=low, high=high))


@FORM.step
async def on_title(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    assert update.message is not None and update.message.text is not None
    title = " ".join(update.message.text.split())
    if not TITLE_LIMITS[0] <= len(title) <= TITLE_LIMITS[1]:
        await _too_long_or_short(update, context, "training.title_length", TITLE_LIMITS)
        return Step.TITLE
    draft.title = title
    return await FORM.proceed(update, context, draft, Step.DESCRIPTION)


@FORM.step
async def on_description(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    """The description keeps the coordinator's formatting (bold, links) as Telegram HTML."""
    assert update.message is not None
    description = update.message.text_html
    if not DESCRIPTION_LIMITS[0] <= visible_length(description) <= DESCRIPTION_LIMITS[1]:
        await _too_long_or_short(update, context, "training.description_length", DESCRIPTION_LIMITS)
        return Step.DESCRIPTION
    draft.description = description
    return await FORM.proceed(update, context, draft, Step.WHEN)


@FORM.step
async def on_when(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    message = update.message
    assert message is not None and message.text is not None
    lang = context.lang
    parsed = parse_when(message.text, context.settings.timezone, utcnow())
    if isinstance(parsed, str):
        await message.reply_text(t(parsed, lang))
        return Step.WHEN
    if draft.starts_at is not None and draft.ends_at is not None:  # it lasts as long
        length = datetime.fromisoformat(draft.ends_at) - draft.starts()
        draft.ends_at = (parsed + length).isoformat()
    draft.starts_at = parsed.isoformat()
    when = format_moment(parsed, context.settings.timezone, lang)
    await message.reply_text(t("training.when_ok", lang, when=when))
    return await FORM.proceed(update, context, draft, Step.ENDS)


@FORM.step
async def on_ends(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    """A typed time on the training's day, after its start; or "no end time"."""
    lang = context.lang
    if update.callback_query is not None:
        press = await pressed(TrainingFormButton, update, lang)
        if press is None:
            return Step.ENDS
        if press.button.action != "ne":
            await refuse_forged(update, lang)
            return Step.ENDS
        await press.query.answer()
        draft.ends_at = None
    else:
        assert update.message is not None and update.message.text is not None
        parsed = parse_end(update.message.text, draft.starts(), context.settings.timezone)
        if isinstance(parsed, str):
            await update.message.reply_text(t(parsed, lang))
            return Step.ENDS
        draft.ends_at = parsed.isoformat()
    return await FORM.proceed(update, context, draft, Step.PLACE)


@FORM.step
async def on_place(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    assert update.message is not None and update.message.text is not None
    place = " ".join(update.message.text.split())
    if not PLACE_LIMITS[0] <= len(place) <= PLACE_LIMITS[1]:
        await _too_long_or_short(update, context, "training.place_length", PLACE_LIMITS)
        return Step.PLACE
    draft.place = place
    return await FORM.proceed(update, context, draft, Step.QUOTA)


@FORM.step
async def on_quota(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    """A typed number, or the "no limit" button."""
    lang = context.lang
    if update.callback_query is not None:
        press = await pressed(TrainingFormButton, update, lang)
        if press is None:
            return Step.QUOTA
        if press.button.quota != 0:  # the keyboard only offers "no limit"
            await refuse_forged(update, lang)
            return Step.QUOTA
        await press.query.answer()
        draft.quota = None
    else:
        assert update.message is not None
        text = (update.message.text or "").strip()
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_QUOTA:
            high = format_count(MAX_QUOTA, lang)
            await chat_of(update).send_message(t("training.quota_invalid", lang, high=high))
            return Step.QUOTA
        draft.quota = int(text)
    if draft.back_to_summary:
        return await ask(update, context, draft, Step.PREVIEW)
    return await AUDIENCE.ask(update, context, draft, identity)


# ---------------------------------------------------------------- preview and announcing


async def _preview(
    update: Update, context: BotContext, draft: TrainingDraft, note: str = ""
) -> None:
    """The announcement as cadres will see it (buttons inert), then who gets it and the
    buttons; with a `note`, only the latter, under the note."""
    lang = context.lang
    chat = chat_of(update)
    if not note:
        training = draft.as_training()
        await with_flood_retry(
            lambda: chat.send_message(
                announcement_text(training, context.settings, lang),
                reply_markup=keyboard(rsvp_buttons(None, lang)),
            )
        )
    eligible = reach_count(context, draft)
    lines = [note] if note else []
    lines.append(t("training.preview_title", lang))
    lines.append(
        t(
            "training.preview_count",
            lang,
            count=format_count(eligible, lang),
            audience=audience_text(context, draft, lang),
        )
    )
    with context.db.session() as session:
        linked = audience_groups(
            session, draft.area, draft.institutions, targeted=draft.need is not None
        )
    if linked:
        lines.append(t("groups.preview_groups", lang, count=format_count(len(linked), lang)))
    rows: list[list[Button]] = []
    cancel = (t("common.cancel", lang), TrainingFormButton("no").pack())
    if eligible:
        rows.append([(t("training.announce", lang), TrainingFormButton("go").pack()), cancel])
    else:
        lines.append(t("training.preview_nobody", lang))
        rows.append([cancel])

    def change(key: str, field: str) -> Button:
        return (t(key, lang), TrainingFormButton("e", code=field).pack())

    rows.append([change("training.change_when", "when"), change("training.change_ends", "ends")])
    rows.append(
        [change("training.change_place", "place"), change("training.change_quota", "quota")]
    )
    rows.append([change("training.change_audience", "aud")])
    text = "\n\n".join(lines)
    await with_flood_retry(lambda: chat.send_message(text, reply_markup=keyboard(rows)))


@FORM.step
async def on_preview(
    update: Update, context: BotContext, draft: TrainingDraft, identity: Identity
) -> int:
    """Announce, cancel, or "Ubah" one field (the audience: choose it anew)."""
    lang = context.lang
    press = await pressed(TrainingFormButton, update, lang)
    if press is None:
        return Step.PREVIEW
    query, button = press.query, press.button
    if button.action == "e" and button.code in CHANGES:
        await query.answer()
        return await FORM.change(update, context, draft, CHANGES[button.code])
    if button.action == "e" and button.code == "aud":
        await query.answer()
        return await AUDIENCE.again(update, context, draft, identity)
    if button.action == "no":
        await query.answer()
        FORM.drop(context, identity.user_id)
        await show(update, t("training.cancelled", lang))
        return END
    if button.action != "go":
        await refuse_forged(update, lang)
        return Step.PREVIEW
    if draft.area is None or not identity.may_act_on(draft.area):  # scopes may have changed
        return await AUDIENCE.refuse(update, context, Step.PREVIEW)
    await query.answer()
    training, count = await _announce(context, draft, identity.user_id)
    FORM.drop(context, identity.user_id)
    await show(
        update, t("training.announced", lang, id=training.id, count=format_count(count, lang))
    )
    return END


async def _announce(
    context: BotContext, draft: TrainingDraft, sender_id: int
) -> tuple[TrainingInfo, int]:
    """Store the training and hand its announcement to the delivery engine."""
    assert draft.area is not None
    with context.db.session() as session:
        training = training_store.create_training(
            session,
            title=draft.title,
            description=draft.description,
            starts_at=draft.starts(),
            ends_at=datetime.fromisoformat(draft.ends_at) if draft.ends_at else None,
            place=draft.place,
            quota=draft.quota,
            area_code=draft.area,
            institutions=draft.institutions,
            created_by=sender_id,
        )
        recipients = recipients_of(session, draft)
        linked = audience_groups(
            session, draft.area, draft.institutions, targeted=draft.need is not None
        )
    broadcast_id = await asyncio.to_thread(
        publish,
        context.app,
        training,
        [*recipients, *linked],
        sender_id=sender_id,
        audience=audience_text(context, draft, "id"),
    )
    with context.db.session() as session:
        audit(
            session,
            sender_id,
            "training.create",
            draft.area,
            training_id=training.id,
            broadcast_id=broadcast_id,
            recipients=len(recipients),
            groups=len(linked),
            need=draft.need,
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
        training_store.set_broadcast(session, training.id, broadcast_id)
    return broadcast_id


async def preview_button(update: Update, context: BotContext) -> None:
    """The answer buttons under a preview: they only say what they are."""
    assert update.callback_query is not None
    await update.callback_query.answer(t("training.preview_only", context.lang))


# ---------------------------------------------------------------- the states


def conversation(timeout: timedelta) -> Conversation:
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND

    def typed(state: Step, handler: Handler) -> list[AnyHandler]:
        """A step answered by typing; anything else (a sticker, a stale button) asks again."""
        again = FORM.reprompt(state, NEED_TEXT)
        return [
            MessageHandler(text, handler),
            MessageHandler(anything, again),
            CallbackQueryHandler(again, pattern=FORM_BUTTONS),
        ]

    preview_again = FORM.reprompt(Step.PREVIEW, USE_BUTTONS)
    return FORM.conversation(
        entry_points=[CommandHandler("pelatihan_baru", start)],
        states={
            Step.TITLE: typed(Step.TITLE, on_title),
            Step.DESCRIPTION: typed(Step.DESCRIPTION, on_description),
            Step.WHEN: typed(Step.WHEN, on_when),
            Step.ENDS: [
                CallbackQueryHandler(on_ends, pattern=TrainingFormButton.pattern("ne")),
                *typed(Step.ENDS, on_ends),
            ],
            Step.PLACE: typed(Step.PLACE, on_place),
            Step.QUOTA: [
                CallbackQueryHandler(on_quota, pattern=TrainingFormButton.pattern("q")),
                *typed(Step.QUOTA, on_quota),
            ],
            **AUDIENCE.handlers(),
            Step.PREVIEW: [
                CallbackQueryHandler(
                    on_preview, pattern=TrainingFormButton.pattern("go", "no", "e")
                ),
                MessageHandler(anything, preview_again),
                CallbackQueryHandler(preview_again, pattern=FORM_BUTTONS),
            ],
        },
        timeout=timeout,
    )
