"""Featuring an approved report: to the cadres of the reviewer's area, and/or to the channel.

Nothing goes out on one tap (review finding F4): "Sebarkan" and "Terbitkan" first show the text
as it will go out, how many cadres receive it (or which channel), and whether the photos come
along; only "Ya, kirim" sends. A coordinator features to their own scopes (an official to the
whole forum area, as `/umumkan` allows); only officials post to the public channel. Photos go
out only if the cadre allowed it in /lapor (they often show children).

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
from bot.ui import Button, keyboard, show
from storage import reports as store
from storage.outbox import audience_ids
from storage.regions import display_name, get_region, region_path_name
from storage.reports import ReportInfo, ReportStatus

__all__ = [
    "feature_broadcast",
    "feature_channel",
    "feature_text",
    "preview_broadcast",
    "preview_channel",
]

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


def _photo_note(report: ReportInfo, lang: str) -> str:
    """Whether the photos go out with the featured report, and why not."""
    if not report.photos:
        return t("reports.feature.preview_no_photos", lang)
    if not report.photos_public:
        return t("reports.feature.preview_photos_private", lang)
    return t("reports.feature.preview_photos_public", lang, count=len(report.photos))


def _confirm_rows(
    lang: str, label: str, confirm: ReviewButton, report_id: int
) -> list[list[Button]]:
    return [
        [(label, confirm.pack())],
        [(t("reports.feature.preview_back", lang), ReviewButton("s", report_id).pack())],
    ]


async def _unavailable(update: Update, lang: str) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(
        t("reports.review.feature_unavailable", lang), show_alert=True
    )


async def preview_broadcast(
    update: Update, context: BotContext, identity: Identity, report: ReportInfo
) -> None:
    """ "Sebarkan": the text as cadres will read it, how many receive it, and "Ya, kirim"."""
    query = update.callback_query
    assert query is not None
    lang = context.lang
    if report.featured_at is not None or report.status is not ReportStatus.APPROVED:
        await _unavailable(update, lang)
        return
    with context.db.session() as session:
        recipients = audience_ids(session, list(identity.scopes))
        area = ", ".join(
            display_name(r) for r in (get_region(session, c) for c in identity.scopes) if r
        )
        count = format_count(len(recipients), lang)
        head = t("reports.feature.preview_broadcast", lang, count=count, area=area)
        head += "\n" + _photo_note(report, lang) + "\n\n"
        room = MessageLimit.MAX_TEXT_LENGTH - len(head)  # the preview is one message
        text = feature_text(session, report, lang, context.settings, room)
    if not recipients:
        await query.answer(t("reports.feature.no_recipients", lang, area=area), show_alert=True)
        return
    await query.answer()
    label = t("reports.feature.confirm_broadcast", lang, count=count)
    rows = _confirm_rows(lang, label, ReviewButton("fbok", report.id), report.id)
    await show(update, head + text, keyboard(rows))


async def preview_channel(
    update: Update, context: BotContext, identity: Identity, report: ReportInfo
) -> None:
    """ "Terbitkan di kanal" (officials only): the post as the public will see it, then confirm."""
    query = update.callback_query
    assert query is not None
    lang = context.lang
    if not await _may_post(update, context, identity):
        return
    if report.channel_posted_at is not None or report.status is not ReportStatus.APPROVED:
        await _unavailable(update, lang)
        return
    with context.db.session() as session:
        text = feature_text(session, report, "id", context.settings, MessageLimit.CAPTION_LENGTH)
    await query.answer()
    channel = str(context.settings.feature_channel_id)
    head = t("reports.feature.preview_channel", lang, channel=channel)
    label = t("reports.feature.confirm_channel", lang)
    rows = _confirm_rows(lang, label, ReviewButton("fcok", report.id), report.id)
    await show(update, f"{head}\n{_photo_note(report, lang)}\n\n{text}", keyboard(rows))


async def _may_post(update: Update, context: BotContext, identity: Identity) -> bool:
    """The public channel is for officials only, and only once it is configured."""
    query = update.callback_query
    assert query is not None
    lang = context.lang
    if not identity.is_official:
        await query.answer(t("reports.feature.channel_officials_only", lang), show_alert=True)
        return False
    if not context.settings.feature_channel_id:
        await query.answer(t("reports.review.no_channel", lang), show_alert=True)
        return False
    return True


async def feature_broadcast(
    update: Update, context: BotContext, identity: Identity, report: ReportInfo
) -> None:
    """ "Ya, kirim": send the report to every reachable cadre of the reviewer's scopes."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    lang = context.lang
    settings = context.settings
    with context.db.session() as session:
        claimed = store.mark_featured(session, report.id, identity.user_id)
    if not claimed:
        await _unavailable(update, lang)
        return
    try:
        with context.db.session() as session:
            recipients = audience_ids(session, list(identity.scopes))
            texts = {
                # The engine splits a long text over the photo's caption and a message.
                code: feature_text(session, report, code, settings, MessageLimit.MAX_TEXT_LENGTH)
                for code in LANGUAGES
            }
        public = report.public_photos
        photo = public[0].file_id if public else None
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
    await _after_feature(update, context, identity, report.id, done)


async def feature_channel(
    update: Update, context: BotContext, identity: Identity, report: ReportInfo
) -> None:
    """ "Ya, terbitkan": post the report to the feature channel (consented photos as an album
    with the text as caption)."""
    query = update.callback_query
    assert query is not None
    lang = context.lang
    if not await _may_post(update, context, identity):
        return
    channel = context.settings.feature_channel_id
    assert channel is not None
    with context.db.session() as session:
        claimed = store.mark_channel_posted(session, report.id, identity.user_id)
        text = feature_text(session, report, "id", context.settings, MessageLimit.CAPTION_LENGTH)
    if not claimed:
        await _unavailable(update, lang)
        return
    try:
        if not await send_photos(context.bot, channel, report.public_photos, text):
            await context.bot.send_message(channel, text)
    except TelegramError as exc:
        log.warning("could not post report %s to %s: %s", report.id, channel, exc)
        with context.db.session() as session:
            store.unmark_channel_posted(session, report.id)
        await query.answer(t("reports.review.channel_failed", lang), show_alert=True)
        return
    await query.answer()
    await _after_feature(
        update, context, identity, report.id, t("reports.review.done.posted", lang)
    )


async def _after_feature(
    update: Update, context: BotContext, identity: Identity, report_id: int, done: str
) -> None:
    lang = context.lang
    report = load_report(context, report_id)
    assert report is not None
    with context.db.session() as session:
        text = report_card(session, report, lang, context.settings)
    rows = feature_buttons(report, lang, context.settings, identity)
    rows.append([(t("reports.review.next", lang), ReviewButton("q").pack())])
    await show(update, f"{text}\n\n{done}", keyboard(rows))
