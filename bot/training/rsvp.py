"""The cadre's side: the "Ikut" / "Tidak bisa" buttons and /pelatihan (my upcoming trainings).

Answers are decided in `storage.training` (idempotent, serialised per training, unique per
cadre), taps arriving together in groups (`bot.training.answers`); a seat freed by a
cancellation goes to the first cadre on the waiting list, who is told through the delivery
engine.
"""

from __future__ import annotations

import functools
import logging
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import Forbidden, RetryAfter

from bot.callbacks import TrainingButton
from bot.config import Settings
from bot.context import BotContext
from bot.delivery import Payload, submit
from bot.forms import chat_of
from bot.i18n import LANGUAGES, t
from bot.training.texts import pressed, sender, short_title, when_text
from bot.ui import Button, keyboard
from storage import training as training_store
from storage.models import utcnow
from storage.training import RsvpOutcome, RsvpResult, RsvpStatus, TrainingInfo

__all__ = ["my_trainings", "rsvp_button"]

log = logging.getLogger(__name__)

# Answers that deserve an alert (the cadre must read why), and those confirmed in the chat.
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


async def rsvp_button(update: Update, context: BotContext) -> None:
    """`tr:y:<id>` join, `tr:n:<id>` decline or cancel — from the announcement or /pelatihan."""
    lang = context.lang
    press = await pressed(TrainingButton, update, lang)
    if press is None:
        return
    joining = press.button.action == "y"
    answers = context.app.rsvp_answers
    outcome = await answers.respond(press.button.training_id, press.user_id, joining)
    await press.query.answer(_answer_text(outcome, lang), show_alert=outcome.result in _ALERTS)
    if outcome.result in _CONFIRMED and outcome.training is not None:
        # Sent apart from this handler: in a burst of taps the confirmations wait for
        # Telegram's 30 messages a second, and that wait must not hold a global slot (the
        # next cadres' toasts would wait behind it) nor this cadre's lane.
        text = _confirmation(outcome, context.settings, lang)
        context.application.create_task(_confirm(update, text, press.user_id), update=update)
    if outcome.promoted and outcome.training is not None:
        _notify_promoted(context, outcome.training, outcome.promoted)


async def _confirm(update: Update, text: str, user_id: int) -> None:
    """To the presser's private chat, also when pressed in a linked group (`bot.groups`)."""
    try:
        await update.get_bot().send_message(user_id, text)
    except RetryAfter:  # a cadre tapping very fast: the toast already told them
        log.info("confirmation to %s skipped: flood control", user_id)
    except Forbidden:  # pressed in a group by someone who never opened the bot
        log.info("confirmation to %s skipped: private chat closed", user_id)


def _answer_text(outcome: RsvpOutcome, lang: str) -> str:
    return t(f"training.rsvp.{outcome.result.value}", lang, position=outcome.position or 0)


def _confirmation(outcome: RsvpOutcome, settings: Settings, lang: str) -> str:
    training = outcome.training
    assert training is not None
    return t(
        f"training.confirm.{outcome.result.value}",
        lang,
        title=training.title,
        when=_when(training, settings.timezone, lang),
        place=training.place,
        position=outcome.position or 0,
    )


@functools.lru_cache(maxsize=64)
def _when(training: TrainingInfo, tz: ZoneInfo, lang: str) -> str:
    """The same for every tap on a training: a burst formats it once, not once a tap."""
    return when_text(training, tz, lang)


def _notify_promoted(context: BotContext, training: TrainingInfo, user_ids: list[int]) -> None:
    """Tell cadres who moved up from the waiting list (durably, through the engine)."""
    stamp = utcnow().isoformat(timespec="seconds")
    tz = context.settings.timezone
    text = {
        lang: t(
            "training.promoted",
            lang,
            title=training.title,
            when=when_text(training, tz, lang),
            place=training.place,
        )
        for lang in LANGUAGES
    }
    buttons = {lang: [[_answer_button("n", training, lang)]] for lang in LANGUAGES}
    for user_id in user_ids:
        submit(
            context.app,
            kind="notification",
            recipient_ids=[user_id],
            payload=Payload(text, buttons=buttons),
            urgent=True,
            ref=f"training:{training.id}:promoted:{user_id}:{stamp}",
        )


def _answer_button(action: str, training: TrainingInfo, lang: str) -> Button:
    """ "Batalkan: <title>" (`n`) or "Ikut: <title>" (`y`); button text is plain, not HTML."""
    key = "training.cancel_button" if action == "n" else "training.join_button"
    label = t(key, lang, escape=False, title=short_title(training.title))
    return label, TrainingButton(action, training_id=training.id).pack()


async def my_trainings(update: Update, context: BotContext) -> None:
    """`/pelatihan`: the trainings ahead for this cadre, with their answer and a button each."""
    identity = sender(update, context)
    lang = context.lang
    chat = chat_of(update)
    if identity.cadre is None:
        await chat.send_message(t("training.cadres_only", lang))
        return
    with context.db.session() as session:
        items = training_store.upcoming_for_cadre(session, identity.user_id, utcnow())
    if not items:
        await chat.send_message(t("training.none_upcoming", lang))
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
                when=when_text(training, context.settings.timezone, lang),
                place=training.place,
                state=t(state_key, lang, position=position or 0),
            )
        )
        if status in (RsvpStatus.GOING, RsvpStatus.WAITING):
            rows.append([_answer_button("n", training, lang)])
        elif not training.closed:
            rows.append([_answer_button("y", training, lang)])
    markup = keyboard(rows) if rows else None  # every training closed: nothing to press
    await chat.send_message("\n\n".join(lines), reply_markup=markup)
