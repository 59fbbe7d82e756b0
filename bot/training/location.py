"""The optional location check at check-in (issue 13, item 1): under a training's QR code the
coordinator may share the venue's location; a cadre who then checks in by link is asked,
optionally, to share theirs, and the tick list shows how far from the venue they were (⚠️ over
1 km). Only the distance is stored (`storage.venue_check`): a shared location is a hint, never
proof, so nobody is refused for it.

Which location a shared pin is: the coordinator's venue while they have just asked to set
one (`VENUE_KEY` in their user data, the training re-checked against their scopes), else the
sender's latest open check-in that has a venue and no distance yet, else nothing.
"""

from __future__ import annotations

from babel.numbers import format_decimal
from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import MessageHandler, filters

from bot.context import BotContext
from bot.forms import chat_of
from bot.i18n import t
from bot.training.manage import may_manage
from bot.training.texts import sender
from storage import training as training_store
from storage import venue_check
from storage.audit import audit
from storage.models import utcnow
from storage.training import TrainingInfo

__all__ = ["VENUE_KEY", "ask_location", "ask_venue", "distance_label", "handlers"]

VENUE_KEY = "attendance_venue_for"  # user_data: the training whose venue the next pin sets


def distance_text(metres: int, lang: str) -> str:
    """ "350 m" / "3,2 km"."""
    if metres < 1000:
        return t("attendance.metres", lang, metres=format_decimal(metres, locale=lang))
    km = format_decimal(round(metres / 1000, 1), "#,##0.0", locale=lang)
    return t("attendance.kilometres", lang, km=km)


def distance_label(metres: int | None, lang: str) -> str:
    """The tick list's suffix for an attendee: "" when they shared no location."""
    if metres is None:
        return ""
    key = "attendance.tick_far" if metres > venue_check.FAR_METRES else "attendance.tick_near"
    return t(key, lang, escape=False, distance=distance_text(metres, lang))


def _location_keyboard(label: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def ask_venue(update: Update, context: BotContext, training: TrainingInfo) -> None:
    """ "📍 Lokasi tempat" under the QR code: the next pin the coordinator sends is the venue."""
    assert context.user_data is not None
    context.user_data[VENUE_KEY] = training.id
    lang = context.lang
    await chat_of(update).send_message(
        t("attendance.venue_ask", lang, title=training.title),
        reply_markup=_location_keyboard(t("attendance.venue_button", lang)),
    )


async def ask_location(update: Update, context: BotContext, training: TrainingInfo) -> None:
    """After a check-in by link, if the venue has a location: share yours (optional)."""
    with context.db.session() as session:
        venue = venue_check.venue_of(session, training.id)
    if venue is None:
        return
    lang = context.lang
    await chat_of(update).send_message(
        t("attendance.location_ask", lang),
        reply_markup=_location_keyboard(t("attendance.location_button", lang)),
    )


async def location_message(update: Update, context: BotContext) -> None:
    """A pin in the private chat: the venue being set, or a cadre's check-in location."""
    message = update.message
    assert message is not None and message.location is not None
    assert context.user_data is not None
    lang = context.lang
    done = ReplyKeyboardRemove()
    if message.forward_origin is not None:  # someone else's pin says nothing about the sender
        await message.reply_text(t("attendance.location_forwarded", lang), reply_markup=done)
        return
    latitude, longitude = message.location.latitude, message.location.longitude
    venue_for = context.user_data.pop(VENUE_KEY, None)
    if isinstance(venue_for, int):
        identity = sender(update, context)
        with context.db.session() as session:
            training = training_store.get_training(session, venue_for)
            allowed = (
                training is not None
                and not training.cancelled
                and identity.is_privileged
                and may_manage(identity, training)
            )
            if allowed:
                venue_check.set_venue(session, venue_for, latitude, longitude)
            audit(session, identity.user_id, "attendance.venue", str(venue_for), allowed=allowed)
        key = "attendance.venue_saved" if allowed and training else "attendance.refused"
        await message.reply_text(
            t(key, lang, title=training.title if training else ""), reply_markup=done
        )
        return
    assert update.effective_user is not None
    with context.db.session() as session:
        outcome = venue_check.record_location(
            session,
            update.effective_user.id,
            latitude,
            longitude,
            utcnow(),
            context.settings.timezone,
        )
    if outcome is None:
        await message.reply_text(t("attendance.location_none", lang), reply_markup=done)
        return
    key = "attendance.location_far" if outcome.far else "attendance.location_near"
    await message.reply_text(
        t(
            key,
            lang,
            title=outcome.training.title,
            distance=distance_text(outcome.metres, lang),
        ),
        reply_markup=done,
    )


def handlers() -> list[MessageHandler[BotContext, None]]:
    """New location messages (a live location's later positions are edits: not taken)."""
    return [
        MessageHandler(
            filters.LOCATION & filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE,
            location_message,
        )
    ]
