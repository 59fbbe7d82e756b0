"""Reviewing innovation reports: /tinjau, decisions, and featuring approved reports.

Coordinators review the reports of their area (officials: the whole forum area), one at a
time, photos first and then a card with "Setujui" / "Minta perbaikan" / "Tolak". Every action
re-checks the reviewer's scope on the server (callback data is never trusted), decisions are
atomic (the first of two reviewers wins; the other is told) and audited, and the cadre is
notified. An approved report can be featured: sent to every cadre of the forum area through
the delivery engine, and/or posted to the channel `FEATURE_CHANNEL_ID`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, tzinfo
from enum import IntEnum
from typing import Any

from telegram import InputMediaPhoto, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.auth import Identity, identify
from bot.config import Settings
from bot.context import BotContext, ForkomApplication
from bot.delivery import Payload, submit
from bot.i18n import LANGUAGES, language_for, t
from bot.menu import refresh_commands
from bot.report_media import store_media
from bot.ui import Button, keyboard, show
from storage import people
from storage import reports as store
from storage.db import Database
from storage.models import utcnow
from storage.outbox import audience_ids
from storage.regions import display_name, get_region, in_scope, region_path_name
from storage.reports import Decision, ReportInfo, ReportStatus

__all__ = [
    "ReviewCounter",
    "comment_conversation",
    "handlers",
    "language_of",
    "notify_reviewers",
    "report_card",
    "reviewer_role",
    "send_report_media",
]

log = logging.getLogger(__name__)
END = ConversationHandler.END
COMMENT_DRAFT = "review_comment"
COMMENT_MIN, COMMENT_MAX = 3, 1000
CAPTION_LIMIT, TEXT_LIMIT = 1024, 4096


class CommentStep(IntEnum):
    COMMENT = 1


# ---------------------------------------------------------------- shared rendering


def language_of(database: Database, user_id: int) -> str:
    """The language to write to someone who is not the sender of the current update."""
    with database.session() as session:
        chosen, telegram = people.user_language(session, user_id)
    return language_for(chosen, telegram)


def local_time(moment: datetime, tz: tzinfo) -> str:
    """A stored (naive UTC) time as the forum reads it: 24/11/2026 09.30 WITA."""
    return moment.replace(tzinfo=UTC).astimezone(tz).strftime("%d/%m/%Y %H.%M %Z")


def reviewer_role(
    session: Any, village_code: str, lang: str, identity: Identity | None = None
) -> str:
    """Who reviews (or reviewed) a report, as a role: "koordinator Kec. Bontang Barat".

    Without `identity`: the most local coordinator role covering the kelurahan, else the
    forum's officials. With it: the role in which that person acted.
    """
    if identity is not None:
        scopes = [s for s in identity.coordinator_scopes if in_scope(village_code, s)]
    else:
        scopes = [scope for _, scope in store.reviewers_for(session, village_code)]
    if scopes:
        region = get_region(session, max(scopes, key=len))
        if region is not None:
            return t("reports.role.coordinator", lang, area=display_name(region))
    return t("reports.role.officials", lang)


def report_card(session: Any, report: ReportInfo, lang: str, settings: Settings) -> str:
    """The report as reviewers see it, in /tinjau and the list (HTML, values escaped)."""
    lines = [
        t(
            "reports.card",
            lang,
            id=report.id,
            status=t(f"reports.status.{report.status.value}", lang),
            title=report.title,
            category=t(f"reports.category.{report.category}", lang),
            region=region_path_name(session, report.village_code, below=settings.forum_area),
            submitted=local_time(report.submitted_at, settings.timezone),
        )
    ]
    if report.reporter_id is None:
        lines.append(t("reports.card_reporter_deleted", lang))
    else:
        lines.append(
            t(
                "reports.card_reporter",
                lang,
                name=report.reporter_name or "",
                institution=t(f"institution.{report.institution or 'lainnya'}", lang),
            )
        )
    if report.photos:
        lines.append(t("reports.card_photos", lang, count=len(report.photos)))
    if report.latitude is not None and report.longitude is not None:
        lines.append(
            t(
                "reports.card_location",
                lang,
                lat=f"{report.latitude:.6f}",
                lon=f"{report.longitude:.6f}",
            )
        )
    if report.document is not None:
        lines.append(t("reports.card_document", lang, name=report.document.file_name or "—"))
    text = "\n".join(lines) + "\n\n" + t("reports.card_description", lang, text=report.description)
    if report.last_comment and report.status is not ReportStatus.APPROVED:
        text += "\n\n" + t("reports.card_comment", lang, comment=report.last_comment)
    if report.featured_at is not None:
        text += "\n" + t("reports.card_featured", lang)
    if report.channel_posted_at is not None:
        text += "\n" + t("reports.card_posted", lang)
    return text


async def send_report_media(bot: Any, chat_id: int, report: ReportInfo, lang: str) -> None:
    """Photos as one album (or a photo), then the document, by their Telegram file ids."""
    photos = report.photos
    caption = t("reports.review.photos_caption", lang, id=report.id)
    if len(photos) == 1:
        await bot.send_photo(chat_id, photos[0].file_id, caption=caption)
    elif photos:
        await bot.send_media_group(
            chat_id,
            [
                InputMediaPhoto(p.file_id, caption=caption if i == 0 else None)
                for i, p in enumerate(photos)
            ],
        )
    if report.document is not None:
        await bot.send_document(chat_id, report.document.file_id)


def decision_buttons(report_id: int, lang: str) -> list[list[Button]]:
    return [
        [
            (t("reports.review.approve", lang), f"rv:ok:{report_id}"),
            (t("reports.review.revise", lang), f"rv:fix:{report_id}"),
        ],
        [(t("reports.review.reject", lang), f"rv:no:{report_id}")],
    ]


def feature_buttons(report: ReportInfo, lang: str, settings: Settings) -> list[list[Button]]:
    """What can still be done with an approved report (each channel once)."""
    if report.status is not ReportStatus.APPROVED:
        return []
    rows: list[list[Button]] = []
    if report.featured_at is None:
        rows.append([(t("reports.review.feature_broadcast", lang), f"rv:fb:{report.id}")])
    if settings.feature_channel_id and report.channel_posted_at is None:
        rows.append([(t("reports.review.feature_channel", lang), f"rv:fc:{report.id}")])
    return rows


# ---------------------------------------------------------------- who may act


def _may_review(identity: Identity, report: ReportInfo | None) -> bool:
    """Server-side check behind every button: the report lies in one of the user's scopes."""
    return (
        report is not None and identity.is_privileged and identity.may_act_on(report.village_code)
    )


