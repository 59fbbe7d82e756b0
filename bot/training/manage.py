"""The coordinator's side: /peserta (pick a training, see who is coming), closing
registration, and calling a training off — told to everyone who signed up.

Every button is re-checked on the server: a training outside the sender's scopes is refused
and audited, whatever the keyboard said.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from telegram import Update

from bot.auth import Identity, identify, may_override
from bot.callbacks import AttendanceButton, TrainingButton, parse_number
from bot.context import BotContext
from bot.delivery import Payload, submit
from bot.forms import chat_of
from bot.i18n import LANGUAGES, t
from bot.moments import format_clock, format_count, format_day, to_local
from bot.telegram_text import split_html
from bot.training.texts import Press, pressed, sender, short_title, when_text
from bot.ui import Button, keyboard, with_flood_retry
from bot.vocabulary import institution_label
from storage import training as training_store
from storage.audit import audit
from storage.models import utcnow
from storage.regions import region_path_name
from storage.training import Participant, RsvpStatus, TrainingInfo

__all__ = [
    "may_change",
    "may_manage",
    "participants_button",
    "participants_command",
    "pick_button",
    "tell_participants",
]

RECENT = timedelta(days=30)  # /peserta still lists trainings that ended this long ago
LISTED = 20  # the newest this many trainings get a button


def may_manage(identity: Identity, training: TrainingInfo) -> bool:
    """Officials manage every training, coordinators those inside their scopes."""
    return identity.is_official or identity.may_act_on(training.area_code)


def may_change(context: BotContext, identity: Identity, training: TrainingInfo) -> bool:
    """Calling off or moving: in scope, and not the training of someone ranking above."""
    author = identify(context.db, context.settings, training.created_by)
    return may_manage(identity, training) and may_override(identity, author)


def tell_participants(
    context: BotContext, recipients: list[int], key: str, training: TrainingInfo, *, ref: str
) -> None:
    """One notification to the cadres who signed up (going and waiting), through the engine."""
    text = {
        lang: t(
            key,
            lang,
            title=training.title,
            when=when_text(training, context.settings.timezone, lang),
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


# ---------------------------------------------------------------- /peserta


async def participants_command(update: Update, context: BotContext) -> None:
    """`/peserta [id]`: pick a training (or open the given one) and see who is coming."""
    lang = context.lang
    chat = chat_of(update)
    identity = sender(update, context)
    if not identity.is_privileged:
        await chat.send_message(t("training.not_allowed", lang))
        return
    if context.args:
        training_id = parse_number(context.args[0].lstrip("#"), low=1) or 0
        await _show_participants(update, context, identity, training_id)
        return
    with context.db.session() as session:
        trainings = training_store.manageable_trainings(session, identity.scopes, utcnow() - RECENT)
    if not trainings:
        await chat.send_message(t("training.none_to_manage", lang))
        return
    rows = [
        [pick_button(context, training, TrainingButton("p", training_id=training.id).pack())]
        for training in trainings[-LISTED:]
    ]
    await chat.send_message(t("training.pick_training", lang), reply_markup=keyboard(rows))


def pick_button(context: BotContext, training: TrainingInfo, data: str) -> Button:
    """ "Sen, 14 Des 08.00 · #12 Pelatihan BUMDes": the date first, so a long title cannot
    hide it; plain text (a button shows no HTML). Also /absensi's list."""
    lang = context.lang
    local = to_local(training.starts_at, context.settings.timezone)
    label = t(
        "training.pick_item_cancelled" if training.cancelled else "training.pick_item",
        lang,
        escape=False,
        id=training.id,
        title=short_title(training.title),
        day=format_day(local.date(), lang, short=True),
        time=format_clock(local, lang),
    )
    return label, data


async def _show_participants(
    update: Update,
    context: BotContext,
    identity: Identity,
    training_id: int,
    *,
    answered: bool = False,
) -> None:
    lang = context.lang
    with context.db.session() as session:
        training = training_store.get_training(session, training_id) if training_id else None
        if training is None or not may_manage(identity, training):
            audit(session, identity.user_id, "training.participants_refused", str(training_id))
            training = None
        else:
            seats = training_store.seats(session, training.id)
            people_list = training_store.participants(session, training.id)
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
            await chat_of(update).send_message(t("training.participants_refused", lang))
        return
    if update.callback_query and not answered:
        await update.callback_query.answer()
    quota = (
        t("training.quota_open", lang)
        if training.quota is None
        else format_count(training.quota, lang)
    )
    lines = [
        t(
            "training.participants_title",
            lang,
            id=training.id,
            title=training.title,
            when=when_text(training, context.settings.timezone, lang),
            place=training.place,
            going=format_count(seats.going, lang),
            quota=quota,
            waiting=format_count(seats.waiting, lang),
            declined=format_count(seats.declined, lang),
        )
    ]
    if training.cancelled:
        lines.append(t("training.is_cancelled", lang))
    elif training.closed:
        lines.append(t("training.registration_closed", lang))
    lines.extend(_participant_lines(people_list, names, lang))
    parts = split_html("\n".join(lines))
    chat = chat_of(update)
    for part in parts[:-1]:
        await with_flood_retry(functools.partial(chat.send_message, part))
    markup = keyboard(_manage_rows(training, lang))
    await with_flood_retry(lambda: chat.send_message(parts[-1], reply_markup=markup))


