"""Featuring an approved report: to every cadre of the forum area, and/or to the channel.

Each channel is claimed once in the database before anything is sent (two reviewers pressing
at once feature it once); a failed send gives the claim back. The public text carries no
personal name, only the institution and the area.
"""

from __future__ import annotations

import logging

from sqlmodel import Session
from telegram import Update
from telegram.constants import MessageLimit
from telegram.error import TelegramError

from bot.auth import Identity
from bot.callbacks import ReviewButton
from bot.config import Settings
from bot.context import BotContext
from bot.delivery import Payload, submit
from bot.i18n import LANGUAGES, t
from bot.moments import format_count
from bot.reports.card import feature_buttons, institution_of, load_report, report_card, send_photos
from bot.ui import keyboard, show
from storage import reports as store
from storage.outbox import audience_ids
from storage.regions import region_path_name
from storage.reports import ReportInfo

__all__ = ["feature_broadcast", "feature_channel", "feature_text"]

log = logging.getLogger(__name__)


def feature_text(
    session: Session, report: ReportInfo, lang: str, settings: Settings, limit: int
) -> str:
    """The public text of a featured report, at most `limit` characters (the description is
    shortened to fit)."""
    region = region_path_name(session, report.village_code, below=settings.forum_area)

    def compose(description: str) -> str:
        return t(
            "reports.feature.text",
            lang,
            title=report.title,
            category=t(f"reports.category.{report.category}", lang),
            institution=institution_of(report, lang),
            region=region,
            description=description,
        )

    text = compose(report.description)
    if len(text) <= limit:
        return text
    overflow = len(text) - limit + 1
    return compose(report.description[: max(0, len(report.description) - overflow)] + "…")


async def feature_broadcast(
    update: Update, context: BotContext, identity: Identity, report: ReportInfo
) -> None:
    """Send the report to every reachable cadre of the forum area (through the outbox)."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    lang = context.lang
    settings = context.settings
    with context.db.session() as session:
        claimed = store.mark_featured(session, report.id, identity.user_id)
    if not claimed:
        await query.answer(t("reports.review.feature_unavailable", lang), show_alert=True)
        return
    try:
        with context.db.session() as session:
            recipients = audience_ids(session, [settings.forum_area])
            texts = {
                # The engine splits a long text over the photo's caption and a message.
                code: feature_text(session, report, code, settings, MessageLimit.MAX_TEXT_LENGTH)
                for code in LANGUAGES
            }
        photo = report.photos[0].file_id if report.photos else None
        submit(
            context.app,
            kind="report_feature",
            recipient_ids=recipients,
            payload=Payload(text=texts, photo=photo),
            sender_id=identity.user_id,
            ref=f"report:{report.id}",
            progress_chat_id=update.effective_chat.id,
            meta={"title": report.title},
        )
    except Exception:
        with context.db.session() as session:
            store.unmark_featured(session, report.id)
        raise
    await query.answer()
    done = t("reports.review.done.featured", lang, count=format_count(len(recipients), lang))
    await _after_feature(update, context, report.id, done)


async def feature_channel(
    update: Update, context: BotContext, identity: Identity, report: ReportInfo
) -> None:
    """Post the report to the feature channel (photos as an album with the text as caption)."""
    query = update.callback_query
    assert query is not None
    lang = context.lang
    channel = context.settings.feature_channel_id
    if not channel:
        await query.answer(t("reports.review.no_channel", lang), show_alert=True)
        return
    with context.db.session() as session:
        claimed = store.mark_channel_posted(session, report.id, identity.user_id)
        text = feature_text(session, report, "id", context.settings, MessageLimit.CAPTION_LENGTH)
    if not claimed:
        await query.answer(t("reports.review.feature_unavailable", lang), show_alert=True)
        return
    try:
        if not await send_photos(context.bot, channel, report, text):
            await context.bot.send_message(channel, text)
    except TelegramError as exc:
        log.warning("could not post report %s to %s: %s", report.id, channel, exc)
        with context.db.session() as session:
            store.unmark_channel_posted(session, report.id)
        await query.answer(t("reports.review.channel_failed", lang), show_alert=True)
        return
    await query.answer()
    await _after_feature(update, context, report.id, t("reports.review.done.posted", lang))


async def _after_feature(update: Update, context: BotContext, report_id: int, done: str) -> None:
    lang = context.lang
    report = load_report(context, report_id)
    assert report is not None
    with context.db.session() as session:
        text = report_card(session, report, lang, context.settings)
    rows = feature_buttons(report, lang, context.settings)
    rows.append([(t("reports.review.next", lang), ReviewButton("q").pack())])
    await show(update, f"{text}\n\n{done}", keyboard(rows))