def _load(context: BotContext, report_id: int) -> ReportInfo | None:
    with context.db.session() as session:
        return store.get_report(session, report_id)


async def _refuse(update: Update, context: BotContext) -> None:
    text = t("reports.review.not_allowed", context.lang)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await show(update, text, edit=False)


def _parse(data: str) -> tuple[str, int | None]:
    """`rv:<action>[:<report id>]` → (action, id); a malformed id gives None."""
    parts = data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    if len(parts) < 3:
        return action, None
    return action, int(parts[2]) if parts[2].isdigit() else -1


async def refresh_reviewer_menus(context: BotContext, report: ReportInfo) -> None:
    """The count of waiting reports in the command menus of everyone who reviews this area."""
    with context.db.session() as session:
        reviewer_ids = [tid for tid, _ in store.reviewers_for(session, report.village_code)]
    for reviewer_id in reviewer_ids:
        identity = identify(context.db, context.settings, reviewer_id)
        lang = language_of(context.db, reviewer_id)
        await refresh_commands(context.bot, identity, lang, context.app.menu_counters)


# ---------------------------------------------------------------- notifications


async def _send_private(context: BotContext, user_id: int, text: str, markup: Any = None) -> bool:
    """A direct message to one person; a blocked bot is recorded, never raised."""
    try:
        await context.bot.send_message(user_id, text, reply_markup=markup)
        return True
    except Forbidden:
        with context.db.session() as session:
            people.mark_unreachable(session, user_id)
    except TelegramError as exc:
        log.warning("could not notify %s: %s", user_id, exc)
    return False


async def notify_reviewers(context: BotContext, report: ReportInfo, *, resubmitted: bool) -> int:
    """Tell the coordinators covering the report (or, if there are none, the officials)."""
    with context.db.session() as session:
        reviewer_ids = [tid for tid, _ in store.reviewers_for(session, report.village_code)]
    reviewer_ids = [r for r in reviewer_ids if r != report.reporter_id]
    if not reviewer_ids:
        reviewer_ids = sorted(a for a in context.settings.admin_ids if a != report.reporter_id)
    sent = 0
    for reviewer_id in reviewer_ids:
        identity = identify(context.db, context.settings, reviewer_id)
        lang = language_of(context.db, reviewer_id)
        with context.db.session() as session:
            waiting = store.count_pending(session, identity.scopes, reviewer_id)
            region = region_path_name(
                session, report.village_code, below=context.settings.forum_area
            )
        text = t(
            f"reports.review.notify.{'resubmitted' if resubmitted else 'new'}",
            lang,
            id=report.id,
            title=report.title,
            category=t(f"reports.category.{report.category}", lang),
            region=region,
            waiting=waiting,
        )
        markup = keyboard([[(t("reports.review.open", lang), f"rv:s:{report.id}")]])
        if await _send_private(context, reviewer_id, text, markup):
            sent += 1
        await refresh_commands(context.bot, identity, lang, context.app.menu_counters)
    return sent


