"""After a training: at the end of its day attendees get a one-tap 1–5 rating and may add a
short comment; `Settings.followup_days` (30 and 90) after it, three one-tap questions (used
the skill? situation now? recommend it?) with one reminder for those who do not answer.

`send_due` runs every minute (`bot.app`). Every send goes through the delivery engine (quiet
hours wait; a cadre who said /berhenti gets none) under a ref of its own, submitted before the
send is marked in `storage.attendance`: a restart in between resubmits the same ref, which the
outbox ignores, so nothing is lost or sent twice.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from enum import IntEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.auth import Identity
from bot.callbacks import FeedbackButton
from bot.context import BotContext, ForkomApplication
from bot.delivery import Payload, submit
from bot.forms import END, Draft, Form, chat_of
from bot.i18n import LANGUAGES, t
from bot.training.texts import pressed
from bot.ui import Button, keyboard, show
from storage import attendance as attendance_store
from storage.attendance import FOLLOW_UP_QUESTIONS, Due
from storage.models import FollowUp, utcnow

__all__ = ["REMIND_AFTER", "FeedbackDraft", "Step", "conversation", "followup_button", "send_due"]

REMIND_AFTER = timedelta(days=3)  # an unanswered follow-up is asked once more after this
COMMENT_LENGTH = 500


# ---------------------------------------------------------------- the minute job


async def send_due(context: BotContext) -> None:
    """Submit every feedback question, follow-up and reminder that is due now."""
    app = context.app
    now, settings = utcnow(), app.settings
    with app.database.session() as session:
        feedback = attendance_store.due_feedback(session, now, settings.timezone)
        followups = attendance_store.due_followups(session, now, settings.followup_days)
        reminders = attendance_store.due_reminders(session, now, REMIND_AFTER)
    for due in feedback:
        _send(app, due, f"attendance:{due.key}:feedback", _rating_payload(due))
        with app.database.session() as session:
            attendance_store.mark_feedback_sent(session, due.key, now)
    for due in followups:
        _send(app, due, f"attendance:{due.key}:followup:{due.days}", _followup_payload(due))
        with app.database.session() as session:
            attendance_store.mark_followup_sent(session, due.key, due.days, now)
    for due in reminders:
        _send(app, due, f"followup:{due.key}:reminder", _followup_payload(due, reminder=True))
        with app.database.session() as session:
            attendance_store.mark_reminded(session, due.key, now)


def _send(app: ForkomApplication, due: Due, ref: str, payload: Payload) -> None:
    if due.wanted:
        submit(app, kind="notification", recipient_ids=[due.telegram_id], payload=payload, ref=ref)


def _rating_payload(due: Due) -> Payload:
    return Payload(
        {lang: t("attendance.feedback_ask", lang, title=due.title) for lang in LANGUAGES},
        buttons={
            lang: [
                [
                    (str(n), FeedbackButton("r", training_id=due.training_id, rating=n).pack())
                    for n in range(1, 6)
                ]
            ]
            for lang in LANGUAGES
        },
    )


def _followup_payload(due: Due, *, reminder: bool = False) -> Payload:
    key = "attendance.followup_reminder" if reminder else "attendance.followup_intro"
    return Payload(
        {
            lang: t(key, lang, title=due.title) + "\n\n" + t("attendance.q_used", lang)
            for lang in LANGUAGES
        },
        buttons={
            lang: _question_buttons(due.training_id, due.days, "used", lang) for lang in LANGUAGES
        },
    )


def _question_buttons(training_id: int, days: int, question: str, lang: str) -> list[list[Button]]:
    """One row per answer of `question`."""
    return [
        [
            (
                t(f"attendance.a_{question}_{choice.value}", lang),
                FeedbackButton(
                    "a", training_id=training_id, days=days, question=question, answer=choice.value
                ).pack(),
            )
        ]
        for choice in FOLLOW_UP_QUESTIONS[question]
    ]


# ---------------------------------------------------------------- the follow-up answers


async def followup_button(update: Update, context: BotContext) -> None:
    """`fb:a:<id>:<days>:<question>:<answer>`: store it, then ask the next question."""
    lang = context.lang
    press = await pressed(FeedbackButton, update, lang)
    if press is None:
        return
    button = press.button
    with context.db.session() as session:
        followup = attendance_store.answer_followup(
            session,
            button.training_id,
            press.user_id,
            button.days,
            button.question,
            button.answer,
            utcnow(),
        )
    if followup is None:
        await press.query.answer(t("attendance.followup_refused", lang), show_alert=True)
        return
    await press.query.answer(t("attendance.followup_saved", lang))
    following = _next_question(followup)
    if following is None:
        await show(update, t("attendance.followup_thanks", lang))
        return
    markup = keyboard(_question_buttons(button.training_id, button.days, following, lang))
    await show(update, t(f"attendance.q_{following}", lang), markup)


def _next_question(followup: FollowUp) -> str | None:
    """The first question of the three still without an answer."""
    return next((q for q in FOLLOW_UP_QUESTIONS if getattr(followup, q) is None), None)


# ---------------------------------------------------------------- rating and comment


@dataclasses.dataclass
class FeedbackDraft(Draft):
    """The training whose rating was just tapped, waiting for an optional comment."""

    training_id: int = 0


class Step(IntEnum):
    COMMENT = 1


FORM = Form("attendance_feedback", FeedbackDraft, keys="attendance.feedback", on_idle="drop")


async def on_rating(update: Update, context: BotContext) -> int:
    """`fb:r:<id>:<n>`: store the rating, then offer to add a comment."""
    lang = context.lang
    press = await pressed(FeedbackButton, update, lang)
    if press is None:
        return END
    button = press.button
    with context.db.session() as session:
        rated = attendance_store.rate(session, button.training_id, press.user_id, button.rating)
    if not rated:
        await press.query.answer(t("attendance.feedback_refused", lang), show_alert=True)
        return END
    await press.query.answer()
    FORM.save(context, press.user_id, FeedbackDraft(training_id=button.training_id))
    skip = keyboard([[(t("attendance.feedback_skip", lang), FeedbackButton("skip").pack())]])
    await show(update, t("attendance.feedback_thanks", lang, stars="⭐" * button.rating), skip)
    return Step.COMMENT


@FORM.step
async def on_comment(
    update: Update, context: BotContext, draft: FeedbackDraft, identity: Identity
) -> int:
    """The typed comment (cut to `COMMENT_LENGTH`), then done."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()[:COMMENT_LENGTH]
    with context.db.session() as session:
        attendance_store.add_comment(session, draft.training_id, identity.user_id, text)
    FORM.drop(context, identity.user_id)
    await chat_of(update).send_message(t("attendance.feedback_comment_saved", context.lang))
    return END


@FORM.step
async def on_skip(
    update: Update, context: BotContext, draft: FeedbackDraft, identity: Identity
) -> int:
    """ "Lewati": no comment."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    FORM.drop(context, identity.user_id)
    await show(update, t("attendance.feedback_done", context.lang))
    return END


def conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
    """The rating button opens it; a comment or "Lewati" closes it."""
    return FORM.conversation(
        entry_points=[CallbackQueryHandler(on_rating, pattern=FeedbackButton.pattern("r"))],
        states={
            Step.COMMENT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_comment),
                CallbackQueryHandler(on_skip, pattern=FeedbackButton.pattern("skip")),
            ]
        },
        timeout=timeout,
    )
