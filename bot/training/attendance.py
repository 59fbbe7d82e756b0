"""Check-in at the venue: /absensi (or "Absensi" in /peserta) shows a training's QR code and
the deep link `https://t.me/<bot>?start=hadir_<code>` behind it; a cadre who opens it is marked
present (walk-ins flagged); the coordinator can tick or untick attendees by hand and switch the
training's certificates off.

Every button is re-checked on the server (`may_manage`): a forged training id is refused and
audited. The rules (window, walk-in, once only) live in `storage.attendance`.
"""

from __future__ import annotations

import io
import re
from datetime import tzinfo

import segno
from telegram import InlineKeyboardMarkup, Update
from telegram.helpers import create_deep_linked_url

from bot.callbacks import AttendanceButton, refuse_forged
from bot.context import BotContext
from bot.forms import chat_of
from bot.i18n import t
from bot.moments import format_count, format_day, format_moment, to_local
from bot.training.location import ask_location, ask_venue, distance_label
from bot.training.manage import RECENT, may_manage, pick_button
from bot.training.texts import pressed, sender
from bot.ui import Button, keyboard, show
from storage import attendance as attendance_store
from storage import training as training_store
from storage import venue_check
from storage.attendance import CheckIn
from storage.audit import audit
from storage.db import Database
from storage.models import utcnow
from storage.training import TrainingInfo

__all__ = [
    "CHECKIN_PAYLOAD",
    "attendance_button",
    "attendance_command",
    "attended_lines",
    "checkin_link",
]

CHECKIN_PAYLOAD = "hadir_"
_CHECKIN = re.compile(rf"^{CHECKIN_PAYLOAD}([A-Za-z0-9_-]{{1,24}})$")
LISTED = 20  # the newest this many trainings get a button in /absensi


# ---------------------------------------------------------------- /absensi


async def attendance_command(update: Update, context: BotContext) -> None:
    """`/absensi`: pick a training in scope (not called off), then get its check-in QR code."""
    identity = sender(update, context)
    if not identity.is_privileged:
        await chat_of(update).send_message(t("attendance.not_allowed", context.lang))
        return
    since = utcnow() - RECENT
    with context.db.session() as session:
        listed = training_store.manageable_trainings(session, identity.scopes, since)
    rows = [
        [pick_button(context, training, AttendanceButton("o", training_id=training.id).pack())]
        for training in listed
        if not training.cancelled
    ][-LISTED:]
    text = t("attendance.pick_training" if rows else "attendance.none", context.lang)
    await chat_of(update).send_message(text, reply_markup=keyboard(rows) if rows else None)


async def attendance_button(update: Update, context: BotContext) -> None:
    """`att:o` the QR code, `att:l` the tick list, `att:t` a tick, `att:c` certificates,
    `att:v` the venue's location."""
    lang = context.lang
    press = await pressed(AttendanceButton, update, lang)
    if press is None:
        return
    query, button = press.query, press.button
    identity = sender(update, context)
    with context.db.session() as session:
        training = training_store.get_training(session, button.training_id)
        allowed = training is not None and identity.is_privileged and may_manage(identity, training)
        if not allowed:
            audit(session, press.user_id, "attendance.refused", str(button.training_id))
    if not allowed or training is None:
        await query.answer(t("attendance.refused", lang), show_alert=True)
        return
    if button.action == "o":
        await query.answer()
        await _send_checkin(update, context, training)
        return
    if button.action == "v":
        await query.answer()
        await ask_venue(update, context, training)
        return
    if button.action == "c":
        with context.db.session() as session:
            on = not attendance_store.certificates_on(session, training.id)
            attendance_store.set_certificates(session, training.id, on)
            audit(session, press.user_id, "attendance.certificates", str(training.id), on=on)
        await query.answer(
            t("attendance.certificates_on" if on else "attendance.certificates_off", lang)
        )
        await query.edit_message_reply_markup(_checkin_keyboard(context, training))
        return
    if button.action == "t":
        with context.db.session() as session:
            present = attendance_store.tick(
                session, training.id, button.cadre_id, press.user_id, utcnow()
            )
            audit(
                session,
                press.user_id,
                "attendance.tick",
                str(training.id),
                cadre=button.cadre_id,
                present=present,
            )
        if present is None:
            await refuse_forged(update, lang)
            return
        await query.answer(t("attendance.ticked" if present else "attendance.unticked", lang))
    else:
        await query.answer()
    text, markup = _tick_list(context, training)
    await show(update, text, markup)


async def _send_checkin(update: Update, context: BotContext, training: TrainingInfo) -> None:
    """The QR code as a photo, the link and the window in its caption."""
    with context.db.session() as session:
        code = attendance_store.checkin_code(session, training.id)
    link = create_deep_linked_url(context.bot.username, CHECKIN_PAYLOAD + code)
    png = io.BytesIO()
    segno.make(link, error="m").save(png, kind="png", scale=10, border=4)
    await chat_of(update).send_photo(
        png.getvalue(),
        caption=_checkin_caption(context, training, link),
        reply_markup=_checkin_keyboard(context, training),
    )


def _checkin_caption(context: BotContext, training: TrainingInfo, link: str) -> str:
    lang, tz = context.lang, context.settings.timezone
    opens, closes = attendance_store.checkin_window(training, tz)
    return t(
        "attendance.qr_caption",
        lang,
        title=training.title,
        when=format_moment(training.starts_at, tz, lang),
        place=training.place,
        opens=format_moment(opens, tz, lang),
        closes=format_moment(closes, tz, lang),
        link=link,
    )