async def _notify_cadre(
    context: BotContext, identity: Identity, report: ReportInfo, decision: Decision
) -> None:
    if report.reporter_id is None:  # the cadre erased their data: nobody to tell
        return
    lang = language_of(context.db, report.reporter_id)
    with context.db.session() as session:
        role = reviewer_role(session, report.village_code, lang, identity)
    values = {"id": report.id, "title": report.title, "reviewer": role}
    markup = None
    if decision is Decision.APPROVE:
        text = t("reports.review.cadre_approved", lang, **values)
    elif decision is Decision.REVISE:
        text = t("reports.review.cadre_revision", lang, comment=report.last_comment, **values)
        markup = keyboard([[(t("reports.review.cadre_fix_button", lang), f"rp:fix:{report.id}")]])
    else:
        text = t("reports.review.cadre_rejected", lang, comment=report.last_comment, **values)
    await _send_private(context, report.reporter_id, text, markup)


# ---------------------------------------------------------------- the queue


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
        rows.extend(feature_buttons(report, lang, context.settings))
    if own:
        text += "\n\n" + t("reports.review.own_report", lang)
    if waiting is not None:
        text += "\n\n" + t("reports.review.waiting", lang, count=waiting)
        if waiting > 1:
            rows.append([(t("reports.review.next", lang), f"rv:n:{report.id}")])
    await chat.send_message(text, reply_markup=keyboard(rows))


async def tinjau_command(update: Update, context: BotContext) -> None:
    assert update.effective_user is not None
    identity = identify(context.db, context.settings, update.effective_user.id)
    if not identity.is_privileged:
        await _refuse(update, context)
        return
    await show_next(update, context, identity)
    await refresh_commands(context.bot, identity, context.lang, context.app.menu_counters)


# ---------------------------------------------------------------- buttons


