"""Moving a training to another date: "🗓 Ubah jadwal" on /peserta asks for the new date and
time; everyone who signed up (going and waiting) hears the new one.

A one-step form on `bot.forms.Form`: the training being moved lives in the drafts table, so the
question survives a restart, `/batal` keeps the date, and an idle question expires.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from enum import IntEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.auth import Identity
from bot.callbacks import TrainingButton
from bot.context import BotContext
from bot.forms import END, Draft, Form, chat_of
from bot.i18n import t
from bot.moments import format_count, format_moment
from bot.training.manage import may_change, tell_participants
from bot.training.texts import parse_when, pressed, sender, when_text
from storage import training as training_store
from storage.audit import audit
from storage.models import utcnow
from storage.training import TrainingInfo

__all__ = ["MoveDraft", "MoveStep", "move_conversation"]


class MoveStep(IntEnum):
    WHEN = 1


@dataclasses.dataclass
class MoveDraft(Draft):
    """Which training is being moved."""

    training_id: int = 0


FORM = Form("training_move", MoveDraft, keys="training.move", requires="privileged")


def _movable(
    context: BotContext, identity: Identity, training_id: int
) -> tuple[TrainingInfo | None, bool]:
    """The training and whether this person may move it now (in scope, ahead, not cancelled)."""
    with context.db.session() as session:
        training = training_store.get_training(session, training_id)
    if training is None or not may_change(context, identity, training):
        return None, False
    return training, not training.cancelled and training.starts_at > utcnow()


async def move_start(update: Update, context: BotContext) -> int:
    """`tr:mv:<id>` from /peserta: ask for the new date and time."""
    lang = context.lang
    press = await pressed(TrainingButton, update, lang)
    if press is None:
        return END
    query, training_id = press.query, press.button.training_id
    identity = sender(update, context)
    training, movable = (
        _movable(context, identity, training_id) if FORM.allows(identity) else (None, False)
    )
    if training is None:
        with context.db.session() as session:
            audit(session, identity.user_id, "training.move_refused", str(training_id))
        await query.answer(t("training.participants_refused", lang), show_alert=True)
        return END
    if not movable:
        await query.answer(t("training.cannot_move", lang), show_alert=True)
        return END
    await query.answer()
    FORM.save(context, identity.user_id, MoveDraft(training_id=training.id))
    await chat_of(update).send_message(
        t(
            "training.ask_new_when",
            lang,
            title=training.title,
            when=format_moment(training.starts_at, context.settings.timezone, lang),
        )
    )
    return MoveStep.WHEN


@FORM.step
async def on_new_when(
    update: Update, context: BotContext, draft: MoveDraft, identity: Identity
) -> int:
    """Move it (unless nothing changes), tell the participants, audit either way."""
    message = update.message
    assert message is not None and message.text is not None
    lang = context.lang
    tz = context.settings.timezone
    now = utcnow()
    parsed = parse_when(message.text, tz, now)
    if isinstance(parsed, str):
        await message.reply_text(t(parsed, lang) + "\n\n" + t("training.move_hint", lang))
        return MoveStep.WHEN
    training, movable = _movable(context, identity, draft.training_id)
    moved = None
    recipients: list[int] = []
    with context.db.session() as session:
        if movable:
            moved = training_store.reschedule_training(
                session, draft.training_id, parsed, identity.user_id, now
            )
            if moved is not None:
                recipients = [
                    p.telegram_id for p in training_store.participants(session, draft.training_id)
                ]
        audit(
            session,
            identity.user_id,
            "training.move" if training is not None else "training.move_refused",
            str(draft.training_id),
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
            stamp = moved.starts_at.isoformat(timespec="minutes")
            tell_participants(
                context,
                recipients,
                "training.moved_notice",
                moved,
                ref=f"training:{moved.id}:moved:{stamp}",
            )
        await message.reply_text(
            t(
                "training.moved",
                lang,
                title=moved.title,
                when=when_text(moved, tz, lang),
                count=format_count(len(recipients), lang),
            )
        )
    FORM.drop(context, identity.user_id)
    return END


def move_conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
    """Typing a training's new date; anything but text gets the hint again."""
    hint_again = FORM.reprompt(MoveStep.WHEN, "training.move_hint")
    return FORM.conversation(
        entry_points=[CallbackQueryHandler(move_start, pattern=TrainingButton.pattern("mv"))],
        states={
            MoveStep.WHEN: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_new_when),
                MessageHandler(~filters.COMMAND, hint_again),
            ],
        },
        timeout=timeout,
    )