def _checkin_keyboard(context: BotContext, training: TrainingInfo) -> InlineKeyboardMarkup:
    lang = context.lang
    with context.db.session() as session:
        on = attendance_store.certificates_on(session, training.id)
        has_venue = venue_check.venue_of(session, training.id) is not None
    venue = "attendance.venue_button_change" if has_venue else "attendance.venue_button_set"
    certificates = (
        "attendance.certificates_button_on" if on else "attendance.certificates_button_off"
    )
    return keyboard(
        [
            [
                (
                    t("attendance.tick_button", lang),
                    AttendanceButton("l", training_id=training.id).pack(),
                )
            ],
            [(t(certificates, lang), AttendanceButton("c", training_id=training.id).pack())],
            [(t(venue, lang), AttendanceButton("v", training_id=training.id).pack())],
        ]
    )


def _tick_list(context: BotContext, training: TrainingInfo) -> tuple[str, InlineKeyboardMarkup]:
    """Everyone signed up or present, one button each: ✅ present, ⬜ not (yet)."""
    lang = context.lang
    with context.db.session() as session:
        people = attendance_store.attendees(session, training.id)
        distances = venue_check.distances(session, training.id)
    present = sum(1 for p in people if p.present)
    walk_ins = sum(1 for p in people if p.walk_in)
    text = t(
        "attendance.tick_title",
        lang,
        title=training.title,
        present=format_count(present, lang),
        walk_ins=format_count(walk_ins, lang),
    )
    if not people:
        text += "\n\n" + t("attendance.tick_nobody", lang)
    rows: list[list[Button]] = []
    for person in people:
        key = (
            "attendance.tick_walk_in"
            if person.walk_in
            else ("attendance.tick_present" if person.present else "attendance.tick_absent")
        )
        label = t(key, lang, escape=False, name=person.full_name)
        label += distance_label(distances.get(person.telegram_id), lang)
        data = AttendanceButton("t", training_id=training.id, cadre_id=person.telegram_id).pack()
        rows.append([(label, data)])
    rows.append(
        [(t("attendance.refresh", lang), AttendanceButton("l", training_id=training.id).pack())]
    )
    return text, keyboard(rows)


# ---------------------------------------------------------------- the check-in link


_ANSWERS = {
    CheckIn.PRESENT: "attendance.checked_in",
    CheckIn.WALK_IN: "attendance.checked_in_walk_in",
    CheckIn.ALREADY: "attendance.already",
    CheckIn.TOO_EARLY: "attendance.too_early",
    CheckIn.TOO_LATE: "attendance.too_late",
    CheckIn.CANCELLED: "attendance.cancelled",
    CheckIn.NOT_CADRE: "attendance.not_cadre",
    CheckIn.UNKNOWN: "attendance.unknown_link",
}


async def checkin_link(update: Update, context: BotContext) -> None:
    """`/start hadir_<code>`: the cadre opened a training's check-in link."""
    lang, tz = context.lang, context.settings.timezone
    user = update.effective_user
    assert user is not None
    found = _CHECKIN.match(context.args[0]) if context.args else None
    with context.db.session() as session:
        outcome = (
            attendance_store.check_in(session, found.group(1), user.id, utcnow(), tz)
            if found
            else attendance_store.CheckInOutcome(CheckIn.UNKNOWN)
        )
        training = outcome.training
        if training is not None and outcome.result in (CheckIn.PRESENT, CheckIn.WALK_IN):
            audit(
                session,
                user.id,
                "attendance.check_in",
                str(training.id),
                walk_in=outcome.result == CheckIn.WALK_IN,
            )
        certificates = training is not None and attendance_store.certificates_on(
            session, training.id
        )
    opens_closes = attendance_store.checkin_window(training, tz) if training is not None else None
    text = t(
        _ANSWERS[outcome.result],
        lang,
        title=training.title if training else "",
        opens=format_moment(opens_closes[0], tz, lang) if opens_closes else "",
    )
    markup = None
    if (
        training is not None
        and certificates
        and outcome.result
        in (
            CheckIn.PRESENT,
            CheckIn.WALK_IN,
            CheckIn.ALREADY,
        )
    ):
        markup = keyboard(
            [
                [
                    (
                        t("attendance.certificate_button", lang),
                        AttendanceButton("pdf", training_id=training.id).pack(),
                    )
                ]
            ]
        )
    await chat_of(update).send_message(text, reply_markup=markup)
    if training is not None and outcome.result in (CheckIn.PRESENT, CheckIn.WALK_IN):
        await ask_location(update, context, training)


# ---------------------------------------------------------------- /profil


def attended_lines(database: Database, telegram_id: int, tz: tzinfo, lang: str) -> str:
    """The /profil lines "trainings attended" ("" when none), newest first."""
    with database.session() as session:
        attended = attendance_store.attended_by(session, telegram_id)
    if not attended:
        return ""
    lines = [t("attendance.profile_header", lang)]
    for training in attended[:10]:
        local = to_local(training.starts_at, tz)
        lines.append(
            t(
                "attendance.profile_line",
                lang,
                title=training.title,
                day=format_day(local.date(), lang, weekday=False),
            )
        )
    return "\n".join(lines)