async def on_review_button(update: Update, context: BotContext) -> None:
    """Every `rv:` button outside the comment conversation; scope re-checked each time."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    identity = identify(context.db, context.settings, update.effective_user.id)
    if not identity.is_privileged:
        await _refuse(update, context)
        return
    action, report_id = _parse(query.data)
    if action == "q":
        await query.answer()
        await show_next(update, context, identity)
        return
    if report_id is None or report_id < 0:
        await query.answer(t("common.stale_button", context.lang))
        return
    if action == "n":
        await query.answer()
        await show_next(update, context, identity, after=report_id)
        return
    report = _load(context, report_id)
    if not _may_review(identity, report):
        await _refuse(update, context)
        return
    assert report is not None
    if action == "s":
        await query.answer()
        with context.db.session() as session:
            waiting = store.count_pending(session, identity.scopes, identity.user_id)
        await present(update, context, identity, report, waiting=waiting)
    elif action == "m":
        await query.answer()
        assert update.effective_chat is not None
        await send_report_media(context.bot, update.effective_chat.id, report, context.lang)
    elif action == "ok":
        await _approve(update, context, identity, report)
    elif action == "fb":
        await _feature_broadcast(update, context, identity, report)
    elif action == "fc":
        await _feature_channel(update, context, identity, report)
    else:
        await query.answer(t("common.stale_button", context.lang))


async def _told_already_decided(
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
    rows = [[(t("reports.review.next", lang), "rv:q")]]
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
        await _told_already_decided(update, context, outcome.report)
        return
    decided = outcome.report
    assert decided is not None
    await query.answer()
    with context.db.session() as session:
        text = report_card(session, decided, lang, context.settings)
    rows = feature_buttons(decided, lang, context.settings)
    rows.append([(t("reports.review.next", lang), "rv:q")])
    await show(update, f"{text}\n\n{t('reports.review.done.approved', lang)}", keyboard(rows))
    await _notify_cadre(context, identity, decided, Decision.APPROVE)
    await refresh_reviewer_menus(context, decided)
    # An approved report is kept for good: fetch any file that could not be copied before.
    await store_media(context.bot, context.db, context.settings.media_dir, decided)


# ---------------------------------------------------------------- featuring


def feature_text(
    session: Any, report: ReportInfo, lang: str, settings: Settings, limit: int
) -> str:
    """The public text of a featured report: no reporter name, only institution and area."""
    region = region_path_name(session, report.village_code, below=settings.forum_area)

    def compose(description: str) -> str:
        return t(
            "reports.feature.text",
            lang,
            title=report.title,
            category=t(f"reports.category.{report.category}", lang),
            institution=t(f"institution.{report.institution or 'lainnya'}", lang),
            region=region,
            description=description,
        )

    text = compose(report.description)
    if len(text) <= limit:
        return text
    overflow = len(text) - limit + 1
    return compose(report.description[: max(0, len(report.description) - overflow)] + "…")


async def _feature_broadcast(
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
                code: feature_text(session, report, code, settings, TEXT_LIMIT)
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
    done = t("reports.review.done.featured", context.lang, count=len(recipients))
    await _after_feature(update, context, report.id, done)


async def _feature_channel(
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
        text = feature_text(session, report, "id", context.settings, CAPTION_LIMIT)
    if not claimed:
        await query.answer(t("reports.review.feature_unavailable", lang), show_alert=True)
        return
    photos = report.photos
    try:
        if len(photos) == 1:
            await context.bot.send_photo(channel, photos[0].file_id, caption=text)
        elif photos:
            await context.bot.send_media_group(
                channel,
                [
                    InputMediaPhoto(p.file_id, caption=text if i == 0 else None)
                    for i, p in enumerate(photos)
                ],
            )
        else:
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
    report = _load(context, report_id)
    assert report is not None
    with context.db.session() as session:
        text = report_card(session, report, lang, context.settings)
    rows = feature_buttons(report, lang, context.settings)
    rows.append([(t("reports.review.next", lang), "rv:q")])
    await show(update, f"{text}\n\n{done}", keyboard(rows))


# ---------------------------------------------------------------- revision / rejection comment


def _save_comment_draft(context: BotContext, user_id: int, data: dict[str, Any]) -> None:
    with context.db.session() as session:
        people.save_draft(session, user_id, COMMENT_DRAFT, data)


def _drop_comment_draft(context: BotContext, user_id: int) -> None:
    with context.db.session() as session:
        people.delete_draft(session, user_id, COMMENT_DRAFT)


async def start_comment(update: Update, context: BotContext) -> int:
    """ "Minta perbaikan" / "Tolak": check, then ask for the comment the cadre will read."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    lang = context.lang
    identity = identify(context.db, context.settings, update.effective_user.id)
    action, report_id = _parse(query.data)
    report = _load(context, report_id) if report_id and report_id > 0 else None
    if not _may_review(identity, report):
        await _refuse(update, context)
        return END
    assert report is not None
    if report.reporter_id == identity.user_id:
        await query.answer(t("reports.review.own_report", lang), show_alert=True)
        return END
    if report.status is not ReportStatus.PENDING:
        await _told_already_decided(update, context, report)
        return END
    decision = Decision.REVISE if action == "fix" else Decision.REJECT
    message = query.message
    _save_comment_draft(
        context,
        identity.user_id,
        {
            "report_id": report.id,
            "decision": decision.value,
            "card_message_id": message.message_id if message is not None else None,
        },
    )
    await query.answer()
    # The key names the decision being explained: reports.review.ask.revision / .rejected
    text = t(f"reports.review.ask.{decision.value}", lang, id=report.id, title=report.title)
    await show(update, text, edit=False)
    return CommentStep.COMMENT


def _comment_draft(context: BotContext, user_id: int) -> dict[str, Any] | None:
    with context.db.session() as session:
        found = people.get_draft(session, user_id, COMMENT_DRAFT)
    if found is None:
        return None
    data, updated_at = found
    if utcnow() - updated_at > context.settings.conversation_timeout:
        return None
    return data


