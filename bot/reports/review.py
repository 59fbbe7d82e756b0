"""/tinjau: coordinators review the reports of their area, one at a time.

Officials see the whole forum area. Each report comes as its photos, then a card with
"Setujui" / "Minta perbaikan" / "Tolak". Every press re-checks the reviewer's scope on the
server (callback data is never trusted); decisions are atomic (the first of two reviewers wins,
the other is told) and audited, and the cadre is notified. The comment a revision or rejection
needs is its own form (`bot.reports.comment`); featuring is `bot.reports.feature`.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.auth import Identity, identify
from bot.callbacks import ForgedCallback, ReviewButton, refuse_forged
from bot.context import BotContext
from bot.i18n import t
from bot.menu import refresh_commands
from bot.moments import format_count
from bot.reports.card import (
    buttons,
    decision_buttons,
    feature_buttons,
    load_report,
    may_review,
    refuse,
    report_card,
    send_report_media,
)
from bot.reports.feature import (
    feature_broadcast,
    feature_channel,
    preview_broadcast,
    preview_channel,
)
from bot.reports.media import store_media
from bot.reports.notify import notify_cadre, refresh_reviewer_menus
from bot.ui import Button, keyboard, show
from storage import reports as store
from storage.reports import Decision, ReportInfo, ReportStatus

__all__ = ["handlers", "on_review_button", "tinjau_command", "told_already_decided"]


async def show_next(
    update: Update, context: BotContext, identity: Identity, after: int | None = None
) -> None:
    with context.db.session() as session:
        report, waiting = store.next_in_queue(session, identity.scopes, identity.user_id, after)
    if report is None:
        await show(update, t("reports.review.queue_empty", context.lang), edit=False)
        return
    await present(update, context, identity, report, waiting=waiting)


async def present(
    update: Update,
    context: BotContext,
    identity: Identity,
    report: ReportInfo,
    *,
    waiting: int | None = None,
) -> None:
    """Photos, document, then the card with the buttons that fit the report's status."""
    chat = update.effective_chat
    assert chat is not None
    lang = context.lang
    await send_report_media(context.bot, chat.id, report, lang)
    with context.db.session() as session:
        text = report_card(session, report, lang, context.settings)
    rows: list[list[Button]] = []
    own = report.reporter_id == identity.user_id
    if report.status is ReportStatus.PENDING and not own:
        rows.extend(decision_buttons(report.id, lang))
    elif report.status is ReportStatus.APPROVED:
        rows.extend(feature_buttons(report, lang, context.settings, identity))
    if own:
        text += "\n\n" + t("reports.review.own_report", lang)
    if waiting is not None:
        text += "\n\n" + t("reports.review.waiting", lang, count=format_count(waiting, lang))
        if waiting > 1:
            rows.append([(t("reports.review.next", lang), ReviewButton("n", report.id).pack())])
    await chat.send_message(text, reply_markup=buttons(rows))


async def tinjau_command(update: Update, context: BotContext) -> None:
    assert update.effective_user is not None
    identity = identify(context.db, context.settings, update.effective_user.id)
    if not identity.is_privileged:
        await refuse(update, context)
        return
    await show_next(update, context, identity)
    await refresh_commands(context.bot, identity, context.lang, context.app.menu_counts(identity))


async def on_review_button(update: Update, context: BotContext) -> None:
    """Every `rv:` button outside the comment form; scope re-checked each time."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    identity = identify(context.db, context.settings, update.effective_user.id)
    if not identity.is_privileged:
        await refuse(update, context)
        return
    try:
        button = ReviewButton.unpack(query.data)
    except ForgedCallback as error:
        await refuse_forged(update, context.lang, error)
        return
    if button.action in ("q", "n"):
        await query.answer()
        after = button.report_id if button.action == "n" else None
        await show_next(update, context, identity, after=after)
        return
    report = load_report(context, button.report_id)
    if not may_review(identity, report):
        await refuse(update, context)
        return
    assert report is not None
    if button.action == "s":
        await query.answer()
        with context.db.session() as session:
            waiting = store.count_pending(session, identity.scopes, identity.user_id)
        await present(update, context, identity, report, waiting=waiting)
    elif button.action == "m":
        await query.answer()
        assert update.effective_chat is not None
        await send_report_media(context.bot, update.effective_chat.id, report, context.lang)
    elif button.action == "ok":
        await _approve(update, context, identity, report)
    elif button.action == "fb":
        await preview_broadcast(update, context, identity, report)
    elif button.action == "fbok":
        await feature_broadcast(update, context, identity, report)
    elif button.action == "fc":
        await preview_channel(update, context, identity, report)
    elif button.action == "fcok":
        await feature_channel(update, context, identity, report)
    else:  # "fix" / "no" belong to the comment form, which was not open for this press
        await refuse_forged(update, context.lang)


async def told_already_decided(
    update: Update, context: BotContext, report: ReportInfo | None
) -> None:
    """The other reviewer was first: say so, and show the report as it now is."""
    lang = context.lang
    status = t(f"reports.status.{report.status.value}", lang) if report else ""
    note = t("reports.review.already_decided", lang, status=status)
    if update.callback_query is not None:
        await update.callback_query.answer(note, show_alert=True)
    if report is None:
        return
    with context.db.session() as session:
        text = report_card(session, report, lang, context.settings)
    rows = [[(t("reports.review.next", lang), ReviewButton("q").pack())]]
    await show(update, f"{text}\n\n{note}", keyboard(rows))


async def _approve(
    update: Update, context: BotContext, identity: Identity, report: ReportInfo
) -> None:
    query = update.callback_query
    assert query is not None
    lang = context.lang
    if report.reporter_id == identity.user_id:
        await query.answer(t("reports.review.own_report", lang), show_alert=True)
        return
    with context.db.session() as session:
        outcome = store.decide(session, report.id, identity.user_id, Decision.APPROVE)
    if not outcome.won:
        await told_already_decided(update, context, outcome.report)
        return
    decided = outcome.report
    assert decided is not None
    await query.answer()
    with context.db.session() as session:
        text = report_card(session, decided, lang, context.settings)
    rows = feature_buttons(decided, lang, context.settings, identity)
    rows.append([(t("reports.review.next", lang), ReviewButton("q").pack())])
    await show(update, f"{text}\n\n{t('reports.review.done.approved', lang)}", keyboard(rows))
    await notify_cadre(context, identity, decided, Decision.APPROVE)
    await refresh_reviewer_menus(context, decided)
    # An approved report is kept for good: fetch any file that could not be copied before.
    await store_media(context.bot, context.db, context.settings, decided)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        # Private chats only: cards show cadres' names.
        CommandHandler("tinjau", tinjau_command, filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_review_button, pattern=ReviewButton.pattern()),
    ]