def _participant_lines(people: list[Participant], names: dict[str, str], lang: str) -> list[str]:
    """The going, then the waiting list, numbered; or "nobody yet"."""
    lines: list[str] = []
    for header, status in (
        ("training.going_header", RsvpStatus.GOING),
        ("training.waiting_header", RsvpStatus.WAITING),
    ):
        group = [p for p in people if p.status == status]
        if not group:
            continue
        lines.append(t(header, lang))
        for number, person in enumerate(group, start=1):
            institution = institution_label(person.institution, person.institution_other, lang)
            lines.append(
                t(
                    "training.participant_line",
                    lang,
                    n=number,
                    name=person.full_name,
                    where=names.get(person.village_code, ""),
                    institution=institution,
                )
            )
    if not lines:
        lines.append(t("training.no_participants", lang))
    return lines


def _manage_rows(training: TrainingInfo, lang: str) -> list[list[Button]]:
    """Close, move, call off (while it is ahead and not cancelled), and refresh."""

    def button(key: str, action: str) -> Button:
        return t(key, lang), TrainingButton(action, training_id=training.id).pack()

    rows: list[list[Button]] = []
    if not training.cancelled and training.starts_at > utcnow():
        if not training.closed:
            rows.append([button("training.close_button", "close")])
        rows.append([button("training.move_button", "mv"), button("training.call_off_button", "x")])
    if not training.cancelled:
        checkin = AttendanceButton("o", training_id=training.id).pack()
        rows.append([(t("attendance.open_button", lang), checkin)])
    rows.append([button("training.refresh", "p")])
    return rows


async def participants_button(update: Update, context: BotContext) -> None:
    """`tr:p:<id>` open a participant list, `tr:close:<id>` close registration,
    `tr:x:<id>` / `tr:xy:<id>` call the training off."""
    lang = context.lang
    press = await pressed(TrainingButton, update, lang)
    if press is None:
        return
    query, button = press.query, press.button
    identity = sender(update, context)
    if not identity.is_privileged:
        await query.answer(t("training.participants_refused", lang), show_alert=True)
        return
    training_id = button.training_id
    if button.action == "p":
        await _show_participants(update, context, identity, training_id)
        return
    if button.action in ("x", "xy"):
        await _call_off(update, context, press, identity, confirmed=button.action == "xy")
        return
    with context.db.session() as session:
        training = training_store.get_training(session, training_id)
        allowed = training is not None and may_manage(identity, training)
        closed = allowed and training_store.close_registration(session, training_id, press.user_id)
        action = "training.close" if allowed else "training.close_refused"
        audit(session, press.user_id, action, str(training_id))
    if not allowed:
        await query.answer(t("training.participants_refused", lang), show_alert=True)
        return
    await query.answer(t("training.closed_now" if closed else "training.already_closed", lang))
    await _show_participants(update, context, identity, training_id, answered=True)


# ---------------------------------------------------------------- calling a training off


async def _call_off(
    update: Update,
    context: BotContext,
    press: Press[TrainingButton],
    identity: Identity,
    *,
    confirmed: bool,
) -> None:
    """`tr:x:<id>` asks "really?", `tr:xy:<id>` cancels and tells everyone who signed up."""
    query, training_id, user_id = press.query, press.button.training_id, press.user_id
    lang = context.lang
    with context.db.session() as session:
        training = training_store.get_training(session, training_id)
        allowed = training is not None and may_change(context, identity, training)
        cancelled = None
        recipients: list[int] = []
        if allowed and confirmed:
            cancelled = training_store.cancel_training(session, training_id, user_id, utcnow())
            if cancelled is not None:
                recipients = [
                    p.telegram_id for p in training_store.participants(session, training_id)
                ]
        if not allowed or confirmed:
            audit(
                session,
                user_id,
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
        yes = TrainingButton("xy", training_id=training.id).pack()
        no = TrainingButton("p", training_id=training.id).pack()
        await chat_of(update).send_message(
            t(
                "training.call_off_confirm",
                lang,
                title=training.title,
                when=when_text(training, context.settings.timezone, lang),
            ),
            reply_markup=keyboard(
                [[(t("training.call_off_yes", lang), yes), (t("training.call_off_no", lang), no)]]
            ),
        )
        return
    if cancelled is None:
        await query.answer(t("training.cannot_call_off", lang), show_alert=True)
        return
    if recipients:
        tell_participants(
            context,
            recipients,
            "training.called_off_notice",
            cancelled,
            ref=f"training:{cancelled.id}:cancel",
        )
    count = format_count(len(recipients), lang)
    await query.answer(t("training.called_off", lang, count=count), show_alert=True)
    await _show_participants(update, context, identity, training_id, answered=True)