async def on_comment(update: Update, context: BotContext) -> int:
    assert update.message is not None and update.effective_user is not None
    lang = context.lang
    user_id = update.effective_user.id
    draft = _comment_draft(context, user_id)
    if draft is None:
        _drop_comment_draft(context, user_id)
        await show(update, t("reports.review.comment_expired", lang), edit=False)
        return END
    comment = (update.message.text or "").strip()
    if not COMMENT_MIN <= len(comment) <= COMMENT_MAX:
        await show(
            update,
            t("reports.review.bad_comment", lang, min=COMMENT_MIN, max=COMMENT_MAX),
            edit=False,
        )
        return CommentStep.COMMENT
    identity = identify(context.db, context.settings, user_id)
    report = _load(context, int(draft["report_id"]))
    _drop_comment_draft(context, user_id)
    if not _may_review(identity, report) or (report and report.reporter_id == user_id):
        await _refuse(update, context)
        return END
    decision = Decision(draft["decision"])
    with context.db.session() as session:
        outcome = store.decide(session, int(draft["report_id"]), user_id, decision, comment)
    await _clear_card_buttons(context, update, draft.get("card_message_id"))
    if not outcome.won:
        await _told_already_decided(update, context, outcome.report)
        return END
    decided = outcome.report
    assert decided is not None
    await show(
        update,
        t(f"reports.review.done.{decision.value}", lang, id=decided.id, title=decided.title),
        keyboard([[(t("reports.review.next", lang), "rv:q")]]),
        edit=False,
    )
    await _notify_cadre(context, identity, decided, decision)
    await refresh_reviewer_menus(context, decided)
    return END


async def _clear_card_buttons(context: BotContext, update: Update, message_id: Any) -> None:
    """The decision buttons of a decided report should not invite a second press."""
    if not isinstance(message_id, int) or update.effective_chat is None:
        return
    try:
        await context.bot.edit_message_reply_markup(update.effective_chat.id, message_id)
    except TelegramError:
        pass


async def comment_reprompt(update: Update, context: BotContext) -> int:
    await show(update, t("reports.review.need_comment_text", context.lang), edit=False)
    return CommentStep.COMMENT


async def button_while_commenting(update: Update, context: BotContext) -> int:
    """Another review button instead of the comment: drop the comment, do what was pressed."""
    assert update.effective_user is not None and update.callback_query is not None
    _drop_comment_draft(context, update.effective_user.id)
    action, _ = _parse(update.callback_query.data or "")
    if action in {"fix", "no"}:
        return await start_comment(update, context)
    await on_review_button(update, context)
    return END


async def cancel_comment(update: Update, context: BotContext) -> int:
    assert update.effective_user is not None
    _drop_comment_draft(context, update.effective_user.id)
    await show(update, t("reports.review.comment_cancelled", context.lang), edit=False)
    return END


async def tinjau_while_commenting(update: Update, context: BotContext) -> int:
    assert update.effective_user is not None
    _drop_comment_draft(context, update.effective_user.id)
    await tinjau_command(update, context)
    return END


async def comment_timeout(update: object, context: BotContext) -> None:
    if isinstance(update, Update) and update.effective_user is not None:
        _drop_comment_draft(context, update.effective_user.id)
        if update.effective_chat is not None:
            await update.effective_chat.send_message(
                t("reports.review.comment_expired", context.lang)
            )


def comment_conversation(conversation_timeout: timedelta) -> ConversationHandler:  # type: ignore[type-arg]
    """The short conversation that asks a reviewer for a revision note or rejection reason."""
    import warnings

    from telegram.warnings import PTBUserWarning

    new = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            name="report_review_comment",
            persistent=True,
            allow_reentry=False,
            conversation_timeout=conversation_timeout,
            entry_points=[CallbackQueryHandler(start_comment, pattern=r"^rv:(fix|no):\d+$")],
            states={
                CommentStep.COMMENT: [
                    MessageHandler(new & filters.TEXT & ~filters.COMMAND, on_comment),
                    CallbackQueryHandler(button_while_commenting, pattern=r"^rv:"),
                    MessageHandler(new & ~filters.COMMAND, comment_reprompt),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, comment_timeout)],
            },
            fallbacks=[
                CommandHandler(["batal", "cancel"], cancel_comment),
                CommandHandler("tinjau", tinjau_while_commenting),
            ],
        )


def handlers() -> list:  # type: ignore[type-arg]
    return [
        # Private chats only: cards show cadres' names.
        CommandHandler("tinjau", tinjau_command, filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_review_button, pattern=r"^rv:"),
    ]


# ---------------------------------------------------------------- menu count


class ReviewCounter:
    """Counts the reports that wait for someone's review, for the number next to /tinjau."""

    command = "tinjau"

    def __init__(self, app: ForkomApplication) -> None:
        self.database = app.database

    def count(self, identity: Identity) -> int:
        if not identity.is_privileged:
            return 0
        with self.database.session() as session:
            return store.count_pending(session, identity.scopes, identity.user_id)
