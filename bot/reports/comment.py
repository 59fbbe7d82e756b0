"""The reviewer's comment: "Minta perbaikan" / "Tolak" ask what the cadre will read.

A one-step `bot.forms.Form`: the report and the decision wait in a `draft` row (so a restart
keeps them), `/batal` drops it, an idle comment expires. Another review button or `/tinjau`
instead of the comment drops it and does what was asked. The decision itself is taken when
the comment arrives, with the reviewer's scope checked again.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from enum import IntEnum

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.auth import Identity, identify
from bot.callbacks import ForgedCallback, ReviewButton, refuse_forged
from bot.context import BotContext
from bot.forms import END, Draft, Form
from bot.i18n import t
from bot.reports.card import load_report, may_review, refuse
from bot.reports.notify import notify_cadre, refresh_reviewer_menus
from bot.reports.review import on_review_button, tinjau_command, told_already_decided
from bot.ui import keyboard, show
from storage import reports as store
from storage.reports import Decision, ReportStatus

__all__ = ["CommentDraft", "comment_conversation"]

COMMENT_MIN, COMMENT_MAX = 3, 1000


class Step(IntEnum):
    COMMENT = 1


@dataclasses.dataclass
class CommentDraft(Draft):
    """Which report, which decision, and the card whose buttons go once it is decided."""

    report_id: int = 0
    decision: str = Decision.REVISE.value
    card_message_id: int | None = None


FORM = Form("review_comment", CommentDraft, keys="reports.comment")


async def start_comment(update: Update, context: BotContext) -> int:
    """ "Minta perbaikan" / "Tolak": check, then ask for the comment the cadre will read."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, update.effective_user.id)
    try:
        button = ReviewButton.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, lang, error)
        return END
    report = load_report(context, button.report_id)
    if not may_review(identity, report):
        await refuse(update, context)
        return END
    assert report is not None
    if report.reporter_id == identity.user_id:
        await query.answer(t("reports.review.own_report", lang), show_alert=True)
        return END
    if report.status is not ReportStatus.PENDING:
        await told_already_decided(update, context, report)
        return END
    decision = Decision.REVISE if button.action == "fix" else Decision.REJECT
    message = query.message
    draft = CommentDraft(
        report_id=report.id,
        decision=decision.value,
        card_message_id=message.message_id if message is not None else None,
    )
    FORM.save(context, identity.user_id, draft)
    await query.answer()
    # The key names the decision being explained: reports.review.ask.revision / .rejected
    text = t(f"reports.review.ask.{decision.value}", lang, id=report.id, title=report.title)
    await show(update, text, edit=False)
    return Step.COMMENT


@FORM.step
async def on_comment(
    update: Update, context: BotContext, draft: CommentDraft, identity: Identity
) -> int:
    assert update.message is not None
    lang = context.lang
    comment = (update.message.text or "").strip()
    if not COMMENT_MIN <= len(comment) <= COMMENT_MAX:
        text = t("reports.review.bad_comment", lang, min=COMMENT_MIN, max=COMMENT_MAX)
        await show(update, text, edit=False)
        return Step.COMMENT
    report = load_report(context, draft.report_id)
    FORM.drop(context, identity.user_id)
    if not may_review(identity, report) or (report and report.reporter_id == identity.user_id):
        await refuse(update, context)
        return END
    decision = Decision(draft.decision)
    with context.db.session() as session:
        outcome = store.decide(session, draft.report_id, identity.user_id, decision, comment)
    await _clear_card_buttons(context, update, draft.card_message_id)
    if not outcome.won:
        await told_already_decided(update, context, outcome.report)
        return END
    decided = outcome.report
    assert decided is not None
    await show(
        update,
        t(f"reports.review.done.{decision.value}", lang, id=decided.id, title=decided.title),
        keyboard([[(t("reports.review.next", lang), ReviewButton("q").pack())]]),
        edit=False,
    )
    await notify_cadre(context, identity, decided, decision)
    await refresh_reviewer_menus(context, decided)
    return END


async def _clear_card_buttons(context: BotContext, update: Update, message_id: int | None) -> None:
    """The decision buttons of a decided report should not invite a second press."""
    if message_id is None or update.effective_chat is None:
        return
    try:
        await context.bot.edit_message_reply_markup(update.effective_chat.id, message_id)
    except TelegramError:
        pass


async def button_while_commenting(update: Update, context: BotContext) -> int:
    """Another review button instead of the comment: drop the comment, do what was pressed."""
    assert update.effective_user is not None and update.callback_query is not None
    FORM.drop(context, update.effective_user.id)
    if ReviewButton.pattern("fix", "no").match(update.callback_query.data or ""):
        return await start_comment(update, context)
    await on_review_button(update, context)
    return END


async def tinjau_while_commenting(update: Update, context: BotContext) -> int:
    assert update.effective_user is not None
    FORM.drop(context, update.effective_user.id)
    await tinjau_command(update, context)
    return END


def comment_conversation(timeout: timedelta) -> ConversationHandler[BotContext]:
    """The short form that asks a reviewer for a revision note or rejection reason."""
    new = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    return FORM.conversation(
        entry_points=[
            CallbackQueryHandler(start_comment, pattern=ReviewButton.pattern("fix", "no"))
        ],
        states={
            Step.COMMENT: [
                MessageHandler(new & filters.TEXT & ~filters.COMMAND, on_comment),
                CallbackQueryHandler(button_while_commenting, pattern=ReviewButton.pattern()),
                MessageHandler(
                    new & ~filters.COMMAND,
                    FORM.reprompt(Step.COMMENT, "reports.review.need_comment_text"),
                ),
            ],
        },
        timeout=timeout,
        allow_reentry=False,
        fallbacks=[CommandHandler("tinjau", tinjau_while_commenting)],
    )
